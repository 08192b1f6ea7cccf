//! What the planner needs to know about one memory. The engine converts its own records into
//! [`Candidate`]s, so this crate never depends on the engine.

use serde::{Deserialize, Serialize};

/// The kind the engine gives to memories produced by consolidation.
pub const CONSOLIDATED_KIND: &str = "consolidated";

/// One memory as seen by the decay policy. Times are µs since the Unix epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The memory id (unique within one plan).
    pub id: u64,
    /// Creation time: decides the tier.
    pub created: u64,
    /// Last change. Not a use signal (the compactor's own rewrites bump it); it dates an archive
    /// for `delete_archived_after`.
    pub updated: u64,
    /// Last time a caller read it, if ever: the recency signal runs from
    /// `max(created, last_access)`.
    pub last_access: Option<u64>,
    /// How often it was returned to a caller.
    pub access_count: u64,
    /// The explicit importance stored with the memory, 0..=1.
    pub importance: f32,
    /// Pinned memories never decay and are never merged away.
    pub pinned: bool,
    /// Kind, e.g. `fact`, `interaction`, [`CONSOLIDATED_KIND`].
    pub kind: String,
    /// Scope: user. Consolidation never crosses users.
    pub user: Option<String>,
    /// Scope: session.
    pub session: Option<String>,
    /// Scope: agent.
    pub agent: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Number of graph edges touching the memory's entities (more links, more important).
    pub graph_degree: u32,
    /// Content length in bytes (for reclaimed-bytes estimates).
    pub content_len: usize,
    /// Already archived (kept for history only).
    pub archived: bool,
}

impl Candidate {
    /// Whether this memory is itself the product of a consolidation.
    pub fn is_consolidated(&self) -> bool {
        self.kind == CONSOLIDATED_KIND
    }

    /// The start of the recency clock: the later of creation and last access.
    pub fn last_touch(&self) -> u64 {
        self.last_access
            .map_or(self.created, |a| a.max(self.created))
    }
}
