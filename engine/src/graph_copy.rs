//! The in-memory copy of the knowledge graph that traversals read (`memspine_graph::GraphCopy`;
//! docs/design.md, "Graph copy").
//!
//! The first graph read after open asks for a copy; a background thread builds it from a
//! snapshot, within [`crate::Options::graph_copy_bytes`]. A read uses the copy only when it
//! holds the graph version of the read's snapshot, so results never depend on it. When a read
//! finds the copy behind (graph writes committed since), it brings the copy up to date itself
//! if at most [`INLINE_CATCH_UP`] entities changed (a few B-tree reads each), and otherwise
//! hands the catch-up to the background thread and reads the tables meanwhile. No read waits
//! for the copy: one that finds it locked reads the tables. Nothing is written to disk: a
//! reopened database starts without a copy.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;

use memspine_graph::{self as g, CatchUp, GraphCopy};
use redb::ReadTransaction;

use crate::error::Result;

/// Changed entities a read reloads itself to bring the copy up to date; more go to the
/// background thread.
pub(crate) const INLINE_CATCH_UP: usize = 256;

/// The graph copy of one open database.
pub(crate) struct GraphCopies {
    budget: usize,
    shared: Arc<Shared>,
    /// The last background job (joined before the next starts and on drop).
    job: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    copy: RwLock<Option<GraphCopy>>,
    /// A background job is queued or running.
    busy: Mutex<bool>,
    /// Signalled when `busy` becomes false.
    idle: Condvar,
    /// The graph did not fit the budget: no more builds for this handle.
    too_big: AtomicBool,
    /// Set on drop: a running build stops early.
    cancel: AtomicBool,
}

/// What [`GraphCopies::usage`] reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub bytes: usize,
    pub version: Option<u64>,
    pub too_big: bool,
}

impl GraphCopies {
    pub fn new(budget: usize) -> Self {
        GraphCopies {
            budget,
            shared: Arc::new(Shared {
                copy: RwLock::new(None),
                busy: Mutex::new(false),
                idle: Condvar::new(),
                too_big: AtomicBool::new(false),
                cancel: AtomicBool::new(false),
            }),
            job: Mutex::new(None),
        }
    }

    /// Runs `f` with the copy when it holds the graph version of `txn`, with `None` otherwise
    /// (after bringing the copy up to date when that is cheap, or asking the background thread
    /// to). `begin` opens a newer snapshot for a background job.
    pub fn read<T>(
        &self,
        txn: &ReadTransaction,
        begin: impl FnOnce() -> Result<ReadTransaction>,
        f: impl FnOnce(Option<&GraphCopy>) -> T,
    ) -> Result<T> {
        if self.budget == 0 || self.shared.too_big.load(Ordering::Relaxed) {
            return Ok(f(None));
        }
        let version = g::version(txn)?;
        let behind = match self.shared.copy.try_read() {
            Ok(guard) => match guard.as_ref() {
                Some(c) if c.version() == version => return Ok(f(Some(c))),
                Some(c) if c.version() > version => return Ok(f(None)),
                Some(_) => true,
                None => false,
            },
            Err(_) => return Ok(f(None)),
        };
        if !behind {
            self.ask(begin);
            return Ok(f(None));
        }
        let caught_up = match self.shared.copy.try_write() {
            Ok(mut guard) => match guard.as_mut() {
                Some(c) if c.version() < version => {
                    match c.catch_up(txn, INLINE_CATCH_UP, self.budget) {
                        Ok(CatchUp::Applied(_)) => true,
                        Ok(CatchUp::TooMany) => false,
                        // A copy left part-way (or a failed read) is dropped, never used.
                        Ok(CatchUp::Rebuild) | Err(_) => {
                            *guard = None;
                            false
                        }
                    }
                }
                _ => false,
            },
            Err(_) => return Ok(f(None)),
        };
        if !caught_up {
            self.ask(begin);
            return Ok(f(None));
        }
        match self.shared.copy.try_read() {
            Ok(guard) => Ok(f(guard.as_ref().filter(|c| c.version() == version))),
            Err(_) => Ok(f(None)),
        }
    }

    /// Asks the background thread to bring the copy to a new snapshot's version, unless a job
    /// runs (the snapshot is opened only when one is started). A failure here only means no
    /// job: the read goes on with the tables.
    fn ask(&self, begin: impl FnOnce() -> Result<ReadTransaction>) {
        let Ok(mut busy) = self.shared.busy.lock() else {
            return;
        };
        if *busy {
            return;
        }
        let Ok(txn) = begin() else {
            return;
        };
        *busy = true;
        let shared = Arc::clone(&self.shared);
        let budget = self.budget;
        let spawned = std::thread::Builder::new()
            .name("memspine-graph-copy".into())
            .spawn(move || {
                shared.refresh(&txn, budget);
                drop(txn);
                if let Ok(mut busy) = shared.busy.lock() {
                    *busy = false;
                }
                shared.idle.notify_all();
            });
        match spawned {
            // Still under `busy`: the job stored before finished its work (it cleared `busy`
            // before we could set it), so joining it waits for no more than its return, and
            // the new job cannot finish before its handle is stored.
            Ok(handle) => {
                if let Ok(mut job) = self.job.lock() {
                    if let Some(old) = job.replace(handle) {
                        let _ = old.join();
                    }
                }
            }
            Err(_) => *busy = false,
        }
    }

    /// Blocks until no background job runs (tests and benchmarks: reads never wait).
    pub fn wait_idle(&self) {
        let Ok(mut busy) = self.shared.busy.lock() else {
            return;
        };
        while *busy {
            busy = match self.shared.idle.wait(busy) {
                Ok(b) => b,
                Err(_) => return,
            };
        }
    }

    /// Bytes held, the version held, and whether the graph was too big for the budget.
    pub fn usage(&self) -> Usage {
        let (bytes, version) = match self.shared.copy.read() {
            Ok(g) => match g.as_ref() {
                Some(c) => (c.bytes(), Some(c.version())),
                None => (0, None),
            },
            Err(_) => (0, None),
        };
        Usage {
            bytes,
            version,
            too_big: self.shared.too_big.load(Ordering::Relaxed),
        }
    }
}

impl Shared {
    /// The background job: catch the copy up to `txn` or build a new one. The copy is taken
    /// out of the lock while it is worked on (reads meanwhile use the tables).
    fn refresh(&self, txn: &ReadTransaction, budget: usize) {
        let old = match self.copy.write() {
            Ok(mut guard) => guard.take(),
            Err(_) => return,
        };
        let caught_up = old.and_then(|mut c| match c.catch_up(txn, usize::MAX, budget) {
            Ok(CatchUp::Applied(_)) => Some(c),
            _ => None,
        });
        let copy = match caught_up {
            Some(c) => Some(c),
            None => match GraphCopy::build(txn, budget, &|| self.cancel.load(Ordering::Relaxed)) {
                Ok(Some(c)) => Some(c),
                Ok(None) => {
                    if !self.cancel.load(Ordering::Relaxed) {
                        self.too_big.store(true, Ordering::Relaxed);
                    }
                    None
                }
                Err(_) => None, // reads keep using the tables; a later read asks again
            },
        };
        if let (Some(c), Ok(mut guard)) = (copy, self.copy.write()) {
            // The slot stays empty while this job works (only a job fills it); keep the newer.
            if guard.as_ref().is_none_or(|g| g.version() < c.version()) {
                *guard = Some(c);
            }
        }
    }
}

impl Drop for GraphCopies {
    fn drop(&mut self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
        if let Ok(mut job) = self.job.lock() {
            if let Some(handle) = job.take() {
                let _ = handle.join();
            }
        }
    }
}
