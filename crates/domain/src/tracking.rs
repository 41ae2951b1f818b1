//! Signed tracking tokens and the values the tracking snippet sends.
//!
//! A token is `base64url(payload).base64url(mac)`: the payload names the workspace and
//! what the link is for (an email's open pixel, a click on one of its links, or the
//! identification of a visitor who arrived from such a click), and the MAC is a
//! truncated HMAC-SHA256 under the workspace's secret. Nothing in a link can be changed
//! or guessed without the secret: no enumeration of leads, no open redirect.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{DomainError, quote};
use crate::time::Micros;

/// Bytes of HMAC-SHA256 kept in a token (128 bits).
pub const MAC_BYTES: usize = 16;
/// Bytes of a workspace's secret key.
pub const KEY_BYTES: usize = 32;
/// Longest click target accepted, in bytes (after percent-encoding).
pub const MAX_TARGET_BYTES: usize = 2048;
/// Longest token accepted before any decoding.
pub const MAX_TOKEN_CHARS: usize = 4096;
/// The query parameter that carries an identify token to the customer's site.
pub const IDENTIFY_PARAM: &str = "ondo_id";
/// How long a visitor may be identified from a clicked link, in days.
pub const IDENTIFY_TTL_DAYS: i64 = 7;

/// Keeps a token of one kind from ever verifying as another protocol's MAC.
const MAC_CONTEXT: &[u8] = b"ondo/tracking/v1\0";
const VERSION: u8 = 1;
const KIND_OPEN: u8 = b'o';
const KIND_CLICK: u8 = b'c';
const KIND_IDENTIFY: u8 = b'i';

/// A workspace's secret tracking key; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TrackingKey([u8; KEY_BYTES]);

impl fmt::Debug for TrackingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrackingKey(…)")
    }
}

impl TrackingKey {
    /// A key from its raw bytes (32 random bytes, made once per workspace).
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        TrackingKey(bytes)
    }

    /// The key as stored: base64url without padding.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Reads a stored key.
    pub fn from_base64(raw: &str) -> Result<Self, DomainError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim())
            .map_err(|_| DomainError::invalid("tracking_key", "is not base64url"))?;
        let bytes: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
            DomainError::invalid("tracking_key", format!("must be {KEY_BYTES} bytes"))
        })?;
        Ok(TrackingKey(bytes))
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC accepts a key of any length");
        mac.update(MAC_CONTEXT);
        mac.update(payload);
        mac
    }
}

/// Where a tracked click leads: an absolute `http` or `https` address, printable ASCII
/// (other characters are percent-encoded when parsed), without user info or backslashes
/// that would let a reader of the link mistake its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl(String);

impl TargetUrl {
    /// Checks a link target, percent-encoding characters outside printable ASCII.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        const FIELD: &str = "target";
        let mut s = String::with_capacity(raw.len());
        for c in raw.chars() {
            if c.is_ascii_control() || c == ' ' {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("contains a space or control character: {}", quote(raw)),
                ));
            }
            if c.is_ascii() {
                s.push(c);
            } else {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    s.push_str(&format!("%{b:02X}"));
                }
            }
        }
        if s.len() > MAX_TARGET_BYTES {
            return Err(DomainError::invalid(
                FIELD,
                format!("must be at most {MAX_TARGET_BYTES} bytes"),
            ));
        }
        if s.contains('\\') {
            return Err(DomainError::invalid(
                FIELD,
                format!("must not contain a backslash: {}", quote(raw)),
            ));
        }
        let lower = s.to_ascii_lowercase();
        let rest_at = if lower.starts_with("https://") {
            8
        } else if lower.starts_with("http://") {
            7
        } else {
            return Err(DomainError::invalid(
                FIELD,
                format!("must be an http or https address: {}", quote(raw)),
            ));
        };
        let authority = s[rest_at..]
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        if authority.contains('@') {
            return Err(DomainError::invalid(
                FIELD,
                format!("must not carry a user name or password: {}", quote(raw)),
            ));
        }
        let url = TargetUrl(s);
        if url.host().is_empty() {
            return Err(DomainError::invalid(
                FIELD,
                format!("has no host: {}", quote(raw)),
            ));
        }
        Ok(url)
    }

    /// The address, exactly as it will be redirected to.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host, lowercased, without port (IPv6 addresses keep their brackets).
    pub fn host(&self) -> String {
        let rest = self.0.split_once("://").map_or("", |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = if authority.starts_with('[') {
            authority
                .find(']')
                .map_or(authority, |end| &authority[..=end])
        } else {
            authority.split(':').next().unwrap_or_default()
        };
        host.to_ascii_lowercase()
    }

    /// The address with `name=value` added to its query, before any fragment. The
    /// value must already be URL-safe (a token is).
    pub fn with_param(&self, name: &str, value: &str) -> String {
        let (before, fragment) = match self.0.find('#') {
            Some(i) => self.0.split_at(i),
            None => (self.0.as_str(), ""),
        };
        let sep = if !before.contains('?') {
            "?"
        } else if before.ends_with('?') || before.ends_with('&') {
            ""
        } else {
            "&"
        };
        format!("{before}{sep}{name}={value}{fragment}")
    }
}

impl fmt::Display for TargetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One email sent to one lead, as its open pixel and tracked links name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailRef {
    /// The lead the email was sent to.
    pub lead_id: i64,
    /// The sent message (for campaigns to report on).
    pub message_id: i64,
    /// When it was sent: opens and clicks seconds later are a scanner's.
    pub sent_at: Micros,
}

/// What a token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claims {
    /// The open pixel of an email.
    Open(EmailRef),
    /// A link of an email, leading to `target`.
    Click {
        /// The email the link is in.
        email: EmailRef,
        /// Where the link leads.
        target: TargetUrl,
    },
    /// Names the visitor who followed a tracked link as the lead, until `expires_at`.
    Identify {
        /// The lead who clicked.
        lead_id: i64,
        /// After this time the token is refused.
        expires_at: Micros,
    },
}

/// A verified token: its workspace and claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The workspace whose key signed it.
    pub workspace_id: i64,
    /// What it is for.
    pub claims: Claims,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not two base64url parts, or a payload that does not decode.
    #[error("the token is malformed")]
    Malformed,
    /// The MAC does not match: changed, or signed with another key.
    #[error("the token's signature does not match")]
    BadSignature,
    /// An identify token past its expiry.
    #[error("the token has expired")]
    Expired,
}

/// Signs claims for a workspace with its key.
pub fn sign(key: &TrackingKey, workspace_id: i64, claims: &Claims) -> String {
    let payload = encode(workspace_id, claims);
    let tag = key.mac(&payload).finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES])
    )
}

/// A signed token's payload and MAC tag (`payload.tag`, both base64url), before the MAC
/// is checked: refused when too long, not two parts, not base64url or a tag of the wrong
/// length.
pub fn split_signed(token: &str) -> Result<(Vec<u8>, Vec<u8>), TokenError> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(TokenError::Malformed);
    }
    let (payload, tag) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| TokenError::Malformed)?;
    if tag.len() != MAC_BYTES {
        return Err(TokenError::Malformed);
    }
    Ok((payload, tag))
}

/// Checks a token's MAC in constant time and decodes it; an identify token must not
/// have expired at `now`.
pub fn verify(key: &TrackingKey, token: &str, now: Micros) -> Result<Token, TokenError> {
    let (payload, tag) = split_signed(token)?;
    key.mac(&payload)
        .verify_truncated_left(&tag)
        .map_err(|_| TokenError::BadSignature)?;
    let token = decode(&payload).ok_or(TokenError::Malformed)?;
    if let Claims::Identify { expires_at, .. } = token.claims
        && now.0 > expires_at.0
    {
        return Err(TokenError::Expired);
    }
    Ok(token)
}

/// Whether a string has the shape of a token, before any verification.
pub fn looks_like_token(raw: &str) -> bool {
    (8..=MAX_TOKEN_CHARS).contains(&raw.len())
        && raw.bytes().filter(|b| *b == b'.').count() == 1
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The open pixel's address for an email: `{base}/t/o/{token}`.
pub fn open_pixel_url(
    base: &str,
    key: &TrackingKey,
    workspace_id: i64,
    email: &EmailRef,
) -> String {
    let token = sign(key, workspace_id, &Claims::Open(*email));
    format!("{}/t/o/{token}", base.trim_end_matches('/'))
}

/// A tracked link's address for an email: `{base}/t/c/{token}`, redirecting to `target`.
pub fn click_url(
    base: &str,
    key: &TrackingKey,
    workspace_id: i64,
    email: &EmailRef,
    target: &TargetUrl,
) -> String {
    let claims = Claims::Click {
        email: *email,
        target: target.clone(),
    };
    format!(
        "{}/t/c/{}",
        base.trim_end_matches('/'),
        sign(key, workspace_id, &claims)
    )
}

/// A token that names a visitor as `lead_id` for [`IDENTIFY_TTL_DAYS`] from `now`.
pub fn identify_token(key: &TrackingKey, workspace_id: i64, lead_id: i64, now: Micros) -> String {
    let claims = Claims::Identify {
        lead_id,
        expires_at: now.saturating_add(Micros::days(IDENTIFY_TTL_DAYS)),
    };
    sign(key, workspace_id, &claims)
}

fn encode(workspace_id: i64, claims: &Claims) -> Vec<u8> {
    let mut out = vec![VERSION];
    let put_email = |out: &mut Vec<u8>, e: &EmailRef| {
        put_varint(out, e.lead_id);
        put_varint(out, e.message_id);
        put_varint(out, e.sent_at.0);
    };
    match claims {
        Claims::Open(e) => {
            out.push(KIND_OPEN);
            put_varint(&mut out, workspace_id);
            put_email(&mut out, e);
        }
        Claims::Click { email, target } => {
            out.push(KIND_CLICK);
            put_varint(&mut out, workspace_id);
            put_email(&mut out, email);
            out.extend_from_slice(target.as_str().as_bytes());
        }
        Claims::Identify {
            lead_id,
            expires_at,
        } => {
            out.push(KIND_IDENTIFY);
            put_varint(&mut out, workspace_id);
            put_varint(&mut out, *lead_id);
            put_varint(&mut out, expires_at.0);
        }
    }
    out
}

fn decode(payload: &[u8]) -> Option<Token> {
    let mut r = Reader(payload);
    if r.byte()? != VERSION {
        return None;
    }
    let kind = r.byte()?;
    let workspace_id = r.varint()?;
    let claims = match kind {
        KIND_OPEN => Claims::Open(r.email()?),
        KIND_CLICK => {
            let email = r.email()?;
            let target = std::str::from_utf8(r.rest()).ok()?;
            let target = TargetUrl::parse(target).ok()?;
            Claims::Click { email, target }
        }
        KIND_IDENTIFY => Claims::Identify {
            lead_id: r.varint()?,
            expires_at: Micros(r.varint()?),
        },
        _ => return None,
    };
    r.0.is_empty().then_some(Token {
        workspace_id,
        claims,
    })
}

/// LEB128 of the value's two's-complement bits.
fn put_varint(out: &mut Vec<u8>, v: i64) {
    let mut v = v as u64;
    loop {
        let low = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    fn varint(&mut self) -> Option<i64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Some(v as i64);
            }
        }
        None
    }

    fn email(&mut self) -> Option<EmailRef> {
        Some(EmailRef {
            lead_id: self.varint()?,
            message_id: self.varint()?,
            sent_at: Micros(self.varint()?),
        })
    }

    fn rest(&mut self) -> &[u8] {
        std::mem::take(&mut self.0)
    }
}

/// The anonymous id the tracking snippet keeps in a first-party cookie: 16 to 64
/// characters of `A-Z a-z 0-9 - _`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VisitorId(String);

impl VisitorId {
    /// Checks a visitor id sent by a browser.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let ok = (16..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(VisitorId(raw.to_string()))
        } else {
            Err(DomainError::invalid(
                "vid",
                format!(
                    "must be 16 to 64 characters of A-Z, a-z, 0-9, - and _: {}",
                    quote(raw)
                ),
            ))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A site domain the snippet may report from: a lowercase ASCII host name (IDN in
/// punycode) or an IPv4 address. It also covers its subdomains.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SiteDomain(String);

impl SiteDomain {
    /// Longest domain, as DNS allows.
    pub const MAX_CHARS: usize = 253;

    /// Checks a domain (case-insensitive; a trailing dot is dropped).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        const FIELD: &str = "domains";
        let s = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if s.is_empty() {
            return Err(DomainError::invalid(FIELD, "is empty"));
        }
        if s.len() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                FIELD,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if !s.split('.').all(label_ok) {
            return Err(DomainError::invalid(
                FIELD,
                format!("is not a domain name: {}", quote(raw)),
            ));
        }
        Ok(SiteDomain(s))
    }

    /// The domain.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `host` (lowercase) is this domain or one of its subdomains.
    pub fn covers(&self, host: &str) -> bool {
        host == self.0
            || host
                .strip_suffix(self.0.as_str())
                .is_some_and(|head| head.ends_with('.'))
    }
}

/// Whether any of `domains` covers `host` (compared case-insensitively).
pub fn host_allowed(domains: &[SiteDomain], host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    domains.iter().any(|d| d.covers(&host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(n: u8) -> TrackingKey {
        TrackingKey::from_bytes([n; KEY_BYTES])
    }

    fn email() -> EmailRef {
        EmailRef {
            lead_id: 42,
            message_id: 7,
            sent_at: Micros(1_767_225_600_000_000),
        }
    }

    fn target(s: &str) -> TargetUrl {
        TargetUrl::parse(s).expect("valid target")
    }

    #[test]
    fn each_kind_round_trips() {
        let now = Micros(1_767_225_600_000_000);
        let k = key(1);
        for claims in [
            Claims::Open(email()),
            Claims::Click {
                email: email(),
                target: target("https://www.example.co.jp/case/1?utm=mail#top"),
            },
            Claims::Identify {
                lead_id: 42,
                expires_at: now.saturating_add(Micros::days(1)),
            },
        ] {
            let t = sign(&k, 3, &claims);
            assert!(looks_like_token(&t), "{t}");
            let v = verify(&k, &t, now).expect("verifies");
            assert_eq!(v.workspace_id, 3);
            assert_eq!(v.claims, claims);
        }
    }

    #[test]
    fn another_key_or_a_changed_byte_is_refused() {
        let now = Micros::now();
        let t = sign(&key(1), 1, &Claims::Open(email()));
        assert_eq!(verify(&key(2), &t, now), Err(TokenError::BadSignature));
        // Another lead id in the payload, the MAC kept.
        let (_, tag) = t.split_once('.').expect("two parts");
        let other = EmailRef {
            lead_id: 43,
            ..email()
        };
        let forged_payload = sign(&key(9), 1, &Claims::Open(other));
        let forged = format!("{}.{tag}", forged_payload.split_once('.').expect("parts").0);
        assert_eq!(verify(&key(1), &forged, now), Err(TokenError::BadSignature));
        for bad in ["", ".", "abc", "a.b.c", "!!!.abc", &format!("{t}x")] {
            assert!(verify(&key(1), bad, now).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_identify_token_expires() {
        let k = key(1);
        let now = Micros(1_767_225_600_000_000);
        let t = identify_token(&k, 1, 5, now);
        assert!(verify(&k, &t, now.saturating_add(Micros::days(6))).is_ok());
        assert_eq!(
            verify(&k, &t, now.saturating_add(Micros::days(8))),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn urls_carry_the_token_under_the_base() {
        let k = key(1);
        let pixel = open_pixel_url("https://ondo.example.jp/", &k, 1, &email());
        let token = pixel
            .strip_prefix("https://ondo.example.jp/t/o/")
            .expect("pixel path");
        assert_eq!(
            verify(&k, token, Micros::now()).expect("valid").claims,
            Claims::Open(email())
        );
        let link = click_url(
            "https://ondo.example.jp",
            &k,
            1,
            &email(),
            &target("https://example.jp/a"),
        );
        assert!(link.starts_with("https://ondo.example.jp/t/c/"), "{link}");
    }

    #[test]
    fn targets_are_http_with_a_plain_host() {
        assert_eq!(target("HTTPS://Example.JP:8443/x?y=1").host(), "example.jp");
        assert_eq!(target("http://[::1]:8080/").host(), "[::1]");
        assert_eq!(
            target("https://例え.jp/資料").as_str(),
            "https://%E4%BE%8B%E3%81%88.jp/%E8%B3%87%E6%96%99"
        );
        for bad in [
            "javascript:alert(1)",
            "//evil.example/",
            "https:/\\evil.example",
            "https://good.example@evil.example/",
            "https://",
            "https:///path",
            "ftp://example.jp/",
            "https://example.jp/a b",
            "https://example.jp/\r\nSet-Cookie: x=1",
            "data:text/html,hi",
        ] {
            assert!(TargetUrl::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("https://example.jp/{}", "a".repeat(MAX_TARGET_BYTES));
        assert!(TargetUrl::parse(&long).is_err());
    }

    #[test]
    fn a_parameter_goes_before_the_fragment() {
        assert_eq!(
            target("https://a.jp/p").with_param("ondo_id", "T"),
            "https://a.jp/p?ondo_id=T"
        );
        assert_eq!(
            target("https://a.jp/p?x=1#f").with_param("ondo_id", "T"),
            "https://a.jp/p?x=1&ondo_id=T#f"
        );
        assert_eq!(
            target("https://a.jp/p?").with_param("ondo_id", "T"),
            "https://a.jp/p?ondo_id=T"
        );
    }

    #[test]
    fn visitor_ids_and_domains() {
        assert!(VisitorId::parse("0123456789abcdef0123456789abcdef").is_ok());
        for bad in ["short", "has space 012345678", "../../etc/passwd/xx", ""] {
            assert_eq!(VisitorId::parse(bad).expect_err("refused").field(), "vid");
        }
        let d = SiteDomain::parse(" Example.CO.jp. ").expect("domain");
        assert_eq!(d.as_str(), "example.co.jp");
        assert!(d.covers("example.co.jp"));
        assert!(d.covers("www.example.co.jp"));
        assert!(!d.covers("badexample.co.jp"));
        assert!(!d.covers("example.co.jp.evil.example"));
        assert!(SiteDomain::parse("localhost").is_ok());
        assert!(SiteDomain::parse("127.0.0.1").is_ok());
        for bad in [
            "https://example.jp/",
            "exa mple.jp",
            "-a.jp",
            "a..jp",
            "例え.jp",
        ] {
            assert!(SiteDomain::parse(bad).is_err(), "{bad:?}");
        }
        assert!(host_allowed(&[d], "WWW.example.co.jp"));
    }

    fn any_claims() -> impl Strategy<Value = Claims> {
        let email = (any::<i64>(), any::<i64>(), any::<i64>()).prop_map(|(l, m, s)| EmailRef {
            lead_id: l,
            message_id: m,
            sent_at: Micros(s),
        });
        prop_oneof![
            email.clone().prop_map(Claims::Open),
            (
                email,
                "https?://[a-z0-9.-]{1,30}(/[a-zA-Z0-9._~%?&=#-]{0,60})?"
            )
                .prop_filter_map("a valid target", |(email, t)| TargetUrl::parse(&t)
                    .ok()
                    .map(|target| Claims::Click { email, target })),
            (any::<i64>(), 0i64..i64::MAX).prop_map(|(l, e)| Claims::Identify {
                lead_id: l,
                expires_at: Micros(e),
            }),
        ]
    }

    proptest! {
        #[test]
        fn signed_claims_round_trip(ws in any::<i64>(), claims in any_claims(), k in any::<[u8; 32]>()) {
            let key = TrackingKey::from_bytes(k);
            let t = sign(&key, ws, &claims);
            let v = verify(&key, &t, Micros(0)).expect("own token verifies");
            prop_assert_eq!(v.workspace_id, ws);
            prop_assert_eq!(v.claims, claims);
        }

        #[test]
        fn any_bit_flip_is_refused(claims in any_claims(), k in any::<[u8; 32]>(), bit in any::<usize>()) {
            let key = TrackingKey::from_bytes(k);
            let t = sign(&key, 1, &claims);
            let (payload, tag) = t.split_once('.').expect("two parts");
            let mut p = URL_SAFE_NO_PAD.decode(payload).expect("payload");
            let mut m = URL_SAFE_NO_PAD.decode(tag).expect("mac");
            let total = (p.len() + m.len()) * 8;
            let bit = bit % total;
            if bit < p.len() * 8 {
                p[bit / 8] ^= 1 << (bit % 8);
            } else {
                let b = bit - p.len() * 8;
                m[b / 8] ^= 1 << (b % 8);
            }
            let flipped = format!("{}.{}", URL_SAFE_NO_PAD.encode(&p), URL_SAFE_NO_PAD.encode(&m));
            prop_assert!(verify(&key, &flipped, Micros(0)).is_err());
        }

        #[test]
        fn another_key_is_refused(claims in any_claims(), a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            prop_assume!(a != b);
            let t = sign(&TrackingKey::from_bytes(a), 1, &claims);
            prop_assert_eq!(
                verify(&TrackingKey::from_bytes(b), &t, Micros(0)),
                Err(TokenError::BadSignature)
            );
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,200}") {
            let _ = verify(&key(1), &s, Micros(0));
        }
    }
}
