//! Arena commit protocol and recovery: uncommitted tails are cut on open, damaged or foreign
//! files are typed errors asking for a rebuild, snapshots never change under a reader.
#![allow(clippy::unwrap_used)] // test helpers panic on failure by design

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use memspine_index::{Arena, Error, RebuildReason};
use roaring::RoaringBitmap;

const DIM: u32 = 16;

fn unit(seed: u32) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIM)
        .map(|i| ((seed * 31 + i * 7) as f32 * 0.618).sin())
        .collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// Pushes `n` slots (every third empty), syncs and publishes: one "commit".
fn commit(arena: &mut Arena, n: u32) {
    for i in 0..n {
        let v = unit(arena.len());
        arena.push((i % 3 != 2).then_some(v.as_slice())).unwrap();
    }
    arena.sync(true).unwrap();
    arena.publish().unwrap();
}

fn reason(err: Error) -> RebuildReason {
    match err {
        Error::ArenaNeedsRebuild { reason } => reason,
        other => panic!("expected ArenaNeedsRebuild, got {other:?}"),
    }
}

fn flip_byte(path: &Path, offset: u64) {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, offset).unwrap();
    b[0] ^= 0x40;
    f.write_all_at(&b, offset).unwrap();
}

#[test]
fn fresh_arena_has_reserved_slot_zero() {
    let dir = tempfile::tempdir().unwrap();
    let arena = Arena::create(dir.path(), DIM).unwrap();
    assert_eq!(arena.len(), 1);
    let snap = arena.snapshot();
    assert_eq!(snap.len(), 1);
    assert!(snap.vector(0).is_none());
    drop(arena);
    let arena = Arena::open(dir.path(), DIM, 0).unwrap();
    assert_eq!(arena.len(), 1);
    arena.verify().unwrap();
}

#[test]
fn reopen_keeps_committed_slots_and_cuts_the_uncommitted_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    commit(&mut arena, 10);
    let committed = arena.len();
    // A crash after the arena sync but before the redb commit: slots on disk, not committed.
    commit(&mut arena, 5);
    std::mem::forget(arena); // no trimming on drop, as after a kill
    let arena = Arena::open(dir.path(), DIM, u64::from(committed)).unwrap();
    assert_eq!(arena.len(), committed);
    let snap = arena.snapshot();
    assert_eq!(snap.vector(1).unwrap(), unit(1).as_slice());
    assert!(snap.vector(3).is_none(), "slot 3 was pushed empty");
    assert!(snap.vector(committed).is_none());
    arena.verify().unwrap();
    let size = std::fs::metadata(dir.path().join("arena.f32"))
        .unwrap()
        .len();
    assert_eq!(size, 64 + u64::from(committed) * u64::from(DIM) * 4);
}

#[test]
fn truncate_rolls_back_a_failed_commit_and_refuses_published_slots() {
    let dir = tempfile::tempdir().unwrap();
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    commit(&mut arena, 4);
    let published = arena.len();
    arena.push(Some(&unit(99))).unwrap();
    arena.sync(true).unwrap();
    arena.truncate(published).unwrap();
    assert_eq!(arena.len(), published);
    assert!(matches!(
        arena.truncate(published - 1),
        Err(Error::InvalidOperation(_))
    ));
    commit(&mut arena, 2);
    assert_eq!(
        arena.snapshot().vector(published).unwrap(),
        unit(published).as_slice()
    );
    arena.verify().unwrap();
}

#[test]
fn snapshot_is_unaffected_by_later_pushes_and_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    commit(&mut arena, 3);
    let old = arena.snapshot();
    let before: Vec<f32> = old.vector(1).unwrap().to_vec();
    // Enough slots (1.3 MB of vectors) to outgrow the first 1 MiB map reservation: the
    // arena remaps while the old snapshot keeps its own map.
    for _ in 0..4 {
        commit(&mut arena, 5_000);
    }
    assert_eq!(old.len(), 4);
    assert_eq!(old.vector(1).unwrap(), before.as_slice());
    assert!(old.vector(5).is_none());
    let all: RoaringBitmap = (0..arena.len()).collect();
    let hits = old.search(&unit(1), 10, &all, &Default::default()).unwrap();
    assert!(hits.iter().all(|h| h.slot < 4));
    assert_eq!(arena.snapshot().len(), 20_004);
    assert_eq!(
        arena.snapshot().vector(20_000).unwrap(),
        unit(20_000).as_slice()
    );
}

#[test]
fn missing_file_needs_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    commit(&mut arena, 3);
    drop(arena);
    std::fs::remove_file(dir.path().join("arena.sign")).unwrap();
    let r = reason(Arena::open(dir.path(), DIM, 4).unwrap_err());
    assert!(matches!(r, RebuildReason::Missing(_)), "{r:?}");
    // The rebuild path: create + push_many.
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    let vs: Vec<Vec<f32>> = (1..4).map(unit).collect();
    arena
        .push_many(vs.iter().map(|v| Some(v.as_slice())))
        .unwrap();
    arena.sync(true).unwrap();
    arena.publish().unwrap();
    drop(arena);
    Arena::open(dir.path(), DIM, 4).unwrap().verify().unwrap();
}

#[test]
fn arena_shorter_than_committed_needs_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    commit(&mut arena, 3);
    drop(arena);
    let r = reason(Arena::open(dir.path(), DIM, 10).unwrap_err());
    assert!(
        matches!(
            r,
            RebuildReason::Short {
                committed: 10,
                found: 4,
                ..
            }
        ),
        "{r:?}"
    );
}

#[test]
fn wrong_dimension_needs_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    drop(Arena::create(dir.path(), DIM).unwrap());
    let r = reason(Arena::open(dir.path(), 32, 1).unwrap_err());
    assert_eq!(
        r,
        RebuildReason::DimensionMismatch {
            expected: 32,
            found: DIM
        }
    );
}

#[test]
fn corrupt_header_needs_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    drop(Arena::create(dir.path(), DIM).unwrap());
    flip_byte(&dir.path().join("arena.slots"), 40);
    let r = reason(Arena::open(dir.path(), DIM, 1).unwrap_err());
    assert!(matches!(r, RebuildReason::BadHeader { .. }), "{r:?}");
}

#[test]
fn files_of_different_arenas_need_rebuild() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(Arena::create(a.path(), DIM).unwrap());
    drop(Arena::create(b.path(), DIM).unwrap());
    std::fs::copy(b.path().join("arena.f32"), a.path().join("arena.f32")).unwrap();
    let r = reason(Arena::open(a.path(), DIM, 1).unwrap_err());
    assert_eq!(r, RebuildReason::MixedFiles);
}

#[test]
fn corrupt_slot_is_named_by_verify_and_caught_on_open_near_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    commit(&mut arena, 200);
    drop(arena);
    let stride = u64::from(DIM) * 4;
    // Slot 7 is far from the tail: open trusts it, verify names it.
    flip_byte(&dir.path().join("arena.f32"), 64 + 7 * stride + 3);
    let arena = Arena::open(dir.path(), DIM, 201).unwrap();
    match arena.verify() {
        Err(Error::ChecksumMismatch { slots }) => assert_eq!(slots, vec![7]),
        other => panic!("{other:?}"),
    }
    drop(arena);
    // Slot 195 is among the last committed slots, which open checks.
    flip_byte(&dir.path().join("arena.sign"), 64 + 195 * 8 + 1);
    let r = reason(Arena::open(dir.path(), DIM, 201).unwrap_err());
    assert_eq!(r, RebuildReason::ChecksumMismatch { slot: 195 });
}

#[test]
fn invalid_vectors_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    assert!(matches!(
        arena.push(Some(&[1.0; 3])),
        Err(Error::DimensionMismatch {
            expected: DIM,
            got: 3
        })
    ));
    let mut v = unit(1);
    v[5] = f32::NAN;
    assert!(matches!(
        arena.push(Some(&v)),
        Err(Error::NonFiniteVector { index: 5 })
    ));
    let snap = arena.snapshot();
    let all = RoaringBitmap::from([0]);
    assert!(matches!(
        snap.search(&[0.0; 4], 1, &all, &Default::default()),
        Err(Error::DimensionMismatch { .. })
    ));
    v[5] = f32::INFINITY;
    assert!(matches!(
        snap.search(&v, 1, &all, &Default::default()),
        Err(Error::NonFiniteVector { index: 5 })
    ));
}

#[test]
fn drop_trims_unsynced_slots() {
    let dir = tempfile::tempdir().unwrap();
    let mut arena = Arena::create(dir.path(), DIM).unwrap();
    commit(&mut arena, 5);
    arena.push(Some(&unit(50))).unwrap();
    arena.push_many((0..3).map(|_| None)).unwrap();
    drop(arena);
    for (name, stride) in [("arena.f32", u64::from(DIM) * 4), ("arena.slots", 8)] {
        let size = std::fs::metadata(dir.path().join(name)).unwrap().len();
        assert_eq!(size, 64 + 6 * stride, "{name}");
    }
    Arena::open(dir.path(), DIM, 6).unwrap().verify().unwrap();
}

#[test]
fn int8_file_is_regenerated_when_missing_or_damaged_and_checked_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut arena = Arena::create(dir.path(), 16).unwrap();
        commit(&mut arena, 300);
    }
    let path = dir.path().join("arena.i8");
    let original = std::fs::read(&path).unwrap();
    // Missing (an arena made before the file existed): rebuilt from arena.f32, byte-identical.
    std::fs::remove_file(&path).unwrap();
    let arena = Arena::open(dir.path(), 16, 301).unwrap();
    arena.verify().unwrap();
    drop(arena);
    assert_eq!(std::fs::read(&path).unwrap(), original);
    // Short: regenerated too.
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(64 + 10 * 24).unwrap();
    drop(f);
    Arena::open(dir.path(), 16, 301).unwrap().verify().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), original);
    // A flipped code byte in the middle: verify names the slot.
    flip_byte(&path, 64 + 100 * 24 + 12);
    let arena = Arena::open(dir.path(), 16, 301).unwrap();
    match arena.verify() {
        Err(Error::ChecksumMismatch { slots }) => assert_eq!(slots, vec![100]),
        other => panic!("expected a checksum mismatch, got {other:?}"),
    }
}
