//! `POST /api/v1/events`: behaviour from outside (the website, the email tool, a webinar
//! platform), in batches, answered once the batch is committed.

use axum::Json;
use axum::extract::State;
use ondo_domain::scoring::EventKind;
use ondo_domain::{Email, Micros};
use ondo_jobs::scoring::{EventTarget, IncomingEvent, IngestError, IngestOutcome};
use serde_json::{Map, Value};

use super::ApiJson;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Most events one request may carry.
pub const MAX_EVENTS: usize = 1000;
const MAX_KEY_CHARS: usize = 200;
const MAX_URL_CHARS: usize = 2048;
const MAX_PROPERTIES_BYTES: usize = 8 * 1024;

/// One event.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct EventInput {
    /// Idempotency key: an event sent again with the same id counts once.
    pub id: String,
    /// email_open, email_click, page_view, download, form_submit, webinar_attend, or a
    /// custom type of lowercase letters, digits and _.
    #[schema(rename = "type")]
    pub kind: String,
    /// When it happened, RFC 3339.
    pub at: String,
    /// Whose event: the lead's email (kept until the lead appears when unknown)…
    pub email: Option<String>,
    /// …or the lead's id.
    pub lead_id: Option<i64>,
    pub url: Option<String>,
    #[schema(value_type = Object)]
    pub properties: Option<Map<String, Value>>,
    /// The browser or mail client, to recognise scanners and bots.
    pub user_agent: Option<String>,
    /// When the email behind an open or click was sent (RFC 3339).
    pub sent_at: Option<String>,
}

/// What the batch did.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct IngestJson {
    /// Events stored now.
    pub accepted: u64,
    /// Events whose id was seen before (not stored again).
    pub duplicates: u64,
    /// Of the accepted, how many look automated (kept, never scored).
    pub automated: u64,
    /// Of the accepted, how many wait for a lead with their email.
    pub waiting: u64,
}

impl From<IngestOutcome> for IngestJson {
    fn from(o: IngestOutcome) -> Self {
        IngestJson {
            accepted: o.accepted,
            duplicates: o.duplicates,
            automated: o.automated,
            waiting: o.waiting,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/events", request_body = Vec<EventInput>,
    responses((status = 200, body = IngestJson, description = "committed"),
              (status = 400, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "sales users may not send events")),
    security(("bearer" = [])))]
pub async fn ingest(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<IngestJson>, ApiError> {
    if !user.role().can_send_events() {
        return Err(ApiError::Forbidden);
    }
    let events = parse_batch(body)?;
    if events.is_empty() {
        return Ok(Json(IngestOutcome::default().into()));
    }
    match state.events.submit(user.workspace, events).await {
        Ok(outcome) => Ok(Json(outcome.into())),
        Err(IngestError::UnknownLead { index, lead_id }) => Err(ApiError::Invalid {
            field: format!("events[{index}].lead_id"),
            message: format!("no lead {lead_id} in this workspace"),
        }),
        // Nothing of the batch was written: the sender may send it again (503, Retry-After).
        Err(IngestError::Store(e)) if e.is_busy() => Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, "event ingestion failed");
            Err(ApiError::Internal)
        }
    }
}

fn invalid(index: usize, field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid {
        field: format!("events[{index}].{field}"),
        message: message.into(),
    }
}

/// The whole request, parsed; the first bad element refuses all of it.
pub fn parse_batch(body: Value) -> Result<Vec<IncomingEvent>, ApiError> {
    let items = match body {
        Value::Array(items) => items,
        Value::Object(mut o) if o.contains_key("events") => match o.remove("events") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(ApiError::Invalid {
                    field: "events".into(),
                    message: "must be an array of events".into(),
                });
            }
        },
        _ => {
            return Err(ApiError::BadRequest(
                "the body must be a JSON array of events".into(),
            ));
        }
    };
    if items.len() > MAX_EVENTS {
        return Err(ApiError::Invalid {
            field: "events".into(),
            message: format!(
                "at most {MAX_EVENTS} events per request; got {}",
                items.len()
            ),
        });
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse_event(i, v))
        .collect()
}

fn string(i: usize, o: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(invalid(i, field, "must be a string")),
    }
}

fn parse_event(i: usize, v: Value) -> Result<IncomingEvent, ApiError> {
    let Value::Object(mut o) = v else {
        return Err(ApiError::Invalid {
            field: format!("events[{i}]"),
            message: "must be a JSON object".into(),
        });
    };
    const KNOWN: [&str; 9] = [
        "id",
        "type",
        "at",
        "email",
        "lead_id",
        "url",
        "properties",
        "user_agent",
        "sent_at",
    ];
    if let Some(unknown) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(invalid(
            i,
            unknown,
            format!("unknown field; known fields are {}", KNOWN.join(", ")),
        ));
    }
    let key = string(i, &o, "id")?
        .filter(|k| !k.is_empty())
        .ok_or_else(|| invalid(i, "id", "is required (the event's idempotency key)"))?;
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(invalid(
            i,
            "id",
            format!("must be at most {MAX_KEY_CHARS} characters"),
        ));
    }
    let kind = string(i, &o, "type")?.ok_or_else(|| invalid(i, "type", "is required"))?;
    let kind = EventKind::parse(&kind).map_err(|e| invalid(i, "type", e.message()))?;
    let at = string(i, &o, "at")?.ok_or_else(|| invalid(i, "at", "is required (RFC 3339)"))?;
    let at = Micros::parse_rfc3339(&at).map_err(|e| invalid(i, "at", e.message()))?;
    let sent_at = string(i, &o, "sent_at")?
        .map(|s| Micros::parse_rfc3339(&s).map_err(|e| invalid(i, "sent_at", e.message())))
        .transpose()?;
    let lead_id = match o.get("lead_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|id| *id > 0)
                .ok_or_else(|| invalid(i, "lead_id", "must be a positive integer"))?,
        ),
    };
    let email = string(i, &o, "email")?
        .filter(|e| !e.is_empty())
        .map(|e| Email::parse(&e).map_err(|err| invalid(i, "email", err.message())))
        .transpose()?;
    let target = match (lead_id, email) {
        (Some(id), _) => EventTarget::Lead(id),
        (None, Some(email)) => EventTarget::Email(email.as_str().to_string()),
        (None, None) => return Err(invalid(i, "email", "either email or lead_id is required")),
    };
    let url = string(i, &o, "url")?.filter(|u| !u.is_empty());
    if url
        .as_ref()
        .is_some_and(|u| u.chars().count() > MAX_URL_CHARS)
    {
        return Err(invalid(
            i,
            "url",
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    let user_agent = string(i, &o, "user_agent")?;
    let properties = match o.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => {
            if Value::Object(p.clone()).to_string().len() > MAX_PROPERTIES_BYTES {
                return Err(invalid(
                    i,
                    "properties",
                    format!("must be at most {MAX_PROPERTIES_BYTES} bytes of JSON"),
                ));
            }
            p
        }
        Some(_) => return Err(invalid(i, "properties", "must be a JSON object")),
    };
    Ok(IncomingEvent {
        key,
        kind,
        at,
        target,
        url,
        properties,
        user_agent,
        sent_at,
    })
}
