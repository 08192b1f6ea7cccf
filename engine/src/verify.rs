//! `verify`: checks every checksum and every cross-structure invariant, and reports what is wrong.
//!
//! Invariants checked:
//! - every memory record and log record/page decodes and passes its crc32;
//! - bitmaps ⇔ records: each bitmap holds exactly the ids whose record carries that label;
//! - `by_created` ⇔ records;
//! - log seqs run 1..next_seq without gaps; the page index mirrors the page headers;
//! - log ⇔ current state: replaying the log's memory events yields exactly the stored records.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use redb::ReadableTable;
use roaring::RoaringBitmap;
use serde::Serialize;

use crate::bitmaps;
use crate::db::Spine;
use crate::error::Result;
use crate::log::{page, EventBody, LogReader};
use crate::memory::record::{self, StoredMemory};
use crate::read::Snapshot;
use crate::schema::{
    self, key, Counters, ACCESS, BITMAPS, BY_CREATED, LOG_PAGES, LOG_PAGE_IDX, MEMORIES, META,
};

/// What `verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// Memory records checked.
    pub memories: u64,
    /// Log events checked.
    pub events: u64,
    /// Sealed log pages checked.
    pub pages: u64,
    /// Bitmaps checked.
    pub bitmaps: u64,
    /// Everything found wrong; empty when the database is sound.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
    pub(crate) fn problem(&mut self, p: impl Into<String>) {
        if self.problems.len() < 1000 {
            self.problems.push(p.into());
        }
    }
}

impl Spine {
    /// Checks checksums and invariants. Returns a report; never modifies the database.
    pub fn verify(&self) -> Result<VerifyReport> {
        crate::db::catch_corruption("verify", || self.verify_inner()).or_else(|e| match e {
            crate::Error::Corrupt { .. } => Ok(VerifyReport {
                problems: vec![e.to_string()],
                ..Default::default()
            }),
            other => Err(other),
        })
    }

    fn verify_inner(&self) -> Result<VerifyReport> {
        let s = self.snapshot()?;
        let mut r = VerifyReport::default();
        let records = check_records(&s, &mut r)?;
        check_bitmaps(&s, &records, &mut r)?;
        check_time_indexes(&s, &records, &mut r)?;
        check_dedup(&s, &records, &mut r)?;
        self.check_arena(&s, &records, &mut r)?;
        check_lexical(&s, &records, &mut r)?;
        check_graph(&s, &records, &mut r)?;
        check_log(&s, &records, &mut r)?;
        Ok(r)
    }
}

fn check_records(s: &Snapshot, r: &mut VerifyReport) -> Result<BTreeMap<u64, StoredMemory>> {
    let t = s.txn.open_table(MEMORIES)?;
    let mut out = BTreeMap::new();
    for e in t.iter()? {
        let (k, v) = e?;
        r.memories += 1;
        match record::decode(k.value(), v.value()) {
            Ok(m) => {
                out.insert(k.value(), m);
            }
            Err(err) => r.problem(err.to_string()),
        }
    }
    let access = s.txn.open_table(ACCESS)?;
    for e in access.iter()? {
        let id = e?.0.value();
        if !out.contains_key(&id) {
            r.problem(format!("access stats for missing memory {id}"));
        }
    }
    let meta = s.txn.open_table(META)?;
    let c: Counters = schema::get_meta(&meta, key::COUNTERS)?.unwrap_or_default();
    if let Some((&max, _)) = out.last_key_value() {
        if max >= c.next_num {
            r.problem(format!("memory id {max} ≥ next id {}", c.next_num));
        }
    }
    Ok(out)
}

fn check_bitmaps(
    s: &Snapshot,
    records: &BTreeMap<u64, StoredMemory>,
    r: &mut VerifyReport,
) -> Result<()> {
    let mut expected: HashMap<String, RoaringBitmap> = HashMap::new();
    for (id, m) in records {
        for l in bitmaps::labels(m) {
            expected.entry(l).or_default().insert(*id as u32);
        }
    }
    let mut stored: HashMap<String, RoaringBitmap> = HashMap::new();
    let t = s.txn.open_table(BITMAPS)?;
    for e in t.iter()? {
        let (k, v) = e?;
        let (name, chunk) = k.value();
        match bitmaps::decode(name, v.value()) {
            Ok(bm) => {
                if bm.iter().any(|id| id >> 16 != chunk) {
                    r.problem(format!(
                        "bitmap {name} chunk {chunk} holds ids of another chunk"
                    ));
                }
                *stored.entry(name.to_owned()).or_default() |= bm;
            }
            Err(err) => r.problem(err.to_string()),
        }
    }
    let names: BTreeSet<&String> = expected.keys().chain(stored.keys()).collect();
    for name in names {
        r.bitmaps += 1;
        let empty = RoaringBitmap::new();
        let want = expected.get(name).unwrap_or(&empty);
        let have = stored.get(name).unwrap_or(&empty);
        if want != have {
            let missing = (want - have).len();
            let extra = (have - want).len();
            r.problem(format!(
                "bitmap {name}: {missing} ids missing, {extra} ids that should not be there"
            ));
        }
    }
    Ok(())
}

fn check_time_indexes(
    s: &Snapshot,
    records: &BTreeMap<u64, StoredMemory>,
    r: &mut VerifyReport,
) -> Result<()> {
    {
        let name = "by_created";
        let pick = |m: &StoredMemory| m.created_at;
        let t = s.txn.open_table(BY_CREATED)?;
        let mut seen = 0usize;
        for e in t.iter()? {
            let (ts, id) = e?.0.value();
            seen += 1;
            match records.get(&id) {
                Some(m) if pick(m) == ts => {}
                _ => r.problem(format!("{name} entry ({ts}, {id}) matches no record")),
            }
        }
        if seen != records.len() {
            r.problem(format!(
                "{name} has {seen} entries for {} records",
                records.len()
            ));
        }
    }
    Ok(())
}

impl Spine {
    /// arena ⇔ redb: every slot passes its crc32; every memory with a vector has its slot
    /// published and holding a vector; `counters.arena_slots` matches the arena.
    fn check_arena(
        &self,
        s: &Snapshot,
        records: &BTreeMap<u64, StoredMemory>,
        r: &mut VerifyReport,
    ) -> Result<()> {
        let Some(vs) = &self.inner.vectors else {
            return Ok(());
        };
        let meta = s.txn.open_table(META)?;
        let committed = schema::get_meta::<Counters>(&meta, key::COUNTERS)?
            .unwrap_or_default()
            .arena_slots;
        // The arena is published just after redb commits: wait for it to catch up with this snapshot.
        let mut snap = vs.snapshot()?;
        for _ in 0..1000 {
            if u64::from(snap.len()) >= committed {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
            snap = vs.snapshot()?;
        }
        if u64::from(snap.len()) < committed {
            r.problem(format!(
                "vector arena holds {} slots, redb committed {committed}",
                snap.len()
            ));
        }
        if let Err(e) = snap.verify() {
            r.problem(format!("vector arena: {e}"));
        }
        if let Err(e) = self.verify_vector_index() {
            r.problem(e.to_string());
        }
        if let Some((scope, slot)) = vs.scopes.verify(&snap) {
            r.problem(format!(
                "scope copy of {scope}: slot {slot} differs from the vector arena"
            ));
        }
        let overrides = vs.overrides()?;
        for (id, m) in records {
            if m.has_vector && snap.vector(overrides.slot_of(*id)).is_none() {
                r.problem(format!("memory {id} has no vector in the arena"));
            }
        }
        Ok(())
    }
}

/// The BM25 index is consistent with itself and indexes exactly the stored memories.
fn check_lexical(
    s: &Snapshot,
    records: &BTreeMap<u64, StoredMemory>,
    r: &mut VerifyReport,
) -> Result<()> {
    match memspine_index::lexical::verify(&s.txn) {
        Ok(problems) => problems
            .into_iter()
            .for_each(|p| r.problem(format!("lexical: {p}"))),
        Err(e) => r.problem(format!("lexical: {e}")),
    }
    match memspine_index::lexical::stats(&s.txn) {
        Ok(st) if st.doc_count != records.len() as u64 => r.problem(format!(
            "lexical index holds {} documents for {} memories",
            st.doc_count,
            records.len()
        )),
        Ok(_) => {}
        Err(e) => r.problem(format!("lexical: {e}")),
    }
    Ok(())
}

/// Graph invariants (out-edges ⇔ in-edges, names ⇔ entities, links both ways) and links only to
/// stored memories.
fn check_graph(
    s: &Snapshot,
    records: &BTreeMap<u64, StoredMemory>,
    r: &mut VerifyReport,
) -> Result<()> {
    match memspine_graph::verify(&s.txn) {
        Ok(problems) => problems
            .into_iter()
            .for_each(|p| r.problem(format!("graph: {p:?}"))),
        Err(e) => r.problem(format!("graph: {e}")),
    }
    let t = s.txn.open_table(memspine_graph::table_defs::MEM_ENT)?;
    for e in t.iter()? {
        let (memory, entity) = e?.0.value();
        if !records.contains_key(&memory) {
            r.problem(format!(
                "graph link from missing memory {memory} to entity {entity}"
            ));
        }
    }
    Ok(())
}

fn check_dedup(
    s: &Snapshot,
    records: &BTreeMap<u64, StoredMemory>,
    r: &mut VerifyReport,
) -> Result<()> {
    let t = s.txn.open_table(crate::schema::DEDUP)?;
    let mut seen = 0usize;
    for e in t.iter()? {
        let entry = e?;
        let (scope, hash, id) = entry.0.value();
        seen += 1;
        match records.get(&id) {
            Some(m) if crate::write::dedup_key(m) == (scope.to_owned(), hash) => {}
            _ => r.problem(format!("dedup entry for id {id} matches no record")),
        }
    }
    if seen != records.len() {
        r.problem(format!(
            "dedup index has {seen} entries for {} records",
            records.len()
        ));
    }
    Ok(())
}

fn check_log(
    s: &Snapshot,
    records: &BTreeMap<u64, StoredMemory>,
    r: &mut VerifyReport,
) -> Result<()> {
    let idx = s.txn.open_table(LOG_PAGE_IDX)?;
    let pages = s.txn.open_table(LOG_PAGES)?;
    for e in pages.iter()? {
        let (k, v) = e?;
        r.pages += 1;
        match page::decode_header(v.value()) {
            Ok(h) => {
                let entry = idx.get(k.value())?.map(|x| x.value());
                match entry {
                    Some((last, min, max, count, _))
                        if (last, min, max, count) == (h.last_seq, h.min_ts, h.max_ts, h.count) => {
                    }
                    _ => r.problem(format!(
                        "page index entry of page {} does not match",
                        k.value()
                    )),
                }
            }
            Err(err) => r.problem(err.to_string()),
        }
    }
    // A log retention drops agent and compaction events: their seqs become gaps.
    let dropped: u64 = {
        let meta = s.txn.open_table(crate::schema::META)?;
        crate::schema::get_meta(&meta, crate::compact::LOG_DROPPED_KEY)?.unwrap_or(0)
    };
    let mut replayed: BTreeMap<u64, StoredMemory> = BTreeMap::new();
    let mut expect_seq = 1u64;
    let mut last_ts = 0u64;
    let res = LogReader::new(&s.txn, &s.spine.inner.log_cache).for_each(false, &mut |rec| {
        r.events += 1;
        if rec.seq != expect_seq && !(dropped > 0 && rec.seq > expect_seq) {
            r.problem(format!(
                "log seq {} where {} was expected",
                rec.seq, expect_seq
            ));
        }
        if rec.ts < last_ts {
            r.problem(format!("log time goes backwards at seq {}", rec.seq));
        }
        expect_seq = rec.seq + 1;
        last_ts = rec.ts;
        replay_into(&mut replayed, rec.body);
        Ok(())
    });
    if let Err(e) = res {
        r.problem(format!("log unreadable: {e}"));
        return Ok(());
    }
    compare_replay(&replayed, records, r);
    Ok(())
}

/// Applies one event to a model of the memories table (replay).
pub(crate) fn replay_into(state: &mut BTreeMap<u64, StoredMemory>, body: EventBody) {
    match body {
        EventBody::MemoryStored { id, memory, .. }
        | EventBody::MemoryUpdated { id, memory, .. } => {
            state.insert(id, memory);
        }
        EventBody::MemoryDeleted { id } => {
            state.remove(&id);
        }
        _ => {}
    }
}

fn compare_replay(
    replayed: &BTreeMap<u64, StoredMemory>,
    records: &BTreeMap<u64, StoredMemory>,
    r: &mut VerifyReport,
) {
    for (id, m) in records {
        match replayed.get(id) {
            Some(x) if x == m => {}
            Some(_) => r.problem(format!("memory {id} differs from its last logged state")),
            None => r.problem(format!("memory {id} has no store event in the log")),
        }
    }
    for id in replayed.keys().filter(|id| !records.contains_key(id)) {
        r.problem(format!("log says memory {id} exists but it has no record"));
    }
}
