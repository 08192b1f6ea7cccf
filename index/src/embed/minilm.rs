//! A sentence-transformers BERT model (e.g. all-MiniLM-L6-v2) from a local folder, run with
//! candle: the same token ids, mean pooling over the attention mask and L2 normalisation as
//! sentence-transformers, so vectors match its output (cosine ≥ 0.999, tested against a
//! Python fixture in `tests/embed_minilm.rs`).

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

use super::{normalised, EmbedError, Embedder};

/// sentence-transformers' `max_seq_length` for MiniLM: inputs are cut at 256 tokens
/// (specials included). The shipped tokenizer.json says 128 with padding; both are overridden.
const MAX_TOKENS: usize = 256;
/// Texts run through the model together (sorted by length so padding stays small).
const BATCH: usize = 16;
/// Bumped whenever tokenisation or pooling here changes.
const CODE_VERSION: u32 = 1;

/// A sentence-transformers BERT model with mean pooling and normalisation.
pub struct SentenceTransformer {
    model: BertModel,
    tokenizer: Tokenizer,
    dim: usize,
    model_id: String,
}

impl std::fmt::Debug for SentenceTransformer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceTransformer")
            .field("model_id", &self.model_id)
            .finish_non_exhaustive()
    }
}

fn load_err(path: &Path, detail: impl ToString) -> EmbedError {
    EmbedError::ModelLoad {
        path: path.to_owned(),
        detail: detail.to_string(),
    }
}

fn read(path: PathBuf) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(&path).map_err(|source| EmbedError::Io { path, source })
}

fn infer_err(e: candle_core::Error) -> EmbedError {
    EmbedError::Inference(e.to_string())
}

impl SentenceTransformer {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir` (read into
    /// memory, not mapped). The model id carries the crc32 of the weights and the tokenizer.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let config_bytes = read(dir.join("config.json"))?;
        let config: Config = serde_json::from_slice(&config_bytes).map_err(|e| load_err(dir, e))?;
        let weights = read(dir.join("model.safetensors"))?;
        let tokenizer_bytes = read(dir.join("tokenizer.json"))?;
        let tensors = candle_core::safetensors::load_buffer(&weights, &Device::Cpu)
            .map_err(|e| load_err(dir, e))?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let model = BertModel::load(vb, &config).map_err(|e| load_err(dir, e))?;
        let tokenizer = sentence_transformers_tokenizer(dir, &tokenizer_bytes)?;
        let mut crc = crc32fast::Hasher::new();
        for part in [&config_bytes, &weights, &tokenizer_bytes] {
            crc.update(part);
        }
        let model_id = format!(
            "sentence-transformers/bert-{}x{}/mean-l2-t{MAX_TOKENS}/v{CODE_VERSION}/{:08x}",
            config.num_hidden_layers,
            config.hidden_size,
            crc.finalize()
        );
        Ok(Self {
            model,
            tokenizer,
            dim: config.hidden_size,
            model_id,
        })
    }

    /// Token ids of one text, `[CLS] … [SEP]`, truncated as sentence-transformers does.
    fn ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Mean-pooled, normalised vectors of a batch of token-id sequences.
    fn run(&self, seqs: &[&Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let len = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        let (mut ids, mut mask) = (Vec::new(), Vec::new());
        for s in seqs {
            ids.extend(s.iter().copied().chain(std::iter::repeat(0)).take(len));
            mask.extend((0..len).map(|i| u32::from(i < s.len())));
        }
        let shape = (seqs.len(), len);
        let ids = Tensor::from_vec(ids, shape, &Device::Cpu).map_err(infer_err)?;
        let mask = Tensor::from_vec(mask, shape, &Device::Cpu).map_err(infer_err)?;
        let hidden = self
            .model
            .forward(&ids, &ids.zeros_like().map_err(infer_err)?, Some(&mask))
            .map_err(infer_err)?;
        let pooled = mean_pool(&hidden, &mask).map_err(infer_err)?;
        pooled
            .into_iter()
            .map(|v| normalised(v).ok_or_else(|| EmbedError::Inference("non-finite output".into())))
            .collect()
    }
}

/// sentence-transformers' `Pooling(mean)`: sum of token states where the mask is 1, divided
/// by max(count, 1e-9).
fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Vec<Vec<f32>>> {
    let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&m)?.sum(1)?;
    let counts = m.sum(1)?.clamp(1e-9f32, f32::MAX)?;
    summed.broadcast_div(&counts)?.to_vec2::<f32>()
}

/// The folder's tokenizer with sentence-transformers' settings: no padding (the batch is
/// padded here, with a mask) and truncation at 256 tokens.
fn sentence_transformers_tokenizer(dir: &Path, bytes: &[u8]) -> Result<Tokenizer, EmbedError> {
    let mut tokenizer = Tokenizer::from_bytes(bytes).map_err(|e| load_err(dir, e))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: MAX_TOKENS,
            ..Default::default()
        }))
        .map_err(|e| load_err(dir, e))?;
    Ok(tokenizer)
}

impl Embedder for SentenceTransformer {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimension(&self) -> usize {
        self.dim
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if let Some(index) = texts.iter().position(|t| t.trim().is_empty()) {
            return Err(EmbedError::EmptyText { index });
        }
        let seqs = texts
            .iter()
            .map(|t| self.ids(t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut order: Vec<usize> = (0..seqs.len()).collect();
        order.sort_by_key(|&i| seqs[i].len());
        let mut out = vec![Vec::new(); seqs.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&Vec<u32>> = chunk.iter().map(|&i| &seqs[i]).collect();
            for (&i, v) in chunk.iter().zip(self.run(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}
