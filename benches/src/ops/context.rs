//! The token-budgeted context window for one user's agent, query vector given.

use anyhow::{Context, Result};
use memspine::{ContextOptions, Filter};

use super::{Article, OpCtx, OpSpec, Out};
use crate::rng::Rng;

/// The budget issue 5 sets its target for.
const MAX_TOKENS: usize = 8000;

pub(super) fn ops() -> Vec<OpSpec> {
    vec![OpSpec {
        name: "context_window",
        about: "llm_context_window(topic text, 8000 tokens, user = u, query vector given)",
        article: Some(Article::Hybrid),
        target_p95_ms: Some(5.0),
        needs_vectors: true,
        variants: &[],
        run: |cx, rng| context_window(cx, rng).map(Out::from),
    }]
}

fn context_window(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    let (cluster, v) =
        cx.w.query_vector(rng)
            .context("the workload has no vectors")?;
    let text = cx.w.query_text(cx.w.topic_of(cluster), rng);
    let opts = ContextOptions {
        filter: Filter::user(cx.w.user(rng)),
        query_vector: Some(v),
        ..ContextOptions::default()
    };
    Ok(cx
        .db
        .llm_context_window(&text, MAX_TOKENS, &opts)?
        .chosen
        .len())
}
