//! Speed-to-lead: the workspace's window (business minutes, business day start and end)
//! and the handoffs still waiting for a first touch.

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::Result;
use crate::{Actor, Db, WorkspaceId, with_db};

/// The workspace's speed-to-lead settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WorkflowSettings {
    /// A new SQL must be touched within this many business minutes.
    pub speed_to_lead_minutes: i32,
    /// Business hours: `[day_start_minute, day_end_minute)` of the day, JST.
    pub day_start_minute: i32,
    pub day_end_minute: i32,
    pub updated_by: Option<i64>,
    pub updated_at: Option<i64>,
    /// Since when the rule applies (see [`ensure_started`]); `None` before the first start.
    pub started_at: Option<i64>,
}

impl Default for WorkflowSettings {
    /// One business hour, 9:00–18:00.
    fn default() -> Self {
        WorkflowSettings {
            speed_to_lead_minutes: 60,
            day_start_minute: 540,
            day_end_minute: 1080,
            updated_by: None,
            updated_at: None,
            started_at: None,
        }
    }
}

impl WorkflowSettings {
    fn audit_view(&self) -> String {
        serde_json::json!({
            "speed_to_lead_minutes": self.speed_to_lead_minutes,
            "day_start_minute": self.day_start_minute,
            "day_end_minute": self.day_end_minute,
        })
        .to_string()
    }
}

/// The workspace's settings, or the defaults when it never saved any.
pub async fn get(db: &Db, ws: WorkspaceId) -> Result<WorkflowSettings> {
    let found = with_db!(db, pool => {
        sqlx::query_as::<_, WorkflowSettings>(
            "SELECT speed_to_lead_minutes, day_start_minute, day_end_minute, updated_by, \
             updated_at, started_at FROM workflow_settings WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .fetch_optional(pool)
        .await?
    });
    Ok(found.unwrap_or_default())
}

/// Saves the settings (already checked by the caller), with an audit entry.
pub async fn save(
    db: &Db,
    ws: WorkspaceId,
    minutes: i32,
    day_start_minute: i32,
    day_end_minute: i32,
    actor: &Actor,
) -> Result<WorkflowSettings> {
    let before = get(db, ws).await?;
    let now = Micros::now().0;
    let after = WorkflowSettings {
        speed_to_lead_minutes: minutes,
        day_start_minute,
        day_end_minute,
        updated_by: actor.user_id,
        updated_at: Some(now),
        started_at: before.started_at.or(Some(now)),
    };
    let (before_json, after_json) = (before.audit_view(), after.audit_view());
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO workflow_settings (workspace_id, speed_to_lead_minutes, day_start_minute, \
             day_end_minute, updated_by, updated_at, started_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (workspace_id) DO UPDATE SET speed_to_lead_minutes = excluded.speed_to_lead_minutes, \
             day_start_minute = excluded.day_start_minute, day_end_minute = excluded.day_end_minute, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(ws.0)
        .bind(minutes)
        .bind(day_start_minute)
        .bind(day_end_minute)
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::insert_audit!(&mut *tx, ws, actor, "workflow_settings", None::<i64>, "update", Some(before_json.as_str()), Some(after_json.as_str()), now);
        tx.commit().await?;
    });
    Ok(after)
}

/// Starts the speed-to-lead rule for a workspace at `now` unless it started before: the
/// server does this for its workspace when it starts, so a workspace's past (an upgrade, a
/// history loaded in bulk) never floods anyone with alerts.
pub async fn ensure_started(db: &Db, ws: WorkspaceId, now: Micros) -> Result<()> {
    with_db!(db, pool => {
        sqlx::query(
            "INSERT INTO workflow_settings (workspace_id, updated_at, started_at) VALUES ($1, $2, $2) \
             ON CONFLICT (workspace_id) DO UPDATE SET started_at = COALESCE(workflow_settings.started_at, excluded.started_at)",
        )
        .bind(ws.0)
        .bind(now.0)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// A lead that became sales-ready and has not been touched since.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WaitingHandoff {
    /// The status change that made it sales-ready (the clock's start).
    pub history_id: i64,
    pub lead_id: i64,
    pub changed_at: i64,
    pub owner_id: Option<i64>,
}

/// The kind of alert a speed-to-lead miss raises.
pub const SPEED_TO_LEAD_ALERT: &str = "speed_to_lead";

/// Leads whose latest status change made them sales-ready at or after `since` and at or
/// before `until`, that are still sales-ready, that have had no call, email or meeting
/// since, and whose miss was not alerted yet; oldest first.
pub async fn waiting_handoffs(
    db: &Db,
    ws: WorkspaceId,
    since: Micros,
    until: Micros,
) -> Result<Vec<WaitingHandoff>> {
    let sql = "SELECT h.id AS history_id, h.lead_id, h.changed_at, l.owner_id \
        FROM status_history h \
        JOIN leads l ON l.workspace_id = h.workspace_id AND l.id = h.lead_id \
        WHERE h.workspace_id = $1 AND h.to_status = 'sales_ready' \
          AND h.changed_at >= $2 AND h.changed_at <= $3 AND l.status = 'sales_ready' \
          AND NOT EXISTS (SELECT 1 FROM status_history h2 WHERE h2.workspace_id = h.workspace_id \
              AND h2.lead_id = h.lead_id \
              AND (h2.changed_at > h.changed_at OR (h2.changed_at = h.changed_at AND h2.id > h.id))) \
          AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.workspace_id = h.workspace_id \
              AND a.lead_id = h.lead_id AND a.type IN ('call', 'email', 'meeting') \
              AND a.occurred_at >= h.changed_at) \
          AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.workspace_id = h.workspace_id \
              AND al.kind = $4 AND al.dedupe_key = CAST(h.id AS TEXT)) \
        ORDER BY h.changed_at, h.id";
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, WaitingHandoff>(sql)
            .bind(ws.0)
            .bind(since.0)
            .bind(until.0)
            .bind(SPEED_TO_LEAD_ALERT)
            .fetch_all(pool)
            .await?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ondo_domain::Role;

    #[tokio::test]
    async fn settings_default_then_save_with_an_audit_entry() {
        let db = crate::testing::fresh_db().await;
        let ws = crate::workspaces::ensure(&db, "w").await.expect("ws").id();
        let admin = crate::users::create(&db, ws, "a@example.com", "A", Role::Admin, "x")
            .await
            .expect("user");
        let s = get(&db, ws).await.expect("get");
        assert_eq!(
            (
                s.speed_to_lead_minutes,
                s.day_start_minute,
                s.day_end_minute
            ),
            (60, 540, 1080)
        );
        let actor = Actor::user(admin.id, "test");
        save(&db, ws, 30, 600, 1140, &actor).await.expect("save");
        save(&db, ws, 45, 600, 1140, &actor)
            .await
            .expect("save again");
        let s = get(&db, ws).await.expect("get");
        assert_eq!(
            (
                s.speed_to_lead_minutes,
                s.day_start_minute,
                s.day_end_minute
            ),
            (45, 600, 1140)
        );
        assert_eq!(s.updated_by, Some(admin.id));
        let audit = crate::audit::list(&db, ws, None, 10).await.expect("audit");
        let entries: Vec<_> = audit
            .iter()
            .filter(|e| e.entity == "workflow_settings")
            .collect();
        assert_eq!(entries.len(), 2);
        assert!(
            entries[1]
                .before_json
                .as_deref()
                .unwrap_or("")
                .contains("\"speed_to_lead_minutes\":60")
        );
        assert!(
            entries[0]
                .after_json
                .as_deref()
                .unwrap_or("")
                .contains("\"speed_to_lead_minutes\":45")
        );
        // Another workspace keeps the defaults.
        let other = crate::workspaces::ensure(&db, "o").await.expect("ws").id();
        assert_eq!(
            get(&db, other).await.expect("get").speed_to_lead_minutes,
            60
        );
    }
}
