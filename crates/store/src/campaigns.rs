//! Step campaigns: the workspace's sender settings, campaigns and their steps, the leads
//! enrolled, one row per (enrolment, step) that records its sending, the addresses SMTP
//! servers refused, and the per-step report. The order of sending and the law's checks
//! are the callers' (`ondo_jobs::campaigns`); these functions only read and write.
//! Enrolment triggers and the follower of status changes and form submissions are in
//! [`triggers`].

pub mod triggers;

use ondo_domain::Micros;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Actor, Db, Tx, WorkspaceId, with_db, with_tx};

/// A message's states (see the migration): `scheduled` → `sending` → `sent`, or
/// `bounced`, `failed`, `skipped`, `cancelled`; `unknown` when a stop cut a send short.
pub const SCHEDULED: &str = "scheduled";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const UNKNOWN: &str = "unknown";
pub const BOUNCED: &str = "bounced";
pub const FAILED: &str = "failed";
pub const SKIPPED: &str = "skipped";
pub const CANCELLED: &str = "cancelled";

/// An enrolment's states.
pub const ACTIVE: &str = "active";
pub const COMPLETED: &str = "completed";
pub const EXITED: &str = "exited";

/// Why an enrolment was exited, by Ondo itself: the lead became sales-ready (SQL) or
/// later, or answered a message.
pub const EXIT_BECAME_SQL: &str = "became_sql";
pub const EXIT_REPLIED: &str = "replied";

/// Permanent failures after which an address is do-not-send.
pub const DO_NOT_SEND_AFTER: i64 = 3;
/// Messages a minute by default.
pub const DEFAULT_RATE_PER_MINUTE: i64 = 60;

/// The workspace's sender settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderSettings {
    pub sender_name: String,
    /// The From address; `None` uses the server's (`ONDO_SMTP_FROM`).
    pub sender_email: Option<String>,
    pub postal_address: String,
    pub rate_per_minute: i64,
    pub updated_at: Option<i64>,
}

impl Default for SenderSettings {
    fn default() -> Self {
        SenderSettings {
            sender_name: String::new(),
            sender_email: None,
            postal_address: String::new(),
            rate_per_minute: DEFAULT_RATE_PER_MINUTE,
            updated_at: None,
        }
    }
}

/// The sender settings; the defaults (nothing set) when never saved.
pub async fn settings(db: &Db, ws: WorkspaceId) -> Result<SenderSettings> {
    let row: Option<(String, Option<String>, String, i64, i64)> = with_db!(db, pool => {
        sqlx::query_as(
            "SELECT sender_name, sender_email, postal_address, rate_per_minute, updated_at \
             FROM campaign_settings WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .fetch_optional(pool)
        .await?
    });
    Ok(match row {
        Some((sender_name, sender_email, postal_address, rate_per_minute, updated_at)) => {
            SenderSettings {
                sender_name,
                sender_email,
                postal_address,
                rate_per_minute,
                updated_at: Some(updated_at),
            }
        }
        None => SenderSettings::default(),
    })
}

/// Saves the sender settings (checked by the caller), with an audit entry.
pub async fn save_settings(
    db: &Db,
    ws: WorkspaceId,
    s: &SenderSettings,
    actor: &Actor,
) -> Result<()> {
    let now = Micros::now().0;
    let before = serde_json::to_string(&settings(db, ws).await?).unwrap_or_default();
    let after = serde_json::to_string(s).unwrap_or_default();
    let mut tx = db.begin_write().await?;
    with_tx!(&mut tx, conn => {
        sqlx::query(
            "INSERT INTO campaign_settings (workspace_id, sender_name, sender_email, postal_address, \
             rate_per_minute, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (workspace_id) DO UPDATE SET sender_name = excluded.sender_name, \
             sender_email = excluded.sender_email, postal_address = excluded.postal_address, \
             rate_per_minute = excluded.rate_per_minute, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(ws.0)
        .bind(&s.sender_name)
        .bind(&s.sender_email)
        .bind(&s.postal_address)
        .bind(s.rate_per_minute)
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "campaign_settings", None::<i64>, "update",
            Some(before.as_str()), Some(after.as_str()), now);
    });
    tx.commit().await
}

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Since when it is paused (nothing is sent); `None` while it runs.
    pub paused_at: Option<i64>,
    /// Whether a lead whose enrolment ended may be enrolled again (from step 1).
    pub allow_reenroll: bool,
}

/// A step as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Step {
    pub id: i64,
    pub campaign_id: i64,
    pub position: i64,
    pub delay_days: i64,
    pub window_start_minute: Option<i64>,
    pub window_end_minute: Option<i64>,
    pub subject: String,
    pub body: String,
    pub removed_at: Option<i64>,
}

/// A step as written (checked by the caller). `id` names an existing step to change;
/// `None` adds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInput {
    pub id: Option<i64>,
    pub delay_days: i64,
    pub window: Option<(i64, i64)>,
    pub subject: String,
    pub body: String,
}

/// A campaign as written (checked by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignInput {
    pub name: String,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub steps: Vec<StepInput>,
}

const CAMPAIGN_COLUMNS: &str = "id, name, sender_name, sender_email, created_by, created_at, \
    updated_at, paused_at, allow_reenroll";
const STEP_COLUMNS: &str = "id, campaign_id, position, delay_days, window_start_minute, \
    window_end_minute, subject, body, removed_at";

async fn insert_step(
    tx: &mut Tx,
    ws: WorkspaceId,
    campaign_id: i64,
    position: i64,
    s: &StepInput,
    now: i64,
) -> Result<i64> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO campaign_steps (workspace_id, campaign_id, position, delay_days, \
             window_start_minute, window_end_minute, subject, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .bind(position)
        .bind(s.delay_days)
        .bind(s.window.map(|w| w.0))
        .bind(s.window.map(|w| w.1))
        .bind(&s.subject)
        .bind(&s.body)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?
    }))
}

fn audit_json(c: &CampaignInput) -> String {
    serde_json::json!({
        "name": c.name,
        "sender_name": c.sender_name,
        "sender_email": c.sender_email,
        "steps": c.steps.iter().map(|s| serde_json::json!({
            "id": s.id, "delay_days": s.delay_days, "window": s.window,
            "subject": s.subject, "body": s.body,
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Creates a campaign with its steps in order, with an audit entry; returns its id.
pub async fn create(db: &Db, ws: WorkspaceId, c: &CampaignInput, actor: &Actor) -> Result<i64> {
    let now = Micros::now().0;
    let mut tx = db.begin_write().await?;
    let id = with_tx!(&mut tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO campaigns (workspace_id, name, sender_name, sender_email, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(ws.0)
        .bind(&c.name)
        .bind(&c.sender_name)
        .bind(&c.sender_email)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?
    });
    for (i, s) in c.steps.iter().enumerate() {
        insert_step(&mut tx, ws, id, i as i64 + 1, s, now).await?;
    }
    triggers::ensure_follower(&mut tx, ws, now).await?;
    let after = audit_json(c);
    with_tx!(&mut tx, conn => {
        crate::insert_audit!(&mut **conn, ws, actor, "campaign", Some(id), "create",
            None::<&str>, Some(after.as_str()), now);
    });
    tx.commit().await?;
    Ok(id)
}

/// Replaces a campaign's name, sender and steps: steps named by id are changed in
/// place, new ones added, and the steps left out are removed (kept for the report,
/// never sent again). A step id of another campaign is refused with `Conflict`.
pub async fn update(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    c: &CampaignInput,
    actor: &Actor,
) -> Result<()> {
    let now = Micros::now().0;
    let existing = steps(db, ws, id, false).await?;
    let mut tx = db.begin_write().await?;
    let changed = with_tx!(&mut tx, conn => {
        sqlx::query(
            "UPDATE campaigns SET name = $3, sender_name = $4, sender_email = $5, updated_at = $6 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(&c.name)
        .bind(&c.sender_name)
        .bind(&c.sender_email)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected()
    });
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    // Positions are rewritten after the highest one in use, so a step can move without
    // ever sharing a position with another.
    let base = existing.iter().map(|s| s.position).max().unwrap_or(0) + 1000;
    let kept: Vec<i64> = c.steps.iter().filter_map(|s| s.id).collect();
    for s in &existing {
        if !kept.contains(&s.id) {
            with_tx!(&mut tx, conn => {
                sqlx::query(
                    "UPDATE campaign_steps SET removed_at = $3, updated_at = $3 \
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(s.id)
                .bind(now)
                .execute(&mut **conn)
                .await?;
            });
        }
    }
    for (i, s) in c.steps.iter().enumerate() {
        let position = base + i as i64;
        match s.id {
            Some(step_id) => {
                if !existing.iter().any(|e| e.id == step_id) {
                    return Err(StoreError::Conflict(format!(
                        "step {step_id} is not a step of this campaign"
                    )));
                }
                with_tx!(&mut tx, conn => {
                    sqlx::query(
                        "UPDATE campaign_steps SET position = $3, delay_days = $4, \
                         window_start_minute = $5, window_end_minute = $6, subject = $7, body = $8, \
                         updated_at = $9 WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0)
                    .bind(step_id)
                    .bind(position)
                    .bind(s.delay_days)
                    .bind(s.window.map(|w| w.0))
                    .bind(s.window.map(|w| w.1))
                    .bind(&s.subject)
                    .bind(&s.body)
                    .bind(now)
                    .execute(&mut **conn)
                    .await?;
                });
            }
            None => {
                insert_step(&mut tx, ws, id, position, s, now).await?;
            }
        }
    }
    let after = audit_json(c);
    with_tx!(&mut tx, conn => {
        crate::insert_audit!(&mut **conn, ws, actor, "campaign", Some(id), "update",
            None::<&str>, Some(after.as_str()), now);
    });
    tx.commit().await
}

/// The campaign, or `NotFound` (also for another workspace's).
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Campaign> {
    let sql =
        format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 AND id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Campaign>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// A campaign's steps in order; removed ones too when `with_removed`.
pub async fn steps(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
    with_removed: bool,
) -> Result<Vec<Step>> {
    let removed = if with_removed {
        ""
    } else {
        " AND removed_at IS NULL"
    };
    let sql = format!(
        "SELECT {STEP_COLUMNS} FROM campaign_steps WHERE workspace_id = $1 AND campaign_id = $2{removed} \
         ORDER BY position, id"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Step>(&sql).bind(ws.0).bind(campaign_id).fetch_all(pool).await?)
    })
}

/// One step, removed or not; `NotFound` when there is none.
pub async fn step(db: &Db, ws: WorkspaceId, id: i64) -> Result<Step> {
    let sql =
        format!("SELECT {STEP_COLUMNS} FROM campaign_steps WHERE workspace_id = $1 AND id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Step>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// The step sent after the one at `position`, if the campaign has one.
pub async fn next_step(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
    position: i64,
) -> Result<Option<Step>> {
    let sql = format!(
        "SELECT {STEP_COLUMNS} FROM campaign_steps WHERE workspace_id = $1 AND campaign_id = $2 \
         AND removed_at IS NULL AND position > $3 ORDER BY position, id LIMIT 1"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Step>(&sql).bind(ws.0).bind(campaign_id).bind(position)
            .fetch_optional(pool).await?)
    })
}

/// A campaign in the list, with its counts.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CampaignSummary {
    pub id: i64,
    pub name: String,
    pub paused_at: Option<i64>,
    pub steps: i64,
    pub active: i64,
    pub enrolled: i64,
    pub sent: i64,
    pub created_at: i64,
}

/// Every campaign of the workspace, newest first, with its steps, active and all
/// enrolments, and messages sent.
pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<CampaignSummary>> {
    let sql = "SELECT c.id, c.name, c.paused_at, \
        (SELECT COUNT(*) FROM campaign_steps s WHERE s.workspace_id = c.workspace_id \
           AND s.campaign_id = c.id AND s.removed_at IS NULL) AS steps, \
        (SELECT COUNT(*) FROM campaign_enrollments e WHERE e.workspace_id = c.workspace_id \
           AND e.campaign_id = c.id AND e.state = 'active') AS active, \
        (SELECT COUNT(*) FROM campaign_enrollments e WHERE e.workspace_id = c.workspace_id \
           AND e.campaign_id = c.id) AS enrolled, \
        (SELECT COUNT(*) FROM campaign_messages m WHERE m.workspace_id = c.workspace_id \
           AND m.campaign_id = c.id AND m.state IN ('sent', 'unknown', 'bounced')) AS sent, \
        c.created_at FROM campaigns c WHERE c.workspace_id = $1 ORDER BY c.id DESC";
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, CampaignSummary>(sql).bind(ws.0).fetch_all(pool).await?)
    })
}

/// What enrolment needs to know of a lead.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeadFacts {
    pub id: i64,
    pub email: Option<String>,
    pub consent_source: Option<String>,
    pub email_opt_out: bool,
    pub status: String,
    /// The address is do-not-send after repeated permanent failures.
    pub do_not_send: bool,
}

/// The facts of those of `ids` that are leads of the workspace (any order).
pub async fn lead_facts(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<Vec<LeadFacts>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT l.id, l.email, l.consent_source, l.email_opt_out, l.status, \
             COALESCE(s.do_not_send, FALSE) AS do_not_send FROM leads l \
             LEFT JOIN email_suppressions s ON s.workspace_id = l.workspace_id AND s.email = l.email \
             WHERE l.workspace_id = $1 AND l.id IN ({})",
            placeholders.join(", ")
        );
        let rows: Vec<LeadFacts> = with_db!(db, pool => {
            let mut q = sqlx::query_as::<_, LeadFacts>(&sql).bind(ws.0);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// How a lead came into a campaign: by hand (page or API), or by one of its triggers.
pub const SOURCE_STATUS: &str = "status";
pub const SOURCE_FORM: &str = "form";
pub const SOURCE_SEGMENT: &str = "segment";

/// What enrolling one lead did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolled {
    /// A new enrolment and its first step's message.
    New { enrollment: i64, message: i64 },
    /// The lead is enrolled in the campaign right now; nothing was written.
    Active,
    /// The lead's enrolment ended and the campaign does not allow re-enrolment.
    Before,
}

/// Enrols a lead: its enrolment and its first step's message, due at `due_at`. A lead
/// is never enrolled twice at the same time, and once only unless the campaign allows
/// re-enrolment (`allow_reenroll`), when a lead whose enrolment ended starts a new one
/// (its `round` is one more). `source` is `None` by hand, or the kind of trigger.
#[allow(clippy::too_many_arguments)]
pub async fn enroll(
    tx: &mut Tx,
    ws: WorkspaceId,
    campaign_id: i64,
    lead_id: i64,
    first_step: i64,
    due_at: i64,
    allow_reenroll: bool,
    source: Option<&str>,
    actor: &Actor,
    now: i64,
) -> Result<Enrolled> {
    let (rounds, active): (i64, i64) = with_tx!(&mut *tx, conn => {
        sqlx::query_as(
            "SELECT COALESCE(MAX(round), 0), \
             COALESCE(SUM(CASE WHEN state = 'active' THEN 1 ELSE 0 END), 0) \
             FROM campaign_enrollments WHERE workspace_id = $1 AND campaign_id = $2 AND lead_id = $3",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .bind(lead_id)
        .fetch_one(&mut **conn)
        .await?
    });
    if active > 0 {
        return Ok(Enrolled::Active);
    }
    if rounds > 0 && !allow_reenroll {
        return Ok(Enrolled::Before);
    }
    // The unique (campaign, lead, round) and the unique active enrolment keep a
    // concurrent enrolment of the same lead from making a second one.
    let enrollment: Option<i64> = with_tx!(&mut *tx, conn => {
        sqlx::query_scalar(
            "INSERT INTO campaign_enrollments (workspace_id, campaign_id, lead_id, state, enrolled_by, \
             enrolled_at, round, source) VALUES ($1, $2, $3, 'active', $4, $5, $6, $7) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .bind(lead_id)
        .bind(actor.user_id)
        .bind(now)
        .bind(rounds + 1)
        .bind(source)
        .fetch_optional(&mut **conn)
        .await?
    });
    let Some(enrollment) = enrollment else {
        return Ok(Enrolled::Active);
    };
    let message = schedule(
        tx,
        ws,
        campaign_id,
        enrollment,
        first_step,
        lead_id,
        due_at,
        now,
    )
    .await?
    .ok_or_else(|| StoreError::Conflict("a new enrolment already has a message".into()))?;
    Ok(Enrolled::New {
        enrollment,
        message,
    })
}

/// Schedules one step of an enrolment; `None` when that step has a message already
/// (the idempotency key is the enrolment and the step).
#[allow(clippy::too_many_arguments)]
pub async fn schedule(
    tx: &mut Tx,
    ws: WorkspaceId,
    campaign_id: i64,
    enrollment_id: i64,
    step_id: i64,
    lead_id: i64,
    due_at: i64,
    now: i64,
) -> Result<Option<i64>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar(
            "INSERT INTO campaign_messages (workspace_id, campaign_id, enrollment_id, step_id, lead_id, \
             state, due_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'scheduled', $6, $7, $7) \
             ON CONFLICT (workspace_id, enrollment_id, step_id) DO NOTHING RETURNING id",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .bind(enrollment_id)
        .bind(step_id)
        .bind(lead_id)
        .bind(due_at)
        .bind(now)
        .fetch_optional(&mut **conn)
        .await?
    }))
}

/// One step's message of one enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub campaign_id: i64,
    pub enrollment_id: i64,
    pub step_id: i64,
    pub lead_id: i64,
    pub state: String,
    pub due_at: i64,
    pub to_email: Option<String>,
    pub attempts: i64,
    pub sending_at: Option<i64>,
    pub sent_at: Option<i64>,
    pub reason: Option<String>,
    pub last_error: Option<String>,
    /// When the lead answered it.
    pub replied_at: Option<i64>,
    /// The enrolment's state.
    pub enrollment_state: String,
}

const MESSAGE_SELECT: &str = "SELECT m.id, m.campaign_id, m.enrollment_id, m.step_id, m.lead_id, \
    m.state, m.due_at, m.to_email, m.attempts, m.sending_at, m.sent_at, m.reason, m.last_error, \
    m.replied_at, e.state AS enrollment_state FROM campaign_messages m \
    JOIN campaign_enrollments e ON e.workspace_id = m.workspace_id AND e.id = m.enrollment_id";

/// The message, or `None`.
pub async fn message(db: &Db, ws: WorkspaceId, id: i64) -> Result<Option<Message>> {
    let sql = format!("{MESSAGE_SELECT} WHERE m.workspace_id = $1 AND m.id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Message>(&sql).bind(ws.0).bind(id).fetch_optional(pool).await?)
    })
}

/// A lead's messages of every campaign, newest first (at most `limit`).
pub async fn messages_of_lead(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    limit: i64,
) -> Result<Vec<Message>> {
    let sql = format!(
        "{MESSAGE_SELECT} WHERE m.workspace_id = $1 AND m.lead_id = $2 ORDER BY m.id DESC LIMIT $3"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Message>(&sql).bind(ws.0).bind(lead_id).bind(limit)
            .fetch_all(pool).await?)
    })
}

/// Messages that started sending in the workspace since `since` (the rate limit).
pub async fn sending_since(tx: &mut Tx, ws: WorkspaceId, since: i64) -> Result<i64> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM campaign_messages WHERE workspace_id = $1 AND sending_at >= $2",
        )
        .bind(ws.0)
        .bind(since)
        .fetch_one(&mut **conn)
        .await?
    }))
}

/// Whether the campaign is paused, read inside the transaction that claims a message (a
/// pause committed before the claim stops it).
pub async fn is_paused(tx: &mut Tx, ws: WorkspaceId, campaign_id: i64) -> Result<bool> {
    let paused: Option<Option<i64>> = with_tx!(tx, conn => {
        sqlx::query_scalar("SELECT paused_at FROM campaigns WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(campaign_id)
            .fetch_optional(&mut **conn)
            .await?
    });
    Ok(paused.flatten().is_some())
}

/// Pauses (`paused`) or resumes a campaign, with an audit entry, inside the caller's
/// transaction. `NotFound` when there is no such campaign; false when it already was
/// in that state (nothing changes).
pub async fn set_paused(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    paused: bool,
    actor: &Actor,
    now: i64,
) -> Result<bool> {
    let was: Option<Option<i64>> = with_tx!(&mut *tx, conn => {
        sqlx::query_scalar("SELECT paused_at FROM campaigns WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .fetch_optional(&mut **conn)
            .await?
    });
    let Some(was) = was else {
        return Err(StoreError::NotFound);
    };
    if was.is_some() == paused {
        return Ok(false);
    }
    let (action, before, after) = if paused {
        ("pause", "{\"paused\":false}", "{\"paused\":true}")
    } else {
        ("resume", "{\"paused\":true}", "{\"paused\":false}")
    };
    with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE campaigns SET paused_at = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(paused.then_some(now))
        .bind(now)
        .execute(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "campaign", Some(id), action,
            Some(before), Some(after), now);
    });
    Ok(true)
}

/// A scheduled message waiting for its campaign: its id, step and due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Waiting {
    pub id: i64,
    pub step_id: i64,
    pub due_at: i64,
}

/// The campaign's scheduled messages due at or before `until`, oldest due first.
pub async fn scheduled_due(
    tx: &mut Tx,
    ws: WorkspaceId,
    campaign_id: i64,
    until: i64,
) -> Result<Vec<Waiting>> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, Waiting>(
            "SELECT id, step_id, due_at FROM campaign_messages WHERE workspace_id = $1 \
             AND campaign_id = $2 AND state = 'scheduled' AND due_at <= $3 ORDER BY due_at, id",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .bind(until)
        .fetch_all(&mut **conn)
        .await?
    }))
}

/// Claims a scheduled message for sending to `to_email`: it becomes `sending` with one
/// more attempt. False when it was not scheduled any more (another worker has it, or
/// it was settled), and nothing changed.
pub async fn claim(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    to_email: &str,
    now: i64,
) -> Result<bool> {
    let n = with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE campaign_messages SET state = 'sending', to_email = $3, sending_at = $4, \
             attempts = attempts + 1, updated_at = $4 \
             WHERE workspace_id = $1 AND id = $2 AND state = 'scheduled'",
        )
        .bind(ws.0)
        .bind(id)
        .bind(to_email)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Moves a scheduled message's due time (a deferral by the rate limit or the window).
pub async fn reschedule(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    due_at: i64,
    now: i64,
) -> Result<()> {
    with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE campaign_messages SET due_at = $3, updated_at = $4 \
             WHERE workspace_id = $1 AND id = $2 AND state = 'scheduled'",
        )
        .bind(ws.0)
        .bind(id)
        .bind(due_at)
        .bind(now)
        .execute(&mut **conn)
        .await?;
    });
    Ok(())
}

/// Settles a message: `from` states only become `to`, with the time it was sent (for
/// `sent`), why (`reason`) and the server's words (`error`). Returns whether it changed.
#[allow(clippy::too_many_arguments)]
pub async fn settle(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    from: &[&str],
    to: &str,
    sent_at: Option<i64>,
    reason: Option<&str>,
    error: Option<&str>,
    now: i64,
) -> Result<bool> {
    let states: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 8)).collect();
    let sql = format!(
        "UPDATE campaign_messages SET state = $3, sent_at = COALESCE($4, sent_at), \
         reason = COALESCE($5, reason), last_error = COALESCE($6, last_error), updated_at = $7 \
         WHERE workspace_id = $1 AND id = $2 AND state IN ({})",
        states.join(", ")
    );
    let n = with_tx!(tx, conn => {
        let mut q = sqlx::query(&sql)
            .bind(ws.0)
            .bind(id)
            .bind(to)
            .bind(sent_at)
            .bind(reason)
            .bind(error)
            .bind(now);
        for s in from {
            q = q.bind(*s);
        }
        q.execute(&mut **conn).await?.rows_affected()
    });
    Ok(n == 1)
}

/// [`settle`] on its own transaction.
#[allow(clippy::too_many_arguments)]
pub async fn settle_db(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    from: &[&str],
    to: &str,
    sent_at: Option<i64>,
    reason: Option<&str>,
    error: Option<&str>,
    now: i64,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let changed = settle(&mut tx, ws, id, from, to, sent_at, reason, error, now).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Ends an active enrolment (`completed`, or `exited` with a reason) and cancels its
/// scheduled messages. Returns whether it was active.
pub async fn end_enrollment(
    tx: &mut Tx,
    ws: WorkspaceId,
    enrollment_id: i64,
    state: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let n = with_tx!(&mut *tx, conn => {
        sqlx::query(
            "UPDATE campaign_enrollments SET state = $3, exit_reason = $4, ended_at = $5 \
             WHERE workspace_id = $1 AND id = $2 AND state = 'active'",
        )
        .bind(ws.0)
        .bind(enrollment_id)
        .bind(state)
        .bind(reason)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected()
    });
    with_tx!(tx, conn => {
        sqlx::query(
            "UPDATE campaign_messages SET state = 'cancelled', reason = $3, updated_at = $4 \
             WHERE workspace_id = $1 AND enrollment_id = $2 AND state = 'scheduled'",
        )
        .bind(ws.0)
        .bind(enrollment_id)
        .bind(reason.unwrap_or(state))
        .bind(now)
        .execute(&mut **conn)
        .await?;
    });
    Ok(n == 1)
}

/// Counts a permanent failure of an address; at [`DO_NOT_SEND_AFTER`] it becomes
/// do-not-send. Returns the count and whether the address is now do-not-send.
pub async fn record_permanent_failure(
    tx: &mut Tx,
    ws: WorkspaceId,
    email: &str,
    error: &str,
    now: i64,
) -> Result<(i64, bool)> {
    Ok(with_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, bool)>(
            "INSERT INTO email_suppressions (workspace_id, email, permanent_failures, do_not_send, \
             last_error, updated_at) VALUES ($1, $2, 1, $5, $3, $4) \
             ON CONFLICT (workspace_id, email) DO UPDATE SET \
             permanent_failures = email_suppressions.permanent_failures + 1, \
             do_not_send = email_suppressions.do_not_send \
               OR email_suppressions.permanent_failures + 1 >= $6, \
             last_error = excluded.last_error, updated_at = excluded.updated_at \
             RETURNING permanent_failures, do_not_send",
        )
        .bind(ws.0)
        .bind(email)
        .bind(error)
        .bind(now)
        .bind(DO_NOT_SEND_AFTER <= 1)
        .bind(DO_NOT_SEND_AFTER)
        .fetch_one(&mut **conn)
        .await?
    }))
}

/// Whether the address is do-not-send.
pub async fn is_do_not_send(db: &Db, ws: WorkspaceId, email: &str) -> Result<bool> {
    let v: Option<bool> = with_db!(db, pool => {
        sqlx::query_scalar(
            "SELECT do_not_send FROM email_suppressions WHERE workspace_id = $1 AND email = $2",
        )
        .bind(ws.0)
        .bind(email)
        .fetch_optional(pool)
        .await?
    });
    Ok(v.unwrap_or(false))
}

/// What an unsubscribe changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribed {
    /// False when the lead had opted out already (nothing new was recorded).
    pub changed: bool,
    /// Active enrolments ended.
    pub enrollments_ended: u64,
}

/// Honours an unsubscribe at once, in one transaction: the lead's `email_opt_out` is
/// set, every active enrolment of the lead ends (`exited`, `unsubscribed`) with its
/// scheduled messages cancelled, the message the link came from is marked, and an audit
/// entry is written. `NotFound` when the lead does not exist.
pub async fn unsubscribe(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    message_id: i64,
    actor: &Actor,
    now: i64,
) -> Result<Unsubscribed> {
    let mut tx = db.begin_write().await?;
    let opted_out: Option<bool> = with_tx!(&mut tx, conn => {
        sqlx::query_scalar("SELECT email_opt_out FROM leads WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(lead_id)
            .fetch_optional(&mut **conn)
            .await?
    });
    let Some(already) = opted_out else {
        return Err(StoreError::NotFound);
    };
    let enrollments: Vec<i64> = with_tx!(&mut tx, conn => {
        sqlx::query_scalar(
            "SELECT id FROM campaign_enrollments WHERE workspace_id = $1 AND lead_id = $2 AND state = 'active'",
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_all(&mut **conn)
        .await?
    });
    let mut ended = 0;
    for e in &enrollments {
        if end_enrollment(&mut tx, ws, *e, EXITED, Some("unsubscribed"), now).await? {
            ended += 1;
        }
    }
    if !already {
        let campaign: Option<i64> = with_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE leads SET email_opt_out = TRUE, updated_at = $3 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.0)
            .bind(lead_id)
            .bind(now)
            .execute(&mut **conn)
            .await?;
            sqlx::query_scalar(
                "UPDATE campaign_messages SET unsubscribed_at = $4, updated_at = $4 \
                 WHERE workspace_id = $1 AND id = $2 AND lead_id = $3 RETURNING campaign_id",
            )
            .bind(ws.0)
            .bind(message_id)
            .bind(lead_id)
            .bind(now)
            .fetch_optional(&mut **conn)
            .await?
        });
        let before = serde_json::json!({ "email_opt_out": false }).to_string();
        let after = serde_json::json!({
            "email_opt_out": true,
            "via": "unsubscribe_link",
            "campaign_id": campaign,
            "message_id": (message_id > 0).then_some(message_id),
            "enrollments_ended": ended,
        })
        .to_string();
        with_tx!(&mut tx, conn => {
            crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(lead_id), "unsubscribe",
                Some(before.as_str()), Some(after.as_str()), now);
        });
    }
    tx.commit().await?;
    Ok(Unsubscribed {
        changed: !already,
        enrollments_ended: ended,
    })
}

/// What recording a reply changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replied {
    pub lead_id: i64,
    pub campaign_id: i64,
    pub step_id: i64,
    /// False when a reply to this message was recorded before.
    pub first: bool,
    /// Whether the message's enrolment was active and has ended now.
    pub enrollment_ended: bool,
}

/// Records that the lead answered message `message_id`, in one transaction: the
/// message's `replied_at` (the first reply's time) and the end of its enrolment when it
/// is still active (`exited`, `replied`), its scheduled messages cancelled. `None` when
/// there is no such message.
pub async fn record_reply(
    db: &Db,
    ws: WorkspaceId,
    message_id: i64,
    now: i64,
) -> Result<Option<Replied>> {
    let mut tx = db.begin_write().await?;
    let row: Option<(i64, i64, i64, i64, Option<i64>)> = with_tx!(&mut tx, conn => {
        sqlx::query_as(
            "SELECT lead_id, campaign_id, step_id, enrollment_id, replied_at FROM campaign_messages \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(message_id)
        .fetch_optional(&mut **conn)
        .await?
    });
    let Some((lead_id, campaign_id, step_id, enrollment_id, replied_at)) = row else {
        return Ok(None);
    };
    if replied_at.is_none() {
        with_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE campaign_messages SET replied_at = $3, updated_at = $3 \
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.0)
            .bind(message_id)
            .bind(now)
            .execute(&mut **conn)
            .await?;
        });
    }
    let ended = end_enrollment(&mut tx, ws, enrollment_id, EXITED, Some(EXIT_REPLIED), now).await?;
    tx.commit().await?;
    Ok(Some(Replied {
        lead_id,
        campaign_id,
        step_id,
        first: replied_at.is_none(),
        enrollment_ended: ended,
    }))
}

/// The lead's active enrolments (to end them when the lead moves on).
pub async fn active_enrollments_of_lead(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
) -> Result<Vec<i64>> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar(
            "SELECT id FROM campaign_enrollments WHERE workspace_id = $1 AND lead_id = $2 AND state = 'active'",
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_all(pool)
        .await?)
    })
}

/// One step's figures: sent (handed to the SMTP server), delivered (accepted by it),
/// opened and clicked (by a person; scanners' events are not counted), unsubscribed from
/// this message, bounced, and leads that became MQL (nurturing) or SQL (sales-ready)
/// after this message was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StepReport {
    pub step_id: i64,
    pub scheduled: i64,
    pub sent: i64,
    pub delivered: i64,
    pub unknown: i64,
    pub bounced: i64,
    pub failed: i64,
    pub skipped: i64,
    pub opened: i64,
    pub clicked: i64,
    pub unsubscribed: i64,
    /// Messages the lead answered.
    pub replied: i64,
    pub became_mql: i64,
    pub became_sql: i64,
}

/// Enrolments by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EnrollmentCounts {
    pub active: i64,
    pub completed: i64,
    pub exited: i64,
    /// Of the exited: those that ended because the lead replied.
    pub replied: i64,
    /// Of the exited: those that ended because the lead became SQL or later.
    pub became_sql: i64,
    /// Every enrolment, a lead enrolled again counting once more.
    pub total: i64,
}

/// The report of each step of a campaign that has messages (removed steps included).
pub async fn report(db: &Db, ws: WorkspaceId, campaign_id: i64) -> Result<Vec<StepReport>> {
    // The open pixel and tracked links record the message's id in the event's
    // properties; the event is the lead's, so its index finds it.
    let message_of_event = match db {
        Db::Sqlite(_) => "CAST(json_extract(e.properties, '$.message_id') AS TEXT)",
        Db::Postgres(_) => "(e.properties::jsonb ->> 'message_id')",
    };
    let event = |kinds: &str| {
        format!(
            "EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = m.workspace_id AND e.lead_id = m.lead_id \
             AND e.occurred_at >= m.sent_at AND e.type IN ({kinds}) AND e.bot_reason IS NULL \
             AND {message_of_event} = CAST(m.id AS TEXT))"
        )
    };
    let became = |status: &str| {
        format!(
            "EXISTS (SELECT 1 FROM status_history h WHERE h.workspace_id = m.workspace_id \
             AND h.lead_id = m.lead_id AND h.to_status = '{status}' AND h.changed_at > m.sent_at)"
        )
    };
    let sent = "m.state IN ('sent', 'unknown', 'bounced')";
    let sql = format!(
        "SELECT m.step_id, \
         SUM(CASE WHEN m.state = 'scheduled' THEN 1 ELSE 0 END) AS scheduled, \
         SUM(CASE WHEN {sent} THEN 1 ELSE 0 END) AS sent, \
         SUM(CASE WHEN m.state = 'sent' THEN 1 ELSE 0 END) AS delivered, \
         SUM(CASE WHEN m.state = 'unknown' THEN 1 ELSE 0 END) AS unknown, \
         SUM(CASE WHEN m.state = 'bounced' THEN 1 ELSE 0 END) AS bounced, \
         SUM(CASE WHEN m.state = 'failed' THEN 1 ELSE 0 END) AS failed, \
         SUM(CASE WHEN m.state IN ('skipped', 'cancelled') THEN 1 ELSE 0 END) AS skipped, \
         SUM(CASE WHEN m.state = 'sent' AND {opened} THEN 1 ELSE 0 END) AS opened, \
         SUM(CASE WHEN m.state = 'sent' AND {clicked} THEN 1 ELSE 0 END) AS clicked, \
         SUM(CASE WHEN m.unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END) AS unsubscribed, \
         SUM(CASE WHEN m.replied_at IS NOT NULL THEN 1 ELSE 0 END) AS replied, \
         SUM(CASE WHEN {sent} AND {mql} THEN 1 ELSE 0 END) AS became_mql, \
         SUM(CASE WHEN {sent} AND {sql_} THEN 1 ELSE 0 END) AS became_sql \
         FROM campaign_messages m WHERE m.workspace_id = $1 AND m.campaign_id = $2 \
         GROUP BY m.step_id",
        opened = event("'email_open', 'email_click'"),
        clicked = event("'email_click'"),
        mql = became("nurturing"),
        sql_ = became("sales_ready"),
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, StepReport>(&sql).bind(ws.0).bind(campaign_id).fetch_all(pool).await?)
    })
}

/// The campaign's enrolments by state.
pub async fn enrollment_counts(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
) -> Result<EnrollmentCounts> {
    let rows: Vec<(String, Option<String>, i64)> = with_db!(db, pool => {
        sqlx::query_as(
            "SELECT state, exit_reason, COUNT(*) FROM campaign_enrollments \
             WHERE workspace_id = $1 AND campaign_id = $2 GROUP BY state, exit_reason",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .fetch_all(pool)
        .await?
    });
    let mut c = EnrollmentCounts::default();
    for (state, reason, n) in rows {
        c.total += n;
        match state.as_str() {
            ACTIVE => c.active += n,
            COMPLETED => c.completed += n,
            _ => {
                c.exited += n;
                match reason.as_deref() {
                    Some(EXIT_REPLIED) => c.replied += n,
                    // Ended at a send before the follower saw the change ("sales_ready").
                    Some(EXIT_BECAME_SQL | "sales_ready") => c.became_sql += n,
                    _ => {}
                }
            }
        }
    }
    Ok(c)
}

/// One enrolment, for the campaign page.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EnrollmentRow {
    pub id: i64,
    pub lead_id: i64,
    pub lead_name: String,
    pub email: Option<String>,
    pub state: String,
    pub exit_reason: Option<String>,
    pub enrolled_at: i64,
    pub ended_at: Option<i64>,
    /// 1 for the lead's first enrolment in the campaign, 2 for the next…
    pub round: i64,
    /// `None` by hand; the kind of trigger otherwise.
    pub source: Option<String>,
}

/// The campaign's most recent enrolments, newest first.
pub async fn enrollments(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
    limit: i64,
) -> Result<Vec<EnrollmentRow>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, EnrollmentRow>(
            "SELECT e.id, e.lead_id, l.name AS lead_name, l.email, e.state, e.exit_reason, \
             e.enrolled_at, e.ended_at, e.round, e.source FROM campaign_enrollments e \
             JOIN leads l ON l.workspace_id = e.workspace_id AND l.id = e.lead_id \
             WHERE e.workspace_id = $1 AND e.campaign_id = $2 ORDER BY e.id DESC LIMIT $3",
        )
        .bind(ws.0)
        .bind(campaign_id)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
