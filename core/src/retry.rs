//! Retry with backoff and jitter, as a step function: after each failed
//! attempt, [`RetryPolicy::next`] answers "retry at tick T" or "give up,
//! because …". Nothing sleeps and nothing loops here: the caller schedules.
//!
//! * A [`RetryPolicy`] is a validated, `const`-constructible configuration
//!   (it can live in flash); an [`Attempt`] is the caller-owned state of one
//!   operation (no atomics: one operation is retried by one caller).
//! * [`Backoff`]: constant (a fixed interval), linear, or
//!   exponential `base × m^(n−1)` with an integer or fractional multiplier in
//!   thousandths (`2000` is `base × 2^(n−1)`); every kind is
//!   capped by `max_delay`, with no overflow for any attempt number.
//! * [`Jitter`]: none; additive `d + U(0, J)` (the classic
//!   `random(0, J)`); full `U(0, d)`; equal `d/2 + U(0, d/2)`; decorrelated
//!   `min(cap, U(base, 3·prev))`; proportional `d·(1 ± f)`; and Polly's smooth
//!   decorrelated jitter v2. The cap holds after jitter, always.
//! * Randomness comes from a small PRNG (xorshift64*) kept in the
//!   [`Attempt`], seeded by the caller, or per step from the caller
//!   ([`RetryPolicy::next_with_entropy`]). Seed each device and operation
//!   differently (a device id mixed with a boot counter or a hardware RNG
//!   reading, and an operation counter), so that two devices never retry in
//!   lockstep.
//! * `max_attempts` counts the first call. An overall deadline (from the
//!   first attempt) gives up when the next attempt would start past it. A
//!   server-directed delay ([`Failure::RetryAfter`]: Retry-After, gRPC
//!   pushback) replaces the computed delay (it is not capped: the server
//!   knows) and restarts the backoff, as gRPC's retry design (A6) says: if
//!   the retry it scheduled fails plainly, the next delay is the first
//!   retry's again, then the second's, and so on (attempts still count
//!   towards `max_attempts`). [`Failure::DoNotRetry`] stops. A breaker's or rate
//!   limiter's refusal ([`Failure::Refused`]) is retried at the tick it
//!   named, never earlier. A [`RetryBudget`](crate::budget::RetryBudget) (or
//!   anything [`AllowsRetry`]), if given, must allow the retry.
//! * Time: retry ticks never go back. A lagging `now` is measured from the
//!   latest tick the attempt has seen.
//!
//! ```
//! # use tickguard::time::Duration;
//! # use tickguard::time::Instant;
//! use tickguard::retry::{Attempt, Backoff, Decision, GiveUp, Jitter, Failure, RetryPolicy, RetrySettings};
//!
//! static POLICY: RetryPolicy = match RetryPolicy::new(RetrySettings {
//!     max_attempts: 4,
//!     backoff: Backoff::Exponential { base: Duration::from_ticks(100), multiplier_milli: 2_000 },
//!     jitter: Jitter::None,
//!     max_delay: Duration::from_ticks(1_000),
//!     deadline: None,
//! }) {
//!     Ok(policy) => policy,
//!     Err(_) => panic!("invalid retry policy"),
//! };
//!
//! let mut attempt = Attempt::new(Instant::from_ticks(0), 0x5EED);
//! // The first call failed at tick 10: retry at 110, then 310, then 710.
//! assert_eq!(POLICY.next(&mut attempt, Failure::Retryable, Instant::from_ticks(10), None), Decision::RetryAt(Instant::from_ticks(110)));
//! assert_eq!(POLICY.next(&mut attempt, Failure::Retryable, Instant::from_ticks(110), None), Decision::RetryAt(Instant::from_ticks(310)));
//! assert_eq!(POLICY.next(&mut attempt, Failure::Retryable, Instant::from_ticks(310), None), Decision::RetryAt(Instant::from_ticks(710)));
//! // The fourth call was the last.
//! assert_eq!(POLICY.next(&mut attempt, Failure::Retryable, Instant::from_ticks(710), None), Decision::GiveUp(GiveUp::AttemptsExhausted));
//! ```

use crate::budget::AllowsRetry;
use crate::spread::{exponential, proportional, splitmix, uniform};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::wide;
use crate::ConfigError;

/// How the delay grows from one retry to the next.
///
/// ```
/// # use tickguard::time::Duration;
/// use tickguard::retry::Backoff;
/// let fixed = Backoff::Constant { delay: Duration::from_ticks(1_000) };
/// let doubling = Backoff::Exponential { base: Duration::from_ticks(100), multiplier_milli: 2_000 };
/// assert_ne!(fixed, doubling);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backoff {
    /// The same delay before every retry.
    Constant {
        /// The delay.
        delay: Duration,
    },
    /// `base + step × (n − 1)` before retry n.
    Linear {
        /// The delay before the first retry.
        base: Duration,
        /// What each retry adds.
        step: Duration,
    },
    /// `base × (multiplier_milli / 1000)^(n − 1)` before retry n.
    Exponential {
        /// The delay before the first retry.
        base: Duration,
        /// The growth factor in thousandths, at least 1000 (2000: doubling;
        /// 1500: ×1.5).
        multiplier_milli: u32,
    },
}

impl Backoff {
    /// The delay before the first retry.
    const fn base(&self) -> Tick {
        match *self {
            Self::Constant { delay } => delay.ticks(),
            Self::Linear { base, .. } | Self::Exponential { base, .. } => base.ticks(),
        }
    }
}

/// How randomness spreads the delays, so that clients that failed together
/// do not retry together.
///
/// ```
/// use tickguard::retry::Jitter;
/// let spread = Jitter::Proportional { per_mille: 200 }; // ±20 %
/// assert_ne!(spread, Jitter::None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Jitter {
    /// The computed delay as it is.
    None,
    /// `d + U(0, max)`: the classic `random(0, J)`.
    Additive {
        /// The most added.
        max: Duration,
    },
    /// `U(0, d)` ("full jitter").
    Full,
    /// `d/2 + U(0, d/2)` ("equal jitter").
    Equal,
    /// `min(cap, U(base, 3 × previous delay))` ("decorrelated jitter"); it
    /// grows on its own and ignores the backoff's growth.
    Decorrelated,
    /// `U(d − d·f, d + d·f)` with `f = per_mille / 1000`.
    Proportional {
        /// The spread in thousandths of the delay (0..=1000).
        per_mille: u32,
    },
    /// Polly's smooth "decorrelated jitter v2": delays that grow
    /// exponentially around a median of the backoff's base, without the
    /// spikes and clumps of the plain decorrelated jitter. Ignores the
    /// backoff's growth.
    DecorrelatedV2,
}

/// What a retry policy is asked to do, before validation.
///
/// ```
/// # use tickguard::time::Duration;
/// use tickguard::retry::{Backoff, Jitter, RetryPolicy, RetrySettings};
/// let settings = RetrySettings {
///     max_attempts: 3,
///     backoff: Backoff::Constant { delay: Duration::from_ticks(500) },
///     jitter: Jitter::Additive { max: Duration::from_ticks(100) },
///     max_delay: Duration::from_ticks(10_000),
///     deadline: Some(Duration::from_ticks(5_000)),
/// };
/// assert!(RetryPolicy::new(settings).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetrySettings {
    /// Calls in total, the first one included (at least 1).
    pub max_attempts: u32,
    /// How the delay grows.
    pub backoff: Backoff,
    /// How randomness spreads it.
    pub jitter: Jitter,
    /// The longest delay before a retry, after jitter (at most 2^62 ticks).
    pub max_delay: Duration,
    /// Give up when the next attempt would start more than this long after
    /// the first one (at most 2^62 ticks), or `None` for no deadline.
    pub deadline: Option<Duration>,
}

/// A validated retry policy, `const`-constructible.
///
/// ```
/// # use tickguard::time::Duration;
/// use tickguard::retry::{Backoff, Jitter, RetryPolicy, RetrySettings};
/// use tickguard::ConfigError;
/// let bad = RetrySettings {
///     max_attempts: 0,
///     backoff: Backoff::Constant { delay: Duration::from_ticks(1) },
///     jitter: Jitter::None,
///     max_delay: Duration::from_ticks(1),
///     deadline: None,
/// };
/// assert_eq!(RetryPolicy::new(bad), Err(ConfigError::MaxAttempts));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    settings: RetrySettings,
}

/// Why [`RetryPolicy::next`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GiveUp {
    /// `max_attempts` calls were made.
    AttemptsExhausted,
    /// The next attempt would start past the overall deadline.
    Deadline,
    /// The failure is not one to retry (see the error handling table).
    NotRetryable,
    /// The server said not to retry.
    ServerSaidStop,
    /// The retry budget is spent: retries would multiply an outage.
    BudgetEmpty,
    /// A guard refused without naming a tick (a breaker forced open).
    RefusedIndefinitely,
}

impl GiveUp {
    /// Every reason.
    pub const ALL: [GiveUp; 6] = [
        Self::AttemptsExhausted,
        Self::Deadline,
        Self::NotRetryable,
        Self::ServerSaidStop,
        Self::BudgetEmpty,
        Self::RefusedIndefinitely,
    ];

    /// The name as a C string (the C ABI's `tg_give_up_str`);
    /// [`GiveUp::name`] and `Display` give it as text.
    ///
    /// ```
    /// use tickguard::retry::GiveUp;
    /// assert_eq!(GiveUp::BudgetEmpty.name(), "budget empty");
    /// assert_eq!(format!("gave up: {}", GiveUp::Deadline), "gave up: deadline");
    /// ```
    #[must_use]
    pub const fn c_name(self) -> &'static core::ffi::CStr {
        match self {
            Self::AttemptsExhausted => c"attempts exhausted",
            Self::Deadline => c"deadline",
            Self::NotRetryable => c"not retryable",
            Self::ServerSaidStop => c"server said stop",
            Self::BudgetEmpty => c"budget empty",
            Self::RefusedIndefinitely => c"refused indefinitely",
        }
    }
}
crate::named!(GiveUp);

/// Giving up as an error, for `?`.
///
/// ```
/// let why: Box<dyn std::error::Error> = Box::new(tickguard::retry::GiveUp::Deadline);
/// assert_eq!(why.to_string(), "deadline");
/// ```
impl core::error::Error for GiveUp {}

/// The answer of [`RetryPolicy::next`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "schedule the retry or report that the operation failed"]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision {
    /// Make the next attempt at this tick.
    RetryAt(Instant),
    /// Stop, for this reason.
    GiveUp(GiveUp),
}

/// How the attempt that just ended failed: what [`RetryPolicy::next`] is
/// told. (A call's outcome for a breaker is
/// [`breaker::Outcome`](crate::breaker::Outcome): another concept.) A
/// breaker's or a bucket's refusal converts into [`Failure::Refused`] with
/// `From`.
///
/// ```
/// use tickguard::bucket::Refused;
/// use tickguard::retry::Failure;
/// use tickguard::time::Instant;
/// let pushback = Failure::RetryAfter(Instant::from_ticks(5_000)); // the server said: not before tick 5000
/// assert_ne!(pushback, Failure::Retryable);
/// let limited = Refused::Wait { retry_at: Instant::from_ticks(70) };
/// assert_eq!(Failure::from(limited), Failure::Refused(Some(Instant::from_ticks(70))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Failure {
    /// The call failed in a way worth retrying.
    Retryable,
    /// The call failed in a way that retrying cannot fix.
    NotRetryable,
    /// The server asked to wait until this tick (Retry-After, pushback).
    /// Restarts the backoff: a plain failure after it waits the first
    /// retry's delay (gRPC A6).
    RetryAfter(Instant),
    /// The server asked not to retry.
    DoNotRetry,
    /// A breaker or rate limiter refused the call; it may admit at this tick
    /// (`None`: it did not say, as a breaker forced open).
    Refused(Option<Instant>),
}

impl From<crate::breaker::Refused> for Failure {
    /// The breaker refused: retry at the tick it named (`None` while forced
    /// open: give up).
    fn from(refused: crate::breaker::Refused) -> Self {
        Self::Refused(refused.retry_at)
    }
}

impl From<crate::bucket::Refused> for Failure {
    /// The bucket refused: retry when the tokens are there, or never (a
    /// request above the capacity).
    fn from(refused: crate::bucket::Refused) -> Self {
        match refused {
            crate::bucket::Refused::Wait { retry_at } => Self::Refused(Some(retry_at)),
            crate::bucket::Refused::ExceedsCapacity => Self::NotRetryable,
        }
    }
}

/// The state of one operation across its attempts. Owned by the caller, one
/// per operation; `Copy`, so it can live anywhere (a C struct, a task).
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::retry::Attempt;
/// let attempt = Attempt::new(Instant::from_ticks(1_000), 42);
/// assert_eq!(attempt.attempts(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attempt {
    attempts: u32,
    /// `attempts` when the backoff last (re)started: 0, or the attempt a
    /// server pushback answered (gRPC A6).
    backoff_from: u32,
    started: Tick,
    latest: Tick,
    previous_delay: Tick,
    rng: u64,
    /// Polly's v2: the previous value of its curve, `mantissa × 2^exponent
    /// / 2^30` (0: none yet).
    v2_previous: u32,
    v2_exponent: u32,
}

impl Attempt {
    /// The state of an operation whose first attempt starts at `now`, with a
    /// PRNG seeded by `seed` (any value; equal seeds give equal jitter).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// let attempt = tickguard::retry::Attempt::new(Instant::from_ticks(0), 0xC0FFEE);
    /// assert_eq!(attempt.started(), Instant::from_ticks(0));
    /// ```
    #[must_use]
    pub const fn new(now: Instant, seed: u64) -> Self {
        Self {
            attempts: 0,
            backoff_from: 0,
            started: now.ticks(),
            latest: now.ticks(),
            previous_delay: 0,
            rng: splitmix(seed),
            v2_previous: 0,
            v2_exponent: 0,
        }
    }

    /// Attempts that have ended so far.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// assert_eq!(tickguard::retry::Attempt::new(Instant::from_ticks(0), 1).attempts(), 0);
    /// ```
    #[must_use]
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The tick the first attempt started at.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// assert_eq!(tickguard::retry::Attempt::new(Instant::from_ticks(7), 1).started(), Instant::from_ticks(7));
    /// ```
    #[must_use]
    pub const fn started(&self) -> Instant {
        Instant::from_ticks(self.started)
    }

    /// Starts the backoff again, as after a server pushback: the next plain
    /// failure waits the first retry's delay, and decorrelated jitters start
    /// from the base again.
    fn restart_backoff(&mut self) {
        self.backoff_from = self.attempts;
        self.previous_delay = 0;
        self.v2_previous = 0;
        self.v2_exponent = 0;
    }

    /// The next 64 random bits of the attempt's PRNG (xorshift64*).
    fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl RetryPolicy {
    /// The default retry, in ticks of 1 ms: 3 attempts in all,
    /// exponential from 1 000 ticks doubling, ±10 % jitter, at most 60 000
    /// ticks between attempts, no overall deadline.
    ///
    /// ```
    /// use tickguard::retry::{RetryPolicy, RetrySettings};
    /// let settings = RetrySettings { max_attempts: 5, ..RetryPolicy::DEFAULT_SETTINGS };
    /// assert!(RetryPolicy::new(settings).is_ok());
    /// ```
    pub const DEFAULT_SETTINGS: RetrySettings = RetrySettings {
        max_attempts: 3,
        backoff: Backoff::Exponential {
            base: Duration::from_ticks(1_000),
            multiplier_milli: 2_000,
        },
        jitter: Jitter::Proportional { per_mille: 100 },
        max_delay: Duration::from_ticks(60_000),
        deadline: None,
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::retry::RetryPolicy;
    /// assert_eq!(RetryPolicy::DEFAULT.settings().max_attempts, 3);
    /// ```
    pub const DEFAULT: Self = Self {
        settings: Self::DEFAULT_SETTINGS,
    };

    /// Validates `settings`.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// use tickguard::retry::{Backoff, Jitter, RetryPolicy, RetrySettings};
    /// use tickguard::ConfigError;
    /// let mut s = RetrySettings {
    ///     max_attempts: 3,
    ///     backoff: Backoff::Exponential { base: Duration::from_ticks(10), multiplier_milli: 999 },
    ///     jitter: Jitter::None,
    ///     max_delay: Duration::from_ticks(1_000),
    ///     deadline: None,
    /// };
    /// assert_eq!(RetryPolicy::new(s), Err(ConfigError::Multiplier));
    /// s.backoff = Backoff::Exponential { base: Duration::from_ticks(10), multiplier_milli: 1_500 };
    /// assert!(RetryPolicy::new(s).is_ok());
    /// ```
    pub const fn new(settings: RetrySettings) -> Result<Self, ConfigError> {
        if settings.max_attempts == 0 {
            return Err(ConfigError::MaxAttempts);
        }
        match settings.backoff {
            Backoff::Constant { delay: base } | Backoff::Exponential { base, .. }
                if base.ticks() > MAX_DURATION =>
            {
                return Err(ConfigError::BackoffDelay)
            }
            Backoff::Linear { base, .. } if base.ticks() > MAX_DURATION => {
                return Err(ConfigError::BackoffDelay)
            }
            Backoff::Linear { step, .. } if step.ticks() > MAX_DURATION => {
                return Err(ConfigError::BackoffStep)
            }
            Backoff::Exponential {
                multiplier_milli, ..
            } if multiplier_milli < 1_000 => return Err(ConfigError::Multiplier),
            _ => {}
        }
        match settings.jitter {
            Jitter::Additive { max } if max.ticks() > MAX_DURATION => {
                return Err(ConfigError::JitterTicks)
            }
            Jitter::Proportional { per_mille } if per_mille > 1_000 => {
                return Err(ConfigError::Jitter)
            }
            _ => {}
        }
        if settings.max_delay.ticks() > MAX_DURATION {
            return Err(ConfigError::MaxDelay);
        }
        if let Some(deadline) = settings.deadline {
            if deadline.ticks() > MAX_DURATION {
                return Err(ConfigError::Deadline);
            }
        }
        Ok(Self { settings })
    }

    /// The settings this policy was built from.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::retry::{Backoff, Jitter, RetryPolicy, RetrySettings};
    /// # let s = RetrySettings { max_attempts: 2, backoff: Backoff::Constant { delay: Duration::from_ticks(5) },
    /// #     jitter: Jitter::None, max_delay: Duration::from_ticks(5), deadline: None };
    /// assert_eq!(RetryPolicy::new(s).unwrap().settings().max_attempts, 2);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> &RetrySettings {
        &self.settings
    }

    /// The delay before retry `n` (1-based) before jitter, capped.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::retry::{Backoff, Jitter, RetryPolicy, RetrySettings};
    /// let policy = RetryPolicy::new(RetrySettings {
    ///     max_attempts: 10,
    ///     backoff: Backoff::Linear { base: Duration::from_ticks(100), step: Duration::from_ticks(50) },
    ///     jitter: Jitter::None,
    ///     max_delay: Duration::from_ticks(260),
    ///     deadline: None,
    /// })
    /// .unwrap();
    /// assert_eq!([1, 2, 3, 4].map(|n| policy.backoff(n).ticks()), [100, 150, 200, 250]);
    /// assert_eq!(policy.backoff(5), Duration::from_ticks(260)); // capped
    /// ```
    #[must_use]
    pub const fn backoff(&self, n: u32) -> Duration {
        Duration::from_ticks(self.backoff_ticks(n))
    }

    /// [`backoff`](Self::backoff) in ticks.
    const fn backoff_ticks(&self, n: u32) -> Tick {
        let cap = self.settings.max_delay.ticks();
        let steps = n.saturating_sub(1);
        let delay = match self.settings.backoff {
            Backoff::Constant { delay } => delay.ticks(),
            Backoff::Linear { base, step } => base
                .ticks()
                .saturating_add(wide::mul_saturating(step.ticks(), steps as u64)),
            Backoff::Exponential {
                base,
                multiplier_milli,
            } => exponential(base.ticks(), multiplier_milli, steps, cap),
        };
        if delay > cap {
            cap
        } else {
            delay
        }
    }

    /// The delay before retry `n` after jitter, drawing randomness with
    /// `draw`, capped.
    fn jittered(
        &self,
        attempt: &mut Attempt,
        n: u32,
        draw: &mut impl FnMut(&mut Attempt) -> u64,
    ) -> Tick {
        let cap = self.settings.max_delay.ticks();
        let d = self.backoff_ticks(n);
        let base = self.settings.backoff.base();
        // Every kind but the first and the last draws once: `low + U(0, span)`.
        let (low, span) = match self.settings.jitter {
            Jitter::None => (d, None),
            Jitter::Additive { max } => (d, Some(max.ticks())),
            Jitter::Full => (0, Some(d)),
            Jitter::Equal => {
                let half = d / 2;
                (half, Some(d.saturating_sub(half)))
            }
            Jitter::Proportional { per_mille } => {
                let (low, span) = proportional(d, per_mille);
                (low, Some(span))
            }
            Jitter::Decorrelated => {
                let previous = if attempt.previous_delay == 0 {
                    base
                } else {
                    attempt.previous_delay
                };
                let high = wide::mul_saturating(previous, 3).max(base);
                (base, Some(high.saturating_sub(base)))
            }
            Jitter::DecorrelatedV2 => (decorrelated_v2(attempt, n, base, cap, draw), None),
        };
        let delay = match span {
            Some(span) => low.saturating_add(uniform(draw(attempt), span)),
            None => low,
        };
        let delay = delay.min(cap);
        attempt.previous_delay = delay;
        delay
    }

    /// After an attempt ended with `outcome` at `now`: when to retry, or why
    /// not. Randomness comes from the attempt's PRNG. With a `budget`, a
    /// retry also needs the budget to allow it (the caller reports every
    /// call's result to the budget).
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::time::Instant;
    /// use tickguard::retry::{Attempt, Backoff, Decision, GiveUp, Jitter, Failure, RetryPolicy, RetrySettings};
    /// let policy = RetryPolicy::new(RetrySettings {
    ///     max_attempts: 5,
    ///     backoff: Backoff::Constant { delay: Duration::from_ticks(100) },
    ///     jitter: Jitter::None,
    ///     max_delay: Duration::from_ticks(100),
    ///     deadline: Some(Duration::from_ticks(250)),
    /// })
    /// .unwrap();
    /// let mut attempt = Attempt::new(Instant::from_ticks(0), 1);
    /// // A breaker refused until 170: retry then, not at 100.
    /// assert_eq!(policy.next(&mut attempt, Failure::Refused(Some(Instant::from_ticks(170))), Instant::from_ticks(0), None), Decision::RetryAt(Instant::from_ticks(170)));
    /// // Failing again at 171, the next retry (271) would start past the deadline.
    /// assert_eq!(policy.next(&mut attempt, Failure::Retryable, Instant::from_ticks(171), None), Decision::GiveUp(GiveUp::Deadline));
    /// ```
    pub fn next(
        &self,
        attempt: &mut Attempt,
        outcome: Failure,
        now: Instant,
        budget: Option<&dyn AllowsRetry>,
    ) -> Decision {
        self.step(attempt, outcome, now, budget, &mut |a: &mut Attempt| {
            a.random()
        })
    }

    /// As [`next`](Self::next), with the randomness for this step supplied
    /// by the caller (a hardware RNG reading, say) instead of the PRNG.
    ///
    /// ```
    /// # use tickguard::time::Duration;
    /// # use tickguard::time::Instant;
    /// use tickguard::retry::{Attempt, Backoff, Decision, Jitter, Failure, RetryPolicy, RetrySettings};
    /// let policy = RetryPolicy::new(RetrySettings {
    ///     max_attempts: 3,
    ///     backoff: Backoff::Constant { delay: Duration::from_ticks(100) },
    ///     jitter: Jitter::Full,
    ///     max_delay: Duration::from_ticks(100),
    ///     deadline: None,
    /// })
    /// .unwrap();
    /// let mut attempt = Attempt::new(Instant::from_ticks(0), 0);
    /// // Entropy 0 is the low end of U(0, 100); all ones the high end.
    /// assert_eq!(policy.next_with_entropy(&mut attempt, Failure::Retryable, Instant::from_ticks(0), None, 0), Decision::RetryAt(Instant::from_ticks(0)));
    /// assert_eq!(policy.next_with_entropy(&mut attempt, Failure::Retryable, Instant::from_ticks(0), None, u64::MAX), Decision::RetryAt(Instant::from_ticks(100)));
    /// ```
    pub fn next_with_entropy(
        &self,
        attempt: &mut Attempt,
        outcome: Failure,
        now: Instant,
        budget: Option<&dyn AllowsRetry>,
        entropy: u64,
    ) -> Decision {
        let mut entropy = Some(entropy);
        self.step(attempt, outcome, now, budget, &mut |a: &mut Attempt| {
            entropy.take().unwrap_or_else(|| a.random())
        })
    }

    fn step(
        &self,
        attempt: &mut Attempt,
        outcome: Failure,
        now: Instant,
        budget: Option<&dyn AllowsRetry>,
        draw: &mut impl FnMut(&mut Attempt) -> u64,
    ) -> Decision {
        attempt.attempts = attempt.attempts.saturating_add(1);
        // A lagging `now` means no time elapsed since the latest tick seen.
        let now = now.ticks().max(attempt.latest);
        attempt.latest = now;
        let at = match outcome {
            Failure::NotRetryable => return Decision::GiveUp(GiveUp::NotRetryable),
            Failure::DoNotRetry => return Decision::GiveUp(GiveUp::ServerSaidStop),
            Failure::Refused(None) => return Decision::GiveUp(GiveUp::RefusedIndefinitely),
            _ if attempt.attempts >= self.settings.max_attempts => {
                return Decision::GiveUp(GiveUp::AttemptsExhausted)
            }
            Failure::RetryAfter(at) => {
                attempt.restart_backoff();
                at.ticks().max(now)
            }
            Failure::Refused(Some(at)) => at.ticks().max(now),
            Failure::Retryable => {
                let n = attempt.attempts.saturating_sub(attempt.backoff_from);
                now.saturating_add(self.jittered(attempt, n, draw))
            }
        };
        if let Some(limit) = self.settings.deadline {
            if at > attempt.started.saturating_add(limit.ticks()) {
                return Decision::GiveUp(GiveUp::Deadline);
            }
        }
        if budget.is_some_and(|b| !b.allows_retry()) {
            return Decision::GiveUp(GiveUp::BudgetEmpty);
        }
        attempt.latest = at;
        Decision::RetryAt(Instant::from_ticks(at))
    }
}

#[cfg(test)]
impl Decision {
    /// The retry tick, for tests.
    pub(crate) fn retry_tick(self) -> Option<Tick> {
        match self {
            Self::RetryAt(at) => Some(at.ticks()),
            Self::GiveUp(_) => None,
        }
    }
}

/// Polly's decorrelated jitter v2: with `t = (n − 1) + U(0, 1)` and
/// `f(t) = 2^t · tanh(√(4t))`, the delay is `(f(t) − f(t_prev)) / 1.4 × base`.
/// In integers (30-bit fixed point, relative error below 10^-7 against the
/// real curve): no float, no `libm`, the same on every target.
fn decorrelated_v2(
    attempt: &mut Attempt,
    n: u32,
    base: Tick,
    cap: Tick,
    draw: &mut impl FnMut(&mut Attempt) -> u64,
) -> Tick {
    // U(0, 1) in 30 bits.
    let unit = draw(attempt) >> 34;
    // Beyond 2^200 every delay is the cap.
    let k = n.saturating_sub(1).min(200);
    let next = v2::curve(k, unit);
    // The previous value on this value's scale (its exponent is never
    // larger: t only grows between restarts of the backoff).
    let previous = u64::from(attempt.v2_previous)
        .checked_shr(k.saturating_sub(attempt.v2_exponent))
        .unwrap_or(0);
    // The curve over its exponent is below 2 (2^31 in Q30): it fits.
    attempt.v2_previous = u32::try_from(next).unwrap_or(u32::MAX);
    attempt.v2_exponent = k;
    v2::delay(next.saturating_sub(previous), k, base, cap)
}

/// Fixed-point arithmetic for Polly's decorrelated jitter v2, in Q30
/// (`ONE` is 1.0): products of two values below 2^32 fit in 64 bits.
mod v2 {
    use crate::time::Tick;
    use crate::wide;

    const FRACTION_BITS: u32 = 30;
    const ONE: u64 = 1 << FRACTION_BITS;
    /// `2^(i/16)`, `i` in 0..16 (below 2^31: 32 bits each).
    const EXP2_SIXTEENTHS: [u32; 16] = [
        1_073_741_824,
        1_121_280_436,
        1_170_923_762,
        1_222_764_986,
        1_276_901_417,
        1_333_434_672,
        1_392_470_869,
        1_454_120_821,
        1_518_500_250,
        1_585_730_000,
        1_655_936_265,
        1_729_250_827,
        1_805_811_301,
        1_885_761_398,
        1_969_251_188,
        2_056_437_387,
    ];
    /// `(ln 2)^n / n!` for `n` = 4, 3, 2, 1: the series of `2^x` in Horner
    /// order.
    const SERIES: [u64; 4] = [10_327_387, 59_597_083, 257_941_248, 744_261_118];
    /// `4 · log2(e)`, in Q28.
    const FOUR_LOG2_E_Q28: u64 = 1_549_082_005;

    const fn mul(a: u64, b: u64) -> u64 {
        a.wrapping_mul(b) >> FRACTION_BITS
    }

    /// `2^u` for `u` in `[0, 1]`: a table of sixteenths (past its end, 2)
    /// and four terms of the series for the rest (`< 1/16`, so the fifth is
    /// below 10^-9), multiplied out in Horner order (no division).
    pub(super) fn exp2_fraction(u: u64) -> u64 {
        let sixteenth = (u >> (FRACTION_BITS - 4)) as usize;
        let rest = u & ((1 << (FRACTION_BITS - 4)) - 1);
        let mut series = 0u64;
        for coefficient in SERIES {
            series = mul(rest, series.wrapping_add(coefficient));
        }
        let whole = EXP2_SIXTEENTHS
            .get(sixteenth)
            .map_or(2 * ONE, |&w| u64::from(w));
        mul(whole, ONE.wrapping_add(series))
    }

    /// `⌊√n⌋`.
    fn isqrt(n: u64) -> u64 {
        let (mut rest, mut root) = (n, 0u64);
        let mut bit = 1u64 << 62;
        while bit != 0 {
            let trial = root.wrapping_add(bit);
            if rest >= trial {
                rest = rest.wrapping_sub(trial);
                root = (root >> 1).wrapping_add(bit);
            } else {
                root >>= 1;
            }
            bit >>= 2;
        }
        root
    }

    /// `tanh(2√t)` for `t` in Q30: `(1 − z) / (1 + z)` with `z = e^(−4√t) =
    /// 2^(−4√t·log2 e)`; 1 from `t = 32` on (there it is 1 − 3·10^-10).
    pub(super) fn tanh_two_sqrt(t: u64) -> u64 {
        if t >= 32 * ONE {
            return ONE;
        }
        let root = isqrt(t << 26); // √t in Q28, below 5.7
        let y = root.wrapping_mul(FOUR_LOG2_E_Q28) >> 26; // Q30, below 32.7
        let (whole, fraction) = (y >> FRACTION_BITS, y & (ONE - 1));
        // 2^(−fraction) = 2^(1 − fraction) / 2 (`exp2_fraction(ONE)` is 2).
        let z = (exp2_fraction(ONE.wrapping_sub(fraction)) / 2)
            .checked_shr(whole as u32)
            .unwrap_or(0);
        wide::mul_div(ONE.saturating_sub(z), ONE, ONE.wrapping_add(z))
    }

    /// The curve `f(k + u) / 2^k` in Q30, `u` in Q30 in `[0, 1)`.
    pub(super) fn curve(k: u32, u: u64) -> u64 {
        let t = ((k.min(32) as u64) << FRACTION_BITS) | u;
        mul(exp2_fraction(u), tanh_two_sqrt(t))
    }

    /// `difference × 2^k / 1.4 × base` (difference in Q30), at most `cap`.
    pub(super) fn delay(difference: u64, k: u32, base: Tick, cap: Tick) -> Tick {
        let scaled = wide::mul_div(difference, 5, 7);
        // `scaled × base` in Q30 times 2^k: divided by 2^(30 − k), or
        // multiplied by 2^(k − 30); anything from 2^64 up is past the cap
        // (`mul_div` saturates there).
        let exact = if k < FRACTION_BITS {
            wide::mul_div(scaled, base, 1 << FRACTION_BITS.wrapping_sub(k))
        } else {
            let product = wide::mul_saturating(scaled, base);
            let up = k.wrapping_sub(FRACTION_BITS);
            // From 2^128 up even a zero difference (a positive one below
            // Q30's resolution) stands for a delay past any cap; shifted
            // past 2^64, any other is past it too.
            if product == 0 {
                return if up >= 128 { cap } else { 0 };
            }
            if up >= 64 || product > u64::MAX >> up {
                return cap;
            }
            product << up
        };
        if exact >= cap {
            cap
        } else {
            exact
        }
    }
}

impl Default for RetryPolicy {
    /// [`RetryPolicy::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests;
