//! Traversal: neighbourhoods (entities with hop distance *and* every relation among them) and
//! shortest paths, guarded by a depth maximum, a per-node fan-out cap and an entity cap.

use std::collections::HashMap;

use redb::ReadTransaction;
use serde::{Deserialize, Serialize};

use crate::copy::GraphCopy;
use crate::entity::Entity;
use crate::error::{GraphError, Result};
use crate::idmap::IdMap;
use crate::read::{Adj, Direction, Reader, Relation, Scan};

/// Largest traversal depth accepted (`DepthTooLarge` beyond). At average degree 16 a 6-hop
/// neighbourhood already reaches ~10⁹ entity visits without caps.
pub const MAX_DEPTH: u32 = 6;
/// Default per-node fan-out cap: a node with more visible edges than this (a super-node) is
/// expanded through its first `DEFAULT_MAX_FANOUT` edges only, and the result names it in `cut`.
pub const DEFAULT_MAX_FANOUT: usize = 1_000;
/// Default cap on the entities a neighbourhood returns.
pub const DEFAULT_MAX_ENTITIES: usize = 100_000;
/// Default cap on the number of shortest paths [`paths`] returns.
pub const DEFAULT_MAX_PATHS: usize = 16;

/// Options of [`neighborhood`] and [`paths`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TraversalOptions {
    /// Which edges to follow (default both: relations connect entities either way).
    pub direction: Direction,
    /// Only these predicates (empty = all). Also filters the returned relations.
    pub predicates: Vec<String>,
    /// `None`: current facts; `Some(t)`: facts valid at `t` (µs).
    pub as_of: Option<u64>,
    /// Per-node fan-out cap (see [`DEFAULT_MAX_FANOUT`]).
    pub max_fanout: usize,
    /// Cap on returned entities (see [`DEFAULT_MAX_ENTITIES`]).
    pub max_entities: usize,
    /// Cap on returned paths (see [`DEFAULT_MAX_PATHS`]).
    pub max_paths: usize,
    /// Load entity records (names) into the result; `false` returns ids and distances only.
    pub with_entities: bool,
}

impl Default for TraversalOptions {
    fn default() -> Self {
        TraversalOptions {
            direction: Direction::Both,
            predicates: Vec::new(),
            as_of: None,
            max_fanout: DEFAULT_MAX_FANOUT,
            max_entities: DEFAULT_MAX_ENTITIES,
            max_paths: DEFAULT_MAX_PATHS,
            with_entities: true,
        }
    }
}

/// An entity of a neighbourhood and its hop distance from the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hop {
    /// Entity id.
    pub id: u64,
    /// Hops from the root (0 for the root).
    pub distance: u32,
    /// The record, when `with_entities`.
    pub entity: Option<Entity>,
}

/// Result of [`neighborhood`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighborhood {
    /// The root entity.
    pub root: u64,
    /// Entities within the depth, sorted by (distance, id).
    pub entities: Vec<Hop>,
    /// Every visible relation whose subject and object are both in `entities`, by edge id.
    pub relations: Vec<Relation>,
    /// True when a cap cut the result (fan-out or entity cap).
    pub truncated: bool,
    /// Entities whose fan-out cap was hit, in id order.
    pub cut: Vec<u64>,
}

fn check_depth(depth: u32) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(GraphError::DepthTooLarge {
            depth,
            max: MAX_DEPTH,
        });
    }
    Ok(())
}

struct Setup<'c> {
    reader: Reader<'c>,
    predicates: Option<Vec<u32>>,
}

fn setup<'c>(
    rtxn: &ReadTransaction,
    copy: Option<&'c GraphCopy>,
    roots: &[u64],
    opts: &TraversalOptions,
) -> Result<Setup<'c>> {
    let reader = Reader::open(rtxn, copy)?
        .ok_or_else(|| GraphError::UnknownEntity(format!("#{}", roots.first().unwrap_or(&0))))?;
    for &r in roots {
        reader.require(r)?;
    }
    let predicates = match opts.predicates.is_empty() {
        true => None,
        false => Some(reader.predicate_ids(&opts.predicates)?),
    };
    Ok(Setup { reader, predicates })
}

fn scan<'a>(predicates: &'a Option<Vec<u32>>, opts: &TraversalOptions) -> Scan<'a> {
    Scan {
        direction: opts.direction,
        predicates: predicates.as_deref(),
        as_of: opts.as_of,
        cap: opts.max_fanout.max(1),
    }
}

/// Entities within `depth` hops of `root` with their distance, and every relation among them
/// (subject, predicate, object and edge data) — including relations between entities at the
/// same distance and between entities at the outer edge.
pub fn neighborhood(
    rtxn: &ReadTransaction,
    root: u64,
    depth: u32,
    opts: &TraversalOptions,
) -> Result<Neighborhood> {
    neighborhood_with(rtxn, None, root, depth, opts)
}

/// [`neighborhood`], reading from `copy` when it holds the snapshot's version (the result is
/// the same either way; a copy makes it an in-memory walk).
pub fn neighborhood_with(
    rtxn: &ReadTransaction,
    copy: Option<&GraphCopy>,
    root: u64,
    depth: u32,
    opts: &TraversalOptions,
) -> Result<Neighborhood> {
    check_depth(depth)?;
    let s = setup(rtxn, copy, &[root], opts)?;
    let (dist, order, mut cut, mut truncated) = bfs(&s, root, depth, opts)?;
    // (distance, id): the result's entity order; id order is also the cheapest order to read
    // adjacency lists and records in (neighbouring keys share B-tree pages).
    let mut ids: Vec<(u32, u64)> = order
        .iter()
        .map(|id| (dist.get(id).copied().unwrap_or(0), *id))
        .collect();
    ids.sort_unstable();
    let mut by_id = order;
    by_id.sort_unstable();
    let mut relations = Vec::new();
    let scan = scan(&s.predicates, opts);
    // Membership of the objects of every reached entity's out-edges (~40 per entity): a bitmap
    // over ids when the ids are those of an in-memory copy, the distance map otherwise.
    let in_map = |o: u64| dist.contains_key(&o);
    let (r, rels, cuts) = (&s.reader, &mut relations, &mut cut);
    match s.reader.id_bound() {
        Some(bound) => Bits::with(bound, &by_id, |members| match members {
            Some(bits) => relations_among(r, &by_id, &scan, |o| bits.has(o), rels, cuts),
            None => relations_among(r, &by_id, &scan, in_map, rels, cuts),
        })?,
        None => relations_among(r, &by_id, &scan, in_map, rels, cuts)?,
    }
    relations.sort_unstable_by_key(|r| r.edge);
    cut.sort_unstable();
    cut.dedup();
    truncated |= !cut.is_empty();
    let entities = hops(&s.reader, ids, opts.with_entities)?;
    Ok(Neighborhood {
        root,
        entities,
        relations,
        truncated,
        cut,
    })
}

type Bfs = (IdMap<u32>, Vec<u64>, Vec<u64>, bool);

/// The visible out-edges of `ids` whose object passes `keep` (a member of the neighbourhood),
/// into `relations`; entities whose fan-out cap stopped the scan into `cut`.
fn relations_among(
    r: &Reader,
    ids: &[u64],
    scan: &Scan,
    keep: impl Fn(u64) -> bool,
    relations: &mut Vec<Relation>,
    cut: &mut Vec<u64>,
) -> Result<()> {
    for &n in ids {
        if r.out_relations(n, scan, &keep, relations)? {
            cut.push(n);
        }
    }
    Ok(())
}

/// A set of entity ids below a bound, as a bitmap: one per thread, kept between calls and
/// cleared bit by bit after each (a fresh zeroed bitmap of a million ids per call costs more
/// than the lookups it saves).
struct Bits<'a> {
    words: std::cell::RefMut<'a, Vec<u64>>,
    ids: &'a [u64],
}

thread_local! {
    static BITS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Bits<'_> {
    /// Runs `f` with the set of `ids` (all below `bound`); `f` gets `None` when an id is not
    /// below the bound (an edge to an entity the copy lacks) or the bitmap is in use.
    fn with<T>(bound: usize, ids: &[u64], f: impl FnOnce(Option<&Bits>) -> T) -> T {
        BITS.with(|cell| {
            let Ok(mut words) = cell.try_borrow_mut() else {
                return f(None);
            };
            if words.len() < bound.div_ceil(64) {
                words.resize(bound.div_ceil(64), 0);
            }
            let mut bits = Bits { words, ids: &[] };
            for (n, &id) in ids.iter().enumerate() {
                let word = usize::try_from(id / 64).ok();
                match word.and_then(|i| bits.words.get_mut(i)) {
                    Some(w) => *w |= 1 << (id % 64),
                    None => {
                        bits.ids = &ids[..n];
                        return f(None);
                    }
                }
            }
            bits.ids = ids;
            f(Some(&bits))
        })
    }

    fn has(&self, id: u64) -> bool {
        usize::try_from(id / 64)
            .ok()
            .and_then(|i| self.words.get(i))
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }
}

impl Drop for Bits<'_> {
    fn drop(&mut self) {
        for &id in self.ids {
            if let Some(w) = usize::try_from(id / 64)
                .ok()
                .and_then(|i| self.words.get_mut(i))
            {
                *w = 0;
            }
        }
    }
}

/// Breadth-first search to `depth`: distances, visit order, fan-out-cut nodes, entity cap hit.
fn bfs(s: &Setup, root: u64, depth: u32, opts: &TraversalOptions) -> Result<Bfs> {
    let scan = scan(&s.predicates, opts);
    let mut dist = IdMap::default();
    dist.insert(root, 0u32);
    let (mut order, mut frontier, mut cut) = (vec![root], vec![root], Vec::new());
    let max_entities = opts.max_entities.max(1);
    for d in 1..=depth {
        let mut next = Vec::new();
        for &n in &frontier {
            let (adj, was_cut) = s.reader.adjacent(n, &scan)?;
            if was_cut {
                cut.push(n);
            }
            for a in adj {
                if dist.contains_key(&a.other) {
                    continue;
                }
                if dist.len() >= max_entities {
                    return Ok((dist, order, cut, true));
                }
                dist.insert(a.other, d);
                order.push(a.other);
                next.push(a.other);
            }
        }
        frontier = next;
    }
    Ok((dist, order, cut, false))
}

/// The result's entities in (distance, id) order, with their records when wanted (an id
/// without a record gets `None`).
fn hops(r: &Reader, ids: Vec<(u32, u64)>, with_entities: bool) -> Result<Vec<Hop>> {
    ids.into_iter()
        .map(|(distance, id)| {
            let entity = match with_entities {
                true => r.entity(id)?,
                false => None,
            };
            Ok(Hop {
                id,
                distance,
                entity,
            })
        })
        .collect()
}

/// One path: `entities[i]` and `entities[i + 1]` are joined by `relations[i]` (in either
/// direction; the relation says which end is the subject).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Path {
    /// Entities from `a` to `b`.
    pub entities: Vec<u64>,
    /// The relations between consecutive entities.
    pub relations: Vec<Relation>,
}

/// Result of [`paths`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paths {
    /// Shortest paths from `a` to `b` (all of the same length), at most `max_paths`.
    pub paths: Vec<Path>,
    /// True when a cap cut the search or more shortest paths exist than were returned.
    pub truncated: bool,
}

/// Shortest paths from `a` to `b` of at most `max_depth` hops (empty when none).
pub fn paths(
    rtxn: &ReadTransaction,
    a: u64,
    b: u64,
    max_depth: u32,
    opts: &TraversalOptions,
) -> Result<Paths> {
    paths_with(rtxn, None, a, b, max_depth, opts)
}

/// [`paths`], reading from `copy` when it holds the snapshot's version.
pub fn paths_with(
    rtxn: &ReadTransaction,
    copy: Option<&GraphCopy>,
    a: u64,
    b: u64,
    max_depth: u32,
    opts: &TraversalOptions,
) -> Result<Paths> {
    check_depth(max_depth)?;
    let s = setup(rtxn, copy, &[a, b], opts)?;
    if a == b {
        return Ok(Paths {
            paths: vec![Path {
                entities: vec![a],
                relations: vec![],
            }],
            truncated: false,
        });
    }
    let (parents, truncated) = layered_parents(&s, a, b, max_depth, opts)?;
    let mut out = Vec::new();
    let mut more = false;
    let mut stack: Vec<(u64, Vec<Adj>)> = vec![(b, Vec::new())];
    while let Some((node, suffix)) = stack.pop() {
        if node == a {
            if out.len() == opts.max_paths.max(1) {
                more = true;
                break;
            }
            out.push(build_path(&s.reader, a, &suffix)?);
            continue;
        }
        for p in parents.get(&node).into_iter().flatten().rev() {
            let mut next = suffix.clone();
            next.push(*p);
            stack.push((p.other, next));
        }
    }
    Ok(Paths {
        paths: out,
        truncated: truncated || more,
    })
}

/// Parents of every node reached, layer by layer, until `b`'s layer. `Adj.other` is the
/// parent. Returns whether a fan-out cap cut the search.
fn layered_parents(
    s: &Setup,
    a: u64,
    b: u64,
    max_depth: u32,
    opts: &TraversalOptions,
) -> Result<(HashMap<u64, Vec<Adj>>, bool)> {
    let scan = scan(&s.predicates, opts);
    let mut level = HashMap::from([(a, 0u32)]);
    let mut parents: HashMap<u64, Vec<Adj>> = HashMap::new();
    let (mut frontier, mut truncated) = (vec![a], false);
    for d in 1..=max_depth {
        let mut next = Vec::new();
        for &n in &frontier {
            let (adj, cut) = s.reader.adjacent(n, &scan)?;
            truncated |= cut;
            for x in adj {
                let lvl = *level.entry(x.other).or_insert_with(|| {
                    next.push(x.other);
                    d
                });
                if lvl == d {
                    parents.entry(x.other).or_default().push(Adj {
                        other: n,
                        key: x.key,
                    });
                }
            }
        }
        if level.contains_key(&b) || next.is_empty() || level.len() >= opts.max_entities {
            truncated |= !level.contains_key(&b) && level.len() >= opts.max_entities;
            break;
        }
        frontier = next;
    }
    if !level.contains_key(&b) {
        parents.clear();
    }
    Ok((parents, truncated))
}

/// `suffix` holds the steps from `b` back towards `a`; reverse it into a path from `a`.
fn build_path(r: &Reader, a: u64, suffix: &[Adj]) -> Result<Path> {
    let mut entities = vec![a];
    let mut relations = Vec::with_capacity(suffix.len());
    for step in suffix.iter().rev() {
        let rel = r.relation_at(step.key)?;
        let (s, o) = (rel.subject, rel.object);
        let last = entities.last().copied().unwrap_or(a);
        entities.push(if s == last { o } else { s });
        relations.push(rel);
    }
    Ok(Path {
        entities,
        relations,
    })
}
