//! Emails and numbers a lead was seen with besides its own fields (`lead_identities`):
//! a private address a webinar row brought to a card's lead, the merged-away lead's own
//! address. Kept so that a merge loses nothing, and looked up like the leads' own fields
//! by imports ([`crate::imports::find_existing`]), the API, forms and events.

use std::collections::HashMap;

use ondo_domain::Micros;

use crate::error::Result;
use crate::{Db, Tx, WorkspaceId, with_db, with_tx};

/// Rows per multi-row INSERT (4 values a row): under both engines' bind limits.
pub(crate) const CHUNK: usize = 125;
/// Lead ids per `IN (…)` list.
const IDS_PER_LOOKUP: usize = 1_000;

/// Whether the workspace keeps any: look-ups skip their queries when it keeps none.
pub async fn any(tx: &mut Tx, ws: WorkspaceId) -> Result<bool> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>("SELECT lead_id FROM lead_identities WHERE workspace_id = $1 LIMIT 1")
            .bind(ws.0)
            .fetch_optional(&mut **conn)
            .await?
            .is_some()
    }))
}

/// The kinds of values [`add`] keeps, as the lead fields they stand beside.
pub const KINDS: [&str; 3] = ["email", "phone", "mobile"];

/// The emails and numbers among the conflicts of a merge
/// ([`crate::leads::LeadFields::fill_empty_from`]): values the lead keeps as identities because its own
/// field holds another.
pub fn other_values(
    conflicts: Vec<(&'static str, String, String)>,
) -> impl Iterator<Item = (&'static str, String)> {
    conflicts
        .into_iter()
        .filter(|(field, _, _)| KINDS.contains(field))
        .map(|(field, _, theirs)| (field, theirs))
}

/// Records emails and numbers leads were seen with besides their own fields:
/// `(lead id, kind, value)` with `kind` one of [`KINDS`] (as stored: normalised
/// email, national-format number). A value a lead already has as an identity is not
/// added again.
pub async fn add(
    tx: &mut Tx,
    ws: WorkspaceId,
    source: &str,
    identities: &[(i64, &str, String)],
) -> Result<()> {
    let now = Micros::now().0;
    for chunk in to_insert(identities).chunks(CHUNK) {
        with_tx!(tx, conn => insert_rows!(&mut **conn, ws, source, chunk, now));
    }
    Ok(())
}

/// The identities [`add`] keeps, each once: known kinds, non-empty values.
pub(crate) fn to_insert<'a>(
    identities: &'a [(i64, &'a str, String)],
) -> Vec<&'a (i64, &'a str, String)> {
    let mut identities: Vec<&(i64, &str, String)> = identities
        .iter()
        .filter(|(_, kind, value)| KINDS.contains(kind) && !value.is_empty())
        .collect();
    identities.sort_unstable();
    identities.dedup();
    identities
}

/// Inserts a chunk (at most [`CHUNK`]) of [`to_insert`]'s identities through an executor
/// of either engine, in whatever transaction it is: [`add`], and a lead's update that
/// keeps the other address its new touchpoint brought.
macro_rules! insert_rows {
    ($exec:expr, $ws:expr, $source:expr, $chunk:expr, $now:expr) => {{
        let mut qb = sqlx::QueryBuilder::new("WITH v (lead_id, kind, value) AS (VALUES ");
        let mut list = qb.separated(", ");
        for (lead, kind, value) in $chunk {
            list.push("(").push_bind_unseparated(*lead).push_unseparated(", ");
            list.push_bind_unseparated(*kind).push_unseparated(", ");
            list.push_bind_unseparated(value.as_str()).push_unseparated(")");
        }
        qb.push(
            ") INSERT INTO lead_identities (workspace_id, lead_id, kind, value, source, created_at) \
             SELECT ",
        );
        qb.push_bind($ws.0).push(", v.lead_id, v.kind, v.value, ");
        qb.push_bind($source).push(", ").push_bind($now);
        qb.push(" FROM v WHERE NOT EXISTS (SELECT 1 FROM lead_identities i WHERE i.workspace_id = ");
        qb.push_bind($ws.0).push(" AND i.kind = v.kind AND i.value = v.value AND i.lead_id = v.lead_id)");
        qb.build().execute($exec).await?;
    }};
}
pub(crate) use insert_rows;

/// The emails and numbers a lead was seen with besides its own fields, oldest first:
/// `(kind, value, source)`.
pub async fn of_lead(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
) -> Result<Vec<(String, String, Option<String>)>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as(
            "SELECT kind, value, source FROM lead_identities WHERE workspace_id = $1 AND lead_id = $2 ORDER BY id",
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_all(pool)
        .await?)
    })
}

/// [`of_lead`] for many leads with one query per thousand: each lead's `(kind, value)`,
/// oldest first. Leads without any are absent.
pub async fn of_leads(
    db: &Db,
    ws: WorkspaceId,
    lead_ids: &[i64],
) -> Result<HashMap<i64, Vec<(String, String)>>> {
    let mut out: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for chunk in lead_ids.chunks(IDS_PER_LOOKUP) {
        let rows = with_db!(db, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT lead_id, kind, value FROM lead_identities WHERE workspace_id = ",
            );
            qb.push_bind(ws.0).push(" AND lead_id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") ORDER BY lead_id, id");
            qb.build_query_as::<(i64, String, String)>().fetch_all(pool).await?
        });
        for (lead_id, kind, value) in rows {
            out.entry(lead_id).or_default().push((kind, value));
        }
    }
    Ok(out)
}
