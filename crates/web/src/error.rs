//! Errors of the web layer, mapped to HTTP status and a message in one place. Internals
//! (database errors) are logged and never reach a client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ondo_store::StoreError;
use serde::Serialize;

use crate::service::ServiceError;

/// An error answered by the JSON API as `{error, message, field?}`.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Invalid {
        field: String,
        message: String,
    },
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict(String),
    PayloadTooLarge,
    UnsupportedMediaType(String),
    /// Another write (an import from the command line) kept the database longer than a
    /// request waits; the request may be sent again.
    Busy,
    Internal,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code.
    pub error: &'static str,
    /// What went wrong, in words.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, message, field) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m, None),
            ApiError::Invalid { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                message,
                Some(field),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API token is required: send 'Authorization: Bearer TOKEN'".to_string(),
                None,
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "your role may not do this".to_string(),
                None,
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource".to_string(),
                None,
            ),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m, None),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large".to_string(),
                None,
            ),
            ApiError::UnsupportedMediaType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                m,
                None,
            ),
            ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the database is busy with another write (an import?); try again in a moment"
                    .to_string(),
                None,
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred; it has been logged".to_string(),
                None,
            ),
        };
        let mut resp = (
            status,
            Json(ErrorBody {
                error,
                message,
                field,
            }),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(m) => ApiError::Conflict(m),
            busy if busy.is_busy() => {
                tracing::warn!(error = %busy, "a request gave up waiting for the write lock");
                ApiError::Busy
            }
            other => {
                tracing::error!(error = %other, "storage error");
                ApiError::Internal
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { field, message } => ApiError::Invalid {
                field: field.to_string(),
                message,
            },
            ServiceError::NotFound => ApiError::NotFound,
            ServiceError::Forbidden => ApiError::Forbidden,
            ServiceError::Store(s) => s.into(),
        }
    }
}
