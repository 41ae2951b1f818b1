//! What the assignment rules read when a lead goes to sales: its touchpoint sources, and
//! the active user a rule names by email.

use crate::error::Result;
use crate::{Tx, WorkspaceId, with_tx};

/// The distinct sources of a lead's touchpoints, oldest first.
pub async fn lead_sources(tx: &mut Tx, ws: WorkspaceId, lead_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, i64)> = with_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT source, MIN(occurred_at) AS first FROM touchpoints \
             WHERE workspace_id = $1 AND lead_id = $2 GROUP BY source ORDER BY first, source",
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_all(&mut **conn)
        .await?
    });
    Ok(rows.into_iter().map(|(s, _)| s).collect())
}

/// The id of the workspace's active user with this email (compared without case).
pub async fn active_user_by_email(
    tx: &mut Tx,
    ws: WorkspaceId,
    email: &str,
) -> Result<Option<i64>> {
    with_tx!(tx, conn => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT id FROM users WHERE workspace_id = $1 AND LOWER(email) = LOWER($2) AND disabled = FALSE",
        )
        .bind(ws.0)
        .bind(email.trim())
        .fetch_optional(&mut **conn)
        .await?)
    })
}

/// Records in the audit log how a lead handed to sales got its owner (`how`: the rule
/// in words, or round robin).
pub async fn record_assignment(
    tx: &mut Tx,
    ws: WorkspaceId,
    lead_id: i64,
    owner_id: i64,
    how: &str,
    now: i64,
) -> Result<()> {
    let actor = crate::Actor::system("rules");
    let after = serde_json::json!({ "owner_id": owner_id, "by": how }).to_string();
    with_tx!(tx, conn => {
        crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(lead_id), "assign", None::<&str>, Some(after.as_str()), now);
    });
    Ok(())
}
