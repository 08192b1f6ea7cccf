//! Search with a given query vector (embedding time excluded by design): global semantic,
//! hybrid (query text + vector), and scoped to one user.

use anyhow::{Context, Result};
use memspine::{Filter, SearchMode, SearchOptions};

use super::{Article, OpCtx, OpSpec, Out};
use crate::rng::Rng;

pub(super) fn ops() -> Vec<OpSpec> {
    vec![
        OpSpec {
            name: "semantic_search",
            about: "search(limit 10, mode semantic, query vector given)",
            article: Some(Article::Vector),
            target_p95_ms: Some(3.0),
            needs_vectors: true,
            variants: &[],
            run: |cx, rng| semantic(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "hybrid_search",
            about: "search(topic text, limit 10, mode hybrid, query vector given)",
            article: Some(Article::Hybrid),
            target_p95_ms: Some(3.0),
            needs_vectors: true,
            variants: &[],
            run: |cx, rng| hybrid(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "scoped_search",
            about: "search(limit 10, semantic, user = u by activity, query vector given)",
            article: Some(Article::Vector),
            target_p95_ms: None,
            needs_vectors: true,
            variants: &[],
            run: |cx, rng| scoped(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "scoped_search_10k",
            about: "search(limit 10, semantic, user = the one of nearest 10 000 live memories, \
                    query vector given)",
            article: Some(Article::Vector),
            target_p95_ms: Some(0.3),
            needs_vectors: true,
            variants: &[],
            run: |cx, rng| scoped_10k(cx, rng).map(Out::from),
        },
    ]
}

/// Options with a fresh query vector, and the query text of its topic.
pub(crate) fn query(
    cx: &OpCtx,
    rng: &mut Rng,
    mode: SearchMode,
) -> Result<(String, SearchOptions)> {
    let (cluster, v) =
        cx.w.query_vector(rng)
            .context("the workload has no vectors")?;
    let text = cx.w.query_text(cx.w.topic_of(cluster), rng);
    let opts = SearchOptions {
        limit: 10,
        mode,
        vector: Some(v),
        ..SearchOptions::default()
    };
    Ok((text, opts))
}

fn semantic(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    let (text, opts) = query(cx, rng, SearchMode::Semantic)?;
    Ok(cx.db.search(&text, &opts)?.len())
}

fn hybrid(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    let (text, opts) = query(cx, rng, SearchMode::Hybrid)?;
    Ok(cx.db.search(&text, &opts)?.len())
}

/// The case: one scope of about 10K memories among all of them.
fn scoped_10k(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    let (text, mut opts) = query(cx, rng, SearchMode::Semantic)?;
    opts.filter = Filter::user(cx.user_10k);
    Ok(cx.db.search(&text, &opts)?.len())
}

fn scoped(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    let (text, mut opts) = query(cx, rng, SearchMode::Semantic)?;
    opts.filter = Filter::user(cx.w.user(rng));
    Ok(cx.db.search(&text, &opts)?.len())
}
