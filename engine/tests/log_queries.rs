//! `query_recent` by hours and type, `recent(count)`, agent events, paging of the log.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use memspine::{NewMemory, Scope};
use serde_json::json;

#[test]
fn query_recent_by_hours_and_type_across_pages() {
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    // 2000 memories, one every 10 minutes (~14 days), plus an agent event every hour.
    for i in 0..2000u64 {
        clock.advance(Duration::from_secs(600));
        db.store(NewMemory::new(format!("m{i}"))).unwrap();
        if i % 6 == 0 {
            db.append_event("tool_call", json!({"i": i}), Scope::default())
                .unwrap();
        }
    }
    let now = clock_now(&db);
    for hours in [0.5, 1.0, 5.0, 24.0, 100.0] {
        let since = now - (hours * 3.6e9) as u64;
        let evs = db.query_recent(hours, Some("memory.stored")).unwrap();
        let brute = db
            .events_since(0, None)
            .unwrap()
            .into_iter()
            .filter(|e| e.timestamp() >= since && e.event_type() == "memory.stored")
            .count();
        assert_eq!(evs.len(), brute, "hours={hours}");
        assert!(
            evs.windows(2).all(|w| w[0].seq() < w[1].seq()),
            "oldest first"
        );
        assert!(evs.iter().all(|e| e.timestamp() >= since));
    }
    let tools = db.query_recent(24.0, Some("tool_call")).unwrap();
    assert_eq!(
        tools.len(),
        24,
        "one per hour, 24h window: {:?}",
        tools.iter().map(|e| e.timestamp()).collect::<Vec<_>>()
    );
    assert_eq!(tools[0].payload()["i"].as_u64().unwrap() % 6, 0);
    assert!(db.query_recent(-1.0, None).is_err());
}

#[test]
fn recent_is_newest_first_by_creation() {
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    for i in 0..50 {
        clock.advance(Duration::from_secs(1));
        db.store(NewMemory::new(format!("m{i}"))).unwrap();
    }
    // An import with an old creation time is not "recent".
    db.store(NewMemory::new("old").created_at(1)).unwrap();
    let r = db.recent(3).unwrap();
    let c: Vec<_> = r.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(c, ["m49", "m48", "m47"]);
    let evs = db.recent_events(2).unwrap();
    assert_eq!(evs[0].payload()["content"], "old");
    assert!(evs[0].seq() > evs[1].seq());
}

#[test]
fn reserved_and_oversized_events_are_rejected() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    assert!(db
        .append_event("memory.fake", json!({}), Scope::default())
        .is_err());
    assert!(db.append_event("", json!({}), Scope::default()).is_err());
    let big = "x".repeat(300 * 1024);
    assert!(matches!(
        db.append_event("note", json!({ "b": big }), Scope::default()),
        Err(memspine::Error::TooLarge { .. })
    ));
    let seq = db
        .append_event(
            "note",
            json!({"ok": true}),
            Scope {
                user: Some("a".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(db.recent_events(1).unwrap()[0].seq(), seq);
}

fn clock_now(db: &memspine::Spine) -> u64 {
    db.now()
}
