//! The per-node fan-out cap guards against super-nodes and says when it cut.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{neighborhood, paths, NewTriple, TraversalOptions, DEFAULT_MAX_FANOUT};

fn hub(spokes: usize) -> Db {
    let db = Db::new();
    let triples: Vec<NewTriple> = (0..spokes)
        .map(|i| NewTriple::new("Hub", "has", &format!("spoke {i}"), i as u64 + 1))
        .collect();
    db.write(|w| memspine_graph::add_triples(w, &triples));
    db
}

#[test]
fn a_super_node_is_cut_at_the_cap() {
    let db = hub(50);
    let h = db.id("hub");
    let full = neighborhood(&db.read(), h, 1, &TraversalOptions::default()).unwrap();
    const { assert!(50 < DEFAULT_MAX_FANOUT) };
    assert!(!full.truncated && full.cut.is_empty());
    assert_eq!((full.entities.len(), full.relations.len()), (51, 50));

    let capped = TraversalOptions {
        max_fanout: 10,
        ..Default::default()
    };
    let n = neighborhood(&db.read(), h, 2, &capped).unwrap();
    assert!(n.truncated);
    assert_eq!(n.cut, vec![h]);
    assert_eq!(n.entities.len(), 11);
    assert_eq!(n.relations.len(), 10);
}

#[test]
fn the_entity_cap_truncates_too() {
    let db = hub(50);
    let opts = TraversalOptions {
        max_entities: 5,
        ..Default::default()
    };
    let n = neighborhood(&db.read(), db.id("hub"), 1, &opts).unwrap();
    assert!(n.truncated);
    assert_eq!(n.entities.len(), 5);
}

#[test]
fn a_capped_path_search_says_so() {
    let db = hub(50);
    let (h, last) = (db.id("hub"), db.id("spoke 49"));
    let capped = TraversalOptions {
        max_fanout: 10,
        ..Default::default()
    };
    let p = paths(&db.read(), h, last, 2, &capped).unwrap();
    assert!(p.paths.is_empty() && p.truncated);
    let p = paths(&db.read(), h, last, 2, &TraversalOptions::default()).unwrap();
    assert_eq!(p.paths.len(), 1);
}
