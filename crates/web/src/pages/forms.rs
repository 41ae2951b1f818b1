//! The web-form pages for admins, managers and marketing: the list with a creation form,
//! and each form's settings, submissions and the HTML to paste into a site.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_store::forms::Form as StoredForm;

use super::leads::Choice;
use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::forms::definition::{FieldKey, FormKind, fields_of, parse_settings};
use crate::forms::snippet;
use crate::i18n::Tr;
use crate::state::AppState;

/// Submissions shown on a form's page.
const RECENT_SUBMISSIONS: i64 = 20;

fn may_manage_forms(user: &CurrentUser) -> Result<(), PageError> {
    match user.role() {
        ondo_domain::Role::Sales => Err(PageError::Forbidden(user.tr)),
        _ => Ok(()),
    }
}

/// One row of the form list.
pub struct FormRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub source: String,
    pub active: bool,
    pub submissions: i64,
    pub created: String,
}

/// One field's line in the creation form: shown, required, or fixed (name, email).
pub struct FieldChoice {
    pub key: &'static str,
    pub label: String,
    pub shown: bool,
    pub required: bool,
    pub fixed: bool,
}

#[derive(Template)]
#[template(path = "forms.html")]
struct FormsPage {
    c: Chrome,
    t: Tr,
    rows: Vec<FormRow>,
    v: HashMap<String, String>,
    errors: HashMap<String, String>,
    kinds: Vec<Choice>,
    field_choices: Vec<FieldChoice>,
}

impl FormsPage {
    fn get(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    fn error(&self, k: &str) -> String {
        self.errors.get(k).cloned().unwrap_or_default()
    }
}

/// What the creation form starts with: an inquiry form asking for the company, phone
/// and a message, with a consent sentence to adapt.
fn default_values(t: &Tr) -> HashMap<String, String> {
    let mut v = HashMap::new();
    v.insert("kind".into(), FormKind::Inquiry.key().into());
    v.insert("consent_text".into(), t.t("forms-default-consent"));
    for key in [FieldKey::Company, FieldKey::Phone, FieldKey::Message] {
        v.insert(format!("field_{}", key.key()), "on".into());
    }
    v
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    v: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let forms = ondo_store::forms::list(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let on = |k: String| matches!(v.get(&k).map(String::as_str), Some("on"));
    let field_choices = FieldKey::ALL
        .into_iter()
        .map(|key| {
            let fixed = key.always_required();
            let required = fixed || on(format!("required_{}", key.key()));
            FieldChoice {
                key: key.key(),
                label: t.t(key.label_key()),
                shown: required || on(format!("field_{}", key.key())),
                required,
                fixed,
            }
        })
        .collect();
    let kind = v.get("kind").cloned().unwrap_or_default();
    let kinds = FormKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.key().into(),
            label: t.t(k.label_key()),
            selected: k.key() == kind,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormsPage {
        c: Chrome::new(user, "forms", "/forms"),
        t,
        rows: forms
            .iter()
            .map(|f| FormRow {
                id: f.id,
                name: f.name.clone(),
                kind: t.t(FormKind::of(f).label_key()),
                source: f.source.clone(),
                active: f.active,
                submissions: f.submissions,
                created: t.date(f.created_at),
            })
            .collect(),
        v,
        errors,
        kinds,
        field_choices,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<Response, PageError> {
    may_manage_forms(&user)?;
    let v = default_values(&user.tr);
    list_page(&state, &user, v, HashMap::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_manage_forms(&user)?;
    let t = user.tr;
    super::check_form_csrf(&user, &v)?;
    match parse_settings(&v, |kind| t.t(kind.default_source_key())) {
        Ok(new) => {
            let actor = ondo_store::Actor::user(user.user.id, "web");
            let form = ondo_store::forms::create(&state.db, user.workspace, &new, &actor)
                .await
                .map_err(PageError::store(t))?;
            Ok(Redirect::to(&format!("/forms/{}", form.id)).into_response())
        }
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|(field, key)| (field.to_string(), t.t(key)))
                .collect();
            list_page(&state, &user, v, errors).await
        }
    }
}

/// One accepted submission on a form's page.
pub struct SubmissionView {
    pub when: String,
    pub lead_id: Option<i64>,
    pub lead_name: String,
    pub created: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    c: Chrome,
    t: Tr,
    form: StoredForm,
    kind: String,
    /// Each asked field's label and whether it is required.
    fields: Vec<(String, bool)>,
    public_url: String,
    snippet: String,
    iframe: String,
    submissions: Vec<SubmissionView>,
    created: String,
    /// The lead list filtered by this form's source.
    source_href: String,
    default_thanks: String,
}

/// Where this Ondo is reached, for the addresses in the snippet: the host the signed-in
/// user used, over HTTPS when cookies are marked secure (Ondo behind a TLS proxy).
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    may_manage_forms(&user)?;
    let t = user.tr;
    let form = ondo_store::forms::get(&state.db, user.workspace, id)
        .await
        .map_err(PageError::store(t))?;
    let submissions =
        ondo_store::forms::recent_submissions(&state.db, user.workspace, id, RECENT_SUBMISSIONS)
            .await
            .map_err(PageError::store(t))?
            .into_iter()
            .map(|s| {
                let details: serde_json::Value = s
                    .details
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or_default();
                SubmissionView {
                    when: t.datetime(s.submitted_at),
                    lead_id: s.lead_id,
                    lead_name: s.lead_name.unwrap_or_default(),
                    created: s.lead_created,
                    message: details["message"].as_str().unwrap_or("").to_string(),
                }
            })
            .collect();
    let base = base_url(&state, &headers);
    let page = FormPage {
        c: Chrome::new(&user, "forms", &format!("/forms/{id}")),
        t,
        kind: t.t(FormKind::of(&form).label_key()),
        fields: fields_of(&form)
            .into_iter()
            .map(|f| (t.t(f.key.label_key()), f.required))
            .collect(),
        public_url: snippet::public_url(&base, &form),
        snippet: snippet::form_html(&base, &form),
        iframe: snippet::iframe_html(&base, &form),
        submissions,
        created: t.datetime(form.created_at),
        source_href: format!(
            "/leads?source={}",
            url::form_urlencoded::byte_serialize(form.source.as_bytes()).collect::<String>()
        ),
        default_thanks: t.t(FormKind::of(&form).thanks_key()),
        form,
    };
    Ok(render(&page))
}

/// Turns a form off (its public address answers 404 from then on) or on again.
pub async fn set_active(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_manage_forms(&user)?;
    let t = user.tr;
    super::check_form_csrf(&user, &v)?;
    let active = v.get("active").map(String::as_str) == Some("true");
    let actor = ondo_store::Actor::user(user.user.id, "web");
    ondo_store::forms::set_active(&state.db, user.workspace, id, active, &actor)
        .await
        .map_err(PageError::store(t))?;
    Ok(Redirect::to(&format!("/forms/{id}")).into_response())
}
