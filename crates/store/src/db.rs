use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::error::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database: embedded SQLite by default, PostgreSQL when configured.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which engine a `Db` runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// Runs the same query body against whichever pool the `Db` holds. The body is compiled
/// once per driver, so a query written with `$1` placeholders works on both.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    /// `sqlite://path`, `sqlite::memory:` and `postgres://…` are understood.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let opts = if memory {
                opts
            } else {
                // A 64 MiB page cache per connection (SQLite's default is 2 MiB): a bulk
                // write touches random pages of every index of a large table, and with
                // the default cache each touch is a system call.
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .pragma("cache_size", "-65536")
                    .pragma("temp_store", "memory")
            };
            // An in-memory database lives in one connection only.
            let max = if memory { 1 } else { 8 };
            let pool = SqlitePoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Db::Sqlite(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        db.migrate().await?;
        let reindexed = crate::leads::reindex_search(&db).await?;
        if reindexed > 0 {
            tracing::info!(leads = reindexed, "lead search texts rewritten");
        }
        db.refresh_statistics().await?;
        Ok(db)
    }

    /// Keeps SQLite's planner statistics for the leads table current. Without them, at 1M
    /// leads a company's leads are found by walking the whole table in id order (seconds)
    /// instead of through `leads_company_name` (milliseconds). Analyzes when a table of
    /// 10,000 leads or more has no statistics yet, or has grown or shrunk by a fifth since
    /// (about a second at 1M); PostgreSQL's autovacuum does this by itself. Returns whether
    /// it analyzed.
    pub async fn refresh_statistics(&self) -> Result<bool> {
        let Db::Sqlite(pool) = self else {
            return Ok(false);
        };
        let rows: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM leads")
            .fetch_one(pool)
            .await?;
        if rows < 10_000 {
            return Ok(false);
        }
        let has_stats: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
        )
        .fetch_one(pool)
        .await?;
        let analyzed: Option<i64> = if has_stats > 0 {
            sqlx::query_scalar::<_, String>(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'leads' LIMIT 1",
            )
            .fetch_optional(pool)
            .await?
            .and_then(|stat| stat.split(' ').next().and_then(|n| n.parse().ok()))
        } else {
            None
        };
        let stale = analyzed.is_none_or(|n| rows * 5 > n * 6 || rows * 6 < n * 5);
        if stale {
            sqlx::query("ANALYZE leads").execute(pool).await?;
        }
        Ok(stale)
    }

    /// The SQLite database file inside `data_dir`, created with its directory if needed.
    pub async fn open_data_dir(data_dir: &Path) -> Result<Db> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join("ondo.db");
        Db::connect(&format!("sqlite://{}", path.display())).await
    }

    /// Applies pending migrations for this engine.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    pub fn kind(&self) -> DbKind {
        match self {
            Db::Sqlite(_) => DbKind::Sqlite,
            Db::Postgres(_) => DbKind::Postgres,
        }
    }

    pub async fn close(&self) {
        with_db!(self, pool => pool.close().await)
    }

    /// Table name → sorted column names, for the schema parity test and diagnostics.
    pub async fn schema_columns(&self) -> Result<Vec<(String, Vec<String>)>> {
        let rows: Vec<(String, String)> = match self {
            Db::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
                )
                .fetch_all(pool)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
                )
                .fetch_all(pool)
                .await?
            }
        };
        let mut map: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (t, c) in rows {
            map.entry(t).or_default().push(c);
        }
        Ok(map
            .into_iter()
            .map(|(t, mut cs)| {
                cs.sort();
                (t, cs)
            })
            .collect())
    }
}

/// The URL with any password replaced, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparseable database URL>".to_string(),
    }
}
