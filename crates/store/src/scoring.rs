//! Scores as stored: the workspace's versioned scoring rules, each lead's score keys, the
//! status changes the handoff rules make, round-robin assignment and the sales queue.
//! The math lives in `ondo_domain::scoring`; this module only reads and writes it.

use serde::Serialize;

use crate::error::Result;
use crate::{Actor, Db, Tx, WorkspaceId, with_db, with_tx};

/// One saved version of a workspace's rules.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RulesVersion {
    pub version: i64,
    pub rules_toml: String,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

/// The newest saved rules, or `None` when the workspace uses the defaults.
pub async fn current_rules(db: &Db, ws: WorkspaceId) -> Result<Option<RulesVersion>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, RulesVersion>(
            "SELECT r.version, r.rules_toml, r.created_by, u.display_name AS created_by_name, r.created_at \
             FROM scoring_rules r LEFT JOIN users u ON u.workspace_id = r.workspace_id AND u.id = r.created_by \
             WHERE r.workspace_id = $1 ORDER BY r.version DESC LIMIT 1",
        )
        .bind(ws.0)
        .fetch_optional(pool)
        .await?)
    })
}

/// What the fit score and the handoff rules read of a lead.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeadFacts {
    pub id: i64,
    pub status: String,
    pub owner_id: Option<i64>,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub custom_fields: String,
    /// When the current status began (its newest history row; the lead's creation else).
    pub status_since: i64,
}

const FACTS: &str = "SELECT l.id, l.status, l.owner_id, l.company_id, l.company_name, l.department, l.title, \
    l.email, l.address, l.custom_fields, \
    COALESCE((SELECT MAX(h.changed_at) FROM status_history h WHERE h.workspace_id = l.workspace_id \
              AND h.lead_id = l.id), l.created_at) AS status_since \
    FROM leads l WHERE l.workspace_id = $1 AND l.id = $2";

/// The facts of one lead, or `None` when the workspace has no such lead.
pub async fn lead_facts(tx: &mut Tx, ws: WorkspaceId, id: i64) -> Result<Option<LeadFacts>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, LeadFacts>(FACTS)
            .bind(ws.0)
            .bind(id)
            .fetch_optional(&mut **conn)
            .await?
    }))
}

/// A lead's scores as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreKeys {
    pub engagement_key: Option<f64>,
    pub fit_score: f64,
    pub fit_grade: &'static str,
    pub priority_key: f64,
    pub last_engaged_at: Option<i64>,
}

/// Stores a lead's scores.
pub async fn set_scores(tx: &mut Tx, ws: WorkspaceId, id: i64, s: &ScoreKeys) -> Result<()> {
    with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE leads SET engagement_key = $3, fit_score = $4, fit_grade = $5, priority_key = $6, \
             last_engaged_at = $7 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(s.engagement_key)
        .bind(s.fit_score)
        .bind(s.fit_grade)
        .bind(s.priority_key)
        .bind(s.last_engaged_at)
        .execute(&mut **conn)
        .await?;
    });
    Ok(())
}

/// A status change made by a handoff rule.
#[derive(Debug, Clone)]
pub struct RuleChange<'a> {
    pub from: &'a str,
    pub to: &'a str,
    /// mql, sql, dormant or returned.
    pub rule: &'a str,
    pub reason_ja: String,
    pub reason_en: String,
    /// The owner to give the lead (on handoff to sales), if it has none.
    pub assign_owner: Option<i64>,
    /// Dormant leads get a re-nurture date.
    pub renurture_on: Option<i64>,
    pub returned: bool,
}

/// The audit entry's before and after of a rule's status change.
fn rule_change_json(c: &RuleChange<'_>) -> (String, String) {
    let before = serde_json::json!({ "status": c.from }).to_string();
    let mut after = serde_json::json!({ "status": c.to, "rule": c.rule, "reason": c.reason_ja });
    if let Some(owner) = c.assign_owner {
        after["owner_id"] = owner.into();
    }
    (before, after.to_string())
}

/// Applies a rule's status change with its history row (which rule, why) and an audit
/// entry by the rules.
pub async fn apply_rule_change(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    c: &RuleChange<'_>,
    now: i64,
) -> Result<()> {
    let actor = Actor::system("rules");
    let (before, after) = rule_change_json(c);
    with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE leads SET status = $3, owner_id = COALESCE(owner_id, $4), \
             renurture_on = CASE WHEN $3 = 'lost_dormant' THEN CAST($5 AS BIGINT) ELSE NULL END, \
             lost_reason = CASE WHEN $3 = 'lost_dormant' THEN lost_reason ELSE NULL END, \
             returned_at = CASE WHEN $6 THEN $7 ELSE returned_at END, updated_at = $7 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(c.to)
        .bind(c.assign_owner)
        .bind(c.renurture_on)
        .bind(c.returned)
        .bind(now)
        .execute(&mut **conn)
        .await?;
        sqlx::query(
            "INSERT INTO status_history (workspace_id, lead_id, from_status, to_status, reason, changed_by, \
             changed_at, rule, reason_en) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8)",
        )
        .bind(ws.0)
        .bind(id)
        .bind(c.from)
        .bind(c.to)
        .bind(&c.reason_ja)
        .bind(now)
        .bind(c.rule)
        .bind(&c.reason_en)
        .execute(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(id), "handoff", Some(before.as_str()), Some(after.as_str()), now);
    });
    Ok(())
}

/// Rows per multi-row statement of [`apply_rule_changes`].
const CHANGES_PER_STATEMENT: usize = 500;

/// [`apply_rule_change`] for many leads at once: the same rows, written with one UPDATE
/// and two multi-row INSERTs per 500 leads.
pub async fn apply_rule_changes(
    tx: &mut Tx,
    ws: WorkspaceId,
    changes: &[(i64, RuleChange<'_>)],
    now: i64,
) -> Result<()> {
    let actor = Actor::system("rules");
    for chunk in changes.chunks(CHANGES_PER_STATEMENT) {
        let json: Vec<(String, String)> = chunk.iter().map(|(_, c)| rule_change_json(c)).collect();
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "UPDATE leads SET status = v.column2, owner_id = COALESCE(leads.owner_id, v.column3), \
                 renurture_on = CASE WHEN v.column2 = 'lost_dormant' THEN CAST(v.column4 AS BIGINT) ELSE NULL END, \
                 lost_reason = CASE WHEN v.column2 = 'lost_dormant' THEN leads.lost_reason ELSE NULL END, \
                 returned_at = CASE WHEN v.column5 THEN v.column6 ELSE leads.returned_at END, updated_at = v.column6 FROM (",
            );
            qb.push_values(chunk, |mut b, (id, c)| {
                b.push_bind(*id)
                    .push_bind(c.to)
                    .push_bind(c.assign_owner)
                    .push_bind(c.renurture_on)
                    .push_bind(c.returned)
                    .push_bind(now);
            });
            qb.push(") AS v WHERE leads.workspace_id = ")
                .push_bind(ws.0)
                .push(" AND leads.id = v.column1");
            qb.build().execute(&mut **conn).await?;

            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO status_history (workspace_id, lead_id, from_status, to_status, reason, changed_by, \
                 changed_at, rule, reason_en) ",
            );
            qb.push_values(chunk, |mut b, (id, c)| {
                b.push_bind(ws.0)
                    .push_bind(*id)
                    .push_bind(c.from)
                    .push_bind(c.to)
                    .push_bind(c.reason_ja.as_str())
                    .push_bind(None::<i64>)
                    .push_bind(now)
                    .push_bind(c.rule)
                    .push_bind(c.reason_en.as_str());
            });
            qb.build().execute(&mut **conn).await?;

            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO audit_log (workspace_id, actor_user_id, actor_label, entity, entity_id, action, \
                 before_json, after_json, at) ",
            );
            qb.push_values(chunk.iter().zip(&json), |mut b, ((id, _), (before, after))| {
                b.push_bind(ws.0)
                    .push_bind(actor.user_id)
                    .push_bind(actor.label.as_str())
                    .push_bind("lead")
                    .push_bind(*id)
                    .push_bind("handoff")
                    .push_bind(before.as_str())
                    .push_bind(after.as_str())
                    .push_bind(now);
            });
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}

/// The next active sales user after the one who got the last lead (round robin), and
/// remembers the choice; `None` when the workspace has no active sales user.
pub async fn next_sales_owner(tx: &mut Tx, ws: WorkspaceId) -> Result<Option<i64>> {
    let (users, last) = with_tx!(tx, conn => {
        let users: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE workspace_id = $1 AND role = 'sales' AND disabled = FALSE ORDER BY id",
        )
        .bind(ws.0)
        .fetch_all(&mut **conn)
        .await?;
        let last: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT last_assigned_user_id FROM handoff_state WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .fetch_optional(&mut **conn)
        .await?;
        (users, last.flatten())
    });
    let Some(&first) = users.first() else {
        return Ok(None);
    };
    let next = match last {
        Some(last) => users.iter().copied().find(|&u| u > last).unwrap_or(first),
        None => first,
    };
    with_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO handoff_state (workspace_id, last_assigned_user_id) VALUES ($1, $2) \
             ON CONFLICT (workspace_id) DO UPDATE SET last_assigned_user_id = excluded.last_assigned_user_id",
        )
        .bind(ws.0)
        .bind(next)
        .execute(&mut **conn)
        .await?;
    });
    Ok(Some(next))
}

/// One lead of a queue.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct QueueLead {
    pub id: i64,
    pub name: String,
    pub company_name: Option<String>,
    pub company_display: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub status: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub engagement_key: Option<f64>,
    pub fit_score: f64,
    pub fit_grade: String,
    pub priority_key: f64,
    pub last_engaged_at: Option<i64>,
    pub returned_at: Option<i64>,
    /// What our side did last (call, email, meeting, note) and when.
    pub last_activity_type: Option<String>,
    pub last_activity_outcome: Option<String>,
    pub last_activity_at: Option<i64>,
    /// Why the rules moved the lead last, in Japanese and English.
    pub rule_reason: Option<String>,
    pub rule_reason_en: Option<String>,
}

/// Statuses in the queue, in the order the queue shows them: sales-ready leads first,
/// then the ones still with marketing by temperature.
pub const QUEUE_STATUSES: [&str; 3] = ["sales_ready", "nurturing", "new"];

/// A queue: the leads of `owner` (or of the whole workspace), sales-ready first, then by
/// priority. Each status is one walk of the queue index `leads_queue_owner` per owner (one
/// for a salesperson; for the workspace, one per user and one for the unowned leads,
/// merged), so the answer costs `limit` rows per owner whatever the workspace holds.
pub async fn queue(
    db: &Db,
    ws: WorkspaceId,
    owner: Option<i64>,
    limit: i64,
) -> Result<Vec<QueueLead>> {
    let owners: Vec<Option<i64>> = match owner {
        Some(_) => Vec::new(),
        None => {
            let users: Vec<i64> = with_db!(db, pool => {
                sqlx::query_scalar("SELECT id FROM users WHERE workspace_id = $1 ORDER BY id")
                    .bind(ws.0)
                    .fetch_all(pool)
                    .await?
            });
            std::iter::once(None)
                .chain(users.into_iter().map(Some))
                .collect()
        }
    };
    let mut out = Vec::new();
    for status in QUEUE_STATUSES {
        let left = limit - out.len() as i64;
        if left <= 0 {
            break;
        }
        let rows = match owner {
            // One walk: the details come with it.
            Some(o) => {
                let sql = queue_details_sql(
                    "AND l.owner_id = $3 ORDER BY l.priority_key DESC, l.id DESC LIMIT $4",
                );
                with_db!(db, pool => {
                    sqlx::query_as::<_, QueueLead>(&sql)
                        .bind(ws.0)
                        .bind(status)
                        .bind(o)
                        .bind(left)
                        .fetch_all(pool)
                        .await?
                })
            }
            // The ids first, merged from every owner's walk; then their details.
            None => {
                let ids = queue_ids(db, ws, status, &owners, left).await?;
                if ids.is_empty() {
                    continue;
                }
                let placeholders: Vec<String> =
                    (0..ids.len()).map(|i| format!("${}", i + 3)).collect();
                let sql = queue_details_sql(&format!(
                    "AND l.id IN ({}) ORDER BY l.priority_key DESC, l.id DESC",
                    placeholders.join(", ")
                ));
                with_db!(db, pool => {
                    let mut q = sqlx::query_as::<_, QueueLead>(&sql).bind(ws.0).bind(status);
                    for id in &ids {
                        q = q.bind(*id);
                    }
                    q.fetch_all(pool).await?
                })
            }
        };
        out.extend(rows);
    }
    Ok(out)
}

/// The query of queue leads with their details, of status `$2` in workspace `$1`, ending
/// with `tail` (which leads, their order).
fn queue_details_sql(tail: &str) -> String {
    format!(
        "SELECT l.id, l.name, l.company_name, c.display_name AS company_display, l.title, l.department, \
         l.email, l.phone, l.mobile, l.status, l.owner_id, u.display_name AS owner_name, l.engagement_key, \
         l.fit_score, l.fit_grade, l.priority_key, l.last_engaged_at, l.returned_at, \
         a.type AS last_activity_type, a.outcome AS last_activity_outcome, a.occurred_at AS last_activity_at, \
         h.reason AS rule_reason, h.reason_en AS rule_reason_en \
         FROM leads l \
         LEFT JOIN activities a ON a.workspace_id = l.workspace_id AND a.id = (SELECT a2.id FROM activities a2 \
             WHERE a2.workspace_id = l.workspace_id AND a2.lead_id = l.id ORDER BY a2.occurred_at DESC, a2.id DESC LIMIT 1) \
         LEFT JOIN status_history h ON h.workspace_id = l.workspace_id AND h.id = (SELECT h2.id FROM status_history h2 \
             WHERE h2.workspace_id = l.workspace_id AND h2.lead_id = l.id AND h2.rule IS NOT NULL \
             ORDER BY h2.changed_at DESC, h2.id DESC LIMIT 1) \
         LEFT JOIN companies c ON c.workspace_id = l.workspace_id AND c.id = l.company_id \
         LEFT JOIN users u ON u.workspace_id = l.workspace_id AND u.id = l.owner_id \
         WHERE l.workspace_id = $1 AND l.status = $2 {tail}"
    )
}

/// Owners walked in one statement (SQLite allows 500 terms in a compound SELECT).
const OWNERS_PER_STATEMENT: usize = 100;

/// The ids of the `limit` leads in `status` with the highest priority among the leads of
/// `owners` (`None`: nobody's), highest first (ties: newest id first): the first `limit`
/// entries of each owner's walk of `leads_queue_owner`, merged.
async fn queue_ids(
    db: &Db,
    ws: WorkspaceId,
    status: &str,
    owners: &[Option<i64>],
    limit: i64,
) -> Result<Vec<i64>> {
    let mut found: Vec<(f64, i64)> = Vec::new();
    for chunk in owners.chunks(OWNERS_PER_STATEMENT) {
        let mut next = 3;
        let arms: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let owner = match o {
                    Some(_) => {
                        next += 1;
                        format!("owner_id = ${next}")
                    }
                    None => "owner_id IS NULL".to_string(),
                };
                format!(
                    "SELECT * FROM (SELECT priority_key, id FROM leads \
                     WHERE workspace_id = $1 AND {owner} AND status = $2 \
                     ORDER BY priority_key DESC, id DESC LIMIT $3) AS w{i}"
                )
            })
            .collect();
        let sql = arms.join(" UNION ALL ");
        let rows: Vec<(f64, i64)> = with_db!(db, pool => {
            let mut q = sqlx::query_as::<_, (f64, i64)>(&sql).bind(ws.0).bind(status).bind(limit);
            for o in chunk.iter().flatten() {
                q = q.bind(*o);
            }
            q.fetch_all(pool).await?
        });
        found.extend(rows);
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    found.truncate(limit.max(0) as usize);
    Ok(found.into_iter().map(|(_, id)| id).collect())
}

/// Ids of a workspace's leads after `after`, in id order (for rescoring in batches).
pub async fn lead_ids_after(db: &Db, ws: WorkspaceId, after: i64, limit: i64) -> Result<Vec<i64>> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT id FROM leads WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(ws.0)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
