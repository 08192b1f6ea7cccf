//! Time helpers. All times are `u64` microseconds since the Unix epoch (UTC), as everywhere in
//! memspine; callers pass `now` explicitly, so tests move through 90 days without sleeping.

use std::time::Duration;

/// One day in microseconds.
pub const MICROS_PER_DAY: u64 = 86_400_000_000;

/// A [`Duration`] in whole microseconds, saturating at `u64::MAX` (≈ 584 000 years).
pub fn duration_us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// `days` days as a [`Duration`].
pub const fn days(days: u64) -> Duration {
    Duration::from_secs(days * 86_400)
}

/// Microseconds as fractional days (for reasons a human reads).
pub fn as_days(us: u64) -> f64 {
    us as f64 / MICROS_PER_DAY as f64
}

/// The UTC calendar date of a timestamp as `YYYY-MM-DD`.
pub fn format_date(us: u64) -> String {
    let days = i64::try_from(us / MICROS_PER_DAY).unwrap_or(i64::MAX / 2);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → (year, month, day), proleptic
/// Gregorian. Exact for every `i64` day count we can produce from a `u64` of microseconds.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(MICROS_PER_DAY - 1), "1970-01-01");
        // 2024-02-29 00:00:00 UTC = 1 709 164 800 s.
        assert_eq!(format_date(1_709_164_800_000_000), "2024-02-29");
        assert_eq!(
            format_date(1_709_164_800_000_000 + MICROS_PER_DAY),
            "2024-03-01"
        );
        assert_eq!(format_date(951_782_400_000_000), "2000-02-29");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_us(days(7)), 7 * MICROS_PER_DAY);
        assert_eq!(duration_us(Duration::MAX), u64::MAX);
    }
}
