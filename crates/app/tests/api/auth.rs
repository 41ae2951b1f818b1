use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, hidden_value, json, spawn_app};

#[tokio::test]
async fn requests_without_a_valid_token_are_401() {
    let app = spawn_app().await;
    let none = app
        .client
        .get(app.url("/api/v1/leads"))
        .send()
        .await
        .expect("request");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let (_, err) = json(none).await;
    assert_eq!(err["error"], "unauthorized");
    for bad in ["nonsense", "ondo_1_wrong", &format!("{}x", app.token)] {
        let resp = app
            .client
            .post(app.url("/api/v1/leads"))
            .bearer_auth(bad)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
}

#[tokio::test]
async fn the_audit_log_is_for_admins_and_managers_only() {
    let app = spawn_app().await;
    for (email, role, expected) in [
        ("m@example.com", Role::Manager, StatusCode::OK),
        ("s@example.com", Role::Sales, StatusCode::FORBIDDEN),
        ("k@example.com", Role::Marketing, StatusCode::FORBIDDEN),
    ] {
        let token = app.user_with_token(app.ws(), email, role).await;
        let resp = app
            .client
            .get(app.url("/api/v1/audit"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), expected, "{role:?}");
    }
}

#[tokio::test]
async fn signing_in_rotates_the_session_and_sets_a_safe_cookie() {
    let app = spawn_app().await;
    let resp = app.sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ondo_session="))
        .expect("a session cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let first = cookie.split(';').next().expect("value").to_string();
    let page = app
        .client
        .get(app.url("/leads"))
        .send()
        .await
        .expect("leads");
    assert_eq!(page.status(), StatusCode::OK);
    // Signing in again yields a new session id and ends the old one.
    let again = app.sign_in("admin@example.com", PASSWORD).await;
    let second = again
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ondo_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .expect("value")
        .to_string();
    assert_ne!(first, second);
    let fresh = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let old = fresh
        .get(app.url("/leads"))
        .header("cookie", &first)
        .send()
        .await
        .expect("request");
    assert_eq!(
        old.status(),
        StatusCode::SEE_OTHER,
        "the old session no longer works"
    );
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_then_throttled() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let resp = app.sign_in("admin@example.com", "wrong password!").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(resp.text().await.expect("body").contains("role=\"alert\""));
    }
    let locked = app.sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits while locked"
    );
    let unknown = app.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_site_are_refused() {
    let app = spawn_app().await;
    let resp = app.sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let form = app.page("/leads/new").await;
    let csrf = hidden_value(&form, "csrf").expect("csrf in the form");

    let missing = app
        .client
        .post(app.url("/leads"))
        .form(&[("name", "攻撃 太郎")])
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let cross = app
        .client
        .post(app.url("/leads"))
        .header("origin", "https://evil.example")
        .form(&[("name", "攻撃 太郎"), ("csrf", &csrf)])
        .send()
        .await
        .expect("request");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let ok = app
        .client
        .post(app.url("/leads"))
        .form(&[("name", "正規 太郎"), ("csrf", &csrf), ("status", "new")])
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let (_, list) = json(app.list_leads("").await).await;
    let names: Vec<&str> = list["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .map(|l| l["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, vec!["正規 太郎"]);

    let login_without_token = app
        .client
        .post(app.url("/login"))
        .form(&[("email", "admin@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(login_without_token.status(), StatusCode::FORBIDDEN);
}
