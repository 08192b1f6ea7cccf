//! Greedy, complete-linkage clustering of old low-importance memories within one scope.
//!
//! Input ids are sorted ascending (ids are time-ordered). Each not-yet-grouped id, in order,
//! seeds a group; the next `scan_window` ungrouped ids after it are tried in order, and one
//! joins when its similarity to *every* member so far is ≥ the threshold, until the group holds
//! `max_group` ids. A group of at least `min_group` ids is kept and its ids are taken; a smaller
//! one is dropped (its seed stays a singleton; the others remain free for later seeds).
//! Similarity is always asked as `sim(smaller id, larger id)`; `None` or NaN means "not
//! similar" (e.g. a memory without a vector). Same input, same groups.

/// A group found by [`cluster`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    /// Member ids, ascending.
    pub ids: Vec<u64>,
    /// The smallest pairwise similarity inside the group.
    pub min_similarity: f32,
}

/// Clustering limits (copied from the policy).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub threshold: f32,
    pub min_group: usize,
    pub max_group: usize,
    pub scan_window: usize,
}

/// Splits sorted `ids` into groups and leftover singletons (ascending).
pub(crate) fn cluster(
    ids: &[u64],
    limits: Limits,
    similarity: &dyn Fn(u64, u64) -> Option<f32>,
) -> (Vec<Group>, Vec<u64>) {
    let mut taken = vec![false; ids.len()];
    let mut groups = Vec::new();
    let mut singles = Vec::new();
    for (i, &seed) in ids.iter().enumerate() {
        if taken.get(i).copied().unwrap_or(true) {
            continue;
        }
        let (members, min_similarity) = grow(ids, i, &taken, limits, similarity);
        if members.len() >= limits.min_group {
            for &m in &members {
                if let Some(t) = taken.get_mut(m) {
                    *t = true;
                }
            }
            let ids = members
                .iter()
                .filter_map(|&m| ids.get(m).copied())
                .collect();
            groups.push(Group {
                ids,
                min_similarity,
            });
        } else {
            singles.push(seed);
        }
    }
    (groups, singles)
}

/// Grows one group from the seed at index `seed`; returns member indexes (ascending) and the
/// minimum pairwise similarity.
fn grow(
    ids: &[u64],
    seed: usize,
    taken: &[bool],
    limits: Limits,
    similarity: &dyn Fn(u64, u64) -> Option<f32>,
) -> (Vec<usize>, f32) {
    let mut members = vec![seed];
    let mut min_sim = 1.0f32;
    let free = (seed + 1..ids.len()).filter(|&j| !taken.get(j).copied().unwrap_or(true));
    for j in free.take(limits.scan_window) {
        if members.len() >= limits.max_group {
            break;
        }
        if let Some(worst) = joins(ids, &members, j, limits.threshold, similarity) {
            members.push(j);
            min_sim = min_sim.min(worst);
        }
    }
    (members, min_sim)
}

/// The smallest similarity of `ids[j]` to every member if all reach `threshold`, else `None`.
fn joins(
    ids: &[u64],
    members: &[usize],
    j: usize,
    threshold: f32,
    similarity: &dyn Fn(u64, u64) -> Option<f32>,
) -> Option<f32> {
    let b = *ids.get(j)?;
    let mut worst = f32::INFINITY;
    for &m in members {
        let a = *ids.get(m)?;
        // Members precede j in ascending order, so `a < b`.
        let s = similarity(a, b).filter(|s| !s.is_nan())?;
        if s < threshold {
            return None;
        }
        worst = worst.min(s);
    }
    Some(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        threshold: 0.8,
        min_group: 2,
        max_group: 3,
        scan_window: 100,
    };

    /// Similar iff both ids have the same parity.
    fn parity(a: u64, b: u64) -> Option<f32> {
        assert!(a < b, "similarity must be asked in ascending order");
        Some(if a % 2 == b % 2 { 0.9 } else { 0.1 })
    }

    #[test]
    fn groups_by_similarity_and_caps_size() {
        let (groups, singles) = cluster(&[1, 2, 3, 4, 5, 6, 7, 8], LIMITS, &parity);
        let got: Vec<_> = groups.iter().map(|g| g.ids.clone()).collect();
        assert_eq!(got, vec![vec![1, 3, 5], vec![2, 4, 6]]);
        assert_eq!(singles, vec![7, 8]);
        assert!(groups.iter().all(|g| (g.min_similarity - 0.9).abs() < 1e-6));
    }

    #[test]
    fn complete_linkage_and_missing_vectors() {
        // 1~2 and 2~3 but not 1~3: only {1,2} forms; 3 has no partner left.
        let chain = |a: u64, b: u64| Some(if b - a == 1 { 0.9 } else { 0.0 });
        let (groups, singles) = cluster(&[1, 2, 3], LIMITS, &chain);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].ids, vec![1, 2]);
        assert_eq!(singles, vec![3]);
        let (groups, singles) = cluster(&[1, 2], LIMITS, &|_, _| None);
        assert!(groups.is_empty());
        assert_eq!(singles, vec![1, 2]);
    }

    #[test]
    fn window_bounds_the_scan() {
        let limits = Limits {
            scan_window: 1,
            ..LIMITS
        };
        // With a window of 1, seed 1 only sees 2 (dissimilar); 2 only sees 3.
        let (groups, _) = cluster(&[1, 2, 3], limits, &parity);
        assert!(groups.is_empty());
    }
}
