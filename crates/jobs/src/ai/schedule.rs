//! Training and scoring as durable jobs: a training asked for from the web (or due by the
//! workspace's schedule) is a run row and a job written in one transaction, so it
//! survives a restart; activating a version (a rollback) and turning the AI score on or
//! off queue the scoring of every lead the same way. The settings live here too.

use ondo_domain::Micros;
use ondo_store::ai::{AiSettings, ModelVersion, RUN_DONE, RUN_FAILED, RunEnd, TrainingRun};
use ondo_store::jobs::Job;
use ondo_store::{Actor, Db, StoreError, WorkspaceId};

use super::train::{Scoring, TrainOutcome, TrainProgress, train_workspace};
use super::{AiError, score};

/// The kind of the training job in the jobs table (payload `{"run_id": N}`).
pub const TRAIN_JOB: &str = "ai_train";
/// The kind of the job scoring every lead with the active model (payload `{}`).
pub const SCORE_JOB: &str = "ai_score";
/// Attempts before a training or scoring job is given up (each starts over).
const ATTEMPTS: i32 = 3;

/// Asks for a training of the workspace: a queued run and the job that runs it, written
/// together. While another run is queued or running, that one is returned instead (a
/// second request adds nothing). `via` is `manual`, `schedule` or `cli`.
pub async fn request_training(
    db: &Db,
    ws: WorkspaceId,
    actor: &Actor,
    via: &str,
) -> Result<TrainingRun, AiError> {
    if !ondo_store::ai::settings(db, ws).await?.enabled {
        return Err(AiError::Invalid {
            field: "enabled",
            message: "the AI score is turned off for this workspace".into(),
        });
    }
    if let Some(run) = latest_run(db, ws).await?
        && run.is_active()
    {
        return Ok(run);
    }
    let now = Micros::now().0;
    let mut tx = db.begin_write().await?;
    let run_id = ondo_store::ai::create_run(&mut tx, ws, via, actor.user_id, now).await?;
    let payload = serde_json::json!({ "run_id": run_id });
    let job_id = ondo_store::jobs::enqueue(&mut tx, ws, TRAIN_JOB, &payload, now, ATTEMPTS).await?;
    ondo_store::ai::set_run_job(&mut tx, ws, run_id, job_id).await?;
    tx.commit().await?;
    ondo_store::ai::run(db, ws, run_id)
        .await?
        .ok_or(AiError::NotFound)
}

/// The workspace's most recent training run, with its progress. A run whose job failed
/// for good (its last attempt was interrupted, say) is recorded as failed first, so a run
/// never looks queued or running forever.
pub async fn latest_run(db: &Db, ws: WorkspaceId) -> Result<Option<TrainingRun>, AiError> {
    let Some(run) = ondo_store::ai::latest_run(db, ws).await? else {
        return Ok(None);
    };
    let Some(job_id) = run.job_id.filter(|_| run.is_active()) else {
        return Ok(Some(run));
    };
    let job = ondo_store::jobs::get(db, ws, job_id).await?;
    let error = match &job {
        Some(job) if job.state == ondo_store::jobs::FAILED => job
            .last_error
            .clone()
            .unwrap_or_else(|| "the job failed".into()),
        Some(_) => return Ok(Some(run)),
        None => "its job is gone".into(),
    };
    let (ja, en) = (
        format!("学習に失敗しました: {error}"),
        format!("Training failed: {error}"),
    );
    let end = RunEnd {
        state: RUN_FAILED,
        model_id: None,
        message_ja: &ja,
        message_en: &en,
    };
    ondo_store::ai::finish_run(db, ws, run.id, end, Micros::now().0).await?;
    Ok(ondo_store::ai::run(db, ws, run.id).await?)
}

/// Trains the workspace now, in this process, recording a run (`via`: `cli`…): what
/// `ondo model train` does. Evaluates to the finished run and what the training came to.
pub async fn train_now(
    db: &Db,
    ws: WorkspaceId,
    actor: &Actor,
    via: &str,
) -> Result<(TrainingRun, TrainOutcome), AiError> {
    let mut tx = db.begin_write().await?;
    let run_id =
        ondo_store::ai::create_run(&mut tx, ws, via, actor.user_id, Micros::now().0).await?;
    tx.commit().await?;
    let outcome = execute_run(db, ws, run_id, actor, Scoring::Inline).await?;
    let run = ondo_store::ai::run(db, ws, run_id)
        .await?
        .ok_or(AiError::NotFound)?;
    Ok((run, outcome))
}

/// Runs a recorded run: marks it running, trains with its progress written at most twice
/// a second, and ends it done (with its message) or failed (with the error).
async fn execute_run(
    db: &Db,
    ws: WorkspaceId,
    run_id: i64,
    actor: &Actor,
    scoring: Scoring,
) -> Result<TrainOutcome, AiError> {
    ondo_store::ai::start_run(db, ws, run_id, Micros::now().0).await?;
    let (sender, mut receiver) = tokio::sync::watch::channel(None::<TrainProgress>);
    let progress_db = db.clone();
    let writer = tokio::spawn(async move {
        while receiver.changed().await.is_ok() {
            let latest = *receiver.borrow_and_update();
            if let Some(p) = latest {
                let write = ondo_store::ai::run_progress(
                    &progress_db,
                    ws,
                    run_id,
                    p.phase.key(),
                    p.done as i64,
                    p.total as i64,
                );
                if let Err(e) = write.await {
                    tracing::warn!(error = %e, "training progress not written");
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    });
    let mut report = |p: TrainProgress| {
        let _ = sender.send(Some(p));
    };
    let result = train_workspace(db, ws, actor, scoring, &mut report).await;
    drop(sender);
    let _ = writer.await;
    let now = Micros::now().0;
    match &result {
        Ok(outcome) => {
            let words = outcome.message();
            let model_id = match outcome {
                TrainOutcome::Trained(t) => Some(t.model.id),
                _ => None,
            };
            let end = RunEnd {
                state: RUN_DONE,
                model_id,
                message_ja: &words.ja,
                message_en: &words.en,
            };
            ondo_store::ai::finish_run(db, ws, run_id, end, now).await?;
        }
        Err(e) => {
            let (ja, en) = (
                format!("学習に失敗しました: {e}"),
                format!("Training failed: {e}"),
            );
            let end = RunEnd {
                state: RUN_FAILED,
                model_id: None,
                message_ja: &ja,
                message_en: &en,
            };
            ondo_store::ai::finish_run(db, ws, run_id, end, now).await?;
        }
    }
    result
}

/// The worker's handler of [`TRAIN_JOB`]: runs the job's run; evaluates to its message
/// (in English) or the error.
pub async fn run_train_job(db: &Db, job: &Job) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Payload {
        run_id: i64,
    }
    let payload: Payload = serde_json::from_str(&job.payload)
        .map_err(|e| format!("the job's payload names no training run: {e}"))?;
    let ws = job.workspace_id;
    let run = ondo_store::ai::run(db, ws, payload.run_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("training run {} does not exist", payload.run_id))?;
    if run.state == RUN_DONE {
        // Finished before the worker could record it (a stop at the wrong moment).
        return Ok(run.message_en.unwrap_or_default());
    }
    let actor = match run.requested_by {
        Some(user) => Actor::user(user, &run.requested_via),
        None => Actor::system(&run.requested_via),
    };
    let outcome = execute_run(db, ws, run.id, &actor, Scoring::Queued)
        .await
        .map_err(|e| e.to_string())?;
    Ok(outcome.message().en)
}

/// Queues the scoring of every lead with the workspace's active model (or the removal of
/// every AI score when there is none or the AI score is off); evaluates to the job's id.
pub(super) async fn queue_scoring(
    tx: &mut ondo_store::Tx,
    ws: WorkspaceId,
) -> Result<i64, StoreError> {
    ondo_store::jobs::enqueue(
        tx,
        ws,
        SCORE_JOB,
        &serde_json::json!({}),
        Micros::now().0,
        ATTEMPTS,
    )
    .await
}

/// The worker's handler of [`SCORE_JOB`]: scores every lead, progress written as it goes.
pub async fn run_score_job(db: &Db, job: &Job) -> Result<String, String> {
    let ws = job.workspace_id;
    let mut last = std::time::Instant::now();
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
                tracing::warn!(error = %e, "scoring progress not written");
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    });
    let mut report = |done: u64, total: u64| {
        if done == total || last.elapsed().as_millis() >= 100 {
            last = std::time::Instant::now();
            let _ = sender.send((done, total));
        }
    };
    let result = score::score_all(db, ws, &mut report).await;
    drop(sender);
    let _ = writer.await;
    let scored = result.map_err(|e| e.to_string())?;
    ondo_store::jobs::set_progress(db, ws, job.id, scored as i64, scored as i64)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!("{scored} leads scored with the active AI model"))
}

/// Makes a version the active one (a rollback when it is older) and queues the scoring of
/// every lead with it, in one transaction; evaluates to the version and the job's id.
pub async fn activate_version(
    db: &Db,
    ws: WorkspaceId,
    model_id: i64,
    actor: &Actor,
) -> Result<(ModelVersion, i64), AiError> {
    let mut tx = db.begin_write().await?;
    ondo_store::ai::activate(&mut tx, ws, model_id, actor, Micros::now().0).await?;
    let job_id = queue_scoring(&mut tx, ws).await?;
    tx.commit().await?;
    let version = ondo_store::ai::model_version(db, ws, model_id)
        .await?
        .ok_or(AiError::NotFound)?;
    Ok((version, job_id))
}

/// The settings a workspace can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingsInput {
    pub enabled: bool,
    pub min_rows: i64,
    pub min_positives: i64,
    pub retrain_days: i64,
}

/// Lowest cold-start minimums: below them a model learns noise.
pub const MIN_ROWS_FLOOR: i64 = 50;
pub const MIN_POSITIVES_FLOOR: i64 = 10;

/// Checks and saves the settings (audited). Turning the AI score on or off queues the
/// scoring of every lead (off: every AI score is removed and the queue ranks by rules).
pub async fn save_settings(
    db: &Db,
    ws: WorkspaceId,
    input: SettingsInput,
    actor: &Actor,
) -> Result<AiSettings, AiError> {
    if !(MIN_ROWS_FLOOR..=10_000_000).contains(&input.min_rows) {
        return Err(AiError::Invalid {
            field: "min_rows",
            message: format!("must be between {MIN_ROWS_FLOOR} and 10000000"),
        });
    }
    if !(MIN_POSITIVES_FLOOR..=input.min_rows).contains(&input.min_positives) {
        return Err(AiError::Invalid {
            field: "min_positives",
            message: format!("must be between {MIN_POSITIVES_FLOOR} and min_rows"),
        });
    }
    if !(0..=365).contains(&input.retrain_days) {
        return Err(AiError::Invalid {
            field: "retrain_days",
            message: "must be between 0 (on demand only) and 365".into(),
        });
    }
    let before = ondo_store::ai::settings(db, ws).await?;
    let saved = ondo_store::ai::save_settings(
        db,
        ws,
        &AiSettings {
            enabled: input.enabled,
            min_rows: input.min_rows,
            min_positives: input.min_positives,
            retrain_days: input.retrain_days,
            updated_by: None,
            updated_at: None,
        },
        actor,
        Micros::now().0,
    )
    .await?;
    if before.enabled != saved.enabled {
        let mut tx = db.begin_write().await?;
        queue_scoring(&mut tx, ws).await?;
        tx.commit().await?;
    }
    Ok(saved)
}

/// The periodic check: queues a training for every workspace whose schedule is due (its
/// last run is `retrain_days` old) and that has enough outcomes to learn from. A
/// workspace that never asked for a training is left alone (its first one is asked for on
/// the AI page or with `ondo model train`), and so is one below the minimum (it is not
/// told so every period). Evaluates to the trainings queued.
pub async fn queue_due_retrains(db: &Db, now: Micros) -> Result<u64, AiError> {
    let mut queued = 0;
    for (ws, days) in ondo_store::ai::scheduled_workspaces(db).await? {
        let due_since = now.saturating_add(-Micros::days(days)).0;
        let Some(run) = latest_run(db, ws).await? else {
            continue;
        };
        if run.is_active() || run.created_at > due_since {
            continue;
        }
        let settings = ondo_store::ai::settings(db, ws).await?;
        let (rows, positives) = super::train::outcome_counts(db, ws).await?;
        if (rows as i64) < settings.min_rows || (positives as i64) < settings.min_positives {
            continue;
        }
        request_training(db, ws, &Actor::system("schedule"), "schedule").await?;
        tracing::info!(workspace = ws.0, "scheduled AI training queued");
        queued += 1;
    }
    Ok(queued)
}
