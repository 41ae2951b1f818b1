//! Changing the scoring rules: a new version is saved and a rescoring job is queued in
//! the same transaction, so a saved change is always followed by rescoring every lead,
//! even across a restart. The job reports its progress for the settings page.

use ondo_domain::Micros;
use ondo_domain::scoring::ScoringRules;
use ondo_store::jobs::Job;
use ondo_store::{Actor, Db, StoreError, Tx, WorkspaceId};

/// The kind of the rescoring job in the jobs table.
pub const RESCORE_JOB: &str = "rescore";
/// The kind of the job rescoring some leads (those an import created or changed).
pub const RESCORE_LEADS_JOB: &str = "rescore_leads";
/// Leads rescored per transaction by [`run_rescore_leads_job`].
const LEADS_PER_TX: usize = 500;

/// Attempts before a rescoring job is given up (each run starts over; rescoring is
/// idempotent).
const RESCORE_ATTEMPTS: i32 = 5;

/// A saved version and the job rescoring the workspace with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub version: i64,
    pub job_id: i64,
}

/// Saves `rules` (validated) as the workspace's next version and queues the rescoring.
pub async fn save_rules(
    db: &Db,
    ws: WorkspaceId,
    rules: &ScoringRules,
    actor: &Actor,
    note: &str,
) -> Result<Saved, StoreError> {
    let now = Micros::now().0;
    let mut tx = db.begin_write().await?;
    let version =
        ondo_store::scoring_rules::save(&mut tx, ws, &rules.to_toml(), actor, note, now).await?;
    let payload = serde_json::json!({ "version": version });
    let job_id =
        ondo_store::jobs::enqueue(&mut tx, ws, RESCORE_JOB, &payload, now, RESCORE_ATTEMPTS)
            .await?;
    tx.commit().await?;
    Ok(Saved { version, job_id })
}

/// Runs a rescoring job: every lead with the workspace's current rules (a newer save
/// queued its own job, which finds nothing left to change), the handoff rules applied,
/// progress written as it goes; evaluates to a summary in words.
pub async fn run_rescore_job(db: &Db, job: &Job) -> Result<String, String> {
    let ws = job.workspace_id;
    // The rescoring reports progress synchronously; a task writes the latest figure at
    // most twice a second so the page's bar moves without slowing the work.
    let (sender, mut receiver) = tokio::sync::watch::channel((0u64, 0u64));
    let progress_db = db.clone();
    let job_id = job.id;
    let writer = tokio::spawn(async move {
        while receiver.changed().await.is_ok() {
            let (done, total) = *receiver.borrow_and_update();
            if let Err(e) =
                ondo_store::jobs::set_progress(&progress_db, ws, job_id, done as i64, total as i64)
                    .await
            {
                tracing::warn!(error = %e, "rescoring progress not written");
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    });
    let mut report = |p: super::rescore::Progress| {
        let _ = sender.send((p.done, p.total));
    };
    let result = super::rescore::rescore_all(db, ws, true, &mut report).await;
    // The writer ends once the sender is gone.
    drop(sender);
    let _ = writer.await;
    let summary = result.map_err(|e| e.to_string())?;
    ondo_store::jobs::set_progress(db, ws, job.id, summary.leads as i64, summary.leads as i64)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        workspace = ws.0,
        leads = summary.leads,
        moved = summary.moved,
        "rescoring after a rule change finished"
    );
    Ok(format!(
        "{} leads rescored, {} moved by the handoff rules",
        summary.leads, summary.moved
    ))
}

/// Queues, inside the caller's transaction, the rescoring of `leads` (duplicates and
/// order do not matter); nothing is queued for none.
pub async fn queue_rescore_leads(
    tx: &mut Tx,
    ws: WorkspaceId,
    mut leads: Vec<i64>,
) -> Result<(), StoreError> {
    leads.sort_unstable();
    leads.dedup();
    if leads.is_empty() {
        return Ok(());
    }
    let payload = serde_json::json!({ "lead_ids": leads });
    ondo_store::jobs::enqueue(
        tx,
        ws,
        RESCORE_LEADS_JOB,
        &payload,
        Micros::now().0,
        RESCORE_ATTEMPTS,
    )
    .await?;
    Ok(())
}

/// Runs a job of [`queue_rescore_leads`]: each lead's fit and engagement, with the
/// handoff rules applied, in short transactions.
pub async fn run_rescore_leads_job(db: &Db, job: &Job) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Payload {
        lead_ids: Vec<i64>,
    }
    let payload: Payload = serde_json::from_str(&job.payload)
        .map_err(|e| format!("the job's payload is not a list of leads: {e}"))?;
    let ws = job.workspace_id;
    let (_, rules) = super::workspace_rules(db, ws)
        .await
        .map_err(|e| e.to_string())?;
    let total = payload.lead_ids.len() as i64;
    let (mut done, mut moved) = (0i64, 0u64);
    for chunk in payload.lead_ids.chunks(LEADS_PER_TX) {
        let now = Micros::now();
        let result: Result<(), StoreError> = async {
            let mut tx = db.begin_write().await?;
            for &id in chunk {
                let r = super::lead::rescore_lead(&mut tx, ws, &rules, id, now).await?;
                if r.is_some_and(|r| r.moved.is_some()) {
                    moved += 1;
                }
            }
            tx.commit().await
        }
        .await;
        result.map_err(|e| e.to_string())?;
        done += chunk.len() as i64;
        ondo_store::jobs::set_progress(db, ws, job.id, done, total)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(format!(
        "{total} leads rescored, {moved} moved by the handoff rules"
    ))
}
