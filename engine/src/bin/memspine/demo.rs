//! `memspine demo`: builds a database from the shipped customer-support sample and shows the engine.

use std::path::PathBuf;

use anyhow::Result;
use memspine::clock::{format_rfc3339, parse_rfc3339, DAY};
use memspine::{Filter, ManualClock, Options, Spine};

use crate::output::{memory_line, Out};

/// The sample: a customer-support history of a few users over several weeks.
const SAMPLE: &str = include_str!("../../../data/support_demo.jsonl");
/// Facts about the same world, some superseded (e.g. Alice moved from Berlin to Munich).
const GRAPH: &str = include_str!("../../../data/support_demo_graph.jsonl");

fn load_graph(db: &Spine) -> Result<usize> {
    for p in ["lives_in", "has_plan", "works_at"] {
        db.declare_predicate(p, true)?;
    }
    let mut n = 0;
    for line in GRAPH.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let s = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let t = |k: &str| v.get(k).and_then(|x| x.as_str()).and_then(parse_rfc3339);
        let mut triple = memspine::NewTriple::new(&s("subject"), &s("predicate"), &s("object"), 0);
        triple.confidence = v.get("confidence").and_then(|c| c.as_f64()).unwrap_or(1.0) as f32;
        triple.source = s("source");
        triple.valid_from = t("valid_from");
        triple.valid_to = t("valid_to");
        triple.timestamp = t("valid_from").unwrap_or(0);
        db.add_triple(triple)?;
        n += 1;
    }
    Ok(n)
}

pub fn run(dir: Option<PathBuf>, out: &Out) -> Result<()> {
    let dir = match dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("memspine-demo-{}", std::process::id())),
    };
    if dir.exists() {
        anyhow::bail!(
            "{} already exists; pass --out to a new directory",
            dir.display()
        );
    }
    // The demo's "now" is the day after the sample ends, so windows like "last 7 days" mean something.
    let end = SAMPLE
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| parse_rfc3339(v.get("created_at")?.as_str()?))
        .max()
        .unwrap_or(0);
    let clock = ManualClock::new(0);
    let opts = Options {
        clock: std::sync::Arc::new(clock.clone()),
        durability: memspine::Durability::None,
        ..Options::default()
    };
    let t0 = std::time::Instant::now();
    let db = Spine::open(&dir, opts)?;
    // Replay the history as it happened: the clock stands at each memory's time when it is stored,
    // so the event log's windows mean what they say.
    let mut imported = 0;
    for line in SAMPLE.lines().filter(|l| !l.trim().is_empty()) {
        let m: memspine::jsonl::JsonMemory = serde_json::from_str(line)?;
        let m = m.into_new()?;
        clock.set(m.created_at.unwrap_or(end));
        db.store(m)?;
        imported += 1;
    }
    clock.set(end + DAY);
    let took = t0.elapsed();
    section(out, "memspine demo");
    println!(
        "Built {} from the shipped customer-support sample: {} memories in {:.1} ms.",
        dir.display(),
        imported,
        took.as_secs_f64() * 1000.0
    );
    println!(
        "Now is {} (the day after the sample ends).",
        format_rfc3339(clock_now(&db))
    );

    section(out, "The five most recent memories (recent(5))");
    for m in db.recent(5)? {
        println!("{}", memory_line(&m));
    }

    section(out, "Pinned memories");
    for id in db.filter_ids(&Filter {
        pinned: Some(true),
        ..Default::default()
    })? {
        println!("{}", memory_line(&db.get(id)?));
    }

    section(
        out,
        "Alice's billing memories (bitmap filter: user:alice AND tag:billing)",
    );
    let f = Filter {
        user: Some("alice".into()),
        tags: vec!["billing".into()],
        ..Default::default()
    };
    for id in db.filter_ids(&f)?.into_iter().take(8) {
        println!("{}", memory_line(&db.get(id)?));
    }

    section(
        out,
        "Event log: memory events of the last 7 days (query_recent(168, memory.stored))",
    );
    let evs = db.query_recent(7.0 * 24.0, Some("memory.stored"))?;
    println!("{} events; the first three:", evs.len());
    for e in evs.iter().take(3) {
        println!(
            "  #{} {} {}",
            e.seq(),
            format_rfc3339(e.timestamp()),
            e.event_type()
        );
    }

    section(
        out,
        "Search: \"my sign-in keeps breaking\" for alice (hybrid = built-in embedder + BM25)",
    );
    for mode in [memspine::SearchMode::Lexical, memspine::SearchMode::Hybrid] {
        let opts = memspine::SearchOptions {
            limit: 3,
            mode,
            filter: Filter::user("alice"),
            ..Default::default()
        };
        println!("{mode:?}:");
        for h in db.search("my sign-in keeps breaking", &opts)? {
            println!("  {:.3}  {}", h.score, memory_line(&h.memory));
        }
    }

    section(
        out,
        "Context window for an LLM: \"What did Alice say about her login problem?\" (250 tokens)",
    );
    let opts = memspine::ContextOptions {
        filter: Filter::user("alice"),
        ..Default::default()
    };
    let w = db.llm_context_window("What did Alice say about her login problem?", 250, &opts)?;
    println!("{}", w.text);
    println!(
        "({} of {} tokens; {} memories chosen, {} candidates dropped with a reason)",
        w.tokens_used,
        w.max_tokens,
        w.chosen.len(),
        w.dropped.len()
    );

    section(out, "Update and history");
    if let Some(m) = db.recent(1)?.pop() {
        db.update(
            m.id,
            memspine::MemoryUpdate {
                importance: Some(0.9),
                ..Default::default()
            },
        )?;
        for e in db.history(m.id)? {
            println!(
                "  #{} {} {}",
                e.seq(),
                format_rfc3339(e.timestamp()),
                e.event_type()
            );
        }
    }

    section(
        out,
        "Knowledge graph: Alice's neighbourhood, depth 2 (entities and the relations among them)",
    );
    let facts = load_graph(&db)?;
    let n = db.neighborhood("alice", 2, &memspine::TraversalOptions::default())?;
    println!(
        "{facts} facts loaded; {} entities and {} relations around Alice:",
        n.entities.len(),
        n.relations.len()
    );
    let name = |id: u64| {
        n.entities
            .iter()
            .find(|h| h.id == id)
            .and_then(|h| h.entity.as_ref().map(|e| e.name.clone()))
            .unwrap_or_default()
    };
    for r in n.relations.iter().take(8) {
        println!("  {} —{}→ {}", name(r.subject), r.predicate, name(r.object));
    }
    let before = memspine::TraversalOptions {
        as_of: parse_rfc3339("2026-10-01"),
        predicates: vec!["lives_in".into()],
        ..Default::default()
    };
    let then = db.neighborhood("Alice", 1, &before)?;
    let now_opts = memspine::TraversalOptions {
        predicates: vec!["lives_in".into()],
        ..Default::default()
    };
    let now = db.neighborhood("Alice", 1, &now_opts)?;
    let city = |n: &memspine::Neighborhood| {
        n.entities
            .iter()
            .filter(|h| h.distance == 1)
            .filter_map(|h| h.entity.as_ref().map(|e| e.name.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "Where does Alice live? On 2026-10-01: {}; now: {}",
        city(&then),
        city(&now)
    );

    section(out, "Integrity");
    let r = db.verify()?;
    println!(
        "verify: {} memories, {} events, {} bitmaps checked — {}",
        r.memories,
        r.events,
        r.bitmaps,
        if r.is_ok() { "ok" } else { "PROBLEMS" }
    );
    let s = db.stats()?;
    println!(
        "stats: {} memories, {} users, {} tags, {} events, {} bytes on disk",
        s.memories, s.users, s.tags, s.events, s.bytes_on_disk
    );
    println!(
        "\nExplore it: memspine --db {} recent --count 5",
        dir.display()
    );
    Ok(())
}

fn clock_now(db: &Spine) -> u64 {
    db.now()
}

fn section(_out: &Out, title: &str) {
    println!("\n== {title} ==");
}
