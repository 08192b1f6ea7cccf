//! Append-only files read through shared memory maps. **All `unsafe` of the arena lives here.**
//!
//! # Contract (why mapped bytes never change under a reader)
//!
//! An [`AppendFile`] tracks a *published* byte length `P`. Readers only ever see bytes through a
//! [`View`], and a view covers `[0, P)` for the `P` at the time it was made. The module
//! upholds, with safe methods only:
//!
//! 1. **Writes land at or beyond `P`** ([`AppendFile::write_at`] refuses anything below);
//! 2. **truncation never cuts below `P`** ([`AppendFile::set_len`] refuses) — only an
//!    uncommitted tail no view covers is ever cut;
//! 3. **`P` only grows** ([`AppendFile::publish`] refuses to shrink), and it is raised only to
//!    bytes already written, so `P ≤ file length` at all times.
//!
//! So the bytes any view exposes were written before the view existed and are never written
//! or cut while the process runs. A rebuild writes *new* files and renames them over the old
//! ones: existing maps keep the old inodes alive and unchanged. Other processes are kept out by
//! the engine's exclusive redb lock on the database directory; a foreign process editing our
//! files by hand is outside the contract (as for every memory map).
//!
//! The map reserves more address space than the file holds (a read-only shared mapping may
//! extend past end of file), so growing the file rarely needs a new map: new bytes appear in
//! the existing mapping through the page cache. A new map is made when `P` outgrows the
//! reservation (doubling), and old views keep their own `Arc` of the old map.
//!
//! On-disk integers are little-endian; the typed views reinterpret bytes in place, so this
//! module refuses to build on big-endian targets.

#[cfg(target_endian = "big")]
compile_error!("the vector arena reinterprets little-endian bytes in place");

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::{MmapOptions, MmapRaw};

use crate::error::{Error, Result};
use crate::fault::{Hook, Injected, IoOp};

/// Smallest address-space reservation of a map (virtual; costs no memory).
const MIN_RESERVE: u64 = 1 << 20;

/// One read-only shared mapping of a file, possibly longer than the file.
#[derive(Debug)]
struct Region {
    raw: MmapRaw,
}

/// An append-only file with a published prefix readers may map.
#[derive(Debug)]
pub(crate) struct AppendFile {
    file: File,
    path: PathBuf,
    /// Current length of the file on disk.
    file_len: u64,
    /// Bytes visible to views (the contract's `P`).
    published: u64,
    /// The current mapping, covering at least `published` bytes once anything is published.
    region: Option<Arc<Region>>,
    /// Fault injection (tests only).
    hook: Option<Hook>,
}

/// An immutable window `[0, len)` on a published file.
#[derive(Debug, Clone, Default)]
pub(crate) struct View {
    region: Option<Arc<Region>>,
    len: usize,
}

impl AppendFile {
    /// Wraps an open read-write file; nothing is published yet.
    pub(crate) fn new(file: File, path: &Path) -> Result<Self> {
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(AppendFile {
            file,
            path: path.to_path_buf(),
            file_len,
            published: 0,
            region: None,
            hook: None,
        })
    }

    /// Sets (or clears) the fault-injection hook.
    pub(crate) fn set_hook(&mut self, hook: Option<Hook>) {
        self.hook = hook;
    }

    fn injected(&self, op: IoOp) -> Injected {
        self.hook
            .as_ref()
            .map_or(Injected::Proceed, |h| h.before(op))
    }

    fn injected_error(&self) -> Error {
        Error::io(&self.path, crate::fault::injected_error())
    }

    /// The file's path (for errors).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Current length of the file.
    pub(crate) fn len(&self) -> u64 {
        self.file_len
    }

    /// Reads `buf.len()` bytes at `offset` with a plain read (not through the map).
    pub(crate) fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Writes `bytes` at `offset`, which must not be below the published length.
    pub(crate) fn write_at(&mut self, bytes: &[u8], offset: u64) -> Result<()> {
        if offset < self.published {
            return Err(Error::InvalidOperation(format!(
                "write at {offset} below published length {} of {}",
                self.published,
                self.path.display()
            )));
        }
        let bytes = match self.injected(IoOp::Write { len: bytes.len() }) {
            Injected::Proceed => bytes,
            Injected::Fail => return Err(self.injected_error()),
            Injected::Tear { keep } => {
                let prefix = &bytes[..keep.min(bytes.len())];
                self.file
                    .write_all_at(prefix, offset)
                    .map_err(|e| Error::io(&self.path, e))?;
                self.file_len = self.file_len.max(offset + prefix.len() as u64);
                return Err(self.injected_error());
            }
        };
        self.file
            .write_all_at(bytes, offset)
            .map_err(|e| Error::io(&self.path, e))?;
        self.file_len = self.file_len.max(offset + bytes.len() as u64);
        Ok(())
    }

    /// Sets the file length (growing leaves a sparse hole); never below the published length.
    pub(crate) fn set_len(&mut self, len: u64) -> Result<()> {
        if len < self.published {
            return Err(Error::InvalidOperation(format!(
                "truncate to {len} below published length {} of {}",
                self.published,
                self.path.display()
            )));
        }
        if len != self.file_len {
            if self.injected(IoOp::SetLen) != Injected::Proceed {
                return Err(self.injected_error());
            }
            self.file
                .set_len(len)
                .map_err(|e| Error::io(&self.path, e))?;
            self.file_len = len;
        }
        Ok(())
    }

    /// fdatasync: the written bytes and the file length are durable.
    pub(crate) fn sync(&self) -> Result<()> {
        if self.injected(IoOp::Sync) != Injected::Proceed {
            return Err(self.injected_error());
        }
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    /// Makes `[0, len)` visible to new views; `len` must be written and not below the current
    /// published length. Remaps when the reservation is too small.
    pub(crate) fn publish(&mut self, len: u64) -> Result<()> {
        if len < self.published || len > self.file_len {
            return Err(Error::InvalidOperation(format!(
                "publish {len} outside {}..={} of {}",
                self.published,
                self.file_len,
                self.path.display()
            )));
        }
        let reserved = self.region.as_ref().map_or(0, |r| r.raw.len() as u64);
        if len > reserved {
            let reserve = len.saturating_mul(2).max(MIN_RESERVE);
            self.region = Some(Arc::new(self.map(reserve)?));
        }
        self.published = len;
        Ok(())
    }

    /// A view of the published bytes.
    pub(crate) fn view(&self) -> View {
        View {
            region: self.region.clone(),
            // `published ≤ reservation ≤ isize::MAX` (checked when mapping).
            len: usize::try_from(self.published).unwrap_or(0),
        }
    }

    fn map(&self, reserve: u64) -> Result<Region> {
        let reserve = usize::try_from(reserve)
            .ok()
            .filter(|r| isize::try_from(*r).is_ok())
            .ok_or_else(|| Error::io(&self.path, io::Error::other("arena too large to map")))?;
        // A raw map creates no references by itself (memmap2 makes this call safe); `View`
        // makes references, over the published prefix only (see the module contract). Bytes
        // past the end of the file are reserved address space no view covers.
        let raw = MmapOptions::new()
            .len(reserve)
            .map_raw_read_only(&self.file)
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(Region { raw })
    }
}

impl View {
    /// Enters the view's pages into this process's page tables (`MADV_POPULATE_READ`, Linux
    /// 5.14+), reading from disk what the page cache lacks. A mapped page that is cached but
    /// not yet touched costs a minor fault on first access (~1 µs here, so the first thousands
    /// of scattered reads after open run at half speed); this takes them all at once. Blocks
    /// for as long as the reads take; best effort (an old kernel or a failure changes nothing
    /// but speed).
    pub(crate) fn prefault(&self) {
        #[cfg(target_os = "linux")]
        if let Some(r) = &self.region {
            let _ = r
                .raw
                .advise_range(memmap2::Advice::PopulateRead, 0, self.len);
        }
    }

    /// The readable bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        match &self.region {
            // SAFETY: `len ≤` the mapping's length (publish maps at least `published` bytes)
            // and `≤` the file length, and by the module contract the bytes `[0, len)` are
            // never written or truncated while any view exists. `MmapRaw` keeps the mapping
            // alive for as long as this view holds its `Arc`.
            Some(r) if self.len > 0 => unsafe {
                std::slice::from_raw_parts(r.raw.as_ptr(), self.len)
            },
            _ => &[],
        }
    }

    /// `count` f32 values starting at byte `offset`, or `None` when out of range or unaligned.
    pub(crate) fn f32s(&self, offset: usize, count: usize) -> Option<&[f32]> {
        let bytes = self
            .bytes()
            .get(offset..offset.checked_add(count.checked_mul(4)?)?)?;
        if bytes.as_ptr().align_offset(std::mem::align_of::<f32>()) != 0 {
            return None;
        }
        // SAFETY: the range is in bounds (checked by `get`), aligned for f32 (checked above),
        // every bit pattern is a valid f32, and the bytes are immutable for the view's life.
        Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<f32>(), count) })
    }

    /// `count` u64 values starting at byte `offset`, or `None` when out of range or unaligned.
    pub(crate) fn u64s(&self, offset: usize, count: usize) -> Option<&[u64]> {
        let bytes = self
            .bytes()
            .get(offset..offset.checked_add(count.checked_mul(8)?)?)?;
        if bytes.as_ptr().align_offset(std::mem::align_of::<u64>()) != 0 {
            return None;
        }
        // SAFETY: as in `f32s`: in bounds, aligned, any bit pattern is a valid u64, immutable.
        Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<u64>(), count) })
    }
}
