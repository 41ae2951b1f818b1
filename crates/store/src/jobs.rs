//! The durable jobs table: work to do outside a request (notifications, rescoring…),
//! written in the transaction of the change that asks for it and run by a worker that
//! leases due rows. A lease has an end: a job whose worker died is taken again after it.
//!
//! `attempts` counts the runs started and doubles as the lease's fencing token: a worker
//! finishes a job only while the row still carries the attempt it leased, so a worker
//! whose lease ran out cannot overwrite the outcome of the one that took the job over.
//! What a kind means and how long to wait before a retry are the caller's.

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Db, Tx, WorkspaceId, with_db, with_tx};

/// A job's state: `queued` → `running` → `done`, or back to `queued` for a retry, or
/// `failed` after its last attempt.
pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// The error a job carries when the process running it stopped before it finished.
pub const INTERRUPTED: &str = "interrupted: the server stopped before the job finished";

/// One job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub kind: String,
    /// JSON written by the code that queued the job and read by its handler.
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: i64,
    pub progress_done: i64,
    pub progress_total: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Job {
    /// Still to finish: queued (perhaps for a retry) or running.
    pub fn is_active(&self) -> bool {
        self.state == QUEUED || self.state == RUNNING
    }
}

/// A job with what it said when it finished, for pages that list recent jobs.
#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub job: Job,
    /// The finished job's own words, e.g. that nothing was sent and why.
    pub result: Option<String>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    workspace_id: i64,
    kind: String,
    payload: String,
    state: String,
    attempts: i32,
    max_attempts: i32,
    run_at: i64,
    progress_done: i64,
    progress_total: i64,
    last_error: Option<String>,
    result: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl JobRow {
    fn report(self) -> JobReport {
        JobReport {
            result: self.result,
            job: Job {
                id: self.id,
                workspace_id: WorkspaceId(self.workspace_id),
                kind: self.kind,
                payload: self.payload,
                state: self.state,
                attempts: self.attempts,
                max_attempts: self.max_attempts,
                run_at: self.run_at,
                progress_done: self.progress_done,
                progress_total: self.progress_total,
                last_error: self.last_error,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
        }
    }
    fn job(self) -> Job {
        self.report().job
    }
}

const COLUMNS: &str = "id, workspace_id, kind, payload, state, attempts, max_attempts, run_at, \
    progress_done, progress_total, last_error, result, created_at, updated_at";

const INSERT: &str = "INSERT INTO jobs (workspace_id, kind, payload, state, attempts, max_attempts, \
    run_at, created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6) RETURNING id";

/// Refuses what would make a job that can never run.
fn check(kind: &str, max_attempts: i32) -> Result<()> {
    if kind.trim().is_empty() {
        return Err(StoreError::Conflict("a job needs a kind".into()));
    }
    if max_attempts < 1 {
        return Err(StoreError::Conflict(format!(
            "max_attempts must be at least 1, not {max_attempts}"
        )));
    }
    Ok(())
}

/// Inside the caller's transaction: a job is durable exactly when the change that
/// asked for it is.
pub async fn enqueue(
    tx: &mut Tx,
    ws: WorkspaceId,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
    max_attempts: i32,
) -> Result<i64> {
    check(kind, max_attempts)?;
    let now = Micros::now().0;
    let payload = payload.to_string();
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(INSERT)
            .bind(ws.0)
            .bind(kind)
            .bind(&payload)
            .bind(max_attempts)
            .bind(run_at)
            .bind(now)
            .fetch_one(&mut **conn)
            .await?
    }))
}

/// [`enqueue`] on its own, for a job that belongs to no other change.
pub async fn enqueue_db(
    db: &Db,
    ws: WorkspaceId,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
    max_attempts: i32,
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let id = enqueue(&mut tx, ws, kind, payload, run_at, max_attempts).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records how far a job has got (`done` of `total` units, e.g. leads rescored).
pub async fn set_progress(db: &Db, ws: WorkspaceId, id: i64, done: i64, total: i64) -> Result<()> {
    let now = Micros::now().0;
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE jobs SET progress_done = $3, progress_total = $4, updated_at = $5 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(done)
        .bind(total)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// The job, or `None` (also for a job of another workspace).
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Option<Job>> {
    Ok(get_report(db, ws, id).await?.map(|r| r.job))
}

/// The job with its result, or `None` (also for a job of another workspace).
pub async fn get_report(db: &Db, ws: WorkspaceId, id: i64) -> Result<Option<JobReport>> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE workspace_id = $1 AND id = $2");
    let row = with_db!(db, pool => {
        sqlx::query_as::<_, JobRow>(&sql).bind(ws.0).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(JobRow::report))
}

/// The workspace's most recently queued job of this kind.
pub async fn latest(db: &Db, ws: WorkspaceId, kind: &str) -> Result<Option<Job>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE workspace_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1"
    );
    let row = with_db!(db, pool => {
        sqlx::query_as::<_, JobRow>(&sql).bind(ws.0).bind(kind).fetch_optional(pool).await?
    });
    Ok(row.map(JobRow::job))
}

/// The workspace's most recent jobs of these kinds, newest first, with their results.
pub async fn recent(
    db: &Db,
    ws: WorkspaceId,
    kinds: &[&str],
    limit: i64,
) -> Result<Vec<JobReport>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE workspace_id = $1 AND kind IN ({}) ORDER BY id DESC LIMIT $2",
        placeholders.join(", ")
    );
    let rows = with_db!(db, pool => {
        let mut q = sqlx::query_as::<_, JobRow>(&sql).bind(ws.0).bind(limit);
        for k in kinds {
            q = q.bind(*k);
        }
        q.fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(JobRow::report).collect())
}

/// Whether any job, of any workspace, is due at `now` (queued and due, or running with
/// its lease run out): a read, so an idle worker takes no write lock.
pub async fn any_due(db: &Db, now: i64) -> Result<bool> {
    let sql = "SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $1) \
               OR (state = 'running' AND lease_until <= $1) LIMIT 1";
    let found: Option<i64> = with_db!(db, pool => {
        sqlx::query_scalar(sql).bind(now).fetch_optional(pool).await?
    });
    Ok(found.is_some())
}

/// Takes up to `limit` due jobs of every workspace, oldest due first, for `lease_for`
/// microseconds: each becomes `running` with one more attempt. A running job whose
/// lease ran out is due again; one whose lease ran out on its last attempt is failed
/// with [`INTERRUPTED`] instead. Two leases never take the same job: PostgreSQL skips
/// the rows another lease has locked, and SQLite runs one writing statement at a time.
pub async fn lease(db: &Db, now: i64, lease_for: i64, limit: i64) -> Result<Vec<Job>> {
    let until = now.saturating_add(lease_for);
    let give_up = "UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = $2, updated_at = $1 \
                   WHERE state = 'running' AND lease_until <= $1 AND attempts >= max_attempts";
    let due = "(state = 'queued' AND run_at <= $1) OR (state = 'running' AND lease_until <= $1)";
    let set = "state = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $1";
    let mut rows: Vec<JobRow> = match db {
        Db::Sqlite(pool) => {
            sqlx::query(give_up)
                .bind(now)
                .bind(INTERRUPTED)
                .execute(pool)
                .await?;
            let sql = format!(
                "UPDATE jobs SET {set} WHERE id IN \
                 (SELECT id FROM jobs WHERE {due} ORDER BY run_at, id LIMIT $3) RETURNING {COLUMNS}"
            );
            sqlx::query_as(&sql)
                .bind(now)
                .bind(until)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
        Db::Postgres(pool) => {
            sqlx::query(give_up)
                .bind(now)
                .bind(INTERRUPTED)
                .execute(pool)
                .await?;
            let set =
                "state = 'running', attempts = j.attempts + 1, lease_until = $2, updated_at = $1";
            let returning: Vec<String> = COLUMNS.split(", ").map(|c| format!("j.{c}")).collect();
            let sql = format!(
                "UPDATE jobs j SET {set} FROM \
                 (SELECT workspace_id, id FROM jobs WHERE {due} ORDER BY run_at, id LIMIT $3 \
                  FOR UPDATE SKIP LOCKED) d \
                 WHERE j.workspace_id = d.workspace_id AND j.id = d.id RETURNING {}",
                returning.join(", ")
            );
            sqlx::query_as(&sql)
                .bind(now)
                .bind(until)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
    };
    rows.sort_by_key(|r| (r.run_at, r.id));
    Ok(rows.into_iter().map(JobRow::job).collect())
}

/// Marks a leased job done, with what it has to say; false when the lease was lost (the
/// job was taken over or settled meanwhile) and nothing was changed.
pub async fn complete(db: &Db, job: &Job, now: i64, result: Option<&str>) -> Result<bool> {
    let changed = with_db!(db, pool => {
        sqlx::query(
            "UPDATE jobs SET state = 'done', lease_until = NULL, result = $4, updated_at = $5 \
             WHERE workspace_id = $1 AND id = $2 AND state = 'running' AND attempts = $3",
        )
        .bind(job.workspace_id.0)
        .bind(job.id)
        .bind(job.attempts)
        .bind(result)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(changed == 1)
}

/// How a failed attempt left its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Queued again, due at the retry time.
    Retry,
    /// Failed for good: that was the last attempt, or the error was permanent.
    Failed,
    /// The lease was lost meanwhile; nothing was changed.
    LeaseLost,
}

/// Records a leased job's failed attempt: queued again at `retry_at`, or failed when it
/// was the last attempt or `retry_at` is `None` (an error no retry can mend).
pub async fn fail(
    db: &Db,
    job: &Job,
    now: i64,
    error: &str,
    retry_at: Option<i64>,
) -> Result<Failure> {
    let state: Option<String> = with_db!(db, pool => {
        sqlx::query_scalar(
            "UPDATE jobs SET \
             state = CASE WHEN $4 AND attempts < max_attempts THEN 'queued' ELSE 'failed' END, \
             run_at = CASE WHEN $4 AND attempts < max_attempts THEN $5 ELSE run_at END, \
             lease_until = NULL, last_error = $6, updated_at = $7 \
             WHERE workspace_id = $1 AND id = $2 AND state = 'running' AND attempts = $3 \
             RETURNING state",
        )
        .bind(job.workspace_id.0)
        .bind(job.id)
        .bind(job.attempts)
        .bind(retry_at.is_some())
        .bind(retry_at.unwrap_or(now))
        .bind(error)
        .bind(now)
        .fetch_optional(pool)
        .await?
    });
    Ok(match state.as_deref() {
        Some(QUEUED) => Failure::Retry,
        Some(_) => Failure::Failed,
        None => Failure::LeaseLost,
    })
}

/// Jobs settled at start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Interrupted jobs queued to run again now.
    pub requeued: u64,
    /// Interrupted jobs that were on their last attempt.
    pub failed: u64,
}

/// At start-up, before any worker runs: jobs left `running` by a stopped process did
/// not finish; each is queued to run again at `now`, or failed if that was its last
/// attempt. (One server runs the jobs of a database; its own jobs are never running
/// before its worker starts.)
pub async fn recover(db: &Db, now: i64) -> Result<Recovered> {
    let failed = with_db!(db, pool => {
        sqlx::query(
            "UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = $2, updated_at = $1 \
             WHERE state = 'running' AND attempts >= max_attempts",
        )
        .bind(now)
        .bind(INTERRUPTED)
        .execute(pool)
        .await?
        .rows_affected()
    });
    let requeued = with_db!(db, pool => {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $1, lease_until = NULL, last_error = $2, \
             updated_at = $1 WHERE state = 'running'",
        )
        .bind(now)
        .bind(INTERRUPTED)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(Recovered { requeued, failed })
}
