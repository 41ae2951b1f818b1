//! `/campaigns`: step campaigns for admins, managers and marketing — the list with its
//! counts, a new campaign, one campaign's page (its per-step report, the steps editor,
//! a preview of each step for a chosen lead, a test message to oneself, enrolling leads
//! by id, the latest enrolments, who enters by themselves — triggers by status, form or
//! segment — and whether a lead may come again, pausing and resuming), and
//! `/settings/campaigns`, the sender's name, postal address and rate limit every message
//! depends on (特定電子メール法).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::campaign::{
    MAX_STEPS, PLACEHOLDERS, Recipient, TemplateError, Unsubscribe, hh_mm, unsubscribe_url,
};
use ondo_domain::{LeadStatus, Micros};
use ondo_jobs::campaigns::compose::{self, Links};
use ondo_jobs::campaigns::follow::{PROBLEM_NO_STEPS, PROBLEM_SEGMENT_GONE, PROBLEM_SENDER};
use ondo_jobs::campaigns::send::{recipient_of, sample_recipient};
use ondo_jobs::campaigns::{
    self as campaigns, EnrollError, Problem, ProblemKind, RawCampaign, RawSettings, RawStep,
    RawTrigger, TestPayload, sender_of,
};
use ondo_store::campaigns as store;
use ondo_store::{Actor, StoreError};

use super::{Chrome, PageError, check_form_csrf, render};
use crate::api::campaigns::{may_run_campaigns, smtp_configured};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::state::AppState;

const NAV: &str = "campaigns";
/// Enrolments listed on a campaign's page.
const ENROLLMENTS_SHOWN: i64 = 50;

fn allowed(user: &CurrentUser) -> Result<(), PageError> {
    if may_run_campaigns(user.role()) {
        Ok(())
    } else {
        Err(PageError::Forbidden(user.tr))
    }
}

fn actor(user: &CurrentUser) -> Actor {
    Actor::user(user.user.id, "web")
}

/// A problem in the reader's language.
fn problem_text(t: &Tr, p: &Problem) -> String {
    let detail = match &p.kind {
        ProblemKind::Missing | ProblemKind::Template(TemplateError::Empty) => {
            t.t("campaigns-error-missing")
        }
        ProblemKind::TooLong(n) | ProblemKind::Template(TemplateError::TooLong(n)) => {
            t.t1("campaigns-error-too-long", "max", &n.to_string())
        }
        ProblemKind::NoSteps => t.t("campaigns-error-no-steps"),
        ProblemKind::TooManySteps => t.t1(
            "campaigns-error-too-many-steps",
            "max",
            &MAX_STEPS.to_string(),
        ),
        ProblemKind::DelayOutOfRange => t.t("campaigns-error-delay"),
        ProblemKind::Template(TemplateError::Syntax(d) | TemplateError::Render(d)) => {
            t.t1("campaigns-error-syntax", "detail", d)
        }
        ProblemKind::Template(TemplateError::UnknownPlaceholder(name)) => t.tn(
            "campaigns-error-placeholder",
            &[
                ("name", format!("{{{{{name}}}}}")),
                ("known", PLACEHOLDERS.join(", ")),
            ],
        ),
        ProblemKind::Window(_) => t.t("campaigns-error-window"),
        ProblemKind::EmailInvalid => t.t("campaigns-error-email"),
        ProblemKind::RateOutOfRange => t.t("campaigns-error-rate"),
        ProblemKind::Trigger(_) | ProblemKind::TriggerTargetMissing => {
            t.t("campaigns-error-trigger")
        }
        ProblemKind::TooManyTriggers => t.t1(
            "campaigns-error-too-many-triggers",
            "max",
            &ondo_domain::campaign::MAX_TRIGGERS.to_string(),
        ),
    };
    match p.step {
        Some(n) => t.tn(
            "campaigns-error-in-step",
            &[("step", n.to_string()), ("detail", detail)],
        ),
        None => detail,
    }
}

/// A campaign in the list.
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub paused: bool,
    pub steps: i64,
    pub active: i64,
    pub enrolled: i64,
    pub sent: i64,
    pub created: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    c: Chrome,
    t: Tr,
    campaigns: Vec<CampaignRow>,
    sender_ready: bool,
    smtp_ready: bool,
}

/// Whether the sender's name and postal address are set.
async fn sender_ready(state: &AppState, user: &CurrentUser) -> Result<bool, PageError> {
    let s = store::settings(&state.db, user.workspace)
        .await
        .map_err(PageError::store(user.tr))?;
    Ok(!s.sender_name.trim().is_empty() && !s.postal_address.trim().is_empty())
}

/// `GET /campaigns`.
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<Response, PageError> {
    allowed(&user)?;
    let t = user.tr;
    let rows = store::list(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    Ok(render(&ListPage {
        c: Chrome::new(&user, NAV, "/campaigns"),
        t,
        campaigns: rows
            .into_iter()
            .map(|r| CampaignRow {
                id: r.id,
                name: r.name,
                paused: r.paused_at.is_some(),
                steps: r.steps,
                active: r.active,
                enrolled: r.enrolled,
                sent: r.sent,
                created: t.date(r.created_at),
            })
            .collect(),
        sender_ready: sender_ready(&state, &user).await?,
        smtp_ready: smtp_configured(&state),
    }))
}

/// One step of the editor, as saved or typed.
pub struct StepForm {
    /// Its place in the form (field names `step_{index}_…`).
    pub index: usize,
    /// The stored step's id; empty for the blank step that adds one.
    pub id: String,
    pub delay: String,
    pub window_start: String,
    pub window_end: String,
    pub subject: String,
    pub body: String,
    pub errors: Vec<String>,
}

impl StepForm {
    fn blank(index: usize) -> StepForm {
        StepForm {
            index,
            id: String::new(),
            delay: if index == 0 { "0".into() } else { "3".into() },
            window_start: String::new(),
            window_end: String::new(),
            subject: String::new(),
            body: String::new(),
            errors: Vec::new(),
        }
    }

    fn of(index: usize, s: &store::Step) -> StepForm {
        StepForm {
            index,
            id: s.id.to_string(),
            delay: s.delay_days.to_string(),
            window_start: s.window_start_minute.map(hh_mm).unwrap_or_default(),
            window_end: s.window_end_minute.map(hh_mm).unwrap_or_default(),
            subject: s.subject.clone(),
            body: s.body.clone(),
            errors: Vec::new(),
        }
    }

    /// The position shown (1-based).
    pub fn number(&self) -> usize {
        self.index + 1
    }
}

/// The editor: name, sender overrides, steps, and what to correct.
pub struct EditForm {
    pub name: String,
    pub sender_name: String,
    pub sender_email: String,
    pub steps: Vec<StepForm>,
    /// Problems not of one step (name, sender, no steps).
    pub errors: Vec<String>,
}

impl EditForm {
    fn of(c: &store::Campaign, steps: &[store::Step]) -> EditForm {
        let mut forms: Vec<StepForm> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepForm::of(i, s))
            .collect();
        forms.push(StepForm::blank(forms.len()));
        EditForm {
            name: c.name.clone(),
            sender_name: c.sender_name.clone().unwrap_or_default(),
            sender_email: c.sender_email.clone().unwrap_or_default(),
            steps: forms,
            errors: Vec::new(),
        }
    }

    fn blank() -> EditForm {
        EditForm {
            name: String::new(),
            sender_name: String::new(),
            sender_email: String::new(),
            steps: vec![StepForm::blank(0)],
            errors: Vec::new(),
        }
    }

    fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.steps.iter().any(|s| !s.errors.is_empty())
    }
}

/// One step's row of the report.
pub struct ReportRow {
    pub position: String,
    pub subject: String,
    pub removed: bool,
    pub r: store::StepReport,
}

/// One enrolment's row.
pub struct EnrollmentView {
    pub lead_id: i64,
    pub lead_name: String,
    pub email: String,
    pub state: String,
    /// 1 for the lead's first enrolment, 2 for the next…
    pub round: i64,
    /// By hand, or which kind of trigger.
    pub source: String,
    pub when: String,
}

/// One trigger that may be switched on: its checkbox and what it has done.
pub struct TriggerChoice {
    /// The checkbox's name: `status_nurturing`, `form_3`, `segment_5`.
    pub field: String,
    pub label: String,
    pub checked: bool,
    pub enrolled: i64,
    /// Why it could not enrol at its last try, in words; empty when it could.
    pub problem: String,
}

/// Who enters the campaign by themselves, whether a lead may come again, and whether it
/// is paused.
pub struct EnrolmentView {
    pub paused: bool,
    pub paused_since: String,
    pub allow_reenroll: bool,
    pub statuses: Vec<TriggerChoice>,
    pub forms: Vec<TriggerChoice>,
    pub segments: Vec<TriggerChoice>,
    /// What to correct in the triggers just posted.
    pub errors: Vec<String>,
}

/// A step rendered for a lead.
pub struct PreviewView {
    pub step_number: usize,
    pub lead: String,
    pub subject: String,
    pub text: String,
    pub error: String,
}

/// What an enrolment did, in words.
pub struct EnrollView {
    pub enrolled: usize,
    pub skipped: Vec<(i64, String)>,
    pub error: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    c: Chrome,
    t: Tr,
    /// `None` for a new campaign.
    id: Option<i64>,
    title: String,
    form: EditForm,
    report: Vec<ReportRow>,
    counts: store::EnrollmentCounts,
    enrollments: Vec<EnrollmentView>,
    /// (step id, number, subject) of the saved steps, for preview and test.
    step_choices: Vec<(i64, usize, String)>,
    preview: Option<PreviewView>,
    enroll: Option<EnrollView>,
    enroll_ids: String,
    enrolment: Option<EnrolmentView>,
    notice: String,
    sender_ready: bool,
    smtp_ready: bool,
    placeholders: String,
}

impl CampaignPage {
    fn new(c: Chrome, t: Tr, form: EditForm) -> CampaignPage {
        CampaignPage {
            c,
            t,
            id: None,
            title: t.t("campaigns-new-title"),
            form,
            report: Vec::new(),
            counts: store::EnrollmentCounts::default(),
            enrollments: Vec::new(),
            step_choices: Vec::new(),
            preview: None,
            enroll: None,
            enroll_ids: String::new(),
            enrolment: None,
            notice: String::new(),
            sender_ready: true,
            smtp_ready: true,
            placeholders: PLACEHOLDERS
                .iter()
                .map(|p| format!("{{{{{p}}}}}"))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// `GET /campaigns/new`.
pub async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    allowed(&user)?;
    let t = user.tr;
    let mut page = CampaignPage::new(
        Chrome::new(&user, NAV, "/campaigns/new"),
        t,
        EditForm::blank(),
    );
    page.sender_ready = sender_ready(&state, &user).await?;
    page.smtp_ready = smtp_configured(&state);
    Ok(render(&page))
}

/// The editor's fields as posted: the form again (with its values) and the campaign to
/// check. Blank added steps and steps ticked for removal are left out.
fn read_form(v: &HashMap<String, String>) -> (EditForm, RawCampaign, Vec<usize>) {
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut steps = Vec::new();
    let mut raw_steps = Vec::new();
    let mut form_index_of = Vec::new();
    for i in 0..MAX_STEPS + 1 {
        let key = |f: &str| format!("step_{i}_{f}");
        if !v.contains_key(&key("subject")) {
            break;
        }
        let form = StepForm {
            index: steps.len(),
            id: get(&key("id")),
            delay: get(&key("delay")),
            window_start: get(&key("window_start")),
            window_end: get(&key("window_end")),
            subject: get(&key("subject")),
            body: get(&key("body")),
            errors: Vec::new(),
        };
        let removed = v.contains_key(&key("remove"));
        let blank_new =
            form.id.is_empty() && form.subject.trim().is_empty() && form.body.trim().is_empty();
        if removed || blank_new {
            continue;
        }
        raw_steps.push(RawStep {
            id: form.id.trim().parse().ok(),
            delay_days: form.delay.trim().parse().ok(),
            window_start: Some(form.window_start.clone()),
            window_end: Some(form.window_end.clone()),
            subject: form.subject.clone(),
            body: form.body.clone(),
        });
        form_index_of.push(steps.len());
        steps.push(form);
    }
    let raw = RawCampaign {
        name: get("name"),
        sender_name: Some(get("sender_name")),
        sender_email: Some(get("sender_email")),
        steps: raw_steps,
    };
    let form = EditForm {
        name: raw.name.clone(),
        sender_name: get("sender_name"),
        sender_email: get("sender_email"),
        steps,
        errors: Vec::new(),
    };
    (form, raw, form_index_of)
}

/// Places each problem in the form: on its step, or above the steps.
fn place_problems(t: &Tr, form: &mut EditForm, problems: &[Problem], form_index_of: &[usize]) {
    for p in problems {
        let text = problem_text(t, p);
        match p.step.and_then(|n| form_index_of.get(n - 1)) {
            Some(&i) => form.steps[i].errors.push(text),
            None => form.errors.push(text),
        }
    }
}

/// `POST /campaigns`: creates a campaign from the editor.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let (mut form, raw, index_of) = read_form(&v);
    match campaigns::check_campaign(&raw) {
        Ok(input) => {
            let id = store::create(&state.db, user.workspace, &input, &actor(&user))
                .await
                .map_err(PageError::store(t))?;
            Ok(Redirect::to(&format!("/campaigns/{id}?done=created")).into_response())
        }
        Err(problems) => {
            place_problems(&t, &mut form, &problems, &index_of);
            let next = form.steps.len();
            form.steps.push(StepForm::blank(next));
            let mut page = CampaignPage::new(Chrome::new(&user, NAV, "/campaigns/new"), t, form);
            page.sender_ready = sender_ready(&state, &user).await?;
            page.smtp_ready = smtp_configured(&state);
            let mut resp = render(&page);
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

/// What the page says after an action; only these keys, never text from the URL.
fn notice_key(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "campaigns-done-created",
        "saved" => "campaigns-done-saved",
        "test" => "campaigns-done-test",
        "triggers" => "campaigns-done-triggers",
        "paused" => "campaigns-done-paused",
        "resumed" => "campaigns-done-resumed",
        _ => return None,
    })
}

/// The campaign's page with the given editor (as saved, or as typed with problems).
async fn campaign_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    form: Option<EditForm>,
) -> Result<CampaignPage, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let db = &state.db;
    let campaign = store::get(db, ws, id).await.map_err(PageError::store(t))?;
    let all_steps = store::steps(db, ws, id, true)
        .await
        .map_err(PageError::store(t))?;
    let live: Vec<store::Step> = all_steps
        .iter()
        .filter(|s| s.removed_at.is_none())
        .cloned()
        .collect();
    let report = store::report(db, ws, id)
        .await
        .map_err(PageError::store(t))?;
    let counts = store::enrollment_counts(db, ws, id)
        .await
        .map_err(PageError::store(t))?;
    let enrollments = store::enrollments(db, ws, id, ENROLLMENTS_SHOWN)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|e| {
            let state_key = match e.exit_reason.as_deref() {
                Some(r) => format!("campaigns-exit-{}", r.replace('_', "-")),
                None => format!("campaigns-state-{}", e.state),
            };
            let source_key = format!(
                "campaigns-source-{}",
                e.source.as_deref().unwrap_or("manual")
            );
            EnrollmentView {
                lead_id: e.lead_id,
                lead_name: e.lead_name,
                email: e.email.unwrap_or_default(),
                state: if t.has(&state_key) {
                    t.t(&state_key)
                } else {
                    e.exit_reason.unwrap_or(e.state)
                },
                round: e.round,
                source: if t.has(&source_key) {
                    t.t(&source_key)
                } else {
                    e.source.unwrap_or_default()
                },
                when: t.datetime(e.enrolled_at),
            }
        })
        .collect();
    let report = all_steps
        .iter()
        .filter_map(|s| {
            let r = report.iter().find(|r| r.step_id == s.id);
            if r.is_none() && s.removed_at.is_some() {
                return None;
            }
            let position = live.iter().position(|l| l.id == s.id);
            Some(ReportRow {
                position: position.map(|p| (p + 1).to_string()).unwrap_or_default(),
                subject: s.subject.clone(),
                removed: s.removed_at.is_some(),
                r: r.cloned().unwrap_or_default(),
            })
        })
        .collect();
    let path = format!("/campaigns/{id}");
    let mut page = CampaignPage::new(
        Chrome::new(user, NAV, &path),
        t,
        form.unwrap_or_else(|| EditForm::of(&campaign, &live)),
    );
    page.id = Some(id);
    page.title = campaign.name.clone();
    page.report = report;
    page.counts = counts;
    page.enrollments = enrollments;
    page.step_choices = live
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i + 1, s.subject.clone()))
        .collect();
    page.sender_ready = sender_ready(state, user).await?;
    page.smtp_ready = smtp_configured(state);
    page.enrolment = Some(enrolment_view(state, user, &campaign, None).await?);
    Ok(page)
}

/// A trigger's problem in the reader's words.
fn trigger_problem(t: &Tr, problem: Option<&str>) -> String {
    match problem {
        None => String::new(),
        Some(PROBLEM_NO_STEPS) => t.t("campaigns-trigger-problem-no-steps"),
        Some(PROBLEM_SENDER) => t.t("campaigns-trigger-problem-sender"),
        Some(PROBLEM_SEGMENT_GONE) => t.t("campaigns-trigger-problem-segment"),
        Some(other) => other.to_string(),
    }
}

/// The enrolment settings as saved, or (`typed`) as just posted with their problems.
async fn enrolment_view(
    state: &AppState,
    user: &CurrentUser,
    campaign: &store::Campaign,
    typed: Option<(&HashMap<String, String>, Vec<String>)>,
) -> Result<EnrolmentView, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let db = &state.db;
    let saved = store::triggers::of_campaign(db, ws, campaign.id)
        .await
        .map_err(PageError::store(t))?;
    let choice = |field: String, label: String, stored: Option<&store::triggers::TriggerRow>| {
        let checked = match &typed {
            Some((v, _)) => v.contains_key(&field),
            None => stored.is_some(),
        };
        TriggerChoice {
            field,
            label,
            checked,
            enrolled: stored.map_or(0, |r| r.enrolled),
            problem: trigger_problem(&t, stored.and_then(|r| r.problem.as_deref())),
        }
    };
    let statuses = LeadStatus::ALL
        .into_iter()
        .filter(|s| !ondo_domain::campaign::ends_enrolment(*s) && *s != LeadStatus::Won)
        .map(|s| {
            let stored = saved
                .iter()
                .find(|r| r.kind == "status" && r.status.as_deref() == Some(s.key()));
            choice(format!("status_{}", s.key()), t.status(s.key()), stored)
        })
        .collect();
    let forms = ondo_store::forms::list(db, ws)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|f| {
            let stored = saved
                .iter()
                .find(|r| r.kind == "form" && r.form_id == Some(f.id));
            choice(format!("form_{}", f.id), f.name, stored)
        })
        .collect();
    let segments = campaigns::segment::list(db, ws)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|(id, name)| {
            let stored = saved
                .iter()
                .find(|r| r.kind == "segment" && r.segment_id == Some(id));
            choice(format!("segment_{id}"), name, stored)
        })
        .collect();
    let (allow_reenroll, errors) = match typed {
        Some((v, errors)) => (v.contains_key("allow_reenroll"), errors),
        None => (campaign.allow_reenroll, Vec::new()),
    };
    Ok(EnrolmentView {
        paused: campaign.paused_at.is_some(),
        paused_since: campaign
            .paused_at
            .map(|at| t.datetime(at))
            .unwrap_or_default(),
        allow_reenroll,
        statuses,
        forms,
        segments,
        errors,
    })
}

/// The triggers ticked in the posted form, in the order of the page.
fn ticked_triggers(v: &HashMap<String, String>) -> Vec<RawTrigger> {
    let mut keys: Vec<&String> = v.keys().collect();
    keys.sort();
    keys.into_iter()
        .filter_map(|k| {
            let (kind, value) = k.split_once('_')?;
            let value = Some(value.to_string());
            Some(match kind {
                "status" => RawTrigger {
                    kind: kind.into(),
                    status: value,
                    ..Default::default()
                },
                "form" => RawTrigger {
                    kind: kind.into(),
                    form_id: value,
                    ..Default::default()
                },
                "segment" => RawTrigger {
                    kind: kind.into(),
                    segment_id: value,
                    ..Default::default()
                },
                _ => return None,
            })
        })
        .collect()
}

/// `POST /campaigns/{id}/triggers`: saves who enters by themselves (the ticked
/// statuses, forms and segments) and whether a lead may be enrolled again.
pub async fn save_triggers(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let ws = user.workspace;
    let campaign = store::get(&state.db, ws, id)
        .await
        .map_err(PageError::store(t))?;
    let raw = ticked_triggers(&v);
    let checked = campaigns::check_triggers(&state.db, ws, &raw)
        .await
        .map_err(PageError::store(t))?;
    let errors: Vec<String> = match &checked {
        Err(problems) => problems.iter().map(|p| problem_text(&t, p)).collect(),
        Ok(specs) if !specs.is_empty() && !smtp_configured(&state) => {
            vec![t.t("campaigns-enroll-error-smtp")]
        }
        Ok(_) => Vec::new(),
    };
    match checked {
        Ok(specs) if errors.is_empty() => {
            crate::tracking::keys::load(&state.db, ws)
                .await
                .map_err(PageError::store(t))?;
            store::triggers::save(
                &state.db,
                ws,
                id,
                v.contains_key("allow_reenroll"),
                &specs,
                &actor(&user),
            )
            .await
            .map_err(PageError::store(t))?;
            Ok(Redirect::to(&format!("/campaigns/{id}?done=triggers#triggers")).into_response())
        }
        _ => {
            let mut page = campaign_page(&state, &user, id, None).await?;
            page.enrolment =
                Some(enrolment_view(&state, &user, &campaign, Some((&v, errors))).await?);
            let mut resp = render(&page);
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

/// `POST /campaigns/{id}/pause`: nothing is sent until the campaign resumes.
pub async fn pause(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    set_paused(&state, &user, id, &v, true).await
}

/// `POST /campaigns/{id}/resume`: the steps that came due meanwhile go out, in order.
pub async fn resume(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    set_paused(&state, &user, id, &v, false).await
}

/// Pauses or resumes a campaign from its page's form.
async fn set_paused(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    form: &HashMap<String, String>,
    pause: bool,
) -> Result<Response, PageError> {
    allowed(user)?;
    check_form_csrf(user, form)?;
    let (ws, who, now) = (user.workspace, actor(user), Micros::now());
    let done = if pause {
        campaigns::pause(&state.db, ws, id, &who, now)
            .await
            .map(drop)
    } else {
        campaigns::resume(&state.db, ws, id, &who, now)
            .await
            .map(drop)
    };
    done.map_err(PageError::store(user.tr))?;
    let what = if pause { "paused" } else { "resumed" };
    Ok(Redirect::to(&format!("/campaigns/{id}?done={what}")).into_response())
}

/// A step rendered for a lead (or the sample person), as the text part goes out.
async fn preview(
    state: &AppState,
    user: &CurrentUser,
    campaign_id: i64,
    step_id: i64,
    lead: Option<i64>,
) -> Result<Option<PreviewView>, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let db = &state.db;
    let steps = store::steps(db, ws, campaign_id, false)
        .await
        .map_err(PageError::store(t))?;
    let Some(number) = steps.iter().position(|s| s.id == step_id) else {
        return Ok(None);
    };
    let step = &steps[number];
    let (recipient, label): (Recipient, String) = match lead {
        Some(id) => match ondo_store::leads::get(db, ws, id).await {
            Ok(l) => {
                let label = format!("{} (#{})", l.name, l.id);
                (recipient_of(&l), label)
            }
            Err(StoreError::NotFound) => {
                return Ok(Some(PreviewView {
                    step_number: number + 1,
                    lead: String::new(),
                    subject: String::new(),
                    text: String::new(),
                    error: t.t1("campaigns-preview-no-lead", "id", &id.to_string()),
                }));
            }
            Err(e) => return Err(PageError::store(t)(e)),
        },
        None => (sample_recipient(), t.t("campaigns-preview-sample")),
    };
    let campaign = store::get(db, ws, campaign_id)
        .await
        .map_err(PageError::store(t))?;
    let settings = store::settings(db, ws).await.map_err(PageError::store(t))?;
    let keys = crate::tracking::keys::load(db, ws)
        .await
        .map_err(PageError::store(t))?;
    let base = state.config.public_url.clone().unwrap_or_default();
    let links = Links {
        base: &base,
        workspace_id: ws.0,
        tracking: None,
        unsubscribe_url: unsubscribe_url(
            &base,
            &keys.key,
            &Unsubscribe {
                workspace_id: ws.0,
                lead_id: 0,
                message_id: 0,
            },
        ),
    };
    let sender = sender_of(&campaign, &settings);
    Ok(Some(
        match compose::parts(&step.subject, &step.body, &recipient, &sender, &links) {
            Ok(p) => PreviewView {
                step_number: number + 1,
                lead: label,
                subject: p.subject,
                text: p.text,
                error: String::new(),
            },
            Err(e) => PreviewView {
                step_number: number + 1,
                lead: label,
                subject: String::new(),
                text: String::new(),
                error: problem_text(
                    &t,
                    &Problem {
                        field: "body".into(),
                        step: Some(number + 1),
                        kind: ProblemKind::Template(e),
                    },
                ),
            },
        },
    ))
}

/// `GET /campaigns/{id}[?preview=STEP&lead=ID][&done=…]`.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    let t = user.tr;
    let mut page = campaign_page(&state, &user, id, None).await?;
    if let Some(step) = q.get("preview").and_then(|s| s.trim().parse::<i64>().ok()) {
        let lead = q.get("lead").and_then(|s| s.trim().parse::<i64>().ok());
        page.preview = preview(&state, &user, id, step, lead).await?;
    }
    page.notice = notice_key(q.get("done").map(String::as_str))
        .map(|k| t.t(k))
        .unwrap_or_default();
    Ok(render(&page))
}

/// `POST /campaigns/{id}`: saves the editor (name, sender, steps added, changed,
/// removed).
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    store::get(&state.db, user.workspace, id)
        .await
        .map_err(PageError::store(t))?;
    let (mut form, raw, index_of) = read_form(&v);
    match campaigns::check_campaign(&raw) {
        Ok(input) => {
            match store::update(&state.db, user.workspace, id, &input, &actor(&user)).await {
                Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}?done=saved")).into_response()),
                Err(StoreError::Conflict(_)) => {
                    Err(PageError::BadRequest(t, t.t("campaigns-error-stale")))
                }
                Err(e) => Err(PageError::store(t)(e)),
            }
        }
        Err(problems) => {
            place_problems(&t, &mut form, &problems, &index_of);
            let next = form.steps.len();
            form.steps.push(StepForm::blank(next));
            let page = campaign_page(&state, &user, id, Some(form)).await?;
            let mut resp = render(&page);
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

/// Lead ids typed in a box: numbers separated by spaces, commas or lines.
fn lead_ids(raw: &str) -> Result<Vec<i64>, String> {
    raw.split(|c: char| c.is_whitespace() || c == ',' || c == '、')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_start_matches('#')
                .parse::<i64>()
                .map_err(|_| s.to_string())
        })
        .collect()
}

fn enroll_error_key(e: &EnrollError) -> &'static str {
    match e {
        EnrollError::NotFound => "error-not-found-body",
        EnrollError::NoSteps => "campaigns-enroll-error-no-steps",
        EnrollError::SenderIncomplete => "campaigns-enroll-error-sender",
        EnrollError::NoSmtp => "campaigns-enroll-error-smtp",
        EnrollError::Empty => "campaigns-enroll-error-empty",
        EnrollError::TooMany => "campaigns-enroll-error-too-many",
        EnrollError::Store(_) => "error-internal-body",
    }
}

/// `POST /campaigns/{id}/enroll`: enrols the leads whose ids were typed, and shows who
/// was enrolled and who was skipped, with why.
pub async fn enroll(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let mut page = campaign_page(&state, &user, id, None).await?;
    let typed = v.get("lead_ids").cloned().unwrap_or_default();
    let view = match lead_ids(&typed) {
        Err(bad) => EnrollView {
            enrolled: 0,
            skipped: Vec::new(),
            error: t.t1("campaigns-enroll-error-id", "value", &bad),
        },
        Ok(ids) => {
            crate::tracking::keys::load(&state.db, user.workspace)
                .await
                .map_err(PageError::store(t))?;
            match campaigns::enroll(
                &state.db,
                user.workspace,
                id,
                &ids,
                smtp_configured(&state),
                &actor(&user),
                Micros::now(),
            )
            .await
            {
                Ok(o) => EnrollView {
                    enrolled: o.enrolled.len(),
                    skipped: o
                        .skipped
                        .iter()
                        .map(|(lead, r)| {
                            (
                                *lead,
                                t.t(&format!("campaigns-skip-{}", r.key().replace('_', "-"))),
                            )
                        })
                        .collect(),
                    error: String::new(),
                },
                Err(EnrollError::Store(e)) => return Err(PageError::store(t)(e)),
                Err(e) => EnrollView {
                    enrolled: 0,
                    skipped: Vec::new(),
                    error: t.t(enroll_error_key(&e)),
                },
            }
        }
    };
    if view.enrolled > 0 {
        // The counts and enrolments now include them.
        page = campaign_page(&state, &user, id, None).await?;
    } else {
        page.enroll_ids = typed;
    }
    page.enroll = Some(view);
    Ok(render(&page))
}

/// `POST /campaigns/{id}/test`: queues a step, rendered for a lead (or the sample
/// person), as a test message to the signed-in user.
pub async fn test_send(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let ws = user.workspace;
    store::get(&state.db, ws, id)
        .await
        .map_err(PageError::store(t))?;
    let steps = store::steps(&state.db, ws, id, false)
        .await
        .map_err(PageError::store(t))?;
    let step_id = v
        .get("step_id")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|s| steps.iter().any(|x| x.id == *s))
        .ok_or_else(|| PageError::BadRequest(t, t.t("campaigns-test-error-step")))?;
    let lead_id = match v.get("lead_id").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let id = raw.trim_start_matches('#').parse::<i64>().map_err(|_| {
                PageError::BadRequest(t, t.t1("campaigns-preview-no-lead", "id", raw))
            })?;
            ondo_store::leads::get(&state.db, ws, id)
                .await
                .map_err(|_| {
                    PageError::BadRequest(t, t.t1("campaigns-preview-no-lead", "id", raw))
                })?;
            Some(id)
        }
    };
    if !smtp_configured(&state) {
        return Err(PageError::BadRequest(t, t.t("campaigns-enroll-error-smtp")));
    }
    crate::tracking::keys::load(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    campaigns::enqueue_test(
        &state.db,
        ws,
        &TestPayload {
            campaign_id: id,
            step_id,
            user_id: user.user.id,
            lead_id,
        },
    )
    .await
    .map_err(PageError::store(t))?;
    Ok(Redirect::to(&format!("/campaigns/{id}?done=test")).into_response())
}

#[derive(Template)]
#[template(path = "campaign_settings.html")]
struct SettingsPage {
    c: Chrome,
    t: Tr,
    v: HashMap<String, String>,
    errors: HashMap<String, String>,
    notice: String,
    smtp_ready: bool,
    default_from: String,
}

impl SettingsPage {
    fn get(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    fn error(&self, k: &str) -> String {
        self.errors.get(k).cloned().unwrap_or_default()
    }
}

const SETTINGS_PATH: &str = "/settings/campaigns";

fn settings_page(state: &AppState, user: &CurrentUser, v: HashMap<String, String>) -> SettingsPage {
    SettingsPage {
        c: Chrome::new(user, NAV, SETTINGS_PATH),
        t: user.tr,
        v,
        errors: HashMap::new(),
        notice: String::new(),
        smtp_ready: smtp_configured(state),
        default_from: state.config.smtp_from.clone().unwrap_or_default(),
    }
}

/// `GET /settings/campaigns`.
pub async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    let t = user.tr;
    let s = store::settings(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let v = HashMap::from([
        ("sender_name".to_string(), s.sender_name),
        (
            "sender_email".to_string(),
            s.sender_email.unwrap_or_default(),
        ),
        ("postal_address".to_string(), s.postal_address),
        ("rate_per_minute".to_string(), s.rate_per_minute.to_string()),
    ]);
    let mut page = settings_page(&state, &user, v);
    if q.get("done").map(String::as_str) == Some("saved") {
        page.notice = t.t("campaigns-done-settings");
    }
    Ok(render(&page))
}

/// `POST /settings/campaigns`.
pub async fn save_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let rate = get("rate_per_minute");
    let rate_value = rate.trim().parse::<i64>();
    let mut raw = RawSettings {
        sender_name: get("sender_name"),
        sender_email: Some(get("sender_email")),
        postal_address: get("postal_address"),
        rate_per_minute: rate_value.as_ref().ok().copied(),
    };
    if rate_value.is_err() && !rate.trim().is_empty() {
        raw.rate_per_minute = Some(0);
    }
    match campaigns::check_settings(&raw) {
        Ok(s) => {
            store::save_settings(&state.db, user.workspace, &s, &actor(&user))
                .await
                .map_err(PageError::store(t))?;
            Ok(Redirect::to(&format!("{SETTINGS_PATH}?done=saved")).into_response())
        }
        Err(problems) => {
            let mut page = settings_page(&state, &user, v.clone());
            for p in &problems {
                page.errors.insert(p.field.clone(), problem_text(&t, p));
            }
            let mut resp = render(&page);
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lead_ids_are_numbers_in_any_separators() {
        assert_eq!(lead_ids("1, 2\n#3 、4").expect("ids"), vec![1, 2, 3, 4]);
        assert_eq!(lead_ids("1 x"), Err("x".to_string()));
        assert!(lead_ids("  ").expect("none").is_empty());
    }

    #[test]
    fn removed_and_blank_steps_are_left_out_and_problems_land_on_their_step() {
        let v: HashMap<String, String> = [
            ("name", "展示会フォロー"),
            ("step_0_id", "5"),
            ("step_0_delay", "0"),
            ("step_0_subject", "ご案内"),
            ("step_0_body", "本文"),
            ("step_0_remove", "on"),
            ("step_1_id", ""),
            ("step_1_delay", "2"),
            ("step_1_subject", "{{ nme }}"),
            ("step_1_body", "本文"),
            ("step_2_id", ""),
            ("step_2_delay", "3"),
            ("step_2_subject", ""),
            ("step_2_body", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (mut form, raw, index_of) = read_form(&v);
        assert_eq!(raw.steps.len(), 1);
        assert_eq!(form.steps.len(), 1);
        let problems = campaigns::check_campaign(&raw).expect_err("unknown placeholder");
        let t = Tr::new(crate::i18n::Lang::En);
        place_problems(&t, &mut form, &problems, &index_of);
        assert_eq!(form.steps[0].errors.len(), 1);
        assert!(
            form.steps[0].errors[0].contains("{{nme}}"),
            "{:?}",
            form.steps[0].errors
        );
        assert!(form.has_errors());
    }
}
