//! Sending one step of one enrolment, exactly once where it can be known and at most
//! once where it cannot.
//!
//! The message row goes `scheduled` → `sending` in a transaction committed *before* the
//! SMTP conversation, and `sending` → `sent` after the server accepted it. A job that
//! finds its row `sending` ran before and was cut short (the process stopped, or the
//! record of the outcome failed) somewhere between those two commits: whether the server
//! took the message cannot be known, so the row becomes `unknown` and the step is not
//! sent again. A duplicate in a lead's inbox is worse for a sender than one missing
//! step, and the `Message-ID` (made from the row) lets anyone recognise the message. The
//! same holds when the connection broke in mid-conversation. SMTP's own answers are
//! definite, read from the reply code (see `MailError::delivery`): 4xx (and a server
//! that cannot be reached) → retried later with backoff; 5xx → bounced, counted
//! against the address (three make it do-not-send).
//!
//! Before sending, the law and the lead's state are checked again: consent, opt-out,
//! do-not-send, an address, the sender's name and postal address, and whether the lead
//! has become sales-ready (which ends the enrolment). A paused campaign's step waits:
//! its job ends and the message stays scheduled until the campaign resumes.

use lettre::Address;
use lettre::message::Mailbox;
use ondo_domain::Micros;
use ondo_domain::campaign::{self as rules, Recipient, Unsubscribe, unsubscribe_url};
use ondo_domain::tracking::{EmailRef, TrackingKey};
use ondo_store::campaigns::{self as store, Message};
use ondo_store::jobs::Job;
use ondo_store::leads::Lead;
use ondo_store::{Db, StoreError, Tx, WorkspaceId};

use super::compose::{self, Links};
use super::{StepPayload, TestPayload, enqueue_step, sender_of, window_of};
use crate::notify::mail::Delivery;
use crate::notify::message::one_line;
use crate::worker::{JobError, JobResult, WorkerContext};

/// What a finished step job says.
pub const RESULT_SENT: &str = "sent";
pub const RESULT_BOUNCED: &str = "bounced";
pub const RESULT_UNKNOWN: &str = "unknown";
pub const RESULT_ALREADY: &str = "already_settled";
pub const RESULT_DEFERRED: &str = "deferred_rate_limit";
pub const RESULT_NOT_DUE: &str = "not_yet_due";
pub const RESULT_CANCELLED: &str = "cancelled";
pub const RESULT_GONE: &str = "message_gone";
pub const RESULT_PAUSED: &str = "paused";

fn parse_payload<T: serde::de::DeserializeOwned>(job: &Job) -> Result<T, JobError> {
    serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Permanent(format!("the job's payload does not parse: {e}")))
}

/// The workspace's tracking key (made when the first lead was enrolled).
async fn tracking_key(db: &Db, ws: WorkspaceId) -> Result<TrackingKey, JobError> {
    let stored = ondo_store::tracking::settings(db, ws)
        .await?
        .ok_or_else(|| JobError::Retry("the workspace has no tracking key yet".into()))?;
    TrackingKey::from_base64(&stored.secret)
        .map_err(|e| JobError::Permanent(format!("the tracking key is unreadable: {e}")))
}

/// What the placeholders stand for, for a lead.
pub fn recipient_of(lead: &Lead) -> Recipient {
    Recipient {
        name: lead.name.clone(),
        company: lead
            .company_display
            .clone()
            .or_else(|| lead.company_name.clone())
            .unwrap_or_default(),
        department: lead.department.clone().unwrap_or_default(),
        title: lead.title.clone().unwrap_or_default(),
        owner: lead.owner_name.clone().unwrap_or_default(),
        email: lead.email.clone().unwrap_or_default(),
    }
}

/// A sample person for a preview or test without a lead.
pub fn sample_recipient() -> Recipient {
    Recipient {
        name: "山田 太郎".into(),
        company: "株式会社サンプル".into(),
        department: "情報システム部".into(),
        title: "部長".into(),
        owner: "佐藤 花子".into(),
        email: "taro.yamada@example.jp".into(),
    }
}

/// The From mailbox: the campaign's or workspace's address (or the server's), with the
/// sender's name.
fn from_mailbox(
    ctx_from: &Mailbox,
    campaign: &store::Campaign,
    settings: &store::SenderSettings,
    sender: &rules::Sender,
) -> Result<Mailbox, JobError> {
    let address = match campaign
        .sender_email
        .as_deref()
        .or(settings.sender_email.as_deref())
    {
        Some(a) => a
            .parse::<Address>()
            .map_err(|e| JobError::Permanent(format!("the sender address cannot be used: {e}")))?,
        None => ctx_from.email.clone(),
    };
    Ok(Mailbox::new(Some(one_line(&sender.name, 100)), address))
}

/// Ends the enrolment of a message that must not go out, cancelling it.
async fn exit(db: &Db, ws: WorkspaceId, m: &Message, reason: &str, now: i64) -> JobResult {
    let mut tx = db.begin_write().await?;
    store::end_enrollment(
        &mut tx,
        ws,
        m.enrollment_id,
        store::EXITED,
        Some(reason),
        now,
    )
    .await?;
    store::settle(
        &mut tx,
        ws,
        m.id,
        &[store::SCHEDULED],
        store::CANCELLED,
        None,
        Some(reason),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(format!("{RESULT_CANCELLED}: {reason}")))
}

/// The next step after `m`'s, read before the transaction that schedules it.
async fn next_of(db: &Db, ws: WorkspaceId, m: &Message) -> Result<Option<store::Step>, StoreError> {
    let step = store::step(db, ws, m.step_id).await?;
    store::next_step(db, ws, m.campaign_id, step.position).await
}

/// Inside the transaction that settles `m`: schedules the next step from `from`, or
/// completes the enrolment after the last one.
async fn schedule_next(
    tx: &mut Tx,
    ws: WorkspaceId,
    m: &Message,
    next: Option<&store::Step>,
    from: Micros,
    now: i64,
) -> Result<(), StoreError> {
    match next {
        Some(step) => {
            let due = rules::due_at(from, step.delay_days, window_of(step).as_ref()).0;
            if let Some(id) = store::schedule(
                tx,
                ws,
                m.campaign_id,
                m.enrollment_id,
                step.id,
                m.lead_id,
                due,
                now,
            )
            .await?
            {
                enqueue_step(tx, ws, id, due).await?;
            }
        }
        None => {
            store::end_enrollment(tx, ws, m.enrollment_id, store::COMPLETED, None, now).await?;
        }
    }
    Ok(())
}

/// A `sending` row found by a later run: its outcome is unknown; it is not sent again,
/// and the campaign goes on.
async fn settle_interrupted(db: &Db, ws: WorkspaceId, m: &Message, now: i64) -> JobResult {
    let next = next_of(db, ws, m).await?;
    let mut tx = db.begin_write().await?;
    let changed = store::settle(
        &mut tx,
        ws,
        m.id,
        &[store::SENDING],
        store::UNKNOWN,
        None,
        Some("interrupted"),
        Some("the sending was interrupted; whether the server took the message is unknown"),
        now,
    )
    .await?;
    if changed && m.enrollment_state == store::ACTIVE {
        let from = Micros(m.sending_at.unwrap_or(now));
        schedule_next(&mut tx, ws, m, next.as_ref(), from, now).await?;
    }
    tx.commit().await?;
    Ok(Some(format!(
        "{RESULT_UNKNOWN}: interrupted before its outcome was recorded"
    )))
}

/// What a step's job says when its campaign is paused: the message stays scheduled,
/// and resuming queues it again.
fn paused_result() -> String {
    format!("{RESULT_PAUSED}: the campaign is paused; the step waits for it to resume")
}

/// The `campaign_step` job: sends one step of one enrolment (see the module's words).
pub async fn run_step(ctx: &WorkerContext, job: &Job, now: Micros) -> JobResult {
    let p: StepPayload = parse_payload(job)?;
    let ws = job.workspace_id;
    let db = &ctx.db;
    let Some(m) = store::message(db, ws, p.message_id).await? else {
        return Ok(Some(RESULT_GONE.into()));
    };
    match m.state.as_str() {
        store::SCHEDULED => {}
        store::SENDING => return settle_interrupted(db, ws, &m, now.0).await,
        other => return Ok(Some(format!("{RESULT_ALREADY}: {other}"))),
    }
    if m.due_at > now.0 {
        // A deferral queued another job for the new time.
        return Ok(Some(RESULT_NOT_DUE.into()));
    }
    if m.enrollment_state != store::ACTIVE {
        store::settle_db(
            db,
            ws,
            m.id,
            &[store::SCHEDULED],
            store::CANCELLED,
            None,
            Some("enrollment_ended"),
            None,
            now.0,
        )
        .await?;
        return Ok(Some(format!("{RESULT_CANCELLED}: the enrolment has ended")));
    }
    let step = store::step(db, ws, m.step_id).await?;
    if step.removed_at.is_some() {
        let next = next_of(db, ws, &m).await?;
        let mut tx = db.begin_write().await?;
        if store::settle(
            &mut tx,
            ws,
            m.id,
            &[store::SCHEDULED],
            store::SKIPPED,
            None,
            Some("step_removed"),
            None,
            now.0,
        )
        .await?
        {
            schedule_next(&mut tx, ws, &m, next.as_ref(), now, now.0).await?;
        }
        tx.commit().await?;
        return Ok(Some("skipped: the step was removed".into()));
    }
    let lead = match ondo_store::leads::get(db, ws, m.lead_id).await {
        Ok(l) => l,
        Err(StoreError::NotFound) => return exit(db, ws, &m, "lead_gone", now.0).await,
        Err(e) => return Err(e.into()),
    };
    if rules::ends_enrolment(lead.status()) {
        return exit(db, ws, &m, store::EXIT_BECAME_SQL, now.0).await;
    }
    if lead.email_opt_out {
        return exit(db, ws, &m, "unsubscribed", now.0).await;
    }
    if lead
        .consent_source
        .as_deref()
        .is_none_or(|c| c.trim().is_empty())
    {
        return exit(db, ws, &m, "no_consent", now.0).await;
    }
    let Some(to_email) = lead.email.clone().filter(|e| !e.trim().is_empty()) else {
        return exit(db, ws, &m, "no_email", now.0).await;
    };
    if store::is_do_not_send(db, ws, &to_email).await? {
        return exit(db, ws, &m, "do_not_send", now.0).await;
    }
    let campaign = store::get(db, ws, m.campaign_id).await?;
    if campaign.paused_at.is_some() {
        return Ok(Some(paused_result()));
    }
    let settings = store::settings(db, ws).await?;
    let sender = sender_of(&campaign, &settings);
    if !sender.is_complete() {
        return Err(JobError::Retry(
            "the sender's name and postal address are not set (特定電子メール法): nothing is sent"
                .into(),
        ));
    }
    let Some(mailer) = &ctx.mailer else {
        return Err(JobError::Retry(
            "outgoing mail is not configured (ONDO_SMTP_URL)".into(),
        ));
    };
    let key = tracking_key(db, ws).await?;
    let to_address: Address = match to_email.parse() {
        Ok(a) => a,
        Err(_) => return exit(db, ws, &m, "address_unusable", now.0).await,
    };
    let from = from_mailbox(mailer.from(), &campaign, &settings, &sender)?;
    let unsubscribe = unsubscribe_url(
        &ctx.public_url,
        &key,
        &Unsubscribe {
            workspace_id: ws.0,
            lead_id: lead.id,
            message_id: m.id,
        },
    );
    let links = Links {
        base: &ctx.public_url,
        workspace_id: ws.0,
        tracking: Some((
            &key,
            EmailRef {
                lead_id: lead.id,
                message_id: m.id,
                sent_at: now,
            },
        )),
        unsubscribe_url: unsubscribe.clone(),
    };
    let parts = match compose::parts(
        &step.subject,
        &step.body,
        &recipient_of(&lead),
        &sender,
        &links,
    ) {
        Ok(p) => p,
        Err(e) => {
            let next = next_of(db, ws, &m).await?;
            let mut tx = db.begin_write().await?;
            let error = format!("the template {e}");
            if store::settle(
                &mut tx,
                ws,
                m.id,
                &[store::SCHEDULED],
                store::FAILED,
                None,
                Some("template"),
                Some(&error),
                now.0,
            )
            .await?
            {
                schedule_next(&mut tx, ws, &m, next.as_ref(), now, now.0).await?;
            }
            tx.commit().await?;
            return Ok(Some(format!("failed: {error}")));
        }
    };
    let host = from.email.domain().to_string();
    let to = Mailbox::new(
        Some(one_line(&lead.name, 100)).filter(|n| !n.is_empty()),
        to_address,
    );
    let email = compose::message(
        parts,
        from,
        to,
        rules::message_id(&key, ws.0, m.id, &host),
        &unsubscribe,
    )
    .map_err(|e| JobError::Permanent(format!("the email cannot be built: {e}")))?;

    // The pause, the rate limit and the claim, under one write lock: the row is
    // `sending` (and counted) before the server hears of it.
    let mut tx = db.begin_write().await?;
    if store::is_paused(&mut tx, ws, m.campaign_id).await? {
        tx.rollback().await?;
        return Ok(Some(paused_result()));
    }
    let recent = store::sending_since(&mut tx, ws, now.0 - Micros::minutes(1)).await?;
    if recent >= settings.rate_per_minute.max(1) {
        let later = now.0 + Micros::minutes(1);
        store::reschedule(&mut tx, ws, m.id, later, now.0).await?;
        enqueue_step(&mut tx, ws, m.id, later).await?;
        tx.commit().await?;
        return Ok(Some(RESULT_DEFERRED.into()));
    }
    if !store::claim(&mut tx, ws, m.id, &to_email, now.0).await? {
        tx.rollback().await?;
        return Ok(Some(format!("{RESULT_ALREADY}: claimed by another run")));
    }
    tx.commit().await?;

    let next = next_of(db, ws, &m).await?;
    match mailer.send(email).await {
        Ok(()) => {
            let mut tx = db.begin_write().await?;
            store::settle(
                &mut tx,
                ws,
                m.id,
                &[store::SENDING, store::UNKNOWN],
                store::SENT,
                Some(now.0),
                None,
                None,
                now.0,
            )
            .await?;
            schedule_next(&mut tx, ws, &m, next.as_ref(), now, now.0).await?;
            tx.commit().await?;
            Ok(Some(RESULT_SENT.into()))
        }
        Err(e) => {
            let error = e.to_string();
            match e.delivery() {
                Delivery::Permanent => {
                    let mut tx = db.begin_write().await?;
                    store::settle(
                        &mut tx,
                        ws,
                        m.id,
                        &[store::SENDING],
                        store::BOUNCED,
                        None,
                        Some("permanent_failure"),
                        Some(&error),
                        now.0,
                    )
                    .await?;
                    let (_, blocked) =
                        store::record_permanent_failure(&mut tx, ws, &to_email, &error, now.0)
                            .await?;
                    if blocked {
                        store::end_enrollment(
                            &mut tx,
                            ws,
                            m.enrollment_id,
                            store::EXITED,
                            Some("do_not_send"),
                            now.0,
                        )
                        .await?;
                    } else {
                        schedule_next(&mut tx, ws, &m, next.as_ref(), now, now.0).await?;
                    }
                    tx.commit().await?;
                    Ok(Some(format!("{RESULT_BOUNCED}: {error}")))
                }
                Delivery::Temporary => {
                    let last = job.attempts >= job.max_attempts;
                    let (to, reason) = if last {
                        (store::FAILED, Some("retries_exhausted"))
                    } else {
                        (store::SCHEDULED, None)
                    };
                    let mut tx = db.begin_write().await?;
                    store::settle(
                        &mut tx,
                        ws,
                        m.id,
                        &[store::SENDING],
                        to,
                        None,
                        reason,
                        Some(&error),
                        now.0,
                    )
                    .await?;
                    if last {
                        schedule_next(&mut tx, ws, &m, next.as_ref(), now, now.0).await?;
                    }
                    tx.commit().await?;
                    Err(JobError::Retry(error))
                }
                Delivery::Uncertain => {
                    let mut tx = db.begin_write().await?;
                    store::settle(
                        &mut tx,
                        ws,
                        m.id,
                        &[store::SENDING],
                        store::UNKNOWN,
                        None,
                        Some("connection_lost"),
                        Some(&error),
                        now.0,
                    )
                    .await?;
                    schedule_next(&mut tx, ws, &m, next.as_ref(), now, now.0).await?;
                    tx.commit().await?;
                    Ok(Some(format!("{RESULT_UNKNOWN}: {error}")))
                }
            }
        }
    }
}

/// The `campaign_test` job: a step rendered for a lead (or a sample person) and sent to
/// the user who asked, marked as a test; its links are not tracked and its unsubscribe
/// link unsubscribes nobody.
pub async fn run_test(ctx: &WorkerContext, job: &Job, _now: Micros) -> JobResult {
    let p: TestPayload = parse_payload(job)?;
    let ws = job.workspace_id;
    let db = &ctx.db;
    let Some(mailer) = &ctx.mailer else {
        return Ok(Some(crate::notify::SKIPPED_NO_SMTP.into()));
    };
    let user = match ondo_store::users::get(db, ws, p.user_id).await {
        Ok(u) if !u.disabled => u,
        Ok(_) | Err(StoreError::NotFound) => {
            return Ok(Some(crate::notify::SKIPPED_USER_GONE.into()));
        }
        Err(e) => return Err(e.into()),
    };
    let campaign = store::get(db, ws, p.campaign_id).await?;
    let step = store::step(db, ws, p.step_id).await?;
    if step.campaign_id != campaign.id {
        return Err(JobError::Permanent(
            "the step is not of this campaign".into(),
        ));
    }
    let recipient = match p.lead_id {
        Some(id) => recipient_of(&ondo_store::leads::get(db, ws, id).await?),
        None => sample_recipient(),
    };
    let settings = store::settings(db, ws).await?;
    let sender = sender_of(&campaign, &settings);
    let key = tracking_key(db, ws).await?;
    let unsubscribe = unsubscribe_url(
        &ctx.public_url,
        &key,
        &Unsubscribe {
            workspace_id: ws.0,
            lead_id: 0,
            message_id: 0,
        },
    );
    let links = Links {
        base: &ctx.public_url,
        workspace_id: ws.0,
        tracking: None,
        unsubscribe_url: unsubscribe.clone(),
    };
    let mut parts = compose::parts(&step.subject, &step.body, &recipient, &sender, &links)
        .map_err(|e| JobError::Permanent(format!("the template {e}")))?;
    parts.subject = format!("[テスト / Test] {}", parts.subject);
    let from = from_mailbox(mailer.from(), &campaign, &settings, &sender)?;
    let to_address: Address = user.email.parse().map_err(|e| {
        JobError::Permanent(format!("the user's email address cannot be used: {e}"))
    })?;
    let to = Mailbox::new(Some(one_line(&user.display_name, 100)), to_address);
    let host = from.email.domain().to_string();
    let message_id = format!("<ondo.campaign-test.{}.{}@{host}>", ws.0, job.id);
    let email = compose::message(parts, from, to, message_id, &unsubscribe)
        .map_err(|e| JobError::Permanent(format!("the email cannot be built: {e}")))?;
    mailer
        .send(email)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(Some(RESULT_SENT.into()))
}
