//! A 90-day simulation of two users' memories (daily sessions, pinned facts, important
//! decisions, a repeated fact, random reads), compacted every midnight with the default policy
//! and checked day by day against an independent reading of the policy. The model applies each
//! plan the way the engine does (demote → new importance; archive; consolidate → one new
//! `consolidated` memory created at `now`, originals archived).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{cosine, topic_vector, Rng, DAY};
use memspine_compaction::summarize::{jaccard, normalize, split_sentences};
use memspine_compaction::{
    importance, plan, Action, Candidate, ConsolidationInput, DecayPolicy, ExtractiveSummarizer,
    Plan, Reason, Summarizer, Tier, CONSOLIDATED_KIND,
};

const START: u64 = 1_700_000_000_000_000 / DAY * DAY; // a midnight, UTC
const DAYS: u64 = 90;
const BERLIN: &str = "I live in Berlin.";
const BERLIN_TOPIC: usize = 20;

#[derive(Debug, Clone)]
struct Mem {
    cand: Candidate,
    content: String,
    vector: Vec<f32>,
    provenance: Vec<u64>,
    metadata: serde_json::Value,
    truncated: bool,
}

struct World {
    mems: BTreeMap<u64, Mem>,
    next_id: u64,
    rng: Rng,
    /// original → the consolidated memory that replaced it.
    parent: BTreeMap<u64, u64>,
    /// Archived alone (no descendant): still readable through history.
    singletons: BTreeSet<u64>,
}

impl World {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        at: u64,
        user: &str,
        kind: &str,
        imp: f32,
        pinned: bool,
        text: String,
        topic: usize,
    ) {
        let id = self.next_id;
        self.next_id += 1;
        let cand = Candidate {
            id,
            created: at,
            updated: at,
            importance: imp,
            pinned,
            kind: kind.into(),
            user: Some(user.into()),
            agent: Some("assistant".into()),
            session: Some(format!("{user}-{}", (at - START) / DAY)),
            content_len: text.len(),
            ..Candidate::default()
        };
        let vector = topic_vector(topic, 0.2, &mut self.rng);
        let mem = Mem {
            cand,
            content: text,
            vector,
            provenance: vec![],
            metadata: serde_json::Value::Null,
            truncated: false,
        };
        self.mems.insert(id, mem);
    }

    /// One day of an agent's life for `user`.
    fn live_day(&mut self, day: u64, user: &str) {
        let midnight = START + day * DAY;
        // One memory exactly at midnight: its age hits 7 and 30 days exactly at later midnights.
        self.add(
            midnight,
            user,
            "interaction",
            0.5,
            false,
            format!("{user} opened day {day}."),
            30,
        );
        for k in 0..6 {
            let topic = self.rng.below(8) as usize;
            let at = midnight + (9 + k) * 3_600_000_000;
            let text = format!("Day {day}, {user} chatted about topic {topic} (turn {k}).");
            self.add(at, user, "interaction", 0.5, false, text, topic);
        }
        if day.is_multiple_of(3) {
            self.add(
                midnight + 20 * 3_600_000_000,
                user,
                "interaction",
                0.5,
                false,
                BERLIN.into(),
                BERLIN_TOPIC,
            );
        }
        if day.is_multiple_of(45) {
            let text = format!("{user} is allergic to peanuts.");
            self.add(midnight + 3_600_000_000, user, "fact", 0.9, true, text, 25);
        }
        if day % 10 == 5 {
            let text = format!("{user} decided to switch plans on day {day}.");
            self.add(
                midnight + 2 * 3_600_000_000,
                user,
                "decision",
                0.95,
                false,
                text,
                26,
            );
        }
    }

    fn read_some(&mut self, now: u64) {
        let live: Vec<u64> = self
            .mems
            .values()
            .filter(|m| !m.cand.archived)
            .map(|m| m.cand.id)
            .collect();
        for _ in 0..3 {
            let id = live[self.rng.below(live.len() as u64) as usize];
            let c = &mut self.mems.get_mut(&id).unwrap().cand;
            c.access_count += 1;
            c.last_access = Some(now);
        }
    }

    fn candidates(&self) -> Vec<Candidate> {
        self.mems.values().map(|m| m.cand.clone()).collect()
    }

    fn similarity(&self) -> impl Fn(u64, u64) -> Option<f32> + '_ {
        |a, b| {
            Some(cosine(
                &self.mems.get(&a)?.vector,
                &self.mems.get(&b)?.vector,
            ))
        }
    }

    /// Executes a plan the way the engine does.
    fn apply(&mut self, plan: &Plan, now: u64) {
        for a in &plan.actions {
            match a {
                Action::Keep { .. } => {}
                Action::Demote {
                    id, new_importance, ..
                } => {
                    let c = &mut self.mems.get_mut(id).unwrap().cand;
                    c.importance = *new_importance;
                    c.updated = now;
                }
                Action::Archive { id, .. } => {
                    self.singletons.insert(*id);
                    self.archive(*id, now);
                }
                Action::Delete { .. } => panic!("the default policy never deletes"),
                Action::Consolidate { ids, .. } => self.consolidate(ids, now),
            }
        }
    }

    fn archive(&mut self, id: u64, now: u64) {
        let c = &mut self.mems.get_mut(&id).unwrap().cand;
        c.archived = true;
        c.updated = now;
    }

    fn consolidate(&mut self, ids: &[u64], now: u64) {
        let inputs: Vec<ConsolidationInput> = ids
            .iter()
            .map(|id| {
                let m = &self.mems[id];
                ConsolidationInput {
                    id: *id,
                    content: m.content.clone(),
                    created: m.cand.created,
                    kind: m.cand.kind.clone(),
                    importance: m.cand.importance,
                    vector: Some(m.vector.clone()),
                    metadata: m.metadata.clone(),
                    ..ConsolidationInput::default()
                }
            })
            .collect();
        let s = ExtractiveSummarizer::default().summarize(&inputs).unwrap();
        let first = self.mems[&ids[0]].cand.clone();
        let id = self.next_id;
        self.next_id += 1;
        let same_session = ids
            .iter()
            .all(|i| self.mems[i].cand.session == first.session);
        let cand = Candidate {
            id,
            created: now,
            updated: now,
            importance: s.importance,
            kind: CONSOLIDATED_KIND.into(),
            user: first.user.clone(),
            agent: first.agent.clone(),
            session: if same_session {
                first.session.clone()
            } else {
                None
            },
            content_len: s.content.len(),
            ..Candidate::default()
        };
        let vector = s.vector.clone().expect("inputs have vectors");
        let mem = Mem {
            cand,
            content: s.content,
            vector,
            provenance: s.provenance,
            metadata: s.metadata,
            truncated: s.truncated,
        };
        self.mems.insert(id, mem);
        for i in ids {
            self.parent.insert(*i, id);
            self.archive(*i, now);
        }
    }
}

/// The policy, read independently of the planner's code: what may happen to one memory.
fn check_against_policy(c: &Candidate, a: &Action, now: u64, p: &DecayPolicy) {
    let age = now.saturating_sub(c.created);
    let tier = if age < 7 * DAY {
        Tier::Recent
    } else if age < 30 * DAY {
        Tier::Medium
    } else {
        Tier::Old
    };
    let score = importance(c, now, &p.importance);
    let kept = matches!(a, Action::Keep { .. });
    if let Action::Keep { tier: t, .. }
    | Action::Demote { tier: t, .. }
    | Action::Archive { tier: t, .. } = a
    {
        assert_eq!(*t, tier, "memory {} aged {age} µs", c.id);
    }
    if c.pinned || c.archived || tier == Tier::Recent {
        assert!(kept, "{} must be kept: {a:?}", c.id);
        return;
    }
    match tier {
        Tier::Medium if score >= 0.3 || c.importance < 0.3 => assert!(kept, "{}: {a:?}", c.id),
        Tier::Medium => match a {
            Action::Demote { new_importance, .. } => assert_eq!(*new_importance, score),
            other => panic!("{} should be demoted: {other:?}", c.id),
        },
        Tier::Old if score >= 0.3 => assert!(kept, "{}: {a:?}", c.id),
        Tier::Old if c.is_consolidated() => {
            assert!(matches!(
                a,
                Action::Keep {
                    reason: Reason::ConsolidatedAlone { .. },
                    ..
                } | Action::Consolidate { .. }
            ))
        }
        Tier::Old => assert!(
            matches!(a, Action::Archive { .. } | Action::Consolidate { .. }),
            "{a:?}"
        ),
        Tier::Recent => unreachable!(),
    }
}

#[derive(Debug, Default)]
struct Seen {
    exactly_7: u64,
    exactly_30: u64,
    demoted: u64,
    archived: u64,
    groups: u64,
    regrouped: u64,
}

fn check_day(world: &World, plan: &Plan, now: u64, policy: &DecayPolicy, seen: &mut Seen) {
    let lookup = plan.lookup();
    assert_eq!(lookup.len(), world.mems.len(), "every memory planned once");
    for m in world.mems.values() {
        let a = lookup[&m.cand.id];
        check_against_policy(&m.cand, a, now, policy);
        let age = now - m.cand.created;
        seen.exactly_7 += u64::from(age == 7 * DAY);
        seen.exactly_30 += u64::from(age == 30 * DAY);
    }
    for a in &plan.actions {
        match a {
            Action::Demote { .. } => seen.demoted += 1,
            Action::Archive { .. } => seen.archived += 1,
            Action::Consolidate { ids, .. } => {
                seen.groups += 1;
                seen.regrouped +=
                    u64::from(ids.iter().any(|i| world.mems[i].cand.is_consolidated()));
                let users: Vec<_> = ids.iter().map(|i| &world.mems[i].cand.user).collect();
                assert!(users.windows(2).all(|w| w[0] == w[1]), "group spans users");
            }
            _ => {}
        }
    }
}

/// What must hold after each day's plan is applied.
fn check_state(world: &World, pinned_before: &BTreeMap<u64, Mem>) {
    for (id, before) in pinned_before {
        let now = &world.mems[id];
        assert_eq!(
            (now.cand.importance, now.cand.archived),
            (before.cand.importance, false)
        );
        assert_eq!(now.content, before.content);
    }
    for m in world.mems.values() {
        if m.cand.kind == "decision" {
            assert!(
                !m.cand.archived && m.cand.importance == 0.95,
                "decisions stay"
            );
        }
        if m.cand.is_consolidated() {
            assert!(!m.provenance.is_empty());
            for p in &m.provenance {
                assert!(world.mems[p].cand.archived, "originals are archived");
                assert!(m.cand.user == world.mems[p].cand.user);
            }
            let norm: f32 = m.vector.iter().map(|x| x * x).sum();
            assert!(
                (norm - 1.0).abs() < 1e-4,
                "consolidated vector is unit length"
            );
        }
    }
    // Nothing the user said is lost: each consolidation step keeps every sentence of its inputs
    // (up to near-duplicates) and the chain of replacements ends at a live memory; the rest were
    // archived alone on purpose (still readable through history).
    for m in world.mems.values().filter(|m| m.cand.archived) {
        let id = m.cand.id;
        if world.singletons.contains(&id) {
            continue;
        }
        let parent = &world.mems[world
            .parent
            .get(&id)
            .expect("archived only by consolidation")];
        assert!(parent.provenance.contains(&id));
        let kept = split_sentences(undated(&parent.content));
        for s in split_sentences(undated(&m.content)) {
            let found = kept
                .iter()
                .any(|k| normalize(k) == normalize(s) || jaccard(k, s) >= 0.8);
            assert!(
                found || parent.truncated,
                "{s:?} of {id} missing from {}",
                parent.content
            );
        }
        let mut heir = parent.cand.id;
        while let Some(next) = world.parent.get(&heir) {
            heir = *next;
        }
        assert!(
            !world.mems[&heir].cand.archived,
            "the chain ends at a live memory"
        );
    }
}

/// Content without the summarizer's date prefix.
fn undated(content: &str) -> &str {
    match content.strip_prefix('[').and_then(|c| c.split_once("] ")) {
        Some((_, rest)) => rest,
        None => content,
    }
}

#[test]
fn ninety_days_of_decay_day_by_day() {
    let policy = DecayPolicy::default();
    let mut world = World {
        mems: BTreeMap::new(),
        next_id: 1,
        rng: Rng(42),
        parent: BTreeMap::new(),
        singletons: BTreeSet::new(),
    };
    let mut seen = Seen::default();
    for day in 0..DAYS {
        world.live_day(day, "alice");
        if day.is_multiple_of(2) {
            world.live_day(day, "bob");
        }
        let now = START + (day + 1) * DAY; // the compactor runs at midnight
        world.read_some(now - 1);
        let cands = world.candidates();
        let dry = plan(&cands, now, &policy, &world.similarity()).unwrap();
        let real = plan(&cands, now, &policy, &world.similarity()).unwrap();
        assert_eq!(dry, real, "dry run equals the real run's plan");
        check_day(&world, &real, now, &policy, &mut seen);
        let pinned: BTreeMap<u64, Mem> = world
            .mems
            .iter()
            .filter(|(_, m)| m.cand.pinned)
            .map(|(k, m)| (*k, m.clone()))
            .collect();
        world.apply(&real, now);
        check_state(&world, &pinned);
    }
    let live: Vec<&Mem> = world.mems.values().filter(|m| !m.cand.archived).collect();
    let berlin_live = live.iter().filter(|m| m.content.contains(BERLIN)).count();
    let berlin_said = world.mems.values().filter(|m| m.content == BERLIN).count();
    let consolidated = live.iter().filter(|m| m.cand.is_consolidated()).count();
    eprintln!(
        "90 days: {} memories ever, {} live ({consolidated} consolidated), {seen:?}; \
         \"{BERLIN}\" said {berlin_said}×, in {berlin_live} live memories",
        world.mems.len(),
        live.len()
    );
    assert!(
        seen.exactly_7 >= 80 && seen.exactly_30 >= 55,
        "boundaries were exercised: {seen:?}"
    );
    assert!(
        seen.demoted > 0 && seen.groups > 0 && seen.regrouped > 0,
        "{seen:?}"
    );
    // The repeated fact survives, deduplicated: far fewer live copies than times it was said.
    assert!(
        berlin_live >= 1 && berlin_live * 3 <= berlin_said,
        "{berlin_live} of {berlin_said}"
    );
    for m in &live {
        if m.cand.is_consolidated() && m.content.contains(BERLIN) {
            assert_eq!(
                m.content.matches(BERLIN).count(),
                1,
                "deduplicated inside: {}",
                m.content
            );
        }
    }
    assert!(
        live.len() * 2 < world.mems.len(),
        "old chatter was consolidated or archived"
    );
}
