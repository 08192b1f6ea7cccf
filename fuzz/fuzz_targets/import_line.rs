//! Fuzz target: one JSONL import line is parsed and validated without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = memspine::codec::parse_import_line(line);
    }
});
