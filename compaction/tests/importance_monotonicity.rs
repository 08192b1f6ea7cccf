//! The importance score is monotone in each signal and stays within 0..=1.

mod common;

use common::DAY;
use memspine_compaction::{importance, Candidate, ImportanceConfig};
use proptest::prelude::*;

fn candidate() -> impl Strategy<Value = Candidate> {
    (
        0.0f32..=1.0,
        0..1_000u64,
        0..200 * DAY,
        prop::option::of(0..200 * DAY),
        0..50u32,
        0..4usize,
    )
        .prop_map(
            |(importance, access_count, created, last_access, graph_degree, k)| Candidate {
                id: 1,
                created,
                updated: created,
                last_access,
                access_count,
                importance,
                kind: ["fact", "interaction", "assistant_response", "unknown"][k].into(),
                graph_degree,
                ..Candidate::default()
            },
        )
}

fn config() -> impl Strategy<Value = ImportanceConfig> {
    (
        prop::array::uniform5(0.0f32..2.0),
        1..30u64,
        1..500u64,
        1..40u32,
    )
        .prop_map(|(w, half_days, acc, deg)| ImportanceConfig {
            explicit_weight: w[0],
            access_weight: w[1],
            recency_weight: w[2],
            kind_weight: w[3],
            graph_weight: w[4] + 0.01,
            recency_half_life: memspine_compaction::days(half_days),
            access_saturation: acc,
            degree_saturation: deg,
            ..ImportanceConfig::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn monotone_in_every_signal(
        c in candidate(), cfg in config(), now in 0..300 * DAY,
        d_imp in 0.0f32..=1.0, d_acc in 0..1_000u64, d_t in 0..100 * DAY, d_deg in 0..50u32,
    ) {
        let base = importance(&c, now, &cfg);
        prop_assert!((0.0..=1.0).contains(&base));
        let up = |m: Candidate| importance(&m, now, &cfg);
        let more_explicit = Candidate { importance: (c.importance + d_imp).min(1.0), ..c.clone() };
        prop_assert!(up(more_explicit) >= base, "explicit");
        let more_reads = Candidate { access_count: c.access_count + d_acc, ..c.clone() };
        prop_assert!(up(more_reads) >= base, "access count");
        let later_read = Candidate { last_access: Some(c.last_access.unwrap_or(0) + d_t), ..c.clone() };
        prop_assert!(up(later_read) >= base, "last access");
        let newer = Candidate { created: c.created + d_t, ..c.clone() };
        prop_assert!(up(newer) >= base, "creation time");
        let linked = Candidate { graph_degree: c.graph_degree + d_deg, ..c.clone() };
        prop_assert!(up(linked) >= base, "graph degree");
        prop_assert!(importance(&c, now + d_t, &cfg) <= base, "time passing");
        let pinned = Candidate { pinned: true, ..c.clone() };
        prop_assert_eq!(up(pinned), 1.0);
    }

    #[test]
    fn monotone_in_kind_weight(c in candidate(), w1 in 0.0f32..=1.0, w2 in 0.0f32..=1.0) {
        let (lo, hi) = (w1.min(w2), w1.max(w2));
        let with = |w: f32| {
            let mut cfg = ImportanceConfig::default();
            cfg.kind_weights.insert(c.kind.clone(), w);
            cfg.default_kind_weight = w;
            importance(&c, 100 * DAY, &cfg)
        };
        prop_assert!(with(hi) >= with(lo));
    }
}
