//! The compactor against the real engine, with an injected clock: a 90-day simulation checked
//! day by day against the policy, dry run equal to the real run, log compaction that changes no
//! event, retention, the background worker, and searches running during compaction.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use memspine::{
    Action, CompactOptions, CompactorConfig, Durability, Filter, LogCompaction, ManualClock,
    Memory, MemoryId, NewMemory, Options, SearchMode, SearchOptions, Spine, CONSOLIDATED,
};
use memspine_compaction::{Tier, MICROS_PER_DAY};

const DAY: Duration = Duration::from_secs(86_400);

fn open_at(path: &std::path::Path, t: u64) -> (Spine, ManualClock) {
    open_with(path, t, memspine::EmbedderChoice::Default)
}

fn open_with(
    path: &std::path::Path,
    t: u64,
    embedder: memspine::EmbedderChoice,
) -> (Spine, ManualClock) {
    let clock = ManualClock::new(t);
    let opts = Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::None,
        embedder,
        ..Options::default()
    };
    (Spine::open(path, opts).unwrap(), clock)
}

/// A database without vectors: its log pages are all text, which a merge compresses better.
fn open_text_only(path: &std::path::Path, t: u64) -> (Spine, ManualClock) {
    open_with(path, t, memspine::EmbedderChoice::None)
}

const TOPICS: &[&str] = &[
    "the weather in Lisbon",
    "a recipe for lentil soup",
    "the quarterly budget review",
    "a bug in the login page",
    "planning a hiking trip",
    "the new espresso machine",
    "a book about Roman history",
    "the team offsite agenda",
];

fn expected_tier(created: u64, now: u64) -> Tier {
    let age = now - created;
    if age < 7 * MICROS_PER_DAY {
        Tier::Recent
    } else if age < 30 * MICROS_PER_DAY {
        Tier::Medium
    } else {
        Tier::Old
    }
}

fn tier_of(a: &Action) -> Option<Tier> {
    match a {
        Action::Keep { tier, .. }
        | Action::Demote { tier, .. }
        | Action::Archive { tier, .. }
        | Action::Delete { tier, .. } => Some(*tier),
        Action::Consolidate { .. } => None,
    }
}

/// Content and the fields the compactor must never touch on a kept memory.
fn unchanged(a: &Memory, b: &Memory) -> bool {
    (
        &a.content,
        &a.kind,
        &a.tags,
        a.pinned,
        a.archived,
        a.importance,
        a.created_at,
    ) == (
        &b.content,
        &b.kind,
        &b.tags,
        b.pinned,
        b.archived,
        b.importance,
        b.created_at,
    )
}

#[test]
fn ninety_day_simulation_follows_the_policy_day_by_day() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let (db, clock) = open_at(&path, common::T0);
    let opts = CompactOptions::default();
    let mut created: BTreeMap<u64, u64> = BTreeMap::new();
    let mut pinned: BTreeMap<u64, Memory> = BTreeMap::new();
    let mut important: BTreeSet<u64> = BTreeSet::new();
    let mut consolidated_total = 0;
    for day in 0..90u64 {
        let session = format!("day-{day}");
        let mut batch = Vec::new();
        for i in 0..6 {
            let topic = TOPICS[((day * 7 + i * 3) % TOPICS.len() as u64) as usize];
            batch.push(
                NewMemory::new(format!("On day {day} we talked about {topic} ({i})."))
                    .kind("interaction")
                    .user("alice")
                    .agent("bot")
                    .session(session.clone()),
            );
        }
        // A repeated fact, phrased a little differently each day.
        batch.push(
            NewMemory::new(format!(
                "Alice mentioned again that her favourite colour is blue (day {day})."
            ))
            .kind("interaction")
            .user("alice")
            .agent("bot")
            .session(session.clone()),
        );
        let ids = db.store_batch(batch).unwrap();
        for id in &ids {
            created.insert(id.0, db.get(*id).unwrap().created_at);
        }
        if day % 10 == 0 {
            let id = db
                .store(
                    NewMemory::new(format!("Alice's passport number changed on day {day}."))
                        .kind("fact")
                        .importance(0.9)
                        .user("alice")
                        .agent("bot")
                        .session(session.clone()),
                )
                .unwrap();
            created.insert(id.0, db.get(id).unwrap().created_at);
            important.insert(id.0);
        }
        if day == 0 || day == 45 {
            let id = db
                .store(
                    NewMemory::new(format!("Always answer Alice in French (set on day {day})."))
                        .user("alice")
                        .agent("bot")
                        .pinned(true),
                )
                .unwrap();
            created.insert(id.0, db.get(id).unwrap().created_at);
            pinned.insert(id.0, db.get(id).unwrap());
        }

        // End of the day: the dry run, then the real pass at the same instant.
        clock.advance(DAY);
        let now = db.now();
        let before: BTreeMap<u64, Memory> = db
            .get_many(&created.keys().map(|&i| MemoryId(i)).collect::<Vec<_>>())
            .unwrap()
            .into_iter()
            .map(|m| (m.id.0, m))
            .collect();
        let dry = db.compact_with(&opts, true).unwrap();
        let real = db.compact_with(&opts, false).unwrap();
        assert_eq!(
            dry.plan, real.plan,
            "day {day}: the dry run equals the real run"
        );
        assert!(dry.stats.dry_run && !real.stats.dry_run);
        assert!(real.skipped.is_empty(), "day {day}: {:?}", real.skipped);

        for a in &real.plan.actions {
            for id in a.ids() {
                let Some(&c) = created.get(id) else {
                    continue; // a consolidated memory made by an earlier pass
                };
                // Tier boundaries exact.
                match tier_of(a) {
                    Some(t) => assert_eq!(t, expected_tier(c, now), "day {day}: memory {id}"),
                    None => assert_eq!(expected_tier(c, now), Tier::Old, "day {day}: {id}"),
                }
                if expected_tier(c, now) == Tier::Recent {
                    assert!(
                        matches!(a, Action::Keep { .. }),
                        "day {day}: recent {id}: {a:?}"
                    );
                }
                if pinned.contains_key(id) {
                    assert!(
                        matches!(a, Action::Keep { .. }),
                        "day {day}: pinned {id}: {a:?}"
                    );
                }
                // Nothing the policy keeps is changed.
                if matches!(a, Action::Keep { .. }) {
                    let now_m = db.get(MemoryId(*id)).unwrap();
                    assert!(
                        unchanged(&before[id], &now_m),
                        "day {day}: kept {id} changed"
                    );
                }
            }
        }
        for (new, originals) in &real.consolidated {
            consolidated_total += 1;
            let m = db.get(*new).unwrap();
            assert_eq!(m.kind, CONSOLIDATED);
            assert_eq!(&m.provenance, originals, "provenance of {new}");
            assert!(!m.archived);
            for o in originals {
                let om = db.get(*o).unwrap();
                assert!(om.archived, "day {day}: original {o} archived");
                assert!(!om.pinned);
                assert_eq!(om.scope.user.as_deref(), Some("alice"));
            }
            // Consolidated memories are searchable.
            let hits = db
                .search(
                    &m.content,
                    &SearchOptions {
                        limit: 10,
                        mode: SearchMode::Lexical,
                        ..Default::default()
                    },
                )
                .unwrap();
            assert!(
                hits.iter().any(|h| h.id == *new),
                "day {day}: {new} not found"
            );
        }
        for (id, m) in &pinned {
            assert!(
                unchanged(m, &db.get(MemoryId(*id)).unwrap()),
                "pinned {id} touched"
            );
        }
        for id in &important {
            assert!(
                !db.get(MemoryId(*id)).unwrap().archived,
                "important {id} archived"
            );
        }
        if day % 15 == 14 {
            let r = db.verify().unwrap();
            assert!(r.is_ok(), "day {day}: {:?}", r.problems);
        }
    }
    assert!(
        consolidated_total > 0,
        "90 days of repeated facts consolidate"
    );
    let h = db.compaction_history().unwrap();
    assert_eq!(h.total.passes, 90);
    assert!(h.total.consolidated_groups > 0);
    // Every pass is an event in the log.
    assert_eq!(db.events_since(0, Some("compaction")).unwrap().len(), 90);
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    drop(db);
    let (db, _) = open_at(&path, common::T0 + 91 * MICROS_PER_DAY);
    assert_eq!(db.compaction_history().unwrap().total.passes, 90);
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn a_memory_pinned_after_a_dry_run_is_not_demoted() {
    let dir = common::temp();
    let (db, clock) = open_at(&common::db_path(&dir), common::T0);
    let id = db
        .store(NewMemory::new("an unimportant remark").kind("interaction"))
        .unwrap();
    clock.advance(20 * DAY);
    let plan = db.compaction_plan(&Default::default()).unwrap();
    assert!(matches!(plan.actions[0], Action::Demote { .. }));
    // Pinned between planning and execution: the compactor re-checks inside its transaction.
    db.update(
        id,
        memspine::MemoryUpdate {
            pinned: Some(true),
            ..Default::default()
        },
    )
    .unwrap();
    let m = db.get(id).unwrap();
    let r = db.compact_with(&CompactOptions::default(), false).unwrap();
    assert!(matches!(r.plan.actions[0], Action::Keep { .. }));
    assert!(unchanged(&m, &db.get(id).unwrap()));
}

#[test]
fn log_compaction_merges_cold_pages_and_changes_no_event() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let (db, clock) = open_text_only(&path, common::T0);
    let mut ids = Vec::new();
    for day in 0..40 {
        for i in 0..60 {
            ids.push(
                db.store(
                    NewMemory::new(format!("event {i} of day {day}"))
                        .user("bob")
                        .importance(0.9)
                        .kind("fact"),
                )
                .unwrap(),
            );
            db.append_event(
                "tool.call",
                serde_json::json!({"day": day, "i": i}),
                Default::default(),
            )
            .unwrap();
        }
        clock.advance(DAY);
    }
    let all_before = db.events_since(0, None).unwrap();
    let hist_before = db.history(ids[5]).unwrap();
    let pages_before = db.stats().unwrap().log_pages;
    let opts = CompactOptions {
        memories: false,
        ..CompactOptions::default()
    };
    let dry = db.compact_with(&opts, true).unwrap();
    let r = db.compact_with(&opts, false).unwrap();
    assert_eq!(
        dry.stats.log_pages_merged + dry.stats.log_pages_recompressed,
        r.stats.log_pages_merged + r.stats.log_pages_recompressed
    );
    assert!(r.stats.log_pages_merged > 0, "{:?}", r.stats);
    let pages_after = db.stats().unwrap().log_pages;
    assert!(
        pages_after < pages_before,
        "{pages_before} -> {pages_after}"
    );
    // Same events (the pass adds its own compaction event at the end).
    let all_after = db.events_since(0, None).unwrap();
    assert_eq!(all_after.len(), all_before.len() + 1);
    for (a, b) in all_before.iter().zip(&all_after) {
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            serde_json::to_value(b).unwrap()
        );
    }
    assert_eq!(
        serde_json::to_value(&hist_before).unwrap(),
        serde_json::to_value(db.history(ids[5]).unwrap()).unwrap()
    );
    // A second pass finds nothing new to rewrite.
    let again = db.compact_with(&opts, false).unwrap();
    assert_eq!(
        again.stats.log_pages_merged + again.stats.log_pages_recompressed,
        0
    );
    assert!(db.verify().unwrap().is_ok());

    // Retention drops old agent events, never memory events.
    let opts = CompactOptions {
        memories: false,
        log: Some(LogCompaction {
            retention: Some(20 * DAY),
            ..LogCompaction::default()
        }),
        ..CompactOptions::default()
    };
    let r = db.compact_with(&opts, false).unwrap();
    assert!(r.stats.log_events_dropped > 0);
    let cutoff = db.now() - 20 * MICROS_PER_DAY;
    let left = db.events_since(0, Some("tool.call")).unwrap();
    assert!(left
        .iter()
        .all(|e| e.timestamp() >= cutoff || e.timestamp() >= cutoff - 7 * MICROS_PER_DAY));
    assert!(left.len() < 40 * 60);
    assert_eq!(
        db.events_since(0, Some("memory.stored")).unwrap().len(),
        40 * 60
    );
    let v = db.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);
    drop(db);
    // Everything derived still rebuilds from the log.
    let (db, _) = open_text_only(&path, common::T0 + 41 * MICROS_PER_DAY);
    assert!(db.verify().unwrap().is_ok());
    assert_eq!(db.get(ids[7]).unwrap().content, "event 7 of day 0");
}

/// Pages whose rewrite would not make them at least a tenth smaller (here: their vectors, raw
/// f32, dominate) are left as they are, and a later pass does not examine them again.
#[test]
fn log_pages_that_would_not_shrink_are_left_alone() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let (db, clock) = open_at(&path, common::T0);
    for day in 0..20 {
        let batch = (0..100)
            .map(|i| NewMemory::new(format!("note {i} of day {day} about {}", TOPICS[i % 8])))
            .collect();
        db.store_batch(batch).unwrap();
        clock.advance(DAY);
    }
    let pages_before = db.stats().unwrap().log_pages;
    let all_before = db.events_since(0, None).unwrap();
    let opts = CompactOptions {
        memories: false,
        ..CompactOptions::default()
    };
    let dry = db.compact_with(&opts, true).unwrap();
    let r = db.compact_with(&opts, false).unwrap();
    assert_eq!(
        r.stats.log_pages_merged + r.stats.log_pages_recompressed,
        0,
        "{:?}",
        r.stats
    );
    assert_eq!(
        dry.stats.log_pages_merged + dry.stats.log_pages_recompressed,
        0
    );
    assert_eq!(db.stats().unwrap().log_pages, pages_before);
    let all_after = db.events_since(0, None).unwrap();
    assert_eq!(all_after.len(), all_before.len() + 1);
    let again = db.compact_with(&opts, false).unwrap();
    assert_eq!(
        again.stats.log_pages_merged + again.stats.log_pages_recompressed,
        0
    );
    assert!(db.verify().unwrap().is_ok());
}

fn old_database(path: &std::path::Path, n: u64) -> (Spine, ManualClock) {
    let (db, clock) = open_at(path, common::T0);
    let batch: Vec<NewMemory> = (0..n)
        .map(|i| {
            NewMemory::new(format!(
                "{} (note {})",
                TOPICS[(i % TOPICS.len() as u64) as usize],
                i / TOPICS.len() as u64 % 3
            ))
            .user(format!("user{}", i % 4))
            .kind("interaction")
        })
        .collect();
    db.store_batch(batch).unwrap();
    clock.advance(60 * DAY);
    (db, clock)
}

#[test]
fn searches_during_compaction_stay_consistent() {
    let dir = common::temp();
    let (db, _clock) = old_database(&common::db_path(&dir), 1500);
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let db = db.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) || n < 20 {
                    let hits = db
                        .search(
                            TOPICS[(n as usize + r) % TOPICS.len()],
                            &SearchOptions {
                                limit: 20,
                                filter: Filter::user(format!("user{}", n % 4)),
                                ..Default::default()
                            },
                        )
                        .unwrap();
                    let ids: BTreeSet<_> = hits.iter().map(|h| h.id).collect();
                    assert_eq!(ids.len(), hits.len(), "duplicate hits");
                    for h in &hits {
                        // Compaction never rewrites content: a hit is what is stored under its id.
                        assert_eq!(db.get(h.id).unwrap().content, h.memory.content);
                        assert_eq!(
                            h.memory.scope.user.as_deref(),
                            Some(format!("user{}", n % 4).as_str())
                        );
                    }
                    n += 1;
                }
                n
            })
        })
        .collect();
    let r = db.compact_now().unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in readers {
        assert!(t.join().unwrap() >= 20);
    }
    assert!(r.stats.consolidated_groups > 0, "{:?}", r.stats);
    assert!(
        r.stats.transactions > 2,
        "bounded transactions: {:?}",
        r.stats
    );
    // After the pass, search sees no archived original, and finds each consolidated memory.
    // (Which memories merge depends on the readers' access counts at planning time, so the
    // check looks the consolidated memories up rather than expecting them in one result.)
    let hits = db.search(TOPICS[0], &SearchOptions::default()).unwrap();
    assert!(hits.iter().all(|h| !db.get(h.id).unwrap().archived));
    for (id, _) in r.consolidated.iter().take(5) {
        let m = db.get(*id).unwrap();
        assert_eq!(m.kind, CONSOLIDATED);
        let found = db
            .search(
                &m.content,
                &SearchOptions {
                    filter: Filter {
                        user: m.scope.user.clone(),
                        kind: Some(CONSOLIDATED.into()),
                        ..Filter::default()
                    },
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(
            found.iter().any(|h| h.id == *id),
            "consolidated {id:?} not found"
        );
    }
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn background_compactor_runs_stops_and_lets_go_of_the_file() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let (db, clock) = old_database(&path, 400);
    drop(db);
    let opts = Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::None,
        compactor: Some(CompactorConfig {
            interval: Duration::from_millis(20),
            options: CompactOptions::default(),
        }),
        ..Options::default()
    };
    let db = Spine::open(&path, opts.clone()).unwrap();
    assert!(db.compactor_running());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while db.compaction_history().unwrap().total.passes == 0 {
        assert!(std::time::Instant::now() < deadline, "no pass ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(db.stats().unwrap().compaction.total.consolidated_groups > 0);
    // Dropping the handle (even mid-pass) closes the database: it reopens at once.
    drop(db);
    let mut db = Spine::open(
        &path,
        Options {
            compactor: None,
            ..opts
        },
    )
    .unwrap();
    assert!(!db.compactor_running());
    assert!(db.verify().unwrap().is_ok());
    let (before, after) = db.reclaim_space().unwrap();
    assert!(after <= before);
    let other = db.clone();
    assert!(matches!(db.reclaim_space(), Err(memspine::Error::Busy(_))));
    drop(other);
}

#[test]
fn stopping_the_worker_mid_pass_and_reopening() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let (db, clock) = old_database(&path, 2000);
    drop(db);
    for i in 0..5u64 {
        let opts = Options {
            clock: Arc::new(clock.clone()),
            durability: Durability::None,
            compactor: Some(CompactorConfig {
                interval: Duration::from_millis(1),
                options: CompactOptions::default(),
            }),
            ..Options::default()
        };
        let db = Spine::open(&path, opts).unwrap();
        std::thread::sleep(Duration::from_millis(5 + i * 7));
        drop(db); // possibly mid-pass
        let db = Spine::open(&path, Options::default()).unwrap();
        let r = db.verify().unwrap();
        assert!(r.is_ok(), "{:?}", r.problems);
    }
}
