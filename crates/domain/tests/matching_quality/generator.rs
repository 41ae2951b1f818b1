//! A labelled set of Japanese B2B leads, generated deterministically from a seed.
//!
//! About 3,000 people at about 600 companies each appear as 1 to 4 records from
//! different sources, every source writing them its own way:
//!
//! * `card` (business-card app, Eight/Sansan export): `姓 名`, reading, corporate email,
//!   the company's 代表 number (shared by everyone there) plus direct line and mobile,
//!   department and title, the company as registered;
//! * `expo` (trade-show Excel): name without a space or with a full-width one, `(株)` /
//!   `㈱`, half-width reading, email in full width or upper case or missing, one phone
//!   with the leading 0 dropped by Excel;
//! * `webinar` (Zoom sign-up): a private address (gmail.com, yahoo.co.jp, docomo.ne.jp …)
//!   for about 40% of people, the company typed freely (without 株式会社, in katakana or
//!   English, or not at all), common kanji for variant ones (髙→高 …), sometimes a mobile;
//! * `form` (web form): corporate email, name, company, one phone.
//!
//! Hard cases are there on purpose: homonyms (the same full name at other companies,
//! including a set of very common names carried by 3–6 people each), same-name
//! colleagues at the same company in different departments, people whose email changed
//! with a merger (old domain) who kept their mobile, and about 5% of people listed twice
//! in one source. The ground truth is each record's person id.

use std::collections::{HashMap, HashSet};

use rand::distributions::{Distribution, WeightedIndex};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::companies::{Company, pool};
use super::names::{
    FAMILY_NAMES, FEMALE_GIVEN, MALE_GIVEN, POPULAR_FULL_NAMES, homophones, romaji, to_half_width,
    to_hiragana,
};

/// Number of true people.
pub const PEOPLE: usize = 3_000;
/// Number of companies (fewer if the pool is smaller).
pub const COMPANIES: usize = 600;
/// Of which from EDINET; the rest from Japan Post.
const EDINET_COMPANIES: usize = 420;
/// Share of people who sign up for webinars with a private address.
const WEBINAR_PRIVATE: f64 = 0.40;
/// Share of people listed twice in one source.
const DUPLICATE_IN_SOURCE: f64 = 0.05;
/// Share of companies that merged and changed their email domain.
const MERGED_COMPANIES: f64 = 0.10;
/// Share of people with a second corporate address (an alias) that they use on forms.
const ALIAS_EMAIL: f64 = 0.04;
/// Pairs of same-name colleagues (same company, different departments and emails).
const COLLEAGUE_HOMONYM_PAIRS: usize = 12;

/// Where a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// Business-card app export (Eight / Sansan).
    Card,
    /// Trade-show visitor list in Excel.
    Expo,
    /// Webinar sign-up (Zoom registration export).
    Webinar,
    /// Inquiry / download form on the company website.
    Form,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 4] = [Source::Card, Source::Expo, Source::Webinar, Source::Form];

    /// A short label for tables.
    pub fn label(&self) -> &'static str {
        match self {
            Source::Card => "card",
            Source::Expo => "expo",
            Source::Webinar => "webinar",
            Source::Form => "form",
        }
    }
}

/// A company with what the generator made up around its real name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// The real name and its spellings.
    pub company: Company,
    /// The corporate email domain.
    pub domain: String,
    /// The domain before a merger, if the company changed it.
    pub old_domain: Option<String>,
    /// The 代表 number, shared by everyone at the company.
    pub main_phone: String,
    /// The area code of the company's lines.
    area: &'static str,
    /// How the company builds email local parts (0..5).
    email_style: usize,
    /// True if the company writes long vowels in addresses (satou), not passport style (sato).
    long_vowels: bool,
}

/// One true person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The ground-truth id (index in [`Dataset::people`]).
    pub id: usize,
    /// Index of the company in [`Dataset::orgs`].
    pub org: usize,
    /// Family name as the person writes it (maybe a variant: 髙橋).
    pub family: String,
    /// Given name as the person writes it.
    pub given: String,
    /// Family name in common kanji (高橋), as typed on a keyboard.
    pub family_common: String,
    /// Given name in common kanji.
    pub given_common: String,
    /// Reading of the family name, katakana.
    pub family_kana: String,
    /// Reading of the given name, katakana.
    pub given_kana: String,
    /// The department as on the business card.
    pub department: String,
    /// The short department name people type (営業部).
    pub department_short: &'static str,
    /// Job title.
    pub title: &'static str,
    /// Current corporate email.
    pub email: String,
    /// Email at the pre-merger domain, if the person had one.
    pub old_email: Option<String>,
    /// A second address at the company domain (alias), if the person has one.
    pub alias_email: Option<String>,
    /// Private address (free mail).
    pub private_email: String,
    /// True if the person signs up for webinars with the private address.
    pub webinar_private: bool,
    /// Direct line (直通), a landline that reaches only this person.
    pub direct: Option<String>,
    /// Mobile number.
    pub mobile: Option<String>,
    /// True if a colleague at the same company has the same name (a deliberate hard negative).
    pub colleague_homonym: bool,
}

impl Person {
    /// True if the person writes a variant kanji in the name.
    pub fn has_variant(&self) -> bool {
        self.family != self.family_common || self.given != self.given_common
    }
}

/// One record as a source wrote it, with the ground truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The true person ([`Person::id`]).
    pub person: usize,
    /// The source file.
    pub source: Source,
    /// Name as written.
    pub name: String,
    /// Reading as written (may be empty).
    pub kana: String,
    /// Email as written (may be empty).
    pub email: String,
    /// General phone numbers (not known to be personal).
    pub phones: Vec<String>,
    /// Numbers the source marks personal: direct lines (直通) and mobiles.
    pub mobiles: Vec<String>,
    /// Company as written (may be empty).
    pub company: String,
    /// Department as written (may be empty).
    pub department: String,
    /// Title as written (may be empty).
    pub title: String,
    /// What the source did differently, for the miss analysis.
    pub notes: Vec<&'static str>,
}

/// The whole labelled set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Companies.
    pub orgs: Vec<Org>,
    /// True people.
    pub people: Vec<Person>,
    /// Records, shuffled.
    pub records: Vec<Record>,
    /// True if the company names are the built-in synthetic ones.
    pub synthetic: bool,
}

/// Departments: the short name people type and the longer forms printed on cards.
const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "営業部",
        &[
            "営業本部 営業部",
            "営業部 第１課",
            "営業部 第2グループ",
            "東日本営業部",
            "営業部",
        ],
    ),
    (
        "情報システム部",
        &[
            "情報システム部",
            "情報システム部 インフラ課",
            "IT戦略本部 情報システム部",
        ],
    ),
    ("経営企画部", &["経営企画部", "経営企画本部 経営企画部"]),
    (
        "マーケティング部",
        &[
            "マーケティング部",
            "マーケティング本部 デジタルマーケティング部",
        ],
    ),
    (
        "人事部",
        &["人事部", "人事総務部 人事課", "人事部 採用グループ"],
    ),
    ("総務部", &["総務部", "総務部 総務課"]),
    ("経理部", &["経理部", "財務経理部 経理課"]),
    ("開発部", &["技術開発部", "開発本部 第一開発部"]),
    ("購買部", &["購買部", "調達本部 購買部"]),
    ("DX推進室", &["DX推進室", "デジタル推進部 DX推進室"]),
    ("カスタマーサクセス部", &["カスタマーサクセス部"]),
    ("法務部", &["法務部", "法務・知財部"]),
    ("製造部", &["生産本部 製造部", "製造部 製造一課"]),
    ("品質保証部", &["品質保証部"]),
    ("事業企画部", &["事業企画部"]),
    ("広報部", &["広報部", "コーポレートコミュニケーション部"]),
];

/// Job titles.
const TITLES: &[&str] = &[
    "",
    "部長",
    "課長",
    "係長",
    "主任",
    "マネージャー",
    "シニアマネージャー",
    "リーダー",
    "担当",
    "取締役",
    "執行役員",
    "室長",
];

/// Free and carrier mail domains people use for private sign-ups, with weights.
const PRIVATE_DOMAINS: &[(&str, u32)] = &[
    ("gmail.com", 45),
    ("yahoo.co.jp", 25),
    ("docomo.ne.jp", 8),
    ("ezweb.ne.jp", 5),
    ("icloud.com", 8),
    ("outlook.jp", 4),
    ("softbank.ne.jp", 5),
];

/// Area codes of company lines, with weights (Tokyo first).
const AREAS: &[(&str, u32)] = &[
    ("03", 45),
    ("06", 15),
    ("045", 7),
    ("052", 7),
    ("011", 4),
    ("092", 4),
    ("075", 3),
    ("078", 3),
    ("022", 3),
    ("082", 3),
    ("048", 3),
    ("043", 3),
];

/// Words for pre-merger company domains.
const OLD_DOMAIN_WORDS: &[&str] = &[
    "nihon", "tokyo", "daiichi", "chuo", "toyo", "fuji", "sanwa", "kyoei", "taisei", "meiji",
];

/// Words people use in private addresses.
const PRIVATE_WORDS: &[&str] = &[
    "sunny", "blue", "sakura", "tiger", "hoshi", "umi", "sora", "happy", "lucky", "momo",
];

/// The generator's random source and bookkeeping.
struct Gen {
    rng: ChaCha8Rng,
    used_emails: HashSet<String>,
    used_phones: HashSet<String>,
}

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.gen_range(0..n)
    }

    /// Picks an index with weight `1 / (rank + offset)`.
    fn ranked(&mut self, len: usize, offset: f64) -> usize {
        let weights: Vec<f64> = (0..len).map(|r| 1.0 / (r as f64 + offset)).collect();
        WeightedIndex::new(weights)
            .expect("weights")
            .sample(&mut self.rng)
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let dist = WeightedIndex::new(items.iter().map(|(_, w)| *w)).expect("weights");
        &items[dist.sample(&mut self.rng)].0
    }

    /// A number of `digits` digits whose first digit is 2–9 (a subscriber number).
    fn subscriber(&mut self, digits: usize) -> String {
        let mut s = self.rng.gen_range(2..=9).to_string();
        for _ in 1..digits {
            s.push_str(&self.rng.gen_range(0..=9).to_string());
        }
        s
    }

    /// A new landline in the area, hyphenated (03-1234-5678, 045-123-4567), never used before.
    fn landline(&mut self, area: &str) -> String {
        loop {
            let rest = self.subscriber(10 - area.len());
            let split = if area.len() == 2 { 4 } else { 3 };
            let phone = format!("{area}-{}-{}", &rest[..split], &rest[split..]);
            if self.used_phones.insert(phone.clone()) {
                return phone;
            }
        }
    }

    /// A new mobile number (090-1234-5678), never used before.
    fn mobile(&mut self) -> String {
        loop {
            let prefix = ["090", "080", "070"][self.below(3)];
            let rest = self.subscriber(8);
            let phone = format!("{prefix}-{}-{}", &rest[..4], &rest[4..]);
            if self.used_phones.insert(phone.clone()) {
                return phone;
            }
        }
    }

    /// Reserves `local@domain`, adding a number if it is taken.
    fn unique_email(&mut self, local: &str, domain: &str) -> String {
        for n in 0.. {
            let candidate = if n == 0 {
                format!("{local}@{domain}")
            } else {
                format!("{local}{}@{domain}", n + 1)
            };
            if self.used_emails.insert(candidate.clone()) {
                return candidate;
            }
        }
        unreachable!()
    }
}

/// A domain label from an English company name: `SAKATA SEED CORPORATION` → `sakata-seed`.
fn label_from_english(english: &str, hyphen: bool) -> String {
    const LEGAL: &[&str] = &[
        "co",
        "ltd",
        "inc",
        "corporation",
        "corp",
        "kabushiki",
        "kaisha",
        "company",
        "limited",
        "the",
        "kk",
        "k",
        "llc",
    ];
    let words: Vec<String> = english
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase)
        .filter(|w| !w.is_empty() && !LEGAL.contains(&w.as_str()))
        .take(2)
        .collect();
    words.join(if hyphen { "-" } else { "" })
}

/// The company's email domain (unique), from its English name or the romaji of its reading.
fn company_domain(g: &mut Gen, company: &Company, used: &mut HashSet<String>) -> String {
    let hyphen = g.chance(0.5);
    let mut label = company
        .english
        .as_deref()
        .map(|e| label_from_english(e, hyphen))
        .unwrap_or_default();
    if label.len() < 2 {
        label = romaji(&company.katakana, true);
    }
    if label.len() > 20 {
        label.truncate(20);
    }
    let label = label.trim_matches('-').to_string();
    let label = if label.len() < 2 {
        format!("corp{}", g.below(10_000))
    } else {
        label
    };
    let tld = *g.weighted(&[("co.jp", 80), ("com", 12), ("jp", 8)]);
    for n in 0.. {
        let domain = if n == 0 {
            format!("{label}.{tld}")
        } else {
            format!("{label}{n}.{tld}")
        };
        if used.insert(domain.clone()) {
            return domain;
        }
    }
    unreachable!()
}

/// Picks a reading: the first one usually, another one sometimes (中田 ナカタ / ナカダ).
fn pick_reading(g: &mut Gen, readings: &str) -> String {
    let options: Vec<&str> = readings.split('/').collect();
    if options.len() > 1 && g.chance(0.25) {
        options[1 + g.below(options.len() - 1)].to_string()
    } else {
        options[0].to_string()
    }
}

/// A corporate local part in the company's style.
fn corporate_local(style: usize, family: &str, given: &str) -> String {
    let initial = &given[..1];
    match style {
        0 => format!("{given}.{family}"),
        1 => format!("{family}.{given}"),
        2 => format!("{initial}-{family}"),
        3 => format!("{family}{initial}"),
        _ => format!("{family}_{given}"),
    }
}

/// A private local part: `kensato85`, `sato.ken.0412`, `sakura_sato77` …
fn private_local(g: &mut Gen, family: &str, given: &str) -> String {
    let year = g.rng.gen_range(60..=99);
    let mmdd = format!(
        "{:02}{:02}",
        g.rng.gen_range(1..=12),
        g.rng.gen_range(1..=28)
    );
    match g.below(5) {
        0 => format!("{given}{family}{year}"),
        1 => format!("{family}.{given}.{mmdd}"),
        2 => format!("{}_{family}{}", PRIVATE_WORDS[g.below(10)], g.below(100)),
        3 => format!("{}.{family}19{year}", &given[..1]),
        _ => format!("{given}-{}.{mmdd}", &family[..1]),
    }
}

/// Generates the labelled set for `seed`.
pub fn generate(seed: u64) -> Dataset {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        used_emails: HashSet::new(),
        used_phones: HashSet::new(),
    };
    let pool = pool();

    // ------------------------------------------------------------ companies
    let mut edinet = pool.edinet.clone();
    edinet.shuffle(&mut g.rng);
    let mut post = pool.japan_post.clone();
    post.shuffle(&mut g.rng);
    let from_post = COMPANIES - EDINET_COMPANIES.min(edinet.len());
    let mut companies: Vec<Company> = edinet.into_iter().take(EDINET_COMPANIES).collect();
    companies.extend(post.into_iter().take(from_post));
    companies.shuffle(&mut g.rng);
    let mut used_domains = HashSet::new();
    let mut orgs = Vec::with_capacity(companies.len());
    for company in companies {
        let domain = company_domain(&mut g, &company, &mut used_domains);
        let old_domain = g.chance(MERGED_COMPANIES).then(|| {
            let word = OLD_DOMAIN_WORDS[g.below(OLD_DOMAIN_WORDS.len())];
            let stem = domain.split('.').next().unwrap_or("corp").to_string();
            let candidate = format!("{word}-{stem}.co.jp");
            let mut candidate_n = candidate.clone();
            let mut n = 1;
            while !used_domains.insert(candidate_n.clone()) {
                n += 1;
                candidate_n = format!("{word}{n}-{stem}.co.jp");
            }
            candidate_n
        });
        let area = *g.weighted(AREAS);
        let main_phone = g.landline(area);
        orgs.push(Org {
            company,
            domain,
            old_domain,
            main_phone,
            area,
            email_style: g.below(5),
            long_vowels: g.chance(0.2),
        });
    }

    // ------------------------------------------------------------ who works where
    // Every company gets one person; the rest go to companies with a long-tailed size.
    let mut org_of: Vec<usize> = (0..orgs.len()).collect();
    while org_of.len() < PEOPLE {
        let o = g.ranked(orgs.len(), 8.0);
        org_of.push(o);
    }
    org_of.truncate(PEOPLE);

    // ------------------------------------------------------------ names
    struct Draft {
        org: usize,
        male: bool,
        family: String,
        family_common: String,
        family_kana: String,
        given: String,
        given_common: String,
        given_kana: String,
        department: usize,
        colleague_homonym: bool,
    }
    let mut drafts: Vec<Draft> = Vec::with_capacity(PEOPLE);
    for &org in &org_of {
        let male = g.chance(0.7);
        let (fc, fv, fr) = FAMILY_NAMES[g.ranked(FAMILY_NAMES.len(), 25.0)];
        let table = if male { MALE_GIVEN } else { FEMALE_GIVEN };
        let (gc, gv, gr) = table[g.ranked(table.len(), 15.0)];
        let family = if !fv.is_empty() && g.chance(0.3) {
            fv
        } else {
            fc
        };
        let given = if !gv.is_empty() && g.chance(0.3) {
            gv
        } else {
            gc
        };
        let family_kana = pick_reading(&mut g, fr);
        let given_kana = pick_reading(&mut g, gr);
        let department = g.ranked(DEPARTMENTS.len(), 3.0);
        drafts.push(Draft {
            org,
            male,
            family: family.to_string(),
            family_common: fc.to_string(),
            family_kana,
            given: given.to_string(),
            given_common: gc.to_string(),
            given_kana,
            department,
            colleague_homonym: false,
        });
    }

    // Very common full names carried by 3–6 unrelated people at different companies.
    let mut renamed: HashSet<usize> = HashSet::new();
    for &(family, family_kana, given, given_kana, male) in POPULAR_FULL_NAMES {
        let count = g.rng.gen_range(3..=6);
        let mut companies_taken = HashSet::new();
        let mut chosen = 0;
        while chosen < count {
            let i = g.below(PEOPLE);
            if renamed.contains(&i)
                || drafts[i].male != male
                || !companies_taken.insert(drafts[i].org)
            {
                continue;
            }
            let d = &mut drafts[i];
            d.family = family.to_string();
            d.family_common = family.to_string();
            d.family_kana = family_kana.to_string();
            d.given = given.to_string();
            d.given_common = given.to_string();
            d.given_kana = given_kana.to_string();
            renamed.insert(i);
            chosen += 1;
        }
    }

    // Same-name colleagues: same company, different department (and so different emails and lines).
    let mut by_org: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, d) in drafts.iter().enumerate() {
        by_org.entry(d.org).or_default().push(i);
    }
    let mut big_orgs: Vec<usize> = by_org
        .iter()
        .filter(|(_, people)| people.len() >= 4)
        .map(|(o, _)| *o)
        .collect();
    big_orgs.sort_unstable();
    let mut pairs_made = 0;
    while pairs_made < COLLEAGUE_HOMONYM_PAIRS && !big_orgs.is_empty() {
        let org = big_orgs[g.below(big_orgs.len())];
        let staff = &by_org[&org];
        let (a, b) = (staff[g.below(staff.len())], staff[g.below(staff.len())]);
        if a == b || renamed.contains(&a) || renamed.contains(&b) {
            continue;
        }
        let (family, family_common, given, given_common) = (
            drafts[a].family.clone(),
            drafts[a].family_common.clone(),
            drafts[a].given.clone(),
            drafts[a].given_common.clone(),
        );
        let (family_kana, given_kana, male) = (
            drafts[a].family_kana.clone(),
            drafts[a].given_kana.clone(),
            drafts[a].male,
        );
        let department =
            (drafts[a].department + 1 + g.below(DEPARTMENTS.len() - 1)) % DEPARTMENTS.len();
        let d = &mut drafts[b];
        d.family = family;
        d.family_common = family_common;
        d.given = given;
        d.given_common = given_common;
        d.family_kana = family_kana;
        d.given_kana = given_kana;
        d.male = male;
        d.department = department;
        d.colleague_homonym = true;
        drafts[a].colleague_homonym = true;
        renamed.insert(a);
        renamed.insert(b);
        pairs_made += 1;
    }

    // ------------------------------------------------------------ people
    let mut people = Vec::with_capacity(PEOPLE);
    for (id, d) in drafts.into_iter().enumerate() {
        let org = &orgs[d.org];
        let family_r = romaji(&d.family_kana, !org.long_vowels);
        let given_r = romaji(&d.given_kana, !org.long_vowels);
        let local = corporate_local(org.email_style, &family_r, &given_r);
        let email = g.unique_email(&local, &org.domain);
        let private_family = romaji(&d.family_kana, g.chance(0.7));
        let private_local = private_local(&mut g, &private_family, &given_r);
        let private_domain = *g.weighted(PRIVATE_DOMAINS);
        let private_email = g.unique_email(&private_local, private_domain);
        let (short, fulls) = DEPARTMENTS[d.department];
        let department = fulls[g.below(fulls.len())].to_string();
        let alias_email = g.chance(ALIAS_EMAIL).then(|| {
            let style = (org.email_style + 1 + g.below(4)) % 5;
            let local = corporate_local(style, &family_r, &given_r);
            g.unique_email(&local, &org.domain)
        });
        let direct = g.chance(0.45).then(|| g.landline(org.area));
        let mobile = g.chance(0.55).then(|| g.mobile());
        people.push(Person {
            id,
            org: d.org,
            family: d.family,
            given: d.given,
            family_common: d.family_common,
            given_common: d.given_common,
            family_kana: d.family_kana,
            given_kana: d.given_kana,
            department,
            department_short: short,
            title: TITLES[g.below(TITLES.len())],
            email,
            old_email: None,
            alias_email,
            private_email,
            webinar_private: g.chance(WEBINAR_PRIVATE),
            direct,
            mobile,
            colleague_homonym: d.colleague_homonym,
        });
    }

    // ------------------------------------------------------------ records
    let mut records = Vec::new();
    for id in 0..people.len() {
        let count = 1 + *g.weighted(&[(0usize, 30), (1, 35), (2, 22), (3, 13)]);
        let mut sources: Vec<Source> = Vec::new();
        while sources.len() < count {
            let s = *g.weighted(&[
                (Source::Card, 35),
                (Source::Expo, 25),
                (Source::Webinar, 25),
                (Source::Form, 15),
            ]);
            if !sources.contains(&s) {
                sources.push(s);
            }
        }
        // After a merger, an older record (a card exchanged before it) carries the old
        // address; the person kept the mobile.
        let org = &orgs[people[id].org];
        let mut old_record = None;
        if let Some(old_domain) = org.old_domain.clone()
            && sources.len() >= 2
            && g.chance(0.5)
        {
            let p = &people[id];
            let same_local = g.chance(0.7);
            let local = if same_local {
                p.email.split('@').next().unwrap_or("x").to_string()
            } else {
                let style = (org.email_style + 1 + g.below(4)) % 5;
                corporate_local(
                    style,
                    &romaji(&p.family_kana, true),
                    &romaji(&p.given_kana, true),
                )
            };
            let old = g.unique_email(&local, &old_domain);
            let mobile = p.mobile.clone().unwrap_or_else(|| g.mobile());
            people[id].old_email = Some(old);
            people[id].mobile = Some(mobile);
            // The oldest kind of record: a card, else a trade-show list, else a form.
            old_record = [Source::Card, Source::Expo, Source::Form, Source::Webinar]
                .into_iter()
                .find(|s| sources.contains(s));
        }
        for &source in &sources {
            let old = old_record == Some(source);
            let record = write(
                &mut g,
                &people[id],
                &orgs[people[id].org],
                source,
                old,
                false,
            );
            records.push(record);
        }
        if g.chance(DUPLICATE_IN_SOURCE) {
            let source = sources[g.below(sources.len())];
            let mut record = write(
                &mut g,
                &people[id],
                &orgs[people[id].org],
                source,
                false,
                true,
            );
            record.notes.push("listed twice in the source");
            records.push(record);
        }
    }
    records.shuffle(&mut g.rng);
    Dataset {
        orgs,
        people,
        records,
        synthetic: pool.synthetic,
    }
}

/// Writes an email in full-width characters (ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ).
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// A phone as Excel keeps it: the leading 0 dropped when the cell was a number.
fn excel_phone(g: &mut Gen, phone: &str, notes: &mut Vec<&'static str>) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match g.below(20) {
        0..=7 => {
            notes.push("phone: leading 0 dropped");
            digits[1..].to_string()
        }
        8..=16 => phone.to_string(),
        _ => digits,
    }
}

/// The company as typed with an abbreviated legal form: (株)X, ㈱X, X（株）.
fn abbreviated(g: &mut Gen, c: &Company) -> String {
    let form = ["(株)", "㈱", "（株）"][g.below(3)];
    let before = if g.chance(0.85) {
        c.form_before
    } else {
        !c.form_before
    };
    if before {
        format!("{form}{}", c.core)
    } else {
        format!("{}{form}", c.core)
    }
}

/// Capitalises the first letter.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|first| first.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Writes long o as `oh` before a consonant or at the end (`Ohno`, `Satoh`), as passports allow.
fn oh_spelling(long: &str) -> String {
    let chars: Vec<char> = long.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let long_o = chars[i] == 'o' && matches!(chars.get(i + 1), Some('o' | 'u'));
        let next_is_vowel = chars
            .get(i + 2)
            .is_some_and(|c| matches!(c, 'a' | 'i' | 'u' | 'e' | 'o'));
        if long_o && !next_is_vowel {
            out.push_str("oh");
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A name in romaji the ways Japanese business people type it, picked by `style`
/// (a number, not a random draw): `Taro Yamada`, `YAMADA Taro`, `yamada taro`,
/// `Tarou Yamada`, `Ｔａｒｏ　Ｙａｍａｄａ`, `Taroh Yamada`.
fn romaji_name(p: &Person, style: usize) -> String {
    let (f, g) = (romaji(&p.family_kana, true), romaji(&p.given_kana, true));
    match style % 6 {
        0 => format!("{} {}", capitalised(&g), capitalised(&f)),
        1 => format!("{} {}", f.to_uppercase(), capitalised(&g)),
        2 => format!("{f} {g}"),
        3 => format!(
            "{} {}",
            capitalised(&romaji(&p.given_kana, false)),
            capitalised(&romaji(&p.family_kana, false))
        ),
        4 => full_width(&format!("{}\u{3000}{}", capitalised(&g), capitalised(&f))),
        _ => format!(
            "{} {}",
            capitalised(&oh_spelling(&romaji(&p.given_kana, false))),
            capitalised(&oh_spelling(&romaji(&p.family_kana, false)))
        ),
    }
}

/// Writes one record of the person the way `source` writes people.
fn write(
    g: &mut Gen,
    p: &Person,
    org: &Org,
    source: Source,
    old_email: bool,
    duplicate: bool,
) -> Record {
    let mut notes: Vec<&'static str> = Vec::new();
    let c = &org.company;
    // Name: variant kanji (髙) survive on cards; keyboards and Excel give the common ones.
    let common_share = match source {
        Source::Card => 0.0,
        Source::Expo => 0.6,
        Source::Webinar => 0.7,
        Source::Form => 0.5,
    };
    let (mut family, mut given) = if p.has_variant() && g.chance(common_share) {
        notes.push("name: variant kanji typed as common kanji");
        (p.family_common.as_str(), p.given_common.as_str())
    } else {
        (p.family.as_str(), p.given.as_str())
    };
    // Names typed from a card or by ear: the IME offers another kanji of the same reading.
    let ime_share = match source {
        Source::Card => 0.0,
        Source::Expo => 0.04,
        Source::Webinar => 0.02,
        Source::Form => 0.01,
    };
    if g.chance(ime_share) {
        let family_alt = homophones(family, &p.family_kana);
        let given_alt = homophones(given, &p.given_kana);
        let family_first = g.chance(0.5);
        if !family_alt.is_empty() && (family_first || given_alt.is_empty()) {
            family = family_alt[g.below(family_alt.len())];
            notes.push("name: IME chose another kanji of the same reading");
        } else if !given_alt.is_empty() {
            given = given_alt[g.below(given_alt.len())];
            notes.push("name: IME chose another kanji of the same reading");
        }
    }
    let kana_spaced = format!("{} {}", p.family_kana, p.given_kana);
    let name = match source {
        Source::Card => {
            let sep = if g.chance(0.7) { " " } else { "\u{3000}" };
            format!("{family}{sep}{given}")
        }
        Source::Expo => {
            let sep = if g.chance(0.5) { "" } else { "\u{3000}" };
            // Badge scans at an international show: family name first in capitals.
            if p.id % 50 == 11 {
                notes.push("name: romaji");
                format!(
                    "{} {}",
                    romaji(&p.family_kana, true).to_uppercase(),
                    romaji(&p.given_kana, true).to_uppercase()
                )
            } else {
                format!("{family}{sep}{given}")
            }
        }
        Source::Webinar => match g.below(100) {
            0..=3 => {
                // Zoom's "First name / Last name" filled in Japanese order, exported given first.
                notes.push("name: given name first (Zoom fields)");
                format!("{given} {family}")
            }
            4..=8 => {
                notes.push("name: romaji");
                romaji_name(p, p.id)
            }
            9..=10 => {
                notes.push("name: hiragana");
                to_hiragana(&kana_spaced)
            }
            11..=58 => format!("{family} {given}"),
            59..=88 => format!("{family}{given}"),
            _ => format!("{family}\u{3000}{given}"),
        },
        Source::Form => {
            let sep = if g.chance(0.6) { " " } else { "" };
            // The English version of the inquiry form, chosen by person so that the random
            // stream (and every other record) stays as it was.
            if p.id % 40 == 7 {
                notes.push("name: romaji");
                romaji_name(p, p.id / 40)
            } else {
                format!("{family}{sep}{given}")
            }
        }
    };
    let kana = match source {
        Source::Card => {
            if g.chance(0.5) {
                kana_spaced.clone()
            } else {
                String::new()
            }
        }
        Source::Expo => match g.below(100) {
            0..=34 => {
                notes.push("kana: half-width");
                to_half_width(&kana_spaced)
            }
            35..=49 => kana_spaced.clone(),
            _ => String::new(),
        },
        Source::Webinar => {
            if g.chance(0.1) {
                kana_spaced.clone()
            } else {
                String::new()
            }
        }
        Source::Form => match g.below(100) {
            0..=49 => kana_spaced.clone(),
            50..=79 => to_hiragana(&kana_spaced),
            _ => String::new(),
        },
    };
    let alias_share = match source {
        Source::Card => 0.0,
        Source::Expo => 0.3,
        Source::Webinar | Source::Form => 0.5,
    };
    let mut alias = false;
    let corporate = match (&p.old_email, &p.alias_email) {
        (Some(old), _) if old_email => old.clone(),
        (_, Some(a)) if g.chance(alias_share) => {
            alias = true;
            a.clone()
        }
        _ => p.email.clone(),
    };
    let mut private = false;
    let email = match source {
        Source::Card => {
            if g.chance(0.95) {
                corporate
            } else {
                notes.push("email: missing");
                String::new()
            }
        }
        Source::Expo => match g.below(100) {
            0..=19 => {
                notes.push("email: missing");
                String::new()
            }
            20..=29 => {
                notes.push("email: full-width");
                full_width(&corporate)
            }
            30..=39 => {
                notes.push("email: upper case");
                corporate.to_uppercase()
            }
            _ => corporate,
        },
        Source::Webinar => {
            // A second sign-up may use the other address.
            private = if duplicate && g.chance(0.3) {
                !p.webinar_private
            } else {
                p.webinar_private
            };
            if private {
                notes.push("email: private (free mail)");
                p.private_email.clone()
            } else {
                corporate
            }
        }
        Source::Form => corporate,
    };
    if old_email && !private && !email.is_empty() {
        notes.push("email: pre-merger domain");
    }
    if alias && !private && !email.is_empty() {
        notes.push("email: alias at the company domain");
    }
    let mut phones = Vec::new();
    let mut mobiles = Vec::new();
    match source {
        Source::Card => {
            if g.chance(0.9) {
                phones.push(org.main_phone.clone());
            }
            if let Some(d) = &p.direct
                && g.chance(0.9)
            {
                mobiles.push(d.clone());
            }
            if let Some(m) = &p.mobile
                && g.chance(0.7)
            {
                mobiles.push(m.clone());
            }
        }
        Source::Expo => {
            if g.chance(0.85) {
                let roll = g.below(100);
                let phone = match (roll, &p.direct, &p.mobile) {
                    (55..=74, Some(d), _) => d.clone(),
                    (75..=99, _, Some(m)) => m.clone(),
                    _ => org.main_phone.clone(),
                };
                phones.push(excel_phone(g, &phone, &mut notes));
            }
        }
        Source::Webinar => match &p.mobile {
            Some(m) if g.chance(0.6) => phones.push(if g.chance(0.5) {
                m.clone()
            } else {
                m.replace('-', "")
            }),
            _ => {
                if g.chance(0.25) {
                    phones.push(org.main_phone.clone());
                }
            }
        },
        Source::Form => {
            let roll = g.below(100);
            let phone = match (roll, &p.direct, &p.mobile) {
                (0..=34, Some(d), _) => d.clone(),
                (35..=64, _, Some(m)) => m.clone(),
                _ => org.main_phone.clone(),
            };
            phones.push(phone);
        }
    }
    let company = match source {
        Source::Card => c.official.clone(),
        Source::Expo => {
            if g.chance(0.8) {
                abbreviated(g, c)
            } else {
                c.official.clone()
            }
        }
        Source::Webinar => match g.below(100) {
            0..=34 => c.official.clone(),
            35..=64 => {
                notes.push("company: without legal form");
                c.core.clone()
            }
            65..=74 => abbreviated(g, c),
            75..=81 if c.katakana_exact => {
                notes.push("company: katakana reading");
                c.katakana.clone()
            }
            75..=81 => {
                notes.push("company: without legal form");
                c.core.clone()
            }
            82..=89 => match &c.english {
                Some(e) => {
                    notes.push("company: English name");
                    e.clone()
                }
                None => {
                    notes.push("company: without legal form");
                    c.core.clone()
                }
            },
            _ => {
                notes.push("company: missing");
                String::new()
            }
        },
        Source::Form => match g.below(100) {
            0..=59 => c.official.clone(),
            60..=84 => {
                notes.push("company: without legal form");
                c.core.clone()
            }
            _ => abbreviated(g, c),
        },
    };
    let short = p.department_short.to_string();
    let department = match (source, g.below(100)) {
        (Source::Card, _) => p.department.clone(),
        (Source::Expo, 0..=44) | (Source::Webinar, 0..=29) | (Source::Form, 45..=79) => short,
        (Source::Expo, 45..=74) | (Source::Webinar, 30..=44) | (Source::Form, 0..=44) => {
            p.department.clone()
        }
        _ => String::new(),
    };
    let title = match source {
        Source::Card | Source::Expo => p.title.to_string(),
        Source::Webinar | Source::Form => {
            if g.chance(0.5) {
                p.title.to_string()
            } else {
                String::new()
            }
        }
    };
    Record {
        person: p.id,
        source,
        name,
        kana,
        email,
        phones,
        mobiles,
        company,
        department,
        title,
        notes,
    }
}
