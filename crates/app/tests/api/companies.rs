//! The company list and company page: people, owners, last activity and the
//! double-approach warning (二重アプローチ防止).

use ondo_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, json, spawn_app};

const SATO: &str = "sato@example.com";
const SUZUKI: &str = "suzuki@example.com";

/// Posts a lead and returns its id and its company's id.
async fn lead(app: &TestApp, body: Value) -> (i64, i64) {
    let (status, lead) = json(app.post_lead(&body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    (
        lead["id"].as_i64().expect("lead id"),
        lead["company"]["id"]
            .as_i64()
            .expect("the lead has a company"),
    )
}

async fn activity(app: &TestApp, lead_id: i64, at: &str) {
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/leads/{lead_id}/activities")))
        .bearer_auth(&app.token)
        .json(&json!({"type": "meeting", "at": at}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::CREATED);
}

/// The `<tr>` of the company list that shows this company.
fn row(page: &str, company_id: i64) -> &str {
    let start = page
        .find(&format!("<tr data-company-id=\"{company_id}\">"))
        .unwrap_or_else(|| panic!("company {company_id} is listed"));
    let end = start + page[start..].find("</tr>").expect("the row ends");
    &page[start..end]
}

/// Whether `a` shows before `b` in `page` (both must show).
fn before(page: &str, a: &str, b: &str) -> bool {
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s} shows"));
    at(a) < at(b)
}

/// Two reps and leads at two companies: サカタのタネ has leads of both reps and one
/// nobody owns; ABC商事 has one lead of one rep.
struct Workspace {
    sakata: i64,
    abc: i64,
    sakata_leads: [i64; 3],
    abc_lead: i64,
}

async fn workspace(app: &TestApp) -> Workspace {
    app.user_with_token(app.ws(), SATO, Role::Sales).await;
    app.user_with_token(app.ws(), SUZUKI, Role::Sales).await;
    let (a, sakata) = lead(
        app,
        json!({"name": "山田 太郎", "company": "株式会社サカタのタネ", "title": "部長",
               "department": "営業部", "owner": SATO, "email": "t.yamada@sakata.example.co.jp"}),
    )
    .await;
    let (b, same) = lead(
        app,
        json!({"name": "佐々木 花子", "company": "(株)サカタのタネ", "title": "課長",
               "department": "購買部", "owner": SUZUKI}),
    )
    .await;
    assert_eq!(same, sakata, "(株) and 株式会社 are one company");
    let (c, _) = lead(
        app,
        json!({"name": "高橋 一郎", "company": "サカタのタネ株式会社"}),
    )
    .await;
    let (abc_lead, abc) = lead(
        app,
        json!({"name": "田中 次郎", "company": "ABC商事株式会社", "owner": SATO}),
    )
    .await;
    // A meeting booked ahead is the latest thing that happened at サカタのタネ.
    activity(app, b, "2031-04-05T10:00:00+09:00").await;
    Workspace {
        sakata,
        abc,
        sakata_leads: [a, b, c],
        abc_lead,
    }
}

async fn signed_in_app() -> (TestApp, Workspace) {
    let app = spawn_app().await;
    let w = workspace(&app).await;
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    (app, w)
}

#[tokio::test]
async fn the_list_shows_people_owners_and_last_activity() {
    let (app, w) = signed_in_app().await;
    let page = app.page("/companies").await;

    let sakata = row(&page, w.sakata);
    assert!(sakata.contains("株式会社サカタのタネ"), "{sakata}");
    assert!(sakata.contains(&format!("href=\"/companies/{}\"", w.sakata)));
    assert!(sakata.contains(">3</a>"), "three people: {sakata}");
    assert!(
        sakata.contains(SATO) && sakata.contains(SUZUKI),
        "both owners"
    );
    assert!(
        sakata.contains("二重アプローチ注意"),
        "two owners: the warning"
    );
    assert!(sakata.contains("2031/04/05"), "the latest activity");
    for id in w.sakata_leads {
        assert!(
            sakata.contains(&format!("href=\"/leads/{id}\"")),
            "lead {id} is linked"
        );
    }
    assert!(
        before(sakata, "佐々木 花子", "山田 太郎"),
        "the most recently active first"
    );

    let abc = row(&page, w.abc);
    assert!(
        abc.contains("ABC商事株式会社") && abc.contains(">1</a>"),
        "{abc}"
    );
    assert!(abc.contains(SATO) && !abc.contains(SUZUKI));
    assert!(!abc.contains("二重アプローチ"), "one owner: no warning");
    let today = ondo_domain::Micros::now().format_jst_date();
    assert!(abc.contains(&today), "created today: {abc}");
    assert!(abc.contains(&format!("href=\"/leads/{}\"", w.abc_lead)));
}

#[tokio::test]
async fn a_company_left_by_its_people_shows_none_and_no_date() {
    let (app, w) = signed_in_app().await;
    let resp = app
        .patch_lead(w.abc_lead, &json!({"company": "株式会社サカタのタネ"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = app.page("/companies").await;
    let abc = row(&page, w.abc);
    assert!(abc.contains(">0</a>"), "nobody left: {abc}");
    assert!(
        abc.contains("—") && !abc.contains("<time>"),
        "no last activity"
    );
    assert!(row(&page, w.sakata).contains(">4</a>"));
}

#[tokio::test]
async fn the_company_page_lists_people_owners_and_the_warning() {
    let (app, w) = signed_in_app().await;
    let resp = app
        .client
        .get(app.url(&format!("/companies/{}", w.sakata)))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.expect("body");
    assert!(page.contains("<h1 id=\"company-name\">株式会社サカタのタネ</h1>"));
    assert!(page.contains("<dd>株式会社</dd>"), "the legal form");
    assert!(
        page.contains("sakata.example.co.jp"),
        "the domain from the email"
    );
    for (id, name) in w
        .sakata_leads
        .iter()
        .zip(["山田 太郎", "佐々木 花子", "高橋 一郎"])
    {
        assert!(
            page.contains(&format!("<a href=\"/leads/{id}\">{name}</a>")),
            "{name} is linked"
        );
    }
    let people = &page[page.find("id=\"company-people\"").expect("people table")..];
    assert!(people.contains("部長") && people.contains("営業部") && people.contains("購買部"));
    assert!(people.contains("新規"), "the status");
    assert!(people.contains("未割り当て"), "高橋 has no owner");
    assert!(people.contains("2031/04/05"));
    assert!(
        before(people, "佐々木 花子", "山田 太郎"),
        "most recently active first"
    );
    let owners = &page[page.find("id=\"company-owners\"").expect("owners table")..];
    assert!(owners.contains(&format!("{SATO}</th><td class=\"num\">1件")));
    assert!(owners.contains(&format!("{SUZUKI}</th><td class=\"num\">1件")));
    let warning = page
        .split("class=\"warning double-approach\"")
        .nth(1)
        .expect("the double-approach warning");
    assert!(
        warning.contains(SATO)
            && warning.contains(SUZUKI)
            && warning.contains("二重アプローチ防止")
    );
    assert!(page.contains(&format!("href=\"/leads?company_id={}\"", w.sakata)));

    let abc = app.page(&format!("/companies/{}", w.abc)).await;
    assert!(
        abc.contains("田中 次郎") && !abc.contains("double-approach"),
        "one owner: no warning"
    );

    let lead = app.page(&format!("/leads/{}", w.sakata_leads[0])).await;
    assert!(
        lead.contains(&format!(
            "<a id=\"lead-company-link\" href=\"/companies/{}\">",
            w.sakata
        )),
        "the lead page links its company"
    );
}

#[tokio::test]
async fn unknown_and_other_workspaces_companies_are_not_found() {
    let (app, w) = signed_in_app().await;
    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("workspace")
        .id();
    let token = app
        .user_with_token(other, "x@other.example", Role::Admin)
        .await;
    let (status, theirs) = json(
        app.post_lead_as(
            &token,
            &json!({"name": "他社 太郎", "company": "株式会社ヨソ"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let theirs = theirs["company"]["id"].as_i64().expect("company id");
    for path in [
        format!("/companies/{theirs}"),
        format!("/companies/{}", w.sakata.max(w.abc).max(theirs) + 1000),
    ] {
        let resp = app.client.get(app.url(&path)).send().await.expect("page");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let list = app.page("/companies").await;
    assert!(!list.contains("ヨソ"), "the list shows only this workspace");
}

#[tokio::test]
async fn english_on_request() {
    let (app, w) = signed_in_app().await;
    let en = app
        .client
        .get(app.url("/companies"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(en.contains("lang=\"en\"") && en.contains("Last activity"));
    assert!(row(&en, w.sakata).contains("Double approach risk"));
    assert!(!en.contains("二重アプローチ注意"));

    app.client
        .get(app.url(&format!("/lang/en?next=/companies/{}", w.sakata)))
        .send()
        .await
        .expect("switch");
    let page = app.page(&format!("/companies/{}", w.sakata)).await;
    assert!(
        page.contains("People at this company (3)"),
        "English company page"
    );
    assert!(page.contains("avoid a double approach"));
    assert!(
        page.contains(&format!("{SATO}, {SUZUKI}")) || page.contains(&format!("{SUZUKI}, {SATO}"))
    );
}

#[tokio::test]
async fn search_sort_and_paging() {
    let (app, w) = signed_in_app().await;
    let found = app
        .page("/companies?q=%28%E6%A0%AA%29%E3%82%B5%E3%82%AB%E3%82%BF")
        .await; // (株)サカタ
    assert!(
        found.contains("サカタのタネ") && !found.contains("ABC商事"),
        "search ignores the legal form"
    );
    let none = app.page("/companies?q=%25").await;
    assert!(
        !none.contains("data-company-id"),
        "% matches a %, not everything"
    );

    let position = |page: &str, id: i64| {
        page.find(&format!("data-company-id=\"{id}\""))
            .expect("listed")
    };
    let by_name = app.page("/companies").await;
    assert!(
        position(&by_name, w.abc) < position(&by_name, w.sakata),
        "ABC before サカタ by name"
    );
    for sort in ["people", "activity"] {
        let page = app.page(&format!("/companies?sort={sort}")).await;
        assert!(
            position(&page, w.sakata) < position(&page, w.abc),
            "サカタ first by {sort}"
        );
        assert!(page.contains(&format!("<option value=\"{sort}\" selected>")));
    }

    for i in 0..50 {
        lead(
            &app,
            json!({"name": format!("社員 {i}"), "company": format!("株式会社テスト{i:02}")}),
        )
        .await;
    }
    let first = app.page("/companies?sort=people").await;
    assert_eq!(first.matches("data-company-id").count(), 50, "50 a page");
    assert_eq!(
        first.find("data-company-id"),
        first.find(&format!("data-company-id=\"{}\"", w.sakata)),
        "the biggest company first"
    );
    let next = first
        .split("rel=\"next\"")
        .next()
        .and_then(|s| s.rsplit("href=\"").next())
        .map(|s| {
            s.trim_end_matches("\" ")
                .replace("&#38;", "&")
                .replace("&amp;", "&")
        })
        .expect("a next link");
    assert_eq!(next, "/companies?sort=people&page=1");
    let rest = app.page(&next).await;
    assert_eq!(
        rest.matches("data-company-id").count(),
        2,
        "52 companies in all"
    );
    assert!(rest.contains("rel=\"prev\"") && !rest.contains("rel=\"next\""));
    let tests = app
        .page("/companies?q=%E3%83%86%E3%82%B9%E3%83%88&sort=people")
        .await; // テスト
    assert_eq!(tests.matches("data-company-id").count(), 50);
    assert!(!tests.contains("サカタ") && !tests.contains("rel=\"next\""));
}

#[tokio::test]
async fn every_role_reads_companies_and_visitors_sign_in_first() {
    let app = spawn_app().await;
    let w = workspace(&app).await;
    for path in ["/companies".to_string(), format!("/companies/{}", w.sakata)] {
        let resp = app
            .client
            .get(app.url(&path))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        let to = resp.headers()["location"].to_str().expect("location");
        assert!(to.starts_with("/login?next="), "{to}");
    }
    for (email, role) in [
        ("manager@example.com", Some(Role::Manager)),
        ("marketing@example.com", Some(Role::Marketing)),
        (SATO, None),
    ] {
        if let Some(role) = role {
            app.user_with_token(app.ws(), email, role).await;
        }
        assert_eq!(
            app.sign_in(email, PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        for path in ["/companies".to_string(), format!("/companies/{}", w.sakata)] {
            let resp = app
                .client
                .get(app.url(&path))
                .send()
                .await
                .expect("request");
            assert_eq!(resp.status(), StatusCode::OK, "{email} reads {path}");
            assert!(resp.text().await.expect("body").contains("サカタのタネ"));
        }
    }
}

#[tokio::test]
async fn company_names_are_escaped() {
    let (app, _) = signed_in_app().await;
    let (_, id) = lead(
        &app,
        json!({"name": "悪意 太郎", "company": "<b>悪</b>株式会社"}),
    )
    .await;
    for path in ["/companies".to_string(), format!("/companies/{id}")] {
        let page = app.page(&path).await;
        assert!(!page.contains("<b>悪</b>"), "{path} shows raw markup");
        assert!(
            page.contains("&lt;b&gt;悪") || page.contains("&#60;b&#62;悪"),
            "{path} shows the escaped name"
        );
    }
}
