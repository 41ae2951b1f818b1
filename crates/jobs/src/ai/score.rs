//! Scoring leads with the active model: every lead as of now, in batches (after a
//! training or an activation), and the leads an event group touched, inside its
//! transaction. A lead's probability enters the queue's key as a factor (see
//! [`crate::scoring::lead::priority_key`]); without an active model the factor is gone.

use std::collections::HashMap;
use std::sync::Arc;

use ondo_domain::Micros;
use ondo_ml::reasons::Reasons;
use ondo_store::ai::{NewLeadScore, StoredHistory};
use ondo_store::rescoring::LeadEvents;
use ondo_store::{Db, StoreError, Tx, WorkspaceId};
use serde::Serialize;

use super::{AiError, LoadedModel, active_model};
use crate::scoring::lead::priority_key;

/// Leads per batch (one write transaction each).
const BATCH: i64 = 5_000;
/// Reasons kept per direction.
pub const REASONS: usize = 3;

/// Reasons with their weights to four decimals: the text is kept with every lead.
fn rounded(mut reasons: Reasons) -> Reasons {
    for r in reasons
        .positive
        .iter_mut()
        .chain(reasons.negative.iter_mut())
    {
        r.weight = (r.weight * 1e4).round() / 1e4;
    }
    reasons
}

/// A lead's reasons as of `now`.
fn reasons_of(m: &LoadedModel, h: &ondo_ml::lead_features::LeadHistory, now: Micros) -> Reasons {
    rounded(m.model.reasons(&m.space.row(h, now), REASONS))
}

/// A lead's probability and reasons (as JSON text) as of `now`.
fn score_one(
    m: &LoadedModel,
    h: &ondo_ml::lead_features::LeadHistory,
    now: Micros,
) -> (f64, String) {
    let row = m.space.row(h, now);
    let reasons = rounded(m.model.reasons(&row, REASONS));
    (
        m.model.predict(&row),
        serde_json::to_string(&reasons).expect("reasons are text and finite numbers"),
    )
}

/// Scores stored histories (CPU only), on every core for a large batch.
fn score_histories(
    m: &LoadedModel,
    histories: Vec<StoredHistory>,
    now: Micros,
) -> Vec<(i64, f64, String)> {
    let one = |h: StoredHistory| {
        let h = super::history::lead_history(h);
        let (p, reasons) = score_one(m, &h, now);
        (h.lead_id, p, reasons)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || histories.len() < 1_000 {
        return histories.into_iter().map(one).collect();
    }
    let size = histories.len().div_ceil(threads);
    let mut parts: Vec<Vec<StoredHistory>> = Vec::new();
    let mut rest = histories;
    while rest.len() > size {
        let tail = rest.split_off(size);
        parts.push(rest);
        rest = tail;
    }
    parts.push(rest);
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| s.spawn(move || part.into_iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("scoring a lead does not panic"))
            .collect()
    })
}

/// Scores every lead of the workspace with the active model as of now (or, without an
/// active model or with the AI score off, removes every lead's AI score), writing each
/// lead's queue key with it; `progress(done, total)` after each batch. Evaluates to the
/// leads looked at. The next batch is read and scored on another connection while one is
/// written, so the write lock is held for the writes only.
pub async fn score_all(
    db: &Db,
    ws: WorkspaceId,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<u64, AiError> {
    let model = {
        let mut tx = db.begin().await?;
        let m = active_model(&mut tx, ws).await?;
        tx.rollback().await?;
        m
    };
    let total = u64::try_from(ondo_store::ai::count_leads(db, ws).await?).unwrap_or(0);
    progress(0, total);
    let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
    let reader = tokio::spawn(read_ahead(
        db.clone(),
        ws,
        model.clone(),
        Micros::now(),
        sender,
    ));
    let model_id = model.as_ref().map(|m| m.id);
    let (mut done, mut writing) = (0u64, 0f64);
    while let Some(batch) = receiver.recv().await {
        let scored: Scored = batch?;
        let started = std::time::Instant::now();
        let count = scored.len() as u64;
        write_batch(db, ws, model_id, scored).await?;
        writing += started.elapsed().as_secs_f64();
        done += count;
        progress(done, total.max(done));
    }
    let (reading, computing) = reader
        .await
        .map_err(|e| StoreError::Corrupt(format!("scoring stopped: {e}")))?;
    tracing::info!(
        workspace = ws.0,
        leads = done,
        model = model_id,
        reading,
        computing,
        writing,
        "AI scores written"
    );
    Ok(done)
}

/// A batch of leads with their probability and reasons (`None`: no score).
type Scored = Vec<(i64, Option<(f64, String)>)>;

/// Reads the workspace's leads in id order, batch after batch, and scores each batch,
/// handing it to the writer; evaluates to the seconds spent reading and scoring.
async fn read_ahead(
    db: Db,
    ws: WorkspaceId,
    model: Option<Arc<LoadedModel>>,
    now: Micros,
    sender: tokio::sync::mpsc::Sender<Result<Scored, StoreError>>,
) -> (f64, f64) {
    let (mut reading, mut computing) = (0f64, 0f64);
    let mut after = 0;
    loop {
        let started = std::time::Instant::now();
        let histories = match ondo_store::ai::histories_after(&db, ws, after, BATCH).await {
            Ok(h) => h,
            Err(e) => {
                let _ = sender.send(Err(e)).await;
                break;
            }
        };
        reading += started.elapsed().as_secs_f64();
        let Some(last) = histories.last().map(|h| h.profile.id) else {
            break;
        };
        let started = std::time::Instant::now();
        let scored: Result<Scored, StoreError> = match &model {
            Some(m) => {
                let m = Arc::clone(m);
                tokio::task::spawn_blocking(move || score_histories(&m, histories, now))
                    .await
                    .map(|rows| {
                        rows.into_iter()
                            .map(|(id, p, r)| (id, Some((p, r))))
                            .collect()
                    })
                    .map_err(|e| StoreError::Corrupt(format!("scoring stopped: {e}")))
            }
            None => Ok(histories.iter().map(|h| (h.profile.id, None)).collect()),
        };
        computing += started.elapsed().as_secs_f64();
        let failed = scored.is_err();
        if sender.send(scored).await.is_err() || failed {
            break;
        }
        after = last;
    }
    (reading, computing)
}

/// Writes a batch's scores with the queue keys they make, reading the other parts of the
/// key inside the write transaction (so a lead rescored meanwhile keeps its new
/// engagement).
async fn write_batch(
    db: &Db,
    ws: WorkspaceId,
    model_id: Option<i64>,
    scored: Scored,
) -> Result<(), StoreError> {
    let ids: Vec<i64> = scored.iter().map(|s| s.0).collect();
    let mut by_id: HashMap<i64, Option<(f64, String)>> = scored.into_iter().collect();
    let mut tx = db.begin_write().await?;
    let inputs = ondo_store::ai::rank_inputs(&mut tx, ws, &ids).await?;
    let rows: Vec<NewLeadScore> = inputs
        .into_iter()
        .map(|(id, engagement, fit)| {
            let score = by_id.remove(&id).flatten();
            let p = score.as_ref().map(|s| s.0);
            NewLeadScore {
                lead_id: id,
                probability: p,
                reasons: score.map(|s| s.1),
                model_id: p.and(model_id),
                priority_key: priority_key(engagement, fit, p),
            }
        })
        .collect();
    ondo_store::ai::write_scores(&mut tx, ws, &rows).await?;
    tx.commit().await
}

/// Inside a rescoring's transaction: scores `ids` with the active model as of `now` and
/// stores their probabilities (not their queue keys: the rescoring writes those next);
/// evaluates to every lead's probability to rank with (the stored one when no model is
/// active). `events` are the leads' human events when the caller has read them already.
/// Only the probability is worked out here, inside the write lock (about 10 µs a lead);
/// the reasons are cleared and [`leads_ai`] works them out when someone reads them. A
/// model that cannot be read is logged and the stored probabilities are kept: ingestion
/// never stops for the AI score.
pub async fn refresh_in_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    ids: &[i64],
    events: Option<Vec<LeadEvents>>,
    now: Micros,
) -> Result<HashMap<i64, f64>, StoreError> {
    let model = match active_model(tx, ws).await {
        Ok(m) => m,
        Err(AiError::Store(e)) => return Err(e),
        Err(e) => {
            tracing::warn!(workspace = ws.0, error = %e, "the active AI model cannot be read; stored probabilities kept");
            None
        }
    };
    let Some(model) = model else {
        return ondo_store::ai::probabilities_of(tx, ws, ids).await;
    };
    let histories = match events {
        Some(events) => ondo_store::ai::histories_with(tx, ws, ids, events).await?,
        None => ondo_store::ai::histories_in(tx, ws, ids).await?,
    };
    let rows: Vec<(i64, f64, i64)> = histories
        .into_iter()
        .map(|h| {
            let h = super::history::lead_history(h);
            let p = model.model.predict(&model.space.row(&h, now));
            (h.lead_id, p, model.id)
        })
        .collect();
    ondo_store::ai::set_probabilities(tx, ws, &rows).await?;
    Ok(rows.into_iter().map(|(id, p, _)| (id, p)).collect())
}

/// A lead's AI score for its page, the API and the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadAi {
    /// The calibrated probability of becoming an opportunity, 0–1.
    pub probability: f64,
    /// The same as people read it, 1–99 ("AI 72%").
    pub percent: u8,
    /// The top factors raising and lowering it (up to three each), in ja and en.
    pub reasons: Reasons,
    /// The model version's id that scored it.
    pub model_id: Option<i64>,
}

/// The lead's AI score, or `None` while it has none (no active model, cold start).
pub async fn lead_ai(db: &Db, ws: WorkspaceId, lead_id: i64) -> Result<Option<LeadAi>, StoreError> {
    Ok(leads_ai(db, ws, &[lead_id]).await?.remove(&lead_id))
}

/// The AI scores of these leads (those that have one), by lead: for a lead page, lists
/// and the queue. Reasons an event cleared are worked out with the active model as of
/// now (one read of those leads' histories).
pub async fn leads_ai(
    db: &Db,
    ws: WorkspaceId,
    ids: &[i64],
) -> Result<HashMap<i64, LeadAi>, StoreError> {
    let scores = ondo_store::ai::lead_scores(db, ws, ids).await?;
    let unexplained: Vec<i64> = scores
        .iter()
        .filter(|s| s.reasons.is_none())
        .map(|s| s.lead_id)
        .collect();
    let mut worked_out = if unexplained.is_empty() {
        HashMap::new()
    } else {
        explain(db, ws, &unexplained).await?
    };
    Ok(scores
        .into_iter()
        .map(|s| {
            let reasons = match s.reasons.as_deref() {
                Some(text) => serde_json::from_str(text).unwrap_or_default(),
                None => worked_out.remove(&s.lead_id).unwrap_or_default(),
            };
            let ai = LeadAi {
                probability: s.probability,
                percent: super::percent(s.probability),
                reasons,
                model_id: s.model_id,
            };
            (s.lead_id, ai)
        })
        .collect())
}

/// The reasons of these leads' scores with the active model as of now (none without one).
async fn explain(
    db: &Db,
    ws: WorkspaceId,
    ids: &[i64],
) -> Result<HashMap<i64, Reasons>, StoreError> {
    let mut tx = db.begin().await?;
    let model = active_model(&mut tx, ws).await;
    tx.rollback().await?;
    let model = match model {
        Ok(Some(m)) => m,
        Ok(None) => return Ok(HashMap::new()),
        Err(AiError::Store(e)) => return Err(e),
        Err(e) => {
            tracing::warn!(workspace = ws.0, error = %e, "the active AI model cannot be read; reasons left out");
            return Ok(HashMap::new());
        }
    };
    let now = Micros::now();
    Ok(ondo_store::ai::histories_of(db, ws, ids)
        .await?
        .into_iter()
        .map(|h| {
            let h = super::history::lead_history(h);
            (h.lead_id, reasons_of(&model, &h, now))
        })
        .collect())
}
