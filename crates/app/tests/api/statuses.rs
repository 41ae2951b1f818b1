//! The status definitions page: everyone reads what each status means and how a lead
//! enters it; admins reword it and manage the lost reasons, which the API then enforces.

use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app};

async fn signed_in(app: &TestApp, email: &str) -> String {
    let resp = app.sign_in(email, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = app.page("/settings/statuses").await;
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

#[tokio::test]
async fn everyone_reads_the_definitions_and_only_admins_change_them() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    let csrf = signed_in(&app, "sales@example.com").await;
    let page = app.page("/settings/statuses").await;
    for label in [
        "新規",
        "育成中 (MQL)",
        "営業渡し (SQL)",
        "案件化見込み",
        "失注/休眠",
    ] {
        assert!(page.contains(label), "{label}: {page}");
    }
    assert!(
        page.contains("エンゲージメントが 15 点以上"),
        "the MQL criterion comes from the handoff rules: {page}"
    );
    assert!(page.contains("90 日間エンゲージメントがない"), "{page}");
    assert!(
        page.contains("競合採用"),
        "the standard lost reasons: {page}"
    );
    assert!(!page.contains("action=\"/settings/statuses/lost-reasons\""));
    let resp = post(
        &app,
        "/settings/statuses/lost-reasons",
        &[("csrf", &csrf), ("reasons", "何でも")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post(
        &app,
        "/settings/statuses/new",
        &[("csrf", &csrf), ("meaning", "x")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // In English too.
    let resp = app
        .client
        .get(app.url("/settings/statuses"))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("request");
    let body = resp.text().await.expect("body");
    assert!(body.contains("Sales&#39; role"), "{body}");
}

#[tokio::test]
async fn admins_reword_statuses_and_the_text_is_escaped() {
    let app = spawn_app().await;
    let csrf = signed_in(&app, "admin@example.com").await;
    let resp = post(
        &app,
        "/settings/statuses/opportunity",
        &[
            ("csrf", &csrf),
            ("meaning", "予算と時期が<b>見えた</b>"),
            ("marketing_role", ""),
            ("sales_role", "デモを設定する"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = app.page("/settings/statuses").await;
    assert!(
        page.contains("予算と時期が&#60;b&#62;見えた&#60;/b&#62;"),
        "{page}"
    );
    assert!(!page.contains("<b>見えた</b>"));
    assert!(page.contains("デモを設定する"));
    assert!(
        page.contains("施策を調整する"),
        "a blank field keeps the standard text"
    );
    // Without the token nothing changes.
    let resp = post(
        &app,
        "/settings/statuses/opportunity",
        &[("csrf", "forged"), ("meaning", "改ざん")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(!app.page("/settings/statuses").await.contains("改ざん"));
    let resp = post(
        &app,
        "/settings/statuses/closed",
        &[("csrf", &csrf), ("meaning", "x")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lost_reasons_come_from_the_managed_list() {
    let app = spawn_app().await;
    let (_, lead) = json(
        app.post_lead(&json!({"name": "失注 太郎", "email": "lost@a.example.jp"}))
            .await,
    )
    .await;
    let id = lead["id"].as_i64().expect("id");
    // A standard reason is accepted before any edit.
    let (status, body) = json(
        app.patch_lead(
            id,
            &json!({"status": "lost_dormant", "lost_reason": "時期尚早"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let csrf = signed_in(&app, "admin@example.com").await;
    // An empty list is refused, naming the field, and nothing changes.
    let resp = post(
        &app,
        "/settings/statuses/lost-reasons",
        &[("csrf", &csrf), ("reasons", " \n ")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("id=\"err-reasons\"")
    );
    let resp = post(
        &app,
        "/settings/statuses/lost-reasons",
        &[
            ("csrf", &csrf),
            ("reasons", "価格が合わない\n競合採用\n社内で内製"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = app.page("/settings/statuses").await;
    assert!(page.contains("社内で内製"), "{page}");

    // The API takes reasons from the new list only, and says which it accepts.
    let (_, other) = json(
        app.post_lead(&json!({"name": "失注 次郎", "email": "lost2@b.example.jp"}))
            .await,
    )
    .await;
    let other = other["id"].as_i64().expect("id");
    let (status, err) = json(
        app.patch_lead(
            other,
            &json!({"status": "lost_dormant", "lost_reason": "予算なし"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["field"], "lost_reason");
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("社内で内製"),
        "{err}"
    );
    let (status, body) = json(
        app.patch_lead(
            other,
            &json!({"status": "lost_dormant", "lost_reason": "社内で内製"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["lost_reason"], "社内で内製");

    // A lead lost for a reason no longer listed keeps it, and its edit form offers it.
    let (status, body) = json(app.patch_lead(id, &json!({"name": "失注 太郎"})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["lost_reason"], "時期尚早");
    let form = app.page(&format!("/leads/{id}/edit")).await;
    assert!(form.contains("value=\"時期尚早\" selected"), "{form}");
    assert!(form.contains("value=\"価格が合わない\""), "{form}");
}
