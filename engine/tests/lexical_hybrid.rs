//! BM25 follows stores, updates and deletes in the same transaction; filters apply; hybrid fuses
//! both signals.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use memspine::{
    Durability, Filter, ManualClock, MemoryUpdate, NewMemory, Options, SearchMode, SearchOptions,
    Spine,
};

fn lexical(limit: usize, filter: Filter) -> SearchOptions {
    SearchOptions {
        limit,
        mode: SearchMode::Lexical,
        filter,
        ..Default::default()
    }
}

/// A database of 3-d vectors given by the caller, on a manual clock.
fn open_3d(dir: &tempfile::TempDir) -> Spine {
    let opts = Options {
        dimension: Some(3),
        durability: Durability::None,
        clock: Arc::new(ManualClock::new(common::T0)),
        ..Options::default()
    };
    Spine::open(common::db_path(dir), opts).unwrap()
}

#[test]
fn lexical_search_follows_writes_and_filters() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let a = db
        .store(NewMemory::new("The invoice for March was paid twice").user("alice"))
        .unwrap();
    let b = db
        .store(NewMemory::new("Shipping to Munich takes three days").user("alice"))
        .unwrap();
    let c = db
        .store(NewMemory::new("Bob asked about his invoice").user("bob"))
        .unwrap();
    let ids = |q: &str, f: Filter| {
        db.search(q, &lexical(10, f))
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("invoice", Filter::default()).len(), 2);
    assert_eq!(
        ids("invoices paid", Filter::user("alice")),
        vec![a],
        "stemming and scope"
    );
    assert_eq!(ids("munich", Filter::default()), vec![b]);
    db.update(
        b,
        MemoryUpdate {
            content: Some("Shipping to Berlin takes two days".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        ids("munich", Filter::default()).is_empty(),
        "old text unindexed"
    );
    assert_eq!(ids("berlin", Filter::default()), vec![b]);
    db.delete(c).unwrap();
    assert_eq!(ids("invoice", Filter::default()), vec![a]);
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

#[test]
fn hybrid_ranks_a_memory_matching_both_signals_first() {
    let dir = common::temp();
    let db = open_3d(&dir);
    let both = db
        .store(NewMemory::new("refund for the double charge").vector(vec![1.0, 0.0, 0.0]))
        .unwrap();
    let sem_only = db
        .store(NewMemory::new("money back for a duplicate payment").vector(vec![0.95, 0.3, 0.0]))
        .unwrap();
    let lex_only = db
        .store(NewMemory::new("refund policy page").vector(vec![0.0, 0.0, 1.0]))
        .unwrap();
    db.store(NewMemory::new("weather is nice").vector(vec![0.0, 1.0, 0.0]))
        .unwrap();
    let q = SearchOptions {
        limit: 3,
        vector: Some(vec![1.0, 0.05, 0.0]),
        ..Default::default()
    };
    let hits = db.search("refund charge", &q).unwrap();
    assert_eq!(hits[0].id, both, "{hits:#?}");
    let ids: Vec<_> = hits.iter().map(|h| h.id).collect();
    assert!(ids.contains(&sem_only) && ids.contains(&lex_only));
    assert!(
        hits.iter().all(|h| h.semantic.is_some()),
        "lexical-only hits get their exact cosine"
    );
    assert!(hits[0].lexical.is_some());
}

#[test]
fn semantic_weight_moves_hybrid_between_the_two_orders_on_one_scale() {
    let dir = common::temp();
    let db = open_3d(&dir);
    // Cosines with the query within a few hundredths of each other, as a sentence model gives.
    let close = db
        .store(NewMemory::new("the parcel went to the neighbour").vector(vec![0.62, 0.78, 0.0]))
        .unwrap();
    let words = db
        .store(
            NewMemory::new("tracking number for the parcel delivery").vector(vec![0.6, 0.8, 0.0]),
        )
        .unwrap();
    db.store(NewMemory::new("lunch with Sam").vector(vec![0.58, 0.81, 0.1]))
        .unwrap();
    let run = |w: f32| {
        let q = SearchOptions {
            limit: 3,
            vector: Some(vec![0.7, 0.7, 0.0]),
            semantic_weight: w,
            ..Default::default()
        };
        db.search("parcel delivery tracking", &q).unwrap()
    };
    let sem = db
        .search(
            "",
            &SearchOptions {
                limit: 3,
                mode: SearchMode::Semantic,
                vector: Some(vec![0.7, 0.7, 0.0]),
                ..Default::default()
            },
        )
        .unwrap();
    let by_cos: Vec<_> = sem.iter().map(|h| h.id).collect();
    assert_eq!(by_cos[0], close);
    let pure_sem: Vec<_> = run(1.0).iter().map(|h| h.id).collect();
    assert_eq!(pure_sem, by_cos, "w = 1 is the semantic order");
    assert_eq!(run(0.0)[0].id, words, "w = 0 is the lexical order");
    for h in run(0.7) {
        assert!((0.0..=1.0).contains(&h.score), "{h:?}");
        // Per-signal scores stay raw: the cosine, not its normalised value.
        let cos = sem.iter().find(|s| s.id == h.id).map(|s| s.score);
        assert_eq!(h.semantic, cos);
    }
}
