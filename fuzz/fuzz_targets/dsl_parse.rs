//! Fuzz target: the query-language parser never panics (or overflows its stack); whatever it
//! accepts prints back to a query that parses to the same tree, and plans without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else { return };
    if let Ok(expr) = memspine::query::parse(q) {
        let printed = expr.to_string();
        // The canonical form escapes control characters, so it can outgrow the input's length
        // limit; only then may re-parsing refuse it.
        match memspine::query::parse(&printed) {
            Ok(again) => assert_eq!(again, expr, "round trip of {q:?} via {printed:?}"),
            Err(e) if printed.len() > memspine::query::MAX_QUERY_BYTES => {
                assert_eq!(e.kind, memspine::query::QueryErrorKind::TooLong)
            }
            Err(e) => panic!("printed query {printed:?} does not parse: {e}"),
        }
        let _ = memspine::query::plan(&expr, 1_767_225_600_000_000);
    }
});
