//! The built-in embedder: a static token-embedding table distilled from all-MiniLM-L6-v2.
//!
//! What it is: every WordPiece token of MiniLM's vocabulary was run through the transformer
//! alone and mean-pooled, reduced to 128 dimensions by PCA, weighted by a Zipf/SIF frequency
//! prior (frequent words count less) and quantised to i8 (`tools/distill`). A text's vector is
//! the normalised sum of its tokens' rows. It knows that "password" and "credentials" are
//! related, which keyword search does not.
//!
//! Limits: a bag of subwords, so no word order ("dog bites man" = "man bites dog"), no
//! negation ("not happy" ≈ "happy"), no context (one vector per token sense), English-centred
//! vocabulary; similarities are flatter and noisier than the transformer's.

use std::sync::{Arc, OnceLock};

use super::table::Table;
use super::wordpiece::WordPiece;
use super::{normalised, EmbedError, Embedder};

/// The asset, produced by `tools/distill` (see its README to regenerate).
static ASSET: &[u8] = include_bytes!("../../assets/static-minilm-l6.mste");

/// Bumped whenever tokenisation or pooling here changes (the table has its crc in the id).
const CODE_VERSION: u32 = 1;

/// Decoded table and tokenizer, shared by every `StaticEmbedder` of the process.
#[derive(Debug)]
struct Inner {
    table: Table<'static>,
    tokenizer: WordPiece,
    model_id: String,
}

static SHARED: OnceLock<Result<Arc<Inner>, String>> = OnceLock::new();

/// The built-in embedder: no download, no network, a few microseconds per text.
#[derive(Debug, Clone)]
pub struct StaticEmbedder {
    inner: Arc<Inner>,
}

impl StaticEmbedder {
    /// The shared instance; the first call decodes the table (a few milliseconds).
    pub fn new() -> Result<Self, EmbedError> {
        let shared = SHARED.get_or_init(|| {
            Inner::decode(ASSET)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
        match shared {
            Ok(inner) => Ok(Self {
                inner: Arc::clone(inner),
            }),
            Err(detail) => Err(EmbedError::CorruptAsset {
                detail: detail.clone(),
            }),
        }
    }

    /// One text's vector, or `None` when it has no known token.
    fn embed_one(&self, text: &str, ids: &mut Vec<u32>) -> Option<Vec<f32>> {
        ids.clear();
        self.inner.tokenizer.tokenize(text, ids);
        let mut acc = vec![0f32; self.inner.table.dim];
        for &id in ids.iter() {
            self.inner.table.accumulate(id, &mut acc);
        }
        normalised(acc)
    }
}

impl Inner {
    fn decode(bytes: &'static [u8]) -> Result<Self, EmbedError> {
        let table = Table::parse(bytes)?;
        let tokenizer = WordPiece::new(table.vocab.iter().copied());
        let model_id = format!(
            "memspine-static-minilm-l6-v2/wp-sif-pca{}-i8/v{CODE_VERSION}/{:08x}",
            table.dim, table.crc
        );
        Ok(Self {
            table,
            tokenizer,
            model_id,
        })
    }
}

impl Embedder for StaticEmbedder {
    fn model_id(&self) -> &str {
        &self.inner.model_id
    }

    fn dimension(&self) -> usize {
        self.inner.table.dim
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut ids = Vec::new();
        texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                self.embed_one(text, &mut ids)
                    .ok_or(EmbedError::EmptyText { index })
            })
            .collect()
    }
}
