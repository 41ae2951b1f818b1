//! Step campaigns, the pure part: the rules of the templates people write (sandboxed
//! minijinja with a fixed set of placeholders), when a step is due (delays in days and an
//! optional send window in business hours), how a text body becomes its HTML part with
//! tracked links, the footer the law (特定電子メール法) asks of every message, and the
//! signed one-click unsubscribe token.
//!
//! An unsubscribe token has the shape of a tracking token (`base64url(payload).
//! base64url(mac)`) and is signed with the same workspace key, under its own context
//! string, so it can never verify as an open or click token nor the other way round.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::business_hours::{BusinessHours, is_business_day, jst_day_start};
use crate::error::DomainError;
use crate::status::LeadStatus;
use crate::text::escape_html;
use crate::time::Micros;
use crate::tracking::{MAC_BYTES, TokenError, TrackingKey, split_signed};

/// The placeholders a subject or body may use, e.g. `{{name}}`.
pub const PLACEHOLDERS: [&str; 6] = ["name", "company", "department", "title", "owner", "email"];
/// Longest campaign name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest subject template, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest body template, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Most steps in one campaign.
pub const MAX_STEPS: usize = 20;
/// Longest delay of a step, in days.
pub const MAX_DELAY_DAYS: i64 = 365;
/// Execution budget of one render: a loop in a template cannot run away.
const TEMPLATE_FUEL: u64 = 50_000;
/// Longest rendered text kept (a template cannot blow up a message).
const MAX_RENDERED_CHARS: usize = 100_000;

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Nothing to send.
    #[error("is empty")]
    Empty,
    /// Longer than the limit, in characters.
    #[error("is longer than {0} characters")]
    TooLong(usize),
    /// The template does not parse (minijinja's words).
    #[error("is not a valid template: {0}")]
    Syntax(String),
    /// A placeholder that is not in [`PLACEHOLDERS`].
    #[error("uses the unknown placeholder {{{{{0}}}}} (known: {list})", list = PLACEHOLDERS.join(", "))]
    UnknownPlaceholder(String),
    /// Rendering failed (a filter given the wrong value, the fuel ran out…).
    #[error("cannot be rendered: {0}")]
    Render(String),
}

/// A sandboxed environment: no loader (no includes or imports of files), no
/// auto-escaping (the body is text; its HTML part is escaped as a whole), undefined
/// values rendered empty, and a fuel limit.
fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_recursion_limit(50);
    env
}

/// The first line of a minijinja error, without its debug detail.
fn short_error(e: &minijinja::Error) -> String {
    let mut text = e.kind().to_string();
    if let Some(detail) = e.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    if let Some(line) = e.line() {
        text.push_str(&format!(" (line {line})"));
    }
    text
}

/// Checks a template as written: not blank, at most `max_chars`, parses, and uses only
/// the known placeholders.
pub fn check_template(source: &str, max_chars: usize) -> Result<(), TemplateError> {
    if source.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    if source.chars().count() > max_chars {
        return Err(TemplateError::TooLong(max_chars));
    }
    let env = environment();
    let template = env
        .template_from_str(source)
        .map_err(|e| TemplateError::Syntax(short_error(&e)))?;
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !PLACEHOLDERS.contains(&v.as_str()))
        .collect();
    unknown.sort();
    match unknown.into_iter().next() {
        Some(name) => Err(TemplateError::UnknownPlaceholder(name)),
        None => Ok(()),
    }
}

/// What the placeholders of one message stand for (empty when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipient {
    /// The lead's name.
    pub name: String,
    /// The lead's company.
    pub company: String,
    /// The lead's department.
    pub department: String,
    /// The lead's title.
    pub title: String,
    /// The display name of the lead's owner.
    pub owner: String,
    /// The address the message goes to.
    pub email: String,
}

impl Recipient {
    fn context(&self) -> BTreeMap<&'static str, &str> {
        BTreeMap::from([
            ("name", self.name.as_str()),
            ("company", self.company.as_str()),
            ("department", self.department.as_str()),
            ("title", self.title.as_str()),
            ("owner", self.owner.as_str()),
            ("email", self.email.as_str()),
        ])
    }
}

/// Renders a template for a recipient, as text.
pub fn render(source: &str, recipient: &Recipient) -> Result<String, TemplateError> {
    let env = environment();
    let out = env
        .render_str(source, recipient.context())
        .map_err(|e| TemplateError::Render(short_error(&e)))?;
    if out.chars().count() > MAX_RENDERED_CHARS {
        return Err(TemplateError::Render(format!(
            "the result is longer than {MAX_RENDERED_CHARS} characters"
        )));
    }
    Ok(out)
}

/// A subject as one header line: control characters and line breaks become spaces.
pub fn subject_line(rendered: &str) -> String {
    let cleaned: String = rendered
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// When a step may be sent: on business days (weekdays that are no public or year-end
/// holiday) between two minutes of the day, in JST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow(BusinessHours);

impl SendWindow {
    /// A window from minutes of the day; the start comes before the end (fields
    /// `window_start`, `window_end`).
    pub fn new(start_minute: i64, end_minute: i64) -> Result<SendWindow, DomainError> {
        BusinessHours::new(start_minute, end_minute)
            .map(SendWindow)
            .map_err(|e| {
                let field = if e.field() == "day_start_minute" {
                    "window_start"
                } else {
                    "window_end"
                };
                DomainError::invalid(field, e.message().to_string())
            })
    }

    /// A window from `HH:MM` texts, e.g. `09:00` and `18:00`.
    pub fn parse(start: &str, end: &str) -> Result<SendWindow, DomainError> {
        let start_minute = parse_hh_mm(start, "window_start", false)?;
        let end_minute = parse_hh_mm(end, "window_end", true)?;
        SendWindow::new(start_minute, end_minute)
    }

    /// The first minute of the day a message may leave.
    pub fn start_minute(&self) -> i64 {
        i64::from(self.0.start_minute())
    }

    /// The minute of the day from which no message leaves.
    pub fn end_minute(&self) -> i64 {
        i64::from(self.0.end_minute())
    }

    /// `at` itself when it lies inside the window, otherwise the window's next opening.
    pub fn next_opening(&self, at: Micros) -> Micros {
        let minute = Micros::minutes(1);
        let mut day_start = jst_day_start(at);
        // A year always has a business day; bound the walk all the same.
        for _ in 0..400 {
            let open = day_start.saturating_add(self.start_minute() * minute);
            let close = day_start.saturating_add(self.end_minute() * minute);
            if is_business_day(day_start.to_jst_date()) && at < close {
                return if at >= open { at } else { open };
            }
            day_start = jst_day_start(day_start.saturating_add(Micros::days(1) + Micros::hours(1)));
        }
        at
    }
}

/// `HH:MM` as minutes of the day; `24:00` only as an end.
pub fn parse_hh_mm(raw: &str, field: &'static str, end: bool) -> Result<i64, DomainError> {
    let bad = || DomainError::invalid(field, format!("must be a time like 09:00, not {raw:?}"));
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(0..60).contains(&m) || !(0..=24).contains(&h) || (h == 24 && (m != 0 || !end)) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// `HH:MM` of minutes of the day.
pub fn hh_mm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// When a step is due: `delay_days` after `from` (the enrolment, or the previous step's
/// sending), moved to the window's next opening when it has one.
pub fn due_at(from: Micros, delay_days: i64, window: Option<&SendWindow>) -> Micros {
    let due = from.saturating_add(Micros::days(delay_days.clamp(0, MAX_DELAY_DAYS)));
    match window {
        Some(w) => w.next_opening(due),
        None => due,
    }
}

/// Whether a lead in this status has left nurturing for sales: an enrolment ends when
/// its lead becomes sales-ready (SQL) or later.
pub fn ends_enrolment(status: LeadStatus) -> bool {
    matches!(
        status,
        LeadStatus::SalesReady | LeadStatus::Opportunity | LeadStatus::Won
    )
}

/// Where each link of a text starts and ends (byte offsets): `http://` or `https://`
/// up to whitespace, a quote or angle bracket, or Japanese punctuation, without trailing
/// punctuation.
pub fn find_links(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while from < text.len() {
        let next = ["http://", "https://"]
            .iter()
            .filter_map(|p| lower[from..].find(p).map(|i| from + i))
            .min();
        let Some(start) = next else { break };
        let mut end = start;
        for (i, c) in text[start..].char_indices() {
            if c.is_whitespace()
                || c.is_control()
                || !c.is_ascii()
                || matches!(
                    c,
                    '<' | '>' | '"' | '\'' | '`' | '{' | '}' | '|' | '\\' | '^'
                )
            {
                break;
            }
            end = start + i + c.len_utf8();
        }
        while end > start {
            let last = text[..end].chars().next_back().unwrap_or(' ');
            let unbalanced_paren = last == ')' && !text[start..end].contains('(');
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | ']') || unbalanced_paren {
                end -= 1;
            } else {
                break;
            }
        }
        let scheme_len = if lower[start..].starts_with("https://") {
            8
        } else {
            7
        };
        if end > start + scheme_len {
            out.push((start, end));
            from = end;
        } else {
            from = start + scheme_len;
        }
    }
    out
}

/// The text with each link replaced by what `link` makes of it (a tracked address).
pub fn replace_links(text: &str, mut link: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in find_links(text) {
        out.push_str(&text[last..start]);
        out.push_str(&link(&text[start..end]));
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The HTML of a text: every character escaped, line breaks kept, and each link made an
/// anchor whose address is what `link` makes of it (shown as the original address).
pub fn text_to_html(text: &str, mut link: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut last = 0;
    let push_text = |out: &mut String, s: &str| {
        out.push_str(&escape_html(s).replace("\r\n", "\n").replace('\n', "<br>\n"));
    };
    for (start, end) in find_links(text) {
        push_text(&mut out, &text[last..start]);
        let shown = &text[start..end];
        out.push_str(&format!(
            "<a href=\"{}\">{}</a>",
            escape_html(&link(shown)),
            escape_html(shown)
        ));
        last = end;
    }
    push_text(&mut out, &text[last..]);
    out
}

/// Who sends, as the law asks every message to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The sender's name (送信者の氏名又は名称).
    pub name: String,
    /// The sender's postal address (住所).
    pub postal_address: String,
}

impl Sender {
    /// Both the name and the postal address are given.
    pub fn is_complete(&self) -> bool {
        !self.name.trim().is_empty() && !self.postal_address.trim().is_empty()
    }
}

/// The footer of the text part: the unsubscribe link, the sender's name and postal
/// address, in Japanese and English.
pub fn footer_text(sender: &Sender, unsubscribe_url: &str) -> String {
    format!(
        "\n\n--\n配信停止 / Unsubscribe: {unsubscribe_url}\n送信者 / Sender: {}\n住所 / Address: {}\n",
        sender.name.trim(),
        one_paragraph(&sender.postal_address)
    )
}

/// The footer of the HTML part, with the same facts as [`footer_text`], escaped.
pub fn footer_html(sender: &Sender, unsubscribe_url: &str) -> String {
    format!(
        "<hr>\n<p style=\"font-size:12px;color:#555\">\
         配信停止 / Unsubscribe: <a href=\"{url}\">{url}</a><br>\n\
         送信者 / Sender: {name}<br>\n住所 / Address: {address}</p>\n",
        url = escape_html(unsubscribe_url),
        name = escape_html(sender.name.trim()),
        address = escape_html(&one_paragraph(&sender.postal_address)),
    )
}

/// Lines joined with spaces (a postal address typed on several lines).
fn one_paragraph(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Keeps a `Message-ID`'s tag apart from every other use of the workspace key.
const MESSAGE_ID_CONTEXT: &[u8] = b"ondo/message-id/v1\0";
/// Bytes of the MAC a `Message-ID` carries (as 16 hex digits).
const MESSAGE_ID_TAG_BYTES: usize = 8;

fn message_id_tag(
    key: &TrackingKey,
    workspace_id: i64,
    message_id: i64,
) -> [u8; MESSAGE_ID_TAG_BYTES] {
    let raw = URL_SAFE_NO_PAD
        .decode(key.to_base64())
        .expect("a key's own base64 decodes");
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&raw).expect("HMAC accepts a key of any length");
    mac.update(MESSAGE_ID_CONTEXT);
    let mut payload = Vec::with_capacity(20);
    put_varint(&mut payload, workspace_id);
    put_varint(&mut payload, message_id);
    mac.update(&payload);
    let full = mac.finalize().into_bytes();
    let mut tag = [0u8; MESSAGE_ID_TAG_BYTES];
    tag.copy_from_slice(&full[..MESSAGE_ID_TAG_BYTES]);
    tag
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Message-ID` of a step's message: made from its idempotency key (workspace and
/// message row), so the message is recognisable as the same one wherever it turns up,
/// and signed with the workspace's key, so a reply that names it (`In-Reply-To`,
/// `References`) can be trusted to answer this very message and no made-up header can
/// end another lead's enrolment: `<ondo.campaign.{ws}.{message}.{tag}@{host}>`.
pub fn message_id(key: &TrackingKey, workspace_id: i64, message_id: i64, host: &str) -> String {
    let host = if host.is_empty() { "localhost" } else { host };
    let tag = hex_of(&message_id_tag(key, workspace_id, message_id));
    format!("<ondo.campaign.{workspace_id}.{message_id}.{tag}@{host}>")
}

/// A campaign message named by a `Message-ID`, before its tag is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    /// The workspace whose key signed it.
    pub workspace_id: i64,
    /// The message row.
    pub message_id: i64,
    tag: Vec<u8>,
}

impl MessageRef {
    /// Reads a `Message-ID` Ondo made (angle brackets optional); `None` for any other.
    pub fn parse(raw: &str) -> Option<MessageRef> {
        let id = raw.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, _host) = id.split_once('@')?;
        let rest = local.strip_prefix("ondo.campaign.")?;
        let mut parts = rest.split('.');
        let workspace_id: i64 = parts.next()?.parse().ok()?;
        let message_id: i64 = parts.next()?.parse().ok()?;
        let tag_hex = parts.next()?;
        if parts.next().is_some()
            || workspace_id <= 0
            || message_id <= 0
            || tag_hex.len() != MESSAGE_ID_TAG_BYTES * 2
        {
            return None;
        }
        let tag = (0..tag_hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(tag_hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(MessageRef {
            workspace_id,
            message_id,
            tag,
        })
    }

    /// Whether the workspace's key signed it (compared in constant time).
    pub fn verify(&self, key: &TrackingKey) -> bool {
        let want = message_id_tag(key, self.workspace_id, self.message_id);
        self.tag.len() == want.len()
            && self
                .tag
                .iter()
                .zip(want.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Keeps an unsubscribe token from ever verifying as a tracking token.
const UNSUBSCRIBE_CONTEXT: &[u8] = b"ondo/unsubscribe/v1\0";
const UNSUBSCRIBE_VERSION: u8 = 1;
const KIND_UNSUBSCRIBE: u8 = b'u';

/// What an unsubscribe link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The workspace whose key signed it.
    pub workspace_id: i64,
    /// The lead who unsubscribes; 0 in a test message, which unsubscribes nobody.
    pub lead_id: i64,
    /// The message the link was in (0 for a test message).
    pub message_id: i64,
}

fn unsubscribe_mac(key: &TrackingKey, payload: &[u8]) -> Hmac<Sha256> {
    let raw = URL_SAFE_NO_PAD
        .decode(key.to_base64())
        .expect("a key's own base64 decodes");
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&raw).expect("HMAC accepts a key of any length");
    mac.update(UNSUBSCRIBE_CONTEXT);
    mac.update(payload);
    mac
}

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

fn take_varint(bytes: &mut &[u8]) -> Option<i64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v as i64);
        }
    }
    None
}

/// Signs an unsubscribe link's claims with the workspace's key.
pub fn sign_unsubscribe(key: &TrackingKey, claims: &Unsubscribe) -> String {
    let mut payload = vec![UNSUBSCRIBE_VERSION, KIND_UNSUBSCRIBE];
    put_varint(&mut payload, claims.workspace_id);
    put_varint(&mut payload, claims.lead_id);
    put_varint(&mut payload, claims.message_id);
    let tag = unsubscribe_mac(key, &payload).finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES])
    )
}

/// Checks an unsubscribe token's MAC in constant time and decodes it.
pub fn verify_unsubscribe(key: &TrackingKey, token: &str) -> Result<Unsubscribe, TokenError> {
    let (payload, tag) = split_signed(token)?;
    unsubscribe_mac(key, &payload)
        .verify_truncated_left(&tag)
        .map_err(|_| TokenError::BadSignature)?;
    let mut rest: &[u8] = &payload;
    let header = rest.get(..2).ok_or(TokenError::Malformed)?;
    if header != [UNSUBSCRIBE_VERSION, KIND_UNSUBSCRIBE] {
        return Err(TokenError::Malformed);
    }
    rest = &rest[2..];
    let workspace_id = take_varint(&mut rest).ok_or(TokenError::Malformed)?;
    let lead_id = take_varint(&mut rest).ok_or(TokenError::Malformed)?;
    let message_id = take_varint(&mut rest).ok_or(TokenError::Malformed)?;
    if !rest.is_empty() {
        return Err(TokenError::Malformed);
    }
    Ok(Unsubscribe {
        workspace_id,
        lead_id,
        message_id,
    })
}

/// The one-click unsubscribe address: `{base}/u/{token}`.
pub fn unsubscribe_url(base: &str, key: &TrackingKey, claims: &Unsubscribe) -> String {
    format!(
        "{}/u/{}",
        base.trim_end_matches('/'),
        sign_unsubscribe(key, claims)
    )
}

/// Most enrolment triggers of one campaign.
pub const MAX_TRIGGERS: usize = 20;

/// How a lead enters a campaign without anyone enrolling it by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// The lead's status changes to this one (e.g. on entering 育成中).
    EntersStatus(LeadStatus),
    /// A submission of this form reaches the lead.
    SubmitsForm(i64),
    /// The lead matches this saved segment (now, or later).
    InSegment(i64),
}

impl Trigger {
    /// The stable key of its kind: `status`, `form` or `segment`.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::EntersStatus(_) => "status",
            Trigger::SubmitsForm(_) => "form",
            Trigger::InSegment(_) => "segment",
        }
    }

    /// Reads a trigger from its kind and value (a status key, a form id, a segment id).
    /// A status a lead leaves nurturing by (SQL or later) cannot enrol anyone. The field
    /// named by an error is `type`, `status`, `form_id` or `segment_id`.
    pub fn parse(kind: &str, value: &str) -> Result<Trigger, DomainError> {
        let id = |field: &'static str| {
            value
                .trim()
                .trim_start_matches('#')
                .parse::<i64>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| DomainError::invalid(field, format!("must be an id, not {value:?}")))
        };
        match kind.trim() {
            "status" => {
                let status = LeadStatus::parse(value)?;
                if ends_enrolment(status) {
                    return Err(DomainError::invalid(
                        "status",
                        format!(
                            "must not be {}: a lead entering it has left nurturing and is \
                             never enrolled; choose new, nurturing or lost_dormant",
                            status.key()
                        ),
                    ));
                }
                Ok(Trigger::EntersStatus(status))
            }
            "form" => Ok(Trigger::SubmitsForm(id("form_id")?)),
            "segment" => Ok(Trigger::InSegment(id("segment_id")?)),
            other => Err(DomainError::invalid(
                "type",
                format!("must be status, form or segment, not {other:?}"),
            )),
        }
    }
}

/// Most bytes of a message's header section that are read.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;

/// Why a posted message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MailParseError {
    /// Nothing that looks like a header field.
    #[error(
        "no header fields were found: send the raw message (RFC 822: \"Name: value\" lines, \
         a blank line, the body)"
    )]
    NoHeaders,
    /// The header section does not end within [`MAX_HEADER_BYTES`].
    #[error("the header section is longer than {MAX_HEADER_BYTES} bytes")]
    TooLarge,
}

/// Where the header section of a raw message ends (after its blank line), if it does
/// within the bytes given.
pub fn header_section_end(raw: &[u8]) -> Option<usize> {
    let mut start = 0;
    while start < raw.len() {
        let end = raw[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map(|i| start + i + 1)?;
        let line = &raw[start..end];
        if line == b"\n" || line == b"\r\n" {
            return Some(end);
        }
        start = end;
    }
    None
}

/// The header fields of a message (RFC 5322), unfolded, in order; the body is not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailHeaders(Vec<(String, String)>);

impl MailHeaders {
    /// Reads the header section at the start of `raw` (up to the first blank line, or
    /// all of it). A leading mbox `From ` line is skipped; lines that are no field are
    /// ignored; bytes that are not UTF-8 are replaced.
    pub fn parse(raw: &[u8]) -> Result<MailHeaders, MailParseError> {
        let end = header_section_end(raw).unwrap_or(raw.len());
        if end > MAX_HEADER_BYTES {
            return Err(MailParseError::TooLarge);
        }
        let text = String::from_utf8_lossy(&raw[..end]);
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut open = false;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                break;
            }
            if i == 0 && line.starts_with("From ") {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                if open && let Some((_, value)) = fields.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            open = false;
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
                continue;
            }
            fields.push((name.to_string(), value.trim().to_string()));
            open = true;
        }
        if fields.is_empty() {
            return Err(MailParseError::NoHeaders);
        }
        Ok(MailHeaders(fields))
    }

    /// Every value of the field `name` (case does not matter), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of the field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The message ids a reply names as the messages it answers: `In-Reply-To` first,
    /// then `References` from the most recent, each once.
    pub fn replied_to(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |id: String| {
            if !out.contains(&id) {
                out.push(id);
            }
        };
        for v in self.all("In-Reply-To") {
            message_ids(v).into_iter().for_each(&mut add);
        }
        for v in self.all("References") {
            message_ids(v).into_iter().rev().for_each(&mut add);
        }
        out
    }

    /// Why the message is no person's answer, when it is an automatic one: an
    /// out-of-office or other auto-reply (RFC 3834 `Auto-Submitted`, `X-Autoreply`,
    /// `Precedence: auto_reply`), a bulk or list message, or a delivery report.
    pub fn automatic(&self) -> Option<&'static str> {
        let has = |name: &str| self.get(name).is_some();
        if self
            .get("Auto-Submitted")
            .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
        {
            return Some("auto_submitted");
        }
        if has("X-Autoreply") || has("X-Autorespond") || has("X-Auto-Reply") {
            return Some("auto_reply");
        }
        if let Some(p) = self.get("Precedence") {
            let p = p.trim().to_ascii_lowercase();
            if ["bulk", "junk", "list", "auto_reply"].contains(&p.as_str()) {
                return Some("bulk");
            }
        }
        if self.get("Content-Type").is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("multipart/report")
        }) {
            return Some("delivery_report");
        }
        if self.get("Return-Path").is_some_and(|r| r.trim() == "<>") {
            return Some("null_sender");
        }
        None
    }
}

/// The message ids in a header value: each `<…>`, or bare `local@host` words when a
/// mailer left the brackets out.
pub fn message_ids(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let id = rest[start + 1..start + len].trim();
        if !id.is_empty() {
            out.push(id.to_string());
        }
        rest = &rest[start + len + 1..];
    }
    if out.is_empty() {
        out = value
            .split([' ', '\t', ','])
            .map(str::trim)
            .filter(|w| w.contains('@'))
            .map(str::to_string)
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::{Claims, EmailRef, sign, verify};
    use proptest::prelude::*;

    fn jst(s: &str) -> Micros {
        Micros::parse_rfc3339(&format!("{s}+09:00")).expect("valid time")
    }

    fn recipient() -> Recipient {
        Recipient {
            name: "山田 太郎".into(),
            company: "株式会社サンプル".into(),
            owner: "佐藤".into(),
            ..Default::default()
        }
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_are_named() {
        let body = "{{name}} 様\n{{ company }}のご担当者様へ。担当: {{owner}}{{title}}";
        check_template(body, MAX_BODY_CHARS).expect("valid");
        assert_eq!(
            render(body, &recipient()).expect("renders"),
            "山田 太郎 様\n株式会社サンプルのご担当者様へ。担当: 佐藤"
        );
        assert_eq!(
            check_template("{{ nmae }} 様", 100),
            Err(TemplateError::UnknownPlaceholder("nmae".into()))
        );
        let e = check_template("{{ name ", 100).expect_err("syntax");
        assert!(matches!(e, TemplateError::Syntax(_)), "{e:?}");
        assert_eq!(check_template("  ", 100), Err(TemplateError::Empty));
        assert_eq!(check_template("あいう", 2), Err(TemplateError::TooLong(2)));
        assert!(
            TemplateError::UnknownPlaceholder("x".into())
                .to_string()
                .contains("{{x}}")
        );
    }

    #[test]
    fn templates_are_sandboxed() {
        // No files: include and import find nothing.
        assert!(render("{% include 'secret.txt' %}", &recipient()).is_err());
        // A runaway loop runs out of fuel.
        let e = render(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            &recipient(),
        )
        .expect_err("out of fuel");
        assert!(matches!(e, TemplateError::Render(_)));
        // Values are text: markup in a name stays as typed (the HTML part escapes it).
        let mut r = recipient();
        r.name = "<script>alert(1)</script>".into();
        assert_eq!(
            render("{{name}}", &r).expect("renders"),
            "<script>alert(1)</script>"
        );
        assert_eq!(subject_line("a\r\nBcc: x\tb"), "a Bcc: x b");
    }

    #[test]
    fn links_become_tracked_anchors_in_escaped_html() {
        let text =
            "資料: https://example.jp/a?x=1&y=2。詳しくは(https://example.jp/b).\n<b>太字</b>";
        assert_eq!(
            find_links(text)
                .iter()
                .map(|&(s, e)| &text[s..e])
                .collect::<Vec<_>>(),
            ["https://example.jp/a?x=1&y=2", "https://example.jp/b"]
        );
        let html = text_to_html(text, |u| format!("https://t.example/c?{}", u.len()));
        assert!(
            html.contains(
                "<a href=\"https://t.example/c?28\">https://example.jp/a?x=1&amp;y=2</a>"
            ),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;太字&lt;/b&gt;"), "{html}");
        assert!(html.contains("<br>"), "{html}");
        assert_eq!(
            replace_links("see http://a.example/x, ok", |_| "L".into()),
            "see L, ok"
        );
        assert!(find_links("http:// nothing").is_empty());
    }

    #[test]
    fn a_step_due_outside_its_window_waits_for_the_next_opening() {
        let w = SendWindow::parse("09:00", "18:00").expect("valid");
        // Friday 2026-11-20 20:00 → Monday 09:00 (11-23 is a holiday: Tuesday 09:00).
        assert_eq!(
            w.next_opening(jst("2026-11-20T20:00:00")),
            jst("2026-11-24T09:00:00")
        );
        // Inside: unchanged.
        let inside = jst("2026-11-19T10:30:00");
        assert_eq!(w.next_opening(inside), inside);
        // Early morning: 09:00 the same day.
        assert_eq!(
            w.next_opening(jst("2026-11-19T06:00:00")),
            jst("2026-11-19T09:00:00")
        );
        assert_eq!(
            due_at(jst("2026-11-19T17:00:00"), 1, Some(&w)),
            jst("2026-11-20T17:00:00")
        );
        assert_eq!(
            due_at(jst("2026-11-19T17:00:00"), 2, None),
            jst("2026-11-21T17:00:00")
        );
        assert_eq!(
            SendWindow::parse("18:00", "09:00").map_err(|e| e.field()),
            Err("window_end")
        );
        assert_eq!(
            SendWindow::parse("9am", "18:00").map_err(|e| e.field()),
            Err("window_start")
        );
        assert_eq!(hh_mm(w.end_minute()), "18:00");
    }

    #[test]
    fn the_footer_names_the_sender_and_the_unsubscribe_link() {
        let s = Sender {
            name: "株式会社オンド <Ondo>".into(),
            postal_address: "東京都千代田区1-1\n2F".into(),
        };
        assert!(s.is_complete());
        let text = footer_text(&s, "https://o.example/u/t");
        assert!(text.contains("配信停止 / Unsubscribe: https://o.example/u/t"));
        assert!(text.contains("住所 / Address: 東京都千代田区1-1 2F"));
        let html = footer_html(&s, "https://o.example/u/t");
        assert!(html.contains("株式会社オンド &lt;Ondo&gt;"), "{html}");
        assert!(
            !Sender {
                name: "x".into(),
                postal_address: " ".into()
            }
            .is_complete()
        );
        assert!(ends_enrolment(LeadStatus::SalesReady));
        assert!(!ends_enrolment(LeadStatus::LostDormant));
    }

    #[test]
    fn unsubscribe_tokens_are_signed_and_kept_apart_from_tracking_tokens() {
        let key = TrackingKey::from_bytes([7; 32]);
        let claims = Unsubscribe {
            workspace_id: 3,
            lead_id: 42,
            message_id: 9,
        };
        let token = sign_unsubscribe(&key, &claims);
        assert_eq!(verify_unsubscribe(&key, &token), Ok(claims));
        let other = TrackingKey::from_bytes([8; 32]);
        assert_eq!(
            verify_unsubscribe(&other, &token),
            Err(TokenError::BadSignature)
        );
        // A tracking token never passes as an unsubscribe token, nor the reverse.
        let open = sign(
            &key,
            3,
            &Claims::Open(EmailRef {
                lead_id: 42,
                message_id: 9,
                sent_at: Micros(1),
            }),
        );
        assert!(verify_unsubscribe(&key, &open).is_err());
        assert!(verify(&key, &token, Micros(0)).is_err());
        assert!(
            unsubscribe_url("https://o.example/", &key, &claims)
                .starts_with("https://o.example/u/")
        );
        let id = message_id(&key, 3, 9, "o.example");
        assert!(id.starts_with("<ondo.campaign.3.9."), "{id}");
        assert!(id.ends_with("@o.example>"), "{id}");
        assert_eq!(
            id,
            message_id(&key, 3, 9, "other.example").replace("other.example", "o.example")
        );
        let r = MessageRef::parse(&id).expect("ours");
        assert_eq!((r.workspace_id, r.message_id), (3, 9));
        assert!(r.verify(&key));
        assert!(!r.verify(&other), "another workspace's key");
        // Another message's number under this tag, or a changed tag, does not verify.
        let forged = id.replace(".3.9.", ".3.10.");
        assert!(!MessageRef::parse(&forged).expect("shape").verify(&key));
        for not_ours in [
            "<ondo.campaign.3.9@o.example>",
            "<CAF=abc@mail.gmail.com>",
            "<ondo.campaign.3.9.zz00000000000000@o.example>",
            "",
        ] {
            assert!(
                MessageRef::parse(not_ours).is_none_or(|r| !r.verify(&key)),
                "{not_ours}"
            );
        }
    }

    #[test]
    fn triggers_are_read_from_their_kind_and_value() {
        assert_eq!(
            Trigger::parse("status", "nurturing"),
            Ok(Trigger::EntersStatus(LeadStatus::Nurturing))
        );
        assert_eq!(Trigger::parse("form", " 12 "), Ok(Trigger::SubmitsForm(12)));
        assert_eq!(Trigger::parse("segment", "#3"), Ok(Trigger::InSegment(3)));
        assert_eq!(
            Trigger::parse("status", "sales_ready").map_err(|e| e.field()),
            Err("status")
        );
        assert_eq!(
            Trigger::parse("status", "nope").map_err(|e| e.field()),
            Err("status")
        );
        assert_eq!(
            Trigger::parse("form", "x").map_err(|e| e.field()),
            Err("form_id")
        );
        assert_eq!(
            Trigger::parse("segment", "0").map_err(|e| e.field()),
            Err("segment_id")
        );
        assert_eq!(
            Trigger::parse("webinar", "1").map_err(|e| e.field()),
            Err("type")
        );
        assert_eq!(Trigger::SubmitsForm(1).kind(), "form");
    }

    #[test]
    fn a_reply_names_the_messages_it_answers_and_auto_replies_are_known() {
        let raw = b"From sender@example.jp Mon Oct  5 10:00:00 2026\r\n\
            Return-Path: <taro@example.jp>\r\n\
            In-Reply-To: <ondo.campaign.1.5.00@o.example>\r\n\
            References: <first@x.example>\r\n\t<ondo.campaign.1.4.00@o.example>\r\n \
            <ondo.campaign.1.5.00@o.example>\r\n\
            Subject: =?UTF-8?B?UmU6?=\r\n\
            \r\n\
            In-Reply-To: <not-a-header@body>\r\n";
        let h = MailHeaders::parse(raw).expect("headers");
        assert_eq!(
            h.replied_to(),
            [
                "ondo.campaign.1.5.00@o.example",
                "ondo.campaign.1.4.00@o.example",
                "first@x.example"
            ]
        );
        assert_eq!(h.get("subject"), Some("=?UTF-8?B?UmU6?="));
        assert_eq!(h.automatic(), None);
        for auto in [
            "Auto-Submitted: auto-replied",
            "X-Autoreply: yes",
            "Precedence: bulk",
            "Content-Type: multipart/report; report-type=delivery-status",
            "Return-Path: <>",
        ] {
            let raw = format!("{auto}\nIn-Reply-To: <a@b>\n\nbody");
            let h = MailHeaders::parse(raw.as_bytes()).expect("headers");
            assert!(h.automatic().is_some(), "{auto}");
        }
        let person = MailHeaders::parse(b"Auto-Submitted: no\nIn-Reply-To: a@b\n").expect("h");
        assert_eq!(person.automatic(), None);
        assert_eq!(person.replied_to(), ["a@b"]);
        assert_eq!(
            MailHeaders::parse(b"just text\n\nbody"),
            Err(MailParseError::NoHeaders)
        );
        assert_eq!(MailHeaders::parse(b""), Err(MailParseError::NoHeaders));
        let huge = format!("X-Big: {}\n\n", "a".repeat(MAX_HEADER_BYTES));
        assert_eq!(
            MailHeaders::parse(huge.as_bytes()),
            Err(MailParseError::TooLarge)
        );
        assert_eq!(header_section_end(b"A: b\r\n\r\nbody"), Some(8));
        assert_eq!(header_section_end(b"A: b\r\n"), None);
    }

    proptest! {
        #[test]
        fn any_changed_character_is_refused(lead in 1i64..1_000_000, msg in 1i64..1_000_000, pos in any::<usize>()) {
            let key = TrackingKey::from_bytes([1; 32]);
            let token = sign_unsubscribe(&key, &Unsubscribe { workspace_id: 1, lead_id: lead, message_id: msg });
            let mut bytes = token.clone().into_bytes();
            let i = pos % bytes.len();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assume!(changed != token);
            prop_assert!(verify_unsubscribe(&key, &changed).is_err());
        }

        #[test]
        fn html_never_carries_raw_markup(s in "\\PC{0,80}") {
            let html = text_to_html(&s, |u| u.to_string());
            let stripped = html.replace("<br>", "").replace("<a href=\"", "").replace("\">", "").replace("</a>", "");
            prop_assert!(!stripped.contains('<'), "{}", html);
        }
    }
}
