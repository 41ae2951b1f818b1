//! One step's message as it leaves: the rendered subject, a text part and an HTML part
//! made from the same text (escaped, links tracked, an open pixel), the law's footer in
//! both, and the headers of a one-click unsubscribe (RFC 8058).

use lettre::Message;
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use ondo_domain::campaign::{
    Recipient, Sender, TemplateError, footer_html, footer_text, render, replace_links,
    subject_line, text_to_html,
};
use ondo_domain::text::escape_html;
use ondo_domain::tracking::{EmailRef, TargetUrl, TrackingKey, click_url, open_pixel_url};

/// How the links of a message are made.
pub struct Links<'a> {
    /// Where Ondo is reached (`ONDO_PUBLIC_URL`).
    pub base: &'a str,
    pub workspace_id: i64,
    /// Tracking: the key and the sent message; `None` (a test message) keeps links as
    /// written and adds no pixel.
    pub tracking: Option<(&'a TrackingKey, EmailRef)>,
    /// The one-click unsubscribe address.
    pub unsubscribe_url: String,
}

impl Links<'_> {
    /// A link of the body as it goes out: a signed redirect when tracked (a target that
    /// cannot be tracked is left as written).
    fn link(&self, url: &str) -> String {
        match (&self.tracking, TargetUrl::parse(url)) {
            (Some((key, email)), Ok(target)) => {
                click_url(self.base, key, self.workspace_id, email, &target)
            }
            _ => url.to_string(),
        }
    }

    fn pixel(&self) -> Option<String> {
        self.tracking
            .as_ref()
            .map(|(key, email)| open_pixel_url(self.base, key, self.workspace_id, email))
    }
}

/// A message's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders a step for a recipient: subject, text and HTML parts with the footer.
pub fn parts(
    subject: &str,
    body: &str,
    recipient: &Recipient,
    sender: &Sender,
    links: &Links<'_>,
) -> Result<Parts, TemplateError> {
    let subject = subject_line(&render(subject, recipient)?);
    let body = render(body, recipient)?;
    let mut text = replace_links(&body, |u| links.link(u));
    text.push_str(&footer_text(sender, &links.unsubscribe_url));
    let pixel = links
        .pixel()
        .map(|src| {
            format!(
                "<img src=\"{}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0\">\n",
                escape_html(&src)
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family:sans-serif;line-height:1.6\">\n<div>{}</div>\n{}{}</body></html>\n",
        escape_html(&subject),
        text_to_html(&body, |u| links.link(u)),
        footer_html(sender, &links.unsubscribe_url),
        pixel,
    );
    Ok(Parts {
        subject,
        text,
        html,
    })
}

/// `List-Unsubscribe: <https://…/u/TOKEN>` (RFC 2369).
#[derive(Debug, Clone)]
pub struct ListUnsubscribe(pub String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(
            s.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string(),
        ))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
pub struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

/// A part in UTF-8: 7bit when ASCII, base64 otherwise (Japanese).
fn part(content_type: ContentType, text: String) -> SinglePart {
    let encoding = if text.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::Base64
    };
    SinglePart::builder()
        .header(content_type)
        .header(encoding)
        .body(text)
}

/// The message: From the sender, to the recipient, with its `Message-ID`, the
/// unsubscribe headers, and the text and HTML parts as alternatives.
pub fn message(
    parts: Parts,
    from: Mailbox,
    to: Mailbox,
    message_id: String,
    unsubscribe_url: &str,
) -> Result<Message, String> {
    Message::builder()
        .from(from)
        .to(to)
        .subject(parts.subject)
        .message_id(Some(message_id))
        .header(ListUnsubscribe(unsubscribe_url.to_string()))
        .header(ListUnsubscribePost)
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, parts.text))
                .singlepart(part(ContentType::TEXT_HTML, parts.html)),
        )
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ondo_domain::Micros;
    use ondo_domain::tracking::{Claims, verify};

    #[test]
    fn links_are_tracked_in_both_parts_and_the_footer_is_in_both() {
        let key = TrackingKey::from_bytes([3; 32]);
        let email = EmailRef {
            lead_id: 5,
            message_id: 77,
            sent_at: Micros(1_000),
        };
        let links = Links {
            base: "https://ondo.example.jp",
            workspace_id: 1,
            tracking: Some((&key, email)),
            unsubscribe_url: "https://ondo.example.jp/u/TOKEN".into(),
        };
        let sender = Sender {
            name: "株式会社オンド".into(),
            postal_address: "東京都千代田区1-1".into(),
        };
        let recipient = Recipient {
            name: "山田 <太郎>".into(),
            ..Default::default()
        };
        let p = parts(
            "{{name}} 様へのご案内",
            "{{name}} 様\n資料はこちら: https://example.jp/doc",
            &recipient,
            &sender,
            &links,
        )
        .expect("renders");
        assert_eq!(p.subject, "山田 <太郎> 様へのご案内");
        assert!(!p.text.contains("https://example.jp/doc"), "{}", p.text);
        let tracked = p
            .text
            .split_whitespace()
            .find(|w| w.contains("/t/c/"))
            .expect("a tracked link");
        let token = tracked.rsplit('/').next().expect("token");
        match verify(&key, token, Micros(2_000)).expect("signed").claims {
            Claims::Click { email: e, target } => {
                assert_eq!(e.message_id, 77);
                assert_eq!(target.as_str(), "https://example.jp/doc");
            }
            other => panic!("{other:?}"),
        }
        assert!(p.html.contains("山田 &lt;太郎&gt; 様"), "{}", p.html);
        assert!(p.html.contains("/t/o/"), "the pixel: {}", p.html);
        for part in [&p.text, &p.html] {
            assert!(part.contains("株式会社オンド"));
            assert!(part.contains("東京都千代田区1-1"));
            assert!(part.contains("https://ondo.example.jp/u/TOKEN"));
        }
    }
}
