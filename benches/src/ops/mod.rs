//! The table of query operations. Each operation is one function `fn(&OpCtx, &mut Rng) ->
//! Result<Out>` (the number of results, so an accidentally empty query shows in the report)
//! plus the figures it is judged against. Adding an operation = one function + one row.

mod context;
pub(crate) mod dsl;
mod graph;
mod log;
mod scoped;
pub(crate) mod search;

use anyhow::Result;
use memspine::Spine;

use crate::rng::Rng;
use crate::workload::Workload;

/// What an operation can read.
pub struct OpCtx<'a> {
    /// The loaded database.
    pub db: &'a Spine,
    /// The workload it was loaded with (to draw ids, users, query vectors and texts).
    pub w: &'a Workload,
    /// Names of the graph's entities (what the load's facts created).
    pub entities: &'a [String],
    /// The user with nearest 10 000 live memories ([`user_near`]).
    pub user_10k: &'a str,
}

/// Of the 64 most active users, the one whose number of live memories is nearest `n`, with
/// that number.
pub fn user_near(db: &Spine, users: usize, n: usize) -> Result<(String, usize)> {
    let mut best = ("u0".to_owned(), 0usize);
    for u in 0..users.min(64) {
        let name = format!("u{u}");
        let size = db.filter_ids(&memspine::Filter::user(name.as_str()))?.len();
        if u == 0 || size.abs_diff(n) < best.1.abs_diff(n) {
            best = (name, size);
        }
    }
    Ok(best)
}

/// What one call returned: its number of results (hits, entities) and, for graph reads, the
/// relations among them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Out {
    /// Results (memories, events, entities).
    pub results: usize,
    /// Relations returned besides (graph reads only).
    pub relations: Option<usize>,
    /// Which of the operation's `variants` ran (a mix reports each one's latencies too).
    pub variant: Option<usize>,
}

impl From<usize> for Out {
    fn from(results: usize) -> Self {
        Out {
            results,
            relations: None,
            variant: None,
        }
    }
}

/// The article's figures an operation is compared with (its Table "query latency p95").
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub enum Article {
    /// Event log: 250 ms p95.
    Log,
    /// Vector store: 45 ms p95.
    Vector,
    /// Knowledge graph: 120 ms p95.
    Graph,
    /// Hybrid "Memory Spine": 38 ms p95.
    Hybrid,
}

impl Article {
    /// The article's p95 in ms.
    pub fn p95_ms(self) -> f64 {
        match self {
            Article::Log => 250.0,
            Article::Vector => 45.0,
            Article::Graph => 120.0,
            Article::Hybrid => 38.0,
        }
    }
}

/// One operation of the mixed workload.
pub struct OpSpec {
    /// Name used by `--ops` and in the report.
    pub name: &'static str,
    /// What it calls, for the report.
    pub about: &'static str,
    /// The article's comparable figure, if any.
    pub article: Option<Article>,
    /// Our p95 target in ms (issue 8), if one is set for this operation.
    pub target_p95_ms: Option<f64>,
    /// Needs a database with vectors.
    pub needs_vectors: bool,
    /// For a mix: the label of each variant (reported separately too); empty otherwise.
    pub variants: &'static [&'static str],
    /// One call.
    pub run: fn(&OpCtx, &mut Rng) -> Result<Out>,
}

/// Every operation the engine supports today, in report order.
pub fn all() -> Vec<OpSpec> {
    let mut ops = Vec::new();
    ops.extend(log::ops());
    ops.extend(scoped::ops());
    ops.extend(dsl::ops());
    ops.extend(graph::ops());
    ops.extend(search::ops());
    ops.extend(context::ops());
    ops.extend(log::writes());
    ops
}

/// Operations the harness is waiting for: named in the report as missing until the engine
/// exposes them (none today).
pub const PENDING: &[&str] = &[];
