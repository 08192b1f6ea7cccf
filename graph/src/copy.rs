//! An in-memory copy of what traversals read — every entity's record, its out-edges with their
//! values and its in-edges — for one version of the graph (`tables::version`).
//!
//! A neighbourhood read from redb costs one B-tree range read per reached entity and one point
//! read per returned record (~1–2 µs each); a 2-hop neighbourhood of a few hundred entities is
//! milliseconds. From the copy it is a few array lookups per entity. The copy holds the same
//! bytes the tables hold (records and edge values are kept encoded and decoded, crc checked,
//! only when returned), so a traversal over it returns exactly what one over the tables of the
//! same version returns: [`crate::neighborhood_with`] uses a copy only when its version equals
//! the snapshot's, and reads the tables otherwise.
//!
//! A copy is built by scanning the three tables once ([`GraphCopy::build`], within a byte
//! budget) and kept current by [`GraphCopy::catch_up`]: every graph call that changes an
//! entity's record or edges logs the entities it touched under the next version
//! (`tables::CHANGES`), and catching up reloads just those entities.

use std::collections::HashMap;

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable};

use crate::codec::{self, Validity};
use crate::error::{GraphError, Result};
use crate::tables::{self, ALL_ENTITIES, CHANGES, ENTITIES, IN, OUT, PRED_NAMES};

/// One out-edge of an entity: `(subject = the entity, p, o, e)`, its validity (`None`: the
/// value is too short to hold one, so the edge is never visible, as in the tables), whether
/// its value's format and crc were checked sound when copied, and where the value lies in the
/// entity's `values`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutEdge {
    pub p: u32,
    pub sound: bool,
    pub o: u64,
    pub e: u64,
    pub validity: Option<Validity>,
    start: u32,
    end: u32,
}

/// One in-edge of an entity: `(object = the entity, p, s, e)` and its validity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InEdge {
    pub p: u32,
    pub s: u64,
    pub e: u64,
    pub from: u64,
    pub to: u64,
}

/// An entity's record (`None` for an id that has edges but no record: a damaged graph, copied
/// as it is so that reads answer as the tables do), whether it was checked sound when copied,
/// and its adjacency lists in key order.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub record: Option<Box<[u8]>>,
    pub record_sound: bool,
    pub out: Box<[OutEdge]>,
    values: Box<[u8]>,
    /// The current out-edges (`valid_to` open), in key order: their objects, and their
    /// positions in `out`. A scan of current facts (the default) reads 8 bytes per edge
    /// instead of a whole `OutEdge` and skips closed facts.
    pub live_o: Box<[u64]>,
    pub live_at: Box<[u32]>,
    pub inn: Box<[InEdge]>,
}

impl Node {
    /// The stored value of an out-edge.
    pub fn value(&self, edge: &OutEdge) -> &[u8] {
        self.values
            .get(edge.start as usize..edge.end as usize)
            .unwrap_or_default()
    }

    /// The out-edges of one predicate (all with `None`).
    pub fn out_of(&self, p: Option<u32>) -> &[OutEdge] {
        &self.out[of_predicate(&self.out, p, |x| x.p)]
    }

    /// The in-edges of one predicate (all with `None`).
    pub fn in_of(&self, p: Option<u32>) -> &[InEdge] {
        &self.inn[of_predicate(&self.inn, p, |x| x.p)]
    }

    /// The range of `live_o` / `live_at` of one predicate (all with `None`).
    pub fn live_of(&self, p: Option<u32>) -> std::ops::Range<usize> {
        let out = &self.out;
        of_predicate(&self.live_at, p, |&i| {
            out.get(i as usize).map_or(u32::MAX, |x| x.p)
        })
    }

    fn set_record(&mut self, bytes: &[u8]) {
        self.record = Some(bytes.into());
        self.record_sound = codec::is_sound(bytes);
    }

    fn bytes(&self) -> usize {
        self.record.as_ref().map_or(0, |r| r.len())
            + self.out.len() * std::mem::size_of::<OutEdge>()
            + self.values.len()
            + self.live_o.len() * LIVE_BYTES
            + self.inn.len() * std::mem::size_of::<InEdge>()
    }

    fn is_empty(&self) -> bool {
        self.record.is_none() && self.out.is_empty() && self.inn.is_empty()
    }
}

/// Bytes per current out-edge in a node's live lists (`live_o` and `live_at`).
const LIVE_BYTES: usize = std::mem::size_of::<u64>() + std::mem::size_of::<u32>();

/// The range of a list sorted by predicate that holds predicate `p` (all of it with `None`).
fn of_predicate<T>(
    list: &[T],
    p: Option<u32>,
    predicate: impl Fn(&T) -> u32,
) -> std::ops::Range<usize> {
    match p {
        None => 0..list.len(),
        Some(p) => {
            list.partition_point(|x| predicate(x) < p)..list.partition_point(|x| predicate(x) <= p)
        }
    }
}

/// Collects one entity's out-edges and their values.
#[derive(Default)]
struct OutBuilder {
    edges: Vec<OutEdge>,
    values: Vec<u8>,
}

impl OutBuilder {
    fn push(&mut self, (_, p, o, e): (u64, u32, u64, u64), value: &[u8]) -> Result<()> {
        let start = self.values.len();
        self.values.extend_from_slice(value);
        let (start, end) = match (u32::try_from(start), u32::try_from(self.values.len())) {
            (Ok(s), Ok(e)) => (s, e),
            _ => {
                return Err(GraphError::Corrupt(format!(
                    "entity's out-edges hold more than 4 GiB (edge {e})"
                )))
            }
        };
        self.edges.push(OutEdge {
            p,
            sound: codec::is_sound(value),
            o,
            e,
            validity: codec::peek_validity(value),
            start,
            end,
        });
        Ok(())
    }

    /// Sets the node's out-edges; returns the bytes of the live lists.
    fn finish(self, node: &mut Node) -> usize {
        let live = |x: &&OutEdge| x.validity.is_some_and(|v| v.visible(None));
        node.live_o = self.edges.iter().filter(live).map(|x| x.o).collect();
        node.live_at = (0u32..)
            .zip(&self.edges)
            .filter(|(_, x)| live(x))
            .map(|(i, _)| i)
            .collect();
        node.out = self.edges.into_boxed_slice();
        node.values = self.values.into_boxed_slice();
        node.live_o.len() * LIVE_BYTES
    }
}

/// What [`GraphCopy::catch_up`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// The copy now has the snapshot's version; this many entities were reloaded.
    Applied(usize),
    /// More entities changed than the caller's limit; nothing was changed.
    TooMany,
    /// The copy cannot catch up to the snapshot (it is newer than the snapshot, the change log
    /// no longer reaches back to it, a repair changed everything, or the budget would be
    /// exceeded): build a new one.
    Rebuild,
}

/// An in-memory copy of the graph's entity records and adjacency lists at one version (see the
/// module docs).
#[derive(Debug)]
pub struct GraphCopy {
    version: u64,
    /// Indexed by entity id (ids come from a counter, so the vector is dense).
    nodes: Vec<Option<Node>>,
    /// Predicate id → normalised name.
    pub(crate) names: HashMap<u32, String>,
    bytes: usize,
}

/// The graph tables a copy is read from.
struct Source {
    entities: ReadOnlyTable<u64, &'static [u8]>,
    out: ReadOnlyTable<(u64, u32, u64, u64), &'static [u8]>,
    inn: ReadOnlyTable<(u64, u32, u64, u64), (u64, u64)>,
    pred_names: ReadOnlyTable<u32, &'static str>,
}

impl Source {
    fn open(rtxn: &ReadTransaction) -> Result<Option<Source>> {
        let (Some(entities), Some(out), Some(inn), Some(pred_names)) = (
            tables::read(rtxn, ENTITIES)?,
            tables::read(rtxn, OUT)?,
            tables::read(rtxn, IN)?,
            tables::read(rtxn, PRED_NAMES)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Source {
            entities,
            out,
            inn,
            pred_names,
        }))
    }

    fn names(&self) -> Result<HashMap<u32, String>> {
        let mut names = HashMap::new();
        for row in self.pred_names.iter()? {
            let (k, v) = row?;
            names.insert(k.value(), v.value().to_string());
        }
        Ok(names)
    }

    /// One entity's node as the tables hold it.
    fn node(&self, id: u64) -> Result<Node> {
        let mut node = Node::default();
        if let Some(g) = self.entities.get(id)? {
            node.set_record(g.value());
        }
        let mut out = OutBuilder::default();
        for row in self.out.range(tables::adjacency_from(id, None))? {
            let (k, v) = row?;
            let key = k.value();
            if tables::past_adjacency(key, id, None) {
                break;
            }
            out.push(key, v.value())?;
        }
        let _ = out.finish(&mut node);
        let mut inn = Vec::new();
        for row in self.inn.range(tables::adjacency_from(id, None))? {
            let (k, v) = row?;
            let key = k.value();
            if tables::past_adjacency(key, id, None) {
                break;
            }
            inn.push(in_edge(key, v.value()));
        }
        node.inn = inn.into_boxed_slice();
        Ok(node)
    }
}

fn in_edge((_, p, s, e): (u64, u32, u64, u64), (from, to): (u64, u64)) -> InEdge {
    InEdge { p, s, e, from, to }
}

/// Rows scanned between two checks of the build's cancel flag.
const CHECK_EVERY: u64 = 1 << 14;

impl GraphCopy {
    /// Copies the graph of this snapshot. `Ok(None)` when it would take more than `max_bytes`
    /// (approximate heap bytes) or `cancel` returned true (it is asked every few thousand
    /// rows).
    pub fn build(
        rtxn: &ReadTransaction,
        max_bytes: usize,
        cancel: &dyn Fn() -> bool,
    ) -> Result<Option<GraphCopy>> {
        let version = tables::version(rtxn)?;
        let Some(src) = Source::open(rtxn)? else {
            return Ok(Some(GraphCopy {
                version,
                nodes: Vec::new(),
                names: HashMap::new(),
                bytes: 0,
            }));
        };
        let last = |t: Option<u64>, u: Option<u64>| t.max(u).unwrap_or(0);
        let max_id = last(
            src.entities.last()?.map(|(k, _)| k.value()),
            src.out.last()?.map(|(k, _)| k.value().0),
        );
        let max_id = last(Some(max_id), src.inn.last()?.map(|(k, _)| k.value().0));
        let slot = std::mem::size_of::<Option<Node>>();
        let Some(len) = usize::try_from(max_id)
            .ok()
            .and_then(|m| m.checked_add(1))
            .filter(|&n| n.saturating_mul(slot) <= max_bytes)
        else {
            return Ok(None);
        };
        let mut copy = GraphCopy {
            version,
            nodes: Vec::new(),
            names: src.names()?,
            bytes: len * slot,
        };
        copy.nodes.resize_with(len, || None);
        let mut rows = 0u64;
        let mut check = |copy: &GraphCopy| {
            rows += 1;
            rows.is_multiple_of(CHECK_EVERY) && (copy.bytes > max_bytes || cancel())
        };
        for row in src.entities.iter()? {
            let (k, v) = row?;
            copy.node_mut(k.value()).set_record(v.value());
            copy.bytes += v.value().len();
            if check(&copy) {
                return Ok(None);
            }
        }
        let mut current: Option<(u64, OutBuilder)> = None;
        for row in src.out.iter()? {
            let (k, v) = row?;
            let key = k.value();
            if current.as_ref().is_none_or(|(s, _)| *s != key.0) {
                if let Some((s, b)) = current.take() {
                    copy.bytes += b.finish(copy.node_mut(s));
                }
                current = Some((key.0, OutBuilder::default()));
            }
            if let Some((_, b)) = current.as_mut() {
                b.push(key, v.value())?;
            }
            copy.bytes += std::mem::size_of::<OutEdge>() + v.value().len();
            if check(&copy) {
                return Ok(None);
            }
        }
        if let Some((s, b)) = current.take() {
            copy.bytes += b.finish(copy.node_mut(s));
        }
        let mut current: Option<(u64, Vec<InEdge>)> = None;
        for row in src.inn.iter()? {
            let (k, v) = row?;
            let key = k.value();
            if current.as_ref().is_none_or(|(o, _)| *o != key.0) {
                if let Some((o, list)) = current.take() {
                    copy.node_mut(o).inn = list.into_boxed_slice();
                }
                current = Some((key.0, Vec::new()));
            }
            if let Some((_, list)) = current.as_mut() {
                list.push(in_edge(key, v.value()));
            }
            copy.bytes += std::mem::size_of::<InEdge>();
            if check(&copy) {
                return Ok(None);
            }
        }
        if let Some((o, list)) = current.take() {
            copy.node_mut(o).inn = list.into_boxed_slice();
        }
        Ok((copy.bytes <= max_bytes).then_some(copy))
    }

    /// The graph version the copy holds.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Approximate heap bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Brings the copy to the snapshot's version by reloading the entities changed since its
    /// own, unless more than `limit` changed (`TooMany`, the copy is left as it was) or it
    /// cannot (`Rebuild`). After `Rebuild` or an error the copy may be partly updated and must
    /// be dropped.
    pub fn catch_up(
        &mut self,
        rtxn: &ReadTransaction,
        limit: usize,
        max_bytes: usize,
    ) -> Result<CatchUp> {
        let version = tables::version(rtxn)?;
        if version == self.version {
            return Ok(CatchUp::Applied(0));
        }
        if version < self.version {
            return Ok(CatchUp::Rebuild);
        }
        let (Some(changes), Some(src)) = (tables::read(rtxn, CHANGES)?, Source::open(rtxn)?) else {
            return Ok(CatchUp::Rebuild);
        };
        let mut ids = Vec::new();
        let mut expected = self.version + 1;
        for row in changes.range((self.version + 1, 0)..)? {
            let (change, id) = row?.0.value();
            if change > version {
                break;
            }
            // Every change number has at least one row: a gap means the log was trimmed.
            if change > expected || id == ALL_ENTITIES {
                return Ok(CatchUp::Rebuild);
            }
            expected = change + 1;
            ids.push(id);
        }
        if expected != version + 1 {
            return Ok(CatchUp::Rebuild);
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > limit {
            return Ok(CatchUp::TooMany);
        }
        for &id in &ids {
            let node = src.node(id)?;
            let Ok(index) = usize::try_from(id) else {
                return Ok(CatchUp::Rebuild);
            };
            if index >= self.nodes.len() {
                if node.is_empty() {
                    continue;
                }
                let slot = std::mem::size_of::<Option<Node>>();
                let more = (index + 1 - self.nodes.len()).saturating_mul(slot);
                if self.bytes.saturating_add(more) > max_bytes {
                    return Ok(CatchUp::Rebuild);
                }
                self.bytes += more;
                self.nodes.resize_with(index + 1, || None);
            }
            let old = self.nodes.get(index).and_then(|n| n.as_ref());
            self.bytes -= old.map_or(0, Node::bytes);
            self.bytes += node.bytes();
            self.nodes[index] = (!node.is_empty()).then_some(node);
            if self.bytes > max_bytes {
                return Ok(CatchUp::Rebuild);
            }
        }
        self.names = src.names()?;
        self.version = version;
        Ok(CatchUp::Applied(ids.len()))
    }

    /// An entity's node (`None` when the graph has no record and no edges of it).
    pub(crate) fn node(&self, id: u64) -> Option<&Node> {
        let index = usize::try_from(id).ok()?;
        self.nodes.get(index)?.as_ref()
    }

    /// One more than the largest entity id the copy holds.
    pub(crate) fn id_bound(&self) -> usize {
        self.nodes.len()
    }

    fn node_mut(&mut self, id: u64) -> &mut Node {
        // `build` sized `nodes` to the largest id of any table.
        let index = usize::try_from(id).unwrap_or(usize::MAX);
        if index >= self.nodes.len() {
            self.nodes.resize_with(index.saturating_add(1), || None);
        }
        self.nodes[index].get_or_insert_with(Node::default)
    }
}
