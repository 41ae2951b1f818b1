//! Bulk loading of whole leads with their history, in one transaction: used by the demo
//! workspace, and the shape imports build on.

use ondo_domain::{LeadStatus, Micros};

use crate::error::Result;
use crate::leads::{LeadFields, NewTouchpoint};
use crate::{Db, WorkspaceId, with_db};

/// A behaviour event to load.
#[derive(Debug, Clone)]
pub struct BulkEvent {
    pub kind: String,
    pub at: Micros,
    pub url: Option<String>,
    pub properties: serde_json::Value,
}

/// An activity to load.
#[derive(Debug, Clone)]
pub struct BulkActivity {
    pub kind: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub at: Micros,
    pub user_id: Option<i64>,
    /// The lead's temperature (hot, warm, cold) when it was logged.
    pub temperature: Option<String>,
}

/// A status change to load.
#[derive(Debug, Clone)]
pub struct BulkStatusChange {
    pub from: Option<LeadStatus>,
    pub to: LeadStatus,
    pub at: Micros,
    pub user_id: Option<i64>,
    pub reason: String,
}

/// A whole lead with its history.
#[derive(Debug, Clone)]
pub struct BulkLead {
    pub fields: LeadFields,
    pub status: LeadStatus,
    pub lost_reason: Option<String>,
    pub created_at: Micros,
    pub updated_at: Micros,
    pub touchpoints: Vec<NewTouchpoint>,
    pub events: Vec<BulkEvent>,
    pub activities: Vec<BulkActivity>,
    pub status_changes: Vec<BulkStatusChange>,
}

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 500;

/// Inserts all leads and their history in one transaction; returns the new lead ids in
/// input order. Either everything is written or nothing.
pub async fn insert_leads(db: &Db, ws: WorkspaceId, leads: &[BulkLead]) -> Result<Vec<i64>> {
    let now = Micros::now().0;
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut ids = Vec::with_capacity(leads.len());
        for lead in leads {
            let id = crate::insert_lead_row!(
                &mut *tx, ws, &lead.fields, lead.status.key(), &lead.lost_reason, lead.created_at.0, lead.updated_at.0
            );
            ids.push(id);
        }

        let touchpoints: Vec<(i64, &NewTouchpoint)> =
            ids.iter().zip(leads).flat_map(|(id, l)| l.touchpoints.iter().map(move |t| (*id, t))).collect();
        for chunk in touchpoints.chunks(CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO touchpoints (workspace_id, lead_id, kind, source, occurred_at, details, created_at) ",
            );
            qb.push_values(chunk, |mut b, (id, t)| {
                b.push_bind(ws.0).push_bind(*id).push_bind(t.kind.clone()).push_bind(t.source.clone())
                    .push_bind(t.occurred_at.0).push_bind(t.details.to_string()).push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
        }

        let events: Vec<(i64, &BulkEvent)> =
            ids.iter().zip(leads).flat_map(|(id, l)| l.events.iter().map(move |e| (*id, e))).collect();
        for chunk in events.chunks(CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO events (workspace_id, lead_id, type, occurred_at, url, properties, created_at) ",
            );
            qb.push_values(chunk, |mut b, (id, e)| {
                b.push_bind(ws.0).push_bind(*id).push_bind(e.kind.clone()).push_bind(e.at.0)
                    .push_bind(e.url.clone()).push_bind(e.properties.to_string()).push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
        }

        let activities: Vec<(i64, &BulkActivity)> =
            ids.iter().zip(leads).flat_map(|(id, l)| l.activities.iter().map(move |a| (*id, a))).collect();
        for chunk in activities.chunks(CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO activities (workspace_id, lead_id, user_id, type, outcome, note, occurred_at, created_at, temperature) ",
            );
            qb.push_values(chunk, |mut b, (id, a)| {
                b.push_bind(ws.0).push_bind(*id).push_bind(a.user_id).push_bind(a.kind.clone())
                    .push_bind(a.outcome.clone()).push_bind(a.note.clone()).push_bind(a.at.0).push_bind(now)
                    .push_bind(a.temperature.clone());
            });
            qb.build().execute(&mut *tx).await?;
        }

        let changes: Vec<(i64, &BulkStatusChange)> =
            ids.iter().zip(leads).flat_map(|(id, l)| l.status_changes.iter().map(move |s| (*id, s))).collect();
        for chunk in changes.chunks(CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO status_history (workspace_id, lead_id, from_status, to_status, reason, changed_by, changed_at) ",
            );
            qb.push_values(chunk, |mut b, (id, s)| {
                b.push_bind(ws.0).push_bind(*id).push_bind(s.from.map(|f| f.key())).push_bind(s.to.key())
                    .push_bind(s.reason.clone()).push_bind(s.user_id).push_bind(s.at.0);
            });
            qb.build().execute(&mut *tx).await?;
        }

        tx.commit().await?;
        Ok(ids)
    })
}

/// Whether the workspace holds no leads yet (the demo loads only into an empty one).
pub async fn workspace_is_empty(db: &Db, ws: WorkspaceId) -> Result<bool> {
    with_db!(db, pool => {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE workspace_id = $1 LIMIT 1) x")
            .bind(ws.0)
            .fetch_one(pool)
            .await?;
        Ok(n == 0)
    })
}
