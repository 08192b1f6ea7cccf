//! Token counting for the context budget.
//!
//! Without an exact tokenizer the engine uses a documented, conservative estimator: a text costs
//! ⌈UTF-8 bytes / 3⌉ tokens, and at least one per whitespace-separated word. English BPE
//! vocabularies (cl100k, o200k) average about four bytes per token, so the estimate runs high — a
//! window built with it never exceeds the budget of a real tokenizer on ordinary text, at the price
//! of leaving some room unused. Pass your own [`TokenCounter`] for exact counts.

/// Counts tokens of a text.
pub trait TokenCounter: Send + Sync {
    /// Tokens of `text`.
    fn count(&self, text: &str) -> usize;
    /// A short name for reports.
    fn name(&self) -> &str;
}

/// The built-in estimator (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct Estimator;

impl TokenCounter for Estimator {
    fn count(&self, text: &str) -> usize {
        let by_bytes = text.len().div_ceil(3);
        let words = text.split_whitespace().count();
        by_bytes.max(words)
    }
    fn name(&self) -> &str {
        "estimator(bytes/3)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimator_is_additive_enough_and_never_zero_for_text() {
        let e = Estimator;
        assert_eq!(e.count(""), 0);
        assert!(e.count("hi") >= 1);
        assert!(e.count("The cat sits on the mat.") >= 6);
    }
}
