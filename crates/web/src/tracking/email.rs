//! The email side of tracking: `GET /t/o/{token}` (the open pixel) and `GET /t/c/{token}`
//! (a tracked link). Only a token signed with the served workspace's key is recorded;
//! anything else records nothing: the pixel still answers its GIF (a mail client shows
//! no broken image), a link answers 404 and leads nowhere (no open redirect).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ondo_domain::Micros;
use ondo_domain::scoring::EventKind;
use ondo_domain::tracking::{
    Claims, EmailRef, IDENTIFY_PARAM, Token, TokenError, identify_token, looks_like_token, verify,
};
use ondo_jobs::scoring::{EventTarget, IncomingEvent};
use rand::RngCore;
use serde_json::{Map, json};

use super::keys::{self, Tracking};
use super::throttle::EventThrottle;
use crate::i18n::{Lang, Tr};
use crate::pages::PageError;
use crate::state::AppState;

/// A transparent 1×1 GIF (43 bytes).
pub const PIXEL_GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn pixel() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/gif")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store, max-age=0"),
            ),
        ],
        PIXEL_GIF,
    )
        .into_response()
}

/// The served workspace's verified token and its settings; `None` for anything else.
async fn verified(state: &AppState, raw: &str) -> Option<(Token, Tracking)> {
    if !looks_like_token(raw) {
        return None;
    }
    let ws = state.workspace.id();
    let tracking = match keys::load(&state.db, ws).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "tracking settings unreadable");
            return None;
        }
    };
    match verify(&tracking.key, raw, Micros::now()) {
        Ok(token) if token.workspace_id == ws.0 => Some((token, tracking)),
        Ok(_) | Err(TokenError::Malformed | TokenError::BadSignature | TokenError::Expired) => None,
    }
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect())
}

fn random_key(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}:{}", hex::encode(bytes))
}

/// The properties of an email's event: the message, and for a campaign message its
/// campaign and step, so the event says by itself what it answers (per-step reports,
/// the lead's history) without a join through the message.
async fn email_properties(state: &AppState, email: &EmailRef) -> Map<String, serde_json::Value> {
    let mut properties = Map::new();
    properties.insert("message_id".into(), json!(email.message_id));
    match ondo_store::campaigns::message(&state.db, state.workspace.id(), email.message_id).await {
        Ok(Some(m)) if m.lead_id == email.lead_id => {
            properties.insert("campaign_id".into(), json!(m.campaign_id));
            properties.insert("step_id".into(), json!(m.step_id));
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, message = email.message_id, "campaign message unreadable")
        }
    }
    properties
}

/// Records an email's open or click through the event writer, which marks scanners
/// from the user agent and the time since sending. Failures are logged: the person
/// still gets their image or their page.
async fn record(
    state: &AppState,
    kind: EventKind,
    key: String,
    email: &EmailRef,
    url: Option<String>,
    headers: &HeaderMap,
) {
    let properties = email_properties(state, email).await;
    let event = IncomingEvent {
        key,
        kind,
        at: Micros::now(),
        target: EventTarget::Lead(email.lead_id),
        url,
        properties,
        user_agent: user_agent(headers),
        sent_at: Some(email.sent_at),
    };
    if let Err(e) = state.events.submit(state.workspace.id(), vec![event]).await {
        tracing::warn!(error = %e, lead = email.lead_id, "tracked email event not recorded");
    }
}

/// `GET /t/o/{token}`: the open pixel.
pub async fn open(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<EventThrottle>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some((
        Token {
            claims: Claims::Open(email),
            ..
        },
        _,
    )) = verified(&state, &token).await
        && throttle.admit(peer.ip())
    {
        // Reloads within a minute (mail clients fetch twice) count once.
        let minute = Micros::now().0 / Micros::minutes(1);
        let key = format!("open:{}:{}:{minute}", email.lead_id, email.message_id);
        record(&state, EventKind::EmailOpen, key, &email, None, &headers).await;
    }
    pixel()
}

/// `GET /t/c/{token}`: a tracked link, redirected to exactly its signed target; when the
/// target is on one of the workspace's sites, with an identify token for the snippet.
pub async fn click(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<EventThrottle>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((
        Token {
            claims: Claims::Click { email, target },
            ..
        },
        tracking,
    )) = verified(&state, &token).await
    else {
        let t = Tr::new(Lang::negotiate(&headers, None));
        return PageError::NotFound(t).into_response();
    };
    if throttle.admit(peer.ip()) {
        let url = Some(target.as_str().to_string());
        record(
            &state,
            EventKind::EmailClick,
            random_key("click"),
            &email,
            url,
            &headers,
        )
        .await;
    }
    // Only the workspace's own sites get the token: another site has no use for it and
    // should not learn who clicked.
    let location = if tracking.allows(&target.host()) {
        let id = identify_token(
            &tracking.key,
            state.workspace.id().0,
            email.lead_id,
            Micros::now(),
        );
        target.with_param(IDENTIFY_PARAM, &id)
    } else {
        target.as_str().to_string()
    };
    match HeaderValue::from_str(&location) {
        Ok(v) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, v),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        // A target is printable ASCII by construction; refuse rather than guess.
        Err(_) => PageError::NotFound(Tr::new(Lang::negotiate(&headers, None))).into_response(),
    }
}
