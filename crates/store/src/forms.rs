//! Web forms: the settings of each embeddable inquiry or document-request form, and the
//! record of the submissions it accepted. Which fields a form may ask for, and what a
//! valid submission is, are decided by the caller.

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Actor, Db, WorkspaceId, with_db};

/// A form as stored, with how many submissions it accepted.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Form {
    pub id: i64,
    /// The unguessable key in the form's public URL.
    pub public_key: String,
    pub name: String,
    /// `inquiry` or `document_request`.
    pub kind: String,
    /// JSON list of `{"key", "required"}`.
    pub fields: String,
    /// The touchpoint source a submission is recorded under.
    pub source: String,
    pub consent_text: Option<String>,
    pub thanks_text: Option<String>,
    pub redirect_url: Option<String>,
    pub active: bool,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub submissions: i64,
}

/// A new form, already validated by the caller.
#[derive(Debug, Clone, Serialize)]
pub struct NewForm {
    pub public_key: String,
    pub name: String,
    pub kind: String,
    pub fields: String,
    pub source: String,
    pub consent_text: Option<String>,
    pub thanks_text: Option<String>,
    pub redirect_url: Option<String>,
}

/// An accepted submission, recorded after the lead was created or unified.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub form_id: i64,
    pub lead_id: i64,
    pub lead_created: bool,
    /// The source of the touchpoint the lead service wrote for this submission.
    pub source: String,
    /// The page the form was sent from, when the browser said.
    pub page_url: Option<String>,
    pub event_properties: serde_json::Value,
    pub at: Micros,
}

/// One accepted submission, with the lead it reached.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SubmissionRow {
    pub id: i64,
    pub submitted_at: i64,
    pub lead_created: bool,
    pub lead_id: Option<i64>,
    pub lead_name: Option<String>,
    pub details: Option<String>,
}

const SELECT: &str = "SELECT f.id, f.public_key, f.name, f.kind, f.fields, f.source, f.consent_text, \
    f.thanks_text, f.redirect_url, f.active, f.created_by, u.display_name AS created_by_name, \
    f.created_at, f.updated_at, \
    (SELECT COUNT(*) FROM form_submissions s WHERE s.workspace_id = f.workspace_id AND s.form_id = f.id) \
    AS submissions \
    FROM forms f LEFT JOIN users u ON u.workspace_id = f.workspace_id AND u.id = f.created_by";

/// Stores a new form and an audit entry, in one transaction.
pub async fn create(db: &Db, ws: WorkspaceId, form: &NewForm, actor: &Actor) -> Result<Form> {
    let now = Micros::now().0;
    let after = serde_json::to_string(form).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let id = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO forms (workspace_id, public_key, name, kind, fields, source, consent_text, \
             thanks_text, redirect_url, active, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, TRUE, $10, $11, $11) RETURNING id",
        )
        .bind(ws.0)
        .bind(&form.public_key)
        .bind(&form.name)
        .bind(&form.kind)
        .bind(&form.fields)
        .bind(&form.source)
        .bind(&form.consent_text)
        .bind(&form.thanks_text)
        .bind(&form.redirect_url)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        crate::insert_audit!(&mut *tx, ws, actor, "form", Some(id), "create", None::<&str>, Some(after.as_str()), now);
        tx.commit().await?;
        id
    });
    get(db, ws, id).await
}

/// The workspace's forms, newest first.
pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<Form>> {
    let sql = format!("{SELECT} WHERE f.workspace_id = $1 ORDER BY f.id DESC");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Form>(&sql).bind(ws.0).fetch_all(pool).await?)
    })
}

/// The form, or `NotFound` (also for a form of another workspace).
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Form> {
    let sql = format!("{SELECT} WHERE f.workspace_id = $1 AND f.id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Form>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// The workspace's form with this public key, active or not.
pub async fn get_by_public_key(db: &Db, ws: WorkspaceId, key: &str) -> Result<Option<Form>> {
    let sql = format!("{SELECT} WHERE f.workspace_id = $1 AND f.public_key = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Form>(&sql).bind(ws.0).bind(key).fetch_optional(pool).await?)
    })
}

/// Turns a form on or off (an inactive form answers 404 publicly), with an audit entry.
pub async fn set_active(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    active: bool,
    actor: &Actor,
) -> Result<Form> {
    let current = get(db, ws, id).await?;
    if current.active == active {
        return Ok(current);
    }
    let now = Micros::now().0;
    let before = serde_json::json!({ "active": current.active }).to_string();
    let after = serde_json::json!({ "active": active }).to_string();
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE forms SET active = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .bind(active)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        crate::insert_audit!(&mut *tx, ws, actor, "form", Some(id), "update", Some(before.as_str()), Some(after.as_str()), now);
        tx.commit().await?;
    });
    get(db, ws, id).await
}

/// Records an accepted submission in one transaction: the details of the touchpoint the
/// lead service just wrote, a `form_submit` event, and the submission row.
///
/// The lead service writes its touchpoint with empty details; the newest such touchpoint
/// of this lead and source is the one to fill. Two simultaneous submissions by the same
/// person could swap their messages, never lose one.
pub async fn record_submission(db: &Db, ws: WorkspaceId, s: &NewSubmission) -> Result<i64> {
    let now = Micros::now().0;
    // It reads, then writes: the write lock is taken first (see `Db::begin_write`).
    let mut tx = db.begin_write().await?;
    let id = crate::with_tx!(&mut tx, conn => {
        // The touchpoint was written with the lead (details included); link the newest.
        let touchpoint_id: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(id) FROM touchpoints WHERE workspace_id = $1 AND lead_id = $2 AND source = $3 \
             AND kind = 'form'",
        )
        .bind(ws.0)
        .bind(s.lead_id)
        .bind(&s.source)
        .fetch_one(&mut **conn)
        .await?;
        sqlx::query(
            "INSERT INTO events (workspace_id, lead_id, type, occurred_at, url, properties, created_at) \
             VALUES ($1, $2, 'form_submit', $3, $4, $5, $6)",
        )
        .bind(ws.0)
        .bind(s.lead_id)
        .bind(s.at.0)
        .bind(&s.page_url)
        .bind(s.event_properties.to_string())
        .bind(now)
        .execute(&mut **conn)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO form_submissions (workspace_id, form_id, touchpoint_id, lead_created, submitted_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(ws.0)
        .bind(s.form_id)
        .bind(touchpoint_id)
        .bind(s.lead_created)
        .bind(s.at.0)
        .fetch_one(&mut **conn)
        .await?;
        id
    });
    tx.commit().await?;
    Ok(id)
}

/// A form's most recent submissions, newest first, with the lead each one reached.
pub async fn recent_submissions(
    db: &Db,
    ws: WorkspaceId,
    form_id: i64,
    limit: i64,
) -> Result<Vec<SubmissionRow>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, SubmissionRow>(
            "SELECT s.id, s.submitted_at, s.lead_created, l.id AS lead_id, l.name AS lead_name, t.details \
             FROM form_submissions s \
             LEFT JOIN touchpoints t ON t.workspace_id = s.workspace_id AND t.id = s.touchpoint_id \
             LEFT JOIN leads l ON l.workspace_id = t.workspace_id AND l.id = t.lead_id \
             WHERE s.workspace_id = $1 AND s.form_id = $2 ORDER BY s.submitted_at DESC, s.id DESC LIMIT $3",
        )
        .bind(ws.0)
        .bind(form_id)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
