//! Scoped reads: everything of one user, one user's newest memories, a query-language query
//! over indexed predicates.

use anyhow::Result;
use memspine::Filter;

use super::{OpCtx, OpSpec, Out};
use crate::rng::Rng;

pub(super) fn ops() -> Vec<OpSpec> {
    vec![
        OpSpec {
            name: "scoped_filter",
            about: "filter_ids(user = u), user drawn by activity",
            article: None,
            target_p95_ms: None,
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| scoped_filter(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "scoped_recent",
            about: "recent_filtered(10, user = u)",
            article: None,
            target_p95_ms: None,
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| scoped_recent(cx, rng).map(Out::from),
        },
        OpSpec {
            name: "dsl_indexed",
            about: "query_ids(parse(\"user:u AND tag:topic-t AND NOT pinned:true\")), indexed predicates only",
            article: None,
            target_p95_ms: Some(1.0),
            needs_vectors: false,
            variants: &[],
            run: |cx, rng| dsl_indexed(cx, rng).map(Out::from),
        },
    ]
}

fn dsl_indexed(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    let topic = cx.w.topic_of(cx.w.cluster(rng));
    let text = format!(
        "user:{} AND tag:topic-{topic} AND NOT pinned:true",
        cx.w.user(rng)
    );
    let expr = memspine::query::parse(&text)?;
    Ok(cx
        .db
        .query_ids(&expr, &memspine::QueryOptions::default())?
        .len() as usize)
}

fn scoped_filter(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    Ok(cx.db.filter_ids(&Filter::user(cx.w.user(rng)))?.len())
}

fn scoped_recent(cx: &OpCtx, rng: &mut Rng) -> Result<usize> {
    Ok(cx
        .db
        .recent_filtered(10, &Filter::user(cx.w.user(rng)))?
        .len())
}
