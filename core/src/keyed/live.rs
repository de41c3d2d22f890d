//! Keyed token buckets whose configuration changes while callers use them:
//! every key's tokens carried over, as a [`LiveBucket`](crate::bucket::LiveBucket)
//! carries its own.
//!
//! ```
//! use tickguard::bucket::{BucketConfig, BucketSettings};
//! use tickguard::keyed::LiveKeyedBuckets;
//! use tickguard::time::{Duration, Instant};
//!
//! let per_second = |tokens| BucketConfig::new(BucketSettings {
//!     capacity: 10, tokens, period: Duration::from_ticks(1_000), initial_fill: None,
//! }).unwrap();
//! let clients = LiveKeyedBuckets::<64>::new(per_second(1).live(), [1, 2]);
//! clients.acquire("10.0.0.7", 6, Instant::ZERO).unwrap();
//! // Under load, an operator halves the capacity: 4 tokens stay 4 (≤ 5).
//! let halved = BucketConfig::new(BucketSettings { capacity: 5, ..per_second(1).settings() }).unwrap();
//! clients.reconfigure(halved, Instant::ZERO).unwrap();
//! assert_eq!(clients.available("10.0.0.7", Instant::ZERO), 4);
//! assert_eq!(clients.available("10.0.0.8", Instant::ZERO), 5); // a new key: the new capacity
//! ```

use super::{
    pack, records, restore_entries, save_entries, sealed, sealed::PerKey, unpack, Decision,
    Entries, Entry, KeyRef, Keyed, Refused, Table, Take,
};
use crate::bucket::BucketConfig;
use crate::live::{replace_if_seen, Busy, Slotted, Versioned};
use crate::machine::Step;
use crate::snapshot::SnapshotError;
use crate::time::{Instant, Tick};

/// The bit holding the parity of an entry's generation.
const TAG: u128 = 1 << 95;

/// The largest arrival time a live entry holds (95 bits).
const TAT_MAX: u128 = TAG - 1;

/// The tag of a state written under `generation`.
const fn tag_of(generation: u32) -> u128 {
    if generation % 2 == 0 {
        0
    } else {
        TAG
    }
}

impl BucketConfig {
    /// This configuration as a [`Versioned`] one, for a keyed table whose
    /// `reconfigure` replaces it while callers use it, carrying every
    /// key's tokens ([`LiveKeyedBuckets`], [`LiveKeyedTable`]; `const`, for
    /// statics). A single bucket that changes is a
    /// [`LiveBucket`](crate::bucket::LiveBucket).
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// use tickguard::keyed::LiveKeyedBuckets;
    /// static CLIENTS: LiveKeyedBuckets<64> = LiveKeyedBuckets::new(BucketConfig::DEFAULT.live(), [1, 2]);
    /// assert_eq!(CLIENTS.config(), BucketConfig::DEFAULT);
    /// ```
    #[must_use]
    pub const fn live(self) -> Versioned<BucketConfig> {
        Versioned::from_slot_words(self.slot_words())
    }
}

impl Entries<BucketConfig> for Versioned<BucketConfig> {
    type Table<'a> = LiveKeyedTable<'a>;

    fn table<'a>(&'a self, seed: [u64; 2], entries: &'a [Entry]) -> LiveKeyedTable<'a> {
        LiveKeyedTable {
            config: self,
            seed,
            entries,
        }
    }
}

/// Keyed token buckets over entries held anywhere (a `static` array, caller
/// memory through the C ABI), whose configuration
/// [`reconfigure`](Self::reconfigure) replaces while callers use them.
/// Decides as a [`KeyedTable`](super::KeyedTable) of buckets does, with the
/// same eviction rule.
///
/// # How
///
/// The configuration sits in two slots under a generation, as a live
/// bucket's does. An entry has no room for the live bucket's 32-bit
/// generation beside its key's fingerprint, so it keeps one bit of it: the
/// *parity* of the generation its state was written under (bit 95; the
/// arrival time keeps 95 bits, past the horizon of every rate). A parity
/// alone would confuse generation `g` with `g − 2`; three rules make it
/// enough:
///
/// 1. A reconfiguration (one at a time; a second is told [`Busy`]) first
///    brings *every* entry onto the current generation (carrying the
///    tokens of those still on the one before, re-tagging empty ones), and
///    only then overwrites the slot of the generation before and publishes
///    the next one (then it carries every entry again, at its own `now`).
/// 2. A call reads the generation and its configuration, then the entry,
///    then the generation again, and starts over if it moved: so the entry
///    it read was written under the generation it read or the one before,
///    which the parity tells apart. An entry of the one before is carried
///    first, in a compare-and-swap of its own.
/// 3. Every write is a compare-and-swap against the word the call read. It
///    succeeds only if the entry is unchanged, and by rule 1 the entry
///    changes before the generation can move twice (or before the slot the
///    call read as the previous configuration is overwritten). So a call
///    never writes a state under a configuration it was not computed for.
///
/// Nothing waits: a call that starts over does so because a
/// reconfiguration or another call made progress, and an interrupt handler
/// that preempts a reconfiguration carries the entries it touches itself.
///
/// # Costs
///
/// Every call reads the generation twice and the configuration's three
/// words (as a live bucket's), and a refusal still only reads, except the
/// first call on an entry a reconfiguration has not carried yet (the
/// carry is a write). A reconfiguration touches every entry twice: `2 × N`
/// compare-and-swaps.
///
///
/// ```
/// use tickguard::bucket::BucketConfig;
/// use tickguard::keyed::{Entry, LiveKeyedTable, Table};
/// use tickguard::live::Versioned;
/// use tickguard::time::Instant;
/// static CONFIG: Versioned<BucketConfig> = BucketConfig::DEFAULT.live();
/// static ENTRIES: [Entry; 16] = [Entry::EMPTY; 16];
/// let table = LiveKeyedTable { config: &CONFIG, seed: [1, 2], entries: &ENTRIES };
/// assert!(table.acquire(table.key(&"sensor-3"), 1, Instant::ZERO).is_ok());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LiveKeyedTable<'a> {
    /// Every key's configuration.
    pub config: &'a Versioned<BucketConfig>,
    /// The hash seed (use random bits).
    pub seed: [u64; 2],
    /// The entries (at least 1, at most 2^32).
    pub entries: &'a [Entry],
}

impl LiveKeyedTable<'_> {
    /// Runs `decide` on `entry`'s word (its tag cleared) under the
    /// configuration in force, the entry first carried onto it if it was
    /// written under the one before: the one loop every operation goes
    /// through ([rules 2 and 3](LiveKeyedTable#how)). A write is tagged with the
    /// generation decided under.
    fn run<D>(
        &self,
        entry: &Entry,
        now: Tick,
        decide: impl Fn(&BucketConfig, u128) -> Step<u128, D>,
    ) -> D {
        let generations = self.config.generations();
        loop {
            let view = generations.view();
            let word = entry.0.load();
            if generations.generation() != view.generation {
                continue;
            }
            let tag = tag_of(view.generation);
            if word & TAG != tag {
                let view = generations.with_previous(view);
                if let Some(previous) = view.previous {
                    let carried = carried(&view.current, &previous, word & !TAG, now);
                    replace_if_seen(&entry.0, word, carried | tag);
                }
                continue;
            }
            match decide(&view.current, word & !TAG) {
                Step::Keep(decision) => return decision,
                Step::Write(next, decision) => {
                    if replace_if_seen(&entry.0, word, next | tag) {
                        return decision;
                    }
                }
            }
        }
    }

    /// Brings every entry onto the current generation, at `now`
    /// ([rule 1](LiveKeyedTable#how)).
    fn settle(&self, now: Tick) {
        for entry in self.entries {
            self.run(entry, now, |_, _| Step::Keep(()));
        }
    }

    /// Replaces every key's configuration while callers use the table,
    /// carrying each key's tokens at `now` as
    /// [`LiveBucket::reconfigure`](crate::live::LiveMachine::reconfigure)
    /// carries a bucket's (clamped to the new capacity; a lagging `now`
    /// never refills a drained bucket). A key whose bucket is full again
    /// is as good as absent (the eviction rule): its entry is emptied, and
    /// the key returns as a new one, with the new initial fill; so raising
    /// the capacity does not make idle keys hold their entries. A call
    /// racing this one is judged
    /// under the old configuration or the new one, never a mix. Touches
    /// every entry twice. [`Busy`] (nothing changed) while another
    /// reconfiguration of the table is under way.
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, BucketSettings};
    /// use tickguard::keyed::{Entry, LiveKeyedTable, Table};
    /// use tickguard::time::Instant;
    /// let config = BucketConfig::DEFAULT.live(); // 100, 10 a second
    /// let entries = [const { Entry::EMPTY }; 8];
    /// let table = LiveKeyedTable { config: &config, seed: [0, 0], entries: &entries };
    /// table.acquire(table.key(&1u8), 100, Instant::ZERO).unwrap();
    /// let faster = BucketSettings { tokens: 50, ..BucketConfig::DEFAULT_SETTINGS };
    /// table.reconfigure(BucketConfig::new(faster).unwrap(), Instant::ZERO).unwrap();
    /// assert_eq!(table.available(table.key(&1u8), Instant::from_ticks(1_000)), 50);
    /// ```
    pub fn reconfigure(&self, config: BucketConfig, now: Instant) -> Result<(), Busy> {
        self.config
            .generations()
            .replace_settling(config, || self.settle(now.ticks()))
    }
}

impl sealed::Table for LiveKeyedTable<'_> {}

impl Table<BucketConfig> for LiveKeyedTable<'_> {
    fn config(&self) -> BucketConfig {
        self.config.load()
    }

    fn seed(&self) -> [u64; 2] {
        self.seed
    }

    fn entries(&self) -> &[Entry] {
        self.entries
    }

    fn acquire(&self, key: KeyRef, n: u32, now: Instant) -> Decision {
        let (entry, take) = Take::located(self.entries, key, n, now)?;
        self.run(entry, now.ticks(), |config, word| {
            match take.decide(config, word) {
                // Past the 95 bits a live entry keeps: never.
                Step::Write(next, _) if unpack(next).1 > TAT_MAX => {
                    Step::Keep(Err(Refused::Wait {
                        retry_at: Instant::MAX,
                    }))
                }
                step => step,
            }
        })
    }

    fn available(&self, key: KeyRef, now: Instant) -> u32 {
        let Some(entry) = self.entries.get(key.entry) else {
            return 0;
        };
        self.run(entry, now.ticks(), |config, word| {
            Step::Keep(PerKey::available(
                config,
                word,
                key.fingerprint,
                now.ticks(),
            ))
        })
    }

    fn limiting(&self, now: Instant) -> usize {
        self.entries
            .iter()
            .filter(|entry| {
                self.run(entry, now.ticks(), |config, word| {
                    Step::Keep(!PerKey::is_free(config, word, now.ticks()))
                })
            })
            .count()
    }

    fn reset(&self) {
        for entry in self.entries {
            self.run(entry, 0, |_, word| Step::unless_same(word, 0, ()));
        }
    }

    /// An entry written under another configuration than the one in force
    /// when the save began (a reconfiguration racing it) is saved carried
    /// to that one; the format is a [`KeyedTable`](super::KeyedTable)'s.
    fn save_with(&self, now: Instant, emit: impl FnMut(usize, &[u8])) -> usize {
        let saved_under = self.config();
        let word = |index: usize| {
            let entry = self.entries.get(index)?;
            Some(self.run(entry, now.ticks(), |config, word| {
                Step::Keep(if *config == saved_under {
                    word
                } else {
                    carried(&saved_under, config, word, now.ticks())
                })
            }))
        };
        let records = records(&saved_under, self.seed, self.entries.len());
        save_entries(records, &saved_under, now, word, emit)
    }

    fn restore_with(
        &self,
        len: usize,
        now: Instant,
        fetch: impl FnMut(usize, &mut [u8]),
    ) -> Result<(), SnapshotError> {
        let restored_under = self.config();
        let install = |index: usize, restored: u128| {
            let Some(entry) = self.entries.get(index) else {
                return;
            };
            let (fingerprint, tat) = unpack(restored);
            let restored = pack(fingerprint, tat.min(TAT_MAX));
            self.run(entry, now.ticks(), |config, word| {
                let next = if *config == restored_under {
                    restored
                } else {
                    carried(config, &restored_under, restored, now.ticks())
                };
                Step::unless_same(word, next, ())
            });
        };
        let records = records(&restored_under, self.seed, self.entries.len());
        restore_entries(records, &restored_under, len, now, fetch, install, || {
            self.reset();
        })
    }
}

/// An entry's word (tag cleared) written under `from`, carried to `to` at
/// `now`: the key's tokens as a live bucket carries them. A free entry
/// (empty, or its key's bucket full: as good as absent, the eviction rule)
/// is emptied, so its key returns as a new one, with the new initial fill.
fn carried(to: &BucketConfig, from: &BucketConfig, word: u128, now: Tick) -> u128 {
    if PerKey::is_free(from, word, now) {
        return 0;
    }
    let (fingerprint, tat) = unpack(word);
    pack(fingerprint, to.rebase(from, tat, now).min(TAT_MAX))
}

/// Token buckets per key in a table of `N` entries (`1..=2^32`), whose
/// configuration [`reconfigure`](Keyed::reconfigure) replaces while callers
/// use it, carrying every key's tokens ([how](LiveKeyedTable#how)): a [`Keyed`]
/// table over a [`Versioned`] bucket configuration (built with
/// [`BucketConfig::live`]). Decides as [`KeyedBuckets`](super::KeyedBuckets)
/// does; 16 × `N` + 112 bytes.
///
/// ```
/// use tickguard::bucket::BucketConfig;
/// use tickguard::keyed::LiveKeyedBuckets;
/// use tickguard::time::Instant;
/// static CLIENTS: LiveKeyedBuckets<1_024> = LiveKeyedBuckets::new(BucketConfig::DEFAULT.live(), [7, 8]);
/// assert!(CLIENTS.acquire("device-17", 100, Instant::ZERO).is_ok());
/// assert_eq!(CLIENTS.available("device-17", Instant::ZERO), 0);
/// ```
pub type LiveKeyedBuckets<const N: usize> = Keyed<N, BucketConfig, Versioned<BucketConfig>>;

impl<const N: usize> Keyed<N, BucketConfig, Versioned<BucketConfig>> {
    /// Replaces every key's configuration, carrying each key's tokens at
    /// `now` ([`LiveKeyedTable::reconfigure`]).
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, BucketSettings};
    /// use tickguard::keyed::LiveKeyedBuckets;
    /// use tickguard::time::Instant;
    /// let table = LiveKeyedBuckets::<16>::new(BucketConfig::DEFAULT.live(), [5, 6]); // 100, 10 a second
    /// table.acquire(&"a", 95, Instant::ZERO).unwrap();
    /// let doubled = BucketSettings { capacity: 200, tokens: 20, ..BucketConfig::DEFAULT_SETTINGS };
    /// table.reconfigure(BucketConfig::new(doubled).unwrap(), Instant::ZERO).unwrap();
    /// assert_eq!(table.available(&"a", Instant::ZERO), 5);
    /// assert_eq!(table.available(&"a", Instant::from_ticks(1_000)), 25);
    /// ```
    pub fn reconfigure(&self, config: BucketConfig, now: Instant) -> Result<(), Busy> {
        self.table().reconfigure(config, now)
    }
}

#[cfg(test)]
mod tests;
