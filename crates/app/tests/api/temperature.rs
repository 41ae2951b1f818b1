//! Temperature: events in batches (idempotent, all or nothing), scores with decay, the
//! handoff rules that move a lead to nurturing and to sales, scanners that are not
//! scored, and the queue that tells a salesperson whom to call now.

use ondo_domain::{Micros, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{HELD, PASSWORD, TestApp, held_write, hold_write_lock, json, spawn_app};

/// RFC 3339 time `days` days (and `secs` seconds) before now.
fn ago(days: i64, secs: i64) -> String {
    ago_ms(days, secs * 1000)
}

/// RFC 3339 time `days` days and `ms` milliseconds before now. Events of "today" are
/// seconds old, so a run near midnight (JST) still scores them today.
fn ago_ms(days: i64, ms: i64) -> String {
    Micros::now()
        .saturating_add(-Micros::days(days) - ms * 1_000)
        .to_rfc3339()
}

async fn post_events_as(app: &TestApp, token: &str, body: &Value) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    json(resp).await
}

async fn post_events(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    post_events_as(app, &app.token, body).await
}

async fn lead(app: &TestApp, body: Value) -> Value {
    let (status, lead) = json(app.post_lead(&body).await).await;
    assert!(status.is_success(), "{lead}");
    lead
}

async fn get_lead(app: &TestApp, id: i64) -> Value {
    let (status, lead) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(status, StatusCode::OK, "{lead}");
    lead
}

async fn queue_as(app: &TestApp, token: &str, query: &str, lang: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/queue{query}")))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .send()
        .await
        .expect("request");
    json(resp).await
}

async fn events_count(app: &TestApp) -> i64 {
    let resp = app
        .client
        .get(app.url("/api/v1/stats"))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("request");
    let (_, stats) = json(resp).await;
    stats["events"].as_i64().expect("events count")
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_batch_sent_twice_counts_once_and_warms_the_lead() {
    let app = spawn_app().await;
    let l = lead(
        &app,
        json!({"name": "山田 太郎", "email": "yamada@sakata.example.jp"}),
    )
    .await;
    assert_eq!(l["temperature"], "cold");
    assert_eq!(l["scores"]["engagement"], 0.0);
    let batch = json!([
        {"id": "e1", "type": "email_open", "at": ago(0, 3), "email": "Yamada@Sakata.example.jp"},
        {"id": "e2", "type": "page_view", "at": ago(0, 2), "lead_id": id(&l), "url": "https://www.example.jp/product/pricing?x=1"},
        {"id": "e3", "type": "page_view", "at": ago(0, 1), "lead_id": id(&l), "url": "https://www.example.jp/blog/hello"},
    ]);
    let (status, body) = post_events(&app, &batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 3);
    assert_eq!(body["duplicates"], 0);
    let (status, body) = post_events(&app, &batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 0);
    assert_eq!(body["duplicates"], 3);
    assert_eq!(events_count(&app).await, 3);

    // Default points: open 1 + product page 5 + other page 1, all today.
    let l = get_lead(&app, id(&l)).await;
    assert_eq!(l["scores"]["engagement"], 7.0, "{l}");
    assert_eq!(l["temperature"], "cold");
}

/// Events sent while another process holds the database's write lock for longer than the
/// busy timeout (an import from the command line) wait for it and are then stored: the
/// sender gets its answer late, not an error.
#[tokio::test]
async fn events_wait_for_another_writer_instead_of_being_refused() {
    let app = spawn_app().await;
    let l = lead(
        &app,
        json!({"name": "山田 太郎", "email": "yamada@sakata.example.jp"}),
    )
    .await;
    let holder = hold_write_lock(&app, 12);
    let batch = json!([
        {"id": "w1", "type": "page_view", "at": ago(0, 2), "lead_id": id(&l), "url": "https://www.example.jp/product/pricing"},
        {"id": "w2", "type": "email_open", "at": ago(0, 1), "email": "yamada@sakata.example.jp"},
    ]);
    let (status, body) = post_events(&app, &batch).await;
    holder.join().expect("the other writer");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    assert_eq!(events_count(&app).await, 2);
    assert_eq!(get_lead(&app, id(&l)).await["scores"]["engagement"], 6.0);
    assert_eq!(held_write(&app).await, HELD, "the other write is kept");
}

#[tokio::test]
async fn a_bad_event_refuses_the_whole_batch_naming_the_element_and_field() {
    let app = spawn_app().await;
    let l = lead(
        &app,
        json!({"name": "佐藤 花子", "email": "sato@abc.example.jp"}),
    )
    .await;
    let cases = [
        (
            json!([
                {"id": "a", "type": "email_open", "at": ago(0, 10), "lead_id": id(&l)},
                {"id": "b", "type": "email_open", "at": "yesterday", "lead_id": id(&l)},
            ]),
            "events[1].at",
        ),
        (
            json!([{"id": "a", "type": "Open Email!", "at": ago(0, 10), "lead_id": id(&l)}]),
            "events[0].type",
        ),
        (
            json!([{"type": "email_open", "at": ago(0, 10), "lead_id": id(&l)}]),
            "events[0].id",
        ),
        (
            json!([{"id": "a", "type": "email_open", "at": ago(0, 10)}]),
            "events[0].email",
        ),
        (
            json!([{"id": "a", "type": "email_open", "at": ago(0, 10), "email": "not-an-email"}]),
            "events[0].email",
        ),
        (
            json!([{"id": "a", "type": "email_open", "at": ago(0, 10), "lead_id": id(&l), "colour": 1}]),
            "events[0].colour",
        ),
        (
            json!([
                {"id": "a", "type": "email_open", "at": ago(0, 10), "lead_id": id(&l)},
                {"id": "b", "type": "email_open", "at": ago(0, 10), "lead_id": 999_999},
            ]),
            "events[1].lead_id",
        ),
    ];
    for (batch, field) in cases {
        let (status, body) = post_events(&app, &batch).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{batch} → {body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (status, _) = post_events(&app, &json!({"not": "a batch"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Nothing of any refused batch was kept, even the good first elements.
    assert_eq!(events_count(&app).await, 0);
    assert_eq!(get_lead(&app, id(&l)).await["scores"]["engagement"], 0.0);
}

#[tokio::test]
async fn events_of_an_unknown_email_wait_for_the_lead() {
    let app = spawn_app().await;
    let (status, body) = post_events(
        &app,
        &json!([
            {"id": "w1", "type": "download", "at": ago(1, 0), "email": "tanaka@xyz.example.jp", "url": "/whitepaper/dx.pdf"},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["waiting"], 1);
    let l = lead(
        &app,
        json!({"name": "田中 一郎", "email": "tanaka@xyz.example.jp"}),
    )
    .await;
    // The download now belongs to the lead: points, and the MQL rule (any download).
    assert!(
        l["scores"]["engagement"].as_f64().expect("engagement") > 9.0,
        "{l}"
    );
    assert_eq!(l["status"], "nurturing", "{l}");
}

#[tokio::test]
async fn scanners_and_link_bursts_are_kept_but_never_scored() {
    let app = spawn_app().await;
    let l = lead(
        &app,
        json!({"name": "鈴木 次郎", "email": "suzuki@def.example.jp"}),
    )
    .await;
    let (status, body) = post_events(
        &app,
        &json!([
            {"id": "s1", "type": "email_open", "at": ago(0, 50), "lead_id": id(&l),
             "user_agent": "Mozilla/5.0 (compatible; Barracuda Sentinel)"},
            {"id": "s2", "type": "email_click", "at": ago(0, 40), "lead_id": id(&l), "sent_at": ago(0, 43)},
            {"id": "s3", "type": "email_click", "at": ago_ms(0, 30_000), "lead_id": id(&l), "url": "https://x.example/a"},
            {"id": "s4", "type": "email_click", "at": ago_ms(0, 29_900), "lead_id": id(&l), "url": "https://x.example/b"},
            {"id": "s5", "type": "email_click", "at": ago_ms(0, 29_800), "lead_id": id(&l), "url": "https://x.example/c"},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 5);
    assert_eq!(body["automated"], 2, "user agent and seconds after sending");
    assert_eq!(events_count(&app).await, 5, "automated events are kept");
    // The three clicks within a fraction of a second are a burst too: nothing scores.
    let l = get_lead(&app, id(&l)).await;
    assert_eq!(l["scores"]["engagement"], 0.0, "{l}");
    // A person's click half a minute later counts.
    let (status, _) = post_events(
        &app,
        &json!([{"id": "s6", "type": "email_click", "at": ago(0, 1), "lead_id": id(&l)}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get_lead(&app, id(&l)).await["scores"]["engagement"], 3.0);
}

#[tokio::test]
async fn a_download_followed_by_two_visits_hands_the_lead_to_sales_in_turn() {
    let app = spawn_app().await;
    let sales_a = app
        .user_with_token(app.ws(), "sales-a@example.com", Role::Sales)
        .await;
    let sales_b = app
        .user_with_token(app.ws(), "sales-b@example.com", Role::Sales)
        .await;
    let mut leads = Vec::new();
    for (n, name) in ["高橋 一", "伊藤 二"].into_iter().enumerate() {
        let l = lead(
            &app,
            json!({"name": name, "email": format!("p{n}@corp{n}.example.jp"),
                   "company": format!("株式会社テスト{n}"), "department": "情報システム部"}),
        )
        .await;
        let (status, body) = post_events(
            &app,
            &json!([
                {"id": format!("d{n}"), "type": "download", "at": ago(3, 0), "lead_id": id(&l), "url": "/documents/guide.pdf"},
                {"id": format!("v{n}a"), "type": "page_view", "at": ago(2, 0), "lead_id": id(&l), "url": "/product/"},
                {"id": format!("v{n}b"), "type": "page_view", "at": ago(1, 0), "lead_id": id(&l), "url": "/product/pricing"},
            ]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        leads.push(id(&l));
    }
    let mut owners = Vec::new();
    for lead_id in &leads {
        let l = get_lead(&app, *lead_id).await;
        assert_eq!(l["status"], "sales_ready", "{l}");
        owners.push(l["owner"]["email"].as_str().expect("an owner").to_string());
    }
    // Round robin: one each.
    owners.sort();
    assert_eq!(owners, ["sales-a@example.com", "sales-b@example.com"]);

    // The status history says which rule and why, and the audit log records it.
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/audit?lead_id={}", leads[0])))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("request");
    let (_, audit) = json(resp).await;
    let handoff = audit
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "handoff" && e["after"]["status"] == "sales_ready")
        .unwrap_or_else(|| panic!("a handoff entry: {audit}"));
    assert_eq!(handoff["after"]["rule"], "sql");

    // Each salesperson's queue shows their lead first, with the reason in words.
    let (status, q) = queue_as(&app, &sales_a, "", "ja").await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let items = q.as_array().expect("a list");
    assert_eq!(items.len(), 1, "{q}");
    assert_eq!(items[0]["status"], "sales_ready");
    let reasons: Vec<&str> = items[0]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| r.as_str().expect("text"))
        .collect();
    assert!(reasons.iter().any(|r| r.contains("資料")), "{reasons:?}");
    let (_, q_en) = queue_as(&app, &sales_b, "", "en").await;
    let reasons_en = q_en[0]["reasons"].to_string();
    assert!(
        reasons_en.to_lowercase().contains("download"),
        "{reasons_en}"
    );
    // A salesperson may not read someone else's queue; a manager may.
    let (status, _) = queue_as(&app, &sales_a, "?owner=sales-b@example.com", "ja").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, q) = queue_as(&app, &app.token, "?owner=sales-b@example.com", "ja").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(q.as_array().expect("a list").len(), 1);
    // Salespeople do not send events.
    let (status, _) = post_events_as(&app, &sales_a, &json!([])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_queue_puts_sales_ready_first_then_the_warmest() {
    let app = spawn_app().await;
    let cold = lead(
        &app,
        json!({"name": "冷 太郎", "email": "cold@a.example.jp"}),
    )
    .await;
    let warm = lead(
        &app,
        json!({"name": "温 次郎", "email": "warm@b.example.jp"}),
    )
    .await;
    let ready = lead(
        &app,
        json!({"name": "熱 三郎", "email": "ready@c.example.jp"}),
    )
    .await;
    let (status, body) = post_events(
        &app,
        &json!([
            {"id": "c1", "type": "email_open", "at": ago(20, 0), "lead_id": id(&cold)},
            {"id": "w1", "type": "webinar_attend", "at": ago(1, 0), "lead_id": id(&warm)},
            {"id": "w2", "type": "page_view", "at": ago(1, 0), "lead_id": id(&warm), "url": "/case/abc"},
            {"id": "w3", "type": "page_view", "at": ago(1, 0), "lead_id": id(&warm), "url": "/product/"},
            {"id": "r1", "type": "email_open", "at": ago(0, 1), "lead_id": id(&ready)},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A manager hands `ready` to sales by hand.
    let resp = app
        .patch_lead(id(&ready), &json!({"status": "sales_ready"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, q) = queue_as(&app, &app.token, "?limit=10", "ja").await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let order: Vec<i64> = q
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(order, [id(&ready), id(&warm), id(&cold)], "{q}");
    let warm_item = &q[1];
    assert_eq!(warm_item["temperature"], "warm", "{warm_item}");
    assert!(
        warm_item["reasons"].to_string().contains("事例"),
        "{warm_item}"
    );
    // The old open has decayed: 1 point 20 days ago is worth less than one today.
    let cold_score = q[2]["score"].as_f64().expect("score");
    assert!(cold_score < 1.0 && cold_score > 0.0, "{}", q[2]);
    let (status, q) = queue_as(&app, &app.token, "?limit=1", "ja").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(q.as_array().expect("a list").len(), 1);
}

#[tokio::test]
async fn the_queue_page_and_the_lead_page_explain_the_temperature() {
    let app = spawn_app().await;
    let l = lead(
        &app,
        json!({"name": "<b>小林</b> 三郎", "email": "kobayashi@ghi.example.jp", "company": "株式会社ジーエイチアイ"}),
    )
    .await;
    let (status, body) = post_events(
        &app,
        &json!([
            {"id": "p1", "type": "page_view", "at": ago(0, 2), "lead_id": id(&l), "url": "/pricing"},
            {"id": "p2", "type": "page_view", "at": ago(0, 1), "lead_id": id(&l), "url": "/jirei/abc"},
            {"id": "p3", "type": "email_open", "at": ago(0, 1), "lead_id": id(&l), "user_agent": "python-requests/2.31"},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp = app.sign_in("admin@example.com", PASSWORD).await;
    assert!(resp.status().is_redirection());

    let page = app.page(&format!("/leads/{}", id(&l))).await;
    assert!(page.contains("id=\"score-breakdown\""), "{page}");
    assert!(page.contains("製品・料金ページ"), "{page}");
    assert!(page.contains("導入事例ページ"), "{page}");
    assert!(
        page.contains("自動アクセス"),
        "the scanner's open is shown as automated"
    );
    assert!(
        page.contains("<strong id=\"engagement-score\">9</strong>"),
        "5 + 4 points today"
    );

    let page = app.page("/queue").await;
    assert!(
        page.contains(&format!("data-lead-id=\"{}\"", id(&l))),
        "{page}"
    );
    let shown = page
        .find("小林")
        .map(|i| &page[i.saturating_sub(30)..i + 30]);
    assert!(
        page.contains("&lt;b&gt;小林&lt;/b&gt;") || page.contains("&#60;b&#62;小林"),
        "names are escaped: {shown:?}"
    );
    assert!(!page.contains("<b>小林</b>"));
    assert!(page.contains("導入事例ページ閲覧"), "{page}");
}
