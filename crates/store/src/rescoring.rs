//! Rescoring many leads at once: read the leads of an id range (or a set of ids) with the
//! scores they have now, read their events in one ordered walk of the `events_lead`
//! covering index, and write the scores that changed back with multi-row UPDATEs.
//! The scoring itself happens in `ondo_jobs::scoring`; this module only moves rows.

use std::collections::HashSet;

use crate::error::Result;
use crate::events::ScoringEvent;
use crate::scoring::{LeadFacts, ScoreKeys};
use crate::{Db, DbKind, Tx, WorkspaceId, with_db, with_tx};

/// Rows per multi-row statement: 6 binds each, well under both engines' bind limits.
const ROWS_PER_STATEMENT: usize = 1_000;

/// A lead as rescoring reads it: what the fit score and the handoff rules read, and the
/// scores stored now (so only the ones that change are written).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredLead {
    #[sqlx(flatten)]
    pub facts: LeadFacts,
    pub engagement_key: Option<f64>,
    pub fit_score: f64,
    pub fit_grade: String,
    pub priority_key: f64,
    pub last_engaged_at: Option<i64>,
}

impl StoredLead {
    /// Whether `keys` are the scores stored now.
    pub fn has_scores(&self, keys: &ScoreKeys) -> bool {
        self.engagement_key == keys.engagement_key
            && self.fit_score == keys.fit_score
            && self.fit_grade == keys.fit_grade
            && self.priority_key == keys.priority_key
            && self.last_engaged_at == keys.last_engaged_at
    }
}

/// A lead's events made by a person (bot events score nothing), as scoring reads them.
#[derive(Debug, Clone, Default)]
pub struct LeadEvents {
    pub lead_id: i64,
    pub events: Vec<ScoringEvent>,
}

const STORED_LEAD: &str = "SELECT l.id, l.status, l.owner_id, l.company_id, l.company_name, l.department, \
    l.title, l.email, l.address, l.custom_fields, \
    COALESCE((SELECT MAX(h.changed_at) FROM status_history h WHERE h.workspace_id = l.workspace_id \
              AND h.lead_id = l.id), l.created_at) AS status_since, \
    l.engagement_key, l.fit_score, l.fit_grade, l.priority_key, l.last_engaged_at \
    FROM leads l WHERE l.workspace_id = ";

/// On PostgreSQL the leads read are locked until the transaction ends, so a lead rescored
/// elsewhere meanwhile (a new event) is not overwritten with older scores; on SQLite the
/// write transaction (`BEGIN IMMEDIATE`) already keeps every other writer out.
fn lock_clause(tx: &Tx) -> &'static str {
    match tx {
        Tx::Sqlite(_) => "",
        Tx::Postgres(_) => " FOR UPDATE",
    }
}

/// How many leads the workspace has.
pub async fn count_leads(db: &Db, ws: WorkspaceId) -> Result<u64> {
    with_db!(db, pool => {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leads WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_one(pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    })
}

/// The newest event id of the workspace (0 without events): events stored later have
/// larger ids on SQLite, whose writers take turns.
pub async fn max_event_id(tx: &mut Tx, ws: WorkspaceId) -> Result<i64> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM events WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_one(&mut **conn)
            .await?
    }))
}

/// Of the leads with ids in `first..=last`, the ones that may have changed since they were
/// read: a new event (id above `max_event_id`), a change of the lead itself (updated at
/// or after `since`), or gone (merged away): every id in the range not present now is
/// returned too, when fewer than `count` are.
pub async fn changed_since(
    tx: &mut Tx,
    ws: WorkspaceId,
    first: i64,
    last: i64,
    count: usize,
    max_event_id: i64,
    since: i64,
) -> Result<HashSet<i64>> {
    with_tx!(tx, conn => {
        let mut out: HashSet<i64> = sqlx::query_scalar::<_, i64>(
            "SELECT lead_id FROM events WHERE workspace_id = $1 AND id > $2 AND lead_id >= $3 AND lead_id <= $4",
        )
        .bind(ws.0)
        .bind(max_event_id)
        .bind(first)
        .bind(last)
        .fetch_all(&mut **conn)
        .await?
        .into_iter()
        .collect();
        out.extend(
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM leads WHERE workspace_id = $1 AND id >= $2 AND id <= $3 AND updated_at >= $4",
            )
            .bind(ws.0)
            .bind(first)
            .bind(last)
            .bind(since)
            .fetch_all(&mut **conn)
            .await?,
        );
        let present: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM leads WHERE workspace_id = $1 AND id >= $2 AND id <= $3",
        )
        .bind(ws.0)
        .bind(first)
        .bind(last)
        .fetch_one(&mut **conn)
        .await?;
        if usize::try_from(present).unwrap_or(0) < count {
            let present: HashSet<i64> = sqlx::query_scalar::<_, i64>(
                "SELECT id FROM leads WHERE workspace_id = $1 AND id >= $2 AND id <= $3",
            )
            .bind(ws.0)
            .bind(first)
            .bind(last)
            .fetch_all(&mut **conn)
            .await?
            .into_iter()
            .collect();
            out.extend((first..=last).filter(|id| !present.contains(id)));
        }
        Ok(out)
    })
}

/// Up to `limit` leads with ids above `after`, in id order.
pub async fn leads_after(
    tx: &mut Tx,
    ws: WorkspaceId,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredLead>> {
    let sql = format!(
        "{STORED_LEAD}$1 AND l.id > $2 ORDER BY l.id LIMIT $3{}",
        lock_clause(tx)
    );
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, StoredLead>(&sql)
            .bind(ws.0)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut **conn)
            .await?
    }))
}

/// The leads with these ids, in id order (ids the workspace does not have are left out).
pub async fn leads_by_ids(tx: &mut Tx, ws: WorkspaceId, ids: &[i64]) -> Result<Vec<StoredLead>> {
    let mut out = Vec::with_capacity(ids.len());
    let lock = lock_clause(tx);
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(STORED_LEAD);
            qb.push_bind(ws.0).push(" AND l.id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") ORDER BY l.id").push(lock);
            out.extend(qb.build_query_as::<StoredLead>().fetch_all(&mut **conn).await?);
        });
    }
    out.sort_by_key(|l| l.facts.id);
    Ok(out)
}

/// One row per lead with its human events folded into three lists (times, types,
/// categories, in the same order): a lead's events cross from the database as one row
/// instead of one row each, which is most of the cost of reading 20 events per lead.
/// The order inside a lead does not matter to scoring.
fn lead_events_sql(kind: DbKind, filter: &str) -> String {
    let agg = match kind {
        DbKind::Sqlite => "group_concat",
        DbKind::Postgres => "string_agg",
    };
    format!(
        "SELECT lead_id, {agg}(CAST(occurred_at AS TEXT), ',') AS times, {agg}(type, ',') AS types, \
         {agg}(COALESCE(category, '-'), ',') AS categories FROM events \
         WHERE workspace_id = $1 AND {filter} AND bot_reason IS NULL GROUP BY lead_id ORDER BY lead_id"
    )
}

#[derive(sqlx::FromRow)]
struct FoldedEvents {
    lead_id: i64,
    times: String,
    types: String,
    categories: String,
}

impl FoldedEvents {
    fn unfold(self) -> Result<LeadEvents> {
        let bad =
            || crate::StoreError::Corrupt(format!("events of lead {} do not unfold", self.lead_id));
        let mut events = Vec::new();
        let mut types = self.types.split(',');
        let mut categories = self.categories.split(',');
        for time in self.times.split(',') {
            let (Some(kind), Some(category)) = (types.next(), categories.next()) else {
                return Err(bad());
            };
            events.push(ScoringEvent {
                kind: kind.to_string(),
                category: (category != "-").then(|| category.to_string()),
                occurred_at: time.parse().map_err(|_| bad())?,
                bot_reason: None,
            });
        }
        Ok(LeadEvents {
            lead_id: self.lead_id,
            events,
        })
    }
}

/// The human events of the leads with ids in `first..=last`, by lead: one walk of the
/// `events_lead` covering index.
pub async fn events_between(
    tx: &mut Tx,
    ws: WorkspaceId,
    first: i64,
    last: i64,
) -> Result<Vec<LeadEvents>> {
    let sql = lead_events_sql(tx_kind(tx), "lead_id >= $2 AND lead_id <= $3");
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, FoldedEvents>(&sql)
            .bind(ws.0)
            .bind(first)
            .bind(last)
            .fetch_all(&mut **conn)
            .await?
    });
    rows.into_iter().map(FoldedEvents::unfold).collect()
}

/// The human events of the leads with these ids, by lead.
pub async fn events_of(tx: &mut Tx, ws: WorkspaceId, ids: &[i64]) -> Result<Vec<LeadEvents>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let list = (0..chunk.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = lead_events_sql(tx_kind(tx), &format!("lead_id IN ({list})"));
        let rows = with_tx!(tx, conn => {
            let mut q = sqlx::query_as::<_, FoldedEvents>(&sql).bind(ws.0);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(&mut **conn).await?
        });
        for row in rows {
            out.push(row.unfold()?);
        }
    }
    out.sort_by_key(|e| e.lead_id);
    Ok(out)
}

/// The human events since `since` of the leads with these ids, by lead (what the queue's
/// reasons look at: the recent days only).
pub async fn events_since(
    db: &Db,
    ws: WorkspaceId,
    ids: &[i64],
    since: i64,
) -> Result<Vec<LeadEvents>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let list = (0..chunk.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = lead_events_sql(
            db.kind(),
            &format!("occurred_at >= $2 AND lead_id IN ({list})"),
        );
        let rows = with_db!(db, pool => {
            let mut q = sqlx::query_as::<_, FoldedEvents>(&sql).bind(ws.0).bind(since);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        for row in rows {
            out.push(row.unfold()?);
        }
    }
    Ok(out)
}

fn tx_kind(tx: &Tx) -> DbKind {
    match tx {
        Tx::Sqlite(_) => DbKind::Sqlite,
        Tx::Postgres(_) => DbKind::Postgres,
    }
}

/// Stores many leads' scores: one UPDATE per thousand leads, joined to the new values.
pub async fn write_scores(tx: &mut Tx, ws: WorkspaceId, scores: &[(i64, ScoreKeys)]) -> Result<()> {
    for chunk in scores.chunks(ROWS_PER_STATEMENT) {
        with_tx!(tx, conn => {
            // VALUES columns are column1, column2… on both engines.
            let mut qb = sqlx::QueryBuilder::new(
                "UPDATE leads SET engagement_key = v.column2, fit_score = v.column3, \
                 fit_grade = v.column4, priority_key = v.column5, last_engaged_at = v.column6 FROM (",
            );
            qb.push_values(chunk, |mut b, (id, k)| {
                b.push_bind(*id)
                    .push_bind(k.engagement_key)
                    .push_bind(k.fit_score)
                    .push_bind(k.fit_grade)
                    .push_bind(k.priority_key)
                    .push_bind(k.last_engaged_at);
            });
            qb.push(") AS v WHERE leads.workspace_id = ")
                .push_bind(ws.0)
                .push(" AND leads.id = v.column1");
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}

/// Sets many events' page categories: (event id, category key).
pub async fn set_categories(
    tx: &mut Tx,
    ws: WorkspaceId,
    categories: &[(i64, &str)],
) -> Result<()> {
    for chunk in categories.chunks(ROWS_PER_STATEMENT) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("UPDATE events SET category = v.column2 FROM (");
            qb.push_values(chunk, |mut b, (id, category)| {
                b.push_bind(*id).push_bind(*category);
            });
            qb.push(") AS v WHERE events.workspace_id = ")
                .push_bind(ws.0)
                .push(" AND events.id = v.column1");
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}
