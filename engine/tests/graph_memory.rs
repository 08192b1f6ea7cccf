//! The graph through the engine: facts, neighbourhoods with their relations, supersession,
//! memory links that follow deletes and survive reopen, the log, typed errors.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Direction, Error, NewMemory, NewTriple, TraversalOptions};

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

#[test]
fn bad_graph_input_names_the_error() {
    use memspine_graph::{GraphError, MAX_DEPTH};
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    db.add_triple(NewTriple::new("Alice", "knows", "Bob", 0))
        .unwrap();
    for (s, p, o) in [("", "knows", "x"), ("a", " \t", "x"), ("a", "knows", "\n")] {
        let e = db.add_triple(NewTriple::new(s, p, o, 0)).unwrap_err();
        assert!(
            matches!(e, Error::Graph(GraphError::EmptyName { .. })),
            "{e}"
        );
    }
    for c in [f32::NAN, -0.01, 1.01] {
        let mut t = NewTriple::new("Alice", "knows", "Carol", 0);
        t.confidence = c;
        let e = db.add_triple(t).unwrap_err();
        assert!(
            matches!(e, Error::Graph(GraphError::InvalidConfidence(_))),
            "{c}: {e}"
        );
    }
    let opts = TraversalOptions::default();
    let e = db.neighborhood("nobody", 1, &opts).unwrap_err();
    assert!(
        matches!(e, Error::Graph(GraphError::UnknownEntity(_))),
        "{e}"
    );
    let e = db.paths("Alice", "nobody", 2, &opts).unwrap_err();
    assert!(
        matches!(e, Error::Graph(GraphError::UnknownEntity(_))),
        "{e}"
    );
    let e = db.delete_entity("nobody").unwrap_err();
    assert!(
        matches!(e, Error::Graph(GraphError::UnknownEntity(_))),
        "{e}"
    );
    assert!(db.neighborhood("alice", MAX_DEPTH, &opts).is_ok());
    let e = db.neighborhood("alice", MAX_DEPTH + 1, &opts).unwrap_err();
    assert!(
        matches!(e, Error::Graph(GraphError::DepthTooLarge { max, .. }) if max == MAX_DEPTH),
        "{e}"
    );
    let e = db.invalidate_triple(999, 0).unwrap_err();
    assert!(
        matches!(e, Error::Graph(GraphError::UnknownEdge(999))),
        "{e}"
    );
    // Nothing above was written: only Alice, Bob and one edge.
    let n = db.neighborhood("alice", 2, &opts).unwrap();
    assert_eq!((n.entities.len(), n.relations.len()), (2, 1));
    assert!(db.find_entity("carol").unwrap().is_none());
}

#[test]
fn invalidating_and_deleting_are_logged_and_keep_the_mirrors() {
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    let works = db
        .add_triple(NewTriple::new("Alice", "works_at", "Acme", 0))
        .unwrap();
    db.add_triple(NewTriple::new("Bob", "knows", "Alice", 0))
        .unwrap();
    db.add_triple(NewTriple::new("Alice", "likes", "Alice", 0))
        .unwrap();
    clock.advance(std::time::Duration::from_secs(60));
    db.invalidate_triple(works.edge, 0).unwrap();
    let evs = db
        .query_recent(48.0, Some("graph.invalidate_triple"))
        .unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].payload()["args"]["edge"], works.edge);
    assert_eq!(evs[0].payload()["args"]["at"], common::T0 + 60_000_000);
    // Current view: gone; as of before the invalidation: still there, with its end.
    let now = db
        .edges("alice", Some("works_at"), Direction::Both)
        .unwrap();
    assert!(now.is_empty());
    let past = TraversalOptions {
        as_of: Some(common::T0 + 1),
        ..Default::default()
    };
    let n = db.neighborhood("alice", 1, &past).unwrap();
    let rel = n.relations.iter().find(|r| r.edge == works.edge).unwrap();
    assert_eq!(rel.valid_to, Some(common::T0 + 60_000_000));

    let gone = db.delete_entity("ALICE").unwrap();
    assert_eq!(gone.edges, 3, "out, in and the self-loop");
    let evs = db.query_recent(48.0, Some("graph.delete_entity")).unwrap();
    assert_eq!(evs.len(), 1);
    assert!(db.edges("bob", None, Direction::Both).unwrap().is_empty());
    assert!(db.edges("acme", None, Direction::Both).unwrap().is_empty());
    assert!(db.find_entity("alice").unwrap().is_none());
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

#[test]
fn a_memory_and_its_facts_commit_together() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let (m, added) = db
        .store_with_facts(
            NewMemory::new("Alice moved to Munich and joined Acme"),
            vec![
                NewTriple::new("Alice", "lives_in", "Munich", 0),
                NewTriple::new("Alice", "works_at", "Acme", 0),
            ],
        )
        .unwrap();
    assert_eq!(added.len(), 2);
    let rels = db.edges("alice", None, Direction::Out).unwrap();
    assert!(rels.iter().all(|r| r.memory == Some(m.0)));
    for who in ["alice", "munich", "acme"] {
        assert_eq!(db.memories_about(who, 10).unwrap()[0].id, m, "{who}");
    }
    // A bad fact aborts the whole write: no memory, no entity, no edge.
    let mut bad = NewTriple::new("Bob", "knows", "Carol", 0);
    bad.confidence = 2.0;
    let before = db.stats().unwrap().memories;
    assert!(db
        .store_with_facts(
            NewMemory::new("Bob knows Carol"),
            vec![NewTriple::new("Bob", "lives_in", "Paris", 0), bad],
        )
        .is_err());
    assert_eq!(db.stats().unwrap().memories, before);
    assert!(db.find_entity("bob").unwrap().is_none());
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

/// Corrupts the adjacency lists through redb itself (the engine closed), then `verify` reports
/// each break and `repair` rebuilds in-edges and the edge index from the out-edges.
#[test]
fn verify_finds_a_missing_mirror_and_repair_rebuilds_it() {
    use memspine_graph::table_defs::{EDGES, ENT_MEM, IN};
    use redb::{ReadableDatabase, ReadableTable};
    let dir = common::temp();
    let path = common::db_path(&dir);
    {
        let db = common::open(&path);
        db.add_triple(NewTriple::new("Alice", "knows", "Bob", 0))
            .unwrap();
        db.add_triple(NewTriple::new("Bob", "works_at", "Acme", 0))
            .unwrap();
        let m = db.store(NewMemory::new("Alice knows Bob")).unwrap();
        db.link_memory(m, &["Alice", "Bob"]).unwrap();
        assert!(db.verify().unwrap().is_ok());
    }
    let raw = redb::Database::open(path.join("data.redb")).unwrap();
    let removed = {
        let w = raw.begin_write().unwrap();
        let key = {
            let mut inn = w.open_table(IN).unwrap();
            let key = inn.first().unwrap().unwrap().0.value();
            inn.remove(key).unwrap();
            key
        };
        w.open_table(EDGES).unwrap().remove(key.3).unwrap();
        let mut em = w.open_table(ENT_MEM).unwrap();
        let link = em.first().unwrap().unwrap().0.value();
        em.remove(link).unwrap();
        drop(em);
        w.commit().unwrap();
        key
    };
    assert!(raw
        .begin_read()
        .unwrap()
        .open_table(IN)
        .unwrap()
        .get(removed)
        .unwrap()
        .is_none());
    drop(raw);

    let db = common::open(&path);
    let r = db.verify().unwrap();
    let text = format!("{:?}", r.problems);
    assert!(!r.is_ok());
    assert!(text.contains("no in-edge mirror"), "{text}");
    assert!(text.contains("is not indexed"), "{text}");
    assert!(text.contains("has no mirror"), "{text}");
    // The in-edge is what an `In` scan of the object reads: the fact is invisible from there.
    let (object, subject, edge) = (removed.0, removed.2, removed.3);
    let name = db.entity_names(&[object, subject]).unwrap();
    let in_before = db.edges(&name[0].1, None, Direction::In).unwrap();
    assert!(in_before.iter().all(|r| r.edge != edge));

    let rep = db.repair().unwrap();
    assert_eq!(rep.graph.in_edges_fixed, 1, "{:?}", rep.graph);
    assert_eq!(rep.graph.edge_index_fixed, 1, "{:?}", rep.graph);
    assert_eq!(rep.graph.links_fixed, 1, "{:?}", rep.graph);
    assert!(rep.graph.lost_edges.is_empty() && rep.graph.dropped_edges.is_empty());
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    let in_after = db.edges(&name[0].1, None, Direction::In).unwrap();
    assert!(in_after
        .iter()
        .any(|r| r.edge == edge && r.subject == subject));
    assert_eq!(db.memories_about("alice", 10).unwrap().len(), 1);
    assert_eq!(db.memories_about("bob", 10).unwrap().len(), 1);
    // A second repair finds nothing to do.
    assert!(db.repair().unwrap().graph.is_clean());
}
