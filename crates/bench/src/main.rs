//! `ondo-bench`: data generators and helpers for Ondo's benchmarks (see bench/README.md).
//!
//! * `seed`: a workspace with many realistic leads (the "existing" leads of a benchmark);
//! * `gen-import`: a CP932 CSV whose rows partly describe people the seeded workspace
//!   holds, written the way other tools write them;
//! * `sqlite-anchor`: how fast plain `sqlite3 .import` loads the same rows;
//! * `report`: checks `ondo import --json` output and prints the Markdown table.

mod anchor;
mod gen_import;
mod report;
mod seed;
mod vocab;
mod world;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ondo-bench",
    version,
    about = "Data generators and helpers for Ondo's benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create DIR/ondo.db (migrated) with workspace "default" holding N realistic leads.
    Seed {
        /// The data directory; must not hold an ondo.db yet
        #[arg(long)]
        data_dir: PathBuf,
        /// How many leads
        #[arg(long, default_value_t = 1_000_000)]
        leads: u64,
        /// Seed of the generator; gen-import must use the same one
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Leads per bulk insert (one transaction each; larger is faster: fewer WAL rewrites)
        #[arg(long, default_value_t = 100_000)]
        chunk: usize,
    },
    /// Write a CP932 CSV to import into a workspace made by `seed`.
    GenImport {
        /// The CSV to write; FILE.truth records which person each row describes
        #[arg(long)]
        out: PathBuf,
        /// Data rows
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
        /// Leads of the seeded workspace (as given to `seed --leads`)
        #[arg(long, default_value_t = 1_000_000)]
        existing_leads: u64,
        /// Share of rows describing people the workspace already holds
        #[arg(long, default_value_t = 0.3)]
        overlap: f64,
        /// Share of rows repeating another row's person, written differently
        #[arg(long, default_value_t = 0.05)]
        duplicates: f64,
        /// Seed of the generator (as given to `seed`)
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Time `sqlite3 .import` of the CSV's rows (the anchor of the import benchmark).
    SqliteAnchor {
        /// The CSV (any encoding Ondo reads; converted to UTF-8 first, not timed)
        #[arg(long)]
        csv: PathBuf,
        /// Runs; the median is reported
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// The sqlite3 command-line shell
        #[arg(long, default_value = "sqlite3")]
        sqlite3: String,
        /// Print one JSON object {rows, seconds, rows_per_s, runs, sqlite3}
        #[arg(long)]
        json: bool,
    },
    /// Check an `ondo import --json` report and print the benchmark's Markdown table.
    Report {
        /// The JSON printed by `ondo import --json`
        #[arg(long)]
        json: PathBuf,
        /// The truth file gen-import wrote beside the CSV
        #[arg(long)]
        truth: PathBuf,
        /// Rows the CSV has
        #[arg(long)]
        rows: u64,
        /// Leads the workspace held before the import
        #[arg(long)]
        existing_leads: u64,
        /// Wall time of the import, in milliseconds
        #[arg(long)]
        wall_ms: f64,
        /// Peak resident memory of the import, in KiB
        #[arg(long)]
        peak_rss_kib: u64,
        /// The JSON printed by `sqlite-anchor --json`
        #[arg(long)]
        anchor_json: Option<PathBuf>,
        /// Least share of rows that must be merged into existing leads
        #[arg(long, default_value_t = 0.3)]
        min_merged_share: f64,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ondo-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Seed {
            data_dir,
            leads,
            seed,
            chunk,
        } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(seed::run(&data_dir, leads, seed, chunk.max(1)))
        }
        Command::GenImport {
            out,
            rows,
            existing_leads,
            overlap,
            duplicates,
            seed,
        } => gen_import::run(&gen_import::Options {
            out,
            rows,
            existing: existing_leads,
            overlap,
            duplicates,
            seed,
        }),
        Command::SqliteAnchor {
            csv,
            runs,
            sqlite3,
            json,
        } => anchor::run(&csv, runs, &sqlite3, json),
        Command::Report {
            json,
            truth,
            rows,
            existing_leads,
            wall_ms,
            peak_rss_kib,
            anchor_json,
            min_merged_share,
        } => report::run(&report::Options {
            json,
            truth,
            rows,
            existing: existing_leads,
            wall_ms,
            peak_rss_kib,
            anchor_json,
            min_merged_share,
        }),
    }
}
