//! The crate's one error type.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `memspine-compaction`. The crate does no I/O, so every error
/// is about its inputs: a policy that makes no sense, or candidates that contradict each other.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range (e.g. a threshold outside 0..=1, `min_group < 2`,
    /// the old-tier boundary before the recent one).
    #[error("invalid configuration: {field}: {message}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The same memory id was given twice to the planner (a plan must name each memory once).
    #[error("candidate {id} appears more than once")]
    DuplicateCandidate {
        /// The repeated id.
        id: u64,
    },
    /// A summarizer was asked to consolidate nothing.
    #[error("nothing to consolidate: no input memories")]
    EmptyInput,
    /// The inputs of one consolidation carry vectors of different lengths.
    #[error("vector dimension mismatch in memory {id}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// The memory whose vector differs from the first one's.
        id: u64,
        /// The first vector's length.
        expected: usize,
        /// This memory's vector length.
        got: usize,
    },
    /// A pluggable summarizer (e.g. an LLM) failed; the engine keeps the originals untouched.
    #[error("summarizer failed: {message}")]
    Summarizer {
        /// The summarizer's own description of the failure.
        message: String,
    },
}
