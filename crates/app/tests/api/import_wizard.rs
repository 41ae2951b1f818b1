use ondo_domain::Role;
use ondo_store::import_jobs::{self, NewImportJob};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app, spawn_app_with};

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

fn location(resp: &reqwest::Response) -> String {
    resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_string()
}

/// Posts "run" on a preview and returns the job page it redirects to.
async fn run(app: &TestApp, preview_url: &str, extra: &[(&str, &str)]) -> String {
    let page = app.page(preview_url).await;
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let mut form = vec![("csrf", csrf.as_str()), ("action", "run")];
    form.extend_from_slice(extra);
    let resp = app
        .client
        .post(app.url(preview_url))
        .form(&form)
        .send()
        .await
        .expect("run");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "run answers at once");
    let job_url = location(&resp);
    assert!(
        job_url.starts_with("/imports/jobs/"),
        "run goes to the job's page: {job_url}"
    );
    job_url
}

/// Polls the job's JSON until it has ended, and returns it.
async fn wait_for(app: &TestApp, job_url: &str) -> Value {
    for _ in 0..600 {
        let (status, body) = json(
            app.client
                .get(app.url(&format!("{job_url}.json")))
                .send()
                .await
                .expect("job json"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["state"] != "queued" && body["state"] != "running" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import job did not end within 30 s");
}

async fn lead_count(app: &TestApp) -> usize {
    json(app.list_leads("").await).await.1["leads"]
        .as_array()
        .map_or(0, Vec::len)
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

    // Map the "ブース" column (index 4) to nothing, then run: the import goes on in the
    // background and the browser goes to its progress page.
    let job_url = run(
        &app,
        &preview_url,
        &[
            ("source", "展示会 2026秋"),
            ("mode", "upsert"),
            ("col_4", "ignore"),
        ],
    )
    .await;
    let job_page = app.page(&job_url).await;
    assert!(
        job_page.contains("<progress id=\"import-job-progress\" max=\"1000\""),
        "the job page has a progress bar"
    );
    let job = wait_for(&app, &job_url).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["rows_done"], 2);
    assert_eq!(job["rows_total"], 2);
    assert_eq!(job["permille"], 1000);
    assert_eq!(job["stage_label"], "完了しました");
    let report_url = job["report_url"].as_str().expect("report url").to_string();
    assert_eq!(report_url, format!("/imports/{}", job["import_id"]));
    let done = app
        .client
        .get(app.url(&job_url))
        .send()
        .await
        .expect("job page");
    assert_eq!(
        done.headers()["refresh"].to_str().expect("refresh"),
        format!("0; url={report_url}"),
        "a finished job's page goes on to the report"
    );
    let done = done.text().await.expect("body");
    assert!(
        done.contains(&format!("href=\"{report_url}\"")),
        "and links to it"
    );
    assert_eq!(
        app.client
            .get(app.url(&preview_url))
            .send()
            .await
            .expect("preview")
            .status(),
        StatusCode::NOT_FOUND,
        "the upload is removed once imported"
    );

    let report = app.page(&report_url).await;
    assert!(report.contains("id=\"import-result\"") && report.contains("not-an-email"));
    assert!(
        report.contains("<span>新規</span><strong>1</strong>")
            && report.contains("<span>エラー</span><strong>1</strong>"),
        "the report shows the counts"
    );
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
async fn a_large_file_is_previewed_by_its_first_chunk_and_imported_a_chunk_at_a_time() {
    // A server configured (ONDO_IMPORT_CHUNK_ROWS) for chunks of 2 rows.
    let app = spawn_app_with(ondo_web::WebConfig {
        fast_password_hashing: true,
        import_chunk_rows: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // Row 5 is row 2's person again (same email): in another chunk, it joins row 2's lead.
    // Row 6 has no name.
    let csv = "会社名,氏名,メールアドレス\r\n\
               株式会社サカタのタネ,山田 太郎,t.yamada@example.co.jp\r\n\
               カネコ種苗株式会社,佐藤 花子,h.sato@example.co.jp\r\n\
               株式会社タキイ,鈴木 一郎,i.suzuki@example.co.jp\r\n\
               株式会社サカタのタネ,山田 太郎,T.Yamada@example.co.jp\r\n\
               株式会社タキイ,,nobody@example.co.jp\r\n";
    let resp = upload(&app, "big.csv", cp932(csv), "展示会").await;
    let preview_url = location(&resp);
    let page = app.page(&preview_url).await;
    assert!(
        page.contains("id=\"import-preview-limited\"")
            && page.contains("このプレビューはファイルの先頭"),
        "the preview says it plans only the first rows"
    );
    assert!(
        page.contains("<span>行数</span><strong>2</strong>"),
        "it plans the first chunk: {page}"
    );

    let job_url = run(
        &app,
        &preview_url,
        &[("source", "展示会"), ("mode", "upsert")],
    )
    .await;
    let job = wait_for(&app, &job_url).await;
    assert_eq!(job["state"], "done", "{job}");
    let report = app
        .page(job["report_url"].as_str().expect("report url"))
        .await;
    assert!(
        report.contains("<span>新規</span><strong>3</strong>")
            && report.contains("<span>統合</span><strong>1</strong>")
            && report.contains("<span>エラー</span><strong>1</strong>"),
        "every row is imported, and the repeat in a later chunk joins its lead: {report}"
    );
    assert_eq!(lead_count(&app).await, 3);
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

#[tokio::test]
async fn a_file_that_fails_leaves_a_failed_job_with_its_reason_and_no_leads() {
    let app = spawn_app().await;
    app.sign_in("admin@example.com", PASSWORD).await;
    // Good rows, then a cell over the 64 KiB limit: the whole file is refused.
    let mut csv = String::from("会社名,氏名,メールアドレス\r\n");
    for i in 0..20 {
        csv.push_str(&format!(
            "株式会社サンプル,山田 太郎{i},t{i}@example.co.jp\r\n"
        ));
    }
    csv.push_str(&format!(
        "株式会社サンプル,佐藤 花子,{}\r\n",
        "x".repeat(70_000)
    ));
    let preview_url = location(&upload(&app, "big-cell.csv", csv.into_bytes(), "").await);
    // The preview shows the error and offers no "run"; a run posted anyway fails as a job.
    let job_url = run(&app, &preview_url, &[("mode", "upsert")]).await;
    let job = wait_for(&app, &job_url).await;
    assert_eq!(job["state"], "failed", "{job}");
    let message = job["message"].as_str().expect("message");
    assert!(
        message.contains("row 22") && message.contains("65536"),
        "the reason names the row and the limit: {message}"
    );
    assert_eq!(job["import_id"], Value::Null);
    assert_eq!(lead_count(&app).await, 0, "nothing was written");

    let page = app.page(&job_url).await;
    assert!(page.contains("id=\"import-job-error\"") && page.contains("65536"));
    assert!(
        page.contains(&format!("href=\"{preview_url}\"")),
        "the upload is kept to try again from its preview"
    );
    let index = app.page("/imports").await;
    assert!(
        index.contains(&format!("href=\"{job_url}\"")),
        "the failed job is listed on the wizard's page"
    );
}

#[tokio::test]
async fn jobs_are_refused_to_sales_and_hidden_from_other_workspaces() {
    let app = spawn_app().await;
    app.sign_in("admin@example.com", PASSWORD).await;
    let job = |token: &str| NewImportJob {
        created_by: None,
        upload_token: token.into(),
        upload_path: "/nonexistent".into(),
        file_name: "queued.csv".into(),
        options: r#"{"source":"s","mode":"upsert","encoding":null,"mapping":{}}"#.into(),
        rows_total: 0,
    };
    // A job that waits its turn: its page shows a bar at zero and refreshes itself.
    let mine = import_jobs::create(&app.db, app.ws(), &job("a"))
        .await
        .expect("job");
    let page = app
        .client
        .get(app.url(&format!("/imports/jobs/{}", mine.id)))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers()["refresh"],
        "1",
        "a waiting job's page reloads"
    );
    let page = page.text().await.expect("body");
    assert!(page.contains("value=\"0\"") && page.contains("順番待ち"));

    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("workspace");
    let theirs = import_jobs::create(&app.db, other.id(), &job("b"))
        .await
        .expect("job");
    for path in [
        format!("/imports/jobs/{}", theirs.id),
        format!("/imports/jobs/{}.json", theirs.id),
        "/imports/jobs/nonsense".to_string(),
    ] {
        let resp = app.client.get(app.url(&path)).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }

    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    app.sign_in("sales@example.com", PASSWORD).await;
    for path in [
        format!("/imports/jobs/{}", mine.id),
        format!("/imports/jobs/{}.json", mine.id),
    ] {
        let resp = app.client.get(app.url(&path)).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn a_restart_marks_interrupted_imports_failed_and_nothing_written() {
    let app = spawn_app().await;
    app.sign_in("admin@example.com", PASSWORD).await;
    let job = import_jobs::create(
        &app.db,
        app.ws(),
        &NewImportJob {
            created_by: None,
            upload_token: "killed".into(),
            upload_path: "/nonexistent".into(),
            file_name: "killed.csv".into(),
            options: r#"{"source":"s","mode":"upsert","encoding":null,"mapping":{}}"#.into(),
            rows_total: 100_000,
        },
    )
    .await
    .expect("job");
    // The process that ran it was killed while writing.
    assert!(
        import_jobs::start(&app.db, app.ws(), job.id, "writing_leads")
            .await
            .expect("start")
    );
    // The next start of the server settles it.
    let restarted = ondo_app::Application::build(
        app.db.clone(),
        app.workspace.clone(),
        "127.0.0.1:0",
        ondo_web::WebConfig::default(),
    )
    .await
    .expect("the server starts again");
    drop(restarted);
    let job_url = format!("/imports/jobs/{}", job.id);
    let (_, body) = json(
        app.client
            .get(app.url(&format!("{job_url}.json")))
            .send()
            .await
            .expect("json"),
    )
    .await;
    assert_eq!(body["state"], "failed", "{body}");
    assert_eq!(body["stage"], "interrupted");
    let message = body["message"].as_str().expect("message");
    assert!(
        message.contains("中断") && message.contains("何も書き込まれていません"),
        "{message}"
    );
    let page = app.page(&job_url).await;
    assert!(page.contains("id=\"import-job-error\"") && page.contains("中断"));
}
