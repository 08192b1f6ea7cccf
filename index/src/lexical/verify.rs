//! Consistency checks and statistics of the lexical index.

use super::format::{self, Block, TermEntry, MAX_BLOCK};
use super::tables::{db, open_read, read_stats, DOC_LENS, POSTINGS, STATS, TERMS};
use crate::error::Result;
use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata};
use std::collections::HashMap;

/// Sizes of the lexical index in one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LexicalStats {
    /// Indexed documents.
    pub doc_count: u64,
    /// Sum of document lengths in tokens.
    pub total_len: u64,
    /// Distinct terms in the dictionary.
    pub terms: u64,
    /// Postings blocks.
    pub blocks: u64,
}

/// Counts of the index as stored (statistics record and table lengths).
pub fn stats(rtxn: &ReadTransaction) -> Result<LexicalStats> {
    let mut out = LexicalStats::default();
    if let Some(t) = open_read(rtxn, STATS)? {
        let s = read_stats(&t)?;
        out.doc_count = s.doc_count;
        out.total_len = s.total_len;
    }
    if let Some(t) = open_read(rtxn, TERMS)? {
        out.terms = t.len().map_err(db)?;
    }
    if let Some(t) = open_read(rtxn, POSTINGS)? {
        out.blocks = t.len().map_err(db)?;
    }
    Ok(out)
}

/// Problems found, capped so a badly broken index does not produce an unbounded report.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, p: String) {
        if self.0.len() < 1000 {
            self.0.push(p);
        }
    }
}

/// What the postings say about one document.
#[derive(Default, Clone, Copy)]
struct DocSeen {
    tf_sum: u64,
    dl: u32,
}

/// Checks every record and the invariants between them: each record decodes (format byte, crc);
/// blocks are ordered, non-overlapping, 1..=`MAX_BLOCK` long, under known term ids; df = postings
/// per term; tf and dl within the term's bounds; each document's postings carry its stored length
/// and their tfs sum to it; document count and total length match the statistics. Returns the
/// problems found (empty = consistent); `Err` only when redb itself fails.
pub fn verify(rtxn: &ReadTransaction) -> Result<Vec<String>> {
    let mut p = Problems::default();
    let stats = match open_read(rtxn, STATS)? {
        Some(t) => read_stats(&t).unwrap_or_else(|e| {
            p.push(e.to_string());
            Default::default()
        }),
        None => Default::default(),
    };
    let terms = check_terms(rtxn, stats.next_term_id, &mut p)?;
    let docs = check_postings(rtxn, &terms, &mut p)?;
    check_doc_lens(rtxn, &docs, &stats, &mut p)?;
    Ok(p.0)
}

/// Term id → (term, entry, postings seen).
type TermMap = HashMap<u32, (String, TermEntry)>;

fn check_terms(rtxn: &ReadTransaction, next_id: u32, p: &mut Problems) -> Result<TermMap> {
    let mut map = TermMap::new();
    let Some(t) = open_read(rtxn, TERMS)? else {
        return Ok(map);
    };
    for e in t.iter().map_err(db)? {
        let (k, v) = e.map_err(db)?;
        let term = k.value().to_string();
        match format::decode_term(&term, v.value()) {
            Ok(entry) if entry.id >= next_id => p.push(format!(
                "term {term:?}: id {} ≥ next id {next_id}",
                entry.id
            )),
            Ok(entry) if entry.df == 0 => {
                p.push(format!("term {term:?}: df 0 but still in the dictionary"))
            }
            Ok(entry) => {
                if let Some((other, _)) = map.insert(entry.id, (term.clone(), entry)) {
                    p.push(format!(
                        "terms {other:?} and {term:?} share id {}",
                        entry.id
                    ));
                }
            }
            Err(e) => p.push(e.to_string()),
        }
    }
    Ok(map)
}

fn check_postings(
    rtxn: &ReadTransaction,
    terms: &TermMap,
    p: &mut Problems,
) -> Result<HashMap<u32, DocSeen>> {
    let mut docs: HashMap<u32, DocSeen> = HashMap::new();
    let mut df: HashMap<u32, u32> = HashMap::new();
    let Some(t) = open_read(rtxn, POSTINGS)? else {
        check_df(terms, &df, p);
        return Ok(docs);
    };
    let mut block = Block::default();
    let mut prev: Option<(u32, u32)> = None; // (term id, last doc) of the previous block
    for e in t.iter().map_err(db)? {
        let (k, v) = e.map_err(db)?;
        let (tid, key) = k.value();
        if let Err(e) = format::decode_block(tid, key, v.value(), &mut block) {
            p.push(e.to_string());
            continue;
        }
        let name = format!("lex_postings[({tid}, {key})]");
        let Some((_, entry)) = terms.get(&tid) else {
            p.push(format!("{name}: term id not in the dictionary"));
            continue;
        };
        if block.len() > MAX_BLOCK {
            p.push(format!("{name}: {} postings > {MAX_BLOCK}", block.len()));
        }
        let first = block.docs.first().copied().unwrap_or(key);
        if key > first || prev.is_some_and(|(pt, last)| pt == tid && last >= key) {
            p.push(format!(
                "{name}: key out of order with its docs or the previous block"
            ));
        }
        prev = Some((tid, block.last_doc().unwrap_or(key)));
        *df.entry(tid).or_default() += block.len() as u32;
        for ((&d, &tf), &dl) in block.docs.iter().zip(&block.tfs).zip(&block.dls) {
            if tf > entry.max_tf || dl < entry.min_dl {
                p.push(format!(
                    "{name}: doc {d} (tf {tf}, dl {dl}) outside the term's bounds"
                ));
            }
            let seen = docs.entry(d).or_insert(DocSeen { tf_sum: 0, dl });
            if seen.dl != dl {
                p.push(format!(
                    "{name}: doc {d} has length {dl} here, {} elsewhere",
                    seen.dl
                ));
            }
            seen.tf_sum += u64::from(tf);
        }
    }
    check_df(terms, &df, p);
    Ok(docs)
}

fn check_df(terms: &TermMap, df: &HashMap<u32, u32>, p: &mut Problems) {
    for (id, (term, entry)) in terms {
        let found = df.get(id).copied().unwrap_or(0);
        if found != entry.df {
            p.push(format!(
                "term {term:?}: df {} but {found} postings",
                entry.df
            ));
        }
    }
}

fn check_doc_lens(
    rtxn: &ReadTransaction,
    docs: &HashMap<u32, DocSeen>,
    stats: &format::StatsRecord,
    p: &mut Problems,
) -> Result<()> {
    let (mut count, mut total, mut matched) = (0u64, 0u64, 0usize);
    if let Some(t) = open_read(rtxn, DOC_LENS)? {
        for e in t.iter().map_err(db)? {
            let (k, v) = e.map_err(db)?;
            let (doc, len) = (k.value(), v.value());
            count += 1;
            total += u64::from(len);
            let seen = docs.get(&doc).copied().unwrap_or_default();
            matched += usize::from(docs.contains_key(&doc));
            if seen.tf_sum != u64::from(len) || (len > 0 && seen.dl != len) {
                p.push(format!(
                    "doc {doc}: length {len}, postings say {} (tf sum {})",
                    seen.dl, seen.tf_sum
                ));
            }
        }
    }
    if matched != docs.len() {
        p.push(format!(
            "{} documents have postings but no length",
            docs.len() - matched
        ));
    }
    if count != stats.doc_count || total != stats.total_len {
        p.push(format!(
            "lex_stats says {} docs / {} tokens, lex_doc_len holds {count} / {total}",
            stats.doc_count, stats.total_len
        ));
    }
    Ok(())
}
