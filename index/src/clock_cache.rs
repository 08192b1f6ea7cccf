//! Values by `u64` key within a byte budget, evicted in CLOCK order (second chance).
//!
//! A value used since the hand last passed it is spared once. Each insertion evicts only what
//! it needs room for, so no caller ever pays for dropping much at once (a cache that empties
//! itself, or half of itself, when full makes one read in thousands free everything it held,
//! and loses the values every query wants along with the ones none does). Not synchronised:
//! callers hold it under their own lock.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// One place of the clock.
#[derive(Debug)]
struct Slot<V> {
    key: u64,
    /// The value and the bytes it was charged; `None` for an empty place.
    entry: Option<(V, usize)>,
    /// Used since the hand last passed.
    used: bool,
}

/// Values by key in CLOCK order, within the budget given to each insertion.
#[derive(Debug)]
pub struct ClockCache<V> {
    slot_of: HashMap<u64, usize, BuildHasherDefault<KeyHasher>>,
    slots: Vec<Slot<V>>,
    /// Empty places, reused first.
    free: Vec<usize>,
    hand: usize,
    bytes: usize,
}

impl<V> Default for ClockCache<V> {
    fn default() -> Self {
        ClockCache {
            slot_of: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            hand: 0,
            bytes: 0,
        }
    }
}

impl<V> ClockCache<V> {
    /// The value of `key`, marked used.
    pub fn get(&mut self, key: u64) -> Option<&mut V> {
        let slot = self.slots.get_mut(*self.slot_of.get(&key)?)?;
        slot.used = true;
        slot.entry.as_mut().map(|(v, _)| v)
    }

    /// The value of `key`, not marked used (an update is not a use).
    pub fn peek_mut(&mut self, key: u64) -> Option<&mut V> {
        let slot = self.slots.get_mut(*self.slot_of.get(&key)?)?;
        slot.entry.as_mut().map(|(v, _)| v)
    }

    /// True when `key` is held.
    pub fn contains(&self, key: u64) -> bool {
        self.slot_of.contains_key(&key)
    }

    /// Drops the value of `key`, if held.
    pub fn remove(&mut self, key: u64) {
        if let Some(at) = self.slot_of.remove(&key) {
            self.vacate(at);
        }
    }

    fn vacate(&mut self, at: usize) {
        if let Some((_, bytes)) = self.slots.get_mut(at).and_then(|s| s.entry.take()) {
            self.bytes -= bytes;
            self.free.push(at);
        }
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        *self = ClockCache::default();
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Keeps `value`, charged `bytes`, under `key` (replacing what `key` held), evicting until
    /// it fits in `budget`. A value larger than the whole budget is not kept and evicts
    /// nothing (what `key` held is then dropped all the same).
    pub fn insert(&mut self, key: u64, value: V, bytes: usize, budget: usize) {
        self.remove(key);
        if bytes > budget {
            return;
        }
        // Each full turn clears every `used` flag, so two turns always free a place.
        let mut steps = 2 * self.slots.len();
        while self.bytes + bytes > budget && self.bytes > 0 && steps > 0 {
            steps -= 1;
            self.hand = if self.hand + 1 >= self.slots.len() {
                0
            } else {
                self.hand + 1
            };
            let Some(slot) = self.slots.get_mut(self.hand) else {
                break;
            };
            if slot.entry.is_none() || std::mem::take(&mut slot.used) {
                continue;
            }
            let victim = slot.key;
            self.slot_of.remove(&victim);
            self.vacate(self.hand);
        }
        if self.bytes + bytes > budget {
            return;
        }
        let fresh = Slot {
            key,
            entry: Some((value, bytes)),
            used: false,
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.slots[at] = fresh;
                at
            }
            None => {
                self.slots.push(fresh);
                self.slots.len() - 1
            }
        };
        self.slot_of.insert(key, at);
        self.bytes += bytes;
    }
}

/// Keys are spread by one multiplication, its high half folded into the low one (the table's
/// buckets come from the low bits, which a product alone takes from the key's low bits only:
/// `term << 32 | block` keys of different terms would share buckets). No need for SipHash's
/// resistance: keys come from the database, not from a caller choosing collisions.
#[derive(Debug, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, k: u64) {
        let h = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ h >> 32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_used_value_is_spared_once_and_the_budget_holds() {
        let mut c = ClockCache::default();
        for k in 0..4 {
            c.insert(k, k * 10, 10, 40);
        }
        assert_eq!(c.bytes(), 40);
        // The hand looks at 1 first: used, it is spared, and 2 goes.
        assert_eq!(c.get(1), Some(&mut 10));
        c.insert(4, 40, 10, 40);
        assert!(c.contains(1) && !c.contains(2) && c.contains(4));
        assert_eq!(c.bytes(), 40);
        // A value larger than the budget is not kept and evicts nothing.
        c.insert(9, 90, 41, 40);
        assert!(!c.contains(9));
        assert_eq!(c.bytes(), 40);
        // A key inserted again replaces its value; peek does not mark it used.
        c.insert(2, 21, 5, 40);
        assert_eq!(c.peek_mut(2), Some(&mut 21));
        assert_eq!(c.bytes(), 35);
        c.remove(2);
        c.remove(2);
        assert_eq!(c.bytes(), 30);
        // Freed places are reused.
        c.insert(5, 50, 10, 40);
        assert_eq!(c.slots.len(), 4);
        c.clear();
        assert_eq!((c.bytes(), c.get(0)), (0, None));
    }

    #[test]
    fn every_insertion_fits_the_budget() {
        let mut c = ClockCache::default();
        let mut x = 7u64;
        for _ in 0..10_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = x >> 54;
            if x & 1 == 0 {
                c.get(key);
            }
            c.insert(key, (), (x >> 40) as usize % 50 + 1, 1000);
            assert!(c.bytes() <= 1000);
            assert_eq!(
                c.bytes(),
                c.slots
                    .iter()
                    .filter_map(|s| s.entry.as_ref())
                    .map(|e| e.1)
                    .sum::<usize>()
            );
        }
    }
}
