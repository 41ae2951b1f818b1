use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use ondo_domain::Role;
use ondo_store::WorkspaceId;
use ondo_store::users::User;

use crate::error::ApiError;
use crate::state::AppState;

/// The user an API bearer token belongs to. Tokens look like `ondo_{workspace}_{secret}`,
/// so the lookup is keyed by workspace like every other.
#[derive(Clone)]
pub struct ApiUser {
    pub user: User,
    pub workspace: WorkspaceId,
}

impl ApiUser {
    pub fn role(&self) -> Role {
        self.user.role()
    }
    pub fn actor(&self) -> ondo_store::Actor {
        ondo_store::Actor::user(self.user.id, "api")
    }
}

/// Builds a new token for a workspace: the caller stores it hashed and shows it once.
pub fn new_token(ws: WorkspaceId) -> String {
    format!("ondo_{}_{}", ws.0, crate::auth::session::random_token())
}

fn parse_token(token: &str) -> Option<WorkspaceId> {
    let rest = token.strip_prefix("ondo_")?;
    let (ws, secret) = rest.split_once('_')?;
    (!secret.is_empty()).then_some(())?;
    ws.parse().ok().map(WorkspaceId)
}

impl<S> FromRequestParts<S> for ApiUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let ws = parse_token(token).ok_or(ApiError::Unauthorized)?;
        let user = ondo_store::tokens::authenticate(&state.db, ws, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(ApiUser {
            user,
            workspace: ws,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_workspace() {
        let t = new_token(WorkspaceId(42));
        assert_eq!(parse_token(&t), Some(WorkspaceId(42)));
        assert_eq!(parse_token("ondo_x_abc"), None);
        assert_eq!(parse_token("ondo_3_"), None);
        assert_eq!(parse_token("Bearer"), None);
    }
}
