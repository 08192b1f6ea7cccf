//! A fault-injection hook on the vector arena's file I/O, for tests and fuzzing only (see
//! docs/design.md, "Fault injection and model-based fuzzing"). Production code never sets one.
//!
//! Before every write, resize and fsync of an arena file the hook decides whether the call
//! proceeds, fails without touching the file, or (writes only) is torn: a prefix of the bytes
//! reaches the file and the call then fails.

use std::sync::Arc;

/// The I/O call about to happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoOp {
    /// A positioned write of `len` bytes.
    Write {
        /// Bytes to be written.
        len: usize,
    },
    /// Setting the file length.
    SetLen,
    /// fdatasync.
    Sync,
}

/// What the hook wants done with the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// Perform it normally.
    Proceed,
    /// Fail it without doing anything.
    Fail,
    /// Write only the first `keep` bytes, then fail (writes only; other calls treat it as `Fail`).
    Tear {
        /// Bytes that reach the file.
        keep: usize,
    },
}

/// Decides the fate of each arena I/O call.
pub trait IoHook: Send + Sync + std::fmt::Debug {
    /// Called before every write, resize and fsync of an arena file.
    fn before(&self, op: IoOp) -> Injected;
}

/// A shared hook.
pub type Hook = Arc<dyn IoHook>;

/// The error an injected failure returns.
pub fn injected_error() -> std::io::Error {
    std::io::Error::other("injected fault")
}
