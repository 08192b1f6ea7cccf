//! The neighbourhood as first written (bounded range reads, owned decoding, std hash maps,
//! records through `get_entities`), kept as the reference the fast path must match exactly on
//! random graphs: same entities, distances, records, relations, `cut` and `truncated`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashMap;

use proptest::prelude::*;
use redb::{ReadTransaction, ReadableDatabase};

use crate::codec::{self, OPEN};
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
                added.push(crate::add_triple(&w, &tr).unwrap().edge);
            }
            Op::Invalidate(i, at) if !added.is_empty() => {
                // Errors (already closed, before its start, deleted) leave the graph unchanged.
                let _ = crate::invalidate_triple(&w, added[i % added.len()], at);
            }
            Op::Delete(i) if !added.is_empty() => {
                let _ = crate::delete_triple(&w, added[i % added.len()]);
            }
            _ => {}
        }
    }
    w.commit().unwrap();
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
