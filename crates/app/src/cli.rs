//! The command line: `serve`, `migrate`, `user add`, `token create`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ondo_domain::{Email, Role};
use ondo_store::Db;
use ondo_store::workspaces::Workspace;

use crate::config::{Config, Overrides};
use crate::demo_load::{DEMO_ADMIN, DEMO_PASSWORD};
use crate::startup::{Application, shutdown_signal};

/// Ondo (温度): lead management for B2B sales and marketing teams.
#[derive(Parser, Debug)]
#[command(name = "ondo", version, about)]
pub struct Cli {
    /// Data directory (SQLite database and files) [env: ONDO_DATA_DIR] [default: ./ondo-data]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL, e.g. postgres://user:pass@host/db [env: ONDO_DATABASE_URL] [default: SQLite in the data dir]
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Workspace to work in [env: ONDO_WORKSPACE] [default: default]
    #[arg(long, global = true)]
    pub workspace: Option<String>,
    /// Configuration file [default: ./ondo.toml]
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Where users reach Ondo, for links in emails and webhooks, e.g. https://ondo.example.jp [env: ONDO_PUBLIC_URL] [default: http:// and the listen address]
    #[arg(long, global = true)]
    pub public_url: Option<String>,
    /// SMTP server for outgoing mail: smtp://host:port, smtp://user:pass@host:587?tls=required or smtps://host:465 [env: ONDO_SMTP_URL] [default: none, no mail is sent]
    #[arg(long, global = true)]
    pub smtp_url: Option<String>,
    /// Sender of outgoing mail, e.g. "Ondo <ondo@example.jp>" [env: ONDO_SMTP_FROM] [default: ondo@ the public URL's host]
    #[arg(long, global = true)]
    pub smtp_from: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web UI and the API.
    Serve {
        /// Address to listen on [env: ONDO_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long)]
        listen: Option<String>,
        /// Load the demo workspace when the workspace is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Create the database if needed and apply migrations.
    Migrate,
    /// Import leads from a CSV/TSV (any Japanese encoding), .xlsx or vCard file.
    Import {
        file: PathBuf,
        /// The touchpoint every row becomes, e.g. "展示会 2026秋" [default: the file name]
        #[arg(long)]
        source: Option<String>,
        /// new: only create; upsert: create or fill in existing leads; update: only change existing leads
        #[arg(long, default_value = "upsert")]
        mode: String,
        /// Show what would happen without writing anything
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON object with the counts, errors and rows_to_leads
        #[arg(long)]
        json: bool,
        /// Override the detected encoding (utf-8, shift_jis/cp932, euc-jp)
        #[arg(long)]
        encoding: Option<String>,
        /// The .xlsx sheet to read [default: the first]
        #[arg(long)]
        sheet: Option<String>,
        /// Rows matched and written at a time, all in one transaction: memory grows with
        /// it (about 400 MB at 100,000 rows into a million leads)
        #[arg(long, env = "ONDO_IMPORT_CHUNK_ROWS", default_value_t = ondo_jobs::import::CHUNK_ROWS,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        chunk_rows: usize,
        /// Print how far the import has got on stderr, every second (the default when
        /// stderr is a terminal)
        #[arg(long)]
        progress: bool,
    },
    /// Export leads as CSV (UTF-8 with BOM, or CP932) or .xlsx.
    Export {
        /// csv or xlsx
        #[arg(long, default_value = "csv")]
        format: String,
        /// For CSV: utf8 (with a BOM, for current Excel) or cp932 (for old Excel)
        #[arg(long, default_value = "utf8")]
        encoding: String,
        /// The file to write
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Only leads in this status (new, nurturing, sales_ready, opportunity, lost_dormant)
        #[arg(long)]
        status: Option<String>,
        /// Only leads with a touchpoint from this source
        #[arg(long)]
        source: Option<String>,
        /// Header language: ja or en
        #[arg(long, default_value = "ja")]
        lang: String,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The AI score: backtest it on a spreadsheet of past leads.
    Model {
        #[command(subcommand)]
        command: crate::model_cmd::ModelCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        email: String,
        /// admin, manager, marketing or sales
        #[arg(long)]
        role: String,
        /// Display name (defaults to the part of the email before @)
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (only the token).
    Create {
        #[arg(long)]
        user: String,
        /// A name to recognise the token by
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// Parses the arguments, runs the command, and turns errors into a message and exit 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let overrides = Overrides {
        config_file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        workspace: cli.workspace.clone(),
        listen,
        public_url: cli.public_url.clone(),
        smtp_url: cli.smtp_url.clone(),
        smtp_from: cli.smtp_from.clone(),
    };
    let config = match Config::load(&overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ONDO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open(config: &Config) -> anyhow::Result<(Db, Workspace)> {
    let url = config.effective_database_url();
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
    }
    let db = Db::connect(&url).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot open the database {}: {e}",
            ondo_store::redact_url(&url)
        )
    })?;
    let ws = ondo_store::workspaces::ensure(&db, &config.workspace).await?;
    Ok((db, ws))
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            let (db, ws) = open(&config).await?;
            println!("database is up to date (workspace \"{}\")", ws.name);
            db.close().await;
            Ok(())
        }
        Command::Serve { demo, .. } => serve(config, demo).await,
        Command::Model { command } => crate::model_cmd::run(command, &config).await,
        Command::Export {
            format,
            encoding,
            output,
            status,
            source,
            lang,
        } => export(&config, &format, &encoding, &output, status, source, &lang).await,
        Command::Import {
            file,
            source,
            mode,
            dry_run,
            json,
            encoding,
            sheet,
            chunk_rows,
            progress,
        } => {
            let how = ImportRun {
                source,
                mode,
                dry_run,
                json,
                chunk_rows,
                progress,
            };
            import(&config, &file, encoding, sheet, how).await
        }
        Command::User {
            command: UserCommand::Add { email, role, name },
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            if ondo_web::password::check_policy(&password).is_err() {
                anyhow::bail!(
                    "the password read from standard input must be at least 10 characters"
                );
            }
            let (db, ws) = open(&config).await?;
            let display =
                name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_string());
            let hash = ondo_web::password::hash(&password, false);
            let user =
                ondo_store::users::create(&db, ws.id(), email.as_str(), &display, role, &hash)
                    .await?;
            ondo_store::audit::record(
                &db,
                ws.id(),
                &ondo_store::Actor::system("cli"),
                "user",
                Some(user.id),
                "create",
                Some(&serde_json::json!({"email": user.email, "role": user.role}).to_string()),
            )
            .await?;
            eprintln!(
                "added {} ({}) to workspace \"{}\"",
                user.email,
                role.key(),
                ws.name
            );
            db.close().await;
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { user, name },
        } => {
            let (db, ws) = open(&config).await?;
            let email = Email::parse(&user).map_err(|e| anyhow::anyhow!("{e}"))?;
            let u = ondo_store::users::find_by_email(&db, ws.id(), email.as_str())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {} in workspace \"{}\"", email, ws.name))?;
            let token = ondo_web::new_token(ws.id());
            ondo_store::tokens::create(&db, ws.id(), u.id, &name, &token).await?;
            ondo_store::audit::record(
                &db,
                ws.id(),
                &ondo_store::Actor::system("cli"),
                "user",
                Some(u.id),
                "token_create",
                Some(&serde_json::json!({"name": name}).to_string()),
            )
            .await?;
            println!("{token}");
            db.close().await;
            Ok(())
        }
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let public_url = config
        .checked_public_url()
        .map_err(|e| anyhow::anyhow!(e))?;
    let (db, ws) = open(&config).await?;
    if demo {
        match crate::demo_load::load_if_empty(&db, ws.id(), false).await? {
            Some(s) => eprintln!(
                "loaded the demo workspace: {} leads at {} companies, {} events, {} users\n\
                 AI score: {}",
                s.leads, s.companies, s.events, s.users, s.ai
            ),
            None => eprintln!(
                "the workspace \"{}\" already has leads; the demo was not loaded again",
                ws.name
            ),
        }
    }
    let web = ondo_web::WebConfig {
        secure_cookies: config.secure_cookies,
        public_url,
        smtp_url: config.smtp_url.clone(),
        smtp_from: config.smtp_from.clone(),
        import_chunk_rows: config.import_chunk_rows.max(1),
        ..Default::default()
    };
    let app = Application::build(db.clone(), ws.clone(), &config.listen, web).await?;
    let addr = app.local_addr();
    println!(
        "Ondo is serving workspace \"{}\" at http://{addr}  (started in {} ms)",
        ws.name,
        started.elapsed().as_millis()
    );
    if demo
        && ondo_store::users::find_by_email(&db, ws.id(), DEMO_ADMIN)
            .await?
            .is_some()
    {
        println!("Sign in at http://{addr}/login as {DEMO_ADMIN} with password {DEMO_PASSWORD}");
        println!("(other demo users: manager@, sato@ … @demo.ondo.example, same password)");
    } else if ondo_store::users::count(&db, ws.id()).await? == 0 {
        println!(
            "No users yet: add one with `ondo user add you@example.com --role admin` (password on stdin)"
        );
    }
    match &config.smtp_url {
        Some(url) => println!(
            "Handoff emails go through {}",
            ondo_jobs::notify::mail::redact(url)
        ),
        None => println!(
            "Handoff emails are not sent: no SMTP server (set ONDO_SMTP_URL or --smtp-url)"
        ),
    }
    app.run_until(shutdown_signal()).await
}

/// How `ondo import` runs (its options besides the file and how to read it).
struct ImportRun {
    source: Option<String>,
    mode: String,
    dry_run: bool,
    json: bool,
    chunk_rows: usize,
    progress: bool,
}

async fn import(
    config: &Config,
    file: &std::path::Path,
    encoding: Option<String>,
    sheet: Option<String>,
    how: ImportRun,
) -> anyhow::Result<()> {
    use ondo_jobs::import::{ImportMode, ImportOptions, ImportProgress};
    use std::io::IsTerminal;
    let ImportRun {
        source,
        mode,
        dry_run,
        json,
        chunk_rows,
        progress,
    } = how;
    let mode = mode.as_str();
    let fail = |error: &str, message: String| -> anyhow::Result<()> {
        if json {
            println!(
                "{}",
                serde_json::json!({ "error": error, "message": message })
            );
            std::process::exit(1);
        }
        anyhow::bail!(message)
    };
    let Some(mode) = ImportMode::parse(mode) else {
        return fail(
            "invalid_mode",
            format!("--mode must be new, upsert or update, not \"{mode}\""),
        );
    };
    let opts = ondo_ingest::OpenOptions {
        encoding,
        sheet,
        mapping: None,
    };
    let source_file = match ondo_ingest::SourceFile::open(file, &opts) {
        Ok(f) => f,
        Err(e) => return fail("invalid_file", format!("{}: {e}", file.display())),
    };
    let (db, ws) = open(config).await?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let watched = (progress || std::io::stderr().is_terminal()).then(|| {
        let p = std::sync::Arc::new(ImportProgress::default());
        let estimate = source_file.estimated_rows.unwrap_or_else(|| {
            ondo_jobs::import::background::estimate_file_rows(file).unwrap_or(0)
        });
        p.set_total(estimate);
        p
    });
    let options = ImportOptions {
        source,
        mode,
        dry_run,
        file_name,
        actor: ondo_store::Actor::system("cli"),
        progress: watched.clone(),
        chunk_rows,
        preview_rows: None,
    };
    let ticker = watched.clone().map(|p| tokio::spawn(print_progress(p)));
    let result = ondo_jobs::import::run(&db, ws.id(), source_file, &options).await;
    if let (Some(ticker), Some(p)) = (ticker, &watched) {
        ticker.abort();
        let _ = ticker.await;
        progress_line(&p.snapshot(), true);
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            db.close().await;
            return fail(
                "import_failed",
                format!("{}: {e}; nothing was imported", file.display()),
            );
        }
    };
    db.close().await;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} rows: {} created, {} merged, {} updated, {} skipped, {} rejected{}",
            report.rows,
            report.created,
            report.merged,
            report.updated,
            report.skipped,
            report.errors.len(),
            if report.dry_run {
                " (dry run: nothing was written)"
            } else {
                ""
            }
        );
        for e in &report.errors {
            println!("  row {}: {}", e.row, e.message);
        }
        for w in &report.warnings {
            println!("  row {} (kept): {}", w.row, w.message);
        }
        if report.candidate_pairs > 0 {
            println!("{} possible duplicates to review", report.candidate_pairs);
        }
    }
    Ok(())
}

/// Prints the import's progress on stderr every second until aborted.
async fn print_progress(p: std::sync::Arc<ondo_jobs::import::ImportProgress>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        progress_line(&p.snapshot(), false);
    }
}

/// One line of progress: on a terminal it replaces the previous one.
fn progress_line(s: &ondo_jobs::import::progress::ProgressSnapshot, last: bool) {
    use ondo_jobs::import::ImportStage;
    use std::io::{IsTerminal, Write};
    let stage = match s.stage {
        ImportStage::Queued => "starting",
        ImportStage::Reading => "reading rows",
        ImportStage::LookingUp => "looking up existing leads",
        ImportStage::Matching => "matching",
        ImportStage::WritingLeads => "writing leads",
        ImportStage::WritingTouchpoints => "writing touchpoints",
        ImportStage::Committing => "committing",
        ImportStage::Done => "done",
    };
    let total = s.rows_total.max(s.rows_done);
    let line = format!(
        "import: {stage}, {} of {}{} rows read, {}%",
        s.rows_done,
        if s.rows_done < total { "about " } else { "" },
        total,
        s.permille() / 10
    );
    let mut err = std::io::stderr().lock();
    let _ = if err.is_terminal() {
        write!(err, "\r\x1b[2K{line}{}", if last { "\n" } else { "" })
    } else {
        writeln!(err, "{line}")
    };
    let _ = err.flush();
}

async fn export(
    config: &Config,
    format: &str,
    encoding: &str,
    output: &std::path::Path,
    status: Option<String>,
    source: Option<String>,
    lang: &str,
) -> anyhow::Result<()> {
    use ondo_jobs::export::{CsvEncoding, ExportFormat, HeaderLang};
    let format = match (format, encoding) {
        ("csv", "utf8" | "utf-8") => ExportFormat::Csv(CsvEncoding::Utf8),
        ("csv", "cp932" | "shift_jis" | "sjis") => ExportFormat::Csv(CsvEncoding::Cp932),
        ("csv", other) => anyhow::bail!("--encoding must be utf8 or cp932, not \"{other}\""),
        ("xlsx", _) => ExportFormat::Xlsx,
        (other, _) => anyhow::bail!("--format must be csv or xlsx, not \"{other}\""),
    };
    let lang = match lang {
        "ja" => HeaderLang::Ja,
        "en" => HeaderLang::En,
        other => anyhow::bail!("--lang must be ja or en, not \"{other}\""),
    };
    let status = match status {
        Some(s) => Some(ondo_domain::LeadStatus::parse(&s).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let filter = ondo_store::leads::LeadFilter {
        status,
        source,
        ..Default::default()
    };
    let (db, ws) = open(config).await?;
    // Written beside the target and renamed at the end: a failed export leaves no half file.
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.partial",
        output
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&tmp)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?,
    );
    let result =
        ondo_jobs::export::export_leads(&db, ws.id(), &filter, format, lang, &mut file).await;
    drop(file);
    db.close().await;
    match result {
        Ok(summary) => {
            std::fs::rename(&tmp, output)?;
            eprintln!("exported {} leads to {}", summary.leads, output.display());
            if summary.replaced_characters > 0 {
                eprintln!(
                    "{} characters that CP932 cannot hold were written as \"?\"; use --encoding utf8 to keep them",
                    summary.replaced_characters
                );
            }
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.into())
        }
    }
}
