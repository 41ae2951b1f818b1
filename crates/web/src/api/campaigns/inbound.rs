//! `POST /api/v1/inbound-email`: replies to campaign messages, as an inbound-mail
//! service posts them (SendGrid Inbound Parse with "POST the raw, full MIME message",
//! Mailgun's `forward()` to a URL ending in `mime`, or any relay that posts the raw
//! RFC 822 message as the body). The body is either the raw message itself, or a
//! `multipart/form-data` form whose `email` (SendGrid) or `body-mime` (Mailgun) field
//! holds it. Only the header section is read, so a reply with large attachments costs
//! nothing more.
//!
//! A reply matched to a campaign message ends that enrolment (`replied`) and records an
//! `email_replied` event on the lead; an automatic answer (out-of-office, delivery
//! report) or a message that answers nothing of this workspace is accepted and changes
//! nothing (`"matched": false`, or `"automatic"` with the reason).

use axum::Json;
use axum::body::{Body, HttpBody};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use ondo_domain::Micros;
use ondo_domain::campaign::{MAX_HEADER_BYTES, MailParseError, header_section_end};
use ondo_domain::scoring::EventKind;
use ondo_jobs::campaigns::reply::{self, Inbound, ReplyError};
use ondo_jobs::scoring::{EventTarget, IncomingEvent};
use serde::Serialize;
use serde_json::{Map, json};

use super::allowed;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The largest inbound post accepted (a message with its attachments); only its header
/// section is read.
pub const MAX_INBOUND_BYTES: usize = 40 * 1024 * 1024;

/// The form fields that hold the raw message.
const MESSAGE_FIELDS: [&str; 2] = ["email", "body-mime"];

/// What became of an inbound message.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InboundResultJson {
    /// Whether it answers a campaign message of this workspace.
    pub matched: bool,
    /// Why it changed nothing although it answers one: auto_submitted, auto_reply,
    /// bulk, delivery_report, null_sender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<i64>,
    /// Whether the lead's enrolment was active and has ended now.
    pub enrollment_ended: bool,
}

impl InboundResultJson {
    fn unmatched() -> Self {
        InboundResultJson {
            matched: false,
            automatic: None,
            message_id: None,
            lead_id: None,
            campaign_id: None,
            step_id: None,
            enrollment_ended: false,
        }
    }
}

fn unreadable(e: MailParseError) -> ApiError {
    ApiError::Invalid {
        field: "message".into(),
        message: e.to_string(),
    }
}

/// Reads a body up to the end of its header section (at most [`MAX_HEADER_BYTES`]).
async fn header_section(mut body: Body) -> Result<Vec<u8>, ApiError> {
    let mut out: Vec<u8> = Vec::new();
    loop {
        if header_section_end(&out).is_some() {
            return Ok(out);
        }
        if out.len() > MAX_HEADER_BYTES {
            return Err(unreadable(MailParseError::TooLarge));
        }
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => return Ok(out),
            Some(Err(_)) => {
                return Err(ApiError::BadRequest("the body could not be read".into()));
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    out.extend_from_slice(&data);
                }
            }
        }
    }
}

/// The raw message of a `multipart/form-data` post: its `email` or `body-mime` field, up
/// to the end of the header section.
async fn from_form(mut form: Multipart) -> Result<Vec<u8>, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(format!("the form could not be read: {}", e.body_text()))
        }
    };
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if !MESSAGE_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let mut out: Vec<u8> = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            out.extend_from_slice(&chunk);
            if header_section_end(&out).is_some() {
                break;
            }
            if out.len() > MAX_HEADER_BYTES {
                return Err(unreadable(MailParseError::TooLarge));
            }
        }
        return Ok(out);
    }
    Err(ApiError::Invalid {
        field: "email".into(),
        message: "the form has no `email` (or `body-mime`) field with the raw message".into(),
    })
}

/// Records the `email_replied` event of a matched reply through the event writer.
async fn record_event(state: &AppState, user: &ApiUser, r: &reply::MatchedReply, now: Micros) {
    let mut properties = Map::new();
    properties.insert("message_id".into(), json!(r.message_id));
    properties.insert("campaign_id".into(), json!(r.campaign_id));
    properties.insert("step_id".into(), json!(r.step_id));
    let key = match &r.reply_message_id {
        Some(id) => format!("reply:{}:{id}", r.message_id),
        None => format!("reply:{}", r.message_id),
    };
    let event = IncomingEvent {
        key,
        kind: EventKind::Custom("email_replied".into()),
        at: now,
        target: EventTarget::Lead(r.lead_id),
        url: None,
        properties,
        user_agent: None,
        sent_at: None,
    };
    // The reply and the enrolment's end are committed; the event is the lead's history.
    if let Err(e) = state.events.submit(user.workspace, vec![event]).await {
        tracing::warn!(error = %e, lead = r.lead_id, "reply event not recorded");
    }
}

/// Receives one inbound message and matches it to the campaign message it answers.
#[utoipa::path(post, path = "/api/v1/inbound-email",
    request_body(content = String, content_type = "message/rfc822",
        description = "The raw message (or multipart/form-data with an `email` or `body-mime` field)"),
    responses((status = 202, body = InboundResultJson), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn receive(
    State(state): State<AppState>,
    user: ApiUser,
    req: Request,
) -> Result<(StatusCode, Json<InboundResultJson>), ApiError> {
    allowed(&user)?;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let raw = if multipart {
        let form = Multipart::from_request(req, &state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        from_form(form).await?
    } else {
        header_section(req.into_body()).await?
    };
    let now = Micros::now();
    let outcome = match reply::receive(&state.db, user.workspace, &raw, now).await {
        Ok(o) => o,
        Err(ReplyError::Unreadable(e)) => return Err(unreadable(e)),
        Err(ReplyError::Store(e)) => return Err(e.into()),
    };
    let body = match outcome {
        Inbound::Unmatched => InboundResultJson::unmatched(),
        Inbound::Automatic {
            reason,
            message_id,
            lead_id,
        } => InboundResultJson {
            matched: true,
            automatic: Some(reason.to_string()),
            message_id: Some(message_id),
            lead_id: Some(lead_id),
            ..InboundResultJson::unmatched()
        },
        Inbound::Replied(r) => {
            if r.first {
                record_event(&state, &user, &r, now).await;
            }
            InboundResultJson {
                matched: true,
                automatic: None,
                message_id: Some(r.message_id),
                lead_id: Some(r.lead_id),
                campaign_id: Some(r.campaign_id),
                step_id: Some(r.step_id),
                enrollment_ended: r.enrollment_ended,
            }
        }
    };
    Ok((StatusCode::ACCEPTED, Json(body)))
}
