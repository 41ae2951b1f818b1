//! Lead fields, column targets and the header → field mapping by synonyms.
//!
//! Headers are compared after NFKC, lowercasing and removing spaces, `・`, `_`, `-`, `.`
//! and decoration (`*`, `※`, `:`, `■`…). A header matches in one of three ways, in
//! decreasing confidence:
//!
//! 1. **exact**: the whole header is a synonym (`メールアドレス`, `E-mail`, `TEL`);
//! 2. **qualified**: a synonym with a qualifier in brackets or a trailing number
//!    (`メールアドレス（会社）`, `住所1`, `User Name (Original Name)`); a reading qualifier
//!    turns a name into its kana field (`氏名（カナ）` → [`LeadField::Kana`],
//!    `提出者名（ヨミ）` → [`LeadField::CompanyKana`]) and an English/romaji qualifier
//!    (`提出者名（英字）`) makes the column a custom field;
//! 3. **fuzzy**: a known prefix or suffix (`TEL会社`, `直通電話番号`, `FAX番号`,
//!    `会社メールアドレス`, `氏名フリガナ`).
//!
//! Fields that hold one value per lead ([`LeadField::is_single`]) are given to the most
//! confident column (the first on ties); other columns that match them become custom
//! fields. A header repeated verbatim maps its first occurrence as usual and the later
//! ones to `Custom("<header> (2)")`, `Custom("<header> (3)")`…

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A lead attribute a column can map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadField {
    Name,
    FamilyName,
    GivenName,
    Kana,
    FamilyKana,
    GivenKana,
    Email,
    Phone,
    Mobile,
    Fax,
    Company,
    CompanyKana,
    Department,
    Title,
    Postcode,
    Address,
    Prefecture,
    City,
    Street,
    Building,
    Website,
    CorporateNumber,
    /// 名刺交換日, 登録日, a webinar's join time.
    ContactedOn,
    Note,
    Tags,
    Industry,
    EmployeeCount,
    MinutesAttended,
}

impl LeadField {
    /// Every field, in declaration order (for mapping drop-downs).
    pub const ALL: [LeadField; 28] = [
        LeadField::Name,
        LeadField::FamilyName,
        LeadField::GivenName,
        LeadField::Kana,
        LeadField::FamilyKana,
        LeadField::GivenKana,
        LeadField::Email,
        LeadField::Phone,
        LeadField::Mobile,
        LeadField::Fax,
        LeadField::Company,
        LeadField::CompanyKana,
        LeadField::Department,
        LeadField::Title,
        LeadField::Postcode,
        LeadField::Address,
        LeadField::Prefecture,
        LeadField::City,
        LeadField::Street,
        LeadField::Building,
        LeadField::Website,
        LeadField::CorporateNumber,
        LeadField::ContactedOn,
        LeadField::Note,
        LeadField::Tags,
        LeadField::Industry,
        LeadField::EmployeeCount,
        LeadField::MinutesAttended,
    ];

    /// The stable snake_case key (the same as the serde representation).
    pub fn key(&self) -> &'static str {
        match self {
            LeadField::Name => "name",
            LeadField::FamilyName => "family_name",
            LeadField::GivenName => "given_name",
            LeadField::Kana => "kana",
            LeadField::FamilyKana => "family_kana",
            LeadField::GivenKana => "given_kana",
            LeadField::Email => "email",
            LeadField::Phone => "phone",
            LeadField::Mobile => "mobile",
            LeadField::Fax => "fax",
            LeadField::Company => "company",
            LeadField::CompanyKana => "company_kana",
            LeadField::Department => "department",
            LeadField::Title => "title",
            LeadField::Postcode => "postcode",
            LeadField::Address => "address",
            LeadField::Prefecture => "prefecture",
            LeadField::City => "city",
            LeadField::Street => "street",
            LeadField::Building => "building",
            LeadField::Website => "website",
            LeadField::CorporateNumber => "corporate_number",
            LeadField::ContactedOn => "contacted_on",
            LeadField::Note => "note",
            LeadField::Tags => "tags",
            LeadField::Industry => "industry",
            LeadField::EmployeeCount => "employee_count",
            LeadField::MinutesAttended => "minutes_attended",
        }
    }

    /// The field for a key produced by [`LeadField::key`].
    pub fn parse(key: &str) -> Option<LeadField> {
        LeadField::ALL.iter().copied().find(|f| f.key() == key)
    }

    /// Japanese label for the mapping screen.
    pub fn label_ja(&self) -> &'static str {
        match self {
            LeadField::Name => "氏名",
            LeadField::FamilyName => "姓",
            LeadField::GivenName => "名",
            LeadField::Kana => "フリガナ",
            LeadField::FamilyKana => "姓（フリガナ）",
            LeadField::GivenKana => "名（フリガナ）",
            LeadField::Email => "メールアドレス",
            LeadField::Phone => "電話番号",
            LeadField::Mobile => "携帯電話番号",
            LeadField::Fax => "FAX番号",
            LeadField::Company => "会社名",
            LeadField::CompanyKana => "会社名（フリガナ）",
            LeadField::Department => "部署",
            LeadField::Title => "役職",
            LeadField::Postcode => "郵便番号",
            LeadField::Address => "住所",
            LeadField::Prefecture => "都道府県",
            LeadField::City => "市区町村",
            LeadField::Street => "番地",
            LeadField::Building => "建物名",
            LeadField::Website => "ウェブサイト",
            LeadField::CorporateNumber => "法人番号",
            LeadField::ContactedOn => "接点日（名刺交換日・登録日）",
            LeadField::Note => "備考",
            LeadField::Tags => "タグ",
            LeadField::Industry => "業種",
            LeadField::EmployeeCount => "従業員数",
            LeadField::MinutesAttended => "参加時間（分）",
        }
    }

    /// English label for the mapping screen.
    pub fn label_en(&self) -> &'static str {
        match self {
            LeadField::Name => "Name",
            LeadField::FamilyName => "Family name",
            LeadField::GivenName => "Given name",
            LeadField::Kana => "Name reading (kana)",
            LeadField::FamilyKana => "Family name reading (kana)",
            LeadField::GivenKana => "Given name reading (kana)",
            LeadField::Email => "Email",
            LeadField::Phone => "Phone",
            LeadField::Mobile => "Mobile phone",
            LeadField::Fax => "Fax",
            LeadField::Company => "Company",
            LeadField::CompanyKana => "Company reading (kana)",
            LeadField::Department => "Department",
            LeadField::Title => "Job title",
            LeadField::Postcode => "Postcode",
            LeadField::Address => "Address",
            LeadField::Prefecture => "Prefecture",
            LeadField::City => "City",
            LeadField::Street => "Street",
            LeadField::Building => "Building",
            LeadField::Website => "Website",
            LeadField::CorporateNumber => "Corporate number",
            LeadField::ContactedOn => "Contacted on",
            LeadField::Note => "Note",
            LeadField::Tags => "Tags",
            LeadField::Industry => "Industry",
            LeadField::EmployeeCount => "Employees",
            LeadField::MinutesAttended => "Minutes attended",
        }
    }

    /// True for fields a lead has one value of; only one column is mapped to them
    /// automatically. Email, phone, mobile, fax, address parts, website, note and tags
    /// may come from several columns.
    pub fn is_single(&self) -> bool {
        !matches!(
            self,
            LeadField::Email
                | LeadField::Phone
                | LeadField::Mobile
                | LeadField::Fax
                | LeadField::Address
                | LeadField::Street
                | LeadField::Building
                | LeadField::Website
                | LeadField::Note
                | LeadField::Tags
        )
    }

    /// The reading (kana) field that goes with a name field.
    fn kana_variant(self) -> Option<LeadField> {
        match self {
            LeadField::Name | LeadField::Kana => Some(LeadField::Kana),
            LeadField::FamilyName | LeadField::FamilyKana => Some(LeadField::FamilyKana),
            LeadField::GivenName | LeadField::GivenKana => Some(LeadField::GivenKana),
            LeadField::Company | LeadField::CompanyKana => Some(LeadField::CompanyKana),
            _ => None,
        }
    }
}

/// What a column becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ColumnTarget {
    Field(LeadField),
    /// Unknown columns become custom fields named by their header.
    Custom(String),
    Ignore,
}

/// How sure a header match is; higher wins a single-valued field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Confidence {
    Fuzzy,
    Qualified,
    Exact,
}

/// Synonyms, already in normalised form (see [`normalize_header`]).
const SYNONYMS: &[(LeadField, &[&str])] = &[
    (
        LeadField::Company,
        &[
            "会社名",
            "企業名",
            "社名",
            "会社",
            "法人名",
            "勤務先",
            "勤務先名",
            "会社名称",
            "企業名称",
            "法人名称",
            "取引先名",
            "所属会社",
            "company",
            "companyname",
            "organization",
            "organisation",
            "org",
            "提出者名",
        ],
    ),
    (
        LeadField::CompanyKana,
        &[
            "会社名カナ",
            "会社名フリガナ",
            "会社名ふりがな",
            "会社名よみ",
            "会社名ヨミ",
            "会社カナ",
            "企業名カナ",
            "企業名フリガナ",
            "法人名カナ",
            "法人名フリガナ",
        ],
    ),
    (
        LeadField::Name,
        &[
            "氏名",
            "名前",
            "お名前",
            "ご氏名",
            "担当者名",
            "担当者氏名",
            "ご担当者名",
            "フルネーム",
            "name",
            "fullname",
            "username",
            "ユーザー名",
            "参加者名",
        ],
    ),
    (
        LeadField::FamilyName,
        &["姓", "苗字", "名字", "lastname", "familyname", "surname"],
    ),
    (LeadField::GivenName, &["名", "firstname", "givenname"]),
    (
        LeadField::Kana,
        &[
            "フリガナ",
            "ふりがな",
            "カナ",
            "かな",
            "氏名カナ",
            "氏名フリガナ",
            "氏名ふりがな",
            "氏名よみ",
            "名前カナ",
            "名前フリガナ",
            "よみ",
            "ヨミ",
            "読み",
            "よみがな",
            "読み仮名",
            "furigana",
            "reading",
        ],
    ),
    (
        LeadField::FamilyKana,
        &["姓カナ", "姓フリガナ", "姓ふりがな", "セイ", "せい"],
    ),
    (
        LeadField::GivenKana,
        &["名カナ", "名フリガナ", "名ふりがな", "メイ", "めい"],
    ),
    (
        LeadField::Email,
        &[
            "メール",
            "メールアドレス",
            "email",
            "mail",
            "emailaddress",
            "mailaddress",
            "電子メール",
            "電子メールアドレス",
            "eメール",
            "eメールアドレス",
            "メアド",
            "useremail",
        ],
    ),
    (
        LeadField::Phone,
        &[
            "電話",
            "電話番号",
            "tel",
            "phone",
            "phonenumber",
            "telephone",
            "会社電話",
            "会社電話番号",
            "代表電話",
            "代表電話番号",
            "直通",
            "直通電話",
            "直通電話番号",
        ],
    ),
    (
        LeadField::Mobile,
        &[
            "携帯",
            "携帯電話",
            "携帯番号",
            "携帯電話番号",
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
        ],
    ),
    (
        LeadField::Fax,
        &["fax", "fax番号", "ファックス", "ファックス番号", "ファクス"],
    ),
    (
        LeadField::Department,
        &[
            "部署",
            "部署名",
            "所属",
            "所属部署",
            "部門",
            "部門名",
            "department",
            "division",
        ],
    ),
    (
        LeadField::Title,
        &[
            "役職",
            "役職名",
            "肩書",
            "肩書き",
            "title",
            "jobtitle",
            "position",
        ],
    ),
    (
        LeadField::Postcode,
        &["郵便番号", "〒", "postalcode", "zip", "zipcode", "postcode"],
    ),
    (
        LeadField::Address,
        &["住所", "所在地", "address", "会社住所"],
    ),
    (
        LeadField::Prefecture,
        &["都道府県", "都道府県名", "prefecture"],
    ),
    (LeadField::City, &["市区町村", "市区町村名", "city"]),
    (LeadField::Street, &["番地", "町名番地", "street"]),
    (
        LeadField::Building,
        &["建物名", "ビル名", "建物", "building"],
    ),
    (
        LeadField::Website,
        &[
            "url",
            "website",
            "ホームページ",
            "会社url",
            "ウェブサイト",
            "webサイト",
            "homepage",
        ],
    ),
    (
        LeadField::CorporateNumber,
        &["法人番号", "提出者法人番号", "corporatenumber"],
    ),
    (
        LeadField::ContactedOn,
        &[
            "名刺交換日",
            "交換日",
            "登録日",
            "登録日時",
            "申込日",
            "申込日時",
            "作成日",
            "jointime",
            "参加日時",
            "registrationtime",
        ],
    ),
    (
        LeadField::Note,
        &[
            "備考",
            "メモ",
            "note",
            "notes",
            "memo",
            "コメント",
            "comment",
            "comments",
        ],
    ),
    (LeadField::Tags, &["タグ", "tags", "tag", "categories"]),
    (
        LeadField::Industry,
        &["業種", "業界", "industry", "提出者業種"],
    ),
    (
        LeadField::EmployeeCount,
        &[
            "従業員数",
            "社員数",
            "employees",
            "numberofemployees",
            "employeecount",
        ],
    ),
    (
        LeadField::MinutesAttended,
        &[
            "参加時間",
            "視聴時間",
            "timeinsession(minutes)",
            "duration(minutes)",
            "timeinsession",
            "セッション中の時間",
            "セッション時間",
            "在室時間",
        ],
    ),
];

/// Qualifiers that mean "the reading of".
const READING_QUALIFIERS: &[&str] = &[
    "カナ",
    "かな",
    "フリガナ",
    "ふりがな",
    "ヨミ",
    "よみ",
    "読み",
    "よみがな",
    "読み仮名",
    "kana",
    "furigana",
    "reading",
    "全角カナ",
    "半角カナ",
];

/// Qualifiers that mean "the same thing written in Latin letters" (not a field of ours).
const ROMAN_QUALIFIERS: &[&str] = &[
    "英字",
    "英語",
    "英文",
    "英名",
    "英語表記",
    "english",
    "ローマ字",
    "romaji",
    "alphabet",
    "アルファベット",
];

/// Prefix rules (checked on the normalised header), most specific first.
const PREFIX_RULES: &[(&str, LeadField)] = &[
    ("携帯", LeadField::Mobile),
    ("fax", LeadField::Fax),
    ("tel", LeadField::Phone),
    ("電話", LeadField::Phone),
];

/// Suffix rules (checked on the normalised header), most specific first.
const SUFFIX_RULES: &[(&str, LeadField)] = &[
    ("携帯電話番号", LeadField::Mobile),
    ("携帯番号", LeadField::Mobile),
    ("携帯電話", LeadField::Mobile),
    ("携帯", LeadField::Mobile),
    ("mobile", LeadField::Mobile),
    ("fax番号", LeadField::Fax),
    ("fax", LeadField::Fax),
    ("ファックス", LeadField::Fax),
    ("電話番号", LeadField::Phone),
    ("電話", LeadField::Phone),
    ("tel", LeadField::Phone),
    ("phone", LeadField::Phone),
    ("メールアドレス", LeadField::Email),
    ("メール", LeadField::Email),
    ("email", LeadField::Email),
    ("emailaddress", LeadField::Email),
    ("郵便番号", LeadField::Postcode),
    ("住所", LeadField::Address),
    ("所在地", LeadField::Address),
    ("url", LeadField::Website),
    ("ホームページ", LeadField::Website),
    ("備考", LeadField::Note),
    ("メモ", LeadField::Note),
    ("部署名", LeadField::Department),
    ("部署", LeadField::Department),
    ("役職", LeadField::Title),
    ("会社名", LeadField::Company),
    ("企業名", LeadField::Company),
    ("法人名", LeadField::Company),
    ("法人番号", LeadField::CorporateNumber),
];

/// Normalise a header for comparison: NFKC, lowercase, without spaces, `・`, `_`, `-`,
/// `.`, `/` and decoration characters.
pub fn normalize_header(header: &str) -> String {
    header
        .nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '・' | '_'
                        | '-'
                        | '‐'
                        | '.'
                        | '/'
                        | '*'
                        | '※'
                        | ':'
                        | '■'
                        | '□'
                        | '●'
                        | '○'
                        | '◆'
                        | '◇'
                        | '★'
                        | '☆'
                        | '"'
                        | '\''
                        | '\u{200B}'
                        | '\u{FEFF}'
                )
        })
        .collect()
}

fn lookup_exact(normalized: &str) -> Option<LeadField> {
    static TABLE: std::sync::OnceLock<HashMap<&'static str, LeadField>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for (field, words) in SYNONYMS {
            for w in *words {
                map.insert(*w, *field);
            }
        }
        map
    });
    table.get(normalized).copied()
}

/// Split bracketed qualifiers off a normalised header: `メールアドレス(会社)` →
/// (`メールアドレス`, [`会社`]); `【必須】会社名` → (`会社名`, [`必須`]).
fn split_qualifiers(normalized: &str) -> (String, Vec<String>) {
    const PAIRS: [(char, char); 6] = [
        ('(', ')'),
        ('【', '】'),
        ('[', ']'),
        ('<', '>'),
        ('「', '」'),
        ('〔', '〕'),
    ];
    let mut base = normalized.to_owned();
    let mut quals = Vec::new();
    loop {
        let mut changed = false;
        for (open, close) in PAIRS {
            // Trailing qualifier.
            if base.ends_with(close)
                && let Some(start) = base.rfind(open)
                && start > 0
            {
                let inner = base[start + open.len_utf8()..base.len() - close.len_utf8()].to_owned();
                base.truncate(start);
                quals.push(inner);
                changed = true;
            }
            // Leading qualifier.
            if base.starts_with(open)
                && let Some(end) = base.find(close)
                && end + close.len_utf8() < base.len()
            {
                let inner = base[open.len_utf8()..end].to_owned();
                base = base[end + close.len_utf8()..].to_owned();
                quals.push(inner);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    (base, quals)
}

/// Match a normalised header without qualifiers: exact, then fuzzy rules.
fn match_plain(n: &str) -> Option<(LeadField, Confidence)> {
    if n.is_empty() {
        return None;
    }
    if let Some(f) = lookup_exact(n) {
        return Some((f, Confidence::Exact));
    }
    // A trailing number: 住所1, 電話番号2.
    let trimmed = n.trim_end_matches(|c: char| c.is_ascii_digit());
    if trimmed.len() != n.len()
        && !trimmed.is_empty()
        && let Some(f) = lookup_exact(trimmed)
    {
        return Some((f, Confidence::Qualified));
    }
    // A reading suffix: 氏名フリガナ, 担当者名カナ.
    for q in READING_QUALIFIERS {
        if let Some(prefix) = n.strip_suffix(q)
            && !prefix.is_empty()
            && let Some((f, _)) = match_plain(prefix)
            && let Some(k) = f.kana_variant()
        {
            return Some((k, Confidence::Fuzzy));
        }
    }
    for (p, f) in PREFIX_RULES {
        if n.starts_with(p) {
            return Some((*f, Confidence::Fuzzy));
        }
    }
    for (s, f) in SUFFIX_RULES {
        if let Some(prefix) = n.strip_suffix(s) {
            // "hotel" is not a phone number.
            if *s == "tel" && prefix.ends_with(|c: char| c.is_ascii_alphabetic()) {
                continue;
            }
            return Some((*f, Confidence::Fuzzy));
        }
    }
    None
}

/// The field a header maps to by synonyms, with the confidence of the match.
pub(crate) fn match_header(header: &str) -> Option<(LeadField, Confidence)> {
    let n = normalize_header(header);
    if n.is_empty() {
        return None;
    }
    if let Some(f) = lookup_exact(&n) {
        return Some((f, Confidence::Exact));
    }
    let (base, quals) = split_qualifiers(&n);
    if quals.is_empty() {
        return match_plain(&n);
    }
    let (mut field, conf) = match_plain(&base)?;
    let conf = conf.min(Confidence::Qualified);
    for q in &quals {
        if ROMAN_QUALIFIERS.contains(&q.as_str()) {
            return None;
        }
        if READING_QUALIFIERS.contains(&q.as_str()) {
            field = field.kana_variant()?;
            continue;
        }
        // 氏名（姓）, フリガナ（名）, フリガナ（会社名）.
        let part = match q.as_str() {
            "姓" | "せい" | "セイ" | "lastname" => {
                Some((LeadField::FamilyName, LeadField::FamilyKana))
            }
            "名" | "めい" | "メイ" | "firstname" => {
                Some((LeadField::GivenName, LeadField::GivenKana))
            }
            "会社" | "会社名" => Some((LeadField::Company, LeadField::CompanyKana)),
            _ => None,
        };
        if let Some((plain, kana)) = part {
            match field {
                LeadField::Name => field = plain,
                LeadField::Kana => field = kana,
                _ => {}
            }
        }
    }
    Some((field, conf))
}

/// True when a header is a synonym of [`LeadField::Tags`] (its cells list tags), as
/// opposed to a column named after one tag.
pub(crate) fn is_tags_header(header: &str) -> bool {
    let n = normalize_header(header);
    lookup_exact(&n) == Some(LeadField::Tags)
        || lookup_exact(split_qualifiers(&n).0.as_str()) == Some(LeadField::Tags)
}

/// Number of cells of a row that match a synonym (for header detection).
pub(crate) fn count_matches(cells: &[String]) -> usize {
    cells.iter().filter(|c| match_header(c).is_some()).count()
}

/// The Excel column letter of a 0-based index: 0 → A, 26 → AA.
pub fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The custom-field name for a column without a header: `列C`.
pub(crate) fn unnamed_column(letter_index: usize) -> String {
    format!("列{}", column_letter(letter_index))
}

/// Map headers to targets by synonyms.
///
/// `letter_offset` is the sheet column of the first header (for naming unnamed columns).
pub(crate) fn map_headers(headers: &[String], letter_offset: usize) -> Vec<ColumnTarget> {
    let matches: Vec<Option<(LeadField, Confidence)>> =
        headers.iter().map(|h| match_header(h)).collect();

    // Repeated headers: the later occurrences become "<header> (n)".
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut repeat: Vec<usize> = Vec::with_capacity(headers.len());
    for h in headers {
        let h = h.trim();
        if h.is_empty() {
            repeat.push(1);
            continue;
        }
        let n = seen.entry(h).or_insert(0);
        *n += 1;
        repeat.push(*n);
    }

    // Winner of each single-valued field: highest confidence, earliest column.
    let mut winner: HashMap<LeadField, (Confidence, usize)> = HashMap::new();
    for (i, m) in matches.iter().enumerate() {
        if repeat[i] > 1 {
            continue;
        }
        if let Some((f, c)) = m
            && f.is_single()
        {
            match winner.get(f) {
                Some((best, _)) if *best >= *c => {}
                _ => {
                    winner.insert(*f, (*c, i));
                }
            }
        }
    }

    let mut targets = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        let target = if h.is_empty() {
            ColumnTarget::Custom(unnamed_column(letter_offset + i))
        } else if repeat[i] > 1 {
            ColumnTarget::Custom(format!("{h} ({})", repeat[i]))
        } else {
            match matches[i] {
                Some((f, _)) if !f.is_single() || winner.get(&f).map(|w| w.1) == Some(i) => {
                    ColumnTarget::Field(f)
                }
                _ => ColumnTarget::Custom(h.to_owned()),
            }
        };
        targets.push(target);
    }
    dedupe_custom_names(&mut targets);
    targets
}

/// Make custom-field names unique by appending " (2)", " (3)"….
pub(crate) fn dedupe_custom_names(targets: &mut [ColumnTarget]) {
    let mut used: HashSet<String> = HashSet::new();
    for t in targets.iter_mut() {
        if let ColumnTarget::Custom(name) = t {
            if used.insert(name.clone()) {
                continue;
            }
            let mut n = 2;
            loop {
                let candidate = format!("{name} ({n})");
                if used.insert(candidate.clone()) {
                    *name = candidate;
                    break;
                }
                n += 1;
            }
        }
    }
}

/// Split a tags cell: `展示会, VIP、見込み高` → [展示会, VIP, 見込み高].
pub(crate) fn split_tags(value: &str) -> impl Iterator<Item = &str> {
    value
        .split([',', '、', ';', '；', '，', '\n', '\r', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The meaning of a cell in a column named after a tag: `Some(true)` = has the tag.
pub(crate) fn flag_value(value: &str) -> Option<bool> {
    let v: String = value.nfkc().flat_map(char::to_lowercase).collect();
    match v.trim() {
        "1" | "○" | "◯" | "●" | "✓" | "✔" | "true" | "yes" | "y" | "はい" | "有" | "あり" => {
            Some(true)
        }
        "0" | "false" | "no" | "n" | "いいえ" | "×" | "無" | "なし" | "-" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &str) -> Option<LeadField> {
        match_header(h).map(|m| m.0)
    }

    #[test]
    fn keys_round_trip_and_match_serde() {
        for f in LeadField::ALL {
            assert_eq!(LeadField::parse(f.key()), Some(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.key()));
            assert!(!f.label_ja().is_empty() && !f.label_en().is_empty());
        }
        assert_eq!(LeadField::parse("nope"), None);
    }

    #[test]
    fn column_target_serde_shape() {
        let t = ColumnTarget::Field(LeadField::Email);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"kind":"field","value":"email"}"#
        );
        let t = ColumnTarget::Custom("所有者".into());
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"kind":"custom","value":"所有者"}"#
        );
        assert_eq!(
            serde_json::to_string(&ColumnTarget::Ignore).unwrap(),
            r#"{"kind":"ignore"}"#
        );
        let back: ColumnTarget =
            serde_json::from_str(r#"{"kind":"field","value":"corporate_number"}"#).unwrap();
        assert_eq!(back, ColumnTarget::Field(LeadField::CorporateNumber));
    }

    #[test]
    fn exact_synonyms() {
        assert_eq!(field("会社名"), Some(LeadField::Company));
        assert_eq!(field("Company Name"), Some(LeadField::Company));
        assert_eq!(field("ORGANISATION"), Some(LeadField::Company));
        assert_eq!(field("ｅ－ｍａｉｌ"), Some(LeadField::Email));
        assert_eq!(field("E-mail"), Some(LeadField::Email));
        assert_eq!(field("Email Address"), Some(LeadField::Email));
        assert_eq!(field("お名前"), Some(LeadField::Name));
        assert_eq!(field("Full Name"), Some(LeadField::Name));
        assert_eq!(field("姓"), Some(LeadField::FamilyName));
        assert_eq!(field("名"), Some(LeadField::GivenName));
        assert_eq!(field("First_Name"), Some(LeadField::GivenName));
        assert_eq!(field("セイ"), Some(LeadField::FamilyKana));
        assert_eq!(field("ﾒｲ"), Some(LeadField::GivenKana));
        assert_eq!(field("〒"), Some(LeadField::Postcode));
        assert_eq!(field("Zip Code"), Some(LeadField::Postcode));
        assert_eq!(field("ＴＥＬ"), Some(LeadField::Phone));
        assert_eq!(field("携帯電話"), Some(LeadField::Mobile));
        assert_eq!(
            field("Time in Session (minutes)"),
            Some(LeadField::MinutesAttended)
        );
        assert_eq!(
            field("Duration (Minutes)"),
            Some(LeadField::MinutesAttended)
        );
        assert_eq!(field("Join Time"), Some(LeadField::ContactedOn));
        assert_eq!(field("提出者業種"), Some(LeadField::Industry));
        assert_eq!(field("会社名カナ"), Some(LeadField::CompanyKana));
        assert_eq!(field("ビル名"), Some(LeadField::Building));
        assert_eq!(field("ホームページ"), Some(LeadField::Website));
        assert_eq!(field("Employees"), Some(LeadField::EmployeeCount));
        assert_eq!(field("タグ"), Some(LeadField::Tags));
    }

    #[test]
    fn qualified_headers() {
        assert_eq!(field("メールアドレス（会社）"), Some(LeadField::Email));
        assert_eq!(field("氏名（カナ）"), Some(LeadField::Kana));
        assert_eq!(field("提出者名（ヨミ）"), Some(LeadField::CompanyKana));
        assert_eq!(field("提出者名（英字）"), None);
        assert_eq!(field("User Name (Original Name)"), Some(LeadField::Name));
        assert_eq!(field("住所1"), Some(LeadField::Address));
        assert_eq!(field("住所2"), Some(LeadField::Address));
        assert_eq!(field("フリガナ（姓）"), Some(LeadField::FamilyKana));
        assert_eq!(field("氏名(名)"), Some(LeadField::GivenName));
        assert_eq!(field("【必須】会社名"), Some(LeadField::Company));
        assert_eq!(field("会社名*"), Some(LeadField::Company));
        assert_eq!(
            field("セッション中の時間（分）"),
            Some(LeadField::MinutesAttended)
        );
        assert_eq!(match_header("住所1").unwrap().1, Confidence::Qualified);
    }

    #[test]
    fn fuzzy_headers() {
        assert_eq!(field("TEL会社"), Some(LeadField::Phone));
        assert_eq!(field("TEL直通"), Some(LeadField::Phone));
        assert_eq!(field("直通電話番号"), Some(LeadField::Phone));
        assert_eq!(field("携帯電話番号"), Some(LeadField::Mobile));
        assert_eq!(field("FAX番号"), Some(LeadField::Fax));
        assert_eq!(field("会社メールアドレス"), Some(LeadField::Email));
        assert_eq!(field("担当者名フリガナ"), Some(LeadField::Kana));
        assert_eq!(field("メール配信"), None);
        assert_eq!(field("所有者"), None);
        assert_eq!(field("Hotel"), None);
        assert_eq!(field("会社TEL"), Some(LeadField::Phone));
        assert_eq!(field("ＥＤＩＮＥＴコード"), None);
        assert_eq!(field(""), None);
        assert_eq!(match_header("TEL会社").unwrap().1, Confidence::Fuzzy);
    }

    #[test]
    fn single_valued_fields_go_to_the_best_column() {
        let headers: Vec<String> = [
            "親会社名",
            "会社名",
            "電話",
            "電話番号2",
            "提出者名（英字）",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let t = map_headers(&headers, 0);
        assert_eq!(t[0], ColumnTarget::Custom("親会社名".into()));
        assert_eq!(t[1], ColumnTarget::Field(LeadField::Company));
        assert_eq!(t[2], ColumnTarget::Field(LeadField::Phone));
        assert_eq!(t[3], ColumnTarget::Field(LeadField::Phone));
        assert_eq!(t[4], ColumnTarget::Custom("提出者名（英字）".into()));
    }

    #[test]
    fn duplicate_headers() {
        let headers: Vec<String> = [
            "メール",
            "会社名",
            "メール",
            "所有者",
            "所有者",
            "",
            "メール",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let t = map_headers(&headers, 0);
        assert_eq!(t[0], ColumnTarget::Field(LeadField::Email));
        assert_eq!(t[1], ColumnTarget::Field(LeadField::Company));
        assert_eq!(t[2], ColumnTarget::Custom("メール (2)".into()));
        assert_eq!(t[3], ColumnTarget::Custom("所有者".into()));
        assert_eq!(t[4], ColumnTarget::Custom("所有者 (2)".into()));
        assert_eq!(t[5], ColumnTarget::Custom("列F".into()));
        assert_eq!(t[6], ColumnTarget::Custom("メール (3)".into()));
    }

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn tags_and_flags() {
        assert_eq!(
            split_tags("展示会, VIP、見込み高").collect::<Vec<_>>(),
            ["展示会", "VIP", "見込み高"]
        );
        assert_eq!(flag_value("1"), Some(true));
        assert_eq!(flag_value("１"), Some(true));
        assert_eq!(flag_value("0"), Some(false));
        assert_eq!(flag_value("展示会"), None);
        assert!(is_tags_header("Tags"));
        assert!(!is_tags_header("展示会2025"));
    }
}
