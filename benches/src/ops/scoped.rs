//! Scoped reads: everything of one user, one user's newest memories.

use anyhow::Result;
use memspine::Filter;

use super::{OpCtx, OpSpec};
use crate::rng::Rng;

pub(super) fn ops() -> Vec<OpSpec> {
    vec![
        OpSpec {
            name: "scoped_filter",
            about: "filter_ids(user = u), user drawn by activity",
            article: None,
            target_p95_ms: None,
            needs_vectors: false,
            run: scoped_filter,
        },
        OpSpec {
            name: "scoped_recent",
            about: "recent_filtered(10, user = u)",
            article: None,
            target_p95_ms: None,
            needs_vectors: false,
            run: scoped_recent,
        },
    ]
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
