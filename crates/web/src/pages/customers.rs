//! `/customers`: the CRM side. A company becomes a customer when one of its leads is won;
//! its account page shows the contacts, the won deals and the renewal and upsell
//! follow-ups.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_store::leads::LeadFilter;

use super::leads::LeadRow;
use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::state::AppState;

/// Customers listed; the newest first.
const SHOWN: i64 = 500;
/// Contacts listed on an account page.
const CONTACTS_SHOWN: i64 = 200;

struct CustomerRow {
    id: i64,
    name: String,
    since: String,
    won: i64,
    contacts: i64,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    c: Chrome,
    t: Tr,
    rows: Vec<CustomerRow>,
    mine_only: bool,
}

/// Sales see the customers where they own a lead; everyone else sees all.
fn scope(user: &CurrentUser) -> Option<i64> {
    (user.role() == ondo_domain::Role::Sales).then_some(user.user.id)
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<Response, PageError> {
    let t = user.tr;
    let customers = ondo_store::customers::list(&state.db, user.workspace, scope(&user), SHOWN)
        .await
        .map_err(PageError::store(t))?;
    let rows = customers
        .into_iter()
        .map(|c| CustomerRow {
            id: c.company_id,
            name: c.display_name,
            since: c.customer_since.map(|s| t.date(s)).unwrap_or_default(),
            won: c.won_leads,
            contacts: c.contacts,
        })
        .collect();
    Ok(render(&CustomersPage {
        c: Chrome::new(&user, "customers", "/customers"),
        t,
        rows,
        mine_only: scope(&user).is_some(),
    }))
}

#[derive(Template)]
#[template(path = "customer.html")]
struct AccountPage {
    c: Chrome,
    t: Tr,
    id: i64,
    name: String,
    since: String,
    contacts: Vec<LeadRow>,
    /// (lead id, lead name, when, by whom)
    won: Vec<(i64, String, String, String)>,
    follow_ups: AccountFollowUps,
}

/// The account's renewal and upsell follow-ups (and its leads' open follow-ups).
pub struct AccountFollowUps {
    pub rows: Vec<super::tasks::TaskRow>,
    pub owners: Vec<super::leads::Choice>,
    pub default_due: String,
    pub error: String,
}

async fn account_follow_ups(
    state: &AppState,
    user: &CurrentUser,
    company_id: i64,
    error: &str,
) -> Result<AccountFollowUps, PageError> {
    let t = user.tr;
    let now = ondo_domain::Micros::now();
    let tasks = ondo_store::tasks::for_company(&state.db, user.workspace, company_id, true)
        .await
        .map_err(PageError::store(t))?;
    let rows = tasks
        .into_iter()
        .map(|task| super::tasks::task_row(&t, task, now, &user.user))
        .collect();
    let users = ondo_store::users::list(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let owners = users
        .iter()
        .filter(|u| !u.disabled)
        .map(|u| super::leads::Choice {
            value: u.id.to_string(),
            label: u.display_name.clone(),
            selected: u.id == user.user.id,
        })
        .collect();
    let error = match error {
        "title" => t.t("account-error-title"),
        "due" => t.t("account-error-due"),
        "owner" => t.t("account-error-owner"),
        _ => String::new(),
    };
    Ok(AccountFollowUps {
        rows,
        owners,
        // Renewals are usually a year out; the user picks the date.
        default_due: now
            .saturating_add(ondo_domain::Micros::days(30))
            .format_jst_iso_date(),
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let db = &state.db;
    let customer = crate::service::access::visible_customer(db, ws, &user.user, id)
        .await
        .map_err(|e| PageError::from_service(t, e))?;
    let filter = LeadFilter {
        company_id: Some(id),
        ..Default::default()
    };
    let contacts = ondo_store::leads::list(db, ws, &filter, CONTACTS_SHOWN)
        .await
        .map_err(PageError::store(t))?
        .iter()
        .map(|l| LeadRow::of(l, &t))
        .collect();
    let won = ondo_store::customers::won_deals(db, ws, id)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|w| {
            (
                w.lead_id,
                w.lead_name,
                t.date(w.won_at),
                w.won_by.unwrap_or_default(),
            )
        })
        .collect();
    let err = q.get("err").map(String::as_str).unwrap_or("");
    let follow_ups = account_follow_ups(&state, &user, id, err).await?;
    Ok(render(&AccountPage {
        c: Chrome::new(&user, "customers", &format!("/customers/{id}")),
        t,
        id,
        name: customer.display_name,
        since: customer
            .customer_since
            .map(|s| t.date(s))
            .unwrap_or_default(),
        contacts,
        won,
        follow_ups,
    }))
}

/// `POST /customers/{id}/tasks`: plans a renewal or upsell follow-up for the account.
pub async fn add_follow_up(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    use crate::service::tasks::{CreateError, TaskInput, TaskSubject};
    let t = user.tr;
    super::check_form_csrf(&user, &v)?;
    let get = |k: &str| v.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let input = TaskInput {
        title: get("title"),
        due_at: get("due"),
        // Due at the start of that business day.
        due_time: Some("09:00".to_string()),
        owner: get("owner")
            .parse::<i64>()
            .ok()
            .map(crate::service::leads::OwnerRef::Id),
        note: Some(get("note")),
        kind: Some(
            if get("kind") == "upsell" {
                "upsell"
            } else {
                "renewal"
            }
            .to_string(),
        ),
    };
    let actor = ondo_store::Actor::user(user.user.id, "web");
    let created = crate::service::tasks::create(
        &state.db,
        user.workspace,
        &user.user,
        TaskSubject::Customer(id),
        &input,
        &actor,
    )
    .await;
    match created {
        Ok(_) => Ok(Redirect::to(&format!("/customers/{id}#follow-ups")).into_response()),
        Err(CreateError::Invalid(problems)) => {
            let field = match problems.first().map(|(f, _)| *f) {
                Some("due_at" | "due_time") => "due",
                Some("owner") => "owner",
                _ => "title",
            };
            Ok(Redirect::to(&format!("/customers/{id}?err={field}#follow-ups")).into_response())
        }
        Err(CreateError::Service(e)) => Err(PageError::from_service(t, e)),
    }
}
