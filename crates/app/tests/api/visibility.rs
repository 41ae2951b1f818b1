//! What a salesperson sees — their own leads, unassigned leads and the colleagues of
//! their leads (others at the same companies), nowhere anything else — and how a lead
//! changes hands: only with the right role, and with a reason kept in the audit log.

use std::collections::BTreeSet;

use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json, spawn_app};
use crate::roles_matrix::{SUZUKI, browser, email_of, fixture, users};

async fn get_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    json(
        app.client
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request"),
    )
    .await
}

async fn patch_as(app: &TestApp, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    json(
        app.client
            .patch(app.url(&format!("/api/v1/leads/{id}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Every lead id of the API list, walking the pages `limit` at a time.
async fn all_listed(app: &TestApp, token: &str, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = get_json(
            app,
            token,
            &format!("/api/v1/leads?limit={limit}&cursor={cursor}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for l in page["leads"].as_array().expect("leads") {
            ids.push(l["id"].as_i64().expect("id"));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn a_salesperson_sees_own_unassigned_and_colleagues_only() {
    let app = spawn_app().await;
    let (tokens, _) = users(&app).await;
    let f = fixture(&app).await;
    let sato = &tokens["sales"];
    let visible = [
        f.mine_alpha,
        f.colleague_alpha,
        f.unassigned_alpha,
        f.unassigned_beta,
        f.mine_alone,
    ];
    let hidden = [f.hidden_beta, f.hidden_alone];

    // The list, newest first, page by page, has exactly the leads they may see.
    let mut want: Vec<i64> = visible.to_vec();
    want.sort_by_key(|id| std::cmp::Reverse(*id));
    assert_eq!(all_listed(&app, sato, 2).await, want);
    assert_eq!(all_listed(&app, sato, 50).await, want);
    let everyone: BTreeSet<i64> = all_listed(&app, &tokens["marketing"], 3)
        .await
        .into_iter()
        .collect();
    assert_eq!(everyone.len(), 7, "marketing sees every lead");
    // Filters combine with what they may see.
    let (_, beta) = get_json(&app, sato, &format!("/api/v1/leads?company_id={}", f.beta)).await;
    let beta_ids: Vec<i64> = beta["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .map(|l| l["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(beta_ids, vec![f.unassigned_beta]);
    let (_, owned_by_suzuki) = get_json(&app, sato, &format!("/api/v1/leads?owner={SUZUKI}")).await;
    let suzuki_ids: Vec<i64> = owned_by_suzuki["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .map(|l| l["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(suzuki_ids, vec![f.colleague_alpha], "only the colleague");

    // One lead: the API and the page answer 404 for what they may not see.
    for id in visible {
        assert_eq!(
            app.get_lead(sato, id).await.status(),
            StatusCode::OK,
            "{id}"
        );
    }
    for id in hidden {
        let (status, body) = json(app.get_lead(sato, id).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        let (missing_status, missing) = json(app.get_lead(sato, 987_654).await).await;
        assert_eq!(
            (status, body),
            (missing_status, missing),
            "the same as a lead that does not exist"
        );
        let (status, _) = patch_as(&app, sato, id, json!({"title": "部長"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let resp = app
            .client
            .post(app.url(&format!("/api/v1/leads/{id}/activities")))
            .bearer_auth(sato)
            .json(&json!({"type": "call", "outcome": "不在"}))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }
    let (_, untouched) = json(app.get_lead(&app.token, f.hidden_beta).await).await;
    assert!(
        untouched["title"].is_null(),
        "nothing was changed: {untouched}"
    );

    // Pages: the list, the lead, the edit form and the company.
    let b = browser(&app, email_of(Role::Sales)).await;
    let page = |path: String| {
        let client = b.client.clone();
        let url = app.url(&path);
        async move {
            let resp = client.get(url).send().await.expect("page");
            let status = resp.status();
            (status, resp.text().await.expect("body"))
        }
    };
    let (_, list) = page("/leads".into()).await;
    for name in [
        "青木 一郎",
        "石井 二郎",
        "上田 三郎",
        "大野 五郎",
        "木村 七郎",
    ] {
        assert!(list.contains(name), "the list shows {name}");
    }
    for name in ["江藤 四郎", "加藤 六郎"] {
        assert!(!list.contains(name), "the list hides {name}");
    }
    for id in hidden {
        for path in [format!("/leads/{id}"), format!("/leads/{id}/edit")] {
            assert_eq!(page(path.clone()).await.0, StatusCode::NOT_FOUND, "{path}");
        }
    }
    let (status, colleague) = page(format!("/leads/{}", f.colleague_alpha)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        colleague.contains("青木 一郎"),
        "their own lead is a colleague shown"
    );
    let (status, unassigned) = page(format!("/leads/{}", f.unassigned_beta)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !unassigned.contains("江藤 四郎"),
        "an unassigned lead's page does not show the colleagues they may not see"
    );
    let (status, company) = page(format!("/companies/{}", f.beta)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(company.contains("大野 五郎") && !company.contains("江藤 四郎"));
    assert!(
        company.contains("id=\"company-people-hidden\""),
        "says that a lead is not shown"
    );
    let (_, companies) = page("/companies".into()).await;
    assert!(!companies.contains("江藤 四郎") && !companies.contains("加藤 六郎"));
    let (_, alpha) = page(format!("/companies/{}", f.alpha)).await;
    assert!(
        alpha.contains("石井 二郎") && !alpha.contains("company-people-hidden"),
        "every colleague at a company where they own a lead"
    );

    // The queue: their own leads only.
    let (status, queue) = get_json(&app, sato, "/api/v1/queue?limit=100").await;
    assert_eq!(status, StatusCode::OK);
    for item in queue.as_array().expect("queue") {
        let id = item["id"].as_i64().expect("id");
        assert!(
            [f.mine_alpha, f.mine_alone].contains(&id),
            "queue item {id} is theirs"
        );
    }
    let (status, _) = get_json(&app, sato, &format!("/api/v1/queue?owner={SUZUKI}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The `reassign` entries of a lead's audit trail, oldest first.
async fn reassignments(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, entries) = get_json(app, &app.token, &format!("/api/v1/audit?lead_id={id}")).await;
    assert_eq!(status, StatusCode::OK);
    let mut out: Vec<Value> = entries
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "reassign")
        .cloned()
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn owners_change_only_with_the_right_role_and_a_reason() {
    let app = spawn_app().await;
    let (tokens, _) = users(&app).await;
    let f = fixture(&app).await;
    let sato = &tokens["sales"];
    let manager = &tokens["manager"];
    let sato_email = email_of(Role::Sales);

    // A salesperson takes an unassigned lead for themselves: no reason needed.
    let (status, taken) =
        patch_as(&app, sato, f.unassigned_alpha, json!({"owner": sato_email})).await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    assert_eq!(taken["owner"]["email"], sato_email);
    let r = reassignments(&app, f.unassigned_alpha).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["before"]["owner_id"], Value::Null);
    assert_eq!(r[0]["after"]["owner"], sato_email, "the new owner by name");
    assert_eq!(r[0]["after"]["owner_id"], taken["owner"]["id"]);

    // …but may not take a colleague's lead, give one away, or give an unassigned one to another.
    for (id, body) in [
        (
            f.colleague_alpha,
            json!({"owner": sato_email, "owner_reason": "引き継ぎ"}),
        ),
        (
            f.mine_alone,
            json!({"owner": SUZUKI, "owner_reason": "異動"}),
        ),
        (
            f.mine_alone,
            json!({"owner": null, "owner_reason": "手放す"}),
        ),
        (f.unassigned_beta, json!({"owner": SUZUKI})),
    ] {
        let (status, err) = patch_as(&app, sato, id, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body} → {err}");
        assert!(reassignments(&app, id).await.is_empty());
    }
    let (_, lead) = json(app.get_lead(&app.token, f.colleague_alpha).await).await;
    assert_eq!(lead["owner"]["email"], SUZUKI, "unchanged");

    // A manager moves a lead that has an owner only with a reason.
    let (status, err) = patch_as(&app, manager, f.mine_alpha, json!({"owner": SUZUKI})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "owner_reason");
    let (status, err) = patch_as(
        &app,
        manager,
        f.mine_alpha,
        json!({"owner": SUZUKI, "owner_reason": "   "}),
    )
    .await;
    assert_eq!(
        (status, err["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("owner_reason"))
    );
    let (_, lead) = json(app.get_lead(&app.token, f.mine_alpha).await).await;
    assert_eq!(lead["owner"]["email"], sato_email, "nothing changed");
    let (status, moved) = patch_as(
        &app,
        manager,
        f.mine_alpha,
        json!({"owner": SUZUKI, "owner_reason": "担当エリアの変更"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["owner"]["email"], SUZUKI);
    let r = reassignments(&app, f.mine_alpha).await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["after"]["reason"], "担当エリアの変更");
    assert_eq!(r[0]["before"]["owner"], "sato@example.com");
    assert_eq!(r[0]["after"]["owner"], SUZUKI);
    assert_eq!(r[0]["actor"], "manager@example.com");
    // 佐藤 still owns the lead they took at アルファ, so they still see its colleagues.
    assert_eq!(
        app.get_lead(sato, f.colleague_alpha).await.status(),
        StatusCode::OK
    );

    // The edit form: a new owner for an owned lead needs the reason field.
    let m = browser(&app, "manager@example.com").await;
    let (_, users_json) =
        get_json(&app, &app.token, &format!("/api/v1/leads/{}", f.mine_alone)).await;
    let sato_id = users_json["owner"]["id"]
        .as_i64()
        .expect("sato's id")
        .to_string();
    let (_, suzuki_lead) = json(app.get_lead(&app.token, f.hidden_alone).await).await;
    let suzuki_id = suzuki_lead["owner"]["id"]
        .as_i64()
        .expect("suzuki's id")
        .to_string();
    let post = |reason: &'static str| {
        let form = vec![
            ("csrf", m.csrf.clone()),
            ("name", "木村 七郎".to_string()),
            ("status", "new".to_string()),
            ("owner", suzuki_id.clone()),
            ("owner_reason", reason.to_string()),
        ];
        let req = m
            .client
            .post(app.url(&format!("/leads/{}", f.mine_alone)))
            .form(&form);
        async move { req.send().await.expect("request") }
    };
    let refused = post("").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, lead) = json(app.get_lead(&app.token, f.mine_alone).await).await;
    assert_eq!(
        lead["owner"]["id"].as_i64().map(|i| i.to_string()),
        Some(sato_id)
    );
    let done = post("休職のため").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let r = reassignments(&app, f.mine_alone).await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["after"]["reason"], "休職のため");
    assert_eq!(r[0]["via"], "web");
}

#[tokio::test]
async fn companies_with_several_owners_are_flagged_and_can_be_listed_alone() {
    let app = spawn_app().await;
    users(&app).await;
    let f = fixture(&app).await;
    let m = browser(&app, "manager@example.com").await;
    let page = |path: &'static str| {
        let req = m.client.get(app.url(path));
        async move { req.send().await.expect("page").text().await.expect("body") }
    };
    // アルファ: 佐藤 and 鈴木 own leads there; ベータ: only 鈴木.
    let all = page("/companies").await;
    assert!(all.contains(&format!("data-company-id=\"{}\"", f.alpha)));
    assert!(all.contains(&format!("data-company-id=\"{}\"", f.beta)));
    assert_eq!(all.matches("double-approach").count(), 1, "one badge");
    for path in [
        "/companies?conflicts=1",
        "/companies?conflicts=1&sort=activity",
        "/companies?conflicts=1&sort=people&q=%E3%82%A2",
    ] {
        let only = page(path).await;
        assert!(
            only.contains(&format!("data-company-id=\"{}\"", f.alpha)),
            "{path}"
        );
        assert!(
            !only.contains(&format!("data-company-id=\"{}\"", f.beta)),
            "{path}"
        );
        assert!(only.contains("id=\"conflicts-note\""), "{path}");
    }
    let none = page("/companies?conflicts=1&q=%E3%83%99%E3%83%BC%E3%82%BF").await; // ベータ
    assert!(none.contains("担当者が重複している会社はありません"));
    // The company page names both owners and how many leads each has.
    let alpha = m
        .client
        .get(app.url(&format!("/companies/{}", f.alpha)))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(alpha.contains("class=\"warning double-approach\""));
    assert!(alpha.contains("sato@example.com") && alpha.contains(SUZUKI));
    assert!(alpha.contains("1件"));
}
