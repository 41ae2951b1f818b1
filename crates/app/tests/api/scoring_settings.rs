//! The scoring settings: the criteria in words for everyone, a change saved as a version
//! and followed by rescoring every lead, TOML export/import and restore, assignment rules
//! that route sales-ready leads, and the sweep that makes quiet nurtured leads dormant.

use std::time::Duration;

use ondo_domain::{Micros, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app};

fn ago(days: i64) -> String {
    Micros::now()
        .saturating_add(-Micros::days(days) - 1_000_000)
        .to_rfc3339()
}

async fn lead(app: &TestApp, body: Value) -> i64 {
    let (status, lead) = json(app.post_lead(&body).await).await;
    assert!(status.is_success(), "{lead}");
    lead["id"].as_i64().expect("id")
}

async fn get_lead(app: &TestApp, id: i64) -> Value {
    let (status, lead) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(status, StatusCode::OK, "{lead}");
    lead
}

async fn post_events(app: &TestApp, body: Value) {
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The edit form as a browser would send it: every input and text area with its value.
fn form_values(html: &str) -> Vec<(String, String)> {
    let start = html
        .find("action=\"/settings/scoring\"")
        .expect("the edit form");
    let form = &html[start..start + html[start..].find("</form>").expect("form end")];
    let mut values = Vec::new();
    for tag in form.split('<').skip(1) {
        let attr = |name: &str| {
            let marker = format!(" {name}=\"");
            tag.find(&marker).map(|i| {
                let rest = &tag[i + marker.len()..];
                unescape(&rest[..rest.find('"').expect("closing quote")])
            })
        };
        if tag.starts_with("input") {
            if let (Some(name), Some(value)) = (attr("name"), attr("value")) {
                values.push((name, value));
            }
        } else if tag.starts_with("textarea") {
            let name = attr("name").expect("a named text area");
            let body = &tag[tag.find('>').expect("tag end") + 1..];
            values.push((name, unescape(body)));
        } else if tag.starts_with("select") {
            let name = attr("name").expect("a named select");
            let selected = form[form.find(tag).expect("select")..]
                .split("<option")
                .find(|o| o.contains(" selected"))
                .and_then(|o| o.split("value=\"").nth(1))
                .map(|v| v[..v.find('"').expect("quote")].to_string())
                .expect("a selected option");
            values.push((name, selected));
        }
    }
    values
}

fn set(values: &mut [(String, String)], name: &str, value: &str) {
    let slot = values
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    slot.1 = value.to_string();
}

async fn submit(app: &TestApp, values: &[(String, String)]) -> reqwest::Response {
    app.client
        .post(app.url("/settings/scoring"))
        .form(values)
        .send()
        .await
        .expect("request")
}

/// Waits until the rescoring the last save queued is done, as its page shows it.
async fn wait_for_rescoring(app: &TestApp) -> String {
    for _ in 0..200 {
        let page = app.page("/settings/scoring").await;
        if page.contains("data-state=\"done\"") {
            return page;
        }
        assert!(
            !page.contains("data-state=\"failed\""),
            "rescoring failed: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("rescoring did not finish in 20 s");
}

async fn signed_in(app: &TestApp, email: &str) {
    let resp = app.sign_in(email, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_rule_change_is_versioned_and_rescores_every_lead() {
    let app = spawn_app().await;
    let id = lead(
        &app,
        json!({"name": "価格 見子", "email": "mi@price.example.jp"}),
    )
    .await;
    post_events(
        &app,
        json!([{"id": "p1", "type": "page_view", "at": ago(0), "lead_id": id, "url": "/pricing"}]),
    )
    .await;
    let before = get_lead(&app, id).await;
    assert_eq!(before["status"], "new", "{before}");

    signed_in(&app, "admin@example.com").await;
    let page = app.page("/settings/scoring").await;
    assert!(page.contains("既定のルール"), "{page}");
    assert!(
        page.contains("エンゲージメントが 15 点以上"),
        "the MQL criterion is written out: {page}"
    );

    // A pricing page is now worth 20 points: the lead crosses the MQL line once rescored.
    let mut values = form_values(&page);
    set(&mut values, "points.page_view.product", "20");
    set(&mut values, "note", "価格ページを重視");
    let resp = submit(&app, &values).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().expect("location");
    assert!(
        location.starts_with("/settings/scoring?saved=1"),
        "{location}"
    );
    let page = wait_for_rescoring(&app).await;
    assert!(page.contains("バージョン 1"), "{page}");
    let after = get_lead(&app, id).await;
    assert_eq!(after["status"], "nurturing", "{after}");
    assert!(
        after["scores"]["engagement"].as_f64().expect("engagement") > 19.0,
        "{after}"
    );

    // The export is the TOML of the rules in force.
    let export = app
        .client
        .get(app.url("/settings/scoring/export"))
        .send()
        .await
        .expect("export");
    assert_eq!(export.status(), StatusCode::OK);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .expect("header")
            .contains("ondo-scoring-v1.toml")
    );
    let toml = export.text().await.expect("body");
    assert!(toml.contains("product = 20"), "{toml}");

    // Values that disagree are refused at the setting, and nothing is saved.
    let mut values = form_values(&app.page("/settings/scoring").await);
    set(&mut values, "bands.hot", "3");
    set(&mut values, "points.download", "たくさん");
    let resp = submit(&app, &values).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.expect("body");
    assert!(page.contains("id=\"err-s-points-download\""), "{page}");
    assert!(page.contains("たくさん"), "what was typed is kept: {page}");
    let page = app.page("/settings/scoring").await;
    assert!(page.contains("バージョン 1"), "{page}");
    let mut values = form_values(&page);
    set(&mut values, "bands.hot", "3");
    let resp = submit(&app, &values).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.expect("body");
    assert!(page.contains("id=\"err-s-bands-hot\""), "{page}");

    // TOML import: a broken file names the line; a good one is saved as version 2.
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let import = |text: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("toml", String::new())
            .part(
                "file",
                reqwest::multipart::Part::bytes(text.into_bytes()).file_name("rules.toml"),
            );
        app.client
            .post(app.url("/settings/scoring/import"))
            .multipart(form)
            .send()
    };
    let resp = import("half_life_days = 7\n[bands\nhot = 50\n".into())
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.expect("body");
    assert!(page.contains("id=\"toml-error\""), "{page}");
    assert!(page.contains("line 2"), "the error names the line: {page}");
    let resp = import(toml.replace("half_life_days = 14", "half_life_days = 7"))
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = wait_for_rescoring(&app).await;
    assert!(page.contains("バージョン 2"), "{page}");
    assert!(page.contains("7 日ごとに半分"), "{page}");

    // Restoring version 1 saves it again as version 3.
    let resp = app
        .client
        .post(app.url("/settings/scoring/versions/1/restore"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = wait_for_rescoring(&app).await;
    assert!(page.contains("バージョン 3"), "{page}");
    assert!(page.contains("14 日ごとに半分"), "{page}");
    let v3 = app
        .client
        .get(app.url("/settings/scoring/versions/3/toml"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert_eq!(v3, toml);

    // The audit log records each save.
    let (_, audit) = json(
        app.client
            .get(app.url("/api/v1/audit"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    let saves = audit
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["entity"] == "scoring_rules" && e["action"] == "save")
        .count();
    assert_eq!(saves, 3, "{audit}");
}

#[tokio::test]
async fn salespeople_read_the_criteria_but_cannot_change_them() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    signed_in(&app, "sales@example.com").await;
    let resp = app
        .client
        .get(app.url("/settings/scoring"))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.expect("body");
    assert!(page.contains("id=\"criteria\""), "{page}");
    assert!(!page.contains("action=\"/settings/scoring\""), "{page}");
    let csrf = hidden_value(&page, "csrf").expect("csrf of the frame");
    let resp = app
        .client
        .post(app.url("/settings/scoring"))
        .form(&[("csrf", csrf.as_str()), ("bands.hot", "1")])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app
        .client
        .post(app.url("/settings/scoring/versions/1/restore"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // An admin without the CSRF token is refused too.
    let app = spawn_app().await;
    signed_in(&app, "admin@example.com").await;
    let mut values = form_values(&app.page("/settings/scoring").await);
    set(&mut values, "csrf", "forged");
    let resp = submit(&app, &values).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        app.page("/settings/scoring").await.contains("既定のルール"),
        "nothing saved"
    );
}

#[tokio::test]
async fn assignment_rules_route_sales_ready_leads_and_the_audit_says_why() {
    let app = spawn_app().await;
    for who in ["sales-a@example.com", "sales-b@example.com"] {
        app.user_with_token(app.ws(), who, Role::Sales).await;
    }
    signed_in(&app, "admin@example.com").await;
    let mut values = form_values(&app.page("/settings/scoring").await);
    set(
        &mut values,
        "assignment",
        "prefecture, 大阪, Sales-B@example.com\nsource, 存在しない展示会, gone@example.com",
    );
    let resp = submit(&app, &values).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = wait_for_rescoring(&app).await;
    assert!(page.contains("割り当てルール（2 件）"), "{page}");

    let mut owners = Vec::new();
    for (n, address) in [
        "〒530-0001 大阪府大阪市北区梅田1-1",
        "大阪市中央区本町2-2",
        "東京都千代田区丸の内1-1",
    ]
    .into_iter()
    .enumerate()
    {
        let id = lead(
            &app,
            json!({"name": format!("割当 {n}"), "email": format!("p{n}@corp{n}.example.jp"),
                   "company": format!("株式会社割当{n}"), "department": "総務部",
                   "address": address}),
        )
        .await;
        post_events(
            &app,
            json!([
                {"id": format!("d{n}"), "type": "download", "at": ago(3), "lead_id": id, "url": "/documents/guide.pdf"},
                {"id": format!("v{n}a"), "type": "page_view", "at": ago(2), "lead_id": id, "url": "/product/"},
                {"id": format!("v{n}b"), "type": "page_view", "at": ago(1), "lead_id": id, "url": "/pricing"},
            ]),
        )
        .await;
        let l = get_lead(&app, id).await;
        assert_eq!(l["status"], "sales_ready", "{l}");
        owners.push((id, l["owner"]["email"].as_str().expect("owner").to_string()));
    }
    assert_eq!(owners[0].1, "sales-b@example.com");
    assert_eq!(owners[1].1, "sales-b@example.com", "短い都道府県名も読む");
    // Tokyo matches no rule: the next salesperson in turn.
    assert_eq!(owners[2].1, "sales-a@example.com");

    let audit_of = |id: i64| {
        let app = &app;
        async move {
            let (_, audit) = json(
                app.client
                    .get(app.url(&format!("/api/v1/audit?lead_id={id}")))
                    .bearer_auth(&app.token)
                    .send()
                    .await
                    .expect("request"),
            )
            .await;
            audit
                .as_array()
                .expect("entries")
                .iter()
                .find(|e| e["action"] == "assign")
                .cloned()
                .unwrap_or_else(|| panic!("an assign entry: {audit}"))
        }
    };
    let by_rule = audit_of(owners[0].0).await;
    assert!(
        by_rule["after"]["by"]
            .as_str()
            .expect("by")
            .starts_with("rule 1: prefecture"),
        "{by_rule}"
    );
    let by_turn = audit_of(owners[2].0).await;
    assert_eq!(by_turn["after"]["by"], "round robin");
}

#[tokio::test]
async fn quiet_nurtured_leads_become_dormant_with_a_renurture_date() {
    let app = spawn_app().await;
    let quiet = lead(
        &app,
        json!({"name": "静 一", "email": "quiet@a.example.jp"}),
    )
    .await;
    let new = lead(&app, json!({"name": "新 二", "email": "new@b.example.jp"})).await;
    post_events(
        &app,
        json!([
            {"id": "q", "type": "download", "at": ago(1), "lead_id": quiet, "url": "/documents/a.pdf"},
            {"id": "n", "type": "email_open", "at": ago(1), "lead_id": new},
        ]),
    )
    .await;
    assert_eq!(get_lead(&app, quiet).await["status"], "nurturing");
    assert_eq!(get_lead(&app, new).await["status"], "new");

    // Two months of quiet is not yet dormancy.
    let sweep = |days: i64| {
        let app = &app;
        async move {
            let at = Micros::now().saturating_add(Micros::days(days));
            ondo_jobs::scoring::sweep::sweep_dormant(&app.db, app.ws(), at)
                .await
                .expect("sweep")
        }
    };
    assert_eq!(sweep(60).await, 0);
    assert_eq!(get_lead(&app, quiet).await["status"], "nurturing");

    // After 95 quiet days the nurtured lead is dormant; a new lead is left alone.
    assert_eq!(sweep(95).await, 1);
    let l = get_lead(&app, quiet).await;
    assert_eq!(l["status"], "lost_dormant", "{l}");
    assert_eq!(get_lead(&app, new).await["status"], "new");
    let (_, audit) = json(
        app.client
            .get(app.url(&format!("/api/v1/audit?lead_id={quiet}")))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    let dormant = audit
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "handoff" && e["after"]["status"] == "lost_dormant")
        .unwrap_or_else(|| panic!("a dormancy entry: {audit}"));
    assert_eq!(dormant["after"]["rule"], "dormant");
    // A second sweep finds nothing more to do.
    assert_eq!(sweep(96).await, 0);
}
