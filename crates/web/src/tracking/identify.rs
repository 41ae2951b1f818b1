//! Naming a visitor of the customer's site as a lead: the visitor is recorded, the page
//! views it made while anonymous are attached to the lead, and the lead is rescored, in
//! one write transaction.

use ondo_domain::Micros;
use ondo_domain::tracking::VisitorId;
use ondo_store::{Db, StoreError, WorkspaceId};

/// How a visitor came to be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifiedBy {
    /// The visitor submitted an Ondo form.
    Form,
    /// The visitor arrived from a tracked email link.
    EmailClick,
}

impl IdentifiedBy {
    /// The key stored in `visitors.identified_by`.
    pub fn key(self) -> &'static str {
        match self {
            IdentifiedBy::Form => "form",
            IdentifiedBy::EmailClick => "email_click",
        }
    }
}

/// Identifies `visitor` (when given) as the lead, attaches the visitor's waiting events
/// and rescores the lead, all in one transaction. `Ok(false)`: the workspace has no
/// such lead (deleted since the link was sent), and nothing was written.
pub async fn identify_and_rescore(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    visitor: Option<&VisitorId>,
    by: IdentifiedBy,
) -> Result<bool, StoreError> {
    let (_, rules) = ondo_jobs::scoring::workspace_rules(db, ws).await?;
    let now = Micros::now();
    let mut tx = db.begin_write().await?;
    if !ondo_store::events::lead_exists(&mut tx, ws, lead_id).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    if let Some(v) = visitor {
        ondo_store::tracking::identify(&mut tx, ws, v.as_str(), lead_id, by.key(), now.0).await?;
        ondo_store::events::attach(&mut tx, ws, lead_id, None, Some(v.as_str())).await?;
    }
    ondo_jobs::scoring::rescore_lead(&mut tx, ws, &rules, lead_id, now).await?;
    tx.commit().await?;
    Ok(true)
}
