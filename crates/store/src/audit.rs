use serde::Serialize;

use crate::error::Result;
use crate::{Db, WorkspaceId, with_db};

/// Writes one audit entry inside the caller's transaction (a macro so one body serves
/// both drivers' transaction types).
#[macro_export]
#[doc(hidden)]
macro_rules! insert_audit {
    ($exec:expr, $ws:expr, $actor:expr, $entity:expr, $entity_id:expr, $action:expr, $before:expr, $after:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (workspace_id, actor_user_id, actor_label, entity, entity_id, action, \
             before_json, after_json, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind($ws.0)
        .bind($actor.user_id)
        .bind($actor.label.as_str())
        .bind($entity)
        .bind($entity_id)
        .bind($action)
        .bind($before)
        .bind($after)
        .bind($at)
        .execute($exec)
        .await?
    };
}

/// One audit entry: who changed what, when, with the before and after.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_user_id: Option<i64>,
    pub actor_name: Option<String>,
    pub actor_label: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub at: i64,
}

/// Audit entries, newest first; only those of one lead when `lead_id` is given.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    lead_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    let sql = "SELECT a.id, a.actor_user_id, u.display_name AS actor_name, a.actor_label, a.entity, a.entity_id, \
               a.action, a.before_json, a.after_json, a.at FROM audit_log a \
               LEFT JOIN users u ON u.workspace_id = a.workspace_id AND u.id = a.actor_user_id \
               WHERE a.workspace_id = $1 AND ($2 = 0 OR (a.entity = 'lead' AND a.entity_id = $2)) \
               ORDER BY a.id DESC LIMIT $3";
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, AuditEntry>(sql)
            .bind(ws.0)
            .bind(lead_id.unwrap_or(0))
            .bind(limit)
            .fetch_all(pool)
            .await?)
    })
}

/// Records an action outside any other transaction (sign-ins, user and token changes).
pub async fn record(
    db: &Db,
    ws: WorkspaceId,
    actor: &crate::Actor,
    entity: &str,
    entity_id: Option<i64>,
    action: &str,
    after: Option<&str>,
) -> Result<()> {
    let now = ondo_domain::Micros::now().0;
    with_db!(db, pool => {
        crate::insert_audit!(pool, ws, actor, entity, entity_id, action, None::<&str>, after, now);
    });
    Ok(())
}
