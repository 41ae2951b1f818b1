//! L2-regularised logistic regression on standardised features, fitted by Newton's method
//! (iteratively reweighted least squares) with a line search, the regularisation strength
//! chosen by cross-validation over a small grid.
//!
//! Non-negative numeric features with several values (counts, durations) get a second,
//! `ln(1 + x)` column: counts act on the odds with diminishing returns, which a straight
//! line cannot express. Both columns' effects are reported as the feature's contribution.

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, FeatureKind};
use crate::metrics::auc;
use crate::model_util::{sigmoid, softplus};

/// The inverse regularisation strengths tried (scikit-learn's `C`: the penalty is
/// `||w||² / (2C)` against the summed log-loss).
pub const C_GRID: [f64; 4] = [0.01, 0.1, 1.0, 10.0];

/// How a design column is computed from its feature's value.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transform {
    Identity,
    Log1p,
}

/// One column of the design matrix: a feature, a transform, and its standardisation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Column {
    pub feature: usize,
    pub transform: Transform,
    pub mean: f64,
    pub scale: f64,
}

impl Column {
    /// The transformed value; the mean when missing.
    fn transformed(&self, x: f64) -> f64 {
        if !x.is_finite() {
            return self.mean;
        }
        match self.transform {
            Transform::Identity => x,
            Transform::Log1p => x.max(0.0).ln_1p(),
        }
    }

    /// The standardised value; 0 (the training mean) when missing.
    fn value(&self, x: f64) -> f64 {
        if !x.is_finite() {
            return 0.0;
        }
        let t = match self.transform {
            Transform::Identity => x,
            Transform::Log1p => x.max(0.0).ln_1p(),
        };
        (t - self.mean) / self.scale
    }
}

/// A fitted logistic regression.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LogisticModel {
    pub columns: Vec<Column>,
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// The inverse regularisation strength it was fitted with.
    pub c: f64,
}

impl LogisticModel {
    /// The log-odds for `row`.
    pub fn margin(&self, row: &[f64]) -> f64 {
        self.intercept
            + self
                .columns
                .iter()
                .zip(&self.coef)
                .map(|(c, w)| w * c.value(value_at(row, c.feature)))
                .sum::<f64>()
    }

    /// Each of `width` features' share of the margin (coefficient × standardised value);
    /// the intercept is left out.
    pub fn contributions(&self, row: &[f64], width: usize) -> Vec<f64> {
        let mut out = vec![0.0; width];
        for (c, w) in self.columns.iter().zip(&self.coef) {
            if c.feature < width {
                out[c.feature] += w * c.value(value_at(row, c.feature));
            }
        }
        out
    }

    /// The margin of a row whose features are all at their training mean.
    pub fn bias(&self) -> f64 {
        self.intercept
    }

    /// Whether the parameters are usable (for models read back from storage).
    pub(crate) fn is_valid(&self, width: usize) -> bool {
        self.columns.len() == self.coef.len()
            && self.columns.iter().all(|c| {
                c.feature < width && c.mean.is_finite() && c.scale.is_finite() && c.scale > 0.0
            })
            && self.coef.iter().all(|w| w.is_finite())
            && self.intercept.is_finite()
    }
}

fn value_at(row: &[f64], j: usize) -> f64 {
    row.get(j).copied().unwrap_or(f64::NAN)
}

/// The design matrix of every row, kept sparse in the transformed (not yet standardised)
/// values: indicators and event counts are mostly 0, so a row has few entries. The
/// solver works with standardised coefficients (well conditioned, penalised fairly) and
/// maps them to the raw scale for each pass over the rows.
pub struct Design {
    pub columns: Vec<Column>,
    /// Coefficients per fit: `columns.len() + 1` (the intercept last).
    pub stride: usize,
    /// Row `i`'s entries are `starts[i]..starts[i + 1]` of `index` and `value`.
    starts: Vec<usize>,
    index: Vec<u32>,
    /// Transformed values; the column mean where the value is missing.
    value: Vec<f64>,
}

impl Design {
    /// Standardise `data` with statistics of all its rows.
    pub fn new(data: &Dataset) -> Design {
        let n = data.rows();
        let mut columns = Vec::new();
        for (j, feature) in data.features.iter().enumerate() {
            let finite: Vec<f64> = (0..n)
                .map(|i| data.values[i * data.width() + j])
                .filter(|x| x.is_finite())
                .collect();
            columns.push(standardised(j, Transform::Identity, &finite));
            if feature.kind == FeatureKind::Numeric && wants_log(&finite) {
                let logs: Vec<f64> = finite.iter().map(|x| x.ln_1p()).collect();
                columns.push(standardised(j, Transform::Log1p, &logs));
            }
        }
        let mut starts = Vec::with_capacity(n + 1);
        let mut index = Vec::new();
        let mut value = Vec::new();
        starts.push(0);
        for i in 0..n {
            let row = data.row(i);
            for (k, c) in columns.iter().enumerate() {
                let t = c.transformed(row[c.feature]);
                if t != 0.0 {
                    index.push(k as u32);
                    value.push(t);
                }
            }
            starts.push(index.len());
        }
        Design {
            stride: columns.len() + 1,
            columns,
            starts,
            index,
            value,
        }
    }

    fn entries(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.starts[i]..self.starts[i + 1];
        (&self.index[r.clone()], &self.value[r])
    }

    /// Standardised coefficients `w` as raw-scale coefficients and intercept.
    fn raw(&self, w: &[f64]) -> Raw {
        let p = self.columns.len();
        let mut intercept = w[p];
        let coef = self
            .columns
            .iter()
            .zip(w)
            .map(|(c, wj)| {
                intercept -= wj * c.mean / c.scale;
                wj / c.scale
            })
            .collect();
        Raw { coef, intercept }
    }

    fn margin(&self, i: usize, raw: &Raw) -> f64 {
        let (index, value) = self.entries(i);
        raw.intercept
            + index
                .iter()
                .zip(value)
                .map(|(&k, v)| raw.coef[k as usize] * v)
                .sum::<f64>()
    }
}

/// Coefficients on the transformed, unstandardised scale.
struct Raw {
    coef: Vec<f64>,
    intercept: f64,
}

/// A non-negative feature with at least three distinct values.
fn wants_log(finite: &[f64]) -> bool {
    if finite.iter().any(|&x| x < 0.0) {
        return false;
    }
    let mut distinct: Vec<f64> = Vec::new();
    for &x in finite {
        if !distinct.contains(&x) {
            distinct.push(x);
            if distinct.len() >= 3 {
                return true;
            }
        }
    }
    false
}

/// Mean and standard deviation of the finite values (transformed already); scale 1 for a
/// constant.
fn standardised(feature: usize, transform: Transform, values: &[f64]) -> Column {
    let n = values.len() as f64;
    let (mean, scale) = if values.is_empty() {
        (0.0, 1.0)
    } else {
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let sd = var.sqrt();
        (mean, if sd > 1e-12 { sd } else { 1.0 })
    };
    Column {
        feature,
        transform,
        mean,
        scale,
    }
}

/// Summed log-loss and its gradient (standardised scale) at `w` over `rows`.
fn gradient(design: &Design, rows: &[usize], labels: &[bool], w: &[f64]) -> (f64, Vec<f64>) {
    let raw = design.raw(w);
    let p = design.columns.len();
    let mut loss = 0.0;
    let mut residuals = 0.0;
    let mut acc = vec![0.0; p];
    for &i in rows {
        let m = design.margin(i, &raw);
        let y = if labels[i] { 1.0 } else { 0.0 };
        loss += softplus(m) - y * m;
        let r = sigmoid(m) - y;
        residuals += r;
        let (index, value) = design.entries(i);
        for (&k, v) in index.iter().zip(value) {
            acc[k as usize] += r * v;
        }
    }
    let mut grad: Vec<f64> = design
        .columns
        .iter()
        .zip(&acc)
        .map(|(c, a)| (a - c.mean * residuals) / c.scale)
        .collect();
    grad.push(residuals);
    (loss, grad)
}

/// The Hessian of the summed log-loss at `w` (standardised scale; upper triangle,
/// row-major), accumulated from the sparse rows and then centred and scaled.
fn hessian(design: &Design, rows: &[usize], w: &[f64]) -> Vec<f64> {
    let raw = design.raw(w);
    let p = design.columns.len();
    let d = design.stride;
    let mut cross = vec![0.0; p * p];
    let mut single = vec![0.0; p];
    let mut total = 0.0;
    for &i in rows {
        let q = sigmoid(design.margin(i, &raw));
        let h = (q * (1.0 - q)).max(1e-12);
        total += h;
        let (index, value) = design.entries(i);
        for (a, (&ka, va)) in index.iter().zip(value).enumerate() {
            let hv = h * va;
            single[ka as usize] += hv;
            let line = &mut cross[ka as usize * p..(ka as usize + 1) * p];
            for (&kb, vb) in index[a..].iter().zip(&value[a..]) {
                line[kb as usize] += hv * vb;
            }
        }
    }
    let cols = &design.columns;
    let mut hess = vec![0.0; d * d];
    for j in 0..p {
        let (mj, sj) = (cols[j].mean, cols[j].scale);
        for k in j..p {
            let (mk, sk) = (cols[k].mean, cols[k].scale);
            hess[j * d + k] =
                (cross[j * p + k] - mk * single[j] - mj * single[k] + mj * mk * total) / (sj * sk);
        }
        hess[j * d + p] = (single[j] - mj * total) / sj;
    }
    hess[p * d + p] = total;
    hess
}

fn loss(design: &Design, rows: &[usize], labels: &[bool], w: &[f64], lambda: f64) -> f64 {
    let raw = design.raw(w);
    let data: f64 = rows
        .iter()
        .map(|&i| {
            let m = design.margin(i, &raw);
            softplus(m) - if labels[i] { m } else { 0.0 }
        })
        .sum();
    data + penalty(w, lambda)
}

fn penalty(w: &[f64], lambda: f64) -> f64 {
    // The intercept (last) is not penalised.
    0.5 * lambda * w[..w.len() - 1].iter().map(|x| x * x).sum::<f64>()
}

/// Above this many coefficients a Newton step is solved by conjugate gradients instead
/// of a Cholesky factorisation (whose cost grows with the cube).
const CG_FROM: usize = 400;

/// A way to solve `H x = g` for one symmetric positive definite `H`, reusable for
/// several right-hand sides.
enum Solver {
    /// The lower triangular factor, row-major.
    Cholesky(Vec<f64>),
    /// The full matrix and its diagonal (the preconditioner).
    Cg(Vec<f64>),
}

impl Solver {
    /// From the upper triangle (row-major) of `H`; `None` when it is not positive definite.
    fn new(hess: &[f64], d: usize) -> Option<Solver> {
        if d > CG_FROM {
            let mut full = hess.to_vec();
            for i in 0..d {
                if full[i * d + i].is_nan() || full[i * d + i] <= 0.0 {
                    return None;
                }
                for j in i + 1..d {
                    full[j * d + i] = full[i * d + j];
                }
            }
            return Some(Solver::Cg(full));
        }
        let mut l = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..=i {
                let s = hess[j * d + i] - dot(&l[i * d..i * d + j], &l[j * d..j * d + j]);
                if i == j {
                    if s.is_nan() || s <= 0.0 {
                        return None;
                    }
                    l[i * d + i] = s.sqrt();
                } else {
                    l[i * d + j] = s / l[j * d + j];
                }
            }
        }
        Some(Solver::Cholesky(l))
    }

    fn solve(&self, g: &[f64]) -> Vec<f64> {
        let d = g.len();
        match self {
            Solver::Cholesky(l) => {
                let mut y = vec![0.0; d];
                for i in 0..d {
                    y[i] = (g[i] - dot(&l[i * d..i * d + i], &y[..i])) / l[i * d + i];
                }
                let mut x = vec![0.0; d];
                for i in (0..d).rev() {
                    let s: f64 = (i + 1..d).map(|k| l[k * d + i] * x[k]).sum();
                    x[i] = (y[i] - s) / l[i * d + i];
                }
                x
            }
            Solver::Cg(h) => {
                // Jacobi-preconditioned conjugate gradients from 0.
                let times = |v: &[f64]| -> Vec<f64> {
                    (0..d).map(|i| dot(&h[i * d..(i + 1) * d], v)).collect()
                };
                let diag: Vec<f64> = (0..d).map(|i| h[i * d + i]).collect();
                let mut x = vec![0.0; d];
                let mut r = g.to_vec();
                let mut z: Vec<f64> = r.iter().zip(&diag).map(|(a, b)| a / b).collect();
                let mut p = z.clone();
                let mut rz = dot(&r, &z);
                let target = 1e-20 * dot(g, g);
                for _ in 0..4 * d {
                    let hp = times(&p);
                    let alpha = rz / dot(&p, &hp);
                    for k in 0..d {
                        x[k] += alpha * p[k];
                        r[k] -= alpha * hp[k];
                    }
                    if dot(&r, &r) <= target {
                        break;
                    }
                    for k in 0..d {
                        z[k] = r[k] / diag[k];
                    }
                    let next = dot(&r, &z);
                    let beta = next / rz;
                    rz = next;
                    for k in 0..d {
                        p[k] = z[k] + beta * p[k];
                    }
                }
                x
            }
        }
    }
}

/// A dot product with four running sums (fast, and the same on every machine).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let chunks = a.len() / 4 * 4;
    for (x, y) in a[..chunks].chunks_exact(4).zip(b[..chunks].chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = a[chunks..]
        .iter()
        .zip(&b[chunks..])
        .map(|(x, y)| x * y)
        .sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// The data part of a Hessian computed earlier, per row (so it applies to another
/// number of rows), reused while Newton steps are small: near the optimum the curvature
/// hardly changes, and computing it is the expensive part of a step.
#[derive(Clone, Default)]
struct Curvature {
    per_row: Option<Vec<f64>>,
}

/// Steps (largest coefficient change, standardised) below which the curvature is reused.
const REUSE_BELOW: f64 = 0.05;

/// Minimise the summed log-loss of `rows` plus `||w||² / (2C)` from `w`.
fn newton(
    design: &Design,
    rows: &[usize],
    labels: &[bool],
    c: f64,
    mut w: Vec<f64>,
    curvature: &mut Curvature,
) -> Vec<f64> {
    let d = design.stride;
    let n = rows.len().max(1) as f64;
    let lambda = 1.0 / c;
    let mut current = loss(design, rows, labels, &w, lambda);
    let mut recompute = curvature.per_row.is_none();
    // The factorised `H` for this call's rows and `C`, while the curvature is unchanged.
    let mut solver: Option<Solver> = None;
    for _ in 0..200 {
        let (_, mut grad) = gradient(design, rows, labels, &w);
        if recompute {
            let mut h = hessian(design, rows, &w);
            for v in &mut h {
                *v /= n;
            }
            curvature.per_row = Some(h);
            solver = None;
        }
        let fresh = recompute;
        for j in 0..d - 1 {
            grad[j] += lambda * w[j];
        }
        if solver.is_none() {
            let mut hess: Vec<f64> = curvature
                .per_row
                .as_ref()
                .expect("computed above or before")
                .iter()
                .map(|v| v * n)
                .collect();
            for j in 0..d - 1 {
                hess[j * d + j] += lambda;
            }
            hess[d * d - 1] += 1e-9;
            solver = Solver::new(&hess, d);
        }
        let Some(step) = solver.as_ref().map(|s| s.solve(&grad)) else {
            break;
        };
        let slope: f64 = step.iter().zip(&grad).map(|(a, b)| a * b).sum();
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let candidate: Vec<f64> = w.iter().zip(&step).map(|(a, s)| a - t * s).collect();
            let value = loss(design, rows, labels, &candidate, lambda);
            if value <= current - 1e-4 * t * slope {
                accepted = Some((candidate, value));
                break;
            }
            t *= 0.5;
        }
        let Some((next, value)) = accepted else {
            if fresh {
                break;
            }
            // The old curvature misled the step: measure it here and try again.
            recompute = true;
            continue;
        };
        let moved = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
        let improved = current - value;
        w = next;
        current = value;
        if moved < 1e-7 || improved <= 1e-9 * current.abs().max(1.0) {
            break;
        }
        recompute = moved > REUSE_BELOW || t < 1.0;
    }
    w
}

/// Start: all coefficients 0, the intercept at the log-odds of the rows' positive rate.
fn start(design: &Design, rows: &[usize], labels: &[bool]) -> Vec<f64> {
    let positives = rows.iter().filter(|&&i| labels[i]).count() as f64;
    let rate = ((positives + 0.5) / (rows.len() as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
    let mut w = vec![0.0; design.stride];
    w[design.stride - 1] = (rate / (1.0 - rate)).ln();
    w
}

/// Rows of the first, rough fit on many rows: Newton's method needs most of its steps to
/// get near the optimum from the start, and these are cheap on a sample.
const SAMPLE_ROWS: usize = 10_000;

/// A start close to the optimum for `rows`: on many rows, the fit of a regular sample
/// (with the regularisation scaled to the sample's size).
fn rough_start(design: &Design, rows: &[usize], labels: &[bool], c: f64) -> Vec<f64> {
    let w = start(design, rows, labels);
    if rows.len() < 4 * SAMPLE_ROWS {
        return w;
    }
    let sample: Vec<usize> = rows
        .iter()
        .step_by(rows.len() / SAMPLE_ROWS)
        .copied()
        .collect();
    let share = sample.len() as f64 / rows.len() as f64;
    newton(
        design,
        &sample,
        labels,
        c * share,
        w,
        &mut Curvature::default(),
    )
}

/// The result of cross-validating logistic regression over [`C_GRID`].
pub struct LogisticCv {
    /// Mean AUC over the folds of the best `C`.
    pub auc: f64,
    /// Out-of-fold margins of the best `C` (NaN for rows in no test fold).
    pub oof: Vec<f64>,
    pub c: f64,
    /// The folds' mean coefficients for the best `C`: where the final fit starts.
    warm: Vec<f64>,
    /// The curvature at the last fold's optimum for the best `C`.
    curvature: Curvature,
}

/// Cross-validate over `splits` (train, test) for every `C` of the grid (warm-started
/// from the strongest regularisation) and keep the best mean AUC.
pub fn cross_validate(
    design: &Design,
    labels: &[bool],
    splits: &[(Vec<usize>, Vec<usize>)],
) -> LogisticCv {
    let n = labels.len();
    let mut oof = vec![vec![f64::NAN; n]; C_GRID.len()];
    let mut aucs = vec![0.0; C_GRID.len()];
    let mut warm = vec![vec![0.0; design.stride]; C_GRID.len()];
    let mut curvatures = vec![Curvature::default(); C_GRID.len()];
    let share = 1.0 / splits.len() as f64;
    // Folds share most of their rows: each starts where the previous one ended for the
    // first `C`.
    let mut previous: Option<(Vec<f64>, Curvature)> = None;
    for (train, test) in splits {
        let (mut w, mut curvature) = match previous.take() {
            Some(p) => p,
            None => (
                rough_start(design, train, labels, C_GRID[0]),
                Curvature::default(),
            ),
        };
        let test_labels: Vec<bool> = test.iter().map(|&i| labels[i]).collect();
        for (k, &c) in C_GRID.iter().enumerate() {
            w = newton(design, train, labels, c, w, &mut curvature);
            curvatures[k] = curvature.clone();
            if k == 0 {
                previous = Some((w.clone(), curvature.clone()));
            }
            let raw = design.raw(&w);
            let margins: Vec<f64> = test.iter().map(|&i| design.margin(i, &raw)).collect();
            aucs[k] += auc(&margins, &test_labels) * share;
            for (&i, m) in test.iter().zip(margins) {
                oof[k][i] = m;
            }
            for (a, b) in warm[k].iter_mut().zip(&w) {
                *a += b * share;
            }
        }
    }
    let best = (0..C_GRID.len())
        .max_by(|&a, &b| aucs[a].total_cmp(&aucs[b]).then(b.cmp(&a)))
        .expect("the grid is not empty");
    LogisticCv {
        auc: aucs[best],
        oof: oof.swap_remove(best),
        c: C_GRID[best],
        warm: warm.swap_remove(best),
        curvature: curvatures.swap_remove(best),
    }
}

/// Fit on every row of the design with the `C` cross-validation chose, starting from
/// the folds' coefficients.
pub fn fit(design: &Design, labels: &[bool], cv: &LogisticCv) -> LogisticModel {
    let rows: Vec<usize> = (0..labels.len()).collect();
    fit_from(
        design,
        &rows,
        labels,
        cv.c,
        cv.warm.clone(),
        cv.curvature.clone(),
    )
}

/// Fit on every row of the design with inverse regularisation `c`.
pub fn fit_with(design: &Design, labels: &[bool], c: f64) -> LogisticModel {
    let rows: Vec<usize> = (0..labels.len()).collect();
    let w = rough_start(design, &rows, labels, c);
    fit_from(design, &rows, labels, c, w, Curvature::default())
}

fn fit_from(
    design: &Design,
    rows: &[usize],
    labels: &[bool],
    c: f64,
    w: Vec<f64>,
    mut curvature: Curvature,
) -> LogisticModel {
    let w = newton(design, rows, labels, c, w, &mut curvature);
    let d = design.stride;
    LogisticModel {
        columns: design.columns.clone(),
        coef: w[..d - 1].to_vec(),
        intercept: w[d - 1],
        c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Feature, Words};
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
    fn recovers_the_sign_and_size_of_known_coefficients() {
        // logit = -1 + 1.5 a - 0.8 b + 0 c, with a, b, c standard normal-ish (uniform here,
        // scaled to unit variance), so the standardised coefficients are the true ones.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut data = Dataset::new(vec![numeric("a"), numeric("b"), numeric("c")]);
        let s3 = 3f64.sqrt();
        for _ in 0..20_000 {
            let x: Vec<f64> = (0..3).map(|_| rng.gen_range(-s3..s3)).collect();
            let logit = -1.0 + 1.5 * x[0] - 0.8 * x[1];
            let y = rng.r#gen::<f64>() < sigmoid(logit);
            data.push(&x, Some(y));
        }
        let design = Design::new(&data);
        // Negative values: no log columns.
        assert_eq!(design.columns.len(), 3);
        let model = fit_with(&design, &data.labels, 10.0);
        assert!((model.coef[0] - 1.5).abs() < 0.1, "{:?}", model.coef);
        assert!((model.coef[1] + 0.8).abs() < 0.1, "{:?}", model.coef);
        assert!(model.coef[2].abs() < 0.1, "{:?}", model.coef);
        assert!((model.intercept + 1.0).abs() < 0.1, "{}", model.intercept);
    }

    #[test]
    fn stronger_regularisation_shrinks_the_coefficients() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut data = Dataset::new(vec![numeric("a")]);
        for _ in 0..300 {
            let x: f64 = rng.gen_range(-2.0..2.0);
            data.push(&[x], Some(rng.r#gen::<f64>() < sigmoid(2.0 * x)));
        }
        let design = Design::new(&data);
        let weak = fit_with(&design, &data.labels, 10.0);
        let strong = fit_with(&design, &data.labels, 0.01);
        assert!(strong.coef[0] > 0.0);
        assert!(
            strong.coef[0] < 0.5 * weak.coef[0],
            "{} vs {}",
            strong.coef[0],
            weak.coef[0]
        );
    }

    #[test]
    fn missing_values_count_as_the_mean_and_counts_get_a_log_column() {
        let mut data = Dataset::new(vec![numeric("visits")]);
        for (i, x) in [0.0, 1.0, 2.0, 10.0, f64::NAN, 3.0].iter().enumerate() {
            data.push(&[*x], Some(i % 2 == 0));
        }
        let design = Design::new(&data);
        assert_eq!(design.columns.len(), 2);
        assert_eq!(design.columns[1].transform, Transform::Log1p);
        // The missing row has the means (standardised: 0); a 0 count has no entry.
        let means = [design.columns[0].mean, design.columns[1].mean];
        assert_eq!(design.entries(4), (&[0u32, 1][..], &means[..]));
        assert_eq!(design.entries(0).0.len(), 0);
        assert_eq!(design.columns[0].value(f64::NAN), 0.0);
    }
}
