use serde::Serialize;

use crate::error::Result;
use crate::{Db, WorkspaceId, with_db};

/// Counts for a workspace.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Stats {
    pub leads: i64,
    pub companies: i64,
    pub events: i64,
    pub activities: i64,
    pub users: i64,
    /// Leads per status key.
    pub by_status: Vec<(String, i64)>,
}

pub async fn workspace(db: &Db, ws: WorkspaceId) -> Result<Stats> {
    let count =
        |table: &'static str| format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = $1");
    let mut stats = Stats::default();
    for (table, slot) in [
        ("leads", &mut stats.leads),
        ("companies", &mut stats.companies),
        ("events", &mut stats.events),
        ("activities", &mut stats.activities),
        ("users", &mut stats.users),
    ] {
        let sql = count(table);
        *slot = with_db!(db, pool => sqlx::query_scalar::<_, i64>(&sql).bind(ws.0).fetch_one(pool).await?);
    }
    stats.by_status = with_db!(db, pool => {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT status, COUNT(*) FROM leads WHERE workspace_id = $1 GROUP BY status ORDER BY status",
        )
        .bind(ws.0)
        .fetch_all(pool)
        .await?
    });
    Ok(stats)
}
