//! Strategies shared by the DSL tests: random ASTs (wide values, for printing), and random
//! memories with queries over a narrow domain (so that predicates hit and boundaries coincide).
#![allow(dead_code)]

use memspine::query::{
    Age, AgeUnit, CmpOp, Expr, Flag, Label, MemoryFacts, Pred, Side, Tier, TimeField, TimeValue,
};
use proptest::prelude::*;

/// One hour in µs.
pub const HOUR: u64 = 3_600_000_000;
/// Start of the narrow time domain (2026-01-01).
pub const BASE: u64 = 1_767_225_600_000_000;
/// `now` of the narrow domain: 240 hours after `BASE`.
pub const NOW: u64 = BASE + 240 * HOUR;

fn label() -> impl Strategy<Value = Label> {
    prop_oneof![
        Just(Label::Tag),
        Just(Label::User),
        Just(Label::Session),
        Just(Label::Agent),
        Just(Label::Kind)
    ]
}

fn tier() -> impl Strategy<Value = Tier> {
    prop_oneof![
        Just(Tier::Working),
        Just(Tier::ShortTerm),
        Just(Tier::LongTerm)
    ]
}

fn time_field() -> impl Strategy<Value = TimeField> {
    prop_oneof![
        Just(TimeField::Created),
        Just(TimeField::Updated),
        Just(TimeField::Accessed)
    ]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Before), Just(Side::After)]
}

fn cmp() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge),
        Just(CmpOp::Eq)
    ]
}

fn unit() -> impl Strategy<Value = AgeUnit> {
    prop_oneof![
        Just(AgeUnit::Seconds),
        Just(AgeUnit::Minutes),
        Just(AgeUnit::Hours),
        Just(AgeUnit::Days),
        Just(AgeUnit::Weeks)
    ]
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![Just(Flag::Pinned), Just(Flag::Archived)]
}

/// Any string, biased towards the characters that matter to the lexer.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z:()\" \\\\\n\tANDORNOT<>=@é\u{0}-]{0,12}",
        Just(String::new()),
        Just("x OR archived:true".to_string()),
        Just("alice) OR (tag:secret".to_string()),
    ]
}

/// Predicates with values from their whole domain.
pub fn wide_pred() -> impl Strategy<Value = Pred> {
    let time_value = prop_oneof![
        any::<u64>().prop_map(TimeValue::At),
        (0u64..4_000_000_000_000_000_000).prop_map(TimeValue::At),
        (any::<u64>(), unit()).prop_map(|(amount, unit)| TimeValue::Ago(Age { amount, unit })),
    ];
    let finite = any::<f32>().prop_filter("finite", |v| v.is_finite());
    prop_oneof![
        (time_field(), side(), time_value).prop_map(|(field, side, at)| Pred::Time {
            field,
            side,
            at
        }),
        (flag(), any::<bool>()).prop_map(|(flag, value)| Pred::Flag { flag, value }),
        (label(), nasty_string()).prop_map(|(label, value)| Pred::Label { label, value }),
        tier().prop_map(Pred::Tier),
        (cmp(), finite).prop_map(|(op, value)| Pred::Importance { op, value }),
        nasty_string().prop_map(Pred::Text),
        any::<u64>().prop_map(Pred::Id),
    ]
}

/// Trees in normal form (every AND/OR with 2+ operands) over `leaf`.
pub fn tree(leaf: BoxedStrategy<Pred>) -> impl Strategy<Value = Expr> {
    leaf.prop_map(Expr::Pred).prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

const WORDS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "zeta"];
const IMPORTANCE: [f32; 6] = [0.0, -0.0, 0.25, 0.5, 0.75, 1.0];

fn small_time() -> impl Strategy<Value = u64> {
    (0u64..=240).prop_map(|h| BASE + h * HOUR)
}

/// Predicates over the narrow domain the random memories use.
pub fn narrow_pred() -> impl Strategy<Value = Pred> {
    let time_value = prop_oneof![
        small_time().prop_map(TimeValue::At),
        (0u64..=250).prop_map(|h| TimeValue::Ago(Age::hours(h))),
        (0u64..=11).prop_map(|d| TimeValue::Ago(Age::days(d))),
    ];
    let label_value = prop_oneof![
        (Just(Label::Tag), "[abc]"),
        (Just(Label::User), "u[12]"),
        (Just(Label::Session), "s[12]"),
        (Just(Label::Agent), "g[12]"),
        (Just(Label::Kind), "fact|note"),
    ];
    let phrase =
        prop::collection::vec(prop::sample::select(&WORDS[..]), 0..3).prop_map(|w| w.join(" "));
    prop_oneof![
        (time_field(), side(), time_value).prop_map(|(field, side, at)| Pred::Time {
            field,
            side,
            at
        }),
        (flag(), any::<bool>()).prop_map(|(flag, value)| Pred::Flag { flag, value }),
        label_value.prop_map(|(label, value)| Pred::Label { label, value }),
        tier().prop_map(Pred::Tier),
        (cmp(), prop::sample::select(&IMPORTANCE[..]))
            .prop_map(|(op, value)| Pred::Importance { op, value }),
        phrase.prop_map(Pred::Text),
        (0u64..64).prop_map(Pred::Id),
    ]
}

fn opt(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
    prop::option::of(s)
}

fn memory(id: u64) -> impl Strategy<Value = MemoryFacts> {
    let words =
        prop::collection::vec(prop::sample::select(&WORDS[..4]), 0..4).prop_map(|w| w.join(" "));
    let tags = prop::collection::btree_set("[abc]", 0..3).prop_map(|t| t.into_iter().collect());
    let scopes = (
        opt("u[12]".boxed()),
        opt("s[12]".boxed()),
        opt("g[12]".boxed()),
        "fact|note",
    );
    let flags = (
        any::<bool>(),
        any::<bool>(),
        tier(),
        prop::sample::select(&IMPORTANCE[..]),
    );
    let times = (small_time(), small_time(), prop::option::of(small_time()));
    (scopes, flags, times, tags, words).prop_map(
        move |(
            (user, session, agent, kind),
            (pinned, archived, tier, importance),
            (created, updated, accessed),
            tags,
            text,
        )| {
            MemoryFacts {
                id,
                created,
                updated,
                accessed,
                pinned,
                archived,
                tags,
                user,
                session,
                agent,
                kind,
                tier,
                importance,
                text,
            }
        },
    )
}

/// Up to 48 memories with distinct ids in 1..64. With `monotone`, creation times increase with
/// the id, as memspine allocates them (this exercises the model's id-range path).
pub fn memories() -> impl Strategy<Value = Vec<MemoryFacts>> {
    (prop::collection::btree_set(1u64..64, 0..48), any::<bool>())
        .prop_flat_map(|(ids, monotone)| {
            let ms: Vec<_> = ids.into_iter().map(memory).collect();
            (ms, Just(monotone))
        })
        .prop_map(|(mut ms, monotone)| {
            if monotone {
                for (i, m) in ms.iter_mut().enumerate() {
                    m.created = BASE + i as u64 * HOUR;
                }
            }
            ms
        })
}
