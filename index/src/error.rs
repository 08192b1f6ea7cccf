//! The crate's one error type.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `memspine-index`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O call on one of our files failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The vector arena cannot be used as it is and must be rebuilt from the log (the engine
    /// calls `Arena::create` and pushes every slot again).
    #[error("vector arena must be rebuilt: {reason}")]
    ArenaNeedsRebuild {
        /// Why.
        reason: RebuildReason,
    },
    /// A vector or query of the wrong length.
    #[error("dimension mismatch: expected {expected}, got {got}")]
    DimensionMismatch {
        /// The arena's dimension.
        expected: u32,
        /// What was given.
        got: u32,
    },
    /// A vector or query holding NaN or an infinity.
    #[error("vector component {index} is not finite")]
    NonFiniteVector {
        /// Position of the first bad component.
        index: usize,
    },
    /// `verify` found slots whose bytes do not match their crc32.
    #[error("checksum mismatch in arena slots {slots:?}")]
    ChecksumMismatch {
        /// The bad slots (at most the first 64).
        slots: Vec<u32>,
    },
    /// A call that breaks the arena's protocol (for example truncating published slots).
    #[error("invalid arena operation: {0}")]
    InvalidOperation(String),
    /// A sync failed earlier: the state of the files is unknown, so the handle refuses writes
    /// until the arena is opened again.
    #[error("the arena refused the write: an earlier sync failed (reopen the database)")]
    Poisoned,
    /// redb failed (storage, table or transaction error) while reading or writing the lexical
    /// index's tables.
    #[error("storage error: {0}")]
    Storage(#[from] redb::Error),
    /// A lexical-index record failed its checksum or does not decode; `verify` names it.
    #[error("corrupt lexical index record: {detail}")]
    LexicalCorrupt {
        /// Which record and what is wrong.
        detail: String,
    },
    /// `index_document` for a document that is already indexed (remove it first).
    #[error("document {doc} is already in the lexical index")]
    AlreadyIndexed {
        /// The document (memory id).
        doc: u32,
    },
    /// `remove_document` was given a text other than the one indexed for the document.
    #[error("document {doc} was indexed with another text: {detail}")]
    TextMismatch {
        /// The document (memory id).
        doc: u32,
        /// What did not match.
        detail: String,
    },
}

/// Why an arena needs a rebuild. Every reason means "derived data is not usable"; the log in
/// redb is intact and the arena can be rebuilt from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RebuildReason {
    /// An arena file does not exist.
    #[error("file {0} is missing")]
    Missing(PathBuf),
    /// A file holds fewer slots than redb has committed.
    #[error("file {path} holds {found} slots, redb committed {committed}")]
    Short {
        /// The short file.
        path: PathBuf,
        /// Slots redb committed.
        committed: u64,
        /// Whole slots found in the file.
        found: u64,
    },
    /// A header whose magic, checksum or fields are wrong.
    #[error("bad header in {path}: {detail}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The arena was written for another dimension than the database's.
    #[error("arena dimension {found}, database dimension {expected}")]
    DimensionMismatch {
        /// The database's dimension.
        expected: u32,
        /// The arena's.
        found: u32,
    },
    /// An arena format newer (or other) than this build reads.
    #[error("unsupported arena format version {found}")]
    UnsupportedFormat {
        /// The version found.
        found: u32,
    },
    /// The arena files do not belong to the same arena (a crash during a rebuild's renames).
    #[error("arena files belong to different arenas")]
    MixedFiles,
    /// A slot failed its checksum on open.
    #[error("slot {slot} fails its checksum")]
    ChecksumMismatch {
        /// The bad slot.
        slot: u32,
    },
}

impl Error {
    /// True when the engine should rebuild the arena from its log.
    pub fn needs_rebuild(&self) -> bool {
        matches!(self, Error::ArenaNeedsRebuild { .. })
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn rebuild(reason: RebuildReason) -> Self {
        Error::ArenaNeedsRebuild { reason }
    }
}
