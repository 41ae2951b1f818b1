//! Segment triggers: a campaign that enrols a saved segment's leads, those it matches
//! when the trigger is switched on and those it comes to match later. The follower walks
//! the segment's leads in passes, [`SEGMENT_BATCH`] a tick, from the lowest id up; when
//! a pass reaches the end, the next one starts over. A lead is enrolled by a segment
//! once: it may stay in the segment for months, and re-enrolling it at every pass would
//! start the campaign over and over (re-enrolment is for leads that come in again by a
//! status change, a form or by hand).

use ondo_domain::Micros;
use ondo_store::campaigns::triggers::{self, TriggerRow};
use ondo_store::campaigns::{self as store};
use ondo_store::{Actor, Db, StoreError, WorkspaceId, segments};

use super::follow::{PROBLEM_SEGMENT_GONE, SEGMENT_BATCH, problem_of};
use super::{EnrollError, enroll_in, intake};

/// Whether the workspace has this segment.
pub async fn exists(db: &Db, ws: WorkspaceId, id: i64) -> Result<bool, StoreError> {
    Ok(segments::get(db, ws, id).await?.is_some())
}

/// The workspace's segments, (id, name), for choosing one.
pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(segments::list(db, ws)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// Records why the trigger could not enrol, unless it says so already.
async fn record_problem(
    db: &Db,
    ws: WorkspaceId,
    t: &TriggerRow,
    problem: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    if t.problem.as_deref() == problem {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    triggers::record_result(&mut tx, ws, t.id, 0, problem, now.0).await?;
    tx.commit().await
}

/// One batch of a segment trigger's pass; returns the leads enrolled.
pub async fn follow_trigger(
    db: &Db,
    ws: WorkspaceId,
    t: &TriggerRow,
    now: Micros,
) -> Result<usize, StoreError> {
    let Some(segment_id) = t.segment_id else {
        return Ok(0);
    };
    let Some(segment) = segments::get(db, ws, segment_id).await? else {
        record_problem(db, ws, t, Some(PROBLEM_SEGMENT_GONE), now).await?;
        return Ok(0);
    };
    let intake = match intake(db, ws, t.campaign_id).await {
        Ok(i) => i,
        Err(EnrollError::Store(e)) => return Err(e),
        Err(e) => {
            record_problem(db, ws, t, problem_of(&e), now).await?;
            return Ok(0);
        }
    };
    let ids = segments::lead_ids(db, ws, &segment, t.segment_cursor, SEGMENT_BATCH).await?;
    if ids.is_empty() && t.segment_cursor == 0 {
        // An empty segment: nothing to walk.
        return record_problem(db, ws, t, None, now).await.map(|_| 0);
    }
    let pass_done = (ids.len() as i64) < SEGMENT_BATCH;
    let before = triggers::ever_enrolled(db, ws, t.campaign_id, &ids).await?;
    let fresh: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !before.contains(id))
        .collect();
    let facts = store::lead_facts(db, ws, &fresh).await?;
    let mut tx = db.begin_write().await?;
    let outcome = enroll_in(
        &mut tx,
        ws,
        &intake,
        &facts,
        &fresh,
        Some(store::SOURCE_SEGMENT),
        &Actor::system("campaign_trigger"),
        now,
    )
    .await?;
    let last = ids.last().copied().unwrap_or(t.segment_cursor);
    if !triggers::move_segment_cursor(&mut tx, ws, t.id, t.segment_cursor, last, pass_done, now.0)
        .await?
    {
        // Another follower walked this batch meanwhile.
        tx.rollback().await?;
        return Ok(0);
    }
    if !outcome.enrolled.is_empty() || t.problem.is_some() {
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
    tx.commit().await?;
    Ok(outcome.enrolled.len())
}
