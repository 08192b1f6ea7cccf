//! The default summarizer: no model, just the inputs' own sentences, deduplicated.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use super::text::{jaccard_sets, normalize, split_sentences, token_set};
use super::{assemble, by_time, span, ConsolidationInput, Summarizer, Summary};
use crate::candidate::CONSOLIDATED_KIND;
use crate::error::Result;
use crate::time::format_date;

/// Appended when the content is cut at `max_chars`.
pub const TRUNCATION_MARK: &str = " […]";

/// Settings of [`ExtractiveSummarizer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtractiveConfig {
    /// A sentence whose token set has Jaccard similarity ≥ this with an already kept sentence is
    /// a near-duplicate and dropped. Default 0.8. Above 1.0 disables near-duplicate detection.
    pub near_duplicate_jaccard: f32,
    /// Cap on the content length in characters (Unicode scalar values), marker included.
    /// Default 4000.
    pub max_chars: usize,
}

impl Default for ExtractiveConfig {
    fn default() -> Self {
        ExtractiveConfig {
            near_duplicate_jaccard: 0.8,
            max_chars: 4000,
        }
    }
}

/// Extractive consolidation. Content = `"[<first date> – <last date>] "` (UTC dates of the span,
/// see [`super::span`]; one date if both fall on the same day) followed by the inputs' sentences in time order (ties by id), each once: a sentence is
/// dropped when its normalised form ([`super::normalize`]) was already kept, or when it is a
/// near-duplicate (token Jaccard ≥ `near_duplicate_jaccard`) of a kept one. A consolidated
/// input's own date prefix is dropped first. Sentences without a
/// final `.`, `!`, `?` or `…` get a `.`. Past `max_chars`, whole trailing sentences are
/// dropped (a single over-long one is cut) and [`TRUNCATION_MARK`] is appended.
#[derive(Debug, Clone, Default)]
pub struct ExtractiveSummarizer {
    /// Settings.
    pub config: ExtractiveConfig,
}

impl ExtractiveSummarizer {
    /// A summarizer with these settings.
    pub fn new(config: ExtractiveConfig) -> Self {
        ExtractiveSummarizer { config }
    }

    /// The deduplicated sentences of `items`, in time order.
    pub fn sentences(&self, items: &[ConsolidationInput]) -> Vec<String> {
        let mut exact: HashSet<String> = HashSet::new();
        let mut kept_sets: Vec<BTreeSet<String>> = Vec::new();
        let mut out = Vec::new();
        for item in by_time(items) {
            for s in split_sentences(body(item)) {
                let norm = normalize(s);
                if norm.is_empty() || exact.contains(&norm) {
                    continue;
                }
                let set = token_set(s);
                if self.near_duplicate(&set, &kept_sets) {
                    continue;
                }
                exact.insert(norm);
                kept_sets.push(set);
                out.push(terminated(s));
            }
        }
        out
    }

    fn near_duplicate(&self, set: &BTreeSet<String>, kept: &[BTreeSet<String>]) -> bool {
        let t = self.config.near_duplicate_jaccard;
        kept.iter().any(|k| {
            // Jaccard ≤ min/max of the set sizes: skip pairs that cannot reach the threshold.
            let (lo, hi) = (k.len().min(set.len()), k.len().max(set.len()));
            hi > 0 && lo as f32 / hi as f32 >= t && jaccard_sets(k, set) >= t
        })
    }
}

impl Summarizer for ExtractiveSummarizer {
    fn summarize(&self, items: &[ConsolidationInput]) -> Result<Summary> {
        let sentences = self.sentences(items);
        let prefix = span_prefix(items);
        let (content, truncated) = cap(&prefix, &sentences, self.config.max_chars);
        assemble(items, content, truncated)
    }
}

/// `"[2024-01-03 – 2024-01-17] "`, or `"[2024-01-03] "` within one UTC day.
fn span_prefix(items: &[ConsolidationInput]) -> String {
    let (first, last) = span(items).unwrap_or((0, 0));
    let (a, b) = (format_date(first), format_date(last));
    if a == b {
        format!("[{a}] ")
    } else {
        format!("[{a} – {b}] ")
    }
}

/// The content of an input without the date prefix this summarizer put on it (only for
/// consolidated inputs; the new prefix covers the old span).
fn body(item: &ConsolidationInput) -> &str {
    let text = item.content.as_str();
    if item.kind != CONSOLIDATED_KIND {
        return text;
    }
    let Some((head, rest)) = text.strip_prefix('[').and_then(|t| t.split_once("] ")) else {
        return text;
    };
    let is_dates = head.len() <= 32
        && head
            .chars()
            .all(|c| c.is_ascii_digit() || " -–".contains(c));
    if is_dates {
        rest
    } else {
        text
    }
}

fn terminated(s: &str) -> String {
    if s.ends_with(['.', '!', '?', '…']) {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

/// Joins `prefix` and the sentences within `max` chars; returns the text and whether it was cut.
fn cap(prefix: &str, sentences: &[String], max: usize) -> (String, bool) {
    let full = format!("{prefix}{}", sentences.join(" "));
    if full.chars().count() <= max {
        return (full, false);
    }
    let budget = max.saturating_sub(TRUNCATION_MARK.chars().count());
    let mut out: String = prefix.chars().take(budget).collect();
    let mut used = out.chars().count();
    for (i, s) in sentences.iter().enumerate() {
        let sep = usize::from(i > 0);
        let len = s.chars().count() + sep;
        if used + len > budget {
            if i == 0 {
                // Not even one whole sentence fits: cut it rather than return only the prefix.
                out.extend(s.chars().take(budget.saturating_sub(used)));
            }
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(s);
        used += len;
    }
    let out = out.trim_end().to_string();
    let mark: String = TRUNCATION_MARK
        .chars()
        .take(max.saturating_sub(out.chars().count()))
        .collect();
    (out + &mark, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_keeps_whole_sentences_and_the_limit() {
        let s: Vec<String> = ["One two.", "Three four.", "Five six."]
            .map(String::from)
            .to_vec();
        let (t, cut) = cap("[p] ", &s, 100);
        assert_eq!(
            (t.as_str(), cut),
            ("[p] One two. Three four. Five six.", false)
        );
        let (t, cut) = cap("[p] ", &s, 28);
        assert!(cut);
        assert_eq!(t, "[p] One two. Three four. […]");
        assert!(t.chars().count() <= 28);
        let (t, cut) = cap("[p] ", &s, 10);
        assert!(cut && t.chars().count() <= 10, "{t:?}");
        let (t, _) = cap("[p] ", &s, 2);
        assert!(t.chars().count() <= 2);
    }
}
