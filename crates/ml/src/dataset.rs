//! The matrix a model learns from, and what each of its columns means.

use serde::{Deserialize, Serialize};

/// A text in both UI languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Words {
    pub ja: String,
    pub en: String,
}

impl Words {
    /// Words in Japanese and English.
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Words {
        Words {
            ja: ja.into(),
            en: en.into(),
        }
    }

    /// The text in `lang` ("en" gives English, anything else Japanese).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "en" { &self.en } else { &self.ja }
    }
}

/// How a feature's value is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureKind {
    /// A number (count, duration, score…); `NaN` when unknown.
    Numeric,
    /// 1.0 when the lead has the property the feature names, 0.0 otherwise.
    Indicator,
}

/// One column of a [`Dataset`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// Stable identifier, e.g. `source=展示会` or `events.download.30d`.
    pub key: String,
    /// The input column or concept the feature comes from (`Lead Source`, `source`);
    /// reasons of one group are shown together.
    pub group: String,
    /// What the feature is, for a reason line: "ウェビナー参加 (30日)" / "Webinars attended (30 days)".
    pub words: Words,
    pub kind: FeatureKind,
}

/// Rows of numbers (row-major, `NaN` for missing), the meaning of each column, and the
/// outcome of each row when known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    pub features: Vec<Feature>,
    /// `rows() * features.len()` values, row after row.
    pub values: Vec<f64>,
    /// One per row when the outcome is known (training, evaluation); empty when scoring.
    pub labels: Vec<bool>,
}

impl Dataset {
    /// An empty dataset with these columns.
    pub fn new(features: Vec<Feature>) -> Dataset {
        Dataset {
            features,
            values: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.features.len()
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        if self.features.is_empty() {
            0
        } else {
            self.values.len() / self.features.len()
        }
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let w = self.width();
        &self.values[i * w..(i + 1) * w]
    }

    /// Append a row (`values.len()` must equal [`Dataset::width`]) and its outcome if known.
    pub fn push(&mut self, values: &[f64], label: Option<bool>) {
        assert_eq!(
            values.len(),
            self.width(),
            "a row has one value per feature"
        );
        self.values.extend_from_slice(values);
        if let Some(label) = label {
            self.labels.push(label);
        }
    }

    /// The rows at `indices`, in that order, with their labels.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut out = Dataset::new(self.features.clone());
        out.values.reserve(indices.len() * self.width());
        for &i in indices {
            out.values.extend_from_slice(self.row(i));
            if !self.labels.is_empty() {
                out.labels.push(self.labels[i]);
            }
        }
        out
    }

    /// Number of positive labels.
    pub fn positives(&self) -> usize {
        self.labels.iter().filter(|&&l| l).count()
    }
}
