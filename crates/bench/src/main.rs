//! `ondo-bench`: data generators and helpers for Ondo's benchmarks (see bench/README.md).
//!
//! * `seed`: a workspace with many realistic leads (the "existing" leads of a benchmark);
//! * `gen-import`: a CP932 CSV whose rows partly describe people the seeded workspace
//!   holds, written the way other tools write them;
//! * `sqlite-anchor`: how fast plain `sqlite3 .import` loads the same rows;
//! * `report`: checks `ondo import --json` output and prints the Markdown table;
//! * `seed-events`: salespeople, owners and a behaviour history for a seeded workspace,
//!   then every lead scored;
//! * `events-load`, `events-count`, `events-report`: the event ingestion benchmark;
//! * `queue-load`: the sales queue benchmark;
//! * `leads-prepare`, `leads-load`: the lead list and lead page benchmark;
//! * `rescore`: a rule change and the rescoring of the whole workspace;
//! * `ai-train`: training the AI score on synthetic leads.

mod activity;
mod ai_train;
mod anchor;
mod events_load;
mod gen_import;
mod leads_load;
mod queue_load;
mod report;
mod reports_time;
mod rescore_bench;
mod seed;
mod seed_events;
mod vocab;
mod world;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

// The allocator of the `ondo` binary, so work measured in this process (rescoring, the
// queue) allocates as it does in the server.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Time training the AI score on synthetic leads (both candidates, selection and
    /// calibration); prints JSON.
    AiTrain {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value_t = 60)]
        features: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
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
        /// The CSV to write (an Excel workbook when it ends in .xlsx); FILE.truth records which
        /// person each row describes
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
    /// Give a workspace made by `seed` salespeople owning its leads and a history of
    /// events, then score every lead.
    SeedEvents {
        /// The data directory `seed` wrote
        #[arg(long)]
        data_dir: PathBuf,
        /// How many events in all
        #[arg(long, default_value_t = 20_000_000)]
        events: u64,
        /// Over how many days before now
        #[arg(long, default_value_t = 180)]
        days: i64,
        /// How many salespeople (sales01@bench.example.jp …)
        #[arg(long, default_value_t = 20)]
        sales: usize,
        /// Share of leads without any event
        #[arg(long, default_value_t = 0.25)]
        inactive: f64,
        /// Seed of the generator
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Post batches of events to a running `ondo serve` from concurrent clients for a
    /// fixed time; prints the figures as JSON.
    EventsLoad {
        /// The server, e.g. http://127.0.0.1:8080
        #[arg(long)]
        url: String,
        /// An API token of a user who may send events
        #[arg(long, env = "ONDO_BENCH_TOKEN")]
        token: String,
        /// The server's data directory (the leads' emails are read from it first)
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Events per request
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// How long to send, in seconds
        #[arg(long, default_value_t = 30.0)]
        seconds: f64,
        /// Share of events about emails the workspace does not know
        #[arg(long, default_value_t = 0.05)]
        unknown: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write every event sent to this CSV (for the sqlite3 anchor)
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Write the figures to this JSON file as well
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Print the newest event id and how many events are stored after --after (JSON).
    EventsCount {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
    /// Check that every acknowledged event is stored and print the Markdown table.
    EventsReport {
        /// The JSON of events-load
        #[arg(long)]
        load: PathBuf,
        /// Events stored after the load (counted after the server was killed)
        #[arg(long)]
        stored: u64,
        /// Leads and events the database held before the load
        #[arg(long)]
        leads: u64,
        #[arg(long)]
        events_before: u64,
        /// The JSON of `sqlite-anchor --json` on the events' CSV
        #[arg(long)]
        anchor_json: Option<PathBuf>,
    },
    /// Time the queue of every salesperson in turn: the store call, the queue with its
    /// reasons, and GET /api/v1/queue over HTTP.
    QueueLoad {
        #[arg(long)]
        url: String,
        /// An API token of a user who may see every queue (admin, manager, marketing)
        #[arg(long, env = "ONDO_BENCH_TOKEN")]
        token: String,
        #[arg(long)]
        data_dir: PathBuf,
        /// Timed requests of each kind
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
        /// Untimed requests first (of each kind)
        #[arg(long, default_value_t = 50)]
        warmup: usize,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Give a temperature database what the lead list and lead page benchmark needs: a
    /// salesperson (added with `ondo user add`) takes over a seeded salesperson's leads,
    /// and sample leads get activities, later touchpoints and status changes.
    LeadsPrepare {
        #[arg(long)]
        data_dir: PathBuf,
        /// The salesperson who will sign in
        #[arg(long)]
        sales: String,
        /// The seeded salesperson whose leads they take over
        #[arg(long, default_value = "sales02@bench.example.jp")]
        takes_over: String,
        /// Sample leads of the salesperson (and as many of the whole workspace)
        #[arg(long, default_value_t = 1_000)]
        sample: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Sign in through /login as a salesperson and as a manager and time the lead list
    /// (first page, search, status, mine, next pages) and lead pages over HTTP.
    LeadsLoad {
        #[arg(long)]
        url: String,
        /// The server's data directory (the sample leads are read from it first)
        #[arg(long)]
        data_dir: PathBuf,
        /// The salesperson's email
        #[arg(long)]
        sales: String,
        /// The manager's email
        #[arg(long)]
        manager: String,
        /// The password of both
        #[arg(long, env = "ONDO_BENCH_PASSWORD", hide_env_values = true)]
        password: String,
        /// Timed requests of each kind, for each user
        #[arg(long, default_value_t = 500)]
        requests: usize,
        /// Untimed requests of each kind first
        #[arg(long, default_value_t = 20)]
        warmup: usize,
        /// Stop timing a user after this many seconds
        #[arg(long, default_value_t = 300.0)]
        max_seconds: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Time the reports page's computation over DIR/ondo.db; prints a Markdown table.
    ReportsTime {
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Save a rule change and rescore every lead of the workspace with it, printing
    /// progress; prints the Markdown table.
    Rescore {
        #[arg(long)]
        data_dir: PathBuf,
        /// The new rules as TOML (default: half-life 14 → 21 days, case studies 4 → 6
        /// points, MQL threshold 15 → 12)
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The change in words, for the table
        #[arg(
            long,
            default_value = "half-life 14 → 21 days, case studies 4 → 6 points, MQL 15 → 12"
        )]
        change: String,
        /// Afterwards, rescore this many leads one at a time (the per-lead path) to compare
        #[arg(long, default_value_t = 20_000)]
        per_lead_sample: u64,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
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
        Command::AiTrain {
            rows,
            features,
            seed,
        } => ai_train::run(rows, features, seed),
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
        Command::SeedEvents {
            data_dir,
            events,
            days,
            sales,
            inactive,
            seed,
        } => runtime()?.block_on(seed_events::run(
            &data_dir,
            &seed_events::Options {
                events,
                days,
                sales,
                seed,
                inactive,
            },
        )),
        Command::EventsLoad {
            url,
            token,
            data_dir,
            clients,
            batch,
            seconds,
            unknown,
            seed,
            csv,
            json,
        } => runtime()?.block_on(events_load::run(&events_load::Options {
            url,
            token,
            data_dir,
            clients: clients.max(1),
            batch: batch.max(1),
            seconds,
            unknown,
            seed,
            csv,
            json,
        })),
        Command::EventsCount { data_dir, after } => {
            runtime()?.block_on(events_load::count(&data_dir, after))
        }
        Command::EventsReport {
            load,
            stored,
            leads,
            events_before,
            anchor_json,
        } => events_load::report(&load, stored, leads, events_before, anchor_json.as_deref()),
        Command::QueueLoad {
            url,
            token,
            data_dir,
            requests,
            warmup,
            limit,
        } => runtime()?.block_on(queue_load::run(&queue_load::Options {
            url,
            token,
            data_dir,
            requests: requests.max(1),
            warmup,
            limit,
        })),
        Command::LeadsPrepare {
            data_dir,
            sales,
            takes_over,
            sample,
            seed,
        } => runtime()?.block_on(leads_load::prepare(&leads_load::PrepareOptions {
            data_dir,
            sales,
            takes_over,
            sample,
            seed,
        })),
        Command::LeadsLoad {
            url,
            data_dir,
            sales,
            manager,
            password,
            requests,
            warmup,
            max_seconds,
            seed,
        } => runtime()?.block_on(leads_load::load(&leads_load::LoadOptions {
            url,
            data_dir,
            sales,
            manager,
            password,
            requests: requests.max(1),
            warmup,
            max_seconds,
            seed,
        })),
        Command::ReportsTime { data_dir } => runtime()?.block_on(reports_time::run(&data_dir)),
        Command::Rescore {
            data_dir,
            rules,
            change,
            per_lead_sample,
        } => runtime()?.block_on(rescore_bench::run(&rescore_bench::Options {
            data_dir,
            rules,
            change,
            per_lead_sample,
        })),
    }
}
