//! Access counts are buffered, visible at once, and written without blocking reads.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::NewMemory;

#[test]
fn access_counts_are_visible_at_once_and_survive_reopen() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let (a, b) = {
        let (db, _) = common::open_with_clock(&path);
        let a = db.store(NewMemory::new("a")).unwrap();
        let b = db.store(NewMemory::new("b")).unwrap();
        db.note_access(&[a, b, a]);
        let m = db.get(a).unwrap();
        assert_eq!(m.access_count, 2);
        assert_eq!(m.last_access, Some(common::T0));
        // A write piggybacks the pending counts.
        db.store(NewMemory::new("c")).unwrap();
        db.note_access(&[b]);
        assert_eq!(db.get(b).unwrap().access_count, 2);
        (a, b)
        // Dropping the last handle flushes the rest.
    };
    let db = common::open(&path);
    assert_eq!(db.get(a).unwrap().access_count, 2);
    assert_eq!(db.get(b).unwrap().access_count, 2);
    // `d` has no access row when it is deleted with its count pending (the delete's own
    // write drains the count after removing it); `a` has one, deleted with it.
    let d = db.store(NewMemory::new("d")).unwrap();
    db.note_access(&[d]);
    db.delete(d).unwrap();
    db.delete(a).unwrap();
    db.note_access(&[a]);
    db.flush_access().unwrap();
    assert!(
        db.verify().unwrap().is_ok(),
        "a deleted id's pending count is dropped, not written"
    );
}

/// Crossing the flush mark hands the write to a background thread; the last handle going away
/// waits for it, so the database reopens at once with every count, and `reclaim_space` right
/// after finds the database to itself.
#[test]
fn a_flush_in_the_background_never_holds_the_database_after_close() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let flush_at = 4_096; // the default, 131 072, would make this test store as many
    let n = flush_at + 100; // past the flush mark
    let ids = {
        let db = memspine::Spine::open(
            &path,
            memspine::Options {
                access_flush_at: flush_at,
                durability: memspine::Durability::None,
                ..memspine::Options::default()
            },
        )
        .unwrap();
        let batch = (0..n).map(|i| NewMemory::new(format!("m{i}"))).collect();
        let ids = db.store_batch(batch).unwrap();
        for _ in 0..3 {
            db.note_access(&ids); // crosses the mark: a flush starts in the background
        }
        ids
    };
    for _ in 0..3 {
        // Opens at once: the background flush let go when the last handle went.
        let db = common::open(&path);
        assert!(ids.iter().all(|&id| db.get(id).unwrap().access_count == 3));
        assert!(db.verify().unwrap().is_ok());
    }
    let (mut db, _) = common::open_with_clock(&path);
    db.note_access(&ids);
    db.reclaim_space().unwrap();
    assert_eq!(db.get(ids[0]).unwrap().access_count, 4);
}

/// A write that took the pending counts into its transaction and failed to commit must not
/// lose them: reads still count them (they are in no table), and the next write would write
/// them. Before, the counts were taken out of the buffer and dropped with the failed write.
#[test]
fn counts_taken_by_a_write_that_failed_are_still_counted() {
    use memspine::fault::{Faults, Kind, Plan, Target};
    let dir = common::temp();
    let faults = Faults::new();
    let db = memspine::Spine::open(
        common::db_path(&dir),
        memspine::Options {
            faults: Some(faults.clone()),
            cache_bytes: 1 << 20,
            ..memspine::Options::default()
        },
    )
    .unwrap();
    let a = db.store(NewMemory::new("a")).unwrap();
    db.note_access(&[a, a, a]);
    faults.arm(Plan {
        target: Target::Db,
        kind: Kind::FailSync,
        nth: 0,
        sticky: true,
    });
    assert!(db.flush_access().is_err(), "the commit's fsync fails");
    assert!(faults.fired());
    assert_eq!(db.get(a).unwrap().access_count, 3);
    db.note_access(&[a]);
    assert_eq!(db.get(a).unwrap().access_count, 4);
}

#[test]
fn retrievals_count_and_inspections_do_not() {
    use memspine::query::Q;
    use memspine::{ContextOptions, QueryOptions, SearchMode, SearchOptions};
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    let a = db
        .store(NewMemory::new("the invoice was paid twice"))
        .unwrap();
    let b = db.store(NewMemory::new("lunch at noon")).unwrap();
    let count = |id| db.get(id).unwrap().access_count;
    // Inspections: get, get_many, recent, a query by default.
    db.get_many(&[a, b]).unwrap();
    db.recent(10).unwrap();
    db.query_dsl("text:invoice").unwrap();
    assert_eq!((count(a), count(b)), (0, 0));
    // Search counts what it returns.
    clock.advance(std::time::Duration::from_secs(1));
    let hits = db
        .search(
            "invoice",
            &SearchOptions {
                mode: SearchMode::Lexical,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!((count(a), count(b)), (1, 0));
    assert_eq!(db.get(a).unwrap().last_access, Some(common::T0 + 1_000_000));
    // Not when asked not to.
    db.search(
        "invoice",
        &SearchOptions {
            track_access: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(count(a), 1);
    // The context window counts what it chose, and only that.
    let w = db
        .llm_context_window("invoice", 1000, &ContextOptions::default())
        .unwrap();
    for id in [a, b] {
        let chosen = w.chosen.iter().any(|c| c.id == id);
        let before = if id == a { 1 } else { 0 };
        assert_eq!(count(id), before + u64::from(chosen), "{id}");
    }
    let (ca, cb) = (count(a), count(b));
    // A query counts when asked to.
    let opts = QueryOptions {
        track_access: true,
        ..Default::default()
    };
    let found = db.query(&Q::text("lunch"), &opts).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((count(a), count(b)), (ca, cb + 1));
    // Written with the next write and kept.
    db.flush_access().unwrap();
    assert_eq!((count(a), count(b)), (ca, cb + 1));
}
