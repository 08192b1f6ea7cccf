//! Graph reads: the neighbourhood of an entity at depth 1 and 2 with default options (current
//! facts, both directions, fan-out cap 1 000) — what `memspine graph show` calls.

use anyhow::{ensure, Result};
use memspine::TraversalOptions;

use super::{Article, OpCtx, OpSpec, Out};
use crate::rng::Rng;

pub(super) fn ops() -> Vec<OpSpec> {
    vec![
        OpSpec {
            name: "graph_1hop",
            about: "neighborhood(entity, depth 1, default options), entity uniform over the graph",
            article: Some(Article::Graph),
            target_p95_ms: None,
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| neighborhood(cx, rng, 1),
        },
        OpSpec {
            name: "graph_2hop",
            about: "neighborhood(entity, depth 2, default options), entity uniform over the graph",
            article: Some(Article::Graph),
            target_p95_ms: Some(0.2),
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| neighborhood(cx, rng, 2),
        },
    ]
}

fn neighborhood(cx: &OpCtx, rng: &mut Rng, depth: u32) -> Result<Out> {
    ensure!(!cx.entities.is_empty(), "the workload created no entities");
    let entity = &cx.entities[rng.index(cx.entities.len())];
    let n = cx
        .db
        .neighborhood(entity, depth, &TraversalOptions::default())?;
    Ok(Out {
        results: n.entities.len(),
        relations: Some(n.relations.len()),
        variant: None,
    })
}
