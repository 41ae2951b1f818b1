//! The generator behind [`super::generate`].
//!
//! Outline: pick companies, create people (identity, contact data), decide for each lead
//! where it came from and which status it has reached (calibrated to the target mix), then
//! simulate its behaviour day by day (email campaigns, web sessions, downloads, webinars),
//! plant the events that justify each status change, and write the sales activities of
//! the owner after the hand-off.

use std::collections::HashSet;

use ondo_domain::{LeadStatus, Micros, Role};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use super::data::*;
use super::sources::{builtin, slug_from_english};
use super::{
    DemoActivity, DemoCompany, DemoEvent, DemoLead, DemoStatusChange, DemoTouchpoint, DemoUser,
    DemoWorkspace,
};

const SEC: i64 = 1_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
const JST: i64 = 9 * HOUR;
/// How far back the workspace's history goes.
const HISTORY_DAYS: i64 = 270;

const N_LEADS: usize = 2000;
const N_COMPANIES: usize = 450;
const N_DUPLICATES: usize = 30;
const MAX_LEADS_PER_COMPANY: usize = 12;
const SITE: &str = "https://www.example.co.jp";

/// Target status mix: New, Nurturing, SalesReady, Opportunity, LostDormant.
const TARGET_MIX: [f64; 5] = [0.45, 0.25, 0.10, 0.07, 0.13];
const STATUSES: [LeadStatus; 5] = [
    LeadStatus::New,
    LeadStatus::Nurturing,
    LeadStatus::SalesReady,
    LeadStatus::Opportunity,
    LeadStatus::LostDormant,
];

const USERS: &[(&str, &str, Role)] = &[
    ("admin@demo.ondo.example", "高橋 誠", Role::Admin),
    ("manager@demo.ondo.example", "中村 由美", Role::Manager),
    ("kobayashi@demo.ondo.example", "小林 彩", Role::Marketing),
    ("kato@demo.ondo.example", "加藤 健太", Role::Marketing),
    ("sato@demo.ondo.example", "佐藤 大輔", Role::Sales),
    ("suzuki@demo.ondo.example", "鈴木 美咲", Role::Sales),
    ("tanaka@demo.ondo.example", "田中 翔太", Role::Sales),
    ("ito@demo.ondo.example", "伊藤 直樹", Role::Sales),
    ("watanabe@demo.ondo.example", "渡辺 恵子", Role::Sales),
];
const MARKETING_USERS: [usize; 2] = [2, 3];
const SALES_USERS: std::ops::Range<usize> = 4..9;

// ---------------------------------------------------------------------------------------
// Calendar helpers (all times are µs since the epoch, UTC; business hours are JST).

fn day_of(t: i64) -> i64 {
    (t + JST).div_euclid(DAY)
}

/// The instant of `hour:minute` JST on JST day `day`.
fn at(day: i64, hour: i64, minute: i64) -> i64 {
    day * DAY - JST + hour * HOUR + minute * MIN
}

/// 0 = Monday … 6 = Sunday.
fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

fn weekday_on_or_after(day: i64) -> i64 {
    match weekday(day) {
        5 => day + 2,
        6 => day + 1,
        _ => day,
    }
}

/// (year, month, day) of a JST day number (Howard Hinnant's civil_from_days).
fn civil(day: i64) -> (i64, i64, i64) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn ym(t: i64) -> String {
    let (y, m, _) = civil(day_of(t));
    format!("{y}-{m:02}")
}

/// "11/18(火)".
fn md_w(t: i64) -> String {
    let day = day_of(t);
    let (_, m, d) = civil(day);
    let w = ["月", "火", "水", "木", "金", "土", "日"][weekday(day) as usize];
    format!("{m}/{d}({w})")
}

// ---------------------------------------------------------------------------------------
// Randomness helpers.

fn unit(rng: &mut ChaCha8Rng) -> f64 {
    rng.r#gen::<f64>()
}

fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    unit(rng) < p.clamp(0.0, 1.0)
}

fn between(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> i64 {
    if hi <= lo { lo } else { rng.gen_range(lo..hi) }
}

fn weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn pick_str(rng: &mut ChaCha8Rng, items: &[&'static str]) -> &'static str {
    items[rng.gen_range(0..items.len())]
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = unit(rng).max(1e-12);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let l = (-lambda.min(30.0)).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= unit(rng);
        if p <= l {
            return k;
        }
        k += 1;
    }
}

fn exp_mean(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - unit(rng)).ln()
}

/// A working-hours instant at or after `t` (JST, Mon–Fri 9:00–18:30).
fn business_time(t: i64, rng: &mut ChaCha8Rng) -> i64 {
    let day = day_of(t);
    let open = at(day, 9, 0);
    let close = at(day, 18, 30);
    if weekday(day) < 5 && t >= open && t < close {
        return t;
    }
    let next = if weekday(day) < 5 && t < open {
        day
    } else {
        weekday_on_or_after(day + 1)
    };
    at(next, 9, 0) + between(rng, 0, 150) * MIN
}

// ---------------------------------------------------------------------------------------
// Calendar of marketing happenings.

struct Show {
    name: String,
    at: i64,
}

struct Webinar {
    name: String,
    slug: String,
    at: i64,
}

struct Import {
    name: String,
    at: i64,
}

#[derive(Clone, Copy, PartialEq)]
enum Audience {
    All,
    Show(usize),
}

struct Campaign {
    name: String,
    subject: String,
    slug: String,
    path: &'static str,
    at: i64,
    audience: Audience,
}

struct Calendar {
    now: i64,
    start: i64,
    shows: Vec<Show>,
    webinars: Vec<Webinar>,
    imports: Vec<Import>,
    campaigns: Vec<Campaign>,
}

impl Calendar {
    fn new(now: i64) -> Self {
        let start = now - HISTORY_DAYS * DAY;
        let today = day_of(now);
        let shows = [(230, "東京"), (140, "大阪"), (45, "東京")]
            .iter()
            .map(|&(ago, city)| {
                let day = weekday_on_or_after(today - ago);
                let t = at(day, 10, 0);
                Show {
                    name: format!("展示会 {} {city}", ym(t)),
                    at: t,
                }
            })
            .collect::<Vec<_>>();
        let webinars = [200, 150, 95, 50, 18]
            .iter()
            .zip(WEBINAR_TITLES)
            .enumerate()
            .map(|(i, (&ago, title))| {
                let day = weekday_on_or_after(today - ago);
                let t = at(day, 15, 0);
                Webinar {
                    name: format!("ウェビナー {} {title}", ym(t)),
                    slug: format!("{}-{}", ym(t), i + 1),
                    at: t,
                }
            })
            .collect::<Vec<_>>();
        let imports = vec![
            Import {
                name: "Excel 既存顧客リスト 2019".to_string(),
                at: at(weekday_on_or_after(today - 262), 11, 20),
            },
            Import {
                name: "Excel 休眠顧客リスト 2022".to_string(),
                at: at(weekday_on_or_after(today - 176), 16, 45),
            },
        ];

        let mut campaigns = Vec::new();
        // Newsletter every other Tuesday at 10:00.
        let mut day = day_of(start) + 3;
        while weekday(day) != 1 {
            day += 1;
        }
        let mut k = 0;
        while at(day, 10, 0) < now - DAY {
            let t = at(day, 10, 0);
            let (y, m, d) = civil(day);
            let (subject, page) = NEWSLETTER_SUBJECTS[k % NEWSLETTER_SUBJECTS.len()];
            campaigns.push(Campaign {
                name: format!("メルマガ {y}/{m:02}/{d:02}号"),
                subject: subject.to_string(),
                slug: format!("newsletter-{y}{m:02}{d:02}"),
                path: PAGES[page].0,
                at: t,
                audience: Audience::All,
            });
            k += 1;
            day += 14;
        }
        for w in &webinars {
            let t = at(weekday_on_or_after(day_of(w.at) - 14), 11, 0);
            if t > start {
                campaigns.push(Campaign {
                    name: format!("ウェビナー案内: {}", w.name),
                    subject: format!("【無料ウェビナー】{}", w.name),
                    slug: format!("webinar-invite-{}", w.slug),
                    path: "/seminar/",
                    at: t,
                    audience: Audience::All,
                });
            }
        }
        for (i, s) in shows.iter().enumerate() {
            campaigns.push(Campaign {
                name: format!("展示会御礼: {}", s.name),
                subject: format!("{}へのご来場ありがとうございました", s.name),
                slug: format!("show-thanks-{}", i + 1),
                path: "/case-studies/",
                at: at(weekday_on_or_after(day_of(s.at) + 4), 9, 30),
                audience: Audience::Show(i),
            });
        }
        campaigns.push(Campaign {
            name: "新機能リリースのお知らせ".to_string(),
            subject: "リードスコアリングの根拠表示に対応しました".to_string(),
            slug: "release-scoring".to_string(),
            path: "/product/lead-scoring",
            at: at(weekday_on_or_after(today - 75), 12, 0),
            audience: Audience::All,
        });
        campaigns.sort_by_key(|c| c.at);
        Calendar {
            now,
            start,
            shows,
            webinars,
            imports,
            campaigns,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Companies.

struct CompanyMeta {
    area_code: &'static str,
    main_phone: String,
    size: &'static str,
    owner: usize,
}

fn pick_companies(rng: &mut ChaCha8Rng, sources: &[DemoCompany]) -> Vec<DemoCompany> {
    // Japan Post rows carry the postcode in the address; everything else counts as a
    // company-register row (EDINET or built-in). Mix both when both exist.
    let (post, register): (Vec<usize>, Vec<usize>) = (0..sources.len()).partition(|&i| {
        sources[i]
            .address
            .as_deref()
            .is_some_and(|a| a.starts_with('〒'))
    });
    let (want_register, want_post) = match (register.is_empty(), post.is_empty()) {
        (false, false) => {
            let r = (N_COMPANIES * 55 / 100).min(register.len());
            (r, (N_COMPANIES - r).min(post.len()))
        }
        _ => (register.len().min(N_COMPANIES), post.len().min(N_COMPANIES)),
    };
    let mut chosen: Vec<usize> = Vec::new();
    for (pool, want) in [(&register, want_register), (&post, want_post)] {
        let picked = rand::seq::index::sample(rng, pool.len(), want);
        chosen.extend(picked.iter().map(|i| pool[i]));
    }
    chosen.sort_unstable();

    let mut seen_names = HashSet::new();
    let mut seen_slugs = HashSet::new();
    let mut out: Vec<DemoCompany> = Vec::new();
    let mut push = |c: &DemoCompany, out: &mut Vec<DemoCompany>| {
        if out.len() >= N_COMPANIES || !seen_names.insert(c.raw_name.clone()) {
            return;
        }
        let index = out.len();
        let slug = c
            .domain
            .as_deref()
            .and_then(|d| d.split('.').next())
            .map(slug_from_english)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("c{index}"));
        let slug = if seen_slugs.contains(&slug) {
            format!("{slug}-{index}")
        } else {
            slug
        };
        seen_slugs.insert(slug.clone());
        out.push(DemoCompany {
            raw_name: c.raw_name.clone(),
            corporate_number: c.corporate_number.clone(),
            domain: Some(format!("{slug}.example.co.jp")),
            address: c.address.clone(),
            industry: c.industry.clone().or_else(|| guess_industry(&c.raw_name)),
        });
    };
    for &i in &chosen {
        push(&sources[i], &mut out);
    }
    // Too few sources: the built-in list, then synthesised fictional companies.
    if out.len() < N_COMPANIES {
        for c in builtin() {
            push(&c, &mut out);
        }
    }
    if out.len() < N_COMPANIES {
        let mut combos: Vec<(usize, usize)> = (0..STEMS.len())
            .flat_map(|s| (0..BUSINESSES.len()).map(move |b| (s, b)))
            .collect();
        combos.shuffle(rng);
        for (s, b) in combos {
            if out.len() >= N_COMPANIES {
                break;
            }
            let (stem, stem_r) = STEMS[s];
            let (biz, biz_r, industry) = BUSINESSES[b];
            let name = match rng.gen_range(0..10) {
                0..=4 => format!("株式会社{stem}{biz}"),
                5..=7 => format!("{stem}{biz}株式会社"),
                8 => format!("（株）{stem}{biz}"),
                _ => format!("有限会社{stem}{biz}"),
            };
            let (postcode, place, _) = *pick(rng, AREAS);
            let c = DemoCompany {
                raw_name: name,
                corporate_number: None,
                domain: Some(format!("{stem_r}-{biz_r}.example.co.jp")),
                address: Some(format!(
                    "〒{postcode} {place}{}-{}-{}",
                    rng.gen_range(1..6),
                    rng.gen_range(1..20),
                    rng.gen_range(1..30)
                )),
                industry: Some(industry.to_string()),
            };
            push(&c, &mut out);
        }
    }
    out
}

fn guess_industry(name: &str) -> Option<String> {
    INDUSTRY_KEYWORDS
        .iter()
        .find(|(k, _)| name.contains(k))
        .map(|(_, v)| (*v).to_string())
}

fn area_code(rng: &mut ChaCha8Rng, address: Option<&str>) -> &'static str {
    if let Some(a) = address
        && let Some((_, code)) = AREA_CODES.iter().find(|(k, _)| a.contains(k))
    {
        return code;
    }
    pick_str(rng, OTHER_AREA_CODES)
}

fn landline(rng: &mut ChaCha8Rng, area: &str) -> String {
    if area.len() == 2 {
        format!(
            "{area}-{}-{:04}",
            rng.gen_range(3000..7000),
            rng.gen_range(0..10000)
        )
    } else {
        format!(
            "{area}-{}-{:04}",
            rng.gen_range(200..990),
            rng.gen_range(0..10000)
        )
    }
}

/// "03-1234-5678" → "312345678", the way Excel shows a phone column typed as a number.
fn drop_zero(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| c.is_ascii_digit())
        .skip(1)
        .collect()
}

fn split_postcode(address: &str) -> (Option<String>, String) {
    if let Some(rest) = address.strip_prefix('〒')
        && let Some((code, place)) = rest.split_once(' ')
    {
        return (Some(code.to_string()), place.trim().to_string());
    }
    (None, address.to_string())
}

// ---------------------------------------------------------------------------------------
// Leads.

#[derive(Clone, Copy)]
enum Origin {
    Show(usize),
    Form,
    Doc(usize),
    Webinar(usize),
    Import(usize),
}

/// Who the lead is (before any behaviour).
struct Identity {
    name: String,
    kana: String,
    email: Option<String>,
    phone: Option<String>,
    mobile: Option<String>,
    title: Option<String>,
    department: Option<String>,
    company: Option<usize>,
    postcode: Option<String>,
    address: Option<String>,
    /// (family, given) in romaji, for e-mail local parts.
    romaji: (&'static str, &'static str),
    duplicate: bool,
}

/// The milestones of a lead's history.
#[derive(Default)]
struct Plan {
    t_nurt: Option<i64>,
    t_sr: Option<i64>,
    hot: Option<(i64, i64)>,
    dormant_from: Option<i64>,
    warm_recent: bool,
    mult: f64,
    opt_out_at: Option<i64>,
}

#[derive(Clone, Copy, PartialEq)]
enum LostPath {
    /// Nurturing went quiet.
    Dormant,
    /// Sales could not qualify the lead.
    Disqualified,
    /// The deal was lost after the first meeting.
    DealLost,
}

struct Gen<'a> {
    rng: ChaCha8Rng,
    cal: Calendar,
    companies: &'a [DemoCompany],
    meta: Vec<CompanyMeta>,
    emails: HashSet<String>,
}

pub(super) fn run(seed: u64, now: i64, sources: &[DemoCompany]) -> DemoWorkspace {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let companies = pick_companies(&mut rng, sources);
    let meta = companies
        .iter()
        .map(|c| {
            let area = area_code(&mut rng, c.address.as_deref());
            let big = c.corporate_number.is_some();
            let size_w: &[f64] = if big {
                &[0.0, 0.5, 1.0, 2.0, 3.0, 3.0]
            } else {
                &[2.0, 4.0, 3.0, 2.0, 1.0, 0.3]
            };
            CompanyMeta {
                area_code: area,
                main_phone: landline(&mut rng, area),
                size: EMPLOYEE_SIZES[weighted(&mut rng, size_w)],
                owner: rng.gen_range(SALES_USERS),
            }
        })
        .collect();
    let mut g = Gen {
        rng,
        cal: Calendar::new(now),
        companies: &companies,
        meta,
        emails: HashSet::new(),
    };

    let identities = g.identities();
    let mut leads: Vec<DemoLead> = Vec::with_capacity(identities.len());
    let origins: Vec<Origin> = identities.iter().map(|id| g.origin(id)).collect();
    let created: Vec<i64> = origins.iter().map(|&o| g.created_at(o)).collect();
    let statuses = g.statuses(&identities, &origins, &created);
    for ((id, origin), (t0, status)) in identities
        .into_iter()
        .zip(origins)
        .zip(created.into_iter().zip(statuses))
    {
        leads.push(g.lead(id, origin, t0, status));
    }
    leads.sort_by_key(|l| l.created_at.0);

    let users = USERS
        .iter()
        .map(|&(email, name, role)| DemoUser {
            email: email.to_string(),
            display_name: name.to_string(),
            role,
        })
        .collect();
    DemoWorkspace {
        users,
        companies,
        leads,
    }
}

impl Gen<'_> {
    fn identities(&mut self) -> Vec<Identity> {
        let n_companies = self.companies.len();
        let n_originals = N_LEADS - N_DUPLICATES;
        let n_individuals = n_originals * 8 / 100;
        let n_company_leads = n_originals - n_individuals;

        // 1–12 leads per company, heavy-tailed.
        let mut counts = vec![1usize; n_companies];
        let weights: Vec<f64> = (0..n_companies)
            .map(|_| (1.0 / unit(&mut self.rng).max(0.02)).powf(0.55))
            .collect();
        let mut remaining = n_company_leads.saturating_sub(n_companies);
        let capacity = n_companies * (MAX_LEADS_PER_COMPANY - 1);
        remaining = remaining.min(capacity);
        while remaining > 0 {
            let c = weighted(&mut self.rng, &weights);
            if counts[c] < MAX_LEADS_PER_COMPANY {
                counts[c] += 1;
                remaining -= 1;
            }
        }

        let mut out = Vec::with_capacity(N_LEADS);
        for (c, &n) in counts.iter().enumerate() {
            for _ in 0..n {
                let id = self.identity(Some(c));
                out.push(id);
            }
        }
        while out.len() < n_originals {
            let id = self.identity(None);
            out.push(id);
        }
        // The same person entered twice, from an old Excel list.
        let candidates: Vec<usize> = (0..out.len())
            .filter(|&i| {
                out[i].email.is_some()
                    && out[i]
                        .company
                        .is_some_and(|c| counts[c] < MAX_LEADS_PER_COMPANY)
            })
            .collect();
        let dup_of: Vec<usize> = rand::seq::index::sample(
            &mut self.rng,
            candidates.len(),
            N_DUPLICATES.min(candidates.len()),
        )
        .iter()
        .map(|i| candidates[i])
        .collect();
        for i in dup_of {
            let c = out[i].company.unwrap_or(0);
            if counts[c] < MAX_LEADS_PER_COMPANY {
                counts[c] += 1;
                let d = self.duplicate(&out[i]);
                out.push(d);
            }
        }
        while out.len() < N_LEADS {
            let id = self.identity(None);
            out.push(id);
        }
        out
    }

    fn identity(&mut self, company: Option<usize>) -> Identity {
        let rng = &mut self.rng;
        let fw: Vec<f64> = FAMILY_NAMES.iter().map(|f| f64::from(f.3)).collect();
        let (family, family_kana, family_r, _) = FAMILY_NAMES[weighted(rng, &fw)];
        let (given, given_kana, given_r, _) = *pick(rng, GIVEN_NAMES);
        let name = format!("{family} {given}");
        let kana = format!("{family_kana} {given_kana}");
        let initial = &given_r[..1];

        let free_mail = company.is_none() || chance(rng, 0.02);
        let email = if chance(rng, 0.03) {
            None
        } else if free_mail {
            let local = match rng.gen_range(0..3) {
                0 => format!("{given_r}.{family_r}{}", rng.gen_range(1..1000)),
                1 => format!("{family_r}{given_r}{:02}", rng.gen_range(60..100)),
                _ => format!("{initial}{family_r}{}", rng.gen_range(100..10000)),
            };
            Some(self.unique_email(&local, "example.jp"))
        } else {
            let domain = self.companies[company.unwrap_or(0)]
                .domain
                .clone()
                .unwrap_or_else(|| "c0.example.co.jp".to_string());
            let styles = [30.0, 20.0, 15.0, 10.0, 10.0, 8.0, 7.0];
            let local = match weighted(&mut self.rng, &styles) {
                0 => format!("{initial}.{family_r}"),
                1 => format!("{family_r}.{given_r}"),
                2 => format!("{given_r}.{family_r}"),
                3 => family_r.to_string(),
                4 => format!("{initial}{family_r}"),
                5 => format!("{family_r}-{initial}"),
                _ => format!("{family_r}_{given_r}"),
            };
            Some(self.unique_email(&local, &domain))
        };

        let rng = &mut self.rng;
        let (title, department) = if company.is_some() {
            let tw: Vec<f64> = TITLES.iter().map(|t| f64::from(t.1)).collect();
            let title = if chance(rng, 0.12) {
                None
            } else {
                Some(TITLES[weighted(rng, &tw)])
            };
            let dw: Vec<f64> = DEPARTMENTS.iter().map(|d| f64::from(d.1)).collect();
            let dept = match title {
                Some((_, _, false)) => None,
                _ if chance(rng, 0.12) => None,
                _ => Some(DEPARTMENTS[weighted(rng, &dw)].0.to_string()),
            };
            (title.map(|t| t.0.to_string()), dept)
        } else if chance(rng, 0.2) {
            (Some("代表".to_string()), None)
        } else {
            (None, None)
        };

        let (phone, postcode, address) = match company {
            Some(c) => {
                let meta = &self.meta[c];
                let phone = if chance(rng, 0.7) {
                    let p = if chance(rng, 0.4) {
                        meta.main_phone.clone()
                    } else {
                        landline(rng, meta.area_code)
                    };
                    Some(if chance(rng, 0.1) { drop_zero(&p) } else { p })
                } else {
                    None
                };
                let (postcode, address) = match &self.companies[c].address {
                    Some(a) if chance(rng, 0.85) => {
                        let (pc, rest) = split_postcode(a);
                        (pc, Some(rest))
                    }
                    _ => (None, None),
                };
                (phone, postcode, address)
            }
            None => {
                let (pc, place, area) = *pick(rng, AREAS);
                let phone = if chance(rng, 0.35) {
                    Some(landline(rng, area))
                } else {
                    None
                };
                if chance(rng, 0.5) {
                    let addr = format!(
                        "{place}{}-{}-{}",
                        rng.gen_range(1..6),
                        rng.gen_range(1..20),
                        rng.gen_range(1..30)
                    );
                    (phone, Some(pc.to_string()), Some(addr))
                } else {
                    (phone, None, None)
                }
            }
        };
        let mobile_p = if company.is_some() { 0.35 } else { 0.6 };
        let mobile = if chance(rng, mobile_p) {
            let m = format!(
                "0{}0-{:04}-{:04}",
                [9, 8, 7][weighted(rng, &[5.0, 4.0, 1.0])],
                rng.gen_range(1000..10000),
                rng.gen_range(0..10000)
            );
            Some(if chance(rng, 0.05) { drop_zero(&m) } else { m })
        } else {
            None
        };

        Identity {
            name,
            kana,
            email,
            phone,
            mobile,
            title,
            department,
            company,
            postcode,
            address,
            romaji: (family_r, given_r),
            duplicate: false,
        }
    }

    /// A second record of the same person: variant kanji, older e-mail format, the
    /// landline as Excel mangled it.
    fn duplicate(&mut self, o: &Identity) -> Identity {
        let mut name = o.name.clone();
        if let Some((from, to)) = VARIANT_SPELLINGS
            .iter()
            .find(|(f, _)| o.name.starts_with(f))
        {
            name = name.replacen(from, to, 1);
        } else if let Some((plain, variant)) = VARIANT_SPELLINGS
            .iter()
            .find(|(_, v)| o.name.starts_with(v))
        {
            name = name.replacen(variant, plain, 1);
        }
        let email = match (&o.email, chance(&mut self.rng, 0.7)) {
            (Some(e), true) => {
                // An older address format at the same domain.
                let (local, domain) = e.split_once('@').unwrap_or((e, "example.jp"));
                let (family_r, given_r) = o.romaji;
                let initial = &given_r[..1];
                let options = [
                    family_r.to_string(),
                    format!("{initial}{family_r}"),
                    format!("{family_r}.{initial}"),
                    format!("{family_r}{given_r}"),
                ];
                let start = self.rng.gen_range(0..options.len());
                let alt = (0..options.len())
                    .map(|k| &options[(start + k) % options.len()])
                    .find(|a| a.as_str() != local)
                    .cloned()
                    .unwrap_or_else(|| format!("{family_r}.{given_r}"));
                Some(self.unique_email(&alt, domain))
            }
            _ => None,
        };
        let phone = o.phone.as_ref().map(|p| {
            if p.starts_with('0') && chance(&mut self.rng, 0.6) {
                drop_zero(p)
            } else {
                p.clone()
            }
        });
        Identity {
            name,
            kana: o.kana.clone(),
            email,
            phone,
            mobile: None,
            title: o.title.clone(),
            department: o.department.clone(),
            company: o.company,
            postcode: o.postcode.clone(),
            address: o.address.clone(),
            romaji: o.romaji,
            duplicate: true,
        }
    }

    fn unique_email(&mut self, local: &str, domain: &str) -> String {
        let mut candidate = format!("{local}@{domain}");
        let mut n = 2;
        while self.emails.contains(&candidate) {
            candidate = format!("{local}{n}@{domain}");
            n += 1;
        }
        self.emails.insert(candidate.clone());
        candidate
    }

    fn origin(&mut self, id: &Identity) -> Origin {
        let rng = &mut self.rng;
        if id.duplicate {
            return Origin::Import(0);
        }
        // import, show, form, doc, webinar
        let w: &[f64] = if id.company.is_none() {
            &[0.0, 0.10, 0.30, 0.35, 0.25]
        } else {
            &[0.18, 0.30, 0.13, 0.22, 0.17]
        };
        match weighted(rng, w) {
            0 => Origin::Import(weighted(rng, &[0.6, 0.4])),
            1 => Origin::Show(weighted(rng, &[0.3, 0.25, 0.45])),
            2 => Origin::Form,
            3 => Origin::Doc(weighted(rng, &[0.35, 0.15, 0.2, 0.2, 0.1])),
            _ => Origin::Webinar(weighted(rng, &[0.15, 0.2, 0.2, 0.25, 0.2])),
        }
    }

    fn created_at(&mut self, origin: Origin) -> i64 {
        let cal = &self.cal;
        let rng = &mut self.rng;
        match origin {
            Origin::Import(i) => cal.imports[i].at + between(rng, 0, 90) * SEC,
            Origin::Show(i) => {
                // Business cards are keyed in over the days after the show.
                let day = weekday_on_or_after(day_of(cal.shows[i].at) + between(rng, 1, 5));
                at(day, 10, 0) + between(rng, 0, 8 * 60) * MIN
            }
            Origin::Webinar(i) => {
                let w = &cal.webinars[i];
                (w.at - between(rng, HOUR, 20 * DAY)).max(cal.start + HOUR)
            }
            Origin::Form | Origin::Doc(_) => {
                // Inbound grows over time (more content, more ads).
                let x = unit(rng).powf(0.8);
                let t = cal.start + (x * (cal.now - cal.start - HOUR) as f64) as i64;
                let day = day_of(t);
                let t = if weekday(day) >= 5 && chance(rng, 0.7) {
                    at(weekday_on_or_after(day), 9, 0) + between(rng, 0, 9 * 60) * MIN
                } else {
                    at(day, 8, 0) + between(rng, 0, 14 * 60) * MIN
                };
                t.min(cal.now - 10 * MIN)
            }
        }
    }

    /// Sample statuses so that the overall mix hits [`TARGET_MIX`] while respecting each
    /// lead's age and origin (form inquiries qualify more often, old lists go dormant).
    fn statuses(
        &mut self,
        ids: &[Identity],
        origins: &[Origin],
        created: &[i64],
    ) -> Vec<LeadStatus> {
        let now = self.cal.now;
        let w: Vec<[f64; 5]> = ids
            .iter()
            .zip(origins)
            .zip(created)
            .map(|((id, origin), &t0)| {
                let age = (now - t0) as f64 / DAY as f64;
                let mut w: [f64; 5] = match origin {
                    Origin::Import(_) => [1.4, 0.7, 0.4, 0.5, 1.6],
                    Origin::Show(_) => [1.0, 1.0, 1.0, 1.0, 1.0],
                    Origin::Form => [0.6, 0.7, 2.2, 2.0, 0.9],
                    Origin::Doc(_) => [0.9, 1.3, 1.0, 0.8, 0.8],
                    Origin::Webinar(_) => [0.8, 1.4, 1.1, 1.0, 0.8],
                };
                if id.company.is_none() {
                    for (x, m) in w.iter_mut().zip([1.3, 1.1, 0.4, 0.2, 1.0]) {
                        *x *= m;
                    }
                }
                if id.email.is_none() {
                    w[1] *= 0.3;
                }
                let min_age = [0.0, 3.0, 2.0, 40.0, 60.0];
                for (x, m) in w.iter_mut().zip(min_age) {
                    if age < m {
                        *x = 0.0;
                    }
                }
                if id.duplicate {
                    w = [1.0, 0.0, 0.0, 0.0, 0.0];
                }
                w
            })
            .collect();
        // Iterative proportional fitting of per-status scale factors.
        let n = ids.len() as f64;
        let mut scale = TARGET_MIX;
        for _ in 0..30 {
            let mut expected = [0.0; 5];
            for wi in &w {
                let z: f64 = wi.iter().zip(&scale).map(|(a, b)| a * b).sum();
                for k in 0..5 {
                    expected[k] += wi[k] * scale[k] / z;
                }
            }
            for k in 0..5 {
                if expected[k] > 0.0 {
                    scale[k] *= TARGET_MIX[k] * n / expected[k];
                }
            }
        }
        w.iter()
            .map(|wi| {
                let p: Vec<f64> = wi.iter().zip(&scale).map(|(a, b)| a * b).collect();
                STATUSES[weighted(&mut self.rng, &p)]
            })
            .collect()
    }

    fn lead(&mut self, id: Identity, origin: Origin, t0: i64, status: LeadStatus) -> DemoLead {
        let now = self.cal.now;
        let mut b = LeadBuilder {
            t0,
            now,
            events: Vec::new(),
            touchpoints: Vec::new(),
            activities: Vec::new(),
            changes: Vec::new(),
            downloaded: HashSet::new(),
        };
        let has_email = id.email.is_some();

        // Origin touchpoint, origin events, first status change.
        let (tp_source, tp_kind, new_reason, new_user) = match origin {
            Origin::Show(i) => {
                let s = &self.cal.shows[i].name;
                (
                    s.clone(),
                    "trade_show",
                    format!("{s}で名刺交換（ブース来場）"),
                    Some(pick_marketing(&mut self.rng)),
                )
            }
            Origin::Form => {
                b.event(
                    t0 + 5 * SEC,
                    "form_submit",
                    Some("/contact"),
                    json!({"form": "お問い合わせ"}),
                );
                (
                    "問い合わせフォーム".to_string(),
                    "form",
                    "問い合わせフォームから登録".to_string(),
                    None,
                )
            }
            Origin::Doc(d) => {
                let (path, title, slug) = DOCS[d];
                b.event(
                    t0 + 5 * SEC,
                    "form_submit",
                    Some(&format!("/download/{slug}")),
                    json!({"form": "資料請求", "document": title}),
                );
                b.event(
                    t0 + between(&mut self.rng, 20, 200) * SEC,
                    "download",
                    Some(path),
                    json!({"title": title}),
                );
                b.downloaded.insert(d);
                (
                    format!("資料請求: {title}"),
                    "document_request",
                    format!("資料請求フォームから登録（{title}）"),
                    None,
                )
            }
            Origin::Webinar(i) => {
                let w = &self.cal.webinars[i];
                b.event(
                    t0 + 5 * SEC,
                    "form_submit",
                    Some(&format!("/seminar/{}", w.slug)),
                    json!({"form": "ウェビナー申込", "webinar": w.name}),
                );
                (
                    w.name.clone(),
                    "webinar",
                    format!("ウェビナー申込フォームから登録（{}）", w.name),
                    None,
                )
            }
            Origin::Import(i) => {
                let name = &self.cal.imports[i].name;
                (
                    name.clone(),
                    "import",
                    format!("{name} から取り込み"),
                    Some(pick_marketing(&mut self.rng)),
                )
            }
        };
        b.touchpoints.push(DemoTouchpoint {
            source: tp_source,
            kind: tp_kind.to_string(),
            at: Micros(t0),
        });
        b.change(None, LeadStatus::New, t0, new_user, new_reason);

        // Milestones.
        let mut plan = Plan {
            mult: (0.8 * normal(&mut self.rng)).exp(),
            ..Plan::default()
        };
        let age = now - t0;
        let lost_path = if status == LeadStatus::LostDormant {
            let mut w = [0.4, 0.35, 0.25];
            if age < 120 * DAY || !has_email {
                w[0] = 0.0;
            }
            if age < 80 * DAY {
                w[2] = 0.0;
            }
            Some(
                [
                    LostPath::Dormant,
                    LostPath::Disqualified,
                    LostPath::DealLost,
                ][weighted(&mut self.rng, &w)],
            )
        } else {
            None
        };
        let goes_to_sales = matches!(status, LeadStatus::SalesReady | LeadStatus::Opportunity)
            || matches!(lost_path, Some(LostPath::Disqualified | LostPath::DealLost));
        // A form inquiry can go straight to sales.
        let direct_sr = goes_to_sales
            && matches!(origin, Origin::Form)
            && (status != LeadStatus::SalesReady || age < 20 * DAY)
            && chance(&mut self.rng, 0.6);
        let via_nurturing = match status {
            LeadStatus::New => false,
            LeadStatus::Nurturing => true,
            _ if lost_path == Some(LostPath::Dormant) => true,
            _ => !direct_sr && has_email && chance(&mut self.rng, 0.8),
        };

        if goes_to_sales {
            let rng = &mut self.rng;
            let t_sr = match (status, lost_path) {
                (LeadStatus::SalesReady, _) if chance(rng, 0.75) || age < 16 * DAY => {
                    now - between(rng, HOUR, (14 * DAY).min(age - DAY).max(2 * HOUR))
                }
                (LeadStatus::SalesReady, _) => {
                    now - between(rng, 14 * DAY, (45 * DAY).min(age - 2 * DAY))
                }
                (LeadStatus::Opportunity, _) => {
                    between(rng, t0 + 3 * DAY, (now - 38 * DAY).max(t0 + 3 * DAY + 1))
                }
                (_, Some(LostPath::DealLost)) => {
                    between(rng, t0 + 3 * DAY, (now - 75 * DAY).max(t0 + 3 * DAY + 1))
                }
                _ => between(rng, t0 + 3 * DAY, (now - 45 * DAY).max(t0 + 3 * DAY + 1)),
            };
            let t_sr = if !direct_sr {
                t_sr.max(t0 + 2 * DAY).min(now - HOUR)
            } else {
                // Direct hand-off right after a form inquiry.
                (t0 + between(rng, 5 * MIN, 3 * HOUR)).min(now - MIN)
            };
            plan.t_sr = Some(t_sr);
            if via_nurturing {
                let span = (t_sr - t0 - DAY).max(HOUR);
                plan.t_nurt = Some(t0 + DAY / 2 + (unit(rng) * 0.8 * span as f64) as i64);
            }
            plan.hot = Some(if t_sr > now - 14 * DAY {
                (t_sr - between(rng, 3 * DAY, 10 * DAY), now)
            } else {
                (t_sr - 7 * DAY, t_sr + 4 * DAY)
            });
        } else if via_nurturing {
            let rng = &mut self.rng;
            let latest = match lost_path {
                Some(_) => now - 110 * DAY,
                None => now - HOUR,
            };
            let t = t0 + DAY / 2 + (exp_mean(rng, 18.0) * DAY as f64) as i64;
            plan.t_nurt = Some(t.min(latest).max(t0 + HOUR));
            plan.warm_recent = status == LeadStatus::Nurturing && chance(rng, 0.25);
        }
        if let Some(LostPath::Dormant) = lost_path {
            let tn = plan.t_nurt.unwrap_or(t0);
            plan.dormant_from = Some(
                (tn + between(&mut self.rng, 5 * DAY, 40 * DAY))
                    .min(now - 95 * DAY)
                    .max(tn),
            );
        }
        if has_email && chance(&mut self.rng, 0.03) {
            plan.opt_out_at = Some(between(&mut self.rng, t0 + DAY, now.max(t0 + DAY + 1)));
        }

        // Trigger events that justify the transitions.
        let mut nurt_reason = String::new();
        if let Some(tn) = plan.t_nurt {
            nurt_reason = self.nurturing_trigger(&mut b, tn, has_email);
        }
        let mut sr_reason = String::new();
        let mut sr_user = None;
        if let Some(ts) = plan.t_sr {
            if direct_sr {
                let topic = pick(
                    &mut self.rng,
                    &[
                        "料金について",
                        "デモ希望",
                        "Excelからの移行について",
                        "他社ツールからの乗り換え",
                        "導入スケジュールについて",
                    ],
                );
                sr_reason = format!("問い合わせフォームで導入相談（{topic}）");
                sr_user = Some(pick_marketing(&mut self.rng));
            } else {
                let (r, auto) = self.sales_ready_trigger(&mut b, ts);
                sr_reason = r;
                sr_user = if auto {
                    None
                } else {
                    Some(pick_marketing(&mut self.rng))
                };
            }
            // A person hands the lead over during working hours.
            if sr_user.is_some() {
                let delay = between(&mut self.rng, 5 * MIN, 90 * MIN);
                let handoff = business_time(ts + delay, &mut self.rng);
                if handoff < now - MIN {
                    plan.t_sr = Some(handoff);
                }
            }
        }

        // Sales work.
        let company_owner = id.company.map(|c| self.meta[c].owner);
        let mut owner = None;
        let mut t_opp = None;
        let mut lost: Option<(i64, Option<usize>, String, String)> = None; // (at, user, reason, lost_reason)
        if let Some(ts) = plan.t_sr {
            let rng = &mut self.rng;
            let o = match company_owner {
                Some(o) if chance(rng, 0.85) => o,
                _ => rng.gen_range(SALES_USERS),
            };
            let delay = between(rng, 20 * MIN, 20 * HOUR);
            let assigned_at = business_time(ts + delay, rng);
            let unassigned = status == LeadStatus::SalesReady
                && (assigned_at > now || chance(rng, if ts > now - 3 * DAY { 0.7 } else { 0.1 }));
            if !unassigned {
                owner = Some(o);
                let flow = match (status, lost_path) {
                    (LeadStatus::Opportunity, _) => Flow::Opportunity,
                    (_, Some(LostPath::DealLost)) => Flow::LostAfterOpportunity,
                    (_, Some(LostPath::Disqualified)) => Flow::LostAfterCalls,
                    _ => Flow::Working,
                };
                let res = self.sales(&mut b, &id, o, assigned_at, flow);
                t_opp = res.t_opp;
                lost = res.lost;
            }
        }
        if let Some(LostPath::Dormant) = lost_path {
            let df = plan.dormant_from.unwrap_or(t0);
            let t_lost = between(
                &mut self.rng,
                df + 90 * DAY,
                (df + 150 * DAY).min(now - DAY).max(df + 90 * DAY + 1),
            )
            .min(now - HOUR);
            if chance(&mut self.rng, 0.3) {
                b.event(
                    t_lost - 2 * HOUR,
                    "form_submit",
                    Some("/survey"),
                    json!({"form": "アンケート", "answer": "検討予定なし"}),
                );
                lost = Some((
                    t_lost,
                    Some(pick_marketing(&mut self.rng)),
                    "メール配信のアンケートで「現在検討予定なし」と回答".to_string(),
                    "ニーズなし".to_string(),
                ));
            } else {
                lost = Some((t_lost, None, String::new(), "連絡不通".to_string()));
            }
        }
        if let Some((t_lost, ..)) = lost {
            plan.dormant_from = Some(plan.dormant_from.unwrap_or(t_lost).min(t_lost));
        }

        // Behaviour.
        self.behaviour(&mut b, &plan, origin, has_email);

        // Status path.
        let mut cur = LeadStatus::New;
        if let Some(tn) = plan.t_nurt {
            let user = if chance(&mut self.rng, 0.3) {
                Some(pick_marketing(&mut self.rng))
            } else {
                None
            };
            b.change(Some(cur), LeadStatus::Nurturing, tn, user, nurt_reason);
            cur = LeadStatus::Nurturing;
        }
        if let Some(ts) = plan.t_sr {
            b.change(Some(cur), LeadStatus::SalesReady, ts, sr_user, sr_reason);
            cur = LeadStatus::SalesReady;
        }
        if let Some((to, reason)) = t_opp {
            b.change(Some(cur), LeadStatus::Opportunity, to, owner, reason);
            cur = LeadStatus::Opportunity;
            // About two in five older opportunities are won: the company becomes a
            // customer (the CRM side).
            if let Some(o) = owner.filter(|_| status == LeadStatus::Opportunity) {
                let rng = &mut self.rng;
                let t_won = to + between(rng, 21 * DAY, 75 * DAY);
                if t_won < now - DAY && chance(rng, 0.45) {
                    let t_won = business_time(t_won, rng).min(now - HOUR);
                    b.activity(t_won - 2 * HOUR, "meeting", None, "契約条件の最終確認", o);
                    b.change(
                        Some(cur),
                        LeadStatus::Won,
                        t_won,
                        Some(o),
                        "受注（年間契約）".to_string(),
                    );
                    cur = LeadStatus::Won;
                }
            }
        }
        let mut lost_reason = None;
        if let Some((t_lost, user, reason, lr)) = lost {
            let reason = if reason.is_empty() {
                let last = b
                    .events
                    .iter()
                    .map(|e| e.at.0)
                    .filter(|&t| t < t_lost)
                    .max()
                    .unwrap_or(t0);
                format!(
                    "{}日間メール開封・サイト訪問がないため休眠に移行",
                    (t_lost - last) / DAY
                )
            } else {
                reason
            };
            b.change(Some(cur), LeadStatus::LostDormant, t_lost, user, reason);
            cur = LeadStatus::LostDormant;
            lost_reason = Some(lr);
        }
        debug_assert!(cur == status || (status, cur) == (LeadStatus::Opportunity, LeadStatus::Won));

        // Custom fields.
        let mut custom = Map::new();
        let rng = &mut self.rng;
        if let Some(c) = id.company
            && chance(rng, 0.8)
        {
            custom.insert("従業員規模".into(), Value::from(self.meta[c].size));
        }
        if chance(rng, 0.5) {
            custom.insert("関心製品".into(), Value::from(*pick(rng, PRODUCTS)));
        }
        let engaged = matches!(cur, LeadStatus::SalesReady | LeadStatus::Opportunity);
        if chance(rng, if engaged { 0.7 } else { 0.2 }) {
            custom.insert("導入時期".into(), Value::from(*pick(rng, TIMINGS)));
        }
        if cur == LeadStatus::Opportunity && chance(rng, 0.7) {
            custom.insert("予算".into(), Value::from(*pick(rng, BUDGETS)));
        }
        if matches!(origin, Origin::Show(_)) && chance(rng, 0.4) {
            custom.insert("展示会アンケート".into(), Value::from(*pick(rng, SURVEY)));
        }

        // Consent.
        let consent_source = match origin {
            Origin::Show(_) if chance(rng, 0.95) => Some("business_card"),
            Origin::Form | Origin::Doc(_) | Origin::Webinar(_) if chance(rng, 0.95) => {
                Some("form_opt_in")
            }
            Origin::Import(_) if chance(rng, 0.85) => Some("existing_relationship"),
            _ => None,
        };

        b.finish();
        DemoLead {
            name: id.name,
            kana: id.kana,
            email: id.email,
            phone: id.phone,
            mobile: id.mobile,
            title: id.title,
            department: id.department,
            company: id.company,
            postcode: id.postcode,
            address: id.address,
            owner,
            status: cur,
            lost_reason,
            custom_fields: custom,
            consent_source: consent_source.map(str::to_string),
            consent_at: consent_source.map(|_| Micros(t0)),
            email_opt_out: plan.opt_out_at.is_some(),
            created_at: Micros(t0),
            touchpoints: b.touchpoints,
            events: b.events,
            activities: b.activities,
            status_changes: b.changes,
        }
    }

    /// Plant the events behind New → Nurturing at `t`; returns the reason.
    fn nurturing_trigger(&mut self, b: &mut LeadBuilder, t: i64, has_email: bool) -> String {
        let rng = &mut self.rng;
        let choice = weighted(rng, &[if has_email { 4.0 } else { 0.0 }, 3.0, 3.0]);
        match choice {
            0 => {
                let campaign = "ステップメール 2通目: 導入事例のご紹介";
                let (path, title, _) = PAGES[rng.gen_range(9..14)];
                b.event(
                    t - between(rng, 2 * HOUR, 30 * HOUR),
                    "email_open",
                    None,
                    json!({"campaign": campaign, "subject": "同じ業種の導入事例をお届けします"}),
                );
                b.event(
                    t - 4 * MIN,
                    "email_click",
                    Some(&format!("{path}?utm_source=stepmail&utm_medium=email")),
                    json!({"campaign": campaign}),
                );
                b.event(
                    t - 3 * MIN,
                    "page_view",
                    Some(path),
                    json!({"title": title, "referrer": "email"}),
                );
                "メール内リンクをクリックし導入事例を閲覧".to_string()
            }
            1 => {
                let d = *pick(rng, &[3usize, 4, 0]);
                let (path, title, slug) = DOCS[d];
                b.event(
                    t - 3 * MIN,
                    "form_submit",
                    Some(&format!("/download/{slug}")),
                    json!({"form": "資料請求", "document": title}),
                );
                b.event(t - 2 * MIN, "download", Some(path), json!({"title": title}));
                b.touch(
                    t - 3 * MIN,
                    &format!("資料請求: {title}"),
                    "document_request",
                );
                b.downloaded.insert(d);
                format!("{title}をダウンロード")
            }
            _ => {
                let span = (t - b.t0).min(6 * DAY);
                for k in 0..4 {
                    let (path, title, _) = PAGES[if k == 3 { 6 } else { rng.gen_range(0..6) }];
                    let at_ = t - span + (span * (k + 1)) / 5 - between(rng, 0, 10) * MIN;
                    b.event(at_, "page_view", Some(path), json!({"title": title}));
                }
                "1週間で製品・料金ページを4回閲覧".to_string()
            }
        }
    }

    /// Plant the events behind → SalesReady at `t`; returns (reason, automatic rule?).
    fn sales_ready_trigger(&mut self, b: &mut LeadBuilder, t: i64) -> (String, bool) {
        let rng = &mut self.rng;
        match weighted(rng, &[3.0, 3.0, 2.0, 3.0]) {
            0 => {
                let d = *pick(rng, &[0usize, 2, 3]);
                let (path, title, slug) = DOCS[d];
                let td = t - between(rng, DAY, 5 * DAY);
                if !b.downloaded.contains(&d) {
                    b.event(
                        td - MIN,
                        "form_submit",
                        Some(&format!("/download/{slug}")),
                        json!({"form": "資料請求", "document": title}),
                    );
                    b.touch(td - MIN, &format!("資料請求: {title}"), "document_request");
                    b.downloaded.insert(d);
                }
                b.event(td, "download", Some(path), json!({"title": title}));
                for k in 0..3 {
                    let (p, ti, _) = PAGES[rng.gen_range(0..6)];
                    b.event(
                        td + (t - td) * (k + 1) / 4,
                        "page_view",
                        Some(p),
                        json!({"title": ti}),
                    );
                }
                (
                    format!("{title}のダウンロード後に製品ページを3回閲覧"),
                    false,
                )
            }
            1 => {
                b.event(
                    t - between(rng, 2 * DAY, 6 * DAY),
                    "page_view",
                    Some("/pricing"),
                    json!({"title": "料金プラン"}),
                );
                b.event(
                    t - 20 * MIN,
                    "page_view",
                    Some("/pricing"),
                    json!({"title": "料金プラン"}),
                );
                b.event(
                    t - 5 * MIN,
                    "form_submit",
                    Some("/contact"),
                    json!({"form": "お問い合わせ", "topic": "見積依頼"}),
                );
                b.touch(t - 5 * MIN, "問い合わせフォーム", "form");
                (
                    "料金ページを2回閲覧し、問い合わせフォームから見積依頼".to_string(),
                    false,
                )
            }
            2 => {
                b.event(
                    t - 12 * MIN,
                    "page_view",
                    Some("/product/"),
                    json!({"title": "製品概要"}),
                );
                b.event(
                    t - 5 * MIN,
                    "form_submit",
                    Some("/demo-request"),
                    json!({"form": "デモ依頼"}),
                );
                b.touch(t - 5 * MIN, "デモ依頼フォーム", "form");
                ("デモ依頼フォームを送信".to_string(), false)
            }
            _ => {
                let n = rng.gen_range(6..11);
                let span = (t - b.t0).min(14 * DAY);
                for k in 0..n {
                    let (p, ti, _) = PAGES[*pick(rng, &[0usize, 1, 2, 3, 6, 6, 9, 10, 11])];
                    b.event(
                        t - span + span * (k + 1) / (n + 1),
                        "page_view",
                        Some(p),
                        json!({"title": ti}),
                    );
                }
                (
                    format!("スコアが70点に到達（直近14日で製品・料金・事例ページを{n}回閲覧）"),
                    true,
                )
            }
        }
    }

    /// Day-by-day behaviour: campaigns, web sessions, webinars, trade-show revisits.
    fn behaviour(&mut self, b: &mut LeadBuilder, plan: &Plan, origin: Origin, has_email: bool) {
        let now = self.cal.now;
        let t0 = b.t0;
        let phase = |t: i64| -> Phase {
            if plan.dormant_from.is_some_and(|d| t >= d) {
                Phase::Dormant
            } else if plan.hot.is_some_and(|(a, z)| t >= a && t <= z) {
                Phase::Hot
            } else if plan.t_sr.is_some_and(|s| t >= s) || plan.t_nurt.is_some_and(|n| t >= n) {
                Phase::Engaged
            } else {
                Phase::Early
            }
        };
        let m = plan.mult;
        let sm = m.sqrt();

        // E-mail campaigns.
        if has_email {
            for ci in 0..self.cal.campaigns.len() {
                let c = &self.cal.campaigns[ci];
                if c.at <= t0 + HOUR || c.at > now {
                    continue;
                }
                if plan.opt_out_at.is_some_and(|o| c.at >= o) {
                    continue;
                }
                if let Audience::Show(s) = c.audience
                    && !matches!(origin, Origin::Show(x) if x == s)
                {
                    continue;
                }
                let ph = phase(c.at);
                let (p_open, p_click) = match ph {
                    Phase::Early => (0.18, 0.15),
                    Phase::Engaged => (0.38, 0.28),
                    Phase::Hot => (0.65, 0.45),
                    Phase::Dormant => (0.02, 0.0),
                };
                let rng = &mut self.rng;
                if !chance(rng, (p_open * sm).min(0.9)) {
                    continue;
                }
                let t_open = c.at + (exp_mean(rng, 5.0) * HOUR as f64).min(3.0 * DAY as f64) as i64;
                let props = json!({"campaign": c.name, "subject": c.subject});
                let (name, slug, path) = (c.name.clone(), c.slug.clone(), c.path);
                b.event(t_open, "email_open", None, props);
                if chance(rng, (p_click * sm).min(0.8)) {
                    let t_click = t_open + between(rng, 20, 600) * SEC;
                    b.event(
                        t_click,
                        "email_click",
                        Some(&format!(
                            "{path}?utm_source=newsletter&utm_medium=email&utm_campaign={slug}"
                        )),
                        json!({"campaign": name}),
                    );
                    self.session(b, t_click + 5 * SEC, ph, Some(path));
                }
            }
        }

        // Webinars (registration, attendance).
        for wi in 0..self.cal.webinars.len() {
            let (w_at, w_name, w_slug) = {
                let w = &self.cal.webinars[wi];
                (w.at, w.name.clone(), w.slug.clone())
            };
            if w_at > now {
                continue;
            }
            let rng = &mut self.rng;
            let registered = if matches!(origin, Origin::Webinar(i) if i == wi) {
                true
            } else {
                let reg = w_at - between(rng, DAY, 12 * DAY);
                if reg <= t0 + HOUR {
                    continue;
                }
                let p = match phase(reg) {
                    Phase::Early => 0.03,
                    Phase::Engaged => 0.10,
                    Phase::Hot => 0.25,
                    Phase::Dormant => 0.0,
                };
                if !chance(rng, p * sm) {
                    continue;
                }
                b.event(
                    reg,
                    "form_submit",
                    Some(&format!("/seminar/{w_slug}")),
                    json!({"form": "ウェビナー申込", "webinar": w_name}),
                );
                b.touch(reg, &w_name, "webinar");
                true
            };
            if registered && chance(rng, 0.62) {
                let minutes = rng.gen_range(15..61);
                b.event(
                    w_at + between(rng, 0, 6) * MIN,
                    "webinar_attend",
                    None,
                    json!({"webinar": w_name, "minutes": minutes}),
                );
                if chance(rng, 0.4) {
                    let (path, title, _) = DOCS[0];
                    let t = w_at + (minutes + 5) * MIN;
                    b.event(
                        t,
                        "download",
                        Some(path),
                        json!({"title": title, "via": "ウェビナー資料"}),
                    );
                }
            }
        }

        // Meeting the lead again at a later trade show.
        for si in 0..self.cal.shows.len() {
            let (s_at, s_name) = (self.cal.shows[si].at, self.cal.shows[si].name.clone());
            if s_at > t0 + 30 * DAY
                && s_at < now
                && phase(s_at) != Phase::Dormant
                && chance(&mut self.rng, 0.08 * sm)
            {
                b.touch(
                    s_at + between(&mut self.rng, 0, 7 * HOUR),
                    &s_name,
                    "trade_show",
                );
            }
        }

        // Web sessions, day by day.
        let first_day = day_of(t0);
        let last_day = day_of(now);
        for day in first_day..=last_day {
            let mid = at(day, 12, 0);
            let ph = phase(mid);
            let mut rate = match ph {
                Phase::Early => 0.016,
                Phase::Engaged => 0.065,
                Phase::Hot => 0.45,
                Phase::Dormant => 0.0,
            };
            if plan.warm_recent && mid > now - 21 * DAY {
                rate = f64::max(rate, 0.18);
            }
            if mid - t0 < 3 * DAY && !matches!(origin, Origin::Import(_)) && ph != Phase::Dormant {
                rate += 0.25;
            }
            if weekday(day) >= 5 {
                rate *= 0.3;
            }
            let n = poisson(&mut self.rng, rate * m);
            for _ in 0..n {
                let rng = &mut self.rng;
                let hour = *pick(
                    rng,
                    &[8, 9, 10, 10, 11, 11, 13, 13, 14, 14, 15, 16, 17, 18, 20, 22],
                );
                let t = at(day, hour, rng.gen_range(0..60)) + between(rng, 0, 60) * SEC;
                if t <= t0 || t > now {
                    continue;
                }
                self.session(b, t, ph, None);
            }
        }
    }

    /// A browsing session: 1–8 page views, sometimes a gated download or an inquiry.
    fn session(
        &mut self,
        b: &mut LeadBuilder,
        start: i64,
        ph: Phase,
        landing: Option<&'static str>,
    ) {
        let rng = &mut self.rng;
        let hot = ph == Phase::Hot;
        let n = 1 + (exp_mean(rng, if hot { 2.8 } else { 1.3 }) as i64).min(7);
        let mut t = start;
        let referrer = if landing.is_some() {
            "email"
        } else {
            *pick(
                rng,
                &["google", "google", "direct", "yahoo", "linkedin", "bing"],
            )
        };
        for k in 0..n {
            let (path, title, cat) = match (k, landing) {
                (0, Some(p)) => PAGES.iter().copied().find(|x| x.0 == p).unwrap_or(PAGES[0]),
                _ => {
                    let w: &[f64] = if hot {
                        &[0.35, 0.3, 0.25, 0.08, 0.02]
                    } else {
                        &[0.25, 0.08, 0.2, 0.42, 0.05]
                    };
                    let cat = [
                        Cat::Product,
                        Cat::Pricing,
                        Cat::Case,
                        Cat::Blog,
                        Cat::Seminar,
                    ][weighted(rng, w)];
                    let options: Vec<&(&str, &str, Cat)> =
                        PAGES.iter().filter(|p| p.2 == cat).collect();
                    **pick(rng, &options)
                }
            };
            let props = if k == 0 {
                json!({"title": title, "referrer": referrer})
            } else {
                json!({"title": title})
            };
            b.event(t, "page_view", Some(path), props);
            t += between(rng, 25, 240) * SEC;
            // Gated downloads and inquiries.
            let doc = match cat {
                Cat::Case if chance(rng, 0.10) => Some(0),
                Cat::Blog if chance(rng, 0.06) => Some(*pick(rng, &[3usize, 4])),
                Cat::Pricing if chance(rng, 0.07) => Some(1),
                Cat::Product if chance(rng, 0.04) => Some(2),
                _ => None,
            };
            if let Some(d) = doc {
                let (dpath, dtitle, slug) = DOCS[d];
                if b.downloaded.insert(d) {
                    b.event(
                        t,
                        "form_submit",
                        Some(&format!("/download/{slug}")),
                        json!({"form": "資料請求", "document": dtitle}),
                    );
                    b.touch(t, &format!("資料請求: {dtitle}"), "document_request");
                }
                t += between(rng, 10, 60) * SEC;
                b.event(t, "download", Some(dpath), json!({"title": dtitle}));
                t += between(rng, 30, 300) * SEC;
            }
        }
    }

    fn sales(
        &mut self,
        b: &mut LeadBuilder,
        id: &Identity,
        owner: usize,
        assigned_at: i64,
        flow: Flow,
    ) -> SalesResult {
        let now = self.cal.now;
        let family = id.name.split(' ').next().unwrap_or("").to_string();
        let title = id.title.clone().unwrap_or_else(|| "ご担当者".to_string());
        let mut res = SalesResult {
            t_opp: None,
            lost: None,
        };
        let rng = &mut self.rng;
        let mut t = assigned_at;
        if chance(rng, 0.6) {
            b.activity(t, "email", None, pick_str(rng, EMAIL_NOTES_FIRST), owner);
            t += between(rng, 10 * MIN, 3 * HOUR);
        }
        let n_calls = match flow {
            Flow::Working => rng.gen_range(1..5),
            Flow::LostAfterCalls => rng.gen_range(3..7),
            Flow::Opportunity | Flow::LostAfterOpportunity => rng.gen_range(0..4),
        };
        let lost_kind = match flow {
            Flow::LostAfterCalls => weighted(rng, &[0.5, 0.3, 0.2]), // 連絡不通, ニーズなし, 時期尚早
            _ => 0,
        };
        let mut last = t;
        for k in 0..n_calls {
            t = business_time(
                t + if k == 0 {
                    between(rng, 30 * MIN, DAY)
                } else {
                    between(rng, DAY, 3 * DAY)
                },
                rng,
            );
            if t > now - 10 * MIN {
                break;
            }
            let last_call = k + 1 == n_calls;
            let (outcome, note): (&str, String) = match flow {
                Flow::LostAfterCalls if lost_kind == 0 => {
                    if chance(rng, 0.7) {
                        ("不在", pick(rng, CALL_NOTES_ABSENT).to_string())
                    } else {
                        ("受付ブロック", pick(rng, CALL_NOTES_BLOCKED).to_string())
                    }
                }
                Flow::LostAfterCalls if last_call => {
                    if lost_kind == 1 {
                        (
                            "担当者と会話",
                            format!(
                                "{family}様と会話。現状の運用（Excel＋メール）で大きな不満はなく、ツール導入の予定はないとのこと。"
                            ),
                        )
                    } else {
                        (
                            "担当者と会話",
                            format!(
                                "{family}様と会話。関心はあるが、今期は基幹システム更改を優先するため来年度以降に再検討とのこと。"
                            ),
                        )
                    }
                }
                Flow::Working if last_call && chance(rng, 0.25) => {
                    let meet = business_time(now + between(rng, 2 * DAY, 9 * DAY), rng);
                    (
                        "アポ獲得",
                        format!(
                            "オンライン商談のアポイント獲得。{} 14:00〜、{title}の{family}様ほか1名。",
                            md_w(meet)
                        ),
                    )
                }
                _ => match weighted(rng, &[0.4, 0.18, 0.27, 0.15]) {
                    0 => ("不在", pick(rng, CALL_NOTES_ABSENT).to_string()),
                    1 => ("受付ブロック", pick(rng, CALL_NOTES_BLOCKED).to_string()),
                    2 => ("担当者と会話", pick(rng, CALL_NOTES_TALKED).to_string()),
                    _ => ("資料送付", pick(rng, CALL_NOTES_DOCS).to_string()),
                },
            };
            b.activity(t, "call", Some(outcome), &note, owner);
            if outcome == "資料送付" {
                b.activity(
                    t + between(rng, 5 * MIN, 40 * MIN),
                    "email",
                    None,
                    "お電話でお約束した資料をメールで送付。",
                    owner,
                );
            }
            last = t;
        }

        match flow {
            Flow::Working => {}
            Flow::LostAfterCalls => {
                let t_lost = (last + between(rng, HOUR, 2 * DAY)).min(now - MIN);
                let (reason, lr) = match lost_kind {
                    0 => (
                        format!("{n_calls}回架電するも担当者につながらず、休眠に移行"),
                        "連絡不通",
                    ),
                    1 => (
                        "ヒアリングの結果、現時点でニーズなし".to_string(),
                        "ニーズなし",
                    ),
                    _ => (
                        "導入は来年度以降とのこと。半年後に再アプローチ".to_string(),
                        "時期尚早",
                    ),
                };
                res.lost = Some((t_lost, Some(owner), reason, lr.to_string()));
            }
            Flow::Opportunity | Flow::LostAfterOpportunity => {
                // Appointment, first meeting, then the deal moves on.
                t = business_time(last + between(rng, 2 * HOUR, 2 * DAY), rng);
                let meet_day = weekday_on_or_after(day_of(t) + between(rng, 2, 8));
                let meet = at(meet_day, *pick(rng, &[10, 11, 14, 15, 16]), 0);
                b.activity(
                    t,
                    "call",
                    Some("アポ獲得"),
                    &format!(
                        "オンライン商談のアポイント獲得。{} {}〜、{title}の{family}様ほか1名。",
                        md_w(meet),
                        fmt_hm(meet)
                    ),
                    owner,
                );
                let meet = meet.min(now - 2 * HOUR);
                b.activity(
                    meet,
                    "meeting",
                    None,
                    pick_str(rng, MEETING_FIRST_NOTES),
                    owner,
                );
                let t_opp = meet + HOUR;
                res.t_opp = Some((
                    t_opp,
                    "初回商談を実施。課題と導入時期を確認し、商談化".to_string(),
                ));
                let stop = match flow {
                    Flow::LostAfterOpportunity => t_opp + between(rng, 14 * DAY, 45 * DAY),
                    _ => now,
                }
                .min(now - MIN);
                let mut t = business_time(t_opp + between(rng, HOUR, DAY), rng);
                let steps: [(&str, &[&str]); 4] = [
                    ("email", &["商談のお礼と議事録、次回デモの候補日を送付。"]),
                    ("note", DEAL_NOTES),
                    ("meeting", MEETING_DEMO_NOTES),
                    (
                        "email",
                        &["お見積書（年額プラン）とセキュリティチェックシート回答を送付。"],
                    ),
                ];
                for (kind, notes) in steps {
                    if t >= stop {
                        break;
                    }
                    b.activity(t, kind, None, pick_str(rng, notes), owner);
                    t = business_time(t + between(rng, 2 * DAY, 12 * DAY), rng);
                }
                if flow == Flow::LostAfterOpportunity {
                    let (reason, lr, note) = match weighted(rng, &[0.4, 0.35, 0.25]) {
                        0 => (
                            "今期の予算が確保できず見送り",
                            "予算なし",
                            "稟議が通らず今期は見送りとのご連絡。来期予算策定の時期に再提案する。",
                        ),
                        1 => (
                            "比較検討の結果、他社製品の採用が決定",
                            "競合採用",
                            "他社MAの採用が決定したとのご連絡。既存SFAとの連携実績が決め手とのこと。",
                        ),
                        _ => (
                            "社内体制が整う来期以降に再検討",
                            "時期尚早",
                            "マーケ担当の採用が決まってから再検討したいとのこと。半年後にフォロー。",
                        ),
                    };
                    let t_note = stop.max(t_opp + DAY);
                    b.activity(t_note, "note", None, note, owner);
                    res.lost = Some((
                        t_note + 5 * MIN,
                        Some(owner),
                        reason.to_string(),
                        lr.to_string(),
                    ));
                }
            }
        }
        res
    }
}

fn fmt_hm(t: i64) -> String {
    let secs_of_day = (t + JST).rem_euclid(DAY) / SEC;
    format!("{}:{:02}", secs_of_day / 3600, (secs_of_day % 3600) / 60)
}

fn pick_marketing(rng: &mut ChaCha8Rng) -> usize {
    MARKETING_USERS[rng.gen_range(0..MARKETING_USERS.len())]
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
    Early,
    Engaged,
    Hot,
    Dormant,
}

#[derive(Clone, Copy, PartialEq)]
enum Flow {
    Working,
    LostAfterCalls,
    Opportunity,
    LostAfterOpportunity,
}

struct SalesResult {
    t_opp: Option<(i64, String)>,
    lost: Option<(i64, Option<usize>, String, String)>,
}

/// Collects one lead's history and keeps it within (created_at, now].
struct LeadBuilder {
    t0: i64,
    now: i64,
    events: Vec<DemoEvent>,
    touchpoints: Vec<DemoTouchpoint>,
    activities: Vec<DemoActivity>,
    changes: Vec<DemoStatusChange>,
    downloaded: HashSet<usize>,
}

impl LeadBuilder {
    fn event(&mut self, t: i64, kind: &str, path: Option<&str>, properties: Value) {
        let t = t.max(self.t0 + SEC);
        if t > self.now {
            return;
        }
        let url = path.map(|p| {
            if p.starts_with("http") {
                p.to_string()
            } else {
                format!("{SITE}{p}")
            }
        });
        self.events.push(DemoEvent {
            kind: kind.to_string(),
            at: Micros(t),
            url,
            properties,
        });
    }

    fn touch(&mut self, t: i64, source: &str, kind: &str) {
        if t > self.t0 && t <= self.now {
            self.touchpoints.push(DemoTouchpoint {
                source: source.to_string(),
                kind: kind.to_string(),
                at: Micros(t),
            });
        }
    }

    fn activity(&mut self, t: i64, kind: &str, outcome: Option<&str>, note: &str, user: usize) {
        if t > self.t0 && t <= self.now {
            self.activities.push(DemoActivity {
                kind: kind.to_string(),
                outcome: outcome.map(str::to_string),
                note: Some(note.to_string()),
                at: Micros(t),
                user,
            });
        }
    }

    fn change(
        &mut self,
        from: Option<LeadStatus>,
        to: LeadStatus,
        t: i64,
        user: Option<usize>,
        reason: String,
    ) {
        let prev = self.changes.last().map_or(self.t0, |c| c.at.0);
        let t = t.clamp(prev, self.now);
        self.changes.push(DemoStatusChange {
            from,
            to,
            at: Micros(t),
            user,
            reason,
        });
    }

    fn finish(&mut self) {
        self.events.sort_by_key(|e| e.at.0);
        self.activities.sort_by_key(|a| a.at.0);
        // The first touchpoint (origin) stays first; at most four in all.
        let mut rest = self.touchpoints.split_off(1.min(self.touchpoints.len()));
        rest.sort_by_key(|tp| tp.at.0);
        rest.truncate(3);
        self.touchpoints.extend(rest);
    }
}
