//! Rescoring a whole workspace: page categories for events stored without one (bulk
//! loads), then every lead's scores, in batches of short write transactions.

use ondo_domain::Micros;
use ondo_domain::scoring::categorize;
use ondo_store::{Db, StoreError, WorkspaceId};

/// Leads rescored per transaction: short enough that event ingestion waits little.
const BATCH: i64 = 500;

/// What a rescoring did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RescoreSummary {
    pub leads: u64,
    pub categorised: u64,
    pub moved: u64,
}

/// Rescores every lead of the workspace with its current rules. With `apply_rules`, the
/// handoff rules may change statuses as they would on a new event; without, only the
/// scores are written (a demo load keeps the statuses it was given).
pub async fn rescore_all(
    db: &Db,
    ws: WorkspaceId,
    apply_rules: bool,
) -> Result<RescoreSummary, StoreError> {
    let (_, rules) = super::workspace_rules(db, ws).await?;
    let mut summary = RescoreSummary::default();
    let uncategorised = ondo_store::events::uncategorised_pages(db, ws).await?;
    for chunk in uncategorised.chunks(BATCH as usize) {
        let mut tx = db.begin_write().await?;
        for (id, url) in chunk {
            let category = categorize(url, &rules.page_rules);
            ondo_store::events::set_category(&mut tx, ws, *id, category.key()).await?;
            summary.categorised += 1;
        }
        tx.commit().await?;
    }
    let now = Micros::now();
    let mut after = 0;
    loop {
        let ids = ondo_store::scoring::lead_ids_after(db, ws, after, BATCH).await?;
        let Some(&last) = ids.last() else {
            break;
        };
        let mut tx = db.begin_write().await?;
        for id in ids {
            let rescored = super::lead::rescore(&mut tx, ws, &rules, id, now, apply_rules).await?;
            summary.leads += 1;
            if rescored.is_some_and(|r| r.moved.is_some()) {
                summary.moved += 1;
            }
        }
        tx.commit().await?;
        after = last;
    }
    Ok(summary)
}
