//! A cache of decoded log records, like a block cache: agents read the same recent window again
//! and again. Sealed pages are immutable; an entry is keyed by the page's first seq and its crc,
//! so a page rewritten by the compactor (new crc) is never served stale. Tail records are keyed by
//! seq and crc the same way. When full, the cache is simply cleared (cheap, and hot entries refill
//! on the next read).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::log::LogRecord;

/// Decoded records shared between readers.
pub(crate) type Records = Arc<Vec<Arc<LogRecord>>>;

/// Bounds: pages and tail records kept.
const MAX_PAGES: usize = 256;
const MAX_TAIL: usize = 4096;

#[derive(Default)]
pub(crate) struct DecodedCache {
    pages: Mutex<HashMap<(u64, u32), Records>>,
    tail: Mutex<HashMap<(u64, u32), Arc<LogRecord>>>,
}

impl DecodedCache {
    pub(crate) fn page(&self, key: (u64, u32)) -> Option<Records> {
        self.pages.lock().ok()?.get(&key).cloned()
    }

    pub(crate) fn put_page(&self, key: (u64, u32), records: Records) {
        if let Ok(mut p) = self.pages.lock() {
            if p.len() >= MAX_PAGES {
                p.clear();
            }
            p.insert(key, records);
        }
    }

    pub(crate) fn tail(&self, key: (u64, u32)) -> Option<Arc<LogRecord>> {
        self.tail.lock().ok()?.get(&key).cloned()
    }

    pub(crate) fn put_tail(&self, key: (u64, u32), r: Arc<LogRecord>) {
        if let Ok(mut t) = self.tail.lock() {
            if t.len() >= MAX_TAIL {
                t.clear();
            }
            t.insert(key, r);
        }
    }
}
