//! Engagement: points from events, capped per day and halved every half-life.
//!
//! Days are JST calendar days: day number = floor((micros + 9h) / 1 day) since 1970-01-01 JST.
//! A lead's engagement on day D = Σ over (bucket b, day d ≤ D) of
//! min(raw points of b on d, cap of b) · 2^(−(D − d)/half_life_days),
//! where bucket = the event type key ("page_view" for every page category; each custom type
//! its own bucket), bot events count nothing, and events dated after D count nothing.
//! So the score is constant within a day: today's events count in full today.
//!
//! The stored key is K = ln(Σ_b,d c_{b,d} · 2^((d − REFERENCE_DAY)/h)), computed in log space
//! (log-sum-exp, so no overflow even for h = 1 day over 100 years); the score on day D is
//! exp(K − λ·(D − REFERENCE_DAY)). Every lead's score shrinks by the same factor from one day
//! to the next, so ordering leads by K orders them by their score on any day: K can be an
//! indexed column that never needs a nightly rescore.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::category::PageCategory;
use super::event::EventKind;
use super::rules::ScoringRules;
use crate::time::Micros;

/// Microseconds in a day.
const MICROS_PER_DAY: i64 = 86_400_000_000;
/// Japan Standard Time is UTC+9 all year.
const JST_OFFSET_MICROS: i64 = 9 * 3_600_000_000;

/// JST day number of 2024-01-01, the day keys are anchored to.
pub const REFERENCE_DAY: i64 = 19_723;

/// Returns the JST calendar day number of an instant (day 0 is 1970-01-01 in Japan).
pub fn jst_day(at: Micros) -> i64 {
    at.0.saturating_add(JST_OFFSET_MICROS)
        .div_euclid(MICROS_PER_DAY)
}

/// One event as scoring sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredEvent {
    /// The behaviour type.
    pub kind: EventKind,
    /// The page category, for page views.
    pub category: Option<PageCategory>,
    /// When it happened.
    pub at: Micros,
    /// Recognised as automated (an email scanner's open or click); scores nothing.
    pub bot: bool,
}

/// Returns the key of the daily-cap bucket an event type falls in (all page views share one).
pub fn bucket_key(kind: &EventKind) -> &str {
    kind.key()
}

/// Returns the ranking key of a lead's events, or None when they earn no points at all.
///
/// Events may come in any order; bot events are ignored.
pub fn engagement_key(rules: &ScoringRules, events: &[ScoredEvent]) -> Option<f64> {
    let mut raw: HashMap<(&str, i64), (f64, f64)> = HashMap::new();
    for e in events.iter().filter(|e| !e.bot) {
        let entry = raw
            .entry((bucket_key(&e.kind), jst_day(e.at)))
            .or_insert((0.0, rules.cap_for(&e.kind)));
        entry.0 += rules.points_for(&e.kind, e.category);
    }
    let mut terms: Vec<(i64, f64)> = raw
        .into_iter()
        .map(|((_, day), (points, cap))| (day, points.min(cap)))
        .filter(|&(_, counted)| counted > 0.0)
        .collect();
    // A fixed order makes the floating-point sum the same for the same events.
    terms.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let lambda = rules.lambda_per_day();
    let logs: Vec<f64> = terms
        .iter()
        .map(|&(day, counted)| log_term(counted, day, lambda))
        .collect();
    log_sum_exp(&logs)
}

/// Returns the score on `day` of a lead whose key is `key` (0 when it has none).
pub fn score_on(key: Option<f64>, day: i64, rules: &ScoringRules) -> f64 {
    key.map_or(0.0, |k| {
        (k - rules.lambda_per_day() * day.saturating_sub(REFERENCE_DAY) as f64).exp()
    })
}

/// Incremental: add `points` more counted points on `day` to a key. (The caller computes how much of an event's points the daily cap still allows.)
///
/// Points that are not positive leave the key unchanged.
pub fn key_add(key: Option<f64>, points: f64, day: i64, rules: &ScoringRules) -> Option<f64> {
    if !(points > 0.0 && points.is_finite()) {
        return key;
    }
    let term = log_term(points, day, rules.lambda_per_day());
    Some(match key {
        None => term,
        Some(k) => log_add_exp(k, term),
    })
}

/// Points an event adds given what its bucket already has that day: min(p, max(0, cap − already)).
pub fn counted_points(
    rules: &ScoringRules,
    kind: &EventKind,
    category: Option<PageCategory>,
    already_today_in_bucket: f64,
) -> f64 {
    let room = (rules.cap_for(kind) - already_today_in_bucket).max(0.0);
    rules.points_for(kind, category).min(room).max(0.0)
}

/// ln(points · 2^((day − REFERENCE_DAY)/h)).
fn log_term(points: f64, day: i64, lambda: f64) -> f64 {
    points.ln() + lambda * day.saturating_sub(REFERENCE_DAY) as f64
}

/// ln(e^a + e^b) without overflow.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// ln(Σ e^x) without overflow; None for no terms.
fn log_sum_exp(xs: &[f64]) -> Option<f64> {
    let max = xs.iter().copied().reduce(f64::max)?;
    let sum: f64 = xs.iter().map(|x| (x - max).exp()).sum();
    Some(max + sum.ln())
}

/// Breakdown on `today`: one line per (bucket, category for page views, day) with events, raw points, counted points after the cap, value today after decay; newest day first, then largest value. Bot events are listed in separate lines with bot = true and zero points.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownLine {
    /// The behaviour type.
    pub kind: EventKind,
    /// The page category for page views (None counts as other); None for other types.
    pub category: Option<PageCategory>,
    /// The JST day number.
    pub day: i64,
    /// How many events.
    pub events: u32,
    /// Points before the daily cap.
    pub raw_points: f64,
    /// Points left after the daily cap.
    pub counted_points: f64,
    /// What the counted points are worth on `today`.
    pub value_today: f64,
    /// These events were recognised as automated and count nothing.
    pub bot: bool,
}

/// Explains a lead's engagement on `today`, line by line (see [`BreakdownLine`]).
///
/// When a bucket's cap is reached, the earliest events of the day count first (the same as
/// scoring events as they arrive). Events dated after `today` are left out: they do not count yet.
pub fn breakdown(rules: &ScoringRules, events: &[ScoredEvent], today: i64) -> Vec<BreakdownLine> {
    let mut ordered: Vec<&ScoredEvent> = events.iter().filter(|e| jst_day(e.at) <= today).collect();
    ordered.sort_by_key(|e| e.at);
    let mut already: HashMap<(&str, i64), f64> = HashMap::new();
    let mut lines: Vec<BreakdownLine> = Vec::new();
    let mut index: HashMap<(bool, &EventKind, Option<PageCategory>, i64), usize> = HashMap::new();
    for e in ordered {
        let day = jst_day(e.at);
        let category = line_category(&e.kind, e.category);
        let i = *index
            .entry((e.bot, &e.kind, category, day))
            .or_insert_with(|| {
                lines.push(BreakdownLine {
                    kind: e.kind.clone(),
                    category,
                    day,
                    events: 0,
                    raw_points: 0.0,
                    counted_points: 0.0,
                    value_today: 0.0,
                    bot: e.bot,
                });
                lines.len() - 1
            });
        let line = &mut lines[i];
        line.events = line.events.saturating_add(1);
        if e.bot {
            continue;
        }
        let so_far = already.entry((bucket_key(&e.kind), day)).or_insert(0.0);
        let counted = counted_points(rules, &e.kind, e.category, *so_far);
        *so_far += counted;
        line.raw_points += rules.points_for(&e.kind, e.category);
        line.counted_points += counted;
    }
    let lambda = rules.lambda_per_day();
    for line in &mut lines {
        line.value_today =
            line.counted_points * (-lambda * today.saturating_sub(line.day) as f64).exp();
    }
    lines.sort_by(|a, b| {
        b.day
            .cmp(&a.day)
            .then(b.value_today.total_cmp(&a.value_today))
            .then(a.bot.cmp(&b.bot))
            .then(kind_rank(&a.kind).cmp(&kind_rank(&b.kind)))
            .then(a.category.cmp(&b.category))
    });
    lines
}

/// The category a line is grouped by: page views by their category, other types by none.
pub(crate) fn line_category(
    kind: &EventKind,
    category: Option<PageCategory>,
) -> Option<PageCategory> {
    match kind {
        EventKind::PageView => Some(category.unwrap_or(PageCategory::Other)),
        _ => None,
    }
}

/// Sort position of a type: built-ins in their listed order, then custom types by key.
pub(crate) fn kind_rank(kind: &EventKind) -> (usize, &str) {
    let position = EventKind::BUILT_IN
        .iter()
        .position(|k| k == kind)
        .unwrap_or(EventKind::BUILT_IN.len());
    (position, kind.key())
}

/// How engaged a lead is right now, in three bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Temperature {
    /// At or above the hot band.
    Hot,
    /// At or above the warm band.
    Warm,
    /// Below the warm band.
    Cold,
}

impl Temperature {
    /// Returns the stable key: `hot`, `warm` or `cold`.
    pub fn key(&self) -> &'static str {
        match self {
            Temperature::Hot => "hot",
            Temperature::Warm => "warm",
            Temperature::Cold => "cold",
        }
    }

    /// Returns the Japanese label.
    pub fn label_ja(&self) -> &'static str {
        match self {
            Temperature::Hot => "ホット",
            Temperature::Warm => "ウォーム",
            Temperature::Cold => "コールド",
        }
    }

    /// Returns the English label.
    pub fn label_en(&self) -> &'static str {
        match self {
            Temperature::Hot => "Hot",
            Temperature::Warm => "Warm",
            Temperature::Cold => "Cold",
        }
    }
}

/// Returns the band an engagement score falls in: at least `bands.hot` is hot, at least `bands.warm` warm.
pub fn temperature(rules: &ScoringRules, score: f64) -> Temperature {
    if score >= rules.bands.hot {
        Temperature::Hot
    } else if score >= rules.bands.warm {
        Temperature::Warm
    } else {
        Temperature::Cold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-04-01 09:00 JST plus `days` days and `hours` hours.
    fn at(days: i64, hours: i64) -> Micros {
        Micros::parse_rfc3339("2025-04-01T09:00:00+09:00")
            .expect("valid")
            .saturating_add(Micros::days(days) + Micros::hours(hours))
    }

    fn ev(kind: EventKind, category: Option<PageCategory>, when: Micros) -> ScoredEvent {
        ScoredEvent {
            kind,
            category,
            at: when,
            bot: false,
        }
    }

    fn day0() -> i64 {
        jst_day(at(0, 0))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn reference_day_is_2024_01_01_in_japan() {
        let midnight = Micros::parse_rfc3339("2024-01-01T00:00:00+09:00").expect("valid");
        assert_eq!(jst_day(midnight), REFERENCE_DAY);
        assert_eq!(jst_day(midnight.saturating_add(-1)), REFERENCE_DAY - 1);
        let last = Micros::parse_rfc3339("2024-01-01T23:59:59.999999+09:00").expect("valid");
        assert_eq!(jst_day(last), REFERENCE_DAY);
        assert_eq!(jst_day(Micros(0)), 0);
        assert_eq!(jst_day(Micros(-Micros::hours(10))), -1);
        assert_eq!(jst_day(Micros(i64::MAX)), i64::MAX / MICROS_PER_DAY);
    }

    #[test]
    fn ten_points_today_halve_after_one_half_life() {
        let rules = ScoringRules::default();
        let events = [ev(EventKind::Download, None, at(0, 0))];
        let key = engagement_key(&rules, &events);
        assert!(close(score_on(key, day0(), &rules), 10.0));
        assert!(close(score_on(key, day0() + 14, &rules), 5.0));
        assert!(close(score_on(key, day0() + 28, &rules), 2.5));
        // The score is a day's score: an event late in the day counts in full that whole day.
        let late = [ev(EventKind::Download, None, at(0, 14))];
        assert_eq!(jst_day(at(0, 14)), day0());
        assert!(close(
            score_on(engagement_key(&rules, &late), day0(), &rules),
            10.0
        ));
    }

    #[test]
    fn no_points_no_key() {
        let rules = ScoringRules::default();
        assert_eq!(engagement_key(&rules, &[]), None);
        assert_eq!(score_on(None, day0(), &rules), 0.0);
        let mut bot = ev(EventKind::FormSubmit, None, at(0, 0));
        bot.bot = true;
        assert_eq!(engagement_key(&rules, &[bot]), None);
        let mut zero = ScoringRules::default();
        zero.points.email_open = 0.0;
        assert_eq!(
            engagement_key(&zero, &[ev(EventKind::EmailOpen, None, at(0, 0))]),
            None
        );
    }

    #[test]
    fn five_opens_in_a_day_count_three() {
        let rules = ScoringRules::default();
        let events: Vec<ScoredEvent> = (0..5)
            .map(|h| ev(EventKind::EmailOpen, None, at(0, h)))
            .collect();
        let key = engagement_key(&rules, &events);
        assert!(close(score_on(key, day0(), &rules), 3.0));
        // The cap is per JST day: two more opens tomorrow add two.
        let mut more = events.clone();
        more.push(ev(EventKind::EmailOpen, None, at(1, 0)));
        more.push(ev(EventKind::EmailOpen, None, at(1, 1)));
        let key = engagement_key(&rules, &more);
        let expected = 3.0 * 0.5f64.powf(1.0 / 14.0) + 2.0;
        assert!(close(score_on(key, day0() + 1, &rules), expected));
    }

    #[test]
    fn page_views_of_all_categories_share_one_cap() {
        let rules = ScoringRules::default();
        // 3 product (15) + 3 case studies (12) + 5 other (5) = 32, capped at 20.
        let mut events = Vec::new();
        for h in 0..3 {
            events.push(ev(
                EventKind::PageView,
                Some(PageCategory::Product),
                at(0, h),
            ));
            events.push(ev(
                EventKind::PageView,
                Some(PageCategory::CaseStudy),
                at(0, h),
            ));
        }
        for h in 0..5 {
            events.push(ev(EventKind::PageView, None, at(0, h)));
        }
        // Other buckets have their own caps.
        events.push(ev(EventKind::Download, None, at(0, 5)));
        events.push(ev(EventKind::Custom("trial".into()), None, at(0, 5)));
        events.push(ev(EventKind::Custom("seminar".into()), None, at(0, 5)));
        let key = engagement_key(&rules, &events);
        assert!(close(
            score_on(key, day0(), &rules),
            20.0 + 10.0 + 2.0 + 2.0
        ));
    }

    #[test]
    fn each_custom_type_has_its_own_cap() {
        let mut rules = ScoringRules::default();
        rules.points.custom.insert("trial".into(), 8.0);
        let events: Vec<ScoredEvent> = (0..2)
            .flat_map(|h| {
                [
                    ev(EventKind::Custom("trial".into()), None, at(0, h)),
                    ev(EventKind::Custom("seminar".into()), None, at(0, h)),
                ]
            })
            .collect();
        let key = engagement_key(&rules, &events);
        // trial: 16 capped at 10; seminar: 4.
        assert!(close(score_on(key, day0(), &rules), 14.0));
    }

    #[test]
    fn bot_events_count_nothing() {
        let rules = ScoringRules::default();
        let human = ev(EventKind::EmailClick, None, at(0, 0));
        let mut bot = ev(EventKind::EmailClick, None, at(0, 0));
        bot.bot = true;
        let key = engagement_key(&rules, &[human.clone(), bot.clone(), bot.clone()]);
        assert!(close(score_on(key, day0(), &rules), 3.0));
        let lines = breakdown(&rules, &[human, bot.clone(), bot], day0());
        assert_eq!(lines.len(), 2);
        assert!(!lines[0].bot);
        assert_eq!(lines[0].counted_points, 3.0);
        assert!(lines[1].bot);
        assert_eq!(lines[1].events, 2);
        assert_eq!(
            (
                lines[1].raw_points,
                lines[1].counted_points,
                lines[1].value_today
            ),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn keys_rank_leads_like_their_scores_and_do_not_overflow() {
        let rules = ScoringRules::default();
        // Lead A: 30 points 40 days ago. Lead B: 10 points today. B is ahead today and forever.
        let a = engagement_key(
            &rules,
            &[
                ev(EventKind::FormSubmit, None, at(-40, 0)),
                ev(EventKind::FormSubmit, None, at(-40, 1)),
            ],
        );
        let b = engagement_key(&rules, &[ev(EventKind::Download, None, at(0, 0))]);
        assert!(b > a);
        for d in [0, 1, 30, 365] {
            assert!(score_on(b, day0() + d, &rules) > score_on(a, day0() + d, &rules));
        }
        // A one-day half-life a century after the reference day stays finite.
        let fast = ScoringRules {
            half_life_days: 1.0,
            ..ScoringRules::default()
        };
        let far = Micros::parse_rfc3339("2124-01-01T12:00:00+09:00").expect("valid");
        let k = engagement_key(&fast, &[ev(EventKind::Download, None, far)]).expect("points");
        assert!(k.is_finite());
        assert!(close(score_on(Some(k), jst_day(far), &fast), 10.0));
        assert!(close(score_on(Some(k), jst_day(far) + 1, &fast), 5.0));
        let k2 = key_add(Some(k), 10.0, jst_day(far), &fast);
        assert!(close(score_on(k2, jst_day(far), &fast), 20.0));
    }

    #[test]
    fn key_add_builds_the_same_key_incrementally() {
        let rules = ScoringRules::default();
        let d = day0();
        let mut key = None;
        let mut already = 0.0;
        for _ in 0..5 {
            let c = counted_points(&rules, &EventKind::EmailOpen, None, already);
            already += c;
            key = key_add(key, c, d, &rules);
        }
        key = key_add(key, 5.0, d - 3, &rules);
        let direct = engagement_key(&rules, &{
            let mut v: Vec<ScoredEvent> = (0..5)
                .map(|h| ev(EventKind::EmailOpen, None, at(0, h)))
                .collect();
            v.push(ev(
                EventKind::PageView,
                Some(PageCategory::Product),
                at(-3, 0),
            ));
            v
        });
        assert!(close(key.expect("points"), direct.expect("points")));
        assert_eq!(key_add(key, 0.0, d, &rules), key);
        assert_eq!(key_add(key, -3.0, d, &rules), key);
        assert_eq!(key_add(None, 0.0, d, &rules), None);
    }

    #[test]
    fn counted_points_respect_what_the_bucket_already_has() {
        let rules = ScoringRules::default();
        let product = Some(PageCategory::Product);
        assert_eq!(
            counted_points(&rules, &EventKind::PageView, product, 0.0),
            5.0
        );
        assert_eq!(
            counted_points(&rules, &EventKind::PageView, product, 17.0),
            3.0
        );
        assert_eq!(
            counted_points(&rules, &EventKind::PageView, product, 20.0),
            0.0
        );
        assert_eq!(
            counted_points(&rules, &EventKind::PageView, product, 25.0),
            0.0
        );
        assert_eq!(
            counted_points(&rules, &EventKind::EmailOpen, None, 2.5),
            0.5
        );
        assert_eq!(bucket_key(&EventKind::PageView), "page_view");
        assert_eq!(bucket_key(&EventKind::Custom("trial".into())), "trial");
    }

    #[test]
    fn events_after_the_day_do_not_count_in_the_breakdown() {
        let rules = ScoringRules::default();
        let events = [
            ev(EventKind::Download, None, at(0, 0)),
            ev(EventKind::FormSubmit, None, at(2, 0)),
        ];
        let lines = breakdown(&rules, &events, day0() + 1);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].kind, EventKind::Download);
    }

    #[test]
    fn breakdown_lines_explain_the_score() {
        let rules = ScoringRules::default();
        let mut events = vec![
            ev(EventKind::Download, None, at(-14, 0)),
            ev(EventKind::EmailOpen, None, at(0, 0)),
        ];
        // Product pages first in the day fill the cap; the other pages after them count nothing.
        for h in 1..5 {
            events.push(ev(
                EventKind::PageView,
                Some(PageCategory::Product),
                at(0, h),
            ));
        }
        for h in 5..8 {
            events.push(ev(EventKind::PageView, Some(PageCategory::Other), at(0, h)));
        }
        events.push(ev(
            EventKind::PageView,
            Some(PageCategory::Product),
            at(0, 9),
        ));
        let lines = breakdown(&rules, &events, day0());
        let summary: Vec<(EventKind, Option<PageCategory>, i64, u32, f64, f64)> = lines
            .iter()
            .map(|l| {
                (
                    l.kind.clone(),
                    l.category,
                    l.day,
                    l.events,
                    l.raw_points,
                    l.counted_points,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    EventKind::PageView,
                    Some(PageCategory::Product),
                    day0(),
                    5,
                    25.0,
                    20.0
                ),
                (EventKind::EmailOpen, None, day0(), 1, 1.0, 1.0),
                (
                    EventKind::PageView,
                    Some(PageCategory::Other),
                    day0(),
                    3,
                    3.0,
                    0.0
                ),
                (EventKind::Download, None, day0() - 14, 1, 10.0, 10.0),
            ]
        );
        assert!(close(lines[3].value_today, 5.0));
        let total: f64 = lines.iter().map(|l| l.value_today).sum();
        assert!(close(
            total,
            score_on(engagement_key(&rules, &events), day0(), &rules)
        ));
        assert!(close(total, 26.0));
    }

    #[test]
    fn temperature_bands() {
        let rules = ScoringRules::default();
        assert_eq!(temperature(&rules, 40.0), Temperature::Hot);
        assert_eq!(temperature(&rules, 39.99), Temperature::Warm);
        assert_eq!(temperature(&rules, 15.0), Temperature::Warm);
        assert_eq!(temperature(&rules, 14.9), Temperature::Cold);
        assert_eq!(temperature(&rules, 0.0), Temperature::Cold);
        assert_eq!(Temperature::Hot.key(), "hot");
        assert_eq!(Temperature::Warm.label_ja(), "ウォーム");
        assert_eq!(Temperature::Cold.label_ja(), "コールド");
        assert_eq!(Temperature::Hot.label_ja(), "ホット");
        assert_eq!(Temperature::Cold.label_en(), "Cold");
    }
}
