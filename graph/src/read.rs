//! The read side shared by `edges`, `neighborhood` and `paths`: adjacency scans with time,
//! predicate and fan-out filters, and decoding edges into [`Relation`]s.

use std::cell::RefCell;
use std::collections::HashMap;

use redb::{ReadOnlyTable, ReadTransaction};
use serde::{Deserialize, Serialize};

use crate::codec::{self, OPEN};
use crate::copy::GraphCopy;
use crate::error::{GraphError, Result};
use crate::normalize::normalize;
use crate::tables::{self, ENTITIES, IN, OUT, PREDICATES, PRED_NAMES};

/// Which edges of an entity to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Edges where the entity is the subject.
    Out,
    /// Edges where the entity is the object.
    In,
    /// Both (the default: relations are traversed regardless of their direction).
    #[default]
    Both,
}

/// One edge with its data, as returned by every read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// Edge id.
    pub edge: u64,
    /// Subject entity id.
    pub subject: u64,
    /// Predicate (normalised).
    pub predicate: String,
    /// Object entity id.
    pub object: u64,
    /// Confidence in `0..=1`.
    pub confidence: f32,
    /// Source text.
    pub source: String,
    /// When the fact was recorded (µs).
    pub timestamp: u64,
    /// Context (a JSON object).
    pub context: serde_json::Value,
    /// The memory the fact came from.
    pub memory: Option<u64>,
    /// Start of validity (µs).
    pub valid_from: u64,
    /// End of validity (µs, exclusive); `None` while current.
    pub valid_to: Option<u64>,
}

/// An adjacency key `(subject, predicate, object, edge)` reached from `from`, leading to `other`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adj {
    pub other: u64,
    pub key: (u64, u32, u64, u64),
}

type AdjTable<V> = ReadOnlyTable<(u64, u32, u64, u64), V>;

/// Read-only tables of one snapshot, the in-memory copy of the same version when there is one
/// (`copy.rs`: then adjacency lists and records come from it), and a predicate-name cache.
pub(crate) struct Reader<'c> {
    pub entities: ReadOnlyTable<u64, &'static [u8]>,
    out: AdjTable<&'static [u8]>,
    inn: AdjTable<(u64, u64)>,
    predicates: ReadOnlyTable<&'static str, (u32, u8)>,
    pred_names: ReadOnlyTable<u32, &'static str>,
    names: RefCell<HashMap<u32, String>>,
    copy: Option<&'c GraphCopy>,
}

/// Filters of one scan.
pub(crate) struct Scan<'a> {
    pub direction: Direction,
    /// `None` = every predicate; `Some` = only these ids (an unknown name yields no id).
    pub predicates: Option<&'a [u32]>,
    pub as_of: Option<u64>,
    pub cap: usize,
}

impl Scan<'_> {
    /// The adjacency lists to read: the whole list, or one per wanted predicate (in id order).
    pub fn predicate_lists(&self) -> impl Iterator<Item = Option<u32>> + '_ {
        let all = self.predicates.is_none().then_some(None);
        let ids = self.predicates.unwrap_or_default().iter().map(|&p| Some(p));
        all.into_iter().chain(ids)
    }
}

fn visible(from: u64, to: u64, as_of: Option<u64>) -> bool {
    codec::Validity { from, to }.visible(as_of)
}

/// One out-edge as a scan sees it: key `(s, p, o, e)`, validity (`None` when the value is too
/// short to hold one: never visible), value, and whether decoding it must check its crc.
struct OutRow<'v> {
    key: (u64, u32, u64, u64),
    validity: Option<codec::Validity>,
    value: &'v [u8],
    crc: bool,
}

/// What a visitor of an adjacency list says: go on, or stop the scan.
type Flow = Result<bool>;

impl<'c> Reader<'c> {
    /// `None` when the graph tables were never created (empty graph). `copy` is used only when
    /// it holds the snapshot's version.
    pub fn open(rtxn: &ReadTransaction, copy: Option<&'c GraphCopy>) -> Result<Option<Self>> {
        let (Some(entities), Some(out), Some(inn), Some(predicates), Some(pred_names)) = (
            tables::read(rtxn, ENTITIES)?,
            tables::read(rtxn, OUT)?,
            tables::read(rtxn, IN)?,
            tables::read(rtxn, PREDICATES)?,
            tables::read(rtxn, PRED_NAMES)?,
        ) else {
            return Ok(None);
        };
        let copy = match copy {
            Some(c) if c.version() == tables::version(rtxn)? => Some(c),
            _ => None,
        };
        Ok(Some(Reader {
            entities,
            out,
            inn,
            predicates,
            pred_names,
            names: RefCell::new(HashMap::new()),
            copy,
        }))
    }

    /// One more than the largest entity id, when reads come from a copy (the traversal then
    /// keeps its member set as a bitmap over ids).
    pub fn id_bound(&self) -> Option<usize> {
        self.copy.map(GraphCopy::id_bound)
    }

    /// `UnknownEntity` unless the entity exists.
    pub fn require(&self, id: u64) -> Result<()> {
        let exists = match self.copy {
            Some(c) => c.node(id).is_some_and(|n| n.record.is_some()),
            None => self.entities.get(id)?.is_some(),
        };
        match exists {
            true => Ok(()),
            false => Err(GraphError::UnknownEntity(format!("#{id}"))),
        }
    }

    /// The record of an entity, `None` when it does not exist.
    pub fn entity(&self, id: u64) -> Result<Option<crate::entity::Entity>> {
        let decode = |bytes: &[u8], crc: bool| -> Result<crate::entity::Entity> {
            let rec = codec::decode_entity_with(bytes, &|| id.to_string(), crc)?;
            Ok(crate::entity::to_entity(id, rec))
        };
        if let Some(c) = self.copy {
            return c
                .node(id)
                .and_then(|n| Some((n.record.as_deref()?, !n.record_sound)))
                .map(|(bytes, crc)| decode(bytes, crc))
                .transpose();
        }
        let Some(g) = self.entities.get(id)? else {
            return Ok(None);
        };
        decode(g.value(), true).map(Some)
    }

    /// Predicate ids of names (unknown names are dropped: they match no edge).
    pub fn predicate_ids(&self, names: &[String]) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        for n in names {
            if let Some(g) = self.predicates.get(normalize(n).as_str())? {
                ids.push(g.value().0);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Calls `f` with each out-edge of `entity` (of one predicate with `Some`), in key order,
    /// until it returns `false`.
    fn each_out(
        &self,
        entity: u64,
        pred: Option<u32>,
        mut f: impl FnMut(OutRow) -> Flow,
    ) -> Result<()> {
        if let Some(c) = self.copy {
            let Some(node) = c.node(entity) else {
                return Ok(());
            };
            for x in node.out_of(pred) {
                let row = OutRow {
                    key: (entity, x.p, x.o, x.e),
                    validity: x.validity,
                    value: node.value(x),
                    crc: !x.sound,
                };
                if !f(row)? {
                    break;
                }
            }
            return Ok(());
        }
        for row in self.out.range(tables::adjacency_from(entity, pred))? {
            let (k, v) = row?;
            let key = k.value();
            if tables::past_adjacency(key, entity, pred) {
                break;
            }
            let value = v.value();
            let row = OutRow {
                key,
                validity: codec::peek_validity(value),
                value,
                crc: true,
            };
            if !f(row)? {
                break;
            }
        }
        Ok(())
    }

    /// Calls `f` with the key as `(s, p, o, e)` (`o` = `entity`) and validity of each in-edge of
    /// `entity` (of one predicate with `Some`), in key order, until it returns `false`.
    fn each_in(
        &self,
        entity: u64,
        pred: Option<u32>,
        mut f: impl FnMut((u64, u32, u64, u64), (u64, u64)) -> Flow,
    ) -> Result<()> {
        if let Some(c) = self.copy {
            let Some(node) = c.node(entity) else {
                return Ok(());
            };
            for x in node.in_of(pred) {
                if !f((x.s, x.p, entity, x.e), (x.from, x.to))? {
                    break;
                }
            }
            return Ok(());
        }
        for row in self.inn.range(tables::adjacency_from(entity, pred))? {
            let (k, v) = row?;
            let key = k.value();
            if tables::past_adjacency(key, entity, pred) {
                break;
            }
            let (o, p, s, e) = key;
            if !f((s, p, o, e), v.value())? {
                break;
            }
        }
        Ok(())
    }

    /// Visible edges of `entity` (at most `scan.cap`; the flag says the cap cut some).
    /// A self-loop is reported once even when scanning both directions.
    pub fn adjacent(&self, entity: u64, scan: &Scan) -> Result<(Vec<Adj>, bool)> {
        let mut out = Vec::new();
        let mut cut = false;
        for pred in scan.predicate_lists() {
            if scan.direction != Direction::In {
                self.each_out(entity, pred, |row| {
                    let ok = row.validity.is_some_and(|v| v.visible(scan.as_of));
                    let key = row.key;
                    cut = ok && push_capped(&mut out, Adj { other: key.2, key }, scan.cap);
                    Ok(!cut)
                })?;
                if cut {
                    return Ok((out, true));
                }
            }
            if scan.direction != Direction::Out {
                self.each_in(entity, pred, |key, (from, to)| {
                    let (s, _, o, _) = key;
                    let dup = s == o && scan.direction == Direction::Both;
                    cut = !dup
                        && visible(from, to, scan.as_of)
                        && push_capped(&mut out, Adj { other: s, key }, scan.cap);
                    Ok(!cut)
                })?;
                if cut {
                    return Ok((out, true));
                }
            }
        }
        Ok((out, false))
    }

    /// Visible out-edges of `entity` whose object passes `keep`, decoded; the flag says the cap
    /// stopped the scan (more than `scan.cap` visible out-edges).
    pub fn out_relations(
        &self,
        entity: u64,
        scan: &Scan,
        keep: impl Fn(u64) -> bool,
        into: &mut Vec<Relation>,
    ) -> Result<bool> {
        let mut seen = 0usize;
        if let (Some(c), None) = (self.copy, scan.as_of) {
            // Current facts from a copy: its live lists hold exactly the visible out-edges.
            let Some(node) = c.node(entity) else {
                return Ok(false);
            };
            for p in scan.predicate_lists() {
                for i in node.live_of(p) {
                    seen += 1;
                    if seen > scan.cap {
                        return Ok(true);
                    }
                    if keep(node.live_o[i]) {
                        let x = &node.out[node.live_at[i] as usize];
                        let key = (entity, x.p, x.o, x.e);
                        into.push(self.relation(key, node.value(x), !x.sound)?);
                    }
                }
            }
            return Ok(false);
        }
        for p in scan.predicate_lists() {
            let mut cut = false;
            self.each_out(entity, p, |row| {
                if !row.validity.is_some_and(|v| v.visible(scan.as_of)) {
                    return Ok(true);
                }
                seen += 1;
                if seen > scan.cap {
                    cut = true;
                    return Ok(false);
                }
                if keep(row.key.2) {
                    into.push(self.relation(row.key, row.value, row.crc)?);
                }
                Ok(true)
            })?;
            if cut {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Decodes the edge with this adjacency key (point read of `graph_out`).
    pub fn relation_at(&self, key: (u64, u32, u64, u64)) -> Result<Relation> {
        let missing = || GraphError::Corrupt(format!("edge {} has no out-edge row", key.3));
        if let Some(c) = self.copy {
            let node = c.node(key.0).ok_or_else(missing)?;
            let (_, p, o, e) = key;
            let i = node
                .out
                .binary_search_by(|x| (x.p, x.o, x.e).cmp(&(p, o, e)))
                .map_err(|_| missing())?;
            let x = &node.out[i];
            return self.relation(key, node.value(x), !x.sound);
        }
        let bytes = match self.out.get(key)? {
            Some(g) => g.value().to_vec(),
            None => return Err(missing()),
        };
        self.relation(key, &bytes, true)
    }

    /// Decodes an edge value (checking its crc with `crc`: always for values read from the
    /// tables, for copied ones only when the copy found them unsound).
    fn relation(
        &self,
        (s, p, o, e): (u64, u32, u64, u64),
        bytes: &[u8],
        crc: bool,
    ) -> Result<Relation> {
        let key = || format!("({s}, {p}, {o}, {e})");
        let (v, body) = codec::decode_edge_ref(bytes, &key, crc)?;
        Ok(Relation {
            edge: e,
            subject: s,
            predicate: self.pred_name(p)?,
            object: o,
            confidence: body.confidence,
            source: body.source.to_string(),
            timestamp: body.timestamp,
            context: codec::json_object(body.context),
            memory: body.memory,
            valid_from: v.from,
            valid_to: (v.to != OPEN).then_some(v.to),
        })
    }

    fn pred_name(&self, id: u32) -> Result<String> {
        if let Some(n) = self.copy.and_then(|c| c.names.get(&id)) {
            return Ok(n.clone());
        }
        if let Some(n) = self.names.borrow().get(&id) {
            return Ok(n.clone());
        }
        let name = match self.pred_names.get(id)? {
            Some(g) => g.value().to_string(),
            None => return Err(GraphError::Corrupt(format!("predicate {id} has no name"))),
        };
        self.names.borrow_mut().insert(id, name.clone());
        Ok(name)
    }
}

/// Pushes unless the cap is reached; returns true when it was (the caller stops).
fn push_capped(out: &mut Vec<Adj>, adj: Adj, cap: usize) -> bool {
    if out.len() >= cap {
        return true;
    }
    out.push(adj);
    false
}

/// One entity's edges, optionally of one predicate, current or as of `as_of` (µs), in key
/// order (by predicate id, other entity, edge id; out-edges before in-edges).
pub fn edges(
    rtxn: &ReadTransaction,
    entity: u64,
    predicate: Option<&str>,
    direction: Direction,
    as_of: Option<u64>,
) -> Result<Vec<Relation>> {
    edges_with(rtxn, None, entity, predicate, direction, as_of)
}

/// [`edges`], reading from `copy` when it holds the snapshot's version.
pub fn edges_with(
    rtxn: &ReadTransaction,
    copy: Option<&GraphCopy>,
    entity: u64,
    predicate: Option<&str>,
    direction: Direction,
    as_of: Option<u64>,
) -> Result<Vec<Relation>> {
    let Some(r) = Reader::open(rtxn, copy)? else {
        return Err(GraphError::UnknownEntity(format!("#{entity}")));
    };
    r.require(entity)?;
    let ids = match predicate {
        Some(p) => Some(r.predicate_ids(&[p.to_string()])?),
        None => None,
    };
    let scan = Scan {
        direction,
        predicates: ids.as_deref(),
        as_of,
        cap: usize::MAX,
    };
    let (adj, _) = r.adjacent(entity, &scan)?;
    adj.into_iter().map(|a| r.relation_at(a.key)).collect()
}
