//! Graph facts of the workload: every user's small world — where they live, where they work,
//! what they work on, whom they know — and the facts their memories state about it.
//!
//! Entities are users (`u17`, the same names as the `user` scope, so the graph and the DSL talk
//! about the same people), other people (`person-3`), cities, organisations and projects, from
//! pools sized by the number of users so that cities and organisations are shared (a city has
//! ~20 residents, an organisation ~10 employees). A user's world grows with the square root of
//! their memories so far: heavy users know more people and work on more projects, but no one
//! states the same fact twice. Single-valued predicates (`lives_in`, `works_at`, `located_in`,
//! `part_of`) change now and then, so supersession (closing the old fact) happens during the
//! load as it does in production.

use std::collections::{HashMap, HashSet};

use memspine::{Micros, NewTriple};
use memspine_graph::EntityRef;

use crate::rng::Rng;

/// Predicates and whether each is single-valued (declared before the load).
pub const PREDICATES: &[(&str, bool)] = &[
    ("lives_in", true),
    ("works_at", true),
    ("located_in", true),
    ("part_of", true),
    ("works_on", false),
    ("knows", false),
];

/// Chance that a restated single-valued fact names a new object (a move, a new job); otherwise
/// the memory restates what is known and carries no fact.
const CHANGE: f64 = 0.2;

/// Draws per fact before a memory gives up stating it (its user's world is all known).
const RETRIES: usize = 3;

/// Pool sizes, from the number of users.
#[derive(Debug, Clone, Copy)]
struct Pools {
    users: u64,
    people: u64,
    cities: u64,
    orgs: u64,
    projects: u64,
}

impl Pools {
    fn new(users: usize) -> Self {
        let u = users.max(1) as u64;
        Pools {
            users: u,
            people: u,
            cities: (u / 20).max(8),
            orgs: (u / 10).max(8),
            projects: (u / 4).max(8),
        }
    }
}

/// A stable hash of `(seed, a, b)`: the fixed parts of each user's world.
fn h(seed: u64, a: u64, b: u64) -> u64 {
    Rng::derive(seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15), b).next_u64()
}

/// The fact stream: remembers what was stated so no fact is stated twice.
#[derive(Debug)]
pub struct Facts {
    seed: u64,
    pools: Pools,
    /// Memories of each user so far (their world grows with it).
    seen: Vec<u32>,
    /// Multi-valued facts already stated, as `(subject, predicate, object)`.
    stated: HashSet<(String, &'static str, String)>,
    /// Current object of each single-valued `(subject, predicate)`.
    current: HashMap<(String, &'static str), String>,
    /// Names of every entity mentioned so far, in first-mention order.
    pub entities: Vec<String>,
    known: HashSet<String>,
}

impl Facts {
    /// The fact stream of a workload with `users` users.
    pub fn new(users: usize, seed: u64) -> Self {
        Facts {
            seed,
            pools: Pools::new(users),
            seen: vec![0; users.max(1)],
            stated: HashSet::new(),
            current: HashMap::new(),
            entities: Vec::new(),
            known: HashSet::new(),
        }
    }

    /// 0–2 facts stated by a memory of `user` created at `created` (0 with probability 0.4, 1
    /// with 0.4, 2 with 0.2; a fact that would restate a known one is redrawn up to
    /// [`RETRIES`] times, then dropped).
    pub fn for_memory(&mut self, user: usize, created: Micros, rng: &mut Rng) -> Vec<NewTriple> {
        let n = self.seen.get(user).copied().unwrap_or(0);
        if let Some(s) = self.seen.get_mut(user) {
            *s += 1;
        }
        let attempts = match rng.below(10) {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        let mut out = Vec::new();
        for _ in 0..attempts {
            // A drawn fact that is already known is redrawn (at most RETRIES times).
            for _ in 0..RETRIES {
                let (s, p, o) = self.draw(user as u64, n, rng);
                if self.accept(&s, p, &o, rng) {
                    for name in [&s, &o] {
                        if self.known.insert(name.clone()) {
                            self.entities.push(name.clone());
                        }
                    }
                    out.push(NewTriple::new(&s, p, &o, created));
                    break;
                }
            }
        }
        out
    }

    /// Whether `(s, p, o)` says something new; records it.
    fn accept(&mut self, s: &str, p: &'static str, o: &str, rng: &mut Rng) -> bool {
        let single = PREDICATES.iter().any(|&(q, sv)| q == p && sv);
        if !single {
            return self.stated.insert((s.to_owned(), p, o.to_owned()));
        }
        let key = (s.to_owned(), p);
        match self.current.get(&key) {
            Some(cur) if cur == o => false,
            Some(_) if !rng.chance(CHANGE) => false,
            _ => {
                self.current.insert(key, o.to_owned());
                true
            }
        }
    }

    /// A candidate fact about `user`'s world, `n` = their memories so far.
    fn draw(&self, user: u64, n: u32, rng: &mut Rng) -> (String, &'static str, String) {
        let p = self.pools;
        let seed = self.seed;
        // The world's size: 3 + √n contacts and projects; 2 + √n/4 homes and employers.
        let grow = (f64::from(n)).sqrt() as u64;
        let wide = 3 + grow;
        let narrow = 2 + grow / 4;
        let pick = |kind: u64, size: u64, pool: u64, rng: &mut Rng| {
            h(seed, user, kind << 32 | rng.below(size)) % pool
        };
        let me = format!("u{user}");
        match rng.below(20) {
            0..=4 => {
                let c = pick(1, narrow, p.cities, rng);
                (me, "lives_in", format!("city-{c}"))
            }
            5..=8 => {
                let o = pick(2, narrow, p.orgs, rng);
                (me, "works_at", format!("org-{o}"))
            }
            9..=12 => {
                let j = pick(3, wide, p.projects, rng);
                (me, "works_on", format!("project-{j}"))
            }
            13..=16 => {
                // Half the contacts are other users, half other people.
                let k = pick(4, wide, p.users + p.people, rng);
                let other = if k < p.users {
                    format!("u{}", if k == user { (k + 1) % p.users } else { k })
                } else {
                    format!("person-{}", k - p.users)
                };
                (me, "knows", other)
            }
            17 => {
                // A contact's home (two candidate cities each).
                let k = pick(4, wide, p.people, rng);
                let c = h(seed, k, 5 << 32 | rng.below(2)) % p.cities;
                (format!("person-{k}"), "lives_in", format!("city-{c}"))
            }
            18 => {
                let j = pick(3, wide, p.projects, rng);
                let o = h(seed, j, 6 << 32 | rng.below(2)) % p.orgs;
                (format!("project-{j}"), "part_of", format!("org-{o}"))
            }
            _ => {
                let o = pick(2, narrow, p.orgs, rng);
                let c = h(seed, o, 7 << 32 | rng.below(2)) % p.cities;
                (format!("org-{o}"), "located_in", format!("city-{c}"))
            }
        }
    }
}

/// The useful bytes of a fact: `subject\tpredicate\tobject`.
pub fn useful_bytes(t: &NewTriple) -> u64 {
    (name(&t.subject).len() + t.predicate.len() + name(&t.object).len() + 2) as u64
}

/// The name of an entity reference (an id prints as `#id`).
pub fn name(r: &EntityRef) -> String {
    match r {
        EntityRef::Name(n) => n.clone(),
        EntityRef::Id(id) => format!("#{id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_never_restated() {
        let run = || {
            let mut f = Facts::new(50, 9);
            let mut rng = Rng::new(1);
            let mut all = Vec::new();
            for i in 0..5000u64 {
                let u = (i % 7) as usize;
                all.extend(f.for_memory(u, i, &mut rng));
            }
            (all, f.entities.len())
        };
        let (a, entities) = run();
        assert_eq!(a, run().0);
        assert!(a.len() > 500, "{} facts", a.len());
        assert!(entities > 20);
        let mut multi = HashSet::new();
        for t in a
            .iter()
            .filter(|t| t.predicate == "knows" || t.predicate == "works_on")
        {
            let key = (name(&t.subject), &t.predicate, name(&t.object));
            assert!(multi.insert(key), "restated {t:?}");
        }
    }
}
