//! Outgoing email: a small trait in front of lettre's SMTP transport, so the code that
//! writes messages does not care how they leave (and campaigns can share it).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one SMTP conversation may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server could not be reached or did not accept the message (worth a retry).
    #[error("SMTP: {0}")]
    Transport(String),
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
                .map_err(|e| MailError::Transport(e.to_string()))
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
    fn the_password_never_shows() {
        assert_eq!(
            redact("smtp://ondo:s3cret@mail.example.jp:587?tls=required"),
            "smtp://mail.example.jp:587"
        );
        assert!(!redact("smtps://u:s3cret@mail.example.jp").contains("s3cret"));
    }
}
