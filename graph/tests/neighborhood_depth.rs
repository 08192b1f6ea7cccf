//! Neighbourhoods at depth 0..3 on a hand-built graph: entities with distances *and* every
//! relation among them.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{neighborhood, Direction, Neighborhood, TraversalOptions};

/// A -knows-> B -knows-> C -knows-> D -knows-> E; B -works_at-> X; C -works_at-> X;
/// F -likes-> A; F -likes-> X.
fn graph() -> Db {
    let db = Db::new();
    for (i, (s, p, o)) in [
        ("A", "knows", "B"),
        ("B", "knows", "C"),
        ("C", "knows", "D"),
        ("D", "knows", "E"),
        ("B", "works_at", "X"),
        ("C", "works_at", "X"),
        ("F", "likes", "A"),
        ("F", "likes", "X"),
    ]
    .into_iter()
    .enumerate()
    {
        db.triple(s, p, o, 100 + i as u64);
    }
    db
}

/// (name, distance) pairs and (s, p, o) names of the relations, both sorted.
type Named = (Vec<(String, u32)>, Vec<(String, String, String)>);

fn names(db: &Db, n: &Neighborhood) -> Named {
    let name = |id: u64| {
        let e = memspine_graph::get_entity(&db.read(), id).unwrap().unwrap();
        e.name
    };
    let mut ents: Vec<_> = n
        .entities
        .iter()
        .map(|h| (h.entity.as_ref().unwrap().name.clone(), h.distance))
        .collect();
    ents.sort();
    let mut rels: Vec<_> = n
        .relations
        .iter()
        .map(|r| (name(r.subject), r.predicate.clone(), name(r.object)))
        .collect();
    rels.sort();
    (ents, rels)
}

fn ents(list: &[(&str, u32)]) -> Vec<(String, u32)> {
    let mut v: Vec<_> = list.iter().map(|(n, d)| (n.to_string(), *d)).collect();
    v.sort();
    v
}

fn rels(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(s, p, o)| (s.to_string(), p.to_string(), o.to_string()))
        .collect();
    v.sort();
    v
}

fn at(db: &Db, depth: u32, opts: &TraversalOptions) -> Neighborhood {
    let n = neighborhood(&db.read(), db.id("a"), depth, opts).unwrap();
    assert!(!n.truncated);
    n
}

#[test]
fn depth_0_is_the_root_alone() {
    let db = graph();
    let n = at(&db, 0, &TraversalOptions::default());
    assert_eq!(names(&db, &n), (ents(&[("A", 0)]), rels(&[])));
}

#[test]
fn depth_1_follows_edges_both_ways() {
    let db = graph();
    let n = at(&db, 1, &TraversalOptions::default());
    let want = (
        ents(&[("A", 0), ("B", 1), ("F", 1)]),
        rels(&[("A", "knows", "B"), ("F", "likes", "A")]),
    );
    assert_eq!(names(&db, &n), want);
}

#[test]
fn depth_2_includes_relations_between_outer_entities() {
    let db = graph();
    let n = at(&db, 2, &TraversalOptions::default());
    let want = (
        ents(&[("A", 0), ("B", 1), ("F", 1), ("C", 2), ("X", 2)]),
        rels(&[
            ("A", "knows", "B"),
            ("F", "likes", "A"),
            ("B", "knows", "C"),
            ("B", "works_at", "X"),
            ("F", "likes", "X"),
            ("C", "works_at", "X"), // both ends at distance 2
        ]),
    );
    assert_eq!(names(&db, &n), want);
    // Entities come sorted by distance; relations by edge id.
    let d: Vec<u32> = n.entities.iter().map(|h| h.distance).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]));
    assert!(n.relations.windows(2).all(|w| w[0].edge < w[1].edge));
}

#[test]
fn depth_3_reaches_d_but_not_e() {
    let db = graph();
    let n = at(&db, 3, &TraversalOptions::default());
    let want = (
        ents(&[("A", 0), ("B", 1), ("F", 1), ("C", 2), ("X", 2), ("D", 3)]),
        rels(&[
            ("A", "knows", "B"),
            ("F", "likes", "A"),
            ("B", "knows", "C"),
            ("B", "works_at", "X"),
            ("F", "likes", "X"),
            ("C", "works_at", "X"),
            ("C", "knows", "D"),
        ]),
    );
    assert_eq!(names(&db, &n), want);
    let rel = n
        .relations
        .iter()
        .find(|r| r.predicate == "works_at")
        .unwrap();
    assert_eq!((rel.confidence, rel.valid_to), (1.0, None));
}

#[test]
fn out_direction_and_predicate_filter() {
    let db = graph();
    let out = TraversalOptions {
        direction: Direction::Out,
        ..Default::default()
    };
    let n = at(&db, 2, &out);
    let want = (
        ents(&[("A", 0), ("B", 1), ("C", 2), ("X", 2)]),
        rels(&[
            ("A", "knows", "B"),
            ("B", "knows", "C"),
            ("B", "works_at", "X"),
            ("C", "works_at", "X"),
        ]),
    );
    assert_eq!(names(&db, &n), want);

    let knows = TraversalOptions {
        predicates: vec!["KNOWS".into()],
        ..Default::default()
    };
    let n = at(&db, 3, &knows);
    let want = (
        ents(&[("A", 0), ("B", 1), ("C", 2), ("D", 3)]),
        rels(&[
            ("A", "knows", "B"),
            ("B", "knows", "C"),
            ("C", "knows", "D"),
        ]),
    );
    assert_eq!(names(&db, &n), want);
}

#[test]
fn ids_only_when_records_are_not_wanted() {
    let db = graph();
    let opts = TraversalOptions {
        with_entities: false,
        ..Default::default()
    };
    let n = at(&db, 2, &opts);
    assert_eq!(n.entities.len(), 5);
    assert!(n.entities.iter().all(|h| h.entity.is_none()));
    assert_eq!(n.relations.len(), 6);
}
