//! Visitors of the customer's site seen by the tracking snippet, and the lead each one
//! turned out to be.

use crate::error::Result;
use crate::{Tx, WorkspaceId, with_tx};

/// The lead a visitor was identified as, if any.
pub async fn lead_by_visitor(
    tx: &mut Tx,
    ws: WorkspaceId,
    visitor_id: &str,
) -> Result<Option<i64>> {
    with_tx!(tx, conn => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT lead_id FROM visitors WHERE workspace_id = $1 AND visitor_id = $2",
        )
        .bind(ws.0)
        .bind(visitor_id)
        .fetch_optional(&mut **conn)
        .await?)
    })
}
