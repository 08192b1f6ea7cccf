//! Fuzz target: `memspine::codec::decode_log_tail` must return Ok or Err on any bytes — never panic,
//! never allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = memspine::codec::decode_log_tail(data);
});
