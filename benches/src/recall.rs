//! Recall@10 of the default (quantized) search against exact full-precision search, on a fixed
//! set of seeded query vectors, globally and scoped to one user.

use std::collections::HashSet;
use std::time::Instant;

use anyhow::Result;
use memspine::{Filter, MemoryId, SearchMode, SearchOptions};
use serde::Serialize;

use crate::ops::OpCtx;
use crate::rng::Rng;

/// Results compared per query.
pub const K: usize = 10;

/// What the recall measurement found.
#[derive(Debug, Clone, Serialize)]
pub struct RecallReport {
    /// Queries per scope.
    pub queries: usize,
    /// k of recall@k.
    pub k: usize,
    /// Mean recall@k of the default search, whole database.
    pub global: f64,
    /// Mean recall@k of the default search, filtered to one user.
    pub scoped: f64,
    /// Mean recall@k of the default hybrid search (query text and vector) against hybrid search
    /// with exact vector search, whole database.
    #[serde(default)]
    pub hybrid: f64,
    /// Mean latency of the exact global search, ms (the cost recall is bought against).
    pub exact_global_mean_ms: f64,
    /// Mean latency of the default global search in this loop, ms.
    pub default_global_mean_ms: f64,
}

/// Runs `queries` seeded queries in each scope.
pub fn measure(cx: &OpCtx, queries: usize, seed: u64) -> Result<RecallReport> {
    let mut rng = Rng::derive(seed, 0x4EC0);
    let (mut global, mut scoped, mut hybrid) = (0.0, 0.0, 0.0);
    let (mut t_exact, mut t_default) = (0.0, 0.0);
    for _ in 0..queries {
        let Some((cluster, v)) = cx.w.query_vector(&mut rng) else {
            anyhow::bail!("recall needs vectors (--dim > 0)");
        };
        let text = cx.w.query_text(cx.w.topic_of(cluster), &mut rng);
        hybrid += one(cx, &v, &text, SearchMode::Hybrid, Filter::default())?.0;
        let (r, te, td) = one(cx, &v, "", SearchMode::Semantic, Filter::default())?;
        global += r;
        t_exact += te;
        t_default += td;
        let user = Filter::user(cx.w.user(&mut rng));
        scoped += one(cx, &v, "", SearchMode::Semantic, user)?.0;
    }
    let n = queries.max(1) as f64;
    Ok(RecallReport {
        queries,
        k: K,
        global: global / n,
        scoped: scoped / n,
        hybrid: hybrid / n,
        exact_global_mean_ms: t_exact / n,
        default_global_mean_ms: t_default / n,
    })
}

/// Recall of one query, and the exact and default search times in ms.
fn one(
    cx: &OpCtx,
    v: &[f32],
    text: &str,
    mode: SearchMode,
    filter: Filter,
) -> Result<(f64, f64, f64)> {
    let mut opts = SearchOptions {
        limit: K,
        filter,
        mode,
        vector: Some(v.to_vec()),
        track_access: false,
        ..SearchOptions::default()
    };
    let (fast, td) = ids(cx, text, &opts)?;
    opts.exact = true;
    let (exact, te) = ids(cx, text, &opts)?;
    if exact.is_empty() {
        return Ok((1.0, te, td));
    }
    let found = exact.iter().filter(|id| fast.contains(id)).count();
    Ok((found as f64 / exact.len() as f64, te, td))
}

fn ids(cx: &OpCtx, text: &str, opts: &SearchOptions) -> Result<(HashSet<MemoryId>, f64)> {
    let t = Instant::now();
    let hits = cx.db.search(text, opts)?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    Ok((hits.into_iter().map(|h| h.id).collect(), ms))
}
