//! Brute-force evaluation of a query on one memory: the reference the planner is tested
//! against, and what the engine's `verify` can use to re-check a query's answer record by record.
//!
//! It reads the AST directly (comparisons written out, no bounds, no merging), so it shares no
//! code with the planner beyond [`validate`].

use super::ast::{Expr, Flag, Label, Pred, Side, Tier, TimeField};
use super::error::PlanError;
use super::plan::validate;

/// The fields of one memory that a query can test.
pub trait MemoryView {
    /// The memory's id.
    fn id(&self) -> u64;
    /// Creation time (µs).
    fn created(&self) -> u64;
    /// Last update time (µs).
    fn updated(&self) -> u64;
    /// Last access time (µs), `None` if never returned to a caller.
    fn accessed(&self) -> Option<u64>;
    /// Whether it is pinned.
    fn pinned(&self) -> bool;
    /// Whether it is archived.
    fn archived(&self) -> bool;
    /// Whether it carries `tag`.
    fn has_tag(&self, tag: &str) -> bool;
    /// User scope.
    fn user(&self) -> Option<&str>;
    /// Session scope.
    fn session(&self) -> Option<&str>;
    /// Agent scope.
    fn agent(&self) -> Option<&str>;
    /// Kind.
    fn kind(&self) -> &str;
    /// Its tier, as the caller resolves it (current session, `now`).
    fn tier(&self) -> Tier;
    /// Importance.
    fn importance(&self) -> f32;
    /// Whether the content matches `phrase` lexically, by the rule of the engine's `text:`
    /// ([`phrase_matches`]).
    fn text_matches(&self, phrase: &str) -> bool;
}

/// Whether `m` matches `expr` at `now` (µs). Errors only for what [`super::plan`] refuses too.
pub fn eval_on<M: MemoryView + ?Sized>(expr: &Expr, m: &M, now: u64) -> Result<bool, PlanError> {
    validate(expr)?;
    Ok(eval(expr, m, now))
}

/// Recursion is bounded by `validate`'s depth check.
fn eval<M: MemoryView + ?Sized>(expr: &Expr, m: &M, now: u64) -> bool {
    match expr {
        Expr::Pred(p) => pred(p, m, now),
        Expr::Not(inner) => !eval(inner, m, now),
        Expr::And(v) => v.iter().all(|e| eval(e, m, now)),
        Expr::Or(v) => v.iter().any(|e| eval(e, m, now)),
    }
}

fn pred<M: MemoryView + ?Sized>(p: &Pred, m: &M, now: u64) -> bool {
    match p {
        Pred::Time { field, side, at } => {
            let t = match field {
                TimeField::Created => Some(m.created()),
                TimeField::Updated => Some(m.updated()),
                TimeField::Accessed => m.accessed(),
            };
            let at = at.resolve(now);
            t.is_some_and(|t| match side {
                Side::Before => t < at,
                Side::After => t >= at,
            })
        }
        Pred::Flag {
            flag: Flag::Pinned,
            value,
        } => m.pinned() == *value,
        Pred::Flag {
            flag: Flag::Archived,
            value,
        } => m.archived() == *value,
        Pred::Label { label, value } => match label {
            Label::Tag => m.has_tag(value),
            Label::User => m.user() == Some(value.as_str()),
            Label::Session => m.session() == Some(value.as_str()),
            Label::Agent => m.agent() == Some(value.as_str()),
            Label::Kind => m.kind() == value,
        },
        Pred::Tier(t) => m.tier() == *t,
        Pred::Importance { op, value } => op.holds(m.importance(), *value),
        Pred::Text(phrase) => m.text_matches(phrase),
        Pred::Id(id) => m.id() == *id,
    }
}

/// A plain memory description implementing [`MemoryView`], for tests, benches and tools.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryFacts {
    /// Id (fits `u32` to be indexed).
    pub id: u64,
    /// Creation time (µs).
    pub created: u64,
    /// Last update (µs).
    pub updated: u64,
    /// Last access (µs).
    pub accessed: Option<u64>,
    /// Pinned.
    pub pinned: bool,
    /// Archived.
    pub archived: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// User scope.
    pub user: Option<String>,
    /// Session scope.
    pub session: Option<String>,
    /// Agent scope.
    pub agent: Option<String>,
    /// Kind.
    pub kind: String,
    /// Tier.
    pub tier: Tier,
    /// Importance.
    pub importance: f32,
    /// Content.
    pub text: String,
}

/// The terms the lexical index keeps of `text`: its tokenizer's (lowercased, stop words
/// dropped, stemmed), so `invoices` and `invoice` are one term and `the` none.
pub fn lexical_terms(text: &str) -> Vec<String> {
    memspine_index::lexical::tokenize(text)
}

/// Whether `text` matches the `text:` predicate's `phrase`, by the engine's rule: the phrase has
/// at least one term, every one of them is a term of `text`, and a phrase of several words
/// also occurs in `text` as written (compared in lowercase).
pub fn phrase_matches(text: &str, phrase: &str) -> bool {
    let words = lexical_terms(text);
    let terms = lexical_terms(phrase);
    !terms.is_empty()
        && terms.iter().all(|t| words.contains(t))
        && (phrase.split_whitespace().count() <= 1
            || text.to_lowercase().contains(&phrase.to_lowercase()))
}

impl MemoryFacts {
    /// The facts of a memory as the engine returns it, at `now` for the caller's current
    /// session (which defines its tier).
    pub fn of_memory(m: &crate::Memory, now: u64, current_session: Option<&str>) -> Self {
        let tier = match m.tier(now, current_session) {
            crate::Tier::Working => Tier::Working,
            crate::Tier::ShortTerm => Tier::ShortTerm,
            crate::Tier::LongTerm => Tier::LongTerm,
        };
        MemoryFacts {
            id: m.id.0,
            created: m.created_at,
            updated: m.updated_at,
            accessed: m.last_access,
            pinned: m.pinned,
            archived: m.archived,
            tags: m.tags.clone(),
            user: m.scope.user.clone(),
            session: m.scope.session.clone(),
            agent: m.scope.agent.clone(),
            kind: m.kind.clone(),
            tier,
            importance: m.importance,
            text: m.content.clone(),
        }
    }
}

impl MemoryView for MemoryFacts {
    fn id(&self) -> u64 {
        self.id
    }
    fn created(&self) -> u64 {
        self.created
    }
    fn updated(&self) -> u64 {
        self.updated
    }
    fn accessed(&self) -> Option<u64> {
        self.accessed
    }
    fn pinned(&self) -> bool {
        self.pinned
    }
    fn archived(&self) -> bool {
        self.archived
    }
    fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
    fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }
    fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }
    fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }
    fn kind(&self) -> &str {
        &self.kind
    }
    fn tier(&self) -> Tier {
        self.tier
    }
    fn importance(&self) -> f32 {
        self.importance
    }
    fn text_matches(&self, phrase: &str) -> bool {
        phrase_matches(&self.text, phrase)
    }
}
