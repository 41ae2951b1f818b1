//! The report queries over a history with exact times: JST period boundaries, months,
//! first-contact delays, first calls and their temperature, lost reasons, other
//! workspaces. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.

use ondo_domain::{LeadStatus, Micros, Role};
use ondo_store::bulk::{BulkActivity, BulkLead, BulkStatusChange};
use ondo_store::leads::{LeadFields, NewTouchpoint};
use ondo_store::reports::{
    ContactBucket, GroupKey, Grouping, Period, SourceKey, funnel_at_a_glance, jst_day,
};
use ondo_store::testing::fresh_db;

const HOUR: i64 = 3_600_000_000;

fn at(rfc3339: &str) -> Micros {
    Micros::parse_rfc3339(rfc3339).expect("a time")
}

/// A lead created at `created` (JST), from `source` (none: no touchpoint), that went
/// through `path` one hour apart each (the first status at creation).
fn lead(created: &str, source: Option<&str>, path: &[LeadStatus]) -> BulkLead {
    let created_at = at(created);
    let mut changes = Vec::new();
    let mut from = None;
    for (i, s) in path.iter().enumerate() {
        changes.push(BulkStatusChange {
            from,
            to: *s,
            at: created_at.saturating_add(i as i64 * HOUR),
            user_id: None,
            reason: String::new(),
        });
        from = Some(*s);
    }
    BulkLead {
        fields: LeadFields {
            name: format!("リード {created}"),
            ..Default::default()
        },
        status: *path.last().expect("a status"),
        lost_reason: None,
        created_at,
        updated_at: created_at,
        touchpoints: source
            .map(|s| NewTouchpoint {
                kind: "trade_show".into(),
                source: s.into(),
                occurred_at: created_at,
                details: serde_json::json!({}),
            })
            .into_iter()
            .collect(),
        events: Vec::new(),
        activities: Vec::new(),
        status_changes: changes,
    }
}

fn call(at: Micros, user: i64, outcome: &str, temperature: &str) -> BulkActivity {
    BulkActivity {
        kind: "call".into(),
        outcome: Some(outcome.into()),
        note: None,
        at,
        user_id: Some(user),
        temperature: Some(temperature.into()),
    }
}

#[tokio::test]
async fn reports_count_the_cohort_of_the_period_in_japan_time() {
    use LeadStatus::*;
    let db = fresh_db().await;
    let ws = ondo_store::workspaces::ensure(&db, "default")
        .await
        .expect("workspace")
        .id();
    let user = |email: &'static str| {
        let db = db.clone();
        async move {
            ondo_store::users::create(&db, ws, email, email, Role::Sales, "x")
                .await
                .expect("user")
                .id
        }
    };
    let (a, b) = (user("a@example.com").await, user("b@example.com").await);

    // Just after midnight on 1 April in Japan (still 31 March in UTC): in the period.
    let mut l1 = lead(
        "2026-04-01T00:30:00+09:00",
        Some("展示会"),
        &[New, SalesReady, Opportunity, Won],
    );
    // SQL at +1 h; called 30 minutes later, hot.
    l1.activities.push(call(
        l1.created_at.saturating_add(HOUR + HOUR / 2),
        a,
        "アポ獲得",
        "hot",
    ));
    let mut l2 = lead("2026-04-10T10:00:00+09:00", Some("展示会"), &[SalesReady]);
    l2.activities.push(call(
        l2.created_at.saturating_add(5 * HOUR),
        a,
        "不在",
        "cold",
    ));
    l2.status = LostDormant;
    l2.lost_reason = Some("予算なし".into());
    l2.status_changes.push(BulkStatusChange {
        from: Some(SalesReady),
        to: LostDormant,
        at: at("2026-04-20T10:00:00+09:00"),
        user_id: Some(a),
        reason: "予算なし".into(),
    });
    let mut l3 = lead(
        "2026-05-02T10:00:00+09:00",
        Some("フォーム"),
        &[New, SalesReady],
    );
    l3.fields.owner_id = Some(a);
    // Never SQL, called two days after creation.
    let mut l4 = lead("2026-05-03T10:00:00+09:00", None, &[New]);
    l4.activities.push(call(
        l4.created_at.saturating_add(48 * HOUR),
        b,
        "担当者と会話",
        "cold",
    ));
    // Straight to opportunity; called an hour after creation.
    let mut l5 = lead(
        "2026-05-10T10:00:00+09:00",
        Some("フォーム"),
        &[New, Opportunity],
    );
    l5.activities.push(call(
        l5.created_at.saturating_add(HOUR),
        b,
        "アポ獲得",
        "cold",
    ));
    // One minute before the period: not in the cohort.
    let l0 = lead(
        "2026-03-31T23:59:00+09:00",
        Some("展示会"),
        &[New, Nurturing],
    );
    // Created and first called in March, called again in April: its first call is not in
    // the period, but the April call is an activity of the period.
    let mut l6 = lead("2026-03-01T10:00:00+09:00", Some("展示会"), &[New]);
    l6.activities
        .push(call(at("2026-03-02T10:00:00+09:00"), a, "不在", "warm"));
    l6.activities
        .push(call(at("2026-04-02T10:00:00+09:00"), a, "不在", "hot"));
    ondo_store::bulk::insert_leads(&db, ws, &[l0, l1, l2, l3, l4, l5, l6])
        .await
        .expect("history");

    // Another workspace, same period: never counted.
    let other = ondo_store::workspaces::ensure(&db, "other")
        .await
        .expect("workspace")
        .id();
    let mut theirs = lead("2026-04-05T10:00:00+09:00", Some("展示会"), &[New, Won]);
    theirs.activities.push(BulkActivity {
        user_id: None,
        ..call(theirs.created_at, 0, "アポ獲得", "cold")
    });
    ondo_store::bulk::insert_leads(&db, other, &[theirs])
        .await
        .expect("other workspace");

    let period = Period {
        from: jst_day(at("2026-04-01T00:00:00+09:00")),
        to: jst_day(at("2026-06-01T00:00:00+09:00")),
    };
    let r = ondo_store::reports::build(&db, ws, period, Grouping::Month)
        .await
        .expect("report");

    assert_eq!(r.total, [5, 4, 4, 2, 1]);
    let months: Vec<_> = r
        .groups
        .iter()
        .map(|g| (g.group.clone(), g.counts))
        .collect();
    assert_eq!(
        months,
        vec![
            (GroupKey::Month(period.from), [2, 2, 2, 1, 1]),
            (GroupKey::Month(period.from + 30), [3, 2, 2, 1, 0]),
        ]
    );
    let sources: Vec<_> = r
        .sources
        .iter()
        .map(|g| (g.group.clone(), g.counts))
        .collect();
    assert_eq!(
        sources,
        vec![
            (
                GroupKey::Source(SourceKey::Named("フォーム".into())),
                [2, 2, 2, 1, 0]
            ),
            (
                GroupKey::Source(SourceKey::Named("展示会".into())),
                [2, 2, 2, 1, 1]
            ),
            (GroupKey::Source(SourceKey::Unknown), [1, 0, 0, 0, 0]),
        ]
    );
    assert_eq!(r.sources[1].opportunity_rate(), Some(0.5));

    // Delays: 30 min, 1 h, 5 h, 2 days, and one SQL never contacted.
    let fc = &r.first_contact;
    assert_eq!((fc.leads, fc.contacted, fc.within_day), (5, 4, 3));
    assert_eq!(fc.median, Some(HOUR));
    assert_eq!(fc.p75, Some(5 * HOUR));
    let bins: Vec<(ContactBucket, i64)> = fc.buckets.clone();
    assert_eq!(
        bins.iter().map(|b| b.1).collect::<Vec<_>>(),
        vec![1, 1, 1, 1, 0, 0, 1]
    );

    let reps: Vec<_> = r
        .activities
        .iter()
        .map(|x| (x.user_id, x.calls, x.outcome("不在"), x.outcome("アポ獲得")))
        .collect();
    assert_eq!(reps, vec![(Some(a), 3, 2, 1), (Some(b), 2, 0, 1)]);

    assert_eq!(r.lost_reasons.len(), 1);
    assert_eq!(r.lost_reasons[0].reason.as_deref(), Some("予算なし"));
    assert_eq!(r.lost_reasons[0].leads, 1);

    let temps: Vec<_> = r
        .temperature
        .iter()
        .map(|t| (t.temperature.clone(), t.leads, t.converted))
        .collect();
    assert_eq!(
        temps,
        vec![
            (Some("hot".to_string()), 1, 1),
            (Some("warm".to_string()), 0, 0),
            (Some("cold".to_string()), 3, 1),
        ]
    );
    let ratio = r.hot_cold_ratio().expect("a ratio");
    assert!((ratio - 3.0).abs() < 1e-9, "{ratio}");

    // By week: 2026-03-30 is the Monday of the week holding 1 April.
    let weeks = ondo_store::reports::build(&db, ws, period, Grouping::Week)
        .await
        .expect("report");
    assert_eq!(weeks.groups[0].group, GroupKey::Week(period.from - 2));
    assert_eq!(weeks.groups[0].counts[0], 1);
    assert_eq!(weeks.groups.iter().map(|g| g.counts[0]).sum::<i64>(), 5);

    // A period without anything.
    let empty = Period {
        from: period.from - 400,
        to: period.from - 300,
    };
    let nothing = ondo_store::reports::build(&db, ws, empty, Grouping::Source)
        .await
        .expect("report");
    assert!(nothing.is_empty());
    assert!(nothing.groups.is_empty());

    let all = funnel_at_a_glance(&db, ws, None).await.expect("funnel");
    assert_eq!(
        all,
        vec![
            (New, 2),
            (Nurturing, 1),
            (SalesReady, 1),
            (Opportunity, 1),
            (LostDormant, 1),
            (Won, 1),
        ]
    );
    let mine = funnel_at_a_glance(&db, ws, Some(a)).await.expect("funnel");
    assert_eq!(mine.iter().map(|(_, n)| n).sum::<i64>(), 1);
    assert!(mine.contains(&(SalesReady, 1)));
}
