//! `/queue`: 今追うべきリード — whom to call now, sales-ready first, then by temperature,
//! each with its reasons in words and what was done last.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use ondo_domain::Micros;

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::state::AppState;

const SHOWN: i64 = 100;

/// One lead of the queue, ready to show.
struct QueueRow {
    id: i64,
    name: String,
    company: String,
    title: String,
    phone: String,
    status: String,
    status_label: String,
    temperature: String,
    temperature_label: String,
    score: String,
    fit_grade: String,
    owner: String,
    reasons: Vec<String>,
    returned: bool,
    last_activity: String,
    /// "AI 72%" when a model scored the lead.
    ai: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    t: Tr,
    rows: Vec<QueueRow>,
    /// Managers choose whose queue: (id, name, selected).
    owners: Vec<(i64, String, bool)>,
    everyone: bool,
    can_choose: bool,
    /// The call outcomes, one button each: (value, label).
    outcomes: Vec<(String, String)>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let can_choose = user.role().can_see_every_queue();
    // A salesperson sees their own queue; others see everyone's unless they pick one.
    let owner = if can_choose {
        q.get("owner").and_then(|o| o.parse::<i64>().ok())
    } else {
        Some(user.user.id)
    };
    let users = ondo_store::users::list(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let owner = owner.filter(|o| users.iter().any(|u| u.id == *o));
    let entries = ondo_jobs::scoring::queue::queue(&state.db, ws, owner, SHOWN, Micros::now())
        .await
        .map_err(PageError::store(t))?;
    let ids: Vec<i64> = entries.iter().map(|e| e.lead.id).collect();
    let mut ai = ondo_jobs::ai::leads_ai(&state.db, ws, &ids)
        .await
        .map_err(PageError::store(t))?;
    let rows = entries
        .into_iter()
        .map(|e| {
            let lead_ai = ai
                .remove(&e.lead.id)
                .map(|a| crate::api::queue::AiJson::of(&a));
            let last_activity = match (&e.lead.last_activity_type, e.lead.last_activity_at) {
                (Some(kind), Some(at)) => {
                    let what = t.t(&format!("activity-{kind}"));
                    match e
                        .lead
                        .last_activity_outcome
                        .as_deref()
                        .filter(|o| !o.is_empty())
                    {
                        Some(o) => format!(
                            "{what}（{}） {}",
                            super::workflow::outcome_label(&t, o),
                            t.date(at)
                        ),
                        None => format!("{what} {}", t.date(at)),
                    }
                }
                _ => String::new(),
            };
            let item = crate::api::queue::item_json(e, lead_ai, t.lang);
            QueueRow {
                ai: item
                    .ai
                    .as_ref()
                    .map(|a| format!("AI {}%", a.percent))
                    .unwrap_or_default(),
                id: item.id,
                name: item.name,
                company: item.company.unwrap_or_default(),
                title: item.title.unwrap_or_default(),
                phone: item.phone.unwrap_or_default(),
                status_label: t.status(&item.status),
                status: item.status,
                temperature_label: t.t(&format!("temperature-{}", item.temperature)),
                temperature: item.temperature,
                score: format!("{:.0}", item.score),
                fit_grade: item.scores.fit_grade,
                owner: item.owner_name.unwrap_or_default(),
                reasons: item.reasons,
                returned: item.returned,
                last_activity,
            }
        })
        .collect();
    let owners = users
        .iter()
        .filter(|u| !u.disabled && u.role() == ondo_domain::Role::Sales)
        .map(|u| (u.id, u.display_name.clone(), owner == Some(u.id)))
        .collect();
    let path = match owner {
        Some(o) if can_choose => format!("/queue?owner={o}"),
        _ => "/queue".to_string(),
    };
    Ok(render(&QueuePage {
        c: Chrome::new(&user, "queue", &path),
        t,
        rows,
        owners,
        everyone: owner.is_none(),
        can_choose,
        outcomes: super::workflow::call_outcomes(&t),
    }))
}
