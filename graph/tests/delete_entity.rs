//! Deleting an entity removes its edges in both directions, its names and its links; deleting
//! or invalidating a triple touches only that triple.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{
    delete_entity, delete_triple, edges, find_entity, link_memory, memories_about, stats,
    Direction, EntityDeleted, GraphError,
};

#[test]
fn deleting_an_entity_removes_edges_both_ways() {
    let db = Db::new();
    db.triple("Alice", "knows", "Bob", 1);
    db.triple("Bob", "knows", "Carol", 2);
    db.triple("Bob", "works_at", "Acme", 3);
    db.triple("Carol", "knows", "Alice", 4);
    let (a, b, c) = (db.id("alice"), db.id("bob"), db.id("carol"));
    db.write(|w| link_memory(w, 7, &[a, b]));
    let gone = db.write(|w| delete_entity(w, b));
    assert_eq!(gone, EntityDeleted { edges: 3, links: 1 });
    let r = db.read();
    assert_eq!(find_entity(&r, "bob").unwrap(), None);
    let left = edges(&r, a, None, Direction::Both, None).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].subject, left[0].object), (c, a));
    assert!(edges(&r, c, Some("knows"), Direction::In, None)
        .unwrap()
        .is_empty());
    assert_eq!(memories_about(&r, a, 10).unwrap(), vec![7]);
    let s = stats(&r).unwrap();
    assert_eq!((s.entities, s.edges, s.links), (3, 1, 1));
    drop(r);
    db.assert_consistent();
    let again = db.try_write(|w| delete_entity(w, b));
    assert!(matches!(again, Err(GraphError::UnknownEntity(_))));
}

#[test]
fn deleting_a_triple_keeps_its_entities() {
    let db = Db::new();
    let e = db.triple("Alice", "knows", "Bob", 1);
    db.write(|w| delete_triple(w, e));
    let s = stats(&db.read()).unwrap();
    assert_eq!((s.entities, s.edges), (2, 0));
    db.assert_consistent();
    let again = db.try_write(|w| delete_triple(w, e));
    assert!(matches!(again, Err(GraphError::UnknownEdge(x)) if x == e));
}
