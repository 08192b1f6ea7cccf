//! The planner: turns candidates, a time and a [`DecayPolicy`] into a [`Plan`] — one action per
//! memory, with its reason — without touching anything. The engine shows the plan as a dry run,
//! or executes it.
//!
//! Rules, in order (the first that applies wins):
//! 1. pinned → `Keep` (pinned memories never decay and are never merged away);
//! 2. archived → `Delete` once archived for `delete_archived_after`, else `Keep`;
//! 3. recent tier → `Keep`;
//! 4. medium tier: score ≥ `demote_threshold` → `Keep`; else with [`MediumAction::Demote`]
//!    `Demote` to the score — only if the stored importance is still ≥ the threshold, so a
//!    memory is demoted once, not again on every pass — or `Archive` (`Delete`);
//! 5. old tier: score ≥ `consolidate_threshold` → `Keep`; else it joins its scope's pool.
//!    Pools are keyed by (user, agent[, session]) — never across users — and clustered by
//!    similarity (see `group.rs`): groups become `Consolidate`; a singleton is `Archive`d
//!    (`Delete`d), except an already consolidated memory, which is kept. A consolidated memory
//!    is thus merged again only with memories similar to it.
//!
//! Deterministic: candidates are processed in id order and actions are sorted by their smallest
//! id, so the same input in any order yields the same plan.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::candidate::Candidate;
use crate::error::{Error, Result};
use crate::group::{cluster, Group, Limits};
use crate::importance::importance;
use crate::policy::{DecayPolicy, MediumAction};
use crate::reason::Reason;
use crate::tier::Tier;
use crate::time::{as_days, duration_us};

/// One planned action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Leave the memory as it is.
    Keep {
        /// Memory id.
        id: u64,
        /// Its tier.
        tier: Tier,
        /// Why.
        reason: Reason,
    },
    /// Lower the memory's stored importance.
    Demote {
        /// Memory id.
        id: u64,
        /// Its tier.
        tier: Tier,
        /// The importance to store (its current score, under the threshold).
        new_importance: f32,
        /// Why.
        reason: Reason,
    },
    /// Archive the memory (kept for history, out of search and plain export).
    Archive {
        /// Memory id.
        id: u64,
        /// Its tier.
        tier: Tier,
        /// Why.
        reason: Reason,
    },
    /// Delete the memory (its events stay in the log).
    Delete {
        /// Memory id.
        id: u64,
        /// Its tier.
        tier: Tier,
        /// Why.
        reason: Reason,
    },
    /// Merge these memories into one consolidated memory (all in the old tier, one scope).
    Consolidate {
        /// Member ids, ascending.
        ids: Vec<u64>,
        /// Delete the originals after merging (else archive them).
        delete_originals: bool,
        /// Why.
        reason: Reason,
    },
}

impl Action {
    /// The memory ids this action covers.
    pub fn ids(&self) -> &[u64] {
        match self {
            Action::Keep { id, .. }
            | Action::Demote { id, .. }
            | Action::Archive { id, .. }
            | Action::Delete { id, .. } => std::slice::from_ref(id),
            Action::Consolidate { ids, .. } => ids,
        }
    }

    /// Its reason.
    pub fn reason(&self) -> &Reason {
        match self {
            Action::Keep { reason, .. }
            | Action::Demote { reason, .. }
            | Action::Archive { reason, .. }
            | Action::Delete { reason, .. }
            | Action::Consolidate { reason, .. } => reason,
        }
    }

    /// Its name: `keep`, `demote`, `archive`, `delete`, `consolidate`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Keep { .. } => "keep",
            Action::Demote { .. } => "demote",
            Action::Archive { .. } => "archive",
            Action::Delete { .. } => "delete",
            Action::Consolidate { .. } => "consolidate",
        }
    }

    fn first_id(&self) -> u64 {
        self.ids().first().copied().unwrap_or(0)
    }
}

/// How many memories each action covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCounts {
    /// Memories kept.
    pub keep: u64,
    /// Memories demoted.
    pub demote: u64,
    /// Memories archived.
    pub archive: u64,
    /// Memories deleted.
    pub delete: u64,
    /// Consolidated groups (each becomes one new memory).
    pub consolidate_groups: u64,
    /// Memories merged into those groups.
    pub consolidate_members: u64,
}

/// The outcome of [`plan`]: every candidate appears in exactly one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The time the plan was made for (µs).
    pub now: u64,
    /// Actions, sorted by their smallest id.
    pub actions: Vec<Action>,
    /// Totals per action.
    pub counts: PlanCounts,
}

impl Plan {
    /// The action of each memory id.
    pub fn lookup(&self) -> BTreeMap<u64, &Action> {
        let pairs = self
            .actions
            .iter()
            .flat_map(|a| a.ids().iter().map(move |&id| (id, a)));
        pairs.collect()
    }

    /// Whether executing the plan would change nothing.
    pub fn is_noop(&self) -> bool {
        self.actions
            .iter()
            .all(|a| matches!(a, Action::Keep { .. }))
    }
}

/// Plans one compaction pass over `candidates` at `now` (µs). `similarity(a, b)` (asked with
/// `a < b`) returns the cosine similarity of two memories' vectors, or `None` when either has
/// none. Errors on an invalid policy or a repeated id.
pub fn plan(
    candidates: &[Candidate],
    now: u64,
    policy: &DecayPolicy,
    similarity: &dyn Fn(u64, u64) -> Option<f32>,
) -> Result<Plan> {
    policy.validate()?;
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by_key(|c| c.id);
    if let Some(w) = sorted
        .windows(2)
        .find(|w| w.first().map(|c| c.id) == w.get(1).map(|c| c.id))
    {
        let id = w.first().map_or(0, |c| c.id);
        return Err(Error::DuplicateCandidate { id });
    }
    let mut actions = Vec::with_capacity(sorted.len());
    let mut pools: BTreeMap<ScopeKey<'_>, Vec<&Candidate>> = BTreeMap::new();
    for c in sorted {
        match decide(c, now, policy) {
            Decision::Done(a) => actions.push(a),
            Decision::Pool => pools.entry(scope_key(c, policy)).or_default().push(c),
        }
    }
    for pool in pools.values() {
        consolidate_pool(pool, now, policy, similarity, &mut actions);
    }
    actions.sort_by_key(Action::first_id);
    let counts = count(&actions);
    Ok(Plan {
        now,
        actions,
        counts,
    })
}

/// (user, agent, session when grouping by session). Consolidation never crosses a key.
type ScopeKey<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

fn scope_key<'a>(c: &'a Candidate, policy: &DecayPolicy) -> ScopeKey<'a> {
    let session = if policy.group_by_session {
        c.session.as_deref()
    } else {
        None
    };
    (c.user.as_deref(), c.agent.as_deref(), session)
}

enum Decision {
    Done(Action),
    Pool,
}

/// Rules 1–5 of the module documentation for one memory.
fn decide(c: &Candidate, now: u64, policy: &DecayPolicy) -> Decision {
    let tier = policy.tier(c.created, now);
    let keep = |reason| {
        Decision::Done(Action::Keep {
            id: c.id,
            tier,
            reason,
        })
    };
    if c.pinned {
        return keep(Reason::Pinned);
    }
    if c.archived {
        return archived(c, tier, now, policy);
    }
    let score = importance(c, now, &policy.importance);
    match tier {
        Tier::Recent => keep(Reason::Recent {
            age_days: as_days(now.saturating_sub(c.created)),
        }),
        Tier::Medium => Decision::Done(medium(c, score, policy)),
        Tier::Old if score >= policy.consolidate_threshold => keep(Reason::AboveThreshold {
            score,
            threshold: policy.consolidate_threshold,
        }),
        Tier::Old => Decision::Pool,
    }
}

fn archived(c: &Candidate, tier: Tier, now: u64, policy: &DecayPolicy) -> Decision {
    let since = now.saturating_sub(c.updated);
    let expired = policy
        .delete_archived_after
        .is_some_and(|d| since >= duration_us(d));
    Decision::Done(if expired {
        let reason = Reason::ArchivedExpired {
            archived_days: as_days(since),
        };
        Action::Delete {
            id: c.id,
            tier,
            reason,
        }
    } else {
        Action::Keep {
            id: c.id,
            tier,
            reason: Reason::AlreadyArchived,
        }
    })
}

fn medium(c: &Candidate, score: f32, policy: &DecayPolicy) -> Action {
    let (id, tier, threshold) = (c.id, Tier::Medium, policy.demote_threshold);
    if score >= threshold {
        return Action::Keep {
            id,
            tier,
            reason: Reason::AboveThreshold { score, threshold },
        };
    }
    let reason = Reason::BelowThreshold { score, threshold };
    match policy.medium_action {
        MediumAction::Archive => discard(id, tier, reason, policy),
        MediumAction::Demote if c.importance < threshold => {
            let reason = Reason::AlreadyLow {
                score,
                importance: c.importance,
                threshold,
            };
            Action::Keep { id, tier, reason }
        }
        MediumAction::Demote => Action::Demote {
            id,
            tier,
            new_importance: score,
            reason,
        },
    }
}

/// Archive, or delete when the policy says so.
fn discard(id: u64, tier: Tier, reason: Reason, policy: &DecayPolicy) -> Action {
    if policy.delete_instead_of_archive {
        Action::Delete { id, tier, reason }
    } else {
        Action::Archive { id, tier, reason }
    }
}

/// Clusters one scope's old low-importance memories (ascending ids) into actions.
fn consolidate_pool(
    pool: &[&Candidate],
    now: u64,
    policy: &DecayPolicy,
    similarity: &dyn Fn(u64, u64) -> Option<f32>,
    actions: &mut Vec<Action>,
) {
    let ids: Vec<u64> = pool.iter().map(|c| c.id).collect();
    let limits = Limits {
        threshold: policy.similarity_threshold,
        min_group: policy.min_group,
        max_group: policy.max_group,
        scan_window: policy.scan_window,
    };
    let (groups, singles) = cluster(&ids, limits, similarity);
    let score_of = |id: u64| -> (f32, bool) {
        let c = pool
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .and_then(|i| pool.get(i));
        c.map_or((0.0, false), |c| {
            (importance(c, now, &policy.importance), c.is_consolidated())
        })
    };
    for Group {
        ids,
        min_similarity,
    } in groups
    {
        let max_score = ids.iter().map(|&id| score_of(id).0).fold(0.0, f32::max);
        let threshold = policy.consolidate_threshold;
        let reason = Reason::SimilarLowImportance {
            max_score,
            threshold,
            min_similarity,
        };
        let delete_originals = policy.delete_instead_of_archive;
        actions.push(Action::Consolidate {
            ids,
            delete_originals,
            reason,
        });
    }
    for id in singles {
        let (score, consolidated) = score_of(id);
        actions.push(if consolidated {
            Action::Keep {
                id,
                tier: Tier::Old,
                reason: Reason::ConsolidatedAlone { score },
            }
        } else {
            let threshold = policy.consolidate_threshold;
            discard(
                id,
                Tier::Old,
                Reason::NoSimilarMemory { score, threshold },
                policy,
            )
        });
    }
}

fn count(actions: &[Action]) -> PlanCounts {
    let mut n = PlanCounts::default();
    for a in actions {
        match a {
            Action::Keep { .. } => n.keep += 1,
            Action::Demote { .. } => n.demote += 1,
            Action::Archive { .. } => n.archive += 1,
            Action::Delete { .. } => n.delete += 1,
            Action::Consolidate { ids, .. } => {
                n.consolidate_groups += 1;
                n.consolidate_members += ids.len() as u64;
            }
        }
    }
    n
}
