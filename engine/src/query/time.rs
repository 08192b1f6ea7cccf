//! Time values of the DSL: RFC 3339 timestamps, plain dates, relative ages and raw
//! microseconds. Civil-date arithmetic follows Howard Hinnant's `days_from_civil`, so no
//! calendar crate is needed and no clock is read.

use super::ast::{Age, AgeUnit, TimeValue};

const MICROS_PER_SEC: i128 = 1_000_000;
const MICROS_PER_DAY: u64 = 86_400_000_000;

/// A problem inside a time value: byte offset within the value, what was expected, what was found.
pub(crate) type TimeErr = (usize, String, String);

/// Parses one time value. Forms, tried in this order:
/// `@<micros>`; `<n>s|m|h|d|w`; `YYYY-MM-DD`; `YYYY-MM-DD(T|t| )HH:MM:SS[.frac](Z|z|±HH:MM)`.
pub(crate) fn parse(s: &str) -> Result<TimeValue, TimeErr> {
    if let Some(digits) = s.strip_prefix('@') {
        return parse_u64(digits).map(TimeValue::At).ok_or_else(|| {
            (
                1,
                "microseconds since the epoch after '@'".into(),
                describe(digits),
            )
        });
    }
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && digits + 1 == b.len() {
        return parse_age(s, digits);
    }
    parse_rfc3339(b)
}

fn parse_age(s: &str, digits: usize) -> Result<TimeValue, TimeErr> {
    let (num, unit) = s.split_at(digits);
    let unit = match unit {
        "s" => AgeUnit::Seconds,
        "m" => AgeUnit::Minutes,
        "h" => AgeUnit::Hours,
        "d" => AgeUnit::Days,
        "w" => AgeUnit::Weeks,
        other => {
            return Err((
                digits,
                "an age unit s, m, h, d or w".into(),
                describe(other),
            ))
        }
    };
    let amount = parse_u64(num).ok_or_else(|| (0, "an age below 2^64".into(), describe(num)))?;
    Ok(TimeValue::Ago(Age { amount, unit }))
}

fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Reads fixed-width digits at `at`, or explains what was expected there.
fn digits(b: &[u8], at: usize, n: usize, what: &str) -> Result<u32, TimeErr> {
    let field = b
        .get(at..at + n)
        .filter(|d| d.iter().all(u8::is_ascii_digit));
    match field {
        Some(d) => Ok(d.iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0'))),
        None => Err((at, what.into(), found_at(b, at))),
    }
}

fn expect_byte(b: &[u8], at: usize, want: &[u8], what: &str) -> Result<u8, TimeErr> {
    match b.get(at) {
        Some(c) if want.contains(c) => Ok(*c),
        _ => Err((at, what.into(), found_at(b, at))),
    }
}

fn in_range(v: u32, lo: u32, hi: u32, at: usize, what: &str) -> Result<u32, TimeErr> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err((at, what.into(), format!("{v:02}")))
    }
}

const DATE_OR_AGE: &str = "a date (2026-01-31), an RFC 3339 time, an age (7d) or @micros";

fn parse_rfc3339(b: &[u8]) -> Result<TimeValue, TimeErr> {
    let year = digits(b, 0, 4, DATE_OR_AGE)?;
    expect_byte(b, 4, b"-", "'-' after the year")?;
    let month = in_range(
        digits(b, 5, 2, "a two-digit month")?,
        1,
        12,
        5,
        "a month 01-12",
    )?;
    expect_byte(b, 7, b"-", "'-' after the month")?;
    let dim = days_in_month(year, month);
    let day = in_range(
        digits(b, 8, 2, "a two-digit day")?,
        1,
        dim,
        8,
        "a day of that month",
    )?;
    let days = days_from_civil(i64::from(year), month, day);
    let mut micros = i128::from(days) * i128::from(MICROS_PER_DAY);
    if b.len() > 10 {
        micros += parse_time_of_day(b)?;
    }
    u64::try_from(micros).map(TimeValue::At).map_err(|_| {
        (
            0,
            "a time at or after 1970-01-01T00:00:00Z".into(),
            describe_bytes(b),
        )
    })
}

/// Parses `THH:MM:SS[.frac](Z|±HH:MM)` from byte 10 on; returns micros to add (offset applied).
fn parse_time_of_day(b: &[u8]) -> Result<i128, TimeErr> {
    expect_byte(b, 10, b"Tt ", "'T' between date and time")?;
    let h = in_range(
        digits(b, 11, 2, "a two-digit hour")?,
        0,
        23,
        11,
        "an hour 00-23",
    )?;
    expect_byte(b, 13, b":", "':' after the hour")?;
    let m = in_range(
        digits(b, 14, 2, "two-digit minutes")?,
        0,
        59,
        14,
        "minutes 00-59",
    )?;
    expect_byte(b, 16, b":", "':' after the minutes")?;
    let sec_what = "seconds 00-59 (leap seconds are not supported)";
    let s = in_range(digits(b, 17, 2, "two-digit seconds")?, 0, 59, 17, sec_what)?;
    let mut at = 19;
    let mut frac: i128 = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let n = b.iter().skip(at).take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return Err((at, "1 to 9 fraction digits".into(), found_at(b, at)));
        }
        // Keep microseconds; finer digits are truncated (times are µs everywhere).
        for i in 0..6 {
            let d = b.get(at + i).filter(|c| i < n && c.is_ascii_digit());
            frac = frac * 10 + d.map_or(0, |c| i128::from(c - b'0'));
        }
        at += n;
    }
    let offset = parse_offset(b, at)?;
    let secs = i128::from(h) * 3600 + i128::from(m) * 60 + i128::from(s) - offset;
    Ok(secs * MICROS_PER_SEC + frac)
}

/// Parses `Z` or `±HH:MM` at `at`, which must end the value; returns the offset in seconds.
fn parse_offset(b: &[u8], at: usize) -> Result<i128, TimeErr> {
    let what = "'Z' or an offset like +02:00";
    let sign = expect_byte(b, at, b"Zz+-", what)?;
    let end = if matches!(sign, b'Z' | b'z') {
        at + 1
    } else {
        let oh = in_range(
            digits(b, at + 1, 2, what)?,
            0,
            23,
            at + 1,
            "offset hours 00-23",
        )?;
        expect_byte(b, at + 3, b":", "':' in the offset")?;
        let om = in_range(
            digits(b, at + 4, 2, what)?,
            0,
            59,
            at + 4,
            "offset minutes 00-59",
        )?;
        let secs = i128::from(oh) * 3600 + i128::from(om) * 60;
        if b.len() != at + 6 {
            return Err((at + 6, "the end of the time".into(), found_at(b, at + 6)));
        }
        return Ok(if sign == b'-' { -secs } else { secs });
    };
    if b.len() != end {
        return Err((end, "the end of the time".into(), found_at(b, end)));
    }
    Ok(0)
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (Hinnant), for non-negative day counts.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The first instant RFC 3339 cannot write (year 10000); later times print as `@micros`.
fn rfc3339_end() -> u64 {
    days_from_civil(10_000, 1, 1) as u64 * MICROS_PER_DAY
}

/// Canonical text of an absolute time: `2026-01-31` at midnight, else
/// `2026-01-31T10:20:30Z` with `.ffffff` when there are microseconds; `@micros` past year 9999.
pub(crate) fn format(t: u64) -> String {
    if t >= rfc3339_end() {
        return format!("@{t}");
    }
    let (days, rem) = (t / MICROS_PER_DAY, t % MICROS_PER_DAY);
    let (y, mo, d) = civil_from_days(days as i64);
    if rem == 0 {
        return format!("{y:04}-{mo:02}-{d:02}");
    }
    let (secs, us) = (rem / 1_000_000, rem % 1_000_000);
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let frac = if us == 0 {
        String::new()
    } else {
        format!(".{us:06}")
    };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z")
}

fn found_at(b: &[u8], at: usize) -> String {
    match b.get(at..) {
        Some(rest) if !rest.is_empty() => describe_bytes(rest),
        _ => "the end of the value".into(),
    }
}

fn describe_bytes(b: &[u8]) -> String {
    describe(&String::from_utf8_lossy(b))
}

/// Quotes (a prefix of) a piece of input for an error message.
pub(crate) fn describe(s: &str) -> String {
    if s.is_empty() {
        return "nothing".into();
    }
    let head: String = s.chars().take(24).collect();
    let more = if head.len() < s.len() { "…" } else { "" };
    format!("{head:?}{more}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> u64 {
        match parse(s) {
            Ok(TimeValue::At(t)) => t,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn known_instants() {
        assert_eq!(at("1970-01-01"), 0);
        assert_eq!(at("2026-01-01"), 1_767_225_600_000_000);
        assert_eq!(at("2026-01-01T00:00:00Z"), 1_767_225_600_000_000);
        assert_eq!(at("2026-01-01T02:00:00+02:00"), 1_767_225_600_000_000);
        assert_eq!(at("2025-12-31T19:00:00-05:00"), 1_767_225_600_000_000);
        assert_eq!(at("2026-01-01T00:00:00.1234567Z"), 1_767_225_600_123_456);
        assert_eq!(at("2024-02-29"), 1_709_164_800_000_000);
        assert_eq!(at("@42"), 42);
    }

    #[test]
    fn format_round_trips() {
        for t in [
            0,
            1,
            999_999,
            1_767_225_600_000_000,
            1_767_225_600_123_456,
            86_400_000_000,
        ] {
            assert_eq!(at(&format(t)), t, "{}", format(t));
        }
        let end = rfc3339_end();
        assert_eq!(format(end - 1), "9999-12-31T23:59:59.999999Z");
        assert_eq!(at(&format(end)), end);
        assert_eq!(at(&format(u64::MAX)), u64::MAX);
    }

    #[test]
    fn civil_matches_days() {
        for days in [0i64, 59, 365, 10_957, 20_454, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn rejects() {
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "2026-01-01T24:00:00Z",
            "2026-01-01T10:00:00",
            "1969-12-31",
            "2026-1-01",
            "7y",
            "@",
            "@x",
            "2026-01-01T00:00:60Z",
            "99999999999999999999d",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
