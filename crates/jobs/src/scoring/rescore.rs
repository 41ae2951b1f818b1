//! Rescoring many leads at once: a whole workspace after a rule change or a bulk load, and
//! the leads an event group touched. Leads are read in id order with their events from
//! one ordered walk of the `events_lead` covering index, scored with the domain functions,
//! and only the scores that changed are written, with multi-row UPDATEs; so are the
//! status changes of the handoff rules (history and audit rows as the per-lead path
//! writes them), except a handoff to sales, which goes through the per-lead path
//! ([`super::lead::rescore`]) to choose the owner and notify them.
//!
//! On SQLite the next chunk is read and scored on another connection while one is
//! written, so the write lock is held only for the writes; leads that changed in between
//! are rescored one at a time inside the write transaction.

use std::collections::{HashMap, HashSet};

use ondo_domain::scoring::{ScoringRules, Transition, categorize};
use ondo_domain::{LeadStatus, Micros};
use ondo_store::rescoring::{LeadEvents, StoredLead};
use ondo_store::scoring::{LeadFacts, RuleChange, ScoreKeys};
use ondo_store::{Db, DbKind, StoreError, Tx, WorkspaceId};

use super::lead::{apply_transition, compute, rescore, rule_change, scored_events};

/// Leads per chunk (one write transaction). A rule change moves nearly every engaged
/// lead's key, so each transaction rewrites most pages of both queue indexes whatever its
/// size: at 1M leads, chunks of 2,000 wrote about twice as much in all as chunks of
/// 10,000 and took twice as long. With the reading done ahead, a chunk of 10,000 holds
/// the write lock for a few tenths of a second.
const CHUNK: i64 = 10_000;
/// Chunks the SQLite writer commits between two checkpoints of the WAL (which then holds
/// up to a few hundred MB at 1M leads).
const CHUNKS_PER_CHECKPOINT: u32 = 4;

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
    /// The longest write transaction (event ingestion waits at most this long).
    pub longest_write: std::time::Duration,
    /// Time inside write transactions, commits included.
    pub writing: std::time::Duration,
    /// Leads that went through the per-lead path (handed to sales, or changed since
    /// their chunk was read), and the time that took inside the write transactions.
    pub one_by_one: u64,
    pub one_by_one_time: std::time::Duration,
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
    let mut report = |summary: &mut RescoreSummary, count: u64, batch: Batch| {
        summary.leads += count;
        summary.changed += batch.changed;
        summary.moved += batch.moved;
        summary.one_by_one += batch.one_by_one;
        summary.one_by_one_time += batch.one_by_one_time;
        progress(Progress {
            done: summary.leads,
            total: total.max(summary.leads),
        });
    };
    match db.kind() {
        DbKind::Sqlite => {
            // Chunks are read and scored ahead, outside the write lock, while the one
            // before is written; the write transaction holds only the writes.
            let writer = ondo_store::events::dedicated_writer(db).await?;
            // A chunk's transaction touches most pages of both queue indexes; checkpointing
            // after every one (SQLite's default) rewrote them each time: 26 of 67 s at 1M.
            // The writer checkpoints every few chunks instead.
            // (Its own pool, as `dedicated_writer` makes one, unless the database has a
            // single connection: an in-memory one.)
            let own_writer = matches!(db, Db::Sqlite(p) if p.options().get_max_connections() > 1);
            if own_writer {
                ondo_store::events::set_wal_autocheckpoint(&writer, 0).await?;
            }
            let mut chunks = 0u32;
            let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
            let reader = tokio::spawn(read_ahead(
                db.clone(),
                ws,
                rules.clone(),
                now,
                apply_rules,
                sender,
            ));
            while let Some(chunk) = receiver.recv().await {
                let chunk: Prepared = chunk?;
                let started = std::time::Instant::now();
                let mut tx = writer.begin_write().await?;
                let changed = ondo_store::rescoring::changed_since(
                    &mut tx,
                    ws,
                    chunk.first,
                    chunk.last,
                    chunk.count,
                    chunk.max_event_id,
                    chunk.read_at,
                )
                .await?;
                let count = chunk.count as u64;
                let batch = write_chunk(&mut tx, ws, &rules, chunk, &changed, now).await?;
                tx.commit().await?;
                summary.longest_write = summary.longest_write.max(started.elapsed());
                chunks += 1;
                if own_writer && chunks.is_multiple_of(CHUNKS_PER_CHECKPOINT) {
                    ondo_store::events::wal_checkpoint(&writer).await?;
                }
                summary.writing += started.elapsed();
                report(&mut summary, count, batch);
            }
            if own_writer {
                ondo_store::events::wal_checkpoint(&writer).await?;
            }
            reader
                .await
                .map_err(|e| StoreError::Corrupt(format!("rescoring reader failed: {e}")))?;
        }
        DbKind::Postgres => {
            // Row locks keep other writers off the chunk's leads only, so reading inside
            // the transaction costs nobody else much.
            let mut after = 0;
            loop {
                let started = std::time::Instant::now();
                let mut tx = db.begin_write().await?;
                let leads = ondo_store::rescoring::leads_after(&mut tx, ws, after, CHUNK).await?;
                let (Some(first), Some(last)) = (leads.first(), leads.last()) else {
                    tx.rollback().await?;
                    break;
                };
                let (first, last) = (first.facts.id, last.facts.id);
                let events =
                    ondo_store::rescoring::events_between(&mut tx, ws, first, last).await?;
                let ai = ondo_store::ai::probabilities_between(&mut tx, ws, first, last).await?;
                let chunk = prepare(&rules, leads, events, now, apply_rules, &ai);
                let count = chunk.count as u64;
                let batch = write_chunk(&mut tx, ws, &rules, chunk, &HashSet::new(), now).await?;
                tx.commit().await?;
                summary.longest_write = summary.longest_write.max(started.elapsed());
                summary.writing += started.elapsed();
                report(&mut summary, count, batch);
                after = last;
            }
        }
    }
    Ok(summary)
}

/// A lead changed less than this long before its chunk was read (in microseconds) may
/// have been changed by a transaction that began before the read and committed after it:
/// it is rescored again inside the write transaction.
const CHANGE_MARGIN: i64 = 60_000_000;

/// Reads chunks of leads and their events in id order on a connection of its own (a read
/// snapshot each) and scores them, handing each to the writer.
async fn read_ahead(
    db: Db,
    ws: WorkspaceId,
    rules: ScoringRules,
    now: Micros,
    apply_rules: bool,
    sender: tokio::sync::mpsc::Sender<Result<Prepared, StoreError>>,
) {
    let mut after = 0;
    loop {
        let read = async {
            let read_at = Micros::now().0 - CHANGE_MARGIN;
            let mut tx = db.begin().await?;
            let max_event_id = ondo_store::rescoring::max_event_id(&mut tx, ws).await?;
            let leads = ondo_store::rescoring::leads_after(&mut tx, ws, after, CHUNK).await?;
            let (Some(first), Some(last)) = (leads.first(), leads.last()) else {
                tx.rollback().await?;
                return Ok(None);
            };
            let (first, last) = (first.facts.id, last.facts.id);
            let events = ondo_store::rescoring::events_between(&mut tx, ws, first, last).await?;
            let ai = ondo_store::ai::probabilities_between(&mut tx, ws, first, last).await?;
            tx.rollback().await?;
            let mut chunk = prepare(&rules, leads, events, now, apply_rules, &ai);
            chunk.max_event_id = max_event_id;
            chunk.read_at = read_at;
            Ok(Some(chunk))
        };
        let chunk = match read.await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return,
            Err(e) => {
                let _ = sender.send(Err(e)).await;
                return;
            }
        };
        after = chunk.last;
        if sender.send(Ok(chunk)).await.is_err() {
            return;
        }
    }
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
    /// Leads written through the per-lead path, and how long that took.
    pub one_by_one: u64,
    pub one_by_one_time: std::time::Duration,
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
    // The leads' AI scores follow their new events (when a model is active).
    let ai = crate::ai::score::refresh_in_tx(tx, ws, ids, Some(events.clone()), now).await?;
    let chunk = prepare(rules, leads, events, now, true, &ai);
    write_chunk(tx, ws, rules, chunk, &HashSet::new(), now).await
}

/// A chunk of leads scored, ready to be written.
struct Prepared {
    first: i64,
    last: i64,
    /// Leads in the chunk.
    count: usize,
    /// Scores that changed (also of the leads in `moved`).
    changed: Vec<(i64, ScoreKeys)>,
    /// Status changes stored in bulk: every transition but the handoff to sales.
    moved: Vec<(i64, RuleChange<'static>)>,
    /// Leads the rules hand to sales, with what was read of them and the transition:
    /// their scores go with `changed`, then [`apply_transition`] chooses the owner, stores
    /// the change and notifies, one lead at a time.
    to_sales: Vec<(LeadFacts, Transition)>,
    /// What the chunk was read after (SQLite, read ahead): the newest event id then, and
    /// the time from which a lead's change may not have been seen.
    max_event_id: i64,
    read_at: i64,
}

/// Scores `leads` (in id order) from their human events (ordered by lead; bot events
/// score nothing and the handoff rules ignore them) and their AI probabilities (by lead;
/// a lead without one has no AI factor).
fn prepare(
    rules: &ScoringRules,
    leads: Vec<StoredLead>,
    events: Vec<LeadEvents>,
    now: Micros,
    apply_rules: bool,
    ai: &HashMap<i64, f64>,
) -> Prepared {
    let mut events = events.into_iter().peekable();
    let mut chunk = Prepared {
        first: leads.first().map_or(0, |l| l.facts.id),
        last: leads.last().map_or(0, |l| l.facts.id),
        count: leads.len(),
        changed: Vec::new(),
        moved: Vec::new(),
        to_sales: Vec::new(),
        max_event_id: 0,
        read_at: 0,
    };
    for lead in &leads {
        let id = lead.facts.id;
        let mut own = Vec::new();
        while let Some(e) = events.next_if(|e| e.lead_id <= id) {
            if e.lead_id == id {
                own = e.events;
            }
        }
        let computed = compute(
            rules,
            &lead.facts,
            &scored_events(own),
            now,
            apply_rules,
            ai.get(&id).copied(),
        );
        match computed.transition {
            Some(t) if t.to == LeadStatus::SalesReady => {
                chunk.changed.push((id, computed.keys));
                chunk.to_sales.push((lead.facts.clone(), t));
            }
            Some(t) => {
                chunk
                    .moved
                    .push((id, rule_change(rules, &lead.facts, &t, None, now)));
                chunk.changed.push((id, computed.keys));
            }
            None if !lead.has_scores(&computed.keys) => chunk.changed.push((id, computed.keys)),
            None => {}
        }
    }
    chunk
}

/// Writes a scored chunk: the scores that changed and the status changes in bulk; the
/// leads handed to sales, and every lead in `stale` (changed since it was read), through
/// the per-lead path, which reads them again.
async fn write_chunk(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules: &ScoringRules,
    chunk: Prepared,
    stale: &HashSet<i64>,
    now: Micros,
) -> Result<Batch, StoreError> {
    let (rescored_again, changed): (Vec<_>, Vec<_>) = chunk
        .changed
        .into_iter()
        .partition(|(id, _)| stale.contains(id));
    let moved: Vec<(i64, RuleChange<'static>)> = chunk
        .moved
        .into_iter()
        .filter(|(id, _)| !stale.contains(id))
        .collect();
    let to_sales: Vec<(LeadFacts, Transition)> = chunk
        .to_sales
        .into_iter()
        .filter(|(facts, _)| !stale.contains(&facts.id))
        .collect();
    ondo_store::rescoring::write_scores(tx, ws, &changed).await?;
    ondo_store::scoring::apply_rule_changes(tx, ws, &moved, now.0).await?;
    // A stale lead counts as changed when its scores did (as read) or it moves now.
    let stale_changed: HashSet<i64> = rescored_again.into_iter().map(|(id, _)| id).collect();
    let mut batch = Batch {
        changed: changed.len() as u64,
        moved: (moved.len() + to_sales.len()) as u64,
        ..Batch::default()
    };
    let started = std::time::Instant::now();
    batch.one_by_one = (to_sales.len() + stale.len()) as u64;
    // Handed to sales: the scores are written above; the owner, the change and the
    // notification one lead at a time, from what the chunk read.
    for (facts, t) in &to_sales {
        apply_transition(tx, ws, rules, facts.id, facts, t, now).await?;
    }
    let mut one_by_one: Vec<i64> = stale.iter().copied().collect();
    one_by_one.sort_unstable();
    for id in one_by_one {
        // The per-lead path writes the scores too.
        if let Some(r) = rescore(tx, ws, rules, id, now, true).await? {
            let moves = r.moved.is_some();
            batch.changed += u64::from(moves || stale_changed.contains(&id));
            batch.moved += u64::from(moves);
        }
    }
    batch.one_by_one_time = started.elapsed();
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
