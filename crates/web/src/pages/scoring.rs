//! `/settings/scoring`: the scoring and handoff rules, written out in words for everyone
//! (they are marketing's and sales' shared language), editable by admins, managers and
//! marketing as a form or as TOML, versioned, with the rescoring that follows a change.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::scoring::{
    AssignField, AssignmentRule, FitGrade, PageCategory, ScoringRules, UrlRule, format_points,
};
use ondo_jobs::scoring::rules_change::{RESCORE_JOB, save_rules};

use super::leads::Choice;
use super::{Chrome, PageError, check_form_csrf, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::state::AppState;

/// Largest TOML file accepted on import.
pub const MAX_TOML_BYTES: usize = 256 * 1024;
/// Versions listed on the page.
const VERSIONS_SHOWN: i64 = 20;
/// Longest day count accepted in the day settings (ten years).
const MAX_DAYS: f64 = 3650.0;

/// A number in the rules, by its TOML path.
struct NumSetting {
    key: &'static str,
    get: fn(&ScoringRules) -> f64,
    set: fn(&mut ScoringRules, f64),
    /// Whole numbers only (counts of days and events).
    whole: bool,
}

macro_rules! num {
    ($key:literal, $($path:ident).+) => {
        NumSetting {
            key: $key,
            get: |r| r.$($path).+,
            set: |r, v| r.$($path).+ = v,
            whole: false,
        }
    };
    ($key:literal, $($path:ident).+ ; whole) => {
        NumSetting {
            key: $key,
            get: |r| f64::from(r.$($path).+),
            set: |r, v| r.$($path).+ = v as u32,
            whole: true,
        }
    };
}

/// The groups of the form, each a heading and its numbers.
fn groups() -> Vec<(&'static str, Vec<NumSetting>)> {
    vec![
        (
            "decay",
            vec![
                num!("half_life_days", half_life_days),
                num!("bands.hot", bands.hot),
                num!("bands.warm", bands.warm),
            ],
        ),
        (
            "points",
            vec![
                num!("points.email_open", points.email_open),
                num!("points.email_click", points.email_click),
                num!("points.page_view.product", points.page_view.product),
                num!("points.page_view.case_study", points.page_view.case_study),
                num!("points.page_view.document", points.page_view.document),
                num!("points.page_view.other", points.page_view.other),
                num!("points.download", points.download),
                num!("points.form_submit", points.form_submit),
                num!("points.webinar_attend", points.webinar_attend),
                num!("points.custom_default", points.custom_default),
            ],
        ),
        (
            "daily_cap",
            vec![
                num!("daily_cap.email_open", daily_cap.email_open),
                num!("daily_cap.email_click", daily_cap.email_click),
                num!("daily_cap.page_view", daily_cap.page_view),
                num!("daily_cap.download", daily_cap.download),
                num!("daily_cap.form_submit", daily_cap.form_submit),
                num!("daily_cap.webinar_attend", daily_cap.webinar_attend),
                num!("daily_cap.custom", daily_cap.custom),
            ],
        ),
        (
            "handoff",
            vec![
                num!("handoff.mql_engagement", handoff.mql_engagement),
                num!("handoff.sql_engagement", handoff.sql_engagement),
                num!("handoff.sql_followups", handoff.sql_followups; whole),
                num!("handoff.sql_followup_days", handoff.sql_followup_days; whole),
                num!("handoff.dormant_days", handoff.dormant_days; whole),
            ],
        ),
        (
            "fit",
            vec![
                num!("fit.company_known", fit.company_known),
                num!("fit.department_known", fit.department_known),
                num!("fit.corporate_email", fit.corporate_email),
                num!("fit.title_executive", fit.title_executive),
                num!("fit.title_manager", fit.title_manager),
                num!("fit.title_staff", fit.title_staff),
                num!("fit.grade_a", fit.grade_a),
                num!("fit.grade_b", fit.grade_b),
                num!("fit.grade_c", fit.grade_c),
            ],
        ),
    ]
}

/// The Fluent key of a setting's label: `scoring-f-points-page_view-product`.
fn label_key(key: &str) -> String {
    format!("scoring-f-{}", key.replace('.', "-"))
}

/// One number input of the form.
pub struct NumField {
    pub key: &'static str,
    pub id: String,
    pub label: String,
    pub value: String,
    pub error: String,
    pub step: &'static str,
}

/// A heading and its inputs.
pub struct FieldGroup {
    pub id: &'static str,
    pub title: String,
    pub fields: Vec<NumField>,
}

/// One saved version in the list.
pub struct VersionRow {
    pub version: i64,
    pub by: String,
    pub when: String,
    pub current: bool,
}

/// The latest rescoring job, for the progress bar.
pub struct RescoreView {
    pub state: String,
    pub state_label: String,
    pub count_text: String,
    pub permille: i64,
    pub percent: i64,
    pub active: bool,
    pub error: Option<String>,
    pub when: String,
}

#[derive(Template)]
#[template(path = "settings_scoring.html")]
struct ScoringPage {
    c: Chrome,
    t: Tr,
    can_edit: bool,
    version_text: String,
    criteria: Vec<String>,
    groups: Vec<FieldGroup>,
    grades: Vec<Choice>,
    grade_error: String,
    page_rules: String,
    page_rules_error: String,
    assignment: String,
    assignment_error: String,
    note: String,
    toml_text: String,
    toml_error: String,
    has_errors: bool,
    versions: Vec<VersionRow>,
    rescore: Option<RescoreView>,
    saved_text: Option<String>,
}

/// The MQL criterion in words.
pub(super) fn mql_criterion(t: &Tr, r: &ScoringRules) -> String {
    t.tn(
        "scoring-criteria-mql",
        &[("points", format_points(r.handoff.mql_engagement))],
    )
}

/// The SQL criterion in words.
pub(super) fn sql_criterion(t: &Tr, r: &ScoringRules) -> String {
    let h = &r.handoff;
    t.tn(
        "scoring-criteria-sql",
        &[
            ("days", h.sql_followup_days.to_string()),
            ("actions", h.sql_followups.to_string()),
            ("points", format_points(h.sql_engagement)),
            ("grade", h.sql_min_fit_grade.key().to_string()),
        ],
    )
}

/// The criteria in words, as the status definitions read them.
fn criteria(t: &Tr, r: &ScoringRules) -> Vec<String> {
    let h = &r.handoff;
    vec![
        mql_criterion(t, r),
        sql_criterion(t, r),
        t.tn(
            "scoring-criteria-dormant",
            &[("days", h.dormant_days.to_string())],
        ),
        t.tn(
            "scoring-criteria-decay",
            &[
                ("days", format_points(r.half_life_days)),
                ("hot", format_points(r.bands.hot)),
                ("warm", format_points(r.bands.warm)),
            ],
        ),
        if r.assignment.is_empty() {
            t.t("scoring-criteria-round-robin")
        } else {
            t.tn(
                "scoring-criteria-assignment",
                &[("rules", r.assignment.len().to_string())],
            )
        },
    ]
}

/// Page rules as lines of the text area: `pattern, category`.
fn page_rules_text(rules: &[UrlRule]) -> String {
    rules
        .iter()
        .map(|r| format!("{}, {}", r.pattern, r.category.key()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Assignment rules as lines of the text area: `field, contains, owner`.
fn assignment_text(rules: &[AssignmentRule]) -> String {
    rules
        .iter()
        .map(|r| format!("{}, {}, {}", r.field.key(), r.contains, r.owner))
        .collect::<Vec<_>>()
        .join("\n")
}

fn nonblank_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn parse_page_rules(t: &Tr, text: &str) -> Result<Vec<UrlRule>, String> {
    nonblank_lines(text)
        .map(|(n, line)| {
            let bad = || {
                t.tn(
                    "scoring-error-page-rule",
                    &[("line", n.to_string()), ("text", line.to_string())],
                )
            };
            let (pattern, category) = line.rsplit_once(',').ok_or_else(bad)?;
            let category = PageCategory::parse(category.trim()).map_err(|_| bad())?;
            let pattern = pattern.trim();
            if pattern.is_empty() {
                return Err(bad());
            }
            Ok(UrlRule::new(pattern, category))
        })
        .collect()
}

fn parse_assignment(t: &Tr, text: &str) -> Result<Vec<AssignmentRule>, String> {
    nonblank_lines(text)
        .map(|(n, line)| {
            let bad = || {
                t.tn(
                    "scoring-error-assignment",
                    &[("line", n.to_string()), ("text", line.to_string())],
                )
            };
            let parts: Vec<&str> = line.split(',').map(str::trim).collect();
            let [field, contains, owner] = parts[..] else {
                return Err(bad());
            };
            let field = AssignField::parse(field).map_err(|_| bad())?;
            if contains.is_empty() || ondo_domain::Email::parse(owner).is_err() {
                return Err(bad());
            }
            Ok(AssignmentRule {
                field,
                contains: contains.to_string(),
                owner: owner.to_lowercase(),
            })
        })
        .collect()
}

/// What the form holds: typed values (kept as typed when wrong) and the errors by field.
#[derive(Default)]
struct Edit {
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    toml_text: String,
    toml_error: String,
    note: String,
}

/// Reads the form over the current rules: settings the form does not show (custom points,
/// fit criteria) are kept. Errors name each field in the user's language.
fn rules_from_form(
    t: &Tr,
    current: &ScoringRules,
    v: &HashMap<String, String>,
) -> Result<ScoringRules, HashMap<String, String>> {
    let mut rules = current.clone();
    let mut errors = HashMap::new();
    for (_, settings) in groups() {
        for s in settings {
            let raw = v.get(s.key).map(|x| x.trim()).unwrap_or("");
            let parsed = raw
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0);
            match parsed {
                Some(n) if s.whole && (n.fract() != 0.0 || n > MAX_DAYS) => {
                    errors.insert(
                        s.key.to_string(),
                        t.tn("scoring-error-whole", &[("max", format_points(MAX_DAYS))]),
                    );
                }
                Some(n) => (s.set)(&mut rules, n),
                None => {
                    errors.insert(s.key.to_string(), t.t("scoring-error-number"));
                }
            }
        }
    }
    match v
        .get("handoff.sql_min_fit_grade")
        .and_then(|g| FitGrade::ALL.into_iter().find(|x| x.key() == g.trim()))
    {
        Some(g) => rules.handoff.sql_min_fit_grade = g,
        None => {
            errors.insert(
                "handoff.sql_min_fit_grade".into(),
                t.t("scoring-error-grade"),
            );
        }
    }
    match parse_page_rules(t, v.get("page_rules").map(String::as_str).unwrap_or("")) {
        Ok(r) => rules.page_rules = r,
        Err(e) => {
            errors.insert("page_rules".into(), e);
        }
    }
    match parse_assignment(t, v.get("assignment").map(String::as_str).unwrap_or("")) {
        Ok(r) => rules.assignment = r,
        Err(e) => {
            errors.insert("assignment".into(), e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Rules that are each fine may still disagree (hot below warm…): the domain names
    // the setting; its message is shown next to it.
    rules.validate().map_err(|e| domain_error(t, &e))?;
    Ok(rules)
}

/// A domain validation error as (field → message); settings without an input of their own
/// are shown with the TOML.
fn domain_error(t: &Tr, e: &ondo_domain::DomainError) -> HashMap<String, String> {
    let (field, message) = (e.field().to_string(), e.message().to_string());
    let shown = groups()
        .iter()
        .flat_map(|(_, s)| s.iter().map(|s| s.key))
        .chain(["page_rules", "assignment", "handoff.sql_min_fit_grade"])
        .any(|k| k == field);
    let field = if shown { field } else { "toml".to_string() };
    let text = t.tn(
        "scoring-error-rule",
        &[("field", field.clone()), ("message", message)],
    );
    HashMap::from([(field, text)])
}

fn may_edit(user: &CurrentUser) -> Result<(), PageError> {
    if user.role().can_edit_scoring() {
        Ok(())
    } else {
        Err(PageError::Forbidden(user.tr))
    }
}

async fn rescore_view(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Option<RescoreView>, PageError> {
    let t = user.tr;
    let job = ondo_store::jobs::latest(&state.db, user.workspace, RESCORE_JOB)
        .await
        .map_err(PageError::store(t))?;
    Ok(job.map(|j| {
        let active = j.state == "queued" || j.state == "running";
        let permille = if j.progress_total > 0 {
            (j.progress_done * 1000 / j.progress_total).clamp(0, 1000)
        } else if j.state == "done" {
            1000
        } else {
            0
        };
        RescoreView {
            state_label: t.t(&format!("scoring-rescore-{}", j.state)),
            state: j.state,
            count_text: t.tn(
                "scoring-rescore-count",
                &[
                    ("done", j.progress_done.to_string()),
                    ("total", j.progress_total.to_string()),
                ],
            ),
            permille,
            percent: permille / 10,
            active,
            error: j.last_error.filter(|_| !active),
            when: t.datetime(j.updated_at),
        }
    }))
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    edit: Option<Edit>,
    saved: Option<i64>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let (version, rules) = ondo_jobs::scoring::workspace_rules(&state.db, ws)
        .await
        .map_err(PageError::store(t))?;
    let history = ondo_store::scoring_rules::history(&state.db, ws, VERSIONS_SHOWN)
        .await
        .map_err(PageError::store(t))?;
    let current = history.first();
    let edit = edit.unwrap_or_default();
    let typed = |key: &str, default: String| edit.values.get(key).cloned().unwrap_or(default);
    let error = |key: &str| edit.errors.get(key).cloned().unwrap_or_default();
    let groups = groups()
        .into_iter()
        .map(|(id, settings)| FieldGroup {
            id,
            title: t.t(&format!("scoring-group-{id}")),
            fields: settings
                .into_iter()
                .map(|s| NumField {
                    key: s.key,
                    id: format!("s-{}", s.key.replace('.', "-")),
                    label: t.t(&label_key(s.key)),
                    value: typed(s.key, format_points((s.get)(&rules))),
                    error: error(s.key),
                    step: if s.whole { "1" } else { "any" },
                })
                .collect(),
        })
        .collect();
    let grade = typed(
        "handoff.sql_min_fit_grade",
        rules.handoff.sql_min_fit_grade.key().to_string(),
    );
    let status = if edit.errors.is_empty() && edit.toml_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let rescore = rescore_view(state, user).await?;
    let refresh = rescore.as_ref().is_some_and(|r| r.active);
    let page = ScoringPage {
        c: Chrome::new(user, "scoring", "/settings/scoring"),
        t,
        can_edit: user.role().can_edit_scoring(),
        version_text: match current {
            Some(c) if version > 0 => t.tn(
                "scoring-version",
                &[
                    ("version", version.to_string()),
                    ("by", c.created_by_name.clone().unwrap_or_default()),
                    ("at", t.datetime(c.created_at)),
                ],
            ),
            _ => t.t("scoring-version-default"),
        },
        criteria: criteria(&t, &rules),
        groups,
        grades: FitGrade::ALL
            .into_iter()
            .map(|g| Choice {
                value: g.key().into(),
                label: g.key().into(),
                selected: g.key() == grade,
            })
            .collect(),
        grade_error: error("handoff.sql_min_fit_grade"),
        page_rules: typed("page_rules", page_rules_text(&rules.page_rules)),
        page_rules_error: error("page_rules"),
        assignment: typed("assignment", assignment_text(&rules.assignment)),
        assignment_error: error("assignment"),
        note: edit.note.clone(),
        toml_text: edit.toml_text.clone(),
        toml_error: if edit.toml_error.is_empty() {
            error("toml")
        } else {
            edit.toml_error.clone()
        },
        has_errors: !edit.errors.is_empty(),
        versions: history
            .iter()
            .map(|h| VersionRow {
                version: h.version,
                by: h.created_by_name.clone().unwrap_or_default(),
                when: t.datetime(h.created_at),
                current: h.version == version,
            })
            .collect(),
        rescore,
        saved_text: saved.map(|v| t.tn("scoring-saved", &[("version", v.to_string())])),
    };
    let mut resp = (status, render(&page)).into_response();
    if refresh {
        // The bar moves without a script (the CSP allows none inline).
        resp.headers_mut()
            .insert("Refresh", HeaderValue::from_static("2"));
    }
    Ok(resp)
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let saved = q.get("saved").and_then(|v| v.parse().ok());
    page(&state, &user, None, saved).await
}

async fn save_and_redirect(
    state: &AppState,
    user: &CurrentUser,
    rules: &ScoringRules,
    note: &str,
) -> Result<Response, PageError> {
    let actor = ondo_store::Actor::user(user.user.id, "web");
    let saved = save_rules(&state.db, user.workspace, rules, &actor, note)
        .await
        .map_err(PageError::store(user.tr))?;
    Ok(Redirect::to(&format!(
        "/settings/scoring?saved={}#rescore",
        saved.version
    ))
    .into_response())
}

/// The form: numbers, page rules and assignment rules.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_edit(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let (_, current) = ondo_jobs::scoring::workspace_rules(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let note: String = v
        .get("note")
        .map(|n| n.trim().chars().take(200).collect())
        .unwrap_or_default();
    match rules_from_form(&t, &current, &v) {
        Ok(rules) => save_and_redirect(&state, &user, &rules, &note).await,
        Err(errors) => {
            let edit = Edit {
                values: v,
                errors,
                note,
                ..Edit::default()
            };
            page(&state, &user, Some(edit), None).await
        }
    }
}

/// TOML import: pasted text or an uploaded file (the file wins when both are given).
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    may_edit(&user)?;
    let t = user.tr;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(t, e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| PageError::BadRequest(t, e.body_text()))?;
        if bytes.len() > MAX_TOML_BYTES {
            return Err(PageError::BadRequest(t, t.t("scoring-error-too-large")));
        }
        if name == "file" {
            if !bytes.is_empty() {
                file = Some(bytes.to_vec());
            }
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    check_form_csrf(&user, &fields)?;
    let note = fields
        .get("note")
        .map(|n| n.trim().chars().take(200).collect::<String>())
        .unwrap_or_default();
    let text = match file {
        Some(bytes) => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => {
                let edit = Edit {
                    toml_error: t.t("scoring-error-not-utf8"),
                    note,
                    ..Edit::default()
                };
                return page(&state, &user, Some(edit), None).await;
            }
        },
        None => fields.get("toml").cloned().unwrap_or_default(),
    };
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        let edit = Edit {
            toml_error: t.t("scoring-error-toml-empty"),
            note,
            ..Edit::default()
        };
        return page(&state, &user, Some(edit), None).await;
    }
    match ScoringRules::from_toml(text) {
        Ok(rules) => {
            let note = if note.is_empty() {
                t.t("scoring-note-imported")
            } else {
                note
            };
            save_and_redirect(&state, &user, &rules, &note).await
        }
        Err(e) => {
            let message = domain_error(&t, &e)
                .into_values()
                .next()
                .unwrap_or_default();
            let edit = Edit {
                toml_text: text.to_string(),
                toml_error: message,
                note,
                ..Edit::default()
            };
            page(&state, &user, Some(edit), None).await
        }
    }
}

fn toml_download(name: String, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                "application/toml; charset=utf-8".to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The rules in force as TOML (the defaults when none were saved).
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    let (version, rules) = ondo_jobs::scoring::workspace_rules(&state.db, user.workspace)
        .await
        .map_err(PageError::store(user.tr))?;
    Ok(toml_download(
        format!("ondo-scoring-v{version}.toml"),
        rules.to_toml(),
    ))
}

/// One saved version as TOML, exactly as saved.
pub async fn version_toml(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(version): Path<i64>,
) -> Result<Response, PageError> {
    let v = ondo_store::scoring_rules::get(&state.db, user.workspace, version)
        .await
        .map_err(PageError::store(user.tr))?
        .ok_or(PageError::NotFound(user.tr))?;
    Ok(toml_download(
        format!("ondo-scoring-v{}.toml", v.version),
        v.rules_toml,
    ))
}

/// Restores a saved version: saved again as the newest, and rescored.
pub async fn restore(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(version): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_edit(&user)?;
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    let old = ondo_store::scoring_rules::get(&state.db, user.workspace, version)
        .await
        .map_err(PageError::store(t))?
        .ok_or(PageError::NotFound(t))?;
    let rules = ScoringRules::from_toml(&old.rules_toml)
        .map_err(|e| PageError::BadRequest(t, e.to_string()))?;
    let note = t.tn("scoring-note-restored", &[("version", version.to_string())]);
    save_and_redirect(&state, &user, &rules, &note).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn form_of(rules: &ScoringRules) -> HashMap<String, String> {
        let mut v = HashMap::new();
        for (_, settings) in groups() {
            for s in settings {
                v.insert(s.key.to_string(), format_points((s.get)(rules)));
            }
        }
        v.insert(
            "handoff.sql_min_fit_grade".into(),
            rules.handoff.sql_min_fit_grade.key().into(),
        );
        v.insert("page_rules".into(), page_rules_text(&rules.page_rules));
        v.insert("assignment".into(), assignment_text(&rules.assignment));
        v
    }

    #[test]
    fn the_form_of_the_defaults_reads_back_as_the_defaults() {
        let t = Tr::new(Lang::Ja);
        let rules = ScoringRules::default();
        assert_eq!(
            rules_from_form(&t, &rules, &form_of(&rules)).unwrap(),
            rules
        );
    }

    #[test]
    fn each_wrong_field_is_named() {
        let t = Tr::new(Lang::En);
        let rules = ScoringRules::default();
        let mut v = form_of(&rules);
        v.insert("points.download".into(), "many".into());
        v.insert("handoff.dormant_days".into(), "1.5".into());
        v.insert("page_rules".into(), "/pricing, product\n/oops".into());
        v.insert("assignment".into(), "region, 大阪, a@example.com".into());
        let errors = rules_from_form(&t, &rules, &v).unwrap_err();
        let mut keys: Vec<&str> = errors.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "assignment",
                "handoff.dormant_days",
                "page_rules",
                "points.download"
            ]
        );
        assert!(
            errors["page_rules"].contains('2'),
            "{}",
            errors["page_rules"]
        );
    }

    #[test]
    fn rules_that_disagree_are_refused_at_the_setting() {
        let t = Tr::new(Lang::En);
        let rules = ScoringRules::default();
        let mut v = form_of(&rules);
        v.insert("bands.hot".into(), "5".into());
        let errors = rules_from_form(&t, &rules, &v).unwrap_err();
        assert!(errors.contains_key("bands.hot"), "{errors:?}");
    }

    #[test]
    fn assignment_lines_read_into_rules() {
        let t = Tr::new(Lang::Ja);
        let r = parse_assignment(
            &t,
            "# comment\nprefecture, 大阪, Osaka@Example.com\n\nsource, 展示会, b@example.com",
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].owner, "osaka@example.com");
        assert_eq!(r[1].field, AssignField::Source);
    }
}
