//! What the app tells one user (a speed-to-lead miss, …) until they mark it read.
//! Raising the same alert twice is a no-op: `(user, kind, dedupe_key)` is unique.

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Db, Tx, WorkspaceId, with_db, with_tx};

/// One alert, with the name of the lead it is about.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Alert {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub lead_id: Option<i64>,
    pub lead_name: Option<String>,
    pub dedupe_key: String,
    /// JSON facts the page renders in the reader's language.
    pub details: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

impl Alert {
    /// The details as JSON (an empty object when they do not parse).
    pub fn details_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.details).unwrap_or_else(|_| serde_json::json!({}))
    }
}

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub user_id: i64,
    pub kind: String,
    pub lead_id: Option<i64>,
    /// What makes two alerts the same one, e.g. the status change that started a clock.
    pub dedupe_key: String,
    pub details: serde_json::Value,
}

const SELECT: &str = "SELECT a.id, a.user_id, a.kind, a.lead_id, l.name AS lead_name, a.dedupe_key, \
    a.details, a.created_at, a.read_at FROM alerts a \
    LEFT JOIN leads l ON l.workspace_id = a.workspace_id AND l.id = a.lead_id";

const INSERT: &str = "INSERT INTO alerts (workspace_id, user_id, kind, lead_id, dedupe_key, details, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7) \
    ON CONFLICT (workspace_id, user_id, kind, dedupe_key) DO NOTHING RETURNING id";

/// Inside the caller's transaction: raises the alert unless the user already has it.
/// Evaluates to the new alert's id, or `None` when it existed.
pub async fn raise(
    tx: &mut Tx,
    ws: WorkspaceId,
    new: &NewAlert,
    now: Micros,
) -> Result<Option<i64>> {
    let details = new.details.to_string();
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(INSERT)
            .bind(ws.0)
            .bind(new.user_id)
            .bind(&new.kind)
            .bind(new.lead_id)
            .bind(&new.dedupe_key)
            .bind(&details)
            .bind(now.0)
            .fetch_optional(&mut **conn)
            .await?
    }))
}

/// [`raise`] in a transaction of its own.
pub async fn raise_db(
    db: &Db,
    ws: WorkspaceId,
    new: &NewAlert,
    now: Micros,
) -> Result<Option<i64>> {
    let mut tx = db.begin_write().await?;
    let id = raise(&mut tx, ws, new, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// A user's unread alerts, newest first.
pub async fn unread(db: &Db, ws: WorkspaceId, user_id: i64, limit: i64) -> Result<Vec<Alert>> {
    let sql = format!(
        "{SELECT} WHERE a.workspace_id = $1 AND a.user_id = $2 AND a.read_at IS NULL \
         ORDER BY a.created_at DESC, a.id DESC LIMIT $3"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Alert>(&sql).bind(ws.0).bind(user_id).bind(limit).fetch_all(pool).await?)
    })
}

/// How many unread alerts the user has.
pub async fn unread_count(db: &Db, ws: WorkspaceId, user_id: i64) -> Result<i64> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM alerts WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL",
        )
        .bind(ws.0)
        .bind(user_id)
        .fetch_one(pool)
        .await?)
    })
}

/// Marks one of the user's alerts read; `NotFound` for an alert that is not theirs.
pub async fn mark_read(db: &Db, ws: WorkspaceId, user_id: i64, id: i64, now: Micros) -> Result<()> {
    with_db!(db, pool => {
        let r = sqlx::query(
            "UPDATE alerts SET read_at = COALESCE(read_at, $4) WHERE workspace_id = $1 AND user_id = $2 AND id = $3",
        )
        .bind(ws.0)
        .bind(user_id)
        .bind(id)
        .bind(now.0)
        .execute(pool)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    });
    Ok(())
}

/// Every alert of a kind with this dedupe key, read or not (who was told of it).
pub async fn by_key(db: &Db, ws: WorkspaceId, kind: &str, dedupe_key: &str) -> Result<Vec<Alert>> {
    let sql = format!(
        "{SELECT} WHERE a.workspace_id = $1 AND a.kind = $2 AND a.dedupe_key = $3 ORDER BY a.user_id"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Alert>(&sql).bind(ws.0).bind(kind).bind(dedupe_key).fetch_all(pool).await?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ondo_domain::Role;

    #[tokio::test]
    async fn an_alert_is_raised_once_and_read_by_its_user_only() {
        let db = crate::testing::fresh_db().await;
        let ws = crate::workspaces::ensure(&db, "a").await.expect("ws").id();
        let me = crate::users::create(&db, ws, "m@example.com", "M", Role::Manager, "x")
            .await
            .expect("user");
        let other = crate::users::create(&db, ws, "o@example.com", "O", Role::Sales, "x")
            .await
            .expect("user");
        let new = NewAlert {
            user_id: me.id,
            kind: "speed_to_lead".into(),
            lead_id: None,
            dedupe_key: "42".into(),
            details: serde_json::json!({"minutes": 60}),
        };
        let now = Micros::now();
        let id = raise_db(&db, ws, &new, now)
            .await
            .expect("raise")
            .expect("new");
        assert_eq!(raise_db(&db, ws, &new, now).await.expect("raise"), None);
        assert_eq!(unread_count(&db, ws, me.id).await.expect("count"), 1);
        let alerts = unread(&db, ws, me.id, 10).await.expect("unread");
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].details_json()["minutes"], 60);
        assert!(matches!(
            mark_read(&db, ws, other.id, id, now).await,
            Err(StoreError::NotFound)
        ));
        mark_read(&db, ws, me.id, id, now).await.expect("read");
        assert_eq!(unread_count(&db, ws, me.id).await.expect("count"), 0);
        // Read, it is still the same alert: raising it again does nothing.
        assert_eq!(raise_db(&db, ws, &new, now).await.expect("raise"), None);
        assert_eq!(
            by_key(&db, ws, "speed_to_lead", "42")
                .await
                .expect("key")
                .len(),
            1
        );
    }
}
