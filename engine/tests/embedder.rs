//! The database embeds with its recorded model; another model or dimension is a typed error;
//! text search finds paraphrases; new content is re-embedded.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use memspine::{
    EmbedderChoice, Error, Filter, MemoryUpdate, NewMemory, Options, SearchMode, SearchOptions,
    Spine,
};
use memspine_index::embed::{EmbedError, Embedder};

struct Fake;
impl Embedder for Fake {
    fn model_id(&self) -> &str {
        "fake/1"
    }
    fn dimension(&self) -> usize {
        4
    }
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts
            .iter()
            .map(|t| vec![t.len() as f32, 1.0, 0.0, 0.0])
            .collect())
    }
}

fn semantic(limit: usize, user: &str) -> SearchOptions {
    SearchOptions {
        limit,
        mode: SearchMode::Semantic,
        filter: Filter::user(user),
        ..Default::default()
    }
}

#[test]
fn built_in_embedder_is_recorded_and_finds_paraphrases() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    {
        let (db, _) = common::open_with_clock(&path);
        assert!(db.model_id().unwrap().starts_with("memspine-static-minilm"));
        let ids = db
            .store_batch(vec![
                NewMemory::new("I forgot my password and cannot log in").user("u"),
                NewMemory::new("The parcel was delivered to the wrong address").user("u"),
                NewMemory::new("Please cancel my subscription at the end of the month").user("u"),
            ])
            .unwrap();
        let top = db
            .search("how do I reset my login credentials", &semantic(1, "u"))
            .unwrap();
        assert_eq!(top[0].id, ids[0]);
        let top = db
            .search("my package went to another house", &semantic(1, "u"))
            .unwrap();
        assert_eq!(top[0].id, ids[1]);
        // New content is re-embedded.
        db.update(
            ids[2],
            MemoryUpdate {
                content: Some("My cat likes tuna".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let top = db
            .search("what food does my pet enjoy", &semantic(1, "u"))
            .unwrap();
        assert_eq!(top[0].id, ids[2]);
        assert!(db.verify().unwrap().is_ok());
    }
    let other = Options {
        embedder: EmbedderChoice::Custom(Arc::new(Fake)),
        ..Options::default()
    };
    assert!(matches!(
        Spine::open(&path, other),
        Err(Error::ModelMismatch { .. })
    ));
    let dim = Options {
        dimension: Some(8),
        ..Options::default()
    };
    assert!(matches!(
        Spine::open(&path, dim),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn custom_embedder_and_no_embedder() {
    let dir = common::temp();
    let opts = Options {
        embedder: EmbedderChoice::Custom(Arc::new(Fake)),
        ..Options::default()
    };
    let db = Spine::open(dir.path().join("a"), opts).unwrap();
    assert_eq!(db.dimension(), 4);
    db.store(NewMemory::new("x").user("u")).unwrap();
    assert_eq!(db.search("yy", &semantic(1, "u")).unwrap().len(), 1);
    let none = Options {
        embedder: EmbedderChoice::None,
        ..Options::default()
    };
    let db = Spine::open(dir.path().join("b"), none).unwrap();
    assert_eq!(db.dimension(), 0);
    assert!(
        db.search("x", &semantic(1, "u")).is_err(),
        "no vectors: semantic search is a typed error"
    );
}
