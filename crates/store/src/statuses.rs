//! The workspace's wording of the status definitions, and its managed list of lost
//! reasons. Both fall back to the standard ones (held by the caller) when never edited.

use crate::error::Result;
use crate::{Actor, Db, WorkspaceId, with_db};

/// A status's reworded texts; `None` keeps the standard text.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusWording {
    pub status: String,
    pub meaning: Option<String>,
    pub marketing_role: Option<String>,
    pub sales_role: Option<String>,
}

/// Every reworded status of the workspace.
pub async fn wordings(db: &Db, ws: WorkspaceId) -> Result<Vec<StatusWording>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, StatusWording>(
            "SELECT status, meaning, marketing_role, sales_role FROM status_definitions \
             WHERE workspace_id = $1 ORDER BY status",
        )
        .bind(ws.0)
        .fetch_all(pool)
        .await?)
    })
}

/// Saves a status's wording (replacing the previous one) with an audit entry.
pub async fn save_wording(
    db: &Db,
    ws: WorkspaceId,
    w: &StatusWording,
    actor: &Actor,
) -> Result<()> {
    let now = ondo_domain::Micros::now().0;
    let after = serde_json::json!({
        "status": w.status, "meaning": w.meaning, "marketing_role": w.marketing_role, "sales_role": w.sales_role,
    })
    .to_string();
    let before = wordings(db, ws)
        .await?
        .into_iter()
        .find(|b| b.status == w.status)
        .map(|b| {
            serde_json::json!({
                "status": b.status, "meaning": b.meaning, "marketing_role": b.marketing_role,
                "sales_role": b.sales_role,
            })
            .to_string()
        });
    let mut tx = db.begin_write().await?;
    crate::with_tx!(&mut tx, conn => {
        sqlx::query(
            "INSERT INTO status_definitions (workspace_id, status, meaning, marketing_role, sales_role, \
             updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (workspace_id, status) DO UPDATE SET meaning = excluded.meaning, \
             marketing_role = excluded.marketing_role, sales_role = excluded.sales_role, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(ws.0)
        .bind(&w.status)
        .bind(&w.meaning)
        .bind(&w.marketing_role)
        .bind(&w.sales_role)
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "status_definition", None::<i64>, "update", before.as_deref(), Some(after.as_str()), now);
    });
    tx.commit().await
}

/// The edited list of lost reasons, in order; empty when never edited.
pub async fn lost_reasons(db: &Db, ws: WorkspaceId) -> Result<Vec<String>> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, String>(
            "SELECT label FROM lost_reasons WHERE workspace_id = $1 ORDER BY position",
        )
        .bind(ws.0)
        .fetch_all(pool)
        .await?)
    })
}

/// Replaces the list of lost reasons (already checked: non-empty, distinct) with an
/// audit entry holding the old and the new list.
pub async fn set_lost_reasons(
    db: &Db,
    ws: WorkspaceId,
    labels: &[String],
    actor: &Actor,
) -> Result<()> {
    let now = ondo_domain::Micros::now().0;
    let before = serde_json::to_string(&lost_reasons(db, ws).await?).unwrap_or_default();
    let after = serde_json::to_string(labels).unwrap_or_default();
    let mut tx = db.begin_write().await?;
    crate::with_tx!(&mut tx, conn => {
        sqlx::query("DELETE FROM lost_reasons WHERE workspace_id = $1")
            .bind(ws.0)
            .execute(&mut **conn)
            .await?;
        for (i, label) in labels.iter().enumerate() {
            sqlx::query("INSERT INTO lost_reasons (workspace_id, position, label) VALUES ($1, $2, $3)")
                .bind(ws.0)
                .bind(i as i64)
                .bind(label)
                .execute(&mut **conn)
                .await?;
        }
        crate::insert_audit!(&mut **conn, ws, actor, "lost_reasons", None::<i64>, "update", Some(before.as_str()), Some(after.as_str()), now);
    });
    tx.commit().await
}
