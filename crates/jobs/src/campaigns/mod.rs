//! Step campaigns (nurturing): checking what people write, enrolling leads, and the
//! durable jobs that send each step exactly once (see [`send`]).
//!
//! Enrolling a lead writes its enrolment, its first step's message row and that row's
//! job in one transaction; the message row (unique per enrolment and step) is the
//! step's idempotency key. Sending a step schedules the next one in the transaction that
//! records the sending, so a campaign walks its steps one durable job at a time.
//!
//! Leads also come in by themselves through a campaign's triggers ([`follow`]), and
//! leave when they become SQL ([`follow`]), reply ([`reply`]) or unsubscribe. A paused
//! campaign sends nothing; [`resume`] queues its waiting steps again.

pub mod compose;
pub mod follow;
pub mod reply;
pub mod segment;
pub mod send;

use ondo_domain::campaign::{
    self as rules, MAX_BODY_CHARS, MAX_DELAY_DAYS, MAX_NAME_CHARS, MAX_STEPS, MAX_SUBJECT_CHARS,
    MAX_TRIGGERS, SendWindow, TemplateError, Trigger,
};
use ondo_domain::{Email, LeadStatus, Micros};
use ondo_store::campaigns::{self as store, CampaignInput, SenderSettings, StepInput};
use ondo_store::jobs;
use ondo_store::{Actor, Db, StoreError, Tx, WorkspaceId};
use serde::{Deserialize, Serialize};

/// The job kind of one step of one enrolment.
pub const STEP_JOB: &str = "campaign_step";
/// The job kind of a test message to a user.
pub const TEST_JOB: &str = "campaign_test";
/// Attempts of a step's job before its message is given up (temporary failures).
pub const MAX_ATTEMPTS: i32 = 8;
/// Most leads enrolled by one request.
pub const MAX_ENROLL: usize = 5_000;
/// Longest sender name and postal address, in characters.
pub const MAX_SENDER_CHARS: usize = 200;
pub const MAX_ADDRESS_CHARS: usize = 500;
/// The highest rate limit a workspace may set, in messages a minute.
pub const MAX_RATE_PER_MINUTE: i64 = 10_000;

/// A step's job payload: the message row it sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepPayload {
    pub message_id: i64,
}

/// A test message's payload: the step rendered for a lead (or a sample person) and sent
/// to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestPayload {
    pub campaign_id: i64,
    pub step_id: i64,
    pub user_id: i64,
    #[serde(default)]
    pub lead_id: Option<i64>,
}

/// A step as typed (API or page), before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawStep {
    /// An existing step to change; `None` adds one.
    pub id: Option<i64>,
    pub delay_days: Option<i64>,
    /// `HH:MM`; both or neither.
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub subject: String,
    pub body: String,
}

/// A campaign as typed, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCampaign {
    pub name: String,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub steps: Vec<RawStep>,
}

/// What is wrong with one field of a campaign or of the sender settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    Missing,
    TooLong(usize),
    NoSteps,
    TooManySteps,
    DelayOutOfRange,
    Template(TemplateError),
    Window(String),
    EmailInvalid,
    RateOutOfRange,
    /// A trigger that does not parse (its words say why).
    Trigger(String),
    /// A trigger names a form or segment the workspace does not have.
    TriggerTargetMissing,
    TooManyTriggers,
}

/// One problem: the field (`name`, `steps[0].body`…), the step it is in (1-based) and
/// what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub step: Option<usize>,
    pub kind: ProblemKind,
}

impl Problem {
    fn new(field: impl Into<String>, step: Option<usize>, kind: ProblemKind) -> Problem {
        Problem {
            field: field.into(),
            step,
            kind,
        }
    }

    /// The problem in English words, naming the step.
    pub fn message(&self) -> String {
        let what = match &self.kind {
            ProblemKind::Missing => "is required".to_string(),
            ProblemKind::TooLong(n) => format!("is longer than {n} characters"),
            ProblemKind::NoSteps => "a campaign needs at least one step".to_string(),
            ProblemKind::TooManySteps => format!("a campaign has at most {MAX_STEPS} steps"),
            ProblemKind::DelayOutOfRange => {
                format!("must be a whole number of days from 0 to {MAX_DELAY_DAYS}")
            }
            ProblemKind::Template(e) => e.to_string(),
            ProblemKind::Window(m) => m.clone(),
            ProblemKind::EmailInvalid => "is not a valid email address".to_string(),
            ProblemKind::RateOutOfRange => {
                format!("must be from 1 to {MAX_RATE_PER_MINUTE} messages a minute")
            }
            ProblemKind::Trigger(m) => m.clone(),
            ProblemKind::TriggerTargetMissing => "names nothing in this workspace".to_string(),
            ProblemKind::TooManyTriggers => {
                format!("a campaign has at most {MAX_TRIGGERS} triggers")
            }
        };
        let field = self.field.rsplit('.').next().unwrap_or(&self.field);
        match self.step {
            Some(n) => format!("step {n}: {field} {what}"),
            None => format!("{field} {what}"),
        }
    }
}

fn optional_text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn check_email(field: &str, raw: &Option<String>, problems: &mut Vec<Problem>) -> Option<String> {
    let raw = optional_text(raw)?;
    match Email::parse(&raw) {
        Ok(e) => Some(e.as_str().to_string()),
        Err(_) => {
            problems.push(Problem::new(field, None, ProblemKind::EmailInvalid));
            None
        }
    }
}

fn check_step(i: usize, s: &RawStep, problems: &mut Vec<Problem>) -> StepInput {
    let n = Some(i + 1);
    let field = |f: &str| format!("steps[{i}].{f}");
    let delay_days = match s.delay_days {
        Some(d) if (0..=MAX_DELAY_DAYS).contains(&d) => d,
        Some(_) => {
            problems.push(Problem::new(
                field("delay_days"),
                n,
                ProblemKind::DelayOutOfRange,
            ));
            0
        }
        None => {
            problems.push(Problem::new(field("delay_days"), n, ProblemKind::Missing));
            0
        }
    };
    let start = optional_text(&s.window_start);
    let end = optional_text(&s.window_end);
    let window = match (start, end) {
        (None, None) => None,
        (Some(a), Some(b)) => match SendWindow::parse(&a, &b) {
            Ok(w) => Some((w.start_minute(), w.end_minute())),
            Err(e) => {
                problems.push(Problem::new(
                    field(e.field()),
                    n,
                    ProblemKind::Window(e.message().to_string()),
                ));
                None
            }
        },
        (None, Some(_)) => {
            problems.push(Problem::new(field("window_start"), n, ProblemKind::Missing));
            None
        }
        (Some(_), None) => {
            problems.push(Problem::new(field("window_end"), n, ProblemKind::Missing));
            None
        }
    };
    for (name, source, max) in [
        ("subject", &s.subject, MAX_SUBJECT_CHARS),
        ("body", &s.body, MAX_BODY_CHARS),
    ] {
        if let Err(e) = rules::check_template(source, max) {
            problems.push(Problem::new(field(name), n, ProblemKind::Template(e)));
        }
    }
    StepInput {
        id: s.id,
        delay_days,
        window,
        subject: s.subject.trim().to_string(),
        body: s.body.trim_end().to_string(),
    }
}

/// Checks a campaign as typed: a name, one to [`MAX_STEPS`] steps, each with a delay,
/// an optional window and templates that parse and use known placeholders. Every
/// problem is returned, each naming its field and step.
pub fn check_campaign(raw: &RawCampaign) -> Result<CampaignInput, Vec<Problem>> {
    let mut problems = Vec::new();
    let name = raw.name.trim().to_string();
    if name.is_empty() {
        problems.push(Problem::new("name", None, ProblemKind::Missing));
    } else if name.chars().count() > MAX_NAME_CHARS {
        problems.push(Problem::new(
            "name",
            None,
            ProblemKind::TooLong(MAX_NAME_CHARS),
        ));
    }
    let sender_name = optional_text(&raw.sender_name);
    if sender_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_SENDER_CHARS)
    {
        problems.push(Problem::new(
            "sender_name",
            None,
            ProblemKind::TooLong(MAX_SENDER_CHARS),
        ));
    }
    let sender_email = check_email("sender_email", &raw.sender_email, &mut problems);
    if raw.steps.is_empty() {
        problems.push(Problem::new("steps", None, ProblemKind::NoSteps));
    } else if raw.steps.len() > MAX_STEPS {
        problems.push(Problem::new("steps", None, ProblemKind::TooManySteps));
    }
    let steps: Vec<StepInput> = raw
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| check_step(i, s, &mut problems))
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CampaignInput {
        name,
        sender_name,
        sender_email,
        steps,
    })
}

/// Sender settings as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawSettings {
    pub sender_name: String,
    pub sender_email: Option<String>,
    pub postal_address: String,
    pub rate_per_minute: Option<i64>,
}

/// Checks the sender settings: a name and a postal address (the law asks for both), an
/// optional From address and a rate limit.
pub fn check_settings(raw: &RawSettings) -> Result<SenderSettings, Vec<Problem>> {
    let mut problems = Vec::new();
    let name = raw.sender_name.trim().to_string();
    if name.is_empty() {
        problems.push(Problem::new("sender_name", None, ProblemKind::Missing));
    } else if name.chars().count() > MAX_SENDER_CHARS {
        problems.push(Problem::new(
            "sender_name",
            None,
            ProblemKind::TooLong(MAX_SENDER_CHARS),
        ));
    }
    let address = raw.postal_address.trim().to_string();
    if address.is_empty() {
        problems.push(Problem::new("postal_address", None, ProblemKind::Missing));
    } else if address.chars().count() > MAX_ADDRESS_CHARS {
        problems.push(Problem::new(
            "postal_address",
            None,
            ProblemKind::TooLong(MAX_ADDRESS_CHARS),
        ));
    }
    let sender_email = check_email("sender_email", &raw.sender_email, &mut problems);
    let rate = raw
        .rate_per_minute
        .unwrap_or(store::DEFAULT_RATE_PER_MINUTE);
    if !(1..=MAX_RATE_PER_MINUTE).contains(&rate) {
        problems.push(Problem::new(
            "rate_per_minute",
            None,
            ProblemKind::RateOutOfRange,
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(SenderSettings {
        sender_name: name,
        sender_email,
        postal_address: address,
        rate_per_minute: rate,
        updated_at: None,
    })
}

/// A trigger as typed (API or page), before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawTrigger {
    /// `status`, `form` or `segment`.
    pub kind: String,
    pub status: Option<String>,
    pub form_id: Option<String>,
    pub segment_id: Option<String>,
}

impl RawTrigger {
    fn value(&self) -> &str {
        match self.kind.trim() {
            "status" => self.status.as_deref(),
            "form" => self.form_id.as_deref(),
            "segment" => self.segment_id.as_deref(),
            _ => None,
        }
        .unwrap_or("")
    }
}

/// Whether the workspace has the form or segment a trigger names.
async fn target_exists(db: &Db, ws: WorkspaceId, t: &Trigger) -> Result<bool, StoreError> {
    Ok(match t {
        Trigger::EntersStatus(_) => true,
        Trigger::SubmitsForm(id) => match ondo_store::forms::get(db, ws, *id).await {
            Ok(_) => true,
            Err(StoreError::NotFound) => false,
            Err(e) => return Err(e),
        },
        Trigger::InSegment(id) => segment::exists(db, ws, *id).await?,
    })
}

/// Checks triggers as typed: at most [`MAX_TRIGGERS`], each of a known kind with its
/// value (a status a lead may be enrolled in, a form or segment of the workspace); the
/// same trigger twice counts once. Every problem names its field (`triggers[1].form_id`).
pub async fn check_triggers(
    db: &Db,
    ws: WorkspaceId,
    raw: &[RawTrigger],
) -> Result<Result<Vec<store::triggers::TriggerSpec>, Vec<Problem>>, StoreError> {
    let mut problems = Vec::new();
    if raw.len() > MAX_TRIGGERS {
        problems.push(Problem::new("triggers", None, ProblemKind::TooManyTriggers));
        return Ok(Err(problems));
    }
    let mut specs: Vec<store::triggers::TriggerSpec> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let t = match Trigger::parse(&r.kind, r.value()) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem::new(
                    format!("triggers[{i}].{}", e.field()),
                    None,
                    ProblemKind::Trigger(e.message().to_string()),
                ));
                continue;
            }
        };
        if !target_exists(db, ws, &t).await? {
            let field = if matches!(t, Trigger::SubmitsForm(_)) {
                "form_id"
            } else {
                "segment_id"
            };
            problems.push(Problem::new(
                format!("triggers[{i}].{field}"),
                None,
                ProblemKind::TriggerTargetMissing,
            ));
            continue;
        }
        let spec = store::triggers::TriggerSpec {
            kind: t.kind().to_string(),
            status: match t {
                Trigger::EntersStatus(s) => Some(s.key().to_string()),
                _ => None,
            },
            form_id: match t {
                Trigger::SubmitsForm(id) => Some(id),
                _ => None,
            },
            segment_id: match t {
                Trigger::InSegment(id) => Some(id),
                _ => None,
            },
        };
        if !specs.contains(&spec) {
            specs.push(spec);
        }
    }
    Ok(if problems.is_empty() {
        Ok(specs)
    } else {
        Err(problems)
    })
}

/// Why a lead was not enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// No lead with this id in the workspace.
    NotFound,
    NoEmail,
    /// The lead unsubscribed (`email_opt_out`).
    OptedOut,
    /// No consent source is recorded: no marketing mail (特定電子メール法).
    NoConsent,
    /// SMTP servers refused the address three times.
    DoNotSend,
    /// The lead is sales-ready (SQL) or later: nurturing is over.
    SalesReady,
    /// The lead is enrolled in this campaign right now.
    AlreadyEnrolled,
    /// The lead's enrolment ended and the campaign does not allow re-enrolment.
    EnrolledBefore,
}

impl SkipReason {
    /// The stable key (API and pages).
    pub fn key(&self) -> &'static str {
        match self {
            SkipReason::NotFound => "not_found",
            SkipReason::NoEmail => "no_email",
            SkipReason::OptedOut => "opted_out",
            SkipReason::NoConsent => "no_consent",
            SkipReason::DoNotSend => "do_not_send",
            SkipReason::SalesReady => "sales_ready",
            SkipReason::AlreadyEnrolled => "already_enrolled",
            SkipReason::EnrolledBefore => "enrolled_before",
        }
    }

    /// In English words.
    pub fn message(&self) -> &'static str {
        match self {
            SkipReason::NotFound => "no lead with this id",
            SkipReason::NoEmail => "the lead has no email address",
            SkipReason::OptedOut => "the lead has unsubscribed (email_opt_out)",
            SkipReason::NoConsent => {
                "no consent to marketing email is recorded (consent_source is empty)"
            }
            SkipReason::DoNotSend => "the address is do-not-send after repeated delivery failures",
            SkipReason::SalesReady => "the lead is sales-ready or later; nurturing is over",
            SkipReason::AlreadyEnrolled => "the lead is enrolled in this campaign",
            SkipReason::EnrolledBefore => {
                "the lead was enrolled in this campaign before, and the campaign does not \
                 allow re-enrolment"
            }
        }
    }
}

/// What an enrolment request did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrollOutcome {
    pub enrolled: Vec<i64>,
    pub skipped: Vec<(i64, SkipReason)>,
}

/// Why nobody could be enrolled.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("no such campaign")]
    NotFound,
    #[error("the campaign has no steps")]
    NoSteps,
    #[error(
        "the sender's name and postal address must be set before marketing email is sent \
         (特定電子メール法); set them in the campaign settings"
    )]
    SenderIncomplete,
    #[error("outgoing mail is not configured (ONDO_SMTP_URL)")]
    NoSmtp,
    #[error("no lead ids were given")]
    Empty,
    #[error("at most {MAX_ENROLL} leads may be enrolled at once")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The sender of a campaign: its own name, or the workspace's; the workspace's address.
pub fn sender_of(campaign: &store::Campaign, s: &SenderSettings) -> rules::Sender {
    rules::Sender {
        name: campaign
            .sender_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| s.sender_name.clone()),
        postal_address: s.postal_address.clone(),
    }
}

fn skip_reason(lead: &store::LeadFacts) -> Option<SkipReason> {
    let status = LeadStatus::parse(&lead.status).unwrap_or(LeadStatus::New);
    if lead.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
        Some(SkipReason::NoEmail)
    } else if lead.email_opt_out {
        Some(SkipReason::OptedOut)
    } else if lead
        .consent_source
        .as_deref()
        .is_none_or(|c| c.trim().is_empty())
    {
        Some(SkipReason::NoConsent)
    } else if lead.do_not_send {
        Some(SkipReason::DoNotSend)
    } else if rules::ends_enrolment(status) {
        Some(SkipReason::SalesReady)
    } else {
        None
    }
}

/// Queues the job that sends message `message_id` at `run_at`.
async fn enqueue_step(
    tx: &mut Tx,
    ws: WorkspaceId,
    message_id: i64,
    run_at: i64,
) -> Result<i64, StoreError> {
    let payload =
        serde_json::to_value(StepPayload { message_id }).expect("a payload always serialises");
    jobs::enqueue(tx, ws, STEP_JOB, &payload, run_at, MAX_ATTEMPTS).await
}

/// A campaign that can take leads: it has a first step, and its sender's name and
/// postal address are set.
#[derive(Debug, Clone)]
pub struct Intake {
    pub campaign: store::Campaign,
    pub first: store::Step,
}

/// Checks that a campaign can take leads (see [`Intake`]).
pub async fn intake(db: &Db, ws: WorkspaceId, campaign_id: i64) -> Result<Intake, EnrollError> {
    let campaign = match store::get(db, ws, campaign_id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(EnrollError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let steps = store::steps(db, ws, campaign.id, false).await?;
    let Some(first) = steps.into_iter().next() else {
        return Err(EnrollError::NoSteps);
    };
    let settings = store::settings(db, ws).await?;
    if !sender_of(&campaign, &settings).is_complete() {
        return Err(EnrollError::SenderIncomplete);
    }
    Ok(Intake { campaign, first })
}

/// Inside the caller's transaction: enrols each of `ids` (in order, each once) that may
/// receive marketing email, by the same rules whoever enrols it: an address, consent,
/// not opted out, not do-not-send, not yet sales-ready, not enrolled right now, and not
/// enrolled before unless the campaign allows re-enrolment. Each gets its enrolment and
/// its first step, due `delay_days` after `now` inside the step's window, with the job
/// that sends it. `facts` are those of the leads (read before the transaction); the
/// others are returned with the reason. `source` is `None` by hand, or the trigger's kind.
#[allow(clippy::too_many_arguments)]
pub async fn enroll_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    intake: &Intake,
    facts: &[store::LeadFacts],
    ids: &[i64],
    source: Option<&str>,
    actor: &Actor,
    now: Micros,
) -> Result<EnrollOutcome, StoreError> {
    let first = &intake.first;
    let window = window_of(first);
    let due = rules::due_at(now, first.delay_days, window.as_ref()).0;
    let mut outcome = EnrollOutcome::default();
    let mut seen: Vec<i64> = Vec::with_capacity(ids.len());
    for &id in ids {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let Some(lead) = facts.iter().find(|f| f.id == id) else {
            outcome.skipped.push((id, SkipReason::NotFound));
            continue;
        };
        if let Some(reason) = skip_reason(lead) {
            outcome.skipped.push((id, reason));
            continue;
        }
        match store::enroll(
            tx,
            ws,
            intake.campaign.id,
            id,
            first.id,
            due,
            intake.campaign.allow_reenroll,
            source,
            actor,
            now.0,
        )
        .await?
        {
            store::Enrolled::New { message, .. } => {
                enqueue_step(tx, ws, message, due).await?;
                outcome.enrolled.push(id);
            }
            store::Enrolled::Active => outcome.skipped.push((id, SkipReason::AlreadyEnrolled)),
            store::Enrolled::Before => outcome.skipped.push((id, SkipReason::EnrolledBefore)),
        }
    }
    Ok(outcome)
}

/// Enrols leads in a campaign by hand (page or API), in one transaction, by the rules
/// of [`enroll_in`]. The campaign must be able to take leads (see [`intake`]) and
/// outgoing mail must be configured.
pub async fn enroll(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
    lead_ids: &[i64],
    smtp_configured: bool,
    actor: &Actor,
    now: Micros,
) -> Result<EnrollOutcome, EnrollError> {
    match store::get(db, ws, campaign_id).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => return Err(EnrollError::NotFound),
        Err(e) => return Err(e.into()),
    }
    if lead_ids.is_empty() {
        return Err(EnrollError::Empty);
    }
    if lead_ids.len() > MAX_ENROLL {
        return Err(EnrollError::TooMany);
    }
    let intake = intake(db, ws, campaign_id).await?;
    if !smtp_configured {
        return Err(EnrollError::NoSmtp);
    }
    let facts = store::lead_facts(db, ws, lead_ids).await?;
    let mut tx = db.begin_write().await?;
    let outcome = enroll_in(&mut tx, ws, &intake, &facts, lead_ids, None, actor, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Pauses a campaign: nothing of it is sent until it resumes (a step due meanwhile
/// waits). False when it was paused already. `NotFound` when there is no such campaign.
pub async fn pause(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
    actor: &Actor,
    now: Micros,
) -> Result<bool, StoreError> {
    let mut tx = db.begin_write().await?;
    let changed = store::set_paused(&mut tx, ws, campaign_id, true, actor, now.0).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Resumes a paused campaign, in one transaction: the steps that came due while it was
/// paused are due again now (or at their window's next opening), in the order they were
/// due, each with its job; the others keep their time. Returns how many were queued
/// again, or `None` when the campaign was not paused. `NotFound` when there is none.
pub async fn resume(
    db: &Db,
    ws: WorkspaceId,
    campaign_id: i64,
    actor: &Actor,
    now: Micros,
) -> Result<Option<usize>, StoreError> {
    let steps = store::steps(db, ws, campaign_id, true).await?;
    let mut tx = db.begin_write().await?;
    if !store::set_paused(&mut tx, ws, campaign_id, false, actor, now.0).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    let waiting = store::scheduled_due(&mut tx, ws, campaign_id, now.0).await?;
    for m in &waiting {
        let window = steps.iter().find(|s| s.id == m.step_id).and_then(window_of);
        let due = match window {
            Some(w) => w.next_opening(now).0,
            None => now.0,
        };
        store::reschedule(&mut tx, ws, m.id, due, now.0).await?;
        enqueue_step(&mut tx, ws, m.id, due).await?;
    }
    tx.commit().await?;
    Ok(Some(waiting.len()))
}

/// A step's send window, when it has one that is (still) valid.
pub fn window_of(step: &store::Step) -> Option<SendWindow> {
    match (step.window_start_minute, step.window_end_minute) {
        (Some(a), Some(b)) => SendWindow::new(a, b).ok(),
        _ => None,
    }
}

/// Queues a test message of a step to a user, rendered for `lead_id` (or a sample
/// person), sent like the real ones but without tracking.
pub async fn enqueue_test(db: &Db, ws: WorkspaceId, p: &TestPayload) -> Result<i64, StoreError> {
    let payload = serde_json::to_value(p).expect("a payload always serialises");
    jobs::enqueue_db(db, ws, TEST_JOB, &payload, Micros::now().0, 3).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(subject: &str, body: &str) -> RawStep {
        RawStep {
            delay_days: Some(0),
            subject: subject.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    #[test]
    fn every_problem_names_its_field_and_step() {
        let raw = RawCampaign {
            name: " ".into(),
            sender_email: Some("not-an-address".into()),
            steps: vec![
                step("ご案内", "{{name}} 様"),
                RawStep {
                    delay_days: Some(400),
                    window_start: Some("18:00".into()),
                    window_end: Some("09:00".into()),
                    ..step("{{ nme }}", "{% if %}")
                },
            ],
            ..Default::default()
        };
        let problems = check_campaign(&raw).expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "sender_email",
                "steps[1].delay_days",
                "steps[1].window_end",
                "steps[1].subject",
                "steps[1].body"
            ]
        );
        let subject = &problems[4];
        assert_eq!(subject.step, Some(2));
        assert!(
            subject
                .message()
                .starts_with("step 2: subject uses the unknown placeholder {{nme}}"),
            "{}",
            subject.message()
        );
        let ok = check_campaign(&RawCampaign {
            name: "展示会フォロー".into(),
            steps: vec![step(" ご案内 ", "{{name}} 様\n")],
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(ok.steps[0].subject, "ご案内");
        assert_eq!(ok.steps[0].body, "{{name}} 様");
        let none = check_campaign(&RawCampaign {
            name: "x".into(),
            ..Default::default()
        })
        .expect_err("no steps");
        assert_eq!(none[0].kind, ProblemKind::NoSteps);
    }

    #[test]
    fn the_sender_needs_a_name_and_a_postal_address() {
        let problems = check_settings(&RawSettings {
            rate_per_minute: Some(0),
            ..Default::default()
        })
        .expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["sender_name", "postal_address", "rate_per_minute"]);
        let s = check_settings(&RawSettings {
            sender_name: "株式会社オンド".into(),
            postal_address: "東京都千代田区1-1".into(),
            sender_email: Some(" News@Ondo.example.jp ".into()),
            rate_per_minute: None,
        })
        .expect("valid");
        assert_eq!(s.sender_email.as_deref(), Some("news@ondo.example.jp"));
        assert_eq!(s.rate_per_minute, store::DEFAULT_RATE_PER_MINUTE);
    }

    #[test]
    fn leads_without_consent_or_address_are_skipped_with_the_reason() {
        let lead = store::LeadFacts {
            id: 1,
            email: Some("a@example.jp".into()),
            consent_source: Some("名刺交換".into()),
            email_opt_out: false,
            status: "nurturing".into(),
            do_not_send: false,
        };
        assert_eq!(skip_reason(&lead), None);
        let with = |f: &dyn Fn(&mut store::LeadFacts)| {
            let mut l = lead.clone();
            f(&mut l);
            skip_reason(&l)
        };
        assert_eq!(with(&|l| l.email = None), Some(SkipReason::NoEmail));
        assert_eq!(
            with(&|l| l.email_opt_out = true),
            Some(SkipReason::OptedOut)
        );
        assert_eq!(
            with(&|l| l.consent_source = None),
            Some(SkipReason::NoConsent)
        );
        assert_eq!(with(&|l| l.do_not_send = true), Some(SkipReason::DoNotSend));
        assert_eq!(
            with(&|l| l.status = "sales_ready".into()),
            Some(SkipReason::SalesReady)
        );
    }
}
