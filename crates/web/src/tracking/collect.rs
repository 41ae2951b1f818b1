//! `POST /t/collect`: what the snippet sends from a page of the customer's site — a page
//! view or a document download by an anonymous visitor, optionally with the identify
//! token of a tracked email link. Sent as `text/plain` JSON, so browsers need no CORS
//! preflight; checked strictly, and recorded only for pages on the workspace's allowed
//! domains.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ondo_domain::Micros;
use ondo_domain::scoring::EventKind;
use ondo_domain::tracking::{
    Claims, IDENTIFY_PARAM, TargetUrl, VisitorId, looks_like_token, verify,
};
use ondo_jobs::scoring::{EventTarget, IncomingEvent};
use serde_json::{Map, Value};

use super::identify::{IdentifiedBy, identify_and_rescore};
use super::keys::{self, Tracking};
use super::throttle::EventThrottle;
use crate::auth::csrf::tokens_match;
use crate::error::ErrorBody;
use crate::state::AppState;

/// Largest beacon accepted: a long address, referrer and title with room to spare.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
const MAX_URL_CHARS: usize = 2048;
const MAX_TITLE_CHARS: usize = 300;
/// The fields a beacon may carry.
pub const FIELDS: [&str; 9] = [
    "site", "vid", "id", "type", "url", "referrer", "title", "target", "identify",
];

/// Why a beacon was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum CollectError {
    /// Not a JSON object.
    Body(String),
    /// A field is missing or wrong.
    Field {
        field: String,
        message: String,
    },
    /// The page is not on an allowed domain.
    Domain {
        field: &'static str,
        message: String,
    },
    TooLarge,
    TooMany,
    Internal,
}

fn field(field: &str, message: impl Into<String>) -> CollectError {
    CollectError::Field {
        field: field.to_string(),
        message: message.into(),
    }
}

impl IntoResponse for CollectError {
    fn into_response(self) -> Response {
        let (status, error, message, field) = match self {
            CollectError::Body(m) => (StatusCode::BAD_REQUEST, "bad_request", m, None),
            CollectError::Field { field, message } => (
                StatusCode::BAD_REQUEST,
                "invalid_field",
                message,
                Some(field),
            ),
            CollectError::Domain { field, message } => (
                StatusCode::FORBIDDEN,
                "domain_not_allowed",
                message,
                Some(field.to_string()),
            ),
            CollectError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("a beacon must be at most {MAX_BODY_BYTES} bytes"),
                None,
            ),
            CollectError::TooMany => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many events from this address; try again in a minute".to_string(),
                None,
            ),
            CollectError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred; it has been logged".to_string(),
                None,
            ),
        };
        with_cors(
            (
                status,
                Json(ErrorBody {
                    error,
                    message,
                    field,
                }),
            )
                .into_response(),
        )
    }
}

/// Any site may send a beacon (the allowed domains are checked per beacon), and no
/// credentials are involved.
fn with_cors(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `OPTIONS /t/collect`: a preflight, for senders that set another content type.
pub async fn preflight() -> Response {
    let mut resp = with_cors(StatusCode::NO_CONTENT.into_response());
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    resp
}

/// What a beacon reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeaconKind {
    PageView,
    Download,
}

/// A checked beacon.
#[derive(Debug)]
pub struct Beacon {
    pub site: String,
    pub vid: VisitorId,
    pub id: String,
    pub kind: BeaconKind,
    /// The page, without an identify token.
    pub url: url::Url,
    pub referrer: Option<String>,
    pub title: Option<String>,
    /// The document downloaded.
    pub target: Option<TargetUrl>,
    pub identify: Option<String>,
}

fn optional_string(o: &Map<String, Value>, name: &str) -> Result<Option<String>, CollectError> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(field(name, "must be a string")),
    }
}

fn required_string(o: &Map<String, Value>, name: &str) -> Result<String, CollectError> {
    optional_string(o, name)?.ok_or_else(|| field(name, "is required"))
}

fn web_url(name: &str, raw: &str) -> Result<url::Url, CollectError> {
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(field(
            name,
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    let u = url::Url::parse(raw).map_err(|e| field(name, format!("is not an address: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(field(name, "must be an http or https address"));
    }
    Ok(u)
}

/// The page address without the identify token, which must not be kept or shared.
fn without_identify(mut u: url::Url) -> url::Url {
    if u.query_pairs().any(|(k, _)| k == IDENTIFY_PARAM) {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| k != IDENTIFY_PARAM)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    u
}

/// Checks a beacon's body: a JSON object of known fields, each of the right shape.
pub fn parse(body: &[u8]) -> Result<Beacon, CollectError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| CollectError::Body(format!("the body must be a JSON object: {e}")))?;
    let Value::Object(o) = value else {
        return Err(CollectError::Body("the body must be a JSON object".into()));
    };
    if let Some(unknown) = o.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(field(
            unknown,
            format!("unknown field; known fields are {}", FIELDS.join(", ")),
        ));
    }
    let site = required_string(&o, "site")?;
    let vid =
        VisitorId::parse(&required_string(&o, "vid")?).map_err(|e| field("vid", e.message()))?;
    let id = required_string(&o, "id")?;
    if !((8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return Err(field(
            "id",
            "must be 8 to 64 characters of A-Z, a-z, 0-9, - and _",
        ));
    }
    let kind = match required_string(&o, "type")?.as_str() {
        "page_view" => BeaconKind::PageView,
        "download" => BeaconKind::Download,
        other => {
            return Err(field(
                "type",
                format!("must be page_view or download, not {other:?}"),
            ));
        }
    };
    let url = without_identify(web_url("url", &required_string(&o, "url")?)?);
    let referrer = optional_string(&o, "referrer")?
        .map(|r| web_url("referrer", &r).map(|u| u.to_string()))
        .transpose()?;
    let title = optional_string(&o, "title")?;
    if let Some(t) = &title {
        if t.chars().count() > MAX_TITLE_CHARS {
            return Err(field(
                "title",
                format!("must be at most {MAX_TITLE_CHARS} characters"),
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(field("title", "must not contain control characters"));
        }
    }
    let target = optional_string(&o, "target")?
        .map(|t| TargetUrl::parse(&t).map_err(|e| field("target", e.message())))
        .transpose()?;
    match (kind, &target) {
        (BeaconKind::Download, None) => {
            return Err(field("target", "is required for a download"));
        }
        (BeaconKind::PageView, Some(_)) => {
            return Err(field("target", "is only for a download"));
        }
        _ => {}
    }
    let identify = optional_string(&o, "identify")?;
    if identify.as_deref().is_some_and(|t| !looks_like_token(t)) {
        return Err(field("identify", "is not an identify token"));
    }
    Ok(Beacon {
        site,
        vid,
        id,
        kind,
        url,
        referrer,
        title,
        target,
        identify,
    })
}

/// The host of the page that sent the beacon, from `Origin` when the browser set one.
fn origin_host(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    if origin == "null" {
        return Some(Err(()));
    }
    Some(
        url::Url::parse(origin)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .ok_or(()),
    )
}

/// Refuses a beacon from a page outside the workspace's sites: the page's address and
/// the browser's `Origin` must both be on an allowed domain.
fn check_domain(
    tracking: &Tracking,
    beacon: &Beacon,
    headers: &HeaderMap,
) -> Result<(), CollectError> {
    if tracking.domains.is_empty() {
        return Err(CollectError::Domain {
            field: "url",
            message: "no site domain is allowed yet: add your site's domain on Ondo's \
                      tracking settings page (/settings/tracking)"
                .into(),
        });
    }
    let host = beacon.url.host_str().unwrap_or_default();
    if !tracking.allows(host) {
        return Err(CollectError::Domain {
            field: "url",
            message: format!("{host} is not among the allowed site domains"),
        });
    }
    match origin_host(headers) {
        Some(Ok(h)) if tracking.allows(&h) => Ok(()),
        Some(_) => Err(CollectError::Domain {
            field: "origin",
            message: "the page sending the beacon is not on an allowed site domain".into(),
        }),
        None => Ok(()),
    }
}

/// `POST /t/collect`.
pub async fn collect(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<EventThrottle>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match record(&state, &throttle, peer, &headers, body).await {
        Ok(()) => with_cors(StatusCode::NO_CONTENT.into_response()),
        Err(e) => e.into_response(),
    }
}

async fn record(
    state: &AppState,
    throttle: &EventThrottle,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<(), CollectError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| CollectError::TooLarge)?;
    let beacon = parse(&bytes)?;
    if !throttle.admit(peer.ip()) {
        return Err(CollectError::TooMany);
    }
    let ws = state.workspace.id();
    let tracking = keys::load(&state.db, ws).await.map_err(|e| {
        tracing::error!(error = %e, "tracking settings unreadable");
        CollectError::Internal
    })?;
    if !tokens_match(&beacon.site, &tracking.site_key) {
        return Err(field("site", "is not this Ondo's site key"));
    }
    check_domain(&tracking, &beacon, headers)?;

    // The visitor is named first, so the page view below lands on the lead at once.
    if let Some(token) = &beacon.identify {
        match verify(&tracking.key, token, Micros::now()) {
            Ok(t) if t.workspace_id == ws.0 => {
                if let Claims::Identify { lead_id, .. } = t.claims {
                    identify_and_rescore(
                        &state.db,
                        ws,
                        lead_id,
                        Some(&beacon.vid),
                        IdentifiedBy::EmailClick,
                    )
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "visitor identification failed");
                        CollectError::Internal
                    })?;
                }
            }
            // An old or altered link: the page view still counts, anonymously.
            _ => tracing::info!("identify token refused"),
        }
    }

    let event = incoming(&beacon, headers);
    state.events.submit(ws, vec![event]).await.map_err(|e| {
        tracing::error!(error = %e, "beacon not recorded");
        CollectError::Internal
    })?;
    Ok(())
}

fn incoming(beacon: &Beacon, headers: &HeaderMap) -> IncomingEvent {
    let page = beacon.url.to_string();
    let mut properties = Map::new();
    if let Some(t) = &beacon.title {
        properties.insert("title".into(), Value::String(t.clone()));
    }
    if let Some(r) = &beacon.referrer {
        properties.insert("referrer".into(), Value::String(r.clone()));
    }
    let (kind, url) = match (&beacon.kind, &beacon.target) {
        (BeaconKind::Download, Some(target)) => {
            properties.insert("page".into(), Value::String(page));
            (EventKind::Download, target.as_str().to_string())
        }
        _ => (EventKind::PageView, page),
    };
    IncomingEvent {
        key: format!("web:{}:{}", beacon.vid.as_str(), beacon.id),
        kind,
        at: Micros::now(),
        target: EventTarget::Visitor(beacon.vid.as_str().to_string()),
        url: Some(url),
        properties,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect()),
        sent_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beacon(extra: &str) -> String {
        format!(
            r#"{{"site":"k","vid":"0123456789abcdef0123","id":"ev123456","type":"page_view","url":"https://www.example.jp/p?a=1&ondo_id=x.y"{extra}}}"#
        )
    }

    fn field_of(body: &str) -> String {
        match parse(body.as_bytes()) {
            Err(CollectError::Field { field, .. }) => field,
            other => panic!("{body}: expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_page_view_parses_without_the_identify_token() {
        let b = parse(beacon(r#","title":"製品","referrer":"https://google.com/""#).as_bytes())
            .expect("valid");
        assert_eq!(b.url.as_str(), "https://www.example.jp/p?a=1");
        assert_eq!(b.title.as_deref(), Some("製品"));
        assert_eq!(b.kind, BeaconKind::PageView);
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(field_of(&beacon(r#","extra":1"#)), "extra");
        assert_eq!(field_of(&beacon(r#","title":5"#)), "title");
        assert_eq!(
            field_of(&beacon(r#","referrer":"javascript:x""#)),
            "referrer"
        );
        assert_eq!(
            field_of(&beacon(r#","target":"https://a.jp/x.pdf""#)),
            "target"
        );
        assert_eq!(field_of(&beacon(r#","identify":"<script>""#)), "identify");
        assert_eq!(
            field_of(&beacon("").replace("https://www.example.jp/p?a=1&ondo_id=x.y", "ftp://x/")),
            "url"
        );
        assert_eq!(
            field_of(&beacon("").replace("page_view", "purchase")),
            "type"
        );
        assert_eq!(
            field_of(&beacon("").replace("0123456789abcdef0123", "short")),
            "vid"
        );
        assert_eq!(field_of(&beacon("").replace("ev123456", "e")), "id");
        assert_eq!(
            field_of(&beacon("").replace("page_view", "download")),
            "target"
        );
        assert!(matches!(parse(b"[1]"), Err(CollectError::Body(_))));
        assert!(matches!(parse(b"not json"), Err(CollectError::Body(_))));
    }
}
