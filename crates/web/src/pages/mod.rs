//! Server-rendered HTML pages. Every handler takes the signed-in user (or redirects to
//! the login page), renders one askama template, and escapes every value it shows.

pub mod ai;
pub mod audit;
pub mod campaigns;
pub mod companies;
pub mod customers;
pub mod duplicates;
pub mod forms;
pub mod home;
pub mod imports;
pub mod leads;
pub mod login;
pub mod notifications;
pub mod queue;
pub mod reports;
pub mod scoring;
pub mod segments;
pub mod statuses;
pub mod tasks;
pub mod tracking;
pub mod workflow;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::service::ServiceError;

/// What every page's frame needs: language, user, CSRF token, active menu.
pub struct Chrome {
    pub t: Tr,
    pub user_name: String,
    pub role_label: String,
    pub csrf: String,
    pub path: String,
    pub nav: &'static str,
    pub is_admin: bool,
    /// Admins and managers: the notification settings.
    pub can_manage: bool,
    /// Everyone but sales: the tracking settings.
    pub can_track: bool,
}

impl Chrome {
    pub fn new(u: &CurrentUser, nav: &'static str, path: &str) -> Chrome {
        Chrome {
            t: u.tr,
            user_name: u.user.display_name.clone(),
            role_label: u.tr.role(u.role()).to_string(),
            csrf: u.csrf.clone(),
            path: path.to_string(),
            nav,
            is_admin: u.role().can_admin(),
            can_manage: u.role().can_manage(),
            can_track: u.role().can_send_events(),
        }
    }
    /// The language switch link for the other language, returning to this page.
    pub fn other_lang_href(&self) -> String {
        let other = match self.t.lang {
            crate::i18n::Lang::Ja => "en",
            crate::i18n::Lang::En => "ja",
        };
        format!(
            "/lang/{other}?next={}",
            url::form_urlencoded::byte_serialize(self.path.as_bytes()).collect::<String>()
        )
    }
    pub fn other_lang_label(&self) -> &'static str {
        match self.t.lang {
            crate::i18n::Lang::Ja => "English",
            crate::i18n::Lang::En => "日本語",
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    status: u16,
    title: String,
    message: String,
}

/// An error shown as a page in the user's language.
#[derive(Debug)]
pub enum PageError {
    NotFound(Tr),
    Forbidden(Tr),
    BadRequest(Tr, String),
    /// Another write kept the database longer than a request waits (see `ApiError::Busy`).
    Busy(Tr),
    Internal(Tr),
}

impl PageError {
    pub fn from_service(t: Tr, e: ServiceError) -> PageError {
        match e {
            ServiceError::NotFound => PageError::NotFound(t),
            ServiceError::Forbidden => PageError::Forbidden(t),
            ServiceError::Invalid { message, .. } => PageError::BadRequest(t, message),
            ServiceError::Store(s) if s.is_busy() => {
                tracing::warn!(error = %s, "a page gave up waiting for the write lock");
                PageError::Busy(t)
            }
            ServiceError::Store(s) => {
                tracing::error!(error = %s, "storage error");
                PageError::Internal(t)
            }
        }
    }
    pub fn store(t: Tr) -> impl FnOnce(ondo_store::StoreError) -> PageError {
        move |e| PageError::from_service(t, e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (t, status, title_key, message) = match self {
            PageError::NotFound(t) => (
                t,
                StatusCode::NOT_FOUND,
                "error-not-found",
                t.t("error-not-found-body"),
            ),
            PageError::Forbidden(t) => (
                t,
                StatusCode::FORBIDDEN,
                "error-forbidden",
                t.t("error-forbidden-body"),
            ),
            PageError::BadRequest(t, m) => (t, StatusCode::BAD_REQUEST, "error-bad-request", m),
            PageError::Busy(t) => (
                t,
                StatusCode::SERVICE_UNAVAILABLE,
                "error-busy",
                t.t("error-busy-body"),
            ),
            PageError::Internal(t) => (
                t,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal",
                t.t("error-internal-body"),
            ),
        };
        let page = ErrorPage {
            t,
            status: status.as_u16(),
            title: t.t(title_key),
            message,
        };
        (status, render(&page)).into_response()
    }
}

/// Renders a template; a template error is logged and shown as a plain 500.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Refuses a posted form whose `csrf` field is not the session's token.
pub fn check_form_csrf(
    user: &CurrentUser,
    v: &std::collections::HashMap<String, String>,
) -> Result<(), PageError> {
    let sent = v.get("csrf").map(String::as_str).unwrap_or("");
    if crate::auth::csrf::tokens_match(sent, &user.csrf) {
        Ok(())
    } else {
        Err(PageError::Forbidden(user.tr))
    }
}

/// A redirect target that stays on this site (no open redirect).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.contains(['\r', '\n']) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(local_path(Some("/leads?q=a")), "/leads?q=a");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
