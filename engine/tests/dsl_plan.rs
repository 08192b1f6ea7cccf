//! The planner's bitmap answer equals brute-force evaluation over random memories, and it runs
//! the operations it promises (cheapest first, short-circuit, subtraction for NOT, merged ranges).

mod dsl_support;

use std::cell::RefCell;
use std::convert::Infallible;
use std::ops::Bound;

use dsl_support::{BASE, HOUR, NOW};
use memspine::query::{
    eval_on, parse, plan, Age, Expr, Flag, IndexAccess, Label, Leaf, MemoryFacts, MemoryIndex,
    Tier, TimeField, Q,
};
use proptest::prelude::*;
use roaring::RoaringBitmap;

fn brute_force(e: &Expr, ms: &[MemoryFacts], now: u64) -> Vec<u32> {
    let mut ids: Vec<u32> = ms
        .iter()
        .filter(|m| eval_on(e, *m, now).expect("valid"))
        .map(|m| m.id as u32)
        .collect();
    ids.sort_unstable();
    ids
}

fn planned(e: &Expr, index: &MemoryIndex, now: u64) -> Vec<u32> {
    let Ok(bits) = plan(e, now).expect("plans").execute(index);
    bits.iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(800))]

    /// Model-based: the planner over the in-memory index agrees with eval_on on every memory.
    #[test]
    fn planner_equals_brute_force(
        ms in dsl_support::memories(),
        e in dsl_support::tree(dsl_support::narrow_pred().boxed()),
    ) {
        let index = MemoryIndex::build(ms.clone()).expect("distinct u32 ids");
        prop_assert_eq!(planned(&e, &index, NOW), brute_force(&e, &ms, NOW), "query: {}", e);
    }

    /// The same through the text form: parse(print(e)) answers like e.
    #[test]
    fn printed_query_answers_the_same(
        ms in dsl_support::memories(),
        e in dsl_support::tree(dsl_support::narrow_pred().boxed()),
    ) {
        let index = MemoryIndex::build(ms).expect("distinct u32 ids");
        let reparsed = parse(&e.to_string()).expect("printed queries parse");
        prop_assert_eq!(planned(&reparsed, &index, NOW), planned(&e, &index, NOW));
    }
}

fn facts(id: u64, created: u64, tags: &[&str], pinned: bool) -> MemoryFacts {
    MemoryFacts {
        id,
        created,
        updated: created,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        pinned,
        user: Some(if id.is_multiple_of(2) { "alice" } else { "bob" }.into()),
        kind: "fact".into(),
        importance: id as f32 / 10.0,
        text: format!("memory number {id} about green tea"),
        ..Default::default()
    }
}

fn sample() -> Vec<MemoryFacts> {
    (1..=10)
        .map(|i| {
            facts(
                i,
                BASE + i * 24 * HOUR,
                if i.is_multiple_of(3) {
                    &["billing"]
                } else {
                    &["chat"]
                },
                i == 6,
            )
        })
        .collect()
}

#[test]
fn worked_examples() {
    let ms = sample();
    let index = MemoryIndex::build(ms.clone()).expect("index");
    let now = BASE + 11 * 24 * HOUR;
    let cases: &[(&str, &[u32])] = &[
        ("tag:billing", &[3, 6, 9]),
        ("tag:billing AND NOT pinned:true", &[3, 9]),
        ("tag:billing AND user:alice", &[6]),
        ("created_after:3d", &[8, 9, 10]),
        ("created_before:2026-01-03", &[1]),
        (
            "created_after:2026-01-03 AND created_before:2026-01-05",
            &[2, 3],
        ),
        ("importance>=0.5 AND importance<0.7", &[5, 6]),
        ("text:\"GREEN tea\" AND id:4", &[4]),
        ("text:coffee", &[]),
        ("id:11 OR id:1", &[1]),
        ("NOT tag:chat", &[3, 6, 9]),
        ("accessed_after:@0", &[]),
        ("NOT accessed_after:@0 AND id:2", &[2]),
        ("tier:long_term AND kind:fact AND id:7", &[7]),
    ];
    for (q, want) in cases {
        let e = parse(q).expect(q);
        assert_eq!(planned(&e, &index, now), want.to_vec(), "{q}");
        assert_eq!(brute_force(&e, &ms, now), want.to_vec(), "{q}");
    }
}

/// An index that records every call, to check what the executor asks for.
struct Recorder {
    inner: MemoryIndex,
    calls: RefCell<Vec<String>>,
}

impl Recorder {
    fn new() -> Self {
        Recorder {
            inner: MemoryIndex::build(sample()).expect("index"),
            calls: RefCell::default(),
        }
    }
    fn log(&self, s: String) {
        self.calls.borrow_mut().push(s);
    }
    fn run(&self, q: &str, now: u64) -> (Vec<u32>, Vec<String>) {
        self.calls.borrow_mut().clear();
        let Ok(bits) = plan(&parse(q).expect(q), now).expect("plan").execute(self);
        (bits.iter().collect(), self.calls.borrow().clone())
    }
}

impl IndexAccess for Recorder {
    type Error = Infallible;
    fn universe(&self) -> Result<RoaringBitmap, Infallible> {
        self.log("universe".into());
        self.inner.universe()
    }
    fn label(&self, l: Label, v: &str) -> Result<RoaringBitmap, Infallible> {
        self.log(format!("{}={v}", l.as_str()));
        self.inner.label(l, v)
    }
    fn flag(&self, f: Flag) -> Result<RoaringBitmap, Infallible> {
        self.log(f.as_str().into());
        self.inner.flag(f)
    }
    fn tier(&self, t: Tier) -> Result<RoaringBitmap, Infallible> {
        self.log(t.as_str().into());
        self.inner.tier(t)
    }
    fn time_range(
        &self,
        f: TimeField,
        lo: Bound<u64>,
        hi: Bound<u64>,
    ) -> Result<RoaringBitmap, Infallible> {
        self.log(format!("{} {lo:?} {hi:?}", f.as_str()));
        self.inner.time_range(f, lo, hi)
    }
    fn importance_range(
        &self,
        lo: Bound<f32>,
        hi: Bound<f32>,
    ) -> Result<RoaringBitmap, Infallible> {
        self.log(format!("importance {lo:?} {hi:?}"));
        self.inner.importance_range(lo, hi)
    }
    fn text(&self, p: &str) -> Result<RoaringBitmap, Infallible> {
        self.log(format!("text {p}"));
        self.inner.text(p)
    }
    fn id(&self, id: u64) -> Result<RoaringBitmap, Infallible> {
        self.log(format!("id {id}"));
        self.inner.id(id)
    }
    fn filter(&self, leaf: &Leaf, c: &RoaringBitmap) -> Result<RoaringBitmap, Infallible> {
        self.log(format!("filter {leaf} within {}", c.len()));
        self.inner.filter(leaf, c)
    }
}

#[test]
fn and_runs_cheapest_first_and_stops_when_empty() {
    let r = Recorder::new();
    let (ids, calls) = r.run("importance>=0.1 AND tag:nope AND text:tea", 0);
    assert!(ids.is_empty());
    assert_eq!(
        calls,
        vec!["tag=nope"],
        "the bitmap read runs first and ends the AND"
    );
}

#[test]
fn not_inside_and_subtracts_without_the_universe() {
    let r = Recorder::new();
    let (ids, calls) = r.run("NOT pinned:true AND tag:billing", 0);
    assert_eq!(ids, vec![3, 9]);
    assert!(!calls.contains(&"universe".to_string()), "{calls:?}");
    assert_eq!(calls[0], "tag=billing");
    assert!(calls[1].starts_with("filter pinned within 3"), "{calls:?}");
}

#[test]
fn lone_not_reads_the_universe_once() {
    let r = Recorder::new();
    let (ids, calls) = r.run("NOT tag:chat OR NOT pinned:true", 0);
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    assert_eq!(
        calls.iter().filter(|c| *c == "universe").count(),
        1,
        "{calls:?}"
    );
}

#[test]
fn ranges_of_one_field_merge_into_one_read() {
    let r = Recorder::new();
    let now = BASE + 11 * 24 * HOUR;
    let (ids, calls) = r.run(
        "created_after:5d AND created_before:2d AND created_before:3d",
        now,
    );
    assert_eq!(ids, vec![6, 7]);
    let reads: Vec<_> = calls.iter().filter(|c| c.starts_with("created")).collect();
    assert_eq!(reads.len(), 1, "{calls:?}");
    // An empty merged range is answered without the index.
    let (ids, calls) = r.run("importance>0.5 AND importance<0.5", now);
    assert!(ids.is_empty() && calls.is_empty(), "{calls:?}");
}

#[test]
fn scans_get_the_candidates() {
    let r = Recorder::new();
    let (ids, calls) = r.run("user:alice AND tag:billing AND importance>0.5", 0);
    assert_eq!(ids, vec![6]);
    assert_eq!(
        calls.last().map(String::as_str),
        Some("filter importance(0.5, ..) within 1")
    );
}

#[test]
fn or_stops_once_it_holds_every_candidate() {
    let r = Recorder::new();
    let (_, calls) = r.run("tag:billing AND (id:3 OR id:6 OR id:9 OR text:tea)", 0);
    assert!(!calls.iter().any(|c| c.contains("text")), "{calls:?}");
}

#[test]
fn plan_display_explains() {
    let e = Q::tag("billing")
        .and(Q::not(Q::pinned(false)))
        .and(Q::created_after(Age::days(1)))
        .and(Q::created_before(BASE));
    let p = plan(&e, BASE + 48 * HOUR).expect("plan");
    assert_eq!(
        p.to_string(),
        "and(tag=\"billing\", pinned, created[2026-01-02, 2026-01-01))"
    );
}
