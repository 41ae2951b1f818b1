//! Names in Latin script (ローマ字): Hepburn romanisation of kana readings and a loose key
//! under which the ways people write their name in romaji agree.
//!
//! A Japanese name reaches Ondo in kanji with a furigana reading from one source
//! (`山田 太郎` / `ヤマダ タロウ`) and in romaji from another (`Taro Yamada`,
//! `YAMADA Taro`, `yamada taro`, `Ｔａｒｏ　Ｙａｍａｄａ`). [`hepburn`] turns the reading into
//! romaji, and [`romaji_key`] reduces either form to one key: lowercase, long vowels folded
//! (`Ohno`, `Ono`, `Oono`, `Ōno`, `Ohno` → `ono`), Hepburn and kunrei spellings made one
//! (`shi`/`si`, `tsu`/`tu`, `chi`/`ti`, `fu`/`hu`, `ji`/`zi`, `sha`/`sya`, `Homma`/`Honma`),
//! and the parts sorted, so that family-given and given-family order agree.

use crate::text::normalize_text;

/// The romaji of one katakana letter (modified Hepburn), or `None` for small kana, `ッ`, `ー` and non-kana.
fn syllable(c: char) -> Option<&'static str> {
    Some(match c {
        'ア' => "a",
        'イ' => "i",
        'ウ' => "u",
        'エ' => "e",
        'オ' => "o",
        'カ' | 'ヵ' => "ka",
        'キ' => "ki",
        'ク' => "ku",
        'ケ' | 'ヶ' => "ke",
        'コ' => "ko",
        'ガ' => "ga",
        'ギ' => "gi",
        'グ' => "gu",
        'ゲ' => "ge",
        'ゴ' => "go",
        'サ' => "sa",
        'シ' => "shi",
        'ス' => "su",
        'セ' => "se",
        'ソ' => "so",
        'ザ' => "za",
        'ジ' | 'ヂ' => "ji",
        'ズ' | 'ヅ' => "zu",
        'ゼ' => "ze",
        'ゾ' => "zo",
        'タ' => "ta",
        'チ' => "chi",
        'ツ' => "tsu",
        'テ' => "te",
        'ト' => "to",
        'ダ' => "da",
        'デ' => "de",
        'ド' => "do",
        'ナ' => "na",
        'ニ' => "ni",
        'ヌ' => "nu",
        'ネ' => "ne",
        'ノ' => "no",
        'ハ' => "ha",
        'ヒ' => "hi",
        'フ' => "fu",
        'ヘ' => "he",
        'ホ' => "ho",
        'バ' => "ba",
        'ビ' => "bi",
        'ブ' => "bu",
        'ベ' => "be",
        'ボ' => "bo",
        'パ' => "pa",
        'ピ' => "pi",
        'プ' => "pu",
        'ペ' => "pe",
        'ポ' => "po",
        'マ' => "ma",
        'ミ' => "mi",
        'ム' => "mu",
        'メ' => "me",
        'モ' => "mo",
        'ヤ' => "ya",
        'ユ' => "yu",
        'ヨ' => "yo",
        'ラ' => "ra",
        'リ' => "ri",
        'ル' => "ru",
        'レ' => "re",
        'ロ' => "ro",
        'ワ' => "wa",
        'ヰ' => "i",
        'ヱ' => "e",
        'ヲ' => "o",
        'ン' => "n",
        'ヴ' => "vu",
        _ => return None,
    })
}

/// The vowel a small kana stands for (`ャ` → `a`, `ィ` → `i` …) and whether it is a y-glide.
fn small_kana(c: char) -> Option<(&'static str, bool)> {
    Some(match c {
        'ャ' => ("a", true),
        'ュ' => ("u", true),
        'ョ' => ("o", true),
        'ァ' => ("a", false),
        'ィ' => ("i", false),
        'ゥ' => ("u", false),
        'ェ' => ("e", false),
        'ォ' => ("o", false),
        'ヮ' => ("a", false),
        _ => return None,
    })
}

/// Maps a hiragana letter to its katakana; other characters are unchanged.
fn to_katakana_char(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Returns true for the five vowels.
fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'i' | 'u' | 'e' | 'o')
}

/// Romanises a reading in katakana or hiragana (half-width too) with modified Hepburn, lowercase.
///
/// Long vowels are spelled as the kana spell them (`サトウ` → `satou`, `オオノ` → `oono`,
/// `ユーキ` → `yuuki`: `ー` repeats the vowel), `ン` is `n` (`n'` before a vowel or `y`),
/// `ッ` doubles the next consonant (`ハットリ` → `hattori`, `ハッチョウ` → `hatchou`), and
/// yōon and the small vowels of loanwords are joined (`シュン` → `shun`, `ティ` → `ti`,
/// `フェ` → `fe`, `ウィ` → `wi`). Spaces and `・` become one space; other characters are dropped.
pub fn hepburn(kana: &str) -> String {
    hepburn_normalised(&normalize_text(kana))
}

/// [`hepburn`] of text that is already normalised ([`normalize_text`]); hiragana is read as katakana.
fn hepburn_normalised(kana: &str) -> String {
    let mut out = String::with_capacity(kana.len());
    let mut double_next = false;
    let mut chars = kana.chars().map(to_katakana_char).peekable();
    while let Some(c) = chars.next() {
        if let Some(s) = syllable(c) {
            if double_next {
                let first = s.chars().next().unwrap_or('t');
                // ッチ is tchi in Hepburn; a doubled vowel or n does not exist.
                if first == 'c' {
                    out.push('t');
                } else if !is_vowel(first) && first != 'n' {
                    out.push(first);
                }
                double_next = false;
            }
            out.push_str(s);
            if c == 'ン'
                && chars.peek().is_some_and(|&n| {
                    syllable(n).is_some_and(|s| s.starts_with(is_vowel) || s.starts_with('y'))
                })
            {
                out.push('\'');
            }
        } else if let Some((vowel, glide)) = small_kana(c) {
            // Replace the vowel of the syllable before: キャ kya, シャ sha, ファ fa, ウィ wi.
            let Some(previous) = out.chars().last().filter(|&p| is_vowel(p)) else {
                out.push_str(vowel);
                continue;
            };
            out.pop();
            let stem_empty =
                out.is_empty() || out.ends_with([' ', '\'']) || out.ends_with(is_vowel);
            let soft = out.ends_with("sh") || out.ends_with("ch") || out.ends_with('j');
            if glide {
                // キャ kya, シャ sha, ジャ ja; テュ tyu.
                if !(soft && previous == 'i') {
                    out.push('y');
                }
            } else if stem_empty {
                // ウィ wi, イェ ye; a small vowel after another vowel is just that vowel.
                match previous {
                    'u' => out.push('w'),
                    'i' => out.push('y'),
                    other => out.push(other),
                }
            }
            out.push_str(vowel);
        } else if c == 'ッ' {
            double_next = true;
        } else if c == 'ー' {
            if let Some(v) = out.chars().last().filter(|&v| is_vowel(v)) {
                out.push(v);
            }
        } else if c == ' ' || c == '・' {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            double_next = false;
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// Maps a Latin letter with a macron or circumflex (ō, Ô, ū …) to its plain lowercase letter.
fn plain_letter(c: char) -> Option<char> {
    let lower = c.to_ascii_lowercase();
    if lower.is_ascii_lowercase() {
        return Some(lower);
    }
    Some(match c {
        'ā' | 'â' | 'Ā' | 'Â' => 'a',
        'ī' | 'î' | 'Ī' | 'Î' => 'i',
        'ū' | 'û' | 'Ū' | 'Û' => 'u',
        'ē' | 'ê' | 'Ē' | 'Ê' => 'e',
        'ō' | 'ô' | 'Ō' | 'Ô' => 'o',
        _ => return None,
    })
}

/// Spellings folded to one form, longest first at each position (Hepburn and wāpuro to kunrei-like).
const FOLDS: &[(&str, &str)] = &[
    ("tchi", "tti"),
    ("cchi", "tti"),
    ("tch", "tty"),
    ("cch", "tty"),
    ("chi", "ti"),
    ("shi", "si"),
    ("tsu", "tu"),
    ("jy", "zy"),
    ("ji", "zi"),
    ("di", "zi"),
    ("du", "zu"),
    ("dz", "z"),
    ("ch", "ty"),
    ("sh", "sy"),
    ("fu", "hu"),
    ("mb", "nb"),
    ("mp", "np"),
    ("mm", "nm"),
    ("j", "zy"),
];

/// Folds one part of a name written in lowercase ASCII letters to its loose form.
///
/// Spelling systems are unified by [`FOLDS`]; then long vowels are folded: `h` after `o` or
/// `u` before a consonant or the end (`Ohno`, `Satoh`, `Yuhki`), `ou`, and any doubled vowel.
fn fold_part(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut spelled: Vec<u8> = Vec::with_capacity(bytes.len() + 2);
    let mut i = 0;
    'outer: while i < bytes.len() {
        for (from, to) in FOLDS {
            if bytes[i..].starts_with(from.as_bytes()) {
                spelled.extend_from_slice(to.as_bytes());
                i += from.len();
                continue 'outer;
            }
        }
        spelled.push(bytes[i]);
        i += 1;
    }
    let vowel = |b: u8| matches!(b, b'a' | b'i' | b'u' | b'e' | b'o');
    let mut out = String::with_capacity(spelled.len());
    for (i, &c) in spelled.iter().enumerate() {
        let last = out.as_bytes().last().copied();
        if c == b'h'
            && matches!(last, Some(b'o' | b'u'))
            && spelled.get(i + 1).is_none_or(|&n| !vowel(n))
        {
            continue;
        }
        if vowel(c) && (last == Some(c) || (c == b'u' && last == Some(b'o'))) {
            continue;
        }
        out.push(char::from(c));
    }
    out
}

/// How a name is written, as far as romaji goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Latin letters only (with spaces, dots, hyphens, commas, apostrophes, macrons).
    Latin,
    /// Kana only (hiragana, katakana, half-width katakana, `ー`), with spaces.
    Kana,
    /// Anything else: kanji, or a mixture.
    Other,
}

/// Tells whether a name is written in Latin letters, in kana, or otherwise (normalises width first).
pub fn script(name: &str) -> Script {
    let name = normalize_text(name);
    script_of_normalised(&name)
}

/// [`script`] of text that is already normalised (NFKC).
pub(crate) fn script_of_normalised(name: &str) -> Script {
    let mut latin = false;
    let mut kana = false;
    for c in name.chars() {
        if plain_letter(c).is_some() {
            latin = true;
        } else if crate::text::is_kana(c) {
            kana = true;
        } else if !(c.is_whitespace() || matches!(c, '.' | '-' | '_' | ',' | '\'' | '・')) {
            return Script::Other;
        }
    }
    match (latin, kana) {
        (true, false) => Script::Latin,
        (false, true) => Script::Kana,
        _ => Script::Other,
    }
}

/// The loose key of a name written in Latin letters or kana, or `None` for anything else.
///
/// Kana is romanised with [`hepburn`] first. Parts are separated by spaces or commas (or,
/// in a name with no space, by `.` or `_`); hyphens, dots and apostrophes inside a
/// part are dropped (`Shin-ichi`, `Shin'ichi` → `sinichi`); each part is folded (see the
/// module doc) and the parts are sorted and joined by one space, so `Taro Yamada`,
/// `YAMADA, Taro`, `yamada taro`, `Ｔａｒｏ　Ｙａｍａｄａ` and `ヤマダ タロウ` all give
/// `taro yamada`. A name written without a separator (`ヤマダタロウ`) stays one part:
/// compare keys with [`romaji_keys_agree`].
pub fn romaji_key(name: &str) -> Option<String> {
    romaji_key_normalised(&normalize_text(name))
}

/// [`romaji_key`] of text that is already normalised ([`normalize_text`], e.g. a [`PersonName`](crate::PersonName)).
pub(crate) fn romaji_key_normalised(name: &str) -> Option<String> {
    let hepburn;
    let latin = match script_of_normalised(name) {
        Script::Latin => name,
        Script::Kana => {
            hepburn = hepburn_normalised(name);
            hepburn.as_str()
        }
        Script::Other => return None,
    };
    let mut parts: Vec<&str> = latin
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() == 1 {
        parts = parts[0]
            .split(['.', '_'])
            .filter(|p| !p.is_empty())
            .collect();
    }
    let mut folded: Vec<String> = parts
        .iter()
        .map(|p| p.chars().filter_map(plain_letter).collect::<String>())
        .filter(|p| !p.is_empty())
        .map(|p| fold_part(&p))
        .collect();
    if folded.is_empty() {
        return None;
    }
    folded.sort_unstable();
    Some(folded.join(" "))
}

/// Returns true if two [`romaji_key`]s name the same person: equal, or one written without
/// a separator (`yamadataro`) equal to the other's two parts joined in either order.
pub fn romaji_keys_agree(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let joined_either_way = |whole: &str, split: &str| {
        split.split_once(' ').is_some_and(|(p, q)| {
            !q.contains(' ')
                && whole.len() == p.len() + q.len()
                && ((whole.starts_with(p) && whole.ends_with(q))
                    || (whole.starts_with(q) && whole.ends_with(p)))
        })
    };
    match (a.contains(' '), b.contains(' ')) {
        (false, true) => joined_either_way(a, b),
        (true, false) => joined_either_way(b, a),
        _ => false,
    }
}

/// The parts of a key joined without a separator, in every order [`romaji_keys_agree`] accepts:
/// both orders for two parts, otherwise one string. Used for blocking.
pub fn romaji_joined(key: &str) -> Vec<String> {
    match key.split_once(' ') {
        Some((p, q)) if !q.contains(' ') => vec![format!("{p}{q}"), format!("{q}{p}")],
        _ => vec![key.replace(' ', "")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn romanises_readings_in_hepburn() {
        for (kana, romaji) in [
            ("ヤマダ タロウ", "yamada tarou"),
            ("さとう けん", "satou ken"),
            ("ｼﾊﾞﾀ ﾏｻﾋﾛ", "shibata masahiro"),
            ("オオノ", "oono"),
            ("ユーキ", "yuuki"),
            ("ハットリ", "hattori"),
            ("ハッチョウ", "hatchou"),
            ("シュンスケ", "shunsuke"),
            ("ジュンイチ", "jun'ichi"),
            ("シンヤ", "shin'ya"),
            ("チヒロ", "chihiro"),
            ("ツヨシ", "tsuyoshi"),
            ("フジ", "fuji"),
            ("キョウコ", "kyouko"),
            ("リュウノスケ", "ryuunosuke"),
            ("ホンマ", "honma"),
            ("ティナ", "tina"),
            ("フェイ", "fei"),
            ("ウィリアム", "wiriamu"),
            ("ヂャ", "ja"),
            ("ヤマダ・タロウ", "yamada tarou"),
        ] {
            assert_eq!(hepburn(kana), romaji, "{kana}");
        }
    }

    #[test]
    fn ways_of_writing_a_name_in_romaji_agree() {
        let key = |s: &str| romaji_key(s).expect(s);
        let taro = key("ヤマダ タロウ");
        assert_eq!(taro, "taro yamada");
        for written in [
            "Taro Yamada",
            "YAMADA Taro",
            "yamada taro",
            "Yamada, Taro",
            "Ｔａｒｏ　Ｙａｍａｄａ",
            "Tarou Yamada",
            "Taroh YAMADA",
            "Tarō Yamada",
            "やまだ たろう",
            "Yamada.Taro",
        ] {
            assert_eq!(key(written), taro, "{written}");
        }
        for ono in [
            "Ohno",
            "Ono",
            "Oono",
            "Ōno",
            "Ôno",
            "OHNO",
            "オオノ",
            "オーノ",
        ] {
            assert_eq!(key(ono), "ono", "{ono}");
        }
        for (a, b) in [
            ("Shinichi", "シンイチ"),
            ("Shin-ichi", "Shin'ichi"),
            ("Siniti", "Shinichi"),
            ("Tsutomu", "Tutomu"),
            ("Fujita", "Huzita"),
            ("Junko", "Zyunko"),
            ("Shoko", "Syouko"),
            ("Homma", "ホンマ"),
            ("Sampei", "サンペイ"),
            ("Hattori", "ハットリ"),
            ("Hatchobori", "ハッチョウボリ"),
            ("Yusuke", "ユウスケ"),
            ("Ryunosuke", "リュウノスケ"),
            ("Satoh", "サトウ"),
            ("Ohashi", "オオハシ"),
            ("Niigata", "Nigata"),
        ] {
            assert_eq!(key(a), key(b), "{a} / {b}");
        }
        for (a, b) in [
            ("Taro Yamada", "Jiro Yamada"),
            ("Kato", "Kito"),
            ("Yuki Ono", "Yuka Ono"),
        ] {
            assert_ne!(key(a), key(b), "{a} / {b}");
        }
    }

    #[test]
    fn kanji_and_mixed_names_have_no_key() {
        assert_eq!(romaji_key("山田 太郎"), None);
        assert_eq!(romaji_key("山田 Taro"), None);
        assert_eq!(romaji_key("  "), None);
        assert_eq!(romaji_key("..."), None);
        assert_eq!(script("Ｔａｒｏ"), Script::Latin);
        assert_eq!(script("ﾀﾛｳ"), Script::Kana);
        assert_eq!(script("太郎"), Script::Other);
    }

    #[test]
    fn a_name_written_without_a_separator_agrees_in_either_order() {
        let joined = romaji_key("ヤマダタロウ").expect("kana");
        assert_eq!(joined, "yamadataro");
        let split = romaji_key("Taro Yamada").expect("latin");
        assert!(romaji_keys_agree(&joined, &split));
        assert!(romaji_keys_agree(&split, &joined));
        assert!(romaji_keys_agree(
            &romaji_key("taroyamada").expect("latin"),
            &split
        ));
        assert!(!romaji_keys_agree(
            &romaji_key("yamadajiro").expect("latin"),
            &split
        ));
        assert!(!romaji_keys_agree("taro", &split));
        let blocks = romaji_joined(&split);
        assert!(blocks.contains(&joined));
        assert_eq!(romaji_joined(&joined), vec![joined.clone()]);
    }

    const KANA: &str = "[アイウエオカキクケコガギグゲゴサシスセソザジズゼゾタチツテトダデドナニヌネノハヒフヘホバビブベボパピプペポマミムメモヤユヨラリルレロワンッーャュョァィゥェォ]";

    /// Random katakana words, two of them separated by a space when `two` is set.
    fn kana_name(two: bool) -> impl Strategy<Value = String> {
        let word = format!("{KANA}{{1,7}}");
        let pattern = if two {
            format!("{word}( {word})?")
        } else {
            word
        };
        proptest::string::string_regex(&pattern).expect("a valid pattern")
    }

    proptest! {
        #[test]
        fn romanisation_is_ascii_and_deterministic(s in kana_name(true)) {
            let r = hepburn(&s);
            prop_assert!(r.chars().all(|c| c.is_ascii_lowercase() || c == ' ' || c == '\''), "{}", r);
            prop_assert_eq!(&r, &hepburn(&s));
        }

        #[test]
        fn key_ignores_order_case_width_and_script(family in kana_name(false), given in kana_name(false)) {
            let kana = romaji_key(&format!("{family} {given}"));
            let swapped = romaji_key(&format!("{given} {family}"));
            prop_assert_eq!(&kana, &swapped);
            let latin = format!("{} {}", hepburn(&given).to_uppercase(), hepburn(&family));
            if let Some(k) = &kana {
                prop_assert_eq!(Some(k.clone()), romaji_key(&latin));
                let wide: String = latin.chars().map(|c| if c.is_ascii_graphic() {
                    char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
                } else { c }).collect();
                prop_assert_eq!(Some(k.clone()), romaji_key(&wide));
                // Keys are folded: folding again changes nothing.
                for part in k.split(' ') {
                    prop_assert_eq!(fold_part(part), part);
                }
            }
        }
    }
}
