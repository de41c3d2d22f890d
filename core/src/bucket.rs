//! Token bucket, kept as a GCRA in one 64-bit word (128 bits for rates that
//! need it).
//!
//! A bucket holds at most `capacity` tokens and refills `tokens` every
//! `period` ticks, continuously and exactly: over any span of k periods
//! exactly k × tokens refill, with no float and no lost remainder, and the
//! count never exceeds the capacity. [`TokenBucket::acquire`] takes n tokens
//! or refuses with the earliest tick at which n will be there; a refusal
//! writes nothing.
//!
//! A leaky bucket used as a *meter* (ATM's and nginx's `limit_req ...
//! nodelay`: a request conforms or is refused) is this same algorithm: a
//! token bucket of `capacity` is a leaky bucket of depth `capacity` draining
//! `tokens` per `period`, and they decide alike on every sequence. The
//! leaky bucket as a *queue* (a shaper that tells each request when to go)
//! is [`crate::shaper`], on this module's code and state word.
//!
//! Internally this is the Generic Cell Rate Algorithm. With `g = gcd(tokens,
//! period)`, time is counted in *units* of 1/(tokens/g) tick, so one token
//! costs exactly `period/g` units. The state is the *theoretical arrival
//! time* (TAT) in units, in full; 0 means "never used" (a used bucket's TAT
//! is at least one token's cost). Taking n tokens at time u is allowed when
//! `max(TAT, u) + n·period/g − u ≤ capacity·period/g`, and then TAT becomes
//! that sum.
//!
//! The TAT lives in one of two words, chosen by the configuration:
//!
//! * **64 bits** when every TAT up to the horizon ([`MAX_DURATION`] ticks)
//!   fits: `tokens/g · 2^62 + 2 · capacity·period/g < 2^64`, i.e. at most 3
//!   units per tick. That covers "n tokens every m ticks" whenever n divides
//!   m (one token per 10 ms, 100 per second on a 1 kHz or 1 MHz tick, ...)
//!   and most other real rates ([`BucketConfig::is_narrow`]).
//! * **128 bits** otherwise (a tick below 2^64 times at most 2^32 units per
//!   tick fits in 96 bits).
//!
//! Both are exact and never alias; the 64-bit word is cheaper to update
//! (a 64-bit compare-and-swap) and lock-free wherever 64-bit atomics are.
//! A [`TokenBucket`] has room for both (24 bytes) and uses the one its
//! configuration chooses.
//!
//! ```text
//!  63 (or 127)                                                         0
//! +--------------------------------------------------------------------+
//! |                TAT, in units (0: never used)                       |
//! +--------------------------------------------------------------------+
//! ```
//!
//! The fast path (one unit per tick, starting full, the 64-bit word, and a
//! `now` below `2^64 − window`) computes everything that does not depend on
//! the word before reading it, with plain sums that cannot overflow there:
//! a refusal is one load, one addition and one comparison.
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
//!   with a `retry_at` measured from its own `now`. Over any interval of
//!   the bucket's own timeline (the latest tick it has judged a request
//!   at, which a lagging `now` does not move) it never grants more than
//!   capacity + the refill of that interval, whatever the callers' lag
//!   (property-tested). That is not a bound over true time, and no limiter
//!   handed its callers' ticks can give one: a caller whose `now` lags is
//!   judged at that `now`, so after a long idle a stale caller may take
//!   tokens that, on true time, were refilled long ago, and an up-to-date
//!   caller right after it still finds the tokens refilled since. With
//!   capacity 10 at 1 token per 1 000 ticks, idle from t0 + 1 000 to true
//!   time t0 + 100 000, a caller with `now` = t0 + 999 gets 8 tokens and
//!   then one at t0 + 100 000 gets 10.
//! * [`available`](TokenBucket::available): counts tokens as of that `now`,
//!   so a lagging reader sees fewer.
//!
//! ```
//! # use tickguard::bucket::BucketSettings;
//! # use tickguard::time::{Instant, Duration};
//! use tickguard::bucket::{BucketConfig, Refused, TokenBucket};
//!
//! // A burst of 3, then 1 token every 10 ticks.
//! let config = BucketConfig::new(BucketSettings { capacity: 3, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap();
//! let bucket = TokenBucket::new(&config);
//! assert!(bucket.acquire(3, Instant::from_ticks(100)).is_ok());
//! assert_eq!(bucket.acquire(1, Instant::from_ticks(100)), Err(Refused::Wait { retry_at: Instant::from_ticks(110) }));
//! assert!(bucket.acquire(1, Instant::from_ticks(110)).is_ok());
//! assert_eq!(bucket.acquire(4, Instant::from_ticks(110)), Err(Refused::ExceedsCapacity));
//! ```

use crate::cell::StateCell;
use crate::machine::{Input, Machine, Step, Word};
use crate::snapshot::{Fields, Format, Snapshot, SnapshotError};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::ConfigError;

/// What a token bucket is asked to do, before validation: named fields,
/// so that capacity and tokens cannot be swapped.
///
/// ```
/// use tickguard::bucket::{BucketConfig, BucketSettings};
/// use tickguard::time::Duration;
/// // 100 requests per second on a 1 kHz tick, bursts of 20, starting empty.
/// static LIMIT: BucketConfig = match BucketConfig::new(BucketSettings {
///     capacity: 20,
///     tokens: 100,
///     period: Duration::from_ticks(1_000),
///     initial_fill: Some(0),
/// }) {
///     Ok(config) => config,
///     Err(_) => panic!("invalid bucket configuration"),
/// };
/// assert_eq!(LIMIT.capacity(), 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BucketSettings {
    /// The most tokens the bucket holds: the burst (at least 1).
    pub capacity: u32,
    /// Tokens refilled every `period` (at least 1).
    pub tokens: u32,
    /// How often `tokens` refill (1..=2^62 ticks).
    pub period: Duration,
    /// Tokens before the first use (at most `capacity`); `None` starts full.
    pub initial_fill: Option<u32>,
}

/// A validated token-bucket configuration, `const`-constructible from
/// [`BucketSettings`].
///
/// ```
/// use tickguard::bucket::{BucketConfig, BucketSettings};
/// use tickguard::time::Duration;
/// let config = BucketConfig::new(BucketSettings {
///     capacity: 10,
///     ..BucketConfig::DEFAULT_SETTINGS
/// })
/// .unwrap();
/// assert_eq!(config.period(), Duration::from_ticks(1_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BucketConfig {
    /// `capacity − 1`, so that `n > capacity` (as `n − 1 > capacity − 1`
    /// once `n ≥ 1`) folds away for a constant `n = 1`. Every field is a
    /// plain integer, valid for every bit pattern: the C ABI keeps the
    /// configuration in caller memory, which may be overwritten.
    capacity_less_one: u32,
    initial: u32,
    /// Units per tick: `tokens / g`, with `g = gcd(tokens, period)`.
    units_per_tick: u32,
    /// Whether the TAT lives in the 64-bit word (non-zero) or the 128-bit
    /// one (0).
    narrow: u8,
    /// `g`: `tokens = units_per_tick × g`, `period = interval × g`.
    common: u64,
    /// Units per token: `period / g`.
    pub(crate) interval: u64,
    /// `⌊(2^64 − 1) / units_per_tick⌋`, so that a refusal's retry tick
    /// costs no division (`wide::div_ceil_by_reciprocal`).
    reciprocal: u64,
    /// The room left by one token, `window − interval`, for the 64-bit
    /// word (where the window fits it).
    room_one: u64,
    /// The fast path applies for `now` below this: `2^64 − 1 − window` for
    /// a simple configuration, so that no sum on it can overflow; 0 for
    /// others.
    simple_until: Tick,
}

/// Whether every TAT up to the horizon, plus a request's cost on top, fits
/// in 64 bits: `units_per_tick · MAX_DURATION + 2 · window < 2^64`.
const fn fits_narrow(units_per_tick: u32, window: u128) -> bool {
    let horizon = (units_per_tick as u128).saturating_mul(MAX_DURATION as u128);
    horizon.saturating_add(window.saturating_mul(2)) <= u64::MAX as u128
}

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while let Some(r) = a.checked_rem(b) {
        a = b;
        b = r;
    }
    a
}

impl BucketConfig {
    /// The default limiter, in ticks of 1 ms: a burst of 100,
    /// 10 tokens a second, starting full.
    pub const DEFAULT_SETTINGS: BucketSettings = BucketSettings {
        capacity: 100,
        tokens: 10,
        period: Duration::from_ticks(1_000),
        initial_fill: None,
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::DEFAULT, BucketConfig::new(BucketConfig::DEFAULT_SETTINGS).unwrap());
    /// ```
    pub const DEFAULT: Self = match Self::new(Self::DEFAULT_SETTINGS) {
        Ok(config) => config,
        // Evaluated at compile time: an invalid default fails the build.
        #[allow(clippy::panic)]
        Err(_) => panic!("invalid default bucket configuration"),
    };

    /// Validates `settings`.
    ///
    /// ```
    /// use tickguard::{bucket::{BucketConfig, BucketSettings}, ConfigError};
    /// use tickguard::time::Duration;
    /// let settings = |capacity, tokens, period| BucketSettings {
    ///     capacity,
    ///     tokens,
    ///     period: Duration::from_ticks(period),
    ///     initial_fill: None,
    /// };
    /// assert!(BucketConfig::new(settings(10, 3, 7)).is_ok());
    /// assert!(BucketConfig::new(settings(u32::MAX, u32::MAX, 1 << 62)).is_ok());
    /// assert_eq!(BucketConfig::new(settings(0, 1, 7)), Err(ConfigError::ZeroCapacity));
    /// assert_eq!(BucketConfig::new(settings(10, 0, 7)), Err(ConfigError::ZeroRefill));
    /// assert_eq!(BucketConfig::new(settings(10, 1, 0)), Err(ConfigError::Period));
    /// assert_eq!(BucketConfig::new(settings(10, 1, (1 << 62) + 1)), Err(ConfigError::Period));
    /// let overfull = BucketSettings { initial_fill: Some(11), ..settings(10, 1, 1) };
    /// assert_eq!(BucketConfig::new(overfull), Err(ConfigError::InitialFill));
    /// ```
    pub const fn new(settings: BucketSettings) -> Result<Self, ConfigError> {
        let full = match Self::rate(settings.capacity, settings.tokens, settings.period.ticks()) {
            Ok(config) => config,
            Err(error) => return Err(error),
        };
        match settings.initial_fill {
            None => Ok(full),
            Some(fill) => full.with_initial_fill(fill),
        }
    }

    /// The settings this configuration was built from.
    ///
    /// ```
    /// use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::DEFAULT.settings(), BucketConfig::DEFAULT_SETTINGS);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> BucketSettings {
        BucketSettings {
            capacity: self.capacity(),
            tokens: self.tokens(),
            period: self.period(),
            initial_fill: if self.initial == self.capacity() {
                None
            } else {
                Some(self.initial)
            },
        }
    }

    /// A full bucket of `capacity` tokens refilling `tokens` every `period`
    /// ticks.
    pub(crate) const fn rate(
        capacity: u32,
        tokens: u32,
        period: Tick,
    ) -> Result<Self, ConfigError> {
        let Some(capacity_less_one) = capacity.checked_sub(1) else {
            return Err(ConfigError::ZeroCapacity);
        };
        if tokens == 0 {
            return Err(ConfigError::ZeroRefill);
        }
        if period == 0 || period > MAX_DURATION {
            return Err(ConfigError::Period);
        }
        let divisor = gcd(tokens as u64, period);
        // `divisor` is at least 1 because `period` is.
        let units_per_tick = match (tokens as u64).checked_div(divisor) {
            Some(units) => units as u32,
            None => return Err(ConfigError::ZeroRefill),
        };
        let interval = match period.checked_div(divisor) {
            Some(interval) => interval,
            None => return Err(ConfigError::Period),
        };
        let window = (capacity as u128).saturating_mul(interval as u128);
        let narrow = fits_narrow(units_per_tick, window);
        let simple = narrow && units_per_tick == 1;
        Ok(Self {
            capacity_less_one,
            initial: capacity,
            units_per_tick,
            narrow: narrow as u8,
            common: divisor,
            interval,
            reciprocal: crate::wide::reciprocal(units_per_tick),
            room_one: (window as u64).wrapping_sub(interval),
            simple_until: if simple {
                u64::MAX.saturating_sub(window as u64)
            } else {
                0
            },
        })
    }

    /// The same bucket starting with `fill` tokens instead of full.
    pub(crate) const fn with_initial_fill(self, fill: u32) -> Result<Self, ConfigError> {
        if fill > self.capacity() {
            return Err(ConfigError::InitialFill);
        }
        Ok(Self {
            initial: fill,
            simple_until: if fill == self.capacity() {
                self.simple_until
            } else {
                0
            },
            ..self
        })
    }

    /// Units per tick, for converting a TAT back to ticks.
    #[inline]
    pub(crate) const fn units_per_tick(&self) -> u32 {
        self.units_per_tick
    }

    /// The most tokens the bucket holds (the burst).
    ///
    /// ```
    /// # use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::DEFAULT.capacity(), 100);
    /// ```
    #[must_use]
    pub const fn capacity(&self) -> u32 {
        self.capacity_less_one.saturating_add(1)
    }

    /// Tokens refilled per [`period`](Self::period).
    ///
    /// ```
    /// # use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::DEFAULT.tokens(), 10);
    /// ```
    #[must_use]
    pub const fn tokens(&self) -> u32 {
        // Exact for a validated configuration (`tokens / g × g`).
        self.units_per_tick.wrapping_mul(self.common as u32)
    }

    /// How often [`tokens`](Self::tokens) refill.
    ///
    /// ```
    /// # use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::DEFAULT.period().ticks(), 1_000);
    /// ```
    #[must_use]
    pub const fn period(&self) -> Duration {
        Duration::from_ticks(self.interval.wrapping_mul(self.common))
    }

    /// Tokens in the bucket before its first use.
    ///
    /// ```
    /// # use tickguard::bucket::BucketConfig;
    /// assert_eq!(BucketConfig::DEFAULT.initial_fill(), 100);
    /// ```
    #[must_use]
    pub const fn initial_fill(&self) -> u32 {
        self.initial
    }

    /// Whether this configuration keeps its state in the 64-bit word (see
    /// the [module docs](self)); otherwise the 128-bit one.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::bucket::BucketSettings;
    /// # use tickguard::bucket::BucketConfig;
    /// assert!(BucketConfig::new(BucketSettings { capacity: 20, tokens: 100, period: Duration::from_ticks(1_000), initial_fill: None }).unwrap().is_narrow()); // 1 unit per tick
    /// assert!(BucketConfig::new(BucketSettings { capacity: 20, tokens: 3, period: Duration::from_ticks(1_000), initial_fill: None }).unwrap().is_narrow()); // 3 units per tick
    /// assert!(!BucketConfig::new(BucketSettings { capacity: 20, tokens: 7, period: Duration::from_ticks(1_000), initial_fill: None }).unwrap().is_narrow()); // 7 units per tick
    /// ```
    #[must_use]
    pub const fn is_narrow(&self) -> bool {
        self.narrow != 0
    }

    /// The same configuration on the 128-bit word, for tests that compare
    /// the two words on one configuration.
    #[cfg(test)]
    pub(crate) const fn with_wide_word(self) -> Self {
        Self {
            narrow: 0,
            simple_until: 0,
            ..self
        }
    }

    /// `capacity × interval`, the burst window in units, in the word's
    /// width (saturating; exact in a `u128`): a `u64` word multiplies in 64
    /// bits, which a 32-bit core does in a few instructions instead of a
    /// 128-bit product.
    #[inline]
    pub(crate) fn window_in<W: Units>(&self) -> W {
        W::product(self.capacity(), self.interval)
    }

    /// The backlog a partly filled bucket starts with (the missing tokens'
    /// intervals), in the word's width (saturating).
    #[inline]
    fn unused_backlog_in<W: Units>(&self) -> W {
        W::product(self.capacity().saturating_sub(self.initial), self.interval)
    }

    /// The TAT `word` stands for at scaled time `u` (never before `u`).
    #[inline]
    fn tat<W: Units>(&self, word: W, u: W) -> W {
        if word == W::ZERO {
            return u.saturating_add(self.unused_backlog_in());
        }
        word.max(u)
    }

    /// Measures a request for `n` tokens at `now` against the
    /// configuration, before the state word is read: everything the
    /// compare-and-swap loop needs that does not depend on the word, so that
    /// the loop itself is a few register operations. `Err` is a decision
    /// that needs no word (`n = 0`, `n > capacity`).
    ///
    /// `max(TAT, u) + cost ≤ u + window` holds exactly when `TAT ≤ u + room`
    /// with `room = window − cost = (capacity − n) × interval` (never
    /// negative, as `n ≤ capacity`), so a refusal costs one comparison.
    /// The 64-bit word's room is `room_one − (n − 1) × interval`: no
    /// product at all for one token.
    ///
    /// `SIMPLE` is the fast path: the configuration is simple (64-bit word,
    /// one unit per tick, starting full) and `now < simple_until`, which the
    /// caller has checked. Then no sum here or in [`Request::decide`] can
    /// overflow, so plain sums are exact, and the first-use case cannot
    /// arise (a TAT of 0 is a full bucket). Elsewhere every sum saturates,
    /// and a saturated TAT (past the horizon) refuses.
    #[inline]
    pub(crate) fn request<W: Units, const SIMPLE: bool>(
        &self,
        n: u32,
        now: Tick,
    ) -> Result<Request<'_, W, SIMPLE>, Result<(), Refused>> {
        if n == 0 {
            return Err(Ok(()));
        }
        if n.wrapping_sub(1) > self.capacity_less_one {
            return Err(Err(Refused::ExceedsCapacity));
        }
        // Exact: `n ≤ capacity`, and the window fits the word.
        let room = if W::NARROW {
            let more = W::of(n.wrapping_sub(1) as u128).wrapping_mul(W::of(self.interval as u128));
            W::of(self.room_one as u128).wrapping_sub(more)
        } else {
            W::product(self.capacity().wrapping_sub(n), self.interval)
        };
        let u = if SIMPLE {
            W::of(now as u128)
        } else {
            W::scaled(now, self.units_per_tick)
        };
        Ok(Request {
            config: self,
            now,
            u,
            cost: W::product(n, self.interval),
            limit: Request::<W, SIMPLE>::add(u, room),
        })
    }

    /// The whole pure transition behind [`TokenBucket::acquire`] on one
    /// word, for tests.
    #[cfg(test)]
    fn acquire<W: Units, const SIMPLE: bool>(&self, word: W, n: u32, now: Tick) -> Decided<W> {
        match self.request::<W, SIMPLE>(n, now) {
            Ok(request) => request.step(&Tat::<W>::MACHINE, word),
            Err(decision) => Step::Keep(decision),
        }
    }

    #[inline]
    pub(crate) fn available<W: Units>(&self, word: W, now: Tick) -> u32 {
        let u = W::scaled(now, self.units_per_tick);
        let backlog = self.tat(word, u).saturating_sub(u);
        let room = self.window_in::<W>().saturating_sub(backlog);
        match room.quotient(self.interval) {
            Some(tokens) => u32::try_from(tokens.widen()).unwrap_or(0),
            None => 0,
        }
    }
}

/// A request measured against a configuration ([`BucketConfig::request`]).
#[derive(Clone, Copy)]
pub(crate) struct Request<'a, W, const SIMPLE: bool> {
    config: &'a BucketConfig,
    now: Tick,
    /// `now` in units.
    u: W,
    cost: W,
    /// `u + room`: the latest TAT that admits the request.
    limit: W,
}

impl<W: Units, const SIMPLE: bool> Request<'_, W, SIMPLE> {
    /// `now` in units.
    #[inline]
    pub(crate) fn units(&self) -> W {
        self.u
    }

    /// `a + b`: plain on the fast path (exact there), saturating elsewhere.
    #[inline]
    fn add(a: W, b: W) -> W {
        if SIMPLE {
            a.wrapping_add(b)
        } else {
            a.saturating_add(b)
        }
    }

    /// `a − b`: plain on the fast path (exact there), saturating elsewhere.
    #[inline]
    fn sub(a: W, b: W) -> W {
        if SIMPLE {
            a.wrapping_sub(b)
        } else {
            a.saturating_sub(b)
        }
    }

    /// The decision on the state `word`.
    #[inline]
    pub(crate) fn decide(self, word: W) -> Decided<W> {
        let unused = !SIMPLE && word == W::ZERO;
        let tat = if unused {
            // The TAT of a bucket never used, at `u`.
            Self::add(self.u, self.config.unused_backlog_in())
        } else {
            word
        };
        // The refusal first, laid out as the straight path: it must cost
        // least (a grant pays a compare-and-swap anyway).
        let retry_at = if likely(tat > self.limit) {
            self.retry_at(tat)
        } else {
            let next = Self::add(tat.max(self.u), self.cost);
            if SIMPLE || next != W::MAX {
                return Step::Write(next, Ok(()));
            }
            // Past the horizon the TAT saturates: refuse, for ever.
            Tick::MAX
        };
        let refused = Err(Refused::Wait {
            retry_at: Instant::from_ticks(retry_at),
        });
        if unused {
            // The first use of a partly filled bucket fixes its start time,
            // even when it refuses.
            return Step::Write(tat, refused);
        }
        Step::Keep(refused)
    }

    /// The shaper's decision on `word` ([`crate::shaper`]): the tokens are
    /// reserved and the caller sends at the earliest tick they conform
    /// (`now` if they do now), unless that is more than `max_wait` ticks
    /// after `now`; then nothing is reserved and the refusal names the tick
    /// from which the wait would be short enough.
    #[inline]
    pub(crate) fn schedule(self, word: W, max_wait: Tick) -> Step<W, Scheduled> {
        let unused = !SIMPLE && word == W::ZERO;
        let tat = if unused {
            Self::add(self.u, self.config.unused_backlog_in())
        } else {
            word
        };
        // A request that waits is reserved as if it arrived at the tick it
        // is given: sends at whole ticks then conform to the bucket exactly
        // (a rate whose tokens fall between ticks loses the fraction of a
        // tick, as a caller that waits and then acquires would).
        let (send_at, arrival) = if tat > self.limit {
            let send_at = self.retry_at(tat);
            (send_at, W::scaled(send_at, self.config.units_per_tick))
        } else {
            (self.now, self.u)
        };
        let next = Self::add(tat.max(arrival), self.cost);
        let too_late = send_at.saturating_sub(self.now) > max_wait;
        if !too_late && (SIMPLE || next != W::MAX) && send_at != Tick::MAX {
            return Step::Write(next, Ok(Instant::from_ticks(send_at)));
        }
        let retry_at = if too_late && next != W::MAX && send_at != Tick::MAX {
            send_at.saturating_sub(max_wait)
        } else {
            // Past the horizon: never.
            Tick::MAX
        };
        let refused = Err(Refused::Wait {
            retry_at: Instant::from_ticks(retry_at),
        });
        if unused {
            // The first use of a partly filled bucket fixes its start time.
            return Step::Write(tat, refused);
        }
        Step::Keep(refused)
    }

    /// The retry tick for a TAT past the limit: `now + ⌈(tat − limit) /
    /// units_per_tick⌉`, saturating, without a division: none at one unit
    /// per tick, else the configuration's reciprocal (a division only for
    /// a wait of 2^64 units or more, which only the 128-bit word has).
    #[inline]
    fn retry_at(&self, tat: W) -> Tick {
        let excess = Self::sub(tat, self.limit);
        let units_per_tick = self.config.units_per_tick;
        let ticks = if SIMPLE || units_per_tick == 1 {
            excess.saturating_ticks()
        } else {
            match u64::try_from(excess.widen()) {
                // Always, for the 64-bit word.
                Ok(excess) => crate::wide::div_ceil_by_reciprocal(
                    excess,
                    units_per_tick,
                    self.config.reciprocal,
                ),
                Err(_) => ticks_of_units(excess.widen(), units_per_tick),
            }
        };
        self.now.saturating_add(ticks)
    }

    /// The refusal of a used bucket, from one comparison: what
    /// [`decide`](Self::decide) decides on `word` when it refuses without
    /// writing, else `None` (a grant, or a first use).
    #[inline]
    fn refusal(&self, word: W) -> Option<Result<(), Refused>> {
        let used = SIMPLE || word != W::ZERO;
        (used && word > self.limit).then(|| {
            Err(Refused::Wait {
                retry_at: Instant::from_ticks(self.retry_at(word)),
            })
        })
    }
}

impl<W: Units, const SIMPLE: bool> Input<Tat<W>> for Request<'_, W, SIMPLE> {
    type Decision = Result<(), Refused>;

    #[inline]
    fn quick(&self, _: &Tat<W>, word: W) -> Option<Self::Decision> {
        self.refusal(word)
    }

    #[inline]
    fn step(&self, _: &Tat<W>, word: W) -> Decided<W> {
        self.decide(word)
    }
}

/// A measured request scheduled by the shaper: [`Request::schedule`] as a
/// machine input. Its quick check decides a refusal (the wait would be too
/// long) from one comparison, without writing.
#[derive(Clone, Copy)]
pub(crate) struct ScheduleRequest<'a, W> {
    pub(crate) request: Request<'a, W, false>,
    pub(crate) max_wait: Tick,
}

impl<W: Units> Input<Tat<W>> for ScheduleRequest<'_, W> {
    type Decision = Scheduled;

    #[inline]
    fn quick(&self, _: &Tat<W>, word: W) -> Option<Scheduled> {
        match self.request.schedule(word, self.max_wait) {
            Step::Keep(refused) => Some(refused),
            Step::Write(..) => None,
        }
    }

    #[inline]
    fn step(&self, _: &Tat<W>, word: W) -> Step<W, Scheduled> {
        self.request.schedule(word, self.max_wait)
    }
}

/// The machine a measured [`Request`] runs on: a TAT of type `W`, with
/// nothing else to configure (the request carries what it needs).
pub(crate) struct Tat<W>(core::marker::PhantomData<W>);

impl<W> Tat<W> {
    pub(crate) const MACHINE: Self = Self(core::marker::PhantomData);
}

impl<W: Units> Machine for Tat<W> {
    type Word = W;

    fn fresh(&self) -> W {
        W::ZERO
    }
}

/// `⌈units / units_per_tick⌉` ticks, saturating: a wait of 2^64 units or
/// more, rare enough to divide (`units_per_tick` is at least 1 in a valid
/// configuration; 0 waits for ever).
#[cold]
pub(crate) fn ticks_of_units(units: u128, units_per_tick: u32) -> Tick {
    if units_per_tick == 0 {
        return Tick::MAX;
    }
    Tick::try_from(units.div_ceil(u128::from(units_per_tick))).unwrap_or(Tick::MAX)
}

/// `condition`, telling the compiler to lay out its `true` branch as the
/// straight path (stable Rust has no `likely` hint; a call to an empty
/// `#[cold]` function on the other branch does it).
#[inline(always)]
fn likely(condition: bool) -> bool {
    #[cold]
    #[inline]
    fn cold() {}
    if !condition {
        cold();
    }
    condition
}

/// A step of the bucket's machine.
type Decided<W> = Step<W, Result<(), Refused>>;

/// What the shaper decides: the tick to send at, or why not.
pub(crate) type Scheduled = Result<Instant, Refused>;

/// The integers a TAT is kept in: `u64` (the narrow word) and `u128`.
pub(crate) trait Units: Word + Ord {
    /// The 64-bit word, whose window fits it.
    const NARROW: bool;
    const ZERO: Self;
    const MAX: Self;
    /// `value`, saturating at `MAX`.
    fn of(value: u128) -> Self;
    /// `now × units_per_tick`, saturating.
    fn scaled(now: Tick, units_per_tick: u32) -> Self;
    fn widen(self) -> u128;
    fn saturating_add(self, other: Self) -> Self;
    fn saturating_sub(self, other: Self) -> Self;
    fn wrapping_add(self, other: Self) -> Self;
    fn wrapping_mul(self, other: Self) -> Self;
    fn wrapping_sub(self, other: Self) -> Self;
    /// `a × b`, saturating at the word's maximum.
    fn product(a: u32, b: u64) -> Self;
    /// `self / divisor`, `None` for a zero divisor, in the word's width:
    /// a 32-bit core divides the `u64` word without a 64-bit division
    /// routine (`wide::div`).
    fn quotient(self, divisor: u64) -> Option<Self>;
    /// As a tick count, saturating at `u64::MAX`.
    fn saturating_ticks(self) -> Tick;
}

/// Implements [`Units`] for an unsigned integer.
macro_rules! units {
    ($int:ty, $quotient:expr, $product:expr) => {
        impl Units for $int {
            const NARROW: bool = <$int>::BITS == 64;
            const ZERO: Self = 0;
            const MAX: Self = <$int>::MAX;
            #[inline]
            fn of(value: u128) -> Self {
                <$int>::try_from(value).unwrap_or(<$int>::MAX)
            }
            #[inline]
            fn scaled(now: Tick, units_per_tick: u32) -> Self {
                if units_per_tick == 1 {
                    Self::of(now as u128) // the common case, without a multiplication
                } else {
                    Self::product(units_per_tick, now)
                }
            }
            #[inline]
            fn widen(self) -> u128 {
                self as u128
            }
            #[inline]
            fn saturating_add(self, other: Self) -> Self {
                <$int>::saturating_add(self, other)
            }
            #[inline]
            fn saturating_sub(self, other: Self) -> Self {
                <$int>::saturating_sub(self, other)
            }
            #[inline]
            fn wrapping_add(self, other: Self) -> Self {
                <$int>::wrapping_add(self, other)
            }
            #[inline]
            fn wrapping_mul(self, other: Self) -> Self {
                <$int>::wrapping_mul(self, other)
            }
            #[inline]
            fn wrapping_sub(self, other: Self) -> Self {
                <$int>::wrapping_sub(self, other)
            }
            #[inline]
            fn product(a: u32, b: u64) -> Self {
                $product(a, b)
            }
            #[inline]
            fn quotient(self, divisor: u64) -> Option<Self> {
                $quotient(self, divisor)
            }
            #[inline]
            fn saturating_ticks(self) -> Tick {
                Tick::try_from(self).unwrap_or(Tick::MAX)
            }
        }
    };
}
units!(
    u64,
    |units: u64, divisor: u64| (divisor != 0).then(|| crate::wide::div(units, divisor)),
    crate::wide::mul_u32_saturating
);
units!(
    u128,
    |units: u128, divisor: u64| units.checked_div(u128::from(divisor)),
    |a: u32, b: u64| u128::from(a).wrapping_mul(u128::from(b)) // below 2^96
);

impl AsRef<BucketConfig> for BucketConfig {
    fn as_ref(&self) -> &BucketConfig {
        self
    }
}

/// Why [`TokenBucket::acquire`] did not take the tokens.
///
/// ```
/// # use tickguard::bucket::BucketSettings;
/// # use tickguard::time::{Instant, Duration};
/// use tickguard::bucket::{BucketConfig, Refused, TokenBucket};
/// let bucket = TokenBucket::new(BucketConfig::new(BucketSettings { capacity: 2, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap());
/// assert_eq!(bucket.acquire(3, Instant::from_ticks(0)), Err(Refused::ExceedsCapacity)); // never
/// assert!(bucket.acquire(2, Instant::from_ticks(0)).is_ok());
/// match bucket.acquire(1, Instant::from_ticks(4)) {
///     Err(Refused::Wait { retry_at }) => assert_eq!(retry_at, Instant::from_ticks(10)), // later
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Refused {
    /// Not enough tokens now; at `retry_at` there will be (if nobody else
    /// takes them first).
    Wait {
        /// The earliest tick at which the request can succeed.
        retry_at: Instant,
    },
    /// More tokens than the capacity: this request can never succeed.
    ExceedsCapacity,
}

impl Refused {
    /// The tick to retry at, if the request can ever succeed (as a
    /// breaker's [`Refused::retry_at`](crate::breaker::Refused::retry_at)).
    ///
    /// ```
    /// use tickguard::bucket::Refused;
    /// use tickguard::time::Instant;
    /// assert_eq!(Refused::ExceedsCapacity.retry_at(), None);
    /// let at = Instant::from_ticks(9);
    /// assert_eq!(Refused::Wait { retry_at: at }.retry_at(), Some(at));
    /// ```
    #[must_use]
    pub const fn retry_at(&self) -> Option<Instant> {
        match *self {
            Self::Wait { retry_at } => Some(retry_at),
            Self::ExceedsCapacity => None,
        }
    }
}

impl core::fmt::Display for Refused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Wait { retry_at } => write!(f, "rate limited: retry at {retry_at}"),
            Self::ExceedsCapacity => f.write_str("request exceeds the bucket's capacity"),
        }
    }
}

/// A refusal as an error, for `?`.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::bucket::Refused;
/// assert_eq!(Refused::Wait { retry_at: Instant::from_ticks(7) }.to_string(), "rate limited: retry at tick 7");
/// ```
impl core::error::Error for Refused {}

/// A token bucket: its configuration (or a reference to it) and its state
/// word.
///
/// The bucket has room for both words (64 and 128 bits) and uses the one
/// its configuration chooses ([`BucketConfig::is_narrow`]); the other stays
/// zero. All methods take `&self` and are safe from several threads and
/// from interrupt handlers at once.
///
/// ```
/// # use tickguard::bucket::BucketSettings;
/// # use tickguard::time::{Instant, Duration};
/// use tickguard::bucket::{BucketConfig, TokenBucket};
/// static CONFIG: BucketConfig = match BucketConfig::new(BucketSettings { capacity: 2, tokens: 1, period: Duration::from_ticks(1_000), initial_fill: None }) {
///     Ok(c) => c,
///     Err(_) => panic!(),
/// };
/// static BUCKET: TokenBucket = TokenBucket::new(&CONFIG);
/// assert!(BUCKET.acquire(2, Instant::from_ticks(0)).is_ok());
/// assert!(BUCKET.acquire(1, Instant::from_ticks(999)).is_err());
/// assert!(BUCKET.acquire(1, Instant::from_ticks(1_000)).is_ok());
/// ```
#[derive(Debug)]
pub struct TokenBucket<C = &'static BucketConfig> {
    config: C,
    narrow: StateCell<u64>,
    wide: StateCell<u128>,
}

impl<C: AsRef<BucketConfig>> TokenBucket<C> {
    /// A bucket holding its configured initial fill.
    ///
    /// ```
    /// # use tickguard::bucket::BucketSettings;
    /// # use tickguard::time::{Instant, Duration};
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(BucketSettings { capacity: 4, tokens: 1, period: Duration::from_ticks(1), initial_fill: None }).unwrap());
    /// assert_eq!(bucket.available(Instant::from_ticks(0)), 4);
    /// ```
    pub const fn new(config: C) -> Self {
        Self {
            config,
            narrow: StateCell::<u64>::new(0),
            wide: StateCell::<u128>::new(0),
        }
    }

    /// The configuration.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::bucket::BucketSettings;
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(BucketSettings { capacity: 4, tokens: 1, period: Duration::from_ticks(1), initial_fill: None }).unwrap());
    /// assert_eq!(bucket.config().capacity(), 4);
    /// ```
    #[must_use]
    pub fn config(&self) -> &BucketConfig {
        self.config.as_ref()
    }

    /// What the bucket holds its configuration through (the shaper's
    /// configuration, for a [`crate::shaper::Shaper`]).
    pub(crate) const fn holder(&self) -> &C {
        &self.config
    }

    /// Takes `n` tokens at `now`, or refuses with the earliest tick at which
    /// `n` will be available. `n = 0` always succeeds and changes nothing;
    /// `n > capacity` is [`Refused::ExceedsCapacity`]. A refusal does not write
    /// the state word (except the very first use of a bucket configured to
    /// start less than full, which fixes its start time).
    ///
    /// ```
    /// # use tickguard::bucket::BucketSettings;
    /// # use tickguard::time::{Instant, Duration};
    /// # use tickguard::bucket::{BucketConfig, Refused, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(BucketSettings { capacity: 1, tokens: 1, period: Duration::from_ticks(5), initial_fill: None }).unwrap());
    /// assert_eq!(bucket.acquire(1, Instant::from_ticks(10)), Ok(()));
    /// assert_eq!(bucket.acquire(1, Instant::from_ticks(12)), Err(Refused::Wait { retry_at: Instant::from_ticks(15) }));
    /// ```
    #[inline(always)]
    pub fn acquire(&self, n: u32, now: Instant) -> Result<(), Refused> {
        let now = now.ticks();
        let config = self.config();
        if now < config.simple_until {
            return match config.request::<u64, true>(n, now) {
                Ok(request) => self.narrow.apply(&Tat::MACHINE, request),
                Err(decision) => decision,
            };
        }
        if cfg!(target_os = "none") {
            return self.acquire_general(n, now);
        }
        // Hosts: the refusal from one load and one comparison at the call
        // site, a grant's compare-and-swap loop out of line.
        self.general(n, now)
    }

    /// [`acquire`](Self::acquire) for all but the simple configurations on
    /// bare metal, out of line so that each call site stays small.
    #[inline(never)]
    fn acquire_general(&self, n: u32, now: Tick) -> Result<(), Refused> {
        self.general(n, now)
    }

    /// [`acquire`](Self::acquire) off the fast path, on the word the
    /// configuration uses.
    #[inline(always)]
    fn general(&self, n: u32, now: Tick) -> Result<(), Refused> {
        let config = self.config();
        if config.is_narrow() {
            Self::run(&self.narrow, config.request::<u64, false>(n, now))
        } else {
            Self::run(&self.wide, config.request::<u128, false>(n, now))
        }
    }

    /// Applies a measured request to the state word: decided from the
    /// quick check where the target makes one ([`StateCell::apply_quick`]).
    #[inline(always)]
    fn run<W: Units>(
        cell: &StateCell<W>,
        request: Result<Request<'_, W, false>, Result<(), Refused>>,
    ) -> Result<(), Refused> {
        match request {
            Ok(request) => cell.apply_quick(&Tat::<W>::MACHINE, request),
            Err(decision) => decision,
        }
    }

    /// Whole tokens available at `now`. Reads only.
    ///
    /// ```
    /// # use tickguard::bucket::BucketSettings;
    /// # use tickguard::time::{Instant, Duration};
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(BucketSettings { capacity: 10, tokens: 1, period: Duration::from_ticks(2), initial_fill: None }).unwrap());
    /// bucket.acquire(10, Instant::from_ticks(0)).unwrap();
    /// assert_eq!(bucket.available(Instant::from_ticks(7)), 3);
    /// ```
    #[must_use]
    pub fn available(&self, now: Instant) -> u32 {
        let now = now.ticks();
        let config = self.config();
        if config.is_narrow() {
            config.available(self.narrow.load(), now)
        } else {
            config.available(self.wide.load(), now)
        }
    }

    /// Refills the bucket to its initial fill, as if new.
    ///
    /// ```
    /// # use tickguard::bucket::BucketSettings;
    /// # use tickguard::time::{Instant, Duration};
    /// # use tickguard::bucket::{BucketConfig, TokenBucket};
    /// let bucket = TokenBucket::new(BucketConfig::new(BucketSettings { capacity: 3, tokens: 1, period: Duration::from_ticks(100), initial_fill: None }).unwrap());
    /// bucket.acquire(3, Instant::from_ticks(0)).unwrap();
    /// bucket.reset();
    /// assert_eq!(bucket.available(Instant::from_ticks(1)), 3);
    /// ```
    pub fn reset(&self) {
        self.narrow.store(0);
        self.wide.store(0);
    }

    /// The state as a snapshot taken at `now` ([`crate::snapshot`]), to
    /// [`restore`](crate::snapshot::Snapshot::restore) after a reboot.
    ///
    /// ```
    /// # use tickguard::bucket::BucketSettings;
    /// # use tickguard::time::{Instant, Duration};
    /// use tickguard::bucket::{BucketConfig, TokenBucket};
    /// use tickguard::snapshot::Snapshot;
    /// let bucket = TokenBucket::new(BucketConfig::new(BucketSettings { capacity: 5, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap());
    /// bucket.acquire(5, Instant::from_ticks(1_000)).unwrap();
    /// let saved = bucket.snapshot(Instant::from_ticks(1_000));
    /// bucket.restore(&saved, Instant::from_ticks(0)).unwrap();
    /// assert_eq!(bucket.available(Instant::from_ticks(20)), 2);
    /// ```
    #[must_use]
    pub fn snapshot(&self, now: Instant) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, now)
    }

    /// Schedules `n` tokens at `now` for the shaper ([`crate::shaper`]),
    /// on the word the configuration uses.
    pub(crate) fn schedule(&self, n: u32, now: Instant, max_wait: Tick) -> Scheduled {
        let (config, now) = (self.config(), now.ticks());
        if config.is_narrow() {
            match config.request::<u64, false>(n, now) {
                Ok(request) => self
                    .narrow
                    .apply(&Tat::MACHINE, ScheduleRequest { request, max_wait }),
                Err(decision) => decision.map(|()| Instant::from_ticks(now)),
            }
        } else {
            match config.request::<u128, false>(n, now) {
                Ok(request) => self
                    .wide
                    .apply(&Tat::MACHINE, ScheduleRequest { request, max_wait }),
                Err(decision) => decision.map(|()| Instant::from_ticks(now)),
            }
        }
    }

    /// Replaces the state with the TAT `word` (a restore), in whichever
    /// word the configuration uses; the other is zeroed.
    pub(crate) fn install(&self, word: u128) {
        self.reset();
        if self.config().is_narrow() {
            // A valid TAT is within a window (and a shaper's queue) of
            // `now`: it fits the narrow word below the horizon; past it,
            // it saturates, which refuses, as the word itself does.
            self.narrow.store(u64::try_from(word).unwrap_or(u64::MAX));
        } else {
            self.wide.store(word);
        }
    }

    /// The TAT, from whichever word the configuration uses.
    pub(crate) fn word(&self) -> u128 {
        if self.config().is_narrow() {
            self.narrow.load().into()
        } else {
            self.wide.load()
        }
    }

    /// The state word, for tests.
    #[cfg(test)]
    pub(crate) fn raw_word(&self) -> u128 {
        if self.config().is_narrow() {
            self.narrow.load().into()
        } else {
            self.wide.load()
        }
    }
}

/// Bytes of a bucket's snapshot ([`TokenBucket::snapshot`]).
pub const SNAPSHOT_LEN: usize = <BucketConfig as Format>::LEN;

impl<C: AsRef<BucketConfig>> Snapshot for TokenBucket<C> {
    const SNAPSHOT_LEN: usize = SNAPSHOT_LEN;

    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        crate::snapshot::save(self.config(), self.word(), now, out)
    }

    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        let restored = crate::snapshot::restore(self.config(), bytes, now);
        self.install(*restored.as_ref().unwrap_or(&0));
        restored.map(|_| ())
    }
}

impl Format for BucketConfig {
    const KIND: u8 = 2;
    /// Whether the bucket was used, then its TAT relative to `now` in
    /// units.
    const STATE_LEN: usize = 1 + 16;

    fn fingerprint(&self, fields: &mut Fields<'_>) {
        fields.u32(self.capacity());
        fields.u32(self.tokens());
        fields.u64(self.period().ticks());
        fields.u32(self.initial_fill());
    }

    fn save_state(&self, word: u128, fields: &mut Fields<'_>) {
        if word != 0 {
            fields.u8(1);
            fields.time128(word, self.units_per_tick);
        }
    }

    /// A TAT at most a window past `now`. One in the past is a full bucket:
    /// the fresh word where that starts full, else the TAT at `now`,
    /// which on a restore at tick 0 lacks one unit (1 / `tokens` of a
    /// period's share, gone within a tick).
    fn restore_state(&self, fields: &mut Fields<'_>) -> Option<u128> {
        self.restore_tat(fields, 0)
    }
}

impl BucketConfig {
    /// [`Format::restore_state`] for a TAT at most a window and `queue`
    /// ticks past `now` (the shaper's queue; 0 for a bucket).
    pub(crate) fn restore_tat(&self, fields: &mut Fields<'_>, queue: Tick) -> Option<u128> {
        match fields.read_u8() {
            0 => Some(0),
            1 => {
                let (tat, offset) = fields.read_time128(self.units_per_tick);
                let queued = u128::from(queue).saturating_mul(u128::from(self.units_per_tick));
                let latest = self.window_in::<u128>().saturating_add(queued);
                if offset > 0 && offset.unsigned_abs() > latest {
                    return None;
                }
                if self.is_narrow() && tat > u128::from(u64::MAX) {
                    // Past the horizon, where the word this configuration
                    // keeps cannot hold it: not a state it saves.
                    return None;
                }
                if offset <= 0 && self.initial_fill() == self.capacity() {
                    return Some(0);
                }
                Some(tat.max(1))
            }
            _ => None,
        }
    }
}

impl Machine for BucketConfig {
    /// A held bucket keeps its TAT in a 128-bit word, whatever the
    /// configuration ([`TokenBucket`] uses a 64-bit one where it can).
    type Word = u128;

    /// Never used: the configured initial fill.
    fn fresh(&self) -> u128 {
        0
    }

    /// Full again (a fresh bucket holds its initial fill, never more than
    /// a full one): at the TAT, in ticks rounded up.
    fn settles_at(&self, word: u128) -> Option<Instant> {
        Some(Instant::from_ticks(ticks_of_units(
            word,
            self.units_per_tick,
        )))
    }
}

/// [`TokenBucket::acquire`] as a machine input ([`crate::machine`]).
///
/// ```
/// # use tickguard::time::Instant;
/// # use tickguard::time::Duration;
/// # use tickguard::bucket::BucketSettings;
/// use core::cell::Cell;
/// use tickguard::bucket::{Acquire, BucketConfig};
/// use tickguard::machine::{run, Machine};
/// let config = BucketConfig::new(BucketSettings { capacity: 2, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap();
/// let mut word = Cell::new(config.fresh());
/// assert_eq!(run(&config, Acquire { n: 2, now: Instant::from_ticks(0) }, &mut word), Ok(Ok(())));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acquire {
    /// Tokens to take.
    pub n: u32,
    /// The caller's tick.
    pub now: Instant,
}

impl Input<BucketConfig> for Acquire {
    type Decision = Result<(), Refused>;

    /// A refusal from one comparison, as [`TokenBucket::acquire`] makes on
    /// hosts; `None` for a grant or a first use.
    fn quick(&self, config: &BucketConfig, word: u128) -> Option<Result<(), Refused>> {
        match config.request::<u128, false>(self.n, self.now.ticks()) {
            Ok(request) => request.refusal(word),
            Err(decision) => Some(decision),
        }
    }

    fn step(&self, config: &BucketConfig, word: u128) -> Decided<u128> {
        match config.request::<u128, false>(self.n, self.now.ticks()) {
            Ok(request) => request.decide(word),
            Err(decision) => Step::Keep(decision),
        }
    }
}

/// [`TokenBucket::available`] as a machine input ([`crate::machine`]):
/// reads only.
///
/// ```
/// # use tickguard::time::Instant;
/// # use tickguard::time::Duration;
/// # use tickguard::bucket::BucketSettings;
/// use tickguard::bucket::{Available, BucketConfig};
/// use tickguard::machine::{Input, Machine};
/// let config = BucketConfig::new(BucketSettings { capacity: 2, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap();
/// assert_eq!(Available { now: Instant::from_ticks(0) }.quick(&config, config.fresh()), Some(2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Available {
    /// The caller's tick.
    pub now: Instant,
}

impl Input<BucketConfig> for Available {
    type Decision = u32;

    fn quick(&self, config: &BucketConfig, word: u128) -> Option<u32> {
        Some(config.available(word, self.now.ticks()))
    }

    fn step(&self, config: &BucketConfig, word: u128) -> Step<u128, u32> {
        Step::Keep(config.available(word, self.now.ticks()))
    }
}

impl Default for BucketConfig {
    /// [`BucketConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

pub mod live;
pub use live::LiveBucket;

#[cfg(test)]
mod tests;
