//! Segments: saved lead filters — status, temperature, touchpoint source, company, owner,
//! custom fields, behaviour, creation and last-activity dates, email opt-out — shared by
//! the lead list, exports and campaigns.
//!
//! A definition is parsed once from loosely typed [`Input`] (a JSON body or a web form)
//! with errors that name the field (`definition.custom_fields[1].value`), stored as JSON
//! (its serde form), and turned into [`Condition`]s for a given day and viewer; the store
//! compiles those to parameterised SQL. Every part is optional; parts combine with AND,
//! the values inside one part (statuses, sources, bands) with OR.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::scoring::{EventKind, PageCategory, REFERENCE_DAY, ScoringRules, Temperature, jst_day};
use crate::{CompanyName, LeadStatus, Micros, parse_date, search_key};

/// Longest segment name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest segment description.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
/// Most custom-field conditions in one definition.
pub const MAX_CUSTOM_FIELD_CONDITIONS: usize = 20;
/// Most behaviour conditions in one definition.
pub const MAX_BEHAVIOUR_CONDITIONS: usize = 10;
/// Most values in a list (statuses, sources).
const MAX_VALUES: usize = 50;
/// Longest text value (a source, a company name, a custom field's name or value).
const MAX_TEXT_CHARS: usize = 200;
/// Largest number of days a relative date or a behaviour window may reach back.
const MAX_DAYS: i64 = 36_500;
/// Largest event count a behaviour condition may ask for.
const MAX_EVENT_COUNT: i64 = 100_000;

/// Input before any check, as a JSON body or a web form gives it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Input {
    /// JSON `null` or an empty form field: the same as absent.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any JSON number.
    Number(f64),
    /// Text (a form field is always text; numbers in text are accepted where numbers go).
    Text(String),
    /// A list.
    List(Vec<Input>),
    /// An object.
    Map(BTreeMap<String, Input>),
}

impl Input {
    /// An object from its entries.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Input)>) -> Input {
        Input::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Text, or `Null` when it is empty after trimming (an empty form field).
    pub fn text(s: &str) -> Input {
        let s = s.trim();
        if s.is_empty() {
            Input::Null
        } else {
            Input::Text(s.to_string())
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Input::Null)
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// The field must be given.
    #[error("is required")]
    Required,
    /// The field must be text.
    #[error("must be text")]
    NotText,
    /// The field must be a whole number.
    #[error("must be a whole number")]
    NotAnInteger,
    /// The field must be a number.
    #[error("must be a number")]
    NotANumber,
    /// The field must be `true` or `false`.
    #[error("must be true or false")]
    NotABool,
    /// The field must be a list.
    #[error("must be a list")]
    NotAList,
    /// The field must be an object.
    #[error("must be an object")]
    NotAnObject,
    /// The number is outside the allowed range.
    #[error("must be between {min} and {max}")]
    OutOfRange {
        /// The smallest allowed value.
        min: i64,
        /// The largest allowed value.
        max: i64,
    },
    /// The text is too long.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// The list is too long.
    #[error("may have at most {max} entries")]
    TooMany {
        /// The most entries allowed.
        max: usize,
    },
    /// The value is not one of a fixed set.
    #[error("must be one of {}; got {got:?}", allowed.join(", "))]
    NotOneOf {
        /// The allowed values.
        allowed: Vec<String>,
        /// What was given.
        got: String,
    },
    /// The object has a key that means nothing here.
    #[error("is not a known field; known fields: {}", known.join(", "))]
    UnknownField {
        /// The keys the object may have.
        known: Vec<&'static str>,
    },
    /// The text is not a date.
    #[error("is not a date (e.g. 2026-04-01)")]
    NotADate,
    /// The end of a range lies before its start.
    #[error("must not be less than {start}")]
    EndBeforeStart {
        /// The range's start, as written.
        start: String,
    },
    /// A company is named both by id and by name.
    #[error("give either id or name_contains, not both")]
    CompanyBoth,
    /// A page category is asked for together with an event type other than page views.
    #[error("a page category applies to the type page_view only")]
    CategoryNeedsPageView,
    /// A custom field's name has characters a field name cannot have.
    #[error("may not contain double quotes or control characters")]
    BadFieldName,
    /// The id names nothing in this workspace (a user, a company).
    #[error("does not exist in this workspace")]
    NoSuch,
    /// Another segment of the workspace has this name.
    #[error("is already the name of another segment")]
    NameTaken,
    /// The event type is not a built-in or well-formed custom type.
    #[error(
        "must be a built-in event type or a custom type of lowercase letters, digits and _; got {0:?}"
    )]
    BadEventType(String),
}

/// A segment that cannot be saved: the field at fault (a path such as
/// `definition.statuses[1]`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct SegmentError {
    /// The path of the field at fault.
    pub field: String,
    /// What is wrong with it.
    pub problem: Problem,
}

fn err<T>(field: &str, problem: Problem) -> Result<T, SegmentError> {
    Err(SegmentError {
        field: field.to_string(),
        problem,
    })
}

/// Temperature: bands of the workspace's scoring rules and/or an engagement score range.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TemperatureCriterion {
    /// Any of these bands (none: every band).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<Temperature>,
    /// Engagement score today at least this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Engagement score today at most this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_score: Option<f64>,
}

/// The lead's company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanyCriterion {
    /// This company.
    Id(i64),
    /// A company whose name contains this (compared as company names are matched:
    /// legal form, width, case and kana folded).
    NameContains(String),
}

/// The lead's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerCriterion {
    /// The person looking at the segment (for a campaign, the segment's creator).
    Me,
    /// Leads nobody owns.
    Unassigned,
    /// Leads this user owns.
    User(i64),
}

impl Serialize for OwnerCriterion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OwnerCriterion::Me => s.serialize_str("me"),
            OwnerCriterion::Unassigned => s.serialize_str("unassigned"),
            OwnerCriterion::User(id) => s.serialize_i64(*id),
        }
    }
}

impl<'de> Deserialize<'de> for OwnerCriterion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Id(i64),
            Key(String),
        }
        match Raw::deserialize(d)? {
            Raw::Id(id) => Ok(OwnerCriterion::User(id)),
            Raw::Key(k) if k == "me" => Ok(OwnerCriterion::Me),
            Raw::Key(k) if k == "unassigned" => Ok(OwnerCriterion::Unassigned),
            Raw::Key(k) => Err(serde::de::Error::custom(format!("unknown owner {k:?}"))),
        }
    }
}

/// How a custom field is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldOp {
    /// Equal, as text.
    Eq,
    /// A number at least the value.
    Gte,
    /// A number at most the value.
    Lte,
}

impl FieldOp {
    /// Every operator, as listed to users.
    pub const ALL: [FieldOp; 3] = [FieldOp::Eq, FieldOp::Gte, FieldOp::Lte];

    /// Returns the stable key.
    pub fn key(&self) -> &'static str {
        match self {
            FieldOp::Eq => "eq",
            FieldOp::Gte => "gte",
            FieldOp::Lte => "lte",
        }
    }

    /// Returns the operator as a symbol (`=`, `>=`, `<=`).
    pub fn symbol(&self) -> &'static str {
        match self {
            FieldOp::Eq => "=",
            FieldOp::Gte => ">=",
            FieldOp::Lte => "<=",
        }
    }
}

/// A custom field's value in a condition: text for `eq`, a number for `gte` / `lte`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Number(n) => f.write_str(&format_number(*n)),
            FieldValue::Text(t) => f.write_str(t),
        }
    }
}

/// A number as people write it: no trailing `.0`.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// One custom-field condition: `業種 = 製造業`, `従業員数 >= 100`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldCondition {
    /// The custom field's name, as stored on leads.
    pub field: String,
    /// The comparison.
    pub op: FieldOp,
    /// Text for `eq`, a number for `gte` and `lte`.
    pub value: FieldValue,
}

/// At least `min_count` events (by a person, not a scanner) of a type and/or page
/// category in the last `within_days` days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviourCondition {
    /// The event type; none: any type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<EventKind>,
    /// The page category (page views only); none: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<PageCategory>,
    /// At least this many events (1 or more).
    pub min_count: i64,
    /// In the last this many days.
    pub within_days: i64,
}

/// A date range; every bound optional. Dates are Japan calendar days, both inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DateRange {
    /// On or after this day (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// On or before this day (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// In the last this many days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_days: Option<i64>,
    /// Longer ago than this many days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub older_than_days: Option<i64>,
}

impl DateRange {
    fn is_empty(&self) -> bool {
        *self == DateRange::default()
    }
}

/// A segment's criteria. Empty: every lead that has not opted out of email.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentDefinition {
    /// Any of these statuses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<LeadStatus>,
    /// Temperature bands and/or an engagement score range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<TemperatureCriterion>,
    /// A touchpoint from any of these sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// The company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyCriterion>,
    /// The owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerCriterion>,
    /// Every one of these custom-field conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldCondition>,
    /// Every one of these behaviour conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub behaviour: Vec<BehaviourCondition>,
    /// When the lead was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<DateRange>,
    /// When the lead last engaged (its last scored event). A lead that never engaged
    /// counts as inactive: it matches a range with only upper bounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<DateRange>,
    /// Also leads that opted out of email (left out unless this is set).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub include_opted_out: bool,
}

/// A segment's name, description and definition, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentDraft {
    /// The name, unique in the workspace.
    pub name: String,
    /// What the segment is for.
    pub description: String,
    /// The criteria.
    pub definition: SegmentDefinition,
}

const SEGMENT_FIELDS: [&str; 3] = ["name", "description", "definition"];
const DEFINITION_FIELDS: [&str; 10] = [
    "statuses",
    "temperature",
    "sources",
    "company",
    "owner",
    "custom_fields",
    "behaviour",
    "created",
    "last_activity",
    "include_opted_out",
];
const TEMPERATURE_FIELDS: [&str; 3] = ["bands", "min_score", "max_score"];
const COMPANY_FIELDS: [&str; 2] = ["id", "name_contains"];
const CUSTOM_FIELD_FIELDS: [&str; 3] = ["field", "op", "value"];
const BEHAVIOUR_FIELDS: [&str; 4] = ["type", "category", "min_count", "within_days"];
const DATE_RANGE_FIELDS: [&str; 4] = ["from", "to", "within_days", "older_than_days"];

/// Parses a whole segment: `{"name", "description"?, "definition"?}`.
pub fn parse_segment(input: &Input) -> Result<SegmentDraft, SegmentError> {
    let map = object(input, "", &SEGMENT_FIELDS)?;
    let name = match map.get("name").map(|v| text(v, "name")).transpose()? {
        Some(n) => n,
        None => return err("name", Problem::Required),
    };
    check_length(&name, "name", MAX_NAME_CHARS)?;
    let description = map
        .get("description")
        .map(|v| text(v, "description"))
        .transpose()?
        .unwrap_or_default();
    check_length(&description, "description", MAX_DESCRIPTION_CHARS)?;
    let definition = match map.get("definition") {
        Some(d) => parse_definition_at(d, "definition")?,
        None => SegmentDefinition::default(),
    };
    Ok(SegmentDraft {
        name,
        description,
        definition,
    })
}

/// Parses a definition alone; fields are named `definition.…`.
pub fn parse_definition(input: &Input) -> Result<SegmentDefinition, SegmentError> {
    parse_definition_at(input, "definition")
}

fn parse_definition_at(input: &Input, at: &str) -> Result<SegmentDefinition, SegmentError> {
    if input.is_null() {
        return Ok(SegmentDefinition::default());
    }
    let map = object(input, at, &DEFINITION_FIELDS)?;
    let path = |k: &str| format!("{at}.{k}");
    let mut d = SegmentDefinition::default();
    if let Some(v) = map.get("statuses") {
        for (i, item) in list(v, &path("statuses"), MAX_VALUES)?.iter().enumerate() {
            let field = format!("{}[{i}]", path("statuses"));
            let key = required_text(item, &field)?;
            let status = LeadStatus::parse(&key).or_else(|_| {
                err(
                    &field,
                    Problem::NotOneOf {
                        allowed: LeadStatus::ALL.iter().map(|s| s.key().into()).collect(),
                        got: key.clone(),
                    },
                )
            })?;
            if !d.statuses.contains(&status) {
                d.statuses.push(status);
            }
        }
    }
    if let Some(v) = map.get("temperature") {
        d.temperature = parse_temperature(v, &path("temperature"))?;
    }
    if let Some(v) = map.get("sources") {
        for (i, item) in list(v, &path("sources"), MAX_VALUES)?.iter().enumerate() {
            let field = format!("{}[{i}]", path("sources"));
            let source = required_text(item, &field)?;
            check_length(&source, &field, MAX_TEXT_CHARS)?;
            if !d.sources.contains(&source) {
                d.sources.push(source);
            }
        }
    }
    if let Some(v) = map.get("company") {
        d.company = parse_company(v, &path("company"))?;
    }
    if let Some(v) = map.get("owner") {
        d.owner = parse_owner(v, &path("owner"))?;
    }
    if let Some(v) = map.get("custom_fields") {
        let items = list(v, &path("custom_fields"), MAX_CUSTOM_FIELD_CONDITIONS)?;
        for (i, item) in items.iter().enumerate() {
            let field = format!("{}[{i}]", path("custom_fields"));
            if let Some(c) = parse_custom_field(item, &field)? {
                d.custom_fields.push(c);
            }
        }
    }
    if let Some(v) = map.get("behaviour") {
        let items = list(v, &path("behaviour"), MAX_BEHAVIOUR_CONDITIONS)?;
        for (i, item) in items.iter().enumerate() {
            let field = format!("{}[{i}]", path("behaviour"));
            if let Some(b) = parse_behaviour(item, &field)? {
                d.behaviour.push(b);
            }
        }
    }
    if let Some(v) = map.get("created") {
        d.created = parse_date_range(v, &path("created"))?;
    }
    if let Some(v) = map.get("last_activity") {
        d.last_activity = parse_date_range(v, &path("last_activity"))?;
    }
    if let Some(v) = map.get("include_opted_out") {
        d.include_opted_out = boolean(v, &path("include_opted_out"))?.unwrap_or(false);
    }
    Ok(d)
}

fn parse_temperature(v: &Input, at: &str) -> Result<Option<TemperatureCriterion>, SegmentError> {
    if v.is_null() {
        return Ok(None);
    }
    let map = object(v, at, &TEMPERATURE_FIELDS)?;
    let mut t = TemperatureCriterion::default();
    if let Some(bands) = map.get("bands") {
        let field = format!("{at}.bands");
        for (i, item) in list(bands, &field, 3)?.iter().enumerate() {
            let f = format!("{field}[{i}]");
            let key = required_text(item, &f)?;
            let band = [Temperature::Hot, Temperature::Warm, Temperature::Cold]
                .into_iter()
                .find(|b| b.key().eq_ignore_ascii_case(&key));
            match band {
                Some(b) if !t.bands.contains(&b) => t.bands.push(b),
                Some(_) => {}
                None => {
                    return err(
                        &f,
                        Problem::NotOneOf {
                            allowed: vec!["hot".into(), "warm".into(), "cold".into()],
                            got: key,
                        },
                    );
                }
            }
        }
    }
    let score = |k: &str| -> Result<Option<f64>, SegmentError> {
        let field = format!("{at}.{k}");
        match map.get(k).map(|v| number(v, &field)).transpose()?.flatten() {
            Some(n) if n < 0.0 => err(
                &field,
                Problem::OutOfRange {
                    min: 0,
                    max: 1_000_000,
                },
            ),
            Some(n) if n > 1_000_000.0 => err(
                &field,
                Problem::OutOfRange {
                    min: 0,
                    max: 1_000_000,
                },
            ),
            other => Ok(other),
        }
    };
    t.min_score = score("min_score")?;
    t.max_score = score("max_score")?;
    if let (Some(lo), Some(hi)) = (t.min_score, t.max_score)
        && hi < lo
    {
        return err(
            &format!("{at}.max_score"),
            Problem::EndBeforeStart {
                start: format_number(lo),
            },
        );
    }
    Ok((t != TemperatureCriterion::default()).then_some(t))
}

fn parse_company(v: &Input, at: &str) -> Result<Option<CompanyCriterion>, SegmentError> {
    if v.is_null() {
        return Ok(None);
    }
    let map = object(v, at, &COMPANY_FIELDS)?;
    let id = map
        .get("id")
        .map(|v| integer(v, &format!("{at}.id"), 1, i64::MAX))
        .transpose()?
        .flatten();
    let name = map
        .get("name_contains")
        .map(|v| text(v, &format!("{at}.name_contains")))
        .transpose()?
        .filter(|s| !s.is_empty());
    match (id, name) {
        (Some(_), Some(_)) => err(at, Problem::CompanyBoth),
        (Some(id), None) => Ok(Some(CompanyCriterion::Id(id))),
        (None, Some(name)) => {
            check_length(&name, &format!("{at}.name_contains"), MAX_TEXT_CHARS)?;
            Ok(Some(CompanyCriterion::NameContains(name)))
        }
        (None, None) => Ok(None),
    }
}

fn parse_owner(v: &Input, at: &str) -> Result<Option<OwnerCriterion>, SegmentError> {
    let not_one_of = |got: String| {
        err(
            at,
            Problem::NotOneOf {
                allowed: vec!["me".into(), "unassigned".into(), "a user id".into()],
                got,
            },
        )
    };
    match v {
        Input::Null => Ok(None),
        Input::Text(s) => match s.trim() {
            "" => Ok(None),
            "me" => Ok(Some(OwnerCriterion::Me)),
            "unassigned" | "none" => Ok(Some(OwnerCriterion::Unassigned)),
            other => match other.parse::<i64>() {
                Ok(id) if id > 0 => Ok(Some(OwnerCriterion::User(id))),
                _ => not_one_of(other.to_string()),
            },
        },
        Input::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n < 9.0e15 => {
            Ok(Some(OwnerCriterion::User(*n as i64)))
        }
        Input::Number(n) => not_one_of(format_number(*n)),
        _ => not_one_of(String::new()),
    }
}

fn parse_custom_field(v: &Input, at: &str) -> Result<Option<CustomFieldCondition>, SegmentError> {
    if v.is_null() {
        return Ok(None);
    }
    let map = object(v, at, &CUSTOM_FIELD_FIELDS)?;
    let field = map
        .get("field")
        .map(|v| text(v, &format!("{at}.field")))
        .transpose()?
        .filter(|s| !s.is_empty());
    let Some(field) = field else {
        return err(&format!("{at}.field"), Problem::Required);
    };
    check_length(&field, &format!("{at}.field"), MAX_TEXT_CHARS)?;
    if field.chars().any(|c| c == '"' || c.is_control()) {
        return err(&format!("{at}.field"), Problem::BadFieldName);
    }
    let op_field = format!("{at}.op");
    let op = match map
        .get("op")
        .map(|v| text(v, &op_field))
        .transpose()?
        .as_deref()
    {
        None | Some("") | Some("eq") | Some("=") => FieldOp::Eq,
        Some("gte") | Some(">=") => FieldOp::Gte,
        Some("lte") | Some("<=") => FieldOp::Lte,
        Some(other) => {
            return err(
                &op_field,
                Problem::NotOneOf {
                    allowed: FieldOp::ALL.iter().map(|o| o.key().into()).collect(),
                    got: other.to_string(),
                },
            );
        }
    };
    let value_field = format!("{at}.value");
    let raw: &Input = map.get("value").copied().unwrap_or(&Input::Null);
    let value = match op {
        FieldOp::Eq => {
            let text = match raw {
                Input::Number(n) => format_number(*n),
                Input::Bool(b) => b.to_string(),
                other => required_text(other, &value_field)?,
            };
            check_length(&text, &value_field, MAX_TEXT_CHARS)?;
            FieldValue::Text(text)
        }
        FieldOp::Gte | FieldOp::Lte => match number(raw, &value_field)? {
            Some(n) => FieldValue::Number(n),
            None => return err(&value_field, Problem::Required),
        },
    };
    Ok(Some(CustomFieldCondition { field, op, value }))
}

fn parse_behaviour(v: &Input, at: &str) -> Result<Option<BehaviourCondition>, SegmentError> {
    if v.is_null() {
        return Ok(None);
    }
    let map = object(v, at, &BEHAVIOUR_FIELDS)?;
    let type_field = format!("{at}.type");
    let event_type = match map
        .get("type")
        .map(|v| text(v, &type_field))
        .transpose()?
        .filter(|s| !s.is_empty())
    {
        Some(key) => match EventKind::parse(&key) {
            Ok(kind) => Some(kind),
            Err(_) => return err(&type_field, Problem::BadEventType(key)),
        },
        None => None,
    };
    let category_field = format!("{at}.category");
    let category = match map
        .get("category")
        .map(|v| text(v, &category_field))
        .transpose()?
        .filter(|s| !s.is_empty())
    {
        Some(key) => match PageCategory::parse(&key) {
            Ok(c) => Some(c),
            Err(_) => {
                return err(
                    &category_field,
                    Problem::NotOneOf {
                        allowed: PageCategory::ALL.iter().map(|c| c.key().into()).collect(),
                        got: key,
                    },
                );
            }
        },
        None => None,
    };
    if category.is_some()
        && event_type
            .as_ref()
            .is_some_and(|t| *t != EventKind::PageView)
    {
        return err(&category_field, Problem::CategoryNeedsPageView);
    }
    let min_count = map
        .get("min_count")
        .map(|v| integer(v, &format!("{at}.min_count"), 1, MAX_EVENT_COUNT))
        .transpose()?
        .flatten()
        .unwrap_or(1);
    let within_days = match map
        .get("within_days")
        .map(|v| integer(v, &format!("{at}.within_days"), 1, MAX_DAYS))
        .transpose()?
        .flatten()
    {
        Some(d) => d,
        None => return err(&format!("{at}.within_days"), Problem::Required),
    };
    Ok(Some(BehaviourCondition {
        event_type,
        category,
        min_count,
        within_days,
    }))
}

fn parse_date_range(v: &Input, at: &str) -> Result<Option<DateRange>, SegmentError> {
    if v.is_null() {
        return Ok(None);
    }
    let map = object(v, at, &DATE_RANGE_FIELDS)?;
    let day = |k: &str| -> Result<Option<String>, SegmentError> {
        let field = format!("{at}.{k}");
        match map.get(k).map(|v| text(v, &field)).transpose()? {
            Some(s) if !s.is_empty() => match parse_date(&s) {
                Ok(d) => Ok(Some(format!(
                    "{:04}-{:02}-{:02}",
                    d.year(),
                    u8::from(d.month()),
                    d.day()
                ))),
                Err(_) => err(&field, Problem::NotADate),
            },
            _ => Ok(None),
        }
    };
    let days = |k: &str| {
        map.get(k)
            .map(|v| integer(v, &format!("{at}.{k}"), 0, MAX_DAYS))
            .transpose()
            .map(Option::flatten)
    };
    let r = DateRange {
        from: day("from")?,
        to: day("to")?,
        within_days: days("within_days")?,
        older_than_days: days("older_than_days")?,
    };
    if let (Some(from), Some(to)) = (&r.from, &r.to)
        && to < from
    {
        return err(
            &format!("{at}.to"),
            Problem::EndBeforeStart {
                start: from.clone(),
            },
        );
    }
    Ok((!r.is_empty()).then_some(r))
}

fn object<'a>(
    v: &'a Input,
    at: &str,
    known: &[&'static str],
) -> Result<BTreeMap<&'a str, &'a Input>, SegmentError> {
    let Input::Map(map) = v else {
        return err(
            if at.is_empty() { "body" } else { at },
            Problem::NotAnObject,
        );
    };
    let mut out = BTreeMap::new();
    for (k, v) in map {
        if !known.contains(&k.as_str()) {
            let field = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            return err(
                &field,
                Problem::UnknownField {
                    known: known.to_vec(),
                },
            );
        }
        if !v.is_null() {
            out.insert(k.as_str(), v);
        }
    }
    Ok(out)
}

fn list<'a>(v: &'a Input, at: &str, max: usize) -> Result<Vec<&'a Input>, SegmentError> {
    let items: Vec<&Input> = match v {
        Input::Null => Vec::new(),
        Input::List(items) => items.iter().collect(),
        // One value where a list goes: a form's single choice, or a JSON shortcut.
        Input::Text(_) | Input::Number(_) => vec![v],
        _ => return err(at, Problem::NotAList),
    };
    if items.len() > max {
        return err(at, Problem::TooMany { max });
    }
    Ok(items)
}

/// Text, trimmed (empty when null).
fn text(v: &Input, at: &str) -> Result<String, SegmentError> {
    match v {
        Input::Null => Ok(String::new()),
        Input::Text(s) => Ok(s.trim().to_string()),
        _ => err(at, Problem::NotText),
    }
}

fn required_text(v: &Input, at: &str) -> Result<String, SegmentError> {
    let s = text(v, at)?;
    if s.is_empty() {
        return err(at, Problem::Required);
    }
    Ok(s)
}

fn check_length(s: &str, at: &str, max: usize) -> Result<(), SegmentError> {
    if s.chars().count() > max {
        return err(at, Problem::TooLong { max });
    }
    Ok(())
}

/// A finite number, from a number or a numeric text (`1,200` reads as 1200).
fn number(v: &Input, at: &str) -> Result<Option<f64>, SegmentError> {
    match v {
        Input::Null => Ok(None),
        Input::Number(n) if n.is_finite() => Ok(Some(*n)),
        Input::Text(s) if s.trim().is_empty() => Ok(None),
        Input::Text(s) => match s.trim().replace(',', "").parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            _ => err(at, Problem::NotANumber),
        },
        _ => err(at, Problem::NotANumber),
    }
}

fn integer(v: &Input, at: &str, min: i64, max: i64) -> Result<Option<i64>, SegmentError> {
    let n = match v {
        Input::Null => return Ok(None),
        Input::Number(n) => *n,
        Input::Text(s) if s.trim().is_empty() => return Ok(None),
        Input::Text(s) => match s.trim().parse::<f64>() {
            Ok(n) => n,
            Err(_) => return err(at, Problem::NotAnInteger),
        },
        _ => return err(at, Problem::NotAnInteger),
    };
    if !n.is_finite() || n.fract() != 0.0 {
        return err(at, Problem::NotAnInteger);
    }
    if n < min as f64 || n > max as f64 {
        return err(at, Problem::OutOfRange { min, max });
    }
    Ok(Some(n as i64))
}

fn boolean(v: &Input, at: &str) -> Result<Option<bool>, SegmentError> {
    match v {
        Input::Null => Ok(None),
        Input::Bool(b) => Ok(Some(*b)),
        Input::Text(s) => match s.trim() {
            "" => Ok(None),
            "true" | "on" | "1" => Ok(Some(true)),
            "false" | "off" | "0" => Ok(Some(false)),
            _ => err(at, Problem::NotABool),
        },
        _ => err(at, Problem::NotABool),
    }
}

/// An upper bound on the engagement key; a lead without engagement (no key) is below
/// every bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyUpper {
    /// Key below this.
    Below(f64),
    /// Key at most this.
    AtMost(f64),
    /// No key at all (an engagement score of 0).
    Unengaged,
}

/// An engagement score range today, as bounds on the stored time-invariant key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyRange {
    /// Key at least this (which leaves out leads without engagement).
    pub lower: Option<f64>,
    /// The upper bound.
    pub upper: Option<KeyUpper>,
}

/// One test a lead must pass, free of SQL; the store compiles each to a predicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Matches no lead (e.g. an empty score range, or "my leads" with nobody looking).
    Nothing,
    /// The status is one of these.
    StatusIn(Vec<LeadStatus>),
    /// The engagement key lies in one of these ranges.
    EngagementIn(Vec<KeyRange>),
    /// A touchpoint from one of these sources.
    SourceIn(Vec<String>),
    /// The lead's company is this one.
    CompanyIs(i64),
    /// The lead's company's name key contains this (a company name key).
    CompanyNameContains(String),
    /// This user owns the lead.
    OwnerIs(i64),
    /// Nobody owns the lead.
    Unassigned,
    /// The custom field's value, as text, is this.
    FieldEquals {
        /// The custom field's name.
        field: String,
        /// The text it must equal.
        value: String,
    },
    /// The custom field holds a number at least this.
    FieldAtLeast {
        /// The custom field's name.
        field: String,
        /// The smallest value.
        value: f64,
    },
    /// The custom field holds a number at most this.
    FieldAtMost {
        /// The custom field's name.
        field: String,
        /// The largest value.
        value: f64,
    },
    /// At least `count` events by a person since `since`, of a type and/or category.
    EventsAtLeast {
        /// The event type key; none: any.
        event_type: Option<String>,
        /// The page category key; none: any.
        category: Option<String>,
        /// The start of the window.
        since: Micros,
        /// The fewest events.
        count: i64,
    },
    /// Created at or after this instant.
    CreatedFrom(Micros),
    /// Created before this instant.
    CreatedBefore(Micros),
    /// Last engaged at or after this instant.
    ActiveFrom(Micros),
    /// Last engaged before this instant, or never.
    InactiveSince(Micros),
    /// Has not opted out of email.
    NotOptedOut,
    /// The lead's search text (name, reading, email, company, phones, as search keys)
    /// contains this search key (the lead list's search box, next to a segment).
    SearchTextContains(String),
}

/// What a definition is evaluated against: the scoring rules (temperature bands and
/// half-life), the moment, and who "me" is.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The workspace's scoring rules.
    pub rules: &'a ScoringRules,
    /// Now.
    pub now: Micros,
    /// The user "me" means; none: nobody ("my leads" then match nothing).
    pub me: Option<i64>,
}

impl SegmentDefinition {
    /// Returns the tests a lead must pass, all of them, on `ctx.now`'s day.
    pub fn conditions(&self, ctx: &Context<'_>) -> Vec<Condition> {
        let mut out = Vec::new();
        if !self.statuses.is_empty() {
            out.push(Condition::StatusIn(self.statuses.clone()));
        }
        if let Some(t) = &self.temperature {
            out.push(temperature_condition(t, ctx));
        }
        if !self.sources.is_empty() {
            out.push(Condition::SourceIn(self.sources.clone()));
        }
        match &self.company {
            Some(CompanyCriterion::Id(id)) => out.push(Condition::CompanyIs(*id)),
            Some(CompanyCriterion::NameContains(name)) => {
                out.push(Condition::CompanyNameContains(company_search_key(name)))
            }
            None => {}
        }
        match self.owner {
            Some(OwnerCriterion::Me) => out.push(match ctx.me {
                Some(me) => Condition::OwnerIs(me),
                None => Condition::Nothing,
            }),
            Some(OwnerCriterion::Unassigned) => out.push(Condition::Unassigned),
            Some(OwnerCriterion::User(id)) => out.push(Condition::OwnerIs(id)),
            None => {}
        }
        for c in &self.custom_fields {
            out.push(match (&c.op, &c.value) {
                (FieldOp::Eq, v) => Condition::FieldEquals {
                    field: c.field.clone(),
                    value: v.to_string(),
                },
                (FieldOp::Gte, FieldValue::Number(n)) => Condition::FieldAtLeast {
                    field: c.field.clone(),
                    value: *n,
                },
                (FieldOp::Lte, FieldValue::Number(n)) => Condition::FieldAtMost {
                    field: c.field.clone(),
                    value: *n,
                },
                // Parsing never pairs a comparison with text.
                (FieldOp::Gte | FieldOp::Lte, FieldValue::Text(_)) => Condition::Nothing,
            });
        }
        for b in &self.behaviour {
            out.push(Condition::EventsAtLeast {
                event_type: b.event_type.as_ref().map(|k| k.key().to_string()),
                category: b.category.map(|c| c.key().to_string()),
                since: ctx.now.saturating_add(-Micros::days(b.within_days)),
                count: b.min_count,
            });
        }
        if let Some(r) = &self.created {
            let (from, before) = bounds(r, ctx.now);
            out.extend(from.map(Condition::CreatedFrom));
            out.extend(before.map(Condition::CreatedBefore));
        }
        if let Some(r) = &self.last_activity {
            let (from, before) = bounds(r, ctx.now);
            out.extend(from.map(Condition::ActiveFrom));
            out.extend(before.map(Condition::InactiveSince));
        }
        if !self.include_opted_out {
            out.push(Condition::NotOptedOut);
        }
        out
    }

    /// Whether nothing but the default (no opt-outs) is asked for.
    pub fn is_empty(&self) -> bool {
        SegmentDefinition {
            include_opted_out: false,
            ..self.clone()
        } == SegmentDefinition::default()
    }
}

/// The key a company-name search matches on: the name without its legal form, as
/// companies are stored; text that is no company name is searched as typed.
pub fn company_search_key(text: &str) -> String {
    CompanyName::parse(text)
        .map(|name| name.key())
        .ok()
        .filter(|key| !key.is_empty())
        .unwrap_or_else(|| search_key(text))
}

/// The instants a date range gives: (at or after, before).
fn bounds(r: &DateRange, now: Micros) -> (Option<Micros>, Option<Micros>) {
    let day_start = |s: &Option<String>| s.as_deref().and_then(Micros::parse_jst_date);
    let mut from = day_start(&r.from);
    let mut before = day_start(&r.to).map(|m| m.saturating_add(Micros::days(1)));
    if let Some(n) = r.within_days {
        let t = now.saturating_add(-Micros::days(n));
        from = Some(from.map_or(t, |f| f.max(t)));
    }
    if let Some(n) = r.older_than_days {
        let t = now.saturating_add(-Micros::days(n));
        before = Some(before.map_or(t, |b| b.min(t)));
    }
    (from, before)
}

/// A score range: at least `lo`; below (or at most) `hi`.
#[derive(Debug, Clone, Copy)]
struct ScoreRange {
    lo: f64,
    hi: Option<(f64, bool)>,
}

fn temperature_condition(t: &TemperatureCriterion, ctx: &Context<'_>) -> Condition {
    let bands = &ctx.rules.bands;
    let band_range = |b: &Temperature| match b {
        Temperature::Hot => ScoreRange {
            lo: bands.hot,
            hi: None,
        },
        Temperature::Warm => ScoreRange {
            lo: bands.warm,
            hi: Some((bands.hot, false)),
        },
        Temperature::Cold => ScoreRange {
            lo: 0.0,
            hi: Some((bands.warm, false)),
        },
    };
    let mut ranges: Vec<ScoreRange> = if t.bands.is_empty() {
        vec![ScoreRange { lo: 0.0, hi: None }]
    } else {
        t.bands.iter().map(band_range).collect()
    };
    for r in &mut ranges {
        if let Some(min) = t.min_score {
            r.lo = r.lo.max(min);
        }
        if let Some(max) = t.max_score {
            r.hi = match r.hi {
                Some((hi, inclusive)) if hi < max || (hi == max && !inclusive) => {
                    Some((hi, inclusive))
                }
                _ => Some((max, true)),
            };
        }
    }
    // The score today is exp(key − λ·(today − REFERENCE_DAY)).
    let shift = ctx.rules.lambda_per_day() * (jst_day(ctx.now) - REFERENCE_DAY) as f64;
    let keys: Vec<KeyRange> = ranges
        .into_iter()
        .filter(|r| match r.hi {
            Some((hi, true)) => hi >= r.lo,
            Some((hi, false)) => hi > r.lo,
            None => true,
        })
        .map(|r| KeyRange {
            lower: (r.lo > 0.0).then(|| r.lo.ln() + shift),
            upper: r.hi.map(|(hi, inclusive)| {
                if hi <= 0.0 {
                    KeyUpper::Unengaged
                } else if inclusive {
                    KeyUpper::AtMost(hi.ln() + shift)
                } else {
                    KeyUpper::Below(hi.ln() + shift)
                }
            }),
        })
        .collect();
    if keys.is_empty() {
        Condition::Nothing
    } else {
        Condition::EngagementIn(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{engagement_key, score_on};

    fn t(s: &str) -> Input {
        Input::Text(s.into())
    }

    fn def(entries: Vec<(&str, Input)>) -> Result<SegmentDefinition, SegmentError> {
        parse_definition(&Input::map(entries))
    }

    fn field_of(r: Result<SegmentDefinition, SegmentError>) -> String {
        r.expect_err("invalid").field
    }

    #[test]
    fn an_empty_definition_leaves_out_opted_out_leads_only() {
        let d = parse_definition(&Input::Null).expect("valid");
        assert!(d.is_empty());
        let rules = ScoringRules::default();
        let ctx = Context {
            rules: &rules,
            now: Micros::now(),
            me: None,
        };
        assert_eq!(d.conditions(&ctx), vec![Condition::NotOptedOut]);
        let all = def(vec![("include_opted_out", Input::Bool(true))]).expect("valid");
        assert!(all.conditions(&ctx).is_empty());
    }

    #[test]
    fn every_part_parses_and_round_trips_through_its_stored_form() {
        let d = def(vec![
            (
                "statuses",
                Input::List(vec![t("new"), t("nurturing"), t("new")]),
            ),
            (
                "temperature",
                Input::map([
                    ("bands", Input::List(vec![t("hot"), t("warm")])),
                    ("min_score", Input::Number(5.0)),
                ]),
            ),
            ("sources", Input::List(vec![t("展示会 2026-10 東京")])),
            ("company", Input::map([("name_contains", t("アルファ"))])),
            ("owner", t("unassigned")),
            (
                "custom_fields",
                Input::List(vec![
                    Input::map([("field", t("業種")), ("value", t("製造業"))]),
                    Input::map([
                        ("field", t("従業員数")),
                        ("op", t(">=")),
                        ("value", t("1,000")),
                    ]),
                ]),
            ),
            (
                "behaviour",
                Input::List(vec![Input::map([
                    ("type", t("page_view")),
                    ("category", t("product")),
                    ("min_count", Input::Number(3.0)),
                    ("within_days", t("30")),
                ])]),
            ),
            (
                "created",
                Input::map([("from", t("2026/4/1")), ("to", t("2026-04-30"))]),
            ),
            ("last_activity", Input::map([("older_than_days", t("60"))])),
        ])
        .expect("valid");
        assert_eq!(d.statuses, vec![LeadStatus::New, LeadStatus::Nurturing]);
        assert_eq!(
            d.custom_fields[1].value,
            FieldValue::Number(1000.0),
            "commas are thousands separators"
        );
        assert_eq!(d.custom_fields[0].op, FieldOp::Eq);
        assert_eq!(
            d.created.as_ref().and_then(|c| c.from.clone()).as_deref(),
            Some("2026-04-01")
        );
        assert_eq!(d.owner, Some(OwnerCriterion::Unassigned));
        // Stored as JSON by the store; any self-describing format round-trips it.
        let stored = toml::to_string(&d).expect("serialises");
        let back: SegmentDefinition = toml::from_str(&stored).expect("deserialises");
        assert_eq!(back, d);
    }

    #[test]
    fn errors_name_the_field() {
        let cases: Vec<(Vec<(&str, Input)>, &str)> = vec![
            (
                vec![("statuses", Input::List(vec![t("new"), t("hot")]))],
                "definition.statuses[1]",
            ),
            (vec![("statuz", Input::List(vec![]))], "definition.statuz"),
            (
                vec![(
                    "temperature",
                    Input::map([("bands", Input::List(vec![t("lukewarm")]))]),
                )],
                "definition.temperature.bands[0]",
            ),
            (
                vec![(
                    "temperature",
                    Input::map([("min_score", t("10")), ("max_score", t("5"))]),
                )],
                "definition.temperature.max_score",
            ),
            (
                vec![("temperature", Input::map([("min_score", t("hot"))]))],
                "definition.temperature.min_score",
            ),
            (
                vec![(
                    "company",
                    Input::map([("id", t("1")), ("name_contains", t("x"))]),
                )],
                "definition.company",
            ),
            (
                vec![("company", Input::map([("id", t("0"))]))],
                "definition.company.id",
            ),
            (vec![("owner", t("someone"))], "definition.owner"),
            (
                vec![(
                    "custom_fields",
                    Input::List(vec![Input::map([
                        ("field", t("size")),
                        ("op", t("gte")),
                        ("value", t("large")),
                    ])]),
                )],
                "definition.custom_fields[0].value",
            ),
            (
                vec![(
                    "custom_fields",
                    Input::List(vec![Input::map([("field", t("a\"b")), ("value", t("x"))])]),
                )],
                "definition.custom_fields[0].field",
            ),
            (
                vec![(
                    "custom_fields",
                    Input::List(vec![Input::map([("field", t("a")), ("op", t("like"))])]),
                )],
                "definition.custom_fields[0].op",
            ),
            (
                vec![(
                    "behaviour",
                    Input::List(vec![Input::map([
                        ("type", t("Page-View")),
                        ("within_days", t("3")),
                    ])]),
                )],
                "definition.behaviour[0].type",
            ),
            (
                vec![(
                    "behaviour",
                    Input::List(vec![Input::map([
                        ("type", t("download")),
                        ("category", t("product")),
                        ("within_days", t("3")),
                    ])]),
                )],
                "definition.behaviour[0].category",
            ),
            (
                vec![(
                    "behaviour",
                    Input::List(vec![Input::map([("type", t("download"))])]),
                )],
                "definition.behaviour[0].within_days",
            ),
            (
                vec![(
                    "behaviour",
                    Input::List(vec![Input::map([
                        ("min_count", t("0")),
                        ("within_days", t("3")),
                    ])]),
                )],
                "definition.behaviour[0].min_count",
            ),
            (
                vec![("created", Input::map([("from", t("yesterday"))]))],
                "definition.created.from",
            ),
            (
                vec![(
                    "last_activity",
                    Input::map([("from", t("2026-05-01")), ("to", t("2026-04-01"))]),
                )],
                "definition.last_activity.to",
            ),
            (
                vec![("include_opted_out", t("maybe"))],
                "definition.include_opted_out",
            ),
            (vec![("sources", Input::Bool(true))], "definition.sources"),
        ];
        for (entries, field) in cases {
            assert_eq!(field_of(def(entries)), field);
        }
        let e = parse_segment(&Input::map([("definition", Input::Null)])).expect_err("no name");
        assert_eq!((e.field.as_str(), &e.problem), ("name", &Problem::Required));
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let e = parse_segment(&Input::map([("name", t(&long))])).expect_err("long");
        assert_eq!(e.field, "name");
        assert_eq!(
            e.to_string(),
            format!("name: must be at most {MAX_NAME_CHARS} characters")
        );
        let e = parse_segment(&Input::List(vec![])).expect_err("not an object");
        assert_eq!(e.field, "body");
    }

    #[test]
    fn owner_me_is_the_viewer_and_nobody_without_one() {
        let d = def(vec![("owner", t("me"))]).expect("valid");
        let rules = ScoringRules::default();
        let mut ctx = Context {
            rules: &rules,
            now: Micros::now(),
            me: Some(7),
        };
        assert!(d.conditions(&ctx).contains(&Condition::OwnerIs(7)));
        ctx.me = None;
        assert!(d.conditions(&ctx).contains(&Condition::Nothing));
        let d = def(vec![("owner", Input::Number(12.0))]).expect("valid");
        assert_eq!(d.owner, Some(OwnerCriterion::User(12)));
    }

    /// The key bounds put leads in the band the lead page shows them in.
    #[test]
    fn temperature_bands_select_the_leads_of_those_bands_today() {
        use crate::scoring::{EventKind, ScoredEvent, temperature};
        let rules = ScoringRules::default();
        let now = Micros::parse_rfc3339("2026-06-01T12:00:00+09:00").expect("valid");
        let ctx = Context {
            rules: &rules,
            now,
            me: None,
        };
        let downloads = |n: usize, days_ago: i64| -> Option<f64> {
            let events: Vec<ScoredEvent> = (0..n as i64)
                .map(|i| ScoredEvent {
                    kind: EventKind::Download,
                    category: None,
                    at: now.saturating_add(-Micros::days(days_ago + i)),
                    bot: false,
                })
                .collect();
            engagement_key(&rules, &events)
        };
        let keys = [
            None,
            downloads(1, 40),
            downloads(1, 0),
            downloads(3, 0),
            downloads(8, 0),
        ];
        let in_range = |k: Option<f64>, r: &KeyRange| {
            let lower_ok = match (r.lower, k) {
                (Some(lo), Some(k)) => k >= lo,
                (Some(_), None) => false,
                (None, _) => true,
            };
            let upper_ok = match (r.upper, k) {
                (None, _) | (Some(_), None) => true,
                (Some(KeyUpper::Below(hi)), Some(k)) => k < hi,
                (Some(KeyUpper::AtMost(hi)), Some(k)) => k <= hi,
                (Some(KeyUpper::Unengaged), Some(_)) => false,
            };
            lower_ok && upper_ok
        };
        for band in [Temperature::Hot, Temperature::Warm, Temperature::Cold] {
            let d = SegmentDefinition {
                temperature: Some(TemperatureCriterion {
                    bands: vec![band],
                    ..Default::default()
                }),
                include_opted_out: true,
                ..Default::default()
            };
            let conds = d.conditions(&ctx);
            let Condition::EngagementIn(ranges) = &conds[0] else {
                panic!("{conds:?}")
            };
            for k in keys {
                let score = score_on(k, jst_day(now), &rules);
                let shown = temperature(&rules, score);
                let selected = ranges.iter().any(|r| in_range(k, r));
                assert_eq!(selected, shown == band, "{band:?} with score {score}");
            }
        }
        // A score range: at most 0 is "no engagement at all".
        let d = SegmentDefinition {
            temperature: Some(TemperatureCriterion {
                max_score: Some(0.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        let conds = d.conditions(&ctx);
        assert_eq!(
            conds[0],
            Condition::EngagementIn(vec![KeyRange {
                lower: None,
                upper: Some(KeyUpper::Unengaged)
            }])
        );
        // Hot and at most the warm threshold: nothing.
        let d = SegmentDefinition {
            temperature: Some(TemperatureCriterion {
                bands: vec![Temperature::Hot],
                max_score: Some(rules.bands.warm),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(d.conditions(&ctx)[0], Condition::Nothing);
    }

    #[test]
    fn date_ranges_are_japan_days_inclusive() {
        let d = def(vec![(
            "created",
            Input::map([("from", t("2026-04-01")), ("to", t("2026-04-01"))]),
        )])
        .expect("valid");
        let rules = ScoringRules::default();
        let ctx = Context {
            rules: &rules,
            now: Micros::now(),
            me: None,
        };
        let conds = d.conditions(&ctx);
        let start = Micros::parse_rfc3339("2026-04-01T00:00:00+09:00").expect("valid");
        assert!(conds.contains(&Condition::CreatedFrom(start)));
        assert!(conds.contains(&Condition::CreatedBefore(
            start.saturating_add(Micros::days(1))
        )));
    }
}
