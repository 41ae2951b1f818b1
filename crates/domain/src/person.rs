//! Personal names (氏名), normalised for display and matching.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{DomainError, quote};
use crate::text::normalize_text;

const FIELD: &str = "name";

/// Maximum length of a name, in characters.
pub const MAX_PERSON_NAME_CHARS: usize = 200;

/// A person's name, normalised, with single ASCII spaces between its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name; blank, over-long or control-character input is rejected.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = normalize_text(raw);
        if name.is_empty() {
            return Err(DomainError::invalid(FIELD, "name is required"));
        }
        if name.chars().count() > MAX_PERSON_NAME_CHARS {
            return Err(DomainError::invalid(
                FIELD,
                format!("is longer than {MAX_PERSON_NAME_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                FIELD,
                format!("contains control characters: {}", quote(raw.trim())),
            ));
        }
        Ok(PersonName(name))
    }

    /// Returns the normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Splits at the first space into (family, given), assuming Japanese order (山田 太郎).
    ///
    /// A name without a space is returned whole as the family part.
    pub fn family_given(&self) -> (String, Option<String>) {
        match self.0.split_once(' ') {
            Some((family, given)) => (family.to_string(), Some(given.to_string())),
            None => (self.0.clone(), None),
        }
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PersonName {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PersonName::parse(s)
    }
}

impl<'de> Deserialize<'de> for PersonName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PersonName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn japanese_names() {
        let n = PersonName::parse("山田　太郎").expect("valid");
        assert_eq!(n.as_str(), "山田 太郎");
        assert_eq!(
            n.family_given(),
            ("山田".to_string(), Some("太郎".to_string()))
        );
        let n = PersonName::parse("  山田\u{3000}\u{3000}太郎 ").expect("valid");
        assert_eq!(n.to_string(), "山田 太郎");
        let n = PersonName::parse("ﾔﾏﾀﾞ ﾀﾛｳ").expect("valid");
        assert_eq!(n.as_str(), "ヤマダ タロウ");
    }

    #[test]
    fn single_part_and_longer_names() {
        let n = PersonName::parse("山田").expect("valid");
        assert_eq!(n.family_given(), ("山田".to_string(), None));
        let n = PersonName::parse("Mary Ann Smith").expect("valid");
        assert_eq!(
            n.family_given(),
            ("Mary".to_string(), Some("Ann Smith".to_string()))
        );
        let n = PersonName::parse("山田\t太郎").expect("tab is whitespace");
        assert_eq!(n.as_str(), "山田 太郎");
    }

    #[test]
    fn errors() {
        let e = PersonName::parse(" \u{3000} ").expect_err("blank");
        assert_eq!(e.field(), "name");
        assert_eq!(e.message(), "name is required");
        let e = PersonName::parse(&"あ".repeat(201)).expect_err("too long");
        assert_eq!(e.message(), "is longer than 200 characters");
        assert!(PersonName::parse(&"あ".repeat(200)).is_ok());
        let e = PersonName::parse("山田\u{0007}太郎").expect_err("bell");
        assert!(e.message().starts_with("contains control characters"));
        assert!(PersonName::parse("山田\u{0000}").is_err());
    }

    proptest! {
        #[test]
        fn parse_is_idempotent(raw in "\\PC{1,40}") {
            if let Ok(n) = PersonName::parse(&raw) {
                prop_assert_eq!(PersonName::parse(n.as_str()), Ok(n.clone()));
                prop_assert!(!n.as_str().contains("  "));
                let (family, given) = n.family_given();
                let joined = match given { Some(g) => format!("{family} {g}"), None => family };
                prop_assert_eq!(joined, n.as_str());
            }
        }
    }
}
