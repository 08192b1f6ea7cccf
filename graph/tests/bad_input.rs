//! Bad input gets typed errors, and a failed call writes nothing the caller has to undo
//! beyond aborting its transaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{
    add_triple, create_entity, edges, invalidate_triple, neighborhood, paths, Direction, EntityRef,
    GraphError, NewEntity, NewTriple, TraversalOptions, MAX_DEPTH, MAX_NAME_BYTES,
};

fn add(db: &Db, t: &NewTriple) -> GraphError {
    db.try_write(|w| add_triple(w, t)).unwrap_err()
}

#[test]
fn empty_and_overlong_names() {
    let db = Db::new();
    for name in ["", "   ", "\t\n"] {
        let e = db
            .try_write(|w| create_entity(w, &NewEntity::named(name, 1)))
            .unwrap_err();
        assert!(matches!(e, GraphError::EmptyName { field: "name" }), "{e}");
        let e = add(&db, &NewTriple::new(name, "knows", "Bob", 1));
        assert!(matches!(e, GraphError::EmptyName { .. }), "{e}");
        let e = add(&db, &NewTriple::new("Alice", name, "Bob", 1));
        assert!(
            matches!(e, GraphError::EmptyName { field: "predicate" }),
            "{e}"
        );
    }
    let mut alias = NewEntity::named("Alice", 1);
    alias.aliases = vec![" ".into()];
    let e = db.try_write(|w| create_entity(w, &alias)).unwrap_err();
    assert!(matches!(e, GraphError::EmptyName { field: "alias" }));
    let long = "x".repeat(MAX_NAME_BYTES + 1);
    let e = db
        .try_write(|w| create_entity(w, &NewEntity::named(long.as_str(), 1)))
        .unwrap_err();
    assert!(matches!(e, GraphError::NameTooLong { .. }));
}

#[test]
fn invalid_confidence() {
    let db = Db::new();
    for c in [f32::NAN, -0.1, 1.1, f32::INFINITY, f32::NEG_INFINITY] {
        let mut t = NewTriple::new("Alice", "knows", "Bob", 1);
        t.confidence = c;
        let e = add(&db, &t);
        assert!(matches!(e, GraphError::InvalidConfidence(_)), "{c}: {e}");
    }
    for c in [0.0, 1.0, 0.5] {
        let mut t = NewTriple::new("Alice", "knows", "Bob", 1);
        t.confidence = c;
        db.write(|w| add_triple(w, &t));
    }
}

#[test]
fn unknown_entities_and_edges() {
    let db = Db::new();
    let r = db.read();
    // Reads of a graph that was never written.
    assert!(matches!(
        neighborhood(&r, 1, 1, &TraversalOptions::default()),
        Err(GraphError::UnknownEntity(_))
    ));
    drop(r);
    db.triple("Alice", "knows", "Bob", 1);
    let mut t = NewTriple::new("Alice", "knows", "", 2);
    t.object = EntityRef::Id(999);
    assert!(matches!(add(&db, &t), GraphError::UnknownEntity(_)));
    // The subject "Carol" must not be created when the object is unknown.
    t.subject = EntityRef::Name("Carol".into());
    assert!(matches!(add(&db, &t), GraphError::UnknownEntity(_)));
    let r = db.read();
    assert!(memspine_graph::find_entity(&r, "carol").unwrap().is_none());
    let opts = TraversalOptions::default();
    assert!(matches!(
        neighborhood(&r, 999, 1, &opts),
        Err(GraphError::UnknownEntity(_))
    ));
    assert!(matches!(
        paths(&r, 1, 999, 2, &opts),
        Err(GraphError::UnknownEntity(_))
    ));
    let none = edges(&r, 999, None, Direction::Both, None);
    assert!(matches!(none, Err(GraphError::UnknownEntity(_))));
    let by_name = memspine_graph::resolve(&r, &EntityRef::Name("nobody".into()));
    assert!(matches!(by_name, Err(GraphError::UnknownEntity(_))));
    drop(r);
    let e = db.try_write(|w| invalidate_triple(w, 42, 10)).unwrap_err();
    assert!(matches!(e, GraphError::UnknownEdge(42)));
}

#[test]
fn depth_beyond_the_maximum() {
    let db = Db::new();
    db.triple("Alice", "knows", "Bob", 1);
    let (a, b, r) = (db.id("alice"), db.id("bob"), db.read());
    let opts = TraversalOptions::default();
    assert!(neighborhood(&r, a, MAX_DEPTH, &opts).is_ok());
    let e = neighborhood(&r, a, MAX_DEPTH + 1, &opts).unwrap_err();
    assert!(
        matches!(e, GraphError::DepthTooLarge { depth, max } if depth == MAX_DEPTH + 1 && max == MAX_DEPTH)
    );
    assert!(matches!(
        paths(&r, a, b, 100, &opts),
        Err(GraphError::DepthTooLarge { .. })
    ));
}

#[test]
fn bad_json_and_intervals() {
    let db = Db::new();
    let mut t = NewTriple::new("Alice", "knows", "Bob", 10);
    t.context = serde_json::json!([1, 2]);
    assert!(matches!(
        add(&db, &t),
        GraphError::NotAnObject { field: "context" }
    ));
    let mut e = NewEntity::named("Alice", 1);
    e.metadata = serde_json::json!("text");
    let err = db.try_write(|w| create_entity(w, &e)).unwrap_err();
    assert!(matches!(err, GraphError::NotAnObject { field: "metadata" }));
    let mut t = NewTriple::new("Alice", "knows", "Bob", 10);
    t.valid_to = Some(10);
    assert!(matches!(add(&db, &t), GraphError::InvalidInterval { .. }));
    let edge = db.triple("Alice", "knows", "Bob", 10);
    let err = db.try_write(|w| invalidate_triple(w, edge, 5)).unwrap_err();
    assert!(matches!(err, GraphError::InvalidInterval { .. }));
}
