//! Finding leads the dormancy rule may apply to: nurtured leads quiet for a while. The
//! rule itself (in `ondo_domain::scoring::handoff`) decides; this only narrows the search.

use crate::error::Result;
use crate::{Db, WorkspaceId, with_db};

/// Every workspace's id.
pub async fn workspace_ids(db: &Db) -> Result<Vec<WorkspaceId>> {
    let ids: Vec<i64> = with_db!(db, pool => {
        sqlx::query_scalar("SELECT workspace_id FROM workspaces ORDER BY workspace_id")
            .fetch_all(pool)
            .await?
    });
    Ok(ids.into_iter().map(WorkspaceId).collect())
}

/// Nurtured leads with no engagement since `cutoff` (or none at all), after `after`, by id.
pub async fn quiet_nurtured(
    db: &Db,
    ws: WorkspaceId,
    cutoff: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT id FROM leads WHERE workspace_id = $1 AND status = 'nurturing' AND id > $3 \
             AND (last_engaged_at IS NULL OR last_engaged_at < $2) ORDER BY id LIMIT $4",
        )
        .bind(ws.0)
        .bind(cutoff)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
