//! The `minilm` feature matches sentence-transformers: vectors computed once in Python
//! (tools/distill/reference.py) agree to cosine ≥ 0.999. Needs the model folder in
//! MEMSPINE_MINILM_DIR (.ci/minilm.sh downloads it); skipped with a note when unset.
#![cfg(feature = "minilm")]
#![allow(clippy::unwrap_used)] // test helpers panic on failure by design

use std::path::PathBuf;

use memspine_index::embed::{EmbedError, Embedder, SentenceTransformer, StaticEmbedder};

fn model() -> Option<SentenceTransformer> {
    let Some(dir) = std::env::var_os("MEMSPINE_MINILM_DIR") else {
        eprintln!(
            "note: MEMSPINE_MINILM_DIR is unset; skipping the MiniLM test (see .ci/minilm.sh)"
        );
        return None;
    };
    Some(SentenceTransformer::load(&PathBuf::from(dir)).unwrap())
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn matches_sentence_transformers_reference() {
    let Some(m) = model() else { return };
    assert_eq!(m.dimension(), 384);
    assert!(m
        .model_id()
        .starts_with("sentence-transformers/bert-6x384/mean-l2-t256/v1/"));
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/minilm_reference.json")).unwrap();
    let rows = fixture["sentences"].as_array().unwrap();
    let texts: Vec<&str> = rows.iter().map(|r| r["text"].as_str().unwrap()).collect();
    let got = m.embed_batch(&texts).unwrap();
    for (row, v) in rows.iter().zip(&got) {
        let want: Vec<f32> = row["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let cos = dot(&want, v);
        println!("cos {cos:.6}  {:.50}", row["text"].as_str().unwrap());
        assert!(cos >= 0.999, "cos {cos} for {:?}", row["text"]);
    }
    // One at a time (no padding) equals the padded batch.
    let single = m.embed(texts[0]).unwrap();
    assert!(dot(&single, &got[0]) > 0.99999);
    let cats = dot(&got[0], &got[1]);
    assert!(
        (cats - 0.9726).abs() < 5e-4,
        "cos(cat sits, cat sitting) = {cats}"
    );
    assert!(matches!(
        m.embed_batch(&["a", " "]),
        Err(EmbedError::EmptyText { index: 1 })
    ));
}

/// How often the built-in static embedder agrees with MiniLM on the paraphrase triples.
#[test]
fn static_embedder_agreement_with_minilm() {
    let Some(m) = model() else { return };
    let s = StaticEmbedder::new().unwrap();
    let text = include_str!("fixtures/paraphrase_triples.tsv");
    let (mut full, mut stat, mut agree, mut n) = (0, 0, 0, 0);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let t: Vec<&str> = line.split('\t').collect();
        let (vf, vs) = (m.embed_batch(&t).unwrap(), s.embed_batch(&t).unwrap());
        let f = dot(&vf[0], &vf[1]) > dot(&vf[0], &vf[2]);
        let st = dot(&vs[0], &vs[1]) > dot(&vs[0], &vs[2]);
        (full, stat, agree, n) = (
            full + f as u32,
            stat + st as u32,
            agree + (f == st) as u32,
            n + 1,
        );
    }
    println!("triples: MiniLM {full}/{n}, static {stat}/{n}, agreement {agree}/{n}");
    assert_eq!(full, n, "MiniLM ranks every paraphrase first");
}
