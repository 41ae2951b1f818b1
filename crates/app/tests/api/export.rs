use std::process::Command;

use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, json, spawn_app};

#[tokio::test]
async fn the_cli_exports_cp932_csv_and_xlsx_with_formulas_neutralised() {
    let app = spawn_app().await;
    for (name, company) in [
        ("山田 太郎", "株式会社サカタのタネ"),
        ("=HYPERLINK(\"http://evil.example\",\"x\")", "-2+3"),
    ] {
        let (s, _) = json(app.post_lead(&json!({"name": name, "company": company, "custom_fields": {"展示会ブース": "A-12"}})).await).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let dir = tempfile::tempdir().expect("dir");
    let csv = dir.path().join("leads.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_ondo"))
        .args(["export", "--format", "csv", "--encoding", "cp932", "-o"])
        .arg(&csv)
        .env("ONDO_DATABASE_URL", &app.db_url)
        .env("ONDO_LOG", "warn")
        .output()
        .expect("ondo export runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&csv).expect("the file exists");
    let (text, _, malformed) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!malformed, "the file is valid CP932");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two leads: {text}");
    assert!(
        lines[0].starts_with("ID,氏名,フリガナ,メールアドレス"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].ends_with("展示会ブース"),
        "custom fields become columns"
    );
    assert!(text.contains("山田 太郎") && text.contains("株式会社サカタのタネ"));
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""),
        "a formula is neutralised: {text}"
    );
    assert!(
        !text.contains(",=") && !text.contains(",-2+3"),
        "no cell starts a formula: {text}"
    );
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").count() == 1,
        "no partial file is left"
    );

    let xlsx = dir.path().join("leads.xlsx");
    let out = Command::new(env!("CARGO_BIN_EXE_ondo"))
        .args(["export", "--format", "xlsx", "-o"])
        .arg(&xlsx)
        .env("ONDO_DATABASE_URL", &app.db_url)
        .env("ONDO_LOG", "warn")
        .output()
        .expect("ondo export runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&xlsx).expect("the file exists");
    assert!(bytes.starts_with(b"PK"), "an xlsx is a zip file");
}

#[tokio::test]
async fn the_lead_list_downloads_as_utf8_csv_with_its_filters_and_sales_may_not() {
    let app = spawn_app().await;
    for (name, status) in [("山田 太郎", "new"), ("佐藤 花子", "nurturing")] {
        let (_, lead) = json(app.post_lead(&json!({"name": name})).await).await;
        let (s, _) = json(
            app.patch_lead(lead["id"].as_i64().expect("id"), &json!({"status": status}))
                .await,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
    }
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let list = app.page("/leads").await;
    assert!(list.contains("id=\"export-links\""));
    let resp = app
        .client
        .get(app.url("/leads/export?status=nurturing&format=csv"))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .expect("header")
            .starts_with("attachment")
    );
    let bytes = resp.bytes().await.expect("body");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a BOM so Excel reads it"
    );
    let text = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    assert!(
        text.contains("佐藤 花子") && !text.contains("山田 太郎"),
        "the list's filter applies: {text}"
    );

    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    assert_eq!(
        app.sign_in("sales@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let list = app.page("/leads").await;
    assert!(
        !list.contains("id=\"export-links\""),
        "sales see no export links"
    );
    let refused = app
        .client
        .get(app.url("/leads/export?format=csv"))
        .send()
        .await
        .expect("export");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
