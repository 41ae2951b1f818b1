//! Properties of engagement scoring that the database and the queue rely on, and the
//! round trip of rules through TOML.

use std::collections::{BTreeMap, HashMap};

use ondo_domain::Micros;
use ondo_domain::scoring::{
    AssignField, AssignmentRule, Bands, DailyCaps, EventKind, EventPoints, FitCriterion, FitGrade,
    FitRules, HandoffRules, PageCategory, PagePoints, ScoredEvent, ScoringRules, UrlRule,
    breakdown, bucket_key, counted_points, engagement_key, jst_day, key_add, score_on,
};
use proptest::prelude::*;

/// 2025-01-01 00:00 JST.
const BASE: i64 = 1_735_657_200_000_000;
/// Events fall within this many days after BASE.
const SPAN_DAYS: i64 = 200;

fn kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        Just(EventKind::EmailOpen),
        Just(EventKind::EmailClick),
        Just(EventKind::PageView),
        Just(EventKind::PageView),
        Just(EventKind::Download),
        Just(EventKind::FormSubmit),
        Just(EventKind::WebinarAttend),
        Just(EventKind::Custom("trial".into())),
        Just(EventKind::Custom("seminar".into())),
    ]
}

fn category() -> impl Strategy<Value = Option<PageCategory>> {
    prop_oneof![
        Just(None),
        proptest::sample::select(PageCategory::ALL.to_vec()).prop_map(Some),
    ]
}

fn event() -> impl Strategy<Value = ScoredEvent> {
    (
        kind(),
        category(),
        0..Micros::days(SPAN_DAYS),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(kind, category, offset, bot)| ScoredEvent {
            kind,
            category,
            at: Micros(BASE + offset),
            bot,
        })
}

fn events() -> impl Strategy<Value = Vec<ScoredEvent>> {
    proptest::collection::vec(event(), 0..40)
}

/// Points and caps: often round, sometimes zero, sometimes fractional.
fn amount() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), (1u32..=30).prop_map(f64::from), 0.5f64..30.0,]
}

/// Rules for the engagement properties: random half-life, points and caps.
fn engagement_rules() -> impl Strategy<Value = ScoringRules> {
    (
        prop_oneof![Just(1.0), Just(14.0), 1.0f64..365.0],
        proptest::collection::vec(amount(), 10),
        proptest::collection::vec(amount(), 7),
        amount(),
    )
        .prop_map(|(half_life_days, p, c, trial)| {
            let mut rules = ScoringRules {
                half_life_days,
                ..ScoringRules::default()
            };
            rules.points = EventPoints {
                email_open: p[0],
                email_click: p[1],
                page_view: PagePoints {
                    product: p[2],
                    case_study: p[3],
                    document: p[4],
                    other: p[5],
                },
                download: p[6],
                form_submit: p[7],
                webinar_attend: p[8],
                custom_default: p[9],
                custom: BTreeMap::from([("trial".to_string(), trial)]),
            };
            rules.daily_cap = DailyCaps {
                email_open: c[0],
                email_click: c[1],
                page_view: c[2],
                download: c[3],
                form_submit: c[4],
                webinar_attend: c[5],
                custom: c[6],
            };
            rules
        })
}

/// Keys agree when they differ by no more than rounding (1e-9 relative to the key).
fn keys_agree(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        _ => false,
    }
}

fn last_day(events: &[ScoredEvent]) -> i64 {
    events
        .iter()
        .map(|e| jst_day(e.at))
        .max()
        .unwrap_or(jst_day(Micros(BASE)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Scoring events one by one as they arrive gives the key a full recomputation gives.
    #[test]
    fn incremental_key_equals_full_recomputation(rules in engagement_rules(), mut evs in events()) {
        let full = engagement_key(&rules, &evs);
        evs.sort_by_key(|e| e.at);
        let mut already: HashMap<(String, i64), f64> = HashMap::new();
        let mut key = None;
        for e in evs.iter().filter(|e| !e.bot) {
            let day = jst_day(e.at);
            let so_far = already.entry((bucket_key(&e.kind).to_string(), day)).or_insert(0.0);
            let counted = counted_points(&rules, &e.kind, e.category, *so_far);
            *so_far += counted;
            key = key_add(key, counted, day, &rules);
        }
        prop_assert!(keys_agree(full, key), "full {full:?} vs incremental {key:?}");
    }

    /// The breakdown adds up to the score shown next to it.
    #[test]
    fn breakdown_adds_up_to_the_score(rules in engagement_rules(), evs in events(), later in 0i64..60) {
        let today = last_day(&evs) + later;
        let score = score_on(engagement_key(&rules, &evs), today, &rules);
        let total: f64 = breakdown(&rules, &evs, today).iter().map(|l| l.value_today).sum();
        prop_assert!(
            (score - total).abs() <= 1e-9 * score.abs().max(total.abs()) + 1e-300,
            "score {score} vs breakdown {total}"
        );
    }

    /// Whichever lead is ahead on one day is ahead on every later day, so the key can be indexed.
    #[test]
    fn ranking_by_score_never_changes_over_time(
        rules in engagement_rules(),
        a in events(),
        b in events(),
        d1 in 0i64..300,
        gap in 1i64..300,
    ) {
        let ka = engagement_key(&rules, &a);
        let kb = engagement_key(&rules, &b);
        if let (Some(x), Some(y)) = (ka, kb) {
            // Keys a rounding error apart are ties; which side rounding lands on is noise.
            prop_assume!((x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1.0));
        }
        let first = last_day(&a).max(last_day(&b)) + d1;
        let second = first + gap;
        let ahead = |day| score_on(ka, day, &rules) > score_on(kb, day, &rules);
        prop_assert_eq!(ahead(first), ahead(second));
        let behind = |day| score_on(ka, day, &rules) < score_on(kb, day, &rules);
        prop_assert_eq!(behind(first), behind(second));
        // And the key orders leads the same way the scores do.
        prop_assert_eq!(ahead(first), ka.unwrap_or(f64::NEG_INFINITY) > kb.unwrap_or(f64::NEG_INFINITY));
    }
}

// ---- TOML round trip ----

/// Any finite number of at least zero, including huge, tiny and subnormal ones.
fn non_negative() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        (0u32..1000).prop_map(f64::from),
        0.0f64..1000.0,
        proptest::num::f64::POSITIVE | proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL,
    ]
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![non_negative(), non_negative().prop_map(|x| -x),]
}

/// Non-blank text of any characters, Japanese, quotes and control characters included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{1,16}",
        "[\"'\\\\\t#=\\[\\]{}/.事例製品 a-z]{1,16}",
        any::<String>(),
    ]
    .prop_filter("not blank", |s| !s.trim().is_empty())
}

fn grade() -> impl Strategy<Value = FitGrade> {
    proptest::sample::select(FitGrade::ALL.to_vec())
}

fn custom_points() -> impl Strategy<Value = BTreeMap<String, f64>> {
    proptest::collection::btree_map(
        "[a-z][a-z0-9_]{0,39}".prop_filter("custom", |k| ondo_domain::scoring::is_custom_key(k)),
        non_negative(),
        0..4,
    )
}

fn criteria() -> impl Strategy<Value = Vec<FitCriterion>> {
    proptest::collection::vec(
        (text(), text(), finite(), text()).prop_map(|(field, contains, points, label)| {
            FitCriterion {
                field,
                contains,
                points,
                label,
            }
        }),
        0..4,
    )
}

fn page_rules() -> impl Strategy<Value = Vec<UrlRule>> {
    proptest::collection::vec(
        (text(), proptest::sample::select(PageCategory::ALL.to_vec()))
            .prop_map(|(pattern, category)| UrlRule { pattern, category }),
        0..6,
    )
}

fn assignment_rules() -> impl Strategy<Value = Vec<AssignmentRule>> {
    proptest::collection::vec(
        (
            proptest::sample::select(vec![
                AssignField::Source,
                AssignField::Prefecture,
                AssignField::Industry,
            ]),
            "[a-zA-Z0-9ぁ-んァ-ン一-龠]{1,12}",
            "[a-z]{1,8}@[a-z]{1,8}\\.(jp|com)",
        )
            .prop_map(|(field, contains, owner)| AssignmentRule {
                field,
                contains,
                owner,
            }),
        0..4,
    )
}

/// Three distinct values in 0..=100, largest first.
fn grade_thresholds() -> impl Strategy<Value = (f64, f64, f64)> {
    proptest::collection::btree_set(0u32..=1000, 3).prop_map(|set| {
        let v: Vec<f64> = set.into_iter().map(|x| f64::from(x) / 10.0).collect();
        (v[2], v[1], v[0])
    })
}

fn any_rules() -> impl Strategy<Value = ScoringRules> {
    let points = (
        proptest::collection::vec(non_negative(), 10),
        custom_points(),
    )
        .prop_map(|(p, custom)| EventPoints {
            email_open: p[0],
            email_click: p[1],
            page_view: PagePoints {
                product: p[2],
                case_study: p[3],
                document: p[4],
                other: p[5],
            },
            download: p[6],
            form_submit: p[7],
            webinar_attend: p[8],
            custom_default: p[9],
            custom,
        });
    let caps = proptest::collection::vec(non_negative(), 7).prop_map(|c| DailyCaps {
        email_open: c[0],
        email_click: c[1],
        page_view: c[2],
        download: c[3],
        form_submit: c[4],
        webinar_attend: c[5],
        custom: c[6],
    });
    let bands = (0.0f64..1e6, 1e-3f64..1e6).prop_map(|(warm, extra)| Bands {
        hot: warm + extra,
        warm,
    });
    let fit = (
        proptest::collection::vec(non_negative(), 6),
        criteria(),
        grade_thresholds(),
    )
        .prop_map(|(p, criteria, (grade_a, grade_b, grade_c))| FitRules {
            company_known: p[0],
            department_known: p[1],
            corporate_email: p[2],
            title_executive: p[3],
            title_manager: p[4],
            title_staff: p[5],
            criteria,
            grade_a,
            grade_b,
            grade_c,
        });
    let handoff = (
        non_negative(),
        non_negative(),
        grade(),
        any::<u32>(),
        any::<u32>(),
        1u32..,
    )
        .prop_map(
            |(
                mql_engagement,
                sql_engagement,
                sql_min_fit_grade,
                sql_followups,
                sql_followup_days,
                dormant_days,
            )| {
                HandoffRules {
                    mql_engagement,
                    sql_engagement,
                    sql_min_fit_grade,
                    sql_followups,
                    sql_followup_days,
                    dormant_days,
                }
            },
        );
    (
        prop_oneof![Just(14.0), 1e-6f64..=3650.0, Just(3650.0)],
        points,
        caps,
        bands,
        fit,
        handoff,
        page_rules(),
        assignment_rules(),
    )
        .prop_map(
            |(half_life_days, points, daily_cap, bands, fit, handoff, page_rules, assignment)| {
                ScoringRules {
                    half_life_days,
                    points,
                    daily_cap,
                    bands,
                    fit,
                    handoff,
                    page_rules,
                    assignment,
                }
            },
        )
}

proptest! {
    /// Rules saved as TOML read back exactly as they were.
    #[test]
    fn rules_round_trip_through_toml(rules in any_rules()) {
        prop_assert_eq!(rules.validate(), Ok(()));
        let text = rules.to_toml();
        prop_assert_eq!(ScoringRules::from_toml(&text), Ok(rules), "{}", text);
    }
}
