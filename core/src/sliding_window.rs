//! Sliding-window counter: at most `limit` events per `window` ticks,
//! estimated from the counts of the current and the previous fixed window,
//! the previous one weighted by how much of it the sliding window still
//! covers (Cloudflare's and Envoy's approximation). One word, no log.
//!
//! At offset `o` into the current window, the estimate is
//! `previous × (window − o) / window + current`, and `n` events are
//! admitted when the estimate plus `n` is at most `limit`, compared exactly
//! in integers (`previous × (window − o) + (current + n) × window ≤ limit ×
//! window`: no float, no rounding). Windows follow one another from the
//! first use; after two idle windows the next event starts a new run of
//! them.
//!
//! # Error against an exact sliding log
//!
//! The estimate assumes the previous window's events were spread evenly.
//! When they were not, it errs both ways (property-tested against an exact
//! log of the admitted ticks):
//!
//! * **Over the limit**: if the previous window's events came at its end,
//!   they are still all inside the sliding window while the estimate has
//!   weighted them down. Any `window` ticks then see at most `limit +
//!   previous × o / window` events, with `o` the offset of the last
//!   admission: always fewer than `2 × limit`, and at most `limit` within
//!   each fixed window.
//! * **Under it**: if they came at its start, they have left the sliding
//!   window while the estimate still counts part of them: a request the
//!   exact log would admit can be refused, until the weight runs out at
//!   the end of the current window.
//!
//! [`crate::fixed_window`] keeps `burst` per fixed window exactly (twice
//! that across a boundary); a sliding log would be exact at the cost of a
//! word per event; this counter bounds both sides in 16 bytes.
//!
//! # Time
//!
//! A `now` before the current window's start counts as that start (no time
//! elapsed), and one inside it as itself: a lagging caller sees the
//! previous window weighted at least as much as at the latest tick, so it
//! can be refused, never admitted beyond what the latest tick allows; only
//! a call at or past the window's end rolls it. A refusal writes nothing.
//!
//! ```
//! use tickguard::bucket::Refused;
//! use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
//! use tickguard::time::{Duration, Instant};
//!
//! // 10 requests per 1 000 ticks.
//! static CONFIG: SlidingWindowConfig = match SlidingWindowConfig::new(SlidingWindowSettings {
//!     limit: 10,
//!     window: Duration::from_ticks(1_000),
//! }) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid window"),
//! };
//! static LIMIT: SlidingWindow = SlidingWindow::new(&CONFIG);
//!
//! let at = Instant::from_ticks;
//! assert!(LIMIT.acquire(10, at(0)).is_ok());
//! // Half-way through the next window, half the first still counts: 5 more.
//! assert!(LIMIT.acquire(5, at(1_500)).is_ok());
//! assert_eq!(LIMIT.acquire(1, at(1_500)), Err(Refused::Wait { retry_at: at(1_600) }));
//! ```

use crate::bucket::Refused;
use crate::cell::StateCell;
use crate::live::{live_config, Reconfigure, Source};
use crate::machine::{Input, Machine, Step};
use crate::snapshot::{Fields, Format};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::ConfigError;

/// What a sliding-window counter is asked to do, before validation.
///
/// ```
/// use tickguard::sliding_window::{SlidingWindowConfig, SlidingWindowSettings};
/// let settings = SlidingWindowSettings { limit: 500, ..SlidingWindowConfig::DEFAULT_SETTINGS };
/// assert_eq!(SlidingWindowConfig::new(settings).unwrap().limit(), 500);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlidingWindowSettings {
    /// The most events per window (at least 1).
    pub limit: u32,
    /// The window's length (1..=2^62 ticks).
    pub window: Duration,
}

/// A validated sliding-window configuration, `const`-constructible.
///
/// ```
/// use tickguard::sliding_window::{SlidingWindowConfig, SlidingWindowSettings};
/// use tickguard::time::Duration;
/// use tickguard::ConfigError;
/// let settings = |limit, window| SlidingWindowSettings { limit, window: Duration::from_ticks(window) };
/// assert!(SlidingWindowConfig::new(settings(100, 60_000)).is_ok());
/// assert_eq!(SlidingWindowConfig::new(settings(0, 60_000)), Err(ConfigError::Limit));
/// assert_eq!(SlidingWindowConfig::new(settings(100, 0)), Err(ConfigError::Window));
/// assert_eq!(SlidingWindowConfig::new(settings(100, (1 << 62) + 1)), Err(ConfigError::Window));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlidingWindowConfig {
    /// Every field is a plain integer, valid for every bit pattern (the C
    /// ABI keeps the configuration in caller memory).
    limit: u32,
    window: Tick,
}

impl SlidingWindowConfig {
    /// 100 events per 60 000 ticks (a minute of 1 ms ticks).
    pub const DEFAULT_SETTINGS: SlidingWindowSettings = SlidingWindowSettings {
        limit: 100,
        window: Duration::from_ticks(60_000),
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::sliding_window::SlidingWindowConfig;
    /// assert_eq!(SlidingWindowConfig::DEFAULT, SlidingWindowConfig::new(SlidingWindowConfig::DEFAULT_SETTINGS).unwrap());
    /// ```
    pub const DEFAULT: Self = Self {
        limit: 100,
        window: 60_000,
    };

    /// Validates `settings`.
    ///
    /// ```
    /// use tickguard::sliding_window::{SlidingWindowConfig, SlidingWindowSettings};
    /// use tickguard::time::Duration;
    /// let config = SlidingWindowConfig::new(SlidingWindowSettings { limit: 3, window: Duration::from_ticks(10) }).unwrap();
    /// assert_eq!(config.window().ticks(), 10);
    /// ```
    pub const fn new(settings: SlidingWindowSettings) -> Result<Self, ConfigError> {
        let window = settings.window.ticks();
        if settings.limit == 0 {
            return Err(ConfigError::Limit);
        }
        if window == 0 || window > MAX_DURATION {
            return Err(ConfigError::Window);
        }
        Ok(Self {
            limit: settings.limit,
            window,
        })
    }

    /// The settings this configuration was built from.
    ///
    /// ```
    /// use tickguard::sliding_window::SlidingWindowConfig;
    /// assert_eq!(SlidingWindowConfig::DEFAULT.settings(), SlidingWindowConfig::DEFAULT_SETTINGS);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> SlidingWindowSettings {
        SlidingWindowSettings {
            limit: self.limit,
            window: self.window(),
        }
    }

    /// The most events per window.
    ///
    /// ```
    /// assert_eq!(tickguard::sliding_window::SlidingWindowConfig::DEFAULT.limit(), 100);
    /// ```
    #[must_use]
    pub const fn limit(&self) -> u32 {
        self.limit
    }

    /// The window's length.
    ///
    /// ```
    /// assert_eq!(tickguard::sliding_window::SlidingWindowConfig::DEFAULT.window().ticks(), 60_000);
    /// ```
    #[must_use]
    pub const fn window(&self) -> Duration {
        Duration::from_ticks(self.window)
    }

    /// This configuration with its limit lowered to `limit` (a keyed
    /// table's 16-bit counts).
    pub(crate) const fn at_most(&self, limit: u32) -> Self {
        Self {
            limit: if self.limit < limit {
                self.limit
            } else {
                limit
            },
            window: self.window,
        }
    }

    /// `counts` as seen at `now`, rolled to the window `now` falls in, and
    /// `now`'s offset into it (0 for a `now` before its start).
    #[inline]
    pub(crate) fn at(&self, counts: Counts, now: Tick) -> (Counts, Tick) {
        let end = counts.start.saturating_add(self.window);
        if now < end {
            return (counts, now.saturating_sub(counts.start));
        }
        if now < end.saturating_add(self.window) {
            let next = Counts {
                start: end,
                current: 0,
                previous: counts.current,
            };
            return (next, now.wrapping_sub(end));
        }
        // Two windows idle: a new run of windows starts at `now`.
        let fresh = Counts {
            start: now,
            current: 0,
            previous: 0,
        };
        (fresh, 0)
    }

    /// Whether `n` more events fit the estimate at `offset` into the
    /// window of `counts`: `previous × (window − offset) + (current + n) ×
    /// window ≤ limit × window`, exactly.
    #[inline]
    pub(crate) fn fits(&self, counts: Counts, offset: Tick, n: u32) -> bool {
        let window = u128::from(self.window);
        let weighted = u128::from(counts.previous)
            .wrapping_mul(u128::from(self.window.saturating_sub(offset)));
        let current = u128::from(counts.current)
            .saturating_add(u128::from(n))
            .wrapping_mul(window);
        // Below 2^96 each: no sum or product here can overflow.
        weighted.saturating_add(current) <= u128::from(self.limit).wrapping_mul(window)
    }

    /// The earliest tick at which `n` events fit, if nobody else takes
    /// room first: later in this window (as the previous window's weight
    /// runs out), in the next (this window's count weighted down), or at
    /// the start of the one after.
    pub(crate) fn retry_at(&self, counts: Counts, n: u32) -> Tick {
        let limit = u64::from(self.limit);
        let room = limit.saturating_sub(u64::from(counts.current).saturating_add(u64::from(n)));
        let wanted = u64::from(counts.current).saturating_add(u64::from(n));
        let this_window = if counts.previous == 0 || wanted > limit {
            None
        } else {
            // offset ≥ window − ⌊room × window / previous⌋
            let covered = crate::wide::mul_div(room, self.window, u64::from(counts.previous));
            self.window
                .checked_sub(covered)
                .filter(|&offset| offset < self.window)
        };
        let next = counts.start.saturating_add(self.window);
        match this_window {
            Some(offset) => counts.start.saturating_add(offset),
            None if counts.current == 0 => next,
            None => {
                let room = limit.saturating_sub(u64::from(n));
                let covered = crate::wide::mul_div(room, self.window, u64::from(counts.current));
                match self.window.checked_sub(covered) {
                    Some(offset) if offset < self.window => next.saturating_add(offset),
                    _ => next.saturating_add(self.window),
                }
            }
        }
    }

    /// The step of `n` events at `now` on `word`.
    #[inline]
    fn acquire(&self, word: u128, n: u32, now: Tick) -> Step<u128, Decision> {
        match self.count(Counts::unpack(word), n, now) {
            Ok(counts) => Step::unless_same(word, counts.pack(), Ok(())),
            Err(refused) => Step::Keep(Err(refused)),
        }
    }

    /// The counts after `n` events at `now`, or why they do not fit (`n`
    /// 0: the counts as they are).
    #[inline]
    pub(crate) fn count(&self, counts: Counts, n: u32, now: Tick) -> Result<Counts, Refused> {
        if n == 0 {
            return Ok(counts);
        }
        if n > self.limit {
            return Err(Refused::ExceedsCapacity);
        }
        let (mut counts, offset) = self.at(counts, now);
        if !self.fits(counts, offset, n) {
            let retry_at = self.retry_at(counts, n).max(now.saturating_add(1));
            return Err(Refused::Wait {
                retry_at: Instant::from_ticks(retry_at),
            });
        }
        counts.current = counts.current.saturating_add(n);
        Ok(counts)
    }

    /// Whole events that fit at `now`: the largest `n` that
    /// [`fits`](Self::fits), `limit − ⌈previous × (window − offset) /
    /// window⌉ − current`.
    fn available(&self, word: u128, now: Tick) -> u32 {
        self.available_of(Counts::unpack(word), now)
    }

    /// [`available`](Self::available) of unpacked counts.
    pub(crate) fn available_of(&self, counts: Counts, now: Tick) -> u32 {
        let (counts, offset) = self.at(counts, now);
        let left = self.window.saturating_sub(offset);
        let weighted = u128::from(counts.previous).wrapping_mul(u128::from(left));
        let floor = crate::wide::mul_div(u64::from(counts.previous), left, self.window);
        let exact = u128::from(floor).wrapping_mul(u128::from(self.window)) == weighted;
        let ceil = if exact {
            floor
        } else {
            floor.saturating_add(1)
        };
        let free = u64::from(self.limit)
            .saturating_sub(ceil)
            .saturating_sub(u64::from(counts.current));
        u32::try_from(free).unwrap_or(u32::MAX)
    }
}

/// The state word, unpacked: every bit pattern is a state.
///
/// ```text
///  127 ......... 96 | 95 ......... 64 | 63 .............. 0
///  previous (32)    | current (32)    | start of the current window
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) start: Tick,
    pub(crate) current: u32,
    pub(crate) previous: u32,
}

impl Counts {
    pub(crate) const fn unpack(word: u128) -> Self {
        Self {
            start: word as u64,
            current: (word >> 64) as u32,
            previous: (word >> 96) as u32,
        }
    }

    pub(crate) const fn pack(self) -> u128 {
        ((self.previous as u128) << 96) | ((self.current as u128) << 64) | self.start as u128
    }
}

/// What [`SlidingWindow::acquire`] decides: the events were admitted, or
/// [`Refused::Wait`] with the earliest tick they would fit (if nobody else
/// takes room first), or [`Refused::ExceedsCapacity`] for more than
/// `limit` at once.
pub type Decision = Result<(), Refused>;

impl Machine for SlidingWindowConfig {
    type Word = u128;

    /// Nothing counted (windows from tick 0).
    fn fresh(&self) -> u128 {
        0
    }
}

/// [`SlidingWindow::acquire`] as a machine input ([`crate::machine`]).
///
/// ```
/// use core::cell::Cell;
/// use tickguard::machine::{run, Machine};
/// use tickguard::sliding_window::{Acquire, SlidingWindowConfig};
/// use tickguard::time::Instant;
/// let config = SlidingWindowConfig::DEFAULT;
/// let mut word = Cell::new(config.fresh());
/// assert_eq!(run(&config, Acquire { n: 100, now: Instant::ZERO }, &mut word), Ok(Ok(())));
/// assert!(run(&config, Acquire { n: 1, now: Instant::ZERO }, &mut word).unwrap().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acquire {
    /// Events to count.
    pub n: u32,
    /// The caller's tick.
    pub now: Instant,
}

impl Input<SlidingWindowConfig> for Acquire {
    type Decision = Decision;

    /// A refusal, from the word alone.
    #[inline]
    fn quick(&self, config: &SlidingWindowConfig, word: u128) -> Option<Decision> {
        match config.acquire(word, self.n, self.now.ticks()) {
            Step::Keep(decision) => Some(decision),
            Step::Write(..) => None,
        }
    }

    #[inline]
    fn step(&self, config: &SlidingWindowConfig, word: u128) -> Step<u128, Decision> {
        config.acquire(word, self.n, self.now.ticks())
    }
}

/// [`SlidingWindow::available`] as a machine input: reads only.
///
/// ```
/// use tickguard::machine::{Input, Machine};
/// use tickguard::sliding_window::{Available, SlidingWindowConfig};
/// use tickguard::time::Instant;
/// let config = SlidingWindowConfig::DEFAULT;
/// assert_eq!(Available { now: Instant::ZERO }.quick(&config, config.fresh()), Some(100));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Available {
    /// The caller's tick.
    pub now: Instant,
}

impl Input<SlidingWindowConfig> for Available {
    type Decision = u32;

    fn quick(&self, config: &SlidingWindowConfig, word: u128) -> Option<u32> {
        Some(config.available(word, self.now.ticks()))
    }

    fn step(&self, config: &SlidingWindowConfig, word: u128) -> Step<u128, u32> {
        Step::Keep(config.available(word, self.now.ticks()))
    }
}

impl AsRef<SlidingWindowConfig> for SlidingWindowConfig {
    fn as_ref(&self) -> &SlidingWindowConfig {
        self
    }
}

live_config!(SlidingWindowConfig, "counter");

impl SlidingWindowConfig {
    pub(crate) const fn packed(self) -> u128 {
        ((self.limit as u128) << 64) | self.window as u128
    }

    pub(crate) const fn from_packed(word: u128) -> Self {
        Self {
            limit: (word >> 64) as u32,
            window: word as u64,
        }
    }
}

impl Default for SlidingWindowConfig {
    /// [`SlidingWindowConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A sliding-window counter: its configuration (or a reference to it) and
/// one 128-bit state word. All methods take `&self` and are safe from
/// several threads and interrupt handlers at once.
///
/// ```
/// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig};
/// use tickguard::time::Instant;
/// let limiter = SlidingWindow::new(SlidingWindowConfig::DEFAULT); // 100 per 60 000 ticks
/// assert!(limiter.acquire(100, Instant::from_ticks(0)).is_ok());
/// assert!(limiter.acquire(1, Instant::from_ticks(59_999)).is_err());
/// assert_eq!(limiter.available(Instant::from_ticks(90_000)), 50);
/// ```
#[derive(Debug)]
pub struct SlidingWindow<C = &'static SlidingWindowConfig> {
    config: C,
    word: StateCell<u128>,
}

impl<C: Source<SlidingWindowConfig>> SlidingWindow<C> {
    /// A counter with nothing counted.
    ///
    /// ```
    /// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig};
    /// use tickguard::time::Instant;
    /// assert_eq!(SlidingWindow::new(SlidingWindowConfig::DEFAULT).available(Instant::ZERO), 100);
    /// ```
    #[must_use]
    pub const fn new(config: C) -> Self {
        Self {
            config,
            word: StateCell::<u128>::new(0),
        }
    }

    /// The configuration.
    ///
    /// ```
    /// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig};
    /// assert_eq!(SlidingWindow::new(SlidingWindowConfig::DEFAULT).config().limit(), 100);
    /// ```
    #[must_use]
    pub fn config(&self) -> SlidingWindowConfig {
        self.config.current()
    }

    /// Counts `n` events at `now` if the estimate has room for them, or
    /// refuses with the earliest tick they would fit. A refusal writes
    /// nothing; `n = 0` is admitted and changes nothing; `n` above the
    /// limit is [`Refused::ExceedsCapacity`].
    ///
    /// ```
    /// use tickguard::bucket::Refused;
    /// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
    /// use tickguard::time::{Duration, Instant};
    /// let limiter = SlidingWindow::new(SlidingWindowConfig::new(SlidingWindowSettings { limit: 4, window: Duration::from_ticks(100) }).unwrap());
    /// assert!(limiter.acquire(4, Instant::from_ticks(10)).is_ok());
    /// assert_eq!(limiter.acquire(1, Instant::from_ticks(50)), Err(Refused::Wait { retry_at: Instant::from_ticks(125) }));
    /// assert_eq!(limiter.acquire(5, Instant::from_ticks(50)), Err(Refused::ExceedsCapacity));
    /// ```
    #[inline]
    pub fn acquire(&self, n: u32, now: Instant) -> Decision {
        self.word.apply(&self.config(), Acquire { n, now })
    }

    /// Whole events that would fit at `now`. Reads only.
    ///
    /// ```
    /// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig};
    /// use tickguard::time::Instant;
    /// let limiter = SlidingWindow::new(SlidingWindowConfig::DEFAULT);
    /// limiter.acquire(40, Instant::ZERO).unwrap();
    /// assert_eq!(limiter.available(Instant::from_ticks(1)), 60);
    /// ```
    #[must_use]
    pub fn available(&self, now: Instant) -> u32 {
        self.config().available(self.word.load(), now.ticks())
    }

    /// Forgets every count, as if new.
    ///
    /// ```
    /// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig};
    /// use tickguard::time::Instant;
    /// let limiter = SlidingWindow::new(SlidingWindowConfig::DEFAULT);
    /// limiter.acquire(100, Instant::ZERO).unwrap();
    /// limiter.reset();
    /// assert_eq!(limiter.available(Instant::ZERO), 100);
    /// ```
    pub fn reset(&self) {
        self.word.store(0);
    }

    /// The state as a snapshot taken at `now` ([`crate::snapshot`]).
    ///
    /// ```
    /// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let limiter = SlidingWindow::new(&SlidingWindowConfig::DEFAULT);
    /// limiter.acquire(80, Instant::from_ticks(500_000)).unwrap();
    /// let saved = limiter.snapshot(Instant::from_ticks(530_000));
    /// let rebooted = SlidingWindow::new(&SlidingWindowConfig::DEFAULT);
    /// rebooted.restore(&saved, Instant::from_ticks(30_000)).unwrap(); // the window began 30 000 ticks ago
    /// assert_eq!(rebooted.available(Instant::from_ticks(30_000)), 20);
    /// assert_eq!(rebooted.available(Instant::from_ticks(90_000)), 60); // 80 weighted by a half
    /// ```
    #[must_use]
    pub fn snapshot(&self, now: Instant) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, now)
    }
}

impl<C: Reconfigure<SlidingWindowConfig>> SlidingWindow<C> {
    /// Replaces the configuration while callers use the counter
    /// ([`crate::live`]). The counts stay: a new `limit` applies to them at
    /// once (a lower one refuses until enough of them have slid out, a
    /// higher one admits more now). The current window keeps its start; a
    /// new `window` sets where it ends and how much of the previous one
    /// still weighs, from the next call on. Takes no `now`: nothing a
    /// lagging caller passes can move a window.
    ///
    /// ```
    /// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
    /// use tickguard::time::{Duration, Instant};
    /// let limiter = SlidingWindow::new(SlidingWindowConfig::DEFAULT.live()); // 100 per 60 000 ticks
    /// limiter.acquire(60, Instant::ZERO).unwrap();
    /// limiter.reconfigure(SlidingWindowConfig::new(SlidingWindowSettings { limit: 200, window: Duration::from_ticks(60_000) }).unwrap());
    /// assert_eq!(limiter.available(Instant::from_ticks(1)), 140);
    /// ```
    pub fn reconfigure(&self, config: SlidingWindowConfig) {
        self.config.replace(config);
    }
}

/// Bytes of a sliding-window counter's snapshot ([`SlidingWindow::snapshot`]).
pub const SNAPSHOT_LEN: usize = <SlidingWindowConfig as Format>::LEN;

impl Format for SlidingWindowConfig {
    const KIND: u8 = 8;
    /// The current window's start relative to `now`, then the two counts.
    const STATE_LEN: usize = 8 + 4 + 4;

    fn fingerprint(&self, fields: &mut Fields<'_>) {
        fields.u32(self.limit);
        fields.u64(self.window);
    }

    fn save_state(&self, word: u128, fields: &mut Fields<'_>) {
        let counts = Counts::unpack(word);
        fields.tick(counts.start);
        fields.u32(counts.current);
        fields.u32(counts.previous);
    }

    /// The windows start as many ticks before (or after) `now` as they did
    /// before the snapshot's tick; one that started before this run's tick
    /// 0 is taken to start at 0 (it ends later, never earlier). A window
    /// starting more than a window after `now` is corrupt.
    fn restore_state(&self, fields: &mut Fields<'_>) -> Option<u128> {
        let start = fields.read_tick_in_range().unwrap_or(0);
        let current = fields.read_u32();
        let previous = fields.read_u32();
        (start <= fields.now().saturating_add(self.window)).then_some(
            Counts {
                start,
                current,
                previous,
            }
            .pack(),
        )
    }
}

crate::snapshot::snapshot_of_one_cell! {
    /// Saves and restores the counts ([`crate::snapshot`]).
    ///
    /// ```
    /// use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let limiter = SlidingWindow::new(&SlidingWindowConfig::DEFAULT);
    /// assert!(limiter.restore(b"garbage", Instant::ZERO).is_err());
    /// assert_eq!(limiter.available(Instant::ZERO), 100); // left fresh
    /// ```
    impl[C: Source<SlidingWindowConfig>] for SlidingWindow<C> {
        machine: SlidingWindowConfig,
        |this| (&this.config(), &this.word)
    }
}

#[cfg(test)]
mod tests;
