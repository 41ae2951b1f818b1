//! The learned "AI" score: a calibrated probability that a lead becomes an opportunity,
//! with the factors behind it in plain words (ja and en), and the evaluation of such a
//! model on a spreadsheet of past leads (the backtest).
//!
//! Pure computation: no SQL, no HTTP, no files. Callers hand in a [`Dataset`] (one row of
//! numbers per lead, `NaN` for missing) whose [`Feature`]s say what each column means.
//!
//! * [`dataset`]: the matrix and the meaning of its columns;
//! * models: regularised logistic regression, gradient-boosted trees, calibration,
//!   selection by cross-validation, per-feature contributions and reasons;
//! * [`metrics`]: AUC, gain and calibration curves, stratified splits.

pub mod calibration;
pub mod dataset;
pub mod encode;
pub mod evaluate;
pub mod gbt;
pub mod lead_features;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod model_bench;
mod model_util;
pub mod reasons;
pub mod table;

pub use dataset::{Dataset, Feature, FeatureKind, Words};
pub use evaluate::{EvaluateOptions, Evaluation, evaluate};
pub use metrics::{
    CalibrationBin, GainPoint, auc, calibration_curve, gain_curve, stratified_folds,
    stratified_split,
};
pub use model::{CandidateScore, Model, ModelKind, TrainOptions, Training, train};
pub use reasons::{Reason, Reasons};
pub use table::Table;

/// Everything that can go wrong while learning or evaluating.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// Too few labelled rows, or only one class present.
    #[error(
        "not enough outcomes to learn from: {rows} labelled rows with {positives} positives (at least {min_rows} rows with {min_positives} positives are needed)"
    )]
    NotEnoughOutcomes {
        rows: usize,
        positives: usize,
        min_rows: usize,
        min_positives: usize,
    },
    /// The input table cannot be used (names the column or row).
    #[error("{0}")]
    Input(String),
    /// A stored model could not be read back.
    #[error("the stored model could not be read: {0}")]
    Decode(String),
}
