//! Time sources. Decay and recency logic read time only through a [`Clock`], so tests can
//! move through 90 days without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch (UTC).
pub type Micros = u64;

/// One microsecond-resolution time source.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in microseconds since the Unix epoch.
    fn now(&self) -> Micros;
}

/// The system wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Micros {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: Micros) -> Self {
        ManualClock(Arc::new(AtomicU64::new(now)))
    }
    /// Sets the time.
    pub fn set(&self, now: Micros) {
        self.0.store(now, Ordering::SeqCst);
    }
    /// Moves the time forward.
    pub fn advance(&self, by: std::time::Duration) {
        self.0.fetch_add(by.as_micros() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Micros {
        self.0.load(Ordering::SeqCst)
    }
}

/// Microseconds in an hour.
pub const HOUR: Micros = 3_600_000_000;
/// Microseconds in a day.
pub const DAY: Micros = 24 * HOUR;

/// Formats micros as RFC 3339 UTC with microsecond precision (`2026-01-02T03:04:05.000006Z`).
pub fn format_rfc3339(t: Micros) -> String {
    let secs = (t / 1_000_000) as i64;
    let micros = t % 1_000_000;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Formats micros as a date (`2026-01-02`).
pub fn format_date(t: Micros) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, t);
    out
}

/// Appends [`format_date`]`(t)` to `out`, digit by digit for years 0–9999 (a context window
/// dates every line it writes).
pub fn push_date(out: &mut String, t: Micros) {
    let (y, m, d) = civil_from_days(((t / 1_000_000) as i64).div_euclid(86_400));
    if !(0..=9999).contains(&y) {
        out.push_str(&format!("{y:04}-{m:02}-{d:02}"));
        return;
    }
    let digit = |n: i64| char::from(b'0' + n.rem_euclid(10) as u8);
    for (i, n) in [y / 1000, y / 100, y / 10, y, -1, m / 10, m, -1, d / 10, d]
        .into_iter()
        .enumerate()
    {
        out.push(if i == 4 || i == 7 { '-' } else { digit(n) });
    }
}

/// Parses RFC 3339 (`2026-01-02T03:04:05Z`, offsets, fractions) or a bare date (`2026-01-02`, midnight UTC).
pub fn parse_rfc3339(s: &str) -> Option<Micros> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) && !part.is_empty() {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    if b.len() == 10 {
        return to_micros(days * 86_400, 0);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.len() < 19 {
        return None;
    }
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        let digits = s.get(start..i)?;
        if digits.is_empty() {
            return None;
        }
        let mut padded: String = digits.chars().take(6).collect();
        while padded.len() < 6 {
            padded.push('0');
        }
        frac = padded.parse().ok()?;
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    to_micros(days * 86_400 + h * 3600 + mi * 60 + se - offset, frac)
}

fn to_micros(secs: i64, frac: i64) -> Option<Micros> {
    let t = secs.checked_mul(1_000_000)?.checked_add(frac)?;
    u64::try_from(t).ok()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        for t in [0u64, 1_700_000_000_123_456, 951_782_400_000_000] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
        assert_eq!(parse_rfc3339("1970-01-02"), Some(DAY));
        assert_eq!(
            parse_rfc3339("1970-01-01T01:00:00+01:00"),
            Some(0),
            "offsets are applied"
        );
        assert_eq!(parse_rfc3339("2026-02-30"), None);
        assert_eq!(parse_rfc3339("nonsense"), None);
    }

    #[test]
    fn dates_are_written_as_format_writes_them() {
        let mut t = 0u64;
        while t < 400 * 366 * DAY {
            let (y, m, d) = civil_from_days((t / DAY) as i64);
            assert_eq!(format_date(t), format!("{y:04}-{m:02}-{d:02}"));
            t += 13 * DAY + 7 * HOUR;
        }
        // Past year 9999 the general formatter writes it.
        assert_eq!(format_date(u64::MAX), {
            let (y, m, d) = civil_from_days((u64::MAX / 1_000_000) as i64 / 86_400);
            format!("{y:04}-{m:02}-{d:02}")
        });
        assert_eq!(format_date(1_767_225_600_000_000), "2026-01-01");
    }
}
