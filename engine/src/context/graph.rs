//! Graph proximity for the selector and the "facts about the entities in the query" section.
//!
//! The query's words and n-grams (up to [`memspine_graph::MAX_NGRAM_WORDS`] words) are looked up
//! as entity names or aliases (normalised: case, whitespace, Unicode). For each entity found:
//! - its newest linked memories in the caller's scope become candidates (source `graph`);
//! - every candidate linked to it gets graph proximity 1.0, and a candidate linked to an entity
//!   one relation away (within the fan-out cap) gets 0.5;
//! - its current relations (at most `graph_facts` per entity) become fact lines. A fact recorded
//!   from a memory outside the caller's scope is left out (its provenance is not the caller's);
//!   facts without a source memory are shown.

use std::collections::{HashMap, HashSet};

use memspine_graph::{self as g, TraversalOptions};
use roaring::RoaringBitmap;
use serde::Serialize;

use crate::clock::Micros;
use crate::error::Result;
use crate::memory::MemoryId;
use crate::read::Snapshot;

use super::ContextOptions;

/// Most entities taken from one query.
pub const MAX_QUERY_ENTITIES: usize = 8;
/// Links looked at per mentioned entity when collecting its memories in scope.
const MAX_LINK_SCAN: usize = 2_000;

/// Why a candidate has a graph signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphLink {
    /// The entity the memory is linked to.
    pub entity: String,
    /// 0: the query mentions it; 1: it is one relation away from one the query mentions.
    pub distance: u32,
    /// For distance 1, the mentioned entity it is related to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl GraphLink {
    /// The explanation used in `why`.
    pub fn describe(&self) -> String {
        match &self.via {
            None => format!("linked to entity {} mentioned in the query", self.entity),
            Some(v) => format!(
                "linked to entity {}, related to {} mentioned in the query",
                self.entity, v
            ),
        }
    }

    fn proximity(&self) -> f32 {
        1.0 / (1.0 + self.distance as f32)
    }
}

/// A relation from the knowledge graph about an entity the query mentions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphFact {
    /// Edge id.
    pub edge: u64,
    /// Subject name.
    pub subject: String,
    /// Predicate (normalised).
    pub predicate: String,
    /// Object name.
    pub object: String,
    /// Start of validity (µs).
    pub valid_from: Micros,
    /// The memory the fact was recorded from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryId>,
}

/// What the graph contributes to one selection.
#[derive(Debug, Default)]
pub(crate) struct GraphContext {
    /// Names of the entities the query mentions, in order of mention.
    pub mentioned: Vec<String>,
    /// Entity id → how it relates to the query (mentioned, or one hop from a mentioned one).
    near: HashMap<u64, GraphLink>,
    /// Memory ids proposed by the graph (in scope, newest first per entity).
    pub proposed: Vec<MemoryId>,
    /// Facts about the mentioned entities, per entity newest first.
    pub facts: Vec<GraphFact>,
    /// Edges of facts left out because their source memory is outside the caller's filter.
    pub filtered: Vec<u64>,
}

impl GraphContext {
    /// Looks the query's entities up and gathers their neighbours, memories and facts.
    pub(crate) fn build(
        s: &Snapshot,
        query: &str,
        allowed: &RoaringBitmap,
        opts: &ContextOptions,
    ) -> Result<Self> {
        let mut out = GraphContext::default();
        if query.trim().is_empty() {
            return Ok(out);
        }
        let mentions = g::entities_in_text(&s.txn, query, MAX_QUERY_ENTITIES)?;
        if mentions.is_empty() {
            return Ok(out);
        }
        let in_scope = |m: u64| u32::try_from(m).is_ok_and(|m| allowed.contains(m));
        let mut names: HashMap<u64, String> = HashMap::new();
        for m in &mentions {
            let name = g::get_entity(&s.txn, m.entity)?
                .map(|e| e.name)
                .unwrap_or_else(|| m.matched.clone());
            names.insert(m.entity, name.clone());
            out.mentioned.push(name.clone());
            out.near.insert(
                m.entity,
                GraphLink {
                    entity: name,
                    distance: 0,
                    via: None,
                },
            );
        }
        let topts = TraversalOptions {
            max_fanout: opts.graph_facts.max(1),
            max_entities: opts.graph_facts.max(1) + 1,
            with_entities: true,
            ..TraversalOptions::default()
        };
        let mut seen_edges = HashSet::new();
        let mut proposed = HashSet::new();
        for m in &mentions {
            for id in g::recent_memories_about(
                &s.txn,
                m.entity,
                opts.graph_candidates,
                MAX_LINK_SCAN,
                in_scope,
            )? {
                if proposed.insert(id) {
                    out.proposed.push(MemoryId(id));
                }
            }
            let nb = g::neighborhood(&s.txn, m.entity, 1, &topts)?;
            for hop in &nb.entities {
                if let Some(e) = &hop.entity {
                    names.entry(hop.id).or_insert_with(|| e.name.clone());
                }
            }
            let about = names.get(&m.entity).cloned().unwrap_or_default();
            for hop in nb.entities.iter().filter(|h| h.distance == 1) {
                let entity = names.get(&hop.id).cloned().unwrap_or_default();
                out.near.entry(hop.id).or_insert_with(|| GraphLink {
                    entity,
                    distance: 1,
                    via: Some(about.clone()),
                });
            }
            let mut kept = Vec::new();
            for r in nb
                .relations
                .iter()
                .filter(|r| r.subject == m.entity || r.object == m.entity)
                .filter(|r| seen_edges.insert(r.edge))
            {
                if !r.memory.is_none_or(in_scope) {
                    out.filtered.push(r.edge);
                    continue;
                }
                kept.push(r);
            }
            let mut facts: Vec<GraphFact> = kept
                .into_iter()
                .map(|r| GraphFact {
                    edge: r.edge,
                    subject: names.get(&r.subject).cloned().unwrap_or_default(),
                    predicate: r.predicate.clone(),
                    object: names.get(&r.object).cloned().unwrap_or_default(),
                    valid_from: r.valid_from,
                    memory: r.memory.map(MemoryId),
                })
                .collect();
            facts.sort_by_key(|f| (std::cmp::Reverse(f.valid_from), f.edge));
            facts.truncate(opts.graph_facts);
            out.facts.extend(facts);
        }
        Ok(out)
    }

    /// Whether the query mentions any entity.
    pub(crate) fn is_empty(&self) -> bool {
        self.near.is_empty()
    }

    /// The closest link of memory `id` to the query's entities, and its proximity.
    pub(crate) fn link_of(&self, s: &Snapshot, id: MemoryId) -> Result<Option<(f32, GraphLink)>> {
        if self.is_empty() {
            return Ok(None);
        }
        let mut best: Option<&GraphLink> = None;
        for e in g::entities_of_memory(&s.txn, id.0)? {
            if let Some(l) = self.near.get(&e) {
                if best.is_none_or(|b| l.distance < b.distance) {
                    best = Some(l);
                }
            }
        }
        Ok(best.map(|l| (l.proximity(), l.clone())))
    }
}

/// The line of a fact in the window.
pub(crate) fn fact_line(f: &GraphFact) -> String {
    format!(
        "- [{}] {} {} {}",
        crate::clock::format_date(f.valid_from),
        f.subject,
        f.predicate.replace('_', " "),
        f.object
    )
}
