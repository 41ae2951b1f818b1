//! Background imports started from the wizard: what to run, where it has got, and how it
//! ended. The import itself is one transaction elsewhere; a job only records it. What the
//! options mean, and the messages a failure carries, are the caller's.

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::Result;
use crate::{Db, WorkspaceId, with_db};

/// A job's state: `queued` → `running` → `done` or `failed`.
pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// One background import as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportJob {
    pub id: i64,
    pub created_by: Option<i64>,
    /// The wizard's upload token: the file waits under it until the job is done.
    pub upload_token: String,
    pub upload_path: String,
    pub file_name: String,
    /// JSON written and read by the runner.
    pub options: String,
    pub state: String,
    pub rows_done: i64,
    pub rows_total: i64,
    pub stage: String,
    /// The finished import (`imports.id`), once done.
    pub import_id: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ImportJob {
    /// Still to finish: queued or running.
    pub fn is_active(&self) -> bool {
        self.state == QUEUED || self.state == RUNNING
    }
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewImportJob {
    pub created_by: Option<i64>,
    pub upload_token: String,
    pub upload_path: String,
    pub file_name: String,
    pub options: String,
    /// Rows in the file, estimated.
    pub rows_total: i64,
}

const SELECT: &str = "SELECT id, created_by, upload_token, upload_path, file_name, options, state, \
    rows_done, rows_total, stage, import_id, error, created_at, updated_at FROM import_jobs";

/// Stores a new queued job.
pub async fn create(db: &Db, ws: WorkspaceId, job: &NewImportJob) -> Result<ImportJob> {
    let now = Micros::now().0;
    let id: i64 = with_db!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO import_jobs (workspace_id, created_by, upload_token, upload_path, file_name, \
             options, state, rows_done, rows_total, stage, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $7, $9, $9) RETURNING id",
        )
        .bind(ws.0)
        .bind(job.created_by)
        .bind(&job.upload_token)
        .bind(&job.upload_path)
        .bind(&job.file_name)
        .bind(&job.options)
        .bind(QUEUED)
        .bind(job.rows_total)
        .bind(now)
        .fetch_one(pool)
        .await?
    });
    get(db, ws, id).await
}

/// The job, or `NotFound` (also for a job of another workspace).
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<ImportJob> {
    let sql = format!("{SELECT} WHERE workspace_id = $1 AND id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ImportJob>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// The workspace's most recent jobs that did not finish well: queued, running or failed.
pub async fn list_unfinished(db: &Db, ws: WorkspaceId, limit: i64) -> Result<Vec<ImportJob>> {
    let sql = format!("{SELECT} WHERE workspace_id = $1 AND state <> $2 ORDER BY id DESC LIMIT $3");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ImportJob>(&sql)
            .bind(ws.0)
            .bind(DONE)
            .bind(limit)
            .fetch_all(pool)
            .await?)
    })
}

/// Moves a queued job to running; false when it was not queued.
pub async fn start(db: &Db, ws: WorkspaceId, id: i64, stage: &str) -> Result<bool> {
    let now = Micros::now().0;
    with_db!(db, pool => {
        Ok(sqlx::query(
            "UPDATE import_jobs SET state = $1, stage = $2, updated_at = $3 \
             WHERE workspace_id = $4 AND id = $5 AND state = $6",
        )
        .bind(RUNNING)
        .bind(stage)
        .bind(now)
        .bind(ws.0)
        .bind(id)
        .bind(QUEUED)
        .execute(pool)
        .await?
        .rows_affected()
            == 1)
    })
}

/// Records how far a running job has got.
pub async fn set_progress(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    stage: &str,
    rows_done: i64,
    rows_total: i64,
) -> Result<()> {
    let now = Micros::now().0;
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE import_jobs SET stage = $1, rows_done = $2, rows_total = $3, updated_at = $4 \
             WHERE workspace_id = $5 AND id = $6 AND state = $7",
        )
        .bind(stage)
        .bind(rows_done)
        .bind(rows_total)
        .bind(now)
        .bind(ws.0)
        .bind(id)
        .bind(RUNNING)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Marks an unfinished job done with the import it made.
pub async fn finish(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    import_id: i64,
    rows_total: i64,
) -> Result<()> {
    let now = Micros::now().0;
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE import_jobs SET state = $1, stage = $1, import_id = $2, rows_done = $3, \
             rows_total = $3, error = NULL, updated_at = $4 \
             WHERE workspace_id = $5 AND id = $6 AND state IN ($7, $8)",
        )
        .bind(DONE)
        .bind(import_id)
        .bind(rows_total)
        .bind(now)
        .bind(ws.0)
        .bind(id)
        .bind(QUEUED)
        .bind(RUNNING)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Marks an unfinished job failed with a message for the person who started it.
pub async fn fail(db: &Db, ws: WorkspaceId, id: i64, stage: &str, message: &str) -> Result<()> {
    let now = Micros::now().0;
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE import_jobs SET state = $1, stage = $2, error = $3, updated_at = $4 \
             WHERE workspace_id = $5 AND id = $6 AND state IN ($7, $8)",
        )
        .bind(FAILED)
        .bind(stage)
        .bind(message)
        .bind(now)
        .bind(ws.0)
        .bind(id)
        .bind(QUEUED)
        .bind(RUNNING)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// What `recover_interrupted` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Jobs whose import had committed before the process stopped: now done.
    pub done: usize,
    /// Jobs whose import never committed: now failed.
    pub failed: usize,
}

/// Settles the jobs a stopped process left queued or running. An import is one
/// transaction, so either its run was recorded (in `imports`, by the same person, with
/// the same file, source and mode, after the job was queued, and no other job has it) and
/// the job is done, or nothing was written and the job fails with `message` at `stage`.
pub async fn recover_interrupted(
    db: &Db,
    ws: WorkspaceId,
    stage: &str,
    message: &str,
    run_of: impl Fn(&ImportJob) -> Option<(String, String)>,
) -> Result<Recovered> {
    let sql = format!("{SELECT} WHERE workspace_id = $1 AND state IN ($2, $3) ORDER BY id");
    let jobs: Vec<ImportJob> = with_db!(db, pool => {
        sqlx::query_as::<_, ImportJob>(&sql)
            .bind(ws.0)
            .bind(QUEUED)
            .bind(RUNNING)
            .fetch_all(pool)
            .await?
    });
    let mut out = Recovered::default();
    for job in jobs {
        let committed = match run_of(&job) {
            Some((source, mode)) => committed_run(db, ws, &job, &source, &mode).await?,
            None => None,
        };
        match committed {
            Some(import_id) => {
                finish(db, ws, job.id, import_id, job.rows_total).await?;
                out.done += 1;
            }
            None => {
                fail(db, ws, job.id, stage, message).await?;
                out.failed += 1;
            }
        }
    }
    Ok(out)
}

/// The import run a job committed, if it did.
async fn committed_run(
    db: &Db,
    ws: WorkspaceId,
    job: &ImportJob,
    source: &str,
    mode: &str,
) -> Result<Option<i64>> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT i.id FROM imports i WHERE i.workspace_id = $1 AND i.file_name = $2 \
             AND i.source = $3 AND i.mode = $4 AND i.created_by = $5 AND i.created_at >= $6 \
             AND NOT EXISTS (SELECT 1 FROM import_jobs j WHERE j.workspace_id = i.workspace_id \
             AND j.import_id = i.id) ORDER BY i.id LIMIT 1",
        )
        .bind(ws.0)
        .bind(&job.file_name)
        .bind(source)
        .bind(mode)
        .bind(job.created_by)
        .bind(job.created_at)
        .fetch_optional(pool)
        .await?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_db;

    fn job(token: &str) -> NewImportJob {
        NewImportJob {
            created_by: Some(7),
            upload_token: token.into(),
            upload_path: format!("/tmp/{token}"),
            file_name: "tenjikai.csv".into(),
            options: r#"{"source":"展示会","mode":"upsert"}"#.into(),
            rows_total: 100,
        }
    }

    #[tokio::test]
    async fn a_job_runs_to_done_and_other_workspaces_never_see_it() {
        let db = fresh_db().await;
        let a = crate::workspaces::ensure(&db, "a").await.expect("ws").id();
        let b = crate::workspaces::ensure(&db, "b").await.expect("ws").id();
        let j = create(&db, a, &job("t1")).await.expect("create");
        assert_eq!((j.state.as_str(), j.rows_total), (QUEUED, 100));
        assert!(matches!(
            get(&db, b, j.id).await,
            Err(crate::StoreError::NotFound)
        ));
        assert!(!start(&db, b, j.id, "reading").await.expect("start"));
        assert!(start(&db, a, j.id, "reading").await.expect("start"));
        assert!(!start(&db, a, j.id, "reading").await.expect("once only"));
        set_progress(&db, b, j.id, "matching", 99, 100)
            .await
            .expect("no-op");
        set_progress(&db, a, j.id, "reading", 40, 120)
            .await
            .expect("progress");
        let now = get(&db, a, j.id).await.expect("get");
        assert_eq!(
            (now.stage.as_str(), now.rows_done, now.rows_total),
            ("reading", 40, 120)
        );
        assert_eq!(list_unfinished(&db, a, 10).await.expect("list").len(), 1);
        assert!(list_unfinished(&db, b, 10).await.expect("list").is_empty());
        finish(&db, a, j.id, 5, 118).await.expect("finish");
        fail(&db, a, j.id, "reading", "too late")
            .await
            .expect("no-op");
        let done = get(&db, a, j.id).await.expect("get");
        assert_eq!(
            (done.state.as_str(), done.import_id, done.rows_done),
            (DONE, Some(5), 118)
        );
        assert_eq!(done.error, None, "a finished job does not fail afterwards");
        assert!(list_unfinished(&db, a, 10).await.expect("list").is_empty());
    }

    #[tokio::test]
    async fn interrupted_jobs_fail_unless_their_import_committed() {
        let db = fresh_db().await;
        let ws = crate::workspaces::ensure(&db, "a").await.expect("ws").id();
        let other = crate::workspaces::ensure(&db, "b").await.expect("ws").id();
        let lost = create(&db, ws, &job("t1")).await.expect("create");
        start(&db, ws, lost.id, "writing_leads")
            .await
            .expect("start");
        let queued = create(&db, ws, &job("t2")).await.expect("create");
        let elsewhere = create(&db, other, &job("t3")).await.expect("create");
        let committed = create(&db, ws, &job("t4")).await.expect("create");
        // t4's import committed, then the process stopped before the job was marked done.
        let mut tx = db.begin_write().await.expect("tx");
        let run = crate::imports::record_run(
            &mut tx,
            ws,
            "tenjikai.csv",
            "展示会 t4",
            "upsert",
            [1, 1, 0, 0, 0],
            "[]",
            &crate::Actor::user(7, "web"),
        )
        .await
        .expect("run");
        tx.commit().await.expect("commit");

        let run_of =
            |j: &ImportJob| Some((format!("展示会 {}", j.upload_token), "upsert".to_string()));
        let r = recover_interrupted(&db, ws, "interrupted", "stopped", run_of)
            .await
            .expect("recover");
        assert_eq!(r, Recovered { done: 1, failed: 2 });
        for id in [lost.id, queued.id] {
            let j = get(&db, ws, id).await.expect("get");
            assert_eq!(j.state, FAILED);
            assert_eq!(j.stage, "interrupted");
            assert_eq!(j.error.as_deref(), Some("stopped"));
        }
        let j = get(&db, ws, committed.id).await.expect("get");
        assert_eq!((j.state.as_str(), j.import_id), (DONE, Some(run)));
        assert_eq!(
            get(&db, other, elsewhere.id).await.expect("get").state,
            QUEUED
        );
        let again = recover_interrupted(&db, ws, "interrupted", "stopped", run_of)
            .await
            .expect("recover");
        assert_eq!(again, Recovered::default());
    }
}
