//! `crash-writer --mixed`: the child of the crash campaign (engine/tests/crash_campaign.rs).
//!
//! Runs a random mix of every kind of write until it is killed. Before each operation it prints
//! an `intent …` line and after the commit an `ack …` line, both flushed, so the parent knows
//! every acknowledged operation and the one that may have been in flight when SIGKILL landed:
//!
//! ```text
//! intent store <n>                  ack store <id> <n>
//! intent store-old <n>              ack store-old <id> <n>   (created 40 days ago, importance 0.05)
//! intent batch <n0> <count>         ack store <id> <n> (per item), then ack batch <n0> <count>
//! intent update <id> <n>            ack update <id> <n>
//! intent delete <id>                ack delete <id>
//! intent event <n>                  ack event <seq> <n>
//! intent triple <n> <s> <p> <o>     ack triple <n> <s> <p> <o>
//! intent link <id> <entity>         ack link <id> <entity>
//! intent consolidate <id,id,…>      ack consolidate <new id> <id,id,…>
//! intent compact                    ack compact
//! ```
//!
//! `compact` is a whole compaction pass (several transactions) with every sealed log page cold,
//! so the log rewrite runs too; the parent resolves what it did from the database.
//!
//! Everything written for operation number `n` is a function of `n` (see [`content`]), so the
//! parent can recompute and compare it exactly.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use memspine::{
    CompactOptions, Filter, LogCompaction, MemoryId, MemoryUpdate, NewMemory, NewTriple, Options,
    Scope, Spine,
};

/// Content of the memory written (stored or updated) by operation `n`.
pub fn content(n: u64) -> String {
    format!("mixed memory {n}: {}", "y".repeat((n % 61) as usize))
}

/// The user of a memory stored by operation `n` (updates keep it).
fn user(n: u64) -> String {
    format!("u{}", n % 3)
}

/// A small xorshift generator: the workload is a function of the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Writer {
    s: Spine,
    rng: Rng,
    /// Next operation number.
    n: u64,
    /// Live, unarchived, plain memories with their user: candidates for update, delete, merge.
    live: Vec<(MemoryId, String)>,
    /// Entities that exist (named `e0`…`e7`).
    entities: Vec<String>,
    out: std::io::StdoutLock<'static>,
}

/// Runs the mixed workload forever (until killed or an operation fails).
pub fn run(db: &Path, seed: u64, start: u64) -> Result<()> {
    let s = Spine::open(db, Options::default())?;
    let live = live_memories(&s)?;
    let mut entities = Vec::new();
    for k in 0..8 {
        let name = format!("e{k}");
        if s.find_entity(&name)?.is_some() {
            entities.push(name);
        }
    }
    let mut w = Writer {
        s,
        rng: Rng(seed | 1),
        n: start,
        live,
        entities,
        out: std::io::stdout().lock(),
    };
    loop {
        w.step()?;
    }
}

/// Live, unarchived plain memories with their users.
fn live_memories(s: &Spine) -> Result<Vec<(MemoryId, String)>> {
    let ids = s.filter_ids(&Filter {
        kind: Some("interaction".into()),
        ..Default::default()
    })?;
    Ok(s.get_many(&ids)?
        .into_iter()
        .map(|m| (m.id, m.scope.user.unwrap_or_default()))
        .collect())
}

impl Writer {
    fn say(&mut self, line: String) -> Result<()> {
        // One write per line: a pipe write this small is atomic, so the parent never sees half.
        self.out.write_all(format!("{line}\n").as_bytes())?;
        self.out.flush()?;
        Ok(())
    }

    fn take_n(&mut self) -> u64 {
        self.n += 1;
        self.n - 1
    }

    fn step(&mut self) -> Result<()> {
        match self.rng.below(100) {
            0..=19 => self.store(),
            20..=24 => self.store_old(),
            25..=34 => self.batch(),
            35..=49 if !self.live.is_empty() => self.update(),
            50..=57 if !self.live.is_empty() => self.delete(),
            58..=69 => self.event(),
            70..=81 => self.triple(),
            82..=89 if !self.live.is_empty() && !self.entities.is_empty() => self.link(),
            90..=96 => self.consolidate(),
            97..=99 => self.compact(),
            _ => self.store(),
        }
    }

    fn new_memory(n: u64) -> NewMemory {
        NewMemory::new(content(n))
            .user(user(n))
            .tag(format!("t{}", n % 5))
            .metadata(serde_json::json!({ "n": n }))
    }

    fn store(&mut self) -> Result<()> {
        let n = self.take_n();
        self.say(format!("intent store {n}"))?;
        let id = self.s.store(Self::new_memory(n))?;
        self.live.push((id, user(n)));
        self.say(format!("ack store {id} {n}"))
    }

    /// A memory created 40 days ago with low importance: what the compactor archives or merges.
    fn store_old(&mut self) -> Result<()> {
        let n = self.take_n();
        self.say(format!("intent store-old {n}"))?;
        let created = self.s.now().saturating_sub(40 * 86_400 * 1_000_000);
        let m = Self::new_memory(n).created_at(created).importance(0.05);
        let id = self.s.store(m)?;
        self.live.push((id, user(n)));
        self.say(format!("ack store-old {id} {n}"))
    }

    fn batch(&mut self) -> Result<()> {
        let count = 2 + self.rng.below(19);
        let n0 = self.n;
        self.n += count;
        self.say(format!("intent batch {n0} {count}"))?;
        let ids = self
            .s
            .store_batch((n0..n0 + count).map(Self::new_memory).collect())?;
        for (n, id) in (n0..).zip(ids) {
            self.live.push((id, user(n)));
            self.say(format!("ack store {id} {n}"))?;
        }
        self.say(format!("ack batch {n0} {count}"))
    }

    /// A random live memory's position in `live`.
    fn pick_live(&mut self) -> usize {
        self.rng.below(self.live.len() as u64) as usize
    }

    fn update(&mut self) -> Result<()> {
        let k = self.pick_live();
        let (id, _) = self.live[k];
        let n = self.take_n();
        self.say(format!("intent update {id} {n}"))?;
        let u = MemoryUpdate {
            content: Some(content(n)),
            tags: Some(vec![format!("t{}", n % 5)]),
            metadata: Some(serde_json::json!({ "n": n })),
            ..Default::default()
        };
        self.s.update(id, u)?;
        self.say(format!("ack update {id} {n}"))
    }

    fn delete(&mut self) -> Result<()> {
        let k = self.pick_live();
        let (id, _) = self.live.swap_remove(k);
        self.say(format!("intent delete {id}"))?;
        self.s.delete(id)?;
        self.say(format!("ack delete {id}"))
    }

    fn event(&mut self) -> Result<()> {
        let n = self.take_n();
        self.say(format!("intent event {n}"))?;
        let scope = Scope {
            user: Some(user(n)),
            ..Default::default()
        };
        let seq = self
            .s
            .append_event("crash.note", serde_json::json!({ "n": n }), scope)?;
        self.say(format!("ack event {seq} {n}"))
    }

    fn triple(&mut self) -> Result<()> {
        let n = self.take_n();
        let s = format!("e{}", self.rng.below(8));
        let o = format!("e{}", self.rng.below(8));
        let p = format!("rel{}", self.rng.below(3));
        self.say(format!("intent triple {n} {s} {p} {o}"))?;
        let mut t = NewTriple::new(&s, &p, &o, 0);
        t.source = format!("op {n}");
        self.s.add_triple(t)?;
        for e in [s.clone(), o.clone()] {
            if !self.entities.contains(&e) {
                self.entities.push(e);
            }
        }
        self.say(format!("ack triple {n} {s} {p} {o}"))
    }

    fn link(&mut self) -> Result<()> {
        let k = self.pick_live();
        let (id, _) = self.live[k];
        let e = self.entities[self.rng.below(self.entities.len() as u64) as usize].clone();
        self.say(format!("intent link {id} {e}"))?;
        self.s.link_memory(id, &[e.as_str()])?;
        self.say(format!("ack link {id} {e}"))
    }

    /// A compaction pass that also rewrites every sealed log page (cold at once).
    fn compact(&mut self) -> Result<()> {
        self.say("intent compact".into())?;
        let opts = CompactOptions {
            log: Some(LogCompaction {
                cold_after: std::time::Duration::ZERO,
                ..LogCompaction::default()
            }),
            ..CompactOptions::default()
        };
        self.s.compact_with(&opts, false)?;
        // Archived or merged memories leave the candidates.
        self.live = live_memories(&self.s)?;
        self.say("ack compact".into())
    }

    /// Merges two or three live memories of one user (a plain store when there are too few).
    fn consolidate(&mut self) -> Result<()> {
        let u = user(self.rng.below(3));
        let mut of_user: Vec<usize> = (0..self.live.len())
            .filter(|&i| self.live[i].1 == u)
            .collect();
        if of_user.len() < 2 {
            return self.store();
        }
        let want = 2 + self.rng.below(2) as usize;
        let mut picked = Vec::new();
        while picked.len() < want && !of_user.is_empty() {
            let k = self.rng.below(of_user.len() as u64) as usize;
            picked.push(of_user.swap_remove(k));
        }
        let mut ids: Vec<MemoryId> = picked.iter().map(|&i| self.live[i].0).collect();
        ids.sort_unstable();
        let list = ids
            .iter()
            .map(|i| i.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        self.say(format!("intent consolidate {list}"))?;
        let new = self.s.batch_consolidate(&ids)?;
        self.live.retain(|(id, _)| !ids.contains(id));
        self.say(format!("ack consolidate {new} {list}"))
    }
}
