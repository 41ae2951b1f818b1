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
    let filter = AuditFilter {
        lead_id,
        ..Default::default()
    };
    search(db, ws, &filter, limit).await
}

/// Which audit entries to read; every filter is optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only entries about this lead.
    pub lead_id: Option<i64>,
    /// Only entries about this kind of thing (lead, company, user, scoring_rules, …).
    pub entity: Option<String>,
    /// Only entries made by this user.
    pub actor_user_id: Option<i64>,
    /// Only entries older than this one (the previous page's last id).
    pub before_id: Option<i64>,
}

/// Audit entries matching the filter, newest first, at most `limit`. Pages walk the
/// `(workspace_id, id)` key backwards; a lead's entries come from `audit_log_entity`.
pub async fn search(
    db: &Db,
    ws: WorkspaceId,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    let mut sql = String::from(
        "SELECT a.id, a.actor_user_id, u.display_name AS actor_name, a.actor_label, a.entity, a.entity_id, \
         a.action, a.before_json, a.after_json, a.at FROM audit_log a \
         LEFT JOIN users u ON u.workspace_id = a.workspace_id AND u.id = a.actor_user_id \
         WHERE a.workspace_id = $1",
    );
    enum P {
        I(i64),
        T(String),
    }
    let mut params = vec![P::I(ws.0)];
    let mut add = |sql: &mut String, clause: &str, p: P| {
        params.push(p);
        sql.push_str(&clause.replace("$?", &format!("${}", params.len())));
    };
    if let Some(lead) = filter.lead_id {
        add(
            &mut sql,
            " AND a.entity = 'lead' AND a.entity_id = $?",
            P::I(lead),
        );
    }
    if let Some(entity) = filter.entity.as_deref().filter(|e| !e.is_empty()) {
        add(&mut sql, " AND a.entity = $?", P::T(entity.to_string()));
    }
    if let Some(actor) = filter.actor_user_id {
        add(&mut sql, " AND a.actor_user_id = $?", P::I(actor));
    }
    if let Some(before) = filter.before_id {
        add(&mut sql, " AND a.id < $?", P::I(before));
    }
    add(&mut sql, " ORDER BY a.id DESC LIMIT $?", P::I(limit));
    with_db!(db, pool => {
        let mut q = sqlx::query_as::<_, AuditEntry>(&sql);
        for p in &params {
            q = match p {
                P::I(v) => q.bind(*v),
                P::T(v) => q.bind(v.clone()),
            };
        }
        Ok(q.fetch_all(pool).await?)
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
