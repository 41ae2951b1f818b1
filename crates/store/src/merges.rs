//! Merging two leads into one, and undoing it. The merged-away lead's every touchpoint,
//! event, activity and status change moves to the surviving lead; the surviving lead's empty
//! fields are filled; conflicting values are kept in the record of the merge, which also
//! holds what is needed to undo it.

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::leads::{Lead, LeadFields};
use crate::{Actor, Db, Tx, WorkspaceId, with_db, with_tx};

const MOVED_TABLES: [&str; 7] = [
    "touchpoints",
    "lead_identities",
    "events",
    "activities",
    "status_history",
    "tasks",
    "alerts",
];

/// A pair of leads that may be the same person.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CandidatePair {
    pub id: i64,
    pub lead_a: i64,
    pub lead_b: i64,
    pub reason: String,
    pub created_at: i64,
}

/// Open candidate pairs, oldest first.
pub async fn open_pairs(db: &Db, ws: WorkspaceId, limit: i64) -> Result<Vec<CandidatePair>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, CandidatePair>(
            "SELECT id, lead_a, lead_b, reason, created_at FROM candidate_pairs \
             WHERE workspace_id = $1 AND status = 'open' ORDER BY id LIMIT $2",
        )
        .bind(ws.0)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}

/// Marks a pair as two different people.
pub async fn dismiss_pair(db: &Db, ws: WorkspaceId, pair_id: i64, actor: &Actor) -> Result<()> {
    let now = Micros::now().0;
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "UPDATE candidate_pairs SET status = 'not_same', resolved_at = $3, resolved_by = $4 \
             WHERE workspace_id = $1 AND id = $2 AND status = 'open'",
        )
        .bind(ws.0)
        .bind(pair_id)
        .bind(now)
        .bind(actor.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        crate::insert_audit!(&mut *tx, ws, actor, "candidate_pair", Some(pair_id), "not_same", None::<&str>, None::<&str>, now);
        tx.commit().await?;
    });
    Ok(())
}

/// One pair by id, when it is still open.
pub async fn get_open_pair(db: &Db, ws: WorkspaceId, pair_id: i64) -> Result<CandidatePair> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, CandidatePair>(
            "SELECT id, lead_a, lead_b, reason, created_at FROM candidate_pairs \
             WHERE workspace_id = $1 AND id = $2 AND status = 'open'",
        )
        .bind(ws.0)
        .bind(pair_id)
        .fetch_one(pool)
        .await?)
    })
}

async fn lead_in(tx: &mut Tx, ws: WorkspaceId, id: i64) -> Result<Lead> {
    let sql = format!(
        "{} WHERE l.workspace_id = $1 AND l.id = $2",
        crate::leads::BARE_SELECT
    );
    with_tx!(tx, conn => {
        Ok(sqlx::query_as::<_, Lead>(&sql).bind(ws.0).bind(id).fetch_one(&mut **conn).await?)
    })
}

/// A merge as recorded.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MergeRecord {
    pub id: i64,
    pub target_id: i64,
    pub source_id: i64,
    pub source_snapshot: String,
    pub target_before: String,
    pub moved: String,
    pub conflicts: String,
    pub merged_by: Option<i64>,
    pub merged_at: i64,
    pub undone_at: Option<i64>,
}

/// Merges `source` into `target` (the older lead should be the target); returns the merge id.
pub async fn merge(
    db: &Db,
    ws: WorkspaceId,
    target_id: i64,
    source_id: i64,
    actor: &Actor,
) -> Result<i64> {
    if target_id == source_id {
        return Err(StoreError::Conflict(
            "a lead cannot be merged into itself".into(),
        ));
    }
    let now = Micros::now().0;
    // It reads, then writes: the write lock is taken first (see `Db::begin_write`).
    let mut tx = db.begin_write().await?;
    let target = lead_in(&mut tx, ws, target_id).await?;
    let source = lead_in(&mut tx, ws, source_id).await?;
    let before = LeadFields::of(&target);
    let mut after = before.clone();
    let conflicts = after.fill_empty_from(&LeadFields::of(&source));
    let conflicts_json =
        serde_json::to_string(&conflicts).map_err(|e| StoreError::Corrupt(e.to_string()))?;

    let mut moved = serde_json::Map::new();
    for table in MOVED_TABLES {
        let ids: Vec<i64> = with_tx!(&mut tx, conn => {
            let ids = sqlx::query_scalar::<_, i64>(&format!("SELECT id FROM {table} WHERE workspace_id = $1 AND lead_id = $2"))
                .bind(ws.0)
                .bind(source_id)
                .fetch_all(&mut **conn)
                .await?;
            sqlx::query(&format!("UPDATE {table} SET lead_id = $3 WHERE workspace_id = $1 AND lead_id = $2"))
                .bind(ws.0)
                .bind(source_id)
                .bind(target_id)
                .execute(&mut **conn)
                .await?;
            ids
        });
        moved.insert(table.to_string(), ids.into());
    }
    // Pairs that name the merged-away lead go with it (and come back on undo).
    let pairs: Vec<(i64, i64, String, String)> = with_tx!(&mut tx, conn => {
        let rows = sqlx::query_as(
            "SELECT lead_a, lead_b, reason, status FROM candidate_pairs WHERE workspace_id = $1 AND (lead_a = $2 OR lead_b = $2)",
        )
        .bind(ws.0)
        .bind(source_id)
        .fetch_all(&mut **conn)
        .await?;
        sqlx::query("DELETE FROM candidate_pairs WHERE workspace_id = $1 AND (lead_a = $2 OR lead_b = $2)")
            .bind(ws.0)
            .bind(source_id)
            .execute(&mut **conn)
            .await?;
        rows
    });
    moved.insert(
        "candidate_pairs".into(),
        serde_json::to_value(&pairs).unwrap_or_default(),
    );
    let moved_json = serde_json::Value::Object(moved).to_string();
    let snapshot =
        serde_json::to_string(&source).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let before_json =
        serde_json::to_string(&before).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let audit_after = serde_json::json!({ "merged_from": source_id, "name": source.name, "conflicts": &conflicts }).to_string();

    let merge_id = with_tx!(&mut tx, conn => {
        crate::update_lead_fields!(&mut **conn, ws, target_id, &after, now);
        sqlx::query("DELETE FROM leads WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(source_id)
            .execute(&mut **conn)
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO lead_merges (workspace_id, target_id, source_id, source_snapshot, target_before, moved, \
             conflicts, merged_by, merged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(ws.0)
        .bind(target_id)
        .bind(source_id)
        .bind(&snapshot)
        .bind(&before_json)
        .bind(&moved_json)
        .bind(&conflicts_json)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(target_id), "merge", None::<&str>, Some(audit_after.as_str()), now);
        id
    });
    // The merged-away lead's own email and numbers, where the surviving lead has others,
    // stay known as the surviving lead's (until the merge is undone).
    let others: Vec<(i64, &str, String)> = crate::identities::other_values(conflicts)
        .map(|(kind, value)| (target_id, kind, value))
        .collect();
    crate::identities::add(&mut tx, ws, &merge_source(merge_id), &others).await?;
    tx.commit().await?;
    Ok(merge_id)
}

/// The source recorded with the identities a merge adds, so that undoing it removes them.
fn merge_source(merge_id: i64) -> String {
    format!("merge #{merge_id}")
}

/// Merges of this lead that can still be undone, newest first.
pub async fn undoable_for(db: &Db, ws: WorkspaceId, target_id: i64) -> Result<Vec<MergeRecord>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, MergeRecord>(
            "SELECT id, target_id, source_id, source_snapshot, target_before, moved, conflicts, merged_by, merged_at, \
             undone_at FROM lead_merges WHERE workspace_id = $1 AND target_id = $2 AND undone_at IS NULL ORDER BY id DESC",
        )
        .bind(ws.0)
        .bind(target_id)
        .fetch_all(pool)
        .await?)
    })
}

/// A merge of the workspace, or `None`.
pub async fn get_record(db: &Db, ws: WorkspaceId, merge_id: i64) -> Result<Option<MergeRecord>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, MergeRecord>(
            "SELECT id, target_id, source_id, source_snapshot, target_before, moved, conflicts, merged_by, merged_at, \
             undone_at FROM lead_merges WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(merge_id)
        .fetch_optional(pool)
        .await?)
    })
}

/// Undoes a merge: the merged-away lead comes back with its id, its rows move back, and the
/// surviving lead's fields are as before. Only the latest merge into a lead can be undone
/// (later ones build on it). Returns the restored lead's id.
pub async fn undo(db: &Db, ws: WorkspaceId, merge_id: i64, actor: &Actor) -> Result<i64> {
    let now = Micros::now().0;
    let mut tx = db.begin_write().await?;
    let record: MergeRecord = with_tx!(&mut tx, conn => {
        sqlx::query_as::<_, MergeRecord>(
            "SELECT id, target_id, source_id, source_snapshot, target_before, moved, conflicts, merged_by, merged_at, \
             undone_at FROM lead_merges WHERE workspace_id = $1 AND id = $2 AND undone_at IS NULL",
        )
        .bind(ws.0)
        .bind(merge_id)
        .fetch_one(&mut **conn)
        .await?
    });
    let later: i64 = with_tx!(&mut tx, conn => {
        sqlx::query_scalar("SELECT COUNT(*) FROM lead_merges WHERE workspace_id = $1 AND target_id = $2 AND id > $3 AND undone_at IS NULL")
            .bind(ws.0)
            .bind(record.target_id)
            .bind(merge_id)
            .fetch_one(&mut **conn)
            .await?
    });
    if later > 0 {
        return Err(StoreError::Conflict(
            "undo the later merges into this lead first".into(),
        ));
    }
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
    let source: Lead = serde_json::from_str(&record.source_snapshot).map_err(corrupt)?;
    let before: LeadFields = serde_json::from_str(&record.target_before).map_err(corrupt)?;
    let moved: serde_json::Value = serde_json::from_str(&record.moved).map_err(corrupt)?;
    let fields = LeadFields::of(&source);
    let custom = serde_json::to_string(&fields.custom_fields).map_err(corrupt)?;
    with_tx!(&mut tx, conn => {
        sqlx::query(
            "INSERT INTO leads (id, workspace_id, name, kana, email, phone, mobile, title, department, company_id, \
             company_name, postcode, address, owner_id, status, lost_reason, renurture_on, custom_fields, consent_source, \
             consent_at, email_opt_out, search_text, name_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)",
        )
        .bind(source.id)
        .bind(ws.0)
        .bind(&fields.name)
        .bind(&fields.kana)
        .bind(&fields.email)
        .bind(&fields.phone)
        .bind(&fields.mobile)
        .bind(&fields.title)
        .bind(&fields.department)
        .bind(fields.company_id)
        .bind(&fields.company_name)
        .bind(&fields.postcode)
        .bind(&fields.address)
        .bind(fields.owner_id)
        .bind(&source.status)
        .bind(&source.lost_reason)
        .bind(source.renurture_on)
        .bind(&custom)
        .bind(&fields.consent_source)
        .bind(fields.consent_at)
        .bind(fields.email_opt_out)
        .bind(fields.search_text())
        .bind(fields.name_key())
        .bind(source.created_at)
        .bind(source.updated_at)
        .execute(&mut **conn)
        .await?;
        for table in MOVED_TABLES {
            let ids: Vec<i64> = moved.get(table).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
            for chunk in ids.chunks(500) {
                let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
                let sql = format!("UPDATE {table} SET lead_id = $2 WHERE workspace_id = $1 AND id IN ({})", placeholders.join(", "));
                let mut q = sqlx::query(&sql).bind(ws.0).bind(source.id);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(&mut **conn).await?;
            }
        }
        let pairs: Vec<(i64, i64, String, String)> =
            moved.get("candidate_pairs").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
        for (a, b, reason, status) in pairs {
            sqlx::query(
                "INSERT INTO candidate_pairs (workspace_id, lead_a, lead_b, reason, status, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (workspace_id, lead_a, lead_b) DO NOTHING",
            )
            .bind(ws.0)
            .bind(a)
            .bind(b)
            .bind(&reason)
            .bind(if status == "merged" { "open".to_string() } else { status })
            .bind(now)
            .execute(&mut **conn)
            .await?;
        }
        crate::update_lead_fields!(&mut **conn, ws, record.target_id, &before, now);
        sqlx::query("UPDATE lead_merges SET undone_at = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(merge_id)
            .bind(now)
            .execute(&mut **conn)
            .await?;
        sqlx::query("DELETE FROM lead_identities WHERE workspace_id = $1 AND lead_id = $2 AND source = $3")
            .bind(ws.0)
            .bind(record.target_id)
            .bind(merge_source(merge_id))
            .execute(&mut **conn)
            .await?;
        let after = serde_json::json!({ "restored": source.id }).to_string();
        crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(record.target_id), "unmerge", None::<&str>, Some(after.as_str()), now);
    });
    tx.commit().await?;
    Ok(source.id)
}
