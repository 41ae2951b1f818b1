use serde::Serialize;

use crate::error::Result;
use crate::{Db, WorkspaceId, with_db};

/// One behaviour of a lead (an email open, a page view, a download…).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    pub lead_id: Option<i64>,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: i64,
    pub url: Option<String>,
    pub properties: String,
}

/// A lead's most recent events, newest first.
pub async fn recent_for_lead(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    limit: i64,
) -> Result<Vec<Event>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Event>(
            "SELECT id, lead_id, type, occurred_at, url, properties FROM events \
             WHERE workspace_id = $1 AND lead_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT $3",
        )
        .bind(ws.0)
        .bind(lead_id)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
