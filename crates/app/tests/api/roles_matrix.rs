//! Every page and API route of the router, for every role and for a visitor who is not
//! signed in: the answer each one gets. The route list is read from the router's source,
//! so a route added without a line here fails the test.

use std::collections::{BTreeMap, BTreeSet};

use ondo_domain::Role;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, hidden_value, json, spawn_app};

/// The source files whose `.route("…"` calls make up the router.
const ROUTER_SOURCES: [&str; 5] = [
    include_str!("../../../web/src/lib.rs"),
    include_str!("../../../web/src/api/mod.rs"),
    include_str!("../../../web/src/forms/public.rs"),
    include_str!("../../../web/src/tracking/mod.rs"),
    include_str!("../../../web/src/unsubscribe.rs"),
];

/// `(method, path)` of every route in the router's source: the string literal after each
/// `.route(`, and the method routers (`get(`, `.post(`, …) up to the next `.route(`.
pub fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for src in ROUTER_SOURCES {
        let parts: Vec<&str> = src.split(".route(").skip(1).collect();
        for part in parts {
            let rest = part.trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let Some(end) = rest.find('"') else { continue };
            let path = rest[..end].to_string();
            let body = &rest[end..];
            for method in ["get", "post", "patch", "put", "delete"] {
                let needle = format!("{method}(");
                let found = body.match_indices(&needle).any(|(i, _)| {
                    i == 0 || !body[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if found {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

/// What a request must get.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Want {
    /// This exact status.
    Is(u16),
    /// A redirect to the sign-in page.
    Login,
    /// Let through: not 401/403, not the sign-in page, no server error.
    Allowed,
}
use Want::{Allowed, Is, Login};

const OK: Want = Is(200);
const NO: Want = Is(403);
const GONE: Want = Is(404);
const SEE: Want = Is(303);

/// One route: its method and pattern, and what admin, manager, marketing, sales and a
/// visitor get (pages) or a request without a token gets (API).
struct Row {
    method: &'static str,
    route: &'static str,
    roles: [Want; 4],
    visitor: Want,
}

const fn row(method: &'static str, route: &'static str, roles: [Want; 4], visitor: Want) -> Row {
    Row {
        method,
        route,
        roles,
        visitor,
    }
}

const ALL: [Want; 4] = [OK, OK, OK, OK];
const NOT_SALES: [Want; 4] = [OK, OK, OK, NO];
const MANAGERS: [Want; 4] = [OK, OK, NO, NO];
/// A lead (or its sub-page) the salesperson may not see: 404 for them, as for no lead.
const HIDDEN_FROM_SALES: [Want; 4] = [OK, OK, OK, GONE];

/// Every route. `{id}` of a lead route is a lead the salesperson may not see; other
/// path parameters are filled by [`Fixture::path`].
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    // Pages (GET).
    row("GET", "/", [Allowed; 4], SEE),
    row("GET", "/login", ALL, OK),
    row("GET", "/lang/{code}", [SEE; 4], SEE),
    row("GET", "/queue", ALL, Login),
    row("GET", "/tasks", ALL, Login),
    row("GET", "/leads/{id}/tasks", HIDDEN_FROM_SALES, Login),
    row("GET", "/reports", ALL, Login),
    row("GET", "/reports/{file}", [Allowed, Allowed, Allowed, Allowed], Login),
    row("GET", "/reports/ai", ALL, Login),
    row("GET", "/reports/ai/backtest", NOT_SALES, Login),
    row("GET", "/reports/ai/backtest/{token}", [GONE, GONE, GONE, NO], Login),
    row("GET", "/settings/scoring", ALL, Login),
    row("GET", "/settings/scoring/export", ALL, Login),
    row("GET", "/settings/scoring/versions/{version}/toml", [GONE; 4], Login),
    row("GET", "/settings/statuses", ALL, Login),
    row("GET", "/leads", ALL, Login),
    row("GET", "/leads/new", ALL, Login),
    row("GET", "/leads/export", NOT_SALES, Login),
    row("GET", "/segments", ALL, Login),
    row("GET", "/segments/new", NOT_SALES, Login),
    row("GET", "/segments/{id}", [GONE; 4], Login),
    row("GET", "/leads/duplicates", NOT_SALES, Login),
    row("GET", "/leads/{id}", HIDDEN_FROM_SALES, Login),
    row("GET", "/leads/{id}/edit", HIDDEN_FROM_SALES, Login),
    row("GET", "/companies", ALL, Login),
    row("GET", "/companies/{id}", ALL, Login),
    row("GET", "/audit", MANAGERS, Login),
    row("GET", "/customers", ALL, Login),
    row("GET", "/customers/{id}", [GONE; 4], Login),
    row("GET", "/forms", NOT_SALES, Login),
    row("GET", "/forms/{id}", [GONE, GONE, GONE, NO], Login),
    row("GET", "/settings/notifications", MANAGERS, Login),
    row("GET", "/settings/tracking", NOT_SALES, Login),
    row("GET", "/imports", NOT_SALES, Login),
    row("GET", "/campaigns", NOT_SALES, Login),
    row("GET", "/campaigns/new", NOT_SALES, Login),
    row("GET", "/campaigns/{id}", [GONE, GONE, GONE, NO], Login),
    row("GET", "/settings/campaigns", NOT_SALES, Login),
    row("GET", "/imports/preview/{token}", [GONE, GONE, GONE, NO], Login),
    row("GET", "/imports/jobs/{id}", [GONE, GONE, GONE, NO], Login),
    row("GET", "/imports/{id}", [GONE, GONE, GONE, NO], Login),
    row("GET", "/imports/{id}/errors.csv", [GONE, GONE, GONE, NO], Login),
    row("GET", "/healthz", ALL, OK),
    row("GET", "/static/app.css", ALL, OK),
    // Pages (POST, sent with the session's CSRF token; without it every one is refused).
    // Without the sign-in form's own token.
    row("POST", "/login", [NO; 4], NO),
    row("POST", "/tasks/{id}/done", [GONE; 4], Login),
    row("POST", "/alerts/{id}/read", [GONE; 4], Login),
    row("POST", "/leads/{id}/tasks", HIDDEN_FROM_SALES_POST, Login),
    row("POST", "/settings/scoring", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/settings/scoring/import", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/settings/statuses/lost-reasons", [Allowed, NO, NO, NO], Login),
    row("POST", "/settings/statuses/{status}", [Allowed, NO, NO, NO], Login),
    row("POST", "/settings/scoring/versions/{version}/restore", [GONE, GONE, GONE, NO], Login),
    row("POST", "/leads", [Allowed; 4], Login),
    row("POST", "/segments", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/segments/{id}", [GONE, GONE, GONE, NO], Login),
    row("POST", "/segments/{id}/delete", [GONE, GONE, GONE, NO], Login),
    row("POST", "/leads/duplicates/{pair}", [GONE, GONE, GONE, NO], Login),
    row("POST", "/merges/{id}/undo", [GONE, GONE, GONE, NO], Login),
    row("POST", "/leads/{id}", HIDDEN_FROM_SALES_POST, Login),
    row("POST", "/leads/{id}/activities", HIDDEN_FROM_SALES_POST, Login),
    row("POST", "/leads/{id}/status", HIDDEN_FROM_SALES_POST, Login),
    row("POST", "/customers/{id}/tasks", [GONE; 4], Login),
    row("POST", "/forms", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/forms/{id}/active", [GONE, GONE, GONE, NO], Login),
    row("POST", "/settings/notifications", [Allowed, Allowed, NO, NO], Login),
    row("POST", "/settings/tracking", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/imports", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/reports/ai/train", [Allowed, Allowed, NO, NO], Login),
    row("POST", "/reports/ai/settings", [Allowed, NO, NO, NO], Login),
    row("POST", "/reports/ai/versions/{id}/activate", [GONE, GONE, NO, NO], Login),
    row("POST", "/reports/ai/backtest", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/campaigns", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/campaigns/{id}", [GONE, GONE, GONE, NO], Login),
    row("POST", "/campaigns/{id}/enroll", [GONE, GONE, GONE, NO], Login),
    row("POST", "/campaigns/{id}/test", [GONE, GONE, GONE, NO], Login),
    row("POST", "/campaigns/{id}/triggers", [GONE, GONE, GONE, NO], Login),
    row("POST", "/campaigns/{id}/pause", [GONE, GONE, GONE, NO], Login),
    row("POST", "/campaigns/{id}/resume", [GONE, GONE, GONE, NO], Login),
    row("POST", "/settings/campaigns", [Allowed, Allowed, Allowed, NO], Login),
    row("POST", "/imports/preview/{token}", [GONE, GONE, GONE, NO], Login),
    row("POST", "/logout", [SEE; 4], Login),
    // The JSON API (bearer tokens; a request without one is 401).
    row("POST", "/api/v1/leads", [Allowed; 4], Is(401)),
    row("GET", "/api/v1/leads", ALL, Is(401)),
    row("GET", "/api/v1/leads/{id}", HIDDEN_FROM_SALES, Is(401)),
    row("PATCH", "/api/v1/leads/{id}", HIDDEN_FROM_SALES, Is(401)),
    row("POST", "/api/v1/leads/{id}/activities", HIDDEN_FROM_SALES_POST, Is(401)),
    row("POST", "/api/v1/leads/{id}/tasks", HIDDEN_FROM_SALES_POST, Is(401)),
    row("GET", "/api/v1/tasks", ALL, Is(401)),
    row("PATCH", "/api/v1/tasks/{id}", [GONE; 4], Is(401)),
    row("POST", "/api/v1/events", [Allowed, Allowed, Allowed, NO], Is(401)),
    row("GET", "/api/v1/queue", ALL, Is(401)),
    row("GET", "/api/v1/stats", ALL, Is(401)),
    row("GET", "/api/v1/audit", MANAGERS, Is(401)),
    row("POST", "/api/v1/campaigns", [Allowed, Allowed, Allowed, NO], Is(401)),
    row("GET", "/api/v1/campaigns", NOT_SALES, Is(401)),
    row("GET", "/api/v1/campaigns/{id}", [GONE, GONE, GONE, NO], Is(401)),
    row("POST", "/api/v1/campaigns/{id}/enroll", [Allowed, Allowed, Allowed, NO], Is(401)),
    row("PUT", "/api/v1/campaigns/{id}/triggers", [GONE, GONE, GONE, NO], Is(401)),
    row("POST", "/api/v1/campaigns/{id}/pause", [GONE, GONE, GONE, NO], Is(401)),
    row("POST", "/api/v1/campaigns/{id}/resume", [GONE, GONE, GONE, NO], Is(401)),
    row("POST", "/api/v1/inbound-email", [Allowed, Allowed, Allowed, NO], Is(401)),
    row("GET", "/api/v1/campaign-settings", NOT_SALES, Is(401)),
    row("PUT", "/api/v1/campaign-settings", [Allowed, Allowed, Allowed, NO], Is(401)),
    row("GET", "/api/v1/segments", ALL, Is(401)),
    row("POST", "/api/v1/segments", [Allowed, Allowed, Allowed, NO], Is(401)),
    row("GET", "/api/v1/segments/{id}", [GONE; 4], Is(401)),
    row("PUT", "/api/v1/segments/{id}", [GONE, GONE, GONE, NO], Is(401)),
    row("DELETE", "/api/v1/segments/{id}", [GONE, GONE, GONE, NO], Is(401)),
    row("GET", "/api/v1/segments/{id}/leads", [GONE; 4], Is(401)),
    row("GET", "/api/openapi.json", ALL, OK),
    // Public endpoints: forms and tracking, the same for everyone.
    row("GET", "/f/{key}", [GONE; 4], GONE),
    row("POST", "/f/{key}", [GONE; 4], GONE),
    row("GET", "/t/o/{token}", [Allowed; 4], Allowed),
    row("GET", "/t/c/{token}", [Allowed; 4], Allowed),
    row("GET", "/t/ondo.js", ALL, OK),
    row("POST", "/t/collect", [Allowed; 4], Allowed),
    row("GET", "/u/{token}", [GONE; 4], GONE),
    row("POST", "/u/{token}", [GONE; 4], GONE),
];

/// A lead the salesperson may not see, posted to: refused as not found for them.
const HIDDEN_FROM_SALES_POST: [Want; 4] = [Allowed, Allowed, Allowed, GONE];

pub const ROLES: [Role; 4] = [Role::Admin, Role::Manager, Role::Marketing, Role::Sales];

/// The email of the test user of a role (the admin is `spawn_app`'s).
pub fn email_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin@example.com",
        Role::Manager => "manager@example.com",
        Role::Marketing => "marketing@example.com",
        Role::Sales => "sato@example.com",
    }
}

/// The other salesperson, whose leads 佐藤 (sato) may not see.
pub const SUZUKI: &str = "suzuki@example.com";

/// A browser signed in as one user: its own cookie jar and the session's CSRF token.
pub struct Browser {
    pub client: Client,
    pub csrf: String,
}

/// Signs in through the login form with a fresh cookie jar.
pub async fn browser(app: &TestApp, email: &str) -> Browser {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    let login = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    let csrf = hidden_value(&login, "csrf").expect("login form token");
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
        .expect("sign in");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{email} signs in");
    let page = client
        .get(app.url("/leads"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    let csrf = hidden_value(&page, "csrf").expect("the session's CSRF token");
    Browser { client, csrf }
}

/// Users of every role (the admin exists already), with tokens: (role, token).
pub async fn users(app: &TestApp) -> (BTreeMap<&'static str, String>, String) {
    let mut tokens = BTreeMap::new();
    tokens.insert("admin", app.token.clone());
    for role in [Role::Manager, Role::Marketing, Role::Sales] {
        tokens.insert(
            role.key(),
            app.user_with_token(app.ws(), email_of(role), role).await,
        );
    }
    let suzuki = app.user_with_token(app.ws(), SUZUKI, Role::Sales).await;
    (tokens, suzuki)
}

/// Posts a lead as the admin and returns its id.
pub async fn lead(app: &TestApp, body: Value) -> i64 {
    let (status, lead) = json(app.post_lead(&body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    lead["id"].as_i64().expect("id")
}

/// Leads at two companies: 佐藤 (sales) owns one at アルファ, where 鈴木 owns another
/// and one is unassigned; at ベータ 鈴木 owns one and one is unassigned; 鈴木 owns one
/// without a company; 佐藤 owns one without a company.
pub struct Fixture {
    pub mine_alpha: i64,
    pub colleague_alpha: i64,
    pub unassigned_alpha: i64,
    pub hidden_beta: i64,
    pub unassigned_beta: i64,
    pub hidden_alone: i64,
    pub mine_alone: i64,
    pub alpha: i64,
    pub beta: i64,
}

pub async fn fixture(app: &TestApp) -> Fixture {
    let sato = email_of(Role::Sales);
    let mine_alpha = lead(
        app,
        json!({"name": "青木 一郎", "company": "株式会社アルファ", "owner": sato}),
    )
    .await;
    let colleague_alpha = lead(
        app,
        json!({"name": "石井 二郎", "company": "株式会社アルファ", "owner": SUZUKI}),
    )
    .await;
    let unassigned_alpha = lead(
        app,
        json!({"name": "上田 三郎", "company": "株式会社アルファ"}),
    )
    .await;
    let hidden_beta = lead(
        app,
        json!({"name": "江藤 四郎", "company": "株式会社ベータ", "owner": SUZUKI}),
    )
    .await;
    let unassigned_beta = lead(
        app,
        json!({"name": "大野 五郎", "company": "株式会社ベータ"}),
    )
    .await;
    let hidden_alone = lead(app, json!({"name": "加藤 六郎", "owner": SUZUKI})).await;
    let mine_alone = lead(app, json!({"name": "木村 七郎", "owner": sato})).await;
    let company = |id: i64| async move {
        let (_, l) = json(app.get_lead(&app.token, id).await).await;
        l["company"]["id"].as_i64().expect("company")
    };
    Fixture {
        alpha: company(mine_alpha).await,
        beta: company(hidden_beta).await,
        mine_alpha,
        colleague_alpha,
        unassigned_alpha,
        hidden_beta,
        unassigned_beta,
        hidden_alone,
        mine_alone,
    }
}

impl Fixture {
    /// The route with its parameters filled: a lead the salesperson may not see, a real
    /// company, and ids and keys that do not exist for the rest.
    fn path(&self, route: &str) -> String {
        let lead_scoped =
            route.starts_with("/leads/{id}") || route.starts_with("/api/v1/leads/{id}");
        let id = if lead_scoped {
            self.hidden_beta
        } else if route.starts_with("/companies/") {
            self.beta
        } else {
            999_999
        };
        route
            .replace("{id}", &id.to_string())
            .replace("{code}", "en")
            .replace("{file}", "funnel.csv")
            .replace("{version}", "999999")
            .replace("{token}", "no-such-token")
            .replace("{status}", "new")
            .replace("{pair}", "999999")
            .replace("{key}", "no-such-form")
    }
}

/// `Err` with what went wrong when the answer is not the one wanted.
fn check(resp: &Response, want: Want, what: &str) -> Result<(), String> {
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let to_login = status == StatusCode::SEE_OTHER && location.starts_with("/login");
    let ok = match want {
        Is(code) => status.as_u16() == code,
        Login => to_login,
        Allowed => !matches!(status.as_u16(), 401 | 403) && !status.is_server_error() && !to_login,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{what}: got {status} {location:?}, want {want:?}"))
    }
}

async fn send(
    client: &Client,
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    csrf: Option<&str>,
) -> Response {
    let url = app.url(path);
    let mut req = match method {
        "GET" => client.get(url),
        "POST" => client.post(url),
        "PATCH" => client.patch(url),
        "PUT" => client.put(url),
        "DELETE" => client.delete(url),
        other => panic!("unknown method {other}"),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let api = path.starts_with("/api/") || path == "/t/collect";
    // Uploads are multipart forms; the token travels as one of their fields.
    let multipart =
        path == "/imports" || path == "/settings/scoring/import" || path == "/reports/ai/backtest";
    req = if api && method != "GET" {
        req.json(&api_body(path))
    } else if multipart {
        let form = reqwest::multipart::Form::new().text("note", "x");
        req.multipart(match csrf {
            Some(c) => form.text("csrf", c.to_string()),
            None => form,
        })
    } else if method != "GET" {
        match csrf {
            Some(c) => req.form(&[("csrf", c)]),
            None => req.form(&[("note", "x")]),
        }
    } else {
        req
    };
    req.send().await.expect("request")
}

/// A body the route accepts in shape, so what it answers is about who asks.
fn api_body(path: &str) -> Value {
    if path.starts_with("/api/v1/events") || path == "/t/collect" {
        json!([])
    } else if path.ends_with("/activities") {
        json!({"type": "note", "note": "matrix"})
    } else if path.starts_with("/api/v1/tasks/") {
        json!({"done": true})
    } else {
        json!({})
    }
}

#[test]
fn every_route_of_the_router_is_in_the_matrix() {
    let in_source = routes_in_source();
    assert!(
        in_source.len() > 50,
        "the route parser finds the router: {in_source:?}"
    );
    let in_matrix: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    let missing: Vec<_> = in_source.difference(&in_matrix).collect();
    assert!(
        missing.is_empty(),
        "routes without a line in the role matrix: {missing:?}"
    );
    let gone: Vec<_> = in_matrix.difference(&in_source).collect();
    assert!(
        gone.is_empty(),
        "matrix lines for routes the router no longer has: {gone:?}"
    );
}

/// Every route × (admin, manager, marketing, sales, signed out).
#[tokio::test]
async fn every_route_answers_each_role_as_it_should() {
    let app = spawn_app().await;
    let (tokens, _) = users(&app).await;
    let f = fixture(&app).await;
    let mut browsers = Vec::new();
    for role in ROLES {
        browsers.push(browser(&app, email_of(role)).await);
    }
    let anon = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut failures = Vec::new();
    // Reads first, then changes, signing out last.
    let mut rows: Vec<&Row> = MATRIX.iter().collect();
    rows.sort_by_key(|r| (r.method != "GET", r.route == "/logout"));
    for r in rows {
        let path = f.path(r.route);
        let api = r.route.starts_with("/api/v1/");
        let public =
            r.route.starts_with("/f/") || r.route.starts_with("/t/") || r.route.starts_with("/u/");
        let mut attempt = |resp: Response, want: Want, who: &str| {
            let what = format!("{} {} as {who}", r.method, path);
            if let Err(e) = check(&resp, want, &what) {
                failures.push(e);
            }
        };
        let resp = send(&anon, &app, r.method, &path, None, None).await;
        attempt(resp, r.visitor, "a visitor");
        for (i, role) in ROLES.iter().enumerate() {
            let resp = if api {
                send(
                    &app.client,
                    &app,
                    r.method,
                    &path,
                    Some(&tokens[role.key()]),
                    None,
                )
                .await
            } else {
                let b = &browsers[i];
                if r.method == "POST" && !public {
                    // Without the CSRF token a signed-in user's post is refused.
                    let resp = send(&b.client, &app, "POST", &path, None, None).await;
                    attempt(resp, NO, &format!("{} without the CSRF token", role.key()));
                }
                send(&b.client, &app, r.method, &path, None, Some(&b.csrf)).await
            };
            attempt(resp, r.roles[i], role.key());
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
