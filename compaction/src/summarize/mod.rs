//! Consolidation content: what one merged memory says, carries and comes from.
//!
//! A [`Summarizer`] writes the content; [`assemble`] fills in everything else the same way for
//! every summarizer (so an LLM summarizer only has to produce text):
//! - **tags**: the union, sorted, deduplicated;
//! - **metadata**: JSON objects merged key-wise (see [`merge_metadata`]);
//! - **importance**: the maximum of the inputs' stored importance (NaN ignored);
//! - **provenance**: the input ids, ascending — the direct originals; a consolidated input's own
//!   provenance leads further back;
//! - **span**: the earliest and latest `created` of the inputs, widened by their own spans (see
//!   [`span`]); also written into the metadata under [`SPAN_KEY`] so that a later
//!   re-consolidation still dates the originals;
//! - **vector**: the L2-normalised mean of the inputs' vectors (inputs without one are skipped;
//!   `None` if none has one or the mean is zero) — the engine may re-embed the content instead.

mod extractive;
mod metadata;
mod text;

pub use extractive::{ExtractiveConfig, ExtractiveSummarizer, TRUNCATION_MARK};
pub use metadata::merge_metadata;
pub use text::{jaccard, normalize, split_sentences};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Metadata key holding a consolidated memory's time span `{"first": µs, "last": µs}`.
/// Reserved: [`assemble`] overwrites it.
pub const SPAN_KEY: &str = "consolidated_span";

/// One memory going into a consolidation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsolidationInput {
    /// Memory id.
    pub id: u64,
    /// Its text.
    pub content: String,
    /// Creation time (µs): orders the content and dates the span.
    pub created: u64,
    /// Its kind.
    pub kind: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its metadata (a JSON object, or null).
    pub metadata: serde_json::Value,
    /// Its stored importance.
    pub importance: f32,
    /// Its embedding, if any.
    pub vector: Option<Vec<f32>>,
}

/// The merged memory a summarizer produces; the engine stores it with kind `consolidated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The text.
    pub content: String,
    /// Union of tags, sorted.
    pub tags: Vec<String>,
    /// Merged metadata (a JSON object).
    pub metadata: serde_json::Value,
    /// Maximum input importance.
    pub importance: f32,
    /// Input ids, ascending.
    pub provenance: Vec<u64>,
    /// Earliest input creation time (µs).
    pub first_created: u64,
    /// Latest input creation time (µs).
    pub last_created: u64,
    /// Normalised mean of the input vectors.
    pub vector: Option<Vec<f32>>,
    /// Whether the content was cut at the length cap.
    pub truncated: bool,
}

/// Writes the content of a consolidated memory. The default is [`ExtractiveSummarizer`]; an
/// agent can plug an LLM here (and use [`assemble`] for the other fields).
pub trait Summarizer {
    /// Summarises `items` (any order, at least one).
    fn summarize(&self, items: &[ConsolidationInput]) -> Result<Summary>;
}

/// A [`Summary`] of `items` with the given content; every field but the content follows the
/// rules of the module documentation. Errors on no items or vectors of different lengths.
pub fn assemble(items: &[ConsolidationInput], content: String, truncated: bool) -> Result<Summary> {
    let (first_created, last_created) = span(items).ok_or(Error::EmptyInput)?;
    let mut tags: Vec<String> = items.iter().flat_map(|i| i.tags.iter().cloned()).collect();
    tags.sort();
    tags.dedup();
    let ordered = by_time(items);
    let mut metadata = merge_metadata(ordered.iter().map(|i| &i.metadata));
    if let Some(m) = metadata.as_object_mut() {
        let span = serde_json::json!({ "first": first_created, "last": last_created });
        m.insert(SPAN_KEY.to_string(), span);
    }
    let importance = items
        .iter()
        .map(|i| i.importance)
        .filter(|x| !x.is_nan())
        .fold(0.0f32, f32::max)
        .clamp(0.0, 1.0);
    let mut provenance: Vec<u64> = items.iter().map(|i| i.id).collect();
    provenance.sort_unstable();
    provenance.dedup();
    let vector = mean_vector(items)?;
    Ok(Summary {
        content,
        tags,
        metadata,
        importance,
        provenance,
        first_created,
        last_created,
        vector,
        truncated,
    })
}

/// The time span `(first, last)` the items cover (µs): each item covers its `created`, widened
/// by the [`SPAN_KEY`] object `{"first": µs, "last": µs}` in its metadata when present (a
/// consolidated input thus dates its originals, not its own creation). `None` for no items.
pub fn span(items: &[ConsolidationInput]) -> Option<(u64, u64)> {
    items
        .iter()
        .map(item_span)
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
}

fn item_span(i: &ConsolidationInput) -> (u64, u64) {
    let inner = i.metadata.get(SPAN_KEY);
    let at = |k: &str| {
        inner
            .and_then(|s| s.get(k))
            .and_then(serde_json::Value::as_u64)
    };
    let first = at("first").unwrap_or(i.created).min(i.created);
    let last = at("last").unwrap_or(i.created).max(first);
    (first, last)
}

/// The items in time order (ties by id): the order content and metadata conflicts follow.
pub(crate) fn by_time(items: &[ConsolidationInput]) -> Vec<&ConsolidationInput> {
    let mut v: Vec<&ConsolidationInput> = items.iter().collect();
    v.sort_by_key(|i| (i.created, i.id));
    v
}

/// The L2-normalised mean of the vectors present (summed in f64, so the order of inputs barely
/// matters); `None` if there are none or they cancel out.
pub fn mean_vector(items: &[ConsolidationInput]) -> Result<Option<Vec<f32>>> {
    let mut with: Vec<(u64, &[f32])> = items
        .iter()
        .filter_map(|i| i.vector.as_deref().map(|v| (i.id, v)))
        .collect();
    with.sort_by_key(|(id, _)| *id);
    let Some(&(_, first)) = with.first() else {
        return Ok(None);
    };
    let mut sum = vec![0.0f64; first.len()];
    for (id, v) in &with {
        if v.len() != sum.len() {
            return Err(Error::DimensionMismatch {
                id: *id,
                expected: sum.len(),
                got: v.len(),
            });
        }
        for (s, x) in sum.iter_mut().zip(v.iter()) {
            *s += f64::from(*x);
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return Ok(None);
    }
    Ok(Some(sum.iter().map(|x| (x / norm) as f32).collect()))
}
