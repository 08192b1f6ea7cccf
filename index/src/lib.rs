//! memspine-index: the vector arena and its SIMD kernels, the lexical (BM25) index and embedders.
#![warn(missing_docs)]

pub mod arena;
pub mod clock_cache;
pub mod embed;
pub mod error;
#[doc(hidden)]
pub mod fault;
pub mod group;
pub mod ivf;
pub mod kernels;
pub mod lexical;
pub mod vector;

pub use arena::{Arena, Snapshot};
pub use error::{Error, RebuildReason, Result};
pub use vector::{Hit, SearchOptions};
