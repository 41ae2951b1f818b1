use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::{LeadStatus, search_key};
use ondo_store::leads::{Lead, LeadFilter, OwnerFilter};

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::auth::csrf::tokens_match;
use crate::i18n::Tr;
use crate::service::ServiceError;
use crate::service::leads::{CONSENT_SOURCES, LeadChanges, OwnerRef};
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;

/// One row of the lead list.
pub struct LeadRow {
    pub id: i64,
    pub name: String,
    pub kana: String,
    pub company: String,
    pub title: String,
    pub email: String,
    pub status: String,
    pub status_label: String,
    pub owner: String,
    pub created: String,
}

impl LeadRow {
    pub fn of(l: &Lead, t: &Tr) -> LeadRow {
        LeadRow {
            id: l.id,
            name: l.name.clone(),
            kana: l.kana.clone(),
            company: l
                .company_display
                .clone()
                .or_else(|| l.company_name.clone())
                .unwrap_or_default(),
            title: [l.department.as_deref(), l.title.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / "),
            email: l.email.clone().unwrap_or_default(),
            status: l.status.clone(),
            status_label: t.status(&l.status),
            owner: l.owner_name.clone().unwrap_or_default(),
            created: t.date(l.created_at),
        }
    }
}

/// An option of a select box.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "leads.html")]
struct LeadsPage {
    c: Chrome,
    t: Tr,
    rows: Vec<LeadRow>,
    q: String,
    statuses: Vec<Choice>,
    owners: Vec<Choice>,
    sources: Vec<Choice>,
    /// The company the list is filtered by: its id and name.
    company: Option<(i64, String)>,
    /// (key, label, count unless hidden, chosen)
    status_counts: Vec<(String, String, Option<i64>, bool)>,
    total: Option<i64>,
    next_href: Option<String>,
    first_href: Option<String>,
    /// The export link's filters, for roles that may export.
    export_query: Option<String>,
    /// The saved segments to choose from (`segment=ID`).
    segments: Vec<Choice>,
    /// The segment the list shows: its id and name.
    segment: Option<(i64, String)>,
}

/// The lead-list filter a query string asks for (shared by the list and its export).
fn lead_filter(user: &CurrentUser, q: &HashMap<String, String>) -> LeadFilter {
    let get = |k: &str| q.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let owner = match get("owner").as_str() {
        "" => None,
        "none" => Some(OwnerFilter::Unassigned),
        "me" => Some(OwnerFilter::User(user.user.id)),
        id => id.parse().ok().map(OwnerFilter::User),
    };
    LeadFilter {
        q: Some(search_key(&get("q"))).filter(|s| !s.is_empty()),
        status: LeadStatus::parse(&get("status")).ok(),
        owner,
        company_id: get("company_id").parse().ok(),
        source: Some(get("source")).filter(|s| !s.is_empty()),
        before_id: get("before").parse().ok(),
        visibility: crate::service::access::visibility(&user.user),
    }
}

/// The segment a query string names (`segment=ID`): `None` without one, `NotFound` for
/// an id that is no segment of the workspace.
async fn chosen_segment(
    state: &AppState,
    user: &CurrentUser,
    q: &HashMap<String, String>,
) -> Result<Option<ondo_store::segments::Segment>, PageError> {
    let Some(raw) = q.get("segment").map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let id: i64 = raw.parse().map_err(|_| PageError::NotFound(user.tr))?;
    match ondo_store::segments::get(&state.db, user.workspace, id).await {
        Ok(Some(seg)) => Ok(Some(seg)),
        Ok(None) => Err(PageError::NotFound(user.tr)),
        Err(e) => Err(PageError::store(user.tr)(e)),
    }
}

/// The list's own filters as segment conditions, to narrow a segment's leads further.
fn filter_conditions(filter: &LeadFilter) -> Vec<ondo_domain::segment::Condition> {
    use ondo_domain::segment::Condition;
    let mut out = Vec::new();
    if let Some(q) = &filter.q {
        out.push(Condition::SearchTextContains(q.clone()));
    }
    if let Some(s) = filter.status {
        out.push(Condition::StatusIn(vec![s]));
    }
    match filter.owner {
        Some(OwnerFilter::Unassigned) => out.push(Condition::Unassigned),
        Some(OwnerFilter::User(id)) => out.push(Condition::OwnerIs(id)),
        None => {}
    }
    if let Some(c) = filter.company_id {
        out.push(Condition::CompanyIs(c));
    }
    if let Some(src) = &filter.source {
        out.push(Condition::SourceIn(vec![src.clone()]));
    }
    out
}

/// A segment's leads (narrowed by the list's filters), as its export reads them.
struct SegmentLeads<'a> {
    db: &'a ondo_store::Db,
    ws: ondo_store::WorkspaceId,
    seg: &'a ondo_store::segments::Segment,
    scope: ondo_store::segments::Scope,
    extra: &'a [ondo_domain::segment::Condition],
}

impl ondo_jobs::export::LeadPages for SegmentLeads<'_> {
    fn workspace(&self) -> (&ondo_store::Db, ondo_store::WorkspaceId) {
        (self.db, self.ws)
    }

    async fn page(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Lead>, ondo_store::StoreError> {
        ondo_store::segments::leads(
            self.db,
            self.ws,
            &self.seg.definition,
            &self.scope,
            self.extra,
            before,
            limit,
        )
        .await
    }
}

/// Downloads the filtered lead list as CSV (UTF-8 or Shift_JIS) or Excel.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    use ondo_jobs::export::{CsvEncoding, ExportFormat, HeaderLang};
    let t = user.tr;
    if user.role() == ondo_domain::Role::Sales {
        return Err(PageError::Forbidden(t));
    }
    let (format, mime, ext) = match q.get("format").map(String::as_str) {
        Some("xlsx") => (
            ExportFormat::Xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Some("csv-sjis") => (
            ExportFormat::Csv(CsvEncoding::Cp932),
            "text/csv; charset=Shift_JIS",
            "csv",
        ),
        _ => (
            ExportFormat::Csv(CsvEncoding::Utf8),
            "text/csv; charset=utf-8",
            "csv",
        ),
    };
    let lang = match t.lang {
        crate::i18n::Lang::Ja => HeaderLang::Ja,
        crate::i18n::Lang::En => HeaderLang::En,
    };
    let mut filter = lead_filter(&user, &q);
    filter.before_id = None;
    let mut body: Vec<u8> = Vec::new();
    let written = if let Some(seg) = chosen_segment(&state, &user, &q).await? {
        let extra = filter_conditions(&filter);
        let leads = SegmentLeads {
            db: &state.db,
            ws: user.workspace,
            seg: &seg,
            scope: crate::api::segments::scope_for(&user.user),
            extra: &extra,
        };
        ondo_jobs::export::export_pages(&leads, format, lang, &mut body).await
    } else {
        ondo_jobs::export::export_leads(&state.db, user.workspace, &filter, format, lang, &mut body)
            .await
    };
    if let Err(e) = written {
        tracing::error!(error = %e, "export failed");
        return Err(PageError::Internal(t));
    }
    let name = format!(
        "leads-{}.{ext}",
        ondo_domain::Micros::now()
            .format_jst_date()
            .replace('/', "")
    );
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, mime.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

fn query_href(params: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        s.append_pair(k, v);
    }
    format!("/leads?{}", s.finish())
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let get = |k: &str| q.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let (text, status_key, owner_key, source, before) = (
        get("q"),
        get("status"),
        get("owner"),
        get("source"),
        get("before"),
    );
    let filter = lead_filter(&user, &q);
    let status = filter.status;
    let segment = chosen_segment(&state, &user, &q).await?;
    let mut leads = match &segment {
        Some(seg) => ondo_store::segments::leads(
            &state.db,
            ws,
            &seg.definition,
            &crate::api::segments::scope_for(&user.user),
            &filter_conditions(&filter),
            filter.before_id,
            PAGE_SIZE + 1,
        )
        .await
        .map_err(PageError::store(t))?,
        None => ondo_store::leads::list(&state.db, ws, &filter, PAGE_SIZE + 1)
            .await
            .map_err(PageError::store(t))?,
    };
    let more = leads.len() as i64 > PAGE_SIZE;
    leads.truncate(PAGE_SIZE as usize);
    let company_id = q.get("company_id").cloned().unwrap_or_default();
    let segment_id = segment
        .as_ref()
        .map(|s| s.id.to_string())
        .unwrap_or_default();
    let base = [
        ("q", text.as_str()),
        ("status", status_key.as_str()),
        ("owner", owner_key.as_str()),
        ("source", source.as_str()),
        ("company_id", company_id.as_str()),
        ("segment", segment_id.as_str()),
    ];
    let next_href = match (more, leads.last()) {
        (true, Some(last)) => {
            let id = last.id.to_string();
            let mut p = base.to_vec();
            p.push(("before", id.as_str()));
            Some(query_href(&p))
        }
        _ => None,
    };
    let first_href = (!before.is_empty()).then(|| query_href(&base));

    // Workspace-wide figures: the sources for the filter, the counts by status for the
    // chips (not for a salesperson, who sees only part of the workspace).
    let summary = state
        .summaries
        .get(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let counts: Option<HashMap<LeadStatus, i64>> = (user.role() != ondo_domain::Role::Sales)
        .then(|| summary.by_status.iter().copied().collect());
    let total = counts.as_ref().map(|c| c.values().sum::<i64>());
    let status_counts = LeadStatus::ALL
        .iter()
        .map(|s| {
            (
                s.key().to_string(),
                t.status(s.key()),
                counts.as_ref().map(|c| c.get(s).copied().unwrap_or(0)),
                Some(*s) == status,
            )
        })
        .collect();
    let statuses = LeadStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.key().into(),
            label: t.status(s.key()),
            selected: Some(*s) == status,
        })
        .collect();
    let users = ondo_store::users::list(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let mut owners = vec![
        Choice {
            value: "me".into(),
            label: t.t("filter-owner-me"),
            selected: owner_key == "me",
        },
        Choice {
            value: "none".into(),
            label: t.t("filter-owner-none"),
            selected: owner_key == "none",
        },
    ];
    owners.extend(users.iter().map(|u| Choice {
        value: u.id.to_string(),
        label: u.display_name.clone(),
        selected: owner_key == u.id.to_string(),
    }));
    let sources = summary
        .sources
        .iter()
        .map(|(s, n)| Choice {
            selected: *s == source,
            label: format!("{s} ({n})"),
            value: s.clone(),
        })
        .collect();
    let company = match filter.company_id {
        Some(id) => match ondo_store::companies::get(&state.db, ws, id).await {
            Ok(c) => Some((c.id, c.display_name)),
            Err(ondo_store::StoreError::NotFound) => return Err(PageError::NotFound(t)),
            Err(e) => return Err(PageError::store(t)(e)),
        },
        None => None,
    };
    let list_href = query_href(&base);
    let export_query = (user.role() != ondo_domain::Role::Sales)
        .then(|| list_href.trim_start_matches("/leads?").to_string());
    let segments = ondo_store::segments::list(&state.db, ws)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|seg| Choice {
            selected: segment.as_ref().is_some_and(|s| s.id == seg.id),
            value: seg.id.to_string(),
            label: seg.name,
        })
        .collect();
    let page = LeadsPage {
        c: Chrome::new(&user, "leads", &list_href),
        export_query,
        segments,
        segment: segment.map(|s| (s.id, s.name)),
        company,
        t,
        rows: leads.iter().map(|l| LeadRow::of(l, &t)).collect(),
        q: text,
        statuses,
        owners,
        sources,
        status_counts,
        total,
        next_href,
        first_href,
    };
    Ok(render(&page))
}

/// One line of a lead's timeline.
pub struct TimelineItem {
    pub at: i64,
    pub when: String,
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub who: String,
}

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage {
    c: Chrome,
    t: Tr,
    lead: Lead,
    status_label: String,
    custom_fields: Vec<(String, String)>,
    touchpoints: Vec<(String, String, String)>,
    timeline: Vec<TimelineItem>,
    colleagues: Vec<LeadRow>,
    company_number: String,
    company_domain: String,
    /// Colleagues at the same company owned by another rep (二重アプローチ防止).
    owner_warnings: Vec<String>,
    /// Merges into this lead that can be undone: (merge id, merged-away lead's name, when).
    merges: Vec<(i64, String, String)>,
    /// Emails and numbers the lead was seen with besides its own: (field label, value,
    /// the source that brought it).
    other_contacts: Vec<(String, String, String)>,
    consent: String,
    created: String,
    updated: String,
    score: ScoreCard,
    /// Logging activities and changing the status (pages/workflow.rs).
    work: super::workflow::LeadWork,
    /// The lead's open follow-ups and the add form (templates/lead_tasks_card.html).
    lead_tasks: Vec<super::tasks::TaskRow>,
    task_owners: Vec<Choice>,
    lead_id: i64,
    /// The AI score ("AI 72%") and its reasons, when a model scored the lead.
    ai: Option<AiCard>,
}

/// The lead's AI score as the page shows it.
struct AiCard {
    percent: u8,
    raises: Vec<String>,
    lowers: Vec<String>,
}

fn ai_card(t: &Tr, ai: ondo_jobs::ai::LeadAi) -> AiCard {
    let words = |r: &ondo_jobs::ai::Reason| r.words.get(t.code()).to_string();
    AiCard {
        percent: ai.percent,
        raises: ai.reasons.positive.iter().map(words).collect(),
        lowers: ai.reasons.negative.iter().map(words).collect(),
    }
}

/// The lead's temperature, explained.
struct ScoreCard {
    temperature: String,
    temperature_label: String,
    engagement: String,
    fit_score: String,
    fit_grade: String,
    half_life: String,
    /// (label, points) of each fit rule that applies.
    fit_parts: Vec<(String, String)>,
    /// (date, what, events, counted points, value today, automated).
    lines: Vec<(String, String, u32, String, String, bool)>,
}

/// Breakdown lines shown on the lead page (the newest first).
const BREAKDOWN_LINES: usize = 30;

fn score_card(t: &Tr, x: ondo_jobs::scoring::lead::Explanation) -> ScoreCard {
    use ondo_domain::scoring::format_points;
    let en = t.code() == "en";
    ScoreCard {
        temperature: x.temperature.key().to_string(),
        temperature_label: t.t(&format!("temperature-{}", x.temperature.key())),
        engagement: format_points(x.engagement),
        fit_score: format_points(x.fit.score),
        fit_grade: x.fit.grade.key().to_string(),
        half_life: format_points(x.half_life_days),
        fit_parts: x
            .fit
            .parts
            .iter()
            .map(|p| {
                let label = if en {
                    p.reason.label_en()
                } else {
                    p.reason.label_ja()
                };
                (label, format_points(p.points))
            })
            .collect(),
        lines: x
            .breakdown
            .iter()
            .take(BREAKDOWN_LINES)
            .map(|l| {
                let mut what = if en {
                    l.kind.label_en()
                } else {
                    l.kind.label_ja()
                };
                if let Some(c) = l.category {
                    what = format!("{what}: {}", if en { c.label_en() } else { c.label_ja() });
                }
                let day_start =
                    l.day * ondo_domain::Micros::days(1) - ondo_domain::Micros::hours(9);
                (
                    t.date(day_start),
                    what,
                    l.events,
                    format_points(l.counted_points),
                    format_points(l.value_today),
                    l.bot,
                )
            })
            .collect(),
    }
}

fn event_title(t: &Tr, kind: &str) -> String {
    let key = format!("event-{}", kind.replace('_', "-"));
    if t.has(&key) {
        t.t(&key)
    } else {
        kind.to_string()
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let db = &state.db;
    let lead = crate::service::access::visible_lead(db, ws, &user.user, id)
        .await
        .map_err(|e| PageError::from_service(t, e))?;
    let touchpoints = ondo_store::leads::touchpoints(db, ws, id)
        .await
        .map_err(PageError::store(t))?;
    let history = ondo_store::leads::status_history(db, ws, id)
        .await
        .map_err(PageError::store(t))?;
    let activities = ondo_store::activities::for_lead(db, ws, id)
        .await
        .map_err(PageError::store(t))?;
    let events = ondo_store::events::recent_for_lead(db, ws, id, 100)
        .await
        .map_err(PageError::store(t))?;

    let mut timeline: Vec<TimelineItem> = Vec::new();
    for h in history {
        let title = match &h.from_status {
            Some(from) => format!("{} → {}", t.status(from), t.status(&h.to_status)),
            None => t.t1("timeline-created", "status", &t.status(&h.to_status)),
        };
        timeline.push(TimelineItem {
            at: h.changed_at,
            when: t.datetime(h.changed_at),
            kind: "status",
            title,
            detail: match h.reason_en.filter(|_| t.code() == "en") {
                Some(en) => en,
                None => h.reason,
            },
            who: h.changed_by_name.unwrap_or_default(),
        });
    }
    for a in activities {
        let key = format!("activity-{}", a.kind);
        let mut title = if t.has(&key) {
            t.t(&key)
        } else {
            a.kind.clone()
        };
        if let Some(o) = &a.outcome {
            title = format!("{title}: {}", super::workflow::outcome_label(&t, o));
        }
        timeline.push(TimelineItem {
            at: a.occurred_at,
            when: t.datetime(a.occurred_at),
            kind: "activity",
            title,
            detail: a.note.unwrap_or_default(),
            who: a.user_name.unwrap_or_default(),
        });
    }
    for e in events {
        let mut detail = e.url.unwrap_or_default();
        if let Some(reason) = &e.bot_reason {
            let label = if t.code() == "en" {
                ondo_domain::automated::AutomatedReason::label_en(reason)
            } else {
                ondo_domain::automated::AutomatedReason::label_ja(reason)
            };
            detail = format!("{label} {detail}");
        }
        timeline.push(TimelineItem {
            at: e.occurred_at,
            when: t.datetime(e.occurred_at),
            kind: "event",
            title: event_title(&t, &e.kind),
            detail,
            who: String::new(),
        });
    }
    timeline.sort_by_key(|item| std::cmp::Reverse(item.at));

    let mut owner_warnings = Vec::new();
    let (company_number, company_domain, colleagues) = match lead.company_id {
        Some(cid) => {
            let company = ondo_store::companies::get(db, ws, cid)
                .await
                .map_err(PageError::store(t))?;
            let filter = LeadFilter {
                company_id: Some(cid),
                visibility: crate::service::access::visibility(&user.user),
                ..Default::default()
            };
            let others = ondo_store::leads::list(db, ws, &filter, 21)
                .await
                .map_err(PageError::store(t))?;
            for o in others
                .iter()
                .filter(|o| o.id != id && o.owner_id.is_some() && o.owner_id != lead.owner_id)
            {
                let who = format!(
                    "{} ({}: {})",
                    o.name,
                    t.t("field-owner"),
                    o.owner_name.clone().unwrap_or_default()
                );
                owner_warnings.push(t.t1("lead-other-owner", "name", &who));
            }
            (
                company.corporate_number.unwrap_or_default(),
                company.domain.unwrap_or_default(),
                others
                    .iter()
                    .filter(|o| o.id != id)
                    .take(20)
                    .map(|o| LeadRow::of(o, &t))
                    .collect(),
            )
        }
        None => (String::new(), String::new(), Vec::new()),
    };
    let custom_fields = lead
        .custom_fields()
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            )
        })
        .collect();
    let consent = match (&lead.consent_source, lead.consent_at) {
        (Some(src), at) => {
            let label = t.t(&format!("consent-{}", src.replace('_', "-")));
            match at {
                Some(at) => format!("{label} ({})", t.date(at)),
                None => label,
            }
        }
        (None, _) => t.t("consent-none"),
    };
    let other_contacts = ondo_store::identities::of_lead(db, ws, id)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|(kind, value, source)| {
            (
                t.t(&format!("field-{kind}")),
                value,
                source.unwrap_or_default(),
            )
        })
        .collect();
    let merges = if user.role() == ondo_domain::Role::Sales {
        Vec::new()
    } else {
        ondo_store::merges::undoable_for(db, ws, id)
            .await
            .map_err(PageError::store(t))?
            .into_iter()
            .map(|m| {
                let name = serde_json::from_str::<serde_json::Value>(&m.source_snapshot)
                    .ok()
                    .and_then(|v| v["name"].as_str().map(str::to_string))
                    .unwrap_or_default();
                (m.id, name, t.datetime(m.merged_at))
            })
            .collect()
    };
    let explanation = ondo_jobs::scoring::lead::explain(db, ws, &lead, ondo_domain::Micros::now())
        .await
        .map_err(PageError::store(t))?;
    let work = super::workflow::lead_work(db, &user, &lead, &q)
        .await
        .map_err(PageError::store(t))?;
    let lead_tasks = super::tasks::lead_task_rows(db, &user, id).await?;
    let task_owners = super::tasks::task_owner_choices(db, &user, None).await?;
    let ai = ondo_jobs::ai::lead_ai(db, ws, id)
        .await
        .map_err(PageError::store(t))?
        .map(|a| ai_card(&t, a));
    let page = LeadPage {
        ai,
        work,
        lead_tasks,
        task_owners,
        lead_id: id,
        score: score_card(&t, explanation),
        c: Chrome::new(&user, "leads", &format!("/leads/{id}")),
        owner_warnings,
        merges,
        other_contacts,
        t,
        status_label: t.status(&lead.status),
        custom_fields,
        touchpoints: touchpoints
            .into_iter()
            .map(|tp| {
                let key = format!("touchpoint-{}", tp.kind.replace('_', "-"));
                (
                    t.date(tp.occurred_at),
                    if t.has(&key) {
                        t.t(&key)
                    } else {
                        tp.kind.clone()
                    },
                    tp.source,
                )
            })
            .collect(),
        timeline,
        colleagues,
        company_number,
        company_domain,
        consent,
        created: t.datetime(lead.created_at),
        updated: t.datetime(lead.updated_at),
        lead,
    };
    Ok(render(&page))
}

/// The lead form's values as typed, and its errors by field.
#[derive(Default, Clone)]
pub struct FormValues(pub HashMap<String, String>);

impl FormValues {
    pub fn get(&self, k: &str) -> &str {
        self.0.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn checked(&self, k: &str) -> bool {
        matches!(self.get(k), "on" | "true" | "1")
    }
}

#[derive(Template)]
#[template(path = "lead_form.html")]
struct LeadFormPage {
    c: Chrome,
    t: Tr,
    /// The lead being edited, or none for a new lead.
    id: Option<i64>,
    v: FormValues,
    errors: HashMap<String, String>,
    owners: Vec<Choice>,
    statuses: Vec<Choice>,
    consent_sources: Vec<Choice>,
    lost_reasons: Vec<Choice>,
}

impl LeadFormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

fn form_from_lead(l: &Lead) -> FormValues {
    let mut m = HashMap::new();
    let mut put = |k: &str, v: Option<&str>| {
        m.insert(k.to_string(), v.unwrap_or("").to_string());
    };
    put("name", Some(&l.name));
    put("kana", Some(&l.kana));
    put("email", l.email.as_deref());
    put("phone", l.phone.as_deref());
    put("mobile", l.mobile.as_deref());
    put("title", l.title.as_deref());
    put("department", l.department.as_deref());
    put(
        "company",
        l.company_name.as_deref().or(l.company_display.as_deref()),
    );
    put("postcode", l.postcode.as_deref());
    put("address", l.address.as_deref());
    put("status", Some(&l.status));
    put("lost_reason", l.lost_reason.as_deref());
    put("consent_source", l.consent_source.as_deref());
    let owner = l.owner_id.map(|o| o.to_string());
    put("owner", owner.as_deref());
    let consent_at = l
        .consent_at
        .map(|c| ondo_domain::Micros(c).format_jst_date().replace('/', "-"));
    put("consent_at", consent_at.as_deref());
    if l.email_opt_out {
        put("email_opt_out", Some("on"));
    }
    FormValues(m)
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    id: Option<i64>,
    v: FormValues,
    errors: HashMap<String, String>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let users = ondo_store::users::list(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let mut owners = vec![Choice {
        value: String::new(),
        label: t.t("owner-none"),
        selected: v.get("owner").is_empty(),
    }];
    owners.extend(users.iter().map(|u| Choice {
        value: u.id.to_string(),
        label: format!("{} ({})", u.display_name, t.role(u.role())),
        selected: v.get("owner") == u.id.to_string(),
    }));
    let current_status = if v.get("status").is_empty() {
        "new"
    } else {
        v.get("status")
    };
    let statuses = LeadStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.key().into(),
            label: t.status(s.key()),
            selected: s.key() == current_status,
        })
        .collect();
    let mut consent_sources = vec![Choice {
        value: String::new(),
        label: t.t("consent-none"),
        selected: v.get("consent_source").is_empty(),
    }];
    consent_sources.extend(CONSENT_SOURCES.iter().map(|s| Choice {
        value: s.to_string(),
        label: t.t(&format!("consent-{}", s.replace('_', "-"))),
        selected: v.get("consent_source") == *s,
    }));
    let mut lost_reasons = vec![Choice {
        value: String::new(),
        label: "—".into(),
        selected: v.get("lost_reason").is_empty(),
    }];
    let managed = crate::service::statuses::lost_reasons(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    lost_reasons.extend(managed.iter().map(|r| Choice {
        value: r.to_string(),
        label: r.to_string(),
        selected: v.get("lost_reason") == r.as_str(),
    }));
    // A reason the lead has from before an edit of the list stays selectable.
    if !v.get("lost_reason").is_empty() && !managed.iter().any(|r| r == v.get("lost_reason")) {
        lost_reasons.push(Choice {
            value: v.get("lost_reason").into(),
            label: v.get("lost_reason").into(),
            selected: true,
        });
    }
    let path = match id {
        Some(id) => format!("/leads/{id}/edit"),
        None => "/leads/new".to_string(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = LeadFormPage {
        c: Chrome::new(user, "leads", &path),
        t,
        id,
        v,
        errors,
        owners,
        statuses,
        consent_sources,
        lost_reasons,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    form_page(&state, &user, None, FormValues::default(), HashMap::new()).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let lead = crate::service::access::visible_lead(&state.db, user.workspace, &user.user, id)
        .await
        .map_err(|e| PageError::from_service(user.tr, e))?;
    form_page(
        &state,
        &user,
        Some(id),
        form_from_lead(&lead),
        HashMap::new(),
    )
    .await
}

/// The form's fields as a change: every field is present, an empty one clears.
fn changes_from_form(v: &FormValues) -> LeadChanges {
    let opt = |k: &str| Some(Some(v.get(k).trim().to_string()).filter(|s| !s.is_empty()));
    LeadChanges {
        name: Some(v.get("name").to_string()),
        kana: opt("kana"),
        email: opt("email"),
        phone: opt("phone"),
        mobile: opt("mobile"),
        title: opt("title"),
        department: opt("department"),
        company: opt("company"),
        postcode: opt("postcode"),
        address: opt("address"),
        owner: Some(v.get("owner").parse::<i64>().ok().map(OwnerRef::Id)),
        status: Some(v.get("status").to_string()).filter(|s| !s.is_empty()),
        status_reason: Some(v.get("status_reason").to_string()).filter(|s| !s.trim().is_empty()),
        lost_reason: opt("lost_reason"),
        consent_source: opt("consent_source"),
        consent_at: opt("consent_at"),
        email_opt_out: Some(v.checked("email_opt_out")),
        ..Default::default()
    }
}

fn field_error(t: &Tr, e: ServiceError) -> Result<HashMap<String, String>, PageError> {
    match e {
        ServiceError::Invalid { field, message } => {
            let key = format!("invalid-{}", field.replace('_', "-"));
            // The translated sentence when there is one; the English detail otherwise.
            let text = if t.has(&key) { t.t(&key) } else { message };
            Ok(HashMap::from([(field.to_string(), text)]))
        }
        other => Err(PageError::from_service(*t, other)),
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let v = FormValues(form);
    if !tokens_match(v.get("csrf"), &user.csrf) {
        return Err(PageError::Forbidden(t));
    }
    let mut changes = changes_from_form(&v);
    changes.source = Some(t.t("source-manual"));
    changes.source_kind = Some("manual".into());
    let actor = ondo_store::Actor::user(user.user.id, "web");
    match crate::service::leads::create_or_unify(
        &state.db,
        user.workspace,
        &changes,
        &actor,
        "manual",
        "manual",
    )
    .await
    {
        Ok((lead, _)) => Ok(Redirect::to(&format!("/leads/{}", lead.id)).into_response()),
        Err(e) => {
            let errors = field_error(&t, e)?;
            form_page(&state, &user, None, v, errors).await
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let v = FormValues(form);
    if !tokens_match(v.get("csrf"), &user.csrf) {
        return Err(PageError::Forbidden(t));
    }
    crate::service::access::ensure_can_see_lead(&state.db, user.workspace, &user.user, id)
        .await
        .map_err(|e| PageError::from_service(t, e))?;
    let mut changes = changes_from_form(&v);
    changes.owner_reason = Some(v.get("owner_reason").to_string());
    let actor = ondo_store::Actor::user(user.user.id, "web");
    match crate::service::leads::update(&state.db, user.workspace, id, &changes, &actor).await {
        Ok(_) => Ok(Redirect::to(&format!("/leads/{id}")).into_response()),
        Err(e) => {
            let errors = field_error(&t, e)?;
            form_page(&state, &user, Some(id), v, errors).await
        }
    }
}
