//! `batch_consolidate`: one consolidated memory with provenance, originals archived but readable,
//! links moved, searchable, refused across users and for pinned memories.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{
    Error, Filter, MemoryId, NewMemory, NewTriple, SearchMode, SearchOptions, CONSOLIDATED,
};

#[test]
fn consolidation_keeps_provenance_archives_originals_and_moves_links() {
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    let mut ids = Vec::new();
    for text in [
        "I live in Berlin.",
        "I live in Berlin.",
        "My cat is called Miso.",
        "I work as a nurse.",
    ] {
        clock.advance(std::time::Duration::from_secs(86_400));
        ids.push(
            db.store(NewMemory::new(text).user("u1").tag("chat"))
                .unwrap(),
        );
    }
    db.add_triple(NewTriple::new("u1", "owns", "Miso", 0))
        .unwrap();
    db.link_memory(ids[2], &["Miso"]).unwrap();
    let c = db.batch_consolidate(&ids).unwrap();
    let m = db.get(c).unwrap();
    assert_eq!(m.kind, CONSOLIDATED);
    assert_eq!(m.provenance, ids);
    assert_eq!(
        m.content.matches("Berlin").count(),
        1,
        "duplicates collapsed: {}",
        m.content
    );
    assert!(m.content.contains("Miso") && m.content.contains("nurse"));
    for id in &ids {
        assert!(
            db.get(*id).unwrap().archived,
            "originals stay readable, archived"
        );
        assert!(db
            .history(*id)
            .unwrap()
            .iter()
            .any(|e| e.event_type() == "memory.consolidated"));
    }
    assert_eq!(
        db.memories_about("Miso", 10).unwrap()[0].id,
        c,
        "graph links moved"
    );
    assert_eq!(
        db.filter_ids(&Filter::user("u1")).unwrap(),
        vec![c],
        "only the consolidated one is live"
    );
    let hit = db
        .search(
            "what is my cat's name",
            &SearchOptions {
                limit: 1,
                mode: SearchMode::Semantic,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(hit[0].id, c, "consolidated memories are searchable");
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

#[test]
fn consolidation_refuses_pinned_and_cross_user_groups() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let a = db.store(NewMemory::new("a fact").user("u1")).unwrap();
    let b = db.store(NewMemory::new("b fact").user("u2")).unwrap();
    let p = db
        .store(NewMemory::new("pinned fact").user("u1").pinned(true))
        .unwrap();
    assert!(matches!(
        db.batch_consolidate(&[a, b]),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.batch_consolidate(&[a, p]),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.batch_consolidate(&[a]),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.batch_consolidate(&[a, MemoryId(999)]),
        Err(Error::UnknownId(999))
    ));
    assert_eq!(db.count().unwrap(), 3);
}
