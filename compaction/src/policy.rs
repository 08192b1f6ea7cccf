//! The decay policy: every knob of [`crate::plan`], with the article's defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::importance::ImportanceConfig;
use crate::tier::Tier;
use crate::time::{days, duration_us};

/// What happens to a medium-tier memory whose importance falls under `demote_threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediumAction {
    /// Lower its stored importance to its computed score (once; see [`crate::plan`]).
    #[default]
    Demote,
    /// Archive it (or delete it, with `delete_instead_of_archive`).
    Archive,
}

/// The tiered decay and consolidation policy. Defaults follow the article: 0–7 days full
/// retention, 7–30 days importance filtering, 30+ days aggressive consolidation, threshold 0.3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecayPolicy {
    /// End of the recent tier (inclusive lower bound of medium). Default 7 days.
    pub recent: Duration,
    /// Start of the old tier (inclusive). Default 30 days.
    pub old: Duration,
    /// How importance is computed.
    pub importance: ImportanceConfig,
    /// Medium tier: a score strictly below this is low. Default 0.3.
    pub demote_threshold: f32,
    /// Medium tier: what to do with low memories. Default [`MediumAction::Demote`].
    pub medium_action: MediumAction,
    /// Old tier: a score strictly below this makes a memory a consolidation candidate.
    /// Default 0.3.
    pub consolidate_threshold: f32,
    /// Smallest group worth consolidating (≥ 2). Default 2.
    pub min_group: usize,
    /// Largest group merged into one memory. Default 16.
    pub max_group: usize,
    /// Cosine similarity every pair in a group must reach. Default 0.75.
    pub similarity_threshold: f32,
    /// Group only within one session (else across the sessions of a user and agent).
    /// Default false: an agent's daily sessions are small, and a repeated fact spans them.
    pub group_by_session: bool,
    /// How many later candidates (in id order, within a scope) a group's seed is compared with.
    /// Bounds the planner's cost to `O(n · scan_window)` similarity calls. Default 256.
    pub scan_window: usize,
    /// Delete instead of archiving (singletons, medium archive, and consolidation originals).
    /// Default false: archived memories stay readable through history.
    pub delete_instead_of_archive: bool,
    /// Delete archived memories once archived (by `updated`) for this long. Default never.
    pub delete_archived_after: Option<Duration>,
}

impl Default for DecayPolicy {
    fn default() -> Self {
        DecayPolicy {
            recent: days(7),
            old: days(30),
            importance: ImportanceConfig::default(),
            demote_threshold: 0.3,
            medium_action: MediumAction::Demote,
            consolidate_threshold: 0.3,
            min_group: 2,
            max_group: 16,
            similarity_threshold: 0.75,
            group_by_session: false,
            scan_window: 256,
            delete_instead_of_archive: false,
            delete_archived_after: None,
        }
    }
}

impl DecayPolicy {
    /// The tier of a memory created at `created`, seen at `now` (both µs).
    pub fn tier(&self, created: u64, now: u64) -> Tier {
        Tier::of(
            created,
            now,
            duration_us(self.recent),
            duration_us(self.old),
        )
    }

    /// Rejects settings that make no sense; [`crate::plan`] calls it first.
    pub fn validate(&self) -> Result<()> {
        self.importance.validate()?;
        if self.recent > self.old {
            return Err(invalid(
                "old",
                "the old tier cannot start before the recent tier ends",
            ));
        }
        for (field, t) in [
            ("demote_threshold", self.demote_threshold),
            ("consolidate_threshold", self.consolidate_threshold),
        ] {
            if !(0.0..=1.0).contains(&t) {
                return Err(invalid(field, "must lie in 0..=1"));
            }
        }
        if !(-1.0..=1.0).contains(&self.similarity_threshold) {
            return Err(invalid("similarity_threshold", "must lie in -1..=1"));
        }
        if self.min_group < 2 || self.max_group < self.min_group {
            return Err(invalid("min_group", "need 2 ≤ min_group ≤ max_group"));
        }
        if self.scan_window == 0 {
            return Err(invalid("scan_window", "must be at least 1"));
        }
        Ok(())
    }
}

fn invalid(field: &'static str, message: &str) -> Error {
    Error::InvalidConfig {
        field,
        message: message.to_string(),
    }
}
