//! `ondo-bench report`: checks the JSON report of `ondo import --json` against what the
//! generator wrote (the truth file) and prints the benchmark's Markdown table.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::world::{World, shared_data_dir};

/// Design targets.
const TARGET_ROWS_PER_S: f64 = 50_000.0;
const TARGET_PEAK_MB: f64 = 500.0;

pub struct Options {
    pub json: PathBuf,
    pub truth: PathBuf,
    pub rows: u64,
    pub existing: u64,
    pub wall_ms: f64,
    pub peak_rss_kib: u64,
    pub anchor_json: Option<PathBuf>,
    pub min_merged_share: f64,
}

fn int(v: &Value, key: &str) -> anyhow::Result<u64> {
    v.get(key)
        .and_then(Value::as_u64)
        .with_context(|| format!("the import report has no number \"{key}\""))
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

pub fn run(o: &Options) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&o.json)
        .with_context(|| format!("cannot read {}", o.json.display()))?;
    let report: Value = serde_json::from_str(text.trim()).with_context(|| {
        format!(
            "{} is not the JSON report of `ondo import --json`: {}",
            o.json.display(),
            text.chars().take(300).collect::<String>()
        )
    })?;
    if let Some(err) = report.get("error") {
        bail!("the import failed: {err} {}", report["message"]);
    }
    let rows = int(&report, "rows")?;
    let created = int(&report, "created")?;
    let merged = int(&report, "merged")?;
    let updated = int(&report, "updated")?;
    let skipped = int(&report, "skipped")?;
    let errors = report
        .get("errors")
        .and_then(Value::as_array)
        .context("the import report has no \"errors\" list")?;
    let warnings = report
        .get("warnings")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let candidates = report
        .get("candidate_pairs")
        .and_then(Value::as_u64)
        .unwrap_or(0);

    let wall_s = o.wall_ms / 1e3;
    let rate = rows as f64 / wall_s.max(1e-9);
    let peak_mb = o.peak_rss_kib as f64 * 1024.0 / 1e6;
    let anchor = match &o.anchor_json {
        Some(p) => {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(p)?)?;
            v.get("rows_per_s").and_then(Value::as_f64)
        }
        None => None,
    };

    println!(
        "| rows | existing leads | wall time | rows/s | peak RSS | created | merged | \
         sqlite3 .import (same rows) | ratio to sqlite3 |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (anchor_cell, ratio_cell) = match anchor {
        Some(a) => (
            format!("{} rows/s", thousands(a as u64)),
            format!("{:.3} (sqlite3 is {:.0}× faster)", rate / a, a / rate),
        ),
        None => ("not measured".into(), "—".into()),
    };
    println!(
        "| {} | {} | {:.2} s | {} | {} MB ({} MiB) | {} | {} | {anchor_cell} | {ratio_cell} |",
        thousands(rows),
        thousands(o.existing),
        wall_s,
        thousands(rate as u64),
        thousands(peak_mb.round() as u64),
        thousands(o.peak_rss_kib / 1024),
        thousands(created),
        thousands(merged),
    );
    println!();
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "Targets: ≥ 50,000 rows/s: {} ({}); peak memory < 500 MB: {} ({:.0} MB).",
        verdict(rate >= TARGET_ROWS_PER_S),
        thousands(rate as u64),
        verdict(peak_mb < TARGET_PEAK_MB),
        peak_mb
    );
    println!(
        "Also reported by the importer: updated {updated}, skipped {skipped}, errors {}, \
         warnings {warnings}, candidate pairs {candidates}.",
        errors.len()
    );

    if let Err(e) = dedup_quality(o, &report) {
        println!("(de-duplication check against the generator skipped: {e:#})");
    }

    let mut failures = Vec::new();
    if rows != o.rows {
        failures.push(format!("rows = {rows}, expected {}", o.rows));
    }
    if !errors.is_empty() {
        let first: Vec<String> = errors.iter().take(5).map(Value::to_string).collect();
        failures.push(format!(
            "{} rows rejected, e.g. {}",
            errors.len(),
            first.join("; ")
        ));
    }
    if created + merged != o.rows {
        failures.push(format!(
            "created + merged = {} + {merged} = {}, expected {}",
            created,
            created + merged,
            o.rows
        ));
    }
    let min_merged = (o.rows as f64 * o.min_merged_share).ceil() as u64;
    if merged < min_merged {
        failures.push(format!(
            "merged = {merged} < {min_merged} (--min-merged-share {:.0}%): the rows of people \
             the workspace already holds were not found",
            o.min_merged_share * 100.0
        ));
    }
    if !failures.is_empty() {
        println!();
        for f in &failures {
            println!("CHECK FAILED: {f}");
        }
        bail!("{} check(s) failed", failures.len());
    }
    Ok(())
}

/// Compares where each row went with the person the generator wrote into it.
fn dedup_quality(o: &Options, report: &Value) -> anyhow::Result<()> {
    let truth = std::fs::read_to_string(&o.truth)
        .with_context(|| format!("cannot read {}", o.truth.display()))?;
    let mut lines = truth.lines();
    let header = lines.next().unwrap_or("");
    let seed: u64 = header
        .split_whitespace()
        .find_map(|w| w.strip_prefix("seed="))
        .and_then(|s| s.parse().ok())
        .context("truth file header has no seed")?;
    let persons: Vec<u64> = lines
        .map(|l| l.trim().parse::<u64>())
        .collect::<Result<_, _>>()?;
    let leads = report
        .get("rows_to_leads")
        .and_then(Value::as_array)
        .context("the import report has no rows_to_leads")?;
    if leads.len() != persons.len() {
        bail!(
            "{} rows in rows_to_leads, {} in the truth file",
            leads.len(),
            persons.len()
        );
    }
    let world = World::new(seed, o.existing, shared_data_dir().as_deref());
    let same_identity = |a: u64, b: u64| {
        let (p, q) = (world.person(a), world.person(b));
        p.name() == q.name() && p.company == q.company
    };

    let mut first_lead: HashMap<u64, Option<i64>> = HashMap::new();
    let (mut seeded_rows, mut own, mut other_homonym, mut other, mut new_lead) = (0, 0, 0, 0, 0);
    let (mut repeats, mut repeats_same) = (0, 0);
    let mut persons_of_lead: HashMap<i64, HashSet<u64>> = HashMap::new();
    for (&j, lead) in persons.iter().zip(leads) {
        let lead = lead.as_i64();
        if let Some(l) = lead {
            let set = persons_of_lead.entry(l).or_default();
            set.insert(j);
            if l >= 1 && (l as u64) <= o.existing {
                set.insert(l as u64 - 1);
            }
        }
        match first_lead.get(&j) {
            Some(first) => {
                repeats += 1;
                if *first == lead {
                    repeats_same += 1;
                }
            }
            None => {
                first_lead.insert(j, lead);
                if j < o.existing {
                    seeded_rows += 1;
                    match lead {
                        Some(l) if l == j as i64 + 1 => own += 1,
                        Some(l) if l >= 1 && (l as u64) <= o.existing => {
                            if same_identity(j, l as u64 - 1) {
                                other_homonym += 1;
                            } else {
                                other += 1;
                            }
                        }
                        _ => new_lead += 1,
                    }
                }
            }
        }
    }
    let (mut shared, mut shared_homonym) = (0, 0);
    for set in persons_of_lead.values().filter(|s| s.len() > 1) {
        shared += 1;
        let v: Vec<u64> = set.iter().copied().collect();
        if v.iter().all(|&b| same_identity(v[0], b)) {
            shared_homonym += 1;
        }
    }
    println!();
    println!("De-duplication against the generator's truth file:");
    println!(
        "- rows of people already in the workspace: {}; found their own lead: {} ({:.2}%); \
         merged into a same-name lead at the same company: {}; into another lead: {}; \
         created anew: {}",
        thousands(seeded_rows),
        thousands(own),
        100.0 * own as f64 / seeded_rows.max(1) as f64,
        other_homonym,
        other,
        new_lead
    );
    println!(
        "- repeats within the file: {}; in the same lead as the person's first row: {} ({:.2}%)",
        thousands(repeats),
        thousands(repeats_same),
        100.0 * repeats_same as f64 / repeats.max(1) as f64
    );
    println!(
        "- leads that now hold more than one generated person: {shared} (all of them the same \
         name at the same company, which the matching rules treat as one person: \
         {shared_homonym}; others: {})",
        shared - shared_homonym
    );
    Ok(())
}
