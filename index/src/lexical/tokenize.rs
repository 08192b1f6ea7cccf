//! The tokenizer shared by indexing and querying.
//!
//! Pipeline, applied in this order (deterministic: it depends only on the text and on Unicode
//! tables compiled into the binary):
//! 1. split into words: a word is a maximal run of alphanumeric characters (`char::is_alphanumeric`,
//!    so any script); an apostrophe (`'` or `’`) between two letters stays inside the word;
//! 2. lowercase (`char::to_lowercase`);
//! 3. strip accents: a non-ASCII character is canonically decomposed (NFD) and its combining marks
//!    dropped, so "café" → "cafe"; ASCII takes a fast path;
//! 4. drop a possessive `'s`, then every remaining apostrophe ("alice's" → "alice", "don't" → "dont");
//! 5. drop words longer than [`MAX_TOKEN_BYTES`] (base64 blobs, hashes) and the stop words of
//!    [`STOP_WORDS`];
//! 6. stem ASCII words of more than 3 letters with Porter's step 1a and 1b (plurals, -ed, -ing;
//!    see [`stem`]). Numbers and words with digits are kept unstemmed.

use std::collections::BTreeMap;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Tokens longer than this (in bytes, after normalisation) are dropped.
pub const MAX_TOKEN_BYTES: usize = 64;

/// English stop words, dropped at index and query time. Short on purpose: BM25's idf already
/// discounts common words; this list only removes the ones that carry no meaning at all.
pub const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// The longest stop word's length: a longer word is no stop word without comparing.
const STOP_WORD_MAX: usize = {
    let mut max = 0;
    let mut i = 0;
    while i < STOP_WORDS.len() {
        if STOP_WORDS[i].len() > max {
            max = STOP_WORDS[i].len();
        }
        i += 1;
    }
    max
};

fn is_stop_word(w: &str) -> bool {
    w.len() <= STOP_WORD_MAX
        && STOP_WORDS
            .iter()
            .any(|s| s.len() == w.len() && s.as_bytes().first() == w.as_bytes().first() && *s == w)
}

/// Splits `text` into index terms (see the module doc for the pipeline). The query side calls this
/// too, so a query term matches exactly the documents' terms.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t.to_owned()));
    out
}

/// Term → frequency for one text, and the text's length in tokens (the BM25 document length).
pub(crate) fn term_counts(text: &str) -> (BTreeMap<String, u32>, u32) {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut len = 0u32;
    for_each_token(text, |t| {
        len = len.saturating_add(1);
        if let Some(c) = counts.get_mut(t) {
            *c = c.saturating_add(1);
        } else {
            counts.insert(t.to_owned(), 1);
        }
    });
    (counts, len)
}

/// Calls `f` with every token of `text`, in order. The token is lent from one buffer reused for
/// every word, so tokenizing allocates nothing once the buffer has grown to the longest word.
/// ASCII (most text) is read a byte at a time; any other character goes through the Unicode
/// path (lowercase, decomposition).
pub(crate) fn for_each_token(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    let mut prev_letter = false;
    let mut rest = text;
    while let Some(&b) = rest.as_bytes().first() {
        let c = if b.is_ascii() {
            char::from(b)
        } else {
            match rest.chars().next() {
                Some(c) => c,
                None => break,
            }
        };
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
        if c.is_alphanumeric() {
            push_normalised(&mut word, c);
            prev_letter = c.is_alphabetic();
        } else if is_apostrophe(c) && prev_letter && starts_alphabetic(rest) {
            word.push('\'');
            prev_letter = false;
        } else {
            finish_word(&mut word, &mut f);
            prev_letter = false;
        }
    }
    finish_word(&mut word, &mut f);
}

fn starts_alphabetic(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(b) if b.is_ascii() => b.is_ascii_alphabetic(),
        _ => s.chars().next().is_some_and(char::is_alphabetic),
    }
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Appends `c` lowercased and without accents.
fn push_normalised(word: &mut String, c: char) {
    if c.is_ascii() {
        word.push(c.to_ascii_lowercase());
        return;
    }
    for lower in c.to_lowercase() {
        decompose_canonical(lower, |d| {
            if !is_combining_mark(d) {
                word.push(d);
            }
        });
    }
}

/// Turns the accumulated word into a token (or nothing), hands it to `f` and clears it.
fn finish_word(word: &mut String, f: &mut impl FnMut(&str)) {
    if word.is_empty() {
        return;
    }
    if word.contains('\'') {
        if word.ends_with("'s") {
            word.truncate(word.len() - 2);
        }
        word.retain(|c| c != '\'');
    }
    if !word.is_empty() && word.len() <= MAX_TOKEN_BYTES && !is_stop_word(word) {
        stem_in_place(word);
        f(word);
    }
    word.clear();
}

/// Porter's step 1a and 1b (M. F. Porter, 1980), applied to ASCII-letter words of more than three
/// letters; anything else is returned unchanged.
///
/// 1a: `sses`→`ss`, `ies`→`i`, `ss`→`ss`, `s`→`` ("caresses"→"caress", "ponies"→"poni",
/// "cats"→"cat"). 1b: `eed`→`ee` when the stem's measure m > 0; `ed`/`ing` are removed when the
/// stem holds a vowel, then `at`→`ate`, `bl`→`ble`, `iz`→`ize`, a double consonant other than
/// l/s/z is undoubled, and a short stem (m = 1, consonant-vowel-consonant ending not in w/x/y)
/// gets an `e` ("hopping"→"hop", "hoped"→"hope", "agreed"→"agree"). Steps 1c–5 (derivational
/// suffixes) are left out: they merge more unrelated words than they help short memories.
pub fn stem(mut word: String) -> String {
    stem_in_place(&mut word);
    word
}

/// [`stem`] on the word in place (the steps only remove or append ASCII letters).
fn stem_in_place(w: &mut String) {
    if w.len() <= 3 || !w.bytes().all(|b| b.is_ascii_lowercase()) {
        return;
    }
    step_1a(w);
    step_1b(w);
}

fn step_1a(w: &mut String) {
    if w.ends_with("sses") || w.ends_with("ies") {
        w.truncate(w.len() - 2);
    } else if w.ends_with('s') && !w.ends_with("ss") {
        w.truncate(w.len() - 1);
    }
}

fn step_1b(w: &mut String) {
    if w.ends_with("eed") {
        if measure(&w.as_bytes()[..w.len() - 3]) > 0 {
            w.truncate(w.len() - 1);
        }
        return;
    }
    let cut = if w.ends_with("ed") {
        2
    } else if w.ends_with("ing") {
        3
    } else {
        return;
    };
    if !has_vowel(&w.as_bytes()[..w.len() - cut]) {
        return;
    }
    w.truncate(w.len() - cut);
    step_1b_cleanup(w);
}

/// The follow-up rules of 1b after `ed`/`ing` was removed.
fn step_1b_cleanup(w: &mut String) {
    let b = w.as_bytes();
    if b.ends_with(b"at") || b.ends_with(b"bl") || b.ends_with(b"iz") {
        w.push('e');
    } else if ends_double_consonant(b) && !matches!(b.last(), Some(b'l' | b's' | b'z')) {
        w.pop();
    } else if measure(b) == 1 && ends_cvc(b) {
        w.push('e');
    }
}

/// Porter's consonant test: a, e, i, o, u are vowels; y is a vowel after a consonant.
fn is_consonant(w: &[u8], i: usize) -> bool {
    match w.get(i) {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => false,
        Some(b'y') => i == 0 || !is_consonant(w, i - 1),
        Some(_) => true,
        None => false,
    }
}

fn has_vowel(w: &[u8]) -> bool {
    (0..w.len()).any(|i| !is_consonant(w, i))
}

/// Porter's m: the number of vowel→consonant transitions in `[C](VC)^m[V]`.
fn measure(w: &[u8]) -> usize {
    let mut m = 0;
    let mut prev_vowel = false;
    for i in 0..w.len() {
        let vowel = !is_consonant(w, i);
        if prev_vowel && !vowel {
            m += 1;
        }
        prev_vowel = vowel;
    }
    m
}

fn ends_double_consonant(w: &[u8]) -> bool {
    let n = w.len();
    n >= 2 && w.get(n - 1) == w.get(n - 2) && is_consonant(w, n - 1)
}

/// consonant-vowel-consonant at the end, the last not w, x or y ("hop", not "snow").
fn ends_cvc(w: &[u8]) -> bool {
    let n = w.len();
    n >= 3
        && is_consonant(w, n - 3)
        && !is_consonant(w, n - 2)
        && is_consonant(w, n - 1)
        && !matches!(w.get(n - 1), Some(b'w' | b'x' | b'y'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lowercases_and_drops_stop_words() {
        assert_eq!(
            tokenize("The Cat sat on THE mat, 42 times!"),
            ["cat", "sat", "mat", "42", "time"]
        );
    }

    #[test]
    fn strips_accents_and_apostrophes() {
        assert_eq!(
            tokenize("Café naïve Zoë's don't"),
            ["cafe", "naive", "zoe", "dont"]
        );
        assert_eq!(tokenize("Ærø straße"), ["ærø", "straße"]);
    }

    #[test]
    fn porter_step_1() {
        let cases = [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("cats", "cat"),
            ("caress", "caress"),
            ("feed", "feed"),
            ("agreed", "agree"),
            ("plastered", "plaster"),
            ("bled", "bled"),
            ("motoring", "motor"),
            ("sing", "sing"),
            ("conflated", "conflate"),
            ("troubled", "trouble"),
            ("sized", "size"),
            ("hopping", "hop"),
            ("tanned", "tan"),
            ("falling", "fall"),
            ("hissing", "hiss"),
            ("fizzed", "fizz"),
            ("failing", "fail"),
            ("filing", "file"),
            ("gas", "gas"),
            ("x2s", "x2s"),
        ];
        for (w, want) in cases {
            assert_eq!(stem(w.to_string()), want, "{w}");
        }
    }

    #[test]
    fn counts_and_length() {
        let (c, len) = term_counts("run runs running, the runner");
        assert_eq!(len, 4);
        assert_eq!(c.get("run"), Some(&3));
        assert_eq!(c.get("runner"), Some(&1));
    }

    #[test]
    fn long_tokens_dropped_cjk_kept() {
        let blob = "a".repeat(65);
        assert!(tokenize(&blob).is_empty());
        assert_eq!(tokenize("東京 tokyo"), ["東京", "tokyo"]);
    }

    /// A xorshift64 stream from `seed` (not 0).
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// The pipeline written the plain way (a char iterator, one `String` per word), as it was
    /// before the buffer-reusing tokenizer: both must give the same tokens for any text.
    fn reference(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut words = Vec::new();
        let mut word = String::new();
        let chars: Vec<char> = text.chars().collect();
        let mut prev_letter = false;
        for (i, &c) in chars.iter().enumerate() {
            if c.is_alphanumeric() {
                for lower in c.to_lowercase() {
                    decompose_canonical(lower, |d| {
                        if !is_combining_mark(d) {
                            word.push(d);
                        }
                    });
                }
                prev_letter = c.is_alphabetic();
            } else if (c == '\'' || c == '\u{2019}')
                && prev_letter
                && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
            {
                word.push('\'');
                prev_letter = false;
            } else {
                words.push(std::mem::take(&mut word));
                prev_letter = false;
            }
        }
        words.push(word);
        for mut w in words {
            if let Some(s) = w.strip_suffix("'s") {
                w.truncate(s.len());
            }
            w.retain(|c| c != '\'');
            if !w.is_empty() && w.len() <= MAX_TOKEN_BYTES && !STOP_WORDS.contains(&w.as_str()) {
                out.push(stem(w));
            }
        }
        out
    }

    #[test]
    fn same_tokens_as_the_plain_pipeline_on_random_text() {
        const PIECES: &[&str] = &[
            "a",
            "e",
            "s",
            "d",
            "i",
            "n",
            "g",
            "T",
            "Z",
            "ing",
            "ed",
            "ies",
            "sses",
            "eed",
            "'",
            "\u{2019}",
            "'s",
            " ",
            "  ",
            ",",
            ".",
            "-",
            "\n",
            "0",
            "7",
            "é",
            "É",
            "ñ",
            "ß",
            "İ",
            "\u{301}",
            "東",
            "京",
            "Ω",
            "ǅ",
            "the",
            "And",
            "x",
            "y",
            "hop",
            "agre",
            "\u{1F600}",
            "\u{93F}",
            "\u{345}",
        ];
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
        for _ in 0..20_000 {
            let n = next() % 24;
            let text: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            assert_eq!(tokenize(&text), reference(&text), "{text:?}");
        }
        let long = "b".repeat(64) + " " + &"c".repeat(65) + "s";
        assert_eq!(tokenize(&long), reference(&long));
    }

    /// Porter's step 1 on a byte vector, as `stem` was written before it worked in place.
    fn reference_stem(word: &str) -> String {
        if word.len() <= 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return word.to_owned();
        }
        let mut w = word.as_bytes().to_vec();
        if w.ends_with(b"sses") || w.ends_with(b"ies") {
            w.truncate(w.len() - 2);
        } else if w.ends_with(b"s") && !w.ends_with(b"ss") {
            w.truncate(w.len() - 1);
        }
        let cut = if w.ends_with(b"ed") {
            2
        } else if w.ends_with(b"ing") {
            3
        } else {
            0
        };
        if w.ends_with(b"eed") {
            if measure(&w[..w.len() - 3]) > 0 {
                w.truncate(w.len() - 1);
            }
        } else if cut > 0 && has_vowel(&w[..w.len() - cut]) {
            w.truncate(w.len() - cut);
            if w.ends_with(b"at") || w.ends_with(b"bl") || w.ends_with(b"iz") {
                w.push(b'e');
            } else if ends_double_consonant(&w) && !matches!(w.last(), Some(b'l' | b's' | b'z')) {
                w.pop();
            } else if measure(&w) == 1 && ends_cvc(&w) {
                w.push(b'e');
            }
        }
        String::from_utf8(w).unwrap_or_default()
    }

    #[test]
    fn stems_as_the_byte_vector_stemmer_on_random_words() {
        const PIECES: &[&str] = &[
            "a", "e", "i", "o", "u", "y", "b", "l", "s", "z", "t", "p", "r", "w", "x", "ss", "at",
            "bl", "iz", "ed", "eed", "ing", "ies", "sses", "hop", "agre",
        ];
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        for _ in 0..50_000 {
            let n = 1 + next() % 5;
            let word: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            assert_eq!(stem(word.clone()), reference_stem(&word), "{word:?}");
        }
    }
}
