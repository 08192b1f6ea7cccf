//! Criterion benches of the on-disk codecs: a memory record (postcard, zstd above 200 bytes,
//! crc32) encoded and decoded at three sizes, and a sealed log page of agent events encoded and
//! decoded. These are the per-memory costs every store and every read pays before redb.
//!
//! Run: `cargo bench -p memspine-benches --bench record`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use memspine::log::{EventBody, LogRecord};
use memspine::{codec, Memory, MemoryId, Scope};

const T0: u64 = 1_767_225_600_000_000;

/// A memory whose content is about `bytes` long, with the metadata and tags of a typical agent turn.
fn memory(bytes: usize) -> Memory {
    let sentence = "The customer asked whether the refund for order 4471 was processed and when the replacement ships. ";
    let content: String = sentence.chars().cycle().take(bytes).collect();
    Memory {
        id: MemoryId(42),
        content,
        kind: "interaction".into(),
        tags: vec!["billing".into(), "refund".into()],
        metadata: serde_json::json!({"channel": "chat", "turn": 7, "sentiment": "neutral"}),
        scope: Scope {
            user: Some("u1234".into()),
            session: Some("s98765".into()),
            agent: Some("support-bot".into()),
        },
        importance: 0.6,
        pinned: false,
        created_at: T0,
        updated_at: T0,
        access_count: 0,
        last_access: None,
        provenance: Vec::new(),
        archived: false,
        has_vector: true,
    }
}

fn bench_memory_record(c: &mut Criterion) {
    let mut g = c.benchmark_group("memory_record");
    // 120 B stays uncompressed; 1 KiB and 8 KiB go through zstd level 3.
    for bytes in [120usize, 1024, 8192] {
        let m = memory(bytes);
        let encoded = codec::encode_memory_record(&m).unwrap();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(format!("encode_{bytes}B"), |b| {
            b.iter(|| codec::encode_memory_record(black_box(&m)).unwrap())
        });
        g.bench_function(format!("decode_{bytes}B"), |b| {
            b.iter(|| codec::decode_memory_record(black_box(&encoded)).unwrap())
        });
    }
    g.finish();
}

fn records(n: u64) -> Vec<LogRecord> {
    (1..=n)
        .map(|seq| LogRecord {
            seq,
            ts: T0 + seq * 1_000_000,
            scope: Scope {
                user: Some(format!("u{}", seq % 100)),
                session: Some(format!("s{}", seq / 20)),
                agent: None,
            },
            body: EventBody::Agent {
                event_type: "tool.call".into(),
                payload: format!(
                    r#"{{"tool":"search","query":"order {seq} status","ms":{}}}"#,
                    seq % 300
                ),
            },
        })
        .collect()
}

fn bench_log_page(c: &mut Criterion) {
    let mut g = c.benchmark_group("log_page");
    let n = 1000u64;
    let page = codec::encode_log_page(&mut records(n)).unwrap();
    eprintln!("log page of {n} agent events: {} bytes", page.len());
    g.throughput(Throughput::Elements(n));
    g.bench_function("encode_1000_events", |b| {
        b.iter_batched(
            || records(n),
            |mut r| codec::encode_log_page(&mut r).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("decode_1000_events", |b| {
        b.iter(|| codec::decode_log_page(black_box(&page)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_memory_record, bench_log_page);
criterion_main!(benches);
