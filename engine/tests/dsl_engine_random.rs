//! Random query-language queries over every field, on a real database of random memories, equal
//! a brute-force evaluation of every stored memory (`query::eval_on`).
//!
//! The memories vary in every field a query can test: scopes, kinds and tags from small pools,
//! pinned, importance, `created_at` spread over two months, contents made of inflected forms of a
//! few words (and stop words, punctuation, capitals); some are updated, read, archived or deleted
//! afterwards so that `updated_at` and the last access differ from the creation. The queries
//! combine every field with `AND`, `OR`, `NOT` and parentheses, with relative ages, RFC 3339
//! dates, raw times on the exact boundary of a memory's times, and `text:` phrases that are
//! stems of the stored words, stop words, or several words in and out of order.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use memspine::clock::{format_rfc3339, DAY, HOUR};
use memspine::query::{self, MemoryFacts};
use memspine::{
    Durability, EmbedderChoice, ManualClock, Memory, MemoryId, MemoryUpdate, NewMemory, Options,
    QueryOptions, Spine,
};
use proptest::prelude::*;
use proptest::sample::Index;

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
const SESSIONS: [&str; 5] = ["s1", "s2", "s3", "s4", "s9"];
const AGENTS: [&str; 3] = ["bot", "helper", "nobody"];
const KINDS: [&str; 4] = ["fact", "interaction", "user_query", "summary"];
const TAGS: [&str; 5] = ["billing", "vip", "urgent", "needs review", "unused"];
/// Stored memories take values from the first `STORED` entries of each pool; the last entry of
/// each pool is only ever queried.
const STORED: usize = 3;
const IMPORTANCE: [f32; 7] = [0.0, 0.1, 0.25, 0.5, 0.7, 0.9, 1.0];
const QUERY_IMPORTANCE: [f32; 9] = [0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.9, 1.0, 0.05];
/// Content words: inflections of a few stems, capitals, a possessive, an accent, stop words.
const VOCAB: [&str; 20] = [
    "invoice",
    "invoices",
    "Invoice",
    "refund",
    "refunded",
    "refunding",
    "login",
    "logins",
    "password",
    "Passwords",
    "shipped",
    "shipping",
    "paid",
    "twice",
    "alice's",
    "café",
    "the",
    "of",
    "a",
    "order",
];
/// Query words: the vocabulary plus other forms of its stems, stop words and absent words.
const QUERY_WORDS: [&str; 10] = [
    "invoicing",
    "Refunds",
    "cafe",
    "CAFÉ",
    "alice",
    "orders",
    "missing",
    "is",
    "the",
    "logged",
];

/// One memory to store.
#[derive(Debug, Clone)]
struct MemSpec {
    user: Option<usize>,
    session: Option<usize>,
    agent: Option<usize>,
    kind: usize,
    tags: BTreeSet<usize>,
    pinned: bool,
    importance: usize,
    /// (word, followed by a comma).
    words: Vec<(usize, bool)>,
    /// Minutes the clock moves before storing.
    gap_min: u64,
    /// When set, `created_at` is this many hours before the clock.
    back_h: Option<u64>,
}

/// What happens after the stores, in order, each after the clock moves `gap_min` minutes.
#[derive(Debug, Clone)]
enum Op {
    Update {
        target: Index,
        content: Option<Vec<usize>>,
        tags: Option<BTreeSet<usize>>,
        importance: Option<usize>,
        pinned: Option<bool>,
        session: Option<Option<usize>>,
        gap_min: u64,
    },
    Read {
        targets: Vec<Index>,
        flush: bool,
        gap_min: u64,
    },
    Archive {
        target: Index,
        archived: bool,
    },
    Delete {
        target: Index,
    },
}

#[derive(Debug, Clone)]
enum TimeSpec {
    /// Amount and unit (`s`, `m`, `h`, `d`, `w`), scaled to land within the data.
    Age(u64, usize),
    /// Seconds after `BASE`: a bare date, RFC 3339 in UTC or at +02:00, with a space, or raw.
    Absolute(u64, usize),
    /// Exactly one memory's created / updated / last access time (raw or RFC 3339).
    AtMemory(Index, usize, bool),
}

#[derive(Debug, Clone)]
enum TextSpec {
    Word(usize),
    QueryWord(usize),
    /// Words `start..start + len` of a stored memory's content, in order or reversed.
    Slice(Index, Index, usize, bool),
    /// Two words of the vocabulary.
    Pair(usize, usize),
}

#[derive(Debug, Clone)]
enum Leaf {
    Time(usize, bool, TimeSpec),
    Pinned(bool),
    Archived(bool),
    Label(usize, usize),
    Kind(usize, bool),
    Tier(usize),
    Importance(usize, usize, bool),
    Text(TextSpec, bool),
    Id(Option<Index>),
}

#[derive(Debug, Clone)]
enum Node {
    Leaf(Leaf),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

/// 60 days before `T0`: the oldest `created_at` the memories can get is about here.
const BASE: u64 = common::T0 - 60 * DAY;

fn mem_spec() -> impl Strategy<Value = MemSpec> {
    (
        proptest::option::weighted(0.85, 0..STORED),
        proptest::option::weighted(0.7, 0..STORED + 1),
        proptest::option::weighted(0.5, 0..STORED - 1),
        0..STORED,
        proptest::collection::btree_set(0..TAGS.len() - 1, 0..3),
        proptest::bool::weighted(0.15),
        0..IMPORTANCE.len(),
        proptest::collection::vec((0..VOCAB.len(), proptest::bool::weighted(0.1)), 1..8),
        0u64..600,
        proptest::option::of(0u64..60 * 24),
    )
        .prop_map(
            |(user, session, agent, kind, tags, pinned, importance, words, gap_min, back_h)| {
                MemSpec {
                    user,
                    session,
                    agent,
                    kind,
                    tags,
                    pinned,
                    importance,
                    words,
                    gap_min,
                    back_h,
                }
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    let words = proptest::collection::vec(0..VOCAB.len(), 1..6);
    prop_oneof![
        4 => (
            any::<Index>(),
            proptest::option::weighted(0.4, words),
            proptest::option::weighted(0.3, proptest::collection::btree_set(0..TAGS.len() - 1, 0..3)),
            proptest::option::weighted(0.5, 0..IMPORTANCE.len()),
            proptest::option::weighted(0.2, any::<bool>()),
            proptest::option::weighted(0.2, proptest::option::of(0..STORED + 1)),
            0u64..3000,
        )
            .prop_map(|(target, content, tags, importance, pinned, session, gap_min)| Op::Update {
                target,
                content,
                tags,
                importance,
                pinned,
                session,
                gap_min,
            }),
        3 => (proptest::collection::vec(any::<Index>(), 1..8), any::<bool>(), 0u64..3000)
            .prop_map(|(targets, flush, gap_min)| Op::Read { targets, flush, gap_min }),
        1 => (any::<Index>(), proptest::bool::weighted(0.8))
            .prop_map(|(target, archived)| Op::Archive { target, archived }),
        1 => any::<Index>().prop_map(|target| Op::Delete { target }),
    ]
}

fn time_spec() -> impl Strategy<Value = TimeSpec> {
    prop_oneof![
        3 => (1u64..=70, 0usize..5).prop_map(|(n, u)| TimeSpec::Age(n, u)),
        2 => (0u64..110 * 86_400, 0usize..5).prop_map(|(s, v)| TimeSpec::Absolute(s, v)),
        2 => (any::<Index>(), 0usize..3, any::<bool>())
            .prop_map(|(m, f, raw)| TimeSpec::AtMemory(m, f, raw)),
    ]
}

fn text_spec() -> impl Strategy<Value = TextSpec> {
    prop_oneof![
        3 => (0..VOCAB.len()).prop_map(TextSpec::Word),
        2 => (0..QUERY_WORDS.len()).prop_map(TextSpec::QueryWord),
        3 => (any::<Index>(), any::<Index>(), 2usize..=3, proptest::bool::weighted(0.3))
            .prop_map(|(m, s, n, rev)| TextSpec::Slice(m, s, n, rev)),
        2 => (0..VOCAB.len(), 0..VOCAB.len()).prop_map(|(a, b)| TextSpec::Pair(a, b)),
    ]
}

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        4 => (0usize..3, any::<bool>(), time_spec()).prop_map(|(f, b, t)| Leaf::Time(f, b, t)),
        1 => any::<bool>().prop_map(Leaf::Pinned),
        1 => any::<bool>().prop_map(Leaf::Archived),
        4 => (0usize..4, 0usize..5).prop_map(|(l, v)| Leaf::Label(l, v)),
        1 => (0..KINDS.len(), any::<bool>()).prop_map(|(k, alias)| Leaf::Kind(k, alias)),
        2 => (0usize..3).prop_map(Leaf::Tier),
        2 => (0usize..6, 0..QUERY_IMPORTANCE.len(), any::<bool>())
            .prop_map(|(op, v, colon)| Leaf::Importance(op, v, colon)),
        5 => (text_spec(), any::<bool>()).prop_map(|(t, quote)| Leaf::Text(t, quote)),
        1 => proptest::option::weighted(0.8, any::<Index>()).prop_map(Leaf::Id),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    leaf()
        .prop_map(Node::Leaf)
        .prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                1 => inner.clone().prop_map(|n| Node::Not(Box::new(n))),
                2 => proptest::collection::vec(inner.clone(), 2..4).prop_map(Node::And),
                2 => proptest::collection::vec(inner, 2..4).prop_map(Node::Or),
            ]
        })
}

/// What rendering a query needs from the stored database.
struct World {
    /// Live memories (archived included), in id order.
    memories: Vec<Memory>,
    next_id: u64,
}

impl World {
    fn pick(&self, i: &Index) -> Option<&Memory> {
        (!self.memories.is_empty()).then(|| i.get(&self.memories))
    }

    fn time(&self, t: &TimeSpec) -> String {
        match *t {
            TimeSpec::Age(n, unit) => {
                let (scale, u) = [(5_000, 's'), (600, 'm'), (12, 'h'), (1, 'd'), (0, 'w')][unit];
                let amount = if u == 'w' { n % 10 + 1 } else { n * scale };
                format!("{amount}{u}")
            }
            TimeSpec::Absolute(secs, variant) => {
                let t = BASE + secs * 1_000_000;
                match variant {
                    0 => format_rfc3339(t)[..10].to_owned(),
                    1 => format_rfc3339(t),
                    2 => format_rfc3339(t + 2 * HOUR).replace('Z', "+02:00"),
                    3 => format!("\"{}\"", format_rfc3339(t).replacen('T', " ", 1)),
                    _ => format!("@{t}"),
                }
            }
            TimeSpec::AtMemory(ref i, field, raw) => {
                let t = self.pick(i).map_or(common::T0, |m| match field {
                    0 => m.created_at,
                    1 => m.updated_at,
                    _ => m.last_access.unwrap_or(m.updated_at),
                });
                if raw {
                    format!("@{t}")
                } else {
                    format_rfc3339(t)
                }
            }
        }
    }

    fn phrase(&self, t: &TextSpec) -> String {
        match t {
            TextSpec::Word(w) => VOCAB[*w].to_owned(),
            TextSpec::QueryWord(w) => QUERY_WORDS[*w].to_owned(),
            TextSpec::Slice(m, start, len, rev) => {
                let Some(m) = self.pick(m) else {
                    return "invoice refund".to_owned();
                };
                let words: Vec<&str> = m.content.split_whitespace().collect();
                let s = start.index(words.len());
                let mut part: Vec<&str> = words[s..(s + len).min(words.len())].to_vec();
                if *rev {
                    part.reverse();
                }
                part.join(" ")
            }
            TextSpec::Pair(a, b) => format!("{} {}", VOCAB[*a], VOCAB[*b]),
        }
    }

    fn leaf(&self, l: &Leaf) -> String {
        match l {
            Leaf::Time(field, before, t) => {
                let field = ["created", "updated", "accessed"][*field];
                let side = if *before { "before" } else { "after" };
                format!("{field}_{side}:{}", self.time(t))
            }
            Leaf::Pinned(v) => format!("pinned:{v}"),
            Leaf::Archived(v) => format!("archived:{v}"),
            Leaf::Label(label, v) => {
                let (name, value) = match label {
                    0 => ("tag", TAGS[*v]),
                    1 => ("user", USERS[v % USERS.len()]),
                    2 => ("session", SESSIONS[*v]),
                    _ => ("agent", AGENTS[v % AGENTS.len()]),
                };
                format!("{name}:{}", quoted(value, value.contains(' ')))
            }
            Leaf::Kind(k, alias) => {
                format!("{}:{}", if *alias { "type" } else { "kind" }, KINDS[*k])
            }
            Leaf::Tier(t) => format!("tier:{}", ["working", "short_term", "LONG_TERM"][*t]),
            Leaf::Importance(op, v, colon) => {
                let op = ["<", "<=", ">", ">=", "=", ""][*op];
                let sep = if *colon || op.is_empty() { ":" } else { "" };
                format!("importance{sep}{op}{}", QUERY_IMPORTANCE[*v])
            }
            Leaf::Text(t, quote) => {
                let p = self.phrase(t);
                let q = *quote || p.contains(' ');
                format!("text:{}", quoted(&p, q))
            }
            Leaf::Id(i) => match i.as_ref().and_then(|i| self.pick(i)) {
                Some(m) => format!("id:{}", m.id.0),
                None => format!("id:{}", self.next_id),
            },
        }
    }

    fn render(&self, n: &Node) -> String {
        let group = |n: &Node| match n {
            Node::Leaf(_) | Node::Not(_) => self.render(n),
            _ => format!("({})", self.render(n)),
        };
        match n {
            Node::Leaf(l) => self.leaf(l),
            Node::Not(inner) => format!("NOT {}", group(inner)),
            Node::And(v) => v.iter().map(group).collect::<Vec<_>>().join(" AND "),
            Node::Or(v) => v.iter().map(group).collect::<Vec<_>>().join(" or "),
        }
    }
}

fn quoted(v: &str, quote: bool) -> String {
    if quote {
        format!("\"{v}\"")
    } else {
        v.to_owned()
    }
}

fn facts(m: &Memory, now: u64, session: Option<&str>) -> MemoryFacts {
    MemoryFacts::of_memory(m, now, session)
}

fn content(words: impl IntoIterator<Item = (usize, bool)>) -> String {
    let mut out = String::new();
    for (w, comma) in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(VOCAB[w]);
        if comma {
            out.push(',');
        }
    }
    out
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

fn open(path: &std::path::Path, clock: &ManualClock) -> Spine {
    let opts = Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::None,
        // Queries never read vectors: skip embedding every memory.
        embedder: EmbedderChoice::None,
        ..Options::default()
    };
    Spine::open(path, opts).unwrap()
}

/// Stores the memories and applies the operations; returns the ids still live.
fn build(db: &Spine, clock: &ManualClock, specs: &[MemSpec], ops: &[Op]) -> Vec<MemoryId> {
    let mut ids = Vec::new();
    for s in specs {
        clock.advance(minutes(s.gap_min));
        let mut m = NewMemory::new(content(s.words.iter().copied()))
            .kind(KINDS[s.kind])
            .pinned(s.pinned)
            .importance(IMPORTANCE[s.importance]);
        if let Some(u) = s.user {
            m = m.user(USERS[u]);
        }
        if let Some(x) = s.session {
            m = m.session(SESSIONS[x]);
        }
        if let Some(a) = s.agent {
            m = m.agent(AGENTS[a]);
        }
        for t in &s.tags {
            m = m.tag(TAGS[*t]);
        }
        if let Some(h) = s.back_h {
            m = m.created_at(db.now() - h * HOUR);
        }
        ids.push(db.store(m).unwrap());
    }
    for op in ops {
        apply(db, clock, &mut ids, op);
    }
    ids
}

fn apply(db: &Spine, clock: &ManualClock, ids: &mut Vec<MemoryId>, op: &Op) {
    if ids.is_empty() {
        return;
    }
    match op {
        Op::Update {
            target,
            content: c,
            tags,
            importance,
            pinned,
            session,
            gap_min,
        } => {
            clock.advance(minutes(*gap_min));
            let u = MemoryUpdate {
                content: c.as_ref().map(|w| content(w.iter().map(|&w| (w, false)))),
                tags: tags
                    .as_ref()
                    .map(|t| t.iter().map(|&t| TAGS[t].to_owned()).collect()),
                importance: importance.map(|i| IMPORTANCE[i]),
                pinned: *pinned,
                session: session.map(|s| s.map(|s| SESSIONS[s].to_owned())),
                ..Default::default()
            };
            db.update(*target.get(ids), u).unwrap();
        }
        Op::Read {
            targets,
            flush,
            gap_min,
        } => {
            clock.advance(minutes(*gap_min));
            let read: Vec<MemoryId> = targets.iter().map(|t| *t.get(ids)).collect();
            db.note_access(&read);
            if *flush {
                db.flush_access().unwrap();
            }
        }
        Op::Archive { target, archived } => {
            db.set_archived(&[*target.get(ids)], *archived).unwrap();
        }
        Op::Delete { target } => {
            let i = target.index(ids.len());
            db.delete(ids.remove(i)).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, max_shrink_iters: 400, ..ProptestConfig::default() })]
    #[test]
    fn random_queries_equal_brute_force(
        specs in proptest::collection::vec(mem_spec(), 60..150),
        ops in proptest::collection::vec(op(), 0..30),
        queries in proptest::collection::vec(node(), 24),
        current in proptest::option::weighted(0.7, 0..SESSIONS.len()),
        final_gap in 0u64..3000,
    ) {
        let dir = common::temp();
        let clock = ManualClock::new(common::T0);
        let db = open(&common::db_path(&dir), &clock);
        let ids = build(&db, &clock, &specs, &ops);
        clock.advance(minutes(final_gap));
        let now = db.now();
        let session = current.map(|s| SESSIONS[s]);
        let world = World {
            memories: db.get_many(&ids).unwrap(),
            next_id: ids.iter().map(|i| i.0).max().unwrap_or(0) + 5,
        };
        let opts = QueryOptions { current_session: session.map(str::to_owned), limit: 0, ..Default::default() };
        for q in &queries {
            let text = world.render(q);
            let expr = query::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(&query::parse(&expr.to_string()).unwrap(), &expr, "round trip of {}", text);
            // The working tier is the current session's: without one the query is refused,
            // whatever the rest of it.
            if session.is_none() && text.contains("tier:working") {
                let refused = matches!(
                    db.query(&expr, &opts),
                    Err(memspine::Error::InvalidInput { field: "tier", .. })
                );
                prop_assert!(refused, "{} without a current session", text);
                continue;
            }
            let got = match db.query(&expr, &opts) {
                Ok(ms) => ms.iter().map(|m| m.id.0).collect::<Vec<u64>>(),
                Err(e) => return Err(TestCaseError::fail(format!("{text}: {e}"))),
            };
            let want: Vec<u64> = world
                .memories
                .iter()
                .filter(|m| !m.archived || expr.mentions_archived())
                .filter(|m| query::eval_on(&expr, &facts(m, now, session), now).unwrap())
                .map(|m| m.id.0)
                .collect();
            if got != want {
                let differ: Vec<&Memory> = world
                    .memories
                    .iter()
                    .filter(|m| got.contains(&m.id.0) != want.contains(&m.id.0))
                    .collect();
                return Err(TestCaseError::fail(format!(
                    "query {text} (current session {session:?}, now {now}):\n engine {got:?}\n brute force {want:?}\n differing: {differ:#?}"
                )));
            }
        }
    }
}

/// The `text:` rule on fixed cases: stems, stop words, case, and phrases of several words that
/// must occur as written.
#[test]
fn text_phrases_follow_the_lexical_rule() {
    let dir = common::temp();
    let clock = ManualClock::new(common::T0);
    let db = open(&common::db_path(&dir), &clock);
    let a = db
        .store(NewMemory::new("The Invoice was paid twice"))
        .unwrap();
    let b = db.store(NewMemory::new("invoices, refunded")).unwrap();
    let c = db.store(NewMemory::new("refund the invoice")).unwrap();
    let ids =
        |q: &str| -> Vec<MemoryId> { db.query_dsl(q).unwrap().into_iter().map(|m| m.id).collect() };
    assert_eq!(ids("text:invoices"), vec![a, b, c]);
    assert_eq!(ids("text:INVOICE"), vec![a, b, c]);
    assert_eq!(ids("text:refunding"), vec![b, c]);
    assert_eq!(ids("text:the"), vec![], "a stop word has no term");
    assert_eq!(
        ids("text:\"the of\""),
        vec![],
        "nor has a phrase of stop words"
    );
    assert_eq!(ids("text:\"the invoice\""), vec![a, c]);
    assert_eq!(ids("text:\"paid twice\""), vec![a]);
    assert_eq!(ids("text:\"twice paid\""), vec![], "out of order");
    assert_eq!(
        ids("text:\"invoices refunded\""),
        vec![],
        "a comma in between"
    );
    assert_eq!(ids("NOT text:the"), vec![a, b, c]);
}
