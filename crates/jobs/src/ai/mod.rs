//! The AI score of a workspace: a model learnt from the workspace's own outcomes (leads
//! that became opportunities or were won, against leads lost or gone dormant), kept in
//! versions with their metrics, one active; every lead's probability and reasons as of
//! now; and the probability as a factor of the queue's priority.
//!
//! * [`train`]: [`train_workspace`] reads the outcomes and the histories behind them,
//!   measures a model on a holdout, learns the one to keep on every outcome, stores the
//!   version and (when it is not worse than the active one) activates it and scores
//!   every lead;
//! * [`score`]: scoring every lead in batches ([`score_all`]), one lead's probability
//!   when its events arrive ([`score::refresh_in_tx`], inside the rescoring's
//!   transaction), and a lead's score with its reasons for pages ([`lead_ai`]);
//! * [`schedule`]: training as a durable job (on demand and every N days), activation
//!   (rollback) and the settings.
//!
//! Features come from `ondo_ml::lead_features`, computed as of the moment the outcome
//! happened, so a model never learns from what followed it.

pub mod history;
pub mod schedule;
pub mod score;
pub mod train;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ondo_ml::MlError;
use ondo_ml::lead_features::FeatureSpace;
use ondo_ml::model::Model;
use ondo_store::{Db, StoreError, Tx, WorkspaceId};

pub use ondo_ml::Words;
pub use ondo_ml::reasons::{Reason, Reasons};
pub use ondo_store::ai::{AiSettings, ModelVersion, TrainingRun};
pub use schedule::{
    SCORE_JOB, SettingsInput, TRAIN_JOB, activate_version, latest_run, queue_due_retrains,
    request_training, run_score_job, run_train_job, save_settings, train_now,
};
pub use score::{LeadAi, lead_ai, leads_ai, score_all};
pub use train::{
    ModelMetrics, Phase, TrainOutcome, TrainProgress, Trained, model_metrics, train_workspace,
};

/// Why an AI-score operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// A setting out of range, or a training asked for while the AI score is off
    /// (names the field).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The workspace has no such model version.
    #[error("no such model version")]
    NotFound,
    #[error("model: {0}")]
    Model(#[from] MlError),
    #[error("storage: {0}")]
    Store(StoreError),
}

impl From<StoreError> for AiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AiError::NotFound,
            other => AiError::Store(other),
        }
    }
}

/// A stored model ready to score leads: the model and the columns it reads.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    /// The version's id in `ai_models`.
    pub id: i64,
    pub model: Model,
    pub space: FeatureSpace,
}

impl LoadedModel {
    /// Reads a stored model and its feature space.
    pub fn decode(id: i64, model: &str, space: &str) -> Result<LoadedModel, MlError> {
        let model = Model::from_json(model)?;
        let space: FeatureSpace = serde_json::from_str(space)
            .map_err(|e| MlError::Decode(format!("feature space: {e}")))?;
        if model.features != space.features() {
            return Err(MlError::Decode(
                "the model's columns are not those of its feature space".into(),
            ));
        }
        Ok(LoadedModel { id, model, space })
    }
}

/// Parsed active models, by workspace, with the (id, created_at) they were read for:
/// scoring a lead on every event group must not parse the model each time.
type Cache = Mutex<HashMap<i64, ((i64, i64), Arc<LoadedModel>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The workspace's active model, parsed once per version; `None` without one (or with
/// the AI score turned off).
pub async fn active_model(
    tx: &mut Tx,
    ws: WorkspaceId,
) -> Result<Option<Arc<LoadedModel>>, AiError> {
    let Some(key) = ondo_store::ai::active_model_key(tx, ws).await? else {
        return Ok(None);
    };
    if let Some((k, m)) = cache().lock().expect("cache lock").get(&ws.0)
        && *k == key
    {
        return Ok(Some(m.clone()));
    }
    let (model, space) = ondo_store::ai::model_parts(tx, ws, key.0).await?;
    let loaded = Arc::new(LoadedModel::decode(key.0, &model, &space)?);
    cache()
        .lock()
        .expect("cache lock")
        .insert(ws.0, (key, loaded.clone()));
    Ok(Some(loaded))
}

/// Every model version of the workspace with its metrics, newest first.
pub async fn list_versions(db: &Db, ws: WorkspaceId) -> Result<Vec<ModelVersion>, AiError> {
    Ok(ondo_store::ai::list_models(db, ws).await?)
}

/// The workspace's active model version, if it has one.
pub async fn active_version(db: &Db, ws: WorkspaceId) -> Result<Option<ModelVersion>, AiError> {
    Ok(ondo_store::ai::active_model(db, ws).await?)
}

/// The workspace's AI settings (the defaults until saved).
pub async fn settings(db: &Db, ws: WorkspaceId) -> Result<AiSettings, AiError> {
    Ok(ondo_store::ai::settings(db, ws).await?)
}

/// A probability as people read it: a whole percentage from 1 to 99 ("AI 72%").
pub fn percent(p: f64) -> u8 {
    (p * 100.0).round().clamp(1.0, 99.0) as u8
}
