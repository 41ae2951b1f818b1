//! Variant kanji folding and a character-based edit-distance check for names.

/// Variant kanji (異体字) used in names and their common forms, sorted by the variant.
const VARIANT_FORMS: [(char, char); 37] = {
    let mut t = [
        ('髙', '高'),
        ('﨑', '崎'),
        ('嵜', '崎'),
        ('㟢', '崎'),
        ('斉', '斎'),
        ('齋', '斎'),
        ('齊', '斎'),
        ('邊', '辺'),
        ('邉', '辺'),
        ('澤', '沢'),
        ('濱', '浜'),
        ('嶋', '島'),
        ('嶌', '島'),
        ('德', '徳'),
        ('廣', '広'),
        ('國', '国'),
        ('𠮷', '吉'),
        ('櫻', '桜'),
        ('榮', '栄'),
        ('眞', '真'),
        ('瀨', '瀬'),
        ('藏', '蔵'),
        ('冨', '富'),
        ('惠', '恵'),
        ('增', '増'),
        ('黑', '黒'),
        ('萬', '万'),
        ('實', '実'),
        ('壽', '寿'),
        ('龜', '亀'),
        ('曾', '曽'),
        ('槇', '槙'),
        ('桒', '桑'),
        ('渕', '淵'),
        ('舘', '館'),
        ('埜', '野'),
        ('邨', '村'),
    ];
    // Insertion sort: `sort` is not const.
    let mut i = 1;
    while i < t.len() {
        let mut j = i;
        while j > 0 && (t[j - 1].0 as u32) > (t[j].0 as u32) {
            let x = t[j - 1];
            t[j - 1] = t[j];
            t[j] = x;
            j -= 1;
        }
        i += 1;
    }
    t
};

/// Maps a variant (異体字) used in names to its common form; other characters are unchanged.
fn fold_char(c: char) -> char {
    match VARIANT_FORMS.binary_search_by_key(&c, |(v, _)| *v) {
        Ok(i) => VARIANT_FORMS[i].1,
        Err(_) => c,
    }
}

/// The other spellings of `name_key` with variant kanji: each variant or common form in it
/// replaced by the others of its group (高 → 髙, 崎 → 﨑 嵜 㟢, 髙 → 高 …), at most `limit`
/// of them. What a look-up of leads by name asks for, so that it finds the namesakes
/// written with another form that the matching offers as candidate pairs.
pub fn variant_spellings(name_key: &str, limit: usize) -> Vec<String> {
    let mut spellings = vec![String::new()];
    for c in name_key.chars() {
        let common = fold_char(c);
        let mut forms = vec![common];
        forms.extend(
            VARIANT_FORMS
                .iter()
                .filter(|(_, f)| *f == common)
                .map(|(v, _)| *v),
        );
        if forms.len() == 1 {
            forms[0] = c;
        }
        let mut next = Vec::with_capacity(spellings.len() * forms.len());
        'grow: for prefix in &spellings {
            for form in &forms {
                // One more than asked for: the name itself is among them.
                if next.len() > limit {
                    break 'grow;
                }
                let mut s = prefix.clone();
                s.push(*form);
                next.push(s);
            }
        }
        spellings = next;
    }
    spellings.retain(|s| s != name_key);
    spellings.truncate(limit);
    spellings
}

/// Returns true for variation selectors (including the ideographic ones used to pick a glyph).
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// The name with variant kanji folded to their common forms (髙→高, 﨑→崎 …), for candidate detection.
///
/// Folds 髙/高, 﨑/嵜/崎, 斎/斉/齋/齊, 邊/邉/辺, 澤/沢, 濱/浜, 嶋/嶌/島, 德/徳, 廣/広, 國/国 and
/// a few more name variants (𠮷, 櫻, 榮, 眞, 瀨, 藏, 冨, 惠, 增, 黑, 萬, 實, 壽, 龜, 曾, 槇, 桒,
/// 渕, 舘, 埜, 邨), and drops variation selectors. Expects a [`name_key`](super::name_key).
pub fn fold_variants(name_key: &str) -> String {
    name_key
        .chars()
        .filter(|c| !is_variation_selector(*c))
        .map(fold_char)
        .collect()
}

/// Returns true if the strings are at most one edit apart, counting in characters, not bytes.
///
/// An edit inserts, deletes or substitutes one character, so `山田太郎`/`山田太朗` and
/// `山田太郎`/`山田太` are within one edit, while a transposition counts as two.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(&long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        prefix == short.len() || short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

/// Returns the string with each one character removed in turn (used for blocking).
pub(super) fn one_deletions(s: &str) -> Vec<String> {
    s.char_indices()
        .map(|(i, c)| {
            let mut out = String::with_capacity(s.len());
            out.push_str(&s[..i]);
            out.push_str(&s[i + c.len_utf8()..]);
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variant_table_is_sorted_and_each_variant_is_listed_once() {
        assert!(VARIANT_FORMS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            VARIANT_FORMS
                .iter()
                .all(|(v, f)| v != f && fold_char(*f) == *f)
        );
    }

    #[test]
    fn variant_spellings_replace_each_form_by_the_others_of_its_group() {
        assert_eq!(variant_spellings("高橋一郎", 8), ["髙橋一郎"]);
        assert_eq!(variant_spellings("髙橋一郎", 8), ["高橋一郎"]);
        let mut got = variant_spellings("山崎", 8);
        got.sort();
        assert_eq!(got, ["山㟢", "山嵜", "山﨑"]);
        // Two variant characters: every combination but the name itself.
        assert_eq!(variant_spellings("𠮷田惠", 8).len(), 3);
        assert!(variant_spellings("山田太郎", 8).is_empty());
        assert_eq!(variant_spellings("高崎斎藤", 4).len(), 4);
        for s in variant_spellings("高崎斎藤", 100) {
            assert_eq!(fold_variants(&s), fold_variants("高崎斎藤"), "{s}");
        }
    }

    #[test]
    fn folds_listed_variants() {
        for (variant, common) in [
            ("髙橋", "高橋"),
            ("山﨑", "山崎"),
            ("山嵜", "山崎"),
            ("齋藤", "斎藤"),
            ("齊藤", "斎藤"),
            ("斉藤", "斎藤"),
            ("渡邊", "渡辺"),
            ("渡邉", "渡辺"),
            ("小澤", "小沢"),
            ("長濱", "長浜"),
            ("中嶋", "中島"),
            ("德永", "徳永"),
            ("廣瀬", "広瀬"),
            ("國分", "国分"),
            ("𠮷田", "吉田"),
        ] {
            assert_eq!(fold_variants(variant), fold_variants(common), "{variant}");
            assert_eq!(fold_variants(common), common, "{common}");
        }
        // Ideographic variation selector after 辺 (a glyph variant of 邉).
        assert_eq!(fold_variants("渡\u{8FBA}\u{E0101}"), "渡辺");
        assert_eq!(fold_variants("タカハシ"), "タカハシ");
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert!(within_one_edit("山田太郎", "山田太朗"));
        assert!(within_one_edit("山田太郎", "山田太"));
        assert!(within_one_edit("山田太", "山田太郎"));
        assert!(within_one_edit("山田太郎", "山田太郎"));
        assert!(within_one_edit("", "林"));
        assert!(!within_one_edit("山田太郎", "山口次郎"));
        assert!(!within_one_edit("山田太郎", "田山太郎"));
        // Byte distance would be 3 here; in characters it is one substitution.
        assert!(within_one_edit("高橋", "髙橋"));
        assert!(!within_one_edit("高橋一郎", "高"));
    }

    #[test]
    fn deletions_cover_edits() {
        assert_eq!(
            one_deletions("山田"),
            vec!["田".to_string(), "山".to_string()]
        );
        assert!(one_deletions("").is_empty());
        let a = one_deletions("山田太郎");
        let b = one_deletions("山田太朗");
        assert!(a.iter().any(|d| b.contains(d)));
        assert!(a.contains(&"山田太".to_string()));
    }
}
