//! Lexical index lifecycle: removing a document undoes indexing it, the index survives a reopen,
//! misuse gives typed errors, and a damaged record is named by `verify` and refused by search.

use memspine_index::lexical::{self, IndexBatch};
use memspine_index::Error;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

const TEXTS: &[&str] = &[
    "Alice prefers green tea in the morning",
    "Bob's favourite coffee shop closed on Mondays",
    "Running late: the meeting moved to 3pm",
    "Alice runs every morning before work",
    "Café au lait, not tea, for Zoë",
];

fn db(dir: &tempfile::TempDir) -> Database {
    Database::create(dir.path().join("data.redb")).expect("create")
}

fn search(db: &Database, q: &str) -> Vec<(u32, f32)> {
    let rtxn = db.begin_read().expect("read");
    lexical::search(&rtxn, q, 10, None).expect("search")
}

fn index_all(db: &Database) {
    let txn = db.begin_write().expect("begin");
    for (i, t) in TEXTS.iter().enumerate() {
        lexical::index_document(&txn, i as u32 + 1, t).expect("index");
    }
    txn.commit().expect("commit");
}

#[test]
fn remove_undoes_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir);
    index_all(&db);
    let before = (
        search(&db, "alice morning tea"),
        lexical::stats(&db.begin_read().expect("r")).expect("stats"),
    );
    let extra = "Alice drinks green tea with extra morning honey";
    let txn = db.begin_write().expect("begin");
    lexical::index_document(&txn, 99, extra).expect("index");
    txn.commit().expect("commit");
    assert_eq!(search(&db, "honey").first().map(|h| h.0), Some(99));
    let txn = db.begin_write().expect("begin");
    lexical::remove_document(&txn, 99, extra).expect("remove");
    txn.commit().expect("commit");
    let after = (
        search(&db, "alice morning tea"),
        lexical::stats(&db.begin_read().expect("r")).expect("stats"),
    );
    assert_eq!(before, after);
    assert!(search(&db, "honey").is_empty());
    // Removing everything leaves empty tables.
    let txn = db.begin_write().expect("begin");
    for (i, t) in TEXTS.iter().enumerate() {
        lexical::remove_document(&txn, i as u32 + 1, t).expect("remove");
    }
    txn.commit().expect("commit");
    let rtxn = db.begin_read().expect("read");
    let s = lexical::stats(&rtxn).expect("stats");
    assert_eq!((s.doc_count, s.total_len, s.terms, s.blocks), (0, 0, 0, 0));
    assert!(lexical::verify(&rtxn).expect("verify").is_empty());
}

#[test]
fn survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = {
        let db = db(&dir);
        index_all(&db);
        search(&db, "alice running tea café")
    };
    let db = Database::open(dir.path().join("data.redb")).expect("reopen");
    assert_eq!(search(&db, "alice running tea café"), before);
    assert!(!before.is_empty());
    let rtxn = db.begin_read().expect("read");
    assert!(lexical::verify(&rtxn).expect("verify").is_empty());
    assert_eq!(
        lexical::phrase_or_terms_bitmap(&rtxn, "alice mornings")
            .expect("bitmap")
            .iter()
            .collect::<Vec<_>>(),
        [1, 4]
    );
}

#[test]
fn misuse_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir);
    index_all(&db);
    let txn = db.begin_write().expect("begin");
    assert!(matches!(
        lexical::index_document(&txn, 1, "again"),
        Err(Error::AlreadyIndexed { doc: 1 })
    ));
    assert!(matches!(
        lexical::remove_document(&txn, 2, "some other text"),
        Err(Error::TextMismatch { doc: 2, .. })
    ));
    // Same length, different words.
    assert!(matches!(
        lexical::remove_document(&txn, 3, "walking early: a party went to 4pm"),
        Err(Error::TextMismatch { doc: 3, .. })
    ));
    lexical::remove_document(&txn, 12345, "never indexed").expect("no-op");
    let mut batch = IndexBatch::new();
    batch.add(50, "x").expect("add");
    assert!(matches!(
        batch.add(50, "y"),
        Err(Error::AlreadyIndexed { doc: 50 })
    ));
    let mut batch = IndexBatch::new();
    batch.add(2, "dup").expect("add");
    assert!(matches!(
        batch.flush(&txn),
        Err(Error::AlreadyIndexed { doc: 2 })
    ));
    txn.abort().expect("abort");
    // Empty inputs: no results, no error.
    assert!(search(&db, "").is_empty());
    assert!(search(&db, "the and of").is_empty());
    let rtxn = db.begin_read().expect("read");
    assert!(lexical::search(&rtxn, "tea", 0, None)
        .expect("k=0")
        .is_empty());
    let fresh = tempfile::tempdir().expect("tempdir");
    let empty = Database::create(fresh.path().join("data.redb")).expect("create");
    assert!(search(&empty, "tea").is_empty());
    assert!(lexical::verify(&empty.begin_read().expect("r"))
        .expect("verify")
        .is_empty());
}

#[test]
fn damaged_block_is_named_and_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir);
    index_all(&db);
    let postings: TableDefinition<(u32, u32), &[u8]> = TableDefinition::new("lex_postings");
    let txn = db.begin_write().expect("begin");
    {
        let mut t = txn.open_table(postings).expect("table");
        let (key, mut bytes) = {
            let mut it = t.iter().expect("iter");
            let (k, v) = it.next().expect("one block").expect("read");
            (k.value(), v.value().to_vec())
        };
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        t.insert(key, bytes.as_slice()).expect("overwrite");
    }
    txn.commit().expect("commit");
    let rtxn = db.begin_read().expect("read");
    let problems = lexical::verify(&rtxn).expect("verify");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("lex_postings") && p.contains("crc32")),
        "{problems:?}"
    );
    // Some query touching that block fails with the typed error rather than a wrong answer.
    let failed = TEXTS.iter().any(|t| {
        matches!(
            lexical::search(&rtxn, t, 10, None),
            Err(Error::LexicalCorrupt { .. })
        )
    });
    assert!(failed);
}
