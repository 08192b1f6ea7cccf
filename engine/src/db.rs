//! The database handle: open/create, the single-writer transaction plumbing, and recovery.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use redb::{ReadTransaction, ReadableDatabase, TableHandle, WriteTransaction};

use crate::clock::{Clock, Micros, SystemClock};
use crate::error::{Error, Result};
use crate::memory::Limits;
use crate::schema::{self, key, Counters, Settings, FORMAT_VERSION, META};

/// Name of the redb file inside the database directory.
pub const DATA_FILE: &str = "data.redb";

/// Prefix of the temporary file a new database is built in before it is linked as `data.redb`.
const CREATING_PREFIX: &str = "data.redb.creating-";

/// How hard a commit works to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// fsync before a write call returns: an acknowledged write survives a crash or power loss.
    #[default]
    Immediate,
    /// No fsync: survives a process crash of *later* durable commits only; for bulk loads and tests.
    None,
}

/// Options for [`Spine::open`].
#[derive(Clone)]
pub struct Options {
    /// Create the database if it does not exist (default true).
    pub create: bool,
    /// Vector dimension for a new database when no embedder gives one (0: no vectors).
    pub dimension: Option<usize>,
    /// Commit durability (default Immediate).
    pub durability: Durability,
    /// Time source (default the system clock).
    pub clock: Arc<dyn Clock>,
    /// Input size limits.
    pub limits: Limits,
    /// redb page cache in bytes (default 1 GiB, redb's own default; filled only as pages are read).
    pub cache_bytes: usize,
    /// Memory for scope copies (default 256 MiB; 0 turns them off): the int8 records and sign
    /// codes of the scopes being searched (a user's, session's or agent's memories with at
    /// least 2 048 vectors), copied side by side so that a scoped search streams them instead of reading
    /// one record per page of the arena. Built in the background once a scoped search asks, least
    /// recently used dropped first (when full, a new copy is built only for a scope searched
    /// more than twice as often as the copies it would evict were used), never on disk (docs/design.md,
    /// "Scope copies"; `Stats::scope_copy_builds`).
    pub scope_copy_bytes: usize,
    /// Memory for lexical scope copies (default 64 MiB; 0 turns them off): the lexical postings
    /// of the scopes being searched (a user's, session's or agent's memories, 1 024 to 200 000
    /// of them), so that a scoped lexical search (also inside hybrid search and the context
    /// window) scores the scope's own postings. Built in the background from the memories'
    /// texts once a scoped search asks, least recently used dropped first (admitted by
    /// frequency when full, as scope copies are), never on disk (docs/design.md, "Lexical scope
    /// copies"; `Stats::lexical_copy_builds`).
    pub lexical_copy_bytes: usize,
    /// Memory for the graph copy (default 256 MiB; 0 turns it off): every entity's record and
    /// adjacency lists in memory, so that neighbourhoods, paths and edge lists walk arrays
    /// instead of B-trees (~120 bytes per edge, ~100 per entity). Built in the background by
    /// the first graph read, kept current by the reads that follow, used only when it holds
    /// the reading snapshot's version; a graph over the budget is read from disk
    /// (docs/design.md, "Graph copy").
    pub graph_copy_bytes: usize,
    /// Memory for the record cache (default 64 MiB; 0 turns it off): memory records and their
    /// access counts as stored, so that reading a memory read recently (a user's pinned
    /// memories, which every context window of that user reads) is one hash lookup instead of
    /// two B-tree walks. Exact: writes update it as they commit (docs/design.md, "Record
    /// cache").
    pub record_cache_bytes: usize,
    /// Distinct memories with pending access counts that start a background write of the
    /// counts (default [`crate::ACCESS_FLUSH_AT`], 131 072: ~6 MiB of buffer, twice that
    /// while a written batch is kept for older snapshots; 0: never in the background, only
    /// with the next write, `flush_access` or closing). Counts are held in memory and merged
    /// into reads until written; the background write does not wait for the disk, so a crash
    /// loses the counts no durable commit has carried yet (never memories). Smaller means more
    /// write work per counted read: at 1M memories every flush rewrites most of the `access`
    /// table's pages whatever its size. The background flush holds the writer while it writes:
    /// a store arriving then waits for it (at 1M memories on 2 cores, 131 072 ids took 220-400
    /// ms, of which ~210 ms of CPU; 32 768 about a quarter of that).
    pub access_flush_at: usize,
    /// Default duplicate handling of stores (default `Off`).
    pub dedup: crate::memory::Dedup,
    /// The embedder (default: the built-in one for new databases without `dimension`).
    pub embedder: crate::embedding::EmbedderChoice,
    /// Fault injection on the database file and the arena (tests and fuzzing only).
    #[doc(hidden)]
    pub faults: Option<crate::fault::Faults>,
    /// Start a background compactor with the handle (default none; see
    /// [`Spine::start_compactor`]).
    pub compactor: Option<crate::compact::CompactorConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            create: true,
            dimension: None,
            durability: Durability::Immediate,
            clock: Arc::new(SystemClock),
            limits: Limits::default(),
            cache_bytes: 1024 * 1024 * 1024,
            scope_copy_bytes: 256 * 1024 * 1024,
            lexical_copy_bytes: 64 * 1024 * 1024,
            graph_copy_bytes: 256 * 1024 * 1024,
            record_cache_bytes: 64 * 1024 * 1024,
            access_flush_at: crate::access::FLUSH_AT,
            dedup: crate::memory::Dedup::Off,
            embedder: crate::embedding::EmbedderChoice::Default,
            faults: None,
            compactor: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("create", &self.create)
            .field("dimension", &self.dimension)
            .field("durability", &self.durability)
            .field("embedder", &self.embedder)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    /// The graph copy (`graph_copy.rs`). Before the database: its background job holds a read
    /// transaction and is stopped on drop.
    pub graph_copies: crate::graph_copy::GraphCopies,
    /// Lexical scope copies (`lexical_copy.rs`). First, so that its builder thread is stopped
    /// before the database it reads is dropped.
    pub lexical_copies: crate::lexical_copy::LexicalCopies,
    pub db: redb::Database,
    pub path: PathBuf,
    pub opts: Options,
    pub settings: Settings,
    /// The single writer. Readers never take it.
    pub writer: Mutex<WriterState>,
    /// Access counts waiting to be written.
    pub access: crate::access::AccessBuffer,
    /// Decoded log pages and tail records.
    pub log_cache: crate::log::cache::DecodedCache,
    /// The vector arena (databases with a dimension).
    pub vectors: Option<crate::vectors::Vectors>,
    /// The embedder (when the database has one).
    pub embedder: Embedder,
    /// The background compactor, when one runs.
    pub compactor: Mutex<Option<crate::compact::Worker>>,
    /// Commit generation: which committed state a snapshot reads (`bitmap_cache.rs`).
    pub generation: crate::bitmap_cache::Generation,
    /// Decoded database-wide bitmaps of the newest generation read.
    pub bitmap_cache: crate::bitmap_cache::BitmapCache,
    /// Memory records as stored, of the newest generation (`record_cache.rs`).
    pub records: crate::record_cache::RecordCache,
    /// The background flush of access counts (`access.rs`).
    pub flusher: Arc<crate::access::Flusher>,
}

impl Inner {
    /// Writes pending access counts in their own transaction, outside the writer lock: only
    /// for the last handle (drop, `reclaim_space`), when nothing else can write. Two commits
    /// must never overlap (`record_cache.rs` reopens the cache after redb's commit returns).
    pub(crate) fn flush_access(&self) -> Result<()> {
        let txn = self.db.begin_write()?;
        self.records.forget_staged();
        self.access.drain_into(&txn, &self.records)?;
        self.commit(txn)?;
        Ok(())
    }

    /// Commits `txn` under the commit generation (`bitmap_cache.rs`), applying the changes it
    /// noted to the record cache. Only the holder of the write transaction calls this.
    pub(crate) fn commit(
        &self,
        txn: redb::WriteTransaction,
    ) -> std::result::Result<(), redb::CommitError> {
        let next = self.generation.current() + 2;
        self.access.committing(next);
        // A failed commit un-stamps the batch before the generation moves on, so no snapshot of
        // the new generation skips counts that no table holds.
        self.records.committing(next, || {
            self.generation.committing(|| {
                let out = txn.commit();
                if out.is_err() {
                    self.access.commit_failed(next);
                }
                out
            })
        })
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(w) = self.compactor.get_mut().ok().and_then(Option::take) {
            w.stop();
        }
        // A failed write poisoned the handle: it refuses every write until reopened.
        if self.writer.lock().map_or(true, |w| w.poisoned.is_some()) {
            return;
        }
        // Best effort: write pending access counts when the last handle goes away.
        let _ = self.flush_access();
    }
}

/// State owned by whoever holds the writer lock.
pub(crate) struct WriterState {
    /// Set after a failed commit: the handle refuses writes until reopened.
    pub poisoned: Option<String>,
}

/// An open memspine database. Cheap to clone and share across threads (`Send + Sync`).
#[derive(Clone)]
pub struct Spine {
    pub(crate) inner: Arc<Inner>,
    /// Shared by the clones of one opening (the background compactor's passes have their own):
    /// when the last clone of the user's goes, a running compactor pass is told to let go.
    pub(crate) token: Arc<HandleToken>,
}

/// Who a [`Spine`] clone belongs to.
pub(crate) struct HandleToken {
    pub worker: bool,
}

impl std::fmt::Debug for Spine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spine")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Spine {
    /// Opens (or creates, with `opts.create`) the database directory at `path`.
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Spine> {
        let path = path.as_ref().to_path_buf();
        opts.dedup.check()?;
        let file = prepare_dir(&path, opts.create)?;
        if !file.exists() && opts.faults.is_none() {
            create_atomically(&path, &file, &opts)?;
        }
        // redb asserts on some structural corruption instead of returning an error (debug builds,
        // and one `unreachable!` in release): a corrupt file must still be a typed error here.
        let (db, settings, embedder) = catch_corruption("opening the database", || {
            let db = open_redb(&path, &file, &opts, false)?;
            let (settings, embedder) = init_or_check(&db, &path, &opts)?;
            Ok((db, settings, embedder))
        })?;
        restrict_permissions(&file);
        let vectors = open_vectors(&db, &path, &settings, opts.scope_copy_bytes)?;
        if let (Some(v), Some(f)) = (&vectors, &opts.faults) {
            if let Ok(mut a) = v.arena.lock() {
                a.set_io_hook(Some(f.arena_hook()));
            }
        }
        let compactor = opts.compactor.clone();
        let record_cache_bytes = opts.record_cache_bytes;
        let spine = Spine {
            token: Arc::new(HandleToken { worker: false }),
            inner: Arc::new(Inner {
                graph_copies: crate::graph_copy::GraphCopies::new(opts.graph_copy_bytes),
                lexical_copies: crate::lexical_copy::LexicalCopies::new(opts.lexical_copy_bytes),
                db,
                path,
                settings,
                opts,
                writer: Mutex::new(WriterState { poisoned: None }),
                access: Default::default(),
                log_cache: Default::default(),
                vectors,
                embedder,
                compactor: Mutex::new(None),
                generation: Default::default(),
                bitmap_cache: Default::default(),
                records: crate::record_cache::RecordCache::new(record_cache_bytes, 0),
                flusher: Default::default(),
            }),
        };
        if let Some(cfg) = compactor {
            spine.start_compactor(cfg)?;
        }
        Ok(spine)
    }

    /// Opens with default options.
    pub fn open_default(path: impl AsRef<Path>) -> Result<Spine> {
        Spine::open(path, Options::default())
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The vector dimension (0 when the database stores no vectors).
    pub fn dimension(&self) -> usize {
        self.inner.settings.dimension as usize
    }

    /// The identity of the embedding model, if the database embeds text itself.
    pub fn model_id(&self) -> Option<&str> {
        self.inner.embedder.as_ref().map(|e| e.model_id())
    }

    /// The clock's current time.
    pub fn now(&self) -> Micros {
        self.inner.opts.clock.now()
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.opts.limits
    }

    pub(crate) fn read_txn(&self) -> Result<ReadTransaction> {
        Ok(self.inner.db.begin_read()?)
    }

    /// Runs `f` in one write transaction under the writer lock and commits it.
    /// A failed commit poisons the handle.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&WriteTransaction, &mut Counters, Micros) -> Result<T>,
    ) -> Result<T> {
        self.write_with(self.inner.opts.durability, f)
    }

    /// [`Spine::write`] with the given durability (the background flush of access counts,
    /// which a crash may lose, commits without waiting for the disk).
    pub(crate) fn write_with<T>(
        &self,
        durability: Durability,
        f: impl FnOnce(&WriteTransaction, &mut Counters, Micros) -> Result<T>,
    ) -> Result<T> {
        let mut w = self.lock_writer()?;
        let mut txn = self.inner.db.begin_write()?;
        // What an earlier write noted and then abandoned (`record_cache.rs`).
        self.inner.records.forget_staged();
        txn.set_durability(match durability {
            Durability::Immediate => redb::Durability::Immediate,
            Durability::None => redb::Durability::None,
        })?;
        let mut counters = {
            let meta = txn.open_table(META)?;
            schema::get_meta::<Counters>(&meta, key::COUNTERS)?.unwrap_or_default()
        };
        let now = self.now();
        let arena_len = self.arena_len()?;
        let result = (|| {
            let out = f(&txn, &mut counters, now)?;
            self.inner.access.drain_into(&txn, &self.inner.records)?;
            if let Err(e) = self.sync_arena(&mut counters) {
                // The arena's files are in an unknown state (fjall's rule: no write after a
                // failed write or fsync until the database is reopened).
                w.poisoned = Some(e.to_string());
                return Err(e);
            }
            let mut meta = txn.open_table(META)?;
            schema::put_meta(&mut meta, key::COUNTERS, &counters)?;
            Ok(out)
        })();
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                drop(txn);
                // An I/O failure inside the transaction (redb spilling pages, the arena): the
                // files' state is unknown, so the handle refuses writes until reopened.
                if e.is_storage_failure() && w.poisoned.is_none() {
                    w.poisoned = Some(e.to_string());
                }
                self.rollback_arena(arena_len, &mut w);
                self.finish_staged(false, &mut w);
                self.inner.lexical_copies.publish(None);
                self.inner.records.forget_staged();
                return Err(e);
            }
        };
        // Documents re-indexed with another text, under the generation this commit makes
        // visible (the writer holds the only write transaction: the generation is even and
        // stays so until `committing`).
        let next = self.inner.generation.current() + 2;
        self.inner.lexical_copies.publish(Some(next));
        if let Err(e) = self.inner.commit(txn) {
            let e = Error::from(e);
            w.poisoned = Some(e.to_string());
            self.rollback_arena(arena_len, &mut w);
            self.finish_staged(false, &mut w);
            return Err(e);
        }
        self.publish_arena(&mut w);
        self.finish_staged(true, &mut w);
        Ok(out)
    }

    /// Applies the write's staged slot overrides after its commit (once the arena published the
    /// new slots), or drops them after a failure.
    fn finish_staged(&self, committed: bool, w: &mut WriterState) {
        if let Some(v) = &self.inner.vectors {
            if v.finish_staged(committed).is_err() {
                w.poisoned = Some("the vector slot overrides could not be updated".into());
            }
        }
    }

    fn arena_len(&self) -> Result<Option<u32>> {
        match &self.inner.vectors {
            None => Ok(None),
            Some(v) => Ok(Some(
                v.arena
                    .lock()
                    .map_err(|_| Error::Index("arena lock poisoned".into()))?
                    .len(),
            )),
        }
    }

    /// Step 4 of the commit protocol: the arena reaches the disk before redb records its length.
    fn sync_arena(&self, c: &mut Counters) -> Result<()> {
        let Some(v) = &self.inner.vectors else {
            return Ok(());
        };
        let mut a = v
            .arena
            .lock()
            .map_err(|_| Error::Index("arena lock poisoned".into()))?;
        a.sync(self.inner.opts.durability == Durability::Immediate)
            .map_err(|e| Error::Index(e.to_string()))?;
        c.arena_slots = u64::from(a.len());
        Ok(())
    }

    fn rollback_arena(&self, len: Option<u32>, w: &mut WriterState) {
        let (Some(v), Some(len)) = (&self.inner.vectors, len) else {
            return;
        };
        let ok = v
            .arena
            .lock()
            .map(|mut a| a.truncate(len).is_ok())
            .unwrap_or(false);
        if !ok {
            w.poisoned = Some("the vector arena could not be rolled back".into());
        }
    }

    fn publish_arena(&self, w: &mut WriterState) {
        let Some(v) = &self.inner.vectors else {
            return;
        };
        let snap = v.arena.lock().ok().and_then(|mut a| {
            a.publish().ok()?;
            Some(a.snapshot())
        });
        match (snap, v.published.write()) {
            (Some(s), Ok(mut p)) => *p = s,
            _ => w.poisoned = Some("the vector arena could not be published".into()),
        }
    }

    pub(crate) fn writer_busy(&self) -> bool {
        matches!(
            self.inner.writer.try_lock(),
            Err(std::sync::TryLockError::WouldBlock)
        )
    }

    fn lock_writer(&self) -> Result<MutexGuard<'_, WriterState>> {
        let w = self
            .inner
            .writer
            .lock()
            .map_err(|_| Error::Poisoned("a writer panicked".into()))?;
        if let Some(why) = &w.poisoned {
            return Err(Error::Poisoned(why.clone()));
        }
        Ok(w)
    }

    /// Whether an earlier failed write poisoned this handle.
    pub fn is_poisoned(&self) -> bool {
        self.inner
            .writer
            .lock()
            .map(|w| w.poisoned.is_some())
            .unwrap_or(true)
    }
}

/// Runs `f`, turning a panic inside redb (its reaction to some corrupt pages) into `Error::Corrupt`.
pub(crate) fn catch_corruption<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        Err(Error::corrupt(
            "database file",
            format!("{what}: redb failed on a corrupt page ({msg})"),
        ))
    })
}

fn open_vectors(
    db: &redb::Database,
    dir: &Path,
    settings: &Settings,
    scope_copy_bytes: usize,
) -> Result<Option<crate::vectors::Vectors>> {
    if settings.dimension == 0 {
        return Ok(None);
    }
    let counters = {
        let txn = db.begin_read()?;
        let meta = txn.open_table(META)?;
        schema::get_meta::<Counters>(&meta, key::COUNTERS)?.unwrap_or_default()
    };
    let v = crate::vectors::Vectors::open(db, dir, settings.dimension, counters.arena_slots)?;
    Ok(Some(v.with_scope_copies(scope_copy_bytes)))
}

fn prepare_dir(path: &Path, create: bool) -> Result<PathBuf> {
    let not_db = |reason: &str| Error::NotADatabase {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    match std::fs::metadata(path) {
        Ok(m) if !m.is_dir() => return Err(not_db("it is a file; a database is a directory")),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Err(Error::NotFound {
                    path: path.to_path_buf(),
                });
            }
            create_private_dir(path)?;
        }
        Err(e) => return Err(e.into()),
    }
    let file = path.join(DATA_FILE);
    if !file.exists() {
        if !create {
            return Err(Error::NotFound {
                path: path.to_path_buf(),
            });
        }
        remove_stale_creations(path)?;
        let non_empty = std::fs::read_dir(path)?.next().is_some();
        if non_empty {
            return Err(not_db("the directory is not empty and holds no data.redb"));
        }
    }
    Ok(file)
}

#[cfg(unix)]
fn create_private_dir(path: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)?;
    Ok(())
}

#[cfg(not(unix))]
fn create_private_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path)?;
    Ok(())
}

/// Builds a new database under a temporary name and links it into place as `data.redb`, so a
/// crash during creation leaves either no `data.redb` or a complete, initialised one — never a
/// half-written header that would make the directory unopenable. The link is atomic and never
/// replaces an existing file: of two processes creating the same database at once, one wins
/// and the other opens the winner's (and gets `Locked` while the winner holds it).
fn create_atomically(dir: &Path, file: &Path, opts: &Options) -> Result<()> {
    let tmp = dir.join(format!(
        "{CREATING_PREFIX}{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    create_private_file(&tmp)?;
    let built = catch_corruption("creating the database", || {
        let db = open_redb(dir, &tmp, opts, true)?;
        init_or_check(&db, dir, opts)?;
        Ok(())
    });
    let linked = built.and_then(|()| match std::fs::hard_link(&tmp, file) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: rename (which replaces; the race is then unguarded).
        Err(_) if !file.exists() => std::fs::rename(&tmp, file).map_err(Error::from),
        Err(e) => Err(e.into()),
    });
    let removed = std::fs::remove_file(&tmp);
    linked?;
    match removed {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => sync_dir(dir),
    }
}

/// Removes temporary files of creations that crashed (only called when `data.redb` is absent).
fn remove_stale_creations(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(CREATING_PREFIX)
        {
            match std::fs::remove_file(entry.path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Creates an empty file readable and writable by its owner only.
fn create_private_file(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?;
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Database files are readable by their owner only: memories are private data.
fn restrict_permissions(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600));
    }
}

/// Opens `file`, or with `create` initialises it (it may exist empty).
fn open_redb(dir: &Path, file: &Path, opts: &Options, create: bool) -> Result<redb::Database> {
    let mut b = redb::Database::builder();
    b.set_cache_size(opts.cache_bytes);
    if let Some(f) = &opts.faults {
        let backend = crate::fault::FaultyBackend::open(file, f.clone())?;
        return b
            .create_with_backend(backend)
            .map_err(|e| map_open_error(dir, e));
    }
    let r = if create { b.create(file) } else { b.open(file) };
    r.map_err(|e| map_open_error(dir, e))
}

fn map_open_error(dir: &Path, e: redb::DatabaseError) -> Error {
    let path = dir.to_path_buf();
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            Error::Locked { path }
        }
        redb::DatabaseError::UpgradeRequired(v) => Error::UnsupportedFormat {
            found: u32::from(v),
            supported: FORMAT_VERSION,
        },
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::InvalidData =>
        {
            Error::NotADatabase {
                path,
                reason: io.to_string(),
            }
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            Error::corrupt("database file", format!("truncated: {io}"))
        }
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(msg)) => Error::NotADatabase {
            path,
            reason: format!("redb rejected the file: {msg}"),
        },
        redb::DatabaseError::Storage(s) => Error::from(s),
        other => Error::Storage(other.to_string()),
    }
}

type Embedder = Option<Arc<dyn memspine_index::embed::Embedder>>;

fn init_or_check(db: &redb::Database, path: &Path, opts: &Options) -> Result<(Settings, Embedder)> {
    let txn = db.begin_write()?;
    let mut embedder = None;
    let settings = {
        let mut meta = txn.open_table(META)?;
        match schema::get_meta::<u32>(&meta, key::FORMAT)? {
            Some(v) if v > FORMAT_VERSION => {
                return Err(Error::UnsupportedFormat {
                    found: v,
                    supported: FORMAT_VERSION,
                })
            }
            Some(_) => schema::get_meta::<Settings>(&meta, key::SETTINGS)?
                .ok_or_else(|| Error::corrupt("meta", "settings missing"))?,
            None => {
                if !opts.create || has_tables(&txn)? {
                    return Err(Error::NotADatabase {
                        path: path.to_path_buf(),
                        reason: "no memspine format marker".into(),
                    });
                }
                let (e, dimension, model_id) =
                    crate::embedding::for_new(&opts.embedder, opts.dimension)?;
                embedder = e;
                let s = Settings {
                    dimension,
                    model_id,
                    created_at: opts.clock.now(),
                };
                schema::put_meta(&mut meta, key::FORMAT, &FORMAT_VERSION)?;
                schema::put_meta(&mut meta, key::SETTINGS, &s)?;
                let c = Counters {
                    next_num: 1,
                    next_seq: 1,
                    ..Default::default()
                };
                schema::put_meta(&mut meta, key::COUNTERS, &c)?;
                schema::put_meta(&mut meta, key::TIME_BUCKETS, &true)?;
                s
            }
        }
    };
    schema::create_tables(&txn)?;
    add_time_buckets(&txn)?;
    if embedder.is_none() {
        embedder = crate::embedding::for_existing(&opts.embedder, &settings)?;
    }
    if let Some(d) = opts.dimension {
        if settings.dimension as usize != d {
            return Err(Error::DimensionMismatch {
                expected: settings.dimension as usize,
                got: d,
            });
        }
    }
    txn.commit()?;
    Ok((settings, embedder))
}

/// Migration of a database made before the creation-time bucket bitmaps: adds every record to
/// its day and hour bitmaps, in the open's transaction (so all or nothing), once.
fn add_time_buckets(txn: &WriteTransaction) -> Result<()> {
    use redb::ReadableTable;
    let mut meta = txn.open_table(META)?;
    if schema::get_meta::<bool>(&meta, key::TIME_BUCKETS)?.is_some() {
        return Ok(());
    }
    let mut delta = crate::bitmaps::BitmapDelta::default();
    {
        let memories = txn.open_table(schema::MEMORIES)?;
        for e in memories.iter()? {
            let (k, v) = e?;
            let id = k.value();
            // A damaged record stays for `verify` to report and `repair` to rebuild (with its
            // bitmaps) from the log; it must not make the database unopenable.
            let Ok(m) = crate::memory::record::decode(id, v.value()) else {
                continue;
            };
            for l in crate::bitmaps::time_labels(m.created_at) {
                delta.add(&l, id);
            }
        }
    }
    delta.apply(&mut txn.open_table(schema::BITMAPS)?)?;
    schema::put_meta(&mut meta, key::TIME_BUCKETS, &true)?;
    Ok(())
}

fn has_tables(txn: &WriteTransaction) -> Result<bool> {
    Ok(txn.list_tables()?.any(|t| t.name() != "meta"))
}
