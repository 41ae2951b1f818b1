//! Behaviour tracking, public side: the open pixel and tracked links of emails (signed
//! tokens, see `ondo_domain::tracking`), the snippet customers put on their site, and the
//! collector its beacons go to. Nobody signs in on these routes and no Ondo cookie is
//! read, so a cross-site request borrows no authority; what protects them is the
//! signature of every token, the allowed site domains, strict checks of each beacon, a
//! small body limit and a per-address rate limit.

pub mod collect;
pub mod email;
pub mod identify;
pub mod keys;
mod throttle;

use std::sync::Arc;

use axum::Router;
use axum::extract::Extension;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::AppState;

/// The snippet, served as is.
pub const SNIPPET_JS: &str = include_str!("ondo.js");

/// The routes of tracking; they are called from customers' sites and mail clients.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/o/{token}", get(email::open))
        .route("/t/c/{token}", get(email::click))
        .route("/t/ondo.js", get(script))
        .route(
            "/t/collect",
            post(collect::collect).options(collect::preflight),
        )
        .layer(Extension(Arc::new(throttle::EventThrottle::default())))
}

/// `GET /t/ondo.js`.
async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                HeaderValue::from_static("cross-origin"),
            ),
        ],
        SNIPPET_JS,
    )
        .into_response()
}
