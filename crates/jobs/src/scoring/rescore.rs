//! Rescoring many leads at once: a whole workspace after a rule change or a bulk load, and
//! the leads an event group touched. Leads are read in id order with their events from
//! one ordered walk of the `events_lead` covering index, scored with the domain functions,
//! and only the scores that changed are written, with multi-row UPDATEs. The few leads
//! whose status the handoff rules move go through the per-lead path
//! ([`super::lead::rescore`]), so owners, history and audit are the same as on a new event.

use ondo_domain::Micros;
use ondo_domain::scoring::{ScoringRules, categorize};
use ondo_store::rescoring::{LeadEvents, StoredLead};
use ondo_store::{Db, StoreError, Tx, WorkspaceId};

use super::lead::{compute, rescore, scored_events};

/// Leads rescored per write transaction: about 50 ms of work, so event ingestion waits
/// little, and large enough that each UPDATE covers many leads.
const CHUNK: i64 = 2_000;

/// Page events categorised per write transaction.
const CATEGORY_CHUNK: usize = 5_000;

/// How far a rescoring has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Leads rescored so far.
    pub done: u64,
    /// Leads of the workspace (counted when the rescoring started).
    pub total: u64,
}

/// What a rescoring did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RescoreSummary {
    /// Leads looked at.
    pub leads: u64,
    /// Page events given a category.
    pub categorised: u64,
    /// Leads whose scores changed.
    pub changed: u64,
    /// Leads whose status a handoff rule changed.
    pub moved: u64,
}

/// Rescores every lead of the workspace with its current rules, reporting progress after
/// each transaction. With `apply_rules`, the handoff rules may change statuses as they
/// would on a new event; without, only the scores are written (a demo load keeps the
/// statuses it was given).
pub async fn rescore_all(
    db: &Db,
    ws: WorkspaceId,
    apply_rules: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<RescoreSummary, StoreError> {
    let (_, rules) = super::workspace_rules(db, ws).await?;
    let mut summary = RescoreSummary {
        categorised: categorise_pages(db, ws, &rules).await?,
        ..RescoreSummary::default()
    };
    let total = ondo_store::rescoring::count_leads(db, ws).await?;
    progress(Progress { done: 0, total });
    let now = Micros::now();
    let mut after = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let leads = ondo_store::rescoring::leads_after(&mut tx, ws, after, CHUNK).await?;
        let (Some(first), Some(last)) = (leads.first(), leads.last()) else {
            tx.rollback().await?;
            break;
        };
        let (first, last) = (first.facts.id, last.facts.id);
        let events = ondo_store::rescoring::events_between(&mut tx, ws, first, last).await?;
        let count = leads.len() as u64;
        let batch = rescore_batch(&mut tx, ws, &rules, leads, events, now, apply_rules).await?;
        tx.commit().await?;
        summary.leads += count;
        summary.changed += batch.changed;
        summary.moved += batch.moved;
        after = last;
        progress(Progress {
            done: summary.leads,
            total: total.max(summary.leads),
        });
    }
    Ok(summary)
}

/// Page views and downloads stored without a category (bulk loads) get one.
async fn categorise_pages(
    db: &Db,
    ws: WorkspaceId,
    rules: &ScoringRules,
) -> Result<u64, StoreError> {
    let uncategorised = ondo_store::events::uncategorised_pages(db, ws).await?;
    for chunk in uncategorised.chunks(CATEGORY_CHUNK) {
        let categories: Vec<(i64, &str)> = chunk
            .iter()
            .map(|(id, url)| (*id, categorize(url, &rules.page_rules).key()))
            .collect();
        let mut tx = db.begin_write().await?;
        ondo_store::rescoring::set_categories(&mut tx, ws, &categories).await?;
        tx.commit().await?;
    }
    Ok(uncategorised.len() as u64)
}

/// What rescoring a set of leads changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Batch {
    /// Leads whose scores changed.
    pub changed: u64,
    /// Leads whose status a handoff rule changed.
    pub moved: u64,
}

/// Rescores these leads inside `tx` with the handoff rules applied: what the event
/// writer does once per group for every lead the group's events touched.
pub async fn rescore_leads(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules: &ScoringRules,
    ids: &[i64],
    now: Micros,
) -> Result<Batch, StoreError> {
    let leads = ondo_store::rescoring::leads_by_ids(tx, ws, ids).await?;
    let events = ondo_store::rescoring::events_of(tx, ws, ids).await?;
    rescore_batch(tx, ws, rules, leads, events, now, true).await
}

/// Scores `leads` (in id order) from their human events (ordered by lead; bot events
/// score nothing and the handoff rules ignore them), writes the scores that changed, and moves the leads the handoff rules call for one at a time.
async fn rescore_batch(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules: &ScoringRules,
    leads: Vec<StoredLead>,
    events: Vec<LeadEvents>,
    now: Micros,
    apply_rules: bool,
) -> Result<Batch, StoreError> {
    let mut events = events.into_iter().peekable();
    let mut changed = Vec::new();
    let mut movers = Vec::new();
    for lead in &leads {
        let id = lead.facts.id;
        let mut own = Vec::new();
        while let Some(e) = events.next_if(|e| e.lead_id <= id) {
            if e.lead_id == id {
                own = e.events;
            }
        }
        let computed = compute(rules, &lead.facts, &scored_events(own), now, apply_rules);
        if computed.transition.is_some() {
            // The per-lead path writes the scores too.
            movers.push(id);
        } else if !lead.has_scores(&computed.keys) {
            changed.push((id, computed.keys));
        }
    }
    ondo_store::rescoring::write_scores(tx, ws, &changed).await?;
    let mut batch = Batch {
        changed: changed.len() as u64,
        moved: 0,
    };
    for id in movers {
        batch.changed += 1;
        let rescored = rescore(tx, ws, rules, id, now, true).await?;
        if rescored.is_some_and(|r| r.moved.is_some()) {
            batch.moved += 1;
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use ondo_domain::{LeadStatus, Role};
    use ondo_store::bulk::{BulkLead, BulkStatusChange};
    use ondo_store::events::NewEvent;
    use ondo_store::leads::LeadFields;

    use super::*;

    const DAY: i64 = 86_400_000_000;

    /// Lead `i` of the test workspace: a mix of statuses, profiles and histories that
    /// makes some leads move (MQL, SQL, dormant, returned) and most stay.
    fn lead(i: i64, now: i64) -> BulkLead {
        let status = match i % 5 {
            0 => LeadStatus::New,
            1 => LeadStatus::Nurturing,
            2 => LeadStatus::LostDormant,
            3 => LeadStatus::SalesReady,
            _ => LeadStatus::New,
        };
        let since = now - (30 + (i % 7) * 40) * DAY;
        BulkLead {
            fields: LeadFields {
                name: format!("リード {i}"),
                email: Some(format!("lead{i}@c{}.example.co.jp", i % 4)),
                title: (i % 3 == 0).then(|| "部長".to_string()),
                department: (i % 2 == 0).then(|| "営業部".to_string()),
                company_name: (i % 4 != 3).then(|| format!("株式会社テスト{}", i % 4)),
                ..LeadFields::default()
            },
            status,
            lost_reason: (status == LeadStatus::LostDormant).then(|| "時期尚早".to_string()),
            created_at: Micros(since - DAY),
            updated_at: Micros(since),
            touchpoints: Vec::new(),
            events: Vec::new(),
            activities: Vec::new(),
            status_changes: vec![BulkStatusChange {
                from: None,
                to: status,
                at: Micros(since),
                user_id: None,
                reason: String::new(),
            }],
        }
    }

    /// Events of lead `id` (its `i`): none, a few, or a busy recent stretch with a
    /// download, a form or a scanner's clicks.
    fn events(id: i64, i: i64, now: i64) -> Vec<NewEvent> {
        let mut out = Vec::new();
        let n = (i * 7) % 23;
        for k in 0..n {
            let (kind, url) = match (i + k) % 9 {
                0 => ("email_open", None),
                1 => ("email_click", None),
                2 | 3 => ("page_view", Some("https://example.jp/pricing")),
                4 => ("page_view", Some("https://example.jp/case/abc")),
                5 => ("page_view", Some("https://example.jp/blog/x")),
                6 if i % 4 == 0 => ("download", Some("https://example.jp/download/a.pdf")),
                7 if i % 11 == 0 => ("form_submit", None),
                _ => ("webinar_attend", None),
            };
            let age = if i % 3 == 0 { k * 2 } else { 100 + k * 5 };
            let category = url.map(|u| {
                categorize(u, &ScoringRules::default().page_rules)
                    .key()
                    .to_string()
            });
            out.push(NewEvent {
                key: format!("e{id}-{k}"),
                kind: kind.to_string(),
                occurred_at: now - age * DAY - k * 60_000_000,
                lead_id: Some(id),
                email: None,
                visitor_id: None,
                url: url.map(str::to_string),
                category,
                properties: "{}".to_string(),
                bot_reason: (k % 10 == 9).then(|| "user_agent".to_string()),
            });
        }
        out
    }

    /// A workspace of 120 leads with their events and two salespeople.
    async fn workspace(db: &Db, now: i64) -> WorkspaceId {
        let ws = ondo_store::workspaces::ensure(db, "default")
            .await
            .expect("workspace")
            .id();
        for email in ["a@sales.example.jp", "b@sales.example.jp"] {
            ondo_store::users::create(db, ws, email, email, Role::Sales, "!")
                .await
                .expect("sales user");
        }
        let leads: Vec<BulkLead> = (0..120).map(|i| lead(i, now)).collect();
        let ids = ondo_store::bulk::insert_leads(db, ws, &leads)
            .await
            .expect("leads");
        let rows: Vec<NewEvent> = ids
            .iter()
            .zip(0..)
            .flat_map(|(id, i)| events(*id, i, now))
            .collect();
        let mut tx = db.begin_write().await.expect("tx");
        let stored = ondo_store::events::insert_many(&mut tx, ws, &rows, now)
            .await
            .expect("events");
        assert!(stored.iter().all(|s| *s), "every generated key is new");
        tx.commit().await.expect("commit");
        ws
    }

    type LeadState = (
        String,
        Option<i64>,
        Option<f64>,
        f64,
        String,
        Option<i64>,
        bool,
        bool,
    );

    /// Every lead's status, owner and scores, and every rule's history row (with its
    /// reason in both languages).
    async fn state(db: &Db, ws: WorkspaceId) -> (Vec<LeadState>, Vec<(i64, String, String)>) {
        let mut leads = Vec::new();
        let mut history = Vec::new();
        for id in 1..=120 {
            let l = ondo_store::leads::get(db, ws, id).await.expect("lead");
            leads.push((
                l.status,
                l.owner_id,
                l.engagement_key,
                l.fit_score,
                l.fit_grade,
                l.last_engaged_at,
                l.renurture_on.is_some(),
                l.returned_at.is_some(),
            ));
            for h in ondo_store::leads::status_history(db, ws, id)
                .await
                .expect("history")
            {
                if let Some(rule) = h.rule {
                    history.push((id, format!("{} {}", h.to_status, h.reason), rule));
                }
            }
        }
        (leads, history)
    }

    #[tokio::test]
    async fn rescoring_a_workspace_in_bulk_agrees_with_rescoring_each_lead() {
        // The same workspace twice: one rescored a lead at a time, one in bulk.
        let one_by_one = ondo_store::testing::fresh_db().await;
        let bulk = ondo_store::testing::fresh_db().await;
        let at = Micros::now().0;
        let ws = workspace(&one_by_one, at).await;
        assert_eq!(workspace(&bulk, at).await, ws);

        let rules = ScoringRules::default();
        let now = Micros::now();
        let mut tx = one_by_one.begin_write().await.expect("tx");
        let mut moved = 0;
        for id in 1..=120 {
            let r = rescore(&mut tx, ws, &rules, id, now, true)
                .await
                .expect("rescore")
                .expect("lead exists");
            moved += u64::from(r.moved.is_some());
        }
        tx.commit().await.expect("commit");

        let mut seen = Vec::new();
        let summary = rescore_all(&bulk, ws, true, &mut |p| seen.push(p))
            .await
            .expect("rescore_all");

        let (leads, history) = state(&bulk, ws).await;
        assert_eq!(
            (leads.clone(), history.clone()),
            state(&one_by_one, ws).await
        );
        assert_eq!(summary.leads, 120);
        assert_eq!(summary.moved, moved);
        assert!(
            moved >= 10,
            "the data moves leads by every rule: {history:?}"
        );
        for rule in ["mql", "sql", "dormant", "returned"] {
            assert!(
                history.iter().any(|h| h.2 == rule),
                "no {rule} move: {history:?}"
            );
        }
        assert!(leads.iter().filter(|l| l.2.is_some()).count() > 60);
        assert_eq!(
            seen.first(),
            Some(&Progress {
                done: 0,
                total: 120
            })
        );
        assert_eq!(
            seen.last(),
            Some(&Progress {
                done: 120,
                total: 120
            })
        );
        assert!(seen.windows(2).all(|w| w[0].done < w[1].done));

        // Scores are settled: another run rewrites only the leads the rules move on once
        // more (one step per evaluation, new → nurturing → sales-ready), and soon nothing.
        let mut runs = 0;
        loop {
            let again = rescore_all(&bulk, ws, true, &mut |_| {})
                .await
                .expect("rescore_all again");
            assert_eq!(again.changed, again.moved, "only moved leads are rewritten");
            runs += 1;
            if again.moved == 0 {
                break;
            }
            assert!(runs < 4, "statuses keep moving");
        }
    }

    #[tokio::test]
    async fn a_rule_change_rewrites_only_the_scores_it_changes() {
        let db = ondo_store::testing::fresh_db().await;
        let ws = workspace(&db, Micros::now().0).await;
        rescore_all(&db, ws, false, &mut |_| {})
            .await
            .expect("first scoring");
        let (before, _) = state(&db, ws).await;

        // Emails count more: every lead with an email event gets a new key; the others
        // (and the fit of everyone) stay; without the handoff rules nobody moves.
        let mut rules = ScoringRules::default();
        rules.points.email_open = 2.0;
        let mut tx = db.begin_write().await.expect("tx");
        ondo_store::scoring_rules::save(
            &mut tx,
            ws,
            &rules.to_toml(),
            &ondo_store::Actor::system("test"),
            "emails count more",
            Micros::now().0,
        )
        .await
        .expect("save");
        tx.commit().await.expect("commit");
        let summary = rescore_all(&db, ws, false, &mut |_| {})
            .await
            .expect("rescore after the change");
        let (after, _) = state(&db, ws).await;
        let changed = before.iter().zip(&after).filter(|(b, a)| b != a).count() as u64;
        assert_eq!(summary.changed, changed);
        assert!(changed > 0 && changed < 120, "{changed} of 120 changed");
        assert_eq!(summary.moved, 0);
        assert!(before.iter().zip(&after).all(|(b, a)| b.0 == a.0));
    }
}
