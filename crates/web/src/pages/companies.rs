use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use ondo_store::companies::CompanySummary;

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::state::AppState;

const PAGE_SIZE: i64 = 100;

#[derive(Template)]
#[template(path = "companies.html")]
struct CompaniesPage {
    c: Chrome,
    t: Tr,
    q: String,
    rows: Vec<CompanySummary>,
    next_href: Option<String>,
    prev_href: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let text = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let page: i64 = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 0)
        .unwrap_or(0);
    let key = ondo_domain::search_key(&text);
    let mut rows = ondo_store::companies::list(
        &state.db,
        user.workspace,
        Some(&key),
        PAGE_SIZE + 1,
        page * PAGE_SIZE,
    )
    .await
    .map_err(PageError::store(t))?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let href = |p: i64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if !text.is_empty() {
            s.append_pair("q", &text);
        }
        s.append_pair("page", &p.to_string());
        format!("/companies?{}", s.finish())
    };
    let page_view = CompaniesPage {
        c: Chrome::new(&user, "companies", "/companies"),
        t,
        next_href: more.then(|| href(page + 1)),
        prev_href: (page > 0).then(|| href(page - 1)),
        q: text,
        rows,
    };
    Ok(render(&page_view))
}
