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
    db.delete(a).unwrap();
    db.note_access(&[a]);
    db.flush_access().unwrap();
    assert!(
        db.verify().unwrap().is_ok(),
        "a deleted id's pending count is dropped, not written"
    );
}
