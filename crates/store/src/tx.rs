//! One transaction over either driver, for work that must be all-or-nothing across many
//! statements and repositories (an import).

use crate::Db;
use crate::error::Result;

/// An open transaction; dropped without `commit`, it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the same body against whichever transaction `Tx` holds; `$conn` is the
/// `&mut Transaction`, usable as an executor with `&mut **$conn`.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite($conn) => $body,
            $crate::Tx::Postgres($conn) => $body,
        }
    };
}

impl Db {
    /// Begins a transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

impl Db {
    /// Begins a transaction that writes: on SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so what it reads stays true until it commits and the ids it
    /// reserves (see `imports::reserve_ids`) are its own; other writers wait. A transaction
    /// that reads and then writes must begin so: begun with [`Db::begin`], its first write
    /// fails at once with `SQLITE_BUSY` when another connection has written since its read
    /// (waiting cannot help: its snapshot is stale).
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// [`Db::begin_write`] for work that would rather wait than fail: while another
    /// connection (another process's import, say) holds SQLite's write lock, tries again
    /// until `patience` has passed, each try waiting out the busy timeout.
    pub async fn begin_write_waiting(&self, patience: std::time::Duration) -> Result<Tx> {
        let started = std::time::Instant::now();
        loop {
            match self.begin_write().await {
                Err(e) if e.is_busy() && started.elapsed() < patience => {
                    tracing::info!(
                        waited_s = started.elapsed().as_secs(),
                        "another write holds the database; waiting for it"
                    );
                }
                result => return result,
            }
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// The first key of the PostgreSQL advisory lock [`Tx::lock_matching`] takes ("ONDO").
const MATCHING_LOCK: i32 = 0x4F4E_444F;

impl Tx {
    /// Serialises the matching of incoming people and companies in a workspace (an import,
    /// a form, the API, a company typed on a lead): the look-up of who or which company a
    /// record may be and the lead or company it creates or joins are then one step, and
    /// two submissions of the same new person make one lead. On SQLite a transaction begun
    /// with [`Db::begin_write`] already holds the write lock; on PostgreSQL this takes a
    /// transaction-level advisory lock for the workspace, trying until `patience` has
    /// passed (then [`crate::StoreError::Busy`]).
    pub async fn lock_matching(
        &mut self,
        ws: crate::WorkspaceId,
        patience: std::time::Duration,
    ) -> Result<()> {
        let Tx::Postgres(conn) = self else {
            return Ok(());
        };
        let key = i32::try_from(ws.0).unwrap_or(i32::MAX);
        let started = std::time::Instant::now();
        loop {
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, $2)")
                .bind(MATCHING_LOCK)
                .bind(key)
                .fetch_one(&mut **conn)
                .await?;
            if got {
                return Ok(());
            }
            if started.elapsed() >= patience {
                return Err(crate::StoreError::Busy);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
