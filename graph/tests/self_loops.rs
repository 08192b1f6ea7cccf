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
