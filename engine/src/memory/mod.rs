//! Memories: what an agent stores, as the caller sees it and as it is validated.

pub(crate) mod record;

use serde::{Deserialize, Serialize};

use crate::clock::Micros;
use crate::error::{Error, Result};

/// A memory's id: stable, allocated in commit order (so ids sort by time of storing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MemoryId(pub u64);

impl std::fmt::Display for MemoryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for MemoryId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        s.trim()
            .parse::<u64>()
            .map(MemoryId)
            .map_err(|_| Error::invalid("id", format!("{s:?} is not a memory id")))
    }
}

/// Who a memory or event belongs to: first-class, indexed scope fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The end user.
    pub user: Option<String>,
    /// The conversation or session.
    pub session: Option<String>,
    /// The agent.
    pub agent: Option<String>,
}

/// Memory tiers, as in the article's hierarchical memory: what the agent is working with now,
/// what happened recently, and what it has known for long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Memories of the current session.
    Working,
    /// Other memories created within the short-term window (default 7 days).
    ShortTerm,
    /// Everything older.
    LongTerm,
}

impl std::str::FromStr for Tier {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "working" => Ok(Tier::Working),
            "short_term" | "short-term" | "short" => Ok(Tier::ShortTerm),
            "long_term" | "long-term" | "long" => Ok(Tier::LongTerm),
            other => Err(Error::invalid(
                "tier",
                format!("{other:?} is not working, short_term or long_term"),
            )),
        }
    }
}

/// Default short-term window: 7 days, the article's full-retention tier.
pub const SHORT_TERM: Micros = 7 * crate::clock::DAY;

impl Memory {
    /// This memory's tier at `now`, given the caller's current session.
    pub fn tier(&self, now: Micros, current_session: Option<&str>) -> Tier {
        if current_session.is_some() && self.scope.session.as_deref() == current_session {
            Tier::Working
        } else if now.saturating_sub(self.created_at) < SHORT_TERM {
            Tier::ShortTerm
        } else {
            Tier::LongTerm
        }
    }
}

/// The default kind of a stored memory.
pub const DEFAULT_KIND: &str = "interaction";

/// A memory as returned to callers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Stable id.
    pub id: MemoryId,
    /// The text.
    pub content: String,
    /// Kind, e.g. `interaction`, `fact`, `consolidated`.
    pub kind: String,
    /// Tags, sorted and deduplicated.
    pub tags: Vec<String>,
    /// Free metadata (a JSON object).
    pub metadata: serde_json::Value,
    /// Scope: user, session, agent.
    #[serde(flatten)]
    pub scope: Scope,
    /// Importance in 0..=1.
    pub importance: f32,
    /// Pinned memories never decay and always lead the context window.
    pub pinned: bool,
    /// When the memory was created (caller-given on import, else the clock).
    pub created_at: Micros,
    /// Last change.
    pub updated_at: Micros,
    /// How often it was returned to a caller.
    pub access_count: u64,
    /// Last time it was returned to a caller.
    pub last_access: Option<Micros>,
    /// For consolidated memories: the ids they replace.
    pub provenance: Vec<MemoryId>,
    /// Archived memories are kept for history but excluded from search and export by default.
    pub archived: bool,
    /// Whether the memory has an embedding.
    pub has_vector: bool,
}

/// A memory to store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewMemory {
    /// The text (required, non-empty).
    pub content: String,
    /// Kind; defaults to `interaction`.
    pub kind: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// A JSON object (or null).
    pub metadata: Option<serde_json::Value>,
    /// Scope.
    pub scope: Scope,
    /// Importance in 0..=1; defaults to 0.5.
    pub importance: Option<f32>,
    /// Pinned.
    pub pinned: bool,
    /// Keep a given creation time (imports); defaults to now.
    pub created_at: Option<Micros>,
    /// A caller-given embedding; if absent the configured embedder is used.
    #[serde(skip)]
    pub vector: Option<Vec<f32>>,
    /// Duplicate handling for this call (default: the database's `Options::dedup`).
    #[serde(skip)]
    pub dedup: Option<Dedup>,
}

/// What to do when a memory with exactly the same content already exists in the same scope
/// (same user, session and agent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Dedup {
    /// Store it again.
    #[default]
    Off,
    /// Return the existing memory's id and store nothing.
    Exact,
}

impl NewMemory {
    /// A memory with just content.
    pub fn new(content: impl Into<String>) -> Self {
        NewMemory {
            content: content.into(),
            ..Default::default()
        }
    }
    /// Sets the kind.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }
    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }
    /// Sets the user scope.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.scope.user = Some(user.into());
        self
    }
    /// Sets the session scope.
    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.scope.session = Some(session.into());
        self
    }
    /// Sets the agent scope.
    pub fn agent(mut self, agent: impl Into<String>) -> Self {
        self.scope.agent = Some(agent.into());
        self
    }
    /// Sets the metadata object.
    pub fn metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = Some(metadata);
        self
    }
    /// Sets importance.
    pub fn importance(mut self, importance: f32) -> Self {
        self.importance = Some(importance);
        self
    }
    /// Pins the memory.
    pub fn pinned(mut self, pinned: bool) -> Self {
        self.pinned = pinned;
        self
    }
    /// Keeps a given creation time.
    pub fn created_at(mut self, t: Micros) -> Self {
        self.created_at = Some(t);
        self
    }
    /// Sets duplicate handling for this call.
    pub fn dedup(mut self, d: Dedup) -> Self {
        self.dedup = Some(d);
        self
    }
    /// Supplies the embedding.
    pub fn vector(mut self, v: Vec<f32>) -> Self {
        self.vector = Some(v);
        self
    }
}

/// A change to a memory: every `Some` field is replaced.
#[derive(Debug, Clone, Default)]
pub struct MemoryUpdate {
    /// New content (re-embedded unless `vector` is given).
    pub content: Option<String>,
    /// New kind.
    pub kind: Option<String>,
    /// New tag set.
    pub tags: Option<Vec<String>>,
    /// New metadata object.
    pub metadata: Option<serde_json::Value>,
    /// New user (`Some(None)` clears it).
    pub user: Option<Option<String>>,
    /// New session.
    pub session: Option<Option<String>>,
    /// New agent.
    pub agent: Option<Option<String>>,
    /// New importance.
    pub importance: Option<f32>,
    /// Pin or unpin.
    pub pinned: Option<bool>,
    /// A new embedding.
    pub vector: Option<Vec<f32>>,
}

/// Size limits on everything that comes from input; enforced on every write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Content bytes (default 256 KiB).
    pub max_content_bytes: usize,
    /// Metadata JSON bytes (default 64 KiB).
    pub max_metadata_bytes: usize,
    /// Tags per memory (default 64).
    pub max_tags: usize,
    /// Bytes per tag, kind or scope value (default 256).
    pub max_label_bytes: usize,
    /// Memories per batch (default 100 000).
    pub max_batch: usize,
    /// Bytes of an event payload (default 256 KiB).
    pub max_event_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_content_bytes: 256 * 1024,
            max_metadata_bytes: 64 * 1024,
            max_tags: 64,
            max_label_bytes: 256,
            max_batch: 100_000,
            max_event_bytes: 256 * 1024,
        }
    }
}

impl Limits {
    pub(crate) fn check_content(&self, content: &str) -> Result<()> {
        if content.trim().is_empty() {
            return Err(Error::invalid("content", "must not be empty"));
        }
        if content.len() > self.max_content_bytes {
            return Err(Error::TooLarge {
                what: "content",
                size: content.len(),
                limit: self.max_content_bytes,
            });
        }
        Ok(())
    }

    pub(crate) fn check_label(&self, field: &'static str, v: &str) -> Result<()> {
        if v.is_empty() {
            return Err(Error::invalid(field, "must not be empty"));
        }
        if v.len() > self.max_label_bytes {
            return Err(Error::TooLarge {
                what: field,
                size: v.len(),
                limit: self.max_label_bytes,
            });
        }
        if v.chars().any(char::is_control) {
            return Err(Error::invalid(field, "must not contain control characters"));
        }
        Ok(())
    }

    /// Validates and canonicalises metadata: must be a JSON object (or null → `{}`).
    pub(crate) fn check_metadata(&self, m: Option<&serde_json::Value>) -> Result<String> {
        let text = match m {
            None | Some(serde_json::Value::Null) => return Ok("{}".to_owned()),
            Some(v @ serde_json::Value::Object(_)) => v.to_string(),
            Some(other) => {
                return Err(Error::invalid(
                    "metadata",
                    format!("must be a JSON object, got {}", json_kind(other)),
                ))
            }
        };
        if text.len() > self.max_metadata_bytes {
            return Err(Error::TooLarge {
                what: "metadata",
                size: text.len(),
                limit: self.max_metadata_bytes,
            });
        }
        Ok(text)
    }

    pub(crate) fn check_tags(&self, tags: &[String]) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::with_capacity(tags.len());
        for t in tags {
            self.check_label("tag", t)?;
            out.push(t.clone());
        }
        out.sort();
        out.dedup();
        if out.len() > self.max_tags {
            return Err(Error::TooLarge {
                what: "tags",
                size: out.len(),
                limit: self.max_tags,
            });
        }
        Ok(out)
    }

    pub(crate) fn check_scope(&self, s: &Scope) -> Result<()> {
        for (field, v) in [
            ("user", &s.user),
            ("session", &s.session),
            ("agent", &s.agent),
        ] {
            if let Some(v) = v {
                self.check_label(field, v)?;
            }
        }
        Ok(())
    }
}

pub(crate) fn check_importance(i: f32) -> Result<f32> {
    if !i.is_finite() || !(0.0..=1.0).contains(&i) {
        return Err(Error::invalid(
            "importance",
            format!("must be a number in 0..=1, got {i}"),
        ));
    }
    Ok(i)
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
