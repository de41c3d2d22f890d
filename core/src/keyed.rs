//! Keyed token buckets and sliding windows: one limit per client address,
//! device or user, in a fixed table of `N` entries chosen at compile time,
//! so memory is bounded whatever keys arrive (governor's keyed limiter
//! grows until `retain_recent` is called). What follows describes the
//! buckets ([`KeyedBuckets`]); [`KeyedWindows`] keeps a sliding-window
//! counter per key in the same entries, with the same rule (an entry is
//! free once its key's windows hold no event). [`LiveKeyedBuckets`] are the
//! same buckets under a configuration that `reconfigure` replaces while
//! callers use them, carrying every key's tokens ([`LiveKeyedTable`] says
//! how); [`Table`] is what every table does.
//!
//! # The table
//!
//! Each entry is one 128-bit word: a 32-bit fingerprint of its key and the
//! key's token bucket (its arrival time, in the 96 bits a bucket of any
//! rate needs below the horizon). A key is hashed with SipHash-1-3 under a
//! 128-bit seed the caller supplies (from a random source at start-up:
//! clients choosing their own keys cannot then aim two keys at one entry);
//! the hash names the key's one entry (`hash × N / 2^32` of its low half)
//! and its fingerprint (its high half). A key lives in that entry only, so
//! it can never have two buckets, and every operation on it is one step of
//! the bucket's machine on that one word (one compare-and-swap: no lock
//! anywhere, safe from threads and interrupt handlers).
//!
//! # When the table is full: the eviction rule
//!
//! A new key takes its entry when the entry is empty or its occupant's
//! bucket is back at full capacity at the caller's `now`: such an entry is
//! as good as absent, because a key that returns after losing it starts as
//! new (with its initial fill, never more tokens than it had). An entry
//! whose occupant is still limiting is **never evicted**: the new key is
//! refused with [`Refused::TableFull`], naming the tick at which the
//! occupant will be full again. So each key's bound is exactly its
//! bucket's: at most capacity plus refill over any interval of its own
//! timeline, whatever other keys do. Size the table a few times the number
//! of keys that limit at once: with `m` of them in `N` entries, a new key
//! finds its entry held with probability about `m / N`.
//!
//! Two distinct keys share a bucket only if they name the same entry and
//! have the same 32-bit fingerprint: for `m` keys at once, about `m² /
//! (2 × N × 2^32)` pairs (for 100 000 keys in 131 072 entries, one pair in
//! about 10^5 runs), and with a secret seed nobody can choose them.
//!
//! ```
//! use tickguard::bucket::{BucketConfig, BucketSettings};
//! use tickguard::keyed::{KeyedBuckets, Refused};
//! use tickguard::time::{Duration, Instant};
//!
//! // Per client: a burst of 2, then 1 request per 100 ticks; 64 entries.
//! static PER_CLIENT: BucketConfig = match BucketConfig::new(BucketSettings {
//!     capacity: 2,
//!     tokens: 1,
//!     period: Duration::from_ticks(100),
//!     initial_fill: None,
//! }) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid limit"),
//! };
//! static CLIENTS: KeyedBuckets<64> = KeyedBuckets::new(&PER_CLIENT, [0x5eed, 0xcafe]);
//!
//! let at = Instant::from_ticks;
//! let alice = [10u8, 0, 0, 7]; // an IPv4 address
//! assert!(CLIENTS.acquire(&alice, 2, at(0)).is_ok());
//! assert_eq!(CLIENTS.acquire(&alice, 1, at(0)), Err(Refused::Wait { retry_at: at(100) }));
//! assert!(CLIENTS.acquire(&[10u8, 0, 0, 8], 1, at(0)).is_ok()); // another client, its own limit
//! ```

mod siphash;

use core::hash::{Hash, Hasher};

use crate::bucket::{ticks_of_units, BucketConfig, Units};
use crate::cell::StateCell;
use crate::live::Source;
use crate::machine::{Input, Machine, Step};
use crate::sliding_window::SlidingWindowConfig;
use crate::snapshot::{Records, Snapshot, SnapshotError, CHECKSUM_LEN, HEADER_LEN};
use crate::time::{Instant, Tick};

/// Why [`KeyedBuckets::acquire`] did not take the tokens.
///
/// ```
/// use tickguard::keyed::Refused;
/// use tickguard::time::Instant;
/// let full = Refused::TableFull { retry_at: Instant::from_ticks(900) };
/// assert_eq!(full.retry_at(), Some(Instant::from_ticks(900)));
/// assert_eq!(full.to_string(), "table full: the key's entry is limiting another key until tick 900");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Refused {
    /// The key's bucket has too few tokens; at `retry_at` it will have them.
    Wait {
        /// The earliest tick the request can succeed.
        retry_at: Instant,
    },
    /// More tokens than the capacity: this request can never succeed.
    ExceedsCapacity,
    /// The key's entry holds another key that is still limiting: the new
    /// key is refused rather than that one evicted. At `retry_at` the
    /// occupant's bucket is full again and the entry can be taken (if it
    /// is not used meanwhile).
    TableFull {
        /// When the occupant will be back at full capacity.
        retry_at: Instant,
    },
}

impl Refused {
    /// The tick to retry at, if the request can ever succeed.
    ///
    /// ```
    /// assert_eq!(tickguard::keyed::Refused::ExceedsCapacity.retry_at(), None);
    /// ```
    #[must_use]
    pub const fn retry_at(&self) -> Option<Instant> {
        match *self {
            Self::Wait { retry_at } | Self::TableFull { retry_at } => Some(retry_at),
            Self::ExceedsCapacity => None,
        }
    }
}

impl core::fmt::Display for Refused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Wait { retry_at } => write!(f, "rate limited: retry at {retry_at}"),
            Self::ExceedsCapacity => f.write_str("request exceeds the bucket's capacity"),
            Self::TableFull { retry_at } => write!(
                f,
                "table full: the key's entry is limiting another key until {retry_at}"
            ),
        }
    }
}

impl core::error::Error for Refused {}

impl From<crate::bucket::Refused> for Refused {
    fn from(refused: crate::bucket::Refused) -> Self {
        match refused {
            crate::bucket::Refused::Wait { retry_at } => Self::Wait { retry_at },
            crate::bucket::Refused::ExceedsCapacity => Self::ExceedsCapacity,
        }
    }
}

/// What [`KeyedBuckets::acquire`] decides.
pub type Decision = Result<(), Refused>;

/// A key as the table sees it: its entry and its fingerprint (never 0,
/// which marks an empty entry).
///
/// ```
/// use tickguard::keyed::KeyRef;
/// let key = KeyRef::of(&42u64, [1, 2], 1_024);
/// assert!(key.entry() < 1_024);
/// assert_eq!(key, KeyRef::of(&42u64, [1, 2], 1_024));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyRef {
    entry: usize,
    fingerprint: u32,
}

impl KeyRef {
    /// Hashes `key` under `seed` for a table of `entries` entries (at least
    /// 1, at most 2^32).
    #[must_use]
    pub fn of<K: Hash + ?Sized>(key: &K, seed: [u64; 2], entries: usize) -> Self {
        let mut hasher = siphash::SipHasher13::new(seed);
        key.hash(&mut hasher);
        Self::from_hash(hasher.finish(), entries)
    }

    /// The same, for a key given as bytes (the C ABI's byte keys; a Rust
    /// `&[u8]` key hashes its length too, so it names another entry).
    #[must_use]
    pub fn of_bytes(bytes: &[u8], seed: [u64; 2], entries: usize) -> Self {
        let mut hasher = siphash::SipHasher13::new(seed);
        hasher.write(bytes);
        Self::from_hash(hasher.finish(), entries)
    }

    fn from_hash(hash: u64, entries: usize) -> Self {
        let scaled = u64::from(hash as u32).wrapping_mul(entries as u64) >> 32;
        Self {
            entry: usize::try_from(scaled).unwrap_or(0),
            fingerprint: ((hash >> 32) as u32).max(1),
        }
    }

    /// The entry the key lives in.
    #[must_use]
    pub const fn entry(&self) -> usize {
        self.entry
    }
}

/// The largest arrival time an entry holds (96 bits).
const TAT_MAX: u128 = (1 << 96) - 1;

const fn pack(fingerprint: u32, tat: u128) -> u128 {
    ((fingerprint as u128) << 96) | (tat & TAT_MAX)
}

const fn unpack(word: u128) -> (u32, u128) {
    ((word >> 96) as u32, word & TAT_MAX)
}

/// `⌈units / units_per_tick⌉` ticks, in the word's width (no 128-bit
/// division for the 64-bit word).
fn ticks_of<W: Units>(units: W, units_per_tick: u32) -> Tick {
    if W::NARROW {
        let floor = units.quotient(u64::from(units_per_tick)).unwrap_or(W::MAX);
        let whole = floor.saturating_ticks();
        let exact = floor.widen().saturating_mul(u128::from(units_per_tick)) == units.widen();
        if exact {
            whole
        } else {
            whole.saturating_add(1)
        }
    } else {
        ticks_of_units(units.widen(), units_per_tick)
    }
}

/// One entry's machine: what every key keeps (a bucket or a sliding-window
/// configuration); its word a key's fingerprint and state.
#[derive(Debug)]
struct EntryMachine<'a, L>(&'a L);

impl<L> Machine for EntryMachine<'_, L> {
    type Word = u128;

    fn fresh(&self) -> u128 {
        0
    }
}

/// What a keyed table keeps per key: a token bucket ([`BucketConfig`],
/// [`KeyedBuckets`]) or a sliding-window counter ([`SlidingWindowConfig`],
/// [`KeyedWindows`]), in the 96 bits of an entry beside the fingerprint.
///
/// ```
/// fn per_key<L: tickguard::keyed::PerKey>(_: &L) {}
/// per_key(&tickguard::bucket::BucketConfig::DEFAULT);
/// per_key(&tickguard::sliding_window::SlidingWindowConfig::DEFAULT);
/// ```
pub trait PerKey: sealed::PerKey {}

impl PerKey for BucketConfig {}
impl PerKey for SlidingWindowConfig {}

mod sealed {
    use super::{Decision, Step, Tick};

    /// Seals [`super::Table`].
    pub trait Table {}

    use crate::snapshot::Format;

    /// The state machine of one entry, for each kind of per-key state.
    pub trait PerKey: Copy + Format + crate::machine::Machine<Word = u128> {
        /// The step of `n` units for the key `fingerprint` at `now` on an
        /// entry's word: its state if the entry is the key's, a new key's
        /// if the entry is free, or a full-table refusal.
        fn take(&self, word: u128, fingerprint: u32, n: u32, now: Tick) -> Step<u128, Decision>;
        /// Whether the entry can be given to another key at `now`: empty,
        /// or its state back to a new key's.
        fn is_free(&self, word: u128, now: Tick) -> bool;
        /// What the key `fingerprint` could take at `now` from this entry.
        fn available(&self, word: u128, fingerprint: u32, now: Tick) -> u32;
        /// The snapshot kind of a table of this kind.
        const TABLE_KIND: u8;
        /// An entry's key fingerprint and its state as the single limiter
        /// keeps it (the word its [`Format`] saves); `None` for an entry
        /// with no key.
        fn saved(&self, word: u128) -> Option<(u32, u128)>;
        /// The entry of key `fingerprint` (not 0) with the single limiter's
        /// state `state` (as its [`Format`] restores it), or `None` if that
        /// state does not fit an entry.
        fn entry(&self, fingerprint: u32, state: u128) -> Option<u128>;
    }
}

/// Whether an entry can be given to another key at `now`: empty, never
/// used, or its bucket full again.
fn is_free(config: &BucketConfig, word: u128, now: Tick) -> bool {
    if config.is_narrow() {
        is_free_in::<u64>(config, word, now)
    } else {
        is_free_in::<u128>(config, word, now)
    }
}

/// [`is_free`] in the bucket word's width.
#[inline]
fn is_free_in<W: Units>(config: &BucketConfig, word: u128, now: Tick) -> bool {
    let (fingerprint, tat) = unpack(word);
    is_free_at(
        fingerprint,
        W::of(tat),
        W::scaled(now, config.units_per_tick()),
    )
}

/// The one rule of [`is_free`]: an entry with no key, a bucket never used,
/// or an arrival time at or before `units` (`now` in the bucket's units).
#[inline]
fn is_free_at<W: Units>(fingerprint: u32, tat: W, units: W) -> bool {
    fingerprint == 0 || tat == W::ZERO || tat <= units
}

/// The tokens in an entry's bucket at `now` (`tat` 0: a new key's).
fn available(config: &BucketConfig, tat: u128, now: Tick) -> u32 {
    if config.is_narrow() {
        config.available(u64::try_from(tat).unwrap_or(u64::MAX), now)
    } else {
        config.available(tat, now)
    }
}

impl sealed::PerKey for BucketConfig {
    #[inline]
    fn take(&self, word: u128, fingerprint: u32, n: u32, now: Tick) -> Step<u128, Decision> {
        Take {
            fingerprint,
            n,
            now,
        }
        .decide(self, word)
    }

    fn is_free(&self, word: u128, now: Tick) -> bool {
        is_free(self, word, now)
    }

    fn available(&self, word: u128, fingerprint: u32, now: Tick) -> u32 {
        let (held_by, tat) = unpack(word);
        if held_by == fingerprint {
            available(self, tat, now)
        } else if is_free(self, word, now) {
            available(self, 0, now)
        } else {
            0
        }
    }

    const TABLE_KIND: u8 = 11;

    fn saved(&self, word: u128) -> Option<(u32, u128)> {
        let (fingerprint, tat) = unpack(word);
        (fingerprint != 0).then_some((fingerprint, tat))
    }

    fn entry(&self, fingerprint: u32, tat: u128) -> Option<u128> {
        (tat <= TAT_MAX).then_some(pack(fingerprint, tat))
    }
}

/// `n` units for the key `fingerprint` at `now`, on its entry.
#[derive(Clone, Copy, Debug)]
struct Take {
    fingerprint: u32,
    n: u32,
    now: Tick,
}

impl Take {
    /// `n` units for `key` at `now`, and the key's entry in `entries` (a
    /// key of a table of another size, whose entry is not there, can never
    /// be served).
    fn located(
        entries: &[Entry],
        key: KeyRef,
        n: u32,
        now: Instant,
    ) -> Result<(&Entry, Self), Refused> {
        let entry = entries.get(key.entry).ok_or(Refused::ExceedsCapacity)?;
        let take = Self {
            fingerprint: key.fingerprint,
            n,
            now: now.ticks(),
        };
        Ok((entry, take))
    }

    /// The step on an entry, in the bucket word's width: 64-bit arithmetic
    /// for the rates whose arrival time fits it (most, and every one on a
    /// microcontroller's budget), 128-bit otherwise.
    #[inline]
    fn decide(&self, config: &BucketConfig, word: u128) -> Step<u128, Decision> {
        if config.is_narrow() {
            self.decide_in::<u64>(config, word)
        } else {
            self.decide_in::<u128>(config, word)
        }
    }

    #[inline]
    fn decide_in<W: Units>(&self, config: &BucketConfig, word: u128) -> Step<u128, Decision> {
        let request = match config.request::<W, false>(self.n, self.now) {
            Ok(request) => request,
            Err(decision) => return Step::Keep(decision.map_err(Refused::from)),
        };
        let (fingerprint, tat) = unpack(word);
        // A narrow configuration's arrival time fits 64 bits below the
        // horizon; a garbage one saturates, which refuses.
        let tat = W::of(tat);
        let ours = fingerprint == self.fingerprint;
        let free = is_free_at(fingerprint, tat, request.units());
        if !ours && !free {
            let retry_at = ticks_of(tat, config.units_per_tick());
            return Step::Keep(Err(Refused::TableFull {
                retry_at: Instant::from_ticks(retry_at),
            }));
        }
        // A free entry is the new key's, as if never used.
        let current = if ours { tat } else { W::ZERO };
        match request.decide(current) {
            Step::Keep(decision) => Step::Keep(decision.map_err(Refused::from)),
            Step::Write(next, _) if next.widen() > TAT_MAX => Step::Keep(Err(Refused::Wait {
                retry_at: Instant::MAX,
            })),
            Step::Write(next, decision) => Step::Write(
                pack(self.fingerprint, next.widen()),
                decision.map_err(Refused::from),
            ),
        }
    }
}

impl<L: PerKey> Input<EntryMachine<'_, L>> for Take {
    type Decision = Decision;

    /// A refusal (the key's state full, or the entry held), from one
    /// load.
    #[inline]
    fn quick(&self, entry: &EntryMachine<'_, L>, word: u128) -> Option<Decision> {
        match entry.0.take(word, self.fingerprint, self.n, self.now) {
            Step::Keep(decision) => Some(decision),
            Step::Write(..) => None,
        }
    }

    #[inline]
    fn step(&self, entry: &EntryMachine<'_, L>, word: u128) -> Step<u128, Decision> {
        entry.0.take(word, self.fingerprint, self.n, self.now)
    }
}

/// One entry of a keyed table: a 128-bit word (a key's fingerprint and
/// bucket), valid for every bit pattern. [`KeyedBuckets`] holds an array of
/// them; the C ABI's `tg_keyed_entry_t` is one, in caller memory, run by
/// [`KeyedTable`].
///
/// ```
/// use tickguard::keyed::Entry;
/// static ENTRIES: [Entry; 4] = [Entry::EMPTY; 4];
/// assert_eq!(core::mem::size_of::<Entry>(), 16);
/// # let _ = &ENTRIES;
/// ```
#[derive(Debug)]
#[repr(transparent)]
pub struct Entry(StateCell<u128>);

impl Entry {
    /// An entry holding no key.
    #[allow(clippy::declare_interior_mutable_const)]
    pub const EMPTY: Self = Self(StateCell::<u128>::new(0));
}

/// A keyed table over entries held anywhere (a `static` array, caller
/// memory through the C ABI): the configuration every key shares (a
/// bucket's, or a sliding window's), the hash seed, and the entries.
///
/// ```
/// use tickguard::bucket::BucketConfig;
/// use tickguard::keyed::{Entry, KeyedTable, Table};
/// use tickguard::time::Instant;
/// static ENTRIES: [Entry; 16] = [Entry::EMPTY; 16];
/// let table = KeyedTable { config: BucketConfig::DEFAULT, seed: [1, 2], entries: &ENTRIES };
/// assert!(table.acquire(table.key(&"sensor-3"), 1, Instant::ZERO).is_ok());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct KeyedTable<'a, L = BucketConfig> {
    /// Every key's configuration (a copy: read once per call from the
    /// table's source).
    pub config: L,
    /// The hash seed (use random bits).
    pub seed: [u64; 2],
    /// The entries (at least 1, at most 2^32).
    pub entries: &'a [Entry],
}

/// What every keyed table does over entries held anywhere: a
/// [`KeyedTable`] (its configuration fixed for the call) and a
/// [`LiveKeyedTable`] (buckets whose configuration `reconfigure` replaces,
/// carrying every key's tokens). [`Keyed`] runs one over its array; the C
/// ABI over caller memory. Sealed.
///
/// ```
/// use tickguard::bucket::BucketConfig;
/// use tickguard::keyed::{Entry, KeyedTable, Table};
/// use tickguard::time::Instant;
/// static ENTRIES: [Entry; 16] = [Entry::EMPTY; 16];
/// let table = KeyedTable { config: BucketConfig::DEFAULT, seed: [1, 2], entries: &ENTRIES };
/// let sensor = table.key(&"sensor-3");
/// assert!(table.acquire(sensor, 60, Instant::ZERO).is_ok());
/// assert_eq!(table.available(sensor, Instant::ZERO), 40);
/// assert_eq!(table.limiting(Instant::ZERO), 1);
/// let mut saved = vec![0; table.snapshot_len()];
/// table.save(Instant::ZERO, &mut saved).unwrap();
/// table.reset();
/// assert_eq!(table.limiting(Instant::ZERO), 0);
/// table.restore(&saved, Instant::ZERO).unwrap();
/// assert_eq!(table.available(sensor, Instant::ZERO), 40);
/// ```
pub trait Table<L: PerKey>: sealed::Table {
    /// The configuration every key has now.
    fn config(&self) -> L;

    /// The hash seed.
    fn seed(&self) -> [u64; 2];

    /// The entries.
    fn entries(&self) -> &[Entry];

    /// Where `key` lives in this table.
    #[must_use]
    fn key<K: Hash + ?Sized>(&self, key: &K) -> KeyRef {
        KeyRef::of(key, self.seed(), self.entries().len())
    }

    /// Where the key given as bytes lives in this table.
    #[must_use]
    fn key_bytes(&self, bytes: &[u8]) -> KeyRef {
        KeyRef::of_bytes(bytes, self.seed(), self.entries().len())
    }

    /// [`Keyed::acquire`] for a key already located.
    fn acquire(&self, key: KeyRef, n: u32, now: Instant) -> Decision;

    /// [`Keyed::available`] for a key already located.
    #[must_use]
    fn available(&self, key: KeyRef, now: Instant) -> u32;

    /// [`Keyed::limiting`].
    #[must_use]
    fn limiting(&self, now: Instant) -> usize;

    /// [`Keyed::reset`].
    fn reset(&self);

    /// Bytes of this table's snapshot: 12 + (4 + the single limiter's
    /// state) per entry ([`snapshot_len`]).
    #[must_use]
    fn snapshot_len(&self) -> usize {
        snapshot_len::<L>(self.entries().len())
    }

    /// Saves every entry at `now` into `out`: each key's fingerprint and
    /// its limiter's state as a single limiter's snapshot keeps it, times
    /// relative to `now`. Entries are read one at a time: under concurrent
    /// calls each is saved as it was when read.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::BufferTooSmall`] when `out` is shorter than
    /// [`snapshot_len`](Self::snapshot_len).
    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        let len = self.snapshot_len();
        let out = out.get_mut(..len).ok_or(SnapshotError::BufferTooSmall)?;
        Ok(self.save_with(now, |offset, bytes| {
            if let Some(to) = out.get_mut(offset..offset.saturating_add(bytes.len())) {
                to.copy_from_slice(bytes);
            }
        }))
    }

    /// [`save`](Self::save), handing each piece of the snapshot to `emit`
    /// with its offset instead of writing one buffer (a record of at most
    /// 24 bytes at a time: a table of any size is saved without a buffer
    /// of its size). Returns the length.
    fn save_with(&self, now: Instant, emit: impl FnMut(usize, &[u8])) -> usize;

    /// Restores every entry from a snapshot [`save`](Self::save) took, as
    /// of `now`; on error the table is left empty.
    ///
    /// # Errors
    ///
    /// As [`crate::snapshot::restore`]'s: another kind, another
    /// configuration, entry count or seed ([`SnapshotError::Config`]), a
    /// wrong length, a bad checksum, or an entry no table writes.
    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        self.restore_with(bytes.len(), now, |offset, to| {
            if let Some(from) = bytes.get(offset..offset.saturating_add(to.len())) {
                to.copy_from_slice(from);
            }
        })
    }

    /// [`restore`](Self::restore) from `len` bytes that `fetch(offset,
    /// buffer)` copies out a piece at a time (read twice: once for the
    /// checksum, once to restore).
    ///
    /// # Errors
    ///
    /// As [`restore`](Self::restore).
    fn restore_with(
        &self,
        len: usize,
        now: Instant,
        fetch: impl FnMut(usize, &mut [u8]),
    ) -> Result<(), SnapshotError>;
}

impl<L: PerKey> sealed::Table for KeyedTable<'_, L> {}

impl<L: PerKey> Table<L> for KeyedTable<'_, L> {
    fn config(&self) -> L {
        self.config
    }

    fn seed(&self) -> [u64; 2] {
        self.seed
    }

    fn entries(&self) -> &[Entry] {
        self.entries
    }

    fn acquire(&self, key: KeyRef, n: u32, now: Instant) -> Decision {
        let (entry, take) = Take::located(self.entries, key, n, now)?;
        entry.0.apply(&EntryMachine(&self.config), take)
    }

    fn available(&self, key: KeyRef, now: Instant) -> u32 {
        let Some(entry) = self.entries.get(key.entry) else {
            return 0;
        };
        self.config
            .available(entry.0.load(), key.fingerprint, now.ticks())
    }

    fn limiting(&self, now: Instant) -> usize {
        self.entries
            .iter()
            .filter(|entry| !self.config.is_free(entry.0.load(), now.ticks()))
            .count()
    }

    fn reset(&self) {
        for entry in self.entries {
            entry.0.store(0);
        }
    }

    fn save_with(&self, now: Instant, emit: impl FnMut(usize, &[u8])) -> usize {
        let word = |index: usize| self.entries.get(index).map(|entry| entry.0.load());
        let records = records(&self.config, self.seed, self.entries.len());
        save_entries(records, &self.config, now, word, emit)
    }

    fn restore_with(
        &self,
        len: usize,
        now: Instant,
        fetch: impl FnMut(usize, &mut [u8]),
    ) -> Result<(), SnapshotError> {
        let install = |index: usize, word: u128| {
            if let Some(entry) = self.entries.get(index) {
                entry.0.store(word);
            }
        };
        let records = records(&self.config, self.seed, self.entries.len());
        restore_entries(records, &self.config, len, now, fetch, install, || {
            self.reset();
        })
    }
}

/// Where a [`Keyed`] table reads its configuration, and so which
/// [`Table`] runs its entries: any [`Source`] of it (fixed, or a
/// [`Live`](crate::live::Live) window configuration: a [`KeyedTable`]), or
/// a [`Versioned`](crate::live::Versioned) bucket configuration (a [`LiveKeyedTable`], which
/// carries every key's tokens when reconfigured).
///
/// ```
/// use tickguard::bucket::BucketConfig;
/// use tickguard::keyed::{Entries, Entry, Table};
/// static ENTRIES: [Entry; 4] = [Entry::EMPTY; 4];
/// let fixed = BucketConfig::DEFAULT;
/// assert_eq!(fixed.table([1, 2], &ENTRIES).config(), BucketConfig::DEFAULT);
/// let live = BucketConfig::DEFAULT.live();
/// assert_eq!(live.table([1, 2], &ENTRIES).config(), BucketConfig::DEFAULT);
/// ```
pub trait Entries<L: PerKey> {
    /// The table this source runs entries with.
    type Table<'a>: Table<L>
    where
        Self: 'a;

    /// The table over `entries`, hashing keys with `seed`.
    fn table<'a>(&'a self, seed: [u64; 2], entries: &'a [Entry]) -> Self::Table<'a>;
}

impl<L: PerKey, C: Source<L>> Entries<L> for C {
    type Table<'a>
        = KeyedTable<'a, L>
    where
        C: 'a;

    fn table<'a>(&'a self, seed: [u64; 2], entries: &'a [Entry]) -> KeyedTable<'a, L> {
        KeyedTable {
            config: self.current(),
            seed,
            entries,
        }
    }
}

impl<const N: usize, L: PerKey, C: Entries<L>> Snapshot for Keyed<N, L, C> {
    const SNAPSHOT_LEN: usize = snapshot_len::<L>(N);

    /// Every entry: its key's fingerprint and its limiter's state, times
    /// relative to `now` ([`KeyedTable::save`]).
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// use tickguard::keyed::KeyedBuckets;
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let seed = [5, 6]; // kept with the snapshot: the restoring table needs the same
    /// let table: KeyedBuckets<16, _> = KeyedBuckets::new(BucketConfig::DEFAULT, seed);
    /// table.acquire("client-7", 100, Instant::from_ticks(30_000)).unwrap();
    /// let mut saved = [0u8; KeyedBuckets::<16>::SNAPSHOT_LEN];
    /// table.save(Instant::from_ticks(30_000), &mut saved).unwrap();
    /// // After a reboot, tick 0 again:
    /// let rebooted: KeyedBuckets<16, _> = KeyedBuckets::new(BucketConfig::DEFAULT, seed);
    /// rebooted.restore(&saved, Instant::ZERO).unwrap();
    /// assert_eq!(rebooted.available("client-7", Instant::from_ticks(1_000)), 10);
    /// assert_eq!(rebooted.available("client-8", Instant::ZERO), 100);
    /// ```
    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        self.table().save(now, out)
    }

    /// Restores every entry ([`KeyedTable::restore`]); a snapshot of a table
    /// with another configuration, size or seed is refused
    /// ([`SnapshotError::Config`]) and the table left empty.
    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        self.table().restore(bytes, now)
    }
}

/// The frame of a table's snapshots: one record per entry (the key's
/// fingerprint and the single limiter's state), under a fingerprint of the
/// configuration, the entry count and the seed (a table hashing with
/// another seed puts keys elsewhere).
fn records<L: PerKey>(config: &L, seed: [u64; 2], entries: usize) -> Records {
    let seed = KeyRef::of_bytes(SEED_CHECK, seed, 1).fingerprint;
    let fingerprint = crate::snapshot::fingerprint(|fields| {
        config.fingerprint(fields);
        fields.u64(entries as u64);
        fields.u32(seed);
    });
    Records::new(L::TABLE_KIND, fingerprint, entries, record_len::<L>())
}

/// Saves the entries `word(index)` reads (as the fixed-configuration table
/// keeps them) into `records` at `now`, through `emit`; the length.
fn save_entries<L: PerKey>(
    records: Records,
    config: &L,
    now: Instant,
    word: impl Fn(usize) -> Option<u128>,
    emit: impl FnMut(usize, &[u8]),
) -> usize {
    records.save(
        now,
        |index, fields| {
            if let Some((fingerprint, state)) = word(index).and_then(|word| config.saved(word)) {
                fields.u32(fingerprint);
                config.save_state(state, fields);
            }
        },
        emit,
    )
}

/// Restores `records` from `len` bytes `fetch` copies out, as of `now`:
/// `clear()` first, then `install(index, word)` for each entry (as the
/// fixed-configuration table keeps it); `clear()` again on error.
fn restore_entries<L: PerKey>(
    records: Records,
    config: &L,
    len: usize,
    now: Instant,
    fetch: impl FnMut(usize, &mut [u8]),
    install: impl Fn(usize, u128),
    clear: impl Fn(),
) -> Result<(), SnapshotError> {
    clear();
    let restored = records.restore(now, len, fetch, |index, fields| {
        let fingerprint = fields.read_u32();
        let word = if fingerprint == 0 {
            0
        } else {
            let state = config.restore_state(fields)?;
            config.entry(fingerprint, state)?
        };
        install(index, word);
        Some(())
    });
    if restored.is_err() {
        clear();
    }
    restored
}

/// What the seed is checked by in a table's snapshot: this key's
/// fingerprint under it.
const SEED_CHECK: &[u8] = b"tickguard: the seed of a keyed table's snapshot";

/// Bytes of one entry's record: a fingerprint and the state.
const fn record_len<L: PerKey>() -> usize {
    L::STATE_LEN.saturating_add(4)
}

/// Bytes of the snapshot of a table of `entries` entries of kind `L`.
///
/// ```
/// use tickguard::bucket::BucketConfig;
/// use tickguard::sliding_window::SlidingWindowConfig;
/// assert_eq!(tickguard::keyed::snapshot_len::<BucketConfig>(64), 8 + 64 * 21 + 4);
/// assert_eq!(tickguard::keyed::snapshot_len::<SlidingWindowConfig>(64), 8 + 64 * 20 + 4);
/// ```
#[must_use]
pub const fn snapshot_len<L: PerKey>(entries: usize) -> usize {
    HEADER_LEN
        .saturating_add(entries.saturating_mul(record_len::<L>()))
        .saturating_add(CHECKSUM_LEN)
}

/// A limit per key in a fixed table of `N` entries (`1..=2^32`): the
/// configuration all keys share (`L`: a bucket's or a sliding window's, or
/// a reference to it, `C`), the hash seed, and one 128-bit word per entry
/// (16 × `N` bytes). Named by its two kinds, [`KeyedBuckets`] and
/// [`KeyedWindows`]. All methods take `&self` and are safe from several
/// threads and interrupt handlers at once.
///
/// ```
/// use tickguard::bucket::BucketConfig;
/// use tickguard::keyed::KeyedBuckets;
/// use tickguard::time::Instant;
/// let table: KeyedBuckets<1_024, BucketConfig> = KeyedBuckets::new(BucketConfig::DEFAULT, [7, 8]);
/// assert!(table.acquire("device-17", 100, Instant::ZERO).is_ok());
/// assert_eq!(table.available("device-17", Instant::ZERO), 0);
/// assert_eq!(table.available("device-18", Instant::ZERO), 100);
/// ```
#[derive(Debug)]
pub struct Keyed<const N: usize, L, C = &'static L> {
    config: C,
    seed: [u64; 2],
    entries: [Entry; N],
    kind: core::marker::PhantomData<fn() -> L>,
}

/// Token buckets per key ([`Keyed`] over [`BucketConfig`]).
pub type KeyedBuckets<const N: usize, C = &'static BucketConfig> = Keyed<N, BucketConfig, C>;

/// Sliding-window counters per key ([`Keyed`] over
/// [`SlidingWindowConfig`]): at most `limit` events per `window` for each
/// key, estimated as [`crate::sliding_window`] does, with 16-bit counts
/// (a limit above [`MAX_KEYED_WINDOW_LIMIT`] counts as that). An entry is
/// free once its key's two windows hold no event (two idle windows after
/// its last event); a full-table refusal names that tick.
///
/// ```
/// use tickguard::keyed::{KeyedWindows, Refused};
/// use tickguard::sliding_window::{SlidingWindowConfig, SlidingWindowSettings};
/// use tickguard::time::{Duration, Instant};
/// let config = SlidingWindowConfig::new(SlidingWindowSettings { limit: 3, window: Duration::from_ticks(100) }).unwrap();
/// let table: KeyedWindows<256, _> = KeyedWindows::new(config, [9, 9]);
/// assert!(table.acquire("10.0.0.7", 3, Instant::from_ticks(0)).is_ok());
/// assert_eq!(table.acquire("10.0.0.7", 1, Instant::from_ticks(50)), Err(Refused::Wait { retry_at: Instant::from_ticks(134) }));
/// assert!(table.acquire("10.0.0.8", 3, Instant::from_ticks(50)).is_ok());
/// ```
pub type KeyedWindows<const N: usize, C = &'static SlidingWindowConfig> =
    Keyed<N, SlidingWindowConfig, C>;

impl<const N: usize, L: PerKey, C: Entries<L>> Keyed<N, L, C> {
    const VALID: () = assert!(N >= 1 && (N as u64) <= 1 << 32, "N must be 1..=2^32");

    /// An empty table; `seed` keys the hash (use random bits: with a known
    /// seed, clients could choose keys that share an entry).
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// use tickguard::keyed::KeyedBuckets;
    /// use tickguard::time::Instant;
    /// let table: KeyedBuckets<8, _> = KeyedBuckets::new(BucketConfig::DEFAULT, [1, 2]);
    /// assert_eq!(table.limiting(Instant::ZERO), 0);
    /// ```
    #[must_use]
    pub const fn new(config: C, seed: [u64; 2]) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID;
        Self {
            config,
            seed,
            entries: [const { Entry::EMPTY }; N],
            kind: core::marker::PhantomData,
        }
    }

    /// The configuration every key has.
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// use tickguard::keyed::KeyedBuckets;
    /// let table: KeyedBuckets<8, _> = KeyedBuckets::new(BucketConfig::DEFAULT, [0, 0]);
    /// assert_eq!(table.config().capacity(), 100);
    /// ```
    #[must_use]
    pub fn config(&self) -> L {
        self.table().config()
    }

    /// Where `key` lives in this table.
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// use tickguard::keyed::KeyedBuckets;
    /// let table: KeyedBuckets<8, _> = KeyedBuckets::new(BucketConfig::DEFAULT, [0, 0]);
    /// assert!(table.key(&5u32).entry() < 8);
    /// ```
    pub fn key<K: Hash + ?Sized>(&self, key: &K) -> KeyRef {
        KeyRef::of(key, self.seed, N)
    }

    /// Takes `n` tokens from `key`'s bucket at `now`, taking the key's
    /// entry if it is free ([the eviction rule](self#when-the-table-is-full-the-eviction-rule)),
    /// or refuses. A refusal writes nothing (except the first use of a
    /// bucket configured to start less than full, as a single bucket's).
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, BucketSettings};
    /// use tickguard::keyed::{KeyedBuckets, Refused};
    /// use tickguard::time::{Duration, Instant};
    /// let config = BucketConfig::new(BucketSettings { capacity: 1, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap();
    /// let table: KeyedBuckets<1, _> = KeyedBuckets::new(config, [3, 4]); // one entry: every key shares it
    /// assert!(table.acquire(&1u8, 1, Instant::from_ticks(0)).is_ok());
    /// assert_eq!(table.acquire(&2u8, 1, Instant::from_ticks(5)), Err(Refused::TableFull { retry_at: Instant::from_ticks(10) }));
    /// assert!(table.acquire(&2u8, 1, Instant::from_ticks(10)).is_ok()); // key 1 is full again: evicted
    /// ```
    #[inline]
    pub fn acquire<K: Hash + ?Sized>(&self, key: &K, n: u32, now: Instant) -> Decision {
        self.acquire_at(self.key(key), n, now)
    }

    /// [`acquire`](Self::acquire) for a key already hashed (the C ABI's
    /// byte and integer keys).
    pub fn acquire_at(&self, key: KeyRef, n: u32, now: Instant) -> Decision {
        self.table().acquire(key, n, now)
    }

    /// The table its configuration runs over this array.
    fn table(&self) -> C::Table<'_> {
        self.config.table(self.seed, &self.entries)
    }

    /// Whole tokens `key` could take at `now`: its bucket's, the initial
    /// fill for a key without an entry whose entry is free, 0 when the
    /// entry is held by another key. Reads only.
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// use tickguard::keyed::KeyedBuckets;
    /// use tickguard::time::Instant;
    /// let table: KeyedBuckets<16, _> = KeyedBuckets::new(BucketConfig::DEFAULT, [5, 6]);
    /// table.acquire(&"a", 30, Instant::ZERO).unwrap();
    /// assert_eq!(table.available(&"a", Instant::ZERO), 70);
    /// ```
    #[must_use]
    pub fn available<K: Hash + ?Sized>(&self, key: &K, now: Instant) -> u32 {
        self.available_at(self.key(key), now)
    }

    /// [`available`](Self::available) for a key already hashed.
    #[must_use]
    pub fn available_at(&self, key: KeyRef, now: Instant) -> u32 {
        self.table().available(key, now)
    }

    /// Entries whose key is still limiting at `now` (not free). Reads
    /// every entry.
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// use tickguard::keyed::KeyedBuckets;
    /// use tickguard::time::Instant;
    /// let table: KeyedBuckets<64, _> = KeyedBuckets::new(BucketConfig::DEFAULT, [5, 6]);
    /// table.acquire(&1u32, 1, Instant::ZERO).unwrap();
    /// assert_eq!(table.limiting(Instant::ZERO), 1);
    /// assert_eq!(table.limiting(Instant::from_ticks(100)), 0); // refilled
    /// ```
    #[must_use]
    pub fn limiting(&self, now: Instant) -> usize {
        self.table().limiting(now)
    }

    /// Empties the table.
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// use tickguard::keyed::KeyedBuckets;
    /// use tickguard::time::Instant;
    /// let table: KeyedBuckets<4, _> = KeyedBuckets::new(BucketConfig::DEFAULT, [0, 1]);
    /// table.acquire(&9u8, 100, Instant::ZERO).unwrap();
    /// table.reset();
    /// assert_eq!(table.available(&9u8, Instant::ZERO), 100);
    /// ```
    pub fn reset(&self) {
        self.table().reset();
    }
}

mod live;
mod windows;
pub use live::{LiveKeyedBuckets, LiveKeyedTable};
pub use windows::MAX_KEYED_WINDOW_LIMIT;

#[cfg(test)]
mod tests;
