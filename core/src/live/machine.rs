//! [`LiveMachine`]: a machine whose state is scaled by its configuration,
//! with the configuration under a generation ([`super::generations`]).

use super::{Busy, Generations, Slotted, SLOT_WORDS};
use crate::cell::StateCell;
use crate::machine::{Input, Step};
use crate::snapshot::{Format, Snapshot, SnapshotError};
use crate::time::Instant;

/// A machine whose configuration [`reconfigure`](Self::reconfigure)
/// replaces while callers use it, carrying its state over: what
/// [`LiveBucket`](crate::bucket::LiveBucket) and
/// [`LiveShaper`](crate::shaper::LiveShaper) are (their own methods decide;
/// these are the ones they share).
///
/// Its configuration is read on every call (one generation word and three
/// configuration words, read twice if a reconfiguration lands meanwhile);
/// its state is one 128-bit word tagged with the generation it was written
/// under. 128 bytes; lock-free where the target has a 128-bit
/// compare-and-swap, interrupt-masked critical sections elsewhere; safe
/// from threads and interrupt handlers.
///
/// ```
/// use tickguard::bucket::{BucketConfig, LiveBucket};
/// use tickguard::time::Instant;
/// let bucket = LiveBucket::new(BucketConfig::DEFAULT);
/// assert!(bucket.acquire(100, Instant::ZERO).is_ok());
/// assert!(bucket.acquire(1, Instant::ZERO).is_err());
/// ```
#[derive(Debug)]
pub struct LiveMachine<T> {
    pub(crate) config: Generations<T>,
    pub(crate) word: StateCell<u128>,
}

impl<T> LiveMachine<T> {
    /// A fresh machine under the configuration in `words`.
    pub(crate) const fn from_slot_words(words: [u128; SLOT_WORDS]) -> Self {
        Self {
            config: Generations::new(words),
            word: StateCell::<u128>::new(0),
        }
    }
}

impl<T: Slotted> LiveMachine<T> {
    /// The configuration in force.
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, LiveBucket};
    /// assert_eq!(LiveBucket::new(BucketConfig::DEFAULT).config(), BucketConfig::DEFAULT);
    /// ```
    #[must_use]
    pub fn config(&self) -> T {
        self.config.view().current
    }

    /// Runs `input` on the state under the configuration in force.
    #[inline]
    pub(crate) fn run<I: Input<T>>(&self, input: I, now: Instant) -> I::Decision {
        self.config.run(&self.word, input, now.ticks())
    }

    /// Replaces the configuration while callers use the machine, carrying
    /// its state at `now` (each machine's docs say how). A call racing this
    /// one is judged under the old configuration or the new one, never a
    /// mix; every call that begins after it returns, under the new one.
    /// [`Busy`] (nothing changed) while another reconfiguration of this
    /// machine is under way.
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, BucketSettings, LiveBucket};
    /// use tickguard::time::{Duration, Instant};
    /// let bucket = LiveBucket::new(BucketConfig::DEFAULT); // 100, 10 a second
    /// bucket.acquire(95, Instant::ZERO).unwrap();
    /// // Twice the capacity and the rate: the 5 tokens stay.
    /// let doubled = BucketSettings { capacity: 200, tokens: 20, ..BucketConfig::DEFAULT_SETTINGS };
    /// bucket.reconfigure(BucketConfig::new(doubled).unwrap(), Instant::ZERO).unwrap();
    /// assert_eq!(bucket.available(Instant::ZERO), 5);
    /// assert_eq!(bucket.available(Instant::from_ticks(1_000)), 25);
    /// ```
    pub fn reconfigure(&self, config: T, now: Instant) -> Result<(), Busy> {
        self.config.replace(&self.word, config, now.ticks())
    }

    /// Forgets the state, as if new (under the configuration in force).
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, LiveBucket};
    /// use tickguard::time::Instant;
    /// let bucket = LiveBucket::new(BucketConfig::DEFAULT);
    /// bucket.acquire(100, Instant::ZERO).unwrap();
    /// bucket.reset();
    /// assert_eq!(bucket.available(Instant::ZERO), 100);
    /// ```
    pub fn reset(&self) {
        self.config.install(&self.word, 0);
    }
}

/// Reads the state (for snapshots).
#[derive(Clone, Copy)]
struct Peek;

impl<T: Slotted> Input<T> for Peek {
    type Decision = u128;

    fn step(&self, _: &T, word: u128) -> Step<u128, u128> {
        Step::Keep(word)
    }
}

impl<T: Slotted + Format> Snapshot for LiveMachine<T> {
    const SNAPSHOT_LEN: usize = T::LEN;

    /// The state under the configuration in force: the same bytes as the
    /// machine with a fixed configuration saves.
    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        let (state, config) = self.config.run_under(&self.word, Peek, now.ticks());
        crate::snapshot::save(&config, state, now, out)
    }

    /// Restores under the configuration in force (a snapshot taken under
    /// another is refused with [`SnapshotError::Config`]); on error the
    /// machine is left fresh.
    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        let config = self.config();
        let restored = crate::snapshot::restore(&config, bytes, now);
        self.config
            .install(&self.word, *restored.as_ref().unwrap_or(&0));
        restored.map(|_| ())
    }
}
