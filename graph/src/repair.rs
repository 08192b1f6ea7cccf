//! `repair`: rebuilds the graph's derived tables from its primary ones, in the caller's write
//! transaction (so a crash during repair changes nothing).
//!
//! Primary: `graph_entities` (entity records), `graph_out` (edges with their data), the predicate
//! interning (either direction restores the other) and the memory links (either direction
//! restores the other). Derived and rebuilt: `graph_names` from the entity records, `graph_in`
//! and `graph_edges` from `graph_out`, each link table from the union of both.
//!
//! What cannot be restored is removed and reported: an entity record that fails its checksum
//! (with its edges and links), an out-edge that fails its checksum or names a missing entity or
//! predicate, an in-edge whose out-edge is gone (the edge's data lived in the out-edge), a link
//! to a missing entity or (per the caller) to a missing memory.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::error::Result;
use crate::normalize::normalize;
use crate::write::Tables;

/// What [`repair`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphRepair {
    /// Entities whose record failed to decode: removed with their edges and links.
    pub bad_entities: Vec<u64>,
    /// Out-edges removed (bad checksum, missing entity or predicate), as `(s, p, o, edge)`.
    pub dropped_edges: Vec<(u64, u32, u64, u64)>,
    /// Edge ids of in-edges that had no out-edge (their data is lost): removed.
    pub lost_edges: Vec<u64>,
    /// Rows of `graph_in` that were missing or differed and were rewritten.
    pub in_edges_fixed: u64,
    /// Rows of `graph_edges` that were missing or differed and were rewritten.
    pub edge_index_fixed: u64,
    /// Name-index rows added or removed.
    pub names_fixed: u64,
    /// Normalised names claimed by two entities (the lower id keeps the name).
    pub name_conflicts: Vec<String>,
    /// Predicate rows restored from the other direction.
    pub predicates_fixed: u64,
    /// Links restored from their mirror.
    pub links_fixed: u64,
    /// Links removed because their entity or memory is missing.
    pub links_dropped: u64,
}

impl GraphRepair {
    /// True when nothing needed fixing.
    pub fn is_clean(&self) -> bool {
        *self == GraphRepair::default()
    }
}

type Key = (u64, u32, u64, u64);

/// Rebuilds the graph's derived tables (see the module docs). `memory_exists` says whether a
/// linked memory still exists; links to memories it rejects are removed.
pub fn repair(wtxn: &WriteTransaction, memory_exists: &dyn Fn(u64) -> bool) -> Result<GraphRepair> {
    let mut t = Tables::open(wtxn)?;
    // Anything below may change: an in-memory copy of the graph is rebuilt after a repair.
    t.touch_all()?;
    let mut rep = GraphRepair::default();

    // Entities: the names of every good record; bad records go.
    let mut names_of: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for row in t.entities.iter()? {
        let (k, v) = row?;
        let id = k.value();
        match codec::decode_entity(v.value()) {
            Ok(rec) => {
                let names = std::iter::once(&rec.name).chain(&rec.aliases);
                names_of.insert(id, names.map(|n| normalize(n)).collect());
            }
            Err(_) => rep.bad_entities.push(id),
        }
    }
    for &id in &rep.bad_entities {
        t.entities.remove(id)?;
    }

    // Names: exactly the good records' names; the lowest id wins a conflict.
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for (&id, names) in &names_of {
        for n in names {
            if let Some(&owner) = want.get(n) {
                if owner != id {
                    rep.name_conflicts.push(format!("{n:?}: {owner} and {id}"));
                }
            } else {
                want.insert(n.clone(), id);
            }
        }
    }
    let mut stale = Vec::new();
    for row in t.names.iter()? {
        let (k, v) = row?;
        let name = k.value().to_string();
        if want.get(&name) != Some(&v.value()) {
            stale.push(name);
        }
    }
    for n in &stale {
        t.names.remove(n.as_str())?;
    }
    rep.names_fixed += stale.len() as u64;
    for (n, &id) in &want {
        if t.names.get(n.as_str())?.is_none() {
            t.names.insert(n.as_str(), id)?;
            rep.names_fixed += 1;
        }
    }

    // Predicates: either direction restores the other.
    let mut by_name = Vec::new();
    for row in t.predicates.iter()? {
        let (k, v) = row?;
        by_name.push((k.value().to_string(), v.value().0));
    }
    let mut by_id = Vec::new();
    for row in t.pred_names.iter()? {
        let (k, v) = row?;
        by_id.push((k.value(), v.value().to_string()));
    }
    let mut preds: HashSet<u32> = HashSet::new();
    for (name, id) in &by_name {
        if t.pred_names.get(*id)?.is_none() {
            t.pred_names.insert(*id, name.as_str())?;
            rep.predicates_fixed += 1;
        }
        preds.insert(*id);
    }
    for (id, name) in &by_id {
        if t.predicates.get(name.as_str())?.is_none() {
            t.predicates.insert(name.as_str(), (*id, 0))?;
            rep.predicates_fixed += 1;
        }
        preds.insert(*id);
    }

    // Out-edges are primary: keep those that decode and whose ends and predicate exist.
    let mut kept: BTreeMap<Key, codec::Validity> = BTreeMap::new();
    for row in t.out.iter()? {
        let (k, v) = row?;
        let key = k.value();
        let (s, p, o, _) = key;
        let ok = names_of.contains_key(&s) && names_of.contains_key(&o) && preds.contains(&p);
        match codec::decode_edge(v.value()) {
            Ok((validity, _)) if ok => {
                kept.insert(key, validity);
            }
            _ => rep.dropped_edges.push(key),
        }
    }
    for &key in &rep.dropped_edges {
        t.out.remove(key)?;
    }

    // In-edges and the edge index: exactly the mirrors of the kept out-edges.
    let mut extra_in = Vec::new();
    for row in t.inn.iter()? {
        let (o, p, s, e) = row?.0.value();
        if !kept.contains_key(&(s, p, o, e)) {
            extra_in.push((o, p, s, e)); // a differing validity is rewritten below
        }
    }
    for &(o, p, s, e) in &extra_in {
        t.inn.remove((o, p, s, e))?;
        if !rep.dropped_edges.iter().any(|k| k.3 == e) {
            rep.lost_edges.push(e);
        }
    }
    let mut extra_idx = Vec::new();
    for row in t.edges.iter()? {
        let (k, v) = row?;
        let e = k.value();
        let (s, p, o) = v.value();
        if !kept.contains_key(&(s, p, o, e)) {
            extra_idx.push(e);
        }
    }
    for &e in &extra_idx {
        t.edges.remove(e)?;
        rep.edge_index_fixed += 1;
    }
    for (&(s, p, o, e), v) in &kept {
        if t.inn.get((o, p, s, e))?.map(|g| g.value()) != Some((v.from, v.to)) {
            t.inn.insert((o, p, s, e), (v.from, v.to))?;
            rep.in_edges_fixed += 1;
        }
        if t.edges.get(e)?.map(|g| g.value()) != Some((s, p, o)) {
            t.edges.insert(e, (s, p, o))?;
            rep.edge_index_fixed += 1;
        }
    }

    // Links: the union of both directions, minus links to missing entities or memories.
    let mut links: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut mem_ent = BTreeSet::new();
    for row in t.mem_ent.iter()? {
        let (m, e) = row?.0.value();
        mem_ent.insert((m, e));
        links.insert((m, e));
    }
    let mut ent_mem = BTreeSet::new();
    for row in t.ent_mem.iter()? {
        let (e, m) = row?.0.value();
        ent_mem.insert((m, e));
        links.insert((m, e));
    }
    for &(m, e) in &links {
        if names_of.contains_key(&e) && memory_exists(m) {
            if !mem_ent.contains(&(m, e)) {
                t.mem_ent.insert((m, e), ())?;
                rep.links_fixed += 1;
            }
            if !ent_mem.contains(&(m, e)) {
                t.ent_mem.insert((e, m), ())?;
                rep.links_fixed += 1;
            }
        } else {
            t.mem_ent.remove((m, e))?;
            t.ent_mem.remove((e, m))?;
            rep.links_dropped += 1;
        }
    }
    Ok(rep)
}
