//! `/segments`: saved lead filters. The list, the editor (every criterion of
//! `ondo_domain::segment` as a form, with a preview: how many leads match now and the
//! newest 20), and delete. Admins, managers and marketing manage segments; a salesperson
//! sees them read-only, previews showing only the leads they may see, and uses them in
//! the lead list (`/leads?segment=ID`).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::LeadStatus;
use ondo_domain::scoring::{EventKind, PageCategory, Temperature};
use ondo_domain::segment::{
    CompanyCriterion, DateRange, FieldOp, Input, OwnerCriterion, Problem, SegmentDefinition,
    SegmentError, format_number, parse_definition,
};
use ondo_store::segments::{self as store, Segment};
use std::collections::HashMap;

use super::leads::LeadRow;
use super::{Chrome, PageError, render};
use crate::api::segments::{SegmentCheck, may_manage_segments, save, scope_for};
use crate::auth::CurrentUser;
use crate::auth::csrf::tokens_match;
use crate::i18n::Tr;
use crate::state::AppState;

const NAV: &str = "leads";
/// Leads the preview lists.
const PREVIEW_ROWS: i64 = 20;
/// Custom-field rows the editor shows at least, and behaviour rows.
const MIN_CUSTOM_ROWS: usize = 3;
const MIN_BEHAVIOUR_ROWS: usize = 2;

/// A date range as typed.
#[derive(Debug, Clone, Default)]
pub struct RangeForm {
    pub from: String,
    pub to: String,
    pub within: String,
    pub older: String,
}

impl RangeForm {
    fn of(r: &Option<DateRange>) -> RangeForm {
        let Some(r) = r else {
            return RangeForm::default();
        };
        let days = |d: Option<i64>| d.map(|d| d.to_string()).unwrap_or_default();
        RangeForm {
            from: r.from.clone().unwrap_or_default(),
            to: r.to.clone().unwrap_or_default(),
            within: days(r.within_days),
            older: days(r.older_than_days),
        }
    }

    fn input(&self) -> Input {
        Input::map([
            ("from", Input::text(&self.from)),
            ("to", Input::text(&self.to)),
            ("within_days", Input::text(&self.within)),
            ("older_than_days", Input::text(&self.older)),
        ])
    }
}

/// One custom-field condition as typed (row `index` of the editor).
#[derive(Debug, Clone, Default)]
pub struct CustomRow {
    pub index: usize,
    pub field: String,
    pub op: String,
    pub value: String,
}

/// One behaviour condition as typed (row `index` of the editor).
#[derive(Debug, Clone, Default)]
pub struct BehaviourRow {
    pub index: usize,
    pub event_type: String,
    pub category: String,
    pub count: String,
    pub days: String,
}

/// The editor's values, as saved or as typed.
#[derive(Debug, Clone, Default)]
pub struct SegmentForm {
    pub name: String,
    pub description: String,
    pub statuses: Vec<String>,
    pub bands: Vec<String>,
    pub min_score: String,
    pub max_score: String,
    pub sources: Vec<String>,
    pub company_id: String,
    pub company_name: String,
    pub owner: String,
    pub custom: Vec<CustomRow>,
    pub behaviour: Vec<BehaviourRow>,
    pub created: RangeForm,
    pub activity: RangeForm,
    pub include_opted_out: bool,
}

impl SegmentForm {
    /// A saved segment's values.
    fn of(name: &str, description: &str, d: &SegmentDefinition) -> SegmentForm {
        let t = d.temperature.clone().unwrap_or_default();
        let (company_id, company_name) = match &d.company {
            Some(CompanyCriterion::Id(id)) => (id.to_string(), String::new()),
            Some(CompanyCriterion::NameContains(n)) => (String::new(), n.clone()),
            None => (String::new(), String::new()),
        };
        let mut f = SegmentForm {
            name: name.to_string(),
            description: description.to_string(),
            statuses: d.statuses.iter().map(|s| s.key().to_string()).collect(),
            bands: t.bands.iter().map(|b| b.key().to_string()).collect(),
            min_score: t.min_score.map(format_number).unwrap_or_default(),
            max_score: t.max_score.map(format_number).unwrap_or_default(),
            sources: d.sources.clone(),
            company_id,
            company_name,
            owner: match d.owner {
                Some(OwnerCriterion::Me) => "me".into(),
                Some(OwnerCriterion::Unassigned) => "unassigned".into(),
                Some(OwnerCriterion::User(id)) => id.to_string(),
                None => String::new(),
            },
            custom: d
                .custom_fields
                .iter()
                .enumerate()
                .map(|(index, c)| CustomRow {
                    index,
                    field: c.field.clone(),
                    op: c.op.key().to_string(),
                    value: c.value.to_string(),
                })
                .collect(),
            behaviour: d
                .behaviour
                .iter()
                .enumerate()
                .map(|(index, b)| BehaviourRow {
                    index,
                    event_type: b
                        .event_type
                        .as_ref()
                        .map(|k| k.key().to_string())
                        .unwrap_or_default(),
                    category: b.category.map(|c| c.key().to_string()).unwrap_or_default(),
                    count: b.min_count.to_string(),
                    days: b.within_days.to_string(),
                })
                .collect(),
            created: RangeForm::of(&d.created),
            activity: RangeForm::of(&d.last_activity),
            include_opted_out: d.include_opted_out,
        };
        f.pad_rows();
        f
    }

    /// The values of a posted form.
    fn from_pairs(pairs: &[(String, String)]) -> SegmentForm {
        let one = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let all = |k: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(key, v)| key == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
                .collect()
        };
        let rows = |prefix: &str, max: usize| -> usize {
            pairs
                .iter()
                .filter_map(|(k, _)| k.strip_prefix(prefix))
                .filter_map(|rest| rest.rsplit('_').next()?.parse::<usize>().ok())
                .filter(|i| *i < max)
                .map(|i| i + 1)
                .max()
                .unwrap_or(0)
        };
        let custom_rows = rows("cf_", ondo_domain::segment::MAX_CUSTOM_FIELD_CONDITIONS);
        let behaviour_rows = rows("bh_", ondo_domain::segment::MAX_BEHAVIOUR_CONDITIONS);
        let range = |p: &str| RangeForm {
            from: one(&format!("{p}_from")),
            to: one(&format!("{p}_to")),
            within: one(&format!("{p}_within")),
            older: one(&format!("{p}_older")),
        };
        let mut f = SegmentForm {
            name: one("name"),
            description: one("description"),
            statuses: all("status"),
            bands: all("band"),
            min_score: one("min_score"),
            max_score: one("max_score"),
            sources: all("source"),
            company_id: one("company_id"),
            company_name: one("company_name"),
            owner: one("owner"),
            custom: (0..custom_rows)
                .map(|i| CustomRow {
                    index: i,
                    field: one(&format!("cf_field_{i}")),
                    op: one(&format!("cf_op_{i}")),
                    value: one(&format!("cf_value_{i}")),
                })
                .collect(),
            behaviour: (0..behaviour_rows)
                .map(|i| BehaviourRow {
                    index: i,
                    event_type: one(&format!("bh_type_{i}")),
                    category: one(&format!("bh_category_{i}")),
                    count: one(&format!("bh_count_{i}")),
                    days: one(&format!("bh_days_{i}")),
                })
                .collect(),
            created: range("created"),
            activity: range("activity"),
            include_opted_out: matches!(one("include_opted_out").as_str(), "on" | "true" | "1"),
        };
        f.pad_rows();
        f
    }

    /// Blank rows to add conditions with.
    fn pad_rows(&mut self) {
        let custom = (self.custom.len() + 1).clamp(
            MIN_CUSTOM_ROWS,
            ondo_domain::segment::MAX_CUSTOM_FIELD_CONDITIONS,
        );
        while self.custom.len() < custom {
            self.custom.push(CustomRow {
                index: self.custom.len(),
                op: "eq".into(),
                ..Default::default()
            });
        }
        let behaviour = (self.behaviour.len() + 1).clamp(
            MIN_BEHAVIOUR_ROWS,
            ondo_domain::segment::MAX_BEHAVIOUR_CONDITIONS,
        );
        while self.behaviour.len() < behaviour {
            self.behaviour.push(BehaviourRow {
                index: self.behaviour.len(),
                ..Default::default()
            });
        }
    }

    /// The definition part, for the parser (blank rows are left out).
    fn definition_input(&self) -> Input {
        let list = |v: &[String]| Input::List(v.iter().map(|s| Input::text(s)).collect());
        let custom = self
            .custom
            .iter()
            .map(|r| {
                if r.field.trim().is_empty() && r.value.trim().is_empty() {
                    Input::Null
                } else {
                    Input::map([
                        ("field", Input::text(&r.field)),
                        ("op", Input::text(&r.op)),
                        ("value", Input::text(&r.value)),
                    ])
                }
            })
            .collect();
        let behaviour = self
            .behaviour
            .iter()
            .map(|r| {
                if [&r.event_type, &r.category, &r.count, &r.days]
                    .iter()
                    .all(|s| s.trim().is_empty())
                {
                    Input::Null
                } else {
                    Input::map([
                        ("type", Input::text(&r.event_type)),
                        ("category", Input::text(&r.category)),
                        ("min_count", Input::text(&r.count)),
                        ("within_days", Input::text(&r.days)),
                    ])
                }
            })
            .collect();
        Input::map([
            ("statuses", list(&self.statuses)),
            (
                "temperature",
                Input::map([
                    ("bands", list(&self.bands)),
                    ("min_score", Input::text(&self.min_score)),
                    ("max_score", Input::text(&self.max_score)),
                ]),
            ),
            ("sources", list(&self.sources)),
            (
                "company",
                Input::map([
                    ("id", Input::text(&self.company_id)),
                    ("name_contains", Input::text(&self.company_name)),
                ]),
            ),
            ("owner", Input::text(&self.owner)),
            ("custom_fields", Input::List(custom)),
            ("behaviour", Input::List(behaviour)),
            ("created", self.created.input()),
            ("last_activity", self.activity.input()),
            ("include_opted_out", Input::Bool(self.include_opted_out)),
        ])
    }

    /// The whole segment, for the parser.
    fn input(&self) -> Input {
        Input::map([
            ("name", Input::text(&self.name)),
            ("description", Input::text(&self.description)),
            ("definition", self.definition_input()),
        ])
    }

    pub fn has_status(&self, key: &str) -> bool {
        self.statuses.iter().any(|s| s == key)
    }
    pub fn has_band(&self, key: &str) -> bool {
        self.bands.iter().any(|s| s == key)
    }
    pub fn has_source(&self, s: &str) -> bool {
        self.sources.iter().any(|v| v == s)
    }
}

/// A value and its label, for check boxes and select boxes.
pub struct Opt {
    pub value: String,
    pub label: String,
}

fn opt(value: impl Into<String>, label: impl Into<String>) -> Opt {
    Opt {
        value: value.into(),
        label: label.into(),
    }
}

/// The label of an input field path (`definition.behaviour[1].within_days`).
fn field_label(t: &Tr, path: &str) -> String {
    let rest = path.strip_prefix("definition.").unwrap_or(path);
    let (head, tail) = match rest.split_once('.') {
        Some((h, tail)) => (h, tail),
        None => (rest, ""),
    };
    let (part, row) = match head.split_once('[') {
        Some((p, i)) => (
            p,
            i.trim_end_matches(']').parse::<usize>().ok().map(|i| i + 1),
        ),
        None => (head, None),
    };
    let key = match (part, tail) {
        ("name", _) => "segments-field-name",
        ("description", _) => "segments-field-description",
        ("statuses", _) => "segments-section-status",
        ("temperature", "bands") => "segments-field-bands",
        ("temperature", "min_score") => "segments-field-min-score",
        ("temperature", "max_score") => "segments-field-max-score",
        ("temperature", _) => "segments-section-temperature",
        ("sources", _) => "segments-section-source",
        ("company", "id") => "segments-field-company-id",
        ("company", "name_contains") => "segments-field-company-name",
        ("company", _) => "segments-section-company",
        ("owner", _) => "segments-section-owner",
        ("custom_fields", "field") => "segments-field-custom-field",
        ("custom_fields", "op") => "segments-field-custom-op",
        ("custom_fields", "value") => "segments-field-custom-value",
        ("custom_fields", _) => "segments-section-custom",
        ("behaviour", "type") => "segments-field-event-type",
        ("behaviour", "category") => "segments-field-category",
        ("behaviour", "min_count") => "segments-field-min-count",
        ("behaviour", "within_days") => "segments-field-within-days",
        ("behaviour", _) => "segments-section-behaviour",
        ("created" | "last_activity", "from") => "segments-field-from",
        ("created" | "last_activity", "to") => "segments-field-to",
        ("created" | "last_activity", "within_days") => "segments-field-within",
        ("created" | "last_activity", "older_than_days") => "segments-field-older",
        ("created", _) => "segments-section-created",
        ("last_activity", _) => "segments-section-activity",
        ("include_opted_out", _) => "segments-field-include-opted-out",
        _ => return path.to_string(),
    };
    let label = t.t(key);
    let section = match part {
        "custom_fields" if !tail.is_empty() => Some("segments-section-custom"),
        "behaviour" if !tail.is_empty() => Some("segments-section-behaviour"),
        "created" if !tail.is_empty() => Some("segments-section-created"),
        "last_activity" if !tail.is_empty() => Some("segments-section-activity"),
        _ => None,
    };
    match (section, row) {
        (Some(s), Some(n)) => t.tn(
            "segments-row-label",
            &[
                ("section", t.t(s)),
                ("row", n.to_string()),
                ("field", label),
            ],
        ),
        (Some(s), None) => format!("{} / {label}", t.t(s)),
        (None, Some(n)) => t.tn(
            "segments-item-label",
            &[("field", label), ("row", n.to_string())],
        ),
        (None, None) => label,
    }
}

/// What is wrong, in the reader's language.
fn problem_text(t: &Tr, p: &Problem) -> String {
    match p {
        Problem::Required => t.t("segments-problem-required"),
        Problem::NotText => t.t("segments-problem-not-text"),
        Problem::NotAnInteger => t.t("segments-problem-not-integer"),
        Problem::NotANumber => t.t("segments-problem-not-number"),
        Problem::NotABool => t.t("segments-problem-not-bool"),
        Problem::NotAList | Problem::NotAnObject => t.t("segments-problem-shape"),
        Problem::OutOfRange { min, max } => t.tn(
            "segments-problem-range",
            &[("min", min.to_string()), ("max", max.to_string())],
        ),
        Problem::TooLong { max } => t.t1("segments-problem-too-long", "max", &max.to_string()),
        Problem::TooMany { max } => t.t1("segments-problem-too-many", "max", &max.to_string()),
        Problem::NotOneOf { got, .. } => t.t1("segments-problem-not-one-of", "got", got),
        Problem::UnknownField { .. } => t.t("segments-problem-unknown-field"),
        Problem::NotADate => t.t("segments-problem-date"),
        Problem::EndBeforeStart { start } => {
            t.t1("segments-problem-end-before-start", "start", start)
        }
        Problem::CompanyBoth => t.t("segments-problem-company-both"),
        Problem::CategoryNeedsPageView => t.t("segments-problem-category"),
        Problem::BadFieldName => t.t("segments-problem-field-name"),
        Problem::NoSuch => t.t("segments-problem-no-such"),
        Problem::NameTaken => t.t("segments-problem-name-taken"),
        Problem::BadEventType(got) => t.t1("segments-problem-event-type", "got", got),
    }
}

fn error_text(t: &Tr, e: &SegmentError) -> String {
    t.tn(
        "segments-error",
        &[
            ("field", field_label(t, &e.field)),
            ("problem", problem_text(t, &e.problem)),
        ],
    )
}

/// A definition in words, one line per criterion.
fn describe(
    t: &Tr,
    d: &SegmentDefinition,
    users: &HashMap<i64, String>,
    companies: &HashMap<i64, String>,
) -> Vec<String> {
    let en = t.code() == "en";
    let mut out = Vec::new();
    let line = |key: &str, value: String| {
        t.tn(
            "segments-summary-line",
            &[("label", t.t(key)), ("value", value)],
        )
    };
    if !d.statuses.is_empty() {
        let v: Vec<String> = d.statuses.iter().map(|s| t.status(s.key())).collect();
        out.push(line("segments-section-status", v.join(", ")));
    }
    if let Some(temp) = &d.temperature {
        let mut parts: Vec<String> = temp
            .bands
            .iter()
            .map(|b| t.t(&format!("temperature-{}", b.key())))
            .collect();
        if let Some(n) = temp.min_score {
            parts.push(t.t1("segments-summary-min-score", "n", &format_number(n)));
        }
        if let Some(n) = temp.max_score {
            parts.push(t.t1("segments-summary-max-score", "n", &format_number(n)));
        }
        out.push(line("segments-section-temperature", parts.join(", ")));
    }
    if !d.sources.is_empty() {
        out.push(line("segments-section-source", d.sources.join(", ")));
    }
    match &d.company {
        Some(CompanyCriterion::Id(id)) => out.push(line(
            "segments-section-company",
            companies
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("#{id}")),
        )),
        Some(CompanyCriterion::NameContains(n)) => out.push(line(
            "segments-section-company",
            t.t1("segments-summary-contains", "text", n),
        )),
        None => {}
    }
    match d.owner {
        Some(OwnerCriterion::Me) => {
            out.push(line("segments-section-owner", t.t("segments-owner-me")))
        }
        Some(OwnerCriterion::Unassigned) => out.push(line(
            "segments-section-owner",
            t.t("segments-owner-unassigned"),
        )),
        Some(OwnerCriterion::User(id)) => out.push(line(
            "segments-section-owner",
            users.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
        )),
        None => {}
    }
    for c in &d.custom_fields {
        out.push(line(
            "segments-section-custom",
            format!("{} {} {}", c.field, c.op.symbol(), c.value),
        ));
    }
    for b in &d.behaviour {
        let what = match (&b.event_type, b.category) {
            (_, Some(c)) => {
                if en {
                    c.label_en().to_string()
                } else {
                    c.label_ja().to_string()
                }
            }
            (Some(k), None) => {
                if en {
                    k.label_en()
                } else {
                    k.label_ja()
                }
            }
            (None, None) => t.t("segments-any-type"),
        };
        out.push(line(
            "segments-section-behaviour",
            t.tn(
                "segments-summary-behaviour",
                &[
                    ("days", b.within_days.to_string()),
                    ("what", what),
                    ("count", b.min_count.to_string()),
                ],
            ),
        ));
    }
    for (key, range) in [
        ("segments-section-created", &d.created),
        ("segments-section-activity", &d.last_activity),
    ] {
        if let Some(r) = range {
            let mut parts = Vec::new();
            if r.from.is_some() || r.to.is_some() {
                parts.push(format!(
                    "{} 〜 {}",
                    r.from.clone().unwrap_or_default(),
                    r.to.clone().unwrap_or_default()
                ));
            }
            if let Some(n) = r.within_days {
                parts.push(t.t1("segments-summary-within", "n", &n.to_string()));
            }
            if let Some(n) = r.older_than_days {
                parts.push(t.t1("segments-summary-older", "n", &n.to_string()));
            }
            out.push(line(key, parts.join(", ")));
        }
    }
    out.push(if d.include_opted_out {
        t.t("segments-summary-opted-out-included")
    } else {
        t.t("segments-summary-opted-out-excluded")
    });
    out
}

fn forbid_unless_manager(user: &CurrentUser) -> Result<(), PageError> {
    if may_manage_segments(user.role()) {
        Ok(())
    } else {
        Err(PageError::Forbidden(user.tr))
    }
}

fn check_csrf(user: &CurrentUser, pairs: &[(String, String)]) -> Result<(), PageError> {
    let sent = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if tokens_match(sent, &user.csrf) {
        Ok(())
    } else {
        Err(PageError::Forbidden(user.tr))
    }
}

async fn user_names(
    state: &AppState,
    user: &CurrentUser,
) -> Result<HashMap<i64, String>, PageError> {
    Ok(ondo_store::users::list(&state.db, user.workspace)
        .await
        .map_err(PageError::store(user.tr))?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// One segment in the list.
pub struct SegmentRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub summary: Vec<String>,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "segments.html")]
struct ListPage {
    c: Chrome,
    t: Tr,
    rows: Vec<SegmentRow>,
    can_manage: bool,
    notice: String,
}

/// `GET /segments`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let segments = store::list(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let users = user_names(&state, &user).await?;
    let rows = segments
        .iter()
        .map(|s| SegmentRow {
            id: s.id,
            name: s.name.clone(),
            description: s.description.clone(),
            summary: describe(&t, &s.definition, &users, &HashMap::new()),
            updated: t.date(s.updated_at),
        })
        .collect();
    let notice = if q.contains_key("deleted") {
        t.t("segments-deleted")
    } else {
        String::new()
    };
    Ok(render(&ListPage {
        c: Chrome::new(&user, NAV, "/segments"),
        t,
        rows,
        can_manage: may_manage_segments(user.role()),
        notice,
    }))
}

/// What the preview shows.
pub struct Preview {
    pub count: i64,
    pub rows: Vec<LeadRow>,
}

#[derive(Template)]
#[template(path = "segment.html")]
struct EditPage {
    c: Chrome,
    t: Tr,
    /// The saved segment; none for a new one.
    id: Option<i64>,
    title: String,
    can_manage: bool,
    f: SegmentForm,
    error: String,
    notice: String,
    preview: Option<Preview>,
    /// The definition in words (the read-only view).
    summary: Vec<String>,
    statuses: Vec<Opt>,
    bands: Vec<Opt>,
    sources: Vec<Opt>,
    owners: Vec<Opt>,
    event_types: Vec<Opt>,
    categories: Vec<Opt>,
    ops: Vec<Opt>,
    field_names: Vec<String>,
}

async fn preview(
    state: &AppState,
    user: &CurrentUser,
    d: &SegmentDefinition,
) -> Result<Preview, PageError> {
    let t = user.tr;
    let scope = scope_for(&user.user);
    let count = store::count(&state.db, user.workspace, d, &scope, &[])
        .await
        .map_err(PageError::store(t))?;
    let leads = store::leads(
        &state.db,
        user.workspace,
        d,
        &scope,
        &[],
        None,
        PREVIEW_ROWS,
    )
    .await
    .map_err(PageError::store(t))?;
    Ok(Preview {
        count,
        rows: leads.iter().map(|l| LeadRow::of(l, &t)).collect(),
    })
}

/// What the editor shows besides the form.
struct Shown {
    status: StatusCode,
    error: String,
    notice: String,
    preview: Option<Preview>,
    summary: Vec<String>,
}

async fn edit_page(
    state: &AppState,
    user: &CurrentUser,
    id: Option<i64>,
    f: SegmentForm,
    shown: Shown,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let summary = state
        .summaries
        .get(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let mut sources: Vec<Opt> = summary
        .sources
        .iter()
        .map(|(s, n)| opt(s.clone(), format!("{s} ({n})")))
        .collect();
    for s in &f.sources {
        if !sources.iter().any(|o| &o.value == s) {
            sources.push(opt(s.clone(), s.clone()));
        }
    }
    let users = ondo_store::users::list(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let mut owners = vec![
        opt("", t.t("segments-owner-any")),
        opt("me", t.t("segments-owner-me")),
        opt("unassigned", t.t("segments-owner-unassigned")),
    ];
    owners.extend(users.iter().map(|u| {
        opt(
            u.id.to_string(),
            format!("{} ({})", u.display_name, t.role(u.role())),
        )
    }));
    let en = t.code() == "en";
    let mut event_types = vec![opt("", t.t("segments-any-type"))];
    event_types.extend(
        EventKind::BUILT_IN
            .iter()
            .map(|k| opt(k.key(), if en { k.label_en() } else { k.label_ja() })),
    );
    for r in &f.behaviour {
        if !r.event_type.is_empty() && !event_types.iter().any(|o| o.value == r.event_type) {
            event_types.push(opt(r.event_type.clone(), r.event_type.clone()));
        }
    }
    let mut categories = vec![opt("", t.t("segments-any-category"))];
    categories.extend(
        PageCategory::ALL
            .iter()
            .map(|c| opt(c.key(), if en { c.label_en() } else { c.label_ja() })),
    );
    let field_names = store::custom_field_names(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let title = match id {
        Some(_) if !f.name.is_empty() => f.name.clone(),
        Some(_) => t.t("segments-title"),
        None => t.t("segments-new"),
    };
    let path = match id {
        Some(id) => format!("/segments/{id}"),
        None => "/segments/new".into(),
    };
    let page = EditPage {
        c: Chrome::new(user, NAV, &path),
        t,
        id,
        title,
        can_manage: may_manage_segments(user.role()),
        f,
        error: shown.error,
        notice: shown.notice,
        preview: shown.preview,
        summary: shown.summary,
        statuses: LeadStatus::ALL
            .iter()
            .map(|s| opt(s.key(), t.status(s.key())))
            .collect(),
        bands: [Temperature::Hot, Temperature::Warm, Temperature::Cold]
            .iter()
            .map(|b| opt(b.key(), t.t(&format!("temperature-{}", b.key()))))
            .collect(),
        sources,
        owners,
        event_types,
        categories,
        ops: FieldOp::ALL
            .iter()
            .map(|o| opt(o.key(), t.t(&format!("segments-op-{}", o.key()))))
            .collect(),
        field_names,
    };
    Ok((shown.status, render(&page)).into_response())
}

/// `GET /segments/new`.
pub async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    forbid_unless_manager(&user)?;
    let mut f = SegmentForm::default();
    f.pad_rows();
    let preview = preview(&state, &user, &SegmentDefinition::default()).await?;
    let shown = Shown {
        status: StatusCode::OK,
        error: String::new(),
        notice: String::new(),
        preview: Some(preview),
        summary: Vec::new(),
    };
    edit_page(&state, &user, None, f, shown).await
}

async fn find(state: &AppState, user: &CurrentUser, id: i64) -> Result<Segment, PageError> {
    store::get(&state.db, user.workspace, id)
        .await
        .map_err(PageError::store(user.tr))?
        .ok_or(PageError::NotFound(user.tr))
}

/// `GET /segments/{id}`: the editor (read-only for sales) with the preview.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let seg = find(&state, &user, id).await?;
    let users = user_names(&state, &user).await?;
    let mut companies = HashMap::new();
    if let Some(CompanyCriterion::Id(cid)) = seg.definition.company
        && let Ok(c) = ondo_store::companies::get(&state.db, user.workspace, cid).await
    {
        companies.insert(cid, c.display_name);
    }
    let preview = preview(&state, &user, &seg.definition).await?;
    let shown = Shown {
        status: StatusCode::OK,
        error: String::new(),
        notice: if q.contains_key("saved") {
            t.t("segments-saved")
        } else {
            String::new()
        },
        preview: Some(preview),
        summary: describe(&t, &seg.definition, &users, &companies),
    };
    let f = SegmentForm::of(&seg.name, &seg.description, &seg.definition);
    edit_page(&state, &user, Some(id), f, shown).await
}

/// Saves (or, with `action=preview`, only previews) the posted editor.
async fn submit(
    state: &AppState,
    user: &CurrentUser,
    id: Option<i64>,
    pairs: &[(String, String)],
) -> Result<Response, PageError> {
    let t = user.tr;
    let f = SegmentForm::from_pairs(pairs);
    let previewing = pairs.iter().any(|(k, v)| k == "action" && v == "preview");
    let failed = |e: &SegmentError| Shown {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        error: error_text(&t, e),
        notice: String::new(),
        preview: None,
        summary: Vec::new(),
    };
    if previewing {
        let shown = match parse_definition(&f.definition_input()) {
            Ok(d) => Shown {
                status: StatusCode::OK,
                error: String::new(),
                notice: t.t("segments-preview-unsaved"),
                preview: Some(preview(state, user, &d).await?),
                summary: Vec::new(),
            },
            Err(e) => failed(&e),
        };
        return edit_page(state, user, id, f, shown).await;
    }
    let actor = ondo_store::Actor::user(user.user.id, "web");
    match save(&state.db, user.workspace, id, &f.input(), &actor).await {
        Ok(seg) => Ok(Redirect::to(&format!("/segments/{}?saved=1", seg.id)).into_response()),
        Err(SegmentCheck::Invalid(e)) => edit_page(state, user, id, f, failed(&e)).await,
        Err(SegmentCheck::NotFound) => Err(PageError::NotFound(t)),
        Err(SegmentCheck::Store(e)) => Err(PageError::store(t)(e)),
    }
}

/// `POST /segments`.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    check_csrf(&user, &pairs)?;
    forbid_unless_manager(&user)?;
    submit(&state, &user, None, &pairs).await
}

/// `POST /segments/{id}`.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    check_csrf(&user, &pairs)?;
    forbid_unless_manager(&user)?;
    find(&state, &user, id).await?;
    submit(&state, &user, Some(id), &pairs).await
}

/// `POST /segments/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    check_csrf(&user, &pairs)?;
    forbid_unless_manager(&user)?;
    let actor = ondo_store::Actor::user(user.user.id, "web");
    match store::delete(&state.db, user.workspace, id, &actor).await {
        Ok(()) => Ok(Redirect::to("/segments?deleted=1").into_response()),
        Err(e) => Err(PageError::store(user.tr)(e)),
    }
}
