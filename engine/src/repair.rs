//! `repair`: rebuilds what is derived and restores what the log can restore.
//!
//! 1. Replays the log (unreadable pages are reported and skipped) into the last state of each memory.
//! 2. A record that fails to decode is replaced by its replayed state; one the log does not know is
//!    removed and reported as unrecoverable. A memory the log says exists but that has no record is
//!    restored.
//! 3. Bitmaps, `by_created` and the dedup index are cleared and rebuilt from the records.
//! 4. The graph's derived tables are rebuilt from its primary ones ([`memspine_graph::repair`]):
//!    in-edges and the edge index from the out-edges, the name index from the entity records,
//!    each memory-link table from both; links to memories that no longer exist are removed.
//!
//! Everything happens in one write transaction: a crash during repair leaves the database as it was.

use std::collections::BTreeMap;

use redb::ReadableTable;
use serde::Serialize;

use crate::bitmaps::{self, BitmapDelta};
use crate::db::Spine;
use crate::error::Result;
use crate::log::{page, LogRecord};
use crate::memory::record::{self, StoredMemory};
use crate::schema::{ACCESS, BITMAPS, BY_CREATED, DEDUP, LOG_PAGES, LOG_TAIL, MEMORIES};
use crate::verify::replay_into;

/// What `repair` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairReport {
    /// Records replaced from the log because they failed to decode.
    pub restored_records: Vec<u64>,
    /// Records the log knew but the table had lost.
    pub recreated_records: Vec<u64>,
    /// Bad records the log could not restore (removed).
    pub unrecoverable_records: Vec<u64>,
    /// Log pages or tail records that could not be read (their events are lost to replay).
    pub unreadable_log: Vec<String>,
    /// Bitmap chunks rewritten.
    pub bitmaps_rebuilt: u64,
    /// What the graph's rebuild did (in-edges and edge index from out-edges, names from
    /// entities, links from their mirrors; links to memories that no longer exist removed).
    pub graph: memspine_graph::GraphRepair,
}

impl Spine {
    /// Repairs the database (see the module docs) and returns what it did.
    pub fn repair(&self) -> Result<RepairReport> {
        let mut report = RepairReport::default();
        let replayed = self.replay_tolerant(&mut report)?;
        self.write(|txn, _c, _now| {
            self.inner.records.touch_all();
            let mut memories = txn.open_table(MEMORIES)?;
            let mut good: BTreeMap<u64, StoredMemory> = BTreeMap::new();
            let mut bad = Vec::new();
            for e in memories.iter()? {
                let (k, v) = e?;
                match record::decode(k.value(), v.value()) {
                    Ok(m) => {
                        good.insert(k.value(), m);
                    }
                    Err(_) => bad.push(k.value()),
                }
            }
            for id in bad {
                match replayed.get(&id) {
                    Some(m) => {
                        memories.insert(id, record::encode(m)?.as_slice())?;
                        good.insert(id, m.clone());
                        report.restored_records.push(id);
                    }
                    None => {
                        memories.remove(id)?;
                        report.unrecoverable_records.push(id);
                    }
                }
            }
            for (id, m) in &replayed {
                if !good.contains_key(id) {
                    memories.insert(*id, record::encode(m)?.as_slice())?;
                    good.insert(*id, m.clone());
                    report.recreated_records.push(*id);
                }
            }
            // An access row exists only for a memory (the access flush counts on it).
            txn.open_table(ACCESS)?
                .retain(|id, _| good.contains_key(&id))?;
            rebuild_indexes(txn, &good, &mut report)?;
            report.graph = memspine_graph::repair(txn, &|m| good.contains_key(&m))?;
            Ok(())
        })?;
        Ok(report)
    }

    /// Replays every readable log record; unreadable pages and tail records are reported.
    fn replay_tolerant(&self, report: &mut RepairReport) -> Result<BTreeMap<u64, StoredMemory>> {
        let s = self.snapshot()?;
        let mut state = BTreeMap::new();
        let mut apply = |r: LogRecord| replay_into(&mut state, r.body);
        let pages = s.txn.open_table(LOG_PAGES)?;
        for e in pages.iter()? {
            let (k, v) = e?;
            match page::decode(v.value(), false) {
                Ok(recs) => recs.into_iter().for_each(&mut apply),
                Err(err) => report
                    .unreadable_log
                    .push(format!("page {}: {err}", k.value())),
            }
        }
        let tail = s.txn.open_table(LOG_TAIL)?;
        for e in tail.iter()? {
            let (k, v) = e?;
            match crate::log::decode_tail(v.value()) {
                Ok(r) => apply(r),
                Err(err) => report
                    .unreadable_log
                    .push(format!("tail record {}: {err}", k.value())),
            }
        }
        Ok(state)
    }
}

fn rebuild_indexes(
    txn: &redb::WriteTransaction,
    records: &BTreeMap<u64, StoredMemory>,
    report: &mut RepairReport,
) -> Result<()> {
    let mut bm = txn.open_table(BITMAPS)?;
    bm.retain(|_, _| false)?;
    let mut by_created = txn.open_table(BY_CREATED)?;
    by_created.retain(|_, _| false)?;
    let mut dedup = txn.open_table(DEDUP)?;
    dedup.retain(|_, _| false)?;
    let mut delta = BitmapDelta::default();
    for (id, m) in records {
        for l in bitmaps::labels(m) {
            delta.add(&l, *id);
        }
        by_created.insert((m.created_at, *id), ())?;
        let (scope, hash) = crate::write::dedup_key(m);
        dedup.insert((scope.as_str(), hash, *id), ())?;
    }
    report.bitmaps_rebuilt = delta.chunks() as u64;
    delta.apply(&mut bm)
}
