//! Dedup on write: an exact duplicate in the same scope returns the existing id.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Dedup, MemoryUpdate, NewMemory};

#[test]
fn exact_duplicates_in_the_same_scope_return_the_existing_id() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let a = db
        .store(NewMemory::new("Alice lives in Berlin").user("alice"))
        .unwrap();
    let again = db
        .store(
            NewMemory::new("Alice lives in Berlin")
                .user("alice")
                .dedup(Dedup::Exact),
        )
        .unwrap();
    assert_eq!(a, again);
    let other_scope = db
        .store(
            NewMemory::new("Alice lives in Berlin")
                .user("bob")
                .dedup(Dedup::Exact),
        )
        .unwrap();
    assert_ne!(a, other_scope);
    let off = db
        .store(NewMemory::new("Alice lives in Berlin").user("alice"))
        .unwrap();
    assert_ne!(a, off, "dedup is off by default");
    // Within one batch too.
    let ids = db
        .store_batch(vec![
            NewMemory::new("new fact").dedup(Dedup::Exact),
            NewMemory::new("new fact").dedup(Dedup::Exact),
        ])
        .unwrap();
    assert_eq!(ids[0], ids[1]);
    // After an update or delete the index follows.
    db.update(
        ids[0],
        MemoryUpdate {
            content: Some("changed fact".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let fresh = db
        .store(NewMemory::new("new fact").dedup(Dedup::Exact))
        .unwrap();
    assert_ne!(fresh, ids[0]);
    db.delete(fresh).unwrap();
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

#[test]
fn deleting_one_of_two_duplicates_keeps_the_other_findable() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let a = db.store(NewMemory::new("same")).unwrap();
    let b = db.store(NewMemory::new("same")).unwrap();
    db.delete(b).unwrap();
    assert_eq!(
        db.store(NewMemory::new("same").dedup(Dedup::Exact))
            .unwrap(),
        a
    );
    assert!(db.verify().unwrap().is_ok());
}
