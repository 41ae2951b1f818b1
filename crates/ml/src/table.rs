//! A spreadsheet of past leads as text, and what each of its columns holds.
//!
//! Columns are typed from their values alone ([`column_type`]): numbers, categories, dates,
//! free text, identifiers, constants. Placeholders such as `Select`, `--`, `N/A`, `未選択`
//! or `不明` count as missing ([`is_missing`]). The outcome column is parsed by
//! [`parse_label`], and [`leak_warning`] names columns that look like they were written
//! after the outcome was known.

use std::borrow::Cow;
use std::collections::HashMap;

use ondo_domain::text::normalize_text;
use serde::Serialize;

use crate::{MlError, Words};

/// A table of text: the header names and the data rows (each as wide as the header).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers and rows.
    pub fn new(headers: Vec<String>, rows: Vec<Vec<String>>) -> Table {
        Table { headers, rows }
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no data rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The cell at `row`, `col` (empty when the row is shorter).
    pub fn cell(&self, row: usize, col: usize) -> &str {
        self.rows[row].get(col).map(String::as_str).unwrap_or("")
    }

    /// The column named `name`: the exact name first, then ignoring case, width (NFKC)
    /// and surrounding spaces.
    pub fn find_column(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.headers.iter().position(|h| h == name) {
            return Some(i);
        }
        let wanted = name_key(name);
        self.headers.iter().position(|h| name_key(h) == wanted)
    }
}

/// A header name compared loosely.
fn name_key(name: &str) -> String {
    normalize_text(name).to_lowercase()
}

/// What a column holds, decided from its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Numbers (thousands separators, full-width digits, `%`, `円` allowed).
    Numeric,
    /// A few values that repeat.
    Categorical,
    /// Long, mostly unique text (notes, inquiry bodies).
    FreeText,
    /// Mostly unique short values: ids, lead numbers, emails, phones, names.
    Identifier,
    /// Dates, with or without a time of day.
    Date,
    /// One value in every row that has one.
    Constant,
    /// No values at all.
    Empty,
    /// The outcome the model learns.
    Label,
}

impl ColumnKind {
    /// Stable key for JSON and UI.
    pub fn key(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
            ColumnKind::FreeText => "free_text",
            ColumnKind::Identifier => "identifier",
            ColumnKind::Date => "date",
            ColumnKind::Constant => "constant",
            ColumnKind::Empty => "empty",
            ColumnKind::Label => "label",
        }
    }
}

/// The value as compared and parsed: trimmed, and NFKC-normalised when not plain ASCII
/// (full-width digits and letters become ASCII).
pub fn clean(raw: &str) -> Cow<'_, str> {
    let trimmed = raw.trim();
    if trimmed.is_ascii() {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(normalize_text(trimmed))
    }
}

/// Placeholders that mean "nothing chosen" or "unknown" (compared after [`clean`], ASCII
/// case-insensitively). `Select` is what web forms store when the visitor chose nothing.
const MISSING: [&str; 20] = [
    "",
    "select",
    "-",
    "--",
    "---",
    "n/a",
    "na",
    "#n/a",
    "null",
    "nan",
    "none selected",
    "(blank)",
    "(空白)",
    "未選択",
    "不明",
    "未入力",
    "選択してください",
    "ー",
    "―",
    "?",
];

/// True when the cell holds no value (empty or a placeholder such as `Select` or `不明`).
pub fn is_missing(raw: &str) -> bool {
    let value = clean(raw);
    MISSING.iter().any(|m| value.eq_ignore_ascii_case(m))
}

/// The number in a cell: `1,234`, `１２３`, `45%`, `¥1,200`, `1200円`, `-3.5`, `1e3`; with
/// `comma_decimal` (files delimited by `;`) `1.234,5` and `12,5` as well. `None` when the
/// cell is not a number.
pub fn parse_number(raw: &str, comma_decimal: bool) -> Option<f64> {
    let value = clean(raw);
    let mut s: &str = &value;
    s = s.strip_suffix('%').unwrap_or(s);
    s = s.strip_suffix('円').unwrap_or(s);
    s = s
        .strip_prefix('¥')
        .or_else(|| s.strip_prefix('$'))
        .or_else(|| s.strip_prefix('€'))
        .unwrap_or(s)
        .trim();
    if s.is_empty()
        || !s.bytes().any(|b| b.is_ascii_digit())
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    let plain: String = if comma_decimal && s.contains(',') {
        s.chars()
            .filter(|&c| c != '.')
            .map(|c| if c == ',' { '.' } else { c })
            .collect()
    } else if s.contains(',') {
        if !thousands_grouped(s) {
            return None;
        }
        s.chars().filter(|&c| c != ',').collect()
    } else {
        s.to_owned()
    };
    plain.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// True when every comma in `s` separates groups of exactly three digits (`1,234,567.8`).
fn thousands_grouped(s: &str) -> bool {
    let int_part = s.split(['.', 'e', 'E']).next().unwrap_or("");
    let int_part = int_part.trim_start_matches(['-', '+']);
    let mut groups = int_part.split(',');
    let first = groups.next().unwrap_or("");
    !first.is_empty() && first.len() <= 3 && groups.all(|g| g.len() == 3)
}

/// Days since 1970-01-01 (with the time of day as a fraction) of a date cell:
/// `2026-04-01`, `2026/4/1 9:30`, `2026年4月1日`, `2026-04-01T09:30:00+09:00`, 和暦
/// (`令和8年4月1日`). Bare numbers are not taken for dates.
pub fn parse_date(raw: &str) -> Option<f64> {
    let value = clean(raw);
    let s: &str = &value;
    let year_first = s.len() >= 8
        && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && matches!(s.as_bytes()[4], b'-' | b'/' | b'.')
        || s.chars().take(5).collect::<String>().contains('年');
    let era = ["令和", "平成", "昭和", "R", "H", "S"].iter().any(|e| {
        s.strip_prefix(e)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit() || c == '元'))
    });
    if !(year_first || era) {
        return None;
    }
    let date = ondo_domain::parse_date(s).ok()?;
    let days = (date.to_julian_day() - 2_440_588) as f64;
    Some(days + time_of_day(s).unwrap_or(0.0))
}

/// The time of day after the date (`9:30`, `09:30:15`) as a fraction of a day.
fn time_of_day(s: &str) -> Option<f64> {
    let rest = s.split_once([' ', 'T'])?.1;
    let mut parts = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0.0);
    if h >= 24.0 || m >= 60.0 || sec >= 61.0 {
        return None;
    }
    Some((h * 3600.0 + m * 60.0 + sec) / 86_400.0)
}

/// The type of a column and the figures it was decided from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnType {
    pub kind: ColumnKind,
    /// Cells with a value (not empty, not a placeholder).
    pub present: usize,
    /// Distinct values among them.
    pub distinct: usize,
    /// Why the column is what it is, when it is left out of a model (English).
    pub note: Option<String>,
}

/// Share of present values that must parse for a column to be numeric or a date.
const PARSE_SHARE: f64 = 0.95;

/// Type a column from its cells (`values`, one per row) and its `name` (used only to
/// recognise numeric identifiers such as "Lead Number"). `comma_decimal` reads `12,5`
/// as 12.5 (files delimited by `;`).
pub fn column_type(name: &str, values: &[&str], comma_decimal: bool) -> ColumnType {
    let present_values: Vec<Cow<'_, str>> = values
        .iter()
        .filter(|v| !is_missing(v))
        .map(|v| clean(v))
        .collect();
    let present = present_values.len();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for v in &present_values {
        *counts.entry(v.to_lowercase()).or_default() += 1;
    }
    let distinct = counts.len();
    let typed = |kind, note: Option<String>| ColumnType {
        kind,
        present,
        distinct,
        note,
    };
    if present == 0 {
        return typed(ColumnKind::Empty, Some("no values".to_owned()));
    }
    if distinct == 1 {
        return typed(
            ColumnKind::Constant,
            Some("the same value in every row".to_owned()),
        );
    }
    let enough = |n: usize| n as f64 >= PARSE_SHARE * present as f64;

    let numbers: Vec<f64> = present_values
        .iter()
        .filter_map(|v| parse_number(v, comma_decimal))
        .collect();
    // Codes written with leading zeros (postcodes, phone numbers) are text, not amounts.
    let leading_zeros = present_values
        .iter()
        .filter(|v| {
            let b = v.as_bytes();
            b.len() > 1 && b[0] == b'0' && b[1].is_ascii_digit()
        })
        .count();
    if enough(numbers.len()) && leading_zeros * 10 < present {
        if let Some(note) = numeric_identifier(name, &numbers) {
            return typed(ColumnKind::Identifier, Some(note));
        }
        return typed(ColumnKind::Numeric, None);
    }
    let dates = present_values
        .iter()
        .filter(|v| parse_date(v).is_some())
        .count();
    if enough(dates) {
        return typed(ColumnKind::Date, None);
    }

    if let Some(what) = identifier_pattern(&present_values) {
        return typed(ColumnKind::Identifier, Some(what.to_owned()));
    }
    let unique_share = distinct as f64 / present as f64;
    let mean_chars = present_values
        .iter()
        .map(|v| v.chars().count())
        .sum::<usize>() as f64
        / present as f64;
    let multi_word = present_values
        .iter()
        .filter(|v| v.split_whitespace().count() >= 4)
        .count();
    let texty = mean_chars >= 25.0 || multi_word * 2 >= present;
    if present >= 20 && unique_share >= 0.5 {
        return if texty {
            typed(
                ColumnKind::FreeText,
                Some("free text: long and mostly unique".to_owned()),
            )
        } else {
            typed(
                ColumnKind::Identifier,
                Some(format!(
                    "mostly unique values ({distinct} different in {present} rows): an identifier or a name"
                )),
            )
        };
    }
    if present >= 20 && mean_chars >= 40.0 && unique_share >= 0.2 {
        return typed(
            ColumnKind::FreeText,
            Some("free text: long and mostly unique".to_owned()),
        );
    }
    typed(ColumnKind::Categorical, None)
}

/// Why a numeric column is an identifier: unique whole numbers that increase (or
/// decrease) row by row, are densely packed, or sit in a column named like an id.
fn numeric_identifier(name: &str, numbers: &[f64]) -> Option<String> {
    if numbers.len() < 20 || numbers.iter().any(|v| v.fract() != 0.0) {
        return None;
    }
    let mut sorted = numbers.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let increasing = numbers.windows(2).all(|w| w[0] < w[1]);
    let decreasing = numbers.windows(2).all(|w| w[0] > w[1]);
    let span = sorted[sorted.len() - 1] - sorted[0] + 1.0;
    let dense = span <= 2.0 * numbers.len() as f64;
    if increasing || decreasing || dense || id_like_name(name) {
        Some("unique whole numbers: an identifier such as a lead number".to_owned())
    } else {
        None
    }
}

/// Column names that usually hold identifiers.
fn id_like_name(name: &str) -> bool {
    let lower = name_key(name);
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .any(|w| matches!(*w, "id" | "no" | "number" | "num" | "code" | "key" | "uuid"))
        || lower.ends_with("id")
        || ["番号", "コード", "ｺｰﾄﾞ"].iter().any(|k| lower.contains(k))
}

/// When most values are emails, URLs, UUIDs or phone numbers, what they are.
fn identifier_pattern(values: &[Cow<'_, str>]) -> Option<&'static str> {
    let n = values.len();
    let share = |f: &dyn Fn(&str) -> bool| values.iter().filter(|v| f(v)).count() * 10 >= n * 8;
    if share(&|v| v.contains('@') && v.rsplit('@').next().is_some_and(|d| d.contains('.'))) {
        return Some("email addresses: identify a lead, do not describe it");
    }
    if share(&|v| v.starts_with("http://") || v.starts_with("https://") || v.starts_with("www.")) {
        return Some("web addresses: identify a lead, do not describe it");
    }
    if share(&|v| {
        v.len() == 36
            && v.bytes().enumerate().all(|(i, b)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    b == b'-'
                } else {
                    b.is_ascii_hexdigit()
                }
            })
    }) {
        return Some("UUIDs: identifiers");
    }
    if share(&|v| {
        let digits = v.bytes().filter(u8::is_ascii_digit).count();
        (9..=15).contains(&digits)
            && v.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'(' | b')' | b'+' | b' '))
    }) {
        return Some("phone numbers: identify a lead, do not describe it");
    }
    None
}

/// The outcome of each row, read from the label column.
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    /// One per row; `None` when the cell is empty (the row is left out).
    pub values: Vec<Option<bool>>,
    /// The value counted as positive, as written in the file.
    pub positive: String,
    /// The other value.
    pub negative: String,
    /// Why `positive` is the positive one (English).
    pub rule: String,
    /// Rows without a label.
    pub missing: usize,
}

/// Words that mean a positive outcome (compared lowercased after [`clean`]).
const POSITIVE: [&str; 24] = [
    "1",
    "1.0",
    "yes",
    "y",
    "true",
    "t",
    "converted",
    "won",
    "win",
    "success",
    "positive",
    "成約",
    "受注",
    "はい",
    "有",
    "あり",
    "○",
    "◯",
    "〇",
    "済",
    "成功",
    "商談化",
    "案件化",
    "購入",
];

/// Words that mean a negative outcome.
const NEGATIVE: [&str; 25] = [
    "0",
    "0.0",
    "no",
    "n",
    "false",
    "f",
    "not converted",
    "lost",
    "lose",
    "failure",
    "negative",
    "失注",
    "いいえ",
    "無",
    "なし",
    "×",
    "✕",
    "未",
    "不成立",
    "未成約",
    "未受注",
    "見送り",
    "失敗",
    "未購入",
    "非成約",
];

/// Parse the label column `name` (cells `values`): exactly two distinct values, one of
/// them positive: a known word (1, yes, true, 成約, 受注, はい, converted, won…) or else the
/// rarer value. Empty cells leave their row out.
pub fn parse_label(name: &str, values: &[&str]) -> Result<Labels, MlError> {
    // Lowercased key → (display form, count), in order of first appearance.
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    let mut keys: Vec<Option<usize>> = Vec::with_capacity(values.len());
    for raw in values {
        if is_missing(raw) {
            keys.push(None);
            continue;
        }
        let value = clean(raw);
        let key = value.to_lowercase();
        let i = match seen.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                seen.push((key, value.into_owned(), 0));
                seen.len() - 1
            }
        };
        seen[i].2 += 1;
        keys.push(Some(i));
    }
    let missing = keys.iter().filter(|k| k.is_none()).count();
    let listed = |seen: &[(String, String, usize)]| {
        let mut by_count: Vec<&(String, String, usize)> = seen.iter().collect();
        by_count.sort_by_key(|e| std::cmp::Reverse(e.2));
        let shown: Vec<String> = by_count
            .iter()
            .take(10)
            .map(|(_, v, n)| format!("\"{v}\" ({n} rows)"))
            .collect();
        let more = if seen.len() > 10 {
            format!(" and {} more", seen.len() - 10)
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    };
    match seen.len() {
        0 => {
            return Err(MlError::Input(format!(
                "the label column \"{name}\" has no values"
            )));
        }
        1 => {
            return Err(MlError::Input(format!(
                "the label column \"{name}\" holds only one value, {}: a backtest needs rows of both outcomes (e.g. 成約 and 失注, 1 and 0){}",
                listed(&seen),
                if missing > 0 {
                    format!("; {missing} rows with an empty label were left out")
                } else {
                    String::new()
                }
            )));
        }
        2 => {}
        _ => {
            return Err(MlError::Input(format!(
                "the label column \"{name}\" must hold exactly two values (e.g. 1/0, yes/no, 成約/失注), but it holds {}: {}",
                seen.len(),
                listed(&seen)
            )));
        }
    }
    let known = |list: &[&str], key: &str| list.contains(&key);
    let (a, b) = (&seen[0], &seen[1]);
    let (positive, rule) = if known(&POSITIVE, &a.0) && !known(&POSITIVE, &b.0) {
        (0, "a word for a positive outcome")
    } else if known(&POSITIVE, &b.0) && !known(&POSITIVE, &a.0) {
        (1, "a word for a positive outcome")
    } else if known(&NEGATIVE, &a.0) && !known(&NEGATIVE, &b.0) {
        (1, "the other value is a word for a negative outcome")
    } else if known(&NEGATIVE, &b.0) && !known(&NEGATIVE, &a.0) {
        (0, "the other value is a word for a negative outcome")
    } else if a.2 < b.2 {
        (0, "the rarer of the two values")
    } else {
        (1, "the rarer of the two values")
    };
    let values = keys.into_iter().map(|k| k.map(|i| i == positive)).collect();
    Ok(Labels {
        values,
        positive: seen[positive].1.clone(),
        negative: seen[1 - positive].1.clone(),
        rule: format!(
            "\"{}\" counts as the positive outcome ({rule})",
            seen[positive].1
        ),
        missing,
    })
}

/// A column that may hold information only known after the outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeakWarning {
    pub column: String,
    /// `name` (the column's name suggests it), `auc` (it predicts the outcome too well on
    /// its own) or `purity` (one of its values almost always means the same outcome).
    pub kind: &'static str,
    /// The column's AUC on its own, on the training rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auc: Option<f64>,
    /// Why, in both languages.
    pub message: Words,
}

/// On its own, a column that ranks the outcome this well is suspect.
pub const LEAK_AUC: f64 = 0.90;

/// Words in a column name that suggest data written after the outcome (English words are
/// whole words; Japanese ones substrings).
const OUTCOME_WORDS: [&str; 14] = [
    "status",
    "stage",
    "result",
    "results",
    "outcome",
    "quality",
    "tag",
    "tags",
    "reason",
    "won",
    "lost",
    "closed",
    "deal",
    "opportunity",
];
const OUTCOME_PHRASES: [&[&str]; 3] = [
    &["last", "activity"],
    &["last", "notable"],
    &["close", "date"],
];
const OUTCOME_WORDS_JA: [&str; 15] = [
    "結果",
    "ステータス",
    "状況",
    "商談",
    "受注",
    "失注",
    "成約",
    "案件",
    "フェーズ",
    "確度",
    "理由",
    "最終活動",
    "最終接触",
    "最終対応",
    "最終アクティビティ",
];

/// The word of the column name that suggests post-outcome data, if any.
pub fn outcome_word(name: &str) -> Option<String> {
    let lower = name_key(name);
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(w) = words.iter().find(|w| OUTCOME_WORDS.contains(w)) {
        return Some((*w).to_owned());
    }
    for phrase in OUTCOME_PHRASES {
        if words.windows(phrase.len()).any(|w| w == phrase) {
            return Some(phrase.join(" "));
        }
    }
    OUTCOME_WORDS_JA
        .iter()
        .find(|w| lower.contains(*w))
        .map(|w| (*w).to_owned())
}

/// The warning for column `name`, if any, from its name and from how well it predicts
/// the outcome on the training rows: `groups` gives each training row's value as a group
/// number (a category, a quantile bin, or "missing"), `labels` the outcomes.
pub fn leak_warning(name: &str, groups: &[u32], labels: &[bool]) -> Option<LeakWarning> {
    let stats = group_stats(groups, labels);
    let auc = stats.as_ref().map(|s| s.auc);
    if let Some(s) = &stats
        && s.auc >= LEAK_AUC
    {
        return Some(LeakWarning {
            column: name.to_owned(),
            kind: "auc",
            auc,
            message: Words::new(
                format!(
                    "「{name}」だけで結果をAUC {:.2}で当てられます。結果が分かった後に記入された列ではありませんか",
                    s.auc
                ),
                format!(
                    "\"{name}\" alone predicts the outcome with AUC {:.2}: was it filled in after the outcome was known?",
                    s.auc
                ),
            ),
        });
    }
    if let Some(word) = outcome_word(name) {
        return Some(LeakWarning {
            column: name.to_owned(),
            kind: "name",
            auc,
            message: Words::new(
                format!("列名（「{word}」）から、結果が分かった後に記入された列の可能性があります"),
                format!(
                    "the name (\"{word}\") suggests the column is filled in after the outcome is known"
                ),
            ),
        });
    }
    if let Some(s) = stats
        && let Some((share, rate)) = s.pure_group
    {
        return Some(LeakWarning {
            column: name.to_owned(),
            kind: "purity",
            auc,
            message: Words::new(
                format!(
                    "「{name}」の値の一つ（行の{:.0}%）で結果がほぼ決まります（陽性率{:.1}%）",
                    share * 100.0,
                    rate * 100.0
                ),
                format!(
                    "one value of \"{name}\" ({:.0}% of the rows) almost decides the outcome ({:.1}% positive)",
                    share * 100.0,
                    rate * 100.0
                ),
            ),
        });
    }
    None
}

/// How well a grouping of the rows predicts the outcome.
struct GroupStats {
    /// AUC of the groups' (smoothed) positive rates as a score.
    auc: f64,
    /// A group holding at least 3% of the rows whose outcome is almost always the same:
    /// (share of rows, positive rate).
    pure_group: Option<(f64, f64)>,
}

/// Smoothing weight of the overall rate in each group's rate (in rows): small groups do
/// not reach an extreme rate by chance.
const SMOOTHING: f64 = 10.0;

fn group_stats(groups: &[u32], labels: &[bool]) -> Option<GroupStats> {
    let total_pos = labels.iter().filter(|&&l| l).count() as f64;
    let total = labels.len() as f64;
    let total_neg = total - total_pos;
    if total_pos == 0.0 || total_neg == 0.0 {
        return None;
    }
    let base = total_pos / total;
    let mut counts: HashMap<u32, (f64, f64)> = HashMap::new();
    for (&g, &l) in groups.iter().zip(labels) {
        let e = counts.entry(g).or_default();
        if l {
            e.0 += 1.0;
        } else {
            e.1 += 1.0;
        }
    }
    let mut rated: Vec<(f64, f64, f64)> = counts
        .values()
        .map(|&(p, n)| ((p + SMOOTHING * base) / (p + n + SMOOTHING), p, n))
        .collect();
    rated.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Exact AUC over groups: a positive outranks the negatives of lower-rated groups and
    // ties with half of those of its own rate.
    let mut auc = 0.0;
    let mut neg_below = 0.0;
    let mut i = 0;
    while i < rated.len() {
        let mut j = i;
        let (mut p, mut n) = (0.0, 0.0);
        while j < rated.len() && rated[j].0 == rated[i].0 {
            p += rated[j].1;
            n += rated[j].2;
            j += 1;
        }
        auc += p * (neg_below + 0.5 * n);
        neg_below += n;
        i = j;
    }
    auc /= total_pos * total_neg;
    let pure_group = counts
        .values()
        .filter(|(p, n)| p + n >= (0.03 * total).max(30.0))
        .map(|&(p, n)| ((p + n) / total, p / (p + n)))
        .find(|&(_, rate)| (rate >= 0.99 && base <= 0.9) || (rate <= 0.005 && base >= 0.2));
    Some(GroupStats { auc, pure_group })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, values: &[&str]) -> ColumnKind {
        column_type(name, values, false).kind
    }

    fn repeat(values: &[&'static str], n: usize) -> Vec<&'static str> {
        values.iter().copied().cycle().take(n).collect()
    }

    #[test]
    fn placeholders_are_missing() {
        for v in [
            "",
            "  ",
            "Select",
            "select",
            "--",
            "-",
            "N/A",
            "NA",
            "null",
            "未選択",
            "不明",
            "－",
            "ＮＵＬＬ",
        ] {
            assert!(is_missing(v), "{v:?}");
        }
        for v in ["0", "No", "なし", "Selected", "A"] {
            assert!(!is_missing(v), "{v:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("1,234", false), Some(1234.0));
        assert_eq!(parse_number("１２３", false), Some(123.0));
        assert_eq!(parse_number("45%", false), Some(45.0));
        assert_eq!(parse_number("¥1,200", false), Some(1200.0));
        assert_eq!(parse_number("1200円", false), Some(1200.0));
        assert_eq!(parse_number("-3.5", false), Some(-3.5));
        assert_eq!(parse_number("12,5", true), Some(12.5));
        assert_eq!(parse_number("1.234,5", true), Some(1234.5));
        assert_eq!(parse_number("12,5", false), None);
        for bad in ["inf", "NaN", "abc", "3-4", "", "1,2,3"] {
            assert_eq!(parse_number(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02"), Some(1.0));
        assert_eq!(parse_date("1970/01/02 12:00"), Some(1.5));
        assert_eq!(parse_date("2026年4月1日"), parse_date("2026-04-01"));
        assert_eq!(parse_date("令和8年4月1日"), parse_date("2026-04-01"));
        assert!(parse_date("2026-04-01T09:30:00+09:00").is_some());
        assert_eq!(parse_date("46113"), None);
        assert_eq!(parse_date("2026-13-01"), None);
    }

    #[test]
    fn column_kinds() {
        let n = 200;
        let nums: Vec<String> = (0..n).map(|i| format!("{}", (i * 37) % 50)).collect();
        let nums: Vec<&str> = nums.iter().map(String::as_str).collect();
        assert_eq!(kind("Visits", &nums), ColumnKind::Numeric);

        let with_sep: Vec<String> = (0..n)
            .map(|i| format!("{},{:03}", i % 7 + 1, i % 13))
            .collect();
        let with_sep: Vec<&str> = with_sep.iter().map(String::as_str).collect();
        assert_eq!(kind("金額", &with_sep), ColumnKind::Numeric);

        let ids: Vec<String> = (0..n).map(|i| format!("{}", 660_000 + i * 3)).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(kind("Lead Number", &ids), ColumnKind::Identifier);
        let shuffled: Vec<String> = (0..n)
            .map(|i| format!("{}", (i * 7919) % 100_003 * 11))
            .collect();
        let shuffled: Vec<&str> = shuffled.iter().map(String::as_str).collect();
        assert_eq!(kind("Lead Number", &shuffled), ColumnKind::Identifier);
        assert_eq!(kind("Revenue", &shuffled), ColumnKind::Numeric);

        let cats = repeat(&["展示会", "Web", "紹介", "Select"], n);
        assert_eq!(kind("流入元", &cats), ColumnKind::Categorical);
        assert_eq!(
            kind("x", &repeat(&["A", "Select", ""], n)),
            ColumnKind::Constant
        );
        assert_eq!(kind("x", &repeat(&["", "不明"], n)), ColumnKind::Empty);

        let emails: Vec<String> = (0..n)
            .map(|i| format!("user{}@example.co.jp", i % 150))
            .collect();
        let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
        assert_eq!(kind("メール", &emails), ColumnKind::Identifier);
        let names: Vec<String> = (0..n).map(|i| format!("山田 太郎{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(kind("氏名", &names), ColumnKind::Identifier);
        let notes: Vec<String> = (0..n)
            .map(|i| format!("Asked about pricing for {i} seats and wants a demo next week"))
            .collect();
        let notes: Vec<&str> = notes.iter().map(String::as_str).collect();
        assert_eq!(kind("Notes", &notes), ColumnKind::FreeText);
        let dates: Vec<String> = (0..n)
            .map(|i| format!("2025/{}/{} 10:00", i % 12 + 1, i % 28 + 1))
            .collect();
        let dates: Vec<&str> = dates.iter().map(String::as_str).collect();
        assert_eq!(kind("作成日", &dates), ColumnKind::Date);
        let zips: Vec<String> = (0..n).map(|i| format!("0{:06}", i * 13)).collect();
        let zips: Vec<&str> = zips.iter().map(String::as_str).collect();
        assert_ne!(kind("郵便番号", &zips), ColumnKind::Numeric);
    }

    #[test]
    fn labels_known_words() {
        let l = parse_label("Converted", &["0", "1", "", "1", "0", "0"]).unwrap();
        assert_eq!(l.positive, "1");
        assert_eq!(
            l.values,
            [
                Some(false),
                Some(true),
                None,
                Some(true),
                Some(false),
                Some(false)
            ]
        );
        assert_eq!(l.missing, 1);
        let l = parse_label("結果", &["失注", "成約", "失注", "失注"]).unwrap();
        assert_eq!(l.positive, "成約");
        let l = parse_label("受注", &["受注", "失注", "受注", "受注"]).unwrap();
        assert_eq!(l.positive, "受注", "a known word wins over rarity");
        let l = parse_label("x", &["Yes", "no", "YES"]).unwrap();
        assert_eq!(l.values, [Some(true), Some(false), Some(true)]);
        let l = parse_label("x", &["はい", "いいえ"]).unwrap();
        assert_eq!(l.positive, "はい");
        let l = parse_label("x", &["Lost", "Won"]).unwrap();
        assert_eq!(l.positive, "Won");
        let l = parse_label("x", &["TRUE", "FALSE"]).unwrap();
        assert_eq!(l.positive, "TRUE");
    }

    #[test]
    fn labels_unknown_words_take_the_rarer() {
        let l = parse_label("x", &["A", "B", "B", "B"]).unwrap();
        assert_eq!(l.positive, "A");
        assert!(l.rule.contains("rarer"), "{}", l.rule);
    }

    #[test]
    fn labels_that_are_not_binary() {
        let e = parse_label("Stage", &["a", "b", "c", "a"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"Stage\"") && e.contains("\"a\" (2 rows)") && e.contains("\"c\""),
            "{e}"
        );
        let e = parse_label("成約", &["成約", "", "成約"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("only one value") && e.contains("1 rows with an empty label"),
            "{e}"
        );
    }

    #[test]
    fn outcome_words_in_names() {
        for name in [
            "Lead Quality",
            "Tags",
            "Last Activity",
            "Last Notable Activity",
            "Lead Status",
            "商談結果",
            "ステータス",
            "失注理由",
        ] {
            assert!(outcome_word(name).is_some(), "{name}");
        }
        for name in [
            "Lead Source",
            "Total Time Spent on Website",
            "Percentage",
            "流入元",
            "Country",
        ] {
            assert_eq!(outcome_word(name), None, "{name}");
        }
    }

    #[test]
    fn leaks_by_auc_and_purity() {
        let labels: Vec<bool> = (0..1000).map(|i| i % 3 == 0).collect();
        let leak: Vec<u32> = labels.iter().map(|&l| u32::from(l)).collect();
        let w = leak_warning("Memo", &leak, &labels).unwrap();
        assert_eq!(w.kind, "auc");
        assert!(w.auc.unwrap() > 0.99);
        let noise: Vec<u32> = (0..1000).map(|i| (i * 7 % 5) as u32).collect();
        assert_eq!(leak_warning("Region", &noise, &labels), None);
        // A value on 10% of the rows that is always positive.
        let pure: Vec<u32> = (0..1000)
            .map(|i| {
                if i % 3 == 0 && i < 300 {
                    9
                } else {
                    (i % 4) as u32
                }
            })
            .collect();
        let w = leak_warning("Channel", &pure, &labels).unwrap();
        assert_eq!(w.kind, "purity", "{w:?}");
        assert_eq!(leak_warning("Stage", &noise, &labels).unwrap().kind, "name");
    }
}
