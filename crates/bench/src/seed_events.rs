//! `ondo-bench seed-events`: gives a workspace made by `seed` its salespeople, owners for
//! its leads and a behaviour history (by default 20M events over the last 180 days),
//! then scores every lead through the rescoring path, so the keys are what Ondo computes.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use ondo_domain::scoring::{PageCategory, categorize, default_url_rules};
use ondo_domain::{Micros, Role};
use ondo_store::events::NewEvent;
use ondo_store::{Db, WorkspaceId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::activity::{DAY, jst_midnight, office_time, session};
use crate::vocab::{FAMILY_NAMES, GIVEN_NAMES};

/// Options of `seed-events`.
pub struct Options {
    pub events: u64,
    pub days: i64,
    pub sales: usize,
    pub seed: u64,
    /// Share of leads that never did anything.
    pub inactive: f64,
}

/// The email of salesperson `i` (0-based).
pub fn sales_email(i: usize) -> String {
    format!("sales{:02}@bench.example.jp", i + 1)
}

pub async fn run(data_dir: &Path, o: &Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let db_path = data_dir.join("ondo.db");
    if !db_path.exists() {
        bail!(
            "{} does not exist: run `ondo-bench seed` first",
            db_path.display()
        );
    }
    let db = Db::open_data_dir(data_dir).await?;
    let Db::Sqlite(pool) = &db else {
        bail!("seed-events writes SQLite only");
    };
    let ws = ondo_store::workspaces::ensure(&db, "default").await?.id();
    let already: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE workspace_id = ?")
        .bind(ws.0)
        .fetch_one(pool)
        .await?;
    if already > 0 {
        bail!("the workspace already has {already} events: seed-events starts from `seed`");
    }

    let t = Instant::now();
    let owners = create_sales(&db, ws, o.sales).await?;
    let owned = assign_owners(pool, ws, &owners).await?;
    eprintln!(
        "sales: {} salespeople own {owned} leads ({:.1} s)",
        owners.len(),
        t.elapsed().as_secs_f64()
    );

    let leads: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, created_at FROM leads WHERE workspace_id = ? ORDER BY id")
            .bind(ws.0)
            .fetch_all(pool)
            .await?;
    let counts = event_counts(leads.len(), o);

    // Secondary indexes are built once at the end (a sort) instead of row by row; the
    // unique ones stay, and rows come in lead order so theirs are appends.
    let t = Instant::now();
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' \
         AND sql IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(pool)
            .await?;
    }
    let now = Micros::now().0;
    let rules = default_url_rules();
    let mut written = 0u64;
    let mut next_report = 0.0;
    let mut rows: Vec<NewEvent> = Vec::new();
    for (i, &(id, created)) in leads.iter().enumerate() {
        history(id, created, counts[i], now, o, &rules, &mut rows);
        if rows.len() >= 200_000 || i + 1 == leads.len() {
            let mut tx = db.begin_write().await?;
            ondo_store::events::insert_many(&mut tx, ws, &rows, now).await?;
            tx.commit().await?;
            written += rows.len() as u64;
            rows.clear();
            let share = (i + 1) as f64 / leads.len() as f64;
            if share >= next_report || i + 1 == leads.len() {
                let s = t.elapsed().as_secs_f64();
                eprintln!(
                    "events: {written} for {}/{} leads in {s:.1} s ({:.0}/s)",
                    i + 1,
                    leads.len(),
                    written as f64 / s.max(1e-9)
                );
                next_report += 0.1;
            }
        }
    }
    let insert_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for (name, sql) in &indexes {
        sqlx::query(sql)
            .execute(pool)
            .await
            .with_context(|| format!("re-creating index {name}"))?;
    }
    let index_s = t.elapsed().as_secs_f64();
    eprintln!(
        "indexes: {} re-created in {index_s:.1} s",
        indexes
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Scores as Ondo keeps them: the handoff rules applied, as the event writer would
    // have done when these events arrived (and the dormancy sweep since).
    let t = Instant::now();
    let mut last = Instant::now();
    let summary = ondo_jobs::scoring::rescore::rescore_all(&db, ws, true, &mut |p| {
        if last.elapsed().as_secs_f64() >= 10.0 || p.done == p.total {
            eprintln!("scoring: {}/{} leads", p.done, p.total);
            last = Instant::now();
        }
    })
    .await?;
    let score_s = t.elapsed().as_secs_f64();
    // The handoffs of the history were announced when they happened: drop the
    // notifications the scoring queued, or a server would spend the benchmarks sending them.
    let dropped = sqlx::query(
        "DELETE FROM jobs WHERE workspace_id = ? AND state = 'queued' AND kind LIKE 'notify%'",
    )
    .bind(ws.0)
    .execute(pool)
    .await?
    .rows_affected();
    eprintln!("notifications of the history's handoffs dropped: {dropped}");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await?;
    db.close().await;
    let size = std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0);
    println!(
        "seeded {written} events for {} leads ({} without any) over {} days in {:.1} s \
         (insert {insert_s:.1} s = {:.0} events/s, indexes {index_s:.1} s, scoring {score_s:.1} s: \
         {} scores changed, {} statuses moved by the handoff rules); database {:.0} MB",
        leads.len(),
        counts.iter().filter(|&&c| c == 0).count(),
        o.days,
        started.elapsed().as_secs_f64(),
        written as f64 / insert_s.max(1e-9),
        summary.changed,
        summary.moved,
        size as f64 / 1e6
    );
    Ok(())
}

/// Creates the salespeople (they cannot sign in: no password); evaluates to their ids.
async fn create_sales(db: &Db, ws: WorkspaceId, n: usize) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let family = FAMILY_NAMES[(i * 7) % FAMILY_NAMES.len()].0;
        let given = GIVEN_NAMES[(i * 5) % GIVEN_NAMES.len()].0;
        let user = ondo_store::users::create(
            db,
            ws,
            &sales_email(i),
            &format!("{family} {given}"),
            Role::Sales,
            "!",
        )
        .await
        .with_context(|| format!("creating {}", sales_email(i)))?;
        ids.push(user.id);
    }
    Ok(ids)
}

/// Territories by company: every lead of a company belongs to one salesperson; a fifth of
/// the companies have no owner yet, except for their leads already with sales.
async fn assign_owners(
    pool: &sqlx::SqlitePool,
    ws: WorkspaceId,
    owners: &[i64],
) -> anyhow::Result<u64> {
    let (Some(&first), Some(&last)) = (owners.first(), owners.last()) else {
        return Ok(0);
    };
    if last - first + 1 != owners.len() as i64 {
        bail!("salespeople ids are not consecutive: {owners:?}");
    }
    let done = sqlx::query(
        "UPDATE leads SET owner_id = ? + (COALESCE(company_id, id) % ?) WHERE workspace_id = ? \
         AND (COALESCE(company_id, id) % 5 <> 0 OR status IN ('sales_ready', 'opportunity'))",
    )
    .bind(first)
    .bind(owners.len() as i64)
    .bind(ws.0)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Events per lead: a share of leads did nothing, the others a log-normal amount (a few
/// leads did a lot), scaled to `o.events` in all.
fn event_counts(leads: usize, o: &Options) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x0E7E_4715);
    let weights: Vec<f64> = (0..leads)
        .map(|_| {
            if rng.gen_bool(o.inactive.clamp(0.0, 1.0)) {
                0.0
            } else {
                // Box–Muller: a standard normal.
                let (u, v): (f64, f64) = (rng.r#gen::<f64>().max(1e-12), rng.r#gen());
                let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
                (1.2 * z).exp()
            }
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 {
        return vec![0; leads];
    }
    let mut counts: Vec<u64> = weights
        .iter()
        .map(|w| (w / sum * o.events as f64).floor() as u64)
        .collect();
    // Hand out what rounding down left, to active leads in turn.
    let mut left = o.events.saturating_sub(counts.iter().sum());
    let active: Vec<usize> = (0..leads).filter(|&i| weights[i] > 0.0).collect();
    let mut k = 0;
    while left > 0 && !active.is_empty() {
        counts[active[k % active.len()]] += 1;
        left -= 1;
        k += 1;
    }
    counts
}

/// Lead `id`'s history of `count` events: sessions, most of them around one stretch of
/// interest, the rest spread over the window; none before the lead was created.
fn history(
    id: i64,
    created: i64,
    count: u64,
    now: i64,
    o: &Options,
    page_rules: &[ondo_domain::scoring::UrlRule],
    out: &mut Vec<NewEvent>,
) {
    if count == 0 {
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x5E55_1015);
    rng.set_stream(id as u64);
    let from = (now - o.days * DAY).max(created);
    let to = now - 600_000_000;
    if from >= to {
        return;
    }
    let span = to - from;
    // Interest peaks somewhere in the window, more often recently.
    let peak = from + (span as f64 * rng.r#gen::<f64>().powf(0.6)) as i64;
    let mut acts = Vec::with_capacity(count as usize);
    // Sessions cut away by the window (a lead created yesterday) may leave fewer events.
    let mut tries = 0;
    while (acts.len() as u64) < count && tries < count * 4 + 16 {
        tries += 1;
        let day = if rng.gen_bool(0.6) {
            let spread = (-(rng.r#gen::<f64>().max(1e-9)).ln() * 7.0 * DAY as f64) as i64;
            if rng.gen_bool(0.5) {
                peak + spread
            } else {
                peak - spread
            }
        } else {
            from + rng.gen_range(0..span)
        };
        let start = office_time(&mut rng, jst_midnight(day.clamp(from, to)));
        let left = (count - acts.len() as u64) as usize;
        acts.extend(
            session(&mut rng, start, left)
                .into_iter()
                .filter(|a| a.at >= from && a.at <= to),
        );
    }
    acts.sort_by_key(|a| a.at);
    for (n, a) in acts.into_iter().enumerate() {
        let category = matches!(a.kind, "page_view" | "download")
            .then(|| a.url.as_deref().map(|u| categorize(u, page_rules)))
            .flatten()
            .map(|c: PageCategory| c.key().to_string());
        out.push(NewEvent {
            key: format!("h{id:08}-{n:05}"),
            kind: a.kind.to_string(),
            occurred_at: a.at,
            lead_id: Some(id),
            email: None,
            visitor_id: None,
            url: a.url,
            category,
            properties: "{}".to_string(),
            bot_reason: a.scanner.then(|| "user_agent".to_string()),
        });
    }
}
