//! Cycles terminate, each entity appears once at its shortest distance, every relation once.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{neighborhood, paths, Direction, TraversalOptions};

#[test]
fn a_triangle_is_visited_once() {
    let db = Db::new();
    db.triple("A", "next", "B", 1);
    db.triple("B", "next", "C", 2);
    db.triple("C", "next", "A", 3);
    let a = db.id("a");
    for depth in 1..=4 {
        let n = neighborhood(&db.read(), a, depth, &TraversalOptions::default()).unwrap();
        let d: Vec<u32> = n.entities.iter().map(|h| h.distance).collect();
        assert_eq!(d, vec![0, 1, 1], "depth {depth}");
        assert_eq!(n.relations.len(), 3, "depth {depth}");
    }
    let out = TraversalOptions {
        direction: Direction::Out,
        ..Default::default()
    };
    let n = neighborhood(&db.read(), a, 2, &out).unwrap();
    let d: Vec<(u64, u32)> = n.entities.iter().map(|h| (h.id, h.distance)).collect();
    assert_eq!(d, vec![(a, 0), (db.id("b"), 1), (db.id("c"), 2)]);
}

#[test]
fn paths_around_a_cycle() {
    let db = Db::new();
    db.triple("A", "next", "B", 1);
    db.triple("B", "next", "C", 2);
    db.triple("C", "next", "A", 3);
    let (a, c) = (db.id("a"), db.id("c"));
    let both = paths(&db.read(), a, c, 3, &TraversalOptions::default()).unwrap();
    assert_eq!(both.paths.len(), 1);
    assert_eq!(both.paths[0].entities, vec![a, c]); // C -next-> A, walked backwards
    let out = TraversalOptions {
        direction: Direction::Out,
        ..Default::default()
    };
    let fwd = paths(&db.read(), a, c, 3, &out).unwrap();
    assert_eq!(fwd.paths[0].entities, vec![a, db.id("b"), c]);
    assert_eq!(fwd.paths[0].relations.len(), 2);
}
