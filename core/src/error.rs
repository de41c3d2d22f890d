//! Errors shared by every primitive: configurations rejected at
//! construction ([`ConfigError`]) apart from arguments rejected at run time
//! ([`DurationTooLong`]).

/// Why a configuration was rejected at construction.
///
/// ```
/// # use tickguard::time::Duration;
/// # use tickguard::bucket::BucketSettings;
/// use tickguard::{bucket::BucketConfig, ConfigError};
/// assert_eq!(BucketConfig::new(BucketSettings { capacity: 0, tokens: 1, period: Duration::from_ticks(1), initial_fill: None }).err(), Some(ConfigError::ZeroCapacity));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConfigError {
    /// The breaker's failure threshold is zero and neither a failure rate
    /// nor a trip rule is set: nothing would open it.
    FailureThreshold,
    /// The breaker's `open` is zero or above 2^62.
    OpenTicks,
    /// The half-open permit count is zero or above
    /// [`crate::breaker::MAX_HALF_OPEN_PERMITS`].
    HalfOpenPermits,
    /// The success threshold is zero or above the half-open permit count.
    SuccessThreshold,
    /// The breaker's `half_open_timeout` is zero or above 2^62.
    HalfOpenTimeout,
    /// The bucket's capacity is zero.
    ZeroCapacity,
    /// The refill rate has zero tokens per period.
    ZeroRefill,
    /// The bucket's refill period is zero or above 2^62 ticks.
    Period,
    /// The initial fill is above the capacity.
    InitialFill,
    /// A retry policy allows no attempt (`max_attempts` is zero).
    MaxAttempts,
    /// A backoff's constant delay or base is above 2^62 ticks.
    BackoffDelay,
    /// A linear backoff's step is above 2^62 ticks.
    BackoffStep,
    /// An exponential backoff's multiplier is below 1 (1000 thousandths),
    /// or a breaker's open multiplier is outside 1000..=1 000 000 (and not
    /// 0).
    Multiplier,
    /// A proportional jitter (a retry's, or a breaker's open jitter)
    /// spreads more than 100 % (1000 thousandths).
    Jitter,
    /// An additive jitter's maximum is above 2^62 ticks.
    JitterTicks,
    /// A retry policy's `max_delay` is above 2^62 ticks.
    MaxDelay,
    /// A retry policy's overall deadline is above 2^62 ticks.
    Deadline,
    /// A retry budget's `max_tokens` is zero.
    MaxTokens,
    /// A retry budget's token ratio is zero or above its maximum tokens.
    TokenRatio,
    /// A window's `interval` is above 2^62 ticks.
    Interval,
    /// A shaper's `max_wait` is above 2^62 ticks.
    MaxWait,
    /// A sliding window's `limit` is zero.
    Limit,
    /// A sliding window's `window` is zero or above 2^62 ticks.
    Window,
    /// A bulkhead's `max_concurrent` is zero or above
    /// [`crate::bulkhead::MAX_CONCURRENT`].
    MaxConcurrent,
    /// An adaptive limit's bounds are not `1 ≤ min ≤ initial ≤ max ≤`
    /// [`crate::bulkhead::MAX_CONCURRENT`].
    AdaptiveLimits,
    /// An adaptive limit's backoff ratio is not 1..=999 thousandths.
    BackoffRatio,
    /// An adaptive limit's slow-call latency is above 2^62 ticks, or a
    /// breaker's `slow_call` is (or is 0 with a slow-call rate).
    Latency,
    /// A breaker's failure rate (half-open failure rate, slow-call rate) is
    /// above 1000 thousandths.
    FailureRate,
    /// A breaker's rate window is zero with a failure rate or a slow-call
    /// rate, above [`crate::breaker::MAX_RATE_WINDOW`] (above
    /// [`crate::breaker::MAX_SLOW_RATE_WINDOW`] with a slow-call rate), or
    /// set without either.
    RateWindow,
    /// A breaker's minimum calls exceed its rate window.
    MinimumCalls,
    /// A breaker's closed interval is above 2^62 ticks.
    ClosedInterval,
    /// A breaker's rate duration is above 2^62 ticks, or set without a
    /// failure rate or a slow-call rate.
    RateDuration,
    /// A breaker's longest open period is below its open period or above
    /// 2^62 ticks.
    MaxOpen,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            Self::FailureThreshold => {
                "failure threshold must be at least 1 without a failure rate or a trip rule"
            }
            Self::OpenTicks => "open ticks must be 1..=2^62",
            Self::HalfOpenPermits => "half-open permits must be 1..=16",
            Self::SuccessThreshold => "success threshold must be 1..=half-open permits",
            Self::HalfOpenTimeout => "half-open timeout must be 1..=2^62 ticks",
            Self::ZeroCapacity => "capacity must be at least 1",
            Self::ZeroRefill => "refill needs at least one token per period",
            Self::Period => "refill period must be 1..=2^62 ticks",
            Self::InitialFill => "initial fill exceeds capacity",
            Self::MaxAttempts => "max attempts must be at least 1",
            Self::BackoffDelay => "backoff delay must be at most 2^62 ticks",
            Self::BackoffStep => "linear backoff step must be at most 2^62 ticks",
            Self::Multiplier => {
                "multiplier must be at least 1000 thousandths (a breaker's at most 10^6)"
            }
            Self::Jitter => "proportional jitter must be at most 1000 thousandths",
            Self::JitterTicks => "additive jitter must be at most 2^62 ticks",
            Self::MaxDelay => "max delay must be at most 2^62 ticks",
            Self::Deadline => "deadline must be at most 2^62 ticks",
            Self::MaxTokens => "max tokens must be at least 1",
            Self::TokenRatio => "token ratio must be 1..=max tokens x 1000",
            Self::Interval => "window interval must be at most 2^62 ticks",
            Self::MaxWait => "shaper max wait must be at most 2^62 ticks",
            Self::Limit => "limit must be at least 1",
            Self::Window => "window must be 1..=2^62 ticks",
            Self::MaxConcurrent => "max concurrent must be 1..=64",
            Self::AdaptiveLimits => "adaptive limits must be 1 <= min <= initial <= max <= 64",
            Self::BackoffRatio => "backoff ratio must be 1..=999 thousandths",
            Self::Latency => {
                "slow latency (slow call) must be at most 2^62 ticks, and set with a slow-call rate"
            }
            Self::FailureRate => {
                "failure rate (half-open, slow-call) must be at most 1000 thousandths"
            }
            Self::RateWindow => {
                "rate window must be 1..=64 with a failure rate (1..=52 with a slow-call rate), 0 without"
            }
            Self::MinimumCalls => "minimum calls must be at most the rate window",
            Self::ClosedInterval => "closed interval must be at most 2^62 ticks",
            Self::RateDuration => {
                "rate duration must be at most 2^62 ticks, and set with a failure or slow-call rate"
            }
            Self::MaxOpen => "max open must be open..=2^62 ticks (0: 2^62)",
        };
        f.write_str(text)
    }
}

/// Every error type of the crate is a `core::error::Error`, so a hosted
/// caller's `?` works.
///
/// ```
/// # use tickguard::time::Duration;
/// # use tickguard::bucket::BucketSettings;
/// fn build() -> Result<(), Box<dyn std::error::Error>> {
///     tickguard::bucket::BucketConfig::new(BucketSettings { capacity: 0, tokens: 1, period: Duration::from_ticks(1), initial_fill: None })?;
///     Ok(())
/// }
/// assert_eq!(build().unwrap_err().to_string(), "capacity must be at least 1");
/// ```
impl core::error::Error for ConfigError {}

/// A duration argument (not a configured field: [`Breaker::open_for`]'s)
/// is longer than [`MAX_DURATION`] (2^62 ticks). Nothing changed.
///
/// ```
/// use tickguard::breaker::{Breaker, BreakerConfig};
/// use tickguard::time::{Duration, Instant};
/// use tickguard::DurationTooLong;
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// let forever = Duration::from_ticks((1 << 62) + 1);
/// assert_eq!(breaker.open_for(forever, Instant::ZERO), Err(DurationTooLong));
/// assert_eq!(DurationTooLong.to_string(), "duration must be at most 2^62 ticks");
/// ```
///
/// [`Breaker::open_for`]: crate::breaker::Breaker::open_for
/// [`MAX_DURATION`]: crate::time::MAX_DURATION
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DurationTooLong;

impl core::fmt::Display for DurationTooLong {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("duration must be at most 2^62 ticks")
    }
}

impl core::error::Error for DurationTooLong {}
