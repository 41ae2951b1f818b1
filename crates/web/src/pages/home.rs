//! `/`: where the day starts. The user's unread alerts, the top of their queue, their
//! overdue and today's follow-ups, and the funnel at a glance.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use ondo_domain::{Micros, Role};

use super::tasks::{AlertRow, TaskRow, alert_row, task_row};
use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::charts::{self, Bar};
use crate::i18n::Tr;
use crate::state::AppState;

/// Leads of the queue shown on the home page.
const QUEUE_SHOWN: i64 = 5;
/// Alerts shown on the home page.
const ALERTS_SHOWN: i64 = 5;

/// One lead of the top of the queue.
struct TopLead {
    id: i64,
    name: String,
    company: String,
    temperature: String,
    temperature_label: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    t: Tr,
    today: String,
    alerts: Vec<AlertRow>,
    top: Vec<TopLead>,
    /// Whose queue and funnel: the user's own (sales) or everyone's.
    mine: bool,
    /// (anchor key, heading, tasks): overdue, then today.
    sections: Vec<(&'static str, String, Vec<TaskRow>)>,
    no_tasks: bool,
    upcoming: usize,
    funnel_svg: String,
    /// (status key, label, count)
    funnel: Vec<(String, String, String)>,
}

pub async fn show(State(state): State<AppState>, user: CurrentUser) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let db = &state.db;
    let now = Micros::now();
    let mine = user.role() == Role::Sales;
    let owner = mine.then_some(user.user.id);

    let alerts = ondo_store::alerts::unread(db, ws, user.user.id, ALERTS_SHOWN)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|a| alert_row(&t, a))
        .collect();
    let top = ondo_jobs::scoring::queue::queue(db, ws, owner, QUEUE_SHOWN, now)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|e| {
            let item = crate::api::queue::item_json(e, None, t.lang);
            TopLead {
                id: item.id,
                name: item.name,
                company: item.company.unwrap_or_default(),
                temperature_label: t.t(&format!("temperature-{}", item.temperature)),
                temperature: item.temperature,
                reason: item.reasons.into_iter().next().unwrap_or_default(),
            }
        })
        .collect();
    let agenda = ondo_store::tasks::agenda(db, ws, Some(user.user.id), now)
        .await
        .map_err(PageError::store(t))?;
    let rows = |tasks: Vec<ondo_store::tasks::Task>| -> Vec<TaskRow> {
        tasks
            .into_iter()
            .map(|task| task_row(&t, task, now, &user.user))
            .collect()
    };
    let upcoming = agenda.upcoming.len();
    let overdue = rows(agenda.overdue);
    let due_today = rows(agenda.today);

    // The team's counts are the lead list's (cached in a large workspace); one owner's
    // come from that owner's index entries.
    let counts = match owner {
        None => state
            .summaries
            .get(db, ws)
            .await
            .map_err(PageError::store(t))?
            .by_status
            .to_vec(),
        Some(_) => ondo_store::reports::funnel_at_a_glance(db, ws, owner)
            .await
            .map_err(PageError::store(t))?,
    };
    let bars: Vec<Bar> = counts
        .iter()
        .map(|(s, n)| Bar::new(t.status(s.key()), *n as f64, n.to_string()))
        .collect();
    let funnel_svg = charts::funnel(&t.t("home-funnel"), &bars, &t.t("home-funnel-empty"));
    let funnel = counts
        .iter()
        .map(|(s, n)| (s.key().to_string(), t.status(s.key()), n.to_string()))
        .collect();
    Ok(render(&HomePage {
        c: Chrome::new(&user, "home", "/"),
        t,
        today: t.date(now.0),
        alerts,
        top,
        mine,
        no_tasks: overdue.is_empty() && due_today.is_empty(),
        sections: vec![
            ("overdue", t.t("home-overdue"), overdue),
            ("today", t.t("home-today"), due_today),
        ],
        upcoming,
        funnel_svg,
        funnel,
    }))
}
