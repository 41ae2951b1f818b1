//! A server killed with SIGKILL in the middle of event ingestion loses no event it had
//! acknowledged: every batch answered 200 is found again (sent once more, all of it comes
//! back as duplicates).

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ondo_domain::Micros;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{json, spawn_app};

/// `ondo serve` on a free port over the test database; killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server(db_url: &str, data_dir: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_ondo"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("ONDO_DATABASE_URL", db_url)
        .env("ONDO_DATA_DIR", data_dir)
        .env("ONDO_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ondo serve starts");
    let address = format!("http://127.0.0.1:{port}");
    let server = Server { child, address };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client
            .get(format!("{}/healthz", server.address))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ondo serve did not answer /healthz in 15 s");
}

fn batch(client_no: usize, n: usize) -> Value {
    let at = Micros::now().to_rfc3339();
    Value::Array(
        (0..50)
            .map(|i| {
                json!({
                    "id": format!("kill-{client_no}-{n}-{i}"),
                    "type": if i % 2 == 0 { "page_view" } else { "email_open" },
                    "at": at,
                    "email": format!("visitor{}@kill{client_no}.example.jp", i % 7),
                    "url": "/product/",
                })
            })
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_every_event_it_acknowledged() {
    let app = spawn_app().await;
    let data_dir = tempfile::tempdir().expect("dir");
    let server = start_server(&app.db_url, data_dir.path()).await;
    let acknowledged: Arc<Mutex<Vec<Value>>> = Arc::default();
    let mut clients = Vec::new();
    for client_no in 0..4 {
        let url = format!("{}/api/v1/events", server.address);
        let token = app.token.clone();
        let acknowledged = acknowledged.clone();
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0.. {
                let body = batch(client_no, n);
                match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(resp) if resp.status() == StatusCode::OK => {
                        acknowledged.lock().expect("lock").push(body);
                    }
                    // The server is gone: an unanswered batch may or may not be stored.
                    _ => break,
                }
            }
        }));
    }
    // Kill it while the writer is busy.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    drop(server);
    for c in clients {
        c.await.expect("client task");
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().expect("lock"));
    assert!(
        acknowledged.len() >= 4,
        "the server acknowledged batches before it was killed ({})",
        acknowledged.len()
    );

    eprintln!(
        "{} batches acknowledged before the kill",
        acknowledged.len()
    );
    // A new server over the same database has every acknowledged event.
    let server = start_server(&app.db_url, data_dir.path()).await;
    let client = reqwest::Client::new();
    for body in &acknowledged {
        let (status, answer) = json(
            client
                .post(format!("{}/api/v1/events", server.address))
                .bearer_auth(&app.token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(
            answer,
            json!({"accepted": 0, "duplicates": 50, "automated": 0, "waiting": 0}),
            "an acknowledged batch was lost"
        );
    }
}
