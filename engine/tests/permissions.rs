//! Memories are private data: the database directory is created owner-only (0700) and every
//! file in it (the redb file, the vector arena, its rebuilds) owner read/write only (0600),
//! whatever the process umask.

#![allow(clippy::unwrap_used)]
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use memspine::{NewMemory, Options, Spine};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every entry of the database directory, with the directory itself.
fn assert_private(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    let mut files = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
        files += 1;
    }
    assert!(
        files >= 4,
        "expected data.redb and three arena files, found {files}"
    );
}

fn open_with_vectors(path: &Path) -> Spine {
    let opts = Options {
        dimension: Some(4),
        ..Options::default()
    };
    Spine::open(path, opts).unwrap()
}

#[test]
fn new_database_files_are_owner_only() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let db = open_with_vectors(&path);
    db.store(NewMemory::new("private").vector(vec![1.0, 0.0, 0.0, 0.0]))
        .unwrap();
    assert_private(&path);
    drop(db);
    assert_private(&path);
}

#[test]
fn rebuilt_arena_files_are_owner_only() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let db = open_with_vectors(&path);
    db.store(NewMemory::new("private").vector(vec![1.0, 0.0, 0.0, 0.0]))
        .unwrap();
    drop(db);
    for e in std::fs::read_dir(&path).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("arena")
        {
            std::fs::remove_file(p).unwrap();
        }
    }
    let db = open_with_vectors(&path);
    assert!(db.vector_of(memspine::MemoryId(1)).unwrap().is_some());
    assert_private(&path);
}

#[test]
fn an_existing_database_file_is_made_owner_only_on_open() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    drop(open_with_vectors(&path));
    let file = path.join(memspine::DATA_FILE);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(open_with_vectors(&path));
    assert_eq!(mode(&file), 0o600);
}

/// `memspine export --out FILE` writes private memories: the file is owner-only too.
#[test]
fn cli_export_file_is_owner_only() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    common::open(&path)
        .store(NewMemory::new("private"))
        .unwrap();
    let out = dir.path().join("export.jsonl");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_memspine"))
        .args(["--db", path.to_str().unwrap(), "export", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(mode(&out), 0o600);
    assert!(std::fs::read_to_string(&out).unwrap().contains("private"));
}
