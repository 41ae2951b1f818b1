//! Property tests of the CSV and vCard readers through `SourceFile::from_bytes`: arbitrary
//! input never panics and every error names its row (or the file); well-formed files
//! written by other tools read back cell for cell, with Excel row numbers; broken files
//! (unclosed quotes, huge cells, truncated cards) fail at the right row or card.
//!
//! Cases and sizes are kept small so the whole ingest suite stays fast in debug builds.

use ondo_ingest::{
    IngestError, Layout, LeadField, MAX_CELL_BYTES, OpenOptions, SourceFile, SourceRow,
};
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------------------------
// Shared checks

/// Physical line breaks in raw bytes, an upper bound for any row number minus one
/// (every encoding we read writes CR and LF as a 0x0D/0x0A byte).
fn raw_breaks(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count()
}

/// The number a message starts with after `prefix`, if any.
fn number_after(message: &str, prefix: &str) -> Option<usize> {
    let rest = message.strip_prefix(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// An error is either about the whole file (and says so) or names a row, line or card
/// that exists in the input (1-based, at most `max_row`).
fn check_error(e: &IngestError, max_row: usize) -> Result<(), TestCaseError> {
    let msg = e.to_string();
    let named = match e {
        IngestError::Binary | IngestError::Empty | IngestError::HeaderOnly => {
            prop_assert!(msg.contains("file"), "{msg}");
            return Ok(());
        }
        IngestError::Xlsx(_) => {
            prop_assert!(msg.starts_with("spreadsheet: "), "{msg}");
            return Ok(());
        }
        IngestError::Encoding { line, .. } | IngestError::Csv { line, .. } => {
            (*line, number_after(&msg, "line "))
        }
        IngestError::Row { row, .. }
        | IngestError::CellTooLarge { row, .. }
        | IngestError::UnclosedQuote { row } => (*row, number_after(&msg, "row ")),
        IngestError::VCard { card, .. } => (*card, number_after(&msg, "vCard card ")),
        other => {
            prop_assert!(false, "unexpected error for default options: {other:?}");
            unreachable!()
        }
    };
    prop_assert_eq!(Some(named.0), named.1, "{}", msg);
    prop_assert!(
        named.0 >= 1 && named.0 <= max_row,
        "{} (max {})",
        msg,
        max_row
    );
    Ok(())
}

/// Open and read everything; rows are numbered in increasing order within the input.
fn read_all_checked(name: &str, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let max_row = raw_breaks(&bytes) + 1;
    match SourceFile::from_bytes(name, bytes, &OpenOptions::default()) {
        Ok(mut f) => {
            prop_assert!(f.header_row <= max_row);
            let mut last = f.header_row;
            for item in f.rows() {
                match item {
                    Ok(row) => {
                        prop_assert!(row.row > last || row.row == 1 && last == 0, "{row:?}");
                        prop_assert!(row.row <= max_row, "{row:?}");
                        last = row.row;
                    }
                    Err(e) => check_error(&e, max_row)?,
                }
            }
        }
        Err(e) => check_error(&e, max_row)?,
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// CSV: generated files

/// A CSV row as read: (row, fields, custom fields).
type Got = (usize, Vec<(LeadField, String)>, Vec<(String, String)>);
/// A vCard row as read: (card, fields, tags).
type CardRow = (usize, Vec<(LeadField, String)>, Vec<String>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Enc {
    Utf8,
    Utf8Bom,
    /// CP932, with `--encoding cp932`.
    Cp932Forced,
    /// CP932, detected.
    Cp932,
    /// Excel's "Unicode text".
    Utf16LeBom,
}

#[derive(Debug, Clone, Copy)]
enum Eol {
    Lf,
    CrLf,
    Cr,
}

impl Eol {
    fn as_str(self) -> &'static str {
        match self {
            Eol::Lf => "\n",
            Eol::CrLf => "\r\n",
            Eol::Cr => "\r",
        }
    }
}

fn enc() -> impl Strategy<Value = Enc> {
    select(vec![
        Enc::Utf8,
        Enc::Utf8Bom,
        Enc::Cp932Forced,
        Enc::Cp932,
        Enc::Utf16LeBom,
    ])
}

fn eol() -> impl Strategy<Value = Eol> {
    select(vec![Eol::Lf, Eol::CrLf, Eol::Cr])
}

/// Cell text: delimiters, quotes, line breaks, spaces (ASCII and full-width), kana,
/// kanji including CP932's NEC/IBM extensions, and a few characters CP932 lacks.
const CELL_CHARS: &str = "abc019 ,;\t\"\r\n\u{3000}あいアイｱｲﾞ株式会社髙﨑①㈱−～😀\u{FEFF}";

fn cell_from(chars: &'static str, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(select(chars.chars().collect::<Vec<_>>()), 0..=max)
        .prop_map(|c| c.into_iter().collect())
}

fn cell() -> impl Strategy<Value = String> {
    cell_from(CELL_CHARS, 8)
}

/// One CSV record as the csv crate writes it (quoted where needed), without terminator.
fn write_record(cells: &[String], delimiter: u8) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(cells).expect("writing to a Vec cannot fail");
    let mut s = String::from_utf8(w.into_inner().expect("a Vec never fails to flush"))
        .expect("cells are UTF-8");
    s.pop();
    s
}

/// Encode the text; None when the encoding cannot represent it.
fn encode(text: &str, enc: Enc) -> Option<Vec<u8>> {
    Some(match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Utf8Bom => {
            let mut b = b"\xEF\xBB\xBF".to_vec();
            b.extend_from_slice(text.as_bytes());
            b
        }
        Enc::Cp932 | Enc::Cp932Forced => {
            // Representable means the text comes back unchanged (CP932 has no U+2212
            // MINUS SIGN: it is written as the byte pair that reads back as U+FF0D).
            let (b, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
            if unmappable || encoding_rs::SHIFT_JIS.decode_without_bom_handling(&b).0 != text {
                return None;
            }
            b.into_owned()
        }
        Enc::Utf16LeBom => {
            let mut b = vec![0xFF, 0xFE];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }
    })
}

/// A table to write: leading blank lines, then the header and data records, each with
/// the blank lines before it.
#[derive(Debug, Clone)]
struct Table {
    leading_blank: usize,
    header: Vec<String>,
    /// (blank lines before, cells)
    records: Vec<(usize, Vec<String>)>,
    delimiter: u8,
    eol: Eol,
    trailing_eol: bool,
}

impl Table {
    fn text(&self) -> String {
        let eol = self.eol.as_str();
        let mut s = eol.repeat(self.leading_blank);
        s.push_str(&write_record(&self.header, self.delimiter));
        for (blank, cells) in &self.records {
            s.push_str(&eol.repeat(blank + 1));
            s.push_str(&write_record(cells, self.delimiter));
        }
        if self.trailing_eol {
            s.push_str(eol);
        }
        s
    }

    fn header_row(&self) -> usize {
        self.leading_blank + 1
    }

    /// The Excel row of each record.
    fn rows(&self) -> Vec<usize> {
        let mut row = self.header_row();
        self.records
            .iter()
            .map(|(blank, _)| {
                row += blank + 1;
                row
            })
            .collect()
    }

    /// What the reader must give for the first `n` records: rows with a non-empty
    /// trimmed cell, as (row, fields, custom). Columns 0 and 1 are 会社名 and メール;
    /// the others are custom fields named by their header, or `列X` beyond the header.
    fn expected(&self, n: usize) -> Vec<Got> {
        self.rows()
            .into_iter()
            .zip(&self.records)
            .take(n)
            .filter_map(|(row, (_, cells))| {
                let mut fields = Vec::new();
                let mut custom = Vec::new();
                for (i, c) in cells.iter().enumerate() {
                    let v = c.trim();
                    if v.is_empty() {
                        continue;
                    }
                    match i {
                        0 => fields.push((LeadField::Company, v.to_owned())),
                        1 => fields.push((LeadField::Email, v.to_owned())),
                        _ => {
                            let name = match self.header.get(i) {
                                Some(h) => h.clone(),
                                None => format!("列{}", ondo_ingest::column_letter(i)),
                            };
                            custom.push((name, v.to_owned()));
                        }
                    }
                }
                (!fields.is_empty() || !custom.is_empty()).then_some((row, fields, custom))
            })
            .collect()
    }
}

fn header(width: usize) -> Vec<String> {
    let mut h = vec!["会社名".to_owned(), "メール".to_owned()];
    h.extend((0..width).map(|i| format!("項目{}", (b'A' + i as u8) as char)));
    h
}

/// Rectangular tables in any delimiter.
fn table() -> impl Strategy<Value = Table> {
    (
        1usize..5,
        0usize..3,
        select(vec![b',', b'\t', b';']),
        eol(),
        any::<bool>(),
    )
        .prop_flat_map(|(extra, leading_blank, delimiter, eol, trailing_eol)| {
            let width = extra + 2;
            proptest::collection::vec(
                (
                    select(vec![0usize, 0, 0, 1, 2]),
                    proptest::collection::vec(cell(), width),
                ),
                1..14,
            )
            .prop_map(move |records| Table {
                leading_blank,
                header: header(extra),
                records,
                delimiter,
                eol,
                trailing_eol,
            })
        })
}

/// Tables whose rows are shorter or longer than the header (comma-separated; cells
/// without `;` or tabs so the delimiter stays unambiguous).
fn ragged_table() -> impl Strategy<Value = Table> {
    (1usize..4, eol(), any::<bool>()).prop_flat_map(|(extra, eol, trailing_eol)| {
        let width = extra + 2;
        proptest::collection::vec(
            (
                select(vec![0usize, 0, 1]),
                proptest::collection::vec(
                    cell_from("ab1 ,\"\r\n\u{3000}あア株髙", 6),
                    1..width + 3,
                ),
            ),
            1..12,
        )
        .prop_map(move |records| Table {
            leading_blank: 0,
            header: header(extra),
            records,
            delimiter: b',',
            eol,
            trailing_eol,
        })
    })
}

fn opts_for(enc: Enc) -> OpenOptions {
    OpenOptions {
        encoding: (enc == Enc::Cp932Forced).then(|| "cp932".to_owned()),
        ..OpenOptions::default()
    }
}

fn got(row: SourceRow) -> Got {
    (row.row, row.fields, row.custom)
}

/// Replace the characters CP932 cannot hold (or reads back as another character).
fn cp932_only(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            let (b, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
            let back = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&b).0;
            if unmappable || back.chars().ne([c]) {
                'ア'
            } else {
                c
            }
        })
        .collect()
}

/// Read a generated table back and compare it with what was written.
fn check_round_trip(t: &Table, enc: Enc) -> Result<(), TestCaseError> {
    let mut t = t.clone();
    if matches!(enc, Enc::Cp932 | Enc::Cp932Forced) {
        for (_, cells) in &mut t.records {
            for c in cells {
                *c = cp932_only(c);
            }
        }
    }
    let t = &t;
    let text = t.text();
    let Some(bytes) = encode(&text, enc) else {
        // CP932 cannot hold every character; those tables are covered in UTF-8.
        return Ok(());
    };
    let expected = t.expected(t.records.len());
    let name = if t.delimiter == b'\t' {
        "p.tsv"
    } else {
        "p.csv"
    };
    match SourceFile::from_bytes(name, bytes, &opts_for(enc)) {
        Ok(mut f) => {
            if enc == Enc::Cp932 && f.encoding.as_deref() != Some("Shift_JIS") {
                // Too little Japanese text to recognise CP932 (a few characters decode
                // as well in other encodings); a forced encoding covers this case.
                return Ok(());
            }
            prop_assert_eq!(f.header_row, t.header_row());
            let got: Vec<Got> = f
                .rows()
                .map(|r| r.map(got))
                .collect::<Result<_, _>>()
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(got, expected, "text {:?}", text);
        }
        Err(IngestError::HeaderOnly) => prop_assert!(expected.is_empty()),
        Err(e) if enc == Enc::Cp932 => {
            // A wrong guess must still fail cleanly, never read garbage.
            check_error(&e, raw_breaks(text.as_bytes()) + 1)?;
        }
        Err(e) => prop_assert!(false, "unexpected error {e:?} for {text:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes open or fail with an error naming a row or the file; never panic.
    #[test]
    fn csv_arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        name in select(vec!["x.csv", "x.tsv", "x.vcf", "x"]),
    ) {
        read_all_checked(name, bytes)?;
    }

    /// CSV-like byte soup (quotes, delimiters, line breaks, invalid bytes, BOMs, known
    /// headers, Zoom section titles) does the same.
    #[test]
    fn csv_token_soup_never_panics(
        tokens in proptest::collection::vec(select(vec![
            &b","[..], b"\"", b"\r", b"\n", b"\r\n", b"\t", b";", b" ", b"a", b"1",
            "会社名".as_bytes(), "メール".as_bytes(), "氏名".as_bytes(), "あ".as_bytes(),
            b"\xEF\xBB\xBF", b"\xFF", b"\x82\xA0", b"\x00", b"Attendee Details",
            b"Attendee Report", b"Join Time", b"Leave Time", b"Time in Session (minutes)",
            b"Email", b"10/01/2025 10:00:00 AM", b"=\"", b"PK\x03\x04",
        ]), 0..120),
        name in select(vec!["x.csv", "x.tsv"]),
    ) {
        read_all_checked(name, tokens.concat())?;
    }

    /// Rectangular tables round-trip cell for cell in every encoding and delimiter, with
    /// blank lines counted as rows and multi-line cells as one row.
    #[test]
    fn csv_tables_round_trip(t in table(), enc in enc()) {
        check_round_trip(&t, enc)?;
    }

    /// Ragged rows are accepted: missing cells are empty, extra cells become `列X`.
    #[test]
    fn csv_ragged_rows_round_trip(t in ragged_table(), enc in select(vec![Enc::Utf8, Enc::Cp932Forced])) {
        check_round_trip(&t, enc)?;
    }

    /// An unclosed quote fails at the row where it opens; the rows before it read fine.
    #[test]
    fn csv_unclosed_quote_names_its_row(
        t in table(),
        at in any::<proptest::sample::Index>(),
        column in any::<proptest::sample::Index>(),
        swallowed in proptest::collection::vec(cell_from("ab1 ,\r\nあ株", 6), 0..4),
    ) {
        let k = at.index(t.records.len());
        let col = column.index(t.header.len());
        let row = t.rows()[k];
        let expected = t.expected(k);
        let (blank, cells) = t.records[k].clone();
        let mut prefix = t.clone();
        prefix.records.truncate(k);
        prefix.trailing_eol = false;
        let eol = t.eol.as_str();
        let mut text = prefix.text();
        text.push_str(&eol.repeat(blank + 1));
        if col > 0 {
            text.push_str(&write_record(&cells[..col], t.delimiter));
            text.push(t.delimiter as char);
        }
        text.push('"');
        text.push_str(&swallowed.join(eol));
        let result = SourceFile::from_bytes("q.csv", text.clone().into_bytes(), &OpenOptions::default());
        let err = match result {
            Err(e) => {
                prop_assert!(expected.is_empty(), "open failed with {e:?}; {text:?}");
                e
            }
            Ok(mut f) => {
                let mut items: Vec<_> = f.rows().collect();
                let last = items.pop().expect("an error at least");
                let ok: Vec<Got> = items.into_iter().map(|r| got(r.unwrap())).collect();
                prop_assert_eq!(ok, expected, "{:?}", text);
                match last {
                    Err(e) => e,
                    Ok(r) => { prop_assert!(false, "last item {r:?} for {text:?}"); unreachable!() }
                }
            }
        };
        prop_assert!(matches!(err, IngestError::UnclosedQuote { row: r } if r == row), "{err:?}, expected row {row}; {text:?}");
        prop_assert!(err.to_string().starts_with(&format!("row {row}: a quoted cell is never closed")), "{err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A cell over 64 KiB rejects the file at its row and column, wherever it is.
    #[test]
    fn csv_huge_cell_names_row_and_column(
        t in table(),
        at in any::<proptest::sample::Index>(),
        column in any::<proptest::sample::Index>(),
        extra in 1usize..100,
    ) {
        let mut t = t;
        let k = at.index(t.records.len());
        let col = column.index(t.header.len());
        let big = "髙".repeat(MAX_CELL_BYTES / 3 + extra);
        let bytes = big.len();
        t.records[k].1[col] = big;
        let row = t.rows()[k];
        let expected = t.expected(k);
        let text = t.text();
        let err = match SourceFile::from_bytes("big.csv", text.clone().into_bytes(), &OpenOptions::default()) {
            Err(e) => {
                prop_assert!(expected.is_empty(), "open failed with {e:?}");
                e
            }
            Ok(mut f) => {
                let mut ok = Vec::new();
                let mut err = None;
                for item in f.rows() {
                    match item {
                        Ok(r) => ok.push(got(r)),
                        Err(e) => err = Some(e),
                    }
                }
                prop_assert_eq!(ok, expected);
                err.expect("the huge cell is an error")
            }
        };
        let msg = err.to_string();
        prop_assert!(
            matches!(&err, IngestError::CellTooLarge { row: r, column: c, bytes: b }
                if *r == row && *c == t.header[col] && *b == bytes),
            "{err:?}, expected row {row}, column {}", t.header[col]
        );
        let prefix = format!("row {row}, column \"{}\": the cell is {bytes} bytes long", t.header[col]);
        prop_assert!(msg.starts_with(&prefix), "{msg}");
    }
}

// ---------------------------------------------------------------------------------------
// vCard

#[derive(Debug, Clone, Copy, PartialEq)]
enum Version {
    V21,
    V30,
    V40,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TelKind {
    Work,
    Cell,
    Fax,
}

#[derive(Debug, Clone)]
struct Adr {
    extended: String,
    street: String,
    locality: String,
    region: String,
    postcode: String,
    country: &'static str,
}

#[derive(Debug, Clone)]
struct Person {
    version: Version,
    full_name: String,
    family: String,
    given: String,
    family_kana: String,
    given_kana: String,
    sort_string: String,
    org: String,
    units: Vec<String>,
    org_kana: String,
    title: String,
    emails: Vec<String>,
    tels: Vec<(TelKind, String)>,
    adr: Option<Adr>,
    url: String,
    note: String,
    categories: Vec<String>,
    /// Group prefix (`item1.`) on EMAIL and lower-case property names.
    group: bool,
    lower: bool,
    /// 2.1: the charset of quoted-printable values.
    sjis: bool,
}

/// Text values: characters that need escaping (`, ; \`), newlines, colons, quotes,
/// spaces, kana and kanji.
fn vtext(max: usize) -> impl Strategy<Value = String> {
    cell_from("ab1 ,;\\:\"\n\u{3000}あアｱﾞ山田株式会社髙①", max)
}

fn reading() -> impl Strategy<Value = String> {
    cell_from("ヤマダタロウｱｲﾞ ", 6)
}

fn plain(max: usize) -> impl Strategy<Value = String> {
    cell_from("abcxyz", max).prop_map(|s| if s.is_empty() { "a".to_owned() } else { s })
}

fn person() -> impl Strategy<Value = Person> {
    let names = (
        select(vec![Version::V21, Version::V30, Version::V40]),
        vtext(8),
        vtext(4),
        vtext(4),
        reading(),
        reading(),
        reading(),
    );
    let org = (
        vtext(8),
        proptest::collection::vec(vtext(4), 0..3),
        reading(),
        vtext(6),
    );
    let contact = (
        proptest::collection::vec(
            (plain(5), plain(5)).prop_map(|(a, b)| format!("{a}@{b}.example")),
            0..3,
        ),
        proptest::collection::vec(
            (
                select(vec![TelKind::Work, TelKind::Cell, TelKind::Fax]),
                "\\+?[0-9]{1,4}(-[0-9]{1,4}){0,2}",
            ),
            0..3,
        ),
        proptest::option::of(
            (
                vtext(4),
                vtext(6),
                vtext(4),
                vtext(4),
                "[0-9]{3}-?[0-9]{4}|",
                select(vec!["", "日本", "Japan", "USA"]),
            )
                .prop_map(|(extended, street, locality, region, postcode, country)| {
                    Adr {
                        extended,
                        street,
                        locality,
                        region,
                        postcode,
                        country,
                    }
                }),
        ),
        proptest::option::of(plain(8)).prop_map(|u| {
            u.map(|u| format!("https://{u}.example/"))
                .unwrap_or_default()
        }),
    );
    let rest = (
        vtext(12),
        proptest::collection::vec(cell_from("VIP展示会ab1 ", 5), 0..3),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    );
    (names, org, contact, rest).prop_map(
        |(
            (version, full_name, family, given, family_kana, given_kana, sort_string),
            (org, units, org_kana, title),
            (emails, tels, adr, url),
            (note, categories, group, lower, sjis),
        )| Person {
            version,
            full_name,
            family,
            given,
            family_kana,
            given_kana,
            sort_string,
            org,
            units,
            org_kana,
            title,
            emails,
            tels,
            adr,
            url,
            note,
            categories,
            group,
            lower,
            sjis,
        },
    )
}

/// vCard text escaping (RFC 6350 3.4).
fn esc(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Quoted-printable with soft line breaks every ~70 characters.
fn qp(bytes: &[u8], eol: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for &b in bytes {
        let piece = if b.is_ascii_alphanumeric() {
            (b as char).to_string()
        } else {
            format!("={b:02X}")
        };
        if line + piece.len() > 70 {
            out.push('=');
            out.push_str(eol);
            line = 0;
        }
        line += piece.len();
        out.push_str(&piece);
    }
    out
}

impl Person {
    /// The property lines of this card, unfolded.
    fn lines(&self, eol: &str) -> Vec<(String, bool)> {
        let v = self.version;
        let mut lines: Vec<(String, bool)> = Vec::new();
        // (name and params, value already escaped); 2.1 values with non-ASCII text are
        // quoted-printable in their charset.
        let mut prop = |head: &str, value: String| {
            let head = if self.lower {
                head.to_ascii_lowercase()
            } else {
                head.to_owned()
            };
            if v == Version::V21 && !value.is_ascii() {
                let (charset, bytes) = if self.sjis {
                    let (b, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&value);
                    if unmappable
                        || encoding_rs::SHIFT_JIS.decode_without_bom_handling(&b).0 != value
                    {
                        ("UTF-8", value.as_bytes().to_vec())
                    } else {
                        ("SHIFT_JIS", b.into_owned())
                    }
                } else {
                    ("UTF-8", value.as_bytes().to_vec())
                };
                lines.push((
                    format!(
                        "{head};CHARSET={charset};ENCODING=QUOTED-PRINTABLE:{}",
                        qp(&bytes, eol)
                    ),
                    false,
                ));
            } else {
                lines.push((format!("{head}:{value}"), true));
            }
        };
        prop(
            "VERSION",
            match v {
                Version::V21 => "2.1",
                Version::V30 => "3.0",
                Version::V40 => "4.0",
            }
            .to_owned(),
        );
        let n_head =
            if v == Version::V40 && !(self.family_kana.is_empty() && self.given_kana.is_empty()) {
                format!("N;SORT-AS=\"{},{}\"", self.family_kana, self.given_kana)
            } else {
                "N".to_owned()
            };
        prop(
            &n_head,
            format!("{};{};;;", esc(&self.family), esc(&self.given)),
        );
        prop("FN", esc(&self.full_name));
        match v {
            Version::V21 => {
                if !(self.family_kana.is_empty() && self.given_kana.is_empty()) {
                    prop(
                        "SOUND;X-IRMC-N",
                        format!("{};{};;;", esc(&self.family_kana), esc(&self.given_kana)),
                    );
                }
            }
            Version::V30 => {
                prop("X-PHONETIC-LAST-NAME", esc(&self.family_kana));
                prop("X-PHONETIC-FIRST-NAME", esc(&self.given_kana));
                prop("SORT-STRING", esc(&self.sort_string));
            }
            Version::V40 => {}
        }
        let mut org = esc(&self.org);
        for u in &self.units {
            org.push(';');
            org.push_str(&esc(u));
        }
        if v == Version::V40 && !self.org_kana.is_empty() {
            prop(&format!("ORG;SORT-AS=\"{}\"", self.org_kana), org);
        } else {
            prop("ORG", org);
            if v == Version::V30 {
                prop("X-PHONETIC-ORG", esc(&self.org_kana));
            }
        }
        prop("TITLE", esc(&self.title));
        for (i, e) in self.emails.iter().enumerate() {
            let head = match (v, self.group) {
                (_, true) => format!("item{}.EMAIL;TYPE=INTERNET", i + 1),
                (Version::V21, false) => "EMAIL;INTERNET".to_owned(),
                (Version::V30, false) => "EMAIL;TYPE=INTERNET,WORK".to_owned(),
                (Version::V40, false) => "EMAIL;TYPE=work".to_owned(),
            };
            let value = if v == Version::V40 && i == 1 {
                format!("mailto:{e}")
            } else {
                e.clone()
            };
            prop(&head, value);
        }
        for (kind, number) in &self.tels {
            let (head, value) = match (v, kind) {
                (Version::V21, TelKind::Work) => ("TEL;WORK;VOICE", number.clone()),
                (Version::V21, TelKind::Cell) => ("TEL;CELL", number.clone()),
                (Version::V21, TelKind::Fax) => ("TEL;WORK;FAX", number.clone()),
                (Version::V30, TelKind::Work) => ("TEL;TYPE=WORK;TYPE=VOICE", number.clone()),
                (Version::V30, TelKind::Cell) => ("TEL;TYPE=CELL", number.clone()),
                (Version::V30, TelKind::Fax) => ("TEL;TYPE=WORK,FAX", number.clone()),
                (Version::V40, TelKind::Work) => {
                    ("TEL;VALUE=uri;TYPE=\"work,voice\"", format!("tel:{number}"))
                }
                (Version::V40, TelKind::Cell) => {
                    ("TEL;VALUE=uri;TYPE=\"cell,voice\"", format!("tel:{number}"))
                }
                (Version::V40, TelKind::Fax) => ("TEL;TYPE=fax", number.clone()),
            };
            prop(head, value);
        }
        if let Some(a) = &self.adr {
            prop(
                "ADR;TYPE=WORK",
                format!(
                    ";{};{};{};{};{};{}",
                    esc(&a.extended),
                    esc(&a.street),
                    esc(&a.locality),
                    esc(&a.region),
                    esc(&a.postcode),
                    esc(a.country)
                ),
            );
        }
        if !self.url.is_empty() {
            prop("URL", self.url.clone());
        }
        prop("NOTE", esc(&self.note));
        if !self.categories.is_empty() {
            prop(
                "CATEGORIES",
                self.categories
                    .iter()
                    .map(|c| esc(c))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        // Binary data is skipped.
        prop(
            "PHOTO;ENCODING=b;TYPE=JPEG",
            "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB".to_owned(),
        );
        lines
    }

    /// What the reader must give: fields in virtual-column order, and tags.
    fn expected(&self) -> (Vec<(LeadField, String)>, Vec<String>) {
        let mut f: Vec<(LeadField, String)> = Vec::new();
        let mut put = |field: LeadField, value: &str| {
            let v = value.trim();
            if !v.is_empty() {
                f.push((field, v.to_owned()));
            }
        };
        let has_kana = !(self.family_kana.is_empty() && self.given_kana.is_empty());
        put(LeadField::Name, &self.full_name);
        put(LeadField::FamilyName, &self.family);
        put(LeadField::GivenName, &self.given);
        if self.version == Version::V30 {
            put(LeadField::Kana, &self.sort_string);
        }
        if has_kana {
            put(LeadField::FamilyKana, &self.family_kana);
            put(LeadField::GivenKana, &self.given_kana);
        }
        put(LeadField::Company, &self.org);
        if self.version != Version::V21 {
            put(LeadField::CompanyKana, &self.org_kana);
        }
        let units: Vec<&str> = self
            .units
            .iter()
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
            .collect();
        put(LeadField::Department, &units.join(" "));
        put(LeadField::Title, &self.title);
        for e in &self.emails {
            put(LeadField::Email, e);
        }
        for kind in [TelKind::Work, TelKind::Cell, TelKind::Fax] {
            for (k, number) in &self.tels {
                if *k == kind {
                    let field = match kind {
                        TelKind::Work => LeadField::Phone,
                        TelKind::Cell => LeadField::Mobile,
                        TelKind::Fax => LeadField::Fax,
                    };
                    put(field, number);
                }
            }
        }
        if let Some(a) = &self.adr {
            put(LeadField::Postcode, &a.postcode);
            let mut parts: Vec<&str> = [&a.region, &a.locality, &a.street, &a.extended]
                .into_iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect();
            if matches!(a.country, "USA") {
                parts.push(a.country);
            }
            put(LeadField::Address, &parts.join(" "));
        }
        put(LeadField::Website, &self.url);
        put(LeadField::Note, &self.note);
        let mut tags: Vec<String> = Vec::new();
        for c in &self.categories {
            for t in c.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if !tags.iter().any(|x| x == t) {
                    tags.push(t.to_owned());
                }
            }
        }
        (f, tags)
    }
}

/// Fold a line (RFC 6350 3.2) after every `width` characters.
fn fold(line: &str, width: usize, eol: &str) -> String {
    let mut out = String::new();
    for (i, c) in line.chars().enumerate() {
        if i > 0 && i % width == 0 {
            out.push_str(eol);
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone)]
struct VcfFile {
    people: Vec<Person>,
    eol: Eol,
    /// Fold width for foldable lines (None: no folding).
    fold: Option<usize>,
    /// Blank lines between cards.
    blank: bool,
    enc: Enc,
}

impl VcfFile {
    fn card_texts(&self) -> Vec<String> {
        let eol = self.eol.as_str();
        self.people
            .iter()
            .map(|p| {
                let mut s = format!("BEGIN:VCARD{eol}");
                for (line, foldable) in p.lines(eol) {
                    match self.fold {
                        Some(w) if foldable => s.push_str(&fold(&line, w, eol)),
                        _ => s.push_str(&line),
                    }
                    s.push_str(eol);
                }
                s
            })
            .collect()
    }

    fn text(&self) -> String {
        let eol = self.eol.as_str();
        let mut s = String::new();
        for card in self.card_texts() {
            s.push_str(&card);
            s.push_str("END:VCARD");
            s.push_str(eol);
            if self.blank {
                s.push_str(eol);
            }
        }
        s
    }
}

fn vcf_file() -> impl Strategy<Value = VcfFile> {
    (
        proptest::collection::vec(person(), 1..5),
        select(vec![Eol::Lf, Eol::CrLf, Eol::Cr]),
        proptest::option::of(1usize..20),
        any::<bool>(),
        select(vec![Enc::Utf8, Enc::Utf8Bom, Enc::Cp932Forced]),
    )
        .prop_map(|(people, eol, fold, blank, enc)| VcfFile {
            people,
            eol,
            fold,
            blank,
            enc,
        })
}

fn vcard_rows(bytes: Vec<u8>, enc: Enc) -> Result<Vec<SourceRow>, IngestError> {
    let mut f = SourceFile::from_bytes("cards.vcf", bytes, &opts_for(enc))?;
    f.rows().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary text after `BEGIN:VCARD` never panics; errors name a card that exists.
    #[test]
    fn vcard_arbitrary_text_never_panics(text in "\\PC{0,300}", lf in any::<bool>()) {
        let text = format!("BEGIN:VCARD{}{text}", if lf { "\n" } else { "\r\n" });
        let cards = text.to_ascii_uppercase().matches("BEGIN:VCARD").count();
        match vcard_rows(text.clone().into_bytes(), Enc::Utf8) {
            Ok(rows) => prop_assert!(rows.iter().all(|r| r.row >= 1 && r.row <= cards)),
            Err(e) => check_error(&e, cards)?,
        }
    }

    /// vCard-like line soup (cards opened and closed anywhere, folding, soft line breaks,
    /// broken quoted-printable, unknown charsets) never panics.
    #[test]
    fn vcard_line_soup_never_panics(
        lines in proptest::collection::vec(select(vec![
            "BEGIN:VCARD", "END:VCARD", "VERSION:3.0", "N:山田;太郎;;;", "FN:a", " folded",
            "\tfolded", "", "TEL;CELL:090", "TEL;TYPE=\"cell:090", "EMAIL:mailto:", "ADR:;;;;;;;;;",
            "ADR:\\", "N;SORT-AS=\"a,b\":x", "ORG;SORT-AS=\"\":;;;", "CATEGORIES:,,",
            "N;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=82=A0=", "=82", "=",
            "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=KLINGON:=41", "NOTE;QUOTED-PRINTABLE:=E3=81",
            "SOUND;X-IRMC-N:;", "item1.EMAIL:x", ":", ";", "\"", "PHOTO;ENCODING=b:AAAA", "あ",
        ]), 0..40),
        eol in eol(),
    ) {
        let text = lines.join(eol.as_str());
        let lines_max = raw_breaks(text.as_bytes()) + 1;
        match SourceFile::from_bytes("x.vcf", text.clone().into_bytes(), &OpenOptions::default()) {
            Ok(mut f) => {
                // Without BEGIN:VCARD the file is read as CSV (rows are lines).
                let max = if f.layout == Layout::VCard {
                    text.matches("BEGIN:VCARD").count()
                } else {
                    lines_max
                };
                for item in f.rows() {
                    match item {
                        Ok(r) => prop_assert!(r.row >= 1 && r.row <= max, "{r:?}"),
                        Err(e) => check_error(&e, max)?,
                    }
                }
            }
            Err(e) => check_error(&e, lines_max)?,
        }
    }

    /// Generated cards (2.1 quoted-printable, 3.0, 4.0; folded; LF, CRLF or CR; UTF-8 or
    /// CP932) read back into the right fields, one row per non-empty card, numbered by
    /// card.
    #[test]
    fn vcards_round_trip(file in vcf_file()) {
        let text = file.text();
        let Some(bytes) = encode(&text, file.enc) else {
            return Ok(());
        };
        let expected: Vec<CardRow> = file
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (fields, tags) = p.expected();
                (i + 1, fields, tags)
            })
            .filter(|(_, f, t)| !f.is_empty() || !t.is_empty())
            .collect();
        match vcard_rows(bytes, file.enc) {
            Ok(rows) => {
                for r in &rows {
                    prop_assert!(r.custom.is_empty(), "{r:?}");
                }
                let got: Vec<_> = rows.into_iter().map(|r| (r.row, r.fields, r.tags)).collect();
                prop_assert_eq!(got, expected, "{:?}", text);
            }
            Err(IngestError::Empty) => prop_assert!(expected.is_empty()),
            Err(e) => prop_assert!(false, "{e:?} for {text:?}"),
        }
    }

    /// A file cut inside its last card fails at that card (the cards before it read
    /// fine), with a message naming the card.
    #[test]
    fn truncated_vcard_names_the_card(
        file in vcf_file(),
        cut in any::<proptest::sample::Index>(),
    ) {
        let mut file = file;
        file.enc = Enc::Utf8;
        let texts = file.card_texts();
        let k = texts.len();
        let eol = file.eol.as_str();
        let mut text = String::new();
        for card in &texts[..k - 1] {
            text.push_str(card);
            text.push_str("END:VCARD");
            text.push_str(eol);
        }
        // Cut the last card anywhere after its BEGIN line (on a character boundary).
        let last = &texts[k - 1];
        let begin_len = "BEGIN:VCARD".len() + eol.len();
        let boundaries: Vec<usize> = last
            .char_indices()
            .map(|(i, _)| i)
            .chain([last.len()])
            .filter(|&i| i >= begin_len)
            .collect();
        let at = boundaries[cut.index(boundaries.len())];
        text.push_str(&last[..at]);
        let expected: Vec<usize> = file.people[..k - 1]
            .iter()
            .enumerate()
            .filter(|(_, p)| { let (f, t) = p.expected(); !f.is_empty() || !t.is_empty() })
            .map(|(i, _)| i + 1)
            .collect();
        let err = match SourceFile::from_bytes("cut.vcf", text.clone().into_bytes(), &OpenOptions::default()) {
            Err(e) => {
                prop_assert!(expected.is_empty(), "open failed with {e:?}");
                e
            }
            Ok(mut f) => {
                let mut items: Vec<_> = f.rows().collect();
                let last = items.pop().expect("an error at least");
                let ok: Vec<usize> = items.into_iter().map(|r| r.unwrap().row).collect();
                prop_assert_eq!(ok, expected);
                match last {
                    Err(e) => e,
                    Ok(r) => { prop_assert!(false, "last item {r:?} for {text:?}"); unreachable!() }
                }
            }
        };
        let msg = err.to_string();
        prop_assert!(matches!(err, IngestError::VCard { card, .. } if card == k), "{err:?}, expected card {k}");
        prop_assert!(msg.starts_with(&format!("vCard card {k}")), "{msg}");
        prop_assert!(
            msg.contains("END:VCARD") || msg.contains("quoted-printable"),
            "{msg} for {text:?}"
        );
    }
}
