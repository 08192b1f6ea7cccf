//! Compares the distilled table with the full model on paraphrase triples.

use std::path::Path;

use anyhow::{anyhow, Result};
use candle_core::{Device, Tensor};
use candle_transformers::models::bert::BertModel;
use tokenizers::{Tokenizer, TruncationParams};

/// Reads `anchor<TAB>paraphrase<TAB>unrelated` lines (`#` starts a comment).
fn read_triples(path: &Path) -> Result<Vec<[String; 3]>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split('\t').collect();
        if let [a, p, n] = parts[..] {
            out.push([a.to_owned(), p.to_owned(), n.to_owned()]);
        }
    }
    Ok(out)
}

fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// sentence-transformers' pipeline: mean of the last hidden state, L2-normalised.
fn full_embedding(model: &BertModel, tok: &Tokenizer, text: &str) -> Result<Vec<f32>> {
    let ids = tok
        .encode(text, true)
        .map_err(|e| anyhow!("{e}"))?
        .get_ids()
        .to_vec();
    let n = ids.len();
    let ids = Tensor::from_vec(ids, (1, n), &Device::Cpu)?;
    let hidden = model.forward(&ids, &ids.zeros_like()?, None)?;
    Ok(normalise(hidden.mean(1)?.flatten_all()?.to_vec1::<f32>()?))
}

/// The run-time static embedding: normalised sum of the (weighted) token rows, no specials.
fn static_embedding(tok: &Tokenizer, table: &[f32], dim: usize, text: &str) -> Result<Vec<f32>> {
    let enc = tok.encode(text, false).map_err(|e| anyhow!("{e}"))?;
    let mut sum = vec![0f32; dim];
    for &id in enc.get_ids() {
        let row = &table[id as usize * dim..(id as usize + 1) * dim];
        sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
    }
    Ok(normalise(sum))
}

/// Spearman rank correlation of two equally long samples (no tie correction needed here).
fn spearman(a: &[f32], b: &[f32]) -> f64 {
    let ranks = |v: &[f32]| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0f64; v.len()];
        idx.iter()
            .enumerate()
            .for_each(|(rank, &i)| r[i] = rank as f64);
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let d2: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - y) * (x - y)).sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

/// Prints triple accuracy of both embedders, their agreement, and the Spearman correlation
/// of all pairwise cosines between the sentences of the triples.
pub fn report(
    model: &BertModel,
    dir: &Path,
    triples: &Path,
    table: &[f32],
    dim: usize,
) -> Result<()> {
    let mut tok = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| anyhow!("{e}"))?;
    tok.with_padding(None);
    tok.with_truncation(Some(TruncationParams {
        max_length: 256,
        ..Default::default()
    }))
    .map_err(|e| anyhow!("{e}"))?;
    let triples = read_triples(triples)?;
    let sentences: Vec<&String> = triples.iter().flatten().collect();
    let full: Vec<Vec<f32>> = sentences
        .iter()
        .map(|s| full_embedding(model, &tok, s))
        .collect::<Result<_>>()?;
    let stat: Vec<Vec<f32>> = sentences
        .iter()
        .map(|s| static_embedding(&tok, table, dim, s))
        .collect::<Result<_>>()?;
    let (mut ok_full, mut ok_stat, mut agree) = (0, 0, 0);
    for t in 0..triples.len() {
        let (a, p, n) = (3 * t, 3 * t + 1, 3 * t + 2);
        let f = dot(&full[a], &full[p]) > dot(&full[a], &full[n]);
        let s = dot(&stat[a], &stat[p]) > dot(&stat[a], &stat[n]);
        ok_full += f as usize;
        ok_stat += s as usize;
        agree += (f == s) as usize;
        println!(
            "{:<45} pos {:.3}/{:.3} neg {:.3}/{:.3}",
            sentences[a].chars().take(45).collect::<String>(),
            dot(&full[a], &full[p]),
            dot(&stat[a], &stat[p]),
            dot(&full[a], &full[n]),
            dot(&stat[a], &stat[n])
        );
    }
    let (mut pf, mut ps) = (Vec::new(), Vec::new());
    for i in 0..sentences.len() {
        for j in i + 1..sentences.len() {
            pf.push(dot(&full[i], &full[j]));
            ps.push(dot(&stat[i], &stat[j]));
        }
    }
    // Paraphrase retrieval: for each anchor, is its paraphrase the nearest of all other sentences?
    let top1 = |e: &[Vec<f32>]| {
        (0..triples.len())
            .filter(|&t| {
                let a = 3 * t;
                let best = (0..e.len())
                    .filter(|&j| j != a)
                    .max_by(|&i, &j| dot(&e[a], &e[i]).total_cmp(&dot(&e[a], &e[j])));
                best == Some(a + 1)
            })
            .count()
    };
    let n = triples.len();
    println!("triples: MiniLM {ok_full}/{n}, static {ok_stat}/{n}, agreement {agree}/{n}");
    println!(
        "paraphrase is nearest of all {} sentences: MiniLM {}/{n}, static {}/{n}",
        sentences.len(),
        top1(&full),
        top1(&stat)
    );
    println!(
        "spearman(pairwise cosines static vs MiniLM) = {:.3} over {} pairs",
        spearman(&ps, &pf),
        pf.len()
    );
    Ok(())
}
