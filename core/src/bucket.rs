//! Token bucket, kept as a GCRA in one 32-bit word.
//!
//! A bucket holds at most `capacity` tokens and refills `tokens` every
//! `period` ticks, continuously and exactly: over any span of k periods
//! exactly k × tokens refill, with no float and no lost remainder, and the
//! count never exceeds the capacity. [`TokenBucket::acquire`] takes n tokens
//! or refuses with the earliest tick at which n will be there; a refusal
//! writes nothing.
//!
//! Internally this is the Generic Cell Rate Algorithm: the word holds the
//! *theoretical arrival time* (TAT) in units of 1/`tokens` tick (after
//! dividing `tokens` and `period` by their gcd), modulo 2^31, plus one bit
//! that says whether the bucket has been touched. Taking n tokens at time u
//! is allowed when `max(TAT, u) + n·period − u ≤ capacity·period`. Hence the
//! one limit on configurations: the burst window `capacity × period`, in
//! those units, must be at most [`MAX_WINDOW_UNITS`] (2^29).
//!
//! Time model: a `now` behind the latest one seen, by up to two burst
//! windows plus [`BACKWARD_SLACK_TICKS`], means no time elapsed (a preempted
//! caller with an old tick gets nothing extra). A TAT further ahead than that
//! is stale — the counter wrapped while the bucket sat idle — and the bucket
//! reads as full. An idle span that happens to land a stale TAT inside that
//! band costs at most that band of refusals, never an extra token.
//!
//! ```
//! use tickguard::bucket::{BucketConfig, Denied, TokenBucket};
//!
//! // A burst of 3, then 1 token every 10 ticks.
//! let config = BucketConfig::new(3, 1, 10).unwrap();
//! let bucket = TokenBucket::new(&config);
//! assert!(bucket.acquire(3, 100).is_ok());
//! assert_eq!(bucket.acquire(1, 100), Err(Denied::Wait { retry_at: 110 }));
//! assert!(bucket.acquire(1, 110).is_ok());
//! assert_eq!(bucket.acquire(4, 110), Err(Denied::ExceedsCapacity));
//! ```

use crate::cell::StateCell;
use crate::time::{Tick, MAX_DURATION};
use crate::ConfigError;

/// The longest burst window a bucket accepts: `capacity × period / g` ≤ 2^29,
/// where `g = gcd(tokens, period)`.
pub const MAX_WINDOW_UNITS: u32 = 1 << 29;

/// How far (in ticks) a caller's `now` may lag behind the latest `now` the
/// bucket saw, beyond two burst windows, and still read as "time went back"
/// rather than as a wrapped counter: covers a caller that sampled its tick,
/// was preempted, and called late.
pub const BACKWARD_SLACK_TICKS: u32 = 1 << 12;

const TOUCHED: u32 = 1 << 31;
const TIME_MASK: u32 = TOUCHED - 1;

/// A validated token-bucket configuration, `const`-constructible.
///
/// ```
/// use tickguard::bucket::BucketConfig;
/// // 100 requests per second on a 1 kHz tick, bursts of 20, starting empty.
/// static LIMIT: BucketConfig = match BucketConfig::new(20, 100, 1_000) {
///     Ok(config) => match config.with_initial_fill(0) {
///         Ok(config) => config,
///         Err(_) => panic!(),
///     },
///     Err(_) => panic!(),
/// };
/// assert_eq!(LIMIT.capacity(), 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BucketConfig {
    capacity: u32,
    tokens: u32,
    period: u32,
    initial: u32,
    /// Scaled time units per tick: `tokens / gcd`.
    units_per_tick: u32,
    /// Scaled time units per token: `period / gcd`.
    interval: u32,
    /// `capacity × interval`.
    window: u32,
    /// The furthest ahead of `now` a stored TAT may be and still count: two
    /// windows plus the backward slack, at most 2^30 units.
    tolerance: u32,
}

/// How far ahead of `now` a stored TAT may lie and still count: two burst
/// windows plus [`BACKWARD_SLACK_TICKS`], capped at a quarter of the circle.
const fn tolerance(window: u32, units_per_tick: u32) -> u32 {
    let slack = BACKWARD_SLACK_TICKS.saturating_mul(units_per_tick);
    let total = window.saturating_mul(2).saturating_add(slack);
    if total < 1 << 30 {
        total
    } else {
        1 << 30
    }
}

/// `ceil(a / b)` with no panic path: `b` is never 0 in a validated
/// configuration, and would read as 1.
#[inline]
const fn ceil_div(a: u32, b: u32) -> u32 {
    match (a.checked_div(b), a.checked_rem(b)) {
        (Some(q), Some(0)) => q,
        (Some(q), Some(_)) => q.saturating_add(1),
        _ => a,
    }
}

const fn gcd(mut a: u32, mut b: u32) -> u32 {
    while let Some(r) = a.checked_rem(b) {
        a = b;
        b = r;
    }
    a
}

impl BucketConfig {
    /// A full bucket of `capacity` tokens refilling `tokens` every `period`
    /// ticks.
    ///
    /// ```
    /// use tickguard::{bucket::BucketConfig, ConfigError};
    /// assert!(BucketConfig::new(10, 3, 7).is_ok());
    /// assert_eq!(BucketConfig::new(10, 0, 7), Err(ConfigError::ZeroRefill));
    /// assert_eq!(BucketConfig::new(10, 1, 0), Err(ConfigError::ZeroDuration));
    /// assert_eq!(BucketConfig::new(10, 1, 1 << 31), Err(ConfigError::DurationTooLong));
    /// ```
    pub const fn new(capacity: u32, tokens: u32, period: u32) -> Result<Self, ConfigError> {
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        if tokens == 0 {
            return Err(ConfigError::ZeroRefill);
        }
        if period == 0 {
            return Err(ConfigError::ZeroDuration);
        }
        if period > MAX_DURATION {
            return Err(ConfigError::DurationTooLong);
        }
        let divisor = gcd(tokens, period);
        // `divisor` is at least 1 because `period` is.
        let units_per_tick = match tokens.checked_div(divisor) {
            Some(units) => units,
            None => return Err(ConfigError::ZeroRefill),
        };
        let interval = match period.checked_div(divisor) {
            Some(interval) => interval,
            None => return Err(ConfigError::ZeroDuration),
        };
        let window = (capacity as u64).saturating_mul(interval as u64);
        if window > MAX_WINDOW_UNITS as u64 {
            return Err(ConfigError::WindowTooLong);
        }
        let window = window as u32;
        Ok(Self {
            capacity,
            tokens,
            period,
            initial: capacity,
            units_per_tick,
            interval,
            window,
            tolerance: tolerance(window, units_per_tick),
        })
    }

    /// The same bucket starting with `fill` tokens instead of full.
    ///
    /// ```
    /// use tickguard::{bucket::BucketConfig, ConfigError};
    /// let config = BucketConfig::new(5, 1, 1).unwrap();
    /// assert_eq!(config.with_initial_fill(2).unwrap().initial_fill(), 2);
    /// assert_eq!(config.with_initial_fill(6), Err(ConfigError::InitialFill));
    /// ```
    pub const fn with_initial_fill(self, fill: u32) -> Result<Self, ConfigError> {
        if fill > self.capacity {
            return Err(ConfigError::InitialFill);
        }
        Ok(Self {
            initial: fill,
            ..self
        })
    }

    /// The most tokens the bucket holds (the burst).
    ///
    /// ```
    /// # use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::new(5, 1, 1).unwrap().capacity(), 5);
    /// ```
    #[must_use]
    pub const fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Tokens refilled per [`period`](Self::period).
    ///
    /// ```
    /// # use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::new(5, 4, 6).unwrap().tokens(), 4);
    /// ```
    #[must_use]
    pub const fn tokens(&self) -> u32 {
        self.tokens
    }

    /// Ticks per refill of [`tokens`](Self::tokens).
    ///
    /// ```
    /// # use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::new(5, 4, 6).unwrap().period(), 6);
    /// ```
    #[must_use]
    pub const fn period(&self) -> u32 {
        self.period
    }

    /// Tokens in the bucket before its first use.
    ///
    /// ```
    /// # use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::new(5, 4, 6).unwrap().initial_fill(), 5);
    /// ```
    #[must_use]
    pub const fn initial_fill(&self) -> u32 {
        self.initial
    }

    #[inline]
    const fn scaled(&self, now: Tick) -> u32 {
        now.wrapping_mul(self.units_per_tick) & TIME_MASK
    }

    /// The backlog (TAT − u, in units; 0 when the bucket is full) that `word`
    /// holds at scaled time `u`.
    #[inline]
    const fn backlog(&self, word: u32, u: u32) -> u32 {
        if word & TOUCHED == 0 {
            let missing = self.capacity.saturating_sub(self.initial);
            return missing.saturating_mul(self.interval);
        }
        let ahead = word.wrapping_sub(u) & TIME_MASK;
        // Up to one window ahead is normal; up to two windows plus a slack
        // means the clock went back (no time elapsed). Further ahead, the TAT
        // is in the past or stale after a long idle: the bucket is full.
        if ahead <= self.tolerance {
            ahead
        } else {
            0
        }
    }

    /// The pure transition behind [`TokenBucket::acquire`].
    #[inline]
    fn acquire(&self, word: u32, n: u32, now: Tick) -> (u32, Result<(), Denied>) {
        if n > self.capacity {
            return (word, Err(Denied::ExceedsCapacity));
        }
        if n == 0 {
            return (word, Ok(()));
        }
        let u = self.scaled(now);
        let backlog = self.backlog(word, u);
        // n ≤ capacity, so cost ≤ window ≤ 2^29 and the sums below fit.
        let cost = n.saturating_mul(self.interval);
        let needed = backlog.saturating_add(cost);
        if needed <= self.window {
            let tat = u.wrapping_add(needed) & TIME_MASK;
            return (tat | TOUCHED, Ok(()));
        }
        let wait = needed.saturating_sub(self.window);
        let ticks = ceil_div(wait, self.units_per_tick);
        let retry_at = now.wrapping_add(ticks);
        // The first touch of a partly filled bucket fixes its start time, even
        // when it refuses; every later refusal leaves the word alone.
        let kept = if word & TOUCHED == 0 {
            (u.wrapping_add(backlog) & TIME_MASK) | TOUCHED
        } else {
            word
        };
        (kept, Err(Denied::Wait { retry_at }))
    }

    #[inline]
    const fn available(&self, word: u32, now: Tick) -> u32 {
        let backlog = self.backlog(word, self.scaled(now));
        match self
            .window
            .saturating_sub(backlog)
            .checked_div(self.interval)
        {
            Some(tokens) => tokens,
            None => 0,
        }
    }
}

impl AsRef<BucketConfig> for BucketConfig {
    fn as_ref(&self) -> &BucketConfig {
        self
    }
}

/// Why [`TokenBucket::acquire`] did not take the tokens.
///
/// ```
/// use tickguard::bucket::{BucketConfig, Denied, TokenBucket};
/// let bucket = TokenBucket::new(BucketConfig::new(2, 1, 10).unwrap());
/// assert_eq!(bucket.acquire(3, 0), Err(Denied::ExceedsCapacity)); // never
/// assert!(bucket.acquire(2, 0).is_ok());
/// match bucket.acquire(1, 4) {
///     Err(Denied::Wait { retry_at }) => assert_eq!(retry_at, 10), // later
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum Denied {
    /// Not enough tokens now; at `retry_at` there will be (if nobody else
    /// takes them first).
    Wait {
        /// The earliest tick at which the request can succeed.
        retry_at: Tick,
    },
    /// More tokens than the capacity: this request can never succeed.
    ExceedsCapacity,
}

/// A token bucket: a reference to its configuration and one atomic word.
///
/// All methods take `&self` and are safe from several threads and from
/// interrupt handlers at once.
///
/// ```
/// use tickguard::bucket::{BucketConfig, TokenBucket};
/// static CONFIG: BucketConfig = match BucketConfig::new(2, 1, 1_000) {
///     Ok(c) => c,
///     Err(_) => panic!(),
/// };
/// static BUCKET: TokenBucket = TokenBucket::new(&CONFIG);
/// assert!(BUCKET.acquire(2, 0).is_ok());
/// assert!(BUCKET.acquire(1, 999).is_err());
/// assert!(BUCKET.acquire(1, 1_000).is_ok());
/// ```
#[derive(Debug)]
pub struct TokenBucket<C = &'static BucketConfig> {
    config: C,
    word: StateCell,
}

impl<C: AsRef<BucketConfig>> TokenBucket<C> {
    /// A bucket holding its configured initial fill.
    ///
    /// ```
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(4, 1, 1).unwrap());
    /// assert_eq!(bucket.available(0), 4);
    /// ```
    pub const fn new(config: C) -> Self {
        Self {
            config,
            word: StateCell::new(0),
        }
    }

    /// The configuration.
    ///
    /// ```
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(4, 1, 1).unwrap());
    /// assert_eq!(bucket.config().capacity(), 4);
    /// ```
    #[must_use]
    pub fn config(&self) -> &BucketConfig {
        self.config.as_ref()
    }

    /// Takes `n` tokens at `now`, or refuses with the earliest tick at which
    /// `n` will be available. `n = 0` always succeeds and changes nothing;
    /// `n > capacity` is [`Denied::ExceedsCapacity`]. A refusal does not write
    /// the state word (except the very first use of a bucket configured to
    /// start less than full, which fixes its start time).
    ///
    /// ```
    /// # use tickguard::bucket::{BucketConfig, Denied, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(1, 1, 5).unwrap());
    /// assert_eq!(bucket.acquire(1, 10), Ok(()));
    /// assert_eq!(bucket.acquire(1, 12), Err(Denied::Wait { retry_at: 15 }));
    /// ```
    #[inline]
    pub fn acquire(&self, n: u32, now: Tick) -> Result<(), Denied> {
        let config = self.config();
        self.word.update(|w| config.acquire(w, n, now))
    }

    /// Whole tokens available at `now`. Reads only.
    ///
    /// ```
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(10, 1, 2).unwrap());
    /// bucket.acquire(10, 0).unwrap();
    /// assert_eq!(bucket.available(7), 3);
    /// ```
    #[must_use]
    pub fn available(&self, now: Tick) -> u32 {
        self.config().available(self.word.load(), now)
    }

    /// Refills the bucket to its initial fill, as if new.
    ///
    /// ```
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(3, 1, 100).unwrap());
    /// bucket.acquire(3, 0).unwrap();
    /// bucket.reset();
    /// assert_eq!(bucket.available(1), 3);
    /// ```
    pub fn reset(&self) {
        self.word.store(0);
    }

    /// The raw state word (for diagnostics and tests).
    ///
    /// ```
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// assert_eq!(TokenBucket::new(BucketConfig::new(3, 1, 1).unwrap()).raw_word(), 0);
    /// ```
    #[must_use]
    pub fn raw_word(&self) -> u32 {
        self.word.load()
    }
}

#[cfg(test)]
mod tests;
