//! The AI score's model: candidates (logistic regression, gradient-boosted trees) compared
//! by cross-validated AUC, the winner calibrated on its out-of-fold margins and refitted
//! on every row; predictions, per-feature contributions and reasons.

use serde::{Deserialize, Serialize};

use crate::MlError;
use crate::calibration::Platt;
use crate::dataset::{Dataset, Feature, Words};
use crate::gbt::{self, Binned, GbtModel, GbtParams};
use crate::logistic::{self, Design, LogisticModel};
use crate::metrics::{stratified_folds, stratified_split};
use crate::reasons::{Reasons, explain};

/// From this many rows on, candidates are compared on one stratified holdout instead of
/// k folds (to keep training on 100k leads within seconds).
pub const HOLDOUT_FROM_ROWS: usize = 20_000;
/// Folds of the cross-validation below [`HOLDOUT_FROM_ROWS`].
pub const FOLDS: usize = 5;
/// The share held out from [`HOLDOUT_FROM_ROWS`] rows on.
pub const HOLDOUT: f64 = 0.2;
/// Version of the stored form of a [`Model`].
const FORMAT: u32 = 1;

/// A kind of model.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    Logistic,
    GradientBoosting,
}

impl ModelKind {
    /// Stable identifier ("logistic_regression", "gradient_boosting").
    pub fn key(&self) -> &'static str {
        match self {
            ModelKind::Logistic => "logistic_regression",
            ModelKind::GradientBoosting => "gradient_boosting",
        }
    }

    /// The kind's name for people.
    pub fn words(&self) -> Words {
        match self {
            ModelKind::Logistic => Words::new("ロジスティック回帰", "Logistic regression"),
            ModelKind::GradientBoosting => {
                Words::new("勾配ブースティング木", "Gradient-boosted trees")
            }
        }
    }

    /// The kind with this [`ModelKind::key`].
    pub fn from_key(key: &str) -> Option<ModelKind> {
        [ModelKind::Logistic, ModelKind::GradientBoosting]
            .into_iter()
            .find(|k| k.key() == key)
    }
}

/// How to train.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// Seed of the folds (the only randomness): same seed and data, same model.
    pub seed: u64,
    /// The kinds compared; the first wins ties.
    pub candidates: Vec<ModelKind>,
    /// Fewest labelled rows to learn from (the cold-start minimum).
    pub min_rows: usize,
    /// Fewest positive rows to learn from.
    pub min_positives: usize,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            seed: 42,
            candidates: vec![ModelKind::GradientBoosting, ModelKind::Logistic],
            min_rows: 200,
            min_positives: 40,
        }
    }
}

/// A candidate's cross-validated AUC.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CandidateScore {
    pub kind: ModelKind,
    pub cv_auc: f64,
}

/// The outcome of [`train`]: the chosen model and how every candidate did.
#[derive(Clone, Debug)]
pub struct Training {
    pub model: Model,
    pub candidates: Vec<CandidateScore>,
}

/// The fitted parameters of either kind.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Fitted {
    Logistic(LogisticModel),
    Trees(GbtModel),
}

/// A trained AI-score model.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Model {
    pub kind: ModelKind,
    /// The columns a row must have, in order.
    pub features: Vec<Feature>,
    /// The winner's cross-validated AUC (mean over folds, or on the holdout).
    pub cv_auc: f64,
    format: u32,
    fitted: Fitted,
    calibrator: Platt,
}

impl Model {
    /// The calibrated probability for `row` (one value per feature, `NaN` when missing),
    /// strictly inside (0, 1).
    pub fn predict(&self, row: &[f64]) -> f64 {
        self.calibrator.probability(self.margin(row))
    }

    /// [`Model::predict`] for every row of `data` (whose columns must be the model's).
    pub fn predict_dataset(&self, data: &Dataset) -> Vec<f64> {
        (0..data.rows())
            .map(|i| self.predict(data.row(i)))
            .collect()
    }

    /// The uncalibrated log-odds: [`Model::bias`] plus the sum of the contributions.
    pub fn margin(&self, row: &[f64]) -> f64 {
        match &self.fitted {
            Fitted::Logistic(m) => m.margin(row),
            Fitted::Trees(m) => m.margin(row),
        }
    }

    /// The part of every margin no feature explains.
    pub fn bias(&self) -> f64 {
        match &self.fitted {
            Fitted::Logistic(m) => m.bias(),
            Fitted::Trees(m) => m.bias(),
        }
    }

    /// Each feature's share of the margin (same order as [`Model::features`]), in log-odds.
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        let width = self.features.len();
        match &self.fitted {
            Fitted::Logistic(m) => m.contributions(row, width),
            Fitted::Trees(m) => m.contributions(row, width),
        }
    }

    /// The `n` strongest factors raising and the `n` strongest lowering the score of
    /// `row`, by feature group, in words.
    pub fn reasons(&self, row: &[f64], n: usize) -> Reasons {
        explain(&self.features, row, &self.contributions(row), n)
    }

    /// The model as JSON, to store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model has no non-string keys or NaN")
    }

    /// A model stored with [`Model::to_json`].
    pub fn from_json(s: &str) -> Result<Model, MlError> {
        let model: Model = serde_json::from_str(s).map_err(|e| MlError::Decode(e.to_string()))?;
        if model.format != FORMAT {
            return Err(MlError::Decode(format!(
                "format {} is not the supported format {FORMAT}",
                model.format
            )));
        }
        let width = model.features.len();
        let consistent = model.calibrator.is_valid()
            && match &model.fitted {
                Fitted::Logistic(m) => model.kind == ModelKind::Logistic && m.is_valid(width),
                Fitted::Trees(m) => model.kind == ModelKind::GradientBoosting && m.is_valid(width),
            };
        if !consistent {
            return Err(MlError::Decode("inconsistent parameters".into()));
        }
        Ok(model)
    }
}

/// The (train, test) pairs candidates are compared on.
fn splits(labels: &[bool], seed: u64) -> Vec<(Vec<usize>, Vec<usize>)> {
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if labels.len() >= HOLDOUT_FROM_ROWS {
        return vec![stratified_split(labels, HOLDOUT, seed)];
    }
    let k = FOLDS.min(positives).min(negatives).max(2);
    let folds = stratified_folds(labels, k, seed);
    folds
        .iter()
        .enumerate()
        .map(|(f, test)| {
            let train = folds
                .iter()
                .enumerate()
                .filter(|(g, _)| *g != f)
                .flat_map(|(_, fold)| fold.iter().copied())
                .collect::<Vec<_>>();
            let mut train = train;
            train.sort_unstable();
            (train, test.clone())
        })
        .collect()
}

/// What a candidate's cross-validation leaves for the refit and the calibration.
enum Evaluated {
    Logistic(Design, logistic::LogisticCv),
    Trees(Binned, gbt::GbtCv),
}

impl Evaluated {
    fn auc(&self) -> f64 {
        match self {
            Evaluated::Logistic(_, cv) => cv.auc,
            Evaluated::Trees(_, cv) => cv.auc,
        }
    }

    fn oof(&self) -> &[f64] {
        match self {
            Evaluated::Logistic(_, cv) => &cv.oof,
            Evaluated::Trees(_, cv) => &cv.oof,
        }
    }
}

fn evaluate(kind: ModelKind, data: &Dataset, splits: &[(Vec<usize>, Vec<usize>)]) -> Evaluated {
    match kind {
        ModelKind::Logistic => {
            let design = Design::new(data);
            let cv = logistic::cross_validate(&design, &data.labels, splits);
            Evaluated::Logistic(design, cv)
        }
        ModelKind::GradientBoosting => {
            let binned = Binned::new(data);
            let cv = gbt::cross_validate(&binned, &data.labels, splits, &GbtParams::default());
            Evaluated::Trees(binned, cv)
        }
    }
}

/// Learn the AI score from the labelled rows of `data`: check there are enough outcomes,
/// compare the candidate kinds by cross-validated AUC, calibrate the winner on its
/// out-of-fold margins and refit it on every row.
pub fn train(data: &Dataset, opts: &TrainOptions) -> Result<Training, MlError> {
    let rows = data.rows();
    if data.width() == 0 {
        return Err(MlError::Input("the data has no feature columns".into()));
    }
    if data.labels.len() != rows {
        return Err(MlError::Input(format!(
            "{} outcomes for {rows} rows: every row needs its outcome",
            data.labels.len()
        )));
    }
    let positives = data.positives();
    let negatives = rows - positives;
    if rows < opts.min_rows || positives < opts.min_positives.max(2) || negatives < 2 {
        return Err(MlError::NotEnoughOutcomes {
            rows,
            positives,
            min_rows: opts.min_rows,
            min_positives: opts.min_positives,
        });
    }
    let mut kinds: Vec<ModelKind> = Vec::new();
    for &k in &opts.candidates {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    if kinds.is_empty() {
        return Err(MlError::Input("no model kind to try".into()));
    }
    let splits = splits(&data.labels, opts.seed);
    // The candidates run side by side: one on a worker, the rest here.
    let evaluated: Vec<Evaluated> = std::thread::scope(|s| {
        let first = kinds[0];
        let splits = &splits;
        let handle = (kinds.len() > 1).then(|| s.spawn(move || evaluate(first, data, splits)));
        let rest: Vec<Evaluated> = kinds[usize::from(handle.is_some())..]
            .iter()
            .map(|&k| evaluate(k, data, splits))
            .collect();
        match handle {
            Some(h) => {
                let mut all = vec![h.join().expect("a worker does not panic")];
                all.extend(rest);
                all
            }
            None => rest,
        }
    });
    let candidates: Vec<CandidateScore> = kinds
        .iter()
        .zip(&evaluated)
        .map(|(&kind, e)| CandidateScore {
            kind,
            cv_auc: e.auc(),
        })
        .collect();
    let best = (0..evaluated.len()).fold(0, |best, k| {
        if evaluated[k].auc() > evaluated[best].auc() {
            k
        } else {
            best
        }
    });
    let winner = &evaluated[best];
    let (margins, labels): (Vec<f64>, Vec<bool>) = winner
        .oof()
        .iter()
        .zip(&data.labels)
        .filter(|(m, _)| m.is_finite())
        .map(|(&m, &l)| (m, l))
        .unzip();
    let calibrator = Platt::fit(&margins, &labels);
    let fitted = match winner {
        Evaluated::Logistic(design, cv) => {
            Fitted::Logistic(logistic::fit(design, &data.labels, cv))
        }
        Evaluated::Trees(binned, cv) => {
            let train_rows =
                splits.iter().map(|s| s.0.len()).sum::<usize>() as f64 / splits.len() as f64;
            let growth = (rows as f64 / train_rows).sqrt();
            let rounds = (cv.rounds as f64 * growth).round() as usize;
            Fitted::Trees(gbt::fit(
                binned,
                &data.labels,
                rounds,
                &GbtParams::default(),
            ))
        }
    };
    let model = Model {
        kind: kinds[best],
        features: data.features.clone(),
        cv_auc: winner.auc(),
        format: FORMAT,
        fitted,
        calibrator,
    };
    Ok(Training { model, candidates })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::FeatureKind;
    use crate::metrics::{auc, calibration_curve};
    use crate::model_util::sigmoid;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn feature(key: &str, group: &str, words: &str, kind: FeatureKind) -> Feature {
        Feature {
            key: key.into(),
            group: group.into(),
            words: Words::new(words, words),
            kind,
        }
    }

    /// Leads with visits (count, sometimes unknown), a source (one-hot: web, event, other)
    /// and a free-mail flag; conversion rises with visits and events, falls with free
    /// mail, and web leads with many visits convert even more (an interaction).
    fn leads(n: usize, seed: u64) -> Dataset {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut data = Dataset::new(vec![
            feature("visits", "visits", "訪問回数", FeatureKind::Numeric),
            feature(
                "source=web",
                "source",
                "流入元: Web",
                FeatureKind::Indicator,
            ),
            feature(
                "source=event",
                "source",
                "流入元: 展示会",
                FeatureKind::Indicator,
            ),
            feature(
                "free_mail",
                "free_mail",
                "フリーメール",
                FeatureKind::Indicator,
            ),
        ]);
        for _ in 0..n {
            let visits = f64::from(rng.gen_range(0u32..12));
            let source = rng.gen_range(0..3);
            let free = rng.gen_bool(0.3);
            let web = source == 0;
            let event = source == 1;
            let logit = -2.5 + 0.25 * visits + if event { 1.0 } else { 0.0 }
                - if free { 1.2 } else { 0.0 }
                + if web && visits > 6.0 { 1.5 } else { 0.0 };
            let y = rng.gen_bool(sigmoid(logit));
            let shown = if rng.gen_bool(0.1) { f64::NAN } else { visits };
            data.push(
                &[
                    shown,
                    f64::from(u8::from(web)),
                    f64::from(u8::from(event)),
                    f64::from(u8::from(free)),
                ],
                Some(y),
            );
        }
        data
    }

    fn only(kind: ModelKind) -> TrainOptions {
        TrainOptions {
            candidates: vec![kind],
            ..TrainOptions::default()
        }
    }

    #[test]
    fn too_few_outcomes_are_refused_with_the_counts() {
        let data = leads(150, 1);
        let err = train(&data, &TrainOptions::default()).unwrap_err();
        match err {
            MlError::NotEnoughOutcomes { rows, min_rows, .. } => {
                assert_eq!((rows, min_rows), (150, 200));
            }
            other => panic!("{other}"),
        }
        let mut few_positives = leads(1000, 1);
        for (k, l) in few_positives.labels.iter_mut().enumerate() {
            *l = k % 50 == 0;
        }
        assert!(matches!(
            train(&few_positives, &TrainOptions::default()),
            Err(MlError::NotEnoughOutcomes { positives: 20, .. })
        ));
    }

    #[test]
    fn the_candidate_with_the_best_cross_validated_auc_wins() {
        let data = leads(3000, 2);
        let training = train(&data, &TrainOptions::default()).unwrap();
        assert_eq!(training.candidates.len(), 2);
        let best = training
            .candidates
            .iter()
            .max_by(|a, b| a.cv_auc.total_cmp(&b.cv_auc))
            .unwrap();
        assert_eq!(training.model.kind, best.kind);
        assert_eq!(training.model.cv_auc, best.cv_auc);
        assert!(best.cv_auc > 0.7, "{:?}", training.candidates);
        let test = leads(3000, 3);
        let holdout = auc(&training.model.predict_dataset(&test), &test.labels);
        assert!(holdout > 0.7, "{holdout}");
    }

    #[test]
    fn calibrated_probabilities_match_observed_rates_on_held_out_data() {
        for kind in [ModelKind::Logistic, ModelKind::GradientBoosting] {
            let model = train(&leads(6000, 4), &only(kind)).unwrap().model;
            let test = leads(20_000, 5);
            let probs = model.predict_dataset(&test);
            assert!(probs.iter().all(|&p| p > 0.0 && p < 1.0));
            let mean = probs.iter().sum::<f64>() / probs.len() as f64;
            let rate = test.positives() as f64 / test.rows() as f64;
            assert!((mean - rate).abs() < 0.02, "{kind:?}: {mean} vs {rate}");
            // The trees can fit the data's interaction, the straight line cannot: only
            // the former can be calibrated bin by bin.
            if kind == ModelKind::Logistic {
                continue;
            }
            for bin in calibration_curve(&probs, &test.labels, 10) {
                if bin.count >= 500 {
                    assert!(
                        (bin.mean_predicted - bin.observed_rate).abs() < 0.06,
                        "{kind:?}: {bin:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn contributions_and_bias_add_up_to_the_margin() {
        let data = leads(2000, 6);
        for kind in [ModelKind::Logistic, ModelKind::GradientBoosting] {
            let model = train(&data, &only(kind)).unwrap().model;
            assert_eq!(model.kind, kind);
            for i in 0..50 {
                let row = data.row(i);
                let contributions = model.contributions(row);
                assert_eq!(contributions.len(), 4);
                let sum = model.bias() + contributions.iter().sum::<f64>();
                assert!((sum - model.margin(row)).abs() < 1e-9, "{kind:?}");
            }
        }
    }

    #[test]
    fn reasons_name_the_strongest_group_first() {
        let data = leads(4000, 7);
        for kind in [ModelKind::Logistic, ModelKind::GradientBoosting] {
            let model = train(&data, &only(kind)).unwrap().model;
            // A trade-show lead with a free-mail address and an average number of visits.
            let reasons = model.reasons(&[5.0, 0.0, 1.0, 1.0], 3);
            assert_eq!(reasons.positive[0].group, "source", "{kind:?}: {reasons:?}");
            assert_eq!(reasons.positive[0].words.ja, "流入元: 展示会");
            assert_eq!(
                reasons.negative[0].group, "free_mail",
                "{kind:?}: {reasons:?}"
            );
            // Many visits are a reason to call; an unknown count is said so.
            let busy = model.reasons(&[11.0, 0.0, 0.0, 0.0], 3);
            assert_eq!(
                busy.positive[0].words.ja, "訪問回数: 11",
                "{kind:?}: {busy:?}"
            );
        }
    }

    #[test]
    fn a_stored_model_predicts_the_same() {
        let data = leads(1500, 8);
        for kind in [ModelKind::Logistic, ModelKind::GradientBoosting] {
            let model = train(&data, &only(kind)).unwrap().model;
            let back = Model::from_json(&model.to_json()).unwrap();
            for i in 0..data.rows() {
                assert_eq!(model.predict(data.row(i)), back.predict(data.row(i)));
            }
            assert_eq!(back.to_json(), model.to_json());
        }
    }

    #[test]
    fn broken_stored_models_are_refused() {
        assert!(matches!(Model::from_json("{}"), Err(MlError::Decode(_))));
        let model = train(&leads(1500, 9), &only(ModelKind::GradientBoosting))
            .unwrap()
            .model;
        let json = model.to_json().replace("\"left\":1,", "\"left\":100000,");
        assert!(matches!(Model::from_json(&json), Err(MlError::Decode(_))));
    }

    #[test]
    fn the_same_seed_gives_the_same_model() {
        let data = leads(2500, 10);
        let a = train(&data, &TrainOptions::default()).unwrap();
        let b = train(&data, &TrainOptions::default()).unwrap();
        assert_eq!(a.model.to_json(), b.model.to_json());
        assert_eq!(a.candidates, b.candidates);
        let other = train(
            &data,
            &TrainOptions {
                seed: 43,
                ..TrainOptions::default()
            },
        )
        .unwrap();
        assert_ne!(
            a.candidates, other.candidates,
            "other folds give other scores"
        );
    }

    #[test]
    fn model_kinds_have_stable_keys() {
        for kind in [ModelKind::Logistic, ModelKind::GradientBoosting] {
            assert_eq!(ModelKind::from_key(kind.key()), Some(kind));
        }
        assert_eq!(ModelKind::GradientBoosting.key(), "gradient_boosting");
        assert_eq!(ModelKind::Logistic.words().en, "Logistic regression");
    }
}
