//! Handoff notifications: when a lead becomes sales-ready and gets an owner, the owner
//! hears of it by email, and each active webhook channel (Slack-compatible, or generic
//! JSON signed with HMAC) by a POST. Each message is a durable job queued in the
//! handoff's own transaction and retried by the worker until it goes through.

pub mod mail;
pub mod message;
pub mod speed;
pub mod webhook;

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use ondo_domain::Micros;
use ondo_store::jobs::{self, Job};
use ondo_store::notifications::{self, NewChannel};
use ondo_store::{Db, StoreError, Tx, WorkspaceId};
use serde::{Deserialize, Serialize};

use crate::worker::{JobError, JobResult, WorkerContext};
use message::{Handoff, Lang, TestMessage};

/// The job kind of an email to a lead's new owner (or a test email).
pub const EMAIL: &str = "notify_email";
/// The job kind of one webhook channel's message.
pub const WEBHOOK: &str = "notify_webhook";
/// Every notification job kind, for pages that list them.
pub const KINDS: [&str; 2] = [EMAIL, WEBHOOK];
/// Attempts before a notification is given up (about an hour of retries).
pub const MAX_ATTEMPTS: i32 = 8;

/// What a finished notification job says (its `result`); pages translate these.
pub const SENT: &str = "sent";
pub const SKIPPED_NO_SMTP: &str = "skipped_no_smtp";
pub const SKIPPED_CHANNEL_REMOVED: &str = "skipped_channel_removed";
pub const SKIPPED_CHANNEL_OFF: &str = "skipped_channel_off";
pub const SKIPPED_LEAD_GONE: &str = "skipped_lead_gone";
pub const SKIPPED_USER_GONE: &str = "skipped_user_gone";

/// Channel kinds: a Slack-compatible incoming webhook (`{"text": …}`), or generic JSON
/// signed with the channel's secret.
pub const SLACK: &str = "slack";
pub const JSON: &str = "json";

/// A notification job's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The lead handed over; `None` for a test message.
    #[serde(default)]
    pub lead_id: Option<i64>,
    /// The owner the lead was given to, or who asked for a test message.
    pub user_id: i64,
    /// The webhook channel (webhook jobs only).
    #[serde(default)]
    pub channel_id: Option<i64>,
    /// The status change that made the lead sales-ready.
    #[serde(default)]
    pub history_id: Option<i64>,
    /// When the handoff (or the request for a test) happened.
    pub at: i64,
    #[serde(default)]
    pub test: bool,
}

impl Payload {
    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a payload always serialises")
    }

    fn parse(job: &Job) -> Result<Payload, JobError> {
        serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("the job's payload does not parse: {e}")))
    }
}

/// Inside the handoff's transaction: queues one email to the owner (when the owner is
/// an active user with an email) and one message per active webhook channel. Returns
/// the jobs' ids; they exist exactly when the handoff commits.
pub async fn enqueue_handoff(
    tx: &mut Tx,
    ws: WorkspaceId,
    lead_id: i64,
    owner_user_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let targets = notifications::handoff_targets(tx, ws, lead_id, owner_user_id).await?;
    let now = Micros::now().0;
    let payload = Payload {
        lead_id: Some(lead_id),
        user_id: owner_user_id,
        channel_id: None,
        history_id: targets.history_id,
        at: now,
        test: false,
    };
    let mut ids = Vec::new();
    if targets.owner_email.is_some() {
        ids.push(jobs::enqueue(tx, ws, EMAIL, &payload.to_json(), now, MAX_ATTEMPTS).await?);
    }
    for channel_id in targets.channel_ids {
        let p = Payload {
            channel_id: Some(channel_id),
            ..payload.clone()
        };
        ids.push(jobs::enqueue(tx, ws, WEBHOOK, &p.to_json(), now, MAX_ATTEMPTS).await?);
    }
    Ok(ids)
}

/// Queues a test email to `user_id`, sent like the real ones.
pub async fn enqueue_test_email(db: &Db, ws: WorkspaceId, user_id: i64) -> Result<i64, StoreError> {
    let now = Micros::now().0;
    let p = Payload {
        lead_id: None,
        user_id,
        channel_id: None,
        history_id: None,
        at: now,
        test: true,
    };
    jobs::enqueue_db(db, ws, EMAIL, &p.to_json(), now, MAX_ATTEMPTS).await
}

/// Queues a test message to a channel, asked for by `user_id`, sent like the real ones.
pub async fn enqueue_test_webhook(
    db: &Db,
    ws: WorkspaceId,
    channel_id: i64,
    user_id: i64,
) -> Result<i64, StoreError> {
    let now = Micros::now().0;
    let p = Payload {
        lead_id: None,
        user_id,
        channel_id: Some(channel_id),
        history_id: None,
        at: now,
        test: true,
    };
    jobs::enqueue_db(db, ws, WEBHOOK, &p.to_json(), now, MAX_ATTEMPTS).await
}

/// A channel form's field that needs correcting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelProblem {
    NameMissing,
    NameTooLong,
    KindUnknown,
    Url(webhook::UrlError),
}

/// Longest channel name.
pub const MAX_CHANNEL_NAME: usize = 100;

/// Checks a new channel as typed; a `json` channel gets a fresh secret. Problems are
/// returned with the field they concern (`name`, `kind`, `url`).
pub fn parse_channel(
    name: &str,
    kind: &str,
    url: &str,
) -> Result<NewChannel, Vec<(&'static str, ChannelProblem)>> {
    let mut problems = Vec::new();
    let name = name.trim();
    if name.is_empty() {
        problems.push(("name", ChannelProblem::NameMissing));
    } else if name.chars().count() > MAX_CHANNEL_NAME {
        problems.push(("name", ChannelProblem::NameTooLong));
    }
    let kind = kind.trim();
    if kind != SLACK && kind != JSON {
        problems.push(("kind", ChannelProblem::KindUnknown));
    }
    let url = match webhook::check_url(url) {
        Ok(u) => u.to_string(),
        Err(e) => {
            problems.push(("url", ChannelProblem::Url(e)));
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(NewChannel {
        name: name.to_string(),
        kind: kind.to_string(),
        url,
        secret: (kind == JSON).then(new_secret),
    })
}

/// A fresh HMAC secret: 32 random bytes as hex, prefixed so people recognise it.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

/// The handoff as the notification tells it; `None` when the lead is gone.
async fn handoff(
    ctx: &WorkerContext,
    ws: WorkspaceId,
    p: &Payload,
    lead_id: i64,
) -> Result<Option<Handoff>, JobError> {
    let Some(facts) = notifications::handoff_facts(&ctx.db, ws, lead_id, p.history_id).await?
    else {
        return Ok(None);
    };
    let owner = user(&ctx.db, ws, p.user_id).await?;
    Ok(Some(Handoff {
        lead_id,
        lead_name: facts.lead_name,
        company: facts.company,
        department: facts.department,
        title: facts.title,
        owner_id: p.user_id,
        owner_name: owner
            .as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        owner_email: owner.map(|u| u.email),
        rule: facts.rule,
        reason_ja: facts.reason,
        reason_en: facts.reason_en,
        at: Micros(facts.changed_at.unwrap_or(p.at)),
        url: ctx.link(&format!("/leads/{lead_id}")),
    }))
}

/// The user, when they still exist and are not disabled.
async fn user(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
) -> Result<Option<ondo_store::users::User>, StoreError> {
    match ondo_store::users::get(db, ws, id).await {
        Ok(u) if !u.disabled => Ok(Some(u)),
        Ok(_) | Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

fn settings_url(ctx: &WorkerContext) -> String {
    ctx.link("/settings/notifications")
}

/// A plain-text body in 7bit when it is ASCII, base64 otherwise (Japanese).
fn text_body(text: String) -> Body {
    let encoding = if text.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::Base64
    };
    Body::new_with_encoding(text, encoding).unwrap_or_else(Body::new)
}

/// The `notify_email` job: the owner's email in their language. Without an SMTP server
/// the job is done with [`SKIPPED_NO_SMTP`] and nothing is sent.
pub async fn send_email(ctx: &WorkerContext, job: &Job, now: Micros) -> JobResult {
    if speed::is_speed_to_lead(job) {
        return speed::send_email(ctx, job, now).await;
    }
    let p = Payload::parse(job)?;
    let Some(mailer) = &ctx.mailer else {
        return Ok(Some(SKIPPED_NO_SMTP.into()));
    };
    let ws = job.workspace_id;
    let Some(to_user) = user(&ctx.db, ws, p.user_id).await? else {
        return Ok(Some(SKIPPED_USER_GONE.into()));
    };
    let lang = Lang::of_locale(to_user.locale.as_deref());
    let (subject, body) = match p.lead_id {
        Some(lead_id) if !p.test => match handoff(ctx, ws, &p, lead_id).await? {
            Some(h) => h.email(lang),
            None => return Ok(Some(SKIPPED_LEAD_GONE.into())),
        },
        _ => TestMessage {
            requested_by: to_user.display_name.clone(),
            at: now,
            url: settings_url(ctx),
        }
        .email(lang),
    };
    let address = to_user.email.parse().map_err(|e| {
        JobError::Permanent(format!("the user's email address cannot be used: {e}"))
    })?;
    let to = Mailbox::new(
        Some(message::one_line(&to_user.display_name, 100)).filter(|n| !n.is_empty()),
        address,
    );
    let email = Message::builder()
        .from(mailer.from().clone())
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(text_body(body))
        .map_err(|e| JobError::Permanent(format!("the email cannot be built: {e}")))?;
    mailer
        .send(email)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(Some(SENT.into()))
}

/// The `notify_webhook` job: the channel's message, as Slack text or signed JSON. A
/// removed or switched-off channel gets nothing (a test goes to a switched-off one too).
pub async fn send_webhook(ctx: &WorkerContext, job: &Job, now: Micros) -> JobResult {
    if speed::is_speed_to_lead(job) {
        return speed::send_webhook(ctx, job, now).await;
    }
    let p = Payload::parse(job)?;
    let ws = job.workspace_id;
    let Some(channel_id) = p.channel_id else {
        return Err(JobError::Permanent("the job names no channel".into()));
    };
    let Some(channel) = notifications::find(&ctx.db, ws, channel_id).await? else {
        return Ok(Some(SKIPPED_CHANNEL_REMOVED.into()));
    };
    if !channel.active && !p.test {
        return Ok(Some(SKIPPED_CHANNEL_OFF.into()));
    }
    let slack = channel.kind == SLACK;
    let (event, body) = match p.lead_id {
        Some(lead_id) if !p.test => match handoff(ctx, ws, &p, lead_id).await? {
            Some(h) if slack => (
                "lead.sales_ready",
                serde_json::json!({ "text": h.slack_text() }),
            ),
            Some(h) => ("lead.sales_ready", h.json_body()),
            None => return Ok(Some(SKIPPED_LEAD_GONE.into())),
        },
        _ => {
            let requested_by = user(&ctx.db, ws, p.user_id)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            let t = TestMessage {
                requested_by,
                at: now,
                url: settings_url(ctx),
            };
            let body = if slack {
                serde_json::json!({ "text": t.slack_text() })
            } else {
                t.json_body()
            };
            ("test", body)
        }
    };
    let secret = (channel.kind == JSON)
        .then_some(channel.secret.as_deref())
        .flatten();
    webhook::post(&ctx.http, &channel.url, event, &body, secret, now)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(Some(SENT.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_is_checked_field_by_field_and_json_ones_get_a_secret() {
        let c =
            parse_channel(" 営業チーム ", "json", "https://hooks.example.jp/ondo").expect("valid");
        assert_eq!(c.name, "営業チーム");
        let secret = c.secret.expect("a json channel has a secret");
        assert!(
            secret.starts_with("whsec_") && secret.len() == 6 + 64,
            "{secret}"
        );
        let c = parse_channel("Slack", "slack", "https://hooks.slack.com/services/T/B/x")
            .expect("valid");
        assert_eq!(c.secret, None);
        let problems = parse_channel("", "email", "javascript:alert(1)").expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "kind", "url"]);
        assert_ne!(new_secret(), new_secret());
    }
}
