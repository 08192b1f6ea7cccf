//! The engine's error type: one enum whose variants a caller can act on.

use std::path::PathBuf;

/// Result alias for memspine operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in memspine, typed so a caller can react.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Another process (or handle) has the database open.
    #[error("database at {path} is locked by another process or handle")]
    Locked {
        /// The database path.
        path: PathBuf,
    },
    /// The path exists but is not a memspine database.
    #[error("{path} is not a memspine database: {reason}")]
    NotADatabase {
        /// The offending path.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// The database does not exist and creation was not requested.
    #[error("no database at {path} (run `memspine init` or open with create)")]
    NotFound {
        /// The path that was looked for.
        path: PathBuf,
    },
    /// The database was written by a newer (or unknown) format version.
    #[error("unsupported format version {found} (this build reads up to {supported})")]
    UnsupportedFormat {
        /// Version found on disk.
        found: u32,
        /// Highest version this build understands.
        supported: u32,
    },
    /// Stored bytes failed a structural check.
    #[error("corrupt data in {what}: {detail}")]
    Corrupt {
        /// Which structure (table, page, file).
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// A checksum did not match.
    #[error("checksum mismatch in {what}: stored {stored:#010x}, computed {computed:#010x}")]
    ChecksumMismatch {
        /// Which record or page.
        what: String,
        /// Checksum on disk.
        stored: u32,
        /// Checksum of the bytes read.
        computed: u32,
    },
    /// A vector of the wrong dimension.
    #[error("vector dimension mismatch: database uses {expected}, got {got}")]
    DimensionMismatch {
        /// The database's dimension.
        expected: usize,
        /// The vector's length.
        got: usize,
    },
    /// The database was created with another embedding model.
    #[error("embedding model mismatch: database uses {stored:?}, opened with {given:?}")]
    ModelMismatch {
        /// Model identity recorded at creation.
        stored: String,
        /// Model identity of the embedder given now.
        given: String,
    },
    /// A caller-provided value is not acceptable.
    #[error("invalid input: {field}: {reason}")]
    InvalidInput {
        /// The field or argument.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A size limit was exceeded.
    #[error("{what} is too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// No memory with this id (or it was deleted).
    #[error("no memory with id {0}")]
    UnknownId(u64),
    /// The query language rejected a query; `position` is a byte offset into it.
    #[error("query error at position {position}: {message}")]
    Query {
        /// Byte offset of the problem in the query text.
        position: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// A previous write failed to reach disk; the handle refuses writes until reopened.
    #[error("the database handle is poisoned by an earlier failed write ({0}); reopen it")]
    Poisoned(String),
    /// An embedder failed.
    #[error("embedding failed: {0}")]
    Embed(String),
    /// An error from the vector index.
    #[error("vector index: {0}")]
    Index(String),
    /// An error from the graph layer (unknown entity, empty name, bad confidence, depth…).
    #[error("graph: {0}")]
    Graph(#[from] memspine_graph::GraphError),
    /// An I/O error outside redb.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An error from redb that has no more specific mapping.
    #[error("storage: {0}")]
    Storage(String),
    /// A memory changed between planning an operation and executing it (e.g. a compaction plan
    /// met a memory that was pinned or updated meanwhile); nothing was written.
    #[error("memory {id} changed meanwhile: {reason}")]
    Conflict {
        /// The memory that changed.
        id: u64,
        /// What changed.
        reason: String,
    },
    /// The operation needs the handle to itself (no other clones, no background compactor).
    #[error("the database handle is busy: {0}")]
    Busy(String),
    /// A compaction setting is invalid.
    #[error("compaction: {0}")]
    Compaction(#[from] memspine_compaction::Error),
}

impl Error {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Corrupt {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

fn from_storage(e: redb::StorageError) -> Error {
    match e {
        redb::StorageError::Corrupted(msg) => Error::corrupt("database file", msg),
        redb::StorageError::Io(io) => Error::Io(io),
        other => Error::Storage(other.to_string()),
    }
}

impl From<redb::StorageError> for Error {
    fn from(e: redb::StorageError) -> Self {
        from_storage(e)
    }
}

impl From<redb::TransactionError> for Error {
    fn from(e: redb::TransactionError) -> Self {
        match e {
            redb::TransactionError::Storage(s) => from_storage(s),
            other => Error::Storage(other.to_string()),
        }
    }
}

impl From<redb::TableError> for Error {
    fn from(e: redb::TableError) -> Self {
        match e {
            redb::TableError::Storage(s) => from_storage(s),
            other => Error::Storage(other.to_string()),
        }
    }
}

impl From<redb::CommitError> for Error {
    fn from(e: redb::CommitError) -> Self {
        match e {
            redb::CommitError::Storage(s) => from_storage(s),
            other => Error::Storage(other.to_string()),
        }
    }
}

impl From<redb::SetDurabilityError> for Error {
    fn from(e: redb::SetDurabilityError) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<postcard::Error> for Error {
    fn from(e: postcard::Error) -> Self {
        Error::corrupt("record", e.to_string())
    }
}
