//! The vector arena: an append-only, memory-mapped store of fixed-stride vector slots.
//!
//! Four files in the database directory (byte layout in docs/design.md, "Vector arena"):
//! `arena.f32` (vectors), `arena.sign` (1-bit sign codes, the compact scan of large sets),
//! `arena.slots` (per-slot flags + crc32) and `arena.i8` (int8 codes with an error bound, the
//! scan of filtered sets; derived from `arena.f32` and regenerated from it when missing or
//! damaged). Slot `n` lives at `64 + n × stride` in each file.
//!
//! Slot 0 is a reserved empty slot written by [`Arena::create`], so a fresh arena has
//! `len() == 1` and slot numbers equal the engine's ids (which start at 1).
//!
//! # Commit protocol (driven by the engine)
//!
//! `push`/`push_many` (buffered) → [`Arena::sync`] (writes; fsync when durable) → redb commit
//! recording [`Arena::len`] → [`Arena::publish`] (new readers see the slots). If the redb commit
//! fails the engine calls [`Arena::truncate`] with the committed length. [`Arena::open`] takes
//! redb's committed slot count: a longer arena has an uncommitted tail from a crash, which is
//! cut; anything else wrong is [`Error::ArenaNeedsRebuild`], and the engine rebuilds with
//! `create` + `push_many`.

pub(crate) mod format;
mod mmap;
mod snapshot;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use roaring::RoaringBitmap;

pub use snapshot::Snapshot;

use crate::error::{Error, RebuildReason, Result};
use crate::kernels;
use format::{FileKind, Header, FLAG_PRESENT, HEADER_LEN, MAX_DIM, SLOT_RECORD_LEN};
use mmap::AppendFile;

/// Buffered writes are flushed to the files past this many bytes (bounds memory in bulk loads).
const FLUSH_BYTES: usize = 16 << 20;
/// Committed slots whose checksum `open` checks (the tail is where a crash does damage;
/// `verify` checks them all).
const OPEN_CHECK_SLOTS: u32 = 64;

/// The writer's handle on an arena. One per database; readers use [`Snapshot`]s.
#[derive(Debug)]
pub struct Arena {
    dir: PathBuf,
    dim: u32,
    /// `[vectors, codes, slots, int8]`, as [`FileKind::ALL`].
    files: [AppendFile; 4],
    /// Slots pushed (written or pending).
    len: u32,
    /// Slots written to the files; `[written, len)` sit in `pending`.
    written: u32,
    /// Slots written and sized on disk by the last `sync`.
    synced: u32,
    pending: [Vec<u8>; 4],
    /// Slots holding a vector, among all pushed.
    present: RoaringBitmap,
    published: Snapshot,
    poisoned: bool,
}

impl Arena {
    /// Creates a new empty arena (only the reserved slot 0) in `dir`, replacing any arena files
    /// there. The files are written under temporary names, synced and renamed, so snapshots
    /// of an old arena keep reading the old files.
    pub fn create(dir: &Path, dim: u32) -> Result<Arena> {
        if dim == 0 || dim > MAX_DIM {
            return Err(Error::InvalidOperation(format!(
                "dimension {dim} outside 1..={MAX_DIM}"
            )));
        }
        let header = Header {
            dim,
            arena_id: new_arena_id(),
        };
        for kind in FileKind::ALL {
            write_fresh_file(dir, kind, header)?;
        }
        sync_dir(dir)?;
        let mut arena = Arena::open_files(dir, dim)?;
        arena.push(None)?;
        arena.sync(true)?;
        arena.publish()?;
        Ok(arena)
    }

    /// Opens the arena in `dir` whose first `committed` slots redb has committed (values below
    /// 1 count as 1: slot 0 is written at creation). Cuts an uncommitted tail; returns
    /// [`Error::ArenaNeedsRebuild`] when a file is missing, short, has a bad header, another
    /// dimension or format, or when one of the last committed slots fails its checksum.
    pub fn open(dir: &Path, dim: u32, committed: u64) -> Result<Arena> {
        let committed = u32::try_from(committed.max(1))
            .map_err(|_| Error::InvalidOperation(format!("{committed} slots exceed u32")))?;
        ensure_int8(dir, dim, committed)?;
        let mut arena = Arena::open_files(dir, dim)?;
        arena.check_headers()?;
        arena.cut_to(committed)?;
        arena.len = committed;
        arena.written = committed;
        arena.synced = committed;
        for f in &mut arena.files {
            f.publish(f.len())?;
        }
        arena.present = arena.load_present()?;
        arena.published = arena.make_snapshot();
        arena.check_tail()?;
        Ok(arena)
    }

    /// Sets (or clears) a fault-injection hook on the arena's file I/O (tests and fuzzing only).
    #[doc(hidden)]
    pub fn set_io_hook(&mut self, hook: Option<crate::fault::Hook>) {
        for f in &mut self.files {
            f.set_hook(hook.clone());
        }
    }

    /// True after a failed sync: the handle refuses writes until the arena is opened again.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// The vector dimension.
    pub fn dim(&self) -> u32 {
        self.dim
    }

    /// The directory holding the arena files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Slots pushed so far (committed or not); the next push gets this slot number.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Always false: slot 0 exists from creation.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The snapshot new readers should use (slots up to the last `publish`).
    pub fn snapshot(&self) -> Snapshot {
        self.published.clone()
    }

    /// Appends one slot (`None`: an empty slot) and returns its number. The vector must have
    /// the arena's dimension, finite components, and be L2-normalised by the caller.
    pub fn push(&mut self, vector: Option<&[f32]>) -> Result<u32> {
        self.push_many(std::iter::once(vector))
    }

    /// Appends many slots (the bulk path used by rebuilds): encodes into large buffers and
    /// writes them in big chunks. Returns the first new slot number. On an invalid vector,
    /// the slots before it stay pushed and the error is returned.
    pub fn push_many<'a, I>(&mut self, vectors: I) -> Result<u32>
    where
        I: IntoIterator<Item = Option<&'a [f32]>>,
    {
        self.check_writable()?;
        let first = self.len;
        let mut code = vec![0u64; format::code_words(self.dim)];
        for v in vectors {
            if let Some(v) = v {
                self.validate(v)?;
            }
            self.encode_slot(v, &mut code)?;
            if self.pending.iter().map(Vec::len).sum::<usize>() >= FLUSH_BYTES {
                self.flush()?;
            }
        }
        Ok(first)
    }

    /// Writes pending slots and sizes the files to exactly `len()` slots; with `durable`,
    /// fsyncs them. Call before the redb commit that records `len()`. A failed write or fsync
    /// poisons the handle.
    pub fn sync(&mut self, durable: bool) -> Result<()> {
        self.check_writable()?;
        let res = self.sync_inner(durable);
        if res.is_err() {
            self.poisoned = true;
        }
        res
    }

    /// Makes every synced slot visible to snapshots taken from now on. Call after the redb
    /// commit succeeded.
    pub fn publish(&mut self) -> Result<()> {
        let n = u64::from(self.synced);
        for (kind, f) in FileKind::ALL.iter().zip(&mut self.files) {
            f.publish(HEADER_LEN + n * kind.stride(self.dim))?;
        }
        self.published = self.make_snapshot();
        Ok(())
    }

    /// Rolls back to `len` slots after a failed redb commit. Published slots cannot be cut.
    pub fn truncate(&mut self, len: u32) -> Result<()> {
        let published = self.published.len();
        if len < published || len > self.len {
            return Err(Error::InvalidOperation(format!(
                "truncate to {len} outside {published}..={}",
                self.len
            )));
        }
        if len >= self.written {
            let keep = u64::from(len - self.written);
            for (kind, buf) in FileKind::ALL.iter().zip(&mut self.pending) {
                buf.truncate((keep * kind.stride(self.dim)) as usize);
            }
        } else {
            self.pending.iter_mut().for_each(Vec::clear);
            self.cut_to(len)?;
            self.written = len;
        }
        self.present.remove_range(len..);
        self.len = len;
        self.synced = self.synced.min(len);
        Ok(())
    }

    /// Checks every published slot's crc32 (see [`Snapshot::verify`]).
    pub fn verify(&self) -> Result<()> {
        self.published.verify()
    }

    /// Drops slots pushed since the last `sync` (never committed) and cuts them from the
    /// files, so no uncommitted tail stays on disk. Dropping the arena does the same, ignoring
    /// errors.
    pub fn close(mut self) -> Result<()> {
        self.check_writable()?;
        self.truncate(self.synced)
    }

    fn open_files(dir: &Path, dim: u32) -> Result<Arena> {
        let open = |kind: FileKind| -> Result<AppendFile> {
            let path = dir.join(kind.file_name());
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => {
                        Error::rebuild(RebuildReason::Missing(path.clone()))
                    }
                    _ => Error::io(&path, e),
                })?;
            AppendFile::new(file, &path)
        };
        Ok(Arena {
            dir: dir.to_path_buf(),
            dim,
            files: [
                open(FileKind::Vectors)?,
                open(FileKind::Codes)?,
                open(FileKind::Slots)?,
                open(FileKind::Int8)?,
            ],
            len: 0,
            written: 0,
            synced: 0,
            pending: Default::default(),
            present: RoaringBitmap::new(),
            published: Snapshot::empty(dim),
            poisoned: false,
        })
    }

    fn check_headers(&self) -> Result<()> {
        let mut id = None;
        for (kind, f) in FileKind::ALL.iter().zip(&self.files) {
            let mut b = [0u8; HEADER_LEN as usize];
            if f.len() < HEADER_LEN {
                return Err(Error::rebuild(RebuildReason::BadHeader {
                    path: f.path().to_path_buf(),
                    detail: "file shorter than its header".into(),
                }));
            }
            f.read_at(&mut b, 0)?;
            let h = format::decode_header(*kind, &b, f.path(), self.dim)?;
            if *id.get_or_insert(h.arena_id) != h.arena_id {
                return Err(Error::rebuild(RebuildReason::MixedFiles));
            }
        }
        Ok(())
    }

    /// Sets every file to exactly `n` slots; a file holding fewer needs a rebuild.
    fn cut_to(&mut self, n: u32) -> Result<()> {
        for (kind, f) in FileKind::ALL.iter().zip(&mut self.files) {
            let want = HEADER_LEN + u64::from(n) * kind.stride(self.dim);
            if f.len() < want {
                return Err(Error::rebuild(RebuildReason::Short {
                    path: f.path().to_path_buf(),
                    committed: u64::from(n),
                    found: (f.len().saturating_sub(HEADER_LEN)) / kind.stride(self.dim),
                }));
            }
            if f.len() > want {
                f.set_len(want)?;
                f.sync()?;
            }
        }
        Ok(())
    }

    /// Reads the present flags of every published slot.
    fn load_present(&self) -> Result<RoaringBitmap> {
        let view = self.files[2].view();
        let records = view.bytes().get(HEADER_LEN as usize..).unwrap_or(&[]);
        let mut present = RoaringBitmap::new();
        for (slot, rec) in (0u32..).zip(records.chunks_exact(SLOT_RECORD_LEN as usize)) {
            let flags = format::le_u32(rec);
            if flags & !FLAG_PRESENT != 0 {
                return Err(Error::rebuild(RebuildReason::ChecksumMismatch { slot }));
            }
            if flags & FLAG_PRESENT != 0 {
                present.insert(slot);
            }
        }
        Ok(present)
    }

    fn check_tail(&self) -> Result<()> {
        let from = self.len.saturating_sub(OPEN_CHECK_SLOTS);
        match self.published.bad_slots(from..self.len, 1).first() {
            Some(&slot) => Err(Error::rebuild(RebuildReason::ChecksumMismatch { slot })),
            None => Ok(()),
        }
    }

    fn make_snapshot(&self) -> Snapshot {
        let mut present = self.present.clone();
        present.remove_range(self.synced..);
        Snapshot::new(
            self.dim,
            self.synced,
            [
                self.files[0].view(),
                self.files[1].view(),
                self.files[2].view(),
                self.files[3].view(),
            ],
            present,
        )
    }

    fn check_writable(&self) -> Result<()> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        Ok(())
    }

    fn validate(&self, v: &[f32]) -> Result<()> {
        if v.len() != self.dim as usize {
            return Err(Error::DimensionMismatch {
                expected: self.dim,
                got: u32::try_from(v.len()).unwrap_or(u32::MAX),
            });
        }
        if let Some(index) = v.iter().position(|x| !x.is_finite()) {
            return Err(Error::NonFiniteVector { index });
        }
        debug_assert!(
            (v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-2,
            "arena vectors must be L2-normalised"
        );
        Ok(())
    }

    /// Appends slot `self.len` to the pending buffers.
    fn encode_slot(&mut self, v: Option<&[f32]>, code: &mut [u64]) -> Result<()> {
        let slot = self.len;
        let next = slot
            .checked_add(1)
            .ok_or_else(|| Error::InvalidOperation("arena holds u32::MAX slots".into()))?;
        let [vecs, codes, slots, int8] = &mut self.pending;
        let (v0, c0) = (vecs.len(), codes.len());
        let vbytes = self.dim as usize * 4;
        match v {
            Some(v) => v
                .iter()
                .for_each(|x| vecs.extend_from_slice(&x.to_le_bytes())),
            None => vecs.resize(v0 + vbytes, 0),
        }
        kernels::sign_code(v.unwrap_or(&[]), code);
        code.iter()
            .for_each(|w| codes.extend_from_slice(&w.to_le_bytes()));
        let i0 = int8.len();
        int8.resize(i0 + format::int8_stride(self.dim), 0);
        format::int8_record(v, &mut int8[i0..]);
        let flags = if v.is_some() { FLAG_PRESENT } else { 0 };
        let crc = format::slot_crc(slot, flags, &vecs[v0..], &codes[c0..]);
        slots.extend_from_slice(&flags.to_le_bytes());
        slots.extend_from_slice(&crc.to_le_bytes());
        if v.is_some() {
            self.present.insert(slot);
        }
        self.len = next;
        Ok(())
    }

    /// Writes the pending buffers at the end of the written slots.
    fn flush(&mut self) -> Result<()> {
        let at = u64::from(self.written);
        for ((kind, f), buf) in FileKind::ALL
            .iter()
            .zip(&mut self.files)
            .zip(&mut self.pending)
        {
            if !buf.is_empty() {
                f.write_at(buf, HEADER_LEN + at * kind.stride(self.dim))?;
                buf.clear();
            }
        }
        self.written = self.len;
        Ok(())
    }

    fn sync_inner(&mut self, durable: bool) -> Result<()> {
        self.flush()?;
        let n = u64::from(self.len);
        for (kind, f) in FileKind::ALL.iter().zip(&mut self.files) {
            // Empty slots are never written: sizing the file leaves them as sparse holes.
            f.set_len(HEADER_LEN + n * kind.stride(self.dim))?;
            if durable {
                f.sync()?;
            }
        }
        self.synced = self.len;
        Ok(())
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // Best effort: slots not synced were never committed (the engine syncs before every
        // commit), so cut them rather than leave a tail for the next open to trim.
        if !self.poisoned && (self.len != self.synced || self.written != self.synced) {
            let _ = self.truncate(self.synced);
        }
    }
}

fn write_fresh_file(dir: &Path, kind: FileKind, header: Header) -> Result<()> {
    let path = dir.join(kind.file_name());
    let tmp = dir.join(format!("{}.tmp", kind.file_name()));
    // A leftover from a crashed create keeps its old mode through a truncate: start afresh.
    let _ = std::fs::remove_file(&tmp);
    let mut o = OpenOptions::new();
    o.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        // Vectors are derived from private memories: owner-only, like the database file.
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let file = o.open(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut f = AppendFile::new(file, &tmp)?;
    f.write_at(&format::encode_header(kind, header), 0)?;
    f.sync()?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
}

/// Makes sure `arena.i8` matches `arena.f32` for the first `committed` slots: when it is missing,
/// has a bad header, belongs to another arena or is short, it is regenerated from the vectors
/// (written under a temporary name and renamed, like a fresh file). Problems of the primary
/// files are left for `open` to report.
fn ensure_int8(dir: &Path, dim: u32, committed: u32) -> Result<()> {
    let read_header = |kind: FileKind| -> Option<(Header, u64)> {
        let path = dir.join(kind.file_name());
        let file = File::open(&path).ok()?;
        let len = file.metadata().ok()?.len();
        let mut b = [0u8; HEADER_LEN as usize];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut b, 0).ok()?;
        let h = format::decode_header(kind, &b, &path, dim).ok()?;
        Some((h, len))
    };
    let Some((vh, vlen)) = read_header(FileKind::Vectors) else {
        return Ok(());
    };
    let want = |kind: FileKind| HEADER_LEN + u64::from(committed) * kind.stride(dim);
    if vlen < want(FileKind::Vectors) {
        return Ok(());
    }
    if let Some((ih, ilen)) = read_header(FileKind::Int8) {
        if ih.arena_id == vh.arena_id && ilen >= want(FileKind::Int8) {
            return Ok(());
        }
    }
    regenerate_int8(dir, dim, committed, vh)
}

/// Writes `arena.i8` for slots `0..committed` from `arena.f32` (present flags from
/// `arena.slots`; a slot the slot file does not mark present gets an empty record).
fn regenerate_int8(dir: &Path, dim: u32, committed: u32, header: Header) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let vpath = dir.join(FileKind::Vectors.file_name());
    let spath = dir.join(FileKind::Slots.file_name());
    let vfile = File::open(&vpath).map_err(|e| Error::io(&vpath, e))?;
    let sfile = File::open(&spath).map_err(|e| Error::io(&spath, e))?;
    let tmp_name = format!("{}.regen", FileKind::Int8.file_name());
    let tmp = dir.join(&tmp_name);
    let _ = std::fs::remove_file(&tmp);
    let mut o = OpenOptions::new();
    o.read(true).write(true).create_new(true);
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let file = o.open(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut out = AppendFile::new(file, &tmp)?;
    out.write_at(&format::encode_header(FileKind::Int8, header), 0)?;
    let vstride = FileKind::Vectors.stride(dim) as usize;
    let istride = format::int8_stride(dim);
    const CHUNK: u32 = 4096;
    let mut vbuf = vec![0u8; vstride * CHUNK as usize];
    let mut sbuf = vec![0u8; SLOT_RECORD_LEN as usize * CHUNK as usize];
    let mut obuf = vec![0u8; istride * CHUNK as usize];
    let mut v = vec![0f32; dim as usize];
    let mut first = 0u32;
    while first < committed {
        let n = (committed - first).min(CHUNK) as usize;
        let vb = &mut vbuf[..n * vstride];
        let sb = &mut sbuf[..n * SLOT_RECORD_LEN as usize];
        vfile
            .read_exact_at(vb, HEADER_LEN + u64::from(first) * vstride as u64)
            .map_err(|e| Error::io(&vpath, e))?;
        sfile
            .read_exact_at(sb, HEADER_LEN + u64::from(first) * SLOT_RECORD_LEN)
            .map_err(|e| Error::io(&spath, e))?;
        let ob = &mut obuf[..n * istride];
        for ((rec, bytes), out) in sb
            .chunks_exact(SLOT_RECORD_LEN as usize)
            .zip(vb.chunks_exact(vstride))
            .zip(ob.chunks_exact_mut(istride))
        {
            let present = format::le_u32(rec) & FLAG_PRESENT != 0;
            for (x, b) in v.iter_mut().zip(bytes.chunks_exact(4)) {
                *x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
            format::int8_record(present.then_some(&v[..]), out);
        }
        out.write_at(ob, HEADER_LEN + u64::from(first) * istride as u64)?;
        first += n as u32;
    }
    out.sync()?;
    drop(out);
    let path = dir.join(FileKind::Int8.file_name());
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// A random-enough id tying the four files of one arena together (time and process id; not
/// a secret, only has to differ between an arena and its rebuild).
fn new_arena_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9E37_79B9_7F4A_7C15;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^ (z >> 27)
}

/// Fuzzing entry point (doc-hidden): decodes `bytes` as the arena's on-disk state and reads
/// it the way the engine does. Layout of `bytes`: `u8 dim (1..=64 after mod)`, `u8 committed`,
/// `u16 len(arena.f32)`, `u16 len(arena.sign)`, then the three primary files' bytes in order
/// (the slot file takes the rest; `arena.i8` is regenerated from them). The files are written to `dir`, then [`Arena::open`], a full
/// [`Arena::verify`], `vector` of every slot and an exact and a quantized search run. Returns
/// the number of slots opened; every failure is an `Err`, never a panic.
#[doc(hidden)]
pub fn decode_files_for_fuzz(dir: &Path, bytes: &[u8]) -> Result<u32> {
    let bad = || Error::InvalidOperation("input too short".into());
    let (head, rest) = bytes.split_at_checked(6).ok_or_else(bad)?;
    let dim = u32::from(head[0] % 64) + 1;
    let committed = u64::from(head[1]);
    let l0 = usize::from(u16::from_le_bytes([head[2], head[3]])).min(rest.len());
    let (f0, rest) = rest.split_at(l0);
    let l1 = usize::from(u16::from_le_bytes([head[4], head[5]])).min(rest.len());
    let (f1, f2) = rest.split_at(l1);
    // The derived int8 file is regenerated by `open`; a stale one from an earlier input would
    // make the outcome depend on input order.
    let _ = std::fs::remove_file(dir.join(FileKind::Int8.file_name()));
    for (kind, data) in FileKind::ALL.iter().zip([f0, f1, f2]) {
        let path = dir.join(kind.file_name());
        std::fs::write(&path, data).map_err(|e| Error::io(&path, e))?;
    }
    let arena = Arena::open(dir, dim, committed)?;
    arena.verify()?;
    let snap = arena.snapshot();
    for slot in 0..snap.len() {
        let _ = snap.vector(slot);
    }
    let mut q = vec![0.0f32; dim as usize];
    q[0] = 1.0;
    let all = snap.present().clone();
    snap.search(&q, 5, &all, &crate::vector::SearchOptions::exact())?;
    snap.search(&q, 5, &all, &crate::vector::SearchOptions::default())?;
    Ok(snap.len())
}

/// Fuzzing entry point (doc-hidden): decodes the first 64 bytes as a header of each of the
/// four arena files (taking the dimension it claims as the expected one).
#[doc(hidden)]
pub fn decode_header_for_fuzz(bytes: &[u8]) -> Result<u32> {
    let b: &[u8; HEADER_LEN as usize] = bytes
        .get(..HEADER_LEN as usize)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::InvalidOperation("shorter than a header".into()))?;
    let dim = format::le_u32(&b[12..16]);
    let mut last = Err(Error::InvalidOperation("no kind".into()));
    for kind in FileKind::ALL {
        last = format::decode_header(kind, b, Path::new("fuzz"), dim).map(|h| h.dim);
        if last.is_ok() {
            break;
        }
    }
    last
}
