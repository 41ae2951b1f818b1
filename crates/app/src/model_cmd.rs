//! `ondo model …`: the AI score on a spreadsheet of past leads.
//!
//! `ondo model evaluate --csv FILE --label COLUMN` is the backtest: it trains on part of
//! the rows and reports how well the score ranks the rest (AUC, gain, calibration, the
//! strongest factors, columns that look like they leak the outcome). Bad input (a missing
//! file, an unknown column, a label that is not yes/no) exits with code 2 and one line
//! naming the problem.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use ondo_ml::{EvaluateOptions, Evaluation, Table};

use crate::config::Config;

/// The `model` subcommands.
#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Backtest the AI score on a spreadsheet of past leads with a known outcome: train on
    /// part of the rows and measure how well it ranks the others.
    Evaluate(EvaluateArgs),
    /// Train the workspace's AI score now on its own decided leads, store the model
    /// version (active when not worse than the active one) and score every lead.
    Train(TrainArgs),
}

/// Options of `ondo model evaluate`.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The file of past leads: CSV/TSV (any encoding the importer reads, comma or semicolon) or .xlsx
    #[arg(long = "csv", value_name = "FILE")]
    pub file: PathBuf,
    /// The column holding the outcome (two values: 1/0, yes/no, 成約/失注…)
    #[arg(long)]
    pub label: String,
    /// Columns to leave out, comma-separated (identifiers, columns filled in after the outcome)
    #[arg(long, value_delimiter = ',', value_name = "COL,COL")]
    pub exclude: Vec<String>,
    /// Share of the rows kept aside to test on
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    /// Seed of the split and the training (same seed, same result)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The .xlsx sheet to read [default: the first]
    #[arg(long)]
    pub sheet: Option<String>,
    /// Override the detected encoding (utf-8, shift_jis/cp932, euc-jp)
    #[arg(long)]
    pub encoding: Option<String>,
    /// Print one JSON object with the results
    #[arg(long)]
    pub json: bool,
    /// Write the indices (0-based data rows) of the training and test rows to this file as
    /// JSON, so that another tool can evaluate on the same split.
    #[arg(long, hide = true, value_name = "FILE")]
    pub split_out: Option<PathBuf>,
}

/// Run a `model` subcommand. Bad input ends the process with exit code 2.
pub async fn run(command: ModelCommand, config: &Config) -> anyhow::Result<()> {
    match command {
        ModelCommand::Train(args) => train(&args, config).await,
        ModelCommand::Evaluate(args) => {
            let json = args.json;
            match evaluate(&args) {
                Ok(()) => Ok(()),
                Err(message) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"error": "invalid_input", "message": message})
                        );
                    }
                    eprintln!("error: {message}");
                    std::process::exit(EXIT_BAD_INPUT);
                }
            }
        }
    }
}

/// Exit code for input the command cannot use.
const EXIT_BAD_INPUT: i32 = 2;

/// The backtest; `Err` is a one-line message about the input.
fn evaluate(args: &EvaluateArgs) -> Result<(), String> {
    let started = Instant::now();
    let shown = args.file.display();
    let bytes =
        std::fs::read(&args.file).map_err(|e| format!("{shown}: cannot read the file: {e}"))?;
    let file_name = file_name(&args.file);
    let read = ondo_ingest::read_table_file(
        &bytes,
        &file_name,
        args.sheet.as_deref(),
        args.encoding.as_deref(),
    )
    .map_err(|e| format!("{shown}: {e}"))?;
    drop(bytes);
    let options = EvaluateOptions {
        label: args.label.trim().to_owned(),
        exclude: args
            .exclude
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect(),
        holdout: args.holdout,
        seed: args.seed,
        semicolon_decimal: read.delimiter == Some(b';'),
    };
    let table = Table::new(read.headers, read.rows);
    let result = ondo_ml::evaluate(&table, &options).map_err(|e| format!("{shown}: {e}"))?;
    let elapsed = started.elapsed();
    if let Some(path) = &args.split_out {
        let split = serde_json::json!({
            "seed": result.seed,
            "train": result.train_rows,
            "test": result.test_rows,
        });
        std::fs::write(path, split.to_string())
            .map_err(|e| format!("{}: cannot write the split: {e}", path.display()))?;
    }
    if args.json {
        let mut value = serde_json::to_value(&result).map_err(|e| e.to_string())?;
        if let Some(object) = value.as_object_mut() {
            object.insert("file".into(), file_name.into());
            object.insert("encoding".into(), read.encoding.into());
            object.insert(
                "delimiter".into(),
                read.delimiter.map(|d| (d as char).to_string()).into(),
            );
            object.insert("elapsed_ms".into(), (elapsed.as_millis() as u64).into());
        }
        println!("{value}");
    } else {
        print!("{}", summary(&file_name, &result, elapsed.as_secs_f64()));
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A short readable report.
fn summary(file: &str, e: &Evaluation, seconds: f64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Backtest of the AI score on {file}: {} rows, outcome column \"{}\"",
        thousands(e.rows),
        e.label
    );
    let _ = writeln!(out, "  {}", e.label_rule);
    if e.rows_without_label > 0 {
        let _ = writeln!(
            out,
            "  {} rows without an outcome were left out",
            thousands(e.rows_without_label)
        );
    }
    let _ = writeln!(
        out,
        "  trained on {} rows ({} positive), tested on {} rows ({} positive)",
        thousands(e.rows_train),
        thousands(e.positives_train),
        thousands(e.rows_test),
        thousands(e.positives_test)
    );
    let tried: Vec<String> = e
        .candidates
        .iter()
        .map(|c| format!("{} {:.3}", c.model, c.cv_auc))
        .collect();
    let _ = writeln!(
        out,
        "  model: {} (cross-validated AUC on the training rows: {})",
        e.model,
        tried.join(", ")
    );
    let _ = writeln!(out, "  AUC on the test rows: {:.3}", e.auc);
    let gain_at = |share: f64| {
        e.gain
            .iter()
            .find(|g| (g.share_of_leads - share).abs() < 1e-9)
            .map(|g| g.share_of_positives)
    };
    if let (Some(g20), Some(g50)) = (gain_at(0.2), gain_at(0.5)) {
        let _ = writeln!(
            out,
            "  the top 20% of leads by score hold {:.0}% of the positives; the top half {:.0}%",
            g20 * 100.0,
            g50 * 100.0
        );
    }
    let used: Vec<&str> = e
        .columns
        .iter()
        .filter(|c| c.used)
        .map(|c| c.name.as_str())
        .collect();
    let _ = writeln!(
        out,
        "  columns used ({}, {} features): {}",
        used.len(),
        e.features,
        used.join(", ")
    );
    for c in e.columns.iter().filter(|c| !c.used) {
        let _ = writeln!(
            out,
            "  left out: \"{}\" ({}{})",
            c.name,
            c.kind.key(),
            c.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
    }
    for w in &e.leak_warnings {
        let _ = writeln!(out, "  warning: \"{}\": {}", w.column, w.message.en);
    }
    if !e.leak_warnings.is_empty() {
        let _ = writeln!(
            out,
            "  (columns filled in after the outcome make the AUC look better than it will be; leave them out with --exclude)"
        );
    }
    if !e.top_factors.is_empty() {
        let _ = writeln!(
            out,
            "  strongest factors (mean effect on the log-odds over the test rows):"
        );
        for f in &e.top_factors {
            // The words start with the column's name, already at the start of the line.
            let value = |w: &ondo_ml::Words| {
                let prefix = format!("{}: ", f.group);
                w.en.strip_prefix(&prefix).unwrap_or(&w.en).to_owned()
            };
            let mut line = format!("    {} ({:.2})", f.group, f.mean_abs_weight);
            if let Some(r) = &f.raises {
                let _ = write!(line, "; raises: {}", value(r));
            }
            if let Some(l) = &f.lowers {
                let _ = write!(line, "; lowers: {}", value(l));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out, "  took {seconds:.1} s");
    out
}

/// `12345` → `12,345`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Options of `ondo model train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Print one JSON object: the run, what it came to, and its message in ja and en
    #[arg(long)]
    pub json: bool,
}

/// `ondo model train`: trains the workspace now (below the cold-start minimum it says so
/// and stores nothing), printing what happened.
async fn train(args: &TrainArgs, config: &Config) -> anyhow::Result<()> {
    let url = config.effective_database_url();
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let db = ondo_store::Db::connect(&url).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot open the database {}: {e}",
            ondo_store::redact_url(&url)
        )
    })?;
    let ws = ondo_store::workspaces::ensure(&db, &config.workspace).await?;
    let actor = ondo_store::Actor::system("cli");
    let (run, outcome) = ondo_jobs::ai::train_now(&db, ws.id(), &actor, "cli").await?;
    let message = outcome.message();
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "run": run, "outcome": outcome, "message": message })
        );
    } else {
        println!("{}", message.en);
        if let ondo_jobs::ai::TrainOutcome::Trained(t) = &outcome {
            println!(
                "  trained in {:.1} s; every lead scored in {:.1} s",
                t.train_seconds, t.scoring_seconds
            );
        }
    }
    db.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(9240), "9,240");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
