//! Text normalisation for Japanese business data (width, dashes, kana, whitespace).

use unicode_normalization::UnicodeNormalization;

/// Returns true for hiragana, katakana and the prolonged sound mark `ー`.
pub fn is_kana(c: char) -> bool {
    matches!(
        c,
        '\u{3041}'..='\u{3096}'
            | '\u{309D}'..='\u{309F}'
            | '\u{30A1}'..='\u{30FA}'
            | '\u{30FC}'..='\u{30FF}'
            | '\u{31F0}'..='\u{31FF}'
    )
}

/// Returns true for characters people use as a hyphen, dash, minus or long vowel mark.
pub fn is_dash_like(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}'
                | '\u{2043}'
                | '\u{2212}'
                | '\u{2500}'
                | '\u{2501}'
                | '\u{30FC}'
                | '\u{FE58}'
                | '\u{FE63}'
                | '\u{FF0D}'
                | '\u{FF70}'
    )
}

/// Returns true for the wave dashes `〜` and `～`.
fn is_wave_dash(c: char) -> bool {
    matches!(c, '\u{301C}' | '\u{FF5E}')
}

/// Invisible characters that only get in the way (zero-width space, BOM, word joiner, soft hyphen).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}')
}

/// Returns true for text NFKC leaves as it is, judged without tables: ASCII, the CJK
/// unified ideographs, and hiragana and katakana letters with `ー` (kana compose only
/// with the combining sound marks U+3099/U+309A, which are not in the set).
fn plainly_normalised(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_ascii()
            || matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | 'ー')
    })
}

/// NFKC after removing invisible characters.
fn nfkc(s: &str) -> String {
    // Most values are already normalised; the checks find that without decomposing.
    if plainly_normalised(s) {
        return s.to_string();
    }
    if !s.chars().any(is_invisible)
        && unicode_normalization::is_nfkc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        return s.to_string();
    }
    s.chars().filter(|c| !is_invisible(*c)).nfkc().collect()
}

/// NFKC of text without invisible characters.
fn nfkc_again(s: &str) -> String {
    if plainly_normalised(s)
        || unicode_normalization::is_nfkc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        return s.to_string();
    }
    s.nfkc().collect()
}

/// Maps dash-like characters to `ー` after kana and to `-` elsewhere, and wave dashes to `~`.
fn unify_dashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let mapped = if is_dash_like(c) {
            if prev.is_some_and(is_kana) {
                'ー'
            } else {
                '-'
            }
        } else if is_wave_dash(c) {
            '~'
        } else {
            c
        };
        out.push(mapped);
        prev = Some(mapped);
    }
    out
}

/// Trims and collapses every run of whitespace to a single ASCII space.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Converts hiragana to katakana, leaving every other character alone.
pub fn hiragana_to_katakana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3041}'..='\u{3096}' | '\u{309D}'..='\u{309E}' => {
                char::from_u32(c as u32 + 0x60).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

/// Normalises free text: NFKC, unified dashes and wave dashes, trimmed, single spaces.
///
/// A dash-like character directly after kana becomes the long vowel mark `ー`
/// (so `カード` and `ｶｰﾄﾞ` both become `カード`); anywhere else it becomes `-`.
pub fn normalize_text(s: &str) -> String {
    collapse_whitespace(&unify_dashes(&nfkc(s)))
}

/// Normalises a reading (furigana) to full-width katakana without any whitespace.
pub fn to_katakana(s: &str) -> String {
    let compact: String = nfkc(s).chars().filter(|c| !c.is_whitespace()).collect();
    // NFKC again: removing whitespace or switching to katakana may enable compositions.
    unify_dashes(&nfkc_again(&hiragana_to_katakana(&compact)))
}

/// Normalises a reading (furigana) for display: full-width katakana, with one space
/// where the input separated family and given name ("やまだ　たろう" → "ヤマダ タロウ").
pub fn reading(s: &str) -> String {
    hiragana_to_katakana(&normalize_text(s))
}

/// Builds a key for substring search: normalised, lowercase, katakana, no whitespace.
///
/// Whitespace is removed before dashes are unified, so `カ -` and `カー` share a key.
pub fn search_key(s: &str) -> String {
    let folded = to_katakana(s).to_lowercase();
    // Lowercasing can expose new compositions; run the reading normalisation once more.
    to_katakana(&folded)
}

/// The key lead search matches on: [`search_key`] with variant kanji folded (髙/高, 﨑/崎,
/// 齋/斎, 邊/辺 … see [`fold_variants`](crate::fold_variants)), so that 渡辺 finds 渡邊
/// and 髙橋 finds 高橋. Idempotent, like [`search_key`].
pub fn search_fold(s: &str) -> String {
    crate::matching::fold_variants(&search_key(s))
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_fast_normalisation_check_agrees_with_nfkc(s in "[a-zA-Z0-9 ー\u{3041}-\u{3096}\u{3099}-\u{309C}\u{30A1}-\u{30FA}\u{4E00}-\u{4E10}\u{FF10}-\u{FF5A}\u{F900}-\u{F910}]{0,12}") {
            if plainly_normalised(&s) {
                prop_assert_eq!(s.nfkc().collect::<String>(), s.clone());
            }
            prop_assert_eq!(nfkc(&s), s.nfkc().collect::<String>());
        }
    }

    #[test]
    fn search_fold_matches_variant_kanji_both_ways() {
        assert_eq!(search_fold("渡邊 一郎"), search_fold("渡辺一郎"));
        assert_eq!(search_fold("髙橋"), "高橋");
        assert_eq!(search_fold("山﨑"), "山崎");
        assert_eq!(search_fold("齋藤"), search_fold("斉藤"));
        assert_eq!(search_fold("ｻｲﾄｳ"), "サイトウ");
        assert_ne!(search_fold("佐藤"), search_fold("斎藤"));
    }

    proptest! {
        #[test]
        fn search_fold_is_idempotent(s in "[a-zA-Z0-9 \u{3041}-\u{3096}\u{30A1}-\u{30FA}髙﨑齋斉邊澤濱嶋高崎斎辺沢浜島山田]{0,12}") {
            let once = search_fold(&s);
            prop_assert_eq!(search_fold(&once), once);
        }
    }

    #[test]
    fn half_width_katakana_becomes_full_width() {
        assert_eq!(normalize_text("ｶﾌﾞｼｷｶﾞｲｼｬ"), "カブシキガイシャ");
        assert_eq!(normalize_text("ｶｰﾄﾞ"), "カード");
    }

    #[test]
    fn full_width_ascii_becomes_ascii() {
        assert_eq!(normalize_text("ＡＢＣ商事　１２３"), "ABC商事 123");
        assert_eq!(normalize_text("（株）ＡＢＣ"), "(株)ABC");
    }

    #[test]
    fn long_vowel_mark_is_kept_after_kana() {
        assert_eq!(normalize_text("カード"), "カード");
        assert_eq!(normalize_text("コーヒー"), "コーヒー");
        assert_eq!(normalize_text("すーぱー"), "すーぱー");
        // ASCII or full-width hyphen typed in place of ー.
        assert_eq!(normalize_text("コ-ヒ-"), "コーヒー");
        assert_eq!(normalize_text("サ－ビス"), "サービス");
    }

    #[test]
    fn dashes_elsewhere_become_ascii_hyphen() {
        assert_eq!(normalize_text("東京都千代田区1−2−3"), "東京都千代田区1-2-3");
        assert_eq!(normalize_text("03‐1234―5678"), "03-1234-5678");
        assert_eq!(normalize_text("A–B—C"), "A-B-C");
        assert_eq!(normalize_text("１ー２"), "1-2");
        assert_eq!(normalize_text("ーABC"), "-ABC");
    }

    #[test]
    fn wave_dash_becomes_tilde() {
        assert_eq!(normalize_text("9:00〜18:00"), "9:00~18:00");
        assert_eq!(normalize_text("9:00～18:00"), "9:00~18:00");
    }

    #[test]
    fn whitespace_is_trimmed_and_collapsed() {
        assert_eq!(
            normalize_text("  山田\u{3000}\u{3000}太郎 \t\n"),
            "山田 太郎"
        );
        assert_eq!(normalize_text("\u{3000}"), "");
        assert_eq!(normalize_text("a\u{200B}b\u{FEFF}"), "ab");
    }

    #[test]
    fn to_katakana_converts_readings() {
        assert_eq!(to_katakana("ｶﾌﾞｼｷｶﾞｲｼｬ"), "カブシキガイシャ");
        assert_eq!(to_katakana("やまだ　たろう"), "ヤマダタロウ");
        assert_eq!(to_katakana("さかたのたね"), "サカタノタネ");
        assert_eq!(to_katakana("ゔぁいおりん"), "ヴァイオリン");
        assert_eq!(to_katakana("すーぱー"), "スーパー");
        assert_eq!(to_katakana("ｽｰﾊﾟｰ ﾏｰｹｯﾄ"), "スーパーマーケット");
    }

    #[test]
    fn search_key_folds_case_width_kana_and_spaces() {
        assert_eq!(search_key("ＡＢＣ　Trading"), "abctrading");
        assert_eq!(search_key("さかた の たね"), "サカタノタネ");
        assert_eq!(search_key("ｻｶﾀﾉﾀﾈ"), "サカタノタネ");
        assert!(search_key("株式会社サカタのタネ").contains(&search_key("さかたのたね")));
    }

    #[test]
    fn hiragana_to_katakana_leaves_other_text() {
        assert_eq!(
            hiragana_to_katakana("ひらがなとABC漢字ゝ"),
            "ヒラガナトABC漢字ヽ"
        );
    }

    const IDEOGRAPHIC_SPACE: char = '\u{3000}';
    const HIRAGANA: std::ops::RangeInclusive<char> = '\u{3041}'..='\u{3096}';

    fn japanese_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('ｶ'),
                Just('ﾞ'),
                Just('ｰ'),
                Just('ー'),
                Just('-'),
                Just('－'),
                Just('―'),
                Just('〜'),
                Just('～'),
                Just(' '),
                Just('\u{3000}'),
                Just('\t'),
                Just('か'),
                Just('\u{3099}'),
                Just('カ'),
                Just('わ'),
                Just('株'),
                Just('Ａ'),
                Just('a'),
                Just('1'),
                Just('\u{200B}'),
                Just('e'),
                Just('\u{0301}'),
                Just('\u{00B4}'),
            ],
            0..24,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn normalize_text_is_idempotent(s in "\\PC*") {
            let once = normalize_text(&s);
            prop_assert_eq!(normalize_text(&once), once);
        }

        #[test]
        fn normalize_text_is_idempotent_on_japanese(s in japanese_text()) {
            let once = normalize_text(&s);
            prop_assert_eq!(normalize_text(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            prop_assert!(!once.contains("  "));
            prop_assert!(!once.contains(IDEOGRAPHIC_SPACE), "{:?}", once);
        }

        #[test]
        fn to_katakana_is_idempotent(s in "\\PC*") {
            let once = to_katakana(&s);
            prop_assert_eq!(to_katakana(&once), once);
        }

        #[test]
        fn to_katakana_is_idempotent_on_japanese(s in japanese_text()) {
            let once = to_katakana(&s);
            prop_assert_eq!(to_katakana(&once), once.clone());
            prop_assert!(!once.chars().any(|c| c.is_whitespace()));
            prop_assert!(!once.chars().any(|c| HIRAGANA.contains(&c)), "{:?}", once);
        }

        #[test]
        fn search_key_is_idempotent_on_japanese(s in japanese_text()) {
            let once = search_key(&s);
            prop_assert_eq!(search_key(&once), once);
        }

        #[test]
        fn search_key_matches_hiragana_and_katakana_spellings(s in "[あ-ゖ]{1,12}") {
            prop_assert_eq!(search_key(&s), search_key(&hiragana_to_katakana(&s)));
        }
    }
}

#[cfg(test)]
mod reading_tests {
    use super::*;

    #[test]
    fn readings_keep_one_space_between_family_and_given_name() {
        assert_eq!(reading("やまだ　たろう"), "ヤマダ タロウ");
        assert_eq!(reading("ﾔﾏﾀﾞ  ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(reading(" サトウハナコ "), "サトウハナコ");
        assert_eq!(
            to_katakana(&reading("やまだ たろう")),
            to_katakana("やまだたろう")
        );
    }
}
