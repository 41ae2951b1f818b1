//! Temperature at work: the event writer that batches ingestion into group commits,
//! rescoring a lead (fit, engagement, the handoff rules) inside a transaction, and the
//! workspace's current rules.

pub mod lead;
pub mod queue;
pub mod rescore;
pub mod rules_change;
pub mod sweep;
pub mod writer;

use ondo_domain::scoring::ScoringRules;
use ondo_store::{Db, StoreError, WorkspaceId};

pub use lead::{rescore_lead, rescore_now};
pub use writer::{EventTarget, EventWriter, IncomingEvent, IngestError, IngestOutcome};

/// The workspace's rules and their version (0: the defaults, never saved).
pub async fn workspace_rules(db: &Db, ws: WorkspaceId) -> Result<(i64, ScoringRules), StoreError> {
    match ondo_store::scoring::current_rules(db, ws).await? {
        Some(v) => match ScoringRules::from_toml(&v.rules_toml) {
            Ok(rules) => Ok((v.version, rules)),
            Err(e) => {
                // Saved rules were validated; a version that no longer parses (after an
                // upgrade) falls back to the defaults rather than stopping scoring.
                tracing::error!(version = v.version, error = %e, "saved scoring rules do not parse; using the defaults");
                Ok((v.version, ScoringRules::default()))
            }
        },
        None => Ok((0, ScoringRules::default())),
    }
}
