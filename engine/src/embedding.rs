//! Which embedder a database uses, and embedding texts for stores and queries.
//!
//! The database records the model identity and dimension at creation; opening it later with a
//! different model or dimension is a typed error ([`Error::ModelMismatch`],
//! [`Error::DimensionMismatch`]), so vectors from different models are never mixed.

use std::sync::Arc;

use memspine_index::embed::{EmbedError, Embedder, StaticEmbedder};

use crate::error::{Error, Result};
use crate::schema::Settings;

/// The embedder choice in [`crate::Options`].
#[derive(Clone, Default)]
pub enum EmbedderChoice {
    /// The built-in static embedder for a new database — unless `Options::dimension` is set,
    /// which means "I bring my own vectors". For an existing database: the built-in one if the
    /// database was created with it, else none (pass query vectors, or the model it was made with).
    #[default]
    Default,
    /// No embedder: only caller-given vectors.
    None,
    /// This embedder (its identity must match the database's).
    Custom(Arc<dyn Embedder>),
}

impl std::fmt::Debug for EmbedderChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmbedderChoice::Default => f.write_str("Default"),
            EmbedderChoice::None => f.write_str("None"),
            EmbedderChoice::Custom(e) => write!(f, "Custom({})", e.model_id()),
        }
    }
}

fn builtin() -> Result<Arc<dyn Embedder>> {
    StaticEmbedder::new()
        .map(|e| Arc::new(e) as Arc<dyn Embedder>)
        .map_err(|e| Error::Embed(e.to_string()))
}

/// A new database's embedder, dimension and recorded model id.
pub(crate) type NewSettings = (Option<Arc<dyn Embedder>>, u32, String);

/// The embedder and settings of a database being created.
pub(crate) fn for_new(choice: &EmbedderChoice, dimension: Option<usize>) -> Result<NewSettings> {
    let e = match (choice, dimension) {
        (EmbedderChoice::Default, Some(_)) | (EmbedderChoice::None, _) => None,
        (EmbedderChoice::Default, None) => Some(builtin()?),
        (EmbedderChoice::Custom(e), _) => Some(e.clone()),
    };
    match (&e, dimension) {
        (Some(e), Some(d)) if e.dimension() != d => Err(Error::DimensionMismatch {
            expected: e.dimension(),
            got: d,
        }),
        (Some(e), _) => Ok((
            Some(e.clone()),
            e.dimension() as u32,
            e.model_id().to_owned(),
        )),
        (None, d) => Ok((None, d.unwrap_or(0) as u32, String::new())),
    }
}

/// The embedder of an existing database, checked against what it recorded.
pub(crate) fn for_existing(
    choice: &EmbedderChoice,
    s: &Settings,
) -> Result<Option<Arc<dyn Embedder>>> {
    match choice {
        EmbedderChoice::None => Ok(None),
        EmbedderChoice::Default => {
            if s.model_id.is_empty() {
                return Ok(None);
            }
            let b = builtin()?;
            Ok((b.model_id() == s.model_id).then_some(b))
        }
        EmbedderChoice::Custom(e) => {
            if e.model_id() != s.model_id {
                return Err(Error::ModelMismatch {
                    stored: s.model_id.clone(),
                    given: e.model_id().to_owned(),
                });
            }
            if e.dimension() != s.dimension as usize {
                return Err(Error::DimensionMismatch {
                    expected: s.dimension as usize,
                    got: e.dimension(),
                });
            }
            Ok(Some(e.clone()))
        }
    }
}

/// Embeds texts; a text the model finds nothing in (e.g. only unknown symbols) gets `None`.
/// Outputs are checked (dimension, finite) and L2-normalised here whatever the embedder promises.
pub(crate) fn embed_all(e: &dyn Embedder, texts: &[&str]) -> Result<Vec<Option<Vec<f32>>>> {
    let raw = embed_raw(e, texts)?;
    if raw.len() != texts.len() {
        return Err(Error::Embed(format!(
            "{} returned {} vectors for {} texts",
            e.model_id(),
            raw.len(),
            texts.len()
        )));
    }
    raw.into_iter()
        .map(|v| v.map(|v| normalise(e, v)).transpose().map(Option::flatten))
        .collect()
}

fn normalise(e: &dyn Embedder, v: Vec<f32>) -> Result<Option<Vec<f32>>> {
    if v.len() != e.dimension() {
        return Err(Error::DimensionMismatch {
            expected: e.dimension(),
            got: v.len(),
        });
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(Error::Embed(format!(
            "{} returned a non-finite vector",
            e.model_id()
        )));
    }
    let n = v
        .iter()
        .map(|x| f64::from(*x) * f64::from(*x))
        .sum::<f64>()
        .sqrt();
    if n == 0.0 {
        return Ok(None);
    }
    Ok(Some(v.iter().map(|x| (f64::from(*x) / n) as f32).collect()))
}

fn embed_raw(e: &dyn Embedder, texts: &[&str]) -> Result<Vec<Option<Vec<f32>>>> {
    match e.embed_batch(texts) {
        Ok(vs) => Ok(vs.into_iter().map(Some).collect()),
        Err(EmbedError::EmptyText { .. }) => texts
            .iter()
            .map(|t| match e.embed_batch(&[t]) {
                Ok(mut v) => Ok(v.pop()),
                Err(EmbedError::EmptyText { .. }) => Ok(None),
                Err(err) => Err(Error::Embed(err.to_string())),
            })
            .collect(),
        Err(err) => Err(Error::Embed(err.to_string())),
    }
}
