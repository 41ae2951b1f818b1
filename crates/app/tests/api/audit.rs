//! The audit log: `GET /api/v1/audit` with its filters and pages, and the `/audit` page,
//! for admins and managers only.

use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json, spawn_app};
use crate::roles_matrix::{ROLES, SUZUKI, browser, email_of, users};

async fn audit(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    json(
        app.client
            .get(app.url(&format!("/api/v1/audit{query}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request"),
    )
    .await
}

fn entries(v: &Value) -> &Vec<Value> {
    v.as_array().expect("a list of entries")
}

#[tokio::test]
async fn the_audit_api_filters_pages_and_is_for_managers() {
    let app = spawn_app().await;
    let (tokens, _) = users(&app).await;
    let (_, lead) = json(
        app.post_lead(
            &json!({"name": "監査 太郎", "company": "株式会社監査テスト", "owner": SUZUKI}),
        )
        .await,
    )
    .await;
    let id = lead["id"].as_i64().expect("id");
    let company = lead["company"]["id"].as_i64().expect("company");
    let resp = app
        .client
        .patch(app.url(&format!("/api/v1/leads/{id}")))
        .bearer_auth(&tokens["manager"])
        .json(&json!({"title": "部長", "owner": email_of(Role::Sales), "owner_reason": "担当替え"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);

    for (role, want) in [
        ("admin", StatusCode::OK),
        ("manager", StatusCode::OK),
        ("marketing", StatusCode::FORBIDDEN),
        ("sales", StatusCode::FORBIDDEN),
    ] {
        let (status, _) = audit(&app, &tokens[role], "").await;
        assert_eq!(status, want, "{role}");
        let (status, _) = audit(&app, &tokens[role], &format!("?lead_id={id}")).await;
        assert_eq!(status, want, "{role} with a filter");
    }
    assert_eq!(
        audit(&app, "ondo_1_wrong", "").await.0,
        StatusCode::UNAUTHORIZED
    );

    // One lead's trail, newest first: the owner change with its reason, the field change
    // with before and after, the creation.
    let (_, trail) = audit(&app, &app.token, &format!("?lead_id={id}")).await;
    let actions: Vec<&str> = entries(&trail)
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["reassign", "update", "create"]);
    let update = &entries(&trail)[1];
    assert_eq!(update["before"]["title"], Value::Null);
    assert_eq!(update["after"]["title"], "部長");
    assert_eq!(update["actor"], "manager@example.com");
    assert_eq!(update["via"], "api");
    assert!(update["at"].as_str().is_some_and(|t| t.len() >= 20));

    // The company created with the lead is in the log too.
    let (_, companies) = audit(&app, &app.token, "?entity=company").await;
    let created: Vec<&Value> = entries(&companies)
        .iter()
        .filter(|e| e["entity_id"] == company)
        .collect();
    assert_eq!(created.len(), 1, "{companies}");
    assert_eq!(created[0]["action"], "create");
    assert_eq!(created[0]["after"]["name"], "株式会社監査テスト");

    // By actor, by email or id.
    let (_, by_manager) = audit(&app, &app.token, "?actor=manager@example.com").await;
    assert!(!entries(&by_manager).is_empty());
    assert!(
        entries(&by_manager)
            .iter()
            .all(|e| e["actor"] == "manager@example.com")
    );
    let manager_id = entries(&by_manager)[0]["actor_id"].as_i64().expect("id");
    let (_, by_id) = audit(&app, &app.token, &format!("?actor={manager_id}")).await;
    assert_eq!(by_id, by_manager);

    // Pages: before_id walks back without overlap or gap.
    let (_, everything) = audit(&app, &app.token, "?limit=1000").await;
    let all: Vec<i64> = entries(&everything)
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    assert!(all.len() >= 4, "{all:?}");
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first");
    let mut walked = Vec::new();
    let mut before = String::new();
    loop {
        let (_, page) = audit(&app, &app.token, &format!("?limit=2{before}")).await;
        let ids: Vec<i64> = entries(&page)
            .iter()
            .map(|e| e["id"].as_i64().expect("id"))
            .collect();
        if ids.is_empty() {
            break;
        }
        before = format!("&before_id={}", ids[ids.len() - 1]);
        walked.extend(ids);
    }
    assert_eq!(walked, all);

    // Bad filters are refused by name.
    for (query, field) in [
        ("?actor=nobody@example.com", "actor"),
        ("?entity=Lead;DROP", "entity"),
    ] {
        let (status, err) = audit(&app, &app.token, query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(err["field"], field);
    }
}

#[tokio::test]
async fn the_audit_page_shows_each_change_readably_to_managers_only() {
    let app = spawn_app().await;
    users(&app).await;
    let evil = "<script>alert(1)</script>";
    let (_, lead) = json(
        app.post_lead(&json!({"name": "表示 花子", "title": evil, "owner": SUZUKI}))
            .await,
    )
    .await;
    let id = lead["id"].as_i64().expect("id");
    let long = "長".repeat(400);
    let resp = app
        .patch_lead(
            id,
            &json!({"title": "課長", "department": long, "owner": email_of(Role::Sales), "owner_reason": "引き継ぎ<b>"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    for role in ROLES {
        let b = browser(&app, email_of(role)).await;
        let resp = b
            .client
            .get(app.url("/audit"))
            .send()
            .await
            .expect("request");
        let want = if role.can_manage() {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(resp.status(), want, "{role:?}");
        if !role.can_manage() {
            continue;
        }
        let page = resp.text().await.expect("body");
        assert!(page.contains("監査ログ"));
        assert!(!page.contains(evil) && !page.contains("<b>"), "escaped");
        assert!(page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"));
        // The title, before → after, field by field, with Japanese labels.
        assert!(page.contains("役職"), "the field's label");
        assert!(page.contains("<ins>課長</ins>"), "the new value");
        assert!(page.contains("担当者の変更") && page.contains("引き継ぎ"));
        assert!(page.contains(&format!("href=\"/leads/{id}\"")));
        assert!(
            !page.contains(&long) && page.contains(&format!("{}…", "長".repeat(160))),
            "a long value is cut"
        );
        let year = ondo_domain::Micros::now().format_jst_date()[..5].to_string();
        assert!(page.contains(&year), "a Japanese date: {year}");
        assert!(page.contains("admin@example.com"), "who made the change");
    }

    // Filters and the English page.
    let b = browser(&app, "manager@example.com").await;
    let filtered = b
        .client
        .get(app.url("/audit?entity=company"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(!filtered.contains("表示 花子") && !filtered.contains("課長"));
    let by_lead = b
        .client
        .get(app.url(&format!("/audit?lead_id={id}")))
        .header("accept-language", "en")
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(by_lead.contains("Audit log") && by_lead.contains("Owner changed"));
    let bad = b
        .client
        .get(app.url("/audit?lead_id=abc"))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}
