//! Single-valued predicates close the old fact instead of deleting it; reads see current facts
//! by default and facts as of a time on request.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{
    declare_predicate, edges, invalidate_triple, neighborhood, Direction, EntityRef, NewTriple,
    TraversalOptions,
};

fn objects(db: &Db, who: u64, pred: &str, as_of: Option<u64>) -> Vec<String> {
    let r = db.read();
    let rels = edges(&r, who, Some(pred), Direction::Out, as_of).unwrap();
    let ids: Vec<u64> = rels.iter().map(|r| r.object).collect();
    memspine_graph::get_entities(&r, &ids)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect()
}

#[test]
fn a_new_residence_closes_the_old_one() {
    let db = Db::new();
    db.write(|w| declare_predicate(w, "lives_in", true));
    let paris = db.triple("Alice", "lives_in", "Paris", 100);
    let added = db.write(|w| {
        memspine_graph::add_triple(w, &NewTriple::new("Alice", "lives_in", "London", 200))
    });
    assert_eq!(added.closed, vec![paris]);
    let a = db.id("alice");
    assert_eq!(objects(&db, a, "lives_in", None), ["London"]);
    assert_eq!(objects(&db, a, "lives_in", Some(150)), ["Paris"]);
    assert_eq!(objects(&db, a, "lives_in", Some(200)), ["London"]);
    assert!(objects(&db, a, "lives_in", Some(50)).is_empty());

    // The closed edge keeps its history.
    let old = edges(&db.read(), a, None, Direction::Out, Some(150)).unwrap();
    assert_eq!((old[0].valid_from, old[0].valid_to), (100, Some(200)));

    // A fact about the past is bounded by the next known fact, and closes nothing.
    let mut rome = NewTriple::new("Alice", "lives_in", "Rome", 300);
    rome.valid_from = Some(50);
    let added = db.write(|w| memspine_graph::add_triple(w, &rome));
    assert!(added.closed.is_empty());
    assert_eq!(objects(&db, a, "lives_in", Some(75)), ["Rome"]);
    assert_eq!(objects(&db, a, "lives_in", Some(150)), ["Paris"]);
    assert_eq!(objects(&db, a, "lives_in", None), ["London"]);
    db.assert_consistent();
}

#[test]
fn multi_valued_predicates_accumulate_and_invalidate_keeps_history() {
    let db = Db::new();
    db.triple("Alice", "works_at", "Acme", 100);
    let initech = db.triple("Alice", "works_at", "Initech", 200);
    let a = db.id("alice");
    assert_eq!(objects(&db, a, "works_at", None), ["Acme", "Initech"]);
    db.write(|w| invalidate_triple(w, initech, 300));
    assert_eq!(objects(&db, a, "works_at", None), ["Acme"]);
    assert_eq!(objects(&db, a, "works_at", Some(250)), ["Acme", "Initech"]);
    db.assert_consistent();
}

#[test]
fn neighborhoods_travel_in_time() {
    let db = Db::new();
    db.write(|w| declare_predicate(w, "lives_in", true));
    db.triple("Alice", "lives_in", "Paris", 100);
    db.triple("Alice", "lives_in", "London", 200);
    db.triple("Bob", "lives_in", "Paris", 120);
    let a = db.id("alice");
    let now = neighborhood(&db.read(), a, 2, &TraversalOptions::default()).unwrap();
    assert_eq!(now.entities.len(), 2); // Alice, London
    let then = TraversalOptions {
        as_of: Some(150),
        ..Default::default()
    };
    let past = neighborhood(&db.read(), a, 2, &then).unwrap();
    assert_eq!(past.entities.len(), 3); // Alice, Paris, Bob
    assert_eq!(past.relations.len(), 2);
    let by_id = EntityRef::Id(a);
    assert_eq!(memspine_graph::resolve(&db.read(), &by_id).unwrap(), a);
}
