//! Breaker configuration: validated once, `const`, immutable.

use super::window::{
    RateRule, CLEARING_BUCKETS, MAX_SLOW_WINDOW, MAX_TIME_MINIMUM_CALLS, MAX_WINDOW, TIME_BUCKETS,
};
use super::word::{INTERVAL_GRID_STEPS, SLOT_BITS, TIMEOUT_GRID_STEPS};
use crate::spread::exponential;
use crate::time::{Duration, Tick, MAX_DURATION};
use crate::ConfigError;

/// The largest accepted [`BreakerSettings::failure_threshold`] (the failure
/// run is counted in 32 bits).
pub const MAX_FAILURE_THRESHOLD: u32 = u32::MAX;

/// The largest accepted [`BreakerSettings::half_open_permits`] (16: each
/// trial permit has a slot in a 16-bit mask of the state word).
pub const MAX_HALF_OPEN_PERMITS: u32 = SLOT_BITS;

/// The largest accepted [`BreakerSettings::rate_window`] (the window's
/// outcomes are the bits of a 64-bit register).
pub const MAX_RATE_WINDOW: u32 = MAX_WINDOW;

/// The largest accepted [`BreakerSettings::rate_window`] with a slow-call
/// rate (the window's word then holds a register of slow calls beside the
/// failures').
pub const MAX_SLOW_RATE_WINDOW: u32 = MAX_SLOW_WINDOW;

/// The largest accepted [`BreakerSettings::open_multiplier_milli`] (×1000).
pub const MAX_OPEN_MULTIPLIER_MILLI: u32 = 1_000_000;

/// What a breaker is asked to do, before validation.
///
/// Start from [`BreakerConfig::DEFAULT_SETTINGS`] and override fields:
///
/// ```
/// use tickguard::breaker::{BreakerConfig, BreakerSettings};
/// let settings = BreakerSettings { failure_threshold: 3, ..BreakerConfig::DEFAULT_SETTINGS };
/// assert!(BreakerConfig::new(settings).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BreakerSettings {
    /// Consecutive failures in CLOSED that open the breaker (1..=2^32 − 1;
    /// 0: off, allowed only with a failure rate or a trip rule).
    pub failure_threshold: u32,
    /// How long OPEN lasts (1..=2^62 ticks).
    pub open: Duration,
    /// Trial calls HALF_OPEN admits in total (1..=16).
    pub half_open_permits: u32,
    /// Successful trials that close the breaker (1..=`half_open_permits`).
    pub success_threshold: u32,
    /// How long after entering HALF_OPEN undecided trials reopen the
    /// breaker (1..=2^62 ticks), so a permit holder that never reports
    /// cannot leave it stuck.
    pub half_open_timeout: Duration,
    /// The failure rate, in thousandths, at or above which the last
    /// `rate_window` outcomes in CLOSED open the breaker (1..=1000; 0:
    /// off). Compared inclusively, as Resilience4j does: 500 opens at
    /// half the calls failing.
    pub failure_rate_per_mille: u32,
    /// The outcomes the failure rate and the slow-call rate are measured
    /// over: the last this many successes and failures in CLOSED
    /// (1..=[`MAX_RATE_WINDOW`] with a failure rate,
    /// 1..=[`MAX_SLOW_RATE_WINDOW`] with a slow-call rate; 0 without
    /// either). IGNORED counts in none.
    pub rate_window: u32,
    /// Outcomes the window must hold before its rate can open the breaker
    /// (1..=`rate_window`, 0: the whole window; with a `rate_duration`,
    /// 1..=127, 0: one). Until then the rate is not judged, as in
    /// Resilience4j's `minimumNumberOfCalls`.
    pub minimum_calls: u32,
    /// Measures the failure rate and the slow-call rate over the outcomes
    /// of the last `rate_duration` ticks instead of the last `rate_window`
    /// outcomes (Resilience4j's TIME_BASED window, Polly's sampling
    /// duration, gobreaker's `BucketPeriod`; 1..=2^62 ticks, with a rate
    /// and `rate_window` 0; 0: a count window). The duration is split into
    /// 4 buckets of `⌈rate_duration / 4⌉` ticks that roll as the breaker's
    /// clock moves: the window holds the current bucket and the three
    /// before it. Each bucket counts up to 127 outcomes exactly and halves
    /// past that, keeping its proportions. Every counted outcome writes
    /// the window; CLOSED clears its counts (a new generation) at least
    /// every 2^26 buckets (see [`closed_interval`](Self::closed_interval)).
    ///
    /// ```
    /// # use tickguard::time::{Duration, Instant};
    /// use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome};
    /// // Half of the last 10 s of calls failing (1 ms ticks), 4 at least.
    /// let config = BreakerConfig::new(BreakerSettings {
    ///     failure_threshold: 0,
    ///     failure_rate_per_mille: 500,
    ///     rate_duration: Duration::from_ticks(10_000),
    ///     minimum_calls: 4,
    ///     ..BreakerConfig::DEFAULT_SETTINGS
    /// })
    /// .unwrap();
    /// let breaker = Breaker::windowed(&config);
    /// let mut call = |at: u64, outcome| {
    ///     let permit = breaker.acquire(Instant::from_ticks(at)).unwrap().permit;
    ///     breaker.record(permit, outcome, Instant::from_ticks(at)).transition
    /// };
    /// call(0, Outcome::Failure);
    /// call(100, Outcome::Failure);
    /// // 10 s later those two have left the window: 0 of 2 fail.
    /// call(10_100, Outcome::Success);
    /// assert!(call(10_200, Outcome::Success).is_none());
    /// assert_eq!(breaker.window_counts().failures, 0);
    /// ```
    pub rate_duration: Duration,
    /// How long a CLOSED breaker counts before it clears its counts (the
    /// failure run and the failure-rate window) and starts counting afresh
    /// (1..=2^62 ticks; 0: never), as gobreaker's `Interval`. An interval
    /// starts when the breaker closes, and the next one with the first call
    /// at or after its end; the clearing is a new generation, so outcomes
    /// of calls admitted before it are not counted after it. The end lies
    /// on a grid of `interval / 2^11` (the largest power of two not above
    /// `⌈interval / 2^11⌉`, at least one tick): late by less than one grid
    /// step, never early.
    pub closed_interval: Duration,
    /// How much each reopening lengthens the open period, in thousandths
    /// (1000..=1 000 000; 0 or 1000: never): the breaker opens for
    /// `min(max_open, open × (multiplier / 1000)^reopenings)`, where
    /// reopenings count the trial periods that failed (or timed out) since
    /// the breaker last closed (at most 15). Closing starts again at `open`.
    pub open_multiplier_milli: u32,
    /// The longest open period (`open`..=2^62 ticks; 0: 2^62), growth and
    /// jitter included.
    pub max_open: Duration,
    /// Spreads each open period over `±open_jitter_per_mille` thousandths
    /// of itself (0..=1000; 0: none), drawn from `jitter_seed`, the
    /// generation and the tick it opens at, so breakers that tripped
    /// together do not probe together. Manual periods
    /// ([`Breaker::open_for`](super::Breaker::open_for)) are exact.
    pub open_jitter_per_mille: u32,
    /// The caller's entropy for the jitter: give each device or process its
    /// own (a serial number, a random value at boot).
    pub jitter_seed: u64,
    /// Decides a trial period by its failure rate (Resilience4j's half-open
    /// rule), in thousandths (1..=1000; 0: off). Off, the first failed trial
    /// reopens the breaker and `success_threshold` successes close it. On,
    /// the period ends once all `half_open_permits` trials are reported:
    /// failures / permits at or above this share reopens it, else it
    /// closes (`success_threshold` is then unused).
    pub half_open_failure_rate_per_mille: u32,
    /// A call that takes longer than this is **slow**: its duration is the
    /// tick of its report minus the tick its permit was acquired at
    /// ([`Permit::acquired_at`](super::Permit::acquired_at); 0 for a report
    /// that lags its admission), compared strictly, as Resilience4j does
    /// (1..=2^62 ticks; 0: no call is slow). Slow calls are counted
    /// ([`BreakerCounts::slow`](super::BreakerCounts::slow)) whether or not
    /// a slow-call rate is set; a slow success is still a success for the
    /// failure run and the failure rate.
    ///
    /// ```
    /// # use tickguard::time::{Duration, Instant};
    /// use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State, TripReason};
    /// // Calls over 2 s (1 ms ticks) are slow; 3 of the last 4 slow opens it.
    /// let config = BreakerConfig::new(BreakerSettings {
    ///     failure_threshold: 0,
    ///     slow_call: Duration::from_ticks(2_000),
    ///     slow_call_rate_per_mille: 750,
    ///     rate_window: 4,
    ///     ..BreakerConfig::DEFAULT_SETTINGS
    /// })
    /// .unwrap();
    /// let breaker = Breaker::windowed(&config);
    /// for (start, took) in [(0, 100), (1_000, 2_500), (5_000, 3_000), (9_000, 2_001)] {
    ///     let permit = breaker.acquire(Instant::from_ticks(start)).unwrap().permit;
    ///     breaker.record(permit, Outcome::Success, Instant::from_ticks(start + took));
    /// }
    /// let status = breaker.status(Instant::from_ticks(11_001));
    /// assert_eq!((status.state, status.tripped_by), (State::Open, Some(TripReason::SlowCallRate)));
    /// ```
    pub slow_call: Duration,
    /// The share of slow calls, in thousandths, at or above which the last
    /// `rate_window` outcomes in CLOSED open the breaker (1..=1000; 0: off),
    /// once the window holds `minimum_calls` (Resilience4j's
    /// `slowCallRateThreshold`); needs `slow_call`. With it, a slow trial
    /// in HALF_OPEN counts as a failed trial: a backend still slow has not
    /// recovered.
    pub slow_call_rate_per_mille: u32,
    /// A rule of the caller's that opens the breaker, judged on each failure
    /// counted in CLOSED, over the counts that failure leaves ([`TripRule`];
    /// `None`: none). It adds to the other rules: any of them opens it.
    pub trip_rule: Option<TripRule>,
}

/// A caller's trip rule: `decide(consecutive_failures, calls, failures,
/// context)` says whether a failure counted in CLOSED opens the breaker.
/// `consecutive_failures` is the run of failures in a row, this one
/// included; `calls` and `failures` are what the failure-rate window holds
/// with this outcome in (0 and 0 for a breaker without one), and `context`
/// is the caller's own value. gobreaker's `ReadyToTrip(counts)` ports
/// directly:
///
/// ```
/// use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State, TripRule};
/// use tickguard::time::Instant;
/// // At least 3 calls, 60 % of them failing.
/// extern "C" fn ready_to_trip(_run: u32, calls: u32, failures: u32, _: usize) -> bool {
///     calls >= 3 && failures * 10 >= calls * 6
/// }
/// let config = BreakerConfig::new(BreakerSettings {
///     failure_threshold: 0, // the rule alone
///     failure_rate_per_mille: 1000, // a window of 10 (and its own rule: all failing)
///     rate_window: 10,
///     trip_rule: Some(TripRule { decide: ready_to_trip, context: 0 }),
///     ..BreakerConfig::DEFAULT_SETTINGS
/// })
/// .unwrap();
/// let breaker = Breaker::windowed(&config);
/// for (now, outcome) in [(1, Outcome::Failure), (2, Outcome::Success), (3, Outcome::Failure)] {
///     let permit = breaker.acquire(Instant::from_ticks(now)).unwrap().permit;
///     breaker.record(permit, outcome, Instant::from_ticks(now));
/// }
/// assert_eq!(breaker.state(Instant::from_ticks(4)), State::Open);
/// ```
///
/// The rule runs inside the breaker's update (on targets without a
/// compare-and-swap, inside its critical section), perhaps more than once
/// under contention: keep it short and pure, and do not call the breaker
/// from it. Under contention it sees the counts as its outcome left them,
/// which a racing outcome may change before the breaker's state word does
/// (as for the failure-rate rule). A C function fits as it is
/// (`tg_trip_rule_fn`).
#[derive(Clone, Copy, Debug)]
pub struct TripRule {
    /// The rule: `(consecutive_failures, calls, failures, context)`.
    pub decide: extern "C" fn(u32, u32, u32, usize) -> bool,
    /// Passed to `decide` as it is (a pointer, an index, a threshold).
    pub context: usize,
}

impl TripRule {
    /// Whether the rule opens the breaker over these counts.
    pub(super) fn trips(&self, consecutive_failures: u32, calls: u32, failures: u32) -> bool {
        (self.decide)(consecutive_failures, calls, failures, self.context)
    }
}

/// Two rules are the same when they call the same function with the same
/// context.
impl PartialEq for TripRule {
    fn eq(&self, other: &Self) -> bool {
        self.decide as usize == other.decide as usize && self.context == other.context
    }
}

impl Eq for TripRule {}

impl core::hash::Hash for TripRule {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.decide as usize).hash(state);
        self.context.hash(state);
    }
}

/// A validated breaker configuration. `const`-constructible, so it can live
/// in flash:
///
/// ```
/// use tickguard::breaker::{BreakerConfig, BreakerSettings};
/// use tickguard::time::Duration;
/// static CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
///     open: Duration::from_ticks(5_000),
///     ..BreakerConfig::DEFAULT_SETTINGS
/// }) {
///     Ok(config) => config,
///     Err(_) => panic!("invalid breaker configuration"),
/// };
/// assert_eq!(CONFIG.settings().open.ticks(), 5_000);
/// ```
///
/// Open deadlines are kept as full 64-bit ticks: exact. Two derived quanta
/// (see the `word` module's source): CLOSED notes the latest tick it has
/// seen once per `open / 2^16`, and the half-open timeout deadline
/// lies on a grid of the largest power of two not above
/// `⌈half_open_timeout / 2^9⌉` ticks, so that no division is made (late
/// by less than one step, never early); each is at least one tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BreakerConfig {
    settings: BreakerSettings,
    /// The grid of HALF_OPEN's timeout deadline is `2^timeout_shift`
    /// ticks: a power of two, so that a tick's grid point is a shift.
    pub(super) timeout_shift: u8,
    /// The grid of CLOSED's interval end is `2^interval_shift` ticks.
    pub(super) interval_shift: u8,
    /// The failure-rate window's rule (`window` 0: none).
    pub(super) rate: RateRule,
}

impl BreakerConfig {
    /// The defaults: 5 consecutive failures open the
    /// breaker for 60 000 ticks (60 s at 1 kHz); 3 half-open trials, 2 of
    /// which must succeed; undecided trials reopen after another 60 000 ticks.
    pub const DEFAULT_SETTINGS: BreakerSettings = BreakerSettings {
        failure_threshold: 5,
        open: Duration::from_ticks(60_000),
        half_open_permits: 3,
        success_threshold: 2,
        half_open_timeout: Duration::from_ticks(60_000),
        failure_rate_per_mille: 0,
        rate_window: 0,
        minimum_calls: 0,
        rate_duration: Duration::from_ticks(0),
        closed_interval: Duration::from_ticks(0),
        open_multiplier_milli: 0,
        max_open: Duration::from_ticks(0),
        open_jitter_per_mille: 0,
        jitter_seed: 0,
        half_open_failure_rate_per_mille: 0,
        slow_call: Duration::from_ticks(0),
        slow_call_rate_per_mille: 0,
        trip_rule: None,
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::breaker::BreakerConfig;
    /// assert_eq!(BreakerConfig::DEFAULT.settings().failure_threshold, 5);
    /// ```
    pub const DEFAULT: Self = Self::from_valid(Self::DEFAULT_SETTINGS);

    /// Validates `settings`.
    ///
    /// ```
    /// use tickguard::{breaker::{BreakerConfig, BreakerSettings}, ConfigError};
    /// let bad = BreakerSettings { success_threshold: 4, ..BreakerConfig::DEFAULT_SETTINGS };
    /// assert_eq!(BreakerConfig::new(bad), Err(ConfigError::SuccessThreshold));
    /// ```
    pub const fn new(settings: BreakerSettings) -> Result<Self, ConfigError> {
        let s = settings;
        if s.failure_rate_per_mille > 1000 {
            return Err(ConfigError::FailureRate);
        }
        if s.slow_call_rate_per_mille > 1000 {
            return Err(ConfigError::FailureRate);
        }
        let slow_rated = s.slow_call_rate_per_mille != 0;
        if s.slow_call.ticks() > MAX_DURATION || (slow_rated && s.slow_call.ticks() == 0) {
            return Err(ConfigError::Latency);
        }
        let rated = s.failure_rate_per_mille != 0;
        if s.failure_threshold == 0 && !rated && !slow_rated && s.trip_rule.is_none() {
            return Err(ConfigError::FailureThreshold);
        }
        let timed = s.rate_duration.ticks() != 0;
        if s.rate_duration.ticks() > MAX_DURATION || (timed && !rated && !slow_rated) {
            return Err(ConfigError::RateDuration);
        }
        let widest = if slow_rated {
            MAX_SLOW_RATE_WINDOW
        } else {
            MAX_RATE_WINDOW
        };
        let counted = rated || slow_rated;
        if (counted && !timed) != (s.rate_window != 0) || s.rate_window > widest {
            return Err(ConfigError::RateWindow);
        }
        let most_calls = if timed {
            MAX_TIME_MINIMUM_CALLS
        } else {
            s.rate_window
        };
        if s.minimum_calls > most_calls {
            return Err(ConfigError::MinimumCalls);
        }
        if s.half_open_permits == 0 || s.half_open_permits > MAX_HALF_OPEN_PERMITS {
            return Err(ConfigError::HalfOpenPermits);
        }
        if s.success_threshold == 0 || s.success_threshold > s.half_open_permits {
            return Err(ConfigError::SuccessThreshold);
        }
        if s.open.ticks() == 0 || s.open.ticks() > MAX_DURATION {
            return Err(ConfigError::OpenTicks);
        }
        if s.half_open_timeout.ticks() == 0 || s.half_open_timeout.ticks() > MAX_DURATION {
            return Err(ConfigError::HalfOpenTimeout);
        }
        if s.closed_interval.ticks() > MAX_DURATION {
            return Err(ConfigError::ClosedInterval);
        }
        let multiplier = s.open_multiplier_milli;
        if multiplier != 0 && (multiplier < 1_000 || multiplier > MAX_OPEN_MULTIPLIER_MILLI) {
            return Err(ConfigError::Multiplier);
        }
        let max_open = s.max_open.ticks();
        if max_open != 0 && (max_open < s.open.ticks() || max_open > MAX_DURATION) {
            return Err(ConfigError::MaxOpen);
        }
        if s.open_jitter_per_mille > 1_000 {
            return Err(ConfigError::Jitter);
        }
        if s.half_open_failure_rate_per_mille > 1_000 {
            return Err(ConfigError::FailureRate);
        }
        Ok(Self::from_valid(s))
    }

    const fn from_valid(settings: BreakerSettings) -> Self {
        let s = settings;
        let rate = if s.rate_duration.ticks() != 0 {
            RateRule::timed(
                time_bucket(s.rate_duration.ticks()),
                if s.minimum_calls == 0 {
                    1
                } else {
                    s.minimum_calls
                },
                s.failure_rate_per_mille,
                s.slow_call_rate_per_mille,
            )
        } else {
            RateRule::new(
                s.rate_window,
                if s.minimum_calls == 0 {
                    s.rate_window
                } else {
                    s.minimum_calls
                },
                s.failure_rate_per_mille,
                s.slow_call_rate_per_mille,
            )
        };
        let clearing = Duration::from_ticks(clearing_interval(&settings));
        Self {
            settings,
            timeout_shift: grid_shift(settings.half_open_timeout, TIMEOUT_GRID_STEPS),
            interval_shift: grid_shift(clearing, INTERVAL_GRID_STEPS),
            rate,
        }
    }

    /// The bucket number of tick `clock` in a time window (any value for a
    /// count window, which has no buckets): a multiply by the rule's
    /// reciprocal, no division.
    pub(super) const fn bucket_number(&self, clock: Tick) -> u64 {
        let bucket = time_bucket(self.settings.rate_duration.ticks());
        self.rate.bucket_number(clock, bucket)
    }

    /// How often CLOSED clears its counts (0: never): `closed_interval`,
    /// and with a time window at least every 2^26 buckets.
    pub(super) const fn clearing_interval(&self) -> Tick {
        clearing_interval(&self.settings)
    }

    /// The settings this configuration was built from.
    ///
    /// ```
    /// use tickguard::breaker::BreakerConfig;
    /// assert_eq!(BreakerConfig::DEFAULT.settings().half_open_permits, 3);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> &BreakerSettings {
        &self.settings
    }

    /// Whether outcomes also count in a word beside the breaker's own (a
    /// failure-rate window, a slow-call rate or a trip rule: the second
    /// word of [`Breaker::windowed`](super::Breaker::windowed)).
    ///
    /// ```
    /// use tickguard::breaker::{BreakerConfig, BreakerSettings};
    /// assert!(!BreakerConfig::DEFAULT.counts_beside_its_word());
    /// let rated = BreakerSettings { failure_rate_per_mille: 500, rate_window: 20, ..BreakerConfig::DEFAULT_SETTINGS };
    /// assert!(BreakerConfig::new(rated).unwrap().counts_beside_its_word());
    /// ```
    #[must_use]
    pub const fn counts_beside_its_word(&self) -> bool {
        self.rate.is_on() || self.settings.trip_rule.is_some()
    }

    /// The open period after `reopens` reopenings, before jitter: `open`
    /// grown by the multiplier, at most the cap.
    pub(super) const fn grown_open(&self, reopens: u32) -> Tick {
        let s = &self.settings;
        let base = s.open.ticks();
        if s.open_multiplier_milli <= 1_000 {
            return base;
        }
        let cap = self.max_open();
        let grown = exponential(base, s.open_multiplier_milli, reopens, cap);
        if grown > cap {
            cap
        } else {
            grown
        }
    }

    /// The longest open period.
    pub(super) const fn max_open(&self) -> Tick {
        match self.settings.max_open.ticks() {
            0 => MAX_DURATION,
            ticks => ticks,
        }
    }

    /// Whether a call admitted with `permit` and reported at `now` is slow.
    pub(super) const fn is_slow(&self, permit: super::Permit, now: Tick) -> bool {
        let limit = self.settings.slow_call.ticks();
        limit != 0 && permit.duration_to(now) > limit
    }

    /// Whether a slow call counts against the breaker (a slow-call rate is
    /// set): then a slow trial fails its trial period.
    pub(super) const fn slow_trips(&self) -> bool {
        self.settings.slow_call_rate_per_mille != 0
    }

    /// CLOSED notes a new latest tick once `now` passes it by this much:
    /// `open / 2^16`, at least 1 (computed when needed: a config in a C
    /// object has no room to keep it).
    pub(super) const fn seen_quantum(&self) -> Tick {
        let quantum = self.settings.open.ticks() >> 16;
        if quantum == 0 {
            1
        } else {
            quantum
        }
    }
}

/// A time window's bucket: `⌈duration / 4⌉` ticks (at least 1).
const fn time_bucket(duration: Tick) -> Tick {
    let bucket = duration.div_ceil(TIME_BUCKETS as u64);
    if bucket == 0 {
        1
    } else {
        bucket
    }
}

/// `closed_interval` (0: never), and with a time window no longer than
/// 2^26 buckets (at most 2^62 ticks).
const fn clearing_interval(s: &BreakerSettings) -> Tick {
    let asked = s.closed_interval.ticks();
    if s.rate_duration.ticks() == 0 {
        return asked;
    }
    let most = time_bucket(s.rate_duration.ticks()).saturating_mul(CLEARING_BUCKETS);
    let most = if most > MAX_DURATION {
        MAX_DURATION
    } else {
        most
    };
    if asked != 0 && asked < most {
        asked
    } else {
        most
    }
}

/// The shift of a grid of the largest power of two not above
/// `⌈span / steps⌉` ticks (at least one tick): `span` covers fewer than
/// `2 × steps` grid steps.
const fn grid_shift(span: Duration, steps: u64) -> u8 {
    match span.ticks().div_ceil(steps).checked_ilog2() {
        Some(shift) => shift as u8,
        None => 0,
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl AsRef<BreakerConfig> for BreakerConfig {
    fn as_ref(&self) -> &BreakerConfig {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut BreakerSettings)) -> Result<BreakerConfig, ConfigError> {
        let mut s = BreakerConfig::DEFAULT_SETTINGS;
        f(&mut s);
        BreakerConfig::new(s)
    }

    #[test]
    fn each_field_at_zero_one_and_maximum() {
        use ConfigError::*;
        assert_eq!(with(|s| s.failure_threshold = 0), Err(FailureThreshold));
        assert!(with(|s| s.failure_threshold = 1).is_ok());
        assert!(with(|s| s.failure_threshold = MAX_FAILURE_THRESHOLD).is_ok());

        // An open period of 0 would never shed load: rejected.
        assert_eq!(with(|s| s.open = Duration::from_ticks(0)), Err(OpenTicks));
        assert!(with(|s| s.open = Duration::from_ticks(1)).is_ok());
        assert!(with(|s| s.open = Duration::from_ticks(MAX_DURATION)).is_ok());
        assert_eq!(
            with(|s| s.open = Duration::from_ticks(MAX_DURATION + 1)),
            Err(OpenTicks)
        );
        assert_eq!(
            with(|s| s.open = Duration::from_ticks(u64::MAX)),
            Err(OpenTicks)
        );

        assert_eq!(with(|s| s.half_open_permits = 0), Err(HalfOpenPermits));
        assert!(with(|s| {
            s.half_open_permits = 1;
            s.success_threshold = 1;
        })
        .is_ok());
        assert!(with(|s| s.half_open_permits = MAX_HALF_OPEN_PERMITS).is_ok());
        assert_eq!(with(|s| s.half_open_permits = 17), Err(HalfOpenPermits));

        assert_eq!(with(|s| s.success_threshold = 0), Err(SuccessThreshold));
        assert!(with(|s| s.success_threshold = 1).is_ok());
        assert!(with(|s| s.success_threshold = 3).is_ok());
        assert_eq!(with(|s| s.success_threshold = 4), Err(SuccessThreshold));

        assert_eq!(
            with(|s| s.half_open_timeout = Duration::from_ticks(0)),
            Err(HalfOpenTimeout)
        );
        assert!(with(|s| s.half_open_timeout = Duration::from_ticks(1)).is_ok());
        assert!(with(|s| s.half_open_timeout = Duration::from_ticks(MAX_DURATION)).is_ok());
        assert_eq!(
            with(|s| s.half_open_timeout = Duration::from_ticks(MAX_DURATION + 1)),
            Err(HalfOpenTimeout)
        );

        // A closed interval of 0 never clears the counts.
        assert!(with(|s| s.closed_interval = Duration::from_ticks(0)).is_ok());
        assert!(with(|s| s.closed_interval = Duration::from_ticks(1)).is_ok());
        assert!(with(|s| s.closed_interval = Duration::from_ticks(MAX_DURATION)).is_ok());
        assert_eq!(
            with(|s| s.closed_interval = Duration::from_ticks(MAX_DURATION + 1)),
            Err(ClosedInterval)
        );
    }

    #[test]
    fn the_failure_rate_fields_off_or_in_range() {
        use ConfigError::*;
        let rated = |per_mille, window, minimum| {
            with(|s| {
                s.failure_rate_per_mille = per_mille;
                s.rate_window = window;
                s.minimum_calls = minimum;
            })
        };
        assert!(rated(0, 0, 0).is_ok());
        assert!(rated(1, 1, 0).is_ok());
        assert!(rated(1000, MAX_RATE_WINDOW, MAX_RATE_WINDOW).is_ok());
        assert_eq!(rated(1001, 10, 0), Err(FailureRate));
        assert_eq!(rated(500, 0, 0), Err(RateWindow));
        assert_eq!(rated(500, MAX_RATE_WINDOW + 1, 0), Err(RateWindow));
        assert_eq!(rated(0, 10, 0), Err(RateWindow));
        assert_eq!(rated(500, 10, 11), Err(MinimumCalls));
        assert_eq!(rated(0, 0, 1), Err(MinimumCalls));
        // 0 minimum calls: the whole window.
        assert_eq!(rated(500, 10, 0).map(|c| c.rate.minimum_calls()), Ok(10));
        assert_eq!(rated(500, 10, 3).map(|c| c.rate.minimum_calls()), Ok(3));
        // A rate alone may open the breaker; nothing at all may not.
        assert!(with(|s| {
            s.failure_threshold = 0;
            s.failure_rate_per_mille = 500;
            s.rate_window = 10;
        })
        .is_ok());
        assert_eq!(with(|s| s.failure_threshold = 0), Err(FailureThreshold));
    }

    #[test]
    fn default_matches_its_settings() {
        assert_eq!(
            BreakerConfig::new(BreakerConfig::DEFAULT_SETTINGS),
            Ok(BreakerConfig::DEFAULT)
        );
        assert_eq!(BreakerConfig::default(), BreakerConfig::DEFAULT);
    }
}
