//! Age tiers of the article's decay policy: recent (full retention), medium (importance
//! filtering), old (aggressive consolidation).
//!
//! With `age = now − created` (0 when `created` lies in the future) and the boundaries `recent`
//! (default 7 days) and `old` (default 30 days), both *lower-inclusive*:
//!
//! | tier | age |
//! |---|---|
//! | [`Tier::Recent`] | `0 ≤ age < recent` |
//! | [`Tier::Medium`] | `recent ≤ age < old` |
//! | [`Tier::Old`]    | `old ≤ age` |
//!
//! So a memory exactly 7 days old is medium, and exactly 30 days old is old.

use serde::{Deserialize, Serialize};

/// An age tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Younger than `recent`: kept as is.
    Recent,
    /// Between `recent` (inclusive) and `old` (exclusive): low-importance memories are demoted
    /// or archived.
    Medium,
    /// At least `old`: low-importance memories are consolidated or archived.
    Old,
}

impl Tier {
    /// The tier of a memory created at `created` (µs) seen at `now` (µs), with the boundaries
    /// `recent_us ≤ old_us` given in µs (see the module table).
    pub fn of(created: u64, now: u64, recent_us: u64, old_us: u64) -> Tier {
        let age = now.saturating_sub(created);
        if age < recent_us {
            Tier::Recent
        } else if age < old_us {
            Tier::Medium
        } else {
            Tier::Old
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tier::Recent => "recent",
            Tier::Medium => "medium",
            Tier::Old => "old",
        })
    }
}
