//! Working a lead in the browser's pages: a call logged in two clicks from the queue or
//! the lead page, other activities, a status change that needs a lost reason, and a won
//! lead turning its company into a customer with an account page.

use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app};

async fn signed_in(app: &TestApp, email: &str, role: Role) -> String {
    app.user_with_token(app.ws(), email, role).await;
    let resp = app.sign_in(email, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = app.page("/queue").await;
    hidden_value(&page, "csrf").expect("csrf")
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("request")
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn lead(app: &TestApp, body: serde_json::Value) -> i64 {
    let (status, lead) = json(app.post_lead(&body).await).await;
    assert!(status.is_success(), "{status}: {lead}");
    lead["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_call_is_logged_in_two_clicks_from_the_lead_page_and_the_queue() {
    let app = spawn_app().await;
    let csrf = signed_in(&app, "rep@example.com", Role::Sales).await;
    let id = lead(
        &app,
        json!({"name": "佐藤 花子", "email": "sato@acme.co.jp", "company": "株式会社アクメ",
               "owner": "rep@example.com", "status": "sales_ready"}),
    )
    .await;

    let page = app.page(&format!("/leads/{id}")).await;
    assert!(page.contains("id=\"log-call\""), "{page}");
    for outcome in [
        "不在",
        "受付ブロック",
        "担当者と会話",
        "アポ獲得",
        "資料送付",
    ] {
        assert!(
            page.contains(&format!("name=\"outcome\" value=\"{outcome}\"")),
            "{outcome} is a button: {page}"
        );
    }
    // The second click: the outcome button posts the call (with the note typed before).
    let resp = post(
        &app,
        &format!("/leads/{id}/activities"),
        &[
            ("csrf", &csrf),
            ("type", "call"),
            ("outcome", "アポ獲得"),
            ("note", "来週火曜 <b>14時</b>"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with(&format!("/leads/{id}?done=activity")));
    let page = app.page(&format!("/leads/{id}?done=activity")).await;
    assert!(page.contains("記録しました。"), "{page}");
    assert!(page.contains("電話: アポ獲得"), "on the timeline: {page}");
    assert!(
        page.contains("来週火曜 &#60;b&#62;14時&#60;/b&#62;"),
        "escaped: {page}"
    );
    assert!(!page.contains("<b>14時</b>"));

    // The temperature the rep saw is kept with the activity, for the reports.
    let acts = ondo_store::activities::for_lead(&app.db, app.ws(), id)
        .await
        .expect("activities");
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].outcome.as_deref(), Some("アポ獲得"));
    assert!(
        matches!(
            acts[0].temperature.as_deref(),
            Some("hot" | "warm" | "cold")
        ),
        "{:?}",
        acts[0].temperature
    );

    // From the queue: open "架電を記録", press the outcome; back to the queue.
    let queue = app.page("/queue").await;
    assert!(
        queue.contains(&format!("action=\"/leads/{id}/activities\"")),
        "{queue}"
    );
    let resp = post(
        &app,
        &format!("/leads/{id}/activities"),
        &[
            ("csrf", &csrf),
            ("type", "call"),
            ("outcome", "不在"),
            ("next", "/queue"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/queue");
    let queue = app.page("/queue").await;
    assert!(
        queue.contains("電話（不在）"),
        "last activity shown: {queue}"
    );

    // Other kinds, and refusals.
    let resp = post(
        &app,
        &format!("/leads/{id}/activities"),
        &[
            ("csrf", &csrf),
            ("type", "meeting"),
            ("note", "オンライン商談"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = post(
        &app,
        &format!("/leads/{id}/activities"),
        &[("csrf", "forged"), ("type", "call"), ("outcome", "不在")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post(
        &app,
        "/leads/999999/activities",
        &[("csrf", &csrf), ("type", "call"), ("outcome", "不在")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let acts = ondo_store::activities::for_lead(&app.db, app.ws(), id)
        .await
        .expect("activities");
    assert_eq!(acts.len(), 3, "the forged post logged nothing");

    // English labels for the same outcomes.
    let en = app
        .client
        .get(app.url(&format!("/leads/{id}")))
        .header("accept-language", "en")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(en.contains("Meeting booked"), "{en}");
    assert!(en.contains("Log activity"), "{en}");
}

#[tokio::test]
async fn lost_needs_a_reason_from_the_list_and_won_makes_a_customer() {
    let app = spawn_app().await;
    let csrf = signed_in(&app, "mgr@example.com", Role::Manager).await;
    let id = lead(
        &app,
        json!({"name": "田中 一郎", "email": "tanaka@beta.co.jp", "company": "ベータ工業株式会社",
               "status": "opportunity"}),
    )
    .await;
    let colleague = lead(
        &app,
        json!({"name": "鈴木 次郎", "email": "suzuki@beta.co.jp", "company": "ベータ工業株式会社"}),
    )
    .await;

    // Lost without a reason: refused, said on the page, nothing changed.
    let resp = post(
        &app,
        &format!("/leads/{id}/status"),
        &[
            ("csrf", &csrf),
            ("status", "lost_dormant"),
            ("lost_reason", ""),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    assert!(to.contains("err=lost_reason"), "{to}");
    let page = app.page(&to).await;
    assert!(page.contains("一覧から理由を選んでください"), "{page}");
    let (_, l) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(l["status"], "opportunity");

    // A reason not in the managed list is refused too.
    let resp = post(
        &app,
        &format!("/leads/{id}/status"),
        &[
            ("csrf", &csrf),
            ("status", "lost_dormant"),
            ("lost_reason", "気分"),
        ],
    )
    .await;
    assert!(location(&resp).contains("err=lost_reason"));

    // With a reason from the list and a re-nurture date.
    let resp = post(
        &app,
        &format!("/leads/{id}/status"),
        &[
            ("csrf", &csrf),
            ("status", "lost_dormant"),
            ("lost_reason", "時期尚早"),
            ("renurture_on", "2099-04-01"),
            ("reason", "来期に再検討"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, l) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(l["status"], "lost_dormant");
    assert_eq!(l["lost_reason"], "時期尚早");
    let page = app.page(&format!("/leads/{id}")).await;
    assert!(page.contains("案件化見込み → 失注/休眠"), "{page}");
    assert!(page.contains("来期に再検討"), "{page}");
    assert!(page.contains("2099/04/01"), "the re-nurture date: {page}");

    // A past re-nurture date is refused.
    let resp = post(
        &app,
        &format!("/leads/{id}/status"),
        &[
            ("csrf", &csrf),
            ("status", "lost_dormant"),
            ("lost_reason", "時期尚早"),
            ("renurture_on", "2001-01-01"),
        ],
    )
    .await;
    assert!(location(&resp).contains("err=renurture_on"));

    // Won: the company becomes a customer with an account page.
    assert!(!app.page("/customers").await.contains("ベータ工業"));
    let resp = post(
        &app,
        &format!("/leads/{id}/status"),
        &[("csrf", &csrf), ("status", "won"), ("reason", "年間契約")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, l) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(l["status"], "won");
    assert!(
        l["lost_reason"].is_null(),
        "a won lead has no lost reason: {l}"
    );
    let list = app.page("/customers").await;
    assert!(list.contains("ベータ工業"), "{list}");
    let company_id = l["company"]["id"]
        .as_i64()
        .or_else(|| l["company_id"].as_i64())
        .expect("company id");
    let account = app.page(&format!("/customers/{company_id}")).await;
    assert!(account.contains("田中 一郎"), "{account}");
    assert!(
        account.contains(&format!("/leads/{colleague}")),
        "contacts: {account}"
    );

    // A renewal follow-up on the account.
    let resp = post(
        &app,
        &format!("/customers/{company_id}/tasks"),
        &[
            ("csrf", &csrf),
            ("kind", "renewal"),
            ("title", "契約更新の確認 <script>"),
            ("due", "2099-03-01"),
            ("owner", &mgr_id(&app).await.to_string()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let account = app.page(&format!("/customers/{company_id}")).await;
    assert!(
        account.contains("契約更新の確認 &#60;script&#62;"),
        "{account}"
    );
    assert!(account.contains("2099/03/01"), "{account}");
    let resp = post(
        &app,
        &format!("/customers/{company_id}/tasks"),
        &[
            ("csrf", &csrf),
            ("kind", "renewal"),
            ("title", "x"),
            ("due", "someday"),
        ],
    )
    .await;
    assert!(location(&resp).contains("err=due"));
    // A company without a won lead has no account page.
    let other = lead(
        &app,
        json!({"name": "高橋 三郎", "email": "t@gamma.co.jp", "company": "ガンマ株式会社"}),
    )
    .await;
    let (_, o) = json(app.get_lead(&app.token, other).await).await;
    let other_company = o["company"]["id"]
        .as_i64()
        .or_else(|| o["company_id"].as_i64())
        .expect("company id");
    let resp = app
        .client
        .get(app.url(&format!("/customers/{other_company}")))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn mgr_id(app: &TestApp) -> i64 {
    ondo_store::users::find_by_email(&app.db, app.ws(), "mgr@example.com")
        .await
        .expect("query")
        .expect("user")
        .id
}

#[tokio::test]
async fn home_shows_my_queue_my_overdue_follow_ups_and_the_funnel() {
    let app = spawn_app().await;
    let csrf = signed_in(&app, "rep@example.com", Role::Sales).await;
    app.user_with_token(app.ws(), "other@example.com", Role::Sales)
        .await;
    let mine = lead(
        &app,
        json!({"name": "伊藤 真理", "email": "ito@delta.co.jp", "owner": "rep@example.com",
               "status": "sales_ready"}),
    )
    .await;
    lead(
        &app,
        json!({"name": "渡辺 健", "email": "watanabe@delta.co.jp", "owner": "other@example.com",
               "status": "sales_ready"}),
    )
    .await;
    // One overdue follow-up (yesterday) on my lead, one for the other rep.
    let yesterday = ondo_domain::Micros::now().saturating_add(-ondo_domain::Micros::days(1));
    let me = ondo_store::users::find_by_email(&app.db, app.ws(), "rep@example.com")
        .await
        .expect("q")
        .expect("me");
    let other = ondo_store::users::find_by_email(&app.db, app.ws(), "other@example.com")
        .await
        .expect("q")
        .expect("other");
    for (owner, title) in [(me.id, "見積もりの回答確認"), (other.id, "他の人のタスク")]
    {
        let task = ondo_store::tasks::NewTask {
            lead_id: Some(mine),
            company_id: None,
            owner_id: owner,
            kind: "follow_up".into(),
            title: title.into(),
            note: None,
            due_at: yesterday,
        };
        ondo_store::tasks::create(&app.db, app.ws(), &task, &ondo_store::Actor::system("t"))
            .await
            .expect("task");
    }

    let home = app.page("/").await;
    assert!(home.contains("rep@example.com さんの今日"), "{home}");
    assert!(home.contains("伊藤 真理"), "my queue: {home}");
    assert!(!home.contains("渡辺 健"), "not another rep's lead: {home}");
    assert!(
        home.contains("見積もりの回答確認"),
        "my overdue task: {home}"
    );
    assert!(home.contains("期限切れ"), "{home}");
    assert!(!home.contains("他の人のタスク"), "{home}");
    assert!(home.contains("<svg"), "the funnel chart: {home}");
    assert!(
        home.contains("営業渡し (SQL)</a></th><td class=\"num\">1</td>"),
        "my one SQL: {home}"
    );

    // Done from the home page, back to it.
    let task_id = home
        .split("action=\"/tasks/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a done button")
        .to_string();
    let resp = post(
        &app,
        &format!("/tasks/{task_id}/done"),
        &[("csrf", &csrf), ("next", "/#home-tasks")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/?"), "{}", location(&resp));
    let home = app.page("/").await;
    assert!(!home.contains("見積もりの回答確認"), "{home}");
    assert!(
        home.contains("期限切れと今日のフォローアップはありません"),
        "{home}"
    );
}

#[tokio::test]
async fn failed_sign_ins_sign_outs_and_tracking_changes_are_in_the_audit_log() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "rep@example.com", Role::Sales)
        .await;
    let resp = app.sign_in("rep@example.com", "wrong password").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app.sign_in("nobody@example.com", "wrong password").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let csrf = signed_in(&app, "mgr@example.com", Role::Manager).await;
    let resp = post(&app, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    ondo_web::tracking::keys::load(&app.db, app.ws())
        .await
        .expect("tracking keys");
    for domains in [vec!["www.example.co.jp".to_string()], vec![]] {
        ondo_store::tracking::save(
            &app.db,
            app.ws(),
            &domains,
            Some("株式会社例"),
            &ondo_store::Actor::system("test"),
        )
        .await
        .expect("tracking saved");
    }

    let (status, entries) = json(
        app.client
            .get(app.url("/api/v1/audit?entity=user"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("audit"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<(&str, String)> = entries
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default(),
                e["after"].to_string(),
            )
        })
        .collect();
    assert!(
        actions
            .iter()
            .any(|(a, after)| *a == "sign_in_failed" && after.contains("nobody@example.com")),
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|(a, _)| *a == "sign_in_failed")
            .count(),
        2,
        "{actions:?}"
    );
    assert!(actions.iter().any(|(a, _)| *a == "sign_out"), "{actions:?}");

    // Tracking settings: the before and after of each save (never the secret).
    let (_, entries) = json(
        app.client
            .get(app.url("/api/v1/audit?entity=tracking_settings"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("audit"),
    )
    .await;
    let last = &entries[0];
    assert_eq!(last["before"]["domains"][0], "www.example.co.jp", "{last}");
    assert_eq!(last["after"]["domains"], json!([]), "{last}");
    assert!(!last.to_string().contains("secret"), "{last}");
}

#[tokio::test]
async fn handoffs_from_before_the_speed_rule_started_never_alert() {
    let app = spawn_app().await;
    // A second workspace, as after an upgrade: a history of untouched handoffs exists
    // before the server ever started the rule there.
    let other = ondo_store::workspaces::ensure(&app.db, "history")
        .await
        .expect("workspace")
        .id();
    let token = app
        .user_with_token(other, "rep@history.example", Role::Admin)
        .await;
    let (status, old) = json(
        app.post_lead_as(
            &token,
            &json!({"name": "過去 太郎", "email": "old@history.example",
                    "owner": "rep@history.example", "status": "sales_ready"}),
        )
        .await,
    )
    .await;
    assert!(status.is_success(), "{old}");
    let later = ondo_domain::Micros::now().saturating_add(ondo_domain::Micros::days(3));
    assert_eq!(
        ondo_jobs::speed_to_lead::sweep_workspace(&app.db, other, later)
            .await
            .expect("sweep"),
        0,
        "a workspace where the rule never started raises nothing"
    );
    ondo_store::workflow_settings::ensure_started(&app.db, other, ondo_domain::Micros::now())
        .await
        .expect("start");
    assert_eq!(
        ondo_jobs::speed_to_lead::sweep_workspace(&app.db, other, later)
            .await
            .expect("sweep"),
        0,
        "the handoff before the start is history"
    );

    // In the served workspace the rule started with the server: a new handoff alerts.
    app.user_with_token(app.ws(), "rep@example.com", Role::Sales)
        .await;
    lead(
        &app,
        json!({"name": "新規 花子", "email": "new@example.co.jp", "owner": "rep@example.com",
               "status": "sales_ready"}),
    )
    .await;
    assert_eq!(
        ondo_jobs::speed_to_lead::sweep_workspace(&app.db, app.ws(), later)
            .await
            .expect("sweep"),
        1
    );
}
