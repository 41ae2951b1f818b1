//! The notification settings page for admins and managers: whether handoff emails can
//! be sent (SMTP), the webhook channels that hear of handoffs (add, switch off, remove,
//! send a test; a signed channel's secret is shown once, when it is made), and the
//! recent notification jobs with their state, attempts and last error; and the
//! speed-to-lead window (business minutes, business day start and end).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ondo_jobs::notify::{self, ChannelProblem, webhook::UrlError};
use ondo_store::jobs::JobReport;

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::service::tasks::{SpeedProblem, hh_mm, parse_speed_to_lead};
use crate::state::AppState;

const PATH: &str = "/settings/notifications";
/// Notification jobs listed on the page.
const RECENT_JOBS: i64 = 30;

fn may_manage_notifications(user: &CurrentUser) -> Result<(), PageError> {
    match user.role() {
        ondo_domain::Role::Admin | ondo_domain::Role::Manager => Ok(()),
        _ => Err(PageError::Forbidden(user.tr)),
    }
}

/// One channel's row.
pub struct ChannelRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub url: String,
    pub active: bool,
    pub created_by: String,
    pub created: String,
}

/// One notification job's row.
pub struct JobRow {
    pub id: i64,
    pub when: String,
    /// Email to whom, or which channel.
    pub what: String,
    pub lead: Option<(i64, String)>,
    pub test: bool,
    pub state: String,
    pub state_label: String,
    pub attempts: String,
    /// When a queued retry is due.
    pub next: String,
    pub last_error: String,
    pub result: String,
}

/// A channel just made whose secret is shown this once.
pub struct NewSecret {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "settings_notifications.html")]
struct NotificationsPage {
    c: Chrome,
    t: Tr,
    smtp_configured: bool,
    smtp_server: String,
    public_url: String,
    channels: Vec<ChannelRow>,
    jobs: Vec<JobRow>,
    /// The add form's values and errors by field (`name`, `kind`, `url`).
    v: HashMap<String, String>,
    errors: HashMap<&'static str, String>,
    notice: String,
    new_secret: Option<NewSecret>,
    /// The speed-to-lead form: minutes, day start and end (`HH:MM`), as saved or typed.
    speed: SpeedForm,
    /// Its errors by field (`speed_to_lead_minutes`, `day_start`, `day_end`).
    speed_errors: HashMap<&'static str, String>,
}

/// The speed-to-lead settings as shown in their form.
pub struct SpeedForm {
    pub minutes: String,
    pub day_start: String,
    pub day_end: String,
    /// Who saved them last, and when ("" when never saved).
    pub updated: String,
}

impl NotificationsPage {
    fn get(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    fn error(&self, k: &str) -> String {
        self.errors.get(k).cloned().unwrap_or_default()
    }
    fn speed_error(&self, k: &str) -> String {
        self.speed_errors.get(k).cloned().unwrap_or_default()
    }
    fn kind_selected(&self, kind: &str) -> bool {
        self.v
            .get("kind")
            .map(String::as_str)
            .unwrap_or(notify::SLACK)
            == kind
    }
}

/// What the page says after an action; only these keys, never text from the URL.
fn notice_key(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "added" => "notifications-done-added",
        "removed" => "notifications-done-removed",
        "on" => "notifications-done-on",
        "off" => "notifications-done-off",
        "test" => "notifications-done-test",
        "test-email" => "notifications-done-test-email",
        "speed" => "notifications-done-speed",
        _ => return None,
    })
}

fn problem_key(p: ChannelProblem) -> &'static str {
    match p {
        ChannelProblem::NameMissing => "notifications-error-name-missing",
        ChannelProblem::NameTooLong => "notifications-error-name-too-long",
        ChannelProblem::KindUnknown => "notifications-error-kind",
        ChannelProblem::Url(UrlError::Missing) => "notifications-error-url-missing",
        ChannelProblem::Url(UrlError::TooLong) => "notifications-error-url-too-long",
        ChannelProblem::Url(UrlError::NotHttp) => "notifications-error-url-not-http",
    }
}

fn kind_label(t: &Tr, kind: &str) -> String {
    match kind {
        notify::SLACK => t.t("notifications-kind-slack"),
        notify::JSON => t.t("notifications-kind-json"),
        other => other.to_string(),
    }
}

/// A job's result code in words; an unknown code is shown as it is.
fn result_label(t: &Tr, result: Option<&str>) -> String {
    match result {
        None => String::new(),
        Some(code) => {
            let key = format!("notifications-result-{}", code.replace('_', "-"));
            if t.has(&key) {
                t.t(&key)
            } else {
                code.to_string()
            }
        }
    }
}

/// A lead's name for the job list; `#id` once the lead is gone (merged away).
async fn lead_name(
    state: &AppState,
    ws: ondo_store::WorkspaceId,
    id: i64,
) -> Result<String, ondo_store::StoreError> {
    match ondo_store::leads::get(&state.db, ws, id).await {
        Ok(l) => Ok(l.name),
        Err(ondo_store::StoreError::NotFound) => Ok(format!("#{id}")),
        Err(e) => Err(e),
    }
}

async fn job_rows(
    state: &AppState,
    user: &CurrentUser,
    channels: &[ondo_store::notifications::Channel],
) -> Result<Vec<JobRow>, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let reports = ondo_store::jobs::recent(&state.db, ws, &notify::KINDS, RECENT_JOBS)
        .await
        .map_err(PageError::store(t))?;
    let users: HashMap<i64, String> = ondo_store::users::list(&state.db, ws)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|u| (u.id, format!("{} <{}>", u.display_name, u.email)))
        .collect();
    let channel_names: HashMap<i64, String> =
        channels.iter().map(|c| (c.id, c.name.clone())).collect();
    let mut lead_names: HashMap<i64, String> = HashMap::new();
    let mut rows = Vec::with_capacity(reports.len());
    for JobReport { job, result } in reports {
        let p: Option<notify::Payload> = serde_json::from_str(&job.payload).ok();
        let what = match (&job.kind[..], &p) {
            (notify::EMAIL, Some(p)) => t.t1(
                "notifications-job-email",
                "to",
                users.get(&p.user_id).map(String::as_str).unwrap_or("—"),
            ),
            (notify::WEBHOOK, Some(p)) => t.t1(
                "notifications-job-webhook",
                "channel",
                p.channel_id
                    .and_then(|id| channel_names.get(&id))
                    .map(String::as_str)
                    .unwrap_or("—"),
            ),
            _ => job.kind.clone(),
        };
        let lead = match p.as_ref().and_then(|p| p.lead_id) {
            Some(id) => {
                let name = match lead_names.get(&id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = lead_name(state, ws, id)
                            .await
                            .map_err(PageError::store(t))?;
                        lead_names.insert(id, name.clone());
                        name
                    }
                };
                Some((id, name))
            }
            None => None,
        };
        let retrying = job.state == ondo_store::jobs::QUEUED && job.attempts > 0;
        rows.push(JobRow {
            id: job.id,
            when: t.datetime(job.created_at),
            what,
            lead,
            test: p.as_ref().is_some_and(|p| p.test),
            state_label: t.t(&format!("notifications-state-{}", job.state)),
            state: job.state.clone(),
            attempts: format!("{} / {}", job.attempts, job.max_attempts),
            next: if retrying {
                t.datetime(job.run_at)
            } else {
                String::new()
            },
            last_error: job.last_error.clone().unwrap_or_default(),
            result: result_label(&t, result.as_deref()),
        });
    }
    Ok(rows)
}

struct Extra {
    v: HashMap<String, String>,
    errors: HashMap<&'static str, String>,
    notice: Option<&'static str>,
    new_secret: Option<NewSecret>,
    /// The speed-to-lead form as typed, with its errors (`None`: as saved).
    speed: Option<(SpeedForm, HashMap<&'static str, String>)>,
}

fn speed_problem_key(p: SpeedProblem) -> &'static str {
    match p {
        SpeedProblem::MinutesInvalid => "notifications-speed-error-minutes",
        SpeedProblem::StartInvalid => "notifications-speed-error-start",
        SpeedProblem::EndInvalid => "notifications-speed-error-end",
        SpeedProblem::EndNotAfterStart => "notifications-speed-error-order",
    }
}

/// The saved speed-to-lead settings (or the defaults) as their form shows them.
async fn saved_speed_form(state: &AppState, user: &CurrentUser) -> Result<SpeedForm, PageError> {
    let t = user.tr;
    let s = ondo_store::workflow_settings::get(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let updated = match (s.updated_at, s.updated_by) {
        (Some(at), by) => {
            let who = match by {
                Some(id) => ondo_store::users::get(&state.db, user.workspace, id)
                    .await
                    .map(|u| u.display_name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            t.tn(
                "notifications-speed-updated",
                &[("when", t.datetime(at)), ("who", who)],
            )
        }
        (None, _) => String::new(),
    };
    Ok(SpeedForm {
        minutes: s.speed_to_lead_minutes.to_string(),
        day_start: hh_mm(s.day_start_minute),
        day_end: hh_mm(s.day_end_minute),
        updated,
    })
}

async fn page(state: &AppState, user: &CurrentUser, extra: Extra) -> Result<Response, PageError> {
    let t = user.tr;
    let channels = ondo_store::notifications::list(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let jobs = job_rows(state, user, &channels).await?;
    let (speed, speed_errors) = match extra.speed {
        Some(typed) => typed,
        None => (saved_speed_form(state, user).await?, HashMap::new()),
    };
    let status = if extra.errors.is_empty() && speed_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = NotificationsPage {
        c: Chrome::new(user, "notifications", PATH),
        t,
        smtp_configured: state.config.smtp_url.is_some(),
        smtp_server: state
            .config
            .smtp_url
            .as_deref()
            .map(notify::mail::redact)
            .unwrap_or_default(),
        public_url: state.config.public_url.clone().unwrap_or_default(),
        channels: channels
            .iter()
            .map(|c| ChannelRow {
                id: c.id,
                name: c.name.clone(),
                kind: kind_label(&t, &c.kind),
                url: notify::webhook::masked(&c.url),
                active: c.active,
                created_by: c.created_by_name.clone().unwrap_or_default(),
                created: t.date(c.created_at),
            })
            .collect(),
        jobs,
        v: extra.v,
        errors: extra.errors,
        notice: extra.notice.map(|k| t.t(k)).unwrap_or_default(),
        new_secret: extra.new_secret,
        speed,
        speed_errors,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_manage_notifications(&user)?;
    let extra = Extra {
        v: HashMap::new(),
        errors: HashMap::new(),
        notice: notice_key(q.get("done").map(String::as_str)),
        new_secret: None,
        speed: None,
    };
    page(&state, &user, extra).await
}

fn done(what: &str) -> Response {
    Redirect::to(&format!("{PATH}?done={what}")).into_response()
}

/// The channel a form names, or a 400 naming the field.
fn channel_id(t: Tr, v: &HashMap<String, String>) -> Result<i64, PageError> {
    v.get("channel_id")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .ok_or_else(|| PageError::BadRequest(t, t.t("notifications-error-channel-id")))
}

/// Every change on the page posts here with an `action`: `add`, `toggle`, `remove`,
/// `test` (a channel's test message) or `test_email` (a test email to oneself).
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_manage_notifications(&user)?;
    let t = user.tr;
    super::check_form_csrf(&user, &v)?;
    let ws = user.workspace;
    let actor = ondo_store::Actor::user(user.user.id, "web");
    match v.get("action").map(String::as_str).unwrap_or("") {
        "add" => {
            let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("");
            match notify::parse_channel(get("name"), get("kind"), get("url")) {
                Ok(new) => {
                    let channel = ondo_store::notifications::create(&state.db, ws, &new, &actor)
                        .await
                        .map_err(PageError::store(t))?;
                    match channel.secret {
                        // Shown in this answer only: no redirect that a reload repeats.
                        Some(secret) => {
                            let extra = Extra {
                                v: HashMap::new(),
                                errors: HashMap::new(),
                                notice: None,
                                new_secret: Some(NewSecret {
                                    name: channel.name,
                                    secret,
                                }),
                                speed: None,
                            };
                            page(&state, &user, extra).await
                        }
                        None => Ok(done("added")),
                    }
                }
                Err(problems) => {
                    let errors = problems
                        .into_iter()
                        .map(|(field, p)| (field, t.t(problem_key(p))))
                        .collect();
                    let extra = Extra {
                        v: v.clone(),
                        errors,
                        notice: None,
                        new_secret: None,
                        speed: None,
                    };
                    page(&state, &user, extra).await
                }
            }
        }
        "toggle" => {
            let id = channel_id(t, &v)?;
            let active = v.get("active").map(String::as_str) == Some("true");
            ondo_store::notifications::set_active(&state.db, ws, id, active, &actor)
                .await
                .map_err(PageError::store(t))?;
            Ok(done(if active { "on" } else { "off" }))
        }
        "remove" => {
            let id = channel_id(t, &v)?;
            ondo_store::notifications::delete(&state.db, ws, id, &actor)
                .await
                .map_err(PageError::store(t))?;
            Ok(done("removed"))
        }
        "test" => {
            let id = channel_id(t, &v)?;
            // NotFound for a channel of another workspace.
            ondo_store::notifications::get(&state.db, ws, id)
                .await
                .map_err(PageError::store(t))?;
            notify::enqueue_test_webhook(&state.db, ws, id, user.user.id)
                .await
                .map_err(PageError::store(t))?;
            Ok(done("test"))
        }
        "speed" => {
            let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("");
            match parse_speed_to_lead(
                get("speed_to_lead_minutes"),
                get("day_start"),
                get("day_end"),
            ) {
                Ok((minutes, start, end)) => {
                    ondo_store::workflow_settings::save(&state.db, ws, minutes, start, end, &actor)
                        .await
                        .map_err(PageError::store(t))?;
                    Ok(done("speed"))
                }
                Err(problems) => {
                    let mut errors = HashMap::new();
                    for (field, p) in problems {
                        errors
                            .entry(field)
                            .or_insert_with(|| t.t(speed_problem_key(p)));
                    }
                    let typed = SpeedForm {
                        minutes: get("speed_to_lead_minutes").to_string(),
                        day_start: get("day_start").to_string(),
                        day_end: get("day_end").to_string(),
                        updated: String::new(),
                    };
                    let extra = Extra {
                        v: HashMap::new(),
                        errors: HashMap::new(),
                        notice: None,
                        new_secret: None,
                        speed: Some((typed, errors)),
                    };
                    page(&state, &user, extra).await
                }
            }
        }
        "test_email" => {
            notify::enqueue_test_email(&state.db, ws, user.user.id)
                .await
                .map_err(PageError::store(t))?;
            Ok(done("test-email"))
        }
        _ => Err(PageError::BadRequest(t, t.t("notifications-error-action"))),
    }
}
