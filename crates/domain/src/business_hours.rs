//! Business time in Japan: weekdays that are neither national holidays (computed by
//! rule for any year) nor the company's year-end holidays (12/31–1/3), between a start
//! and an end minute of the day, in JST. Speed-to-lead deadlines are counted in it.

use ::time::{Date, Month, Weekday};

use crate::error::DomainError;
use crate::time::Micros;

const MICROS_PER_MINUTE: i64 = 60_000_000;
const MICROS_PER_DAY: i64 = 24 * 60 * MICROS_PER_MINUTE;
const JST_OFFSET: i64 = 9 * 60 * MICROS_PER_MINUTE;
/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
/// Minutes in a day; the largest end minute.
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// The JST calendar day number of an instant (day 0 is 1970-01-01 in Japan).
fn jst_day_number(at: Micros) -> i64 {
    crate::scoring::jst_day(at)
}

/// The calendar date of a JST day number, clamped to the dates `time` knows.
fn date_of_day(day: i64) -> Date {
    let jd = day.saturating_add(UNIX_EPOCH_JULIAN_DAY);
    let jd = jd.clamp(
        i64::from(Date::MIN.to_julian_day()),
        i64::from(Date::MAX.to_julian_day()),
    );
    Date::from_julian_day(jd as i32).expect("clamped to the supported range")
}

/// The instant a JST day (numbered as [`crate::scoring::jst_day`]) begins (00:00 JST).
pub fn day_start(day: i64) -> Micros {
    Micros(
        day.saturating_mul(MICROS_PER_DAY)
            .saturating_sub(JST_OFFSET),
    )
}

/// The instant the JST calendar day containing `at` begins (00:00 JST).
pub fn jst_day_start(at: Micros) -> Micros {
    day_start(jst_day_number(at))
}

/// The instant 00:00 JST of `date` begins.
pub fn jst_midnight(date: Date) -> Micros {
    day_start(i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
}

/// The `n`-th `weekday` of a month (n starts at 1), e.g. the second Monday of January.
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> u8 {
    let first = Date::from_calendar_date(year, month, 1)
        .map(|d| d.weekday())
        .unwrap_or(Weekday::Monday);
    let offset = (7 + weekday.number_days_from_monday() - first.number_days_from_monday()) % 7;
    1 + offset + 7 * (n - 1)
}

/// The day of March of the vernal equinox holiday (春分の日), by the standard formula
/// (exact from 1980 to 2099; the neighbouring centuries use their own constants).
pub fn vernal_equinox_day(year: i32) -> u8 {
    equinox_day(year, [20.8357, 20.8431, 21.8510])
}

/// The day of September of the autumnal equinox holiday (秋分の日), by the same formula.
pub fn autumnal_equinox_day(year: i32) -> u8 {
    equinox_day(year, [23.2588, 23.2488, 24.2488])
}

fn equinox_day(year: i32, base: [f64; 3]) -> u8 {
    let (b, since) = if year < 1980 {
        (base[0], 1983)
    } else if year < 2100 {
        (base[1], 1980)
    } else {
        (base[2], 1980)
    };
    let y = f64::from(year - 1980);
    // Before 1980 the published formula counts leap years from 1983.
    let leaps = (f64::from(year - since) / 4.0).floor();
    (b + 0.242194 * y - leaps).floor() as u8
}

/// Is `date` a 国民の祝日 itself (not a substitute or citizens' holiday)?
fn is_named_holiday(date: Date) -> bool {
    let (y, m, d) = (date.year(), date.month(), date.day());
    let happy_monday = |month: Month, n: u8| d == nth_weekday(y, month, Weekday::Monday, n);
    match m {
        Month::January => {
            d == 1
                || if y >= 2000 {
                    happy_monday(Month::January, 2)
                } else {
                    d == 15
                }
        }
        Month::February => d == 11 || (y >= 2020 && d == 23) || (y == 1989 && d == 24),
        Month::March => d == vernal_equinox_day(y),
        Month::April => d == 29,
        Month::May => d == 3 || d == 5 || (y >= 2007 && d == 4) || (y == 2019 && d == 1),
        Month::June => y == 1993 && d == 9,
        Month::July => match y {
            2020 => d == 23 || d == 24,
            2021 => d == 22 || d == 23,
            1996..=2002 => d == 20,
            _ if y >= 2003 => happy_monday(Month::July, 3),
            _ => false,
        },
        Month::August => match y {
            2020 => d == 10,
            2021 => d == 8,
            _ => y >= 2016 && d == 11,
        },
        Month::September => {
            d == autumnal_equinox_day(y)
                || if y >= 2003 {
                    happy_monday(Month::September, 3)
                } else {
                    d == 15
                }
        }
        Month::October => {
            let sports_day = match y {
                2020 | 2021 => false,
                _ if y >= 2000 => happy_monday(Month::October, 2),
                _ => d == 10,
            };
            sports_day || (y == 2019 && d == 22)
        }
        Month::November => d == 3 || d == 23 || (y == 1990 && d == 12),
        Month::December => (1989..=2018).contains(&y) && d == 23,
    }
}

/// Is `date` a public holiday in Japan: a 国民の祝日, a 振替休日 (the first day after a
/// holiday Sunday that is not itself a holiday), or a 国民の休日 (a day between two
/// holidays)?
pub fn is_public_holiday(date: Date) -> bool {
    is_named_holiday(date) || is_substitute_holiday(date) || is_citizens_holiday(date)
}

/// A 振替休日: since 1973-04-12, when a holiday falls on a Sunday, the next day that is
/// not a holiday (only the Monday before 2007).
pub fn is_substitute_holiday(date: Date) -> bool {
    if is_named_holiday(date)
        || date < Date::from_calendar_date(1973, Month::April, 12).expect("valid")
    {
        return false;
    }
    let mut day = date;
    while let Some(prev) = day.previous_day() {
        if !is_named_holiday(prev) {
            return false;
        }
        if prev.weekday() == Weekday::Sunday {
            return true;
        }
        if date.year() < 2007 {
            return false;
        }
        day = prev;
    }
    false
}

/// A 国民の休日: since 1986, a day that is not a holiday or a Sunday, between two
/// 国民の祝日.
pub fn is_citizens_holiday(date: Date) -> bool {
    date.year() >= 1986
        && date.weekday() != Weekday::Sunday
        && !is_named_holiday(date)
        && !is_substitute_holiday(date)
        && date.previous_day().is_some_and(is_named_holiday)
        && date.next_day().is_some_and(is_named_holiday)
}

/// The company's year-end holidays: December 31 to January 3.
pub fn is_company_holiday(date: Date) -> bool {
    matches!(
        (date.month(), date.day()),
        (Month::December, 31) | (Month::January, 1..=3)
    )
}

/// Is `date` a business day: a weekday that is no public or company holiday?
pub fn is_business_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        && !is_company_holiday(date)
        && !is_public_holiday(date)
}

/// Business hours: `[start_minute, end_minute)` of each business day, in JST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessHours {
    start_minute: u16,
    end_minute: u16,
}

impl Default for BusinessHours {
    /// 9:00–18:00.
    fn default() -> Self {
        BusinessHours {
            start_minute: 9 * 60,
            end_minute: 18 * 60,
        }
    }
}

impl BusinessHours {
    /// Business hours from minutes of the day; the start must come before the end, and
    /// both lie within the day (fields `day_start_minute`, `day_end_minute`).
    pub fn new(start_minute: i64, end_minute: i64) -> Result<Self, DomainError> {
        let day = i64::from(MINUTES_PER_DAY);
        if !(0..day).contains(&start_minute) {
            return Err(DomainError::invalid(
                "day_start_minute",
                format!(
                    "must be between 0 and {} minutes, not {start_minute}",
                    day - 1
                ),
            ));
        }
        if !(1..=day).contains(&end_minute) {
            return Err(DomainError::invalid(
                "day_end_minute",
                format!("must be between 1 and {day} minutes, not {end_minute}"),
            ));
        }
        if end_minute <= start_minute {
            return Err(DomainError::invalid(
                "day_end_minute",
                "must come after the start of the business day",
            ));
        }
        Ok(BusinessHours {
            start_minute: start_minute as u16,
            end_minute: end_minute as u16,
        })
    }

    /// The minute of the day business starts.
    pub fn start_minute(&self) -> u16 {
        self.start_minute
    }

    /// The minute of the day business ends (exclusive).
    pub fn end_minute(&self) -> u16 {
        self.end_minute
    }

    /// The business window of JST day `day` as instants, when it is a business day.
    fn window(&self, day: i64) -> Option<(i64, i64)> {
        if !is_business_day(date_of_day(day)) {
            return None;
        }
        let start = day_start(day).0;
        Some((
            start.saturating_add(i64::from(self.start_minute) * MICROS_PER_MINUTE),
            start.saturating_add(i64::from(self.end_minute) * MICROS_PER_MINUTE),
        ))
    }

    /// The earliest instant by which `minutes` business minutes have passed since `from`
    /// (`from` itself for zero): the deadline "within N business minutes".
    pub fn add_minutes(&self, from: Micros, minutes: u32) -> Micros {
        let mut remaining = i64::from(minutes) * MICROS_PER_MINUTE;
        if remaining == 0 {
            return from;
        }
        let mut cursor = from.0;
        let mut day = jst_day_number(from);
        loop {
            if let Some((open, close)) = self.window(day) {
                cursor = cursor.max(open);
                if cursor < close {
                    let available = close - cursor;
                    if remaining <= available {
                        return Micros(cursor + remaining);
                    }
                    remaining -= available;
                }
            }
            day += 1;
            cursor = day_start(day).0;
            if cursor == i64::MAX {
                return Micros(i64::MAX);
            }
        }
    }

    /// Business time in `[from, to)`, in microseconds (zero when `to` is not later).
    pub fn business_micros_between(&self, from: Micros, to: Micros) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        for day in jst_day_number(from)..=jst_day_number(to) {
            if let Some((open, close)) = self.window(day) {
                let (a, b) = (open.max(from.0), close.min(to.0));
                if b > a {
                    total += b - a;
                }
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::date;
    use proptest::prelude::*;

    fn jst(s: &str) -> Micros {
        Micros::parse_rfc3339(&format!("{s}+09:00")).expect("valid time")
    }

    fn holidays_of(year: i32) -> Vec<String> {
        let mut d = Date::from_calendar_date(year, Month::January, 1).expect("valid");
        let mut out = Vec::new();
        while d.year() == year {
            if is_public_holiday(d) {
                out.push(format!("{:02}-{:02}", u8::from(d.month()), d.day()));
            }
            d = d.next_day().expect("not the last date");
        }
        out
    }

    #[test]
    fn the_2026_calendar_matches_the_cabinet_office() {
        // 内閣府「国民の祝日について」, 令和8年.
        assert_eq!(
            holidays_of(2026),
            [
                "01-01", "01-12", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05",
                "05-06", "07-20", "08-11", "09-21", "09-22", "09-23", "10-12", "11-03", "11-23"
            ]
        );
        assert!(is_substitute_holiday(date!(2026 - 05 - 06)));
        assert!(is_citizens_holiday(date!(2026 - 09 - 22)));
    }

    #[test]
    fn known_years_match_the_official_lists() {
        assert_eq!(
            holidays_of(2025),
            [
                "01-01", "01-13", "02-11", "02-23", "02-24", "03-20", "04-29", "05-03", "05-04",
                "05-05", "05-06", "07-21", "08-11", "09-15", "09-23", "10-13", "11-03", "11-23",
                "11-24"
            ]
        );
        assert_eq!(
            holidays_of(2019),
            [
                "01-01", "01-14", "02-11", "03-21", "04-29", "04-30", "05-01", "05-02", "05-03",
                "05-04", "05-05", "05-06", "07-15", "08-11", "08-12", "09-16", "09-23", "10-14",
                "10-22", "11-03", "11-04", "11-23"
            ]
        );
        // The Olympic year moved three holidays.
        let y2020 = holidays_of(2020);
        for d in ["07-23", "07-24", "08-10"] {
            assert!(y2020.contains(&d.to_string()), "{d}");
        }
        assert!(!y2020.contains(&"10-12".to_string()));
        // 2015: 9/22 between 敬老の日 (9/21) and 秋分の日 (9/23).
        assert!(is_citizens_holiday(date!(2015 - 09 - 22)));
        // Before 2007 only the Monday after a holiday Sunday was a substitute.
        assert!(!is_public_holiday(date!(2004 - 05 - 06)));
        assert!(is_public_holiday(date!(2009 - 05 - 06)));
    }

    #[test]
    fn equinoxes_follow_the_formula() {
        assert_eq!(vernal_equinox_day(2026), 20);
        assert_eq!(autumnal_equinox_day(2026), 23);
        assert_eq!(vernal_equinox_day(2024), 20);
        assert_eq!(autumnal_equinox_day(2024), 22);
        assert_eq!(vernal_equinox_day(2027), 21);
        assert_eq!(autumnal_equinox_day(2012), 22);
        assert_eq!(vernal_equinox_day(1980), 20);
        assert_eq!(autumnal_equinox_day(2099), 23);
    }

    #[test]
    fn year_end_and_weekends_are_closed() {
        assert!(!is_business_day(date!(2026 - 12 - 31)));
        assert!(!is_business_day(date!(2027 - 01 - 01)));
        assert!(!is_business_day(date!(2027 - 01 - 02)));
        assert!(is_business_day(date!(2027 - 01 - 04)));
        assert!(!is_business_day(date!(2026 - 05 - 09)));
        assert!(!is_business_day(date!(2026 - 05 - 10)));
        assert!(is_business_day(date!(2026 - 05 - 07)));
    }

    #[test]
    fn deadlines_skip_nights_weekends_and_holidays() {
        let h = BusinessHours::default();
        // Inside hours: plain addition.
        assert_eq!(
            h.add_minutes(jst("2026-05-07T10:00:00"), 60),
            jst("2026-05-07T11:00:00")
        );
        // Before opening: counted from 9:00.
        assert_eq!(
            h.add_minutes(jst("2026-05-07T07:30:00"), 60),
            jst("2026-05-07T10:00:00")
        );
        // Runs over closing: the rest on the next business day.
        assert_eq!(
            h.add_minutes(jst("2026-05-07T17:30:00"), 60),
            jst("2026-05-08T09:30:00")
        );
        // Friday evening → Monday.
        assert_eq!(
            h.add_minutes(jst("2026-05-08T17:45:00"), 60),
            jst("2026-05-11T09:45:00")
        );
        // Golden Week: Friday 5/1 17:30 + 60 → Thursday 5/7 (5/2–5/6 closed).
        assert_eq!(
            h.add_minutes(jst("2026-05-01T17:30:00"), 60),
            jst("2026-05-07T09:30:00")
        );
        // Silver Week: 9/18 (Fri) after hours → 9/24 (Thu).
        assert_eq!(
            h.add_minutes(jst("2026-09-18T19:00:00"), 30),
            jst("2026-09-24T09:30:00")
        );
        // Year end: 12/30 (Wed) 17:00 + 120 → 1/4 (Mon) 10:00.
        assert_eq!(
            h.add_minutes(jst("2026-12-30T17:00:00"), 120),
            jst("2027-01-04T10:00:00")
        );
        // Ending exactly at closing stays on that day.
        assert_eq!(
            h.add_minutes(jst("2026-05-07T17:00:00"), 60),
            jst("2026-05-07T18:00:00")
        );
        // Zero minutes: the instant itself.
        assert_eq!(
            h.add_minutes(jst("2026-05-09T03:00:00"), 0),
            jst("2026-05-09T03:00:00")
        );
        // A long window spans several days: 2 business days of 9 hours.
        assert_eq!(
            h.add_minutes(jst("2026-05-07T09:00:00"), 18 * 60),
            jst("2026-05-08T18:00:00")
        );
    }

    #[test]
    fn hours_are_checked_field_by_field() {
        assert!(BusinessHours::new(540, 1080).is_ok());
        assert_eq!(
            BusinessHours::new(-1, 1080).expect_err("negative").field(),
            "day_start_minute"
        );
        assert_eq!(
            BusinessHours::new(540, 1441).expect_err("too late").field(),
            "day_end_minute"
        );
        assert_eq!(
            BusinessHours::new(600, 600).expect_err("empty").field(),
            "day_end_minute"
        );
        assert!(BusinessHours::new(0, 1440).is_ok());
    }

    #[test]
    fn day_starts_are_jst_midnight() {
        assert_eq!(
            jst_day_start(jst("2026-05-07T23:59:00")),
            jst("2026-05-07T00:00:00")
        );
        assert_eq!(
            jst_day_start(jst("2026-05-07T00:00:00")),
            jst("2026-05-07T00:00:00")
        );
        assert_eq!(
            jst_midnight(date!(2026 - 05 - 07)),
            jst("2026-05-07T00:00:00")
        );
    }

    fn hours() -> impl Strategy<Value = BusinessHours> {
        (0i64..1439)
            .prop_flat_map(|s| (Just(s), (s + 1)..=1440))
            .prop_map(|(s, e)| BusinessHours::new(s, e).expect("generated in range"))
    }

    proptest! {
        // 2000..2060, any instant.
        #[test]
        fn the_deadline_is_exactly_n_business_minutes_later(
            h in hours(),
            from in 946_684_800_000_000i64..2_840_140_800_000_000,
            n in 0u32..5_000,
        ) {
            let from = Micros(from);
            let due = h.add_minutes(from, n);
            prop_assert!(due >= from);
            prop_assert_eq!(h.business_micros_between(from, due), i64::from(n) * MICROS_PER_MINUTE);
            if n > 0 {
                // Earliest: a moment before, one minute's worth is still missing.
                prop_assert!(h.business_micros_between(from, Micros(due.0 - 1)) < i64::from(n) * MICROS_PER_MINUTE);
                // It lands on a business day, inside (start, end] of the day.
                let day = jst_day_number(Micros(due.0 - 1));
                prop_assert!(is_business_day(date_of_day(day)));
                let minute = (due.0 - day_start(day).0) as f64 / MICROS_PER_MINUTE as f64;
                prop_assert!(minute > f64::from(h.start_minute()) && minute <= f64::from(h.end_minute()));
            }
        }

        #[test]
        fn more_minutes_never_come_sooner(
            from in 946_684_800_000_000i64..2_840_140_800_000_000,
            a in 0u32..3_000,
            b in 0u32..3_000,
        ) {
            let h = BusinessHours::default();
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(h.add_minutes(Micros(from), lo) <= h.add_minutes(Micros(from), hi));
        }

        #[test]
        fn every_year_has_its_fixed_holidays_and_no_weekend_substitutes(year in 2007i32..2100) {
            for (m, d) in [(Month::January, 1), (Month::February, 11), (Month::May, 3), (Month::May, 5), (Month::November, 3), (Month::November, 23)] {
                prop_assert!(is_public_holiday(Date::from_calendar_date(year, m, d).expect("valid")));
            }
            let mut d = Date::from_calendar_date(year, Month::January, 1).expect("valid");
            let mut count = 0;
            while d.year() == year {
                if is_substitute_holiday(d) {
                    prop_assert!(d.weekday() != Weekday::Sunday);
                    // The holiday run before it contains a Sunday.
                    let mut p = d.previous_day().expect("valid");
                    let mut saw_sunday = false;
                    while is_named_holiday(p) {
                        saw_sunday |= p.weekday() == Weekday::Sunday;
                        p = p.previous_day().expect("valid");
                    }
                    prop_assert!(saw_sunday);
                }
                if is_public_holiday(d) { count += 1; }
                d = d.next_day().expect("valid");
            }
            // 16 named holidays (from 2020 on; 15 before), plus substitutes and citizens' holidays.
            prop_assert!((15..=22).contains(&count), "{} holidays in {}", count, year);
        }
    }
}
