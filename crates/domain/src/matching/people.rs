//! Person keys, blocking keys and the pairwise person-matching rules.

use foldhash::{HashSet, HashSetExt};

use crate::company_name::CompanyName;
use crate::email::Email;
use crate::free_mail::is_free_mail_domain;
use crate::person::PersonName;
use crate::phone::Phone;
use crate::romaji::{
    Script, romaji_joined, romaji_key, romaji_key_normalised, romaji_keys_agree,
    script_of_normalised,
};
use crate::text::{is_kana, search_key, to_katakana};

use super::variants::{fold_variants, one_deletions, within_one_edit};
use super::{CandidateReason, Match, MatchReason, present};

/// What matching knows about one person record, already normalised.
///
/// `None` and empty strings both mean "unknown"; an unknown value never agrees with anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PersonKeys {
    /// The normalised email address ([`Email::as_str`]).
    pub email: Option<String>,
    /// The matching name ([`name_key`]).
    pub name: Option<String>,
    /// The reading in katakana ([`to_katakana`] of the furigana).
    pub kana: Option<String>,
    /// Phone numbers as (E.164, is_personal); personal means mobile, 050 or a line marked direct.
    pub phones: Vec<(String, bool)>,
    /// The company: [`CompanyName::key`] or a company id as a string.
    pub company: Option<String>,
    /// The corporate (non-free) email domain, or the company's own domain.
    pub company_domain: Option<String>,
    /// The department (部署) by level: the [`search_key`] of each part the source separated
    /// with spaces (本部, 部, 課 …), joined by one space: `営業本部　営業部` gives `営業本部 営業部`.
    pub department: Option<String>,
    /// The name as written in Latin script ([`romaji_key`]): of the name itself when it is
    /// written in romaji or kana, else of the reading; computed once, compared often.
    pub romaji: Option<String>,
    /// The matching name with its two parts swapped (`洋平 酒井` gives `酒井洋平`), for a name
    /// written with exactly two parts: Zoom and English forms put the given name first.
    pub name_swapped: Option<String>,
    /// The [`search_key`] of the job title (役職), set with [`PersonKeys::with_title`].
    pub title: Option<String>,
    /// For a name in kanji written without a reading: its likely reading in Latin script,
    /// the [`romaji_key`] of the email's local part when that spells a name (see
    /// [`romaji_from_email`]): `tomokosakamoto99@gmail.com` gives `tomokosakamoto`.
    pub email_romaji: Option<String>,
}

/// The normalised name used for matching: search_key of the name with all spaces removed, NOT variant-folded.
///
/// `髙橋　一郎` gives `髙橋一郎`; `ﾀｶﾊｼ ｲﾁﾛｳ` and `たかはし いちろう` give `タカハシイチロウ`.
pub fn name_key(name: &str) -> String {
    search_key(name)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// At most this many variant-kanji spellings of a name are looked up ([`other_name_keys`]).
const MAX_SPELLINGS: usize = 8;

/// Besides [`name_key`], the keys under which an earlier record of the same person may be
/// stored that the matching compares with `name`: its two written parts swapped (`拓也 中川`
/// and `中川 拓也`: the same name), and its spellings with other forms of its variant kanji
/// (高/髙, 崎/﨑 …: a candidate pair). A look-up of leads by name and company asks for these
/// too, so that it meets what matching everything at once would compare.
pub fn other_name_keys(name: &str) -> Vec<String> {
    let Ok(written) = PersonName::parse(name) else {
        return Vec::new();
    };
    let key = name_key(written.as_str());
    if key.is_empty() {
        return Vec::new();
    }
    let swapped = swapped_name_key(written.as_str(), &key);
    let mut out: Vec<String> = std::iter::once(&key)
        .chain(swapped.as_ref())
        .flat_map(|k| super::variants::variant_spellings(k, MAX_SPELLINGS))
        .chain(swapped.clone())
        .filter(|k| *k != key)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The name key with the two written parts swapped, or `None` unless the name has exactly two parts.
///
/// The key is cut after as many characters as the first written part has: name keys map a
/// normalised name character by character (width and case are already folded).
fn swapped_name_key(written: &str, key: &str) -> Option<String> {
    let (first, second) = written.split_once(' ')?;
    if second.contains(' ') {
        return None;
    }
    let (cut, _) = key.char_indices().nth(first.chars().count())?;
    let (head, tail) = key.split_at(cut);
    Some(format!("{tail}{head}")).filter(|s| s != key)
}

/// The department key: the [`search_key`] of each space-separated level, joined by one space.
fn department_key(department: &str) -> Option<String> {
    let levels: Vec<String> = department
        .split(char::is_whitespace)
        .map(search_key)
        .filter(|l| !l.is_empty())
        .collect();
    Some(levels.join(" ")).filter(|d| !d.is_empty())
}

/// A name in Latin script guessed from an email address: the [`romaji_key`] of the local
/// part when it has one or two parts of two letters or more (`tomokosakamoto99`,
/// `sakamoto_tomoko`, `sato.ken.0412`); digits are dropped. `None` for a shared team
/// mailbox (`info@`) or a local part with initials or more parts (`s.otsuka1979`).
///
/// People build addresses, at work and privately, from their names, so the letters are
/// the name as its owner reads it; the guess only ever lets a name written in kanji agree
/// with the same name in romaji or kana (never with other kanji), and the rules still ask
/// for a personal phone or the company plus another field.
pub(crate) fn romaji_from_email(email: &str) -> Option<String> {
    if is_shared_mailbox(email) {
        return None;
    }
    let (local, _) = email.rsplit_once('@')?;
    // A `+tag` is not part of the name, nor are the digits of a year or a birthday.
    let local = local.split('+').next().unwrap_or_default();
    let letters: String = local.chars().filter(|c| !c.is_ascii_digit()).collect();
    let key = romaji_key(&letters)?;
    let parts: Vec<&str> = key.split(' ').collect();
    (parts.len() <= 2 && parts.iter().all(|p| p.len() >= 2)).then_some(key)
}

/// Adds a phone, or marks an already listed one personal.
fn add_phone(phones: &mut Vec<(String, bool)>, e164: String, personal: bool) {
    match phones.iter_mut().find(|(p, _)| *p == e164) {
        Some((_, existing)) => *existing |= personal,
        None => phones.push((e164, personal)),
    }
}

impl PersonKeys {
    /// Builds keys from raw strings (any may be empty): parses with the domain types and normalises; unparseable values are ignored.
    ///
    /// Numbers in `phones` are personal only if [`Phone::is_personal`] says so (mobile, 050);
    /// every number in `mobiles` counts as personal, so pass direct lines (直通) there.
    /// `kana` is kept only if it contains kana. `company_domain` is the email's domain
    /// unless it is free mail; callers may fill it from the company record instead.
    /// `romaji` is the [`romaji_key`] of the name when it is written in Latin letters or
    /// kana, otherwise of the reading (`山田 太郎` read `ヤマダ タロウ` gives `taro yamada`);
    /// `name_swapped` is set for a name written in two parts.
    pub fn from_raw(
        name: &str,
        kana: &str,
        email: &str,
        phones: &[&str],
        mobiles: &[&str],
        company: &str,
        department: &str,
    ) -> PersonKeys {
        let written = PersonName::parse(name).ok();
        // The name is normalised already: only a kanji name needs its reading normalised.
        let romaji = written
            .as_ref()
            .and_then(|n| match script_of_normalised(n.as_str()) {
                Script::Latin | Script::Kana => romaji_key_normalised(n.as_str()),
                Script::Other => romaji_key(kana),
            });
        let name = written
            .as_ref()
            .map(|n| name_key(n.as_str()))
            .filter(|k| !k.is_empty());
        let name_swapped = written
            .as_ref()
            .zip(name.as_deref())
            .and_then(|(n, key)| swapped_name_key(n.as_str(), key));
        let kana = Some(to_katakana(kana)).filter(|k| k.chars().any(|c| is_kana(c) && c != 'ー'));
        let email = Email::parse(email).ok();
        let company_domain = email
            .as_ref()
            .filter(|e| !e.is_free_mail())
            .map(|e| e.domain().to_string());
        let mut keys_phones = Vec::new();
        let raw_phones = phones.iter().map(|p| (p, false));
        for (raw, direct) in raw_phones.chain(mobiles.iter().map(|p| (p, true))) {
            if let Ok(phone) = Phone::parse(raw) {
                let personal = direct || phone.is_personal();
                add_phone(&mut keys_phones, phone.e164(), personal);
            }
        }
        let company = CompanyName::parse(company)
            .ok()
            .map(|c| c.key())
            .filter(|k| !k.is_empty());
        let department = department_key(department);
        let email_romaji = match (&romaji, &written) {
            (None, Some(n)) if script_of_normalised(n.as_str()) == Script::Other => {
                email.as_ref().and_then(|e| romaji_from_email(e.as_str()))
            }
            _ => None,
        };
        PersonKeys {
            email: email.map(|e| e.as_str().to_string()),
            name,
            kana,
            phones: keys_phones,
            company,
            company_domain,
            department,
            romaji,
            name_swapped,
            title: None,
            email_romaji,
        }
    }

    /// Sets the job title (役職) from its raw text; an empty title is unknown.
    pub fn with_title(mut self, title: &str) -> PersonKeys {
        self.title = Some(search_key(title)).filter(|t| !t.is_empty());
        self
    }

    /// The name in Latin script to compare with a name written in romaji or kana: of the
    /// name itself or its reading, else the one guessed from the email.
    fn romaji_or_guess(&self) -> Option<&str> {
        present(&self.romaji).or(present(&self.email_romaji))
    }

    /// Keys used to find possible matches cheaply (blocking); two records that could be the same or a candidate share at least one.
    ///
    /// * `e:<email>`: same email;
    /// * `np:<folded name>|<phone>` for every phone: same or variant name with a shared phone;
    /// * `nc:<name>|<company>` and `nc:<name minus one character>|<company>`: same name, or
    ///   names one edit apart, at a company; `np:` and `nc:` also for the swapped name;
    /// * `vc:<folded name>|<company>`: variant spellings at a company;
    /// * `kc:<kana>|<company>`: same reading at a company;
    /// * `rc:<romaji>|<company>` and `rp:<romaji>|<phone>` for every phone: the same name
    ///   written in romaji, kana or another order ([`romaji_joined`]: both orders of the two
    ///   parts, without a space) at a company or with a shared phone; for a kanji name
    ///   without a reading, of the name guessed from the email ([`PersonKeys::email_romaji`]);
    /// * `el:<email local part>|<domain>` for the company domain and each parent domain
    ///   that is still an organisation's domain: same local part at a related domain.
    ///
    /// The keys are sorted and without duplicates.
    pub fn blocking_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(email) = present(&self.email) {
            keys.push(format!("e:{email}"));
        }
        let company = present(&self.company);
        // No blocking keys of the company as an email domain spells it: a domain's label is
        // shared by every company under a hosting or example domain, and with the name
        // alone such keys made blocks of everyone of a common name (an import of 100k rows
        // into 1M leads clustered in 4.5 s instead of 1.5 s, with 160 MB more). Records
        // that meet through another key still count `company_spelled_as_domain`.
        let phones = || self.phones.iter().filter(|(p, _)| !p.is_empty());
        if let Some(name) = present(&self.name) {
            let folded = fold_variants(name);
            for (phone, _) in phones() {
                keys.push(format!("np:{folded}|{phone}"));
            }
            if let Some(company) = company {
                keys.push(format!("nc:{name}|{company}"));
                for shorter in one_deletions(name) {
                    keys.push(format!("nc:{shorter}|{company}"));
                }
                keys.push(format!("vc:{folded}|{company}"));
            }
            if let Some(swapped) = present(&self.name_swapped) {
                let folded = fold_variants(swapped);
                for (phone, _) in phones() {
                    keys.push(format!("np:{folded}|{phone}"));
                }
                if let Some(company) = company {
                    keys.push(format!("nc:{swapped}|{company}"));
                }
            }
        }
        if let (Some(kana), Some(company)) = (present(&self.kana), company) {
            keys.push(format!("kc:{kana}|{company}"));
        }
        if let (Some(romaji), Some(_)) = (self.romaji_or_guess(), present(&self.name)) {
            for joined in romaji_joined(romaji) {
                if let Some(company) = company {
                    keys.push(format!("rc:{joined}|{company}"));
                }
                for (phone, _) in phones() {
                    keys.push(format!("rp:{joined}|{phone}"));
                }
            }
        }
        if let (Some(local), Some(domain)) = (self.email_local(), self.corporate_domain()) {
            for suffix in org_suffixes(domain) {
                keys.push(format!("el:{local}|{suffix}"));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Returns the part of the email before `@`, if any.
    fn email_local(&self) -> Option<&str> {
        present(&self.email)
            .and_then(|e| e.rsplit_once('@'))
            .map(|(local, _)| local)
            .filter(|l| !l.is_empty())
    }

    /// Returns the email if its domain is not free mail.
    fn corporate_email(&self) -> Option<&str> {
        present(&self.email).filter(|e| email_domain(e).is_some_and(|d| !is_free_mail_domain(d)))
    }

    /// Returns the company domain unless it is missing or free mail.
    fn corporate_domain(&self) -> Option<&str> {
        present(&self.company_domain).filter(|d| !is_free_mail_domain(d))
    }
}

/// Second-level labels under a two-letter country domain that are not organisations (co.jp, com.au …).
const GENERIC_SECOND_LEVEL: &[&str] = &[
    "ac", "ad", "co", "ed", "go", "gr", "lg", "ne", "or", "com", "edu", "gov", "mil", "net", "org",
];

/// Returns true if `d` can be an organisation's domain: two or more non-empty labels, not `co.jp`-like.
fn is_org_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
        return false;
    }
    !(labels.len() == 2 && labels[1].len() == 2 && GENERIC_SECOND_LEVEL.contains(&labels[0]))
}

/// The domain and its parent domains that are still organisation domains.
fn org_suffixes(domain: &str) -> impl Iterator<Item = &str> {
    std::iter::once(domain)
        .chain(
            domain
                .match_indices('.')
                .map(move |(i, _)| &domain[i + 1..]),
        )
        .filter(|d| is_org_domain(d))
}

/// Returns true if the domains are equal, or one is a subdomain of the other, and the shorter is an organisation's domain.
fn related_domains(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    is_org_domain(short)
        && (long == short
            || long
                .strip_suffix(short)
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')))
}

/// Returns true if the records name the same company (equal company keys).
fn companies_agree(a: &PersonKeys, b: &PersonKeys) -> bool {
    both_equal(&a.company, &b.company)
}

/// Returns the domain part of an email address, if any.
fn email_domain(email: &str) -> Option<&str> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
}

/// Returns true if both values are present and equal.
/// Local parts of addresses a whole team shares (問い合わせ窓口): two people who write
/// `info@company` are not one person by that alone.
const SHARED_MAILBOXES: &[&str] = &[
    "info",
    "information",
    "sales",
    "eigyo",
    "contact",
    "contactus",
    "support",
    "office",
    "admin",
    "webmaster",
    "mail",
    "inquiry",
    "inquiries",
    "toiawase",
    "otoiawase",
    "soumu",
    "somu",
    "jimu",
    "general",
    "hello",
    "team",
    "marketing",
    "pr",
    "hr",
    "recruit",
    "saiyo",
    "service",
    "customer",
    "cs",
    "desk",
    "staff",
    "master",
];

/// Whether an address is a shared team mailbox (`info@`, `sales@`, `toiawase@` …).
pub fn is_shared_mailbox(email: &str) -> bool {
    email.rsplit_once('@').is_some_and(|(local, _)| {
        SHARED_MAILBOXES.contains(&local.trim_end_matches(|c: char| c.is_ascii_digit()))
    })
}

fn both_equal(a: &Option<String>, b: &Option<String>) -> bool {
    matches!((present(a), present(b)), (Some(x), Some(y)) if x == y)
}

/// Returns true if the records share a phone number that is not one of `shared_lines`.
fn share_phone(a: &PersonKeys, b: &PersonKeys, shared_lines: &HashSet<&str>) -> bool {
    a.phones.iter().any(|(p, _)| {
        !p.is_empty() && b.phones.iter().any(|(q, _)| p == q) && !shared_lines.contains(p.as_str())
    })
}

/// Returns true if the records share a phone that either side marks personal.
fn share_personal_phone(a: &PersonKeys, b: &PersonKeys) -> bool {
    a.phones
        .iter()
        .any(|(p, pa)| !p.is_empty() && b.phones.iter().any(|(q, pb)| p == q && (*pa || *pb)))
}

/// Returns true if both records have an email at a corporate domain, the emails differ and the names differ.
/// Two different work addresses at the same (or a related) organisation domain: a company
/// gives one person one address, so these are most likely two colleagues of the same name
/// (`tatsuya.nakata@` and `tatsuya.nakata2@`). Evidence shared by colleagues — the company's
/// main number, the department, the reading — must not merge them.
fn colleague_addresses(a: &PersonKeys, b: &PersonKeys) -> bool {
    match (a.corporate_email(), b.corporate_email()) {
        (Some(x), Some(y)) if x != y => match (x.rsplit_once('@'), y.rsplit_once('@')) {
            // The same local part at a parent and a subsidiary domain is one person.
            (Some((lx, dx)), Some((ly, dy))) => lx != ly && related_domains(dx, dy),
            _ => false,
        },
        _ => false,
    }
}

/// How the names of two records agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    /// Equal name keys, or equal once one name's two parts are swapped (`洋平 酒井`/`酒井洋平`).
    Equal,
    /// Different name keys that are the same name written another way: in romaji (either
    /// order, any spelling [`romaji_key`] folds) against romaji, kana or a kanji name's
    /// reading, or in kana against a kanji name with exactly that reading; a kanji name
    /// without a reading is read as its email spells it ([`PersonKeys::email_romaji`]).
    WrittenDifferently,
    /// Different names, or a name missing.
    Differ,
}

/// How the departments of two records agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Departments {
    /// The same department: equal (spaces aside), or one names some of the other's levels
    /// and nothing else (`営業部` in `営業本部 営業部` or in `営業部 第1課`).
    Agree,
    /// A department missing, or one level ending in a level of the other (`開発部` and
    /// `技術開発部`, `営業部` and `東日本営業部`): maybe a short form, maybe a sibling
    /// department (`西日本営業部` is also typed `営業部`), so neither agreement nor conflict.
    Unknown,
    /// Both known and different (`品質保証部` and `カスタマーサクセス部`).
    Contradict,
}

/// Compares the departments of two records (see [`Departments`]).
fn compare_departments(a: &PersonKeys, b: &PersonKeys) -> Departments {
    let Some((x, y)) = present(&a.department).zip(present(&b.department)) else {
        return Departments::Unknown;
    };
    let unspaced = |d: &'_ str| d.chars().filter(|c| *c != ' ').collect::<String>();
    if x == y || (x.contains(' ') || y.contains(' ')) && unspaced(x) == unspaced(y) {
        return Departments::Agree;
    }
    let (short, long) = if x.split(' ').count() <= y.split(' ').count() {
        (x, y)
    } else {
        (y, x)
    };
    if short
        .split(' ')
        .all(|level| long.split(' ').any(|l| l == level))
    {
        return Departments::Agree;
    }
    if x.split(' ')
        .any(|p| y.split(' ').any(|q| p.ends_with(q) || q.ends_with(p)))
    {
        return Departments::Unknown;
    }
    Departments::Contradict
}

/// Titles that say nothing about which of several people someone is: 担当 (in charge),
/// 一般 (no rank), staff …, written as their [`search_key`] (なし as ナシ).
const GENERIC_TITLES: &[&str] = &[
    "担当",
    "担当者",
    "一般",
    "一般職",
    "社員",
    "正社員",
    "職員",
    "会社員",
    "スタッフ",
    "メンバー",
    "ナシ",
    "無シ",
    "特ニナシ",
    "-",
    "staff",
    "member",
    "none",
    "n/a",
];

/// Returns true if both records have the same job title and it is a rank (部長, 課長,
/// 主任, マネージャー …), not a generic word such as 担当.
///
/// A rank is the person's own, like the department: two namesakes at one company seldom
/// hold the same rank as well, and it tells them apart better than the company's 代表
/// number, which every colleague shares. Colleagues can still share it, so the rules let
/// a contradicting department outweigh it.
fn same_title(a: &PersonKeys, b: &PersonKeys) -> bool {
    match (present(&a.title), present(&b.title)) {
        (Some(x), Some(y)) if x == y => !GENERIC_TITLES.contains(&x),
        _ => false,
    }
}

/// Compares the names of two records (see [`Names`]).
fn compare_names(a: &PersonKeys, b: &PersonKeys) -> Names {
    let Some((x, y)) = present(&a.name).zip(present(&b.name)) else {
        return Names::Differ;
    };
    // A name written given-name first is the same name.
    if x == y || present(&a.name_swapped) == Some(y) || present(&b.name_swapped) == Some(x) {
        return Names::Equal;
    }
    let romaji_agree = a
        .romaji_or_guess()
        .zip(b.romaji_or_guess())
        .is_some_and(|(ra, rb)| romaji_keys_agree(ra, rb));
    if !romaji_agree {
        return Names::Differ;
    }
    // Two kanji names with one reading are different names (see `SameReadingSameCompany`);
    // kana against kana is compared as written. A kanji name with a reading must have
    // exactly the kana name as its reading; without one, the name guessed from its email
    // has agreed above.
    let kana_of = |k: &PersonKeys, kana_name: &str| match present(&k.kana) {
        Some(reading) => reading == kana_name,
        None => present(&k.email_romaji).is_some(),
    };
    let written_as = match (script_of_normalised(x), script_of_normalised(y)) {
        (Script::Latin, _) | (_, Script::Latin) => true,
        (Script::Kana, Script::Other) => kana_of(b, x),
        (Script::Other, Script::Kana) => kana_of(a, y),
        _ => false,
    };
    if written_as {
        Names::WrittenDifferently
    } else {
        Names::Differ
    }
}

fn different_corporate_emails_and_names(a: &PersonKeys, b: &PersonKeys, names: Names) -> bool {
    let emails_differ = matches!(
        (a.corporate_email(), b.corporate_email()),
        (Some(x), Some(y)) if x != y
    );
    let names_differ =
        names == Names::Differ && present(&a.name).is_some() && present(&b.name).is_some();
    emails_differ && names_differ
}

/// Compares two people.
///
/// Names agree when they are equal (in either order of two written parts: `洋平 酒井` is
/// `酒井洋平`), or when they are the same name written another way
/// (see [`Names`]: `Taro Yamada` / `YAMADA Taro` / `山田 太郎` read `ヤマダ タロウ`, or
/// without a reading but with the address `tarou.yamada@…`). Companies agree when their
/// keys are equal or one is written in Latin letters or kana exactly as the other's email
/// domain spells it (`YUTAKA GIKEN CO.,LTD.` and `…@yutakagiken.co.jp`). In order:
/// 1. equal emails → `Same(SameEmail)`;
/// 2. agreeing names and a shared phone that either record marks personal → `Same(SameNameAndPersonalPhone)`;
/// 3. agreeing names at the same company, unless both have their own different addresses
///    there, with one more field that agrees → `Same(SameNameCompanyAnd(field))`, the
///    field being, in order: the department (equal, or one naming some of the other's
///    levels: `営業部` and `営業本部 営業部`; see [`Departments`]); any shared phone (a 代表
///    number included, unless [`cluster_people`](super::cluster_people) saw it on another
///    name's record); equal email local parts; for equal names only, equal kana; the
///    same rank (役職: 部長, 課長 …, not 担当; see [`GENERIC_TITLES`]). The phone, the kana
///    and the rank are what namesake colleagues can share, so they do not count when the
///    departments contradict each other;
/// 4. equal email local parts at related company domains (equal, or one a subdomain of the
///    other) → `Candidate(SameEmailLocalSameDomain)`;
/// 5. different emails at corporate domains and different names → `Different`;
/// 6. equal names at the same company (name and company alone) → `Candidate(SameNameAndCompany)`;
///    names written differently at the same company → `Candidate(SameRomajiSameCompany)`;
/// 7. different names: equal after [`fold_variants`] at the same company or with a shared
///    personal phone → `Candidate(VariantSpelling)`; at the same company, equal kana →
///    `Candidate(SameReadingSameCompany)`; one character apart at a company with the same
///    key → `Candidate(SimilarNameSameCompany)`;
/// 8. otherwise `Different`: homonyms at different companies, or the same name with
///    different personal phones and no email or company agreement, stay apart.
///
/// The comparison is symmetric.
pub fn match_people(a: &PersonKeys, b: &PersonKeys) -> Match {
    match_people_except(a, b, &HashSet::new())
}

/// [`match_people`] as if the numbers in `shared_lines` were not on the records; they
/// must be marked personal on neither (see `cluster::shared_lines`), so only the
/// name, company and phone rule sees the difference.
pub(super) fn match_people_except(
    a: &PersonKeys,
    b: &PersonKeys,
    shared_lines: &HashSet<&str>,
) -> Match {
    if both_equal(&a.email, &b.email) && !a.email.as_deref().is_some_and(is_shared_mailbox) {
        return Match::Same(MatchReason::SameEmail);
    }
    let names = present(&a.name).zip(present(&b.name));
    let agreement = compare_names(a, b);
    let same_name = agreement == Names::Equal;
    // Computed once, and only if a rule needs it: spelling a company as a domain is not free.
    let company = std::cell::OnceCell::new();
    let same_company = || *company.get_or_init(|| companies_agree(a, b));
    let same_local = matches!((a.email_local(), b.email_local()), (Some(x), Some(y)) if x == y)
        && !a.email.as_deref().is_some_and(is_shared_mailbox);
    if agreement != Names::Differ {
        if share_personal_phone(a, b) {
            return Match::Same(MatchReason::SameNameAndPersonalPhone);
        }
        if same_company() && !colleague_addresses(a, b) {
            let departments = compare_departments(a, b);
            // What colleagues can share (the 代表 number, the reading of one name, a rank)
            // counts only if the departments do not say they are two people.
            let shared_ok = departments != Departments::Contradict;
            // A reading is no further evidence for a name that agrees only through it.
            let field = if departments == Departments::Agree {
                Some("department")
            } else if shared_ok && share_phone(a, b, shared_lines) {
                Some("phone")
            } else if same_local {
                Some("email_local")
            } else if shared_ok && same_name && both_equal(&a.kana, &b.kana) {
                Some("kana")
            } else if shared_ok && same_title(a, b) {
                Some("title")
            } else {
                None
            };
            if let Some(field) = field {
                return Match::Same(MatchReason::SameNameCompanyAnd(field));
            }
        }
    }
    if same_local
        && let (Some(x), Some(y)) = (a.corporate_domain(), b.corporate_domain())
        && related_domains(x, y)
    {
        return Match::Candidate(CandidateReason::SameEmailLocalSameDomain);
    }
    if different_corporate_emails_and_names(a, b, agreement) {
        return Match::Different;
    }
    if agreement != Names::Differ && same_company() {
        match agreement {
            Names::Equal => return Match::Candidate(CandidateReason::SameNameAndCompany),
            Names::WrittenDifferently => {
                return Match::Candidate(CandidateReason::SameRomajiSameCompany);
            }
            Names::Differ => {}
        }
    }
    if let Some((x, y)) = names
        && agreement == Names::Differ
    {
        if (same_company() || share_personal_phone(a, b)) && fold_variants(x) == fold_variants(y) {
            return Match::Candidate(CandidateReason::VariantSpelling);
        }
        if same_company() {
            if both_equal(&a.kana, &b.kana) {
                return Match::Candidate(CandidateReason::SameReadingSameCompany);
            }
            // Only at a company written the same way: a name one character off at a company
            // matched through its domain's spelling is too little to show anyone.
            if both_equal(&a.company, &b.company) && within_one_edit(x, y) {
                return Match::Candidate(CandidateReason::SimilarNameSameCompany);
            }
        }
    }
    Match::Different
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_name_keys_are_the_swapped_name_and_the_variant_spellings() {
        assert_eq!(other_name_keys("拓也 中川"), ["中川拓也"]);
        let mut keys = other_name_keys("高橋　一郎");
        keys.sort();
        assert_eq!(keys, ["一郎高橋", "一郎髙橋", "髙橋一郎"]);
        assert!(other_name_keys("山田太郎").is_empty());
        assert!(other_name_keys("").is_empty());
    }

    #[test]
    fn organisation_domains() {
        assert!(is_org_domain("sakata-seed.co.jp"));
        assert!(is_org_domain("example.com"));
        assert!(is_org_domain("example.jp"));
        assert!(!is_org_domain("co.jp"));
        assert!(!is_org_domain("com.au"));
        assert!(!is_org_domain("jp"));
        assert!(!is_org_domain("a..jp"));
        let suffixes: Vec<&str> = org_suffixes("mail.tokyo.example.co.jp").collect();
        assert_eq!(
            suffixes,
            [
                "mail.tokyo.example.co.jp",
                "tokyo.example.co.jp",
                "example.co.jp"
            ]
        );
    }

    #[test]
    fn generic_titles_are_written_as_their_keys() {
        for title in GENERIC_TITLES {
            assert_eq!(search_key(title), *title);
        }
        for typed in ["なし", "無し", "特になし", "ＳＴＡＦＦ", "N/A", "担当"] {
            assert!(
                GENERIC_TITLES.contains(&search_key(typed).as_str()),
                "{typed}"
            );
        }
    }

    #[test]
    fn names_guessed_from_addresses() {
        let guess = |e: &str| romaji_from_email(e);
        assert_eq!(
            guess("tomokosakamoto99@gmail.com").as_deref(),
            Some("tomokosakamoto")
        );
        assert_eq!(
            guess("sakamoto_tomoko@sbi.jp").as_deref(),
            Some("sakamoto tomoko")
        );
        assert_eq!(
            guess("sato.ken.0412@yahoo.co.jp").as_deref(),
            Some("ken sato")
        );
        assert_eq!(
            guess("ken.sato+webinar@gmail.com").as_deref(),
            Some("ken sato")
        );
        assert_eq!(guess("s.otsuka1979@docomo.ne.jp"), None);
        assert_eq!(guess("a.b.c@example.com"), None);
        assert_eq!(guess("info@example.co.jp"), None);
        assert_eq!(guess("12345@example.co.jp"), None);
    }

    #[test]
    fn related_domains_need_a_label_boundary() {
        assert!(related_domains("example.co.jp", "example.co.jp"));
        assert!(related_domains("tokyo.example.co.jp", "example.co.jp"));
        assert!(related_domains("example.co.jp", "tokyo.example.co.jp"));
        assert!(!related_domains("myexample.co.jp", "example.co.jp"));
        assert!(!related_domains("a.co.jp", "b.co.jp"));
        assert!(!related_domains("example.co.jp", "co.jp"));
    }
}
