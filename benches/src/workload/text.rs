//! Text from templates over a Zipfian vocabulary: a few hundred real words agents see every
//! day, then synthetic words for the long tail, so term frequencies (and therefore postings
//! lengths and compression) look like real conversation logs.

use crate::rng::{Rng, Zipf};

/// Common words at the head of the distribution, most frequent first.
const HEAD: &[&str] = &[
    "order",
    "account",
    "payment",
    "delivery",
    "refund",
    "password",
    "invoice",
    "shipping",
    "subscription",
    "address",
    "email",
    "phone",
    "login",
    "error",
    "update",
    "plan",
    "price",
    "discount",
    "warranty",
    "return",
    "package",
    "tracking",
    "support",
    "ticket",
    "meeting",
    "calendar",
    "project",
    "deadline",
    "report",
    "budget",
    "release",
    "deploy",
    "build",
    "test",
    "branch",
    "review",
    "database",
    "server",
    "latency",
    "memory",
    "cache",
    "network",
    "backup",
    "vacation",
    "flight",
    "hotel",
    "restaurant",
    "recipe",
    "doctor",
    "appointment",
    "insurance",
    "contract",
    "license",
    "device",
    "battery",
    "screen",
    "camera",
    "printer",
    "router",
    "wifi",
];

/// Syllables of the synthetic long-tail words.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "su", "ra", "to", "vi", "de", "po", "qua", "zen", "tor", "mar", "bel",
    "cin", "dra", "fex", "gul", "hon",
];

/// Sentence templates per memory kind; `{}` slots take words.
const TEMPLATES: &[(&str, &[&str])] = &[
    (
        "user_query",
        &[
            "Can you help me with my {} {}? It still shows {} after the {}.",
            "What is the status of the {} for {} {}?",
            "I need to change the {} on my {} before {}.",
            "Why was my {} {} declined when the {} was fine?",
        ],
    ),
    (
        "assistant_response",
        &[
            "I checked the {} and the {} is now {}; you will get an {} shortly.",
            "Your {} {} was updated. The next {} is due after the {}.",
            "I could not find a {} for that {}; please confirm the {} {}.",
        ],
    ),
    (
        "interaction",
        &[
            "User discussed {} {} and asked about the {} of the {}.",
            "Conversation about {} and {}; the {} was resolved with a {}.",
        ],
    ),
    (
        "fact",
        &[
            "The user prefers {} over {} for {}.",
            "The user's {} {} is linked to the {} {}.",
        ],
    ),
    (
        "decision",
        &[
            "Decided to move the {} {} to the {} because of the {}.",
            "Agreed to escalate the {} {} to {} support.",
        ],
    ),
];

/// Kinds and their share of the stream (per mille).
pub const KINDS: &[(&str, u32)] = &[
    ("user_query", 350),
    ("assistant_response", 350),
    ("interaction", 150),
    ("fact", 100),
    ("decision", 50),
];

/// The vocabulary and its popularity.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    words: Vec<String>,
    zipf: Zipf,
}

impl Vocabulary {
    /// `size` words (the head list, then synthetic words), Zipf exponent 1.07 (English text).
    pub fn new(size: usize, seed: u64) -> Self {
        let mut rng = Rng::derive(seed, 0x70CA);
        let mut words: Vec<String> = HEAD.iter().map(|w| (*w).to_owned()).collect();
        let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
        while words.len() < size.max(HEAD.len()) {
            let syl = 2 + rng.index(3);
            let w: String = (0..syl)
                .map(|_| SYLLABLES[rng.index(SYLLABLES.len())])
                .collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let zipf = Zipf::new(words.len(), 1.07);
        Vocabulary { words, zipf }
    }

    /// A word drawn by popularity.
    pub fn word(&self, rng: &mut Rng) -> &str {
        self.words
            .get(self.zipf.sample(rng))
            .map_or("word", String::as_str)
    }

    /// The word of a given rank (wrapping).
    pub fn ranked(&self, rank: usize) -> &str {
        self.words
            .get(rank % self.words.len().max(1))
            .map_or("word", String::as_str)
    }
}

/// Picks a kind by its share.
pub fn kind(rng: &mut Rng) -> &'static str {
    let mut u = rng.below(1000) as u32;
    for (k, share) in KINDS {
        if u < *share {
            return k;
        }
        u -= share;
    }
    "interaction"
}

/// A sentence for `kind`: topic words first (so content agrees with the vector's cluster), then
/// popular words; sometimes a second sentence, so lengths vary from ~8 to ~40 words.
pub fn sentence(kind: &str, topic: &[&str], vocab: &Vocabulary, rng: &mut Rng) -> String {
    let mut out = fill(kind, topic, vocab, rng);
    if rng.chance(0.4) {
        out.push(' ');
        out.push_str(&fill(kind, topic, vocab, rng));
    }
    out
}

fn fill(kind: &str, topic: &[&str], vocab: &Vocabulary, rng: &mut Rng) -> String {
    let templates = TEMPLATES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(TEMPLATES[0].1, |(_, t)| *t);
    let t = templates[rng.index(templates.len())];
    let mut out = String::with_capacity(t.len() + 64);
    for (i, part) in t.split("{}").enumerate() {
        if i > 0 {
            let w = if rng.chance(0.5) && !topic.is_empty() {
                topic[rng.index(topic.len())]
            } else {
                vocab.word(rng)
            };
            out.push_str(w);
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_fill_every_slot() {
        let v = Vocabulary::new(500, 1);
        let mut r = Rng::new(1);
        for (k, _) in KINDS {
            let s = sentence(k, &["alpha", "beta"], &v, &mut r);
            assert!(!s.contains("{}") && s.len() > 20, "{s}");
        }
    }
}
