//! Review of candidate pairs: two leads that may be the same person, side by side, with
//! "merge" and "not the same" — and undoing a merge from the surviving lead's page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_store::leads::Lead;

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::auth::csrf::tokens_match;
use crate::i18n::Tr;
use crate::state::AppState;

fn may_merge(user: &CurrentUser) -> Result<(), PageError> {
    match user.role() {
        ondo_domain::Role::Sales => Err(PageError::Forbidden(user.tr)),
        _ => Ok(()),
    }
}

/// One side of a pair, as shown.
pub struct Side {
    pub id: i64,
    pub rows: Vec<(String, String)>,
}

fn side(t: &Tr, l: &Lead) -> Side {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    Side {
        id: l.id,
        rows: vec![
            (t.t("field-name"), l.name.clone()),
            (t.t("field-kana"), l.kana.clone()),
            (t.t("field-email"), opt(&l.email)),
            (t.t("field-phone"), opt(&l.phone)),
            (t.t("field-mobile"), opt(&l.mobile)),
            (
                t.t("field-company"),
                l.company_display
                    .clone()
                    .or_else(|| l.company_name.clone())
                    .unwrap_or_default(),
            ),
            (t.t("field-department"), opt(&l.department)),
            (t.t("field-title"), opt(&l.title)),
            (t.t("field-owner"), opt(&l.owner_name)),
            (t.t("field-status"), t.status(&l.status)),
            (t.t("field-created"), t.date(l.created_at)),
        ],
    }
}

/// A pair as shown.
pub struct PairView {
    pub id: i64,
    pub reason: String,
    /// The older lead first.
    pub sides: Vec<Side>,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    c: Chrome,
    t: Tr,
    pairs: Vec<PairView>,
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<Response, PageError> {
    may_merge(&user)?;
    let t = user.tr;
    let pairs = ondo_store::merges::open_pairs(&state.db, user.workspace, 50)
        .await
        .map_err(PageError::store(t))?;
    let mut views = Vec::with_capacity(pairs.len());
    for p in pairs {
        let a = ondo_store::leads::get(&state.db, user.workspace, p.lead_a)
            .await
            .map_err(PageError::store(t))?;
        let b = ondo_store::leads::get(&state.db, user.workspace, p.lead_b)
            .await
            .map_err(PageError::store(t))?;
        let key = format!("candidate-{}", p.reason.replace('_', "-"));
        views.push(PairView {
            id: p.id,
            reason: if t.has(&key) {
                t.t(&key)
            } else {
                p.reason.clone()
            },
            sides: vec![side(&t, &a), side(&t, &b)],
        });
    }
    Ok(render(&DuplicatesPage {
        c: Chrome::new(&user, "duplicates", "/leads/duplicates"),
        t,
        pairs: views,
    }))
}

/// Merges the pair (the newer lead into the older one) or marks it as two people.
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(pair_id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_merge(&user)?;
    let t = user.tr;
    if !tokens_match(
        form.get("csrf").map(String::as_str).unwrap_or(""),
        &user.csrf,
    ) {
        return Err(PageError::Forbidden(t));
    }
    let actor = ondo_store::Actor::user(user.user.id, "web");
    let pair = ondo_store::merges::get_open_pair(&state.db, user.workspace, pair_id)
        .await
        .map_err(PageError::store(t))?;
    match form.get("action").map(String::as_str) {
        Some("merge") => {
            let (target, source) = (pair.lead_a.min(pair.lead_b), pair.lead_a.max(pair.lead_b));
            ondo_store::merges::merge(&state.db, user.workspace, target, source, &actor)
                .await
                .map_err(PageError::store(t))?;
            // The merged lead's events now count for the survivor.
            ondo_jobs::scoring::rescore_now(&state.db, user.workspace, target, None)
                .await
                .map_err(PageError::store(t))?;
            Ok(Redirect::to(&format!("/leads/{target}")).into_response())
        }
        Some("not_same") => {
            ondo_store::merges::dismiss_pair(&state.db, user.workspace, pair_id, &actor)
                .await
                .map_err(PageError::store(t))?;
            Ok(Redirect::to("/leads/duplicates").into_response())
        }
        _ => Err(PageError::BadRequest(t, "action".into())),
    }
}

/// Undoes a merge into a lead.
pub async fn undo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(merge_id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_merge(&user)?;
    let t = user.tr;
    if !tokens_match(
        form.get("csrf").map(String::as_str).unwrap_or(""),
        &user.csrf,
    ) {
        return Err(PageError::Forbidden(t));
    }
    let actor = ondo_store::Actor::user(user.user.id, "web");
    let target = ondo_store::merges::get_record(&state.db, user.workspace, merge_id)
        .await
        .map_err(PageError::store(t))?
        .map(|r| r.target_id);
    let restored = ondo_store::merges::undo(&state.db, user.workspace, merge_id, &actor)
        .await
        .map_err(PageError::store(t))?;
    // Both leads have their own events again: both are scored anew.
    for lead in std::iter::once(restored).chain(target) {
        ondo_jobs::scoring::rescore_now(&state.db, user.workspace, lead, None)
            .await
            .map_err(PageError::store(t))?;
    }
    Ok(Redirect::to(&format!("/leads/{restored}")).into_response())
}
