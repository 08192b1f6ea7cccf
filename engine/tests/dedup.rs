//! Dedup on write: an exact duplicate in the same scope returns the existing id; a
//! near-duplicate (by cosine) is merged or flagged.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Dedup, MemoryUpdate, NearAction, NewMemory, StoreOutcome, NEAR_DUPLICATE_TAG};

#[test]
fn exact_duplicates_in_the_same_scope_return_the_existing_id() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let a = db
        .store(NewMemory::new("Alice lives in Berlin").user("alice"))
        .unwrap();
    let again = db
        .store(
            NewMemory::new("Alice lives in Berlin")
                .user("alice")
                .dedup(Dedup::Exact),
        )
        .unwrap();
    assert_eq!(a, again);
    let other_scope = db
        .store(
            NewMemory::new("Alice lives in Berlin")
                .user("bob")
                .dedup(Dedup::Exact),
        )
        .unwrap();
    assert_ne!(a, other_scope);
    let off = db
        .store(NewMemory::new("Alice lives in Berlin").user("alice"))
        .unwrap();
    assert_ne!(a, off, "dedup is off by default");
    // Within one batch too.
    let ids = db
        .store_batch(vec![
            NewMemory::new("new fact").dedup(Dedup::Exact),
            NewMemory::new("new fact").dedup(Dedup::Exact),
        ])
        .unwrap();
    assert_eq!(ids[0], ids[1]);
    // After an update or delete the index follows.
    db.update(
        ids[0],
        MemoryUpdate {
            content: Some("changed fact".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let fresh = db
        .store(NewMemory::new("new fact").dedup(Dedup::Exact))
        .unwrap();
    assert_ne!(fresh, ids[0]);
    db.delete(fresh).unwrap();
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

#[test]
fn deleting_one_of_two_duplicates_keeps_the_other_findable() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let a = db.store(NewMemory::new("same")).unwrap();
    let b = db.store(NewMemory::new("same")).unwrap();
    db.delete(b).unwrap();
    assert_eq!(
        db.store(NewMemory::new("same").dedup(Dedup::Exact))
            .unwrap(),
        a
    );
    assert!(db.verify().unwrap().is_ok());
}

/// A database of 4-d vectors given by the caller, with a manual clock.
fn open_4d(path: &std::path::Path, dedup: Dedup) -> memspine::Result<memspine::Spine> {
    memspine::Spine::open(
        path,
        memspine::Options {
            dimension: Some(4),
            durability: memspine::Durability::None,
            clock: std::sync::Arc::new(memspine::ManualClock::new(common::T0)),
            dedup,
            ..Default::default()
        },
    )
}

const MERGE: Dedup = Dedup::Near {
    threshold: 0.95,
    action: NearAction::Merge,
};
const FLAG: Dedup = Dedup::Near {
    threshold: 0.95,
    action: NearAction::Flag,
};

fn near(text: &str, v: [f32; 4]) -> NewMemory {
    NewMemory::new(text).user("alice").vector(v.to_vec())
}

#[test]
fn a_near_duplicate_is_merged_into_the_memory_it_resembles() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Off).unwrap();
    let a = db
        .store(
            near("Alice lives in Berlin", [1.0, 0.0, 0.0, 0.0])
                .tag("home")
                .importance(0.3),
        )
        .unwrap();
    let before = db.history(a).unwrap().len();
    // cosine 0.99 with `a`, same scope.
    let s = db
        .store_detailed(
            near("Alice is living in Berlin", [0.99, 0.14, 0.0, 0.0])
                .tag("city")
                .importance(0.8)
                .dedup(MERGE),
        )
        .unwrap();
    assert_eq!(s.id, a);
    assert!(
        matches!(s.outcome, StoreOutcome::Merged { similarity } if similarity > 0.98),
        "{s:?}"
    );
    let m = db.get(a).unwrap();
    assert_eq!(
        m.content, "Alice lives in Berlin",
        "the existing text stays"
    );
    assert_eq!(m.tags, vec!["city".to_owned(), "home".to_owned()]);
    assert_eq!(m.importance, 0.8);
    assert_eq!(db.count().unwrap(), 1);
    assert_eq!(
        db.history(a).unwrap().len(),
        before + 1,
        "logged as an update"
    );

    // Merging what adds nothing changes nothing (and logs nothing).
    let again = db
        .store_detailed(near("Alice lives in Berlin!", [0.99, 0.14, 0.0, 0.0]).dedup(MERGE))
        .unwrap();
    assert_eq!(again.id, a);
    assert_eq!(db.history(a).unwrap().len(), before + 1);

    // Not near enough, another scope, a wider scope: stored.
    let far = db
        .store_detailed(near("Alice likes tea", [0.0, 1.0, 0.0, 0.0]).dedup(MERGE))
        .unwrap();
    assert_eq!(far.outcome, StoreOutcome::Stored);
    let bob = db
        .store_detailed(
            NewMemory::new("Bob lives in Berlin")
                .user("bob")
                .vector(vec![1.0, 0.0, 0.0, 0.0])
                .dedup(MERGE),
        )
        .unwrap();
    assert_eq!(bob.outcome, StoreOutcome::Stored);
    let session = db
        .store_detailed(
            near("Alice lives in Berlin (session)", [1.0, 0.0, 0.0, 0.0])
                .session("s1")
                .dedup(MERGE),
        )
        .unwrap();
    assert_eq!(
        session.outcome,
        StoreOutcome::Stored,
        "scopes must be equal"
    );
    // An exact duplicate is still exact.
    let exact = db
        .store_detailed(near("Alice lives in Berlin", [0.0, 0.0, 1.0, 0.0]).dedup(MERGE))
        .unwrap();
    assert_eq!((exact.id, exact.outcome), (a, StoreOutcome::Duplicate));
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

#[test]
fn a_flagged_near_duplicate_is_stored_tagged_and_queryable() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), FLAG).unwrap();
    let a = db
        .store(near("deploy on fridays", [0.0, 0.0, 1.0, 0.0]))
        .unwrap();
    let s = db
        .store_detailed(near("we deploy on Fridays", [0.0, 0.1, 0.995, 0.0]))
        .unwrap();
    assert_ne!(s.id, a);
    match s.outcome {
        StoreOutcome::Flagged { of, similarity } => {
            assert_eq!(of, a);
            assert!((0.95..=1.001).contains(&similarity), "{similarity}");
        }
        other => panic!("{other:?}"),
    }
    assert!(db
        .get(s.id)
        .unwrap()
        .tags
        .contains(&NEAR_DUPLICATE_TAG.to_owned()));
    let ids: Vec<_> = db
        .query_dsl("tag:near-duplicate")
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, vec![s.id]);
    // Without a vector only the exact check runs.
    let plain = db
        .store_detailed(NewMemory::new("no vector").user("alice"))
        .unwrap();
    assert_eq!(plain.outcome, StoreOutcome::Stored);
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn near_duplicates_within_one_batch_are_found() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Off).unwrap();
    let out = db
        .store_batch_detailed(vec![
            near("first", [1.0, 0.0, 0.0, 0.0]).dedup(MERGE),
            near("second", [0.0, 1.0, 0.0, 0.0]).dedup(MERGE),
            near("first again", [0.98, 0.0, 0.2, 0.0])
                .tag("again")
                .dedup(MERGE),
            near("second flagged", [0.0, 0.99, 0.0, 0.1]).dedup(FLAG),
        ])
        .unwrap();
    assert_eq!(out[0].outcome, StoreOutcome::Stored);
    assert_eq!(out[2].id, out[0].id);
    assert!(matches!(out[2].outcome, StoreOutcome::Merged { .. }));
    assert!(matches!(out[3].outcome, StoreOutcome::Flagged { of, .. } if of == out[1].id));
    assert_eq!(db.get(out[0].id).unwrap().tags, vec!["again".to_owned()]);
    assert_eq!(db.count().unwrap(), 3);
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
}

#[test]
fn the_database_default_applies_when_a_store_says_nothing() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Exact).unwrap();
    let a = db.store(near("same", [1.0, 0.0, 0.0, 0.0])).unwrap();
    assert_eq!(db.store(near("same", [0.0, 1.0, 0.0, 0.0])).unwrap(), a);
    // A store's own setting wins.
    let b = db
        .store(near("same", [1.0, 0.0, 0.0, 0.0]).dedup(Dedup::Off))
        .unwrap();
    assert_ne!(a, b);
    drop(db);
    let db = open_4d(&common::db_path(&dir), MERGE).unwrap();
    let s = db
        .store_detailed(near("similar", [0.999, 0.04, 0.0, 0.0]))
        .unwrap();
    assert!(matches!(s.outcome, StoreOutcome::Merged { .. }), "{s:?}");
}

#[test]
fn bad_thresholds_are_refused_and_store_nothing() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Off).unwrap();
    for threshold in [f32::NAN, 0.0, -0.5, 1.5, f32::INFINITY] {
        let d = Dedup::Near {
            threshold,
            action: NearAction::Merge,
        };
        let e = db
            .store(near("x", [1.0, 0.0, 0.0, 0.0]).dedup(d))
            .unwrap_err();
        assert!(
            matches!(e, memspine::Error::InvalidInput { field: "dedup", .. }),
            "{threshold}: {e}"
        );
    }
    assert_eq!(db.count().unwrap(), 0);
    drop(db);
    let bad = Dedup::Near {
        threshold: 2.0,
        action: NearAction::Flag,
    };
    assert!(matches!(
        open_4d(&common::db_path(&dir), bad),
        Err(memspine::Error::InvalidInput { field: "dedup", .. })
    ));
    // The CLI's spelling.
    assert_eq!("exact".parse::<Dedup>().unwrap(), Dedup::Exact);
    assert_eq!(
        "merge:0.9".parse::<Dedup>().unwrap(),
        Dedup::Near {
            threshold: 0.9,
            action: NearAction::Merge
        }
    );
    for bad in ["near", "merge:", "flag:x", "merge:1.2", "EXACT"] {
        assert!(bad.parse::<Dedup>().is_err(), "{bad}");
    }
}

#[test]
fn facts_of_a_merged_memory_link_to_the_existing_one() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Off).unwrap();
    let a = db
        .store(near("Alice works at Acme", [1.0, 0.0, 0.0, 0.0]))
        .unwrap();
    let (id, added) = db
        .store_with_facts(
            near("Alice is employed by Acme", [0.99, 0.1, 0.0, 0.0]).dedup(MERGE),
            vec![memspine::NewTriple::new("Alice", "works_at", "Acme", 0)],
        )
        .unwrap();
    assert_eq!(id, a);
    assert_eq!(added.len(), 1);
    assert_eq!(db.count().unwrap(), 1);
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn the_exact_scope_is_found_behind_memories_of_wider_scopes() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Off).unwrap();
    // Twenty memories of alice's sessions nearer than the one of alice without a session.
    let sessions: Vec<_> = (0..20)
        .map(|i| {
            near(
                &format!("session note {i}"),
                [1.0, 0.1, 0.0, 0.01 * i as f32],
            )
            .session(format!("s{i}"))
        })
        .collect();
    db.store_batch(sessions).unwrap();
    let target = db.store(near("no session", [1.0, 0.25, 0.0, 0.0])).unwrap();
    let s = db
        .store_detailed(near("no session again", [1.0, 0.0, 0.0, 0.0]).dedup(MERGE))
        .unwrap();
    assert_eq!(s.id, target, "{s:?}");
    assert!(matches!(s.outcome, StoreOutcome::Merged { similarity } if similarity < 0.98));
}

#[test]
fn threshold_one_catches_equal_vectors_and_exact_duplicates_merge_too() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Off).unwrap();
    let v = [0.3, 0.1, 0.7, 0.2];
    let a = db.store(near("first words", v).tag("a")).unwrap();
    let one = Dedup::Near {
        threshold: 1.0,
        action: NearAction::Merge,
    };
    let s = db
        .store_detailed(near("other words", v).tag("b").dedup(one))
        .unwrap();
    assert_eq!(s.id, a);
    // An exact duplicate under Merge is merged as well (reported as a duplicate).
    let s = db
        .store_detailed(
            near("first words", [0.0, 1.0, 0.0, 0.0])
                .tag("c")
                .dedup(MERGE),
        )
        .unwrap();
    assert_eq!((s.id, s.outcome), (a, StoreOutcome::Duplicate));
    assert_eq!(db.get(a).unwrap().tags, vec!["a", "b", "c"]);
}

#[test]
fn the_tag_limit_never_fails_a_dedup() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Off).unwrap();
    let max = memspine::Limits::default().max_tags;
    let full = |prefix: &str, m: NewMemory| (0..max).fold(m, |m, i| m.tag(format!("{prefix}{i}")));
    let a = db
        .store(full("x", near("tagged", [1.0, 0.0, 0.0, 0.0])))
        .unwrap();
    // Flag: stored, reported, without the tag it has no room for.
    let s = db
        .store_detailed(full("y", near("tagged too", [1.0, 0.01, 0.0, 0.0])).dedup(FLAG))
        .unwrap();
    assert!(matches!(s.outcome, StoreOutcome::Flagged { of, .. } if of == a));
    assert_eq!(db.get(s.id).unwrap().tags.len(), max);
    // Merge: the union would exceed the limit; the memory keeps its own tags.
    let m = db
        .store_detailed(
            full("z", near("tagged three", [1.0, 0.0, 0.01, 0.0]))
                .importance(0.9)
                .dedup(MERGE),
        )
        .unwrap();
    assert!(matches!(m.outcome, StoreOutcome::Merged { .. }), "{m:?}");
    let merged = db.get(m.id).unwrap();
    assert_eq!(merged.tags.len(), max);
    assert_eq!(merged.importance, 0.9);
}

#[test]
fn an_imported_duplicate_never_archives_the_memory_it_duplicates() {
    let dir = common::temp();
    let db = open_4d(&common::db_path(&dir), Dedup::Exact).unwrap();
    let a = db.store(NewMemory::new("alpha")).unwrap();
    let lines = "{\"content\":\"alpha\",\"archived\":true}\n{\"content\":\"beta\"}\n";
    let report = db
        .import(&mut std::io::Cursor::new(lines), &mut |_| {})
        .unwrap();
    assert_eq!((report.imported, report.deduplicated), (1, 1));
    assert!(!db.get(a).unwrap().archived);
    assert_eq!(db.count().unwrap(), 2);
}
