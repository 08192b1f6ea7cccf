//! Errors of the query language: [`QueryError`] for text that does not parse (with its position),
//! [`PlanError`] for expressions (built or parsed) that cannot be planned.

use std::fmt;

/// What kind of problem a [`QueryError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// A field's value is well-formed text but not a valid value (a bad date, an unknown tier…).
    InvalidValue,
    /// The query is longer than [`super::MAX_QUERY_BYTES`].
    TooLong,
    /// Parentheses and `NOT`s nest deeper than [`super::MAX_NESTING`].
    TooDeep,
}

/// A query that did not parse: where, what was expected there and what was found.
///
/// `Display` prints one line of message, then the query (a window of it around the position)
/// with a caret under the offending character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The kind of problem.
    pub kind: QueryErrorKind,
    /// Byte offset into the query.
    pub position: usize,
    /// 1-based column in characters (what a user counts).
    pub column: usize,
    /// What the parser expected at that position.
    pub expected: String,
    /// What it found there.
    pub found: String,
    /// The part of the query shown under the message.
    snippet: String,
    /// Characters before the caret inside `snippet`.
    caret: usize,
}

/// Characters of context shown on each side of the error position.
const CONTEXT_CHARS: usize = 40;

impl QueryError {
    /// An error at byte `position` of `query` (clamped into the query, moved back to a
    /// character boundary).
    pub(crate) fn new(
        kind: QueryErrorKind,
        query: &str,
        position: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        let mut position = position.min(query.len());
        while !query.is_char_boundary(position) {
            position -= 1;
        }
        let before = query.get(..position).unwrap_or("");
        let column = before.chars().count() + 1;
        let (snippet, caret) = window(query, column - 1);
        QueryError {
            kind,
            position,
            column,
            expected: expected.into(),
            found: found.into(),
            snippet,
            caret,
        }
    }

    /// The one-line message, without the query and caret.
    pub fn message(&self) -> String {
        format!(
            "at column {} (byte {}): expected {}, found {}",
            self.column, self.position, self.expected, self.found
        )
    }
}

/// The characters of `query` around char index `at`, control characters shown as spaces so the
/// caret stays aligned; returns the snippet and the caret's column in it.
fn window(query: &str, at: usize) -> (String, usize) {
    let start = at.saturating_sub(CONTEXT_CHARS);
    let total = query.chars().count();
    let end = (at + CONTEXT_CHARS).min(total);
    let mut s = String::new();
    let mut caret = at - start;
    if start > 0 {
        s.push('…');
        caret += 1;
    }
    let body = query.chars().skip(start).take(end - start);
    s.extend(body.map(|c| if c.is_control() { ' ' } else { c }));
    if end < total {
        s.push('…');
    }
    (s, caret)
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid query {}", self.message())?;
        writeln!(f, "  {}", self.snippet)?;
        write!(f, "  {}^", " ".repeat(self.caret))
    }
}

impl std::error::Error for QueryError {}

/// An expression the planner (or the brute-force evaluator) refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The tree nests deeper than [`super::MAX_EXPR_DEPTH`] (possible only for built trees:
    /// parsed ones are bounded by [`super::MAX_NESTING`]).
    #[error("query nests {depth} levels deep; the limit is {max}")]
    TooDeep {
        /// The expression's depth.
        depth: usize,
        /// The limit.
        max: usize,
    },
    /// An importance bound is NaN or infinite.
    #[error("importance bound {value} is not a finite number")]
    NonFinite {
        /// The offending value.
        value: f32,
    },
}
