//! Speed-to-lead: a lead handed to sales and not called, emailed or met within the
//! window of business minutes alerts its owner and the managers — on their "today" page
//! and by email through a real SMTP server — once; a lead that was touched raises
//! nothing; and the window is set on the notification settings page.

use ondo_app::Application;
use ondo_domain::business_hours::BusinessHours;
use ondo_domain::{Micros, Role};
use ondo_jobs::speed_to_lead::sweep;
use ondo_jobs::worker::{WorkerContext, run_due};
use ondo_store::Db;
use ondo_store::workflow_settings::SPEED_TO_LEAD_ALERT;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, hidden_value, json};
use crate::smtp_sink::SmtpSink;
use crate::tasks::{get_page, section, signed_in};

/// The application with its job worker stopped (the test runs due jobs itself) and mail
/// going to a local SMTP sink.
async fn spawn() -> (TestApp, WorkerContext, SmtpSink) {
    let sink = SmtpSink::start().await;
    let db_url = ondo_store::testing::fresh_url().await;
    let db = Db::connect(&db_url).await.expect("test database");
    let workspace = ondo_store::workspaces::ensure(&db, "default")
        .await
        .expect("workspace");
    let web = ondo_web::WebConfig {
        fast_password_hashing: true,
        public_url: Some("https://ondo.example.jp".into()),
        smtp_url: Some(sink.url.clone()),
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
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    let mut app = TestApp {
        address,
        db,
        db_url,
        workspace,
        client,
        token: String::new(),
    };
    app.token = app
        .user_with_token(app.ws(), "admin@example.com", Role::Admin)
        .await;
    (app, worker, sink)
}

/// A lead handed to `owner` (PATCH status sales_ready with the owner); evaluates to the
/// lead's id and when it became sales-ready.
async fn handed_over(app: &TestApp, name: &str, owner: &str) -> (i64, Micros) {
    let (status, lead) = json(
        app.post_lead(&json!({"name": name, "company": "株式会社テスト"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    let id = lead["id"].as_i64().expect("id");
    let (status, body) = json(
        app.patch_lead(id, &json!({"status": "sales_ready", "owner": owner}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "sales_ready");
    let history = ondo_store::leads::status_history(&app.db, app.ws(), id)
        .await
        .expect("history");
    let change = history
        .iter()
        .filter(|h| h.to_status == "sales_ready")
        .max_by_key(|h| h.changed_at)
        .expect("the change is recorded");
    (id, Micros(change.changed_at))
}

/// One business minute after the default window (60 business minutes) of `at`.
fn past_window(at: Micros) -> Micros {
    BusinessHours::default()
        .add_minutes(at, 60)
        .saturating_add(Micros::minutes(1))
}

#[tokio::test]
async fn an_untouched_handoff_alerts_the_owner_and_the_manager_once() {
    let (app, worker, sink) = spawn().await;
    app.user_with_token(app.ws(), "rep@example.com", Role::Sales)
        .await;
    app.user_with_token(app.ws(), "boss@example.com", Role::Manager)
        .await;
    app.user_with_token(app.ws(), "other@example.com", Role::Sales)
        .await;
    let (quiet, at) = handed_over(&app, "放置 太郎", "rep@example.com").await;
    let (touched, _) = handed_over(&app, "対応 済子", "rep@example.com").await;
    let (status, _) = json(
        app.client
            .post(app.url(&format!("/api/v1/leads/{touched}/activities")))
            .bearer_auth(&app.token)
            .json(&json!({"type": "call", "outcome": "担当者と会話"}))
            .send()
            .await
            .expect("activity"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // The handoff emails of the PATCH go out first.
    run_due(&worker, Micros::now()).await.expect("jobs");
    let before = sink.messages().len();

    // Inside the window nothing happens.
    let inside = BusinessHours::default().add_minutes(at, 30);
    assert_eq!(sweep(&app.db, inside).await.expect("sweep"), 0);

    let now = past_window(at);
    assert_eq!(
        sweep(&app.db, now).await.expect("sweep"),
        1,
        "one miss: the quiet lead"
    );
    assert_eq!(sweep(&app.db, now).await.expect("sweep"), 0, "raised once");
    assert_eq!(
        sweep(&app.db, now.saturating_add(Micros::days(1)))
            .await
            .expect("sweep"),
        0
    );
    let history_id = ondo_store::leads::status_history(&app.db, app.ws(), quiet)
        .await
        .expect("history")
        .iter()
        .filter(|h| h.to_status == "sales_ready")
        .max_by_key(|h| h.changed_at)
        .expect("change")
        .id;
    let alerted = ondo_store::alerts::by_key(
        &app.db,
        app.ws(),
        SPEED_TO_LEAD_ALERT,
        &history_id.to_string(),
    )
    .await
    .expect("alerts");
    assert_eq!(alerted.len(), 2, "the owner and the manager: {alerted:?}");
    assert!(alerted.iter().all(|a| a.lead_id == Some(quiet)));

    // Both see it on their "today" page; another salesperson and the admin do not.
    for email in ["rep@example.com", "boss@example.com"] {
        let browser = signed_in(&app, email).await;
        let (_, page) = get_page(&app, &browser, "/tasks").await;
        let alerts = section(&page, "alerts");
        assert!(alerts.contains("放置 太郎"), "{email}: {alerts}");
        assert!(alerts.contains("1 営業時間以内の対応"), "{email}: {alerts}");
        assert!(
            !alerts.contains("対応 済子"),
            "the touched lead raised nothing"
        );
    }
    for email in ["other@example.com", "admin@example.com"] {
        let browser = signed_in(&app, email).await;
        let (_, page) = get_page(&app, &browser, "/tasks").await;
        assert!(!page.contains("id=\"alerts\""), "{email} has no alert");
    }

    // An email reaches each of them.
    let ran = run_due(&worker, now).await.expect("jobs");
    assert_eq!(ran, 2, "one email per alert, no webhook channel");
    let mails = sink.messages();
    let new: Vec<_> = mails[before..].to_vec();
    let mut to: Vec<String> = new.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    to.sort();
    assert_eq!(to, ["boss@example.com", "rep@example.com"]);
    for m in &new {
        let subject = m.header("Subject").expect("subject");
        assert!(subject.contains("放置 太郎"), "{subject}");
        assert!(subject.contains("未対応の営業渡し"), "{subject}");
        assert!(
            m.body()
                .contains(&format!("https://ondo.example.jp/leads/{quiet}"))
        );
    }

    // The owner marks it read: it leaves their page, not the manager's.
    let rep = ondo_store::users::find_by_email(&app.db, app.ws(), "rep@example.com")
        .await
        .expect("read")
        .expect("rep");
    let rep_alert = alerted
        .iter()
        .find(|a| a.user_id == rep.id)
        .expect("the owner's alert");
    let browser = signed_in(&app, "rep@example.com").await;
    let (_, page) = get_page(&app, &browser, "/tasks").await;
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let forged = browser
        .post(app.url(&format!("/alerts/{}/read", rep_alert.id)))
        .form(&[("csrf", "forged"), ("next", "/tasks")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let resp = browser
        .post(app.url(&format!("/alerts/{}/read", rep_alert.id)))
        .form(&[("csrf", csrf.as_str()), ("next", "/tasks")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = get_page(&app, &browser, "/tasks").await;
    assert!(!page.contains("id=\"alerts\""), "{page}");
    let boss = signed_in(&app, "boss@example.com").await;
    let (_, page) = get_page(&app, &boss, "/tasks").await;
    assert!(section(&page, "alerts").contains("放置 太郎"));
    // Nobody marks another's alert read.
    let (_, page) = get_page(&app, &boss, "/tasks").await;
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let resp = boss
        .post(app.url(&format!("/alerts/{}/read", rep_alert.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_window_is_set_on_the_notification_settings_page() {
    let (app, _worker, _sink) = spawn().await;
    app.user_with_token(app.ws(), "boss@example.com", Role::Manager)
        .await;
    app.user_with_token(app.ws(), "rep@example.com", Role::Sales)
        .await;
    let rep = signed_in(&app, "rep@example.com").await;
    let (status, _) = get_page(&app, &rep, "/settings/notifications").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let boss = signed_in(&app, "boss@example.com").await;
    let (status, page) = get_page(&app, &boss, "/settings/notifications").await;
    assert_eq!(status, StatusCode::OK);
    let speed = section(&page, "speed-to-lead");
    assert!(
        speed.contains("value=\"60\"")
            && speed.contains("value=\"09:00\"")
            && speed.contains("value=\"18:00\""),
        "{speed}"
    );
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let post = |fields: Vec<(&'static str, String)>| {
        let boss = boss.clone();
        let url = app.url("/settings/notifications");
        async move { boss.post(url).form(&fields).send().await.expect("post") }
    };
    let resp = post(vec![
        ("csrf", csrf.clone()),
        ("action", "speed".into()),
        ("speed_to_lead_minutes", "abc".into()),
        ("day_start", "19:00".into()),
        ("day_end", "10:00".into()),
    ])
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.expect("body");
    assert!(
        page.contains("1 から 4800 までの分数を入力してください"),
        "{page}"
    );
    assert!(page.contains("営業終了は営業開始より後にしてください"));
    assert_eq!(
        ondo_store::workflow_settings::get(&app.db, app.ws())
            .await
            .expect("settings")
            .speed_to_lead_minutes,
        60,
        "nothing saved"
    );
    let resp = post(vec![
        ("csrf", "forged".into()),
        ("action", "speed".into()),
        ("speed_to_lead_minutes", "5".into()),
        ("day_start", "10:00".into()),
        ("day_end", "19:00".into()),
    ])
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post(vec![
        ("csrf", csrf.clone()),
        ("action", "speed".into()),
        ("speed_to_lead_minutes", "30".into()),
        ("day_start", "10:00".into()),
        ("day_end", "19:00".into()),
    ])
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let s = ondo_store::workflow_settings::get(&app.db, app.ws())
        .await
        .expect("settings");
    assert_eq!(
        (
            s.speed_to_lead_minutes,
            s.day_start_minute,
            s.day_end_minute
        ),
        (30, 600, 1140)
    );
    let (_, page) = get_page(&app, &boss, "/settings/notifications?done=speed").await;
    assert!(page.contains("スピード対応の設定を保存しました"));
    assert!(section(&page, "speed-to-lead").contains("value=\"30\""));

    // The sweep counts the new window: 30 business minutes from the handoff.
    let (_, at) = handed_over(&app, "早い 対応", "rep@example.com").await;
    let hours = BusinessHours::new(600, 1140).expect("hours");
    let due = hours.add_minutes(at, 30);
    assert_eq!(sweep(&app.db, Micros(due.0 - 1)).await.expect("sweep"), 0);
    assert_eq!(sweep(&app.db, due).await.expect("sweep"), 1);
}
