//! The synthetic workload: who stores what, when, with which tags and vectors.
//!
//! Everything is a pure function of the seed, so two runs (or two commits) load the same
//! database and ask the same queries. [`Workload`] is the shared, read-only part (vocabulary,
//! topics, cluster centres, population sizes) that query operations also draw from;
//! [`Generator`] is the stream of memories in time order.

pub mod graph;
pub mod text;
pub mod vectors;

use memspine::{Micros, NewMemory, NewTriple};
use serde_json::json;

use crate::rng::{Rng, Zipf};
use text::Vocabulary;
use vectors::Centres;

/// 2026-01-01T00:00:00Z: the simulated history starts here.
pub const T0: Micros = 1_767_225_600_000_000;
/// Length of the simulated history: 90 days.
pub const SPAN: Micros = 90 * 24 * 3_600_000_000;
/// Distinct topics; each owns a few keywords and a share of the vector clusters.
pub const TOPICS: usize = 200;
/// Keywords per topic.
const TOPIC_WORDS: usize = 4;
/// Agents writing memories.
pub const AGENTS: &[&str] = &["support-bot", "coding-agent", "assistant", "planner"];
const CHANNELS: &[&str] = &["chat", "email", "voice", "api"];
/// Free tags besides the topic tag, by popularity.
const TAGS: &[&str] = &[
    "followup",
    "urgent",
    "billing",
    "shipping",
    "preference",
    "bug",
    "feedback",
    "vip",
    "escalated",
    "resolved",
    "todo",
    "idea",
    "personal",
    "work",
    "travel",
    "health",
];

/// The shape of a workload.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Memories to store.
    pub memories: u64,
    /// Vector dimension (0: no vectors).
    pub dim: usize,
    /// Memories per `store_batch` call.
    pub batch: usize,
    /// The seed of everything.
    pub seed: u64,
}

/// The read-only part of a workload, shared by the loader and the query threads.
#[derive(Debug)]
pub struct Workload {
    /// The shape it was built from.
    pub shape: Shape,
    /// Number of users (`u0` … `u{users-1}`).
    pub users: usize,
    /// User activity is Zipfian: a few heavy users, a long tail.
    user_zipf: Zipf,
    tag_zipf: Zipf,
    /// The vocabulary.
    pub vocab: Vocabulary,
    /// Cluster centres (empty when `dim == 0`).
    pub centres: Centres,
}

impl Workload {
    /// Builds the shared part for `shape`: N/100 users, a 20 000-word vocabulary and up to
    /// 2 048 vector clusters.
    pub fn new(shape: Shape) -> Self {
        let users = (shape.memories / 100).max(1) as usize;
        let clusters = ((shape.memories / 200) as usize).clamp(TOPICS, 2048);
        Workload {
            shape,
            users,
            user_zipf: Zipf::new(users, 0.8),
            tag_zipf: Zipf::new(TAGS.len(), 1.0),
            vocab: Vocabulary::new(20_000, shape.seed),
            centres: Centres::new(
                if shape.dim > 0 { clusters } else { 0 },
                shape.dim,
                shape.seed,
            ),
        }
    }

    /// A user name drawn by activity.
    pub fn user(&self, rng: &mut Rng) -> String {
        format!("u{}", self.user_zipf.sample(rng))
    }

    /// The topic of a vector cluster: clusters are spread evenly over topics.
    pub fn topic_of(&self, cluster: usize) -> usize {
        cluster % TOPICS
    }

    /// The keywords of a topic (fixed mid-frequency words of the vocabulary).
    pub fn topic_words(&self, topic: usize) -> [&str; TOPIC_WORDS] {
        std::array::from_fn(|k| self.vocab.ranked(60 + topic * TOPIC_WORDS + k))
    }

    /// A random cluster id.
    pub fn cluster(&self, rng: &mut Rng) -> usize {
        rng.index(self.centres.len().max(TOPICS))
    }

    /// A query vector: a fresh draw from a random cluster (never a stored vector), with its
    /// cluster id. `None` without vectors.
    pub fn query_vector(&self, rng: &mut Rng) -> Option<(usize, Vec<f32>)> {
        if self.shape.dim == 0 {
            return None;
        }
        let c = self.cluster(rng);
        Some((c, self.centres.sample(c, rng)))
    }

    /// Query text for a topic: two of its keywords and one popular word.
    pub fn query_text(&self, topic: usize, rng: &mut Rng) -> String {
        let w = self.topic_words(topic);
        format!(
            "{} {} {}",
            w[rng.index(w.len())],
            w[rng.index(w.len())],
            self.vocab.word(rng)
        )
    }
}

/// One generated batch and what it weighs as "useful bytes".
#[derive(Debug)]
pub struct Batch {
    /// The memories, in creation order.
    pub memories: Vec<NewMemory>,
    /// Facts the memories state: (index of the memory in `memories`, fact).
    pub facts: Vec<(usize, NewTriple)>,
    /// The simulated time at which the batch is stored (≥ every `created_at` in it).
    pub store_at: Micros,
}

/// Useful bytes by part: what a user handed the database, in its plainest form.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Useful {
    /// UTF-8 content bytes.
    pub content: u64,
    /// Every other field of the memory (kind, tags, scope, importance, pinned, created_at,
    /// metadata) as compact JSON.
    pub metadata_json: u64,
    /// Vectors as f32: 4 × dim per memory.
    pub vectors: u64,
    /// Graph triples as `subject\tpredicate\tobject` text.
    pub triples: u64,
}

impl Useful {
    /// The total.
    pub fn total(&self) -> u64 {
        self.content + self.metadata_json + self.vectors + self.triples
    }

    fn add(&mut self, o: &Useful) {
        self.content += o.content;
        self.metadata_json += o.metadata_json;
        self.vectors += o.vectors;
        self.triples += o.triples;
    }
}

/// The time-ordered stream of memories.
pub struct Generator<'w> {
    w: &'w Workload,
    rng: Rng,
    /// Memories generated so far.
    done: u64,
    /// Per user: the number of their current session.
    sessions: Vec<u32>,
    /// Running total of useful bytes.
    pub useful: Useful,
    /// The graph facts stated so far (and the entities they name).
    pub facts: graph::Facts,
}

impl<'w> Generator<'w> {
    /// The stream of `w`.
    pub fn new(w: &'w Workload) -> Self {
        Generator {
            w,
            rng: Rng::derive(w.shape.seed, 0x6E4E),
            done: 0,
            sessions: vec![0; w.users],
            useful: Useful::default(),
            facts: graph::Facts::new(w.users, w.shape.seed),
        }
    }

    /// The simulated time of the `i`-th memory: evenly spread over [`SPAN`].
    fn time_of(&self, i: u64) -> Micros {
        let n = self.w.shape.memories.max(1);
        T0 + (u128::from(i) * u128::from(SPAN) / u128::from(n)) as Micros
    }

    /// The next batch, or `None` when all memories were generated.
    pub fn next_batch(&mut self) -> Option<Batch> {
        let total = self.w.shape.memories;
        if self.done >= total {
            return None;
        }
        let n = (total - self.done).min(self.w.shape.batch.max(1) as u64);
        let mut useful = Useful::default();
        let mut facts = Vec::new();
        let memories = (0..n)
            .map(|k| {
                let (m, user) = self.memory(self.done, &mut useful);
                let created = m.created_at.unwrap_or(T0);
                for t in self.facts.for_memory(user, created, &mut self.rng) {
                    useful.triples += graph::useful_bytes(&t);
                    facts.push((k as usize, t));
                }
                self.done += 1;
                m
            })
            .collect();
        self.useful.add(&useful);
        Some(Batch {
            memories,
            facts,
            store_at: self.time_of(self.done - 1),
        })
    }

    /// The `i`-th memory and its user's index.
    fn memory(&mut self, i: u64, useful: &mut Useful) -> (NewMemory, usize) {
        let w = self.w;
        let created = self.time_of(i);
        let rng = &mut self.rng;
        let user = w.user_zipf.sample(rng);
        let session = self.sessions.get_mut(user).map_or(0, |s| {
            // About 20 memories per session.
            if rng.chance(0.05) {
                *s += 1;
            }
            *s
        });
        let scope = (format!("u{user}"), format!("u{user}-s{session}"));
        (w.memory(rng, scope, created, useful), user)
    }
}

impl Workload {
    /// One memory of `(user, session)` created at `created`; adds its useful bytes to `useful`.
    pub fn memory(
        &self,
        rng: &mut Rng,
        (user, session): (String, String),
        created: Micros,
        useful: &mut Useful,
    ) -> NewMemory {
        let cluster = self.cluster(rng);
        let topic = self.topic_of(cluster);
        let kind = text::kind(rng);
        let content = text::sentence(kind, &self.topic_words(topic), &self.vocab, rng);
        let mut tags = vec![format!("topic-{topic}")];
        for _ in 0..rng.below(3) {
            tags.push(TAGS[self.tag_zipf.sample(rng)].to_owned());
        }
        let metadata = json!({
            "channel": CHANNELS[rng.index(CHANNELS.len())],
            "turn": rng.below(40),
            "lang": "en",
        });
        let importance = (rng.below(101) as f32) / 100.0;
        let pinned = rng.chance(0.01);
        let agent = AGENTS[rng.index(AGENTS.len())];
        useful.content += content.len() as u64;
        useful.metadata_json += json!({
            "kind": kind, "tags": tags, "user": user, "session": session, "agent": agent,
            "importance": importance, "pinned": pinned, "created_at": created,
            "metadata": metadata,
        })
        .to_string()
        .len() as u64;
        let mut m = NewMemory::new(content)
            .kind(kind)
            .user(user)
            .session(session)
            .agent(agent)
            .metadata(metadata)
            .importance(importance)
            .pinned(pinned)
            .created_at(created);
        m.tags = tags;
        if self.shape.dim > 0 {
            useful.vectors += 4 * self.shape.dim as u64;
            m = m.vector(self.centres.sample(cluster, rng));
        }
        m
    }

    /// A memory outside the loaded stream (for write operations during the query phase): a
    /// user drawn by activity, in a live session.
    pub fn fresh_memory(&self, rng: &mut Rng, created: Micros) -> NewMemory {
        let user = self.user(rng);
        let session = format!("{user}-live");
        self.memory(rng, (user, session), created, &mut Useful::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Shape {
        Shape {
            memories: 1000,
            dim: 16,
            batch: 300,
            seed: 5,
        }
    }

    #[test]
    fn deterministic_and_complete() {
        let w = Workload::new(shape());
        let run = || {
            let mut g = Generator::new(&w);
            let mut out = Vec::new();
            while let Some(b) = g.next_batch() {
                out.extend(b.memories.into_iter().map(|m| m.content));
            }
            out
        };
        let a = run();
        assert_eq!(a.len(), 1000);
        assert_eq!(a, run());
    }

    #[test]
    fn times_spread_over_the_span_in_order() {
        let w = Workload::new(shape());
        let mut g = Generator::new(&w);
        let mut last = 0;
        while let Some(b) = g.next_batch() {
            for m in &b.memories {
                let t = m.created_at.unwrap_or(0);
                assert!(t >= last && t <= b.store_at);
                last = t;
            }
        }
        assert!(last >= T0 + SPAN - SPAN / 100);
    }
}
