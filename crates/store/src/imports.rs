//! Writes of an import, all inside one transaction: finding the leads a file may match,
//! creating and filling leads, idempotent touchpoints, candidate pairs, and the import's
//! own record.

use ondo_domain::{LeadStatus, Micros};
use serde::Serialize;

use crate::error::Result;
use crate::leads::LeadFields;
use crate::{Actor, Tx, WorkspaceId, with_tx};

/// Rows per IN list or multi-row INSERT: under both engines' bind limits.
const CHUNK: usize = 500;

/// What matching needs to know about a lead already in the database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExistingLead {
    pub id: i64,
    pub name: String,
    pub kana: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub department: Option<String>,
    pub company_id: Option<i64>,
    pub company_name_key: Option<String>,
    pub company_domain: Option<String>,
}

/// Which values to look existing leads up by.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub emails: Vec<String>,
    /// (name key, company name key): a name alone matches only together with its company
    /// (or a phone, looked up by `phones`), so homonyms elsewhere are never loaded.
    pub names_at_companies: Vec<(String, String)>,
    /// Phones as stored (national format, e.g. "090-1234-5678").
    pub phones: Vec<String>,
}

const EXISTING: &str = "SELECT l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.department, l.company_id, \
    c.name_key AS company_name_key, c.domain AS company_domain FROM leads l \
    LEFT JOIN companies c ON c.workspace_id = l.workspace_id AND c.id = l.company_id WHERE l.workspace_id = $1 AND ";

/// The leads that share an email, a name key or a phone with the lookup, each once.
pub async fn find_existing(
    tx: &mut Tx,
    ws: WorkspaceId,
    lookup: &Lookup,
) -> Result<Vec<ExistingLead>> {
    let mut found: std::collections::BTreeMap<i64, ExistingLead> = Default::default();
    let queries: [(&str, &Vec<String>); 3] = [
        ("l.email IN", &lookup.emails),
        ("l.phone IN", &lookup.phones),
        ("l.mobile IN", &lookup.phones),
    ];
    for (clause, values) in queries {
        for chunk in values.chunks(CHUNK) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!("{EXISTING}{clause} ({})", placeholders.join(", "));
            let rows = with_tx!(tx, conn => {
                let mut q = sqlx::query_as::<_, ExistingLead>(&sql).bind(ws.0);
                for v in chunk {
                    q = q.bind(v);
                }
                q.fetch_all(&mut **conn).await?
            });
            for r in rows {
                found.entry(r.id).or_insert(r);
            }
        }
    }
    // Names at companies: driven from the list of pairs, so each pair is one seek of the
    // company-name index and one of (company, name) — namesakes elsewhere are never read.
    for chunk in lookup.names_at_companies.chunks(CHUNK / 2) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 2, 2 * i + 3))
            .collect();
        let sql = format!(
            "WITH w(cn, nk) AS (VALUES {}) \
             SELECT l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.department, l.company_id, \
             c.name_key AS company_name_key, c.domain AS company_domain \
             FROM w CROSS JOIN companies c CROSS JOIN leads l \
             WHERE c.workspace_id = $1 AND c.name_key = w.cn AND l.workspace_id = c.workspace_id \
             AND l.company_id = c.id AND l.name_key = w.nk",
            values.join(", ")
        );
        let rows = with_tx!(tx, conn => {
            let mut q = sqlx::query_as::<_, ExistingLead>(&sql).bind(ws.0);
            for (name, company) in chunk {
                q = q.bind(company).bind(name);
            }
            q.fetch_all(&mut **conn).await?
        });
        for r in rows {
            found.entry(r.id).or_insert(r);
        }
    }
    Ok(found.into_values().collect())
}

/// Creates a lead in `status` and its first status history row; returns its id.
pub async fn insert_lead(
    tx: &mut Tx,
    ws: WorkspaceId,
    fields: &LeadFields,
    status: LeadStatus,
    reason: &str,
    actor: &Actor,
) -> Result<i64> {
    let now = Micros::now().0;
    with_tx!(tx, conn => {
        let id = crate::insert_lead_row!(&mut **conn, ws, fields, status.key(), None::<String>, now, now);
        sqlx::query(
            "INSERT INTO status_history (workspace_id, lead_id, from_status, to_status, reason, changed_by, changed_at) \
             VALUES ($1, $2, NULL, $3, $4, $5, $6)",
        )
        .bind(ws.0)
        .bind(id)
        .bind(status.key())
        .bind(reason)
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut **conn)
        .await?;
        Ok(id)
    })
}

/// The current fields of a lead, inside the transaction.
pub async fn lead_fields(tx: &mut Tx, ws: WorkspaceId, id: i64) -> Result<LeadFields> {
    let sql = "SELECT l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.title, l.department, \
        l.company_id, l.company_name, NULL AS company_display, l.postcode, l.address, \
        l.owner_id, NULL AS owner_name, NULL AS owner_email, l.status, l.lost_reason, \
        l.renurture_on, l.custom_fields, l.consent_source, l.consent_at, l.email_opt_out, l.created_at, l.updated_at \
        FROM leads l WHERE l.workspace_id = $1 AND l.id = $2";
    let lead = with_tx!(tx, conn => {
        sqlx::query_as::<_, crate::leads::Lead>(sql).bind(ws.0).bind(id).fetch_one(&mut **conn).await?
    });
    Ok(LeadFields::of(&lead))
}

/// Replaces a lead's fields and writes the audit entry with what changed.
pub async fn update_lead(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    before: &LeadFields,
    after: &LeadFields,
    action: &str,
    actor: &Actor,
) -> Result<()> {
    if before == after {
        return Ok(());
    }
    let now = Micros::now().0;
    let (b, a) = crate::leads::changed_fields(before, after);
    let (b, a) = (
        serde_json::Value::Object(b).to_string(),
        serde_json::Value::Object(a).to_string(),
    );
    with_tx!(tx, conn => {
        crate::update_lead_fields!(&mut **conn, ws, id, after, now);
        crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(id), action, Some(b.as_str()), Some(a.as_str()), now);
    });
    Ok(())
}

/// A touchpoint an import row makes; `dedupe_key` makes a re-import add nothing.
#[derive(Debug, Clone)]
pub struct ImportTouchpoint {
    pub lead_id: i64,
    pub kind: String,
    pub source: String,
    pub occurred_at: Micros,
    pub details: serde_json::Value,
    pub dedupe_key: String,
}

/// Inserts touchpoints, skipping those whose dedupe key exists; returns how many were new.
pub async fn insert_touchpoints(
    tx: &mut Tx,
    ws: WorkspaceId,
    tps: &[ImportTouchpoint],
) -> Result<u64> {
    let now = Micros::now().0;
    let mut added = 0;
    for chunk in tps.chunks(CHUNK) {
        added += with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO touchpoints (workspace_id, lead_id, kind, source, occurred_at, details, created_at, dedupe_key) ",
            );
            qb.push_values(chunk, |mut b, t| {
                b.push_bind(ws.0)
                    .push_bind(t.lead_id)
                    .push_bind(t.kind.clone())
                    .push_bind(t.source.clone())
                    .push_bind(t.occurred_at.0)
                    .push_bind(t.details.to_string())
                    .push_bind(now)
                    .push_bind(t.dedupe_key.clone());
            });
            qb.push(" ON CONFLICT (workspace_id, dedupe_key) DO NOTHING");
            qb.build().execute(&mut **conn).await?.rows_affected()
        });
    }
    Ok(added)
}

/// Records pairs of leads that may be the same person, for review; known pairs are kept.
pub async fn insert_candidate_pairs(
    tx: &mut Tx,
    ws: WorkspaceId,
    pairs: &[(i64, i64, String)],
) -> Result<()> {
    let now = Micros::now().0;
    for chunk in pairs.chunks(CHUNK) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO candidate_pairs (workspace_id, lead_a, lead_b, reason, created_at) ",
            );
            qb.push_values(chunk, |mut b, (a, c, reason)| {
                b.push_bind(ws.0).push_bind(*a.min(c)).push_bind(*a.max(c)).push_bind(reason.clone()).push_bind(now);
            });
            qb.push(" ON CONFLICT (workspace_id, lead_a, lead_b) DO NOTHING");
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}

/// The outcome of one import, as recorded.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportRun {
    pub id: i64,
    pub file_name: String,
    pub source: String,
    pub mode: String,
    pub rows_total: i64,
    pub created: i64,
    pub merged: i64,
    pub updated: i64,
    pub skipped: i64,
    pub errors: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// Records an import and its audit entry.
#[allow(clippy::too_many_arguments)]
pub async fn record_run(
    tx: &mut Tx,
    ws: WorkspaceId,
    file_name: &str,
    source: &str,
    mode: &str,
    counts: [i64; 5],
    errors_json: &str,
    actor: &Actor,
) -> Result<i64> {
    let now = Micros::now().0;
    let [rows, created, merged, updated, skipped] = counts;
    let after = serde_json::json!({
        "file": file_name, "source": source, "mode": mode, "rows": rows,
        "created": created, "merged": merged, "updated": updated, "skipped": skipped
    })
    .to_string();
    with_tx!(tx, conn => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO imports (workspace_id, file_name, source, mode, rows_total, created, merged, updated, skipped, \
             errors, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(ws.0)
        .bind(file_name)
        .bind(source)
        .bind(mode)
        .bind(rows)
        .bind(created)
        .bind(merged)
        .bind(updated)
        .bind(skipped)
        .bind(errors_json)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "import", Some(id), "import", None::<&str>, Some(after.as_str()), now);
        Ok(id)
    })
}

/// One import of the workspace.
pub async fn get_run(db: &crate::Db, ws: WorkspaceId, id: i64) -> Result<ImportRun> {
    crate::with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ImportRun>(
            "SELECT id, file_name, source, mode, rows_total, created, merged, updated, skipped, errors, created_by, \
             created_at FROM imports WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .fetch_one(pool)
        .await?)
    })
}

/// Recent imports of the workspace, newest first.
pub async fn list_runs(db: &crate::Db, ws: WorkspaceId, limit: i64) -> Result<Vec<ImportRun>> {
    crate::with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ImportRun>(
            "SELECT id, file_name, source, mode, rows_total, created, merged, updated, skipped, errors, created_by, \
             created_at FROM imports WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(ws.0)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
