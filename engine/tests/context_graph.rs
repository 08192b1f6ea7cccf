//! Graph proximity in the selector: memories linked to the entities a query mentions are
//! proposed and ranked up with an explanation, memories linked to a neighbouring entity get half
//! the signal, facts about the entities get their own section, and nothing crosses the caller's
//! scope.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use memspine::context::{DropReason, Section};
use memspine::{ContextOptions, Filter, NewMemory, NewTriple, Weights};

fn ctx_opts() -> ContextOptions {
    ContextOptions {
        filter: Filter::user("alice"),
        track_access: false,
        ..Default::default()
    }
}

#[test]
fn memories_about_mentioned_entities_are_proposed_explained_and_facts_shown() {
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    // The linked memory shares no word with the query and is older than the recent window.
    let about = db
        .store(NewMemory::new("She switched teams last spring").user("alice"))
        .unwrap();
    let fact_src = db
        .store(NewMemory::new("Her new office is downtown").user("alice"))
        .unwrap();
    db.add_triple(NewTriple {
        memory: Some(fact_src.0),
        ..NewTriple::new("Alice", "lives_in", "Munich", 0)
    })
    .unwrap();
    db.link_memory(about, &["Alice"]).unwrap();
    // Another user's memory about Alice and a fact recorded from it must stay out.
    let secret = db
        .store(NewMemory::new("Private note on the same person").user("bob"))
        .unwrap();
    let secret_fact = db
        .add_triple(NewTriple {
            memory: Some(secret.0),
            ..NewTriple::new("Alice", "owes_money_to", "Bob", 0)
        })
        .unwrap();
    for i in 0..30 {
        clock.advance(Duration::from_secs(60));
        db.store(NewMemory::new(format!("filler message {i}")).user("alice"))
            .unwrap();
    }
    // A recent memory linked only to Munich (one relation from Alice).
    let munich = db
        .store(NewMemory::new("Oktoberfest tickets booked").user("alice"))
        .unwrap();
    db.link_memory(munich, &["munich"]).unwrap();

    let w = db
        .llm_context_window("what do we know about ALICE?", 2000, &ctx_opts())
        .unwrap();
    assert_eq!(w.mentioned_entities, vec!["Alice".to_owned()]);
    let c = w
        .chosen
        .iter()
        .find(|c| c.id == about)
        .expect("graph proposed it");
    assert_eq!(c.section, Section::Relevant);
    assert_eq!(c.signals.graph, 1.0);
    assert!(
        c.why
            .contains("linked to entity Alice mentioned in the query"),
        "{}",
        c.why
    );
    let m = w.chosen.iter().find(|c| c.id == munich).unwrap();
    assert_eq!(m.signals.graph, 0.5);
    assert!(m.why.contains("related to Alice"), "{}", m.why);
    // Facts section, with the out-of-scope fact dropped as filtered.
    assert!(
        w.text.contains("## Facts about entities in the query"),
        "{}",
        w.text
    );
    assert!(w.text.contains("Alice lives in Munich"), "{}", w.text);
    assert!(!w.text.contains("owes"), "{}", w.text);
    assert_eq!(w.facts.len(), 1);
    assert!(w
        .dropped_facts
        .iter()
        .any(|d| d.edge == secret_fact.edge && d.reason == DropReason::Filtered));
    let all: Vec<_> = w
        .chosen
        .iter()
        .map(|c| c.id)
        .chain(w.dropped.iter().map(|d| d.id))
        .collect();
    assert!(
        !all.contains(&secret),
        "another user's memory never becomes a candidate"
    );
    // Sections in order: relevant, facts, (recent, when anything is only recent).
    let pos = |h: &str| w.text.find(h).unwrap_or(usize::MAX);
    assert!(pos("## Relevant memories") < pos("## Facts about"));
    assert!(pos("## Facts about") < pos("## Recent conversation"));

    // The graph weight adds w_graph·proximity to the fused score, and a caller can change it.
    let score_of = |cands: &[memspine::context::Candidate]| {
        cands.iter().find(|c| c.memory.id == about).unwrap().score
    };
    let ranked = db.select_memories("Alice", &ctx_opts()).unwrap();
    let no_graph = ContextOptions {
        weights: Weights {
            graph: 0.0,
            ..Weights::default()
        },
        ..ctx_opts()
    };
    let ranked0 = db.select_memories("Alice", &no_graph).unwrap();
    let gain = score_of(&ranked) - score_of(&ranked0);
    assert!((gain - Weights::default().graph).abs() < 1e-5, "{gain}");
}

#[test]
fn no_entities_no_facts_and_tight_budgets_drop_facts() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    for i in 0..12 {
        db.add_triple(NewTriple::new("Acme", "employs", &format!("Person {i}"), 0))
            .unwrap();
    }
    db.store(NewMemory::new("Acme signed the contract").user("alice"))
        .unwrap();
    let w = db
        .llm_context_window("the weather today", 500, &ctx_opts())
        .unwrap();
    assert!(w.mentioned_entities.is_empty());
    assert!(w.facts.is_empty());
    assert!(!w.text.contains("## Facts"));

    let w = db
        .llm_context_window("Acme news", 2000, &ctx_opts())
        .unwrap();
    assert_eq!(w.facts.len(), 10, "graph_facts caps facts per entity");
    let w = db.llm_context_window("Acme news", 45, &ctx_opts()).unwrap();
    assert!(w.tokens_used <= 45);
    assert!(w.facts.len() < 10);
    assert!(w
        .dropped_facts
        .iter()
        .all(|d| d.reason == DropReason::Budget));
    assert!(!w.dropped_facts.is_empty());
}
