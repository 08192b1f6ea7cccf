//! memspine-compaction: the decay, importance and consolidation *policy* of memspine — pure
//! functions, no I/O. The engine converts its memories into [`Candidate`]s, asks [`plan`] what to
//! do (a dry run shows the [`Plan`] as is), executes the actions in its own transactions, writes
//! consolidated memories with a [`Summarizer`] and reports [`CompactionStats`].
//!
//! - [`importance()`]: one score in 0..=1 from explicit importance, reads, recency, kind, graph
//!   degree and pinning (formula and defaults in [`mod@importance`]).
//! - [`Tier`]: recent (< 7 d), medium (7–30 d), old (≥ 30 d); boundaries lower-inclusive.
//! - [`plan`]: keep recent, demote or archive low medium memories, consolidate similar low old
//!   ones per scope (never across users), archive the rest; pinned memories are always kept.
//! - [`ExtractiveSummarizer`]: deduplicated sentences in time order under a dated prefix, union
//!   of tags, merged metadata, max importance, provenance, mean vector.
//!
//! ```
//! use memspine_compaction::{plan, Action, Candidate, DecayPolicy, MICROS_PER_DAY};
//!
//! let day = MICROS_PER_DAY;
//! let now = 100 * day;
//! let chat = |id, created| Candidate {
//!     id, created, updated: created, importance: 0.5, kind: "interaction".into(),
//!     user: Some("alice".into()), ..Candidate::default()
//! };
//! let candidates = vec![chat(1, 10 * day), chat(2, 11 * day), chat(3, now - day)];
//! // Memories 1 and 2 say the same thing; 3 is recent.
//! let similar = |a: u64, b: u64| Some(if (a, b) == (1, 2) { 0.95 } else { 0.1 });
//! let plan = plan(&candidates, now, &DecayPolicy::default(), &similar)?;
//! assert!(matches!(&plan.actions[0], Action::Consolidate { ids, .. } if ids == &[1, 2]));
//! assert!(matches!(&plan.actions[1], Action::Keep { id: 3, .. }));
//! # Ok::<(), memspine_compaction::Error>(())
//! ```
#![warn(missing_docs)]
#![deny(unsafe_code)]

mod candidate;
mod error;
mod group;
pub mod importance;
mod plan;
mod policy;
mod reason;
mod stats;
pub mod summarize;
mod tier;
mod time;

pub use candidate::{Candidate, CONSOLIDATED_KIND};
pub use error::{Error, Result};
pub use importance::{breakdown, importance, Breakdown, ImportanceConfig};
pub use plan::{plan, Action, Plan, PlanCounts};
pub use policy::{DecayPolicy, MediumAction};
pub use reason::Reason;
pub use stats::CompactionStats;
pub use summarize::{
    assemble, ConsolidationInput, ExtractiveConfig, ExtractiveSummarizer, Summarizer, Summary,
};
pub use tier::Tier;
pub use time::{as_days, days, duration_us, format_date, MICROS_PER_DAY};
