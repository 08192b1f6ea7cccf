//! Normalised lookup: case, whitespace, Unicode NFC and aliases; mentions in free text.
#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use memspine_graph::{
    add_alias, create_entity, entities_in_text, find_entity, get_entity, GraphError, NewEntity,
};

#[test]
fn case_whitespace_nfc_and_aliases_find_the_entity() {
    let db = Db::new();
    let mut alice = NewEntity::named("  Alice   Smith ", 1);
    alice.aliases = vec!["Ali".into(), "alice smith".into()];
    alice.kind = Some("person".into());
    alice.metadata = serde_json::json!({"team": "support"});
    let id = db.write(|w| create_entity(w, &alice));
    let cafe = db.write(|w| create_entity(w, &NewEntity::named("Caf\u{e9}", 2)));
    let r = db.read();
    for q in [
        "alice smith",
        "ALICE\tSMITH",
        " alice  smith ",
        "ali",
        "ALI",
    ] {
        assert_eq!(find_entity(&r, q).unwrap(), Some(id), "{q:?}");
    }
    assert_eq!(find_entity(&r, "Cafe\u{301}").unwrap(), Some(cafe));
    assert_eq!(find_entity(&r, "CAF\u{c9}").unwrap(), Some(cafe));
    assert_eq!(find_entity(&r, "bob").unwrap(), None);
    let e = get_entity(&r, id).unwrap().unwrap();
    assert_eq!(e.name, "Alice   Smith");
    assert_eq!(e.aliases, vec!["Ali"]); // the duplicate of the name is dropped
    assert_eq!(e.kind.as_deref(), Some("person"));
    assert_eq!(e.metadata["team"], "support");
}

#[test]
fn names_belong_to_one_entity() {
    let db = Db::new();
    let a = db.write(|w| create_entity(w, &NewEntity::named("Alice", 1)));
    let b = db.write(|w| create_entity(w, &NewEntity::named("Bob", 1)));
    let dup = db.try_write(|w| create_entity(w, &NewEntity::named("ALICE", 2)));
    assert!(matches!(dup, Err(GraphError::NameTaken { entity, .. }) if entity == a));
    let taken = db.try_write(|w| add_alias(w, b, " alice "));
    assert!(matches!(taken, Err(GraphError::NameTaken { entity, .. }) if entity == a));
    db.write(|w| add_alias(w, b, "Robert"));
    db.write(|w| add_alias(w, b, "ROBERT")); // already has it: no-op
    assert_eq!(find_entity(&db.read(), "robert").unwrap(), Some(b));
    assert_eq!(
        get_entity(&db.read(), b).unwrap().unwrap().aliases,
        vec!["Robert"]
    );
    // Triples by name reuse the entity found by normalised lookup.
    db.triple("alice", "knows", "ROBERT", 3);
    assert_eq!(memspine_graph::stats(&db.read()).unwrap().entities, 2);
    db.assert_consistent();
}

#[test]
fn mentions_in_text_prefer_the_longest_name() {
    let db = Db::new();
    db.triple("New York", "in", "USA", 1);
    db.triple("York", "in", "England", 1);
    let mut alice = NewEntity::named("Alice Smith", 1);
    alice.aliases = vec!["Ali".into()];
    let a = db.write(|w| create_entity(w, &alice));
    let text = "Ali flew to new  YORK; later, alice smith (Ali) visited York, England.";
    let m = entities_in_text(&db.read(), text, 10).unwrap();
    let got: Vec<(u64, u32)> = m.iter().map(|m| (m.entity, m.count)).collect();
    let (ny, york, england) = (db.id("new york"), db.id("york"), db.id("england"));
    assert_eq!(got, vec![(a, 3), (ny, 1), (york, 1), (england, 1)]);
    assert_eq!(entities_in_text(&db.read(), text, 2).unwrap().len(), 2);
    assert!(entities_in_text(&Db::new().read(), text, 5)
        .unwrap()
        .is_empty());
}
