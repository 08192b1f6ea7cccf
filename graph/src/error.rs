//! The crate's one error type.

use thiserror::Error;

/// Convenience alias for results of this crate.
pub type Result<T, E = GraphError> = std::result::Result<T, E>;

/// Everything that can go wrong in the graph layer. Input errors come first (the caller can fix
/// them), then stored-data errors (`verify` names them), then storage.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GraphError {
    /// A name, alias or predicate is empty after normalisation.
    #[error("{field} must not be empty")]
    EmptyName {
        /// Which input was empty.
        field: &'static str,
    },
    /// A name, alias or predicate is longer than [`crate::MAX_NAME_BYTES`] bytes once normalised.
    #[error("{field} is {len} bytes long; the limit is {max}")]
    NameTooLong {
        /// Which input was too long.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The normalised name or alias already belongs to another entity.
    #[error("the name {name:?} already belongs to entity {entity}")]
    NameTaken {
        /// The normalised name.
        name: String,
        /// The entity that owns it.
        entity: u64,
    },
    /// No entity has this id or name.
    #[error("unknown entity {0}")]
    UnknownEntity(String),
    /// No edge has this id.
    #[error("unknown edge {0}")]
    UnknownEdge(u64),
    /// A traversal asked for more hops than [`crate::MAX_DEPTH`].
    #[error("depth {depth} is beyond the maximum of {max}")]
    DepthTooLarge {
        /// The depth asked for.
        depth: u32,
        /// The documented maximum.
        max: u32,
    },
    /// Confidence must be a finite number in `0..=1`.
    #[error("confidence must be a finite number in 0..=1, got {0}")]
    InvalidConfidence(f32),
    /// `valid_to` must be after `valid_from`.
    #[error("valid_to ({valid_to}) must be after valid_from ({valid_from})")]
    InvalidInterval {
        /// Start of validity.
        valid_from: u64,
        /// End of validity.
        valid_to: u64,
    },
    /// A JSON input (metadata, context) is not a JSON object.
    #[error("{field} must be a JSON object")]
    NotAnObject {
        /// Which input.
        field: &'static str,
    },
    /// A stored record's crc32 does not match its bytes.
    #[error("checksum mismatch in {table} record {key}")]
    ChecksumMismatch {
        /// The table.
        table: &'static str,
        /// The record's key.
        key: String,
    },
    /// A stored record has a format byte this build does not know.
    #[error("unsupported record format {found} (this build reads {supported})")]
    UnsupportedFormat {
        /// The format byte found.
        found: u8,
        /// The format this build writes.
        supported: u8,
    },
    /// A stored record or table content is malformed.
    #[error("corrupt graph data: {0}")]
    Corrupt(String),
    /// An id counter reached its limit.
    #[error("the {0} counter is exhausted")]
    CounterExhausted(&'static str),
    /// An error from redb.
    #[error("storage: {0}")]
    Storage(#[from] redb::Error),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for GraphError {
            fn from(e: $t) -> Self {
                GraphError::Storage(e.into())
            }
        }
    )*};
}
from_redb!(redb::TableError, redb::StorageError);
