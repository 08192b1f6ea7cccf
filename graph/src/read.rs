//! The read side shared by `edges`, `neighborhood` and `paths`: adjacency scans with time,
//! predicate and fan-out filters, and decoding edges into [`Relation`]s.

use std::collections::HashMap;

use redb::{ReadOnlyTable, ReadTransaction};
use serde::{Deserialize, Serialize};

use crate::codec::{self, OPEN};
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

/// Read-only tables of one snapshot plus a predicate-name cache.
pub(crate) struct Reader {
    pub entities: ReadOnlyTable<u64, &'static [u8]>,
    out: AdjTable<&'static [u8]>,
    inn: AdjTable<(u64, u64)>,
    predicates: ReadOnlyTable<&'static str, (u32, u8)>,
    pred_names: ReadOnlyTable<u32, &'static str>,
    names: HashMap<u32, String>,
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

impl Reader {
    /// `None` when the graph tables were never created (empty graph).
    pub fn open(rtxn: &ReadTransaction) -> Result<Option<Self>> {
        let (Some(entities), Some(out), Some(inn), Some(predicates), Some(pred_names)) = (
            tables::read(rtxn, ENTITIES)?,
            tables::read(rtxn, OUT)?,
            tables::read(rtxn, IN)?,
            tables::read(rtxn, PREDICATES)?,
            tables::read(rtxn, PRED_NAMES)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Reader {
            entities,
            out,
            inn,
            predicates,
            pred_names,
            names: HashMap::new(),
        }))
    }

    /// `UnknownEntity` unless the entity exists.
    pub fn require(&self, id: u64) -> Result<()> {
        match self.entities.get(id)? {
            Some(_) => Ok(()),
            None => Err(GraphError::UnknownEntity(format!("#{id}"))),
        }
    }

    /// The record of an entity, `None` when it does not exist.
    pub fn entity(&self, id: u64) -> Result<Option<crate::entity::Entity>> {
        let Some(g) = self.entities.get(id)? else {
            return Ok(None);
        };
        let rec = codec::decode_entity_keyed(g.value(), &|| id.to_string())?;
        Ok(Some(crate::entity::to_entity(id, rec)))
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

    /// Visible edges of `entity` (at most `scan.cap`; the flag says the cap cut some).
    /// A self-loop is reported once even when scanning both directions.
    pub fn adjacent(&self, entity: u64, scan: &Scan) -> Result<(Vec<Adj>, bool)> {
        let mut out = Vec::new();
        for pred in scan.predicate_lists() {
            if scan.direction != Direction::In {
                for row in self.out.range(tables::adjacency_from(entity, pred))? {
                    let (k, v) = row?;
                    let (s, p, o, e) = k.value();
                    if tables::past_adjacency((s, p, o, e), entity, pred) {
                        break;
                    }
                    let ok = codec::peek_validity(v.value()).is_some_and(|v| v.visible(scan.as_of));
                    if ok
                        && push_capped(
                            &mut out,
                            Adj {
                                other: o,
                                key: (s, p, o, e),
                            },
                            scan.cap,
                        )
                    {
                        return Ok((out, true));
                    }
                }
            }
            if scan.direction != Direction::Out {
                for row in self.inn.range(tables::adjacency_from(entity, pred))? {
                    let (k, v) = row?;
                    let (o, p, s, e) = k.value();
                    if tables::past_adjacency((o, p, s, e), entity, pred) {
                        break;
                    }
                    let (from, to) = v.value();
                    let dup = s == o && scan.direction == Direction::Both;
                    if !dup
                        && visible(from, to, scan.as_of)
                        && push_capped(
                            &mut out,
                            Adj {
                                other: s,
                                key: (s, p, o, e),
                            },
                            scan.cap,
                        )
                    {
                        return Ok((out, true));
                    }
                }
            }
        }
        Ok((out, false))
    }

    /// Visible out-edges of `entity` whose object passes `keep`, decoded; the flag says the cap
    /// stopped the scan (more than `scan.cap` visible out-edges).
    pub fn out_relations(
        &mut self,
        entity: u64,
        scan: &Scan,
        keep: impl Fn(u64) -> bool,
        into: &mut Vec<Relation>,
    ) -> Result<bool> {
        let mut seen = 0usize;
        for p in scan.predicate_lists() {
            for row in self.out.range(tables::adjacency_from(entity, p))? {
                let (k, v) = row?;
                let key = k.value();
                if tables::past_adjacency(key, entity, p) {
                    break;
                }
                let bytes = v.value();
                if !codec::peek_validity(bytes).is_some_and(|v| v.visible(scan.as_of)) {
                    continue;
                }
                seen += 1;
                if seen > scan.cap {
                    return Ok(true);
                }
                if keep(key.2) {
                    into.push(self.relation(key, bytes)?);
                }
            }
        }
        Ok(false)
    }

    /// Decodes the edge with this adjacency key (point read of `graph_out`).
    pub fn relation_at(&mut self, key: (u64, u32, u64, u64)) -> Result<Relation> {
        let bytes = match self.out.get(key)? {
            Some(g) => g.value().to_vec(),
            None => {
                return Err(GraphError::Corrupt(format!(
                    "edge {} has no out-edge row",
                    key.3
                )))
            }
        };
        self.relation(key, &bytes)
    }

    fn relation(&mut self, (s, p, o, e): (u64, u32, u64, u64), bytes: &[u8]) -> Result<Relation> {
        let (v, body) = codec::decode_edge_ref(bytes, &|| format!("({s}, {p}, {o}, {e})"))?;
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

    fn pred_name(&mut self, id: u32) -> Result<String> {
        if let Some(n) = self.names.get(&id) {
            return Ok(n.clone());
        }
        let name = match self.pred_names.get(id)? {
            Some(g) => g.value().to_string(),
            None => return Err(GraphError::Corrupt(format!("predicate {id} has no name"))),
        };
        self.names.insert(id, name.clone());
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
    let Some(mut r) = Reader::open(rtxn)? else {
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
