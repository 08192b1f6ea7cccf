//! The planner: an [`Expr`] becomes a tree of bitmap operations over an [`IndexAccess`].
//!
//! Planning ([`plan`]) resolves ages against `now`, turns every predicate into a [`Leaf`] with
//! explicit bounds, removes double negations, flattens nested `AND`/`OR`, and merges the ranges
//! of one field inside an `AND` (`created_after:30d AND created_before:7d` is one range read).
//! Execution ([`Plan::execute`]) then runs the tree:
//!
//! - `AND` evaluates its operands cheapest first ([`IndexAccess::cost`]) and hands the running
//!   intersection to the next one as its candidates ([`IndexAccess::filter`]), so an index
//!   without a structure for a field can check a few candidates instead of scanning; it stops at
//!   the first empty intersection. Negated operands run last as subtractions: `A AND NOT B` is
//!   `A − B`, no universe needed.
//! - `OR` unions its operands and stops once it holds every candidate.
//! - a lone `NOT x` is `universe − x` (or `candidates − x`).

use std::fmt;
use std::ops::Bound;

use roaring::RoaringBitmap;

use super::ast::{CmpOp, Expr, Flag, Label, Pred, Side, Tier, TimeField};
use super::error::PlanError;
use super::{time, MAX_EXPR_DEPTH};

/// One index read: a predicate with its values resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    /// Memories whose `label` field equals the value (for tags: that carry the tag).
    Label(Label, String),
    /// Memories with the flag set (a `false` test is planned as `NOT`).
    Flag(Flag),
    /// Memories in the tier.
    Tier(Tier),
    /// Memories whose timestamp lies in the range (never-accessed ones have no access time).
    Time(TimeField, Bound<u64>, Bound<u64>),
    /// Memories whose importance lies in the range.
    Importance(Bound<f32>, Bound<f32>),
    /// Memories matching the phrase lexically.
    Text(String),
    /// The memory with this id, if it exists.
    Id(u64),
}

/// What the index can answer. Every set returned must be a subset of [`IndexAccess::universe`];
/// ranges passed in are never empty or inverted (the planner answers those itself).
pub trait IndexAccess {
    /// The index's error type, passed through unchanged.
    type Error;

    /// Every memory a query may return (the engine decides, e.g. live ones only).
    fn universe(&self) -> Result<RoaringBitmap, Self::Error>;
    /// Memories whose `label` field equals `value`.
    fn label(&self, label: Label, value: &str) -> Result<RoaringBitmap, Self::Error>;
    /// Memories with `flag` set.
    fn flag(&self, flag: Flag) -> Result<RoaringBitmap, Self::Error>;
    /// Memories in `tier`.
    fn tier(&self, tier: Tier) -> Result<RoaringBitmap, Self::Error>;
    /// Memories whose `field` time (µs) lies within the bounds.
    fn time_range(
        &self,
        field: TimeField,
        lo: Bound<u64>,
        hi: Bound<u64>,
    ) -> Result<RoaringBitmap, Self::Error>;
    /// Memories whose importance lies within the bounds (finite values only).
    fn importance_range(
        &self,
        lo: Bound<f32>,
        hi: Bound<f32>,
    ) -> Result<RoaringBitmap, Self::Error>;
    /// Memories matching `phrase` lexically.
    fn text(&self, phrase: &str) -> Result<RoaringBitmap, Self::Error>;
    /// `{id}` if that memory exists in the universe, else empty.
    fn id(&self, id: u64) -> Result<RoaringBitmap, Self::Error>;

    /// The full set of one leaf (dispatches to the methods above).
    fn fetch(&self, leaf: &Leaf) -> Result<RoaringBitmap, Self::Error> {
        match leaf {
            Leaf::Label(l, v) => self.label(*l, v),
            Leaf::Flag(f) => self.flag(*f),
            Leaf::Tier(t) => self.tier(*t),
            Leaf::Time(f, lo, hi) => self.time_range(*f, *lo, *hi),
            Leaf::Importance(lo, hi) => self.importance_range(*lo, *hi),
            Leaf::Text(p) => self.text(p),
            Leaf::Id(id) => self.id(*id),
        }
    }

    /// The members of `candidates` that match `leaf`; must return a subset of `candidates`.
    /// Override for fields without an index structure: checking a few candidates' records
    /// beats a full scan.
    fn filter(
        &self,
        leaf: &Leaf,
        candidates: &RoaringBitmap,
    ) -> Result<RoaringBitmap, Self::Error> {
        Ok(self.fetch(leaf)? & candidates)
    }

    /// Relative cost of reading `leaf`, used to order an `AND` (lower runs first). The default
    /// assumes bitmaps for ids, flags, labels and tiers, an ordered index for `created`, postings
    /// for text, and scans for the rest.
    fn cost(&self, leaf: &Leaf) -> u32 {
        match leaf {
            Leaf::Id(_) => 1,
            Leaf::Flag(_) | Leaf::Label(..) | Leaf::Tier(_) => 2,
            Leaf::Time(TimeField::Created, ..) => 3,
            Leaf::Text(_) => 4,
            Leaf::Time(..) | Leaf::Importance(..) => 8,
        }
    }
}

/// A planned query, ready to run against any [`IndexAccess`]. `Display` shows the plan (for
/// `--explain`).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Leaf(Leaf),
    Not(Box<Node>),
    /// Empty: everything.
    And(Vec<Node>),
    /// Empty: nothing.
    Or(Vec<Node>),
}

/// Plans `expr` with relative ages resolved against `now` (µs). Refuses trees deeper than
/// [`MAX_EXPR_DEPTH`] and non-finite importance bounds.
pub fn plan(expr: &Expr, now: u64) -> Result<Plan, PlanError> {
    validate(expr)?;
    Ok(Plan {
        root: lower(expr, now),
    })
}

/// Checks what both the planner and the brute-force evaluator rely on: bounded depth (checked
/// without recursion) and finite importance values.
pub(crate) fn validate(expr: &Expr) -> Result<(), PlanError> {
    let depth = expr.depth();
    if depth > MAX_EXPR_DEPTH {
        return Err(PlanError::TooDeep {
            depth,
            max: MAX_EXPR_DEPTH,
        });
    }
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Pred(Pred::Importance { value, .. }) if !value.is_finite() => {
                return Err(PlanError::NonFinite { value: *value });
            }
            Expr::Pred(_) => {}
            Expr::Not(inner) => stack.push(inner),
            Expr::And(v) | Expr::Or(v) => stack.extend(v),
        }
    }
    Ok(())
}

fn lower(expr: &Expr, now: u64) -> Node {
    match expr {
        Expr::Pred(p) => lower_pred(p, now),
        Expr::Not(inner) => negate(lower(inner, now)),
        Expr::And(v) => {
            let mut kids = flatten(v, now, |n| matches!(n, Node::And(_)));
            merge_ranges(&mut kids);
            unwrap_single(kids, Node::And)
        }
        Expr::Or(v) => unwrap_single(flatten(v, now, |n| matches!(n, Node::Or(_))), Node::Or),
    }
}

fn negate(n: Node) -> Node {
    match n {
        Node::Not(inner) => *inner,
        other => Node::Not(Box::new(other)),
    }
}

/// Lowers the operands, splicing in those of the same operator.
fn flatten(v: &[Expr], now: u64, same: fn(&Node) -> bool) -> Vec<Node> {
    let mut out = Vec::with_capacity(v.len());
    for e in v {
        match lower(e, now) {
            n @ (Node::And(_) | Node::Or(_)) if same(&n) => match n {
                Node::And(kids) | Node::Or(kids) => out.extend(kids),
                other => out.push(other),
            },
            n => out.push(n),
        }
    }
    out
}

fn unwrap_single(mut v: Vec<Node>, wrap: fn(Vec<Node>) -> Node) -> Node {
    if v.len() == 1 {
        if let Some(n) = v.pop() {
            return n;
        }
    }
    wrap(v)
}

fn lower_pred(p: &Pred, now: u64) -> Node {
    let leaf = match p {
        Pred::Time { field, side, at } => {
            let t = at.resolve(now);
            match side {
                Side::Before => Leaf::Time(*field, Bound::Unbounded, Bound::Excluded(t)),
                Side::After => Leaf::Time(*field, Bound::Included(t), Bound::Unbounded),
            }
        }
        Pred::Flag { flag, value } => {
            let n = Node::Leaf(Leaf::Flag(*flag));
            return if *value { n } else { negate(n) };
        }
        Pred::Label { label, value } => Leaf::Label(*label, value.clone()),
        Pred::Tier(t) => Leaf::Tier(*t),
        Pred::Importance { op, value } => {
            let (lo, hi) = cmp_bounds(*op, *value);
            Leaf::Importance(lo, hi)
        }
        Pred::Text(s) => Leaf::Text(s.clone()),
        Pred::Id(id) => Leaf::Id(*id),
    };
    Node::Leaf(leaf)
}

fn cmp_bounds(op: CmpOp, v: f32) -> (Bound<f32>, Bound<f32>) {
    use Bound::{Excluded as X, Included as I, Unbounded as U};
    match op {
        CmpOp::Lt => (U, X(v)),
        CmpOp::Le => (U, I(v)),
        CmpOp::Gt => (X(v), U),
        CmpOp::Ge => (I(v), U),
        CmpOp::Eq => (I(v), I(v)),
    }
}

/// Inside one `AND`, intersects all ranges of the same time field, and all importance ranges,
/// into the first leaf of each.
fn merge_ranges(kids: &mut Vec<Node>) {
    let mut out: Vec<Node> = Vec::with_capacity(kids.len());
    for n in kids.drain(..) {
        let merged = out.iter_mut().any(|prev| merge_into(prev, &n));
        if !merged {
            out.push(n);
        }
    }
    *kids = out;
}

fn merge_into(prev: &mut Node, n: &Node) -> bool {
    match (prev, n) {
        (Node::Leaf(Leaf::Time(f, lo, hi)), Node::Leaf(Leaf::Time(g, lo2, hi2))) if f == g => {
            *lo = tighter(*lo, *lo2, true);
            *hi = tighter(*hi, *hi2, false);
            true
        }
        (Node::Leaf(Leaf::Importance(lo, hi)), Node::Leaf(Leaf::Importance(lo2, hi2))) => {
            *lo = tighter(*lo, *lo2, true);
            *hi = tighter(*hi, *hi2, false);
            true
        }
        _ => false,
    }
}

/// The more restrictive of two lower (`is_lo`) or upper bounds.
fn tighter<T: PartialOrd + Copy>(a: Bound<T>, b: Bound<T>, is_lo: bool) -> Bound<T> {
    use Bound::{Excluded as X, Included as I, Unbounded as U};
    let (va, vb) = match (a, b) {
        (U, x) | (x, U) => return x,
        (I(x) | X(x), I(y) | X(y)) => (x, y),
    };
    let a_wins = if is_lo { va > vb } else { va < vb };
    if a_wins {
        a
    } else if va == vb {
        // Same value: the exclusive bound is the tighter one.
        if matches!(a, X(_)) {
            a
        } else {
            b
        }
    } else {
        b
    }
}

/// Whether no value can lie within `lo..hi`.
fn range_is_empty<T: PartialOrd>(lo: &Bound<T>, hi: &Bound<T>) -> bool {
    use Bound::{Excluded as X, Included as I};
    match (lo, hi) {
        (I(a), I(b)) => a > b,
        (I(a), X(b)) | (X(a), I(b)) | (X(a), X(b)) => a >= b,
        _ => false,
    }
}

impl Leaf {
    /// Whether the planner can tell, without the index, that nothing matches.
    fn is_void(&self) -> bool {
        match self {
            Leaf::Time(_, lo, hi) => range_is_empty(lo, hi),
            Leaf::Importance(lo, hi) => range_is_empty(lo, hi),
            _ => false,
        }
    }
}

impl Plan {
    /// Runs the plan: the ids of the matching memories.
    pub fn execute<I: IndexAccess + ?Sized>(&self, index: &I) -> Result<RoaringBitmap, I::Error> {
        Exec {
            index,
            universe: None,
        }
        .eval(&self.root, None)
    }
}

/// One execution; caches the universe, which several `NOT`s may need.
struct Exec<'i, I: ?Sized> {
    index: &'i I,
    universe: Option<RoaringBitmap>,
}

impl<I: IndexAccess + ?Sized> Exec<'_, I> {
    fn universe(&mut self) -> Result<RoaringBitmap, I::Error> {
        if let Some(u) = &self.universe {
            return Ok(u.clone());
        }
        let u = self.index.universe()?;
        self.universe = Some(u.clone());
        Ok(u)
    }

    /// The matches of `node`, restricted to `within` when given.
    fn eval(
        &mut self,
        node: &Node,
        within: Option<&RoaringBitmap>,
    ) -> Result<RoaringBitmap, I::Error> {
        match node {
            Node::Leaf(leaf) if leaf.is_void() => Ok(RoaringBitmap::new()),
            Node::Leaf(leaf) => match within {
                None => self.index.fetch(leaf),
                Some(w) => self.index.filter(leaf, w),
            },
            Node::Not(inner) => {
                let base = self.base(within)?;
                let sub = self.eval(inner, Some(&base))?;
                Ok(base - sub)
            }
            Node::And(kids) => self.and(kids, within),
            Node::Or(kids) => self.or(kids, within),
        }
    }

    fn base(&mut self, within: Option<&RoaringBitmap>) -> Result<RoaringBitmap, I::Error> {
        match within {
            Some(w) => Ok(w.clone()),
            None => self.universe(),
        }
    }

    fn and(
        &mut self,
        kids: &[Node],
        within: Option<&RoaringBitmap>,
    ) -> Result<RoaringBitmap, I::Error> {
        let mut order: Vec<(bool, u32, &Node)> = kids
            .iter()
            .map(|k| (matches!(k, Node::Not(_)), self.cost(k), k))
            .collect();
        order.sort_by_key(|&(negated, cost, _)| (negated, cost));
        let mut acc = within.cloned();
        for (_, _, kid) in order {
            let next = match (kid, acc.take()) {
                (Node::Not(inner), a) => {
                    let base = match a {
                        Some(a) => a,
                        None => self.universe()?,
                    };
                    let sub = self.eval(inner, Some(&base))?;
                    base - sub
                }
                (kid, a) => self.eval(kid, a.as_ref())?,
            };
            if next.is_empty() {
                return Ok(next);
            }
            acc = Some(next);
        }
        match acc {
            Some(a) => Ok(a),
            None => self.universe(),
        }
    }

    fn or(
        &mut self,
        kids: &[Node],
        within: Option<&RoaringBitmap>,
    ) -> Result<RoaringBitmap, I::Error> {
        let mut out = RoaringBitmap::new();
        for kid in kids {
            out |= self.eval(kid, within)?;
            if within.is_some_and(|w| out.len() >= w.len()) {
                break;
            }
        }
        Ok(out)
    }

    /// An operand's cost: its leaf's, the cheapest operand's for an `AND` (it narrows the rest),
    /// the dearest's for an `OR`.
    fn cost(&self, node: &Node) -> u32 {
        match node {
            Node::Leaf(l) => self.index.cost(l),
            Node::Not(inner) => self.cost(inner),
            Node::And(k) => k.iter().map(|n| self.cost(n)).min().unwrap_or(0),
            Node::Or(k) => k.iter().map(|n| self.cost(n)).max().unwrap_or(0),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, kids) = match self {
            Node::Leaf(l) => return l.fmt(f),
            Node::Not(inner) => return write!(f, "not({inner})"),
            Node::And(k) => ("and", k),
            Node::Or(k) => ("or", k),
        };
        write!(f, "{name}(")?;
        for (i, k) in kids.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            k.fmt(f)?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Leaf::Label(l, v) => write!(f, "{}={v:?}", l.as_str()),
            Leaf::Flag(fl) => f.write_str(fl.as_str()),
            Leaf::Tier(t) => write!(f, "tier={}", t.as_str()),
            Leaf::Time(field, lo, hi) => {
                write!(f, "{}", field.as_str())?;
                write_range(f, lo.map(time::format), hi.map(time::format))
            }
            Leaf::Importance(lo, hi) => {
                f.write_str("importance")?;
                write_range(f, lo.map(|v| v.to_string()), hi.map(|v| v.to_string()))
            }
            Leaf::Text(p) => write!(f, "text~{p:?}"),
            Leaf::Id(id) => write!(f, "id={id}"),
        }
    }
}

/// Writes a range as `[a, b)`, `(.., b]`, ….
fn write_range(f: &mut fmt::Formatter<'_>, lo: Bound<String>, hi: Bound<String>) -> fmt::Result {
    match lo {
        Bound::Included(v) => write!(f, "[{v}, ")?,
        Bound::Excluded(v) => write!(f, "({v}, ")?,
        Bound::Unbounded => f.write_str("(.., ")?,
    }
    match hi {
        Bound::Included(v) => write!(f, "{v}]"),
        Bound::Excluded(v) => write!(f, "{v})"),
        Bound::Unbounded => f.write_str("..)"),
    }
}
