//! Shortest paths: all shortest paths up to a cap, none when too far or unconnected.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{paths, TraversalOptions};

#[test]
fn a_diamond_has_two_shortest_paths() {
    let db = Db::new();
    db.triple("A", "to", "B", 1);
    db.triple("A", "to", "C", 2);
    db.triple("B", "to", "D", 3);
    db.triple("C", "to", "D", 4);
    db.triple("D", "to", "E", 5);
    db.triple("Lonely", "to", "Lonely", 6);
    let id = |n: &str| db.id(n);
    let r = db.read();
    let opts = TraversalOptions::default();
    let p = paths(&r, id("a"), id("e"), 4, &opts).unwrap();
    assert!(!p.truncated);
    let mut got: Vec<Vec<u64>> = p.paths.iter().map(|p| p.entities.clone()).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            vec![id("a"), id("b"), id("d"), id("e")],
            vec![id("a"), id("c"), id("d"), id("e")],
        ]
    );
    for path in &p.paths {
        assert_eq!(path.relations.len(), 3);
        for (i, rel) in path.relations.iter().enumerate() {
            let ends = [path.entities[i], path.entities[i + 1]];
            assert!(ends.contains(&rel.subject) && ends.contains(&rel.object));
        }
    }
    let one = TraversalOptions {
        max_paths: 1,
        ..Default::default()
    };
    let p = paths(&r, id("a"), id("e"), 4, &one).unwrap();
    assert_eq!((p.paths.len(), p.truncated), (1, true));
    assert!(paths(&r, id("a"), id("e"), 2, &opts)
        .unwrap()
        .paths
        .is_empty());
    assert!(paths(&r, id("a"), id("lonely"), 6, &opts)
        .unwrap()
        .paths
        .is_empty());
    let same = paths(&r, id("a"), id("a"), 0, &opts).unwrap();
    assert_eq!(same.paths[0].entities, vec![id("a")]);
}
