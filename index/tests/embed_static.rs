//! The built-in static embedder: unit vectors of a fixed dimension, a stable identity, typed
//! errors for empty text, and paraphrases ranked above unrelated sentences.
#![allow(clippy::unwrap_used)] // test helpers panic on failure by design

use memspine_index::embed::{EmbedError, Embedder, StaticEmbedder};

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `anchor<TAB>paraphrase<TAB>unrelated` lines of the shared fixture.
fn triples() -> Vec<[String; 3]> {
    let text = include_str!("fixtures/paraphrase_triples.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let p: Vec<&str> = l.split('\t').collect();
            [p[0].to_owned(), p[1].to_owned(), p[2].to_owned()]
        })
        .collect()
}

#[test]
fn vectors_are_unit_length_and_deterministic() {
    let e = StaticEmbedder::new().unwrap();
    assert_eq!(e.dimension(), 128);
    let texts = [
        "How do I reset my password?",
        "Zürich café — naïve résumé!",
        "x",
    ];
    let a = e.embed_batch(&texts).unwrap();
    let b = e.embed_batch(&texts).unwrap();
    assert_eq!(a, b);
    for v in &a {
        assert_eq!(v.len(), 128);
        assert!((dot(v, v) - 1.0).abs() < 1e-5);
    }
    assert_eq!(e.embed(texts[0]).unwrap(), a[0]);
}

#[test]
fn model_id_names_version_dimension_and_table() {
    let e = StaticEmbedder::new().unwrap();
    let id = e.model_id();
    assert!(id.starts_with("memspine-static-minilm-l6-v2/"), "{id}");
    assert!(id.contains("pca128") && id.contains("/v1/"), "{id}");
    assert_eq!(StaticEmbedder::new().unwrap().model_id(), id);
}

#[test]
fn empty_text_is_a_typed_error() {
    let e = StaticEmbedder::new().unwrap();
    for bad in ["", "   \n\t", "\u{200b}"] {
        assert!(matches!(
            e.embed_batch(&["fine", bad]),
            Err(EmbedError::EmptyText { index: 1 })
        ));
    }
}

#[test]
fn accents_and_case_do_not_change_the_vector() {
    let e = StaticEmbedder::new().unwrap();
    assert_eq!(
        e.embed("CAFÉ in Zürich").unwrap(),
        e.embed("cafe in zurich").unwrap()
    );
}

#[test]
fn paraphrases_rank_above_unrelated_sentences() {
    let e = StaticEmbedder::new().unwrap();
    let triples = triples();
    let mut wins = 0;
    for [a, p, n] in &triples {
        let v = e.embed_batch(&[a, p, n]).unwrap();
        let (pos, neg) = (dot(&v[0], &v[1]), dot(&v[0], &v[2]));
        wins += usize::from(pos > neg);
        println!("{pos:.3} vs {neg:.3}  {a}");
    }
    println!("static embedder: {wins}/{} triples", triples.len());
    // MiniLM itself gets all of them; the static table is allowed a few misses.
    assert!(wins * 10 >= triples.len() * 9, "{wins}/{}", triples.len());
    let v = e
        .embed_batch(&[
            "How do I reset my password?",
            "I forgot my login credentials",
            "The invoice was paid",
        ])
        .unwrap();
    assert!(dot(&v[0], &v[1]) > dot(&v[0], &v[2]));
}

/// Prints the cost per text (run with `--release --nocapture` for the figure in the docs).
#[test]
fn reports_speed() {
    let start = std::time::Instant::now();
    let e = StaticEmbedder::new().unwrap();
    // Only the first `new` of the process decodes; others may have run first.
    println!("StaticEmbedder::new: {:?}", start.elapsed());
    let texts: Vec<String> = (0..2000)
        .map(|i| {
            format!("Memory {i}: the user said their flight to Tokyo was moved to Tuesday morning.")
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let start = std::time::Instant::now();
    let out = e.embed_batch(&refs).unwrap();
    let per_text = start.elapsed().as_secs_f64() * 1e6 / refs.len() as f64;
    println!("static embedder: {per_text:.2} µs per ~15-token text");
    assert_eq!(out.len(), refs.len());
}
