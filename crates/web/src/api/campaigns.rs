//! Step campaigns over the API: create one with its steps, list them, read one with its
//! per-step report, enrol leads, set its enrolment triggers and re-enrolment, pause and
//! resume it, read or change the sender settings the law asks for, and receive replies
//! from an inbound-mail service ([`inbound`]). Admins, managers and marketing run
//! campaigns; sales may not (403).

pub mod inbound;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ondo_domain::campaign::hh_mm;
use ondo_domain::{Micros, Role};
use ondo_jobs::campaigns::{
    self as campaigns, EnrollError, Problem, RawCampaign, RawSettings, RawStep,
};
use ondo_store::WorkspaceId;
use ondo_store::campaigns as store;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Whether a role may run campaigns (everyone but sales).
pub fn may_run_campaigns(role: Role) -> bool {
    !matches!(role, Role::Sales)
}

fn allowed(user: &ApiUser) -> Result<(), ApiError> {
    if may_run_campaigns(user.role()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Whether outgoing mail is configured (`ONDO_SMTP_URL`).
pub fn smtp_configured(state: &AppState) -> bool {
    state
        .config
        .smtp_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
}

fn first_problem(problems: Vec<Problem>) -> ApiError {
    match problems.into_iter().next() {
        Some(p) => ApiError::Invalid {
            message: p.message(),
            field: p.field,
        },
        None => ApiError::BadRequest("invalid input".into()),
    }
}

/// When a step may be sent: business days (weekdays that are no public or year-end
/// holiday) from `start` to `end`, JST.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendWindowJson {
    /// `HH:MM`, e.g. `09:00`.
    pub start: String,
    /// `HH:MM`, e.g. `18:00`.
    pub end: String,
}

/// A step as sent to the API.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInputJson {
    /// Days after enrolment (first step) or after the previous step was sent; 0–365.
    pub delay_days: Option<i64>,
    /// Optional: the step waits for the window's next opening.
    pub send_window: Option<SendWindowJson>,
    /// A template: `{{name}}`, `{{company}}`, `{{department}}`, `{{title}}`,
    /// `{{owner}}`, `{{email}}`.
    pub subject: Option<String>,
    /// A text template with the same placeholders; links become tracked links.
    pub body: Option<String>,
}

/// A campaign to create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignJson {
    pub name: Option<String>,
    /// Overrides the workspace's sender name.
    pub sender_name: Option<String>,
    /// Overrides the workspace's From address.
    pub sender_email: Option<String>,
    pub steps: Option<Vec<StepInputJson>>,
}

/// A step of a campaign.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StepJson {
    pub id: i64,
    /// 1 for the first step.
    pub position: i64,
    pub delay_days: i64,
    pub send_window: Option<SendWindowJson>,
    pub subject: String,
    pub body: String,
}

/// One step's figures (removed steps keep theirs).
#[derive(Serialize, utoipa::ToSchema)]
pub struct StepReportJson {
    pub step_id: i64,
    /// The step's place (absent for a removed step).
    pub position: Option<i64>,
    pub subject: String,
    /// Waiting to be sent.
    pub scheduled: i64,
    /// Handed to the SMTP server (delivered + unknown + bounced).
    pub sent: i64,
    /// Accepted by the SMTP server.
    pub delivered: i64,
    /// Sending was cut short; not sent again (whether it arrived is unknown).
    pub unknown: i64,
    /// Refused permanently (5xx).
    pub bounced: i64,
    /// Given up after temporary failures.
    pub failed: i64,
    /// Not sent: the enrolment ended or the step was removed first.
    pub skipped: i64,
    /// Opened or clicked by a person (scanners are not counted).
    pub opened: i64,
    /// Clicked by a person.
    pub clicked: i64,
    /// Unsubscribed through this message.
    pub unsubscribed: i64,
    /// Answered by the lead (the reply ended the enrolment).
    pub replied: i64,
    /// Leads that became MQL (nurturing) after this message.
    pub became_mql: i64,
    /// Leads that became SQL (sales-ready) after this message.
    pub became_sql: i64,
}

/// Enrolments by state; a lead enrolled again counts once more.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EnrollmentCountsJson {
    pub active: i64,
    pub completed: i64,
    pub exited: i64,
    /// Of the exited: the lead replied.
    pub replied: i64,
    /// Of the exited: the lead became SQL (sales-ready) or later.
    pub became_sql: i64,
    /// Every enrolment.
    pub total: i64,
}

/// An enrolment trigger: `{"type": "status", "status": "nurturing"}` (a lead entering
/// the status), `{"type": "form", "form_id": 3}` (a submission of the form) or
/// `{"type": "segment", "segment_id": 5}` (the segment's leads, now and later).
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerJson {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<i64>,
}

/// A trigger as it stands.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TriggerStateJson {
    pub id: i64,
    #[serde(flatten)]
    pub trigger: TriggerJson,
    /// Leads it enrolled.
    pub enrolled: i64,
    pub last_enrolled_at: Option<String>,
    /// Why it could not enrol at its last try: no_steps, sender_incomplete,
    /// segment_missing; absent when it could.
    pub problem: Option<String>,
}

/// Who enters a campaign by themselves, and whether a lead may come again.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggersInputJson {
    /// Replaces the campaign's triggers (an empty list switches them all off).
    pub triggers: Option<Vec<TriggerJson>>,
    /// Whether a lead whose enrolment ended may be enrolled again, from step 1
    /// (unchanged when absent).
    pub allow_reenroll: Option<bool>,
}

/// A campaign with its steps and report.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignJson {
    pub id: i64,
    pub name: String,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub created_at: String,
    /// Paused: nothing is sent; due steps wait for the campaign to resume.
    pub paused: bool,
    pub paused_at: Option<String>,
    /// Whether a lead whose enrolment ended may be enrolled again, from step 1.
    pub allow_reenroll: bool,
    pub triggers: Vec<TriggerStateJson>,
    pub steps: Vec<StepJson>,
    pub enrollments: EnrollmentCountsJson,
    pub report: Vec<StepReportJson>,
}

/// A campaign in the list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignSummaryJson {
    pub id: i64,
    pub name: String,
    pub paused: bool,
    pub steps: i64,
    pub active: i64,
    pub enrolled: i64,
    pub sent: i64,
    pub created_at: String,
}

/// Every campaign.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignListJson {
    pub campaigns: Vec<CampaignSummaryJson>,
}

fn raw_steps(steps: Vec<StepInputJson>) -> Vec<RawStep> {
    steps
        .into_iter()
        .map(|s| RawStep {
            id: None,
            delay_days: s.delay_days,
            window_start: s.send_window.as_ref().map(|w| w.start.clone()),
            window_end: s.send_window.map(|w| w.end),
            subject: s.subject.unwrap_or_default(),
            body: s.body.unwrap_or_default(),
        })
        .collect()
}

/// The campaign as the API shows it, with its report.
pub async fn campaign_json(
    state: &AppState,
    ws: WorkspaceId,
    id: i64,
) -> Result<CampaignJson, ApiError> {
    let c = store::get(&state.db, ws, id).await?;
    let all_steps = store::steps(&state.db, ws, id, true).await?;
    let report = store::report(&state.db, ws, id).await?;
    let counts = store::enrollment_counts(&state.db, ws, id).await?;
    let triggers = store::triggers::of_campaign(&state.db, ws, id)
        .await?
        .into_iter()
        .map(trigger_state_json)
        .collect();
    let live: Vec<&store::Step> = all_steps
        .iter()
        .filter(|s| s.removed_at.is_none())
        .collect();
    let position_of = |step_id: i64| {
        live.iter()
            .position(|s| s.id == step_id)
            .map(|i| i as i64 + 1)
    };
    let steps = live
        .iter()
        .enumerate()
        .map(|(i, s)| StepJson {
            id: s.id,
            position: i as i64 + 1,
            delay_days: s.delay_days,
            send_window: match (s.window_start_minute, s.window_end_minute) {
                (Some(a), Some(b)) => Some(SendWindowJson {
                    start: hh_mm(a),
                    end: hh_mm(b),
                }),
                _ => None,
            },
            subject: s.subject.clone(),
            body: s.body.clone(),
        })
        .collect();
    let report = all_steps
        .iter()
        .filter_map(|s| {
            let r = report.iter().find(|r| r.step_id == s.id);
            if r.is_none() && s.removed_at.is_some() {
                return None;
            }
            let r = r.cloned().unwrap_or_default();
            Some(StepReportJson {
                step_id: s.id,
                position: position_of(s.id),
                subject: s.subject.clone(),
                scheduled: r.scheduled,
                sent: r.sent,
                delivered: r.delivered,
                unknown: r.unknown,
                bounced: r.bounced,
                failed: r.failed,
                skipped: r.skipped,
                opened: r.opened,
                clicked: r.clicked,
                unsubscribed: r.unsubscribed,
                replied: r.replied,
                became_mql: r.became_mql,
                became_sql: r.became_sql,
            })
        })
        .collect();
    Ok(CampaignJson {
        id: c.id,
        name: c.name,
        sender_name: c.sender_name,
        sender_email: c.sender_email,
        created_at: Micros(c.created_at).to_rfc3339(),
        paused: c.paused_at.is_some(),
        paused_at: c.paused_at.map(|t| Micros(t).to_rfc3339()),
        allow_reenroll: c.allow_reenroll,
        triggers,
        steps,
        enrollments: EnrollmentCountsJson {
            active: counts.active,
            completed: counts.completed,
            exited: counts.exited,
            replied: counts.replied,
            became_sql: counts.became_sql,
            total: counts.total,
        },
        report,
    })
}

/// Creates a campaign with its steps.
#[utoipa::path(post, path = "/api/v1/campaigns", request_body = NewCampaignJson,
    responses((status = 201, body = CampaignJson), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<NewCampaignJson>,
) -> Result<(StatusCode, Json<CampaignJson>), ApiError> {
    allowed(&user)?;
    let raw = RawCampaign {
        name: body.name.unwrap_or_default(),
        sender_name: body.sender_name,
        sender_email: body.sender_email,
        steps: raw_steps(body.steps.unwrap_or_default()),
    };
    let input = campaigns::check_campaign(&raw).map_err(first_problem)?;
    let id = store::create(&state.db, user.workspace, &input, &user.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(campaign_json(&state, user.workspace, id).await?),
    ))
}

/// Every campaign, newest first, with its counts.
#[utoipa::path(get, path = "/api/v1/campaigns",
    responses((status = 200, body = CampaignListJson), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<CampaignListJson>, ApiError> {
    allowed(&user)?;
    let rows = store::list(&state.db, user.workspace).await?;
    Ok(Json(CampaignListJson {
        campaigns: rows
            .into_iter()
            .map(|c| CampaignSummaryJson {
                id: c.id,
                name: c.name,
                paused: c.paused_at.is_some(),
                steps: c.steps,
                active: c.active,
                enrolled: c.enrolled,
                sent: c.sent,
                created_at: Micros(c.created_at).to_rfc3339(),
            })
            .collect(),
    }))
}

/// A campaign with its steps, enrolments and per-step report.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignJson), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<CampaignJson>, ApiError> {
    allowed(&user)?;
    Ok(Json(campaign_json(&state, user.workspace, id).await?))
}

/// Leads to enrol.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollJson {
    pub lead_ids: Option<Vec<i64>>,
}

/// A lead that was not enrolled, and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SkippedJson {
    pub lead_id: i64,
    /// not_found, no_email, opted_out, no_consent, do_not_send, sales_ready,
    /// already_enrolled, enrolled_before.
    pub reason: String,
    pub message: String,
}

/// What an enrolment did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EnrollResultJson {
    pub enrolled: Vec<i64>,
    pub skipped: Vec<SkippedJson>,
}

/// The error of an enrolment that could not start.
pub fn enroll_error(e: EnrollError) -> ApiError {
    let invalid = |field: &str, e: &EnrollError| ApiError::Invalid {
        field: field.into(),
        message: e.to_string(),
    };
    match e {
        EnrollError::NotFound => ApiError::NotFound,
        EnrollError::NoSteps => invalid("steps", &e),
        EnrollError::SenderIncomplete => invalid("sender", &e),
        EnrollError::NoSmtp => invalid("smtp", &e),
        EnrollError::Empty | EnrollError::TooMany => invalid("lead_ids", &e),
        EnrollError::Store(s) => s.into(),
    }
}

/// Enrols leads: each lead that may receive marketing email gets the first step (due
/// after its delay, inside its window); the others are listed with the reason.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/enroll", params(("id" = i64, Path)),
    request_body = EnrollJson,
    responses((status = 200, body = EnrollResultJson), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn enroll(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EnrollJson>,
) -> Result<Json<EnrollResultJson>, ApiError> {
    allowed(&user)?;
    let ids = body.lead_ids.ok_or_else(|| ApiError::Invalid {
        field: "lead_ids".into(),
        message: "send {\"lead_ids\": [1, 2, …]}".into(),
    })?;
    // The links of the messages are signed with the workspace's key: make it now.
    crate::tracking::keys::load(&state.db, user.workspace).await?;
    let outcome = campaigns::enroll(
        &state.db,
        user.workspace,
        id,
        &ids,
        smtp_configured(&state),
        &user.actor(),
        Micros::now(),
    )
    .await
    .map_err(enroll_error)?;
    Ok(Json(EnrollResultJson {
        enrolled: outcome.enrolled,
        skipped: outcome
            .skipped
            .into_iter()
            .map(|(lead_id, r)| SkippedJson {
                lead_id,
                reason: r.key().into(),
                message: r.message().into(),
            })
            .collect(),
    }))
}

fn trigger_state_json(t: store::triggers::TriggerRow) -> TriggerStateJson {
    TriggerStateJson {
        id: t.id,
        trigger: TriggerJson {
            kind: Some(t.kind),
            status: t.status,
            form_id: t.form_id,
            segment_id: t.segment_id,
        },
        enrolled: t.enrolled,
        last_enrolled_at: t.last_enrolled_at.map(|at| Micros(at).to_rfc3339()),
        problem: t.problem,
    }
}

/// Sets a campaign's enrolment triggers and whether it allows re-enrolment. A new
/// status or form trigger acts on what happens from now on; a segment trigger enrols
/// the segment's current leads too, over the next minutes, and those who match later.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/triggers", params(("id" = i64, Path)),
    request_body = TriggersInputJson,
    responses((status = 200, body = CampaignJson), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_triggers(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TriggersInputJson>,
) -> Result<Json<CampaignJson>, ApiError> {
    allowed(&user)?;
    let ws = user.workspace;
    let campaign = store::get(&state.db, ws, id).await?;
    let specs = match body.triggers {
        Some(list) => {
            let raw: Vec<campaigns::RawTrigger> = list
                .into_iter()
                .map(|t| campaigns::RawTrigger {
                    kind: t.kind.unwrap_or_default(),
                    status: t.status,
                    form_id: t.form_id.map(|v| v.to_string()),
                    segment_id: t.segment_id.map(|v| v.to_string()),
                })
                .collect();
            let specs = campaigns::check_triggers(&state.db, ws, &raw)
                .await?
                .map_err(first_problem)?;
            if !specs.is_empty() && !smtp_configured(&state) {
                return Err(ApiError::Invalid {
                    field: "smtp".into(),
                    message: EnrollError::NoSmtp.to_string(),
                });
            }
            specs
        }
        // Only re-enrolment changes: the triggers stay as they are.
        None => store::triggers::of_campaign(&state.db, ws, id)
            .await?
            .iter()
            .map(store::triggers::TriggerSpec::of)
            .collect(),
    };
    let allow_reenroll = body.allow_reenroll.unwrap_or(campaign.allow_reenroll);
    // The links of the messages are signed with the workspace's key: make it now.
    crate::tracking::keys::load(&state.db, ws).await?;
    store::triggers::save(&state.db, ws, id, allow_reenroll, &specs, &user.actor()).await?;
    Ok(Json(campaign_json(&state, ws, id).await?))
}

/// Pauses a campaign: nothing is sent until it resumes; steps that come due meanwhile
/// wait. Pausing a paused campaign changes nothing.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/pause", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignJson), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn pause(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<CampaignJson>, ApiError> {
    allowed(&user)?;
    campaigns::pause(&state.db, user.workspace, id, &user.actor(), Micros::now()).await?;
    Ok(Json(campaign_json(&state, user.workspace, id).await?))
}

/// Resumes a paused campaign: the steps that came due while it was paused go out now,
/// in the order they were due (each inside its send window).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/resume", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignJson), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn resume(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<CampaignJson>, ApiError> {
    allowed(&user)?;
    campaigns::resume(&state.db, user.workspace, id, &user.actor(), Micros::now()).await?;
    Ok(Json(campaign_json(&state, user.workspace, id).await?))
}

/// The sender every campaign message names (特定電子メール法), and the rate limit.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SenderSettingsJson {
    /// Required: the sender's name (person or company).
    pub sender_name: Option<String>,
    /// The From address; empty: the server's (`ONDO_SMTP_FROM`).
    pub sender_email: Option<String>,
    /// Required: the sender's postal address.
    pub postal_address: Option<String>,
    /// Messages a minute for the whole workspace (default 60).
    pub rate_per_minute: Option<i64>,
}

fn settings_json(s: store::SenderSettings) -> SenderSettingsJson {
    SenderSettingsJson {
        sender_name: Some(s.sender_name),
        sender_email: s.sender_email,
        postal_address: Some(s.postal_address),
        rate_per_minute: Some(s.rate_per_minute),
    }
}

/// The sender settings.
#[utoipa::path(get, path = "/api/v1/campaign-settings",
    responses((status = 200, body = SenderSettingsJson), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_settings(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<SenderSettingsJson>, ApiError> {
    allowed(&user)?;
    Ok(Json(settings_json(
        store::settings(&state.db, user.workspace).await?,
    )))
}

/// Replaces the sender settings; the name and postal address are required.
#[utoipa::path(put, path = "/api/v1/campaign-settings", request_body = SenderSettingsJson,
    responses((status = 200, body = SenderSettingsJson), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_settings(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<SenderSettingsJson>,
) -> Result<Json<SenderSettingsJson>, ApiError> {
    allowed(&user)?;
    let s = campaigns::check_settings(&RawSettings {
        sender_name: body.sender_name.unwrap_or_default(),
        sender_email: body.sender_email,
        postal_address: body.postal_address.unwrap_or_default(),
        rate_per_minute: body.rate_per_minute,
    })
    .map_err(first_problem)?;
    store::save_settings(&state.db, user.workspace, &s, &user.actor()).await?;
    Ok(Json(settings_json(
        store::settings(&state.db, user.workspace).await?,
    )))
}
