//! A campaign's life beyond enrolling by hand, end to end against a real SMTP server on
//! 127.0.0.1: leads come in by themselves when they enter a status or submit a form;
//! they leave the moment they become SQL (the next step is never sent) or reply; a
//! paused campaign sends nothing until it resumes; re-enrolment happens only when the
//! campaign allows it; and SMTP refusals are read from the reply code (550 permanent,
//! 451 temporary).

use ondo_domain::campaign::SendWindow;
use ondo_domain::{Micros, Role};
use ondo_jobs::campaigns::follow::{self, Followed};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::campaigns::{
    Campaigning, DAY, PUBLIC_URL, build, path_of, sent_to, spawn_campaigning, text_and_html,
    two_steps,
};
use crate::helpers::json;
use crate::smtp_refusing::RefusingSink;
use crate::smtp_sink::SmtpSink;

impl Campaigning {
    async fn put_triggers(&self, campaign: i64, body: &Value) -> (StatusCode, Value) {
        json(
            self.app
                .client
                .put(
                    self.app
                        .url(&format!("/api/v1/campaigns/{campaign}/triggers")),
                )
                .bearer_auth(&self.app.token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Moves a lead to a status through the API, as a person would.
    async fn set_status(&self, lead: i64, status: &str) {
        let (code, body) = json(
            self.app
                .patch_lead(lead, &{
                    let mut body = json!({"status": status, "status_reason": "テスト"});
                    if status == "lost_dormant" {
                        body["lost_reason"] = json!("時期尚早");
                    }
                    body
                })
                .await,
        )
        .await;
        assert_eq!(code, StatusCode::OK, "{body}");
    }

    /// The follower's pass, as the minute tick runs it.
    async fn follow(&self) -> Followed {
        follow::follow(&self.app.db, self.app.ws(), Micros::now())
            .await
            .expect("the follower runs")
    }

    /// The campaign's enrolments, newest first.
    async fn enrollments(&self, campaign: i64) -> Vec<ondo_store::campaigns::EnrollmentRow> {
        ondo_store::campaigns::enrollments(&self.app.db, self.app.ws(), campaign, 100)
            .await
            .expect("enrolments")
    }

    /// Posts a raw message to the inbound-mail endpoint.
    async fn inbound(&self, token: &str, raw: &str) -> (StatusCode, Value) {
        json(
            self.app
                .client
                .post(self.app.url("/api/v1/inbound-email"))
                .bearer_auth(token)
                .header("Content-Type", "message/rfc822")
                .body(raw.to_string())
                .send()
                .await
                .expect("request"),
        )
        .await
    }
}

fn one_step() -> Value {
    json!([{"delay_days": 0, "subject": "{{name}} 様へのご案内", "body": "{{name}} 様\n資料: https://example.jp/doc"}])
}

/// A reply as a mail client writes it: the answered message's id in `In-Reply-To` and
/// `References`, its own `Message-ID`, a Japanese subject (RFC 2047) and body.
fn reply_to(message_id: &str, extra_headers: &str) -> String {
    format!(
        "Return-Path: <taro@example.jp>\r\n\
         From: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>\r\n\
         To: Ondo <ondo@example.jp>\r\n\
         Subject: =?UTF-8?B?UmU6IOOBlOahiOWGhQ==?=\r\n\
         Message-ID: <CAF-reply-{n}@mail.example.jp>\r\n\
         In-Reply-To: {message_id}\r\n\
         References: <older@mail.example.jp>\r\n {message_id}\r\n\
         {extra_headers}\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         資料ありがとうございます。一度お電話ください。\r\n\
         > {message_id}\r\n",
        n = message_id.len()
    )
}

#[tokio::test]
async fn a_lead_moved_to_nurturing_is_enrolled_by_the_status_trigger_and_gets_step_one() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let campaign = c.campaign(two_steps()).await;
    // Moved before the trigger was switched on: not enrolled by it.
    let earlier = c.consented_lead("前田 一郎", "maeda@example.jp").await;
    c.set_status(earlier, "nurturing").await;

    // A status no lead may be enrolled in is refused, naming the trigger's field.
    let (code, body) = c
        .put_triggers(
            campaign,
            &json!({"triggers": [{"type": "status", "status": "nurturing"},
                                 {"type": "status", "status": "sales_ready"}]}),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "triggers[1].status");
    let (code, body) = c
        .put_triggers(
            campaign,
            &json!({"triggers": [{"type": "form", "form_id": 999_999}]}),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "triggers[0].form_id");
    assert_eq!(
        c.report(campaign).await["triggers"],
        json!([]),
        "nothing half-written"
    );

    let (code, body) = c
        .put_triggers(
            campaign,
            &json!({"triggers": [{"type": "status", "status": "nurturing"}]}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["triggers"][0]["type"], "status");
    assert_eq!(body["triggers"][0]["status"], "nurturing");
    assert_eq!(body["allow_reenroll"], false);

    let lead = c.consented_lead("山田 太郎", "taro@example.jp").await;
    let no_consent = c
        .lead(json!({"name": "石井 二郎", "email": "ishii@example.jp"}))
        .await;
    let other_status = c.consented_lead("上田 三郎", "ueda@example.jp").await;
    c.set_status(lead, "nurturing").await;
    c.set_status(no_consent, "nurturing").await;
    c.set_status(other_status, "lost_dormant").await;
    assert!(
        c.message_states(lead).await.is_empty(),
        "nothing before the follower runs"
    );

    let followed = c.follow().await;
    assert_eq!(followed.enrolled, 1, "{followed:?}");
    let now = Micros::now();
    c.run(now).await;
    let messages = sink.messages();
    assert_eq!(
        messages.len(),
        1,
        "only the consented lead that entered 育成中"
    );
    assert_eq!(messages[0].rcpt_to, ["taro@example.jp"]);
    assert_eq!(
        messages[0].header("Subject").as_deref(),
        Some("山田 太郎 様へ: 展示会のお礼")
    );
    let enrolled = c.enrollments(campaign).await;
    assert_eq!(enrolled.len(), 1);
    assert_eq!(enrolled[0].lead_id, lead);
    assert_eq!(enrolled[0].source.as_deref(), Some("status"));
    let report = c.report(campaign).await;
    assert_eq!(report["triggers"][0]["enrolled"], 1, "{report}");
    assert!(report["triggers"][0]["problem"].is_null(), "{report}");

    // The follower goes on where it stopped: running it again, or after a restart,
    // enrols nobody twice and sends nothing more.
    assert_eq!(c.follow().await.enrolled, 0);
    let (_app, db, _) = build(&c.app.db_url, &sink.url).await;
    let again = follow::tick(&db, Micros::now()).await.expect("tick");
    assert_eq!(again.enrolled, 0);
    c.run(now).await;
    assert_eq!(sink.messages().len(), 1);

    // After a restart, a change made meanwhile is not missed.
    let later = c.consented_lead("加藤 四郎", "kato@example.jp").await;
    c.set_status(later, "nurturing").await;
    let after_restart = follow::follow(&db, c.app.ws(), Micros::now())
        .await
        .expect("follow");
    assert_eq!(after_restart.enrolled, 1, "{after_restart:?}");
    c.run(Micros::now()).await;
    assert_eq!(sent_to(&sink.messages(), "kato@example.jp").len(), 1);
}

#[tokio::test]
async fn a_lead_that_becomes_sql_leaves_at_once_and_its_next_step_is_never_sent() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let campaign = c.campaign(two_steps()).await;
    let lead = c.consented_lead("営業 一郎", "sql@example.jp").await;
    let stays = c.consented_lead("育成 二郎", "stays@example.jp").await;
    c.enroll(campaign, &[lead, stays]).await;
    let now = Micros::now();
    c.run(now).await;
    assert_eq!(sink.messages().len(), 2);
    assert_eq!(c.message_states(lead).await, ["sent", "scheduled"]);

    c.set_status(lead, "sales_ready").await;
    let followed = c.follow().await;
    assert_eq!(followed.exited, 1, "{followed:?}");
    // At that moment, before any step is due: the next step is cancelled.
    assert_eq!(c.message_states(lead).await, ["sent", "cancelled"]);
    assert_eq!(c.message_states(stays).await, ["sent", "scheduled"]);
    let ended = c
        .enrollments(campaign)
        .await
        .into_iter()
        .find(|e| e.lead_id == lead)
        .expect("the lead's enrolment");
    assert_eq!(ended.state, "exited");
    assert_eq!(ended.exit_reason.as_deref(), Some("became_sql"));

    c.run(Micros(now.0 + 4 * DAY)).await;
    assert_eq!(
        sent_to(&sink.messages(), "sql@example.jp").len(),
        1,
        "the next step is never sent"
    );
    assert_eq!(sent_to(&sink.messages(), "stays@example.jp").len(), 2);
    let report = c.report(campaign).await;
    assert_eq!(report["enrollments"]["became_sql"], 1, "{report}");
    assert_eq!(report["report"][0]["became_sql"], 1, "{report}");
}

#[tokio::test]
async fn a_form_submission_enrols_the_lead_it_reaches() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let admin = crate::roles_matrix::browser(&c.app, "admin@example.com").await;
    let mut form_ids = Vec::new();
    for name in ["資料請求フォーム", "セミナー申込"] {
        let resp = admin
            .client
            .post(c.app.url("/forms"))
            .form(&[
                ("csrf", admin.csrf.as_str()),
                ("name", name),
                ("kind", "document_request"),
                ("source", name),
                ("field_company", "on"),
                ("consent_text", "ご案内メールの受け取りに同意します。"),
            ])
            .send()
            .await
            .expect("form");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let id: i64 = resp.headers()["location"]
            .to_str()
            .expect("ascii")
            .trim_start_matches("/forms/")
            .parse()
            .expect("the form's id");
        form_ids.push(id);
    }
    let campaign = c.campaign(one_step()).await;
    let (code, body) = c
        .put_triggers(
            campaign,
            &json!({"triggers": [{"type": "form", "form_id": form_ids[0]}]}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");

    let visitor = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (form, name, email) in [
        (form_ids[0], "資料 花子", "hanako@sample.co.jp"),
        (form_ids[1], "別件 次郎", "jiro@sample.co.jp"),
    ] {
        let key = ondo_store::forms::get(&c.app.db, c.app.ws(), form)
            .await
            .expect("form")
            .public_key;
        let resp = visitor
            .post(c.app.url(&format!("/f/{key}")))
            .header("origin", "https://www.customer.example")
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("name", name),
                ("email", email),
                ("company", "株式会社サンプル"),
                ("consent", "on"),
            ])
            .send()
            .await
            .expect("submit");
        assert!(
            resp.status().is_success() || resp.status().is_redirection(),
            "{}",
            resp.status()
        );
    }
    let followed = c.follow().await;
    assert_eq!(followed.enrolled, 1, "{followed:?}");
    c.run(Micros::now()).await;
    let messages = sink.messages();
    assert_eq!(sent_to(&messages, "hanako@sample.co.jp").len(), 1);
    assert!(
        sent_to(&messages, "jiro@sample.co.jp").is_empty(),
        "the other form enrols nobody"
    );
    let enrolled = c.enrollments(campaign).await;
    assert_eq!(enrolled.len(), 1);
    assert_eq!(enrolled[0].source.as_deref(), Some("form"));
}

#[tokio::test]
async fn a_reply_ends_its_enrolment_and_unknown_or_automatic_ones_change_nothing() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let campaign = c.campaign(two_steps()).await;
    let a = c.consented_lead("山田 太郎", "taro@example.jp").await;
    let b = c.consented_lead("鈴木 花子", "hanako@example.jp").await;
    c.enroll(campaign, &[a, b]).await;
    c.run(Micros::now()).await;
    let messages = sink.messages();
    let id_of = |address: &str| {
        sent_to(&messages, address)[0]
            .header("Message-ID")
            .expect("a Message-ID")
    };
    let (mid_a, mid_b) = (id_of("taro@example.jp"), id_of("hanako@example.jp"));
    assert_ne!(mid_a, mid_b, "unique per message");
    let token = c.app.token.clone();
    let events_before = c.events_of(a).await.len();

    // Unknown: a message id Ondo never made; B's message named under A's signature (a
    // made-up id in Ondo's shape); a message that answers nothing.
    let (local, host) = mid_a
        .trim_matches(['<', '>'])
        .split_once('@')
        .expect("local@host");
    let parts: Vec<&str> = local.split('.').collect();
    assert_eq!(parts.len(), 5, "ondo.campaign.WS.MESSAGE.TAG: {mid_a}");
    let forged = format!(
        "<ondo.campaign.{}.{}.{}@{host}>",
        parts[2],
        c.messages_of(b).await[0].id,
        parts[4]
    );
    for raw in [
        reply_to("<CAF123@mail.gmail.com>", ""),
        reply_to(&forged, ""),
        "From: someone@example.jp\r\nSubject: hello\r\n\r\nno reference\r\n".to_string(),
    ] {
        let (code, body) = c.inbound(&token, &raw).await;
        assert_eq!(code, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["matched"], false, "{body}");
    }
    assert_eq!(c.events_of(a).await.len(), events_before, "nothing written");
    assert_eq!(c.message_states(b).await, ["sent", "scheduled"]);
    let (code, body) = c.inbound(&token, "not an email at all").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "message");

    // An out-of-office answer to B's message is recognised and changes nothing.
    let (code, body) = c
        .inbound(
            &token,
            &reply_to(&mid_b, "Auto-Submitted: auto-replied\r\n"),
        )
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["matched"], true);
    assert_eq!(body["automatic"], "auto_submitted");
    assert_eq!(body["enrollment_ended"], false);
    assert_eq!(c.message_states(b).await, ["sent", "scheduled"]);

    // Sales may not post replies.
    let sales = c
        .app
        .user_with_token(c.app.ws(), "sato@example.com", Role::Sales)
        .await;
    let (code, _) = c.inbound(&sales, &reply_to(&mid_a, "")).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(c.message_states(a).await, ["sent", "scheduled"]);

    // A's reply: matched to its message, the enrolment ends, the next step is cancelled.
    let (code, body) = c.inbound(&token, &reply_to(&mid_a, "")).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["matched"], true, "{body}");
    assert_eq!(body["lead_id"], a);
    assert_eq!(body["campaign_id"], campaign);
    assert_eq!(body["enrollment_ended"], true);
    assert_eq!(c.message_states(a).await, ["sent", "cancelled"]);
    let replied = |events: &[(String, Option<String>)]| {
        events
            .iter()
            .filter(|(kind, _)| kind == "email_replied")
            .count()
    };
    assert_eq!(replied(&c.events_of(a).await), 1, "an event of the lead");
    // The provider posts it again: nothing more happens.
    let (code, body) = c.inbound(&token, &reply_to(&mid_a, "")).await;
    assert_eq!(code, StatusCode::ACCEPTED);
    assert_eq!(body["enrollment_ended"], false, "{body}");
    assert_eq!(replied(&c.events_of(a).await), 1);

    // B's reply as SendGrid posts it: a form whose `email` field is the raw message.
    let form = reqwest::multipart::Form::new()
        .text("from", "hanako@example.jp")
        .text("email", reply_to(&mid_b, ""));
    let (code, body) = json(
        c.app
            .client
            .post(c.app.url("/api/v1/inbound-email"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["lead_id"], b, "{body}");
    assert_eq!(body["enrollment_ended"], true, "{body}");

    c.run(Micros(Micros::now().0 + 4 * DAY)).await;
    assert_eq!(sink.messages().len(), 2, "no step after a reply");
    let report = c.report(campaign).await;
    assert_eq!(report["report"][0]["replied"], 2, "{report}");
    assert_eq!(report["enrollments"]["replied"], 2, "{report}");
    assert_eq!(report["enrollments"]["exited"], 2, "{report}");

    // The page shows the replies (返信) in Japanese.
    let browser = crate::roles_matrix::browser(&c.app, "admin@example.com").await;
    let page = browser
        .client
        .get(c.app.url(&format!("/campaigns/{campaign}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(page.contains(">返信<"), "{page}");
    assert!(page.contains("data-figure=\"replied\">2<"), "{page}");
    assert!(page.contains("返信で終了"), "{page}");
}

#[tokio::test]
async fn a_paused_campaign_sends_nothing_until_it_resumes_and_then_sends_in_order() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let campaign = c.campaign(two_steps()).await;
    let a = c.consented_lead("一番 太郎", "first@example.jp").await;
    let b = c.consented_lead("二番 花子", "second@example.jp").await;
    let (code, body) = c
        .post(&format!("/api/v1/campaigns/{campaign}/pause"), &json!({}))
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["paused"], true);
    c.enroll(campaign, &[a]).await;
    c.enroll(campaign, &[b]).await;
    let now = Micros::now();
    c.run(now).await;
    c.run(Micros(now.0 + 2 * DAY)).await;
    assert!(sink.messages().is_empty(), "nothing is sent while paused");
    assert_eq!(c.message_states(a).await, ["scheduled"]);
    assert_eq!(c.message_states(b).await, ["scheduled"]);
    let (code, list) = c.get("/api/v1/campaigns").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list["campaigns"][0]["paused"], true, "{list}");

    let (code, body) = c
        .post(&format!("/api/v1/campaigns/{campaign}/resume"), &json!({}))
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["paused"], false);
    c.run(Micros::now()).await;
    let messages = sink.messages();
    let order: Vec<&str> = messages.iter().map(|m| m.rcpt_to[0].as_str()).collect();
    assert_eq!(
        order,
        ["first@example.jp", "second@example.jp"],
        "in the order they were due"
    );
    // The second steps follow on their own schedule, once.
    c.run(Micros(Micros::now().0 + 3 * DAY + 60_000_000)).await;
    c.run(Micros(Micros::now().0 + 10 * DAY)).await;
    assert_eq!(sink.messages().len(), 4);
    assert_eq!(c.message_states(a).await, ["sent", "sent"]);

    // A step with a send window, due while paused, waits for the window after resuming.
    let windowed = c
        .campaign(
            json!([{"delay_days": 0, "send_window": {"start": "10:00", "end": "11:00"},
                          "subject": "窓", "body": "{{name}} 様"}]),
        )
        .await;
    let w = c.consented_lead("時間 三郎", "window@example.jp").await;
    c.post(&format!("/api/v1/campaigns/{windowed}/pause"), &json!({}))
        .await;
    c.enroll(windowed, &[w]).await;
    let due_before = c.messages_of(w).await[0].due_at;
    c.run(Micros(due_before)).await;
    assert_eq!(c.message_states(w).await, ["scheduled"]);
    let resumed_at = Micros::now();
    c.post(&format!("/api/v1/campaigns/{windowed}/resume"), &json!({}))
        .await;
    let due = c.messages_of(w).await[0].due_at;
    let window = SendWindow::parse("10:00", "11:00").expect("window");
    assert!(due >= resumed_at.0.min(due_before), "{due}");
    assert_eq!(
        window.next_opening(Micros(due)),
        Micros(due),
        "due inside the send window"
    );

    // Pausing and resuming are in the audit log.
    let (_, audit) = c.get("/api/v1/audit").await;
    let text = audit.to_string();
    assert!(text.contains("\"pause\""), "{text}");
    assert!(text.contains("\"resume\""), "{text}");
}

#[tokio::test]
async fn re_enrolment_happens_only_when_the_campaign_allows_it() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let campaign = c.campaign(one_step()).await;
    let lead = c.consented_lead("再登録 太郎", "again@example.jp").await;
    c.enroll(campaign, &[lead]).await;
    c.run(Micros::now()).await;
    assert_eq!(c.report(campaign).await["enrollments"]["completed"], 1);

    let body = c.enroll(campaign, &[lead]).await;
    assert_eq!(body["enrolled"], json!([]), "{body}");
    assert_eq!(body["skipped"][0]["reason"], "enrolled_before", "{body}");

    let (code, body) = c
        .put_triggers(campaign, &json!({"allow_reenroll": true}))
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["allow_reenroll"], true);
    let body = c.enroll(campaign, &[lead]).await;
    assert_eq!(body["enrolled"], json!([lead]), "{body}");
    // Never twice at the same time.
    let body = c.enroll(campaign, &[lead]).await;
    assert_eq!(body["skipped"][0]["reason"], "already_enrolled", "{body}");
    c.run(Micros::now()).await;
    assert_eq!(
        sent_to(&sink.messages(), "again@example.jp").len(),
        2,
        "step 1 again"
    );
    let report = c.report(campaign).await;
    assert_eq!(report["enrollments"]["total"], 2, "{report}");
    assert_eq!(report["enrollments"]["completed"], 2, "{report}");
    assert_eq!(report["report"][0]["sent"], 2, "{report}");
    let rounds: Vec<i64> = c
        .enrollments(campaign)
        .await
        .iter()
        .map(|e| e.round)
        .collect();
    assert_eq!(rounds, [2, 1]);

    // Switched off again: refused again.
    c.put_triggers(campaign, &json!({"allow_reenroll": false}))
        .await;
    let body = c.enroll(campaign, &[lead]).await;
    assert_eq!(body["skipped"][0]["reason"], "enrolled_before", "{body}");
}

#[tokio::test]
async fn a_550_from_the_server_is_permanent_and_a_451_temporary() {
    let sink = RefusingSink::start().await;
    // Refused after the message was sent (the reply to DATA), as content filters do.
    sink.refuse_data("filtered@example.jp", "550 5.7.1 message refused", None);
    sink.refuse_data(
        "greylisted@example.jp",
        "451 4.7.1 greylisted, try again later",
        Some(1),
    );
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let campaign = c.campaign(one_step()).await;
    let filtered = c.consented_lead("拒否 太郎", "filtered@example.jp").await;
    let greylisted = c.consented_lead("保留 花子", "greylisted@example.jp").await;
    c.enroll(campaign, &[filtered, greylisted]).await;
    let now = Micros::now();
    c.run(now).await;

    let f = &c.messages_of(filtered).await[0];
    assert_eq!(f.state, "bounced", "550: refused for good");
    assert_eq!(f.reason.as_deref(), Some("permanent_failure"));
    assert!(
        f.last_error.as_deref().is_some_and(|e| e.contains("550")),
        "{f:?}"
    );
    let g = &c.messages_of(greylisted).await[0];
    assert_eq!(g.state, "scheduled", "451: tried again later");
    assert!(
        g.last_error.as_deref().is_some_and(|e| e.contains("451")),
        "{g:?}"
    );
    assert!(sink.messages().is_empty());
    let report = c.report(campaign).await;
    assert_eq!(report["report"][0]["bounced"], 1, "{report}");

    c.run(Micros(now.0 + 3_600_000_000)).await;
    assert_eq!(c.message_states(greylisted).await, ["sent"]);
    assert_eq!(sent_to(&sink.messages(), "greylisted@example.jp").len(), 1);
    assert_eq!(
        c.message_states(filtered).await,
        ["bounced"],
        "never retried"
    );
    let report = c.report(campaign).await;
    assert_eq!(report["report"][0]["delivered"], 1, "{report}");
}

#[tokio::test]
async fn opens_and_clicks_carry_their_campaign_and_step() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let campaign = c.campaign(one_step()).await;
    let lead = c.consented_lead("開封 太郎", "open@example.jp").await;
    c.enroll(campaign, &[lead]).await;
    c.run(Micros::now()).await;
    let (text, html) = text_and_html(&sink.messages()[0]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for path in [
        path_of(&html, &format!("{PUBLIC_URL}/t/o/")),
        path_of(&text, &format!("{PUBLIC_URL}/t/c/")),
    ] {
        client
            .get(c.app.url(&path))
            .header("User-Agent", "Mozilla/5.0 (Macintosh) Safari/605.1.15")
            .send()
            .await
            .expect("tracked");
    }
    let step = c.messages_of(lead).await[0].step_id;
    let events = ondo_store::events::recent_for_lead(&c.app.db, c.app.ws(), lead, 100)
        .await
        .expect("events");
    let email: Vec<Value> = events
        .iter()
        .filter(|e| e.kind == "email_open" || e.kind == "email_click")
        .map(|e| serde_json::from_str(&e.properties).expect("JSON"))
        .collect();
    assert_eq!(email.len(), 2, "{events:?}");
    for p in email {
        assert_eq!(p["campaign_id"], campaign, "{p}");
        assert_eq!(p["step_id"], step, "{p}");
    }
}

#[tokio::test]
async fn the_campaign_page_sets_triggers_pauses_and_resumes_with_csrf() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    c.app
        .user_with_token(c.app.ws(), "mkt@example.com", Role::Marketing)
        .await;
    c.app
        .user_with_token(c.app.ws(), "sato@example.com", Role::Sales)
        .await;
    let campaign = c.campaign(two_steps()).await;
    let crate::roles_matrix::Browser { client: b, csrf } =
        crate::roles_matrix::browser(&c.app, "mkt@example.com").await;
    let path = format!("/campaigns/{campaign}");
    let page = b
        .get(c.app.url(&path))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(page.contains("自動登録と一時停止"), "{page}");
    assert!(page.contains("name=\"status_nurturing\""), "{page}");
    assert!(
        !page.contains("name=\"status_sales_ready\""),
        "SQL enrols nobody"
    );

    // Without the CSRF token nothing changes.
    for action in ["triggers", "pause", "resume"] {
        let resp = b
            .post(c.app.url(&format!("{path}/{action}")))
            .form(&[("status_nurturing", "on")])
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let resp = b
        .post(c.app.url(&format!("{path}/triggers")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("status_nurturing", "on"),
            ("allow_reenroll", "on"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let report = c.report(campaign).await;
    assert_eq!(report["triggers"][0]["status"], "nurturing", "{report}");
    assert_eq!(report["allow_reenroll"], true);
    let page = b
        .get(c.app.url(&format!("{path}?done=triggers")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(page.contains("登録条件を保存しました"), "{page}");
    assert!(page.contains("name=\"status_nurturing\" checked"), "{page}");
    // A form that does not exist is refused on the page, nothing changes.
    let resp = b
        .post(c.app.url(&format!("{path}/triggers")))
        .form(&[("csrf", csrf.as_str()), ("form_999999", "on")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("id=\"trigger-errors\""),
        "the problem is shown"
    );
    assert_eq!(
        c.report(campaign).await["triggers"][0]["status"],
        "nurturing"
    );

    let resp = b
        .post(c.app.url(&format!("{path}/pause")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("pause");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = b
        .get(c.app.url(&path))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(page.contains("id=\"campaign-paused\""), "{page}");
    assert!(page.contains("Automatic enrolment and pausing"), "{page}");
    let list = b
        .get(c.app.url("/campaigns"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("body");
    assert!(list.contains("一時停止中"), "{list}");
    let resp = b
        .post(c.app.url(&format!("{path}/resume")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("resume");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.report(campaign).await["paused"], false);

    // Sales may do none of it.
    let s = crate::roles_matrix::browser(&c.app, "sato@example.com").await;
    for action in ["triggers", "pause", "resume"] {
        let resp = s
            .client
            .post(c.app.url(&format!("{path}/{action}")))
            .form(&[("csrf", s.csrf.as_str())])
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{action}");
    }
    // Every change is in the audit log, with who made it.
    let audit = ondo_store::audit::list(&c.app.db, c.app.ws(), None, 100)
        .await
        .expect("audit");
    for action in ["triggers", "pause", "resume"] {
        assert!(
            audit
                .iter()
                .any(|a| a.entity == "campaign" && a.action == action && a.actor_user_id.is_some()),
            "{action}: {audit:?}"
        );
    }
}

#[tokio::test]
async fn a_segment_trigger_enrols_its_leads_now_and_those_that_match_later_once_each() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let manufacturer = |name: &str, email: &str| {
        json!({"name": name, "email": email, "consent_source": "business_card",
               "custom_fields": {"業種": "製造業"}})
    };
    let a = c.lead(manufacturer("製造 一郎", "m1@example.jp")).await;
    let retail = c
        .lead(
            json!({"name": "小売 二郎", "email": "r@example.jp", "consent_source": "business_card",
                     "custom_fields": {"業種": "小売"}}),
        )
        .await;
    let no_consent = c
        .lead(json!({"name": "製造 三郎", "email": "m3@example.jp",
                     "custom_fields": {"業種": "製造業"}}))
        .await;
    let (code, seg) = c
        .post(
            "/api/v1/segments",
            &json!({"name": "製造業", "definition": {
                "custom_fields": [{"field": "業種", "op": "eq", "value": "製造業"}]}}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{seg}");
    let segment = seg["id"].as_i64().expect("id");
    let campaign = c.campaign(two_steps()).await;
    let (code, body) = c
        .put_triggers(
            campaign,
            &json!({"triggers": [{"type": "segment", "segment_id": segment}],
                    "allow_reenroll": true}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["triggers"][0]["segment_id"], segment);

    // Switched on: the segment's current leads (with consent) are enrolled.
    let followed = c.follow().await;
    assert_eq!(followed.enrolled, 1, "{followed:?}");
    c.run(Micros::now()).await;
    assert_eq!(sent_to(&sink.messages(), "m1@example.jp").len(), 1);
    assert!(sent_to(&sink.messages(), "r@example.jp").is_empty());
    assert!(c.message_states(no_consent).await.is_empty());
    assert!(c.message_states(retail).await.is_empty());

    // A lead that comes to match later is enrolled at a later pass; A is not enrolled
    // again although the campaign allows re-enrolment and A is still in the segment.
    let b = c.lead(manufacturer("製造 四郎", "m4@example.jp")).await;
    c.follow().await;
    let followed = c.follow().await;
    assert_eq!(followed.enrolled, 0, "{followed:?}");
    c.run(Micros::now()).await;
    assert_eq!(sent_to(&sink.messages(), "m4@example.jp").len(), 1);
    assert_eq!(sent_to(&sink.messages(), "m1@example.jp").len(), 1);
    let sources: Vec<(i64, Option<String>)> = c
        .enrollments(campaign)
        .await
        .into_iter()
        .map(|e| (e.lead_id, e.source))
        .collect();
    assert_eq!(
        sources,
        [(b, Some("segment".into())), (a, Some("segment".into()))]
    );
    assert_eq!(c.report(campaign).await["triggers"][0]["enrolled"], 2);
}
