//! The typed query builder: the DSL's full power without building strings.
//!
//! ```
//! use memspine::query::{parse, Age, Q};
//! let q = Q::tag("billing")
//!     .and(Q::user("alice"))
//!     .and(Q::not(Q::pinned(true)))
//!     .and(Q::created_before(Age::days(30)));
//! assert_eq!(q.to_string(), "tag:billing AND user:alice AND NOT pinned:true AND created_before:30d");
//! assert_eq!(parse(&q.to_string()).unwrap(), q);
//! ```
//!
//! # Why not format strings
//!
//! The reference article builds its query with an f-string,
//! `f"created_before:{thirty_days_ago.isoformat()} AND NOT pinned:true"`. That is safe only while
//! every spliced value is trusted and well-formed. As soon as an agent splices user-controlled
//! text — `f"user:{user_id} AND NOT pinned:true"` — a user id of `x OR archived:true` or
//! `alice) OR (tag:secret` rewrites the query: the same class of bug as SQL injection, here
//! leaking other users' memories into an agent's context. Quoting by hand is easy to get wrong
//! (escapes, keywords, parentheses).
//!
//! The builder never produces text to re-parse: each value goes straight into an AST leaf
//! ([`Pred`]), so a value is data, never syntax, whatever characters it holds. When a built query
//! is printed (`to_string`, for logs or the CLI), values are quoted and escaped so that the text
//! parses back to the same tree (tested by a property test).

use super::ast::{CmpOp, Expr, Flag, Label, Pred, Side, Tier, TimeField, TimeValue};

/// Constructors of query expressions; combine them with [`Expr::and`], [`Expr::or`] and
/// [`Q::not`] (or `!expr`).
#[derive(Debug, Clone, Copy)]
pub struct Q;

fn label(label: Label, value: impl Into<String>) -> Expr {
    Expr::Pred(Pred::Label {
        label,
        value: value.into(),
    })
}

fn time(field: TimeField, side: Side, at: impl Into<TimeValue>) -> Expr {
    Expr::Pred(Pred::Time {
        field,
        side,
        at: at.into(),
    })
}

impl Q {
    /// Memories carrying `tag`.
    pub fn tag(tag: impl Into<String>) -> Expr {
        label(Label::Tag, tag)
    }
    /// Memories of `user`.
    pub fn user(user: impl Into<String>) -> Expr {
        label(Label::User, user)
    }
    /// Memories of `session`.
    pub fn session(session: impl Into<String>) -> Expr {
        label(Label::Session, session)
    }
    /// Memories of `agent`.
    pub fn agent(agent: impl Into<String>) -> Expr {
        label(Label::Agent, agent)
    }
    /// Memories of `kind` (the DSL's `kind:`/`type:`).
    pub fn kind(kind: impl Into<String>) -> Expr {
        label(Label::Kind, kind)
    }
    /// Pinned (`true`) or unpinned (`false`) memories.
    pub fn pinned(value: bool) -> Expr {
        Expr::Pred(Pred::Flag {
            flag: Flag::Pinned,
            value,
        })
    }
    /// Archived (`true`) or live (`false`) memories.
    pub fn archived(value: bool) -> Expr {
        Expr::Pred(Pred::Flag {
            flag: Flag::Archived,
            value,
        })
    }
    /// Memories in `tier`.
    pub fn tier(tier: Tier) -> Expr {
        Expr::Pred(Pred::Tier(tier))
    }
    /// `importance <op> value`.
    pub fn importance(op: CmpOp, value: f32) -> Expr {
        Expr::Pred(Pred::Importance { op, value })
    }
    /// `importance >= value`.
    pub fn importance_at_least(value: f32) -> Expr {
        Q::importance(CmpOp::Ge, value)
    }
    /// `importance < value`.
    pub fn importance_below(value: f32) -> Expr {
        Q::importance(CmpOp::Lt, value)
    }
    /// Lexical match: memories containing every term of `phrase`.
    pub fn text(phrase: impl Into<String>) -> Expr {
        Expr::Pred(Pred::Text(phrase.into()))
    }
    /// The memory with this id.
    pub fn id(id: u64) -> Expr {
        Expr::Pred(Pred::Id(id))
    }
    /// Created strictly before `at` (µs since the epoch, or an [`super::Age`] before `now`).
    pub fn created_before(at: impl Into<TimeValue>) -> Expr {
        time(TimeField::Created, Side::Before, at)
    }
    /// Created at or after `at`.
    pub fn created_after(at: impl Into<TimeValue>) -> Expr {
        time(TimeField::Created, Side::After, at)
    }
    /// Last updated strictly before `at`.
    pub fn updated_before(at: impl Into<TimeValue>) -> Expr {
        time(TimeField::Updated, Side::Before, at)
    }
    /// Last updated at or after `at`.
    pub fn updated_after(at: impl Into<TimeValue>) -> Expr {
        time(TimeField::Updated, Side::After, at)
    }
    /// Last accessed strictly before `at` (never-accessed memories do not match).
    pub fn accessed_before(at: impl Into<TimeValue>) -> Expr {
        time(TimeField::Accessed, Side::Before, at)
    }
    /// Last accessed at or after `at` (never-accessed memories do not match).
    pub fn accessed_after(at: impl Into<TimeValue>) -> Expr {
        time(TimeField::Accessed, Side::After, at)
    }
    /// `NOT e`.
    pub fn not(e: Expr) -> Expr {
        e.negate()
    }
    /// All of `parts` (`AND`); `None` when there are none, as an empty `AND` has no text form.
    pub fn all(parts: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        parts.into_iter().reduce(Expr::and)
    }
    /// Any of `parts` (`OR`); `None` when there are none.
    pub fn any(parts: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        parts.into_iter().reduce(Expr::or)
    }
}
