//! Leaky bucket as a queue: a traffic shaper that tells each request when to
//! go, so that what leaves never exceeds the rate. nginx's `limit_req`
//! without `nodelay`, governor's `until_ready`.
//!
//! [`Shaper::schedule`] reserves `n` tokens and returns the tick at which
//! the caller may send them: `now` when they conform now, else the earliest
//! tick at which they do, behind every request scheduled before. The caller
//! waits until then (a timer, a sleep, a task's deadline) and sends. A
//! request that would wait more than the configured `max_wait` is refused
//! with nothing reserved, and the refusal names the tick from which the
//! wait would be short enough (if nobody else schedules first).
//!
//! The output, each request at the tick it was given, conforms to the token
//! bucket of the same `capacity` and rate: at most `capacity` at once, then
//! `tokens` per `period` (property-tested by replaying it into a
//! [`TokenBucket`], and differential-tested against governor's
//! earliest-conforming time). `capacity` 1 spaces every request exactly
//! (nginx's shaping); more lets a burst through at once. A request that
//! waits is reserved as if it arrived at the tick it was given, as a caller
//! that waited and then acquired would be: at a rate whose tokens fall
//! between ticks, `capacity` 1 rounds every spacing up to a whole tick (3
//! per 10 ticks goes out one per 4 ticks, as the token bucket admits
//! tick-aligned requests); `capacity` 2 or more, or finer ticks, give the
//! full rate. nginx's `burst`
//! (the queue's length) is `max_wait` here, in time: a queue of 20 requests
//! at 10 per second is `max_wait` 2 s.
//!
//! This is the [token bucket](crate::bucket)'s GCRA and state word, run by
//! another step: the same configuration of capacity and rate, the same
//! snapshot format, the same exact arithmetic and stale-`now` rule (a
//! lagging caller is measured from the stored arrival time, so it is given
//! a later tick, never an earlier one). A refusal writes nothing (except
//! the very first use of a shaper configured to start less than full, which
//! fixes its start time); a schedule is one compare-and-swap.
//!
//! ```
//! use tickguard::bucket::Refused;
//! use tickguard::shaper::{Shaper, ShaperConfig, ShaperSettings};
//! use tickguard::time::{Duration, Instant};
//!
//! // One request every 100 ticks, queueing up to 300 ticks.
//! static CONFIG: ShaperConfig = match ShaperConfig::new(ShaperSettings {
//!     capacity: 1,
//!     tokens: 1,
//!     period: Duration::from_ticks(100),
//!     max_wait: Duration::from_ticks(300),
//! }) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid shaper"),
//! };
//! static SHAPER: Shaper = Shaper::new(&CONFIG);
//!
//! let at = Instant::from_ticks;
//! // Five requests arrive together: spaced 100 ticks apart, the fifth refused.
//! assert_eq!(SHAPER.schedule(1, at(1_000)), Ok(at(1_000)));
//! assert_eq!(SHAPER.schedule(1, at(1_000)), Ok(at(1_100)));
//! assert_eq!(SHAPER.schedule(1, at(1_000)), Ok(at(1_200)));
//! assert_eq!(SHAPER.schedule(1, at(1_000)), Ok(at(1_300)));
//! assert_eq!(SHAPER.schedule(1, at(1_000)), Err(Refused::Wait { retry_at: at(1_100) }));
//! ```

use crate::bucket::{
    ticks_of_units, BucketConfig, Refused, ScheduleRequest, Tat, TokenBucket, Units,
};
use crate::live::{LiveMachine, SlotWords, Slotted, SLOT_WORDS};
use crate::machine::{Input, Machine, Step};
use crate::snapshot::{Fields, Format, Snapshot, SnapshotError};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::ConfigError;

/// What a shaper is asked to do, before validation.
///
/// ```
/// use tickguard::shaper::{ShaperConfig, ShaperSettings};
/// use tickguard::time::Duration;
/// let settings = ShaperSettings { max_wait: Duration::from_ticks(500), ..ShaperConfig::DEFAULT_SETTINGS };
/// assert_eq!(ShaperConfig::new(settings).unwrap().max_wait().ticks(), 500);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShaperSettings {
    /// Tokens that may go at once (at least 1; 1 spaces every request).
    pub capacity: u32,
    /// Tokens that may go every `period` (at least 1).
    pub tokens: u32,
    /// How often `tokens` may go (1..=2^62 ticks).
    pub period: Duration,
    /// The longest a request may be told to wait (0: go now or be refused,
    /// a policer; at most 2^62 ticks).
    pub max_wait: Duration,
}

/// A validated shaper configuration, `const`-constructible: a token
/// bucket's rate and capacity, and the longest wait.
///
/// ```
/// use tickguard::shaper::{ShaperConfig, ShaperSettings};
/// use tickguard::time::Duration;
/// use tickguard::ConfigError;
/// let settings = |capacity, max_wait| ShaperSettings {
///     capacity,
///     tokens: 1,
///     period: Duration::from_ticks(10),
///     max_wait: Duration::from_ticks(max_wait),
/// };
/// assert!(ShaperConfig::new(settings(1, 100)).is_ok());
/// assert_eq!(ShaperConfig::new(settings(0, 100)), Err(ConfigError::ZeroCapacity));
/// assert_eq!(ShaperConfig::new(settings(1, (1 << 62) + 1)), Err(ConfigError::MaxWait));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShaperConfig {
    bucket: BucketConfig,
    max_wait: Tick,
}

impl ShaperConfig {
    /// nginx's `limit_req zone=... rate=10r/s burst=20` without `nodelay`,
    /// in ticks of 1 ms: one request every 100 ticks, queueing up to 20
    /// (2 000 ticks).
    pub const DEFAULT_SETTINGS: ShaperSettings = ShaperSettings {
        capacity: 1,
        tokens: 10,
        period: Duration::from_ticks(1_000),
        max_wait: Duration::from_ticks(2_000),
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::shaper::ShaperConfig;
    /// assert_eq!(ShaperConfig::DEFAULT, ShaperConfig::new(ShaperConfig::DEFAULT_SETTINGS).unwrap());
    /// ```
    pub const DEFAULT: Self = match Self::new(Self::DEFAULT_SETTINGS) {
        Ok(config) => config,
        // Evaluated at compile time: an invalid default fails the build.
        #[allow(clippy::panic)]
        Err(_) => panic!("invalid default shaper configuration"),
    };

    /// Validates `settings`.
    ///
    /// ```
    /// use tickguard::shaper::{ShaperConfig, ShaperSettings};
    /// use tickguard::time::Duration;
    /// let config = ShaperConfig::new(ShaperSettings {
    ///     capacity: 5,
    ///     tokens: 3,
    ///     period: Duration::from_ticks(7),
    ///     max_wait: Duration::ZERO,
    /// })
    /// .unwrap();
    /// assert_eq!(config.rate().capacity(), 5);
    /// ```
    pub const fn new(settings: ShaperSettings) -> Result<Self, ConfigError> {
        let bucket =
            match BucketConfig::rate(settings.capacity, settings.tokens, settings.period.ticks()) {
                Ok(bucket) => bucket,
                Err(error) => return Err(error),
            };
        let max_wait = settings.max_wait.ticks();
        if max_wait > MAX_DURATION {
            return Err(ConfigError::MaxWait);
        }
        Ok(Self { bucket, max_wait })
    }

    /// The settings this configuration was built from.
    ///
    /// ```
    /// use tickguard::shaper::ShaperConfig;
    /// assert_eq!(ShaperConfig::DEFAULT.settings(), ShaperConfig::DEFAULT_SETTINGS);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> ShaperSettings {
        ShaperSettings {
            capacity: self.bucket.capacity(),
            tokens: self.bucket.tokens(),
            period: self.bucket.period(),
            max_wait: self.max_wait(),
        }
    }

    /// The capacity and rate, as the token bucket they are.
    ///
    /// ```
    /// use tickguard::shaper::ShaperConfig;
    /// assert_eq!(ShaperConfig::DEFAULT.rate().tokens(), 10);
    /// ```
    #[must_use]
    pub const fn rate(&self) -> &BucketConfig {
        &self.bucket
    }

    /// The longest a request may be told to wait.
    ///
    /// ```
    /// use tickguard::shaper::ShaperConfig;
    /// assert_eq!(ShaperConfig::DEFAULT.max_wait().ticks(), 2_000);
    /// ```
    #[must_use]
    pub const fn max_wait(&self) -> Duration {
        Duration::from_ticks(self.max_wait)
    }
}

impl AsRef<ShaperConfig> for ShaperConfig {
    fn as_ref(&self) -> &ShaperConfig {
        self
    }
}

impl Default for ShaperConfig {
    /// [`ShaperConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Machine for ShaperConfig {
    /// The token bucket's arrival time, in a 128-bit word (as a held
    /// bucket's).
    type Word = u128;

    /// Never used: full.
    fn fresh(&self) -> u128 {
        0
    }
}

/// [`Shaper::schedule`] as a machine input ([`crate::machine`]).
///
/// ```
/// use core::cell::Cell;
/// use tickguard::machine::{run, Machine};
/// use tickguard::shaper::{Schedule, ShaperConfig};
/// use tickguard::time::Instant;
/// let config = ShaperConfig::DEFAULT;
/// let mut word = Cell::new(config.fresh());
/// let now = Instant::from_ticks(0);
/// assert_eq!(run(&config, Schedule { n: 1, now }, &mut word), Ok(Ok(now)));
/// assert_eq!(run(&config, Schedule { n: 1, now }, &mut word), Ok(Ok(Instant::from_ticks(100))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Tokens to send.
    pub n: u32,
    /// The caller's tick.
    pub now: Instant,
}

impl Schedule {
    /// The request measured against the configuration, or the decision
    /// that needs no word (`n = 0`, `n` above the capacity).
    fn measured<'a>(
        &self,
        config: &'a ShaperConfig,
    ) -> Result<ScheduleRequest<'a, u128>, Decision> {
        match config
            .bucket
            .request::<u128, false>(self.n, self.now.ticks())
        {
            Ok(request) => Ok(ScheduleRequest {
                request,
                max_wait: config.max_wait,
            }),
            Err(decision) => Err(decision.map(|()| self.now)),
        }
    }
}

impl Input<ShaperConfig> for Schedule {
    type Decision = Decision;

    /// A refusal (the wait would be too long) from one comparison.
    fn quick(&self, config: &ShaperConfig, word: u128) -> Option<Decision> {
        match self.measured(config) {
            Ok(input) => input.quick(&Tat::MACHINE, word),
            Err(decision) => Some(decision),
        }
    }

    fn step(&self, config: &ShaperConfig, word: u128) -> Step<u128, Decision> {
        match self.measured(config) {
            Ok(input) => input.step(&Tat::MACHINE, word),
            Err(decision) => Step::Keep(decision),
        }
    }
}

/// What [`Shaper::schedule`] decides: the tick to send at, or why not
/// ([`Refused::Wait`]: the wait would be longer than `max_wait`;
/// [`Refused::ExceedsCapacity`]: more tokens at once than the capacity).
pub type Decision = Result<Instant, Refused>;

/// The shaper's configuration, as the token bucket it holds sees it.
#[derive(Debug)]
struct Shaped<C>(C);

impl<C: AsRef<ShaperConfig>> AsRef<BucketConfig> for Shaped<C> {
    fn as_ref(&self) -> &BucketConfig {
        &self.0.as_ref().bucket
    }
}

/// A leaky bucket as a queue: its configuration (or a reference to it) and
/// the token bucket's state word. All methods take `&self` and are safe
/// from several threads and interrupt handlers at once.
///
/// ```
/// use tickguard::shaper::{Shaper, ShaperConfig};
/// use tickguard::time::Instant;
/// let shaper = Shaper::new(ShaperConfig::DEFAULT); // 10 per 1 000 ticks, queue 2 000
/// let sends: Vec<_> = (0..3).map(|_| shaper.schedule(1, Instant::from_ticks(50)).unwrap().ticks()).collect();
/// assert_eq!(sends, [50, 150, 250]);
/// ```
#[derive(Debug)]
pub struct Shaper<C = &'static ShaperConfig> {
    bucket: TokenBucket<Shaped<C>>,
}

impl<C: AsRef<ShaperConfig>> Shaper<C> {
    /// A shaper with nothing queued.
    ///
    /// ```
    /// use tickguard::shaper::{Shaper, ShaperConfig};
    /// use tickguard::time::Instant;
    /// let shaper = Shaper::new(ShaperConfig::DEFAULT);
    /// assert_eq!(shaper.schedule(1, Instant::from_ticks(9)), Ok(Instant::from_ticks(9)));
    /// ```
    #[must_use]
    pub const fn new(config: C) -> Self {
        Self {
            bucket: TokenBucket::new(Shaped(config)),
        }
    }

    /// The configuration.
    ///
    /// ```
    /// use tickguard::shaper::{Shaper, ShaperConfig};
    /// assert_eq!(Shaper::new(ShaperConfig::DEFAULT).config().max_wait().ticks(), 2_000);
    /// ```
    #[must_use]
    pub fn config(&self) -> &ShaperConfig {
        self.bucket.holder().0.as_ref()
    }

    /// Reserves `n` tokens and returns the tick at which to send them (`now`
    /// if they may go now), or refuses, reserving nothing, when that tick is
    /// more than `max_wait` after `now`. `n = 0` goes now and reserves
    /// nothing; `n` above the capacity is [`Refused::ExceedsCapacity`].
    ///
    /// ```
    /// use tickguard::bucket::Refused;
    /// use tickguard::shaper::{Shaper, ShaperConfig, ShaperSettings};
    /// use tickguard::time::{Duration, Instant};
    /// let shaper = Shaper::new(ShaperConfig::new(ShaperSettings {
    ///     capacity: 2,
    ///     tokens: 1,
    ///     period: Duration::from_ticks(10),
    ///     max_wait: Duration::from_ticks(15),
    /// }).unwrap());
    /// let at = Instant::from_ticks;
    /// assert_eq!(shaper.schedule(2, at(0)), Ok(at(0))); // a burst of 2 at once
    /// assert_eq!(shaper.schedule(1, at(0)), Ok(at(10)));
    /// assert_eq!(shaper.schedule(2, at(0)), Err(Refused::Wait { retry_at: at(15) })); // would wait 30
    /// assert_eq!(shaper.schedule(3, at(0)), Err(Refused::ExceedsCapacity));
    /// ```
    #[inline]
    pub fn schedule(&self, n: u32, now: Instant) -> Decision {
        self.bucket.schedule(n, now, self.config().max_wait)
    }

    /// Empties the queue, as if new.
    ///
    /// ```
    /// use tickguard::shaper::{Shaper, ShaperConfig};
    /// use tickguard::time::Instant;
    /// let shaper = Shaper::new(ShaperConfig::DEFAULT);
    /// let _ = shaper.schedule(1, Instant::ZERO);
    /// shaper.reset();
    /// assert_eq!(shaper.schedule(1, Instant::ZERO), Ok(Instant::ZERO));
    /// ```
    pub fn reset(&self) {
        self.bucket.reset();
    }

    /// The state as a snapshot taken at `now` ([`crate::snapshot`]): the
    /// token bucket's arrival time, which may lie up to `max_wait` further
    /// ahead than a bucket's.
    ///
    /// ```
    /// use tickguard::shaper::{Shaper, ShaperConfig};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let shaper = Shaper::new(&ShaperConfig::DEFAULT);
    /// for _ in 0..5 {
    ///     let _ = shaper.schedule(1, Instant::from_ticks(70_000));
    /// }
    /// let saved = shaper.snapshot(Instant::from_ticks(70_000));
    /// let rebooted = Shaper::new(&ShaperConfig::DEFAULT);
    /// rebooted.restore(&saved, Instant::from_ticks(0)).unwrap();
    /// assert_eq!(rebooted.schedule(1, Instant::from_ticks(0)), Ok(Instant::from_ticks(500)));
    /// ```
    #[must_use]
    pub fn snapshot(&self, now: Instant) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, now)
    }
}

impl SlotWords for ShaperConfig {
    /// The bucket's words, with `max_wait` above its reciprocal.
    fn to_slot(&self) -> [u128; SLOT_WORDS] {
        self.slot_words()
    }

    fn from_slot([first, second, third]: [u128; SLOT_WORDS]) -> Self {
        Self {
            bucket: BucketConfig::from_slot([first, second, third]),
            max_wait: (third >> 64) as u64,
        }
    }
}

impl Slotted for ShaperConfig {
    /// The bucket's carry of the tokens, at `now` or the earliest tick the
    /// shaper can have scheduled at (its arrival time is at most a window
    /// and `max_wait` past it). A queue (an arrival time more than a window
    /// ahead: sends given behind an empty bucket) is kept as time: the new
    /// bucket is empty at the tick the last send given can lie at (the
    /// arrival time less one token) and refills at its own rate from
    /// there.
    fn rebase(&self, from: &Self, tat: u128, now: Tick) -> u128 {
        if tat == 0 {
            return 0;
        }
        let units = from.bucket.units_per_tick();
        let window = from.bucket.window_in::<u128>();
        let queue = <u128 as Units>::scaled(from.max_wait, units);
        let earliest = ticks_of_units(tat.saturating_sub(window.saturating_add(queue)), units);
        let anchor = now.max(earliest);
        let backlog = tat.saturating_sub(<u128 as Units>::scaled(anchor, units));
        if backlog <= window {
            return self.bucket.carry_at(&from.bucket, tat, anchor);
        }
        let last_send = ticks_of_units(tat.saturating_sub(u128::from(from.bucket.interval)), units);
        <u128 as Units>::scaled(last_send, self.bucket.units_per_tick())
            .saturating_add(self.bucket.window_in::<u128>())
    }
}

impl ShaperConfig {
    const fn slot_words(&self) -> [u128; SLOT_WORDS] {
        let [first, second, third] = self.bucket.slot_words();
        [first, second, third | (self.max_wait as u128) << 64]
    }
}

/// A shaper whose configuration [`reconfigure`](LiveMachine::reconfigure)
/// replaces while callers use it, as [`LiveBucket`](crate::bucket::LiveBucket)
/// for the token bucket: the tokens carry over at `now` (clamped to the
/// new capacity); sends already given keep their ticks, and a queue of
/// them (given behind an empty bucket) is kept as time: requests after the
/// change are sent after the last of it, at the new rate. Its decisions are
/// the [`Shaper`]'s.
///
/// ```
/// use tickguard::shaper::{LiveShaper, ShaperConfig, ShaperSettings};
/// use tickguard::time::{Duration, Instant};
/// let shaper = LiveShaper::new(ShaperConfig::DEFAULT); // one per 100 ticks
/// let at = Instant::from_ticks;
/// assert_eq!(shaper.schedule(1, at(0)), Ok(at(0)));
/// assert_eq!(shaper.schedule(1, at(0)), Ok(at(100)));
/// assert_eq!(shaper.schedule(1, at(0)), Ok(at(200)));
/// // Twice the rate: the sends given for 100 and 200 stay; the next ones
/// // follow 50 apart.
/// let faster = ShaperSettings { tokens: 20, ..ShaperConfig::DEFAULT_SETTINGS };
/// shaper.reconfigure(ShaperConfig::new(faster).unwrap(), at(0)).unwrap();
/// assert_eq!(shaper.schedule(1, at(0)), Ok(at(250)));
/// assert_eq!(shaper.schedule(1, at(0)), Ok(at(300)));
/// ```
pub type LiveShaper = LiveMachine<ShaperConfig>;

impl LiveMachine<ShaperConfig> {
    /// A shaper with nothing queued.
    ///
    /// ```
    /// use tickguard::shaper::{LiveShaper, ShaperConfig};
    /// use tickguard::time::Instant;
    /// static OUTPUT: LiveShaper = LiveShaper::new(ShaperConfig::DEFAULT);
    /// assert_eq!(OUTPUT.schedule(1, Instant::from_ticks(9)), Ok(Instant::from_ticks(9)));
    /// ```
    #[must_use]
    pub const fn new(config: ShaperConfig) -> Self {
        Self::from_slot_words(config.slot_words())
    }

    /// [`Shaper::schedule`] under the configuration in force.
    ///
    /// ```
    /// use tickguard::shaper::{LiveShaper, ShaperConfig};
    /// use tickguard::time::Instant;
    /// let shaper = LiveShaper::new(ShaperConfig::DEFAULT);
    /// assert_eq!(shaper.schedule(1, Instant::ZERO), Ok(Instant::ZERO));
    /// assert_eq!(shaper.schedule(1, Instant::ZERO), Ok(Instant::from_ticks(100)));
    /// ```
    #[inline]
    pub fn schedule(&self, n: u32, now: Instant) -> Decision {
        self.run(Schedule { n, now }, now)
    }

    /// The state as a snapshot taken at `now`: the same bytes as a
    /// [`Shaper`]'s under the configuration in force.
    ///
    /// ```
    /// use tickguard::shaper::{LiveShaper, ShaperConfig};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let shaper = LiveShaper::new(ShaperConfig::DEFAULT);
    /// let _ = shaper.schedule(1, Instant::from_ticks(5_000));
    /// let saved = shaper.snapshot(Instant::from_ticks(5_000));
    /// let rebooted = LiveShaper::new(ShaperConfig::DEFAULT);
    /// rebooted.restore(&saved, Instant::ZERO).unwrap();
    /// assert_eq!(rebooted.schedule(1, Instant::ZERO), Ok(Instant::from_ticks(100)));
    /// ```
    #[must_use]
    pub fn snapshot(&self, now: Instant) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, now)
    }
}

/// Bytes of a shaper's snapshot ([`Shaper::snapshot`]).
pub const SNAPSHOT_LEN: usize = <ShaperConfig as Format>::LEN;

impl<C: AsRef<ShaperConfig>> Snapshot for Shaper<C> {
    const SNAPSHOT_LEN: usize = SNAPSHOT_LEN;

    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        crate::snapshot::save(self.config(), self.bucket.word(), now, out)
    }

    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        let restored = crate::snapshot::restore(self.config(), bytes, now);
        self.bucket.install(*restored.as_ref().unwrap_or(&0));
        restored.map(|_| ())
    }
}

impl Format for ShaperConfig {
    const KIND: u8 = 7;
    /// The token bucket's state.
    const STATE_LEN: usize = <BucketConfig as Format>::STATE_LEN;

    fn fingerprint(&self, fields: &mut Fields<'_>) {
        self.bucket.fingerprint(fields);
        fields.u64(self.max_wait);
    }

    fn save_state(&self, word: u128, fields: &mut Fields<'_>) {
        self.bucket.save_state(word, fields);
    }

    /// The bucket's rule, with room for the queue: an arrival time at most
    /// a window and `max_wait` past `now`.
    fn restore_state(&self, fields: &mut Fields<'_>) -> Option<u128> {
        self.bucket.restore_tat(fields, self.max_wait)
    }
}

#[cfg(test)]
mod tests;
