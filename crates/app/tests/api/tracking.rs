//! Behaviour tracking: the signed open pixel and click redirects of emails, the snippet's
//! beacons to /t/collect, visitors who become known through a form or a tracked click,
//! and the settings page with the snippet, allowed domains and disclosure text.

use ondo_domain::tracking::{
    Claims, EmailRef, IDENTIFY_PARAM, TargetUrl, TrackingKey, click_url, identify_token,
    open_pixel_url, sign, verify,
};
use ondo_domain::{Micros, Role};
use ondo_jobs::scoring::{EventTarget, EventWriter, IncomingEvent};
use ondo_store::WorkspaceId;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app};

const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const SITE: &str = "https://www.customer.example";
const VISITOR: &str = "5f0c9a1e2b3d4c5e6f708192a3b4c5d6";

/// A browser or mail client elsewhere: no Ondo cookie, no redirects followed.
fn outsider() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(UA)
        .build()
        .expect("client")
}

async fn key_of(app: &TestApp, ws: WorkspaceId) -> (TrackingKey, String) {
    let t = ondo_web::tracking::keys::load(&app.db, ws)
        .await
        .expect("tracking settings");
    (t.key, t.site_key)
}

async fn allow(app: &TestApp, domains: &[&str]) {
    key_of(app, app.ws()).await;
    let domains: Vec<String> = domains.iter().map(|d| d.to_string()).collect();
    ondo_store::tracking::save(
        &app.db,
        app.ws(),
        &domains,
        None,
        &ondo_store::Actor::system("test"),
    )
    .await
    .expect("domains saved");
}

async fn new_lead(app: &TestApp, name: &str, email: &str) -> i64 {
    let (status, lead) = json(app.post_lead(&json!({"name": name, "email": email})).await).await;
    assert!(status.is_success(), "{lead}");
    lead["id"].as_i64().expect("id")
}

async fn engagement(app: &TestApp, id: i64) -> f64 {
    let (status, lead) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(status, StatusCode::OK, "{lead}");
    lead["scores"]["engagement"].as_f64().expect("engagement")
}

async fn events_of(app: &TestApp, lead: i64) -> Vec<ondo_store::events::Event> {
    ondo_store::events::recent_for_lead(&app.db, app.ws(), lead, 100)
        .await
        .expect("events")
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

fn email(lead: i64, sent_hours_ago: i64) -> EmailRef {
    EmailRef {
        lead_id: lead,
        message_id: 77,
        sent_at: Micros::now().saturating_add(-Micros::hours(sent_hours_ago)),
    }
}

/// Sends a beacon as the snippet does: text/plain JSON from a page of `origin`.
async fn beacon(app: &TestApp, body: &str, origin: Option<&str>) -> (StatusCode, Value, String) {
    let mut req = outsider()
        .post(app.url("/t/collect"))
        .header("content-type", "text/plain;charset=UTF-8")
        .header("sec-fetch-site", "cross-site")
        .body(body.to_string());
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.expect("request");
    let cors = resp
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let status = resp.status();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body, cors)
}

fn page_view(site_key: &str, vid: &str, id: &str, url: &str) -> Value {
    json!({"site": site_key, "vid": vid, "id": id, "type": "page_view", "url": url,
           "title": "製品紹介", "referrer": "https://www.google.com/"})
}

async fn view(app: &TestApp, body: &Value) {
    let (status, err, _) = beacon(app, &body.to_string(), Some(SITE)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{err}");
}

async fn get_pixel(app: &TestApp, path: &str, ua: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = outsider()
        .get(app.url(path))
        .header("user-agent", ua)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let cache = resp
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(
        resp.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"image/gif"[..])
    );
    (status, cache, resp.bytes().await.expect("body").to_vec())
}

async fn click(app: &TestApp, path: &str, ua: &str) -> (StatusCode, Option<String>) {
    let resp = outsider()
        .get(app.url(path))
        .header("user-agent", ua)
        .send()
        .await
        .expect("request");
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().expect("ascii").to_string());
    (resp.status(), location)
}

fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").expect("absolute").1;
    &rest[rest.find('/').expect("path")..]
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// Changes one character in the middle of a token.
fn tampered(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let i = chars.len() / 3;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn the_open_pixel_records_a_signed_open_and_answers_anything_with_the_same_gif() {
    let app = spawn_app().await;
    let lead = new_lead(&app, "山田 太郎", "yamada@sakata.example.jp").await;
    let (key, _) = key_of(&app, app.ws()).await;
    let url = open_pixel_url("http://ondo.invalid", &key, app.ws().0, &email(lead, 2));
    let path = path_of(&url).to_string();

    let (status, cache, gif) = get_pixel(&app, &path, UA).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gif.len(), 43, "a 1×1 GIF");
    assert!(gif.starts_with(b"GIF89a"));
    assert!(cache.contains("no-store"), "{cache}");
    let events = events_of(&app, lead).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, "email_open");
    assert_eq!(events[0].bot_reason, None);
    assert!(events[0].properties.contains("\"message_id\":77"));
    assert_eq!(
        engagement(&app, lead).await,
        1.0,
        "an open is worth 1 point"
    );

    let before = events_count(&app).await;
    let token = path.strip_prefix("/t/o/").expect("pixel path");
    let other_ws = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("ws");
    let (other_key, _) = key_of(&app, other_ws.id()).await;
    for bad in [
        format!("/t/o/{}", tampered(token)),
        "/t/o/nothing-at-all".to_string(),
        format!(
            "/t/o/{}",
            sign(&other_key, other_ws.id().0, &Claims::Open(email(lead, 2)))
        ),
        format!(
            "/t/o/{}",
            sign(&other_key, app.ws().0, &Claims::Open(email(lead, 2)))
        ),
    ] {
        let (status, _, body) = get_pixel(&app, &bad, UA).await;
        assert_eq!(status, StatusCode::OK, "{bad}");
        assert_eq!(body, gif, "the same image for {bad}");
    }
    assert_eq!(events_count(&app).await, before, "nothing recorded");
}

#[tokio::test]
async fn a_tracked_link_goes_exactly_to_its_signed_target_and_a_bad_one_nowhere() {
    let app = spawn_app().await;
    allow(&app, &["customer.example"]).await;
    let lead = new_lead(&app, "佐藤 花子", "sato@abc.example.jp").await;
    let (key, _) = key_of(&app, app.ws()).await;
    let ws = app.ws().0;

    // A page of the workspace's own site: the token that names the visitor is added.
    let target = TargetUrl::parse("https://www.customer.example/case/1?utm_source=mail#top")
        .expect("target");
    let url = click_url("http://ondo.invalid", &key, ws, &email(lead, 3), &target);
    let (status, location) = click(&app, path_of(&url), UA).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.expect("a Location");
    let rest = location
        .strip_prefix("https://www.customer.example/case/1?utm_source=mail&ondo_id=")
        .unwrap_or_else(|| panic!("exactly the signed target: {location}"));
    let id_token = rest.strip_suffix("#top").expect("the fragment kept");
    let named = verify(&key, id_token, Micros::now()).expect("a valid identify token");
    assert!(matches!(named.claims, Claims::Identify { lead_id, .. } if lead_id == lead));

    // Another site gets the address unchanged, and learns nothing of who clicked.
    let elsewhere = TargetUrl::parse("https://partner.example/event?id=5").expect("target");
    let url = click_url("http://ondo.invalid", &key, ws, &email(lead, 3), &elsewhere);
    let (status, location) = click(&app, path_of(&url), UA).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        location.as_deref(),
        Some("https://partner.example/event?id=5")
    );

    let events = events_of(&app, lead).await;
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| e.kind == "email_click" && e.bot_reason.is_none())
    );
    assert!(
        events
            .iter()
            .any(|e| e.url.as_deref() == Some("https://partner.example/event?id=5"))
    );

    // Changed, foreign or garbage tokens: a 404 page, no Location, nothing recorded.
    let before = events_count(&app).await;
    let token = path_of(&url)
        .strip_prefix("/t/c/")
        .expect("click path")
        .to_string();
    let other_ws = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("ws");
    let (other_key, _) = key_of(&app, other_ws.id()).await;
    let evil = TargetUrl::parse("https://evil.example/").expect("target");
    let claims = Claims::Click {
        email: email(lead, 3),
        target: evil,
    };
    for bad in [
        tampered(&token),
        format!("{token}x"),
        sign(&other_key, other_ws.id().0, &claims),
        sign(&other_key, ws, &claims),
        // A valid token of another kind is no link.
        sign(&key, ws, &Claims::Open(email(lead, 3))),
        "..%2F..%2Fetc".to_string(),
    ] {
        let resp = outsider()
            .get(app.url(&format!("/t/c/{bad}")))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(resp.headers().get("location").is_none(), "{bad}");
    }
    assert_eq!(events_count(&app).await, before, "nothing recorded");
}

#[tokio::test]
async fn scanner_opens_and_clicks_are_kept_but_not_scored() {
    let app = spawn_app().await;
    let lead = new_lead(&app, "鈴木 一郎", "suzuki@example.co.jp").await;
    let (key, _) = key_of(&app, app.ws()).await;
    let ws = app.ws().0;
    let target = TargetUrl::parse("https://www.customer.example/product/").expect("target");

    // A security gateway's user agent, hours after sending.
    let url = click_url("http://x", &key, ws, &email(lead, 5), &target);
    let (status, _) = click(
        &app,
        path_of(&url),
        "Mozilla/5.0 (compatible; Mimecast URL Protect)",
    )
    .await;
    assert_eq!(status, StatusCode::FOUND, "the scanner is still redirected");
    // A browser-like agent, seconds after sending.
    let fresh = email(lead, 0);
    let url = click_url("http://x", &key, ws, &fresh, &target);
    assert_eq!(click(&app, path_of(&url), UA).await.0, StatusCode::FOUND);
    let url = open_pixel_url("http://x", &key, ws, &fresh);
    assert_eq!(get_pixel(&app, path_of(&url), UA).await.0, StatusCode::OK);

    let events = events_of(&app, lead).await;
    assert_eq!(events.len(), 3, "{events:?}");
    let mut reasons: Vec<_> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.bot_reason.as_deref().unwrap_or("person")))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        vec![
            ("email_click", "too_fast"),
            ("email_click", "user_agent"),
            ("email_open", "too_fast"),
        ]
    );
    assert_eq!(engagement(&app, lead).await, 0.0, "none of it is scored");
}

#[tokio::test]
async fn collect_refuses_bad_beacons_naming_the_field() {
    let app = spawn_app().await;
    let (_, site_key) = key_of(&app, app.ws()).await;
    let good = page_view(
        &site_key,
        VISITOR,
        "ev000001",
        "https://www.customer.example/product/a",
    );

    // No domain allowed yet: nothing is recorded, and the answer says why.
    let (status, err, cors) = beacon(&app, &good.to_string(), Some(SITE)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    assert_eq!(err["field"], "url");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("/settings/tracking"),
        "{err}"
    );
    assert_eq!(cors, "*");

    allow(&app, &["customer.example"]).await;
    let with = |field: &str, value: Value| {
        let mut b = good.clone();
        b[field] = value;
        b.to_string()
    };
    let without = |field: &str| {
        let mut b = good.clone();
        b.as_object_mut().expect("object").remove(field);
        b.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (with("colour", json!("red")), "colour"),
        (with("site", json!("not-the-key")), "site"),
        (without("site"), "site"),
        (with("vid", json!("short")), "vid"),
        (without("vid"), "vid"),
        (with("id", json!("x")), "id"),
        (with("type", json!("purchase")), "type"),
        (with("url", json!("javascript:alert(1)")), "url"),
        (without("url"), "url"),
        (
            with(
                "url",
                json!(format!("https://www.customer.example/{}", "a".repeat(3000))),
            ),
            "url",
        ),
        (with("referrer", json!("not a url")), "referrer"),
        (with("title", json!(7)), "title"),
        (with("title", json!("t".repeat(301))), "title"),
        (
            with("target", json!("https://www.customer.example/a.pdf")),
            "target",
        ),
        (with("type", json!("download")), "target"),
        (with("identify", json!("<b>")), "identify"),
    ];
    for (body, field) in &cases {
        let (status, err, cors) = beacon(&app, body, Some(SITE)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        assert_eq!(err["field"], *field, "{body}: {err}");
        assert_eq!(cors, "*", "errors can be read by the page's developer");
    }
    let (status, err, _) = beacon(&app, "[]", Some(SITE)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let (status, _, _) = beacon(&app, &"x".repeat(9000), Some(SITE)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Pages and senders outside the allowed domains.
    let (status, err, _) = beacon(
        &app,
        &with("url", json!("https://copycat.example/")),
        Some(SITE),
    )
    .await;
    assert_eq!(
        (status, err["field"].clone()),
        (StatusCode::FORBIDDEN, json!("url")),
        "{err}"
    );
    let (status, err, _) = beacon(&app, &good.to_string(), Some("https://copycat.example")).await;
    assert_eq!(
        (status, err["field"].clone()),
        (StatusCode::FORBIDDEN, json!("origin")),
        "{err}"
    );
    assert_eq!(events_count(&app).await, 0, "nothing was recorded");

    // A preflight is answered, and a good beacon is recorded once.
    let resp = outsider()
        .request(reqwest::Method::OPTIONS, app.url("/t/collect"))
        .header("origin", SITE)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    view(&app, &good).await;
    view(&app, &good).await;
    assert_eq!(
        events_count(&app).await,
        1,
        "a beacon sent twice counts once"
    );
}

/// Signs in as `email` and creates an inquiry form through the page; its public key.
async fn create_form(app: &TestApp, email: &str) -> String {
    assert_eq!(
        app.sign_in(email, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = app.page("/forms").await;
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let resp = app
        .client
        .post(app.url("/forms"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "製品サイト 問い合わせ"),
            ("kind", "inquiry"),
            ("source", "Webサイト問い合わせ"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let id: i64 = resp.headers()["location"]
        .to_str()
        .expect("location")
        .trim_start_matches("/forms/")
        .parse()
        .expect("form id");
    ondo_store::forms::get(&app.db, app.ws(), id)
        .await
        .expect("form")
        .public_key
}

async fn submit_form(app: &TestApp, key: &str, vid: &str, name: &str, email: &str) -> i64 {
    let resp = outsider()
        .post(app.url(&format!("/f/{key}")))
        .header("origin", SITE)
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", name), ("email", email), ("ondo_vid", vid)])
        .send()
        .await
        .expect("request");
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    ondo_store::leads::find_by_email(&app.db, app.ws(), email)
        .await
        .expect("lookup")
        .expect("the lead exists")
        .id
}

#[tokio::test]
async fn a_visitors_page_views_wait_and_count_once_the_visitor_submits_a_form() {
    let app = spawn_app().await;
    allow(&app, &["customer.example"]).await;
    let (_, site_key) = key_of(&app, app.ws()).await;
    view(
        &app,
        &page_view(
            &site_key,
            VISITOR,
            "view0001",
            "https://www.customer.example/product/pricing",
        ),
    )
    .await;
    view(
        &app,
        &page_view(
            &site_key,
            VISITOR,
            "view0002",
            "https://customer.example/blog/hello",
        ),
    )
    .await;
    assert_eq!(
        events_count(&app).await,
        2,
        "kept while nobody knows the visitor"
    );

    let key = create_form(&app, "admin@example.com").await;
    // The hosted page (in an iframe of a page with the snippet) carries the visitor id.
    let hosted = outsider()
        .get(app.url(&format!("/f/{key}?ondo_vid={VISITOR}")))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert_eq!(hidden_value(&hosted, "ondo_vid").as_deref(), Some(VISITOR));
    let bad = outsider()
        .get(app.url(&format!("/f/{key}?ondo_vid=%22%3E%3Cscript%3E")))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(
        !bad.contains("ondo_vid") && !bad.contains("<script>"),
        "a bad id is dropped"
    );

    let lead = submit_form(
        &app,
        &key,
        VISITOR,
        "高橋 一郎",
        "takahashi@customer.example",
    )
    .await;
    assert_eq!(
        ondo_store::tracking::visitor(&app.db, app.ws(), VISITOR)
            .await
            .expect("visitor"),
        Some((lead, "form".to_string()))
    );
    let events = events_of(&app, lead).await;
    let views: Vec<_> = events.iter().filter(|e| e.kind == "page_view").collect();
    assert_eq!(
        views.len(),
        2,
        "both earlier page views are the lead's: {events:?}"
    );
    assert!(
        views.iter().any(|e| e.properties.contains("製品紹介")),
        "title kept"
    );
    // form 15 + product page 5 + other page 1.
    assert_eq!(engagement(&app, lead).await, 21.0);

    // Later visits count at once.
    view(
        &app,
        &page_view(
            &site_key,
            VISITOR,
            "view0003",
            "https://www.customer.example/product/spec",
        ),
    )
    .await;
    assert_eq!(engagement(&app, lead).await, 26.0);
}

#[tokio::test]
async fn a_tracked_click_names_the_visitor_and_attaches_what_it_viewed() {
    let app = spawn_app().await;
    allow(&app, &["customer.example"]).await;
    let (key, site_key) = key_of(&app, app.ws()).await;
    let lead = new_lead(&app, "伊藤 誠", "ito@buyer.example.jp").await;
    view(
        &app,
        &page_view(
            &site_key,
            VISITOR,
            "view0001",
            "https://www.customer.example/product/a",
        ),
    )
    .await;
    assert_eq!(engagement(&app, lead).await, 0.0);

    // A forged or foreign identify token: the page view counts, anonymously.
    let other_ws = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("ws");
    let (other_key, _) = key_of(&app, other_ws.id()).await;
    for (i, forged) in [
        identify_token(&other_key, app.ws().0, lead, Micros::now()),
        identify_token(&other_key, other_ws.id().0, lead, Micros::now()),
        identify_token(
            &key,
            app.ws().0,
            lead,
            Micros::now().saturating_add(-Micros::days(30)),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut b = page_view(
            &site_key,
            VISITOR,
            &format!("forged0{i}"),
            "https://www.customer.example/x",
        );
        b["identify"] = json!(forged);
        view(&app, &b).await;
    }
    assert_eq!(
        ondo_store::tracking::visitor(&app.db, app.ws(), VISITOR)
            .await
            .expect("visitor"),
        None
    );
    assert_eq!(engagement(&app, lead).await, 0.0);

    // The email's link, then the landing page with the token the redirect added.
    let target = TargetUrl::parse("https://www.customer.example/case/42").expect("target");
    let url = click_url("http://x", &key, app.ws().0, &email(lead, 1), &target);
    let location = click(&app, path_of(&url), UA).await.1.expect("redirect");
    assert!(
        location.contains(&format!("{IDENTIFY_PARAM}=")),
        "{location}"
    );
    let token = location.split("ondo_id=").nth(1).expect("token");
    let mut landing = page_view(&site_key, VISITOR, "view0002", &location);
    landing["identify"] = json!(token);
    view(&app, &landing).await;

    assert_eq!(
        ondo_store::tracking::visitor(&app.db, app.ws(), VISITOR)
            .await
            .expect("visitor"),
        Some((lead, "email_click".to_string()))
    );
    let events = events_of(&app, lead).await;
    let urls: Vec<_> = events.iter().filter_map(|e| e.url.as_deref()).collect();
    assert!(
        urls.contains(&"https://www.customer.example/case/42"),
        "the landing page is kept without the token: {urls:?}"
    );
    assert!(urls.iter().all(|u| !u.contains("ondo_id")), "{urls:?}");
    assert_eq!(events.iter().filter(|e| e.kind == "page_view").count(), 5);
    // click 3 + product 5 + three other pages (1 each) + the case study 4.
    assert_eq!(engagement(&app, lead).await, 15.0);
}

#[tokio::test]
async fn one_workspace_cannot_attach_another_workspaces_visitor() {
    let app = spawn_app().await;
    allow(&app, &["customer.example"]).await;
    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("ws");
    // The other workspace saw the same visitor id (one browser, two companies' sites).
    let writer = EventWriter::start(app.db.clone());
    let outcome = writer
        .submit(
            other.id(),
            vec![IncomingEvent {
                key: "b-view".into(),
                kind: ondo_domain::scoring::EventKind::PageView,
                at: Micros::now(),
                target: EventTarget::Visitor(VISITOR.into()),
                url: Some("https://other.example/product/x".into()),
                properties: Default::default(),
                user_agent: None,
                sent_at: None,
            }],
        )
        .await
        .expect("written");
    assert_eq!(outcome.waiting, 1);

    let key = create_form(&app, "admin@example.com").await;
    let lead = submit_form(&app, &key, VISITOR, "中村 優", "nakamura@customer.example").await;
    assert!(
        events_of(&app, lead)
            .await
            .iter()
            .all(|e| e.kind == "form_submit"),
        "nothing of the other workspace"
    );
    assert_eq!(
        ondo_store::tracking::visitor(&app.db, other.id(), VISITOR)
            .await
            .expect("visitor"),
        None
    );
    // The other workspace's page view is still waiting for its own lead.
    let b_lead = ondo_store::leads::create(
        &app.db,
        other.id(),
        &ondo_store::leads::LeadFields {
            name: "中村 優".into(),
            ..Default::default()
        },
        None,
        &ondo_store::Actor::system("test"),
    )
    .await
    .expect("lead");
    let mut tx = app.db.begin_write().await.expect("tx");
    let attached = ondo_store::events::attach(&mut tx, other.id(), b_lead.id, None, Some(VISITOR))
        .await
        .expect("attach");
    tx.commit().await.expect("commit");
    assert_eq!(attached, 1);
}

#[tokio::test]
async fn the_snippet_is_served_as_plain_javascript() {
    let app = spawn_app().await;
    let resp = outsider()
        .get(app.url("/t/ondo.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/javascript")
    );
    let js = resp.text().await.expect("body");
    for part in [
        "_ondo_vid",
        "sendBeacon",
        "/t/collect",
        "data-consent",
        "ondo_vid",
        "SameSite=Lax",
    ] {
        assert!(js.contains(part), "{part}");
    }
    assert!(js.len() < 8 * 1024, "small: {} bytes", js.len());
}

#[tokio::test]
async fn the_settings_page_is_for_marketing_not_sales_and_changes_need_the_csrf_token() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    app.user_with_token(app.ws(), "marketing@example.com", Role::Marketing)
        .await;

    assert_eq!(
        app.sign_in("sales@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let resp = app
        .client
        .get(app.url("/settings/tracking"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let page = app.page("/leads").await;
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let resp = app
        .client
        .post(app.url("/settings/tracking"))
        .form(&[("csrf", csrf.as_str()), ("domains", "evil.example")])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    assert_eq!(
        app.sign_in("marketing@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let page = app.page("/settings/tracking").await;
    let (_, site_key) = key_of(&app, app.ws()).await;
    assert!(!site_key.is_empty() && site_key != app.ws().0.to_string());
    let script = format!("{}/t/ondo.js", app.address);
    let text = unescape(&page);
    assert!(
        text.contains(&format!(
            r#"<script async src="{script}" data-site="{site_key}"></script>"#
        )),
        "the snippet to paste"
    );
    assert!(
        text.contains(&format!(
            r#"data-site="{site_key}" data-consent="required""#
        )) && text.contains("ondo('consent', true)"),
        "the snippet in consent mode"
    );
    assert!(
        page.contains("id=\"tracking-off\""),
        "says nothing is recorded without a domain"
    );
    // The disclosure names the company (the workspace until one is set) and this server.
    let host = app.address.trim_start_matches("http://");
    assert!(page.contains("外部送信") && page.contains(host) && page.contains("名称: default"));
    assert!(page.contains("Name: default"), "and in English");

    // Without the token: refused, nothing changed.
    let resp = app
        .client
        .post(app.url("/settings/tracking"))
        .form(&[("domains", "evil.example")])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    // A bad line is named, and nothing is saved.
    let resp = app
        .client
        .post(app.url("/settings/tracking"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("domains", "customer.example\nnot a domain"),
            ("operator_name", ""),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.expect("body");
    assert!(
        unescape(&body).contains("2 行目はドメイン名として読み取れません: 「not a domain」"),
        "the line is named"
    );
    assert!(
        ondo_web::tracking::keys::load(&app.db, app.ws())
            .await
            .expect("load")
            .domains
            .is_empty()
    );

    let resp = app
        .client
        .post(app.url("/settings/tracking"))
        .form(&[
            ("csrf", csrf.as_str()),
            (
                "domains",
                "https://www.Customer.example/products\ncustomer.co.jp",
            ),
            ("operator_name", "株式会社<カスタマー>"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = app.page("/settings/tracking?saved=1").await;
    assert!(page.contains("id=\"tracking-saved\""));
    assert!(!page.contains("id=\"tracking-off\""));
    assert!(
        page.contains("customer.co.jp\nwww.customer.example"),
        "sorted, one per line"
    );
    assert!(!page.contains("<カスタマー>"), "escaped");
    assert!(unescape(&page).contains("名称: 株式会社<カスタマー>"));

    // Beacons from the saved site are now recorded.
    view(
        &app,
        &page_view(
            &site_key,
            VISITOR,
            "view0001",
            "https://www.customer.example/",
        ),
    )
    .await;
    assert_eq!(events_count(&app).await, 1);
}
