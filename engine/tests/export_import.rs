//! export → import → export is byte-identical, including archived memories when asked.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::NewMemory;
use serde_json::json;

#[test]
fn export_import_round_trip_is_byte_identical() {
    let dir = common::temp();
    let (a, _) = common::open_with_clock(&dir.path().join("a"));
    let mut ids = Vec::new();
    for i in 0..2500u64 {
        let mut m = NewMemory::new(format!(
            "memory {i} with \"quotes\", unicode é✓ and\nnewlines"
        ))
        .kind(if i % 2 == 0 { "fact" } else { "user_query" })
        .user(format!("u{}", i % 4))
        .created_at(common::T0 + i * 1_000_001)
        .importance((i % 10) as f32 / 10.0)
        .pinned(i % 50 == 0);
        if i % 3 == 0 {
            m = m
                .tag("x")
                .tag(format!("t{}", i % 7))
                .metadata(json!({"i": i, "nested": {"k": [1, 2]}}));
        }
        if i % 5 == 0 {
            m = m.session("s").agent("bot");
        }
        ids.push(a.store(m).unwrap());
    }
    a.set_archived(&ids[..10], true).unwrap();
    let mut first = Vec::new();
    a.export(&mut first, true).unwrap();
    let (b, _) = common::open_with_clock(&dir.path().join("b"));
    let r = b.import(&mut first.as_slice(), &mut |_| {}).unwrap();
    assert_eq!(r.imported, 2500);
    let mut second = Vec::new();
    b.export(&mut second, true).unwrap();
    assert_eq!(
        String::from_utf8(first.clone()).unwrap(),
        String::from_utf8(second).unwrap()
    );
    let mut live = Vec::new();
    b.export(&mut live, false).unwrap();
    assert_eq!(
        live.iter().filter(|c| **c == b'\n').count(),
        2490,
        "plain export lists live memories only"
    );
    assert!(String::from_utf8(first)
        .unwrap()
        .lines()
        .take(10)
        .all(|l| l.contains("\"archived\":true")));
    assert!(b.verify().unwrap().is_ok());
}

#[test]
fn bad_import_line_names_its_number_and_keeps_earlier_batches() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let input = "{\"content\":\"ok\"}\n\n{\"content\":\"x\",\"bogus\":1}\n";
    let err = db
        .import(&mut input.as_bytes(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
    let err = db
        .import(
            &mut "{\"content\":\"x\",\"created_at\":\"yesterday\"}\n".as_bytes(),
            &mut |_| {},
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 1") && err.contains("created_at"),
        "{err}"
    );
    let err = db
        .import(
            &mut "{\"content\":\"x\",\"metadata\":[1]}\n".as_bytes(),
            &mut |_| {},
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("metadata"), "{err}");
    assert!(db.verify().unwrap().is_ok());
}
