use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, hidden_value, json, spawn_app};

#[tokio::test]
async fn pages_need_a_session() {
    let app = spawn_app().await;
    for path in ["/leads", "/leads/new", "/companies", "/leads/1"] {
        let resp = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(location.starts_with("/login?next="), "{path} → {location}");
    }
}

#[tokio::test]
async fn untrusted_values_are_escaped_everywhere_they_show() {
    let app = spawn_app().await;
    let evil = "<script>alert(1)</script>";
    let (_, lead) = json(app.post_lead(&json!({"name": format!("山田{evil}"), "title": evil, "company": format!("{evil}株式会社"), "source": evil, "custom_fields": {evil: evil}})).await).await;
    let id = lead["id"].as_i64().expect("id");
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    for path in [
        format!("/leads/{id}"),
        "/leads".to_string(),
        format!("/leads/{id}/edit"),
        "/companies".to_string(),
        format!("/leads?q={evil}"),
    ] {
        let body = app.page(&path).await;
        assert!(!body.contains(evil), "{path} shows raw markup");
        assert!(
            body.contains("&lt;script&gt;")
                || body.contains("&#60;script&#62;")
                || path == "/companies",
            "{path} shows the escaped text"
        );
    }
}

#[tokio::test]
async fn japanese_by_default_and_english_on_request() {
    let app = spawn_app().await;
    let ja = app.page("/login").await;
    assert!(
        ja.contains("lang=\"ja\"") && ja.contains("ログイン"),
        "Japanese login page"
    );
    let en = app
        .client
        .get(app.url("/login"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(
        en.contains("lang=\"en\"") && en.contains("Sign in"),
        "English login page"
    );
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let list = app.page("/leads").await;
    assert!(list.contains("リード"));
    let switch = app
        .client
        .get(app.url("/lang/en?next=/leads"))
        .send()
        .await
        .expect("switch");
    assert_eq!(
        switch
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/leads")
    );
    let list = app.page("/leads").await;
    assert!(list.contains("lang=\"en\"") && list.contains("Leads"));
    let evil = app
        .client
        .get(app.url("/lang/ja?next=//evil.example"))
        .send()
        .await
        .expect("switch");
    assert_eq!(
        evil.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/"),
        "no open redirect"
    );
}

#[tokio::test]
async fn a_lead_is_added_and_edited_through_the_form() {
    let app = spawn_app().await;
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let form = app.page("/leads/new").await;
    let csrf = hidden_value(&form, "csrf").expect("csrf");
    let bad = app
        .client
        .post(app.url("/leads"))
        .form(&[
            ("name", "高橋 真一"),
            ("email", "not an email"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.text().await.expect("body");
    assert!(
        body.contains("field-error") && body.contains("高橋 真一"),
        "the error is shown and the input kept"
    );
    let ok = app
        .client
        .post(app.url("/leads"))
        .form(&[
            ("name", "高橋 真一"),
            ("email", "s.takahashi@example.co.jp"),
            ("company", "(株)ABC商事"),
            ("csrf", &csrf),
            ("status", "new"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let location = ok
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    let page = app.page(&location).await;
    assert!(page.contains("高橋 真一") && page.contains("s.takahashi@example.co.jp"));
    let id: i64 = location.trim_start_matches("/leads/").parse().expect("id");
    let edit = app
        .client
        .post(app.url(&location))
        .form(&[
            ("name", "高橋 真一"),
            ("email", "s.takahashi@example.co.jp"),
            ("title", "営業部長"),
            ("status", "nurturing"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(edit.status(), StatusCode::SEE_OTHER);
    let (_, got) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(got["title"], "営業部長");
    assert_eq!(got["status"], "nurturing");
    assert!(
        got["company"].is_null(),
        "clearing the company field in the form clears it"
    );
}
