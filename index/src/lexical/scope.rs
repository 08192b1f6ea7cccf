//! In-memory postings of one scope's documents (a user's, a session's memories), so that a
//! query restricted to that scope scores the scope's own postings instead of leapfrogging the
//! scope's members through database-wide postings lists.
//!
//! A filtered query over global postings visits every member of the filter that holds a query
//! term, each visit a cursor advance per term (a block decode, a binary search): for a
//! 27 000-memory user at a million memories and four common query terms that is ~2 ms, most of
//! a context window. The same query over the scope's own postings adds up a few thousand
//! `(local doc, tf)` pairs per term (each document's length kept once).
//!
//! A copy is a snapshot: the caller (the engine) knows which of the filter's documents the
//! copy holds *with their current text* (`covered`); the rest of the filter is searched in the
//! global index, and the two top-k lists are merged. Scores are computed exactly as
//! [`super::search`] computes them (the same global N, df and avgdl of the reading transaction,
//! the same terms summed in the same order), so the result is identical to the global search.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use super::tokenize::for_each_token;

/// Documents indexed between two calls of [`ScopePostings::build_pausing`]'s `pause`.
pub const PAUSE_EVERY: u32 = 64;

/// One term's postings in a scope: parallel arrays, by increasing local document index.
#[derive(Debug, Default)]
struct Postings {
    /// Index of the document in [`ScopePostings::ids`].
    local: Vec<u32>,
    tfs: Vec<u32>,
}

impl Postings {
    /// Counts one occurrence in the document `local`, the last one added or a later one.
    fn add(&mut self, local: u32) {
        match (self.local.last(), self.tfs.last_mut()) {
            (Some(&last), Some(tf)) if last == local => *tf = tf.saturating_add(1),
            _ => {
                self.local.push(local);
                self.tfs.push(1);
            }
        }
    }
}

/// The postings of a set of documents, built from their texts.
#[derive(Debug, Default)]
pub struct ScopePostings {
    /// The documents, increasing.
    ids: Vec<u32>,
    /// Their lengths in tokens, by local index (a document's length once, not per posting).
    lens: Vec<u32>,
    docs: RoaringBitmap,
    terms: HashMap<String, Postings>,
    bytes: usize,
}

impl ScopePostings {
    /// Indexes `docs` (document, text) exactly as [`super::index_document`] would. A document
    /// given twice keeps its first text.
    pub fn build<'a>(docs: impl IntoIterator<Item = (u32, &'a str)>) -> ScopePostings {
        Self::build_pausing(docs, || {})
    }

    /// [`ScopePostings::build`], calling `pause` after every [`PAUSE_EVERY`] documents (a
    /// background builder gives the processor back there: `std::thread::yield_now`).
    pub fn build_pausing<'a>(
        docs: impl IntoIterator<Item = (u32, &'a str)>,
        mut pause: impl FnMut(),
    ) -> ScopePostings {
        let mut texts: Vec<(u32, &str)> = docs.into_iter().collect();
        texts.sort_by_key(|d| d.0);
        texts.dedup_by_key(|d| d.0);
        let mut s = ScopePostings::default();
        for (local, (doc, text)) in (0u32..).zip(texts) {
            if local > 0 && local % PAUSE_EVERY == 0 {
                pause();
            }
            s.ids.push(doc);
            let mut len = 0u32;
            let terms = &mut s.terms;
            // Documents come in local order, so a term's postings end with this document's
            // entry exactly when the term was seen before in this text.
            for_each_token(text, |t| {
                len = len.saturating_add(1);
                if let Some(p) = terms.get_mut(t) {
                    p.add(local);
                } else {
                    let mut p = Postings::default();
                    p.add(local);
                    terms.insert(t.to_owned(), p);
                }
            });
            s.lens.push(len);
        }
        s.docs = s.ids.iter().copied().collect();
        let postings: usize = s
            .terms
            .values()
            .map(|p| (p.local.capacity() + p.tfs.capacity()) * 4)
            .sum();
        let keys: usize = s.terms.keys().map(|k| k.capacity() + 64).sum();
        s.bytes =
            (s.ids.capacity() + s.lens.capacity()) * 4 + s.docs.serialized_size() + postings + keys;
        s
    }

    /// The documents it holds.
    pub fn docs(&self) -> &RoaringBitmap {
        &self.docs
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when it holds no document.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds `weight(tf, dl)` of every posting of `term` to `acc` (indexed like `ids`).
    pub(super) fn accumulate(&self, term: &str, acc: &mut [f64], weight: impl Fn(u32, u32) -> f64) {
        let Some(p) = self.terms.get(term) else {
            return;
        };
        for (&i, &tf) in p.local.iter().zip(&p.tfs) {
            let i = i as usize;
            if let (Some(a), Some(&dl)) = (acc.get_mut(i), self.lens.get(i)) {
                *a += weight(tf, dl);
            }
        }
    }

    /// The document at local index `i`.
    pub(super) fn id(&self, i: usize) -> Option<u32> {
        self.ids.get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_pausing_pauses_every_so_many_documents_and_builds_the_same() {
        let texts: Vec<String> = (0..200).map(|i| format!("note {i} about cats")).collect();
        let docs = || (0u32..).zip(texts.iter().map(String::as_str));
        let mut pauses = 0;
        let paused = ScopePostings::build_pausing(docs(), || pauses += 1);
        assert_eq!(pauses, 199 / PAUSE_EVERY as usize);
        let plain = ScopePostings::build(docs());
        assert_eq!(paused.len(), plain.len());
        assert_eq!(paused.bytes(), plain.bytes());
        assert_eq!(paused.lens, plain.lens);
        let cat = |s: &ScopePostings| s.terms.get("cat").map(|p| (p.local.clone(), p.tfs.clone()));
        assert_eq!(cat(&paused), cat(&plain));
        assert_eq!(cat(&plain).map(|(l, _)| l.len()), Some(200));
    }
}
