//! Scope, tag, kind and state bitmaps (roaring), chunked by the high 16 bits of the id.
//!
//! A bitmap named e.g. `t:billing` is stored as rows `(name, id >> 16) → serialized RoaringBitmap`
//! holding the ids of that 65 536-wide chunk. One write touches one small chunk, never a whole
//! million-entry bitmap; a read unions the chunks (disjoint containers, so cheap).
//!
//! Names: `live` (stored, not archived, not deleted), `archived`, `pinned`, `vec` (has a vector),
//! `u:<user>`, `s:<session>`, `a:<agent>`, `k:<kind>`, `t:<tag>`, and the creation-time buckets
//! `cd:<day>` / `ch:<hour>` (days and hours since the Unix epoch, zero-padded to a fixed width so
//! that name order is time order): a time range is then a few range reads of whole days and hours
//! instead of one `by_created` entry per memory in the window.

use std::collections::HashMap;

use redb::{ReadableTable, Table};
use roaring::RoaringBitmap;

use crate::clock::{DAY, HOUR};
use crate::error::{Error, Result};
use crate::memory::record::StoredMemory;

/// Name of the bitmap of the memories created on `day` (days since the epoch).
pub(crate) fn day_name(day: u64) -> String {
    // 9 digits hold u64::MAX µs in days.
    format!("cd:{day:09}")
}

/// Name of the bitmap of the memories created in `hour` (hours since the epoch).
pub(crate) fn hour_name(hour: u64) -> String {
    // 10 digits hold u64::MAX µs in hours.
    format!("ch:{hour:010}")
}

/// The bitmap names a memory belongs to.
pub(crate) fn labels(m: &StoredMemory) -> Vec<String> {
    let mut out = Vec::with_capacity(6 + m.tags.len());
    out.push(if m.archived { "archived" } else { "live" }.to_owned());
    if m.pinned {
        out.push("pinned".to_owned());
    }
    if m.has_vector {
        out.push("vec".to_owned());
    }
    if let Some(u) = &m.scope.user {
        out.push(format!("u:{u}"));
    }
    if let Some(s) = &m.scope.session {
        out.push(format!("s:{s}"));
    }
    if let Some(a) = &m.scope.agent {
        out.push(format!("a:{a}"));
    }
    out.push(format!("k:{}", m.kind));
    out.extend(m.tags.iter().map(|t| format!("t:{t}")));
    out.extend(time_labels(m.created_at));
    out
}

/// The creation-time bucket bitmaps (day, hour) a memory created at `created_at` belongs to.
pub(crate) fn time_labels(created_at: u64) -> [String; 2] {
    [day_name(created_at / DAY), hour_name(created_at / HOUR)]
}

/// Pending bitmap changes of one write transaction, applied once per touched chunk.
/// Ids added and removed in one chunk.
type ChunkDelta = (Vec<u32>, Vec<u32>);

#[derive(Default)]
pub(crate) struct BitmapDelta {
    /// name → chunk → (adds, removes). Looked up by `&str` so a hot name allocates once.
    changes: HashMap<String, HashMap<u32, ChunkDelta>>,
}

impl BitmapDelta {
    fn chunk(&mut self, name: &str, chunk: u32) -> &mut ChunkDelta {
        // One hash lookup in the common case; the name is allocated only the first time.
        if let Some(m) = self.changes.get_mut(name) {
            // SAFETY-free reborrow dance: return through a second lookup to please the borrow checker.
            if m.contains_key(&chunk) {
                return self
                    .changes
                    .get_mut(name)
                    .and_then(|m| m.get_mut(&chunk))
                    .unwrap_or_else(|| unreachable!("present above"));
            }
        }
        self.changes
            .entry(name.to_owned())
            .or_default()
            .entry(chunk)
            .or_default()
    }

    /// Number of chunks this delta touches.
    pub(crate) fn chunks(&self) -> usize {
        self.changes.values().map(|m| m.len()).sum()
    }

    pub(crate) fn add(&mut self, name: &str, id: u64) {
        let (chunk, id32) = split(id);
        self.chunk(name, chunk).0.push(id32);
    }

    pub(crate) fn remove(&mut self, name: &str, id: u64) {
        let (chunk, id32) = split(id);
        self.chunk(name, chunk).1.push(id32);
    }

    /// Records the move of a memory from `old` labels to `new` labels.
    pub(crate) fn relabel(&mut self, id: u64, old: &[String], new: &[String]) {
        for l in old.iter().filter(|l| !new.contains(l)) {
            self.remove(l, id);
        }
        for l in new.iter().filter(|l| !old.contains(l)) {
            self.add(l, id);
        }
    }

    pub(crate) fn apply(self, table: &mut Table<(&'static str, u32), &'static [u8]>) -> Result<()> {
        let mut flat: Vec<(String, u32, ChunkDelta)> = self
            .changes
            .into_iter()
            .flat_map(|(name, chunks)| chunks.into_iter().map(move |(c, d)| (name.clone(), c, d)))
            .collect();
        // Sorted, so redb sees ascending keys.
        flat.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        for (name, chunk, (adds, removes)) in flat {
            let mut bm = match table.get((name.as_str(), chunk))? {
                Some(v) => decode(&name, v.value())?,
                None => RoaringBitmap::new(),
            };
            // Removes come after adds within one transaction only for ids that were added and
            // then deleted in the same batch, so applying adds first is correct.
            bm.extend(adds);
            for r in removes {
                bm.remove(r);
            }
            if bm.is_empty() {
                table.remove((name.as_str(), chunk))?;
            } else {
                bm.optimize();
                let mut buf = Vec::with_capacity(bm.serialized_size());
                bm.serialize_into(&mut buf)?;
                table.insert((name.as_str(), chunk), buf.as_slice())?;
            }
        }
        Ok(())
    }
}

fn split(id: u64) -> (u32, u32) {
    let id32 = id as u32;
    (id32 >> 16, id32)
}

/// Decodes one stored chunk.
pub fn decode(name: &str, bytes: &[u8]) -> Result<RoaringBitmap> {
    RoaringBitmap::deserialize_from(bytes)
        .map_err(|e| Error::corrupt(format!("bitmap {name}"), e.to_string()))
}

/// Loads a whole bitmap by name (the union of its chunks).
pub(crate) fn load(
    table: &impl ReadableTable<(&'static str, u32), &'static [u8]>,
    name: &str,
) -> Result<RoaringBitmap> {
    let mut out = RoaringBitmap::new();
    for entry in table.range((name, 0u32)..=(name, u32::MAX))? {
        let (_, v) = entry?;
        out |= decode(name, v.value())?;
    }
    Ok(out)
}

/// The union of every bitmap whose name is in `[from, to)` (names of one fixed-width family such
/// as [`day_name`]): one range read.
pub(crate) fn load_names(
    table: &impl ReadableTable<(&'static str, u32), &'static [u8]>,
    from: &str,
    to: &str,
) -> Result<RoaringBitmap> {
    let mut out = RoaringBitmap::new();
    if from >= to {
        return Ok(out);
    }
    for entry in table.range((from, 0u32)..(to, 0u32))? {
        let (k, v) = entry?;
        out |= decode(k.value().0, v.value())?;
    }
    Ok(out)
}

/// Lists the distinct bitmap names with a prefix (e.g. all tags: `t:`), with their cardinality.
pub(crate) fn list(
    table: &impl ReadableTable<(&'static str, u32), &'static [u8]>,
    prefix: &str,
) -> Result<Vec<(String, u64)>> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for entry in table.range((prefix, 0u32)..)? {
        let (k, v) = entry?;
        let (name, _) = k.value();
        if !name.starts_with(prefix) {
            break;
        }
        let n = decode(name, v.value())?.len();
        match out.last_mut() {
            Some((last, count)) if last == name => *count += n,
            _ => out.push((name.to_owned(), n)),
        }
    }
    Ok(out)
}
