//! Pinned memories are planned for nothing but `Keep`, whatever their age or score.

mod common;

use common::arb::{population, topic_similarity, NOW};
use common::{assert_covers, chat, DAY};
use memspine_compaction::{plan, Action, Candidate, DecayPolicy, MediumAction, Reason};
use proptest::prelude::*;

fn aggressive() -> DecayPolicy {
    DecayPolicy {
        demote_threshold: 1.0,
        consolidate_threshold: 1.0,
        medium_action: MediumAction::Archive,
        delete_instead_of_archive: true,
        delete_archived_after: Some(std::time::Duration::ZERO),
        similarity_threshold: -1.0,
        ..DecayPolicy::default()
    }
}

#[test]
fn pinned_worthless_ancient_memory_is_kept() {
    let c = Candidate {
        pinned: true,
        importance: 0.0,
        archived: true,
        ..chat(1, 0)
    };
    let other = chat(2, 0);
    let p = plan(&[c, other], 365 * DAY, &aggressive(), &|_, _| Some(1.0)).unwrap();
    assert_eq!(
        p.actions[0],
        Action::Keep {
            id: 1,
            tier: memspine_compaction::Tier::Old,
            reason: Reason::Pinned
        }
    );
    assert_eq!(p.actions[1].name(), "delete");
}

proptest! {
    #[test]
    fn pinned_only_ever_kept(pop in population(60), strict in any::<bool>()) {
        let cands: Vec<Candidate> = pop.iter().map(|(c, _)| c.clone()).collect();
        let policy = if strict { aggressive() } else { DecayPolicy::default() };
        let p = plan(&cands, NOW, &policy, &topic_similarity(&pop)).unwrap();
        assert_covers(&p, &cands);
        let lookup = p.lookup();
        for c in cands.iter().filter(|c| c.pinned) {
            let a = lookup[&c.id];
            prop_assert!(
                matches!(a, Action::Keep { reason: Reason::Pinned, .. }),
                "pinned {} planned {:?}", c.id, a
            );
        }
    }
}
