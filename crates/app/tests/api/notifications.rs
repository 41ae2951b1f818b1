//! Handoff notifications: a lead made sales-ready by its events is mailed to its new
//! owner (a real SMTP server on 127.0.0.1) and posted to webhook channels (a real HTTP
//! receiver), signed; failures are retried later and given up after the last attempt,
//! visibly; the settings page is for admins and managers, with CSRF; and a notification
//! exists only when the change that asked for it was committed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use ondo_app::Application;
use ondo_domain::{Micros, Role};
use ondo_jobs::notify::{self, webhook};
use ondo_jobs::worker::{WorkerContext, run_due};
use ondo_store::Db;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, hidden_value};
use crate::smtp_sink::SmtpSink;

const PUBLIC_URL: &str = "https://ondo.example.jp";

/// The application with its job worker stopped (the test runs due jobs itself), mail
/// going to a local SMTP sink when `smtp`, and links pointing at [`PUBLIC_URL`].
struct Notifying {
    app: TestApp,
    worker: WorkerContext,
    sink: SmtpSink,
}

async fn spawn_notifying(smtp: bool) -> Notifying {
    let sink = SmtpSink::start().await;
    let db_url = ondo_store::testing::fresh_url().await;
    let db = Db::connect(&db_url).await.expect("test database");
    let workspace = ondo_store::workspaces::ensure(&db, "default")
        .await
        .expect("workspace");
    let web = ondo_web::WebConfig {
        fast_password_hashing: true,
        public_url: Some(PUBLIC_URL.into()),
        smtp_url: smtp.then(|| sink.url.clone()),
        smtp_from: Some("Ondo <ondo@example.jp>".into()),
        ..Default::default()
    };
    let app = Application::build(db.clone(), workspace.clone(), "127.0.0.1:0", web)
        .await
        .expect("app builds")
        .without_job_worker();
    let worker = app.worker_context();
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let mut app = TestApp {
        address,
        db,
        db_url,
        workspace,
        client: browser(),
        token: String::new(),
    };
    app.token = app
        .user_with_token(app.ws(), "admin@example.com", Role::Admin)
        .await;
    Notifying { app, worker, sink }
}

/// A client with its own cookies, like one person's browser.
fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// Signs `email` in with a fresh browser and returns it.
async fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = browser();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    let csrf = hidden_value(&page, "csrf").expect("the login form has a CSRF token");
    let resp = client
        .post(app.url("/login"))
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/leads"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{email} signs in");
    client
}

async fn settings(app: &TestApp, client: &Client) -> (StatusCode, String) {
    let resp = client
        .get(app.url("/settings/notifications"))
        .send()
        .await
        .expect("page");
    (resp.status(), resp.text().await.expect("body"))
}

/// Posts a form to the settings page with the page's CSRF token.
async fn post_settings(
    app: &TestApp,
    client: &Client,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, page) = settings(app, client).await;
    let csrf = hidden_value(&page, "csrf").expect("the page has a CSRF token");
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend_from_slice(fields);
    let resp = client
        .post(app.url("/settings/notifications"))
        .form(&form)
        .send()
        .await
        .expect("post");
    (resp.status(), resp.text().await.expect("body"))
}

/// The value of the input with this id.
fn input_value(html: &str, id: &str) -> Option<String> {
    let pos = html.find(&format!("id=\"{id}\""))?;
    let tag_start = html[..pos].rfind('<')?;
    let tag = &html[tag_start..pos + html[pos..].find('>')?];
    let v = tag.find("value=\"")? + "value=\"".len();
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

/// Adds a channel through the page; returns its secret (json channels) and id.
async fn add_channel(
    app: &TestApp,
    client: &Client,
    name: &str,
    kind: &str,
    url: &str,
) -> (i64, Option<String>) {
    let (status, page) = post_settings(
        app,
        client,
        &[
            ("action", "add"),
            ("name", name),
            ("kind", kind),
            ("url", url),
        ],
    )
    .await;
    assert!(
        status == StatusCode::OK || status == StatusCode::SEE_OTHER,
        "{status}: {page}"
    );
    let secret = input_value(&page, "secret-value");
    assert_eq!(secret.is_some(), kind == "json", "{page}");
    let channels = ondo_store::notifications::list(&app.db, app.ws())
        .await
        .expect("channels");
    let id = channels
        .iter()
        .rev()
        .find(|c| c.name == name)
        .expect("the channel was stored")
        .id;
    (id, secret)
}

/// What a webhook receiver got.
#[derive(Clone, Debug)]
struct Hit {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Hit {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct ReceiverState {
    hits: Mutex<Vec<Hit>>,
    /// Statuses to answer, in order; 200 once they run out (or `always` when set).
    answers: Mutex<VecDeque<u16>>,
    always: Option<u16>,
}

/// A real HTTP server on 127.0.0.1 that records the webhooks it receives.
struct Receiver {
    url: String,
    state: Arc<ReceiverState>,
}

impl Receiver {
    async fn start(answers: &[u16], always: Option<u16>) -> Receiver {
        let state = Arc::new(ReceiverState {
            hits: Mutex::new(Vec::new()),
            answers: Mutex::new(answers.iter().copied().collect()),
            always,
        });
        async fn hook(
            State(s): State<Arc<ReceiverState>>,
            headers: HeaderMap,
            body: axum::body::Bytes,
        ) -> AxumStatus {
            s.hits.lock().expect("lock").push(Hit {
                headers,
                body: body.to_vec(),
            });
            let code = s
                .always
                .or_else(|| s.answers.lock().expect("lock").pop_front())
                .unwrap_or(200);
            AxumStatus::from_u16(code).expect("a status")
        }
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, state }
    }

    fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().expect("lock").clone()
    }
}

/// RFC 3339 time `days` days before now.
fn ago(days: i64) -> String {
    Micros::now()
        .saturating_add(-Micros::days(days) - 1_000_000)
        .to_rfc3339()
}

/// A lead with a company and a department that downloads a document and comes back
/// twice: the SQL rule hands it to sales. Returns its id.
async fn lead_made_sales_ready(app: &TestApp, n: usize, name: &str, company: &str) -> i64 {
    let resp = app
        .post_lead(
            &json!({"name": name, "email": format!("p{n}@corp{n}.example.jp"),
                           "company": company, "department": "情報システム部"}),
        )
        .await;
    let (status, lead) = crate::helpers::json(resp).await;
    assert!(status.is_success(), "{lead}");
    let id = lead["id"].as_i64().expect("id");
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.token)
        .json(&json!([
            {"id": format!("d{n}"), "type": "download", "at": ago(3), "lead_id": id, "url": "/documents/guide.pdf"},
            {"id": format!("v{n}a"), "type": "page_view", "at": ago(2), "lead_id": id, "url": "/product/"},
            {"id": format!("v{n}b"), "type": "page_view", "at": ago(1), "lead_id": id, "url": "/product/pricing"},
        ]))
        .send()
        .await
        .expect("events");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, lead) = crate::helpers::json(app.get_lead(&app.token, id).await).await;
    assert_eq!(lead["status"], "sales_ready", "{lead}");
    id
}

async fn latest_job(app: &TestApp, kind: &str) -> ondo_store::jobs::Job {
    ondo_store::jobs::latest(&app.db, app.ws(), kind)
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("a {kind} job"))
}

/// Needs the handoff to queue its notifications: `ondo_jobs::scoring::lead::rescore`
/// calls `ondo_jobs::notify::enqueue_handoff` when a rule hands a lead to sales.
#[tokio::test]
async fn a_lead_made_sales_ready_is_mailed_to_its_owner_and_posted_to_each_channel() {
    let n = spawn_notifying(true).await;
    let app = &n.app;
    app.user_with_token(app.ws(), "sales-a@example.com", Role::Sales)
        .await;
    app.user_with_token(app.ws(), "sales-b@example.com", Role::Sales)
        .await;
    let sales_b = ondo_store::users::find_by_email(&app.db, app.ws(), "sales-b@example.com")
        .await
        .expect("read")
        .expect("sales-b");
    ondo_store::users::set_locale(&app.db, app.ws(), sales_b.id, Some("en"))
        .await
        .expect("locale");
    let json_hook = Receiver::start(&[], None).await;
    let slack_hook = Receiver::start(&[], None).await;
    let admin = signed_in(app, "admin@example.com").await;
    let (_, secret) = add_channel(app, &admin, "Sales JSON", "json", &json_hook.url).await;
    let secret = secret.expect("the secret is shown once");
    add_channel(app, &admin, "Sales Slack", "slack", &slack_hook.url).await;
    // The secret is not shown again.
    let (_, page) = settings(app, &admin).await;
    assert!(!page.contains(&secret));

    // Company names are untrusted text: one tries to mention everyone in Slack.
    let first = lead_made_sales_ready(app, 0, "高橋 一", "株式会社テスト <!channel>").await;
    let second = lead_made_sales_ready(app, 1, "伊藤 二", "Example & Co").await;

    let ran = run_due(&n.worker, Micros::now()).await.expect("jobs run");
    assert_eq!(ran, 6, "an email and two webhooks per lead");

    // One email each, to the owner, in the owner's language.
    let mails = n.sink.messages();
    assert_eq!(mails.len(), 2, "{mails:?}");
    let to_a = mails
        .iter()
        .find(|m| m.rcpt_to == ["sales-a@example.com"])
        .expect("a message to sales-a");
    let subject = to_a.header("Subject").expect("a subject");
    assert!(subject.contains("高橋 一"), "{subject}");
    assert!(subject.contains("営業渡し"), "{subject}");
    let body = to_a.body();
    assert!(body.contains("高橋 一"), "{body}");
    assert!(body.contains("株式会社テスト"), "{body}");
    assert!(body.contains("理由: "), "{body}");
    assert!(
        body.contains("資料"),
        "the reason names the download: {body}"
    );
    assert!(
        body.contains(&format!("{PUBLIC_URL}/leads/{first}")),
        "{body}"
    );
    assert_eq!(to_a.mail_from, "ondo@example.jp");
    assert!(
        to_a.header("From")
            .is_some_and(|f| f.contains("ondo@example.jp"))
    );
    let to_b = mails
        .iter()
        .find(|m| m.rcpt_to == ["sales-b@example.com"])
        .expect("a message to sales-b");
    let body = to_b.body();
    assert!(
        to_b.header("Subject")
            .is_some_and(|s| s.contains("Sales-ready: 伊藤 二"))
    );
    assert!(body.to_lowercase().contains("download"), "{body}");
    assert!(
        body.contains(&format!("{PUBLIC_URL}/leads/{second}")),
        "{body}"
    );

    // The JSON channel got signed bodies that verify with the secret.
    let hits = json_hook.hits();
    assert_eq!(hits.len(), 2);
    for hit in &hits {
        let timestamp = hit.header(webhook::TIMESTAMP_HEADER);
        let signature = hit.header(webhook::SIGNATURE_HEADER);
        assert!(signature.starts_with("sha256="), "{signature}");
        assert!(webhook::verify(&secret, &timestamp, &hit.body, &signature));
        assert!(!webhook::verify("wrong", &timestamp, &hit.body, &signature));
        assert_eq!(hit.json()["event"], "lead.sales_ready");
    }
    let body = hits
        .iter()
        .map(Hit::json)
        .find(|b| b["lead_id"] == first)
        .expect("the first lead's body");
    assert_eq!(body["name"], "高橋 一");
    assert_eq!(body["company"], "株式会社テスト <!channel>");
    assert_eq!(body["owner"]["email"], "sales-a@example.com");
    assert_eq!(body["url"], format!("{PUBLIC_URL}/leads/{first}"));
    assert!(body["reason"].as_str().is_some_and(|r| r.contains("資料")));

    // The Slack channel got text with a link to the lead and no mention.
    let texts: Vec<String> = slack_hook
        .hits()
        .iter()
        .map(|h| h.json()["text"].as_str().expect("text").to_string())
        .collect();
    assert_eq!(texts.len(), 2);
    let text = texts
        .iter()
        .find(|t| t.contains("高橋 一"))
        .expect("the first lead");
    assert!(
        text.contains(&format!("<{PUBLIC_URL}/leads/{first}|高橋 一>")),
        "{text}"
    );
    assert!(!text.contains("<!channel>"), "{text}");
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    assert!(texts.iter().any(|t| t.contains("Example &amp; Co")));

    // Nothing is sent twice, and the page shows every notification as sent.
    assert_eq!(run_due(&n.worker, Micros::now()).await.expect("run"), 0);
    let (_, page) = settings(app, &admin).await;
    assert_eq!(page.matches("data-state=\"done\"").count(), 6, "{page}");
    assert_eq!(page.matches("送信しました").count(), 6);
}

#[tokio::test]
async fn a_webhook_answering_500_is_retried_later_and_then_delivered() {
    let n = spawn_notifying(false).await;
    let app = &n.app;
    let hook = Receiver::start(&[500], None).await;
    let admin = signed_in(app, "admin@example.com").await;
    let (id, secret) =
        add_channel(app, &admin, "<script>alert(1)</script>", "json", &hook.url).await;
    let secret = secret.expect("a secret");
    let (_, page) = settings(app, &admin).await;
    assert!(
        page.contains("&lt;script&gt;alert(1)") || page.contains("&#60;script&#62;alert(1)"),
        "the name is shown escaped"
    );
    assert!(!page.contains("<script>alert(1)"));

    let (status, _) = post_settings(
        app,
        &admin,
        &[("action", "test"), ("channel_id", &id.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let now = Micros::now();
    assert_eq!(run_due(&n.worker, now).await.expect("run"), 1);
    assert_eq!(hook.hits().len(), 1);
    let job = latest_job(app, notify::WEBHOOK).await;
    assert_eq!(job.state, "queued");
    assert_eq!(job.attempts, 1);
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("HTTP 500")),
        "{job:?}"
    );
    assert!(job.run_at > now.0, "retried later, not at once");
    let (_, page) = settings(app, &admin).await;
    assert!(page.contains("HTTP 500"), "the error is shown");
    assert!(page.contains("次の再送"));

    // Not yet due: nothing runs.
    assert_eq!(run_due(&n.worker, now).await.expect("run"), 0);
    assert_eq!(hook.hits().len(), 1);
    // After the backoff the retry goes through.
    let later = Micros(job.run_at);
    assert_eq!(run_due(&n.worker, later).await.expect("run"), 1);
    let hits = hook.hits();
    assert_eq!(hits.len(), 2);
    let hit = &hits[1];
    assert!(webhook::verify(
        &secret,
        &hit.header(webhook::TIMESTAMP_HEADER),
        &hit.body,
        &hit.header(webhook::SIGNATURE_HEADER)
    ));
    assert_eq!(hit.json()["event"], "test");
    let job = latest_job(app, notify::WEBHOOK).await;
    assert_eq!((job.state.as_str(), job.attempts), ("done", 2));
    let (_, page) = settings(app, &admin).await;
    assert!(page.contains("送信しました"));
}

#[tokio::test]
async fn a_webhook_that_keeps_failing_fails_after_its_last_attempt_and_shows_why() {
    let n = spawn_notifying(false).await;
    let app = &n.app;
    let hook = Receiver::start(&[], Some(503)).await;
    let manager_token = app
        .user_with_token(app.ws(), "manager@example.com", Role::Manager)
        .await;
    assert!(!manager_token.is_empty());
    let manager = signed_in(app, "manager@example.com").await;
    let (id, _) = add_channel(app, &manager, "Broken", "slack", &hook.url).await;
    post_settings(
        app,
        &manager,
        &[("action", "test"), ("channel_id", &id.to_string())],
    )
    .await;
    let mut now = Micros::now();
    for attempt in 1..=notify::MAX_ATTEMPTS {
        assert_eq!(
            run_due(&n.worker, now).await.expect("run"),
            1,
            "attempt {attempt}"
        );
        now = now.saturating_add(Micros::hours(2));
    }
    assert_eq!(hook.hits().len(), notify::MAX_ATTEMPTS as usize);
    let job = latest_job(app, notify::WEBHOOK).await;
    assert_eq!(job.state, "failed");
    assert_eq!(job.attempts, notify::MAX_ATTEMPTS);
    assert_eq!(run_due(&n.worker, now).await.expect("run"), 0, "given up");
    let (_, page) = settings(app, &manager).await;
    let row = &page[page
        .find(&format!("id=\"job-{}\"", job.id))
        .expect("the job's row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(row.contains("data-state=\"failed\""), "{row}");
    assert!(row.contains("失敗"), "{row}");
    assert!(
        row.contains(&format!("{0} / {0}", notify::MAX_ATTEMPTS)),
        "{row}"
    );
    assert!(row.contains("HTTP 503"), "{row}");
}

#[tokio::test]
async fn a_notification_exists_only_when_its_handoff_commits() {
    let n = spawn_notifying(false).await;
    let app = &n.app;
    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    let owner = ondo_store::users::find_by_email(&app.db, app.ws(), "sales@example.com")
        .await
        .expect("read")
        .expect("owner");
    let hook = Receiver::start(&[], None).await;
    let admin = signed_in(app, "admin@example.com").await;
    add_channel(app, &admin, "Slack", "slack", &hook.url).await;
    let (_, lead) = crate::helpers::json(
        app.post_lead(&json!({"name": "山本 三郎", "email": "yamamoto@abc.example.jp"}))
            .await,
    )
    .await;
    let lead_id = lead["id"].as_i64().expect("id");

    let mut tx = app.db.begin_write().await.expect("tx");
    let ids = notify::enqueue_handoff(&mut tx, app.ws(), lead_id, owner.id)
        .await
        .expect("queued");
    assert_eq!(ids.len(), 2, "an email and one webhook");
    tx.rollback().await.expect("rollback");
    for id in &ids {
        assert_eq!(
            ondo_store::jobs::get(&app.db, app.ws(), *id)
                .await
                .expect("read"),
            None
        );
    }
    assert_eq!(run_due(&n.worker, Micros::now()).await.expect("run"), 0);
    assert!(hook.hits().is_empty());

    let mut tx = app.db.begin_write().await.expect("tx");
    let ids = notify::enqueue_handoff(&mut tx, app.ws(), lead_id, owner.id)
        .await
        .expect("queued");
    tx.commit().await.expect("commit");
    assert_eq!(run_due(&n.worker, Micros::now()).await.expect("run"), 2);
    assert_eq!(hook.hits().len(), 1);
    // Without an SMTP server the email job is done, saying nothing was sent.
    let email = ids[0];
    let report = ondo_store::jobs::get_report(&app.db, app.ws(), email)
        .await
        .expect("read")
        .expect("the email job");
    assert_eq!(report.job.kind, notify::EMAIL);
    assert_eq!(report.job.state, "done");
    assert_eq!(report.result.as_deref(), Some(notify::SKIPPED_NO_SMTP));
    let (_, page) = settings(app, &admin).await;
    assert!(page.contains("data-configured=\"false\""));
    assert!(
        page.contains("未送信: SMTP サーバーが設定されていません"),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/leads/{lead_id}\">山本 三郎</a>")));
    assert!(n.sink.messages().is_empty());
}

#[tokio::test]
async fn only_admins_and_managers_manage_notifications_and_every_change_needs_the_token() {
    let n = spawn_notifying(true).await;
    let app = &n.app;
    for (email, role) in [
        ("sales@example.com", Role::Sales),
        ("marketing@example.com", Role::Marketing),
        ("manager@example.com", Role::Manager),
    ] {
        app.user_with_token(app.ws(), email, role).await;
    }
    let hook = Receiver::start(&[], None).await;
    for email in ["sales@example.com", "marketing@example.com"] {
        let client = signed_in(app, email).await;
        let (status, _) = settings(app, &client).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{email}");
        // Their own valid token from another page does not help.
        let page = client
            .get(app.url("/leads"))
            .send()
            .await
            .expect("leads")
            .text()
            .await
            .expect("body");
        let csrf = hidden_value(&page, "csrf").expect("csrf");
        let resp = client
            .post(app.url("/settings/notifications"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("action", "add"),
                ("name", "x"),
                ("kind", "slack"),
                ("url", hook.url.as_str()),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{email}");
    }
    let manager = signed_in(app, "manager@example.com").await;
    let (status, page) = settings(app, &manager).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("data-configured=\"true\""),
        "SMTP is shown as set up"
    );
    assert!(page.contains(&n.sink.url.replace("smtp://", "")));
    assert!(page.contains(PUBLIC_URL));

    // Without the token, with a wrong one, or from another site: refused, nothing stored.
    let add = |csrf: &'static str| {
        vec![
            ("csrf", csrf),
            ("action", "add"),
            ("name", "Sales"),
            ("kind", "slack"),
        ]
    };
    for form in [add(""), add("not-the-token")] {
        let mut form = form;
        form.push(("url", "https://hooks.example.jp/x"));
        let resp = manager
            .post(app.url("/settings/notifications"))
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    }
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let resp = manager
        .post(app.url("/settings/notifications"))
        .header("Origin", "https://evil.example")
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "add"),
            ("name", "Sales"),
            ("kind", "slack"),
            ("url", "https://hooks.example.jp/x"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        ondo_store::notifications::list(&app.db, app.ws())
            .await
            .expect("list")
            .is_empty()
    );

    // Bad input is refused field by field, and nothing is stored.
    let (status, page) = post_settings(
        app,
        &manager,
        &[
            ("action", "add"),
            ("name", ""),
            ("kind", "slack"),
            ("url", "javascript:alert(1)"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("名前を入力してください"));
    assert!(page.contains("https:// または http:// で始まる URL を入力してください"));
    assert!(
        ondo_store::notifications::list(&app.db, app.ws())
            .await
            .expect("list")
            .is_empty()
    );

    // A channel of another workspace cannot be touched.
    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("workspace")
        .id();
    let foreign = ondo_store::notifications::create(
        &app.db,
        other,
        &ondo_store::notifications::NewChannel {
            name: "Theirs".into(),
            kind: "slack".into(),
            url: hook.url.clone(),
            secret: None,
        },
        &ondo_store::Actor::system("test"),
    )
    .await
    .expect("channel");
    for action in ["toggle", "remove", "test"] {
        let (status, _) = post_settings(
            app,
            &manager,
            &[
                ("action", action),
                ("channel_id", &foreign.id.to_string()),
                ("active", "false"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    let theirs = ondo_store::notifications::get(&app.db, other, foreign.id)
        .await
        .expect("still there");
    assert!(theirs.active);
    assert_eq!(run_due(&n.worker, Micros::now()).await.expect("run"), 0);
    assert!(hook.hits().is_empty());

    // Switching a channel off, then removing it.
    let (id, _) = add_channel(app, &manager, "Sales", "slack", &hook.url).await;
    let (status, _) = post_settings(
        app,
        &manager,
        &[
            ("action", "toggle"),
            ("channel_id", &id.to_string()),
            ("active", "false"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = settings(app, &manager).await;
    assert!(page.contains("停止中"));
    let (status, _) = post_settings(
        app,
        &manager,
        &[("action", "remove"), ("channel_id", &id.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        ondo_store::notifications::list(&app.db, app.ws())
            .await
            .expect("list")
            .is_empty()
    );

    // The test email goes to the signed-in manager through the SMTP server.
    post_settings(app, &manager, &[("action", "test_email")]).await;
    assert_eq!(run_due(&n.worker, Micros::now()).await.expect("run"), 1);
    let mails = n.sink.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, ["manager@example.com"]);
    assert!(
        mails[0]
            .body()
            .contains(&format!("{PUBLIC_URL}/settings/notifications"))
    );
}
