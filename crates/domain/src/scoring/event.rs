//! Behaviour types: what a lead did (opened an email, viewed a page, downloaded a document…).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{DomainError, quote};

/// Longest key a custom event type may have.
const MAX_CUSTOM_KEY_CHARS: usize = 40;

/// A behaviour type. Keys: "email_open","email_click","page_view","download","form_submit","webinar_attend"; any other key matching ^[a-z][a-z0-9_]{0,39}$ is Custom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A marketing email was opened.
    EmailOpen,
    /// A link in a marketing email was clicked.
    EmailClick,
    /// A page on the company's site was viewed.
    PageView,
    /// A document (white paper, brochure…) was downloaded.
    Download,
    /// A form (inquiry, request for a quote…) was submitted.
    FormSubmit,
    /// A webinar was attended.
    WebinarAttend,
    /// A workspace-defined type; holds its key, which must pass [`is_custom_key`] (build it with [`EventKind::parse`]).
    Custom(String),
}

impl EventKind {
    /// The built-in types, in the order they are listed to users.
    pub const BUILT_IN: [EventKind; 6] = [
        EventKind::EmailOpen,
        EventKind::EmailClick,
        EventKind::PageView,
        EventKind::Download,
        EventKind::FormSubmit,
        EventKind::WebinarAttend,
    ];

    /// Parses a type key (surrounding whitespace is ignored); field name `type`.
    pub fn parse(raw: &str) -> Result<EventKind, DomainError> {
        let key = raw.trim();
        if let Some(kind) = EventKind::BUILT_IN.iter().find(|k| k.key() == key) {
            return Ok(kind.clone());
        }
        if is_custom_key(key) {
            return Ok(EventKind::Custom(key.to_string()));
        }
        let built_in: Vec<&str> = EventKind::BUILT_IN.iter().map(EventKind::key).collect();
        Err(DomainError::invalid(
            "type",
            format!(
                "must be one of {}, or a custom type of lowercase letters, digits and _ \
                 starting with a letter (up to {MAX_CUSTOM_KEY_CHARS}); got {}",
                built_in.join(", "),
                quote(key)
            ),
        ))
    }

    /// Returns the stable key stored in the database and used in the API.
    pub fn key(&self) -> &str {
        match self {
            EventKind::EmailOpen => "email_open",
            EventKind::EmailClick => "email_click",
            EventKind::PageView => "page_view",
            EventKind::Download => "download",
            EventKind::FormSubmit => "form_submit",
            EventKind::WebinarAttend => "webinar_attend",
            EventKind::Custom(key) => key,
        }
    }

    /// Returns the Japanese label (a custom type is shown by its key).
    pub fn label_ja(&self) -> String {
        match self {
            EventKind::EmailOpen => "メール開封",
            EventKind::EmailClick => "メールのリンククリック",
            EventKind::PageView => "ページ閲覧",
            EventKind::Download => "資料ダウンロード",
            EventKind::FormSubmit => "フォーム送信",
            EventKind::WebinarAttend => "ウェビナー参加",
            EventKind::Custom(key) => key,
        }
        .to_string()
    }

    /// Returns the English label (a custom type is shown by its key).
    pub fn label_en(&self) -> String {
        match self {
            EventKind::EmailOpen => "Email open",
            EventKind::EmailClick => "Email click",
            EventKind::PageView => "Page view",
            EventKind::Download => "Download",
            EventKind::FormSubmit => "Form submission",
            EventKind::WebinarAttend => "Webinar attendance",
            EventKind::Custom(key) => key,
        }
        .to_string()
    }

    /// Returns true for a workspace-defined type.
    pub fn is_custom(&self) -> bool {
        matches!(self, EventKind::Custom(_))
    }
}

/// Returns true when `key` can name a custom type: `^[a-z][a-z0-9_]{0,39}$` and not a built-in key.
pub fn is_custom_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= MAX_CUSTOM_KEY_CHARS
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !EventKind::BUILT_IN.iter().any(|k| k.key() == key)
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for EventKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::parse(s)
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EventKind::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_keys_round_trip() {
        for kind in EventKind::BUILT_IN {
            assert_eq!(EventKind::parse(kind.key()), Ok(kind.clone()));
            assert!(!kind.is_custom());
        }
        assert_eq!(EventKind::parse("  page_view\n"), Ok(EventKind::PageView));
        assert_eq!(
            "form_submit".parse::<EventKind>(),
            Ok(EventKind::FormSubmit)
        );
    }

    #[test]
    fn other_well_formed_keys_are_custom() {
        assert_eq!(
            EventKind::parse("trial_signup"),
            Ok(EventKind::Custom("trial_signup".into()))
        );
        assert_eq!(EventKind::parse("a"), Ok(EventKind::Custom("a".into())));
        let forty = format!("a{}", "b".repeat(39));
        assert_eq!(
            EventKind::parse(&forty),
            Ok(EventKind::Custom(forty.clone()))
        );
        assert_eq!(EventKind::Custom("x1".into()).key(), "x1");
    }

    #[test]
    fn malformed_keys_are_rejected_with_the_allowed_form() {
        let forty_one = format!("a{}", "b".repeat(40));
        for raw in [
            "",
            "Page_View",
            "1st_visit",
            "_x",
            "visit-page",
            "閲覧",
            "a b",
            forty_one.as_str(),
        ] {
            let e = EventKind::parse(raw).expect_err(raw);
            assert_eq!(e.field(), "type");
            assert!(e.message().starts_with("must be one of email_open, email_click, page_view, download, form_submit, webinar_attend, or a custom type"), "{e}");
        }
        let e = EventKind::parse("Page-View").expect_err("dash");
        assert!(e.message().ends_with("got \"Page-View\""), "{e}");
    }

    #[test]
    fn labels_in_both_languages() {
        assert_eq!(EventKind::EmailOpen.label_ja(), "メール開封");
        assert_eq!(EventKind::EmailClick.label_ja(), "メールのリンククリック");
        assert_eq!(EventKind::PageView.label_ja(), "ページ閲覧");
        assert_eq!(EventKind::Download.label_ja(), "資料ダウンロード");
        assert_eq!(EventKind::FormSubmit.label_ja(), "フォーム送信");
        assert_eq!(EventKind::WebinarAttend.label_ja(), "ウェビナー参加");
        assert_eq!(EventKind::EmailOpen.label_en(), "Email open");
        assert_eq!(EventKind::FormSubmit.label_en(), "Form submission");
        assert_eq!(EventKind::WebinarAttend.label_en(), "Webinar attendance");
        let custom = EventKind::Custom("trial_signup".into());
        assert_eq!(custom.label_ja(), "trial_signup");
        assert_eq!(custom.label_en(), "trial_signup");
    }

    #[test]
    fn custom_key_check_excludes_built_ins() {
        assert!(is_custom_key("trial_signup"));
        assert!(!is_custom_key("page_view"));
        assert!(!is_custom_key("Trial"));
    }
}
