use serde::Serialize;

use crate::error::Result;
use crate::{Db, Tx, WorkspaceId, with_db, with_tx};

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
    pub category: Option<String>,
    pub bot_reason: Option<String>,
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
            "SELECT id, lead_id, type, occurred_at, url, properties, category, bot_reason FROM events \
             WHERE workspace_id = $1 AND lead_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT $3",
        )
        .bind(ws.0)
        .bind(lead_id)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}

/// An event to store; the caller has parsed and classified it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The sender's idempotency key: a second event with the same key is a duplicate.
    pub key: String,
    pub kind: String,
    pub occurred_at: i64,
    pub lead_id: Option<i64>,
    /// Kept so the event can be attached when a lead with this email appears.
    pub email: Option<String>,
    pub visitor_id: Option<String>,
    pub url: Option<String>,
    pub category: Option<String>,
    pub properties: String,
    pub bot_reason: Option<String>,
}

/// What scoring needs of one event (read from the `events_lead` index alone).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScoringEvent {
    #[sqlx(rename = "type")]
    pub kind: String,
    pub category: Option<String>,
    pub occurred_at: i64,
    pub bot_reason: Option<String>,
}

/// Stores one event unless its key was seen before; evaluates to the new id, or `None`
/// for a duplicate.
pub async fn insert(tx: &mut Tx, ws: WorkspaceId, e: &NewEvent, now: i64) -> Result<Option<i64>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO events (workspace_id, lead_id, type, occurred_at, url, properties, idempotency_key, \
             email, visitor_id, category, bot_reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (workspace_id, idempotency_key) DO NOTHING RETURNING id",
        )
        .bind(ws.0)
        .bind(e.lead_id)
        .bind(&e.kind)
        .bind(e.occurred_at)
        .bind(&e.url)
        .bind(&e.properties)
        .bind(&e.key)
        .bind(&e.email)
        .bind(&e.visitor_id)
        .bind(&e.category)
        .bind(&e.bot_reason)
        .bind(now)
        .fetch_optional(&mut **conn)
        .await?
    }))
}

/// The lead with this (normalised) email, if any.
pub async fn lead_by_email(tx: &mut Tx, ws: WorkspaceId, email: &str) -> Result<Option<i64>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM leads WHERE workspace_id = $1 AND email = $2 ORDER BY id LIMIT 1",
        )
        .bind(ws.0)
        .bind(email)
        .fetch_optional(&mut **conn)
        .await?
    }))
}

/// Whether the workspace has this lead.
pub async fn lead_exists(tx: &mut Tx, ws: WorkspaceId, id: i64) -> Result<bool> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>("SELECT id FROM leads WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .fetch_optional(&mut **conn)
            .await?
            .is_some()
    }))
}

/// A lead's events, oldest first, as scoring reads them (from `events_lead` alone).
const FOR_SCORING: &str = "SELECT type, category, occurred_at, bot_reason FROM events \
    WHERE workspace_id = $1 AND lead_id = $2 ORDER BY occurred_at";

/// Every event of a lead, oldest first, as scoring reads them.
pub async fn for_scoring(tx: &mut Tx, ws: WorkspaceId, lead_id: i64) -> Result<Vec<ScoringEvent>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, ScoringEvent>(
            FOR_SCORING,
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_all(&mut **conn)
        .await?
    }))
}

/// Every event of a lead, oldest first, as scoring reads them (outside a transaction).
pub async fn for_scoring_db(db: &Db, ws: WorkspaceId, lead_id: i64) -> Result<Vec<ScoringEvent>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ScoringEvent>(
            FOR_SCORING,
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_all(pool)
        .await?)
    })
}

/// A lead's email clicks since `since` that are not yet marked automated: (id, time).
pub async fn human_clicks_since(
    tx: &mut Tx,
    ws: WorkspaceId,
    lead_id: i64,
    since: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT id, occurred_at FROM events WHERE workspace_id = $1 AND lead_id = $2 \
             AND occurred_at >= $3 AND type = 'email_click' AND bot_reason IS NULL ORDER BY occurred_at",
        )
        .bind(ws.0)
        .bind(lead_id)
        .bind(since)
        .fetch_all(&mut **conn)
        .await?
    }))
}

/// Marks events as automated, with the reason.
pub async fn mark_bot(tx: &mut Tx, ws: WorkspaceId, ids: &[i64], reason: &str) -> Result<()> {
    for id in ids {
        with_tx!(tx, conn => {
            sqlx::query("UPDATE events SET bot_reason = $3 WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0)
                .bind(id)
                .bind(reason)
                .execute(&mut **conn)
                .await?;
        });
    }
    Ok(())
}

/// Attaches the events kept for an email (or a visitor) nobody had yet to the lead that
/// now has it; evaluates to how many were attached.
pub async fn attach(
    tx: &mut Tx,
    ws: WorkspaceId,
    lead_id: i64,
    email: Option<&str>,
    visitor_id: Option<&str>,
) -> Result<u64> {
    let mut n = 0;
    for (column, value) in [("email", email), ("visitor_id", visitor_id)] {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        let sql = format!(
            "UPDATE events SET lead_id = $2 WHERE workspace_id = $1 AND lead_id IS NULL AND {column} = $3"
        );
        n += with_tx!(tx, conn => {
            sqlx::query(&sql)
                .bind(ws.0)
                .bind(lead_id)
                .bind(value)
                .execute(&mut **conn)
                .await?
                .rows_affected()
        });
    }
    Ok(n)
}

/// Page views and downloads stored without a page category (bulk loads): (id, url).
pub async fn uncategorised_pages(db: &Db, ws: WorkspaceId) -> Result<Vec<(i64, String)>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, (i64, String)>(
            "SELECT id, url FROM events WHERE workspace_id = $1 AND category IS NULL \
             AND type IN ('page_view', 'download') AND url IS NOT NULL ORDER BY id",
        )
        .bind(ws.0)
        .fetch_all(pool)
        .await?)
    })
}

/// Sets an event's page category.
pub async fn set_category(tx: &mut Tx, ws: WorkspaceId, id: i64, category: &str) -> Result<()> {
    with_tx!(tx, conn => {
        sqlx::query("UPDATE events SET category = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .bind(category)
            .execute(&mut **conn)
            .await?;
    });
    Ok(())
}
