//! The public face of a web form: `GET /f/{key}` shows it (on its own or in an iframe on
//! a customer's site) and `POST /f/{key}` accepts it from any origin. Nobody signs in and
//! no cookie is read, so there is nothing for a cross-site request to borrow; what
//! protects these routes is the unguessable key, the honeypot, a per-address rate limit,
//! a small body limit and the checks of each field.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Extension, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, middleware};
use ondo_store::forms::Form as StoredForm;

use super::definition::{CONSENT, FormKind, HONEYPOT, VISITOR, fields_of, looks_like_public_key};
use super::submit::{Outcome, Problem, SubmitError, submit};
use super::throttle::SubmitThrottle;
use crate::i18n::{Lang, Tr};
use crate::pages::render;
use crate::state::AppState;

/// Largest submission accepted: the longest message in Japanese, percent-encoded, with
/// room for the other fields.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Marks a response that may be shown in a frame on another site; the application's
/// `X-Frame-Options: DENY` leaves such responses alone.
#[derive(Debug, Clone, Copy)]
pub struct Frameable;

/// The policy of public form pages without a form (not found, too many requests).
const DEFAULT_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors *; base-uri 'none'";

/// The routes of public forms, with their own protections.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/f/{key}", get(show).post(accept))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(Extension(Arc::new(SubmitThrottle::default())))
        .layer(middleware::map_response(frameable))
}

async fn frameable(mut resp: Response) -> Response {
    resp.extensions_mut().insert(Frameable);
    resp.headers_mut()
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(DEFAULT_CSP));
    resp
}

/// The page's policy: it may be framed anywhere, and its form may lead to the form's
/// thank-you address.
fn csp_for(form: &StoredForm) -> HeaderValue {
    let redirect_origin = form
        .redirect_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; \
         form-action 'self'{redirect_origin}; frame-ancestors *; base-uri 'none'"
    ))
    .unwrap_or(HeaderValue::from_static(DEFAULT_CSP))
}

/// One input of the public form.
pub struct PublicField {
    pub name: &'static str,
    pub label: String,
    pub input_type: &'static str,
    pub textarea: bool,
    pub autocomplete: &'static str,
    pub required: bool,
    pub max: usize,
    pub value: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "form_public.html")]
struct PublicFormPage {
    t: Tr,
    heading: String,
    action: String,
    fields: Vec<PublicField>,
    consent_text: Option<String>,
    consent_checked: bool,
    consent_error: String,
    /// Errors in display order, for the summary at the top.
    errors: Vec<String>,
    honeypot: &'static str,
    /// The tracking snippet's visitor id, passed on by the embedding page.
    visitor: String,
    visitor_field: &'static str,
}

#[derive(Template)]
#[template(path = "form_message.html")]
struct MessagePage {
    t: Tr,
    title: String,
    message: String,
}

fn message(t: Tr, status: StatusCode, title_key: &str, text: String) -> Response {
    let page = MessagePage {
        t,
        title: t.t(title_key),
        message: text,
    };
    (status, render(&page)).into_response()
}

fn not_found(t: Tr) -> Response {
    message(
        t,
        StatusCode::NOT_FOUND,
        "pubform-not-found",
        t.t("pubform-not-found-body"),
    )
}

fn internal(t: Tr) -> Response {
    message(
        t,
        StatusCode::INTERNAL_SERVER_ERROR,
        "pubform-internal",
        t.t("pubform-internal-body"),
    )
}

/// The active form with this key in the served workspace; another workspace's key, an
/// inactive form and a malformed key are all simply not found.
async fn find(state: &AppState, key: &str, t: Tr) -> Result<StoredForm, Response> {
    if !looks_like_public_key(key) {
        return Err(not_found(t));
    }
    match ondo_store::forms::get_by_public_key(&state.db, state.workspace.id(), key).await {
        Ok(Some(form)) if form.active => Ok(form),
        Ok(_) => Err(not_found(t)),
        Err(e) => {
            tracing::error!(error = %e, "form lookup failed");
            Err(internal(t))
        }
    }
}

/// The text of one problem, naming the field.
fn problem_text(t: &Tr, label: &str, problem: Problem) -> String {
    match problem {
        Problem::Required => t.t1("pubform-error-required", "field", label),
        Problem::Invalid => t.t1("pubform-error-invalid", "field", label),
        Problem::TooLong => t.t1("pubform-error-too-long", "field", label),
        Problem::ConsentMissing => t.t("pubform-error-consent"),
    }
}

fn form_page(
    t: Tr,
    form: &StoredForm,
    values: &HashMap<String, String>,
    problems: &[(&'static str, Problem)],
) -> Response {
    let mut errors = Vec::new();
    let fields = fields_of(form)
        .into_iter()
        .map(|f| {
            let label = t.t(f.key.label_key());
            let error = problems
                .iter()
                .find(|(name, _)| *name == f.key.key())
                .map(|(_, p)| problem_text(&t, &label, *p))
                .unwrap_or_default();
            if !error.is_empty() {
                errors.push(error.clone());
            }
            PublicField {
                name: f.key.key(),
                input_type: f.key.input_type(),
                textarea: f.key.is_textarea(),
                autocomplete: f.key.autocomplete(),
                required: f.required,
                max: f.key.max_chars(),
                value: values.get(f.key.key()).cloned().unwrap_or_default(),
                error,
                label,
            }
        })
        .collect();
    let consent_error = problems
        .iter()
        .find(|(name, _)| *name == CONSENT)
        .map(|(_, p)| problem_text(&t, "", *p))
        .unwrap_or_default();
    if !consent_error.is_empty() {
        errors.push(consent_error.clone());
    }
    let page = PublicFormPage {
        t,
        heading: t.t(FormKind::of(form).label_key()),
        action: format!("/f/{}", form.public_key),
        fields,
        consent_text: form.consent_text.clone(),
        consent_checked: matches!(
            values.get(CONSENT).map(String::as_str),
            Some("on" | "true" | "1")
        ),
        consent_error,
        errors,
        honeypot: HONEYPOT,
        visitor: values
            .get(VISITOR)
            .and_then(|v| ondo_domain::tracking::VisitorId::parse(v).ok())
            .map(|v| v.as_str().to_string())
            .unwrap_or_default(),
        visitor_field: VISITOR,
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut resp = (status, render(&page)).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, csp_for(form));
    resp
}

fn thanks(t: Tr, form: &StoredForm) -> Response {
    if let Some(url) = &form.redirect_url {
        return Redirect::to(url).into_response();
    }
    let text = form
        .thanks_text
        .clone()
        .unwrap_or_else(|| t.t(FormKind::of(form).thanks_key()));
    message(t, StatusCode::OK, "pubform-thanks", text)
}

/// `GET /f/{key}`; an iframe on a page with the tracking snippet adds `?ondo_vid=`.
pub async fn show(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let t = Tr::new(Lang::negotiate(&headers, None));
    let values: HashMap<String, String> = query.into_iter().filter(|(k, _)| k == VISITOR).collect();
    match find(&state, &key, t).await {
        Ok(form) => form_page(t, &form, &values, &[]),
        Err(resp) => resp,
    }
}

pub async fn accept(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<SubmitThrottle>>,
    // The peer's own address: a forwarded-for header is written by the sender and would
    // let anyone choose a fresh address per request.
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Form(values): Form<HashMap<String, String>>,
) -> Response {
    let t = Tr::new(Lang::negotiate(&headers, None));
    let form = match find(&state, &key, t).await {
        Ok(form) => form,
        Err(resp) => return resp,
    };
    if let Err(wait) = throttle.admit(peer.ip(), form.id) {
        let mut resp = message(
            t,
            StatusCode::TOO_MANY_REQUESTS,
            "pubform-too-many",
            t.t("pubform-too-many-body"),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return resp;
    }
    // Ondo's own hosted page says nothing about where the visitor was; only a
    // customer's page is worth keeping.
    let own_page = format!("/f/{}", form.public_key);
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .filter(|r| !r.contains(&own_page));
    match submit(&state.db, state.workspace.id(), &form, &values, referer).await {
        Ok(Outcome::Accepted { lead_id, created }) => {
            tracing::info!(
                form = form.id,
                lead = lead_id,
                created,
                "form submission accepted"
            );
            thanks(t, &form)
        }
        Ok(Outcome::Ignored) => {
            tracing::info!(
                form = form.id,
                "form submission with a filled honeypot ignored"
            );
            thanks(t, &form)
        }
        Err(SubmitError::Fields(problems)) => form_page(t, &form, &values, &problems),
        Err(SubmitError::Service(e)) => {
            tracing::error!(error = %e, form = form.id, "form submission failed");
            internal(t)
        }
    }
}
