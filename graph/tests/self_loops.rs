//! A self-loop is one relation, seen once in each view, and is deleted cleanly.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{delete_entity, edges, neighborhood, Direction, TraversalOptions};

#[test]
fn self_loop_appears_once() {
    let db = Db::new();
    let e = db.triple("Narcissus", "admires", "Narcissus", 5);
    db.triple("Narcissus", "lives_in", "Thespiae", 6);
    let n_id = db.id("narcissus");
    let n = neighborhood(&db.read(), n_id, 1, &TraversalOptions::default()).unwrap();
    assert_eq!(n.entities.len(), 2);
    assert_eq!(n.relations.iter().filter(|r| r.edge == e).count(), 1);
    let r = db.read();
    assert_eq!(
        edges(&r, n_id, Some("admires"), Direction::Both, None)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        edges(&r, n_id, Some("admires"), Direction::Out, None)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        edges(&r, n_id, Some("admires"), Direction::In, None)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        edges(&r, n_id, None, Direction::Both, None).unwrap().len(),
        2
    );
    drop(r);
    db.assert_consistent();
    let deleted = db.write(|w| delete_entity(w, n_id));
    assert_eq!(deleted.edges, 2);
    db.assert_consistent();
    assert_eq!(memspine_graph::stats(&db.read()).unwrap().edges, 0);
}

/// Scans start at an entity's (or predicate's) first key and stop at the next one: neighbouring
/// ids with the same predicates never leak into each other's lists.
#[test]
fn adjacency_scans_stop_at_the_next_entity_and_predicate() {
    let db = Db::new();
    for (s, p, o) in [
        ("A", "p", "B"),
        ("A", "q", "B"),
        ("B", "p", "C"),
        ("B", "q", "A"),
        ("C", "p", "A"),
        ("C", "r", "C"),
    ] {
        db.triple(s, p, o, 1);
    }
    let r = db.read();
    let count = |who: &str, pred: Option<&str>, d: Direction| {
        edges(&r, db.id(who), pred, d, None).unwrap().len()
    };
    assert_eq!(count("a", None, Direction::Out), 2);
    assert_eq!(count("a", Some("p"), Direction::Out), 1);
    assert_eq!(count("a", Some("q"), Direction::Out), 1);
    assert_eq!(count("a", Some("r"), Direction::Out), 0);
    assert_eq!(count("b", None, Direction::In), 2);
    assert_eq!(count("b", Some("p"), Direction::In), 1);
    assert_eq!(count("c", None, Direction::Both), 3); // p out, p in, the r self-loop once
    assert_eq!(count("c", Some("r"), Direction::In), 1);
    let opts = TraversalOptions {
        predicates: vec!["q".into(), "r".into()],
        ..Default::default()
    };
    let n = neighborhood(&r, db.id("a"), 3, &opts).unwrap();
    assert_eq!(n.entities.len(), 2); // A, B through q only
    assert_eq!(n.relations.len(), 2);
}
