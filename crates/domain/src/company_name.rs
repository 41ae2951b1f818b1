//! Company names split into a core name and a legal form (株式会社, Co., Ltd., ...).

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::text::{normalize_text, search_key};

const FIELD: &str = "company";

/// The legal form of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    /// 株式会社 (also K.K.)
    KabushikiKaisha,
    /// 有限会社
    YugenKaisha,
    /// 合同会社
    GodoKaisha,
    /// 合名会社
    GomeiKaisha,
    /// 合資会社
    GoshiKaisha,
    /// 一般社団法人
    IppanShadanHojin,
    /// 一般財団法人
    IppanZaidanHojin,
    /// 公益社団法人
    KoekiShadanHojin,
    /// 公益財団法人
    KoekiZaidanHojin,
    /// 特定非営利活動法人 (NPO法人)
    NpoHojin,
    /// 学校法人
    GakkoHojin,
    /// 医療法人 (incl. 医療法人社団 / 医療法人財団)
    IryoHojin,
    /// 社会福祉法人
    ShakaiFukushiHojin,
    /// 独立行政法人 (incl. 国立研究開発法人)
    DokuritsuGyoseiHojin,
    /// Co., Ltd. / Limited
    Ltd,
    /// Inc. / Incorporated
    Inc,
    /// Corporation / Corp.
    Corporation,
    /// LLC / G.K.
    Llc,
    /// Any other form; never produced by parsing.
    Other,
}

impl LegalForm {
    /// Every legal form, in declaration order.
    pub const ALL: [LegalForm; 19] = [
        LegalForm::KabushikiKaisha,
        LegalForm::YugenKaisha,
        LegalForm::GodoKaisha,
        LegalForm::GomeiKaisha,
        LegalForm::GoshiKaisha,
        LegalForm::IppanShadanHojin,
        LegalForm::IppanZaidanHojin,
        LegalForm::KoekiShadanHojin,
        LegalForm::KoekiZaidanHojin,
        LegalForm::NpoHojin,
        LegalForm::GakkoHojin,
        LegalForm::IryoHojin,
        LegalForm::ShakaiFukushiHojin,
        LegalForm::DokuritsuGyoseiHojin,
        LegalForm::Ltd,
        LegalForm::Inc,
        LegalForm::Corporation,
        LegalForm::Llc,
        LegalForm::Other,
    ];

    /// Returns the written form: `株式会社` etc.; English forms give their English (`Co., Ltd.`).
    pub fn ja(&self) -> &'static str {
        match self {
            LegalForm::KabushikiKaisha => "株式会社",
            LegalForm::YugenKaisha => "有限会社",
            LegalForm::GodoKaisha => "合同会社",
            LegalForm::GomeiKaisha => "合名会社",
            LegalForm::GoshiKaisha => "合資会社",
            LegalForm::IppanShadanHojin => "一般社団法人",
            LegalForm::IppanZaidanHojin => "一般財団法人",
            LegalForm::KoekiShadanHojin => "公益社団法人",
            LegalForm::KoekiZaidanHojin => "公益財団法人",
            LegalForm::NpoHojin => "特定非営利活動法人",
            LegalForm::GakkoHojin => "学校法人",
            LegalForm::IryoHojin => "医療法人",
            LegalForm::ShakaiFukushiHojin => "社会福祉法人",
            LegalForm::DokuritsuGyoseiHojin => "独立行政法人",
            LegalForm::Ltd => "Co., Ltd.",
            LegalForm::Inc => "Inc.",
            LegalForm::Corporation => "Corporation",
            LegalForm::Llc => "LLC",
            LegalForm::Other => "その他",
        }
    }

    /// Returns the snake_case key, matching the serde representation.
    pub fn key(&self) -> &'static str {
        match self {
            LegalForm::KabushikiKaisha => "kabushiki_kaisha",
            LegalForm::YugenKaisha => "yugen_kaisha",
            LegalForm::GodoKaisha => "godo_kaisha",
            LegalForm::GomeiKaisha => "gomei_kaisha",
            LegalForm::GoshiKaisha => "goshi_kaisha",
            LegalForm::IppanShadanHojin => "ippan_shadan_hojin",
            LegalForm::IppanZaidanHojin => "ippan_zaidan_hojin",
            LegalForm::KoekiShadanHojin => "koeki_shadan_hojin",
            LegalForm::KoekiZaidanHojin => "koeki_zaidan_hojin",
            LegalForm::NpoHojin => "npo_hojin",
            LegalForm::GakkoHojin => "gakko_hojin",
            LegalForm::IryoHojin => "iryo_hojin",
            LegalForm::ShakaiFukushiHojin => "shakai_fukushi_hojin",
            LegalForm::DokuritsuGyoseiHojin => "dokuritsu_gyosei_hojin",
            LegalForm::Ltd => "ltd",
            LegalForm::Inc => "inc",
            LegalForm::Corporation => "corporation",
            LegalForm::Llc => "llc",
            LegalForm::Other => "other",
        }
    }

    /// Looks a form up by its [`key`](Self::key).
    pub fn parse_key(k: &str) -> Option<Self> {
        LegalForm::ALL.into_iter().find(|f| f.key() == k)
    }

    /// Returns true for forms written in English after the name (`Ltd`, `Inc`, `Corporation`, `Llc`).
    pub fn is_english(&self) -> bool {
        matches!(
            self,
            LegalForm::Ltd | LegalForm::Inc | LegalForm::Corporation | LegalForm::Llc
        )
    }
}

/// Where the legal form stands relative to the core name (前株 / 後株).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalFormPosition {
    /// Before the name, e.g. 株式会社サカタのタネ.
    Before,
    /// After the name, e.g. サカタのタネ株式会社 or Acme Co., Ltd.
    After,
}

/// A parsed company name: core name, legal form and where the form was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyName {
    /// The core name, normalised with [`normalize_text`], without the legal form.
    pub name: String,
    /// The recognised legal form, if any.
    pub legal_form: Option<LegalForm>,
    /// Where the legal form was written, if one was recognised.
    pub position: Option<LegalFormPosition>,
    /// The input exactly as given.
    pub raw: String,
}

/// Japanese legal-form spellings after NFKC, longest first so that longer forms win.
const JA_FORMS: &[(&str, LegalForm)] = &[
    ("特定非営利活動法人", LegalForm::NpoHojin),
    ("国立研究開発法人", LegalForm::DokuritsuGyoseiHojin),
    ("独立行政法人", LegalForm::DokuritsuGyoseiHojin),
    ("一般社団法人", LegalForm::IppanShadanHojin),
    ("一般財団法人", LegalForm::IppanZaidanHojin),
    ("公益社団法人", LegalForm::KoekiShadanHojin),
    ("公益財団法人", LegalForm::KoekiZaidanHojin),
    ("医療法人社団", LegalForm::IryoHojin),
    ("医療法人財団", LegalForm::IryoHojin),
    ("社会福祉法人", LegalForm::ShakaiFukushiHojin),
    ("NPO法人", LegalForm::NpoHojin),
    ("医療法人", LegalForm::IryoHojin),
    ("学校法人", LegalForm::GakkoHojin),
    ("株式会社", LegalForm::KabushikiKaisha),
    ("有限会社", LegalForm::YugenKaisha),
    ("合同会社", LegalForm::GodoKaisha),
    ("合名会社", LegalForm::GomeiKaisha),
    ("合資会社", LegalForm::GoshiKaisha),
    ("(一社)", LegalForm::IppanShadanHojin),
    ("(一財)", LegalForm::IppanZaidanHojin),
    ("(公社)", LegalForm::KoekiShadanHojin),
    ("(公財)", LegalForm::KoekiZaidanHojin),
    ("(特非)", LegalForm::NpoHojin),
    ("(株)", LegalForm::KabushikiKaisha),
    ("(有)", LegalForm::YugenKaisha),
    ("(同)", LegalForm::GodoKaisha),
    ("(名)", LegalForm::GomeiKaisha),
    ("(資)", LegalForm::GoshiKaisha),
    ("(社)", LegalForm::IppanShadanHojin),
    ("(財)", LegalForm::IppanZaidanHojin),
    ("(学)", LegalForm::GakkoHojin),
    ("(医)", LegalForm::IryoHojin),
    ("(福)", LegalForm::ShakaiFukushiHojin),
    ("(独)", LegalForm::DokuritsuGyoseiHojin),
];

/// English suffixes as lowercase words; dots, commas and spaces may separate them.
const EN_FORMS: &[(&[&str], LegalForm)] = &[
    (&["company", "limited"], LegalForm::Ltd),
    (&["co", "limited"], LegalForm::Ltd),
    (&["co", "ltd"], LegalForm::Ltd),
    (&["limited"], LegalForm::Ltd),
    (&["ltd"], LegalForm::Ltd),
    (&["incorporated"], LegalForm::Inc),
    (&["inc"], LegalForm::Inc),
    (&["corporation"], LegalForm::Corporation),
    (&["corp"], LegalForm::Corporation),
    (&["kabushiki", "kaisha"], LegalForm::KabushikiKaisha),
    (&["k", "k"], LegalForm::KabushikiKaisha),
    (&["l", "l", "c"], LegalForm::Llc),
    (&["g", "k"], LegalForm::Llc),
];

/// Strips an ASCII-case-insensitive prefix.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Strips an ASCII-case-insensitive suffix.
fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let start = s.len().checked_sub(suffix.len())?;
    let tail = s.get(start..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..start])
}

/// Finds an English legal-form suffix; returns the byte offset where it starts.
fn match_english_suffix(s: &str, words: &[&str]) -> Option<usize> {
    let b = s.as_bytes();
    let mut end = b.len();
    if end > 0 && b[end - 1] == b'.' {
        end -= 1;
    }
    for (i, word) in words.iter().rev().enumerate() {
        if i > 0 {
            while end > 0 && matches!(b[end - 1], b' ' | b'.' | b',') {
                end -= 1;
            }
        }
        let start = end.checked_sub(word.len())?;
        if !b[start..end].eq_ignore_ascii_case(word.as_bytes()) {
            return None;
        }
        end = start;
    }
    // The suffix must not be glued to a Latin word ("ABCInc" is not "ABC Inc").
    if end > 0 && b[end - 1].is_ascii_alphanumeric() {
        return None;
    }
    Some(end)
}

/// The result of looking for a legal form in a normalised name.
enum Split<'a> {
    /// No legal form found; the whole text is the name.
    Plain(&'a str),
    /// A core name with a legal form at the given position.
    WithForm(&'a str, LegalForm, LegalFormPosition),
    /// The text is nothing but a legal form.
    OnlyForm,
}

/// Splits a normalised name into core name, legal form and position.
///
/// The first spelling found decides: Japanese prefix, then Japanese suffix, then English suffix.
fn split_form(s: &str) -> Split<'_> {
    let found = JA_FORMS
        .iter()
        .find_map(|(pattern, form)| {
            strip_prefix_ci(s, pattern).map(|rest| (rest.trim(), *form, LegalFormPosition::Before))
        })
        .or_else(|| {
            JA_FORMS.iter().find_map(|(pattern, form)| {
                strip_suffix_ci(s, pattern)
                    .map(|rest| (rest.trim(), *form, LegalFormPosition::After))
            })
        })
        .or_else(|| {
            EN_FORMS.iter().find_map(|(words, form)| {
                match_english_suffix(s, words).map(|end| {
                    let core = s[..end].trim_end_matches([' ', ',']);
                    (core, *form, LegalFormPosition::After)
                })
            })
        });
    match found {
        None => Split::Plain(s),
        Some(("", _, _)) => Split::OnlyForm,
        Some((core, form, position)) => Split::WithForm(core, form, position),
    }
}

/// Characters ignored when comparing company names.
fn is_key_punctuation(c: char) -> bool {
    matches!(
        c,
        '・' | '･'
            | '·'
            | '.'
            | ','
            | '、'
            | '。'
            | '-'
            | '\''
            | '"'
            | '`'
            | '‘'
            | '’'
            | '“'
            | '”'
            | '「'
            | '」'
            | '『'
            | '』'
            | '〝'
            | '〟'
            | '&'
    ) || c.is_whitespace()
}

/// Computes the matching key of a core name.
fn name_key(name: &str) -> String {
    search_key(name)
        .chars()
        .filter(|c| !is_key_punctuation(*c))
        .collect()
}

impl CompanyName {
    /// Parses a company name, separating a legal form written before or after it.
    ///
    /// Branch words (東京支店 etc.) are kept in the name.
    pub fn parse(raw: &str) -> Result<CompanyName, DomainError> {
        let normalized = normalize_text(raw);
        if normalized.is_empty() {
            return Err(DomainError::invalid(FIELD, "is required"));
        }
        let (core, form) = match split_form(&normalized) {
            Split::Plain(core) => (core, None),
            Split::WithForm(core, form, position) => (core, Some((form, position))),
            Split::OnlyForm => {
                return Err(DomainError::invalid(
                    FIELD,
                    format!(
                        "must contain a name, not only a legal form: {}",
                        crate::error::quote(raw.trim())
                    ),
                ));
            }
        };
        if name_key(core).is_empty() {
            return Err(DomainError::invalid(
                FIELD,
                format!(
                    "must contain letters or digits: {}",
                    crate::error::quote(raw.trim())
                ),
            ));
        }
        Ok(CompanyName {
            name: core.to_string(),
            legal_form: form.map(|(f, _)| f),
            position: form.map(|(_, p)| p),
            raw: raw.to_string(),
        })
    }

    /// Returns the key used to match the same company across spellings.
    ///
    /// `株式会社　サカタのタネ` and `サカタのタネ(株)` share the key `サカタノタネ`.
    pub fn key(&self) -> String {
        name_key(&self.name)
    }

    /// Returns the name with its legal form in place: `株式会社サカタのタネ`, `Acme Co., Ltd.`.
    ///
    /// Abbreviations are written out (`(株)` becomes `株式会社`); English forms follow
    /// the name after a space. A space is inserted between a Japanese form and the
    /// name only where they would otherwise read as a different form (医療法人 + 社団…).
    pub fn display(&self) -> String {
        let Some(form) = self.legal_form.filter(|f| *f != LegalForm::Other) else {
            return self.name.clone();
        };
        if form.is_english() {
            return format!("{} {}", self.name, form.ja());
        }
        let before = self.position == Some(LegalFormPosition::Before);
        let joined = if before {
            format!("{}{}", form.ja(), self.name)
        } else {
            format!("{}{}", self.name, form.ja())
        };
        let same = CompanyName::parse(&joined).is_ok_and(|c| {
            c.name == self.name && c.legal_form == self.legal_form && c.position == self.position
        });
        match (same, before) {
            (true, _) => joined,
            (false, true) => format!("{} {}", form.ja(), self.name),
            (false, false) => format!("{} {}", self.name, form.ja()),
        }
    }
}

impl std::fmt::Display for CompanyName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(raw: &str) -> CompanyName {
        match CompanyName::parse(raw) {
            Ok(c) => c,
            Err(e) => panic!("{raw:?} should parse: {e}"),
        }
    }

    fn split(raw: &str) -> (String, Option<LegalForm>, Option<LegalFormPosition>) {
        let c = parsed(raw);
        (c.name, c.legal_form, c.position)
    }

    use LegalForm::*;
    use LegalFormPosition::*;

    #[test]
    fn sakata_spellings_match() {
        let spellings = [
            "株式会社　サカタのタネ",
            "株式会社サカタのタネ",
            "サカタのタネ(株)",
            "サカタのタネ（株）",
            "㈱サカタのタネ",
            "㍿サカタのタネ",
            "サカタのタネ 株式会社",
            "（株）　サカタのタネ",
        ];
        let first = parsed(spellings[0]);
        assert_eq!(first.name, "サカタのタネ");
        assert_eq!(first.legal_form, Some(KabushikiKaisha));
        assert_eq!(first.position, Some(Before));
        assert_eq!(first.raw, "株式会社　サカタのタネ");
        assert_eq!(first.display(), "株式会社サカタのタネ");
        assert_eq!(first.key(), "サカタノタネ");
        for raw in spellings {
            let c = parsed(raw);
            assert_eq!(c.key(), first.key(), "{raw}");
            assert_eq!(c.legal_form, Some(KabushikiKaisha), "{raw}");
        }
        assert_eq!(parsed("サカタのタネ(株)").display(), "サカタのタネ株式会社");
        assert_eq!(parsed("サカタのタネ(株)").position, Some(After));
    }

    #[test]
    fn abc_shoji() {
        let c = parsed("(株)ＡＢＣ商事");
        assert_eq!(c.name, "ABC商事");
        assert_eq!(c.legal_form, Some(KabushikiKaisha));
        assert_eq!(c.position, Some(Before));
        assert_eq!(c.display(), "株式会社ABC商事");
        assert_eq!(c.key(), "abc商事");
        assert_eq!(parsed("ＡＢＣ商事株式会社").key(), c.key());
        assert_eq!(parsed("abc商事").key(), c.key());
        assert_eq!(parsed("abc商事").legal_form, None);
    }

    #[test]
    fn japanese_forms() {
        let cases: &[(&str, &str, LegalForm, LegalFormPosition)] = &[
            ("有限会社山田工務店", "山田工務店", YugenKaisha, Before),
            ("山田工務店(有)", "山田工務店", YugenKaisha, After),
            ("㈲山田工務店", "山田工務店", YugenKaisha, Before),
            ("合同会社DMM.com", "DMM.com", GodoKaisha, Before),
            ("合名会社佐藤商店", "佐藤商店", GomeiKaisha, Before),
            ("鈴木酒造合資会社", "鈴木酒造", GoshiKaisha, After),
            (
                "一般社団法人日本経済団体連合会",
                "日本経済団体連合会",
                IppanShadanHojin,
                Before,
            ),
            (
                "(一社)日本経済団体連合会",
                "日本経済団体連合会",
                IppanShadanHojin,
                Before,
            ),
            (
                "一般財団法人日本品質保証機構",
                "日本品質保証機構",
                IppanZaidanHojin,
                Before,
            ),
            (
                "公益社団法人日本医師会",
                "日本医師会",
                KoekiShadanHojin,
                Before,
            ),
            (
                "公益財団法人日本数学検定協会",
                "日本数学検定協会",
                KoekiZaidanHojin,
                Before,
            ),
            (
                "特定非営利活動法人フローレンス",
                "フローレンス",
                NpoHojin,
                Before,
            ),
            ("NPO法人フローレンス", "フローレンス", NpoHojin, Before),
            ("ＮＰＯ法人 フローレンス", "フローレンス", NpoHojin, Before),
            ("npo法人フローレンス", "フローレンス", NpoHojin, Before),
            ("学校法人早稲田大学", "早稲田大学", GakkoHojin, Before),
            ("医療法人社団 緑会", "緑会", IryoHojin, Before),
            ("医療法人財団緑会", "緑会", IryoHojin, Before),
            ("医療法人緑会", "緑会", IryoHojin, Before),
            (
                "社会福祉法人 恩賜財団済生会",
                "恩賜財団済生会",
                ShakaiFukushiHojin,
                Before,
            ),
            (
                "独立行政法人国際協力機構",
                "国際協力機構",
                DokuritsuGyoseiHojin,
                Before,
            ),
            (
                "国立研究開発法人 理化学研究所",
                "理化学研究所",
                DokuritsuGyoseiHojin,
                Before,
            ),
        ];
        for (raw, name, form, pos) in cases {
            assert_eq!(
                split(raw),
                (name.to_string(), Some(*form), Some(*pos)),
                "{raw}"
            );
        }
    }

    #[test]
    fn english_forms() {
        let cases: &[(&str, &str, LegalForm)] = &[
            ("ABC Trading Co., Ltd.", "ABC Trading", Ltd),
            ("ABC Trading Co.,Ltd.", "ABC Trading", Ltd),
            ("ABC Trading Co. Ltd", "ABC Trading", Ltd),
            ("ABC Trading CO., LTD.", "ABC Trading", Ltd),
            ("ABC Trading Ltd.", "ABC Trading", Ltd),
            ("ABC Trading Limited", "ABC Trading", Ltd),
            ("ABC Trading Company Limited", "ABC Trading", Ltd),
            ("ＡＢＣ商事Co.,Ltd.", "ABC商事", Ltd),
            ("Acme, Inc.", "Acme", Inc),
            ("Acme Inc", "Acme", Inc),
            ("Acme Incorporated", "Acme", Inc),
            ("Sony Group Corporation", "Sony Group", Corporation),
            ("Acme Corp.", "Acme", Corporation),
            ("Nippon Acme K.K.", "Nippon Acme", KabushikiKaisha),
            ("Nippon Acme KK", "Nippon Acme", KabushikiKaisha),
            (
                "Nippon Acme Kabushiki Kaisha",
                "Nippon Acme",
                KabushikiKaisha,
            ),
            ("Acme LLC", "Acme", Llc),
            ("Acme, L.L.C.", "Acme", Llc),
            ("Acme Japan G.K.", "Acme Japan", Llc),
        ];
        for (raw, name, form) in cases {
            assert_eq!(
                split(raw),
                (name.to_string(), Some(*form), Some(After)),
                "{raw}"
            );
        }
        assert_eq!(
            parsed("ABC Trading Co., Ltd.").display(),
            "ABC Trading Co., Ltd."
        );
        assert_eq!(parsed("ABC Trading Ltd").display(), "ABC Trading Co., Ltd.");
        assert_eq!(parsed("Acme, Inc.").display(), "Acme Inc.");
        assert_eq!(parsed("ABC Trading Co., Ltd.").key(), "abctrading");
    }

    #[test]
    fn suffix_must_stand_alone() {
        for raw in ["Zinc", "Ecoltd", "ABCInc", "Fastcorp", "Hawk", "Mallc"] {
            assert_eq!(parsed(raw).legal_form, None, "{raw}");
        }
    }

    #[test]
    fn names_without_form_and_branches() {
        let c = parsed("  トヨタ自動車  ");
        assert_eq!(c.name, "トヨタ自動車");
        assert_eq!(c.legal_form, None);
        assert_eq!(c.position, None);
        assert_eq!(c.display(), "トヨタ自動車");
        let branch = parsed("株式会社ABC 東京支店");
        assert_eq!(branch.name, "ABC 東京支店");
        assert_eq!(branch.legal_form, Some(KabushikiKaisha));
        assert_ne!(branch.key(), parsed("株式会社ABC").key());
    }

    #[test]
    fn key_ignores_punctuation_and_spacing() {
        let a = parsed("株式会社エヌ・ティ・ティ・データ");
        let b = parsed("エヌティティデータ株式会社");
        let c = parsed("ｴﾇ･ﾃｨ･ﾃｨ･ﾃﾞｰﾀ(株)");
        assert_eq!(a.key(), b.key());
        assert_eq!(a.key(), c.key());
        assert_eq!(
            parsed("Ａ＆Ｂ　ホールディングス").key(),
            "abホールディングス"
        );
        assert_eq!(parsed("A&B Holdings").key(), "abholdings");
        assert_eq!(parsed("「ABC」").key(), "abc");
    }

    #[test]
    fn errors() {
        let e = CompanyName::parse(" \u{3000} ").expect_err("blank");
        assert_eq!(e.field(), "company");
        assert_eq!(e.message(), "is required");
        for raw in ["株式会社", "（株）", "Co., Ltd.", "・・", "---"] {
            let e = CompanyName::parse(raw).expect_err(raw);
            assert_eq!(e.field(), "company");
        }
    }

    #[test]
    fn display_keeps_ambiguous_forms_apart() {
        let c = parsed("医療法人 社団緑会");
        assert_eq!(c.name, "社団緑会");
        assert_eq!(c.display(), "医療法人 社団緑会");
        assert_eq!(
            parsed(&c.display()),
            CompanyName {
                raw: c.display(),
                ..c.clone()
            }
        );
    }

    #[test]
    fn legal_form_keys_round_trip() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StrDeserializer};
        for f in LegalForm::ALL {
            assert_eq!(LegalForm::parse_key(f.key()), Some(f));
            let d: StrDeserializer<'_, DeError> = f.key().into_deserializer();
            assert_eq!(LegalForm::deserialize(d), Ok(f), "serde name of {f:?}");
            assert!(!f.ja().is_empty());
        }
        assert_eq!(LegalForm::parse_key("kk"), None);
        assert_eq!(KabushikiKaisha.ja(), "株式会社");
        assert_eq!(Ltd.ja(), "Co., Ltd.");
        assert!(Inc.is_english());
        assert!(!GodoKaisha.is_english());
    }

    fn core_name() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("サカタ"),
                Just("の"),
                Just("タネ"),
                Just("ABC"),
                Just("商事"),
                Just(" "),
                Just("・"),
                Just("-"),
                Just("ー"),
                Just("社団"),
                Just("財団"),
                Just("Co"),
                Just("Ltd"),
                Just("."),
                Just(","),
                Just("株式会社"),
                Just("(株)"),
                Just("&"),
                Just("K"),
                Just("法人"),
                Just("NPO"),
            ],
            1..8,
        )
        .prop_map(|v| v.concat())
    }

    fn form_spelling() -> impl Strategy<Value = (String, bool)> {
        let before: Vec<String> = JA_FORMS.iter().map(|(p, _)| p.to_string()).collect();
        let after: Vec<String> = [
            " Co., Ltd.",
            " Inc.",
            " Corporation",
            " LLC",
            " K.K.",
            " G.K.",
            "株式会社",
            "(株)",
            "㈱",
            "（有）",
            " 有限会社",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        prop_oneof![
            proptest::sample::select(before).prop_map(|s| (s, true)),
            proptest::sample::select(after).prop_map(|s| (s, false)),
            Just((String::new(), false)),
        ]
    }

    proptest! {
        #[test]
        fn display_round_trips_key(core in core_name(), (form, before) in form_spelling(), space in any::<bool>()) {
            let sep = if space { "\u{3000}" } else { "" };
            let raw = if before { format!("{form}{sep}{core}") } else { format!("{core}{sep}{form}") };
            if let Ok(c) = CompanyName::parse(&raw) {
                let again = CompanyName::parse(&c.display()).expect("display parses");
                prop_assert_eq!(again.key(), c.key());
                prop_assert_eq!(&again.name, &c.name);
                prop_assert_eq!(again.legal_form, c.legal_form);
                prop_assert_eq!(again.position, c.position);
            }
        }

        #[test]
        fn display_round_trips_arbitrary(raw in "\\PC{0,30}") {
            if let Ok(c) = CompanyName::parse(&raw) {
                let again = CompanyName::parse(&c.display()).expect("display parses");
                prop_assert_eq!(again.key(), c.key());
                prop_assert_eq!(again.legal_form, c.legal_form);
            }
        }

        #[test]
        fn form_position_does_not_change_key(core in "[ァ-ヶ一-龠A-Za-z]{1,10}") {
            let a = CompanyName::parse(&format!("株式会社{core}")).expect("valid");
            let b = CompanyName::parse(&format!("{core}（株）")).expect("valid");
            prop_assert_eq!(a.key(), b.key());
            prop_assert_eq!(a.legal_form, b.legal_form);
        }
    }
}
