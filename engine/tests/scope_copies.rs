//! Scope copies (`Options::scope_copy_bytes`): a scoped search that reads its scope's int8
//! records from an in-memory copy returns exactly what an exact f32 search returns — after the
//! scope grows, vectors are replaced, memories move between scopes or are deleted, with other
//! filters on top, within a byte budget, and with copies turned off.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use memspine::{
    Durability, Filter, ManualClock, MemoryId, MemoryUpdate, NewMemory, Options, SearchMode,
    SearchOptions, Spine,
};

const DIM: usize = 16;

use common::SplitMix as Rng;

/// A vector near one of 4 directions, so that near ties and clusters occur.
fn vector(r: &mut Rng) -> Vec<f32> {
    let c = (r.next() % 4) as usize;
    (0..DIM)
        .map(|i| f32::from(u8::from(i % 4 == c)) + r.centred() * 0.6)
        .collect()
}

fn open(dir: &tempfile::TempDir, budget: usize) -> Spine {
    let opts = Options {
        dimension: Some(DIM),
        durability: Durability::None,
        clock: Arc::new(ManualClock::new(common::T0)),
        scope_copy_bytes: budget,
        ..Options::default()
    };
    Spine::open(common::db_path(dir), opts).unwrap()
}

fn store(db: &Spine, r: &mut Rng, user: &str, n: usize) -> Vec<MemoryId> {
    let batch = (0..n)
        .map(|i| {
            let tag = if i % 3 == 0 { "billing" } else { "other" };
            NewMemory::new(format!("{user} memory {i}"))
                .user(user)
                .tag(tag)
                .vector(vector(r))
        })
        .collect();
    db.store_batch(batch).unwrap()
}

/// Ids and scores of a search.
type Ranked = Vec<(u64, f32)>;

/// Ids and scores of a search with the default options and with `exact`.
fn both(db: &Spine, q: &[f32], filter: &Filter) -> (Ranked, Ranked) {
    let run = |exact: bool| {
        let opts = SearchOptions {
            limit: 10,
            mode: SearchMode::Semantic,
            vector: Some(q.to_vec()),
            filter: filter.clone(),
            exact,
            ..Default::default()
        };
        db.search("", &opts)
            .unwrap()
            .iter()
            .map(|h| (h.id.0, h.score))
            .collect::<Ranked>()
    };
    (run(false), run(true))
}

/// Searches each user's memories eight times: the first round without the copies it asks for
/// (built in the background), the others with them.
fn check(db: &Spine, r: &mut Rng, users: &[&str]) {
    for _ in 0..8 {
        let q = vector(r);
        for u in users {
            for filter in [
                Filter::user(*u),
                Filter {
                    tags: vec!["billing".into()],
                    ..Filter::user(*u)
                },
                Filter {
                    include_archived: true,
                    ..Filter::user(*u)
                },
            ] {
                let (got, want) = both(db, &q, &filter);
                assert_eq!(got, want, "{filter:?}");
                assert_eq!(got.len(), 10);
            }
        }
        db.wait_for_scope_copies();
    }
}

#[test]
fn scoped_search_through_a_copy_is_exact_as_the_scope_changes() {
    let dir = common::temp();
    let db = open(&dir, 64 << 20);
    let mut r = Rng(5);
    let alice = store(&db, &mut r, "alice", 3_000);
    let bob = store(&db, &mut r, "bob", 2_500);
    store(&db, &mut r, "carol", 100);
    check(&db, &mut r, &["alice", "bob", "carol"]);
    // alice and bob are large enough for a copy (of their live memories, and of those with
    // the archived ones); carol is not.
    assert_eq!(db.stats().unwrap().scope_copies, 4);
    assert!(db.stats().unwrap().scope_copy_bytes >= 5_500 * DIM);

    // The scope grows (a little, then past an eighth: rebuilt), vectors are replaced (new
    // slots), memories move between users and some are deleted.
    store(&db, &mut r, "alice", 100);
    check(&db, &mut r, &["alice"]);
    store(&db, &mut r, "alice", 800);
    for id in alice.iter().step_by(7) {
        let u = MemoryUpdate {
            vector: Some(vector(&mut r)),
            ..Default::default()
        };
        db.update(*id, u).unwrap();
    }
    for (a, b) in alice.iter().skip(1).step_by(11).zip(bob.iter().step_by(13)) {
        let to = |user: &str| MemoryUpdate {
            user: Some(Some(user.into())),
            ..Default::default()
        };
        db.update(*a, to("bob")).unwrap();
        db.update(*b, to("alice")).unwrap();
    }
    for id in alice.iter().skip(3).step_by(17) {
        db.delete(*id).unwrap();
    }
    let archive: Vec<MemoryId> = (5..alice.len())
        .step_by(9)
        .filter(|i| i % 17 != 3)
        .map(|i| alice[i])
        .collect();
    db.set_archived(&archive, true).unwrap();
    check(&db, &mut r, &["alice", "bob", "carol"]);
    assert!(db.verify().unwrap().is_ok());

    // A reopened database starts without copies and builds them again.
    drop(db);
    let db = open(&dir, 64 << 20);
    assert_eq!(db.stats().unwrap().scope_copies, 0);
    check(&db, &mut r, &["alice", "bob"]);
    assert_eq!(db.stats().unwrap().scope_copies, 4);
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn copies_stay_within_their_budget_and_can_be_turned_off() {
    let dir = common::temp();
    let mut r = Rng(9);
    {
        let db = open(&dir, 64 << 20);
        store(&db, &mut r, "alice", 3_000);
        store(&db, &mut r, "bob", 3_000);
    }
    // Room for one copy of ~3 000 records of 24 bytes (plus slot lists): the least recently
    // used goes (each user's memories are searched live and with the archived ones: four
    // copies asked for).
    let db = open(&dir, 150_000);
    check(&db, &mut r, &["alice", "bob"]);
    let s = db.stats().unwrap();
    assert_eq!(s.scope_copies, 1);
    assert!(s.scope_copy_bytes <= 150_000);
    drop(db);
    let db = open(&dir, 0);
    check(&db, &mut r, &["alice", "bob"]);
    assert_eq!(db.stats().unwrap().scope_copies, 0);
}

#[test]
fn closing_while_a_copy_is_built_leaves_the_database_sound() {
    let dir = common::temp();
    let mut r = Rng(13);
    {
        let db = open(&dir, 64 << 20);
        store(&db, &mut r, "alice", 4_000);
    }
    for _ in 0..3 {
        let db = open(&dir, 64 << 20);
        // The search asks for alice's copy and returns without waiting for it; the close
        // waits for the builder (it reads the arena's maps) and the next open starts clean.
        let (got, want) = both(&db, &vector(&mut r), &Filter::user("alice"));
        assert_eq!(got, want);
        drop(db);
    }
    let db = open(&dir, 64 << 20);
    assert!(db.verify().unwrap().is_ok());
}
