//! Segments over the API: saved lead filters to list, create, read (with how many leads
//! the caller may see in them), replace and delete, and the ids and names of their leads
//! a page at a time. Admins, managers and marketing manage segments; sales may read them
//! and their leads (only the leads they may see) but not change them (403).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ondo_domain::Role;
use ondo_domain::segment::{
    CompanyCriterion, Input, OwnerCriterion, Problem, SegmentDraft, SegmentError, parse_segment,
};
use ondo_store::segments::{self as store, Scope, Segment, SegmentInput};
use ondo_store::users::User;
use ondo_store::{Db, StoreError, WorkspaceId};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Leads a page of `/segments/{id}/leads` holds unless asked otherwise, and at most.
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1_000;

/// Whether a role may create, change and delete segments (everyone but sales).
pub fn may_manage_segments(role: Role) -> bool {
    !matches!(role, Role::Sales)
}

/// The leads this user sees in a segment, now; "me" is them.
pub fn scope_for(user: &User) -> Scope {
    Scope::viewer(crate::service::access::visibility(user), user.id)
}

/// Checks what a definition refers to: the owner and the company must be of this
/// workspace (an id of another workspace reads as no such one).
pub async fn check_references(
    db: &Db,
    ws: WorkspaceId,
    draft: &SegmentDraft,
) -> Result<(), SegmentCheck> {
    let no_such = |field: &str| {
        SegmentCheck::Invalid(SegmentError {
            field: field.to_string(),
            problem: Problem::NoSuch,
        })
    };
    if let Some(OwnerCriterion::User(id)) = draft.definition.owner {
        match ondo_store::users::get(db, ws, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(no_such("definition.owner")),
            Err(e) => return Err(SegmentCheck::Store(e)),
        }
    }
    if let Some(CompanyCriterion::Id(id)) = draft.definition.company {
        match ondo_store::companies::get(db, ws, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(no_such("definition.company.id")),
            Err(e) => return Err(SegmentCheck::Store(e)),
        }
    }
    Ok(())
}

/// Why a segment could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SegmentCheck {
    /// A field is wrong (the name taken included).
    #[error("{0}")]
    Invalid(SegmentError),
    /// No such segment.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SegmentCheck {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => SegmentCheck::NotFound,
            StoreError::Conflict(_) => SegmentCheck::Invalid(SegmentError {
                field: "name".into(),
                problem: Problem::NameTaken,
            }),
            other => SegmentCheck::Store(other),
        }
    }
}

impl From<SegmentCheck> for ApiError {
    fn from(e: SegmentCheck) -> Self {
        match e {
            SegmentCheck::Invalid(e) => ApiError::Invalid {
                field: e.field,
                message: e.problem.to_string(),
            },
            SegmentCheck::NotFound => ApiError::NotFound,
            SegmentCheck::Store(s) => s.into(),
        }
    }
}

/// Parses and checks a segment, then creates it (`id` none) or replaces segment `id`.
pub async fn save(
    db: &Db,
    ws: WorkspaceId,
    id: Option<i64>,
    input: &Input,
    actor: &ondo_store::Actor,
) -> Result<Segment, SegmentCheck> {
    let draft = parse_segment(input).map_err(SegmentCheck::Invalid)?;
    check_references(db, ws, &draft).await?;
    let input = SegmentInput {
        name: draft.name,
        description: draft.description,
        definition: draft.definition,
    };
    Ok(match id {
        Some(id) => store::update(db, ws, id, &input, actor).await?,
        None => store::create(db, ws, &input, actor).await?,
    })
}

/// A segment to create or the whole of one to replace (OpenAPI's view of the body).
#[derive(Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SegmentBodyJson {
    /// Required, unique in the workspace, at most 100 characters.
    pub name: String,
    pub description: Option<String>,
    /// Every part optional; parts combine with AND, values inside a part with OR.
    /// `statuses`: status keys; `temperature`: `{"bands": ["hot","warm","cold"],
    /// "min_score", "max_score"}` (engagement score today); `sources`: touchpoint sources;
    /// `company`: `{"id"}` or `{"name_contains"}`; `owner`: `"me"`, `"unassigned"` or a user
    /// id; `custom_fields`: `[{"field", "op": "eq"|"gte"|"lte", "value"}]`; `behaviour`:
    /// `[{"type"?, "category"?, "min_count", "within_days"}]` (events by a person);
    /// `created`, `last_activity`: `{"from", "to", "within_days", "older_than_days"}`
    /// (dates `YYYY-MM-DD`, Japan time, inclusive); `include_opted_out`: false by default.
    #[schema(value_type = Object)]
    pub definition: Option<serde_json::Value>,
}

/// A segment.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SegmentJson {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The definition, in the shape it is written in.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
    /// Leads the segment matches now, of those the caller may see (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leads: Option<i64>,
}

fn segment_json(s: &Segment, leads: Option<i64>) -> SegmentJson {
    SegmentJson {
        id: s.id,
        name: s.name.clone(),
        description: s.description.clone(),
        definition: serde_json::to_value(&s.definition).unwrap_or_default(),
        created_at: ondo_domain::Micros(s.created_at).to_rfc3339(),
        updated_at: ondo_domain::Micros(s.updated_at).to_rfc3339(),
        leads,
    }
}

/// Every segment.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SegmentListJson {
    pub segments: Vec<SegmentJson>,
}

fn manage(user: &ApiUser) -> Result<(), ApiError> {
    if may_manage_segments(user.role()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A segment as the API answers it, with how many leads the user may see in it now.
async fn counted(state: &AppState, user: &ApiUser, seg: &Segment) -> Result<SegmentJson, ApiError> {
    let n = store::count(
        &state.db,
        user.workspace,
        &seg.definition,
        &scope_for(&user.user),
        &[],
    )
    .await?;
    Ok(segment_json(seg, Some(n)))
}

async fn find(state: &AppState, ws: WorkspaceId, id: i64) -> Result<Segment, ApiError> {
    store::get(&state.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Every segment of the workspace, by name.
#[utoipa::path(get, path = "/api/v1/segments",
    responses((status = 200, body = SegmentListJson)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<SegmentListJson>, ApiError> {
    let rows = store::list(&state.db, user.workspace).await?;
    Ok(Json(SegmentListJson {
        segments: rows.iter().map(|s| segment_json(s, None)).collect(),
    }))
}

/// Creates a segment; a bad definition is refused with 422 naming the field.
#[utoipa::path(post, path = "/api/v1/segments", request_body = SegmentBodyJson,
    responses((status = 201, body = SegmentJson), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<Input>,
) -> Result<(StatusCode, Json<SegmentJson>), ApiError> {
    manage(&user)?;
    let seg = save(&state.db, user.workspace, None, &body, &user.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(counted(&state, &user, &seg).await?),
    ))
}

/// A segment, with how many leads it matches now that the caller may see.
#[utoipa::path(get, path = "/api/v1/segments/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = SegmentJson), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<SegmentJson>, ApiError> {
    let seg = find(&state, user.workspace, id).await?;
    Ok(Json(counted(&state, &user, &seg).await?))
}

/// Replaces a segment's name, description and definition.
#[utoipa::path(put, path = "/api/v1/segments/{id}", params(("id" = i64, Path)),
    request_body = SegmentBodyJson,
    responses((status = 200, body = SegmentJson), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Input>,
) -> Result<Json<SegmentJson>, ApiError> {
    manage(&user)?;
    find(&state, user.workspace, id).await?;
    let seg = save(&state.db, user.workspace, Some(id), &body, &user.actor()).await?;
    Ok(Json(counted(&state, &user, &seg).await?))
}

/// Deletes a segment (the audit log keeps what it was).
#[utoipa::path(delete, path = "/api/v1/segments/{id}", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    manage(&user)?;
    store::delete(&state.db, user.workspace, id, &user.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which page of a segment's leads.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct LeadsPageQuery {
    /// Only leads with an id above this (the previous page's `next_after_id`).
    pub after_id: Option<String>,
    /// Leads per page, 1–1000 (default 100).
    pub limit: Option<String>,
}

/// A lead of a segment.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SegmentLeadJson {
    pub id: i64,
    pub name: String,
}

/// A page of a segment's leads, by ascending id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SegmentLeadsJson {
    pub leads: Vec<SegmentLeadJson>,
    /// Pass as `after_id` for the next page; absent on the last page.
    pub next_after_id: Option<i64>,
}

fn query_integer(
    raw: Option<&str>,
    field: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::Invalid {
            field: field.into(),
            message: format!("must be a whole number from {min} to {max}; got {raw:?}"),
        }),
    }
}

/// The ids and names of a segment's leads (those the caller may see), ascending by id.
#[utoipa::path(get, path = "/api/v1/segments/{id}/leads",
    params(("id" = i64, Path), LeadsPageQuery),
    responses((status = 200, body = SegmentLeadsJson), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn leads(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<LeadsPageQuery>,
) -> Result<Json<SegmentLeadsJson>, ApiError> {
    let after = query_integer(q.after_id.as_deref(), "after_id", 0, i64::MAX)?.unwrap_or(0);
    let limit = query_integer(q.limit.as_deref(), "limit", 1, MAX_PAGE)?.unwrap_or(DEFAULT_PAGE);
    let seg = find(&state, user.workspace, id).await?;
    let rows = store::lead_names_after(
        &state.db,
        user.workspace,
        &seg.definition,
        &scope_for(&user.user),
        after,
        limit,
    )
    .await?;
    let next_after_id = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|(id, _)| *id))
        .flatten();
    Ok(Json(SegmentLeadsJson {
        leads: rows
            .into_iter()
            .map(|(id, name)| SegmentLeadJson { id, name })
            .collect(),
        next_after_id,
    }))
}
