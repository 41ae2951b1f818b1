use std::process::Command;

use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, json, spawn_app};

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
    let bytes = export_file(
        &app,
        "leads.csv",
        &["--format", "csv", "--encoding", "cp932"],
    );
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

    let bytes = export_file(&app, "leads.xlsx", &["--format", "xlsx"]);
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

/// Runs `ondo export ARGS… -o FILE` against the app's database and reads the file.
fn export_file(app: &TestApp, name: &str, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_ondo"))
        .arg("export")
        .args(args)
        .arg("-o")
        .arg(&path)
        .env("ONDO_DATABASE_URL", &app.db_url)
        .env("ONDO_LOG", "warn")
        .output()
        .expect("ondo export runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "no partial file is left"
    );
    std::fs::read(&path).expect("the file exists")
}

/// The records of a CSV (RFC 4180: quoted cells may hold commas, quotes and line breaks).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    records
}

/// The rows of the workbook's one sheet, every cell as text ("" when empty).
fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{Data, Reader};
    let mut book =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook calamine opens");
    let sheet = book.worksheet_range("Leads").expect("the Leads sheet");
    sheet
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The cell of `column` in the row of lead `id` (the first column is the id).
fn cell_of(rows: &[Vec<String>], column: &str, id: i64) -> String {
    let col = rows[0]
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("a column {column}: {:?}", rows[0]));
    let row = rows
        .iter()
        .find(|r| r[0] == id.to_string())
        .unwrap_or_else(|| panic!("a row for lead {id}"));
    row.get(col).cloned().unwrap_or_default()
}

#[tokio::test]
async fn other_contacts_are_exported_in_their_own_column_in_csv_and_xlsx() {
    let app = spawn_app().await;
    let post = |body: serde_json::Value| {
        let app = &app;
        async move {
            let (s, lead) = json(app.post_lead(&body).await).await;
            assert!(s.is_success(), "{s}: {lead}");
            lead["id"].as_i64().expect("id")
        }
    };
    let yamada = post(
        json!({"name": "山田 太郎", "email": "t.yamada@example.co.jp",
        "phone": "03-1234-5678", "mobile": "090-1111-2222"}),
    )
    .await;
    // Sent again with other numbers, then from a private address (found by name and
    // mobile), then with a third number: the lead keeps its own and the others beside.
    for again in [
        json!({"name": "山田 太郎", "email": "t.yamada@example.co.jp",
            "phone": "03-9999-0000", "mobile": "080-3333-4444"}),
        json!({"name": "山田 太郎", "email": "taro.yamada@gmail.com", "mobile": "090-1111-2222"}),
        json!({"name": "山田 太郎", "email": "t.yamada@example.co.jp", "phone": "03-5555-6666"}),
    ] {
        assert_eq!(post(again).await, yamada, "the same lead");
    }
    let (_, lead) = json(app.get_lead(&app.token, yamada).await).await;
    assert_eq!(
        lead["other_contacts"].as_array().map(Vec::len),
        Some(4),
        "{lead}"
    );
    let sato = post(json!({"name": "佐藤 花子", "email": "h.sato@kaneko.example.co.jp"})).await;
    // A value kept from elsewhere that a spreadsheet would run as a formula.
    let evil = post(json!({"name": "鈴木 一郎"})).await;
    let mut tx = app.db.begin_write().await.expect("tx");
    ondo_store::identities::add(
        &mut tx,
        app.ws(),
        "test",
        &[(
            evil,
            "email",
            "=HYPERLINK(\"http://evil.example\")".to_string(),
        )],
    )
    .await
    .expect("identity");
    tx.commit().await.expect("commit");

    let expected = "taro.yamada@gmail.com; 03-9999-0000; 03-5555-6666; 080-3333-4444";
    let bytes = export_file(&app, "leads.csv", &["--format", "csv"]);
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8 after the BOM");
    let rows = csv_records(text);
    assert_eq!(rows.len(), 4, "a header and three leads: {text}");
    assert_eq!(
        rows[0][3..7],
        ["メールアドレス", "電話番号", "携帯電話", "別の連絡先"],
        "the column follows the lead's own email and numbers"
    );
    assert_eq!(
        cell_of(&rows, "別の連絡先", yamada),
        expected,
        "emails, then phones, then mobiles, each in the order they came"
    );
    assert_eq!(
        cell_of(&rows, "メールアドレス", yamada),
        "t.yamada@example.co.jp"
    );
    assert_eq!(cell_of(&rows, "別の連絡先", sato), "");
    assert_eq!(
        cell_of(&rows, "別の連絡先", evil),
        "'=HYPERLINK(\"http://evil.example\")",
        "neutralised like any cell"
    );

    let rows = xlsx_rows(export_file(
        &app,
        "leads.xlsx",
        &["--format", "xlsx", "--lang", "en"],
    ));
    assert_eq!(rows[0][6], "Other contacts", "{:?}", rows[0]);
    assert_eq!(cell_of(&rows, "Other contacts", yamada), expected);
    assert_eq!(cell_of(&rows, "Other contacts", sato), "");
    assert_eq!(
        cell_of(&rows, "Other contacts", evil),
        "'=HYPERLINK(\"http://evil.example\")"
    );
}
