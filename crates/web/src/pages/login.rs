use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::Micros;
use ondo_store::Actor;

use super::{local_path, render};
use crate::auth::csrf::tokens_match;
use crate::auth::session::{SESSION_COOKIE, random_token, session_cookie};
use crate::auth::{CurrentUser, MaybeUser, password};
use crate::i18n::{Lang, Tr, cookie};
use crate::state::AppState;

const LOGIN_CSRF_COOKIE: &str = "ondo_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    other_lang_href: String,
    other_lang_label: &'static str,
}

fn login_page(
    t: Tr,
    email: String,
    next: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    // Double-submit token: the form field must equal the cookie, which another site
    // cannot read or set.
    let csrf = random_token();
    let (other, label) = match t.lang {
        Lang::Ja => ("en", "English"),
        Lang::En => ("ja", "日本語"),
    };
    let back = format!(
        "/login?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let page = LoginPage {
        t,
        csrf: csrf.clone(),
        email,
        other_lang_href: format!(
            "/lang/{other}?next={}",
            url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        ),
        other_lang_label: label,
        next,
        error,
    };
    let mut resp = (status, render(&page)).into_response();
    if let Ok(v) =
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600")
            .parse()
    {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// The sign-in form; also shown to a signed-in user, who may sign in as someone else
/// (their current session then ends).
pub async fn show(
    MaybeUser(_, t): MaybeUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = local_path(q.get("next").map(String::as_str));
    login_page(t, String::new(), next, None, StatusCode::OK)
}

pub async fn submit(
    State(state): State<AppState>,
    MaybeUser(old, t): MaybeUser,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let email = form
        .get("email")
        .map(|e| e.trim().to_lowercase())
        .unwrap_or_default();
    let pw = form.get("password").cloned().unwrap_or_default();
    let next = local_path(form.get("next").map(String::as_str));
    let submitted = form.get("csrf").map(String::as_str).unwrap_or("");
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !tokens_match(submitted, &expected) {
        return login_page(
            t,
            email,
            next,
            Some(t.t("login-expired")),
            StatusCode::FORBIDDEN,
        );
    }
    if let Some(secs) = state.throttle.locked_for(&email) {
        let mins = secs.div_ceil(60).to_string();
        return login_page(
            t,
            email,
            next,
            Some(t.t1("login-locked", "minutes", &mins)),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let ws = state.workspace.id();
    let user = match ondo_store::users::find_by_email(&state.db, ws, &email).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "login lookup failed");
            return login_page(
                t,
                email,
                next,
                Some(t.t("error-internal-body")),
                StatusCode::INTERNAL_SERVER_ERROR,
            );
        }
    };
    let ok = match &user {
        Some(u) if !u.disabled => password::verify(&pw, &u.password_hash),
        _ => {
            password::verify(&pw, password::dummy_hash());
            false
        }
    };
    let account = user.as_ref().map(|u| u.id);
    let Some(user) = user.filter(|_| ok) else {
        state.throttle.record_failure(&email);
        // Who tried which address: the account's id when there is one.
        let after = serde_json::json!({ "email": email }).to_string();
        let _ = ondo_store::audit::record(
            &state.db,
            ws,
            &Actor::system("web"),
            "user",
            account,
            "sign_in_failed",
            Some(&after),
        )
        .await;
        return login_page(
            t,
            email,
            next,
            Some(t.t("login-failed")),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.throttle.record_success(&email);
    // A new session id at every sign-in; the old session, if any, ends.
    if let Some(old) = old {
        let _ = ondo_store::sessions::delete(&state.db, old.workspace, &old.session_id).await;
    }
    let secret = random_token();
    let hours = state.config.session_hours;
    let expires = Micros(Micros::now().0 + hours * 3_600_000_000);
    if let Err(e) =
        ondo_store::sessions::create(&state.db, ws, &secret, user.id, &random_token(), expires)
            .await
    {
        tracing::error!(error = %e, "session creation failed");
        return login_page(
            t,
            email,
            next,
            Some(t.t("error-internal-body")),
            StatusCode::INTERNAL_SERVER_ERROR,
        );
    }
    let _ = ondo_store::audit::record(
        &state.db,
        ws,
        &Actor::user(user.id, "web"),
        "user",
        Some(user.id),
        "sign_in",
        None,
    )
    .await;
    let mut resp = Redirect::to(&next).into_response();
    let value = format!("{}.{}", ws.0, secret);
    if let Ok(v) = session_cookie(&value, hours * 3600, state.config.secure_cookies).parse() {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    if let Ok(v) = format!("{LOGIN_CSRF_COOKIE}=; Path=/login; Max-Age=0").parse() {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !tokens_match(
        form.get("csrf").map(String::as_str).unwrap_or(""),
        &user.csrf,
    ) {
        return (StatusCode::FORBIDDEN, "invalid CSRF token").into_response();
    }
    let _ = ondo_store::sessions::delete(&state.db, user.workspace, &user.session_id).await;
    let _ = ondo_store::audit::record(
        &state.db,
        user.workspace,
        &Actor::user(user.user.id, "web"),
        "user",
        Some(user.user.id),
        "sign_out",
        None,
    )
    .await;
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(v) = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0").parse() {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// Switches the UI language: remembered in a cookie, and as the user's setting when
/// signed in.
pub async fn switch_language(
    State(state): State<AppState>,
    MaybeUser(user, _): MaybeUser,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    if let Some(u) = user {
        let _ = ondo_store::users::set_locale(&state.db, u.workspace, u.user.id, Some(lang.code()))
            .await;
    }
    let mut resp = Redirect::to(&local_path(q.get("next").map(String::as_str))).into_response();
    if let Ok(v) = format!(
        "ondo_lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    )
    .parse()
    {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}
