//! Follow-up tasks: parsing what a person typed, who may assign, see and close whose
//! tasks, and the "today" agenda. A salesperson works with their own tasks only; every
//! other role may look at and close anyone's.

use ondo_domain::{Email, Micros, Role};
use ondo_store::tasks::{Agenda, NewTask, Task, TaskFilter, TaskState};
use ondo_store::users::User;
use ondo_store::{Actor, Db, WorkspaceId};

use super::ServiceError;
use super::leads::OwnerRef;

/// Kinds of task: a lead's follow-up, a customer's renewal or upsell.
pub const TASK_KINDS: [&str; 3] = ["follow_up", "renewal", "upsell"];
/// Longest title.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest note.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// What is wrong with one field of a task as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskProblem {
    TitleMissing,
    TitleTooLong,
    DueMissing,
    DueInvalid,
    TimeInvalid,
    NoteTooLong,
    KindUnknown,
    OwnerUnknown,
}

impl TaskProblem {
    /// The problem in English words (the API's message).
    pub fn message(self) -> String {
        match self {
            TaskProblem::TitleMissing => "a title is required".into(),
            TaskProblem::TitleTooLong => format!("is longer than {MAX_TITLE_CHARS} characters"),
            TaskProblem::DueMissing => "a due date is required".into(),
            TaskProblem::DueInvalid => {
                "must be an RFC 3339 time (2026-05-07T10:00:00+09:00) or a date (2026-05-07)".into()
            }
            TaskProblem::TimeInvalid => "must be a time of day as HH:MM".into(),
            TaskProblem::NoteTooLong => format!("is longer than {MAX_NOTE_CHARS} characters"),
            TaskProblem::KindUnknown => format!("must be one of {}", TASK_KINDS.join(", ")),
            TaskProblem::OwnerUnknown => "is not an active user of this workspace".into(),
        }
    }
}

/// Problems by field (`title`, `due_at`, `due_time`, `note`, `kind`, `owner`), in form order.
pub type Problems = Vec<(&'static str, TaskProblem)>;

/// A task as typed, before checking.
#[derive(Debug, Clone, Default)]
pub struct TaskInput {
    pub title: String,
    /// RFC 3339, or a date `YYYY-MM-DD` (then `due_time` may give the time of day).
    pub due_at: String,
    /// `HH:MM` in Japan time, for a date-only `due_at`.
    pub due_time: Option<String>,
    /// The owner; the person asking when absent.
    pub owner: Option<OwnerRef>,
    pub note: Option<String>,
    /// follow_up (default), renewal or upsell.
    pub kind: Option<String>,
}

/// The due time: an RFC 3339 instant, or a date in Japan at `time` (`HH:MM`, 00:00 when
/// absent: due that day).
pub fn parse_due(raw: &str, time: Option<&str>) -> Result<Micros, (&'static str, TaskProblem)> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(("due_at", TaskProblem::DueMissing));
    }
    if raw.contains('T') {
        return Micros::parse_rfc3339(raw).map_err(|_| ("due_at", TaskProblem::DueInvalid));
    }
    let midnight = Micros::parse_jst_date(raw).ok_or(("due_at", TaskProblem::DueInvalid))?;
    let minutes = match time.map(str::trim).filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => parse_hh_mm(t).ok_or(("due_time", TaskProblem::TimeInvalid))?,
    };
    Ok(midnight.saturating_add(Micros::minutes(minutes)))
}

/// `HH:MM` as minutes of the day.
fn parse_hh_mm(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// The checked parts of a task, without its owner (resolved against the database).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTask {
    pub title: String,
    pub due_at: Micros,
    pub note: Option<String>,
    pub kind: String,
}

/// Checks a task as typed; every problem is returned with its field.
pub fn parse(input: &TaskInput) -> Result<ParsedTask, Problems> {
    let mut problems = Problems::new();
    let title = input.title.trim().to_string();
    if title.is_empty() {
        problems.push(("title", TaskProblem::TitleMissing));
    } else if title.chars().count() > MAX_TITLE_CHARS {
        problems.push(("title", TaskProblem::TitleTooLong));
    }
    let due_at = match parse_due(&input.due_at, input.due_time.as_deref()) {
        Ok(d) => Some(d),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        problems.push(("note", TaskProblem::NoteTooLong));
    }
    let kind = input
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .unwrap_or("follow_up")
        .to_string();
    if !TASK_KINDS.contains(&kind.as_str()) {
        problems.push(("kind", TaskProblem::KindUnknown));
    }
    match due_at {
        Some(due_at) if problems.is_empty() => Ok(ParsedTask {
            title,
            due_at,
            note,
            kind,
        }),
        _ => Err(problems),
    }
}

/// Why creating a task failed: its fields, or the service's answer.
#[derive(Debug)]
pub enum CreateError {
    Invalid(Problems),
    Service(ServiceError),
}

impl From<ServiceError> for CreateError {
    fn from(e: ServiceError) -> Self {
        CreateError::Service(e)
    }
}

impl From<CreateError> for ServiceError {
    /// The first problem's field, for answers that name one.
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::Service(s) => s,
            CreateError::Invalid(problems) => match problems.first() {
                Some((field, p)) => ServiceError::invalid(field, p.message()),
                None => ServiceError::invalid("task", "is not valid"),
            },
        }
    }
}

/// May `viewer` see and close the tasks of `owner_id`?
pub fn may_work_tasks_of(viewer: &User, owner_id: i64) -> bool {
    viewer.id == owner_id || viewer.role() != Role::Sales
}

/// May `viewer` give a new task to `owner_id`? A salesperson only to themselves.
pub fn may_assign_to(viewer: &User, owner_id: i64) -> bool {
    may_work_tasks_of(viewer, owner_id)
}

/// The active user an owner reference names.
async fn resolve_owner(
    db: &Db,
    ws: WorkspaceId,
    owner: &OwnerRef,
) -> Result<Option<User>, ServiceError> {
    let user = match owner {
        OwnerRef::Id(id) => match ondo_store::users::get(db, ws, *id).await {
            Ok(u) => Some(u),
            Err(ondo_store::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        OwnerRef::Email(raw) => match Email::parse(raw) {
            Ok(e) => ondo_store::users::find_by_email(db, ws, e.as_str()).await?,
            Err(_) => None,
        },
    };
    Ok(user.filter(|u| !u.disabled))
}

/// What a new task is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskSubject {
    /// A lead the viewer may see.
    Lead(i64),
    /// A customer company (a renewal, an upsell) the viewer may see: for a salesperson,
    /// one where they own a lead.
    Customer(i64),
}

/// Creates a follow-up on a lead the viewer may see (`NotFound` otherwise, also for a
/// lead of another workspace), owned by the viewer unless another owner is named.
pub async fn create_for_lead(
    db: &Db,
    ws: WorkspaceId,
    viewer: &User,
    lead_id: i64,
    input: &TaskInput,
    actor: &Actor,
) -> Result<Task, CreateError> {
    create(db, ws, viewer, TaskSubject::Lead(lead_id), input, actor).await
}

/// Creates a task about a lead or a customer the viewer may see (`NotFound` otherwise),
/// owned by the viewer unless another owner is named.
pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    viewer: &User,
    subject: TaskSubject,
    input: &TaskInput,
    actor: &Actor,
) -> Result<Task, CreateError> {
    let (lead_id, company_id) = match subject {
        TaskSubject::Lead(id) => {
            super::access::visible_lead(db, ws, viewer, id).await?;
            (Some(id), None)
        }
        TaskSubject::Customer(id) => {
            super::access::visible_customer(db, ws, viewer, id).await?;
            (None, Some(id))
        }
    };
    let parsed = parse(input);
    let owner = match &input.owner {
        None => Some(viewer.clone()),
        Some(o) => resolve_owner(db, ws, o).await?,
    };
    let (parsed, owner) = match (parsed, owner) {
        (Ok(p), Some(o)) => (p, o),
        (parsed, owner) => {
            let mut problems = parsed.err().unwrap_or_default();
            if owner.is_none() {
                problems.push(("owner", TaskProblem::OwnerUnknown));
            }
            return Err(CreateError::Invalid(problems));
        }
    };
    if !may_assign_to(viewer, owner.id) {
        return Err(ServiceError::Forbidden.into());
    }
    let new = NewTask {
        lead_id,
        company_id,
        owner_id: owner.id,
        kind: parsed.kind,
        title: parsed.title,
        note: parsed.note,
        due_at: parsed.due_at,
    };
    Ok(ondo_store::tasks::create(db, ws, &new, actor)
        .await
        .map_err(ServiceError::from)?)
}

/// Whose tasks to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The viewer's own.
    Mine,
    /// One user's.
    User(i64),
    /// Everyone's.
    Everyone,
}

impl Whose {
    /// The owner filter, after checking the viewer may see them.
    fn owner_id(self, viewer: &User) -> Result<Option<i64>, ServiceError> {
        match self {
            Whose::Mine => Ok(Some(viewer.id)),
            Whose::User(id) if may_work_tasks_of(viewer, id) => Ok(Some(id)),
            Whose::Everyone if viewer.role() != Role::Sales => Ok(None),
            _ => Err(ServiceError::Forbidden),
        }
    }
}

/// Tasks of one owner (or everyone) in one state, if the viewer may see them.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    viewer: &User,
    whose: Whose,
    state: TaskState,
    limit: i64,
) -> Result<Vec<Task>, ServiceError> {
    let filter = TaskFilter {
        owner_id: whose.owner_id(viewer)?,
        state,
    };
    Ok(ondo_store::tasks::list(db, ws, &filter, limit).await?)
}

/// The agenda (overdue, today, next days) of one owner or everyone, as of `now`.
pub async fn agenda(
    db: &Db,
    ws: WorkspaceId,
    viewer: &User,
    whose: Whose,
    now: Micros,
) -> Result<Agenda, ServiceError> {
    let owner_id = whose.owner_id(viewer)?;
    Ok(ondo_store::tasks::agenda(db, ws, owner_id, now).await?)
}

/// Marks a task done or open again, when the viewer may work it (`Forbidden` for a
/// salesperson and another's task; `NotFound` for no such task in the workspace).
pub async fn set_done(
    db: &Db,
    ws: WorkspaceId,
    viewer: &User,
    id: i64,
    done: bool,
    actor: &Actor,
) -> Result<Task, ServiceError> {
    let task = ondo_store::tasks::get(db, ws, id).await?;
    if !may_work_tasks_of(viewer, task.owner_id) {
        return Err(ServiceError::Forbidden);
    }
    Ok(ondo_store::tasks::set_done(db, ws, id, done, actor).await?)
}

/// Longest speed-to-lead window: ten business days of eight hours.
pub const MAX_SPEED_TO_LEAD_MINUTES: i64 = 4_800;

/// What is wrong with one field of the speed-to-lead settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeedProblem {
    MinutesInvalid,
    StartInvalid,
    EndInvalid,
    EndNotAfterStart,
}

/// Speed-to-lead settings as saved: window minutes, day start and end minutes.
pub type SpeedSettings = (i32, i32, i32);
/// Problems of the speed-to-lead form, by field.
pub type SpeedProblems = Vec<(&'static str, SpeedProblem)>;

/// Checks the speed-to-lead settings as typed: the window in business minutes
/// (`speed_to_lead_minutes`), and the business day's start and end as `HH:MM`
/// (`day_start`, `day_end`; the end may be `24:00`).
pub fn parse_speed_to_lead(
    minutes: &str,
    day_start: &str,
    day_end: &str,
) -> Result<SpeedSettings, SpeedProblems> {
    let mut problems = Vec::new();
    let minutes = match minutes.trim().parse::<i64>() {
        Ok(m) if (1..=MAX_SPEED_TO_LEAD_MINUTES).contains(&m) => m,
        _ => {
            problems.push(("speed_to_lead_minutes", SpeedProblem::MinutesInvalid));
            0
        }
    };
    let start = parse_hh_mm(day_start.trim());
    if start.is_none() {
        problems.push(("day_start", SpeedProblem::StartInvalid));
    }
    let end = match day_end.trim() {
        "24:00" => Some(24 * 60),
        other => parse_hh_mm(other),
    };
    if end.is_none() {
        problems.push(("day_end", SpeedProblem::EndInvalid));
    }
    if let (Some(s), Some(e)) = (start, end)
        && ondo_domain::business_hours::BusinessHours::new(s, e).is_err()
    {
        problems.push(("day_end", SpeedProblem::EndNotAfterStart));
    }
    match (start, end) {
        (Some(s), Some(e)) if problems.is_empty() => Ok((minutes as i32, s as i32, e as i32)),
        _ => Err(problems),
    }
}

/// A minute of the day as `HH:MM`.
pub fn hh_mm(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, due: &str) -> TaskInput {
        TaskInput {
            title: title.into(),
            due_at: due.into(),
            ..Default::default()
        }
    }

    #[test]
    fn due_times_are_rfc3339_or_a_japanese_date_with_an_optional_time() {
        let at = |s: &str| Micros::parse_rfc3339(s).expect("time");
        assert_eq!(
            parse_due("2026-05-07", None),
            Ok(at("2026-05-07T00:00:00+09:00"))
        );
        assert_eq!(
            parse_due("2026-05-07", Some("14:30")),
            Ok(at("2026-05-07T14:30:00+09:00"))
        );
        assert_eq!(
            parse_due("2026-05-07T05:00:00Z", None),
            Ok(at("2026-05-07T14:00:00+09:00"))
        );
        assert_eq!(
            parse_due("", None),
            Err(("due_at", TaskProblem::DueMissing))
        );
        for bad in [
            "2026-13-01",
            "2026/05/07",
            "tomorrow",
            "2026-02-30",
            "2026-05-07T25:00:00Z",
        ] {
            assert_eq!(
                parse_due(bad, None),
                Err(("due_at", TaskProblem::DueInvalid)),
                "{bad}"
            );
        }
        assert_eq!(
            parse_due("2026-05-07", Some("25:00")),
            Err(("due_time", TaskProblem::TimeInvalid))
        );
    }

    #[test]
    fn speed_to_lead_settings_are_checked_field_by_field() {
        assert_eq!(
            parse_speed_to_lead("60", "09:00", "18:00"),
            Ok((60, 540, 1080))
        );
        assert_eq!(
            parse_speed_to_lead(" 30 ", "8:30", "24:00"),
            Ok((30, 510, 1440))
        );
        let fields = |r: Result<SpeedSettings, SpeedProblems>| {
            r.expect_err("invalid")
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(parse_speed_to_lead("0", "9", "25:00")),
            ["speed_to_lead_minutes", "day_start", "day_end"]
        );
        assert_eq!(
            fields(parse_speed_to_lead("abc", "09:00", "18:00")),
            ["speed_to_lead_minutes"]
        );
        assert_eq!(
            fields(parse_speed_to_lead("60", "18:00", "09:00")),
            ["day_end"]
        );
        assert_eq!(hh_mm(540), "09:00");
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let p = parse(&input("  電話する ", "2026-05-07")).expect("valid");
        assert_eq!(p.title, "電話する");
        assert_eq!(p.kind, "follow_up");
        let problems = parse(&TaskInput {
            title: " ".into(),
            due_at: "soon".into(),
            kind: Some("party".into()),
            note: Some("x".repeat(MAX_NOTE_CHARS + 1)),
            ..Default::default()
        })
        .expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["title", "due_at", "note", "kind"]);
        let long =
            parse(&input(&"あ".repeat(MAX_TITLE_CHARS + 1), "2026-05-07")).expect_err("long");
        assert_eq!(long, [("title", TaskProblem::TitleTooLong)]);
        let e = ServiceError::from(CreateError::Invalid(long));
        assert!(matches!(e, ServiceError::Invalid { field: "title", .. }));
    }
}
