//! The audit log page (`/audit`): who changed what and when, newest first, each change
//! shown field by field. Admins and managers only.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use ondo_store::audit::AuditEntry;
use serde_json::Value;

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::service::ServiceError;
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;
/// Longer values are cut here (in characters) so one entry cannot flood the page.
const MAX_VALUE_CHARS: usize = 160;
/// The kinds of things the filter offers; others can still be asked for in the URL.
const ENTITIES: [&str; 18] = [
    "lead",
    "company",
    "user",
    "scoring_rules",
    "status_definition",
    "lost_reasons",
    "notification_channel",
    "tracking_settings",
    "form",
    "import",
    "candidate_pair",
    "task",
    "workflow_settings",
    "segment",
    "campaign",
    "campaign_settings",
    "ai_model",
    "ai_settings",
];

/// One changed field: its label, the value before and the value after ("" for none).
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// One audit entry, ready to show.
pub struct AuditRow {
    pub id: i64,
    pub when: String,
    pub actor: String,
    pub via: String,
    pub entity: String,
    pub entity_label: String,
    pub entity_id: String,
    /// The page of the thing changed, for leads and companies.
    pub href: Option<String>,
    pub action: String,
    pub changes: Vec<FieldChange>,
}

/// A filter option.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    t: Tr,
    rows: Vec<AuditRow>,
    entities: Vec<Opt>,
    actors: Vec<Opt>,
    lead_id: String,
    filtered: bool,
    next_href: Option<String>,
    first_href: Option<String>,
}

/// A value as a person reads it: text as is, nothing as "", the rest as JSON; cut to
/// [`MAX_VALUE_CHARS`] characters.
fn readable(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > MAX_VALUE_CHARS {
        let cut: String = s.chars().take(MAX_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// A field's label: the lead form's word for it when there is one, the key otherwise.
fn field_label(t: &Tr, key: &str) -> String {
    let k = format!("field-{}", key.trim_end_matches("_id").replace('_', "-"));
    if t.has(&k) { t.t(&k) } else { key.to_string() }
}

/// The field-by-field difference of an entry's before and after (JSON objects); a value
/// that is not an object shows as one line.
pub fn field_changes(t: &Tr, before: Option<&str>, after: Option<&str>) -> Vec<FieldChange> {
    let parse = |s: Option<&str>| {
        s.map(|s| serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.to_string())))
    };
    let (b, a) = (parse(before), parse(after));
    let empty = serde_json::Map::new();
    match (&b, &a) {
        (None | Some(Value::Object(_)), None | Some(Value::Object(_))) => {
            let bo = b.as_ref().and_then(Value::as_object).unwrap_or(&empty);
            let ao = a.as_ref().and_then(Value::as_object).unwrap_or(&empty);
            let mut keys: Vec<&String> = ao.keys().collect();
            keys.extend(bo.keys().filter(|k| !ao.contains_key(*k)));
            // An id beside its readable name (owner_id and owner) shows once, by name.
            let named = |k: &str| {
                k.strip_suffix("_id")
                    .is_some_and(|n| ao.contains_key(n) || bo.contains_key(n))
            };
            keys.into_iter()
                .filter(|k| !named(k))
                .map(|k| FieldChange {
                    field: field_label(t, k),
                    before: bo.get(k).map(readable).unwrap_or_default(),
                    after: ao.get(k).map(readable).unwrap_or_default(),
                })
                .collect()
        }
        _ => vec![FieldChange {
            field: String::new(),
            before: b.as_ref().map(readable).unwrap_or_default(),
            after: a.as_ref().map(readable).unwrap_or_default(),
        }],
    }
}

fn label_or(t: &Tr, key: &str, fallback: &str) -> String {
    if t.has(key) {
        t.t(key)
    } else {
        fallback.to_string()
    }
}

impl AuditRow {
    fn of(e: AuditEntry, t: &Tr) -> AuditRow {
        let href = match (e.entity.as_str(), e.entity_id) {
            ("lead", Some(id)) => Some(format!("/leads/{id}")),
            ("company", Some(id)) => Some(format!("/companies/{id}")),
            _ => None,
        };
        AuditRow {
            id: e.id,
            when: t.datetime(e.at),
            actor: e.actor_name.unwrap_or_else(|| t.t("audit-actor-system")),
            via: e.actor_label,
            entity_label: label_or(
                t,
                &format!("audit-entity-{}", e.entity.replace('_', "-")),
                &e.entity,
            ),
            entity_id: e.entity_id.map(|i| i.to_string()).unwrap_or_default(),
            href,
            action: label_or(
                t,
                &format!("audit-action-{}", e.action.replace('_', "-")),
                &e.action,
            ),
            changes: field_changes(t, e.before_json.as_deref(), e.after_json.as_deref()),
            entity: e.entity,
        }
    }
}

fn audit_href(params: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        s.append_pair(k, v);
    }
    format!("/audit?{}", s.finish())
}

/// The audit log, newest first, filtered by entity, actor and lead, a page at a time.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    if !crate::service::access::may_read_audit(&user.user) {
        return Err(PageError::Forbidden(t));
    }
    let get = |k: &str| q.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let (entity, actor, lead, before) = (
        get("entity"),
        get("actor"),
        get("lead_id"),
        get("before_id"),
    );
    let number = |field: &'static str, s: &str| -> Result<Option<i64>, PageError> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<i64>().map(Some).map_err(|_| {
            PageError::from_service(
                t,
                ServiceError::invalid(field, format!("{field}: \"{s}\" is not a number")),
            )
        })
    };
    let filter = crate::service::access::audit_filter(
        &state.db,
        user.workspace,
        number("lead_id", &lead)?,
        Some(&entity),
        Some(&actor),
        number("before_id", &before)?,
    )
    .await
    .map_err(|e| PageError::from_service(t, e))?;
    let mut entries = ondo_store::audit::search(&state.db, user.workspace, &filter, PAGE_SIZE + 1)
        .await
        .map_err(PageError::store(t))?;
    let more = entries.len() as i64 > PAGE_SIZE;
    entries.truncate(PAGE_SIZE as usize);
    let base = [
        ("entity", entity.as_str()),
        ("actor", actor.as_str()),
        ("lead_id", lead.as_str()),
    ];
    let next_href = match (more, entries.last()) {
        (true, Some(last)) => {
            let id = last.id.to_string();
            let mut p = base.to_vec();
            p.push(("before_id", id.as_str()));
            Some(audit_href(&p))
        }
        _ => None,
    };
    let first_href = (!before.is_empty()).then(|| audit_href(&base));
    let users = ondo_store::users::list(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let mut entities: Vec<Opt> = ENTITIES
        .iter()
        .map(|e| Opt {
            value: e.to_string(),
            label: label_or(&t, &format!("audit-entity-{}", e.replace('_', "-")), e),
            selected: entity == *e,
        })
        .collect();
    if !entity.is_empty() && !ENTITIES.contains(&entity.as_str()) {
        entities.push(Opt {
            value: entity.clone(),
            label: entity.clone(),
            selected: true,
        });
    }
    let actors = users
        .iter()
        .map(|u| Opt {
            value: u.id.to_string(),
            label: u.display_name.clone(),
            selected: filter.actor_user_id == Some(u.id),
        })
        .collect();
    let page = AuditPage {
        c: Chrome::new(&user, "audit", &audit_href(&base)),
        t,
        rows: entries.into_iter().map(|e| AuditRow::of(e, &t)).collect(),
        entities,
        actors,
        filtered: base.iter().any(|(_, v)| !v.is_empty()),
        lead_id: lead,
        next_href,
        first_href,
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn changes_are_listed_field_by_field_and_long_values_are_cut() {
        let t = Tr::new(Lang::Ja);
        let long = "あ".repeat(500);
        let before = serde_json::json!({"title": "課長", "owner_id": 3, "gone": true}).to_string();
        let after =
            serde_json::json!({"title": "部長", "owner_id": null, "note": long}).to_string();
        let rows = field_changes(&t, Some(&before), Some(&after));
        let by_field: HashMap<&str, (&str, &str)> = rows
            .iter()
            .map(|r| (r.field.as_str(), (r.before.as_str(), r.after.as_str())))
            .collect();
        assert_eq!(by_field["役職"], ("課長", "部長"));
        assert_eq!(by_field["担当者"], ("3", ""));
        assert_eq!(by_field["gone"], ("true", ""));
        let note = by_field["note"].1;
        assert_eq!(note.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(note.ends_with('…'));
    }

    #[test]
    fn a_value_that_is_no_object_is_one_line() {
        let t = Tr::new(Lang::En);
        let rows = field_changes(&t, None, Some("not json <b>"));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].after, "not json <b>");
        assert!(field_changes(&t, None, None).is_empty());
    }
}
