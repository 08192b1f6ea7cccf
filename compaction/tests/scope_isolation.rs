//! Consolidation groups never span two users (nor agents; nor sessions when grouping by
//! session), and every group obeys the policy: old, unpinned, live, low score, sized within
//! bounds, pairwise similar.

mod common;

use std::collections::BTreeMap;

use common::arb::{population, topic_similarity, NOW};
use common::{chat, groups, DAY};
use memspine_compaction::{importance, plan, Candidate, DecayPolicy, Tier};
use proptest::prelude::*;

#[test]
fn identical_memories_of_two_users_are_not_merged() {
    let mut cands = Vec::new();
    for id in 1..=6u64 {
        let user = if id % 2 == 0 { "alice" } else { "bob" };
        cands.push(Candidate {
            user: Some(user.into()),
            ..chat(id, 0)
        });
    }
    // A user-less memory is its own scope too.
    cands.push(Candidate {
        user: None,
        ..chat(7, 0)
    });
    cands.push(Candidate {
        user: None,
        ..chat(8, 0)
    });
    let p = plan(&cands, 100 * DAY, &DecayPolicy::default(), &|_, _| {
        Some(1.0)
    })
    .unwrap();
    assert_eq!(groups(&p), vec![vec![1, 3, 5], vec![2, 4, 6], vec![7, 8]]);
}

proptest! {
    #[test]
    fn groups_respect_scope_and_policy(pop in population(80), by_session in any::<bool>()) {
        let cands: Vec<Candidate> = pop.iter().map(|(c, _)| c.clone()).collect();
        let by_id: BTreeMap<u64, &Candidate> = cands.iter().map(|c| (c.id, c)).collect();
        let policy = DecayPolicy { group_by_session: by_session, max_group: 5, ..DecayPolicy::default() };
        let sim = topic_similarity(&pop);
        let p = plan(&cands, NOW, &policy, &sim).unwrap();
        for g in groups(&p) {
            prop_assert!(g.len() >= policy.min_group && g.len() <= policy.max_group);
            prop_assert!(g.windows(2).all(|w| w[0] < w[1]), "ids ascending");
            let first = by_id[&g[0]];
            for (i, id) in g.iter().enumerate() {
                let c = by_id[id];
                prop_assert_eq!(&c.user, &first.user, "group {:?} spans users", g);
                prop_assert_eq!(&c.agent, &first.agent);
                if by_session {
                    prop_assert_eq!(&c.session, &first.session);
                }
                prop_assert!(!c.pinned && !c.archived);
                prop_assert_eq!(policy.tier(c.created, NOW), Tier::Old);
                prop_assert!(importance(c, NOW, &policy.importance) < policy.consolidate_threshold);
                for other in &g[..i] {
                    prop_assert!(sim(*other, *id).unwrap() >= policy.similarity_threshold);
                }
            }
        }
    }
}
