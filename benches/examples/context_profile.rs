//! Where a context window's time goes, user by user (heavy users first): the filter, the
//! semantic and lexical candidate searches, and the whole call, on a database kept by
//! `memspine-bench --keep` (384-d).
//!
//! `cargo run --release -p memspine-benches --example context_profile -- /tmp/b1m`
//!
//! To profile one user's windows for 5 s: `CONTEXT_PROFILE_LOOP=u0` (or `=101-1000`: users u101
//! to u1000 in turn); `CONTEXT_PROFILE_TEXT` sets the query text, `CONTEXT_PROFILE_TRACK` counts
//! the chosen memories as accessed.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use memspine::{ContextOptions, Filter, Options, SearchMode, SearchOptions, Spine};

fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..15)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "/tmp/b1m".into());
    let db = Spine::open(
        &path,
        Options {
            create: false,
            dimension: Some(384),
            ..Options::default()
        },
    )?;
    let mut v: Vec<f32> = (0..384).map(|i| ((i * 7919) % 97) as f32 - 48.0).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
    let text = std::env::var("CONTEXT_PROFILE_TEXT")
        .unwrap_or_else(|_| "refund billing account password".into());
    let text = text.as_str();
    if let Ok(u) = std::env::var("CONTEXT_PROFILE_LOOP") {
        // Only this user's context window, for 5 s (to profile it); `a-b`: users ua..ub in turn.
        let users: Vec<String> = match u.split_once('-') {
            Some((a, b)) => (a.parse::<u32>()?..=b.parse::<u32>()?)
                .map(|i| format!("u{i}"))
                .collect(),
            None => vec![u.clone()],
        };
        let mut co = ContextOptions {
            filter: Filter::user(&users[0]),
            query_vector: Some(v.clone()),
            track_access: std::env::var("CONTEXT_PROFILE_TRACK").is_ok(),
            ..ContextOptions::default()
        };
        let start = Instant::now();
        let mut times = Vec::new();
        while start.elapsed().as_secs() < 5 {
            co.filter = Filter::user(&users[times.len() % users.len()]);
            let t = Instant::now();
            db.llm_context_window(text, 8000, &co)?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!(
            "{u}: {} calls, p50 {:.3} p95 {:.3} ms (the first second includes building copies)",
            times.len(),
            at(0.5),
            at(0.95)
        );
        return Ok(());
    }
    println!("user      memories pinned  filter  semantic50  lexical50  context8k");
    for u in [0, 1, 3, 10, 30, 100, 1000] {
        let user = format!("u{u}");
        let f = Filter::user(&user);
        let n = db.filter_ids(&f)?.len();
        let pinned = db
            .filter_ids(&Filter {
                pinned: Some(true),
                ..f.clone()
            })?
            .len();
        let t_filter = median_ms(|| {
            db.filter_ids(&f).unwrap();
        });
        let so = |mode| SearchOptions {
            limit: 50,
            filter: f.clone(),
            mode,
            vector: Some(v.clone()),
            track_access: false,
            ..Default::default()
        };
        // Scope copies (vector and lexical) are asked for by the first searches and built in
        // the background; measure with them in place.
        db.search(text, &so(SearchMode::Hybrid))?;
        db.wait_for_scope_copies();
        let t_sem = median_ms(|| {
            db.search("", &so(SearchMode::Semantic)).unwrap();
        });
        let t_lex = median_ms(|| {
            db.search(text, &so(SearchMode::Lexical)).unwrap();
        });
        let co = ContextOptions {
            filter: f.clone(),
            query_vector: Some(v.clone()),
            track_access: false,
            ..ContextOptions::default()
        };
        let t_ctx = median_ms(|| {
            db.llm_context_window(text, 8000, &co).unwrap();
        });
        println!(
            "{user:<8} {n:>9} {pinned:>6} {t_filter:>7.3} {t_sem:>11.3} {t_lex:>10.3} {t_ctx:>10.3}"
        );
    }
    Ok(())
}
