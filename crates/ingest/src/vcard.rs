//! vCard 2.1 / 3.0 / 4.0 (`.vcf`), one or many cards per file.
//!
//! Each card becomes one row whose cells are keyed by a fixed list of virtual columns
//! ([`COLUMNS`]): `FN`, the parts of `N`, readings (`X-PHONETIC-*`, `SORT-STRING`,
//! `SORT-AS`, `SOUND;X-IRMC-N`), `ORG`, `TITLE`, `EMAIL`, `TEL` (split into phone, mobile
//! and fax by `TYPE`), `ADR`, `URL`, `NOTE` and `CATEGORIES`. Other properties (`PHOTO`,
//! `BDAY`, `UID`, `X-…`) are skipped.
//!
//! Lines are unfolded as RFC 6350 says (a line starting with a space or tab continues the
//! previous one, minus that character); `QUOTED-PRINTABLE` values (vCard 2.1 from Japanese
//! phones) are joined across soft line breaks (`=` at the end of a line) and decoded with
//! their `CHARSET` (Shift_JIS, UTF-8…).

use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};

use crate::IngestError;
use crate::mapping::LeadField;

/// The virtual columns of a vCard file: (header shown to the user, field).
pub(crate) const COLUMNS: &[(&str, LeadField)] = &[
    ("FN", LeadField::Name),
    ("N (family name)", LeadField::FamilyName),
    ("N (given name)", LeadField::GivenName),
    ("SORT-STRING", LeadField::Kana),
    ("X-PHONETIC-LAST-NAME", LeadField::FamilyKana),
    ("X-PHONETIC-FIRST-NAME", LeadField::GivenKana),
    ("ORG (company)", LeadField::Company),
    ("X-PHONETIC-ORG", LeadField::CompanyKana),
    ("ORG (unit)", LeadField::Department),
    ("TITLE", LeadField::Title),
    ("EMAIL", LeadField::Email),
    ("TEL", LeadField::Phone),
    ("TEL;TYPE=CELL", LeadField::Mobile),
    ("TEL;TYPE=FAX", LeadField::Fax),
    ("ADR (postal code)", LeadField::Postcode),
    ("ADR", LeadField::Address),
    ("URL", LeadField::Website),
    ("NOTE", LeadField::Note),
    ("CATEGORIES", LeadField::Tags),
];

const FN: usize = 0;
const N_FAMILY: usize = 1;
const N_GIVEN: usize = 2;
const KANA: usize = 3;
const FAMILY_KANA: usize = 4;
const GIVEN_KANA: usize = 5;
const ORG: usize = 6;
const ORG_KANA: usize = 7;
const ORG_UNIT: usize = 8;
const TITLE: usize = 9;
const EMAIL: usize = 10;
const TEL: usize = 11;
const TEL_CELL: usize = 12;
const TEL_FAX: usize = 13;
const ADR_CODE: usize = 14;
const ADR: usize = 15;
const URL: usize = 16;
const NOTE: usize = 17;
const CATEGORIES: usize = 18;

/// True when decoded text is a vCard file.
pub(crate) fn looks_like_vcard(text: &str) -> bool {
    let t = text.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']);
    t.get(..11)
        .is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCARD"))
}

/// One card: its 1-based number and its cells as (virtual column, value).
pub(crate) type Card = (usize, Vec<(usize, String)>);

/// Physical lines ending in CRLF, LF or a lone CR (classic Mac OS address books), with
/// their 1-based line numbers.
struct PhysicalLines<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Iterator for PhysicalLines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        self.line += 1;
        let (line, rest) = match self.rest.find(['\r', '\n']) {
            Some(i) => {
                let skip = if self.rest[i..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                (&self.rest[..i], &self.rest[i + skip..])
            }
            None => (self.rest, ""),
        };
        self.rest = rest;
        Some((self.line, line))
    }
}

/// Iterator over the cards of a vCard text.
pub(crate) struct Cards<'a> {
    lines: std::iter::Peekable<PhysicalLines<'a>>,
    card: usize,
    done: bool,
}

impl<'a> Cards<'a> {
    #[cfg(test)]
    pub(crate) fn new(text: &'a str) -> Self {
        Cards::continuing(text, 0, 0)
    }

    /// The cards of a piece of a file that follows `cards` cards on `lines` lines.
    pub(crate) fn continuing(text: &'a str, cards: usize, lines: usize) -> Self {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        Cards {
            lines: PhysicalLines {
                rest: text,
                line: lines,
            }
            .peekable(),
            card: cards,
            done: false,
        }
    }

    /// Cards read so far, those of earlier pieces included.
    pub(crate) fn cards_read(&self) -> usize {
        self.card
    }

    /// The next unfolded (logical) line and the number of its first physical line.
    fn next_logical(&mut self) -> Option<(usize, String)> {
        let (number, first) = loop {
            let (number, line) = self.lines.next()?;
            if !line.trim().is_empty() {
                break (number, line);
            }
        };
        let mut buf = first.to_owned();
        let qp = is_quoted_printable(&buf);
        while let Some((_, next)) = self.lines.peek() {
            if qp && buf.ends_with('=') {
                buf.pop();
                buf.push_str(next);
            } else if let Some(rest) = next.strip_prefix([' ', '\t']) {
                buf.push_str(rest);
            } else {
                break;
            }
            self.lines.next();
        }
        Some((number, buf))
    }

    fn read_card(&mut self) -> Option<Result<Card, IngestError>> {
        // Find BEGIN:VCARD (anything before it is ignored).
        let begin = loop {
            let (number, line) = self.next_logical()?;
            if line.trim().eq_ignore_ascii_case("BEGIN:VCARD") {
                break number;
            }
        };
        self.card += 1;
        let card = self.card;
        let mut cells: Vec<(usize, String)> = Vec::new();
        loop {
            let Some((number, line)) = self.next_logical() else {
                return Some(Err(IngestError::VCard {
                    card,
                    message: format!(
                        "the card that begins on line {begin} is not closed (END:VCARD is missing)"
                    ),
                }));
            };
            let trimmed = line.trim();
            if trimmed.eq_ignore_ascii_case("END:VCARD") {
                return Some(Ok((card, cells)));
            }
            if trimmed.eq_ignore_ascii_case("BEGIN:VCARD") {
                return Some(Err(IngestError::VCard {
                    card,
                    message: format!(
                        "line {number}: a new card begins before END:VCARD of the card that begins on line {begin}"
                    ),
                }));
            }
            if let Err(message) = property(&line, &mut cells) {
                return Some(Err(IngestError::VCard {
                    card,
                    message: format!("line {number}: {message}"),
                }));
            }
        }
    }
}

impl Iterator for Cards<'_> {
    type Item = Result<Card, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read_card();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

fn is_quoted_printable(line: &str) -> bool {
    let head = split_outside_quotes(line, ':').0;
    head.to_ascii_uppercase().contains("QUOTED-PRINTABLE")
}

/// Split at the first `sep` outside double quotes.
fn split_outside_quotes(s: &str, sep: char) -> (&str, Option<&str>) {
    let mut in_quotes = false;
    for (i, c) in s.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            return (&s[..i], Some(&s[i + c.len_utf8()..]));
        }
    }
    (s, None)
}

/// A parsed property line.
struct Property<'a> {
    name: String,
    /// (upper-case key, value); bare 2.1 parameters get the key `TYPE`.
    params: Vec<(String, String)>,
    value: &'a str,
}

impl Property<'_> {
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All TYPE values, lower-case.
    fn types(&self) -> Vec<String> {
        self.params
            .iter()
            .filter(|(k, _)| k == "TYPE")
            .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
            .collect()
    }

    fn encoding(&self) -> Option<String> {
        self.param("ENCODING")
            .map(str::to_ascii_uppercase)
            .or_else(|| {
                self.types()
                    .into_iter()
                    .find(|t| matches!(t.as_str(), "quoted-printable" | "base64" | "b"))
                    .map(|t| t.to_ascii_uppercase())
            })
    }
}

fn parse_property(line: &str) -> Option<Property<'_>> {
    let (head, value) = split_outside_quotes(line, ':');
    let value = value?;
    let mut parts = Vec::new();
    let mut rest = head;
    loop {
        let (part, tail) = split_outside_quotes(rest, ';');
        parts.push(part);
        match tail {
            Some(t) => rest = t,
            None => break,
        }
    }
    let raw_name = parts.first()?.trim();
    let name = raw_name
        .rsplit('.')
        .next()
        .unwrap_or(raw_name)
        .to_ascii_uppercase();
    let params = parts[1..]
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_ascii_uppercase(),
                v.trim().trim_matches('"').to_owned(),
            ),
            None => ("TYPE".to_owned(), p.trim().to_owned()),
        })
        .collect();
    Some(Property {
        name,
        params,
        value,
    })
}

/// Decode quoted-printable text to bytes (invalid escapes are kept literally).
fn decode_qp(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            let hex = |c: u8| (c as char).to_digit(16);
            if i + 2 < b.len()
                && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
            {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            if i + 1 == b.len() {
                // A soft line break left at the very end.
                i += 1;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The property value as text: quoted-printable decoded with its charset.
fn value_text(p: &Property<'_>) -> Result<Option<String>, String> {
    match p.encoding().as_deref() {
        Some("QUOTED-PRINTABLE") => {
            let bytes = decode_qp(p.value);
            let encoding: &'static Encoding = match p.param("CHARSET") {
                Some(label) => {
                    let lower = label.to_ascii_lowercase();
                    match lower.as_str() {
                        "cp932" | "ms932" | "windows-31j" | "sjis" | "shift_jis" | "shift-jis" => {
                            SHIFT_JIS
                        }
                        _ => Encoding::for_label_no_replacement(lower.as_bytes())
                            .ok_or_else(|| format!("{}: unknown CHARSET \"{label}\"", p.name))?,
                    }
                }
                None if std::str::from_utf8(&bytes).is_ok() => UTF_8,
                None => SHIFT_JIS,
            };
            let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
            if had_errors {
                return Err(format!(
                    "{}: the quoted-printable text is not valid {}",
                    p.name,
                    encoding.name()
                ));
            }
            Ok(Some(text.into_owned()))
        }
        // Binary data (photos, sounds, keys).
        Some("B") | Some("BASE64") => Ok(None),
        _ => Ok(Some(p.value.to_owned())),
    }
}

/// Split a structured value at unescaped `sep`.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// Undo vCard text escapes (`\n`, `\,`, `\;`, `\\`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn push(cells: &mut Vec<(usize, String)>, col: usize, value: &str) {
    let v = value.trim();
    if !v.is_empty() {
        cells.push((col, v.to_owned()));
    }
}

/// Interpret one property line into cells.
fn property(line: &str, cells: &mut Vec<(usize, String)>) -> Result<(), String> {
    let Some(p) = parse_property(line) else {
        // Not a property (no colon): tolerate stray text.
        return Ok(());
    };
    let wanted = matches!(
        p.name.as_str(),
        "FN" | "N"
            | "SORT-STRING"
            | "SOUND"
            | "X-PHONETIC-LAST-NAME"
            | "X-PHONETIC-FIRST-NAME"
            | "X-PHONETIC-ORG"
            | "ORG"
            | "TITLE"
            | "EMAIL"
            | "TEL"
            | "ADR"
            | "URL"
            | "NOTE"
            | "CATEGORIES"
    );
    if !wanted {
        return Ok(());
    }
    let Some(value) = value_text(&p)? else {
        return Ok(());
    };
    match p.name.as_str() {
        "FN" => push(cells, FN, &unescape(&value)),
        "N" => {
            let parts = split_unescaped(&value, ';');
            push(cells, N_FAMILY, &unescape(&parts[0]));
            if let Some(g) = parts.get(1) {
                push(cells, N_GIVEN, &unescape(g));
            }
            if let Some(sort) = p.param("SORT-AS") {
                let mut s = sort.split(',');
                push(cells, FAMILY_KANA, s.next().unwrap_or(""));
                push(cells, GIVEN_KANA, s.next().unwrap_or(""));
            }
        }
        "SORT-STRING" => push(cells, KANA, &unescape(&value)),
        "SOUND" => {
            // 2.1 from Japanese phones: SOUND;X-IRMC-N:ﾔﾏﾀﾞ;ﾀﾛｳ;;;
            let types = p.types();
            if types.iter().any(|t| t == "x-irmc-n") {
                let parts = split_unescaped(&value, ';');
                push(cells, FAMILY_KANA, &unescape(&parts[0]));
                if let Some(g) = parts.get(1) {
                    push(cells, GIVEN_KANA, &unescape(g));
                }
            }
        }
        "X-PHONETIC-LAST-NAME" => push(cells, FAMILY_KANA, &unescape(&value)),
        "X-PHONETIC-FIRST-NAME" => push(cells, GIVEN_KANA, &unescape(&value)),
        "X-PHONETIC-ORG" => push(cells, ORG_KANA, &unescape(&value)),
        "ORG" => {
            let parts = split_unescaped(&value, ';');
            push(cells, ORG, &unescape(&parts[0]));
            let units: Vec<String> = parts[1..]
                .iter()
                .map(|u| unescape(u).trim().to_owned())
                .filter(|u| !u.is_empty())
                .collect();
            push(cells, ORG_UNIT, &units.join(" "));
            if let Some(sort) = p.param("SORT-AS") {
                push(cells, ORG_KANA, sort);
            }
        }
        "TITLE" => push(cells, TITLE, &unescape(&value)),
        "EMAIL" => {
            let v = unescape(&value);
            push(
                cells,
                EMAIL,
                v.trim().strip_prefix("mailto:").unwrap_or(v.trim()),
            );
        }
        "TEL" => {
            let types = p.types();
            let col = if types.iter().any(|t| t == "fax") {
                TEL_FAX
            } else if types.iter().any(|t| t == "cell") {
                TEL_CELL
            } else {
                TEL
            };
            let v = unescape(&value);
            let v = v.trim();
            push(cells, col, v.strip_prefix("tel:").unwrap_or(v));
        }
        "ADR" => {
            // post office box; extended address; street; locality; region; postal code; country
            let parts: Vec<String> = split_unescaped(&value, ';')
                .iter()
                .map(|s| unescape(s).trim().to_owned())
                .collect();
            let get = |i: usize| parts.get(i).map(String::as_str).unwrap_or("");
            push(cells, ADR_CODE, get(5));
            let mut address: Vec<&str> = [get(4), get(3), get(2), get(1), get(0)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            let country = get(6);
            if !country.is_empty()
                && !matches!(
                    country.to_ascii_lowercase().as_str(),
                    "japan" | "日本" | "jp" | "jpn" | "日本国"
                )
            {
                address.push(country);
            }
            push(cells, ADR, &address.join(" "));
        }
        "URL" => push(cells, URL, &unescape(&value)),
        "NOTE" => push(cells, NOTE, &unescape(&value)),
        "CATEGORIES" => {
            for c in split_unescaped(&value, ',') {
                push(cells, CATEGORIES, &unescape(&c));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(text: &str) -> Vec<Card> {
        Cards::new(text).collect::<Result<Vec<_>, _>>().unwrap()
    }

    fn get(card: &Card, col: usize) -> Vec<&str> {
        card.1
            .iter()
            .filter(|(c, _)| *c == col)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn detects_vcards() {
        assert!(looks_like_vcard("\u{FEFF}\r\nbegin:vcard\r\n"));
        assert!(!looks_like_vcard("会社名,氏名"));
    }

    #[test]
    fn vcard_3_with_folding_and_escapes() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:山田;太郎;;;\r\nFN:山田 太郎\r\nX-PHONETIC-LAST-NAME:ヤマダ\r\nX-PHONETIC-FIRST-NAME:タロウ\r\nORG:株式会社テスト;営業部;第一課\r\nTITLE:部長\r\nitem1.EMAIL;type=INTERNET;type=WORK:taro@example.co.jp\r\nTEL;type=CELL;type=VOICE:090-1234-5678\r\nTEL;type=WORK;type=VOICE:03-1234-5678\r\nTEL;TYPE=WORK,FAX:03-1234-5679\r\nADR;type=WORK:;;丸の内1-1-1\\, 丸の内ビル5F;千代田区;東京都;100-0005;日本\r\nNOTE:長い備考はこのように折り返さ\r\n れます。\\n二行目\r\nCATEGORIES:展示会,VIP\r\nPHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\n BBBB\r\nEND:VCARD\r\n";
        let c = cards(text);
        assert_eq!(c.len(), 1);
        let card = &c[0];
        assert_eq!(card.0, 1);
        assert_eq!(get(card, FN), ["山田 太郎"]);
        assert_eq!(get(card, N_FAMILY), ["山田"]);
        assert_eq!(get(card, N_GIVEN), ["太郎"]);
        assert_eq!(get(card, FAMILY_KANA), ["ヤマダ"]);
        assert_eq!(get(card, ORG), ["株式会社テスト"]);
        assert_eq!(get(card, ORG_UNIT), ["営業部 第一課"]);
        assert_eq!(get(card, EMAIL), ["taro@example.co.jp"]);
        assert_eq!(get(card, TEL_CELL), ["090-1234-5678"]);
        assert_eq!(get(card, TEL), ["03-1234-5678"]);
        assert_eq!(get(card, TEL_FAX), ["03-1234-5679"]);
        assert_eq!(get(card, ADR_CODE), ["100-0005"]);
        assert_eq!(
            get(card, ADR),
            ["東京都 千代田区 丸の内1-1-1, 丸の内ビル5F"]
        );
        assert_eq!(
            get(card, NOTE),
            ["長い備考はこのように折り返されます。\n二行目"]
        );
        assert_eq!(get(card, CATEGORIES), ["展示会", "VIP"]);
    }

    #[test]
    fn vcard_4() {
        let text = "BEGIN:VCARD\nVERSION:4.0\nN;SORT-AS=\"サトウ,ハナコ\":佐藤;花子;;;\nFN:佐藤 花子\nORG;SORT-AS=\"エービーシー\":ABC株式会社\nEMAIL;TYPE=work:hanako@abc.example\nTEL;VALUE=uri;TYPE=\"cell,voice\":tel:+81-90-1111-2222\nURL:https://abc.example/\nEND:VCARD\n";
        let c = cards(text);
        let card = &c[0];
        assert_eq!(get(card, FAMILY_KANA), ["サトウ"]);
        assert_eq!(get(card, GIVEN_KANA), ["ハナコ"]);
        assert_eq!(get(card, ORG_KANA), ["エービーシー"]);
        assert_eq!(get(card, TEL_CELL), ["+81-90-1111-2222"]);
        assert_eq!(get(card, URL), ["https://abc.example/"]);
    }

    #[test]
    fn vcard_21_quoted_printable_shift_jis() {
        let (sjis, _, _) = SHIFT_JIS.encode("鈴木;一郎;;;");
        let qp: String = sjis.iter().map(|b| format!("={b:02X}")).collect();
        // Soft line break in the middle.
        let (first, second) = qp.split_at(12);
        let text = format!(
            "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:{first}=\r\n{second}\r\nSOUND;X-IRMC-N;CHARSET=SHIFT_JIS:ｽｽﾞｷ;ｲﾁﾛｳ;;;\r\nTEL;CELL:09012345678\r\nTEL;HOME;VOICE:0312345678\r\nEMAIL;INTERNET:ichiro@example.jp\r\nEND:VCARD\r\n"
        );
        let c = cards(&text);
        let card = &c[0];
        assert_eq!(get(card, N_FAMILY), ["鈴木"]);
        assert_eq!(get(card, N_GIVEN), ["一郎"]);
        assert_eq!(get(card, FAMILY_KANA), ["ｽｽﾞｷ"]);
        assert_eq!(get(card, TEL_CELL), ["09012345678"]);
        assert_eq!(get(card, TEL), ["0312345678"]);
        assert_eq!(get(card, EMAIL), ["ichiro@example.jp"]);
    }

    /// Found by the property tests: a file with classic Mac OS line ends (a lone CR) was
    /// one long line and read as "empty".
    #[test]
    fn cr_line_ends() {
        let c = cards("BEGIN:VCARD\rVERSION:3.0\rFN:山田\r  太郎\rNOTE:a\r\rEND:VCARD\r");
        assert_eq!(c.len(), 1);
        assert_eq!(get(&c[0], FN), ["山田 太郎"]);
        assert_eq!(get(&c[0], NOTE), ["a"]);
    }

    #[test]
    fn errors_name_the_line() {
        let err = Cards::new("BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n\r\nBEGIN:VCARD\r\nFN:B\r\n")
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "vCard card 2: the card that begins on line 5 is not closed (END:VCARD is missing)"
        );
        let err = Cards::new("BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nEND:VCARD\n")
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "vCard card 1: line 3: a new card begins before END:VCARD of the card that begins on line 1"
        );
        // Folded lines count as the line they start on.
        let err = Cards::new(
            "BEGIN:VCARD\nNOTE:a\n b\nN;CHARSET=KLINGON;ENCODING=QUOTED-PRINTABLE:=41\nEND:VCARD\n",
        )
        .next()
        .unwrap()
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("vCard card 1: line 4: N: unknown CHARSET"),
            "{err}"
        );
    }

    #[test]
    fn qp_decoding() {
        assert_eq!(decode_qp("=E3=81=82a=3D"), "あa=".as_bytes());
        assert_eq!(decode_qp("abc="), b"abc");
        assert_eq!(decode_qp("=ZZ"), b"=ZZ");
        assert_eq!(decode_qp("a=4"), b"a=4");
    }

    #[test]
    fn several_cards_and_errors() {
        let text =
            "BEGIN:VCARD\nFN:A\nEND:VCARD\n\nBEGIN:VCARD\nFN:B\nEND:VCARD\nBEGIN:VCARD\nFN:C\n";
        let items: Vec<_> = Cards::new(text).collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].as_ref().unwrap().0, 2);
        match &items[2] {
            Err(IngestError::VCard { card, message }) => {
                assert_eq!(*card, 3);
                assert!(message.contains("END:VCARD"));
            }
            other => panic!("{other:?}"),
        }
        let bad = "BEGIN:VCARD\nN;CHARSET=KLINGON;ENCODING=QUOTED-PRINTABLE:=41\nEND:VCARD\n";
        let err = Cards::new(bad).next().unwrap().unwrap_err();
        assert!(err.to_string().contains("card 1"), "{err}");
    }
}
