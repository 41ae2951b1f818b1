//! Imports started from the wizard run in the background: the request queues a job (a row
//! in `import_jobs`) and returns at once; a task runs the import and copies its progress
//! into the row, and a page shows it. Imports run one at a time, in the order queued.
//!
//! The import itself is one transaction, so a job that did not reach `done` wrote
//! nothing. A job a stopped process left behind is settled at the next start
//! ([`recover`]): done if its import had committed, failed otherwise.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use ondo_ingest::{Column, ColumnTarget, IngestError, LeadField, OpenOptions, SourceFile};
use ondo_store::import_jobs::{self, ImportJob, NewImportJob, Recovered};
use ondo_store::{Actor, Db, DbKind, StoreError, WorkspaceId};
use serde::{Deserialize, Serialize};

use super::{ImportError, ImportMode, ImportOptions, ImportProgress, ImportReport, ImportStage};

/// How often a running job's progress is copied into its row.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// The stage a job fails at when a stopped process interrupted it.
pub const INTERRUPTED: &str = "interrupted";

/// The message of a job a stopped process interrupted.
pub const INTERRUPTED_MESSAGE: &str = "The import was interrupted: the server stopped before it \
    finished. Nothing was written (an import is one transaction). Run it again from the upload.";

/// What a wizard job runs with, kept as JSON in its row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOptions {
    /// The touchpoint name every row becomes (already defaulted to the file name).
    pub source: String,
    /// `new`, `upsert` or `update`.
    pub mode: String,
    /// A forced encoding, or None to detect it.
    pub encoding: Option<String>,
    /// The wizard's column choices: column index → a lead field key, `custom` or `ignore`.
    pub mapping: BTreeMap<usize, String>,
    /// Data rows read, matched and written at a time (the server's `ONDO_IMPORT_CHUNK_ROWS`);
    /// [`super::CHUNK_ROWS`] for jobs queued before it was recorded.
    #[serde(default = "default_chunk_rows")]
    pub chunk_rows: usize,
}

fn default_chunk_rows() -> usize {
    super::CHUNK_ROWS
}

/// The column targets `chosen` asks for, for the file's columns; unknown choices are
/// left to the detected mapping.
pub fn mapping_overrides(
    columns: &[Column],
    chosen: &BTreeMap<usize, String>,
) -> Vec<(usize, ColumnTarget)> {
    columns
        .iter()
        .filter_map(|c| {
            let v = chosen.get(&c.index)?;
            Some((
                c.index,
                match v.as_str() {
                    "ignore" => ColumnTarget::Ignore,
                    "custom" => ColumnTarget::Custom(c.header.clone()),
                    key => ColumnTarget::Field(LeadField::parse(key)?),
                },
            ))
        })
        .collect()
}

/// Opens an upload with the wizard's encoding and column choices.
pub fn open(path: &Path, options: &JobOptions) -> Result<SourceFile, IngestError> {
    let mut opts = OpenOptions {
        encoding: options.encoding.clone(),
        sheet: None,
        mapping: None,
    };
    let file = SourceFile::open(path, &opts)?;
    let overrides = mapping_overrides(&file.columns, &options.mapping);
    if overrides.is_empty() {
        return Ok(file);
    }
    opts.mapping = Some(overrides);
    SourceFile::open(path, &opts)
}

/// About how many data rows a file has, for the progress bar before it is read: its
/// lines (or vCards) less the header. Zero for spreadsheets, which must be unpacked first.
pub fn estimate_rows(bytes: &[u8]) -> usize {
    let mut count = RowEstimate::default();
    count.add(bytes);
    count.rows()
}

/// [`estimate_rows`] of a file, read a block at a time (the file is never in memory).
pub fn estimate_file_rows(path: &std::path::Path) -> std::io::Result<usize> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut block = vec![0u8; 1 << 20];
    let mut count = RowEstimate::default();
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            return Ok(count.rows());
        }
        count.add(&block[..n]);
    }
}

const CARD_END: &[u8] = b"END:VCARD";

/// Lines and vCard ends counted over a file's blocks.
#[derive(Default)]
struct RowEstimate {
    /// The first bytes of the file (its kind).
    head: Vec<u8>,
    lines: usize,
    cards: usize,
    /// The last bytes seen, fewer than a card end: one may begin in them.
    tail: Vec<u8>,
}

impl RowEstimate {
    fn add(&mut self, block: &[u8]) {
        if self.head.len() < 8 {
            let take = (8 - self.head.len()).min(block.len());
            self.head.extend_from_slice(&block[..take]);
        }
        self.lines += block.iter().filter(|&&b| b == b'\n').count();
        // Every card end that ends in this block lies in the tail (fewer bytes than a card
        // end) and the block; those that ended earlier were counted then.
        let mut joined = std::mem::take(&mut self.tail);
        joined.extend_from_slice(block);
        self.cards += joined
            .windows(CARD_END.len())
            .filter(|w| *w == CARD_END)
            .count();
        let from = joined.len().saturating_sub(CARD_END.len() - 1);
        self.tail = joined.split_off(from);
    }

    fn rows(&self) -> usize {
        const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        if self.head.starts_with(b"PK\x03\x04") || self.head.starts_with(&OLE) {
            return 0;
        }
        if self.cards > 0 {
            return self.cards;
        }
        let last = self.tail.last();
        (self.lines + usize::from(last.is_some_and(|&b| b != b'\n'))).saturating_sub(1)
    }
}

/// Queues an import of the upload at `upload_path` and starts it in the background.
pub async fn queue(
    db: &Db,
    ws: WorkspaceId,
    actor_user: i64,
    upload_token: &str,
    upload_path: &Path,
    file_name: &str,
    options: &JobOptions,
) -> Result<ImportJob, StoreError> {
    let job = import_jobs::create(
        db,
        ws,
        &NewImportJob {
            created_by: Some(actor_user),
            upload_token: upload_token.to_string(),
            upload_path: upload_path.display().to_string(),
            file_name: file_name.to_string(),
            options: serde_json::to_string(options)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            rows_total: 0,
        },
    )
    .await?;
    tokio::spawn(run_job(db.clone(), ws, job.id));
    Ok(job)
}

/// The workspace's unfinished job for this upload, if one is queued or running (a second
/// click on "run" goes to it instead of importing the file twice).
pub async fn active_for_upload(
    db: &Db,
    ws: WorkspaceId,
    upload_token: &str,
) -> Result<Option<ImportJob>, StoreError> {
    Ok(import_jobs::list_unfinished(db, ws, 100)
        .await?
        .into_iter()
        .find(|j| j.is_active() && j.upload_token == upload_token))
}

/// Imports run one at a time: on SQLite an import holds the write lock until it commits,
/// and a second would wait for it anyway.
static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// The progress of the jobs running in this process, by job (upload token and id). The
/// row has it too, but on SQLite it cannot be written while the import holds the write
/// lock, so pages read it from here.
static LIVE: LazyLock<Mutex<HashMap<LiveKey, Arc<ImportProgress>>>> =
    LazyLock::new(Default::default);

/// A running job: its upload token (random, so jobs of databases in other tests of the
/// same process never share a key) and its id.
type LiveKey = (String, i64);

fn live(job: &ImportJob) -> Option<Arc<ImportProgress>> {
    LIVE.lock()
        .ok()?
        .get(&(job.upload_token.clone(), job.id))
        .cloned()
}

/// Keeps a job's progress in [`LIVE`] while it runs.
struct LiveEntry(LiveKey);

impl LiveEntry {
    fn new(job: &ImportJob, progress: Arc<ImportProgress>) -> LiveEntry {
        let key = (job.upload_token.clone(), job.id);
        if let Ok(mut map) = LIVE.lock() {
            map.insert(key.clone(), progress);
        }
        LiveEntry(key)
    }
}

impl Drop for LiveEntry {
    fn drop(&mut self) {
        if let Ok(mut map) = LIVE.lock() {
            map.remove(&self.0);
        }
    }
}

/// Runs a queued job to its end: done with its import, or failed with a message saying
/// why. Tests await it directly.
pub async fn run_job(db: Db, ws: WorkspaceId, id: i64) {
    let job = match import_jobs::get(&db, ws, id).await {
        Ok(j) => j,
        Err(e) => {
            tracing::error!(error = %e, job = id, "import job vanished");
            return;
        }
    };
    let progress = Arc::new(ImportProgress::default());
    let _live = LiveEntry::new(&job, progress.clone());
    let _turn = ONE_AT_A_TIME.acquire().await;
    match import_jobs::start(&db, ws, id, ImportStage::Reading.key()).await {
        Ok(true) => {}
        Ok(false) => return, // settled meanwhile
        Err(e) => {
            tracing::error!(error = %e, job = id, "cannot start the import job");
            return;
        }
    }
    progress.set_stage(ImportStage::Reading);
    let path = PathBuf::from(&job.upload_path);
    let estimate = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || estimate_file_rows(&path))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0)
    };
    progress.set_total(estimate);
    copy_progress(&db, ws, id, &progress).await;

    // The import runs in a task of its own: its parsing and matching do not yield, and
    // the progress must be copied meanwhile.
    let work = tokio::spawn(execute(db.clone(), ws, job.clone(), progress.clone()));
    tokio::pin!(work);
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    let result = loop {
        tokio::select! {
            r = &mut work => break r,
            _ = tick.tick() => copy_progress(&db, ws, id, &progress).await,
        }
    };
    let outcome = match result {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, job = id, "the import task panicked");
            Err("the import stopped on an internal error; nothing was written".to_string())
        }
    };
    let settled = match outcome {
        Ok(report) => match report.import_id {
            Some(import_id) => {
                let settled = import_jobs::finish(&db, ws, id, import_id, report.rows as i64).await;
                let _ = std::fs::remove_file(&path);
                let _ = std::fs::remove_file(path.with_extension("name"));
                tracing::info!(job = id, import_id, rows = report.rows, "import job done");
                settled
            }
            None => import_jobs::fail(&db, ws, id, "done", "the import recorded no run").await,
        },
        Err(message) => {
            let stage = progress.snapshot().stage;
            tracing::info!(job = id, stage = stage.key(), %message, "import job failed");
            import_jobs::fail(&db, ws, id, stage.key(), &message).await
        }
    };
    if let Err(e) = settled {
        tracing::error!(error = %e, job = id, "cannot record how the import job ended");
    }
}

/// Copies the progress into the job's row. On SQLite only while the first chunk is read:
/// after that the import holds the write lock and the copy would wait for it (pages read
/// the live progress then).
async fn copy_progress(db: &Db, ws: WorkspaceId, id: i64, progress: &ImportProgress) {
    let s = progress.snapshot();
    if db.kind() == DbKind::Sqlite && (s.stage != ImportStage::Reading || s.rows_finished > 0) {
        return;
    }
    let written = import_jobs::set_progress(
        db,
        ws,
        id,
        s.stage.key(),
        s.rows_done as i64,
        s.rows_total as i64,
    )
    .await;
    if let Err(e) = written {
        tracing::debug!(error = %e, job = id, "progress not recorded");
    }
}

/// The import of a job; the error is the message to show.
async fn execute(
    db: Db,
    ws: WorkspaceId,
    job: ImportJob,
    progress: Arc<ImportProgress>,
) -> Result<ImportReport, String> {
    let options: JobOptions = serde_json::from_str(&job.options)
        .map_err(|e| format!("the job's options are unreadable: {e}"))?;
    let mode = ImportMode::parse(&options.mode)
        .ok_or_else(|| format!("unknown import mode \"{}\"", options.mode))?;
    let file = open(Path::new(&job.upload_path), &options).map_err(|e| e.to_string())?;
    // A workbook's rows are not counted from its bytes; its sheet says how many it has.
    if let Some(rows) = file.estimated_rows {
        progress.set_total(rows);
    }
    let opts = ImportOptions {
        source: Some(options.source),
        mode,
        dry_run: false,
        file_name: job.file_name.clone(),
        actor: match job.created_by {
            Some(user) => Actor::user(user, "web"),
            None => Actor::system("web"),
        },
        progress: Some(progress),
        chunk_rows: options.chunk_rows.max(1),
        preview_rows: None,
    };
    super::run(&db, ws, file, &opts).await.map_err(|e| match e {
        e @ (ImportError::Busy | ImportError::File(_)) => format!("{e}; nothing was imported"),
        ImportError::Store(e) => {
            tracing::error!(error = %e, job = job.id, "import failed in the database");
            "the database refused the import (the server log has the details); nothing was \
             imported"
                .to_string()
        }
    })
}

/// A job with where it has got, live when it runs in this process.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub id: i64,
    pub state: String,
    pub stage: String,
    pub rows_done: i64,
    pub rows_total: i64,
    /// How far along the whole import is, 0–1000.
    pub permille: u64,
    pub import_id: Option<i64>,
    pub error: Option<String>,
    pub file_name: String,
    pub source: String,
    #[serde(skip)]
    pub upload_token: String,
    #[serde(skip)]
    pub created_by: Option<i64>,
    #[serde(skip)]
    pub created_at: i64,
}

impl JobStatus {
    fn of(job: ImportJob) -> JobStatus {
        let snapshot = match live(&job) {
            Some(p) if job.state == import_jobs::RUNNING => Some(p.snapshot()),
            _ => None,
        };
        let (stage, rows_done, rows_total, permille) = match snapshot {
            Some(s) => (
                s.stage.key().to_string(),
                s.rows_done as i64,
                s.rows_total as i64,
                s.permille(),
            ),
            None => {
                let permille = match (job.state.as_str(), ImportStage::parse(&job.stage)) {
                    (import_jobs::DONE, _) => 1000,
                    (_, Some(stage)) => super::progress::ProgressSnapshot {
                        stage,
                        rows_done: job.rows_done.max(0) as u64,
                        rows_total: job.rows_total.max(0) as u64,
                        rows_finished: 0,
                    }
                    .permille(),
                    (_, None) => 0,
                };
                (job.stage.clone(), job.rows_done, job.rows_total, permille)
            }
        };
        let source = serde_json::from_str::<JobOptions>(&job.options)
            .map(|o| o.source)
            .unwrap_or_default();
        JobStatus {
            id: job.id,
            state: job.state,
            stage,
            rows_done,
            rows_total,
            permille,
            import_id: job.import_id,
            error: job.error,
            file_name: job.file_name,
            source,
            upload_token: job.upload_token,
            created_by: job.created_by,
            created_at: job.created_at,
        }
    }

    pub fn is_active(&self) -> bool {
        self.state == import_jobs::QUEUED || self.state == import_jobs::RUNNING
    }
}

/// The job and where it has got; `NotFound` for another workspace's job.
pub async fn status(db: &Db, ws: WorkspaceId, id: i64) -> Result<JobStatus, StoreError> {
    Ok(JobStatus::of(import_jobs::get(db, ws, id).await?))
}

/// The workspace's recent jobs that are running or did not finish.
pub async fn unfinished(
    db: &Db,
    ws: WorkspaceId,
    limit: i64,
) -> Result<Vec<JobStatus>, StoreError> {
    Ok(import_jobs::list_unfinished(db, ws, limit)
        .await?
        .into_iter()
        .map(JobStatus::of)
        .collect())
}

/// Settles the jobs a stopped process left queued or running (see the module comment).
/// Run at start, before any new job is queued.
pub async fn recover(db: &Db, ws: WorkspaceId) -> Result<Recovered, StoreError> {
    import_jobs::recover_interrupted(db, ws, INTERRUPTED, INTERRUPTED_MESSAGE, |job| {
        serde_json::from_str::<JobOptions>(&job.options)
            .ok()
            .map(|o| (o.source, o.mode))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_estimated_from_lines_or_cards() {
        assert_eq!(estimate_rows(b"a,b\r\n1,2\r\n3,4\r\n"), 2);
        assert_eq!(estimate_rows(b"a,b\n1,2\n3,4"), 2, "no newline at the end");
        assert_eq!(
            estimate_rows(b"BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN:B\nEND:VCARD\n"),
            2
        );
        assert_eq!(estimate_rows(b"PK\x03\x04rest"), 0);
        assert_eq!(estimate_rows(b""), 0);
    }

    #[test]
    fn a_file_is_estimated_a_block_at_a_time_as_a_whole() {
        let cards = "BEGIN:VCARD\nFN:A\nEND:VCARD\n".repeat(5);
        for text in [cards.as_str(), "a,b\n1,2\n3,4\n5,6", "a,b\r\n1,2\r\n"] {
            for size in 1..=text.len() {
                let mut count = RowEstimate::default();
                for block in text.as_bytes().chunks(size) {
                    count.add(block);
                }
                assert_eq!(
                    count.rows(),
                    estimate_rows(text.as_bytes()),
                    "{text:?} by {size}"
                );
            }
        }
        assert_eq!(estimate_rows(cards.as_bytes()), 5);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        std::fs::write(&path, "h\n".to_owned() + &"x\n".repeat(3_000_000)).unwrap();
        assert_eq!(estimate_file_rows(&path).unwrap(), 3_000_000);
    }
}
