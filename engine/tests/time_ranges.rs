//! Creation-time ranges (filters, the query language, tiers) come from day and hour bucket
//! bitmaps plus `by_created` for the partial hours at both ends: they must equal a brute-force
//! check of `created_at` for ranges on, off and across hour and day boundaries, after deletes
//! and archiving, and after a reopen.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Filter, MemoryId, NewMemory, QueryOptions};

const HOUR: u64 = 3_600_000_000;
const DAY: u64 = 24 * HOUR;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A time near the 12-day history: often exactly on an hour or a day, sometimes one µs off.
fn instant(rng: &mut Rng) -> u64 {
    let base = common::T0 - DAY;
    match rng.below(4) {
        0 => base + rng.below(14) * DAY,
        1 => base + rng.below(14 * 24) * HOUR,
        2 => (base + rng.below(14 * 24) * HOUR).saturating_sub(1) + 2 * rng.below(2),
        _ => base + rng.below(14 * DAY),
    }
}

#[test]
fn time_ranges_match_brute_force() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let (db, clock) = common::open_with_clock(&path);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut created = Vec::new();
    let mut batch = Vec::new();
    for i in 0..3_000u64 {
        // 12 days of history, with clusters on exact hour and day boundaries.
        let t = match i % 5 {
            0 => common::T0 + rng.below(12) * DAY,
            1 => common::T0 + rng.below(12 * 24) * HOUR,
            2 => common::T0 + rng.below(12 * 24) * HOUR - 1,
            _ => common::T0 + rng.below(12 * DAY),
        };
        created.push(t);
        batch.push(
            NewMemory::new(format!("memory {i}"))
                .user(if i % 3 == 0 { "alice" } else { "bob" })
                .created_at(t),
        );
    }
    let ids = db.store_batch(batch).unwrap();
    let mut gone = std::collections::BTreeSet::new();
    for id in ids.iter().step_by(7) {
        db.delete(*id).unwrap();
        gone.insert(*id);
    }
    clock.set(common::T0 + 13 * DAY);

    let check = |db: &memspine::Spine, rng: &mut Rng| {
        for _ in 0..150 {
            let (a, b) = (instant(rng), instant(rng));
            let (lo, hi) = (a.min(b), a.max(b));
            let lo = (rng.below(5) != 0).then_some(lo);
            let hi = (rng.below(5) != 0).then_some(hi);
            let f = Filter {
                created_after: lo,
                created_before: hi,
                ..Default::default()
            };
            let want: Vec<MemoryId> = ids
                .iter()
                .zip(&created)
                .filter(|(id, _)| !gone.contains(id))
                .filter(|(_, t)| lo.is_none_or(|l| **t >= l) && hi.is_none_or(|h| **t < h))
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(db.filter_ids(&f).unwrap(), want, "range {lo:?}..{hi:?}");
        }
        // The query language's bounds: created_after is inclusive, created_before exclusive.
        let q = format!(
            "created_after:{} AND created_before:{} AND user:alice",
            rfc3339(common::T0 + 2 * DAY + 5 * HOUR),
            rfc3339(common::T0 + 9 * DAY)
        );
        let got: Vec<u64> = db
            .query_ids(
                &memspine::query::parse(&q).unwrap(),
                &QueryOptions::default(),
            )
            .unwrap()
            .iter()
            .map(u64::from)
            .collect();
        let want: Vec<u64> = ids
            .iter()
            .zip(&created)
            .enumerate()
            .filter(|(i, (id, t))| {
                i % 3 == 0
                    && !gone.contains(id)
                    && **t >= common::T0 + 2 * DAY + 5 * HOUR
                    && **t < common::T0 + 9 * DAY
            })
            .map(|(_, (id, _))| id.0)
            .collect();
        assert_eq!(got, want, "{q}");
    };
    check(&db, &mut rng);
    drop(db);
    let (db, clock) = common::open_with_clock(&path);
    clock.set(common::T0 + 13 * DAY);
    check(&db, &mut rng);
    assert!(db.verify().unwrap().is_ok());
}

/// RFC 3339 of a µs timestamp (UTC, whole seconds).
fn rfc3339(us: u64) -> String {
    let secs = us / 1_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
