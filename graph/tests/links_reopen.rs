//! Memory ↔ entity links: both directions, survive reopen, removed on unlink, moved on
//! consolidation.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{
    entities_of_memory, link_memory, memories_about, move_links, unlink_memory, EntityRef,
    GraphError, NewTriple,
};

#[test]
fn links_survive_reopen_and_follow_deletes_and_consolidation() {
    let db = Db::new();
    db.triple("Alice", "knows", "Bob", 1);
    let (a, b) = (db.id("alice"), db.id("bob"));
    db.write(|w| link_memory(w, 10, &[a, b]));
    let mut t = NewTriple::new("Alice", "works_at", "Acme", 2);
    t.memory = Some(11);
    let acme = db.write(|w| memspine_graph::add_triple(w, &t)).object;
    let db = db.reopen();
    let r = db.read();
    assert_eq!(memories_about(&r, a, 100).unwrap(), vec![10, 11]);
    assert_eq!(memories_about(&r, a, 1).unwrap(), vec![10]);
    assert_eq!(entities_of_memory(&r, 10).unwrap(), vec![a, b]);
    assert_eq!(entities_of_memory(&r, 11).unwrap(), vec![a, acme]);
    drop(r);

    assert_eq!(db.write(|w| unlink_memory(w, 10)), 2);
    assert!(entities_of_memory(&db.read(), 10).unwrap().is_empty());
    assert_eq!(
        memories_about(&db.read(), b, 10).unwrap(),
        Vec::<u64>::new()
    );

    db.write(|w| link_memory(w, 12, &[b, a]));
    assert_eq!(db.write(|w| move_links(w, &[11, 12], 20)), 3); // a, acme, b
    let r = db.read();
    assert_eq!(entities_of_memory(&r, 20).unwrap(), vec![a, b, acme]);
    assert!(entities_of_memory(&r, 11).unwrap().is_empty());
    assert_eq!(memories_about(&r, a, 10).unwrap(), vec![20]);
    drop(r);
    db.assert_consistent();

    let bad = db.try_write(|w| link_memory(w, 30, &[999]));
    assert!(matches!(bad, Err(GraphError::UnknownEntity(_))));
    let _ = EntityRef::Id(a);
}
