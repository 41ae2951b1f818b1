//! Japanese corporate numbers (法人番号), 13 digits with a leading check digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::{DomainError, quote};
use crate::text::is_dash_like;

const FIELD: &str = "corporate_number";

/// A 13-digit corporate number whose check digit has been verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CorporateNumber(String);

/// Computes the check digit (1..=9) for the 12 base digits, or `None` if `base` is not 12 ASCII digits.
///
/// With P_n the n-th base digit counted from the right and Q_n = 1 for odd n, 2 for even n,
/// the check digit is `9 - (Σ P_n × Q_n mod 9)`. Like the official algorithm, this cannot
/// detect a base digit changed between 0 and 9.
pub fn corporate_check_digit(base: &str) -> Option<u8> {
    if base.len() != 12 || !base.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = base
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    // sum % 9 is at most 8, so the cast cannot truncate.
    Some(9 - (sum % 9) as u8)
}

impl CorporateNumber {
    /// Parses a corporate number; full-width digits, hyphens and spaces are tolerated.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let nfkc: String = raw.nfkc().collect();
        let trimmed = nfkc.trim();
        if trimmed.is_empty() {
            return Err(DomainError::invalid(FIELD, "is required"));
        }
        let error = |reason: &str| {
            DomainError::invalid(
                FIELD,
                format!(
                    "is not a valid corporate number: {} ({reason})",
                    quote(raw.trim())
                ),
            )
        };
        let mut digits = String::with_capacity(13);
        for c in trimmed.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !(c.is_whitespace() || is_dash_like(c)) {
                return Err(error("contains characters other than digits"));
            }
        }
        if digits.len() != 13 {
            return Err(error("must have exactly 13 digits"));
        }
        let check = digits.as_bytes()[0] - b'0';
        if corporate_check_digit(&digits[1..]) != Some(check) {
            return Err(error("check digit does not match"));
        }
        Ok(CorporateNumber(digits))
    }

    /// Returns the 13 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorporateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CorporateNumber {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CorporateNumber::parse(s)
    }
}

impl<'de> Deserialize<'de> for CorporateNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CorporateNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_numbers_are_valid() {
        for n in ["5070001000715", "7010401022916"] {
            assert_eq!(
                CorporateNumber::parse(n).map(|c| c.to_string()),
                Ok(n.to_string())
            );
        }
        assert_eq!(corporate_check_digit("070001000715"), Some(5));
        assert_eq!(corporate_check_digit("010401022916"), Some(7));
    }

    #[test]
    fn formatting_is_tolerated() {
        for raw in [
            "５０７０００１０００７１５",
            "5-0700-0100-0715",
            " 5070 0010 00715 ",
            "7010401022916",
        ] {
            assert!(CorporateNumber::parse(raw).is_ok(), "{raw}");
        }
        assert_eq!(
            CorporateNumber::parse("５０７０００１０００７１５").map(|c| c.as_str().to_string()),
            Ok("5070001000715".to_string())
        );
    }

    #[test]
    fn changed_digits_fail() {
        for bad in [
            "4070001000715",
            "5070001000716",
            "5170001000715",
            "7010401022917",
        ] {
            let e = CorporateNumber::parse(bad).expect_err(bad);
            assert_eq!(e.field(), "corporate_number");
            assert!(e.message().ends_with("(check digit does not match)"), "{e}");
        }
    }

    #[test]
    fn wrong_shapes_fail() {
        for bad in [
            "",
            "507000100071",
            "50700010007150",
            "507000100071X",
            "T5070001000715",
        ] {
            assert!(CorporateNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(corporate_check_digit("12345"), None);
        assert_eq!(corporate_check_digit("12345678901a"), None);
    }

    #[test]
    fn zero_nine_swap_is_a_known_blind_spot() {
        // 5070001000715 with its first base digit (n = 12, weight 2) changed from 0 to 9:
        // the sum grows by 18, a multiple of 9, so the official check digit cannot notice.
        assert!(CorporateNumber::parse("5970001000715").is_ok());
    }

    proptest! {
        #[test]
        fn generated_numbers_round_trip(base in "[0-9]{12}") {
            let check = corporate_check_digit(&base).expect("12 digits");
            prop_assert!((1..=9).contains(&check));
            let n = format!("{check}{base}");
            let c = CorporateNumber::parse(&n).expect("valid by construction");
            prop_assert_eq!(c.as_str(), n.as_str());
            prop_assert_eq!(CorporateNumber::parse(c.as_str()), Ok(c.clone()));
        }

        #[test]
        fn single_digit_changes_are_rejected(base in "[0-9]{12}", pos in 0usize..13, delta in 1u8..10) {
            let check = corporate_check_digit(&base).expect("12 digits");
            let mut bytes = format!("{check}{base}").into_bytes();
            let old = bytes[pos] - b'0';
            let new = (old + delta) % 10;
            bytes[pos] = b'0' + new;
            let changed = String::from_utf8(bytes).expect("ASCII");
            // A 0 <-> 9 change in the base shifts the sum by a multiple of 9 and is
            // undetectable by design; every other single-digit change must be caught.
            let undetectable = pos > 0 && old.abs_diff(new) == 9;
            prop_assert_eq!(CorporateNumber::parse(&changed).is_ok(), undetectable);
        }
    }
}
