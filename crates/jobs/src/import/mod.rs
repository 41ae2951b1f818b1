//! Imports: a file's rows are parsed into domain values, matched against each other and
//! against the leads already in the workspace, and written in one transaction — all of it
//! or nothing. Re-running an import finds the leads it made and adds nothing.

pub mod background;
mod companies;
mod parse;
pub mod progress;

use std::collections::{BTreeMap, HashMap, HashSet};

use ondo_domain::matching::{PersonKeys, cluster_people};
use ondo_domain::{LeadStatus, Phone};
use ondo_ingest::{IngestError, Layout, SourceFile};
use ondo_store::imports::{ExistingLead, IdTable, ImportTouchpoint, Lookup};
use ondo_store::leads::LeadFields;
use ondo_store::{Actor, Db, StoreError, Tx, WorkspaceId};
use serde::Serialize;

use companies::{CompanyRef, CompanyResolver};
pub use parse::{ParsedRow, parse_row};
pub use progress::{ImportProgress, ImportStage};

/// Where uploads wait between the wizard's steps.
pub fn upload_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("ondo-uploads")
}

/// Removes uploads nobody ran within `max_age` (an abandoned wizard); returns how many.
pub fn purge_uploads(max_age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(upload_dir()) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > max_age))
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// What an import does with rows that match existing leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Create leads; rows matching an existing lead are skipped.
    New,
    /// Create leads, and fill the empty fields of the existing leads rows match.
    Upsert,
    /// Only change existing leads (non-empty values replace theirs); other rows are skipped.
    Update,
}

impl ImportMode {
    pub fn parse(s: &str) -> Option<ImportMode> {
        match s {
            "new" => Some(ImportMode::New),
            "upsert" => Some(ImportMode::Upsert),
            "update" => Some(ImportMode::Update),
            _ => None,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            ImportMode::New => "new",
            ImportMode::Upsert => "upsert",
            ImportMode::Update => "update",
        }
    }
}

/// How to run an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The touchpoint every row becomes, e.g. "展示会 2026秋"; the file name by default.
    pub source: Option<String>,
    pub mode: ImportMode,
    /// Plan only: nothing is written; new leads get provisional keys.
    pub dry_run: bool,
    pub file_name: String,
    pub actor: Actor,
    /// Where to report how far the import has got (the wizard's progress bar).
    pub progress: Option<std::sync::Arc<ImportProgress>>,
    /// Data rows held in memory at once ([`CHUNK_ROWS`] unless a small server needs
    /// fewer), in a dry run too (unless [`ImportOptions::preview_rows`] is set).
    pub chunk_rows: usize,
    /// A dry run plans only the first this many data rows (the wizard's preview of a large
    /// file), and says so in [`ImportReport::preview_limited`]; `None`: the whole file.
    pub preview_rows: Option<usize>,
}

/// A problem with one row.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct RowMessage {
    pub row: usize,
    pub message: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub merged: usize,
    pub updated: usize,
    pub skipped: usize,
    pub errors: Vec<RowMessage>,
    /// One entry per data row, in file order: the lead's id, a provisional key in a dry
    /// run ("new-1"), or null for a rejected row. Rows of the same lead share the entry.
    pub rows_to_leads: Vec<serde_json::Value>,
    /// Values kept but not understood (an unparseable phone is kept as a custom field).
    pub warnings: Vec<RowMessage>,
    /// Pairs of leads that may be the same person, left for a person to review.
    pub candidate_pairs: usize,
    pub layout: Layout,
    pub encoding: Option<String>,
    pub dry_run: bool,
    pub import_id: Option<i64>,
    /// A dry run stopped at [`ImportOptions::preview_rows`] rows: more rows follow, and
    /// the counts are those of the rows read.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub preview_limited: bool,
}

/// Why an import did not run; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(#[from] IngestError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Another write (another import, a rescoring) kept the database for longer than an
    /// import waits.
    #[error(
        "another write kept the database busy for more than {} minutes (another import?); try again when it has finished",
        WRITE_PATIENCE.as_secs() / 60
    )]
    Busy,
}

/// How long an import waits for another writer (an import in another process, the
/// server's event writer) to let go of SQLite's write lock before it gives up.
pub const WRITE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Created,
    Merged,
    Updated,
    Skipped,
}

/// Data rows an import holds in memory at once ([`ImportOptions::chunk_rows`]): with the
/// matching keys and the leads they find, about 400 MB at 100,000 rows.
pub const CHUNK_ROWS: usize = 100_000;

/// The reason of a candidate pair of two leads that one incoming row matches.
pub const BRIDGED_REASON: &str = "both_match_one_record";

/// Runs an import of `file` into the workspace.
///
/// The rows are read, matched and written a chunk of [`ImportOptions::chunk_rows`] at a
/// time, all in one transaction: a chunk is matched against the leads already in the
/// workspace, those of the earlier chunks included, so a million-row file is never in
/// memory as rows at once, and a row that repeats one of an earlier chunk joins its lead.
/// A dry run of a file of one chunk only reads. A dry run of a larger file runs the import
/// in its transaction and rolls it back (later chunks meet the leads of earlier ones, as
/// they will in the import), holding the write lock as an import does; with
/// [`ImportOptions::preview_rows`] it plans only the first rows instead.
pub async fn run(
    db: &Db,
    ws: WorkspaceId,
    mut file: SourceFile,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let source = opts
        .source
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| opts.file_name.clone());
    let layout = file.layout;
    let touch_kind = match layout {
        Layout::Eight | Layout::Sansan | Layout::VCard => "business_card",
        Layout::ZoomWebinar => "webinar",
        Layout::Generic => "import",
    };
    let progress = opts.progress.clone().unwrap_or_default();
    let started = std::time::Instant::now();
    let lap = |stage: &str| {
        tracing::debug!(
            stage,
            elapsed_ms = started.elapsed().as_millis() as u64,
            resident_mib = resident_mib(),
            "import"
        )
    };
    let chunk_rows = match opts.preview_rows {
        Some(preview) if opts.dry_run => preview,
        _ => opts.chunk_rows,
    }
    .max(1);
    let report = ImportReport {
        rows: 0,
        created: 0,
        merged: 0,
        updated: 0,
        skipped: 0,
        rows_to_leads: Vec::new(),
        errors: Vec::new(),
        warnings: header_warnings(&file),
        candidate_pairs: 0,
        layout,
        encoding: file.encoding.clone(),
        dry_run: opts.dry_run,
        import_id: None,
        preview_limited: false,
    };
    let cx = ChunkContext {
        ws,
        opts,
        source: &source,
        touch_kind,
        progress: &progress,
        lap: &lap,
    };
    let mut done = Chunks {
        report,
        tx: None,
        pairs: Vec::new(),
        touched: Vec::new(),
        created: HashSet::new(),
        write: !opts.dry_run,
    };
    let mut source_rows = file.rows().peekable();
    // 1. Read and parse a chunk of rows, then match and write it. A broken file stops
    // at its bad row: before any write when the file is one chunk, and otherwise with
    // the transaction (and so the earlier chunks) rolled back.
    let last = loop {
        progress.set_stage(ImportStage::Reading);
        let chunk = read_chunk(&mut source_rows, chunk_rows, ws, &source, layout, &progress)?;
        if source_rows.peek().is_none() {
            break chunk;
        }
        if opts.dry_run && opts.preview_rows.is_some() {
            done.report.preview_limited = true;
            break chunk;
        }
        // A dry run of more than one chunk writes (and rolls back), so that later chunks
        // meet the leads of earlier ones.
        done.write = true;
        done.add(db, &cx, chunk).await?;
    };
    // The file is not read again for the last chunk (the only one of most files): its
    // reader and its piece of text are freed before the database work.
    drop(source_rows);
    drop(file);
    progress.set_total(done.report.rows + last.row_order.len());
    done.add(db, &cx, last).await?;
    let Chunks {
        mut report,
        tx,
        mut pairs,
        touched,
        created: done_created,
        write: done_write,
    } = done;
    let Some(mut tx) = tx else {
        return Err(ImportError::File(IngestError::HeaderOnly));
    };

    // 7. The candidate pairs of every chunk, the import's record, and the commit.
    pairs.sort();
    pairs.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    report.candidate_pairs = pairs.len();
    if opts.dry_run {
        tx.rollback().await?;
        if done_write {
            provisional_keys(&mut report.rows_to_leads, &done_created);
        }
        progress.set_stage(ImportStage::Done);
        return Ok(report);
    }
    ondo_store::imports::insert_candidate_pairs(&mut tx, ws, &pairs).await?;
    let errors_json = serde_json::to_string(&report.errors).unwrap_or_else(|_| "[]".into());
    let counts = [
        report.rows,
        report.created,
        report.merged,
        report.updated,
        report.skipped,
    ]
    .map(|n| n as i64);
    let id = ondo_store::imports::record_run(
        &mut tx,
        ws,
        &opts.file_name,
        &source,
        opts.mode.key(),
        counts,
        &errors_json,
        &opts.actor,
    )
    .await?;
    // Events that waited for these emails now have their leads; the imported leads get
    // their fit and engagement from a job queued in this transaction, so the import
    // itself stays as fast as the file allows.
    let mut rescore: Vec<i64> = ondo_store::waiting::attach_by_email(&mut tx, ws).await?;
    rescore.extend(touched);
    crate::scoring::rules_change::queue_rescore_leads(&mut tx, ws, rescore).await?;
    lap("queued rescoring");
    progress.set_stage(ImportStage::Committing);
    tx.commit().await?;
    lap("committed");
    progress.set_stage(ImportStage::Done);
    report.import_id = Some(id);
    Ok(report)
}

/// What the chunks written so far add up to.
struct Chunks {
    report: ImportReport,
    /// Begun with the first chunk that has rows.
    tx: Option<Tx>,
    pairs: Vec<(i64, i64, String)>,
    touched: Vec<i64>,
    /// The leads the import created (for a dry run's provisional keys).
    created: HashSet<i64>,
    /// Whether the chunks are written: always in an import, and in a dry run of more than
    /// one chunk (rolled back at the end).
    write: bool,
}

impl Chunks {
    /// Matches and writes a chunk, and adds what it did to the report.
    async fn add(
        &mut self,
        db: &Db,
        cx: &ChunkContext<'_>,
        chunk: Chunk,
    ) -> Result<(), ImportError> {
        let report = &mut self.report;
        report.errors.extend(chunk.errors);
        report.warnings.extend(chunk.warnings);
        if chunk.row_order.is_empty() {
            return Ok(());
        }
        (cx.lap)("read and parsed");
        let tx = match &mut self.tx {
            Some(tx) => tx,
            // A dry run only reads; a real import holds the write lock from its first
            // read, so nothing it matched against changes before it commits.
            None if !self.write => self.tx.insert(db.begin().await?),
            None => {
                let mut tx = match db.begin_write_waiting(WRITE_PATIENCE).await {
                    Err(e) if e.is_busy() => return Err(ImportError::Busy),
                    begun => begun?,
                };
                // On PostgreSQL, forms and the API do not match people meanwhile.
                match tx.lock_matching(cx.ws, WRITE_PATIENCE).await {
                    Err(e) if e.is_busy() => return Err(ImportError::Busy),
                    locked => locked?,
                }
                self.tx.insert(tx)
            }
        };
        let rows = chunk.row_order.len();
        let written = import_chunk(tx, cx, chunk.parsed, !self.write).await?;
        report.rows += rows;
        for (_, parsed) in &chunk.row_order {
            report.rows_to_leads.push(match parsed {
                Some(j) => written.lead_key[*j].clone(),
                None => serde_json::Value::Null,
            });
        }
        for (o, key) in written.outcome.iter().zip(&written.lead_key) {
            if cx.opts.dry_run
                && *o == Outcome::Created
                && let Some(id) = key.as_i64()
            {
                self.created.insert(id);
            }
            *match o {
                Outcome::Created => &mut report.created,
                Outcome::Merged => &mut report.merged,
                Outcome::Updated => &mut report.updated,
                Outcome::Skipped => &mut report.skipped,
            } += 1;
        }
        self.pairs.extend(written.pairs);
        self.touched.extend(written.touched);
        cx.progress.finish_rows(rows);
        Ok(())
    }
}

/// The rows of one chunk, parsed.
struct Chunk {
    parsed: Vec<ParsedRow>,
    /// Each data row in file order: its number and its index into `parsed` (`None` when
    /// rejected).
    row_order: Vec<(usize, Option<usize>)>,
    errors: Vec<RowMessage>,
    warnings: Vec<RowMessage>,
}

/// Reads and parses the next `limit` data rows (fewer at the end of the file).
fn read_chunk<I>(
    source_rows: &mut I,
    limit: usize,
    ws: WorkspaceId,
    source: &str,
    layout: Layout,
    progress: &ImportProgress,
) -> Result<Chunk, IngestError>
where
    I: Iterator<Item = Result<ondo_ingest::SourceRow, IngestError>>,
{
    let mut chunk = Chunk {
        parsed: Vec::new(),
        row_order: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut batch = Vec::with_capacity(PARSE_BATCH);
    while chunk.row_order.len() < limit {
        batch.clear();
        let room = (limit - chunk.row_order.len()).min(PARSE_BATCH);
        for item in source_rows.by_ref().take(room) {
            batch.push(item?);
        }
        if batch.is_empty() {
            break;
        }
        progress.add_rows(batch.len());
        for (row, result) in batch.iter().zip(parse_rows(ws, source, layout, &batch)) {
            match result {
                Ok((p, w)) => {
                    chunk
                        .warnings
                        .extend(w.into_iter().map(|message| RowMessage {
                            row: row.row,
                            message,
                        }));
                    chunk.row_order.push((row.row, Some(chunk.parsed.len())));
                    chunk.parsed.push(p);
                }
                Err(message) => {
                    chunk.errors.push(RowMessage {
                        row: row.row,
                        message,
                    });
                    chunk.row_order.push((row.row, None));
                }
            }
        }
    }
    chunk.parsed.shrink_to_fit();
    Ok(chunk)
}

/// What one chunk's rows need from the whole import.
struct ChunkContext<'a> {
    ws: WorkspaceId,
    opts: &'a ImportOptions,
    source: &'a str,
    touch_kind: &'a str,
    progress: &'a ImportProgress,
    lap: &'a (dyn Fn(&str) + Sync),
}

/// A dry run that wrote: the ids of the leads it created (rolled back) become provisional
/// keys, "new-1", "new-2"… in the order of their first rows, as a dry run that only reads
/// numbers them.
fn provisional_keys(rows_to_leads: &mut [serde_json::Value], created: &HashSet<i64>) {
    let mut keys: HashMap<i64, serde_json::Value> = HashMap::new();
    for key in rows_to_leads {
        let Some(id) = key.as_i64().filter(|id| created.contains(id)) else {
            continue;
        };
        let n = keys.len() + 1;
        *key = keys
            .entry(id)
            .or_insert_with(|| format!("new-{n}").into())
            .clone();
    }
}

/// What one chunk did.
struct ChunkWritten {
    /// Per parsed row: the lead's id, a provisional key in a dry run, or null.
    lead_key: Vec<serde_json::Value>,
    outcome: Vec<Outcome>,
    /// Candidate pairs of leads, `(smaller id, larger id, reason)`.
    pairs: Vec<(i64, i64, String)>,
    /// The leads the chunk's rows touched (a touchpoint each), to rescore.
    touched: Vec<i64>,
}

/// Matches one chunk's rows against each other and against the workspace's leads (those
/// of earlier chunks included), and writes its companies, leads and touchpoints (with
/// `plan_only`, writes nothing and gives the leads it would create provisional keys).
async fn import_chunk(
    tx: &mut Tx,
    cx: &ChunkContext<'_>,
    mut parsed: Vec<ParsedRow>,
    plan_only: bool,
) -> Result<ChunkWritten, ImportError> {
    let (ws, opts, lap) = (cx.ws, cx.opts, cx.lap);
    cx.progress.set_stage(ImportStage::LookingUp);
    // 2. The existing leads the rows may match.
    let mut lookup = Lookup::default();
    for p in &parsed {
        lookup.emails.extend(p.fields.email.clone());
        if let Some(company) = &p.company {
            lookup.add_name_at_company(&p.fields.name, &company.key());
        }
        lookup.add_phones(p.fields.phone.as_deref(), p.fields.mobile.as_deref());
    }
    lookup.dedup();
    let existing = ondo_store::imports::find_existing(tx, ws, &lookup).await?;
    // Its strings (every email, phone and name of the file) are not needed again: freed
    // before clustering, when memory peaks.
    drop(lookup);
    tracing::debug!(existing = existing.len(), "looked up");
    lap("looked up existing leads");
    cx.progress.set_stage(ImportStage::Matching);

    // 3. Cluster existing leads and rows into people.
    let mut keys: Vec<PersonKeys> = Vec::with_capacity(existing.len() + parsed.len());
    keys.extend(existing.iter().map(existing_keys));
    keys.extend(parsed.iter_mut().map(|p| std::mem::take(&mut p.keys)));
    lap("built matching keys");
    let (groups, candidates) = cluster_people(&keys);
    drop(keys);
    // Only the ids of the existing leads are needed from here on.
    let existing: Vec<i64> = existing.into_iter().map(|e| e.id).collect();
    let n_existing = existing.len();
    lap("clustered");

    // Per group: its existing lead (the oldest), and its rows in file order.
    let mut group_existing: HashMap<usize, i64> = HashMap::new();
    for (i, &id) in existing.iter().enumerate() {
        let g = groups[i];
        let slot = group_existing.entry(g).or_insert(id);
        *slot = (*slot).min(id);
    }
    let mut group_rows: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (j, _) in parsed.iter().enumerate() {
        group_rows
            .entry(groups[n_existing + j])
            .or_default()
            .push(j);
    }
    // Two leads that one row matches (a card without an email and a webinar sign-up
    // without a company, then a form with both) are the same person: the row joins the
    // older, and the two are offered for review as a pair.
    let bridged: Vec<(i64, i64, String)> = existing
        .iter()
        .enumerate()
        .filter_map(|(i, &id)| {
            let g = groups[i];
            let oldest = group_existing[&g];
            (id != oldest && group_rows.contains_key(&g))
                .then(|| (oldest, id, BRIDGED_REASON.to_owned()))
        })
        .collect();

    // 4. Decide, group by group, in file order of each group's first row; nothing is
    // written yet, and companies a row would create have placeholder ids (`placeholder`).
    let mut order: Vec<(usize, Vec<usize>)> = group_rows.into_iter().collect();
    order.sort_by_key(|(_, rows)| rows[0]);
    let mut outcome = vec![Outcome::Skipped; parsed.len()];
    let mut lead_key: Vec<serde_json::Value> = vec![serde_json::Value::Null; parsed.len()];
    let mut group_lead: HashMap<usize, i64> = HashMap::new();
    let mut companies = CompanyResolver::load(tx, ws, parsed.iter()).await?;
    lap("loaded companies");
    let create = !plan_only;
    // Each row's fields are used once, so they are moved out rather than copied.
    let mut with_company = |row: &mut ParsedRow| {
        let mut fields = std::mem::take(&mut row.fields);
        if let Some(found) = companies.resolve(row, create) {
            fields.company_id = Some(placeholder(found));
        }
        fields
    };
    let touched: Vec<i64> = if opts.mode == ImportMode::New {
        Vec::new()
    } else {
        let mut ids: Vec<i64> = group_existing.values().copied().collect();
        ids.sort_unstable();
        ids
    };
    let mut current = ondo_store::imports::lead_fields_many(tx, ws, &touched).await?;
    lap("loaded the leads rows match");
    let mut updates: Vec<(i64, LeadFields, LeadFields)> = Vec::new();
    // (position in `order`, fields) of each lead to create.
    let mut creations: Vec<(usize, LeadFields)> = Vec::new();
    // Emails and numbers a lead is seen with besides the one its field keeps, so that
    // nothing a row brought is lost and later rows find the lead by them: by lead id, and
    // by position in `order` for the leads still to create.
    let mut identities: Vec<(i64, &'static str, String)> = Vec::new();
    let mut new_identities: Vec<(usize, &'static str, String)> = Vec::new();
    for (pos, (g, rows)) in order.iter().enumerate() {
        match (group_existing.get(g), opts.mode) {
            (Some(_), ImportMode::New) | (None, ImportMode::Update) => {
                for &j in rows {
                    outcome[j] = Outcome::Skipped;
                    if let Some(id) = group_existing.get(g) {
                        lead_key[j] = (*id).into();
                    }
                }
            }
            (Some(&id), mode) => {
                let before = current.remove(&id).ok_or_else(|| {
                    StoreError::Corrupt(format!("lead {id} vanished during the import"))
                })?;
                let mut after = before.clone();
                for &j in rows {
                    let incoming = with_company(&mut parsed[j]);
                    if mode == ImportMode::Update {
                        overwrite(&mut after, &incoming);
                        outcome[j] = Outcome::Updated;
                    } else {
                        let conflicts = after.fill_empty_from(&incoming);
                        identities.extend(
                            ondo_store::identities::other_values(conflicts)
                                .map(|(k, v)| (id, k, v)),
                        );
                        outcome[j] = Outcome::Merged;
                    }
                    lead_key[j] = id.into();
                }
                // A value an update replaces stays known as one the lead was seen with.
                identities.extend(replaced_values(&before, &after).map(|(k, v)| (id, k, v)));
                updates.push((id, before, after));
                group_lead.insert(*g, id);
            }
            (None, _) => {
                let mut fields = with_company(&mut parsed[rows[0]]);
                for &j in &rows[1..] {
                    let conflicts = fields.fill_empty_from(&with_company(&mut parsed[j]));
                    new_identities.extend(
                        ondo_store::identities::other_values(conflicts).map(|(k, v)| (pos, k, v)),
                    );
                }
                outcome[rows[0]] = Outcome::Created;
                for &j in &rows[1..] {
                    outcome[j] = Outcome::Merged;
                }
                creations.push((pos, fields));
            }
        }
    }
    lap("decided");

    // 5. Write: new companies, new leads, changed leads, in batches.
    let mut touchpoints = Vec::new();
    if plan_only {
        for (provisional, (pos, _)) in creations.iter().enumerate() {
            let key = serde_json::Value::from(format!("new-{}", provisional + 1));
            for &j in &order[*pos].1 {
                lead_key[j] = key.clone();
            }
        }
    } else {
        cx.progress.set_stage(ImportStage::WritingLeads);
        let company_ids = companies.create(tx, ws).await?;
        let real = |fields: &mut LeadFields| {
            if let Some(id) = fields.company_id.filter(|id| *id < 0) {
                fields.company_id = Some(company_ids[(-id - 1) as usize]);
            }
        };
        lap("created companies");
        let ids = ondo_store::imports::reserve_ids(tx, IdTable::Leads, creations.len()).await?;
        for (_, fields) in &mut creations {
            real(fields);
        }
        // New leads take their ids in company order (file order within a company): three
        // of the lead indexes begin with the company, so their inserts then walk each index
        // once from left to right instead of touching random pages of it.
        creations.sort_by_key(|(_, fields)| fields.company_id);
        let mut leads = Vec::with_capacity(creations.len());
        for (id, (pos, fields)) in ids.into_iter().zip(creations) {
            group_lead.insert(order[pos].0, id);
            leads.push((id, fields));
        }
        let reason = format!("インポート: {}", cx.source);
        ondo_store::imports::insert_leads(tx, ws, &leads, LeadStatus::New, &reason, &opts.actor)
            .await?;
        drop(leads);
        lap("created leads");
        let action = if opts.mode == ImportMode::Update {
            "import_update"
        } else {
            "import_merge"
        };
        for (id, before, mut after) in updates {
            real(&mut after);
            ondo_store::imports::update_lead(tx, ws, id, &before, &after, action, &opts.actor)
                .await?;
        }
        identities.extend(
            new_identities
                .into_iter()
                .filter_map(|(pos, k, v)| Some((*group_lead.get(&order[pos].0)?, k, v))),
        );
        ondo_store::identities::add(tx, ws, cx.source, &identities).await?;
        for (g, rows) in &order {
            if let Some(&id) = group_lead.get(g) {
                for &j in rows {
                    lead_key[j] = id.into();
                    touchpoints.push((id, j));
                }
            }
        }
        // In lead order, so that the touchpoints' lead index is written left to right.
        touchpoints.sort_unstable();
    }

    lap("wrote leads");
    // 6. Candidate pairs between the leads of this chunk and those it met.
    let lead_of = |index: usize| -> Option<i64> {
        if index < n_existing {
            Some(existing[index])
        } else {
            group_lead.get(&groups[index]).copied()
        }
    };
    // Only pairs a row of the file takes part in: two leads already there that the
    // look-up brought along (a company's leads, for a name written in romaji) are not
    // this import's to offer.
    let pairs: Vec<(i64, i64, String)> = candidates
        .iter()
        .filter(|(a, b, _)| *a >= n_existing || *b >= n_existing)
        .filter_map(|(a, b, reason)| match (lead_of(*a), lead_of(*b)) {
            (Some(x), Some(y)) if x != y => Some((x.min(y), x.max(y), reason.key().to_string())),
            _ => None,
        })
        .chain(bridged)
        .collect();
    if !plan_only {
        cx.progress.set_stage(ImportStage::WritingTouchpoints);
    }
    // Built a batch at a time: a touchpoint each row is a lot of memory at once.
    for chunk in touchpoints.chunks(5_000) {
        let batch: Vec<ImportTouchpoint> = chunk
            .iter()
            .map(|&(id, j)| touchpoint(id, cx.touch_kind, cx.source, &parsed[j]))
            .collect();
        ondo_store::imports::insert_touchpoints(tx, ws, &batch).await?;
    }
    lap("wrote touchpoints");
    Ok(ChunkWritten {
        lead_key,
        outcome,
        pairs,
        touched: touchpoints.into_iter().map(|(lead, _)| lead).collect(),
    })
}

/// Columns whose values are kept under a name the file did not give them, said once on the
/// header row: a repeated header (the later columns become custom fields "メール (2)" …)
/// and cells beyond the header (a row longer than the header: "列D"). Only for lists of
/// the generic layout; the recognised exports name their columns themselves.
fn header_warnings(file: &SourceFile) -> Vec<RowMessage> {
    if file.layout != Layout::Generic {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Each header's first column.
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (position, column) in file.columns.iter().enumerate() {
        let earlier = (!column.header.is_empty())
            .then(|| *first.entry(column.header.as_str()).or_insert(position));
        let ondo_ingest::ColumnTarget::Custom(name) = &column.target else {
            continue;
        };
        let message = match earlier {
            None if column.samples.is_empty() => continue,
            None => format!(
                "column {} has no header (rows longer than the header); its values are kept as the custom field \"{name}\"",
                position + 1
            ),
            Some(earlier) if earlier == position => continue,
            Some(earlier) => format!(
                "column {} repeats the header \"{}\" of column {}; its values are kept as the custom field \"{name}\"",
                position + 1,
                column.header,
                earlier + 1
            ),
        };
        out.push(RowMessage {
            row: file.header_row,
            message,
        });
    }
    out
}

/// This process's resident memory in MiB, for the stage log (Linux; 0 elsewhere).
fn resident_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib / 1024)
}

/// A company id in lead fields before the write: existing ids as they are, companies
/// still to create as negative positions (-1 for the first), replaced once they exist.
fn placeholder(r: CompanyRef) -> i64 {
    match r {
        CompanyRef::Existing(id) => id,
        CompanyRef::New(k) => -(k as i64) - 1,
    }
}

/// Rows read before they are parsed together.
const PARSE_BATCH: usize = 4096;

/// Parses rows on every core: normalising the values is most of an import's CPU work
/// outside the database. Results come back in the rows' order.
fn parse_rows(
    ws: WorkspaceId,
    source: &str,
    layout: Layout,
    rows: &[ondo_ingest::SourceRow],
) -> Vec<Result<(ParsedRow, Vec<String>), String>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let per_thread = rows.len().div_ceil(threads).max(256);
    std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|row| parse_row(ws, source, layout, row))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("parsing a row does not panic"))
            .collect()
    })
}

/// Matching keys of a lead already in the database.
pub fn existing_keys(e: &ExistingLead) -> PersonKeys {
    let phone = e.phone.as_deref().unwrap_or("");
    let mobile = e.mobile.as_deref().unwrap_or("");
    let mut keys = PersonKeys::from_raw(
        &e.name,
        &e.kana,
        e.email.as_deref().unwrap_or(""),
        &[phone],
        &[mobile],
        "",
        e.department.as_deref().unwrap_or(""),
    )
    .with_title(e.title.as_deref().unwrap_or(""));
    // The company as stored: its matching key, so rows naming it the same way agree.
    keys.company = e.company_name_key.clone();
    if keys.company_domain.is_none() {
        keys.company_domain = e.company_domain.clone();
    }
    keys
}

fn touchpoint(lead_id: i64, kind: &str, source: &str, row: &ParsedRow) -> ImportTouchpoint {
    ImportTouchpoint {
        lead_id,
        kind: kind.to_string(),
        source: source.to_string(),
        occurred_at: row.contacted_on.unwrap_or_else(ondo_domain::Micros::now),
        details: serde_json::json!({ "row": row.row }),
        dedupe_key: row.dedupe_key.clone(),
    }
}

/// The emails and numbers an update replaced.
fn replaced_values<'a>(
    before: &'a LeadFields,
    after: &'a LeadFields,
) -> impl Iterator<Item = (&'static str, String)> + 'a {
    [
        ("email", &before.email, &after.email),
        ("phone", &before.phone, &after.phone),
        ("mobile", &before.mobile, &after.mobile),
    ]
    .into_iter()
    .filter_map(|(kind, old, new)| match old {
        Some(v) if old != new => Some((kind, v.clone())),
        _ => None,
    })
}

/// Replaces the fields of `into` with the non-empty values of `from` (update mode).
fn overwrite(into: &mut LeadFields, from: &LeadFields) {
    fn set(slot: &mut Option<String>, v: &Option<String>) {
        if v.is_some() {
            slot.clone_from(v);
        }
    }
    if !from.kana.is_empty() {
        into.kana.clone_from(&from.kana);
    }
    set(&mut into.email, &from.email);
    set(&mut into.phone, &from.phone);
    set(&mut into.mobile, &from.mobile);
    set(&mut into.title, &from.title);
    set(&mut into.department, &from.department);
    set(&mut into.company_name, &from.company_name);
    set(&mut into.postcode, &from.postcode);
    set(&mut into.address, &from.address);
    if from.company_id.is_some() {
        into.company_id = from.company_id;
    }
    for (k, v) in &from.custom_fields {
        into.custom_fields.insert(k.clone(), v.clone());
    }
}

/// Phone numbers in their stored (national) form.
pub fn national(raw: &str) -> Option<String> {
    Phone::parse(raw).ok().map(|p| p.national())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_uploads_are_purged_and_recent_ones_kept() {
        let dir = upload_dir();
        std::fs::create_dir_all(&dir).expect("upload dir");
        let path = dir.join(format!("purge-test-{}", std::process::id()));
        std::fs::write(&path, b"x").expect("write");
        // Other uploads of the machine may be purged too: only this file is asserted on.
        purge_uploads(std::time::Duration::from_secs(3600));
        assert!(path.exists(), "a fresh upload stays");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(purge_uploads(std::time::Duration::from_millis(1)) >= 1);
        assert!(!path.exists(), "an old upload is removed");
        let _ = std::fs::remove_dir(&dir);
    }
}
