//! Follow-up tasks: scheduled on a lead over the API and from the lead's form, listed on
//! the "today" page by overdue / today / next 7 days, closed in one click (with CSRF);
//! a salesperson works with their own tasks only, and another workspace's lead or task
//! is not found.

use ondo_domain::business_hours::jst_day_start;
use ondo_domain::{Micros, Role};
use ondo_store::tasks::NewTask;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app};

/// A client with its own cookies, like one person's browser.
fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// Signs `email` in with a fresh browser and returns it.
pub async fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = browser();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    let csrf = hidden_value(&page, "csrf").expect("the login form has a CSRF token");
    let resp = client
        .post(app.url("/login"))
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/leads"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{email} signs in");
    client
}

/// The page's text and status, as `client` sees it.
pub async fn get_page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let resp = client.get(app.url(path)).send().await.expect("page");
    (resp.status(), resp.text().await.expect("body"))
}

/// The HTML of the element whose id is `id`, up to the end of its section.
pub fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let end = html[start..]
        .find("</section>")
        .map(|e| start + e)
        .unwrap_or(html.len());
    &html[start..end]
}

async fn new_lead(app: &TestApp, token: &str, name: &str) -> i64 {
    let (status, body) = json(app.post_lead_as(token, &json!({ "name": name })).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().expect("an id")
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    ondo_store::users::find_by_email(&app.db, app.ws(), email)
        .await
        .expect("read")
        .expect("user")
        .id
}

async fn post_task(app: &TestApp, token: &str, lead_id: i64, body: &Value) -> (StatusCode, Value) {
    json(
        app.client
            .post(app.url(&format!("/api/v1/leads/{lead_id}/tasks")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request"),
    )
    .await
}

async fn get_tasks(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    json(
        app.client
            .get(app.url(&format!("/api/v1/tasks{query}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request"),
    )
    .await
}

async fn patch_task(app: &TestApp, token: &str, id: i64, body: &Value) -> (StatusCode, Value) {
    json(
        app.client
            .patch(app.url(&format!("/api/v1/tasks/{id}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request"),
    )
    .await
}

fn titles(list: &Value) -> Vec<String> {
    list["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["title"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn a_follow_up_is_scheduled_listed_and_closed_over_the_api() {
    let app = spawn_app().await;
    let sales = app
        .user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    let lead = new_lead(&app, &app.token, "山田 花子").await;

    let (status, task) = post_task(
        &app,
        &app.token,
        lead,
        &json!({"title": "見積もりの件で電話", "due_at": "2026-05-07", "owner": "Sales@Example.com",
                "note": "午前中が良いとのこと"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!(task["owner"]["email"], "sales@example.com");
    assert_eq!(task["lead_name"], "山田 花子");
    assert_eq!(task["kind"], "follow_up");
    // A date is due that day in Japan: 00:00 JST.
    assert_eq!(task["due_at"], "2026-05-06T15:00:00.000000Z");
    assert_eq!(task["done"], false);
    let id = task["id"].as_i64().expect("id");

    // Created with the caller as owner when none is named.
    let (status, own) = post_task(
        &app,
        &sales,
        lead,
        &json!({"title": "資料を送る", "due_at": "2026-05-08T10:00:00+09:00", "kind": "upsell"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(own["owner"]["email"], "sales@example.com");
    assert_eq!(own["kind"], "upsell");

    let (status, list) = get_tasks(&app, &sales, "").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(titles(&list), ["見積もりの件で電話", "資料を送る"]);

    let (status, done) = patch_task(&app, &sales, id, &json!({"done": true})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["done"], true);
    assert!(done["done_at"].is_string());
    assert_eq!(
        titles(&get_tasks(&app, &sales, "?state=open").await.1),
        ["資料を送る"]
    );
    assert_eq!(
        titles(&get_tasks(&app, &sales, "?state=done").await.1),
        ["見積もりの件で電話"]
    );
    // Reopened.
    let (status, open) = patch_task(&app, &sales, id, &json!({"done": false})).await;
    assert_eq!(
        (status, open["done"].clone()),
        (StatusCode::OK, json!(false))
    );

    // Every change is in the audit log.
    let audit = ondo_store::audit::list(&app.db, app.ws(), None, 50)
        .await
        .expect("audit");
    let actions: Vec<&str> = audit
        .iter()
        .filter(|e| e.entity == "task" && e.entity_id == Some(id))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["reopen", "complete", "create"]);

    // The OpenAPI document lists the endpoints.
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    for path in [
        "/api/v1/leads/{id}/tasks",
        "/api/v1/tasks",
        "/api/v1/tasks/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}

#[tokio::test]
async fn bad_task_input_is_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let lead = new_lead(&app, &app.token, "佐藤 次郎").await;
    for (body, field) in [
        (json!({"due_at": "2026-05-07"}), "title"),
        (json!({"title": "  ", "due_at": "2026-05-07"}), "title"),
        (json!({"title": "電話"}), "due_at"),
        (json!({"title": "電話", "due_at": "next week"}), "due_at"),
        (json!({"title": "電話", "due_at": "2026-02-30"}), "due_at"),
        (
            json!({"title": "電話", "due_at": "2026-05-07", "owner": "nobody@example.com"}),
            "owner",
        ),
        (
            json!({"title": "電話", "due_at": "2026-05-07", "kind": "party"}),
            "kind",
        ),
        (
            json!({"title": "x".repeat(201), "due_at": "2026-05-07"}),
            "title",
        ),
    ] {
        let (status, err) = post_task(&app, &app.token, lead, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {err}");
        assert_eq!(err["field"], field, "{body} → {err}");
    }
    let (status, _) = post_task(
        &app,
        &app.token,
        lead,
        &json!({"title": "x", "due_at": "2026-05-07", "extra": 1}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused"
    );
    assert!(
        ondo_store::tasks::for_lead(&app.db, app.ws(), lead, false)
            .await
            .expect("tasks")
            .is_empty(),
        "nothing was written"
    );
    let (status, err) = get_tasks(&app, &app.token, "?state=later").await;
    assert_eq!(
        (status, err["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("state"))
    );
    let (status, err) = get_tasks(&app, &app.token, "?owner=ghost@example.com").await;
    assert_eq!(
        (status, err["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("owner"))
    );
    let (_, task) = post_task(
        &app,
        &app.token,
        lead,
        &json!({"title": "電話", "due_at": "2026-05-07"}),
    )
    .await;
    let (status, err) = patch_task(
        &app,
        &app.token,
        task["id"].as_i64().expect("id"),
        &json!({}),
    )
    .await;
    assert_eq!(
        (status, err["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("done"))
    );
    let (status, _) = post_task(
        &app,
        &app.token,
        999_999,
        &json!({"title": "電話", "due_at": "2026-05-07"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_salesperson_cannot_see_or_close_anothers_tasks() {
    let app = spawn_app().await;
    let a = app
        .user_with_token(app.ws(), "a@example.com", Role::Sales)
        .await;
    let b = app
        .user_with_token(app.ws(), "b@example.com", Role::Sales)
        .await;
    let manager = app
        .user_with_token(app.ws(), "manager@example.com", Role::Manager)
        .await;
    let lead = new_lead(&app, &app.token, "鈴木 三郎").await;
    let (_, task) = post_task(
        &app,
        &app.token,
        lead,
        &json!({"title": "Bさんの電話", "due_at": "2026-05-07", "owner": "b@example.com"}),
    )
    .await;
    let id = task["id"].as_i64().expect("id");

    assert_eq!(
        get_tasks(&app, &a, "?owner=b@example.com").await.0,
        StatusCode::FORBIDDEN
    );
    assert!(titles(&get_tasks(&app, &a, "").await.1).is_empty());
    assert_eq!(
        patch_task(&app, &a, id, &json!({"done": true})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = post_task(
        &app,
        &a,
        lead,
        &json!({"title": "Bに振る", "due_at": "2026-05-07", "owner": "b@example.com"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a salesperson assigns only to themselves"
    );
    // Still open; the owner and the manager see it.
    assert_eq!(titles(&get_tasks(&app, &b, "").await.1), ["Bさんの電話"]);
    assert_eq!(
        titles(&get_tasks(&app, &manager, "?owner=b@example.com").await.1),
        ["Bさんの電話"]
    );
    assert_eq!(
        patch_task(&app, &manager, id, &json!({"done": true}))
            .await
            .0,
        StatusCode::OK
    );

    // On the pages too: A neither sees nor closes B's task.
    let (_, task) = post_task(
        &app,
        &app.token,
        lead,
        &json!({"title": "Bさんの二件目", "due_at": "2026-05-07", "owner": "b@example.com"}),
    )
    .await;
    let id = task["id"].as_i64().expect("id");
    let a_browser = signed_in(&app, "a@example.com").await;
    let b_id = user_id(&app, "b@example.com").await;
    let (_, page) = get_page(&app, &a_browser, &format!("/tasks?owner={b_id}")).await;
    assert!(!page.contains("Bさんの二件目"), "{page}");
    assert!(
        !page.contains("id=\"tasks-owner\""),
        "no owner choice for sales"
    );
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let resp = a_browser
        .post(app.url(&format!("/tasks/{id}/done")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let manager_browser = signed_in(&app, "manager@example.com").await;
    let (_, page) = get_page(&app, &manager_browser, &format!("/tasks?owner={b_id}")).await;
    assert!(page.contains("Bさんの二件目"), "{page}");
    let task = ondo_store::tasks::get(&app.db, app.ws(), id)
        .await
        .expect("task");
    assert!(!task.is_done());
    let _ = manager;
}

#[tokio::test]
async fn another_workspaces_lead_and_task_are_not_found() {
    let app = spawn_app().await;
    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("ws")
        .id();
    let other_token = app
        .user_with_token(other, "admin@other.example", Role::Admin)
        .await;
    let their_lead = new_lead(&app, &other_token, "他社 リード").await;
    let (status, their_task) = post_task(
        &app,
        &other_token,
        their_lead,
        &json!({"title": "秘密の電話", "due_at": "2026-05-07"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = post_task(
        &app,
        &app.token,
        their_lead,
        &json!({"title": "x", "due_at": "2026-05-07"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let id = their_task["id"].as_i64().expect("id");
    assert_eq!(
        patch_task(&app, &app.token, id, &json!({"done": true}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let owner = "admin@other.example";
    let (status, _) = get_tasks(&app, &app.token, &format!("?owner={owner}")).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no such user here"
    );
    app.user_with_token(app.ws(), "viewer@example.com", Role::Admin)
        .await;
    let browser = signed_in(&app, "viewer@example.com").await;
    let (_, page) = get_page(&app, &browser, "/tasks?owner=all").await;
    assert!(!page.contains("秘密の電話"));
    let (status, _) = get_page(&app, &browser, &format!("/leads/{their_lead}/tasks")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn add_task(app: &TestApp, lead: i64, owner: i64, title: &str, due: Micros) -> i64 {
    ondo_store::tasks::create(
        &app.db,
        app.ws(),
        &NewTask {
            lead_id: Some(lead),
            company_id: None,
            owner_id: owner,
            kind: "follow_up".into(),
            title: title.into(),
            note: None,
            due_at: due,
        },
        &ondo_store::Actor::system("test"),
    )
    .await
    .expect("task")
    .id
}

#[tokio::test]
async fn the_today_page_groups_tasks_and_closes_one_in_one_click() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "rep@example.com", Role::Sales)
        .await;
    let rep = user_id(&app, "rep@example.com").await;
    let lead = new_lead(&app, &app.token, "高橋 一").await;
    let today = jst_day_start(Micros::now());
    let overdue = add_task(
        &app,
        lead,
        rep,
        "昨日の電話",
        today.saturating_add(-Micros::hours(2)),
    )
    .await;
    let due_today = add_task(&app, lead, rep, "<script>alert(1)</script>", today).await;
    add_task(
        &app,
        lead,
        rep,
        "来週の訪問",
        today.saturating_add(Micros::days(3) + Micros::hours(10)),
    )
    .await;
    add_task(
        &app,
        lead,
        rep,
        "ずっと先",
        today.saturating_add(Micros::days(9)),
    )
    .await;

    let browser = signed_in(&app, "rep@example.com").await;
    let (status, page) = get_page(&app, &browser, "/tasks").await;
    assert_eq!(status, StatusCode::OK);
    let over = section(&page, "tasks-overdue");
    assert!(
        over.contains("昨日の電話") && over.contains("data-overdue=\"true\""),
        "{over}"
    );
    assert!(over.contains(&format!("href=\"/leads/{lead}\"")) && over.contains("高橋 一"));
    let now_section = section(&page, "tasks-today");
    assert!(
        now_section.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{now_section}"
    );
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "titles are escaped"
    );
    // Due "today" without a time shows the date in Japanese format.
    assert!(
        now_section.contains(&today.format_jst_date()),
        "{now_section}"
    );
    let upcoming = section(&page, "tasks-upcoming");
    assert!(
        upcoming.contains("来週の訪問") && !page.contains("ずっと先"),
        "{upcoming}"
    );

    // A forged token is refused and changes nothing.
    let resp = browser
        .post(app.url(&format!("/tasks/{overdue}/done")))
        .form(&[("csrf", "forged"), ("next", "/tasks")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        !ondo_store::tasks::get(&app.db, app.ws(), overdue)
            .await
            .expect("task")
            .is_done()
    );

    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let resp = browser
        .post(app.url(&format!("/tasks/{overdue}/done")))
        .form(&[("csrf", csrf.as_str()), ("next", "/tasks")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/tasks?done=task");
    let (_, page) = get_page(&app, &browser, "/tasks?done=task").await;
    assert!(page.contains("タスクを完了にしました"));
    assert!(!page.contains("昨日の電話"), "the done task left the list");
    assert!(section(&page, "tasks-overdue").contains("期限切れのタスクはありません"));
    let task = ondo_store::tasks::get(&app.db, app.ws(), overdue)
        .await
        .expect("task");
    assert_eq!(task.done_by, Some(rep));
    let _ = due_today;

    // In English too.
    let page = browser
        .get(app.url("/tasks"))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("Next 7 days") && page.contains("来週の訪問"),
        "{page}"
    );
}

#[tokio::test]
async fn a_follow_up_is_added_from_the_lead_form_and_mistakes_are_named() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "rep@example.com", Role::Sales)
        .await;
    app.user_with_token(app.ws(), "mgr@example.com", Role::Manager)
        .await;
    let rep = user_id(&app, "rep@example.com").await;
    let lead = new_lead(&app, &app.token, "伊藤 二").await;
    let browser = signed_in(&app, "mgr@example.com").await;
    let (status, form) = get_page(&app, &browser, &format!("/leads/{lead}/tasks")).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden_value(&form, "csrf").expect("csrf");
    assert!(
        form.contains(&format!("<option value=\"{rep}\"")),
        "the manager may assign the rep"
    );

    let post = |fields: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let url = app.url(&format!("/leads/{lead}/tasks"));
        async move { browser.post(url).form(&fields).send().await.expect("post") }
    };
    let resp = post(vec![
        ("csrf", csrf.clone()),
        ("title", "デモの日程調整".into()),
        ("due_date", "2026-05-07".into()),
        ("due_time", "14:30".into()),
        ("owner", rep.to_string()),
        ("note", "".into()),
    ])
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers()["location"],
        format!("/leads/{lead}?done=task-added#tasks").as_str()
    );
    let tasks = ondo_store::tasks::for_lead(&app.db, app.ws(), lead, true)
        .await
        .expect("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].owner_id, rep);
    assert_eq!(Micros(tasks[0].due_at).format_jst(), "2026/05/07 14:30");

    // Mistakes: the form again, each named, what was typed kept, nothing written.
    let resp = post(vec![
        ("csrf", csrf.clone()),
        ("title", "".into()),
        ("due_date", "2026/05/07".into()),
        ("due_time", "".into()),
        ("owner", rep.to_string()),
        ("note", "<b>メモ</b>".into()),
    ])
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.expect("body");
    assert!(page.contains("内容を入力してください"), "{page}");
    assert!(page.contains("期限日は 2026-05-07 の形で入力してください"));
    assert!(
        page.contains("&#60;b&#62;メモ&#60;/b&#62;"),
        "the note is kept, escaped"
    );
    assert!(
        page.contains("デモの日程調整"),
        "the lead's open tasks are listed"
    );

    // A forged token writes nothing.
    let resp = post(vec![
        ("csrf", "forged".into()),
        ("title", "偽物".into()),
        ("due_date", "2026-05-07".into()),
    ])
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        ondo_store::tasks::for_lead(&app.db, app.ws(), lead, false)
            .await
            .expect("tasks")
            .len(),
        1
    );
}
