//! Token bucket, kept as a GCRA in one 128-bit word.
//!
//! A bucket holds at most `capacity` tokens and refills `tokens` every
//! `period` ticks, continuously and exactly: over any span of k periods
//! exactly k × tokens refill, with no float and no lost remainder, and the
//! count never exceeds the capacity. [`TokenBucket::acquire`] takes n tokens
//! or refuses with the earliest tick at which n will be there; a refusal
//! writes nothing.
//!
//! Internally this is the Generic Cell Rate Algorithm. With `g = gcd(tokens,
//! period)`, time is counted in *units* of 1/(tokens/g) tick, so one token
//! costs exactly `period/g` units. The word holds the *theoretical arrival
//! time* (TAT) in units, in full (a tick below 2^64 times at most 2^32 units
//! per tick fits in 96 bits), plus one bit that says whether the bucket has
//! been used. Taking n tokens at time u is allowed when `max(TAT, u) +
//! n·period/g − u ≤ capacity·period/g`, and then TAT becomes that sum.
//!
//! ```text
//!  127  126                                                              0
//! +----+-----------------------------------------------------------------+
//! |used|                    TAT, in units (< 2^97)                        |
//! +----+-----------------------------------------------------------------+
//! ```
//!
//! # Time
//!
//! Ticks are monotonic `u64` ([`crate::time`]); the TAT is absolute, so it
//! never aliases, however long the bucket sits idle. A `now` older than the
//! latest one the bucket has judged a request at (an `acquire` of 1 to
//! `capacity` tokens, granted or refused) means no time elapsed: after such
//! a request at tick L the TAT is at or past L, so the bucket measures a
//! lagging caller from the TAT exactly as it would a caller at L.
//!
//! * [`acquire`](TokenBucket::acquire): the TAT never moves back, so a
//!   lagging caller sees no more tokens than a caller at the latest tick —
//!   fewer, since the TAT is further ahead of its `now` — and is refused
//!   with a `retry_at` measured from its own `now`. Over any interval of true
//!   time the bucket never grants more than capacity + refill, whatever the
//!   callers' lag (property-tested against a reference model).
//! * [`available`](TokenBucket::available): counts tokens as of that `now`,
//!   so a lagging reader sees fewer.
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

const USED: u128 = 1 << 127;

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
    period: Tick,
    initial: u32,
    /// Units per tick: `tokens / g`.
    units_per_tick: u32,
    /// Units per token: `period / g`.
    interval: u64,
    /// `capacity × interval`: the burst window in units.
    window: u128,
}

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while let Some(r) = a.checked_rem(b) {
        a = b;
        b = r;
    }
    a
}

impl BucketConfig {
    /// A full bucket of `capacity` tokens refilling `tokens` every `period`
    /// ticks (`period` at most [`MAX_DURATION`]).
    ///
    /// ```
    /// use tickguard::{bucket::BucketConfig, ConfigError};
    /// assert!(BucketConfig::new(10, 3, 7).is_ok());
    /// assert!(BucketConfig::new(u32::MAX, u32::MAX, 1 << 62).is_ok());
    /// assert_eq!(BucketConfig::new(10, 0, 7), Err(ConfigError::ZeroRefill));
    /// assert_eq!(BucketConfig::new(10, 1, 0), Err(ConfigError::ZeroDuration));
    /// assert_eq!(BucketConfig::new(10, 1, (1 << 62) + 1), Err(ConfigError::DurationTooLong));
    /// ```
    pub const fn new(capacity: u32, tokens: u32, period: Tick) -> Result<Self, ConfigError> {
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
        let divisor = gcd(tokens as u64, period);
        // `divisor` is at least 1 because `period` is.
        let units_per_tick = match (tokens as u64).checked_div(divisor) {
            Some(units) => units as u32,
            None => return Err(ConfigError::ZeroRefill),
        };
        let interval = match period.checked_div(divisor) {
            Some(interval) => interval,
            None => return Err(ConfigError::ZeroDuration),
        };
        Ok(Self {
            capacity,
            tokens,
            period,
            initial: capacity,
            units_per_tick,
            interval,
            window: (capacity as u128).saturating_mul(interval as u128),
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
    pub const fn period(&self) -> Tick {
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

    /// `now` in units.
    #[inline]
    const fn scaled(&self, now: Tick) -> u128 {
        (now as u128).wrapping_mul(self.units_per_tick as u128)
    }

    /// The TAT `word` stands for at scaled time `u` (never before `u`).
    #[inline]
    const fn tat(&self, word: u128, u: u128) -> u128 {
        if word & USED == 0 {
            let missing = self.capacity.saturating_sub(self.initial) as u128;
            return u.saturating_add(missing.saturating_mul(self.interval as u128));
        }
        let tat = word & !USED;
        if tat > u {
            tat
        } else {
            u
        }
    }

    /// The pure transition behind [`TokenBucket::acquire`].
    #[inline]
    fn acquire(&self, word: u128, n: u32, now: Tick) -> (u128, Result<(), Denied>) {
        if n > self.capacity {
            return (word, Err(Denied::ExceedsCapacity));
        }
        if n == 0 {
            return (word, Ok(()));
        }
        let u = self.scaled(now);
        let cost = (n as u128).saturating_mul(self.interval as u128);
        let next = self.tat(word, u).saturating_add(cost);
        let limit = u.saturating_add(self.window);
        if next <= limit {
            return ((next & !USED) | USED, Ok(()));
        }
        let retry_at = now.saturating_add(self.ticks_for(next.saturating_sub(limit)));
        // The first use of a partly filled bucket fixes its start time, even
        // when it refuses; every later refusal leaves the word alone.
        let kept = if word & USED == 0 {
            let start = self.tat(word, u);
            (start & !USED) | USED
        } else {
            word
        };
        (kept, Err(Denied::Wait { retry_at }))
    }

    /// The ticks `units` take, rounded up.
    #[inline]
    const fn ticks_for(&self, units: u128) -> Tick {
        let per_tick = self.units_per_tick as u128;
        if per_tick == 1 {
            return if units > u64::MAX as u128 {
                u64::MAX
            } else {
                units as u64
            };
        }
        let ticks = match (units.checked_div(per_tick), units.checked_rem(per_tick)) {
            (Some(q), Some(0)) => q,
            (Some(q), Some(_)) => q.saturating_add(1),
            _ => units,
        };
        if ticks > u64::MAX as u128 {
            u64::MAX
        } else {
            ticks as u64
        }
    }

    #[inline]
    const fn available(&self, word: u128, now: Tick) -> u32 {
        let u = self.scaled(now);
        let backlog = self.tat(word, u).saturating_sub(u);
        match self
            .window
            .saturating_sub(backlog)
            .checked_div(self.interval as u128)
        {
            Some(tokens) if tokens <= u32::MAX as u128 => tokens as u32,
            _ => 0,
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
    word: StateCell<u128>,
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
            word: StateCell::<u128>::new(0),
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
    pub fn raw_word(&self) -> u128 {
        self.word.load()
    }
}

#[cfg(test)]
mod tests;
