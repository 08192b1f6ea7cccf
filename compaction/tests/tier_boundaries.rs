//! Tier boundaries are exact: lower-inclusive at 7 and 30 days, to the microsecond.

mod common;

use common::{action_of, assert_covers, chat, DAY};
use memspine_compaction::{days, plan, Action, DecayPolicy, Reason, Tier};

#[test]
fn tier_of_just_before_at_and_after_each_boundary() {
    let p = DecayPolicy::default();
    let now = 1_000 * DAY;
    let at = |age: u64| p.tier(now - age, now);
    assert_eq!(at(0), Tier::Recent);
    assert_eq!(at(7 * DAY - 1), Tier::Recent);
    assert_eq!(at(7 * DAY), Tier::Medium);
    assert_eq!(at(7 * DAY + 1), Tier::Medium);
    assert_eq!(at(30 * DAY - 1), Tier::Medium);
    assert_eq!(at(30 * DAY), Tier::Old);
    assert_eq!(at(30 * DAY + 1), Tier::Old);
    // Created in the future (clock skew): age 0.
    assert_eq!(p.tier(now + DAY, now), Tier::Recent);
}

#[test]
fn configurable_boundaries() {
    let p = DecayPolicy {
        recent: days(1),
        old: days(2),
        ..DecayPolicy::default()
    };
    assert_eq!(p.tier(0, DAY - 1), Tier::Recent);
    assert_eq!(p.tier(0, DAY), Tier::Medium);
    assert_eq!(p.tier(0, 2 * DAY), Tier::Old);
    let bad = DecayPolicy {
        recent: days(3),
        old: days(2),
        ..DecayPolicy::default()
    };
    assert!(plan(&[], 0, &bad, &|_, _| None).is_err());
}

#[test]
fn plan_actions_switch_exactly_at_the_boundaries() {
    let now = 1_000 * DAY;
    // A very low-importance memory: any tier that may act on it, does.
    let low = |id, age| memspine_compaction::Candidate {
        importance: 0.35,
        kind: "assistant_response".into(),
        ..chat(id, now - age)
    };
    let cands = vec![
        low(1, 7 * DAY - 1),
        low(2, 7 * DAY),
        low(3, 30 * DAY - 1),
        low(4, 30 * DAY),
        low(5, 30 * DAY + 1),
    ];
    let p = DecayPolicy::default();
    let plan = plan(&cands, now, &p, &|_, _| None).unwrap();
    assert_covers(&plan, &cands);
    let lookup = plan.lookup();
    assert!(matches!(
        lookup[&1],
        Action::Keep {
            tier: Tier::Recent,
            reason: Reason::Recent { .. },
            ..
        }
    ));
    // At exactly 7 days the recency signal is 0.5; score = 0.4·0.35+0.15·0.3+0.2·0.5 = 0.285.
    assert!(
        matches!(
            lookup[&2],
            Action::Demote {
                tier: Tier::Medium,
                ..
            }
        ),
        "{:?}",
        lookup[&2]
    );
    assert!(matches!(
        lookup[&3],
        Action::Demote {
            tier: Tier::Medium,
            ..
        }
    ));
    for id in [4, 5] {
        assert_eq!(
            action_of(&plan, id),
            "archive",
            "old singleton without a vector"
        );
        assert!(matches!(
            lookup[&id],
            Action::Archive {
                tier: Tier::Old,
                ..
            }
        ));
    }
}
