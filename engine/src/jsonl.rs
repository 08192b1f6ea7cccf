//! JSONL import and export. One object per line with the fields of [`JsonMemory`]; `export`
//! writes exactly what `import` reads, so export → import → export is byte-identical.

use std::io::{BufRead, Read, Write};

use serde::{Deserialize, Serialize};

use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::db::Spine;
use crate::error::{Error, Result};
use crate::memory::{Memory, NewMemory, Scope, StoreOutcome, Stored};
use crate::schema::MEMORIES;

/// One line of an export / import file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonMemory {
    /// The text.
    pub content: String,
    /// Kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Metadata object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// User scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Session scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Agent scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Importance 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<f32>,
    /// Pinned.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
    /// Creation time, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Set on archived memories in `export --include-archived`; import keeps them archived.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
}

impl From<&Memory> for JsonMemory {
    fn from(m: &Memory) -> Self {
        let empty = m.metadata.as_object().is_some_and(|o| o.is_empty());
        JsonMemory {
            content: m.content.clone(),
            kind: Some(m.kind.clone()),
            tags: m.tags.clone(),
            metadata: (!empty).then(|| m.metadata.clone()),
            user: m.scope.user.clone(),
            session: m.scope.session.clone(),
            agent: m.scope.agent.clone(),
            importance: Some(m.importance),
            pinned: m.pinned,
            created_at: Some(format_rfc3339(m.created_at)),
            archived: m.archived,
        }
    }
}

impl JsonMemory {
    /// Converts to a memory to store; errors name the field.
    pub fn into_new(self) -> Result<NewMemory> {
        let created_at = match &self.created_at {
            None => None,
            Some(s) => Some(parse_rfc3339(s).ok_or_else(|| {
                Error::invalid("created_at", format!("{s:?} is not an RFC 3339 time"))
            })?),
        };
        Ok(NewMemory {
            content: self.content,
            kind: self.kind,
            tags: self.tags,
            metadata: self.metadata,
            scope: Scope {
                user: self.user,
                session: self.session,
                agent: self.agent,
            },
            importance: self.importance,
            pinned: self.pinned,
            created_at,
            vector: None,
            dedup: None,
        })
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Memories stored (flagged near-duplicates included).
    pub imported: u64,
    /// Lines read (blank lines skipped).
    pub lines: u64,
    /// Lines not stored because the database's `Options::dedup` found them duplicates of a
    /// memory already there (exact, or a near-duplicate merged into it).
    pub deduplicated: u64,
}

/// Lines per import transaction.
pub const IMPORT_BATCH: usize = 1000;

impl Spine {
    /// Writes memories as JSONL in id order; archived ones only with `include_archived`.
    pub fn export(&self, out: &mut dyn Write, include_archived: bool) -> Result<u64> {
        let s = self.snapshot()?;
        let t = s.txn.open_table(MEMORIES)?;
        let mut n = 0;
        for e in redb::ReadableTable::iter(&t)? {
            let id = e?.0.value();
            let Some(m) = s.memory(id)? else { continue };
            if m.archived && !include_archived {
                continue;
            }
            let line = serde_json::to_string(&JsonMemory::from(&m))
                .map_err(|e| Error::Storage(e.to_string()))?;
            writeln!(out, "{line}")?;
            n += 1;
        }
        out.flush()?;
        Ok(n)
    }

    /// Reads JSONL and stores it in batches of [`IMPORT_BATCH`]. A bad line stops the import with
    /// an error naming its line number; batches before it are committed. `progress` gets bytes read.
    pub fn import(
        &self,
        input: &mut dyn BufRead,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut batch: Vec<(NewMemory, bool)> = Vec::with_capacity(IMPORT_BATCH);
        let mut raw = Vec::new();
        let mut bytes = 0u64;
        let limit = import_line_limit(self.limits());
        loop {
            raw.clear();
            // Bounded read: a file without newlines must not be read into memory whole.
            let n = (&mut *input)
                .take(limit as u64 + 1)
                .read_until(b'\n', &mut raw)?;
            if n == 0 {
                break;
            }
            report.lines += 1;
            let at = |e: String| Error::invalid("import", format!("line {}: {e}", report.lines));
            if n > limit {
                return Err(Error::TooLarge {
                    what: "import line",
                    size: n,
                    limit,
                });
            }
            bytes += n as u64;
            let line = std::str::from_utf8(&raw).map_err(|e| at(e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let jm: JsonMemory = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
            let archived = jm.archived;
            let nm = jm.into_new().map_err(|e| at(e.to_string()))?;
            self.prepare(&nm, 0).map_err(|e| at(e.to_string()))?;
            batch.push((nm, archived));
            if batch.len() >= IMPORT_BATCH.min(self.limits().max_batch) {
                self.import_batch(std::mem::take(&mut batch), &mut report)?;
                progress(bytes);
            }
        }
        self.import_batch(batch, &mut report)?;
        progress(bytes);
        Ok(report)
    }

    fn import_batch(&self, batch: Vec<(NewMemory, bool)>, report: &mut ImportReport) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let archived: Vec<bool> = batch.iter().map(|(_, a)| *a).collect();
        let stored = self.store_batch_detailed(batch.into_iter().map(|(m, _)| m).collect())?;
        // Only lines stored as new memories are archived: a line found a duplicate must not
        // archive the memory it duplicates.
        let new = |s: &Stored| {
            matches!(
                s.outcome,
                StoreOutcome::Stored | StoreOutcome::Flagged { .. }
            )
        };
        let to_archive: Vec<_> = stored
            .iter()
            .zip(archived)
            .filter(|(s, a)| *a && new(s))
            .map(|(s, _)| s.id)
            .collect();
        if !to_archive.is_empty() {
            self.set_archived(&to_archive, true)?;
        }
        let fresh = stored.iter().filter(|s| new(s)).count() as u64;
        report.imported += fresh;
        report.deduplicated += stored.len() as u64 - fresh;
        Ok(())
    }
}

/// Longest accepted import line: room for the largest content and metadata even when every
/// character is JSON-escaped (`\uXXXX`, six bytes), plus the other fields.
pub fn import_line_limit(l: &crate::memory::Limits) -> usize {
    6 * (l.max_content_bytes + l.max_metadata_bytes) + 64 * 1024
}
