//! The fuzz corpora's seed files decode cleanly. With MEMSPINE_WRITE_SEEDS=1 this test rewrites
//! them from real encodings first (so seeds follow format changes).

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use memspine::{codec, NewMemory};

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

fn write_seeds() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let batch = (0..300)
        .map(|i| {
            NewMemory::new(format!("seed memory {i} {}", "text ".repeat(i % 50)))
                .tag("t")
                .user("u")
        })
        .collect();
    db.store_batch(batch).unwrap();
    let mut pages = Vec::new();
    let mut tails = Vec::new();
    let mut records = Vec::new();
    for e in db.events_since(0, None).unwrap().into_iter().take(40) {
        records.push(e.record().clone());
    }
    pages.push(codec::encode_log_page(&mut records.clone()).unwrap());
    pages.push(codec::encode_log_page(&mut records[..1].to_vec()).unwrap());
    for r in records.iter().take(3) {
        tails.push(postcard_tail(r));
    }
    let mut out = Vec::new();
    db.export(&mut out, true).unwrap();
    let lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .take(3)
        .map(str::to_owned)
        .collect();
    let mut bm = roaring_seed();
    write("log_page", &pages);
    write("log_tail", &tails);
    write(
        "import_line",
        &lines
            .iter()
            .map(|l| l.as_bytes().to_vec())
            .collect::<Vec<_>>(),
    );
    write("bitmap", &[std::mem::take(&mut bm)]);
    write("memory_record", &[memory_record_seed()]);
    write("arena", &arena_seeds());
}

/// Real arena files (dimension 8, a few slots with and without vectors) in the layout of
/// `codec::decode_arena_files`, plus one bare header.
fn arena_seeds() -> Vec<Vec<u8>> {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let opts = memspine::Options {
        dimension: Some(8),
        ..memspine::Options::default()
    };
    let db = memspine::Spine::open(&path, opts).unwrap();
    for i in 0..5u8 {
        let mut m = NewMemory::new(format!("arena seed {i}"));
        if i != 2 {
            m = m.vector((0..8).map(|j| f32::from(i + j + 1) - 4.5).collect());
        }
        db.store(m).unwrap();
    }
    drop(db);
    let file = |name: &str| std::fs::read(path.join(name)).unwrap();
    let (f0, f1, f2) = (file("arena.f32"), file("arena.sign"), file("arena.slots"));
    let mut v = vec![7u8, 6];
    v.extend_from_slice(&(f0.len() as u16).to_le_bytes());
    v.extend_from_slice(&(f1.len() as u16).to_le_bytes());
    v.extend(f0.iter().chain(&f1).chain(&f2));
    vec![v, f2[..64].to_vec()]
}

fn postcard_tail(r: &memspine::log::LogRecord) -> Vec<u8> {
    // Same layout as the log's tail records: version, crc32, postcard body.
    let body = postcard::to_allocvec(r).unwrap();
    let mut v = vec![1u8];
    v.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    v.extend_from_slice(&body);
    v
}

fn roaring_seed() -> Vec<u8> {
    let mut bm = roaring::RoaringBitmap::new();
    bm.extend([1u32, 2, 3, 1000, 65535]);
    bm.insert_range(10..2000);
    let mut v = Vec::new();
    bm.serialize_into(&mut v).unwrap();
    v
}

fn memory_record_seed() -> Vec<u8> {
    // A record as the engine writes it: version 1, no flags, crc32, postcard payload.
    let payload = hex_payload();
    let mut v = vec![1u8, 0];
    v.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    v.extend_from_slice(&payload);
    v
}

fn hex_payload() -> Vec<u8> {
    // postcard of StoredMemory { content: "hi", kind: "fact", tags: [], metadata: "{}", scope: none,
    // importance: 0.5, pinned: false, created_at: 1, updated_at: 2, provenance: [], archived: false,
    // has_vector: false, stored_seq: 1 }
    let mut v = vec![
        2, b'h', b'i', 4, b'f', b'a', b'c', b't', 0, 2, b'{', b'}', 0, 0, 0,
    ];
    v.extend_from_slice(&0.5f32.to_le_bytes());
    v.extend_from_slice(&[0, 1, 2, 0, 0, 0, 1]);
    v
}

fn write(target: &str, seeds: &[Vec<u8>]) {
    let d = corpus(target);
    std::fs::create_dir_all(&d).unwrap();
    for (i, s) in seeds.iter().enumerate() {
        std::fs::write(d.join(format!("seed-{i}")), s).unwrap();
    }
}

#[test]
fn seeds_decode() {
    if std::env::var_os("MEMSPINE_WRITE_SEEDS").is_some() {
        write_seeds();
    }
    let check = |target: &str, f: &dyn Fn(&[u8]) -> bool| {
        let d = corpus(target);
        let Ok(rd) = std::fs::read_dir(&d) else {
            return;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
            {
                assert!(
                    f(&std::fs::read(&p).unwrap()),
                    "{} does not decode",
                    p.display()
                );
            }
        }
    };
    check("log_page", &|b| codec::decode_log_page(b).is_ok());
    check("log_tail", &|b| codec::decode_log_tail(b).is_ok());
    check("bitmap", &|b| codec::decode_bitmap(b).is_ok());
    check("memory_record", &|b| codec::decode_memory_record(b).is_ok());
    let arena_dir = common::temp();
    check("arena", &|b| {
        codec::decode_arena_header(b).is_ok()
            || codec::decode_arena_files(arena_dir.path(), b).is_ok()
    });
    check("import_line", &|b| {
        codec::parse_import_line(std::str::from_utf8(b).unwrap()).is_ok()
    });
}
