use ondo_domain::{
    CompanyName, CorporateNumber, Email, LeadStatus, Micros, PersonName, Phone, PostalCode, reading,
};
use ondo_store::companies::CompanyInput;
use ondo_store::leads::{Lead, LeadFields, NewTouchpoint, StatusChange};
use ondo_store::{Actor, Db, WorkspaceId};
use serde_json::{Map, Value};

use super::ServiceError;

/// Longest free-text value accepted in one field.
const MAX_TEXT: usize = 2000;
/// Consent sources a lead's email permission can come from.
pub const CONSENT_SOURCES: [&str; 4] = [
    "business_card",
    "form_opt_in",
    "existing_relationship",
    "other",
];
/// Touchpoint kinds.
pub const TOUCHPOINT_KINDS: [&str; 8] = [
    "trade_show",
    "form",
    "document_request",
    "webinar",
    "import",
    "api",
    "manual",
    "business_card",
];

/// Who should own a lead.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnerRef {
    Email(String),
    Id(i64),
}

/// A change to a lead: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct LeadChanges {
    pub name: Option<String>,
    pub kana: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub mobile: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub department: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub corporate_number: Option<Option<String>>,
    pub postcode: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub owner: Option<Option<OwnerRef>>,
    /// Why the owner changes; required when a lead that has an owner gets another one.
    pub owner_reason: Option<String>,
    pub status: Option<String>,
    pub status_reason: Option<String>,
    pub lost_reason: Option<Option<String>>,
    /// When a dormant lead should be nurtured again (with a move to lost_dormant).
    pub renurture_on: Option<Micros>,
    pub custom_fields: Option<Map<String, Value>>,
    pub consent_source: Option<Option<String>>,
    pub consent_at: Option<Option<String>>,
    pub email_opt_out: Option<bool>,
    /// Where the lead came from this time (a touchpoint), e.g. "展示会 2026-10 東京".
    pub source: Option<String>,
    pub source_kind: Option<String>,
    /// What the server knows about this touchpoint (a form's name and the message sent);
    /// set by server code, never read from a client's JSON.
    pub touchpoint_details: Option<Value>,
}

/// The JSON keys a lead accepts, for error messages and the OpenAPI document.
pub const JSON_FIELDS: &[&str] = &[
    "name",
    "kana",
    "email",
    "phone",
    "mobile",
    "title",
    "department",
    "company",
    "corporate_number",
    "postcode",
    "address",
    "owner",
    "owner_reason",
    "status",
    "status_reason",
    "lost_reason",
    "custom_fields",
    "consent_source",
    "consent_at",
    "email_opt_out",
    "source",
    "source_kind",
];

fn text(field: &'static str, v: &Value) -> Result<Option<String>, ServiceError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            if s.chars().count() > MAX_TEXT {
                return Err(ServiceError::invalid(
                    field,
                    format!("is longer than {MAX_TEXT} characters"),
                ));
            }
            let t = s.trim();
            Ok((!t.is_empty()).then(|| t.to_string()))
        }
        Value::Number(n)
            if matches!(field, "phone" | "mobile" | "postcode" | "corporate_number") =>
        {
            Ok(Some(n.to_string()))
        }
        _ => Err(ServiceError::invalid(field, "must be a string or null")),
    }
}

impl LeadChanges {
    /// Reads a JSON object; unknown keys and wrongly typed values are refused by name.
    pub fn from_json(map: &Map<String, Value>) -> Result<LeadChanges, ServiceError> {
        let mut c = LeadChanges::default();
        for (key, v) in map {
            match key.as_str() {
                "name" => c.name = Some(text("name", v)?.unwrap_or_default()),
                "kana" => c.kana = Some(text("kana", v)?),
                "email" => c.email = Some(text("email", v)?),
                "phone" => c.phone = Some(text("phone", v)?),
                "mobile" => c.mobile = Some(text("mobile", v)?),
                "title" => c.title = Some(text("title", v)?),
                "department" => c.department = Some(text("department", v)?),
                "company" => c.company = Some(text("company", v)?),
                "corporate_number" => c.corporate_number = Some(text("corporate_number", v)?),
                "postcode" => c.postcode = Some(text("postcode", v)?),
                "address" => c.address = Some(text("address", v)?),
                "owner" => {
                    c.owner = Some(match v {
                        Value::Null => None,
                        Value::Number(n) => Some(OwnerRef::Id(n.as_i64().ok_or_else(|| {
                            ServiceError::invalid("owner", "must be a user id or email")
                        })?)),
                        Value::String(s) if s.trim().is_empty() => None,
                        Value::String(s) => Some(OwnerRef::Email(s.trim().to_string())),
                        _ => {
                            return Err(ServiceError::invalid(
                                "owner",
                                "must be a user id, an email or null",
                            ));
                        }
                    })
                }
                "status" => {
                    c.status = Some(
                        text("status", v)?
                            .ok_or_else(|| ServiceError::invalid("status", "must not be empty"))?,
                    )
                }
                "status_reason" => c.status_reason = text("status_reason", v)?,
                "owner_reason" => c.owner_reason = text("owner_reason", v)?,
                "lost_reason" => c.lost_reason = Some(text("lost_reason", v)?),
                "custom_fields" => match v {
                    Value::Object(m) => {
                        for (k, val) in m {
                            if k.trim().is_empty() || k.chars().count() > 100 {
                                return Err(ServiceError::invalid(
                                    "custom_fields",
                                    "field names must be 1 to 100 characters",
                                ));
                            }
                            if matches!(val, Value::Object(_) | Value::Array(_)) {
                                return Err(ServiceError::invalid(
                                    "custom_fields",
                                    format!(
                                        "value of \"{k}\" must be a string, number, boolean or null"
                                    ),
                                ));
                            }
                        }
                        c.custom_fields = Some(m.clone());
                    }
                    Value::Null => c.custom_fields = Some(Map::new()),
                    _ => return Err(ServiceError::invalid("custom_fields", "must be an object")),
                },
                "consent_source" => c.consent_source = Some(text("consent_source", v)?),
                "consent_at" => c.consent_at = Some(text("consent_at", v)?),
                "email_opt_out" => match v {
                    Value::Bool(b) => c.email_opt_out = Some(*b),
                    _ => {
                        return Err(ServiceError::invalid(
                            "email_opt_out",
                            "must be true or false",
                        ));
                    }
                },
                "source" => c.source = text("source", v)?,
                "source_kind" => c.source_kind = text("source_kind", v)?,
                other => {
                    return Err(ServiceError::Invalid {
                        field: "body",
                        message: format!(
                            "unknown field \"{other}\"; known fields: {}",
                            JSON_FIELDS.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(c)
    }
}

fn parse_opt<T>(
    v: &Option<Option<String>>,
    parse: impl Fn(&str) -> Result<T, ondo_domain::DomainError>,
) -> Result<Option<Option<T>>, ServiceError> {
    match v {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(s)) => Ok(Some(Some(parse(s)?))),
    }
}

fn set<T>(slot: &mut Option<T>, v: Option<Option<T>>) {
    if let Some(v) = v {
        *slot = v;
    }
}

fn consent_time(s: &str) -> Result<i64, ServiceError> {
    if let Ok(m) = Micros::parse_rfc3339(s) {
        return Ok(m.0);
    }
    // A date is midnight in Japan.
    Micros::parse_jst_date(s).map(|m| m.0).ok_or_else(|| {
        ServiceError::invalid(
            "consent_at",
            format!("\"{s}\" is not a date (YYYY-MM-DD) or RFC 3339 time"),
        )
    })
}

/// The changes applied to `base`: every value parsed, the company found or created, the
/// owner resolved. Returns the new fields and the status change, if any.
pub async fn apply(
    db: &Db,
    ws: WorkspaceId,
    mut f: LeadFields,
    current_status: Option<LeadStatus>,
    current_lost_reason: Option<String>,
    c: &LeadChanges,
    actor: &Actor,
) -> Result<(LeadFields, Option<StatusChange>), ServiceError> {
    if let Some(name) = &c.name {
        f.name = PersonName::parse(name)?.as_str().to_string();
    }
    if let Some(kana) = &c.kana {
        f.kana = kana.as_deref().map(reading).unwrap_or_default();
    }
    set(
        &mut f.email,
        parse_opt(&c.email, |s| {
            Email::parse(s).map(|e| e.as_str().to_string())
        })?,
    );
    set(
        &mut f.phone,
        parse_opt(&c.phone, |s| Phone::parse(s).map(|p| p.national()))?,
    );
    set(
        &mut f.mobile,
        parse_opt(&c.mobile, |s| {
            Phone::parse(s)
                .map(|p| p.national())
                .map_err(|e| ondo_domain::DomainError::invalid("mobile", e.to_string()))
        })?,
    );
    set(&mut f.title, c.title.clone());
    set(&mut f.department, c.department.clone());
    set(
        &mut f.postcode,
        parse_opt(&c.postcode, |s| {
            PostalCode::parse(s).map(|p| p.as_str().to_string())
        })?,
    );
    set(&mut f.address, c.address.clone());
    let corporate_number = parse_opt(&c.corporate_number, |s| {
        CorporateNumber::parse(s).map(|n| n.as_str().to_string())
    })?;
    if c.company.is_some() || corporate_number.is_some() {
        let name = match &c.company {
            Some(Some(raw)) => Some(CompanyName::parse(raw)?),
            Some(None) => None,
            None => None,
        };
        let cleared = matches!(c.company, Some(None)) && !matches!(corporate_number, Some(Some(_)));
        if cleared {
            f.company_id = None;
            f.company_name = None;
        } else {
            let domain = f
                .email
                .as_deref()
                .and_then(|e| Email::parse(e).ok())
                .filter(|e| !e.is_free_mail())
                .map(|e| e.domain().to_string());
            let input = CompanyInput {
                name: name.clone(),
                corporate_number: corporate_number.clone().flatten(),
                domain,
                address: None,
                industry: None,
            };
            let company = ondo_store::companies::find_or_create_by(db, ws, &input, actor).await?;
            f.company_id = company.map(|co| co.id);
            if let Some(n) = name {
                f.company_name = Some(n.raw.trim().to_string());
            }
        }
    }
    if let Some(owner) = &c.owner {
        f.owner_id = match owner {
            None => None,
            Some(OwnerRef::Id(id)) => Some(
                ondo_store::users::get(db, ws, *id)
                    .await
                    .map_err(|_| {
                        ServiceError::invalid(
                            "owner",
                            format!("no user with id {id} in this workspace"),
                        )
                    })?
                    .id,
            ),
            Some(OwnerRef::Email(email)) => {
                let e = Email::parse(email).map_err(|_| {
                    ServiceError::invalid("owner", format!("\"{email}\" is not an email"))
                })?;
                Some(
                    ondo_store::users::find_by_email(db, ws, e.as_str())
                        .await?
                        .ok_or_else(|| {
                            ServiceError::invalid(
                                "owner",
                                format!("no user {email} in this workspace"),
                            )
                        })?
                        .id,
                )
            }
        };
    }
    if let Some(fields) = &c.custom_fields {
        for (k, v) in fields {
            if v.is_null() {
                f.custom_fields.remove(k);
            } else {
                f.custom_fields.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(src) = &c.consent_source {
        if let Some(s) = src
            && !CONSENT_SOURCES.contains(&s.as_str())
        {
            return Err(ServiceError::invalid(
                "consent_source",
                format!("\"{s}\" is not one of {}", CONSENT_SOURCES.join(", ")),
            ));
        }
        f.consent_source = src.clone();
    }
    if let Some(at) = &c.consent_at {
        f.consent_at = match at {
            None => None,
            Some(s) => Some(consent_time(s)?),
        };
    }
    if let Some(b) = c.email_opt_out {
        f.email_opt_out = b;
    }
    if f.name.is_empty() {
        return Err(ServiceError::invalid("name", "name is required"));
    }

    let status = match &c.status {
        None => None,
        Some(key) => {
            let to = LeadStatus::parse(key)?;
            let lost_reason = match &c.lost_reason {
                Some(v) => v.clone(),
                None => current_lost_reason.clone(),
            };
            if to == LeadStatus::LostDormant && lost_reason.is_none() {
                return Err(ServiceError::invalid(
                    "lost_reason",
                    "a lost reason is required to move a lead to lost_dormant",
                ));
            }
            // A newly given reason must come from the workspace's managed list, so lost
            // deals can be reviewed by reason; a reason the lead already has stays.
            if to == LeadStatus::LostDormant
                && let Some(Some(given)) = &c.lost_reason
                && current_lost_reason.as_ref() != Some(given)
            {
                let allowed = super::statuses::lost_reasons(db, ws).await?;
                if !allowed.contains(given) {
                    return Err(ServiceError::invalid(
                        "lost_reason",
                        format!(
                            "must be one of the workspace's lost reasons ({}); got \"{given}\"",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            let lost_reason = if to == LeadStatus::LostDormant {
                lost_reason
            } else {
                None
            };
            let renurture_on = c
                .renurture_on
                .filter(|_| to == LeadStatus::LostDormant)
                .map(|m| m.0);
            (Some(to) != current_status
                || lost_reason != current_lost_reason
                || renurture_on.is_some())
            .then(|| StatusChange {
                to,
                reason: c.status_reason.clone().unwrap_or_default(),
                lost_reason,
                renurture_on,
            })
        }
    };
    Ok((f, status))
}

fn touchpoint(
    c: &LeadChanges,
    default_kind: &str,
    default_source: &str,
) -> Result<NewTouchpoint, ServiceError> {
    let kind = c
        .source_kind
        .clone()
        .unwrap_or_else(|| default_kind.to_string());
    if !TOUCHPOINT_KINDS.contains(&kind.as_str()) {
        return Err(ServiceError::invalid(
            "source_kind",
            format!("\"{kind}\" is not one of {}", TOUCHPOINT_KINDS.join(", ")),
        ));
    }
    Ok(NewTouchpoint {
        kind,
        source: c
            .source
            .clone()
            .unwrap_or_else(|| default_source.to_string()),
        occurred_at: Micros::now(),
        details: c
            .touchpoint_details
            .clone()
            .unwrap_or_else(|| serde_json::json!({})),
    })
}

/// Creates a lead, or unifies it with the lead that has the same email: empty fields are
/// filled, nothing is overwritten, and the new touchpoint is kept. Returns the lead and
/// whether it was created.
pub async fn create_or_unify(
    db: &Db,
    ws: WorkspaceId,
    c: &LeadChanges,
    actor: &Actor,
    default_source: &str,
    default_kind: &str,
) -> Result<(Lead, bool), ServiceError> {
    let (lead, created) = unify(db, ws, c, actor, default_source, default_kind).await?;
    Ok((rescore(db, ws, lead).await?, created))
}

/// Rescores a lead just saved — its fit may have changed, events kept for its email
/// now belong to it, a handoff rule may apply — and reads it again.
async fn rescore(db: &Db, ws: WorkspaceId, lead: Lead) -> Result<Lead, ServiceError> {
    ondo_jobs::scoring::rescore_now(db, ws, lead.id, lead.email.as_deref()).await?;
    Ok(ondo_store::leads::get(db, ws, lead.id).await?)
}

async fn unify(
    db: &Db,
    ws: WorkspaceId,
    c: &LeadChanges,
    actor: &Actor,
    default_source: &str,
    default_kind: &str,
) -> Result<(Lead, bool), ServiceError> {
    if c.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ServiceError::invalid("name", "name is required"));
    }
    let tp = touchpoint(c, default_kind, default_source)?;
    let (fields, status) = apply(
        db,
        ws,
        LeadFields::default(),
        Some(LeadStatus::New),
        None,
        c,
        actor,
    )
    .await?;
    if let Some(owner) = fields.owner_id {
        ensure_may_reassign(db, ws, actor, None, Some(owner)).await?;
    }
    // The look-up and the write are one transaction that holds the write lock (and, on
    // PostgreSQL, the workspace's matching lock), so that two submissions of the same
    // new person at once make one lead, and nothing is half-written.
    let mut tx = db.begin_write().await?;
    tx.lock_matching(ws, MATCHING_PATIENCE).await?;
    let (same, candidates) = find_same_person(&mut tx, ws, &fields).await?;
    let (id, created) = match same {
        Some(existing_id) => {
            let existing = ondo_store::leads::get_in(&mut tx, ws, existing_id).await?;
            let mut merged = LeadFields::of(&existing);
            let conflicts = merged.fill_empty_from(&fields);
            // An address or number other than the lead's own is kept, and finds the lead
            // later.
            let others: Vec<(&str, String)> =
                ondo_store::identities::other_values(conflicts).collect();
            let status = status.filter(|s| s.to.key() != existing.status);
            ondo_store::leads::update_with_touchpoint_in(
                &mut tx,
                ws,
                existing.id,
                &merged,
                status.as_ref(),
                (&tp, &others),
                actor,
            )
            .await?;
            (existing_id, false)
        }
        None => {
            let id = ondo_store::leads::create_in(&mut tx, ws, &fields, Some(&tp), actor).await?;
            if let Some(s) = status {
                ondo_store::leads::update_status_in(&mut tx, ws, id, &fields, Some(&s), actor)
                    .await?;
            }
            (id, true)
        }
    };
    let pairs: Vec<(i64, i64, String)> = candidates
        .into_iter()
        .map(|(other, reason)| (other, id, reason.to_owned()))
        .collect();
    ondo_store::imports::insert_candidate_pairs(&mut tx, ws, &pairs).await?;
    tx.commit().await?;
    Ok((ondo_store::leads::get(db, ws, id).await?, created))
}

/// How long a form or API submission waits for an import (or another submission) that
/// holds the workspace's matching lock on PostgreSQL; SQLite's busy timeout plays that part
/// there.
const MATCHING_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// The oldest lead the matching rules call the same person as `fields` and the other
/// leads they call so too; or, when there is none, the leads that may be (candidate
/// pairs). Each with the reason of its pair. The same rules as imports.
async fn find_same_person(
    tx: &mut ondo_store::Tx,
    ws: WorkspaceId,
    fields: &LeadFields,
) -> Result<(Option<i64>, Vec<(i64, &'static str)>), ServiceError> {
    use ondo_domain::matching::{Match, PersonKeys, match_people};
    let mut lookup = ondo_store::imports::Lookup {
        emails: fields.email.iter().cloned().collect(),
        ..Default::default()
    };
    if let Some(company) = fields
        .company_name
        .as_deref()
        .and_then(|c| CompanyName::parse(c).ok())
    {
        lookup.add_name_at_company(&fields.name, &company.key());
    }
    lookup.add_phones(fields.phone.as_deref(), fields.mobile.as_deref());
    let mut existing = ondo_store::imports::find_existing(tx, ws, &lookup).await?;
    existing.sort_by_key(|e| e.id);
    let phone: Vec<&str> = fields.phone.iter().map(String::as_str).collect();
    let mobile: Vec<&str> = fields.mobile.iter().map(String::as_str).collect();
    let mut keys = PersonKeys::from_raw(
        &fields.name,
        &fields.kana,
        fields.email.as_deref().unwrap_or(""),
        &phone,
        &mobile,
        "",
        fields.department.as_deref().unwrap_or(""),
    )
    .with_title(fields.title.as_deref().unwrap_or(""));
    keys.company = fields
        .company_name
        .as_deref()
        .and_then(|c| CompanyName::parse(c).ok())
        .map(|c| c.key());
    let mut same: Option<i64> = None;
    let mut also_same = Vec::new();
    let mut candidates = Vec::new();
    for e in &existing {
        match match_people(&keys, &ondo_jobs::import::existing_keys(e)) {
            Match::Same(_) if same.is_none() => same = Some(e.id),
            // A second lead the record is the same person as: the two are offered for
            // review, as an import offers them.
            Match::Same(_) => also_same.push((e.id, ondo_jobs::import::BRIDGED_REASON)),
            Match::Candidate(reason) => candidates.push((e.id, reason.key())),
            Match::Different => {}
        }
    }
    Ok(match same {
        Some(id) => (Some(id), also_same),
        None => (None, candidates),
    })
}

/// Refuses an owner change the acting user's role does not allow (see
/// [`super::access::may_reassign`]); changes made by the system are not limited.
async fn ensure_may_reassign(
    db: &Db,
    ws: WorkspaceId,
    actor: &Actor,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<(), ServiceError> {
    let Some(user_id) = actor.user_id else {
        return Ok(());
    };
    let user = ondo_store::users::get(db, ws, user_id).await?;
    if super::access::may_reassign(&user, from, to) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Applies a change to an existing lead. An owner change must be allowed for the actor
/// (a salesperson may only take an unassigned lead), needs a reason when the lead had an
/// owner, and is recorded as a `reassign` audit entry with that reason.
pub async fn update(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    c: &LeadChanges,
    actor: &Actor,
) -> Result<Lead, ServiceError> {
    let current = ondo_store::leads::get(db, ws, id).await?;
    let (fields, status) = apply(
        db,
        ws,
        LeadFields::of(&current),
        Some(current.status()),
        current.lost_reason.clone(),
        c,
        actor,
    )
    .await?;
    let reason = c
        .owner_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if fields.owner_id != current.owner_id {
        ensure_may_reassign(db, ws, actor, current.owner_id, fields.owner_id).await?;
        if current.owner_id.is_some() && reason.is_none() {
            return Err(ServiceError::invalid(
                "owner_reason",
                "a reason is required to change the owner of a lead that already has one",
            ));
        }
    }
    let lead =
        ondo_store::leads::update_with_reason(db, ws, id, &fields, status.as_ref(), reason, actor)
            .await?;
    rescore(db, ws, lead).await
}
