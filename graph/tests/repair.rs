//! `repair` rebuilds in-edges, the edge index, names and link mirrors from the primary tables,
//! removes what cannot be restored, and leaves `verify` clean.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::table_defs::{EDGES, ENTITIES, ENT_MEM, IN, MEM_ENT, NAMES, OUT};
use memspine_graph::{edges, link_memory, repair, verify, Direction, GraphRepair};
use redb::ReadableTable;

fn graph() -> Db {
    let db = Db::new();
    db.triple("Alice", "knows", "Bob", 1);
    db.triple("Bob", "works_at", "Acme", 2);
    db.triple("Carol", "knows", "Alice", 3);
    db.triple("Dave", "knows", "Alice", 4);
    let (a, b) = (db.id("alice"), db.id("bob"));
    db.write(|w| link_memory(w, 5, &[a, b]));
    db.write(|w| link_memory(w, 6, &[a]));
    db.assert_consistent();
    db
}

#[test]
fn a_clean_graph_needs_nothing() {
    let db = graph();
    let rep = db.write(|w| repair(w, &|_| true));
    assert!(rep.is_clean(), "{rep:?}");
    // An empty database too.
    assert!(Db::new().write(|w| repair(w, &|_| true)).is_clean());
}

#[test]
fn derived_tables_are_rebuilt_from_the_primary_ones() {
    let db = graph();
    let (alice, bob) = (db.id("alice"), db.id("bob"));
    let w = db.db.begin_write().unwrap();
    let (removed_in, changed_in) = {
        let mut inn = w.open_table(IN).unwrap();
        let mut keys = inn.iter().unwrap().map(|r| r.unwrap().0.value());
        let (a, b) = (keys.next().unwrap(), keys.next().unwrap());
        drop(keys);
        inn.remove(a).unwrap();
        inn.insert(b, (0, 7)).unwrap(); // wrong validity
        inn.insert((bob, 1, 99, 999), (1, u64::MAX)).unwrap(); // no out-edge: lost
        (a, b)
    };
    w.open_table(EDGES).unwrap().remove(changed_in.3).unwrap();
    w.open_table(NAMES).unwrap().remove("bob").unwrap();
    w.open_table(NAMES).unwrap().insert("ghost", alice).unwrap();
    w.open_table(ENT_MEM).unwrap().remove((alice, 5)).unwrap();
    w.open_table(MEM_ENT).unwrap().remove((6, alice)).unwrap();
    w.commit().unwrap();
    assert!(verify(&db.read()).unwrap().len() >= 6);

    let rep = db.write(|w| repair(w, &|_| true));
    let want = GraphRepair {
        lost_edges: vec![999],
        in_edges_fixed: 2,
        edge_index_fixed: 1,
        names_fixed: 2,
        links_fixed: 2,
        ..Default::default()
    };
    assert_eq!(rep, want);
    db.assert_consistent();
    // The in-edge is back: the object sees the edge from its side.
    let r = db.read();
    let back = edges(&r, removed_in.0, None, Direction::In, None).unwrap();
    assert!(back.iter().any(|rel| rel.edge == removed_in.3));
    assert_eq!(memspine_graph::find_entity(&r, "BOB").unwrap(), Some(bob));
    assert_eq!(
        memspine_graph::memories_about(&r, alice, 9).unwrap(),
        [5, 6]
    );
}

#[test]
fn what_cannot_be_restored_is_removed_and_reported() {
    let db = graph();
    let carol = db.id("carol");
    let w = db.db.begin_write().unwrap();
    let bad_edge = {
        let mut out = w.open_table(OUT).unwrap();
        let (k, mut v) = {
            let (k, v) = out.last().unwrap().unwrap();
            (k.value(), v.value().to_vec())
        };
        let end = v.len() - 1;
        v[end] ^= 1;
        out.insert(k, v.as_slice()).unwrap();
        k
    };
    {
        let mut ents = w.open_table(ENTITIES).unwrap();
        let mut rec = ents.get(carol).unwrap().unwrap().value().to_vec();
        rec[6] ^= 0x20;
        ents.insert(carol, rec.as_slice()).unwrap();
    }
    w.commit().unwrap();
    // Memory 6 no longer exists (per the caller).
    let rep = db.write(|w| repair(w, &|m| m != 6));
    assert_eq!(rep.bad_entities, vec![carol]);
    assert_eq!(rep.dropped_edges.len(), 2, "{rep:?}"); // the flipped one and Carol's
    assert!(rep.dropped_edges.contains(&bad_edge));
    assert_eq!(rep.links_dropped, 1);
    db.assert_consistent();
    let s = memspine_graph::stats(&db.read()).unwrap();
    assert_eq!((s.entities, s.edges, s.links), (4, 2, 2));
}
