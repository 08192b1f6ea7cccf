//! Sentences, normalisation and token similarity for extractive deduplication.

use std::collections::BTreeSet;

/// Splits text into trimmed sentences: a sentence ends at `.`, `!`, `?` or `…` followed by
/// whitespace (or the end), or at a line break. Empty pieces are dropped. Abbreviations
/// ("e.g. this") split too; harmless here, since pieces are only compared and re-joined.
pub fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        let next_is_space = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        let end = match ch {
            '\n' | '\r' => Some(i),
            '.' | '!' | '?' | '…' if next_is_space => Some(i + ch.len_utf8()),
            _ => None,
        };
        if let Some(end) = end {
            push_trimmed(&mut out, text.get(start..end).unwrap_or(""));
            start = end;
        }
    }
    push_trimmed(&mut out, text.get(start..).unwrap_or(""));
    out
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, piece: &'a str) {
    let t = piece.trim();
    if !t.is_empty() {
        out.push(t);
    }
}

/// Lower-cased alphanumeric tokens joined by one space: "The  cat, sat!" → "the cat sat".
/// Two sentences are exact duplicates when their normalised forms are equal.
pub fn normalize(sentence: &str) -> String {
    tokens(sentence).collect::<Vec<_>>().join(" ")
}

/// Jaccard similarity of the two sentences' token sets (1.0 for two empty sets).
pub fn jaccard(a: &str, b: &str) -> f32 {
    jaccard_sets(&token_set(a), &token_set(b))
}

pub(crate) fn token_set(s: &str) -> BTreeSet<String> {
    tokens(s).collect()
}

pub(crate) fn jaccard_sets(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f32 {
    let union = a.union(b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(b).count() as f32 / union as f32
}

fn tokens(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences() {
        let s = split_sentences("Hi there. I live in Berlin!\nv1.2 is out?  Yes…no. end");
        assert_eq!(
            s,
            vec![
                "Hi there.",
                "I live in Berlin!",
                "v1.2 is out?",
                "Yes…no.",
                "end"
            ]
        );
        assert!(split_sentences("  \n ").is_empty());
    }

    #[test]
    fn normal_forms() {
        assert_eq!(normalize("The  Cat, sat!"), "the cat sat");
        assert_eq!(normalize("Grüße, Ünïcode."), "grüße ünïcode");
        assert!((jaccard("a b c d", "a b c e") - 0.6).abs() < 1e-6);
        assert_eq!(jaccard("...", "!!"), 1.0);
    }
}
