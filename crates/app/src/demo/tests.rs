use std::collections::HashSet;

use ondo_domain::{LeadStatus, Micros, Role};

use super::*;

/// 2026-11-16 12:00 JST.
const NOW: Micros = Micros(1_794_798_000_000_000);
const DAY: i64 = 86_400_000_000;

fn builtin_workspace(seed: u64) -> DemoWorkspace {
    generate(seed, NOW, &sources::builtin())
}

fn status_index(s: LeadStatus) -> usize {
    match s {
        LeadStatus::New => 0,
        LeadStatus::Nurturing => 1,
        LeadStatus::SalesReady => 2,
        LeadStatus::Opportunity => 3,
        LeadStatus::LostDormant => 4,
        LeadStatus::Won => 5,
    }
}

/// Every structural promise of the generator.
fn check_invariants(ws: &DemoWorkspace, now: Micros) {
    // Users.
    assert_eq!(ws.users.len(), 9);
    assert_eq!(ws.users.iter().filter(|u| u.role == Role::Admin).count(), 1);
    assert_eq!(
        ws.users.iter().filter(|u| u.role == Role::Manager).count(),
        1
    );
    assert_eq!(
        ws.users
            .iter()
            .filter(|u| u.role == Role::Marketing)
            .count(),
        2
    );
    assert_eq!(ws.users.iter().filter(|u| u.role == Role::Sales).count(), 5);
    assert!(
        ws.users
            .iter()
            .any(|u| u.email == "admin@demo.ondo.example")
    );
    assert!(
        ws.users
            .iter()
            .any(|u| u.email == "manager@demo.ondo.example")
    );
    assert!(ws.users.iter().all(|u| u.email.ends_with(".example")));

    // Companies.
    assert!(
        (400..=450).contains(&ws.companies.len()),
        "{} companies",
        ws.companies.len()
    );
    for c in &ws.companies {
        let d = c
            .domain
            .as_deref()
            .expect("every company has a demo domain");
        assert!(d.ends_with(".example.co.jp"), "{d}");
        assert!(
            d.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'),
            "{d}"
        );
    }

    // Leads.
    let n = ws.leads.len();
    assert!((1950..=2050).contains(&n), "{n} leads");
    let individuals = ws.leads.iter().filter(|l| l.company.is_none()).count();
    assert!(
        (n * 5 / 100..n * 11 / 100).contains(&individuals),
        "{individuals} without company"
    );
    let mut per_company = vec![0usize; ws.companies.len()];
    let mut emails = HashSet::new();
    for l in &ws.leads {
        if let Some(c) = l.company {
            per_company[c] += 1;
        }
        assert!(
            l.name.contains(' ') && l.kana.contains(' '),
            "{} / {}",
            l.name,
            l.kana
        );
        assert!(
            l.kana
                .chars()
                .all(|c| c == ' ' || ('\u{30A0}'..='\u{30FF}').contains(&c)),
            "{}",
            l.kana
        );
        if let Some(e) = &l.email {
            assert!(
                e.ends_with(".example.co.jp") || e.ends_with("@example.jp"),
                "deliverable-looking email {e}"
            );
            assert!(e.is_ascii() && e.matches('@').count() == 1, "{e}");
            assert!(emails.insert(e.clone()), "duplicate email {e}");
        }
        if let Some(o) = l.owner {
            assert_eq!(ws.users[o].role, Role::Sales, "owner must be a sales user");
        }
        assert_eq!(l.status == LeadStatus::LostDormant, l.lost_reason.is_some());
        if let Some(r) = &l.lost_reason {
            assert!(
                ["予算なし", "時期尚早", "競合採用", "連絡不通", "ニーズなし"]
                    .contains(&r.as_str()),
                "{r}"
            );
        }
        if matches!(l.status, LeadStatus::New | LeadStatus::Nurturing) {
            assert!(l.owner.is_none());
        }
        if matches!(l.status, LeadStatus::Opportunity | LeadStatus::Won) {
            assert!(l.owner.is_some());
            assert!(
                l.activities.iter().any(|a| a.kind == "meeting"),
                "opportunity without meeting"
            );
        }
        assert!(l.created_at.0 <= now.0 && l.created_at.0 >= now.0 - 280 * DAY);
        // Touchpoints.
        assert!((1..=4).contains(&l.touchpoints.len()));
        assert_eq!(l.touchpoints[0].at, l.created_at);
        for w in l.touchpoints.windows(2) {
            assert!(w[0].at.0 <= w[1].at.0);
        }
        for tp in &l.touchpoints {
            assert!(
                [
                    "trade_show",
                    "form",
                    "document_request",
                    "webinar",
                    "import"
                ]
                .contains(&tp.kind.as_str())
            );
            assert!(tp.at.0 <= now.0);
        }
        // Events.
        for e in &l.events {
            assert!(e.at.0 > l.created_at.0, "event before creation");
            assert!(e.at.0 <= now.0, "event in the future");
            assert!(
                [
                    "email_open",
                    "email_click",
                    "page_view",
                    "download",
                    "form_submit",
                    "webinar_attend"
                ]
                .contains(&e.kind.as_str())
            );
            if let Some(u) = &e.url {
                assert!(u.starts_with("https://www.example.co.jp/"), "{u}");
            }
        }
        for w in l.events.windows(2) {
            assert!(w[0].at.0 <= w[1].at.0);
        }
        if l.email.is_none() || l.email_opt_out {
            // Opted-out leads may have opened mail before opting out.
            if l.email.is_none() {
                assert!(!l.events.iter().any(|e| e.kind == "email_open"));
            }
        }
        // Activities.
        for a in &l.activities {
            assert!(a.at.0 > l.created_at.0 && a.at.0 <= now.0);
            assert_eq!(
                Some(a.user),
                l.owner,
                "activity by someone other than the owner"
            );
            assert!(["call", "email", "meeting", "note"].contains(&a.kind.as_str()));
            if a.kind == "call" {
                let o = a.outcome.as_deref().unwrap();
                assert!(
                    [
                        "不在",
                        "受付ブロック",
                        "担当者と会話",
                        "アポ獲得",
                        "資料送付"
                    ]
                    .contains(&o)
                );
            }
        }
        // Status path.
        let sc = &l.status_changes;
        assert_eq!(sc[0].from, None);
        assert_eq!(sc[0].to, LeadStatus::New);
        assert_eq!(sc[0].at, l.created_at);
        for w in sc.windows(2) {
            assert_eq!(w[1].from, Some(w[0].to));
            assert!(w[0].at.0 <= w[1].at.0);
            assert!(status_index(w[1].to) > status_index(w[0].to));
        }
        assert_eq!(sc.last().unwrap().to, l.status);
        assert!(sc.iter().all(|c| c.at.0 <= now.0 && !c.reason.is_empty()));
        for c in sc {
            if let Some(u) = c.user {
                assert!(u < ws.users.len());
            }
        }
        if matches!(l.status, LeadStatus::Opportunity) {
            // Activities come after the hand-off to sales.
            let sr = sc
                .iter()
                .find(|c| c.to == LeadStatus::SalesReady)
                .unwrap()
                .at
                .0;
            assert!(l.activities.iter().all(|a| a.at.0 >= sr));
        }
    }
    assert!(per_company.iter().all(|&k| k <= 12));
    assert!(per_company.iter().filter(|&&k| k >= 1).count() >= ws.companies.len() * 9 / 10);

    // Status mix.
    let mut counts = [0usize; 6];
    for l in &ws.leads {
        counts[status_index(l.status)] += 1;
    }
    // Some older opportunities are won: customers for the CRM side.
    assert!(counts[5] as f64 / n as f64 > 0.01, "won: {counts:?}");
    counts[3] += counts[5];
    let target = [0.45, 0.25, 0.10, 0.07, 0.13];
    for k in 0..5 {
        let share = counts[k] as f64 / n as f64;
        assert!(
            (share - target[k]).abs() < 0.04,
            "status {k}: {share:.3} vs {}",
            target[k]
        );
    }
    // The sales queue has unassigned work.
    assert!(
        ws.leads
            .iter()
            .any(|l| l.status == LeadStatus::SalesReady && l.owner.is_none())
    );
    assert!(
        ws.leads
            .iter()
            .any(|l| l.status == LeadStatus::SalesReady && l.owner.is_some())
    );

    // Behaviour volume and heavy tail.
    let total: usize = ws.leads.iter().map(|l| l.events.len()).sum();
    assert!((40_000..=80_000).contains(&total), "{total} events");
    let hot_recent = ws
        .leads
        .iter()
        .filter(|l| {
            l.events
                .iter()
                .filter(|e| e.at.0 > now.0 - 14 * DAY)
                .count()
                >= 10
        })
        .count();
    assert!(
        hot_recent >= 50,
        "only {hot_recent} leads with a recent burst"
    );
}

#[test]
fn deterministic_for_a_seed() {
    let a = builtin_workspace(42);
    let b = builtin_workspace(42);
    assert!(a == b, "same seed must give the same workspace");
    let c = builtin_workspace(43);
    assert!(a != c);
}

#[test]
fn builtin_sources_workspace_is_consistent() {
    let ws = builtin_workspace(7);
    check_invariants(&ws, NOW);
    let total: usize = ws.leads.iter().map(|l| l.events.len()).sum();
    let mut counts = std::collections::BTreeMap::new();
    for l in &ws.leads {
        *counts.entry(format!("{:?}", l.status)).or_insert(0usize) += 1;
    }
    eprintln!(
        "{} leads, {} companies, {total} events, statuses {counts:?}",
        ws.leads.len(),
        ws.companies.len()
    );
}

#[test]
fn other_seeds_and_dates_are_consistent() {
    for (seed, now) in [(1u64, NOW), (99, Micros(NOW.0 - 123 * DAY + 7_777_777))] {
        check_invariants(&generate(seed, now, &sources::builtin()), now);
    }
}

#[test]
fn few_sources_are_topped_up() {
    let ws = generate(3, NOW, &sources::builtin()[..5]);
    assert!(ws.companies.len() >= 400);
    let ws = generate(3, NOW, &[]);
    check_invariants(&ws, NOW);
}

#[test]
fn load_company_sources_returns_names() {
    let sources = load_company_sources();
    assert!(sources.len() >= 50, "{}", sources.len());
    let shared = std::env::var_os("ONDO_DEMO_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into())
        .join("companies/edinet-filers.cp932.csv");
    if shared.is_file() {
        assert!(sources.iter().any(|c| c.raw_name.contains("株式会社")));
        assert!(
            sources.iter().any(|c| c.corporate_number.is_some()),
            "EDINET rows expected"
        );
        assert!(
            sources
                .iter()
                .any(|c| c.address.as_deref().is_some_and(|a| a.starts_with('〒'))),
            "Japan Post rows expected"
        );
        let ws = generate(11, NOW, &sources);
        check_invariants(&ws, NOW);
        assert!(ws.companies.iter().any(|c| c.corporate_number.is_some()));
        assert!(
            ws.companies
                .iter()
                .any(|c| c.address.as_deref().is_some_and(|a| a.starts_with('〒')))
        );
        assert!(ws.leads.iter().any(|l| l.postcode.is_some()));
    } else {
        eprintln!("shared data absent: only the built-in list was checked");
    }
}

#[test]
fn timing() {
    let sources = sources::builtin();
    let t = std::time::Instant::now();
    let ws = generate(5, NOW, &sources);
    eprintln!("generated {} leads in {:?}", ws.leads.len(), t.elapsed());
}

/// Slow sweep over many seeds; run with `cargo test -p ondo --lib demo -- --ignored`.
#[test]
#[ignore]
fn many_seeds_are_consistent() {
    let sources = sources::builtin();
    for seed in 100..140 {
        let ws = generate(seed, NOW, &sources);
        check_invariants(&ws, NOW);
    }
}
