//! Bad queries fail with the right position, expectation and finding; limits are typed errors,
//! never a stack overflow.

use memspine::query::{
    eval_on, parse, plan, Expr, MemoryFacts, PlanError, QueryErrorKind, MAX_EXPR_DEPTH,
    MAX_NESTING, MAX_QUERY_BYTES, Q,
};

/// (query, byte position, column, expected contains, found contains)
const BAD: &[(&str, usize, usize, &str, &str)] = &[
    ("", 0, 1, "a field, NOT or '('", "the end of the query"),
    ("   ", 3, 4, "a field, NOT or '('", "the end of the query"),
    (
        "tag:a tag:b",
        6,
        7,
        "AND, OR or the end of the query",
        "\"tag:b\"",
    ),
    (
        "tag:a AND",
        9,
        10,
        "a field, NOT or '('",
        "the end of the query",
    ),
    (
        "(tag:a",
        6,
        7,
        "AND, OR or ')' to close the '(' at column 1",
        "the end of the query",
    ),
    (
        "tag:a AND (tag:b OR tag:c tag:d)",
        26,
        27,
        "')' to close the '(' at column 11",
        "\"tag:d)\"",
    ),
    ("tag:a)", 5, 6, "AND, OR or the end of the query", "')'"),
    ("()", 1, 2, "a field, NOT or '('", "')'"),
    ("colour:red", 0, 1, "a field (created_before", "\"colour\""),
    ("created_soon:1d", 0, 1, "a field (", "\"created_soon\""),
    (
        "tag:",
        4,
        5,
        "a value after \"tag:\"",
        "the end of the query",
    ),
    ("tag: x", 4, 5, "a value after \"tag:\"", "' '"),
    ("pinned:maybe", 7, 8, "true or false", "\"maybe\""),
    (
        "importance>=high",
        12,
        13,
        "a finite decimal number",
        "\"high\"",
    ),
    (
        "importance>=inf",
        12,
        13,
        "a finite decimal number",
        "\"inf\"",
    ),
    (
        "importance>=NaN",
        12,
        13,
        "a finite decimal number",
        "\"NaN\"",
    ),
    (
        "importance>=1e39",
        12,
        13,
        "a finite decimal number",
        "\"1e39\"",
    ),
    (
        "importance<=2e",
        12,
        13,
        "a finite decimal number",
        "\"2e\"",
    ),
    ("tag>=3", 3, 4, "':' after tag", "\">=\""),
    (
        "created_before<2026-01-01",
        14,
        15,
        "':' after created_before",
        "\"<\"",
    ),
    (
        "created_before:2026-02-30",
        23,
        24,
        "a day of that month",
        "30",
    ),
    ("created_before:2026-13-01", 20, 21, "a month 01-12", "13"),
    (
        "created_before:26-01-01",
        15,
        16,
        "a date (2026-01-31)",
        "\"26-01-01\"",
    ),
    (
        "created_before:7y",
        16,
        17,
        "an age unit s, m, h, d or w",
        "\"y\"",
    ),
    (
        "created_after:2026-01-01T10:00:00",
        33,
        34,
        "'Z' or an offset like +02:00",
        "the end of the value",
    ),
    (
        "created_after:2026-01-01T25:00:00Z",
        25,
        26,
        "an hour 00-23",
        "25",
    ),
    (
        "created_after:2026-01-01T10:00:00Zjunk",
        34,
        35,
        "the end of the time",
        "\"junk\"",
    ),
    (
        "created_after:1969-12-31",
        14,
        15,
        "at or after 1970-01-01",
        "\"1969-12-31\"",
    ),
    (
        "created_after:@now",
        15,
        16,
        "microseconds since the epoch after '@'",
        "\"now\"",
    ),
    (
        "created_after:\"2026-01-0x\"",
        23,
        24,
        "a two-digit day",
        "\"0x\"",
    ),
    (
        "text:\"unterminated",
        18,
        19,
        "a closing '\"'",
        "the end of the query",
    ),
    ("text:\"bad \\q escape\"", 10, 11, "an escape", "\"\\\\q\""),
    (
        "tag:\"\\u{110000}\"",
        5,
        6,
        "\\u{…} with 1 to 6 hex digits",
        "\\u{110000}",
    ),
    ("tag:\"\\u{}\"", 5, 6, "\\u{…}", "\\u{}"),
    ("tag:\"\\u12\"", 5, 6, "\\u{…}", "'1'"),
    (
        "tier:medium",
        5,
        6,
        "working, short_term or long_term",
        "\"medium\"",
    ),
    ("id:-1", 3, 4, "a memory id", "\"-1\""),
    (
        "id:99999999999999999999",
        3,
        4,
        "a memory id",
        "\"99999999999999999999\"",
    ),
    ("NOT", 3, 4, "a field, NOT or '('", "the end of the query"),
    ("tag:a OR OR tag:b", 9, 10, "a field, NOT or '('", "OR"),
    ("AND tag:a", 0, 1, "a field, NOT or '('", "AND"),
    (
        "tag:a && tag:b",
        6,
        7,
        "AND, OR or the end of the query",
        "\"&&\"",
    ),
    (
        "\"lonely string\"",
        0,
        1,
        "a field, NOT or '('",
        "\"\\\"lonely string\\\"\"",
    ),
    (
        "tag:café tag:x",
        10,
        10,
        "AND, OR or the end of the query",
        "\"tag:x\"",
    ),
    (
        "user:alice OR",
        13,
        14,
        "a field, NOT or '('",
        "the end of the query",
    ),
    (
        "tag:a\"b\"",
        5,
        6,
        "AND, OR or the end of the query",
        "\"\\\"b\\\"\"",
    ),
];

#[test]
fn table_of_bad_queries() {
    for &(q, position, column, expected, found) in BAD {
        let Err(e) = parse(q) else {
            panic!("{q:?} parsed")
        };
        let ctx = format!("{q:?}: {e}");
        assert_eq!(e.position, position, "position of {ctx}");
        assert_eq!(e.column, column, "column of {ctx}");
        assert!(e.expected.contains(expected), "expected of {ctx}");
        assert!(e.found.contains(found), "found of {ctx}");
    }
}

#[test]
fn value_errors_are_typed_apart_from_syntax() {
    let kind = |q: &str| parse(q).err().map(|e| e.kind);
    assert_eq!(kind("pinned:maybe"), Some(QueryErrorKind::InvalidValue));
    assert_eq!(
        kind("created_before:2026-02-30"),
        Some(QueryErrorKind::InvalidValue)
    );
    assert_eq!(kind("tag:a tag:b"), Some(QueryErrorKind::Syntax));
}

#[test]
fn display_shows_query_and_caret() {
    let e = parse("tag:a tag:b").expect_err("error");
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "invalid query at column 7 (byte 6): expected AND, OR or the end of the query, found the term starting \"tag:b\"");
    assert_eq!(lines[1], "  tag:a tag:b");
    assert_eq!(lines[2], "        ^");
}

#[test]
fn display_windows_long_queries_and_hides_control_characters() {
    let q = format!("{}\n tag:a tag:b", "tag:x AND ".repeat(20));
    let e = parse(&q).expect_err("error");
    let lines: Vec<String> = e.to_string().lines().map(String::from).collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert!(lines[1].starts_with("  …"), "{}", lines[1]);
    let caret = lines[2].find('^').expect("caret");
    assert_eq!(lines[1].chars().nth(caret), Some('t'), "{e}");
    assert_eq!(
        lines[1].chars().skip(caret).take(5).collect::<String>(),
        "tag:b"
    );
}

#[test]
fn length_limit() {
    let ok = format!("tag:{}", "a".repeat(MAX_QUERY_BYTES - 4));
    assert!(parse(&ok).is_ok());
    let long = format!("tag:{}", "a".repeat(MAX_QUERY_BYTES - 3));
    let e = parse(&long).expect_err("too long");
    assert_eq!(e.kind, QueryErrorKind::TooLong);
    assert_eq!(e.position, MAX_QUERY_BYTES);
    assert!(
        e.found.contains(&format!("{} bytes", MAX_QUERY_BYTES + 1)),
        "{e}"
    );
    // Huge input: rejected up front, and the error message stays small.
    let huge = "(".repeat(10 << 20);
    let e = parse(&huge).expect_err("too long");
    assert_eq!(e.kind, QueryErrorKind::TooLong);
    assert!(e.to_string().len() < 400);
}

#[test]
fn nesting_limit() {
    let nest = |n: usize| format!("{}tag:a{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(parse(&nest(MAX_NESTING)).ok(), Some(Q::tag("a")));
    let e = parse(&nest(MAX_NESTING + 1)).expect_err("too deep");
    assert_eq!(e.kind, QueryErrorKind::TooDeep);
    assert_eq!(e.position, MAX_NESTING);

    let nots = |n: usize| format!("{}tag:a", "NOT ".repeat(n));
    assert!(parse(&nots(MAX_NESTING)).is_ok());
    assert_eq!(
        parse(&nots(MAX_NESTING + 1)).err().map(|e| e.kind),
        Some(QueryErrorKind::TooDeep)
    );

    // As deep as 8 KiB allows: a typed error, not a stack overflow.
    for unit in ["(", "NOT ", "NOT (", "(tag:a OR "] {
        let q = unit.repeat(MAX_QUERY_BYTES / unit.len());
        assert_eq!(
            parse(&q).err().map(|e| e.kind),
            Some(QueryErrorKind::TooDeep),
            "{unit}"
        );
    }
}

#[test]
fn deepest_parsed_queries_still_plan() {
    // Every nesting level adds an OR, an AND and a NOT node: the planner's limit covers it.
    let mut q = "tag:z".to_string();
    for _ in 0..MAX_NESTING / 2 {
        q = format!("tag:a OR tag:b AND NOT ({q})");
    }
    let e = parse(&q).expect("parses");
    assert!(e.depth() <= MAX_EXPR_DEPTH);
    assert!(plan(&e, 0).is_ok());
}

#[test]
fn built_trees_are_depth_checked_without_recursion() {
    let mut e = Q::tag("a");
    for _ in 0..5_000 {
        e = Q::not(e);
    }
    assert_eq!(
        plan(&e, 0).err(),
        Some(PlanError::TooDeep {
            depth: 5_001,
            max: MAX_EXPR_DEPTH
        })
    );
    let m = MemoryFacts::default();
    assert!(matches!(eval_on(&e, &m, 0), Err(PlanError::TooDeep { .. })));
    // Dismantle iteratively: dropping a 5 000-deep Box chain recursively is the caller's risk.
    while let Expr::Not(inner) = e {
        e = *inner;
    }
}

#[test]
fn non_finite_importance_is_refused() {
    for v in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let e = Q::tag("a").and(Q::importance_at_least(v));
        assert!(
            matches!(plan(&e, 0), Err(PlanError::NonFinite { .. })),
            "{v}"
        );
        assert!(eval_on(&e, &MemoryFacts::default(), 0).is_err());
    }
}
