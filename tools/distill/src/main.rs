//! Distils memspine's built-in static embedder from a sentence-transformers BERT model.
//!
//! model2vec-style: every WordPiece token goes through the transformer alone
//! (`[CLS] token [SEP]`, mean-pooled exactly as a one-token sentence), the 384-d outputs are
//! reduced by PCA, weighted by a Zipf/SIF frequency prior (frequent tokens count less), and
//! quantised to i8 with one scale per token. See README.md for how to regenerate the asset.

mod asset;
mod eval;
mod pca;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};

/// Command-line settings; every default is the one that produced the shipped asset.
struct Args {
    model: PathBuf,
    out: PathBuf,
    dim: usize,
    sif: f64,
    char_rank: usize,
    cache: Option<PathBuf>,
    triples: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        model: PathBuf::new(),
        out: PathBuf::from("../../index/assets/static-minilm-l6.mste"),
        dim: 128,
        sif: 1e-3,
        char_rank: 100,
        cache: None,
        triples: PathBuf::from("../../index/tests/fixtures/paraphrase_triples.tsv"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--model" => args.model = value.into(),
            "--out" => args.out = value.into(),
            "--dim" => args.dim = value.parse()?,
            "--sif" => args.sif = value.parse()?,
            "--char-rank" => args.char_rank = value.parse()?,
            "--cache" => args.cache = Some(value.into()),
            "--triples" => args.triples = value.into(),
            _ => bail!("unknown flag {flag}"),
        }
    }
    if args.model.as_os_str().is_empty() {
        bail!("usage: memspine-distill --model DIR [--out FILE] [--dim 128] [--sif 1e-3] [--char-rank 100] [--cache FILE] [--triples FILE]");
    }
    Ok(args)
}

/// The BERT model, loaded without memory-mapping (safe code only).
fn load_model(dir: &Path) -> Result<BertModel> {
    let config: Config = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json"))?)?;
    let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu)?;
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
    Ok(BertModel::load(vb, &config)?)
}

/// True for tokens that never carry meaning at run time: padding, specials, `[unusedN]`.
fn is_special(token: &str) -> bool {
    token.starts_with('[') && token.ends_with(']')
}

/// Mean-pooled output of `[CLS] t [SEP]` for every token t (V × hidden, row-major).
fn token_outputs(model: &BertModel, vocab: &[String], cls: u32, sep: u32) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    let start = std::time::Instant::now();
    for (n, chunk) in (0..vocab.len() as u32)
        .collect::<Vec<_>>()
        .chunks(512)
        .enumerate()
    {
        let ids: Vec<u32> = chunk.iter().flat_map(|&t| [cls, t, sep]).collect();
        let ids = Tensor::from_vec(ids, (chunk.len(), 3), &Device::Cpu)?;
        let types = ids.zeros_like()?;
        let hidden = model.forward(&ids, &types, None)?;
        out.extend(hidden.mean(1)?.flatten_all()?.to_vec1::<f32>()?);
        if n % 10 == 0 {
            eprintln!(
                "tokens {:>6}/{} {:?}",
                (n + 1) * 512,
                vocab.len(),
                start.elapsed()
            );
        }
    }
    Ok(out)
}

/// Token outputs from the cache file if given and present, else computed (and cached).
fn cached_outputs(args: &Args, model: &BertModel, vocab: &[String]) -> Result<Vec<f32>> {
    if let Some(path) = args.cache.as_ref().filter(|p| p.exists()) {
        let bytes = std::fs::read(path)?;
        return Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect());
    }
    let pos = |t: &str| vocab.iter().position(|v| v == t).map(|i| i as u32);
    let (cls, sep) = (
        pos("[CLS]").context("no [CLS]")?,
        pos("[SEP]").context("no [SEP]")?,
    );
    let rows = token_outputs(model, vocab, cls, sep)?;
    if let Some(path) = &args.cache {
        std::fs::write(
            path,
            rows.iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<u8>>(),
        )?;
    }
    Ok(rows)
}

/// SIF weight a / (a + p(token)) with p from Zipf's law over the vocabulary order, which for
/// BERT's WordPiece vocabulary is by frequency from the first word ("the") on. The block of
/// single characters before it is not frequency-ordered; it gets one fixed rank.
fn sif_weights(vocab: &[String], sif: f64, char_rank: usize) -> Vec<f64> {
    let first_word = vocab.iter().position(|t| t == "the").unwrap_or(0);
    let harmonic: f64 = (1..=vocab.len()).map(|r| 1.0 / (r as f64 + 1.0)).sum();
    let weight = |rank: usize| {
        let p = 1.0 / ((rank as f64 + 1.0) * harmonic);
        sif / (sif + p)
    };
    vocab
        .iter()
        .enumerate()
        .map(|(id, t)| match () {
            _ if is_special(t) => 0.0,
            _ if id < first_word => weight(char_rank),
            _ => weight(id - first_word + 1),
        })
        .collect()
}

/// PCA-project the non-special rows to `dim` axes and multiply by the SIF weights.
fn reduce(rows: &[f32], hidden: usize, vocab: &[String], args: &Args) -> Vec<f32> {
    let fit: Vec<f32> = rows
        .chunks_exact(hidden)
        .zip(vocab)
        .filter(|(_, t)| !is_special(t))
        .flat_map(|(r, _)| r.iter().copied())
        .collect();
    let (axes, mean) = pca::fit(&fit, hidden, args.dim);
    let weights = sif_weights(vocab, args.sif, args.char_rank);
    let mut out = Vec::with_capacity(vocab.len() * args.dim);
    for (row, w) in rows.chunks_exact(hidden).zip(&weights) {
        for axis in &axes {
            let dot: f64 = row
                .iter()
                .zip(&mean)
                .zip(axis)
                .map(|((&x, m), a)| (x as f64 - m) * a)
                .sum();
            out.push((dot * w) as f32);
        }
    }
    out
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let vocab: Vec<String> = std::fs::read_to_string(args.model.join("vocab.txt"))?
        .lines()
        .map(str::to_owned)
        .collect();
    let model = load_model(&args.model)?;
    let rows = cached_outputs(&args, &model, &vocab)?;
    let hidden = rows.len() / vocab.len();
    let reduced = reduce(&rows, hidden, &vocab, &args);
    let bytes = asset::encode(&vocab, &reduced, args.dim);
    std::fs::write(&args.out, &bytes)?;
    eprintln!(
        "wrote {} ({} bytes, {} tokens × {} dims)",
        args.out.display(),
        bytes.len(),
        vocab.len(),
        args.dim
    );
    let table = asset::dequantise(&reduced, args.dim);
    eval::report(&model, &args.model, &args.triples, &table, args.dim)
}
