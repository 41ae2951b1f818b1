//! A lead as stored → a lead as the AI features read it.

use ondo_domain::Micros;
use ondo_ml::lead_features::{LeadHistory, TouchpointFact};
use ondo_store::ai::StoredHistory;

use crate::scoring::lead::scored_events;

fn known(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|v| !v.trim().is_empty())
}

/// Custom fields as (name, text) pairs (numbers and booleans as their JSON text).
fn custom_fields(json: &str) -> Vec<(String, String)> {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Null => None,
            other => Some((k, other.to_string())),
        })
        .collect()
}

/// The features' view of a stored lead.
pub fn lead_history(h: StoredHistory) -> LeadHistory {
    let p = h.profile;
    LeadHistory {
        lead_id: p.id,
        created_at: Micros(p.created_at),
        touchpoints: h
            .touchpoints
            .into_iter()
            .map(|t| TouchpointFact {
                kind: t.kind,
                source: t.source,
                at: Micros(t.occurred_at),
            })
            .collect(),
        company_known: p.company_id.is_some() || known(&p.company_name),
        department_known: known(&p.department),
        title: p.title.filter(|t| !t.trim().is_empty()),
        email_domain: p
            .email
            .as_deref()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_lowercase()),
        phone_known: known(&p.phone),
        mobile_known: known(&p.mobile),
        address: p.address.filter(|a| !a.trim().is_empty()),
        fit_score: p.fit_score,
        custom: custom_fields(&p.custom_fields),
        events: scored_events(h.events),
    }
}
