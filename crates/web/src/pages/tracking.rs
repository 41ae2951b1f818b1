//! The tracking settings page for admins, managers and marketing: the snippet to paste
//! into the company's site (with and without consent mode), the site domains it may
//! report from, and the disclosure text the 電気通信事業法 (external transmission rules)
//! asks a site to publish, in Japanese and English.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::tracking::SiteDomain;

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::tracking::keys;

/// Most allowed domains a workspace may list.
pub const MAX_DOMAINS: usize = 50;
/// Longest company name in the disclosure, in characters.
pub const MAX_OPERATOR_CHARS: usize = 100;

fn may_manage_tracking(user: &CurrentUser) -> Result<(), PageError> {
    match user.role() {
        ondo_domain::Role::Sales => Err(PageError::Forbidden(user.tr)),
        _ => Ok(()),
    }
}

#[derive(Template)]
#[template(path = "settings_tracking.html")]
struct TrackingPage {
    c: Chrome,
    t: Tr,
    site_key: String,
    script_url: String,
    snippet: String,
    snippet_consent: String,
    domains: String,
    operator_name: String,
    operator_placeholder: String,
    /// Errors by field (`domains`, `operator_name`).
    errors: HashMap<&'static str, String>,
    saved: bool,
    no_domains: bool,
    disclosure_ja: String,
    disclosure_en: String,
}

impl TrackingPage {
    fn error(&self, k: &str) -> String {
        self.errors.get(k).cloned().unwrap_or_default()
    }
}

/// Where this Ondo is reached: the host the signed-in user used, over HTTPS when
/// cookies are marked secure (Ondo behind a TLS proxy).
fn base_url(state: &AppState, headers: &HeaderMap) -> (String, String) {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost")
        .to_string();
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    (format!("{scheme}://{host}"), host)
}

/// The tags to paste: plain, or in consent mode with the queue that lets the site call
/// `ondo('consent', true)` before the script has loaded.
fn snippets(t: &Tr, script_url: &str, site_key: &str) -> (String, String) {
    let plain = format!(r#"<script async src="{script_url}" data-site="{site_key}"></script>"#);
    let consent = format!(
        "<script>window.ondo=window.ondo||function(){{(ondo.q=ondo.q||[]).push(arguments)}};</script>\n\
         <script async src=\"{script_url}\" data-site=\"{site_key}\" data-consent=\"required\"></script>\n\
         <!-- {} ondo('consent', true);  {} ondo('consent', false); -->",
        t.t("tracking-snippet-on-consent"),
        t.t("tracking-snippet-on-withdraw"),
    );
    (plain, consent)
}

/// The disclosure text in one language, naming the company and this server's host.
pub fn disclosure(lang: Lang, company: &str, host: &str) -> String {
    let t = Tr::new(lang);
    let (mark, head) = match lang {
        Lang::Ja => ("・", "■ "),
        Lang::En => ("- ", ""),
    };
    let bullet = |key: &str| format!("{mark}{}", t.t(key));
    [
        t.t("tracking-disclosure-heading"),
        t.t("tracking-disclosure-intro"),
        String::new(),
        format!("{head}{}", t.t("tracking-disclosure-recipient-heading")),
        t.t1("tracking-disclosure-recipient", "company", company),
        t.t1("tracking-disclosure-server", "host", host),
        String::new(),
        format!("{head}{}", t.t("tracking-disclosure-info-heading")),
        bullet("tracking-disclosure-info-visitor"),
        bullet("tracking-disclosure-info-page"),
        bullet("tracking-disclosure-info-download"),
        bullet("tracking-disclosure-info-email"),
        bullet("tracking-disclosure-info-form"),
        bullet("tracking-disclosure-info-agent"),
        String::new(),
        format!("{head}{}", t.t("tracking-disclosure-purpose-heading")),
        bullet("tracking-disclosure-purpose-interest"),
        bullet("tracking-disclosure-purpose-link"),
        bullet("tracking-disclosure-purpose-automated"),
        String::new(),
        format!("{head}{}", t.t("tracking-disclosure-optout-heading")),
        t.t("tracking-disclosure-optout"),
    ]
    .join("\n")
}

/// One line of the domains box as an ASCII domain: a pasted address gives its host, a
/// Japanese domain its punycode.
fn domain_of(line: &str) -> Option<SiteDomain> {
    let host = if line.contains("://") {
        url::Url::parse(line).ok()?.host_str()?.to_string()
    } else {
        match url::Host::parse(line).ok()? {
            url::Host::Domain(d) => d,
            url::Host::Ipv4(a) => a.to_string(),
            url::Host::Ipv6(_) => return None,
        }
    };
    SiteDomain::parse(&host).ok()
}

/// The domains box, one domain per line, parsed; the first bad line is named.
fn parse_domains(t: &Tr, raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(d) = domain_of(line) else {
            let text = t.t1("tracking-error-domain", "line", &(i + 1).to_string());
            return Err(format!("{text} 「{line}」"));
        };
        if !out.iter().any(|o| o == d.as_str()) {
            out.push(d.as_str().to_string());
        }
    }
    if out.len() > MAX_DOMAINS {
        return Err(t.t1("tracking-error-too-many", "max", &MAX_DOMAINS.to_string()));
    }
    out.sort();
    Ok(out)
}

fn parse_operator(t: &Tr, raw: &str) -> Result<Option<String>, String> {
    let name = raw.trim();
    if name.chars().count() > MAX_OPERATOR_CHARS {
        return Err(t.t1(
            "tracking-error-operator-long",
            "max",
            &MAX_OPERATOR_CHARS.to_string(),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(t.t("tracking-error-operator-control"));
    }
    Ok((!name.is_empty()).then(|| name.to_string()))
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

/// What the page shows; `typed` holds the values of a refused submission.
async fn page(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    typed: Option<(String, String)>,
    errors: HashMap<&'static str, String>,
    saved: bool,
) -> Result<Response, PageError> {
    let t = user.tr;
    let tracking = keys::load(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    let (base, host) = base_url(state, headers);
    let script_url = format!("{base}/t/ondo.js");
    let (snippet, snippet_consent) = snippets(&t, &script_url, &tracking.site_key);
    let workspace_name = state.workspace.display_name.clone();
    let company = tracking
        .operator_name
        .clone()
        .unwrap_or_else(|| workspace_name.clone());
    let (domains, operator_name) = typed.unwrap_or_else(|| {
        (
            tracking
                .domains
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            tracking.operator_name.clone().unwrap_or_default(),
        )
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TrackingPage {
        c: Chrome::new(user, "tracking", "/settings/tracking"),
        t,
        site_key: tracking.site_key.clone(),
        script_url,
        snippet,
        snippet_consent,
        domains,
        operator_name,
        operator_placeholder: workspace_name,
        errors,
        saved,
        no_domains: tracking.domains.is_empty(),
        disclosure_ja: disclosure(Lang::Ja, &company, &host),
        disclosure_en: disclosure(Lang::En, &company, &host),
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /settings/tracking`.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    may_manage_tracking(&user)?;
    page(
        &state,
        &user,
        &headers,
        None,
        HashMap::new(),
        q.saved.is_some(),
    )
    .await
}

/// `POST /settings/tracking`: the allowed domains and the disclosure's company name.
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_manage_tracking(&user)?;
    let t = user.tr;
    super::check_form_csrf(&user, &v)?;
    let raw_domains = v.get("domains").cloned().unwrap_or_default();
    let raw_operator = v.get("operator_name").cloned().unwrap_or_default();
    let mut errors = HashMap::new();
    let domains = parse_domains(&t, &raw_domains)
        .map_err(|e| errors.insert("domains", e))
        .ok();
    let operator = parse_operator(&t, &raw_operator)
        .map_err(|e| errors.insert("operator_name", e))
        .ok();
    let (Some(domains), Some(operator)) = (domains, operator) else {
        return page(
            &state,
            &user,
            &headers,
            Some((raw_domains, raw_operator)),
            errors,
            false,
        )
        .await;
    };
    // The settings row exists once the page has been read; make sure of it anyway.
    keys::load(&state.db, user.workspace)
        .await
        .map_err(PageError::store(t))?;
    ondo_store::tracking::save(
        &state.db,
        user.workspace,
        &domains,
        operator.as_deref(),
        &ondo_store::Actor::user(user.user.id, "web"),
    )
    .await
    .map_err(PageError::store(t))?;
    tracing::info!(
        user = user.user.id,
        domains = domains.len(),
        "tracking settings saved"
    );
    Ok(Redirect::to("/settings/tracking?saved=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_read_line_by_line_naming_a_bad_line() {
        let t = Tr::new(Lang::En);
        let ok = parse_domains(
            &t,
            "https://www.Example.co.jp/products\n\nexample.co.jp\n例え.jp\n",
        )
        .expect("valid");
        assert_eq!(
            ok,
            vec!["example.co.jp", "www.example.co.jp", "xn--r8jz45g.jp"]
        );
        let err = parse_domains(&t, "example.jp\nnot a domain").expect_err("refused");
        assert_eq!(err, "Line 2 is not a domain name: 「not a domain」");
    }

    #[test]
    fn the_disclosure_names_the_company_and_the_server_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let text = disclosure(lang, "株式会社サンプル", "ondo.example.jp");
            assert!(text.contains("株式会社サンプル"), "{text}");
            assert!(text.contains("ondo.example.jp"), "{text}");
            assert!(text.contains("_ondo_vid"), "{text}");
            assert!(
                !text.contains("tracking-disclosure"),
                "a key is missing: {text}"
            );
        }
    }
}
