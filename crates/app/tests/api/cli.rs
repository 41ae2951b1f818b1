use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{json, spawn_app};

fn ondo(args: &[&str], db_url: &str, stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ondo"))
        .args(args)
        .env("ONDO_DATABASE_URL", db_url)
        .env("ONDO_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ondo binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("ondo finishes")
}

#[tokio::test]
async fn user_add_and_token_create_give_a_working_token() {
    let app = spawn_app().await;
    let added = ondo(
        &["user", "add", "k.ito@example.com", "--role", "sales"],
        &app.db_url,
        Some("a long enough password\n"),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let created = ondo(
        &["token", "create", "--user", "k.ito@example.com"],
        &app.db_url,
        None,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8(created.stdout).expect("utf-8");
    let token = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the token is printed: {stdout:?}"
    );
    assert!(token.starts_with("ondo_"));
    let (status, lead) = json(app.post_lead_as(token, &json!({"name": "伊藤 健"})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    let signin = app
        .sign_in("k.ito@example.com", "a long enough password")
        .await;
    assert_eq!(
        signin.status(),
        StatusCode::SEE_OTHER,
        "the password from stdin signs in"
    );
}

#[tokio::test]
async fn cli_errors_are_clear() {
    let app = spawn_app().await;
    let short = ondo(
        &["user", "add", "x@example.com", "--role", "admin"],
        &app.db_url,
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    let role = ondo(
        &["user", "add", "x@example.com", "--role", "boss"],
        &app.db_url,
        Some("long enough password\n"),
    );
    assert!(!role.status.success());
    assert!(String::from_utf8_lossy(&role.stderr).contains("role"));
    let dup = ondo(
        &["user", "add", "admin@example.com", "--role", "admin"],
        &app.db_url,
        Some("long enough password\n"),
    );
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let nouser = ondo(
        &["token", "create", "--user", "ghost@example.com"],
        &app.db_url,
        None,
    );
    assert!(!nouser.status.success());
    assert!(
        nouser.stdout.is_empty(),
        "nothing that looks like a token on failure"
    );
    assert!(String::from_utf8_lossy(&nouser.stderr).contains("no user"));
}

#[tokio::test]
async fn serve_creates_its_database_answers_healthz_and_stops_on_sigterm() {
    if ondo_store::testing::postgres_url().is_some() {
        // This test is about the embedded default: SQLite created in the data dir.
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ondo"))
        .args([
            "--data-dir",
            data.to_str().expect("utf-8 path"),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("ONDO_DATABASE_URL")
        .env("ONDO_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ondo serve starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("a line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the address is printed")
        .to_string();
    let mut hint = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut hint).expect("a line");
    assert!(
        hint.contains("ondo user add"),
        "an empty workspace says how to add a user: {hint}"
    );
    let health = reqwest::get(format!("{url}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        data.join("ondo.db").exists(),
        "the SQLite database is created in the data dir"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("ondo exits");
    assert!(exit.success(), "a graceful shutdown exits 0: {exit:?}");
}
