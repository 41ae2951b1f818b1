//! `/settings/statuses`: the written status definitions — what each status means, what
//! marketing and sales do in it, and the criteria that move a lead into it (from the
//! handoff rules) — shown to everyone as the common language and reworded by admins,
//! with the managed list of lost reasons.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::LeadStatus;
use ondo_domain::scoring::ScoringRules;
use ondo_store::statuses::StatusWording;

use super::{Chrome, PageError, check_form_csrf, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::service::statuses::{lost_reasons, parse_lost_reasons};
use crate::state::AppState;

/// Longest reworded text.
const MAX_TEXT_CHARS: usize = 300;

/// One status as the page shows it.
pub struct StatusRow {
    pub key: &'static str,
    pub label: String,
    pub meaning: String,
    pub marketing: String,
    pub sales: String,
    pub entry: String,
    /// The workspace's own words, for the edit form (empty: standard text).
    pub own_meaning: String,
    pub own_marketing: String,
    pub own_sales: String,
    pub reworded: bool,
}

#[derive(Template)]
#[template(path = "settings_statuses.html")]
struct StatusesPage {
    c: Chrome,
    t: Tr,
    rows: Vec<StatusRow>,
    can_edit: bool,
    reasons: Vec<String>,
    reasons_text: String,
    reasons_error: String,
    saved: bool,
}

/// How a lead enters each status, in words, from the workspace's rules.
fn entry_criteria(t: &Tr, status: LeadStatus, r: &ScoringRules) -> String {
    let h = &r.handoff;
    match status {
        LeadStatus::New => t.t("statuses-entry-new"),
        LeadStatus::Nurturing => super::scoring::mql_criterion(t, r),
        LeadStatus::SalesReady => super::scoring::sql_criterion(t, r),
        LeadStatus::Opportunity => t.t("statuses-entry-opportunity"),
        LeadStatus::Won => t.t("statuses-entry-won"),
        LeadStatus::LostDormant => t.tn(
            "statuses-entry-lost",
            &[("days", h.dormant_days.to_string())],
        ),
    }
}

fn may_edit(user: &CurrentUser) -> Result<(), PageError> {
    if user.role().can_admin() {
        Ok(())
    } else {
        Err(PageError::Forbidden(user.tr))
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    reasons_edit: Option<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let (_, rules) = ondo_jobs::scoring::workspace_rules(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let wordings: HashMap<String, StatusWording> = ondo_store::statuses::wordings(&state.db, ws)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|w| (w.status.clone(), w))
        .collect();
    let rows = LeadStatus::ALL
        .into_iter()
        .map(|s| {
            let own = wordings.get(s.key()).cloned().unwrap_or_default();
            let standard = |part: &str| t.t(&format!("statuses-{}-{part}", s.key()));
            StatusRow {
                key: s.key(),
                label: t.status(s.key()),
                meaning: own.meaning.clone().unwrap_or_else(|| standard("meaning")),
                marketing: own
                    .marketing_role
                    .clone()
                    .unwrap_or_else(|| standard("marketing")),
                sales: own.sales_role.clone().unwrap_or_else(|| standard("sales")),
                entry: entry_criteria(&t, s, &rules),
                reworded: own.meaning.is_some()
                    || own.marketing_role.is_some()
                    || own.sales_role.is_some(),
                own_meaning: own.meaning.unwrap_or_default(),
                own_marketing: own.marketing_role.unwrap_or_default(),
                own_sales: own.sales_role.unwrap_or_default(),
            }
        })
        .collect();
    let reasons = lost_reasons(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let failed = reasons_edit.as_ref().is_some_and(|(_, e)| !e.is_empty());
    let (reasons_text, reasons_error) =
        reasons_edit.unwrap_or_else(|| (reasons.join("\n"), String::new()));
    let page = StatusesPage {
        c: Chrome::new(user, "statuses", "/settings/statuses"),
        t,
        rows,
        can_edit: user.role().can_admin(),
        reasons,
        reasons_text,
        reasons_error,
        saved,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    page(&state, &user, None, q.contains_key("saved")).await
}

/// Rewords one status; a blank field goes back to the standard text.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_edit(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let status = LeadStatus::parse(&key).map_err(|_| PageError::NotFound(t))?;
    let text = |name: &str| -> Option<String> {
        v.get(name)
            .map(|s| s.trim().chars().take(MAX_TEXT_CHARS).collect::<String>())
            .filter(|s| !s.is_empty())
    };
    let wording = StatusWording {
        status: status.key().to_string(),
        meaning: text("meaning"),
        marketing_role: text("marketing_role"),
        sales_role: text("sales_role"),
    };
    let actor = ondo_store::Actor::user(user.user.id, "web");
    ondo_store::statuses::save_wording(&state.db, user.workspace, &wording, &actor)
        .await
        .map_err(PageError::store(t))?;
    Ok(Redirect::to(&format!("/settings/statuses?saved#status-{}", status.key())).into_response())
}

/// Replaces the list of lost reasons (one per line).
pub async fn update_lost_reasons(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_edit(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let typed = v.get("reasons").cloned().unwrap_or_default();
    match parse_lost_reasons(&typed) {
        Ok(labels) => {
            let actor = ondo_store::Actor::user(user.user.id, "web");
            ondo_store::statuses::set_lost_reasons(&state.db, user.workspace, &labels, &actor)
                .await
                .map_err(PageError::store(t))?;
            Ok(Redirect::to("/settings/statuses?saved#lost-reasons").into_response())
        }
        Err((key, line)) => {
            let message = match line {
                Some(n) => t.tn(key, &[("line", n.to_string())]),
                None => t.t(key),
            };
            page(&state, &user, Some((typed, message)), false).await
        }
    }
}
