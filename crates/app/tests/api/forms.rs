//! Embeddable web forms: created on /forms, shown and accepted publicly at /f/{key},
//! each submission becoming a lead through the same matching as the API.

use ondo_domain::Role;
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app};

/// A visitor's browser on a customer's site: no Ondo cookie, no redirects followed.
fn visitor() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The text inside a `<textarea id=…>`, unescaped the way a browser shows it.
fn textarea(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("textarea {id} is on the page"));
    let body = &html[start..];
    let open = body.find('>').expect("tag end") + 1;
    let close = body.find("</textarea>").expect("textarea end");
    unescape(&body[open..close])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// Signs the client in as `email`, creates a form through the page, and returns its id
/// and public key.
async fn create_form(app: &TestApp, email: &str, settings: &[(&str, &str)]) -> (i64, String) {
    assert_eq!(
        app.sign_in(email, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = app.page("/forms").await;
    let csrf = hidden_value(&page, "csrf").expect("the creation form has a CSRF token");
    let mut body: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    body.extend_from_slice(settings);
    let resp = app
        .client
        .post(app.url("/forms"))
        .form(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "the form is created");
    let location = resp.headers()["location"].to_str().expect("location");
    let id: i64 = location
        .strip_prefix("/forms/")
        .and_then(|id| id.parse().ok())
        .expect("redirected to the form's page");
    let form = ondo_store::forms::get(&app.db, app.ws(), id)
        .await
        .expect("stored");
    (id, form.public_key)
}

/// An inquiry form asking for the company (required), phone and a message, with consent.
async fn inquiry_form(app: &TestApp) -> (i64, String) {
    create_form(
        app,
        "admin@example.com",
        &[
            ("name", "製品サイト 問い合わせ"),
            ("kind", "inquiry"),
            ("source", "Webサイト問い合わせ"),
            ("field_company", "on"),
            ("required_company", "on"),
            ("field_phone", "on"),
            ("field_message", "on"),
            (
                "consent_text",
                "個人情報の取り扱いに同意し、ご案内メールの受け取りを承諾します。",
            ),
        ],
    )
    .await
}

async fn submit(app: &TestApp, key: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    visitor()
        .post(app.url(&format!("/f/{key}")))
        .header("origin", "https://www.customer.example")
        .header("sec-fetch-site", "cross-site")
        .header("referer", "https://www.customer.example/contact")
        .form(fields)
        .send()
        .await
        .expect("request")
}

const YAMADA: [(&str, &str); 5] = [
    ("name", "山田 太郎"),
    ("email", "taro.yamada@sample.co.jp"),
    ("company", "株式会社サンプル"),
    ("message", "見積もりをお願いします"),
    ("consent", "on"),
];

async fn lead_by_email(app: &TestApp, email: &str) -> Option<Value> {
    let lead = ondo_store::leads::find_by_email(&app.db, app.ws(), email)
        .await
        .expect("lookup")?;
    let (status, body) = json(app.get_lead(&app.token, lead.id).await).await;
    assert_eq!(status, StatusCode::OK);
    Some(body)
}

async fn lead_count(app: &TestApp) -> i64 {
    let (_, stats) = json(
        app.client
            .get(app.url("/api/v1/stats"))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    stats["leads"].as_i64().expect("lead count")
}

#[tokio::test]
async fn marketing_creates_a_form_with_its_snippet_and_sales_may_not() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "marketing@example.com", Role::Marketing)
        .await;
    let (id, key) = create_form(
        &app,
        "marketing@example.com",
        &[
            ("name", "資料請求（製品A）"),
            ("kind", "document_request"),
            ("source", ""),
            ("field_company", "on"),
            ("required_company", "on"),
            ("field_kana", "on"),
            ("consent_text", "ご案内メールの受け取りに同意します"),
        ],
    )
    .await;
    assert!(key.len() >= 22, "the public key is long: {key}");

    let page = app.page(&format!("/forms/{id}")).await;
    assert!(page.contains("資料請求（製品A）"));
    assert!(
        page.contains("Webサイト資料請求"),
        "an empty source takes the kind's default"
    );
    let public_url = format!("{}/f/{key}", app.address);
    assert!(page.contains(&public_url), "the public address is shown");
    let snippet = textarea(&page, "form-snippet");
    assert!(
        snippet.starts_with(&format!(
            "<form method=\"post\" action=\"{public_url}\" accept-charset=\"UTF-8\">"
        )),
        "{snippet}"
    );
    for part in [
        "name=\"name\"",
        "name=\"kana\"",
        "name=\"email\"",
        "name=\"company\"",
        "会社名（必須）",
        "フリガナ",
        "name=\"website\"",
        "type=\"checkbox\" name=\"consent\" value=\"on\" required> ご案内メールの受け取りに同意します",
        "</form>",
    ] {
        assert!(snippet.contains(part), "the snippet has {part}: {snippet}");
    }
    assert!(
        !snippet.contains("name=\"message\""),
        "unasked fields are left out"
    );
    let iframe = textarea(&page, "form-iframe");
    assert!(
        iframe.starts_with(&format!("<iframe src=\"{public_url}\"")),
        "{iframe}"
    );
    let list = app.page("/forms").await;
    assert!(list.contains(&format!("href=\"/forms/{id}\"")) && list.contains("資料請求（製品A）"));

    // The snippet's form is accepted as it is.
    let resp = submit(
        &app,
        &key,
        &[
            ("name", "佐藤 花子"),
            ("kana", "サトウ ハナコ"),
            ("email", "hanako@example.co.jp"),
            ("company", "サンプル商事株式会社"),
            ("website", ""),
            ("consent", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("資料請求を受け付けました")
    );

    // Without the session's CSRF token nothing is created.
    let resp = app
        .client
        .post(app.url("/forms"))
        .form(&[("name", "偽フォーム"), ("kind", "inquiry")])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    app.user_with_token(app.ws(), "sales@example.com", Role::Sales)
        .await;
    assert_eq!(
        app.sign_in("sales@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let csrf = hidden_value(&app.page("/leads").await, "csrf").expect("csrf");
    for path in ["/forms".to_string(), format!("/forms/{id}")] {
        let resp = app.client.get(app.url(&path)).send().await.expect("page");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let resp = app
        .client
        .post(app.url("/forms"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "営業のフォーム"),
            ("kind", "inquiry"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let forms = ondo_store::forms::list(&app.db, app.ws())
        .await
        .expect("forms");
    assert_eq!(forms.len(), 1, "only marketing's form exists");
}

#[tokio::test]
async fn a_submission_becomes_a_lead_with_consent_a_touchpoint_and_an_event() {
    let app = spawn_app().await;
    let (id, key) = inquiry_form(&app).await;

    let resp = visitor()
        .get(app.url(&format!("/f/{key}")))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers().get("x-frame-options").is_none(),
        "the form may be framed"
    );
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    let page = resp.text().await.expect("body");
    assert!(page.contains("お問い合わせ") && page.contains("name=\"company\""));
    assert!(page.contains("ご案内メールの受け取りを承諾します"));
    assert_eq!(
        app.client
            .get(app.url("/leads"))
            .send()
            .await
            .expect("page")
            .headers()["x-frame-options"],
        "DENY",
        "other pages still refuse framing"
    );

    let resp = submit(&app, &key, &YAMADA).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("お問い合わせありがとうございます")
    );

    let lead = lead_by_email(&app, "taro.yamada@sample.co.jp")
        .await
        .expect("the lead exists");
    assert_eq!(lead["name"], "山田 太郎");
    assert_eq!(lead["company_name"], "株式会社サンプル");
    assert_eq!(lead["consent_source"], "form_opt_in");
    let consent_at = lead["consent_at"].as_str().expect("consent date");
    let today = ondo_domain::Micros::now().to_rfc3339();
    assert_eq!(&consent_at[..10], &today[..10], "consented today");
    let tps = lead["touchpoints"].as_array().expect("touchpoints");
    assert_eq!(tps.len(), 1);
    assert_eq!(tps[0]["kind"], "form");
    assert_eq!(tps[0]["source"], "Webサイト問い合わせ");
    let lead_id = lead["id"].as_i64().expect("id");
    let stored = ondo_store::leads::touchpoints(&app.db, app.ws(), lead_id)
        .await
        .expect("touchpoints");
    let details: Value = serde_json::from_str(&stored[0].details).expect("json");
    assert_eq!(details["message"], "見積もりをお願いします");
    assert_eq!(details["form"], "製品サイト 問い合わせ");
    let events = ondo_store::events::recent_for_lead(&app.db, app.ws(), lead_id, 10)
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "form_submit");
    assert_eq!(
        events[0].url.as_deref(),
        Some("https://www.customer.example/contact")
    );

    let lead_page = app.page(&format!("/leads/{lead_id}")).await;
    assert!(lead_page.contains("フォームでの同意"), "consent is shown");
    assert!(
        lead_page.contains("Webサイト問い合わせ"),
        "the touchpoint is shown"
    );
    assert!(
        lead_page.contains("フォーム送信"),
        "the event is on the timeline"
    );
    let form_page = app.page(&format!("/forms/{id}")).await;
    assert!(form_page.contains("<dd id=\"submission-count\">1</dd>"));
    assert!(form_page.contains("見積もりをお願いします") && form_page.contains("山田 太郎"));
}

#[tokio::test]
async fn a_second_submission_with_the_same_email_unifies_into_one_lead() {
    let app = spawn_app().await;
    let (id, key) = inquiry_form(&app).await;
    assert_eq!(submit(&app, &key, &YAMADA).await.status(), StatusCode::OK);
    let resp = submit(
        &app,
        &key,
        &[
            ("name", "山田太郎"),
            ("email", "Taro.Yamada@Sample.co.jp"),
            ("company", "(株)サンプル"),
            ("phone", "090-1234-5678"),
            ("message", "資料もください"),
            ("consent", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);

    assert_eq!(lead_count(&app).await, 1, "one person, one lead");
    let lead = lead_by_email(&app, "taro.yamada@sample.co.jp")
        .await
        .expect("the lead exists");
    // Each submission is a form_submit event: points (15 each, today) and the MQL rule.
    assert_eq!(lead["status"], "nurturing", "{lead}");
    assert_eq!(lead["scores"]["engagement"], 30.0, "{lead}");
    assert_eq!(
        lead["touchpoints"].as_array().expect("touchpoints").len(),
        2
    );
    assert_eq!(lead["phone"], "090-1234-5678", "the empty phone is filled");
    let form_page = app.page(&format!("/forms/{id}")).await;
    assert!(form_page.contains("<dd id=\"submission-count\">2</dd>"));
    assert!(form_page.contains("既存に統合") && form_page.contains("資料もください"));
}

/// A visitor who clicks "send" several times: every submission is accepted and kept, and
/// they make one lead. Before, the submissions raced: the second and later got 503 busy.
#[tokio::test]
async fn a_form_sent_several_times_at_once_makes_one_lead() {
    let app = spawn_app().await;
    let (id, key) = inquiry_form(&app).await;
    let mut sent = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let request = visitor()
            .post(app.url(&format!("/f/{key}")))
            .header("origin", "https://www.customer.example")
            .header("sec-fetch-site", "cross-site")
            .header("referer", "https://www.customer.example/contact")
            .form(&YAMADA);
        sent.spawn(async move { request.send().await.expect("request").status() });
    }
    for status in sent.join_all().await {
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(lead_count(&app).await, 1, "one person, one lead");
    let lead = lead_by_email(&app, "taro.yamada@sample.co.jp")
        .await
        .expect("the lead exists");
    assert_eq!(lead["touchpoints"].as_array().map(Vec::len), Some(4));
    let form_page = app.page(&format!("/forms/{id}")).await;
    assert!(form_page.contains("<dd id=\"submission-count\">4</dd>"));
}

#[tokio::test]
async fn a_filled_honeypot_is_thanked_and_stores_nothing() {
    let app = spawn_app().await;
    let (id, key) = inquiry_form(&app).await;
    let mut fields = YAMADA.to_vec();
    fields.push(("website", "http://spam.example/"));
    let resp = submit(&app, &key, &fields).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("お問い合わせありがとうございます"),
        "the robot cannot tell"
    );
    assert_eq!(lead_count(&app).await, 0);
    let form = ondo_store::forms::get(&app.db, app.ws(), id)
        .await
        .expect("form");
    assert_eq!(form.submissions, 0);
}

#[tokio::test]
async fn too_many_submissions_from_one_address_are_refused() {
    let app = spawn_app().await;
    let (_, key) = inquiry_form(&app).await;
    for _ in 0..10 {
        let resp = submit(&app, &key, &[("name", "")]).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let resp = submit(&app, &key, &YAMADA).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!(wait > 0 && wait <= 600, "{wait}");
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("送信が多すぎます")
    );
    assert_eq!(
        lead_count(&app).await,
        0,
        "the refused submission wrote nothing"
    );
}

#[tokio::test]
async fn a_missing_field_is_named_the_values_are_kept_and_nothing_is_written() {
    let app = spawn_app().await;
    let (_, key) = inquiry_form(&app).await;
    let resp = submit(
        &app,
        &key,
        &[
            ("name", "山田 太郎"),
            ("email", ""),
            ("company", "株式会社サンプル"),
            ("message", "<b>至急</b>"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.expect("body");
    assert!(
        page.contains("「メールアドレス」を入力してください"),
        "{page}"
    );
    assert!(
        page.contains("送信するには同意が必要です"),
        "the consent box is required"
    );
    assert!(page.contains("value=\"山田 太郎\""), "the name is kept");
    assert!(
        page.contains("&lt;b&gt;至急&lt;/b&gt;</textarea>") || page.contains("&#60;b&#62;"),
        "the message is kept, escaped"
    );
    assert_eq!(lead_count(&app).await, 0);

    let long = "あ".repeat(2001);
    let mut fields = YAMADA.to_vec();
    fields.retain(|(k, _)| *k != "message");
    fields.push(("message", long.as_str()));
    let resp = submit(&app, &key, &fields).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("「お問い合わせ内容」が長すぎます")
    );
    let huge = "a".repeat(70 * 1024);
    let mut fields = YAMADA.to_vec();
    fields.retain(|(k, _)| *k != "message");
    fields.push(("message", huge.as_str()));
    let resp = submit(&app, &key, &fields).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(lead_count(&app).await, 0);

    let resp = visitor()
        .post(app.url(&format!("/f/{key}")))
        .header("accept-language", "en-US,en;q=0.9")
        .form(&[
            ("name", "Taro Yamada"),
            ("email", "not-an-address"),
            ("consent", "on"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = unescape(&resp.text().await.expect("body"));
    assert!(page.contains("\"Email\" does not look right"), "{page}");
    assert!(page.contains("Please fill in \"Company\""), "{page}");
    assert_eq!(lead_count(&app).await, 0);
}

#[tokio::test]
async fn forms_accept_posts_from_other_sites_while_pages_still_refuse_them() {
    let app = spawn_app().await;
    let (_, key) = inquiry_form(&app).await;
    assert_eq!(submit(&app, &key, &YAMADA).await.status(), StatusCode::OK);
    assert_eq!(lead_count(&app).await, 1);

    let csrf = hidden_value(&app.page("/leads/new").await, "csrf").expect("csrf");
    let resp = app
        .client
        .post(app.url("/leads"))
        .header("origin", "https://www.customer.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", csrf.as_str()), ("name", "越境 太郎")])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        lead_count(&app).await,
        1,
        "the cross-site page post wrote nothing"
    );
}

#[tokio::test]
async fn markup_in_a_submission_is_shown_as_text() {
    let app = spawn_app().await;
    let (id, key) = inquiry_form(&app).await;
    let evil = "<script>alert(1)</script>";
    let name = format!("山田{evil}");
    let message = format!("{evil}よろしく");
    let resp = submit(
        &app,
        &key,
        &[
            ("name", name.as_str()),
            ("email", "evil@sample.co.jp"),
            ("company", "株式会社サンプル"),
            ("message", message.as_str()),
            ("consent", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let lead = lead_by_email(&app, "evil@sample.co.jp")
        .await
        .expect("the lead exists");
    for path in [
        format!("/leads/{}", lead["id"]),
        format!("/forms/{id}"),
        "/leads".into(),
    ] {
        let page = app.page(&path).await;
        assert!(!page.contains(evil), "{path} shows raw markup");
        assert!(
            page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"),
            "{path} shows the escaped text"
        );
    }
}

#[tokio::test]
async fn inactive_unknown_and_other_workspaces_forms_are_not_found() {
    let app = spawn_app().await;
    let (id, key) = inquiry_form(&app).await;

    // Another workspace's form in the same database.
    let other = ondo_store::workspaces::ensure(&app.db, "other")
        .await
        .expect("workspace");
    let settings = [("name", "他社のフォーム"), ("kind", "inquiry")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let new = ondo_web::forms::definition::parse_settings(&settings, |_| "Web".into())
        .expect("valid settings");
    let theirs = ondo_store::forms::create(
        &app.db,
        other.id(),
        &new,
        &ondo_store::Actor::system("test"),
    )
    .await
    .expect("created");
    assert!(
        ondo_store::forms::get_by_public_key(&app.db, app.ws(), &theirs.public_key)
            .await
            .expect("lookup")
            .is_none()
    );
    assert!(matches!(
        ondo_store::forms::get(&app.db, app.ws(), theirs.id).await,
        Err(ondo_store::StoreError::NotFound)
    ));
    assert_eq!(
        ondo_store::forms::list(&app.db, app.ws())
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        app.client
            .get(app.url(&format!("/forms/{}", theirs.id)))
            .send()
            .await
            .expect("page")
            .status(),
        StatusCode::NOT_FOUND
    );
    let resp = submit(&app, &theirs.public_key, &YAMADA).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(lead_count(&app).await, 0);
    let stats = ondo_store::stats::workspace(&app.db, other.id())
        .await
        .expect("stats");
    assert_eq!(
        stats.leads, 0,
        "nothing was written to the other workspace either"
    );

    let unknown = "AAAAAAAAAAAAAAAAAAAAAAAA";
    for path in [format!("/f/{unknown}"), "/f/..%2F..%2Fetc".to_string()] {
        let resp = visitor().get(app.url(&path)).send().await.expect("page");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // Stopping the form takes its public address down; starting it again brings it back.
    let csrf = hidden_value(&app.page(&format!("/forms/{id}")).await, "csrf").expect("csrf");
    let toggle = |active: &'static str| {
        app.client
            .post(app.url(&format!("/forms/{id}/active")))
            .form(&[("csrf", csrf.as_str()), ("active", active)])
            .send()
    };
    assert_eq!(
        toggle("false").await.expect("request").status(),
        StatusCode::SEE_OTHER
    );
    let public = format!("/f/{key}");
    assert_eq!(
        visitor()
            .get(app.url(&public))
            .send()
            .await
            .expect("page")
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        submit(&app, &key, &YAMADA).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(lead_count(&app).await, 0);
    assert_eq!(
        toggle("true").await.expect("request").status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        visitor()
            .get(app.url(&public))
            .send()
            .await
            .expect("page")
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_form_may_send_visitors_to_a_thank_you_page_on_the_site() {
    let app = spawn_app().await;
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let csrf = hidden_value(&app.page("/forms").await, "csrf").expect("csrf");
    let resp = app
        .client
        .post(app.url("/forms"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "リダイレクト付き"),
            ("kind", "inquiry"),
            ("redirect_url", "javascript:alert(1)"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.expect("body");
    assert!(page.contains("http:// または https:// で始まるURLを入力してください"));
    assert!(
        page.contains("value=\"リダイレクト付き\""),
        "the values are kept"
    );
    assert!(
        ondo_store::forms::list(&app.db, app.ws())
            .await
            .expect("list")
            .is_empty()
    );

    let (_, key) = create_form(
        &app,
        "admin@example.com",
        &[
            ("name", "リダイレクト付き"),
            ("kind", "inquiry"),
            ("redirect_url", "https://www.customer.example/thanks"),
        ],
    )
    .await;
    let page = visitor()
        .get(app.url(&format!("/f/{key}")))
        .send()
        .await
        .expect("page");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        csp.contains("form-action 'self' https://www.customer.example;"),
        "the hosted form may lead to the thank-you page: {csp}"
    );
    let resp = submit(
        &app,
        &key,
        &[("name", "山田 太郎"), ("email", "taro@sample.co.jp")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers()["location"],
        "https://www.customer.example/thanks"
    );
    assert_eq!(
        lead_count(&app).await,
        1,
        "no consent text, no consent box needed"
    );
}
