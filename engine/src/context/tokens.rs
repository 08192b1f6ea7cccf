//! Token counting for the context budget.
//!
//! Without an exact tokenizer the engine uses a documented, conservative estimator: a text costs
//! ⌈UTF-8 bytes / 3⌉ tokens, and at least one per whitespace-separated word. English BPE
//! vocabularies (cl100k, o200k) average about four bytes per token, so the estimate runs high — a
//! window built with it never exceeds the budget of a real tokenizer on ordinary text, at the price
//! of leaving some room unused. Pass your own [`TokenCounter`] for exact counts.
//!
//! With the cargo feature `tiktoken`, [`Bpe`] counts exactly with OpenAI's `cl100k_base` (GPT-4,
//! GPT-3.5) or `o200k_base` (GPT-4o, GPT-4.1, o-series) vocabulary. Both vocabularies are compiled
//! into the `tiktoken-rs` crate, so nothing is downloaded at build or run time. Text is encoded as
//! ordinary text: a memory containing `<|endoftext|>` is counted as those characters, not as a
//! special token. [`counter_by_name`] picks a counter from a name (`estimate`, `cl100k`, `o200k`).

use crate::error::{Error, Result};

/// Counts tokens of a text.
pub trait TokenCounter: Send + Sync {
    /// Tokens of `text`.
    fn count(&self, text: &str) -> usize;
    /// A short name for reports.
    fn name(&self) -> &str;
    /// A lower bound of `count(text)` for every text of `bytes` UTF-8 bytes (default 0). The
    /// context window does not build a line that cannot fit by this bound.
    fn min_count(&self, bytes: usize) -> usize {
        let _ = bytes;
        0
    }
}

/// The built-in estimator (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct Estimator;

impl TokenCounter for Estimator {
    fn count(&self, text: &str) -> usize {
        text.len().div_ceil(3).max(words(text))
    }
    fn min_count(&self, bytes: usize) -> usize {
        bytes.div_ceil(3)
    }
    fn name(&self) -> &str {
        "estimator(bytes/3)"
    }
}

/// `text.split_whitespace().count()`, byte by byte for ASCII text (the usual case: a context
/// window counts every candidate's line).
fn words(text: &str) -> usize {
    if !text.is_ascii() {
        return text.split_whitespace().count();
    }
    // ASCII whitespace as `char::is_whitespace` has it: tab, newline, vertical tab, form feed,
    // carriage return and space.
    let mut in_word = false;
    let mut n = 0;
    for &b in text.as_bytes() {
        let word = !matches!(b, b'\t'..=b'\r' | b' ');
        n += usize::from(word && !in_word);
        in_word = word;
    }
    n
}

/// The counter called `name`: `estimate` (always), `cl100k` or `o200k` (feature `tiktoken`).
pub fn counter_by_name(name: &str) -> Result<Box<dyn TokenCounter>> {
    match name {
        "estimate" | "estimator" => Ok(Box::new(Estimator)),
        #[cfg(feature = "tiktoken")]
        "cl100k" | "cl100k_base" => Ok(Box::new(Bpe::new(Encoding::Cl100k)?)),
        #[cfg(feature = "tiktoken")]
        "o200k" | "o200k_base" => Ok(Box::new(Bpe::new(Encoding::O200k)?)),
        #[cfg(not(feature = "tiktoken"))]
        "cl100k" | "cl100k_base" | "o200k" | "o200k_base" => Err(Error::InvalidInput {
            field: "tokenizer",
            reason: format!("`{name}` needs memspine built with the cargo feature `tiktoken`"),
        }),
        _ => Err(Error::InvalidInput {
            field: "tokenizer",
            reason: format!("unknown tokenizer `{name}` (expected estimate, cl100k or o200k)"),
        }),
    }
}

#[cfg(feature = "tiktoken")]
pub use bpe::{Bpe, Encoding};

#[cfg(feature = "tiktoken")]
mod bpe {
    use std::sync::OnceLock;

    use tiktoken_rs::CoreBPE;

    use super::TokenCounter;
    use crate::error::{Error, Result};

    /// A BPE vocabulary shipped inside `tiktoken-rs`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Encoding {
        /// `cl100k_base` (GPT-4, GPT-3.5-turbo, text-embedding-3).
        Cl100k,
        /// `o200k_base` (GPT-4o, GPT-4.1, o1/o3/o4).
        O200k,
    }

    type Loaded = std::result::Result<CoreBPE, String>;
    static CL100K: OnceLock<Loaded> = OnceLock::new();
    static O200K: OnceLock<Loaded> = OnceLock::new();

    /// Exact token counts with a real BPE. The vocabulary is parsed once per process (about
    /// 0.1–0.3 s) and shared by every `Bpe`.
    #[derive(Clone, Copy)]
    pub struct Bpe {
        encoding: Encoding,
        core: &'static CoreBPE,
    }

    impl std::fmt::Debug for Bpe {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Bpe")
                .field("encoding", &self.encoding)
                .finish()
        }
    }

    impl Bpe {
        /// Loads (once) and returns the counter for `encoding`.
        pub fn new(encoding: Encoding) -> Result<Self> {
            let (cell, load): (&OnceLock<Loaded>, fn() -> anyhow::Result<CoreBPE>) = match encoding
            {
                Encoding::Cl100k => (&CL100K, tiktoken_rs::cl100k_base),
                Encoding::O200k => (&O200K, tiktoken_rs::o200k_base),
            };
            match cell.get_or_init(|| load().map_err(|e| e.to_string())) {
                Ok(core) => Ok(Bpe { encoding, core }),
                Err(e) => Err(Error::Storage(format!(
                    "loading the {encoding:?} vocabulary: {e}"
                ))),
            }
        }

        /// `cl100k_base`.
        pub fn cl100k() -> Result<Self> {
            Self::new(Encoding::Cl100k)
        }

        /// `o200k_base`.
        pub fn o200k() -> Result<Self> {
            Self::new(Encoding::O200k)
        }

        /// Which vocabulary.
        pub fn encoding(&self) -> Encoding {
            self.encoding
        }
    }

    impl TokenCounter for Bpe {
        fn count(&self, text: &str) -> usize {
            self.core.encode_ordinary(text).len()
        }
        fn name(&self) -> &str {
            match self.encoding {
                Encoding::Cl100k => "cl100k_base",
                Encoding::O200k => "o200k_base",
            }
        }
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

    #[test]
    fn words_are_counted_as_split_whitespace_counts_them() {
        for text in [
            "",
            " ",
            "one",
            " two  words ",
            "a\tb\nc\x0bd\x0ce\rf",
            "\x1c not whitespace \x1f",
            "non\u{a0}breaking space",
            "ideographic\u{3000}space and ümlauts",
        ] {
            assert_eq!(words(text), text.split_whitespace().count(), "{text:?}");
        }
        let mut state = 1u64;
        for _ in 0..2000 {
            let text: String = (0..40)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let alphabet = b"ab \t\n\r\x0b\x0c\x1f.";
                    char::from(alphabet[(state >> 59) as usize % alphabet.len()])
                })
                .collect();
            assert_eq!(words(&text), text.split_whitespace().count(), "{text:?}");
            assert!(Estimator.min_count(text.len()) <= Estimator.count(&text));
        }
    }

    #[test]
    fn counters_by_name() {
        assert_eq!(
            counter_by_name("estimate").unwrap().name(),
            "estimator(bytes/3)"
        );
        assert!(counter_by_name("gpt2").is_err());
        #[cfg(not(feature = "tiktoken"))]
        assert!(counter_by_name("cl100k").is_err());
    }

    #[cfg(feature = "tiktoken")]
    #[test]
    fn bpe_counts_match_the_reference_tokenizer() {
        // Token ids from OpenAI's tiktoken for "tiktoken is great!": cl100k [83, 1609, 5963,
        // 374, 2294, 0].
        let cl = Bpe::cl100k().unwrap();
        assert_eq!(cl.count("tiktoken is great!"), 6);
        assert_eq!(cl.count(""), 0);
        // A special token's text is ordinary text here (never an error, never one token).
        assert!(cl.count("<|endoftext|>") > 1);
        let o = Bpe::o200k().unwrap();
        assert_eq!(o.name(), "o200k_base");
        assert!(o.count("tiktoken is great!") > 0);
        // The estimator runs high on English text.
        let text = "Alice moved to Berlin in March and prefers to be contacted by email.";
        assert!(Estimator.count(text) >= cl.count(text));
        assert!(Estimator.count(text) >= o.count(text));
    }
}
