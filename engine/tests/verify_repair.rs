//! `verify` finds damage to derived structures and records; `repair` fixes what it can.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Filter, MemoryId, NewMemory, DATA_FILE};
use redb::{ReadableTable, TableDefinition};

const MEMORIES: TableDefinition<u64, &[u8]> = TableDefinition::new("memories");
const BITMAPS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("bitmaps");
const BY_CREATED: TableDefinition<(u64, u64), ()> = TableDefinition::new("by_created");

#[test]
fn repair_rebuilds_derived_structures_and_restores_records_from_the_log() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    {
        let (db, _) = common::open_with_clock(&path);
        let batch = (0..600)
            .map(|i| {
                NewMemory::new(format!("memory {i}"))
                    .user(format!("u{}", i % 3))
                    .tag("t")
            })
            .collect();
        db.store_batch(batch).unwrap();
    }
    // Damage: drop a bitmap chunk, an index entry, corrupt one record and delete another.
    {
        let raw = redb::Database::open(path.join(DATA_FILE)).unwrap();
        let txn = raw.begin_write().unwrap();
        {
            let mut bm = txn.open_table(BITMAPS).unwrap();
            bm.remove(("u:u1", 0)).unwrap();
            let mut bc = txn.open_table(BY_CREATED).unwrap();
            let first = bc.iter().unwrap().next().unwrap().unwrap().0.value();
            bc.remove(first).unwrap();
            let mut m = txn.open_table(MEMORIES).unwrap();
            let mut bytes = m.get(7).unwrap().unwrap().value().to_vec();
            let last = bytes.len() - 1;
            bytes[last] ^= 0x55;
            m.insert(7, bytes.as_slice()).unwrap();
            m.remove(8).unwrap();
        }
        txn.commit().unwrap();
    }
    let db = common::open(&path);
    let before = db.verify().unwrap();
    assert!(!before.is_ok());
    let joined = before.problems.join("\n");
    assert!(joined.contains("memory record 7"), "{joined}");
    assert!(joined.contains("u:u1"), "{joined}");
    let r = db.repair().unwrap();
    assert_eq!(r.restored_records, vec![7]);
    assert_eq!(r.recreated_records, vec![8]);
    assert!(r.unrecoverable_records.is_empty());
    let after = db.verify().unwrap();
    assert!(after.is_ok(), "{:?}", after.problems);
    assert_eq!(db.get(MemoryId(7)).unwrap().content, "memory 6");
    assert_eq!(db.get(MemoryId(8)).unwrap().content, "memory 7");
    assert_eq!(db.filter_ids(&Filter::user("u1")).unwrap().len(), 200);
}

/// An access row whose memory is gone (the access flush trusts a row to mean its memory
/// exists) is found by `verify` and dropped by `repair`.
#[test]
fn repair_drops_access_rows_without_a_memory() {
    const ACCESS: TableDefinition<u64, (u64, u64)> = TableDefinition::new("access");
    let dir = common::temp();
    let path = common::db_path(&dir);
    let kept = {
        let (db, _) = common::open_with_clock(&path);
        let id = db.store(NewMemory::new("kept")).unwrap();
        db.note_access(&[id]);
        id
    };
    {
        let raw = redb::Database::open(path.join(DATA_FILE)).unwrap();
        let txn = raw.begin_write().unwrap();
        txn.open_table(ACCESS)
            .unwrap()
            .insert(9_999, (3, 1))
            .unwrap();
        txn.commit().unwrap();
    }
    let db = common::open(&path);
    let joined = db.verify().unwrap().problems.join("\n");
    assert!(
        joined.contains("access stats for missing memory 9999"),
        "{joined}"
    );
    db.repair().unwrap();
    assert!(db.verify().unwrap().is_ok());
    db.note_access(&[MemoryId(9_999)]);
    db.flush_access().unwrap();
    assert!(db.verify().unwrap().is_ok());
    assert_eq!(db.get(kept).unwrap().access_count, 1);
}
