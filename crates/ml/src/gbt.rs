//! Gradient-boosted decision trees for the logistic loss, histogram-based like
//! scikit-learn's `HistGradientBoostingClassifier` and LightGBM: each feature is cut into at
//! most 255 quantile bins plus a bin for missing values, trees grow leaf-wise (best gain
//! first) up to a number of leaves, leaf values are Newton steps with an L2 penalty, a
//! child's histogram is its parent's minus its sibling's, and missing values go to
//! whichever side of each split fits them best. The number of trees is chosen by
//! cross-validation (early stopping on each fold's held-out part).

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, FeatureKind};
use crate::metrics::auc;
use crate::model_util::{WORKERS, log_loss, sigmoid};

/// Bins for non-missing values, at most (missing values have a bin of their own after
/// them).
const MAX_BINS: usize = 255;
/// Smallest summed hessian on each side of a split.
const MIN_HESSIAN: f64 = 1e-3;
/// Smallest gain worth a split.
const MIN_GAIN: f64 = 1e-7;
/// Held-out rows from which early stopping waits at most 10 trees.
const LARGE_VALIDATION: usize = 10_000;
/// Below this many row×feature cells a histogram is built on one thread.
const PARALLEL_CELLS: usize = 100_000;

/// The settings of the boosting.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GbtParams {
    pub learning_rate: f64,
    pub max_leaf_nodes: usize,
    pub min_samples_leaf: usize,
    /// L2 penalty on leaf values.
    pub l2: f64,
    /// Most trees tried during cross-validation.
    pub max_rounds: usize,
    /// Stop a fold after this many trees without a better held-out log-loss.
    pub patience: usize,
}

impl Default for GbtParams {
    fn default() -> GbtParams {
        GbtParams {
            learning_rate: 0.1,
            max_leaf_nodes: 31,
            min_samples_leaf: 20,
            l2: 1.0,
            max_rounds: 1000,
            patience: 30,
        }
    }
}

/// Every value of a dataset replaced by its bin, column by column. Indicators of one
/// group that are never 1 together (the levels of a one-hot encoded column) share one
/// column whose value says which of them is 1, as LightGBM's exclusive feature bundling
/// does: a spreadsheet with 30 categorical columns then costs 30 histogram columns
/// instead of hundreds, with exactly the same splits.
pub struct Binned {
    rows: usize,
    /// Histogram columns: a feature's bins, or a bundle (0: none of its features is 1;
    /// `k`: its `k`-th feature is).
    cols: Vec<Vec<u8>>,
    /// Where each column's slots start in a histogram (the last: the total).
    offsets: Vec<usize>,
    /// Per feature, ascending: bin `b` holds values in `(t[b-1], t[b]]`.
    thresholds: Vec<Vec<f64>>,
    /// Where each feature's bins are.
    place: Vec<Place>,
}

/// The column of a feature.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Place {
    /// Its own column: value bins, then the missing bin.
    Own(usize),
    /// In a bundle column, as the feature with this code.
    Bundled { col: usize, code: u8 },
}

impl Binned {
    /// Bin every feature of `data` at quantiles of its own values, bundling exclusive
    /// indicators.
    pub fn new(data: &Dataset) -> Binned {
        Binned::build(data, true)
    }

    fn build(data: &Dataset, bundling: bool) -> Binned {
        let width = data.width();
        let rows = data.rows();
        let column = |j: usize| {
            let values: Vec<f64> = (0..rows).map(|i| data.values[i * width + j]).collect();
            let thresholds = thresholds(&values);
            let col = values.iter().map(|&x| bin_of(&thresholds, x)).collect();
            (col, thresholds)
        };
        let columns: Vec<(Vec<u8>, Vec<f64>)> = if rows * width >= PARALLEL_CELLS {
            let features: Vec<usize> = (0..width).collect();
            let per = width.div_ceil(WORKERS).max(1);
            std::thread::scope(|s| {
                let handles: Vec<_> = features
                    .chunks(per)
                    .map(|chunk| {
                        let column = &column;
                        s.spawn(move || chunk.iter().map(|&j| column(j)).collect::<Vec<_>>())
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("a worker does not panic"))
                    .collect()
            })
        } else {
            (0..width).map(column).collect()
        };
        let (mut bins, thresholds): (Vec<Vec<u8>>, Vec<Vec<f64>>) = columns.into_iter().unzip();
        let bundles = if bundling {
            bundles(data, &bins, &thresholds)
        } else {
            Vec::new()
        };
        let mut bundle_of = vec![None; width];
        for (b, members) in bundles.iter().enumerate() {
            for (k, &f) in members.iter().enumerate() {
                bundle_of[f] = Some((b, (k + 1) as u8));
            }
        }
        let mut cols: Vec<Vec<u8>> = Vec::new();
        let mut offsets = vec![0];
        let mut bundle_col = vec![None; bundles.len()];
        let mut place = Vec::with_capacity(width);
        for f in 0..width {
            let last = *offsets.last().expect("starts with 0");
            match bundle_of[f] {
                None => {
                    place.push(Place::Own(cols.len()));
                    cols.push(std::mem::take(&mut bins[f]));
                    offsets.push(last + thresholds[f].len() + 2);
                }
                Some((b, code)) => {
                    let col = *bundle_col[b].get_or_insert_with(|| {
                        cols.push(vec![0; rows]);
                        offsets.push(last + bundles[b].len() + 1);
                        cols.len() - 1
                    });
                    for (v, &bin) in cols[col].iter_mut().zip(&bins[f]) {
                        if bin == 1 {
                            *v = code;
                        }
                    }
                    place.push(Place::Bundled { col, code });
                }
            }
        }
        Binned {
            rows,
            cols,
            offsets,
            thresholds,
            place,
        }
    }

    /// The bin of missing values of feature `f` (after its value bins).
    fn missing(&self, f: usize) -> u8 {
        (self.thresholds[f].len() + 1) as u8
    }

    /// The bin of feature `f` in row `i`.
    fn bin(&self, f: usize, i: usize) -> u8 {
        match self.place[f] {
            Place::Own(col) => self.cols[col][i],
            Place::Bundled { col, code } => u8::from(self.cols[col][i] == code),
        }
    }

    /// Histogram slots of all columns.
    fn slots(&self) -> usize {
        *self.offsets.last().expect("starts with 0")
    }

    /// Number of histogram columns.
    fn columns(&self) -> usize {
        self.cols.len()
    }

    /// Number of value bins of feature `f`.
    fn bins(&self, f: usize) -> usize {
        self.thresholds[f].len() + 1
    }
}

/// The bundles of indicators: per group (in order of first appearance), its features that
/// are 0 or 1 (both seen, never missing), if no row has two of them at 1; at most 254 per
/// bundle.
fn bundles(data: &Dataset, bins: &[Vec<u8>], thresholds: &[Vec<f64>]) -> Vec<Vec<usize>> {
    let width = data.width();
    let binary = |f: usize| {
        data.features[f].kind == FeatureKind::Indicator
            && thresholds[f].len() == 1
            && (0..data.rows()).all(|i| {
                let x = data.values[i * width + f];
                x == 0.0 || x == 1.0
            })
    };
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for f in (0..width).filter(|&f| binary(f)) {
        let group = data.features[f].group.as_str();
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, members)) => members.push(f),
            None => groups.push((group, vec![f])),
        }
    }
    let mut out = Vec::new();
    let mut active = vec![0u8; data.rows()];
    for (_, members) in groups {
        if members.len() < 2 {
            continue;
        }
        active.iter_mut().for_each(|a| *a = 0);
        let mut exclusive = true;
        for &f in &members {
            for (a, &bin) in active.iter_mut().zip(&bins[f]) {
                *a += bin;
                exclusive &= *a <= 1;
            }
            if !exclusive {
                break;
            }
        }
        if exclusive {
            out.extend(members.chunks(254).map(<[usize]>::to_vec));
        }
    }
    out
}

/// Cut points of a column: midpoints between distinct values when there are few,
/// otherwise quantiles.
fn thresholds(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    if distinct.len() <= MAX_BINS {
        return distinct
            .windows(2)
            .map(|w| w[0] + (w[1] - w[0]) / 2.0)
            .collect();
    }
    let n = sorted.len();
    let mut out: Vec<f64> = (1..MAX_BINS)
        .map(|k| {
            let pos = k as f64 / MAX_BINS as f64 * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        })
        .collect();
    out.dedup();
    out
}

fn bin_of(thresholds: &[f64], x: f64) -> u8 {
    if x.is_finite() {
        thresholds.partition_point(|&t| t < x) as u8
    } else {
        (thresholds.len() + 1) as u8
    }
}

/// One node of a tree.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Node {
    /// The split feature (internal nodes).
    pub feature: u32,
    /// Values `<= threshold` go left.
    pub threshold: f64,
    /// Where missing values go.
    pub missing_left: bool,
    /// Children; both 0 in a leaf (the root is nobody's child).
    pub left: u32,
    pub right: u32,
    /// The node's value with the learning rate applied: the leaf value, or what the node
    /// would give as a leaf (for the attribution of a prediction to features).
    pub value: f64,
    /// The split as a bin (while training).
    #[serde(skip)]
    bin: u8,
}

impl Node {
    fn leaf(value: f64) -> Node {
        Node {
            feature: 0,
            threshold: 0.0,
            missing_left: false,
            left: 0,
            right: 0,
            value,
            bin: 0,
        }
    }

    fn is_leaf(&self) -> bool {
        self.left == 0
    }

    /// The child a value goes to.
    fn child(&self, x: f64) -> usize {
        let left = if x.is_finite() {
            x <= self.threshold
        } else {
            self.missing_left
        };
        (if left { self.left } else { self.right }) as usize
    }
}

/// A regression tree on the log-odds scale.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    fn value(&self, row: &[f64]) -> f64 {
        let mut k = 0;
        while !self.nodes[k].is_leaf() {
            let node = &self.nodes[k];
            k = node.child(value_at(row, node.feature as usize));
        }
        self.nodes[k].value
    }

    /// The value for row `i` of the binned data the tree was grown on.
    fn value_binned(&self, binned: &Binned, i: usize) -> f64 {
        let mut k = 0;
        while !self.nodes[k].is_leaf() {
            let node = &self.nodes[k];
            let f = node.feature as usize;
            let b = binned.bin(f, i);
            let left = if b == binned.missing(f) {
                node.missing_left
            } else {
                b <= node.bin
            };
            k = (if left { node.left } else { node.right }) as usize;
        }
        self.nodes[k].value
    }

    /// Add, for each split on the path of `row`, the change of value to the split's feature.
    fn attribute(&self, row: &[f64], out: &mut [f64]) {
        let mut k = 0;
        while !self.nodes[k].is_leaf() {
            let node = &self.nodes[k];
            let f = node.feature as usize;
            let next = node.child(value_at(row, f));
            if let Some(slot) = out.get_mut(f) {
                *slot += self.nodes[next].value - node.value;
            }
            k = next;
        }
    }

    fn is_valid(&self, width: usize) -> bool {
        let n = self.nodes.len();
        // Children come after their parent, so every path ends.
        !self.nodes.is_empty()
            && self.nodes.iter().enumerate().all(|(k, node)| {
                node.value.is_finite()
                    && (node.is_leaf()
                        || ((node.feature as usize) < width
                            && !node.threshold.is_nan()
                            && (node.left as usize) > k
                            && (node.right as usize) > k
                            && (node.left as usize) < n
                            && (node.right as usize) < n))
            })
    }
}

fn value_at(row: &[f64], j: usize) -> f64 {
    row.get(j).copied().unwrap_or(f64::NAN)
}

/// A fitted ensemble of trees.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GbtModel {
    /// The starting log-odds (the training rows' positive rate).
    pub base: f64,
    pub trees: Vec<Tree>,
    pub params: GbtParams,
}

impl GbtModel {
    /// The log-odds for `row`.
    pub fn margin(&self, row: &[f64]) -> f64 {
        self.base + self.trees.iter().map(|t| t.value(row)).sum::<f64>()
    }

    /// Each of `width` features' share of the margin (Saabas: along each tree's path,
    /// the change of node value at a split goes to the split's feature).
    pub fn contributions(&self, row: &[f64], width: usize) -> Vec<f64> {
        let mut out = vec![0.0; width];
        for tree in &self.trees {
            tree.attribute(row, &mut out);
        }
        out
    }

    /// The part of every margin that no feature explains: the base plus each root's value.
    pub fn bias(&self) -> f64 {
        self.base + self.trees.iter().map(|t| t.nodes[0].value).sum::<f64>()
    }

    pub(crate) fn is_valid(&self, width: usize) -> bool {
        self.base.is_finite() && self.trees.iter().all(|t| t.is_valid(width))
    }
}

/// Sums of gradients, hessians and rows.
#[derive(Clone, Copy, Default, Debug)]
struct Sums {
    g: f64,
    h: f64,
    n: u32,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.g += o.g;
        self.h += o.h;
        self.n += o.n;
    }

    fn minus(&self, o: &Sums) -> Sums {
        Sums {
            g: self.g - o.g,
            h: self.h - o.h,
            n: self.n - o.n,
        }
    }
}

/// Histogram buffers for reuse: a tree needs one per leaf it may still split.
#[derive(Default)]
struct Pool(Vec<Vec<Sums>>);

impl Pool {
    fn take(&mut self, len: usize) -> Vec<Sums> {
        let mut h = self.0.pop().unwrap_or_default();
        h.clear();
        h.resize(len, Sums::default());
        h
    }

    fn give(&mut self, h: Vec<Sums>) {
        self.0.push(h);
    }
}

/// Gradient and hessian sums of a node's rows per feature and bin.
fn build_hist(
    binned: &Binned,
    rows: &[u32],
    gh: &[[f64; 2]],
    parallel: bool,
    pool: &mut Pool,
) -> Vec<Sums> {
    let width = binned.columns();
    // Gradients in the node's row order: the inner loops read them sequentially.
    let ordered: Vec<[f64; 2]> = rows.iter().map(|&r| gh[r as usize]).collect();
    let mut hist = pool.take(binned.slots());
    if parallel && rows.len() * width >= PARALLEL_CELLS && width >= WORKERS {
        let per = width.div_ceil(WORKERS);
        let ordered = &ordered;
        std::thread::scope(|s| {
            let mut rest: &mut [Sums] = &mut hist;
            let mut first = 0;
            while first < width {
                let last = (first + per).min(width);
                let (part, tail) = rest.split_at_mut(binned.offsets[last] - binned.offsets[first]);
                rest = tail;
                let features = first..last;
                s.spawn(move || fill(binned, features, part, rows, ordered));
                first = last;
            }
        });
    } else {
        fill(binned, 0..width, &mut hist, rows, &ordered);
    }
    hist
}

/// Fill the histograms of `features` (`out` starts at the first one's slots). Four
/// features are done per pass over the rows: consecutive additions then go to four
/// different histograms instead of waiting on each other in one bin.
fn fill(
    binned: &Binned,
    features: std::ops::Range<usize>,
    out: &mut [Sums],
    rows: &[u32],
    ordered: &[[f64; 2]],
) {
    let add = |slot: &mut Sums, v: &[f64; 2]| {
        slot.g += v[0];
        slot.h += v[1];
        slot.n += 1;
    };
    let len = |f: usize| binned.offsets[f + 1] - binned.offsets[f];
    let mut f = features.start;
    let mut rest: &mut [Sums] = out;
    while f + 4 <= features.end {
        let (a, tail) = rest.split_at_mut(len(f));
        let (b, tail) = tail.split_at_mut(len(f + 1));
        let (c, tail) = tail.split_at_mut(len(f + 2));
        let (d, tail) = tail.split_at_mut(len(f + 3));
        rest = tail;
        let (ca, cb, cc, cd) = (
            &binned.cols[f][..],
            &binned.cols[f + 1][..],
            &binned.cols[f + 2][..],
            &binned.cols[f + 3][..],
        );
        for (&r, v) in rows.iter().zip(ordered) {
            let r = r as usize;
            add(&mut a[ca[r] as usize], v);
            add(&mut b[cb[r] as usize], v);
            add(&mut c[cc[r] as usize], v);
            add(&mut d[cd[r] as usize], v);
        }
        f += 4;
    }
    while f < features.end {
        let (single, tail) = rest.split_at_mut(len(f));
        rest = tail;
        let col = &binned.cols[f][..];
        for (&r, v) in rows.iter().zip(ordered) {
            add(&mut single[col[r as usize] as usize], v);
        }
        f += 1;
    }
}

/// The best split of a node.
#[derive(Clone, Copy, Debug)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
    left: Sums,
}

fn score(s: &Sums, l2: f64) -> f64 {
    s.g * s.g / (s.h + l2)
}

fn best_split(hist: &[Sums], total: &Sums, binned: &Binned, params: &GbtParams) -> Option<Split> {
    let min_leaf = params.min_samples_leaf.max(1) as u32;
    let parent = score(total, params.l2);
    let mut best: Option<Split> = None;
    // Keep the cut if it is allowed and better; `false` when no later cut of the
    // feature can be allowed (too few rows on the right).
    let mut consider = |left: Sums, feature: usize, bin: usize, missing_left: bool| {
        if left.n < min_leaf {
            return true;
        }
        let right = total.minus(&left);
        if right.n < min_leaf {
            return false;
        }
        if left.h < MIN_HESSIAN || right.h < MIN_HESSIAN {
            return true;
        }
        let gain = score(&left, params.l2) + score(&right, params.l2) - parent;
        if gain > MIN_GAIN && best.is_none_or(|s| gain > s.gain) {
            best = Some(Split {
                gain,
                feature,
                bin: bin as u8,
                missing_left,
                left,
            });
        }
        true
    };
    for (f, place) in binned.place.iter().enumerate() {
        let col = match *place {
            Place::Own(col) => col,
            Place::Bundled { col, code } => {
                // Rows with the feature at 1 go right, the others left; nothing is
                // missing (else it would not be bundled): unseen missing values follow
                // the majority.
                let ones = hist[binned.offsets[col] + code as usize];
                let zeros = total.minus(&ones);
                consider(zeros, f, 0, zeros.n >= ones.n);
                continue;
            }
        };
        let slots = &hist[binned.offsets[col]..binned.offsets[col + 1]];
        let bins = binned.bins(f);
        let missing = slots[bins];
        let directions: &[bool] = if missing.n > 0 {
            &[false, true]
        } else {
            &[false]
        };
        for &missing_left in directions {
            let mut left = if missing_left {
                missing
            } else {
                Sums::default()
            };
            // Without missing values on the left, the last cut sends every known value
            // left and the missing ones right.
            let cuts = if !missing_left && missing.n > 0 {
                bins
            } else {
                bins - 1
            };
            for (b, slot) in slots.iter().enumerate().take(cuts) {
                left.add(slot);
                let right_n = total.n - left.n;
                // With no missing values, unseen ones follow the majority.
                let side = if missing.n > 0 {
                    missing_left
                } else {
                    left.n >= right_n
                };
                if !consider(left, f, b, side) {
                    break;
                }
            }
        }
    }
    best
}

/// A leaf of a tree being grown.
struct Growing {
    node: usize,
    rows: Vec<u32>,
    sums: Sums,
    hist: Option<Vec<Sums>>,
    split: Option<Split>,
}

fn leaf_value(s: &Sums, params: &GbtParams) -> f64 {
    -params.learning_rate * s.g / (s.h + params.l2)
}

/// Grow one tree on `rows` for the gradients `gh` (indexed by row); returns the tree and
/// each leaf's rows with its value.
fn grow(
    binned: &Binned,
    rows: Vec<u32>,
    gh: &[[f64; 2]],
    params: &GbtParams,
    parallel: bool,
    pool: &mut Pool,
) -> (Tree, Vec<(Vec<u32>, f64)>) {
    let mut total = Sums::default();
    for &r in &rows {
        let v = gh[r as usize];
        total.g += v[0];
        total.h += v[1];
        total.n += 1;
    }
    let splittable = |n: u32| n as usize >= 2 * params.min_samples_leaf.max(1);
    let mut nodes = vec![Node::leaf(leaf_value(&total, params))];
    let (hist, split) = if splittable(total.n) && params.max_leaf_nodes > 1 {
        let hist = build_hist(binned, &rows, gh, parallel, pool);
        let split = best_split(&hist, &total, binned, params);
        (Some(hist), split)
    } else {
        (None, None)
    };
    let mut leaves = vec![Growing {
        node: 0,
        rows,
        sums: total,
        hist,
        split,
    }];
    while leaves.len() < params.max_leaf_nodes {
        let Some(k) = leaves
            .iter()
            .enumerate()
            .filter_map(|(k, l)| l.split.map(|s| (k, s.gain)))
            .fold(None, |best: Option<(usize, f64)>, (k, g)| match best {
                Some((_, bg)) if bg >= g => best,
                _ => Some((k, g)),
            })
            .map(|(k, _)| k)
        else {
            break;
        };
        let mut leaf = leaves.remove(k);
        let split = leaf.split.expect("chosen for its split");
        let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = match binned.place[split.feature] {
            Place::Own(col) => {
                let col = &binned.cols[col];
                let missing = binned.missing(split.feature);
                leaf.rows.iter().partition(|&&r| {
                    let b = col[r as usize];
                    if b == missing {
                        split.missing_left
                    } else {
                        b <= split.bin
                    }
                })
            }
            Place::Bundled { col, code } => {
                let col = &binned.cols[col];
                leaf.rows.iter().partition(|&&r| col[r as usize] != code)
            }
        };
        let left_sums = split.left;
        let right_sums = leaf.sums.minus(&left_sums);
        let left_id = nodes.len();
        nodes.push(Node::leaf(leaf_value(&left_sums, params)));
        nodes.push(Node::leaf(leaf_value(&right_sums, params)));
        let threshold = if (split.bin as usize) + 1 >= binned.bins(split.feature) {
            f64::MAX
        } else {
            binned.thresholds[split.feature][split.bin as usize]
        };
        let parent = &mut nodes[leaf.node];
        parent.feature = split.feature as u32;
        parent.threshold = threshold;
        parent.bin = split.bin;
        parent.missing_left = split.missing_left;
        parent.left = left_id as u32;
        parent.right = left_id as u32 + 1;

        let want_left = splittable(left_sums.n);
        let want_right = splittable(right_sums.n);
        let (left_hist, right_hist) = if want_left || want_right {
            let mut parent_hist = leaf
                .hist
                .take()
                .expect("a splittable leaf keeps its histogram");
            let left_smaller = left_rows.len() <= right_rows.len();
            let small_rows = if left_smaller {
                &left_rows
            } else {
                &right_rows
            };
            let small = build_hist(binned, small_rows, gh, parallel, pool);
            for (p, s) in parent_hist.iter_mut().zip(&small) {
                *p = p.minus(s);
            }
            if left_smaller {
                (Some(small), Some(parent_hist))
            } else {
                (Some(parent_hist), Some(small))
            }
        } else {
            if let Some(h) = leaf.hist.take() {
                pool.give(h);
            }
            (None, None)
        };
        for (rows, sums, hist, wanted, node) in [
            (left_rows, left_sums, left_hist, want_left, left_id),
            (right_rows, right_sums, right_hist, want_right, left_id + 1),
        ] {
            let (hist, split) = match hist {
                Some(h) if wanted => {
                    let split = best_split(&h, &sums, binned, params);
                    if split.is_none() {
                        pool.give(h);
                        (None, None)
                    } else {
                        (Some(h), split)
                    }
                }
                Some(h) => {
                    pool.give(h);
                    (None, None)
                }
                None => (None, None),
            };
            leaves.push(Growing {
                node,
                rows,
                sums,
                hist,
                split,
            });
        }
    }
    let leaves = leaves
        .into_iter()
        .map(|mut l| {
            if let Some(h) = l.hist.take() {
                pool.give(h);
            }
            (l.rows, nodes[l.node].value)
        })
        .collect();
    (Tree { nodes }, leaves)
}

/// Log-odds of the positive rate of `rows`, kept finite.
fn base_margin(labels: &[bool], rows: &[usize]) -> f64 {
    let positives = rows.iter().filter(|&&i| labels[i]).count() as f64;
    let rate = ((positives + 0.5) / (rows.len() as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
    (rate / (1.0 - rate)).ln()
}

/// Boost up to `rounds` trees on `train`; with `valid` rows, record their log-loss after
/// each tree and stop after [`GbtParams::patience`] trees without improvement.
fn boost(
    binned: &Binned,
    labels: &[bool],
    train: &[usize],
    valid: &[usize],
    params: &GbtParams,
    rounds: usize,
    parallel: bool,
) -> (GbtModel, Vec<f64>) {
    let base = base_margin(labels, train);
    let mut raw = vec![base; binned.rows];
    let mut gh = vec![[0.0, 0.0]; binned.rows];
    let valid_labels: Vec<bool> = valid.iter().map(|&i| labels[i]).collect();
    let mut valid_raw = vec![base; valid.len()];
    let rows: Vec<u32> = train.iter().map(|&i| i as u32).collect();
    let mut trees = Vec::new();
    let mut curve = Vec::new();
    let mut best = (f64::INFINITY, 0);
    let mut pool = Pool::default();
    // A large held-out part gives a smooth curve: a short wait is enough (scikit-learn
    // waits 10 trees).
    let patience = if valid.len() >= LARGE_VALIDATION {
        params.patience.min(10)
    } else {
        params.patience
    };
    for round in 0..rounds {
        for &i in train {
            let p = sigmoid(raw[i]);
            let y = if labels[i] { 1.0 } else { 0.0 };
            gh[i] = [p - y, (p * (1.0 - p)).max(1e-16)];
        }
        let (tree, leaves) = grow(binned, rows.clone(), &gh, params, parallel, &mut pool);
        for (rows, value) in &leaves {
            for &r in rows {
                raw[r as usize] += value;
            }
        }
        let stump = tree.nodes.len() == 1;
        if !valid.is_empty() {
            for (m, &i) in valid_raw.iter_mut().zip(valid) {
                *m += tree.value_binned(binned, i);
            }
            let loss = log_loss(&valid_raw, &valid_labels);
            curve.push(loss);
            if loss < best.0 - 1e-12 {
                best = (loss, round);
            }
        }
        trees.push(tree);
        if stump || (!valid.is_empty() && round - best.1 >= patience) {
            break;
        }
    }
    let model = GbtModel {
        base,
        trees,
        params: params.clone(),
    };
    (model, curve)
}

/// The result of cross-validating the boosting.
pub struct GbtCv {
    /// Mean AUC over the folds at the chosen number of trees.
    pub auc: f64,
    /// Out-of-fold margins (NaN for rows in no test fold).
    pub oof: Vec<f64>,
    /// The number of trees with the best mean held-out log-loss.
    pub rounds: usize,
}

/// Cross-validate over `splits` (train, test) with early stopping on each test part and
/// choose the number of trees by the mean held-out log-loss.
pub fn cross_validate(
    binned: &Binned,
    labels: &[bool],
    splits: &[(Vec<usize>, Vec<usize>)],
    params: &GbtParams,
) -> GbtCv {
    let run = |split: &(Vec<usize>, Vec<usize>), parallel: bool| {
        boost(
            binned,
            labels,
            &split.0,
            &split.1,
            params,
            params.max_rounds,
            parallel,
        )
    };
    let fits: Vec<(GbtModel, Vec<f64>)> = if splits.len() > 1 {
        // Folds in parallel, each on one thread; fold k on worker k % WORKERS.
        let mut out: Vec<Option<(GbtModel, Vec<f64>)>> = (0..splits.len()).map(|_| None).collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..WORKERS)
                .map(|w| {
                    let run = &run;
                    s.spawn(move || {
                        splits
                            .iter()
                            .enumerate()
                            .filter(|(k, _)| k % WORKERS == w)
                            .map(|(k, split)| (k, run(split, false)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for (k, fit) in h.join().expect("a worker does not panic") {
                    out[k] = Some(fit);
                }
            }
        });
        out.into_iter()
            .map(|f| f.expect("every fold ran"))
            .collect()
    } else {
        splits.iter().map(|s| run(s, true)).collect()
    };
    let longest = fits.iter().map(|f| f.1.len()).max().unwrap_or(0);
    let mut mean = vec![0.0; longest];
    for (_, curve) in &fits {
        let last = curve.last().copied().unwrap_or(0.0);
        for (r, m) in mean.iter_mut().enumerate() {
            *m += curve.get(r).copied().unwrap_or(last);
        }
    }
    let rounds = mean
        .iter()
        .enumerate()
        .fold((0, f64::INFINITY), |best, (r, &m)| {
            if m < best.1 - 1e-12 { (r, m) } else { best }
        })
        .0
        + 1;
    let mut oof = vec![f64::NAN; labels.len()];
    let mut mean_auc = 0.0;
    for ((model, _), (_, test)) in fits.iter().zip(splits) {
        let margins: Vec<f64> = test
            .iter()
            .map(|&i| {
                model.base
                    + model.trees[..rounds.min(model.trees.len())]
                        .iter()
                        .map(|t| t.value_binned(binned, i))
                        .sum::<f64>()
            })
            .collect();
        let test_labels: Vec<bool> = test.iter().map(|&i| labels[i]).collect();
        mean_auc += auc(&margins, &test_labels) / splits.len() as f64;
        for (&i, m) in test.iter().zip(margins) {
            oof[i] = m;
        }
    }
    GbtCv {
        auc: mean_auc,
        oof,
        rounds,
    }
}

/// Fit `rounds` trees on every row.
pub fn fit(binned: &Binned, labels: &[bool], rounds: usize, params: &GbtParams) -> GbtModel {
    let rows: Vec<usize> = (0..labels.len()).collect();
    boost(binned, labels, &rows, &[], params, rounds.max(1), true).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Feature, FeatureKind, Words};
    use crate::metrics::stratified_split;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn numeric(key: &str) -> Feature {
        Feature {
            key: key.into(),
            group: key.into(),
            words: Words::new(key, key),
            kind: FeatureKind::Numeric,
        }
    }

    #[test]
    fn few_distinct_values_are_cut_between_them_and_many_at_quantiles() {
        assert_eq!(thresholds(&[1.0, 3.0, 3.0, f64::NAN, 2.0]), vec![1.5, 2.5]);
        let many: Vec<f64> = (0..10_000).map(f64::from).collect();
        let t = thresholds(&many);
        assert_eq!(t.len(), MAX_BINS - 1);
        assert_eq!(bin_of(&t, -5.0), 0);
        assert_eq!(bin_of(&t, 1e9), (MAX_BINS - 1) as u8);
        assert_eq!(bin_of(&t, f64::NAN), MAX_BINS as u8);
    }

    #[test]
    fn missing_values_go_to_the_side_they_behave_like() {
        // Known x: positive when x > 0.5. Missing x: mostly positive.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut data = Dataset::new(vec![numeric("x")]);
        for _ in 0..3000 {
            let x: f64 = rng.r#gen();
            if rng.gen_bool(0.2) {
                data.push(&[f64::NAN], Some(rng.gen_bool(0.9)));
            } else {
                data.push(
                    &[x],
                    Some(if x > 0.5 {
                        rng.gen_bool(0.9)
                    } else {
                        rng.gen_bool(0.1)
                    }),
                );
            }
        }
        let binned = Binned::new(&data);
        let model = fit(&binned, &data.labels, 30, &GbtParams::default());
        let missing = model.margin(&[f64::NAN]);
        let high = model.margin(&[0.9]);
        let low = model.margin(&[0.1]);
        assert!(
            missing > 1.0 && high > 1.0 && low < -1.0,
            "{missing} {high} {low}"
        );
        // The first split is on x near 0.5, with missing values on the high side.
        let root = &model.trees[0].nodes[0];
        assert!((root.threshold - 0.5).abs() < 0.05, "{}", root.threshold);
        assert!(!root.missing_left);
    }

    #[test]
    fn prediction_by_values_agrees_with_prediction_by_bins() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut data = Dataset::new(vec![numeric("a"), numeric("b")]);
        for _ in 0..2000 {
            let a: f64 = rng.gen_range(0.0..100.0);
            let b = if rng.gen_bool(0.1) {
                f64::NAN
            } else {
                rng.gen_range(0.0..1.0)
            };
            let y = rng.gen_bool(sigmoid(
                (a - 50.0) / 20.0 + if b.is_nan() { 1.0 } else { b },
            ));
            data.push(&[a, b], Some(y));
        }
        let binned = Binned::new(&data);
        let model = fit(&binned, &data.labels, 20, &GbtParams::default());
        for i in 0..data.rows() {
            let by_bins = model.base
                + model
                    .trees
                    .iter()
                    .map(|t| t.value_binned(&binned, i))
                    .sum::<f64>();
            assert!((by_bins - model.margin(data.row(i))).abs() < 1e-9);
        }
    }

    #[test]
    fn one_hot_groups_are_bundled_without_changing_the_trees() {
        let indicator = |key: &str, group: &str| Feature {
            key: key.into(),
            group: group.into(),
            words: Words::new(key, key),
            kind: FeatureKind::Indicator,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let mut data = Dataset::new(vec![
            numeric("visits"),
            indicator("source=web", "source"),
            indicator("source=event", "source"),
            indicator("source=call", "source"),
            // Several touchpoints at once: not exclusive, not bundled.
            indicator("touch=webinar", "touch"),
            indicator("touch=download", "touch"),
        ]);
        for _ in 0..3000 {
            let visits = f64::from(rng.gen_range(0u8..10));
            let source = rng.gen_range(0..4);
            let webinar = rng.gen_bool(0.3);
            let download = rng.gen_bool(0.4);
            let logit = -2.0
                + 0.2 * visits
                + [0.5, 1.5, -1.0, 0.0][source]
                + if webinar { 1.0 } else { 0.0 }
                + if download && source == 1 { 1.0 } else { 0.0 };
            let row = [
                visits,
                f64::from(u8::from(source == 0)),
                f64::from(u8::from(source == 1)),
                f64::from(u8::from(source == 2)),
                f64::from(u8::from(webinar)),
                f64::from(u8::from(download)),
            ];
            data.push(&row, Some(rng.gen_bool(sigmoid(logit))));
        }
        let bundled = Binned::new(&data);
        let plain = Binned::build(&data, false);
        assert_eq!(bundled.columns(), 4);
        assert_eq!(plain.columns(), 6);
        let params = GbtParams::default();
        let a = fit(&bundled, &data.labels, 40, &params);
        let b = fit(&plain, &data.labels, 40, &params);
        for i in 0..data.rows() {
            let (x, y) = (a.margin(data.row(i)), b.margin(data.row(i)));
            assert!((x - y).abs() < 1e-9, "row {i}: {x} vs {y}");
            let by_bins = a.base
                + a.trees
                    .iter()
                    .map(|t| t.value_binned(&bundled, i))
                    .sum::<f64>();
            assert!((by_bins - x).abs() < 1e-9);
        }
    }

    #[test]
    fn learns_an_interaction_that_a_line_cannot() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut data = Dataset::new(vec![numeric("a"), numeric("b")]);
        for _ in 0..4000 {
            let a: f64 = rng.gen_range(-1.0..1.0);
            let b: f64 = rng.gen_range(-1.0..1.0);
            let logit = if a * b > 0.0 { 2.0 } else { -2.0 };
            data.push(&[a, b], Some(rng.gen_bool(sigmoid(logit))));
        }
        let (train, test) = stratified_split(&data.labels, 0.25, 1);
        let splits = vec![(train.clone(), test.clone())];
        let binned = Binned::new(&data);
        let trees = cross_validate(&binned, &data.labels, &splits, &GbtParams::default());
        let design = crate::logistic::Design::new(&data);
        let line = crate::logistic::cross_validate(&design, &data.labels, &splits);
        assert!(trees.auc > 0.8, "trees {}", trees.auc);
        assert!(line.auc < 0.6, "line {}", line.auc);
    }
}
