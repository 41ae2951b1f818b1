//! A prediction's reasons in words: per-feature contributions summed by group, the
//! strongest pushing up and the strongest pushing down, each described by what the lead
//! actually has ("流入元: Google", "滞在時間 (秒): 1,234").

use serde::{Deserialize, Serialize};

use crate::dataset::{Feature, FeatureKind, Words};

/// Groups whose contributions sum to less than this (in log-odds) are not worth a line.
pub const MIN_WEIGHT: f64 = 0.01;

/// One factor behind a score.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Reason {
    /// The feature group (input column or concept).
    pub group: String,
    /// What the lead has, in both languages.
    pub words: Words,
    /// The group's effect on the log-odds: positive raises the score.
    pub weight: f64,
}

/// The strongest factors raising and lowering a score, strongest first.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Reasons {
    pub positive: Vec<Reason>,
    pub negative: Vec<Reason>,
}

/// The top `n` reasons each way for a row with these per-feature contributions.
pub fn explain(features: &[Feature], row: &[f64], contributions: &[f64], n: usize) -> Reasons {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (j, feature) in features.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == feature.group) {
            Some((_, members)) => members.push(j),
            None => groups.push((&feature.group, vec![j])),
        }
    }
    let contribution = |j: usize| contributions.get(j).copied().unwrap_or(0.0);
    let mut reasons: Vec<Reason> = groups
        .into_iter()
        .filter_map(|(group, members)| {
            let weight: f64 = members.iter().map(|&j| contribution(j)).sum();
            (weight.abs() >= MIN_WEIGHT && weight.is_finite()).then(|| Reason {
                group: group.to_string(),
                words: describe(features, row, &members, &contribution),
                weight,
            })
        })
        .collect();
    reasons.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    let (positive, negative): (Vec<Reason>, Vec<Reason>) =
        reasons.into_iter().partition(|r| r.weight > 0.0);
    Reasons {
        positive: positive.into_iter().take(n).collect(),
        negative: negative.into_iter().take(n).collect(),
    }
}

/// What a row has in one group of features.
fn describe(
    features: &[Feature],
    row: &[f64],
    members: &[usize],
    contribution: &dyn Fn(usize) -> f64,
) -> Words {
    let value = |j: usize| row.get(j).copied().unwrap_or(f64::NAN);
    let strongest = |candidates: &mut dyn Iterator<Item = usize>| {
        candidates.fold(None, |best: Option<usize>, j| match best {
            Some(b) if contribution(b).abs() >= contribution(j).abs() => Some(b),
            _ => Some(j),
        })
    };
    let numeric = strongest(
        &mut members
            .iter()
            .copied()
            .filter(|&j| features[j].kind == FeatureKind::Numeric),
    );
    if let Some(j) = numeric {
        let w = &features[j].words;
        let x = value(j);
        return if x.is_finite() {
            let shown = format_number(x);
            Words::new(format!("{}: {shown}", w.ja), format!("{}: {shown}", w.en))
        } else {
            Words::new(format!("{}: 不明", w.ja), format!("{}: unknown", w.en))
        };
    }
    let mut present: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&j| value(j) > 0.5)
        .collect();
    if !present.is_empty() {
        present.sort_by(|&a, &b| contribution(b).abs().total_cmp(&contribution(a).abs()));
        present.truncate(3);
        let ja: Vec<&str> = present
            .iter()
            .map(|&j| features[j].words.ja.as_str())
            .collect();
        let en: Vec<&str> = present
            .iter()
            .map(|&j| features[j].words.en.as_str())
            .collect();
        return Words::new(ja.join("、"), en.join(", "));
    }
    let j = strongest(&mut members.iter().copied()).expect("a group has a feature");
    let w = &features[j].words;
    if value(j).is_finite() {
        Words::new(format!("{}: いいえ", w.ja), format!("{}: no", w.en))
    } else {
        Words::new(format!("{}: 不明", w.ja), format!("{}: unknown", w.en))
    }
}

/// A number for people: integers without decimals, at most two decimals otherwise, and
/// thousands separators ("1,234", "2.5", "-12,345.68").
pub fn format_number(x: f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    let negative = rounded < 0.0;
    let text = format!("{:.2}", rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(key: &str, group: &str, ja: &str, en: &str, kind: FeatureKind) -> Feature {
        Feature {
            key: key.into(),
            group: group.into(),
            words: Words::new(ja, en),
            kind,
        }
    }

    fn features() -> Vec<Feature> {
        vec![
            feature(
                "source=Google",
                "source",
                "流入元: Google",
                "Source: Google",
                FeatureKind::Indicator,
            ),
            feature(
                "source=展示会",
                "source",
                "流入元: 展示会",
                "Source: Trade show",
                FeatureKind::Indicator,
            ),
            feature(
                "time",
                "time",
                "滞在時間 (秒)",
                "Time on site (s)",
                FeatureKind::Numeric,
            ),
            feature(
                "time.missing",
                "time",
                "滞在時間 不明",
                "Time on site unknown",
                FeatureKind::Indicator,
            ),
            feature(
                "free_mail",
                "free_mail",
                "フリーメールアドレス",
                "Free email address",
                FeatureKind::Indicator,
            ),
        ]
    }

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(format_number(1234.0), "1,234");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(-12345.678), "-12,345.68");
        assert_eq!(format_number(1_000_000.0), "1,000,000");
        assert_eq!(format_number(999.999), "1,000");
    }

    #[test]
    fn groups_are_summed_and_described_by_what_the_lead_has() {
        let row = [0.0, 1.0, 1234.0, 0.0, 1.0];
        let contributions = [-0.2, 0.9, 0.5, 0.05, -0.4];
        let reasons = explain(&features(), &row, &contributions, 3);
        assert_eq!(reasons.positive.len(), 2);
        assert_eq!(reasons.positive[0].group, "source");
        assert!((reasons.positive[0].weight - 0.7).abs() < 1e-12);
        assert_eq!(
            reasons.positive[0].words,
            Words::new("流入元: 展示会", "Source: Trade show")
        );
        assert_eq!(reasons.positive[1].words.ja, "滞在時間 (秒): 1,234");
        assert_eq!(reasons.positive[1].words.en, "Time on site (s): 1,234");
        assert_eq!(reasons.negative.len(), 1);
        assert_eq!(reasons.negative[0].words.en, "Free email address");
    }

    #[test]
    fn missing_numbers_are_unknown_and_tiny_groups_are_dropped() {
        let row = [0.0, 0.0, f64::NAN, 1.0, 0.0];
        let contributions = [-0.3, 0.0, 0.0, -0.2, 0.005];
        let reasons = explain(&features(), &row, &contributions, 1);
        assert!(reasons.positive.is_empty());
        assert_eq!(reasons.negative.len(), 1);
        assert_eq!(reasons.negative[0].group, "source");
        assert_eq!(reasons.negative[0].words.ja, "流入元: Google: いいえ");
        let both = explain(&features(), &row, &contributions, 5);
        assert_eq!(
            both.negative[1].words,
            Words::new("滞在時間 (秒): 不明", "Time on site (s): unknown")
        );
        assert_eq!(
            both.negative.len(),
            2,
            "free_mail's 0.005 is below the threshold"
        );
    }
}
