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
    let (db, ws) = open(&config).await?;
    if demo {
        match crate::demo_load::load_if_empty(&db, ws.id(), false).await? {
            Some(s) => eprintln!(
                "loaded the demo workspace: {} leads at {} companies, {} events, {} users",
                s.leads, s.companies, s.events, s.users
            ),
            None => eprintln!(
                "the workspace \"{}\" already has leads; the demo was not loaded again",
                ws.name
            ),
        }
    }
    let web = ondo_web::WebConfig {
        secure_cookies: config.secure_cookies,
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
    app.run_until(shutdown_signal()).await
}
