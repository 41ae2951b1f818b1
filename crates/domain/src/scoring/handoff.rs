//! The written handoff criteria: when a lead moves between marketing and sales on its own.

use std::collections::HashMap;

use super::category::PageCategory;
use super::engagement::{ScoredEvent, jst_day, kind_rank, line_category};
use super::event::EventKind;
use super::fit::FitGrade;
use super::reasons::Reason;
use super::rules::HandoffRules;
use crate::status::LeadStatus;
use crate::time::Micros;

/// Which written criterion moved a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandoffRule {
    /// Marketing qualified: interested enough to nurture.
    Mql,
    /// Sales qualified: ready for a salesperson.
    Sql,
    /// Quiet for too long: dormant.
    Dormant,
    /// A dormant lead came back.
    Returned,
}

impl HandoffRule {
    /// Returns the stable key: `mql`, `sql`, `dormant` or `returned`.
    pub fn key(&self) -> &'static str {
        match self {
            HandoffRule::Mql => "mql",
            HandoffRule::Sql => "sql",
            HandoffRule::Dormant => "dormant",
            HandoffRule::Returned => "returned",
        }
    }

    /// Returns the Japanese label.
    pub fn label_ja(&self) -> &'static str {
        match self {
            HandoffRule::Mql => "MQL基準",
            HandoffRule::Sql => "SQL基準",
            HandoffRule::Dormant => "休眠基準",
            HandoffRule::Returned => "休眠からの復帰",
        }
    }

    /// Returns the English label.
    pub fn label_en(&self) -> &'static str {
        match self {
            HandoffRule::Mql => "MQL criteria",
            HandoffRule::Sql => "SQL criteria",
            HandoffRule::Dormant => "Dormancy",
            HandoffRule::Returned => "Return from dormancy",
        }
    }
}

/// What the handoff criteria look at.
#[derive(Debug, Clone, Copy)]
pub struct HandoffFacts<'a> {
    /// The lead's status now.
    pub status: LeadStatus,
    /// Since when the lead has had that status.
    pub status_since: Micros,
    /// The time of the evaluation.
    pub now: Micros,
    /// Engagement score today.
    pub engagement: f64,
    /// The lead's fit grade.
    pub fit_grade: FitGrade,
    /// The lead is linked to a known company.
    pub company_known: bool,
    /// The lead's department is known.
    pub department_known: bool,
    /// The lead's events (any order; bot ones are ignored).
    pub events: &'a [ScoredEvent],
}

/// A status change the criteria call for.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The new status.
    pub to: LeadStatus,
    /// The criterion that applies.
    pub rule: HandoffRule,
    /// Why, in words.
    pub reason: Reason,
}

/// new: SQL criteria → sales_ready (rule Sql) else MQL criteria → nurturing (Mql).
/// nurturing: SQL → sales_ready; else no non-bot event in the last dormant_days (and status_since older than dormant_days) → lost_dormant (Dormant).
/// lost_dormant: only if some non-bot event is after status_since and MQL criteria hold counting only those events for form/download (engagement as given) → nurturing (Returned).
/// sales_ready / opportunity: None.
/// MQL: engagement ≥ mql_engagement, or any non-bot form_submit or download.
/// SQL: (a non-bot download followed by ≥ sql_followups further non-bot events within sql_followup_days after it, and company_known and department_known) or (engagement ≥ sql_engagement and fit_grade.at_least(sql_min_fit_grade)).
///
/// "Within N days" is N × 24 hours after the download; "the last N days" is N × 24 hours before `now`.
pub fn evaluate(rules: &HandoffRules, facts: &HandoffFacts) -> Option<Transition> {
    let human: Vec<&ScoredEvent> = facts.events.iter().filter(|e| !e.bot).collect();
    let to = |to: LeadStatus, rule: HandoffRule, reason: Reason| Transition { to, rule, reason };
    match facts.status {
        LeadStatus::New => sql_reason(rules, facts, &human)
            .map(|r| to(LeadStatus::SalesReady, HandoffRule::Sql, r))
            .or_else(|| {
                mql_reason(rules, facts.engagement, &human)
                    .map(|r| to(LeadStatus::Nurturing, HandoffRule::Mql, r))
            }),
        LeadStatus::Nurturing => sql_reason(rules, facts, &human)
            .map(|r| to(LeadStatus::SalesReady, HandoffRule::Sql, r))
            .or_else(|| {
                quiet_days(rules, facts, &human).map(|days| {
                    to(
                        LeadStatus::LostDormant,
                        HandoffRule::Dormant,
                        Reason::NoEngagementFor { days },
                    )
                })
            }),
        LeadStatus::LostDormant => {
            let since: Vec<&ScoredEvent> = human
                .iter()
                .copied()
                .filter(|e| e.at > facts.status_since)
                .collect();
            (!since.is_empty() && mql_reason(rules, facts.engagement, &since).is_some()).then(
                || {
                    to(
                        LeadStatus::Nurturing,
                        HandoffRule::Returned,
                        Reason::ReturnedAfterDormant,
                    )
                },
            )
        }
        LeadStatus::SalesReady | LeadStatus::Opportunity | LeadStatus::Won => None,
    }
}

/// The MQL criteria; the reason names the most concrete act (a form, then a download).
fn mql_reason(rules: &HandoffRules, engagement: f64, events: &[&ScoredEvent]) -> Option<Reason> {
    if events.iter().any(|e| e.kind == EventKind::FormSubmit) {
        Some(Reason::FormSubmitted)
    } else if events.iter().any(|e| e.kind == EventKind::Download) {
        Some(Reason::Downloaded)
    } else if engagement >= rules.mql_engagement {
        Some(Reason::EngagementAtLeast {
            score: engagement,
            threshold: rules.mql_engagement,
        })
    } else {
        None
    }
}

/// The SQL criteria; the download story comes first because it says what the lead did.
fn sql_reason(
    rules: &HandoffRules,
    facts: &HandoffFacts,
    events: &[&ScoredEvent],
) -> Option<Reason> {
    let story = (facts.company_known && facts.department_known)
        .then(|| download_then_actions(events, rules.sql_followup_days, rules.sql_followups))
        .flatten();
    story.or_else(|| {
        (facts.engagement >= rules.sql_engagement
            && facts.fit_grade.at_least(rules.sql_min_fit_grade))
        .then_some(Reason::EngagementWithFit {
            score: facts.engagement,
            threshold: rules.sql_engagement,
            grade: facts.fit_grade,
        })
    })
}

/// Days the lead has been quiet, when that makes it dormant: no event in the last
/// `dormant_days` and the status at least that old. Counted from the last event, or from
/// `status_since` when there is none.
fn quiet_days(rules: &HandoffRules, facts: &HandoffFacts, events: &[&ScoredEvent]) -> Option<u32> {
    let window = Micros::days(i64::from(rules.dormant_days));
    let old_enough = |t: Micros| facts.now.0.saturating_sub(t.0) >= window;
    let last = events.iter().map(|e| e.at).max();
    if !old_enough(facts.status_since) || last.is_some_and(|t| !old_enough(t)) {
        return None;
    }
    let from = last.unwrap_or(facts.status_since);
    let days = facts.now.0.saturating_sub(from.0) / Micros::days(1);
    Some(u32::try_from(days).unwrap_or(u32::MAX))
}

/// The latest download followed by at least `min_followups` other events within
/// `window_days` × 24 hours, told as a [`Reason::DownloadThenActions`]
/// ([`Reason::Downloaded`] when no follow-up is needed and none happened).
///
/// `events` must hold no bot events. An event at the same instant as the download counts as
/// after it, so the answer does not depend on the order events are given in.
pub(crate) fn download_then_actions(
    events: &[&ScoredEvent],
    window_days: u32,
    min_followups: u32,
) -> Option<Reason> {
    let window = Micros::days(i64::from(window_days));
    let mut downloads: Vec<(usize, &ScoredEvent)> = events
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::Download)
        .collect();
    downloads.sort_by_key(|(_, e)| std::cmp::Reverse(e.at));
    downloads.into_iter().find_map(|(i, download)| {
        let end = download.at.saturating_add(window);
        let followups: Vec<&ScoredEvent> = events
            .iter()
            .enumerate()
            .filter(|&(j, e)| j != i && e.at >= download.at && e.at <= end)
            .map(|(_, e)| *e)
            .collect();
        if followups.len() < usize::try_from(min_followups).unwrap_or(usize::MAX) {
            return None;
        }
        let Some(last) = followups.iter().map(|e| e.at).max() else {
            return Some(Reason::Downloaded);
        };
        let days = (jst_day(last) - jst_day(download.at)).max(1);
        Some(Reason::DownloadThenActions {
            days: u32::try_from(days).unwrap_or(u32::MAX),
            actions: count_actions(&followups),
        })
    })
}

/// Counts events by (type, page category), most frequent first.
fn count_actions(events: &[&ScoredEvent]) -> Vec<(EventKind, Option<PageCategory>, u32)> {
    let mut counts: HashMap<(&EventKind, Option<PageCategory>), u32> = HashMap::new();
    for e in events {
        *counts
            .entry((&e.kind, line_category(&e.kind, e.category)))
            .or_insert(0) += 1;
    }
    let mut actions: Vec<(EventKind, Option<PageCategory>, u32)> = counts
        .into_iter()
        .map(|((kind, category), n)| (kind.clone(), category, n))
        .collect();
    actions.sort_by(|a, b| {
        b.2.cmp(&a.2)
            .then(kind_rank(&a.0).cmp(&kind_rank(&b.0)))
            .then(a.1.cmp(&b.1))
    });
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-06-02 10:00 JST plus `days` days.
    fn t(days: i64) -> Micros {
        Micros::parse_rfc3339("2025-06-02T10:00:00+09:00")
            .expect("valid")
            .saturating_add(Micros::days(days))
    }

    fn ev(kind: EventKind, category: Option<PageCategory>, days: i64) -> ScoredEvent {
        ScoredEvent {
            kind,
            category,
            at: t(days),
            bot: false,
        }
    }

    fn bot(kind: EventKind, days: i64) -> ScoredEvent {
        ScoredEvent {
            bot: true,
            ..ev(kind, None, days)
        }
    }

    fn facts(status: LeadStatus, events: &[ScoredEvent]) -> HandoffFacts<'_> {
        HandoffFacts {
            status,
            status_since: t(-10),
            now: t(0),
            engagement: 0.0,
            fit_grade: FitGrade::D,
            company_known: false,
            department_known: false,
            events,
        }
    }

    fn product(days: i64) -> ScoredEvent {
        ev(EventKind::PageView, Some(PageCategory::Product), days)
    }

    fn eval(f: &HandoffFacts) -> Option<Transition> {
        evaluate(&HandoffRules::default(), f)
    }

    #[test]
    fn new_lead_with_nothing_stays_new() {
        assert_eq!(eval(&facts(LeadStatus::New, &[])), None);
        let opens = [ev(EventKind::EmailOpen, None, -1)];
        let f = HandoffFacts {
            engagement: 14.9,
            ..facts(LeadStatus::New, &opens)
        };
        assert_eq!(eval(&f), None);
    }

    #[test]
    fn new_to_nurturing_on_engagement() {
        let f = HandoffFacts {
            engagement: 15.0,
            ..facts(LeadStatus::New, &[])
        };
        let tr = eval(&f).expect("MQL");
        assert_eq!((tr.to, tr.rule), (LeadStatus::Nurturing, HandoffRule::Mql));
        assert_eq!(tr.reason.text_ja(), "エンゲージメント 15点 (基準 15点以上)");
    }

    #[test]
    fn new_to_nurturing_on_a_form_or_a_download_but_not_a_bot() {
        let form = [ev(EventKind::FormSubmit, None, -1)];
        let tr = eval(&facts(LeadStatus::New, &form)).expect("MQL");
        assert_eq!(
            (tr.to, tr.rule, tr.reason),
            (
                LeadStatus::Nurturing,
                HandoffRule::Mql,
                Reason::FormSubmitted
            )
        );
        let dl = [ev(EventKind::Download, None, -1)];
        let tr = eval(&facts(LeadStatus::New, &dl)).expect("MQL");
        assert_eq!(tr.reason, Reason::Downloaded);
        let bots = [bot(EventKind::FormSubmit, -1), bot(EventKind::Download, -1)];
        assert_eq!(eval(&facts(LeadStatus::New, &bots)), None);
    }

    #[test]
    fn new_to_sales_ready_after_a_download_and_follow_ups() {
        let events = [
            product(-3),
            ev(EventKind::Download, None, -5),
            ev(EventKind::EmailClick, None, -2),
            product(-4),
        ];
        let f = HandoffFacts {
            company_known: true,
            department_known: true,
            ..facts(LeadStatus::New, &events)
        };
        let tr = eval(&f).expect("SQL");
        assert_eq!((tr.to, tr.rule), (LeadStatus::SalesReady, HandoffRule::Sql));
        assert_eq!(
            tr.reason.text_ja(),
            "資料DL後3日で製品・料金ページを2回閲覧・メールのリンククリック1回"
        );
        // Without a known department the same behaviour is only MQL.
        let f = HandoffFacts {
            department_known: false,
            ..f
        };
        let tr = eval(&f).expect("MQL");
        assert_eq!((tr.to, tr.rule), (LeadStatus::Nurturing, HandoffRule::Mql));
    }

    #[test]
    fn follow_ups_must_be_enough_human_and_within_the_window() {
        let known = |events| HandoffFacts {
            company_known: true,
            department_known: true,
            ..facts(LeadStatus::New, events)
        };
        // One follow-up is not enough.
        let one = [ev(EventKind::Download, None, -9), product(-8)];
        assert_eq!(eval(&known(&one)).map(|t| t.rule), Some(HandoffRule::Mql));
        // Bot clicks are not follow-ups.
        let bots = [
            ev(EventKind::Download, None, -9),
            product(-8),
            bot(EventKind::EmailClick, -8),
        ];
        assert_eq!(eval(&known(&bots)).map(|t| t.rule), Some(HandoffRule::Mql));
        // The second follow-up comes 7 days and 1 hour after the download: too late.
        let mut late = product(-2);
        late.at = t(-9).saturating_add(Micros::days(7) + Micros::hours(1));
        let slow = [ev(EventKind::Download, None, -9), product(-8), late];
        assert_eq!(eval(&known(&slow)).map(|t| t.rule), Some(HandoffRule::Mql));
        // Exactly 7 days after still counts.
        let edge = [ev(EventKind::Download, None, -9), product(-8), product(-2)];
        assert_eq!(eval(&known(&edge)).map(|t| t.rule), Some(HandoffRule::Sql));
        // Events before the download are not follow-ups.
        let before = [
            product(-11),
            product(-10),
            ev(EventKind::Download, None, -9),
        ];
        assert_eq!(
            eval(&known(&before)).map(|t| t.rule),
            Some(HandoffRule::Mql)
        );
    }

    #[test]
    fn sql_on_engagement_with_a_good_fit() {
        let f = HandoffFacts {
            engagement: 45.0,
            fit_grade: FitGrade::B,
            ..facts(LeadStatus::New, &[])
        };
        let tr = eval(&f).expect("SQL");
        assert_eq!((tr.to, tr.rule), (LeadStatus::SalesReady, HandoffRule::Sql));
        assert_eq!(
            tr.reason.text_ja(),
            "エンゲージメント 45点・フィット B (基準 40点以上)"
        );
        assert_eq!(
            tr.reason.text_en(),
            "Engagement 45 with fit B (threshold 40)"
        );
        // Fit C is not enough: the same engagement only makes an MQL.
        let f = HandoffFacts {
            fit_grade: FitGrade::C,
            ..f
        };
        assert_eq!(eval(&f).map(|t| t.rule), Some(HandoffRule::Mql));
        // Fit A with engagement just below the threshold: MQL.
        let f = HandoffFacts {
            fit_grade: FitGrade::A,
            engagement: 39.9,
            ..f
        };
        assert_eq!(eval(&f).map(|t| t.rule), Some(HandoffRule::Mql));
    }

    #[test]
    fn nurturing_to_sales_ready() {
        let f = HandoffFacts {
            engagement: 40.0,
            fit_grade: FitGrade::A,
            ..facts(LeadStatus::Nurturing, &[])
        };
        let tr = eval(&f).expect("SQL");
        assert_eq!((tr.to, tr.rule), (LeadStatus::SalesReady, HandoffRule::Sql));
        // Nurturing leads are already MQL: MQL criteria alone change nothing.
        let form = [ev(EventKind::FormSubmit, None, -1)];
        let f = HandoffFacts {
            engagement: 30.0,
            ..facts(LeadStatus::Nurturing, &form)
        };
        assert_eq!(eval(&f), None);
    }

    #[test]
    fn nurturing_goes_dormant_after_90_quiet_days() {
        let old = [ev(EventKind::PageView, None, -120)];
        let f = HandoffFacts {
            status_since: t(-100),
            ..facts(LeadStatus::Nurturing, &old)
        };
        let tr = eval(&f).expect("dormant");
        assert_eq!(
            (tr.to, tr.rule),
            (LeadStatus::LostDormant, HandoffRule::Dormant)
        );
        assert_eq!(tr.reason.text_ja(), "120日間反応なし");
        assert_eq!(tr.reason.text_en(), "No engagement for 120 days");

        // With no events at all, quiet since the status began.
        let f = HandoffFacts {
            status_since: t(-95),
            ..facts(LeadStatus::Nurturing, &[])
        };
        assert_eq!(
            eval(&f).map(|t| t.reason),
            Some(Reason::NoEngagementFor { days: 95 })
        );

        // Exactly 90 days is enough.
        let f = HandoffFacts {
            status_since: t(-90),
            ..facts(LeadStatus::Nurturing, &[])
        };
        assert_eq!(eval(&f).map(|t| t.rule), Some(HandoffRule::Dormant));
    }

    #[test]
    fn nurturing_stays_while_there_is_recent_activity_or_the_status_is_young() {
        // An event 89 days ago keeps the lead in nurturing.
        let recent = [ev(EventKind::EmailOpen, None, -89)];
        let f = HandoffFacts {
            status_since: t(-200),
            ..facts(LeadStatus::Nurturing, &recent)
        };
        assert_eq!(eval(&f), None);
        // Only bot opens recently: they do not count as activity.
        let bots = [
            ev(EventKind::EmailOpen, None, -150),
            bot(EventKind::EmailOpen, -5),
        ];
        let f = HandoffFacts {
            status_since: t(-200),
            ..facts(LeadStatus::Nurturing, &bots)
        };
        assert_eq!(eval(&f).map(|t| t.rule), Some(HandoffRule::Dormant));
        // Moved to nurturing 30 days ago (by hand), no events for a year: not yet dormant.
        let old = [ev(EventKind::EmailOpen, None, -365)];
        let f = HandoffFacts {
            status_since: t(-30),
            ..facts(LeadStatus::Nurturing, &old)
        };
        assert_eq!(eval(&f), None);
    }

    #[test]
    fn dormant_lead_returns_on_new_activity() {
        let since = t(-30);
        let back = [
            ev(EventKind::FormSubmit, None, -60),
            ev(EventKind::Download, None, -2),
        ];
        let f = HandoffFacts {
            status_since: since,
            ..facts(LeadStatus::LostDormant, &back)
        };
        let tr = eval(&f).expect("returned");
        assert_eq!(
            (tr.to, tr.rule, tr.reason.text_ja()),
            (
                LeadStatus::Nurturing,
                HandoffRule::Returned,
                "休眠から復帰".to_string()
            )
        );
        assert_eq!(tr.reason.text_en(), "Came back from dormant");

        // Engagement at the MQL threshold with a new page view also brings it back.
        let view = [ev(EventKind::PageView, None, -1)];
        let f = HandoffFacts {
            status_since: since,
            engagement: 15.0,
            ..facts(LeadStatus::LostDormant, &view)
        };
        assert_eq!(eval(&f).map(|t| t.rule), Some(HandoffRule::Returned));
    }

    #[test]
    fn dormant_lead_stays_without_new_qualifying_activity() {
        let since = t(-30);
        // The form was before the lead went dormant; the new page view alone is not MQL.
        let old_form = [
            ev(EventKind::FormSubmit, None, -60),
            ev(EventKind::PageView, None, -1),
        ];
        let f = HandoffFacts {
            status_since: since,
            engagement: 3.0,
            ..facts(LeadStatus::LostDormant, &old_form)
        };
        assert_eq!(eval(&f), None);
        // High engagement but nothing since the lead went dormant.
        let f = HandoffFacts {
            status_since: since,
            engagement: 50.0,
            ..facts(LeadStatus::LostDormant, &old_form[..1])
        };
        assert_eq!(eval(&f), None);
        // A bot download after dormancy is not a return.
        let bot_dl = [bot(EventKind::Download, -1)];
        let f = HandoffFacts {
            status_since: since,
            engagement: 50.0,
            ..facts(LeadStatus::LostDormant, &bot_dl)
        };
        assert_eq!(eval(&f), None);
    }

    #[test]
    fn sales_owned_statuses_never_move() {
        let events = [ev(EventKind::FormSubmit, None, -1)];
        for status in [LeadStatus::SalesReady, LeadStatus::Opportunity] {
            let f = HandoffFacts {
                engagement: 100.0,
                fit_grade: FitGrade::A,
                status_since: t(-1000),
                ..facts(status, &events)
            };
            assert_eq!(eval(&f), None, "{status}");
        }
    }

    #[test]
    fn rule_keys_and_labels() {
        let keys: Vec<&str> = [
            HandoffRule::Mql,
            HandoffRule::Sql,
            HandoffRule::Dormant,
            HandoffRule::Returned,
        ]
        .iter()
        .map(HandoffRule::key)
        .collect();
        assert_eq!(keys, ["mql", "sql", "dormant", "returned"]);
        assert_eq!(HandoffRule::Sql.label_ja(), "SQL基準");
        assert_eq!(HandoffRule::Dormant.label_en(), "Dormancy");
    }

    #[test]
    fn latest_qualifying_download_tells_the_story() {
        let events = [
            ev(EventKind::Download, None, -20),
            product(-19),
            product(-18),
            ev(EventKind::Download, None, -3),
            ev(EventKind::WebinarAttend, None, -1),
        ];
        let refs: Vec<&ScoredEvent> = events.iter().collect();
        assert_eq!(
            download_then_actions(&refs, 7, 1),
            Some(Reason::DownloadThenActions {
                days: 2,
                actions: vec![(EventKind::WebinarAttend, None, 1)],
            })
        );
        assert_eq!(
            download_then_actions(&refs, 7, 2),
            Some(Reason::DownloadThenActions {
                days: 2,
                actions: vec![(EventKind::PageView, Some(PageCategory::Product), 2)],
            })
        );
        assert_eq!(download_then_actions(&refs, 7, 3), None);
        // A follow-up the same day still makes the story at least one day long.
        let same_day = [ev(EventKind::Download, None, 0), product(0)];
        let refs: Vec<&ScoredEvent> = same_day.iter().collect();
        assert!(matches!(
            download_then_actions(&refs, 7, 1),
            Some(Reason::DownloadThenActions { days: 1, .. })
        ));
        assert_eq!(
            download_then_actions(&refs[..1], 7, 0),
            Some(Reason::Downloaded)
        );
    }
}
