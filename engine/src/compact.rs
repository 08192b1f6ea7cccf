//! The compactor: executes the decay policy of `memspine-compaction` against the database, and
//! compacts the event log.
//!
//! A pass:
//! 1. **Plans** in one read snapshot: every memory (live and archived) becomes a [`Candidate`]
//!    (access counts from the access table, graph degree from the memory↔entity links), and
//!    [`memspine_compaction::plan`] decides one action per memory, comparing vectors from the
//!    arena for consolidation. A dry run stops here and returns the plan.
//! 2. **Executes** the plan in bounded write transactions (`actions_per_txn` demotions, archives
//!    and deletions per transaction; one transaction per consolidated group), so the writer lock
//!    is never held for long and readers — which never take it — never wait. Every action is
//!    re-checked inside its transaction: a memory updated, pinned or deleted after planning is
//!    skipped (counted in `skipped`), never overwritten with a stale decision.
//! 3. **Compacts the log**: runs of sealed pages older than `cold_after` are merged into larger
//!    pages (`page_events`), recompressed at a higher zstd level and flagged cold, so later passes
//!    leave them be. With a `retention`, agent and compaction events older than it are dropped
//!    while rewriting; memory and graph events are never dropped (they are the source the vector
//!    arena and `verify` replay from).
//! 4. Appends a `compaction` event with the pass's statistics and adds them to the running
//!    totals in the meta table (what `memspine stats` shows).
//!
//! Every write transaction is all-or-nothing, so a crash at any point leaves each action either
//! done or not done; a consolidation is one transaction (the new memory, its originals archived,
//! links moved), never half.
//!
//! File space: redb reuses freed pages for later writes, so a compacted database stops growing;
//! giving the space back to the file system needs the handle to itself
//! ([`Spine::reclaim_space`], `memspine compact --reclaim`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use memspine_compaction::{
    plan, Action, Breakdown, Candidate, CompactionStats, DecayPolicy, ExtractiveSummarizer, Plan,
};
use redb::{ReadableTable, TableError};
use serde::{Deserialize, Serialize};

use crate::consolidate::ConsolidateOptions;
use crate::db::{Inner, Spine};
use crate::error::{Error, Result};
use crate::log::{page, type_bit, EventBody, LogRecord, LogWriter};
use crate::memory::record;
use crate::memory::{MemoryId, Scope};
use crate::schema::{ACCESS, LOG_PAGES, LOG_PAGE_IDX, MEMORIES, META};
use crate::write::WriteCtx;

/// Meta key of the running compaction totals (JSON, so new counters never break old files).
const HISTORY_KEY: &str = "compaction_history";
/// Meta key of the number of events dropped by log retention (seq gaps `verify` accepts).
pub(crate) const LOG_DROPPED_KEY: &str = "log_dropped_events";
/// meta: the last seq of the sealed pages the log compaction has examined. Pages up to it are
/// not looked at again (unless a retention may drop their events): a page whose rewrite would
/// not pay stays as it is, and later passes do not decode it again.
const LOG_EXAMINED_KEY: &str = "log_examined_through";
/// A rewrite (merge or recompression) happens only when it makes the pages at least this much
/// smaller, in tenths, or drops events: rewriting costs a copy of every byte in redb's
/// copy-on-write file, and vector-heavy pages barely shrink (their vectors are raw f32).
const MIN_GAIN_TENTHS: usize = 1;

/// How the compactor rewrites the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogCompaction {
    /// Pages whose newest event is older than this are cold. Default 7 days.
    pub cold_after: Duration,
    /// zstd level of cold pages (hot pages are sealed at level 3). Default 9.
    pub level: i32,
    /// Events per merged cold page (at least). Default 1024 (four hot pages).
    pub page_events: u32,
    /// Most bytes of source pages in one merged page. Default 1 MiB − 4 KiB: redb keeps a value
    /// this large in a region of a power-of-two size, so a merged page just over 1 MiB would
    /// occupy 2 MiB of the file (measured: a first pass over a 1M-memory log doubled the log's
    /// footprint that way).
    pub page_bytes: u64,
    /// Drop agent and compaction events older than this while rewriting. Default: keep all.
    pub retention: Option<Duration>,
    /// Source pages rewritten per write transaction. Default 16.
    pub pages_per_txn: usize,
}

impl Default for LogCompaction {
    fn default() -> Self {
        LogCompaction {
            cold_after: Duration::from_secs(7 * 86_400),
            level: 9,
            page_events: 1024,
            page_bytes: 1024 * 1024 - 4096,
            retention: None,
            pages_per_txn: 16,
        }
    }
}

/// What a compaction pass does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompactOptions {
    /// The decay and consolidation policy (the article's defaults).
    pub policy: DecayPolicy,
    /// Apply the policy to memories (default true).
    pub memories: bool,
    /// Demotions, archives and deletions per write transaction. Default 256.
    pub actions_per_txn: usize,
    /// Log compaction (default on, with [`LogCompaction::default`]); `None` leaves the log be.
    pub log: Option<LogCompaction>,
    /// Keep the partitioned vector index current ([`Spine::maintain_vector_index`]).
    pub vector_index: bool,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            policy: DecayPolicy::default(),
            memories: true,
            actions_per_txn: 256,
            log: Some(LogCompaction::default()),
            vector_index: true,
        }
    }
}

impl CompactOptions {
    fn validate(&self) -> Result<()> {
        self.policy.validate()?;
        if self.actions_per_txn == 0 {
            return Err(Error::invalid("actions_per_txn", "must be at least 1"));
        }
        if let Some(l) = &self.log {
            if !(1..=22).contains(&l.level) {
                return Err(Error::invalid("log.level", "zstd levels are 1..=22"));
            }
            if l.page_events == 0 || l.pages_per_txn == 0 {
                return Err(Error::invalid(
                    "log",
                    "page_events and pages_per_txn must be at least 1",
                ));
            }
        }
        Ok(())
    }
}

/// The background compactor's settings ([`crate::Options::compactor`],
/// [`Spine::start_compactor`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CompactorConfig {
    /// Time between passes (the first pass runs one interval after the start). Default 1 hour.
    pub interval: Duration,
    /// What each pass does.
    pub options: CompactOptions,
}

impl Default for CompactorConfig {
    fn default() -> Self {
        CompactorConfig {
            interval: Duration::from_secs(3600),
            options: CompactOptions::default(),
        }
    }
}

/// A planned action that was not carried out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    /// The memories of the action.
    pub ids: Vec<u64>,
    /// The action (`demote`, `archive`, `delete`, `consolidate`).
    pub action: &'static str,
    /// Why (changed since planning, or the consolidation was refused).
    pub reason: String,
}

/// What one pass planned and did.
#[derive(Debug, Clone, Serialize)]
pub struct CompactionReport {
    /// The plan: one action per memory with its reason (the whole output of a dry run).
    pub plan: Plan,
    /// Counters and timings (`dry_run` set for a dry run).
    pub stats: CompactionStats,
    /// Planned actions skipped because their memories changed meanwhile.
    pub skipped: Vec<Skipped>,
    /// Ids of the consolidated memories created, with the originals each merges.
    pub consolidated: Vec<(MemoryId, Vec<MemoryId>)>,
}

/// The compactor's record, kept in the database: running totals and the last pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompactionHistory {
    /// Sum of every pass since the database was created.
    pub total: CompactionStats,
    /// The most recent pass.
    pub last: Option<CompactionStats>,
    /// The background worker's last error, if its last pass failed (this process only).
    #[serde(skip)]
    pub last_error: Option<String>,
    /// Whether a background compactor runs on this handle.
    #[serde(skip)]
    pub worker_running: bool,
}

/// The background worker owned by a database handle.
pub(crate) struct Worker {
    shared: Arc<WorkerShared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
pub(crate) struct WorkerShared {
    stop: Mutex<bool>,
    wake: Condvar,
    last_error: Mutex<Option<String>>,
    /// Whether a pass holds a strong reference to the database now.
    in_pass: Mutex<bool>,
    pass_done: Condvar,
    /// Set by the last user handle going away during a pass: finish the transaction and let go.
    abort: AtomicBool,
}

impl WorkerShared {
    fn stopped(&self) -> bool {
        self.abort.load(Ordering::Acquire) || self.stop.lock().map(|s| *s).unwrap_or(true)
    }
}

impl Drop for Spine {
    /// When the last user handle goes while the background compactor is inside a pass (and so
    /// holds the database), the pass is cut short after its current transaction and this drop
    /// waits for it: once `drop` returns, the database is closed and can be reopened at once.
    fn drop(&mut self) {
        if self.token.worker || Arc::strong_count(&self.token) != 1 {
            return;
        }
        let shared = match self.inner.compactor.lock() {
            Ok(w) => w.as_ref().map(|w| w.shared.clone()),
            Err(_) => None,
        };
        // The compactor is told first, so that a background flush of access counts waiting for
        // the writer lock behind a pass gets it after the pass's current transaction.
        // Under `in_pass`, which the worker holds while it checks `abort` and starts a pass:
        // either it sees the flag or the wait below sees its pass.
        if let Some(shared) = &shared {
            if let Ok(_in_pass) = shared.in_pass.lock() {
                shared.abort.store(true, Ordering::Release);
            }
        }
        // A background flush holding the database: wait for it.
        self.inner.flusher.close();
        let Some(shared) = shared else {
            return;
        };
        let Ok(mut busy) = shared.in_pass.lock() else {
            return;
        };
        while *busy {
            busy = match shared.pass_done.wait(busy) {
                Ok(b) => b,
                Err(_) => return,
            };
        }
    }
}

impl Worker {
    /// Signals the thread and waits for it (unless called from the thread itself, which then
    /// ends by itself after its current transaction).
    pub(crate) fn stop(mut self) {
        if let Ok(mut s) = self.shared.stop.lock() {
            *s = true;
        }
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

/// One memory's state as the planner saw it, to detect changes before executing.
#[derive(Clone, Copy)]
struct Seen {
    updated: u64,
    archived: bool,
}

impl Spine {
    /// The compaction plan for now (a dry run: nothing changes).
    pub fn compaction_plan(&self, policy: &DecayPolicy) -> Result<Plan> {
        let opts = CompactOptions {
            policy: policy.clone(),
            log: None,
            ..CompactOptions::default()
        };
        Ok(self.compact_with(&opts, true)?.plan)
    }

    /// Runs one compaction pass now with the default options (or the background compactor's
    /// options when one runs).
    pub fn compact_now(&self) -> Result<CompactionReport> {
        self.compact_with(&CompactOptions::default(), false)
    }

    /// Runs one compaction pass; with `dry_run` only plans and reports (the log part counts the
    /// pages it would rewrite).
    pub fn compact_with(&self, opts: &CompactOptions, dry_run: bool) -> Result<CompactionReport> {
        self.compact_pass(opts, dry_run, &|| false)
    }

    /// The importance score of a memory as the compactor computes it now, with each signal.
    pub fn importance_of(&self, id: MemoryId, policy: &DecayPolicy) -> Result<Breakdown> {
        let snap = self.snapshot()?;
        let now = self.now();
        let (cands, _) = self.candidates(&snap, Some(id.0), &|| false)?;
        let c = cands.first().ok_or(Error::UnknownId(id.0))?;
        Ok(memspine_compaction::breakdown(c, now, &policy.importance))
    }

    /// Running totals and the last pass of the compactor.
    pub fn compaction_history(&self) -> Result<CompactionHistory> {
        let txn = self.read_txn()?;
        let meta = txn.open_table(META)?;
        let mut h: CompactionHistory = match meta.get(HISTORY_KEY)? {
            Some(v) => serde_json::from_slice(v.value())
                .map_err(|e| Error::corrupt("compaction history", e.to_string()))?,
            None => CompactionHistory::default(),
        };
        if let Ok(w) = self.inner.compactor.lock() {
            if let Some(w) = w.as_ref() {
                h.worker_running = true;
                h.last_error = w.shared.last_error.lock().ok().and_then(|e| e.clone());
            }
        }
        Ok(h)
    }

    /// Starts the background compactor on this handle (it stops when the last handle drops, or
    /// with [`Spine::stop_compactor`]). Errors if one already runs.
    pub fn start_compactor(&self, cfg: CompactorConfig) -> Result<()> {
        cfg.options.validate()?;
        if cfg.interval.is_zero() {
            return Err(Error::invalid("interval", "must be positive"));
        }
        let mut slot = self
            .inner
            .compactor
            .lock()
            .map_err(|_| Error::Poisoned("compactor lock".into()))?;
        if slot.is_some() {
            return Err(Error::Busy("a background compactor already runs".into()));
        }
        let shared = Arc::new(WorkerShared::default());
        let weak = Arc::downgrade(&self.inner);
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("memspine-compactor".into())
            .spawn(move || worker_loop(&weak, &s, &cfg))?;
        *slot = Some(Worker {
            shared,
            thread: Some(thread),
        });
        Ok(())
    }

    /// Stops the background compactor (waits for its current transaction). No-op when none runs.
    pub fn stop_compactor(&self) {
        let w = self.inner.compactor.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = w {
            w.stop();
        }
    }

    /// Whether a background compactor runs on this handle.
    pub fn compactor_running(&self) -> bool {
        self.inner
            .compactor
            .lock()
            .map(|w| w.is_some())
            .unwrap_or(false)
    }

    /// Gives free space inside the database file back to the file system (redb's compaction).
    /// Needs the handle to itself: stops the background compactor, and fails with
    /// [`Error::Busy`] while other clones of the handle exist. Returns the file size before and
    /// after.
    pub fn reclaim_space(&mut self) -> Result<(u64, u64)> {
        self.stop_compactor();
        let file = self.path().join(crate::db::DATA_FILE);
        let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let before = size();
        self.inner.flusher.wait_idle();
        // Background builds of copies hold read transactions, and redb compacts only without
        // any: wait for them (no clone of the handle can ask for another, checked below).
        self.wait_for_scope_copies();
        self.inner.graph_copies.wait_idle();
        let inner = Arc::get_mut(&mut self.inner).ok_or_else(|| {
            Error::Busy("other handles (clones) of this database are open".into())
        })?;
        // Pending access counts are written first: compaction needs no live transaction. A
        // poisoned handle writes nothing (its file is in an unknown state).
        if let Some(why) = inner.writer.get_mut().ok().and_then(|w| w.poisoned.clone()) {
            return Err(Error::Poisoned(why));
        }
        inner.flush_access()?;
        for _ in 0..8 {
            match inner.db.compact() {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(Error::Storage(format!("reclaiming space: {e}"))),
            }
        }
        Ok((before, size()))
    }

    fn compact_pass(
        &self,
        opts: &CompactOptions,
        dry_run: bool,
        cancel: &dyn Fn() -> bool,
    ) -> Result<CompactionReport> {
        opts.validate()?;
        let started = Instant::now();
        let now = self.now();
        let mut stats = CompactionStats {
            passes: 1,
            started_at: now,
            dry_run,
            ..CompactionStats::default()
        };
        let bytes_before = crate::stats::dir_bytes(self.path());
        // 1. Plan in one snapshot.
        let (plan, seen) = if opts.memories {
            self.plan_memories(&opts.policy, now, cancel)?
        } else {
            (empty_plan(now), HashMap::new())
        };
        stats.record_plan(&plan);
        stats.plan_us = micros(started.elapsed());
        let mut report = CompactionReport {
            plan,
            stats: CompactionStats::default(),
            skipped: Vec::new(),
            consolidated: Vec::new(),
        };
        // 2. Execute.
        let exec = Instant::now();
        if !dry_run {
            self.execute(
                &report.plan.clone(),
                &seen,
                opts,
                &mut stats,
                &mut report,
                cancel,
            )?;
        }
        stats.execute_us = micros(exec.elapsed());
        // 3. The log.
        let log = Instant::now();
        if let Some(l) = &opts.log {
            self.compact_log(l, now, dry_run, &mut stats, cancel)?;
        }
        stats.log_us = micros(log.elapsed());
        // 4. The partitioned vector index (derived; a failure is the pass's error).
        if !dry_run && opts.vector_index {
            let vi = Instant::now();
            stats.vector_index_slots = self.maintain_vector_index()?;
            stats.vector_index_us = micros(vi.elapsed());
        }
        stats.total_us = micros(started.elapsed());
        stats.finished_at = self.now();
        stats.record_bytes(bytes_before, crate::stats::dir_bytes(self.path()));
        // 5. Record the pass.
        if !dry_run {
            self.record_pass(&stats)?;
            stats.transactions += 1;
        }
        report.stats = stats;
        Ok(report)
    }

    /// Candidates of every stored memory (or only `only`), and access to their vectors.
    fn candidates(
        &self,
        snap: &crate::read::Snapshot,
        only: Option<u64>,
        cancel: &dyn Fn() -> bool,
    ) -> Result<(Vec<Candidate>, Vec<bool>)> {
        let txn = &snap.txn;
        let memories = txn.open_table(MEMORIES)?;
        let access = txn.open_table(ACCESS)?;
        let degree = graph_degrees(txn, only)?;
        let mut out = Vec::new();
        let mut has_vector = Vec::new();
        let range = match only {
            Some(id) => memories.range(id..=id)?,
            None => memories.range(0..)?,
        };
        for (i, e) in range.enumerate() {
            if i % 4096 == 4095 && cancel() {
                return Err(Error::Busy("compaction cancelled".into()));
            }
            let (k, v) = e?;
            let id = k.value();
            let m = record::decode(id, v.value())?;
            let (mut count, mut last) = access.get(id)?.map_or((0, 0), |a| a.value());
            if let Some((c, l)) = self.inner.access.pending(id, snap.generation) {
                count += c;
                last = last.max(l);
            }
            has_vector.push(m.has_vector);
            out.push(Candidate {
                id,
                created: m.created_at,
                updated: m.updated_at,
                last_access: (last > 0).then_some(last),
                access_count: count,
                importance: m.importance,
                pinned: m.pinned,
                kind: m.kind,
                user: m.scope.user,
                session: m.scope.session,
                agent: m.scope.agent,
                tags: m.tags,
                graph_degree: degree.get(&id).copied().unwrap_or(0),
                content_len: m.content.len(),
                archived: m.archived,
            });
        }
        Ok((out, has_vector))
    }

    fn plan_memories(
        &self,
        policy: &DecayPolicy,
        now: u64,
        cancel: &dyn Fn() -> bool,
    ) -> Result<(Plan, HashMap<u64, Seen>)> {
        let snap = self.snapshot()?;
        let (cands, has_vector) = self.candidates(&snap, None, cancel)?;
        drop(snap);
        let seen: HashMap<u64, Seen> = cands
            .iter()
            .map(|c| {
                let s = Seen {
                    updated: c.updated,
                    archived: c.archived,
                };
                (c.id, s)
            })
            .collect();
        let with_vec: HashMap<u64, bool> = cands
            .iter()
            .zip(&has_vector)
            .map(|(c, &v)| (c.id, v))
            .collect();
        let vectors = match &self.inner.vectors {
            Some(v) => Some((v.snapshot()?, v.overrides()?)),
            None => None,
        };
        let similarity = |a: u64, b: u64| -> Option<f32> {
            let (snap, ov) = vectors.as_ref()?;
            if !with_vec.get(&a).copied().unwrap_or(false)
                || !with_vec.get(&b).copied().unwrap_or(false)
            {
                return None;
            }
            let va = snap.vector(ov.slot_of(a))?;
            let vb = snap.vector(ov.slot_of(b))?;
            Some(memspine_index::kernels::dot(va, vb))
        };
        let p = plan(&cands, now, policy, &similarity)?;
        Ok((p, seen))
    }

    fn execute(
        &self,
        plan: &Plan,
        seen: &HashMap<u64, Seen>,
        opts: &CompactOptions,
        stats: &mut CompactionStats,
        report: &mut CompactionReport,
        cancel: &dyn Fn() -> bool,
    ) -> Result<()> {
        let simple: Vec<&Action> = plan
            .actions
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::Demote { .. } | Action::Archive { .. } | Action::Delete { .. }
                )
            })
            .collect();
        for chunk in simple.chunks(opts.actions_per_txn) {
            if cancel() {
                return Ok(());
            }
            let skipped = self.write(|txn, c, now| {
                let mut ctx = WriteCtx::open(self, txn, now)?;
                let mut skipped = Vec::new();
                for a in chunk {
                    let id = a.ids().first().copied().unwrap_or(0);
                    match apply_simple(&mut ctx, c, a, id, seen.get(&id).copied())? {
                        Ok(()) => {}
                        Err(reason) => skipped.push(Skipped {
                            ids: vec![id],
                            action: a.name(),
                            reason,
                        }),
                    }
                }
                ctx.finish(c)?;
                Ok(skipped)
            })?;
            stats.transactions += 1;
            stats.skipped += skipped.len() as u64;
            report.skipped.extend(skipped);
        }
        let summarizer = ExtractiveSummarizer::default();
        for a in &plan.actions {
            let Action::Consolidate {
                ids,
                delete_originals,
                ..
            } = a
            else {
                continue;
            };
            if cancel() {
                return Ok(());
            }
            let expected: BTreeMap<u64, u64> = ids
                .iter()
                .filter_map(|id| seen.get(id).map(|s| (*id, s.updated)))
                .collect();
            let mids: Vec<MemoryId> = ids.iter().copied().map(MemoryId).collect();
            let copts = ConsolidateOptions {
                delete_originals: *delete_originals,
            };
            match self.consolidate_checked(&mids, &summarizer, copts, Some(&expected)) {
                Ok(new) => {
                    stats.transactions += 1;
                    report.consolidated.push((new, mids));
                }
                Err(
                    e @ (Error::Conflict { .. }
                    | Error::UnknownId(_)
                    | Error::InvalidInput { .. }
                    | Error::TooLarge { .. }),
                ) => {
                    stats.skipped += 1;
                    report.skipped.push(Skipped {
                        ids: ids.clone(),
                        action: "consolidate",
                        reason: e.to_string(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn compact_log(
        &self,
        cfg: &LogCompaction,
        now: u64,
        dry_run: bool,
        stats: &mut CompactionStats,
        cancel: &dyn Fn() -> bool,
    ) -> Result<()> {
        let retention_cutoff = cfg
            .retention
            .map(|r| now.saturating_sub(memspine_compaction::duration_us(r)));
        let (runs, examined) = {
            let txn = self.read_txn()?;
            let runs = plan_log_runs(&txn, cfg, now)?;
            worthwhile_runs(&txn, runs, cfg.level, retention_cutoff)?
        };
        if dry_run {
            for run in &runs {
                count_run(stats, run.len());
            }
            return Ok(());
        }
        let mut i = 0;
        while i < runs.len() {
            if cancel() {
                return Ok(());
            }
            // Whole runs per transaction, up to `pages_per_txn` source pages (at least one run).
            let mut end = i;
            let mut pages = 0;
            while end < runs.len() && (end == i || pages + runs[end].len() <= cfg.pages_per_txn) {
                pages += runs[end].len();
                end += 1;
            }
            let batch = &runs[i..end];
            let (dropped_events, dropped_pages) =
                self.write(|txn, _c, _now| rewrite_runs(txn, batch, cfg.level, retention_cutoff))?;
            stats.transactions += 1;
            for run in batch {
                count_run(stats, run.len());
            }
            stats.log_events_dropped += dropped_events;
            stats.log_pages_dropped += dropped_pages;
            i = end;
        }
        if let Some(last) = examined {
            self.write(|txn, _c, _now| {
                let mut meta = txn.open_table(META)?;
                let seen: u64 = crate::schema::get_meta(&meta, LOG_EXAMINED_KEY)?.unwrap_or(0);
                crate::schema::put_meta(&mut meta, LOG_EXAMINED_KEY, &seen.max(last))
            })?;
        }
        Ok(())
    }

    /// Appends the pass's `compaction` event and adds it to the running totals.
    fn record_pass(&self, stats: &CompactionStats) -> Result<()> {
        let payload = serde_json::to_string(stats)
            .map_err(|e| Error::invalid("compaction stats", e.to_string()))?;
        self.write(|txn, c, now| {
            let mut meta = txn.open_table(META)?;
            let mut h: CompactionHistory = match meta.get(HISTORY_KEY)? {
                Some(v) => serde_json::from_slice(v.value()).unwrap_or_default(),
                None => CompactionHistory::default(),
            };
            let mut pass = stats.clone();
            pass.transactions += 1;
            h.total.add(&pass);
            h.last = Some(pass);
            let bytes = serde_json::to_vec(&h)
                .map_err(|e| Error::invalid("compaction history", e.to_string()))?;
            meta.insert(HISTORY_KEY, bytes.as_slice())?;
            drop(meta);
            let mut log = LogWriter::open(txn)?;
            log.append(c, now, Scope::default(), EventBody::Compaction { payload })?;
            log.flush(c)
        })
    }
}

/// One demotion, archive or deletion, re-checked against what the planner saw. The outer
/// `Result` is a storage error (aborts the transaction); the inner one a skip with its reason.
fn apply_simple(
    ctx: &mut WriteCtx<'_>,
    c: &mut crate::schema::Counters,
    a: &Action,
    id: u64,
    seen: Option<Seen>,
) -> Result<std::result::Result<(), String>> {
    let old = match ctx.memories.get(id)? {
        Some(v) => record::decode(id, v.value())?,
        None => return Ok(Err("deleted after planning".into())),
    };
    let Some(seen) = seen else {
        return Ok(Err("not in the plan's snapshot".into()));
    };
    if old.updated_at != seen.updated || old.archived != seen.archived {
        return Ok(Err("updated after planning".into()));
    }
    if old.pinned {
        return Ok(Err("pinned after planning".into()));
    }
    let now = ctx.now;
    match a {
        Action::Demote { new_importance, .. } => {
            let mut new = old.clone();
            new.importance = new_importance.clamp(0.0, 1.0);
            new.updated_at = now.max(old.updated_at);
            put_logged(ctx, c, id, new, &old)?;
        }
        Action::Archive { .. } => {
            let mut new = old.clone();
            new.archived = true;
            new.updated_at = now.max(old.updated_at);
            put_logged(ctx, c, id, new, &old)?;
        }
        Action::Delete { .. } => {
            ctx.remove(id, &old)?;
            ctx.log
                .append(c, now, old.scope.clone(), EventBody::MemoryDeleted { id })?;
        }
        Action::Keep { .. } | Action::Consolidate { .. } => {}
    }
    Ok(Ok(()))
}

fn put_logged(
    ctx: &mut WriteCtx<'_>,
    c: &mut crate::schema::Counters,
    id: u64,
    new: record::StoredMemory,
    old: &record::StoredMemory,
) -> Result<()> {
    ctx.put(id, &new, Some(old))?;
    let scope = new.scope.clone();
    let body = EventBody::MemoryUpdated {
        id,
        memory: new,
        vector: None,
        slot: None,
    };
    ctx.log.append(c, ctx.now, scope, body)?;
    Ok(())
}

fn count_run(stats: &mut CompactionStats, pages: usize) {
    if pages > 1 {
        stats.log_pages_merged += pages as u64;
    } else {
        stats.log_pages_recompressed += pages as u64;
    }
}

fn empty_plan(now: u64) -> Plan {
    Plan {
        now,
        actions: Vec::new(),
        counts: Default::default(),
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Number of entities each memory is linked to (all memories, or only `only`).
fn graph_degrees(txn: &redb::ReadTransaction, only: Option<u64>) -> Result<HashMap<u64, u32>> {
    let t = match txn.open_table(memspine_graph::table_defs::MEM_ENT) {
        Ok(t) => t,
        Err(TableError::TableDoesNotExist(_)) => return Ok(HashMap::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out: HashMap<u64, u32> = HashMap::new();
    let range = match only {
        Some(id) => t.range((id, 0)..=(id, u64::MAX))?,
        None => t.range((0, 0)..)?,
    };
    for e in range {
        let (k, _) = e?;
        *out.entry(k.value().0).or_default() += 1;
    }
    Ok(out)
}

/// Events a retention may drop: nothing the current state is replayed from.
fn droppable(r: &LogRecord) -> bool {
    matches!(
        r.body,
        EventBody::Agent { .. } | EventBody::Compaction { .. }
    )
}

/// Groups the sealed pages to rewrite into runs of consecutive pages, each becoming one page.
fn plan_log_runs(
    txn: &redb::ReadTransaction,
    cfg: &LogCompaction,
    now: u64,
) -> Result<Vec<Vec<u64>>> {
    let idx = txn.open_table(LOG_PAGE_IDX)?;
    let pages = txn.open_table(LOG_PAGES)?;
    let examined: u64 = if cfg.retention.is_some() {
        0 // a retention may have expired events in pages examined before
    } else {
        let meta = txn.open_table(META)?;
        crate::schema::get_meta(&meta, LOG_EXAMINED_KEY)?.unwrap_or(0)
    };
    let cold_cutoff = now.saturating_sub(memspine_compaction::duration_us(cfg.cold_after));
    let retention_cutoff = cfg
        .retention
        .map(|r| now.saturating_sub(memspine_compaction::duration_us(r)));
    let mut runs = Vec::new();
    let mut run: Vec<u64> = Vec::new();
    let (mut events, mut bytes) = (0u64, 0u64);
    for e in idx.iter()? {
        let (k, v) = e?;
        let first = k.value();
        let (last, min_ts, max_ts, count, _mask) = v.value();
        if last <= examined {
            continue;
        }
        let (page_len, cold) = match pages.get(first)? {
            Some(p) => (p.value().len() as u64, page::cold_state(p.value())),
            None => (0, None),
        };
        let eligible = match cold {
            None => max_ts < cold_cutoff,
            // A cold page is revisited only to drop events that expired since.
            Some(clean) => !clean && retention_cutoff.is_some_and(|c| min_ts < c),
        };
        let cold = cold.is_some();
        if !eligible {
            if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            events = 0;
            bytes = 0;
            continue;
        }
        if cold {
            // An already cold page is only rewritten alone, to drop expired events.
            if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            runs.push(vec![first]);
            events = 0;
            bytes = 0;
            continue;
        }
        if !run.is_empty() && bytes + page_len > cfg.page_bytes {
            runs.push(std::mem::take(&mut run));
            events = 0;
            bytes = 0;
        }
        run.push(first);
        events += u64::from(count);
        bytes += page_len;
        if events >= u64::from(cfg.page_events) || bytes >= cfg.page_bytes {
            runs.push(std::mem::take(&mut run));
            events = 0;
            bytes = 0;
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    Ok(runs)
}

/// Keeps the runs whose rewrite pays: events to drop, or an encoding at least
/// [`MIN_GAIN_TENTHS`] smaller than the source pages (encoded here once to know). Returns them
/// with the last seq of every run examined.
fn worthwhile_runs(
    txn: &redb::ReadTransaction,
    runs: Vec<Vec<u64>>,
    level: i32,
    retention_cutoff: Option<u64>,
) -> Result<(Vec<Vec<u64>>, Option<u64>)> {
    let pages = txn.open_table(LOG_PAGES)?;
    let mut keep = Vec::with_capacity(runs.len());
    let mut examined = None;
    for run in runs {
        let (mut records, mut old_len) = (Vec::new(), 0usize);
        for first in &run {
            if let Some(p) = pages.get(*first)? {
                old_len += p.value().len();
                records.extend(page::decode(p.value(), true)?);
            }
        }
        if let Some(last) = records.last() {
            examined = examined.max(Some(last.seq));
        }
        let before = records.len();
        if let Some(cut) = retention_cutoff {
            records.retain(|r| !(droppable(r) && r.ts < cut));
        }
        let pays = records.len() < before || records.is_empty() || {
            let clean = !records.iter().any(droppable);
            let (_, bytes) = page::encode_cold(&mut records, level, clean)?;
            bytes.len() * 10 <= old_len * (10 - MIN_GAIN_TENTHS)
        };
        if pays {
            keep.push(run);
        }
    }
    Ok((keep, examined))
}

/// Rewrites runs of pages inside one write transaction; returns (events dropped, pages dropped).
fn rewrite_runs(
    txn: &redb::WriteTransaction,
    runs: &[Vec<u64>],
    level: i32,
    retention_cutoff: Option<u64>,
) -> Result<(u64, u64)> {
    let mut pages = txn.open_table(LOG_PAGES)?;
    let mut idx = txn.open_table(LOG_PAGE_IDX)?;
    let (mut dropped, mut pages_dropped) = (0u64, 0u64);
    for run in runs {
        let mut records: Vec<LogRecord> = Vec::new();
        for first in run {
            let Some(p) = pages.get(*first)? else {
                return Err(Error::corrupt(
                    "log page",
                    format!("page {first} vanished during compaction"),
                ));
            };
            records.extend(page::decode(p.value(), true)?);
        }
        let before = records.len();
        if let Some(cut) = retention_cutoff {
            records.retain(|r| !(droppable(r) && r.ts < cut));
        }
        dropped += (before - records.len()) as u64;
        for first in run {
            pages.remove(*first)?;
            idx.remove(*first)?;
        }
        if records.is_empty() {
            pages_dropped += run.len() as u64;
            continue;
        }
        let mask = records
            .iter()
            .fold(0u64, |m, r| m | type_bit(r.body.type_name()));
        let clean = !records.iter().any(droppable);
        let (h, bytes) = page::encode_cold(&mut records, level, clean)?;
        pages.insert(h.first_seq, bytes.as_slice())?;
        idx.insert(h.first_seq, (h.last_seq, h.min_ts, h.max_ts, h.count, mask))?;
    }
    if dropped > 0 {
        let mut meta = txn.open_table(META)?;
        let n: u64 = crate::schema::get_meta(&meta, LOG_DROPPED_KEY)?.unwrap_or(0);
        crate::schema::put_meta(&mut meta, LOG_DROPPED_KEY, &(n + dropped))?;
    }
    Ok((dropped, pages_dropped))
}

fn worker_loop(weak: &Weak<Inner>, shared: &WorkerShared, cfg: &CompactorConfig) {
    loop {
        let deadline = Instant::now() + cfg.interval;
        {
            let Ok(mut stop) = shared.stop.lock() else {
                return;
            };
            loop {
                if *stop {
                    return;
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                stop = match shared.wake.wait_timeout(stop, left) {
                    Ok((s, _)) => s,
                    Err(_) => return,
                };
            }
        }
        let spine = {
            let Ok(mut busy) = shared.in_pass.lock() else {
                return;
            };
            let Some(inner) = weak.upgrade() else {
                return;
            };
            if shared.abort.load(Ordering::Acquire) {
                return; // the user's last handle is going away
            }
            *busy = true;
            Spine {
                inner,
                token: Arc::new(crate::db::HandleToken { worker: true }),
            }
        };
        // Stop early when the user's last handle goes: this thread must not keep the file open.
        let cancel = || shared.stopped();
        let result = spine.compact_pass(&cfg.options, false, &cancel);
        let poisoned = spine.is_poisoned();
        if let Ok(mut e) = shared.last_error.lock() {
            *e = result.err().map(|e| e.to_string());
        }
        drop(spine);
        if let Ok(mut busy) = shared.in_pass.lock() {
            *busy = false;
        }
        shared.pass_done.notify_all();
        if poisoned || shared.abort.load(Ordering::Acquire) {
            return;
        }
    }
}
