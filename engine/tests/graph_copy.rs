//! The in-memory graph copy (`Options::graph_copy_bytes`): the same writes on a database with a
//! copy and one without give identical neighbourhoods, paths and edge lists — with the copy
//! just built, caught up by a read (a few changes), caught up in the background (many), after
//! deletes, invalidation, supersession and a repair, and when the graph is over the budget.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use memspine::{
    Direction, Durability, ManualClock, NewMemory, NewTriple, Options, Spine, TraversalOptions,
};

fn open(path: &std::path::Path, graph_copy_bytes: usize) -> Spine {
    let opts = Options {
        clock: Arc::new(ManualClock::new(common::T0)),
        durability: Durability::None,
        graph_copy_bytes,
        ..Options::default()
    };
    Spine::open(path, opts).unwrap()
}

/// Both databases.
struct Pair {
    copy: Spine,
    plain: Spine,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Pair {
    fn new(budget: usize) -> Pair {
        let (a, b) = (common::temp(), common::temp());
        Pair {
            copy: open(&common::db_path(&a), budget),
            plain: open(&common::db_path(&b), 0),
            _dirs: (a, b),
        }
    }

    fn both(&self, f: impl Fn(&Spine)) {
        f(&self.copy);
        f(&self.plain);
    }

    fn fact(&self, s: &str, p: &str, o: &str) {
        self.both(|db| {
            db.add_triple(NewTriple::new(s, p, o, 0)).unwrap();
        });
    }

    /// Every read of every entity, on both, equal (`wait`: with the background job done).
    fn same_reads(&self, entities: &[String], wait: bool) {
        if wait {
            // Reads ask for the copy; the wait lets the background job finish.
            self.copy
                .neighborhood(&entities[0], 1, &TraversalOptions::default())
                .unwrap();
            self.copy.wait_for_graph_copy();
        }
        let past = TraversalOptions {
            as_of: Some(common::T0 + 1),
            ..Default::default()
        };
        let out = TraversalOptions {
            direction: Direction::Out,
            predicates: vec!["knows".into()],
            ..Default::default()
        };
        for e in entities {
            for opts in [&TraversalOptions::default(), &past, &out] {
                for depth in 0..=3 {
                    let a = self.copy.neighborhood(e, depth, opts);
                    let b = self.plain.neighborhood(e, depth, opts);
                    assert_eq!(format!("{a:?}"), format!("{b:?}"), "{e} {depth} {opts:?}");
                }
                let other = &entities[(e.len() * 7) % entities.len()];
                let a = self.copy.paths(e, other, 4, opts);
                let b = self.plain.paths(e, other, 4, opts);
                assert_eq!(format!("{a:?}"), format!("{b:?}"));
            }
            let a = self.copy.edges(e, None, Direction::Both);
            let b = self.plain.edges(e, None, Direction::Both);
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("e{i}")).collect()
}

#[test]
fn reads_through_the_copy_equal_reads_of_the_tables() {
    let p = Pair::new(256 << 20);
    p.both(|db| db.declare_predicate("lives_in", true).unwrap());
    let names = names(40);
    for i in 0..40 {
        p.fact(&names[i], "knows", &names[(i * 7 + 3) % 40]);
        p.fact(&names[i], "lives_in", &names[i % 5]);
    }
    p.same_reads(&names, true);
    assert!(
        p.copy.stats().unwrap().graph_copy_bytes > 0,
        "the copy is built"
    );
    assert_eq!(p.plain.stats().unwrap().graph_copy_bytes, 0);

    // A few changes: the next read catches the copy up itself.
    p.fact("e1", "lives_in", "e4"); // closes e1 lives_in e1
    p.fact("e2", "knows", "e2"); // a self-loop
    p.same_reads(&names, false);

    // Many changes (more entities than a read reloads itself): the background job catches up.
    let more = self::names(400);
    for i in 0..400 {
        p.fact(&more[i], "knows", &more[(i * 13 + 1) % 400]);
    }
    p.same_reads(&more, false);
    p.same_reads(&more, true);

    // Deletes, invalidation, a memory with facts, an alias: each read on both.
    p.both(|db| {
        db.delete_entity("e3").unwrap();
    });
    let edge = p.copy.edges("e5", None, Direction::Out).unwrap()[0].edge;
    assert_eq!(
        edge,
        p.plain.edges("e5", None, Direction::Out).unwrap()[0].edge
    );
    p.both(|db| db.invalidate_triple(edge, common::T0 + 10).unwrap());
    p.both(|db| {
        let facts = vec![NewTriple::new("e6", "knows", "carol", 0)];
        db.store_with_facts(NewMemory::new("e6 met carol"), facts)
            .unwrap();
    });
    let live: Vec<String> = more.iter().filter(|n| *n != "e3").cloned().collect();
    p.same_reads(&live, false);
    p.same_reads(&live, true);

    // A repair touches everything: the copy is rebuilt from scratch.
    p.both(|db| {
        db.repair().unwrap();
    });
    p.same_reads(&live, false);
    p.same_reads(&live, true);
    assert!(p.copy.stats().unwrap().graph_copy_bytes > 0);

    // Reopened: no copy until a read asks again; same answers.
    let dir = p.copy.path().to_path_buf();
    drop(p.copy);
    let reopened = open(&dir, 256 << 20);
    assert_eq!(reopened.stats().unwrap().graph_copy_bytes, 0);
    let p = Pair {
        copy: reopened,
        ..p
    };
    p.same_reads(&live, true);
}

#[test]
fn a_graph_over_the_budget_is_read_from_the_tables() {
    let p = Pair::new(4 << 10);
    let names = names(300);
    for i in 0..300 {
        p.fact(&names[i], "knows", &names[(i * 11 + 5) % 300]);
    }
    p.same_reads(&names[..20], true);
    let stats = p.copy.stats().unwrap();
    assert!(stats.graph_copy_too_big, "{stats:?}");
    assert_eq!(stats.graph_copy_bytes, 0);
}

#[test]
fn space_is_reclaimed_right_after_a_graph_read_started_a_copy() {
    let dir = common::temp();
    let mut db = open(&common::db_path(&dir), 256 << 20);
    let names = names(200);
    for i in 0..200 {
        db.add_triple(NewTriple::new(
            &names[i],
            "knows",
            &names[(i * 3 + 1) % 200],
            0,
        ))
        .unwrap();
    }
    // The read asks for a copy; its build holds a read transaction, which redb's compaction
    // refuses: reclaiming waits for it.
    db.neighborhood("e0", 2, &TraversalOptions::default())
        .unwrap();
    db.reclaim_space().unwrap();
    let n = db
        .neighborhood("e0", 2, &TraversalOptions::default())
        .unwrap();
    assert!(n.entities.len() > 1);
}
