//! BERT's uncased tokenizer (basic normalisation, punctuation split, greedy WordPiece) without
//! the `tokenizers` crate, so the default build stays light.
//!
//! It follows HF tokenizers' `BertNormalizer` (clean text, CJK spacing, strip accents,
//! lowercase), `BertPreTokenizer` (split on whitespace, isolate punctuation) and `WordPiece`
//! (longest match first, `##` continuations, `[UNK]` for words that cannot be covered or are
//! longer than 100 chars). Unicode punctuation is approximated by the common ranges; a rare
//! symbol may therefore split differently, which only moves one token of a static average.

use std::collections::HashMap;

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Words longer than this many chars become `[UNK]`, as in BERT.
const MAX_WORD_CHARS: usize = 100;

/// A WordPiece tokenizer over a fixed vocabulary; token ids are vocabulary line numbers.
#[derive(Debug)]
pub struct WordPiece {
    ids: HashMap<String, u32>,
    unk: Option<u32>,
    /// Longest vocabulary entry in chars (`##` excluded): bounds the greedy search.
    max_piece_chars: usize,
}

impl WordPiece {
    /// Builds the lookup from the vocabulary in id order.
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        let ids: HashMap<String, u32> = tokens
            .into_iter()
            .enumerate()
            .map(|(i, t)| (t.to_owned(), i as u32))
            .collect();
        let unk = ids.get("[UNK]").copied();
        let max_piece_chars = ids
            .keys()
            .map(|t| t.strip_prefix("##").unwrap_or(t).chars().count())
            .max()
            .unwrap_or(0);
        Self {
            ids,
            unk,
            max_piece_chars,
        }
    }

    /// Appends the ids of `text`'s tokens to `out` (no `[CLS]`/`[SEP]`).
    pub fn tokenize(&self, text: &str, out: &mut Vec<u32>) {
        let normalised = normalise(text);
        let mut piece = String::new();
        for word in pre_tokenize(&normalised) {
            self.word_pieces(word, &mut piece, out);
        }
    }

    /// Greedy longest-match-first split of one word; all-or-nothing like BERT.
    fn word_pieces(&self, word: &str, piece: &mut String, out: &mut Vec<u32>) {
        let start_len = out.len();
        let bounds: Vec<usize> = word
            .char_indices()
            .map(|(i, _)| i)
            .chain([word.len()])
            .collect();
        if bounds.len() - 1 > MAX_WORD_CHARS {
            out.extend(self.unk);
            return;
        }
        let mut start = 0; // index into `bounds`
        while start + 1 < bounds.len() {
            let longest = (start + self.max_piece_chars).min(bounds.len() - 1);
            let found = (start + 1..=longest).rev().find_map(|end| {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.push_str(word.get(bounds[start]..bounds[end])?);
                self.ids.get(piece.as_str()).map(|&id| (id, end))
            });
            match found {
                Some((id, end)) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(start_len);
                    out.extend(self.unk);
                    return;
                }
            }
        }
    }
}

/// `BertNormalizer` with clean_text, handle_chinese_chars, strip_accents and lowercase on.
fn normalise(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_cjk(c) {
            spaced.extend([' ', c, ' ']);
        } else if c.is_whitespace() {
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    spaced
        .nfd()
        .filter(|&c| !is_combining_mark(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `BertPreTokenizer`: words split on whitespace, each punctuation char its own word.
fn pre_tokenize(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().flat_map(|chunk| {
        let mut pieces = Vec::new();
        let mut start = 0;
        for (i, c) in chunk.char_indices() {
            if is_punctuation(c) {
                if start < i {
                    pieces.extend(chunk.get(start..i));
                }
                pieces.extend(chunk.get(i..i + c.len_utf8()));
                start = i + c.len_utf8();
            }
        }
        if start < chunk.len() {
            pieces.extend(chunk.get(start..));
        }
        pieces
    })
}

/// Control and format characters BERT drops (tab, newline and return count as whitespace).
fn is_control(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// BERT's "Chinese character" blocks (CJK ideographs), which it tokenizes one char at a time.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// ASCII punctuation (BERT counts all of it, `$`, `^`, `` ` `` included) and the common
/// Unicode punctuation blocks.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c, '\u{a1}' | '\u{a7}' | '\u{ab}' | '\u{b6}' | '\u{b7}' | '\u{bb}' | '\u{bf}'
            | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205e}' | '\u{2e00}'..='\u{2e4f}'
            | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301f}'
            | '\u{ff01}'..='\u{ff03}' | '\u{ff05}'..='\u{ff0a}' | '\u{ff0c}'..='\u{ff0f}'
            | '\u{ff1a}' | '\u{ff1b}' | '\u{ff1f}' | '\u{ff20}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(vocab: &[&str], text: &str) -> Vec<String> {
        let wp = WordPiece::new(vocab.iter().copied());
        let mut ids = Vec::new();
        wp.tokenize(text, &mut ids);
        ids.iter().map(|&i| vocab[i as usize].to_owned()).collect()
    }

    #[test]
    fn greedy_longest_match_with_continuations() {
        let vocab = [
            "[UNK]", "un", "##aff", "##able", "aff", "##a", "!", "cafe", "zurich",
        ];
        assert_eq!(tokens(&vocab, "unaffable!"), ["un", "##aff", "##able", "!"]);
        assert_eq!(tokens(&vocab, "Café  ZÜRICH"), ["cafe", "zurich"]);
        assert_eq!(
            tokens(&vocab, "unx"),
            ["[UNK]"],
            "a word that cannot be covered is one [UNK]"
        );
    }

    #[test]
    fn normalisation_matches_bert() {
        assert_eq!(normalise("Héllo\tWörld\u{200b}"), "hello world");
        assert_eq!(normalise("中文"), " 中  文 ");
        let words: Vec<&str> = pre_tokenize("don't stop—now").collect();
        assert_eq!(words, ["don", "'", "t", "stop", "—", "now"]);
    }

    #[test]
    fn overlong_word_is_unknown() {
        let vocab = ["[UNK]", "a", "##a"];
        assert_eq!(tokens(&vocab, &"a".repeat(101)), ["[UNK]"]);
        assert_eq!(tokens(&vocab, &"a".repeat(100)).len(), 100);
    }
}
