//! Working a lead from its page and from the queue: a call logged in two clicks (its
//! outcome is the button), an email, a meeting or a note; and a status change, with a
//! reason from the managed list and a re-nurture date when the lead is lost or put on hold.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::{LeadStatus, Micros};
use ondo_store::leads::Lead;
use ondo_store::{Db, StoreError};

use super::leads::Choice;
use super::{PageError, check_form_csrf, local_path};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::service::ServiceError;
use crate::service::activities::{CALL_OUTCOME_KEYS, CALL_OUTCOMES};
use crate::service::leads::LeadChanges;
use crate::state::AppState;

/// Days ahead a dormant lead is re-nurtured unless the user picks another date.
const DEFAULT_RENURTURE_DAYS: i64 = 90;

/// What the lead page needs to log work and change the status.
pub struct LeadWork {
    /// The call outcomes as buttons: (stored value, label in the reader's language).
    pub outcomes: Vec<(String, String)>,
    pub statuses: Vec<Choice>,
    pub lost_reasons: Vec<Choice>,
    /// The date proposed for re-nurturing, `YYYY-MM-DD`.
    pub renurture_default: String,
    /// A message about the last attempt (an error, or what was just recorded).
    pub error: String,
    pub notice: String,
}

/// The call outcomes as (value, label) in the reader's language.
pub fn call_outcomes(t: &Tr) -> Vec<(String, String)> {
    CALL_OUTCOMES
        .iter()
        .zip(CALL_OUTCOME_KEYS)
        .map(|(v, k)| (v.to_string(), t.t(&format!("outcome-{k}"))))
        .collect()
}

/// A stored call outcome in the reader's language (free text stays as written).
pub fn outcome_label(t: &Tr, outcome: &str) -> String {
    match CALL_OUTCOMES.iter().position(|o| *o == outcome) {
        Some(i) => t.t(&format!("outcome-{}", CALL_OUTCOME_KEYS[i])),
        None => outcome.to_string(),
    }
}

/// Builds the lead page's work card; `q` carries the result of the last post.
pub async fn lead_work(
    db: &Db,
    user: &CurrentUser,
    lead: &Lead,
    q: &HashMap<String, String>,
) -> Result<LeadWork, StoreError> {
    let t = &user.tr;
    let reasons = crate::service::statuses::lost_reasons(db, user.workspace).await?;
    let current_reason = lead.lost_reason.clone().unwrap_or_default();
    let mut lost_reasons: Vec<Choice> = reasons
        .iter()
        .map(|r| Choice {
            value: r.clone(),
            label: r.clone(),
            selected: *r == current_reason,
        })
        .collect();
    // A reason since removed from the list stays selectable for the lead that has it.
    if !current_reason.is_empty() && !reasons.contains(&current_reason) {
        lost_reasons.push(Choice {
            value: current_reason.clone(),
            label: current_reason,
            selected: true,
        });
    }
    let statuses = LeadStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.key().to_string(),
            label: t.status(s.key()),
            selected: s.key() == lead.status,
        })
        .collect();
    let renurture = lead.renurture_on.unwrap_or_else(|| {
        Micros::now()
            .saturating_add(Micros::days(DEFAULT_RENURTURE_DAYS))
            .0
    });
    let error = match q.get("err").map(String::as_str) {
        Some("lost_reason") => t.t("work-error-lost-reason"),
        Some("renurture_on") => t.t("work-error-renurture"),
        Some("note") => t.t("work-error-note"),
        _ => String::new(),
    };
    let notice = match q.get("done").map(String::as_str) {
        Some("activity") => t.t("work-logged"),
        Some("status") => t.t("work-status-changed"),
        _ => String::new(),
    };
    Ok(LeadWork {
        outcomes: call_outcomes(t),
        statuses,
        lost_reasons,
        renurture_default: Micros(renurture).format_jst_iso_date(),
        error,
        notice,
    })
}

fn field(v: &HashMap<String, String>, k: &str) -> Option<String> {
    v.get(k)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Where to go after a post: back to the queue when it came from there, otherwise the
/// lead page with a note of what happened.
fn back(v: &HashMap<String, String>, id: i64, query: &str, anchor: &str) -> Response {
    let target = match v.get("next").map(String::as_str) {
        Some(n) if !n.is_empty() => local_path(Some(n)),
        _ => format!("/leads/{id}?{query}#{anchor}"),
    };
    Redirect::to(&target).into_response()
}

/// `POST /leads/{id}/activities`: logs a call (the pressed outcome button), an email, a
/// meeting or a note.
pub async fn log_activity(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    check_form_csrf(&user, &v)?;
    can_see(&state, &user, id).await?;
    let lead = ondo_store::leads::get(&state.db, user.workspace, id)
        .await
        .map_err(PageError::store(t))?;
    let kind = field(&v, "type").unwrap_or_else(|| "call".to_string());
    let new = match crate::service::activities::parse(
        &kind,
        field(&v, "outcome"),
        field(&v, "note"),
        None,
    ) {
        Ok(new) => new,
        Err(ServiceError::Invalid { field: "note", .. }) => {
            return Ok(back(&HashMap::new(), id, "err=note", "work"));
        }
        Err(e) => return Err(PageError::from_service(t, e)),
    };
    crate::service::activities::add(&state.db, user.workspace, lead.id, &new, &actor(&user))
        .await
        .map_err(|e| PageError::from_service(t, e))?;
    Ok(back(&v, id, "done=activity", "timeline"))
}

/// `POST /leads/{id}/status`: moves the lead; lost/dormant needs a reason from the list,
/// and a re-nurture date puts it on hold until then.
pub async fn change_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    check_form_csrf(&user, &v)?;
    can_see(&state, &user, id).await?;
    let status = field(&v, "status").unwrap_or_default();
    let to = LeadStatus::parse(&status).map_err(|e| PageError::BadRequest(t, e.to_string()))?;
    let renurture_on = match field(&v, "renurture_on") {
        Some(d) if to == LeadStatus::LostDormant => match Micros::parse_jst_date(&d) {
            Some(at) if at > Micros::now() => Some(at),
            _ => return Ok(back(&HashMap::new(), id, "err=renurture_on", "work")),
        },
        _ => None,
    };
    let changes = LeadChanges {
        status: Some(status),
        status_reason: field(&v, "reason"),
        lost_reason: (to == LeadStatus::LostDormant).then(|| field(&v, "lost_reason")),
        renurture_on,
        ..Default::default()
    };
    match crate::service::leads::update(&state.db, user.workspace, id, &changes, &actor(&user))
        .await
    {
        Ok(_) => Ok(back(&v, id, "done=status", "work")),
        Err(ServiceError::Invalid {
            field: "lost_reason",
            ..
        }) => Ok(back(&HashMap::new(), id, "err=lost_reason", "work")),
        Err(e) => Err(PageError::from_service(t, e)),
    }
}

/// A lead the user may not see answers 404, as one that does not exist.
async fn can_see(state: &AppState, user: &CurrentUser, id: i64) -> Result<(), PageError> {
    crate::service::access::ensure_can_see_lead(&state.db, user.workspace, &user.user, id)
        .await
        .map_err(|e| PageError::from_service(user.tr, e))
}

fn actor(user: &CurrentUser) -> ondo_store::Actor {
    ondo_store::Actor::user(user.user.id, &user.user.email)
}
