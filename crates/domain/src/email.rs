//! Email addresses, normalised to lowercase ASCII.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::{DomainError, quote};
use crate::free_mail::is_free_mail_domain;

const FIELD: &str = "email";

/// A syntactically valid, lowercased email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an email address (full-width, `<...>`, `mailto:` and case tolerated).
    ///
    /// Also accepts the `Display Name <user@example.com>` form and keeps only the address.
    /// Dots are allowed anywhere in the local part, because old Japanese carrier
    /// addresses such as `taro..yamada.@docomo.ne.jp` are still in use.
    pub fn parse(raw: &str) -> Result<Email, DomainError> {
        let nfkc: String = raw.nfkc().collect();
        let mut s = nfkc.trim();
        if s.ends_with('>')
            && let Some(open) = s.rfind('<')
        {
            s = s[open + 1..s.len() - 1].trim();
        }
        if s.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
        {
            s = s[7..].trim();
            if let Some((addr, _query)) = s.split_once('?') {
                s = addr;
            }
        }
        if s.is_empty() {
            return Err(DomainError::invalid(FIELD, "is required"));
        }
        let address = s.to_lowercase();
        match check(&address) {
            Ok(()) => Ok(Email(address)),
            Err(reason) => Err(DomainError::invalid(
                FIELD,
                format!(
                    "is not a valid email address: {} ({reason})",
                    quote(raw.trim())
                ),
            )),
        }
    }

    /// Returns the normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the part after `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }

    /// Returns the part before `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(l, _)| l)
    }

    /// Returns true if the address belongs to a free or carrier mail provider.
    pub fn is_free_mail(&self) -> bool {
        is_free_mail_domain(self.domain())
    }
}

/// Checks a lowercased address, returning a short reason on failure.
fn check(address: &str) -> Result<(), &'static str> {
    if address.chars().any(char::is_whitespace) {
        return Err("contains whitespace");
    }
    if !address.is_ascii() {
        return Err("contains non-ASCII characters");
    }
    if address.len() > 254 {
        return Err("longer than 254 characters");
    }
    let (local, domain) = match address.split_once('@') {
        None => return Err("missing \"@\""),
        Some((_, d)) if d.contains('@') => return Err("more than one \"@\""),
        Some(parts) => parts,
    };
    if local.is_empty() {
        return Err("nothing before \"@\"");
    }
    if local.len() > 64 {
        return Err("part before \"@\" is longer than 64 characters");
    }
    if local.chars().all(|c| c == '.') {
        return Err("part before \"@\" has no letters");
    }
    if !local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
    {
        return Err("invalid character before \"@\"");
    }
    check_domain(domain)
}

/// Checks the domain part of an address.
fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() {
        return Err("nothing after \"@\"");
    }
    if !domain.contains('.') {
        return Err("domain has no dot");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err("domain has an empty label");
        }
        if label.len() > 63 {
            return Err("domain label longer than 63 characters");
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("invalid character in domain");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("domain label starts or ends with \"-\"");
        }
    }
    let tld = labels.last().copied().unwrap_or("");
    if tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_lowercase()) {
        return Err("top-level domain must be at least two letters");
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    fn ok(raw: &str) -> String {
        match Email::parse(raw) {
            Ok(e) => e.as_str().to_string(),
            Err(e) => panic!("{raw:?} should parse: {e}"),
        }
    }

    fn err(raw: &str) -> DomainError {
        match Email::parse(raw) {
            Ok(e) => panic!("{raw:?} should be rejected, got {e}"),
            Err(e) => e,
        }
    }

    #[test]
    fn plain_addresses() {
        assert_eq!(ok("taro.yamada@example.co.jp"), "taro.yamada@example.co.jp");
        assert_eq!(ok("Taro.Yamada@Example.CO.JP"), "taro.yamada@example.co.jp");
        assert_eq!(
            ok("  info+lead@sakata-seed.co.jp \n"),
            "info+lead@sakata-seed.co.jp"
        );
    }

    #[test]
    fn full_width_input() {
        assert_eq!(
            ok("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ"),
            "taro@example.co.jp"
        );
        assert_eq!(ok("TARO＠EXAMPLE.JP"), "taro@example.jp");
    }

    #[test]
    fn wrappers_are_stripped() {
        assert_eq!(ok("<taro@example.jp>"), "taro@example.jp");
        assert_eq!(ok("mailto:taro@example.jp"), "taro@example.jp");
        assert_eq!(ok("MAILTO:Taro@Example.jp?subject=hi"), "taro@example.jp");
        assert_eq!(ok("<mailto:taro@example.jp>"), "taro@example.jp");
        assert_eq!(ok("山田 太郎 <taro@example.jp>"), "taro@example.jp");
    }

    #[test]
    fn japanese_carrier_addresses_with_odd_dots() {
        assert_eq!(
            ok("taro..yamada.@docomo.ne.jp"),
            "taro..yamada.@docomo.ne.jp"
        );
    }

    #[test]
    fn rejects_invalid() {
        for raw in [
            "foo",
            "foo@",
            "@example.jp",
            "a@b@example.jp",
            "taro@example",
            "taro@example.c",
            "taro@example.123",
            "taro@-example.jp",
            "taro@example-.jp",
            "taro@exa_mple.jp",
            "taro@example..jp",
            "taro@.example.jp",
            "taro yamada@example.jp",
            "山田@example.jp",
            "taro@例え.jp",
            "...@example.jp",
            "taro@example.jp.",
        ] {
            let e = err(raw);
            assert_eq!(e.field(), "email", "{raw}");
            assert!(
                e.message().starts_with("is not a valid email address: "),
                "{e}"
            );
        }
        assert_eq!(err("   ").message(), "is required");
    }

    #[test]
    fn error_message_quotes_input() {
        let e = err("foo");
        assert_eq!(
            e.to_string(),
            "email: is not a valid email address: \"foo\" (missing \"@\")"
        );
    }

    #[test]
    fn length_limits() {
        let local64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local64}@example.jp")).is_ok());
        assert!(Email::parse(&format!("a{local64}@example.jp")).is_err());
        let long_domain = format!("{}.jp", vec!["b".repeat(60); 5].join("."));
        assert!(Email::parse(&format!("a@{long_domain}")).is_err());
    }

    #[test]
    fn accessors() {
        let e = Email::parse("Sales@Mail.Example.co.jp").expect("valid");
        assert_eq!(e.domain(), "mail.example.co.jp");
        assert_eq!(e.local_part(), "sales");
        assert_eq!(e.to_string(), "sales@mail.example.co.jp");
        assert!(!e.is_free_mail());
        assert!(
            Email::parse("taro@gmail.com")
                .expect("valid")
                .is_free_mail()
        );
        assert!(
            Email::parse("taro@i.softbank.jp")
                .expect("valid")
                .is_free_mail()
        );
        assert!(
            !Email::parse("taro@notgmail.com")
                .expect("valid")
                .is_free_mail()
        );
    }

    #[test]
    fn deserialize_parses() {
        let d: StrDeserializer<'_, DeError> = "Taro@Example.JP".into_deserializer();
        assert_eq!(
            Email::deserialize(d).expect("valid").as_str(),
            "taro@example.jp"
        );
        let d: StrDeserializer<'_, DeError> = "nope".into_deserializer();
        assert!(Email::deserialize(d).is_err());
    }

    proptest! {
        #[test]
        fn parse_round_trips(
            local in "[A-Za-z0-9%+_-][A-Za-z0-9._%+-]{0,19}",
            labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", 1..4),
            tld in "[a-zA-Z]{2,6}",
        ) {
            let raw = format!("{local}@{}.{tld}", labels.join("."));
            let e = Email::parse(&raw).expect("generated address is valid");
            prop_assert_eq!(e.as_str(), raw.to_lowercase());
            prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
            prop_assert_eq!(Email::parse(&format!("<{}>", e)), Ok(e.clone()));
        }

        #[test]
        fn parsed_addresses_are_stable(raw in "\\PC{0,40}") {
            if let Ok(e) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
                prop_assert!(e.as_str().is_ascii());
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
            }
        }
    }
}
