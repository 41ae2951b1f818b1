//! The dormancy sweep: a nurtured lead that nothing happens to never gets an event that
//! would rescore it, so the housekeeping loop looks for quiet ones and lets the handoff
//! rules decide (育成中 → 休眠 after `dormant_days` without engagement).

use ondo_domain::Micros;
use ondo_store::{Db, StoreError, WorkspaceId};

/// Leads looked at per transaction.
const BATCH: i64 = 500;

/// Applies the rules to every quiet nurtured lead of the workspace; evaluates to how many
/// became dormant.
pub async fn sweep_dormant(db: &Db, ws: WorkspaceId, now: Micros) -> Result<u64, StoreError> {
    let (_, rules) = super::workspace_rules(db, ws).await?;
    let cutoff = now
        .saturating_add(Micros::days(-i64::from(rules.handoff.dormant_days)))
        .0;
    let mut moved = 0;
    let mut after = 0;
    loop {
        let ids = ondo_store::dormancy::quiet_nurtured(db, ws, cutoff, after, BATCH).await?;
        let Some(&last) = ids.last() else {
            break;
        };
        let mut tx = db.begin_write().await?;
        for id in ids {
            let rescored = super::lead::rescore_lead(&mut tx, ws, &rules, id, now).await?;
            if rescored.is_some_and(|r| r.moved.is_some()) {
                moved += 1;
            }
        }
        tx.commit().await?;
        after = last;
    }
    Ok(moved)
}

/// [`sweep_dormant`] for every workspace, logging what it did.
pub async fn sweep_all(db: &Db, now: Micros) -> Result<u64, StoreError> {
    let mut total = 0;
    for ws in ondo_store::dormancy::workspace_ids(db).await? {
        let moved = sweep_dormant(db, ws, now).await?;
        if moved > 0 {
            tracing::info!(
                workspace = ws.0,
                moved,
                "quiet nurtured leads became dormant"
            );
        }
        total += moved;
    }
    Ok(total)
}
