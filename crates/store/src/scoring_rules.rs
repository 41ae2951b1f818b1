//! Saved versions of a workspace's scoring rules: every save is a new version, none is
//! ever changed or removed, so any earlier version can be read, exported or restored.

use crate::error::Result;
use crate::scoring::RulesVersion;
use crate::{Actor, Db, Tx, WorkspaceId, with_db, with_tx};

/// Saves `rules_toml` as the workspace's next version (already validated by the caller)
/// with an audit entry; evaluates to the new version number.
pub async fn save(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules_toml: &str,
    actor: &Actor,
    note: &str,
    now: i64,
) -> Result<i64> {
    with_tx!(tx, conn => {
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM scoring_rules WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .fetch_one(&mut **conn)
        .await?;
        sqlx::query(
            "INSERT INTO scoring_rules (workspace_id, version, rules_toml, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ws.0)
        .bind(version)
        .bind(rules_toml)
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut **conn)
        .await?;
        let after = serde_json::json!({ "version": version, "note": note }).to_string();
        // Every version is kept whole: the before names the one this replaces.
        let before = (version > 1).then(|| serde_json::json!({ "version": version - 1 }).to_string());
        crate::insert_audit!(&mut **conn, ws, actor, "scoring_rules", Some(version), "save", before.as_deref(), Some(after.as_str()), now);
        Ok(version)
    })
}

/// Every saved version, newest first.
pub async fn history(db: &Db, ws: WorkspaceId, limit: i64) -> Result<Vec<RulesVersion>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, RulesVersion>(
            "SELECT r.version, r.rules_toml, r.created_by, u.display_name AS created_by_name, r.created_at \
             FROM scoring_rules r LEFT JOIN users u ON u.workspace_id = r.workspace_id AND u.id = r.created_by \
             WHERE r.workspace_id = $1 ORDER BY r.version DESC LIMIT $2",
        )
        .bind(ws.0)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}

/// One saved version.
pub async fn get(db: &Db, ws: WorkspaceId, version: i64) -> Result<Option<RulesVersion>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, RulesVersion>(
            "SELECT r.version, r.rules_toml, r.created_by, u.display_name AS created_by_name, r.created_at \
             FROM scoring_rules r LEFT JOIN users u ON u.workspace_id = r.workspace_id AND u.id = r.created_by \
             WHERE r.workspace_id = $1 AND r.version = $2",
        )
        .bind(ws.0)
        .bind(version)
        .fetch_optional(pool)
        .await?)
    })
}
