//! Helpers shared by the integration tests: a real redb file in a tempdir.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use memspine_graph::{find_entity, GraphError, NewTriple};
use redb::{Database, ReadTransaction, ReadableDatabase, WriteTransaction};

/// A database in its own temporary directory.
pub struct Db {
    pub dir: tempfile::TempDir,
    pub db: Database,
}

impl Db {
    pub fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("data.redb")).unwrap();
        Db { dir, db }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("data.redb")
    }

    /// Closes and reopens the file.
    pub fn reopen(self) -> Db {
        let Db { dir, db } = self;
        drop(db);
        let db = Database::open(dir.path().join("data.redb")).unwrap();
        Db { dir, db }
    }

    /// Runs `f` in a write transaction and commits; panics on error.
    pub fn write<T>(&self, f: impl FnOnce(&WriteTransaction) -> Result<T, GraphError>) -> T {
        let w = self.db.begin_write().unwrap();
        let out = f(&w).unwrap();
        w.commit().unwrap();
        out
    }

    /// Runs `f` in a write transaction that is aborted; returns its result.
    pub fn try_write<T>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, GraphError>,
    ) -> Result<T, GraphError> {
        let w = self.db.begin_write().unwrap();
        let out = f(&w);
        w.abort().unwrap();
        out
    }

    pub fn read(&self) -> ReadTransaction {
        self.db.begin_read().unwrap()
    }

    /// Adds `(s, p, o)` at time `ts` and returns the edge id.
    pub fn triple(&self, s: &str, p: &str, o: &str, ts: u64) -> u64 {
        self.write(|w| memspine_graph::add_triple(w, &NewTriple::new(s, p, o, ts)))
            .edge
    }

    pub fn id(&self, name: &str) -> u64 {
        find_entity(&self.read(), name)
            .unwrap()
            .unwrap_or_else(|| panic!("no entity {name}"))
    }

    /// Asserts `verify` finds nothing.
    pub fn assert_consistent(&self) {
        let problems = memspine_graph::verify(&self.read()).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
