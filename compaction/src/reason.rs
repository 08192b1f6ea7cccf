//! Why the planner chose an action: machine-readable (serde, tagged by `code`) and printable.

use serde::{Deserialize, Serialize};

/// The reason attached to every planned action. Scores are [`crate::importance()`] at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Pinned memories never decay and are never merged away.
    Pinned,
    /// Younger than the recent boundary: full retention.
    Recent {
        /// Age in days.
        age_days: f64,
    },
    /// Important enough for its tier.
    AboveThreshold {
        /// Its importance.
        score: f32,
        /// The tier's threshold.
        threshold: f32,
    },
    /// Medium tier, low score, but its stored importance is already under the threshold
    /// (demotion happens once).
    AlreadyLow {
        /// Its score.
        score: f32,
        /// Its stored importance.
        importance: f32,
        /// The threshold.
        threshold: f32,
    },
    /// Medium tier, under the threshold.
    BelowThreshold {
        /// Its score.
        score: f32,
        /// The threshold.
        threshold: f32,
    },
    /// Already archived; kept for history.
    AlreadyArchived,
    /// Archived long enough to be deleted (`delete_archived_after`).
    ArchivedExpired {
        /// Days since it was archived (by `updated`).
        archived_days: f64,
    },
    /// Old, low score, and similar to others in its scope: merged.
    SimilarLowImportance {
        /// The highest score in the group.
        max_score: f32,
        /// The consolidation threshold.
        threshold: f32,
        /// The smallest pairwise similarity in the group.
        min_similarity: f32,
    },
    /// Old, low score, nothing similar enough to merge with.
    NoSimilarMemory {
        /// Its score.
        score: f32,
        /// The consolidation threshold.
        threshold: f32,
    },
    /// An old, low-score consolidated memory with nothing similar: it already summarises its
    /// originals, so it is kept rather than archived.
    ConsolidatedAlone {
        /// Its score.
        score: f32,
    },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Pinned => write!(f, "pinned: never decays"),
            Reason::Recent { age_days } => write!(f, "recent ({age_days:.1} days): full retention"),
            Reason::AboveThreshold { score, threshold } => {
                write!(f, "importance {score:.3} ≥ {threshold:.3}")
            }
            Reason::AlreadyLow { score, importance, threshold } => write!(
                f,
                "importance {score:.3} < {threshold:.3}, already demoted (stored {importance:.3})"
            ),
            Reason::BelowThreshold { score, threshold } => {
                write!(f, "importance {score:.3} < {threshold:.3}")
            }
            Reason::AlreadyArchived => write!(f, "already archived"),
            Reason::ArchivedExpired { archived_days } => {
                write!(f, "archived for {archived_days:.1} days: past retention")
            }
            Reason::SimilarLowImportance { max_score, threshold, min_similarity } => write!(
                f,
                "old, importance ≤ {max_score:.3} < {threshold:.3}, similarity ≥ {min_similarity:.3}"
            ),
            Reason::NoSimilarMemory { score, threshold } => {
                write!(f, "old, importance {score:.3} < {threshold:.3}, nothing similar to merge")
            }
            Reason::ConsolidatedAlone { score } => {
                write!(f, "consolidated (importance {score:.3}), nothing similar to merge")
            }
        }
    }
}
