//! The follower: every minute (and whenever a test asks), for each workspace with a
//! campaign, it reads the status changes and form submissions recorded since it last
//! looked (see `ondo_store::campaigns::triggers` for the cursor and why it is safe across
//! restarts and concurrent transactions) and acts on them in the transaction that moves
//! its cursor:
//!
//! - a lead that became sales-ready (SQL) or later leaves every campaign it was enrolled
//!   in before that change (`became_sql`): its scheduled steps are cancelled at once,
//!   not only when the next one would have been sent;
//! - a status trigger enrols the leads that entered its status, a form trigger the leads
//!   its form's submissions reached, by the same rules as enrolling by hand (consent,
//!   opt-out, do-not-send, SQL, enrolled now or before);
//! - a segment trigger walks its segment's leads in passes, a batch a minute, and enrols
//!   those never enrolled in the campaign (a lead is enrolled by a segment once: it stays
//!   in the segment, and the campaign would start over and over).

use std::collections::HashMap;

use ondo_domain::campaign::{self as rules};
use ondo_domain::{LeadStatus, Micros};
use ondo_store::campaigns::triggers::{self, Follower, TriggerRow};
use ondo_store::campaigns::{self as store};
use ondo_store::{Actor, Db, StoreError, WorkspaceId};

use super::{EnrollError, EnrollOutcome, Intake, enroll_in, intake};

/// Status changes (and submissions) read at once.
pub const BATCH: i64 = 500;
/// Batches one workspace gets per tick, so one busy workspace cannot hold up the others.
const MAX_BATCHES: usize = 20;
/// Leads of a segment looked at per trigger and tick.
pub const SEGMENT_BATCH: i64 = 1_000;

/// Why a trigger could not enrol (stored on it, shown on the campaign page).
pub const PROBLEM_NO_STEPS: &str = "no_steps";
pub const PROBLEM_SENDER: &str = "sender_incomplete";
pub const PROBLEM_SEGMENT_GONE: &str = "segment_missing";

/// What the follower did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Followed {
    pub status_changes: usize,
    pub submissions: usize,
    pub enrolled: usize,
    /// Enrolments ended because their lead became SQL or later.
    pub exited: usize,
}

impl std::ops::AddAssign for Followed {
    fn add_assign(&mut self, o: Followed) {
        self.status_changes += o.status_changes;
        self.submissions += o.submissions;
        self.enrolled += o.enrolled;
        self.exited += o.exited;
    }
}

/// Who enrols through a trigger (the audit of an enrolment is its `source`).
fn trigger_actor() -> Actor {
    Actor::system("campaign_trigger")
}

pub(super) fn problem_of(e: &EnrollError) -> Option<&'static str> {
    match e {
        EnrollError::NoSteps => Some(PROBLEM_NO_STEPS),
        EnrollError::SenderIncomplete => Some(PROBLEM_SENDER),
        _ => None,
    }
}

/// Follows every workspace that has a campaign; a workspace that fails is logged and
/// the others go on.
pub async fn tick(db: &Db, now: Micros) -> Result<Followed, StoreError> {
    let mut total = Followed::default();
    for ws in triggers::followed_workspaces(db).await? {
        match follow(db, ws, now).await {
            Ok(f) => total += f,
            Err(e) => tracing::warn!(workspace = ws.0, error = %e, "campaign follower failed"),
        }
    }
    Ok(total)
}

/// Follows one workspace: its new status changes and submissions, then its segment
/// triggers.
pub async fn follow(db: &Db, ws: WorkspaceId, now: Micros) -> Result<Followed, StoreError> {
    let mut total = Followed::default();
    for _ in 0..MAX_BATCHES {
        let f = follow_batch(db, ws, now).await?;
        total += f;
        if f.status_changes + f.submissions == 0 {
            break;
        }
    }
    total.enrolled += follow_segments(db, ws, now).await?;
    Ok(total)
}

/// The intake of each campaign, checked once per batch.
async fn intakes(
    db: &Db,
    ws: WorkspaceId,
    campaign_ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, Result<Intake, EnrollError>>, StoreError> {
    let mut out = HashMap::new();
    for id in campaign_ids {
        if out.contains_key(&id) {
            continue;
        }
        let i = match intake(db, ws, id).await {
            Err(EnrollError::Store(e)) => return Err(e),
            other => other,
        };
        out.insert(id, i);
    }
    Ok(out)
}

/// One batch of status changes and submissions, acted on in one transaction.
async fn follow_batch(db: &Db, ws: WorkspaceId, now: Micros) -> Result<Followed, StoreError> {
    let Some(from) = triggers::follower(db, ws).await? else {
        return Ok(Followed::default());
    };
    let changes: Vec<triggers::StatusChange> =
        triggers::status_changes_after(db, ws, from.status_cursor, BATCH)
            .await?
            .into_iter()
            .take_while(|c| c.settled == 1)
            .collect();
    let submissions: Vec<triggers::Submission> =
        triggers::submissions_after(db, ws, from.form_cursor, BATCH)
            .await?
            .into_iter()
            .take_while(|s| s.settled == 1)
            .collect();
    if changes.is_empty() && submissions.is_empty() {
        return Ok(Followed::default());
    }
    let to = Follower {
        status_cursor: changes.last().map_or(from.status_cursor, |c| c.id),
        form_cursor: submissions.last().map_or(from.form_cursor, |s| s.id),
    };

    // Leads that left nurturing, with when.
    let exits: Vec<(i64, i64)> = changes
        .iter()
        .filter(|c| LeadStatus::parse(&c.to_status).is_ok_and(rules::ends_enrolment))
        .map(|c| (c.lead_id, c.changed_at))
        .collect();
    // Leads each trigger wants, in the order things happened.
    let all = triggers::of_workspace(db, ws).await?;
    let mut wanted: Vec<(&TriggerRow, Vec<i64>)> = Vec::new();
    for t in &all {
        let leads: Vec<i64> = match t.kind.as_str() {
            triggers::KIND_STATUS => changes
                .iter()
                .filter(|c| c.id > t.since_id && t.status.as_deref() == Some(c.to_status.as_str()))
                .map(|c| c.lead_id)
                .collect(),
            triggers::KIND_FORM => submissions
                .iter()
                .filter(|s| s.id > t.since_id && t.form_id == Some(s.form_id))
                .filter_map(|s| s.lead_id)
                .collect(),
            _ => continue,
        };
        if !leads.is_empty() {
            wanted.push((t, leads));
        }
    }
    let checked = intakes(db, ws, wanted.iter().map(|(t, _)| t.campaign_id)).await?;
    let mut lead_ids: Vec<i64> = wanted.iter().flat_map(|(_, l)| l.iter().copied()).collect();
    lead_ids.sort_unstable();
    lead_ids.dedup();
    let facts = store::lead_facts(db, ws, &lead_ids).await?;

    let mut done = Followed {
        status_changes: changes.len(),
        submissions: submissions.len(),
        ..Default::default()
    };
    let mut tx = db.begin_write().await?;
    if !exits.is_empty() {
        let leads: Vec<i64> = exits.iter().map(|(l, _)| *l).collect();
        for e in triggers::active_enrollments_of_leads(&mut tx, ws, &leads).await? {
            // Only enrolments that began before the change: a lead moved back to
            // nurturing and enrolled again since stays.
            let left = exits
                .iter()
                .any(|(lead, at)| *lead == e.lead_id && e.enrolled_at <= *at);
            if left
                && store::end_enrollment(
                    &mut tx,
                    ws,
                    e.id,
                    store::EXITED,
                    Some(store::EXIT_BECAME_SQL),
                    now.0,
                )
                .await?
            {
                done.exited += 1;
            }
        }
    }
    for (t, leads) in &wanted {
        match checked.get(&t.campaign_id) {
            Some(Ok(i)) => {
                let outcome: EnrollOutcome = enroll_in(
                    &mut tx,
                    ws,
                    i,
                    &facts,
                    leads,
                    Some(t.kind.as_str()),
                    &trigger_actor(),
                    now,
                )
                .await?;
                done.enrolled += outcome.enrolled.len();
                triggers::record_result(
                    &mut tx,
                    ws,
                    t.id,
                    outcome.enrolled.len() as i64,
                    None,
                    now.0,
                )
                .await?;
            }
            Some(Err(e)) => {
                triggers::record_result(&mut tx, ws, t.id, 0, problem_of(e), now.0).await?;
            }
            None => {}
        }
    }
    if !triggers::advance(&mut tx, ws, from, to, now.0).await? {
        // Another follower took this batch meanwhile.
        tx.rollback().await?;
        return Ok(Followed::default());
    }
    tx.commit().await?;
    Ok(done)
}

/// One batch of each segment trigger's pass; returns the leads enrolled.
async fn follow_segments(db: &Db, ws: WorkspaceId, now: Micros) -> Result<usize, StoreError> {
    let all = triggers::of_workspace(db, ws).await?;
    let mut enrolled = 0;
    for t in all.iter().filter(|t| t.kind == triggers::KIND_SEGMENT) {
        enrolled += super::segment::follow_trigger(db, ws, t, now).await?;
    }
    Ok(enrolled)
}
