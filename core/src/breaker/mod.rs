//! Circuit breaker: CLOSED → OPEN → HALF_OPEN → CLOSED, in one 128-bit word
//! (and a second one for a failure-rate window).
//!
//! * **CLOSED** admits every call; `failure_threshold` consecutive failures
//!   open the breaker (a success resets the run), and so does a failure
//!   rate over the last outcomes, when configured (below).
//! * **OPEN** refuses until `open` have passed, telling the caller the
//!   tick to retry at. The first `acquire` at or after the deadline moves to
//!   HALF_OPEN (lazily: nothing runs in between).
//! * **HALF_OPEN** admits at most `half_open_permits` trial calls;
//!   `success_threshold` successes close the breaker, any failure reopens it,
//!   and trials still undecided `half_open_timeout` after entering
//!   HALF_OPEN reopen it, so it can never be stuck.
//! * **FORCED_OPEN** refuses everything and **DISABLED** admits everything
//!   and counts nothing, until [`Breaker::reset`].
//!
//! Every admitted call gets a [`Permit`] stamped with the breaker's 16-bit
//! generation, which changes on every change of state, and (in HALF_OPEN)
//! with its trial slot: an outcome recorded with a permit from before the
//! last change is discarded, so a slow call started while CLOSED cannot trip
//! a breaker that has since reopened and recovered. A trial slot is never
//! issued twice in one generation, so a second report of a trial permit
//! (after SUCCESS, FAILURE or IGNORED) changes nothing. A CLOSED permit is
//! not single-use: making it so would cost a write per admission, so each
//! report of it counts; report each call once. Every call that changes
//! state returns the [`Transition`]; exactly one caller observes each, so
//! logging needs no callbacks.
//!
//! IGNORED hands a trial back uncounted and makes room for another trial,
//! in a fresh slot. A half-open generation has 16 slots: once all were
//! issued, the next trial starts a fresh generation if every trial was
//! reported, and otherwise waits (refused with the timeout deadline as
//! `retry_at`) until they are or the timeout reopens the breaker.
//!
//! Refusals never write the state word.
//!
//! # Failure rate
//!
//! Besides (or instead of) consecutive failures, a breaker can open on its
//! **failure rate over the last `rate_window` outcomes** in CLOSED
//! (Resilience4j's COUNT_BASED window, gobreaker's ratio `ReadyToTrip`):
//! once the window holds at least `minimum_calls` outcomes, a failure rate
//! at or above `failure_rate_per_mille` thousandths opens it (inclusive, as
//! Resilience4j compares; checked on every counted outcome, so a success
//! that brings the window up to its minimum can open it too). IGNORED counts
//! in none; half-open trials are judged by the half-open rule alone. The
//! window is empty again in every new CLOSED generation (after a recovery,
//! and after a `reset`, which with a window starts a new generation), and an
//! outcome reported with a permit of another generation is never counted in
//! it. Setting `failure_threshold` to 0 leaves the rate alone.
//!
//! With [`rate_duration`](BreakerSettings::rate_duration) instead of
//! `rate_window`, the window is the outcomes of the last that many ticks
//! (Resilience4j's TIME_BASED window) in 4 rolling buckets, and with
//! [`slow_call`](BreakerSettings::slow_call) and a slow-call rate it also
//! counts slow calls (Resilience4j's slow-call rate).
//!
//! The window is a second 128-bit word ([`FailureWindow`]), so a breaker
//! that uses one is built with [`Breaker::windowed`] ([`WindowedBreaker`],
//! 16 bytes more); a plain [`Breaker`] has no window and no window code,
//! and given a configuration with a failure rate it opens on every counted
//! failure (it cannot measure the rate, and never silently ignores it).
//! Transitions still change the state word alone and are reported to
//! exactly one caller: a report counts its outcome in the window (a
//! compare-and-swap on that word, skipped when the outcome changes nothing
//! there, such as a success in a clean full window), then applies the
//! window's verdict to the state word. Refusals still only read; both
//! words are lock-free wherever the target has the wide compare-and-swap.
//! [`Breaker::window_counts`] reads what the window holds.
//!
//! ```
//! # use tickguard::time::Instant;
//! use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State};
//!
//! // gobreaker's ratio rule: at least 3 calls, 60 % of them failing.
//! let config = BreakerConfig::new(BreakerSettings {
//!     failure_threshold: 0,
//!     failure_rate_per_mille: 600,
//!     rate_window: 3,
//!     minimum_calls: 3,
//!     ..BreakerConfig::DEFAULT_SETTINGS
//! })
//! .unwrap();
//! let breaker = Breaker::windowed(&config);
//! let mut opened = None;
//! for (now, outcome) in [(1, Outcome::Failure), (2, Outcome::Success), (3, Outcome::Failure)] {
//!     let at = Instant::from_ticks(now);
//!     let permit = breaker.acquire(at).unwrap().permit;
//!     opened = opened.or(breaker.record(permit, outcome, at).transition.map(|_| now));
//! }
//! assert_eq!(opened, Some(3)); // fail, succeed, fail: 2 of 3
//! assert_eq!(breaker.state(Instant::from_ticks(4)), State::Open);
//! ```
//!
//! # Time
//!
//! Ticks are monotonic `u64` ([`crate::time`]). Open deadlines are stored
//! whole, so they never alias and are exact; the half-open timeout deadline
//! is late by less than `half_open_timeout / 2^9` (never early), and the
//! closed interval's end by less than `closed_interval / 2^11`. The
//! breaker keeps the latest tick it has noted in every state: exactly in
//! OPEN (below 2^33 ticks from the deadline, else to 2^-32 of that
//! distance, rounded late), HALF_OPEN, FORCED_OPEN and DISABLED, and in
//! CLOSED to within `open / 2^16` (it notes a tick once `now` passes
//! the last one noted by that much, so the happy path writes nothing),
//! rounded late. Admissions, reports and manual commands note their `now`;
//! refusals and DISABLED's admissions only read, so their ticks are not
//! noted. Every manual change carries it into the new state. What a `now`
//! older than the latest tick noted does, per operation:
//!
//! * [`acquire`](Breaker::acquire): while OPEN it is refused (its `now` is
//!   before the deadline); in HALF_OPEN it may take a free trial slot if the
//!   timeout has not passed at that `now` (the trial is counted against the
//!   same permits). It never moves OPEN to HALF_OPEN early.
//! * [`record`](Breaker::record): a failure that opens the breaker opens it
//!   until `max(now, latest tick noted) + open`: a lagging report
//!   never shortens the open period. From HALF_OPEN this is exact; from
//!   CLOSED it is late by less than `open / 2^16`.
//! * [`open_for`](Breaker::open_for): measured the same way, from the later
//!   of `now` and the latest tick noted (late by less than `open /
//!   2^16` from CLOSED), in every state. The new period replaces the
//!   current one, whether longer or shorter.
//! * [`reset`](Breaker::reset), [`force_open`](Breaker::force_open),
//!   [`disable`](Breaker::disable): take no `now`; the latest tick noted is
//!   carried over, so a failure or `open_for` with a lagging `now` after them
//!   is measured from it.
//! * [`state`](Breaker::state): reports what an `acquire` at that `now`
//!   would see.
//!
//! The layout of the word is in the `word` module's source.
//!
//! ```
//! # use tickguard::time::Duration;
//! # use tickguard::time::Instant;
//! use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State};
//!
//! let config = BreakerConfig::new(BreakerSettings {
//!     failure_threshold: 2,
//!     open: Duration::from_ticks(100),
//!     half_open_permits: 1,
//!     success_threshold: 1,
//!     half_open_timeout: Duration::from_ticks(50),
//!     ..BreakerConfig::DEFAULT_SETTINGS
//! })
//! .unwrap();
//! let breaker = Breaker::new(&config);
//!
//! for now in [10, 20] {
//!     let permit = breaker.acquire(Instant::from_ticks(now)).unwrap().permit;
//!     breaker.record(permit, Outcome::Failure, Instant::from_ticks(now + 1));
//! }
//! assert_eq!(breaker.state(Instant::from_ticks(30)), State::Open);
//! assert_eq!(breaker.acquire(Instant::from_ticks(30)).unwrap_err().retry_at, Some(Instant::from_ticks(121)));
//!
//! let trial = breaker.acquire(Instant::from_ticks(121)).unwrap(); // OPEN -> HALF_OPEN
//! assert_eq!(trial.transition.unwrap().to, State::HalfOpen);
//! let done = breaker.record(trial.permit, Outcome::Success, Instant::from_ticks(125));
//! assert_eq!(done.transition.unwrap().to, State::Closed);
//! ```

mod config;
mod counters;
mod status;
mod window;
mod word;

pub use config::{
    BreakerConfig, BreakerSettings, TripRule, MAX_FAILURE_THRESHOLD, MAX_HALF_OPEN_PERMITS,
    MAX_OPEN_MULTIPLIER_MILLI, MAX_RATE_WINDOW, MAX_SLOW_RATE_WINDOW,
};
pub use counters::{BreakerCounts, Counters, Counting, NoCounters};
pub use status::{BreakerStatus, TripReason};
pub use window::WindowCounts;

use crate::cell::StateCell;
use crate::machine::{Input, Machine, Step};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::DurationTooLong;
use word::Manual;

/// The states a breaker reports.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, State};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// assert_eq!(breaker.state(Instant::from_ticks(0)), State::Closed);
/// breaker.disable();
/// assert_eq!(breaker.state(Instant::from_ticks(0)), State::Disabled);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// Calls flow; consecutive failures are counted.
    Closed = 0,
    /// Calls are refused until the open period ends.
    Open = 1,
    /// A bounded number of trial calls decide whether to close.
    HalfOpen = 2,
    /// Manually opened: every call is refused until reset.
    ForcedOpen = 3,
    /// Manually disabled: every call is admitted, nothing is counted.
    Disabled = 4,
}

impl State {
    /// Every state, in the order of their codes.
    pub const ALL: [State; 5] = [
        Self::Closed,
        Self::Open,
        Self::HalfOpen,
        Self::ForcedOpen,
        Self::Disabled,
    ];

    /// The state with code `code` (`None` for any other value).
    ///
    /// ```
    /// use tickguard::breaker::State;
    /// assert_eq!(State::from_code(2), Some(State::HalfOpen));
    /// assert_eq!(State::from_code(5), None);
    /// ```
    #[must_use]
    pub const fn from_code(code: u64) -> Option<Self> {
        Some(match code {
            0 => Self::Closed,
            1 => Self::Open,
            2 => Self::HalfOpen,
            3 => Self::ForcedOpen,
            4 => Self::Disabled,
            _ => return None,
        })
    }

    /// The name as a C string (the C ABI's `tg_state_str`); [`State::name`]
    /// and `Display` give it as text.
    ///
    /// ```
    /// use tickguard::breaker::State;
    /// assert_eq!(State::HalfOpen.c_name(), c"half-open");
    /// assert_eq!(State::HalfOpen.name(), "half-open");
    /// assert_eq!(format!("{}", State::ForcedOpen), "forced-open");
    /// ```
    #[must_use]
    pub const fn c_name(self) -> &'static core::ffi::CStr {
        match self {
            Self::Closed => c"closed",
            Self::Open => c"open",
            Self::HalfOpen => c"half-open",
            Self::ForcedOpen => c"forced-open",
            Self::Disabled => c"disabled",
        }
    }
}
crate::named!(State);

/// The outcome of a guarded call, reported with [`Breaker::record`].
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, Outcome};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// let permit = breaker.acquire(Instant::from_ticks(0)).unwrap().permit;
/// let call_result: Result<u32, &str> = Err("timeout");
/// let outcome = if call_result.is_ok() { Outcome::Success } else { Outcome::Failure };
/// assert!(breaker.record(permit, outcome, Instant::from_ticks(1)).counted);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Outcome {
    /// The call succeeded.
    Success = 0,
    /// The call failed in a way that should count against the backend.
    Failure = 1,
    /// Neither (e.g. cancelled, or a client error): a half-open permit is
    /// handed back without counting.
    Ignored = 2,
}

/// A change of state, returned to exactly one caller.
///
/// ```
/// use tickguard::breaker::{Breaker, BreakerConfig, State, Transition};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// let change = breaker.force_open();
/// assert_eq!(change, Some(Transition { from: State::Closed, to: State::ForcedOpen }));
/// assert_eq!(breaker.force_open(), None); // already there: no transition
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transition {
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
}

/// Proof that a call was admitted: stamped with the breaker's generation,
/// for a half-open trial its slot, and the tick the call was admitted at
/// (so that a report can tell a slow call, with
/// [`slow_call`](BreakerSettings::slow_call)).
///
/// Hand it back to [`Breaker::record`] with the call's outcome.
/// [`Permit::token`], [`Permit::acquired_at`] and [`Permit::from_parts`]
/// carry it across a C ABI (`tg_permit_t`).
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, Permit};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// let permit = breaker.acquire(Instant::from_ticks(7)).unwrap().permit;
/// assert_eq!(permit.acquired_at(), Instant::from_ticks(7));
/// assert_eq!(Permit::from_parts(permit.token(), permit.acquired_at()), Some(permit));
/// # let _ = breaker.record(permit, tickguard::breaker::Outcome::Ignored, Instant::from_ticks(7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "hand the permit back with `Breaker::record`, or a half-open trial slot stays taken"]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Permit {
    token: u32,
    acquired_at: Instant,
}

const PERMIT_VALID: u32 = 1 << 31;
const PERMIT_SLOT_SHIFT: u32 = 16;

impl Permit {
    const fn new(generation: u16, slot: u32, acquired_at: Tick) -> Self {
        Self {
            token: PERMIT_VALID | ((slot & 0x1F) << PERMIT_SLOT_SHIFT) | generation as u32,
            acquired_at: Instant::from_ticks(acquired_at),
        }
    }

    const fn generation(self) -> u16 {
        self.token as u16
    }

    /// 0 for a CLOSED or DISABLED permit, 1..=16 for a half-open trial.
    const fn slot(self) -> u32 {
        (self.token >> PERMIT_SLOT_SHIFT) & 0x1F
    }

    /// How long the call took when it ends at `now` (0 for a `now` before
    /// the admission, as a lagging caller's).
    const fn duration_to(self, now: Tick) -> Tick {
        now.saturating_sub(self.acquired_at.ticks())
    }

    /// The generation and slot as a `u32` (never 0).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// # use tickguard::breaker::{Breaker, BreakerConfig};
    /// let permit = Breaker::new(&BreakerConfig::DEFAULT).acquire(Instant::from_ticks(0)).unwrap().permit;
    /// assert_ne!(permit.token(), 0);
    /// ```
    #[must_use]
    pub const fn token(self) -> u32 {
        self.token
    }

    /// The tick the call was admitted at (the `now` of its
    /// [`acquire`](Breaker::acquire)).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// # use tickguard::breaker::{Breaker, BreakerConfig};
    /// let permit = Breaker::new(&BreakerConfig::DEFAULT).acquire(Instant::from_ticks(42)).unwrap().permit;
    /// assert_eq!(permit.acquired_at().ticks(), 42);
    /// ```
    #[must_use]
    pub const fn acquired_at(self) -> Instant {
        self.acquired_at
    }

    /// A permit from a [`token`](Permit::token) and the tick its call was
    /// admitted at; `None` for a token no permit can have (such as 0).
    ///
    /// ```
    /// use tickguard::breaker::Permit;
    /// use tickguard::time::Instant;
    /// assert_eq!(Permit::from_parts(0, Instant::from_ticks(0)), None);
    /// assert_eq!(Permit::from_parts(u32::MAX, Instant::from_ticks(0)), None);
    /// assert!(Permit::from_parts(1 << 31, Instant::from_ticks(0)).is_some());
    /// ```
    #[must_use]
    pub const fn from_parts(token: u32, acquired_at: Instant) -> Option<Self> {
        let permit = Self { token, acquired_at };
        let known_bits = PERMIT_VALID | (0x1F << PERMIT_SLOT_SHIFT) | 0xFFFF;
        if token & PERMIT_VALID != 0
            && token & !known_bits == 0
            && permit.slot() <= MAX_HALF_OPEN_PERMITS
        {
            Some(permit)
        } else {
            None
        }
    }
}

/// A call admitted by [`Breaker::acquire`].
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, Outcome};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// let admitted = breaker.acquire(Instant::from_ticks(0)).expect("CLOSED admits");
/// assert!(admitted.transition.is_none());
/// let _ = breaker.record(admitted.permit, Outcome::Success, Instant::from_ticks(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "report the call's outcome with `Breaker::record`"]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Admitted {
    /// Give this back to [`Breaker::record`].
    pub permit: Permit,
    /// The change of state this call made (OPEN → HALF_OPEN), if any.
    pub transition: Option<Transition>,
}

/// A call refused by [`Breaker::acquire`].
///
/// ```
/// # use tickguard::time::{Instant, Duration};
/// use tickguard::breaker::{Breaker, BreakerConfig};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// let _ = breaker.open_for(Duration::from_ticks(100), Instant::from_ticks(0));
/// let refused = breaker.acquire(Instant::from_ticks(10)).unwrap_err();
/// assert_eq!(refused.retry_at, Some(Instant::from_ticks(100)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Refused {
    /// The tick at which the breaker may admit again: the end of the open
    /// period, or of the half-open timeout when all trial permits are out.
    /// `None` while FORCED_OPEN.
    pub retry_at: Option<Instant>,
    /// The change of state this call made (HALF_OPEN → OPEN on a timeout),
    /// if any.
    pub transition: Option<Transition>,
}

impl core::fmt::Display for Refused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.retry_at {
            Some(at) => write!(f, "circuit open: retry at {at}"),
            None => f.write_str("circuit forced open"),
        }
    }
}

/// A refusal as an error, for `?`.
///
/// ```
/// # use tickguard::time::{Instant, Duration};
/// use tickguard::breaker::{Breaker, BreakerConfig};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// let _ = breaker.open_for(Duration::from_ticks(100), Instant::from_ticks(0));
/// let refused = breaker.acquire(Instant::from_ticks(10)).unwrap_err();
/// assert_eq!(refused.to_string(), "circuit open: retry at tick 100");
/// ```
impl core::error::Error for Refused {}

/// What [`Breaker::record`] did with an outcome.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State};
/// let config = BreakerConfig::new(BreakerSettings {
///     failure_threshold: 1,
///     ..BreakerConfig::DEFAULT_SETTINGS
/// })
/// .unwrap();
/// let breaker = Breaker::new(&config);
/// let permit = breaker.acquire(Instant::from_ticks(0)).unwrap().permit;
/// let recorded = breaker.record(permit, Outcome::Failure, Instant::from_ticks(1));
/// assert!(recorded.counted);
/// assert_eq!(recorded.transition.map(|t| t.to), Some(State::Open));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the outcome may have changed the breaker's state: check `transition`"]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Recorded {
    /// Whether the outcome counted. `false` for IGNORED, for a stale permit
    /// (issued before the last change of state), and while DISABLED.
    pub counted: bool,
    /// The change of state this outcome made, if any.
    pub transition: Option<Transition>,
}

/// A circuit breaker: a reference to its configuration and one atomic word.
///
/// `C` is anything that gives a [`BreakerConfig`]: `&'static BreakerConfig`
/// (the default, config in flash; 16 bytes of RAM for the word plus the
/// reference) or an owned `BreakerConfig`.
///
/// All methods take `&self` and are safe to call from several threads and
/// from interrupt handlers at once.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig};
/// static BREAKER: Breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// assert!(BREAKER.acquire(Instant::from_ticks(0)).is_ok());
/// ```
#[derive(Debug)]
pub struct Breaker<C = &'static BreakerConfig, W: Window = NoWindow, K: Counting = NoCounters> {
    config: C,
    word: StateCell<u128>,
    /// The failure-rate window's storage: none ([`NoWindow`]) or a word
    /// ([`RateWindow`]).
    window: W,
    /// The counters: none ([`NoCounters`]) or [`Counters`].
    counters: K,
}

/// A breaker with a failure-rate window and [`Counters`] (64 bytes more
/// than a [`Breaker`]), built with [`Breaker::with_storage`]: every C
/// breaker (`tg_breaker_t`) is one.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, CountingBreaker};
/// static BREAKER: CountingBreaker = Breaker::with_storage(&BreakerConfig::DEFAULT);
/// assert!(BREAKER.acquire(Instant::from_ticks(0)).is_ok());
/// assert_eq!(BREAKER.counts().requests, 1);
/// ```
pub type CountingBreaker<C = &'static BreakerConfig> = Breaker<C, RateWindow, Counters>;

/// A breaker with storage for its failure-rate window (16 bytes more than
/// a [`Breaker`]), built with [`Breaker::windowed`]: what a configuration
/// with a [`failure_rate_per_mille`](BreakerSettings::failure_rate_per_mille)
/// needs. Every C breaker (`tg_breaker_t`) is one.
pub type WindowedBreaker<C = &'static BreakerConfig> = Breaker<C, RateWindow>;

/// Where a breaker keeps its failure-rate window: [`NoWindow`] (nothing,
/// and no code: a firmware that never uses a failure rate pays nothing for
/// it) or [`RateWindow`] (one 128-bit word).
pub trait Window: sealed::Window {}

/// No failure-rate window: the breaker opens on consecutive failures only.
/// A configuration with a failure rate given to such a breaker cannot be
/// measured; the breaker then opens on every failure it counts, the
/// conservative reading, which a first test shows (build it with
/// [`Breaker::windowed`] instead).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWindow;

/// A failure-rate window's word ([`FailureWindow`]).
#[derive(Debug)]
pub struct RateWindow(StateCell<u128>);

impl Window for NoWindow {}
impl Window for RateWindow {}

// The sealed trait is unnameable outside the crate, so the crate-private
// cell in its method's signature is never reachable.
#[allow(private_interfaces)]
mod sealed {
    use crate::cell::StateCell;

    /// Seals [`super::Window`].
    pub trait Window {
        /// A window holding nothing.
        const EMPTY: Self;
        /// The window's word, if there is one.
        fn cell(&self) -> Option<&StateCell<u128>>;
    }

    impl Window for super::NoWindow {
        const EMPTY: Self = super::NoWindow;

        #[inline(always)]
        fn cell(&self) -> Option<&StateCell<u128>> {
            None
        }
    }

    impl Window for super::RateWindow {
        #[allow(clippy::declare_interior_mutable_const)]
        const EMPTY: Self = super::RateWindow(StateCell::<u128>::new(super::window::EMPTY));

        #[inline(always)]
        fn cell(&self) -> Option<&StateCell<u128>> {
            Some(&self.0)
        }
    }
}

impl<C: AsRef<BreakerConfig>> Breaker<C> {
    /// A CLOSED breaker with no failures, and no failure-rate window (see
    /// [`Breaker::windowed`]).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::breaker::{Breaker, BreakerConfig, State};
    /// let owned = Breaker::new(BreakerConfig::DEFAULT);
    /// assert_eq!(owned.state(Instant::from_ticks(0)), State::Closed);
    /// ```
    pub const fn new(config: C) -> Self {
        Self::with_storage(config)
    }
}

impl<C: AsRef<BreakerConfig>> Breaker<C, RateWindow> {
    /// A CLOSED breaker with no failures and an empty failure-rate window:
    /// for a configuration with a failure rate.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, WindowedBreaker};
    /// static RATE: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    ///     failure_rate_per_mille: 500,
    ///     rate_window: 20,
    ///     minimum_calls: 10,
    ///     ..BreakerConfig::DEFAULT_SETTINGS
    /// }) {
    ///     Ok(config) => config,
    ///     Err(_) => panic!("invalid breaker configuration"),
    /// };
    /// static BREAKER: WindowedBreaker = Breaker::windowed(&RATE);
    /// assert!(BREAKER.acquire(Instant::from_ticks(0)).is_ok());
    /// ```
    pub const fn windowed(config: C) -> Self {
        Self::with_storage(config)
    }
}

impl<C: AsRef<BreakerConfig>, W: Window, K: Counting> Breaker<C, W, K> {
    /// A CLOSED breaker with no failures and the storage its type names:
    /// a failure-rate window or none (`W`), counters or none (`K`). What
    /// [`Breaker::new`] and [`Breaker::windowed`] build for their types.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::breaker::{Breaker, BreakerConfig, Counters, NoWindow};
    /// static COUNTED: Breaker<&BreakerConfig, NoWindow, Counters> =
    ///     Breaker::with_storage(&BreakerConfig::DEFAULT);
    /// assert!(COUNTED.acquire(Instant::from_ticks(0)).is_ok());
    /// ```
    pub const fn with_storage(config: C) -> Self {
        Self {
            config,
            word: StateCell::<u128>::new(0),
            window: <W as sealed::Window>::EMPTY,
            counters: <K as counters::sealed::Counting>::ZERO,
        }
    }
}

impl<C: AsRef<BreakerConfig>, W: Window> Breaker<C, W, Counters> {
    /// What the breaker decided since it was built ([`BreakerCounts`]):
    /// each counter exact, the set loaded one word after another.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::breaker::{Breaker, BreakerConfig, CountingBreaker, Outcome, State};
    /// let breaker: CountingBreaker<_> = Breaker::with_storage(BreakerConfig::new(
    ///     tickguard::breaker::BreakerSettings { failure_threshold: 1, ..BreakerConfig::DEFAULT_SETTINGS },
    /// ).unwrap());
    /// let permit = breaker.acquire(Instant::from_ticks(0)).unwrap().permit;
    /// let _ = breaker.record(permit, Outcome::Failure, Instant::from_ticks(1));
    /// let counts = breaker.counts();
    /// assert_eq!((counts.requests, counts.failures), (1, 1));
    /// assert_eq!(counts.transitions_to(State::Open), 1);
    /// ```
    #[must_use]
    pub fn counts(&self) -> BreakerCounts {
        self.counters.read()
    }
}

impl<C: AsRef<BreakerConfig>, W: Window, K: Counting> Breaker<C, W, K> {
    /// The configuration.
    ///
    /// ```
    /// # use tickguard::breaker::{Breaker, BreakerConfig};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// assert_eq!(breaker.config().settings().failure_threshold, 5);
    /// ```
    #[must_use]
    pub fn config(&self) -> &BreakerConfig {
        self.config.as_ref()
    }

    /// Asks to make a call at `now`. Admits with a [`Permit`] or refuses with
    /// the tick to retry at. A refusal does not write the state word.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// # use tickguard::breaker::{Breaker, BreakerConfig};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// let admitted = breaker.acquire(Instant::from_ticks(42)).expect("CLOSED admits");
    /// assert!(admitted.transition.is_none());
    /// ```
    #[inline]
    pub fn acquire(&self, now: Instant) -> Result<Admitted, Refused> {
        let decision = self.word.apply_quick(self.config(), Acquire { now });
        self.counters.acquired(&decision);
        decision
    }

    /// Reports the outcome of a call admitted with `permit`.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// # use tickguard::breaker::{Breaker, BreakerConfig, Outcome};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// let permit = breaker.acquire(Instant::from_ticks(0)).unwrap().permit;
    /// assert!(breaker.record(permit, Outcome::Success, Instant::from_ticks(3)).counted);
    /// ```
    #[inline]
    pub fn record(&self, permit: Permit, outcome: Outcome, now: Instant) -> Recorded {
        self.record_with_rule(permit, outcome, now, self.config().settings().trip_rule)
    }

    /// [`record`](Self::record), judging `rule` instead of the
    /// configuration's trip rule (`None`: no trip rule): for a rule the
    /// caller keeps apart from the configuration, as the C ABI does (a
    /// function pointer in memory a C program may overwrite is never
    /// called).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State, TripRule};
    /// extern "C" fn two_in_a_row(run: u32, _: u32, _: u32, _: usize) -> bool {
    ///     run >= 2
    /// }
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT); // 5 in a row
    /// let rule = Some(TripRule { decide: two_in_a_row, context: 0 });
    /// for now in 0..2 {
    ///     let permit = breaker.acquire(Instant::from_ticks(now)).unwrap().permit;
    ///     breaker.record_with_rule(permit, Outcome::Failure, Instant::from_ticks(now), rule);
    /// }
    /// assert_eq!(breaker.state(Instant::from_ticks(2)), State::Open);
    /// ```
    #[inline(always)]
    pub fn record_with_rule(
        &self,
        permit: Permit,
        outcome: Outcome,
        now: Instant,
        rule: Option<TripRule>,
    ) -> Recorded {
        let slow = self.config().is_slow(permit, now.ticks());
        let trips = self.count_in_window(permit, outcome, now, slow, rule);
        let recorded = self.word.apply_quick(
            self.config(),
            Record {
                permit,
                outcome,
                now,
                trips,
            },
        );
        self.counters.recorded(outcome, slow, &recorded);
        recorded
    }

    /// Counts a CLOSED outcome (`slow`: whether the call was slow) in the
    /// window, if there is one; which counting rules trip with it (the
    /// window's rates, the caller's trip rule). Without a window, a
    /// configuration with a failure rate trips on every failure, one with a
    /// slow-call rate on every slow call, and a trip rule sees no window.
    #[inline]
    fn count_in_window(
        &self,
        permit: Permit,
        outcome: Outcome,
        now: Instant,
        slow: bool,
        rule: Option<TripRule>,
    ) -> Trips {
        let config = self.config();
        let Some(cell) = self.window.cell() else {
            // The state word is loaded only for a rule to judge: a plain
            // breaker's report stays one load of the word.
            let judged = rule.is_some() && outcome == Outcome::Failure && permit.slot() == 0;
            let none = WindowCounts::default();
            return Trips {
                rate: outcome == Outcome::Failure && config.rate.failure_rate_on(),
                slow: slow && outcome != Outcome::Ignored && config.rate.slow_rate_on(),
                rule: judged && rule_trips(rule, self.word.load(), permit, outcome, none),
            };
        };
        let counts = config.rate.is_on() || rule.is_some();
        if !counts || permit.slot() != 0 || outcome == Outcome::Ignored {
            return Trips::NONE;
        }
        let count = CountAgainst {
            reported: Reported {
                permit,
                outcome,
                now: now.ticks(),
                slow,
            },
            state: &self.word,
            rule,
        };
        cell.apply_quick(&FailureWindow(config), count)
    }

    /// What the failure-rate window holds for the current generation: the
    /// last outcomes counted in CLOSED since the breaker last closed (or
    /// was reset). Empty without a window, and in any state but CLOSED.
    /// Reads only.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, WindowCounts};
    /// let config = BreakerConfig::new(BreakerSettings {
    ///     failure_rate_per_mille: 500,
    ///     rate_window: 10,
    ///     ..BreakerConfig::DEFAULT_SETTINGS
    /// })
    /// .unwrap();
    /// let breaker = Breaker::windowed(&config);
    /// let permit = breaker.acquire(Instant::from_ticks(0)).unwrap().permit;
    /// breaker.record(permit, Outcome::Failure, Instant::from_ticks(1));
    /// assert_eq!(breaker.window_counts(), WindowCounts { calls: 1, failures: 1, slow: 0 });
    /// ```
    #[must_use]
    pub fn window_counts(&self) -> WindowCounts {
        match self.window.cell() {
            Some(cell) => FailureWindow(self.config()).counts(self.word.load(), cell.load()),
            None => WindowCounts::default(),
        }
    }

    /// The state an [`acquire`](Self::acquire) at `now` would see (an OPEN
    /// breaker past its deadline reports HALF_OPEN). Reads only.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// # use tickguard::breaker::{Breaker, BreakerConfig, State};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// breaker.force_open();
    /// assert_eq!(breaker.state(Instant::from_ticks(0)), State::ForcedOpen);
    /// ```
    #[must_use]
    pub fn state(&self, now: Instant) -> State {
        word::observe(self.word.load(), now.ticks(), self.config())
    }

    /// The state an [`acquire`](Self::acquire) at `now` would see, and while
    /// OPEN why it opened and the tick from which it admits a trial. Reads
    /// only.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::breaker::{Breaker, BreakerConfig, Outcome, State, TripReason};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT); // 5 failures, open 60 000
    /// for now in 0..5 {
    ///     let permit = breaker.acquire(Instant::from_ticks(now)).unwrap().permit;
    ///     breaker.record(permit, Outcome::Failure, Instant::from_ticks(now));
    /// }
    /// let status = breaker.status(Instant::from_ticks(10));
    /// assert_eq!(status.state, State::Open);
    /// assert_eq!(status.tripped_by, Some(TripReason::ConsecutiveFailures));
    /// assert_eq!(status.trial_at, Some(Instant::from_ticks(60_004)));
    /// ```
    #[must_use]
    pub fn status(&self, now: Instant) -> BreakerStatus {
        word::status(self.word.load(), now.ticks(), self.config())
    }

    /// Refuses every call until [`reset`](Self::reset) (or
    /// [`open_for`](Self::open_for)).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// # use tickguard::breaker::{Breaker, BreakerConfig, State};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// let change = breaker.force_open().unwrap();
    /// assert_eq!((change.from, change.to), (State::Closed, State::ForcedOpen));
    /// assert_eq!(breaker.acquire(Instant::from_ticks(0)).unwrap_err().retry_at, None);
    /// ```
    pub fn force_open(&self) -> Option<Transition> {
        self.manual(Manual::To(State::ForcedOpen)).0
    }

    /// Admits every call and counts nothing until [`reset`](Self::reset).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// # use tickguard::breaker::{Breaker, BreakerConfig, Outcome};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// breaker.disable();
    /// let permit = breaker.acquire(Instant::from_ticks(0)).unwrap().permit;
    /// assert!(!breaker.record(permit, Outcome::Failure, Instant::from_ticks(1)).counted);
    /// ```
    pub fn disable(&self) -> Option<Transition> {
        self.manual(Manual::To(State::Disabled)).0
    }

    /// Returns to CLOSED with no failures counted, from any state. With a
    /// failure-rate window, a reset in CLOSED starts a new generation, so
    /// that the window is empty and outcomes of calls admitted before it
    /// are not counted.
    ///
    /// ```
    /// # use tickguard::breaker::{Breaker, BreakerConfig, State};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// breaker.force_open();
    /// assert_eq!(breaker.reset().unwrap().to, State::Closed);
    /// ```
    pub fn reset(&self) -> Option<Transition> {
        self.manual(Manual::To(State::Closed)).0
    }

    /// Opens the breaker for `ticks` (at most [`MAX_DURATION`]) from `now`, or
    /// from the latest tick it has noted if that is later (from CLOSED, up
    /// to `open / 2^16` later), whatever its state (to honour a
    /// server's Retry-After). The new period replaces the current one, even
    /// a longer one. Afterwards it goes HALF_OPEN like any open period.
    /// Returns the transition, if the breaker was not already OPEN, and the
    /// exact deadline.
    ///
    /// ```
    /// # use tickguard::time::{Instant, Duration};
    /// # use tickguard::breaker::{Breaker, BreakerConfig, State};
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// let (change, until) = breaker.open_for(Duration::from_ticks(30), Instant::from_ticks(100)).unwrap();
    /// assert_eq!((change.unwrap().to, until), (State::Open, Instant::from_ticks(130)));
    /// assert_eq!(breaker.acquire(Instant::from_ticks(129)).unwrap_err().retry_at, Some(Instant::from_ticks(130)));
    /// ```
    pub fn open_for(
        &self,
        duration: Duration,
        now: Instant,
    ) -> Result<(Option<Transition>, Instant), DurationTooLong> {
        let (change, until) = self.manual(OpenFor { duration, now }.command()?);
        Ok((change, Instant::from_ticks(until)))
    }

    /// Runs a manual command. They are rare, so one out-of-line copy of the
    /// driver's loop serves all four.
    #[inline(never)]
    fn manual(&self, command: Manual) -> (Option<Transition>, Tick) {
        let windowed = self.window.cell().is_some();
        let decision = self
            .word
            .apply(self.config(), ManualOn { command, windowed });
        self.counters.commanded(decision.0);
        decision
    }

    /// The state as a snapshot taken at `now` ([`crate::snapshot`]), to
    /// [`restore`](crate::snapshot::Snapshot::restore) after a reboot.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::breaker::{Breaker, BreakerConfig};
    /// use tickguard::snapshot::Snapshot;
    /// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
    /// let saved = breaker.snapshot(Instant::from_ticks(10));
    /// assert_eq!(breaker.restore(&saved, Instant::from_ticks(0)), Ok(()));
    /// ```
    #[must_use]
    pub fn snapshot(&self, now: Instant) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, now)
    }

    /// The state word, for tests.
    #[cfg(test)]
    pub(crate) fn raw_word(&self) -> u128 {
        self.word.load()
    }

    /// The failure-rate window's word, for tests.
    #[cfg(test)]
    pub(crate) fn raw_window(&self) -> u128 {
        self.window.cell().map_or(0, StateCell::load)
    }
}

/// Bytes of a breaker's snapshot ([`Breaker::snapshot`]).
pub const SNAPSHOT_LEN: usize = <BreakerConfig as crate::snapshot::Format>::LEN;

/// Saves and restores the breaker's state ([`crate::snapshot`]). The
/// failure-rate window's outcomes are not saved: a restored breaker's
/// window starts empty (its state, its open period and its generation are
/// restored).
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, State};
/// use tickguard::snapshot::Snapshot;
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// breaker.force_open();
/// let saved = breaker.snapshot(Instant::from_ticks(5));
/// let rebooted = Breaker::new(&BreakerConfig::DEFAULT);
/// rebooted.restore(&saved, Instant::from_ticks(0)).unwrap();
/// assert_eq!(rebooted.state(Instant::from_ticks(0)), State::ForcedOpen);
/// ```
impl<C: AsRef<BreakerConfig>, W: Window, K: Counting> crate::snapshot::Snapshot
    for Breaker<C, W, K>
{
    const SNAPSHOT_LEN: usize = SNAPSHOT_LEN;

    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, crate::snapshot::SnapshotError> {
        crate::snapshot::save(self.config(), self.word.load(), now, out)
    }

    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), crate::snapshot::SnapshotError> {
        let restored = crate::snapshot::restore_cell(self.config(), &self.word, bytes, now);
        if let Some(cell) = self.window.cell() {
            cell.store(window::EMPTY);
        }
        restored
    }
}

impl Machine for BreakerConfig {
    type Word = u128;

    /// CLOSED, no failures, generation 0.
    fn fresh(&self) -> u128 {
        0
    }

    /// CLOSED with no failures, once its latest tick noted is past: the
    /// fresh word decides the same, but for a report of a permit from
    /// before (a stale generation that the fresh generation 0 may take
    /// for its own) and for the latest tick noted, which a lagging `now`
    /// could then open earlier from. `None` for every other state, and
    /// for a breaker whose failure-rate window or trip rule counts in a
    /// word beside this one.
    fn settles_at(&self, word: u128) -> Option<Instant> {
        if self.counts_beside_its_word() {
            return None;
        }
        word::settles_at(word).map(Instant::from_ticks)
    }
}

/// [`Breaker::acquire`] as a machine input ([`crate::machine`]).
///
/// ```
/// # use tickguard::time::Instant;
/// use core::cell::Cell;
/// use tickguard::breaker::{Acquire, BreakerConfig};
/// use tickguard::machine::{run, Machine};
/// let config = BreakerConfig::DEFAULT;
/// let mut word = Cell::new(config.fresh());
/// assert!(run(&config, Acquire { now: Instant::from_ticks(0) }, &mut word).unwrap().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acquire {
    /// The caller's tick.
    pub now: Instant,
}

impl Input<BreakerConfig> for Acquire {
    type Decision = Result<Admitted, Refused>;

    #[inline]
    fn quick(&self, _: &BreakerConfig, word: u128) -> Option<Self::Decision> {
        word::acquire_quick(word, self.now.ticks())
    }

    fn step(&self, config: &BreakerConfig, w: u128) -> Step<u128, Self::Decision> {
        let (next, decision) = word::acquire(w, self.now.ticks(), config);
        Step::unless_same(w, next, decision)
    }
}

/// [`Breaker::record`] as a machine input ([`crate::machine`]).
///
/// ```
/// # use tickguard::time::Instant;
/// use core::cell::Cell;
/// use tickguard::breaker::{Acquire, BreakerConfig, Outcome, Record, Trips};
/// use tickguard::machine::{run, Machine};
/// let config = BreakerConfig::DEFAULT;
/// let mut word = Cell::new(config.fresh());
/// let permit = run(&config, Acquire { now: Instant::from_ticks(0) }, &mut word).unwrap().unwrap().permit;
/// let outcome = Outcome::Failure;
/// let record = Record { permit, outcome, now: Instant::from_ticks(1), trips: Trips::NONE };
/// assert!(run(&config, record, &mut word).unwrap().counted);
/// ```
///
/// With a failure-rate window or a trip rule, the outcome is counted in the
/// window's own word first ([`FailureWindow`], [`Count`]), and its
/// decision goes in `trips`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// The permit the call was admitted with.
    pub permit: Permit,
    /// How the call went.
    pub outcome: Outcome,
    /// The tick the call finished at.
    pub now: Instant,
    /// Which counting rules trip with this outcome (the decision of
    /// [`Count`] on the [`FailureWindow`]); [`Trips::NONE`] without a
    /// window or a trip rule. A CLOSED breaker in the permit's generation
    /// then opens.
    pub trips: Trips,
}

/// Which counting rules an outcome trips: the window's failure rate and
/// slow-call rate, and the caller's [`TripRule`] (the decision of
/// [`Count`], for [`Record::trips`]).
///
/// ```
/// use tickguard::breaker::Trips;
/// assert!(!Trips::NONE.any());
/// assert!(Trips { rule: true, ..Trips::NONE }.any());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Trips {
    /// The failure rate over the window reached its threshold.
    pub rate: bool,
    /// The slow-call rate over the window reached its threshold.
    pub slow: bool,
    /// The caller's trip rule said so.
    pub rule: bool,
}

impl Trips {
    /// No rule trips.
    pub const NONE: Self = Self {
        rate: false,
        slow: false,
        rule: false,
    };

    /// Whether any rule trips.
    #[must_use]
    pub const fn any(self) -> bool {
        self.rate || self.slow || self.rule
    }

    /// Why the first rule that trips opens the breaker (the failure rate,
    /// then the slow-call rate, then the caller's rule).
    pub(super) const fn reason(self) -> TripReason {
        if self.rate {
            TripReason::FailureRate
        } else if self.slow {
            TripReason::SlowCallRate
        } else {
            TripReason::CustomRule
        }
    }
}

impl Input<BreakerConfig> for Record {
    type Decision = Recorded;

    #[inline]
    fn quick(&self, _: &BreakerConfig, word: u128) -> Option<Recorded> {
        if self.trips.any() {
            return None;
        }
        word::record_quick(word, self.permit, self.outcome, self.now.ticks())
    }

    fn step(&self, config: &BreakerConfig, w: u128) -> Step<u128, Recorded> {
        let (next, decision) = word::record(
            w,
            self.permit,
            self.outcome,
            self.now.ticks(),
            self.trips,
            config,
        );
        Step::unless_same(w, next, decision)
    }
}

/// Whether the caller's trip rule opens the breaker with `outcome`: only a
/// failure of a CLOSED permit while `state` is CLOSED in its generation,
/// over the run of failures in `state` with this one and the window's
/// `counts` with it.
fn rule_trips(
    rule: Option<TripRule>,
    state: u128,
    permit: Permit,
    outcome: Outcome,
    counts: WindowCounts,
) -> bool {
    let Some(rule) = rule else {
        return false;
    };
    if outcome != Outcome::Failure || permit.slot() != 0 {
        return false;
    }
    match word::closed_failures_in(state, permit.generation()) {
        Some(run) => rule.trips(run.saturating_add(1), counts.calls, counts.failures),
        None => false,
    }
}

/// The failure-rate window of a breaker configured with one, as a machine
/// of its own ([`crate::machine`]): the last `rate_window` CLOSED outcomes
/// in a second 128-bit word, tagged with the breaker generation they count
/// for. The breaker's transitions never write it: an outcome of a newer
/// generation finds the window tagged older and starts it afresh, and one
/// of an older generation is dropped, so no outcome of a generation ever
/// counts in another. [`Breaker::record`] runs it before [`Record`]; a
/// caller holding both words runs the same two steps.
///
/// ```
/// # use tickguard::time::Instant;
/// use core::cell::Cell;
/// use tickguard::breaker::{Acquire, BreakerConfig, BreakerSettings, Count, FailureWindow, Outcome, Record};
/// use tickguard::machine::{run, Machine};
/// let config = BreakerConfig::new(BreakerSettings {
///     failure_threshold: 0, // the rate alone opens it
///     failure_rate_per_mille: 500,
///     rate_window: 4,
///     minimum_calls: 2,
///     ..BreakerConfig::DEFAULT_SETTINGS
/// })
/// .unwrap();
/// let window = FailureWindow(&config);
/// let (mut state, mut counted) = (Cell::new(config.fresh()), Cell::new(window.fresh()));
/// let mut opened = false;
/// for (now, outcome) in [(1, Outcome::Failure), (2, Outcome::Success)] {
///     let at = Instant::from_ticks(now);
///     let permit = run(&config, Acquire { now: at }, &mut state).unwrap().unwrap().permit;
///     let count = Count { permit, outcome, now: at, state: state.get() };
///     let trips = run(&window, count, &mut counted).unwrap();
///     let record = Record { permit, outcome, now: at, trips };
///     opened = run(&config, record, &mut state).unwrap().transition.is_some();
/// }
/// assert!(opened); // 1 failure in 2 calls: 50 %
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FailureWindow<'a>(pub &'a BreakerConfig);

impl FailureWindow<'_> {
    /// What the window word `window` holds for the breaker whose state word
    /// is `state` ([`Breaker::window_counts`] over held words): the
    /// outcomes of its generation while it is CLOSED, else none.
    ///
    /// ```
    /// use tickguard::breaker::{BreakerConfig, FailureWindow, WindowCounts};
    /// use tickguard::machine::Machine;
    /// let config = BreakerConfig::DEFAULT;
    /// let window = FailureWindow(&config);
    /// assert_eq!(window.counts(config.fresh(), window.fresh()), WindowCounts::default());
    /// ```
    #[must_use]
    pub fn counts(&self, state: u128, window: u128) -> WindowCounts {
        let rule = &self.0.rate;
        match word::closed_generation(state) {
            Some(generation) if rule.is_on() => {
                let clock = word::window_clock(state, self.0);
                window::counts(window, generation, rule, self.0.bucket_number(clock))
            }
            _ => WindowCounts::default(),
        }
    }
}

impl Machine for FailureWindow<'_> {
    type Word = u128;

    /// An empty window.
    fn fresh(&self) -> u128 {
        window::EMPTY
    }
}

/// An outcome counted in a [`FailureWindow`]: its decision is which
/// counting rules trip with it (for [`Record::trips`]): the window's rate,
/// and the configuration's [`TripRule`] over the run of failures in
/// `state` and the window's counts. It counts only while `state`, the
/// breaker's state word, is CLOSED in the permit's generation; successes
/// and failures count, IGNORED and half-open trials count in none, and a
/// configuration without a window counts nothing (its trip rule sees an
/// empty window).
///
/// `state` must be loaded **after** the window word the step is given, and
/// loaded again whenever the step runs again on a newer window word (a
/// failed compare-and-set): that order is what proves that no outcome of
/// an old generation is counted in a newer one. [`Breaker::record`] does
/// exactly this; a caller holding both words in one thread, as in the
/// example of [`FailureWindow`], has nothing to race.
///
/// ```
/// use tickguard::breaker::{BreakerConfig, Count, FailureWindow, Outcome, Permit, Trips};
/// use tickguard::machine::{Input, Machine, Step};
/// let config = BreakerConfig::DEFAULT; // no window, no trip rule
/// let window = FailureWindow(&config);
/// # use tickguard::time::Instant;
/// let permit = Permit::from_parts(1 << 31, Instant::from_ticks(0)).unwrap();
/// let now = Instant::from_ticks(1);
/// let count = Count { permit, outcome: Outcome::Failure, now, state: config.fresh() };
/// assert_eq!(count.step(&window, window.fresh()), Step::Keep(Trips::NONE));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// The permit the call was admitted with.
    pub permit: Permit,
    /// How the call went.
    pub outcome: Outcome,
    /// The tick the call finished at (to tell a slow call, and a time
    /// window's bucket: the later of this and the state's latest tick).
    pub now: Instant,
    /// The breaker's state word, loaded after the window word.
    pub state: u128,
}

impl Input<FailureWindow<'_>> for Count {
    type Decision = Trips;

    #[inline]
    fn quick(&self, window: &FailureWindow<'_>, word: u128) -> Option<Trips> {
        let rule = window.0.settings().trip_rule;
        count_quick(window, rule, word, self.reported(window))
    }

    #[inline]
    fn step(&self, window: &FailureWindow<'_>, word: u128) -> Step<u128, Trips> {
        let rule = window.0.settings().trip_rule;
        count_step(window, rule, word, self.state, self.reported(window))
    }
}

impl Count {
    /// The outcome as the window counts it.
    fn reported(&self, window: &FailureWindow<'_>) -> Reported {
        let now = self.now.ticks();
        Reported {
            permit: self.permit,
            outcome: self.outcome,
            now,
            slow: window.0.is_slow(self.permit, now),
        }
    }
}

/// An outcome as a window counts it: the permit, how the call went, the
/// tick it was reported at, and whether it was slow.
#[derive(Clone, Copy)]
struct Reported {
    permit: Permit,
    outcome: Outcome,
    now: Tick,
    slow: bool,
}

/// The step of [`Count`] with the trip rule `rule`.
#[inline]
fn count_step(
    window: &FailureWindow<'_>,
    rule: Option<TripRule>,
    word: u128,
    state: u128,
    reported: Reported,
) -> Step<u128, Trips> {
    let Reported {
        permit,
        outcome,
        now,
        slow,
    } = reported;
    let rate = &window.0.rate;
    let (next, rate_trips, counts) = if rate.is_on() {
        let live = word::is_closed_in(state, permit.generation());
        // A time window's bucket (a count window has none).
        let at = if rate.is_timed() {
            window
                .0
                .bucket_number(word::window_clock(state, window.0).max(now))
        } else {
            0
        };
        window::count(word, live, permit, outcome, slow, rate, at)
    } else {
        (word, window::RateTrips::default(), WindowCounts::default())
    };
    let trips = Trips {
        rate: rate_trips.failures,
        slow: rate_trips.slow,
        rule: rule_trips(rule, state, permit, outcome, counts),
    };
    Step::unless_same(word, next, trips)
}

/// The quick check of [`Count`] with the trip rule `rule`, decided from
/// the window word alone (no window and no trip rule, an IGNORED outcome,
/// or a success in a clean full window: the steady state); `None` leaves
/// the rest to the step.
#[inline]
fn count_quick(
    window: &FailureWindow<'_>,
    rule: Option<TripRule>,
    word: u128,
    reported: Reported,
) -> Option<Trips> {
    let Reported {
        permit,
        outcome,
        slow,
        ..
    } = reported;
    let rate = &window.0.rate;
    let nothing = if rate.is_on() {
        window::changes_nothing(word, permit, outcome, slow, rate)
    } else {
        rule.is_none() || outcome != Outcome::Failure
    };
    nothing.then_some(Trips::NONE)
}

/// [`Count`] against the breaker's own state word, loaded at each step:
/// the driver loads the window word before every step (and a failed
/// compare-and-swap returns the newer one), so the state is always loaded
/// after it.
#[derive(Clone, Copy)]
struct CountAgainst<'a> {
    reported: Reported,
    state: &'a StateCell<u128>,
    /// The trip rule to judge (the configuration's, or the caller's).
    rule: Option<TripRule>,
}

impl Input<FailureWindow<'_>> for CountAgainst<'_> {
    type Decision = Trips;

    /// The state word is loaded only by the step.
    #[inline]
    fn quick(&self, window: &FailureWindow<'_>, word: u128) -> Option<Trips> {
        count_quick(window, self.rule, word, self.reported)
    }

    #[inline]
    fn step(&self, window: &FailureWindow<'_>, word: u128) -> Step<u128, Trips> {
        count_step(window, self.rule, word, self.state.load(), self.reported)
    }
}

/// [`Breaker::state`] as a machine input ([`crate::machine`]): reads only.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{BreakerConfig, Observe, State};
/// use tickguard::machine::{Input, Machine};
/// let config = BreakerConfig::DEFAULT;
/// assert_eq!(*Observe { now: Instant::from_ticks(0) }.step(&config, config.fresh()).decision(), State::Closed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observe {
    /// The caller's tick.
    pub now: Instant,
}

impl Input<BreakerConfig> for Observe {
    type Decision = State;

    #[inline]
    fn quick(&self, config: &BreakerConfig, word: u128) -> Option<State> {
        Some(word::observe(word, self.now.ticks(), config))
    }

    fn step(&self, config: &BreakerConfig, word: u128) -> Step<u128, State> {
        Step::Keep(word::observe(word, self.now.ticks(), config))
    }
}

/// [`Breaker::status`] as a machine input ([`crate::machine`]): reads only.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{BreakerConfig, Inspect, State};
/// use tickguard::machine::{Input, Machine};
/// let config = BreakerConfig::DEFAULT;
/// let status = *Inspect { now: Instant::from_ticks(0) }.step(&config, config.fresh()).decision();
/// assert_eq!((status.state, status.tripped_by, status.trial_at), (State::Closed, None, None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inspect {
    /// The caller's tick.
    pub now: Instant,
}

impl Input<BreakerConfig> for Inspect {
    type Decision = BreakerStatus;

    #[inline]
    fn quick(&self, config: &BreakerConfig, word: u128) -> Option<BreakerStatus> {
        Some(word::status(word, self.now.ticks(), config))
    }

    fn step(&self, config: &BreakerConfig, word: u128) -> Step<u128, BreakerStatus> {
        Step::Keep(word::status(word, self.now.ticks(), config))
    }
}

/// Declares a manual command without arguments as a machine input.
macro_rules! manual_command {
    ($(#[$doc:meta])* $name:ident => $target:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name;

        impl Input<BreakerConfig> for $name {
            type Decision = Option<Transition>;

            fn step(&self, config: &BreakerConfig, w: u128) -> Step<u128, Option<Transition>> {
                Manual::To($target).step(config, w).map(|(change, _)| change)
            }
        }
    };
}

manual_command! {
    /// [`Breaker::force_open`] as a machine input ([`crate::machine`]).
    ///
    /// ```
    /// use tickguard::breaker::{BreakerConfig, ForceOpen, State};
    /// use tickguard::machine::{Input, Machine};
    /// let config = BreakerConfig::DEFAULT;
    /// let change = *ForceOpen.step(&config, config.fresh()).decision();
    /// assert_eq!(change.unwrap().to, State::ForcedOpen);
    /// ```
    ForceOpen => State::ForcedOpen
}

manual_command! {
    /// [`Breaker::disable`] as a machine input ([`crate::machine`]).
    ///
    /// ```
    /// use tickguard::breaker::{BreakerConfig, Disable, State};
    /// use tickguard::machine::{Input, Machine};
    /// let config = BreakerConfig::DEFAULT;
    /// let change = *Disable.step(&config, config.fresh()).decision();
    /// assert_eq!(change.unwrap().to, State::Disabled);
    /// ```
    Disable => State::Disabled
}

manual_command! {
    /// [`Breaker::reset`] as a machine input ([`crate::machine`]).
    ///
    /// ```
    /// use tickguard::breaker::{BreakerConfig, Reset};
    /// use tickguard::machine::{Input, Machine, Step};
    /// let config = BreakerConfig::DEFAULT;
    /// assert_eq!(Reset.step(&config, config.fresh()), Step::Keep(None));
    /// ```
    Reset => State::Closed
}

/// The manual commands as one input, for [`Breaker`]'s one copy of the
/// driver loop ([`ForceOpen`], [`Disable`], [`Reset`] and [`OpenFor`], its
/// duration checked, for callers of [`crate::machine::run`]). The decision
/// is the transition and, for `OpenFor`, the deadline.
impl Input<BreakerConfig> for Manual {
    type Decision = (Option<Transition>, Tick);

    fn step(&self, config: &BreakerConfig, w: u128) -> Step<u128, Self::Decision> {
        // A held word may have a window beside it: a reset in CLOSED
        // starts a new generation whenever a rate is configured.
        ManualOn {
            command: *self,
            windowed: true,
        }
        .step(config, w)
    }
}

/// A manual command on a breaker that has (or has not) a failure-rate
/// window: without one, a reset in CLOSED has no window to clear.
#[derive(Clone, Copy, Debug)]
struct ManualOn {
    command: Manual,
    windowed: bool,
}

impl Input<BreakerConfig> for ManualOn {
    type Decision = (Option<Transition>, Tick);

    fn step(&self, config: &BreakerConfig, w: u128) -> Step<u128, Self::Decision> {
        let fresh = self.windowed && config.rate.is_on();
        let (next, decision) = word::manual(w, self.command, fresh, config);
        Step::unless_same(w, next, decision)
    }
}

/// [`Breaker::open_for`] as a machine input ([`crate::machine`]).
///
/// ```
/// # use tickguard::time::Duration;
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{BreakerConfig, OpenFor};
/// use tickguard::machine::{Input, Machine};
/// let config = BreakerConfig::DEFAULT;
/// let opened = *OpenFor { duration: Duration::from_ticks(30), now: Instant::from_ticks(100) }.step(&config, config.fresh()).decision();
/// assert_eq!(opened.unwrap().1, Instant::from_ticks(130));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFor {
    /// How long to stay open (at most [`MAX_DURATION`] ticks).
    pub duration: Duration,
    /// The caller's tick.
    pub now: Instant,
}

impl Input<BreakerConfig> for OpenFor {
    type Decision = Result<(Option<Transition>, Instant), DurationTooLong>;

    fn step(&self, config: &BreakerConfig, w: u128) -> Step<u128, Self::Decision> {
        match self.command() {
            Ok(command) => command
                .step(config, w)
                .map(|(change, until)| Ok((change, Instant::from_ticks(until)))),
            Err(too_long) => Step::Keep(Err(too_long)),
        }
    }
}

impl OpenFor {
    /// The manual command, once the duration is checked.
    fn command(self) -> Result<Manual, DurationTooLong> {
        if self.duration.ticks() > MAX_DURATION {
            return Err(DurationTooLong);
        }
        Ok(Manual::OpenFor {
            ticks: self.duration.ticks(),
            now: self.now.ticks(),
        })
    }
}

#[cfg(test)]
mod tests;
