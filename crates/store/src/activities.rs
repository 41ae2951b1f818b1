use ondo_domain::Micros;
use serde::Serialize;

use crate::error::Result;
use crate::{Actor, Db, WorkspaceId, with_db};

/// Something a person on our side did with a lead.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Activity {
    pub id: i64,
    pub lead_id: i64,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub occurred_at: i64,
    pub created_at: i64,
    /// The lead's temperature (hot, warm, cold) when the activity was logged.
    pub temperature: Option<String>,
}

/// A new activity, already validated.
#[derive(Debug, Clone)]
pub struct NewActivity {
    pub kind: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub occurred_at: Micros,
    /// The lead's temperature (hot, warm, cold) at the time, for the reports.
    pub temperature: Option<String>,
}

const SELECT: &str = "SELECT a.id, a.lead_id, a.user_id, u.display_name AS user_name, a.type, a.outcome, a.note, \
    a.occurred_at, a.created_at, a.temperature FROM activities a \
    LEFT JOIN users u ON u.workspace_id = a.workspace_id AND u.id = a.user_id";

/// Records an activity on a lead (and its audit entry) in one transaction.
pub async fn add(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    new: &NewActivity,
    actor: &Actor,
) -> Result<Activity> {
    let now = Micros::now().0;
    let after = serde_json::json!({
        "type": new.kind, "outcome": new.outcome, "note": new.note, "at": new.occurred_at.0
    })
    .to_string();
    let id = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO activities (workspace_id, lead_id, user_id, type, outcome, note, occurred_at, \
             created_at, temperature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(ws.0)
        .bind(lead_id)
        .bind(actor.user_id)
        .bind(&new.kind)
        .bind(&new.outcome)
        .bind(&new.note)
        .bind(new.occurred_at.0)
        .bind(now)
        .bind(&new.temperature)
        .fetch_one(&mut *tx)
        .await?;
        crate::insert_audit!(&mut *tx, ws, actor, "lead", Some(lead_id), "activity", None::<&str>, Some(after.as_str()), now);
        tx.commit().await?;
        id
    });
    let sql = format!("{SELECT} WHERE a.workspace_id = $1 AND a.id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Activity>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// A lead's activities, newest first.
pub async fn for_lead(db: &Db, ws: WorkspaceId, lead_id: i64) -> Result<Vec<Activity>> {
    let sql = format!(
        "{SELECT} WHERE a.workspace_id = $1 AND a.lead_id = $2 ORDER BY a.occurred_at DESC, a.id DESC"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Activity>(&sql).bind(ws.0).bind(lead_id).fetch_all(pool).await?)
    })
}
