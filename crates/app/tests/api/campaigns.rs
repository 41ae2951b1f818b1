//! Step campaigns end to end, against a real SMTP server on 127.0.0.1: a campaign made
//! by the API sends its first step to a consented lead with the law's footer in both
//! parts, the RFC 8058 headers and tracked links; the one-click unsubscribe is honoured
//! at once; tampered links record nothing; leads without consent are skipped with the
//! reason; a step is sent exactly once across repeated runs and restarts (and at most
//! once when a stop cut a send short); three permanent refusals make an address
//! do-not-send; sales may not run campaigns; a bad template is refused naming its step.

use ondo_app::Application;
use ondo_domain::{Micros, Role};
use ondo_jobs::campaigns::{MAX_ATTEMPTS, STEP_JOB};
use ondo_jobs::worker::{WorkerContext, run_due};
use ondo_store::Db;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json};
use crate::smtp_refusing::RefusingSink;
use crate::smtp_sink::{Received, SmtpSink};

pub const PUBLIC_URL: &str = "https://ondo.example.jp";
pub const DAY: i64 = 24 * 3600 * 1_000_000;

/// The application with its job worker stopped (the test runs due jobs itself), mail
/// going to `smtp_url`, links pointing at [`PUBLIC_URL`].
pub struct Campaigning {
    pub app: TestApp,
    pub worker: WorkerContext,
}

pub async fn build(
    db_url: &str,
    smtp_url: &str,
) -> (Application, Db, ondo_store::workspaces::Workspace) {
    let db = Db::connect(db_url).await.expect("test database");
    let workspace = ondo_store::workspaces::ensure(&db, "default")
        .await
        .expect("workspace");
    let web = ondo_web::WebConfig {
        fast_password_hashing: true,
        public_url: Some(PUBLIC_URL.into()),
        smtp_url: Some(smtp_url.to_string()),
        smtp_from: Some("Ondo <ondo@example.jp>".into()),
        ..Default::default()
    };
    let app = Application::build(db.clone(), workspace.clone(), "127.0.0.1:0", web)
        .await
        .expect("app builds")
        .without_job_worker();
    (app, db, workspace)
}

pub async fn spawn_campaigning(smtp_url: &str) -> Campaigning {
    let db_url = ondo_store::testing::fresh_url().await;
    let (app, db, workspace) = build(&db_url, smtp_url).await;
    let worker = app.worker_context();
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let mut app = TestApp {
        address,
        db,
        db_url,
        workspace,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client"),
        token: String::new(),
    };
    app.token = app
        .user_with_token(app.ws(), "admin@example.com", Role::Admin)
        .await;
    Campaigning { app, worker }
}

impl Campaigning {
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_as(&self.app.token, path, body).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        json(
            self.app
                .client
                .post(self.app.url(path))
                .bearer_auth(token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        json(
            self.app
                .client
                .get(self.app.url(path))
                .bearer_auth(&self.app.token)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Sets the sender's name and postal address (the law asks for both).
    pub async fn set_sender(&self) {
        let (status, body) = json(
            self.app
                .client
                .put(self.app.url("/api/v1/campaign-settings"))
                .bearer_auth(&self.app.token)
                .json(&json!({
                    "sender_name": "株式会社オンド",
                    "postal_address": "東京都千代田区丸の内1-1-1",
                    "rate_per_minute": 100
                }))
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// A lead who gave consent (a business card exchange) and may be mailed.
    pub async fn consented_lead(&self, name: &str, email: &str) -> i64 {
        self.lead(json!({
            "name": name, "email": email, "company": "株式会社サンプル",
            "consent_source": "business_card", "consent_at": "2026-10-01"
        }))
        .await
    }

    pub async fn lead(&self, body: Value) -> i64 {
        let (status, lead) = json(self.app.post_lead(&body).await).await;
        assert_eq!(status, StatusCode::CREATED, "{lead}");
        lead["id"].as_i64().expect("id")
    }

    pub async fn campaign(&self, steps: Value) -> i64 {
        let (status, body) = self
            .post(
                "/api/v1/campaigns",
                &json!({"name": "展示会フォロー", "steps": steps}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().expect("id")
    }

    pub async fn enroll(&self, campaign: i64, leads: &[i64]) -> Value {
        let (status, body) = self
            .post(
                &format!("/api/v1/campaigns/{campaign}/enroll"),
                &json!({ "lead_ids": leads }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn run(&self, now: Micros) -> usize {
        run_due(&self.worker, now).await.expect("jobs run")
    }

    pub async fn report(&self, campaign: i64) -> Value {
        let (status, body) = self.get(&format!("/api/v1/campaigns/{campaign}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The lead's campaign messages, oldest first.
    pub async fn messages_of(&self, lead: i64) -> Vec<ondo_store::campaigns::Message> {
        let mut m = ondo_store::campaigns::messages_of_lead(&self.app.db, self.app.ws(), lead, 100)
            .await
            .expect("messages");
        m.reverse();
        m
    }

    /// The states of the lead's messages, step by step.
    pub async fn message_states(&self, lead: i64) -> Vec<String> {
        self.messages_of(lead)
            .await
            .into_iter()
            .map(|m| m.state)
            .collect()
    }

    /// The lead's events as (type, bot_reason).
    pub async fn events_of(&self, lead: i64) -> Vec<(String, Option<String>)> {
        ondo_store::events::recent_for_lead(&self.app.db, self.app.ws(), lead, 1000)
            .await
            .expect("events")
            .into_iter()
            .map(|e| (e.kind, e.bot_reason))
            .collect()
    }
}

pub fn two_steps() -> Value {
    json!([
        {"delay_days": 0, "subject": "{{name}} 様へ: 展示会のお礼",
         "body": "{{name}} 様\n\n{{company}}のご担当者様、先日はありがとうございました。\n資料はこちら: https://example.jp/docs/intro?from=mail\n\n担当: {{owner}}"},
        {"delay_days": 3, "subject": "事例のご紹介", "body": "{{name}} 様\n事例: https://example.jp/cases"}
    ])
}

/// The parts of a multipart message, each readable with `Received`'s helpers.
pub fn parts(m: &Received) -> Vec<Received> {
    let content_type = m.header("Content-Type").expect("a content type");
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"')
        .to_string();
    let (_, body) = m.data.split_once("\r\n\r\n").expect("headers and body");
    body.split(&format!("--{boundary}"))
        .map(|p| p.trim_start_matches("\r\n"))
        .filter(|p| !p.trim().is_empty() && !p.starts_with("--"))
        .map(|p| Received {
            mail_from: m.mail_from.clone(),
            rcpt_to: m.rcpt_to.clone(),
            data: p.to_string(),
        })
        .collect()
}

/// The text and HTML parts, decoded.
pub fn text_and_html(m: &Received) -> (String, String) {
    let ps = parts(m);
    let find = |kind: &str| {
        ps.iter()
            .find(|p| {
                p.header("Content-Type")
                    .is_some_and(|c| c.starts_with(kind))
            })
            .unwrap_or_else(|| panic!("a {kind} part"))
            .body()
    };
    (find("text/plain"), find("text/html"))
}

/// The path (`/u/…`, `/t/c/…`) of the first address in `text` starting with `prefix`.
pub fn path_of(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {text}"));
    let rest = &text[start + PUBLIC_URL.len()..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .unwrap_or(rest.len());
    rest[..end].to_string()
}

pub fn sent_to<'a>(messages: &'a [Received], address: &str) -> Vec<&'a Received> {
    messages
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == address))
        .collect()
}

#[tokio::test]
async fn a_consented_lead_gets_the_first_step_with_the_law_and_tracking_in_both_parts() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    c.app
        .user_with_token(c.app.ws(), "sato@example.com", Role::Sales)
        .await;
    let lead = c
        .lead(json!({
            "name": "山田 太郎", "email": "taro@example.jp", "company": "株式会社サンプル",
            "owner": "sato@example.com", "consent_source": "business_card"
        }))
        .await;
    let campaign = c.campaign(two_steps()).await;
    let enrolled = c.enroll(campaign, &[lead]).await;
    assert_eq!(enrolled["enrolled"], json!([lead]), "{enrolled}");

    let now = Micros::now();
    c.run(now).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "only the first step is due");
    let m = &messages[0];
    assert_eq!(m.rcpt_to, ["taro@example.jp"]);
    assert!(
        m.data.is_ascii(),
        "Japanese travels encoded (RFC 2047, base64)"
    );
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("山田 太郎 様へ: 展示会のお礼")
    );
    let from = m.header("From").expect("From");
    assert!(from.contains("株式会社オンド"), "{from}");
    assert!(from.contains("<ondo@example.jp>"), "{from}");
    let list_unsubscribe = m.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        list_unsubscribe.starts_with(&format!("<{PUBLIC_URL}/u/"))
            && list_unsubscribe.ends_with('>'),
        "{list_unsubscribe}"
    );
    assert_eq!(
        m.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let message_id = m.header("Message-ID").expect("Message-ID");
    assert!(message_id.starts_with("<ondo.campaign."), "{message_id}");

    let (text, html) = text_and_html(m);
    for part in [&text, &html] {
        assert!(part.contains("山田 太郎 様"), "{part}");
        assert!(part.contains("株式会社サンプルのご担当者様"), "{part}");
        assert!(
            part.contains("担当: sato@example.com"),
            "the owner's name: {part}"
        );
        assert!(part.contains("株式会社オンド"), "the sender's name: {part}");
        assert!(
            part.contains("東京都千代田区丸の内1-1-1"),
            "the postal address: {part}"
        );
        assert!(
            part.contains(&format!("{PUBLIC_URL}/u/")),
            "the unsubscribe link: {part}"
        );
        assert!(
            part.contains(&format!("{PUBLIC_URL}/t/c/")),
            "a tracked link: {part}"
        );
    }
    assert!(
        !text.contains("https://example.jp/docs/intro"),
        "the link is tracked in the text part: {text}"
    );
    assert!(
        html.contains(&format!("{PUBLIC_URL}/t/o/")),
        "the open pixel: {html}"
    );
    // The unsubscribe link of the footer is the one of the header.
    assert_eq!(
        path_of(&text, &format!("{PUBLIC_URL}/u/")),
        list_unsubscribe
            .trim_matches(['<', '>'])
            .trim_start_matches(PUBLIC_URL)
    );

    // The tracked link leads to exactly the written address.
    let click = path_of(&text, &format!("{PUBLIC_URL}/t/c/"));
    let resp = c
        .app
        .client
        .get(c.app.url(&click))
        .send()
        .await
        .expect("click");
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(
        resp.headers()["location"].to_str().expect("ascii"),
        "https://example.jp/docs/intro?from=mail"
    );

    let report = c.report(campaign).await;
    assert_eq!(
        report["steps"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    let first = &report["report"][0];
    assert_eq!(first["sent"], 1, "{report}");
    assert_eq!(first["delivered"], 1, "{report}");
    assert_eq!(
        report["report"][1]["scheduled"], 1,
        "the second step waits: {report}"
    );
    assert_eq!(report["enrollments"]["active"], 1);

    // Three days later the second step goes, once.
    c.run(Micros(now.0 + 3 * DAY + 60_000_000)).await;
    c.run(Micros(now.0 + 10 * DAY)).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1].header("Subject").as_deref(),
        Some("事例のご紹介")
    );
    let report = c.report(campaign).await;
    assert_eq!(report["enrollments"]["completed"], 1, "{report}");
}

#[tokio::test]
async fn leads_without_consent_or_opted_out_are_skipped_with_the_reason() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    let campaign = c.campaign(two_steps()).await;
    let ok = c.consented_lead("青木 一郎", "aoki@example.jp").await;
    // Without the sender's name and postal address nobody is enrolled.
    let (status, body) = c
        .post(
            &format!("/api/v1/campaigns/{campaign}/enroll"),
            &json!({"lead_ids": [ok]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "sender");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("postal address")),
        "{body}"
    );
    c.set_sender().await;

    let no_consent = c
        .lead(json!({"name": "石井 二郎", "email": "ishii@example.jp"}))
        .await;
    let opted_out = c
        .lead(json!({"name": "上田 三郎", "email": "ueda@example.jp",
                     "consent_source": "form_opt_in", "email_opt_out": true}))
        .await;
    let no_email = c
        .lead(json!({"name": "江藤 四郎", "consent_source": "business_card"}))
        .await;
    let sql = c.consented_lead("大野 五郎", "ono@example.jp").await;
    let (status, _) = json(
        c.app
            .patch_lead(
                sql,
                &json!({"status": "sales_ready", "status_reason": "商談化"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let later = c.consented_lead("加藤 六郎", "kato@example.jp").await;

    let body = c
        .enroll(
            campaign,
            &[ok, no_consent, opted_out, no_email, sql, 999_999, ok, later],
        )
        .await;
    assert_eq!(body["enrolled"], json!([ok, later]), "{body}");
    let reasons: Vec<(i64, String)> = body["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                s["lead_id"].as_i64().expect("id"),
                s["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (no_consent, "no_consent".to_string()),
            (opted_out, "opted_out".to_string()),
            (no_email, "no_email".to_string()),
            (sql, "sales_ready".to_string()),
            (999_999, "not_found".to_string()),
        ]
    );
    // Enrolling again changes nothing.
    let again = c.enroll(campaign, &[ok]).await;
    assert_eq!(again["enrolled"], json!([]));
    assert_eq!(again["skipped"][0]["reason"], "already_enrolled");

    // Consent withdrawn after enrolment: re-checked when sending, nothing goes out.
    let (status, _) = json(
        c.app
            .patch_lead(later, &json!({"consent_source": null}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    c.run(Micros::now()).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "only the consented lead is mailed");
    assert_eq!(messages[0].rcpt_to, ["aoki@example.jp"]);
    assert_eq!(c.message_states(later).await, ["cancelled"]);
}

#[tokio::test]
async fn the_one_click_unsubscribe_is_honoured_at_once_and_no_further_step_is_sent() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let lead = c.consented_lead("山田 花子", "hanako@example.jp").await;
    let campaign = c.campaign(two_steps()).await;
    c.enroll(campaign, &[lead]).await;
    let now = Micros::now();
    c.run(now).await;
    let m = &sink.messages()[0];
    let path = m
        .header("List-Unsubscribe")
        .expect("header")
        .trim_matches(['<', '>'])
        .trim_start_matches(PUBLIC_URL)
        .to_string();

    // Opening the link (or a scanner following it) only asks.
    let anon = reqwest::Client::new();
    let resp = anon.get(c.app.url(&path)).send().await.expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.expect("body");
    assert!(page.contains("配信を停止する"), "{page}");
    let (_, l) = json(c.app.get_lead(&c.app.token, lead).await).await;
    assert_eq!(l["email_opt_out"], false, "a GET changes nothing");

    // The provider's one-click POST: no session, no CSRF token.
    let resp = anon
        .post(c.app.url(&path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, l) = json(c.app.get_lead(&c.app.token, lead).await).await;
    assert_eq!(l["email_opt_out"], true, "{l}");
    let (_, audit) = c.get(&format!("/api/v1/audit?lead_id={lead}")).await;
    assert!(
        audit.to_string().contains("unsubscribe"),
        "an audit entry: {audit}"
    );
    let events = c.events_of(lead).await;
    assert_eq!(
        events
            .iter()
            .filter(|(kind, _)| kind == "email_unsubscribe")
            .count(),
        1,
        "an event of the lead: {events:?}"
    );
    // Posting again changes nothing more.
    let resp = anon.post(c.app.url(&path)).send().await.expect("post");
    assert_eq!(resp.status(), StatusCode::OK);

    c.run(Micros(now.0 + 4 * DAY)).await;
    assert_eq!(sink.messages().len(), 1, "no further step is sent");
    let report = c.report(campaign).await;
    assert_eq!(report["report"][0]["unsubscribed"], 1, "{report}");
    assert_eq!(report["enrollments"]["exited"], 1, "{report}");
    assert_eq!(c.message_states(lead).await, ["sent", "cancelled"]);
    // And the lead is skipped from now on.
    let other = c.campaign(two_steps()).await;
    let body = c.enroll(other, &[lead]).await;
    assert_eq!(body["skipped"][0]["reason"], "opted_out");
}

/// Changes one character of a token's payload.
fn tamper(path: &str) -> String {
    let (head, token) = path.rsplit_once('/').expect("a token");
    let mut bytes = token.as_bytes().to_vec();
    bytes[2] = if bytes[2] == b'A' { b'B' } else { b'A' };
    format!("{head}/{}", String::from_utf8(bytes).expect("ascii"))
}

#[tokio::test]
async fn tampered_unsubscribe_and_click_tokens_change_nothing() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let lead = c.consented_lead("木村 七郎", "kimura@example.jp").await;
    let campaign = c.campaign(two_steps()).await;
    c.enroll(campaign, &[lead]).await;
    c.run(Micros::now()).await;
    let (text, _) = text_and_html(&sink.messages()[0]);
    let unsubscribe = tamper(&path_of(&text, &format!("{PUBLIC_URL}/u/")));
    let click = tamper(&path_of(&text, &format!("{PUBLIC_URL}/t/c/")));
    let events_before = c.events_of(lead).await.len();
    let anon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for resp in [
        anon.get(c.app.url(&unsubscribe)).send().await.expect("get"),
        anon.post(c.app.url(&unsubscribe))
            .send()
            .await
            .expect("post"),
        anon.post(c.app.url("/u/no-such-token"))
            .send()
            .await
            .expect("post"),
        anon.get(c.app.url(&click)).send().await.expect("click"),
    ] {
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert!(resp.headers().get("location").is_none());
    }
    let (_, l) = json(c.app.get_lead(&c.app.token, lead).await).await;
    assert_eq!(l["email_opt_out"], false);
    assert_eq!(
        c.events_of(lead).await.len(),
        events_before,
        "nothing recorded"
    );
    let audit = ondo_store::audit::list(&c.app.db, c.app.ws(), Some(lead), 100)
        .await
        .expect("audit");
    assert!(audit.iter().all(|a| a.action != "unsubscribe"), "{audit:?}");
    assert_eq!(c.report(campaign).await["enrollments"]["active"], 1);
}

/// Builds a second application on the same database, as after a restart: jobs left
/// running are queued again at start-up.
pub async fn restart(c: &Campaigning, smtp_url: &str) -> WorkerContext {
    let (app, _db, _) = build(&c.app.db_url, smtp_url).await;
    app.worker_context()
}

#[tokio::test]
async fn a_step_is_sent_once_across_repeated_runs_and_restarts_and_never_lost() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let campaign = c.campaign(two_steps()).await;
    let a = c.consented_lead("A 太郎", "a@example.jp").await;
    let b = c.consented_lead("B 次郎", "b@example.jp").await;
    c.enroll(campaign, &[a, b]).await;
    // A second job for A's first message, as a duplicate delivery of the job would be.
    let message_a = c.messages_of(a).await[0].id;
    ondo_store::jobs::enqueue_db(
        &c.app.db,
        c.app.ws(),
        STEP_JOB,
        &json!({ "message_id": message_a }),
        Micros::now().0,
        MAX_ATTEMPTS,
    )
    .await
    .expect("job");
    let now = Micros::now();
    c.run(now).await;
    c.run(now).await;
    let messages = sink.messages();
    assert_eq!(
        sent_to(&messages, "a@example.jp").len(),
        1,
        "once, not twice"
    );
    assert_eq!(sent_to(&messages, "b@example.jp").len(), 1);

    // A stop after a worker took the job but before it claimed the message: the job is
    // queued again at start-up and the step is sent, once.
    let cc = c.consented_lead("C 三郎", "c@example.jp").await;
    c.enroll(campaign, &[cc]).await;
    let taken = ondo_store::jobs::lease(&c.app.db, Micros::now().0, 600_000_000, 10)
        .await
        .expect("lease");
    assert_eq!(taken.len(), 1, "C's job is taken by the worker that dies");
    let after_restart = restart(&c, &sink.url).await;
    run_due(&after_restart, Micros::now()).await.expect("run");
    run_due(&after_restart, Micros::now()).await.expect("run");
    assert_eq!(
        sent_to(&sink.messages(), "c@example.jp").len(),
        1,
        "not lost, not repeated"
    );

    // A stop after the message was claimed (`sending` committed) but before its outcome
    // was recorded: whether the server took it cannot be known; it is not sent again,
    // it is reported as unknown, and the campaign goes on with the next step.
    let d = c.consented_lead("D 四郎", "d@example.jp").await;
    c.enroll(campaign, &[d]).await;
    let taken = ondo_store::jobs::lease(&c.app.db, Micros::now().0, 600_000_000, 10)
        .await
        .expect("lease");
    assert_eq!(taken.len(), 1);
    // The worker's claim, committed; then the process stops.
    let message_d = c.messages_of(d).await[0].id;
    let mut tx = c.app.db.begin_write().await.expect("tx");
    assert!(
        ondo_store::campaigns::claim(
            &mut tx,
            c.app.ws(),
            message_d,
            "d@example.jp",
            Micros::now().0
        )
        .await
        .expect("claim")
    );
    tx.commit().await.expect("commit");
    let after_restart = restart(&c, &sink.url).await;
    run_due(&after_restart, Micros::now()).await.expect("run");
    assert_eq!(
        sent_to(&sink.messages(), "d@example.jp").len(),
        0,
        "not resent"
    );
    assert_eq!(c.message_states(d).await, ["unknown", "scheduled"]);
    let report = c.report(campaign).await;
    assert_eq!(report["report"][0]["unknown"], 1, "{report}");
    assert_eq!(report["report"][0]["delivered"], 3, "{report}");

    // The second step follows for everyone, once.
    let later = Micros(Micros::now().0 + 3 * DAY + 60_000_000);
    run_due(&after_restart, later).await.expect("run");
    c.run(later).await;
    let messages = sink.messages();
    for (address, count) in [
        ("a@example.jp", 2),
        ("b@example.jp", 2),
        ("c@example.jp", 2),
        ("d@example.jp", 1),
    ] {
        assert_eq!(sent_to(&messages, address).len(), count, "{address}");
    }
    for lead in [a, b, cc, d] {
        let states = c.message_states(lead).await;
        assert_eq!(
            states.last().map(String::as_str),
            Some("sent"),
            "{states:?}"
        );
    }
}

#[tokio::test]
async fn three_permanent_failures_make_the_address_do_not_send_and_temporary_ones_are_retried() {
    let sink = RefusingSink::start().await;
    sink.refuse("gone@example.jp", "550 5.1.1 no such user", None);
    sink.refuse("busy@example.jp", "451 4.3.0 try again later", Some(1));
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let steps: Vec<Value> = (1..=3)
        .map(|n| json!({"delay_days": 0, "subject": format!("第{n}回"), "body": "{{name}} 様"}))
        .collect();
    let campaign = c.campaign(json!(steps)).await;
    let gone = c.consented_lead("不在 太郎", "gone@example.jp").await;
    let busy = c.consented_lead("多忙 花子", "busy@example.jp").await;
    c.enroll(campaign, &[gone, busy]).await;

    let now = Micros::now();
    c.run(now).await;
    // gone: three steps, each refused for good; busy: refused once for now.
    assert_eq!(
        sink.refused(),
        [
            "gone@example.jp",
            "busy@example.jp",
            "gone@example.jp",
            "gone@example.jp"
        ]
    );
    assert_eq!(
        c.message_states(gone).await,
        ["bounced", "bounced", "bounced"]
    );
    assert!(
        ondo_store::campaigns::is_do_not_send(&c.app.db, c.app.ws(), "gone@example.jp")
            .await
            .expect("suppression")
    );
    assert_eq!(
        c.message_states(busy).await,
        ["scheduled"],
        "waits for its retry"
    );
    let report = c.report(campaign).await;
    assert_eq!(report["report"][0]["bounced"], 1, "{report}");
    assert_eq!(report["report"][0]["delivered"], 0, "{report}");

    // The retry, after its backoff, goes through; the rest of busy's steps follow.
    c.run(Micros(now.0 + 3_600_000_000)).await;
    assert_eq!(sent_to(&sink.messages(), "busy@example.jp").len(), 3);
    assert_eq!(c.message_states(busy).await, ["sent", "sent", "sent"]);

    // The do-not-send address is skipped from now on.
    let other = c.campaign(two_steps()).await;
    let body = c.enroll(other, &[gone]).await;
    assert_eq!(body["skipped"][0]["reason"], "do_not_send", "{body}");
    let report = c.report(campaign).await;
    assert_eq!(report["enrollments"]["exited"], 1, "{report}");
    assert_eq!(report["enrollments"]["completed"], 1, "{report}");
}

#[tokio::test]
async fn a_lead_that_becomes_sales_ready_leaves_the_campaign_and_counts_as_sql() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let lead = c
        .consented_lead("営業 太郎", "sales-ready@example.jp")
        .await;
    let campaign = c.campaign(two_steps()).await;
    c.enroll(campaign, &[lead]).await;
    let now = Micros::now();
    c.run(now).await;
    let (status, _) = json(
        c.app
            .patch_lead(
                lead,
                &json!({"status": "sales_ready", "status_reason": "電話で温度感を確認"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    c.run(Micros(now.0 + 4 * DAY)).await;
    assert_eq!(sink.messages().len(), 1, "no step after the handoff");
    assert_eq!(c.message_states(lead).await, ["sent", "cancelled"]);
    let report = c.report(campaign).await;
    assert_eq!(report["report"][0]["became_sql"], 1, "{report}");
    assert_eq!(report["enrollments"]["exited"], 1, "{report}");
}

#[tokio::test]
async fn opens_and_clicks_by_people_are_counted_per_step_and_scanners_are_not() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.set_sender().await;
    let lead = c.consented_lead("開封 太郎", "open@example.jp").await;
    let campaign = c.campaign(two_steps()).await;
    c.enroll(campaign, &[lead]).await;
    // As if the message had been due and gone out a minute ago (a click seconds after
    // sending would be a scanner's): its due time moved back, with a job at that time.
    let minute = 60_000_000;
    let message = c.messages_of(lead).await[0].id;
    let back = Micros::now().0 - 2 * minute;
    let mut tx = c.app.db.begin_write().await.expect("tx");
    ondo_store::campaigns::reschedule(&mut tx, c.app.ws(), message, back, back)
        .await
        .expect("reschedule");
    ondo_store::jobs::enqueue(
        &mut tx,
        c.app.ws(),
        STEP_JOB,
        &json!({ "message_id": message }),
        back,
        MAX_ATTEMPTS,
    )
    .await
    .expect("job");
    tx.commit().await.expect("commit");
    c.run(Micros(Micros::now().0 - minute)).await;
    let (text, html) = text_and_html(&sink.messages()[0]);
    let click = path_of(&text, &format!("{PUBLIC_URL}/t/c/"));
    let pixel = path_of(&html, &format!("{PUBLIC_URL}/t/o/"));
    let person =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36";
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // A security scanner first: recorded, marked, not counted.
    let resp = client
        .get(c.app.url(&click))
        .header("User-Agent", "Barracuda Sentinel (EE)")
        .send()
        .await
        .expect("scanner");
    assert_eq!(resp.status(), StatusCode::FOUND);
    let report = c.report(campaign).await;
    assert_eq!(report["report"][0]["clicked"], 0, "{report}");
    for path in [&pixel, &click] {
        let resp = client
            .get(c.app.url(path))
            .header("User-Agent", person)
            .send()
            .await
            .expect("person");
        assert!(resp.status().is_success() || resp.status() == StatusCode::FOUND);
    }
    let report = c.report(campaign).await;
    let first = &report["report"][0];
    assert_eq!(first["opened"], 1, "{report}");
    assert_eq!(first["clicked"], 1, "{report}");
}

#[tokio::test]
async fn sales_may_not_run_campaigns_and_bad_templates_are_refused_naming_the_step() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    let sales = c
        .app
        .user_with_token(c.app.ws(), "sato@example.com", Role::Sales)
        .await;
    let marketing = c
        .app
        .user_with_token(c.app.ws(), "mkt@example.com", Role::Marketing)
        .await;
    let (status, _) = c
        .post_as(
            &sales,
            "/api/v1/campaigns",
            &json!({"name": "x", "steps": two_steps()}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = c
        .post_as(
            &marketing,
            "/api/v1/campaigns",
            &json!({"name": "x", "steps": two_steps()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().expect("id");
    let (status, _) = c
        .post_as(
            &sales,
            &format!("/api/v1/campaigns/{id}/enroll"),
            &json!({"lead_ids": [1]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mut steps = two_steps();
    steps[1]["body"] = json!("{{ nme }} 様");
    let (status, body) = c
        .post("/api/v1/campaigns", &json!({"name": "x", "steps": steps}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "steps[1].body");
    let message = body["message"].as_str().expect("message");
    assert!(message.starts_with("step 2: body"), "{message}");
    assert!(message.contains("{{nme}}"), "{message}");
    let (status, body) = c
        .post(
            "/api/v1/campaigns",
            &json!({"name": "x", "steps": [{"delay_days": 0, "subject": "{% if %}", "body": "本文"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "steps[0].subject");
    let (status, list) = c.get("/api/v1/campaigns").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["campaigns"].as_array().map(Vec::len),
        Some(1),
        "nothing half-written"
    );
}

#[tokio::test]
async fn the_campaign_pages_create_preview_enrol_and_test_send_with_csrf() {
    let sink = SmtpSink::start().await;
    let c = spawn_campaigning(&sink.url).await;
    c.app
        .user_with_token(c.app.ws(), "mkt@example.com", Role::Marketing)
        .await;
    c.app
        .user_with_token(c.app.ws(), "sato@example.com", Role::Sales)
        .await;
    let crate::roles_matrix::Browser { client: b, csrf } =
        crate::roles_matrix::browser(&c.app, "mkt@example.com").await;
    let list = b.get(c.app.url("/campaigns")).send().await.expect("list");
    let html = list.text().await.expect("body");
    assert!(html.contains("キャンペーン"), "Japanese by default");
    assert!(
        html.contains("id=\"sender-missing\""),
        "the law's settings are asked for"
    );

    // The sender settings page.
    let resp = b
        .post(c.app.url("/settings/campaigns"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("sender_name", "株式会社オンド"),
            ("postal_address", ""),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("err-postal-address")
    );
    let resp = b
        .post(c.app.url("/settings/campaigns"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("sender_name", "株式会社オンド"),
            ("postal_address", "東京都千代田区丸の内1-1-1"),
            ("rate_per_minute", "30"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    // A campaign from the editor: a bad placeholder first, shown on its step.
    let form = |subject: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "資料請求フォロー".to_string()),
            ("step_0_id", String::new()),
            ("step_0_delay", "0".to_string()),
            ("step_0_window_start", String::new()),
            ("step_0_window_end", String::new()),
            ("step_0_subject", subject.to_string()),
            (
                "step_0_body",
                "{{name}} 様\n<b>資料</b>: https://example.jp/doc".to_string(),
            ),
        ]
    };
    let resp = b
        .post(c.app.url("/campaigns"))
        .form(&form("{{ nmae }} 様"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("body");
    assert!(
        html.contains("ステップ 1: 差し込み {{nmae}} はありません"),
        "{html}"
    );
    let resp = b
        .post(c.app.url("/campaigns"))
        .form(&form("{{name}} 様へ資料のご案内"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string();
    let id: i64 = location
        .trim_start_matches("/campaigns/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("the campaign's page");
    // Without the CSRF token nothing changes.
    let resp = b
        .post(c.app.url(&format!("/campaigns/{id}/enroll")))
        .form(&[("lead_ids", "1")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let lead = c
        .lead(
            json!({"name": "<script>alert(1)</script>", "email": "xss@example.jp",
                     "consent_source": "form_opt_in"}),
        )
        .await;
    let page = b
        .get(c.app.url(&format!("/campaigns/{id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    let step_id = page
        .split("name=\"preview\"")
        .nth(1)
        .and_then(|s| s.split("<option value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .expect("a step to preview")
        .to_string();
    let preview = b
        .get(
            c.app
                .url(&format!("/campaigns/{id}?preview={step_id}&lead={lead}")),
        )
        .send()
        .await
        .expect("preview")
        .text()
        .await
        .expect("body");
    assert!(preview.contains("id=\"preview-text\""), "{preview}");
    assert!(
        preview.contains("&#60;script&#62;alert(1)") || preview.contains("&lt;script&gt;alert(1)"),
        "escaped: {preview}"
    );
    assert!(!preview.contains("<script>alert(1)"), "no stored XSS");
    assert!(preview.contains("東京都千代田区丸の内1-1-1"));

    let ids = format!("{lead}, 999999");
    let resp = b
        .post(c.app.url(&format!("/campaigns/{id}/enroll")))
        .form(&[("csrf", csrf.as_str()), ("lead_ids", ids.as_str())])
        .send()
        .await
        .expect("enrol");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    assert!(html.contains("1 件を登録しました"), "{html}");
    assert!(html.contains("リードが見つかりません"), "{html}");

    let resp = b
        .post(c.app.url(&format!("/campaigns/{id}/test")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("step_id", step_id.as_str()),
            ("lead_id", ""),
        ])
        .send()
        .await
        .expect("test");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    c.run(Micros::now()).await;
    let messages = sink.messages();
    let test = sent_to(&messages, "mkt@example.com");
    assert_eq!(test.len(), 1, "the test goes to the signed-in user");
    let subject = test[0].header("Subject").expect("subject");
    assert!(
        subject.starts_with("[テスト / Test] 山田 太郎 様へ"),
        "{subject}"
    );
    let (text, _) = text_and_html(test[0]);
    assert!(
        text.contains("https://example.jp/doc"),
        "a test is not tracked: {text}"
    );
    assert_eq!(sent_to(&messages, "xss@example.jp").len(), 1);

    // The report and the English page.
    let page = b
        .get(c.app.url(&format!("/campaigns/{id}")))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(page.contains("Results by step"), "{page}");
    assert!(page.contains("data-figure=\"delivered\">1<"), "{page}");

    // Sales sees neither the list nor a campaign.
    let s = crate::roles_matrix::browser(&c.app, "sato@example.com")
        .await
        .client;
    for path in [
        "/campaigns".to_string(),
        format!("/campaigns/{id}"),
        "/settings/campaigns".into(),
    ] {
        let resp = s.get(c.app.url(&path)).send().await.expect("page");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
    }
}
