//! The database-wide bitmaps are decoded once per committed state and shared: a read that
//! starts after a write was acknowledged must see it, whatever another reader cached before.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use memspine::{Filter, MemoryId, NewMemory};

#[test]
fn reads_after_an_acknowledged_write_see_it_while_readers_share_decoded_bitmaps() {
    let dir = common::temp();
    let (db, _clock) = common::open_with_clock(&common::db_path(&dir));
    // Acknowledged state: ids stored and ids deleted so far; `deleting`: ids whose delete has
    // begun (listed before the call, so a read that sees a delete before it is acknowledged
    // finds the id here).
    let stored: Arc<Mutex<Vec<MemoryId>>> = Arc::default();
    let deleted: Arc<Mutex<Vec<MemoryId>>> = Arc::default();
    let deleting: Arc<Mutex<Vec<MemoryId>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, stored, deleted, deleting, done, reads) = (
                db.clone(),
                stored.clone(),
                deleted.clone(),
                deleting.clone(),
                done.clone(),
                reads.clone(),
            );
            std::thread::spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    let must_have: Vec<MemoryId> = stored.lock().unwrap().clone();
                    let must_not: Vec<MemoryId> = deleted.lock().unwrap().clone();
                    let pinned = Filter {
                        pinned: Some(true),
                        ..Filter::default()
                    };
                    let live = db.filter_ids(&Filter::default()).unwrap();
                    let pins = db.filter_ids(&pinned).unwrap();
                    // Deleted while the reads ran: either answer is right.
                    let maybe: Vec<MemoryId> = deleting.lock().unwrap().clone();
                    for id in &must_not {
                        assert!(!live.contains(id), "deleted {id:?} still listed");
                    }
                    for id in must_have.iter().filter(|id| !maybe.contains(id)) {
                        assert!(live.contains(id), "acknowledged {id:?} missing");
                        // Every third memory is pinned.
                        assert_eq!(pins.contains(id), id.0 % 3 == 0, "{id:?}");
                    }
                    reads.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for i in 0..300u64 {
        let m = NewMemory::new(format!("memory {i}")).user("alice");
        let id = db.store(m).unwrap();
        if id.0 % 3 == 0 {
            db.update(
                id,
                memspine::MemoryUpdate {
                    pinned: Some(true),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        stored.lock().unwrap().push(id);
        if i % 10 == 9 {
            let victim = stored.lock().unwrap()[i as usize - 5];
            deleting.lock().unwrap().push(victim);
            db.delete(victim).unwrap();
            deleted.lock().unwrap().push(victim);
        }
    }
    done.store(true, Ordering::SeqCst);
    for r in readers {
        r.join().unwrap();
    }
    assert!(reads.load(Ordering::SeqCst) > 10);
}
