use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{HELD, PASSWORD, TestApp, held_write, hold_write_lock, json, spawn_app};

/// Runs `ondo import FILE ARGS… --json` against the app's database.
fn import(app: &TestApp, file: &std::path::Path, args: &[&str]) -> (bool, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_ondo"))
        .arg("import")
        .arg(file)
        .args(args)
        .arg("--json")
        .env("ONDO_DATABASE_URL", &app.db_url)
        .env("ONDO_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("ondo import runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "one JSON object: {stdout} / {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success(),
        serde_json::from_str(lines[0]).expect("JSON"),
    )
}

/// A CSV as Excel saves it in Japan: Shift_JIS (CP932), CRLF.
fn cp932_csv(dir: &tempfile::TempDir, name: &str, rows: &[&str]) -> std::path::PathBuf {
    let text = rows.join("\r\n") + "\r\n";
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable, "test data is representable in CP932");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

const HEADER: &str = "会社名,氏名,フリガナ,メールアドレス,電話番号,部署,役職,名刺交換日";

/// Imports `rows` (under [`HEADER`]) as a CP932 file with touchpoint `source`; the report.
fn import_rows(app: &TestApp, dir: &tempfile::TempDir, source: &str, rows: &[&str]) -> Value {
    let lines: Vec<&str> = std::iter::once(HEADER)
        .chain(rows.iter().copied())
        .collect();
    let file = cp932_csv(dir, &format!("{source}.csv"), &lines);
    let (ok, report) = import(app, &file, &["--source", source]);
    assert!(ok, "{report}");
    report
}

/// The candidate pairs page, as the workspace's admin sees it.
async fn duplicates_page(app: &TestApp) -> String {
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    app.page("/leads/duplicates").await
}

fn trade_show(dir: &tempfile::TempDir) -> std::path::PathBuf {
    cp932_csv(
        dir,
        "tenjikai.csv",
        &[
            HEADER,
            "株式会社サカタのタネ,山田 太郎,やまだ たろう,T.Yamada@Example.co.jp,312345678,営業部,部長,2026/10/14",
            "カネコ種苗(株),佐藤 花子,サトウ ハナコ,h.sato@kaneko.example.co.jp,090-1111-2222,総務部,課長,令和8年10月14日",
            "ＡＢＣ商事株式会社,鈴木 一郎,,ichiro@abc.example.co.jp,,,,2026-10-15",
            "(株)サカタのタネ,山田太郎,,t.yamada@example.co.jp,,営業部,,2026/10/15",
        ],
    )
}

async fn lead_count(app: &TestApp) -> i64 {
    let (_, stats) = json(
        app.client
            .get(app.url("/api/v1/stats"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("stats"),
    )
    .await;
    stats["leads"].as_i64().expect("count")
}

#[tokio::test]
async fn a_cp932_csv_imports_with_normalisation_and_unification() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let (ok, report) = import(&app, &trade_show(&dir), &["--source", "展示会 2026秋"]);
    assert!(ok, "{report}");
    assert_eq!(report["rows"], 4);
    assert_eq!(report["created"], 3);
    assert_eq!(report["merged"], 1);
    assert_eq!(report["errors"], json!([]));
    let keys = report["rows_to_leads"].as_array().expect("rows_to_leads");
    assert_eq!(keys.len(), 4, "one key per data row");
    assert_eq!(keys[0], keys[3], "the same person on two rows is one lead");
    assert_ne!(keys[0], keys[1]);
    let id = keys[0].as_i64().expect("a lead id");
    let (status, lead) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lead["name"], "山田 太郎");
    assert_eq!(lead["kana"], "ヤマダ タロウ");
    assert_eq!(lead["email"], "t.yamada@example.co.jp");
    assert_eq!(
        lead["phone"], "03-1234-5678",
        "the zero Excel dropped is back"
    );
    assert_eq!(lead["company"]["name"], "株式会社サカタのタネ");
    let sources: Vec<&str> = lead["touchpoints"]
        .as_array()
        .expect("tps")
        .iter()
        .map(|t| t["source"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        sources,
        vec!["展示会 2026秋", "展示会 2026秋"],
        "every row is kept as a touchpoint"
    );
    let sato = keys[1].as_i64().expect("id");
    let (_, sato) = json(app.get_lead(&app.token, sato).await).await;
    assert_eq!(sato["mobile"], "090-1111-2222");
    assert_eq!(
        sato["touchpoints"][0]["at"].as_str().map(|s| &s[..10]),
        Some("2026-10-13"),
        "令和 date, midnight JST"
    );
}

#[tokio::test]
async fn re_running_an_import_creates_nothing_new() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = trade_show(&dir);
    let (_, first) = import(&app, &file, &["--source", "展示会 2026秋"]);
    let leads = lead_count(&app).await;
    let (ok, second) = import(&app, &file, &["--source", "展示会 2026秋"]);
    assert!(ok, "{second}");
    assert_eq!(second["created"], 0, "{second}");
    assert_eq!(second["merged"], 4);
    assert_eq!(
        second["rows_to_leads"], first["rows_to_leads"],
        "rows resolve to the same leads"
    );
    assert_eq!(lead_count(&app).await, leads);
    let id = first["rows_to_leads"][0].as_i64().expect("id");
    let (_, lead) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(
        lead["touchpoints"].as_array().map(Vec::len),
        Some(2),
        "no touchpoint added twice"
    );
}

/// Another process writing for longer than SQLite's busy timeout (10 s) does not make an
/// import fail: it waits for the lock and then imports everything; the other write is kept
/// too. (On PostgreSQL the two simply run side by side.)
#[tokio::test]
async fn an_import_waits_for_another_write_instead_of_failing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = trade_show(&dir);
    let holder = hold_write_lock(&app, 12);
    let (ok, report) = import(&app, &file, &["--source", "展示会 2026秋"]);
    holder.join().expect("the other writer");
    assert!(ok, "the import waited for the lock: {report}");
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(lead_count(&app).await, 3);
    assert_eq!(held_write(&app).await, HELD, "the other write is kept");
}

/// A file larger than a chunk is read, matched and written a chunk at a time, in one
/// transaction: a row repeating a person of an earlier chunk joins that chunk's lead, a
/// namesake at the same company is still a candidate pair, and the report is the one the
/// whole file at once gives.
#[tokio::test]
async fn a_file_imported_a_chunk_at_a_time_gives_what_the_whole_file_gives() {
    let whole = spawn_app().await;
    let chunked = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = cp932_csv(
        &dir,
        "tenjikai.csv",
        &[
            HEADER,
            "株式会社サカタのタネ,山田 太郎,やまだ たろう,T.Yamada@Example.co.jp,312345678,営業部,部長,2026/10/14",
            "カネコ種苗(株),佐藤 花子,サトウ ハナコ,h.sato@kaneko.example.co.jp,090-1111-2222,総務部,課長,令和8年10月14日",
            "ＡＢＣ商事株式会社,,,ichiro@abc.example.co.jp,,,,2026-10-15",
            "(株)サカタのタネ,山田太郎,,t.yamada@example.co.jp,,営業部,,2026/10/15",
            "株式会社サカタのタネ,山田 太郎,,taro.yamada@gmail.com,,,,2026/10/16",
        ],
    );
    let (ok, at_once) = import(&whole, &file, &["--source", "展示会 2026秋"]);
    assert!(ok, "{at_once}");
    // A dry run a chunk at a time plans what the import will do, and writes nothing.
    let (ok, planned) = import(
        &chunked,
        &file,
        &[
            "--source",
            "展示会 2026秋",
            "--chunk-rows",
            "2",
            "--dry-run",
        ],
    );
    assert!(ok, "{planned}");
    for field in [
        "rows",
        "created",
        "merged",
        "updated",
        "skipped",
        "errors",
        "candidate_pairs",
    ] {
        assert_eq!(planned[field], at_once[field], "{field}: {planned}");
    }
    assert_eq!(
        planned["rows_to_leads"],
        json!(["new-1", "new-2", null, "new-1", "new-3"]),
        "row 5 joins the lead row 2 would create in the first chunk"
    );
    assert_eq!(lead_count(&chunked).await, 0, "a dry run writes nothing");
    let (ok, by_chunks) = import(
        &chunked,
        &file,
        &["--source", "展示会 2026秋", "--chunk-rows", "2"],
    );
    assert!(ok, "{by_chunks}");
    for field in ["rows", "created", "merged", "updated", "skipped", "errors"] {
        assert_eq!(by_chunks[field], at_once[field], "{field}: {by_chunks}");
    }
    assert_eq!(at_once["created"], 3, "{at_once}");
    assert_eq!(at_once["errors"][0]["row"], 4, "the row without a name");
    assert_eq!(
        (&at_once["candidate_pairs"], &by_chunks["candidate_pairs"]),
        (&json!(1), &json!(1)),
        "the namesake with a private address waits for review either way"
    );
    let keys = by_chunks["rows_to_leads"]
        .as_array()
        .expect("rows_to_leads");
    assert_eq!(keys.len(), 5);
    assert_eq!(
        keys[0], keys[3],
        "row 5 joins the lead row 2 created in the first chunk"
    );
    assert_eq!(keys[2], Value::Null, "the rejected row");
    assert!(
        keys[0] != keys[1] && keys[0] != keys[4] && keys[1] != keys[4],
        "{by_chunks}"
    );
    assert_eq!(lead_count(&chunked).await, lead_count(&whole).await);
    let id = keys[0].as_i64().expect("id");
    let (_, lead) = json(chunked.get_lead(&chunked.token, id).await).await;
    assert_eq!(lead["phone"], "03-1234-5678");
    assert_eq!(lead["touchpoints"].as_array().map(Vec::len), Some(2));
    // The pair waits for review with its reason in words.
    assert_eq!(
        chunked
            .sign_in("admin@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let page = chunked.page("/leads/duplicates").await;
    assert!(page.contains("同じ会社の同姓同名"), "the reason in words");
}

/// `--progress` (the default on a terminal) says on stderr how far the import has got,
/// ending with the rows read and "done"; stdout keeps the one JSON object.
#[tokio::test]
async fn the_cli_prints_its_progress_on_stderr() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut rows = vec![HEADER.to_owned()];
    rows.extend((0..30).map(|i| format!("株式会社テスト,山田 {i}郎,,y{i}@example.co.jp,,,,")));
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let file = cp932_csv(&dir, "progress.csv", &rows);
    let out = Command::new(env!("CARGO_BIN_EXE_ondo"))
        .arg("import")
        .arg(&file)
        .args(["--progress", "--chunk-rows", "10", "--json"])
        .env("ONDO_DATABASE_URL", &app.db_url)
        .env("ONDO_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("ondo import runs");
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["created"], 30);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("");
    assert_eq!(last, "import: done, 30 of 30 rows read, 100%", "{stderr}");
}

/// A broken row in a later chunk, after earlier chunks were written, still leaves the
/// database as it was.
#[tokio::test]
async fn a_file_broken_in_a_later_chunk_writes_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("unclosed.csv");
    std::fs::write(
        &file,
        "氏名,メールアドレス\n山田 太郎,t@example.co.jp\n佐藤 花子,h@example.co.jp\n\"鈴木 一郎,i@example.co.jp\n",
    )
    .expect("write");
    let (ok, report) = import(&app, &file, &["--chunk-rows", "1"]);
    assert!(!ok);
    assert_eq!(report["error"], "import_failed", "{report}");
    assert!(
        report["message"].as_str().unwrap_or("").contains("row 4"),
        "the message names the row: {report}"
    );
    assert_eq!(
        lead_count(&app).await,
        0,
        "the first two chunks were rolled back"
    );
}

/// An address a lead is seen with besides its own (a private one from a webinar sign-up)
/// is kept on the lead, and a later file or form giving only that address finds the lead.
/// Before, the merge kept the first address only: the form made a second lead.
/// Sends one page view for the webinar address of the test below.
async fn send_event(app: &TestApp, id: &str) -> Value {
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.token)
        .json(&json!([
            {"id": id, "type": "page_view", "at": ondo_domain::Micros::now().to_rfc3339(),
             "email": "taro.yamada@gmail.com", "url": "/product/pricing"}
        ]))
        .send()
        .await
        .expect("events");
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_second_address_is_kept_and_finds_the_lead_later() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let first = import_rows(
        &app,
        &dir,
        "名刺",
        &[
            "株式会社サカタのタネ,山田 太郎,ヤマダ タロウ,t.yamada@example.co.jp,090-1234-5678,営業部,部長,2026/10/14",
        ],
    );
    let id = first["rows_to_leads"][0].as_i64().expect("id");
    // Behaviour under the private address, before anyone knows whose it is: it waits.
    assert_eq!(send_event(&app, "before").await["waiting"], 1);
    let second = import_rows(
        &app,
        &dir,
        "ウェビナー",
        &["株式会社サカタのタネ,山田 太郎,,taro.yamada@gmail.com,090-1234-5678,,,2026/10/20"],
    );
    assert_eq!(second["merged"], 1, "same name and mobile: {second}");
    // The import attached the waiting event (the lead's only one: the server's worker
    // scores it), and later ones go straight to the lead.
    let mut engagement = 0.0;
    for _ in 0..100 {
        let (_, lead) = json(app.get_lead(&app.token, id).await).await;
        engagement = lead["scores"]["engagement"].as_f64().expect("engagement");
        if engagement > 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        engagement > 0.0,
        "the waiting page view counts for the lead"
    );
    assert_eq!(send_event(&app, "after").await["waiting"], 0);
    let third = import_rows(
        &app,
        &dir,
        "資料請求",
        &[",山田 太郎,,Taro.Yamada@gmail.com,,,,2026/10/25"],
    );
    assert_eq!(third["created"], 0, "{third}");
    assert_eq!(
        third["rows_to_leads"][0], id,
        "found by the webinar's address"
    );
    assert_eq!(lead_count(&app).await, 1);

    let (_, lead) = json(app.get_lead(&app.token, id).await).await;
    assert_eq!(
        lead["email"], "t.yamada@example.co.jp",
        "its own address stays"
    );
    assert_eq!(
        lead["other_contacts"],
        json!([{"kind": "email", "value": "taro.yamada@gmail.com", "source": "ウェビナー"}]),
        "{lead}"
    );
    assert_eq!(lead["touchpoints"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = app.page(&format!("/leads/{id}")).await;
    assert!(
        page.contains("別の連絡先") && page.contains("taro.yamada@gmail.com"),
        "the lead page shows the other address"
    );

    // The API goes through the same matching.
    let (status, posted) = json(
        app.post_lead(&json!({"name": "山田 太郎", "email": "taro.yamada@gmail.com"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "an existing lead: {posted}");
    assert_eq!(posted["id"], id);
}

#[tokio::test]
async fn two_leads_one_row_matches_are_offered_for_review() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    // A card without an email, then a webinar sign-up without a company: two leads, as
    // nothing ties them. A form row then has the card's company and department and the
    // webinar's address: it is the same person as both.
    let first = import_rows(
        &app,
        &dir,
        "名刺",
        &["株式会社サカタのタネ,山田 太郎,ヤマダ タロウ,,,営業部,部長,2026/10/14"],
    );
    let second = import_rows(
        &app,
        &dir,
        "ウェビナー",
        &[",山田 太郎,,taro.yamada@gmail.com,,,,2026/10/20"],
    );
    let (card_lead, webinar_lead) = (&first["rows_to_leads"][0], &second["rows_to_leads"][0]);
    assert_ne!(card_lead, webinar_lead, "{first} {second}");
    let third = import_rows(
        &app,
        &dir,
        "資料請求",
        &["株式会社サカタのタネ,山田 太郎,,taro.yamada@gmail.com,,営業部,,2026/10/25"],
    );
    assert_eq!(third["created"], 0, "{third}");
    assert_eq!(&third["rows_to_leads"][0], card_lead, "the older lead");
    assert_eq!(third["candidate_pairs"], 1, "{third}");

    let page = duplicates_page(&app).await;
    assert!(
        page.contains("取り込んだ1件（インポートの行・フォーム・API）が両方と同一人物と判定"),
        "the pair is offered with its reason in words"
    );
    for id in [card_lead, webinar_lead] {
        assert!(page.contains(&format!("/leads/{id}\"")), "{id}");
    }

    // The API offers the same pair when a lead it receives is both of them.
    let app = spawn_app().await;
    let (_, a) = json(
        app.post_lead(&json!({"name": "佐藤 花子", "company": "株式会社サカタのタネ", "department": "総務部"}))
            .await,
    )
    .await;
    let (_, b) = json(
        app.post_lead(&json!({"name": "佐藤 花子", "email": "hanako@gmail.com"}))
            .await,
    )
    .await;
    assert_ne!(a["id"], b["id"]);
    let (status, c) = json(
        app.post_lead(&json!({"name": "佐藤 花子", "company": "株式会社サカタのタネ", "department": "総務部", "email": "hanako@gmail.com"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["id"], a["id"], "the older lead");
    let page = duplicates_page(&app).await;
    assert!(page.contains("両方と同一人物と判定"), "{page}");
}

#[tokio::test]
async fn a_name_written_another_way_meets_its_earlier_lead_in_a_later_file() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut cards = vec![
        "株式会社サカタのタネ,中川 拓也,,t.nakagawa@example.co.jp,,営業部,,2026/10/14".to_owned(),
        "株式会社サカタのタネ,髙橋 一郎,,i.takahashi@example.co.jp,,総務部,,2026/10/14".to_owned(),
        "株式会社サカタのタネ,野田 陽太,ノダ ヒナタ,h.noda@example.co.jp,,開発部,,2026/10/14"
            .to_owned(),
    ];
    // More colleagues than a name in romaji is compared with, all written in romaji: the
    // kanji names are the ones compared.
    let letters = "abcdefghijk";
    for a in letters.chars() {
        for b in letters.chars() {
            cards.push(format!(
                "株式会社サカタのタネ,K{a}{b} Sato{a}{b},,,,,,2026/10/14"
            ));
        }
    }
    let cards: Vec<&str> = cards.iter().map(String::as_str).collect();
    let first = import_rows(&app, &dir, "名刺", &cards);
    // A webinar's sign-ups: the given name first, the common form of 髙, and a name in
    // romaji, each with a private address.
    let second = import_rows(
        &app,
        &dir,
        "ウェビナー",
        &[
            "株式会社サカタのタネ,拓也 中川,,nakagawa.t@gmail.com,,営業部,,2026/10/20",
            "株式会社サカタのタネ,高橋 一郎,,ichiro.t@gmail.com,,,,2026/10/20",
            "株式会社サカタのタネ,Hinata Noda,,hinata.n@gmail.com,,開発部,,2026/10/20",
        ],
    );
    // The same name in the other order, or in romaji, at the same company and department:
    // the same person, as when both are in one file.
    assert_eq!(
        second["rows_to_leads"][0], first["rows_to_leads"][0],
        "{second}"
    );
    assert_eq!(
        second["rows_to_leads"][2], first["rows_to_leads"][2],
        "{second}"
    );
    // Another form of a kanji: a new lead, offered for review beside the first.
    assert_eq!(second["created"], 1, "{second}");
    assert_eq!(second["candidate_pairs"], 1, "{second}");
    let page = duplicates_page(&app).await;
    assert!(page.contains("異体字"), "{page}");
    for id in [&first["rows_to_leads"][1], &second["rows_to_leads"][1]] {
        assert!(page.contains(&format!("/leads/{id}\"")), "{id}");
    }
}

/// The other way round: a lead written in romaji (a webinar sign-up) met by a later row
/// in kanji with its reading, at the same company and department, among many colleagues.
#[tokio::test]
async fn a_name_in_kanji_meets_its_earlier_lead_written_in_romaji() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut webinar = vec![
        "株式会社サカタのタネ,Hinata Noda,,hinata.n@gmail.com,,開発部,,2026/10/20".to_owned(),
        "株式会社サカタのタネ,まつお ゆうこ,,yuko.m@gmail.com,,総務部,,2026/10/20".to_owned(),
    ];
    for i in 0..120 {
        webinar.push(format!(
            "株式会社サカタのタネ,佐藤 {i}郎,,s{i}@example.co.jp,,営業部,,2026/10/20"
        ));
    }
    let webinar: Vec<&str> = webinar.iter().map(String::as_str).collect();
    let first = import_rows(&app, &dir, "ウェビナー", &webinar);
    let cards = import_rows(
        &app,
        &dir,
        "名刺",
        &[
            "株式会社サカタのタネ,野田 陽太,ノダ ヒナタ,h.noda@example.co.jp,,開発部,,2026/11/02",
            "株式会社サカタのタネ,松尾 優子,マツオ ユウコ,y-matsuo@example.co.jp,,総務部,,2026/11/02",
        ],
    );
    assert_eq!(
        cards["rows_to_leads"][0], first["rows_to_leads"][0],
        "{cards}"
    );
    assert_eq!(
        cards["rows_to_leads"][1], first["rows_to_leads"][1],
        "{cards}"
    );
    assert_eq!(cards["created"], 0, "{cards}");
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_gives_provisional_keys() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let (ok, report) = import(&app, &trade_show(&dir), &["--dry-run"]);
    assert!(ok);
    assert_eq!(report["created"], 3);
    assert_eq!(report["rows_to_leads"][0], "new-1");
    assert_eq!(report["rows_to_leads"][3], "new-1");
    assert_eq!(report["rows_to_leads"][1], "new-2");
    assert_eq!(lead_count(&app).await, 0, "a dry run writes nothing");
}

#[tokio::test]
async fn rows_match_leads_already_in_the_workspace_and_modes_decide() {
    let app = spawn_app().await;
    let (_, existing) = json(
        app.post_lead(
            &json!({"name": "山田 太郎", "email": "t.yamada@example.co.jp", "phone": "03-9999-0000"}),
        )
        .await,
    )
    .await;
    let id = existing["id"].clone();
    let dir = tempfile::tempdir().expect("dir");
    let file = trade_show(&dir);

    let (_, new_mode) = import(&app, &file, &["--mode", "new", "--dry-run"]);
    assert_eq!(
        new_mode["skipped"], 2,
        "rows of an existing lead are skipped in new mode: {new_mode}"
    );
    assert_eq!(new_mode["rows_to_leads"][0], id);

    let (_, update_mode) = import(&app, &file, &["--mode", "update"]);
    assert_eq!(update_mode["updated"], 2, "{update_mode}");
    assert_eq!(
        update_mode["skipped"], 2,
        "rows without a lead are skipped in update mode"
    );
    assert_eq!(update_mode["created"], 0);
    assert_eq!(lead_count(&app).await, 1);
    let (_, lead) = json(app.get_lead(&app.token, id.as_i64().expect("id")).await).await;
    assert_eq!(lead["title"], "部長");
    assert_eq!(lead["phone"], "03-1234-5678");
    assert_eq!(
        lead["other_contacts"],
        json!([{"kind": "phone", "value": "03-9999-0000", "source": "tenjikai.csv"}]),
        "the number the update replaced stays known"
    );

    let (_, upsert) = import(&app, &file, &["--mode", "upsert"]);
    assert_eq!(upsert["created"], 2);
    assert_eq!(
        upsert["rows_to_leads"][0], id,
        "the existing lead keeps its id"
    );
    assert_eq!(lead_count(&app).await, 3);
}

#[tokio::test]
async fn a_bad_row_is_reported_by_row_and_the_rest_imports() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = cp932_csv(
        &dir,
        "bad.csv",
        &[
            HEADER,
            "株式会社サカタのタネ,山田 太郎,,t.yamada@example.co.jp,03-1234-5678,,,",
            "株式会社サカタのタネ,佐藤 次郎,,not an email,,,,",
            "株式会社サカタのタネ,,,nobody@example.co.jp,,,,",
            "株式会社サカタのタネ,田中 三郎,,s.tanaka@example.co.jp,12,,,",
        ],
    );
    let (ok, report) = import(&app, &file, &[]);
    assert!(ok, "{report}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{report}");
    assert_eq!(
        errors[0]["row"], 3,
        "rows are numbered as in Excel: the header is row 1"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("email"),
        "{report}"
    );
    assert_eq!(errors[1]["row"], 4);
    assert!(errors[1]["message"].as_str().unwrap_or("").contains("name"));
    assert!(report["rows_to_leads"][1].is_null());
    assert_eq!(report["created"], 2);
    let warnings = report["warnings"].as_array().expect("warnings");
    assert_eq!(
        warnings[0]["row"], 5,
        "an unparseable phone is kept with a warning: {report}"
    );
    let (_, tanaka) = json(
        app.get_lead(&app.token, report["rows_to_leads"][3].as_i64().expect("id"))
            .await,
    )
    .await;
    assert_eq!(
        tanaka["custom_fields"]["電話番号（元の値）"], "12",
        "nothing is lost"
    );
}

#[tokio::test]
async fn repeated_headers_and_cells_beyond_the_header_are_kept_and_reported() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = cp932_csv(
        &dir,
        "list.csv",
        &[
            "氏名,メール,会社名,メール",
            "山田 太郎,taro@yamada.example.co.jp,株式会社ヤマダ,t.yamada@gmail.com",
            "鈴木 一郎,ichiro@suzuki.example.co.jp,株式会社スズキ,,内線123",
        ],
    );
    let (ok, report) = import(&app, &file, &["--source", "名刺"]);
    assert!(ok, "{report}");
    assert_eq!(report["created"], 2, "{report}");
    let warnings: Vec<(i64, &str)> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            (
                w["row"].as_i64().unwrap_or(0),
                w["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                1,
                "column 4 repeats the header \"メール\" of column 2; its values are kept as the custom field \"メール (2)\""
            ),
            (
                1,
                "column 5 has no header (rows longer than the header); its values are kept as the custom field \"列E\""
            ),
        ],
        "{report}"
    );
    let taro = report["rows_to_leads"][0].as_i64().expect("id");
    let (_, taro) = json(app.get_lead(&app.token, taro).await).await;
    assert_eq!(taro["email"], "taro@yamada.example.co.jp");
    assert_eq!(
        taro["custom_fields"]["メール (2)"], "t.yamada@gmail.com",
        "{taro}"
    );
    let ichiro = report["rows_to_leads"][1].as_i64().expect("id");
    let (_, ichiro) = json(app.get_lead(&app.token, ichiro).await).await;
    assert_eq!(ichiro["custom_fields"]["列E"], "内線123", "{ichiro}");
}

#[tokio::test]
async fn a_broken_file_is_refused_whole_and_writes_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let binary = dir.path().join("photo.csv");
    std::fs::write(
        &binary,
        [0x89u8, b'P', b'N', b'G', 0, 0, 0, 13, 0, 0, 1, 2, 3, 0, 0],
    )
    .expect("write");
    let (ok, report) = import(&app, &binary, &[]);
    assert!(!ok);
    assert_eq!(report["error"], "invalid_file", "{report}");
    let unclosed = dir.path().join("unclosed.csv");
    std::fs::write(
        &unclosed,
        "氏名,メールアドレス\n山田 太郎,t@example.co.jp\n\"佐藤 花子,h@example.co.jp\n",
    )
    .expect("write");
    let (ok, report) = import(&app, &unclosed, &[]);
    assert!(!ok);
    assert!(
        report["message"].as_str().unwrap_or("").contains('3'),
        "the message names the row: {report}"
    );
    assert_eq!(lead_count(&app).await, 0, "nothing was half-written");
    let (ok, report) = import(&app, &binary, &["--mode", "sometimes"]);
    assert!(!ok);
    assert_eq!(report["error"], "invalid_mode");
}

#[tokio::test]
async fn imported_leads_get_their_waiting_events_and_their_scores() {
    let app = spawn_app().await;
    // Behaviour arrives before the person is known: it waits for the email.
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.token)
        .json(&json!([
            {"id": "dl", "type": "download", "at": ondo_domain::Micros::now().to_rfc3339(),
             "email": "h.sato@kaneko.example.co.jp", "url": "/documents/guide.pdf"}
        ]))
        .send()
        .await
        .expect("events");
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["waiting"], 1);

    let dir = tempfile::tempdir().expect("dir");
    let (ok, report) = import(&app, &trade_show(&dir), &["--source", "展示会 2026秋"]);
    assert!(ok, "{report}");
    let keys = report["rows_to_leads"].as_array().expect("rows_to_leads");
    let sato = keys[1].as_i64().expect("id");
    let yamada = keys[0].as_i64().expect("id");

    // The server's worker scores the imported leads: the download counts for Sato and
    // makes her an MQL; Yamada (company, department, 部長, corporate email) fits well.
    let mut lead = Value::Null;
    for _ in 0..100 {
        lead = json(app.get_lead(&app.token, sato).await).await.1;
        if lead["status"] == "nurturing" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(lead["status"], "nurturing", "{lead}");
    assert!(
        lead["scores"]["engagement"].as_f64().expect("engagement") >= 9.0,
        "{lead}"
    );
    let (_, yamada) = json(app.get_lead(&app.token, yamada).await).await;
    assert!(
        matches!(yamada["scores"]["fit_grade"].as_str(), Some("A" | "B")),
        "{yamada}"
    );
}
