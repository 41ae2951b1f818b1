//! `ondo-bench leads-prepare` and `leads-load`: the lead list and the lead page as a
//! salesperson and a manager see them, signed in through `/login` with a cookie session.
//!
//! `leads-prepare` gives a temperature database (made by `seed` and `seed-events`) what a
//! workspace in use has and the seed lacks: a salesperson who can sign in owning a
//! territory, and sample leads with activities, more touchpoints and status changes, so
//! their pages show a full timeline. `leads-load` then times, one request at a time and
//! after untimed warm-up requests, the list's first page, a search by surname, a status
//! filter, "my leads", next pages (the links the pages offer) and lead pages.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ondo_domain::{LeadStatus, Micros, Role};
use ondo_store::leads::{LeadFields, NewTouchpoint, StatusChange};
use ondo_store::{Actor, Db, WorkspaceId};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::activity::DAY;
use crate::events_load::{percentile, thousands};
use crate::vocab::FAMILY_NAMES;

/// The design target: p99 of every kind of request below this.
const TARGET_MS: f64 = 50.0;
/// How many of the slowest requests over the target each kind lists.
const SLOWEST_SHOWN: usize = 5;

/// Options of `leads-prepare`.
pub struct PrepareOptions {
    pub data_dir: PathBuf,
    /// The salesperson who will sign in (added with `ondo user add`).
    pub sales: String,
    /// The seeded salesperson whose territory the salesperson takes over.
    pub takes_over: String,
    /// Sample leads of the salesperson, and as many of the whole workspace.
    pub sample: usize,
    pub seed: u64,
}

/// Call outcomes as the sales workflow records them.
const CALL_OUTCOMES: &[&str] = &[
    "不在",
    "受付ブロック",
    "担当者と会話",
    "アポ獲得",
    "資料送付",
];

const NOTES: &[&str] = &[
    "来期の予算化を検討中。4月に再度連絡。",
    "情報システム部の課長と面談。現行システムの保守切れが 2027 年。",
    "導入事例（製造業）を送付。反応良好。",
    "競合 2 社と比較中とのこと。価格表を希望。",
    "担当者が異動。後任の方の連絡先を確認済み。",
    "デモの日程調整中。候補日を 3 つ提示。",
];

/// Touchpoints a lead in use gathers after its first one: (kind, source).
const LATER_TOUCHPOINTS: &[(&str, &str)] = &[
    ("webinar", "ウェビナー 2026秋 DX事例"),
    ("form", "Webフォーム 資料請求"),
    ("import", "展示会 2026-10 東京"),
    ("business_card", "名刺交換"),
];

pub async fn prepare(o: &PrepareOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = Db::open_data_dir(&o.data_dir).await?;
    let Db::Sqlite(pool) = &db else {
        bail!("leads-prepare writes SQLite only");
    };
    let ws = ondo_store::workspaces::ensure(&db, "default").await?.id();
    let sales = ondo_store::users::find_by_email(&db, ws, &o.sales)
        .await?
        .with_context(|| format!("no user {}: add it with `ondo user add`", o.sales))?;
    if sales.role() != Role::Sales {
        bail!("{} is a {}, not a salesperson", o.sales, sales.role);
    }
    let seeded = ondo_store::users::find_by_email(&db, ws, &o.takes_over)
        .await?
        .with_context(|| {
            format!(
                "no user {}: run `ondo-bench seed-events` first",
                o.takes_over
            )
        })?;
    let already: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activities WHERE workspace_id = ?")
        .bind(ws.0)
        .fetch_one(pool)
        .await?;
    if already > 0 {
        let own: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE workspace_id = ? AND owner_id = ? LIMIT 1) x",
        )
        .bind(ws.0)
        .bind(sales.id)
        .fetch_one(pool)
        .await?;
        if own > 0 {
            // A database this command prepared before (ONDO_BENCH_IN_PLACE=1).
            println!(
                "already prepared: {} owns leads, {already} activities",
                o.sales
            );
            db.close().await;
            return Ok(());
        }
        bail!(
            "the workspace already has {already} activities: leads-prepare starts from seed-events"
        );
    }

    // A territory as the seed gave it: every lead of one seeded salesperson's companies
    // (sales02 holds about 51,000 at 1M; raw SQL, as seed-events assigns owners: a
    // benchmark set-up, not a reassignment users would make one lead at a time).
    let moved =
        sqlx::query("UPDATE leads SET owner_id = ? WHERE workspace_id = ? AND owner_id = ?")
            .bind(sales.id)
            .bind(ws.0)
            .bind(seeded.id)
            .execute(pool)
            .await?
            .rows_affected();

    let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x1EAD_5A9E);
    let mut own: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM leads WHERE workspace_id = ? AND owner_id = ? ORDER BY id",
    )
    .bind(ws.0)
    .bind(sales.id)
    .fetch_all(pool)
    .await?;
    own.shuffle(&mut rng);
    let max_id: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM leads WHERE workspace_id = ?")
            .bind(ws.0)
            .fetch_one(pool)
            .await?;
    if max_id == 0 {
        bail!("the workspace has no leads");
    }
    let mut picked = std::collections::HashSet::new();
    let mut samples: Vec<i64> = Vec::with_capacity(2 * o.sample);
    for id in own {
        if samples.len() >= o.sample {
            break;
        }
        if has_events(pool, ws, id).await? && picked.insert(id) {
            samples.push(id);
        }
    }
    let own_samples = samples.len();
    let mut tries = 0;
    while samples.len() < own_samples + o.sample && tries < o.sample * 20 {
        tries += 1;
        let id = rng.gen_range(1..=max_id);
        if !picked.contains(&id) && has_events(pool, ws, id).await? {
            picked.insert(id);
            samples.push(id);
        }
    }

    let now = Micros::now().0;
    let (mut activities, mut touchpoints, mut moves) = (0u64, 0u64, 0u64);
    for (n, &id) in samples.iter().enumerate() {
        let (a, t, m) = enrich(&db, ws, id, sales.id, now, &mut rng).await?;
        activities += a;
        touchpoints += t;
        moves += m;
        if (n + 1) % 500 == 0 {
            eprintln!("prepared {}/{} sample leads", n + 1, samples.len());
        }
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await?;
    db.close().await;
    println!(
        "{} takes over {}'s {} leads; {} sample leads ({own_samples} of theirs, {} of the \
         workspace), all with events, got {activities} activities, {touchpoints} more \
         touchpoints and {moves} status changes in {:.1} s",
        o.sales,
        o.takes_over,
        thousands(moved),
        samples.len(),
        samples.len() - own_samples,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn has_events(pool: &sqlx::SqlitePool, ws: WorkspaceId, lead: i64) -> anyhow::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM events WHERE workspace_id = ? AND lead_id = ? LIMIT 1")
            .bind(ws.0)
            .bind(lead)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// Gives one lead two to eight activities by its owner, one or two later touchpoints and,
/// for every other lead, a status change with a reason, all through the store as the
/// pages record them; evaluates to how many of each were written.
async fn enrich(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    fallback_user: i64,
    now: i64,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<(u64, u64, u64)> {
    let lead = ondo_store::leads::get(db, ws, id).await?;
    let actor = Actor::user(lead.owner_id.unwrap_or(fallback_user), "web");
    let from = lead.created_at.max(now - 120 * DAY);
    let to = now - DAY / 24;
    let at = |rng: &mut ChaCha8Rng| {
        if from >= to {
            to
        } else {
            rng.gen_range(from..to)
        }
    };
    let count = rng.gen_range(2..=8);
    for _ in 0..count {
        let (kind, outcome, note) = match rng.gen_range(0..10) {
            0..=4 => (
                "call",
                Some(CALL_OUTCOMES[rng.gen_range(0..CALL_OUTCOMES.len())]),
                rng.gen_bool(0.5)
                    .then(|| NOTES[rng.gen_range(0..NOTES.len())]),
            ),
            5..=6 => ("email", None, Some("資料送付のお礼と事例集のご案内")),
            7 => ("meeting", None, Some(NOTES[rng.gen_range(0..NOTES.len())])),
            _ => ("note", None, Some(NOTES[rng.gen_range(0..NOTES.len())])),
        };
        let new = ondo_store::activities::NewActivity {
            kind: kind.to_string(),
            outcome: outcome.map(str::to_string),
            note: note.map(str::to_string),
            occurred_at: Micros(at(rng)),
            // Only the reports read it; the lead page does not show it.
            temperature: None,
        };
        ondo_store::activities::add(db, ws, id, &new, &actor).await?;
    }
    let later = rng.gen_range(1..=2);
    for _ in 0..later {
        let (kind, source) = LATER_TOUCHPOINTS[rng.gen_range(0..LATER_TOUCHPOINTS.len())];
        let tp = NewTouchpoint {
            kind: kind.to_string(),
            source: source.to_string(),
            occurred_at: Micros(at(rng)),
            details: serde_json::json!({}),
        };
        ondo_store::leads::add_touchpoint(db, ws, id, &tp).await?;
    }
    let status = lead.status();
    let to_status = match status {
        LeadStatus::New | LeadStatus::Nurturing => {
            Some((LeadStatus::SalesReady, "電話で導入時期を確認"))
        }
        LeadStatus::SalesReady => Some((LeadStatus::Opportunity, "アポ獲得、デモ日程確定")),
        _ => None,
    };
    let mut moved = 0;
    if let Some((to, reason)) = to_status.filter(|_| rng.gen_bool(0.5)) {
        let change = StatusChange {
            to,
            reason: reason.to_string(),
            lost_reason: None,
            renurture_on: None,
        };
        ondo_store::leads::update(db, ws, id, &LeadFields::of(&lead), Some(&change), &actor)
            .await?;
        moved = 1;
    }
    Ok((count, later, moved))
}

/// Options of `leads-load`.
pub struct LoadOptions {
    pub url: String,
    pub data_dir: PathBuf,
    pub sales: String,
    pub manager: String,
    /// The password of both users.
    pub password: String,
    /// Timed requests of each kind, for each user.
    pub requests: usize,
    /// Untimed requests of each kind first.
    pub warmup: usize,
    /// Stop timing a user after this long (every kind keeps the same count).
    pub max_seconds: f64,
    pub seed: u64,
}

/// What is asked for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    First,
    Search,
    Status,
    Mine,
    Next,
    Lead,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::First,
        Kind::Search,
        Kind::Status,
        Kind::Mine,
        Kind::Next,
        Kind::Lead,
    ];

    fn label(self) -> &'static str {
        match self {
            Kind::First => "`GET /leads` (first page)",
            Kind::Search => "`GET /leads?q=<surname>`",
            Kind::Status => "`GET /leads?status=sales_ready`",
            Kind::Mine => "`GET /leads?owner=me`",
            Kind::Next => "next page (`before=`, the page's link)",
            Kind::Lead => "`GET /leads/{id}` (lead page with timeline)",
        }
    }

    /// What is counted in an answer: list rows, or timeline items of a lead page.
    fn marker(self) -> &'static str {
        match self {
            Kind::Lead => "class=\"tl-item",
            _ => "class=\"lead-link\"",
        }
    }
}

#[derive(Default)]
struct Measured {
    ms: Vec<f64>,
    items: usize,
    bytes: usize,
    /// Requests over the target, with their paths (to see which lists are slow).
    over: Vec<(f64, String)>,
}

/// One signed-in user's browser: a cookie session, no automatic redirects.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<Browser> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()?;
        let base = base.trim_end_matches('/').to_string();
        let page = http
            .get(format!("{base}/login"))
            .send()
            .await?
            .text()
            .await?;
        let csrf = hidden_value(&page, "csrf").context("the login form has no CSRF token")?;
        let answer = http
            .post(format!("{base}/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf", csrf.as_str()),
                ("next", "/leads"),
            ])
            .send()
            .await?;
        if !answer.status().is_redirection() {
            bail!(
                "signing in as {email} answered {} instead of a redirect",
                answer.status()
            );
        }
        let b = Browser { http, base };
        let (status, _) = b.get("/leads").await?;
        if status != reqwest::StatusCode::OK {
            bail!("after signing in as {email}, /leads answered {status}");
        }
        Ok(b)
    }

    async fn get(&self, path: &str) -> anyhow::Result<(reqwest::StatusCode, String)> {
        let answer = self.http.get(format!("{}{path}", self.base)).send().await?;
        let status = answer.status();
        Ok((status, answer.text().await?))
    }
}

/// The value of a hidden input of a page.
fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let pos = html.find(&marker)?;
    let tag_start = html[..pos].rfind('<')?;
    let tag_end = pos + html[pos..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + "value=\"".len();
    Some(unescape(&tag[v..v + tag[v..].find('"')?]))
}

/// The `rel="next"` link of a list page, unescaped.
fn next_link(html: &str) -> Option<String> {
    let pos = html.find("rel=\"next\"")?;
    let tag_start = html[..pos].rfind("<a ")?;
    let tag = &html[tag_start..pos];
    let h = tag.find("href=\"")? + "href=\"".len();
    Some(unescape(&tag[h..h + tag[h..].find('"')?]))
}

/// Undoes HTML escaping of an attribute value (named and numeric character references).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';').filter(|&e| e <= 8) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The path of the `i`-th request of a kind.
fn path_of(kind: Kind, i: usize, next: &[String], leads: &[i64], rng: &mut ChaCha8Rng) -> String {
    match kind {
        Kind::First => "/leads".to_string(),
        Kind::Search => {
            // Every surname in turn, common and rare ones mixed.
            let (surname, ..) = FAMILY_NAMES[(i * 7) % FAMILY_NAMES.len()];
            format!("/leads?q={}", percent_encode(surname))
        }
        Kind::Status => "/leads?status=sales_ready".to_string(),
        Kind::Mine => "/leads?owner=me".to_string(),
        Kind::Next => next[i % next.len()].clone(),
        Kind::Lead => format!("/leads/{}", leads[rng.gen_range(0..leads.len())]),
    }
}

/// Percent-encodes every byte but ASCII letters and digits (a query value).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Next-page links met so far: the pages a user reaches by clicking "次へ" on a list,
/// up to the fourth page.
#[derive(Default)]
struct NextLinks {
    links: Vec<String>,
    /// The page number each link leads to.
    page_of: HashMap<String, usize>,
}

impl NextLinks {
    const LAST_PAGE: usize = 4;

    /// Notes the next link of the list page fetched at `path`.
    fn note(&mut self, path: &str, html: &str) {
        let page = self.page_of.get(path).copied().unwrap_or(1);
        if page >= Self::LAST_PAGE {
            return;
        }
        if let Some(link) = next_link(html).filter(|l| !self.page_of.contains_key(l)) {
            self.page_of.insert(link.clone(), page + 1);
            self.links.push(link);
        }
    }
}

/// Times every kind of request for one signed-in user, round by round: untimed rounds
/// first (`o.warmup`, or a fifth of `o.max_seconds`, whichever ends first), then timed
/// ones until `o.requests` or `o.max_seconds`. The next pages are the links of the list
/// pages fetched before them in the same run.
async fn measure(
    b: &Browser,
    leads: &[i64],
    o: &LoadOptions,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<(HashMap<Kind, Measured>, usize)> {
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| *k != Kind::Lead || !leads.is_empty())
        .collect();
    let mut next = NextLinks::default();
    let mut out: HashMap<Kind, Measured> = HashMap::new();
    let warm_started = Instant::now();
    let mut warm_rounds = 0;
    while warm_rounds < o.warmup.max(1)
        && (warm_rounds == 0 || warm_started.elapsed().as_secs_f64() < o.max_seconds / 5.0)
    {
        round(b, &kinds, warm_rounds, leads, &mut next, None, rng).await?;
        warm_rounds += 1;
    }
    let started = Instant::now();
    for i in 0..o.requests {
        if i > 0 && started.elapsed().as_secs_f64() > o.max_seconds {
            break;
        }
        let n = warm_rounds + i;
        round(b, &kinds, n, leads, &mut next, Some(&mut out), rng).await?;
    }
    Ok((out, next.links.len()))
}

/// One request of every kind; timed into `out` when given.
async fn round(
    b: &Browser,
    kinds: &[Kind],
    i: usize,
    leads: &[i64],
    next: &mut NextLinks,
    mut out: Option<&mut HashMap<Kind, Measured>>,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<()> {
    for &kind in kinds {
        if kind == Kind::Next && next.links.is_empty() {
            continue;
        }
        let path = path_of(kind, i, &next.links, leads, rng);
        let t = Instant::now();
        let (status, html) = b.get(&path).await?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        if status != reqwest::StatusCode::OK {
            bail!(
                "GET {path} answered {status}: {}",
                html.chars().take(300).collect::<String>()
            );
        }
        if kind != Kind::Lead {
            next.note(&path, &html);
        }
        if let Some(out) = out.as_deref_mut() {
            let m = out.entry(kind).or_default();
            m.ms.push(ms);
            if ms > TARGET_MS {
                m.over.push((ms, path.clone()));
            }
            m.items += html.matches(kind.marker()).count();
            m.bytes += html.len();
        }
    }
    Ok(())
}

pub async fn load(o: &LoadOptions) -> anyhow::Result<()> {
    // The sample leads are those leads-prepare gave activities (the seed has none).
    let db = Db::open_data_dir(&o.data_dir).await?;
    let Db::Sqlite(pool) = &db else {
        bail!("leads-load reads SQLite only");
    };
    let ws = ondo_store::workspaces::ensure(&db, "default").await?.id();
    let sales = ondo_store::users::find_by_email(&db, ws, &o.sales)
        .await?
        .with_context(|| format!("no user {}", o.sales))?;
    let samples: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT l.id, l.owner_id FROM leads l WHERE l.workspace_id = ? AND l.id IN \
         (SELECT DISTINCT lead_id FROM activities WHERE workspace_id = ?) ORDER BY l.id",
    )
    .bind(ws.0)
    .bind(ws.0)
    .fetch_all(pool)
    .await?;
    let total_leads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leads WHERE workspace_id = ?")
        .bind(ws.0)
        .fetch_one(pool)
        .await?;
    db.close().await;
    if samples.is_empty() {
        bail!("no lead has activities: run `ondo-bench leads-prepare` first");
    }
    let own: Vec<i64> = samples
        .iter()
        .filter(|(_, owner)| *owner == Some(sales.id))
        .map(|(id, _)| *id)
        .collect();
    let all: Vec<i64> = samples.iter().map(|(id, _)| *id).collect();

    let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x0004_EAD5);
    println!(
        "| request | signed in as | requests | p50 | p95 | p99 | max | > {TARGET_MS:.0} ms | rows or timeline items per page | KiB per page |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut worst: Vec<(String, f64)> = Vec::new();
    let mut slowest = Vec::new();
    let mut notes = Vec::new();
    for (role, email, leads) in [
        ("sales", o.sales.as_str(), &own),
        ("manager", o.manager.as_str(), &all),
    ] {
        let b = Browser::sign_in(&o.url, email, &o.password).await?;
        let t = Instant::now();
        let (mut measured, links) = measure(&b, leads, o, &mut rng).await?;
        notes.push(format!(
            "{role}: {} sample lead pages, {links} next-page links, {:.0} s",
            leads.len(),
            t.elapsed().as_secs_f64()
        ));
        for kind in Kind::ALL {
            let Some(m) = measured.get_mut(&kind) else {
                continue;
            };
            m.ms.sort_by(f64::total_cmp);
            let n = m.ms.len().max(1);
            let above = m.ms.iter().filter(|&&ms| ms > TARGET_MS).count();
            let p99 = percentile(&m.ms, 0.99);
            println!(
                "| {} | {role} | {} | {:.1} ms | {:.1} ms | **{:.1} ms** | {:.1} ms | {:.1}% | {:.1} | {:.0} |",
                kind.label(),
                thousands(m.ms.len() as u64),
                percentile(&m.ms, 0.5),
                percentile(&m.ms, 0.95),
                p99,
                m.ms.last().copied().unwrap_or(0.0),
                100.0 * above as f64 / n as f64,
                m.items as f64 / n as f64,
                m.bytes as f64 / n as f64 / 1024.0
            );
            if p99 >= TARGET_MS {
                worst.push((format!("{} ({role})", kind.label()), p99));
            }
            m.over.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (ms, path) in m.over.iter().take(SLOWEST_SHOWN) {
                slowest.push(format!("- {} ({role}): {ms:.1} ms `{path}`", kind.label()));
            }
        }
    }
    println!();
    println!(
        "{} leads in the workspace; {}.",
        thousands(total_leads as u64),
        notes.join("; ")
    );
    if !slowest.is_empty() {
        println!();
        println!("Slowest requests over {TARGET_MS:.0} ms ({SLOWEST_SHOWN} per kind at most):");
        for line in &slowest {
            println!("{line}");
        }
        println!();
    }
    if worst.is_empty() {
        println!("target p99 < {TARGET_MS:.0} ms for every request: met");
    } else {
        println!(
            "target p99 < {TARGET_MS:.0} ms: NOT met by {}",
            worst
                .iter()
                .map(|(k, p)| format!("{k} {p:.1} ms"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_of_a_list_page_is_unescaped() {
        let html = r#"<a class="btn btn-sm" href="/leads?q=%E4%BD%90%E8%97%A4&amp;before=123" rel="next">次へ »</a>"#;
        assert_eq!(
            next_link(html).as_deref(),
            Some("/leads?q=%E4%BD%90%E8%97%A4&before=123")
        );
        assert_eq!(next_link("<p>no pager</p>"), None);
    }

    #[test]
    fn character_references_are_undone_and_stray_ampersands_kept() {
        assert_eq!(unescape("a&amp;b&#x3D;c&#61;d&lt;&quot;"), "a&b=c=d<\"");
        assert_eq!(unescape("R&D &unknown; &"), "R&D &unknown; &");
    }

    #[test]
    fn the_login_form_token_is_found() {
        let html = r#"<form><input type="hidden" name="csrf" value="abc&#x2F;def"><input name="next" value="/leads"></form>"#;
        assert_eq!(hidden_value(html, "csrf").as_deref(), Some("abc/def"));
        assert_eq!(hidden_value(html, "missing"), None);
    }

    #[test]
    fn surnames_are_percent_encoded_as_utf8() {
        assert_eq!(percent_encode("佐藤"), "%E4%BD%90%E8%97%A4");
        assert_eq!(percent_encode("ab1"), "ab1");
    }
}
