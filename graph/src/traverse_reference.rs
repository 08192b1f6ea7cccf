//! The neighbourhood as first written (bounded range reads, owned decoding, std hash maps,
//! records through `get_entities`), kept as the reference the fast path must match exactly on
//! random graphs: same entities, distances, records, relations, `cut` and `truncated`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashMap;

use proptest::prelude::*;
use redb::{ReadTransaction, ReadableDatabase};

use crate::codec::{self, OPEN};
use crate::copy::{CatchUp, GraphCopy};
use crate::tables::{adjacency_range, IN, OUT, PREDICATES, PRED_NAMES};
use crate::{
    declare_predicate, get_entities, neighborhood, Direction, EntityRef, Hop, Neighborhood,
    NewTriple, Relation, TraversalOptions,
};

struct Ref<'a> {
    rtxn: &'a ReadTransaction,
    preds: Option<Vec<u32>>,
    opts: &'a TraversalOptions,
}

impl Ref<'_> {
    fn lists(&self) -> Vec<Option<u32>> {
        match &self.preds {
            None => vec![None],
            Some(ids) => ids.iter().map(|&p| Some(p)).collect(),
        }
    }

    fn visible(&self, from: u64, to: u64) -> bool {
        codec::Validity { from, to }.visible(self.opts.as_of)
    }

    /// (other end, edge) of the visible edges, first `cap`, and whether more were there.
    fn adjacent(&self, e: u64) -> (Vec<u64>, bool) {
        let (out, inn) = (
            self.rtxn.open_table(OUT).unwrap(),
            self.rtxn.open_table(IN).unwrap(),
        );
        let cap = self.opts.max_fanout.max(1);
        let mut adj = Vec::new();
        for p in self.lists() {
            if self.opts.direction != Direction::In {
                for row in out.range(adjacency_range(e, p)).unwrap() {
                    let (k, v) = row.unwrap();
                    let (_, _, o, _) = k.value();
                    let val = codec::decode_edge(v.value()).unwrap().0;
                    if self.visible(val.from, val.to) {
                        if adj.len() >= cap {
                            return (adj, true);
                        }
                        adj.push(o);
                    }
                }
            }
            if self.opts.direction != Direction::Out {
                for row in inn.range(adjacency_range(e, p)).unwrap() {
                    let (k, v) = row.unwrap();
                    let (o, _, s, _) = k.value();
                    let (from, to) = v.value();
                    let dup = s == o && self.opts.direction == Direction::Both;
                    if !dup && self.visible(from, to) {
                        if adj.len() >= cap {
                            return (adj, true);
                        }
                        adj.push(s);
                    }
                }
            }
        }
        (adj, false)
    }

    fn out_relations(&self, e: u64, dist: &HashMap<u64, u32>, into: &mut Vec<Relation>) -> bool {
        let out = self.rtxn.open_table(OUT).unwrap();
        let names = self.rtxn.open_table(PRED_NAMES).unwrap();
        let mut seen = 0;
        for p in self.lists() {
            for row in out.range(adjacency_range(e, p)).unwrap() {
                let (k, v) = row.unwrap();
                let (s, p, o, edge) = k.value();
                let (val, body) = codec::decode_edge(v.value()).unwrap();
                if !self.visible(val.from, val.to) {
                    continue;
                }
                seen += 1;
                if seen > self.opts.max_fanout.max(1) {
                    return true;
                }
                if dist.contains_key(&o) {
                    into.push(Relation {
                        edge,
                        subject: s,
                        predicate: names.get(p).unwrap().unwrap().value().to_string(),
                        object: o,
                        confidence: body.confidence,
                        source: body.source,
                        timestamp: body.timestamp,
                        context: serde_json::from_str(&body.context)
                            .unwrap_or(serde_json::Value::Null),
                        memory: body.memory,
                        valid_from: val.from,
                        valid_to: (val.to != OPEN).then_some(val.to),
                    });
                }
            }
        }
        false
    }
}

/// The original `neighborhood` (for an existing root, depth ≤ `MAX_DEPTH`).
fn reference(
    rtxn: &ReadTransaction,
    root: u64,
    depth: u32,
    opts: &TraversalOptions,
) -> Neighborhood {
    let preds = (!opts.predicates.is_empty()).then(|| {
        let t = rtxn.open_table(PREDICATES).unwrap();
        let mut ids: Vec<u32> = opts
            .predicates
            .iter()
            .filter_map(|n| t.get(crate::normalize(n).as_str()).unwrap())
            .map(|g| g.value().0)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    });
    let r = Ref { rtxn, preds, opts };
    let mut dist = HashMap::from([(root, 0u32)]);
    let (mut order, mut frontier, mut cut) = (vec![root], vec![root], Vec::new());
    let mut truncated = false;
    'bfs: for d in 1..=depth {
        let mut next = Vec::new();
        for &n in &frontier {
            let (adj, was_cut) = r.adjacent(n);
            if was_cut {
                cut.push(n);
            }
            for other in adj {
                if dist.contains_key(&other) {
                    continue;
                }
                if dist.len() >= opts.max_entities.max(1) {
                    truncated = true;
                    break 'bfs;
                }
                dist.insert(other, d);
                order.push(other);
                next.push(other);
            }
        }
        frontier = next;
    }
    let mut relations = Vec::new();
    for &n in &order {
        if r.out_relations(n, &dist, &mut relations) {
            cut.push(n);
        }
    }
    relations.sort_unstable_by_key(|r| r.edge);
    cut.sort_unstable();
    cut.dedup();
    truncated |= !cut.is_empty();
    let mut ids: Vec<(u32, u64)> = order.iter().map(|id| (dist[id], *id)).collect();
    ids.sort_unstable();
    let mut records: HashMap<u64, crate::Entity> = HashMap::new();
    if opts.with_entities {
        let sorted: Vec<u64> = ids.iter().map(|&(_, id)| id).collect();
        records = get_entities(rtxn, &sorted)
            .unwrap()
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
    }
    let entities = ids
        .into_iter()
        .map(|(distance, id)| Hop {
            id,
            distance,
            entity: records.remove(&id),
        })
        .collect();
    Neighborhood {
        root,
        entities,
        relations,
        truncated,
        cut,
    }
}

/// One mutation of a random graph.
#[derive(Debug, Clone)]
enum Op {
    /// subject, predicate, object, valid_from, context kind
    Add(u64, u8, u64, u64, u8),
    /// nth edge added so far, at
    Invalidate(usize, u64),
    /// nth edge added so far
    Delete(usize),
}

fn op(entities: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1..=entities, 0u8..4, 1..=entities, 0u64..100, 0u8..3)
            .prop_map(|(s, p, o, t, c)| Op::Add(s, p, o, t, c)),
        1 => (any::<usize>(), 0u64..120).prop_map(|(i, t)| Op::Invalidate(i, t)),
        1 => any::<usize>().prop_map(Op::Delete),
    ]
}

fn query() -> impl Strategy<Value = (u32, TraversalOptions)> {
    let dir = prop_oneof![
        Just(Direction::Both),
        Just(Direction::Out),
        Just(Direction::In)
    ];
    let preds = proptest::collection::vec(
        prop_oneof![
            Just("p0"),
            Just("P1 "),
            Just("p2"),
            Just("p3"),
            Just("nope")
        ],
        0..3,
    );
    let as_of = proptest::option::of(0u64..130);
    let fanout = prop_oneof![Just(1_000usize), 1usize..5];
    let cap = prop_oneof![Just(100_000usize), 1usize..8];
    (0u32..5, dir, preds, as_of, fanout, cap, any::<bool>()).prop_map(
        |(depth, direction, preds, as_of, max_fanout, max_entities, with_entities)| {
            let opts = TraversalOptions {
                direction,
                predicates: preds.into_iter().map(String::from).collect(),
                as_of,
                max_fanout,
                max_entities,
                with_entities,
                ..Default::default()
            };
            (depth, opts)
        },
    )
}

fn build(db: &redb::Database, entities: u64, ops: &[Op]) {
    let w = db.begin_write().unwrap();
    declare_predicate(&w, "p1", true).unwrap();
    for i in 1..=entities {
        let mut e = crate::NewEntity::named(format!("e{i}"), i);
        if i % 3 == 0 {
            e.metadata = serde_json::json!({"k": i});
        }
        crate::create_entity(&w, &e).unwrap();
    }
    let mut added: Vec<u64> = Vec::new();
    apply(&w, ops, &mut added);
    w.commit().unwrap();
}

/// Applies `ops` (edges they add are appended to `added`).
fn apply(w: &redb::WriteTransaction, ops: &[Op], added: &mut Vec<u64>) {
    for op in ops {
        match *op {
            Op::Add(s, p, o, t, c) => {
                let mut tr = NewTriple::new("", &format!("p{p}"), "", t);
                (tr.subject, tr.object) = (EntityRef::Id(s), EntityRef::Id(o));
                tr.valid_from = Some(t);
                tr.source = format!("s{c}");
                tr.context = match c {
                    0 => serde_json::json!({}),
                    _ => serde_json::json!({"c": c}),
                };
                added.push(crate::add_triple(w, &tr).unwrap().edge);
            }
            Op::Invalidate(i, at) if !added.is_empty() => {
                // Errors (already closed, before its start, deleted) leave the graph unchanged.
                let _ = crate::invalidate_triple(w, added[i % added.len()], at);
            }
            Op::Delete(i) if !added.is_empty() => {
                let _ = crate::delete_triple(w, added[i % added.len()]);
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fast_neighborhood_matches_the_reference(
        entities in 2u64..24,
        ops in proptest::collection::vec(op(23), 0..90),
        queries in proptest::collection::vec((1u64..24, query()), 1..12),
    ) {
        let ops: Vec<Op> = ops
            .into_iter()
            .filter(|o| !matches!(o, Op::Add(s, _, o, _, _) if *s > entities || *o > entities))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("g.redb")).unwrap();
        build(&db, entities, &ops);
        let r = db.begin_read().unwrap();
        for (root, (depth, opts)) in queries {
            let root = 1 + (root - 1) % entities;
            let fast = neighborhood(&r, root, depth, &opts).unwrap();
            let slow = reference(&r, root, depth, &opts);
            prop_assert_eq!(fast, slow, "root {} depth {} {:?}", root, depth, opts);
        }
        drop(r);
        prop_assert!(crate::verify(&db.begin_read().unwrap()).unwrap().is_empty());
    }
}

/// Every read of a snapshot through a copy of its version, and through the tables.
fn assert_copy_reads_as_the_tables(
    r: &redb::ReadTransaction,
    copy: &GraphCopy,
    entities: u64,
    queries: &[(u64, (u32, TraversalOptions))],
) -> std::result::Result<(), TestCaseError> {
    prop_assert_eq!(copy.version(), crate::version(r).unwrap());
    for (root, (depth, opts)) in queries {
        let root = 1 + (root - 1) % entities;
        let tables = neighborhood(r, root, *depth, opts);
        let copied = crate::neighborhood_with(r, Some(copy), root, *depth, opts);
        prop_assert_eq!(
            format!("{tables:?}"),
            format!("{copied:?}"),
            "root {} {:?}",
            root,
            opts
        );
        let other = 1 + root % entities;
        let tables = crate::paths(r, root, other, *depth, opts);
        let copied = crate::paths_with(r, Some(copy), root, other, *depth, opts);
        prop_assert_eq!(format!("{tables:?}"), format!("{copied:?}"));
        let pred = opts.predicates.first().map(String::as_str);
        let tables = crate::edges(r, root, pred, opts.direction, opts.as_of);
        let copied = crate::edges_with(r, Some(copy), root, pred, opts.direction, opts.as_of);
        prop_assert_eq!(format!("{tables:?}"), format!("{copied:?}"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A copy built from one state and caught up over later changes (new edges, supersession,
    /// invalidation, deletes, a deleted entity, new entities) reads exactly as the tables do.
    #[test]
    fn a_copy_reads_as_the_tables(
        entities in 2u64..24,
        first in proptest::collection::vec(op(23), 0..60),
        later in proptest::collection::vec(op(26), 0..40),
        doomed in proptest::option::of(1u64..24),
        queries in proptest::collection::vec((1u64..24, query()), 1..10),
    ) {
        let keep = |ops: Vec<Op>, n: u64| -> Vec<Op> {
            ops.into_iter()
                .filter(|o| !matches!(o, Op::Add(s, _, o, _, _) if *s > n || *o > n))
                .collect()
        };
        let first = keep(first, entities);
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("g.redb")).unwrap();
        build(&db, entities, &first);
        let r = db.begin_read().unwrap();
        let mut copy = GraphCopy::build(&r, usize::MAX, &|| false).unwrap().unwrap();
        assert_copy_reads_as_the_tables(&r, &copy, entities, &queries)?;
        drop(r);

        // Later changes, in two transactions: three new entities, more edges, one entity gone.
        let w = db.begin_write().unwrap();
        for i in entities + 1..=entities + 3 {
            crate::create_entity(&w, &crate::NewEntity::named(format!("e{i}"), i)).unwrap();
        }
        let mut added = Vec::new();
        apply(&w, &keep(later.clone(), entities + 3), &mut added);
        w.commit().unwrap();
        let stale = db.begin_read().unwrap();
        let w = db.begin_write().unwrap();
        if let Some(d) = doomed.filter(|d| *d <= entities) {
            crate::delete_entity(&w, d).unwrap();
        }
        w.commit().unwrap();

        let r = db.begin_read().unwrap();
        let n = entities + 3;
        let caught = copy.catch_up(&r, usize::MAX, usize::MAX).unwrap();
        prop_assert!(matches!(caught, CatchUp::Applied(_)), "{:?}", caught);
        let live: Vec<_> = queries
            .iter()
            .filter(|(root, _)| Some(1 + (root - 1) % n) != doomed)
            .cloned()
            .collect();
        assert_copy_reads_as_the_tables(&r, &copy, n, &live)?;
        let fresh = GraphCopy::build(&r, usize::MAX, &|| false).unwrap().unwrap();
        prop_assert_eq!(fresh.bytes(), copy.bytes());
        // A snapshot older than the copy reads the tables (the copy is not of its version).
        if crate::version(&stale).unwrap() < copy.version() {
            prop_assert_eq!(
                copy.catch_up(&stale, usize::MAX, usize::MAX).unwrap(),
                CatchUp::Rebuild
            );
        }
        for (root, (depth, opts)) in &live {
            let root = 1 + (root - 1) % entities;
            let a = neighborhood(&stale, root, *depth, opts).unwrap();
            let b = crate::neighborhood_with(&stale, Some(&fresh), root, *depth, opts).unwrap();
            prop_assert_eq!(a, b);
        }
    }
}

/// A copy that falls behind by more changes than the log keeps, or over a repair, rebuilds;
/// one over its byte budget is not made.
#[test]
fn a_copy_rebuilds_when_the_log_does_not_reach_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(dir.path().join("g.redb")).unwrap();
    build(&db, 4, &[Op::Add(1, 0, 2, 1, 0)]);
    let r = db.begin_read().unwrap();
    let copy = GraphCopy::build(&r, usize::MAX, &|| false)
        .unwrap()
        .unwrap();
    assert!(GraphCopy::build(&r, 64, &|| false).unwrap().is_none());
    assert!(GraphCopy::build(&r, usize::MAX, &|| true)
        .unwrap()
        .is_some()); // too small to ask
    drop(r);

    let w = db.begin_write().unwrap();
    crate::repair(&w, &|_| true).unwrap();
    w.commit().unwrap();
    let mut behind = copy;
    let r = db.begin_read().unwrap();
    assert_eq!(
        behind.catch_up(&r, usize::MAX, usize::MAX).unwrap(),
        CatchUp::Rebuild
    );
    let mut copy = GraphCopy::build(&r, usize::MAX, &|| false)
        .unwrap()
        .unwrap();
    drop(r);

    let w = db.begin_write().unwrap();
    for i in 0..crate::tables::KEEP_CHANGES + 2048 {
        let mut t = NewTriple::new("", "p0", "", i);
        (t.subject, t.object) = (EntityRef::Id(1 + i % 4), EntityRef::Id(1 + (i + 1) % 4));
        crate::add_triple(&w, &t).unwrap();
    }
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(copy.catch_up(&r, 2, usize::MAX).unwrap(), CatchUp::Rebuild);
    let fresh = GraphCopy::build(&r, usize::MAX, &|| false)
        .unwrap()
        .unwrap();
    assert_eq!(fresh.version(), crate::version(&r).unwrap());
    assert_eq!(
        neighborhood(&r, 1, 2, &TraversalOptions::default()).unwrap(),
        crate::neighborhood_with(&r, Some(&fresh), 1, 2, &TraversalOptions::default()).unwrap()
    );
}

/// A copy within its limit catches up; past it, it says so and stays as it was.
#[test]
fn a_copy_catches_up_within_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(dir.path().join("g.redb")).unwrap();
    build(&db, 6, &[Op::Add(1, 0, 2, 1, 0)]);
    let r = db.begin_read().unwrap();
    let mut copy = GraphCopy::build(&r, usize::MAX, &|| false)
        .unwrap()
        .unwrap();
    drop(r);
    build_more(&db, &[Op::Add(3, 0, 4, 1, 0), Op::Add(5, 1, 6, 1, 0)]);
    let r = db.begin_read().unwrap();
    let before = copy.version();
    assert_eq!(copy.catch_up(&r, 3, usize::MAX).unwrap(), CatchUp::TooMany);
    assert_eq!(copy.version(), before);
    assert_eq!(
        copy.catch_up(&r, 4, usize::MAX).unwrap(),
        CatchUp::Applied(4)
    );
    assert_eq!(
        copy.catch_up(&r, 0, usize::MAX).unwrap(),
        CatchUp::Applied(0)
    );
    drop(r);

    // One call touching more entities than it lists (a bulk load): the copy is rebuilt.
    let w = db.begin_write().unwrap();
    let bulk: Vec<NewTriple> = (0..40)
        .map(|i| NewTriple::new(&format!("a{i}"), "p0", &format!("b{i}"), 2))
        .collect();
    crate::add_triples(&w, &bulk).unwrap();
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(
        copy.catch_up(&r, usize::MAX, usize::MAX).unwrap(),
        CatchUp::Rebuild
    );
}

fn build_more(db: &redb::Database, ops: &[Op]) {
    let w = db.begin_write().unwrap();
    apply(&w, ops, &mut Vec::new());
    w.commit().unwrap();
}

/// The caps and filters on a fixed graph where each of them changes the answer.
#[test]
fn caps_and_filters_match_the_reference_on_a_hub() {
    let dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(dir.path().join("g.redb")).unwrap();
    let mut ops = Vec::new();
    for i in 2..=12u64 {
        ops.push(Op::Add(1, (i % 4) as u8, i, i, (i % 3) as u8));
        ops.push(Op::Add(i, 0, 1 + i % 11, 50, 1));
    }
    ops.push(Op::Add(1, 1, 3, 60, 0)); // p1 is single-valued: closes 1 -p1-> 5 and 1 -p1-> 9
    ops.push(Op::Invalidate(4, 70));
    ops.push(Op::Delete(7));
    build(&db, 12, &ops);
    let r = db.begin_read().unwrap();
    let mut seen_cut = false;
    for depth in 0..4 {
        for fanout in [1, 2, 3, 1_000] {
            for cap in [2, 5, 100_000] {
                for as_of in [None, Some(55), Some(65), Some(200)] {
                    for preds in [
                        vec![],
                        vec!["p0".to_string()],
                        vec!["p1".into(), "p3".into()],
                    ] {
                        let opts = TraversalOptions {
                            predicates: preds,
                            as_of,
                            max_fanout: fanout,
                            max_entities: cap,
                            ..Default::default()
                        };
                        let fast = neighborhood(&r, 1, depth, &opts).unwrap();
                        seen_cut |= !fast.cut.is_empty();
                        assert_eq!(fast, reference(&r, 1, depth, &opts), "{depth} {opts:?}");
                    }
                }
            }
        }
    }
    assert!(seen_cut);
}

/// Damaged records read through a copy fail as they do from the tables (the copy checks each
/// record's crc when it copies it and again, with the error, when it returns an unsound one).
#[test]
fn a_copy_reports_damaged_records_as_the_tables_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(dir.path().join("g.redb")).unwrap();
    build(
        &db,
        5,
        &[
            Op::Add(1, 0, 2, 1, 0),
            Op::Add(2, 0, 3, 1, 1),
            Op::Add(4, 2, 5, 1, 0),
        ],
    );
    let w = db.begin_write().unwrap();
    {
        use redb::ReadableTable;
        let mut ents = w.open_table(crate::tables::ENTITIES).unwrap();
        let mut bad = ents.get(3).unwrap().unwrap().value().to_vec();
        *bad.last_mut().unwrap() ^= 0x55;
        ents.insert(3, bad.as_slice()).unwrap();
        let mut out = w.open_table(OUT).unwrap();
        let key = out.first().unwrap().unwrap().0.value();
        let k4 = out.last().unwrap().unwrap().0.value();
        let mut bad = out.get(k4).unwrap().unwrap().value().to_vec();
        *bad.last_mut().unwrap() ^= 0x55;
        out.insert(k4, bad.as_slice()).unwrap();
        assert_ne!(key, k4);
    }
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let copy = GraphCopy::build(&r, usize::MAX, &|| false)
        .unwrap()
        .unwrap();
    for root in 1..=5 {
        for depth in 0..3 {
            let opts = TraversalOptions::default();
            let a = neighborhood(&r, root, depth, &opts);
            let b = crate::neighborhood_with(&r, Some(&copy), root, depth, &opts);
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{root} {depth}");
        }
    }
    assert!(neighborhood(&r, 2, 1, &TraversalOptions::default()).is_err());
    assert!(neighborhood(&r, 4, 1, &TraversalOptions::default()).is_err());
}
