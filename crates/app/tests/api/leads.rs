use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{hold_write_lock, json, spawn_app};

#[tokio::test]
async fn healthz_answers_200() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_created_lead_can_be_read_back_normalised() {
    let app = spawn_app().await;
    let (status, lead) = json(
        app.post_lead(&json!({
            "name": "山田　太郎",
            "kana": "やまだ たろう",
            "email": " T.Yamada@Example.CO.JP ",
            "phone": "312345678",
            "company": "株式会社　サカタのタネ",
            "title": "部長",
            "source": "展示会 2026-10 東京",
            "source_kind": "trade_show",
            "custom_fields": {"従業員規模": "50-100名"}
        }))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    let id = lead["id"].as_i64().expect("id");
    let (status, got) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["name"], "山田 太郎");
    assert_eq!(
        got["kana"], "ヤマダ タロウ",
        "hiragana becomes katakana, the space is kept"
    );
    assert_eq!(got["email"], "t.yamada@example.co.jp");
    assert_eq!(
        got["phone"], "03-1234-5678",
        "the leading zero Excel drops is restored"
    );
    assert_eq!(got["status"], "new");
    assert_eq!(got["company"]["name"], "株式会社サカタのタネ");
    assert_eq!(got["custom_fields"]["従業員規模"], "50-100名");
    assert_eq!(got["touchpoints"][0]["source"], "展示会 2026-10 東京");
    assert_eq!(got["touchpoints"][0]["kind"], "trade_show");
}

#[tokio::test]
async fn the_same_email_unifies_into_one_lead_and_keeps_every_touchpoint() {
    let app = spawn_app().await;
    let (s1, first) = json(app.post_lead(&json!({"name": "佐藤 花子", "email": "h.sato@example.co.jp", "source": "ウェビナー 2026-09"})).await).await;
    assert_eq!(s1, StatusCode::CREATED);
    let (s2, second) = json(
        app.post_lead(&json!({"name": "佐藤 花子", "email": "H.SATO@example.co.jp", "title": "課長", "source": "資料請求"}))
            .await,
    )
    .await;
    assert_eq!(s2, StatusCode::OK, "{second}");
    assert_eq!(first["id"], second["id"]);
    assert_eq!(second["title"], "課長", "an empty field is filled");
    let (_, third) = json(
        app.post_lead(
            &json!({"name": "佐藤 花子", "email": "h.sato@example.co.jp", "title": "部長"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        third["title"], "課長",
        "a value is never overwritten by unification"
    );
    let sources: Vec<&str> = third["touchpoints"]
        .as_array()
        .expect("touchpoints")
        .iter()
        .map(|t| t["source"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(sources.len(), 3, "{sources:?}");
    assert!(sources.contains(&"ウェビナー 2026-09") && sources.contains(&"資料請求"));
}

/// A form sent twice at once (a double click, a retry) and two systems posting the same
/// new person: one lead, every submission a touchpoint of it, and one company. Before, each
/// request looked the person up before any of them had written, and each created a lead;
/// or the company's look-up-then-insert was refused at once with 503 busy.
#[tokio::test]
async fn the_same_new_person_sent_at_once_becomes_one_lead() {
    let app = spawn_app().await;
    let mut companies = Vec::new();
    for round in 0..3 {
        let email = format!("k.tanaka{round}@example.co.jp");
        let body = json!({"name": "田中 健", "email": email, "company": "株式会社テスト", "source": "資料請求"});
        let mut sent = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let request = app
                .client
                .post(app.url("/api/v1/leads"))
                .bearer_auth(&app.token)
                .json(&body);
            sent.spawn(async move { json(request.send().await.expect("request")).await });
        }
        let answers = sent.join_all().await;
        let mut ids: Vec<i64> = answers
            .iter()
            .map(|(status, lead)| {
                assert!(
                    *status == StatusCode::CREATED || *status == StatusCode::OK,
                    "{status} {lead}"
                );
                lead["id"].as_i64().expect("id")
            })
            .collect();
        let created = answers
            .iter()
            .filter(|(status, _)| *status == StatusCode::CREATED)
            .count();
        ids.dedup();
        assert_eq!(
            ids.len(),
            1,
            "round {round}: one lead for eight submissions"
        );
        assert_eq!(created, 1, "round {round}: one answer says created");
        let (_, lead) = json(app.get_lead(&app.token, ids[0]).await).await;
        assert_eq!(
            lead["touchpoints"].as_array().map(Vec::len),
            Some(8),
            "every submission is kept: {lead}"
        );
        companies.push(lead["company"]["id"].clone());
    }
    assert!(companies[0].is_i64(), "{companies:?}");
    assert!(
        companies.iter().all(|c| *c == companies[0]),
        "the company the first eight named at once was created once: {companies:?}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_a_message_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({"email": "a@example.co.jp"}), "name"),
        (json!({"name": "山田", "email": "not-an-email"}), "email"),
        (json!({"name": "山田", "phone": "12"}), "phone"),
        (json!({"name": "山田", "status": "won_maybe"}), "status"),
        (json!({"name": "山田", "nickname": "yama"}), "body"),
        (json!({"name": 42}), "name"),
        (
            json!({"name": "山田", "consent_source": "bought_list"}),
            "consent_source",
        ),
        (
            json!({"name": "山田", "corporate_number": "1234567890123"}),
            "corporate_number",
        ),
    ];
    for (body, field) in cases {
        let (status, err) = json(app.post_lead(&body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {err}");
        assert_eq!(err["error"], "invalid_field");
        assert_eq!(err["field"], field, "{body} → {err}");
        assert!(!err["message"].as_str().unwrap_or("").is_empty());
    }
    let (_, stats) = json(
        app.client
            .get(app.url("/api/v1/stats"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("stats"),
    )
    .await;
    assert_eq!(stats["leads"], 0, "nothing was half-written");
}

#[tokio::test]
async fn malformed_json_wrong_content_type_and_oversized_bodies_are_4xx() {
    let app = spawn_app().await;
    let malformed = app
        .client
        .post(app.url("/api/v1/leads"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"name\": \"山田\",")
        .send()
        .await
        .expect("request");
    let (status, err) = json(malformed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("malformed JSON"),
        "{err}"
    );

    let text = app
        .client
        .post(app.url("/api/v1/leads"))
        .bearer_auth(&app.token)
        .body("name=x")
        .send()
        .await
        .expect("request");
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let huge = json!({"name": "山田", "address": "あ".repeat(2 * 1024 * 1024)});
    let (status, err) = json(app.post_lead(&huge).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert_eq!(err["error"], "payload_too_large");

    let array = app.post_lead(&json!([{"name": "山田"}])).await;
    assert_eq!(array.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn another_workspaces_lead_is_404_and_untouchable() {
    let app = spawn_app().await;
    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("ws")
        .id();
    let other_token = app
        .user_with_token(other, "admin@other.example", Role::Admin)
        .await;
    let (_, lead) = json(
        app.post_lead_as(
            &other_token,
            &json!({"name": "他社 太郎", "email": "t@other.example.co.jp"}),
        )
        .await,
    )
    .await;
    let id = lead["id"].as_i64().expect("id");
    let (status, err) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["error"], "not_found");
    let patched = app.patch_lead(id, &json!({"title": "乗っ取り"})).await;
    assert_eq!(patched.status(), StatusCode::NOT_FOUND);
    let (_, list) = json(app.list_leads("").await).await;
    assert_eq!(list["leads"].as_array().map(Vec::len), Some(0));
    // The same email in our workspace makes a separate lead.
    let (status, mine) = json(
        app.post_lead(&json!({"name": "他社 太郎", "email": "t@other.example.co.jp"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(mine["id"], lead["id"]);
    let (_, theirs) = json(app.get_lead(&other_token, id).await).await;
    assert!(theirs["title"].is_null());
}

#[tokio::test]
async fn patch_changes_fields_owner_and_status_and_requires_a_lost_reason() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "sato@example.com", Role::Sales)
        .await;
    let (_, lead) = json(
        app.post_lead(&json!({"name": "田中 一郎", "email": "i.tanaka@example.co.jp"}))
            .await,
    )
    .await;
    let id = lead["id"].as_i64().expect("id");
    let (status, got) = json(
        app.patch_lead(
            id,
            &json!({"title": "課長", "owner": "sato@example.com", "status": "sales_ready"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["title"], "課長");
    assert_eq!(got["owner"]["email"], "sato@example.com");
    assert_eq!(got["status"], "sales_ready");

    let (status, err) = json(app.patch_lead(id, &json!({"status": "lost_dormant"})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "lost_reason");
    let (_, unchanged) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(
        unchanged["status"], "sales_ready",
        "a refused change changes nothing"
    );

    let (status, lost) = json(
        app.patch_lead(
            id,
            &json!({"status": "lost_dormant", "lost_reason": "予算なし"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lost["lost_reason"], "予算なし");

    let (status, err) = json(
        app.patch_lead(id, &json!({"owner": "nobody@example.com"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "owner");

    let (status, cleared) = json(app.patch_lead(id, &json!({"title": null})).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cleared["title"].is_null());

    let audit = app
        .client
        .get(app.url(&format!("/api/v1/audit?lead_id={id}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("audit");
    let (status, entries) = json(audit).await;
    assert_eq!(status, StatusCode::OK);
    let entries = entries.as_array().expect("entries");
    assert!(
        entries
            .iter()
            .any(|e| e["after"]["status"] == "lost_dormant"
                && e["before"]["status"] == "sales_ready")
    );
    assert_eq!(
        app.patch_lead(999_999, &json!({"title": "x"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_list_filters_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    for i in 0..7 {
        let company = if i < 3 {
            "株式会社サカタのタネ"
        } else {
            "カネコ種苗株式会社"
        };
        let (s, _) = json(app.post_lead(&json!({"name": format!("顧客 {i}"), "email": format!("c{i}@example.co.jp"), "company": company, "source": if i % 2 == 0 { "展示会" } else { "資料請求" }})).await).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (_, page1) = json(app.list_leads("?limit=3").await).await;
    assert_eq!(page1["leads"].as_array().map(Vec::len), Some(3));
    let cursor = page1["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_string();
    let (_, page2) = json(app.list_leads(&format!("?limit=3&cursor={cursor}")).await).await;
    let (_, page3) = json(
        app.list_leads(&format!(
            "?limit=3&cursor={}",
            page2["next_cursor"].as_str().expect("cursor")
        ))
        .await,
    )
    .await;
    assert_eq!(page3["leads"].as_array().map(Vec::len), Some(1));
    assert!(page3["next_cursor"].is_null());
    let mut ids: Vec<i64> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|p| {
            p["leads"]
                .as_array()
                .expect("leads")
                .iter()
                .map(|l| l["id"].as_i64().expect("id"))
        })
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 7, "every lead exactly once");

    let (_, sakata) = json(app.list_leads("?q=%E3%81%95%E3%81%8B%E3%81%9F").await).await; // "さかた" in hiragana
    assert_eq!(sakata["leads"].as_array().map(Vec::len), Some(3));
    let (_, shows) = json(app.list_leads(&format!("?source={}", "展示会")).await).await;
    assert_eq!(shows["leads"].as_array().map(Vec::len), Some(4));
    let (status, err) = json(app.list_leads("?status=hot").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "status");
    assert_eq!(
        app.list_leads("?limit=0").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn activities_are_logged_on_a_lead() {
    let app = spawn_app().await;
    let (_, lead) = json(app.post_lead(&json!({"name": "鈴木 次郎"})).await).await;
    let id = lead["id"].as_i64().expect("id");
    let url = app.url(&format!("/api/v1/leads/{id}/activities"));
    let resp = app
        .client
        .post(&url)
        .bearer_auth(&app.token)
        .json(&json!({"type": "call", "outcome": "アポ獲得", "note": "来週訪問"}))
        .send()
        .await
        .expect("request");
    let (status, act) = json(resp).await;
    assert_eq!(status, StatusCode::CREATED, "{act}");
    assert_eq!(act["outcome"], "アポ獲得");
    let bad = app
        .client
        .post(&url)
        .bearer_auth(&app.token)
        .json(&json!({"type": "fax"}))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, stats) = json(
        app.client
            .get(app.url("/api/v1/stats"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("stats"),
    )
    .await;
    assert_eq!(stats["activities"], 1);
    assert_eq!(stats["leads"], 1);
}

#[tokio::test]
async fn the_openapi_document_describes_the_lead_endpoints() {
    let app = spawn_app().await;
    let (status, doc) = json(
        app.client
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    for path in [
        "/api/v1/leads",
        "/api/v1/leads/{id}",
        "/api/v1/stats",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["paths"]["/api/v1/leads"]["post"].is_object());
    assert!(doc["components"]["schemas"]["LeadJson"].is_object());
    let ui = app
        .client
        .get(app.url("/api/docs/"))
        .send()
        .await
        .expect("request");
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(
        ui.text().await.expect("body").contains("swagger"),
        "the vendored Swagger UI is served"
    );
}

#[tokio::test]
async fn the_api_unifies_with_the_same_rules_as_imports() {
    let app = spawn_app().await;
    let (s, card) = json(
        app.post_lead(&json!({"name": "髙橋 一郎", "email": "i.takahashi@sakata.example.co.jp", "mobile": "090-1234-5678", "company": "株式会社サカタのタネ"}))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    // A webinar sign-up with a private address but the same mobile: the same person.
    let (s, webinar) = json(app.post_lead(&json!({"name": "髙橋　一郎", "email": "ichiro.t@gmail.example.com", "mobile": "09012345678"})).await).await;
    assert_eq!(s, StatusCode::OK, "{webinar}");
    assert_eq!(webinar["id"], card["id"]);
    // The same name at another company with nothing else in common: a homonym, a new lead.
    let (s, other) = json(
        app.post_lead(&json!({"name": "髙橋 一郎", "company": "カネコ種苗株式会社"}))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(other["id"], card["id"]);
    // The same name at the same company and nothing else: left for a person to review.
    let (s, maybe) = json(
        app.post_lead(&json!({"name": "髙橋 一郎", "company": "(株)サカタのタネ"}))
            .await,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "name and company alone never merge automatically"
    );
    assert_ne!(maybe["id"], card["id"]);
}

/// While another process holds SQLite's write lock for longer than a request waits (an
/// import from the command line), a new lead is refused with 503, a message that says why
/// and a Retry-After, and nothing half-written; sent again afterwards, it is created once.
/// (On PostgreSQL nothing waits and the lead is created at once.)
#[tokio::test]
async fn a_lead_sent_while_another_write_holds_the_database_is_refused_clearly() {
    let app = spawn_app().await;
    let body = json!({"name": "山田 太郎", "email": "yamada@sakata.example.jp"});
    let holder = hold_write_lock(&app, 12);
    let resp = app.post_lead(&body).await;
    let postgres = app.db_url.starts_with("postgres");
    if postgres {
        assert_eq!(resp.status(), StatusCode::CREATED);
    } else {
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()["retry-after"], "5");
        let (_, refused) = json(resp).await;
        assert_eq!(refused["error"], "busy", "{refused}");
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("another write") && m.contains("try again")),
            "{refused}"
        );
    }
    holder.join().expect("the other writer");
    let (status, lead) = json(app.post_lead(&body).await).await;
    let (_, list) = json(app.list_leads("").await).await;
    assert_eq!(
        list["leads"].as_array().map(Vec::len),
        Some(1),
        "one lead, whichever way: {list}"
    );
    if !postgres {
        assert_eq!(status, StatusCode::CREATED, "{lead}");
    }
}
