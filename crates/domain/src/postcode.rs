//! Japanese postal codes (郵便番号).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::{DomainError, quote};
use crate::text::is_dash_like;

const FIELD: &str = "postcode";

/// A seven-digit Japanese postal code, stored as `123-4567`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses `〒123-4567`, `1234567`, `123 4567` or full-width variants.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let nfkc: String = raw.nfkc().collect();
        let trimmed = nfkc.trim();
        let body = trimmed
            .strip_prefix('〒')
            .or_else(|| trimmed.strip_prefix("郵便番号"))
            .unwrap_or(trimmed)
            .trim_start_matches([':', ' ']);
        if body.is_empty() {
            return Err(DomainError::invalid(FIELD, "is required"));
        }
        let mut digits = String::with_capacity(7);
        for c in body.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !(c.is_whitespace() || is_dash_like(c)) {
                return Err(Self::error(raw, "contains characters other than digits"));
            }
        }
        if digits.len() != 7 {
            return Err(Self::error(raw, "must have exactly 7 digits"));
        }
        Ok(PostalCode(format!("{}-{}", &digits[..3], &digits[3..])))
    }

    /// Builds the error for an unparseable postal code.
    fn error(raw: &str, reason: &str) -> DomainError {
        DomainError::invalid(
            FIELD,
            format!(
                "is not a valid postal code: {} ({reason})",
                quote(raw.trim())
            ),
        )
    }

    /// Returns the code as `123-4567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the seven digits without the hyphen.
    pub fn digits(&self) -> String {
        self.0.replace('-', "")
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PostalCode {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PostalCode::parse(s)
    }
}

impl<'de> Deserialize<'de> for PostalCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PostalCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_common_spellings() {
        for raw in [
            "123-4567",
            "1234567",
            "〒123-4567",
            "〒 123-4567",
            "〒１２３－４５６７",
            "１２３４５６７",
            "123 4567",
            "123ー4567",
            "郵便番号：123-4567",
            " 123-4567 ",
        ] {
            assert_eq!(
                PostalCode::parse(raw).map(|p| p.to_string()),
                Ok("123-4567".to_string()),
                "{raw}"
            );
        }
        let p = PostalCode::parse("〒100-0001").expect("valid");
        assert_eq!(p.as_str(), "100-0001");
        assert_eq!(p.digits(), "1000001");
    }

    #[test]
    fn rejects_wrong_shapes() {
        for raw in [
            "123-456",
            "12345678",
            "123-45678",
            "abc-defg",
            "〒",
            "123-456a",
            "1234-567x",
        ] {
            let e = PostalCode::parse(raw).expect_err(raw);
            assert_eq!(e.field(), "postcode");
        }
        assert_eq!(
            PostalCode::parse("").map_err(|e| e.message().to_string()),
            Err("is required".to_string())
        );
        assert_eq!(
            PostalCode::parse("123-456").map_err(|e| e.to_string()),
            Err(
                "postcode: is not a valid postal code: \"123-456\" (must have exactly 7 digits)"
                    .to_string()
            )
        );
    }

    proptest! {
        #[test]
        fn round_trips(d in "[0-9]{7}", sep in prop_oneof![Just(""), Just("-"), Just(" "), Just("－")]) {
            let raw = format!("〒{}{sep}{}", &d[..3], &d[3..]);
            let p = PostalCode::parse(&raw).expect("valid");
            prop_assert_eq!(p.digits(), d);
            prop_assert_eq!(PostalCode::parse(p.as_str()), Ok(p.clone()));
        }

        #[test]
        fn other_digit_counts_fail(d in "[0-9]{0,6}|[0-9]{8,12}") {
            prop_assert!(PostalCode::parse(&d).is_err());
        }
    }
}
