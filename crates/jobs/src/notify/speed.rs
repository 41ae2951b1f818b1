//! Speed-to-lead misses: a lead became sales-ready and nobody called, emailed or met it
//! within the workspace's business-minute window. The owner and the managers hear of it
//! by email (the `notify_email` job kind, in each reader's language) and every active
//! webhook channel by a message (`notify_webhook`). The jobs carry the usual
//! [`Payload`] plus `"alert": "speed_to_lead"`; [`is_speed_to_lead`] tells them apart
//! from handoff notifications and [`send_email`] / [`send_webhook`] send them.

use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use ondo_domain::Micros;
use ondo_store::jobs::{self, Job};
use ondo_store::workflow_settings::SPEED_TO_LEAD_ALERT;
use ondo_store::{StoreError, Tx, WorkspaceId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::message::{Lang, one_line, slack_escape};
use super::{
    EMAIL, MAX_ATTEMPTS, Payload, SENT, SKIPPED_CHANNEL_OFF, SKIPPED_CHANNEL_REMOVED,
    SKIPPED_LEAD_GONE, SKIPPED_NO_SMTP, SKIPPED_USER_GONE, WEBHOOK, text_body, user,
};
use crate::worker::{JobError, JobResult, WorkerContext};

/// The webhook event of a miss.
pub const EVENT: &str = "lead.speed_to_lead_missed";

/// A speed-to-lead job's payload: the notification payload (`user_id` is the reader,
/// `history_id` the status change that started the clock) and the miss's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedPayload {
    #[serde(flatten)]
    pub base: Payload,
    /// Always [`SPEED_TO_LEAD_ALERT`].
    pub alert: String,
    /// The lead's owner when the miss was found.
    #[serde(default)]
    pub owner_id: Option<i64>,
    /// When the window ended.
    pub deadline: i64,
    /// The window, in business minutes.
    pub minutes: u32,
}

impl SpeedPayload {
    fn parse(job: &Job) -> Result<SpeedPayload, JobError> {
        serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("the job's payload does not parse: {e}")))
    }
}

/// Is this notification job about a speed-to-lead miss (rather than a handoff)?
pub fn is_speed_to_lead(job: &Job) -> bool {
    serde_json::from_str::<Value>(&job.payload)
        .ok()
        .and_then(|v| v.get("alert").and_then(Value::as_str).map(str::to_owned))
        .is_some_and(|a| a == SPEED_TO_LEAD_ALERT)
}

/// The miss the sweep found, for the jobs it queues.
#[derive(Debug, Clone, Copy)]
pub struct MissFacts {
    pub lead_id: i64,
    pub history_id: i64,
    pub owner_id: Option<i64>,
    pub sales_ready_at: Micros,
    pub deadline: Micros,
    pub minutes: u32,
}

impl MissFacts {
    fn payload(&self, user_id: i64, channel_id: Option<i64>) -> Value {
        let p = SpeedPayload {
            base: Payload {
                lead_id: Some(self.lead_id),
                user_id,
                channel_id,
                history_id: Some(self.history_id),
                at: self.sales_ready_at.0,
                test: false,
            },
            alert: SPEED_TO_LEAD_ALERT.into(),
            owner_id: self.owner_id,
            deadline: self.deadline.0,
            minutes: self.minutes,
        };
        serde_json::to_value(p).expect("a payload always serialises")
    }
}

/// Inside the sweep's transaction: an email to `user_id` about the miss, due at `now`.
pub async fn enqueue_email(
    tx: &mut Tx,
    ws: WorkspaceId,
    miss: &MissFacts,
    user_id: i64,
    now: Micros,
) -> Result<i64, StoreError> {
    let payload = miss.payload(user_id, None);
    jobs::enqueue(tx, ws, EMAIL, &payload, now.0, MAX_ATTEMPTS).await
}

/// Inside the sweep's transaction: one message to the channel about the miss.
pub async fn enqueue_webhook(
    tx: &mut Tx,
    ws: WorkspaceId,
    miss: &MissFacts,
    channel_id: i64,
    now: Micros,
) -> Result<i64, StoreError> {
    // A channel message has no reader: the owner (or nobody) stands in.
    let payload = miss.payload(miss.owner_id.unwrap_or(0), Some(channel_id));
    jobs::enqueue(tx, ws, WEBHOOK, &payload, now.0, MAX_ATTEMPTS).await
}

/// Everything a miss notification tells.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub lead_id: i64,
    pub lead_name: String,
    pub company: Option<String>,
    /// The owner's name; `None` for an unassigned lead.
    pub owner_name: Option<String>,
    /// Whom the email is for.
    pub reader_name: String,
    pub sales_ready_at: Micros,
    pub deadline: Micros,
    pub minutes: u32,
    /// The lead's page.
    pub url: String,
}

/// A window in words: "1 営業時間" / "90 営業分".
fn window(minutes: u32, lang: Lang) -> String {
    match (lang, minutes.is_multiple_of(60)) {
        (Lang::Ja, true) => format!("{} 営業時間", minutes / 60),
        (Lang::Ja, false) => format!("{minutes} 営業分"),
        (Lang::En, true) if minutes == 60 => "1 business hour".into(),
        (Lang::En, true) => format!("{} business hours", minutes / 60),
        (Lang::En, false) => format!("{minutes} business minutes"),
    }
}

impl Miss {
    fn name(&self) -> String {
        one_line(&self.lead_name, 200)
    }

    fn company(&self) -> Option<String> {
        self.company
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| one_line(c, 200))
    }

    fn owner(&self, lang: Lang) -> String {
        match (self.owner_name.as_deref().map(str::trim), lang) {
            (Some(o), _) if !o.is_empty() => one_line(o, 100),
            (_, Lang::Ja) => "未割り当て".into(),
            (_, Lang::En) => "unassigned".into(),
        }
    }

    /// The email: subject and plain-text body in `lang`.
    pub fn email(&self, lang: Lang) -> (String, String) {
        let name = one_line(&self.lead_name, 60);
        let company = self.company().map(|c| one_line(&c, 60));
        let reader = one_line(&self.reader_name, 100);
        let (since, due) = (self.sales_ready_at.format_jst(), self.deadline.format_jst());
        let win = window(self.minutes, lang);
        match lang {
            Lang::Ja => {
                let subject = match &company {
                    Some(c) => format!("【Ondo】未対応の営業渡し: {name}（{c}）"),
                    None => format!("【Ondo】未対応の営業渡し: {name}"),
                };
                let mut body = format!(
                    "{reader} さん\n\n営業渡し（SQL）になったリードに、{win}以内の対応\
                     （電話・メール・商談の記録）がありません。すぐに連絡してください。\n\n\
                     リード: {}\n",
                    self.name()
                );
                if let Some(c) = self.company() {
                    body.push_str(&format!("会社: {c}\n"));
                }
                body.push_str(&format!(
                    "担当: {}\n営業渡し: {since}（日本時間）\n対応期限: {due}（日本時間）\n\n\
                     リードを開く: {}\n\n-- \nOndo 温度\nこのメールは Ondo が自動で送信しています。\n",
                    self.owner(lang),
                    self.url
                ));
                (subject, body)
            }
            Lang::En => {
                let subject = match &company {
                    Some(c) => format!("[Ondo] Not contacted yet: {name} ({c})"),
                    None => format!("[Ondo] Not contacted yet: {name}"),
                };
                let mut body = format!(
                    "Hello {reader},\n\nThis lead became sales-ready (SQL) and no call, email or \
                     meeting was logged within {win}. Please contact it now.\n\nLead: {}\n",
                    self.name()
                );
                if let Some(c) = self.company() {
                    body.push_str(&format!("Company: {c}\n"));
                }
                body.push_str(&format!(
                    "Owner: {}\nSales-ready since: {since} (Japan time)\nDue by: {due} (Japan time)\n\n\
                     Open the lead: {}\n\n-- \nOndo\nThis email was sent automatically by Ondo.\n",
                    self.owner(lang),
                    self.url
                ));
                (subject, body)
            }
        }
    }

    /// The text of a Slack-compatible message (in Japanese, the team's language).
    pub fn slack_text(&self) -> String {
        let company = self
            .company()
            .map(|c| format!("（{}）", slack_escape(&c)))
            .unwrap_or_default();
        format!(
            "*未対応の営業渡し*: <{}|{}>{company}\n担当: {}\n{}以内の対応がありません（期限 {}）",
            self.url,
            slack_escape(&self.name()),
            slack_escape(&self.owner(Lang::Ja)),
            window(self.minutes, Lang::Ja),
            self.deadline.format_jst(),
        )
    }

    /// The generic JSON body (`event: "lead.speed_to_lead_missed"`).
    pub fn json_body(&self) -> Value {
        json!({
            "event": EVENT,
            "lead_id": self.lead_id,
            "name": self.lead_name,
            "company": self.company(),
            "owner": self.owner_name,
            "sales_ready_at": self.sales_ready_at.to_rfc3339(),
            "deadline": self.deadline.to_rfc3339(),
            "business_minutes": self.minutes,
            "url": self.url,
        })
    }
}

/// The miss as a message tells it to `reader_name`; `None` when the lead is gone.
async fn miss(
    ctx: &WorkerContext,
    ws: WorkspaceId,
    p: &SpeedPayload,
    reader_name: String,
) -> Result<Option<Miss>, JobError> {
    let Some(lead_id) = p.base.lead_id else {
        return Err(JobError::Permanent("the job names no lead".into()));
    };
    let Some(facts) =
        ondo_store::notifications::handoff_facts(&ctx.db, ws, lead_id, p.base.history_id).await?
    else {
        return Ok(None);
    };
    let owner_name = match p.owner_id {
        Some(id) => user(&ctx.db, ws, id).await?.map(|u| u.display_name),
        None => None,
    };
    Ok(Some(Miss {
        lead_id,
        lead_name: facts.lead_name,
        company: facts.company,
        owner_name,
        reader_name,
        sales_ready_at: Micros(p.base.at),
        deadline: Micros(p.deadline),
        minutes: p.minutes,
        url: ctx.link(&format!("/leads/{lead_id}")),
    }))
}

/// A speed-to-lead `notify_email` job: the reader's email in their language. Without
/// an SMTP server the job is done with [`SKIPPED_NO_SMTP`] and nothing is sent.
pub async fn send_email(ctx: &WorkerContext, job: &Job, _now: Micros) -> JobResult {
    let p = SpeedPayload::parse(job)?;
    let Some(mailer) = &ctx.mailer else {
        return Ok(Some(SKIPPED_NO_SMTP.into()));
    };
    let ws = job.workspace_id;
    let Some(to_user) = user(&ctx.db, ws, p.base.user_id).await? else {
        return Ok(Some(SKIPPED_USER_GONE.into()));
    };
    let lang = Lang::of_locale(to_user.locale.as_deref());
    let Some(m) = miss(ctx, ws, &p, to_user.display_name.clone()).await? else {
        return Ok(Some(SKIPPED_LEAD_GONE.into()));
    };
    let (subject, body) = m.email(lang);
    let address = to_user.email.parse().map_err(|e| {
        JobError::Permanent(format!("the user's email address cannot be used: {e}"))
    })?;
    let to = Mailbox::new(
        Some(one_line(&to_user.display_name, 100)).filter(|n| !n.is_empty()),
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

/// A speed-to-lead `notify_webhook` job: the channel's message, as Slack text or
/// signed JSON. A removed or switched-off channel gets nothing.
pub async fn send_webhook(ctx: &WorkerContext, job: &Job, now: Micros) -> JobResult {
    let p = SpeedPayload::parse(job)?;
    let ws = job.workspace_id;
    let Some(channel_id) = p.base.channel_id else {
        return Err(JobError::Permanent("the job names no channel".into()));
    };
    let Some(channel) = ondo_store::notifications::find(&ctx.db, ws, channel_id).await? else {
        return Ok(Some(SKIPPED_CHANNEL_REMOVED.into()));
    };
    if !channel.active {
        return Ok(Some(SKIPPED_CHANNEL_OFF.into()));
    }
    let Some(m) = miss(ctx, ws, &p, String::new()).await? else {
        return Ok(Some(SKIPPED_LEAD_GONE.into()));
    };
    let body = if channel.kind == super::SLACK {
        json!({ "text": m.slack_text() })
    } else {
        m.json_body()
    };
    let secret = (channel.kind == super::JSON)
        .then_some(channel.secret.as_deref())
        .flatten();
    super::webhook::post(&ctx.http, &channel.url, EVENT, &body, secret, now)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(Some(SENT.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn miss() -> Miss {
        Miss {
            lead_id: 42,
            lead_name: "山田 太郎 <script>".into(),
            company: Some("株式会社サンプル".into()),
            owner_name: Some("佐藤".into()),
            reader_name: "鈴木".into(),
            sales_ready_at: Micros::parse_rfc3339("2026-05-07T10:00:00+09:00").expect("time"),
            deadline: Micros::parse_rfc3339("2026-05-07T11:00:00+09:00").expect("time"),
            minutes: 60,
            url: "https://ondo.example.jp/leads/42".into(),
        }
    }

    #[test]
    fn the_email_says_what_was_missed_in_the_readers_language() {
        let (subject, body) = miss().email(Lang::Ja);
        assert_eq!(
            subject,
            "【Ondo】未対応の営業渡し: 山田 太郎 <script>（株式会社サンプル）"
        );
        for part in [
            "鈴木 さん",
            "1 営業時間以内の対応",
            "担当: 佐藤",
            "営業渡し: 2026/05/07 10:00",
            "対応期限: 2026/05/07 11:00",
            "https://ondo.example.jp/leads/42",
        ] {
            assert!(body.contains(part), "{part} in {body}");
        }
        let (subject, body) = miss().email(Lang::En);
        assert!(
            subject.starts_with("[Ondo] Not contacted yet: 山田"),
            "{subject}"
        );
        assert!(body.contains("within 1 business hour"), "{body}");
        let unassigned = Miss {
            owner_name: None,
            minutes: 90,
            ..miss()
        };
        let (_, body) = unassigned.email(Lang::Ja);
        assert!(
            body.contains("担当: 未割り当て") && body.contains("90 営業分以内"),
            "{body}"
        );
    }

    #[test]
    fn slack_text_cannot_inject_links_and_json_names_the_event() {
        let text = miss().slack_text();
        assert!(text.contains("山田 太郎 &lt;script&gt;"), "{text}");
        assert!(!text.contains("<script>"));
        let body = miss().json_body();
        assert_eq!(body["event"], EVENT);
        assert_eq!(body["business_minutes"], 60);
        assert_eq!(body["name"], "山田 太郎 <script>");
    }

    #[test]
    fn payloads_are_told_apart_from_handoffs() {
        let facts = MissFacts {
            lead_id: 1,
            history_id: 2,
            owner_id: Some(3),
            sales_ready_at: Micros(10),
            deadline: Micros(20),
            minutes: 60,
        };
        let job = |payload: Value| Job {
            id: 1,
            workspace_id: WorkspaceId(1),
            kind: EMAIL.into(),
            payload: payload.to_string(),
            state: "queued".into(),
            attempts: 0,
            max_attempts: 8,
            run_at: 0,
            progress_done: 0,
            progress_total: 0,
            last_error: None,
            created_at: 0,
            updated_at: 0,
        };
        let speed = job(facts.payload(5, None));
        assert!(is_speed_to_lead(&speed));
        let parsed = SpeedPayload::parse(&speed).expect("parses");
        assert_eq!(parsed.base.user_id, 5);
        assert_eq!(parsed.base.history_id, Some(2));
        assert_eq!(parsed.deadline, 20);
        // The handoff handler still reads it as a notification payload.
        assert_eq!(Payload::parse(&speed).expect("parses").lead_id, Some(1));
        let handoff = job(json!({"lead_id": 1, "user_id": 5, "at": 0}));
        assert!(!is_speed_to_lead(&handoff));
    }
}
