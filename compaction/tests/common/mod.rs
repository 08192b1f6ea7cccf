//! Helpers shared by the integration tests.
#![allow(dead_code)]

use memspine_compaction::{Action, Candidate, Plan, MICROS_PER_DAY};

pub const DAY: u64 = MICROS_PER_DAY;

/// An unpinned default-importance `interaction` of user `alice` created at `created`.
pub fn chat(id: u64, created: u64) -> Candidate {
    Candidate {
        id,
        created,
        updated: created,
        importance: 0.5,
        kind: "interaction".into(),
        user: Some("alice".into()),
        content_len: 40,
        ..Candidate::default()
    }
}

/// Asserts that every candidate id appears in exactly one action and nothing else does.
pub fn assert_covers(plan: &Plan, candidates: &[Candidate]) {
    let mut planned: Vec<u64> = plan.actions.iter().flat_map(|a| a.ids().to_vec()).collect();
    planned.sort_unstable();
    let mut given: Vec<u64> = candidates.iter().map(|c| c.id).collect();
    given.sort_unstable();
    assert_eq!(planned, given, "each candidate exactly once");
}

/// The action name planned for `id`.
pub fn action_of(plan: &Plan, id: u64) -> &'static str {
    plan.lookup().get(&id).map_or("missing", |a| a.name())
}

/// Consolidation groups of a plan.
pub fn groups(plan: &Plan) -> Vec<Vec<u64>> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::Consolidate { ids, .. } => Some(ids.clone()),
            _ => None,
        })
        .collect()
}

/// splitmix64: a tiny deterministic PRNG for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A unit vector near topic `topic` (dimension 32): the topic axis plus uniform noise of the
/// given amplitude per component.
pub fn topic_vector(topic: usize, noise: f32, rng: &mut Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..32).map(|_| (rng.unit() - 0.5) * noise).collect();
    if let Some(x) = v.get_mut(topic % 32) {
        *x += 1.0;
    }
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A random candidate population for property tests: ids 1..=n, spread over 90 days before
/// `NOW`, three users, two agents, three sessions, four topics (for similarity).
pub mod arb {
    use super::DAY;
    use memspine_compaction::Candidate;
    use proptest::prelude::*;

    pub const NOW: u64 = 200 * DAY;
    const KINDS: [&str; 4] = ["interaction", "fact", "consolidated", "assistant_response"];

    /// (candidate, topic) pairs.
    pub fn population(max: usize) -> impl Strategy<Value = Vec<(Candidate, u8)>> {
        prop::collection::vec(one(), 0..max).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (mut c, t))| {
                    c.id = i as u64 + 1;
                    (c, t)
                })
                .collect()
        })
    }

    fn one() -> impl Strategy<Value = (Candidate, u8)> {
        (
            (
                0..90 * DAY,
                0.0f32..=1.0,
                prop::bool::weighted(0.15),
                prop::bool::weighted(0.1),
            ),
            (0..3u8, 0..2u8, 0..4u8, 0..4u8),
            (0..4usize, 0..20u64, 0..5u32, prop::option::of(0..90 * DAY)),
        )
            .prop_map(
                |((age, imp, pinned, archived), (u, a, s, topic), (k, acc, deg, la))| {
                    let created = NOW - age;
                    let c = Candidate {
                        id: 0,
                        created,
                        updated: created,
                        last_access: la.map(|l| created.max(NOW - l)),
                        access_count: acc,
                        importance: imp,
                        pinned,
                        kind: KINDS[k].to_string(),
                        user: Some(format!("u{u}")),
                        session: (s < 3).then(|| format!("s{s}")),
                        agent: Some(format!("a{a}")),
                        tags: vec![],
                        graph_degree: deg,
                        content_len: 10,
                        archived,
                    };
                    (c, topic)
                },
            )
    }

    /// Similarity: 0.9 for the same topic, 0.1 otherwise.
    pub fn topic_similarity(pop: &[(Candidate, u8)]) -> impl Fn(u64, u64) -> Option<f32> + '_ {
        move |a, b| {
            let t = |id: u64| pop.get(id.checked_sub(1)? as usize).map(|(_, t)| *t);
            Some(if t(a)? == t(b)? { 0.9 } else { 0.1 })
        }
    }
}
