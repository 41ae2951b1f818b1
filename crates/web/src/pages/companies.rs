use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use ondo_store::companies::{CompanySort, CompanySummary, LAST_ACTIVITY_RANK_LIMIT};

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;
/// People listed on a company page; the lead list, filtered by the company, has them all.
const PEOPLE_SHOWN: i64 = 500;

/// The key a company search matches names on: the name without its legal form, as
/// companies are stored, so "(株)サカタ" finds 株式会社サカタのタネ. Text that is no
/// name (only punctuation) is searched as typed.
fn search_name_key(text: &str) -> String {
    ondo_domain::CompanyName::parse(text)
        .map(|name| name.key())
        .ok()
        .filter(|key| !key.is_empty())
        .unwrap_or_else(|| ondo_domain::search_key(text))
}

fn parse_sort(s: &str) -> CompanySort {
    match s {
        "activity" => CompanySort::LastActivity,
        "people" => CompanySort::People,
        _ => CompanySort::Name,
    }
}

fn sort_key(s: CompanySort) -> &'static str {
    match s {
        CompanySort::Name => "name",
        CompanySort::LastActivity => "activity",
        CompanySort::People => "people",
    }
}

/// One row of the company list, ready to show.
struct CompanyRow {
    id: i64,
    name: String,
    domain: String,
    corporate_number: String,
    people: i64,
    owners: Vec<String>,
    /// More than one rep owns leads here (二重アプローチ).
    owners_differ: bool,
    last_activity: String,
    people_sample: Vec<(i64, String)>,
    people_more: i64,
}

impl CompanyRow {
    fn of(c: CompanySummary, t: &Tr) -> CompanyRow {
        CompanyRow {
            id: c.id,
            name: c.display_name,
            domain: c.domain.unwrap_or_default(),
            corporate_number: c.corporate_number.unwrap_or_default(),
            people: c.people,
            owners_differ: c.owners.len() > 1,
            owners: c.owners.into_iter().map(|o| o.name).collect(),
            last_activity: c.last_activity_at.map(|at| t.date(at)).unwrap_or_default(),
            people_more: c.people - c.people_sample.len() as i64,
            people_sample: c
                .people_sample
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "companies.html")]
struct CompaniesPage {
    c: Chrome,
    t: Tr,
    q: String,
    sort: &'static str,
    rows: Vec<CompanyRow>,
    next_href: Option<String>,
    prev_href: Option<String>,
    /// How many companies the last-activity order ranks, on its last page.
    rank_limit: Option<i64>,
    /// Only companies whose leads have more than one owner (`?conflicts=1`).
    conflicts: bool,
    /// The list with the conflict filter switched the other way.
    conflicts_toggle_href: String,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let text = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let sort = parse_sort(q.get("sort").map(String::as_str).unwrap_or(""));
    let mut page: i64 = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 0)
        .unwrap_or(0);
    let last_page = (LAST_ACTIVITY_RANK_LIMIT - 1) / PAGE_SIZE;
    if sort == CompanySort::LastActivity {
        page = page.min(last_page);
    }
    let conflicts = q.get("conflicts").is_some_and(|v| v == "1");
    let key = if text.is_empty() {
        String::new()
    } else {
        search_name_key(&text)
    };
    let mut rows = ondo_store::companies::list_filtered(
        &state.db,
        user.workspace,
        &key,
        conflicts,
        sort,
        PAGE_SIZE + 1,
        page * PAGE_SIZE,
        crate::service::access::visibility(&user.user),
    )
    .await
    .map_err(PageError::store(t))?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let rank_limit =
        (sort == CompanySort::LastActivity && page == last_page && rows.len() as i64 == PAGE_SIZE)
            .then_some(LAST_ACTIVITY_RANK_LIMIT);
    let href_with = |p: i64, conflicts: bool| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if !text.is_empty() {
            s.append_pair("q", &text);
        }
        if sort != CompanySort::Name {
            s.append_pair("sort", sort_key(sort));
        }
        if conflicts {
            s.append_pair("conflicts", "1");
        }
        if p > 0 {
            s.append_pair("page", &p.to_string());
        }
        format!("/companies?{}", s.finish())
    };
    let href = |p: i64| href_with(p, conflicts);
    let page_view = CompaniesPage {
        c: Chrome::new(&user, "companies", &href(page)),
        t,
        next_href: more.then(|| href(page + 1)),
        prev_href: (page > 0).then(|| href(page - 1)),
        sort: sort_key(sort),
        rank_limit,
        conflicts,
        conflicts_toggle_href: href_with(0, !conflicts),
        q: text,
        rows: rows.into_iter().map(|c| CompanyRow::of(c, &t)).collect(),
    };
    Ok(render(&page_view))
}

/// One person on a company page.
struct PersonRow {
    id: i64,
    name: String,
    kana: String,
    title: String,
    department: String,
    status: String,
    status_label: String,
    owner: String,
    last_activity: String,
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    c: Chrome,
    t: Tr,
    id: i64,
    name: String,
    legal_form: String,
    corporate_number: String,
    domain: String,
    address: String,
    industry: String,
    people_count: i64,
    last_activity: String,
    /// Owners with how many of the company's leads each has.
    owners: Vec<(String, i64)>,
    /// Leads nobody owns yet.
    unassigned: i64,
    /// The warning when more than one rep owns leads here (二重アプローチ防止).
    double_approach: Option<String>,
    people: Vec<PersonRow>,
    /// How many of the company's leads a salesperson may not see (owned by others).
    hidden_people: i64,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let db = &state.db;
    let company = ondo_store::companies::get(db, ws, id)
        .await
        .map_err(PageError::store(t))?;
    let summary = ondo_store::companies::summaries(db, ws, &[id])
        .await
        .map_err(PageError::store(t))?
        .pop()
        .ok_or(PageError::NotFound(t))?;
    let visibility = crate::service::access::visibility(&user.user);
    let people = ondo_store::companies::people_visible(db, ws, id, visibility, PEOPLE_SHOWN)
        .await
        .map_err(PageError::store(t))?;
    let hidden_people = match visibility {
        ondo_store::leads::Visibility::Sales(_) if (people.len() as i64) < PEOPLE_SHOWN => {
            summary.people - people.len() as i64
        }
        _ => 0,
    };
    let owned: i64 = summary.owners.iter().map(|o| o.leads).sum();
    let owners: Vec<(String, i64)> = summary
        .owners
        .into_iter()
        .map(|o| (o.name, o.leads))
        .collect();
    let double_approach = (owners.len() > 1).then(|| {
        let names = owners
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(match t.lang {
                crate::i18n::Lang::Ja => "、",
                crate::i18n::Lang::En => ", ",
            });
        t.t1("company-double-approach-warning", "names", &names)
    });
    let legal_form = company
        .legal_form
        .as_deref()
        .and_then(ondo_domain::LegalForm::parse_key)
        .filter(|f| *f != ondo_domain::LegalForm::Other)
        .map(|f| f.ja().to_string())
        .unwrap_or_default();
    let page = CompanyPage {
        c: Chrome::new(&user, "companies", &format!("/companies/{id}")),
        t,
        id,
        name: company.display_name,
        legal_form,
        corporate_number: company.corporate_number.unwrap_or_default(),
        domain: company.domain.unwrap_or_default(),
        address: company.address.unwrap_or_default(),
        industry: company.industry.unwrap_or_default(),
        people_count: summary.people,
        last_activity: summary
            .last_activity_at
            .map(|at| t.date(at))
            .unwrap_or_default(),
        unassigned: summary.people - owned,
        owners,
        double_approach,
        hidden_people,
        people: people
            .into_iter()
            .map(|p| PersonRow {
                id: p.id,
                status_label: t.status(&p.status),
                name: p.name,
                kana: p.kana,
                title: p.title.unwrap_or_default(),
                department: p.department.unwrap_or_default(),
                status: p.status,
                owner: p.owner_name.unwrap_or_default(),
                last_activity: p.last_activity_at.map(|at| t.date(at)).unwrap_or_default(),
            })
            .collect(),
    };
    Ok(render(&page))
}
