//! How well scores rank and how honest probabilities are: ROC AUC, gain and calibration
//! curves, and the stratified splits every evaluation uses.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The area under the ROC curve: the chance that a random positive scores above a random
/// negative (ties count half). 0.5 when one class is absent.
pub fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    assert_eq!(scores.len(), labels.len(), "one score per label");
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return 0.5;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        let tied_positives = order[i..j].iter().filter(|&&k| labels[k]).count();
        rank_sum += average_rank * tied_positives as f64;
        i = j;
    }
    let p = positives as f64;
    (rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64)
}

/// The indices of each class, shuffled deterministically for `seed`.
fn shuffled_classes(labels: &[bool], seed: u64) -> [Vec<usize>; 2] {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut classes = [Vec::new(), Vec::new()];
    for (i, &l) in labels.iter().enumerate() {
        classes[usize::from(l)].push(i);
    }
    for class in &mut classes {
        class.shuffle(&mut rng);
    }
    classes
}

/// Split row indices into (train, test), each class split in proportion (`holdout` is the
/// test share), deterministic for `seed`. Both lists are in increasing order. A class of
/// at least two rows always has a row on each side when `0 < holdout < 1`.
pub fn stratified_split(labels: &[bool], holdout: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let holdout = if holdout.is_finite() {
        holdout.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut train = Vec::with_capacity(labels.len());
    let mut test = Vec::new();
    for class in shuffled_classes(labels, seed) {
        let n = class.len();
        let mut take = (holdout * n as f64).round() as usize;
        if holdout > 0.0 && holdout < 1.0 && n >= 2 {
            take = take.clamp(1, n - 1);
        }
        test.extend_from_slice(&class[..take]);
        train.extend_from_slice(&class[take..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// `k` disjoint test folds covering every row, each class spread evenly over them,
/// deterministic for `seed`. Each fold is in increasing order.
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Vec<Vec<usize>> {
    let k = k.max(1);
    let mut folds = vec![Vec::new(); k];
    let mut next = 0;
    for class in shuffled_classes(labels, seed) {
        for i in class {
            folds[next % k].push(i);
            next += 1;
        }
    }
    for fold in &mut folds {
        fold.sort_unstable();
    }
    folds
}

/// One point of a gain chart: the top `share_of_leads` by score hold
/// `share_of_positives` of all positives.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GainPoint {
    pub share_of_leads: f64,
    pub share_of_positives: f64,
}

/// The cumulative gain chart at `points` evenly spaced shares of leads (at least 2,
/// including (0, 0) and (1, 1)); leads are taken by score, highest first. Without any
/// positive, every share of positives is 0.
pub fn gain_curve(scores: &[f64], labels: &[bool], points: usize) -> Vec<GainPoint> {
    assert_eq!(scores.len(), labels.len(), "one score per label");
    let points = points.max(2);
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut cumulative = Vec::with_capacity(n + 1);
    cumulative.push(0usize);
    for &i in &order {
        let last = *cumulative.last().expect("starts with 0");
        cumulative.push(last + usize::from(labels[i]));
    }
    let positives = cumulative[n];
    (0..points)
        .map(|p| {
            let share = p as f64 / (points - 1) as f64;
            let taken = (share * n as f64).round() as usize;
            let share_of_positives = if positives == 0 {
                0.0
            } else {
                cumulative[taken.min(n)] as f64 / positives as f64
            };
            GainPoint {
                share_of_leads: share,
                share_of_positives,
            }
        })
        .collect()
}

/// One bin of a calibration plot.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CalibrationBin {
    /// Mean predicted probability of the bin's rows.
    pub mean_predicted: f64,
    /// Share of the bin's rows that were positive.
    pub observed_rate: f64,
    pub count: usize,
}

/// Predicted against observed rates in `bins` equal-width probability bins over [0, 1];
/// empty bins are left out.
pub fn calibration_curve(probs: &[f64], labels: &[bool], bins: usize) -> Vec<CalibrationBin> {
    assert_eq!(probs.len(), labels.len(), "one probability per label");
    let bins = bins.max(1);
    let mut sums = vec![(0.0f64, 0usize, 0usize); bins];
    for (&p, &l) in probs.iter().zip(labels) {
        let p = if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let b = ((p * bins as f64) as usize).min(bins - 1);
        sums[b].0 += p;
        sums[b].1 += usize::from(l);
        sums[b].2 += 1;
    }
    sums.into_iter()
        .filter(|s| s.2 > 0)
        .map(|(sum, positives, count)| CalibrationBin {
            mean_predicted: sum / count as f64,
            observed_rate: positives as f64 / count as f64,
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn auc_of_hand_computed_cases() {
        assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true]), 1.0);
        assert_eq!(auc(&[0.4, 0.3, 0.2, 0.1], &[false, false, true, true]), 0.0);
        // Pairs (pos, neg): (0.35 vs 0.1) win, (0.35 vs 0.4) lose, (0.8 vs both) win → 3/4.
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            0.75
        );
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), 0.5);
        // pos 0.5 vs neg {0.5 tie, 0.2 win}; pos 0.9 vs both win → (0.5 + 1 + 2) / 4.
        assert_eq!(
            auc(&[0.5, 0.5, 0.2, 0.9], &[true, false, false, true]),
            0.875
        );
    }

    #[test]
    fn auc_is_a_half_when_one_class_is_absent() {
        assert_eq!(auc(&[0.1, 0.9], &[true, true]), 0.5);
        assert_eq!(auc(&[], &[]), 0.5);
    }

    #[test]
    fn stratified_split_keeps_class_proportions_and_is_deterministic() {
        let labels: Vec<bool> = (0..1000).map(|i| i % 10 < 2).collect();
        let (train, test) = stratified_split(&labels, 0.2, 7);
        assert_eq!(test.len(), 200);
        assert_eq!(train.len(), 800);
        assert_eq!(test.iter().filter(|&&i| labels[i]).count(), 40);
        assert_eq!(
            stratified_split(&labels, 0.2, 7),
            (train.clone(), test.clone())
        );
        assert_ne!(stratified_split(&labels, 0.2, 8).1, test);
        let mut all: Vec<usize> = train.into_iter().chain(test).collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn stratified_folds_cover_every_row_once_with_positives_in_each() {
        let labels: Vec<bool> = (0..103).map(|i| i % 7 == 0).collect();
        let folds = stratified_folds(&labels, 5, 1);
        assert_eq!(folds.len(), 5);
        let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
        for fold in &folds {
            let positives = fold.iter().filter(|&&i| labels[i]).count();
            assert!((2..=4).contains(&positives), "{positives}");
            assert!((20..=21).contains(&fold.len()));
        }
    }

    #[test]
    fn gain_curve_of_a_perfect_ranking() {
        let scores = [0.9, 0.8, 0.3, 0.2, 0.1];
        let labels = [true, true, false, false, false];
        let curve = gain_curve(&scores, &labels, 6);
        assert_eq!(curve.len(), 6);
        assert_eq!(curve[0].share_of_positives, 0.0);
        assert_eq!(curve[2].share_of_leads, 0.4);
        assert_eq!(curve[2].share_of_positives, 1.0);
        assert_eq!(curve[1].share_of_positives, 0.5);
        assert_eq!(curve[5].share_of_positives, 1.0);
    }

    #[test]
    fn calibration_curve_omits_empty_bins() {
        let probs = [0.05, 0.15, 0.12, 0.95];
        let labels = [false, true, false, true];
        let curve = calibration_curve(&probs, &labels, 10);
        assert_eq!(curve.len(), 3);
        assert_eq!(curve[1].count, 2);
        assert!((curve[1].mean_predicted - 0.135).abs() < 1e-12);
        assert_eq!(curve[1].observed_rate, 0.5);
    }

    /// AUC by comparing every pair, the definition.
    fn auc_by_pairs(scores: &[f64], labels: &[bool]) -> f64 {
        let mut wins = 0.0;
        let mut pairs = 0.0;
        for (i, &li) in labels.iter().enumerate() {
            for (j, &lj) in labels.iter().enumerate() {
                if li && !lj {
                    pairs += 1.0;
                    if scores[i] > scores[j] {
                        wins += 1.0;
                    } else if scores[i] == scores[j] {
                        wins += 0.5;
                    }
                }
            }
        }
        if pairs == 0.0 { 0.5 } else { wins / pairs }
    }

    proptest! {
        #[test]
        fn auc_equals_the_pairwise_definition(
            rows in proptest::collection::vec((0u8..6, any::<bool>()), 0..40)
        ) {
            let scores: Vec<f64> = rows.iter().map(|r| f64::from(r.0)).collect();
            let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
            prop_assert!((auc(&scores, &labels) - auc_by_pairs(&scores, &labels)).abs() < 1e-12);
        }

        #[test]
        fn stratified_split_partitions_the_rows(
            labels in proptest::collection::vec(any::<bool>(), 0..200),
            holdout in 0.0f64..1.0,
            seed in any::<u64>(),
        ) {
            let (train, test) = stratified_split(&labels, holdout, seed);
            let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
            let positives = labels.iter().filter(|&&l| l).count();
            let test_positives = test.iter().filter(|&&i| labels[i]).count();
            prop_assert!((test_positives as f64 - holdout * positives as f64).abs() <= 1.0);
        }
    }
}
