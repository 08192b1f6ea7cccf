//! Criterion benches of the built-in embedder (the static token table distilled from MiniLM):
//! one short query, one memory of about 200 tokens, and a batch of 100 memories as `import` and
//! `store_batch` embed them. The load harness gives query vectors and excludes embedding by
//! design; this is the embedding cost to add to a search issued with text.
//!
//! Run: `cargo bench -p memspine-benches --bench embed`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memspine_index::embed::{Embedder, StaticEmbedder};

const QUERY: &str = "what did alice say about her login problem";
const SENTENCE: &str = "The customer asked whether the refund for order 4471 was processed and \
                        when the replacement ships; she also wants invoices in German. ";

fn embed(c: &mut Criterion) {
    let e = StaticEmbedder::new().unwrap();
    // About 200 tokens: 10 sentences of ~20 words.
    let long: String = SENTENCE.repeat(10);
    let batch: Vec<String> = (0..100)
        .map(|i| format!("{i}: {}", SENTENCE.repeat(2)))
        .collect();
    let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("embed_builtin");
    g.bench_function("query_8_words", |b| {
        b.iter(|| e.embed(black_box(QUERY)).unwrap())
    });
    g.bench_function("memory_200_tokens", |b| {
        b.iter(|| e.embed(black_box(&long)).unwrap())
    });
    g.throughput(Throughput::Elements(refs.len() as u64));
    g.bench_function("batch_100_memories", |b| {
        b.iter(|| e.embed_batch(black_box(&refs)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, embed);
criterion_main!(benches);
