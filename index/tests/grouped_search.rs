//! Scope-local int8 copies (`memspine_index::group`): a search through a group returns exactly
//! the f32 scan's hits up to `exact_below` candidates, and exactly `Snapshot::search`'s hits
//! above (the sign-code pool, rescored) — whatever part of the candidates the group holds,
//! whether the group is stale (built before later slots were stored) or holds slots that are no
//! longer candidates.
#![allow(clippy::unwrap_used)] // test helpers panic on failure by design

use memspine_index::group::Int8Group;
use memspine_index::{Arena, Hit, SearchOptions};
use proptest::prelude::*;
use roaring::RoaringBitmap;

mod common;

use common::Rng;

fn slots_of(hits: &[Hit]) -> Vec<u32> {
    hits.iter().map(|h| h.slot).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn grouped_search_equals_exact_scan(
        n in 1usize..3000,
        dim in prop::sample::select(vec![1u32, 8, 33, 384]),
        k in 1usize..40,
        seed in any::<u64>(),
        // How the candidates relate to the group: the group itself, a subset of it, a
        // subset plus slots outside it.
        shape in 0u8..3,
        dup_every in 2usize..9,
        exact_below in 0usize..400,
        pool in 1usize..300,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Rng(seed);
        let mut arena = Arena::create(dir.path(), dim).unwrap();
        let first: Vec<Option<Vec<f32>>> = (0..n)
            .map(|i| (i % 13 != 4).then(|| r.unit(dim as usize)))
            .collect();
        // Exact duplicates, so that ties are broken by slot in both paths.
        let first: Vec<Option<Vec<f32>>> = first
            .iter()
            .enumerate()
            .map(|(i, v)| if i % dup_every == 0 && i > 0 { first[i - 1].clone() } else { v.clone() })
            .collect();
        arena.push_many(first.iter().map(|v| v.as_deref())).unwrap();
        arena.sync(false).unwrap();
        arena.publish().unwrap();
        // The scope: every third slot; the group is built now, then more slots arrive.
        let scope: RoaringBitmap = (1..=n as u32).filter(|s| !s.is_multiple_of(3)).collect();
        let group_snap = arena.snapshot();
        let group = Int8Group::build(&group_snap, &scope);
        prop_assert_eq!(group.first_mismatch(&group_snap), None);
        let later: Vec<Option<Vec<f32>>> = (0..n / 4).map(|_| Some(r.unit(dim as usize))).collect();
        arena.push_many(later.iter().map(|v| v.as_deref())).unwrap();
        arena.sync(false).unwrap();
        arena.publish().unwrap();
        let snap = arena.snapshot();
        // A copy built from a newer snapshot than the one it is checked against is not damaged.
        let newer = Int8Group::build(&snap, &(1..=(n + n / 4) as u32).collect());
        prop_assert_eq!(newer.first_mismatch(&group_snap), None);
        let end = (n + n / 4) as u32;
        let candidates: RoaringBitmap = match shape {
            0 => scope.clone(),
            1 => scope.iter().filter(|_| !r.next().is_multiple_of(4)).collect(),
            _ => (1..=end + 3).filter(|_| r.next().is_multiple_of(2)).collect(),
        };
        let q = r.unit(dim as usize);
        let truth = snap.search(&q, k, &candidates, &SearchOptions::exact()).unwrap();
        let got = snap
            .search_grouped(&q, k, &candidates, &group, &SearchOptions::default())
            .unwrap();
        prop_assert_eq!(slots_of(&got), slots_of(&truth));
        for (g, t) in got.iter().zip(&truth) {
            prop_assert_eq!(g.score, t.score);
        }
        // Above `exact_below` (and the pool): the arena's own quantized result, the same pool
        // picked from the group's copied codes.
        let pooled = SearchOptions { exact_below: exact_below as u64, pool, ..SearchOptions::default() };
        let truth = snap.search(&q, k, &candidates, &pooled).unwrap();
        let got = snap.search_grouped(&q, k, &candidates, &group, &pooled).unwrap();
        prop_assert_eq!(slots_of(&got), slots_of(&truth));
        for (g, t) in got.iter().zip(&truth) {
            prop_assert_eq!(g.score, t.score);
        }
    }
}

#[test]
fn a_large_group_is_searched_like_the_arena_and_exactly_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let (n, dim) = (60_000usize, 64u32);
    let mut r = Rng(7);
    let mut arena = Arena::create(dir.path(), dim).unwrap();
    let vs: Vec<Vec<f32>> = (0..n).map(|_| r.unit(dim as usize)).collect();
    arena
        .push_many(vs.iter().map(|v| Some(v.as_slice())))
        .unwrap();
    arena.sync(false).unwrap();
    arena.publish().unwrap();
    let snap = arena.snapshot();
    // 30K of 60K (above the parallel cut-off and above the default exact_below).
    let scope: RoaringBitmap = (1..=n as u32).filter(|s| !s.is_multiple_of(2)).collect();
    let group = Int8Group::build(&snap, &scope);
    assert_eq!(group.len(), 30_000);
    // Records (scale, error, 64 codes) and a sign-code word per slot.
    assert!(group.bytes() >= 30_000 * (8 + 64 + 8));
    let all_exact = SearchOptions {
        exact_below: u64::MAX,
        ..SearchOptions::default()
    };
    let half: RoaringBitmap = scope.iter().step_by(2).chain([2, 4, 6]).collect();
    for _ in 0..5 {
        let q = r.unit(dim as usize);
        // Above the default `exact_below`: what the arena's own path returns.
        for candidates in [&scope, &half] {
            let arena = snap
                .search(&q, 10, candidates, &SearchOptions::default())
                .unwrap();
            let got = snap
                .search_grouped(&q, 10, candidates, &group, &SearchOptions::default())
                .unwrap();
            assert_eq!(got, arena);
        }
        let truth = snap
            .search(&q, 10, &scope, &SearchOptions::exact())
            .unwrap();
        // The int8 scan with its bounds (no pool) and `exact` (f32) are exact at any size.
        let got = snap
            .search_grouped(&q, 10, &scope, &group, &all_exact)
            .unwrap();
        assert_eq!(got, truth);
        let exact = snap
            .search_grouped(&q, 10, &scope, &group, &SearchOptions::exact())
            .unwrap();
        assert_eq!(exact, truth);
    }
}

#[test]
fn a_group_of_another_dimension_is_ignored_and_bad_queries_are_typed_errors() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut r = Rng(1);
    let mut small = Arena::create(a.path(), 4).unwrap();
    let mut big = Arena::create(b.path(), 8).unwrap();
    let v4: Vec<Vec<f32>> = (0..50).map(|_| r.unit(4)).collect();
    let v8: Vec<Vec<f32>> = (0..50).map(|_| r.unit(8)).collect();
    small
        .push_many(v4.iter().map(|v| Some(v.as_slice())))
        .unwrap();
    big.push_many(v8.iter().map(|v| Some(v.as_slice())))
        .unwrap();
    for arena in [&mut small, &mut big] {
        arena.sync(false).unwrap();
        arena.publish().unwrap();
    }
    let all: RoaringBitmap = (0..60).collect();
    let group = Int8Group::build(&small.snapshot(), &all);
    let snap = big.snapshot();
    let q = r.unit(8);
    let got = snap
        .search_grouped(&q, 5, &all, &group, &SearchOptions::default())
        .unwrap();
    let truth = snap.search(&q, 5, &all, &SearchOptions::exact()).unwrap();
    assert_eq!(got, truth);
    assert!(snap
        .search_grouped(&[1.0; 3], 5, &all, &group, &SearchOptions::default())
        .is_err());
    assert!(snap
        .search_grouped(&[f32::NAN; 8], 5, &all, &group, &SearchOptions::default())
        .is_err());
}
