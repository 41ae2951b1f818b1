//! Plain words, Japanese and English, for status changes and the sales queue.

use std::collections::HashMap;

use super::category::PageCategory;
use super::engagement::{ScoredEvent, breakdown, jst_day, kind_rank};
use super::event::EventKind;
use super::fit::FitGrade;
use super::handoff::download_then_actions;
use super::rules::ScoringRules;

/// How many days of events the queue's reasons look back over, today included.
pub const RECENT_DAYS: i64 = 14;

/// Why a lead changed status or sits high in the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Engagement reached a threshold.
    EngagementAtLeast {
        /// The lead's engagement.
        score: f64,
        /// The threshold it reached.
        threshold: f64,
    },
    /// Engagement reached a threshold and the fit grade was good enough.
    EngagementWithFit {
        /// The lead's engagement.
        score: f64,
        /// The threshold it reached.
        threshold: f64,
        /// The lead's fit grade.
        grade: FitGrade,
    },
    /// The lead submitted a form.
    FormSubmitted,
    /// The lead downloaded a document.
    Downloaded,
    /// After a download the lead kept going: these actions within `days` days.
    DownloadThenActions {
        /// Days between the download and the last counted action, at least 1.
        days: u32,
        /// (type, page category for page views, count), most frequent first.
        actions: Vec<(EventKind, Option<PageCategory>, u32)>,
    },
    /// Nothing from the lead for this many days.
    NoEngagementFor {
        /// Days without a (non-bot) event.
        days: u32,
    },
    /// A dormant lead became active again.
    ReturnedAfterDormant,
    /// Recent activity of one kind.
    RecentActivity {
        /// The behaviour type.
        kind: EventKind,
        /// The page category, for page views.
        category: Option<PageCategory>,
        /// How many events.
        count: u32,
        /// Days since the latest of them (0 = today).
        days_ago: u32,
    },
}

impl Reason {
    /// Returns the reason in Japanese.
    pub fn text_ja(&self) -> String {
        match self {
            Reason::EngagementAtLeast { score, threshold } => format!(
                "エンゲージメント {}点 (基準 {}点以上)",
                format_points(*score),
                format_points(*threshold)
            ),
            Reason::EngagementWithFit {
                score,
                threshold,
                grade,
            } => format!(
                "エンゲージメント {}点・フィット {grade} (基準 {}点以上)",
                format_points(*score),
                format_points(*threshold)
            ),
            Reason::FormSubmitted => "フォーム送信あり".to_string(),
            Reason::Downloaded => "資料ダウンロードあり".to_string(),
            Reason::DownloadThenActions { actions, .. } if actions.is_empty() => {
                Reason::Downloaded.text_ja()
            }
            Reason::DownloadThenActions { days, actions } => {
                let parts: Vec<String> = actions
                    .iter()
                    .map(|(kind, category, n)| match (kind, category) {
                        (EventKind::PageView, _) => format!(
                            "{}を{n}回閲覧",
                            category.unwrap_or(PageCategory::Other).label_ja()
                        ),
                        (EventKind::Custom(key), _) => format!("{key} {n}回"),
                        _ => format!("{}{n}回", kind.label_ja()),
                    })
                    .collect();
                format!("資料DL後{days}日で{}", parts.join("・"))
            }
            Reason::NoEngagementFor { days } => format!("{days}日間反応なし"),
            Reason::ReturnedAfterDormant => "休眠から復帰".to_string(),
            Reason::RecentActivity {
                kind,
                category,
                count,
                days_ago,
            } => {
                let when = match days_ago {
                    0 => "今日".to_string(),
                    1 => "昨日".to_string(),
                    n => format!("{n}日前"),
                };
                let what = match kind {
                    EventKind::PageView => {
                        format!("{}閲覧", category.unwrap_or(PageCategory::Other).label_ja())
                    }
                    _ => kind.label_ja(),
                };
                format!("{what} ({count}回, {when})")
            }
        }
    }

    /// Returns the reason in English.
    pub fn text_en(&self) -> String {
        match self {
            Reason::EngagementAtLeast { score, threshold } => format!(
                "Engagement {} (threshold {})",
                format_points(*score),
                format_points(*threshold)
            ),
            Reason::EngagementWithFit {
                score,
                threshold,
                grade,
            } => format!(
                "Engagement {} with fit {grade} (threshold {})",
                format_points(*score),
                format_points(*threshold)
            ),
            Reason::FormSubmitted => "Submitted a form".to_string(),
            Reason::Downloaded => "Downloaded a document".to_string(),
            Reason::DownloadThenActions { actions, .. } if actions.is_empty() => {
                Reason::Downloaded.text_en()
            }
            Reason::DownloadThenActions { days, actions } => {
                let parts: Vec<String> = actions
                    .iter()
                    .map(|(kind, category, n)| match (kind, category) {
                        (EventKind::PageView, _) => format!(
                            "{} viewed {}",
                            lowercase_first(category.unwrap_or(PageCategory::Other).label_en()),
                            times(*n)
                        ),
                        (EventKind::Custom(key), _) => format!("{key} {}", times(*n)),
                        _ => format!("{} {}", lowercase_first(&kind.label_en()), times(*n)),
                    })
                    .collect();
                format!(
                    "Within {} of a download: {}",
                    plural(*days, "day"),
                    parts.join(", ")
                )
            }
            Reason::NoEngagementFor { days } => {
                format!("No engagement for {}", plural(*days, "day"))
            }
            Reason::ReturnedAfterDormant => "Came back from dormant".to_string(),
            Reason::RecentActivity {
                kind,
                category,
                count,
                days_ago,
            } => {
                let when = match days_ago {
                    0 => "today".to_string(),
                    1 => "yesterday".to_string(),
                    n => format!("{n} days ago"),
                };
                let what = match kind {
                    EventKind::PageView => format!(
                        "{} viewed",
                        category.unwrap_or(PageCategory::Other).label_en()
                    ),
                    _ => kind.label_en(),
                };
                format!("{what} ({}, {when})", times(*count))
            }
        }
    }

    /// Returns the reason in English for a language tag starting with "en", else in Japanese.
    pub fn text(&self, lang: &str) -> String {
        let lang = lang.trim();
        if lang.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("en")) {
            self.text_en()
        } else {
            self.text_ja()
        }
    }
}

/// Formats points for people: whole numbers without decimals (42), others with one (42.5).
pub fn format_points(points: f64) -> String {
    let tenths = (points * 10.0).round() / 10.0;
    if tenths == 0.0 {
        // Avoids "-0".
        "0".to_string()
    } else if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

/// "1 time", "2 times".
fn times(n: u32) -> String {
    plural(n, "time")
}

/// "1 day", "3 days".
fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "Product/pricing page" → "product/pricing page", for use mid-sentence.
fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Up to `limit` reasons for the queue from a lead's events on `today`: group non-bot events of the last 14 days by (kind, category), order by counted value today descending, one RecentActivity each. If there is a download followed by ≥1 further events within 7 days, put a DownloadThenActions first.
///
/// The follow-up window is `rules.handoff.sql_followup_days` (7 by default), so the queue
/// tells the same story as the SQL criterion. Events after `today` are left out.
pub fn queue_reasons(
    rules: &ScoringRules,
    events: &[ScoredEvent],
    today: i64,
    limit: usize,
) -> Vec<Reason> {
    if limit == 0 {
        return Vec::new();
    }
    let first_day = today - (RECENT_DAYS - 1);
    let recent: Vec<&ScoredEvent> = events
        .iter()
        .filter(|e| !e.bot && (first_day..=today).contains(&jst_day(e.at)))
        .collect();
    let mut reasons = Vec::new();
    if let Some(story @ Reason::DownloadThenActions { .. }) =
        download_then_actions(&recent, rules.handoff.sql_followup_days, 1)
    {
        reasons.push(story);
    }

    struct Group {
        kind: EventKind,
        category: Option<PageCategory>,
        value: f64,
        count: u32,
        latest: i64,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(EventKind, Option<PageCategory>), usize> = HashMap::new();
    for line in breakdown(rules, events, today)
        .into_iter()
        .filter(|l| !l.bot && l.day >= first_day)
    {
        let i = *index
            .entry((line.kind.clone(), line.category))
            .or_insert_with(|| {
                groups.push(Group {
                    kind: line.kind.clone(),
                    category: line.category,
                    value: 0.0,
                    count: 0,
                    latest: line.day,
                });
                groups.len() - 1
            });
        let g = &mut groups[i];
        g.value += line.value_today;
        g.count = g.count.saturating_add(line.events);
        g.latest = g.latest.max(line.day);
    }
    groups.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then(b.latest.cmp(&a.latest))
            .then(b.count.cmp(&a.count))
            .then(kind_rank(&a.kind).cmp(&kind_rank(&b.kind)))
            .then(a.category.cmp(&b.category))
    });
    reasons.extend(groups.into_iter().map(|g| Reason::RecentActivity {
        kind: g.kind,
        category: g.category,
        count: g.count,
        days_ago: u32::try_from(today - g.latest).unwrap_or(u32::MAX),
    }));
    reasons.truncate(limit);
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Micros;

    /// 2025-04-01 10:00 JST plus `days` days and `hours` hours.
    fn at(days: i64, hours: i64) -> Micros {
        Micros::parse_rfc3339("2025-04-01T10:00:00+09:00")
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

    fn today() -> i64 {
        jst_day(at(0, 0))
    }

    fn both(r: &Reason) -> (String, String) {
        (r.text_ja(), r.text_en())
    }

    #[test]
    fn points_are_shown_without_needless_decimals() {
        assert_eq!(format_points(42.0), "42");
        assert_eq!(format_points(42.5), "42.5");
        assert_eq!(format_points(42.04), "42");
        assert_eq!(format_points(41.96), "42");
        assert_eq!(format_points(7.25), "7.3");
        assert_eq!(format_points(0.0), "0");
        assert_eq!(format_points(-0.01), "0");
        assert_eq!(format_points(1234.0), "1234");
    }

    #[test]
    fn engagement_reasons() {
        let r = Reason::EngagementAtLeast {
            score: 42.0,
            threshold: 40.0,
        };
        assert_eq!(
            both(&r),
            (
                "エンゲージメント 42点 (基準 40点以上)".into(),
                "Engagement 42 (threshold 40)".into()
            )
        );
        let r = Reason::EngagementWithFit {
            score: 45.25,
            threshold: 40.0,
            grade: FitGrade::B,
        };
        assert_eq!(
            both(&r),
            (
                "エンゲージメント 45.3点・フィット B (基準 40点以上)".into(),
                "Engagement 45.3 with fit B (threshold 40)".into()
            )
        );
    }

    #[test]
    fn simple_reasons() {
        assert_eq!(
            both(&Reason::FormSubmitted),
            ("フォーム送信あり".into(), "Submitted a form".into())
        );
        assert_eq!(
            both(&Reason::Downloaded),
            (
                "資料ダウンロードあり".into(),
                "Downloaded a document".into()
            )
        );
        assert_eq!(
            both(&Reason::NoEngagementFor { days: 90 }),
            ("90日間反応なし".into(), "No engagement for 90 days".into())
        );
        assert_eq!(
            Reason::NoEngagementFor { days: 1 }.text_en(),
            "No engagement for 1 day"
        );
        assert_eq!(
            both(&Reason::ReturnedAfterDormant),
            ("休眠から復帰".into(), "Came back from dormant".into())
        );
    }

    #[test]
    fn download_story() {
        let r = Reason::DownloadThenActions {
            days: 3,
            actions: vec![
                (EventKind::PageView, Some(PageCategory::Product), 2),
                (EventKind::EmailClick, None, 1),
                (EventKind::Custom("trial".into()), None, 1),
            ],
        };
        assert_eq!(
            both(&r),
            (
                "資料DL後3日で製品・料金ページを2回閲覧・メールのリンククリック1回・trial 1回".into(),
                "Within 3 days of a download: product/pricing page viewed 2 times, email click 1 time, trial 1 time".into()
            )
        );
        let r = Reason::DownloadThenActions {
            days: 1,
            actions: vec![(EventKind::PageView, Some(PageCategory::CaseStudy), 1)],
        };
        assert_eq!(
            r.text_en(),
            "Within 1 day of a download: case study page viewed 1 time"
        );
        let r = Reason::DownloadThenActions {
            days: 1,
            actions: vec![],
        };
        assert_eq!(both(&r), both(&Reason::Downloaded));
    }

    #[test]
    fn recent_activity() {
        let r = Reason::RecentActivity {
            kind: EventKind::PageView,
            category: Some(PageCategory::CaseStudy),
            count: 2,
            days_ago: 0,
        };
        assert_eq!(
            both(&r),
            (
                "導入事例ページ閲覧 (2回, 今日)".into(),
                "Case study page viewed (2 times, today)".into()
            )
        );
        let r = Reason::RecentActivity {
            kind: EventKind::PageView,
            category: Some(PageCategory::Product),
            count: 3,
            days_ago: 2,
        };
        assert_eq!(
            both(&r),
            (
                "製品・料金ページ閲覧 (3回, 2日前)".into(),
                "Product/pricing page viewed (3 times, 2 days ago)".into()
            )
        );
        let r = Reason::RecentActivity {
            kind: EventKind::Download,
            category: None,
            count: 1,
            days_ago: 1,
        };
        assert_eq!(
            both(&r),
            (
                "資料ダウンロード (1回, 昨日)".into(),
                "Download (1 time, yesterday)".into()
            )
        );
    }

    #[test]
    fn language_choice() {
        let r = Reason::FormSubmitted;
        assert_eq!(r.text("en"), "Submitted a form");
        assert_eq!(r.text("en-US"), "Submitted a form");
        assert_eq!(r.text("EN"), "Submitted a form");
        assert_eq!(r.text("ja"), "フォーム送信あり");
        assert_eq!(r.text(""), "フォーム送信あり");
        assert_eq!(r.text("e"), "フォーム送信あり");
    }

    #[test]
    fn queue_reasons_order_by_value_today() {
        let rules = ScoringRules::default();
        let events = vec![
            // Two case studies today: 8 points.
            ev(EventKind::PageView, Some(PageCategory::CaseStudy), at(0, 0)),
            ev(EventKind::PageView, Some(PageCategory::CaseStudy), at(0, 1)),
            // A form 3 days ago: 15 points, decayed to about 12.9.
            ev(EventKind::FormSubmit, None, at(-3, 0)),
            // Three opens yesterday: 3 points.
            ev(EventKind::EmailOpen, None, at(-1, 0)),
            ev(EventKind::EmailOpen, None, at(-1, 1)),
            ev(EventKind::EmailOpen, None, at(-1, 2)),
            // Older than 14 days: not a reason any more.
            ev(EventKind::FormSubmit, None, at(-14, 0)),
        ];
        let mut bot = ev(EventKind::EmailClick, None, at(0, 0));
        bot.bot = true;
        let mut all = events.clone();
        all.push(bot);
        let reasons = queue_reasons(&rules, &all, today(), 10);
        let texts: Vec<String> = reasons.iter().map(Reason::text_ja).collect();
        assert_eq!(
            texts,
            [
                "フォーム送信 (1回, 3日前)",
                "導入事例ページ閲覧 (2回, 今日)",
                "メール開封 (3回, 昨日)",
            ]
        );
        assert_eq!(queue_reasons(&rules, &all, today(), 2).len(), 2);
        assert!(queue_reasons(&rules, &all, today(), 0).is_empty());
        assert!(queue_reasons(&rules, &[], today(), 5).is_empty());
    }

    #[test]
    fn queue_reasons_tell_the_download_story_first() {
        let rules = ScoringRules::default();
        let events = vec![
            ev(EventKind::Download, None, at(-5, 0)),
            ev(EventKind::PageView, Some(PageCategory::Product), at(-4, 0)),
            ev(EventKind::PageView, Some(PageCategory::Product), at(-3, 0)),
            ev(EventKind::EmailClick, None, at(-2, 0)),
            // Eight days after the download: outside the story, still recent activity.
            ev(EventKind::PageView, Some(PageCategory::CaseStudy), at(3, 0)),
        ];
        let reasons = queue_reasons(&rules, &events, today() + 3, 3);
        assert_eq!(
            reasons[0].text_ja(),
            "資料DL後3日で製品・料金ページを2回閲覧・メールのリンククリック1回"
        );
        assert_eq!(
            reasons[0].text_en(),
            "Within 3 days of a download: product/pricing page viewed 2 times, email click 1 time"
        );
        assert_eq!(reasons.len(), 3);
        assert!(matches!(reasons[1], Reason::RecentActivity { .. }));
        // A download with nothing after it tells no story.
        let alone = [ev(EventKind::Download, None, at(0, 0))];
        assert_eq!(
            queue_reasons(&rules, &alone, today(), 3),
            [Reason::RecentActivity {
                kind: EventKind::Download,
                category: None,
                count: 1,
                days_ago: 0
            }]
        );
    }
}
