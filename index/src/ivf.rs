//! A partitioned ("inverted file", IVF) index over the arena, so a search of a large set scans
//! a few percent of it instead of all of it.
//!
//! Training runs spherical k-means (vectors are unit length, so the centroid of a list is the
//! normalised mean and "nearest" is the largest dot product) on an evenly spaced sample of the
//! arena's vectors, then assigns every vector to its nearest centroid. A search scores the query
//! against the centroids and scans the `nprobe` best lists (each list keeps its slots' sign codes
//! side by side, so a list is one run of memory) plus every slot the index does not cover yet,
//! keeping only the caller's candidates ([`crate::Snapshot::search_partitioned`]); the pool of
//! the best Hamming distances is rescored exactly — so every result is a real vector of the
//! candidate set with its exact score; what the partition can cost is recall, never a wrong hit.
//!
//! The index is derived data. It covers the slots below [`Ivf::covered`]; slots pushed later are
//! scanned in full until [`Ivf::extend`] assigns them. Arena slots are append-only and never
//! rewritten while published, so an assignment stays valid; after a crash the arena may reuse
//! slot numbers past what redb committed, which is why [`Ivf::load`] cuts the index to the
//! arena's length. It is saved to one file written under a temporary name, synced and renamed;
//! a file that is missing, damaged or of another dimension is reported and the index rebuilt.
//!
//! File layout (little-endian): `MSIVF\0\0\0`, u32 version, u32 dim, u32 lists, u32 covered,
//! u32 nprobe, u64 trained_on; `lists × dim` f32 centroids; `covered` u16 list numbers (u16::MAX = slot not
//! assigned); u32 crc32 of everything before it.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use roaring::RoaringBitmap;

use crate::arena::Snapshot;
use crate::error::{Error, Result};
use crate::kernels;

const MAGIC: [u8; 8] = *b"MSIVF\0\0\0";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 5 * 4 + 8;
const UNASSIGNED: u16 = u16::MAX;
/// Most lists an index holds (list numbers are u16, and u16::MAX means "unassigned").
pub const MAX_LISTS: usize = 4096;
/// Centroids kept by the Hamming preselection of an assignment, then scored exactly.
const SHORTLIST: usize = 24;
/// Below this many lists an assignment scores every centroid exactly.
const EXACT_ASSIGN_BELOW: usize = 96;
/// Slots per parallel work item of an assignment.
const ASSIGN_CHUNK: usize = 16_384;
/// Recall@10 the calibration asks of the probed lists, against the unpartitioned search.
pub const CALIBRATION_RECALL: f64 = 0.99;
/// Sample queries of the calibration.
const CALIBRATION_QUERIES: usize = 64;

/// How to train an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvfOptions {
    /// Lists (centroids); 0 picks `√n` for `n` vectors, within `1..=MAX_LISTS`.
    pub lists: usize,
    /// Training sample per list (the sample is `lists × sample_per_list` vectors at most).
    pub sample_per_list: usize,
    /// k-means iterations.
    pub iterations: usize,
}

impl Default for IvfOptions {
    fn default() -> Self {
        IvfOptions {
            lists: 0,
            sample_per_list: 48,
            iterations: 8,
        }
    }
}

/// One list: its slots (ascending) and their sign codes, `code_words` each, in the same order —
/// contiguous, so scanning a list reads one run of memory instead of one arena page per slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct List {
    pub slots: Vec<u32>,
    pub codes: Vec<u64>,
}

impl List {
    /// Appends the sign code of `slot` (zeros for a slot `snap` has no code for).
    fn push_code(&mut self, snap: &Snapshot, slot: u32, code_words: usize) {
        match snap.codes(slot, slot) {
            Some(c) => self.codes.extend_from_slice(c),
            None => self.codes.extend(std::iter::repeat_n(0, code_words)),
        }
    }
}

/// A trained partition of the arena's slots (see the module docs).
#[derive(Debug, Clone)]
pub struct Ivf {
    dim: usize,
    code_words: usize,
    /// `lists × dim`, each unit length.
    centroids: Vec<f32>,
    /// Sign codes of the centroids, `code_words` each.
    codes: Vec<u64>,
    /// Slots of each list, with their sign codes copied next to each other.
    lists: Vec<List>,
    /// Slots `< covered` are assigned (or were empty when assigned).
    covered: u32,
    /// Vectors present when the centroids were trained.
    trained_on: u64,
    /// Lists a search scans, from the calibration.
    nprobe: usize,
}

impl Ivf {
    /// Trains an index on the vectors of `snap` and assigns all of them.
    pub fn train(snap: &Snapshot, opts: &IvfOptions) -> Result<Ivf> {
        let dim = snap.dim() as usize;
        let present = snap.present();
        let n = present.len();
        if n == 0 || dim == 0 {
            return Err(Error::InvalidOperation(
                "no vectors to partition".to_owned(),
            ));
        }
        let k = match opts.lists {
            0 => (n as f64).sqrt().round() as usize,
            k => k,
        }
        .clamp(1, MAX_LISTS)
        .min(usize::try_from(n).unwrap_or(usize::MAX));
        let want = k.saturating_mul(opts.sample_per_list.max(1)).max(k);
        let sample_len = usize::try_from(n).unwrap_or(usize::MAX).min(want);
        // Evenly spaced by rank: old and new memories alike.
        let sample: Vec<u32> = (0..sample_len)
            .filter_map(|i| present.select((i as u64 * n / sample_len as u64) as u32))
            .collect();
        let vec_of = |slot: u32| snap.vector(slot);
        let mut centroids: Vec<f32> = Vec::with_capacity(k * dim);
        for j in 0..k {
            let slot = sample[j * sample.len() / k];
            centroids.extend_from_slice(vec_of(slot).unwrap_or(&[]));
        }
        if centroids.len() != k * dim {
            return Err(Error::InvalidOperation(
                "arena vectors vanished while training".to_owned(),
            ));
        }
        let mut ivf = Ivf::from_centroids(dim, centroids, n);
        for _ in 0..opts.iterations {
            let (sums, counts) = sample
                .par_chunks(ASSIGN_CHUNK / 4)
                .map(|chunk| {
                    let mut sums = vec![0f32; k * dim];
                    let mut counts = vec![0u32; k];
                    let mut code = vec![0u64; ivf.code_words];
                    for &slot in chunk {
                        if let Some(v) = vec_of(slot) {
                            let l = ivf.nearest(v, &mut code);
                            counts[l] += 1;
                            let s = &mut sums[l * dim..(l + 1) * dim];
                            s.iter_mut().zip(v).for_each(|(a, b)| *a += b);
                        }
                    }
                    (sums, counts)
                })
                .reduce(
                    || (vec![0f32; k * dim], vec![0u32; k]),
                    |(mut s1, mut c1), (s2, c2)| {
                        s1.iter_mut().zip(&s2).for_each(|(a, b)| *a += b);
                        c1.iter_mut().zip(&c2).for_each(|(a, b)| *a += b);
                        (s1, c1)
                    },
                );
            let mut centroids = ivf.centroids.clone();
            for (j, &count) in counts.iter().enumerate() {
                let s = &sums[j * dim..(j + 1) * dim];
                let norm = s.iter().map(|x| x * x).sum::<f32>().sqrt();
                // An empty list keeps its centroid (it may win vectors in the next round).
                if count > 0 && norm > 0.0 && norm.is_finite() {
                    centroids[j * dim..(j + 1) * dim]
                        .iter_mut()
                        .zip(s)
                        .for_each(|(c, x)| *c = x / norm);
                }
            }
            ivf = Ivf::from_centroids(dim, centroids, n);
        }
        let mut ivf = ivf.extend(snap);
        ivf.calibrate(snap);
        Ok(ivf)
    }

    /// Picks `nprobe` from the data: evenly spaced stored vectors serve as queries; for each,
    /// the unpartitioned search's top 10 (itself left out) is found, and the rank of each hit's
    /// list in the query's centroid order recorded. `nprobe` is the smallest rank that would
    /// have found [`CALIBRATION_RECALL`] of the hits, plus a quarter for queries unlike the
    /// sample. Data without cluster structure thus gets a large `nprobe` (up to every list),
    /// clustered data a small one.
    fn calibrate(&mut self, snap: &Snapshot) {
        let k = self.lists.len();
        let present = snap.present();
        let n = present.len();
        let q = (CALIBRATION_QUERIES as u64).min(n);
        if q == 0 {
            self.nprobe = k;
            return;
        }
        let ranks: Vec<Vec<usize>> = (0..q)
            .into_par_iter()
            .filter_map(|i| {
                let slot = present.select(((2 * i + 1) * n / (2 * q)) as u32)?;
                let v = snap.vector(slot)?;
                let hits = snap
                    .search(v, 11, present, &crate::vector::SearchOptions::default())
                    .ok()?;
                let order = self.centroid_order(v);
                let mut rank_of = vec![0usize; k];
                for (r, &j) in order.iter().enumerate() {
                    rank_of[j] = r;
                }
                Some(
                    hits.iter()
                        .filter(|h| h.slot != slot)
                        .take(10)
                        .filter_map(|h| {
                            let j = self
                                .lists
                                .iter()
                                .position(|l| l.slots.binary_search(&h.slot).is_ok())?;
                            Some(rank_of[j])
                        })
                        .collect(),
                )
            })
            .collect();
        let mut all: Vec<usize> = ranks.into_iter().flatten().collect();
        if all.is_empty() {
            self.nprobe = k;
            return;
        }
        all.sort_unstable();
        let at = ((all.len() as f64 * CALIBRATION_RECALL).ceil() as usize).clamp(1, all.len());
        let need = all[at - 1] + 1;
        self.nprobe = (need + need.div_ceil(4)).max(8).min(k);
    }

    /// List numbers by centroid score for `query`, best first.
    fn centroid_order(&self, query: &[f32]) -> Vec<usize> {
        let mut scored: Vec<(f32, usize)> = self
            .centroids
            .chunks_exact(self.dim)
            .map(|c| kernels::dot(query, c))
            .enumerate()
            .map(|(j, s)| (s, j))
            .collect();
        scored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, j)| j).collect()
    }

    fn from_centroids(dim: usize, centroids: Vec<f32>, trained_on: u64) -> Ivf {
        let code_words = dim.div_ceil(64);
        let k = centroids.len() / dim.max(1);
        let mut codes = vec![0u64; k * code_words];
        for (c, out) in centroids
            .chunks_exact(dim)
            .zip(codes.chunks_exact_mut(code_words))
        {
            kernels::sign_code(c, out);
        }
        Ivf {
            dim,
            code_words,
            centroids,
            codes,
            lists: vec![List::default(); k],
            covered: 0,
            trained_on,
            nprobe: k,
        }
    }

    /// The list whose centroid is nearest `v`: with many lists, a Hamming preselection of the
    /// centroids' sign codes, then exact dot products of the shortlist.
    fn nearest(&self, v: &[f32], code: &mut [u64]) -> usize {
        let k = self.lists.len();
        let exact = |j: usize| kernels::dot(v, &self.centroids[j * self.dim..(j + 1) * self.dim]);
        let best_of = |it: &mut dyn Iterator<Item = usize>| {
            it.map(|j| (exact(j), j))
                .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(&a.1)))
                .map_or(0, |(_, j)| j)
        };
        if k < EXACT_ASSIGN_BELOW {
            return best_of(&mut (0..k));
        }
        kernels::sign_code(v, code);
        let mut dist = vec![0u16; k];
        kernels::hamming_many(&self.codes, code, &mut dist);
        let mut order: Vec<(u16, u16)> = dist
            .iter()
            .enumerate()
            .map(|(j, &d)| (d, j as u16))
            .collect();
        let short = SHORTLIST.min(k);
        order.select_nth_unstable(short - 1);
        best_of(&mut order[..short].iter().map(|&(_, j)| usize::from(j)))
    }

    /// This index with every slot of `snap` from [`Ivf::covered`] on assigned to its nearest
    /// list (the centroids stay as trained).
    pub fn extend(mut self, snap: &Snapshot) -> Ivf {
        let len = snap.len();
        if len <= self.covered {
            return self;
        }
        let starts: Vec<u32> = (self.covered..len).step_by(ASSIGN_CHUNK).collect();
        let parts: Vec<Vec<(u16, u32)>> = starts
            .par_iter()
            .map(|&start| {
                let end = start.saturating_add(ASSIGN_CHUNK as u32).min(len);
                let mut code = vec![0u64; self.code_words];
                snap.present()
                    .range(start..end)
                    .filter_map(|slot| {
                        let v = snap.vector(slot)?;
                        Some((self.nearest(v, &mut code) as u16, slot))
                    })
                    .collect()
            })
            .collect();
        for part in parts {
            for (l, slot) in part {
                // Slots arrive in ascending order, so each list stays sorted.
                let list = &mut self.lists[usize::from(l)];
                list.slots.push(slot);
                list.push_code(snap, slot, self.code_words);
            }
        }
        self.covered = len;
        self
    }

    /// Number of lists.
    pub fn lists(&self) -> usize {
        self.lists.len()
    }

    /// Slots below this are covered by the lists; later ones are scanned in full.
    pub fn covered(&self) -> u32 {
        self.covered
    }

    /// Vectors present when the centroids were trained.
    pub fn trained_on(&self) -> u64 {
        self.trained_on
    }

    /// Lists a search scans (calibrated at training, see [`Ivf::train`]).
    pub fn nprobe(&self) -> usize {
        self.nprobe
    }

    /// The vector dimension.
    pub fn dim(&self) -> u32 {
        self.dim as u32
    }

    /// The `nprobe` lists whose centroids score best for `query` (all lists when `nprobe`
    /// covers them).
    pub(crate) fn lists_for(&self, query: &[f32], nprobe: usize) -> Vec<usize> {
        let k = self.lists.len();
        if nprobe >= k || query.len() != self.dim {
            return (0..k).collect();
        }
        let mut scored: Vec<(f32, usize)> = self
            .centroids
            .chunks_exact(self.dim)
            .map(|c| kernels::dot(query, c))
            .enumerate()
            .map(|(j, s)| (s, j))
            .collect();
        let n = nprobe.max(1);
        scored.select_nth_unstable_by(n - 1, |a, b| b.0.total_cmp(&a.0));
        scored[..n].iter().map(|&(_, j)| j).collect()
    }

    /// List `j`.
    pub(crate) fn list(&self, j: usize) -> &List {
        &self.lists[j]
    }

    /// Words of one sign code.
    pub(crate) fn code_words(&self) -> usize {
        self.code_words
    }

    /// Checks the index against `snap`: lists disjoint, within the covered range, and covering
    /// only slots the arena holds.
    pub fn verify(&self, snap: &Snapshot) -> Result<()> {
        let bad = |d: String| Error::InvalidOperation(format!("vector index: {d}"));
        if self.dim != snap.dim() as usize {
            return Err(bad(format!(
                "dimension {} but the arena's is {}",
                self.dim,
                snap.dim()
            )));
        }
        if self.covered > snap.len() {
            return Err(bad(format!(
                "covers {} slots but the arena holds {}",
                self.covered,
                snap.len()
            )));
        }
        let mut seen = RoaringBitmap::new();
        for (j, l) in self.lists.iter().enumerate() {
            if !l.slots.windows(2).all(|w| w[0] < w[1]) {
                return Err(bad(format!("list {j} is not in slot order")));
            }
            if l.slots.last().is_some_and(|&m| m >= self.covered) {
                return Err(bad(format!("list {j} holds a slot past the covered range")));
            }
            if l.codes.len() != l.slots.len() * self.code_words {
                return Err(bad(format!(
                    "list {j} has {} code words for {} slots",
                    l.codes.len(),
                    l.slots.len()
                )));
            }
            for (slot, code) in l
                .slots
                .iter()
                .zip(l.codes.chunks_exact(self.code_words.max(1)))
            {
                if snap.codes(*slot, *slot).is_some_and(|c| c != code) {
                    return Err(bad(format!(
                        "list {j}: the code of slot {slot} differs from the arena's"
                    )));
                }
            }
            let set: RoaringBitmap = l.slots.iter().copied().collect();
            if !seen.is_disjoint(&set) {
                return Err(bad(format!("list {j} shares slots with another list")));
            }
            seen |= set;
        }
        let mut covered_present = snap.present().clone();
        covered_present.remove_range(self.covered..);
        if !covered_present.is_subset(&seen) {
            return Err(bad("a covered vector is in no list".to_owned()));
        }
        Ok(())
    }

    /// Encodes the index (layout in the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let k = self.lists.len();
        let mut out =
            Vec::with_capacity(HEADER_LEN + k * self.dim * 4 + self.covered as usize * 2 + 4);
        out.extend_from_slice(&MAGIC);
        for x in [
            VERSION,
            self.dim as u32,
            k as u32,
            self.covered,
            self.nprobe as u32,
        ] {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&self.trained_on.to_le_bytes());
        for c in &self.centroids {
            out.extend_from_slice(&c.to_le_bytes());
        }
        for a in self.assignment() {
            out.extend_from_slice(&a.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes an index written by [`Ivf::encode`] for the arena `snap`: errors when the bytes
    /// are damaged or of another dimension, never panics. Lists are cut to the arena's length
    /// (see the module docs), and each list's sign codes are copied from the arena in one
    /// sequential pass over its code file.
    pub fn decode(bytes: &[u8], snap: &Snapshot) -> Result<Ivf> {
        let mut ivf = Ivf::decode_lists(bytes)?;
        let (dim, len) = (snap.dim(), snap.len());
        if ivf.dim != dim as usize {
            return Err(Error::InvalidOperation(format!(
                "vector index file: dimension {} but the arena's is {dim}",
                ivf.dim
            )));
        }
        if ivf.covered > len {
            for l in &mut ivf.lists {
                let keep = l.slots.partition_point(|&s| s < len);
                l.slots.truncate(keep);
            }
            ivf.covered = len;
        }
        ivf.fill_codes(snap);
        Ok(ivf)
    }

    /// The bytes' centroids and lists, without codes.
    fn decode_lists(bytes: &[u8]) -> Result<Ivf> {
        let bad = |d: &str| Error::InvalidOperation(format!("vector index file: {d}"));
        let (body, crc) = bytes
            .split_last_chunk::<4>()
            .ok_or_else(|| bad("shorter than its checksum"))?;
        if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
            return Err(bad("checksum mismatch"));
        }
        let (head, rest) = body
            .split_first_chunk::<HEADER_LEN>()
            .ok_or_else(|| bad("shorter than its header"))?;
        if head[..8] != MAGIC {
            return Err(bad("bad magic"));
        }
        let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let (version, dim, k, covered) = (word(8), word(12) as usize, word(16) as usize, word(20));
        let nprobe = word(24) as usize;
        if version != VERSION {
            return Err(bad(&format!("unsupported version {version}")));
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(&head[28..36]);
        let trained_on = u64::from_le_bytes(t);
        if dim == 0 || k == 0 || k > MAX_LISTS || nprobe == 0 || nprobe > k {
            return Err(bad("dimension or list count out of range"));
        }
        let want = k
            .checked_mul(dim)
            .and_then(|c| c.checked_mul(4))
            .and_then(|c| c.checked_add(covered as usize * 2));
        if want != Some(rest.len()) {
            return Err(bad("length does not match its header"));
        }
        let (cbytes, abytes) = rest.split_at(k * dim * 4);
        let centroids: Vec<f32> = cbytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if centroids.iter().any(|c| !c.is_finite()) {
            return Err(bad("a centroid is not finite"));
        }
        let mut ivf = Ivf::from_centroids(dim, centroids, trained_on);
        for (slot, a) in abytes.chunks_exact(2).enumerate() {
            let l = u16::from_le_bytes([a[0], a[1]]);
            if l == UNASSIGNED {
                continue;
            }
            let list = ivf
                .lists
                .get_mut(usize::from(l))
                .ok_or_else(|| bad("a slot names a list that does not exist"))?;
            // Ascending slots: each list stays sorted.
            list.slots.push(slot as u32);
        }
        ivf.covered = covered;
        ivf.nprobe = nprobe;
        Ok(ivf)
    }

    /// Writes the index to `path` atomically (temporary file, sync, rename, directory sync),
    /// owner-only.
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = tmp_path(path);
        let _ = std::fs::remove_file(&tmp);
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(&self.encode())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(&tmp, e))?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        if let Some(dir) = path.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// Reads the index at `path` for the arena `snap` (see [`Ivf::decode`]): `Ok(None)` when
    /// there is none; an error when it is damaged or of another dimension (the caller drops it
    /// and trains again).
    pub fn load(path: &Path, snap: &Snapshot) -> Result<Option<Ivf>> {
        match std::fs::read(path) {
            Ok(b) => Ivf::decode(&b, snap).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The list of every covered slot (`UNASSIGNED` for a slot in none), as the file stores it.
    fn assignment(&self) -> Vec<u16> {
        let mut assign = vec![UNASSIGNED; self.covered as usize];
        for (j, l) in self.lists.iter().enumerate() {
            for &slot in &l.slots {
                if let Some(a) = assign.get_mut(slot as usize) {
                    *a = j as u16;
                }
            }
        }
        assign
    }

    /// Copies every listed slot's sign code from `snap`, walking the slots in order.
    fn fill_codes(&mut self, snap: &Snapshot) {
        let cw = self.code_words;
        let owner = self.assignment();
        for l in &mut self.lists {
            l.codes = Vec::with_capacity(l.slots.len() * cw);
        }
        for (slot, &j) in owner.iter().enumerate() {
            if j != UNASSIGNED {
                self.lists[usize::from(j)].push_code(snap, slot as u32, cw);
            }
        }
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}
