//! Query-language queries through `query_dsl` (parse, plan, bitmap evaluation, then every
//! matching memory fetched and decoded): a mix of what an agent asks over indexed predicates —
//! a user's recent memories of a topic, their open facts, a session's turns, an agent's
//! unresolved items, a month-old window, a global topic slice.

use anyhow::Result;

use super::{OpCtx, OpSpec, Out};
use crate::rng::Rng;
use crate::workload::AGENTS;

/// Memories a `dsl` call fetches: a page, as an agent reads a result (`dsl_all` fetches all).
pub const PAGE: usize = 100;

pub(super) fn ops() -> Vec<OpSpec> {
    vec![
        OpSpec {
            name: "dsl",
            about: "query(one of 8 indexed-predicate queries, user by activity), first 100 hits fetched",
            article: None,
            target_p95_ms: Some(1.0),
            needs_vectors: false,
            variants: TEMPLATES,
            run: dsl,
        },
        OpSpec {
            name: "dsl_all",
            about: "query_dsl(the same mix), every hit fetched and decoded (cost follows the hits)",
            article: None,
            target_p95_ms: None,
            needs_vectors: false,
            variants: TEMPLATES,
            run: dsl_all,
        },
    ]
}

/// The query templates (`{u}` user, `{t}` topic, `{a}` agent), each drawn with equal chance.
pub const TEMPLATES: &[&str] = &[
    "user:{u} AND tag:topic-{t} AND created_after:30d",
    "user:{u} AND kind:fact AND NOT pinned:true",
    "(tag:urgent OR tag:followup) AND user:{u} AND created_after:7d",
    "session:{u}-s0 AND (kind:user_query OR kind:assistant_response)",
    "agent:{a} AND user:{u} AND created_after:14d AND NOT tag:resolved",
    "tier:short_term AND user:{u} AND NOT kind:interaction",
    "user:{u} AND created_after:60d AND created_before:30d AND kind:decision",
    "tag:topic-{t} AND tag:billing AND created_after:30d",
];

/// One query of the mix, as text.
pub fn draw(cx: &OpCtx, rng: &mut Rng) -> (usize, String) {
    let k = rng.index(TEMPLATES.len());
    let template = TEMPLATES[k];
    let topic = cx.w.topic_of(cx.w.cluster(rng));
    let q = template
        .replace("{u}", &cx.w.user(rng))
        .replace("{t}", &topic.to_string())
        .replace("{a}", AGENTS[rng.index(AGENTS.len())]);
    (k, q)
}

fn dsl(cx: &OpCtx, rng: &mut Rng) -> Result<Out> {
    let (k, q) = draw(cx, rng);
    let opts = memspine::QueryOptions {
        limit: PAGE,
        ..Default::default()
    };
    Ok(Out {
        results: cx.db.query(&memspine::query::parse(&q)?, &opts)?.len(),
        relations: None,
        variant: Some(k),
    })
}

fn dsl_all(cx: &OpCtx, rng: &mut Rng) -> Result<Out> {
    let (k, q) = draw(cx, rng);
    Ok(Out {
        results: cx.db.query_dsl(&q)?.len(),
        relations: None,
        variant: Some(k),
    })
}
