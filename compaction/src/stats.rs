//! What a compaction pass did, filled by the engine as it executes a plan and compacts its log;
//! shown by the API and `memspine stats`.

use serde::{Deserialize, Serialize};

use crate::plan::{Action, Plan};

/// Counters and timings of one compaction pass (or, via [`CompactionStats::add`], a running
/// total). Durations are in µs so the struct serialises to plain numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompactionStats {
    /// Passes summed into these stats (1 for a single pass).
    pub passes: u64,
    /// When the (last) pass started (µs since the epoch).
    pub started_at: u64,
    /// When the (last) pass finished.
    pub finished_at: u64,
    /// Whether the counts come from a dry run (nothing changed).
    pub dry_run: bool,
    /// Memories examined.
    pub examined: u64,
    /// Memories kept.
    pub kept: u64,
    /// Memories demoted.
    pub demoted: u64,
    /// Memories archived (singletons and medium-tier).
    pub archived: u64,
    /// Memories deleted.
    pub deleted: u64,
    /// Consolidated memories created (one per group).
    pub consolidated_groups: u64,
    /// Memories merged into them (archived or deleted as originals).
    pub consolidated_sources: u64,
    /// Sealed log pages merged into larger pages.
    pub log_pages_merged: u64,
    /// Cold log pages recompressed at a higher level.
    pub log_pages_recompressed: u64,
    /// Log pages dropped past retention.
    pub log_pages_dropped: u64,
    /// Events dropped past retention (agent and compaction events only).
    pub log_events_dropped: u64,
    /// Planned actions not executed because their memories changed after planning.
    pub skipped: u64,
    /// Bytes on disk before the pass.
    pub bytes_before: u64,
    /// Bytes on disk after the pass.
    pub bytes_after: u64,
    /// `bytes_before − bytes_after` (0 if the file grew).
    pub bytes_reclaimed: u64,
    /// Write transactions committed.
    pub transactions: u64,
    /// Time spent planning (µs).
    pub plan_us: u64,
    /// Time spent applying memory actions (µs).
    pub execute_us: u64,
    /// Time spent compacting the log (µs).
    pub log_us: u64,
    /// Vectors the pass assigned to the partitioned vector index (trained or extended).
    pub vector_index_slots: u64,
    /// Time spent on the partitioned vector index (µs).
    pub vector_index_us: u64,
    /// Wall time of the pass (µs).
    pub total_us: u64,
}

impl CompactionStats {
    /// Counts the memory actions of `plan` (examined, kept, demoted, …).
    pub fn record_plan(&mut self, plan: &Plan) {
        for a in &plan.actions {
            self.examined += a.ids().len() as u64;
            match a {
                Action::Keep { .. } => self.kept += 1,
                Action::Demote { .. } => self.demoted += 1,
                Action::Archive { .. } => self.archived += 1,
                Action::Delete { .. } => self.deleted += 1,
                Action::Consolidate { ids, .. } => {
                    self.consolidated_groups += 1;
                    self.consolidated_sources += ids.len() as u64;
                }
            }
        }
    }

    /// Sets the byte counts (and the reclaimed difference).
    pub fn record_bytes(&mut self, before: u64, after: u64) {
        self.bytes_before = before;
        self.bytes_after = after;
        self.bytes_reclaimed = before.saturating_sub(after);
    }

    /// Adds another pass into a running total: counters and durations add up; times and byte
    /// sizes take the later pass's values, except `bytes_reclaimed`, which adds up.
    pub fn add(&mut self, other: &CompactionStats) {
        let sums = [
            (&mut self.passes, other.passes),
            (&mut self.examined, other.examined),
            (&mut self.kept, other.kept),
            (&mut self.demoted, other.demoted),
            (&mut self.archived, other.archived),
            (&mut self.deleted, other.deleted),
            (&mut self.consolidated_groups, other.consolidated_groups),
            (&mut self.consolidated_sources, other.consolidated_sources),
            (&mut self.log_pages_merged, other.log_pages_merged),
            (
                &mut self.log_pages_recompressed,
                other.log_pages_recompressed,
            ),
            (&mut self.log_pages_dropped, other.log_pages_dropped),
            (&mut self.log_events_dropped, other.log_events_dropped),
            (&mut self.skipped, other.skipped),
            (&mut self.bytes_reclaimed, other.bytes_reclaimed),
            (&mut self.transactions, other.transactions),
            (&mut self.plan_us, other.plan_us),
            (&mut self.execute_us, other.execute_us),
            (&mut self.log_us, other.log_us),
            (&mut self.vector_index_slots, other.vector_index_slots),
            (&mut self.vector_index_us, other.vector_index_us),
            (&mut self.total_us, other.total_us),
        ];
        for (mine, theirs) in sums {
            *mine = mine.saturating_add(theirs);
        }
        self.started_at = other.started_at;
        self.finished_at = other.finished_at;
        self.dry_run = other.dry_run;
        self.bytes_before = other.bytes_before;
        self.bytes_after = other.bytes_after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{plan, Candidate, DecayPolicy, MICROS_PER_DAY};

    #[test]
    fn records_a_plan_and_adds_passes() {
        let old = |id| Candidate {
            id,
            importance: 0.5,
            kind: "interaction".into(),
            ..Candidate::default()
        };
        let now = 100 * MICROS_PER_DAY;
        let recent = Candidate {
            created: now,
            ..old(4)
        };
        let p = plan(
            &[old(1), old(2), old(3), recent],
            now,
            &DecayPolicy::default(),
            &|a, _| Some(if a == 1 { 0.9 } else { 0.0 }),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut s = CompactionStats {
            passes: 1,
            ..CompactionStats::default()
        };
        s.record_plan(&p);
        s.record_bytes(1_000, 600);
        assert_eq!((s.examined, s.kept, s.archived), (4, 1, 1));
        assert_eq!((s.consolidated_groups, s.consolidated_sources), (1, 2));
        assert_eq!(s.bytes_reclaimed, 400);
        let mut total = CompactionStats::default();
        total.add(&s);
        total.add(&s);
        assert_eq!(
            (total.passes, total.examined, total.bytes_reclaimed),
            (2, 8, 800)
        );
        assert_eq!(total.bytes_after, 600);
        let json = serde_json::to_value(&total).unwrap_or_default();
        assert_eq!(json["consolidated_sources"], 4);
    }
}
