//! Events waiting for their lead: kept with the email they were sent for until a lead
//! with that email exists. Bulk attachment for imports, which create many leads at once.

use crate::error::Result;
use crate::{Tx, WorkspaceId, with_tx};

/// Attaches every waiting event whose email now belongs to a lead (the oldest lead with
/// it); evaluates to the leads that got events. Reads only the waiting events (a partial
/// index), so its cost does not grow with the size of the import.
pub async fn attach_by_email(tx: &mut Tx, ws: WorkspaceId) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = with_tx!(tx, conn => {
        sqlx::query_scalar(
            "UPDATE events SET lead_id = (SELECT MIN(l.id) FROM leads l \
                 WHERE l.workspace_id = events.workspace_id AND l.email = events.email) \
             WHERE workspace_id = $1 AND lead_id IS NULL AND email IS NOT NULL \
             AND EXISTS (SELECT 1 FROM leads l WHERE l.workspace_id = events.workspace_id AND l.email = events.email) \
             RETURNING lead_id",
        )
        .bind(ws.0)
        .fetch_all(&mut **conn)
        .await?
    });
    // Then the addresses leads were seen with besides their own.
    let others: Vec<i64> = with_tx!(tx, conn => {
        sqlx::query_scalar(
            "UPDATE events SET lead_id = (SELECT MIN(i.lead_id) FROM lead_identities i \
                 WHERE i.workspace_id = events.workspace_id AND i.kind = 'email' AND i.value = events.email) \
             WHERE workspace_id = $1 AND lead_id IS NULL AND email IS NOT NULL \
             AND EXISTS (SELECT 1 FROM lead_identities i WHERE i.workspace_id = events.workspace_id \
                 AND i.kind = 'email' AND i.value = events.email) \
             RETURNING lead_id",
        )
        .bind(ws.0)
        .fetch_all(&mut **conn)
        .await?
    });
    ids.extend(others);
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
