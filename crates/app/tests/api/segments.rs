//! Segments: saved lead filters made through the page form and the API, refused with the
//! field named when a definition is wrong, matching exactly the leads they describe (in
//! the preview, the lead list, the API, the export and the store functions campaigns
//! use), a salesperson seeing only the leads they may see and changing nothing, and no
//! workspace reaching another's segments.

use std::collections::BTreeSet;

use ondo_domain::{Micros, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json, spawn_app};
use crate::roles_matrix::{Browser, browser, email_of, fixture, users};

/// RFC 3339 time `days` days (and a minute) before now.
fn ago(days: i64) -> String {
    Micros::now()
        .saturating_add(-Micros::days(days) - Micros::minutes(1))
        .to_rfc3339()
}

async fn lead(app: &TestApp, body: Value) -> i64 {
    let (status, lead) = json(app.post_lead(&body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    lead["id"].as_i64().expect("id")
}

async fn set_status(app: &TestApp, id: i64, status: &str) {
    let (s, body) = json(app.patch_lead(id, &json!({"status": status})).await).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], status, "{body}");
}

/// Posts `n` events of a type for a lead, one a day from `days_ago` back.
async fn events(app: &TestApp, lead: i64, kind: &str, n: i64, days_ago: i64) {
    let batch: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": format!("{lead}-{kind}-{days_ago}-{i}"),
                "type": kind,
                "at": ago(days_ago + i),
                "lead_id": lead,
            })
        })
        .collect();
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.token)
        .json(&batch)
        .send()
        .await
        .expect("request");
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], n, "{body}");
}

async fn api(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    json(req.send().await.expect("request")).await
}

/// Every lead id of a segment through the API, a page of `limit` at a time.
async fn segment_lead_ids(app: &TestApp, token: &str, id: i64, limit: i64) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    let mut after = 0;
    loop {
        let (status, page) = api(
            app,
            token,
            reqwest::Method::GET,
            &format!("/api/v1/segments/{id}/leads?after_id={after}&limit={limit}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for l in page["leads"].as_array().expect("leads") {
            assert!(l["name"].is_string(), "each lead has its name: {l}");
            out.insert(l["id"].as_i64().expect("id"));
        }
        match page["next_after_id"].as_i64() {
            Some(next) => after = next,
            None => return out,
        }
    }
}

async fn post_form(
    b: &Browser,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("csrf", b.csrf.as_str())];
    form.extend_from_slice(fields);
    b.client
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .expect("request")
}

async fn page(b: &Browser, app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = b.client.get(app.url(path)).send().await.expect("page");
    let status = resp.status();
    (status, resp.text().await.expect("body"))
}

/// The lead names of `names` a text mentions.
fn named<'a>(text: &str, names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().filter(|n| text.contains(n)).collect()
}

/// Leads that differ from the one that matches in exactly one criterion each.
struct Leads {
    all: Vec<(&'static str, i64)>,
}

impl Leads {
    fn id(&self, name: &str) -> i64 {
        self.all
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, id)| *id)
            .expect("a lead of the set")
    }
    fn names(&self) -> Vec<&'static str> {
        self.all.iter().map(|(n, _)| *n).collect()
    }
}

const MATCH: &str = "合致 一郎";

async fn leads_differing_in_each_criterion(app: &TestApp) -> Leads {
    let base = |name: &str| {
        json!({
            "name": name,
            "source": "展示会2026",
            "custom_fields": {"業種": "製造業", "従業員数": "1,200"},
        })
    };
    let mut all = Vec::new();
    let mut add = |name: &'static str, id: i64| all.push((name, id));
    add(MATCH, lead(app, base(MATCH)).await);
    add("状態 二郎", lead(app, base("状態 二郎")).await);
    let mut other_source = base("流入 三郎");
    other_source["source"] = json!("Webフォーム");
    add("流入 三郎", lead(app, other_source).await);
    let mut other_industry = base("業種 四郎");
    other_industry["custom_fields"]["業種"] = json!("小売");
    add("業種 四郎", lead(app, other_industry).await);
    let mut small = base("規模 五郎");
    small["custom_fields"]["従業員数"] = json!("80");
    add("規模 五郎", lead(app, small).await);
    let mut text_size = base("規模 六郎");
    text_size["custom_fields"]["従業員数"] = json!("大企業");
    add("規模 六郎", lead(app, text_size).await);
    add("一回 七郎", lead(app, base("一回 七郎")).await);
    add("昔 八郎", lead(app, base("昔 八郎")).await);
    let mut opted_out = base("停止 九郎");
    opted_out["email_opt_out"] = json!(true);
    add("停止 九郎", lead(app, opted_out).await);
    let leads = Leads { all };
    // Behaviour first (the handoff rules may move statuses on events), statuses last.
    for name in [
        MATCH,
        "状態 二郎",
        "流入 三郎",
        "業種 四郎",
        "規模 五郎",
        "規模 六郎",
        "停止 九郎",
    ] {
        events(app, leads.id(name), "download", 3, 1).await;
    }
    events(app, leads.id("一回 七郎"), "download", 1, 1).await;
    events(app, leads.id("昔 八郎"), "download", 3, 40).await;
    for (name, _) in &leads.all {
        let status = if *name == "状態 二郎" {
            "opportunity"
        } else {
            "nurturing"
        };
        set_status(app, leads.id(name), status).await;
    }
    leads
}

/// nurturing, from 展示会2026, 業種 = 製造業, 従業員数 >= 1000, two downloads in 30 days.
fn definition() -> Value {
    json!({
        "statuses": ["nurturing"],
        "sources": ["展示会2026"],
        "custom_fields": [
            {"field": "業種", "op": "eq", "value": "製造業"},
            {"field": "従業員数", "op": "gte", "value": 1000}
        ],
        "behaviour": [{"type": "download", "min_count": 2, "within_days": 30}]
    })
}

#[tokio::test]
async fn a_segment_matches_exactly_its_leads_in_the_api_the_list_the_preview_and_the_export() {
    let app = spawn_app().await;
    let leads = leads_differing_in_each_criterion(&app).await;
    let names = leads.names();
    let only_match: BTreeSet<i64> = [leads.id(MATCH)].into();

    // Through the API.
    let (status, seg) = api(
        &app,
        &app.token,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "展示会の製造業", "definition": definition()})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{seg}");
    assert_eq!(seg["leads"], 1, "{seg}");
    assert_eq!(seg["definition"]["statuses"], json!(["nurturing"]));
    let api_id = seg["id"].as_i64().expect("id");
    assert_eq!(
        segment_lead_ids(&app, &app.token, api_id, 1).await,
        only_match
    );

    // The functions campaigns call see the same.
    let stored = ondo_store::segments::get(&app.db, app.ws(), api_id)
        .await
        .expect("read")
        .expect("the segment");
    let ids = ondo_store::segments::lead_ids(&app.db, app.ws(), &stored, 0, 100)
        .await
        .expect("ids");
    assert_eq!(ids, vec![leads.id(MATCH)]);
    for (name, id) in &leads.all {
        let m = ondo_store::segments::matches(&app.db, app.ws(), &stored, *id)
            .await
            .expect("matches");
        assert_eq!(m, *name == MATCH, "{name}");
    }

    // Through the page form, the same criteria.
    let admin = browser(&app, "admin@example.com").await;
    let resp = post_form(
        &admin,
        &app,
        "/segments",
        &[
            ("name", "フォームで作成"),
            ("description", "展示会で会った製造業"),
            ("status", "nurturing"),
            ("source", "展示会2026"),
            ("cf_field_0", "業種"),
            ("cf_op_0", "eq"),
            ("cf_value_0", "製造業"),
            ("cf_field_1", "従業員数"),
            ("cf_op_1", "gte"),
            ("cf_value_1", "1,000"),
            ("bh_type_0", "download"),
            ("bh_category_0", ""),
            ("bh_count_0", "2"),
            ("bh_days_0", "30"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let page_id: i64 = location
        .trim_start_matches("/segments/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("redirected to the segment");
    assert_eq!(
        segment_lead_ids(&app, &app.token, page_id, 100).await,
        only_match
    );

    // Its page: the count and the first leads.
    let (status, html) = page(&admin, &app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("セグメントを保存しました"), "saved notice");
    assert!(html.contains("data-count=\"1\""), "the preview's count");
    assert_eq!(
        named(&html, &names),
        [MATCH].into(),
        "the preview lists only the match"
    );

    // A preview of changed criteria, unsaved: without the behaviour, the lead with one
    // download and the one with old downloads match too.
    let resp = post_form(
        &admin,
        &app,
        &format!("/segments/{page_id}"),
        &[
            ("name", "フォームで作成"),
            ("status", "nurturing"),
            ("source", "展示会2026"),
            ("cf_field_0", "業種"),
            ("cf_value_0", "製造業"),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    assert!(
        html.contains("data-count=\"5\""),
        "preview count without the behaviour and size: {}",
        named(&html, &names).len()
    );
    assert_eq!(
        named(&html, &names),
        [MATCH, "規模 五郎", "規模 六郎", "一回 七郎", "昔 八郎"].into()
    );
    assert_eq!(
        segment_lead_ids(&app, &app.token, page_id, 100).await,
        only_match,
        "a preview saves nothing"
    );

    // The lead list and its export.
    let (status, list) = page(&admin, &app, &format!("/leads?segment={page_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("id=\"segment-active\""),
        "the list says which segment"
    );
    assert_eq!(named(&list, &names), [MATCH].into());
    assert!(
        list.contains(&format!("segment={page_id}")),
        "export links keep the segment"
    );
    let (_, all) = page(&admin, &app, "/leads").await;
    assert_eq!(
        named(&all, &names).len(),
        names.len(),
        "without a segment, every lead"
    );
    let (_, narrowed) = page(
        &admin,
        &app,
        &format!("/leads?segment={page_id}&status=opportunity"),
    )
    .await;
    assert!(
        named(&narrowed, &names).is_empty(),
        "the list's own filters narrow the segment"
    );

    let resp = admin
        .client
        .get(app.url(&format!("/leads/export?segment={page_id}&format=csv")))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("body");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let csv = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    let rows: Vec<&str> = csv.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(rows.len(), 2, "a header and the one lead: {csv}");
    assert!(
        rows[1].starts_with(&format!("{},{MATCH}", leads.id(MATCH))),
        "{csv}"
    );
    assert!(
        rows[0].contains("業種") && rows[0].contains("従業員数"),
        "custom fields are columns"
    );

    // Opted-out leads join only when asked for.
    let mut with_opt_out = definition();
    with_opt_out["include_opted_out"] = json!(true);
    let (status, seg) = api(
        &app,
        &app.token,
        reqwest::Method::PUT,
        &format!("/api/v1/segments/{api_id}"),
        Some(json!({"name": "展示会の製造業", "definition": with_opt_out})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{seg}");
    assert_eq!(
        segment_lead_ids(&app, &app.token, api_id, 100).await,
        [leads.id(MATCH), leads.id("停止 九郎")].into()
    );

    // Temperature: the bands the lead pages show.
    let (status, seg) = api(
        &app,
        &app.token,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "温度", "definition": {"temperature": {"bands": ["hot", "warm"]}}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{seg}");
    let mut warm_or_hot = BTreeSet::new();
    for (name, id) in &leads.all {
        let (_, l) = json(app.get_lead(&app.token, *id).await).await;
        let t = l["temperature"].as_str().expect("temperature");
        if (t == "hot" || t == "warm") && *name != "停止 九郎" {
            warm_or_hot.insert(*id);
        }
    }
    assert!(
        warm_or_hot.contains(&leads.id(MATCH)),
        "three downloads make a lead warm"
    );
    assert!(
        !warm_or_hot.contains(&leads.id("昔 八郎")),
        "old downloads have cooled"
    );
    let temp_id = seg["id"].as_i64().expect("id");
    assert_eq!(
        segment_lead_ids(&app, &app.token, temp_id, 100).await,
        warm_or_hot
    );

    // Dates: every lead was created today; the last activity of the old downloads is 40
    // days back.
    let (_, seg) = api(
        &app,
        &app.token,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "休眠気味", "definition": {
            "created": {"within_days": 1},
            "last_activity": {"older_than_days": 30},
            "include_opted_out": true
        }})),
    )
    .await;
    let quiet = seg["id"].as_i64().expect("id");
    assert_eq!(
        segment_lead_ids(&app, &app.token, quiet, 100).await,
        [leads.id("昔 八郎")].into()
    );

    // Changes are audited: created, updated, deleted.
    let resp = post_form(&admin, &app, &format!("/segments/{page_id}/delete"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (status, _) = api(
        &app,
        &app.token,
        reqwest::Method::GET,
        &format!("/api/v1/segments/{page_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleted");
    let entries = ondo_store::audit::search(
        &app.db,
        app.ws(),
        &ondo_store::audit::AuditFilter {
            entity: Some("segment".into()),
            ..Default::default()
        },
        100,
    )
    .await
    .expect("audit");
    let actions: BTreeSet<(i64, String)> = entries
        .iter()
        .map(|e| (e.entity_id.unwrap_or(0), e.action.clone()))
        .collect();
    for want in [
        (api_id, "create"),
        (api_id, "update"),
        (page_id, "create"),
        (page_id, "delete"),
    ] {
        assert!(
            actions.contains(&(want.0, want.1.to_string())),
            "{want:?} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_definition_is_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let cases = [
        (json!({"definition": {}}), "name"),
        (
            json!({"name": "x", "definition": {"statuses": ["new", "hot"]}}),
            "definition.statuses[1]",
        ),
        (
            json!({"name": "x", "definition": {"temperature": {"bands": ["lukewarm"]}}}),
            "definition.temperature.bands[0]",
        ),
        (
            json!({"name": "x", "definition": {"custom_fields": [{"field": "従業員数", "op": "gte", "value": "many"}]}}),
            "definition.custom_fields[0].value",
        ),
        (
            json!({"name": "x", "definition": {"behaviour": [{"type": "download"}]}}),
            "definition.behaviour[0].within_days",
        ),
        (
            json!({"name": "x", "definition": {"behaviour": [{"type": "Download!", "within_days": 3}]}}),
            "definition.behaviour[0].type",
        ),
        (
            json!({"name": "x", "definition": {"created": {"from": "someday"}}}),
            "definition.created.from",
        ),
        (
            json!({"name": "x", "definition": {"owner": 999999}}),
            "definition.owner",
        ),
        (
            json!({"name": "x", "definition": {"company": {"id": 999999}}}),
            "definition.company.id",
        ),
        (
            json!({"name": "x", "definition": {"statuz": ["new"]}}),
            "definition.statuz",
        ),
        (json!({"name": "x", "definition": []}), "definition"),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (body, field) in cases {
        let (status, err) = api(
            &app,
            &app.token,
            reqwest::Method::POST,
            "/api/v1/segments",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {err}");
        assert_eq!(err["field"], field, "{body} → {err}");
        assert!(!err["message"].as_str().unwrap_or("").is_empty(), "{err}");
    }
    // A name is unique in the workspace; nulls read as absent.
    let ok = json!({"name": "一つだけ", "description": null, "definition": null});
    let (status, _) = api(
        &app,
        &app.token,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(ok.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, err) = api(
        &app,
        &app.token,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(ok),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["field"], "name");

    // The page form says what is wrong, in Japanese, and keeps what was typed.
    let admin = browser(&app, "admin@example.com").await;
    let resp = post_form(
        &admin,
        &app,
        "/segments",
        &[
            ("name", "壊れた条件"),
            ("cf_field_0", "従業員数"),
            ("cf_op_0", "gte"),
            ("cf_value_0", "たくさん"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("body");
    assert!(html.contains("id=\"segment-error\""), "an error box");
    assert!(
        html.contains("カスタム項目 1行目の値"),
        "names the field: {html}"
    );
    assert!(html.contains("数値で入力してください"), "says why");
    assert!(html.contains("value=\"たくさん\""), "keeps the typed value");
    let (_, list) = api(
        &app,
        &app.token,
        reqwest::Method::GET,
        "/api/v1/segments",
        None,
    )
    .await;
    let names: Vec<&str> = list["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, vec!["一つだけ"], "nothing else was written");
}

#[tokio::test]
async fn a_salesperson_uses_segments_over_the_leads_they_may_see_and_changes_none() {
    let app = spawn_app().await;
    let (tokens, _) = users(&app).await;
    let f = fixture(&app).await;
    let sales = &tokens["sales"];
    let (status, seg) = api(
        &app,
        &tokens["marketing"],
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "全リード"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "marketing manages segments: {seg}"
    );
    let all = seg["id"].as_i64().expect("id");
    let visible: BTreeSet<i64> = [
        f.mine_alpha,
        f.colleague_alpha,
        f.unassigned_alpha,
        f.unassigned_beta,
        f.mine_alone,
    ]
    .into();
    assert_eq!(segment_lead_ids(&app, sales, all, 2).await, visible);
    assert_eq!(
        segment_lead_ids(&app, &app.token, all, 100).await.len(),
        7,
        "the admin sees all"
    );
    let (_, one) = api(
        &app,
        sales,
        reqwest::Method::GET,
        &format!("/api/v1/segments/{all}"),
        None,
    )
    .await;
    assert_eq!(one["leads"], 5, "the count is of what they may see: {one}");

    // "Me" is whoever looks; a company by name.
    let (_, mine) = api(
        &app,
        &app.token,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "自分の担当", "definition": {"owner": "me"}})),
    )
    .await;
    let mine = mine["id"].as_i64().expect("id");
    assert_eq!(
        segment_lead_ids(&app, sales, mine, 100).await,
        [f.mine_alpha, f.mine_alone].into()
    );
    assert!(
        segment_lead_ids(&app, &app.token, mine, 100)
            .await
            .is_empty(),
        "the admin owns none"
    );
    let (_, alpha) = api(
        &app,
        &app.token,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "アルファ", "definition": {"company": {"name_contains": "あるふぁ"}}})),
    )
    .await;
    let alpha = alpha["id"].as_i64().expect("id");
    assert_eq!(
        segment_lead_ids(&app, &app.token, alpha, 100).await,
        [f.mine_alpha, f.colleague_alpha, f.unassigned_alpha].into()
    );

    // The lead list, as 佐藤.
    let sato = browser(&app, email_of(Role::Sales)).await;
    let (status, list) = page(&sato, &app, &format!("/leads?segment={all}")).await;
    assert_eq!(status, StatusCode::OK);
    for (id, shown) in [
        (f.mine_alpha, true),
        (f.unassigned_beta, true),
        (f.hidden_beta, false),
        (f.hidden_alone, false),
    ] {
        assert_eq!(
            list.contains(&format!("href=\"/leads/{id}\"")),
            shown,
            "lead {id}"
        );
    }
    let (status, html) = page(&sato, &app, &format!("/segments/{all}")).await;
    assert_eq!(status, StatusCode::OK, "sales may read a segment");
    assert!(!html.contains("id=\"segment-form\""), "without the editor");
    assert!(
        html.contains("data-count=\"5\""),
        "the preview counts what they may see"
    );
    let (status, _) = page(&sato, &app, "/segments").await;
    assert_eq!(status, StatusCode::OK);

    // And changes nothing.
    let (status, _) = api(
        &app,
        sales,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "営業の"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api(
        &app,
        sales,
        reqwest::Method::PUT,
        &format!("/api/v1/segments/{all}"),
        Some(json!({"name": "変更"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api(
        &app,
        sales,
        reqwest::Method::DELETE,
        &format!("/api/v1/segments/{all}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let resp = post_form(
        &sato,
        &app,
        "/segments",
        &[("name", "営業の"), ("action", "save")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post_form(&sato, &app, &format!("/segments/{all}/delete"), &[]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (status, _) = page(&sato, &app, "/segments/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = api(
        &app,
        &app.token,
        reqwest::Method::GET,
        "/api/v1/segments",
        None,
    )
    .await;
    assert_eq!(list["segments"].as_array().map(Vec::len), Some(3), "{list}");
}

#[tokio::test]
async fn another_workspace_cannot_reach_a_segment() {
    let app = spawn_app().await;
    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("workspace");
    let other_token = app
        .user_with_token(other.id(), "admin@other.example", Role::Admin)
        .await;
    lead(&app, json!({"name": "自社 太郎"})).await;
    let (status, seg) = api(
        &app,
        &other_token,
        reqwest::Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "よその"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{seg}");
    let theirs = seg["id"].as_i64().expect("id");
    assert_eq!(seg["leads"], 0, "their segment counts only their leads");
    for (method, path, body) in [
        (
            reqwest::Method::GET,
            format!("/api/v1/segments/{theirs}"),
            None,
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/segments/{theirs}/leads"),
            None,
        ),
        (
            reqwest::Method::PUT,
            format!("/api/v1/segments/{theirs}"),
            Some(json!({"name": "乗っ取り"})),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/segments/{theirs}"),
            None,
        ),
    ] {
        let (status, body) = api(&app, &app.token, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
    }
    let (_, list) = api(
        &app,
        &app.token,
        reqwest::Method::GET,
        "/api/v1/segments",
        None,
    )
    .await;
    assert_eq!(list["segments"], json!([]), "their segments are not listed");
    let admin = browser(&app, "admin@example.com").await;
    for path in [
        format!("/segments/{theirs}"),
        format!("/leads?segment={theirs}"),
    ] {
        let (status, _) = page(&admin, &app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let resp = post_form(&admin, &app, &format!("/segments/{theirs}/delete"), &[]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(
        ondo_store::segments::get(&app.db, other.id(), theirs)
            .await
            .expect("read")
            .is_some(),
        "still there"
    );
}
