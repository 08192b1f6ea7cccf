//! The query AST. It stays symbolic: relative ages (`7d`) are resolved only when a query is
//! planned or evaluated against a `now`, so a parsed query can be stored and re-run later.
//!
//! `Display` prints canonical DSL, and `parse(&e.to_string()) == Ok(e)` for every AST in normal
//! form (see [`Expr`]).

use std::fmt;

use super::time;

/// A query expression.
///
/// Normal form (what [`super::parse`] and the builder produce): every `And`/`Or` holds at least
/// two operands. An `And`/`Or` nested directly in an `And`/`Or` is printed in parentheses, so
/// the tree shape survives printing and parsing. An empty `And` means "everything" and an empty
/// `Or` "nothing" to the planner and evaluator; they have no text form.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// One field test.
    Pred(Pred),
    /// Negation (`NOT`).
    Not(Box<Expr>),
    /// Conjunction (`AND`) of the operands, in written order.
    And(Vec<Expr>),
    /// Disjunction (`OR`) of the operands, in written order.
    Or(Vec<Expr>),
}

/// One field test.
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    /// `created_before:…`, `updated_after:…`, ….
    Time {
        /// Which timestamp.
        field: TimeField,
        /// Before (`<`) or after (`>=`).
        side: Side,
        /// The reference time.
        at: TimeValue,
    },
    /// `pinned:true`, `archived:false`.
    Flag {
        /// Which flag.
        flag: Flag,
        /// The wanted value.
        value: bool,
    },
    /// `tag:…`, `user:…`, `session:…`, `agent:…`, `kind:…` (exact, case-sensitive match).
    Label {
        /// Which field.
        label: Label,
        /// The wanted value (any string, even empty).
        value: String,
    },
    /// `tier:working|short_term|long_term`.
    Tier(Tier),
    /// `importance>=0.5` and the other comparisons.
    Importance {
        /// The comparison.
        op: CmpOp,
        /// The right-hand side; must be finite to plan.
        value: f32,
    },
    /// `text:"phrase"`: lexical match of the memory's content (every term of the phrase).
    Text(String),
    /// `id:42`.
    Id(u64),
}

/// A timestamp field of a memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeField {
    /// When the memory was stored.
    Created,
    /// When it was last changed.
    Updated,
    /// When it was last returned to a caller (a never-read memory matches neither side).
    Accessed,
}

/// Which side of a reference time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Strictly before: `t < at`.
    Before,
    /// At or after: `t >= at`. Before and after partition the memories that have the field.
    After,
}

/// A reference time: absolute, or an age resolved as `now - age` at planning time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeValue {
    /// Microseconds since the Unix epoch (UTC).
    At(u64),
    /// `amount` units before `now` (saturating at the epoch).
    Ago(Age),
}

/// A relative age such as `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Age {
    /// How many units.
    pub amount: u64,
    /// The unit.
    pub unit: AgeUnit,
}

/// Units of a relative age. No months or years: their length varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgeUnit {
    /// `s`
    Seconds,
    /// `m`
    Minutes,
    /// `h`
    Hours,
    /// `d`
    Days,
    /// `w`
    Weeks,
}

/// A boolean field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// Pinned memories never decay and always enter the context.
    Pinned,
    /// Archived (consolidated away or decayed) memories.
    Archived,
}

/// A string field matched exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// One of the memory's tags.
    Tag,
    /// The user scope.
    User,
    /// The session scope.
    Session,
    /// The agent scope.
    Agent,
    /// The memory's kind (alias `type` in the DSL).
    Kind,
}

/// Memory tiers (the article's hierarchy). Which memories are in which tier depends on the
/// caller's current session and `now`; the index (or the memory view) decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Tier {
    /// The current session.
    Working,
    /// Recent, outside the current session.
    ShortTerm,
    /// Older (the default of a description that does not say).
    #[default]
    LongTerm,
}

/// A comparison operator of `importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=`
    Eq,
}

impl Age {
    /// Microseconds in one unit.
    pub fn unit_micros(unit: AgeUnit) -> u64 {
        const S: u64 = 1_000_000;
        match unit {
            AgeUnit::Seconds => S,
            AgeUnit::Minutes => 60 * S,
            AgeUnit::Hours => 3_600 * S,
            AgeUnit::Days => 86_400 * S,
            AgeUnit::Weeks => 7 * 86_400 * S,
        }
    }

    /// The age in microseconds, saturating.
    pub fn micros(self) -> u64 {
        self.amount.saturating_mul(Self::unit_micros(self.unit))
    }

    /// `n` days.
    pub fn days(n: u64) -> Self {
        Age {
            amount: n,
            unit: AgeUnit::Days,
        }
    }

    /// `n` hours.
    pub fn hours(n: u64) -> Self {
        Age {
            amount: n,
            unit: AgeUnit::Hours,
        }
    }

    /// `n` minutes.
    pub fn minutes(n: u64) -> Self {
        Age {
            amount: n,
            unit: AgeUnit::Minutes,
        }
    }

    /// `n` weeks.
    pub fn weeks(n: u64) -> Self {
        Age {
            amount: n,
            unit: AgeUnit::Weeks,
        }
    }

    /// `n` seconds.
    pub fn seconds(n: u64) -> Self {
        Age {
            amount: n,
            unit: AgeUnit::Seconds,
        }
    }
}

impl TimeValue {
    /// The absolute time this value stands for at `now` (µs).
    pub fn resolve(self, now: u64) -> u64 {
        match self {
            TimeValue::At(t) => t,
            TimeValue::Ago(age) => now.saturating_sub(age.micros()),
        }
    }
}

impl From<u64> for TimeValue {
    /// Absolute microseconds since the epoch.
    fn from(micros: u64) -> Self {
        TimeValue::At(micros)
    }
}

impl From<Age> for TimeValue {
    fn from(age: Age) -> Self {
        TimeValue::Ago(age)
    }
}

impl CmpOp {
    /// Does `lhs op rhs` hold? (false for NaN, as IEEE comparisons are).
    pub fn holds(self, lhs: f32, rhs: f32) -> bool {
        match self {
            CmpOp::Lt => lhs < rhs,
            CmpOp::Le => lhs <= rhs,
            CmpOp::Gt => lhs > rhs,
            CmpOp::Ge => lhs >= rhs,
            CmpOp::Eq => lhs == rhs,
        }
    }

    /// The operator's DSL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "=",
        }
    }
}

impl Label {
    /// The canonical field name.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Tag => "tag",
            Label::User => "user",
            Label::Session => "session",
            Label::Agent => "agent",
            Label::Kind => "kind",
        }
    }
}

impl Flag {
    /// The field name.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Pinned => "pinned",
            Flag::Archived => "archived",
        }
    }
}

impl TimeField {
    /// The field name's stem (`created`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TimeField::Created => "created",
            TimeField::Updated => "updated",
            TimeField::Accessed => "accessed",
        }
    }
}

impl Tier {
    /// The DSL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Working => "working",
            Tier::ShortTerm => "short_term",
            Tier::LongTerm => "long_term",
        }
    }

    /// Parses a tier name (`short-term` and `long-term` are accepted too).
    pub fn from_name(s: &str) -> Option<Tier> {
        match s.to_ascii_lowercase().as_str() {
            "working" => Some(Tier::Working),
            "short_term" | "short-term" => Some(Tier::ShortTerm),
            "long_term" | "long-term" => Some(Tier::LongTerm),
            _ => None,
        }
    }
}

impl Expr {
    /// `self AND other`; a chain of `and`s stays one flat `And`, as the parser builds it.
    pub fn and(self, other: Expr) -> Expr {
        match self {
            Expr::And(mut v) if !v.is_empty() => {
                v.push(other);
                Expr::And(v)
            }
            first => Expr::And(vec![first, other]),
        }
    }

    /// `self OR other`; a chain of `or`s stays one flat `Or`.
    pub fn or(self, other: Expr) -> Expr {
        match self {
            Expr::Or(mut v) if !v.is_empty() => {
                v.push(other);
                Expr::Or(v)
            }
            first => Expr::Or(vec![first, other]),
        }
    }

    /// `NOT self`.
    pub fn negate(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    /// Whether any predicate tests `archived`. The engine uses this to decide whether its
    /// default "live memories only" applies.
    pub fn mentions_archived(&self) -> bool {
        self.any_pred(|p| {
            matches!(
                p,
                Pred::Flag {
                    flag: Flag::Archived,
                    ..
                }
            )
        })
    }

    /// Whether the expression tests `tier:working` anywhere.
    pub fn mentions_working_tier(&self) -> bool {
        self.any_pred(|p| matches!(p, Pred::Tier(Tier::Working)))
    }

    /// Whether any predicate of the expression passes `f` (without recursion).
    fn any_pred(&self, f: impl Fn(&Pred) -> bool) -> bool {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Pred(p) if f(p) => return true,
                Expr::Pred(_) => {}
                Expr::Not(inner) => stack.push(inner),
                Expr::And(v) | Expr::Or(v) => stack.extend(v),
            }
        }
        false
    }

    /// Nesting depth (a lone predicate has depth 1), computed without recursion so that a
    /// hostile, deeply nested tree cannot overflow the stack here.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            max = max.max(d);
            match e {
                Expr::Pred(_) => {}
                Expr::Not(inner) => stack.push((inner, d + 1)),
                Expr::And(v) | Expr::Or(v) => stack.extend(v.iter().map(|c| (c, d + 1))),
            }
        }
        max
    }
}

impl std::ops::Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        self.negate()
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Pred(p) => fmt::Display::fmt(p, f),
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                write_operand(f, inner)
            }
            Expr::And(v) => write_list(f, v, " AND "),
            Expr::Or(v) => write_list(f, v, " OR "),
        }
    }
}

/// Writes the operands joined by `sep`. An `And`/`Or` operand is parenthesised: the parser
/// flattens unparenthesised chains, so this is what keeps nested shapes distinct.
fn write_list(f: &mut fmt::Formatter<'_>, v: &[Expr], sep: &str) -> fmt::Result {
    for (i, e) in v.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write_operand(f, e)?;
    }
    Ok(())
}

fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    match e {
        Expr::And(_) | Expr::Or(_) => write!(f, "({e})"),
        _ => fmt::Display::fmt(e, f),
    }
}

impl fmt::Display for Pred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pred::Time { field, side, at } => {
                let side = match side {
                    Side::Before => "before",
                    Side::After => "after",
                };
                write!(f, "{}_{side}:{at}", field.as_str())
            }
            Pred::Flag { flag, value } => write!(f, "{}:{value}", flag.as_str()),
            Pred::Label { label, value } => {
                write!(f, "{}:", label.as_str())?;
                write_value(f, value)
            }
            Pred::Tier(t) => write!(f, "tier:{}", t.as_str()),
            Pred::Importance { op, value } => write!(f, "importance{}{value}", op.as_str()),
            Pred::Text(phrase) => {
                f.write_str("text:")?;
                write_quoted(f, phrase)
            }
            Pred::Id(id) => write!(f, "id:{id}"),
        }
    }
}

impl fmt::Display for TimeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeValue::At(t) => f.write_str(&time::format(*t)),
            TimeValue::Ago(age) => write!(f, "{age}"),
        }
    }
}

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            AgeUnit::Seconds => 's',
            AgeUnit::Minutes => 'm',
            AgeUnit::Hours => 'h',
            AgeUnit::Days => 'd',
            AgeUnit::Weeks => 'w',
        };
        write!(f, "{}{unit}", self.amount)
    }
}

/// Characters printed without quotes. Deliberately narrow: anything else is quoted, so a
/// printed value can never be read back as an operator, a parenthesis or another field.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/' | '@' | '+' | '#')
}

/// Writes a string value bare when that is unambiguous, quoted otherwise.
fn write_value(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    if !s.is_empty() && s.chars().all(is_plain) {
        f.write_str(s)
    } else {
        write_quoted(f, s)
    }
}

/// Writes `s` as a quoted DSL string, escaping `"`, `\` and control characters.
pub(crate) fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}
