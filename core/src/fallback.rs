//! Fallbacks for when the primary fails: a default value, and a
//! last-known-good store that serves a stale value, with its age, only while
//! the primary is failing and only up to a maximum age.
//!
//! [`LastKnownGood`] is a fixed-capacity table (capacity `N` chosen at
//! compile time): its memory is bounded whatever the number of keys. Its
//! entry count is bounded by `N` wherever it is read, so a table in memory
//! that something else overwrote (a C caller's stale object) is never read
//! out of bounds; its free slots are zero-filled from the start. Eviction rule: storing a new key into a full table replaces the
//! entry stored longest ago (least recently stored); entries older than the
//! maximum age are never served and are replaced first. It is owned by one
//! caller (`&mut self` to store); wrap it in your own lock to share it.
//!
//! ```
//! # use tickguard::time::Duration;
//! # use tickguard::time::Instant;
//! use tickguard::fallback::{LastKnownGood, Served};
//!
//! // 4 keys at most; values older than 10 000 ticks are not served.
//! let mut cache: LastKnownGood<u32, i32, 4> = LastKnownGood::new(Duration::from_ticks(10_000));
//! cache.store(7, 21, Instant::from_ticks(100)); // the primary answered 21 for key 7 at tick 100
//! // Later the primary fails: serve the last known good value, and its age.
//! assert_eq!(cache.serve(&7, Instant::from_ticks(2_100)), Some(Served { value: &21, age: Duration::from_ticks(2_000) }));
//! assert_eq!(cache.serve(&7, Instant::from_ticks(10_101)), None); // too oldDuration::froDuration::from_ticks(Durat)ion::from_ticks(Durat)ion::from_ticks(m_tic)ks()
//! assert_eq!(cache.serve(&8, Instant::from_ticks(2_100)), None); // never stored
//! ```

use core::mem::MaybeUninit;

use crate::snapshot::{fingerprint, Codec, Frame, SnapshotError, CHECKSUM_LEN, HEADER_LEN};
use crate::time::{Duration, Instant, Tick};

/// A value served by a fallback, with how old it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Served<'a, V> {
    /// The value.
    pub value: &'a V,
    /// Time since it was stored (0 for a default value).
    pub age: Duration,
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
    /// # use tickguard::time::Duration;
    /// let d = tickguard::fallback::DefaultValue::new(5);
    /// assert_eq!(d.serve().age, Duration::from_ticks(0));
    /// ```
    pub const fn serve(&self) -> Served<'_, V> {
        Served {
            value: &self.value,
            age: Duration::ZERO,
        }
    }
}

#[derive(Clone, Debug)]
struct Entry<K, V> {
    key: K,
    value: V,
    /// The tick past which the value is too old: stored + maximum age
    /// (saturating). Kept instead of the tick it was stored, so that a
    /// value stored before a reboot's tick 0 keeps its age in a snapshot.
    expires: Tick,
}

/// A fixed-capacity table of last known good values (see the module docs).
///
/// ```
/// # use tickguard::time::Duration;
/// # use tickguard::time::Instant;
/// use tickguard::fallback::LastKnownGood;
/// let mut cache: LastKnownGood<&str, u32, 2> = LastKnownGood::new(Duration::from_ticks(100));
/// cache.store("a", 1, Instant::from_ticks(0));
/// cache.store("b", 2, Instant::from_ticks(1));
/// cache.store("c", 3, Instant::from_ticks(2)); // full: "a", stored longest ago, goes
/// assert!(cache.serve(&"a", Instant::from_ticks(2)).is_none());
/// assert_eq!(cache.len(), 2);
/// ```
pub struct LastKnownGood<K, V, const N: usize> {
    /// The first `count` slots (at most `N`) hold entries.
    slots: [MaybeUninit<Entry<K, V>>; N],
    count: usize,
    max_age: Duration,
}

impl<K, V, const N: usize> LastKnownGood<K, V, N> {
    /// Entries held: `count`, bounded by the capacity.
    const fn held(&self) -> usize {
        if self.count < N {
            self.count
        } else {
            N
        }
    }

    /// The entries held.
    fn entries(&self) -> &[Entry<K, V>] {
        let held = self.slots.get(..self.held()).unwrap_or(&[]);
        // SAFETY: only `push` raises `count`, right after writing the slot
        // at the old count, and `forget` lowers it after moving the last
        // entry away; so the first `count` slots hold entries, and `held()`
        // never exceeds `N`. (Memory overwritten by a C caller still holds
        // initialised bytes: the slots are zero-filled by `new`.)
        // `MaybeUninit<T>` has the layout of `T`.
        unsafe { &*(core::ptr::from_ref(held) as *const [Entry<K, V>]) }
    }

    /// The entries held, mutably.
    fn entries_mut(&mut self) -> &mut [Entry<K, V>] {
        let held = self.held();
        let slots = self.slots.get_mut(..held).unwrap_or(&mut []);
        // SAFETY: as in `entries`.
        unsafe { &mut *(core::ptr::from_mut(slots) as *mut [Entry<K, V>]) }
    }

    /// Appends `entry` if there is room; gives it back otherwise.
    fn push(&mut self, entry: Entry<K, V>) -> Result<(), Entry<K, V>> {
        let held = self.held();
        match self.slots.get_mut(held) {
            Some(slot) => {
                slot.write(entry);
                self.count = held.saturating_add(1);
                Ok(())
            }
            None => Err(entry),
        }
    }
}

impl<K: Eq, V, const N: usize> LastKnownGood<K, V, N> {
    /// An empty table whose values are served up to `max_age` ticks after
    /// they were stored.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// let cache: tickguard::fallback::LastKnownGood<u8, u8, 8> =
    ///     tickguard::fallback::LastKnownGood::new(Duration::from_ticks(1_000));
    /// assert!(cache.is_empty());
    /// ```
    #[must_use]
    pub const fn new(max_age: Duration) -> Self {
        Self {
            slots: [const { MaybeUninit::zeroed() }; N],
            count: 0,
            max_age,
        }
    }

    /// Stores `value` for `key`, fresh at `now` (the primary just answered).
    /// Replaces the key's previous value; in a full table, replaces the entry
    /// stored longest ago.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::time::Instant;
    /// let mut cache: tickguard::fallback::LastKnownGood<u8, u8, 1> =
    ///     tickguard::fallback::LastKnownGood::new(Duration::from_ticks(10));
    /// cache.store(1, 10, Instant::from_ticks(0));
    /// cache.store(1, 11, Instant::from_ticks(5));
    /// assert_eq!(cache.serve(&1, Instant::from_ticks(5)).unwrap().value, &11);
    /// ```
    pub fn store(&mut self, key: K, value: V, now: Instant) {
        let expires = now.ticks().saturating_add(self.max_age.ticks());
        if let Some(entry) = self.entries_mut().iter_mut().find(|e| e.key == key) {
            entry.value = value;
            entry.expires = expires;
            return;
        }
        let entry = Entry {
            key,
            value,
            expires,
        };
        if let Err(entry) = self.push(entry) {
            // Full: replace the entry stored longest ago (the first to
            // expire).
            if let Some(oldest) = self.entries_mut().iter_mut().min_by_key(|e| e.expires) {
                *oldest = entry;
            }
        }
    }

    /// The last known good value of `key` and its age at `now`, if one was
    /// stored no more than the maximum age ago. Call it when the primary
    /// fails. A `now` before the value was stored reads as age 0.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::time::Instant;
    /// let mut cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(Duration::from_ticks(10));
    /// cache.store(1, 10, Instant::from_ticks(100));
    /// assert_eq!(cache.serve(&1, Instant::from_ticks(110)).unwrap().age, Duration::from_ticks(10));
    /// assert!(cache.serve(&1, Instant::from_ticks(111)).is_none());
    /// ```
    pub fn serve(&self, key: &K, now: Instant) -> Option<Served<'_, V>> {
        let now = now.ticks();
        let entry = self.entries().iter().find(|e| e.key == *key)?;
        // stored = expires − max_age; the age is now − stored, 0 before it.
        let age = now
            .saturating_add(self.max_age.ticks())
            .saturating_sub(entry.expires);
        let age = Duration::from_ticks(age);
        (age <= self.max_age).then_some(Served {
            value: &entry.value,
            age,
        })
    }

    /// Forgets `key`'s value.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::time::Instant;
    /// let mut cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(Duration::from_ticks(10));
    /// cache.store(1, 10, Instant::from_ticks(0));
    /// cache.forget(&1);
    /// assert!(cache.serve(&1, Instant::from_ticks(0)).is_none());
    /// ```
    pub fn forget(&mut self, key: &K) {
        let entries = self.entries_mut();
        let Some(i) = entries.iter().position(|e| e.key == *key) else {
            return;
        };
        let last = entries.len().saturating_sub(1);
        entries.swap(i, last);
        self.count = last;
        if let Some(slot) = self.slots.get_mut(last) {
            // SAFETY: the slot held an entry (it was the last of those
            // held) and is no longer counted, so it is dropped exactly once.
            unsafe { slot.assume_init_drop() };
        }
    }

    /// Entries held (served or too old).
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// let cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(Duration::from_ticks(10));
    /// assert_eq!(cache.len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.held()
    }

    /// Whether no entry is held.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// let cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(Duration::from_ticks(10));
    /// assert!(cache.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.held() == 0
    }

    /// The maximum age of a served value.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// let cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(Duration::from_ticks(10));
    /// assert_eq!(cache.max_age(), Duration::from_ticks(10));
    /// ```
    #[must_use]
    pub const fn max_age(&self) -> Duration {
        self.max_age
    }
}

impl<K, V, const N: usize> LastKnownGood<K, V, N> {
    /// Forgets every value.
    ///
    /// ```
    /// # use tickguard::time::{Duration, Instant};
    /// let mut cache: tickguard::fallback::LastKnownGood<u8, u8, 2> =
    ///     tickguard::fallback::LastKnownGood::new(Duration::from_ticks(10));
    /// cache.store(1, 10, Instant::ZERO);
    /// cache.clear();
    /// assert!(cache.is_empty());
    /// ```
    pub fn clear(&mut self) {
        let held = self.held();
        self.count = 0;
        for slot in self.slots.get_mut(..held).unwrap_or(&mut []) {
            // SAFETY: the first `held` slots held entries (see `entries`)
            // and are no longer counted, so each is dropped exactly once.
            unsafe { slot.assume_init_drop() };
        }
    }
}

/// The kind byte of a last-known-good store's snapshot.
pub(crate) const SNAPSHOT_KIND: u8 = 5;

impl<K: Eq + Codec, V: Codec, const N: usize> LastKnownGood<K, V, N> {
    /// Bytes of this table's snapshot ([`save`](Self::save)): the format's
    /// header and checksum around a count and `N` entries (key, value, the
    /// tick it expires at, relative to the snapshot's tick).
    pub const SNAPSHOT_LEN: usize = HEADER_LEN
        .saturating_add(4)
        .saturating_add(N.saturating_mul(K::LEN.saturating_add(V::LEN).saturating_add(8)))
        .saturating_add(CHECKSUM_LEN);

    /// The snapshot format around this table: its kind, the fingerprint of
    /// its shape and maximum age, its length.
    fn frame(&self) -> Frame {
        let max_age = self.max_age.ticks();
        Frame {
            kind: SNAPSHOT_KIND,
            fingerprint: fingerprint(|fields| {
                fields.u64(max_age);
                fields.u64(N as u64);
                fields.u64(K::LEN as u64);
                fields.u64(V::LEN as u64);
            }),
            len: Self::SNAPSHOT_LEN,
        }
    }

    /// Saves the values with their ages at `now` into the start of `out`
    /// ([`SNAPSHOT_LEN`](Self::SNAPSHOT_LEN) bytes), to restore after a
    /// reboot (data recovery for the values themselves).
    ///
    /// ```
    /// use tickguard::fallback::LastKnownGood;
    /// use tickguard::time::{Duration, Instant};
    /// type Cache = LastKnownGood<u16, f32, 4>;
    /// let mut cache = Cache::new(Duration::from_ticks(60_000));
    /// cache.store(7, 21.5, Instant::from_ticks(1_000_000));
    /// let mut flash = [0u8; Cache::SNAPSHOT_LEN];
    /// cache.save(Instant::from_ticks(1_000_500), &mut flash).unwrap();
    ///
    /// let mut rebooted = Cache::new(Duration::from_ticks(60_000));
    /// rebooted.restore(&flash, Instant::ZERO).unwrap();
    /// let served = rebooted.serve(&7, Instant::from_ticks(100)).unwrap();
    /// assert_eq!((*served.value, served.age), (21.5, Duration::from_ticks(600)));
    /// ```
    pub fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        let entries = self.entries();
        self.frame().save(now, out, |fields| {
            fields.u32(u32::try_from(entries.len()).unwrap_or(u32::MAX));
            for entry in entries {
                entry.key.save(fields);
                entry.value.save(fields);
                fields.tick(entry.expires);
            }
        })
    }

    /// Replaces the values with those `bytes` saved, their ages carried
    /// over to `now` (values that expired before tick 0 of the restoring
    /// run are left out); on any error the table is left empty.
    ///
    /// ```
    /// use tickguard::fallback::LastKnownGood;
    /// use tickguard::snapshot::SnapshotError;
    /// use tickguard::time::{Duration, Instant};
    /// let mut cache: LastKnownGood<u8, u8, 2> = LastKnownGood::new(Duration::from_ticks(5));
    /// cache.store(1, 1, Instant::ZERO);
    /// assert_eq!(cache.restore(&[0; 3], Instant::ZERO), Err(SnapshotError::Truncated));
    /// assert!(cache.is_empty());
    /// ```
    pub fn restore(&mut self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        self.clear();
        let frame = self.frame();
        let restored = frame.restore(bytes, now, |fields| {
            let count = usize::try_from(fields.read_u32()).ok()?;
            if count > N {
                return None;
            }
            for _ in 0..count {
                let key = K::restore(fields)?;
                let value = V::restore(fields)?;
                let expires = fields.read_tick_in_range();
                if self.entries().iter().any(|entry| entry.key == key) {
                    return None;
                }
                if let Some(expires) = expires {
                    self.push(Entry {
                        key,
                        value,
                        expires,
                    })
                    .ok()?;
                }
            }
            Some(())
        });
        if restored.is_err() {
            self.clear();
        }
        restored
    }
}

impl<K, V, const N: usize> Drop for LastKnownGood<K, V, N> {
    fn drop(&mut self) {
        let entries: *mut [Entry<K, V>] = self.entries_mut();
        // SAFETY: the entries held are initialised (see `entries`) and are
        // dropped once, here, as the table goes.
        unsafe { core::ptr::drop_in_place(entries) };
    }
}

impl<K: Clone, V: Clone, const N: usize> Clone for LastKnownGood<K, V, N> {
    fn clone(&self) -> Self {
        let mut copy = Self {
            slots: [const { MaybeUninit::zeroed() }; N],
            count: 0,
            max_age: self.max_age,
        };
        for entry in self.entries() {
            // Room for every entry: both tables have capacity N.
            let _ = copy.push(entry.clone());
        }
        copy
    }
}

impl<K: core::fmt::Debug, V: core::fmt::Debug, const N: usize> core::fmt::Debug
    for LastKnownGood<K, V, N>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LastKnownGood")
            .field("entries", &self.entries())
            .field("max_age", &self.max_age)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::time::testing::{span, tick};
    use proptest::prelude::*;

    #[test]
    fn eviction_replaces_the_entry_stored_longest_ago() {
        let mut cache: LastKnownGood<u32, u32, 3> = LastKnownGood::new(span(1_000));
        cache.store(1, 1, tick(10));
        cache.store(2, 2, tick(20));
        cache.store(3, 3, tick(30));
        cache.store(1, 11, tick(40)); // refreshes 1: now 2 is the oldest
        cache.store(4, 4, tick(50));
        assert!(cache.serve(&2, tick(50)).is_none());
        assert_eq!(cache.serve(&1, tick(50)).map(|s| *s.value), Some(11));
        assert_eq!(cache.serve(&4, tick(50)).map(|s| s.age), Some(span(0)));
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn every_value_is_dropped_exactly_once() {
        use std::rc::Rc;
        let value = Rc::new(());
        {
            let mut cache: LastKnownGood<u8, Rc<()>, 3> = LastKnownGood::new(span(10));
            for key in 0..10u8 {
                cache.store(key % 5, Rc::clone(&value), tick(u64::from(key)));
                if key % 3 == 0 {
                    cache.forget(&(key % 5));
                }
            }
            assert_eq!(Rc::strong_count(&value), 1 + cache.len());
            let copy = cache.clone();
            assert_eq!(Rc::strong_count(&value), 1 + 2 * cache.len());
            assert_eq!(format!("{copy:?}").matches("key").count(), copy.len());
        }
        assert_eq!(Rc::strong_count(&value), 1);
    }

    #[test]
    fn an_overwritten_count_is_bounded_by_the_capacity() {
        // What a C caller's stale object may hold: a count past the slots.
        for count in [3, 4, 1 << 20, usize::MAX] {
            let mut cache: LastKnownGood<u32, u64, 3> = LastKnownGood::new(span(10));
            cache.store(7, 70, tick(0));
            cache.count = count;
            assert_eq!(cache.len(), 3);
            assert_eq!(cache.serve(&7, tick(1)).map(|s| *s.value), Some(70));
            assert!(cache.serve(&9, tick(1)).is_none()); // zero-filled slots
            cache.store(9, 90, tick(2));
            assert_eq!(cache.serve(&9, tick(2)).map(|s| *s.value), Some(90));
            cache.forget(&9);
            assert_eq!(cache.len(), 2);
            assert!(cache.serve(&9, tick(2)).is_none());
        }
    }

    proptest! {
        /// Bounded memory whatever the keys; a value is served only if it is
        /// the latest stored for its key and no older than the maximum age;
        /// a forgotten key is not served.
        #[test]
        #[cfg_attr(miri, ignore = "proptest reads the file system; the unit tests cover the unsafe code")]
        fn serves_only_fresh_enough_latest_values(
            ops in proptest::collection::vec((0u8..20, any::<u16>(), 0u64..50, 0u8..5), 1..300),
        ) {
            let mut cache: LastKnownGood<u8, u16, 5> = LastKnownGood::new(span(100));
            let mut latest: std::collections::HashMap<u8, (u16, u64)> = Default::default();
            let mut now = 0u64;
            for (key, value, dt, op) in ops {
                now += dt;
                if op == 0 {
                    cache.forget(&key);
                    latest.remove(&key);
                    prop_assert!(cache.serve(&key, tick(now)).is_none());
                } else if op <= 2 {
                    cache.store(key, value, tick(now));
                    latest.insert(key, (value, now));
                } else if let Some(served) = cache.serve(&key, tick(now)) {
                    let (v, at) = latest[&key];
                    prop_assert_eq!(*served.value, v);
                    prop_assert_eq!(served.age, span(now - at));
                    prop_assert!(served.age <= span(100));
                }
                prop_assert!(cache.len() <= 5);
            }
        }
    }
}
