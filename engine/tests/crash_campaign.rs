//! The crash campaign: a real child process runs a mixed workload (stores, batches, updates,
//! deletes, events, triples, memory links, consolidations) and is killed with SIGKILL at a random
//! moment, over and over on one database. After every kill the database is reopened and checked
//! against a model built from the child's acknowledgements (protocol in
//! engine/src/bin/memspine/crash_mixed.rs):
//!
//! - every acknowledged write is there with exactly the acknowledged content, tags, metadata and
//!   user; deleted memories are gone; merged originals are archived and their consolidated
//!   memory carries them as provenance; acknowledged events, triples and links are present;
//! - the one operation that may have been in flight is either wholly there or wholly absent
//!   (a batch is all or nothing), and nothing else exists;
//! - `verify` passes (checksums, bitmaps ⇔ records, arena ⇔ redb, graph out ⇔ in edges).
//!
//! Iterations: MEMSPINE_CRASH_ITERATIONS (default 50, about 20 s); a fresh database every
//! [`ROTATE`] iterations keeps the per-iteration check bounded. Local long run (N = 1000): see
//! docs/design.md, "Crash campaign".

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use memspine::{Direction, Error, Filter, MemoryId, Options, Spine};

/// Mirrors `crash_mixed::content`.
fn content(n: u64) -> String {
    format!("mixed memory {n}: {}", "y".repeat((n % 61) as usize))
}

fn user(n: u64) -> String {
    format!("u{}", n % 3)
}

/// What the model expects of one memory id.
#[derive(Debug, Clone, PartialEq)]
enum Mem {
    /// Written last by operation `n`; `user` from the store; `old`: created 40 days back.
    Live { n: u64, user: String, old: bool },
    /// Merged away: kept, archived, last content from `n`.
    Archived { n: u64, user: String },
    /// A consolidated memory made of these ids.
    Consolidated { sources: Vec<u64> },
    /// Deleted.
    Deleted,
}

/// An operation the child announced (and maybe committed).
#[derive(Debug, Clone)]
enum Op {
    Batch {
        n0: u64,
        count: u64,
        old: bool,
    },
    Update {
        id: u64,
        n: u64,
    },
    Delete {
        id: u64,
    },
    Event {
        n: u64,
    },
    Triple(Triple),
    Link {
        id: u64,
        entity: String,
    },
    Consolidate {
        ids: Vec<u64>,
    },
    /// A compaction pass (many transactions: resolved by [`resolve_compaction`]).
    Compact,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Triple {
    n: u64,
    s: String,
    p: String,
    o: String,
}

#[derive(Default)]
struct Model {
    mems: BTreeMap<u64, Mem>,
    events: BTreeSet<u64>,
    triples: Vec<Triple>,
    /// (memory, entity name)
    links: BTreeSet<(u64, String)>,
    /// Highest operation number seen (the next child starts past it).
    max_n: u64,
    /// A compaction pass started in the run being checked.
    compacted: bool,
    /// Compaction passes started, and memories they archived or merged.
    passes: u64,
    compacted_memories: u64,
    acked_ops: u64,
}

#[derive(Default)]
struct Tally {
    passes: u64,
    compacted: u64,
    in_flight: u64,
    in_flight_committed: u64,
    checked: u64,
}

fn ids_list(s: &str) -> Vec<u64> {
    s.split(',').map(|x| x.parse().unwrap()).collect()
}

impl Model {
    fn see_n(&mut self, n: u64) {
        self.max_n = self.max_n.max(n);
    }

    /// Applies the child's lines; returns the operation left in flight, if any.
    fn apply_lines(&mut self, lines: &[String]) -> Option<Op> {
        let mut pending = None;
        for line in lines {
            let w: Vec<&str> = line.split_whitespace().collect();
            let num = |i: usize| -> u64 { w[i].parse().unwrap() };
            match (w[0], w[1]) {
                ("intent", "store" | "store-old") => {
                    self.see_n(num(2));
                    pending = Some(Op::Batch {
                        n0: num(2),
                        count: 1,
                        old: w[1] == "store-old",
                    });
                }
                ("intent", "batch") => {
                    self.see_n(num(2) + num(3));
                    pending = Some(Op::Batch {
                        n0: num(2),
                        count: num(3),
                        old: false,
                    });
                }
                ("intent", "update") => {
                    self.see_n(num(3));
                    pending = Some(Op::Update {
                        id: num(2),
                        n: num(3),
                    });
                }
                ("intent", "delete") => pending = Some(Op::Delete { id: num(2) }),
                ("intent", "event") => {
                    self.see_n(num(2));
                    pending = Some(Op::Event { n: num(2) });
                }
                ("intent", "triple") => {
                    self.see_n(num(2));
                    pending = Some(Op::Triple(Triple {
                        n: num(2),
                        s: w[3].into(),
                        p: w[4].into(),
                        o: w[5].into(),
                    }));
                }
                ("intent", "link") => {
                    pending = Some(Op::Link {
                        id: num(2),
                        entity: w[3].into(),
                    })
                }
                ("intent", "consolidate") => {
                    pending = Some(Op::Consolidate {
                        ids: ids_list(w[2]),
                    })
                }
                ("intent", "compact") => {
                    self.compacted = true;
                    self.passes += 1;
                    pending = Some(Op::Compact);
                }
                ("ack", "compact") => {
                    pending = None;
                    self.acked_ops += 1;
                }
                ("ack", "store" | "store-old") => {
                    let (id, n) = (num(2), num(3));
                    let m = Mem::Live {
                        n,
                        user: user(n),
                        old: w[1] == "store-old",
                    };
                    assert!(
                        self.mems.insert(id, m).is_none(),
                        "id {id} acknowledged twice"
                    );
                    self.acked_ops += 1;
                    if matches!(pending, Some(Op::Batch { count: 1, .. })) {
                        pending = None;
                    }
                }
                ("ack", "batch") => pending = None,
                ("ack", _) => {
                    let op = pending
                        .take()
                        .unwrap_or_else(|| panic!("{line}: no intent"));
                    self.commit(op, line);
                    self.acked_ops += 1;
                }
                _ => panic!("unexpected line from the child: {line:?}"),
            }
        }
        pending
    }

    /// Applies an acknowledged (or found committed) operation to the model.
    fn commit(&mut self, op: Op, line: &str) {
        match op {
            Op::Update { id, n } => {
                let Some(Mem::Live { user, old, .. }) = self.mems.get(&id).cloned() else {
                    panic!("{line}: update of a memory the model does not hold live");
                };
                self.mems.insert(id, Mem::Live { n, user, old });
            }
            Op::Delete { id } => {
                self.mems.insert(id, Mem::Deleted);
                self.links.retain(|(m, _)| *m != id);
            }
            Op::Event { n } => {
                self.events.insert(n);
            }
            Op::Triple(t) => self.triples.push(t),
            Op::Link { id, entity } => {
                self.links.insert((id, entity));
            }
            Op::Consolidate { ids } => {
                let new: u64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
                self.merge(new, ids);
            }
            Op::Batch { .. } | Op::Compact => unreachable!("acknowledged by their own lines"),
        }
    }

    fn merge(&mut self, new: u64, ids: Vec<u64>) {
        for id in &ids {
            let Some(Mem::Live { n, user, .. }) = self.mems.get(id).cloned() else {
                panic!("merge of {id}, which the model does not hold live");
            };
            self.mems.insert(*id, Mem::Archived { n, user });
        }
        let moved: Vec<(u64, String)> = self
            .links
            .iter()
            .filter(|(m, _)| ids.contains(m))
            .cloned()
            .collect();
        for (m, e) in moved {
            self.links.remove(&(m, e.clone()));
            self.links.insert((new, e));
        }
        let old = self.mems.insert(new, Mem::Consolidated { sources: ids });
        assert!(old.is_none(), "consolidated id {new} reused");
    }

    fn present_ids(&self) -> BTreeSet<u64> {
        self.mems
            .iter()
            .filter(|(_, m)| **m != Mem::Deleted)
            .map(|(id, _)| *id)
            .collect()
    }
}

/// Runs the child for `run_for`, kills it with SIGKILL, returns every line it printed.
fn run_and_kill(path: &Path, seed: u64, start: u64, run_for: Duration) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memspine"))
        .args(["--db", path.to_str().unwrap(), "crash-writer", "--mixed"])
        .args(["--seed", &seed.to_string(), "--start", &start.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
            .collect::<Vec<String>>()
    });
    std::thread::sleep(run_for);
    if let Some(status) = child.try_wait().unwrap() {
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        panic!("the child exited by itself ({status}): {err}");
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Everything the child wrote to the pipe before dying is read: those lines were printed
    // after the commits they acknowledge.
    reader.join().unwrap()
}

/// Decides whether the in-flight operation committed, checks that it is all or nothing, and
/// adds it to the model if it did. Returns whether it committed.
fn resolve(db: &Spine, model: &mut Model, op: Op, unknown: &mut BTreeSet<u64>) -> bool {
    match op {
        Op::Batch { n0, count, old } => {
            let acked: BTreeSet<u64> = model
                .mems
                .values()
                .filter_map(|m| match m {
                    Mem::Live { n, .. } if (n0..n0 + count).contains(n) => Some(*n),
                    _ => None,
                })
                .collect();
            let mut found = 0;
            for id in unknown.clone() {
                let m = db.get(MemoryId(id)).unwrap();
                let n = parse_n(&m.content);
                if let Some(n) = n.filter(|n| (n0..n0 + count).contains(n) && !acked.contains(n)) {
                    let user = user(n);
                    model.mems.insert(id, Mem::Live { n, user, old });
                    unknown.remove(&id);
                    found += 1;
                }
            }
            let total = acked.len() as u64 + found;
            assert!(
                total == 0 || total == count,
                "batch {n0}+{count} partly committed: {total} items"
            );
            total > 0
        }
        Op::Update { id, n } => {
            let m = db.get(MemoryId(id)).unwrap();
            let done = m.content == content(n);
            if done {
                model.commit(Op::Update { id, n }, "");
            }
            done
        }
        Op::Delete { id } => {
            let done = matches!(db.get(MemoryId(id)), Err(Error::UnknownId(_)));
            if done {
                model.commit(Op::Delete { id }, "");
            }
            done
        }
        Op::Event { n } => {
            let done = event_ns(db).contains(&n);
            if done {
                model.events.insert(n);
            }
            done
        }
        Op::Triple(t) => {
            let done = triple_present(db, &t);
            if done {
                model.triples.push(t);
            }
            done
        }
        Op::Link { id, entity } => {
            let done = linked(db, id, &entity);
            if done {
                model.links.insert((id, entity));
            }
            done
        }
        Op::Compact => false, // see resolve_compaction
        Op::Consolidate { ids } => {
            let archived = db.get(MemoryId(ids[0])).unwrap().archived;
            let news: Vec<u64> = unknown
                .iter()
                .copied()
                .filter(|id| provenance(db, *id).as_ref() == Some(&ids))
                .collect();
            if archived {
                assert_eq!(
                    news.len(),
                    1,
                    "merge of {ids:?} committed without its memory"
                );
                unknown.remove(&news[0]);
                model.merge(news[0], ids);
            } else {
                assert!(
                    news.is_empty(),
                    "merge of {ids:?} left a memory but no archive"
                );
            }
            archived
        }
    }
}

/// A consolidated memory's sources (`None` for other memories).
fn provenance(db: &Spine, id: u64) -> Option<Vec<u64>> {
    let m = db.get(MemoryId(id)).unwrap();
    (m.kind == "consolidated").then(|| m.provenance.iter().map(|p| p.0).collect())
}

/// After a run in which a compaction pass started (finished or killed midway; each of its
/// transactions is all or nothing): only backdated (old) memories may have changed, and only by
/// being archived, deleted or merged into a new consolidated memory with them as provenance.
/// Contents never change (`check` compares them); recent memories are checked untouched there.
fn resolve_compaction(db: &Spine, model: &mut Model, unknown: &mut BTreeSet<u64>) {
    let old =
        |model: &Model, id: &u64| matches!(model.mems.get(id), Some(Mem::Live { old: true, .. }));
    for id in unknown.clone() {
        let Some(sources) = provenance(db, id) else {
            continue;
        };
        for s in &sources {
            assert!(
                old(model, s),
                "compaction merged {s}, which is not an old live memory"
            );
            assert!(
                db.get(MemoryId(*s)).unwrap().archived,
                "merged {s} not archived"
            );
        }
        model.compacted_memories += sources.len() as u64;
        model.merge(id, sources);
        unknown.remove(&id);
    }
    let olds: Vec<u64> = model
        .mems
        .keys()
        .filter(|id| old(model, id))
        .copied()
        .collect();
    for id in olds {
        match db.get(MemoryId(id)) {
            Ok(m) if m.archived => {
                let Some(Mem::Live { n, user, .. }) = model.mems.get(&id).cloned() else {
                    unreachable!()
                };
                model.mems.insert(id, Mem::Archived { n, user });
                model.compacted_memories += 1;
            }
            Err(Error::UnknownId(_)) => {
                model.commit(Op::Delete { id }, "");
                model.compacted_memories += 1;
            }
            _ => {}
        }
    }
}

fn parse_n(content: &str) -> Option<u64> {
    content
        .strip_prefix("mixed memory ")?
        .split(':')
        .next()?
        .parse()
        .ok()
}

fn event_ns(db: &Spine) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for e in db.events_since(0, Some("crash.note")).unwrap() {
        let n = e.payload()["n"].as_u64().unwrap();
        assert!(out.insert(n), "event {n} twice");
    }
    out
}

fn triple_present(db: &Spine, t: &Triple) -> bool {
    let Some(o) = db.find_entity(&t.o).unwrap() else {
        return false;
    };
    let Ok(edges) = db.edges(&t.s, Some(&t.p), Direction::Out) else {
        return false;
    };
    let source = format!("op {}", t.n);
    edges
        .iter()
        .any(|r| r.source == source && r.object == o.id && r.confidence == 1.0)
}

fn linked(db: &Spine, id: u64, entity: &str) -> bool {
    db.memories_about(entity, usize::MAX)
        .unwrap()
        .iter()
        .any(|m| m.id.0 == id)
}

/// Checks the whole database against the model; returns how many facts were checked.
fn check(db: &Spine, model: &Model, it: u64) -> u64 {
    let mut checked = 0;
    for (&id, want) in &model.mems {
        checked += 1;
        let got = db.get(MemoryId(id));
        let (n, user, archived) = match want {
            Mem::Deleted => {
                assert!(
                    matches!(got, Err(Error::UnknownId(_))),
                    "iteration {it}: deleted memory {id} is back: {got:?}"
                );
                continue;
            }
            Mem::Consolidated { sources } => {
                let m = got.unwrap_or_else(|e| panic!("iteration {it}: merged {id} lost: {e}"));
                assert_eq!(m.kind, "consolidated", "iteration {it}: {id}");
                let prov: Vec<u64> = m.provenance.iter().map(|p| p.0).collect();
                assert_eq!(&prov, sources, "iteration {it}: provenance of {id}");
                assert!(!m.archived && !m.content.is_empty(), "iteration {it}: {id}");
                continue;
            }
            Mem::Live { n, user, .. } => (*n, user, false),
            Mem::Archived { n, user } => (*n, user, true),
        };
        let m = got.unwrap_or_else(|e| panic!("iteration {it}: acknowledged {id} lost: {e}"));
        if let Mem::Live { old, .. } = want {
            let backdated = m.created_at + 39 * 86_400 * 1_000_000 < db.now();
            assert_eq!(backdated, *old, "iteration {it}: created_at of {id}");
        }
        assert_eq!(m.content, content(n), "iteration {it}: content of {id}");
        assert_eq!(m.tags, vec![format!("t{}", n % 5)], "iteration {it}: {id}");
        assert_eq!(m.metadata, serde_json::json!({ "n": n }), "iteration {it}");
        assert_eq!(m.scope.user.as_ref(), Some(user), "iteration {it}: {id}");
        assert_eq!(
            m.archived, archived,
            "iteration {it}: archived flag of {id}"
        );
        assert_eq!(m.kind, "interaction", "iteration {it}: {id}");
    }
    assert_eq!(event_ns(db), model.events, "iteration {it}: events");
    checked += model.events.len() as u64;
    for t in &model.triples {
        assert!(triple_present(db, t), "iteration {it}: triple {t:?} lost");
    }
    checked += model.triples.len() as u64;
    for (id, e) in &model.links {
        assert!(linked(db, *id, e), "iteration {it}: link {id} → {e} lost");
    }
    checked + model.links.len() as u64
}

fn all_ids(db: &Spine) -> BTreeSet<u64> {
    let f = Filter {
        include_archived: true,
        ..Default::default()
    };
    db.filter_ids(&f)
        .unwrap()
        .into_iter()
        .map(|i| i.0)
        .collect()
}

/// Iterations on one database before the campaign starts a fresh one.
const ROTATE: u64 = 100;

#[test]
fn mixed_workload_survives_sigkill() {
    let iterations: u64 = std::env::var("MEMSPINE_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = common::temp();
    let mut path = dir.path().join("db0");
    let mut model = Model::default();
    let mut tally = Tally::default();
    let mut acked = 0;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for it in 0..iterations {
        if it > 0 && it.is_multiple_of(ROTATE) {
            acked += model.acked_ops;
            tally.passes += model.passes;
            tally.compacted += model.compacted_memories;
            eprintln!("crash campaign: {it} iterations, {acked} acknowledged operations, 0 lost");
            model = Model::default();
            path = dir.path().join(format!("db{it}"));
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let run_for = Duration::from_millis(10 + rng % 300);
        let start = model.max_n + 1000;
        let lines = run_and_kill(&path, rng, start, run_for);
        let pending = model.apply_lines(&lines);
        let db = Spine::open(&path, Options::default()).unwrap();
        let mut unknown: BTreeSet<u64> = all_ids(&db)
            .difference(&model.present_ids())
            .copied()
            .collect();
        if let Some(op) = pending {
            tally.in_flight += 1;
            if resolve(&db, &mut model, op, &mut unknown) {
                tally.in_flight_committed += 1;
            }
        }
        if std::mem::take(&mut model.compacted) {
            resolve_compaction(&db, &mut model, &mut unknown);
        }
        assert!(
            unknown.is_empty(),
            "iteration {it}: memories nobody wrote: {unknown:?}"
        );
        let missing: Vec<u64> = model
            .present_ids()
            .difference(&all_ids(&db))
            .copied()
            .collect();
        assert!(
            missing.is_empty(),
            "iteration {it}: lost from the index: {missing:?}"
        );
        tally.checked += check(&db, &model, it);
        let r = db.verify().unwrap();
        assert!(r.is_ok(), "iteration {it}: verify: {:?}", r.problems);
    }
    acked += model.acked_ops;
    tally.passes += model.passes;
    tally.compacted += model.compacted_memories;
    assert!(acked > 0, "the child acknowledged nothing");
    eprintln!(
        "crash campaign: {iterations} iterations, {iterations} kill points ({} mid-operation, {} of \
         those committed), {} acknowledged operations, {} checks of acknowledged state, {} \
         compaction passes ({} memories archived or merged by them), 0 lost",
        tally.in_flight,
        tally.in_flight_committed,
        acked,
        tally.checked,
        tally.passes,
        tally.compacted
    );
}
