//! Turning a model's margins into honest probabilities: Platt scaling, a one-feature
//! logistic regression of the outcome on the margin, fitted on out-of-fold margins.
//!
//! Platt scaling is monotone, so it never changes how leads rank (an isotonic fit would
//! create ties and lose ranking information on new data).

use serde::{Deserialize, Serialize};

use crate::model_util::sigmoid;

/// Probabilities are kept this far from 0 and 1.
const EDGE: f64 = 1e-6;

/// `p = sigmoid(slope · margin + offset)`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Platt {
    pub slope: f64,
    pub offset: f64,
}

impl Default for Platt {
    fn default() -> Platt {
        Platt {
            slope: 1.0,
            offset: 0.0,
        }
    }
}

impl Platt {
    /// Fit on margins and outcomes, with Platt's smoothed targets (a positive counts as
    /// `(P+1)/(P+2)`, a negative as `1/(N+2)`) so that a perfectly separated sample still
    /// gives finite parameters. The slope is kept positive: ranking is the model's job.
    pub fn fit(margins: &[f64], labels: &[bool]) -> Platt {
        let positives = labels.iter().filter(|&&l| l).count() as f64;
        let negatives = labels.len() as f64 - positives;
        let hi = (positives + 1.0) / (positives + 2.0);
        let lo = 1.0 / (negatives + 2.0);
        let targets: Vec<f64> = labels.iter().map(|&l| if l { hi } else { lo }).collect();
        let (mut a, mut b) = (1.0, 0.0);
        let objective = |a: f64, b: f64| -> f64 {
            margins
                .iter()
                .zip(&targets)
                .map(|(&m, &t)| {
                    let z = a * m + b;
                    crate::model_util::softplus(z) - t * z
                })
                .sum()
        };
        let mut current = objective(a, b);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
            for (&m, &t) in margins.iter().zip(&targets) {
                let p = sigmoid(a * m + b);
                let r = p - t;
                let w = (p * (1.0 - p)).max(1e-12);
                ga += r * m;
                gb += r;
                haa += w * m * m;
                hab += w * m;
                hbb += w;
            }
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-18 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            let mut t = 1.0;
            let mut moved = false;
            for _ in 0..40 {
                let value = objective(a - t * da, b - t * db);
                if value <= current {
                    a -= t * da;
                    b -= t * db;
                    moved = current - value > 1e-12 * current.abs().max(1.0);
                    current = value;
                    break;
                }
                t *= 0.5;
            }
            if !moved || (t * da).abs().max((t * db).abs()) < 1e-10 {
                break;
            }
        }
        if !(a.is_finite() && b.is_finite()) {
            return Platt::default();
        }
        Platt {
            slope: a.max(1e-3),
            offset: b,
        }
    }

    /// The probability for a margin, strictly inside (0, 1).
    pub fn probability(&self, margin: f64) -> f64 {
        sigmoid(self.slope * margin + self.offset).clamp(EDGE, 1.0 - EDGE)
    }

    pub(crate) fn is_valid(&self) -> bool {
        self.slope.is_finite() && self.slope > 0.0 && self.offset.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn corrects_overconfident_margins() {
        // True probability sigmoid(m / 2 - 1); the model says m.
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let margins: Vec<f64> = (0..20_000).map(|_| rng.gen_range(-6.0..6.0)).collect();
        let labels: Vec<bool> = margins
            .iter()
            .map(|&m| rng.gen_bool(sigmoid(m / 2.0 - 1.0)))
            .collect();
        let platt = Platt::fit(&margins, &labels);
        assert!((platt.slope - 0.5).abs() < 0.05, "{platt:?}");
        assert!((platt.offset + 1.0).abs() < 0.1, "{platt:?}");
    }

    #[test]
    fn separated_samples_give_finite_increasing_probabilities() {
        let margins = [-2.0, -1.0, 1.0, 2.0];
        let labels = [false, false, true, true];
        let platt = Platt::fit(&margins, &labels);
        assert!(platt.is_valid());
        let p: Vec<f64> = margins.iter().map(|&m| platt.probability(m)).collect();
        assert!(p.windows(2).all(|w| w[0] < w[1]));
        assert!(p.iter().all(|&x| x > 0.0 && x < 1.0));
    }
}
