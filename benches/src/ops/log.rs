//! Record and event-log reads: get by id, newest memories, the last hour of the log.

use anyhow::Result;
use memspine::MemoryId;

use super::{Article, OpCtx, OpSpec};
use crate::rng::Rng;

pub(super) fn ops() -> Vec<OpSpec> {
    vec![
        OpSpec {
            name: "get",
            about: "get(id), id uniform over all memories",
            article: None,
            target_p95_ms: None,
            needs_vectors: false,
            run: get,
        },
        OpSpec {
            name: "recent",
            about: "recent(10): newest memories",
            article: Some(Article::Log),
            target_p95_ms: None,
            needs_vectors: false,
            run: recent,
        },
        OpSpec {
            name: "query_recent_1h",
            about: "query_recent(1h, None): events of the last hour",
            article: Some(Article::Log),
            target_p95_ms: Some(0.5),
            needs_vectors: false,
            run: query_recent_1h,
        },
        OpSpec {
            name: "query_recent_1h_typed",
            about: "query_recent(1h, \"memory.stored\")",
            article: Some(Article::Log),
            target_p95_ms: Some(0.5),
            needs_vectors: false,
            run: query_recent_1h_typed,
        },
    ]
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
