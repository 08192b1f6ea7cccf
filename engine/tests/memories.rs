//! Store / get / update / delete / history round trips and batch store.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Error, MemoryUpdate, NewMemory};
use serde_json::json;

#[test]
fn store_get_round_trip_keeps_every_field() {
    let dir = common::temp();
    let (db, _clock) = common::open_with_clock(&common::db_path(&dir));
    let id = db
        .store(
            NewMemory::new("Alice prefers email")
                .kind("preference")
                .tag("pref")
                .tag("contact")
                .tag("pref")
                .user("alice")
                .session("s1")
                .agent("bot")
                .metadata(json!({"channel": "email", "n": 3}))
                .importance(0.8)
                .pinned(true)
                .created_at(common::T0 - 1000),
        )
        .unwrap();
    let m = db.get(id).unwrap();
    assert_eq!(m.content, "Alice prefers email");
    assert_eq!(m.kind, "preference");
    assert_eq!(
        m.tags,
        vec!["contact", "pref"],
        "tags sorted and deduplicated"
    );
    assert_eq!(m.scope.user.as_deref(), Some("alice"));
    assert_eq!(m.scope.session.as_deref(), Some("s1"));
    assert_eq!(m.scope.agent.as_deref(), Some("bot"));
    assert_eq!(m.metadata, json!({"channel": "email", "n": 3}));
    assert_eq!(m.importance, 0.8);
    assert!(m.pinned);
    assert_eq!(m.created_at, common::T0 - 1000);
    assert_eq!(m.updated_at, common::T0);
    assert!(m.provenance.is_empty());
}

#[test]
fn ids_are_time_ordered_and_stable_across_reopen() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let ids: Vec<_> = {
        let (db, clock) = common::open_with_clock(&path);
        (0..10)
            .map(|i| {
                clock.advance(std::time::Duration::from_secs(1));
                db.store(NewMemory::new(format!("m{i}"))).unwrap()
            })
            .collect()
    };
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let db = common::open(&path);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(db.get(*id).unwrap().content, format!("m{i}"));
    }
    let next = db.store(NewMemory::new("after reopen")).unwrap();
    assert!(next > *ids.last().unwrap());
}

#[test]
fn update_changes_fields_and_is_logged() {
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    let id = db.store(NewMemory::new("v1").tag("a").user("bob")).unwrap();
    clock.advance(std::time::Duration::from_secs(60));
    let m = db
        .update(
            id,
            MemoryUpdate {
                content: Some("v2".into()),
                tags: Some(vec!["b".into()]),
                user: Some(None),
                importance: Some(0.1),
                pinned: Some(true),
                kind: Some("fact".into()),
                metadata: Some(json!({"x": 1})),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(m.content, "v2");
    assert_eq!(m.tags, vec!["b"]);
    assert_eq!(m.scope.user, None);
    assert_eq!(m.kind, "fact");
    assert!(m.pinned);
    assert_eq!(m.updated_at, common::T0 + 60_000_000);
    assert_eq!(db.get(id).unwrap(), m);
    let h = db.history(id).unwrap();
    let types: Vec<_> = h.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, ["memory.stored", "memory.updated"]);
    assert_eq!(h[1].payload()["content"], "v2");
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn delete_leaves_an_event_and_history() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let id = db.store(NewMemory::new("to be deleted").tag("t")).unwrap();
    db.delete(id).unwrap();
    assert!(matches!(db.get(id), Err(Error::UnknownId(x)) if x == id.0));
    assert!(matches!(db.delete(id), Err(Error::UnknownId(_))));
    let h = db.history(id).unwrap();
    assert_eq!(h.last().unwrap().event_type(), "memory.deleted");
    assert_eq!(h[0].payload()["content"], "to be deleted");
    assert_eq!(db.count().unwrap(), 0);
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn batch_store_is_one_transaction() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let batch: Vec<_> = (0..5000)
        .map(|i| NewMemory::new(format!("memory {i}")).user(format!("u{}", i % 10)))
        .collect();
    let ids = db.store_batch(batch).unwrap();
    assert_eq!(ids.len(), 5000);
    assert_eq!(db.count().unwrap(), 5000);
    assert_eq!(db.get(ids[4321]).unwrap().content, "memory 4321");
    // One bad item rejects the whole batch and stores nothing.
    let bad = vec![
        NewMemory::new("fine"),
        NewMemory::new("bad").importance(2.0),
    ];
    assert!(matches!(
        db.store_batch(bad),
        Err(Error::InvalidInput {
            field: "importance",
            ..
        })
    ));
    assert_eq!(db.count().unwrap(), 5000);
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    assert!(r.pages > 0, "5000 events must have sealed pages");
}
