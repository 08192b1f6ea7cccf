//! `verify` finds hand-made corruption: a missing mirror, a flipped byte, a stale name.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::table_defs::{ENTITIES, IN, MEM_ENT, NAMES, OUT};
use memspine_graph::{link_memory, verify};
use redb::ReadableTable;

fn graph() -> Db {
    let db = Db::new();
    db.triple("Alice", "knows", "Bob", 1);
    db.triple("Bob", "works_at", "Acme", 2);
    let a = db.id("alice");
    db.write(|w| link_memory(w, 5, &[a]));
    db.assert_consistent();
    db
}

fn problems(db: &Db) -> Vec<String> {
    verify(&db.read())
        .unwrap()
        .into_iter()
        .map(|p| format!("{}: {}", p.table, p.message))
        .collect()
}

#[test]
fn a_missing_in_edge_is_reported() {
    let db = graph();
    let w = db.db.begin_write().unwrap();
    {
        let mut inn = w.open_table(IN).unwrap();
        let key = inn.first().unwrap().unwrap().0.value();
        inn.remove(key).unwrap();
    }
    w.commit().unwrap();
    let p = problems(&db);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("no in-edge mirror"), "{p:?}");
}

#[test]
fn a_missing_out_edge_is_reported_from_both_sides() {
    let db = graph();
    let w = db.db.begin_write().unwrap();
    {
        let mut out = w.open_table(OUT).unwrap();
        let key = out.first().unwrap().unwrap().0.value();
        out.remove(key).unwrap();
    }
    w.commit().unwrap();
    let p = problems(&db);
    assert!(p.iter().any(|m| m.contains("no out-edge mirror")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("has no out-edge")), "{p:?}");
}

#[test]
fn a_flipped_byte_fails_the_checksum() {
    let db = graph();
    let w = db.db.begin_write().unwrap();
    {
        let mut out = w.open_table(OUT).unwrap();
        let (k, mut v) = {
            let (k, v) = out.first().unwrap().unwrap();
            (k.value(), v.value().to_vec())
        };
        let last = v.len() - 1;
        v[last] ^= 1;
        out.insert(k, v.as_slice()).unwrap();
        let mut ents = w.open_table(ENTITIES).unwrap();
        let mut rec = ents.get(1).unwrap().unwrap().value().to_vec();
        rec[6] ^= 0x20;
        ents.insert(1, rec.as_slice()).unwrap();
    }
    w.commit().unwrap();
    let p = problems(&db);
    assert!(
        p.iter()
            .any(|m| m.starts_with("graph_out") && m.contains("checksum")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("graph_entities") && m.contains("checksum")),
        "{p:?}"
    );
}

#[test]
fn stale_names_and_one_sided_links_are_reported() {
    let db = graph();
    let w = db.db.begin_write().unwrap();
    {
        w.open_table(NAMES).unwrap().insert("ghost", 1).unwrap();
        w.open_table(NAMES).unwrap().remove("bob").unwrap();
        w.open_table(MEM_ENT).unwrap().insert((9, 2), ()).unwrap();
    }
    w.commit().unwrap();
    let p = problems(&db);
    assert!(p.iter().any(|m| m.contains("\"ghost\"")), "{p:?}");
    assert!(
        p.iter().any(|m| m.contains("\"bob\" is not indexed")),
        "{p:?}"
    );
    assert!(p.iter().any(|m| m.contains("memory 9")), "{p:?}");
}
