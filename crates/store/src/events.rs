use std::collections::{HashMap, HashSet};
use std::time::Duration;

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

/// A connection of its own for a task that writes all the time (the event writer, a
/// workspace rescoring): on SQLite a pool of one connection, kept open, because SQLite
/// empties a connection's page cache whenever another connection has written since its
/// last transaction, and a pooled connection rarely wrote last, so every write
/// transaction started cold and read each page it touched from the file again. Elsewhere
/// (and for an in-memory database, which lives in its one connection) the same pool.
pub async fn dedicated_writer(db: &Db) -> Result<Db> {
    match db {
        Db::Sqlite(pool) if pool.options().get_max_connections() > 1 => {
            let options = (*pool.connect_options()).clone();
            let own = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(own))
        }
        other => Ok(other.clone()),
    }
}

/// Sets how many WAL pages make this SQLite pool's connections checkpoint after a commit
/// (SQLite's default is 1,000; 0 turns it off); nothing on PostgreSQL. For a pool of its
/// own ([`dedicated_writer`]) whose large transactions would otherwise each be followed
/// by a checkpoint rewriting most of the pages they touched.
pub async fn set_wal_autocheckpoint(db: &Db, pages: i64) -> Result<()> {
    if let Db::Sqlite(pool) = db {
        sqlx::query(&format!("PRAGMA wal_autocheckpoint = {pages}"))
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Lets this SQLite pool's connections read the database file through a memory map of up
/// to `bytes` (SQLite caps it at 2 GiB) instead of one `pread` per page that is not in the
/// connection's cache; nothing on PostgreSQL. For a writer whose scattered pages miss its
/// cache, and whose cache is emptied whenever another connection writes.
pub async fn set_mmap_size(db: &Db, bytes: i64) -> Result<()> {
    if let Db::Sqlite(pool) = db {
        sqlx::query(&format!("PRAGMA mmap_size = {bytes}"))
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Copies what the WAL holds into the database file, as far as readers allow, without
/// waiting for them (a passive checkpoint); nothing on PostgreSQL.
pub async fn wal_checkpoint(db: &Db) -> Result<()> {
    if let Db::Sqlite(pool) = db {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(pool)
            .await?;
    }
    Ok(())
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

/// Rows per multi-row statement: 12 binds each, well under both engines' bind limits.
const ROWS_PER_INSERT: usize = 500;
/// Values per `IN (…)` list.
const IDS_PER_LOOKUP: usize = 1_000;

/// Stores events with multi-row INSERTs, skipping each whose key was seen before (in the
/// database or earlier in `rows`); evaluates to whether each row was stored, in order.
pub async fn insert_many(
    tx: &mut Tx,
    ws: WorkspaceId,
    rows: &[NewEvent],
    now: i64,
) -> Result<Vec<bool>> {
    let mut stored = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let keys: Vec<String> = with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO events (workspace_id, lead_id, type, occurred_at, url, properties, idempotency_key, \
                 email, visitor_id, category, bot_reason, created_at) ",
            );
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(ws.0)
                    .push_bind(e.lead_id)
                    .push_bind(&e.kind)
                    .push_bind(e.occurred_at)
                    .push_bind(&e.url)
                    .push_bind(&e.properties)
                    .push_bind(&e.key)
                    .push_bind(&e.email)
                    .push_bind(&e.visitor_id)
                    .push_bind(&e.category)
                    .push_bind(&e.bot_reason)
                    .push_bind(now);
            });
            qb.push(" ON CONFLICT (workspace_id, idempotency_key) DO NOTHING RETURNING idempotency_key");
            qb.build_query_scalar::<String>().fetch_all(&mut **conn).await?
        });
        // Rows are inserted in order, so of two rows with one key the first is stored.
        let mut new: HashSet<String> = keys.into_iter().collect();
        stored.extend(chunk.iter().map(|e| new.remove(&e.key)));
    }
    Ok(stored)
}

/// Of these lead ids, the ones the workspace has.
pub async fn existing_leads(tx: &mut Tx, ws: WorkspaceId, ids: &[i64]) -> Result<HashSet<i64>> {
    let mut found = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_LOOKUP) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("SELECT id FROM leads WHERE workspace_id = ");
            qb.push_bind(ws.0).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            found.extend(qb.build_query_scalar::<i64>().fetch_all(&mut **conn).await?);
        });
    }
    Ok(found)
}

/// The lead of each of these (normalised) emails that has one: the oldest, as
/// [`lead_by_email`] finds it.
pub async fn leads_by_emails(
    tx: &mut Tx,
    ws: WorkspaceId,
    emails: &[&str],
) -> Result<HashMap<String, i64>> {
    let mut found = HashMap::with_capacity(emails.len());
    for chunk in emails.chunks(IDS_PER_LOOKUP) {
        with_tx!(tx, conn => {
            let mut qb =
                sqlx::QueryBuilder::new("SELECT email, MIN(id) FROM leads WHERE workspace_id = ");
            qb.push_bind(ws.0).push(" AND email IN (");
            let mut list = qb.separated(", ");
            for email in chunk {
                list.push_bind(*email);
            }
            qb.push(") GROUP BY email");
            found.extend(qb.build_query_as::<(String, i64)>().fetch_all(&mut **conn).await?);
        });
    }
    // An address no lead has as its own may be one a lead was seen with besides it.
    let others: Vec<&str> = emails
        .iter()
        .copied()
        .filter(|e| !found.contains_key(*e))
        .collect();
    for chunk in others.chunks(IDS_PER_LOOKUP) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT value, MIN(lead_id) FROM lead_identities WHERE workspace_id = ",
            );
            qb.push_bind(ws.0).push(" AND kind = 'email' AND value IN (");
            let mut list = qb.separated(", ");
            for email in chunk {
                list.push_bind(*email);
            }
            qb.push(") GROUP BY value");
            found.extend(qb.build_query_as::<(String, i64)>().fetch_all(&mut **conn).await?);
        });
    }
    Ok(found)
}

/// The lead with this (normalised) email, if any: the oldest with it as its own, else
/// the oldest seen with it besides its own (`lead_identities`).
pub async fn lead_by_email(tx: &mut Tx, ws: WorkspaceId, email: &str) -> Result<Option<i64>> {
    let own = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM leads WHERE workspace_id = $1 AND email = $2 ORDER BY id LIMIT 1",
        )
        .bind(ws.0)
        .bind(email)
        .fetch_optional(&mut **conn)
        .await?
    });
    if own.is_some() {
        return Ok(own);
    }
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "SELECT lead_id FROM lead_identities WHERE workspace_id = $1 AND kind = 'email' AND value = $2 \
             ORDER BY lead_id LIMIT 1",
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

/// Email clicks not yet marked automated of many leads, with one query: each lead's since
/// its own time (lead, time), as (id, time) in time order.
pub async fn human_clicks_of(
    tx: &mut Tx,
    ws: WorkspaceId,
    since: &[(i64, i64)],
) -> Result<HashMap<i64, Vec<(i64, i64)>>> {
    let mut out: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for chunk in since.chunks(IDS_PER_LOOKUP) {
        let Some(earliest) = chunk.iter().map(|(_, t)| *t).min() else {
            continue;
        };
        let wanted: HashMap<i64, i64> = chunk.iter().copied().collect();
        let rows = with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT lead_id, id, occurred_at FROM events WHERE workspace_id = ",
            );
            qb.push_bind(ws.0).push(" AND lead_id IN (");
            let mut list = qb.separated(", ");
            for (id, _) in chunk {
                list.push_bind(*id);
            }
            qb.push(") AND occurred_at >= ")
                .push_bind(earliest)
                .push(" AND type = 'email_click' AND bot_reason IS NULL ORDER BY lead_id, occurred_at");
            qb.build_query_as::<(i64, i64, i64)>().fetch_all(&mut **conn).await?
        });
        for (lead_id, id, at) in rows {
            if wanted.get(&lead_id).is_some_and(|from| at >= *from) {
                out.entry(lead_id).or_default().push((id, at));
            }
        }
    }
    Ok(out)
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
