//! Dates as Japanese spreadsheets write them.

use crate::error::DomainError;
use crate::text::normalize_text;

/// The first year of each Japanese era (元年).
const ERAS: [(&str, &str, i32); 5] = [
    ("令和", "R", 2019),
    ("平成", "H", 1989),
    ("昭和", "S", 1926),
    ("大正", "T", 1912),
    ("明治", "M", 1868),
];

/// Parses a date: `2026-04-01`, `2026/4/1`, `2026年4月1日`, 和暦 (`令和8年4月1日`, `R8.4.1`,
/// `令和元年5月1日`), an ISO date-time (the date part), or an Excel serial day number
/// (`46113`). Field name "date".
pub fn parse_date(raw: &str) -> Result<time::Date, DomainError> {
    let s = normalize_text(raw);
    let bad = || {
        DomainError::invalid(
            "date",
            format!(
                "\"{}\" is not a date (e.g. 2026-04-01, 令和8年4月1日)",
                raw.trim()
            ),
        )
    };
    if s.is_empty() {
        return Err(bad());
    }
    // Excel serial day numbers: 1900 date system, 25569 = 1970-01-01.
    if let Ok(serial) = s.parse::<f64>() {
        if (20_000.0..80_000.0).contains(&serial) {
            let days = serial.floor() as i64 - 25_569;
            let epoch =
                time::Date::from_calendar_date(1970, time::Month::January, 1).map_err(|_| bad())?;
            return epoch
                .checked_add(time::Duration::days(days))
                .ok_or_else(bad);
        }
        return Err(bad());
    }
    let mut year_offset: Option<i32> = None;
    let mut rest = s.as_str();
    for (kanji, letter, first) in ERAS {
        if let Some(r) = rest.strip_prefix(kanji) {
            year_offset = Some(first - 1);
            rest = r;
            break;
        }
        if let Some(r) = rest
            .strip_prefix(letter)
            .or_else(|| rest.strip_prefix(&letter.to_ascii_lowercase()))
            && r.starts_with(|c: char| c.is_ascii_digit() || c == '元')
        {
            year_offset = Some(first - 1);
            rest = r;
            break;
        }
    }
    let rest = rest.replacen('元', "1", 1);
    // The date part only: cut a time after a space or 'T'.
    let date_part = rest.split(['T', ' ']).next().unwrap_or("");
    let nums: Vec<&str> = date_part
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    if nums.len() < 3 {
        return Err(bad());
    }
    let y: i32 = nums[0].parse().map_err(|_| bad())?;
    let m: u8 = nums[1].parse().map_err(|_| bad())?;
    let d: u8 = nums[2].parse().map_err(|_| bad())?;
    let year = match year_offset {
        Some(off) => off + y,
        None if nums[0].len() == 4 => y,
        None => return Err(bad()),
    };
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    time::Date::from_calendar_date(year, month, d).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u8, d: u8) -> time::Date {
        time::Date::from_calendar_date(y, time::Month::try_from(m).expect("month"), d)
            .expect("date")
    }

    #[test]
    fn parses_the_ways_spreadsheets_write_dates() {
        assert_eq!(parse_date("2026-04-01").ok(), Some(ymd(2026, 4, 1)));
        assert_eq!(parse_date("2026/4/1").ok(), Some(ymd(2026, 4, 1)));
        assert_eq!(parse_date("２０２６年４月１日").ok(), Some(ymd(2026, 4, 1)));
        assert_eq!(
            parse_date("2026-04-01T09:30:00+09:00").ok(),
            Some(ymd(2026, 4, 1))
        );
        assert_eq!(parse_date("2026/04/01 9:30").ok(), Some(ymd(2026, 4, 1)));
        assert_eq!(parse_date("令和8年4月1日").ok(), Some(ymd(2026, 4, 1)));
        assert_eq!(parse_date("令和元年5月1日").ok(), Some(ymd(2019, 5, 1)));
        assert_eq!(parse_date("R8.4.1").ok(), Some(ymd(2026, 4, 1)));
        assert_eq!(parse_date("H31.4.30").ok(), Some(ymd(2019, 4, 30)));
        assert_eq!(parse_date("46113").ok(), Some(ymd(2026, 4, 1)));
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in ["", "明日", "2026-13-01", "2026-02-30", "26/4/1", "12", "R8"] {
            let e = parse_date(bad).expect_err(bad);
            assert_eq!(e.field(), "date");
        }
    }
}
