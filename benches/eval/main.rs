//! `memspine-eval`: retrieval quality on the project's eval set (benches/data/eval/).
//!
//! Loads `memories.jsonl` into a fresh database (each memory stored at its own time on a manual
//! clock), then for every query in `queries.jsonl` searches the asking user's memories and scores
//! the gold ids: recall@1/5/10 and MRR per mode (semantic, lexical, hybrid) and per query type,
//! plus recall of gold memories inside the context window at 500/1000/2000 tokens. `R@k` asks
//! whether any gold memory is in the top k (or the window); `gold` is the fraction of the query's
//! gold memories that are (most queries have 2-5).
//!
//! `cargo run --release -p memspine-benches --bin memspine-eval [-- --json out.json]`
//!
//! With all-MiniLM-L6-v2 instead of the built-in embedder (cargo feature `minilm`; the model
//! folder as .ci/minilm.sh downloads it):
//! `cargo run --release -p memspine-benches --features minilm --bin memspine-eval -- --minilm DIR`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use memspine::clock::DAY;
use memspine::jsonl::JsonMemory;
use memspine::{
    ContextOptions, Durability, Filter, ManualClock, MemoryId, Options, SearchMode, SearchOptions,
    Spine,
};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Query {
    query: String,
    user: String,
    gold: Vec<u64>,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Default, Serialize, Clone)]
struct Score {
    n: usize,
    r1: f64,
    r5: f64,
    r10: f64,
    mrr: f64,
    /// Fraction of the query's gold memories in the top 10 (search) or inside the window
    /// (context), where the `r` columns ask only whether any is.
    gold: f64,
}

impl Score {
    fn add(&mut self, ranked: &[u64], gold: &[u64]) {
        let hit_at = |k: usize| ranked.iter().take(k).any(|id| gold.contains(id));
        self.n += 1;
        self.r1 += f64::from(u8::from(hit_at(1)));
        self.r5 += f64::from(u8::from(hit_at(5)));
        self.r10 += f64::from(u8::from(hit_at(10)));
        if let Some(pos) = ranked.iter().position(|id| gold.contains(id)) {
            self.mrr += 1.0 / (pos as f64 + 1.0);
        }
        self.gold += gold_fraction(ranked.iter().take(10), gold);
    }
    fn mean(&self) -> Score {
        let n = self.n.max(1) as f64;
        Score {
            n: self.n,
            r1: self.r1 / n,
            r5: self.r5 / n,
            r10: self.r10 / n,
            mrr: self.mrr / n,
            gold: self.gold / n,
        }
    }
}

/// The fraction of `gold` among `found`.
fn gold_fraction<'a>(found: impl Iterator<Item = &'a u64>, gold: &[u64]) -> f64 {
    let mut found: Vec<u64> = found.copied().filter(|id| gold.contains(id)).collect();
    found.sort_unstable();
    found.dedup();
    found.len() as f64 / gold.len().max(1) as f64
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/eval")
}

/// The embedder: the built-in one, or MiniLM from `--minilm DIR` (feature `minilm`).
fn embedder() -> Result<memspine::EmbedderChoice> {
    let Some(dir) = std::env::args().skip_while(|a| a != "--minilm").nth(1) else {
        return Ok(memspine::EmbedderChoice::Default);
    };
    #[cfg(feature = "minilm")]
    {
        let m = memspine_index::embed::SentenceTransformer::load(std::path::Path::new(&dir))
            .with_context(|| format!("loading MiniLM from {dir}"))?;
        Ok(memspine::EmbedderChoice::Custom(Arc::new(m)))
    }
    #[cfg(not(feature = "minilm"))]
    anyhow::bail!("--minilm {dir}: build with `--features minilm`")
}

fn load(dir: &std::path::Path) -> Result<(Spine, ManualClock, String)> {
    let text = std::fs::read_to_string(data_dir().join("memories.jsonl"))
        .context("reading memories.jsonl")?;
    let clock = ManualClock::new(0);
    let opts = Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::None,
        embedder: embedder()?,
        ..Options::default()
    };
    let db = Spine::open(dir, opts)?;
    let mut last = 0;
    let mut batch = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let m = serde_json::from_str::<JsonMemory>(line)?.into_new()?;
        last = m.created_at.unwrap_or(last);
        batch.push(m);
    }
    // One batch: ids equal line numbers; embedding happens inside store_batch.
    let t = std::time::Instant::now();
    let ids = db.store_batch(batch)?;
    anyhow::ensure!(ids.first() == Some(&MemoryId(1)), "ids must start at 1");
    eprintln!("loaded {} memories in {:?}", ids.len(), t.elapsed());
    clock.set(last + DAY);
    let model = db.model_id().unwrap_or("caller vectors").to_owned();
    Ok((db, clock, model))
}

fn main() -> Result<()> {
    let json_out = std::env::args().skip_while(|a| a != "--json").nth(1);
    let queries: Vec<Query> = std::fs::read_to_string(data_dir().join("queries.jsonl"))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let tmp = tempdir()?;
    let (db, _clock, model) = load(&tmp)?;
    let mut report: BTreeMap<String, BTreeMap<String, Score>> = BTreeMap::new();
    for mode in [
        SearchMode::Semantic,
        SearchMode::Lexical,
        SearchMode::Hybrid,
    ] {
        let name = format!("{mode:?}").to_lowercase();
        let mut by_type: BTreeMap<String, Score> = BTreeMap::new();
        for q in &queries {
            let opts = SearchOptions {
                limit: 10,
                mode,
                filter: Filter::user(q.user.clone()),
                track_access: false,
                ..Default::default()
            };
            let ranked: Vec<u64> = match db.search(&q.query, &opts) {
                Ok(h) => h.iter().map(|h| h.id.0).collect(),
                Err(e) => {
                    eprintln!("{name}: {e}");
                    break;
                }
            };
            by_type
                .entry(q.kind.clone())
                .or_default()
                .add(&ranked, &q.gold);
            by_type
                .entry("all".into())
                .or_default()
                .add(&ranked, &q.gold);
        }
        report.insert(
            name,
            by_type.into_iter().map(|(k, v)| (k, v.mean())).collect(),
        );
    }
    for budget in [500usize, 1000, 2000] {
        let mut by_type: BTreeMap<String, Score> = BTreeMap::new();
        for q in &queries {
            let opts = ContextOptions {
                filter: Filter::user(q.user.clone()),
                track_access: false,
                ..Default::default()
            };
            let w = db.llm_context_window(&q.query, budget, &opts)?;
            let inside: Vec<u64> = w.chosen.iter().map(|c| c.id.0).collect();
            // Recall in context: whether any gold memory made it into the window (the `r10`
            // column), and which fraction of them did (`gold`).
            let hit = inside.iter().any(|id| q.gold.contains(id));
            let fraction = gold_fraction(inside.iter(), &q.gold);
            for key in [q.kind.clone(), "all".into()] {
                let s = by_type.entry(key).or_default();
                s.n += 1;
                s.r10 += f64::from(u8::from(hit));
                s.gold += fraction;
            }
        }
        report.insert(
            format!("context@{budget}"),
            by_type.into_iter().map(|(k, v)| (k, v.mean())).collect(),
        );
    }
    println!("model: {model}; {} queries", queries.len());
    println!(
        "{:<14} {:<14} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "mode", "type", "n", "R@1", "R@5", "R@10", "MRR", "gold"
    );
    for (mode, types) in &report {
        for (ty, s) in types {
            if mode.starts_with("context") {
                println!(
                    "{:<14} {:<14} {:>5} {:>7} {:>7} {:>7.3} {:>7} {:>7.3}",
                    mode, ty, s.n, "", "", s.r10, "", s.gold
                );
            } else {
                println!(
                    "{:<14} {:<14} {:>5} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3}",
                    mode, ty, s.n, s.r1, s.r5, s.r10, s.mrr, s.gold
                );
            }
        }
    }
    if let Some(p) = json_out {
        std::fs::write(
            &p,
            serde_json::to_string_pretty(&serde_json::json!({ "model": model, "report": report }))?,
        )?;
    }
    Ok(())
}

fn tempdir() -> Result<PathBuf> {
    let p = std::env::temp_dir().join(format!("memspine-eval-{}", std::process::id()));
    if p.exists() {
        std::fs::remove_dir_all(&p)?;
    }
    Ok(p)
}
