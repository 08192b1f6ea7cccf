//! Finding known entities mentioned in free text (the context builder's graph proximity).

use redb::ReadTransaction;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::normalize::normalize;
use crate::tables::{self, NAMES};

/// Longest name, in words, looked up by [`entities_in_text`].
pub const MAX_NGRAM_WORDS: usize = 4;

/// An entity found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// Entity id.
    pub entity: u64,
    /// The normalised name or alias that matched.
    pub matched: String,
    /// How many times it matched.
    pub count: u32,
}

/// Known entities mentioned in `text`, in order of first mention, at most `max`. Words are split
/// on whitespace and stripped of surrounding punctuation; at each word the longest n-gram (up to
/// [`MAX_NGRAM_WORDS`] words) that normalises to a name or alias wins, and matching resumes
/// after it, so "New York" is found and "York" inside it is not.
pub fn entities_in_text(rtxn: &ReadTransaction, text: &str, max: usize) -> Result<Vec<Mention>> {
    let Some(names) = tables::read(rtxn, NAMES)? else {
        return Ok(Vec::new());
    };
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    let mut found: Vec<Mention> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let mut step = 1;
        for n in (1..=MAX_NGRAM_WORDS.min(words.len() - i)).rev() {
            let key = normalize(&words.get(i..i + n).unwrap_or_default().join(" "));
            if let Some(id) = names.get(key.as_str())?.map(|g| g.value()) {
                if let Some(m) = found.iter_mut().find(|m| m.entity == id) {
                    m.count += 1;
                } else if found.len() < max {
                    found.push(Mention {
                        entity: id,
                        matched: key,
                        count: 1,
                    });
                }
                step = n;
                break;
            }
        }
        i += step;
    }
    Ok(found)
}
