//! Embedders: text → L2-normalised vectors, with an identity the database records.
//!
//! The database stores [`Embedder::model_id`] and [`Embedder::dimension`] when it is created
//! and refuses another model later, so vectors from different models are never mixed. Every
//! embedder therefore puts a version (and a checksum of its weights) in its id: the id changes
//! whenever the vectors it produces would change.
//!
//! - [`StaticEmbedder`] (always built): a static token-embedding table distilled from
//!   all-MiniLM-L6-v2 and compiled into the binary. No download, no network, microseconds per
//!   text; a bag of weighted subword vectors (no word order, no negation).
//! - `SentenceTransformer` (cargo feature `minilm`): a sentence-transformers BERT model loaded
//!   from a local folder and run with candle, pooled exactly as sentence-transformers does.
//!
//! ```
//! use memspine_index::embed::{Embedder, StaticEmbedder};
//! let e = StaticEmbedder::new()?;
//! let v = e.embed("How do I reset my password?")?;
//! assert_eq!(v.len(), e.dimension());
//! # Ok::<(), memspine_index::embed::EmbedError>(())
//! ```

#[cfg(feature = "minilm")]
mod minilm;
mod static_model;
mod table;
mod wordpiece;

#[cfg(feature = "minilm")]
pub use minilm::SentenceTransformer;
pub use static_model::StaticEmbedder;

use std::path::PathBuf;

/// Turns text into vectors of one fixed dimension, L2-normalised (so dot = cosine).
pub trait Embedder: Send + Sync {
    /// Identity of the model *and* of everything that shapes its vectors (tokenizer,
    /// pooling, quantisation, version). Two embedders with equal ids produce equal vectors.
    fn model_id(&self) -> &str;

    /// Length of every vector this embedder returns.
    fn dimension(&self) -> usize;

    /// Embeds each text; the result has one unit-length vector per input, in order.
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Embeds one text.
    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        self.embed_batch(&[text])?
            .pop()
            .ok_or_else(|| EmbedError::Inference("no vector returned".into()))
    }
}

/// What can go wrong while embedding or loading an embedder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The text at `index` of the batch has nothing to embed (empty, whitespace only, or, for
    /// the static embedder, no token it knows). The caller may store the memory without a
    /// vector or reject it.
    #[error("text {index} of the batch has no embeddable content")]
    EmptyText {
        /// Position in the batch.
        index: usize,
    },
    /// The built-in table failed its checks (a corrupted build: never expected).
    #[error("static embedding asset is corrupt: {detail}")]
    CorruptAsset {
        /// What is wrong.
        detail: String,
    },
    /// A model file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A model folder is incomplete or holds something else than a supported model.
    #[error("cannot load model from {path}: {detail}")]
    ModelLoad {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The tokenizer rejected a text.
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
    /// The model failed while running, or produced a non-finite vector.
    #[error("inference failed: {0}")]
    Inference(String),
}

/// Scales `v` to unit length; `None` when it has no direction (all zeros) or is not finite.
pub(crate) fn normalised(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v
        .iter()
        .map(|x| f64::from(*x) * f64::from(*x))
        .sum::<f64>()
        .sqrt();
    if !norm.is_finite() || norm < 1e-12 {
        return None;
    }
    v.iter_mut()
        .for_each(|x| *x = (f64::from(*x) / norm) as f32);
    Some(v)
}
