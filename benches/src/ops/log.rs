//! Record and event-log reads: get by id, newest memories, the last hour of the log.

use anyhow::Result;
use memspine::MemoryId;

use super::{Article, OpCtx, OpSpec, Out};
use crate::rng::Rng;

pub(super) fn ops() -> Vec<OpSpec> {
    vec![
        OpSpec {
            name: "get",
            about: "get(id), id uniform over all memories",
            article: None,
            target_p95_ms: None,
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| get(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "recent",
            about: "recent(10): newest memories",
            article: Some(Article::Log),
            target_p95_ms: None,
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| recent(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "query_recent_1h",
            about: "query_recent(1h, None): events of the last hour",
            article: Some(Article::Log),
            target_p95_ms: Some(0.5),
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| query_recent_1h(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "query_recent_1h_typed",
            about: "query_recent(1h, \"memory.stored\")",
            article: Some(Article::Log),
            target_p95_ms: Some(0.5),
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| query_recent_1h_typed(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "history",
            about: "history(id): a memory's events from the log",
            article: Some(Article::Log),
            target_p95_ms: None,
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| history(cx, rng).map(Out::from),
        },
    ]
}

/// Writes, run after every read so they do not change what the reads see.
pub(super) fn writes() -> Vec<OpSpec> {
    vec![OpSpec {
        name: "store_durable",
        about: "store(one memory), fsync per call; threads contend for the writer",
        article: None,
        target_p95_ms: None,
        needs_vectors: false,
        variants: &[],
        run: |cx, rng| store_durable(cx, rng).map(Out::from),
    }]
}

fn get(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    // Ids are 1..=N in a freshly loaded database.
    let id = 1 + rng.below(cx.w.shape.memories);
    cx.db.get(MemoryId(id))?;
    Ok(1)
}

fn recent(cx: &OpCtx, _: &mut Rng) -> Result<usize> {
    Ok(cx.db.recent(10)?.len())
}

fn query_recent_1h(cx: &OpCtx, _: &mut Rng) -> Result<usize> {
    Ok(cx.db.query_recent(1.0, None)?.len())
}

fn query_recent_1h_typed(cx: &OpCtx, _: &mut Rng) -> Result<usize> {
    Ok(cx.db.query_recent(1.0, Some("memory.stored"))?.len())
}

fn history(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    let id = 1 + rng.below(cx.w.shape.memories);
    Ok(cx.db.history(MemoryId(id))?.len())
}

fn store_durable(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    let m = cx.w.fresh_memory(rng, cx.db.now());
    cx.db.store(m)?;
    Ok(1)
}
