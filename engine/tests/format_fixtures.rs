//! Format stability: frozen databases of format version 1 (engine/tests/fixtures/format-v1/)
//! must open, read back exactly what was written, search, and verify — so a format change has
//! to ship a migration instead of silently breaking stored memories. A corrupt and a truncated
//! copy must give typed errors, never a panic.
//!
//! The fixtures were made once by the ignored test `generate` below:
//! `cargo test -p memspine --test format_fixtures -- --ignored generate` (it refuses to overwrite
//! existing fixtures; a new format gets a new directory, format-v2, and both stay tested).

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use memspine::{
    Direction, Error, Filter, ManualClock, Memory, MemoryId, MemoryUpdate, NewMemory, NewTriple,
    Options, QueryOptions, Scope, SearchMode, SearchOptions, Spine, TraversalOptions,
    FORMAT_VERSION,
};

const DIM: usize = 8;

/// Second `k` of the generation clock (µs).
fn t(k: u64) -> u64 {
    common::T0 + k * 1_000_000
}

fn v(k: u64) -> Vec<f32> {
    (0..DIM as u64)
        .map(|i| ((k * 7 + i * 3) % 11) as f32 - 5.0)
        .collect()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-v1")
}

/// Copies a fixture database to a fresh temporary directory (tests never touch the originals).
fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = common::temp();
    let to = dir.path().join("db");
    std::fs::create_dir(&to).unwrap();
    for e in std::fs::read_dir(fixtures().join(name)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    (dir, to)
}

fn opts(clock: &ManualClock) -> Options {
    Options {
        dimension: Some(DIM),
        clock: Arc::new(clock.clone()),
        ..Options::default()
    }
}

/// Writes the fixture: every kind of record format v1 has.
#[test]
#[ignore = "writes the frozen fixtures; run once per format version"]
fn generate() {
    let root = fixtures();
    assert!(
        !root.join("valid").exists(),
        "fixtures exist: a format change needs a new fixture directory, not new v1 files"
    );
    let path = root.join("valid");
    let clock = ManualClock::new(t(0));
    let db = Spine::open(&path, opts(&clock)).unwrap();
    let at = |k| clock.set(t(k));
    at(1);
    let m1 = NewMemory::new("Alice prefers email over phone")
        .user("alice")
        .tag("preference")
        .tag("contact")
        .metadata(serde_json::json!({ "source": "chat", "turn": 3 }))
        .importance(0.8)
        .vector(v(1));
    assert_eq!(db.store(m1).unwrap(), MemoryId(1));
    at(2);
    let m2 = NewMemory::new("Bob lives in Berlin")
        .user("bob")
        .session("s1")
        .agent("a1")
        .kind("fact")
        .tag("location")
        .pinned(true)
        .vector(v(2));
    assert_eq!(db.store(m2).unwrap(), MemoryId(2));
    at(3);
    let batch = vec![
        NewMemory::new("Carol likes green tea")
            .user("carol")
            .tag("drink")
            .vector(v(3)),
        NewMemory::new("temporary note to delete")
            .user("alice")
            .vector(v(4)),
    ];
    assert_eq!(
        db.store_batch(batch).unwrap(),
        vec![MemoryId(3), MemoryId(4)]
    );
    at(4);
    let m5 = NewMemory::new("Alice works at Acme")
        .user("alice")
        .kind("fact")
        .vector(v(5));
    assert_eq!(db.store(m5).unwrap(), MemoryId(5));
    at(5);
    let m6 = NewMemory::new("Alice started at Acme in 2024")
        .user("alice")
        .kind("fact")
        .vector(v(6));
    assert_eq!(db.store(m6).unwrap(), MemoryId(6));
    at(6);
    let u = MemoryUpdate {
        importance: Some(0.9),
        tags: Some(vec!["preference".into(), "contact".into(), "email".into()]),
        ..Default::default()
    };
    db.update(MemoryId(1), u).unwrap();
    at(7);
    db.delete(MemoryId(4)).unwrap();
    at(8);
    db.set_archived(&[MemoryId(3)], true).unwrap();
    at(9);
    let alice = Scope {
        user: Some("alice".into()),
        ..Default::default()
    };
    db.append_event("agent.note", serde_json::json!({ "text": "hello" }), alice)
        .unwrap();
    at(10);
    let bob = Scope {
        user: Some("bob".into()),
        ..Default::default()
    };
    let call = serde_json::json!({ "tool": "search", "ok": true });
    db.append_event("agent.tool_call", call, bob).unwrap();
    at(11);
    db.declare_predicate("lives_in", true).unwrap();
    at(12);
    let mut works = NewTriple::new("Alice", "works_at", "Acme", 0);
    works.memory = Some(5);
    db.add_triple(works).unwrap();
    at(13);
    db.add_triple(NewTriple::new("Bob", "lives_in", "Berlin", 0))
        .unwrap();
    at(14);
    let mut knows = NewTriple::new("Alice", "knows", "Bob", 0);
    knows.confidence = 0.7;
    knows.source = "chat".into();
    db.add_triple(knows).unwrap();
    at(15);
    db.link_memory(MemoryId(1), &["Alice"]).unwrap();
    at(16);
    assert_eq!(
        db.batch_consolidate(&[MemoryId(5), MemoryId(6)]).unwrap(),
        MemoryId(7)
    );
    at(17);
    let u = MemoryUpdate {
        vector: Some(v(9)),
        ..Default::default()
    };
    db.update(MemoryId(2), u).unwrap();
    assert!(db.verify().unwrap().is_ok());
    drop(db);
    make_damaged_copies(&root);
}

/// `corrupt`: one byte of memory 3's content flipped wherever the content sits in data.redb
/// (its record and its log record); `truncated`: data.redb cut to half its length.
fn make_damaged_copies(root: &Path) {
    let data = std::fs::read(root.join("valid/data.redb")).unwrap();
    let needle = b"Carol likes green tea";
    let mut corrupt = data.clone();
    let mut hits = 0;
    for i in 0..corrupt.len() - needle.len() {
        if &corrupt[i..i + needle.len()] == needle {
            corrupt[i + 6] ^= 0x20; // "likes" -> "Likes"
            hits += 1;
        }
    }
    assert!(hits > 0, "content not found in the file (compressed?)");
    for (name, bytes) in [
        ("corrupt", corrupt),
        ("truncated", data[..data.len() / 2].to_vec()),
    ] {
        // Complete directories (with the arena), so the damage is the only difference.
        std::fs::create_dir_all(root.join(name)).unwrap();
        for e in std::fs::read_dir(root.join("valid")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), root.join(name).join(e.file_name())).unwrap();
        }
        std::fs::write(root.join(name).join("data.redb"), bytes).unwrap();
    }
}

/// A memory as frozen in the fixture (access counts are not compared: reading changes them).
#[allow(clippy::too_many_arguments)]
fn mem(
    id: u64,
    content: &str,
    kind: &str,
    tags: &[&str],
    user: &str,
    importance: f32,
    created: u64,
    updated: u64,
) -> Memory {
    Memory {
        id: MemoryId(id),
        content: content.into(),
        kind: kind.into(),
        tags: tags.iter().map(|s| (*s).to_owned()).collect(),
        metadata: serde_json::json!({}),
        scope: Scope {
            user: Some(user.into()),
            ..Default::default()
        },
        importance,
        pinned: false,
        created_at: t(created),
        updated_at: t(updated),
        access_count: 0,
        last_access: None,
        provenance: vec![],
        archived: false,
        has_vector: true,
    }
}

fn expected() -> Vec<Memory> {
    let mut m1 = mem(
        1,
        "Alice prefers email over phone",
        "interaction",
        &["contact", "email", "preference"],
        "alice",
        0.9,
        1,
        6,
    );
    m1.metadata = serde_json::json!({ "source": "chat", "turn": 3 });
    let mut m2 = mem(
        2,
        "Bob lives in Berlin",
        "fact",
        &["location"],
        "bob",
        0.5,
        2,
        17,
    );
    m2.scope.session = Some("s1".into());
    m2.scope.agent = Some("a1".into());
    m2.pinned = true;
    let mut m3 = mem(
        3,
        "Carol likes green tea",
        "interaction",
        &["drink"],
        "carol",
        0.5,
        3,
        8,
    );
    m3.archived = true;
    let mut m5 = mem(5, "Alice works at Acme", "fact", &[], "alice", 0.5, 4, 16);
    m5.archived = true;
    let mut m6 = mem(
        6,
        "Alice started at Acme in 2024",
        "fact",
        &[],
        "alice",
        0.5,
        5,
        16,
    );
    m6.archived = true;
    vec![m1, m2, m3, m5, m6]
}

fn without_access(mut m: Memory) -> Memory {
    m.access_count = 0;
    m.last_access = None;
    m
}

#[test]
fn v1_fixture_reads_back_exactly() {
    let (_dir, path) = copy_of("valid");
    let clock = ManualClock::new(t(100));
    let db = Spine::open(&path, opts(&clock)).unwrap();
    assert_eq!(
        FORMAT_VERSION, 1,
        "a new format needs a format-v2 fixture too"
    );
    for want in expected() {
        let got = without_access(db.get(want.id).unwrap());
        assert_eq!(got, want);
    }
    assert!(matches!(db.get(MemoryId(4)), Err(Error::UnknownId(4))));
    // The consolidated memory: provenance, kind, scope, live; its text is the summarizer's.
    let c = db.get(MemoryId(7)).unwrap();
    assert_eq!(c.kind, memspine::CONSOLIDATED);
    assert_eq!(c.provenance, vec![MemoryId(5), MemoryId(6)]);
    assert_eq!(c.scope.user.as_deref(), Some("alice"));
    assert_eq!(
        (c.created_at, c.archived, c.has_vector),
        (t(16), false, true)
    );
    assert!(c.content.contains("Acme"), "{}", c.content);
    // Vectors: the originals' and the replaced one (which moved to a new arena slot).
    for id in [1, 2, 3, 7] {
        assert_eq!(db.vector_of(MemoryId(id)).unwrap().unwrap().len(), DIM);
    }
    // Live memories (archived and deleted excluded) and per-user filters.
    let live = db.filter_ids(&Filter::default()).unwrap();
    assert_eq!(live, vec![MemoryId(1), MemoryId(2), MemoryId(7)]);
    let all = Filter {
        include_archived: true,
        ..Default::default()
    };
    assert_eq!(db.filter_ids(&all).unwrap().len(), 6);
    assert_eq!(
        db.filter_ids(&Filter::user("alice")).unwrap(),
        vec![MemoryId(1), MemoryId(7)]
    );
    assert_eq!(db.count().unwrap(), 3);
}

#[test]
fn v1_fixture_history_events_and_graph() {
    let (_dir, path) = copy_of("valid");
    let clock = ManualClock::new(t(100));
    let db = Spine::open(&path, opts(&clock)).unwrap();
    let types: Vec<String> = db
        .history(MemoryId(1))
        .unwrap()
        .iter()
        .map(|e| e.event_type().to_owned())
        .collect();
    assert_eq!(types, ["memory.stored", "memory.updated"]);
    assert_eq!(db.history(MemoryId(4)).unwrap().len(), 2, "stored, deleted");
    let notes = db.events_since(0, Some("agent.note")).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].payload(), serde_json::json!({ "text": "hello" }));
    assert_eq!(notes[0].timestamp(), t(9));
    assert_eq!(notes[0].scope().user.as_deref(), Some("alice"));
    let calls = db.events_since(0, Some("agent.tool_call")).unwrap();
    assert_eq!(
        calls[0].payload(),
        serde_json::json!({ "tool": "search", "ok": true })
    );
    // Graph: entities, edges with their data, links (moved to the consolidated memory).
    let alice = db.find_entity("alice").unwrap().unwrap();
    assert_eq!(alice.name, "Alice");
    let out = db.edges("Alice", None, Direction::Out).unwrap();
    let mut facts: Vec<(String, String, f32, String)> = out
        .iter()
        .map(|r| {
            let o = db.entity_names(&[r.object]).unwrap()[0].1.clone();
            (r.predicate.clone(), o, r.confidence, r.source.clone())
        })
        .collect();
    facts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        facts,
        vec![
            ("knows".into(), "Bob".into(), 0.7, "chat".into()),
            ("works_at".into(), "Acme".into(), 1.0, String::new()),
        ]
    );
    let lives = db.edges("Bob", Some("lives_in"), Direction::Out).unwrap();
    assert_eq!((lives.len(), lives[0].timestamp), (1, t(13)));
    let about: Vec<MemoryId> = db
        .memories_about("Alice", 10)
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(about, vec![MemoryId(1), MemoryId(7)]);
    let n = db
        .neighborhood("Berlin", 2, &TraversalOptions::default())
        .unwrap();
    assert_eq!(n.entities.len(), 3, "Berlin, Bob, Alice");
}

#[test]
fn v1_fixture_searches_queries_verifies_and_takes_writes() {
    let (_dir, path) = copy_of("valid");
    let clock = ManualClock::new(t(100));
    let db = Spine::open(&path, opts(&clock)).unwrap();
    let lexical = SearchOptions {
        mode: SearchMode::Lexical,
        ..Default::default()
    };
    let hits = db.search("email", &lexical).unwrap();
    assert_eq!(hits[0].id, MemoryId(1));
    for (id, k) in [(1, 1), (2, 9)] {
        let semantic = SearchOptions {
            mode: SearchMode::Semantic,
            exact: true,
            limit: 1,
            vector: Some(v(k)),
            ..Default::default()
        };
        let hit = &db.search("", &semantic).unwrap()[0];
        assert_eq!(hit.id, MemoryId(id));
        assert!(hit.score > 0.9999, "{}", hit.score);
    }
    let expr = memspine::query::parse("tag:preference AND user:alice").unwrap();
    let found = db.query(&expr, &QueryOptions::default()).unwrap();
    assert_eq!(
        found.iter().map(|m| m.id).collect::<Vec<_>>(),
        [MemoryId(1)]
    );
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    // Read-write: a new memory continues the id sequence, and the database still verifies.
    let id = db
        .store(NewMemory::new("written by a newer build").vector(v(20)))
        .unwrap();
    assert_eq!(
        id,
        MemoryId(9),
        "ids 1-7 and the moved vector's slot 8 are taken"
    );
    assert!(db.verify().unwrap().is_ok());
    drop(db);
    let db = Spine::open(&path, opts(&clock)).unwrap();
    assert_eq!(db.get(id).unwrap().content, "written by a newer build");
}

#[test]
fn v1_corrupt_fixture_gives_typed_errors() {
    let (_dir, path) = copy_of("corrupt");
    let clock = ManualClock::new(t(100));
    let db = Spine::open(&path, opts(&clock)).unwrap();
    // The damaged record is a checksum error, never a wrong text; the others read fine.
    assert!(matches!(
        db.get(MemoryId(3)),
        Err(Error::ChecksumMismatch { .. })
    ));
    assert!(matches!(
        db.history(MemoryId(3)),
        Err(Error::ChecksumMismatch { .. })
    ));
    for id in [1, 2, 7] {
        db.get(MemoryId(id)).unwrap();
    }
    let r = db.verify().unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("checksum mismatch in memory record 3")),
        "{:?}",
        r.problems
    );
}

#[test]
fn v1_truncated_fixture_gives_typed_errors() {
    let (_dir, path) = copy_of("truncated");
    let clock = ManualClock::new(t(100));
    match Spine::open(&path, opts(&clock)) {
        Err(Error::NotADatabase { reason, .. }) => {
            assert!(reason.contains("truncated"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}
