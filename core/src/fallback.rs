//! Fallbacks for when the primary fails: a default value, and a
//! last-known-good store that serves a stale value, with its age, only while
//! the primary is failing and only up to a maximum age.
//!
//! [`LastKnownGood`] is a fixed-capacity table (a `heapless::Vec`, capacity
//! `N` chosen at compile time): its memory is bounded whatever the number of
//! keys. Eviction rule: storing a new key into a full table replaces the
//! entry stored longest ago (least recently stored); entries older than the
//! maximum age are never served and are replaced first. It is owned by one
//! caller (`&mut self` to store); wrap it in your own lock to share it.
//!
//! ```
//! use tickguard::fallback::{LastKnownGood, Served};
//!
//! // 4 keys at most; values older than 10 000 ticks are not served.
//! let mut cache: LastKnownGood<u32, i32, 4> = LastKnownGood::new(10_000);
//! cache.store(7, 21, 100); // the primary answered 21 for key 7 at tick 100
//! // Later the primary fails: serve the last known good value, and its age.
//! assert_eq!(cache.serve(&7, 2_100), Some(Served { value: &21, age: 2_000 }));
//! assert_eq!(cache.serve(&7, 10_101), None); // too old
//! assert_eq!(cache.serve(&8, 2_100), None); // never stored
//! ```

use crate::time::Tick;

/// A value served by a fallback, with how old it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Served<'a, V> {
    /// The value.
    pub value: &'a V,
    /// Ticks since it was stored (0 for a default value).
    pub age: Tick,
}

/// A fallback that always serves a caller-supplied constant.
///
/// ```
/// use tickguard::fallback::DefaultValue;
/// static EMPTY_LIST: DefaultValue<&[u32]> = DefaultValue::new(&[]);
/// let result: Result<&[u32], ()> = Err(());
/// assert_eq!(result.unwrap_or(*EMPTY_LIST.value()), &[] as &[u32]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultValue<V> {
    value: V,
}

impl<V> DefaultValue<V> {
    /// A fallback serving `value`.
    ///
    /// ```
    /// assert_eq!(*tickguard::fallback::DefaultValue::new(0u8).value(), 0);
    /// ```
    #[must_use]
    pub const fn new(value: V) -> Self {
        Self { value }
    }

    /// The value.
    ///
    /// ```
    /// assert_eq!(*tickguard::fallback::DefaultValue::new("n/a").value(), "n/a");
    /// ```
    #[must_use]
    pub const fn value(&self) -> &V {
        &self.value
    }

    /// The value as served (age 0).
    ///
    /// ```
    /// let d = tickguard::fallback::DefaultValue::new(5);
    /// assert_eq!(d.serve().age, 0);
    /// ```
    pub const fn serve(&self) -> Served<'_, V> {
        Served {
            value: &self.value,
            age: 0,
        }
    }
}

#[derive(Clone, Debug)]
struct Entry<K, V> {
    key: K,
    value: V,
    stored: Tick,
}

/// A fixed-capacity table of last known good values (see the module docs).
///
/// ```
/// use tickguard::fallback::LastKnownGood;
/// let mut cache: LastKnownGood<&str, u32, 2> = LastKnownGood::new(100);
/// cache.store("a", 1, 0);
/// cache.store("b", 2, 1);
/// cache.store("c", 3, 2); // full: "a", stored longest ago, goes
/// assert!(cache.serve(&"a", 2).is_none());
/// assert_eq!(cache.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct LastKnownGood<K, V, const N: usize> {
    entries: heapless::Vec<Entry<K, V>, N>,
    max_age: Tick,
}

impl<K: Eq, V, const N: usize> LastKnownGood<K, V, N> {
    /// An empty table whose values are served up to `max_age` ticks after
    /// they were stored.
    ///
    /// ```
    /// let cache: tickguard::fallback::LastKnownGood<u8, u8, 8> =
    ///     tickguard::fallback::LastKnownGood::new(1_000);
    /// assert!(cache.is_empty());
    /// ```
    #[must_use]
    pub const fn new(max_age: Tick) -> Self {
        Self {
            entries: heapless::Vec::new(),
            max_age,
        }
    }

    /// Stores `value` for `key`, fresh at `now` (the primary just answered).
    /// Replaces the key's previous value; in a full table, replaces the entry
    /// stored longest ago.
    ///
    /// ```
    /// let mut cache: tickguard::fallback::LastKnownGood<u8, u8, 1> =
    ///     tickguard::fallback::LastKnownGood::new(10);
    /// cache.store(1, 10, 0);
    /// cache.store(1, 11, 5);
    /// assert_eq!(cache.serve(&1, 5).unwrap().value, &11);
    /// ```
    pub fn store(&mut self, key: K, value: V, now: Tick) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.key == key) {
            entry.value = value;
            entry.stored = now;
            return;
        }
        let entry = Entry {
            key,
            value,
            stored: now,
        };
        if let Err(entry) = self.entries.push(entry) {
            // Full: replace the entry stored longest ago.
            if let Some(oldest) = self.entries.iter_mut().min_by_key(|e| e.stored) {
                *oldest = entry;
            }
        }
    }

    /// The last known good value of `key` and its age at `now`, if one was
    /// stored no more than the maximum age ago. Call it when the primary
    /// fails. A `now` before the value was stored reads as age 0.
    ///
    /// ```
    /// let mut cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(10);
    /// cache.store(1, 10, 100);
    /// assert_eq!(cache.serve(&1, 110).unwrap().age, 10);
    /// assert!(cache.serve(&1, 111).is_none());
    /// ```
    pub fn serve(&self, key: &K, now: Tick) -> Option<Served<'_, V>> {
        let entry = self.entries.iter().find(|e| e.key == *key)?;
        let age = now.saturating_sub(entry.stored);
        (age <= self.max_age).then_some(Served {
            value: &entry.value,
            age,
        })
    }

    /// Forgets `key`'s value.
    ///
    /// ```
    /// let mut cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(10);
    /// cache.store(1, 10, 0);
    /// cache.forget(&1);
    /// assert!(cache.serve(&1, 0).is_none());
    /// ```
    pub fn forget(&mut self, key: &K) {
        if let Some(i) = self.entries.iter().position(|e| e.key == *key) {
            self.entries.swap_remove(i);
        }
    }

    /// Entries held (served or too old).
    ///
    /// ```
    /// let cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(10);
    /// assert_eq!(cache.len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    ///
    /// ```
    /// let cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(10);
    /// assert!(cache.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The maximum age of a served value.
    ///
    /// ```
    /// let cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(10);
    /// assert_eq!(cache.max_age(), 10);
    /// ```
    #[must_use]
    pub const fn max_age(&self) -> Tick {
        self.max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn eviction_replaces_the_entry_stored_longest_ago() {
        let mut cache: LastKnownGood<u32, u32, 3> = LastKnownGood::new(1_000);
        cache.store(1, 1, 10);
        cache.store(2, 2, 20);
        cache.store(3, 3, 30);
        cache.store(1, 11, 40); // refreshes 1: now 2 is the oldest
        cache.store(4, 4, 50);
        assert!(cache.serve(&2, 50).is_none());
        assert_eq!(cache.serve(&1, 50).map(|s| *s.value), Some(11));
        assert_eq!(cache.serve(&4, 50).map(|s| s.age), Some(0));
        assert_eq!(cache.len(), 3);
    }

    proptest! {
        /// Bounded memory whatever the keys; a value is served only if it is
        /// the latest stored for its key and no older than the maximum age.
        #[test]
        fn serves_only_fresh_enough_latest_values(
            ops in proptest::collection::vec((0u8..20, any::<u16>(), 0u64..50, any::<bool>()), 1..300),
        ) {
            let mut cache: LastKnownGood<u8, u16, 5> = LastKnownGood::new(100);
            let mut latest: std::collections::HashMap<u8, (u16, u64)> = Default::default();
            let mut now = 0u64;
            for (key, value, dt, store) in ops {
                now += dt;
                if store {
                    cache.store(key, value, now);
                    latest.insert(key, (value, now));
                } else if let Some(served) = cache.serve(&key, now) {
                    let (v, at) = latest[&key];
                    prop_assert_eq!(*served.value, v);
                    prop_assert_eq!(served.age, now - at);
                    prop_assert!(served.age <= 100);
                }
                prop_assert!(cache.len() <= 5);
            }
        }
    }
}
