//! Fuzz target: the vector arena's header decoder and its files as the engine opens them
//! (header checks, tail cut, slot flags and checksums, verify, vector reads, searches).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("memspine-fuzz-arena-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("fuzz temp dir");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = memspine::codec::decode_arena_header(data);
    let _ = memspine::codec::decode_arena_files(dir(), data);
});
