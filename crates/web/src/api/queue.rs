//! `GET /api/v1/queue`: whom to call now, with the reasons in words.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use ondo_domain::Micros;
use ondo_jobs::scoring::queue::QueueEntry;
use serde::{Deserialize, Serialize};

use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct QueueQuery {
    /// At most this many leads (default 50, at most 500).
    pub limit: Option<i64>,
    /// Whose queue, by email. Without it: a salesperson's own queue; everyone else sees
    /// the whole workspace's.
    pub owner: Option<String>,
}

/// A lead's scores.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScoresJson {
    /// Engagement today: decayed points from behaviour.
    pub engagement: f64,
    /// Fit, 0–100.
    pub fit: f64,
    /// A (best) to D.
    pub fit_grade: String,
}

/// One factor of a lead's AI score.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AiReasonJson {
    pub ja: String,
    pub en: String,
    /// Its effect on the log-odds (positive raises the probability).
    pub weight: f64,
}

/// A lead's AI score: the calibrated probability of becoming an opportunity, with the
/// factors raising and lowering it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AiJson {
    /// 0–1.
    pub probability: f64,
    /// The same as shown, 1–99 ("AI 72%").
    pub percent: u8,
    pub model_id: Option<i64>,
    pub positive: Vec<AiReasonJson>,
    pub negative: Vec<AiReasonJson>,
}

impl AiJson {
    pub fn of(ai: &ondo_jobs::ai::LeadAi) -> AiJson {
        let reasons = |rs: &[ondo_jobs::ai::Reason]| {
            rs.iter()
                .map(|r| AiReasonJson {
                    ja: r.words.ja.clone(),
                    en: r.words.en.clone(),
                    weight: (r.weight * 1000.0).round() / 1000.0,
                })
                .collect()
        };
        AiJson {
            probability: (ai.probability * 1000.0).round() / 1000.0,
            percent: ai.percent,
            model_id: ai.model_id,
            positive: reasons(&ai.reasons.positive),
            negative: reasons(&ai.reasons.negative),
        }
    }

    /// The queue's reason line: "AI 72%: ウェビナー参加 (30日)、…".
    fn reason(&self, lang: Lang) -> String {
        let top: Vec<&str> = self
            .positive
            .iter()
            .take(2)
            .map(|r| match lang {
                Lang::En => r.en.as_str(),
                Lang::Ja => r.ja.as_str(),
            })
            .collect();
        let sep = match lang {
            Lang::En => ", ",
            Lang::Ja => "、",
        };
        if top.is_empty() {
            format!("AI {}%", self.percent)
        } else {
            format!("AI {}%: {}", self.percent, top.join(sep))
        }
    }
}

/// One lead of the queue.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueItemJson {
    pub id: i64,
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub status: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    /// Engagement today (the same as scores.engagement).
    pub score: f64,
    pub scores: ScoresJson,
    /// hot, warm or cold.
    pub temperature: String,
    /// Why this lead now, in words (Japanese, or English with Accept-Language: en).
    pub reasons: Vec<String>,
    /// Set when the lead came back from dormant.
    pub returned: bool,
    pub last_engaged_at: Option<String>,
    /// What was done last (call, email, meeting, note), its outcome and when.
    pub last_activity: Option<LastActivityJson>,
    /// The AI score, when the workspace has an active model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai: Option<AiJson>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LastActivityJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub outcome: Option<String>,
    pub at: String,
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn item_json(e: QueueEntry, ai: Option<AiJson>, lang: Lang) -> QueueItemJson {
    let l = e.lead;
    let mut reasons = Vec::new();
    let rule_reason = match lang {
        Lang::En => l.rule_reason_en.clone(),
        Lang::Ja => l.rule_reason.clone(),
    };
    if l.status == "sales_ready"
        && let Some(r) = rule_reason.filter(|r| !r.is_empty())
    {
        reasons.push(r);
    }
    reasons.extend(e.reasons.iter().map(|r| r.text(lang.code())));
    if let Some(ai) = &ai {
        reasons.push(ai.reason(lang));
    }
    QueueItemJson {
        ai,
        id: l.id,
        name: l.name,
        company: l.company_display.or(l.company_name),
        title: l.title,
        department: l.department,
        email: l.email,
        phone: l.mobile.or(l.phone),
        status: l.status,
        owner_id: l.owner_id,
        owner_name: l.owner_name,
        score: round1(e.engagement),
        scores: ScoresJson {
            engagement: round1(e.engagement),
            fit: round1(l.fit_score),
            fit_grade: l.fit_grade,
        },
        temperature: e.temperature.key().to_string(),
        reasons,
        returned: l.returned_at.is_some(),
        last_engaged_at: l.last_engaged_at.map(|t| Micros(t).to_rfc3339()),
        last_activity: l.last_activity_type.map(|kind| LastActivityJson {
            kind,
            outcome: l.last_activity_outcome,
            at: Micros(l.last_activity_at.unwrap_or_default()).to_rfc3339(),
        }),
    }
}

/// Whose queue a request asks for: `Ok(None)` is the whole workspace.
pub async fn queue_owner(
    state: &AppState,
    ws: ondo_store::WorkspaceId,
    caller: &ondo_store::users::User,
    owner: Option<&str>,
) -> Result<Option<i64>, ApiError> {
    match owner.map(str::trim).filter(|o| !o.is_empty()) {
        None if caller.role().can_see_every_queue() => Ok(None),
        None => Ok(Some(caller.id)),
        Some(email) => {
            let found = ondo_store::users::find_by_email(&state.db, ws, &email.to_lowercase())
                .await?
                .ok_or_else(|| ApiError::Invalid {
                    field: "owner".into(),
                    message: format!("no user with the email {email:?} in this workspace"),
                })?;
            if found.id != caller.id && !caller.role().can_see_every_queue() {
                return Err(ApiError::Forbidden);
            }
            Ok(Some(found.id))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/queue", params(QueueQuery),
    responses((status = 200, body = Vec<QueueItemJson>, description = "sales-ready leads first, then by temperature"),
              (status = 403, body = crate::error::ErrorBody, description = "a salesperson asked for someone else's queue"),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn queue(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    Query(q): Query<QueueQuery>,
) -> Result<Json<Vec<QueueItemJson>>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let owner = queue_owner(&state, user.workspace, &user.user, q.owner.as_deref()).await?;
    let lang = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or(Lang::Ja);
    let entries =
        ondo_jobs::scoring::queue::queue(&state.db, user.workspace, owner, limit, Micros::now())
            .await?;
    let ids: Vec<i64> = entries.iter().map(|e| e.lead.id).collect();
    let mut ai = ondo_jobs::ai::leads_ai(&state.db, user.workspace, &ids).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| {
                let a = ai.remove(&e.lead.id).map(|a| AiJson::of(&a));
                item_json(e, a, lang)
            })
            .collect(),
    ))
}
