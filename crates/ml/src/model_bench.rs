//! The training benchmark's data and run (`ondo-bench ai-train`): realistic synthetic
//! leads (event counts, durations, recency, one-hot categories, missing values) whose
//! outcome follows a known nonlinear logit, and the time [`train`] takes on them.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::MlError;
use crate::dataset::{Dataset, Feature, FeatureKind, Words};
use crate::metrics::auc;
use crate::model::{CandidateScore, ModelKind, TrainOptions, train};
use crate::model_util::sigmoid;

/// Categorical inputs: (group, Japanese, English, levels).
const CATEGORIES: [(&str, &str, &str, usize); 4] = [
    ("source", "流入元", "Source", 8),
    ("industry", "業種", "Industry", 10),
    ("size", "従業員規模", "Company size", 5),
    ("region", "地域", "Region", 4),
];

/// Numeric inputs that are not event counts.
const OTHERS: [(&str, &str, &str); 4] = [
    ("time_on_site", "滞在時間 (秒)", "Time on site (s)"),
    ("pages_per_visit", "訪問あたりページ数", "Pages per visit"),
    (
        "days_since_last",
        "最終行動からの日数",
        "Days since last activity",
    ),
    ("engagement", "エンゲージメントスコア", "Engagement score"),
];

/// Leads with `width` features (at least 40) and an outcome with about 15 % positives.
pub fn synthetic_leads(rows: usize, width: usize, seed: u64) -> Dataset {
    let indicators: usize = CATEGORIES.iter().map(|c| c.3).sum::<usize>() + 1;
    let counts = width.saturating_sub(indicators + OTHERS.len()).max(4);
    let mut features = Vec::new();
    for k in 0..counts {
        features.push(Feature {
            key: format!("events.{k}"),
            group: format!("events.{k}"),
            words: Words::new(format!("行動{k}の回数"), format!("Events of type {k}")),
            kind: FeatureKind::Numeric,
        });
    }
    for (key, ja, en) in OTHERS {
        features.push(Feature {
            key: key.into(),
            group: key.into(),
            words: Words::new(ja, en),
            kind: FeatureKind::Numeric,
        });
    }
    for (group, ja, en, levels) in CATEGORIES {
        for l in 0..levels {
            features.push(Feature {
                key: format!("{group}={l}"),
                group: group.into(),
                words: Words::new(format!("{ja}: {l}"), format!("{en}: {l}")),
                kind: FeatureKind::Indicator,
            });
        }
    }
    features.push(Feature {
        key: "free_mail".into(),
        group: "free_mail".into(),
        words: Words::new("フリーメールアドレス", "Free email address"),
        kind: FeatureKind::Indicator,
    });

    // Fixed "truth": per count a rate and an effect; per level an effect.
    let mut truth = ChaCha8Rng::seed_from_u64(0x5eed);
    let rates: Vec<f64> = (0..counts).map(|_| truth.gen_range(0.1..6.0)).collect();
    let effects: Vec<f64> = (0..counts)
        .map(|k| {
            if k % 3 == 0 {
                truth.gen_range(-0.1..0.5)
            } else {
                0.0
            }
        })
        .collect();
    let level_effects: Vec<Vec<f64>> = CATEGORIES
        .iter()
        .map(|c| (0..c.3).map(|_| truth.gen_range(-0.8..0.8)).collect())
        .collect();

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut data = Dataset::new(features);
    data.values.reserve(rows * data.width());
    let mut logits = Vec::with_capacity(rows);
    let mut row = Vec::with_capacity(data.width());
    for _ in 0..rows {
        row.clear();
        // A lead's latent interest drives all its behaviour.
        let interest: f64 = -(rng.r#gen::<f64>().max(1e-12)).ln();
        let mut logit = 0.0;
        for k in 0..counts {
            let c = poisson(&mut rng, rates[k] * interest);
            logit += effects[k] * c.ln_1p();
            row.push(if rng.gen_bool(0.05) { f64::NAN } else { c });
        }
        let time = (rng.r#gen::<f64>() * 2.0 + 4.0 + interest).exp().round();
        let pages = (1.0 + interest * rng.gen_range(0.5..3.0)).min(20.0);
        let recency = (-(rng.r#gen::<f64>().max(1e-12)).ln() * 30.0 / (0.3 + interest)).round();
        let engagement = (interest * 10.0 + rng.gen_range(0.0..5.0)).round();
        // Time saturates; recent activity matters only for engaged leads (interactions).
        logit += 1.2 * (time / 600.0).tanh() - 0.02 * recency.min(90.0)
            + if engagement > 15.0 && recency < 7.0 {
                1.0
            } else {
                0.0
            };
        row.push(if rng.gen_bool(0.15) { f64::NAN } else { time });
        row.push(pages);
        row.push(if rng.gen_bool(0.1) { f64::NAN } else { recency });
        row.push(engagement);
        for (c, (_, _, _, levels)) in CATEGORIES.iter().enumerate() {
            let level = (rng.r#gen::<f64>().powi(2) * *levels as f64) as usize;
            logit += level_effects[c][level];
            if c == 0 && level == 1 && interest > 1.5 {
                logit += 1.0;
            }
            row.extend((0..*levels).map(|l| f64::from(u8::from(l == level))));
        }
        let free = rng.gen_bool(0.25);
        logit -= if free { 0.7 } else { 0.0 };
        row.push(f64::from(u8::from(free)));
        data.values.extend_from_slice(&row);
        logits.push(logit);
    }
    // Shift the logit so that about 15 % convert.
    let (mut lo, mut hi) = (-30.0, 30.0);
    for _ in 0..60 {
        let mid: f64 = (lo + hi) / 2.0;
        let rate = logits.iter().map(|l| sigmoid(l + mid)).sum::<f64>() / rows.max(1) as f64;
        if rate < 0.15 { lo = mid } else { hi = mid }
    }
    data.labels = logits
        .iter()
        .map(|l| rng.gen_bool(sigmoid(l + lo)))
        .collect();
    data
}

/// A Poisson draw (Knuth's method for small means, a rounded normal for large ones).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    if mean > 30.0 {
        let u1: f64 = rng.r#gen::<f64>().max(1e-12);
        let u2: f64 = rng.r#gen();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        return (mean + z * mean.sqrt()).round().max(0.0);
    }
    let limit = (-mean).exp();
    let mut k = 0.0;
    let mut p = rng.r#gen::<f64>();
    while p > limit {
        k += 1.0;
        p *= rng.r#gen::<f64>();
    }
    k
}

/// What `ondo-bench ai-train` prints.
#[derive(Serialize, Debug, Clone)]
pub struct TrainBench {
    pub rows: usize,
    pub features: usize,
    pub positives: usize,
    /// Wall time of [`train`] (selection, calibration and refit).
    pub seconds: f64,
    pub model: &'static str,
    pub cv_auc: f64,
    /// AUC on fresh leads from the same generator (a fifth as many).
    pub holdout_auc: f64,
    pub candidates: Vec<CandidateScore>,
}

/// Time training on `rows` synthetic leads with about `width` features.
pub fn run(rows: usize, width: usize, seed: u64) -> Result<TrainBench, MlError> {
    run_with(rows, width, seed, &TrainOptions::default().candidates)
}

/// [`run`] comparing only `candidates`.
pub fn run_with(
    rows: usize,
    width: usize,
    seed: u64,
    candidates: &[ModelKind],
) -> Result<TrainBench, MlError> {
    let data = synthetic_leads(rows, width, seed);
    let test = synthetic_leads((rows / 5).max(1000), width, seed.wrapping_add(1));
    let started = Instant::now();
    let training = train(
        &data,
        &TrainOptions {
            seed,
            candidates: candidates.to_vec(),
            ..TrainOptions::default()
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let holdout_auc = auc(&training.model.predict_dataset(&test), &test.labels);
    Ok(TrainBench {
        rows,
        features: data.width(),
        positives: data.positives(),
        seconds,
        model: training.model.kind.key(),
        cv_auc: training.model.cv_auc,
        holdout_auc,
        candidates: training.candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_leads_look_like_leads() {
        let data = synthetic_leads(5000, 60, 1);
        assert_eq!(data.width(), 60);
        assert_eq!(data.rows(), 5000);
        let rate = data.positives() as f64 / 5000.0;
        assert!((0.12..0.18).contains(&rate), "{rate}");
        assert!(data.values.iter().any(|x| x.is_nan()));
    }

    /// `cargo test --release -p ondo-ml -- --ignored ai_train --nocapture`
    #[test]
    #[ignore = "a benchmark: run in release"]
    fn ai_train_benchmark() {
        let rows = std::env::var("AI_TRAIN_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        let kinds: Vec<ModelKind> = match std::env::var("AI_TRAIN_KIND").as_deref() {
            Ok(key) => ModelKind::from_key(key).into_iter().collect(),
            Err(_) => TrainOptions::default().candidates,
        };
        let report = run_with(rows, 60, 42, &kinds).unwrap();
        println!("{}", serde_json::to_string(&report).unwrap());
    }
}
