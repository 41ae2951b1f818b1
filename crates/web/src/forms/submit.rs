//! Accepting a public form submission: the honeypot, the checks of each field, then the
//! same creation-or-unification as the API and imports, and the record of the submission.

use std::collections::HashMap;

use ondo_domain::tracking::VisitorId;
use ondo_domain::{CompanyName, Email, Micros, PersonName, Phone};
use ondo_store::forms::{Form, NewSubmission};
use ondo_store::{Actor, Db, WorkspaceId};
use serde_json::json;

use super::definition::{CONSENT, FieldKey, FormKind, HONEYPOT, VISITOR, fields_of};
use crate::service::ServiceError;
use crate::service::leads::LeadChanges;
use crate::tracking::identify::{IdentifiedBy, identify_and_rescore};

/// The consent source recorded on a lead that ticked a form's consent box.
pub const CONSENT_SOURCE: &str = "form_opt_in";
/// Longest page address kept with the `form_submit` event.
const MAX_PAGE_URL: usize = 2000;

/// What became of a submission.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A lead was created (`true`) or unified with an existing one (`false`).
    Accepted { lead_id: i64, created: bool },
    /// The honeypot was filled: answered like an accepted one, nothing stored.
    Ignored,
}

/// What is wrong with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Required,
    Invalid,
    TooLong,
    ConsentMissing,
}

/// Why a submission was not accepted.
#[derive(Debug)]
pub enum SubmitError {
    /// Fields to correct, by input name (`consent` for the checkbox), in display order.
    Fields(Vec<(&'static str, Problem)>),
    Service(ServiceError),
}

/// Checks a submission against its form and, when it is valid, creates or unifies the
/// lead with a `form` touchpoint under the form's source, consent when given, and a
/// `form_submit` event; a visitor id of the tracking snippet (`ondo_vid`) is identified
/// as the lead. `page_url` is where the form was sent from, if known.
pub async fn submit(
    db: &Db,
    ws: WorkspaceId,
    form: &Form,
    values: &HashMap<String, String>,
    page_url: Option<&str>,
) -> Result<Outcome, SubmitError> {
    let get = |k: &str| values.get(k).map(|s| s.trim()).unwrap_or("");
    if !get(HONEYPOT).is_empty() {
        return Ok(Outcome::Ignored);
    }
    let fields = fields_of(form);
    let mut problems = Vec::new();
    for f in &fields {
        let v = get(f.key.key());
        if v.is_empty() {
            if f.required {
                problems.push((f.key.key(), Problem::Required));
            }
            continue;
        }
        if v.chars().count() > f.key.max_chars() {
            problems.push((f.key.key(), Problem::TooLong));
            continue;
        }
        let valid = match f.key {
            FieldKey::Name => PersonName::parse(v).is_ok(),
            FieldKey::Email => Email::parse(v).is_ok(),
            FieldKey::Phone => Phone::parse(v).is_ok(),
            FieldKey::Company => CompanyName::parse(v).is_ok(),
            FieldKey::Message => true,
            _ => !v.chars().any(char::is_control),
        };
        if !valid {
            problems.push((f.key.key(), Problem::Invalid));
        }
    }
    let consented = matches!(get(CONSENT), "on" | "true" | "1");
    if form.consent_text.is_some() && !consented {
        problems.push((CONSENT, Problem::ConsentMissing));
    }
    if !problems.is_empty() {
        return Err(SubmitError::Fields(problems));
    }

    let asked = |key: FieldKey| -> Option<Option<String>> {
        let v = get(key.key());
        fields
            .iter()
            .any(|f| f.key == key && !v.is_empty())
            .then(|| Some(v.to_string()))
    };
    let now = Micros::now();
    let consent = consented && form.consent_text.is_some();
    let kind = FormKind::of(form).key();
    let message = fields
        .iter()
        .any(|f| f.key == FieldKey::Message)
        .then(|| get(FieldKey::Message.key()))
        .filter(|m| !m.is_empty());
    let mut details = json!({ "form_id": form.id, "form": form.name, "form_kind": kind });
    if let Some(m) = message {
        details["message"] = m.into();
    }
    if consent {
        details["consent_text"] = form.consent_text.clone().into();
    }
    let changes = LeadChanges {
        name: Some(get(FieldKey::Name.key()).to_string()),
        kana: asked(FieldKey::Kana),
        email: asked(FieldKey::Email),
        company: asked(FieldKey::Company),
        department: asked(FieldKey::Department),
        title: asked(FieldKey::Title),
        phone: asked(FieldKey::Phone),
        consent_source: consent.then(|| Some(CONSENT_SOURCE.to_string())),
        consent_at: consent.then(|| Some(now.to_rfc3339())),
        source: Some(form.source.clone()),
        source_kind: Some("form".to_string()),
        touchpoint_details: Some(details),
        ..Default::default()
    };
    let actor = Actor::system("form");
    let (lead, created) =
        crate::service::leads::create_or_unify(db, ws, &changes, &actor, &form.source, "form")
            .await
            .map_err(|e| match e {
                // A value the checks above let through but the lead rules refuse.
                ServiceError::Invalid { field, .. }
                    if fields.iter().any(|f| f.key.key() == field) =>
                {
                    SubmitError::Fields(vec![(field, Problem::Invalid)])
                }
                other => SubmitError::Service(other),
            })?;

    let page_url = page_url
        .filter(|u| u.len() <= MAX_PAGE_URL)
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.to_string());
    let submission = NewSubmission {
        form_id: form.id,
        lead_id: lead.id,
        lead_created: created,
        source: form.source.clone(),
        page_url,
        event_properties: json!({ "form_id": form.id, "form": form.name, "form_kind": kind }),
        at: now,
    };
    ondo_store::forms::record_submission(db, ws, &submission)
        .await
        .map_err(|e| SubmitError::Service(e.into()))?;
    // A visitor the tracking snippet knew is this lead from now on, with the pages it
    // viewed; the form_submit event counts now: points, and the MQL rule (any form
    // submission). A malformed visitor id is not the person's fault: it is ignored.
    let visitor = VisitorId::parse(get(VISITOR)).ok();
    identify_and_rescore(db, ws, lead.id, visitor.as_ref(), IdentifiedBy::Form)
        .await
        .map_err(|e| SubmitError::Service(e.into()))?;
    Ok(Outcome::Accepted {
        lead_id: lead.id,
        created,
    })
}
