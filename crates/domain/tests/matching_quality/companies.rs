//! Real Japanese company names from `shared/data/companies`, or a built-in synthetic list.
//!
//! EDINET's filer list gives the registered name (株式会社 before or after, full-width
//! spaces and letters as filed), the English name and the reading; Japan Post's list of
//! offices with their own postcode gives names written `（株）` or `株式会社` with a
//! half-width reading. Only 株式会社 without a branch (支店, 支社 …) are used, so that
//! each name is one company. Both files are Shift_JIS (CP932) and decoded with
//! `encoding_rs`.

use std::sync::OnceLock;

use ondo_domain::{CompanyName, normalize_text};

/// The EDINET filer list (EDINETコードリスト), CP932.
const EDINET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/companies/edinet-filers.cp932.csv"
);

/// Japan Post's offices with their own postcode (事業所の個別郵便番号), Shift_JIS.
const JAPAN_POST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/companies/japan-post-jigyosyo.sjis.csv"
);

/// Words that mark a branch or an office rather than a company.
const BRANCH_WORDS: &[&str] = &[
    "支店",
    "支社",
    "営業所",
    "出張所",
    "事業所",
    "事務所",
    "工場",
    "センター",
    "本部",
    "本社",
    "研究所",
    "店",
    "局",
    "寮",
];

/// One company as its registers write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// The name as registered, e.g. `株式会社　サカタのタネ` or `伊藤組土建株式会社`.
    pub official: String,
    /// The name without 株式会社, e.g. `サカタのタネ`.
    pub core: String,
    /// True if 株式会社 comes before the name (前株).
    pub form_before: bool,
    /// The English name from EDINET, e.g. `SAKATA SEED CORPORATION`.
    pub english: Option<String>,
    /// The reading of the core name in full-width katakana, e.g. `サカタノタネ`.
    pub katakana: String,
    /// True if the reading is written as people write it; Japan Post's lacks small kana (シヤ for シャ).
    pub katakana_exact: bool,
    /// Where the name comes from: `EDINET`, `Japan Post` or `built-in`.
    pub origin: &'static str,
}

/// Companies available to the generator.
#[derive(Debug, Clone)]
pub struct CompanyPool {
    /// Companies from EDINET (or the built-in list).
    pub edinet: Vec<Company>,
    /// Companies from Japan Post (empty for the built-in list).
    pub japan_post: Vec<Company>,
    /// True if the shared files were missing and the built-in names are used.
    pub synthetic: bool,
}

/// Splits one CSV line; fields may be double-quoted (with `""` for a quote).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Reads a Shift_JIS file into lines; `None` if it cannot be read.
fn read_sjis_lines(path: &str) -> Option<Vec<String>> {
    let bytes = std::fs::read(path).ok()?;
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&bytes);
    Some(text.lines().map(str::to_string).collect())
}

/// Trims ASCII and ideographic spaces.
fn trim_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

/// Splits `株式会社X`, `X株式会社`, `（株）X`, `X　（株）` into (core, form before).
fn split_kabushiki(name: &str) -> Option<(String, bool)> {
    let name = trim_spaces(name);
    for form in ["株式会社", "（株）", "(株)"] {
        if let Some(rest) = name.strip_prefix(form) {
            return Some((trim_spaces(rest).to_string(), true));
        }
        if let Some(rest) = name.strip_suffix(form) {
            return Some((trim_spaces(rest).to_string(), false));
        }
    }
    None
}

/// True if the core name is usable as one company: not a branch, not another legal form, long enough.
fn usable_core(core: &str) -> bool {
    core.chars().count() >= 2
        && !BRANCH_WORDS.iter().any(|w| core.contains(w))
        && !core.contains("株式会社")
        && !core.contains('（')
        && !core.contains('(')
}

/// Katakana of a reading without the legal form (カブシキガイシャ, ｶﾌﾞｼｷｶｲｼﾔ, (ｶﾌﾞ), ｶ) …) and spaces.
fn reading_without_form(reading: &str) -> String {
    let full = normalize_text(reading);
    let mut out = String::new();
    for word in full.split(' ') {
        let mut w = word.to_string();
        for form in [
            "カブシキガイシャ",
            "カブシキカイシャ",
            "カブシキガイシヤ",
            "カブシキカイシヤ",
            "(カブ)",
            "カブ)",
            "カ)",
        ] {
            w = w.replace(form, "");
        }
        if w != "カブ" {
            out.push_str(&w);
        }
    }
    out
}

/// Companies from the EDINET filer list: domestic 株式会社 with English name and reading.
fn edinet_companies(lines: &[String]) -> Vec<Company> {
    let mut out = Vec::new();
    // Line 1 is metadata, line 2 the header.
    for line in lines.iter().skip(2) {
        let f = split_csv_line(line);
        if f.len() < 9 || f[1] != "内国法人・組合" {
            continue;
        }
        let official = trim_spaces(&f[6]).to_string();
        let Some((core, form_before)) = split_kabushiki(&official) else {
            continue;
        };
        let katakana = reading_without_form(&f[8]);
        if !usable_core(&core) || katakana.is_empty() {
            continue;
        }
        let english = Some(trim_spaces(&f[7]).to_string()).filter(|e| !e.is_empty());
        out.push(Company {
            official,
            core,
            form_before,
            english,
            katakana,
            katakana_exact: true,
            origin: "EDINET",
        });
    }
    out
}

/// Companies from Japan Post's office list: 株式会社 or （株） names that are not branches.
fn japan_post_companies(lines: &[String]) -> Vec<Company> {
    let mut out = Vec::new();
    for line in lines {
        let f = split_csv_line(line);
        if f.len() < 3 {
            continue;
        }
        let Some((core, form_before)) = split_kabushiki(&f[2]) else {
            continue;
        };
        let katakana = reading_without_form(&f[1]);
        if !usable_core(&core) || katakana.is_empty() {
            continue;
        }
        // The register writes 株式会社 in full; （株） is the list's abbreviation.
        let official = if form_before {
            format!("株式会社{core}")
        } else {
            format!("{core}株式会社")
        };
        out.push(Company {
            official,
            core,
            form_before,
            english: None,
            katakana,
            katakana_exact: false,
            origin: "Japan Post",
        });
    }
    out
}

/// About 100 synthetic names (東京商事株式会社, 株式会社大阪電機 …) for when the files are missing.
fn built_in_companies() -> Vec<Company> {
    const PLACES: &[(&str, &str, &str)] = &[
        ("東京", "トウキョウ", "TOKYO"),
        ("大阪", "オオサカ", "OSAKA"),
        ("日本", "ニホン", "NIHON"),
        ("中央", "チュウオウ", "CHUO"),
        ("第一", "ダイイチ", "DAIICHI"),
        ("三和", "サンワ", "SANWA"),
        ("富士", "フジ", "FUJI"),
        ("東洋", "トウヨウ", "TOYO"),
        ("北陸", "ホクリク", "HOKURIKU"),
        ("九州", "キュウシュウ", "KYUSHU"),
    ];
    const TRADES: &[(&str, &str, &str)] = &[
        ("商事", "ショウジ", "SHOJI"),
        ("電機", "デンキ", "DENKI"),
        ("物産", "ブッサン", "BUSSAN"),
        ("建設", "ケンセツ", "CONSTRUCTION"),
        ("化学", "カガク", "CHEMICAL"),
        ("精工", "セイコウ", "SEIKO"),
        ("製作所", "セイサクショ", "SEISAKUSHO"),
        ("システム", "システム", "SYSTEMS"),
        ("工業", "コウギョウ", "INDUSTRIES"),
        ("運輸", "ウンユ", "TRANSPORT"),
    ];
    let mut out = Vec::new();
    for (i, (place, place_kana, place_en)) in PLACES.iter().enumerate() {
        for (j, (trade, trade_kana, trade_en)) in TRADES.iter().enumerate() {
            let core = format!("{place}{trade}");
            let form_before = (i + j) % 2 == 0;
            let official = if form_before {
                format!("株式会社{core}")
            } else {
                format!("{core}株式会社")
            };
            out.push(Company {
                official,
                core,
                form_before,
                english: Some(format!("{place_en} {trade_en} CO., LTD.")),
                katakana: format!("{place_kana}{trade_kana}"),
                katakana_exact: true,
                origin: "built-in",
            });
        }
    }
    out
}

/// Keeps the first company of each name key, so that two entries never name one company.
fn distinct(companies: Vec<Company>) -> Vec<Company> {
    let mut seen = std::collections::HashSet::new();
    companies
        .into_iter()
        .filter(|c| {
            CompanyName::parse(&c.core)
                .map(|n| seen.insert(n.key()))
                .unwrap_or(false)
        })
        .collect()
}

/// Loads the company pool once: the shared files when present, else the built-in names.
pub fn pool() -> &'static CompanyPool {
    static POOL: OnceLock<CompanyPool> = OnceLock::new();
    POOL.get_or_init(|| {
        match (read_sjis_lines(EDINET), read_sjis_lines(JAPAN_POST)) {
            (Some(edinet), Some(post)) => {
                let edinet = distinct(edinet_companies(&edinet));
                let mut post = japan_post_companies(&post);
                // A company in both lists counts once, as its EDINET entry.
                let mut all = edinet.clone();
                all.append(&mut post);
                let post = distinct(all).split_off(edinet.len());
                CompanyPool {
                    edinet,
                    japan_post: post,
                    synthetic: false,
                }
            }
            _ => CompanyPool {
                edinet: built_in_companies(),
                japan_post: Vec::new(),
                synthetic: true,
            },
        }
    })
}
