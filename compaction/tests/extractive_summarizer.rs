//! The default summarizer deduplicates, keeps time order and provenance, and merges the rest.

mod common;

use common::DAY;
use memspine_compaction::summarize::TRUNCATION_MARK;
use memspine_compaction::{
    assemble, ConsolidationInput, Error, ExtractiveConfig, ExtractiveSummarizer, Summarizer,
    Summary,
};
use serde_json::json;

/// 2024-03-01 00:00 UTC.
const MARCH_1: u64 = 1_709_251_200_000_000;

fn input(id: u64, day: u64, content: &str) -> ConsolidationInput {
    ConsolidationInput {
        id,
        content: content.into(),
        created: MARCH_1 + day * DAY + 3_600_000_000,
        kind: "interaction".into(),
        tags: vec![format!("t{id}"), "shared".into()],
        metadata: json!({"channel": "chat"}),
        importance: 0.1 * id as f32,
        vector: Some(vec![1.0, 0.0]),
    }
}

fn items() -> Vec<ConsolidationInput> {
    vec![
        // Given out of time order on purpose.
        input(3, 9, "I moved to Munich. The weather is nice today!"),
        input(1, 0, "I live in Berlin. My cat is called Tom."),
        input(
            2,
            4,
            "i live in   BERLIN!! My cat is called Tom, really. Coffee please",
        ),
    ]
}

#[test]
fn dedups_orders_by_time_and_dates_the_span() {
    let s = ExtractiveSummarizer::default().summarize(&items()).unwrap();
    assert_eq!(
        s.content,
        "[2024-03-01 – 2024-03-10] I live in Berlin. My cat is called Tom. \
         Coffee please. I moved to Munich. The weather is nice today!"
    );
    assert!(!s.truncated);
    // Without near-duplicate detection, the sentence with "really" (Jaccard 5/6) survives.
    let exact_only = ExtractiveSummarizer::new(ExtractiveConfig {
        near_duplicate_jaccard: 1.1,
        ..ExtractiveConfig::default()
    });
    let s = exact_only.summarize(&items()).unwrap();
    assert!(s.content.contains("My cat is called Tom, really."));
    assert_eq!(
        s.content.matches("I live in Berlin").count(),
        1,
        "exact dup still removed"
    );
}

#[test]
fn keeps_provenance_tags_metadata_importance_and_vector() {
    let mut it = items();
    it[0].metadata = json!({"channel": "email", "city": "Munich"});
    it[1].vector = Some(vec![0.0, 1.0]);
    it[2].vector = None;
    let s = ExtractiveSummarizer::default().summarize(&it).unwrap();
    assert_eq!(s.provenance, vec![1, 2, 3]);
    assert_eq!(s.tags, vec!["shared", "t1", "t2", "t3"]);
    // Conflicting values become an array of alternatives in time order (ids 1, 2, then 3).
    let span = json!({"first": it[1].created, "last": it[0].created});
    assert_eq!(
        s.metadata,
        json!({"channel": ["chat", "email"], "city": "Munich", "consolidated_span": span})
    );
    assert!((s.importance - 0.3).abs() < 1e-6);
    assert_eq!(
        (s.first_created, s.last_created),
        (it[1].created, it[0].created)
    );
    let v = s.vector.unwrap();
    let h = std::f32::consts::FRAC_1_SQRT_2;
    assert!((v[0] - h).abs() < 1e-6 && (v[1] - h).abs() < 1e-6, "{v:?}");
}

#[test]
fn same_day_span_and_single_memory() {
    let s = ExtractiveSummarizer::default()
        .summarize(&[input(1, 0, "Only this")])
        .unwrap();
    assert_eq!(s.content, "[2024-03-01] Only this.");
}

#[test]
fn caps_length_and_marks_truncation() {
    let long: Vec<ConsolidationInput> = (1..=50)
        .map(|i| {
            input(
                i,
                0,
                &format!("Sentence number {i} talks about topic {}.", i * 7919),
            )
        })
        .collect();
    let cfg = ExtractiveConfig {
        max_chars: 200,
        ..ExtractiveConfig::default()
    };
    let s = ExtractiveSummarizer::new(cfg).summarize(&long).unwrap();
    assert!(s.truncated);
    assert!(s.content.chars().count() <= 200, "{}", s.content.len());
    assert!(s.content.ends_with(TRUNCATION_MARK));
    assert!(s.content.contains("Sentence number 1 talks"));
    assert_eq!(s.provenance.len(), 50, "provenance is never truncated");
}

#[test]
fn errors_are_typed() {
    let err = ExtractiveSummarizer::default().summarize(&[]).unwrap_err();
    assert!(matches!(err, Error::EmptyInput));
    let mut it = items();
    it[2].vector = Some(vec![1.0, 0.0, 0.0]);
    let err = ExtractiveSummarizer::default().summarize(&it).unwrap_err();
    assert!(matches!(
        err,
        Error::DimensionMismatch {
            id: 2,
            expected: 2,
            got: 3
        }
    ));
}

/// An agent's own summarizer (e.g. an LLM) writes only the text; `assemble` does the rest.
struct Headline;

impl Summarizer for Headline {
    fn summarize(&self, items: &[ConsolidationInput]) -> memspine_compaction::Result<Summary> {
        assemble(
            items,
            format!("{} memories about the user", items.len()),
            false,
        )
    }
}

#[test]
fn a_custom_summarizer_plugs_in() {
    let s: &dyn Summarizer = &Headline;
    let out = s.summarize(&items()).unwrap();
    assert_eq!(out.content, "3 memories about the user");
    assert_eq!(out.provenance, vec![1, 2, 3]);
}

#[test]
fn reconsolidation_keeps_the_original_span_and_one_prefix() {
    let first = ExtractiveSummarizer::default().summarize(&items()).unwrap();
    assert_eq!(
        first.metadata["consolidated_span"]["first"],
        json!(items()[1].created)
    );
    // The engine stores the summary as a consolidated memory created 40 days later...
    let merged = ConsolidationInput {
        id: 10,
        content: first.content.clone(),
        created: MARCH_1 + 40 * DAY,
        kind: "consolidated".into(),
        metadata: first.metadata.clone(),
        importance: first.importance,
        vector: first.vector.clone(),
        ..ConsolidationInput::default()
    };
    // ...and merges it again with a similar, later memory.
    let later = input(11, 45, "I live in Berlin. We talked about trains.");
    let again = ExtractiveSummarizer::default()
        .summarize(&[later, merged])
        .unwrap();
    assert_eq!(
        again.content,
        "[2024-03-01 – 2024-04-15] I live in Berlin. My cat is called Tom. Coffee please. \
         I moved to Munich. The weather is nice today! We talked about trains."
    );
    assert_eq!(again.first_created, items()[1].created);
    assert_eq!(again.provenance, vec![10, 11]);
}
