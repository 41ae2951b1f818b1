use ondo_domain::Micros;
use ondo_store::activities::{Activity, NewActivity};
use ondo_store::{Actor, Db, WorkspaceId};

use super::ServiceError;

/// Kinds of activity a person logs.
pub const ACTIVITY_KINDS: [&str; 4] = ["call", "email", "meeting", "note"];
/// The usual outcomes of a call, offered as choices.
pub const CALL_OUTCOMES: [&str; 5] = [
    "不在",
    "受付ブロック",
    "担当者と会話",
    "アポ獲得",
    "資料送付",
];
/// The Fluent key suffixes of `CALL_OUTCOMES` (`outcome-…`), in the same order.
pub const CALL_OUTCOME_KEYS: [&str; 5] =
    ["absent", "gatekeeper", "talked", "appointment", "materials"];

/// Parses an activity from its parts.
pub fn parse(
    kind: &str,
    outcome: Option<String>,
    note: Option<String>,
    at: Option<&str>,
) -> Result<NewActivity, ServiceError> {
    if !ACTIVITY_KINDS.contains(&kind) {
        return Err(ServiceError::invalid(
            "type",
            format!("\"{kind}\" is not one of {}", ACTIVITY_KINDS.join(", ")),
        ));
    }
    let clean = |s: Option<String>, field: &'static str| -> Result<Option<String>, ServiceError> {
        match s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
            Some(s) if s.chars().count() > 10_000 => Err(ServiceError::invalid(
                field,
                "is longer than 10000 characters",
            )),
            other => Ok(other),
        }
    };
    let occurred_at = match at.filter(|s| !s.is_empty()) {
        Some(s) => Micros::parse_rfc3339(s)?,
        None => Micros::now(),
    };
    Ok(NewActivity {
        kind: kind.to_string(),
        outcome: clean(outcome, "outcome")?,
        note: clean(note, "note")?,
        occurred_at,
        temperature: None,
    })
}

/// Logs an activity on a lead of the workspace.
pub async fn add(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    new: &NewActivity,
    actor: &Actor,
) -> Result<Activity, ServiceError> {
    let lead = ondo_store::leads::get(db, ws, lead_id).await?;
    // The temperature the person saw when they acted: the reports compare it with how
    // the lead turned out.
    let temperature = ondo_jobs::scoring::lead::explain(db, ws, &lead, Micros::now())
        .await?
        .temperature;
    let new = NewActivity {
        temperature: Some(temperature.key().to_string()),
        ..new.clone()
    };
    Ok(ondo_store::activities::add(db, ws, lead_id, &new, actor).await?)
}
