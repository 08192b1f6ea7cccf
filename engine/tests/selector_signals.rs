//! The adaptive selector's score: each signal alone, the documented sum with the default weights,
//! the recency half-life, `min_score` (never for pinned memories) and the duplicate threshold.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use memspine::context::{Candidate, DropReason, Section};
use memspine::{ContextOptions, ManualClock, MemoryId, NewMemory, NewTriple, Spine, Weights};

const HOUR: u64 = 3_600_000_000;
const QUERY: &str = "what about Alice and the invoice refund?";
const QUERY_VECTOR: [f32; 4] = [1.0, 0.0, 0.0, 0.0];

fn open_vec(path: &std::path::Path, clock: &ManualClock) -> Spine {
    common::open_vec4(path, clock)
}

fn unit(v: [f32; 4]) -> [f32; 4] {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.map(|x| x / n)
}

fn cosine(a: [f32; 4], b: [f32; 4]) -> f32 {
    let (a, b) = (unit(a), unit(b));
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A database whose memories differ in every signal, and each memory's vector.
struct Fixture {
    _dir: tempfile::TempDir,
    db: Spine,
    vectors: HashMap<MemoryId, [f32; 4]>,
    linked: MemoryId,
    near: MemoryId,
}

fn fixture() -> Fixture {
    let dir = common::temp();
    let clock = ManualClock::new(common::T0);
    let db = open_vec(&common::db_path(&dir), &clock);
    let mut vectors = HashMap::new();
    let specs: [(&str, [f32; 4], f32, bool, u64); 8] = [
        (
            "Alice's invoice was refunded",
            [1.0, 0.2, 0.0, 0.0],
            0.9,
            false,
            200,
        ),
        (
            "the invoice arrived late",
            [0.5, 0.5, 0.5, 0.0],
            0.2,
            false,
            30,
        ),
        (
            "refund refund refund invoice",
            [0.0, 1.0, 0.0, 0.0],
            0.5,
            true,
            100,
        ),
        ("she moved to Munich", [0.0, 0.0, 1.0, 0.0], 0.4, false, 5),
        ("weather talk", [-1.0, 0.1, 0.0, 0.0], 0.0, false, 0),
        (
            "an old pinned preference",
            [0.0, 0.0, 0.0, 1.0],
            0.0,
            true,
            900,
        ),
        (
            "billing cycle changed",
            [0.7, 0.0, 0.7, 0.1],
            1.0,
            false,
            48,
        ),
        (
            "new login from Berlin",
            [0.3, -0.4, 0.2, 0.8],
            0.6,
            false,
            1,
        ),
    ];
    let mut ids = Vec::new();
    for (text, v, importance, pinned, hours_ago) in specs {
        let id = db
            .store(
                NewMemory::new(text)
                    .vector(v.to_vec())
                    .importance(importance)
                    .pinned(pinned)
                    .created_at(common::T0 - hours_ago * HOUR),
            )
            .unwrap();
        vectors.insert(id, v);
        ids.push(id);
    }
    // Access counts 0, 1, 3, 7, 15, …
    for (i, id) in ids.iter().enumerate() {
        for _ in 0..(1u32 << i) - 1 {
            db.note_access(&[*id]);
        }
    }
    db.flush_access().unwrap();
    db.add_triple(NewTriple::new("Alice", "lives_in", "Munich", 0))
        .unwrap();
    db.link_memory(ids[0], &["Alice"]).unwrap();
    db.link_memory(ids[3], &["Munich"]).unwrap();
    clock.advance(Duration::from_secs(3 * 3600));
    Fixture {
        _dir: dir,
        linked: ids[0],
        near: ids[3],
        db,
        vectors,
    }
}

fn opts(weights: Weights) -> ContextOptions {
    ContextOptions {
        weights,
        query_vector: Some(QUERY_VECTOR.to_vec()),
        track_access: false,
        ..Default::default()
    }
}

const NO_WEIGHTS: Weights = Weights {
    semantic: 0.0,
    lexical: 0.0,
    recency: 0.0,
    importance: 0.0,
    access: 0.0,
    graph: 0.0,
    pinned: 0.0,
};

/// Each signal as the score formula reads it.
fn signals(c: &Candidate) -> [(&'static str, f32); 7] {
    let s = &c.signals;
    [
        ("semantic", s.semantic.unwrap_or(0.0).max(0.0)),
        ("lexical", s.lexical.unwrap_or(0.0)),
        ("recency", s.recency),
        ("importance", s.importance),
        ("access", s.access),
        ("graph", s.graph),
        ("pinned", f32::from(u8::from(s.pinned))),
    ]
}

fn with_only(name: &str, w: f32) -> Weights {
    let mut ws = NO_WEIGHTS;
    let slot = match name {
        "semantic" => &mut ws.semantic,
        "lexical" => &mut ws.lexical,
        "recency" => &mut ws.recency,
        "importance" => &mut ws.importance,
        "access" => &mut ws.access,
        "graph" => &mut ws.graph,
        "pinned" => &mut ws.pinned,
        other => panic!("{other}"),
    };
    *slot = w;
    ws
}

/// The signals derived from the memory itself (and its vector), independently of the selector.
fn check_signals(f: &Fixture, c: &Candidate, half_life_hours: f64) {
    let m = &c.memory;
    let s = &c.signals;
    let age_h = (f.db.now() - m.created_at) as f64 / HOUR as f64;
    let recency = 0.5f64.powf(age_h / half_life_hours) as f32;
    assert!((s.recency - recency).abs() < 1e-5, "{}: {s:?}", m.content);
    assert_eq!(s.importance, m.importance);
    let access = ((1.0 + m.access_count as f64).ln() / 101f64.ln()).min(1.0) as f32;
    assert!((s.access - access).abs() < 1e-6, "{}: {s:?}", m.content);
    assert_eq!(s.pinned, m.pinned);
    let cos = cosine(QUERY_VECTOR, f.vectors[&m.id]);
    let sem = s
        .semantic
        .expect("every memory has a vector: a semantic hit");
    assert!((sem - cos).abs() < 1e-3, "{}: {sem} vs {cos}", m.content);
    let lexical_hit = ["invoice", "refund"]
        .iter()
        .any(|w| m.content.to_lowercase().contains(w));
    assert_eq!(s.lexical.is_some(), lexical_hit, "{}: {s:?}", m.content);
    let graph = if m.id == f.linked {
        1.0
    } else if m.id == f.near {
        0.5
    } else {
        0.0
    };
    assert_eq!(s.graph, graph, "{}", m.content);
    assert_eq!(
        c.section,
        if m.pinned {
            Section::Pinned
        } else {
            Section::Relevant
        }
    );
}

#[test]
fn each_signal_alone_is_its_weight_times_the_signal() {
    let f = fixture();
    for name in [
        "semantic",
        "lexical",
        "recency",
        "importance",
        "access",
        "graph",
        "pinned",
    ] {
        let w = 0.7;
        let cands =
            f.db.select_memories(QUERY, &opts(with_only(name, w)))
                .unwrap();
        assert_eq!(cands.len(), f.vectors.len(), "{name}");
        let mut positive = 0;
        for c in &cands {
            check_signals(&f, c, 72.0);
            let signal = signals(c).into_iter().find(|s| s.0 == name).unwrap().1;
            assert!(
                (c.score - w * signal).abs() < 1e-6,
                "{name}: {} scored {} for signal {signal}",
                c.memory.content,
                c.score
            );
            positive += usize::from(signal > 0.0);
        }
        assert!(
            positive >= 2,
            "{name}: the fixture gives the signal to several memories"
        );
        assert!(
            cands.windows(2).all(|p| p[0].score >= p[1].score),
            "best first"
        );
    }
    // The best lexical hit is the norm.
    let cands =
        f.db.select_memories(QUERY, &opts(Weights::default()))
            .unwrap();
    let max = cands
        .iter()
        .filter_map(|c| c.signals.lexical)
        .fold(0f32, f32::max);
    assert_eq!(max, 1.0);
}

#[test]
fn the_score_is_the_weighted_sum_with_the_default_weights() {
    let f = fixture();
    let w = Weights::default();
    let sum = w.semantic + w.lexical + w.recency + w.importance + w.access + w.graph + w.pinned;
    assert!((sum - 1.0).abs() < 1e-6, "the defaults sum to 1");
    let weights = [
        w.semantic,
        w.lexical,
        w.recency,
        w.importance,
        w.access,
        w.graph,
        w.pinned,
    ];
    let cands = f.db.select_memories(QUERY, &opts(w)).unwrap();
    assert_eq!(cands.len(), f.vectors.len());
    for c in &cands {
        check_signals(&f, c, 72.0);
        let want: f32 = signals(c)
            .iter()
            .zip(weights)
            .map(|((_, s), w)| w * s)
            .sum();
        assert!(
            (c.score - want).abs() < 1e-5,
            "{}: {} vs {want}",
            c.memory.content,
            c.score
        );
        assert!((0.0..=1.0).contains(&c.score));
    }
    // The weighted sum also holds for arbitrary weights and half-life.
    let odd = Weights {
        semantic: 0.3,
        lexical: 1.5,
        recency: 0.25,
        importance: 2.0,
        access: 0.9,
        graph: 0.4,
        pinned: 3.0,
    };
    let o = ContextOptions {
        half_life_hours: 10.0,
        ..opts(odd)
    };
    let weights = [
        odd.semantic,
        odd.lexical,
        odd.recency,
        odd.importance,
        odd.access,
        odd.graph,
        odd.pinned,
    ];
    for c in f.db.select_memories(QUERY, &o).unwrap() {
        check_signals(&f, &c, 10.0);
        let want: f32 = signals(&c)
            .iter()
            .zip(weights)
            .map(|((_, s), w)| w * s)
            .sum();
        assert!((c.score - want).abs() < 1e-5, "{}", c.memory.content);
    }
}

#[test]
fn recency_halves_every_half_life() {
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    let stored_now = db.store(NewMemory::new("stored at T0")).unwrap();
    let back = db
        .store(NewMemory::new("created a day earlier").created_at(common::T0 - 24 * HOUR))
        .unwrap();
    let recency = |half_life_hours: f64| -> HashMap<MemoryId, f32> {
        let o = ContextOptions {
            half_life_hours,
            track_access: false,
            ..Default::default()
        };
        db.select_memories("", &o)
            .unwrap()
            .into_iter()
            .map(|c| (c.memory.id, c.signals.recency))
            .collect()
    };
    let r = recency(72.0);
    assert!((r[&stored_now] - 1.0).abs() < 1e-6);
    clock.advance(Duration::from_secs(72 * 3600));
    let r = recency(72.0);
    assert!((r[&stored_now] - 0.5).abs() < 1e-3, "{r:?}");
    assert!((r[&back] - 0.5f32.powf(96.0 / 72.0)).abs() < 1e-3, "{r:?}");
    let r = recency(24.0);
    assert!((r[&back] - 0.0625).abs() < 1e-3, "four half-lives: {r:?}");
    let r = recency(96.0);
    assert!((r[&back] - 0.5).abs() < 1e-3, "{r:?}");
}

#[test]
fn min_score_drops_low_candidates_but_never_pinned_ones() {
    let f = fixture();
    // Older memories score lower; pinned ones among them.
    let old =
        f.db.store(
            NewMemory::new("ancient pinned note")
                .pinned(true)
                .importance(0.0)
                .vector(vec![0.0, 0.0, -1.0, 0.0])
                .created_at(common::T0 - 2_000 * HOUR),
        )
        .unwrap();
    let o = ContextOptions {
        min_score: 0.3,
        ..opts(Weights::default())
    };
    let cands = f.db.select_memories(QUERY, &o).unwrap();
    let w = f.db.llm_context_window(QUERY, 100_000, &o).unwrap();
    let chosen: HashMap<MemoryId, Section> = w.chosen.iter().map(|c| (c.id, c.section)).collect();
    let dropped: HashMap<MemoryId, DropReason> =
        w.dropped.iter().map(|d| (d.id, d.reason.clone())).collect();
    let (mut low, mut pinned_low, mut kept) = (0, 0, 0);
    for c in &cands {
        let id = c.memory.id;
        if c.score < o.min_score && !c.memory.pinned {
            assert_eq!(dropped.get(&id), Some(&DropReason::LowScore), "{c:?}");
            low += 1;
        } else {
            assert!(
                chosen.contains_key(&id),
                "{} {:?}",
                c.score,
                dropped.get(&id)
            );
            if c.memory.pinned && c.score < o.min_score {
                pinned_low += 1;
            }
            kept += 1;
        }
    }
    assert!(chosen.contains_key(&old) && chosen[&old] == Section::Pinned);
    assert!(
        low >= 2 && pinned_low >= 2 && kept >= 3,
        "{low} {pinned_low} {kept}"
    );
    let d = w
        .dropped
        .iter()
        .find(|d| d.reason == DropReason::LowScore)
        .unwrap();
    assert!(d.score < o.min_score);
    // With no minimum, nothing is dropped for its score.
    let w =
        f.db.llm_context_window(QUERY, 100_000, &opts(Weights::default()))
            .unwrap();
    assert!(w.dropped.iter().all(|d| d.reason != DropReason::LowScore));
}

#[test]
fn the_duplicate_threshold_decides_near_duplicates() {
    let dir = common::temp();
    let clock = ManualClock::new(common::T0);
    let db = open_vec(&common::db_path(&dir), &clock);
    let a = [1.0, 0.0, 0.0, 0.0];
    let b = [0.93, (1.0f32 - 0.93 * 0.93).sqrt(), 0.0, 0.0];
    let cos = cosine(a, b);
    assert!(cos > 0.9 && cos < 0.95, "{cos}");
    let first = db
        .store(NewMemory::new("Bob upgraded to the Pro plan").vector(a.to_vec()))
        .unwrap();
    let second = db
        .store(NewMemory::new("the customer moved to a paid tier").vector(b.to_vec()))
        .unwrap();
    let other = db
        .store(NewMemory::new("Bob lives in Lisbon").vector(vec![0.0, 0.0, 1.0, 0.0]))
        .unwrap();
    let window = |threshold: f32| {
        let o = ContextOptions {
            duplicate_threshold: threshold,
            query_vector: Some(a.to_vec()),
            track_access: false,
            ..Default::default()
        };
        db.llm_context_window("plan", 1000, &o).unwrap()
    };
    let w = window(0.95);
    let chosen: Vec<MemoryId> = w.chosen.iter().map(|c| c.id).collect();
    for id in [first, second, other] {
        assert!(chosen.contains(&id), "{w:#?}");
    }
    assert!(w.dropped.is_empty(), "{:?}", w.dropped);
    let w = window(0.9);
    let chosen: Vec<MemoryId> = w.chosen.iter().map(|c| c.id).collect();
    assert!(
        chosen.contains(&first) && chosen.contains(&other),
        "{chosen:?}"
    );
    assert_eq!(w.dropped.len(), 1, "{:?}", w.dropped);
    assert_eq!(w.dropped[0].id, second);
    assert_eq!(w.dropped[0].reason, DropReason::Duplicate { of: first });
}
