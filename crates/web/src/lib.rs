//! The HTTP face of Ondo: HTML pages, the JSON API under `/api/v1`, and the OpenAPI
//! document. Handlers parse input, call one service function, and map the result to a
//! response; no SQL and no scoring math live here.

pub mod api;
pub mod auth;
pub mod charts;
mod error;
pub mod forms;
pub mod i18n;
mod pages;
pub mod service;
mod state;
mod summaries;
pub mod tracking;
pub mod unsubscribe;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

pub use auth::api_token::new_token;
pub use auth::password;
pub use error::ApiError;
pub use state::{AppState, WebConfig};

const APP_CSS: &str = include_str!("../static/app.css");

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return ApiError::NotFound.into_response();
    }
    let t = i18n::Tr::new(i18n::Lang::negotiate(req.headers(), None));
    pages::PageError::NotFound(t).into_response()
}

/// The whole application: pages, API, docs, with security headers and body limits.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home::show))
        .route("/login", get(pages::login::show).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route("/lang/{code}", get(pages::login::switch_language))
        .route("/queue", get(pages::queue::show))
        .route("/tasks", get(pages::tasks::show))
        .route("/tasks/{id}/done", post(pages::tasks::complete))
        .route("/alerts/{id}/read", post(pages::tasks::mark_alert_read))
        .route("/leads/{id}/tasks", get(pages::tasks::new_form).post(pages::tasks::create_for_lead))
        .route("/reports", get(pages::reports::show))
        .route("/reports/{file}", get(pages::reports::download))
        .route("/reports/ai", get(pages::ai::show))
        .route("/reports/ai/train", post(pages::ai::train))
        .route("/reports/ai/settings", post(pages::ai::save_settings))
        .route("/reports/ai/versions/{id}/activate", post(pages::ai::activate))
        .route(
            "/reports/ai/backtest",
            get(pages::ai::backtest_form).post(pages::ai::backtest_upload),
        )
        .route("/reports/ai/backtest/{token}", get(pages::ai::backtest_run))
        .route("/settings/scoring", get(pages::scoring::show).post(pages::scoring::update))
        .route(
            "/settings/scoring/import",
            post(pages::scoring::import).layer(DefaultBodyLimit::max(pages::scoring::MAX_TOML_BYTES + 64 * 1024)),
        )
        .route("/settings/scoring/export", get(pages::scoring::export))
        .route("/settings/statuses", get(pages::statuses::show))
        .route("/settings/statuses/lost-reasons", post(pages::statuses::update_lost_reasons))
        .route("/settings/statuses/{status}", post(pages::statuses::update))
        .route("/settings/scoring/versions/{version}/toml", get(pages::scoring::version_toml))
        .route("/settings/scoring/versions/{version}/restore", post(pages::scoring::restore))
        .route("/leads", get(pages::leads::list).post(pages::leads::create))
        .route("/segments", get(pages::segments::list).post(pages::segments::create))
        .route("/segments/new", get(pages::segments::new_form))
        .route("/segments/{id}", get(pages::segments::show).post(pages::segments::update))
        .route("/segments/{id}/delete", post(pages::segments::delete))
        .route("/leads/new", get(pages::leads::new_form))
        .route("/leads/export", get(pages::leads::export))
        .route("/leads/duplicates", get(pages::duplicates::list))
        .route("/leads/duplicates/{pair}", post(pages::duplicates::decide))
        .route("/merges/{id}/undo", post(pages::duplicates::undo))
        .route("/leads/{id}", get(pages::leads::show).post(pages::leads::update))
        .route("/leads/{id}/edit", get(pages::leads::edit_form))
        .route("/leads/{id}/activities", post(pages::workflow::log_activity))
        .route("/leads/{id}/status", post(pages::workflow::change_status))
        .route("/companies", get(pages::companies::list))
        .route("/companies/{id}", get(pages::companies::show))
        .route("/audit", get(pages::audit::show))
        .route("/customers", get(pages::customers::list))
        .route("/customers/{id}", get(pages::customers::show))
        .route("/customers/{id}/tasks", post(pages::customers::add_follow_up))
        .route("/forms", get(pages::forms::list).post(pages::forms::create))
        .route("/forms/{id}", get(pages::forms::show))
        .route("/forms/{id}/active", post(pages::forms::set_active))
        .route("/settings/notifications", get(pages::notifications::show).post(pages::notifications::submit))
        .route("/settings/tracking", get(pages::tracking::show).post(pages::tracking::save))
        .route("/campaigns", get(pages::campaigns::list).post(pages::campaigns::create))
        .route("/campaigns/new", get(pages::campaigns::new_form))
        .route("/campaigns/{id}", get(pages::campaigns::show).post(pages::campaigns::update))
        .route("/campaigns/{id}/enroll", post(pages::campaigns::enroll))
        .route("/campaigns/{id}/test", post(pages::campaigns::test_send))
        .route("/campaigns/{id}/triggers", post(pages::campaigns::save_triggers))
        .route("/campaigns/{id}/pause", post(pages::campaigns::pause))
        .route("/campaigns/{id}/resume", post(pages::campaigns::resume))
        .route("/settings/campaigns", get(pages::campaigns::settings).post(pages::campaigns::save_settings))
        .route(
            "/imports",
            get(pages::imports::index)
                .post(pages::imports::upload)
                .layer(DefaultBodyLimit::max(pages::imports::MAX_UPLOAD_BYTES)),
        )
        .route("/imports/preview/{token}", get(pages::imports::preview).post(pages::imports::submit))
        .route("/imports/jobs/{id}", get(pages::imports::job))
        .route("/imports/{id}", get(pages::imports::report))
        .route("/imports/{id}/errors.csv", get(pages::imports::errors_csv))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
        ));
    let docs = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/openapi-ui.json", api::openapi::ApiDoc::openapi());
    Router::new()
        .merge(pages)
        .merge(forms::public::routes())
        .merge(api::routes())
        .merge(docs)
        .route("/healthz", get(healthz))
        .route("/static/app.css", get(css))
        .fallback(fallback)
        .layer(axum::middleware::from_fn(auth::csrf::same_origin_only))
        // Tracking is called from customers' sites by design: after the same-origin check.
        .merge(tracking::routes())
        // The one-click unsubscribe is posted by mail providers: no CSRF, a signed token.
        .merge(unsubscribe::routes())
        .layer(DefaultBodyLimit::max(api::MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            // Public forms are made to be framed on customers' sites; they set their own
            // frame-ancestors policy instead.
            |res: &Response| {
                res.extensions()
                    .get::<forms::public::Frameable>()
                    .is_none()
                    .then(|| HeaderValue::from_static("DENY"))
            },
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A plain status answer, for handlers outside the API.
pub fn status(code: StatusCode) -> Response {
    code.into_response()
}
