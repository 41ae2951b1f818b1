//! Training a workspace's model: the outcomes and the histories behind them, a model
//! measured on a stratified 20 % holdout, the model to keep learnt on every outcome, the
//! version stored with its metrics and, when it is not worse than the active one,
//! activated and used to score every lead: right away ([`Scoring::Inline`], the command
//! line) or by a queued scoring job ([`Scoring::Queued`], the worker), so that a training
//! ends when its model is stored and the leads are rescored like after a rollback.

use std::collections::BTreeMap;
use std::time::Instant;

use ondo_domain::Micros;
use ondo_ml::Words;
use ondo_ml::lead_features::{FeatureSpace, LeadHistory, outcome};
use ondo_ml::metrics::{
    CalibrationBin, GainPoint, auc, calibration_curve, gain_curve, stratified_split,
};
use ondo_ml::model::{CandidateScore, TrainOptions, train};
use ondo_store::ai::{ModelVersion, NewModel};
use ondo_store::{Actor, Db, WorkspaceId};
use serde::{Deserialize, Serialize};

use super::AiError;

/// The seed of the holdout split and of the model's folds: the same outcomes give the
/// same model.
pub const SEED: u64 = 20_260_101;
/// The share of outcomes held out to measure a model.
pub const HOLDOUT: f64 = 0.2;
/// Leads read per batch.
const BATCH: usize = 5_000;
/// Points of the gain chart (0 %, 10 %, … 100 % of leads).
const GAIN_POINTS: usize = 11;
/// Bins of the calibration plot.
const CALIBRATION_BINS: usize = 10;

/// What a training is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading the decided leads' histories (done/total: leads).
    Loading,
    /// Learning (no count).
    Training,
    /// Scoring every lead with the new model (done/total: leads).
    Scoring,
}

impl Phase {
    /// The key stored with a run.
    pub fn key(&self) -> &'static str {
        match self {
            Phase::Loading => "loading",
            Phase::Training => "training",
            Phase::Scoring => "scoring",
        }
    }
}

/// How an activated model's scores reach the leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    /// Every lead is scored before the training returns (`ondo model train`).
    Inline,
    /// A scoring job is queued with the activation, in the same transaction.
    Queued,
}

/// How far a training has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrainProgress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

/// What a model showed on the holdout, stored with its version (`ai_models.metrics`):
/// what the evaluation page draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// Every candidate kind and its cross-validated AUC on the training share.
    pub candidates: Vec<CandidateScore>,
    /// The chosen kind's key.
    pub kind: String,
    /// AUC on the holdout of the model learnt without it.
    pub holdout_auc: f64,
    pub holdout_rows: usize,
    pub holdout_positives: usize,
    pub train_rows: usize,
    pub train_positives: usize,
    /// "The top X % of leads by score hold Y % of the opportunities", on the holdout.
    pub gain: Vec<GainPoint>,
    /// Predicted against observed rates on the holdout.
    pub calibration: Vec<CalibrationBin>,
    /// Columns the model reads.
    pub features: usize,
    /// Seconds spent reading histories and learning.
    pub load_seconds: f64,
    pub train_seconds: f64,
}

/// The metrics stored with a version.
pub fn model_metrics(version: &ModelVersion) -> Option<ModelMetrics> {
    serde_json::from_str(&version.metrics).ok()
}

/// A model learnt and stored.
#[derive(Debug, Clone, Serialize)]
pub struct Trained {
    pub model: ModelVersion,
    pub metrics: ModelMetrics,
    /// Whether it became the active model.
    pub activated: bool,
    /// The version active before, if there was one.
    pub previous: Option<ModelVersion>,
    /// Leads scored with it before the training returned (0 when it was not activated
    /// or its scoring was queued).
    pub scored: u64,
    /// The queued job scoring every lead with it ([`Scoring::Queued`], when activated).
    pub scoring_job: Option<i64>,
    /// Seconds from the start to the model stored: reading, learning, measuring, saving.
    pub train_seconds: f64,
    /// Seconds spent scoring every lead ([`Scoring::Inline`], when activated).
    pub scoring_seconds: f64,
}

impl Trained {
    /// "n leads scored" or "every lead is being scored", in ja and en.
    fn scoring_words(&self) -> (String, String) {
        if self.scoring_job.is_some() {
            (
                "全リードの採点をバックグラウンドで行っています".to_string(),
                "every lead is being scored in the background.".to_string(),
            )
        } else {
            (
                format!("{}件のリードを採点しました", self.scored),
                format!("{} leads scored.", self.scored),
            )
        }
    }
}

/// What a training came to.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TrainOutcome {
    Trained(Box<Trained>),
    /// Too few decided leads: no model; the rule scores alone rank leads.
    NotEnoughOutcomes {
        rows: usize,
        positives: usize,
        min_rows: usize,
        min_positives: usize,
    },
    /// The AI score is turned off for the workspace.
    Disabled,
}

fn auc_text(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |a| format!("{a:.3}"))
}

impl TrainOutcome {
    /// What happened, in Japanese and English.
    pub fn message(&self) -> Words {
        match self {
            TrainOutcome::NotEnoughOutcomes {
                rows,
                positives,
                min_rows,
                min_positives,
            } => Words::new(
                format!(
                    "学習に必要な結果が足りません: 判定済み {rows}件 (うち案件化 {positives}件)。\
                     {min_rows}件 ({min_positives}件) 以上必要です。それまではルールによるスコアだけを使います"
                ),
                format!(
                    "Not enough outcomes to learn from: {rows} decided leads ({positives} became \
                     opportunities). At least {min_rows} ({min_positives}) are needed; until then \
                     only the rule scores are used."
                ),
            ),
            TrainOutcome::Disabled => Words::new(
                "このワークスペースではAIスコアが無効です",
                "The AI score is turned off for this workspace.",
            ),
            TrainOutcome::Trained(t) => {
                let v = t.model.version;
                let a = auc_text(t.model.holdout_auc);
                let rows = t.model.rows_used;
                let positives = t.model.positives;
                let (scored_ja, scored_en) = t.scoring_words();
                match (&t.previous, t.activated) {
                    (None, _) => Words::new(
                        format!(
                            "モデル v{v} を判定済み {rows}件 (うち案件化 {positives}件) から学習し、有効にしました \
                             (ホールドアウトAUC {a})。{scored_ja}"
                        ),
                        format!(
                            "Model v{v} learnt from {rows} decided leads ({positives} opportunities) and made \
                             active (holdout AUC {a}); {scored_en}"
                        ),
                    ),
                    (Some(p), true) => {
                        let pa = auc_text(p.holdout_auc);
                        Words::new(
                            format!(
                                "モデル v{v} を学習し、有効にしました: ホールドアウトAUC {a} は有効だった v{} ({pa}) \
                                 以上です。{scored_ja}",
                                p.version
                            ),
                            format!(
                                "Model v{v} learnt and made active: its holdout AUC {a} is at least that of \
                                 v{} ({pa}), active until now; {scored_en}",
                                p.version
                            ),
                        )
                    }
                    (Some(p), false) => {
                        let pa = auc_text(p.holdout_auc);
                        Words::new(
                            format!(
                                "モデル v{v} を学習しましたが、ホールドアウトAUC {a} が有効な v{} ({pa}) を下回るため、\
                                 v{} のままにしました",
                                p.version, p.version
                            ),
                            format!(
                                "Model v{v} learnt but v{} stays active: v{v}'s holdout AUC {a} is below its {pa}.",
                                p.version
                            ),
                        )
                    }
                }
            }
        }
    }
}

/// The decided leads: (lead, positive, when the outcome happened), in lead order.
async fn outcomes(db: &Db, ws: WorkspaceId) -> Result<Vec<(i64, bool, Micros)>, AiError> {
    let mut by_lead: BTreeMap<i64, Vec<(String, Micros)>> = BTreeMap::new();
    for (lead, to, at) in ondo_store::ai::outcome_changes(db, ws).await? {
        by_lead.entry(lead).or_default().push((to, Micros(at)));
    }
    Ok(by_lead
        .into_iter()
        .filter_map(|(lead, changes)| {
            outcome(changes.iter().map(|(to, at)| (to.as_str(), *at)))
                .map(|(label, at)| (lead, label, at))
        })
        .collect())
}

/// The decided leads' histories, each cut at its outcome, with its outcome. When most
/// leads are decided, the workspace is walked in id ranges (one ordered read per table
/// and batch); otherwise the decided ones are read by id.
async fn load_labelled(
    db: &Db,
    ws: WorkspaceId,
    decided: &[(i64, bool, Micros)],
    progress: &mut (dyn FnMut(TrainProgress) + Send),
) -> Result<Vec<(LeadHistory, Micros, Option<bool>)>, AiError> {
    let total = decided.len() as u64;
    let mut labelled = Vec::with_capacity(decided.len());
    // What came after the outcome is never read; dropping it keeps memory low.
    let mut keep = |h: ondo_store::ai::StoredHistory, label: bool, at: Micros| {
        let mut h = super::history::lead_history(h);
        h.events.retain(|e| e.at < at);
        h.touchpoints.retain(|t| t.at < at);
        labelled.push((h, at, Some(label)));
    };
    let leads = ondo_store::ai::count_leads(db, ws).await?;
    if (decided.len() as i64).saturating_mul(2) >= leads {
        let mut wanted = decided.iter().peekable();
        let mut after = 0;
        let mut done = 0u64;
        loop {
            let batch = ondo_store::ai::histories_after(db, ws, after, BATCH as i64).await?;
            let Some(last) = batch.last().map(|h| h.profile.id) else {
                break;
            };
            for h in batch {
                // A lead merged away meanwhile has no history left: it is left out.
                while wanted.next_if(|d| d.0 < h.profile.id).is_some() {}
                if let Some(&(_, label, at)) = wanted.next_if(|d| d.0 == h.profile.id) {
                    keep(h, label, at);
                    done += 1;
                }
            }
            progress(TrainProgress {
                phase: Phase::Loading,
                done,
                total,
            });
            after = last;
        }
    } else {
        let mut done = 0u64;
        for chunk in decided.chunks(BATCH) {
            let ids: Vec<i64> = chunk.iter().map(|d| d.0).collect();
            let mut stored = ondo_store::ai::histories_of(db, ws, &ids)
                .await?
                .into_iter()
                .peekable();
            for &(lead, label, at) in chunk {
                while stored.next_if(|h| h.profile.id < lead).is_some() {}
                if let Some(h) = stored.next_if(|h| h.profile.id == lead) {
                    keep(h, label, at);
                    done += 1;
                }
            }
            progress(TrainProgress {
                phase: Phase::Loading,
                done,
                total,
            });
        }
    }
    Ok(labelled)
}

/// How many leads are decided, and how many of them positively: what the cold-start
/// minimum is checked against.
pub async fn outcome_counts(db: &Db, ws: WorkspaceId) -> Result<(usize, usize), AiError> {
    let decided = outcomes(db, ws).await?;
    Ok((decided.len(), decided.iter().filter(|d| d.1).count()))
}

/// Trains the workspace's model now (see the module). Below the cold-start minimum of the
/// workspace's settings nothing is stored. `actor` is who asked (the CLI, a user, the
/// schedule); `scoring` says how an activated model scores the leads.
pub async fn train_workspace(
    db: &Db,
    ws: WorkspaceId,
    actor: &Actor,
    scoring: Scoring,
    progress: &mut (dyn FnMut(TrainProgress) + Send),
) -> Result<TrainOutcome, AiError> {
    let settings = ondo_store::ai::settings(db, ws).await?;
    if !settings.enabled {
        return Ok(TrainOutcome::Disabled);
    }
    let started = Instant::now();
    let decided = outcomes(db, ws).await?;
    let rows = decided.len();
    let positives = decided.iter().filter(|d| d.1).count();
    let (min_rows, min_positives) = (
        usize::try_from(settings.min_rows).unwrap_or(0),
        usize::try_from(settings.min_positives).unwrap_or(0),
    );
    if rows < min_rows || positives < min_positives.max(2) || rows - positives < 2 {
        return Ok(TrainOutcome::NotEnoughOutcomes {
            rows,
            positives,
            min_rows,
            min_positives,
        });
    }

    // The decided leads' histories, in batches, each with its outcome and time.
    let total = rows as u64;
    progress(TrainProgress {
        phase: Phase::Loading,
        done: 0,
        total,
    });
    let labelled = load_labelled(db, ws, &decided, progress).await?;
    let load_seconds = started.elapsed().as_secs_f64();
    progress(TrainProgress {
        phase: Phase::Training,
        done: 0,
        total: 1,
    });
    let (_, rules) = crate::scoring::workspace_rules(db, ws).await?;
    let opts = TrainOptions {
        seed: SEED,
        min_rows,
        min_positives,
        ..TrainOptions::default()
    };
    let learnt = tokio::task::spawn_blocking(move || learn(labelled, &rules, opts))
        .await
        .map_err(|e| {
            AiError::Store(ondo_store::StoreError::Corrupt(format!(
                "training stopped: {e}"
            )))
        })??;
    let Learnt {
        model,
        space,
        mut metrics,
    } = learnt;
    metrics.load_seconds = load_seconds;

    let previous = ondo_store::ai::active_model(db, ws).await?;
    let activate = previous.as_ref().is_none_or(|p| {
        p.holdout_auc
            .is_none_or(|a| metrics.holdout_auc.is_nan() || metrics.holdout_auc >= a)
    });
    let metrics_json = serde_json::to_string(&metrics).expect("metrics are plain numbers");
    let space_json = serde_json::to_string(&space).expect("a feature space serialises");
    let model_json = model.to_json();
    let new_model = NewModel {
        kind: model.kind.key(),
        rows_used: rows as i64,
        positives: positives as i64,
        cv_auc: Some(model.cv_auc).filter(|a| a.is_finite()),
        holdout_auc: Some(metrics.holdout_auc).filter(|a| a.is_finite()),
        metrics: &metrics_json,
        model: &model_json,
        space: &space_json,
        note: "",
    };
    let mut tx = db.begin_write().await?;
    let id =
        ondo_store::ai::save_model_in(&mut tx, ws, &new_model, activate, actor, Micros::now().0)
            .await?;
    let scoring_job = if activate && scoring == Scoring::Queued {
        Some(super::schedule::queue_scoring(&mut tx, ws).await?)
    } else {
        None
    };
    tx.commit().await?;
    let version = ondo_store::ai::model_version(db, ws, id)
        .await?
        .ok_or(AiError::NotFound)?;
    let train_seconds = started.elapsed().as_secs_f64();
    let scoring_started = Instant::now();
    let scored = if activate && scoring == Scoring::Inline {
        let mut report = |done: u64, total: u64| {
            progress(TrainProgress {
                phase: Phase::Scoring,
                done,
                total,
            })
        };
        super::score::score_all(db, ws, &mut report).await?
    } else {
        0
    };
    let scoring_seconds = if scored > 0 {
        scoring_started.elapsed().as_secs_f64()
    } else {
        0.0
    };
    tracing::info!(
        workspace = ws.0,
        version = version.version,
        rows,
        positives,
        holdout_auc = metrics.holdout_auc,
        activated = activate,
        train_seconds,
        scoring_seconds,
        "AI model trained"
    );
    Ok(TrainOutcome::Trained(Box::new(Trained {
        model: version,
        metrics,
        activated: activate,
        previous,
        scored,
        scoring_job,
        train_seconds,
        scoring_seconds,
    })))
}

/// A model learnt, with the columns it reads and what the holdout showed.
struct Learnt {
    model: ondo_ml::model::Model,
    space: FeatureSpace,
    metrics: ModelMetrics,
}

/// The CPU part of a training: columns, a model measured on the holdout, and the model
/// learnt on every row.
fn learn(
    labelled: Vec<(LeadHistory, Micros, Option<bool>)>,
    rules: &ondo_domain::scoring::ScoringRules,
    opts: TrainOptions,
) -> Result<Learnt, AiError> {
    let started = Instant::now();
    let pairs: Vec<(&LeadHistory, Micros)> = labelled.iter().map(|(h, at, _)| (h, *at)).collect();
    let space = FeatureSpace::fit(&pairs, rules);
    drop(pairs);
    let data = space.dataset(&labelled);
    // The histories are rows now; their memory goes back before the models take theirs.
    drop(labelled);

    // Measured on a holdout the measuring model never saw; the cold-start minimum was
    // checked on every outcome, so the smaller share is not held to it again.
    let (train_idx, test_idx) = stratified_split(&data.labels, HOLDOUT, opts.seed);
    let train_set = data.subset(&train_idx);
    let test_set = data.subset(&test_idx);
    let measuring = train(
        &train_set,
        &TrainOptions {
            min_rows: 0,
            min_positives: 0,
            ..opts.clone()
        },
    )?;
    let predicted = measuring.model.predict_dataset(&test_set);
    let holdout_auc = auc(&predicted, &test_set.labels);
    let gain = gain_curve(&predicted, &test_set.labels, GAIN_POINTS);
    let calibration = calibration_curve(&predicted, &test_set.labels, CALIBRATION_BINS);

    let kept = train(&data, &opts)?;
    let metrics = ModelMetrics {
        candidates: kept.candidates,
        kind: kept.model.kind.key().to_string(),
        holdout_auc,
        holdout_rows: test_set.rows(),
        holdout_positives: test_set.positives(),
        train_rows: train_set.rows(),
        train_positives: train_set.positives(),
        gain,
        calibration,
        features: data.width(),
        load_seconds: 0.0,
        train_seconds: started.elapsed().as_secs_f64(),
    };
    Ok(Learnt {
        model: kept.model,
        space,
        metrics,
    })
}
