//! The AI score as stored: the workspace's AI settings, model versions (one active), the
//! runs that train them, the histories training and scoring read, and each lead's
//! probability with its reasons. Features, learning and scoring happen in `ondo_jobs::ai`
//! with `ondo_ml`; this module only moves rows (model and reasons travel as JSON text).

use std::collections::HashMap;

use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::events::ScoringEvent;
use crate::rescoring::LeadEvents;
use crate::{Actor, Db, Tx, WorkspaceId, with_db, with_tx};

/// Rows per multi-row statement or `IN (…)` list.
const ROWS_PER_STATEMENT: usize = 1_000;

// ---------------------------------------------------------------------------------------
// Settings

/// A workspace's AI settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AiSettings {
    /// Off: no training on schedule or on demand, and leads keep no AI probability.
    pub enabled: bool,
    /// Cold start: fewer labelled leads than this, and no model is trained.
    pub min_rows: i64,
    /// Cold start: fewer leads that became opportunities than this, and no model.
    pub min_positives: i64,
    /// Retrain every this many days; 0 trains only on demand.
    pub retrain_days: i64,
    pub updated_by: Option<i64>,
    pub updated_at: Option<i64>,
}

impl Default for AiSettings {
    /// 200 labelled leads with 40 opportunities, retrained weekly.
    fn default() -> Self {
        AiSettings {
            enabled: true,
            min_rows: 200,
            min_positives: 40,
            retrain_days: 7,
            updated_by: None,
            updated_at: None,
        }
    }
}

impl AiSettings {
    fn audit_view(&self) -> String {
        serde_json::json!({
            "enabled": self.enabled,
            "min_rows": self.min_rows,
            "min_positives": self.min_positives,
            "retrain_days": self.retrain_days,
        })
        .to_string()
    }
}

/// The workspace's AI settings, or the defaults when it never saved any.
pub async fn settings(db: &Db, ws: WorkspaceId) -> Result<AiSettings> {
    let found = with_db!(db, pool => {
        sqlx::query_as::<_, AiSettings>(
            "SELECT enabled, min_rows, min_positives, retrain_days, updated_by, updated_at \
             FROM ai_settings WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .fetch_optional(pool)
        .await?
    });
    Ok(found.unwrap_or_default())
}

/// Saves the settings (already checked by the caller), with an audit entry.
pub async fn save_settings(
    db: &Db,
    ws: WorkspaceId,
    new: &AiSettings,
    actor: &Actor,
    now: i64,
) -> Result<AiSettings> {
    let before = settings(db, ws).await?;
    let after = AiSettings {
        updated_by: actor.user_id,
        updated_at: Some(now),
        ..new.clone()
    };
    let (before_json, after_json) = (before.audit_view(), after.audit_view());
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO ai_settings (workspace_id, enabled, min_rows, min_positives, retrain_days, \
             updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (workspace_id) DO UPDATE SET enabled = excluded.enabled, \
             min_rows = excluded.min_rows, min_positives = excluded.min_positives, \
             retrain_days = excluded.retrain_days, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(ws.0)
        .bind(after.enabled)
        .bind(after.min_rows)
        .bind(after.min_positives)
        .bind(after.retrain_days)
        .bind(after.updated_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::insert_audit!(&mut *tx, ws, actor, "ai_settings", None::<i64>, "update", Some(before_json.as_str()), Some(after_json.as_str()), now);
        tx.commit().await?;
    });
    Ok(after)
}

// ---------------------------------------------------------------------------------------
// Histories

/// The outcome-bearing status changes of the workspace: for each lead and each of
/// `opportunity`, `won` and `lost_dormant` it ever moved to, the first time it did, in
/// lead order. Read from the `status_history_to` index.
pub async fn outcome_changes(db: &Db, ws: WorkspaceId) -> Result<Vec<(i64, String, i64)>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT lead_id, to_status, MIN(changed_at) FROM status_history \
             WHERE workspace_id = $1 AND to_status IN ('opportunity', 'won', 'lost_dormant') \
             GROUP BY lead_id, to_status ORDER BY lead_id",
        )
        .bind(ws.0)
        .fetch_all(pool)
        .await?)
    })
}

/// A lead as the AI features read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeadProfile {
    pub id: i64,
    pub created_at: i64,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub address: Option<String>,
    /// The stored JSON object of custom fields.
    pub custom_fields: String,
    pub fit_score: f64,
}

/// One touchpoint as the AI features read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TouchpointRow {
    pub lead_id: i64,
    pub kind: String,
    pub source: String,
    pub occurred_at: i64,
}

/// Everything stored about a lead that its AI features are computed from: its fields,
/// touchpoints and human events (all of them: the features cut them at a time).
#[derive(Debug, Clone)]
pub struct StoredHistory {
    pub profile: LeadProfile,
    pub touchpoints: Vec<TouchpointRow>,
    pub events: Vec<ScoringEvent>,
}

const PROFILE: &str = "SELECT id, created_at, company_id, company_name, department, title, email, phone, \
    mobile, address, custom_fields, fit_score FROM leads WHERE workspace_id = ";

/// Up to `limit` leads with ids above `after`, in id order, with their touchpoints and
/// human events: three reads in one snapshot, each an ordered walk of an index by lead.
pub async fn histories_after(
    db: &Db,
    ws: WorkspaceId,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredHistory>> {
    let mut tx = db.begin().await?;
    let sql = format!("{PROFILE}$1 AND id > $2 ORDER BY id LIMIT $3");
    let profiles = with_tx!(&mut tx, conn => {
        sqlx::query_as::<_, LeadProfile>(&sql)
            .bind(ws.0)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut **conn)
            .await?
    });
    let (Some(first), Some(last)) = (profiles.first(), profiles.last()) else {
        tx.rollback().await?;
        return Ok(Vec::new());
    };
    let (first, last) = (first.id, last.id);
    let touchpoints = with_tx!(&mut tx, conn => {
        sqlx::query_as::<_, TouchpointRow>(
            "SELECT lead_id, kind, source, occurred_at FROM touchpoints \
             WHERE workspace_id = $1 AND lead_id >= $2 AND lead_id <= $3 ORDER BY lead_id, occurred_at",
        )
        .bind(ws.0)
        .bind(first)
        .bind(last)
        .fetch_all(&mut **conn)
        .await?
    });
    let events = crate::rescoring::events_between(&mut tx, ws, first, last).await?;
    tx.rollback().await?;
    Ok(assemble(profiles, touchpoints, events))
}

/// The histories of the leads with these ids, in id order (ids the workspace does not
/// have are left out).
pub async fn histories_of(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<Vec<StoredHistory>> {
    let mut tx = db.begin().await?;
    let out = histories_in(&mut tx, ws, ids).await;
    tx.rollback().await?;
    out
}

/// [`histories_of`] inside the caller's transaction.
pub async fn histories_in(tx: &mut Tx, ws: WorkspaceId, ids: &[i64]) -> Result<Vec<StoredHistory>> {
    let events = crate::rescoring::events_of(tx, ws, ids).await?;
    histories_with(tx, ws, ids, events).await
}

/// [`histories_in`] for a caller that has read the leads' human events already (ordered
/// by lead, as `rescoring::events_of` gives them).
pub async fn histories_with(
    tx: &mut Tx,
    ws: WorkspaceId,
    ids: &[i64],
    events: Vec<LeadEvents>,
) -> Result<Vec<StoredHistory>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut profiles = Vec::with_capacity(ids.len());
    let mut touchpoints = Vec::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let (chunk_profiles, chunk_touchpoints) = with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(PROFILE);
            qb.push_bind(ws.0).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") ORDER BY id");
            let profiles = qb.build_query_as::<LeadProfile>().fetch_all(&mut **conn).await?;
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT lead_id, kind, source, occurred_at FROM touchpoints WHERE workspace_id = ",
            );
            qb.push_bind(ws.0).push(" AND lead_id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") ORDER BY lead_id, occurred_at");
            let touchpoints = qb.build_query_as::<TouchpointRow>().fetch_all(&mut **conn).await?;
            (profiles, touchpoints)
        });
        profiles.extend(chunk_profiles);
        touchpoints.extend(chunk_touchpoints);
    }
    Ok(assemble(profiles, touchpoints, events))
}

/// Joins profiles (in id order) with their touchpoints and events (both ordered by lead).
fn assemble(
    profiles: Vec<LeadProfile>,
    touchpoints: Vec<TouchpointRow>,
    events: Vec<LeadEvents>,
) -> Vec<StoredHistory> {
    let mut touchpoints = touchpoints.into_iter().peekable();
    let mut events = events.into_iter().peekable();
    profiles
        .into_iter()
        .map(|profile| {
            let id = profile.id;
            let mut own_touchpoints = Vec::new();
            while let Some(t) = touchpoints.next_if(|t| t.lead_id <= id) {
                if t.lead_id == id {
                    own_touchpoints.push(t);
                }
            }
            let mut own_events = Vec::new();
            while let Some(e) = events.next_if(|e| e.lead_id <= id) {
                if e.lead_id == id {
                    own_events = e.events;
                }
            }
            StoredHistory {
                profile,
                touchpoints: own_touchpoints,
                events: own_events,
            }
        })
        .collect()
}

/// How many leads the workspace has (for progress).
pub async fn count_leads(db: &Db, ws: WorkspaceId) -> Result<i64> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM leads WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_one(pool)
            .await?)
    })
}

// ---------------------------------------------------------------------------------------
// Model versions

/// A model version without its (large) model JSON.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ModelVersion {
    pub id: i64,
    /// 1, 2, 3… per workspace.
    pub version: i64,
    pub created_at: i64,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    /// `logistic` or `gbt`.
    pub kind: String,
    /// Labelled leads it learnt from, and how many became opportunities.
    pub rows_used: i64,
    pub positives: i64,
    pub cv_auc: Option<f64>,
    pub holdout_auc: Option<f64>,
    /// JSON written by the trainer (candidates, gain and calibration curves…).
    pub metrics: String,
    pub active: bool,
    pub note: String,
}

const VERSION_COLUMNS: &str = "m.id, m.version, m.created_at, m.created_by, u.display_name AS created_by_name, \
    m.kind, m.rows_used, m.positives, m.cv_auc, m.holdout_auc, m.metrics, m.active, m.note \
    FROM ai_models m LEFT JOIN users u ON u.workspace_id = m.workspace_id AND u.id = m.created_by \
    WHERE m.workspace_id = $1";

/// A model to store.
#[derive(Debug, Clone)]
pub struct NewModel<'a> {
    pub kind: &'a str,
    pub rows_used: i64,
    pub positives: i64,
    pub cv_auc: Option<f64>,
    pub holdout_auc: Option<f64>,
    pub metrics: &'a str,
    /// The model, as JSON.
    pub model: &'a str,
    /// The feature space it reads leads with, as JSON.
    pub space: &'a str,
    pub note: &'a str,
}

/// Stores a model as the workspace's next version, made active (the others inactive)
/// when `activate`; with an audit entry (`ai_model` / `train`, and `activate`).
pub async fn save_model(
    db: &Db,
    ws: WorkspaceId,
    m: &NewModel<'_>,
    activate: bool,
    actor: &Actor,
    now: i64,
) -> Result<ModelVersion> {
    let mut tx = db.begin_write().await?;
    let id = save_model_in(&mut tx, ws, m, activate, actor, now).await?;
    tx.commit().await?;
    model_version(db, ws, id).await?.ok_or(StoreError::NotFound)
}

/// [`save_model`] inside the caller's transaction (so that what follows an activation can
/// be written with it); evaluates to the new version's id.
pub async fn save_model_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    m: &NewModel<'_>,
    activate: bool,
    actor: &Actor,
    now: i64,
) -> Result<i64> {
    let id = with_tx!(tx, conn => {
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM ai_models WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .fetch_one(&mut **conn)
        .await?;
        if activate {
            sqlx::query("UPDATE ai_models SET active = FALSE WHERE workspace_id = $1 AND active")
                .bind(ws.0)
                .execute(&mut **conn)
                .await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ai_models (workspace_id, version, created_at, created_by, kind, rows_used, \
             positives, cv_auc, holdout_auc, metrics, model, space, active, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(ws.0)
        .bind(version)
        .bind(now)
        .bind(actor.user_id)
        .bind(m.kind)
        .bind(m.rows_used)
        .bind(m.positives)
        .bind(m.cv_auc)
        .bind(m.holdout_auc)
        .bind(m.metrics)
        .bind(m.model)
        .bind(m.space)
        .bind(activate)
        .bind(m.note)
        .fetch_one(&mut **conn)
        .await?;
        let after = serde_json::json!({
            "version": version, "kind": m.kind, "rows": m.rows_used, "positives": m.positives,
            "cv_auc": m.cv_auc, "holdout_auc": m.holdout_auc, "active": activate, "note": m.note,
        })
        .to_string();
        crate::insert_audit!(&mut **conn, ws, actor, "ai_model", Some(id), "train", None::<&str>, Some(after.as_str()), now);
        if activate {
            let after = serde_json::json!({ "version": version }).to_string();
            crate::insert_audit!(&mut **conn, ws, actor, "ai_model", Some(id), "activate", None::<&str>, Some(after.as_str()), now);
        }
        id
    });
    Ok(id)
}

/// Every model version of the workspace, newest first.
pub async fn list_models(db: &Db, ws: WorkspaceId) -> Result<Vec<ModelVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} ORDER BY m.version DESC");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ModelVersion>(&sql).bind(ws.0).fetch_all(pool).await?)
    })
}

/// One model version, or `None` (also for another workspace's).
pub async fn model_version(db: &Db, ws: WorkspaceId, id: i64) -> Result<Option<ModelVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} AND m.id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ModelVersion>(&sql).bind(ws.0).bind(id).fetch_optional(pool).await?)
    })
}

/// The active model version, if the workspace has one.
pub async fn active_model(db: &Db, ws: WorkspaceId) -> Result<Option<ModelVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} AND m.active");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ModelVersion>(&sql).bind(ws.0).fetch_optional(pool).await?)
    })
}

/// The active model's id and creation time (what a cache of parsed models is keyed by)
/// when the workspace has one and the AI score is on, read inside the caller's
/// transaction.
pub async fn active_model_key(tx: &mut Tx, ws: WorkspaceId) -> Result<Option<(i64, i64)>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT m.id, m.created_at FROM ai_models m LEFT JOIN ai_settings s \
             ON s.workspace_id = m.workspace_id WHERE m.workspace_id = $1 AND m.active \
             AND COALESCE(s.enabled, TRUE)",
        )
        .bind(ws.0)
        .fetch_optional(&mut **conn)
        .await?
    }))
}

/// The model and feature-space JSON of a version, inside the caller's transaction.
pub async fn model_parts(tx: &mut Tx, ws: WorkspaceId, id: i64) -> Result<(String, String)> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, (String, String)>(
            "SELECT model, space FROM ai_models WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .fetch_one(&mut **conn)
        .await?
    }))
}

/// Inside the caller's transaction, makes a version the active one (rollback: an older
/// one), with an audit entry naming the version it replaces; `NotFound` for a version the
/// workspace does not have.
pub async fn activate(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    actor: &Actor,
    now: i64,
) -> Result<()> {
    with_tx!(tx, conn => {
        let version: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM ai_models WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .fetch_optional(&mut **conn)
        .await?;
        let Some(version) = version else {
            return Err(StoreError::NotFound);
        };
        let previous: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM ai_models WHERE workspace_id = $1 AND active",
        )
        .bind(ws.0)
        .fetch_optional(&mut **conn)
        .await?;
        sqlx::query("UPDATE ai_models SET active = FALSE WHERE workspace_id = $1 AND active AND id <> $2")
            .bind(ws.0)
            .bind(id)
            .execute(&mut **conn)
            .await?;
        sqlx::query("UPDATE ai_models SET active = TRUE WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .execute(&mut **conn)
            .await?;
        let before = serde_json::json!({ "version": previous }).to_string();
        let after = serde_json::json!({ "version": version }).to_string();
        crate::insert_audit!(&mut **conn, ws, actor, "ai_model", Some(id), "activate", Some(before.as_str()), Some(after.as_str()), now);
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Training runs

/// A run's states.
pub const RUN_QUEUED: &str = "queued";
pub const RUN_RUNNING: &str = "running";
pub const RUN_DONE: &str = "done";
pub const RUN_FAILED: &str = "failed";

/// One training run.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TrainingRun {
    pub id: i64,
    /// queued | running | done | failed
    pub state: String,
    /// manual | schedule | cli
    pub requested_via: String,
    /// loading | training | scoring, while running.
    pub phase: Option<String>,
    pub progress_done: i64,
    pub progress_total: i64,
    /// What the run came to (a new version, too few outcomes, an error).
    pub message_ja: Option<String>,
    pub message_en: Option<String>,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub job_id: Option<i64>,
    /// The version it trained, if it stored one.
    pub model_id: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl TrainingRun {
    /// Still to finish: queued or running.
    pub fn is_active(&self) -> bool {
        self.state == RUN_QUEUED || self.state == RUN_RUNNING
    }
}

const RUN_COLUMNS: &str = "r.id, r.state, r.requested_via, r.phase, r.progress_done, r.progress_total, \
    r.message_ja, r.message_en, r.requested_by, u.display_name AS requested_by_name, r.job_id, r.model_id, \
    r.created_at, r.started_at, r.finished_at FROM ai_training_runs r \
    LEFT JOIN users u ON u.workspace_id = r.workspace_id AND u.id = r.requested_by WHERE r.workspace_id = $1";

/// Records a requested run (queued) inside the caller's transaction.
pub async fn create_run(
    tx: &mut Tx,
    ws: WorkspaceId,
    requested_via: &str,
    requested_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO ai_training_runs (workspace_id, state, requested_via, requested_by, created_at) \
             VALUES ($1, 'queued', $2, $3, $4) RETURNING id",
        )
        .bind(ws.0)
        .bind(requested_via)
        .bind(requested_by)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?
    }))
}

/// Links a run to the durable job that runs it.
pub async fn set_run_job(tx: &mut Tx, ws: WorkspaceId, run_id: i64, job_id: i64) -> Result<()> {
    with_tx!(tx, conn => {
        sqlx::query("UPDATE ai_training_runs SET job_id = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(run_id)
            .bind(job_id)
            .execute(&mut **conn)
            .await?;
    });
    Ok(())
}

/// Marks a run as started (again, after an interruption: its progress starts over).
pub async fn start_run(db: &Db, ws: WorkspaceId, id: i64, now: i64) -> Result<()> {
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE ai_training_runs SET state = 'running', phase = 'loading', progress_done = 0, \
             progress_total = 0, started_at = $3, finished_at = NULL WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Records what a running run is doing and how far it has got.
pub async fn run_progress(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    phase: &str,
    done: i64,
    total: i64,
) -> Result<()> {
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE ai_training_runs SET phase = $3, progress_done = $4, progress_total = $5 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(phase)
        .bind(done)
        .bind(total)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// How a run ended.
#[derive(Debug, Clone, Copy)]
pub struct RunEnd<'a> {
    /// [`RUN_DONE`] or [`RUN_FAILED`].
    pub state: &'a str,
    /// The version it stored, if any.
    pub model_id: Option<i64>,
    pub message_ja: &'a str,
    pub message_en: &'a str,
}

/// Ends a run (done or failed) with its message.
pub async fn finish_run(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    end: RunEnd<'_>,
    now: i64,
) -> Result<()> {
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE ai_training_runs SET state = $3, phase = NULL, model_id = $4, message_ja = $5, \
             message_en = $6, finished_at = $7 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(end.state)
        .bind(end.model_id)
        .bind(end.message_ja)
        .bind(end.message_en)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// One run, or `None` (also for another workspace's).
pub async fn run(db: &Db, ws: WorkspaceId, id: i64) -> Result<Option<TrainingRun>> {
    let sql = format!("SELECT {RUN_COLUMNS} AND r.id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, TrainingRun>(&sql).bind(ws.0).bind(id).fetch_optional(pool).await?)
    })
}

/// The workspace's most recent runs, newest first.
pub async fn recent_runs(db: &Db, ws: WorkspaceId, limit: i64) -> Result<Vec<TrainingRun>> {
    let sql = format!("SELECT {RUN_COLUMNS} ORDER BY r.id DESC LIMIT $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, TrainingRun>(&sql).bind(ws.0).bind(limit).fetch_all(pool).await?)
    })
}

/// The workspace's most recent run.
pub async fn latest_run(db: &Db, ws: WorkspaceId) -> Result<Option<TrainingRun>> {
    Ok(recent_runs(db, ws, 1).await?.into_iter().next())
}

/// Workspaces that have AI enabled with a retrain schedule, with their period in days.
pub async fn scheduled_workspaces(db: &Db) -> Result<Vec<(WorkspaceId, i64)>> {
    // A workspace without a settings row has the defaults: enabled, weekly.
    let defaults = AiSettings::default();
    let rows: Vec<(i64, Option<bool>, Option<i64>)> = with_db!(db, pool => {
        sqlx::query_as(
            "SELECT w.workspace_id, s.enabled, s.retrain_days FROM workspaces w \
             LEFT JOIN ai_settings s ON s.workspace_id = w.workspace_id ORDER BY w.workspace_id",
        )
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .filter(|(_, enabled, _)| enabled.unwrap_or(defaults.enabled))
        .map(|(ws, _, days)| (WorkspaceId(ws), days.unwrap_or(defaults.retrain_days)))
        .filter(|(_, days)| *days > 0)
        .collect())
}

// ---------------------------------------------------------------------------------------
// Leads' probabilities

/// A lead's AI score as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LeadScore {
    pub lead_id: i64,
    pub probability: f64,
    /// JSON of the reasons (see `ondo_ml`'s `Reasons`); `None` after an event changed
    /// the probability (the reader works them out).
    pub reasons: Option<String>,
    pub model_id: Option<i64>,
}

/// The AI scores of these leads (those that have one), in id order.
pub async fn lead_scores(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<Vec<LeadScore>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let rows = with_db!(db, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id AS lead_id, ai_probability AS probability, ai_reasons AS reasons, \
                 ai_model_id AS model_id FROM leads WHERE ai_probability IS NOT NULL AND workspace_id = ",
            );
            qb.push_bind(ws.0).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as::<LeadScore>().fetch_all(pool).await?
        });
        out.extend(rows);
    }
    out.sort_by_key(|s| s.lead_id);
    Ok(out)
}

/// The AI probabilities of the leads with ids in `first..=last` that have one, inside
/// the caller's transaction (rescoring reads them to build the queue's key).
pub async fn probabilities_between(
    tx: &mut Tx,
    ws: WorkspaceId,
    first: i64,
    last: i64,
) -> Result<HashMap<i64, f64>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, f64)>(
            "SELECT id, ai_probability FROM leads WHERE workspace_id = $1 AND id >= $2 AND id <= $3 \
             AND ai_probability IS NOT NULL",
        )
        .bind(ws.0)
        .bind(first)
        .bind(last)
        .fetch_all(&mut **conn)
        .await?
        .into_iter()
        .collect()
    }))
}

/// The AI probabilities of these leads that have one, inside the caller's transaction.
pub async fn probabilities_of(
    tx: &mut Tx,
    ws: WorkspaceId,
    ids: &[i64],
) -> Result<HashMap<i64, f64>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, ai_probability FROM leads WHERE ai_probability IS NOT NULL AND workspace_id = ",
            );
            qb.push_bind(ws.0).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            out.extend(qb.build_query_as::<(i64, f64)>().fetch_all(&mut **conn).await?);
        });
    }
    Ok(out)
}

/// What the queue's key is made of, per lead: (id, engagement key, fit score).
pub async fn rank_inputs(
    tx: &mut Tx,
    ws: WorkspaceId,
    ids: &[i64],
) -> Result<Vec<(i64, Option<f64>, f64)>> {
    let lock = match tx {
        Tx::Sqlite(_) => "",
        Tx::Postgres(_) => " FOR UPDATE",
    };
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, engagement_key, fit_score FROM leads WHERE workspace_id = ",
            );
            qb.push_bind(ws.0).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") ORDER BY id").push(lock);
            out.extend(
                qb.build_query_as::<(i64, Option<f64>, f64)>()
                    .fetch_all(&mut **conn)
                    .await?,
            );
        });
    }
    Ok(out)
}

/// Stores new AI probabilities of leads (lead, probability, model) without touching
/// their queue keys, for a caller that rescores the leads, keys included, next. Their
/// stored reasons are cleared: readers work them out again when they need them.
pub async fn set_probabilities(
    tx: &mut Tx,
    ws: WorkspaceId,
    scores: &[(i64, f64, i64)],
) -> Result<()> {
    for chunk in scores.chunks(ROWS_PER_STATEMENT) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "UPDATE leads SET ai_probability = v.column2, ai_reasons = NULL, \
                 ai_model_id = v.column3 FROM (",
            );
            qb.push_values(chunk, |mut b, (id, p, model)| {
                b.push_bind(*id).push_bind(*p).push_bind(*model);
            });
            qb.push(") AS v WHERE leads.workspace_id = ")
                .push_bind(ws.0)
                .push(" AND leads.id = v.column1");
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}

/// A lead's new AI score and the queue key that goes with it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLeadScore {
    pub lead_id: i64,
    /// `None` clears the score (no active model).
    pub probability: Option<f64>,
    pub reasons: Option<String>,
    pub model_id: Option<i64>,
    pub priority_key: f64,
}

/// Stores many leads' AI scores and queue keys: one UPDATE per thousand leads.
pub async fn write_scores(tx: &mut Tx, ws: WorkspaceId, scores: &[NewLeadScore]) -> Result<()> {
    for chunk in scores.chunks(ROWS_PER_STATEMENT) {
        with_tx!(tx, conn => {
            // VALUES columns are column1, column2… on both engines.
            let mut qb = sqlx::QueryBuilder::new(
                "UPDATE leads SET ai_probability = v.column2, ai_reasons = v.column3, \
                 ai_model_id = v.column4, priority_key = v.column5 FROM (",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(s.lead_id)
                    .push_bind(s.probability)
                    .push_bind(s.reasons.as_deref())
                    .push_bind(s.model_id)
                    .push_bind(s.priority_key);
            });
            qb.push(") AS v WHERE leads.workspace_id = ")
                .push_bind(ws.0)
                .push(" AND leads.id = v.column1");
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}
