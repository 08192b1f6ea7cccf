//! memspine: an embedded, persistent memory engine for AI agents.
#![warn(missing_docs)]
pub mod query;
