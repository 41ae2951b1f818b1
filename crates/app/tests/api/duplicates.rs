use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, hidden_value, json, spawn_app};

#[tokio::test]
async fn candidate_pairs_are_reviewed_merged_and_the_merge_undone() {
    let app = spawn_app().await;
    let (_, a) = json(
        app.post_lead(
            &json!({"name": "高橋 一郎", "company": "株式会社サカタのタネ", "email": "ichiro.t@gmail.com", "source": "展示会"}),
        )
        .await,
    )
    .await;
    let (s, b) = json(app.post_lead(&json!({"name": "高橋 一郎", "company": "(株)サカタのタネ", "mobile": "090-1111-2222", "email": "i.takahashi@yahoo.co.jp", "source": "ウェビナー"})).await).await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "name and company alone are not merged automatically"
    );
    let (_, c) = json(
        app.post_lead(&json!({"name": "鈴木 花子", "company": "株式会社サカタのタネ"}))
            .await,
    )
    .await;
    let (_, d) = json(
        app.post_lead(&json!({"name": "鈴木 花子", "company": "株式会社サカタのタネ"}))
            .await,
    )
    .await;
    let (a, b) = (a["id"].as_i64().expect("id"), b["id"].as_i64().expect("id"));
    assert_ne!(c["id"], d["id"]);

    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = app.page("/leads/duplicates").await;
    assert_eq!(
        page.matches("class=\"card pair\"").count(),
        2,
        "both pairs are listed"
    );
    assert!(
        page.contains("同じ会社の同姓同名"),
        "the reason is given in words"
    );
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let pair_ids: Vec<String> = page
        .match_indices("action=\"/leads/duplicates/")
        .map(|(i, m)| {
            page[i + m.len()..]
                .split('"')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(pair_ids.len(), 2);

    let merged = app
        .client
        .post(app.url(&format!("/leads/duplicates/{}", pair_ids[0])))
        .form(&[("csrf", csrf.as_str()), ("action", "merge")])
        .send()
        .await
        .expect("merge");
    assert_eq!(merged.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        merged.headers()["location"],
        format!("/leads/{a}").as_str(),
        "the newer lead goes into the older"
    );
    let (_, lead) = json(app.get_lead(&app.token, a).await).await;
    assert_eq!(
        lead["mobile"], "090-1111-2222",
        "the empty field was filled"
    );
    assert_eq!(
        lead["touchpoints"].as_array().map(Vec::len),
        Some(2),
        "both touchpoints are kept"
    );
    assert_eq!(lead["email"], "ichiro.t@gmail.com");
    assert_eq!(
        lead["other_contacts"][0]["value"], "i.takahashi@yahoo.co.jp",
        "the merged-away lead's address is kept beside: {lead}"
    );
    assert_eq!(
        app.get_lead(&app.token, b).await.status(),
        StatusCode::NOT_FOUND
    );

    let dismissed = app
        .client
        .post(app.url(&format!("/leads/duplicates/{}", pair_ids[1])))
        .form(&[("csrf", csrf.as_str()), ("action", "not_same")])
        .send()
        .await
        .expect("dismiss");
    assert_eq!(dismissed.status(), StatusCode::SEE_OTHER);
    let page = app.page("/leads/duplicates").await;
    assert_eq!(
        page.matches("class=\"card pair\"").count(),
        0,
        "nothing left to review"
    );

    let lead_page = app.page(&format!("/leads/{a}")).await;
    let undo_action = lead_page
        .split("action=\"/merges/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("an undo button");
    let undone = app
        .client
        .post(app.url(&format!("/merges/{undo_action}")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("undo");
    assert_eq!(undone.status(), StatusCode::SEE_OTHER);
    let (status, back) = json(app.get_lead(&app.token, b).await).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the merged lead is back with its id"
    );
    assert_eq!(back["touchpoints"][0]["source"], "ウェビナー");
    let (_, a_again) = json(app.get_lead(&app.token, a).await).await;
    assert!(a_again["mobile"].is_null());
    assert_eq!(
        a_again["other_contacts"],
        json!([]),
        "the undo takes it back"
    );
    assert_eq!(back["email"], "i.takahashi@yahoo.co.jp");

    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    assert_eq!(
        app.sign_in("sales@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.client
            .get(app.url("/leads/duplicates"))
            .send()
            .await
            .expect("page")
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_lead_page_warns_when_a_colleague_is_owned_by_another_rep() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "sato@example.com", Role::Sales)
        .await;
    let (_, owned) = json(app.post_lead(&json!({"name": "山田 太郎", "company": "株式会社サカタのタネ", "owner": "sato@example.com"})).await).await;
    let (_, mine) = json(
        app.post_lead(&json!({"name": "佐藤 花子", "company": "サカタのタネ株式会社"}))
            .await,
    )
    .await;
    assert_eq!(owned["company"]["id"], mine["company"]["id"], "one company");
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = app.page(&format!("/leads/{}", mine["id"])).await;
    assert!(
        page.contains("class=\"warning\"")
            && page.contains("山田 太郎")
            && page.contains("二重アプローチ"),
        "the rep is warned"
    );
    let page = app.page(&format!("/leads/{}", owned["id"])).await;
    assert!(
        !page.contains("class=\"warning\""),
        "no warning about an unowned colleague"
    );
}

#[tokio::test]
async fn the_same_rank_at_the_same_company_unifies_a_generic_title_does_not() {
    let app = spawn_app().await;
    let (s, card) = json(app.post_lead(&json!({"name": "中村 誠", "company": "株式会社サカタのタネ", "title": "部長", "email": "m.nakamura@sakata.example.co.jp", "source": "名刺"})).await).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, webinar) = json(app.post_lead(&json!({"name": "中村 誠", "company": "(株)サカタのタネ", "title": "部長", "email": "makoto.n@gmail.example.com", "source": "ウェビナー"})).await).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "name, company and the same rank (部長) are one person: {webinar}"
    );
    assert_eq!(webinar["id"], card["id"]);

    let (_, first) = json(app.post_lead(&json!({"name": "小林 恵", "company": "株式会社サカタのタネ", "title": "担当", "source": "展示会"})).await).await;
    let (s, second) = json(app.post_lead(&json!({"name": "小林 恵", "company": "株式会社サカタのタネ", "title": "担当", "email": "megumi.k@gmail.example.com", "source": "ウェビナー"})).await).await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "a generic title (担当) is no evidence: name and company alone stay a candidate pair"
    );
    assert_ne!(first["id"], second["id"]);
}
