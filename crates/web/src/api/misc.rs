use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Counts for the caller's workspace.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatsJson {
    pub leads: i64,
    pub companies: i64,
    pub events: i64,
    pub activities: i64,
    pub users: i64,
    /// Leads per status key.
    pub by_status: std::collections::BTreeMap<String, i64>,
}

#[utoipa::path(get, path = "/api/v1/stats", responses((status = 200, body = StatsJson)), security(("bearer" = [])))]
pub async fn stats(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<StatsJson>, ApiError> {
    let s = ondo_store::stats::workspace(&state.db, user.workspace).await?;
    Ok(Json(StatsJson {
        leads: s.leads,
        companies: s.companies,
        events: s.events,
        activities: s.activities,
        users: s.users,
        by_status: s.by_status.into_iter().collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Only the entries of this lead.
    pub lead_id: Option<i64>,
    /// Only entries about this kind of thing: lead, company, user, scoring_rules,
    /// status_definition, lost_reasons, notification_channel, form, import, …
    pub entity: Option<String>,
    /// Only entries made by this user (email or user id).
    pub actor: Option<String>,
    /// Only entries older than this id: the last `id` of the previous page.
    pub before_id: Option<i64>,
    /// At most this many entries (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// One audit entry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditJson {
    pub id: i64,
    pub at: String,
    /// The user's display name (absent for the system: rules, jobs, the CLI).
    pub actor: Option<String>,
    pub actor_id: Option<i64>,
    /// How they acted: web, api, cli, form, a rule…
    pub via: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub action: String,
    #[schema(value_type = Object)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub after: Option<serde_json::Value>,
}

/// Who changed what, when, newest first. Page with `before_id`.
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditJson>), (status = 403, description = "sales and marketing may not read the audit log"),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    user: ApiUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditJson>>, ApiError> {
    if !crate::service::access::may_read_audit(&user.user) {
        return Err(ApiError::Forbidden);
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let filter = crate::service::access::audit_filter(
        &state.db,
        user.workspace,
        q.lead_id,
        q.entity.as_deref(),
        q.actor.as_deref(),
        q.before_id,
    )
    .await?;
    let rows = ondo_store::audit::search(&state.db, user.workspace, &filter, limit).await?;
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditJson {
                id: r.id,
                at: ondo_domain::Micros(r.at).to_rfc3339(),
                actor: r.actor_name,
                actor_id: r.actor_user_id,
                via: r.actor_label,
                entity: r.entity,
                entity_id: r.entity_id,
                action: r.action,
                before: parse(r.before_json),
                after: parse(r.after_json),
            })
            .collect(),
    ))
}
