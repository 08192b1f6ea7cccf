//! `recent_filtered`: the newest memories of a filter by creation time equal a brute-force
//! sort, for dense and sparse sets (a light user among many memories spread over months takes
//! the day-bucket path), after deletes, and with creation times given out of order.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Filter, Memory, MemoryId, NewMemory, Spine};

const DAY: u64 = 86_400_000_000;

use common::SplitMix as Rng;

/// Brute force: every memory of the filter, newest first (ties: higher id first).
fn reference(db: &Spine, filter: &Filter, count: usize) -> Vec<MemoryId> {
    let ids = db.filter_ids(filter).unwrap();
    let mut all: Vec<Memory> = db.get_many(&ids).unwrap();
    all.sort_by_key(|m| std::cmp::Reverse((m.created_at, m.id)));
    all.into_iter().take(count).map(|m| m.id).collect()
}

#[test]
fn newest_of_dense_and_sparse_filters_equal_a_sorted_scan() {
    let dir = common::temp();
    let (db, _clock) = common::open_with_clock(&common::db_path(&dir));
    let mut r = Rng(3);
    // 12 000 memories over ~200 days: "heavy" writes most of them, "light" a few dozen, "rare"
    // three in the first month; creation times are drawn out of order, with duplicates.
    let mut batch = Vec::new();
    for i in 0..12_000u64 {
        let user = match r.next() % 400 {
            0..=2 => "light",
            3 if i < 2_000 => "rare",
            _ => "heavy",
        };
        let day = if user == "rare" {
            r.next() % 30
        } else {
            r.next() % 200
        };
        let t = common::T0 + day * DAY + (r.next() % 24) * 3_600_000_000;
        batch.push(
            NewMemory::new(format!("memory {i}"))
                .user(user)
                .created_at(t),
        );
        if batch.len() == 1_000 {
            db.store_batch(std::mem::take(&mut batch)).unwrap();
        }
    }
    let check = |db: &Spine| {
        for user in ["heavy", "light", "rare", "nobody"] {
            for count in [1, 10, 25, 1_000] {
                let f = Filter::user(user);
                let got: Vec<MemoryId> = db
                    .recent_filtered(count, &f)
                    .unwrap()
                    .iter()
                    .map(|m| m.id)
                    .collect();
                assert_eq!(got, reference(db, &f, count), "{user} {count}");
            }
        }
        let all = Filter::default();
        let got: Vec<MemoryId> = db
            .recent_filtered(50, &all)
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(got, reference(db, &all, 50));
    };
    check(&db);
    // Delete some of the light user's newest.
    for id in reference(&db, &Filter::user("light"), 4)
        .into_iter()
        .step_by(2)
    {
        db.delete(id).unwrap();
    }
    check(&db);
}
