//! Name normalisation: the lookup key of names, aliases and predicates.

use unicode_normalization::UnicodeNormalization;

use crate::error::{GraphError, Result};

/// Longest normalised name, alias or predicate accepted, in bytes (keeps redb keys small).
pub const MAX_NAME_BYTES: usize = 512;

/// The lookup form of a name: Unicode NFC, lower case (`to_lowercase`), runs of whitespace
/// collapsed to one space, trimmed. "  ALICE\tSmith " and "alice smith" are the same key.
pub fn normalize(name: &str) -> String {
    // NFC again after lower-casing: case mapping can produce decomposed sequences.
    let lowered: String = name
        .nfc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect();
    let mut out = String::with_capacity(lowered.len());
    for word in lowered.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Normalises and checks a name-like input: not empty, not too long.
pub(crate) fn checked(field: &'static str, name: &str) -> Result<String> {
    let norm = normalize(name);
    if norm.is_empty() {
        return Err(GraphError::EmptyName { field });
    }
    if norm.len() > MAX_NAME_BYTES {
        return Err(GraphError::NameTooLong {
            field,
            len: norm.len(),
            max: MAX_NAME_BYTES,
        });
    }
    Ok(norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_space_and_composition() {
        assert_eq!(normalize("  Alice \t  SMITH\n"), "alice smith");
        // "é" precomposed vs e + combining acute.
        assert_eq!(normalize("Caf\u{e9}"), normalize("Cafe\u{301}"));
        assert_eq!(normalize(" \t "), "");
    }
}
