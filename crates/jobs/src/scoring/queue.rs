//! The sales queue ("今追うべきリード"): a salesperson's leads, sales-ready first, then by
//! temperature, each with its scores today and its reasons in words.

use std::collections::HashMap;

use ondo_domain::Micros;
use ondo_domain::scoring::{
    RECENT_DAYS, Reason, Temperature, jst_day, queue_reasons, score_on, temperature,
};
use ondo_store::events::ScoringEvent;
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
    // The reasons look at the human events of the last RECENT_DAYS JST days only: read
    // those, for every lead of the queue at once, one row per lead.
    let engaged: Vec<i64> = leads
        .iter()
        .filter(|l| l.engagement_key.is_some())
        .map(|l| l.id)
        .collect();
    let mut recent: HashMap<i64, Vec<ScoringEvent>> = HashMap::new();
    if !engaged.is_empty() {
        let since = jst_day_start(today - (RECENT_DAYS - 1));
        for lead in ondo_store::rescoring::events_since(db, ws, &engaged, since).await? {
            recent.insert(lead.lead_id, lead.events);
        }
    }
    let mut out = Vec::with_capacity(leads.len());
    for lead in leads {
        let engagement = score_on(lead.engagement_key, today, &rules);
        let events = super::lead::scored_events(recent.remove(&lead.id).unwrap_or_default());
        let reasons = queue_reasons(&rules, &events, today, REASONS);
        out.push(QueueEntry {
            engagement,
            temperature: temperature(&rules, engagement),
            reasons,
            lead,
        });
    }
    Ok(out)
}

/// The first instant of JST day `day`.
fn jst_day_start(day: i64) -> i64 {
    const DAY: i64 = 86_400_000_000;
    const JST: i64 = 9 * 3_600_000_000;
    day * DAY - JST
}
