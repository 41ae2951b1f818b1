//! Telephone numbers, with Japanese numbering-plan awareness.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use unicode_normalization::UnicodeNormalization;

use crate::error::{DomainError, quote};
use crate::text::is_dash_like;

const FIELD: &str = "phone";

/// The kind of line a phone number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// Mobile phone (070, 080, 090).
    Mobile,
    /// Fixed line with a geographic area code.
    Landline,
    /// Free dial (0120, 0800).
    TollFree,
    /// IP phone (050).
    Ip,
    /// Anything else: navi dial (0570), M2M/pager (020), other special or foreign numbers.
    Other,
}

impl PhoneKind {
    /// Returns the snake_case key, matching the serde representation.
    pub fn key(&self) -> &'static str {
        match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::Landline => "landline",
            PhoneKind::TollFree => "toll_free",
            PhoneKind::Ip => "ip",
            PhoneKind::Other => "other",
        }
    }
}

/// Internal representation: Japanese national significant number, or foreign E.164 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// National significant number without the trunk prefix 0, e.g. `312345678`.
    Japan(String),
    /// All E.164 digits without `+`, country code included, e.g. `14155550100`.
    Foreign(String),
}

/// A validated phone number: Japanese (national significant digits) or foreign (E.164).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    repr: Repr,
}

/// The Japanese numbering-plan rule that applies to a national number (with leading 0).
struct Plan {
    /// Required number of digits including the leading 0.
    len: usize,
    /// The kind of line.
    kind: PhoneKind,
    /// Digit group sizes for display.
    groups: [usize; 3],
}

/// Finds the numbering-plan rule for a national number starting with 0, if any.
fn plan_for(national: &str) -> Option<Plan> {
    let p = |len, kind, groups| Some(Plan { len, kind, groups });
    let b = national.as_bytes();
    if b.len() < 2 || b[0] != b'0' {
        return None;
    }
    let starts = |prefix: &str| national.starts_with(prefix);
    if starts("0120") || starts("0180") || starts("0990") {
        let kind = if starts("0120") {
            PhoneKind::TollFree
        } else {
            PhoneKind::Other
        };
        return p(10, kind, [4, 3, 3]);
    }
    if starts("0570") {
        return p(10, PhoneKind::Other, [4, 3, 3]);
    }
    if starts("0800") {
        return p(11, PhoneKind::TollFree, [4, 3, 4]);
    }
    if starts("070") || starts("080") || starts("090") {
        return p(11, PhoneKind::Mobile, [3, 4, 4]);
    }
    if starts("050") {
        return p(11, PhoneKind::Ip, [3, 4, 4]);
    }
    if starts("020") {
        return p(11, PhoneKind::Other, [3, 4, 4]);
    }
    if b[1] == b'0' {
        // 000, 010 (international prefix), 030, 040, 060: not valid national numbers.
        return None;
    }
    if starts("03") || starts("06") {
        return p(10, PhoneKind::Landline, [2, 4, 4]);
    }
    p(10, PhoneKind::Landline, [3, 3, 4])
}

/// Characters that separate digit groups and are otherwise ignored.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || is_dash_like(c) || matches!(c, '(' | ')' | '.' | '[' | ']')
}

/// Labels people put in front of a number, lowercased.
const LABELS: &[&str] = &[
    "tel:",
    "tel.",
    "tel",
    "phone:",
    "phone",
    "電話番号:",
    "電話番号",
    "電話:",
    "電話",
];

/// Markers after which the rest is an extension, a note or a second number.
const CUT_MARKERS: &[&str] = &[
    "内線", "代表", "代", "ext", "x", "#", ";", ",", "、", "/", "~", "〜", "転送",
];

impl Phone {
    /// Parses a phone number written the way people write them in Japan.
    ///
    /// Accepts full-width digits, any dash, spaces, parentheses, dots, `tel:`, `+81`,
    /// `+81 (0)`, `81-`, `0081` prefixes; drops extensions (`内線123`, `ext. 12`) and
    /// `(代)`; restores the leading 0 that spreadsheets drop from 9- and 10-digit numbers.
    pub fn parse(raw: &str) -> Result<Phone, DomainError> {
        let nfkc: String = raw.nfkc().collect();
        let lower = nfkc.trim().to_ascii_lowercase();
        let mut s = lower.as_str();
        for label in LABELS {
            if let Some(rest) = s.strip_prefix(label) {
                s = rest.trim_start_matches([':', ' ']);
                break;
            }
        }
        let cut = CUT_MARKERS
            .iter()
            .filter_map(|m| s.find(m))
            .min()
            .unwrap_or(s.len());
        let body = s[..cut].trim();
        if body.is_empty() {
            return Err(DomainError::invalid(FIELD, "is required"));
        }
        let invalid = |reason: &str| {
            DomainError::invalid(
                FIELD,
                format!(
                    "is not a valid phone number: {} ({reason})",
                    quote(raw.trim())
                ),
            )
        };

        // "+44 (0)20 ..." and "+81 (0)3 ...": the bracketed trunk prefix is not dialled.
        let body = if body.starts_with('+') {
            body.replacen("(0)", "", 1)
        } else {
            body.to_string()
        };
        let mut digits = String::new();
        let mut plus = false;
        for c in body.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if digits.is_empty() && !plus => plus = true,
                c if is_separator(c) => {}
                _ => return Err(invalid("contains characters other than digits")),
            }
        }
        if digits.is_empty() {
            return Err(invalid("contains no digits"));
        }

        let international = if plus {
            Some(digits.as_str())
        } else if let Some(rest) = digits.strip_prefix("010").filter(|r| r.starts_with("81")) {
            Some(rest)
        } else {
            digits.strip_prefix("00")
        };
        if let Some(e164) = international {
            return if let Some(nsn) = e164.strip_prefix("81") {
                let nsn = nsn.strip_prefix('0').unwrap_or(nsn);
                Self::japan(&format!("0{nsn}")).map_err(|r| invalid(&r))
            } else if e164.starts_with('0') {
                Err(invalid("country code cannot start with 0"))
            } else if !(8..=15).contains(&e164.len()) {
                Err(invalid("international numbers have 8 to 15 digits"))
            } else {
                Ok(Phone {
                    repr: Repr::Foreign(e164.to_string()),
                })
            };
        }
        if digits.starts_with('0') {
            return Self::japan(&digits).map_err(|r| invalid(&r));
        }
        if let Some(rest) = digits.strip_prefix("81") {
            // "81-3-1234-5678" or "81-03-1234-5678": country code without "+".
            if let Some(national) = rest.strip_prefix('0') {
                if (9..=10).contains(&national.len()) {
                    return Self::japan(rest).map_err(|r| invalid(&r));
                }
            } else if (9..=10).contains(&rest.len()) {
                return Self::japan(&format!("0{rest}")).map_err(|r| invalid(&r));
            }
        }
        if (9..=10).contains(&digits.len()) {
            // A spreadsheet dropped the leading 0.
            return Self::japan(&format!("0{digits}")).map_err(|r| invalid(&r));
        }
        Err(invalid(
            "Japanese numbers need an area code or prefix, 10 or 11 digits",
        ))
    }

    /// Validates a national number with its leading 0 against the Japanese numbering plan.
    fn japan(national: &str) -> Result<Phone, String> {
        let Some(plan) = plan_for(national) else {
            let prefix: String = national.chars().take(3).collect();
            return Err(format!("no Japanese number starts with {prefix}"));
        };
        if national.len() != plan.len {
            let prefix: String = national.chars().take(plan.groups[0]).collect();
            return Err(format!(
                "numbers starting with {prefix} have {} digits, not {}",
                plan.len,
                national.len()
            ));
        }
        Ok(Phone {
            repr: Repr::Japan(national[1..].to_string()),
        })
    }

    /// Returns the number in E.164 form, e.g. `+81312345678`.
    pub fn e164(&self) -> String {
        match &self.repr {
            Repr::Japan(nsn) => format!("+81{nsn}"),
            Repr::Foreign(digits) => format!("+{digits}"),
        }
    }

    /// Returns the hyphenated national form, e.g. `03-1234-5678`; foreign numbers give E.164.
    pub fn national(&self) -> String {
        match &self.repr {
            Repr::Japan(nsn) => {
                let national = format!("0{nsn}");
                let groups = plan_for(&national).map_or([3, 3, 4], |p| p.groups);
                let (a, rest) = national.split_at(groups[0].min(national.len()));
                let (b, c) = rest.split_at(groups[1].min(rest.len()));
                format!("{a}-{b}-{c}")
            }
            Repr::Foreign(_) => self.e164(),
        }
    }

    /// Returns the national digits without separators (`0312345678`); foreign numbers give E.164.
    pub fn national_digits(&self) -> String {
        match &self.repr {
            Repr::Japan(nsn) => format!("0{nsn}"),
            Repr::Foreign(_) => self.e164(),
        }
    }

    /// Returns true for numbers in the Japanese (+81) numbering plan.
    pub fn is_japanese(&self) -> bool {
        matches!(self.repr, Repr::Japan(_))
    }

    /// Returns the kind of line, derived from the prefix.
    pub fn kind(&self) -> PhoneKind {
        match &self.repr {
            Repr::Japan(nsn) => plan_for(&format!("0{nsn}")).map_or(PhoneKind::Other, |p| p.kind),
            Repr::Foreign(_) => PhoneKind::Other,
        }
    }

    /// Returns true if the number probably reaches one person (mobile or 050 IP phone).
    pub fn is_personal(&self) -> bool {
        matches!(self.kind(), PhoneKind::Mobile | PhoneKind::Ip)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.national())
    }
}

impl FromStr for Phone {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

/// Serialises as the E.164 string.
impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.e164())
    }
}

/// Deserialises from any string [`Phone::parse`] accepts.
impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Phone::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn national(raw: &str) -> String {
        match Phone::parse(raw) {
            Ok(p) => p.national(),
            Err(e) => panic!("{raw:?} should parse: {e}"),
        }
    }

    fn rejected(raw: &str) -> DomainError {
        match Phone::parse(raw) {
            Ok(p) => panic!("{raw:?} should be rejected, got {p}"),
            Err(e) => e,
        }
    }

    #[test]
    fn tokyo_landline_in_many_spellings() {
        for raw in [
            "03-1234-5678",
            "０３－１２３４－５６７８",
            "03(1234)5678",
            "(03) 1234-5678",
            "03.1234.5678",
            "0312345678",
            "03 1234 5678",
            "03ー1234ー5678",
            "03−1234−5678",
            "+81 3 1234 5678",
            "+81-3-1234-5678",
            "+81 (0)3-1234-5678",
            "+81(0)312345678",
            "＋８１ ３ １２３４ ５６７８",
            "81-3-1234-5678",
            "81-03-1234-5678",
            "0081-3-1234-5678",
            "010-81-3-1234-5678",
            "tel:+81-3-1234-5678",
            "TEL：03-1234-5678",
            "電話: 03-1234-5678",
            "312345678",
            "03-1234-5678 内線123",
            "03-1234-5678（内線１２３）",
            "03-1234-5678 ext. 12",
            "03-1234-5678 x12",
            "03-1234-5678(代)",
            "03-1234-5678（代表）",
            "03-1234-5678 / 090-1234-5678",
        ] {
            assert_eq!(national(raw), "03-1234-5678", "{raw}");
        }
        let p = Phone::parse("03-1234-5678").expect("valid");
        assert_eq!(p.e164(), "+81312345678");
        assert_eq!(p.national_digits(), "0312345678");
        assert_eq!(p.kind(), PhoneKind::Landline);
        assert!(!p.is_personal());
        assert!(p.is_japanese());
        assert_eq!(p.to_string(), "03-1234-5678");
    }

    #[test]
    fn mobile_numbers() {
        for raw in [
            "090-1234-5678",
            "09012345678",
            "9012345678",
            "+81 90-1234-5678",
            "８１９０１２３４５６７８",
        ] {
            assert_eq!(national(raw), "090-1234-5678", "{raw}");
        }
        let p = Phone::parse("080-1111-2222").expect("valid");
        assert_eq!(p.kind(), PhoneKind::Mobile);
        assert!(p.is_personal());
        assert_eq!(
            Phone::parse("070 1234 5678").map(|p| p.kind()),
            Ok(PhoneKind::Mobile)
        );
    }

    #[test]
    fn special_prefixes() {
        let toll = Phone::parse("0120-123-456").expect("valid");
        assert_eq!(toll.national(), "0120-123-456");
        assert_eq!(toll.kind(), PhoneKind::TollFree);
        assert_eq!(toll.e164(), "+81120123456");

        let free_dial = Phone::parse("0800-123-4567").expect("valid");
        assert_eq!(free_dial.national(), "0800-123-4567");
        assert_eq!(free_dial.kind(), PhoneKind::TollFree);

        let ip = Phone::parse("050-1234-5678").expect("valid");
        assert_eq!(ip.national(), "050-1234-5678");
        assert_eq!(ip.kind(), PhoneKind::Ip);
        assert!(ip.is_personal());

        let navi = Phone::parse("0570-123-456").expect("valid");
        assert_eq!(navi.national(), "0570-123-456");
        assert_eq!(navi.kind(), PhoneKind::Other);
    }

    #[test]
    fn other_landlines() {
        assert_eq!(national("06-6123-4567"), "06-6123-4567");
        assert_eq!(national("045-123-4567"), "045-123-4567");
        assert_eq!(national("0451234567"), "045-123-4567");
        // Excel dropped the 0 of a Yokohama number.
        assert_eq!(national("451234567"), "045-123-4567");
        // The area-code split is approximate, but the digits are preserved.
        assert_eq!(
            Phone::parse("0263-12-3456").map(|p| p.national_digits()),
            Ok("0263123456".into())
        );
    }

    #[test]
    fn foreign_numbers() {
        let us = Phone::parse("+1 (415) 555-0100").expect("valid");
        assert_eq!(us.e164(), "+14155550100");
        assert_eq!(us.national(), "+14155550100");
        assert_eq!(us.kind(), PhoneKind::Other);
        assert!(!us.is_japanese());
        let uk = Phone::parse("+44 (0)20 7946 0958").expect("valid");
        assert_eq!(uk.e164(), "+442079460958");
        assert_eq!(Phone::parse("0044 20 7946 0958"), Ok(uk));
        assert!(Phone::parse("+1 555").is_err());
        assert!(Phone::parse("+1234567890123456").is_err());
        assert!(Phone::parse("+0 123 456 789").is_err());
    }

    #[test]
    fn rejects_wrong_lengths_and_garbage() {
        for raw in [
            "03-1234-567",
            "03-1234-56789",
            "090-1234-567",
            "090-1234-56789",
            "0120-123-4567",
            "050-1234-567",
            "1234-5678",
            "12345",
            "010-1234-5678",
            "abc",
            "03-1234-abcd",
            "+81 3 1234 567",
            "+",
            "----",
        ] {
            let e = rejected(raw);
            assert_eq!(e.field(), "phone");
            assert!(e.message().contains(&quote(raw)), "{e}");
        }
        assert_eq!(rejected("  ").message(), "is required");
        assert_eq!(
            rejected("090-1234-567").message(),
            "is not a valid phone number: \"090-1234-567\" (numbers starting with 090 have 11 digits, not 10)"
        );
    }

    #[test]
    fn serde_uses_e164() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StrDeserializer};
        let d: StrDeserializer<'_, DeError> = "+81312345678".into_deserializer();
        assert_eq!(
            Phone::deserialize(d).map(|p| p.national()),
            Ok("03-1234-5678".to_string())
        );
    }

    /// Valid Japanese national numbers (with leading 0) of every kind.
    fn japanese_national() -> impl Strategy<Value = String> {
        prop_oneof![
            "0[36][1-9][0-9]{7}",
            "0[1-24-9][1-9][0-9]{7}",
            "0[789]0[0-9]{8}",
            "050[0-9]{8}",
            "020[0-9]{8}",
            "0120[0-9]{6}",
            "0570[0-9]{6}",
            "0800[0-9]{7}",
        ]
        .prop_filter("0120/0570/0800 have their own lengths", |n| {
            plan_for(n).is_some_and(|p| p.len == n.len())
        })
    }

    /// Separators a person might put between digit groups.
    fn separator() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just(""),
            Just("-"),
            Just(" "),
            Just("－"),
            Just("ー"),
            Just("."),
            Just("‐")
        ]
    }

    proptest! {
        #[test]
        fn national_round_trips(n in japanese_national()) {
            let p = Phone::parse(&n).expect("generated number is valid");
            prop_assert_eq!(p.national_digits(), n.clone());
            prop_assert_eq!(Phone::parse(&p.national()), Ok(p.clone()));
            prop_assert_eq!(Phone::parse(&p.e164()), Ok(p.clone()));
            prop_assert_eq!(Phone::parse(&p.to_string()), Ok(p.clone()));
            // Spreadsheet-mangled form without the leading 0.
            prop_assert_eq!(Phone::parse(&n[1..]), Ok(p.clone()));
            let personal = ["050", "070", "080", "090"].iter().any(|m| n.starts_with(m))
                && !n.starts_with("0800");
            prop_assert_eq!(p.is_personal(), personal);
        }

        #[test]
        fn separators_do_not_matter(n in japanese_national(), sep in separator(), cut1 in 1usize..5, cut2 in 5usize..8) {
            let raw = format!("{}{sep}{}{sep}{}", &n[..cut1], &n[cut1..cut2], &n[cut2..]);
            let p = Phone::parse(&raw).expect("separated number is valid");
            prop_assert_eq!(p.national_digits(), n);
        }

        #[test]
        fn wrong_lengths_are_rejected(n in japanese_national(), extra in "[0-9]") {
            let longer = format!("{n}{extra}");
            prop_assert!(Phone::parse(&longer).is_err());
            prop_assert!(Phone::parse(&n[..n.len() - 1]).is_err());
        }

        #[test]
        fn foreign_round_trips(cc in "[1-79]", rest in "[0-9]{7,13}") {
            let e164 = format!("+{cc}{rest}");
            let p = Phone::parse(&e164).expect("valid foreign number");
            prop_assert_eq!(p.e164(), e164);
            prop_assert_eq!(Phone::parse(&p.national()), Ok(p.clone()));
            prop_assert_eq!(p.kind(), PhoneKind::Other);
        }

        #[test]
        fn parsed_numbers_are_stable(raw in "[0-9０-９+()\\- ]{0,20}") {
            if let Ok(p) = Phone::parse(&raw) {
                prop_assert_eq!(Phone::parse(&p.national()), Ok(p.clone()));
                prop_assert_eq!(Phone::parse(&p.e164()), Ok(p.clone()));
            }
        }
    }
}
