//! `ondo-bench events-load`: concurrent clients posting batches of events to
//! `POST /api/v1/events` for a fixed time, as a website's tracker and an email tool would;
//! `events-count` and `events-report` check afterwards that every acknowledged event is
//! stored and print the Markdown table.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ondo_domain::Micros;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::activity::{BROWSER, MAIL_CLIENT, SCANNER, session};

/// Options of `events-load`.
pub struct Options {
    pub url: String,
    pub token: String,
    pub data_dir: PathBuf,
    pub clients: usize,
    pub batch: usize,
    pub seconds: f64,
    /// Share of events about emails the workspace does not know.
    pub unknown: f64,
    pub seed: u64,
    /// Every event sent, as CSV (for the `sqlite3 .import` anchor).
    pub csv: Option<PathBuf>,
    /// The figures, as JSON.
    pub json: Option<PathBuf>,
}

/// What one client did.
#[derive(Default)]
struct ClientRun {
    latencies_ms: Vec<f64>,
    accepted: u64,
    duplicates: u64,
    waiting: u64,
    automated: u64,
    sent: u64,
    csv: Vec<u8>,
}

/// The emails of the workspace's leads, in id order.
async fn lead_emails(data_dir: &Path) -> anyhow::Result<Vec<String>> {
    let db = ondo_store::Db::open_data_dir(data_dir).await?;
    let ondo_store::Db::Sqlite(pool) = &db else {
        bail!("events-load reads SQLite only");
    };
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT l.email FROM leads l JOIN workspaces w ON w.workspace_id = l.workspace_id \
         WHERE w.name = 'default' AND l.email IS NOT NULL ORDER BY l.id",
    )
    .fetch_all(pool)
    .await?;
    db.close().await;
    if emails.is_empty() {
        bail!("the workspace has no leads with an email: seed it first");
    }
    Ok(emails)
}

pub async fn run(o: &Options) -> anyhow::Result<()> {
    let emails = std::sync::Arc::new(lead_emails(&o.data_dir).await?);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.clients)
        .timeout(Duration::from_secs(60))
        .build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(o.seconds);
    let mut tasks = Vec::new();
    for client in 0..o.clients {
        let http = http.clone();
        let emails = emails.clone();
        let url = format!("{}/api/v1/events", o.url.trim_end_matches('/'));
        let token = o.token.clone();
        let (batch, unknown, seed, csv) = (o.batch, o.unknown, o.seed, o.csv.is_some());
        tasks.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x10AD);
            rng.set_stream(client as u64);
            let mut run = ClientRun::default();
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let events = make_batch(&mut rng, &emails, client, &mut seq, batch, unknown);
                let body = serde_json::to_vec(&events)?;
                let t = Instant::now();
                let answer = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                let status = answer.status();
                let text = answer.text().await?;
                run.latencies_ms.push(t.elapsed().as_secs_f64() * 1e3);
                if !status.is_success() {
                    bail!("POST /api/v1/events answered {status}: {text}");
                }
                let v: Value = serde_json::from_str(&text)
                    .with_context(|| format!("unexpected answer {text}"))?;
                let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
                run.accepted += n("accepted");
                run.duplicates += n("duplicates");
                run.waiting += n("waiting");
                run.automated += n("automated");
                run.sent += events.len() as u64;
                if csv {
                    for e in &events {
                        let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
                        writeln!(
                            run.csv,
                            "{},{},{},{},{}",
                            s("id"),
                            s("type"),
                            s("at"),
                            s("email"),
                            s("url")
                        )?;
                    }
                }
            }
            anyhow::Ok(run)
        }));
    }
    let mut runs = Vec::new();
    for t in tasks {
        runs.push(t.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.latencies_ms.iter().copied())
        .collect();
    latencies.sort_by(f64::total_cmp);
    let sum = |f: fn(&ClientRun) -> u64| runs.iter().map(f).sum::<u64>();
    let accepted = sum(|r| r.accepted);
    let figures = json!({
        "clients": o.clients,
        "batch": o.batch,
        "seconds": seconds,
        "requests": latencies.len(),
        "sent": sum(|r| r.sent),
        "accepted": accepted,
        "duplicates": sum(|r| r.duplicates),
        "waiting": sum(|r| r.waiting),
        "automated": sum(|r| r.automated),
        "events_per_s": accepted as f64 / seconds,
        "p50_ms": percentile(&latencies, 0.50),
        "p99_ms": percentile(&latencies, 0.99),
        "max_ms": latencies.last().copied().unwrap_or(0.0),
    });
    if let Some(path) = &o.csv {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        f.write_all(b"id,type,at,email,url\n")?;
        for r in &runs {
            f.write_all(&r.csv)?;
        }
        f.flush()?;
    }
    if let Some(path) = &o.json {
        std::fs::write(path, figures.to_string())?;
    }
    eprintln!(
        "events-load: {accepted} events accepted in {seconds:.1} s ({:.0}/s) by {} requests",
        accepted as f64 / seconds,
        latencies.len()
    );
    println!("{figures}");
    Ok(())
}

/// The `q` quantile of sorted values (nearest rank).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// A lead index: four sessions in five come from the leads of today's campaign (a tenth
/// of the workspace, spread over the id range), the rest from anyone.
fn pick_lead(rng: &mut impl Rng, n: usize) -> usize {
    let n64 = n as u64;
    let k = if rng.gen_bool(0.8) {
        rng.gen_range(0..(n64 / 10).max(1))
    } else {
        rng.gen_range(0..n64)
    };
    ((k.wrapping_mul(2_654_435_761)) % n64) as usize
}

/// One request's events: sessions of a few leads, most of them known, some not (an
/// address typed into a form elsewhere, a forwarded newsletter).
fn make_batch(
    rng: &mut impl Rng,
    emails: &[String],
    client: usize,
    seq: &mut u64,
    size: usize,
    unknown: f64,
) -> Vec<Value> {
    let now = Micros::now().0;
    let mut out = Vec::with_capacity(size);
    while out.len() < size {
        let email = if rng.gen_bool(unknown) {
            format!(
                "visitor.{client}.{}@example.net",
                rng.gen_range(0..1_000_000)
            )
        } else {
            emails[pick_lead(rng, emails.len())].clone()
        };
        let acts = session(rng, 0, size - out.len());
        // The session has just ended.
        let end = acts.last().map_or(0, |a| a.at);
        let shift = now - rng.gen_range(0..60_000_000) - end;
        for a in acts {
            *seq += 1;
            let at = a.at + shift;
            let mut e = json!({
                "id": format!("{:013x}-{client}-{:08x}", now / 1000, *seq),
                "type": a.kind,
                "at": Micros(at).to_rfc3339(),
                "email": email,
            });
            if let Some(url) = &a.url {
                e["url"] = json!(url);
            }
            if a.kind.starts_with("email_") {
                e["user_agent"] = json!(if a.scanner { SCANNER } else { MAIL_CLIENT });
                e["sent_at"] = json!(Micros(at - 3 * 3_600_000_000).to_rfc3339());
            } else {
                e["user_agent"] = json!(BROWSER);
            }
            out.push(e);
        }
    }
    out
}

/// `events-count`: the newest event id and how many events are stored after `after`.
pub async fn count(data_dir: &Path, after: i64) -> anyhow::Result<()> {
    let db = ondo_store::Db::open_data_dir(data_dir).await?;
    let ondo_store::Db::Sqlite(pool) = &db else {
        bail!("events-count reads SQLite only");
    };
    let max_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
        .fetch_one(pool)
        .await?;
    let after_count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE id > ?")
        .bind(after)
        .fetch_one(pool)
        .await?;
    db.close().await;
    println!("{}", json!({ "max_id": max_id, "after": after_count }));
    Ok(())
}

/// `events-report`: the Markdown table, and whether every acknowledged event is stored.
pub fn report(
    load: &Path,
    stored: u64,
    leads: u64,
    events_before: u64,
    anchor: Option<&Path>,
) -> anyhow::Result<()> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(load)?)?;
    let f = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let accepted = f("accepted") as u64;
    let anchor: Option<Value> = anchor
        .map(|p| -> anyhow::Result<Value> {
            Ok(serde_json::from_str(&std::fs::read_to_string(p)?)?)
        })
        .transpose()?;
    let anchor_rate = anchor
        .as_ref()
        .and_then(|a| a.get("rows_per_s"))
        .and_then(Value::as_f64);
    println!(
        "| clients × batch | database before | time | events accepted | events/s | request p50 | request p99 | stored after SIGKILL | `sqlite3 .import`, same rows |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} × {} | {} leads, {} events | {:.1} s | {} | **{}** | {:.1} ms | {:.1} ms | {} | {} |",
        f("clients") as u64,
        f("batch") as u64,
        thousands(leads),
        thousands(events_before),
        f("seconds"),
        thousands(accepted),
        thousands(f("events_per_s").round() as u64),
        f("p50_ms"),
        f("p99_ms"),
        thousands(stored),
        anchor_rate
            .map(|r| format!("{} rows/s", thousands(r.round() as u64)))
            .unwrap_or_else(|| "—".into()),
    );
    println!();
    println!(
        "{} of the accepted events wait for their lead (unknown emails), {} are kept as automated (mail scanners); {} duplicates.",
        thousands(f("waiting") as u64),
        thousands(f("automated") as u64),
        thousands(f("duplicates") as u64),
    );
    let target = 20_000.0;
    println!(
        "target ≥ 20,000 events/s: {}",
        if f("events_per_s") >= target {
            "met"
        } else {
            "NOT met"
        }
    );
    if stored != accepted {
        bail!(
            "{accepted} events were acknowledged but {stored} are stored after the server was killed"
        );
    }
    println!(
        "durability: all {accepted} acknowledged events are stored after SIGKILL of the server"
    );
    Ok(())
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
