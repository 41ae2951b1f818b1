//! The event writer: one task that writes every ingested event. Requests hand it their
//! parsed batch and wait; it gathers what is waiting into one transaction (a group
//! commit) and answers each request only after the commit. A bad request is refused
//! before it writes anything, so it never undoes or half-applies another.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ondo_domain::Micros;
use ondo_domain::automated::{
    AutomatedReason, BURST_SECONDS, TOO_FAST_SECONDS, automated_user_agent, click_bursts,
};
use ondo_domain::scoring::{EventKind, ScoringRules, categorize};
use ondo_store::events::NewEvent;
use ondo_store::{Db, DbKind, StoreError, Tx, WorkspaceId};
use tokio::sync::{mpsc, oneshot};

/// Most events written in one transaction.
const MAX_GROUP_EVENTS: usize = 5_000;

/// Who an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventTarget {
    Lead(i64),
    /// A normalised email; the event waits for its lead when none has it yet.
    Email(String),
    /// An anonymous visitor id of the tracking snippet; the event waits for the visitor
    /// to be identified when nobody knows who it is yet.
    Visitor(String),
}

/// One parsed event of a request.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    /// The sender's idempotency key.
    pub key: String,
    pub kind: EventKind,
    pub at: Micros,
    pub target: EventTarget,
    pub url: Option<String>,
    /// A JSON object.
    pub properties: serde_json::Map<String, serde_json::Value>,
    pub user_agent: Option<String>,
    /// When the email this open or click belongs to was sent.
    pub sent_at: Option<Micros>,
}

/// What a request's batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestOutcome {
    pub accepted: u64,
    pub duplicates: u64,
    /// Of the accepted ones, how many are kept unscored as automated.
    pub automated: u64,
    /// Of the accepted ones, how many wait for their lead to appear.
    pub waiting: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// `lead_id` of element `index` names no lead of the workspace.
    #[error("events[{index}].lead_id: no lead {lead_id} in this workspace")]
    UnknownLead { index: usize, lead_id: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the event writer has stopped")]
    Stopped,
}

struct Request {
    ws: WorkspaceId,
    events: Vec<IncomingEvent>,
    reply: oneshot::Sender<Result<IngestOutcome, IngestError>>,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct EventWriter {
    sender: mpsc::Sender<Request>,
}

impl EventWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db) -> EventWriter {
        let (sender, receiver) = mpsc::channel(1024);
        tokio::spawn(run(db, receiver));
        EventWriter { sender }
    }

    /// Writes a request's events; answers after they are committed, all or none.
    pub async fn submit(
        &self,
        ws: WorkspaceId,
        events: Vec<IncomingEvent>,
    ) -> Result<IngestOutcome, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Request { ws, events, reply })
            .await
            .map_err(|_| IngestError::Stopped)?;
        answer.await.map_err(|_| IngestError::Stopped)?
    }
}

/// WAL pages (4 KiB each) after which the event writer's commit checkpoints (64 MiB).
const WRITER_AUTOCHECKPOINT: i64 = 16_384;

/// How much of the database file the event writer maps into memory (SQLite's cap).
const WRITER_MMAP_BYTES: i64 = 2_147_418_112;

/// How long a group waits for SQLite's write lock while another process holds it (an
/// import from the command line holds it for the whole import: 14 s for 100k rows into 1M
/// leads) before its requests are refused: they are answered only after their commit, so
/// waiting is what a sender expects; refused, it would have to send again.
const WRITE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// Least time between two checkpoints of the background checkpointer.
const CHECKPOINT_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

async fn run(db: Db, mut receiver: mpsc::Receiver<Request>) {
    let own = matches!(&db, Db::Sqlite(p) if p.options().get_max_connections() > 1);
    // Copying the WAL back into the database file took a sixth of the writer's time when
    // the writer's commits did it. A connection of its own copies what the groups
    // committed while the writer goes on (on the other core); the writer's own
    // autocheckpoint then finds little left to copy, and it still bounds the WAL (a
    // checkpoint running beside a busy writer never reaches the WAL's end, so the log
    // would otherwise never start over).
    let committed = std::sync::Arc::new(tokio::sync::Notify::new());
    if own {
        match ondo_store::events::dedicated_writer(&db).await {
            Ok(checkpointer) => {
                tokio::spawn(checkpoint_behind(checkpointer, committed.clone()));
            }
            Err(e) => tracing::warn!(error = %e, "no background checkpointer for the event writer"),
        }
    }
    let db = match ondo_store::events::dedicated_writer(&db).await {
        Ok(writer) => writer,
        Err(e) => {
            tracing::warn!(error = %e, "the event writer shares the connection pool");
            db
        }
    };
    // Each group commit dirties about a thousand pages scattered over a large file: with
    // SQLite's default (a checkpoint once the WAL holds 1,000 pages) nearly every commit
    // was followed by a checkpoint and its fsyncs. The writer's own connection lets the
    // WAL grow to WRITER_AUTOCHECKPOINT pages first, so a page written by many groups is
    // copied back once.
    if own
        && let Err(e) = ondo_store::events::set_wal_autocheckpoint(&db, WRITER_AUTOCHECKPOINT).await
    {
        tracing::warn!(error = %e, "the event writer checkpoints at SQLite's default");
    }
    if own && let Err(e) = ondo_store::events::set_mmap_size(&db, WRITER_MMAP_BYTES).await {
        tracing::warn!(error = %e, "the event writer reads without a memory map");
    }
    let mut rules: HashMap<WorkspaceId, ScoringRules> = HashMap::new();
    while let Some(first) = receiver.recv().await {
        let mut group = vec![first];
        let mut size = group[0].events.len();
        while size < MAX_GROUP_EVENTS {
            match receiver.try_recv() {
                Ok(r) => {
                    size += r.events.len();
                    group.push(r);
                }
                Err(_) => break,
            }
        }
        // Rules are read fresh for every group: a saved change applies to the next one.
        rules.clear();
        let mut failed = None;
        for r in &group {
            if let std::collections::hash_map::Entry::Vacant(slot) = rules.entry(r.ws) {
                match super::workspace_rules(&db, r.ws).await {
                    Ok((_, rs)) => {
                        slot.insert(rs);
                    }
                    Err(e) => failed = Some(e.to_string()),
                }
            }
        }
        if let Some(e) = failed {
            for r in group {
                let _ = r.reply.send(Err(StoreError::Corrupt(e.clone()).into()));
            }
            continue;
        }
        write_group(&db, group, &rules).await;
        committed.notify_one();
    }
}

/// Checkpoints (passively: never waiting for readers or the writer) after the writer
/// commits, at most once per [`CHECKPOINT_PAUSE`].
async fn checkpoint_behind(db: Db, committed: std::sync::Arc<tokio::sync::Notify>) {
    loop {
        committed.notified().await;
        if let Err(e) = ondo_store::events::wal_checkpoint(&db).await {
            tracing::warn!(error = %e, "background checkpoint failed; the writer's own checkpoints go on");
        }
        tokio::time::sleep(CHECKPOINT_PAUSE).await;
    }
}

/// Writes a group in one transaction and answers every request.
///
/// A request is refused (its events left out, the others written) only for what its
/// reading phase finds, before it has written anything; so no savepoint is needed to undo
/// half of it. A store error while writing undoes the whole group and answers every
/// request with it: nothing is half-applied, and the senders may send again (the keys
/// make that safe).
async fn write_group(db: &Db, group: Vec<Request>, rules: &HashMap<WorkspaceId, ScoringRules>) {
    let mut tx = match db.begin_write_waiting(WRITE_PATIENCE).await {
        Ok(tx) => tx,
        Err(e) => return fail_group(group, &e),
    };
    let now = Micros::now();
    let mut results = Vec::with_capacity(group.len());
    // The leads the group's stored events touch, per workspace: each is rescored once for
    // the whole group, after its last request (as if the requests had been one).
    let mut touched: HashMap<WorkspaceId, BTreeSet<i64>> = HashMap::new();
    let mut waiting: Vec<(WorkspaceId, EventTarget)> = Vec::new();
    for r in &group {
        let rules = &rules[&r.ws];
        let targets = match resolve_targets(&mut tx, r.ws, &r.events).await {
            Ok(targets) => targets,
            Err(IngestError::Store(e)) => return fail_group(group, &e),
            Err(refused) => {
                results.push(Err(refused));
                continue;
            }
        };
        match write_request(&mut tx, r.ws, rules, &r.events, &targets, now).await {
            Ok((outcome, leads, waits)) => {
                touched.entry(r.ws).or_default().extend(leads);
                waiting.extend(waits.into_iter().map(|t| (r.ws, t)));
                results.push(Ok(outcome));
            }
            Err(e) => return fail_group(group, &e),
        }
    }
    let rescored = async {
        for (ws, leads) in &touched {
            let leads: Vec<i64> = leads.iter().copied().collect();
            super::rescore::rescore_leads(&mut tx, *ws, &rules[ws], &leads, now).await?;
        }
        tx.commit().await
    }
    .await;
    match rescored {
        Ok(()) => {
            for (r, result) in group.into_iter().zip(results) {
                let _ = r.reply.send(result);
            }
            if db.kind() == DbKind::Postgres && !waiting.is_empty() {
                attach_late(db, rules, waiting, now).await;
            }
        }
        Err(e) => fail_group(group, &e),
    }
}

/// Answers every request of a group that was not committed (its transaction, if any,
/// is rolled back when dropped) with the store's error.
fn fail_group(group: Vec<Request>, e: &StoreError) {
    tracing::error!(error = %e, "event group failed to commit");
    let msg = e.to_string();
    let busy = e.is_busy();
    for r in group {
        let e = if busy {
            StoreError::Busy
        } else {
            StoreError::Corrupt(msg.clone())
        };
        let _ = r.reply.send(Err(e.into()));
    }
}

/// On PostgreSQL a lead may be created, and look for its waiting events, while the group
/// that stored events for its email is not yet committed: neither sees the other. After
/// the commit, the group looks once more for leads of what it left waiting (the attach is
/// idempotent, so both finding it is harmless). SQLite writes one at a time: no race.
async fn attach_late(
    db: &Db,
    rules: &HashMap<WorkspaceId, ScoringRules>,
    waiting: Vec<(WorkspaceId, EventTarget)>,
    now: Micros,
) {
    let waiting: std::collections::HashSet<(WorkspaceId, EventTarget)> =
        waiting.into_iter().collect();
    let result: Result<(), StoreError> = async {
        let mut tx = db.begin_write().await?;
        for (ws, target) in &waiting {
            let (lead, email, visitor) = match target {
                EventTarget::Email(e) => (
                    ondo_store::events::lead_by_email(&mut tx, *ws, e).await?,
                    Some(e.as_str()),
                    None,
                ),
                EventTarget::Visitor(v) => (
                    ondo_store::tracking::lead_by_visitor(&mut tx, *ws, v).await?,
                    None,
                    Some(v.as_str()),
                ),
                EventTarget::Lead(_) => continue,
            };
            if let Some(lead) = lead
                && ondo_store::events::attach(&mut tx, *ws, lead, email, visitor).await? > 0
            {
                super::rescore_lead(&mut tx, *ws, &rules[ws], lead, now).await?;
            }
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "late attachment of waiting events failed; they stay waiting");
    }
}

/// Writes one request's events (their leads found by [`resolve_targets`]) and marks click
/// bursts; evaluates to what it did and the leads whose new events need them rescored.
async fn write_request(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules: &ScoringRules,
    events: &[IncomingEvent],
    targets: &[Option<i64>],
    now: Micros,
) -> Result<(IngestOutcome, BTreeSet<i64>, Vec<EventTarget>), StoreError> {
    let mut outcome = IngestOutcome::default();
    let rows: Vec<NewEvent> = events
        .iter()
        .zip(targets)
        .map(|(e, lead_id)| new_event(e, *lead_id, rules))
        .collect();
    let stored = ondo_store::events::insert_many(tx, ws, &rows, now.0).await?;
    let mut touched: BTreeSet<i64> = BTreeSet::new();
    let mut waiting: Vec<EventTarget> = Vec::new();
    // Earliest new human click per lead, to look for bursts around it.
    let mut new_clicks: BTreeMap<i64, i64> = BTreeMap::new();
    for ((e, row), stored) in events.iter().zip(&rows).zip(stored) {
        if !stored {
            outcome.duplicates += 1;
            continue;
        }
        outcome.accepted += 1;
        let bot = row.bot_reason.is_some();
        if bot {
            outcome.automated += 1;
        }
        match row.lead_id {
            Some(id) => {
                touched.insert(id);
                if !bot && e.kind == EventKind::EmailClick {
                    let first = new_clicks.entry(id).or_insert(e.at.0);
                    *first = (*first).min(e.at.0);
                }
            }
            None => {
                outcome.waiting += 1;
                waiting.push(e.target.clone());
            }
        }
    }
    if !new_clicks.is_empty() {
        let since: Vec<(i64, i64)> = new_clicks
            .into_iter()
            .map(|(lead_id, first)| (lead_id, first - BURST_SECONDS * 1_000_000))
            .collect();
        let clicks = ondo_store::events::human_clicks_of(tx, ws, &since).await?;
        let mut burst: Vec<i64> = Vec::new();
        for lead_clicks in clicks.values() {
            let times: Vec<i64> = lead_clicks.iter().map(|c| c.1).collect();
            burst.extend(click_bursts(&times).into_iter().map(|i| lead_clicks[i].0));
        }
        if !burst.is_empty() {
            burst.sort_unstable();
            ondo_store::events::mark_bot(tx, ws, &burst, AutomatedReason::ClickBurst.key()).await?;
        }
    }
    Ok((outcome, touched, waiting))
}

/// The lead each event is about (`None`: it waits for its lead), looked up with one query
/// per kind of target; a `lead_id` the workspace does not have refuses the request. Reads
/// only: a request refused here has written nothing.
async fn resolve_targets(
    tx: &mut Tx,
    ws: WorkspaceId,
    events: &[IncomingEvent],
) -> Result<Vec<Option<i64>>, IngestError> {
    let mut ids: Vec<i64> = Vec::new();
    let mut emails: Vec<&str> = Vec::new();
    for e in events {
        match &e.target {
            EventTarget::Lead(id) => ids.push(*id),
            EventTarget::Email(email) => emails.push(email),
            EventTarget::Visitor(_) => {}
        }
    }
    ids.sort_unstable();
    ids.dedup();
    emails.sort_unstable();
    emails.dedup();
    let known = if ids.is_empty() {
        Default::default()
    } else {
        ondo_store::events::existing_leads(tx, ws, &ids).await?
    };
    let by_email = if emails.is_empty() {
        Default::default()
    } else {
        ondo_store::events::leads_by_emails(tx, ws, &emails).await?
    };
    let mut by_visitor: HashMap<&str, Option<i64>> = HashMap::new();
    let mut targets = Vec::with_capacity(events.len());
    for (index, e) in events.iter().enumerate() {
        targets.push(match &e.target {
            EventTarget::Lead(id) => {
                if !known.contains(id) {
                    return Err(IngestError::UnknownLead {
                        index,
                        lead_id: *id,
                    });
                }
                Some(*id)
            }
            EventTarget::Email(email) => by_email.get(email.as_str()).copied(),
            EventTarget::Visitor(visitor) => match by_visitor.get(visitor.as_str()) {
                Some(found) => *found,
                None => {
                    let found = ondo_store::tracking::lead_by_visitor(tx, ws, visitor).await?;
                    by_visitor.insert(visitor, found);
                    found
                }
            },
        });
    }
    Ok(targets)
}

/// The row an incoming event is stored as: categorised and, when it looks automated on
/// its own, marked.
fn new_event(e: &IncomingEvent, lead_id: Option<i64>, rules: &ScoringRules) -> NewEvent {
    NewEvent {
        key: e.key.clone(),
        kind: e.kind.key().to_string(),
        occurred_at: e.at.0,
        lead_id,
        email: match &e.target {
            EventTarget::Email(m) => Some(m.clone()),
            _ => None,
        },
        visitor_id: match &e.target {
            EventTarget::Visitor(v) => Some(v.clone()),
            _ => None,
        },
        url: e.url.clone(),
        category: (e.kind == EventKind::PageView || e.kind == EventKind::Download)
            .then(|| {
                e.url
                    .as_deref()
                    .map(|u| categorize(u, &rules.page_rules).key().to_string())
            })
            .flatten(),
        properties: serde_json::Value::Object(e.properties.clone()).to_string(),
        bot_reason: automated(e).map(|b| b.key().to_string()),
    }
}

/// Why an event looks automated on its own (bursts are found across events).
fn automated(e: &IncomingEvent) -> Option<AutomatedReason> {
    if e.user_agent.as_deref().is_some_and(automated_user_agent) {
        return Some(AutomatedReason::UserAgent);
    }
    let email_event = matches!(e.kind, EventKind::EmailOpen | EventKind::EmailClick);
    if email_event
        && let Some(sent) = e.sent_at
        && e.at.0 >= sent.0
        && e.at.0 - sent.0 < TOO_FAST_SECONDS * 1_000_000
    {
        return Some(AutomatedReason::TooFast);
    }
    None
}
