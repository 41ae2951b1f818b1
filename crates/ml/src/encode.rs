//! Turning the typed columns of a [`Table`] into the numbers a model learns from.
//!
//! The [`Encoder`] is fitted on the training rows only (the levels it knows, which
//! columns get a "missing" indicator), then encodes any row the same way:
//!
//! * numeric column → its value (`NaN` when missing), plus an indicator "missing" when
//!   some training rows had no value;
//! * date column → days since 1970-01-01, plus "missing" likewise;
//! * categorical column → one indicator per level seen at least
//!   [`EncodeOptions::min_level_count`] times (the [`EncodeOptions::max_levels`] most
//!   frequent), one for every other value, one for "missing";
//! * free text, identifiers, constant and empty columns are left out.
//!
//! Feature words keep the user's column name: `Lead Source: Google` in both languages,
//! `Lead Source: 未入力` / `Lead Source: missing`.

use std::collections::HashMap;

use crate::table::{ColumnKind, Table, clean, is_missing, parse_date, parse_number};
use crate::{Dataset, Feature, FeatureKind, Words};

/// How categorical columns are encoded.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeOptions {
    /// At most this many levels per column get their own indicator.
    pub max_levels: usize,
    /// A level needs at least this many training rows to get its own indicator.
    pub min_level_count: usize,
    /// Read `12,5` as 12.5 (files delimited by `;`).
    pub comma_decimal: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            max_levels: 30,
            min_level_count: 10,
            comma_decimal: false,
        }
    }
}

/// How one input column becomes features.
#[derive(Debug, Clone, PartialEq)]
enum Code {
    /// A number (or a date as days) at `value`, and its missing indicator.
    Number {
        date: bool,
        value: usize,
        missing: Option<usize>,
    },
    /// One-hot levels (lowercased cleaned value → feature), the rest, missing.
    Levels {
        levels: HashMap<String, usize>,
        other: Option<usize>,
        missing: Option<usize>,
    },
}

/// One encoded input column.
#[derive(Debug, Clone, PartialEq)]
struct ColumnCode {
    col: usize,
    code: Code,
}

/// Encodes table rows into [`Dataset`] rows; fitted on training rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoder {
    columns: Vec<ColumnCode>,
    features: Vec<Feature>,
    comma_decimal: bool,
}

impl Encoder {
    /// Fit on the training `rows` of `table`, whose columns are typed by `kinds` (one
    /// per header). Only numeric, date and categorical columns are encoded.
    pub fn fit(
        table: &Table,
        kinds: &[ColumnKind],
        rows: &[usize],
        opts: &EncodeOptions,
    ) -> Encoder {
        let mut features: Vec<Feature> = Vec::new();
        let mut columns = Vec::new();
        for (col, &kind) in kinds.iter().enumerate() {
            let code = match kind {
                ColumnKind::Numeric | ColumnKind::Date => fit_number(
                    table,
                    col,
                    kind == ColumnKind::Date,
                    rows,
                    opts,
                    &mut features,
                ),
                ColumnKind::Categorical => fit_levels(table, col, rows, opts, &mut features),
                _ => None,
            };
            if let Some(code) = code {
                columns.push(ColumnCode { col, code });
            }
        }
        Encoder {
            columns,
            features,
            comma_decimal: opts.comma_decimal,
        }
    }

    /// The features every encoded row has, in order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// How many features input column `col` became (0 when it is left out).
    pub fn features_of(&self, col: usize) -> usize {
        let count = |c: &ColumnCode| match &c.code {
            Code::Number { missing, .. } => 1 + usize::from(missing.is_some()),
            Code::Levels {
                levels,
                other,
                missing,
            } => levels.len() + usize::from(other.is_some()) + usize::from(missing.is_some()),
        };
        self.columns
            .iter()
            .find(|c| c.col == col)
            .map(count)
            .unwrap_or(0)
    }

    /// Encode table row `row` into `out` (cleared first; one value per feature).
    pub fn encode_row(&self, table: &Table, row: usize, out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.features.len(), 0.0);
        for c in &self.columns {
            let raw = table.cell(row, c.col);
            let absent = is_missing(raw);
            match &c.code {
                Code::Number {
                    date,
                    value,
                    missing,
                } => {
                    let v = if absent {
                        None
                    } else if *date {
                        parse_date(raw)
                    } else {
                        parse_number(raw, self.comma_decimal)
                    };
                    out[*value] = v.unwrap_or(f64::NAN);
                    if let Some(m) = missing {
                        out[*m] = if v.is_none() { 1.0 } else { 0.0 };
                    }
                }
                Code::Levels {
                    levels,
                    other,
                    missing,
                } => {
                    if absent {
                        if let Some(m) = missing {
                            out[*m] = 1.0;
                        }
                    } else if let Some(&i) = levels.get(&level_key(raw)) {
                        out[i] = 1.0;
                    } else if let Some(o) = other {
                        out[*o] = 1.0;
                    }
                }
            }
        }
    }

    /// Encode `rows` of `table` into a dataset; `labels` (one per table row) gives each
    /// row's outcome when known.
    pub fn transform(
        &self,
        table: &Table,
        rows: &[usize],
        labels: Option<&[Option<bool>]>,
    ) -> Dataset {
        let mut data = Dataset::new(self.features.clone());
        data.values.reserve(rows.len() * self.features.len());
        let mut buf = Vec::with_capacity(self.features.len());
        for &row in rows {
            self.encode_row(table, row, &mut buf);
            data.push(&buf, labels.and_then(|l| l[row]));
        }
        data
    }
}

/// The key a categorical value is compared by: cleaned (NFKC, trimmed) and lowercased, so
/// that `Google` and `google` are one level.
pub fn level_key(raw: &str) -> String {
    clean(raw).to_lowercase()
}

fn fit_number(
    table: &Table,
    col: usize,
    date: bool,
    rows: &[usize],
    opts: &EncodeOptions,
    features: &mut Vec<Feature>,
) -> Option<Code> {
    let name = &table.headers[col];
    let parse = |raw: &str| {
        if is_missing(raw) {
            None
        } else if date {
            parse_date(raw)
        } else {
            parse_number(raw, opts.comma_decimal)
        }
    };
    let missing_rows = rows
        .iter()
        .filter(|&&r| parse(table.cell(r, col)).is_none())
        .count();
    if missing_rows == rows.len() {
        return None;
    }
    let value = features.len();
    features.push(Feature {
        key: format!("{}:{name}", if date { "date" } else { "num" }),
        group: name.clone(),
        words: if date {
            Words::new(format!("{name}（日付）"), format!("{name} (date)"))
        } else {
            Words::new(name.clone(), name.clone())
        },
        kind: FeatureKind::Numeric,
    });
    let missing = (missing_rows > 0).then(|| push_missing(name, features));
    Some(Code::Number {
        date,
        value,
        missing,
    })
}

fn push_missing(name: &str, features: &mut Vec<Feature>) -> usize {
    features.push(Feature {
        key: format!("missing:{name}"),
        group: name.to_owned(),
        words: Words::new(format!("{name}: 未入力"), format!("{name}: missing")),
        kind: FeatureKind::Indicator,
    });
    features.len() - 1
}

fn fit_levels(
    table: &Table,
    col: usize,
    rows: &[usize],
    opts: &EncodeOptions,
    features: &mut Vec<Feature>,
) -> Option<Code> {
    let name = &table.headers[col];
    // key → (count, spellings with their counts)
    let mut counts: HashMap<String, (usize, HashMap<String, usize>)> = HashMap::new();
    let mut missing_rows = 0;
    for &r in rows {
        let raw = table.cell(r, col);
        if is_missing(raw) {
            missing_rows += 1;
            continue;
        }
        let shown = clean(raw).into_owned();
        let e = counts.entry(shown.to_lowercase()).or_default();
        e.0 += 1;
        *e.1.entry(shown).or_default() += 1;
    }
    if counts.is_empty() {
        return None;
    }
    let mut ranked: Vec<(String, usize, String)> = counts
        .into_iter()
        .map(|(key, (n, spellings))| {
            let shown = spellings
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                .map(|(s, _)| s)
                .unwrap_or_else(|| key.clone());
            (key, n, shown)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let kept = ranked
        .iter()
        .take(opts.max_levels)
        .take_while(|(_, n, _)| *n >= opts.min_level_count)
        .count();
    let mut levels = HashMap::new();
    for (key, _, shown) in &ranked[..kept] {
        levels.insert(key.clone(), features.len());
        features.push(Feature {
            key: format!("level:{name}={shown}"),
            group: name.clone(),
            words: Words::new(format!("{name}: {shown}"), format!("{name}: {shown}")),
            kind: FeatureKind::Indicator,
        });
    }
    let other = (kept < ranked.len()).then(|| {
        features.push(Feature {
            key: format!("other:{name}"),
            group: name.clone(),
            words: Words::new(format!("{name}: その他"), format!("{name}: other")),
            kind: FeatureKind::Indicator,
        });
        features.len() - 1
    });
    let missing = (missing_rows > 0).then(|| push_missing(name, features));
    Some(Code::Levels {
        levels,
        other,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let rows = [
            ["Google", "3", "2025-01-01", "x"],
            ["google", "", "2025-01-03", "y"],
            ["展示会", "5", "Select", "z"],
            ["Select", "1,000", "2025-01-02", "w"],
            ["Rare", "2", "2025-01-05", "v"],
        ];
        Table::new(
            vec![
                "Lead Source".into(),
                "Visits".into(),
                "Created".into(),
                "Memo".into(),
            ],
            rows.iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect())
                .collect(),
        )
    }

    const KINDS: [ColumnKind; 4] = [
        ColumnKind::Categorical,
        ColumnKind::Numeric,
        ColumnKind::Date,
        ColumnKind::FreeText,
    ];

    fn opts() -> EncodeOptions {
        EncodeOptions {
            min_level_count: 1,
            ..Default::default()
        }
    }

    #[test]
    fn features_and_words() {
        let t = table();
        let enc = Encoder::fit(&t, &KINDS, &[0, 1, 2, 3, 4], &opts());
        let en: Vec<&str> = enc.features().iter().map(|f| f.words.en.as_str()).collect();
        assert_eq!(
            en,
            [
                "Lead Source: Google",
                "Lead Source: Rare",
                "Lead Source: 展示会",
                "Lead Source: missing",
                "Visits",
                "Visits: missing",
                "Created (date)",
                "Created: missing",
            ]
        );
        assert_eq!(enc.features()[3].words.ja, "Lead Source: 未入力");
        assert!(enc.features()[..4].iter().all(|f| f.group == "Lead Source"));
        assert_eq!(enc.features_of(3), 0, "free text is left out");
        assert_eq!(enc.features_of(0), 4);
    }

    #[test]
    fn rows_encode_on_the_fitted_levels() {
        let t = table();
        // Fitted on the first three rows only: "Rare" and the thousand are unseen.
        let enc = Encoder::fit(&t, &KINDS, &[0, 1, 2], &opts());
        let labels = vec![Some(true), Some(false), None, Some(true), Some(false)];
        let d = enc.transform(&t, &[0, 1, 2, 3, 4], Some(&labels));
        assert_eq!(d.rows(), 5);
        assert_eq!(
            d.labels,
            [true, false, true, false],
            "the unlabelled row has none"
        );
        let keys: Vec<&str> = d.features.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "level:Lead Source=Google",
                "level:Lead Source=展示会",
                "num:Visits",
                "missing:Visits",
                "date:Created",
                "missing:Created",
            ],
            "no other (every value was kept), no missing source (none in training)"
        );
        assert_eq!(&d.row(0)[..4], &[1.0, 0.0, 3.0, 0.0]);
        assert_eq!(d.row(1)[0], 1.0, "google and Google are one level");
        assert!(d.row(1)[2].is_nan());
        assert_eq!(d.row(1)[3], 1.0);
        assert_eq!(d.row(3)[2], 1000.0);
        assert_eq!(
            &d.row(4)[..2],
            &[0.0, 0.0],
            "an unseen level is nothing known"
        );
        assert_eq!(d.row(0)[4], 20089.0);
        assert!(d.row(2)[4].is_nan());
        assert_eq!(d.row(2)[5], 1.0);
    }

    #[test]
    fn rare_levels_go_to_other() {
        let t = table();
        let enc = Encoder::fit(
            &t,
            &KINDS,
            &[0, 1, 2, 3, 4],
            &EncodeOptions {
                min_level_count: 2,
                ..Default::default()
            },
        );
        let en: Vec<&str> = enc.features().iter().map(|f| f.words.en.as_str()).collect();
        assert_eq!(
            en[..3],
            [
                "Lead Source: Google",
                "Lead Source: other",
                "Lead Source: missing"
            ]
        );
        let mut row = Vec::new();
        enc.encode_row(&t, 2, &mut row);
        assert_eq!(&row[..3], &[0.0, 1.0, 0.0]);
    }
}
