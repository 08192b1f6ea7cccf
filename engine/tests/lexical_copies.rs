//! Lexical scope copies (`Options::lexical_copy_bytes`): a scoped lexical search that scores
//! its scope's in-memory postings returns exactly what the index alone returns (same ids, same
//! scores, same order) — after memories' texts change, memories are deleted or stored, for
//! narrower filters than the scope and in hybrid search. Checked against the same operations
//! on a second database with the copies turned off.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use memspine::{
    Durability, Filter, ManualClock, MemoryId, MemoryUpdate, NewMemory, Options, SearchMode,
    SearchOptions, Spine,
};

use common::SplitMix as Rng;

const WORDS: &[&str] = &[
    "refund", "billing", "account", "password", "login", "invoice", "tea", "green", "coffee",
    "meeting", "tuesday", "alice", "bob", "project", "deadline", "server", "crash", "error",
];

fn open(dir: &tempfile::TempDir, lexical_copy_bytes: usize) -> Spine {
    let opts = Options {
        durability: Durability::None,
        clock: Arc::new(ManualClock::new(common::T0)),
        lexical_copy_bytes,
        ..Options::default()
    };
    Spine::open(common::db_path(dir), opts).unwrap()
}

fn text(r: &mut Rng) -> String {
    let n = 2 + r.next() % 9;
    (0..n)
        .map(|_| WORDS[(r.next() % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// The same operations on a database with copies and one without.
struct Pair {
    with: Spine,
    without: Spine,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Pair {
    fn new() -> Pair {
        let (a, b) = (common::temp(), common::temp());
        Pair {
            with: open(&a, 64 << 20),
            without: open(&b, 0),
            _dirs: (a, b),
        }
    }

    fn store(&self, r: &mut Rng, user: &str, n: usize) -> Vec<MemoryId> {
        let batch: Vec<NewMemory> = (0..n)
            .map(|i| {
                let tag = if i % 3 == 0 { "billing" } else { "other" };
                NewMemory::new(text(r)).user(user).tag(tag)
            })
            .collect();
        let ids = self.with.store_batch(batch.clone()).unwrap();
        assert_eq!(self.without.store_batch(batch).unwrap(), ids);
        ids
    }

    fn update(&self, id: MemoryId, content: String) {
        for db in [&self.with, &self.without] {
            let u = MemoryUpdate {
                content: Some(content.clone()),
                ..MemoryUpdate::default()
            };
            db.update(id, u).unwrap();
        }
    }

    fn delete(&self, id: MemoryId) {
        self.with.delete(id).unwrap();
        self.without.delete(id).unwrap();
    }

    /// Lexical and hybrid searches agree, for the scope and for a narrower filter.
    fn check(&self, r: &mut Rng, user: &str) {
        let filters = [
            Filter::user(user),
            Filter {
                tags: vec!["billing".into()],
                ..Filter::user(user)
            },
        ];
        for _ in 0..6 {
            let q = text(r);
            for f in &filters {
                for mode in [SearchMode::Lexical, SearchMode::Hybrid] {
                    for limit in [1, 10, 50] {
                        let opts = SearchOptions {
                            limit,
                            mode,
                            filter: f.clone(),
                            ..SearchOptions::default()
                        };
                        let run = |db: &Spine| -> Vec<(u64, f32, Option<f32>)> {
                            db.search(&q, &opts)
                                .unwrap()
                                .into_iter()
                                .map(|h| (h.id.0, h.score, h.lexical))
                                .collect()
                        };
                        assert_eq!(run(&self.with), run(&self.without), "{q:?} {f:?} {mode:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_scope_copy_gives_exactly_the_index_s_results_as_texts_change() {
    let mut r = Rng(7);
    let p = Pair::new();
    let alice = p.store(&mut r, "alice", 3_000);
    p.store(&mut r, "bob", 500);
    // The first scoped searches ask for the copy; wait for it.
    p.check(&mut r, "alice");
    p.with.wait_for_scope_copies();
    let stats = p.with.stats().unwrap();
    assert_eq!(stats.lexical_copies, 1, "{stats:?}");
    assert!(stats.lexical_copy_bytes > 0);
    assert_eq!(p.without.stats().unwrap().lexical_copies, 0);
    p.check(&mut r, "alice");
    // Texts change under the copy (fewer than an eighth: no rebuild): the changed memories are
    // searched in the index.
    for &id in alice.iter().step_by(30) {
        p.update(id, text(&mut r));
    }
    p.check(&mut r, "alice");
    // More changes than the change log has entries (its oldest entries merge).
    for &id in alice.iter().skip(2).step_by(10) {
        p.update(id, text(&mut r));
    }
    p.check(&mut r, "alice");
    // Deleted and new memories.
    let deleted: Vec<MemoryId> = alice.iter().skip(3).step_by(11).copied().collect();
    for &id in &deleted {
        p.delete(id);
    }
    p.store(&mut r, "alice", 200);
    p.check(&mut r, "alice");
    // The copy rebuilt from the new state (the scope grew and changed past an eighth).
    p.store(&mut r, "alice", 600);
    p.check(&mut r, "alice");
    p.with.wait_for_scope_copies();
    p.check(&mut r, "alice");
    // Changed again after the rebuild.
    for &id in alice.iter().skip(1).step_by(5) {
        if !deleted.contains(&id) {
            p.update(id, text(&mut r));
        }
    }
    p.check(&mut r, "alice");
    // A scope too small for a copy.
    p.check(&mut r, "bob");
    assert_eq!(p.with.stats().unwrap().lexical_copies, 1);
}

/// More scopes searched than the budget holds: a scope searched now and then does not evict
/// the copies of the scopes searched all the time (each eviction would be a rebuild of a
/// whole scope on the next search), while a scope that becomes hot gets its copy.
#[test]
fn copies_that_do_not_fit_are_admitted_by_frequency_not_rebuilt_in_turn() {
    let mut r = Rng(11);
    let users = ["hot1", "hot2", "cold", "later"];
    // The size of one copy, from a database whose budget holds them all.
    let dir = common::temp();
    let one = {
        let db = open(&dir, 64 << 20);
        for u in users {
            db.store_batch(
                (0..1_200)
                    .map(|_| NewMemory::new(text(&mut r)).user(u))
                    .collect(),
            )
            .unwrap();
        }
        search(&db, "hot1");
        db.wait_for_scope_copies();
        db.stats().unwrap().lexical_copy_bytes
    };
    assert!(one > 0);
    // Room for two copies and a half.
    let db = open(&dir, one * 5 / 2);
    let builds = |db: &Spine| db.stats().unwrap().lexical_copy_builds;
    for _ in 0..10 {
        search(&db, "hot1");
        search(&db, "hot2");
    }
    assert_eq!(builds(&db), 2);
    // A scope searched once per round: each search would otherwise evict a hot copy, and
    // the next search of that hot scope build it again.
    for round in 0..10 {
        search(&db, "cold");
        search(&db, "hot1");
        search(&db, "hot2");
        assert_eq!(builds(&db), 2, "round {round}");
    }
    assert_eq!(db.stats().unwrap().lexical_copies, 2);
    // A scope searched far more often than the hot ones were wins its place.
    for _ in 0..60 {
        search(&db, "later");
    }
    assert_eq!(builds(&db), 3);
    assert_eq!(db.stats().unwrap().lexical_copies, 2);
}

/// A scoped lexical search, then the copies it asked for built.
fn search(db: &Spine, user: &str) {
    let opts = SearchOptions {
        mode: SearchMode::Lexical,
        filter: Filter::user(user),
        ..SearchOptions::default()
    };
    db.search("refund billing coffee", &opts).unwrap();
    db.wait_for_scope_copies();
}
