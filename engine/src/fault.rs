//! Fault injection for tests and fuzzing (doc-hidden; see docs/design.md, "Fault injection and
//! model-based fuzzing"). Production code never sets [`crate::Options::faults`].
//!
//! A [`Faults`] controller is shared by the redb database file (through [`FaultyBackend`], a
//! `redb::StorageBackend` wrapping redb's own file backend) and the vector arena (through the
//! arena's I/O hook). The test arms it with a [`Plan`] — "fail (or tear) the `nth` write / resize
//! / fsync of this target from now on" — runs operations, and then reopens the database over a
//! healthy backend to check what reached the disk.

use std::fs::OpenOptions;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use memspine_index::fault::{Injected, IoHook, IoOp};
use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

/// Which storage a plan targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The redb file `data.redb`.
    Db,
    /// The vector arena's three files.
    Arena,
}

/// Which call fails, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A write fails and writes nothing.
    FailWrite,
    /// A write puts only the first half of its bytes on the file, then fails.
    TearWrite,
    /// Setting the file length fails.
    FailSetLen,
    /// An fsync (`sync_data`) fails. The bytes written before it stay in the file (as after a
    /// failed fsync whose data the OS still wrote back).
    FailSync,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [
        Kind::FailWrite,
        Kind::TearWrite,
        Kind::FailSetLen,
        Kind::FailSync,
    ];

    fn matches(self, op: Op) -> bool {
        match self {
            Kind::FailWrite | Kind::TearWrite => op == Op::Write,
            Kind::FailSetLen => op == Op::SetLen,
            Kind::FailSync => op == Op::Sync,
        }
    }
}

/// One injected failure: the `nth` (0-based) matching call on `target` after [`Faults::arm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The storage.
    pub target: Target,
    /// The call and the failure.
    pub kind: Kind,
    /// How many matching calls succeed first.
    pub nth: u64,
    /// After firing, every later write, resize and fsync of the target fails too (a dead disk).
    pub sticky: bool,
}

/// Calls seen on one target since the last arm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Writes.
    pub writes: u64,
    /// Resizes.
    pub set_lens: u64,
    /// fsyncs.
    pub syncs: u64,
}

impl Counts {
    /// Matching calls of a kind.
    pub fn of(&self, kind: Kind) -> u64 {
        match kind {
            Kind::FailWrite | Kind::TearWrite => self.writes,
            Kind::FailSetLen => self.set_lens,
            Kind::FailSync => self.syncs,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Write,
    SetLen,
    Sync,
}

#[derive(Debug, Default)]
struct State {
    plan: Option<Plan>,
    db: Counts,
    arena: Counts,
    /// Set when the plan fired.
    fired: bool,
}

/// The shared fault controller. Cheap to clone; all clones control the same faults.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

impl Faults {
    /// A controller with nothing armed (every call proceeds; calls are counted).
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the counters inconsistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Arms `plan` (replacing any other) and resets the counts and the fired flag.
    pub fn arm(&self, plan: Plan) {
        let mut s = self.lock();
        *s = State {
            plan: Some(plan),
            ..State::default()
        };
    }

    /// Disarms: every call proceeds from now on. Counts are reset.
    pub fn disarm(&self) {
        *self.lock() = State::default();
    }

    /// Whether the armed plan fired.
    pub fn fired(&self) -> bool {
        self.lock().fired
    }

    /// Calls seen on `target` since the last arm or disarm.
    pub fn counts(&self, target: Target) -> Counts {
        let s = self.lock();
        match target {
            Target::Db => s.db,
            Target::Arena => s.arena,
        }
    }

    /// Decides one call: `len` is the byte count of a write.
    fn decide(&self, target: Target, op: Op, len: usize) -> Injected {
        let mut s = self.lock();
        let seen = {
            let c = match target {
                Target::Db => &mut s.db,
                Target::Arena => &mut s.arena,
            };
            let n = match op {
                Op::Write => &mut c.writes,
                Op::SetLen => &mut c.set_lens,
                Op::Sync => &mut c.syncs,
            };
            *n += 1;
            *n - 1
        };
        let Some(plan) = s.plan.filter(|p| p.target == target) else {
            return Injected::Proceed;
        };
        if s.fired {
            return if plan.sticky {
                Injected::Fail
            } else {
                Injected::Proceed
            };
        }
        if !plan.kind.matches(op) || seen != plan.nth {
            return Injected::Proceed;
        }
        s.fired = true;
        match plan.kind {
            Kind::TearWrite => Injected::Tear { keep: len / 2 },
            _ => Injected::Fail,
        }
    }

    /// This controller as the arena's I/O hook.
    pub(crate) fn arena_hook(&self) -> memspine_index::fault::Hook {
        Arc::new(ArenaHook(self.clone()))
    }
}

#[derive(Debug)]
struct ArenaHook(Faults);

impl IoHook for ArenaHook {
    fn before(&self, op: IoOp) -> Injected {
        match op {
            IoOp::Write { len } => self.0.decide(Target::Arena, Op::Write, len),
            IoOp::SetLen => self.0.decide(Target::Arena, Op::SetLen, 0),
            IoOp::Sync => self.0.decide(Target::Arena, Op::Sync, 0),
        }
    }
}

/// redb's file backend with injected failures on writes, resizes and fsyncs (reads and locks
/// pass through unchanged).
#[derive(Debug)]
pub struct FaultyBackend {
    inner: FileBackend,
    faults: Faults,
}

impl FaultyBackend {
    /// Opens (creating if missing) the file at `path`.
    pub fn open(path: &Path, faults: Faults) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let inner = FileBackend::new(file).map_err(std::io::Error::other)?;
        Ok(FaultyBackend { inner, faults })
    }
}

fn injected() -> std::io::Error {
    memspine_index::fault::injected_error()
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        match self.faults.decide(Target::Db, Op::SetLen, 0) {
            Injected::Proceed => self.inner.set_len(len),
            _ => Err(injected()),
        }
    }

    fn sync_data(&self) -> std::io::Result<()> {
        match self.faults.decide(Target::Db, Op::Sync, 0) {
            Injected::Proceed => self.inner.sync_data(),
            _ => Err(injected()),
        }
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        match self.faults.decide(Target::Db, Op::Write, data.len()) {
            Injected::Proceed => self.inner.write(offset, data),
            Injected::Fail => Err(injected()),
            Injected::Tear { keep } => {
                self.inner.write(offset, &data[..keep.min(data.len())])?;
                Err(injected())
            }
        }
    }

    fn close(&self) -> std::io::Result<()> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
