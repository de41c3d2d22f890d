//! Why a breaker opened, and when it admits a trial: [`BreakerStatus`].

use super::State;
use crate::time::Instant;

/// Why a breaker opened. An OPEN breaker keeps it until its open period
/// ends ([`Breaker::status`](super::Breaker::status)); a trial period
/// forgets it (HALF_OPEN has no room for it in its word), and trials left
/// undecided past their timeout report [`TripReason::TrialTimedOut`].
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, Outcome, TripReason};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// for now in 0..5 {
///     let permit = breaker.acquire(Instant::from_ticks(now)).unwrap().permit;
///     breaker.record(permit, Outcome::Failure, Instant::from_ticks(now));
/// }
/// let status = breaker.status(Instant::from_ticks(9));
/// assert_eq!(status.tripped_by, Some(TripReason::ConsecutiveFailures));
/// assert_eq!(TripReason::ConsecutiveFailures.name(), "consecutive failures");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TripReason {
    /// `failure_threshold` failures in a row in CLOSED.
    ConsecutiveFailures = 1,
    /// The failure-rate window's rule (or, without a window, a failure
    /// under a configured rate).
    FailureRate = 2,
    /// A half-open trial failed (or, with a slow-call rate, was slow).
    TrialFailed = 3,
    /// The half-open trials were still undecided at their timeout.
    TrialTimedOut = 4,
    /// [`Breaker::open_for`](super::Breaker::open_for).
    Manual = 5,
    /// The configuration's custom trip rule
    /// ([`BreakerSettings::trip_rule`](super::BreakerSettings::trip_rule)).
    CustomRule = 6,
    /// The window's slow-call rule (or, without a window, a slow call
    /// under a configured slow-call rate).
    SlowCallRate = 7,
}

impl TripReason {
    /// Every reason, in the order of their codes (from 1).
    pub const ALL: [TripReason; 7] = [
        Self::ConsecutiveFailures,
        Self::FailureRate,
        Self::TrialFailed,
        Self::TrialTimedOut,
        Self::Manual,
        Self::CustomRule,
        Self::SlowCallRate,
    ];

    /// The reason with code `code` (`None` for 0 and any unknown code).
    ///
    /// ```
    /// use tickguard::breaker::TripReason;
    /// assert_eq!(TripReason::from_code(5), Some(TripReason::Manual));
    /// assert_eq!(TripReason::from_code(0), None);
    /// ```
    #[must_use]
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::ConsecutiveFailures),
            2 => Some(Self::FailureRate),
            3 => Some(Self::TrialFailed),
            4 => Some(Self::TrialTimedOut),
            5 => Some(Self::Manual),
            6 => Some(Self::CustomRule),
            7 => Some(Self::SlowCallRate),
            _ => None,
        }
    }

    /// The name as a C string (the C ABI's `tg_trip_reason_str`);
    /// [`TripReason::name`] and `Display` give it as text.
    ///
    /// ```
    /// use tickguard::breaker::TripReason;
    /// assert_eq!(TripReason::TrialTimedOut.c_name(), c"trial timed out");
    /// assert_eq!(format!("{}", TripReason::FailureRate), "failure rate");
    /// ```
    #[must_use]
    pub const fn c_name(self) -> &'static core::ffi::CStr {
        match self {
            Self::ConsecutiveFailures => c"consecutive failures",
            Self::FailureRate => c"failure rate",
            Self::TrialFailed => c"trial failed",
            Self::TrialTimedOut => c"trial timed out",
            Self::Manual => c"manual",
            Self::CustomRule => c"custom rule",
            Self::SlowCallRate => c"slow-call rate",
        }
    }
}
crate::named!(TripReason);

/// What [`Breaker::status`](super::Breaker::status) reports: the state an
/// acquire would see, and while OPEN why it opened and the tick at which
/// it admits a trial.
///
/// ```
/// # use tickguard::time::{Duration, Instant};
/// use tickguard::breaker::{Breaker, BreakerConfig, BreakerStatus, State, TripReason};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// breaker.open_for(Duration::from_ticks(30), Instant::from_ticks(100)).unwrap();
/// assert_eq!(
///     breaker.status(Instant::from_ticks(110)),
///     BreakerStatus {
///         state: State::Open,
///         tripped_by: Some(TripReason::Manual),
///         trial_at: Some(Instant::from_ticks(130)),
///     }
/// );
/// // Past the deadline an acquire would start a trial: no reason, no tick.
/// assert_eq!(breaker.status(Instant::from_ticks(130)).state, State::HalfOpen);
/// assert_eq!(breaker.status(Instant::from_ticks(130)).tripped_by, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BreakerStatus {
    /// The state an acquire at the same tick would see (as
    /// [`Breaker::state`](super::Breaker::state)).
    pub state: State,
    /// Why it opened, while OPEN (`None` in every other state, and for a
    /// word restored from a snapshot taken before reasons were kept).
    pub tripped_by: Option<TripReason>,
    /// While OPEN, the tick from which an acquire starts a trial (for
    /// trials undecided past their timeout, the end of the period an
    /// acquire at the same tick would start).
    pub trial_at: Option<Instant>,
}
