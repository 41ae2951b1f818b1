//! Storage tests: run on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.

use ondo_domain::{CompanyName, LeadStatus, Role};
use ondo_store::companies::CompanyInput;
use ondo_store::leads::{LeadFields, LeadFilter, NewTouchpoint, OwnerFilter, StatusChange};
use ondo_store::testing::fresh_db;
use ondo_store::{Actor, Db, StoreError, WorkspaceId};

fn table_columns(sql: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out = std::collections::BTreeMap::new();
    for stmt in sql.split(';') {
        let s = stmt.trim();
        let Some(pos) = s.find("CREATE TABLE ") else {
            continue;
        };
        let rest = &s[pos + "CREATE TABLE ".len()..];
        let name = rest.split_whitespace().next().unwrap_or("").to_string();
        let body = &rest[rest.find('(').unwrap_or(0) + 1..];
        let mut cols: Vec<String> = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("--"))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| !matches!(*w, "PRIMARY" | "UNIQUE" | "FOREIGN" | "CONSTRAINT" | ")"))
            .map(|w| w.trim_end_matches(',').to_string())
            .collect();
        cols.sort();
        out.insert(name, cols);
    }
    // Columns added later.
    for stmt in sql.split(';') {
        let code: String = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join(" ");
        let words: Vec<&str> = code.split_whitespace().collect();
        if let ["ALTER", "TABLE", table, "ADD", "COLUMN", column, ..] = words.as_slice() {
            let cols = out.entry(table.to_string()).or_default();
            cols.push(column.to_string());
            cols.sort();
        }
    }
    out
}

#[test]
fn both_migrations_define_the_same_tables_and_columns() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let mut names: Vec<_> = std::fs::read_dir(format!("{dir}/sqlite"))
        .expect("sqlite migrations")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    let mut pg_names: Vec<_> = std::fs::read_dir(format!("{dir}/postgres"))
        .expect("postgres migrations")
        .map(|e| e.expect("entry").file_name())
        .collect();
    pg_names.sort();
    assert_eq!(names, pg_names, "each migration exists for both databases");
    let read_all = |engine: &str| -> String {
        names
            .iter()
            .map(|n| {
                std::fs::read_to_string(format!("{dir}/{engine}/{}", n.to_string_lossy()))
                    .expect("readable")
            })
            .collect()
    };
    let lite = table_columns(&read_all("sqlite"));
    let pg = table_columns(&read_all("postgres"));
    assert!(lite.len() >= 13, "all tables found: {:?}", lite.keys());
    assert!(
        lite["leads"].contains(&"name_key".to_string()),
        "added columns are seen"
    );
    assert_eq!(lite, pg);
}

#[tokio::test]
async fn live_schemas_match_when_postgres_is_available() {
    let lite = Db::connect("sqlite::memory:")
        .await
        .expect("sqlite opens")
        .schema_columns()
        .await
        .expect("schema");
    assert!(
        lite.iter()
            .any(|(t, cols)| t == "leads" && cols.contains(&"workspace_id".to_string()))
    );
    for (table, cols) in &lite {
        assert!(
            cols.contains(&"workspace_id".to_string()),
            "{table} carries workspace_id"
        );
    }
    if ondo_store::testing::postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL not set: compared the SQLite schema only");
        return;
    }
    let pg = fresh_db().await.schema_columns().await.expect("schema");
    assert_eq!(lite, pg);
}

async fn workspace(db: &Db, name: &str) -> WorkspaceId {
    ondo_store::workspaces::ensure(db, name)
        .await
        .expect("workspace")
        .id()
}

fn fields(name: &str, email: &str) -> LeadFields {
    LeadFields {
        name: name.into(),
        kana: "ヤマダ タロウ".into(),
        email: Some(email.into()),
        ..Default::default()
    }
}

/// Moves a lead to 営業渡し by hand.
async fn hand_to_sales(db: &Db, ws: WorkspaceId, lead: &ondo_store::leads::Lead, actor: &Actor) {
    let change = StatusChange {
        to: LeadStatus::SalesReady,
        reason: "test".into(),
        lost_reason: None,
        renurture_on: None,
    };
    ondo_store::leads::update(db, ws, lead.id, &LeadFields::of(lead), Some(&change), actor)
        .await
        .expect("status");
}

/// Stores a lead's scores with this priority (and engagement).
async fn set_priority(db: &Db, ws: WorkspaceId, id: i64, priority: f64) {
    let mut tx = db.begin_write().await.expect("tx");
    let keys = ondo_store::scoring::ScoreKeys {
        engagement_key: Some(priority),
        fit_score: 0.0,
        fit_grade: "C",
        priority_key: priority,
        last_engaged_at: None,
    };
    ondo_store::scoring::set_scores(&mut tx, ws, id, &keys)
        .await
        .expect("scores");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_lead_is_created_with_its_touchpoint_history_and_audit() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let tp = NewTouchpoint {
        kind: "trade_show".into(),
        source: "展示会 2026-10 東京".into(),
        occurred_at: ondo_domain::Micros::now(),
        details: serde_json::json!({}),
    };
    let lead = ondo_store::leads::create(
        &db,
        ws,
        &fields("山田 太郎", "t.yamada@example.co.jp"),
        Some(&tp),
        &Actor::system("test"),
    )
    .await
    .expect("created");
    assert_eq!(lead.status, "new");
    let got = ondo_store::leads::get(&db, ws, lead.id)
        .await
        .expect("found");
    assert_eq!(got.name, "山田 太郎");
    let tps = ondo_store::leads::touchpoints(&db, ws, lead.id)
        .await
        .expect("touchpoints");
    assert_eq!(tps.len(), 1);
    assert_eq!(tps[0].source, "展示会 2026-10 東京");
    let history = ondo_store::leads::status_history(&db, ws, lead.id)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].to_status, "new");
    let audit = ondo_store::audit::list(&db, ws, Some(lead.id), 10)
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "create");
}

#[tokio::test]
async fn workspaces_never_see_each_others_leads() {
    let db = fresh_db().await;
    let a = workspace(&db, "a").await;
    let b = workspace(&db, "b").await;
    let lead = ondo_store::leads::create(
        &db,
        a,
        &fields("佐藤 花子", "h.sato@example.co.jp"),
        None,
        &Actor::system("test"),
    )
    .await
    .expect("created");
    assert!(matches!(
        ondo_store::leads::get(&db, b, lead.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        ondo_store::leads::find_by_email(&db, b, "h.sato@example.co.jp")
            .await
            .expect("query")
            .is_none()
    );
    assert!(
        ondo_store::leads::list(&db, b, &LeadFilter::default(), 10)
            .await
            .expect("list")
            .is_empty()
    );
    let f = fields("佐藤 花子", "x@example.co.jp");
    assert!(matches!(
        ondo_store::leads::update(&db, b, lead.id, &f, None, &Actor::system("test")).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        ondo_store::leads::get(&db, a, lead.id)
            .await
            .expect("still there")
            .email
            .as_deref(),
        Some("h.sato@example.co.jp")
    );
}

#[tokio::test]
async fn updates_record_status_history_and_only_changed_fields() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let actor = Actor::system("test");
    let lead = ondo_store::leads::create(
        &db,
        ws,
        &fields("山田 太郎", "t.yamada@example.co.jp"),
        None,
        &actor,
    )
    .await
    .expect("created");
    let mut f = LeadFields::of(&lead);
    f.title = Some("部長".into());
    let change = StatusChange {
        to: LeadStatus::LostDormant,
        reason: "予算が取れない".into(),
        lost_reason: Some("予算なし".into()),
        renurture_on: None,
    };
    let updated = ondo_store::leads::update(&db, ws, lead.id, &f, Some(&change), &actor)
        .await
        .expect("updated");
    assert_eq!(updated.status, "lost_dormant");
    assert_eq!(updated.lost_reason.as_deref(), Some("予算なし"));
    assert_eq!(updated.title.as_deref(), Some("部長"));
    let history = ondo_store::leads::status_history(&db, ws, lead.id)
        .await
        .expect("history");
    assert_eq!(history[0].from_status.as_deref(), Some("new"));
    assert_eq!(history[0].to_status, "lost_dormant");
    let audit = ondo_store::audit::list(&db, ws, Some(lead.id), 10)
        .await
        .expect("audit");
    let after: serde_json::Value =
        serde_json::from_str(audit[0].after_json.as_deref().expect("after")).expect("json");
    assert_eq!(after["title"], "部長");
    assert_eq!(after["status"], "lost_dormant");
    assert!(
        after.get("name").is_none(),
        "unchanged fields are not in the audit entry: {after}"
    );
    // The same change again writes nothing.
    ondo_store::leads::update(&db, ws, lead.id, &f, Some(&change), &actor)
        .await
        .expect("no-op");
    assert_eq!(
        ondo_store::audit::list(&db, ws, Some(lead.id), 10)
            .await
            .expect("audit")
            .len(),
        2
    );
}

#[tokio::test]
async fn list_filters_search_and_pages() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let actor = Actor::system("test");
    let owner = ondo_store::users::create(&db, ws, "sato@example.com", "佐藤", Role::Sales, "x")
        .await
        .expect("user");
    for i in 0..25 {
        let mut f = fields(&format!("顧客 {i:02}"), &format!("c{i}@example.co.jp"));
        if i % 5 == 0 {
            f.owner_id = Some(owner.id);
        }
        f.company_name = Some(if i % 2 == 0 {
            "株式会社サカタのタネ".into()
        } else {
            "カネコ種苗株式会社".into()
        });
        ondo_store::leads::create(&db, ws, &f, None, &actor)
            .await
            .expect("created");
    }
    let all = ondo_store::leads::list(&db, ws, &LeadFilter::default(), 100)
        .await
        .expect("list");
    assert_eq!(all.len(), 25);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let page1 = ondo_store::leads::list(&db, ws, &LeadFilter::default(), 10)
        .await
        .expect("page");
    let page2 = ondo_store::leads::list(
        &db,
        ws,
        &LeadFilter {
            before_id: page1.last().map(|l| l.id),
            ..Default::default()
        },
        10,
    )
    .await
    .expect("page");
    assert_eq!(page2.len(), 10);
    assert!(page2[0].id < page1[9].id);
    let owned = ondo_store::leads::list(
        &db,
        ws,
        &LeadFilter {
            owner: Some(OwnerFilter::User(owner.id)),
            ..Default::default()
        },
        100,
    )
    .await
    .expect("list");
    assert_eq!(owned.len(), 5);
    let unassigned = ondo_store::leads::list(
        &db,
        ws,
        &LeadFilter {
            owner: Some(OwnerFilter::Unassigned),
            ..Default::default()
        },
        100,
    )
    .await
    .expect("list");
    assert_eq!(unassigned.len(), 20);
    let q = ondo_domain::search_key("サカタ");
    let found = ondo_store::leads::list(
        &db,
        ws,
        &LeadFilter {
            q: Some(q),
            ..Default::default()
        },
        100,
    )
    .await
    .expect("list");
    assert_eq!(found.len(), 13);
    let pct = ondo_store::leads::list(
        &db,
        ws,
        &LeadFilter {
            q: Some("%".into()),
            ..Default::default()
        },
        100,
    )
    .await
    .expect("list");
    assert!(pct.is_empty(), "LIKE wildcards in the search are literal");
}

#[tokio::test]
async fn companies_match_by_number_then_name_and_form_then_domain() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let input = |raw: &str, number: Option<&str>, domain: Option<&str>| CompanyInput {
        name: Some(CompanyName::parse(raw).expect("name")),
        corporate_number: number.map(str::to_string),
        domain: domain.map(str::to_string),
        ..Default::default()
    };
    let a = ondo_store::companies::find_or_create(
        &db,
        ws,
        &input("株式会社　サカタのタネ", Some("7010401022916"), None),
    )
    .await
    .expect("ok")
    .expect("company");
    let same_name =
        ondo_store::companies::find_or_create(&db, ws, &input("サカタのタネ(株)", None, None))
            .await
            .expect("ok")
            .expect("company");
    assert_eq!(a.id, same_name.id, "same name and legal form");
    let other_form =
        ondo_store::companies::find_or_create(&db, ws, &input("有限会社サカタのタネ", None, None))
            .await
            .expect("ok")
            .expect("company");
    assert_ne!(
        a.id, other_form.id,
        "a different legal form is a different company"
    );
    let by_number = ondo_store::companies::find_or_create(
        &db,
        ws,
        &input("Sakata Seed Corporation", Some("7010401022916"), None),
    )
    .await
    .expect("ok")
    .expect("company");
    assert_eq!(a.id, by_number.id, "the corporate number wins");
    let other_ws = workspace(&db, "other").await;
    let elsewhere = ondo_store::companies::find_or_create(
        &db,
        other_ws,
        &input("株式会社サカタのタネ", Some("7010401022916"), None),
    )
    .await
    .expect("ok")
    .expect("company");
    assert_ne!(a.id, elsewhere.id, "companies are per workspace");
}

#[tokio::test]
async fn duplicate_user_emails_conflict_and_tokens_authenticate_by_hash() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let u = ondo_store::users::create(&db, ws, "a@example.com", "A", Role::Admin, "hash")
        .await
        .expect("user");
    assert!(matches!(
        ondo_store::users::create(&db, ws, "a@example.com", "A", Role::Sales, "hash").await,
        Err(StoreError::Conflict(_))
    ));
    ondo_store::tokens::create(&db, ws, u.id, "t", "ondo_1_secret")
        .await
        .expect("token");
    assert_eq!(
        ondo_store::tokens::authenticate(&db, ws, "ondo_1_secret")
            .await
            .expect("q")
            .map(|u| u.id),
        Some(u.id)
    );
    assert!(
        ondo_store::tokens::authenticate(&db, ws, "ondo_1_secreT")
            .await
            .expect("q")
            .is_none()
    );
    let other = workspace(&db, "other").await;
    assert!(
        ondo_store::tokens::authenticate(&db, other, "ondo_1_secret")
            .await
            .expect("q")
            .is_none()
    );
}

#[tokio::test]
async fn a_merge_keeps_everything_and_can_be_undone() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let actor = Actor::system("test");
    let tp = |source: &str| NewTouchpoint {
        kind: "import".into(),
        source: source.into(),
        occurred_at: ondo_domain::Micros::now(),
        details: serde_json::json!({}),
    };
    let mut a_fields = fields("山田 太郎", "t.yamada@example.co.jp");
    a_fields.title = Some("部長".into());
    let a = ondo_store::leads::create(&db, ws, &a_fields, Some(&tp("展示会")), &actor)
        .await
        .expect("a");
    let mut b_fields = fields("山田 太郎", "yamada.private@example.jp");
    b_fields.title = Some("課長".into());
    b_fields.mobile = Some("090-1234-5678".into());
    let b = ondo_store::leads::create(&db, ws, &b_fields, Some(&tp("ウェビナー")), &actor)
        .await
        .expect("b");
    let call = ondo_store::activities::NewActivity {
        kind: "call".into(),
        outcome: Some("不在".into()),
        note: None,
        occurred_at: ondo_domain::Micros::now(),
        temperature: Some("hot".to_string()),
    };
    ondo_store::activities::add(&db, ws, b.id, &call, &actor)
        .await
        .expect("activity");
    let rep = ondo_store::users::create(&db, ws, "rep@example.com", "営業", Role::Sales, "x")
        .await
        .expect("user");
    let follow_up = ondo_store::tasks::NewTask {
        lead_id: Some(b.id),
        company_id: None,
        owner_id: rep.id,
        kind: "follow_up".into(),
        title: "折り返し電話".into(),
        note: None,
        due_at: ondo_domain::Micros::now(),
    };
    ondo_store::tasks::create(&db, ws, &follow_up, &actor)
        .await
        .expect("task");
    let mut tx = db.begin().await.expect("tx");
    ondo_store::imports::insert_candidate_pairs(
        &mut tx,
        ws,
        &[(a.id, b.id, "same_name_and_company".into())],
    )
    .await
    .expect("pair");
    tx.commit().await.expect("commit");
    assert_eq!(
        ondo_store::merges::open_pairs(&db, ws, 10)
            .await
            .expect("pairs")
            .len(),
        1
    );

    let merge_id = ondo_store::merges::merge(&db, ws, a.id, b.id, &actor)
        .await
        .expect("merged");
    let merged = ondo_store::leads::get(&db, ws, a.id).await.expect("target");
    assert_eq!(
        merged.title.as_deref(),
        Some("部長"),
        "a value is never overwritten"
    );
    assert_eq!(
        merged.mobile.as_deref(),
        Some("090-1234-5678"),
        "an empty field is filled"
    );
    assert!(matches!(
        ondo_store::leads::get(&db, ws, b.id).await,
        Err(StoreError::NotFound)
    ));
    let sources: Vec<String> = ondo_store::leads::touchpoints(&db, ws, a.id)
        .await
        .expect("tps")
        .into_iter()
        .map(|t| t.source)
        .collect();
    assert_eq!(sources.len(), 2, "every touchpoint is kept: {sources:?}");
    assert_eq!(
        ondo_store::activities::for_lead(&db, ws, a.id)
            .await
            .expect("acts")
            .len(),
        1
    );
    assert_eq!(
        ondo_store::leads::status_history(&db, ws, a.id)
            .await
            .expect("history")
            .len(),
        2
    );
    let tasks = |lead| ondo_store::tasks::for_lead(&db, ws, lead, false);
    assert_eq!(
        tasks(a.id).await.expect("tasks").len(),
        1,
        "the follow-up moves too"
    );
    assert!(
        ondo_store::merges::open_pairs(&db, ws, 10)
            .await
            .expect("pairs")
            .is_empty()
    );
    let record = &ondo_store::merges::undoable_for(&db, ws, a.id)
        .await
        .expect("merges")[0];
    assert!(
        record.conflicts.contains("課長"),
        "the conflicting value is kept in the record"
    );
    let other = workspace(&db, "other").await;
    assert!(
        ondo_store::merges::undo(&db, other, merge_id, &actor)
            .await
            .is_err(),
        "not from another workspace"
    );

    let restored = ondo_store::merges::undo(&db, ws, merge_id, &actor)
        .await
        .expect("undone");
    assert_eq!(restored, b.id, "the lead comes back with its id");
    let b_again = ondo_store::leads::get(&db, ws, b.id)
        .await
        .expect("restored");
    assert_eq!(b_again.email.as_deref(), Some("yamada.private@example.jp"));
    let a_again = ondo_store::leads::get(&db, ws, a.id).await.expect("target");
    assert!(
        a_again.mobile.is_none(),
        "the target's fields are as before"
    );
    assert_eq!(
        ondo_store::leads::touchpoints(&db, ws, b.id)
            .await
            .expect("tps")
            .len(),
        1
    );
    assert_eq!(
        ondo_store::activities::for_lead(&db, ws, b.id)
            .await
            .expect("acts")
            .len(),
        1
    );
    assert_eq!(
        ondo_store::merges::open_pairs(&db, ws, 10)
            .await
            .expect("pairs")
            .len(),
        1,
        "the pair is back for review"
    );
    assert_eq!(tasks(b.id).await.expect("tasks").len(), 1, "and comes back");
    assert!(
        ondo_store::merges::undo(&db, ws, merge_id, &actor)
            .await
            .is_err(),
        "a merge is undone once"
    );
}

// Companies: people, owners and last activity for the company list and page.

mod company_summaries {
    use ondo_domain::{CompanyName, LeadStatus, Micros, Role};
    use ondo_store::bulk::{BulkActivity, BulkEvent, BulkLead};
    use ondo_store::companies::{CompanyInput, CompanySort};
    use ondo_store::leads::{LeadFields, NewTouchpoint};
    use ondo_store::testing::fresh_db;
    use ondo_store::{Db, WorkspaceId};

    use super::workspace;

    /// Day `d` of 2026 (UTC midnight), as stored.
    fn day(d: i64) -> Micros {
        Micros(1_767_225_600_000_000 + d * 86_400_000_000)
    }

    async fn company(db: &Db, ws: WorkspaceId, name: &str) -> i64 {
        let input = CompanyInput {
            name: Some(CompanyName::parse(name).expect("company name")),
            ..Default::default()
        };
        ondo_store::companies::find_or_create(db, ws, &input)
            .await
            .expect("company")
            .expect("a named company is created")
            .id
    }

    async fn user(db: &Db, ws: WorkspaceId, email: &str, name: &str) -> i64 {
        ondo_store::users::create(db, ws, email, name, Role::Sales, "x")
            .await
            .expect("user")
            .id
    }

    /// A lead at a company with touchpoints, events and activities on the given days.
    fn lead(
        name: &str,
        company_id: i64,
        owner_id: Option<i64>,
        touchpoints: &[i64],
        events: &[i64],
        activities: &[i64],
    ) -> BulkLead {
        BulkLead {
            fields: LeadFields {
                name: name.into(),
                company_id: Some(company_id),
                owner_id,
                ..Default::default()
            },
            status: LeadStatus::New,
            lost_reason: None,
            created_at: day(0),
            updated_at: day(0),
            touchpoints: touchpoints
                .iter()
                .map(|d| NewTouchpoint {
                    kind: "import".into(),
                    source: "展示会".into(),
                    occurred_at: day(*d),
                    details: serde_json::json!({}),
                })
                .collect(),
            events: events
                .iter()
                .map(|d| BulkEvent {
                    kind: "page_view".into(),
                    at: day(*d),
                    url: None,
                    properties: serde_json::json!({}),
                })
                .collect(),
            activities: activities
                .iter()
                .map(|d| BulkActivity {
                    kind: "call".into(),
                    outcome: None,
                    note: None,
                    at: day(*d),
                    user_id: None,
                    temperature: None,
                })
                .collect(),
            status_changes: Vec::new(),
        }
    }

    async fn names(
        db: &Db,
        ws: WorkspaceId,
        q: &str,
        sort: CompanySort,
        limit: i64,
        offset: i64,
    ) -> Vec<String> {
        ondo_store::companies::list(db, ws, q, sort, limit, offset)
            .await
            .expect("list")
            .into_iter()
            .map(|c| c.display_name)
            .collect()
    }

    #[tokio::test]
    async fn summaries_count_people_owners_and_the_latest_activity() {
        let db = fresh_db().await;
        let ws = workspace(&db, "acme").await;
        let other = workspace(&db, "other").await;
        let sato = user(&db, ws, "sato@example.com", "佐藤").await;
        let suzuki = user(&db, ws, "suzuki@example.com", "鈴木").await;
        let alpha = company(&db, ws, "株式会社アルファ").await;
        let beta = company(&db, ws, "ベータ商事株式会社").await;
        let gamma = company(&db, ws, "ガンマ合同会社").await;
        let ids = ondo_store::bulk::insert_leads(
            &db,
            ws,
            &[
                lead("阿部 一郎", alpha, Some(sato), &[1], &[10], &[]),
                lead("井上 二郎", alpha, Some(suzuki), &[], &[], &[5]),
                lead("上田 三郎", alpha, None, &[2], &[], &[]),
                lead("江藤 四郎", beta, Some(sato), &[3], &[], &[]),
                lead("小野 五郎", beta, Some(sato), &[], &[], &[]),
            ],
        )
        .await
        .expect("leads");
        let foreign = company(&db, other, "株式会社アルファ").await;
        ondo_store::bulk::insert_leads(
            &db,
            other,
            &[lead("他社 太郎", foreign, None, &[99], &[], &[])],
        )
        .await
        .expect("foreign lead");

        let got = ondo_store::companies::summaries(&db, ws, &[beta, foreign, alpha, gamma])
            .await
            .expect("summaries");
        let order: Vec<i64> = got.iter().map(|c| c.id).collect();
        assert_eq!(
            order,
            vec![beta, alpha, gamma],
            "in the order asked, without another workspace's"
        );
        let (b, a, g) = (&got[0], &got[1], &got[2]);

        assert_eq!(a.display_name, "株式会社アルファ");
        assert_eq!(a.people, 3);
        let owners: Vec<(&str, i64)> = a
            .owners
            .iter()
            .map(|o| (o.name.as_str(), o.leads))
            .collect();
        assert_eq!(
            owners,
            vec![("佐藤", 1), ("鈴木", 1)],
            "two reps own leads at アルファ"
        );
        assert_eq!(
            a.last_activity_at,
            Some(day(10).0),
            "the event is the latest"
        );
        let sample: Vec<i64> = a.people_sample.iter().map(|p| p.id).collect();
        assert_eq!(
            sample,
            vec![ids[0], ids[1], ids[2]],
            "most recently active first"
        );

        assert_eq!(b.people, 2);
        let owners: Vec<(&str, i64)> = b
            .owners
            .iter()
            .map(|o| (o.name.as_str(), o.leads))
            .collect();
        assert_eq!(owners, vec![("佐藤", 2)], "one rep owns both");
        assert_eq!(b.last_activity_at, Some(day(3).0));
        assert_eq!(
            b.people_sample[0].name, "江藤 四郎",
            "the active one before the silent one"
        );

        assert_eq!((g.people, g.owners.len(), g.last_activity_at), (0, 0, None));

        let by = |sort| names(&db, ws, "", sort, 10, 0);
        assert_eq!(
            by(CompanySort::Name).await,
            ["株式会社アルファ", "ガンマ合同会社", "ベータ商事株式会社"]
        );
        assert_eq!(
            by(CompanySort::People).await,
            ["株式会社アルファ", "ベータ商事株式会社", "ガンマ合同会社"]
        );
        assert_eq!(
            by(CompanySort::LastActivity).await,
            ["株式会社アルファ", "ベータ商事株式会社", "ガンマ合同会社"]
        );
        assert_eq!(
            names(&db, ws, "", CompanySort::LastActivity, 1, 1).await,
            ["ベータ商事株式会社"],
            "a later page of the activity order"
        );
        assert_eq!(
            names(&db, ws, "", CompanySort::Name, 1, 1).await,
            ["ガンマ合同会社"]
        );
        for sort in [
            CompanySort::Name,
            CompanySort::People,
            CompanySort::LastActivity,
        ] {
            assert_eq!(
                names(&db, ws, "ベータ", sort, 10, 0).await,
                ["ベータ商事株式会社"]
            );
            assert!(
                names(&db, ws, "%", sort, 10, 0).await.is_empty(),
                "% is a character"
            );
        }
        assert_eq!(
            names(&db, other, "", CompanySort::LastActivity, 10, 0).await,
            ["株式会社アルファ"],
            "each workspace ranks only its own"
        );

        let people = ondo_store::companies::people(&db, ws, alpha, 10)
            .await
            .expect("people");
        let rows: Vec<(&str, Option<&str>, Option<i64>)> = people
            .iter()
            .map(|p| (p.name.as_str(), p.owner_name.as_deref(), p.last_activity_at))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("阿部 一郎", Some("佐藤"), Some(day(10).0)),
                ("井上 二郎", Some("鈴木"), Some(day(5).0)),
                ("上田 三郎", None, Some(day(2).0)),
            ]
        );
        assert!(
            ondo_store::companies::people(&db, other, alpha, 10)
                .await
                .expect("people")
                .is_empty(),
            "another workspace sees nobody"
        );
    }

    #[tokio::test]
    async fn the_activity_order_reads_further_back_past_a_busy_company() {
        let db = fresh_db().await;
        let ws = workspace(&db, "acme").await;
        let busy = company(&db, ws, "株式会社ビジー").await;
        let quiet = company(&db, ws, "株式会社クワイエット").await;
        let older = company(&db, ws, "株式会社オールダー").await;
        company(&db, ws, "株式会社サイレント").await;
        // More rows of one company than the first look reads.
        let busy_days: Vec<i64> = (0..1_500).map(|i| 100 + i % 200).collect();
        ondo_store::bulk::insert_leads(
            &db,
            ws,
            &[
                lead("忙 しい", busy, None, &[], &busy_days, &[]),
                lead("静 か", quiet, None, &[50], &[], &[]),
                lead("古 い", older, None, &[], &[], &[40]),
            ],
        )
        .await
        .expect("leads");
        assert_eq!(
            names(&db, ws, "", CompanySort::LastActivity, 10, 0).await,
            [
                "株式会社ビジー",
                "株式会社クワイエット",
                "株式会社オールダー",
                "株式会社サイレント"
            ]
        );
        assert_eq!(
            names(&db, ws, "", CompanySort::LastActivity, 2, 1).await,
            ["株式会社クワイエット", "株式会社オールダー"]
        );
        assert!(
            names(&db, ws, "", CompanySort::LastActivity, 10, 5_000)
                .await
                .is_empty(),
            "the order ends at its rank limit"
        );
    }
}

#[tokio::test]
async fn a_large_leads_table_gets_planner_statistics_once() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    assert!(
        !db.refresh_statistics().await.expect("small"),
        "a small table needs none"
    );
    let leads: Vec<ondo_store::bulk::BulkLead> = (0..10_000)
        .map(|i| ondo_store::bulk::BulkLead {
            fields: fields(&format!("顧客 {i}"), &format!("p{i}@example.co.jp")),
            status: LeadStatus::New,
            lost_reason: None,
            created_at: ondo_domain::Micros::now(),
            updated_at: ondo_domain::Micros::now(),
            touchpoints: Vec::new(),
            events: Vec::new(),
            activities: Vec::new(),
            status_changes: Vec::new(),
        })
        .collect();
    ondo_store::bulk::insert_leads(&db, ws, &leads)
        .await
        .expect("leads");
    let first = db.refresh_statistics().await.expect("analyze");
    let again = db.refresh_statistics().await.expect("analyze");
    match db.kind() {
        ondo_store::DbKind::Sqlite => {
            assert!(first, "10,000 leads without statistics are analyzed");
            assert!(!again, "and not again while the table keeps its size");
        }
        // PostgreSQL's autovacuum keeps its own statistics.
        ondo_store::DbKind::Postgres => assert!(!first && !again),
    }
}

/// A salesperson's list walks the ids newest first and switches to index-ordered streams
/// when visible matches are sparse; whichever way a page is found, it must hold exactly
/// the newest leads they may see (own, unassigned, colleagues at their companies).
#[tokio::test]
async fn a_salespersons_list_is_the_same_walked_or_streamed() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let other = workspace(&db, "other").await;
    let actor = Actor::system("test");
    let mut reps = Vec::new();
    for (email, name) in [
        ("a@example.jp", "A"),
        ("b@example.jp", "B"),
        ("c@example.jp", "C"),
    ] {
        let user = ondo_store::users::create(&db, ws, email, name, Role::Sales, "x")
            .await
            .expect("user");
        reps.push(user.id);
    }
    let mut companies = Vec::new();
    for i in 0..6 {
        let input = CompanyInput {
            name: Some(CompanyName::parse(&format!("株式会社テスト{i}")).expect("name")),
            ..Default::default()
        };
        let company = ondo_store::companies::find_or_create(&db, ws, &input)
            .await
            .expect("ok")
            .expect("company");
        companies.push(company.id);
    }
    // A deterministic mix; every seventh lead goes to another workspace (ids interleave).
    for i in 0..140u64 {
        let target = if i % 7 == 3 { other } else { ws };
        let mut f = fields(
            &format!("顧客 {i:03}"),
            &format!(
                "{}{i}@example.co.jp",
                if i % 4 == 0 { "sato" } else { "kato" }
            ),
        );
        if target == ws {
            f.owner_id = match i % 5 {
                0 | 1 => Some(reps[0]),
                2 => Some(reps[1]),
                3 => Some(reps[2]),
                _ => None,
            };
            f.company_id = (i % 9 != 0).then(|| companies[(i as usize * 7) % companies.len()]);
        }
        let lead = ondo_store::leads::create(&db, target, &f, None, &actor)
            .await
            .expect("created");
        if i % 3 == 0 && target == ws {
            hand_to_sales(&db, ws, &lead, &actor).await;
        }
    }
    let everything = ondo_store::leads::list(&db, ws, &LeadFilter::default(), 1000)
        .await
        .expect("all");
    let me = reps[0];
    let my_companies: std::collections::HashSet<i64> = everything
        .iter()
        .filter(|l| l.owner_id == Some(me))
        .filter_map(|l| l.company_id)
        .collect();
    let visible = |l: &ondo_store::leads::Lead| {
        l.owner_id.is_none_or(|o| o == me)
            || l.company_id.is_some_and(|c| my_companies.contains(&c))
    };
    assert!(
        everything.iter().any(|l| !visible(l)),
        "the data must hide some leads from the rep"
    );
    let filters = [
        LeadFilter::default(),
        LeadFilter {
            q: Some("sato".into()),
            ..Default::default()
        },
        LeadFilter {
            status: Some(LeadStatus::SalesReady),
            ..Default::default()
        },
        LeadFilter {
            owner: Some(OwnerFilter::Unassigned),
            ..Default::default()
        },
    ];
    for filter in filters {
        let expected: Vec<i64> = ondo_store::leads::list(&db, ws, &filter, 1000)
            .await
            .expect("manager's list")
            .into_iter()
            .filter(|l| visible(l))
            .map(|l| l.id)
            .collect();
        assert!(!expected.is_empty(), "{filter:?} finds something");
        let sales = LeadFilter {
            visibility: ondo_store::leads::Visibility::Sales(me),
            ..filter.clone()
        };
        // Walk only; walk then streams after one chunk; streams at once (budget 1).
        for (chunk, budget) in [(100_000, 1_000_000), (10, 20), (1, 1)] {
            let mut got = Vec::new();
            let mut before = None;
            loop {
                let page = ondo_store::leads::list_walking(
                    &db,
                    ws,
                    &LeadFilter {
                        before_id: before,
                        ..sales.clone()
                    },
                    7,
                    chunk,
                    budget,
                )
                .await
                .expect("sales list");
                assert!(page.len() <= 7);
                got.extend(page.iter().map(|l| l.id));
                match page.last() {
                    Some(last) if page.len() == 7 => before = Some(last.id),
                    _ => break,
                }
            }
            assert_eq!(
                got, expected,
                "{filter:?} walked by {chunk}, budget {budget}"
            );
        }
    }
}

#[tokio::test]
async fn variant_kanji_find_each_other_and_old_search_texts_are_rewritten() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let actor = Actor::system("test");
    for (name, email) in [
        ("渡邊 一郎", "ichiro@example.co.jp"),
        ("高橋 花子", "hanako@example.co.jp"),
        ("髙橋 次郎", "jiro@example.co.jp"),
        ("佐藤 三郎", "saburo@example.co.jp"),
    ] {
        ondo_store::leads::create(&db, ws, &fields(name, email), None, &actor)
            .await
            .expect("created");
    }
    let search = |q: &'static str| {
        let db = db.clone();
        async move {
            let mut names: Vec<String> = ondo_store::leads::list(
                &db,
                ws,
                &LeadFilter {
                    q: Some(ondo_domain::search_key(q)),
                    ..Default::default()
                },
                100,
            )
            .await
            .expect("list")
            .into_iter()
            .map(|l| l.name)
            .collect();
            names.sort();
            names
        }
    };
    assert_eq!(search("渡辺").await, ["渡邊 一郎"]);
    assert_eq!(search("髙橋").await, ["高橋 花子", "髙橋 次郎"]);
    assert_eq!(search("高橋").await, ["高橋 花子", "髙橋 次郎"]);
    // A segment's list narrowed by a search matches the same way.
    let scope = ondo_store::segments::Scope {
        visibility: ondo_store::leads::Visibility::All,
        me: None,
        now: ondo_domain::Micros::now(),
    };
    let narrowed = ondo_store::segments::leads(
        &db,
        ws,
        &ondo_domain::segment::SegmentDefinition::default(),
        &scope,
        &[ondo_domain::segment::Condition::SearchTextContains(
            ondo_domain::search_key("髙橋"),
        )],
        None,
        100,
    )
    .await
    .expect("segment list");
    let mut names: Vec<&str> = narrowed.iter().map(|l| l.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["高橋 花子", "髙橋 次郎"]);

    // A database from before the folding: its search texts keep the variants until the
    // rewrite the migration asks for runs (when the database is opened).
    ondo_store::with_db!(&db, pool => {
        sqlx::query("UPDATE leads SET search_text = name WHERE workspace_id = $1")
            .bind(ws.0)
            .execute(pool)
            .await
            .expect("old texts");
        sqlx::query("INSERT INTO search_reindex (workspace_id, after_id) VALUES ($1, 0)")
            .bind(ws.0)
            .execute(pool)
            .await
            .expect("pending");
    });
    assert!(search("渡辺").await.is_empty(), "the old text has 渡邊");
    assert_eq!(
        ondo_store::leads::reindex_search(&db)
            .await
            .expect("rewrite"),
        4
    );
    assert_eq!(search("渡辺").await, ["渡邊 一郎"]);
    // The e-mail address is searchable again: the whole text was rebuilt.
    assert_eq!(search("saburo@").await, ["佐藤 三郎"]);
    assert_eq!(
        ondo_store::leads::reindex_search(&db)
            .await
            .expect("nothing left"),
        0
    );
}

#[tokio::test]
async fn the_workspace_queue_merges_every_owners_walk_in_priority_order() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let other = workspace(&db, "other").await;
    let actor = Actor::system("test");
    let mut reps = Vec::new();
    for email in ["a@example.jp", "b@example.jp", "c@example.jp"] {
        let user = ondo_store::users::create(&db, ws, email, email, Role::Sales, "x")
            .await
            .expect("user");
        reps.push(user.id);
    }
    // 60 leads: owned by A, B, C or nobody; every fifth sales-ready; priorities interleave
    // across owners, with ties (two leads share each priority) broken by the newer id.
    let mut expected: Vec<(bool, f64, i64)> = Vec::new();
    for i in 0..60i64 {
        let mut f = fields(&format!("顧客 {i:03}"), &format!("q{i}@example.co.jp"));
        f.owner_id = match i % 4 {
            0 => Some(reps[0]),
            1 => Some(reps[1]),
            2 => Some(reps[2]),
            _ => None,
        };
        let lead = ondo_store::leads::create(&db, ws, &f, None, &actor)
            .await
            .expect("created");
        let ready = i % 5 == 0;
        if ready {
            hand_to_sales(&db, ws, &lead, &actor).await;
        }
        let priority = ((i * 37) % 30) as f64;
        set_priority(&db, ws, lead.id, priority).await;
        expected.push((ready, priority, lead.id));
    }
    // A hot lead of another workspace never shows.
    let stranger =
        ondo_store::leads::create(&db, other, &fields("他社 一郎", "x@other.jp"), None, &actor)
            .await
            .expect("created");
    set_priority(&db, other, stranger.id, 99.0).await;

    // Sales-ready first, then by priority, newest first among equals.
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(b.2.cmp(&a.2)));
    let expected: Vec<i64> = expected.into_iter().map(|e| e.2).collect();
    for limit in [1, 7, 12, 13, 50, 100] {
        let got: Vec<i64> = ondo_store::scoring::queue(&db, ws, None, limit)
            .await
            .expect("queue")
            .into_iter()
            .map(|l| l.id)
            .collect();
        let want: Vec<i64> = expected.iter().copied().take(limit as usize).collect();
        assert_eq!(got, want, "limit {limit}");
    }
    // One salesperson's queue is the same order restricted to their leads.
    let a_leads: Vec<i64> = ondo_store::scoring::queue(&db, ws, Some(reps[0]), 100)
        .await
        .expect("queue")
        .into_iter()
        .map(|l| l.id)
        .collect();
    let all = ondo_store::scoring::queue(&db, ws, None, 100)
        .await
        .expect("queue");
    let want: Vec<i64> = all
        .iter()
        .filter(|l| l.owner_id == Some(reps[0]))
        .map(|l| l.id)
        .collect();
    assert_eq!(a_leads, want);
    assert_eq!(a_leads.len(), 15);
}
