//! The query language: a small DSL, a typed builder and a planner over bitmap indexes.
//!
//! ```
//! use memspine::query::{parse, plan, MemoryFacts, MemoryIndex, Q, Age};
//! let now = 1_767_225_600_000_000; // 2026-01-01, µs
//! let q = parse("tag:billing AND NOT pinned:true AND created_after:7d").unwrap();
//! assert_eq!(q, Q::tag("billing").and(!Q::pinned(true)).and(Q::created_after(Age::days(7))));
//!
//! let facts = MemoryFacts { id: 1, created: now - 3_600_000_000, tags: vec!["billing".into()], ..Default::default() };
//! let index = MemoryIndex::build([facts]).unwrap();
//! let ids = plan(&q, now).unwrap().execute(&index).unwrap();
//! assert_eq!(ids.iter().collect::<Vec<_>>(), vec![1]);
//! ```
//!
//! The grammar is in [`parse`]'s module doc and in `docs/query.md`. The pieces:
//! [`parse`] (text → [`Expr`], positions in errors), [`Q`] (typed construction, injection-safe),
//! [`plan`] + [`Plan::execute`] (bitmap operations against any [`IndexAccess`]), and
//! [`eval_on`] (the same semantics, brute force, on one [`MemoryView`]). The module depends on
//! nothing else in the engine: the engine implements [`IndexAccess`] and [`MemoryView`].

mod ast;
mod builder;
mod error;
mod eval;
mod lex;
mod model;
mod parse;
mod plan;
mod time;

pub use ast::{Age, AgeUnit, CmpOp, Expr, Flag, Label, Pred, Side, Tier, TimeField, TimeValue};
pub use builder::Q;
pub use error::{PlanError, QueryError, QueryErrorKind};
pub use eval::{eval_on, lexical_terms, phrase_matches, MemoryFacts, MemoryView};
pub use model::MemoryIndex;
pub use parse::parse;
pub use plan::{plan, IndexAccess, Leaf, Plan};

/// Longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;
/// Deepest nesting of parentheses and `NOT`s accepted by the parser.
pub const MAX_NESTING: usize = 64;
/// Deepest expression tree the planner and evaluator accept. Parsed queries stay far below it
/// (each nesting level adds at most an `OR`, an `AND` and a `NOT` node); built ones are checked.
pub const MAX_EXPR_DEPTH: usize = 4 * MAX_NESTING + 2;
