use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ondo_domain::scoring::{ScoringRules, jst_day, score_on, temperature};
use ondo_domain::{Micros, search_key};
use ondo_store::leads::{Lead, LeadFilter, OwnerFilter, Touchpoint};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ApiJson;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::service::access::{ensure_can_see, ensure_can_see_lead};
use crate::service::leads::{LeadChanges, create_or_unify, update};
use crate::state::AppState;

/// The company a lead works for.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CompanyRefJson {
    pub id: i64,
    pub name: String,
}

/// The user who owns a lead.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OwnerJson {
    pub id: i64,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// How a lead reached us.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TouchpointJson {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub at: String,
}

/// An email or number the lead was seen with besides its own fields (a second address
/// from a webinar sign-up, another direct line); later imports and forms find the lead by
/// it too.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OtherContactJson {
    /// `email`, `phone` or `mobile`: the field it stands beside.
    pub kind: String,
    pub value: String,
    /// The touchpoint source that brought it (the import's `--source`, a form's name).
    pub source: Option<String>,
}

/// A lead.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LeadJson {
    pub id: i64,
    pub name: String,
    pub kana: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub company: Option<CompanyRefJson>,
    /// The company name as it was given.
    pub company_name: Option<String>,
    pub postcode: Option<String>,
    pub address: Option<String>,
    pub owner: Option<OwnerJson>,
    /// new, nurturing, sales_ready, opportunity or lost_dormant.
    pub status: String,
    pub lost_reason: Option<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    pub consent_source: Option<String>,
    pub consent_at: Option<String>,
    pub email_opt_out: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Engagement today, fit and its grade.
    pub scores: super::queue::ScoresJson,
    /// hot, warm or cold (from engagement today).
    pub temperature: String,
    /// When the lead came back from dormant, if it did.
    pub returned_at: Option<String>,
    /// Present on single-lead answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touchpoints: Option<Vec<TouchpointJson>>,
    /// The AI score with its reasons (single-lead answers, when a model scored the lead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai: Option<super::queue::AiJson>,
    /// Emails and numbers the lead was seen with besides its own (single-lead answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_contacts: Option<Vec<OtherContactJson>>,
}

impl LeadJson {
    pub fn from_lead(
        l: Lead,
        touchpoints: Option<Vec<Touchpoint>>,
        rules: &ScoringRules,
    ) -> LeadJson {
        let custom_fields = l.custom_fields();
        let engagement = score_on(l.engagement_key, jst_day(Micros::now()), rules);
        LeadJson {
            scores: super::queue::ScoresJson {
                engagement: super::queue::round1(engagement),
                fit: super::queue::round1(l.fit_score),
                fit_grade: l.fit_grade.clone(),
            },
            temperature: temperature(rules, engagement).key().to_string(),
            returned_at: l.returned_at.map(|t| Micros(t).to_rfc3339()),
            id: l.id,
            company: l.company_id.map(|id| CompanyRefJson {
                id,
                name: l.company_display.clone().unwrap_or_default(),
            }),
            owner: l.owner_id.map(|id| OwnerJson {
                id,
                email: l.owner_email.clone(),
                name: l.owner_name.clone(),
            }),
            name: l.name,
            kana: l.kana,
            email: l.email,
            phone: l.phone,
            mobile: l.mobile,
            title: l.title,
            department: l.department,
            company_name: l.company_name,
            postcode: l.postcode,
            address: l.address,
            status: l.status,
            lost_reason: l.lost_reason,
            custom_fields,
            consent_source: l.consent_source,
            consent_at: l.consent_at.map(|t| Micros(t).to_rfc3339()),
            email_opt_out: l.email_opt_out,
            created_at: Micros(l.created_at).to_rfc3339(),
            updated_at: Micros(l.updated_at).to_rfc3339(),
            ai: None,
            other_contacts: None,
            touchpoints: touchpoints.map(|tps| {
                tps.into_iter()
                    .map(|t| TouchpointJson {
                        id: t.id,
                        kind: t.kind,
                        source: t.source,
                        at: Micros(t.occurred_at).to_rfc3339(),
                    })
                    .collect()
            }),
        }
    }
}

/// Fields of a lead to create or change. Every field is optional on PATCH; `name` is
/// required on create. `null` clears a field. Unknown fields are refused.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct LeadInput {
    pub name: Option<String>,
    /// Reading in katakana or hiragana.
    pub kana: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    /// Company name with or without its legal form, e.g. "株式会社サカタのタネ".
    pub company: Option<String>,
    /// 13-digit 法人番号.
    pub corporate_number: Option<String>,
    pub postcode: Option<String>,
    pub address: Option<String>,
    /// The owner's email or user id. A salesperson may only take an unassigned lead for
    /// themselves (403 otherwise).
    pub owner: Option<String>,
    /// Why the owner changes: required (422) when the lead already has an owner; kept
    /// in the audit log's `reassign` entry.
    pub owner_reason: Option<String>,
    /// A status key; lost_dormant requires lost_reason.
    pub status: Option<String>,
    /// Why the status changes, in words.
    pub status_reason: Option<String>,
    pub lost_reason: Option<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Option<Map<String, Value>>,
    /// business_card, form_opt_in, existing_relationship or other.
    pub consent_source: Option<String>,
    /// RFC 3339 time or YYYY-MM-DD.
    pub consent_at: Option<String>,
    pub email_opt_out: Option<bool>,
    /// The touchpoint this submission is, e.g. "展示会 2026-10 東京" (create only).
    pub source: Option<String>,
    /// trade_show, form, document_request, webinar, import, api, manual or business_card.
    pub source_kind: Option<String>,
}

fn object(v: Value) -> Result<Map<String, Value>, ApiError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::BadRequest(
            "the body must be a JSON object".into(),
        )),
    }
}

/// Creates a lead, or unifies it with the lead that has the same email (200).
#[utoipa::path(post, path = "/api/v1/leads", request_body = LeadInput,
    responses((status = 201, body = LeadJson, description = "created"), (status = 200, body = LeadJson, description = "unified with an existing lead"),
              (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody, description = "the same person exists and belongs to another rep (sales)"),
              (status = 422, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<LeadJson>), ApiError> {
    let changes = LeadChanges::from_json(&object(body)?)?;
    let (lead, created) = create_or_unify(
        &state.db,
        user.workspace,
        &changes,
        &user.actor(),
        "API",
        "api",
    )
    .await?;
    if !created {
        // Unified with a lead the caller may not see: say that it exists, show nothing of it.
        ensure_can_see(&state.db, user.workspace, &user.user, &lead)
            .await
            .map_err(|_| {
                ApiError::Conflict(
                    "a lead with this email already exists and belongs to another rep; \
                     the new touchpoint was added to it"
                        .into(),
                )
            })?;
    }
    let tps = ondo_store::leads::touchpoints(&state.db, user.workspace, lead.id).await?;
    let (_, rules) = ondo_jobs::scoring::workspace_rules(&state.db, user.workspace).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(LeadJson::from_lead(lead, Some(tps), &rules))))
}

/// The lead with its status and touchpoints.
#[utoipa::path(get, path = "/api/v1/leads/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = LeadJson), (status = 404, body = crate::error::ErrorBody, description = "no such lead, or one a salesperson may not see")), security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<LeadJson>, ApiError> {
    let lead =
        crate::service::access::visible_lead(&state.db, user.workspace, &user.user, id).await?;
    let tps = ondo_store::leads::touchpoints(&state.db, user.workspace, id).await?;
    let (_, rules) = ondo_jobs::scoring::workspace_rules(&state.db, user.workspace).await?;
    let mut json = LeadJson::from_lead(lead, Some(tps), &rules);
    json.ai = ondo_jobs::ai::lead_ai(&state.db, user.workspace, id)
        .await?
        .map(|a| super::queue::AiJson::of(&a));
    let others = ondo_store::identities::of_lead(&state.db, user.workspace, id).await?;
    json.other_contacts = Some(
        others
            .into_iter()
            .map(|(kind, value, source)| OtherContactJson {
                kind,
                value,
                source,
            })
            .collect(),
    );
    Ok(Json(json))
}

/// Changes fields, owner or status of a lead.
#[utoipa::path(patch, path = "/api/v1/leads/{id}", params(("id" = i64, Path)), request_body = LeadInput,
    responses((status = 200, body = LeadJson), (status = 403, body = crate::error::ErrorBody, description = "a salesperson may only take an unassigned lead for themselves"),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<LeadJson>, ApiError> {
    let body = object(body)?;
    if body.contains_key("source") || body.contains_key("source_kind") {
        return Err(ApiError::Invalid {
            field: "source".into(),
            message: "source is set when a lead is created".into(),
        });
    }
    let changes = LeadChanges::from_json(&body)?;
    ensure_can_see_lead(&state.db, user.workspace, &user.user, id).await?;
    let lead = update(&state.db, user.workspace, id, &changes, &user.actor()).await?;
    let tps = ondo_store::leads::touchpoints(&state.db, user.workspace, id).await?;
    let (_, rules) = ondo_jobs::scoring::workspace_rules(&state.db, user.workspace).await?;
    Ok(Json(LeadJson::from_lead(lead, Some(tps), &rules)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Search in name, reading, email, company, department and phones.
    pub q: Option<String>,
    /// A status key.
    pub status: Option<String>,
    /// An owner's email, or "none" for unassigned leads.
    pub owner: Option<String>,
    pub company_id: Option<i64>,
    /// A touchpoint source, exactly.
    pub source: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of leads.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LeadPage {
    pub leads: Vec<LeadJson>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Leads, newest first, filtered. A salesperson gets their own leads, unassigned leads
/// and the colleagues of their leads (others at the same companies).
#[utoipa::path(get, path = "/api/v1/leads", params(ListQuery),
    responses((status = 200, body = LeadPage), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<LeadPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::Invalid {
            field: "limit".into(),
            message: "limit must be between 1 and 500".into(),
        });
    }
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(ondo_domain::LeadStatus::parse(s).map_err(crate::service::ServiceError::from)?)
        }
        None => None,
    };
    let owner = match q.owner.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("none") => Some(OwnerFilter::Unassigned),
        Some(email) => {
            let u = ondo_store::users::find_by_email(
                &state.db,
                user.workspace,
                &email.trim().to_lowercase(),
            )
            .await?
            .ok_or_else(|| ApiError::Invalid {
                field: "owner".into(),
                message: format!("no user {email} in this workspace"),
            })?;
            Some(OwnerFilter::User(u.id))
        }
    };
    let before_id = match q.cursor.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => Some(c.parse::<i64>().map_err(|_| ApiError::Invalid {
            field: "cursor".into(),
            message: "not a cursor from this API".into(),
        })?),
        None => None,
    };
    let filter = LeadFilter {
        q: q.q.as_deref().map(search_key).filter(|s| !s.is_empty()),
        status,
        owner,
        company_id: q.company_id,
        source: q.source.filter(|s| !s.is_empty()),
        before_id,
        visibility: crate::service::access::visibility(&user.user),
    };
    let mut leads = ondo_store::leads::list(&state.db, user.workspace, &filter, limit + 1).await?;
    let (_, rules) = ondo_jobs::scoring::workspace_rules(&state.db, user.workspace).await?;
    let next_cursor = if leads.len() as i64 > limit {
        leads.truncate(limit as usize);
        leads.last().map(|l| l.id.to_string())
    } else {
        None
    };
    Ok(Json(LeadPage {
        leads: leads
            .into_iter()
            .map(|l| LeadJson::from_lead(l, None, &rules))
            .collect(),
        next_cursor,
    }))
}

/// An activity to log.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// call, email, meeting or note.
    #[serde(rename = "type")]
    pub kind: String,
    /// For calls: 不在, 受付ブロック, 担当者と会話, アポ獲得, 資料送付, or your own words.
    pub outcome: Option<String>,
    pub note: Option<String>,
    /// RFC 3339; defaults to now.
    pub at: Option<String>,
}

/// A logged activity.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivityJson {
    pub id: i64,
    pub lead_id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub at: String,
    pub user: Option<String>,
}

/// Logs a call, email, meeting or note on a lead.
#[utoipa::path(post, path = "/api/v1/leads/{id}/activities", params(("id" = i64, Path)), request_body = ActivityInput,
    responses((status = 201, body = ActivityJson), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_activity(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<(StatusCode, Json<ActivityJson>), ApiError> {
    ensure_can_see_lead(&state.db, user.workspace, &user.user, id).await?;
    let new = crate::service::activities::parse(
        &input.kind,
        input.outcome,
        input.note,
        input.at.as_deref(),
    )?;
    let a =
        crate::service::activities::add(&state.db, user.workspace, id, &new, &user.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(ActivityJson {
            id: a.id,
            lead_id: a.lead_id,
            kind: a.kind,
            outcome: a.outcome,
            note: a.note,
            at: Micros(a.occurred_at).to_rfc3339(),
            user: a.user_name,
        }),
    ))
}
