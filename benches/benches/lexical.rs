//! Criterion benches of the lexical (BM25) index over N short synthetic documents
//! (MEMSPINE_BENCH_N, default 100 000): 8–32 tokens each, drawn from a 50 000-word vocabulary
//! with a Zipf (s = 1) distribution. Reports the ingest rate of the batch variant (10 000
//! documents per transaction, fsync on commit), the cost of indexing one document per
//! transaction, bytes on disk, and p50/p95/p99 of top-10 queries of 2–5 terms (terms drawn from the
//! same Zipf distribution, so stop-word-like terms are in; and "content" queries without the 100
//! most frequent words), global and filtered to a random 10K bitmap.
//!
//! Run: `MEMSPINE_BENCH_N=1000000 cargo bench -p memspine-benches --bench lexical`.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use memspine_index::lexical::{self, IndexBatch};
use redb::{Database, ReadTransaction, ReadableDatabase};
use roaring::RoaringBitmap;

const VOCAB: usize = 50_000;
const QUERIES: usize = 500;
const SUBSET: u32 = 10_000;
const BATCH: usize = 10_000;

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Zipf(s = 1) over ranks 0..VOCAB by inverse CDF. Words are `w<rank>`: the digit keeps the
/// stemmer away, so one rank is one term.
struct Zipf {
    cdf: Vec<f64>,
    rng: Rng,
}

impl Zipf {
    fn new(seed: u64) -> Self {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (1..=VOCAB)
            .map(|r| {
                acc += 1.0 / r as f64;
                acc
            })
            .collect();
        cdf.iter_mut().for_each(|c| *c /= acc);
        Zipf {
            cdf,
            rng: Rng(seed),
        }
    }
    fn word(&mut self) -> String {
        let u = self.rng.unit();
        format!("w{}", self.cdf.partition_point(|&c| c < u))
    }
    /// A word of rank ≥ `min_rank` (the Zipf tail): models queries whose stop words the
    /// tokenizer removed.
    fn content_word(&mut self, min_rank: usize) -> String {
        loop {
            let u = self.rng.unit();
            let r = self.cdf.partition_point(|&c| c < u);
            if r >= min_rank {
                return format!("w{r}");
            }
        }
    }
    fn text(&mut self, lo: u64, hi: u64) -> String {
        let len = lo + self.rng.next() % (hi - lo + 1);
        (0..len).map(|_| self.word()).collect::<Vec<_>>().join(" ")
    }
}

fn bench_n() -> u32 {
    std::env::var("MEMSPINE_BENCH_N")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: Database,
    subset: RoaringBitmap,
    queries: Vec<String>,
    /// Queries without the 100 most frequent words (df ≥ ~4 % of documents).
    content: Vec<String>,
}

/// Builds the index with the batch variant, printing ingest rate and size.
fn fixture() -> Fixture {
    let n = bench_n();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.redb");
    let db = Database::create(&path).unwrap();
    let mut zipf = Zipf::new(0x5EED);
    let t = Instant::now();
    let mut next = 1u32;
    while next <= n {
        let mut batch = IndexBatch::new();
        for _ in 0..BATCH.min((n - next + 1) as usize) {
            batch.add(next, &zipf.text(8, 32)).unwrap();
            next += 1;
        }
        let txn = db.begin_write().unwrap();
        batch.flush(&txn).unwrap();
        txn.commit().unwrap();
    }
    let took = t.elapsed();
    let size = std::fs::metadata(&path).unwrap().len();
    let stats = lexical::stats(&db.begin_read().unwrap()).unwrap();
    eprintln!(
        "lexical: batch-indexed {n} docs in {took:.2?} = {:.0} docs/s; {} terms, {} blocks, \
         {:.1} tokens/doc; data.redb {:.1} MiB = {:.0} B/doc",
        f64::from(n) / took.as_secs_f64(),
        stats.terms,
        stats.blocks,
        stats.total_len as f64 / f64::from(n),
        size as f64 / (1 << 20) as f64,
        size as f64 / f64::from(n)
    );
    let mut rng = Rng(77);
    let mut subset = RoaringBitmap::new();
    while subset.len() < u64::from(SUBSET.min(n)) {
        subset.insert(1 + (rng.next() % u64::from(n)) as u32);
    }
    let mut qz = Zipf::new(0xC0FFEE);
    let queries = (0..QUERIES)
        .map(|i| qz.text(2 + (i % 4) as u64, 2 + (i % 4) as u64))
        .collect();
    let content = (0..QUERIES)
        .map(|i| {
            let words: Vec<String> = (0..2 + i % 4).map(|_| qz.content_word(100)).collect();
            words.join(" ")
        })
        .collect();
    single_doc_cost(&db, n, &mut zipf);
    Fixture {
        _dir: dir,
        db,
        subset,
        queries,
        content,
    }
}

/// Indexes 1 000 more documents one per transaction (no fsync, to time the index itself), then
/// removes them again.
fn single_doc_cost(db: &Database, n: u32, zipf: &mut Zipf) {
    let texts: Vec<String> = (0..1000).map(|_| zipf.text(8, 32)).collect();
    let run = |remove: bool| {
        let t = Instant::now();
        for (i, text) in texts.iter().enumerate() {
            let mut txn = db.begin_write().unwrap();
            txn.set_durability(redb::Durability::None).unwrap();
            let doc = n + 1 + i as u32;
            if remove {
                lexical::remove_document(&txn, doc, text).unwrap();
            } else {
                lexical::index_document(&txn, doc, text).unwrap();
            }
            txn.commit().unwrap();
        }
        t.elapsed() / texts.len() as u32
    };
    let t = Instant::now();
    for _ in 0..200 {
        let mut txn = db.begin_write().unwrap();
        txn.set_durability(redb::Durability::None).unwrap();
        txn.commit().unwrap();
    }
    let empty = t.elapsed() / 200;
    let t = Instant::now();
    let txn = db.begin_write().unwrap();
    for (i, text) in texts.iter().enumerate() {
        lexical::index_document(&txn, n + 1 + i as u32, text).unwrap();
    }
    let in_one = t.elapsed() / texts.len() as u32;
    txn.abort().unwrap();
    let add = run(false);
    let rm = run(true);
    eprintln!(
        "lexical: one doc per transaction (Durability::None): index {add:.1?}, remove {rm:.1?} \
         (an empty commit: {empty:.1?}); 1000 docs in one transaction: {in_one:.1?} per doc"
    );
}

fn percentiles(name: &str, mut samples: Vec<Duration>, hits: usize) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    eprintln!(
        "{name:<36} p50 {:>9.3?} p95 {:>9.3?} p99 {:>9.3?} max {:>9.3?} (avg hits {:.1})",
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0),
        hits as f64 / samples.len() as f64
    );
}

/// Times each query once (after a warm-up pass) in one read transaction per query.
fn timed(
    name: &str,
    f: &Fixture,
    queries: &[String],
    filter: Option<&RoaringBitmap>,
    terms: Option<usize>,
) {
    let qs: Vec<&String> = queries
        .iter()
        .filter(|q| terms.is_none_or(|t| q.split(' ').count() == t))
        .collect();
    let run = |q: &str| {
        let rtxn: ReadTransaction = f.db.begin_read().unwrap();
        lexical::search(&rtxn, q, 10, filter).unwrap().len()
    };
    qs.iter().for_each(|q| {
        run(q);
    });
    let mut samples = Vec::with_capacity(qs.len());
    let mut hits = 0;
    for q in &qs {
        let t = Instant::now();
        hits += run(q);
        samples.push(t.elapsed());
    }
    if std::env::var("MEMSPINE_BENCH_SLOW").is_ok() {
        let mut by: Vec<(Duration, &String)> =
            samples.iter().copied().zip(qs.iter().copied()).collect();
        by.sort();
        for (d, q) in by.iter().rev().take(5) {
            eprintln!("  slow {d:.2?}: {q}");
        }
    }
    percentiles(name, samples, hits);
}

fn search(c: &mut Criterion) {
    let f = fixture();
    let n = bench_n();
    let (zq, cq) = (&f.queries, &f.content);
    timed(&format!("global {n}, 2-5 terms"), &f, zq, None, None);
    for t in 2..=5 {
        timed(&format!("global {n}, {t} terms"), &f, zq, None, Some(t));
    }
    let sub = Some(&f.subset);
    timed(&format!("filtered {SUBSET} of {n}"), &f, zq, sub, None);
    timed(&format!("content: global {n}"), &f, cq, None, None);
    timed(
        &format!("content: filtered {SUBSET} of {n}"),
        &f,
        cq,
        sub,
        None,
    );
    let mut g = c.benchmark_group("lexical_search");
    g.sample_size(20);
    let mut i = 0;
    g.bench_function(format!("global_{n}"), |b| {
        b.iter(|| {
            i = (i + 1) % f.queries.len();
            let rtxn = f.db.begin_read().unwrap();
            lexical::search(&rtxn, &f.queries[i], 10, None).unwrap()
        })
    });
    g.bench_function(format!("filtered_{SUBSET}_of_{n}"), |b| {
        b.iter(|| {
            i = (i + 1) % f.queries.len();
            let rtxn = f.db.begin_read().unwrap();
            lexical::search(&rtxn, &f.queries[i], 10, Some(&f.subset)).unwrap()
        })
    });
    g.bench_function(format!("all_terms_bitmap_{n}"), |b| {
        b.iter(|| {
            i = (i + 1) % f.queries.len();
            let rtxn = f.db.begin_read().unwrap();
            lexical::phrase_or_terms_bitmap(&rtxn, &f.queries[i]).unwrap()
        })
    });
    g.finish();
}

/// English-like memory texts for the tokenizer benches: words with inflections the stemmer
/// rewrites (-s, -ed, -ing), capitals, digits, punctuation, stop words, 12–40 words each.
fn english_texts(n: usize, seed: u64) -> Vec<String> {
    const BASE: &[&str] = &[
        "deploy",
        "server",
        "billing",
        "invoice",
        "customer",
        "meeting",
        "prefer",
        "email",
        "project",
        "deadline",
        "database",
        "migrate",
        "schedule",
        "travel",
        "flight",
        "hotel",
        "remind",
        "order",
        "refund",
        "account",
        "password",
        "reset",
        "report",
        "budget",
        "review",
        "design",
        "launch",
        "market",
        "price",
        "contract",
        "support",
        "ticket",
        "issue",
        "fix",
        "release",
        "version",
        "update",
        "install",
        "configure",
        "monitor",
        "alert",
        "latency",
        "memory",
        "agent",
        "context",
        "summary",
        "document",
        "upload",
        "share",
        "calendar",
    ];
    const STOP: &[&str] = &[
        "the", "a", "to", "and", "of", "for", "is", "on", "with", "that",
    ];
    const SUFFIX: &[&str] = &["", "", "", "s", "ed", "ing", "er"];
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let len = 12 + rng.next() % 29;
            let mut t = String::new();
            for i in 0..len {
                if i > 0 {
                    t.push_str(if rng.next().is_multiple_of(9) {
                        ", "
                    } else {
                        " "
                    });
                }
                match rng.next() % 10 {
                    0..=2 => t.push_str(STOP[(rng.next() % STOP.len() as u64) as usize]),
                    3 => t.push_str(&format!("{}", rng.next() % 10_000)),
                    _ => {
                        let w = BASE[(rng.next() % BASE.len() as u64) as usize];
                        if rng.next().is_multiple_of(8) {
                            t.push_str(&w[..1].to_uppercase());
                            t.push_str(&w[1..]);
                        } else {
                            t.push_str(w);
                        }
                        t.push_str(SUFFIX[(rng.next() % SUFFIX.len() as u64) as usize]);
                    }
                }
            }
            t.push('.');
            t
        })
        .collect()
}

/// Tokenizing texts and building a scope's postings from them (what a lexical scope copy
/// costs its builder thread, besides reading the texts).
fn build(c: &mut Criterion) {
    let texts = english_texts(5_000, 7);
    let mut g = c.benchmark_group("lexical_build");
    g.sample_size(20);
    g.throughput(criterion::Throughput::Elements(texts.len() as u64));
    g.bench_function("tokenize_5000_texts", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| lexical::tokenize(t).len())
                .sum::<usize>()
        })
    });
    g.bench_function("scope_postings_5000_texts", |b| {
        b.iter(|| {
            lexical::ScopePostings::build((0u32..).zip(texts.iter().map(String::as_str))).len()
        })
    });
    g.finish();
}

criterion_group!(benches, search, build);
criterion_main!(benches);
