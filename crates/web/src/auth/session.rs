use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::Role;
use ondo_store::WorkspaceId;
use ondo_store::users::User;
use rand::RngCore;

use crate::i18n::{Lang, Tr, cookie};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "ondo_session";

/// A fresh random secret, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

/// The `Set-Cookie` value for a session (HttpOnly, SameSite=Lax, Path=/).
pub fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A signed-in user of the web pages, with the session's CSRF token and language.
#[derive(Clone)]
pub struct CurrentUser {
    pub user: User,
    pub workspace: WorkspaceId,
    pub csrf: String,
    pub tr: Tr,
    pub session_id: String,
}

impl CurrentUser {
    pub fn role(&self) -> Role {
        self.user.role()
    }
}

/// The signed-in user, if any, for pages that work either way (the login page).
pub struct MaybeUser(pub Option<CurrentUser>, pub Tr);

async fn load(parts: &Parts, state: &AppState) -> Option<CurrentUser> {
    let raw = cookie(&parts.headers, SESSION_COOKIE)?;
    let (ws, secret) = raw.split_once('.')?;
    let ws = WorkspaceId(ws.parse().ok()?);
    match ondo_store::sessions::find(&state.db, ws, secret).await {
        Ok(Some((session, user))) => {
            let tr = Tr::new(Lang::negotiate(&parts.headers, user.locale.as_deref()));
            Some(CurrentUser {
                user,
                workspace: ws,
                csrf: session.csrf_token,
                tr,
                session_id: secret.to_string(),
            })
        }
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        match load(parts, &state).await {
            Some(u) => Ok(u),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

impl<S> FromRequestParts<S> for MaybeUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let user = load(parts, &state).await;
        let tr = user
            .as_ref()
            .map(|u| u.tr)
            .unwrap_or_else(|| Tr::new(Lang::negotiate(&parts.headers, None)));
        Ok(MaybeUser(user, tr))
    }
}
