//! Outgoing email: a small trait in front of lettre's SMTP transport, so the code that
//! writes messages does not care how they leave (and campaigns can share it).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one SMTP conversation may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a message was not handed over, read from what the SMTP conversation gave: the
/// server's reply code when it answered (RFC 5321 §4.2.1: 5xx refuses for good, 4xx
/// for now), or how the conversation failed when it did not.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server answered a command with a negative reply: `code` is 4xx or 5xx.
    #[error("SMTP: the server answered {code}: {message}")]
    Refused { code: u16, message: String },
    /// No conversation took place (the server could not be reached, TLS could not be
    /// set up, the message could not be handed to the client): nothing was sent.
    #[error("SMTP: {0}")]
    NotSent(String),
    /// The conversation broke off or could not be read (a network error, a timeout, a
    /// reply that does not parse): the server may or may not have taken the message.
    #[error("SMTP: {0}")]
    Interrupted(String),
}

/// How an SMTP failure is to be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A 5xx reply: the server will not take this message for this address.
    Permanent,
    /// A 4xx reply, or no conversation at all: not sent; try again later.
    Temporary,
    /// The conversation broke off: the server may or may not have taken it.
    Uncertain,
}

impl MailError {
    /// The server's reply code, when it answered.
    pub fn reply_code(&self) -> Option<u16> {
        match self {
            MailError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// How this failure is to be treated: by the reply code's first digit when the
    /// server answered, otherwise by whether any of the message may have been taken.
    pub fn delivery(&self) -> Delivery {
        match self {
            MailError::Refused { code, .. } if (500..600).contains(code) => Delivery::Permanent,
            MailError::Refused { .. } | MailError::NotSent(_) => Delivery::Temporary,
            MailError::Interrupted(_) => Delivery::Uncertain,
        }
    }

    /// Reads lettre's error: its reply code when there is one; otherwise its kind.
    /// (lettre has no predicate for a failed connection; its words name the kind.)
    pub fn from_smtp(e: &lettre::transport::smtp::Error) -> MailError {
        let text = e.to_string();
        if let Some(code) = e.status() {
            let code = code
                .to_string()
                .parse::<u16>()
                .unwrap_or(if e.is_permanent() { 550 } else { 450 });
            let message = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| text.clone());
            return MailError::Refused { code, message };
        }
        let lower = text.to_ascii_lowercase();
        if e.is_tls()
            || e.is_client()
            || e.is_transport_shutdown()
            || lower.starts_with("connection error")
        {
            MailError::NotSent(text)
        } else {
            MailError::Interrupted(text)
        }
    }
}

/// A boxed future, so the trait can be used as `dyn Mailer`.
pub type MailFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Something that delivers a finished message.
pub trait Mailer: Send + Sync {
    /// Sends the message to its recipients.
    fn send(&self, message: Message) -> MailFuture<'_>;
    /// The sender address every message is from.
    fn from(&self) -> &Mailbox;
}

/// Mail settings that do not parse.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("the SMTP URL (ONDO_SMTP_URL) is not valid: {0}")]
    Url(String),
    #[error("the sender address (ONDO_SMTP_FROM) is not valid: {0}")]
    From(String),
}

/// Sends through an SMTP server given as a URL: `smtp://host:port` (plain, for a local
/// relay), `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://host:465`.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// Checks the URL and the sender address; connects only when sending.
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer, MailConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailConfigError::Url(format!("{}: {e}", redact(url))))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| MailConfigError::From(format!("{from:?}: {e}")))?;
        Ok(SmtpMailer { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, message: Message) -> MailFuture<'_> {
        Box::pin(async move {
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::from_smtp(&e))
        })
    }

    fn from(&self) -> &Mailbox {
        &self.from
    }
}

/// The SMTP URL without its password, for pages and logs: `smtp://host:port`.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("?");
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => "<unparseable SMTP URL>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_before_anything_is_sent() {
        assert!(SmtpMailer::new("smtp://127.0.0.1:2525", "Ondo <ondo@example.jp>").is_ok());
        assert!(matches!(
            SmtpMailer::new("http://127.0.0.1", "ondo@example.jp"),
            Err(MailConfigError::Url(_))
        ));
        assert!(matches!(
            SmtpMailer::new("smtp://127.0.0.1:2525", "not an address"),
            Err(MailConfigError::From(_))
        ));
    }

    #[test]
    fn failures_are_read_from_the_reply_code() {
        let refused = |code| MailError::Refused {
            code,
            message: "x".into(),
        };
        assert_eq!(refused(550).delivery(), Delivery::Permanent);
        assert_eq!(refused(554).delivery(), Delivery::Permanent);
        assert_eq!(refused(451).delivery(), Delivery::Temporary);
        assert_eq!(refused(421).delivery(), Delivery::Temporary);
        assert_eq!(refused(550).reply_code(), Some(550));
        assert_eq!(
            MailError::NotSent("Connection error: refused".into()).delivery(),
            Delivery::Temporary
        );
        assert_eq!(
            MailError::Interrupted("network error: reset".into()).delivery(),
            Delivery::Uncertain
        );
        assert_eq!(refused(550).to_string(), "SMTP: the server answered 550: x");
    }

    /// A server that cannot be reached: a temporary failure, nothing was sent.
    #[tokio::test]
    async fn a_server_that_cannot_be_reached_is_a_temporary_failure() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let mailer = SmtpMailer::new(
            &format!("smtp://127.0.0.1:{port}"),
            "Ondo <ondo@example.jp>",
        )
        .expect("mailer");
        let message = Message::builder()
            .from(mailer.from().clone())
            .to("a@example.jp".parse().expect("address"))
            .subject("x")
            .body("x".to_string())
            .expect("message");
        let e = mailer.send(message).await.expect_err("nobody listens");
        assert!(matches!(e, MailError::NotSent(_)), "{e:?}");
        assert_eq!(e.delivery(), Delivery::Temporary);
    }

    #[test]
    fn the_password_never_shows() {
        assert_eq!(
            redact("smtp://ondo:s3cret@mail.example.jp:587?tls=required"),
            "smtp://mail.example.jp:587"
        );
        assert!(!redact("smtps://u:s3cret@mail.example.jp").contains("s3cret"));
    }
}
