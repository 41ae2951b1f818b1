//! `ondo-bench rescore`: a rule change saved, then every lead of the workspace rescored
//! with it (the handoff rules applied), with progress lines as it goes; optionally the
//! per-lead path on a sample of leads for comparison.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use ondo_domain::Micros;
use ondo_domain::scoring::ScoringRules;
use ondo_store::Actor;

use crate::events_load::thousands;

/// Options of `rescore`.
pub struct Options {
    pub data_dir: PathBuf,
    /// The new rules (TOML; what is left out keeps its default); without, the built-in
    /// change of [`default_change`].
    pub rules: Option<PathBuf>,
    /// What the change is, in words, for the table.
    pub change: String,
    /// Leads rescored one at a time by the per-lead path afterwards, for comparison.
    pub per_lead_sample: u64,
}

pub async fn run(o: &Options) -> anyhow::Result<()> {
    let rules = match &o.rules {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            ScoringRules::from_toml(&text).map_err(|e| anyhow::anyhow!("{e}"))?
        }
        None => default_change(),
    };
    let db = ondo_store::Db::open_data_dir(&o.data_dir).await?;
    let ondo_store::Db::Sqlite(pool) = &db else {
        bail!("rescore reads SQLite only");
    };
    let ws = ondo_store::workspaces::ensure(&db, "default").await?.id();
    let leads = ondo_store::rescoring::count_leads(&db, ws).await?;
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE workspace_id = ?")
        .bind(ws.0)
        .fetch_one(pool)
        .await?;

    let mut tx = db.begin_write().await?;
    let version = ondo_store::scoring_rules::save(
        &mut tx,
        ws,
        &rules.to_toml(),
        &Actor::system("bench"),
        &o.change,
        Micros::now().0,
    )
    .await?;
    tx.commit().await?;
    eprintln!("rules version {version} saved: {}", o.change);

    let started = Instant::now();
    let mut last = Instant::now();
    let summary = ondo_jobs::scoring::rescore::rescore_all(&db, ws, true, &mut |p| {
        if last.elapsed().as_secs_f64() >= 2.0 || p.done == p.total {
            let s = started.elapsed().as_secs_f64();
            let rate = p.done as f64 / s.max(1e-9);
            let left = if p.done == 0 {
                String::new()
            } else {
                format!(
                    ", about {:.0} s left",
                    p.total.saturating_sub(p.done) as f64 / rate
                )
            };
            eprintln!(
                "rescoring: {}/{} leads ({:.0}%) in {s:.1} s, {rate:.0} leads/s{left}",
                p.done,
                p.total,
                100.0 * p.done as f64 / p.total.max(1) as f64,
            );
            last = Instant::now();
        }
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();

    let per_lead = if o.per_lead_sample > 0 {
        Some(per_lead_rate(&db, ws, o.per_lead_sample).await?)
    } else {
        None
    };
    db.close().await;

    println!(
        "| leads | events | rule change | wall time | leads/s | scores changed | statuses moved | longest write transaction | per-lead path (before), extrapolated |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | **{:.1} s** | {} | {} | {} | {:.2} s | {} |",
        thousands(leads),
        thousands(events as u64),
        o.change,
        seconds,
        thousands((summary.leads as f64 / seconds).round() as u64),
        thousands(summary.changed),
        thousands(summary.moved),
        summary.longest_write.as_secs_f64(),
        per_lead
            .map(|rate| format!(
                "{} leads/s → {:.0} s",
                thousands(rate.round() as u64),
                leads as f64 / rate
            ))
            .unwrap_or_else(|| "—".into())
    );
    println!();
    println!(
        "Inside write transactions {:.1} s (commits included), of which {:.1} s for {} leads \
         through the per-lead path (handed to sales, or changed since their chunk was read).",
        summary.writing.as_secs_f64(),
        summary.one_by_one_time.as_secs_f64(),
        thousands(summary.one_by_one),
    );
    println!();
    println!(
        "target < 60 s: {}",
        if seconds < 60.0 { "met" } else { "NOT met" }
    );
    Ok(())
}

/// Leads per second of the per-lead path (what rescoring a workspace did before: one lead
/// at a time, 500 per transaction), on the first `sample` leads; scores only, so nothing
/// moves and the database keeps its state.
async fn per_lead_rate(
    db: &ondo_store::Db,
    ws: ondo_store::WorkspaceId,
    sample: u64,
) -> anyhow::Result<f64> {
    let (_, rules) = ondo_jobs::scoring::workspace_rules(db, ws).await?;
    let now = Micros::now();
    let started = Instant::now();
    let mut done = 0u64;
    let mut after = 0;
    while done < sample {
        let ids = ondo_store::scoring::lead_ids_after(db, ws, after, 500).await?;
        let Some(&last) = ids.last() else { break };
        let mut tx = db.begin_write().await?;
        for id in ids {
            ondo_jobs::scoring::lead::rescore(&mut tx, ws, &rules, id, now, false).await?;
            done += 1;
        }
        tx.commit().await?;
        after = last;
    }
    let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
    eprintln!("per-lead path: {done} leads at {rate:.0} leads/s");
    Ok(rate)
}

/// The benchmark's rule change from the defaults: half-life 14 → 21 days, case-study
/// pages 4 → 6 points, MQL threshold 15 → 12. Every engaged lead's key changes.
pub fn default_change() -> ScoringRules {
    let defaults = ScoringRules::default();
    let mut points = defaults.points.clone();
    points.page_view.case_study = 6.0;
    let mut handoff = defaults.handoff.clone();
    handoff.mql_engagement = 12.0;
    ScoringRules {
        half_life_days: 21.0,
        points,
        handoff,
        ..defaults
    }
}
