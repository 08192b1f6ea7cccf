//! `batch_consolidate`: merges memories into one `consolidated` memory that keeps provenance.
//!
//! Everything happens in one write transaction — the new memory, the originals archived (or
//! deleted), their graph links moved to it, and a `memory.consolidated` event — so a crash leaves
//! either the state before or the state after, never a half.

use std::collections::BTreeMap;

use memspine_compaction::{ConsolidationInput, ExtractiveSummarizer, Summarizer};

use crate::db::Spine;
use crate::error::{Error, Result};
use crate::log::EventBody;
use crate::memory::record::StoredMemory;
use crate::memory::{MemoryId, Scope};
use crate::write::WriteCtx;

/// Kind of consolidated memories.
pub const CONSOLIDATED: &str = "consolidated";

/// Options of [`Spine::batch_consolidate_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsolidateOptions {
    /// Delete the originals instead of archiving them (their history stays in the log).
    pub delete_originals: bool,
}

impl Spine {
    /// Merges memories (at least two, one user, none pinned) with the built-in extractive
    /// summarizer; the originals are archived. Returns the consolidated memory's id.
    pub fn batch_consolidate(&self, ids: &[MemoryId]) -> Result<MemoryId> {
        self.batch_consolidate_with(
            ids,
            &ExtractiveSummarizer::default(),
            ConsolidateOptions::default(),
        )
    }

    /// Merges memories with a given summarizer (an agent can plug an LLM here).
    pub fn batch_consolidate_with(
        &self,
        ids: &[MemoryId],
        summarizer: &dyn Summarizer,
        opts: ConsolidateOptions,
    ) -> Result<MemoryId> {
        self.consolidate_checked(ids, summarizer, opts, None)
    }

    /// [`Spine::batch_consolidate_with`], refusing with [`Error::Conflict`] when a memory is not
    /// in the state the caller planned with (`expected`: id → `updated_at`) or changes before the
    /// write transaction takes the writer lock.
    pub(crate) fn consolidate_checked(
        &self,
        ids: &[MemoryId],
        summarizer: &dyn Summarizer,
        opts: ConsolidateOptions,
        expected: Option<&BTreeMap<u64, u64>>,
    ) -> Result<MemoryId> {
        let mut ids: Vec<MemoryId> = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < 2 {
            return Err(Error::invalid(
                "ids",
                "consolidation needs at least two memories",
            ));
        }
        let limit = self.limits().max_batch;
        if ids.len() > limit {
            return Err(Error::TooLarge {
                what: "ids",
                size: ids.len(),
                limit,
            });
        }
        let originals = self.get_many(&ids)?;
        if originals.len() != ids.len() {
            let missing = ids.iter().find(|id| originals.iter().all(|m| m.id != **id));
            return Err(Error::UnknownId(missing.map_or(0, |m| m.0)));
        }
        if let Some(expected) = expected {
            for m in &originals {
                if expected.get(&m.id.0) != Some(&m.updated_at) {
                    return Err(Error::Conflict {
                        id: m.id.0,
                        reason: "updated after the plan was made".into(),
                    });
                }
            }
        }
        if let Some(p) = originals.iter().find(|m| m.pinned) {
            return Err(Error::invalid(
                "ids",
                format!(
                    "memory {} is pinned: pinned memories are never merged away",
                    p.id
                ),
            ));
        }
        let user = originals[0].scope.user.clone();
        if originals.iter().any(|m| m.scope.user != user) {
            return Err(Error::invalid(
                "ids",
                "memories of different users are never merged",
            ));
        }
        let inputs: Vec<ConsolidationInput> = originals
            .iter()
            .map(|m| ConsolidationInput {
                id: m.id.0,
                content: m.content.clone(),
                created: m.created_at,
                kind: m.kind.clone(),
                tags: m.tags.clone(),
                metadata: m.metadata.clone(),
                importance: m.importance,
                vector: self.vector_of(m.id).ok().flatten(),
            })
            .collect();
        let summary = summarizer
            .summarize(&inputs)
            .map_err(|e| Error::invalid("summarizer", e.to_string()))?;
        // Re-embed the merged text when the database embeds; else the normalised mean vector.
        let vector = match &self.inner.embedder {
            Some(e) => crate::embedding::embed_all(e.as_ref(), &[summary.content.as_str()])?
                .pop()
                .flatten(),
            None => summary
                .vector
                .as_deref()
                .map(|v| self.check_vector(v))
                .transpose()?,
        };
        let common = |f: fn(&Scope) -> &Option<String>| {
            let first = f(&originals[0].scope).clone();
            originals
                .iter()
                .all(|m| *f(&m.scope) == first)
                .then_some(first)
                .flatten()
        };
        let scope = Scope {
            user,
            session: common(|s| &s.session),
            agent: common(|s| &s.agent),
        };
        let limits = self.limits();
        let content = summary.content.clone();
        limits.check_content(&content)?;
        let metadata = limits.check_metadata(Some(&summary.metadata))?;
        self.write(|txn, c, now| {
            let mut ctx = WriteCtx::open(self, txn, now)?;
            let stored = StoredMemory {
                content,
                kind: CONSOLIDATED.to_owned(),
                tags: limits.check_tags(&summary.tags)?,
                metadata,
                scope: scope.clone(),
                importance: summary.importance.clamp(0.0, 1.0),
                pinned: false,
                created_at: now,
                updated_at: now,
                provenance: ids.iter().map(|i| i.0).collect(),
                archived: false,
                has_vector: vector.is_some(),
                stored_seq: 0,
            };
            let new_id = ctx.insert(c, stored, vector.clone())?;
            for m in &originals {
                let old = ctx.load(m.id.0)?;
                if old.updated_at != m.updated_at || old.pinned {
                    return Err(Error::Conflict {
                        id: m.id.0,
                        reason: "changed while it was being consolidated".into(),
                    });
                }
                if opts.delete_originals {
                    ctx.remove(m.id.0, &old)?;
                    ctx.log.append(
                        c,
                        now,
                        old.scope.clone(),
                        EventBody::MemoryDeleted { id: m.id.0 },
                    )?;
                } else {
                    let mut new = old.clone();
                    new.archived = true;
                    new.updated_at = now.max(old.updated_at);
                    ctx.put(m.id.0, &new, Some(&old))?;
                    let body = EventBody::MemoryUpdated {
                        id: m.id.0,
                        memory: new,
                        vector: None,
                        slot: None,
                    };
                    ctx.log.append(c, now, old.scope.clone(), body)?;
                }
            }
            let from: Vec<u64> = ids.iter().map(|i| i.0).collect();
            memspine_graph::move_links(txn, &from, new_id)?;
            ctx.log.append(
                c,
                now,
                scope.clone(),
                EventBody::MemoriesConsolidated {
                    into: new_id,
                    sources: from,
                },
            )?;
            ctx.finish(c)?;
            Ok(MemoryId(new_id))
        })
    }

    /// A memory's vector from the arena, if it has one.
    pub fn vector_of(&self, id: MemoryId) -> Result<Option<Vec<f32>>> {
        let Some(vs) = &self.inner.vectors else {
            return Ok(None);
        };
        let slot = vs.overrides()?.slot_of(id.0);
        Ok(vs.snapshot()?.vector(slot).map(<[f32]>::to_vec))
    }
}
