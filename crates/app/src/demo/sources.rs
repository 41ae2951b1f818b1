//! Company-name sources for the demo: the real public lists in the shared data directory
//! when present, otherwise a built-in list of fictional companies.

use std::path::{Path, PathBuf};

use super::DemoCompany;
use super::data::{AREAS, BUILTIN_COMPANIES};

const EDINET_FILE: &str = "companies/edinet-filers.cp932.csv";
const JAPAN_POST_FILE: &str = "companies/japan-post-jigyosyo.sjis.csv";

/// The shared data directory: `ONDO_DEMO_DATA_DIR`, else `../shared/data` relative to the
/// current directory, else relative to this crate's source directory.
fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ONDO_DEMO_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    let candidates = [
        PathBuf::from("../shared/data"),
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).to_path_buf(),
    ];
    candidates.into_iter().find(|p| p.is_dir())
}

pub(super) fn load() -> Vec<DemoCompany> {
    let mut out = Vec::new();
    if let Some(dir) = data_dir() {
        if let Some(rows) = read_csv(&dir.join(EDINET_FILE)) {
            out.extend(edinet(&rows));
        }
        if let Some(rows) = read_csv(&dir.join(JAPAN_POST_FILE)) {
            out.extend(japan_post(&rows));
        }
    }
    if out.len() < 50 {
        return builtin();
    }
    out
}

fn read_csv(path: &Path) -> Option<Vec<Vec<String>>> {
    let bytes = std::fs::read(path).ok()?;
    let decoded = ondo_ingest::encoding::decode(&bytes, None).ok()?;
    ondo_ingest::csv_reader::read_records(&decoded.text).ok()
}

/// EDINET filer list: line 1 metadata, line 2 header. Domestic organisations only.
fn edinet(rows: &[Vec<String>]) -> Vec<DemoCompany> {
    let mut out = Vec::new();
    for row in rows.iter().skip(2) {
        let field = |i: usize| row.get(i).map(|s| s.trim()).filter(|s| !s.is_empty());
        let (Some(kind), Some(name)) = (field(1), field(6)) else {
            continue;
        };
        // Funds and partnerships are not sales targets.
        if !kind.starts_with("内国法人") || name.contains("組合") || name.contains("投資法人")
        {
            continue;
        }
        let domain = field(7)
            .map(slug_from_english)
            .filter(|s| s.len() >= 2)
            .map(|s| format!("{s}.example.co.jp"));
        out.push(DemoCompany {
            raw_name: name.to_owned(),
            corporate_number: field(12)
                .filter(|n| n.len() == 13 && n.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_owned),
            domain,
            address: field(9).map(str::to_owned),
            // Rows without a securities report carry the filer type in the industry column.
            industry: field(10).filter(|s| !s.contains("法人")).map(str::to_owned),
        });
    }
    out
}

/// Japan Post offices with their own postcode (no header). Companies only; the postcode is
/// kept at the front of the address as "〒123-4567 ", the way Japanese lists often write it.
fn japan_post(rows: &[Vec<String>]) -> Vec<DemoCompany> {
    let mut out = Vec::new();
    for row in rows {
        if row.len() < 8 {
            continue;
        }
        let name = row[2].trim();
        let is_company = ["株式会社", "（株）", "有限会社", "合同会社"]
            .iter()
            .any(|k| name.contains(k));
        if !is_company {
            continue;
        }
        let postcode = row[7].trim();
        let place: String = row[3..7].iter().map(|s| s.trim()).collect();
        let address = if postcode.len() == 7 && postcode.bytes().all(|b| b.is_ascii_digit()) {
            format!("〒{}-{} {place}", &postcode[..3], &postcode[3..])
        } else {
            place
        };
        out.push(DemoCompany {
            raw_name: name.to_owned(),
            corporate_number: None,
            domain: None,
            address: Some(address),
            industry: None,
        });
    }
    out
}

/// "KANEKO SEEDS CO., LTD." → "kaneko-seeds". Full-width letters are folded to ASCII.
pub(super) fn slug_from_english(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(' '),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .to_ascii_lowercase();
    const SUFFIXES: &[&str] = &[
        "co.,ltd.",
        "co., ltd.",
        "co.,ltd",
        "co., ltd",
        "co. ltd.",
        "company, limited",
        "company limited",
        "corporation",
        "corp.",
        "corp",
        "inc.",
        "inc",
        "ltd.",
        "ltd",
        "limited",
        "k.k.",
        "holdings",
        "co.",
        "co",
    ];
    let mut s = ascii.trim().trim_end_matches(['.', ',', ' ']).to_string();
    loop {
        let before = s.len();
        for suffix in SUFFIXES {
            if let Some(stripped) = s.strip_suffix(suffix)
                && (stripped.is_empty() || stripped.ends_with([' ', ',', '.']))
            {
                s = stripped.trim_end_matches([',', ' ']).to_string();
            }
        }
        if s.len() == before {
            break;
        }
    }
    let mut slug = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    // Keep domain labels short and valid.
    let mut cut = slug.len().min(40);
    while cut > 0 && !slug.is_char_boundary(cut) {
        cut -= 1;
    }
    slug[..cut].trim_end_matches('-').to_string()
}

/// The fictional fallback list.
pub(super) fn builtin() -> Vec<DemoCompany> {
    BUILTIN_COMPANIES
        .iter()
        .enumerate()
        .map(|(i, &(name, slug, industry))| {
            let (postcode, place, _) = AREAS[i % AREAS.len()];
            DemoCompany {
                raw_name: name.to_owned(),
                corporate_number: None,
                domain: Some(format!("{slug}.example.co.jp")),
                address: Some(format!(
                    "〒{postcode} {place}{}-{}-{}",
                    1 + i % 5,
                    1 + (i * 7) % 12,
                    1 + (i * 13) % 20
                )),
                industry: Some(industry.to_owned()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug_from_english("KANEKO SEEDS CO., LTD."), "kaneko-seeds");
        assert_eq!(slug_from_english("ROUND ONE Corporation"), "round-one");
        assert_eq!(
            slug_from_english("GOKURAKUYU HOLDINGS CO.,LTD."),
            "gokurakuyu"
        );
        assert_eq!(
            slug_from_english("St.CREEK GOLF CLUB CO.,LTD."),
            "st-creek-golf-club"
        );
        assert_eq!(
            slug_from_english("ＳＢＣ　Ｍｅｄｉｃａｌ　Ｇｒｏｕｐ"),
            "sbc-medical-group"
        );
        assert_eq!(
            slug_from_english("The Sakata Seed Corporation"),
            "the-sakata-seed"
        );
        assert_eq!(
            slug_from_english("Kawasaki Kasei Chemicals Ltd"),
            "kawasaki-kasei-chemicals"
        );
        assert_eq!(
            slug_from_english("Bank of Innovation, Inc"),
            "bank-of-innovation"
        );
        assert_eq!(slug_from_english("ZINC"), "zinc");
        assert_eq!(slug_from_english("TACO"), "taco");
    }

    #[test]
    fn builtin_list_is_varied() {
        let b = builtin();
        assert!(b.len() >= 60);
        assert!(b.iter().any(|c| c.raw_name.starts_with("株式会社")));
        assert!(b.iter().any(|c| c.raw_name.ends_with("株式会社")));
        assert!(
            b.iter()
                .any(|c| c.raw_name.contains("（株）") || c.raw_name.contains("(株)"))
        );
        assert!(b.iter().any(|c| c.raw_name.contains("有限会社")));
        assert!(b.iter().any(|c| c.raw_name.contains("合同会社")));
        assert!(b.iter().any(|c| c.raw_name.contains("Co., Ltd.")));
    }
}
