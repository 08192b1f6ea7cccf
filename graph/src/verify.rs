//! `verify` (every invariant of `tables.rs`, every record checksum) and `stats`.

use std::collections::{HashMap, HashSet};

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::error::Result;
use crate::normalize::normalize;
use crate::tables::{
    self, EDGES, ENTITIES, ENT_MEM, IN, MEM_ENT, NAMES, OUT, PREDICATES, PRED_NAMES,
};

/// `verify` stops collecting after this many problems.
pub const MAX_PROBLEMS: usize = 1_000;

/// One broken invariant or bad record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The table where it was found.
    pub table: String,
    /// What is wrong, naming the key.
    pub message: String,
}

struct Report(Vec<Problem>);

impl Report {
    fn add(&mut self, table: &str, message: String) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(Problem {
                table: table.to_string(),
                message,
            });
        }
    }
}

fn open<K: redb::Key + 'static, V: redb::Value + 'static>(
    rtxn: &ReadTransaction,
    def: redb::TableDefinition<K, V>,
) -> Result<Option<ReadOnlyTable<K, V>>> {
    tables::read(rtxn, def)
}

/// Checks the whole graph: records decode with good checksums, out- and in-edges mirror each
/// other (same validity), the edge index matches, every edge's entities and predicate exist,
/// the name index matches the entities' names and aliases, memory links exist both ways.
/// An empty list means consistent.
pub fn verify(rtxn: &ReadTransaction) -> Result<Vec<Problem>> {
    let mut rep = Report(Vec::new());
    let Some(entities) = open(rtxn, ENTITIES)? else {
        return Ok(Vec::new());
    };
    let names_of = check_entities(&entities, &mut rep)?;
    if let Some(names) = open(rtxn, NAMES)? {
        check_names(&names, &names_of, &mut rep)?;
    }
    let preds = check_predicates(rtxn, &mut rep)?;
    if let (Some(out), Some(inn), Some(edges)) =
        (open(rtxn, OUT)?, open(rtxn, IN)?, open(rtxn, EDGES)?)
    {
        check_out(&out, &inn, &edges, &names_of, &preds, &mut rep)?;
        check_in(&out, &inn, &mut rep)?;
        check_edge_index(&out, &edges, &mut rep)?;
    }
    if let (Some(me), Some(em)) = (open(rtxn, MEM_ENT)?, open(rtxn, ENT_MEM)?) {
        check_links(&me, &em, &names_of, &mut rep)?;
    }
    Ok(rep.0)
}

/// Decodes every entity; returns id → its normalised names.
fn check_entities(
    t: &ReadOnlyTable<u64, &'static [u8]>,
    rep: &mut Report,
) -> Result<HashMap<u64, Vec<String>>> {
    let mut names_of = HashMap::new();
    for row in t.iter()? {
        let (k, v) = row?;
        let id = k.value();
        match codec::decode_entity_keyed(v.value(), &|| id.to_string()) {
            Ok(rec) => {
                let names = std::iter::once(&rec.name)
                    .chain(&rec.aliases)
                    .map(|n| normalize(n));
                names_of.insert(id, names.collect());
            }
            Err(e) => {
                rep.add("graph_entities", format!("entity {id}: {e}"));
                names_of.insert(id, Vec::new());
            }
        }
    }
    Ok(names_of)
}

fn check_names(
    t: &ReadOnlyTable<&'static str, u64>,
    names_of: &HashMap<u64, Vec<String>>,
    rep: &mut Report,
) -> Result<()> {
    let mut indexed = HashSet::new();
    for row in t.iter()? {
        let (k, v) = row?;
        let (name, id) = (k.value().to_string(), v.value());
        if !names_of.get(&id).is_some_and(|ns| ns.contains(&name)) {
            rep.add(
                "graph_names",
                format!("{name:?} → {id}, which does not have that name"),
            );
        }
        indexed.insert((name, id));
    }
    for (id, names) in names_of {
        for n in names {
            if !indexed.contains(&(n.clone(), *id)) {
                rep.add(
                    "graph_names",
                    format!("entity {id}'s name {n:?} is not indexed to it"),
                );
            }
        }
    }
    Ok(())
}

fn check_predicates(rtxn: &ReadTransaction, rep: &mut Report) -> Result<HashSet<u32>> {
    let mut ids = HashSet::new();
    let (Some(by_name), Some(by_id)) = (open(rtxn, PREDICATES)?, open(rtxn, PRED_NAMES)?) else {
        return Ok(ids);
    };
    for row in by_name.iter()? {
        let (k, v) = row?;
        let (name, (id, _)) = (k.value(), v.value());
        if by_id.get(id)?.map(|g| g.value() == name) != Some(true) {
            rep.add(
                "graph_pred_names",
                format!("predicate {name:?} (id {id}) has no name row"),
            );
        }
    }
    for row in by_id.iter()? {
        let (k, v) = row?;
        let (id, name) = (k.value(), v.value());
        if by_name.get(name)?.map(|g| g.value().0) != Some(id) {
            rep.add(
                "graph_predicates",
                format!("predicate id {id} ({name:?}) is not interned"),
            );
        }
        ids.insert(id);
    }
    Ok(ids)
}

type Adj<V> = ReadOnlyTable<(u64, u32, u64, u64), V>;

fn check_out(
    out: &Adj<&'static [u8]>,
    inn: &Adj<(u64, u64)>,
    edges: &ReadOnlyTable<u64, (u64, u32, u64)>,
    entities: &HashMap<u64, Vec<String>>,
    preds: &HashSet<u32>,
    rep: &mut Report,
) -> Result<()> {
    for row in out.iter()? {
        let (k, v) = row?;
        let (s, p, o, e) = k.value();
        let key = format!("({s}, {p}, {o}, {e})");
        let validity = match codec::decode_edge_keyed(v.value(), &|| key.clone()) {
            Ok((validity, _)) => Some(validity),
            Err(err) => {
                rep.add("graph_out", format!("{err}"));
                None
            }
        };
        for end in [s, o].into_iter().filter(|x| !entities.contains_key(x)) {
            rep.add(
                "graph_out",
                format!("edge {key} refers to missing entity {end}"),
            );
        }
        if !preds.contains(&p) {
            rep.add("graph_out", format!("edge {key} has unknown predicate {p}"));
        }
        match inn.get((o, p, s, e))?.map(|g| g.value()) {
            None => rep.add("graph_in", format!("out-edge {key} has no in-edge mirror")),
            Some((f, t)) if validity.is_some_and(|v| (v.from, v.to) != (f, t)) => {
                rep.add(
                    "graph_in",
                    format!("in-edge of {key} has validity ({f}, {t})"),
                );
            }
            Some(_) => {}
        }
        if edges.get(e)?.map(|g| g.value()) != Some((s, p, o)) {
            rep.add("graph_edges", format!("edge {e} is not indexed as {key}"));
        }
    }
    Ok(())
}

fn check_in(out: &Adj<&'static [u8]>, inn: &Adj<(u64, u64)>, rep: &mut Report) -> Result<()> {
    for row in inn.iter()? {
        let (o, p, s, e) = row?.0.value();
        if out.get((s, p, o, e))?.is_none() {
            rep.add(
                "graph_out",
                format!("in-edge ({o}, {p}, {s}, {e}) has no out-edge mirror"),
            );
        }
    }
    Ok(())
}

fn check_edge_index(
    out: &Adj<&'static [u8]>,
    edges: &ReadOnlyTable<u64, (u64, u32, u64)>,
    rep: &mut Report,
) -> Result<()> {
    for row in edges.iter()? {
        let (k, v) = row?;
        let (e, (s, p, o)) = (k.value(), v.value());
        if out.get((s, p, o, e))?.is_none() {
            rep.add(
                "graph_edges",
                format!("edge {e} → ({s}, {p}, {o}) has no out-edge"),
            );
        }
    }
    Ok(())
}

fn check_links(
    me: &ReadOnlyTable<(u64, u64), ()>,
    em: &ReadOnlyTable<(u64, u64), ()>,
    entities: &HashMap<u64, Vec<String>>,
    rep: &mut Report,
) -> Result<()> {
    for row in me.iter()? {
        let (m, e) = row?.0.value();
        if em.get((e, m))?.is_none() {
            rep.add(
                "graph_ent_mem",
                format!("link memory {m} → entity {e} has no mirror"),
            );
        }
        if !entities.contains_key(&e) {
            rep.add(
                "graph_mem_ent",
                format!("memory {m} is linked to missing entity {e}"),
            );
        }
    }
    for row in em.iter()? {
        let (e, m) = row?.0.value();
        if me.get((m, e))?.is_none() {
            rep.add(
                "graph_mem_ent",
                format!("link entity {e} → memory {m} has no mirror"),
            );
        }
    }
    Ok(())
}

/// Sizes of the graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphStats {
    /// Entities.
    pub entities: u64,
    /// Edges, current and closed.
    pub edges: u64,
    /// Interned predicates.
    pub predicates: u64,
    /// Memory ↔ entity links.
    pub links: u64,
}

/// Counts entities, edges, predicates and links.
pub fn stats(rtxn: &ReadTransaction) -> Result<GraphStats> {
    fn len<K: redb::Key + 'static, V: redb::Value + 'static>(
        rtxn: &ReadTransaction,
        def: redb::TableDefinition<K, V>,
    ) -> Result<u64> {
        Ok(match tables::read(rtxn, def)? {
            Some(t) => t.len()?,
            None => 0,
        })
    }
    Ok(GraphStats {
        entities: len(rtxn, ENTITIES)?,
        edges: len(rtxn, EDGES)?,
        predicates: len(rtxn, PRED_NAMES)?,
        links: len(rtxn, MEM_ENT)?,
    })
}
