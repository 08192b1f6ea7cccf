//! The stored form of a memory (the value of the `memories` table).
//!
//! Layout (all little-endian):
//! ```text
//! 0      u8   format version (RECORD_VERSION)
//! 1      u8   flags: bit 0 = payload is zstd-compressed
//! 2..6   u32  crc32 of bytes 6..
//! 6..    payload: postcard(StoredMemory), zstd-compressed when that saves ≥ 10 %
//! ```

use serde::{Deserialize, Serialize};

use crate::clock::Micros;
use crate::error::{Error, Result};
use crate::memory::{Memory, MemoryId, Scope};

/// Version byte of memory records.
pub(crate) const RECORD_VERSION: u8 = 1;
const FLAG_ZSTD: u8 = 1;
const HEADER: usize = 6;
/// Payloads smaller than this are never compressed. Decoding a zstd frame builds its entropy
/// tables first, ≈ 3 µs whatever the frame's size: 3.3 µs against 0.5 µs for a record of 120
/// bytes of content (criterion `record`), paid by every search hit and context candidate read,
/// for a few dozen bytes saved. From 1 KiB on the saving is worth the time.
const COMPRESS_MIN: usize = 1024;
/// Upper bound for a decompressed payload, so a corrupt length cannot make us allocate without bound.
const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// Everything about a memory that lives in its record (access stats live in their own table so
/// that counting a read never rewrites the content).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredMemory {
    pub content: String,
    pub kind: String,
    pub tags: Vec<String>,
    /// Canonical JSON text of the metadata object.
    pub metadata: String,
    pub scope: Scope,
    pub importance: f32,
    pub pinned: bool,
    pub created_at: Micros,
    pub updated_at: Micros,
    pub provenance: Vec<u64>,
    pub archived: bool,
    pub has_vector: bool,
    /// Seq of the event that stored this memory (the start of its history).
    pub stored_seq: u64,
}

impl StoredMemory {
    pub(crate) fn into_memory(
        self,
        id: u64,
        access_count: u64,
        last_access: Option<Micros>,
    ) -> Memory {
        // Most memories carry no metadata: `{}` needs no parser.
        let metadata = match self.metadata.as_str() {
            "{}" | "" => serde_json::Value::Object(Default::default()),
            text => {
                serde_json::from_str(text).unwrap_or(serde_json::Value::Object(Default::default()))
            }
        };
        Memory {
            id: MemoryId(id),
            content: self.content,
            kind: self.kind,
            tags: self.tags,
            metadata,
            scope: self.scope,
            importance: self.importance,
            pinned: self.pinned,
            created_at: self.created_at,
            updated_at: self.updated_at,
            access_count,
            last_access,
            provenance: self.provenance.into_iter().map(MemoryId).collect(),
            archived: self.archived,
            has_vector: self.has_vector,
        }
    }

    /// The stored form of a memory built elsewhere (benches, fuzz corpora; `stored_seq` 0).
    pub(crate) fn of_memory(m: &Memory) -> StoredMemory {
        StoredMemory {
            content: m.content.clone(),
            kind: m.kind.clone(),
            tags: m.tags.clone(),
            metadata: m.metadata.to_string(),
            scope: m.scope.clone(),
            importance: m.importance,
            pinned: m.pinned,
            created_at: m.created_at,
            updated_at: m.updated_at,
            provenance: m.provenance.iter().map(|p| p.0).collect(),
            archived: m.archived,
            has_vector: m.has_vector,
            stored_seq: 0,
        }
    }

    /// Approximate bytes it holds, itself and its strings (for cache budgets).
    pub(crate) fn heap_bytes(&self) -> usize {
        let s = &self.scope;
        let strings = [&self.content, &self.kind, &self.metadata]
            .into_iter()
            .chain(s.user.iter())
            .chain(s.session.iter())
            .chain(s.agent.iter())
            .chain(self.tags.iter());
        std::mem::size_of::<Self>()
            + strings.map(|t| t.len() + 16).sum::<usize>()
            + self.tags.len() * std::mem::size_of::<String>()
            + self.provenance.len() * 8
    }
}

/// A memory as read inside the engine: its record shared (with the record cache), not copied,
/// and its access counts. Readers that build no [`Memory`] (the context window) use it as it is.
#[derive(Debug, Clone)]
pub(crate) struct Rec {
    pub id: MemoryId,
    pub stored: std::sync::Arc<StoredMemory>,
    pub access_count: u64,
    pub last_access: Option<Micros>,
}

impl std::ops::Deref for Rec {
    type Target = StoredMemory;
    fn deref(&self) -> &StoredMemory {
        &self.stored
    }
}

impl Rec {
    /// The memory, its strings copied and its metadata parsed.
    pub(crate) fn to_memory(&self) -> Memory {
        StoredMemory::clone(&self.stored).into_memory(
            self.id.0,
            self.access_count,
            self.last_access,
        )
    }

    /// The record of a memory built elsewhere (benches: packing given candidates).
    pub(crate) fn of_memory(m: &Memory) -> Rec {
        Rec {
            id: m.id,
            stored: std::sync::Arc::new(StoredMemory::of_memory(m)),
            access_count: m.access_count,
            last_access: m.last_access,
        }
    }
}

thread_local! {
    /// One zstd context per thread: creating one per record costs more than compressing it.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

fn compress(raw: &[u8]) -> Result<Vec<u8>> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(zstd::bulk::Compressor::new(3)?);
        }
        match c.as_mut() {
            Some(z) => Ok(z.compress(raw)?),
            None => Ok(zstd::bulk::compress(raw, 3)?),
        }
    })
}

fn decompress(z: &[u8], what: &dyn Fn() -> String) -> Result<Vec<u8>> {
    DECOMPRESSOR.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(zstd::bulk::Decompressor::new()?);
        }
        // The output buffer is allocated at the capacity asked for: the frame's own content
        // size (our frames carry it), not the 16 MiB limit, which made every decode a 16 MiB
        // malloc/free. A frame that claims more than the limit is refused by the decoder.
        let capacity = match zstd::zstd_safe::get_frame_content_size(z) {
            Ok(Some(n)) => usize::try_from(n).map_or(MAX_PAYLOAD, |n| n.min(MAX_PAYLOAD)),
            _ => MAX_PAYLOAD,
        };
        let r = match d.as_mut() {
            Some(x) => x.decompress(z, capacity),
            None => zstd::bulk::decompress(z, capacity),
        };
        r.map_err(|e| Error::corrupt(what(), e.to_string()))
    })
}

/// Encodes a record with its header and checksum.
pub(crate) fn encode(m: &StoredMemory) -> Result<Vec<u8>> {
    let raw = postcard::to_allocvec(m)?;
    let (flags, payload) = if raw.len() >= COMPRESS_MIN {
        let z = compress(&raw)?;
        if z.len() * 10 < raw.len() * 9 {
            (FLAG_ZSTD, z)
        } else {
            (0, raw)
        }
    } else {
        (0, raw)
    };
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.push(RECORD_VERSION);
    out.push(flags);
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decodes a record, checking version and checksum. Never panics on bad bytes.
pub fn decode(id: u64, bytes: &[u8]) -> Result<StoredMemory> {
    decode_as(id, bytes)
}

/// The content of a memory (the record's first field: nothing after it is decoded), with the
/// record's version and checksum checked as [`decode`] checks them. For readers of texts only
/// (the lexical copy builder reads thousands): none of the other fields' allocations.
pub(crate) fn decode_content(id: u64, bytes: &[u8]) -> Result<String> {
    #[derive(Deserialize)]
    struct Content {
        content: String,
    }
    decode_as::<Content>(id, bytes).map(|c| c.content)
}

/// A record's payload decoded as `T`, whose fields must be a prefix of [`StoredMemory`]'s.
fn decode_as<T: serde::de::DeserializeOwned>(id: u64, bytes: &[u8]) -> Result<T> {
    let what = || format!("memory record {id}");
    let (header, payload) = bytes
        .split_first_chunk::<HEADER>()
        .ok_or_else(|| Error::corrupt(what(), "shorter than its header"))?;
    let [version, flags, c0, c1, c2, c3] = *header;
    if version != RECORD_VERSION {
        return Err(Error::UnsupportedFormat {
            found: u32::from(version),
            supported: u32::from(RECORD_VERSION),
        });
    }
    let stored = u32::from_le_bytes([c0, c1, c2, c3]);
    let computed = crc32fast::hash(payload);
    if stored != computed {
        return Err(Error::ChecksumMismatch {
            what: what(),
            stored,
            computed,
        });
    }
    if flags & !FLAG_ZSTD != 0 {
        return Err(Error::corrupt(
            what(),
            format!("unknown flags {flags:#04x}"),
        ));
    }
    let m = if flags & FLAG_ZSTD != 0 {
        let raw = decompress(payload, &what)?;
        postcard::from_bytes(&raw)
    } else {
        postcard::from_bytes(payload)
    };
    m.map_err(|e| Error::corrupt(what(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(content: &str) -> StoredMemory {
        StoredMemory {
            content: content.to_owned(),
            kind: "fact".into(),
            tags: vec!["a".into()],
            metadata: "{}".into(),
            scope: Scope::default(),
            importance: 0.5,
            pinned: false,
            created_at: 1,
            updated_at: 2,
            provenance: vec![],
            archived: false,
            has_vector: false,
            stored_seq: 0,
        }
    }

    #[test]
    fn round_trips_small_and_compressed() {
        for (c, compressed) in [
            ("hi".to_owned(), false),
            ("short text ".repeat(60), false),
            ("long text ".repeat(200), true),
        ] {
            let m = sample(&c);
            let bytes = encode(&m).unwrap();
            assert_eq!(bytes[1] & FLAG_ZSTD != 0, compressed, "{} bytes", c.len());
            assert_eq!(decode(1, &bytes).unwrap(), m);
            assert_eq!(decode_content(1, &bytes).unwrap(), c);
        }
    }

    #[test]
    fn flipped_byte_is_a_checksum_error() {
        let mut bytes = encode(&sample("hello world")).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        assert!(matches!(
            decode(1, &bytes),
            Err(Error::ChecksumMismatch { .. })
        ));
        assert!(matches!(
            decode_content(1, &bytes),
            Err(Error::ChecksumMismatch { .. })
        ));
        assert!(decode(1, &[]).is_err());
        assert!(decode_content(1, &[]).is_err());
    }
}
