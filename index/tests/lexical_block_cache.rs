//! The process-wide block cache never changes a result: filtered searches give the same hits
//! with the cache off, with a budget so small that every query evicts, and with the default,
//! and right after writes that rewrote blocks it holds. (Its own test binary: the budget is
//! process-wide.)

use memspine_index::lexical;
use redb::ReadableDatabase;
use roaring::RoaringBitmap;

const WORDS: [&str; 12] = [
    "apple", "tea", "zebra", "quantum", "blue", "run", "green", "coffee", "cafe", "river", "stone",
    "light",
];

fn text_of(d: u32, round: u32) -> String {
    (0..(d % 7 + 1))
        .map(|j| WORDS[((d * 5 + j * 3 + round) % 12) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

fn searches(db: &redb::Database, filters: &[RoaringBitmap]) -> Vec<Vec<(u32, f32)>> {
    let rtxn = db.begin_read().expect("read");
    let mut out = Vec::new();
    for f in filters {
        for q in [
            "apple tea",
            "zebra blue run",
            "coffee",
            "stone light river cafe",
        ] {
            out.push(lexical::search(&rtxn, q, 10, Some(f)).expect("search"));
        }
    }
    out
}

#[test]
fn hits_are_the_same_whatever_the_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = redb::Database::create(dir.path().join("data.redb")).expect("create");
    let filters: Vec<RoaringBitmap> = (2..6)
        .map(|m| (0..4000).filter(|d| d % (m * 7) == 1).collect())
        .collect();
    let mut texts: Vec<Option<String>> = vec![None; 4000];
    for round in 0..3u32 {
        let txn = db.begin_write().expect("begin");
        for (d, text) in (0u32..).zip(texts.iter_mut()) {
            if round > 0 && d % (round + 2) == 0 {
                if let Some(old) = text.take() {
                    lexical::remove_document(&txn, d, &old).expect("remove");
                }
            }
            if text.is_none() && (round == 0 || d % (round + 3) == 0) {
                let new = text_of(d, round);
                lexical::index_document(&txn, d, &new).expect("index");
                *text = Some(new);
            }
        }
        txn.commit().expect("commit");

        // The cache still holds blocks of the previous round, many of them since rewritten.
        let warm = searches(&db, &filters);
        lexical::set_block_cache_bytes(0);
        let want = searches(&db, &filters);
        assert_eq!(warm, want, "round {round}, blocks cached before the writes");
        assert_eq!(lexical::block_cache_usage(), 0);
        // 16 shards of 8 KiB, a few blocks each, for ~200 blocks: the searches evict all
        // the time.
        lexical::set_block_cache_bytes(128 << 10);
        for _ in 0..2 {
            assert_eq!(searches(&db, &filters), want, "round {round}, small budget");
            let held = lexical::block_cache_usage();
            assert!(held > 0 && held <= 128 << 10, "{held}");
        }
        lexical::set_block_cache_bytes(lexical::DEFAULT_BLOCK_CACHE_BYTES);
        for _ in 0..2 {
            assert_eq!(
                searches(&db, &filters),
                want,
                "round {round}, default budget"
            );
        }
        assert!(lexical::block_cache_usage() > 0);
    }
}
