use ondo_domain::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app};

fn cp932(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>, source: &str) -> reqwest::Response {
    let page = app.page("/imports").await;
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let form = Form::new()
        .text("csrf", csrf)
        .text("source", source.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_string()));
    app.client
        .post(app.url("/imports"))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

#[tokio::test]
async fn the_wizard_previews_lets_the_mapping_change_and_runs() {
    let app = spawn_app().await;
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let csv = "会社名,氏名,メールアドレス,電話番号,ブース\r\n\
               株式会社サカタのタネ,山田 太郎,t.yamada@example.co.jp,03-1234-5678,A-1\r\n\
               カネコ種苗株式会社,佐藤 花子,not-an-email,,B-2\r\n";
    let resp = upload(&app, "tenjikai.csv", cp932(csv), "展示会 2026秋").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let preview_url = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(preview_url.starts_with("/imports/preview/"));
    let page = app.page(&preview_url).await;
    assert!(page.contains("Shift_JIS"), "the detected encoding is shown");
    assert!(
        page.contains("id=\"import-plan\""),
        "a dry-run plan is shown"
    );
    assert!(
        page.contains("not-an-email"),
        "the rejected row is explained"
    );
    assert_eq!(
        json(app.list_leads("").await).await.1["leads"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "the preview wrote nothing"
    );

    // Map the "ブース" column (index 4) to nothing, then run.
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let run = app
        .client
        .post(app.url(&preview_url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("source", "展示会 2026秋"),
            ("mode", "upsert"),
            ("col_4", "ignore"),
            ("action", "run"),
        ])
        .send()
        .await
        .expect("run");
    assert_eq!(run.status(), StatusCode::SEE_OTHER);
    let report_url = run.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let report = app.page(&report_url).await;
    assert!(report.contains("id=\"import-result\"") && report.contains("not-an-email"));
    let errors = app
        .client
        .get(app.url(&format!("{report_url}/errors.csv")))
        .send()
        .await
        .expect("errors.csv");
    assert_eq!(errors.status(), StatusCode::OK);
    assert!(
        errors.text().await.expect("body").contains("3,"),
        "row 3 is in the downloadable errors"
    );

    let (_, list) = json(app.list_leads("").await).await;
    let leads = list["leads"].as_array().expect("leads");
    assert_eq!(leads.len(), 1);
    assert!(
        leads[0]["custom_fields"].get("ブース").is_none(),
        "the ignored column was not imported"
    );
    let (_, lead) = json(
        app.get_lead(&app.token, leads[0]["id"].as_i64().expect("id"))
            .await,
    )
    .await;
    assert_eq!(lead["touchpoints"][0]["source"], "展示会 2026秋");
    let index = app.page("/imports").await;
    assert!(index.contains("tenjikai.csv"), "the import is listed");
}

#[tokio::test]
async fn a_broken_upload_is_explained_and_sales_may_not_import() {
    let app = spawn_app().await;
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let resp = upload(
        &app,
        "photo.csv",
        vec![0x89, b'P', b'N', b'G', 0, 0, 0, 0, 1, 2, 3],
        "",
    )
    .await;
    let preview_url = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let page = app.page(&preview_url).await;
    assert!(
        page.contains("id=\"import-file-error\""),
        "the file error is shown"
    );
    assert!(
        !page.contains("id=\"import-run\""),
        "a broken file cannot be run"
    );

    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    assert_eq!(
        app.sign_in("sales@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.client
            .get(app.url("/imports"))
            .send()
            .await
            .expect("page")
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.client
            .get(app.url(&preview_url))
            .send()
            .await
            .expect("page")
            .status(),
        StatusCode::FORBIDDEN
    );
}
