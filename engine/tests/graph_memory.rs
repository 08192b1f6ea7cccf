//! The graph through the engine: facts, neighbourhoods with their relations, supersession,
//! memory links that follow deletes and survive reopen, the log, typed errors.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Error, NewMemory, NewTriple, TraversalOptions};

#[test]
fn facts_neighbourhoods_links_and_history() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let m = {
        let (db, clock) = common::open_with_clock(&path);
        db.declare_predicate("lives_in", true).unwrap();
        db.add_triple(NewTriple::new("Alice", "works_at", "Acme", 0))
            .unwrap();
        db.add_triple(NewTriple::new("Bob", "works_at", "Acme", 0))
            .unwrap();
        db.add_triple(NewTriple::new("Alice", "lives_in", "Berlin", 0))
            .unwrap();
        clock.advance(std::time::Duration::from_secs(86_400));
        let moved = db
            .add_triple(NewTriple::new("alice", "lives_in", "Munich", 0))
            .unwrap();
        assert_eq!(
            moved.closed.len(),
            1,
            "single-valued: Berlin is closed, not deleted"
        );
        let n = db
            .neighborhood("ALICE", 2, &TraversalOptions::default())
            .unwrap();
        let names: Vec<String> = n
            .entities
            .iter()
            .map(|h| h.entity.as_ref().unwrap().name.clone())
            .collect();
        assert_eq!(names.len(), 4, "{names:?}"); // Alice, Acme, Munich, Bob
        assert!(
            !names.contains(&"Berlin".to_owned()),
            "current facts by default"
        );
        assert_eq!(
            n.relations.len(),
            3,
            "relations among the entities are returned"
        );
        let past = TraversalOptions {
            as_of: Some(common::T0 + 1),
            ..Default::default()
        };
        let n = db.neighborhood("Alice", 1, &past).unwrap();
        assert!(n
            .entities
            .iter()
            .any(|h| h.entity.as_ref().unwrap().name == "Berlin"));
        let p = db
            .paths("Alice", "Bob", 3, &TraversalOptions::default())
            .unwrap();
        assert_eq!(p.paths[0].entities.len(), 3);
        let m = db
            .store(NewMemory::new("Alice told us she moved to Munich"))
            .unwrap();
        db.link_memory(m, &["Alice", "munich"]).unwrap();
        assert_eq!(db.memories_about("alice", 10).unwrap()[0].id, m);
        let evs = db.query_recent(48.0, Some("graph.add_triple")).unwrap();
        assert_eq!(evs.len(), 4);
        assert_eq!(evs[0].payload()["args"]["predicate"], "works_at");
        assert!(db.verify().unwrap().is_ok());
        m
    };
    let db = common::open(&path);
    assert_eq!(
        db.memories_about("Munich", 10).unwrap()[0].id,
        m,
        "links survive reopen"
    );
    db.delete(m).unwrap();
    assert!(
        db.memories_about("Alice", 10).unwrap().is_empty(),
        "deleting a memory removes its links"
    );
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

#[test]
fn bad_graph_input_is_typed() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    assert!(matches!(
        db.neighborhood("nobody", 1, &TraversalOptions::default()),
        Err(Error::Graph(_))
    ));
    assert!(matches!(
        db.add_triple(NewTriple::new("", "knows", "x", 0)),
        Err(Error::Graph(_))
    ));
    let mut t = NewTriple::new("a", "knows", "b", 0);
    t.confidence = f32::NAN;
    assert!(matches!(db.add_triple(t), Err(Error::Graph(_))));
    db.add_triple(NewTriple::new("a", "knows", "b", 0)).unwrap();
    assert!(matches!(
        db.neighborhood("a", 1000, &TraversalOptions::default()),
        Err(Error::Graph(_))
    ));
    assert!(db.verify().unwrap().is_ok());
}
