//! Notification channels (webhooks that hear of handoffs besides the owner's email) and
//! the facts a handoff notification tells: the lead, its company, and the status change
//! that made it sales-ready.

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Actor, Db, Tx, WorkspaceId, with_db, with_tx};

/// One webhook channel as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    /// `slack` (a Slack-compatible incoming webhook) or `json` (generic, signed).
    pub kind: String,
    pub url: String,
    /// The HMAC key of a `json` channel.
    #[serde(skip)]
    pub secret: Option<String>,
    pub active: bool,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A channel to add, already checked by the caller.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub secret: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.name, c.kind, c.url, c.secret, c.active, c.created_by, \
    u.display_name AS created_by_name, c.created_at, c.updated_at FROM notification_channels c \
    LEFT JOIN users u ON u.workspace_id = c.workspace_id AND u.id = c.created_by";

/// What the audit log keeps of a channel: never its URL (a Slack URL is a credential)
/// nor its secret.
fn audit_view(name: &str, kind: &str, active: bool) -> String {
    serde_json::json!({ "name": name, "kind": kind, "active": active }).to_string()
}

/// Stores a new active channel, with an audit entry.
pub async fn create(db: &Db, ws: WorkspaceId, c: &NewChannel, actor: &Actor) -> Result<Channel> {
    let now = Micros::now().0;
    let after = audit_view(&c.name, &c.kind, true);
    let id = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notification_channels (workspace_id, name, kind, url, secret, active, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $7) RETURNING id",
        )
        .bind(ws.0)
        .bind(&c.name)
        .bind(&c.kind)
        .bind(&c.url)
        .bind(&c.secret)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        crate::insert_audit!(&mut *tx, ws, actor, "notification_channel", Some(id), "create", None::<&str>, Some(after.as_str()), now);
        tx.commit().await?;
        id
    });
    get(db, ws, id).await
}

/// The workspace's channels, oldest first.
pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<Channel>> {
    let sql = format!("{SELECT} WHERE c.workspace_id = $1 ORDER BY c.id");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Channel>(&sql).bind(ws.0).fetch_all(pool).await?)
    })
}

/// The channel, or `NotFound` (also for a channel of another workspace).
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Channel> {
    let sql = format!("{SELECT} WHERE c.workspace_id = $1 AND c.id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Channel>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// The channel if it still exists (a job may outlive the channel it was for).
pub async fn find(db: &Db, ws: WorkspaceId, id: i64) -> Result<Option<Channel>> {
    match get(db, ws, id).await {
        Ok(c) => Ok(Some(c)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Turns a channel on or off, with an audit entry.
pub async fn set_active(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    active: bool,
    actor: &Actor,
) -> Result<Channel> {
    let current = get(db, ws, id).await?;
    if current.active == active {
        return Ok(current);
    }
    let now = Micros::now().0;
    let before = audit_view(&current.name, &current.kind, current.active);
    let after = audit_view(&current.name, &current.kind, active);
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "UPDATE notification_channels SET active = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(active)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::insert_audit!(&mut *tx, ws, actor, "notification_channel", Some(id), "update", Some(before.as_str()), Some(after.as_str()), now);
        tx.commit().await?;
    });
    get(db, ws, id).await
}

/// Removes a channel, with an audit entry; its queued jobs find it gone and send nothing.
pub async fn delete(db: &Db, ws: WorkspaceId, id: i64, actor: &Actor) -> Result<()> {
    let current = get(db, ws, id).await?;
    let now = Micros::now().0;
    let before = audit_view(&current.name, &current.kind, current.active);
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM notification_channels WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::insert_audit!(&mut *tx, ws, actor, "notification_channel", Some(id), "delete", Some(before.as_str()), None::<&str>, now);
        tx.commit().await?;
    });
    Ok(())
}

/// Who and where to notify of a handoff, read inside the transaction that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffTargets {
    /// The owner's email, when the owner is an active user of the workspace.
    pub owner_email: Option<String>,
    /// The lead's newest status change (the one that made it sales-ready).
    pub history_id: Option<i64>,
    /// The workspace's active channels.
    pub channel_ids: Vec<i64>,
}

/// The targets of a handoff of `lead_id` to `owner_user_id`, inside `tx`.
pub async fn handoff_targets(
    tx: &mut Tx,
    ws: WorkspaceId,
    lead_id: i64,
    owner_user_id: i64,
) -> Result<HandoffTargets> {
    Ok(with_tx!(tx, conn => {
        let owner_email: Option<String> = sqlx::query_scalar(
            "SELECT email FROM users WHERE workspace_id = $1 AND id = $2 AND disabled = FALSE",
        )
        .bind(ws.0)
        .bind(owner_user_id)
        .fetch_optional(&mut **conn)
        .await?;
        let history_id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM status_history WHERE workspace_id = $1 AND lead_id = $2 \
             ORDER BY changed_at DESC, id DESC LIMIT 1",
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_optional(&mut **conn)
        .await?;
        let channel_ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM notification_channels WHERE workspace_id = $1 AND active = TRUE ORDER BY id",
        )
        .bind(ws.0)
        .fetch_all(&mut **conn)
        .await?;
        HandoffTargets {
            owner_email: owner_email.filter(|e| !e.trim().is_empty()),
            history_id,
            channel_ids,
        }
    }))
}

/// What a handoff notification says of the lead, read when it is sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HandoffFacts {
    pub lead_id: i64,
    pub lead_name: String,
    /// The company's display name, or the name typed on the lead.
    pub company: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub status: String,
    /// The rule of the status change (mql, sql…), when a rule made it.
    pub rule: Option<String>,
    /// Why the status changed, in Japanese and English.
    pub reason: Option<String>,
    pub reason_en: Option<String>,
    pub changed_at: Option<i64>,
}

/// The lead's facts, with its status change `history_id` (or its newest one when that
/// row is gone); `None` when the workspace has no such lead.
pub async fn handoff_facts(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    history_id: Option<i64>,
) -> Result<Option<HandoffFacts>> {
    let sql = "SELECT l.id AS lead_id, l.name AS lead_name, \
               COALESCE(c.display_name, l.company_name) AS company, l.department, l.title, l.status, \
               h.rule, h.reason, h.reason_en, h.changed_at \
               FROM leads l \
               LEFT JOIN companies c ON c.workspace_id = l.workspace_id AND c.id = l.company_id \
               LEFT JOIN status_history h ON h.workspace_id = l.workspace_id AND h.id = COALESCE( \
                 (SELECT h1.id FROM status_history h1 WHERE h1.workspace_id = l.workspace_id \
                  AND h1.lead_id = l.id AND h1.id = $3), \
                 (SELECT h2.id FROM status_history h2 WHERE h2.workspace_id = l.workspace_id \
                  AND h2.lead_id = l.id ORDER BY h2.changed_at DESC, h2.id DESC LIMIT 1)) \
               WHERE l.workspace_id = $1 AND l.id = $2";
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, HandoffFacts>(sql)
            .bind(ws.0)
            .bind(lead_id)
            .bind(history_id)
            .fetch_optional(pool)
            .await?)
    })
}
