//! Model-based fuzz target: a random sequence of API operations (store, store_batch, update,
//! delete, append_event, add_triple, searches, DSL queries, batch_consolidate, reopen, and
//! injected I/O faults followed by a reopen) runs against the engine on a temp dir and against a
//! plain in-memory model; after every step the two must agree on `get` of every id, filtered
//! id lists, exact semantic search (top-k against brute force), DSL query results, the event
//! count and the graph's edges.
//!
//! After an injected fault: the failing operation must return an error, the handle must refuse
//! later writes (`Poisoned`), and the reopened database must equal the model before the
//! operation or the model after it (it became durable) — nothing in between.
#![no_main]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use memspine::fault::{Faults, Kind, Plan, Target};
use memspine::{
    ConsolidateOptions, Direction, Durability, EmbedderChoice, Error, Filter, ManualClock,
    MemoryId, MemoryUpdate, NewMemory, NewTriple, Options, Scope, SearchMode, SearchOptions, Spine,
};
use memspine_compaction::summarize::{ConsolidationInput, Summary};

const DIM: usize = 4;
const T0: u64 = 1_767_225_600_000_000;
const USERS: [&str; 3] = ["alice", "bob", "carol"];
const TAGS: [&str; 3] = ["red", "green", "blue"];
const WORDS: [&str; 8] = [
    "email", "phone", "paris", "hiking", "coffee", "meeting", "search", "team",
];
const NAMES: [&str; 4] = ["alice", "bob", "acme", "paris"];
const PREDICATES: [&str; 2] = ["knows", "works_at"];
const IMPORTANCE: [f32; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];
const MAX_OPS: usize = 48;

// ---------------------------------------------------------------- input decoding

struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[usize::from(self.u8()) % xs.len()]
    }
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.u8()) % n.max(1)
    }
    fn flag(&mut self) -> bool {
        self.u8() & 1 == 1
    }
    fn content(&mut self) -> String {
        let n = 1 + self.below(4);
        (0..n)
            .map(|_| self.pick(&WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn tags(&mut self) -> Vec<String> {
        let bits = self.u8();
        TAGS.iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, t)| (*t).to_owned())
            .collect()
    }
    /// A small vector; all-zero means "no vector".
    fn vector(&mut self) -> Option<Vec<f32>> {
        let v: Vec<f32> = (0..DIM).map(|_| f32::from(self.u8() as i8 / 16)).collect();
        v.iter().any(|x| *x != 0.0).then_some(v)
    }
}

#[derive(Debug, Clone)]
struct NewM {
    content: String,
    user: &'static str,
    tags: Vec<String>,
    importance: f32,
    vector: Option<Vec<f32>>,
}

#[derive(Debug, Clone)]
enum Dsl {
    Tag(&'static str),
    User(&'static str),
    ImportanceAtLeast(f32),
    Not(Box<Dsl>),
    And(Box<Dsl>, Box<Dsl>),
    Or(Box<Dsl>, Box<Dsl>),
}

#[derive(Debug, Clone)]
enum Op {
    Store(NewM),
    Batch(Vec<NewM>),
    Update {
        id: u64,
        content: Option<String>,
        tags: Option<Vec<String>>,
        importance: Option<f32>,
        vector: Option<Vec<f32>>,
    },
    Delete(u64),
    Event(&'static str),
    Triple(&'static str, &'static str, &'static str),
    Consolidate(Vec<u64>),
    Search {
        query: Vec<f32>,
        k: usize,
        user: Option<&'static str>,
    },
    Filter {
        user: Option<&'static str>,
        tag: Option<&'static str>,
        archived: bool,
    },
    Query(Dsl),
    Reopen,
    Fault(Plan, Box<Op>),
}

fn new_m(inp: &mut Input) -> NewM {
    NewM {
        content: inp.content(),
        user: inp.pick(&USERS),
        tags: inp.tags(),
        importance: inp.pick(&IMPORTANCE),
        vector: inp.vector(),
    }
}

fn dsl(inp: &mut Input, depth: u32) -> Dsl {
    let choice = if depth >= 3 {
        inp.below(3)
    } else {
        inp.below(6)
    };
    match choice {
        0 => Dsl::Tag(inp.pick(&TAGS)),
        1 => Dsl::User(inp.pick(&USERS)),
        2 => Dsl::ImportanceAtLeast(inp.pick(&IMPORTANCE)),
        3 => Dsl::Not(Box::new(dsl(inp, depth + 1))),
        4 => Dsl::And(Box::new(dsl(inp, depth + 1)), Box::new(dsl(inp, depth + 1))),
        _ => Dsl::Or(Box::new(dsl(inp, depth + 1)), Box::new(dsl(inp, depth + 1))),
    }
}

/// An id the model knows (mostly), or one just past them.
fn some_id(inp: &mut Input, m: &Model) -> u64 {
    let ids: Vec<u64> = m.memories.keys().copied().collect();
    if ids.is_empty() || inp.below(8) == 0 {
        return m.next_num + inp.below(2) as u64;
    }
    ids[inp.below(ids.len())]
}

fn write_op(inp: &mut Input, m: &Model) -> Op {
    match inp.below(7) {
        0 => Op::Store(new_m(inp)),
        1 => {
            let n = 1 + inp.below(4);
            Op::Batch((0..n).map(|_| new_m(inp)).collect())
        }
        2 => {
            let id = some_id(inp, m);
            let what = inp.u8();
            Op::Update {
                id,
                content: (what & 1 != 0).then(|| inp.content()),
                tags: (what & 2 != 0).then(|| inp.tags()),
                importance: (what & 4 != 0).then(|| inp.pick(&IMPORTANCE)),
                vector: if what & 8 != 0 { inp.vector() } else { None },
            }
        }
        3 => Op::Delete(some_id(inp, m)),
        4 => Op::Event(inp.pick(&["agent.note", "agent.tool_call"])),
        5 => {
            let s = inp.below(NAMES.len());
            let o = (s + 1 + inp.below(NAMES.len() - 1)) % NAMES.len();
            Op::Triple(NAMES[s], inp.pick(&PREDICATES), NAMES[o])
        }
        _ => {
            // Live memories of one user.
            let user = inp.pick(&USERS);
            let ids: Vec<u64> = m
                .memories
                .iter()
                .filter(|(_, x)| !x.archived && x.user == user)
                .map(|(id, _)| *id)
                .collect();
            let mut pick: Vec<u64> = ids.iter().copied().filter(|_| inp.flag()).collect();
            if pick.len() < 2 {
                pick = ids.iter().take(2).copied().collect();
            }
            Op::Consolidate(pick)
        }
    }
}

fn next_op(inp: &mut Input, m: &Model) -> Op {
    match inp.below(16) {
        0..=6 => write_op(inp, m),
        7 | 8 => Op::Search {
            query: inp.vector().unwrap_or_else(|| vec![1.0, 0.0, 0.0, 0.0]),
            k: 1 + inp.below(6),
            user: inp.flag().then(|| inp.pick(&USERS)),
        },
        9 => Op::Filter {
            user: inp.flag().then(|| inp.pick(&USERS)),
            tag: inp.flag().then(|| inp.pick(&TAGS)),
            archived: inp.flag(),
        },
        10 => Op::Query(dsl(inp, 0)),
        11 => Op::Reopen,
        _ => {
            let target = if inp.flag() {
                Target::Db
            } else {
                Target::Arena
            };
            let kind = inp.pick(&Kind::ALL);
            let nth = inp.below(if target == Target::Db { 12 } else { 4 }) as u64;
            let sticky = inp.flag();
            let op = write_op(inp, m);
            Op::Fault(
                Plan {
                    target,
                    kind,
                    nth,
                    sticky,
                },
                Box::new(op),
            )
        }
    }
}

// ---------------------------------------------------------------- the model

#[derive(Debug, Clone, PartialEq)]
struct MMem {
    content: String,
    kind: String,
    user: &'static str,
    tags: Vec<String>,
    importance: f32,
    vector: Option<Vec<f32>>,
    archived: bool,
    provenance: Vec<u64>,
}

#[derive(Debug, Clone, Default)]
struct Model {
    memories: BTreeMap<u64, MMem>,
    next_num: u64,
    events: usize,
    /// (subject, predicate, object), one per edge.
    edges: Vec<(&'static str, &'static str, &'static str)>,
}

fn normalize(v: &[f32]) -> Vec<f32> {
    let norm = v
        .iter()
        .map(|x| f64::from(*x) * f64::from(*x))
        .sum::<f64>()
        .sqrt();
    v.iter().map(|x| (f64::from(*x) / norm) as f32).collect()
}

fn sorted_tags(t: &[String]) -> Vec<String> {
    let mut t = t.to_vec();
    t.sort();
    t.dedup();
    t
}

impl Model {
    fn new() -> Self {
        Model {
            next_num: 1,
            ..Model::default()
        }
    }

    fn insert(&mut self, n: &NewM) -> u64 {
        let id = self.next_num;
        self.next_num += 1;
        self.events += 1;
        self.memories.insert(
            id,
            MMem {
                content: n.content.clone(),
                kind: "interaction".into(),
                user: n.user,
                tags: sorted_tags(&n.tags),
                importance: n.importance,
                vector: n.vector.as_deref().map(normalize),
                archived: false,
                provenance: Vec::new(),
            },
        );
        id
    }

    /// Applies a write; `Err(())` when the engine must reject it (the model stays unchanged).
    fn apply(&mut self, op: &Op) -> Result<(), ()> {
        match op {
            Op::Store(n) => {
                self.insert(n);
            }
            Op::Batch(ns) => ns.iter().for_each(|n| {
                self.insert(n);
            }),
            Op::Update {
                id,
                content,
                tags,
                importance,
                vector,
            } => {
                let next = self.next_num;
                let m = self.memories.get_mut(id).ok_or(())?;
                if let Some(c) = content {
                    m.content = c.clone();
                }
                if let Some(t) = tags {
                    m.tags = sorted_tags(t);
                }
                if let Some(i) = importance {
                    m.importance = *i;
                }
                if let Some(v) = vector {
                    m.vector = Some(normalize(v));
                    self.next_num = next + 1;
                }
                self.events += 1;
            }
            Op::Delete(id) => {
                self.memories.remove(id).ok_or(())?;
                self.events += 1;
            }
            Op::Event(_) => self.events += 1,
            Op::Triple(s, p, o) => {
                self.edges.push((s, p, o));
                self.events += 1;
            }
            Op::Consolidate(ids) => {
                let items: Vec<&MMem> = ids
                    .iter()
                    .map(|id| self.memories.get(id).ok_or(()))
                    .collect::<Result<_, ()>>()?;
                if ids.len() < 2 || items.iter().any(|m| m.user != items[0].user) {
                    return Err(());
                }
                let merged = MMem {
                    content: summary_content(items.iter().map(|m| m.content.as_str())),
                    kind: "consolidated".into(),
                    user: items[0].user,
                    tags: sorted_tags(
                        &items
                            .iter()
                            .flat_map(|m| m.tags.iter().cloned())
                            .collect::<Vec<_>>(),
                    ),
                    importance: items.iter().map(|m| m.importance).fold(0.0, f32::max),
                    vector: None,
                    archived: false,
                    provenance: ids.clone(),
                };
                let id = self.next_num;
                self.next_num += 1;
                for i in ids {
                    if let Some(m) = self.memories.get_mut(i) {
                        m.archived = true;
                    }
                }
                self.memories.insert(id, merged);
                self.events += ids.len() + 2;
            }
            _ => {}
        }
        Ok(())
    }

    fn eval(&self, q: &Dsl, m: &MMem) -> bool {
        match q {
            Dsl::Tag(t) => m.tags.iter().any(|x| x == t),
            Dsl::User(u) => m.user == *u,
            Dsl::ImportanceAtLeast(x) => m.importance >= *x,
            Dsl::Not(a) => !self.eval(a, m),
            Dsl::And(a, b) => self.eval(a, m) && self.eval(b, m),
            Dsl::Or(a, b) => self.eval(a, m) || self.eval(b, m),
        }
    }
}

fn dsl_text(q: &Dsl) -> String {
    match q {
        Dsl::Tag(t) => format!("tag:{t}"),
        Dsl::User(u) => format!("user:{u}"),
        Dsl::ImportanceAtLeast(x) => format!("importance>={x}"),
        Dsl::Not(a) => format!("NOT ({})", dsl_text(a)),
        Dsl::And(a, b) => format!("({}) AND ({})", dsl_text(a), dsl_text(b)),
        Dsl::Or(a, b) => format!("({}) OR ({})", dsl_text(a), dsl_text(b)),
    }
}

fn summary_content<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    parts.collect::<Vec<_>>().join(" + ")
}

/// A summarizer the model can predict: contents joined in id order, tags united, highest
/// importance, no vector.
struct Joiner;

impl memspine::Summarizer for Joiner {
    fn summarize(&self, items: &[ConsolidationInput]) -> memspine_compaction::Result<Summary> {
        let mut items: Vec<&ConsolidationInput> = items.iter().collect();
        items.sort_by_key(|i| i.id);
        let mut tags: Vec<String> = items.iter().flat_map(|i| i.tags.iter().cloned()).collect();
        tags.sort();
        tags.dedup();
        Ok(Summary {
            content: summary_content(items.iter().map(|i| i.content.as_str())),
            tags,
            metadata: serde_json::json!({}),
            importance: items.iter().map(|i| i.importance).fold(0.0, f32::max),
            provenance: items.iter().map(|i| i.id).collect(),
            first_created: items.iter().map(|i| i.created).min().unwrap_or(0),
            last_created: items.iter().map(|i| i.created).max().unwrap_or(0),
            vector: None,
            truncated: false,
        })
    }
}

// ---------------------------------------------------------------- the engine side

struct Harness {
    dir: PathBuf,
    clock: ManualClock,
    faults: Faults,
    db: Option<Spine>,
}

fn base_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

impl Harness {
    fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = base_dir().join(format!(
            "memspine-fuzz-model-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let mut h = Harness {
            dir,
            clock: ManualClock::new(T0),
            faults: Faults::new(),
            db: None,
        };
        h.open();
        h
    }

    fn options(&self) -> Options {
        Options {
            clock: Arc::new(self.clock.clone()),
            durability: Durability::Immediate,
            dimension: Some(DIM),
            embedder: EmbedderChoice::None,
            cache_bytes: 1 << 20,
            faults: Some(self.faults.clone()),
            ..Options::default()
        }
    }

    fn open(&mut self) {
        self.db = None;
        self.faults.disarm();
        let db = Spine::open(&self.dir, self.options()).expect("open the database");
        self.db = Some(db);
    }

    fn db(&self) -> &Spine {
        self.db.as_ref().expect("open")
    }

    /// Runs a write op on the engine; Ok(()) or the engine's error.
    fn write(&self, op: &Op, m: &Model) -> memspine::Result<()> {
        let db = self.db();
        let nm = |n: &NewM| {
            let mut x = NewMemory::new(n.content.clone())
                .user(n.user)
                .importance(n.importance);
            for t in &n.tags {
                x = x.tag(t.clone());
            }
            if let Some(v) = &n.vector {
                x = x.vector(v.clone());
            }
            x
        };
        match op {
            Op::Store(n) => {
                let id = db.store(nm(n))?;
                assert_eq!(id.0, m.next_num, "store allocated an unexpected id");
            }
            Op::Batch(ns) => {
                let ids = db.store_batch(ns.iter().map(nm).collect())?;
                let want: Vec<u64> = (m.next_num..m.next_num + ns.len() as u64).collect();
                assert_eq!(ids.iter().map(|i| i.0).collect::<Vec<_>>(), want);
            }
            Op::Update {
                id,
                content,
                tags,
                importance,
                vector,
            } => {
                db.update(
                    MemoryId(*id),
                    MemoryUpdate {
                        content: content.clone(),
                        tags: tags.clone(),
                        importance: *importance,
                        vector: vector.clone(),
                        ..MemoryUpdate::default()
                    },
                )?;
            }
            Op::Delete(id) => db.delete(MemoryId(*id))?,
            Op::Event(t) => {
                db.append_event(t, serde_json::json!({"n": 1}), Scope::default())?;
            }
            Op::Triple(s, p, o) => {
                db.add_triple(NewTriple::new(s, p, o, 0))?;
            }
            Op::Consolidate(ids) => {
                let ids: Vec<MemoryId> = ids.iter().map(|i| MemoryId(*i)).collect();
                let id = db.batch_consolidate_with(&ids, &Joiner, ConsolidateOptions::default())?;
                assert_eq!(id.0, m.next_num, "consolidation allocated an unexpected id");
            }
            other => unreachable!("not a write: {other:?}"),
        }
        Ok(())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.db = None;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------- comparisons

/// Whether the engine's state equals the model (everything but searches and queries, which
/// `check_reads` compares after every step).
fn same_state(db: &Spine, m: &Model) -> Result<(), String> {
    for id in 1..m.next_num + 2 {
        let got = match db.get(MemoryId(id)) {
            Ok(x) => Some(x),
            Err(Error::UnknownId(_)) => None,
            Err(e) => return Err(format!("get({id}): {e}")),
        };
        let want = m.memories.get(&id);
        match (got, want) {
            (None, None) => {}
            (Some(g), Some(w)) => {
                let vector = db
                    .vector_of(MemoryId(id))
                    .map_err(|e| format!("vector_of({id}): {e}"))?;
                let same = g.content == w.content
                    && g.kind == w.kind
                    && g.scope.user.as_deref() == Some(w.user)
                    && g.tags == w.tags
                    && g.importance == w.importance
                    && g.archived == w.archived
                    && g.has_vector == w.vector.is_some()
                    && g.provenance.iter().map(|p| p.0).collect::<Vec<_>>() == w.provenance
                    && vector == w.vector;
                if !same {
                    return Err(format!(
                        "memory {id}: engine {g:?} vector {vector:?}, model {w:?}"
                    ));
                }
            }
            (g, w) => return Err(format!("memory {id}: engine {g:?}, model {w:?}")),
        }
    }
    let events = db
        .events_since(0, None)
        .map_err(|e| format!("events: {e}"))?
        .len();
    if events != m.events {
        return Err(format!("events: engine {events}, model {}", m.events));
    }
    let mut got_edges = Vec::new();
    for s in NAMES {
        let rels = match db.edges(s, None, Direction::Out) {
            Ok(r) => r,
            Err(Error::Graph(_)) => continue, // no such entity yet
            Err(e) => return Err(format!("edges({s}): {e}")),
        };
        for r in rels {
            let names = db
                .entity_names(&[r.object])
                .map_err(|e| format!("entity_names: {e}"))?;
            let o = names.first().map(|n| n.1.clone()).unwrap_or_default();
            got_edges.push((s.to_owned(), r.predicate.clone(), o));
        }
    }
    let mut want_edges: Vec<(String, String, String)> = m
        .edges
        .iter()
        .map(|(s, p, o)| ((*s).to_owned(), (*p).to_owned(), (*o).to_owned()))
        .collect();
    got_edges.sort();
    want_edges.sort();
    if got_edges != want_edges {
        return Err(format!("edges: engine {got_edges:?}, model {want_edges:?}"));
    }
    Ok(())
}

fn check_filter(db: &Spine, m: &Model, user: Option<&str>, tag: Option<&str>, archived: bool) {
    let f = Filter {
        user: user.map(str::to_owned),
        tags: tag.map(|t| vec![t.to_owned()]).unwrap_or_default(),
        include_archived: archived,
        ..Filter::default()
    };
    let got: Vec<u64> = db
        .filter_ids(&f)
        .expect("filter")
        .iter()
        .map(|i| i.0)
        .collect();
    let mut want: Vec<u64> = m
        .memories
        .iter()
        .filter(|(_, x)| archived || !x.archived)
        .filter(|(_, x)| user.is_none_or(|u| x.user == u))
        .filter(|(_, x)| tag.is_none_or(|t| x.tags.iter().any(|y| y == t)))
        .map(|(id, _)| *id)
        .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort_unstable();
    want.sort_unstable();
    assert_eq!(
        got_sorted, want,
        "filter user={user:?} tag={tag:?} archived={archived}"
    );
}

fn check_search(db: &Spine, m: &Model, query: &[f32], k: usize, user: Option<&str>) {
    let opts = SearchOptions {
        mode: SearchMode::Semantic,
        exact: true,
        vector: Some(query.to_vec()),
        limit: k,
        track_access: false,
        filter: Filter {
            user: user.map(str::to_owned),
            ..Filter::default()
        },
        ..SearchOptions::default()
    };
    let hits = db.search("", &opts).expect("search");
    let q = normalize(query);
    let score = |v: &[f32]| -> f32 { v.iter().zip(&q).map(|(a, b)| a * b).sum() };
    let mut want: Vec<(u64, f32)> = m
        .memories
        .iter()
        .filter(|(_, x)| !x.archived && user.is_none_or(|u| x.user == u))
        .filter_map(|(id, x)| x.vector.as_deref().map(|v| (*id, score(v))))
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(
        hits.len(),
        want.len().min(k),
        "search returned {} hits, model {:?}",
        hits.len(),
        want
    );
    for (h, w) in hits.iter().zip(&want) {
        let model_score = want
            .iter()
            .find(|x| x.0 == h.id.0)
            .unwrap_or_else(|| panic!("search returned ineligible id {}", h.id))
            .1;
        assert!(
            (h.score - model_score).abs() < 1e-3 && (h.score - w.1).abs() < 1e-3,
            "search: hit {} score {} (model {model_score}); rank score in model {}",
            h.id,
            h.score,
            w.1
        );
    }
}

fn check_query(db: &Spine, m: &Model, q: &Dsl) {
    let text = dsl_text(q);
    let got: Vec<u64> = match db.query_dsl(&text) {
        Ok(r) => r.iter().map(|x| x.id.0).collect(),
        Err(Error::Query { .. }) => return, // e.g. nesting limits: not the model's business
        Err(e) => panic!("query {text}: {e}"),
    };
    let want: Vec<u64> = m
        .memories
        .iter()
        .filter(|(_, x)| !x.archived && m.eval(q, x))
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(got, want, "query {text}");
}

// ---------------------------------------------------------------- the driver

fn run(data: &[u8]) {
    let mut inp = Input { data };
    let mut h = Harness::new();
    let mut m = Model::new();
    for _ in 0..MAX_OPS {
        if inp.data.is_empty() {
            break;
        }
        let op = next_op(&mut inp, &m);
        if std::env::var_os("MEMSPINE_MODEL_TRACE").is_some() {
            eprintln!("op: {op:?}");
        }
        h.clock.advance(Duration::from_secs(1));
        match &op {
            Op::Search { query, k, user } => check_search(h.db(), &m, query, *k, *user),
            Op::Filter {
                user,
                tag,
                archived,
            } => check_filter(h.db(), &m, *user, *tag, *archived),
            Op::Query(q) => check_query(h.db(), &m, q),
            Op::Reopen => h.open(),
            Op::Fault(plan, inner) => {
                h.faults.arm(*plan);
                let res = h.write(inner, &m);
                if !h.faults.fired() {
                    h.faults.disarm();
                    apply_checked(&mut m, inner, res);
                } else {
                    assert!(
                        res.is_err(),
                        "{plan:?} {inner:?}: injected failure swallowed"
                    );
                    assert!(
                        h.db().is_poisoned(),
                        "{plan:?} {inner:?}: not poisoned after {res:?}"
                    );
                    h.faults.disarm();
                    let later =
                        h.db()
                            .append_event("agent.note", serde_json::json!({}), Scope::default());
                    assert!(
                        matches!(later, Err(Error::Poisoned(_))),
                        "{plan:?} {inner:?}: a later write gave {later:?}"
                    );
                    h.open();
                    if let Err(before) = same_state(h.db(), &m) {
                        let mut after = m.clone();
                        assert!(after.apply(inner).is_ok(), "a rejected op became durable");
                        if let Err(e) = same_state(h.db(), &after) {
                            panic!(
                                "{plan:?} {inner:?}: after reopen neither the state before \
                                 ({before}) nor after ({e})"
                            );
                        }
                        m = after;
                    }
                    let report = h.db().verify().expect("verify");
                    assert!(
                        report.is_ok(),
                        "verify after a fault: {:?}",
                        report.problems
                    );
                }
            }
            write => {
                let res = h.write(write, &m);
                apply_checked(&mut m, write, res);
            }
        }
        if let Err(e) = same_state(h.db(), &m) {
            panic!("after {op:?}: {e}");
        }
    }
    let report = h.db().verify().expect("verify");
    assert!(report.is_ok(), "verify: {:?}", report.problems);
}

/// Applies a write the engine ran to the model: both must agree on whether it was valid.
fn apply_checked(m: &mut Model, op: &Op, res: memspine::Result<()>) {
    let mut next = m.clone();
    match (next.apply(op), res) {
        (Ok(()), Ok(())) => *m = next,
        (Err(()), Err(_)) => {}
        (Ok(()), Err(e)) => panic!("{op:?}: engine failed ({e}) where the model succeeds"),
        (Err(()), Ok(())) => panic!("{op:?}: engine accepted what the model rejects"),
    }
}

fuzz_target!(|data: &[u8]| run(data));
