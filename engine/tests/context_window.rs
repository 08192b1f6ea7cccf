//! The context window: never over budget, pinned first, duplicates collapsed, every candidate's
//! fate explained, semantic relevance used when vectors exist.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use memspine::context::{tokens::TokenCounter, Section};
use memspine::{ContextOptions, Filter, ManualClock, MemoryId, NewMemory, Spine};
use proptest::prelude::*;

fn open_vec(path: &std::path::Path, clock: &ManualClock) -> Spine {
    common::open_vec4(path, clock)
}

fn all_ids(w: &memspine::ContextWindow) -> Vec<MemoryId> {
    w.chosen
        .iter()
        .map(|c| c.id)
        .chain(w.dropped.iter().map(|d| d.id))
        .collect()
}

#[test]
fn pinned_first_then_relevant_then_recent_and_every_candidate_explained() {
    let dir = common::temp();
    let clock = ManualClock::new(common::T0);
    let db = open_vec(&common::db_path(&dir), &clock);
    let pin = db
        .store(
            NewMemory::new("Alice prefers email")
                .user("alice")
                .pinned(true)
                .vector(vec![0.0, 0.0, 0.0, 1.0]),
        )
        .unwrap();
    clock.advance(Duration::from_secs(3600));
    let relevant = db
        .store(
            NewMemory::new("Alice's invoice was paid twice")
                .user("alice")
                .vector(vec![1.0, 0.1, 0.0, 0.0]),
        )
        .unwrap();
    for i in 0..5 {
        clock.advance(Duration::from_secs(60));
        db.store(
            NewMemory::new(format!("small talk {i}"))
                .user("alice")
                .vector(vec![0.0, 1.0, 0.1 * i as f32, 0.0]),
        )
        .unwrap();
    }
    db.store(
        NewMemory::new("Bob's secret")
            .user("bob")
            .vector(vec![1.0, 0.0, 0.0, 0.0]),
    )
    .unwrap();
    let opts = ContextOptions {
        filter: Filter::user("alice"),
        query_vector: Some(vec![1.0, 0.0, 0.0, 0.0]),
        ..Default::default()
    };
    let w = db.llm_context_window("invoice", 500, &opts).unwrap();
    assert!(w.pinned_fit);
    assert_eq!(w.chosen[0].id, pin);
    assert_eq!(w.chosen[0].section, Section::Pinned);
    let rel: Vec<_> = w
        .chosen
        .iter()
        .filter(|c| c.section == Section::Relevant)
        .collect();
    assert_eq!(rel[0].id, relevant, "{:#?}", w.chosen);
    assert!(
        w.text
            .starts_with("## Pinned memories\n- [2026-01-01] alice: Alice prefers email"),
        "{}",
        w.text
    );
    assert!(w.text.contains("## Relevant memories"));
    assert!(!w.text.contains("Bob"), "scope filter");
    assert!(w.tokens_used <= 500);
    let ids = all_ids(&w);
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "each candidate appears once");
    assert_eq!(
        unique.len(),
        7,
        "every alice candidate is chosen or dropped with a reason"
    );
    assert!(w.chosen.iter().all(|c| !c.why.is_empty()));
}

#[test]
fn duplicates_are_collapsed() {
    let dir = common::temp();
    let clock = ManualClock::new(common::T0);
    let db = open_vec(&common::db_path(&dir), &clock);
    let mut ids = Vec::new();
    for i in 0..5 {
        clock.advance(Duration::from_secs(60));
        let text = if i % 2 == 0 {
            "Bob is on the Pro plan."
        } else {
            "bob is on the  PRO plan"
        };
        ids.push(
            db.store(NewMemory::new(text).vector(vec![1.0, 0.0, 0.01 * i as f32, 0.0]))
                .unwrap(),
        );
    }
    db.store(NewMemory::new("Bob lives in Lisbon").vector(vec![0.0, 1.0, 0.0, 0.0]))
        .unwrap();
    let opts = ContextOptions {
        query_vector: Some(vec![1.0, 0.0, 0.0, 0.0]),
        ..Default::default()
    };
    let w = db.llm_context_window("plan", 1000, &opts).unwrap();
    let plan_lines = w
        .text
        .lines()
        .filter(|l| l.to_lowercase().contains("pro plan"))
        .count();
    assert_eq!(plan_lines, 1, "{}", w.text);
    let dups = w
        .dropped
        .iter()
        .filter(|d| matches!(d.reason, memspine::context::DropReason::Duplicate { .. }))
        .count();
    assert_eq!(dups, 4);
}

/// The window skips parsing metadata (it never shows it); the selection API still returns it.
#[test]
fn selected_memories_keep_their_metadata() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let meta = serde_json::json!({"ticket": 42, "tags": ["a", "b"]});
    let id = db
        .store(NewMemory::new("the invoice was paid late").metadata(meta.clone()))
        .unwrap();
    let picked = db
        .select_memories("invoice paid", &ContextOptions::default())
        .unwrap();
    let c = picked.iter().find(|c| c.memory.id == id).unwrap();
    assert_eq!(c.memory.metadata, meta);
    let w = db
        .llm_context_window("invoice paid", 200, &ContextOptions::default())
        .unwrap();
    assert!(w.text.contains("the invoice was paid late"), "{}", w.text);
    assert_eq!(db.get(id).unwrap().metadata, meta);
}

#[test]
fn pinned_that_do_not_fit_are_reported() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    for i in 0..10 {
        db.store(
            NewMemory::new(format!("pinned fact number {i} with some words in it")).pinned(true),
        )
        .unwrap();
    }
    let w = db
        .llm_context_window("anything", 40, &ContextOptions::default())
        .unwrap();
    assert!(!w.pinned_fit);
    assert!(w.tokens_used <= 40);
    assert!(w
        .dropped
        .iter()
        .any(|d| d.reason == memspine::context::DropReason::Budget));
}

/// Counts like a whitespace tokenizer that also splits punctuation: a different counter from
/// the estimator, to check the budget holds for any counter the caller brings.
struct Words;
impl TokenCounter for Words {
    fn count(&self, text: &str) -> usize {
        text.split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
            .filter(|w| !w.is_empty())
            .count()
            + text.chars().filter(|c| c.is_ascii_punctuation()).count()
    }
    fn name(&self) -> &str {
        "words"
    }
}

/// The counters the budget property runs with: the exact BPEs with the cargo feature
/// `tiktoken` (`cargo test -p memspine --features tiktoken --test context_window`), the
/// estimator otherwise.
fn exact_counters() -> Vec<Box<dyn TokenCounter>> {
    #[cfg(feature = "tiktoken")]
    {
        use memspine::context::tokens::Bpe;
        vec![
            Box::new(Bpe::cl100k().unwrap()),
            Box::new(Bpe::o200k().unwrap()),
        ]
    }
    #[cfg(not(feature = "tiktoken"))]
    {
        vec![Box::new(memspine::context::tokens::Estimator)]
    }
}

#[cfg(feature = "tiktoken")]
#[test]
fn the_exact_tokenizer_is_reported_and_counts_the_text() {
    use memspine::context::tokens::Bpe;
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    for i in 0..30 {
        db.store(NewMemory::new(format!(
            "Fact {i}: Alice's order #{i} shipped to Berlin."
        )))
        .unwrap();
    }
    let bpe = Bpe::cl100k().unwrap();
    let w = db
        .llm_context_window_with("order", 60, &ContextOptions::default(), &bpe)
        .unwrap();
    assert_eq!(w.token_counter, "cl100k_base");
    assert_eq!(w.tokens_used, bpe.count(&w.text));
    assert!(w.tokens_used <= 60);
    assert!(!w.chosen.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn never_exceeds_the_budget(budget in 0usize..400, contents in proptest::collection::vec("[a-zA-Z ,.!?é✓🦀\n<|>]{1,120}", 1..25), pins in proptest::collection::vec(any::<bool>(), 25)) {
        let dir = common::temp();
        let (db, clock) = common::open_with_clock(&common::db_path(&dir));
        // The query mentions the entity `query`: its facts compete for the budget too.
        for (i, c) in contents.iter().take(contents.len() % 7).enumerate() {
            db.add_triple(memspine::NewTriple::new("query", "relates_to", &format!("thing {i} {}", c.len()), 0)).unwrap();
        }
        for (i, c) in contents.iter().enumerate() {
            clock.advance(Duration::from_secs(30));
            if c.trim().is_empty() { continue; }
            db.store(NewMemory::new(c.clone()).pinned(pins[i])).unwrap();
        }
        // The candidates, before the windows count their chosen memories as accessed (which
        // changes scores, not who is a candidate).
        let candidates: HashSet<MemoryId> = db
            .select_memories("query", &ContextOptions::default())
            .unwrap()
            .iter()
            .map(|c| c.memory.id)
            .collect();
        let w = db.llm_context_window("query", budget, &ContextOptions::default()).unwrap();
        prop_assert!(w.tokens_used <= budget);
        for counter in exact_counters() {
            let we = db.llm_context_window_with("query", budget, &ContextOptions::default(), counter.as_ref()).unwrap();
            prop_assert_eq!(we.tokens_used, counter.count(&we.text));
            prop_assert!(we.tokens_used <= budget, "{} used {} of {}", counter.name(), we.tokens_used, budget);
        }
        let w2 = db.llm_context_window_with("query", budget, &ContextOptions::default(), &Words).unwrap();
        prop_assert!(Words.count(&w2.text) <= budget);
        // Explain lists every candidate's fate, once: chosen or dropped, never both.
        for w in [&w, &w2] {
            let chosen: HashSet<MemoryId> = w.chosen.iter().map(|c| c.id).collect();
            let dropped: HashSet<MemoryId> = w.dropped.iter().map(|d| d.id).collect();
            prop_assert_eq!(chosen.len(), w.chosen.len());
            prop_assert_eq!(dropped.len(), w.dropped.len());
            prop_assert!(chosen.is_disjoint(&dropped), "{:?} {:?}", chosen, dropped);
            prop_assert_eq!(&chosen | &dropped, candidates.clone());
        }
    }
}

#[test]
fn cli_context_takes_a_tokenizer() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    {
        let (db, _) = common::open_with_clock(&path);
        db.store(NewMemory::new("Alice moved to Berlin in March").user("alice"))
            .unwrap();
    }
    let run = |tok: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_memspine"))
            .args([
                "--db",
                path.to_str().unwrap(),
                "--json",
                "context",
                "Where does Alice live?",
            ])
            .args(["--max-tokens", "100", "--tokenizer", tok])
            .output()
            .unwrap()
    };
    let out = run("estimate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["token_counter"], "estimator(bytes/3)");
    let out = run("cl100k");
    if cfg!(feature = "tiktoken") {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["token_counter"], "cl100k_base");
        assert!(v["tokens_used"].as_u64().unwrap() <= 100);
    } else {
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("tiktoken"), "{err}");
    }
}
