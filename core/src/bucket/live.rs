//! A token bucket whose rate and capacity change while callers use it.
//!
//! The bucket's state is its TAT counted in units of its rate, so a new
//! configuration cannot simply be swapped in, as the windows' are
//! ([`crate::live`]): [`LiveBucket`] keeps its configuration under a
//! generation, and each TAT says which configuration it was written under;
//! the first step on a TAT of the previous configuration carries it over.
//!
//! # What a reconfiguration keeps
//!
//! The tokens: the bucket holds as many as it held, clamped to the new
//! capacity (a fraction of a token is kept to the new rate's precision,
//! rounded down), and refills at the new rate from then on. A bucket never
//! used keeps the new configuration's initial fill for its first use.
//!
//! # Time
//!
//! A reconfiguration takes a `now` and counts the tokens there, or, if
//! `now` is older than that, at the earliest tick the bucket can have
//! judged a request at (a request at tick L leaves the TAT at most a window
//! past L). So a lagging `now` never refills a bucket: one drained at tick
//! L and reconfigured with a `now` days older counts its tokens at L.
//!
//! One thing a bucket cannot know is the tick of a refusal, which writes
//! nothing. If the latest request was refused at a tick L later than that
//! earliest tick, a reconfiguration passing a `now` before L counts from
//! there: the tokens it carries are the fewer, but between there and L they
//! refill at the new rate and up to the new capacity, where a
//! reconfiguration at L would have carried what the old rate refilled.
//! When the new configuration raises the rate or the capacity, that can be
//! up to `(L − now) × new rate` tokens more (and `L − now` is at most one
//! old window, `capacity / rate`); lowering both never adds any
//! (property-tested). A reconfiguration passed the same clock as the
//! callers' (or the latest tick among them) is exact.
//!
//! ```
//! use tickguard::bucket::{BucketConfig, BucketSettings, LiveBucket};
//! use tickguard::time::{Duration, Instant};
//!
//! let settings = |capacity, tokens| BucketSettings { capacity, tokens, period: Duration::from_ticks(1_000), initial_fill: None };
//! static LIMIT: LiveBucket = LiveBucket::new(BucketConfig::DEFAULT); // 100, 10 a second
//!
//! LIMIT.acquire(40, Instant::from_ticks(5_000)).unwrap(); // 60 left
//! // Load shedding: 20 at most, 1 a second. The 60 are clamped to 20.
//! LIMIT.reconfigure(BucketConfig::new(settings(20, 1)).unwrap(), Instant::from_ticks(5_000)).unwrap();
//! assert_eq!(LIMIT.available(Instant::from_ticks(5_000)), 20);
//! LIMIT.acquire(20, Instant::from_ticks(5_000)).unwrap();
//! assert_eq!(LIMIT.available(Instant::from_ticks(7_000)), 2);
//! ```

use super::{ticks_of_units, Acquire, Available, BucketConfig, Refused, Units, SNAPSHOT_LEN};
use crate::live::{LiveMachine, SlotWords, Slotted, SLOT_WORDS};
use crate::time::{Instant, Tick};

impl BucketConfig {
    /// The configuration as slot words: every field but the two the others
    /// derive.
    pub(crate) const fn slot_words(&self) -> [u128; SLOT_WORDS] {
        [
            self.capacity_less_one as u128
                | (self.initial as u128) << 32
                | (self.units_per_tick as u128) << 64
                | (self.narrow as u128) << 96,
            self.common as u128 | (self.interval as u128) << 64,
            self.reciprocal as u128,
        ]
    }
}

impl SlotWords for BucketConfig {
    fn to_slot(&self) -> [u128; SLOT_WORDS] {
        self.slot_words()
    }

    fn from_slot([first, second, third]: [u128; SLOT_WORDS]) -> Self {
        let capacity_less_one = first as u32;
        let initial = (first >> 32) as u32;
        let units_per_tick = (first >> 64) as u32;
        let narrow = (first >> 96) as u8 & 1;
        let interval = (second >> 64) as u64;
        // Derived as `rate` and `with_initial_fill` derive them.
        let window = u128::from(capacity_less_one)
            .wrapping_add(1)
            .saturating_mul(u128::from(interval));
        let full_start = initial == capacity_less_one.wrapping_add(1);
        let simple = narrow != 0 && units_per_tick == 1 && full_start;
        Self {
            capacity_less_one,
            initial,
            units_per_tick,
            narrow,
            common: second as u64,
            interval,
            reciprocal: third as u64,
            room_one: (window as u64).wrapping_sub(interval),
            simple_until: if simple {
                u64::MAX.saturating_sub(window as u64)
            } else {
                0
            },
        }
    }
}

impl Slotted for BucketConfig {
    /// The tokens `from`'s TAT holds, at `now` or the earliest tick the
    /// bucket can have judged a request at if that is later, as this
    /// configuration's TAT at the same tick (clamped to its capacity, the
    /// fraction of a token rounded down).
    fn rebase(&self, from: &Self, tat: u128, now: Tick) -> u128 {
        if tat == 0 {
            // Never used: this configuration's initial fill at first use.
            return 0;
        }
        // After a request at tick L the TAT is at most a window past L, so
        // L is at least `⌈(TAT − window) / units⌉`.
        let earliest = ticks_of_units(
            tat.saturating_sub(from.window_in::<u128>()),
            from.units_per_tick,
        );
        self.carry_at(from, tat, now.max(earliest))
    }
}

impl BucketConfig {
    /// The tokens `from`'s TAT `tat` (a used bucket's) holds at tick
    /// `anchor`, as this configuration's TAT at the same tick: clamped to
    /// its capacity, the fraction of a token kept to its precision
    /// (rounded down). A TAT more than a window past `anchor` (a shaper's
    /// queue) carries no tokens.
    pub(crate) fn carry_at(&self, from: &Self, tat: u128, anchor: Tick) -> u128 {
        // The fill at the anchor in old units: whole tokens and a part of one.
        let at = <u128 as Units>::scaled(anchor, from.units_per_tick);
        let fill = from
            .window_in::<u128>()
            .saturating_sub(tat.saturating_sub(at));
        let whole = from.available::<u128>(tat, anchor);
        let part = fill.saturating_sub(<u128 as Units>::product(whole, from.interval));
        let part = u64::try_from(part).unwrap_or(0);
        // To new units, clamped to the new capacity, the part rounded down.
        let window = self.window_in::<u128>();
        let fill = if whole >= self.capacity() {
            window
        } else {
            <u128 as Units>::product(whole, self.interval).saturating_add(u128::from(
                crate::wide::mul_div(part, self.interval, from.interval),
            ))
        };
        let tat = <u128 as Units>::scaled(anchor, self.units_per_tick)
            .saturating_add(window.saturating_sub(fill));
        // A TAT of 0 means "never used"; a full bucket at tick 0 is the
        // same bucket only where the configuration starts full.
        if tat == 0 && self.initial_fill() != self.capacity() {
            1
        } else {
            tat
        }
    }
}

/// A token bucket whose configuration [`reconfigure`](LiveMachine::reconfigure)
/// replaces while callers use it ([module docs](self)).
///
/// Its decisions are the [`TokenBucket`](super::TokenBucket)'s, on the
/// 128-bit word whatever the configuration; refusals still only read. The
/// methods it shares with the live shaper (`config`, `reconfigure`,
/// `reset`, snapshots) are [`LiveMachine`]'s.
///
/// ```
/// use tickguard::bucket::{BucketConfig, LiveBucket};
/// use tickguard::time::Instant;
/// let bucket = LiveBucket::new(BucketConfig::DEFAULT);
/// assert!(bucket.acquire(100, Instant::ZERO).is_ok());
/// assert!(bucket.acquire(1, Instant::ZERO).is_err());
/// ```
pub type LiveBucket = LiveMachine<BucketConfig>;

impl LiveMachine<BucketConfig> {
    /// A bucket holding `config`'s initial fill.
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, LiveBucket};
    /// use tickguard::time::Instant;
    /// static LIMIT: LiveBucket = LiveBucket::new(BucketConfig::DEFAULT);
    /// assert_eq!(LIMIT.available(Instant::ZERO), 100);
    /// ```
    #[must_use]
    pub const fn new(config: BucketConfig) -> Self {
        Self::from_slot_words(config.slot_words())
    }

    /// Takes `n` tokens at `now`, or refuses with the earliest tick at
    /// which `n` will be there, as [`TokenBucket::acquire`](super::TokenBucket::acquire).
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, LiveBucket, Refused};
    /// use tickguard::time::Instant;
    /// let bucket = LiveBucket::new(BucketConfig::DEFAULT); // 100, 10 a second
    /// bucket.acquire(100, Instant::ZERO).unwrap();
    /// assert_eq!(bucket.acquire(1, Instant::ZERO), Err(Refused::Wait { retry_at: Instant::from_ticks(100) }));
    /// ```
    #[inline]
    pub fn acquire(&self, n: u32, now: Instant) -> Result<(), Refused> {
        self.run(Acquire { n, now }, now)
    }

    /// Tokens available at `now`. Writes only to carry the state to a
    /// configuration that replaced the one it was written under.
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, LiveBucket};
    /// use tickguard::time::Instant;
    /// let bucket = LiveBucket::new(BucketConfig::DEFAULT);
    /// bucket.acquire(30, Instant::ZERO).unwrap();
    /// assert_eq!(bucket.available(Instant::from_ticks(1_000)), 80);
    /// ```
    #[must_use]
    pub fn available(&self, now: Instant) -> u32 {
        self.run(Available { now }, now)
    }

    /// The state as a snapshot taken at `now` ([`crate::snapshot`]): the
    /// same bytes as a [`TokenBucket`](super::TokenBucket)'s under the
    /// configuration in force.
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, LiveBucket};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let bucket = LiveBucket::new(BucketConfig::DEFAULT);
    /// bucket.acquire(100, Instant::from_ticks(50_000)).unwrap();
    /// let saved = bucket.snapshot(Instant::from_ticks(50_000));
    /// let rebooted = LiveBucket::new(BucketConfig::DEFAULT);
    /// rebooted.restore(&saved, Instant::ZERO).unwrap();
    /// assert_eq!(rebooted.available(Instant::from_ticks(2_000)), 20);
    /// ```
    #[must_use]
    pub fn snapshot(&self, now: Instant) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, now)
    }
}

#[cfg(test)]
pub(crate) mod tests;
