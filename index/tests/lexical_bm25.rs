//! BM25 search equals a brute-force reference over random corpora, with and without filters,
//! after random index/remove sequences (single and batch writes), and `verify` stays clean.

use memspine_index::lexical::{self, IndexBatch};
use proptest::prelude::*;
use redb::ReadableDatabase;
use roaring::RoaringBitmap;
use std::collections::{BTreeMap, HashMap, HashSet};

const WORDS: &[&str] = &[
    "apple", "apples", "run", "running", "the", "blue", "green", "tea", "coffee", "42", "café",
    "cafe", "zebra", "quantum", "x",
];

/// Brute-force BM25 over `docs` with the documented formula; top k, ties by smaller doc.
fn reference(
    docs: &BTreeMap<u32, String>,
    query: &str,
    k: usize,
    filter: Option<&RoaringBitmap>,
) -> Vec<(u32, f64)> {
    let toks: BTreeMap<u32, Vec<String>> = docs
        .iter()
        .map(|(&d, t)| (d, lexical::tokenize(t)))
        .collect();
    let n = toks.len() as f64;
    let total: usize = toks.values().map(Vec::len).sum();
    if n == 0.0 || total == 0 {
        return Vec::new();
    }
    let avgdl = total as f64 / n;
    let mut qterms = Vec::new();
    for t in lexical::tokenize(query) {
        if !qterms.contains(&t) {
            qterms.push(t);
        }
    }
    let mut hits = Vec::new();
    for (&d, words) in &toks {
        if filter.is_some_and(|f| !f.contains(d)) {
            continue;
        }
        let dl = words.len() as f64;
        let (mut score, mut any) = (0.0, false);
        for q in &qterms {
            let tf = words.iter().filter(|w| *w == q).count() as f64;
            if tf == 0.0 {
                continue;
            }
            any = true;
            let df = toks.values().filter(|w| w.contains(q)).count() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            score += idf * tf * (1.2 + 1.0) / (tf + 1.2 * (1.0 - 0.75 + 0.75 * dl / avgdl));
        }
        if any {
            hits.push((d, score));
        }
    }
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    hits.truncate(k);
    hits
}

/// Same length, same scores position by position, and every returned doc has that score.
fn assert_matches(got: &[(u32, f32)], want: &[(u32, f64)], all: &HashMap<u32, f64>) {
    assert_eq!(got.len(), want.len(), "got {got:?}\nwant {want:?}");
    for ((gd, gs), (_, ws)) in got.iter().zip(want) {
        let tol = 1e-4 * ws.abs().max(1.0);
        assert!(
            (f64::from(*gs) - ws).abs() < tol,
            "score {gs} vs {ws}\ngot {got:?}\nwant {want:?}"
        );
        let own = all.get(gd).copied().unwrap_or(f64::NAN);
        assert!(
            (f64::from(*gs) - own).abs() < tol,
            "doc {gd} scored {gs}, reference {own}"
        );
    }
    let docs: HashSet<u32> = got.iter().map(|h| h.0).collect();
    assert_eq!(docs.len(), got.len(), "duplicate docs");
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..14).prop_map(|w| w.join(" "))
}

#[derive(Debug, Clone)]
enum Op {
    Index(u32, String),
    Batch(Vec<(u32, String)>),
    Remove(usize),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u32..600, text_strategy()).prop_map(|(d, t)| Op::Index(d, t)),
        2 => prop::collection::vec((0u32..600, text_strategy()), 1..80).prop_map(Op::Batch),
        2 => any::<usize>().prop_map(Op::Remove),
    ]
}

/// Applies `ops` to the index and to the model, skipping ids already present.
fn apply(db: &redb::Database, model: &mut BTreeMap<u32, String>, ops: &[Op]) {
    for op in ops {
        let txn = db.begin_write().expect("begin");
        match op {
            Op::Index(d, t) if !model.contains_key(d) => {
                lexical::index_document(&txn, *d, t).expect("index");
                model.insert(*d, t.clone());
            }
            Op::Batch(items) => {
                let mut batch = IndexBatch::new();
                for (d, t) in items {
                    if !model.contains_key(d) {
                        batch.add(*d, t).expect("add");
                        model.insert(*d, t.clone());
                    }
                }
                batch.flush(&txn).expect("flush");
            }
            Op::Remove(i) if !model.is_empty() => {
                let d = *model.keys().nth(i % model.len()).expect("in range");
                let t = model.remove(&d).expect("present");
                lexical::remove_document(&txn, d, &t).expect("remove");
            }
            _ => {}
        }
        txn.commit().expect("commit");
    }
}

fn check_queries(
    db: &redb::Database,
    model: &BTreeMap<u32, String>,
    queries: &[String],
    filter: &RoaringBitmap,
) {
    let rtxn = db.begin_read().expect("read");
    assert_eq!(
        lexical::verify(&rtxn).expect("verify"),
        Vec::<String>::new()
    );
    for q in queries {
        let all: HashMap<u32, f64> = reference(model, q, usize::MAX, None).into_iter().collect();
        for k in [1, 3, 10, 1000] {
            let got = lexical::search(&rtxn, q, k, None).expect("search");
            assert_matches(&got, &reference(model, q, k, None), &all);
            let got = lexical::search(&rtxn, q, k, Some(filter)).expect("filtered search");
            assert_matches(&got, &reference(model, q, k, Some(filter)), &all);
        }
        let want: RoaringBitmap = model
            .iter()
            .filter(|(_, t)| {
                let words = lexical::tokenize(t);
                let qt = lexical::tokenize(q);
                !qt.is_empty() && qt.iter().all(|w| words.contains(w))
            })
            .map(|(&d, _)| d)
            .collect();
        assert_eq!(
            lexical::phrase_or_terms_bitmap(&rtxn, q).expect("bitmap"),
            want,
            "query {q:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn search_equals_brute_force(
        ops in prop::collection::vec(op_strategy(), 1..40),
        queries in prop::collection::vec(
            prop::collection::vec(prop::sample::select(WORDS), 1..5).prop_map(|w| w.join(" ")), 1..6),
        filter in prop::collection::vec(0u32..600, 0..200),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = redb::Database::create(dir.path().join("data.redb")).expect("create");
        let mut model = BTreeMap::new();
        apply(&db, &mut model, &ops);
        let filter: RoaringBitmap = filter.into_iter().collect();
        check_queries(&db, &model, &queries, &filter);
    }

    /// A scope's own postings, built from an older state (some documents since removed,
    /// re-indexed with another text or added), give exactly the global filtered search for the
    /// documents the caller knows to be unchanged.
    #[test]
    fn search_with_a_scope_copy_equals_the_global_search(
        before in prop::collection::vec(op_strategy(), 1..25),
        after in prop::collection::vec(op_strategy(), 0..15),
        queries in prop::collection::vec(
            prop::collection::vec(prop::sample::select(WORDS), 1..5).prop_map(|w| w.join(" ")), 1..6),
        filter in prop::collection::vec(0u32..600, 0..300),
        scope_mod in 1u32..4,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = redb::Database::create(dir.path().join("data.redb")).expect("create");
        let mut model = BTreeMap::new();
        apply(&db, &mut model, &before);
        let old = model.clone();
        let copy = lexical::ScopePostings::build(
            old.iter().filter(|(d, _)| *d % scope_mod == 0).map(|(&d, t)| (d, t.as_str())),
        );
        apply(&db, &mut model, &after);
        let filter: RoaringBitmap = filter.into_iter().collect();
        let covered: RoaringBitmap = (copy.docs() & &filter)
            .into_iter()
            .filter(|d| model.contains_key(d) && model.get(d) == old.get(d))
            .collect();
        let rtxn = db.begin_read().expect("read");
        for q in &queries {
            for k in [1, 3, 10, 1000] {
                let want = lexical::search(&rtxn, q, k, Some(&filter)).expect("search");
                let got = lexical::search_with_copy(&rtxn, q, k, &filter, &copy, &covered)
                    .expect("search with copy");
                prop_assert_eq!(got, want, "query {:?} k {}", q, k);
            }
        }
    }
}

/// Many postings per term, inserted in shuffled order: blocks fill, split and re-key.
#[test]
fn large_shuffled_corpus_with_splits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = redb::Database::create(dir.path().join("data.redb")).expect("create");
    let mut ids: Vec<u32> = (0..1500).collect();
    let mut state = 7u64;
    for i in (1..ids.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ids.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut model = BTreeMap::new();
    let txn = db.begin_write().expect("begin");
    for &d in &ids {
        let text: Vec<&str> = (0..(d % 9 + 1))
            .map(|j| WORDS[((d * 7 + j * 3) % 15) as usize])
            .collect();
        let text = text.join(" ");
        lexical::index_document(&txn, d, &text).expect("index");
        model.insert(d, text);
    }
    txn.commit().expect("commit");
    let queries: Vec<String> = [
        "apple tea",
        "zebra quantum blue",
        "run green coffee 42",
        "cafe",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let filter: RoaringBitmap = (0..1500).filter(|d| d % 37 == 0).collect();
    check_queries(&db, &model, &queries, &filter);
    // Remove every third document, check again.
    let txn = db.begin_write().expect("begin");
    for d in ids.iter().copied().filter(|d| d % 3 == 0) {
        let t = model.remove(&d).expect("present");
        lexical::remove_document(&txn, d, &t).expect("remove");
    }
    txn.commit().expect("commit");
    check_queries(&db, &model, &queries, &filter);
}
