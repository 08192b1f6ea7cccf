//! Bad input gets a typed error and leaves the database usable.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Seek, SeekFrom, Write};

use memspine::{Error, Limits, MemoryId, NewMemory, Options, Spine, DATA_FILE};
use serde_json::json;

#[test]
fn oversized_and_invalid_fields_are_typed_errors() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let limit = Limits::default().max_content_bytes;
    assert!(matches!(
        db.store(NewMemory::new("x".repeat(limit + 1))),
        Err(Error::TooLarge {
            what: "content",
            ..
        })
    ));
    assert!(matches!(
        db.store(NewMemory::new("   ")),
        Err(Error::InvalidInput {
            field: "content",
            ..
        })
    ));
    assert!(matches!(
        db.store(NewMemory::new("a").metadata(json!([1, 2]))),
        Err(Error::InvalidInput {
            field: "metadata",
            ..
        })
    ));
    assert!(matches!(
        db.store(NewMemory::new("a").importance(f32::NAN)),
        Err(Error::InvalidInput {
            field: "importance",
            ..
        })
    ));
    assert!(matches!(
        db.store(NewMemory::new("a").tag("")),
        Err(Error::InvalidInput { field: "tag", .. })
    ));
    assert!(matches!(
        db.store(NewMemory::new("a").tag("x".repeat(300))),
        Err(Error::TooLarge { what: "tag", .. })
    ));
    let many: Vec<_> = (0..100).map(|i| format!("t{i}")).collect();
    let mut m = NewMemory::new("a");
    m.tags = many;
    assert!(matches!(
        db.store(m),
        Err(Error::TooLarge { what: "tags", .. })
    ));
    // The database embeds with the built-in model, so a 3-d vector has the wrong dimension.
    assert!(matches!(
        db.store(NewMemory::new("a").vector(vec![1.0; 3])),
        Err(Error::DimensionMismatch { got: 3, .. })
    ));
    assert!(matches!(db.get(MemoryId(999)), Err(Error::UnknownId(999))));
    assert!(matches!(
        db.history(MemoryId(999)),
        Err(Error::UnknownId(999))
    ));
    // Still usable.
    let id = db.store(NewMemory::new("fine")).unwrap();
    assert_eq!(db.get(id).unwrap().content, "fine");
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn a_file_or_foreign_directory_is_not_a_database() {
    let dir = common::temp();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "hello").unwrap();
    assert!(matches!(
        Spine::open(&file, Options::default()),
        Err(Error::NotADatabase { .. })
    ));
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("other.txt"), "x").unwrap();
    assert!(matches!(
        Spine::open(&foreign, Options::default()),
        Err(Error::NotADatabase { .. })
    ));
    let garbage = dir.path().join("garbage");
    std::fs::create_dir(&garbage).unwrap();
    std::fs::write(garbage.join(DATA_FILE), vec![0x5au8; 8192]).unwrap();
    let e = Spine::open(&garbage, Options::default()).unwrap_err();
    assert!(
        matches!(e, Error::NotADatabase { .. } | Error::Corrupt { .. }),
        "{e:?}"
    );
    let missing = Options {
        create: false,
        ..Options::default()
    };
    assert!(matches!(
        Spine::open(dir.path().join("nope"), missing),
        Err(Error::NotFound { .. })
    ));
}

fn populated(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = common::db_path(dir);
    let db = common::open(&path);
    let batch = (0..3000)
        .map(|i| NewMemory::new(format!("memory number {i} {}", "pad ".repeat(20))))
        .collect();
    db.store_batch(batch).unwrap();
    path
}

fn copy_db(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn truncated_file_is_a_typed_error_and_the_original_stays_usable() {
    let dir = common::temp();
    let path = populated(&dir);
    let copy = dir.path().join("truncated");
    copy_db(&path, &copy);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(copy.join(DATA_FILE))
        .unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len / 3).unwrap();
    drop(f);
    let r = Spine::open(&copy, Options::default()).and_then(|db| db.verify().map(|v| (db, v)));
    match r {
        Err(e) => assert!(
            matches!(
                e,
                Error::Corrupt { .. }
                    | Error::NotADatabase { .. }
                    | Error::ChecksumMismatch { .. }
                    | Error::Io(_)
                    | Error::Storage(_)
            ),
            "{e:?}"
        ),
        Ok((_, v)) => assert!(!v.is_ok(), "a truncated file must not verify clean"),
    }
    let db = common::open(&path);
    assert_eq!(db.count().unwrap(), 3000);
}

#[test]
fn corrupted_pages_are_detected() {
    let dir = common::temp();
    let path = populated(&dir);
    let len = std::fs::metadata(path.join(DATA_FILE)).unwrap().len();
    let mut detected = 0;
    let trials = 12;
    for k in 0..trials {
        let copy = dir.path().join(format!("corrupt{k}"));
        copy_db(&path, &copy);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(copy.join(DATA_FILE))
            .unwrap();
        // Flip 64 bytes somewhere past the header region.
        let at = 8192 + (len - 16384) / trials * k;
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(&[0xa5; 64]).unwrap();
        drop(f);
        let outcome = std::panic::catch_unwind(|| match Spine::open(&copy, Options::default()) {
            Err(_) => true,
            Ok(db) => match db.verify() {
                Err(_) => true,
                Ok(r) => !r.is_ok(),
            },
        });
        match outcome {
            Ok(true) => detected += 1,
            Ok(false) => {} // the flipped bytes landed in free space
            Err(_) => panic!("corruption at offset {at} caused a panic"),
        }
    }
    assert!(detected > 0, "no corruption detected in {trials} trials");
    let db = common::open(&path);
    assert_eq!(db.count().unwrap(), 3000);
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn newer_format_is_refused() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    drop(common::open(&path));
    {
        let db = redb::Database::open(path.join(DATA_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn
                .open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
                .unwrap();
            let v = postcard::to_allocvec(&99u32).unwrap();
            t.insert("format_version", v.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    match Spine::open(&path, Options::default()) {
        Err(Error::UnsupportedFormat { found: 99, .. }) => {}
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}

/// Every size that comes from input has a limit (`Limits`, the DSL's and the graph's constants)
/// and exceeding it is a `TooLarge` naming the field (docs/errors.md lists them). Small limits
/// here so the test does not build megabytes.
#[test]
fn every_input_size_limit_is_enforced() {
    let dir = common::temp();
    let limits = Limits {
        max_content_bytes: 64,
        max_metadata_bytes: 32,
        max_tags: 2,
        max_label_bytes: 12,
        max_batch: 3,
        max_event_bytes: 400,
    };
    let opts = Options {
        limits,
        ..Options::default()
    };
    let db = Spine::open(common::db_path(&dir), opts).unwrap();
    let too_large = |r: Result<(), Error>| match r {
        Err(Error::TooLarge { what, .. }) => what,
        other => panic!("expected TooLarge, got {other:?}"),
    };
    let store = |m: NewMemory| db.store(m).map(drop);
    let long = "x".repeat(13);
    assert_eq!(too_large(store(NewMemory::new("c".repeat(65)))), "content");
    let big = json!({ "k": "v".repeat(40) });
    assert_eq!(
        too_large(store(NewMemory::new("a").metadata(big))),
        "metadata"
    );
    let three = NewMemory::new("a").tag("t1").tag("t2").tag("t3");
    assert_eq!(too_large(store(three)), "tags");
    assert_eq!(too_large(store(NewMemory::new("a").tag(&long))), "tag");
    assert_eq!(too_large(store(NewMemory::new("a").kind(&long))), "kind");
    assert_eq!(too_large(store(NewMemory::new("a").user(&long))), "user");
    assert_eq!(
        too_large(store(NewMemory::new("a").session(&long))),
        "session"
    );
    assert_eq!(too_large(store(NewMemory::new("a").agent(&long))), "agent");
    let four = (0..4).map(|i| NewMemory::new(format!("m{i}"))).collect();
    assert_eq!(too_large(db.store_batch(four).map(drop)), "batch");
    let ids = db
        .store_batch((0..3).map(|i| NewMemory::new(format!("m{i}"))).collect())
        .unwrap();
    let id4 = db.store(NewMemory::new("m3")).unwrap();
    let update = memspine::MemoryUpdate {
        content: Some("c".repeat(65)),
        ..Default::default()
    };
    assert_eq!(too_large(db.update(ids[0], update).map(drop)), "content");
    let mut all = ids.clone();
    all.push(id4);
    assert_eq!(too_large(db.batch_consolidate(&all).map(drop)), "ids");
    let scope = memspine::Scope::default();
    let payload = json!({ "p": "x".repeat(500) });
    let event = db.append_event("note", payload, scope.clone()).map(drop);
    assert_eq!(too_large(event), "event payload");
    assert_eq!(
        too_large(db.append_event(&long, json!({}), scope).map(drop)),
        "event type"
    );
    let mut t = memspine::NewTriple::new("A", "knows", "B", 0);
    t.context = json!({ "c": "x".repeat(500) });
    assert_eq!(too_large(db.add_triple(t).map(drop)), "graph operation");
    // An import line longer than the limit stops the import before it is read whole.
    let line_limit = memspine::jsonl::import_line_limit(&limits);
    let mut input = std::io::Cursor::new(vec![b'x'; line_limit + 10]);
    assert_eq!(
        too_large(db.import(&mut input, &mut |_| {}).map(drop)),
        "import line"
    );
    // Traversal depth (graph) and query text (DSL) have fixed maximums.
    db.add_triple(memspine::NewTriple::new("A", "knows", "B", 0))
        .unwrap();
    let opts = memspine::TraversalOptions::default();
    let deep = db.neighborhood("A", memspine_graph::MAX_DEPTH + 1, &opts);
    assert!(matches!(deep, Err(Error::Graph(_))), "{deep:?}");
    let q = format!("tag:{}", "a".repeat(memspine::query::MAX_QUERY_BYTES));
    assert!(memspine::query::parse(&q).is_err());
    // Nothing of the refused writes is there, and the database is intact.
    assert_eq!(db.count().unwrap(), 4);
    assert!(db.verify().unwrap().is_ok());
}
