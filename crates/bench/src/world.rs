//! The deterministic world both `seed` and `gen-import` draw from: the company list and
//! the person generator. Person `j` of seed `s` is the same person in every command, so
//! the rows of an import file that describe "existing" people really are leads of the
//! seeded workspace (lead id `j + 1` in a freshly seeded database).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ondo_domain::{CompanyName, LeadStatus};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::vocab::{
    AREAS, BUSINESSES, DEPARTMENTS, FAMILY_NAMES, GIVEN_NAMES, LEGAL_FORMS, MIDDLES, SEED_SOURCES,
    STEMS, TITLES,
};

/// Seeded leads per company on average (1M leads → 50k companies).
pub const LEADS_PER_COMPANY: usize = 20;

const EDINET_FILE: &str = "companies/edinet-filers.cp932.csv";
const JAPAN_POST_FILE: &str = "companies/japan-post-jigyosyo.sjis.csv";

/// The shared data directory: `ONDO_BENCH_DATA_DIR`, else `../shared/data` relative to
/// the current directory, else relative to this crate's source directory.
pub fn shared_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ONDO_BENCH_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    [
        PathBuf::from("../shared/data"),
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).to_path_buf(),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

fn read_csv(path: &Path) -> Option<Vec<Vec<String>>> {
    let bytes = std::fs::read(path).ok()?;
    let decoded = ondo_ingest::encoding::decode(&bytes, None).ok()?;
    ondo_ingest::csv_reader::read_records(&decoded.text).ok()
}

/// Real organisation names from the public lists (EDINET filers, Japan Post offices), in
/// file order; empty when the files are absent.
pub fn real_company_names(dir: Option<&Path>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(dir) = dir else { return out };
    if let Some(rows) = read_csv(&dir.join(EDINET_FILE)) {
        // Line 1 is metadata, line 2 the header; 提出者名 is column 6.
        let col = rows
            .get(1)
            .and_then(|h| h.iter().position(|c| c.trim() == "提出者名"))
            .unwrap_or(6);
        for row in rows.iter().skip(2) {
            if let Some(name) = row.get(col).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                out.push(name.to_string());
            }
        }
    }
    if let Some(rows) = read_csv(&dir.join(JAPAN_POST_FILE)) {
        // No header; the kanji name is the third column.
        for row in &rows {
            if let Some(name) = row.get(2).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// Synthetic company names, all combinations of the word lists, in a fixed order.
fn synthetic_company_names() -> Vec<String> {
    let mut stems: Vec<&str> = STEMS.to_vec();
    stems.extend(FAMILY_NAMES.iter().map(|f| f.0));
    let mut out = Vec::with_capacity(stems.len() * MIDDLES.len() * BUSINESSES.len());
    for (i, stem) in stems.iter().enumerate() {
        for (k, middle) in MIDDLES.iter().enumerate() {
            for (m, business) in BUSINESSES.iter().enumerate() {
                let (form, before, _) = LEGAL_FORMS[(i + k * 7 + m * 3) % LEGAL_FORMS.len()];
                let core = format!("{stem}{middle}{business}");
                out.push(if before {
                    format!("{form}{core}")
                } else {
                    format!("{core}{form}")
                });
            }
        }
    }
    out
}

/// A company of the world.
#[derive(Debug, Clone)]
pub struct Company {
    /// The name as the source list writes it.
    pub raw: String,
    /// Its (reserved, never routable) email domain: `c{index}.example.co.jp`.
    pub domain: String,
    pub postcode: &'static str,
    pub address: String,
    /// The representative line (代表), in national form.
    pub main_phone: String,
    pub area_code: &'static str,
}

/// One person, fully determined by the world's seed and `j`.
#[derive(Debug, Clone)]
pub struct Person {
    pub j: u64,
    pub family: usize,
    pub given: usize,
    pub company: usize,
    /// The lead's email, normalised (lowercase ASCII).
    pub email: String,
    /// Office line in national form: the company's main line or a direct line.
    pub phone: Option<String>,
    /// Mobile in national form.
    pub mobile: Option<String>,
    pub department: Option<&'static str>,
    pub title: Option<&'static str>,
    pub status: LeadStatus,
    /// How many days before "now" the lead was created.
    pub age_days: i64,
    /// Index into [`SEED_SOURCES`].
    pub source: usize,
}

impl Person {
    pub fn family(&self) -> (&'static str, &'static str, &'static str) {
        let f = FAMILY_NAMES[self.family];
        (f.0, f.1, f.2)
    }
    pub fn given(&self) -> (&'static str, &'static str, &'static str) {
        GIVEN_NAMES[self.given]
    }
    /// "山田 太郎".
    pub fn name(&self) -> String {
        format!("{} {}", self.family().0, self.given().0)
    }
    /// "ヤマダ タロウ".
    pub fn kana(&self) -> String {
        format!("{} {}", self.family().1, self.given().1)
    }
}

/// Cumulative weights for weighted draws.
struct Weighted {
    cdf: Vec<u32>,
}

impl Weighted {
    fn new(weights: impl Iterator<Item = u32>) -> Self {
        let mut total = 0;
        let cdf = weights
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cdf }
    }
    fn pick(&self, rng: &mut impl Rng) -> usize {
        let total = *self.cdf.last().unwrap_or(&1);
        let x = rng.gen_range(0..total);
        self.cdf.partition_point(|&c| c <= x)
    }
}

/// Everything deterministic about a benchmark data set.
pub struct World {
    pub seed: u64,
    /// Leads in the seeded workspace: persons `0..existing`.
    pub existing: u64,
    /// Companies the seeded leads work at: companies `0..seed_companies`.
    pub seed_companies: usize,
    /// Companies only people of import files work at: the next `new_companies`.
    pub new_companies: usize,
    companies: Vec<Company>,
    /// How many company names came from the public lists.
    pub real_names: usize,
    family: Weighted,
    departments: Weighted,
    titles: Weighted,
}

/// A multiplicative scramble of `x` modulo `10^digits`; a bijection on `0..10^digits`.
fn scramble(x: u64, salt: u64, digits: u32) -> u64 {
    let m = 10u64.pow(digits);
    (x % m).wrapping_mul(2_654_435_761 % m).wrapping_add(salt) % m
}

/// "03-1234-5678" or "045-123-4567": a subscriber number in national form; `lead` is its
/// first digit (2–9), the rest come from `x`.
fn landline(area: &str, lead: u64, x: u64) -> String {
    let digits = 10 - area.len() as u32; // subscriber digits for a 10-digit national number
    let rest = scramble(x, 7, digits - 1);
    let sub = format!("{lead}{rest:0width$}", width = (digits - 1) as usize);
    let split = sub.len() - 4;
    format!("{area}-{}-{}", &sub[..split], &sub[split..])
}

impl World {
    /// The world of `seed` with `existing` seeded leads; company names come from the
    /// public lists in `data_dir` when present, then from synthetic combinations.
    pub fn new(seed: u64, existing: u64, data_dir: Option<&Path>) -> World {
        let seed_companies = ((existing as usize) / LEADS_PER_COMPANY).max(1);
        let new_companies = (seed_companies / 10).max(20);
        let wanted = seed_companies + new_companies;

        let mut real = real_company_names(data_dir);
        let mut seen = HashSet::new();
        real.retain(|n| {
            CompanyName::parse(n).is_ok_and(|c| !c.key().is_empty() && seen.insert(c.key()))
        });
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC0FF_EE00);
        real.shuffle(&mut rng);
        let real_names = real.len().min(wanted);
        let mut names = real;
        names.truncate(wanted);
        if names.len() < wanted {
            let mut synthetic = synthetic_company_names();
            synthetic.shuffle(&mut rng);
            for n in synthetic {
                if names.len() >= wanted {
                    break;
                }
                if let Ok(c) = CompanyName::parse(&n)
                    && seen.insert(c.key())
                {
                    names.push(n);
                }
            }
            let mut n = 0;
            while names.len() < wanted {
                n += 1;
                let name = format!("株式会社テスト{n}");
                if seen.insert(
                    CompanyName::parse(&name)
                        .map(|c| c.key())
                        .unwrap_or_default(),
                ) {
                    names.push(name);
                }
            }
        }
        let companies = names
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let (postcode, place, area_code) =
                    AREAS[(scramble(i as u64, seed, 9) as usize) % AREAS.len()];
                Company {
                    raw,
                    domain: format!("c{i}.example.co.jp"),
                    postcode,
                    address: format!(
                        "{place}{}-{}-{}",
                        1 + i % 5,
                        1 + (i / 5) % 12,
                        1 + (i / 60) % 20
                    ),
                    main_phone: landline(area_code, 5, i as u64),
                    area_code,
                }
            })
            .collect();
        World {
            seed,
            existing,
            seed_companies,
            new_companies,
            companies,
            real_names,
            family: Weighted::new(FAMILY_NAMES.iter().map(|f| f.3)),
            departments: Weighted::new(DEPARTMENTS.iter().map(|d| d.1)),
            titles: Weighted::new(TITLES.iter().map(|t| t.1)),
        }
    }

    pub fn company(&self, c: usize) -> &Company {
        &self.companies[c]
    }

    /// A company index with a skewed size distribution: a few companies have hundreds of
    /// leads, most have a handful.
    fn pick_company(rng: &mut impl Rng, n: usize) -> usize {
        let u: f64 = rng.r#gen();
        ((u.powf(1.6) * n as f64) as usize).min(n - 1)
    }

    /// Person `j`: `j < existing` are the seeded leads, larger `j` are people the
    /// workspace does not know yet (a quarter of them at companies it does not know).
    pub fn person(&self, j: u64) -> Person {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(j);
        let family = self.family.pick(&mut rng);
        let given = rng.gen_range(0..GIVEN_NAMES.len());
        let company = if j < self.existing || rng.gen_bool(0.75) {
            Self::pick_company(&mut rng, self.seed_companies)
        } else {
            self.seed_companies + rng.gen_range(0..self.new_companies)
        };
        let (g, f) = (GIVEN_NAMES[given].2, FAMILY_NAMES[family].2);
        let email_local = match rng.gen_range(0..100) {
            0..50 => format!("{g}.{f}"),
            50..85 => format!("{}.{f}", &g[..1]),
            _ => format!("{f}.{g}"),
        };
        let email = format!("{email_local}.{j}@{}", self.companies[company].domain);
        let c = &self.companies[company];
        let phone = match rng.gen_range(0..100) {
            0..55 => Some(c.main_phone.clone()),
            55..90 => Some(landline(c.area_code, 6, j)),
            _ => None,
        };
        let mobile = rng.gen_bool(0.55).then(|| {
            let prefix = ["090", "080", "070"][rng.gen_range(0..3)];
            // 8 digits not starting with 0 (080-0… would be the toll-free 0800).
            let sub = (1 + (j / 10_000_000) % 9) * 10_000_000 + scramble(j, self.seed, 7);
            format!("{prefix}-{:04}-{:04}", sub / 10_000, sub % 10_000)
        });
        let department = rng
            .gen_bool(0.9)
            .then(|| DEPARTMENTS[self.departments.pick(&mut rng)].0);
        let title = rng
            .gen_bool(0.85)
            .then(|| TITLES[self.titles.pick(&mut rng)].0);
        let status = match rng.gen_range(0..100) {
            0..45 => LeadStatus::New,
            45..70 => LeadStatus::Nurturing,
            70..80 => LeadStatus::SalesReady,
            80..87 => LeadStatus::Opportunity,
            _ => LeadStatus::LostDormant,
        };
        Person {
            j,
            family,
            given,
            company,
            email,
            phone,
            mobile,
            department,
            title,
            status,
            age_days: rng.gen_range(1..1095),
            source: rng.gen_range(0..SEED_SOURCES.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persons_are_deterministic_and_emails_unique() {
        let w = World::new(7, 2_000, None);
        let a = w.person(123);
        let b = World::new(7, 2_000, None).person(123);
        assert_eq!(a.email, b.email);
        assert_eq!(a.name(), b.name());
        let emails: HashSet<String> = (0..5_000).map(|j| w.person(j).email).collect();
        assert_eq!(emails.len(), 5_000);
    }

    #[test]
    fn phones_parse_to_the_same_national_form() {
        let w = World::new(1, 5_000, None);
        for j in 0..2_000 {
            let p = w.person(j);
            for ph in p.phone.iter().chain(p.mobile.iter()) {
                let parsed = ondo_domain::Phone::parse(ph).unwrap();
                assert_eq!(&parsed.national(), ph);
            }
        }
    }

    #[test]
    fn company_names_are_distinct_companies() {
        let w = World::new(3, 20_000, None);
        let mut keys = HashSet::new();
        for c in 0..w.seed_companies + w.new_companies {
            let name = CompanyName::parse(&w.company(c).raw).unwrap();
            assert!(keys.insert(name.key()), "{}", w.company(c).raw);
        }
    }
}
