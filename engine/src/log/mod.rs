//! The append-only event log: an open tail of single records plus sealed, compressed pages.
//!
//! Every change to a memory and every agent event is one [`LogRecord`]. Records carry everything
//! that is not deterministic (seq, timestamp, ids, full new state, vectors), so replaying the log
//! in seq order on an empty database rebuilds the same state. Event times never go backwards
//! (`ts = max(now, last_ts)`), so pages are in time order and a time window is a suffix of pages.

pub(crate) mod cache;
pub mod page;

use std::sync::Arc;

use redb::{ReadTransaction, ReadableTable, Table, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::clock::Micros;
use crate::error::{Error, Result};
use crate::memory::record::StoredMemory;
use crate::memory::{MemoryId, Scope};
use crate::schema::{Counters, LOG_PAGES, LOG_PAGE_IDX, LOG_TAIL, MEM_EVENTS};

/// A page is sealed when its tail reaches this many events…
pub(crate) const PAGE_MAX_EVENTS: u32 = 256;
/// …or this many encoded bytes.
pub(crate) const PAGE_MAX_BYTES: u64 = 256 * 1024;
/// zstd level for freshly sealed pages (the compactor may recompress cold pages higher).
pub(crate) const SEAL_LEVEL: i32 = 3;
const TAIL_VERSION: u8 = 1;

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Position in the log, from 1, no gaps.
    pub seq: u64,
    /// When it was appended (µs).
    pub ts: Micros,
    /// Who it belongs to.
    pub scope: Scope,
    /// What happened.
    pub body: EventBody,
}

/// What an event records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(private_interfaces)]
pub enum EventBody {
    /// A memory was stored (full state and vector).
    MemoryStored {
        /// Memory id.
        id: u64,
        /// Its state.
        memory: StoredMemory,
        /// Its (normalised) vector, if any.
        vector: Option<Vec<f32>>,
    },
    /// A memory changed (full new state; the vector when it changed).
    MemoryUpdated {
        /// Memory id.
        id: u64,
        /// Its new state.
        memory: StoredMemory,
        /// The new vector, when it changed.
        vector: Option<Vec<f32>>,
        /// The arena slot of the new vector.
        slot: Option<u64>,
    },
    /// A memory was deleted.
    MemoryDeleted {
        /// Memory id.
        id: u64,
    },
    /// Memories were merged into one consolidated memory.
    MemoriesConsolidated {
        /// The consolidated memory.
        into: u64,
        /// The originals.
        sources: Vec<u64>,
    },
    /// An agent-defined event.
    Agent {
        /// Its type.
        event_type: String,
        /// JSON text.
        payload: String,
    },
    /// A graph mutation (JSON of the call, for replay).
    Graph {
        /// Operation name.
        op: String,
        /// JSON text of its inputs.
        payload: String,
    },
    /// What a compaction pass did.
    Compaction {
        /// JSON text of the summary.
        payload: String,
    },
}

impl EventBody {
    /// The event type name shown to callers and used by `query_recent`.
    pub fn type_name(&self) -> &str {
        match self {
            EventBody::MemoryStored { .. } => "memory.stored",
            EventBody::MemoryUpdated { .. } => "memory.updated",
            EventBody::MemoryDeleted { .. } => "memory.deleted",
            EventBody::MemoriesConsolidated { .. } => "memory.consolidated",
            EventBody::Agent { event_type, .. } => event_type,
            EventBody::Graph { op, .. } => op,
            EventBody::Compaction { .. } => "compaction",
        }
    }

    /// The memory this event is about, if any.
    pub fn memory_id(&self) -> Option<u64> {
        match self {
            EventBody::MemoryStored { id, .. }
            | EventBody::MemoryUpdated { id, .. }
            | EventBody::MemoryDeleted { id } => Some(*id),
            EventBody::MemoriesConsolidated { into, .. } => Some(*into),
            _ => None,
        }
    }

    pub(crate) fn take_vector(&mut self) -> Option<Vec<f32>> {
        match self {
            EventBody::MemoryStored { vector, .. } | EventBody::MemoryUpdated { vector, .. } => {
                vector.take()
            }
            _ => None,
        }
    }

    pub(crate) fn put_vector(&mut self, v: Vec<f32>) {
        if let EventBody::MemoryStored { vector, .. } | EventBody::MemoryUpdated { vector, .. } =
            self
        {
            *vector = Some(v);
        }
    }

    fn payload_json(&self) -> serde_json::Value {
        use serde_json::json;
        let parse =
            |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::String(s.into()));
        match self {
            EventBody::MemoryStored { id, memory, .. }
            | EventBody::MemoryUpdated { id, memory, .. } => {
                let m = memory.clone().into_memory(*id, 0, None);
                let mut v = serde_json::to_value(&m).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.remove("access_count");
                    o.remove("last_access");
                }
                v
            }
            EventBody::MemoryDeleted { id } => json!({ "id": id }),
            EventBody::MemoriesConsolidated { into, sources } => {
                json!({ "into": into, "sources": sources })
            }
            EventBody::Agent { payload, .. }
            | EventBody::Graph { payload, .. }
            | EventBody::Compaction { payload } => parse(payload),
        }
    }
}

/// An event as returned to callers. The payload is rendered as JSON only when asked for, so
/// reading a window of thousands of events costs little more than decoding their pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    record: Arc<LogRecord>,
}

impl Event {
    /// Position in the log.
    pub fn seq(&self) -> u64 {
        self.record.seq
    }
    /// When (µs since the epoch).
    pub fn timestamp(&self) -> Micros {
        self.record.ts
    }
    /// Type name (`memory.stored`, …, or the agent's own).
    pub fn event_type(&self) -> &str {
        self.record.body.type_name()
    }
    /// The memory it concerns, if any.
    pub fn memory_id(&self) -> Option<MemoryId> {
        self.record.body.memory_id().map(MemoryId)
    }
    /// Scope.
    pub fn scope(&self) -> &Scope {
        &self.record.scope
    }
    /// The payload as JSON (a memory's state for memory events).
    pub fn payload(&self) -> serde_json::Value {
        self.record.body.payload_json()
    }
    /// The raw log record (for replay).
    pub fn record(&self) -> &LogRecord {
        &self.record
    }
}

impl From<Arc<LogRecord>> for Event {
    fn from(record: Arc<LogRecord>) -> Self {
        Event { record }
    }
}

impl From<LogRecord> for Event {
    fn from(record: LogRecord) -> Self {
        Event {
            record: Arc::new(record),
        }
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("seq", &self.seq())?;
        m.serialize_entry("timestamp", &crate::clock::format_rfc3339(self.timestamp()))?;
        m.serialize_entry("type", self.event_type())?;
        if let Some(id) = self.memory_id() {
            m.serialize_entry("memory_id", &id)?;
        }
        let sc = self.scope();
        for (k, v) in [
            ("user", &sc.user),
            ("session", &sc.session),
            ("agent", &sc.agent),
        ] {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        m.serialize_entry("payload", &self.payload())?;
        m.end()
    }
}

/// A cheap per-page type filter: one bit per hashed type name.
pub(crate) fn type_bit(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    1u64 << (h % 64)
}

/// Encodes a tail record: version byte, crc32 of the rest, postcard body.
pub(crate) fn encode_tail(r: &LogRecord) -> Result<Vec<u8>> {
    let body = postcard::to_allocvec(r)?;
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(TAIL_VERSION);
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decodes a tail record; never panics on bad bytes.
pub fn decode_tail(bytes: &[u8]) -> Result<LogRecord> {
    let (head, body) = bytes
        .split_first_chunk::<5>()
        .ok_or_else(|| Error::corrupt("log tail record", "too short"))?;
    if head[0] != TAIL_VERSION {
        return Err(Error::UnsupportedFormat {
            found: u32::from(head[0]),
            supported: u32::from(TAIL_VERSION),
        });
    }
    let stored = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(Error::ChecksumMismatch {
            what: "log tail record".into(),
            stored,
            computed,
        });
    }
    Ok(postcard::from_bytes(body)?)
}

/// Appends events inside one write transaction. Appended records are buffered and written at
/// [`LogWriter::flush`]: full pages are sealed straight from memory, only the remainder goes to the
/// tail table — a big batch never writes and re-reads its records through the tail.
pub(crate) struct LogWriter<'t> {
    tail: Table<'t, u64, &'static [u8]>,
    pages: Table<'t, u64, &'static [u8]>,
    idx: Table<'t, u64, (u64, u64, u64, u32, u64)>,
    mem_events: Table<'t, (u64, u64), ()>,
    /// Records appended in this transaction.
    pending: Vec<LogRecord>,
}

impl<'t> LogWriter<'t> {
    pub(crate) fn open(txn: &'t WriteTransaction) -> Result<Self> {
        Ok(LogWriter {
            tail: txn.open_table(LOG_TAIL)?,
            pages: txn.open_table(LOG_PAGES)?,
            idx: txn.open_table(LOG_PAGE_IDX)?,
            mem_events: txn.open_table(MEM_EVENTS)?,
            pending: Vec::new(),
        })
    }

    /// Appends one event and returns its seq. Nothing is durable before the transaction commits.
    pub(crate) fn append(
        &mut self,
        c: &mut Counters,
        now: Micros,
        scope: Scope,
        body: EventBody,
    ) -> Result<u64> {
        let seq = c.next_seq.max(1);
        let ts = now.max(c.last_ts);
        let record = LogRecord {
            seq,
            ts,
            scope,
            body,
        };
        // A memory's store event is found through its record's `stored_seq`; only later events
        // (and, at delete, the store seq itself) go into `mem_events`.
        match &record.body {
            EventBody::MemoryStored { .. } => {}
            EventBody::MemoryDeleted { id } | EventBody::MemoryUpdated { id, .. } => {
                self.mem_events.insert((*id, seq), ())?;
            }
            _ => {}
        }
        if let EventBody::MemoriesConsolidated { into, sources } = &record.body {
            for s in sources.iter().chain(std::iter::once(into)) {
                self.mem_events.insert((*s, seq), ())?;
            }
        }
        c.next_seq = seq + 1;
        c.last_ts = ts;
        self.pending.push(record);
        Ok(seq)
    }

    /// Adds an event to a memory's history index (the store event of a memory being deleted).
    pub(crate) fn note_history(&mut self, id: u64, seq: u64) -> Result<()> {
        if seq > 0 {
            self.mem_events.insert((id, seq), ())?;
        }
        Ok(())
    }

    /// Writes the buffered records: seals every full page, leaves the rest in the tail table.
    pub(crate) fn flush(&mut self, c: &mut Counters) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let added: u64 = pending.iter().map(size_hint).sum();
        let full = c.tail_count as usize + pending.len() >= PAGE_MAX_EVENTS as usize
            || c.tail_bytes + added >= PAGE_MAX_BYTES;
        if !full {
            for r in &pending {
                self.tail.insert(r.seq, encode_tail(r)?.as_slice())?;
            }
            c.tail_count += pending.len() as u32;
            c.tail_bytes += added;
            return Ok(());
        }
        let mut page: Vec<LogRecord> = Vec::with_capacity(PAGE_MAX_EVENTS as usize);
        let mut page_bytes = 0u64;
        for entry in self.tail.iter()? {
            let (_, v) = entry?;
            let r = decode_tail(v.value())?;
            page_bytes += size_hint(&r);
            page.push(r);
        }
        self.tail.retain(|_, _| false)?;
        for r in pending {
            page_bytes += size_hint(&r);
            page.push(r);
            if page.len() >= PAGE_MAX_EVENTS as usize || page_bytes >= PAGE_MAX_BYTES {
                self.seal(&mut page)?;
                page.clear();
                page_bytes = 0;
            }
        }
        // What did not fill a page stays in the tail.
        for r in &page {
            self.tail.insert(r.seq, encode_tail(r)?.as_slice())?;
        }
        c.tail_count = page.len() as u32;
        c.tail_bytes = page_bytes;
        Ok(())
    }

    fn seal(&mut self, records: &mut [LogRecord]) -> Result<()> {
        let mask = records
            .iter()
            .fold(0u64, |m, r| m | type_bit(r.body.type_name()));
        let (h, bytes) = page::encode(records, SEAL_LEVEL)?;
        self.pages.insert(h.first_seq, bytes.as_slice())?;
        self.idx
            .insert(h.first_seq, (h.last_seq, h.min_ts, h.max_ts, h.count, mask))?;
        Ok(())
    }
}

/// Approximate encoded size of a record, for the page-size threshold (exactness is not needed).
fn size_hint(r: &LogRecord) -> u64 {
    let body = match &r.body {
        EventBody::MemoryStored { memory, vector, .. }
        | EventBody::MemoryUpdated { memory, vector, .. } => {
            memory.content.len()
                + memory.metadata.len()
                + memory.tags.iter().map(|t| t.len() + 1).sum::<usize>()
                + vector.as_ref().map_or(0, |v| v.len() * 4)
                + 48
        }
        EventBody::MemoriesConsolidated { sources, .. } => sources.len() * 9,
        EventBody::Agent { payload, .. }
        | EventBody::Graph { payload, .. }
        | EventBody::Compaction { payload } => payload.len() + 16,
        EventBody::MemoryDeleted { .. } => 9,
    };
    (body + 24) as u64
}

/// Read access to the log inside one read transaction.
pub(crate) struct LogReader<'a> {
    txn: &'a ReadTransaction,
    cache: &'a cache::DecodedCache,
}

/// The crc a tail record or page carries (the cache key's second half).
fn tail_crc(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([
        bytes.get(1).copied().unwrap_or(0),
        bytes.get(2).copied().unwrap_or(0),
        bytes.get(3).copied().unwrap_or(0),
        bytes.get(4).copied().unwrap_or(0),
    ])
}

impl<'a> LogReader<'a> {
    pub(crate) fn new(txn: &'a ReadTransaction, cache: &'a cache::DecodedCache) -> Self {
        LogReader { txn, cache }
    }

    /// A sealed page's records, from the cache or decoded (and cached).
    fn page_records(&self, first_seq: u64, bytes: &[u8]) -> Result<cache::Records> {
        let key = (first_seq, page::stored_crc(bytes));
        if let Some(r) = self.cache.page(key) {
            return Ok(r);
        }
        let recs: Vec<Arc<LogRecord>> = page::decode(bytes, false)?
            .into_iter()
            .map(Arc::new)
            .collect();
        let recs = Arc::new(recs);
        self.cache.put_page(key, recs.clone());
        Ok(recs)
    }

    fn tail_record(&self, seq: u64, bytes: &[u8]) -> Result<Arc<LogRecord>> {
        let key = (seq, tail_crc(bytes));
        if let Some(r) = self.cache.tail(key) {
            return Ok(r);
        }
        let r = Arc::new(decode_tail(bytes)?);
        self.cache.put_tail(key, r.clone());
        Ok(r)
    }

    /// Events with `ts >= since` (optionally of one type), oldest first. Touches only the tail
    /// and the pages whose time range reaches `since` and whose type mask allows the type.
    pub(crate) fn since(&self, since: Micros, ty: Option<&str>) -> Result<Vec<Arc<LogRecord>>> {
        let keep = |r: &LogRecord| r.ts >= since && ty.is_none_or(|t| r.body.type_name() == t);
        let bit = ty.map(type_bit);
        let mut chunks: Vec<Vec<Arc<LogRecord>>> = vec![self.tail_where(&keep)?];
        let idx = self.txn.open_table(LOG_PAGE_IDX)?;
        let pages = self.txn.open_table(LOG_PAGES)?;
        for entry in idx.iter()?.rev() {
            let (k, v) = entry?;
            let (_, _, max_ts, _, mask) = v.value();
            if max_ts < since {
                break;
            }
            if bit.is_some_and(|b| mask & b == 0) {
                continue;
            }
            let page = pages
                .get(k.value())?
                .ok_or_else(|| Error::corrupt("log", format!("page {} missing", k.value())))?;
            let recs = self.page_records(k.value(), page.value())?;
            chunks.push(recs.iter().filter(|r| keep(r)).cloned().collect());
        }
        Ok(chunks.into_iter().rev().flatten().collect())
    }

    fn tail_where(&self, keep: &dyn Fn(&LogRecord) -> bool) -> Result<Vec<Arc<LogRecord>>> {
        let tail = self.txn.open_table(LOG_TAIL)?;
        let mut out = Vec::new();
        for entry in tail.iter()? {
            let (k, v) = entry?;
            let r = self.tail_record(k.value(), v.value())?;
            if keep(&r) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The newest `count` events, newest first.
    pub(crate) fn newest(&self, count: usize) -> Result<Vec<Arc<LogRecord>>> {
        let mut out = Vec::with_capacity(count);
        let tail = self.txn.open_table(LOG_TAIL)?;
        for entry in tail.iter()?.rev().take(count) {
            let (k, v) = entry?;
            out.push(self.tail_record(k.value(), v.value())?);
        }
        let pages = self.txn.open_table(LOG_PAGES)?;
        for entry in pages.iter()?.rev() {
            if out.len() >= count {
                break;
            }
            let (k, v) = entry?;
            let recs = self.page_records(k.value(), v.value())?;
            out.extend(recs.iter().rev().take(count - out.len()).cloned());
        }
        Ok(out)
    }

    /// Events with the given seqs (sorted ascending), decoding each page at most once.
    pub(crate) fn by_seqs(&self, seqs: &[u64]) -> Result<Vec<LogRecord>> {
        let tail = self.txn.open_table(LOG_TAIL)?;
        let pages = self.txn.open_table(LOG_PAGES)?;
        let mut out = Vec::with_capacity(seqs.len());
        let mut cached: Option<(u64, Vec<LogRecord>)> = None;
        for &seq in seqs {
            if let Some(v) = tail.get(seq)? {
                out.push(decode_tail(v.value())?);
                continue;
            }
            let page_key = match pages.range(..=seq)?.next_back() {
                Some(e) => e?.0.value(),
                None => continue,
            };
            if cached.as_ref().is_none_or(|(k, _)| *k != page_key) {
                let p = pages
                    .get(page_key)?
                    .ok_or_else(|| Error::corrupt("log", "page vanished"))?;
                cached = Some((page_key, page::decode(p.value(), false)?));
            }
            if let Some((_, recs)) = &cached {
                if let Some(r) = recs.iter().find(|r| r.seq == seq) {
                    out.push(r.clone());
                }
            }
        }
        Ok(out)
    }

    /// Visits every record in seq order (pages, then the tail); for replay, rebuild and verify.
    pub(crate) fn for_each(
        &self,
        with_vectors: bool,
        f: &mut dyn FnMut(LogRecord) -> Result<()>,
    ) -> Result<()> {
        let pages = self.txn.open_table(LOG_PAGES)?;
        for entry in pages.iter()? {
            for r in page::decode(entry?.1.value(), with_vectors)? {
                f(r)?;
            }
        }
        let tail = self.txn.open_table(LOG_TAIL)?;
        for entry in tail.iter()? {
            f(decode_tail(entry?.1.value())?)?;
        }
        Ok(())
    }
}
