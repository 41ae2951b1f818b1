//! `/tasks`: 今日のタスク — one's follow-ups that are overdue, due today and due in the
//! next days, each closed with one click, under one's unread alerts (speed-to-lead
//! misses). Also the add-a-follow-up form of a lead (its card on the lead page, and a
//! page of its own that shows what to correct).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::business_hours::jst_day_start;
use ondo_domain::{Micros, Role};
use ondo_store::alerts::Alert;
use ondo_store::tasks::Task;
use ondo_store::workflow_settings::SPEED_TO_LEAD_ALERT;
use ondo_store::{Actor, Db};

use super::leads::Choice;
use super::{Chrome, PageError, check_form_csrf, local_path, render};
use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::service::leads::OwnerRef;
use crate::service::tasks::{self as service, CreateError, TaskInput, TaskProblem, Whose};
use crate::state::AppState;

const PATH: &str = "/tasks";
/// Unread alerts shown at the top.
const ALERTS_SHOWN: i64 = 20;

/// One task, ready to show.
pub struct TaskRow {
    pub id: i64,
    pub title: String,
    pub note: String,
    pub kind: String,
    pub kind_label: String,
    pub lead_id: Option<i64>,
    pub lead_name: String,
    pub company: String,
    pub owner_name: String,
    /// The due time in Japanese format (only the date for a task due "that day").
    pub due: String,
    /// RFC 3339, for `<time datetime>`.
    pub due_iso: String,
    /// Its due time has passed.
    pub overdue: bool,
    /// The viewer may close it.
    pub can_complete: bool,
}

/// A task due at 00:00 JST is due "that day": its time is not shown.
fn due_text(t: &Tr, due_at: i64) -> String {
    if jst_day_start(Micros(due_at)).0 == due_at {
        t.date(due_at)
    } else {
        t.datetime(due_at)
    }
}

pub fn task_row(t: &Tr, task: Task, now: Micros, viewer: &ondo_store::users::User) -> TaskRow {
    let kind_key = format!("tasks-kind-{}", task.kind.replace('_', "-"));
    // A date-only task is overdue once its day has passed.
    let due_end = if jst_day_start(Micros(task.due_at)).0 == task.due_at {
        task.due_at.saturating_add(Micros::days(1))
    } else {
        task.due_at
    };
    TaskRow {
        id: task.id,
        kind_label: if t.has(&kind_key) {
            t.t(&kind_key)
        } else {
            task.kind.clone()
        },
        kind: task.kind,
        note: task.note.unwrap_or_default(),
        lead_id: task.lead_id,
        lead_name: task.lead_name.unwrap_or_default(),
        company: task.company_name.unwrap_or_default(),
        owner_name: task.owner_name.unwrap_or_default(),
        due: due_text(t, task.due_at),
        due_iso: Micros(task.due_at).to_rfc3339(),
        overdue: task.done_at.is_none() && due_end <= now.0,
        can_complete: task.done_at.is_none() && service::may_work_tasks_of(viewer, task.owner_id),
        title: task.title,
    }
}

/// A lead's open tasks for its page's card (see `templates/lead_tasks_card.html`).
pub async fn lead_task_rows(
    db: &Db,
    user: &CurrentUser,
    lead_id: i64,
) -> Result<Vec<TaskRow>, PageError> {
    let t = user.tr;
    let now = Micros::now();
    Ok(
        ondo_store::tasks::for_lead(db, user.workspace, lead_id, true)
            .await
            .map_err(PageError::store(t))?
            .into_iter()
            .map(|task| task_row(&t, task, now, &user.user))
            .collect(),
    )
}

/// Whom the viewer may give a task to (a salesperson only themselves), the viewer
/// first and chosen; `selected` picks another.
pub async fn task_owner_choices(
    db: &Db,
    user: &CurrentUser,
    selected: Option<i64>,
) -> Result<Vec<Choice>, PageError> {
    let chosen = selected.unwrap_or(user.user.id);
    let me = Choice {
        value: user.user.id.to_string(),
        label: user.user.display_name.clone(),
        selected: chosen == user.user.id,
    };
    if user.role() == Role::Sales {
        return Ok(vec![me]);
    }
    let users = ondo_store::users::list(db, user.workspace)
        .await
        .map_err(PageError::store(user.tr))?;
    let mut choices = vec![me];
    choices.extend(
        users
            .into_iter()
            .filter(|u| !u.disabled && u.id != user.user.id)
            .map(|u| Choice {
                selected: chosen == u.id,
                value: u.id.to_string(),
                label: u.display_name,
            }),
    );
    Ok(choices)
}

/// One unread alert, in the reader's language.
pub struct AlertRow {
    pub id: i64,
    pub lead_id: Option<i64>,
    pub lead_name: String,
    pub text: String,
    pub when: String,
}

/// A window of business minutes in words.
fn window_text(t: &Tr, minutes: i64) -> String {
    if minutes == 60 {
        t.t("tasks-window-one-hour")
    } else if minutes > 0 && minutes % 60 == 0 {
        t.t1("tasks-window-hours", "hours", &(minutes / 60).to_string())
    } else {
        t.t1("tasks-window-minutes", "minutes", &minutes.to_string())
    }
}

pub fn alert_row(t: &Tr, a: Alert) -> AlertRow {
    let d = a.details_json();
    let text = if a.kind == SPEED_TO_LEAD_ALERT {
        let owner = d["owner_name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| t.t("tasks-owner-none"));
        t.tn(
            "tasks-alert-speed",
            &[
                ("window", window_text(t, d["minutes"].as_i64().unwrap_or(0))),
                ("deadline", t.datetime(d["deadline"].as_i64().unwrap_or(0))),
                ("owner", owner),
            ],
        )
    } else {
        a.kind.clone()
    };
    AlertRow {
        id: a.id,
        lead_id: a.lead_id,
        lead_name: a.lead_name.unwrap_or_else(|| t.t("tasks-lead-gone")),
        text,
        when: t.datetime(a.created_at),
    }
}

/// The add-a-follow-up form as typed, with what to correct.
pub struct TaskForm {
    pub lead_id: i64,
    pub lead_name: String,
    pub values: HashMap<String, String>,
    pub errors: HashMap<&'static str, String>,
    pub owners: Vec<Choice>,
    pub lead_tasks: Vec<TaskRow>,
}

impl TaskForm {
    fn get(&self, k: &str) -> String {
        self.values.get(k).cloned().unwrap_or_default()
    }
    fn error(&self, k: &str) -> String {
        self.errors.get(k).cloned().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    c: Chrome,
    t: Tr,
    /// The add form of one lead, instead of the agenda.
    form: Option<TaskForm>,
    alerts: Vec<AlertRow>,
    /// Overdue, today, upcoming.
    sections: Vec<Section>,
    /// Roles other than sales choose whose tasks: (id, name, selected).
    can_choose: bool,
    owners: Vec<(i64, String, bool)>,
    everyone: bool,
    mine: bool,
    /// Where forms on the page come back to.
    back: String,
    notice: String,
}

/// One part of the agenda.
struct Section {
    key: &'static str,
    label: String,
    empty: String,
    rows: Vec<TaskRow>,
}

impl Section {
    fn new(t: &Tr, key: &'static str, rows: Vec<TaskRow>) -> Section {
        Section {
            key,
            label: t.t(&format!("tasks-{key}")),
            empty: t.t(&format!("tasks-empty-{key}")),
            rows,
        }
    }
}

/// What the page says after an action; only these keys, never text from the URL.
fn notice_key(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "task" => "tasks-done-task",
        "task-added" => "tasks-done-added",
        "alert" => "tasks-done-alert",
        _ => return None,
    })
}

/// `GET /tasks[?owner=ID|all]`.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let db = &state.db;
    let can_choose = user.role() != Role::Sales;
    let users = ondo_store::users::list(db, ws)
        .await
        .map_err(PageError::store(t))?;
    let whose = match q.get("owner").map(|s| s.trim()) {
        Some("all") if can_choose => Whose::Everyone,
        Some(o) if can_choose => match o.parse::<i64>() {
            Ok(id) if users.iter().any(|u| u.id == id) => Whose::User(id),
            _ => Whose::Mine,
        },
        _ => Whose::Mine,
    };
    let now = Micros::now();
    let agenda = service::agenda(db, ws, &user.user, whose, now)
        .await
        .map_err(|e| PageError::from_service(t, e))?;
    let alerts = ondo_store::alerts::unread(db, ws, user.user.id, ALERTS_SHOWN)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|a| alert_row(&t, a))
        .collect();
    let rows = |tasks: Vec<Task>| -> Vec<TaskRow> {
        tasks
            .into_iter()
            .map(|task| task_row(&t, task, now, &user.user))
            .collect()
    };
    let selected = match whose {
        Whose::User(id) => Some(id),
        Whose::Mine => Some(user.user.id),
        Whose::Everyone => None,
    };
    let owners = users
        .iter()
        .filter(|u| !u.disabled)
        .map(|u| (u.id, u.display_name.clone(), selected == Some(u.id)))
        .collect();
    let back = match whose {
        Whose::Everyone => format!("{PATH}?owner=all"),
        Whose::User(id) => format!("{PATH}?owner={id}"),
        Whose::Mine => PATH.to_string(),
    };
    Ok(render(&TasksPage {
        c: Chrome::new(&user, "tasks", &back),
        t,
        form: None,
        alerts,
        sections: vec![
            Section::new(&t, "overdue", rows(agenda.overdue)),
            Section::new(&t, "today", rows(agenda.today)),
            Section::new(&t, "upcoming", rows(agenda.upcoming)),
        ],
        can_choose,
        owners,
        everyone: whose == Whose::Everyone,
        mine: selected == Some(user.user.id),
        back,
        notice: notice_key(q.get("done").map(String::as_str))
            .map(|k| t.t(k))
            .unwrap_or_default(),
    }))
}

fn actor(user: &CurrentUser) -> Actor {
    Actor::user(user.user.id, "web")
}

/// Where a form asked to come back to (on this site), with a notice.
fn back_to(v: &HashMap<String, String>, done: &str) -> Response {
    let next = local_path(v.get("next").map(String::as_str));
    let next = if next == "/" { PATH.to_string() } else { next };
    // The notice goes before any #fragment.
    let (path, fragment) = match next.split_once('#') {
        Some((p, f)) => (p.to_string(), format!("#{f}")),
        None => (next, String::new()),
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}done={done}{fragment}")).into_response()
}

/// `POST /tasks/{id}/done`: closes a task the user may work, then goes back.
pub async fn complete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    check_form_csrf(&user, &v)?;
    service::set_done(
        &state.db,
        user.workspace,
        &user.user,
        id,
        true,
        &actor(&user),
    )
    .await
    .map_err(|e| PageError::from_service(t, e))?;
    Ok(back_to(&v, "task"))
}

/// `POST /alerts/{id}/read`: marks one of the user's alerts read, then goes back.
pub async fn mark_alert_read(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    check_form_csrf(&user, &v)?;
    ondo_store::alerts::mark_read(&state.db, user.workspace, user.user.id, id, Micros::now())
        .await
        .map_err(PageError::store(t))?;
    Ok(back_to(&v, "alert"))
}

fn problem_key(p: TaskProblem) -> &'static str {
    match p {
        TaskProblem::TitleMissing => "tasks-error-title-missing",
        TaskProblem::TitleTooLong => "tasks-error-title-too-long",
        TaskProblem::DueMissing => "tasks-error-due-missing",
        TaskProblem::DueInvalid => "tasks-error-due-invalid",
        TaskProblem::TimeInvalid => "tasks-error-time-invalid",
        TaskProblem::NoteTooLong => "tasks-error-note-too-long",
        TaskProblem::KindUnknown => "tasks-error-kind",
        TaskProblem::OwnerUnknown => "tasks-error-owner",
    }
}

/// The form page of a lead's new task: values kept, problems named by field.
async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    lead_id: i64,
    values: HashMap<String, String>,
    errors: HashMap<&'static str, String>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let lead = crate::service::access::visible_lead(&state.db, user.workspace, &user.user, lead_id)
        .await
        .map_err(|e| PageError::from_service(t, e))?;
    let selected = values.get("owner").and_then(|o| o.trim().parse().ok());
    let form = TaskForm {
        lead_id,
        lead_name: lead.name,
        owners: task_owner_choices(&state.db, user, selected).await?,
        lead_tasks: lead_task_rows(&state.db, user, lead_id).await?,
        values,
        errors,
    };
    let status = if form.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let path = format!("/leads/{lead_id}/tasks");
    let page = TasksPage {
        c: Chrome::new(user, "tasks", &path),
        t,
        form: Some(form),
        alerts: Vec::new(),
        sections: Vec::new(),
        can_choose: false,
        owners: Vec::new(),
        everyone: false,
        mine: true,
        back: path,
        notice: String::new(),
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /leads/{id}/tasks`: the add form on a page of its own.
pub async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(lead_id): Path<i64>,
) -> Result<Response, PageError> {
    form_page(&state, &user, lead_id, HashMap::new(), HashMap::new()).await
}

/// `POST /leads/{id}/tasks`: title, due date (`YYYY-MM-DD`), optional time (`HH:MM`),
/// owner (a user id), note. Back to the lead's tasks, or to the form with what to correct.
pub async fn create_for_lead(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(lead_id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    check_form_csrf(&user, &v)?;
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    // An id that does not parse names nobody: reported as an unknown owner.
    let owner = v
        .get("owner")
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .map(|o| OwnerRef::Id(o.parse().unwrap_or(0)));
    let input = TaskInput {
        title: get("title"),
        due_at: get("due_date"),
        due_time: v.get("due_time").cloned(),
        owner,
        note: v.get("note").cloned(),
        kind: v.get("kind").cloned(),
    };
    match service::create_for_lead(
        &state.db,
        user.workspace,
        &user.user,
        lead_id,
        &input,
        &actor(&user),
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/leads/{lead_id}?done=task-added#tasks")).into_response())
        }
        Err(CreateError::Invalid(problems)) => {
            let errors = problems
                .into_iter()
                .map(|(field, p)| {
                    // The form's date input is `due_date`.
                    let field = if field == "due_at" { "due_date" } else { field };
                    (field, t.t(problem_key(p)))
                })
                .collect();
            let mut values = v.clone();
            values.remove("csrf");
            form_page(&state, &user, lead_id, values, errors).await
        }
        Err(CreateError::Service(e)) => Err(PageError::from_service(t, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// The lead page's card, as the lead page includes it.
    #[derive(Template)]
    #[template(source = "{% include \"lead_tasks_card.html\" %}", ext = "html")]
    struct Card {
        c: Chrome,
        t: Tr,
        lead_tasks: Vec<TaskRow>,
        task_owners: Vec<Choice>,
        lead_id: i64,
    }

    fn viewer(role: Role) -> CurrentUser {
        CurrentUser {
            user: ondo_store::users::User {
                id: 7,
                workspace_id: 1,
                email: "s@example.com".into(),
                display_name: "営業 太郎".into(),
                role: role.key().into(),
                password_hash: String::new(),
                locale: None,
                disabled: false,
                created_at: 0,
            },
            workspace: ondo_store::WorkspaceId(1),
            csrf: "token-123".into(),
            tr: Tr::new(Lang::Ja),
            session_id: String::new(),
        }
    }

    fn task(id: i64, owner_id: i64, title: &str, due_at: i64) -> Task {
        Task {
            id,
            lead_id: Some(3),
            company_id: None,
            owner_id,
            owner_name: Some("<b>owner</b>".into()),
            owner_email: None,
            kind: "follow_up".into(),
            title: title.into(),
            note: None,
            due_at,
            done_at: None,
            done_by: None,
            created_by: None,
            created_at: 0,
            updated_at: 0,
            lead_name: Some("山田".into()),
            company_name: None,
        }
    }

    #[test]
    fn the_lead_card_escapes_titles_and_offers_done_only_for_tasks_one_may_close() {
        let user = viewer(Role::Sales);
        let t = user.tr;
        let now = Micros::parse_rfc3339("2026-05-07T10:00:00+09:00").expect("time");
        let midnight = jst_day_start(now).0;
        let rows = vec![
            task_row(
                &t,
                task(1, 7, "<script>alert(1)</script>", midnight),
                now,
                &user.user,
            ),
            task_row(&t, task(2, 8, "同僚のタスク", now.0 - 1), now, &user.user),
        ];
        assert!(
            !rows[0].overdue,
            "a task due today (no time) is not overdue during the day"
        );
        assert_eq!(rows[0].due, "2026/05/07");
        assert!(rows[1].overdue && !rows[1].can_complete);
        assert_eq!(rows[1].due, "2026/05/07 09:59");
        let html = Card {
            c: Chrome::new(&user, "leads", "/leads/3"),
            t,
            lead_tasks: rows,
            task_owners: vec![Choice {
                value: "7".into(),
                label: "営業 太郎".into(),
                selected: true,
            }],
            lead_id: 3,
        }
        .render()
        .expect("renders");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>owner</b>"));
        assert!(html.contains("action=\"/tasks/1/done\""));
        assert!(!html.contains("action=\"/tasks/2/done\""));
        assert!(html.contains("action=\"/leads/3/tasks\""));
        assert!(html.contains("value=\"token-123\""));
    }
}
