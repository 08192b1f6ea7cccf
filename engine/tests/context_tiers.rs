//! The hierarchical tiers in the context window: the recent conversation is the working tier
//! (the current session), every candidate says its tier, and a filter on a tier holds.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::context::Section;
use memspine::{ContextOptions, Filter, MemoryId, NewMemory, Spine, Tier};

const DAY: u64 = 86_400_000_000;

/// Distinct texts (near-identical ones would be collapsed as duplicates).
const WORDS: [&str; 5] = ["apples", "bicycles", "concerts", "dentists", "elections"];

/// Working memories stored first, then yesterday's session (higher ids), then old ones.
fn fill(db: &Spine) -> (Vec<MemoryId>, Vec<MemoryId>, Vec<MemoryId>) {
    let at = |text: String, session: &str, t: u64| {
        NewMemory::new(text)
            .user("alice")
            .session(session)
            .created_at(t)
    };
    let working = (0..5)
        .map(|i| {
            db.store(at(
                format!("now message about {}", WORDS[i as usize]),
                "s-now",
                common::T0 - 600 + i,
            ))
            .unwrap()
        })
        .collect();
    let short = (0..5)
        .map(|i| {
            db.store(at(
                format!("yesterday note on {}", WORDS[i as usize]),
                "s-prev",
                common::T0 - DAY + i,
            ))
            .unwrap()
        })
        .collect();
    let long = (0..5)
        .map(|i| {
            db.store(at(
                format!("old fact of {}", WORDS[i as usize]),
                "s-old",
                common::T0 - 30 * DAY + i,
            ))
            .unwrap()
        })
        .collect();
    (working, short, long)
}

fn recent_ids(w: &memspine::ContextWindow) -> Vec<MemoryId> {
    let mut ids: Vec<_> = w
        .chosen
        .iter()
        .filter(|c| c.section == Section::Recent)
        .map(|c| c.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_recent_conversation_is_the_current_session() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let (working, short, long) = fill(&db);
    let opts = |session: Option<&str>| ContextOptions {
        filter: Filter {
            user: Some("alice".into()),
            current_session: session.map(str::to_owned),
            ..Default::default()
        },
        recent_candidates: 3,
        track_access: false,
        ..Default::default()
    };
    // Without a session: the memories stored last in the filter (the old ones).
    let w = db.llm_context_window("", 4000, &opts(None)).unwrap();
    assert_eq!(recent_ids(&w), long[2..].to_vec());
    // With one: the newest three of that session.
    let w = db
        .llm_context_window("", 4000, &opts(Some("s-now")))
        .unwrap();
    assert_eq!(recent_ids(&w), working[2..].to_vec());
    let conversation = w.text.split("## Recent conversation").nth(1).unwrap();
    assert!(
        conversation.contains("now message about elections"),
        "{}",
        w.text
    );
    assert!(!w.text.contains("yesterday note"), "{}", w.text);
    for c in &w.chosen {
        assert_eq!(c.signals.tier, Some(Tier::Working));
        assert!(c.why.contains("working memory"), "{}", c.why);
    }
    // Every candidate's tier, through the selector.
    let cands = db
        .select_memories("old fact", &opts(Some("s-now")))
        .unwrap();
    assert!(!cands.is_empty());
    for c in cands {
        let expected = if working.contains(&c.memory.id) {
            Tier::Working
        } else if short.contains(&c.memory.id) {
            Tier::ShortTerm
        } else {
            assert!(long.contains(&c.memory.id));
            Tier::LongTerm
        };
        assert_eq!(c.signals.tier, Some(expected), "{:?}", c.memory.id);
    }
}

#[test]
fn a_tier_filter_keeps_the_window_to_that_tier() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let (working, short, long) = fill(&db);
    for (tier, ids) in [
        (Tier::Working, &working),
        (Tier::ShortTerm, &short),
        (Tier::LongTerm, &long),
    ] {
        let opts = ContextOptions {
            filter: Filter {
                user: Some("alice".into()),
                current_session: Some("s-now".into()),
                tier: Some(tier),
                ..Default::default()
            },
            track_access: false,
            ..Default::default()
        };
        let w = db
            .llm_context_window("message note fact", 4000, &opts)
            .unwrap();
        let mut seen: Vec<_> = w.chosen.iter().map(|c| c.id).collect();
        seen.extend(w.dropped.iter().map(|d| d.id));
        seen.sort();
        assert_eq!(&seen, ids, "{tier:?}");
        assert!(w.chosen.iter().all(|c| c.signals.tier == Some(tier)));
    }
}
