//! `/reports`: a small known history built through the API, and the numbers a user reads
//! on the page, in the CSV and in the spreadsheet.

use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, json, spawn_app};

const SHOW: &str = "展示会 2026-10 東京";
const FORM: &str = "Webフォーム 資料請求";
const EVIL: &str = "<script>alert(\"x\")</script>セミナー";

/// Creates a lead from `source` through the API and returns its id.
async fn lead(app: &TestApp, token: &str, name: &str, source: &str) -> i64 {
    let (status, body) = json(
        app.post_lead_as(
            token,
            &json!({"name": name, "source": source, "source_kind": "trade_show"}),
        )
        .await,
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    body["id"].as_i64().expect("id")
}

async fn patch(app: &TestApp, token: &str, id: i64, body: Value) {
    let resp = app
        .client
        .patch(app.url(&format!("/api/v1/leads/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK, "{body}");
}

/// Moves a lead through the statuses in order.
async fn walk(app: &TestApp, id: i64, steps: &[Value]) {
    for s in steps {
        patch(app, &app.token, id, s.clone()).await;
    }
}

async fn activity(app: &TestApp, id: i64, body: Value) {
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/leads/{id}/activities")))
        .bearer_auth(&app.token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::CREATED, "{body}");
}

/// Seven leads from three sources in the default workspace, one in another workspace:
///
/// | source | leads | MQL | SQL | 案件化 | 受注 | 商談化率 |
/// |---|---|---|---|---|---|---|
/// | 展示会 2026-10 東京 | 4 | 3 | 2 | 1 | 1 | 25.0% |
/// | Webフォーム 資料請求 | 2 | 1 | 1 | 1 | 0 | 50.0% |
/// | the XSS seminar | 1 | 0 | 0 | 0 | 0 | 0.0% |
///
/// Lost: 予算なし 1, 競合採用 1. Calls: 2 (アポ獲得, 不在), one email.
async fn history(app: &TestApp) {
    let sql = json!({"status": "sales_ready"});
    let a1 = lead(app, &app.token, "展示 一郎", SHOW).await;
    walk(
        app,
        a1,
        &[
            sql.clone(),
            json!({"status": "opportunity"}),
            json!({"status": "won"}),
        ],
    )
    .await;
    let a2 = lead(app, &app.token, "展示 二郎", SHOW).await;
    walk(
        app,
        a2,
        &[
            sql.clone(),
            json!({"status": "lost_dormant", "lost_reason": "予算なし"}),
        ],
    )
    .await;
    lead(app, &app.token, "展示 三郎", SHOW).await;
    let a4 = lead(app, &app.token, "展示 四郎", SHOW).await;
    walk(app, a4, &[json!({"status": "nurturing"})]).await;
    let b1 = lead(app, &app.token, "フォーム 一子", FORM).await;
    walk(
        app,
        b1,
        &[
            json!({"status": "nurturing"}),
            json!({"status": "opportunity"}),
        ],
    )
    .await;
    let b2 = lead(app, &app.token, "フォーム 二子", FORM).await;
    walk(
        app,
        b2,
        &[json!({"status": "lost_dormant", "lost_reason": "競合採用"})],
    )
    .await;
    lead(app, &app.token, "セミナー 花子", EVIL).await;

    activity(app, a1, json!({"type": "call", "outcome": "アポ獲得"})).await;
    activity(app, a2, json!({"type": "call", "outcome": "不在"})).await;
    activity(app, b1, json!({"type": "email"})).await;

    // Another workspace's leads never count here.
    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("workspace");
    let other_token = app
        .user_with_token(other.id(), "admin@other.example", Role::Admin)
        .await;
    for i in 0..3 {
        let (status, body) = json(
            app.post_lead_as(
                &other_token,
                &json!({"name": format!("他社 {i}"), "source": SHOW}),
            )
            .await,
        )
        .await;
        assert!(status.is_success(), "{body}");
        patch(
            app,
            &other_token,
            body["id"].as_i64().expect("id"),
            json!({"status": "lost_dormant", "lost_reason": "予算なし"}),
        )
        .await;
    }
}

/// The HTML of one report section.
fn section<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"report-{name}\""))
        .unwrap_or_else(|| panic!("section {name} in {page}"));
    let end = start + page[start..].find("</section>").expect("section end");
    &page[start..end]
}

/// A table row as the page writes it: a header cell and numeric cells.
fn row(label: &str, cells: &[&str]) -> String {
    let mut s = format!("<th scope=\"row\">{label}</th>");
    for c in cells {
        s.push_str(&format!("<td class=\"num\">{c}</td>"));
    }
    s
}

/// Undoes HTML escaping (named and numeric forms).
fn unescape(html: &str) -> String {
    [
        ("&lt;", "<"),
        ("&#60;", "<"),
        ("&gt;", ">"),
        ("&#62;", ">"),
        ("&quot;", "\""),
        ("&#34;", "\""),
        ("&#39;", "'"),
        ("&amp;", "&"),
        ("&#38;", "&"),
    ]
    .iter()
    .fold(html.to_string(), |s, (from, to)| s.replace(from, to))
}

async fn signed_in_as(app: &TestApp, email: &str, role: Role) {
    app.user_with_token(app.ws(), email, role).await;
    let resp = app.sign_in(email, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_report_shows_the_funnel_by_source_rates_and_lost_reasons() {
    let app = spawn_app().await;
    history(&app).await;
    // A salesperson reads the reports too, with the whole team's activities.
    signed_in_as(&app, "sales@example.com", Role::Sales).await;
    let resp = app
        .client
        .get(app.url("/reports?by=source"))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.expect("body");

    let funnel = section(&page, "funnel");
    assert!(
        funnel.contains(&row("合計", &["7", "4", "3", "2", "1", "28.6%"])),
        "{funnel}"
    );
    let sources = section(&page, "sources");
    assert!(
        sources.contains(&row(SHOW, &["4", "3", "2", "1", "1", "25.0%"])),
        "{sources}"
    );
    assert!(
        sources.contains(&row(FORM, &["2", "1", "1", "1", "0", "50.0%"])),
        "{sources}"
    );
    assert!(
        sources.contains("25.0% (1/4)"),
        "the chart's label: {sources}"
    );

    let lost = section(&page, "lost_reasons");
    assert!(lost.contains(&row("予算なし", &["1", "50.0%"])), "{lost}");
    assert!(lost.contains(&row("競合採用", &["1", "50.0%"])), "{lost}");

    let acts = section(&page, "activities");
    assert!(
        acts.contains(&row(
            "admin@example.com",
            &["2", "1", "0", "0", "3", "1", "0", "0", "1", "0", "0"]
        )),
        "two calls (不在, アポ獲得) and an email: {acts}"
    );

    let temp = section(&page, "temperature");
    assert!(temp.contains("<svg class=\"chart"), "{temp}");

    // The XSS source is text in the chart and in the table.
    assert!(!page.contains("<script>alert"), "{page}");
    let chart_part = &sources[..sources.find("<table").expect("table")];
    let table_part = &sources[sources.find("<table").expect("table")..];
    for part in [chart_part, table_part] {
        assert!(!part.contains("<script"), "{part}");
        assert!(unescape(part).contains(EVIL), "{part}");
    }
    assert!(chart_part.contains("role=\"img\""));

    // The other workspace's three lost leads are nowhere.
    assert!(!page.contains("他社"));
    assert!(page.contains("集計期間:"), "the period in Japanese");
    assert!(page.contains("年"), "Japanese dates");
}

#[tokio::test]
async fn each_table_downloads_as_csv_and_xlsx() {
    let app = spawn_app().await;
    history(&app).await;
    signed_in_as(&app, "manager@example.com", Role::Manager).await;

    let get = |path: &'static str| {
        let req = app.client.get(app.url(path));
        async move {
            let resp = req.send().await.expect("download");
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let kind = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let disposition = resp
                .headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            assert!(disposition.starts_with("attachment;"), "{disposition}");
            (kind, resp.bytes().await.expect("body").to_vec())
        }
    };

    let (kind, csv) = get("/reports/sources.csv").await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec()).expect("UTF-8");
    assert!(
        text.starts_with("流入元,新規,MQL,SQL,案件化,受注,商談化率\r\n"),
        "{text}"
    );
    assert!(
        text.contains("展示会 2026-10 東京,4,3,2,1,1,25.0%\r\n"),
        "{text}"
    );
    assert!(
        text.contains("Webフォーム 資料請求,2,1,1,1,0,50.0%\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\"<script>alert(\"\"x\"\")</script>セミナー\",1,0,0,0,0,0.0%\r\n"),
        "{text}"
    );

    let (_, csv) = get("/reports/lost_reasons.csv").await;
    let text = String::from_utf8(csv[3..].to_vec()).expect("UTF-8");
    assert!(text.contains("予算なし,1,50.0%\r\n"), "{text}");
    assert!(text.contains("競合採用,1,50.0%\r\n"), "{text}");
    assert!(!text.contains("他社"));

    for name in ["funnel", "first_contact", "activities", "temperature"] {
        let resp = app
            .client
            .get(app.url(&format!("/reports/{name}.csv")))
            .send()
            .await
            .expect("download");
        assert_eq!(resp.status(), StatusCode::OK, "{name}");
    }
    let (_, csv) = get("/reports/temperature.csv").await;
    let text = String::from_utf8(csv[3..].to_vec()).expect("UTF-8");
    // Two leads were called first in the period; one of them (won) converted.
    let (leads, converted) = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            Some((
                cells.get(1)?.parse::<i64>().ok()?,
                cells.get(2)?.parse::<i64>().ok()?,
            ))
        })
        .fold((0, 0), |(a, b), (l, c)| (a + l, b + c));
    assert_eq!((leads, converted), (2, 1), "{text}");

    let (kind, xlsx) = get("/reports/sources.xlsx").await;
    assert_eq!(
        kind,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.starts_with(b"PK\x03\x04"), "an xlsx is a zip file");
    let sheet = ondo_ingest::SourceFile::from_bytes(
        "sources.xlsx",
        xlsx,
        &ondo_ingest::OpenOptions::default(),
    )
    .expect("a spreadsheet reader opens it");
    assert_eq!(sheet.sheets, vec!["Sources".to_string()]);
    assert_eq!(sheet.columns[0].header, "流入元");
    assert!(
        sheet.columns[0].samples.iter().any(|s| s == SHOW),
        "{:?}",
        sheet.columns
    );
    assert_eq!(sheet.columns[1].header, "新規");
    assert!(
        sheet.columns[1].samples.iter().any(|s| s == "4"),
        "{:?}",
        sheet.columns
    );

    let resp = app
        .client
        .get(app.url("/reports/passwords.csv"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_report_reads_in_english_and_an_empty_period_says_so() {
    let app = spawn_app().await;
    history(&app).await;
    signed_in_as(&app, "marketing@example.com", Role::Marketing).await;
    let resp = app
        .client
        .get(app.url("/reports"))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("page");
    let page = resp.text().await.expect("body");
    assert!(page.contains("<html lang=\"en\">"), "{page}");
    assert!(page.contains("Opportunity rate"));
    assert!(page.contains("Time to first contact"));
    assert!(
        section(&page, "funnel").contains(&row("Total", &["7", "4", "3", "2", "1", "28.6%"])),
        "{page}"
    );

    let empty = app
        .page("/reports?from=2020-01-01&to=2020-02-01&by=week")
        .await;
    assert!(
        empty.contains("この期間にはデータがありません。"),
        "{empty}"
    );
    assert!(
        empty.contains("集計期間: 2020年1月1日〜2020年1月31日"),
        "{empty}"
    );
    assert!(empty.contains("class=\"chart-empty\""));
    assert!(!empty.contains("<svg class=\"chart"), "no empty frames");

    let bad = app
        .client
        .get(app.url("/reports?from=2026-13-01"))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body = bad.text().await.expect("body");
    assert!(body.contains("開始日 (from) は YYYY-MM-DD"), "{body}");
}

#[tokio::test]
async fn reports_need_a_signed_in_user() {
    let app = spawn_app().await;
    for path in ["/reports", "/reports/funnel.csv", "/reports/funnel.xlsx"] {
        let resp = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        let to = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(to.starts_with("/login"), "{path} → {to}");
    }
}
