//! Enrolment triggers of step campaigns, and the follower of a workspace's status
//! changes and form submissions.
//!
//! Status changes are written by many hands (the lead page and API, bulk edits,
//! imports, handoff rules); none of them knows about campaigns. Instead the follower
//! reads `status_history` and `form_submissions` by id, past a cursor per workspace kept
//! in `campaign_followers`, and moves the cursor in the transaction that acts on what it
//! read: after a restart it goes on where it stopped, and nothing is skipped or done
//! twice.
//!
//! On PostgreSQL an id is taken when a row is inserted, not when it is committed, so a
//! slow transaction can commit a lower id after a higher one was read. A row is only
//! followed once every transaction of the database that began before it is over (its
//! `xmin` is older than every running transaction's id); the follower stops at the
//! first row that is not, and reads it again next time. SQLite commits one writer at a
//! time, in id order.

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Actor, Db, Tx, WorkspaceId, with_db, with_tx};

/// A trigger's kinds.
pub const KIND_STATUS: &str = "status";
pub const KIND_FORM: &str = "form";
pub const KIND_SEGMENT: &str = "segment";

/// A trigger as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TriggerRow {
    pub id: i64,
    pub campaign_id: i64,
    /// `status`, `form` or `segment`.
    pub kind: String,
    pub status: Option<String>,
    pub form_id: Option<i64>,
    pub segment_id: Option<i64>,
    /// Status changes and submissions with a larger id are acted on.
    pub since_id: i64,
    /// A segment trigger: the last lead id of the pass under way (0: a pass starts).
    pub segment_cursor: i64,
    /// A segment trigger: when its last full pass ended.
    pub segment_pass_at: Option<i64>,
    /// Leads it enrolled.
    pub enrolled: i64,
    pub last_enrolled_at: Option<i64>,
    /// Why it could not enrol at its last try (the campaign has no steps, the sender is
    /// not set, the segment is gone…); `None` when it could.
    pub problem: Option<String>,
    pub created_at: i64,
}

/// A trigger as written (checked by the caller): its kind and the one value of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggerSpec {
    pub kind: String,
    pub status: Option<String>,
    pub form_id: Option<i64>,
    pub segment_id: Option<i64>,
}

impl TriggerSpec {
    /// A stored trigger as written.
    pub fn of(row: &TriggerRow) -> TriggerSpec {
        TriggerSpec {
            kind: row.kind.clone(),
            status: row.status.clone(),
            form_id: row.form_id,
            segment_id: row.segment_id,
        }
    }

    fn same_as(&self, row: &TriggerRow) -> bool {
        self.kind == row.kind
            && self.status == row.status
            && self.form_id == row.form_id
            && self.segment_id == row.segment_id
    }
}

const TRIGGER_COLUMNS: &str = "id, campaign_id, kind, status, form_id, segment_id, since_id, \
    segment_cursor, segment_pass_at, enrolled, last_enrolled_at, problem, created_at";

/// The campaign's triggers, oldest first.
pub async fn of_campaign(db: &Db, ws: WorkspaceId, campaign_id: i64) -> Result<Vec<TriggerRow>> {
    let sql = format!(
        "SELECT {TRIGGER_COLUMNS} FROM campaign_triggers WHERE workspace_id = $1 AND campaign_id = $2 \
         ORDER BY id"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, TriggerRow>(&sql).bind(ws.0).bind(campaign_id).fetch_all(pool).await?)
    })
}

/// Every trigger of the workspace, oldest first.
pub async fn of_workspace(db: &Db, ws: WorkspaceId) -> Result<Vec<TriggerRow>> {
    let sql = format!(
        "SELECT {TRIGGER_COLUMNS} FROM campaign_triggers WHERE workspace_id = $1 ORDER BY id"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, TriggerRow>(&sql).bind(ws.0).fetch_all(pool).await?)
    })
}

/// The highest id of the workspace's status changes (`status`) or form submissions
/// (`form`) so far: a new trigger acts on those after it.
async fn latest_id(tx: &mut Tx, ws: WorkspaceId, table: &str) -> Result<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table} WHERE workspace_id = $1");
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(&sql).bind(ws.0).fetch_one(&mut **conn).await?
    }))
}

/// Gives the workspace its follower, at the status changes and submissions of now, if
/// it has none (its first campaign).
pub async fn ensure_follower(tx: &mut Tx, ws: WorkspaceId, now: i64) -> Result<()> {
    with_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO campaign_followers (workspace_id, status_cursor, form_cursor, updated_at) \
             SELECT $1, \
             COALESCE((SELECT MAX(id) FROM status_history WHERE workspace_id = $1), 0), \
             COALESCE((SELECT MAX(id) FROM form_submissions WHERE workspace_id = $1), 0), $2 \
             WHERE TRUE ON CONFLICT (workspace_id) DO NOTHING",
        )
        .bind(ws.0)
        .bind(now)
        .execute(&mut **conn)
        .await?;
    });
    Ok(())
}

/// Replaces a campaign's enrolment settings in one transaction, with an audit entry:
/// whether it allows re-enrolment, and its triggers. A trigger that was there already
/// keeps its row (and what it has followed); a new one acts on what happens from now
/// on (a segment trigger starts with the segment's current leads); the ones left out
/// are removed. `NotFound` when there is no such campaign.
pub async fn save(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
    allow_reenroll: bool,
    specs: &[TriggerSpec],
    actor: &Actor,
) -> Result<()> {
    let now = Micros::now().0;
    let existing = of_campaign(db, ws, campaign_id).await?;
    let mut tx = db.begin_write().await?;
    let before: Option<bool> = with_tx!(&mut tx, conn => {
        sqlx::query_scalar(
            "SELECT allow_reenroll FROM campaigns WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .fetch_optional(&mut **conn)
        .await?
    });
    let Some(before_reenroll) = before else {
        return Err(StoreError::NotFound);
    };
    with_tx!(&mut tx, conn => {
        sqlx::query(
            "UPDATE campaigns SET allow_reenroll = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .bind(allow_reenroll)
        .bind(now)
        .execute(&mut **conn)
        .await?;
    });
    for row in &existing {
        if !specs.iter().any(|s| s.same_as(row)) {
            with_tx!(&mut tx, conn => {
                sqlx::query("DELETE FROM campaign_triggers WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(row.id)
                    .execute(&mut **conn)
                    .await?;
            });
        }
    }
    let mut added: Vec<&TriggerSpec> = Vec::new();
    for spec in specs {
        if existing.iter().any(|r| spec.same_as(r)) || added.contains(&spec) {
            continue;
        }
        let since = match spec.kind.as_str() {
            KIND_STATUS => latest_id(&mut tx, ws, "status_history").await?,
            KIND_FORM => latest_id(&mut tx, ws, "form_submissions").await?,
            _ => 0,
        };
        with_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO campaign_triggers (workspace_id, campaign_id, kind, status, form_id, \
                 segment_id, since_id, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(ws.0)
            .bind(campaign_id)
            .bind(&spec.kind)
            .bind(&spec.status)
            .bind(spec.form_id)
            .bind(spec.segment_id)
            .bind(since)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut **conn)
            .await?;
        });
        added.push(spec);
    }
    ensure_follower(&mut tx, ws, now).await?;
    let was: Vec<TriggerSpec> = existing.iter().map(TriggerSpec::of).collect();
    let before =
        serde_json::json!({ "allow_reenroll": before_reenroll, "triggers": was }).to_string();
    let after =
        serde_json::json!({ "allow_reenroll": allow_reenroll, "triggers": specs }).to_string();
    with_tx!(&mut tx, conn => {
        crate::insert_audit!(&mut **conn, ws, actor, "campaign", Some(campaign_id), "triggers",
            Some(before.as_str()), Some(after.as_str()), now);
    });
    tx.commit().await
}

/// Records what a trigger did at its last try: `enrolled` more leads, or why it could
/// not (`problem`).
pub async fn record_result(
    tx: &mut Tx,
    ws: WorkspaceId,
    trigger_id: i64,
    enrolled: i64,
    problem: Option<&str>,
    now: i64,
) -> Result<()> {
    with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE campaign_triggers SET enrolled = enrolled + $3, \
             last_enrolled_at = CASE WHEN $3 > 0 THEN $5 ELSE last_enrolled_at END, \
             problem = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(trigger_id)
        .bind(enrolled)
        .bind(problem)
        .bind(now)
        .execute(&mut **conn)
        .await?;
    });
    Ok(())
}

/// Moves a segment trigger's pass: to `cursor` (the last lead id looked at), or, when
/// `pass_done`, back to the start with the time the pass ended. False when another
/// follower moved it meanwhile (it was not at `from` any more) and nothing changed.
pub async fn move_segment_cursor(
    tx: &mut Tx,
    ws: WorkspaceId,
    trigger_id: i64,
    from: i64,
    cursor: i64,
    pass_done: bool,
    now: i64,
) -> Result<bool> {
    let n = with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE campaign_triggers SET segment_cursor = $4, \
             segment_pass_at = CASE WHEN $5 THEN $6 ELSE segment_pass_at END, updated_at = $6 \
             WHERE workspace_id = $1 AND id = $2 AND segment_cursor = $3",
        )
        .bind(ws.0)
        .bind(trigger_id)
        .bind(from)
        .bind(if pass_done { 0 } else { cursor })
        .bind(pass_done)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// How far a workspace's follower has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Follower {
    pub status_cursor: i64,
    pub form_cursor: i64,
}

/// The workspaces that have a follower (those with a campaign).
pub async fn followed_workspaces(db: &Db) -> Result<Vec<WorkspaceId>> {
    let ids: Vec<i64> = with_db!(db, pool => {
        sqlx::query_scalar("SELECT workspace_id FROM campaign_followers ORDER BY workspace_id")
            .fetch_all(pool)
            .await?
    });
    Ok(ids.into_iter().map(WorkspaceId).collect())
}

/// The workspace's follower, if it has one.
pub async fn follower(db: &Db, ws: WorkspaceId) -> Result<Option<Follower>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Follower>(
            "SELECT status_cursor, form_cursor FROM campaign_followers WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .fetch_optional(pool)
        .await?)
    })
}

/// Moves the follower from `from` to `to`, inside the transaction that acted on the rows
/// between. False when another follower moved it meanwhile: the caller rolls back.
pub async fn advance(
    tx: &mut Tx,
    ws: WorkspaceId,
    from: Follower,
    to: Follower,
    now: i64,
) -> Result<bool> {
    let n = with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE campaign_followers SET status_cursor = $4, form_cursor = $5, updated_at = $6 \
             WHERE workspace_id = $1 AND status_cursor = $2 AND form_cursor = $3",
        )
        .bind(ws.0)
        .bind(from.status_cursor)
        .bind(from.form_cursor)
        .bind(to.status_cursor)
        .bind(to.form_cursor)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Whether a row's transaction is older than every transaction of this database still
/// running (PostgreSQL; see the module's words): `age()` counts back from the current
/// transaction id, so an older one has the larger age. SQLite commits in id order.
fn settled_column(db: &Db, alias: &str) -> String {
    match db {
        Db::Sqlite(_) => "1".to_string(),
        Db::Postgres(_) => format!(
            "CASE WHEN age({alias}.xmin) > COALESCE((SELECT MAX(age(a.backend_xid)) \
             FROM pg_stat_activity a WHERE a.datname = current_database() \
             AND a.backend_xid IS NOT NULL), -1) THEN 1 ELSE 0 END"
        ),
    }
}

/// One status change, as the follower reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusChange {
    pub id: i64,
    pub lead_id: i64,
    pub to_status: String,
    pub changed_at: i64,
    /// 0 while a transaction that may hold a lower id is still running (PostgreSQL).
    pub settled: i32,
}

/// The workspace's status changes after `cursor`, in id order (at most `limit`).
pub async fn status_changes_after(
    db: &Db,
    ws: WorkspaceId,
    cursor: i64,
    limit: i64,
) -> Result<Vec<StatusChange>> {
    let sql = format!(
        "SELECT h.id, h.lead_id, h.to_status, h.changed_at, {} AS settled FROM status_history h \
         WHERE h.workspace_id = $1 AND h.id > $2 ORDER BY h.id LIMIT $3",
        settled_column(db, "h")
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, StatusChange>(&sql).bind(ws.0).bind(cursor).bind(limit)
            .fetch_all(pool).await?)
    })
}

/// One form submission, as the follower reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Submission {
    pub id: i64,
    pub form_id: i64,
    /// The lead it reached (through its touchpoint, which follows merges), if known.
    pub lead_id: Option<i64>,
    pub submitted_at: i64,
    pub settled: i32,
}

/// The workspace's form submissions after `cursor`, in id order (at most `limit`).
pub async fn submissions_after(
    db: &Db,
    ws: WorkspaceId,
    cursor: i64,
    limit: i64,
) -> Result<Vec<Submission>> {
    let sql = format!(
        "SELECT s.id, s.form_id, t.lead_id, s.submitted_at, {} AS settled FROM form_submissions s \
         LEFT JOIN touchpoints t ON t.workspace_id = s.workspace_id AND t.id = s.touchpoint_id \
         WHERE s.workspace_id = $1 AND s.id > $2 ORDER BY s.id LIMIT $3",
        settled_column(db, "s")
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Submission>(&sql).bind(ws.0).bind(cursor).bind(limit)
            .fetch_all(pool).await?)
    })
}

/// An active enrolment of a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ActiveEnrollment {
    pub id: i64,
    pub campaign_id: i64,
    pub lead_id: i64,
    pub enrolled_at: i64,
}

/// The active enrolments of these leads, in every campaign.
pub async fn active_enrollments_of_leads(
    tx: &mut Tx,
    ws: WorkspaceId,
    lead_ids: &[i64],
) -> Result<Vec<ActiveEnrollment>> {
    let mut out = Vec::new();
    for chunk in lead_ids.chunks(500) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id, campaign_id, lead_id, enrolled_at FROM campaign_enrollments \
             WHERE workspace_id = $1 AND state = 'active' AND lead_id IN ({}) ORDER BY id",
            placeholders.join(", ")
        );
        let rows: Vec<ActiveEnrollment> = with_tx!(&mut *tx, conn => {
            let mut q = sqlx::query_as::<_, ActiveEnrollment>(&sql).bind(ws.0);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(&mut **conn).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// Of these leads, those ever enrolled in the campaign (a segment trigger enrols a
/// lead once).
pub async fn ever_enrolled(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
    lead_ids: &[i64],
) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in lead_ids.chunks(500) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT DISTINCT lead_id FROM campaign_enrollments \
             WHERE workspace_id = $1 AND campaign_id = $2 AND lead_id IN ({})",
            placeholders.join(", ")
        );
        let rows: Vec<i64> = with_db!(db, pool => {
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(ws.0).bind(campaign_id);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_db;

    async fn status_change(tx: &mut Tx, ws: WorkspaceId, lead: i64) {
        with_tx!(tx, conn => {
            sqlx::query(
                "INSERT INTO status_history (workspace_id, lead_id, from_status, to_status, changed_at) \
                 VALUES ($1, $2, 'new', 'nurturing', 1)",
            )
            .bind(ws.0)
            .bind(lead)
            .execute(&mut **conn)
            .await
            .expect("status change");
        });
    }

    /// On PostgreSQL a transaction that took a lower id and has not committed holds the
    /// follower back: a later row committed meanwhile is not settled, so the cursor never
    /// passes the lower id before it is visible.
    #[tokio::test]
    async fn a_row_behind_a_running_transaction_is_not_followed_yet() {
        let db = fresh_db().await;
        if db.kind() != crate::DbKind::Postgres {
            // SQLite has one writer at a time: ids commit in order.
            return;
        }
        let ws = crate::workspaces::ensure(&db, "default")
            .await
            .expect("workspace")
            .id();
        let lead: i64 = with_db!(&db, pool => {
            sqlx::query_scalar(
                "INSERT INTO leads (workspace_id, name, status, search_text, created_at, updated_at) \
                 VALUES ($1, 'x', 'new', '', 0, 0) RETURNING id",
            )
            .bind(ws.0)
            .fetch_one(pool)
            .await
            .expect("lead")
        });
        let mut slow = db.begin_write().await.expect("tx");
        status_change(&mut slow, ws, lead).await;
        let mut fast = db.begin_write().await.expect("tx");
        status_change(&mut fast, ws, lead).await;
        fast.commit().await.expect("commit");
        let seen = status_changes_after(&db, ws, 0, 10).await.expect("read");
        assert_eq!(seen.len(), 1, "only the committed row is visible");
        assert_eq!(seen[0].settled, 0, "an older transaction is still running");
        slow.commit().await.expect("commit");
        let seen = status_changes_after(&db, ws, 0, 10).await.expect("read");
        assert_eq!(seen.len(), 2);
        assert!(seen.iter().all(|c| c.settled == 1), "{seen:?}");
        assert!(seen[0].id < seen[1].id);
    }
}
