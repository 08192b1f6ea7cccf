//! The `memspine` binary: `query` returns exactly the memories the language selects and names the
//! position of a syntax error; `context --explain` accounts for every candidate.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::Output;

use memspine::{ContextOptions, Filter, MemoryId, NewMemory, Options, Spine};

fn memspine(db: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_memspine"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Stores through the CLI, returns the id it prints.
fn store(db: &Path, content: &str, flags: &[&str]) -> u64 {
    let mut args = vec!["--json", "store", content];
    args.extend_from_slice(flags);
    let v: serde_json::Value = serde_json::from_str(&ok(memspine(db, &args))).unwrap();
    v["id"].as_u64().unwrap()
}

fn query_ids(db: &Path, dsl: &str) -> Vec<u64> {
    let out = ok(memspine(db, &["query", dsl, "--json", "--limit", "0"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn cli_query_returns_exactly_the_matching_memories() {
    let dir = common::temp();
    let db = common::db_path(&dir);
    let invoice = store(
        &db,
        "Alice's invoice was charged twice",
        &["--user", "alice", "--tag", "billing", "--importance", "0.9"],
    );
    let pref = store(
        &db,
        "Alice prefers email over phone",
        &["--user", "alice", "--kind", "fact", "--pinned"],
    );
    let refund = store(
        &db,
        "Refunds take five days",
        &["--user", "bob", "--tag", "billing", "--session", "s1"],
    );
    let login = store(
        &db,
        "Bob could not log in",
        &[
            "--user",
            "bob",
            "--tag",
            "needs review",
            "--importance",
            "0.2",
        ],
    );
    for (dsl, want) in [
        ("tag:billing AND user:alice", vec![invoice]),
        ("tag:billing", vec![invoice, refund]),
        ("NOT pinned:true AND user:alice", vec![invoice]),
        ("type:fact OR tag:\"needs review\"", vec![pref, login]),
        ("text:invoices", vec![invoice]),
        (
            "text:\"charged twice\" OR text:refund",
            vec![invoice, refund],
        ),
        ("importance>=0.8 OR importance<0.3", vec![invoice, login]),
        (
            "created_after:1h AND (session:s1 OR pinned:true)",
            vec![refund, pref],
        ),
        ("created_before:1h", vec![]),
        ("user:alice AND user:bob", vec![]),
    ] {
        let mut want = want;
        want.sort_unstable();
        assert_eq!(query_ids(&db, dsl), want, "{dsl}");
    }
    // `--current-session` defines the working tier.
    let out = ok(memspine(
        &db,
        &["--json", "query", "tier:working", "--current-session", "s1"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["id"].as_u64(), Some(refund));
    assert_eq!(v.as_array().unwrap().len(), 1);
}

#[test]
fn cli_query_errors_name_the_position() {
    let dir = common::temp();
    let db = common::db_path(&dir);
    store(&db, "something", &[]);
    for (dsl, at, expected) in [
        (
            "tag:billing user:alice",
            "column 13 (byte 12)",
            "expected AND, OR",
        ),
        ("tag:billing AND (user:alice", "column 28 (byte 27)", "')'"),
        (
            "tag:billing AND (user:alice OR created_after:7x",
            "column 47 (byte 46)",
            "age unit",
        ),
        ("bogus:1", "column 1 (byte 0)", "bogus"),
    ] {
        let out = memspine(&db, &["query", dsl]);
        assert!(!out.status.success(), "{dsl}");
        assert!(out.stdout.is_empty(), "{dsl}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("invalid query"), "{dsl}: {err}");
        assert!(err.contains(at), "{dsl}: {err}");
        assert!(err.contains(expected), "{dsl}: {err}");
        // The query is shown with a caret under the position.
        assert!(err.lines().any(|l| l.trim_end().ends_with('^')), "{err}");
    }
}

/// The ids of the `chosen` and `dropped` lines of `--explain`.
fn explained(text: &str, prefix: &str) -> Vec<MemoryId> {
    text.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|rest| rest.split_whitespace().next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn cli_context_explain_lists_every_candidate() {
    let dir = common::temp();
    let db = common::db_path(&dir);
    let mut bob = Vec::new();
    {
        // The CLI's options: the system clock and the built-in embedder.
        let s = Spine::open(&db, Options::default()).unwrap();
        s.store(
            NewMemory::new("Alice prefers email over phone")
                .user("alice")
                .pinned(true),
        )
        .unwrap();
        let lines = [
            "Alice's March invoice was charged twice and she wants a refund",
            "She could not log in after the password reset email expired",
            "The parcel to Munich is stuck at customs since Tuesday",
            "Alice asked whether the Pro plan includes priority support",
            "Her new office address is Karlstrasse 12, third floor",
            "She reported that the mobile app crashes when uploading photos",
            "Alice prefers invoices as PDF attachments, not links",
            "The refund for order 4411 was approved by the billing team",
            "She mentioned moving to Berlin in the autumn",
            "Alice's colleague Bob will take over the account in June",
            "The invoice template shows the wrong VAT number",
            "She is travelling next week and answers only by email",
        ];
        for (i, text) in lines.into_iter().enumerate() {
            s.store(
                NewMemory::new(text)
                    .user("alice")
                    .importance((i % 10) as f32 / 10.0),
            )
            .unwrap();
        }
        for i in 0..5 {
            bob.push(
                s.store(NewMemory::new(format!("Bob's invoice {i}")).user("bob"))
                    .unwrap(),
            );
        }
    }
    let question = "What did Alice say about the invoice?";
    let out = ok(memspine(
        &db,
        &[
            "context",
            question,
            "--max-tokens",
            "200",
            "--user",
            "alice",
            "--explain",
        ],
    ));
    let footer = out
        .lines()
        .find(|l| l.starts_with('(') && l.contains(" of 200 tokens, estimator"))
        .unwrap_or_else(|| panic!("{out}"));
    let used: usize = footer[1..].split(' ').next().unwrap().parse().unwrap();
    assert!(used <= 200, "{footer}");
    let chosen = explained(&out, "chosen  ");
    let dropped = explained(&out, "dropped ");
    assert!(!chosen.is_empty() && !dropped.is_empty(), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("dropped ") && l.ends_with("Budget")),
        "{out}"
    );
    let chosen: HashSet<MemoryId> = chosen.into_iter().collect();
    let dropped: HashSet<MemoryId> = dropped.into_iter().collect();
    assert!(chosen.is_disjoint(&dropped), "{out}");
    assert!(bob
        .iter()
        .all(|b| !chosen.contains(b) && !dropped.contains(b)));
    // Every candidate of the same selection, and nothing else.
    let s = Spine::open(&db, Options::default()).unwrap();
    let opts = ContextOptions {
        filter: Filter::user("alice"),
        track_access: false,
        ..Default::default()
    };
    let candidates: HashSet<MemoryId> = s
        .select_memories(question, &opts)
        .unwrap()
        .iter()
        .map(|c| c.memory.id)
        .collect();
    assert_eq!(&chosen | &dropped, candidates, "{out}");
}
