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

impl Tier {
    /// The tier at `now` of a memory created at `created_at` in `session`, given the caller's
    /// current session.
    pub fn of(
        created_at: Micros,
        session: Option<&str>,
        now: Micros,
        current_session: Option<&str>,
    ) -> Tier {
        if current_session.is_some() && session == current_session {
            Tier::Working
        } else if now.saturating_sub(created_at) < SHORT_TERM {
            Tier::ShortTerm
        } else {
            Tier::LongTerm
        }
    }

    /// How the context window names it.
    pub fn describe(self) -> &'static str {
        match self {
            Tier::Working => "working memory (this session)",
            Tier::ShortTerm => "short-term",
            Tier::LongTerm => "long-term",
        }
    }
}

/// Default short-term window: 7 days, the article's full-retention tier.
pub const SHORT_TERM: Micros = 7 * crate::clock::DAY;

impl Memory {
    /// This memory's tier at `now`, given the caller's current session.
    pub fn tier(&self, now: Micros, current_session: Option<&str>) -> Tier {
        Tier::of(
            self.created_at,
            self.scope.session.as_deref(),
            now,
            current_session,
        )
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

/// What to do when a memory being stored duplicates one already in the same scope (same user,
/// session and agent).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dedup {
    /// Store it again.
    #[default]
    Off,
    /// Exactly the same content: return the existing memory's id and store nothing.
    Exact,
    /// Exact duplicates as [`Dedup::Exact`] (merged into the existing memory when `action` is
    /// [`NearAction::Merge`]); besides, a memory whose embedding has a cosine of at least
    /// `threshold` with a live memory of exactly the same scope (found by a scoped vector
    /// search, widened while memories of wider scopes fill it) or with an earlier memory of the
    /// same batch is a near-duplicate, handled by `action`. A memory without an embedding is
    /// only checked exactly. Cost: one scoped vector search per stored memory, inside the write,
    /// and a comparison with each earlier memory of the same scope in the batch (n²/2 dot
    /// products for n such memories: keep such batches to thousands, not the 100 000 allowed).
    Near {
        /// Cosine in `(0, 1]` (e.g. 0.95 with a sentence embedder).
        threshold: f32,
        /// What to do with a near-duplicate.
        action: NearAction,
    },
}

/// What [`Dedup::Near`] does with a near-duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NearAction {
    /// Store nothing and return the existing memory's id, which takes the new one's tags
    /// (union, unless that exceeds the tag limit), importance (the higher) and pin (either);
    /// logged as an update when that changes it.
    Merge,
    /// Store it, tagged [`NEAR_DUPLICATE_TAG`] (queryable: `tag:near-duplicate`; not when it
    /// already carries the most tags allowed), and report which memory it resembles
    /// ([`StoreOutcome::Flagged`]).
    Flag,
}

/// The tag [`NearAction::Flag`] puts on a near-duplicate.
pub const NEAR_DUPLICATE_TAG: &str = "near-duplicate";

impl Dedup {
    /// Checks the threshold of [`Dedup::Near`].
    pub fn check(self) -> Result<Self> {
        match self {
            Dedup::Near { threshold, .. } if !(threshold > 0.0 && threshold <= 1.0) => {
                Err(Error::invalid(
                    "dedup",
                    format!("near-duplicate threshold {threshold} is not a cosine in (0, 1]"),
                ))
            }
            d => Ok(d),
        }
    }
}

impl std::str::FromStr for Dedup {
    type Err = Error;
    /// `off`, `exact`, `merge:THRESHOLD` or `flag:THRESHOLD` (near-duplicates at a cosine of
    /// at least THRESHOLD merged or flagged), as the CLI's `--dedup` takes it.
    fn from_str(s: &str) -> Result<Self> {
        let near = |action, t: &str| {
            let threshold = t.parse::<f32>().map_err(|_| {
                Error::invalid(
                    "dedup",
                    format!("{t:?} is not a number (a cosine in (0, 1])"),
                )
            })?;
            Dedup::Near { threshold, action }.check()
        };
        match s.split_once(':') {
            None if s == "off" => Ok(Dedup::Off),
            None if s == "exact" => Ok(Dedup::Exact),
            Some(("merge", t)) => near(NearAction::Merge, t),
            Some(("flag", t)) => near(NearAction::Flag, t),
            _ => Err(Error::invalid(
                "dedup",
                format!("{s:?} is not off, exact, merge:THRESHOLD or flag:THRESHOLD"),
            )),
        }
    }
}

/// What a store did with one memory ([`crate::Spine::store_batch_detailed`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum StoreOutcome {
    /// Stored as a new memory.
    Stored,
    /// An exact duplicate: the existing memory's id, nothing stored.
    Duplicate,
    /// A near-duplicate merged into the existing memory ([`NearAction::Merge`]).
    Merged {
        /// Their cosine.
        similarity: f32,
    },
    /// Stored, and flagged as a near-duplicate of `of` ([`NearAction::Flag`]).
    Flagged {
        /// The memory it resembles.
        of: MemoryId,
        /// Their cosine.
        similarity: f32,
    },
}

/// One memory of a store: its id (new or existing) and what happened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    /// The memory's id.
    pub id: MemoryId,
    /// What the store did.
    #[serde(flatten)]
    pub outcome: StoreOutcome,
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
