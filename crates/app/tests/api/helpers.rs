use ondo_app::Application;
use ondo_domain::Role;
use ondo_store::workspaces::Workspace;
use ondo_store::{Db, WorkspaceId};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery";

/// A running application and a way to talk to it.
pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub db_url: String,
    pub workspace: Workspace,
    pub client: Client,
    /// A bearer token of an admin of the default workspace.
    pub token: String,
}

/// The test's database goes with it (the server still running on it is left to the
/// test's runtime, which ends next).
impl Drop for TestApp {
    fn drop(&mut self) {
        ondo_store::testing::remove(&self.db_url);
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ondo_web::WebConfig {
        fast_password_hashing: true,
        ..Default::default()
    })
    .await
}

/// [`spawn_app`] with a configuration of its own.
pub async fn spawn_app_with(web: ondo_web::WebConfig) -> TestApp {
    let db_url = ondo_store::testing::fresh_url().await;
    let db = Db::connect(&db_url).await.expect("test database");
    let workspace = ondo_store::workspaces::ensure(&db, "default")
        .await
        .expect("workspace");
    let app = Application::build(db.clone(), workspace.clone(), "127.0.0.1:0", web)
        .await
        .expect("app builds");
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    let mut t = TestApp {
        address,
        db,
        db_url,
        workspace,
        client,
        token: String::new(),
    };
    t.token = t
        .user_with_token(t.ws(), "admin@example.com", Role::Admin)
        .await;
    t
}

impl TestApp {
    pub fn ws(&self) -> WorkspaceId {
        self.workspace.id()
    }

    /// Creates a user (password `PASSWORD`) and returns a token for them.
    pub async fn user_with_token(&self, ws: WorkspaceId, email: &str, role: Role) -> String {
        let hash = ondo_web::password::hash(PASSWORD, true);
        let user = ondo_store::users::create(&self.db, ws, email, email, role, &hash)
            .await
            .expect("user");
        let token = ondo_web::new_token(ws);
        ondo_store::tokens::create(&self.db, ws, user.id, "test", &token)
            .await
            .expect("token");
        token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The text of a page, fetched with the client's cookies.
    pub async fn page(&self, path: &str) -> String {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body")
    }

    pub async fn post_lead(&self, body: &Value) -> Response {
        self.post_lead_as(&self.token, body).await
    }

    pub async fn post_lead_as(&self, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url("/api/v1/leads"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_lead(&self, token: &str, id: i64) -> Response {
        self.client
            .get(self.url(&format!("/api/v1/leads/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch_lead(&self, id: i64, body: &Value) -> Response {
        self.client
            .patch(self.url(&format!("/api/v1/leads/{id}")))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn list_leads(&self, query: &str) -> Response {
        self.client
            .get(self.url(&format!("/api/v1/leads{query}")))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    /// Signs in through the login form and returns the final response.
    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        let page = self
            .client
            .get(self.url("/login"))
            .send()
            .await
            .expect("login page")
            .text()
            .await
            .expect("body");
        let csrf = hidden_value(&page, "csrf").expect("the login form has a CSRF token");
        self.client
            .post(self.url("/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/leads"),
            ])
            .send()
            .await
            .expect("request")
    }
}

/// The value of a hidden input in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let pos = html.find(&marker)?;
    let tag_start = html[..pos].rfind('<')?;
    let tag_end = pos + html[pos..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + "value=\"".len();
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

pub async fn json(resp: Response) -> (StatusCode, Value) {
    let status = resp.status();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// What [`hold_write_lock`] writes: the app's workspace's display name.
pub const HELD: &str = "held by another writer";

/// Holds SQLite's write lock from another connection for `secs` (longer than the busy
/// timeout of 10 s), on a thread of its own so that a test may block meanwhile; returns
/// once the lock is held. Its write commits at the end. On PostgreSQL it is an open write
/// transaction, which blocks nobody.
pub fn hold_write_lock(app: &TestApp, secs: u64) -> std::thread::JoinHandle<()> {
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (url, ws) = (app.db_url.clone(), app.ws());
    let holder = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let other = Db::connect(&url).await.expect("a second connection");
            let mut tx = other.begin_write().await.expect("the write lock");
            ondo_store::with_tx!(&mut tx, conn => {
                sqlx::query("UPDATE workspaces SET display_name = $1 WHERE workspace_id = $2")
                    .bind(HELD)
                    .bind(ws.0)
                    .execute(&mut **conn)
                    .await
                    .expect("a write");
            });
            locked_tx.send(()).expect("signal");
            tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
            tx.commit().await.expect("the other write commits");
            other.close().await;
        });
    });
    locked_rx.recv().expect("the other writer holds the lock");
    holder
}

/// The app's workspace's display name, as [`hold_write_lock`] may have written it.
pub async fn held_write(app: &TestApp) -> String {
    ondo_store::workspaces::find(&app.db, &app.workspace.name)
        .await
        .expect("read")
        .expect("the workspace")
        .display_name
}
