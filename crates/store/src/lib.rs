//! Storage for Ondo: one `Db` over SQLite or PostgreSQL, migrations for both, and a
//! repository module per aggregate. Every function takes the workspace it works in, and
//! every query filters by it. No business rules live here.

mod db;
mod error;
mod tx;

pub mod activities;
pub mod ai;
pub mod alerts;
pub mod assignment;
pub mod audit;
pub mod bulk;
pub mod campaigns;
pub mod companies;
pub mod customers;
pub mod dormancy;
pub mod events;
pub mod forms;
pub mod identities;
pub mod import_jobs;
pub mod imports;
pub mod jobs;
pub mod leads;
pub mod merges;
pub mod notifications;
pub mod reports;
pub mod rescoring;
pub mod scoring;
pub mod scoring_rules;
pub mod segments;
pub mod sessions;
pub mod stats;
pub mod statuses;
pub mod tasks;
pub mod testing;
pub mod tokens;
pub mod tracking;
pub mod users;
pub mod waiting;
pub mod workflow_settings;
pub mod workspaces;

pub use db::{Db, DbKind, redact_url};
pub use error::StoreError;
pub use tx::Tx;

/// A workspace's id; every repository call is scoped by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct WorkspaceId(pub i64);

/// Who did something, for the audit log and status history.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user, when a signed-in user or an API token acted.
    pub user_id: Option<i64>,
    /// How they acted, e.g. "web", "api", "cli", "demo".
    pub label: String,
}

impl Actor {
    pub fn user(user_id: i64, label: &str) -> Self {
        Actor {
            user_id: Some(user_id),
            label: label.to_string(),
        }
    }
    pub fn system(label: &str) -> Self {
        Actor {
            user_id: None,
            label: label.to_string(),
        }
    }
}
