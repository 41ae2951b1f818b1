//! The one-click unsubscribe of campaign emails (RFC 8058), public: nobody signs in and
//! no CSRF token is asked for, because a mail provider posts it on the reader's behalf.
//! What protects it is the token, signed with the workspace's key (see
//! `ondo_domain::campaign`): a changed or made-up token changes nothing and answers 404.
//!
//! `GET /u/{token}` only shows a confirmation page with a button (link scanners follow
//! every link of a message and must not unsubscribe anyone); `POST /u/{token}` — the
//! button, or the provider's one-click request — sets the lead's `email_opt_out` at
//! once, ends its enrolments, and records an audit entry and an event.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ondo_domain::Micros;
use ondo_domain::campaign::{Unsubscribe, verify_unsubscribe};
use ondo_domain::scoring::EventKind;
use ondo_domain::tracking::looks_like_token;
use ondo_jobs::scoring::{EventTarget, IncomingEvent};
use ondo_store::{Actor, StoreError};
use serde_json::{Map, json};

use crate::i18n::{Lang, Tr};
use crate::pages::{PageError, render};
use crate::state::AppState;

/// The routes of the one-click unsubscribe.
pub fn routes() -> Router<AppState> {
    Router::new().route("/u/{token}", get(show).post(confirm))
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    t: Tr,
    token: String,
    /// confirm | done | test
    stage: &'static str,
}

/// The served workspace's verified claims; `None` for anything else.
async fn verified(state: &AppState, raw: &str) -> Option<Unsubscribe> {
    if !looks_like_token(raw) {
        return None;
    }
    let ws = state.workspace.id();
    let tracking = match crate::tracking::keys::load(&state.db, ws).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "tracking settings unreadable");
            return None;
        }
    };
    match verify_unsubscribe(&tracking.key, raw) {
        Ok(claims) if claims.workspace_id == ws.0 => Some(claims),
        _ => None,
    }
}

fn page(t: Tr, token: &str, stage: &'static str) -> Response {
    let mut resp = render(&UnsubscribePage {
        t,
        token: token.to_string(),
        stage,
    });
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    resp
}

/// `GET /u/{token}`: the confirmation page; nothing changes.
async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let t = Tr::new(Lang::negotiate(&headers, None));
    match verified(&state, &token).await {
        Some(c) if c.lead_id == 0 => page(t, &token, "test"),
        Some(_) => page(t, &token, "confirm"),
        None => PageError::NotFound(t).into_response(),
    }
}

/// `POST /u/{token}`: unsubscribes at once.
async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let t = Tr::new(Lang::negotiate(&headers, None));
    let Some(claims) = verified(&state, &token).await else {
        return PageError::NotFound(t).into_response();
    };
    if claims.lead_id == 0 {
        return page(t, &token, "test");
    }
    let ws = state.workspace.id();
    let now = Micros::now();
    let outcome = match ondo_store::campaigns::unsubscribe(
        &state.db,
        ws,
        claims.lead_id,
        claims.message_id,
        &Actor::system("unsubscribe"),
        now.0,
    )
    .await
    {
        Ok(o) => o,
        Err(StoreError::NotFound) => return PageError::NotFound(t).into_response(),
        // Busy: the recipient is asked to try again (503); nothing was recorded.
        Err(e) => return PageError::store(t)(e).into_response(),
    };
    if outcome.changed {
        let mut properties = Map::new();
        if claims.message_id > 0 {
            properties.insert("message_id".into(), json!(claims.message_id));
        }
        let event = IncomingEvent {
            key: format!("unsubscribe:{}:{}", claims.lead_id, claims.message_id),
            kind: EventKind::Custom("email_unsubscribe".into()),
            at: now,
            target: EventTarget::Lead(claims.lead_id),
            url: None,
            properties,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            sent_at: None,
        };
        // The opt-out is committed already; the event is the lead's history.
        if let Err(e) = state.events.submit(ws, vec![event]).await {
            tracing::warn!(error = %e, lead = claims.lead_id, "unsubscribe event not recorded");
        }
    }
    let mut resp = page(t, &token, "done");
    *resp.status_mut() = StatusCode::OK;
    resp
}
