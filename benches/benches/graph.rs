//! Criterion benches of the knowledge graph: 1-, 2- and 3-hop neighbourhoods (entities with
//! their distance and every relation among them, default options: both directions, current
//! facts, entity records loaded) on a random graph of N entities with average out-degree 16
//! (N from MEMSPINE_BENCH_ENTITIES, default 100 000; 8 predicates, objects uniform at random).
//! Before criterion runs, it prints the cost of the storage primitives (one adjacency-list range
//! read, one entity point read; cold then warm) and a timed loop over ~1000 random roots per
//! depth (2000 for 1-hop, 100 for 3-hop): an untimed cold pass, then warm p50/p95/p99 with and
//! without loading entity records, and the average result sizes — from the tables, then from
//! an in-memory copy of the whole graph (`GraphCopy`, what the engine's graph reads use when
//! the graph fits `Options::graph_copy_bytes`).
//!
//! Run: `MEMSPINE_BENCH_ENTITIES=1000000 cargo bench -p memspine-benches --bench graph`.
//! Set MEMSPINE_BENCH_GRAPH_DB=/some/file.redb to keep the built graph and reuse it next time
//! (1M entities / 16M edges: ~6 min to build, ~4.6 GiB). A filter matching no criterion bench
//! (`-- no_match`) prints only the timed loop.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use memspine_graph::{
    add_triples, create_entity, neighborhood, neighborhood_with, stats, EntityRef, GraphCopy,
    NewEntity, NewTriple, TraversalOptions,
};
use redb::{Database, Durability, ReadableDatabase};

const DEGREE: u64 = 16;
const PREDICATES: u64 = 8;
/// Edges per write transaction while building.
const BATCH: u64 = 200_000;

/// SplitMix64: deterministic graph and queries.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn entities_wanted() -> u64 {
    std::env::var("MEMSPINE_BENCH_ENTITIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn open_db(path: &PathBuf) -> Database {
    Database::builder()
        .set_cache_size(8 << 30)
        .create(path)
        .unwrap()
}

/// Writes N entities (ids 1..=N) and N × 16 edges in large non-durable transactions, then one
/// durable commit.
fn build(db: &Database, n: u64) {
    let t0 = Instant::now();
    let mut rng = Rng(0x6EA9);
    let mut w = db.begin_write().unwrap();
    w.set_durability(Durability::None).unwrap();
    for i in 1..=n {
        create_entity(&w, &NewEntity::named(format!("entity {i}"), i)).unwrap();
        if i % BATCH == 0 {
            w.commit().unwrap();
            w = db.begin_write().unwrap();
            w.set_durability(Durability::None).unwrap();
        }
    }
    let mut batch = Vec::with_capacity(BATCH as usize);
    for s in 1..=n {
        for _ in 0..DEGREE {
            let o = 1 + rng.below(n);
            let p = format!("p{}", rng.below(PREDICATES));
            let mut t = NewTriple::new("", &p, "", s);
            (t.subject, t.object) = (EntityRef::Id(s), EntityRef::Id(o));
            batch.push(t);
        }
        if batch.len() as u64 >= BATCH {
            add_triples(&w, &batch).unwrap();
            batch.clear();
            w.commit().unwrap();
            w = db.begin_write().unwrap();
            w.set_durability(Durability::None).unwrap();
            eprintln!("  {s}/{n} subjects, {:.0?}", t0.elapsed());
        }
    }
    add_triples(&w, &batch).unwrap();
    w.set_durability(Durability::Immediate).unwrap();
    w.commit().unwrap();
    eprintln!(
        "built {n} entities / {} edges in {:.1?}",
        n * DEGREE,
        t0.elapsed()
    );
}

fn setup() -> (Option<tempfile::TempDir>, Database, u64) {
    let n = entities_wanted();
    let (dir, path) = match std::env::var("MEMSPINE_BENCH_GRAPH_DB") {
        Ok(p) => (None, PathBuf::from(p)),
        Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("graph.redb");
            (Some(dir), path)
        }
    };
    let db = open_db(&path);
    let have = stats(&db.begin_read().unwrap()).unwrap().entities;
    if have != n {
        assert_eq!(have, 0, "{} holds {have} entities, not {n}", path.display());
        build(&db, n);
    }
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("graph file: {:.1} MiB", bytes as f64 / (1 << 20) as f64);
    (dir, db, n)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// Timed loop over random roots: p50/p95/p99 and mean result sizes, read from the tables or
/// from an in-memory copy.
fn report(db: &Database, n: u64, copy: Option<&GraphCopy>) {
    let r = db.begin_read().unwrap();
    let from = match copy {
        Some(_) => "copy",
        None => "tables",
    };
    for (depth, queries) in [(1u32, 2000usize), (2, 1000), (3, 100)] {
        // One untimed pass over the same roots first: the figures below are warm (pages in
        // redb's cache), the steady state of a process that keeps its database open.
        let mut rng = Rng(0xBEEF + u64::from(depth));
        let t = Instant::now();
        for _ in 0..queries {
            let root = 1 + rng.below(n);
            let opts = TraversalOptions::default();
            black_box(neighborhood_with(&r, copy, root, depth, &opts).unwrap());
        }
        eprintln!(
            "{depth}-hop cold pass ({from}): {queries} queries in {:.1?}",
            t.elapsed()
        );
        for with_entities in [true, false] {
            let opts = TraversalOptions {
                with_entities,
                ..Default::default()
            };
            let mut rng = Rng(0xBEEF + u64::from(depth));
            let mut times = Vec::with_capacity(queries);
            let (mut ents, mut rels) = (0usize, 0usize);
            for _ in 0..queries {
                let root = 1 + rng.below(n);
                let t = Instant::now();
                let nb = neighborhood_with(&r, copy, root, depth, &opts).unwrap();
                times.push(t.elapsed());
                ents += nb.entities.len();
                rels += nb.relations.len();
            }
            times.sort_unstable();
            eprintln!(
                "{depth}-hop ({from}, records: {with_entities:5}) over {n} entities: p50 {:>9.3?}  \
                 p95 {:>9.3?}  p99 {:>9.3?}  avg {} entities, {} relations",
                percentile(&times, 0.50),
                percentile(&times, 0.95),
                percentile(&times, 0.99),
                ents / queries,
                rels / queries,
            );
        }
    }
}

/// The storage primitives a neighbourhood is made of, warm: one entity's out-adjacency list as
/// a range read (what every visited entity costs) against a point read of its record.
fn primitives(db: &Database, n: u64) {
    use memspine_graph::table_defs::{ENTITIES, OUT};
    let r = db.begin_read().unwrap();
    let (out, ents) = (r.open_table(OUT).unwrap(), r.open_table(ENTITIES).unwrap());
    let roots: Vec<u64> = {
        let mut rng = Rng(0xFACE);
        (0..20_000).map(|_| 1 + rng.below(n)).collect()
    };
    for pass in ["cold", "warm"] {
        let (mut range_t, mut get_t, mut rows) = (Vec::new(), Vec::new(), 0usize);
        let mut open_t = Vec::new();
        for &e in &roots {
            let t = Instant::now();
            for row in out
                .range((e, 0, 0, 0)..=(e, u32::MAX, u64::MAX, u64::MAX))
                .unwrap()
            {
                black_box(row.unwrap());
                rows += 1;
            }
            range_t.push(t.elapsed());
            let t = Instant::now();
            for row in out.range((e, 0, 0, 0)..).unwrap() {
                let row = row.unwrap();
                if row.0.value().0 != e {
                    break;
                }
                black_box(row);
            }
            open_t.push(t.elapsed());
            let t = Instant::now();
            black_box(ents.get(e).unwrap());
            get_t.push(t.elapsed());
        }
        range_t.sort_unstable();
        get_t.sort_unstable();
        open_t.sort_unstable();
        eprintln!(
            "primitives ({pass}): open-ended range read, stopped at the next entity: p50 {:.2?} \
             p95 {:.2?}",
            percentile(&open_t, 0.5),
            percentile(&open_t, 0.95),
        );
        eprintln!(
            "primitives ({pass}): out-list range read p50 {:.2?} p95 {:.2?} ({} rows avg); \
             entity point read p50 {:.2?} p95 {:.2?}",
            percentile(&range_t, 0.5),
            percentile(&range_t, 0.95),
            rows / roots.len(),
            percentile(&get_t, 0.5),
            percentile(&get_t, 0.95),
        );
    }
}

/// Builds the in-memory copy of the whole graph (no budget) and says what it took.
fn copy_of(db: &Database) -> GraphCopy {
    let t = Instant::now();
    let copy = GraphCopy::build(&db.begin_read().unwrap(), usize::MAX, &|| false)
        .unwrap()
        .unwrap();
    eprintln!(
        "graph copy: {:.1} MiB built in {:.1?}",
        copy.bytes() as f64 / (1 << 20) as f64,
        t.elapsed()
    );
    copy
}

fn benches(c: &mut Criterion) {
    let (_dir, db, n) = setup();
    primitives(&db, n);
    report(&db, n, None);
    let copy = copy_of(&db);
    report(&db, n, Some(&copy));
    let r = db.begin_read().unwrap();
    let opts = TraversalOptions::default();
    let mut g = c.benchmark_group(format!("graph_neighborhood_{n}"));
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for depth in 1..=3u32 {
        let mut rng = Rng(0xC0FFEE);
        g.bench_function(format!("{depth}_hop"), |b| {
            b.iter(|| {
                let root = 1 + rng.below(n);
                black_box(neighborhood(&r, root, depth, &opts).unwrap())
            })
        });
        let mut rng = Rng(0xC0FFEE);
        g.bench_function(format!("{depth}_hop_copy"), |b| {
            b.iter(|| {
                let root = 1 + rng.below(n);
                black_box(neighborhood_with(&r, Some(&copy), root, depth, &opts).unwrap())
            })
        });
    }
    g.finish();
}

criterion_group!(graph, benches);
criterion_main!(graph);
