//! Same input, same plan: candidate order does not matter, and the plan serialises identically.

mod common;

use common::arb::{population, topic_similarity, NOW};
use common::{chat, Rng};
use memspine_compaction::{plan, Candidate, DecayPolicy, Error};
use proptest::prelude::*;

#[test]
fn duplicate_ids_are_rejected() {
    let c = chat(7, 0);
    let err = plan(&[c.clone(), c], NOW, &DecayPolicy::default(), &|_, _| None).unwrap_err();
    assert!(matches!(err, Error::DuplicateCandidate { id: 7 }));
}

#[test]
fn plan_serialises_for_dry_run_output() {
    let cands = vec![chat(1, 0), chat(2, 0), chat(3, NOW)];
    let p = plan(&cands, NOW, &DecayPolicy::default(), &|_, _| Some(0.9)).unwrap();
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["actions"][0]["action"], "consolidate");
    assert_eq!(json["actions"][0]["ids"], serde_json::json!([1, 2]));
    assert_eq!(
        json["actions"][0]["reason"]["code"],
        "similar_low_importance"
    );
    assert_eq!(json["actions"][1]["action"], "keep");
    assert_eq!(json["actions"][1]["reason"]["code"], "recent");
    assert_eq!(json["counts"]["consolidate_members"], 2);
    let back: memspine_compaction::Plan = serde_json::from_value(json).unwrap();
    assert_eq!(back, p);
    // Every reason also reads as text.
    assert!(p.actions.iter().all(|a| !a.reason().to_string().is_empty()));
}

proptest! {
    #[test]
    fn shuffled_input_gives_the_same_plan(pop in population(80), seed in any::<u64>()) {
        let cands: Vec<Candidate> = pop.iter().map(|(c, _)| c.clone()).collect();
        let mut shuffled = cands.clone();
        let mut rng = Rng(seed);
        for i in (1..shuffled.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            shuffled.swap(i, j);
        }
        let sim = topic_similarity(&pop);
        let a = plan(&cands, NOW, &DecayPolicy::default(), &sim).unwrap();
        let b = plan(&shuffled, NOW, &DecayPolicy::default(), &sim).unwrap();
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        let ids: Vec<u64> = a.actions.iter().map(|x| x.ids()[0]).collect();
        prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by first id");
    }
}
