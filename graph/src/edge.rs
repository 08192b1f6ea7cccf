//! Triples: predicates interned to u32 ids, edges stored as out- and in-adjacency lists,
//! bi-temporal validity with supersession for single-valued predicates.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::codec::{self, EdgeBody, Validity, OPEN};
use crate::entity::{object_text, resolve_or_create, EntityRef};
use crate::error::{GraphError, Result};
use crate::normalize::checked;
use crate::tables::{self, SINGLE_VALUED};
use crate::write::Tables;

/// Input of [`add_triple`]: `(subject, predicate, object)` plus edge data. Serializable so the
/// engine can log the call; replaying the same calls in order yields identical state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTriple {
    /// Subject; a name that matches no entity creates one.
    pub subject: EntityRef,
    /// Predicate, e.g. `works_at` (normalised like names).
    pub predicate: String,
    /// Object; a name that matches no entity creates one.
    pub object: EntityRef,
    /// Confidence, finite, in `0..=1` (default 1).
    #[serde(default = "one")]
    pub confidence: f32,
    /// Where the fact came from (free text).
    #[serde(default)]
    pub source: String,
    /// When the fact was recorded (µs); also the default `valid_from`.
    pub timestamp: u64,
    /// Context: a JSON object (or null).
    #[serde(default)]
    pub context: serde_json::Value,
    /// The memory the fact came from; subject and object get linked to it.
    #[serde(default)]
    pub memory: Option<u64>,
    /// Start of validity (µs); default `timestamp`.
    #[serde(default)]
    pub valid_from: Option<u64>,
    /// End of validity (µs, exclusive); default: still valid.
    #[serde(default)]
    pub valid_to: Option<u64>,
}

fn one() -> f32 {
    1.0
}

impl NewTriple {
    /// A triple between names with default data (confidence 1, no source, no context).
    pub fn new(subject: &str, predicate: &str, object: &str, timestamp: u64) -> Self {
        NewTriple {
            subject: EntityRef::Name(subject.to_string()),
            predicate: predicate.to_string(),
            object: EntityRef::Name(object.to_string()),
            confidence: 1.0,
            source: String::new(),
            timestamp,
            context: serde_json::Value::Null,
            memory: None,
            valid_from: None,
            valid_to: None,
        }
    }
}

/// What [`add_triple`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripleAdded {
    /// The new edge's id.
    pub edge: u64,
    /// Subject entity id.
    pub subject: u64,
    /// Object entity id.
    pub object: u64,
    /// Entities created for unknown names.
    pub created: Vec<u64>,
    /// Edges closed because the predicate is single-valued (their `valid_to` = new `valid_from`).
    pub closed: Vec<u64>,
}

/// Declares a predicate (interning it) and whether it is single-valued: a subject has at most
/// one current object (e.g. `lives_in`), so a new fact closes the old one. Returns its id.
pub fn declare_predicate(wtxn: &WriteTransaction, name: &str, single_valued: bool) -> Result<u32> {
    let mut t = Tables::open(wtxn)?;
    let (id, flags) = intern(&mut t, name)?;
    let want = if single_valued {
        flags | SINGLE_VALUED
    } else {
        flags & !SINGLE_VALUED
    };
    if want != flags {
        t.predicates
            .insert(checked("predicate", name)?.as_str(), (id, want))?;
    }
    Ok(id)
}

/// Returns the predicate's (id, flags), interning a new one.
pub(crate) fn intern(t: &mut Tables, name: &str) -> Result<(u32, u8)> {
    let key = checked("predicate", name)?;
    if let Some(g) = t.predicates.get(key.as_str())? {
        return Ok(g.value());
    }
    let id = tables::next_id(&mut t.meta, "next_predicate")?;
    let id = u32::try_from(id).map_err(|_| GraphError::CounterExhausted("next_predicate"))?;
    t.predicates.insert(key.as_str(), (id, 0))?;
    t.pred_names.insert(id, key.as_str())?;
    Ok((id, 0))
}

fn check_confidence(c: f32) -> Result<()> {
    if c.is_finite() && (0.0..=1.0).contains(&c) {
        Ok(())
    } else {
        Err(GraphError::InvalidConfidence(c))
    }
}

/// Adds one triple. See [`add_triples`] for a batch.
pub fn add_triple(wtxn: &WriteTransaction, triple: &NewTriple) -> Result<TripleAdded> {
    add_in(&mut Tables::open(wtxn)?, triple)
}

/// Adds triples in order (opening the tables once). Stops at the first error; the caller
/// aborts the transaction then.
pub fn add_triples(wtxn: &WriteTransaction, triples: &[NewTriple]) -> Result<Vec<TripleAdded>> {
    let mut t = Tables::open(wtxn)?;
    triples.iter().map(|tr| add_in(&mut t, tr)).collect()
}

pub(crate) fn add_in(t: &mut Tables, tr: &NewTriple) -> Result<TripleAdded> {
    // Validate everything before the first write.
    check_confidence(tr.confidence)?;
    checked("predicate", &tr.predicate)?;
    let context = object_text("context", &tr.context)?;
    let from = tr.valid_from.unwrap_or(tr.timestamp);
    let mut validity = Validity {
        from,
        to: tr.valid_to.unwrap_or(OPEN),
    };
    if validity.to <= validity.from {
        return Err(GraphError::InvalidInterval {
            valid_from: from,
            valid_to: validity.to,
        });
    }
    for r in [&tr.subject, &tr.object] {
        if let EntityRef::Id(_) = r {
            crate::entity::resolve_in(t, r)?; // fail before creating the other end
        } else if let EntityRef::Name(n) = r {
            checked("name", n)?;
        }
    }
    let mut created = Vec::new();
    let (s, new_s) = resolve_or_create(t, &tr.subject, tr.timestamp)?;
    let (o, new_o) = resolve_or_create(t, &tr.object, tr.timestamp)?;
    created.extend(new_s.then_some(s));
    created.extend(new_o.then_some(o));
    let (p, flags) = intern(t, &tr.predicate)?;
    let mut closed = Vec::new();
    if flags & SINGLE_VALUED != 0 && validity.to == OPEN {
        closed = supersede(t, s, p, &mut validity)?;
    }
    let body = EdgeBody {
        confidence: tr.confidence,
        source: tr.source.clone(),
        timestamp: tr.timestamp,
        context,
        memory: tr.memory,
    };
    let edge = tables::next_id(&mut t.meta, "next_edge")?;
    insert_keys(t, (s, p, o, edge), validity, &body)?;
    if let Some(m) = tr.memory {
        crate::links::link_in(t, m, &[s, o])?;
    }
    Ok(TripleAdded {
        edge,
        subject: s,
        object: o,
        created,
        closed,
    })
}

/// Single-valued predicate: the current edge `(s, p, *)` that started no later than the new
/// fact is closed at its `valid_from`; any edge `(s, p, *)` that starts later bounds the new
/// fact's `valid_to` (the new fact is history). Returns the closed edges.
fn supersede(t: &mut Tables, s: u64, p: u32, new: &mut Validity) -> Result<Vec<u64>> {
    let mut to_close = Vec::new();
    for row in t.out.range(tables::adjacency_range(s, Some(p)))? {
        let (k, v) = row?;
        let (v, _) = codec::decode_edge(v.value())?;
        if v.from > new.from {
            new.to = new.to.min(v.from);
        } else if v.to == OPEN {
            to_close.push((k.value(), v));
        }
    }
    let mut closed = Vec::new();
    for (key, v) in to_close {
        set_validity(
            t,
            key,
            Validity {
                from: v.from,
                to: new.from,
            },
        )?;
        closed.push(key.3);
    }
    Ok(closed)
}

fn insert_keys(
    t: &mut Tables,
    (s, p, o, e): (u64, u32, u64, u64),
    v: Validity,
    body: &EdgeBody,
) -> Result<()> {
    t.out
        .insert((s, p, o, e), codec::encode_edge(v, body)?.as_slice())?;
    t.inn.insert((o, p, s, e), (v.from, v.to))?;
    t.edges.insert(e, (s, p, o))?;
    t.touch(s)?;
    t.touch(o)
}

fn set_validity(t: &mut Tables, (s, p, o, e): (u64, u32, u64, u64), v: Validity) -> Result<()> {
    let bytes = match t.out.get((s, p, o, e))? {
        Some(g) => codec::with_validity(g.value(), v)?,
        None => return Err(GraphError::UnknownEdge(e)),
    };
    t.out.insert((s, p, o, e), bytes.as_slice())?;
    t.inn.insert((o, p, s, e), (v.from, v.to))?;
    t.touch(s)?;
    t.touch(o)
}

/// Removes one edge's three rows (out, in, edge index).
pub(crate) fn remove_keys(t: &mut Tables, s: u64, p: u32, o: u64, e: u64) -> Result<()> {
    t.out.remove((s, p, o, e))?;
    t.inn.remove((o, p, s, e))?;
    t.edges.remove(e)?;
    t.touch(s)?;
    t.touch(o)
}

fn locate(t: &Tables, edge: u64) -> Result<(u64, u32, u64)> {
    Ok(t.edges
        .get(edge)?
        .ok_or(GraphError::UnknownEdge(edge))?
        .value())
}

/// Invalidates a triple at time `at` (µs): it stays in history, valid until `at`. An edge that
/// already ended earlier keeps its end. `at` before its `valid_from` is `InvalidInterval`.
pub fn invalidate_triple(wtxn: &WriteTransaction, edge: u64, at: u64) -> Result<()> {
    let mut t = Tables::open(wtxn)?;
    let (s, p, o) = locate(&t, edge)?;
    let v = match t.out.get((s, p, o, edge))? {
        Some(g) => codec::decode_edge(g.value())?.0,
        None => {
            return Err(GraphError::Corrupt(format!(
                "edge {edge} has no out-edge row"
            )))
        }
    };
    if at <= v.from {
        return Err(GraphError::InvalidInterval {
            valid_from: v.from,
            valid_to: at,
        });
    }
    if at < v.to {
        set_validity(
            &mut t,
            (s, p, o, edge),
            Validity {
                from: v.from,
                to: at,
            },
        )?;
    }
    Ok(())
}

/// Deletes a triple outright (no history kept). Use [`invalidate_triple`] to keep history.
pub fn delete_triple(wtxn: &WriteTransaction, edge: u64) -> Result<()> {
    let mut t = Tables::open(wtxn)?;
    let (s, p, o) = locate(&t, edge)?;
    remove_keys(&mut t, s, p, o, edge)
}
