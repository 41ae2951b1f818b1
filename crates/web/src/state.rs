use std::sync::Arc;

use ondo_jobs::scoring::EventWriter;
use ondo_store::Db;
use ondo_store::workspaces::Workspace;

use crate::auth::throttle::LoginThrottle;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
    /// Argon2 cost: production parameters, or cheap ones in tests.
    pub fast_password_hashing: bool,
    /// How long a browser session lasts, in hours.
    pub session_hours: i64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            fast_password_hashing: false,
            session_hours: 12,
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
        }
    }
}
