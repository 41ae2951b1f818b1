//! Follow-up tasks over the API: schedule one on a lead, list one's own (or, for roles
//! other than sales, anyone's), and close or reopen one.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ondo_domain::Micros;
use ondo_store::tasks::{Task, TaskState};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::service::ServiceError;
use crate::service::leads::OwnerRef;
use crate::service::tasks::{self as service, TaskInput, Whose};
use crate::state::AppState;

/// A follow-up to schedule on a lead.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskJson {
    /// Required.
    pub title: Option<String>,
    /// Required: RFC 3339, or a date `YYYY-MM-DD` (due that day, Japan time).
    pub due_at: Option<String>,
    /// The owner's email; the caller when absent. A salesperson may only name themselves.
    pub owner: Option<String>,
    pub note: Option<String>,
    /// follow_up (default), renewal or upsell.
    pub kind: Option<String>,
}

/// A change to a task.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatchJson {
    /// true closes the task, false opens it again.
    pub done: Option<bool>,
}

/// Who owns a task.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskOwnerJson {
    pub id: i64,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// A follow-up task.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskJson {
    pub id: i64,
    pub lead_id: Option<i64>,
    pub lead_name: Option<String>,
    pub company_id: Option<i64>,
    pub company: Option<String>,
    pub owner: TaskOwnerJson,
    /// follow_up, renewal or upsell.
    pub kind: String,
    pub title: String,
    pub note: Option<String>,
    /// RFC 3339, UTC.
    pub due_at: String,
    pub done: bool,
    pub done_at: Option<String>,
    pub created_at: String,
}

impl From<Task> for TaskJson {
    fn from(t: Task) -> Self {
        TaskJson {
            id: t.id,
            lead_id: t.lead_id,
            lead_name: t.lead_name,
            company_id: t.company_id,
            company: t.company_name,
            owner: TaskOwnerJson {
                id: t.owner_id,
                email: t.owner_email,
                name: t.owner_name,
            },
            kind: t.kind,
            title: t.title,
            note: t.note,
            due_at: Micros(t.due_at).to_rfc3339(),
            done: t.done_at.is_some(),
            done_at: t.done_at.map(|d| Micros(d).to_rfc3339()),
            created_at: Micros(t.created_at).to_rfc3339(),
        }
    }
}

/// Schedules a follow-up on a lead.
#[utoipa::path(post, path = "/api/v1/leads/{id}/tasks", params(("id" = i64, Path)), request_body = NewTaskJson,
    responses((status = 201, body = TaskJson), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    Path(lead_id): Path<i64>,
    ApiJson(body): ApiJson<NewTaskJson>,
) -> Result<(StatusCode, Json<TaskJson>), ApiError> {
    let input = TaskInput {
        title: body.title.unwrap_or_default(),
        due_at: body.due_at.unwrap_or_default(),
        due_time: None,
        owner: body.owner.map(|o| OwnerRef::Email(o.trim().to_lowercase())),
        note: body.note,
        kind: body.kind,
    };
    let task = service::create_for_lead(
        &state.db,
        user.workspace,
        &user.user,
        lead_id,
        &input,
        &user.actor(),
    )
    .await
    .map_err(ServiceError::from)?;
    Ok((StatusCode::CREATED, Json(task.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TaskQuery {
    /// An owner's email (default: the caller); a salesperson may only ask for their own.
    pub owner: Option<String>,
    /// open (default) or done.
    pub state: Option<String>,
    /// At most this many (default 100, at most 500).
    pub limit: Option<i64>,
}

/// Tasks of the list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskList {
    pub tasks: Vec<TaskJson>,
}

/// Open tasks by due time, or done ones most recently closed first.
#[utoipa::path(get, path = "/api/v1/tasks", params(TaskQuery),
    responses((status = 200, body = TaskList), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Query(q): Query<TaskQuery>,
) -> Result<Json<TaskList>, ApiError> {
    let invalid = |field: &str, message: String| ApiError::Invalid {
        field: field.into(),
        message,
    };
    let task_state = match q.state.as_deref().map(str::trim).unwrap_or("open") {
        "" | "open" => TaskState::Open,
        "done" => TaskState::Done,
        other => {
            return Err(invalid(
                "state",
                format!("must be open or done, not \"{other}\""),
            ));
        }
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 500".into()));
    }
    let whose = match q.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        None => Whose::Mine,
        Some(email) => {
            let owner =
                ondo_store::users::find_by_email(&state.db, user.workspace, &email.to_lowercase())
                    .await?
                    .ok_or_else(|| {
                        invalid("owner", format!("no user {email} in this workspace"))
                    })?;
            Whose::User(owner.id)
        }
    };
    let tasks = service::list(
        &state.db,
        user.workspace,
        &user.user,
        whose,
        task_state,
        limit,
    )
    .await?;
    Ok(Json(TaskList {
        tasks: tasks.into_iter().map(TaskJson::from).collect(),
    }))
}

/// Closes a task (`{"done": true}`) or opens it again (`{"done": false}`).
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", params(("id" = i64, Path)), request_body = TaskPatchJson,
    responses((status = 200, body = TaskJson), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TaskPatchJson>,
) -> Result<Json<TaskJson>, ApiError> {
    let done = body.done.ok_or_else(|| ApiError::Invalid {
        field: "done".into(),
        message: "send {\"done\": true} or {\"done\": false}".into(),
    })?;
    let task = service::set_done(
        &state.db,
        user.workspace,
        &user.user,
        id,
        done,
        &user.actor(),
    )
    .await?;
    Ok(Json(task.into()))
}
