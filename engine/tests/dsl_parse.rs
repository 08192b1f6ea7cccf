//! The DSL parses to the expected trees, prints canonically, round-trips, and agrees with the
//! typed builder.

mod dsl_support;

use memspine::query::{parse, Age, CmpOp, Expr, Label, Pred, Tier, Q};
use proptest::prelude::*;

const JAN_1_2026: u64 = 1_767_225_600_000_000;

fn p(q: &str) -> Expr {
    match parse(q) {
        Ok(e) => e,
        Err(e) => panic!("{q}: {e}"),
    }
}

#[test]
fn the_articles_query() {
    let e = p("created_before:2026-01-01 AND NOT pinned:true");
    assert_eq!(
        e,
        Q::created_before(JAN_1_2026).and(Q::not(Q::pinned(true)))
    );
    assert_eq!(
        e.to_string(),
        "created_before:2026-01-01 AND NOT pinned:true"
    );
}

#[test]
fn builder_and_string_agree() {
    let cases: Vec<(Expr, &str)> = vec![
        (
            Q::tag("billing")
                .and(Q::user("alice"))
                .and(Q::not(Q::pinned(true)))
                .and(Q::created_before(JAN_1_2026)),
            "tag:billing AND user:alice AND NOT pinned:true AND created_before:2026-01-01",
        ),
        (
            Q::session("s-1").or(Q::agent("planner")),
            "session:s-1 OR agent:planner",
        ),
        (Q::kind("fact"), "kind:fact"),
        (Q::tier(Tier::ShortTerm), "tier:short_term"),
        (Q::importance_at_least(0.5), "importance>=0.5"),
        (Q::importance(CmpOp::Eq, 1.0), "importance=1"),
        (Q::importance_below(0.25), "importance<0.25"),
        (Q::text("green tea"), "text:\"green tea\""),
        (Q::id(42), "id:42"),
        (Q::archived(false), "archived:false"),
        (Q::updated_after(Age::hours(12)), "updated_after:12h"),
        (Q::accessed_before(Age::weeks(2)), "accessed_before:2w"),
        (Q::created_after(Age::minutes(30)), "created_after:30m"),
        (
            Q::created_after(JAN_1_2026 + 1),
            "created_after:2026-01-01T00:00:00.000001Z",
        ),
        (
            Q::created_after(JAN_1_2026 + 3_600_000_000),
            "created_after:2026-01-01T01:00:00Z",
        ),
        (Q::tag("user:alice"), "tag:user:alice"),
        (Q::tag("two words"), "tag:\"two words\""),
        (Q::tag(""), "tag:\"\""),
        (Q::tag("AND"), "tag:AND"),
        (
            Q::tag("a")
                .or(Q::tag("b"))
                .and(Q::not(Q::tag("c").and(Q::tag("d")))),
            "(tag:a OR tag:b) AND NOT (tag:c AND tag:d)",
        ),
        (Q::not(Q::not(Q::pinned(true))), "NOT NOT pinned:true"),
    ];
    for (built, text) in cases {
        assert_eq!(built.to_string(), text, "printing {built:?}");
        assert_eq!(p(text), built, "parsing {text}");
    }
}

#[test]
fn all_and_any_fold_like_chains() {
    let all = Q::all([Q::tag("a"), Q::tag("b"), Q::tag("c")]);
    assert_eq!(all, Some(p("tag:a AND tag:b AND tag:c")));
    assert_eq!(
        Q::any([Q::tag("a"), Q::tag("b")]),
        Some(p("tag:a OR tag:b"))
    );
    assert_eq!(Q::all(Vec::new()), None);
}

#[test]
fn precedence_not_and_or() {
    let (a, b, c, d) = (Q::tag("a"), Q::tag("b"), Q::tag("c"), Q::tag("d"));
    let want = Expr::Or(vec![
        Expr::And(vec![a.clone(), b.clone()]),
        Expr::And(vec![Q::not(c.clone()), d.clone()]),
    ]);
    assert_eq!(p("tag:a AND tag:b OR NOT tag:c AND tag:d"), want);
    assert_eq!(
        p("tag:a AND (tag:b OR tag:c)"),
        Expr::And(vec![a.clone(), Expr::Or(vec![b.clone(), c.clone()])])
    );
    // Parentheses keep their group: no flattening into the outer chain.
    assert_eq!(
        p("(tag:a AND tag:b) AND tag:c"),
        Expr::And(vec![Expr::And(vec![a, b]), c])
    );
    assert_eq!(p("((((tag:d))))"), d);
}

#[test]
fn keywords_and_fields_are_case_insensitive() {
    assert_eq!(
        p("TAG:x and not Pinned:TRUE or User:y"),
        p("tag:x AND NOT pinned:true OR user:y")
    );
    assert_eq!(p("type:fact"), Q::kind("fact"));
    assert_eq!(p("tier:Long-Term"), Q::tier(Tier::LongTerm));
    // Values keep their case.
    assert_ne!(p("tag:X"), p("tag:x"));
}

#[test]
fn whitespace_and_parentheses_separate_tokens() {
    assert_eq!(p("  tag:a\tAND\n(tag:b)  "), p("tag:a AND tag:b"));
    assert_eq!(p("(tag:a)AND(tag:b)"), p("tag:a AND tag:b"));
    assert_eq!(p("NOT(tag:a)"), Q::not(Q::tag("a")));
    // A bare value ends at a parenthesis.
    assert_eq!(p("(tag:a)"), Q::tag("a"));
}

#[test]
fn quoted_values_and_escapes() {
    assert_eq!(p(r#"text:"say \"hi\"""#), Q::text("say \"hi\""));
    assert_eq!(p(r#"tag:"back\\slash""#), Q::tag("back\\slash"));
    assert_eq!(p(r#"tag:"a\nb\tc\rd""#), Q::tag("a\nb\tc\rd"));
    assert_eq!(p(r#"tag:"\u{e9}\u{1F600}""#), Q::tag("é😀"));
    assert_eq!(p(r#"tag:"(AND OR)""#), Q::tag("(AND OR)"));
    assert_eq!(p("text:bare"), Q::text("bare"));
    assert_eq!(p(r#"pinned:"true""#), Q::pinned(true));
    assert_eq!(p("tag:\"é ü\""), Q::tag("é ü"));
}

#[test]
fn time_forms() {
    let t = |q: &str| match p(q) {
        Expr::Pred(Pred::Time { at, .. }) => at,
        other => panic!("{other:?}"),
    };
    use memspine::query::TimeValue::{Ago, At};
    assert_eq!(t("created_after:2026-01-01"), At(JAN_1_2026));
    assert_eq!(t("created_after:2026-01-01T00:00:00Z"), At(JAN_1_2026));
    assert_eq!(t("created_after:2026-01-01t01:00:00+01:00"), At(JAN_1_2026));
    assert_eq!(
        t("created_after:\"2026-01-01 00:00:00.5Z\""),
        At(JAN_1_2026 + 500_000)
    );
    assert_eq!(t("created_after:@17"), At(17));
    assert_eq!(t("created_after:7d"), Ago(Age::days(7)));
    assert_eq!(t("created_after:12h"), Ago(Age::hours(12)));
    assert_eq!(t("created_after:30m"), Ago(Age::minutes(30)));
    assert_eq!(t("created_after:2w"), Ago(Age::weeks(2)));
    assert_eq!(t("created_after:90s"), Ago(Age::seconds(90)));
    // Far-future times print as raw microseconds and read back.
    assert_eq!(
        Q::created_after(u64::MAX).to_string(),
        format!("created_after:@{}", u64::MAX)
    );
}

#[test]
fn importance_forms() {
    assert_eq!(p("importance>=0.5"), Q::importance(CmpOp::Ge, 0.5));
    assert_eq!(p("importance:>=0.5"), Q::importance(CmpOp::Ge, 0.5));
    assert_eq!(p("importance:0.5"), Q::importance(CmpOp::Eq, 0.5));
    assert_eq!(p("importance=.5"), Q::importance(CmpOp::Eq, 0.5));
    assert_eq!(p("importance<5e-1"), Q::importance(CmpOp::Lt, 0.5));
    assert_eq!(p("importance<=-1"), Q::importance(CmpOp::Le, -1.0));
    assert_eq!(p("importance>+1."), Q::importance(CmpOp::Gt, 1.0));
}

#[test]
fn builder_values_are_never_syntax() {
    let hostile = [
        "x OR archived:true",
        "alice) OR (tag:secret",
        "\" OR tag:\"",
        "\\",
        "line\nbreak",
        "NOT",
        "",
        "\u{0}\u{7f}",
    ];
    for v in hostile {
        let built = Q::user(v).and(Q::not(Q::pinned(true)));
        let back = p(&built.to_string());
        assert_eq!(back, built, "{v:?} -> {built}");
        match back {
            Expr::And(ops) => assert_eq!(
                ops[0],
                Expr::Pred(Pred::Label {
                    label: Label::User,
                    value: v.into()
                })
            ),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn mentions_archived() {
    assert!(p("tag:a OR NOT (archived:false AND tag:b)").mentions_archived());
    assert!(!p("tag:a AND tag:archived").mentions_archived());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// print → parse is the identity on ASTs in normal form, whatever the values hold.
    #[test]
    fn print_parse_round_trip(e in dsl_support::tree(dsl_support::wide_pred().boxed())) {
        let text = e.to_string();
        let back = parse(&text);
        prop_assert_eq!(back.as_ref().ok(), Some(&e), "text: {}  err: {:?}", text, back.as_ref().err().map(ToString::to_string));
    }

    /// The parser never panics, and whatever it accepts prints to a fixed point.
    #[test]
    fn arbitrary_text_never_panics(s in "[ -~éü\"\\\\()]{0,60}") {
        if let Ok(e) = parse(&s) {
            let printed = e.to_string();
            prop_assert_eq!(parse(&printed).ok(), Some(e));
        }
    }
}
