//! Configuration errors shared by every primitive.

/// Why a configuration was rejected at construction.
///
/// ```
/// use tickguard::{bucket::BucketConfig, ConfigError};
/// assert_eq!(BucketConfig::new(0, 1, 1).err(), Some(ConfigError::ZeroCapacity));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigError {
    /// A duration is longer than [`crate::time::MAX_DURATION`] (2^62 ticks).
    DurationTooLong,
    /// A duration that must be at least one tick is zero.
    ZeroDuration,
    /// The breaker's failure threshold is zero or above
    /// [`crate::breaker::MAX_FAILURE_THRESHOLD`].
    FailureThreshold,
    /// The half-open permit count is zero or above
    /// [`crate::breaker::MAX_HALF_OPEN_PERMITS`].
    HalfOpenPermits,
    /// The success threshold is zero or above the half-open permit count.
    SuccessThreshold,
    /// The bucket's capacity is zero.
    ZeroCapacity,
    /// The refill rate has zero tokens per period.
    ZeroRefill,
    /// The initial fill is above the capacity.
    InitialFill,
    /// A retry policy allows no attempt (`max_attempts` is zero).
    MaxAttempts,
    /// An exponential backoff's multiplier is below 1 (1000 thousandths).
    Multiplier,
    /// A proportional jitter spreads more than 100 % (1000 thousandths).
    Jitter,
    /// A retry budget's token ratio is zero or above its maximum tokens.
    TokenRatio,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            Self::DurationTooLong => "duration must be at most 2^62 ticks",
            Self::ZeroDuration => "duration must be at least one tick",
            Self::FailureThreshold => "failure threshold out of range",
            Self::HalfOpenPermits => "half-open permits out of range",
            Self::SuccessThreshold => "success threshold must be 1..=half-open permits",
            Self::ZeroCapacity => "capacity must be at least 1",
            Self::ZeroRefill => "refill needs at least one token per period",
            Self::InitialFill => "initial fill exceeds capacity",
            Self::MaxAttempts => "max attempts must be at least 1",
            Self::Multiplier => "backoff multiplier must be at least 1000 thousandths",
            Self::Jitter => "proportional jitter must be at most 1000 thousandths",
            Self::TokenRatio => "token ratio must be 1..=max tokens x 1000",
        };
        f.write_str(text)
    }
}
