//! Record encodings. Every record we encode starts with a format byte and a crc32 (crc32fast) of
//! everything after the crc, so a bad record is named by `verify` and never decoded blindly.
//!
//! Entity record: `u8 FORMAT, u32 crc32 LE of bytes 5.., postcard(EntityRecord)`.
//! Edge value (in `graph_out`): `u8 FORMAT, u32 crc32 LE of bytes 5.., u64 valid_from LE,
//! u64 valid_to LE (u64::MAX = still valid), postcard(EdgeBody)`. The validity interval sits at a
//! fixed offset so traversal can filter by time without decoding the body.

use serde::{Deserialize, Serialize};

use crate::error::{GraphError, Result};

/// Format byte of every record this build writes.
pub const FORMAT: u8 = 1;
/// Bytes before the payload: format byte + crc32.
const HEADER: usize = 5;
/// Bytes of the fixed validity interval in an edge value.
const VALIDITY: usize = 16;
/// Stored `valid_to` of an edge that is still valid.
pub const OPEN: u64 = u64::MAX;

/// An entity as stored (value of `graph_entities`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityRecord {
    /// Canonical name, as given (trimmed).
    pub name: String,
    /// Aliases, as given (trimmed), in the order they were added.
    pub aliases: Vec<String>,
    /// Optional type, e.g. `person`.
    pub kind: Option<String>,
    /// Metadata: JSON object text.
    pub metadata: String,
    /// When the entity was created (µs).
    pub created_at: u64,
}

/// The part of an edge that is not in its key or validity interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeBody {
    /// Confidence in `0..=1`.
    pub confidence: f32,
    /// Where the fact came from (free text, may be empty).
    pub source: String,
    /// When the fact was recorded (µs, transaction time).
    pub timestamp: u64,
    /// Context: JSON object text.
    pub context: String,
    /// The memory the fact came from.
    pub memory: Option<u64>,
}

/// Validity interval of an edge: valid at `t` iff `from <= t < to`; `to == OPEN` while current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// Start of validity (µs).
    pub from: u64,
    /// End of validity (µs, exclusive) or [`OPEN`].
    pub to: u64,
}

impl Validity {
    /// Whether the edge is visible: current (`as_of == None`) or valid at `as_of`.
    pub fn visible(&self, as_of: Option<u64>) -> bool {
        match as_of {
            None => self.to == OPEN,
            Some(t) => self.from <= t && t < self.to,
        }
    }
}

fn seal(mut body: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(body.get(HEADER..).unwrap_or_default());
    if let Some(h) = body.get_mut(..HEADER) {
        h[0] = FORMAT;
        h[1..].copy_from_slice(&crc.to_le_bytes());
    }
    body
}

/// Checks format byte and crc; returns the bytes after the header.
fn open<'a>(bytes: &'a [u8], table: &'static str, key: &dyn Fn() -> String) -> Result<&'a [u8]> {
    open_with(bytes, table, key, true)
}

/// Whether a stored record's format byte and crc are right (the in-memory graph copy checks
/// each record once, when it copies it, and decodes the sound ones with `crc: false`).
pub(crate) fn is_sound(bytes: &[u8]) -> bool {
    open(bytes, "", &String::new).is_ok()
}

/// [`open`], checking the crc only with `crc`.
fn open_with<'a>(
    bytes: &'a [u8],
    table: &'static str,
    key: &dyn Fn() -> String,
    crc_check: bool,
) -> Result<&'a [u8]> {
    let (Some(&format), Some(crc), Some(rest)) =
        (bytes.first(), bytes.get(1..HEADER), bytes.get(HEADER..))
    else {
        return Err(GraphError::Corrupt(format!(
            "{table} record {} is too short",
            key()
        )));
    };
    if format != FORMAT {
        return Err(GraphError::UnsupportedFormat {
            found: format,
            supported: FORMAT,
        });
    }
    let stored = u32::from_le_bytes(crc.try_into().map_err(|_| corrupt(table, key))?);
    if crc_check && stored != crc32fast::hash(rest) {
        return Err(GraphError::ChecksumMismatch { table, key: key() });
    }
    Ok(rest)
}

fn corrupt(table: &'static str, key: &dyn Fn() -> String) -> GraphError {
    GraphError::Corrupt(format!("{table} record {} is malformed", key()))
}

fn postcard_bytes<T: Serialize>(prefix: Vec<u8>, value: &T) -> Result<Vec<u8>> {
    postcard::to_extend(value, prefix)
        .map_err(|e| GraphError::Corrupt(format!("cannot encode record: {e}")))
}

/// Encodes an entity record.
pub fn encode_entity(rec: &EntityRecord) -> Result<Vec<u8>> {
    Ok(seal(postcard_bytes(vec![0; HEADER], rec)?))
}

/// Decodes an entity record (value of `graph_entities`). Never panics on bad bytes.
pub fn decode_entity(bytes: &[u8]) -> Result<EntityRecord> {
    decode_entity_keyed(bytes, &|| "?".to_string())
}

pub(crate) fn decode_entity_keyed(bytes: &[u8], key: &dyn Fn() -> String) -> Result<EntityRecord> {
    decode_entity_with(bytes, key, true)
}

/// [`decode_entity_keyed`], checking the crc only with `crc` (see [`is_sound`]).
pub(crate) fn decode_entity_with(
    bytes: &[u8],
    key: &dyn Fn() -> String,
    crc: bool,
) -> Result<EntityRecord> {
    let rest = open_with(bytes, "graph_entities", key, crc)?;
    postcard::from_bytes(rest).map_err(|_| corrupt("graph_entities", key))
}

/// Encodes an edge value.
pub fn encode_edge(validity: Validity, body: &EdgeBody) -> Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(64);
    prefix.extend_from_slice(&[0; HEADER]);
    prefix.extend_from_slice(&validity.from.to_le_bytes());
    prefix.extend_from_slice(&validity.to.to_le_bytes());
    Ok(seal(postcard_bytes(prefix, body)?))
}

/// Decodes an edge value (value of `graph_out`), checking its crc. Never panics on bad bytes;
/// this is the fuzz target's entry point.
pub fn decode_edge(bytes: &[u8]) -> Result<(Validity, EdgeBody)> {
    decode_edge_keyed(bytes, &|| "?".to_string())
}

pub(crate) fn decode_edge_keyed(
    bytes: &[u8],
    key: &dyn Fn() -> String,
) -> Result<(Validity, EdgeBody)> {
    let rest = open(bytes, "graph_out", key)?;
    let validity = read_validity(rest).ok_or_else(|| corrupt("graph_out", key))?;
    let body = rest
        .get(VALIDITY..)
        .ok_or_else(|| corrupt("graph_out", key))?;
    let body = postcard::from_bytes(body).map_err(|_| corrupt("graph_out", key))?;
    Ok((validity, body))
}

/// [`EdgeBody`] borrowing its text from the stored value (same postcard layout): reads decode
/// into this and copy only what they return.
#[derive(Debug, Deserialize)]
pub(crate) struct EdgeBodyRef<'a> {
    pub confidence: f32,
    pub source: &'a str,
    pub timestamp: u64,
    pub context: &'a str,
    pub memory: Option<u64>,
}

/// [`decode_edge_keyed`] without copying the body's text, checking the crc only with `crc`
/// (see [`is_sound`]).
pub(crate) fn decode_edge_ref<'a>(
    bytes: &'a [u8],
    key: &dyn Fn() -> String,
    crc: bool,
) -> Result<(Validity, EdgeBodyRef<'a>)> {
    let rest = open_with(bytes, "graph_out", key, crc)?;
    let validity = read_validity(rest).ok_or_else(|| corrupt("graph_out", key))?;
    let body = rest
        .get(VALIDITY..)
        .ok_or_else(|| corrupt("graph_out", key))?;
    let body = postcard::from_bytes(body).map_err(|_| corrupt("graph_out", key))?;
    Ok((validity, body))
}

/// Parses stored JSON object text (`Null` when it does not parse, as every read did before);
/// the common empty object skips the parser.
pub(crate) fn json_object(text: &str) -> serde_json::Value {
    if text == "{}" {
        return serde_json::Value::Object(serde_json::Map::new());
    }
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

fn read_validity(b: &[u8]) -> Option<Validity> {
    let from = u64::from_le_bytes(b.get(..8)?.try_into().ok()?);
    let to = u64::from_le_bytes(b.get(8..VALIDITY)?.try_into().ok()?);
    Some(Validity { from, to })
}

/// Reads the validity interval of an edge value without checking its crc: the traversal's fast
/// filter. Anything returned to a caller goes through [`decode_edge`].
pub(crate) fn peek_validity(bytes: &[u8]) -> Option<Validity> {
    read_validity(bytes.get(HEADER..)?)
}

/// Rewrites the validity interval of an encoded edge value and its crc.
pub(crate) fn with_validity(bytes: &[u8], validity: Validity) -> Result<Vec<u8>> {
    let (_, body) = decode_edge(bytes)?;
    encode_edge(validity, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> EdgeBody {
        EdgeBody {
            confidence: 0.5,
            source: "chat".into(),
            timestamp: 7,
            context: "{}".into(),
            memory: Some(3),
        }
    }

    #[test]
    fn edge_round_trips() {
        let v = Validity { from: 1, to: OPEN };
        let bytes = encode_edge(v, &body()).unwrap();
        assert_eq!(decode_edge(&bytes).unwrap(), (v, body()));
        assert_eq!(peek_validity(&bytes), Some(v));
    }

    #[test]
    fn borrowed_body_decodes_like_the_owned_one() {
        let v = Validity { from: 1, to: OPEN };
        let bytes = encode_edge(v, &body()).unwrap();
        let (v2, r) = decode_edge_ref(&bytes, &|| "?".into(), true).unwrap();
        let b = body();
        assert_eq!(v2, v);
        assert_eq!(
            (r.confidence, r.source, r.timestamp, r.context, r.memory),
            (
                b.confidence,
                b.source.as_str(),
                b.timestamp,
                b.context.as_str(),
                b.memory
            )
        );
        for i in 0..bytes.len() {
            assert!(
                decode_edge_ref(&bytes[..i], &|| "?".into(), true).is_err(),
                "cut at {i}"
            );
        }
        assert_eq!(json_object("{}"), serde_json::json!({}));
        assert_eq!(json_object(r#"{"a":1}"#), serde_json::json!({"a": 1}));
        assert_eq!(json_object("not json"), serde_json::Value::Null);
    }

    #[test]
    fn every_flipped_byte_and_truncation_is_an_error() {
        let bytes = encode_edge(Validity { from: 1, to: 9 }, &body()).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(decode_edge(&b).is_err(), "flip at {i}");
            assert!(decode_edge(&bytes[..i]).is_err(), "cut at {i}");
        }
    }

    #[test]
    fn entity_round_trips() {
        let rec = EntityRecord {
            name: "Alice".into(),
            aliases: vec!["Al".into()],
            kind: Some("person".into()),
            metadata: "{}".into(),
            created_at: 1,
        };
        assert_eq!(decode_entity(&encode_entity(&rec).unwrap()).unwrap(), rec);
        assert!(decode_entity(&[]).is_err());
        assert!(matches!(
            decode_entity(&[9, 0, 0, 0, 0]),
            Err(GraphError::UnsupportedFormat { found: 9, .. })
        ));
    }
}
