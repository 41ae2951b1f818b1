//! Timestamps as microseconds since the Unix epoch (UTC), matching PostgreSQL precision.

use std::fmt;

use ::time::format_description::well_known::Rfc3339;
use ::time::{Date, OffsetDateTime, PrimitiveDateTime};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, quote};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;
/// Japan Standard Time is UTC+9 all year (no daylight saving).
const JST_OFFSET: i64 = 9 * MICROS_PER_HOUR;

/// A point in time: microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Micros(pub i64);

impl Micros {
    /// Returns the current time, truncated to microseconds.
    pub fn now() -> Self {
        Self::from_offset(OffsetDateTime::now_utc())
    }

    /// Converts a `time::OffsetDateTime`, truncating (flooring) to microseconds.
    pub fn from_offset(t: OffsetDateTime) -> Self {
        let micros = t.unix_timestamp_nanos().div_euclid(1_000);
        Micros(i64::try_from(micros).unwrap_or(if micros < 0 { i64::MIN } else { i64::MAX }))
    }

    /// Converts to a UTC `time::OffsetDateTime`, clamped to the range `time` supports.
    pub fn to_offset(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000).unwrap_or(
            if self.0 < 0 {
                PrimitiveDateTime::MIN.assume_utc()
            } else {
                PrimitiveDateTime::MAX.assume_utc()
            },
        )
    }

    /// Parses an RFC 3339 timestamp with any offset, e.g. `2026-11-23T14:05:00+09:00`.
    pub fn parse_rfc3339(s: &str) -> Result<Self, DomainError> {
        OffsetDateTime::parse(s.trim(), &Rfc3339)
            .map(Self::from_offset)
            .map_err(|_| {
                DomainError::invalid(
                    "at",
                    format!("is not a valid RFC 3339 timestamp: {}", quote(s.trim())),
                )
            })
    }

    /// Formats as RFC 3339 in UTC with six fractional digits: `2026-11-23T05:05:00.000000Z`.
    ///
    /// The fixed width makes the strings sort in time order.
    pub fn to_rfc3339(self) -> String {
        let t = self.to_offset();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        )
    }

    /// Formats as Japan time, to the minute: `2026/11/23 14:05`.
    pub fn format_jst(self) -> String {
        let t = self.jst_wall_clock();
        format!(
            "{:04}/{:02}/{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    }

    /// Formats the Japan-time calendar date: `2026/11/23`.
    pub fn format_jst_date(self) -> String {
        let d = self.to_jst_date();
        format!("{:04}/{:02}/{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// Formats the Japan-time calendar date as HTML date inputs want it: `2026-11-23`.
    pub fn format_jst_iso_date(self) -> String {
        let d = self.to_jst_date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// Midnight in Japan of a `YYYY-MM-DD` date, or `None` when it is not one.
    pub fn parse_jst_date(s: &str) -> Option<Micros> {
        let fmt = ::time::macros::format_description!("[year]-[month]-[day]");
        let d = Date::parse(s.trim(), &fmt).ok()?;
        Some(Micros::from_offset(
            d.midnight().assume_offset(::time::macros::offset!(+9)),
        ))
    }

    /// Returns the calendar date in Japan.
    pub fn to_jst_date(self) -> Date {
        self.jst_wall_clock().date()
    }

    /// The JST wall-clock time, expressed as a UTC value (for field extraction only).
    fn jst_wall_clock(self) -> OffsetDateTime {
        Micros(self.0.saturating_add(JST_OFFSET)).to_offset()
    }

    /// Returns `n` days in microseconds.
    pub fn days(n: i64) -> i64 {
        n.saturating_mul(MICROS_PER_DAY)
    }

    /// Returns `n` hours in microseconds.
    pub fn hours(n: i64) -> i64 {
        n.saturating_mul(MICROS_PER_HOUR)
    }

    /// Returns `n` minutes in microseconds.
    pub fn minutes(n: i64) -> i64 {
        n.saturating_mul(MICROS_PER_MINUTE)
    }

    /// Returns this instant moved by `delta` microseconds, saturating at the i64 limits.
    pub fn saturating_add(self, delta: i64) -> Self {
        Micros(self.0.saturating_add(delta))
    }
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl From<OffsetDateTime> for Micros {
    fn from(t: OffsetDateTime) -> Self {
        Micros::from_offset(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::datetime;
    use proptest::prelude::*;

    #[test]
    fn parses_and_formats_rfc3339() {
        let m = Micros::parse_rfc3339("2026-11-23T14:05:00+09:00").expect("valid");
        assert_eq!(m.to_rfc3339(), "2026-11-23T05:05:00.000000Z");
        assert_eq!(m.format_jst(), "2026/11/23 14:05");
        assert_eq!(m.format_jst_date(), "2026/11/23");
        assert_eq!(m.to_string(), "2026-11-23T05:05:00.000000Z");
        assert_eq!(Micros::parse_rfc3339("2026-11-23T05:05:00Z"), Ok(m));
        assert_eq!(
            Micros::parse_rfc3339(" 2026-11-23T05:05:00.000000Z "),
            Ok(m)
        );
    }

    #[test]
    fn html_dates_are_japan_midnight() {
        let m = Micros::parse_jst_date("2026-11-23").expect("a date");
        assert_eq!(m.to_rfc3339(), "2026-11-22T15:00:00.000000Z");
        assert_eq!(m.format_jst_iso_date(), "2026-11-23");
        // 23:30 UTC is already the next day in Japan.
        let late = Micros::parse_rfc3339("2026-11-23T23:30:00Z").expect("valid");
        assert_eq!(late.format_jst_iso_date(), "2026-11-24");
        assert_eq!(Micros::parse_jst_date("2026-02-30"), None);
        assert_eq!(Micros::parse_jst_date("23/11/2026"), None);
    }

    #[test]
    fn epoch_and_units() {
        assert_eq!(Micros::parse_rfc3339("1970-01-01T00:00:00Z"), Ok(Micros(0)));
        assert_eq!(Micros(0).format_jst(), "1970/01/01 09:00");
        assert_eq!(Micros::days(1), 86_400_000_000);
        assert_eq!(Micros::hours(2), 7_200_000_000);
        assert_eq!(Micros::minutes(1), 60_000_000);
        assert_eq!(Micros::days(i64::MAX), i64::MAX);
        assert_eq!(Micros(5).saturating_add(-10), Micros(-5));
    }

    #[test]
    fn jst_date_rolls_over_at_15_utc() {
        let before = Micros::parse_rfc3339("2026-12-31T14:59:59Z").expect("valid");
        let after = Micros::parse_rfc3339("2026-12-31T15:00:00Z").expect("valid");
        assert_eq!(before.format_jst_date(), "2026/12/31");
        assert_eq!(after.format_jst_date(), "2027/01/01");
        assert_eq!(after.format_jst(), "2027/01/01 00:00");
    }

    #[test]
    fn truncates_to_microseconds() {
        let m = Micros::parse_rfc3339("2026-11-23T05:05:00.123456789Z").expect("valid");
        assert_eq!(m.to_rfc3339(), "2026-11-23T05:05:00.123456Z");
        // Before the epoch, truncation floors rather than rounding toward zero.
        let t = datetime!(1969-12-31 23:59:59.9999999 UTC);
        assert_eq!(Micros::from_offset(t), Micros(-1));
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2026-11-23",
            "2026/11/23 14:05",
            "2026-13-01T00:00:00Z",
            "yesterday",
        ] {
            let e = Micros::parse_rfc3339(s).expect_err(s);
            assert_eq!(e.field(), "at");
            assert!(e.message().starts_with("is not a valid RFC 3339 timestamp"));
        }
    }

    #[test]
    fn extreme_values_do_not_panic() {
        for m in [Micros(i64::MIN), Micros(i64::MAX)] {
            assert!(!m.to_rfc3339().is_empty());
            assert!(!m.format_jst().is_empty());
        }
    }

    #[test]
    fn now_is_recent() {
        let now = Micros::now();
        let y2025 = Micros::parse_rfc3339("2025-01-01T00:00:00Z").expect("valid");
        assert!(now > y2025);
        assert_eq!(Micros::from_offset(now.to_offset()), now);
    }

    proptest! {
        // Years 0001..=9999.
        #[test]
        fn rfc3339_round_trips(us in -62_135_596_800_000_000i64..253_402_300_799_999_999i64) {
            let m = Micros(us);
            prop_assert_eq!(Micros::parse_rfc3339(&m.to_rfc3339()), Ok(m));
            prop_assert_eq!(Micros::from_offset(m.to_offset()), m);
        }

        #[test]
        fn rfc3339_strings_sort_like_times(a in 0i64..4_102_444_800_000_000, b in 0i64..4_102_444_800_000_000) {
            let (ma, mb) = (Micros(a), Micros(b));
            prop_assert_eq!(ma.cmp(&mb), ma.to_rfc3339().cmp(&mb.to_rfc3339()));
        }
    }
}
