//! The query language on a real database equals a brute-force evaluation of every memory, and
//! errors carry their position.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use memspine::query::{self, MemoryFacts, Q};
use memspine::{Error, Memory, MemoryUpdate, NewMemory, QueryOptions};

fn facts(m: &Memory, now: u64, session: Option<&str>) -> MemoryFacts {
    MemoryFacts::of_memory(m, now, session)
}

#[test]
fn queries_equal_brute_force() {
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    let day = Duration::from_secs(86_400);
    let mut ids = Vec::new();
    for i in 0..400u64 {
        if i % 10 == 0 {
            clock.advance(day);
        }
        let mut m = NewMemory::new(format!(
            "memory {i} about {}",
            ["billing", "login", "shipping"][(i % 3) as usize]
        ))
        .user(["alice", "bob"][(i % 2) as usize])
        .session(format!("s{}", i / 10))
        .kind(["fact", "interaction"][(i % 4 == 0) as usize])
        .importance((i % 10) as f32 / 10.0)
        .pinned(i % 17 == 0);
        if i % 5 == 0 {
            m = m.tag("vip");
        }
        ids.push(db.store(m).unwrap());
    }
    for id in ids.iter().step_by(7) {
        db.update(
            *id,
            MemoryUpdate {
                importance: Some(0.95),
                ..Default::default()
            },
        )
        .unwrap();
    }
    db.set_archived(&ids[..20], true).unwrap();
    db.note_access(&ids[100..110]);
    let session = Some("s39");
    let queries = [
        "pinned:true",
        "NOT pinned:true AND user:alice",
        "tag:vip OR kind:fact",
        "created_before:10d AND NOT pinned:true",
        "created_after:2026-01-20 AND (user:bob OR tag:vip)",
        "importance>=0.9",
        "importance<0.3 AND type:interaction",
        "tier:working",
        "tier:short_term AND user:alice",
        "tier:long_term",
        "archived:true",
        "accessed_after:1d",
        "updated_after:1h",
        "id:42 OR id:7",
        "text:billing AND user:bob",
        "text:\"about login\"",
        "NOT (tag:vip OR pinned:true) AND session:s3",
    ];
    let now = db.now();
    let opts = QueryOptions {
        current_session: session.map(str::to_owned),
        limit: 0,
        ..Default::default()
    };
    let all = db.get_many(&ids).unwrap();
    for q in queries {
        let expr = query::parse(q).unwrap();
        let got: Vec<u64> = db
            .query(&expr, &opts)
            .unwrap()
            .iter()
            .map(|m| m.id.0)
            .collect();
        let want: Vec<u64> = all
            .iter()
            .filter(|m| !m.archived || expr.mentions_archived())
            .filter(|m| query::eval_on(&expr, &facts(m, now, session), now).unwrap())
            .map(|m| m.id.0)
            .collect();
        assert_eq!(got, want, "{q}");
    }
    // The builder and the string agree, and user text can never become syntax.
    let built = Q::user("alice")
        .and(Q::tag("vip"))
        .and(Q::not(Q::pinned(true)));
    let parsed = query::parse("user:alice AND tag:vip AND NOT pinned:true").unwrap();
    assert_eq!(
        db.query(&built, &opts).unwrap(),
        db.query(&parsed, &opts).unwrap()
    );
    let hostile = Q::user("alice OR pinned:true");
    assert!(db.query(&hostile, &opts).unwrap().is_empty());
    assert_eq!(
        db.query_dsl("user:alice AND NOT pinned:true")
            .unwrap()
            .len(),
        db.query(
            &query::parse("user:alice AND NOT pinned:true").unwrap(),
            &QueryOptions::default()
        )
        .unwrap()
        .len()
    );
}

#[test]
fn bad_queries_name_the_position() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    for (q, pos) in [
        ("pinned:true AND", 15),
        ("user:alice OR OR x", 14),
        ("(tag:a", 6),
        ("bogus:1", 0),
    ] {
        match db.query_dsl(q) {
            Err(Error::Query { position, message }) => assert_eq!(position, pos, "{q}: {message}"),
            other => panic!("{q}: {other:?}"),
        }
    }
}

/// Regression (fuzz finding, dsl_parse): a query near the length limit whose value holds control
/// characters prints back longer than the limit (escapes), and re-parsing then refuses it as
/// too long — by design, the limit applies to what a caller sends.
#[test]
fn canonical_form_may_outgrow_the_length_limit() {
    let value = "\u{0}".repeat(memspine::query::MAX_QUERY_BYTES - 20);
    let q = format!("tag:\"{value}\"");
    let expr = query::parse(&q).unwrap();
    let printed = expr.to_string();
    assert!(printed.len() > memspine::query::MAX_QUERY_BYTES);
    let e = query::parse(&printed).unwrap_err();
    assert_eq!(e.kind, query::QueryErrorKind::TooLong);
}
