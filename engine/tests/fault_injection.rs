//! Fault injection: a workload of stores, batches, updates, deletes, events, graph writes,
//! consolidation and access flushes, run once on a healthy database (the reference, which records
//! the observable state after every operation) and then once per injected failure point — every
//! write, torn write, resize and fsync of the redb file and of the vector arena that the failing
//! operation performs. Each time:
//! - the failing operation returns an error, and every later write on the handle is `Poisoned`;
//! - reads on the poisoned handle return the state before the operation or fail cleanly;
//! - reopened over a healthy backend, the database holds exactly the reference state before the
//!   operation or after it (every earlier acknowledged write is present, the failed one is fully
//!   present or fully absent), `verify` passes, and the database takes writes again.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use memspine::fault::{Faults, Kind, Plan, Target};
use memspine::{
    Direction, Durability, Error, Filter, ManualClock, Memory, MemoryId, MemoryUpdate, NewMemory,
    NewTriple, Options, Relation, Scope, SearchMode, SearchOptions, Spine,
};

/// 2026-01-01T00:00:00Z in µs.
const T0: u64 = 1_767_225_600_000_000;
/// Ids the workload allocates stay below this.
const MAX_ID: u64 = 40;

/// Temp dirs on tmpfs when there is one: the test runs hundreds of fsync-heavy workloads.
fn temp() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().unwrap()
}

fn options(clock: &ManualClock, faults: Option<&Faults>) -> Options {
    Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::Immediate,
        cache_bytes: 4 << 20,
        faults: faults.cloned(),
        ..Options::default()
    }
}

type Op = fn(&Spine) -> memspine::Result<()>;

fn exact() -> SearchOptions {
    SearchOptions {
        mode: SearchMode::Semantic,
        exact: true,
        track_access: false,
        limit: 10,
        ..SearchOptions::default()
    }
}

/// The workload; each entry is one write call (or a tracked search plus the access flush).
fn workload() -> Vec<(&'static str, Op)> {
    vec![
        ("store", |db| {
            db.store(
                NewMemory::new("Alice prefers email over phone calls")
                    .user("alice")
                    .tag("preference"),
            )
            .map(drop)
        }),
        ("store_batch", |db| {
            db.store_batch(vec![
                NewMemory::new("Alice works at Acme on the search team").user("alice"),
                NewMemory::new("Bob likes hiking in the mountains").user("bob"),
                NewMemory::new("Alice moved to Paris last spring").user("alice"),
                NewMemory::new("Alice's manager is Carol").user("alice"),
            ])
            .map(drop)
        }),
        ("update", |db| {
            db.update(
                MemoryId(1),
                MemoryUpdate {
                    content: Some("Alice prefers email, never phone calls".into()),
                    tags: Some(vec!["preference".into(), "contact".into()]),
                    ..MemoryUpdate::default()
                },
            )
            .map(drop)
        }),
        ("append_event", |db| {
            db.append_event(
                "agent.note",
                serde_json::json!({"text": "asked about contact preferences"}),
                Scope {
                    user: Some("alice".into()),
                    ..Scope::default()
                },
            )
            .map(drop)
        }),
        ("add_triple", |db| {
            db.add_triple(NewTriple::new("Alice", "works_at", "Acme", 0))
                .map(drop)
        }),
        ("delete", |db| db.delete(MemoryId(3))),
        ("declare_predicate", |db| {
            db.declare_predicate("lives_in", true)
        }),
        ("add_triple_single_valued", |db| {
            db.add_triple(NewTriple::new("Alice", "lives_in", "Berlin", 0))?;
            Ok(())
        }),
        ("supersede", |db| {
            db.add_triple(NewTriple::new("Alice", "lives_in", "Paris", 0))
                .map(drop)
        }),
        ("batch_consolidate", |db| {
            db.batch_consolidate(&[MemoryId(4), MemoryId(5)]).map(drop)
        }),
        ("search_and_flush_access", |db| {
            let mut o = exact();
            o.track_access = true;
            db.search("alice email", &o)?;
            db.flush_access()
        }),
        ("set_archived", |db| db.set_archived(&[MemoryId(2)], true)),
        ("store_after", |db| {
            db.store(NewMemory::new("Carol leads the search team").user("carol"))
                .map(drop)
        }),
    ]
}

/// Everything the test compares between runs.
#[derive(Debug, Clone, PartialEq)]
struct Observed {
    memories: Vec<(u64, Option<Memory>)>,
    live: Vec<MemoryId>,
    all: Vec<MemoryId>,
    events: Vec<(u64, String)>,
    edges: Vec<Relation>,
    search: Vec<MemoryId>,
    count: u64,
}

fn observe(db: &Spine) -> memspine::Result<Observed> {
    let mut memories = Vec::new();
    for id in 1..MAX_ID {
        match db.get(MemoryId(id)) {
            Ok(m) => memories.push((id, Some(m))),
            Err(Error::UnknownId(_)) => memories.push((id, None)),
            Err(e) => return Err(e),
        }
    }
    let all = Filter {
        include_archived: true,
        ..Filter::default()
    };
    let edges = match db.edges("alice", None, Direction::Both) {
        Ok(e) => e,
        Err(Error::Graph(_)) => Vec::new(), // no entity yet
        Err(e) => return Err(e),
    };
    let search = match db.search("alice email", &exact()) {
        Ok(h) => h.into_iter().map(|h| h.id).collect(),
        Err(e) => return Err(e),
    };
    Ok(Observed {
        memories,
        live: db.filter_ids(&Filter::default())?,
        all: db.filter_ids(&all)?,
        events: db
            .events_since(0, None)?
            .iter()
            .map(|e| (e.seq(), e.event_type().to_owned()))
            .collect(),
        edges,
        search,
        count: db.count()?,
    })
}

/// The healthy run: the state after opening and after each operation, and how many calls of
/// each kind each operation made on each target.
struct Reference {
    states: Vec<Observed>,
    calls: Vec<Vec<(Target, Kind, u64)>>,
}

fn reference(ops: &[(&'static str, Op)]) -> Reference {
    let dir = temp();
    let path = dir.path().join("db");
    let clock = ManualClock::new(T0);
    let faults = Faults::new();
    let db = Spine::open(&path, options(&clock, Some(&faults))).unwrap();
    let mut states = vec![observe(&db).unwrap()];
    let mut calls = Vec::new();
    for (name, op) in ops {
        clock.advance(Duration::from_secs(1));
        faults.disarm();
        op(&db).unwrap_or_else(|e| panic!("{name} failed on a healthy database: {e}"));
        let mut c = Vec::new();
        for target in [Target::Db, Target::Arena] {
            let n = faults.counts(target);
            for kind in Kind::ALL {
                c.push((target, kind, n.of(kind)));
            }
        }
        calls.push(c);
        states.push(observe(&db).unwrap());
    }
    // The reference itself must survive a reopen unchanged.
    drop(db);
    let db = Spine::open(&path, options(&clock, None)).unwrap();
    assert_eq!(&observe(&db).unwrap(), states.last().unwrap());
    assert!(db.verify().unwrap().is_ok());
    Reference { states, calls }
}

#[derive(Default, Debug)]
struct Tally {
    runs: u64,
    fired: u64,
    durable: u64,
    absent: u64,
}

/// Runs the workload with `plan` armed just before operation `k`; checks everything.
fn run_one(ops: &[(&'static str, Op)], r: &Reference, k: usize, plan: Plan, t: &mut Tally) {
    let what = format!("{} at op {k} ({})", describe(plan), ops[k].0);
    let dir = temp();
    let path = dir.path().join("db");
    let clock = ManualClock::new(T0);
    let faults = Faults::new();
    let db = Spine::open(&path, options(&clock, Some(&faults))).unwrap();
    for (_, op) in &ops[..k] {
        clock.advance(Duration::from_secs(1));
        op(&db).unwrap();
    }
    clock.advance(Duration::from_secs(1));
    // Read everything first: the record cache then holds the state before the failed write,
    // and the reads after it check that the cache does not outlive the failure.
    observe(&db).unwrap();
    faults.arm(plan);
    let res = ops[k].1(&db);
    t.runs += 1;
    if !faults.fired() {
        // The call count of this run differed from the reference's; nothing was injected.
        assert!(res.is_ok(), "{what}: failed without a fault: {res:?}");
        return;
    }
    t.fired += 1;
    assert!(res.is_err(), "{what}: the injected failure was swallowed");
    assert!(
        db.is_poisoned(),
        "{what}: handle not poisoned after {res:?}"
    );
    // Later writes are refused, whatever the disk does now.
    faults.disarm();
    let later = db.store(NewMemory::new("written after the failure"));
    assert!(
        matches!(later, Err(Error::Poisoned(_))),
        "{what}: later write gave {later:?}"
    );
    let later = db.append_event("agent.note", serde_json::json!({}), Scope::default());
    assert!(
        matches!(later, Err(Error::Poisoned(_))),
        "{what}: later event gave {later:?}"
    );
    // Reads work (showing the state before the failed write) or fail cleanly.
    if let Ok(o) = observe(&db) {
        assert!(
            o == r.states[k] || o == r.states[k + 1],
            "{what}: the poisoned handle reads a state that is neither before nor after\n\
             got:    {o:?}\nbefore: {:?}\nafter:  {:?}",
            r.states[k],
            r.states[k + 1]
        );
    }
    drop(db);
    // Reopen over a healthy backend.
    let db = Spine::open(&path, options(&clock, None))
        .unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
    let o = observe(&db).unwrap_or_else(|e| panic!("{what}: reads after reopen: {e}"));
    if o == r.states[k] {
        t.absent += 1;
    } else if o == r.states[k + 1] {
        t.durable += 1;
    } else {
        panic!(
            "{what}: reopened state is neither before nor after the failed operation\n\
             got:    {o:?}\nbefore: {:?}\nafter:  {:?}",
            r.states[k],
            r.states[k + 1]
        );
    }
    let report = db.verify().unwrap();
    assert!(report.is_ok(), "{what}: verify: {:?}", report.problems);
    // And the database takes writes again.
    db.store(NewMemory::new("after recovery").user("alice"))
        .unwrap_or_else(|e| panic!("{what}: write after reopen: {e}"));
    let report = db.verify().unwrap();
    assert!(
        report.is_ok(),
        "{what}: verify after a write: {:?}",
        report.problems
    );
}

fn describe(p: Plan) -> String {
    format!(
        "{:?} #{} on {:?}{}",
        p.kind,
        p.nth,
        p.target,
        if p.sticky { " (sticky)" } else { "" }
    )
}

/// Every `nth` call when there are few, else a spread: the first few, some middle ones, the last few.
fn points(n: u64) -> Vec<u64> {
    if n <= 12 {
        return (0..n).collect();
    }
    let mut v: Vec<u64> = (0..4).chain(n - 4..n).collect();
    v.extend((1..4).map(|i| n * i / 4));
    v.sort_unstable();
    v.dedup();
    v
}

fn campaign(sticky: bool, targets: &[Target]) -> Tally {
    let ops = workload();
    let r = reference(&ops);
    let mut t = Tally::default();
    for k in 0..ops.len() {
        for &(target, kind, n) in &r.calls[k] {
            if !targets.contains(&target) {
                continue;
            }
            for nth in points(n) {
                let plan = Plan {
                    target,
                    kind,
                    nth,
                    sticky,
                };
                run_one(&ops, &r, k, plan, &mut t);
            }
        }
    }
    t
}

#[test]
fn every_failure_point_of_the_database_file_recovers() {
    let t = campaign(false, &[Target::Db]);
    eprintln!("redb file faults: {t:?}");
    assert!(t.fired > 20, "too few fault points fired: {t:?}");
}

#[test]
fn every_failure_point_of_the_arena_recovers() {
    let t = campaign(false, &[Target::Arena]);
    eprintln!("arena faults: {t:?}");
    assert!(t.fired > 10, "too few fault points fired: {t:?}");
}

#[test]
fn a_dead_disk_poisons_and_recovers() {
    let t = campaign(true, &[Target::Db, Target::Arena]);
    eprintln!("sticky faults: {t:?}");
    assert!(t.fired > 20, "too few fault points fired: {t:?}");
}

#[test]
fn the_reference_workload_makes_io_calls_on_both_targets() {
    let r = reference(&workload());
    let total = |target: Target, kind: Kind| -> u64 {
        r.calls
            .iter()
            .flatten()
            .filter(|c| c.0 == target && c.1 == kind)
            .map(|c| c.2)
            .sum()
    };
    for target in [Target::Db, Target::Arena] {
        assert!(total(target, Kind::FailWrite) > 0, "{target:?} writes");
        assert!(total(target, Kind::FailSync) > 0, "{target:?} syncs");
    }
}

/// Regression (found by this campaign): an update that gives a memory a new vector used to move
/// its slot override in memory before the commit, so after a failed commit the handle searched
/// a rolled-back slot and the memory vanished from semantic search.
#[test]
fn a_failed_vector_update_leaves_search_unchanged() {
    let dir = temp();
    let path = dir.path().join("db");
    let clock = ManualClock::new(T0);
    let faults = Faults::new();
    let db = Spine::open(&path, options(&clock, Some(&faults))).unwrap();
    let id = db
        .store(NewMemory::new("Alice prefers email over phone calls").user("alice"))
        .unwrap();
    let before: Vec<MemoryId> = db
        .search("alice email", &exact())
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(before, vec![id]);
    faults.arm(Plan {
        target: Target::Arena,
        kind: Kind::FailSync,
        nth: 0,
        sticky: false,
    });
    let res = db.update(
        id,
        MemoryUpdate {
            content: Some("Alice now prefers chat messages".into()),
            ..MemoryUpdate::default()
        },
    );
    assert!(res.is_err());
    assert!(db.is_poisoned());
    let after: Vec<MemoryId> = db
        .search("alice email", &exact())
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(after, before);
}

/// Regression (found by the model fuzz target): a storage failure reported through the lexical
/// index (wrapped in its own error type — here the file growth while a delete removes the
/// memory's postings) did not poison the handle; only redb's and plain I/O errors did.
#[test]
fn a_storage_failure_in_the_lexical_index_poisons() {
    let dir = temp();
    let clock = ManualClock::new(T0);
    let faults = Faults::new();
    let opts = Options {
        dimension: Some(4),
        embedder: memspine::EmbedderChoice::None,
        cache_bytes: 1 << 20,
        ..options(&clock, Some(&faults))
    };
    let db = Spine::open(dir.path().join("db"), opts).unwrap();
    let id = db
        .store(
            NewMemory::new("email")
                .user("alice")
                .tag("blue")
                .importance(0.25)
                .vector(vec![-2.0, -5.0, 2.0, -3.0]),
        )
        .unwrap();
    faults.arm(Plan {
        target: Target::Db,
        kind: Kind::FailSetLen,
        nth: 0,
        sticky: false,
    });
    let res = db.delete(id);
    assert!(
        faults.fired(),
        "the delete no longer grows the file: adjust the test"
    );
    assert!(res.is_err());
    assert!(db.is_poisoned(), "not poisoned after {res:?}");
    assert!(matches!(db.delete(id), Err(Error::Poisoned(_))));
}
