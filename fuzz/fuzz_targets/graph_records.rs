//! Fuzz target: the graph's edge and entity record decoders return Ok or Err on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = memspine_graph::decode_edge(data);
    let _ = memspine_graph::decode_entity(data);
});
