//! Service functions: parse input into domain types, apply the rules, call the store.
//! Handlers call exactly one of these and map the result to a response.

pub mod access;
pub mod activities;
pub mod leads;
pub mod statuses;
pub mod tasks;

use ondo_domain::DomainError;
use ondo_store::StoreError;

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Store(StoreError),
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            other => ServiceError::Store(other),
        }
    }
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> Self {
        let field = e.field();
        ServiceError::Invalid {
            field,
            message: e.to_string(),
        }
    }
}
