use reqwest::StatusCode;

use crate::helpers::{json, spawn_app};

#[tokio::test]
async fn the_demo_workspace_loads_once_and_its_admin_signs_in() {
    let app = spawn_app().await;
    let summary = ondo_app::demo_load::load_if_empty(&app.db, app.ws(), true)
        .await
        .expect("the demo loads")
        .expect("an empty workspace gets the demo");
    assert!((1800..=2200).contains(&summary.leads), "{summary:?}");
    let (_, stats) = json(
        app.client
            .get(app.url("/api/v1/stats"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("stats"),
    )
    .await;
    assert_eq!(stats["leads"].as_i64(), Some(summary.leads as i64));
    assert!(
        stats["events"].as_i64().unwrap_or(0) > 20_000,
        "months of behaviour: {stats}"
    );
    assert!(
        stats["activities"].as_i64().unwrap_or(0) > 100,
        "sales activity: {stats}"
    );
    assert!(stats["companies"].as_i64().unwrap_or(0) > 100, "{stats}");
    for status in [
        "new",
        "nurturing",
        "sales_ready",
        "opportunity",
        "lost_dormant",
        "won",
    ] {
        assert!(
            stats["by_status"][status].as_i64().unwrap_or(0) > 0,
            "some leads are {status}: {stats}"
        );
    }
    // The demo's behaviour is scored: the queue has warm leads with reasons in words.
    let (status, queue) = json(
        app.client
            .get(app.url("/api/v1/queue?limit=20"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("queue"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let items = queue.as_array().expect("a list");
    assert_eq!(items.len(), 20, "{queue}");
    assert!(
        items
            .iter()
            .any(|i| i["score"].as_f64().unwrap_or(0.0) > 0.0
                && !i["reasons"].as_array().is_none_or(|r| r.is_empty())),
        "scored leads with reasons: {queue}"
    );
    // The AI score learnt from the demo's outcomes: queue items carry "AI 72%" with why.
    assert!(summary.ai.contains("made active"), "{}", summary.ai);
    assert!(
        items.iter().all(|i| i["ai"]["percent"].as_i64().is_some()),
        "every lead has an AI probability: {queue}"
    );
    assert!(
        items
            .iter()
            .any(|i| !i["ai"]["positive"].as_array().is_none_or(|r| r.is_empty())),
        "with its reasons: {queue}"
    );
    assert!(
        ondo_app::demo_load::load_if_empty(&app.db, app.ws(), true)
            .await
            .expect("second run")
            .is_none(),
        "the demo is loaded only into an empty workspace"
    );
    let signin = app
        .sign_in(
            ondo_app::demo_load::DEMO_ADMIN,
            ondo_app::demo_load::DEMO_PASSWORD,
        )
        .await;
    assert_eq!(signin.status(), StatusCode::SEE_OTHER);
    let list = app.page("/leads?status=sales_ready").await;
    assert!(
        list.contains("lead-link"),
        "the demo's sales-ready leads are listed"
    );
    let (_, page) = json(app.list_leads("?limit=1").await).await;
    let id = page["leads"][0]["id"].as_i64().expect("a lead");
    let lead_page = app.page(&format!("/leads/{id}")).await;
    assert!(
        lead_page.contains("timeline"),
        "the lead page has a timeline"
    );
    // Won deals made customers, with renewals planned; a salesperson has follow-ups.
    let customers = app.page("/customers").await;
    assert!(customers.contains("/customers/"), "{customers}");
    let reports = app.page("/reports").await;
    assert!(reports.contains("<svg"), "the reports have charts");
    let acts = ondo_store::reports::funnel_at_a_glance(&app.db, app.ws(), None)
        .await
        .expect("counts");
    assert!(
        acts.iter().any(|(s, n)| s.key() == "won" && *n > 0),
        "{acts:?}"
    );
    // A trade-show list went through the real import: its run is in the history, visitors
    // already known joined their leads, and name-and-company-only visitors wait for review.
    let imports = app.page("/imports").await;
    assert!(
        imports.contains(ondo_app::demo::list::LIST_FILE)
            && imports.contains(ondo_app::demo::list::LIST_SOURCE),
        "{imports}"
    );
    let duplicates = app.page("/leads/duplicates").await;
    let pairs = duplicates.matches("action=\"/leads/duplicates/").count();
    assert!(
        (1..=8).contains(&pairs),
        "the review has the list's private-address visitors: {pairs} pairs"
    );
    let runs = ondo_store::imports::list_runs(&app.db, app.ws(), 10)
        .await
        .expect("runs");
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert!(
        run.merged >= 10 && run.created >= 4 && run.created + run.merged == run.rows_total,
        "returning visitors merged, new ones created: {run:?}"
    );
    let overdue = ondo_store::tasks::agenda(&app.db, app.ws(), None, ondo_domain::Micros::now())
        .await
        .expect("agenda");
    assert!(
        !overdue.overdue.is_empty() && !overdue.today.is_empty(),
        "the demo's reps have overdue and today's follow-ups"
    );
}
