//! The JSON API under `/api/v1`, authenticated by bearer tokens, and its OpenAPI document.

pub mod campaigns;
mod events;
mod extract;
pub mod leads;
mod misc;
pub mod openapi;
pub mod queue;
pub mod segments;
pub mod tasks;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub use extract::ApiJson;

/// Largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/leads", post(leads::create).get(leads::list))
        .route(
            "/api/v1/leads/{id}",
            get(leads::get_one).patch(leads::patch),
        )
        .route("/api/v1/leads/{id}/activities", post(leads::add_activity))
        .route("/api/v1/leads/{id}/tasks", post(tasks::create))
        .route("/api/v1/tasks", get(tasks::list))
        .route("/api/v1/tasks/{id}", axum::routing::patch(tasks::patch))
        .route("/api/v1/events", post(events::ingest))
        .route("/api/v1/queue", get(queue::queue))
        .route("/api/v1/stats", get(misc::stats))
        .route("/api/v1/audit", get(misc::audit))
        .route(
            "/api/v1/campaigns",
            post(campaigns::create).get(campaigns::list),
        )
        .route("/api/v1/campaigns/{id}", get(campaigns::get_one))
        .route("/api/v1/campaigns/{id}/enroll", post(campaigns::enroll))
        .route(
            "/api/v1/campaigns/{id}/triggers",
            axum::routing::put(campaigns::put_triggers),
        )
        .route("/api/v1/campaigns/{id}/pause", post(campaigns::pause))
        .route("/api/v1/campaigns/{id}/resume", post(campaigns::resume))
        .route(
            "/api/v1/inbound-email",
            post(campaigns::inbound::receive).layer(axum::extract::DefaultBodyLimit::max(
                campaigns::inbound::MAX_INBOUND_BYTES,
            )),
        )
        .route(
            "/api/v1/campaign-settings",
            get(campaigns::get_settings).put(campaigns::put_settings),
        )
        .route(
            "/api/v1/segments",
            get(segments::list).post(segments::create),
        )
        .route(
            "/api/v1/segments/{id}",
            get(segments::get_one)
                .put(segments::put)
                .delete(segments::delete),
        )
        .route("/api/v1/segments/{id}/leads", get(segments::leads))
        .route("/api/openapi.json", get(openapi::document))
}
