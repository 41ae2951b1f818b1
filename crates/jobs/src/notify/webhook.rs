//! Webhook delivery: one HTTP POST of a JSON body, signed for generic receivers with
//! HMAC-SHA256 over `timestamp + "." + body` (like Stripe and Slack sign theirs), so a
//! receiver can check that Ondo sent it and refuse replays of old timestamps.

use hmac::{Hmac, Mac};
use ondo_domain::Micros;
use sha2::Sha256;

/// The header carrying the Unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Ondo-Timestamp";
/// The header carrying `sha256=<hex HMAC(secret, timestamp + "." + body)>`.
pub const SIGNATURE_HEADER: &str = "X-Ondo-Signature";
/// The header naming the event (`lead.sales_ready`, `test`).
pub const EVENT_HEADER: &str = "X-Ondo-Event";

/// Longest webhook URL accepted.
pub const MAX_URL_LEN: usize = 2000;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Ondo-Signature` value of `body` sent at `timestamp` with `secret`.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Whether `header` is the signature of `body` at `timestamp` with `secret` (compared
/// in constant time): what a receiver does.
pub fn verify(secret: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&sig).is_ok()
}

/// A webhook URL that cannot be used, in words for the settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("enter the webhook URL")]
    Missing,
    #[error("the URL is too long")]
    TooLong,
    #[error("enter a URL starting with https:// or http://")]
    NotHttp,
}

/// Checks a webhook URL as typed: http(s) with a host.
pub fn check_url(raw: &str) -> Result<url::Url, UrlError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(UrlError::Missing);
    }
    if raw.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    let url = url::Url::parse(raw).map_err(|_| UrlError::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NotHttp);
    }
    Ok(url)
}

/// How a URL is shown once saved: scheme and host, and the last characters of the rest
/// (a Slack webhook URL is itself the credential).
pub fn masked(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let rest: String = u[url::Position::BeforePath..].to_string();
            let tail: String = {
                let chars: Vec<char> = rest.chars().collect();
                chars[chars.len().saturating_sub(4)..].iter().collect()
            };
            let host = u.host_str().unwrap_or("");
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            if rest.chars().count() > 8 {
                format!("{}://{host}{port}/…{tail}", u.scheme())
            } else {
                format!("{}://{host}{port}{rest}", u.scheme())
            }
        }
        Err(_) => "…".to_string(),
    }
}

/// Why a delivery did not go through; every one is worth a retry.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("HTTP {status} from {host}")]
    Status { status: u16, host: String },
    #[error("no answer from {host} in time")]
    Timeout { host: String },
    #[error("cannot reach {host}: {message}")]
    Unreachable { host: String, message: String },
}

/// Posts `body` to `url`; with a secret, signed. Answers other than 2xx, and no answer
/// within the client's timeout, are errors. The URL never appears in an error (it may be
/// a credential): only its host.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    event: &str,
    body: &serde_json::Value,
    secret: Option<&str>,
    now: Micros,
) -> Result<(), DeliveryError> {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    let bytes = serde_json::to_vec(body).expect("a JSON value always serialises");
    let timestamp = now.0.div_euclid(1_000_000).to_string();
    let mut req = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_HEADER, event)
        .header(TIMESTAMP_HEADER, &timestamp);
    if let Some(secret) = secret {
        req = req.header(SIGNATURE_HEADER, signature(secret, &timestamp, &bytes));
    }
    let resp = req.body(bytes).send().await.map_err(|e| {
        if e.is_timeout() {
            DeliveryError::Timeout { host: host.clone() }
        } else {
            DeliveryError::Unreachable {
                host: host.clone(),
                message: e.without_url().to_string(),
            }
        }
    })?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(DeliveryError::Status {
            status: status.as_u16(),
            host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' |
        //   openssl dgst -sha256 -hmac 'whsec_test' -hex
        let sig = signature("whsec_test", "1700000000", br#"{"a":1}"#);
        assert_eq!(sig, format!("sha256={}", EXPECTED));
        assert!(verify("whsec_test", "1700000000", br#"{"a":1}"#, &sig));
        assert!(!verify("whsec_test", "1700000001", br#"{"a":1}"#, &sig));
        assert!(!verify("other", "1700000000", br#"{"a":1}"#, &sig));
        assert!(!verify("whsec_test", "1700000000", br#"{"a":2}"#, &sig));
        assert!(!verify("whsec_test", "1700000000", br#"{"a":1}"#, "md5=00"));
    }

    const EXPECTED: &str = "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";

    #[test]
    fn urls_are_checked_and_shown_masked() {
        assert!(check_url("https://hooks.slack.com/services/T0/B0/abc").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert_eq!(check_url(" "), Err(UrlError::Missing));
        assert_eq!(check_url("javascript:alert(1)"), Err(UrlError::NotHttp));
        assert_eq!(check_url("ftp://example.jp/x"), Err(UrlError::NotHttp));
        assert_eq!(check_url("hooks.slack.com/x"), Err(UrlError::NotHttp));
        let shown = masked("https://hooks.slack.com/services/T000/B000/XXXXsecretWXYZ");
        assert_eq!(shown, "https://hooks.slack.com/…WXYZ");
        assert!(!shown.contains("secret"));
        assert_eq!(masked("http://127.0.0.1:9000/h"), "http://127.0.0.1:9000/h");
    }
}
