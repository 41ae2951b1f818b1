//! A workspace's leads as rows of numbers, each as of a point in time: what the lead had
//! done and what was known about it *before* that time, so a feature never leaks the
//! outcome it is meant to predict.
//!
//! A lead's [`LeadHistory`] is everything stored about it (fields, touchpoints, events);
//! [`FeatureSpace::fit`] decides, from the training histories, which categories get a
//! column of their own (sources, prefectures, custom fields, custom event types), and
//! [`FeatureSpace::row`] turns one history into one row as of a time. The space is kept
//! with the model, so a lead is scored with exactly the columns the model learnt from.
//!
//! Sales activities (calls, meetings) are not features: they follow the handoff and would
//! tell the model the outcome.

use std::collections::{BTreeMap, HashMap, HashSet};

use ondo_domain::Micros;
use ondo_domain::free_mail::is_free_mail_domain;
use ondo_domain::scoring::{
    EventKind, PageCategory, ScoredEvent, ScoringRules, Seniority, engagement_key, jst_day,
    prefecture_of, score_on, seniority,
};
use ondo_domain::status::LeadStatus;
use ondo_domain::text::normalize_text;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Feature, FeatureKind, Words};

const DAY: i64 = 86_400_000_000;

/// The windows behaviour is counted over, in days (`None`: all time).
const WINDOWS: [Option<i64>; 4] = [Some(7), Some(30), Some(90), None];

/// Most levels a categorical input (a source, a custom field) gets columns for.
const MAX_LEVELS: usize = 20;
/// Most custom event types with columns of their own.
const MAX_CUSTOM_EVENTS: usize = 10;
/// A custom field is read as a number when this share of its values parse as one.
const NUMERIC_SHARE: f64 = 0.9;
/// A custom field needs this many leads with a value to be used at all.
const MIN_FIELD_VALUES: usize = 10;

/// One way the lead reached us, as features see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouchpointFact {
    /// `trade_show`, `form`, `webinar`, `import`…
    pub kind: String,
    /// The campaign or channel, e.g. "展示会 2026秋".
    pub source: String,
    pub at: Micros,
}

/// Everything the features of one lead are computed from. Events and touchpoints may
/// reach past any `as_of`: the features only look at what happened strictly before it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadHistory {
    pub lead_id: i64,
    pub created_at: Micros,
    pub touchpoints: Vec<TouchpointFact>,
    /// The lead is linked to a company, or names one.
    pub company_known: bool,
    pub department_known: bool,
    pub title: Option<String>,
    /// The domain of the lead's email address.
    pub email_domain: Option<String>,
    pub phone_known: bool,
    pub mobile_known: bool,
    pub address: Option<String>,
    /// The fit score as stored (0–100).
    pub fit_score: f64,
    /// Workspace-defined fields as (name, text).
    pub custom: Vec<(String, String)>,
    /// Behaviour; events recognised as automated (`bot`) count nothing.
    pub events: Vec<ScoredEvent>,
}

impl LeadHistory {
    /// A lead created at `created_at` of which nothing else is known.
    pub fn new(lead_id: i64, created_at: Micros) -> LeadHistory {
        LeadHistory {
            lead_id,
            created_at,
            touchpoints: Vec::new(),
            company_known: false,
            department_known: false,
            title: None,
            email_domain: None,
            phone_known: false,
            mobile_known: false,
            address: None,
            fit_score: 0.0,
            custom: Vec::new(),
            events: Vec::new(),
        }
    }
}

/// The outcome a lead's status history shows, with its time: positive when the lead
/// reached `opportunity` or `won` (the first such change), negative when it reached
/// `lost_dormant` without ever reaching either (the first such change); `None` while
/// undecided. `changes` are (status the lead moved to, when), in any order.
pub fn outcome<'a>(changes: impl IntoIterator<Item = (&'a str, Micros)>) -> Option<(bool, Micros)> {
    let mut positive: Option<Micros> = None;
    let mut negative: Option<Micros> = None;
    for (to, at) in changes {
        match LeadStatus::parse(to) {
            Ok(LeadStatus::Opportunity | LeadStatus::Won) => {
                positive = Some(positive.map_or(at, |p| p.min(at)));
            }
            Ok(LeadStatus::LostDormant) => {
                negative = Some(negative.map_or(at, |n| n.min(at)));
            }
            _ => {}
        }
    }
    positive
        .map(|at| (true, at))
        .or(negative.map(|at| (false, at)))
}

/// How a custom field is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CustomKind {
    /// A number (one column, `NaN` when missing or unreadable).
    Numeric,
    /// One indicator per level, and one for any other value.
    Categorical { levels: Vec<String> },
}

/// A custom field with columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomColumn {
    pub name: String,
    pub kind: CustomKind,
}

/// Which columns a workspace's leads become, decided on the training histories; stored
/// with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpace {
    /// The scoring rules the engagement feature is computed with.
    pub rules: ScoringRules,
    /// Custom event types with columns of their own (the rest count nowhere).
    pub custom_events: Vec<String>,
    /// Sources of the first touchpoint with a column; the others share "other".
    pub sources: Vec<String>,
    /// Touchpoint kinds with a column.
    pub touchpoint_kinds: Vec<String>,
    /// Prefectures with a column.
    pub prefectures: Vec<String>,
    pub custom_fields: Vec<CustomColumn>,
}

impl FeatureSpace {
    /// Decides the columns from the training histories, each as of its time.
    pub fn fit(histories: &[(&LeadHistory, Micros)], rules: &ScoringRules) -> FeatureSpace {
        let n = histories.len();
        // A level needs a few leads behind it, or its column only learns noise.
        let min_count = 3.max(n / 200);

        let mut custom_events: HashMap<&str, usize> = HashMap::new();
        let mut sources: HashMap<&str, usize> = HashMap::new();
        let mut kinds: HashMap<&str, usize> = HashMap::new();
        let mut prefectures: HashMap<&'static str, usize> = HashMap::new();
        let mut fields: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (h, as_of) in histories {
            let mut seen = HashSet::new();
            for e in h.events.iter().filter(|e| !e.bot && e.at < *as_of) {
                if let EventKind::Custom(key) = &e.kind
                    && seen.insert(key.as_str())
                {
                    *custom_events.entry(key.as_str()).or_default() += 1;
                }
            }
            if let Some(first) = first_touchpoint(h, *as_of) {
                *sources.entry(first.source.as_str()).or_default() += 1;
            }
            let mut seen = HashSet::new();
            for t in h.touchpoints.iter().filter(|t| t.at < *as_of) {
                if seen.insert(t.kind.as_str()) {
                    *kinds.entry(t.kind.as_str()).or_default() += 1;
                }
            }
            if let Some(p) = h.address.as_deref().and_then(prefecture_of) {
                *prefectures.entry(p).or_default() += 1;
            }
            for (name, value) in &h.custom {
                if !value.trim().is_empty() {
                    fields
                        .entry(name.as_str())
                        .or_default()
                        .push(value.as_str());
                }
            }
        }
        FeatureSpace {
            rules: rules.clone(),
            custom_events: top_levels(custom_events, min_count, MAX_CUSTOM_EVENTS),
            sources: top_levels(sources, min_count, MAX_LEVELS),
            touchpoint_kinds: top_levels(kinds, min_count, MAX_LEVELS),
            prefectures: top_levels(prefectures, min_count, MAX_LEVELS),
            custom_fields: fields
                .into_iter()
                .filter_map(|(name, values)| custom_column(name, &values, min_count))
                .collect(),
        }
    }

    /// What each column means, in row order.
    pub fn features(&self) -> Vec<Feature> {
        let mut out = Vec::new();
        for kind in self.event_kinds() {
            let (ja, en) = event_words(&kind);
            for w in WINDOWS {
                out.push(Feature {
                    key: format!("events.{}.{}", kind.key(), window_key(w)),
                    group: format!("events.{}", kind.key()),
                    words: Words::new(
                        format!("{ja} ({})", window_ja(w)),
                        format!("{en} ({})", window_en(w)),
                    ),
                    kind: FeatureKind::Numeric,
                });
            }
        }
        for category in PageCategory::ALL {
            let (ja, en) = category_words(category);
            for w in WINDOWS {
                out.push(Feature {
                    key: format!("pages.{}.{}", category.key(), window_key(w)),
                    group: format!("pages.{}", category.key()),
                    words: Words::new(
                        format!("{ja} ({})", window_ja(w)),
                        format!("{en} ({})", window_en(w)),
                    ),
                    kind: FeatureKind::Numeric,
                });
            }
        }
        let mut one = |key: &str, group: &str, ja: &str, en: &str, kind: FeatureKind| {
            out.push(Feature {
                key: key.to_string(),
                group: group.to_string(),
                words: Words::new(ja, en),
                kind,
            });
        };
        use FeatureKind::{Indicator, Numeric};
        one(
            "recency_days",
            "recency",
            "最終行動からの日数",
            "Days since the last action",
            Numeric,
        );
        one(
            "age_days",
            "age",
            "リード登録からの日数",
            "Days since the lead was created",
            Numeric,
        );
        one(
            "active_days.30d",
            "active_days",
            "直近30日に行動した日数",
            "Active days in the last 30 days",
            Numeric,
        );
        one(
            "download_then_2_actions_7d",
            "download_follow_up",
            "資料DLから7日以内に2回以上の行動",
            "Two or more actions within 7 days of a download",
            Indicator,
        );
        one(
            "download_then_visit_3d",
            "download_follow_up",
            "資料DLから3日以内の再訪",
            "Returned to the site within 3 days of a download",
            Indicator,
        );
        one(
            "engagement",
            "engagement",
            "エンゲージメントスコア",
            "Engagement score",
            Numeric,
        );
        one("fit_score", "fit", "フィットスコア", "Fit score", Numeric);
        one(
            "company_known",
            "company",
            "会社が分かる",
            "Company known",
            Indicator,
        );
        one(
            "department_known",
            "department",
            "部署が分かる",
            "Department known",
            Indicator,
        );
        for s in [
            Some(Seniority::Executive),
            Some(Seniority::Manager),
            Some(Seniority::Staff),
            None,
        ] {
            let (key, ja, en) = match s {
                Some(s) => (
                    format!("title={}", s.key()),
                    format!("役職: {}", s.label_ja()),
                    format!("Title: {}", s.label_en()),
                ),
                None => (
                    "title=unknown".to_string(),
                    "役職が不明".to_string(),
                    "Title unknown".to_string(),
                ),
            };
            one(&key, "title", &ja, &en, Indicator);
        }
        one(
            "email=corporate",
            "email",
            "会社ドメインのメールアドレス",
            "Corporate email address",
            Indicator,
        );
        one(
            "email=free",
            "email",
            "フリーメールアドレス",
            "Free-mail address",
            Indicator,
        );
        one(
            "email=none",
            "email",
            "メールアドレスなし",
            "No email address",
            Indicator,
        );
        one(
            "phone_known",
            "phone",
            "電話番号が分かる",
            "Phone number known",
            Indicator,
        );
        one(
            "mobile_known",
            "phone",
            "携帯番号が分かる",
            "Mobile number known",
            Indicator,
        );
        for p in &self.prefectures {
            one(
                &format!("prefecture={p}"),
                "prefecture",
                &format!("所在地: {p}"),
                &format!("Located in {p}"),
                Indicator,
            );
        }
        for s in &self.sources {
            one(
                &format!("source={s}"),
                "source",
                &format!("流入元: {s}"),
                &format!("Source: {s}"),
                Indicator,
            );
        }
        one(
            "source=other",
            "source",
            "流入元: その他",
            "Source: other",
            Indicator,
        );
        for k in &self.touchpoint_kinds {
            let (ja, en) = touchpoint_words(k);
            one(
                &format!("touchpoint={k}"),
                "touchpoints",
                &format!("接点: {ja}"),
                &format!("Touchpoint: {en}"),
                Indicator,
            );
        }
        one(
            "touchpoints",
            "touchpoints",
            "接点の数",
            "Number of touchpoints",
            Numeric,
        );
        for c in &self.custom_fields {
            let group = format!("custom.{}", c.name);
            match &c.kind {
                CustomKind::Numeric => {
                    one(
                        &format!("custom.{}", c.name),
                        &group,
                        &c.name,
                        &c.name,
                        Numeric,
                    );
                }
                CustomKind::Categorical { levels } => {
                    for level in levels {
                        one(
                            &format!("custom.{}={level}", c.name),
                            &group,
                            &format!("{}: {level}", c.name),
                            &format!("{}: {level}", c.name),
                            Indicator,
                        );
                    }
                    one(
                        &format!("custom.{}=other", c.name),
                        &group,
                        &format!("{}: その他", c.name),
                        &format!("{}: other", c.name),
                        Indicator,
                    );
                }
            }
        }
        out
    }

    /// The event types counted: the built-in ones and the custom ones of the space.
    fn event_kinds(&self) -> Vec<EventKind> {
        EventKind::BUILT_IN
            .into_iter()
            .chain(
                self.custom_events
                    .iter()
                    .map(|k| EventKind::Custom(k.clone())),
            )
            .collect()
    }

    /// The lead's row as of `as_of`, in the order of [`FeatureSpace::features`].
    pub fn row(&self, h: &LeadHistory, as_of: Micros) -> Vec<f64> {
        let mut out = Vec::with_capacity(64);
        let events: Vec<&ScoredEvent> =
            h.events.iter().filter(|e| !e.bot && e.at < as_of).collect();
        let age = |e: &ScoredEvent| as_of.0 - e.at.0;
        let in_window = |e: &ScoredEvent, w: Option<i64>| w.is_none_or(|d| age(e) < d * DAY);

        // Counts by event type and by page category, per window.
        let kinds = self.event_kinds();
        let mut by_kind = vec![[0f64; WINDOWS.len()]; kinds.len()];
        let mut by_category = [[0f64; WINDOWS.len()]; PageCategory::ALL.len()];
        for e in &events {
            let slot = kinds.iter().position(|k| *k == e.kind);
            let category = (e.kind == EventKind::PageView).then(|| {
                let c = e.category.unwrap_or(PageCategory::Other);
                PageCategory::ALL.iter().position(|x| *x == c).unwrap_or(3)
            });
            for (i, w) in WINDOWS.iter().enumerate() {
                if in_window(e, *w) {
                    if let Some(k) = slot {
                        by_kind[k][i] += 1.0;
                    }
                    if let Some(c) = category {
                        by_category[c][i] += 1.0;
                    }
                }
            }
        }
        out.extend(by_kind.iter().flatten());
        out.extend(by_category.iter().flatten());

        out.push(
            events
                .iter()
                .map(|e| age(e))
                .min()
                .map_or(f64::NAN, |a| a as f64 / DAY as f64),
        );
        out.push(((as_of.0 - h.created_at.0).max(0)) as f64 / DAY as f64);
        let active: HashSet<i64> = events
            .iter()
            .filter(|e| in_window(e, Some(30)))
            .map(|e| jst_day(e.at))
            .collect();
        out.push(active.len() as f64);
        let (followed, revisited) = download_follow_up(&events);
        out.push(indicator(followed));
        out.push(indicator(revisited));
        let before: Vec<ScoredEvent> = events.iter().map(|e| (*e).clone()).collect();
        out.push(score_on(
            engagement_key(&self.rules, &before),
            jst_day(as_of),
            &self.rules,
        ));

        out.push(h.fit_score);
        out.push(indicator(h.company_known));
        out.push(indicator(h.department_known));
        let s = h
            .title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .and_then(seniority);
        for wanted in [
            Some(Seniority::Executive),
            Some(Seniority::Manager),
            Some(Seniority::Staff),
            None,
        ] {
            out.push(indicator(s == wanted));
        }
        let domain = h.email_domain.as_deref().filter(|d| !d.trim().is_empty());
        out.push(indicator(domain.is_some_and(|d| !is_free_mail_domain(d))));
        out.push(indicator(domain.is_some_and(is_free_mail_domain)));
        out.push(indicator(domain.is_none()));
        out.push(indicator(h.phone_known));
        out.push(indicator(h.mobile_known));
        let prefecture = h.address.as_deref().and_then(prefecture_of);
        for p in &self.prefectures {
            out.push(indicator(prefecture == Some(p.as_str())));
        }
        let source = first_touchpoint(h, as_of).map(|t| t.source.as_str());
        for s in &self.sources {
            out.push(indicator(source == Some(s.as_str())));
        }
        out.push(indicator(
            source.is_some_and(|s| !self.sources.iter().any(|x| x == s)),
        ));
        let touchpoints: Vec<&TouchpointFact> =
            h.touchpoints.iter().filter(|t| t.at < as_of).collect();
        for k in &self.touchpoint_kinds {
            out.push(indicator(touchpoints.iter().any(|t| t.kind == *k)));
        }
        out.push(touchpoints.len() as f64);
        for c in &self.custom_fields {
            let value = h
                .custom
                .iter()
                .find(|(name, _)| *name == c.name)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty());
            match &c.kind {
                CustomKind::Numeric => out.push(value.and_then(parse_number).unwrap_or(f64::NAN)),
                CustomKind::Categorical { levels } => {
                    let value = value.map(normalize_text);
                    for level in levels {
                        out.push(indicator(value.as_deref() == Some(level.as_str())));
                    }
                    out.push(indicator(value.is_some_and(|v| !levels.contains(&v))));
                }
            }
        }
        out
    }

    /// The rows of many leads, each as of its time, with the outcomes that are known.
    pub fn dataset(&self, rows: &[(LeadHistory, Micros, Option<bool>)]) -> Dataset {
        let mut out = Dataset::new(self.features());
        out.values.reserve(rows.len() * out.width());
        for (h, as_of, label) in rows {
            out.push(&self.row(h, *as_of), *label);
        }
        out
    }
}

fn indicator(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// The lead's earliest touchpoint before `as_of`.
fn first_touchpoint(h: &LeadHistory, as_of: Micros) -> Option<&TouchpointFact> {
    h.touchpoints
        .iter()
        .filter(|t| t.at < as_of)
        .min_by_key(|t| t.at)
}

/// Whether some download was followed, within 7 days, by two or more other actions
/// (email opens aside: a scanner or a preview pane makes those), and whether one was
/// followed within 3 days by a page view (a return visit). `events` may be in any order.
fn download_follow_up(events: &[&ScoredEvent]) -> (bool, bool) {
    let mut sorted: Vec<&ScoredEvent> = events.to_vec();
    sorted.sort_by_key(|e| e.at);
    let (mut followed, mut revisited) = (false, false);
    for (i, d) in sorted.iter().enumerate() {
        if d.kind != EventKind::Download {
            continue;
        }
        let later = sorted[i + 1..]
            .iter()
            .take_while(|e| e.at.0 - d.at.0 <= 7 * DAY)
            .filter(|e| e.at > d.at && e.kind != EventKind::EmailOpen);
        let mut actions = 0;
        for e in later {
            actions += 1;
            if e.kind == EventKind::PageView && e.at.0 - d.at.0 <= 3 * DAY {
                revisited = true;
            }
        }
        followed |= actions >= 2;
        if followed && revisited {
            break;
        }
    }
    (followed, revisited)
}

/// The levels seen at least `min_count` times, most frequent first (ties by name), at
/// most `max`.
fn top_levels(counts: HashMap<&str, usize>, min_count: usize, max: usize) -> Vec<String> {
    let mut levels: Vec<(&str, usize)> = counts
        .into_iter()
        .filter(|(k, c)| *c >= min_count && !k.trim().is_empty())
        .collect();
    levels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    levels
        .into_iter()
        .take(max)
        .map(|(k, _)| k.to_string())
        .collect()
}

/// A number written the way spreadsheets and people write them: full-width digits,
/// thousands separators, a currency or unit sign around it (¥1,200 / 1,200円 / 35%).
fn parse_number(text: &str) -> Option<f64> {
    let t = normalize_text(text);
    let t: String = t.chars().filter(|c| *c != ',' && *c != '_').collect();
    let t = t.trim_start_matches(['¥', '$', '￥']);
    let t = t.trim_end_matches(['円', '%', '人', '名', '件', '社']);
    let v: f64 = t.trim().parse().ok()?;
    v.is_finite().then_some(v)
}

/// How a custom field with these values is read, or `None` when it is left out: too few
/// values, or text that is nearly unique per lead (identifiers, notes) with no level
/// common enough.
fn custom_column(name: &str, values: &[&str], min_count: usize) -> Option<CustomColumn> {
    if values.len() < MIN_FIELD_VALUES {
        return None;
    }
    let numbers = values.iter().filter(|v| parse_number(v).is_some()).count();
    if numbers as f64 >= NUMERIC_SHARE * values.len() as f64 {
        return Some(CustomColumn {
            name: name.to_string(),
            kind: CustomKind::Numeric,
        });
    }
    let normalised: Vec<String> = values.iter().map(|v| normalize_text(v)).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in &normalised {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    let levels = top_levels(counts, min_count, MAX_LEVELS);
    (!levels.is_empty()).then(|| CustomColumn {
        name: name.to_string(),
        kind: CustomKind::Categorical { levels },
    })
}

fn window_key(w: Option<i64>) -> String {
    w.map_or("all".to_string(), |d| format!("{d}d"))
}

fn window_ja(w: Option<i64>) -> String {
    w.map_or("全期間".to_string(), |d| format!("{d}日"))
}

fn window_en(w: Option<i64>) -> String {
    w.map_or("all time".to_string(), |d| format!("{d} days"))
}

/// What a count of events of this type is called.
fn event_words(kind: &EventKind) -> (String, String) {
    let (ja, en) = match kind {
        EventKind::EmailOpen => ("メール開封", "Email opens"),
        EventKind::EmailClick => ("メールのリンククリック", "Email clicks"),
        EventKind::PageView => ("ページ閲覧", "Page views"),
        EventKind::Download => ("資料ダウンロード", "Downloads"),
        EventKind::FormSubmit => ("フォーム送信", "Form submissions"),
        EventKind::WebinarAttend => ("ウェビナー参加", "Webinars attended"),
        EventKind::Custom(key) => return (format!("行動: {key}"), format!("Action: {key}")),
    };
    (ja.to_string(), en.to_string())
}

/// What a count of page views of this category is called.
fn category_words(c: PageCategory) -> (&'static str, &'static str) {
    match c {
        PageCategory::Product => ("製品・料金ページの閲覧", "Product/pricing page views"),
        PageCategory::CaseStudy => ("導入事例ページの閲覧", "Case study page views"),
        PageCategory::Document => ("資料ページの閲覧", "Document page views"),
        PageCategory::Other => ("その他のページの閲覧", "Other page views"),
    }
}

/// A touchpoint kind in words (an unknown kind by its key).
fn touchpoint_words(kind: &str) -> (String, String) {
    let (ja, en) = match kind {
        "trade_show" => ("展示会", "trade show"),
        "form" => ("フォーム", "form"),
        "document_request" => ("資料請求", "document request"),
        "webinar" => ("ウェビナー", "webinar"),
        "import" => ("インポート", "import"),
        "api" => ("API", "API"),
        "manual" => ("手入力", "manual entry"),
        "business_card" => ("名刺", "business card"),
        other => (other, other),
    };
    (ja.to_string(), en.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000_000;

    fn at(days_ago: f64) -> Micros {
        Micros(NOW - (days_ago * DAY as f64) as i64)
    }

    fn event(kind: EventKind, days_ago: f64) -> ScoredEvent {
        ScoredEvent {
            kind,
            category: None,
            at: at(days_ago),
            bot: false,
        }
    }

    fn page(category: PageCategory, days_ago: f64) -> ScoredEvent {
        ScoredEvent {
            kind: EventKind::PageView,
            category: Some(category),
            at: at(days_ago),
            bot: false,
        }
    }

    fn history() -> LeadHistory {
        LeadHistory {
            lead_id: 1,
            created_at: at(200.0),
            touchpoints: vec![
                TouchpointFact {
                    kind: "webinar".into(),
                    source: "ウェビナー 2026春".into(),
                    at: at(20.0),
                },
                TouchpointFact {
                    kind: "trade_show".into(),
                    source: "展示会 2026秋".into(),
                    at: at(200.0),
                },
            ],
            company_known: true,
            department_known: false,
            title: Some("営業部長".into()),
            email_domain: Some("gmail.com".into()),
            phone_known: true,
            mobile_known: false,
            address: Some("東京都千代田区1-1".into()),
            fit_score: 40.0,
            custom: vec![("従業員数".into(), "1,200".into())],
            events: vec![
                event(EventKind::WebinarAttend, 3.0),
                event(EventKind::WebinarAttend, 20.0),
                event(EventKind::WebinarAttend, 100.0),
                event(EventKind::Download, 10.0),
                page(PageCategory::Product, 9.5),
                event(EventKind::FormSubmit, 8.0),
                event(EventKind::EmailOpen, 9.0),
                page(PageCategory::Product, 2.0),
                ScoredEvent {
                    bot: true,
                    ..event(EventKind::EmailClick, 1.0)
                },
            ],
        }
    }

    fn space(h: &LeadHistory) -> FeatureSpace {
        let histories: Vec<(&LeadHistory, Micros)> = (0..10).map(|_| (h, Micros(NOW))).collect();
        FeatureSpace::fit(&histories, &ScoringRules::default())
    }

    fn value(space: &FeatureSpace, row: &[f64], key: &str) -> f64 {
        let i = space
            .features()
            .iter()
            .position(|f| f.key == key)
            .unwrap_or_else(|| panic!("no feature {key}"));
        row[i]
    }

    #[test]
    fn windows_count_what_happened_before_the_time() {
        let h = history();
        let s = space(&h);
        let row = s.row(&h, Micros(NOW));
        assert_eq!(row.len(), s.features().len());
        let v = |k: &str| value(&s, &row, k);
        assert_eq!(v("events.webinar_attend.7d"), 1.0);
        assert_eq!(v("events.webinar_attend.30d"), 2.0);
        assert_eq!(v("events.webinar_attend.90d"), 2.0);
        assert_eq!(v("events.webinar_attend.all"), 3.0);
        assert_eq!(v("events.page_view.30d"), 2.0);
        assert_eq!(v("pages.product.7d"), 1.0);
        assert_eq!(v("pages.product.30d"), 2.0);
        // The scanner's click counts nowhere.
        assert_eq!(v("events.email_click.all"), 0.0);
        assert_eq!(v("recency_days"), 2.0);
        assert_eq!(v("age_days"), 200.0);
        // Download 10 days ago, then a product page, a form and (not counted) an open.
        assert_eq!(v("download_then_2_actions_7d"), 1.0);
        assert_eq!(v("download_then_visit_3d"), 1.0);
        assert_eq!(v("email=free"), 1.0);
        assert_eq!(v("email=corporate"), 0.0);
        assert_eq!(v("title=executive"), 1.0);
        assert_eq!(v("prefecture=東京都"), 1.0);
        // The first touchpoint is the trade show, 200 days ago.
        assert_eq!(v("source=展示会 2026秋"), 1.0);
        assert_eq!(
            s.sources,
            vec!["展示会 2026秋".to_string()],
            "only first sources"
        );
        assert_eq!(v("touchpoints"), 2.0);
        assert_eq!(v("custom.従業員数"), 1200.0);
        assert!(v("engagement") > 0.0);

        // Ten days earlier, only what had happened by then.
        let earlier = s.row(&h, at(10.0));
        let v = |k: &str| value(&s, &earlier, k);
        assert_eq!(v("events.webinar_attend.30d"), 1.0);
        assert_eq!(v("events.webinar_attend.all"), 2.0);
        assert_eq!(v("events.download.all"), 0.0);
        assert_eq!(v("download_then_2_actions_7d"), 0.0);
        assert_eq!(v("touchpoints"), 2.0);
        assert_eq!(v("recency_days"), 10.0);
    }

    #[test]
    fn an_event_after_the_time_changes_nothing() {
        let h = history();
        let s = space(&h);
        let as_of = at(5.0);
        let before = s.row(&h, as_of);
        let mut later = h.clone();
        later.events.push(event(EventKind::WebinarAttend, 4.9));
        later.events.push(event(EventKind::Download, 5.0));
        later.events.push(page(PageCategory::Product, 1.0));
        later.touchpoints.push(TouchpointFact {
            kind: "form".into(),
            source: "問い合わせ".into(),
            at: at(5.0),
        });
        let after = s.row(&later, as_of);
        assert_eq!(
            format!("{before:?}"),
            format!("{after:?}"),
            "NaN-safe equality"
        );
    }

    #[test]
    fn no_events_make_recency_unknown() {
        let h = LeadHistory::new(1, at(3.0));
        let s = FeatureSpace::fit(&[(&h, Micros(NOW))], &ScoringRules::default());
        let row = s.row(&h, Micros(NOW));
        assert!(value(&s, &row, "recency_days").is_nan());
        assert_eq!(value(&s, &row, "email=none"), 1.0);
        assert_eq!(value(&s, &row, "title=unknown"), 1.0);
        assert_eq!(value(&s, &row, "engagement"), 0.0);
        assert_eq!(value(&s, &row, "source=other"), 0.0);
    }

    #[test]
    fn the_space_round_trips_through_json_and_keeps_its_columns() {
        let mut histories = Vec::new();
        for i in 0..40 {
            let mut h = history();
            h.custom = vec![
                ("業種".into(), ["製造業", "IT", "小売"][i % 3].into()),
                ("従業員数".into(), format!("{}", 10 * i)),
                ("メモ".into(), format!("自由記述 {i}")),
            ];
            h.touchpoints[1].source = ["展示会 2026秋", "Web広告", "紹介"][i % 3].into();
            histories.push(h);
        }
        let pairs: Vec<(&LeadHistory, Micros)> =
            histories.iter().map(|h| (h, Micros(NOW))).collect();
        let s = FeatureSpace::fit(&pairs, &ScoringRules::default());
        assert_eq!(s.sources.len(), 3);
        assert_eq!(
            s.custom_fields
                .iter()
                .map(|c| (c.name.as_str(), matches!(c.kind, CustomKind::Numeric)))
                .collect::<Vec<_>>(),
            vec![("従業員数", true), ("業種", false)],
            "free text is left out"
        );
        let json = serde_json::to_string(&s).expect("serialises");
        let back: FeatureSpace = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, s);
        assert_eq!(back.features(), s.features());
        let rows: Vec<(LeadHistory, Micros, Option<bool>)> = histories
            .iter()
            .map(|h| (h.clone(), Micros(NOW), Some(true)))
            .collect();
        assert_eq!(back.dataset(&rows), s.dataset(&rows));
        let features = s.features();
        let keys: HashSet<&str> = features.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys.len(), features.len(), "keys are unique");
        assert!(
            features
                .iter()
                .any(|f| f.words.ja == "ウェビナー参加 (30日)")
        );
        assert!(
            features
                .iter()
                .any(|f| f.words.ja == "流入元: 展示会 2026秋")
        );
        assert!(features.iter().any(|f| f.words.ja == "業種: 製造業"));
    }

    #[test]
    fn outcomes_take_the_first_change_into_the_outcome() {
        let t = |d: i64| Micros(d * DAY);
        assert_eq!(outcome([("nurturing", t(1)), ("sales_ready", t(2))]), None);
        assert_eq!(
            outcome([("lost_dormant", t(3)), ("opportunity", t(7)), ("won", t(5))]),
            Some((true, t(5)))
        );
        assert_eq!(
            outcome([("lost_dormant", t(9)), ("lost_dormant", t(4))]),
            Some((false, t(4)))
        );
    }

    #[test]
    fn numbers_are_read_as_people_write_them() {
        assert_eq!(parse_number("１，２００"), Some(1200.0));
        assert_eq!(parse_number("¥3,000"), Some(3000.0));
        assert_eq!(parse_number("35%"), Some(35.0));
        assert_eq!(parse_number("約100"), None);
    }
}
