//! Follow-up tasks: a due time and an owner, about a lead or (renewal, upsell) a customer
//! company. Every change is written to the audit log with its before and after.

use ondo_domain::Micros;
use ondo_domain::business_hours::jst_day_start;
use serde::Serialize;

use crate::error::Result;
use crate::{Actor, Db, WorkspaceId, with_db};

/// One task as stored, with the names a page shows beside it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Task {
    pub id: i64,
    pub lead_id: Option<i64>,
    pub company_id: Option<i64>,
    pub owner_id: i64,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    /// follow_up, renewal or upsell.
    pub kind: String,
    pub title: String,
    pub note: Option<String>,
    pub due_at: i64,
    pub done_at: Option<i64>,
    pub done_by: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The lead's name, for a lead's task.
    pub lead_name: Option<String>,
    /// The company's display name (the task's company, or the lead's company or the
    /// company name typed on the lead).
    pub company_name: Option<String>,
}

impl Task {
    /// Done (closed) rather than open.
    pub fn is_done(&self) -> bool {
        self.done_at.is_some()
    }

    /// What the audit log keeps of the task.
    fn audit_view(&self) -> String {
        serde_json::json!({
            "lead_id": self.lead_id, "company_id": self.company_id, "owner_id": self.owner_id,
            "kind": self.kind, "title": self.title, "note": self.note, "due_at": self.due_at,
            "done_at": self.done_at, "done_by": self.done_by,
        })
        .to_string()
    }
}

/// A task to create, already checked by the caller (the lead or company and the owner
/// exist in the workspace, the kind is known, the title is not blank).
#[derive(Debug, Clone)]
pub struct NewTask {
    pub lead_id: Option<i64>,
    pub company_id: Option<i64>,
    pub owner_id: i64,
    pub kind: String,
    pub title: String,
    pub note: Option<String>,
    pub due_at: Micros,
}

/// Open or done tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Open,
    Done,
}

/// One owner's open tasks by JST day: before today, today, and the next days.
#[derive(Debug, Clone, Default)]
pub struct Agenda {
    pub overdue: Vec<Task>,
    pub today: Vec<Task>,
    pub upcoming: Vec<Task>,
}

/// Days after today the agenda looks ahead.
pub const UPCOMING_DAYS: i64 = 7;
/// Most tasks of one section of the agenda.
const AGENDA_LIMIT: i64 = 200;

const SELECT: &str = "SELECT t.id, t.lead_id, t.company_id, t.owner_id, u.display_name AS owner_name, \
    u.email AS owner_email, t.kind, t.title, t.note, t.due_at, t.done_at, t.done_by, t.created_by, \
    t.created_at, t.updated_at, l.name AS lead_name, \
    COALESCE(c.display_name, lc.display_name, l.company_name) AS company_name \
    FROM tasks t \
    LEFT JOIN users u ON u.workspace_id = t.workspace_id AND u.id = t.owner_id \
    LEFT JOIN leads l ON l.workspace_id = t.workspace_id AND l.id = t.lead_id \
    LEFT JOIN companies c ON c.workspace_id = t.workspace_id AND c.id = t.company_id \
    LEFT JOIN companies lc ON lc.workspace_id = l.workspace_id AND lc.id = l.company_id";

/// Creates a task, with its audit entry, in one transaction.
pub async fn create(db: &Db, ws: WorkspaceId, new: &NewTask, actor: &Actor) -> Result<Task> {
    let now = Micros::now().0;
    let id = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tasks (workspace_id, lead_id, company_id, owner_id, kind, title, note, due_at, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(ws.0)
        .bind(new.lead_id)
        .bind(new.company_id)
        .bind(new.owner_id)
        .bind(&new.kind)
        .bind(&new.title)
        .bind(&new.note)
        .bind(new.due_at.0)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({
            "lead_id": new.lead_id, "company_id": new.company_id, "owner_id": new.owner_id,
            "kind": new.kind, "title": new.title, "note": new.note, "due_at": new.due_at.0,
        })
        .to_string();
        crate::insert_audit!(&mut *tx, ws, actor, "task", Some(id), "create", None::<&str>, Some(after.as_str()), now);
        tx.commit().await?;
        id
    });
    get(db, ws, id).await
}

/// The task, or `NotFound` (also for a task of another workspace).
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Task> {
    let sql = format!("{SELECT} WHERE t.workspace_id = $1 AND t.id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Task>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// Marks a task done (by the actor, now) or open again, with an audit entry; a task
/// already in that state is left as it is.
pub async fn set_done(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    done: bool,
    actor: &Actor,
) -> Result<Task> {
    let current = get(db, ws, id).await?;
    if current.is_done() == done {
        return Ok(current);
    }
    let now = Micros::now().0;
    let (done_at, done_by) = if done {
        (Some(now), actor.user_id)
    } else {
        (None, None)
    };
    let before = current.audit_view();
    let after = Task {
        done_at,
        done_by,
        ..current
    }
    .audit_view();
    let action = if done { "complete" } else { "reopen" };
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        // Only from the state read above: a concurrent change wins and this one is a no-op.
        let changed = sqlx::query(
            "UPDATE tasks SET done_at = $3, done_by = $4, updated_at = $5 \
             WHERE workspace_id = $1 AND id = $2 AND (done_at IS NULL) = $6",
        )
        .bind(ws.0)
        .bind(id)
        .bind(done_at)
        .bind(done_by)
        .bind(now)
        .bind(done)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            crate::insert_audit!(&mut *tx, ws, actor, "task", Some(id), action, Some(before.as_str()), Some(after.as_str()), now);
        }
        tx.commit().await?;
    });
    get(db, ws, id).await
}

/// Which tasks to list.
#[derive(Debug, Clone, Copy)]
pub struct TaskFilter {
    /// One owner's, or everyone's.
    pub owner_id: Option<i64>,
    pub state: TaskState,
}

/// Tasks by filter: open ones by due time, done ones most recently closed first.
pub async fn list(db: &Db, ws: WorkspaceId, f: &TaskFilter, limit: i64) -> Result<Vec<Task>> {
    let order = match f.state {
        TaskState::Open => "t.done_at IS NULL ORDER BY t.due_at, t.id",
        TaskState::Done => "t.done_at IS NOT NULL ORDER BY t.done_at DESC, t.id DESC",
    };
    let sql = format!(
        "{SELECT} WHERE t.workspace_id = $1 AND ($2 = 0 OR t.owner_id = $2) AND {order} LIMIT $3"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Task>(&sql)
            .bind(ws.0)
            .bind(f.owner_id.unwrap_or(0))
            .bind(limit)
            .fetch_all(pool)
            .await?)
    })
}

/// Open tasks due in `[from, until)` (or before `until` when `from` is `None`), of one
/// owner or everyone, by due time.
async fn open_between(
    db: &Db,
    ws: WorkspaceId,
    owner_id: Option<i64>,
    from: Option<i64>,
    until: i64,
) -> Result<Vec<Task>> {
    let sql = format!(
        "{SELECT} WHERE t.workspace_id = $1 AND ($2 = 0 OR t.owner_id = $2) AND t.done_at IS NULL \
         AND t.due_at >= $3 AND t.due_at < $4 ORDER BY t.due_at, t.id LIMIT $5"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Task>(&sql)
            .bind(ws.0)
            .bind(owner_id.unwrap_or(0))
            .bind(from.unwrap_or(i64::MIN))
            .bind(until)
            .bind(AGENDA_LIMIT)
            .fetch_all(pool)
            .await?)
    })
}

/// One owner's (or everyone's) open tasks as of `now`: due before today (JST), due
/// today, and due in the next [`UPCOMING_DAYS`] days.
pub async fn agenda(
    db: &Db,
    ws: WorkspaceId,
    owner_id: Option<i64>,
    now: Micros,
) -> Result<Agenda> {
    let today = jst_day_start(now);
    let tomorrow = today.saturating_add(Micros::days(1));
    let horizon = tomorrow.saturating_add(Micros::days(UPCOMING_DAYS));
    Ok(Agenda {
        overdue: open_between(db, ws, owner_id, None, today.0).await?,
        today: open_between(db, ws, owner_id, Some(today.0), tomorrow.0).await?,
        upcoming: open_between(db, ws, owner_id, Some(tomorrow.0), horizon.0).await?,
    })
}

/// A lead's tasks by due time (open ones only when `open_only`).
pub async fn for_lead(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    open_only: bool,
) -> Result<Vec<Task>> {
    let sql = format!(
        "{SELECT} WHERE t.workspace_id = $1 AND t.lead_id = $2 AND ($3 = FALSE OR t.done_at IS NULL) \
         ORDER BY t.due_at, t.id"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Task>(&sql)
            .bind(ws.0)
            .bind(lead_id)
            .bind(open_only)
            .fetch_all(pool)
            .await?)
    })
}

/// A company's tasks: its own (renewal, upsell) and its leads', by due time (open ones
/// only when `open_only`).
pub async fn for_company(
    db: &Db,
    ws: WorkspaceId,
    company_id: i64,
    open_only: bool,
) -> Result<Vec<Task>> {
    let sql = format!(
        "{SELECT} WHERE t.workspace_id = $1 AND (t.company_id = $2 OR l.company_id = $2) \
         AND ($3 = FALSE OR t.done_at IS NULL) ORDER BY t.due_at, t.id"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Task>(&sql)
            .bind(ws.0)
            .bind(company_id)
            .bind(open_only)
            .fetch_all(pool)
            .await?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ondo_domain::Role;

    async fn setup() -> (Db, WorkspaceId, i64, i64) {
        let db = crate::testing::fresh_db().await;
        let ws = crate::workspaces::ensure(&db, "t").await.expect("ws").id();
        let user = crate::users::create(&db, ws, "s@example.com", "営業 太郎", Role::Sales, "x")
            .await
            .expect("user");
        let lead: i64 = with_db!(&db, pool => {
            sqlx::query_scalar(
                "INSERT INTO leads (workspace_id, name, kana, status, search_text, created_at, updated_at) \
                 VALUES ($1, '山田 花子', '', 'new', '', 0, 0) RETURNING id",
            )
            .bind(ws.0)
            .fetch_one(pool)
            .await
            .expect("lead")
        });
        (db, ws, user.id, lead)
    }

    fn new(lead: i64, owner: i64, title: &str, due: Micros) -> NewTask {
        NewTask {
            lead_id: Some(lead),
            company_id: None,
            owner_id: owner,
            kind: "follow_up".into(),
            title: title.into(),
            note: None,
            due_at: due,
        }
    }

    #[tokio::test]
    async fn the_agenda_splits_by_jst_day_and_changes_are_audited() {
        let (db, ws, owner, lead) = setup().await;
        let actor = Actor::user(owner, "test");
        let now = Micros::parse_rfc3339("2026-05-07T10:00:00+09:00").expect("time");
        let at = |s: &str| Micros::parse_rfc3339(s).expect("time");
        for (title, due) in [
            ("昨日", at("2026-05-06T23:59:00+09:00")),
            ("今朝", at("2026-05-07T00:00:00+09:00")),
            ("今夜", at("2026-05-07T23:59:59+09:00")),
            ("明日", at("2026-05-08T00:00:00+09:00")),
            ("来週", at("2026-05-14T23:00:00+09:00")),
            ("先の話", at("2026-05-15T00:00:00+09:00")),
        ] {
            create(&db, ws, &new(lead, owner, title, due), &actor)
                .await
                .expect("task");
        }
        let a = agenda(&db, ws, Some(owner), now).await.expect("agenda");
        let titles = |v: &[Task]| v.iter().map(|t| t.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&a.overdue), ["昨日"]);
        assert_eq!(titles(&a.today), ["今朝", "今夜"]);
        assert_eq!(titles(&a.upcoming), ["明日", "来週"]);
        assert_eq!(a.today[0].lead_name.as_deref(), Some("山田 花子"));
        assert_eq!(a.today[0].owner_name.as_deref(), Some("営業 太郎"));

        let id = a.overdue[0].id;
        let done = set_done(&db, ws, id, true, &actor).await.expect("done");
        assert!(done.is_done());
        assert_eq!(done.done_by, Some(owner));
        // Done again: nothing changes, nothing more is audited.
        set_done(&db, ws, id, true, &actor).await.expect("done");
        let a = agenda(&db, ws, Some(owner), now).await.expect("agenda");
        assert!(a.overdue.is_empty());
        let done_list = list(
            &db,
            ws,
            &TaskFilter {
                owner_id: Some(owner),
                state: TaskState::Done,
            },
            10,
        )
        .await
        .expect("list");
        assert_eq!(titles(&done_list), ["昨日"]);
        let reopened = set_done(&db, ws, id, false, &actor).await.expect("reopen");
        assert!(!reopened.is_done());

        let audit = crate::audit::list(&db, ws, None, 100).await.expect("audit");
        let mine: Vec<_> = audit
            .iter()
            .filter(|e| e.entity == "task" && e.entity_id == Some(id))
            .map(|e| e.action.as_str())
            .collect();
        assert_eq!(mine, ["reopen", "complete", "create"]);
        let complete = audit
            .iter()
            .find(|e| e.entity_id == Some(id) && e.action == "complete")
            .expect("complete entry");
        assert!(
            complete
                .before_json
                .as_deref()
                .unwrap_or("")
                .contains("\"done_at\":null")
        );
        assert!(
            !complete
                .after_json
                .as_deref()
                .unwrap_or("")
                .contains("\"done_at\":null")
        );

        assert_eq!(for_lead(&db, ws, lead, true).await.expect("lead").len(), 6);
        assert_eq!(for_lead(&db, ws, lead, false).await.expect("lead").len(), 6);
        // Another workspace sees none of it.
        let other = crate::workspaces::ensure(&db, "other")
            .await
            .expect("ws")
            .id();
        assert!(matches!(
            get(&db, other, id).await,
            Err(crate::StoreError::NotFound)
        ));
        assert!(
            agenda(&db, other, None, now)
                .await
                .expect("agenda")
                .today
                .is_empty()
        );
    }
}
