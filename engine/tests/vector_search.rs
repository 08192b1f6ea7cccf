//! Semantic search equals brute force; filters are exact; deletes never return; the arena follows
//! updates and is rebuilt from the log when its files are lost.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use memspine::{
    Durability, Error, Filter, ManualClock, MemoryId, MemoryUpdate, NewMemory, Options, SearchMode,
    SearchOptions, Spine,
};

const DIM: usize = 32;

fn open(path: &std::path::Path) -> Spine {
    let opts = Options {
        dimension: Some(DIM),
        durability: Durability::None,
        clock: Arc::new(ManualClock::new(common::T0)),
        ..Options::default()
    };
    Spine::open(path, opts).unwrap()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) as f32 * 2.0 - 1.0
    }
    fn vec(&mut self) -> Vec<f32> {
        (0..DIM).map(|_| self.next()).collect()
    }
}

fn normalise(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn semantic(limit: usize, v: &[f32], filter: Filter, exact: bool) -> SearchOptions {
    SearchOptions {
        limit,
        mode: SearchMode::Semantic,
        vector: Some(v.to_vec()),
        filter,
        exact,
        ..Default::default()
    }
}

/// Ids of the brute-force top `k` among `(id, vector)`.
fn brute(k: usize, q: &[f32], all: &[(MemoryId, Vec<f32>)]) -> Vec<MemoryId> {
    let q = normalise(q);
    let mut scored: Vec<(f32, MemoryId)> = all
        .iter()
        .map(|(id, v)| (dot(&q, &normalise(v)), *id))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(k).map(|(_, id)| id).collect()
}

fn populate(db: &Spine, n: usize, rng: &mut Rng) -> Vec<(MemoryId, Vec<f32>)> {
    let vs: Vec<Vec<f32>> = (0..n).map(|_| rng.vec()).collect();
    let batch = vs
        .iter()
        .enumerate()
        .map(|(i, v)| {
            NewMemory::new(format!("memory {i}"))
                .user(format!("u{}", i % 4))
                .vector(v.clone())
        })
        .collect();
    let ids = db.store_batch(batch).unwrap();
    ids.into_iter().zip(vs).collect()
}

#[test]
fn exact_and_filtered_results_equal_brute_force() {
    let dir = common::temp();
    let db = open(&common::db_path(&dir));
    let mut rng = Rng(7);
    let all = populate(&db, 3000, &mut rng);
    for _ in 0..20 {
        let q = rng.vec();
        let got: Vec<MemoryId> = db
            .search("", &semantic(10, &q, Filter::default(), true))
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        assert_eq!(got, brute(10, &q, &all));
        let u2: Vec<_> = all
            .iter()
            .filter(|(id, _)| db.get(*id).unwrap().scope.user.as_deref() == Some("u2"))
            .cloned()
            .collect();
        let hits = db
            .search("", &semantic(10, &q, Filter::user("u2"), false))
            .unwrap();
        let got: Vec<MemoryId> = hits.iter().map(|h| h.id).collect();
        assert_eq!(
            got,
            brute(10, &q, &u2),
            "a filtered set of 750 is searched exactly"
        );
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        assert!((hits[0].semantic.unwrap() - hits[0].score).abs() < 1e-6);
    }
}

#[test]
fn deleted_and_updated_vectors_follow_the_records() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let mut rng = Rng(11);
    let (target, new_v) = {
        let db = open(&path);
        let all = populate(&db, 500, &mut rng);
        let q = all[42].1.clone();
        let top = db
            .search("", &semantic(1, &q, Filter::default(), true))
            .unwrap();
        assert_eq!(top[0].id, all[42].0);
        db.delete(all[42].0).unwrap();
        let top = db
            .search("", &semantic(5, &q, Filter::default(), true))
            .unwrap();
        assert!(
            top.iter().all(|h| h.id != all[42].0),
            "a deleted memory never returns"
        );
        // Give memory 7 a new vector: it is found by the new one, not the old one.
        let new_v = rng.vec();
        db.update(
            all[7].0,
            MemoryUpdate {
                vector: Some(new_v.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        let top = db
            .search("", &semantic(1, &new_v, Filter::default(), true))
            .unwrap();
        assert_eq!(top[0].id, all[7].0);
        assert!((top[0].score - 1.0).abs() < 1e-4);
        let old = db
            .search("", &semantic(3, &all[7].1, Filter::default(), true))
            .unwrap();
        assert!(old.iter().all(|h| h.id != all[7].0 || h.score < 0.99));
        assert!(db.verify().unwrap().is_ok());
        (all[7].0, new_v)
    };
    // Reopen: overrides and arena come back.
    let db = open(&path);
    let top = db
        .search("", &semantic(1, &new_v, Filter::default(), true))
        .unwrap();
    assert_eq!(top[0].id, target);
    // Lose the arena files: the next open rebuilds them from the log.
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
    let db = open(&path);
    let top = db
        .search("", &semantic(1, &new_v, Filter::default(), true))
        .unwrap();
    assert_eq!(
        top[0].id, target,
        "the rebuilt arena holds the updated vector"
    );
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn bad_vectors_and_queries_are_typed_errors() {
    let dir = common::temp();
    let db = open(&common::db_path(&dir));
    let mut rng = Rng(3);
    populate(&db, 10, &mut rng);
    assert!(matches!(
        db.store(NewMemory::new("x").vector(vec![1.0; DIM + 1])),
        Err(Error::DimensionMismatch {
            expected: DIM,
            got: 33
        })
    ));
    let mut nan = vec![0.5; DIM];
    nan[3] = f32::NAN;
    assert!(matches!(
        db.store(NewMemory::new("x").vector(nan.clone())),
        Err(Error::InvalidInput {
            field: "vector",
            ..
        })
    ));
    let mut inf = vec![0.5; DIM];
    inf[0] = f32::INFINITY;
    assert!(matches!(
        db.store(NewMemory::new("x").vector(inf)),
        Err(Error::InvalidInput {
            field: "vector",
            ..
        })
    ));
    assert!(matches!(
        db.store(NewMemory::new("x").vector(vec![0.0; DIM])),
        Err(Error::InvalidInput {
            field: "vector",
            ..
        })
    ));
    assert!(matches!(
        db.search("", &semantic(5, &nan, Filter::default(), false)),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.search("  ", &SearchOptions::default()),
        Err(Error::InvalidInput { field: "query", .. })
    ));
    assert!(matches!(
        db.search(
            "x",
            &SearchOptions {
                limit: 0,
                ..Default::default()
            }
        ),
        Err(Error::InvalidInput { field: "limit", .. })
    ));
    drop(db);
    let other = Options {
        dimension: Some(DIM * 2),
        ..Options::default()
    };
    assert!(matches!(
        Spine::open(common::db_path(&dir), other),
        Err(Error::DimensionMismatch { .. })
    ));
}

/// The partitioned vector index: searches of large sets use it and stay inside the filter,
/// deleted memories never return, it survives a reopen, a damaged file is dropped (and
/// `verify` stays clean), and the compactor's upkeep assigns new vectors.
#[test]
fn partitioned_index_is_used_kept_and_dropped_when_damaged() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let db = open(&path);
    let mut r = Rng(99);
    // 64 directions, each memory near one of them: 30 000 memories, two users.
    let centres: Vec<Vec<f32>> = (0..64).map(|_| normalise(&r.vec())).collect();
    let mut vectors = Vec::new();
    for start in (0..30_000).step_by(1000) {
        let batch: Vec<NewMemory> = (start..start + 1000)
            .map(|i: usize| {
                let c = &centres[i % 64];
                let v = normalise(&c.iter().map(|x| x + 0.15 * r.next()).collect::<Vec<_>>());
                vectors.push(v.clone());
                NewMemory::new(format!("m{i}"))
                    .user(if i.is_multiple_of(2) { "even" } else { "odd" })
                    .vector(v)
            })
            .collect();
        db.store_batch(batch).unwrap();
    }
    assert!(db.vector_index().is_none());
    let info = db.build_vector_index().unwrap();
    assert_eq!(info.lists, 173); // √30 000
    assert!(info.nprobe < info.lists / 4, "clustered data, {info:?}");
    assert!(db.verify().unwrap().is_ok());
    let q = vectors[123].clone();
    let gone = db
        .search("", &semantic(10, &q, Filter::default(), false))
        .unwrap()[0]
        .id;
    db.delete(gone).unwrap();
    for filter in [Filter::default(), Filter::user("even")] {
        let hits = db
            .search("", &semantic(10, &q, filter.clone(), false))
            .unwrap();
        let exact = db
            .search("", &semantic(10, &q, filter.clone(), true))
            .unwrap();
        assert_eq!(hits.len(), 10);
        assert!(hits.iter().all(|h| h.id != gone));
        if filter.user.is_some() {
            assert!(hits
                .iter()
                .all(|h| h.memory.scope.user.as_deref() == Some("even")));
        }
        let found = hits
            .iter()
            .filter(|h| exact.iter().any(|e| e.id == h.id))
            .count();
        assert!(found >= 9, "recall {found}/10 with {filter:?}");
    }
    drop(db);

    // Reopen: the index is read back, not retrained.
    let db = open(&path);
    assert_eq!(db.vector_index(), Some(info.clone()));
    // Upkeep: nothing to do yet; after 1/16 more vectors, they are assigned.
    assert_eq!(db.maintain_vector_index().unwrap(), 0);
    let more: Vec<NewMemory> = (0..2_000)
        .map(|i| NewMemory::new(format!("late {i}")).vector(normalise(&r.vec())))
        .collect();
    db.store_batch(more).unwrap();
    assert_eq!(db.maintain_vector_index().unwrap(), 2_000);
    let now = db.vector_index().unwrap();
    assert!(now.covered > info.covered);
    assert!(db.verify().unwrap().is_ok());
    drop(db);

    // A damaged index file is dropped on open; searches scan everything meanwhile.
    let file = path.join("vectors.ivf");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&file, &bytes).unwrap();
    let db = open(&path);
    assert!(db.vector_index().is_none());
    assert!(!file.exists());
    assert!(db.verify().unwrap().is_ok());
    let hits = db
        .search("", &semantic(10, &q, Filter::default(), false))
        .unwrap();
    assert_eq!(hits.len(), 10);
}
