use std::sync::Arc;

use ondo_jobs::scoring::EventWriter;
use ondo_store::Db;
use ondo_store::workspaces::Workspace;

use crate::auth::throttle::LoginThrottle;

/// Settings the web layer needs.
#[derive(Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
    /// Argon2 cost: production parameters, or cheap ones in tests.
    pub fast_password_hashing: bool,
    /// How long a browser session lasts, in hours.
    pub session_hours: i64,
    /// Where users reach Ondo (`ONDO_PUBLIC_URL`), for links in notifications; the
    /// application fills in `http://` + its listen address when it is not set.
    pub public_url: Option<String>,
    /// The SMTP server for outgoing mail (`ONDO_SMTP_URL`); may hold a password.
    pub smtp_url: Option<String>,
    /// The sender of outgoing mail (`ONDO_SMTP_FROM`).
    pub smtp_from: Option<String>,
    /// Data rows an import from the wizard reads, matches and writes at a time, and its
    /// preview plans (`ONDO_IMPORT_CHUNK_ROWS`).
    pub import_chunk_rows: usize,
}

// The SMTP URL may carry a password: it never reaches logs.
impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("secure_cookies", &self.secure_cookies)
            .field("fast_password_hashing", &self.fast_password_hashing)
            .field("session_hours", &self.session_hours)
            .field("public_url", &self.public_url)
            .field(
                "smtp_url",
                &self
                    .smtp_url
                    .as_deref()
                    .map(ondo_jobs::notify::mail::redact),
            )
            .field("smtp_from", &self.smtp_from)
            .field("import_chunk_rows", &self.import_chunk_rows)
            .finish()
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            fast_password_hashing: false,
            session_hours: 12,
            public_url: None,
            smtp_url: None,
            smtp_from: None,
            import_chunk_rows: ondo_jobs::import::CHUNK_ROWS,
        }
    }
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// The workspace the web pages sign in to.
    pub workspace: Arc<Workspace>,
    pub config: Arc<WebConfig>,
    pub(crate) throttle: Arc<LoginThrottle>,
    /// The one task that writes ingested events (group commits).
    pub events: EventWriter,
    /// The lead list's workspace-wide figures (sources, leads per status).
    pub(crate) summaries: Arc<crate::summaries::Summaries>,
}

impl AppState {
    /// Must be called inside a tokio runtime: it starts the event writer.
    pub fn new(db: Db, workspace: Workspace, config: WebConfig) -> Self {
        AppState {
            db: db.clone(),
            workspace: Arc::new(workspace),
            config: Arc::new(config),
            throttle: Arc::new(LoginThrottle::default()),
            events: EventWriter::start(db.clone()),
            summaries: Arc::default(),
        }
    }
}
