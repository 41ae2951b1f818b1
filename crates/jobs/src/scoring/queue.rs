//! The sales queue ("今追うべきリード"): a salesperson's leads, sales-ready first, then by
//! temperature, each with its scores today and its reasons in words.

use ondo_domain::Micros;
use ondo_domain::scoring::{Reason, Temperature, jst_day, queue_reasons, score_on, temperature};
use ondo_store::scoring::QueueLead;
use ondo_store::{Db, StoreError, WorkspaceId};

/// One lead of the queue.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub lead: QueueLead,
    /// Engagement today.
    pub engagement: f64,
    pub temperature: Temperature,
    /// Recent behaviour, strongest first.
    pub reasons: Vec<Reason>,
}

/// How many reasons each lead shows.
const REASONS: usize = 3;

/// The queue of `owner` (or of the whole workspace) on `now`.
pub async fn queue(
    db: &Db,
    ws: WorkspaceId,
    owner: Option<i64>,
    limit: i64,
    now: Micros,
) -> Result<Vec<QueueEntry>, StoreError> {
    let (_, rules) = super::workspace_rules(db, ws).await?;
    let today = jst_day(now);
    let leads = ondo_store::scoring::queue(db, ws, owner, limit).await?;
    let mut out = Vec::with_capacity(leads.len());
    for lead in leads {
        let engagement = score_on(lead.engagement_key, today, &rules);
        let reasons = if lead.engagement_key.is_some() {
            let events = super::lead::scored_events(
                ondo_store::events::for_scoring_db(db, ws, lead.id).await?,
            );
            queue_reasons(&rules, &events, today, REASONS)
        } else {
            Vec::new()
        };
        out.push(QueueEntry {
            engagement,
            temperature: temperature(&rules, engagement),
            reasons,
            lead,
        });
    }
    Ok(out)
}
