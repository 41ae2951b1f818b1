//! The backtest: how well would the AI score have ranked a spreadsheet of past leads?
//!
//! [`evaluate`] types the columns, reads the outcome column, splits the labelled rows into
//! a training and a test part (stratified, deterministic for a seed), fits the encoder
//! and the model (chosen by cross-validation) on the training part only, and measures the
//! test part: AUC, a gain chart, a calibration curve and the strongest factors. Columns
//! that look like they leak the outcome are named in warnings; they stay in the model
//! unless the user excludes them.

use std::collections::HashMap;

use serde::Serialize;

use crate::encode::{EncodeOptions, Encoder, level_key};
use crate::metrics::{self, CalibrationBin, GainPoint};
use crate::model::{self, TrainOptions};
use crate::table::{
    ColumnKind, LeakWarning, Table, column_type, is_missing, leak_warning, parse_date, parse_label,
    parse_number,
};
use crate::{MlError, Words};

/// What to evaluate and how.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluateOptions {
    /// The outcome column.
    pub label: String,
    /// Columns to leave out (identifiers, columns known to leak the outcome).
    pub exclude: Vec<String>,
    /// Share of the labelled rows kept aside for the test (0 < holdout < 1).
    pub holdout: f64,
    /// Seed of the split and of the training.
    pub seed: u64,
    /// Read `12,5` as 12.5 (the file was delimited by `;`).
    pub semicolon_decimal: bool,
}

impl Default for EvaluateOptions {
    fn default() -> Self {
        EvaluateOptions {
            label: String::new(),
            exclude: Vec::new(),
            holdout: 0.2,
            seed: 1,
            semicolon_decimal: false,
        }
    }
}

/// The result of a backtest.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// ROC AUC of the model's scores on the test rows.
    pub auc: f64,
    /// The chosen model (`logistic_regression` or `gradient_boosting`).
    pub model: String,
    /// Data rows in the table.
    pub rows: usize,
    pub rows_train: usize,
    pub rows_test: usize,
    pub positives_train: usize,
    pub positives_test: usize,
    /// Rows left out because their outcome cell was empty.
    pub rows_without_label: usize,
    /// The outcome column as named in the table.
    pub label: String,
    /// The value counted as positive, and the other one.
    pub label_positive: String,
    pub label_negative: String,
    /// Why that value is the positive one.
    pub label_rule: String,
    pub holdout: f64,
    pub seed: u64,
    /// Number of features the model saw.
    pub features: usize,
    /// Each model tried, with its cross-validated AUC on the training part.
    pub candidates: Vec<CandidateAuc>,
    /// Every column: its type, and whether it was used (or why not).
    pub columns: Vec<ColumnReport>,
    pub leak_warnings: Vec<LeakWarning>,
    /// Cumulative gain on the test rows at 0 %, 10 %, … 100 % of leads.
    pub gain: Vec<GainPoint>,
    /// Predicted against observed rates in 10 bins on the test rows.
    pub calibration: Vec<CalibrationBin>,
    /// The columns that moved scores most on the test rows, strongest first.
    pub top_factors: Vec<TopFactor>,
    /// Test rows (indices into the table's data rows).
    #[serde(skip)]
    pub test_rows: Vec<usize>,
    /// Training rows (indices into the table's data rows).
    #[serde(skip)]
    pub train_rows: Vec<usize>,
}

/// A model tried during selection.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateAuc {
    pub model: String,
    pub cv_auc: f64,
}

/// One column of the table as the backtest saw it.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    pub name: String,
    pub kind: ColumnKind,
    /// True when the column fed the model.
    pub used: bool,
    /// How many features it became.
    pub features: usize,
    /// Labelled rows with a value, and distinct values among them.
    pub present: usize,
    pub distinct: usize,
    /// Why it was left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A column's overall weight in the scores.
#[derive(Debug, Clone, Serialize)]
pub struct TopFactor {
    /// The column.
    pub group: String,
    /// Mean absolute effect on the log-odds over the test rows.
    pub mean_abs_weight: f64,
    /// The value of this column that most often raised a score, and that most often
    /// lowered one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raises: Option<Words>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowers: Option<Words>,
}

/// How many factors [`Evaluation::top_factors`] lists.
const TOP_FACTORS: usize = 10;

/// Run the backtest on `table`.
///
/// Errors name the column: an unknown label or excluded column (listing the available
/// ones), a label that is not binary (listing the values found), too few rows or
/// positives to learn from or to test on.
pub fn evaluate(table: &Table, opts: &EvaluateOptions) -> Result<Evaluation, MlError> {
    if !(opts.holdout > 0.0 && opts.holdout < 1.0) {
        return Err(MlError::Input(format!(
            "the holdout must be a share between 0 and 1 (e.g. 0.2), not {}",
            opts.holdout
        )));
    }
    let label_col = find(table, &opts.label, "label")?;
    let mut excluded = vec![false; table.headers.len()];
    for name in &opts.exclude {
        excluded[find(table, name, "excluded")?] = true;
    }
    let label_name = table.headers[label_col].clone();
    let cells: Vec<&str> = (0..table.len()).map(|r| table.cell(r, label_col)).collect();
    let labels = parse_label(&label_name, &cells)?;
    let labelled: Vec<usize> = (0..table.len())
        .filter(|&r| labels.values[r].is_some())
        .collect();
    let outcomes: Vec<bool> = labelled
        .iter()
        .map(|&r| labels.values[r] == Some(true))
        .collect();

    let (train_pos, test_pos) = metrics::stratified_split(&outcomes, opts.holdout, opts.seed);
    let train_rows: Vec<usize> = train_pos.iter().map(|&i| labelled[i]).collect();
    let test_rows: Vec<usize> = test_pos.iter().map(|&i| labelled[i]).collect();
    let test_labels: Vec<bool> = test_pos.iter().map(|&i| outcomes[i]).collect();
    let train_labels: Vec<bool> = train_pos.iter().map(|&i| outcomes[i]).collect();
    let positives_test = test_labels.iter().filter(|&&l| l).count();
    if positives_test == 0 || positives_test == test_labels.len() {
        return Err(MlError::Input(format!(
            "the test part ({} rows) needs rows of both outcomes in \"{label_name}\"; use more rows or a larger holdout",
            test_labels.len()
        )));
    }

    // Column types from the labelled rows.
    let mut kinds = Vec::with_capacity(table.headers.len());
    let mut columns = Vec::with_capacity(table.headers.len());
    for (col, name) in table.headers.iter().enumerate() {
        let values: Vec<&str> = labelled.iter().map(|&r| table.cell(r, col)).collect();
        let typed = column_type(name, &values, opts.semicolon_decimal);
        let (kind, reason) = if col == label_col {
            (ColumnKind::Label, Some("the outcome".to_owned()))
        } else if excluded[col] {
            (typed.kind, Some("excluded by the user".to_owned()))
        } else {
            (typed.kind, typed.note.clone())
        };
        kinds.push(if reason.is_some() {
            ColumnKind::Empty
        } else {
            kind
        });
        columns.push(ColumnReport {
            name: name.clone(),
            kind,
            used: false,
            features: 0,
            present: typed.present,
            distinct: typed.distinct,
            reason,
        });
    }

    let leak_warnings: Vec<LeakWarning> = kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| {
            matches!(
                k,
                ColumnKind::Numeric | ColumnKind::Date | ColumnKind::Categorical
            )
        })
        .filter_map(|(col, &kind)| {
            let groups = value_groups(table, col, kind, &train_rows, opts.semicolon_decimal);
            leak_warning(&table.headers[col], &groups, &train_labels)
        })
        .collect();

    let encoder = Encoder::fit(
        table,
        &kinds,
        &train_rows,
        &EncodeOptions {
            comma_decimal: opts.semicolon_decimal,
            ..Default::default()
        },
    );
    for (col, report) in columns.iter_mut().enumerate() {
        report.features = encoder.features_of(col);
        report.used = report.features > 0;
        if !report.used && report.reason.is_none() {
            report.reason = Some("no values in the training rows".to_owned());
        }
    }
    if encoder.features().is_empty() {
        return Err(MlError::Input(
            "no column can be used as a feature: every column is the label, excluded, an identifier, free text or constant".to_owned(),
        ));
    }
    let train_data = encoder.transform(table, &train_rows, Some(&labels.values));
    let test_data = encoder.transform(table, &test_rows, Some(&labels.values));

    let training = model::train(
        &train_data,
        &TrainOptions {
            seed: opts.seed,
            ..Default::default()
        },
    )?;
    let model = training.model;
    let probs = model.predict_dataset(&test_data);
    let auc = metrics::auc(&probs, &test_labels);
    let top_factors = top_factors(&model, &test_data);

    Ok(Evaluation {
        auc,
        model: model.kind.key().to_owned(),
        rows: table.len(),
        rows_train: train_rows.len(),
        rows_test: test_rows.len(),
        positives_train: train_labels.iter().filter(|&&l| l).count(),
        positives_test,
        rows_without_label: labels.missing,
        label: label_name,
        label_positive: labels.positive,
        label_negative: labels.negative,
        label_rule: labels.rule,
        holdout: opts.holdout,
        seed: opts.seed,
        features: encoder.features().len(),
        candidates: training
            .candidates
            .iter()
            .map(|c| CandidateAuc {
                model: c.kind.key().to_owned(),
                cv_auc: c.cv_auc,
            })
            .collect(),
        columns,
        leak_warnings,
        gain: metrics::gain_curve(&probs, &test_labels, 11),
        calibration: metrics::calibration_curve(&probs, &test_labels, 10),
        top_factors,
        test_rows,
        train_rows,
    })
}

/// The column `name` (`what` says which option named it in the error).
fn find(table: &Table, name: &str, what: &str) -> Result<usize, MlError> {
    table.find_column(name).ok_or_else(|| {
        MlError::Input(format!(
            "the {what} column \"{name}\" is not in the file; its columns are: {}",
            table
                .headers
                .iter()
                .map(|h| format!("\"{h}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// Quantile bins of a numeric column for the leak check.
const LEAK_BINS: usize = 20;
/// The group of rows without a value.
const MISSING_GROUP: u32 = u32::MAX;

/// Each of `rows`' value of column `col` as a group number: its category, or its
/// quantile bin among the rows' numbers; [`MISSING_GROUP`] when missing.
fn value_groups(
    table: &Table,
    col: usize,
    kind: ColumnKind,
    rows: &[usize],
    comma_decimal: bool,
) -> Vec<u32> {
    if kind == ColumnKind::Categorical {
        let mut ids: HashMap<String, u32> = HashMap::new();
        return rows
            .iter()
            .map(|&r| {
                let raw = table.cell(r, col);
                if is_missing(raw) {
                    MISSING_GROUP
                } else {
                    let next = ids.len() as u32;
                    *ids.entry(level_key(raw)).or_insert(next)
                }
            })
            .collect();
    }
    let values: Vec<Option<f64>> = rows
        .iter()
        .map(|&r| {
            let raw = table.cell(r, col);
            if is_missing(raw) {
                None
            } else if kind == ColumnKind::Date {
                parse_date(raw)
            } else {
                parse_number(raw, comma_decimal)
            }
        })
        .collect();
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let mut cuts: Vec<f64> = (1..LEAK_BINS)
        .filter_map(|k| sorted.get(k * sorted.len() / LEAK_BINS).copied())
        .collect();
    cuts.dedup();
    values
        .iter()
        .map(|v| match v {
            Some(x) => cuts.partition_point(|c| c <= x) as u32,
            None => MISSING_GROUP,
        })
        .collect()
}

/// The groups with the largest mean absolute effect over `data`'s rows.
fn top_factors(model: &model::Model, data: &crate::Dataset) -> Vec<TopFactor> {
    #[derive(Default)]
    struct Sum {
        abs: f64,
        raises: HashMap<String, (Words, usize)>,
        lowers: HashMap<String, (Words, usize)>,
        /// Sum and count of the group's number where it raised, and where it lowered.
        up: (f64, usize),
        down: (f64, usize),
    }
    // A numeric group is described by whether high or low values raise the score.
    let number_of = |group: &str| {
        data.features
            .iter()
            .position(|f| f.group == group && f.kind == crate::FeatureKind::Numeric)
    };
    let mut sums: Vec<(String, Option<usize>, Sum)> = Vec::new();
    for i in 0..data.rows() {
        let row = data.row(i);
        let reasons = model.reasons(row, usize::MAX);
        for (reason, up) in reasons
            .positive
            .iter()
            .map(|r| (r, true))
            .chain(reasons.negative.iter().map(|r| (r, false)))
        {
            let at = match sums.iter().position(|(g, _, _)| *g == reason.group) {
                Some(at) => at,
                None => {
                    sums.push((
                        reason.group.clone(),
                        number_of(&reason.group),
                        Sum::default(),
                    ));
                    sums.len() - 1
                }
            };
            let (_, number, sum) = &mut sums[at];
            sum.abs += reason.weight.abs();
            match number.map(|j| row[j]).filter(|x| x.is_finite()) {
                Some(x) => {
                    let side = if up { &mut sum.up } else { &mut sum.down };
                    side.0 += x;
                    side.1 += 1;
                }
                None if number.is_none() => {
                    let tally = if up { &mut sum.raises } else { &mut sum.lowers };
                    tally
                        .entry(reason.words.en.clone())
                        .or_insert_with(|| (reason.words.clone(), 0))
                        .1 += 1;
                }
                None => {}
            }
        }
    }
    let most = |tally: &HashMap<String, (Words, usize)>| {
        tally
            .iter()
            .max_by(|a, b| a.1.1.cmp(&b.1.1).then_with(|| b.0.cmp(a.0)))
            .map(|(_, (w, _))| w.clone())
    };
    let n = data.rows().max(1) as f64;
    let mut factors: Vec<TopFactor> = sums
        .into_iter()
        .map(|(group, number, sum)| {
            let (raises, lowers) = match number {
                Some(j) if sum.up.1 > 0 && sum.down.1 > 0 => {
                    let words = &data.features[j].words;
                    let high = Words::new(
                        format!("{}: 高い値", words.ja),
                        format!("{}: higher values", words.en),
                    );
                    let low = Words::new(
                        format!("{}: 低い値", words.ja),
                        format!("{}: lower values", words.en),
                    );
                    if sum.up.0 / sum.up.1 as f64 >= sum.down.0 / sum.down.1 as f64 {
                        (Some(high), Some(low))
                    } else {
                        (Some(low), Some(high))
                    }
                }
                Some(_) => (None, None),
                None => (most(&sum.raises), most(&sum.lowers)),
            };
            TopFactor {
                group,
                mean_abs_weight: sum.abs / n,
                raises,
                lowers,
            }
        })
        .collect();
    factors.sort_by(|a, b| b.mean_abs_weight.total_cmp(&a.mean_abs_weight));
    factors.truncate(TOP_FACTORS);
    factors
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Leads whose outcome rises with visits and with the source "展示会"; with an id,
    /// a column equal to the outcome, and a few rows without an outcome.
    fn table(n: usize) -> Table {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let rows = (0..n)
            .map(|i| {
                let source = ["展示会", "Web", "紹介", "Select"][rng.gen_range(0..4)];
                let visits: u32 = rng.gen_range(0..20);
                let logit =
                    -1.5 + 0.15 * f64::from(visits) + if source == "展示会" { 1.5 } else { 0.0 };
                let won = rng.r#gen::<f64>() < 1.0 / (1.0 + (-logit).exp());
                let outcome = match (i % 50, won) {
                    (3, _) => "",
                    (_, true) => "受注",
                    (_, false) => "失注",
                };
                vec![
                    format!("L{i:05}"),
                    source.to_owned(),
                    visits.to_string(),
                    outcome.to_owned(),
                    outcome.to_owned(),
                ]
            })
            .collect();
        let headers = ["リードID", "流入元", "訪問回数", "商談結果", "受注"];
        Table::new(headers.iter().map(|h| h.to_string()).collect(), rows)
    }

    fn options() -> EvaluateOptions {
        EvaluateOptions {
            label: "受注".into(),
            exclude: vec!["商談結果".into()],
            ..Default::default()
        }
    }

    #[test]
    fn backtest_of_a_table() {
        let e = evaluate(&table(1000), &options()).unwrap();
        assert!(e.auc > 0.7, "{}", e.auc);
        assert_eq!(e.rows_without_label, 20);
        assert_eq!(e.rows_train + e.rows_test, 980);
        assert_eq!(e.test_rows.len(), e.rows_test);
        assert_eq!(e.label_positive, "受注");
        assert_eq!(e.gain.len(), 11);
        let kind = |name: &str| e.columns.iter().find(|c| c.name == name).unwrap();
        assert_eq!(kind("リードID").kind, ColumnKind::Identifier);
        assert!(!kind("リードID").used);
        assert!(kind("流入元").used && kind("訪問回数").used);
        assert_eq!(kind("受注").kind, ColumnKind::Label);
        assert!(e.leak_warnings.is_empty(), "{:?}", e.leak_warnings);
        assert_eq!(e.top_factors[0].group, "訪問回数", "{:?}", e.top_factors);

        // The excluded column restates the outcome: kept in, it is named.
        let leaky = evaluate(
            &table(1000),
            &EvaluateOptions {
                exclude: Vec::new(),
                ..options()
            },
        )
        .unwrap();
        let w = &leaky.leak_warnings[0];
        assert_eq!((w.column.as_str(), w.kind), ("商談結果", "auc"));
        assert!(leaky.auc > 0.99);
    }

    #[test]
    fn errors_name_the_column() {
        let t = table(300);
        let e = evaluate(
            &t,
            &EvaluateOptions {
                label: "成約".into(),
                ..options()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("\"成約\"") && e.contains("\"流入元\", \"訪問回数\""),
            "{e}"
        );
        let e = evaluate(
            &t,
            &EvaluateOptions {
                exclude: vec!["Tags".into()],
                ..options()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("the excluded column \"Tags\""), "{e}");
        let e = evaluate(
            &t,
            &EvaluateOptions {
                label: "流入元".into(),
                ..options()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("exactly two values"), "{e}");
        let e = evaluate(
            &t,
            &EvaluateOptions {
                holdout: 0.0,
                ..options()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("holdout"), "{e}");
        let e = evaluate(&table(100), &options()).unwrap_err();
        assert!(matches!(e, MlError::NotEnoughOutcomes { .. }), "{e}");
    }
}
