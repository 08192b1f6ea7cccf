//! The record cache (`Options::record_cache_bytes`): the same writes on a database with the cache
//! and one without give the same memories and the same context windows, read after read —
//! through stores, updates of every field, deletes, consolidation, access counts pending and
//! flushed, and a repair — and a reader never sees a memory go back to an older version while a
//! writer changes it.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::SplitMix;
use memspine::{
    ContextOptions, Durability, Filter, ManualClock, MemoryId, MemoryUpdate, NewMemory, Options,
    Spine,
};

fn open(path: &std::path::Path, record_cache_bytes: usize) -> Spine {
    let opts = Options {
        clock: Arc::new(ManualClock::new(common::T0)),
        durability: Durability::None,
        record_cache_bytes,
        ..Options::default()
    };
    Spine::open(path, opts).unwrap()
}

const WORDS: [&str; 12] = [
    "invoice", "refund", "password", "alice", "berlin", "order", "late", "paid", "reset", "plan",
    "upgrade", "shipping",
];

fn text(rng: &mut SplitMix) -> String {
    let n = 3 + rng.next() % 6;
    (0..n)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn reads_with_the_cache_equal_reads_without_it() {
    let (a, b) = (common::temp(), common::temp());
    let cached = open(&common::db_path(&a), 64 << 20);
    let plain = open(&common::db_path(&b), 0);
    let both = |f: &dyn Fn(&Spine)| {
        f(&cached);
        f(&plain);
    };
    let mut rng = SplitMix(11);
    let mut ids: Vec<MemoryId> = Vec::new();
    let mut consolidated = 0;
    let pick = |rng: &mut SplitMix, ids: &[MemoryId]| ids[(rng.next() % ids.len() as u64) as usize];
    for step in 0..600 {
        match rng.next() % 10 {
            _ if ids.len() < 8 => {
                let m = NewMemory::new(text(&mut rng))
                    .user(format!("u{}", rng.next() % 3))
                    .pinned(rng.next().is_multiple_of(4));
                let id = cached.store(m.clone()).unwrap();
                assert_eq!(plain.store(m).unwrap(), id);
                ids.push(id);
            }
            0 | 1 => {
                let m = NewMemory::new(text(&mut rng)).user(format!("u{}", rng.next() % 3));
                let id = cached.store(m.clone()).unwrap();
                assert_eq!(plain.store(m).unwrap(), id);
                ids.push(id);
            }
            2 | 3 => {
                let id = pick(&mut rng, &ids);
                let u = match rng.next() % 5 {
                    0 => MemoryUpdate {
                        content: Some(text(&mut rng)),
                        ..Default::default()
                    },
                    1 => MemoryUpdate {
                        tags: Some(vec![WORDS[(rng.next() % 12) as usize].to_string()]),
                        importance: Some((rng.next() % 100) as f32 / 100.0),
                        ..Default::default()
                    },
                    2 => MemoryUpdate {
                        pinned: Some(rng.next().is_multiple_of(2)),
                        ..Default::default()
                    },
                    3 => MemoryUpdate {
                        user: Some(Some(format!("u{}", rng.next() % 3))),
                        ..Default::default()
                    },
                    _ => MemoryUpdate {
                        metadata: Some(serde_json::json!({ "step": step })),
                        ..Default::default()
                    },
                };
                both(&|db| {
                    db.update(id, u.clone()).unwrap();
                });
            }
            4 => {
                let id = pick(&mut rng, &ids);
                both(&|db| db.delete(id).unwrap());
                ids.retain(|&i| i != id);
            }
            5 => {
                let chosen: Vec<MemoryId> = (0..3).map(|_| pick(&mut rng, &ids)).collect();
                both(&|db| db.note_access(&chosen));
                if rng.next().is_multiple_of(2) {
                    both(&|db| db.flush_access().unwrap());
                }
            }
            _ => {}
        }
        if step % 40 == 39 {
            let mut two = vec![pick(&mut rng, &ids), pick(&mut rng, &ids)];
            two.dedup();
            if two.len() == 2 {
                // Refused for memories of different users, on both alike.
                match cached.batch_consolidate(&two) {
                    Ok(id) => {
                        assert_eq!(plain.batch_consolidate(&two).unwrap(), id);
                        ids.retain(|i| !two.contains(i));
                        ids.push(id);
                        consolidated += 1;
                    }
                    Err(_) => assert!(plain.batch_consolidate(&two).is_err()),
                }
            }
        }
        if step % 200 == 150 {
            both(&|db| {
                db.repair().unwrap();
            });
        }
        // Every read twice on the cached database: the first may fill the cache, the second
        // reads what it holds.
        for _ in 0..2 {
            assert_eq!(
                cached.get_many(&ids).unwrap(),
                plain.get_many(&ids).unwrap(),
                "step {step}"
            );
        }
        if step % 10 == 0 {
            let opts = ContextOptions {
                filter: Filter::user(format!("u{}", rng.next() % 3)),
                track_access: step % 20 == 0,
                ..ContextOptions::default()
            };
            let q = text(&mut rng);
            let (x, y) = (
                cached.llm_context_window(&q, 300, &opts).unwrap(),
                plain.llm_context_window(&q, 300, &opts).unwrap(),
            );
            assert_eq!(x.text, y.text, "step {step}");
            let ids_of = |w: &memspine::context::ContextWindow| {
                w.chosen.iter().map(|c| (c.id, c.score)).collect::<Vec<_>>()
            };
            assert_eq!(ids_of(&x), ids_of(&y), "step {step}");
        }
    }
    assert!(consolidated >= 3, "{consolidated}");
    // Both compared equal only because the cache is there to be used.
    let s = cached.stats().unwrap();
    assert!(
        s.record_cache_hits > 1000 && s.record_cache_bytes > 0,
        "{s:?}"
    );
    assert_eq!(plain.stats().unwrap().record_cache_hits, 0);
}

#[test]
fn a_reader_never_sees_a_memory_go_back_to_an_older_version() {
    let dir = common::temp();
    let db = open(&common::db_path(&dir), 64 << 20);
    let ids: Vec<MemoryId> = (0..4)
        .map(|i| db.store(NewMemory::new(format!("v0 of {i}"))).unwrap())
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, ids, done) = (db.clone(), ids.clone(), done.clone());
            std::thread::spawn(move || {
                let mut seen = vec![0u64; ids.len()];
                let mut reads = 0u64;
                while !done.load(Ordering::Relaxed) {
                    for (m, last) in db.get_many(&ids).unwrap().iter().zip(&mut seen) {
                        let v: u64 = m.content[1..m.content.find(' ').unwrap()].parse().unwrap();
                        assert!(v >= *last, "{} after v{last}", m.content);
                        *last = v;
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for v in 1..=300u64 {
        let id = ids[(v % 4) as usize];
        db.update(
            id,
            MemoryUpdate {
                content: Some(format!("v{v} of {}", v % 4)),
                ..Default::default()
            },
        )
        .unwrap();
        if v % 7 == 0 {
            db.note_access(&ids);
            db.flush_access().unwrap();
        }
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let last: Vec<String> = db
        .get_many(&ids)
        .unwrap()
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert_eq!(last, ["v300 of 0", "v297 of 1", "v298 of 2", "v299 of 3"]);
}
