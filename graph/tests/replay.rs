//! Replaying the same ops in the same order on an empty database yields identical state
//! (the engine logs every graph mutation as a `GraphOp` and relies on this).
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::table_defs::{EDGES, ENTITIES, ENT_MEM, IN, MEM_ENT, NAMES, OUT, PRED_NAMES};
use memspine_graph::{EntityRef, GraphOp, NewEntity, NewTriple};
use redb::{ReadableDatabase, ReadableTable};

fn ops() -> Vec<GraphOp> {
    let mut with_memory = NewTriple::new("Alice", "lives_in", "Paris", 100);
    with_memory.memory = Some(1);
    with_memory.context = serde_json::json!({"said": "I moved to Paris"});
    with_memory.confidence = 0.8;
    let mut london = NewTriple::new("alice", "lives_in", "London", 200);
    london.source = "chat".into();
    vec![
        GraphOp::DeclarePredicate {
            name: "lives_in".into(),
            single_valued: true,
        },
        GraphOp::CreateEntity(NewEntity::named("Bob", 50)),
        GraphOp::AddTriple(with_memory),
        GraphOp::AddTriple(london),
        GraphOp::AddTriple(NewTriple::new("Bob", "knows", "Alice", 300)),
        GraphOp::AddAlias {
            entity: 2,
            alias: "Ali".into(),
        },
        GraphOp::LinkMemory {
            memory: 2,
            entities: vec![1, 2],
        },
        GraphOp::MoveLinks {
            from: vec![1],
            to: 3,
        },
        GraphOp::InvalidateTriple { edge: 3, at: 400 },
        GraphOp::AddTriple({
            let mut t = NewTriple::new("", "knows", "Carol", 500);
            t.subject = EntityRef::Id(1);
            t
        }),
        GraphOp::DeleteEntity { entity: 5 },
        GraphOp::UnlinkMemory { memory: 2 },
    ]
}

fn dump(db: &Db) -> Vec<String> {
    let r = db.db.begin_read().unwrap();
    let mut out = Vec::new();
    macro_rules! all {
        ($def:expr) => {
            for row in r.open_table($def).unwrap().iter().unwrap() {
                let (k, v) = row.unwrap();
                out.push(format!(
                    "{} {:?} {:?}",
                    stringify!($def),
                    k.value(),
                    v.value()
                ));
            }
        };
    }
    all!(ENTITIES);
    all!(NAMES);
    all!(PRED_NAMES);
    all!(OUT);
    all!(IN);
    all!(EDGES);
    all!(MEM_ENT);
    all!(ENT_MEM);
    out
}

#[test]
fn replaying_logged_ops_is_exact() {
    let first = Db::new();
    for op in ops() {
        // The engine stores ops as JSON: go through it.
        let json = serde_json::to_string(&op).unwrap();
        let back: GraphOp = serde_json::from_str(&json).unwrap();
        assert_eq!(back, op);
        first.write(|w| op.apply(w));
    }
    let second = Db::new();
    for op in ops() {
        second.write(|w| op.apply(w));
    }
    let d = dump(&first);
    assert!(d.len() > 10);
    assert_eq!(d, dump(&second));
    first.assert_consistent();
    assert_eq!(ops()[2].event_type(), "graph.add_triple");
}
