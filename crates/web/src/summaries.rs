//! Workspace-wide figures the lead list shows on every request — the touchpoint sources
//! with their lead counts (the source filter) and the leads per status (the chips) — are
//! aggregates over the whole workspace: at 1M leads they take most of a second. In a large
//! workspace they are kept for a minute and refreshed in the background, so a list request
//! does not wait for them; a small workspace gets them fresh on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ondo_domain::LeadStatus;
use ondo_store::{Db, StoreError, WorkspaceId};

/// How long figures of a large workspace are served before they are refreshed.
const FRESH_FOR: Duration = Duration::from_secs(60);
/// Below this many leads the figures are computed on every request (milliseconds).
const LARGE: i64 = 50_000;

/// The figures of one workspace.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Touchpoint sources with how many leads came through each, most used first.
    pub sources: Arc<Vec<(String, i64)>>,
    /// Leads per status, every status in funnel order.
    pub by_status: Arc<Vec<(LeadStatus, i64)>>,
}

impl Summary {
    /// All leads of the workspace.
    pub fn total(&self) -> i64 {
        self.by_status.iter().map(|(_, n)| n).sum()
    }
}

struct Entry {
    summary: Summary,
    at: Instant,
    refreshing: bool,
}

/// The figures of every workspace served, by workspace.
#[derive(Default)]
pub struct Summaries {
    entries: Mutex<HashMap<i64, Entry>>,
}

async fn compute(db: &Db, ws: WorkspaceId) -> Result<Summary, StoreError> {
    let (sources, by_status) = tokio::try_join!(
        ondo_store::leads::sources(db, ws),
        ondo_store::reports::funnel_at_a_glance(db, ws, None)
    )?;
    Ok(Summary {
        sources: Arc::new(sources),
        by_status: Arc::new(by_status),
    })
}

impl Summaries {
    /// The workspace's figures: fresh for a small workspace; for a large one, at most a
    /// minute old (an older value is served once more while a background task refreshes it).
    pub async fn get(self: &Arc<Self>, db: &Db, ws: WorkspaceId) -> Result<Summary, StoreError> {
        let stale = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.get_mut(&ws.0) {
                Some(e) if e.summary.total() >= LARGE => {
                    if e.at.elapsed() < FRESH_FOR || e.refreshing {
                        return Ok(e.summary.clone());
                    }
                    e.refreshing = true;
                    Some(e.summary.clone())
                }
                _ => None,
            }
        };
        match stale {
            Some(summary) => {
                let (this, db) = (Arc::clone(self), db.clone());
                tokio::spawn(async move {
                    let fresh = compute(&db, ws).await;
                    if let Err(e) = &fresh {
                        tracing::warn!(error = %e, "refreshing the lead list's figures failed");
                    }
                    this.store(ws, fresh.ok());
                });
                Ok(summary)
            }
            None => {
                let summary = compute(db, ws).await?;
                self.store(ws, Some(summary.clone()));
                Ok(summary)
            }
        }
    }

    fn store(&self, ws: WorkspaceId, summary: Option<Summary>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match summary {
            Some(summary) => {
                entries.insert(
                    ws.0,
                    Entry {
                        summary,
                        at: Instant::now(),
                        refreshing: false,
                    },
                );
            }
            // A failed refresh is tried again by the next request.
            None => {
                if let Some(e) = entries.get_mut(&ws.0) {
                    e.refreshing = false;
                }
            }
        }
    }
}
