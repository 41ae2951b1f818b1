//! `ondo-bench queue-load`: how long a salesperson waits for their queue — the store's
//! query alone, the queue with its reasons (in the process), and
//! `GET /api/v1/queue?limit=N&owner=…` over HTTP — for every salesperson in turn.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ondo_domain::Micros;
use serde_json::Value;

use crate::events_load::{percentile, thousands};

/// Options of `queue-load`.
pub struct Options {
    pub url: String,
    pub token: String,
    pub data_dir: PathBuf,
    pub requests: usize,
    pub warmup: usize,
    pub limit: i64,
}

struct Measured {
    what: &'static str,
    ms: Vec<f64>,
    leads: usize,
}

impl Measured {
    fn row(&mut self) -> String {
        self.ms.sort_by(f64::total_cmp);
        format!(
            "| {} | {} | {:.2} ms | **{:.2} ms** | {:.2} ms | {:.1} |",
            self.what,
            thousands(self.ms.len() as u64),
            percentile(&self.ms, 0.5),
            percentile(&self.ms, 0.99),
            self.ms.last().copied().unwrap_or(0.0),
            self.leads as f64 / self.ms.len().max(1) as f64
        )
    }
}

pub async fn run(o: &Options) -> anyhow::Result<()> {
    let db = ondo_store::Db::open_data_dir(&o.data_dir).await?;
    let ws = ondo_store::workspaces::ensure(&db, "default").await?.id();
    let sales: Vec<(i64, String)> = ondo_store::users::list(&db, ws)
        .await?
        .into_iter()
        .filter(|u| u.role == "sales")
        .map(|u| (u.id, u.email))
        .collect();
    if sales.is_empty() {
        bail!("the workspace has no salespeople: run `ondo-bench seed-events` first");
    }
    let total = o.warmup + o.requests;

    let mut store = Measured {
        what: "`ondo_store::scoring::queue` (the SQL alone, in the process)",
        ms: Vec::new(),
        leads: 0,
    };
    for i in 0..total {
        let owner = sales[i % sales.len()].0;
        let t = Instant::now();
        let leads = ondo_store::scoring::queue(&db, ws, Some(owner), o.limit).await?;
        if i >= o.warmup {
            store.ms.push(t.elapsed().as_secs_f64() * 1e3);
            store.leads += leads.len();
        }
    }
    let mut jobs = Measured {
        what: "`ondo_jobs::scoring::queue::queue` (with scores today and reasons)",
        ms: Vec::new(),
        leads: 0,
    };
    for i in 0..total {
        let owner = sales[i % sales.len()].0;
        let t = Instant::now();
        let entries =
            ondo_jobs::scoring::queue::queue(&db, ws, Some(owner), o.limit, Micros::now()).await?;
        if i >= o.warmup {
            jobs.ms.push(t.elapsed().as_secs_f64() * 1e3);
            jobs.leads += entries.len();
        }
    }
    // A manager's view: the whole workspace, every owner's walk merged.
    let mut workspace = Measured {
        what: "the workspace's queue (a manager's, every owner merged; with reasons)",
        ms: Vec::new(),
        leads: 0,
    };
    for i in 0..total {
        let t = Instant::now();
        let entries =
            ondo_jobs::scoring::queue::queue(&db, ws, None, o.limit, Micros::now()).await?;
        if i >= o.warmup {
            workspace.ms.push(t.elapsed().as_secs_f64() * 1e3);
            workspace.leads += entries.len();
        }
    }
    db.close().await;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let url = format!("{}/api/v1/queue", o.url.trim_end_matches('/'));
    let mut api = Measured {
        what: "`GET /api/v1/queue?limit=N&owner=…` over HTTP",
        ms: Vec::new(),
        leads: 0,
    };
    let mut with_reasons = 0usize;
    for i in 0..total {
        let owner = &sales[i % sales.len()].1;
        let t = Instant::now();
        let answer = http
            .get(&url)
            .bearer_auth(&o.token)
            .query(&[("limit", o.limit.to_string()), ("owner", owner.clone())])
            .send()
            .await?;
        let status = answer.status();
        let text = answer.text().await?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        if !status.is_success() {
            bail!("GET /api/v1/queue answered {status}: {text}");
        }
        let items: Vec<Value> =
            serde_json::from_str(&text).with_context(|| format!("unexpected answer {text}"))?;
        if i >= o.warmup {
            api.ms.push(ms);
            api.leads += items.len();
            with_reasons += items
                .iter()
                .filter(|v| v["reasons"].as_array().is_some_and(|r| !r.is_empty()))
                .count();
        }
    }

    println!(
        "| queue of one salesperson (limit {}, {} salespeople in turn) | requests | p50 | p99 | max | leads per answer |",
        o.limit,
        sales.len()
    );
    println!("|---|---:|---:|---:|---:|---:|");
    println!("{}", store.row());
    println!("{}", jobs.row());
    println!("{}", api.row());
    println!("{}", workspace.row());
    println!();
    println!(
        "{:.0}% of the leads answered over HTTP carry at least one reason in words.",
        100.0 * with_reasons as f64 / api.leads.max(1) as f64
    );
    let p99 = percentile(&api.ms, 0.99);
    println!(
        "target p99 < 20 ms (over HTTP): {}",
        if p99 < 20.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
