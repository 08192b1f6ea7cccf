//! Scope/tag/kind/pinned/time filters are bitmap operations that match a brute-force scan.

#![allow(clippy::unwrap_used)]

mod common;

use memspine::{Filter, MemoryId, MemoryUpdate, NewMemory};

#[test]
fn filters_match_brute_force() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let users = ["alice", "bob", "carol"];
    let tags = ["billing", "login", "shipping", "vip"];
    let mut batch = Vec::new();
    for i in 0..900u64 {
        let mut m = NewMemory::new(format!("m{i}"))
            .user(users[(i % 3) as usize])
            .session(format!("s{}", i % 11))
            .kind(if i % 4 == 0 { "fact" } else { "interaction" })
            .created_at(common::T0 + i * 1000)
            .pinned(i % 13 == 0);
        for (k, t) in tags.iter().enumerate() {
            if (i >> k) & 1 == 1 {
                m = m.tag(*t);
            }
        }
        batch.push(m);
    }
    let ids = db.store_batch(batch).unwrap();
    // Mutate some so the bitmaps must have followed updates and deletes.
    for id in ids.iter().step_by(17) {
        db.update(
            *id,
            MemoryUpdate {
                tags: Some(vec!["vip".into()]),
                ..Default::default()
            },
        )
        .unwrap();
    }
    for id in ids.iter().step_by(29) {
        db.delete(*id).unwrap();
    }
    let all = db.get_many(&ids).unwrap();
    let filters = [
        Filter::user("alice"),
        Filter {
            user: Some("bob".into()),
            tags: vec!["billing".into()],
            ..Default::default()
        },
        Filter {
            tags: vec!["vip".into(), "login".into()],
            ..Default::default()
        },
        Filter {
            kind: Some("fact".into()),
            pinned: Some(false),
            ..Default::default()
        },
        Filter {
            pinned: Some(true),
            ..Default::default()
        },
        Filter {
            session: Some("s3".into()),
            created_after: Some(common::T0 + 300_000),
            created_before: Some(common::T0 + 600_000),
            ..Default::default()
        },
        Filter {
            user: Some("nobody".into()),
            ..Default::default()
        },
    ];
    for f in &filters {
        let got = db.filter_ids(f).unwrap();
        let want: Vec<MemoryId> = all
            .iter()
            .filter(|m| {
                f.user
                    .as_ref()
                    .is_none_or(|u| m.scope.user.as_ref() == Some(u))
            })
            .filter(|m| {
                f.session
                    .as_ref()
                    .is_none_or(|s| m.scope.session.as_ref() == Some(s))
            })
            .filter(|m| f.kind.as_ref().is_none_or(|k| &m.kind == k))
            .filter(|m| f.tags.iter().all(|t| m.tags.contains(t)))
            .filter(|m| f.pinned.is_none_or(|p| m.pinned == p))
            .filter(|m| f.created_after.is_none_or(|t| m.created_at >= t))
            .filter(|m| f.created_before.is_none_or(|t| m.created_at < t))
            .map(|m| m.id)
            .collect();
        assert_eq!(got, want, "{f:?}");
    }
    assert!(db.verify().unwrap().is_ok());
}

#[test]
fn tiers_split_working_short_and_long_term() {
    use memspine::Tier;
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    let day = 24 * 3_600_000_000u64;
    let old = db
        .store(
            NewMemory::new("old")
                .session("s0")
                .created_at(common::T0 - 30 * day),
        )
        .unwrap();
    let recent = db
        .store(
            NewMemory::new("recent")
                .session("s1")
                .created_at(common::T0 - 2 * day),
        )
        .unwrap();
    let now = db.store(NewMemory::new("now").session("s2")).unwrap();
    clock.set(common::T0);
    let ids = |tier: Tier| {
        db.filter_ids(&Filter {
            tier: Some(tier),
            current_session: Some("s2".into()),
            ..Default::default()
        })
        .unwrap()
    };
    assert_eq!(ids(Tier::Working), vec![now]);
    assert_eq!(ids(Tier::ShortTerm), vec![recent]);
    assert_eq!(ids(Tier::LongTerm), vec![old]);
    let m = db.get(old).unwrap();
    assert_eq!(m.tier(db.now(), Some("s2")), Tier::LongTerm);
    assert!(db
        .filter_ids(&Filter {
            tier: Some(Tier::Working),
            ..Default::default()
        })
        .is_err());
}
