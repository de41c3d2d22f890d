//! `tg_breaker_*`: the circuit breaker.

use tickguard::breaker::{
    Admitted, Breaker, BreakerConfig, BreakerSettings, CountingBreaker, Outcome, Permit, Recorded,
    Refused, State, Transition, TripReason, TripRule,
};
use tickguard::time::{Duration, Instant};

use crate::object::{
    self, get, put, put_required, read, required, status, tg_init_flags_t, TG_INIT_DEFAULT,
};
use crate::status::*;

/// A breaker state: one of the `TG_STATE_*` values.
pub type tg_state_t = u32;
/// CLOSED: calls flow, consecutive failures are counted.
pub const TG_STATE_CLOSED: tg_state_t = 0;
/// OPEN: calls are refused until the open period ends.
pub const TG_STATE_OPEN: tg_state_t = 1;
/// HALF_OPEN: a bounded number of trial calls decide.
pub const TG_STATE_HALF_OPEN: tg_state_t = 2;
/// FORCED_OPEN: manually opened; refuses until reset.
pub const TG_STATE_FORCED_OPEN: tg_state_t = 3;
/// DISABLED: manually disabled; admits everything, counts nothing.
pub const TG_STATE_DISABLED: tg_state_t = 4;

/// Why a breaker opened: one of the `TG_TRIP_*` values.
pub type tg_trip_reason_t = u32;
/// No reason known: the breaker is not OPEN (or was restored from a
/// snapshot taken before reasons were kept).
pub const TG_TRIP_NONE: tg_trip_reason_t = 0;
/// `failure_threshold` failures in a row in CLOSED.
pub const TG_TRIP_CONSECUTIVE_FAILURES: tg_trip_reason_t = 1;
/// The failure-rate window's rule (without a window, a failure under a
/// configured rate).
pub const TG_TRIP_FAILURE_RATE: tg_trip_reason_t = 2;
/// A half-open trial failed.
pub const TG_TRIP_TRIAL_FAILED: tg_trip_reason_t = 3;
/// The half-open trials were undecided at their timeout.
pub const TG_TRIP_TRIAL_TIMED_OUT: tg_trip_reason_t = 4;
/// `tg_breaker_open_for`.
pub const TG_TRIP_MANUAL: tg_trip_reason_t = 5;
/// The configuration's `trip_rule`.
pub const TG_TRIP_CUSTOM_RULE: tg_trip_reason_t = 6;
/// The window's slow-call rate reached `slow_call_rate_per_mille` (without
/// a window: a slow call under a slow-call rate).
pub const TG_TRIP_SLOW_CALL_RATE: tg_trip_reason_t = 7;

/// A caller's trip rule (`tg_breaker_record_rule`): whether a failure
/// counted in CLOSED opens the breaker, given the run of failures in a row
/// (this one included), what the failure-rate window holds with it
/// (`calls`, `failures`; 0 and 0 without a window) and the caller's
/// `context`. It runs inside the breaker's update (on targets without a
/// compare-and-swap, with interrupts masked), perhaps more than once under
/// contention: keep it short and pure, and do not call the breaker from
/// it. NULL: no rule.
pub type tg_trip_rule_fn = Option<
    extern "C" fn(consecutive_failures: u32, calls: u32, failures: u32, context: usize) -> bool,
>;

/// The outcome of a guarded call: one of the `TG_OUTCOME_*` values.
pub type tg_outcome_t = u32;
/// The call succeeded.
pub const TG_OUTCOME_SUCCESS: tg_outcome_t = 0;
/// The call failed and counts against the backend.
pub const TG_OUTCOME_FAILURE: tg_outcome_t = 1;
/// Neither: hands a half-open permit back without counting.
pub const TG_OUTCOME_IGNORED: tg_outcome_t = 2;

/// A permit from `tg_breaker_acquire`, handed back to `tg_breaker_record`
/// as it is (copy it freely; do not build one).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct tg_permit_t {
    /// The tick the call was admitted at (the `now` of its acquire), which
    /// a report compares with `slow_call_ticks`.
    pub acquired_at: u64,
    /// The breaker's generation and, for a half-open trial, its slot; never
    /// 0 in a permit `tg_breaker_acquire` admitted with.
    pub token: u32,
}

/// The most half-open trial permits a breaker admits (`half_open_permits`).
pub const TG_BREAKER_MAX_HALF_OPEN_PERMITS: u32 = 16;
/// The largest `open_multiplier_milli` (a period may grow ×1000 per
/// reopening).
pub const TG_BREAKER_MAX_OPEN_MULTIPLIER_MILLI: u32 = 1_000_000;

/// The most outcomes a breaker's failure-rate window holds (`rate_window`).
pub const TG_BREAKER_MAX_RATE_WINDOW: u32 = 64;

/// The most outcomes the window holds with a slow-call rate (`rate_window`
/// with `slow_call_rate_per_mille`).
pub const TG_BREAKER_MAX_SLOW_RATE_WINDOW: u32 = 52;

/// Default settings: 5 failures, 60000-tick open period, 3 half-open
/// permits, 2 successes to close, 60000-tick half-open timeout.
pub const TG_BREAKER_DEFAULT_FAILURE_THRESHOLD: u32 = 5;
/// Default open period in ticks (60 s at 1 kHz).
pub const TG_BREAKER_DEFAULT_OPEN_TICKS: u64 = 60_000;
/// Default half-open permits.
pub const TG_BREAKER_DEFAULT_HALF_OPEN_PERMITS: u32 = 3;
/// Default successes to close.
pub const TG_BREAKER_DEFAULT_SUCCESS_THRESHOLD: u32 = 2;
/// Default half-open timeout in ticks.
pub const TG_BREAKER_DEFAULT_HALF_OPEN_TIMEOUT_TICKS: u64 = 60_000;

/// Breaker configuration. Can be `const` (in flash); it is validated and
/// copied by `tg_breaker_init`. `tg_breaker_config_default` (or the
/// `TG_BREAKER_DEFAULT_*` values) gives the default breaker. A 0 in one of
/// the first five fields (one left out of a designated initializer) is
/// refused with the field's own status; in the failure-rate fields and
/// `closed_interval_ticks` a 0 means off, so code written before them keeps
/// working.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_breaker_config_t {
    /// Consecutive failures in CLOSED that open the breaker (1 .. 2^32-1).
    pub failure_threshold: u32,
    /// How long OPEN lasts, in ticks (1 .. 2^62).
    pub open_ticks: u64,
    /// Trial calls admitted in HALF_OPEN (1 ..
    /// `TG_BREAKER_MAX_HALF_OPEN_PERMITS`, 16).
    pub half_open_permits: u32,
    /// Successful trials that close the breaker (1 .. half_open_permits).
    pub success_threshold: u32,
    /// Undecided trials reopen the breaker this many ticks after HALF_OPEN
    /// began (1 .. 2^62).
    pub half_open_timeout_ticks: u64,
    /// The failure rate, in thousandths, at or above which the last
    /// `rate_window` outcomes in CLOSED open the breaker (1 .. 1000, compared
    /// inclusively; 0: off).
    pub failure_rate_per_mille: u32,
    /// The outcomes the failure rate and the slow-call rate are measured
    /// over (1 .. `TG_BREAKER_MAX_RATE_WINDOW`, 64, with a failure rate;
    /// 1 .. `TG_BREAKER_MAX_SLOW_RATE_WINDOW`, 52, with a slow-call rate;
    /// 0 without either).
    pub rate_window: u32,
    /// Outcomes the window must hold before its rate can open the breaker
    /// (1 .. rate_window, 0: the whole window; with `rate_duration_ticks`
    /// 1 .. 127, 0: one).
    pub minimum_calls: u32,
    /// How long CLOSED counts before it clears its counts (the failure run
    /// and the window) and starts afresh, as gobreaker's `Interval` (1 ..
    /// 2^62 ticks; 0: never). An interval starts when the breaker closes,
    /// the next with the first call at or after its end (late by less than
    /// `closed_interval_ticks / 2048`, never early); outcomes of calls
    /// admitted before a clearing are not counted after it.
    pub closed_interval_ticks: u64,
    /// How much each reopening lengthens the open period, in thousandths
    /// (1000 .. `TG_BREAKER_MAX_OPEN_MULTIPLIER_MILLI`; 0 or 1000: never):
    /// `min(max_open_ticks, open_ticks × (multiplier / 1000)^reopenings)`,
    /// reopenings counting failed or timed-out trial periods since the
    /// breaker last closed (at most 15).
    pub open_multiplier_milli: u32,
    /// Spreads each open period (not `tg_breaker_open_for`'s) over
    /// `±open_jitter_per_mille` thousandths of itself (0 .. 1000; 0: none).
    pub open_jitter_per_mille: u32,
    /// The longest open period, growth and jitter included (open_ticks ..
    /// 2^62; 0: 2^62).
    pub max_open_ticks: u64,
    /// Entropy for the jitter: give each device or process its own (a
    /// serial number, a random value at boot); not part of a snapshot's
    /// configuration check.
    pub jitter_seed: u64,
    /// 1: the caller judges a trip rule of its own on each report
    /// (`tg_breaker_record_rule`, gobreaker's `ReadyToTrip`), so
    /// `failure_threshold` may be 0 without a failure rate; 0: no rule
    /// needed. The rule is passed with each call, never kept in the object:
    /// a function pointer in memory a program may overwrite is never
    /// called.
    pub external_trip_rule: u32,
    /// Decides a trial period by its failure rate, in thousandths (1 ..
    /// 1000; 0: off, the first failed trial reopens): once all
    /// `half_open_permits` trials are reported, failures / permits at or
    /// above it reopens the breaker, else it closes (Resilience4j's
    /// half-open rule; `success_threshold` is then unused).
    pub half_open_failure_rate_per_mille: u32,
    /// A call reported more than this many ticks after its admission
    /// (`tg_permit_t.acquired_at`) is slow (1 .. 2^62; 0: none is): counted
    /// in `tg_breaker_counts_t.slow`; a slow success is still a success.
    pub slow_call_ticks: u64,
    /// The share of slow calls, in thousandths, at or above which the last
    /// `rate_window` outcomes in CLOSED open the breaker (1 .. 1000,
    /// inclusive, once `minimum_calls` are in; 0: off; needs
    /// `slow_call_ticks`). With it, a slow trial fails its trial period.
    pub slow_call_rate_per_mille: u32,
    /// Measures the rates over the outcomes of the last this many ticks
    /// instead of the last `rate_window` outcomes (1 .. 2^62, with a rate
    /// and `rate_window` 0; 0: a count window): 4 buckets of a quarter of
    /// it each, rolling as the breaker's clock moves; each bucket counts
    /// 127 outcomes exactly and halves past that, keeping its proportions.
    pub rate_duration_ticks: u64,
}

/// Stands for the caller's rule in the configuration kept in the object
/// (never called: every report passes the rule to judge).
extern "C" fn judged_per_call(_: u32, _: u32, _: u32, _: usize) -> bool {
    false
}

impl From<tg_breaker_config_t> for BreakerSettings {
    fn from(c: tg_breaker_config_t) -> Self {
        Self {
            failure_threshold: c.failure_threshold,
            open: Duration::from_ticks(c.open_ticks),
            half_open_permits: c.half_open_permits,
            success_threshold: c.success_threshold,
            half_open_timeout: Duration::from_ticks(c.half_open_timeout_ticks),
            failure_rate_per_mille: c.failure_rate_per_mille,
            rate_window: c.rate_window,
            minimum_calls: c.minimum_calls,
            closed_interval: Duration::from_ticks(c.closed_interval_ticks),
            open_multiplier_milli: c.open_multiplier_milli,
            max_open: Duration::from_ticks(c.max_open_ticks),
            open_jitter_per_mille: c.open_jitter_per_mille,
            jitter_seed: c.jitter_seed,
            half_open_failure_rate_per_mille: c.half_open_failure_rate_per_mille,
            slow_call: Duration::from_ticks(c.slow_call_ticks),
            slow_call_rate_per_mille: c.slow_call_rate_per_mille,
            rate_duration: Duration::from_ticks(c.rate_duration_ticks),
            trip_rule: (c.external_trip_rule != 0).then_some(TripRule {
                decide: judged_per_call,
                context: 0,
            }),
        }
    }
}

impl From<BreakerSettings> for tg_breaker_config_t {
    fn from(s: BreakerSettings) -> Self {
        Self {
            failure_threshold: s.failure_threshold,
            open_ticks: s.open.ticks(),
            half_open_permits: s.half_open_permits,
            success_threshold: s.success_threshold,
            half_open_timeout_ticks: s.half_open_timeout.ticks(),
            failure_rate_per_mille: s.failure_rate_per_mille,
            rate_window: s.rate_window,
            minimum_calls: s.minimum_calls,
            closed_interval_ticks: s.closed_interval.ticks(),
            open_multiplier_milli: s.open_multiplier_milli,
            open_jitter_per_mille: s.open_jitter_per_mille,
            max_open_ticks: s.max_open.ticks(),
            jitter_seed: s.jitter_seed,
            external_trip_rule: u32::from(s.trip_rule.is_some()),
            half_open_failure_rate_per_mille: s.half_open_failure_rate_per_mille,
            slow_call_ticks: s.slow_call.ticks(),
            slow_call_rate_per_mille: s.slow_call_rate_per_mille,
            rate_duration_ticks: s.rate_duration.ticks(),
        }
    }
}

// The header's limits are literals (cbindgen cannot evaluate the core's):
// the build fails when they differ from the core's.
const _: () =
    assert!(TG_BREAKER_MAX_HALF_OPEN_PERMITS == tickguard::breaker::MAX_HALF_OPEN_PERMITS);
const _: () = assert!(TG_BREAKER_MAX_RATE_WINDOW == tickguard::breaker::MAX_RATE_WINDOW);
const _: () = assert!(TG_BREAKER_MAX_SLOW_RATE_WINDOW == tickguard::breaker::MAX_SLOW_RATE_WINDOW);
const _: () =
    assert!(TG_BREAKER_MAX_OPEN_MULTIPLIER_MILLI == tickguard::breaker::MAX_OPEN_MULTIPLIER_MILLI);

// The header's default constants are literals (cbindgen cannot evaluate the
// core's): keep them equal to the core's defaults.
const _: () = {
    let d = BreakerConfig::DEFAULT_SETTINGS;
    assert!(
        d.failure_threshold == TG_BREAKER_DEFAULT_FAILURE_THRESHOLD
            && d.open.ticks() == TG_BREAKER_DEFAULT_OPEN_TICKS
            && d.half_open_permits == TG_BREAKER_DEFAULT_HALF_OPEN_PERMITS
            && d.success_threshold == TG_BREAKER_DEFAULT_SUCCESS_THRESHOLD
            && d.half_open_timeout.ticks() == TG_BREAKER_DEFAULT_HALF_OPEN_TIMEOUT_TICKS
    );
};

/// A change of state. `changed` is false when the call changed nothing.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_transition_t {
    /// Whether a transition happened; `from` and `to` are valid only then.
    pub changed: bool,
    /// The state before (a `TG_STATE_*` value).
    pub from: tg_state_t,
    /// The state after (a `TG_STATE_*` value).
    pub to: tg_state_t,
}

/// The decision of `tg_breaker_acquire`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_breaker_decision_t {
    /// When admitted (`TG_OK`): the permit to give to `tg_breaker_record`.
    pub permit: tg_permit_t,
    /// When refused (`TG_REFUSED`): whether `retry_at` is set (false while
    /// FORCED_OPEN).
    pub has_retry_at: bool,
    /// When refused: the tick at which the breaker may admit again.
    pub retry_at: u64,
    /// The change of state this call made, if any.
    pub transition: tg_transition_t,
}

/// What `tg_breaker_record` did with an outcome.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_record_t {
    /// Whether the outcome counted (false for IGNORED, a stale permit, or
    /// while DISABLED).
    pub counted: bool,
    /// The change of state this outcome made, if any.
    pub transition: tg_transition_t,
}

/// Storage for a breaker: allocate it anywhere (static, stack, inside your
/// own struct), then call `tg_breaker_init`. A zeroed object reports
/// `TG_E_UNINITIALIZED`; a copy of a live object reports `TG_E_MOVED`. 16-byte
/// aligned (the state is one 128-bit atomic word).
#[repr(C, align(16))]
pub struct tg_breaker_t {
    /// Private: the object's state. Touch only through `tg_breaker_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 30],
}

object::storage!(tg_breaker_t, CountingBreaker<BreakerConfig>, 0x7467_4237); // "tgB7"

const fn state_code(state: State) -> tg_state_t {
    state as tg_state_t
}

/// Names a breaker state, for logs.
///
/// @param state any value.
/// @return a static, NUL-terminated English name ("closed", "open",
///   "half-open", "forced-open", "disabled"; never NULL; "unknown state"
///   for a value that is no `TG_STATE_*`).
///
/// Safe from interrupt handlers and from any thread.
#[no_mangle]
pub extern "C" fn tg_state_str(state: tg_state_t) -> *const core::ffi::c_char {
    name_of(
        &State::ALL,
        state,
        state_code,
        State::c_name,
        c"unknown state",
    )
}

const fn reason_code(reason: TripReason) -> tg_trip_reason_t {
    reason as tg_trip_reason_t
}

/// Names a trip reason, for logs.
///
/// @param reason any value.
/// @return a static, NUL-terminated English name ("consecutive failures",
///   "failure rate", "trial failed", "trial timed out", "manual", "custom
///   rule", "slow-call rate"; "none"
///   for `TG_TRIP_NONE`; never NULL; "unknown trip reason" for a value that
///   is no `TG_TRIP_*`).
///
/// Safe from interrupt handlers and from any thread.
#[no_mangle]
pub extern "C" fn tg_trip_reason_str(reason: tg_trip_reason_t) -> *const core::ffi::c_char {
    if reason == TG_TRIP_NONE {
        return c"none".as_ptr();
    }
    name_of(
        &TripReason::ALL,
        reason,
        reason_code,
        TripReason::c_name,
        c"unknown trip reason",
    )
}

const fn transition(change: Option<Transition>) -> tg_transition_t {
    match change {
        Some(t) => tg_transition_t {
            changed: true,
            from: state_code(t.from),
            to: state_code(t.to),
        },
        None => tg_transition_t {
            changed: false,
            from: 0,
            to: 0,
        },
    }
}

pub(crate) fn validate(config: *const tg_breaker_config_t) -> Result<BreakerConfig, tg_status_t> {
    BreakerConfig::new(read(config)?.into()).map_err(config_status)
}

/// Writes the default configuration (the defaults) to
/// `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_breaker_config_default(out: *mut tg_breaker_config_t) -> tg_status_t {
    put_required(out, BreakerConfig::DEFAULT_SETTINGS.into())
}

/// Checks a configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL, or the
///   `TG_E_CONFIG_*` code of the first invalid field.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_breaker_config_check(config: *const tg_breaker_config_t) -> tg_status_t {
    status(validate(config).map(|_| TG_OK))
}

/// Initialises `breaker` as CLOSED with `config` (validated and copied).
/// On error the object is left as it was.
///
/// @param breaker the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED` if `breaker` is live (it keeps its state),
///   or the `TG_E_CONFIG_*` code of the first invalid field.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_breaker_init(
    breaker: *mut tg_breaker_t,
    config: *const tg_breaker_config_t,
) -> tg_status_t {
    tg_breaker_init_ex(breaker, config, TG_INIT_DEFAULT)
}

/// Initialises `breaker` as CLOSED with `config`, with `TG_INIT_*` flags:
/// `TG_INIT_REINIT` starts a live object afresh, `TG_INIT_SHARED` makes an
/// object for memory mapped by several processes at different addresses.
///
/// @param breaker the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_breaker_init`, or `TG_E_INVALID_ARGUMENT` for an unknown
///   flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_breaker_init_ex(
    breaker: *mut tg_breaker_t,
    config: *const tg_breaker_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(breaker, validate(config).map(Breaker::with_storage), flags)
}

/// Ends the life of `breaker`: later calls report `TG_E_UNINITIALIZED`, and
/// `tg_breaker_init` may initialise it again. Use it before memory that held
/// a breaker (a stack frame) is reused for a new one.
///
/// @param breaker an initialised breaker.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_breaker_deinit(breaker: *mut tg_breaker_t) -> tg_status_t {
    object::deinit(breaker)
}

/// Asks to make a call at tick `now`. A refusal does not write the breaker.
///
/// @param breaker an initialised breaker.
/// @param now the caller's current tick.
/// @param out receives the decision on `TG_OK` (`permit`) and on
///   `TG_REFUSED` (`retry_at`), and is left alone otherwise.
/// @return `TG_OK` when admitted, `TG_REFUSED` when refused, `TG_E_NULL` if
///   a pointer is NULL, an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 128-bit CAS (x86_64, aarch64);
/// interrupt-masked critical section elsewhere; safe from interrupt handlers
/// and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_acquire(
    breaker: *mut tg_breaker_t,
    now: u64,
    out: *mut tg_breaker_decision_t,
) -> tg_status_t {
    status((|| {
        let breaker = get(breaker.cast_const())?;
        let out = required(out)?;
        let (code, decision) = decision_of(breaker.acquire(Instant::from_ticks(now)));
        put(out, decision);
        Ok(code)
    })())
}

/// An acquire's result as the C decision and its status.
pub(crate) fn decision_of(
    result: Result<Admitted, Refused>,
) -> (tg_status_t, tg_breaker_decision_t) {
    match result {
        Ok(Admitted {
            permit,
            transition: t,
        }) => (
            TG_OK,
            tg_breaker_decision_t {
                permit: tg_permit_t {
                    acquired_at: permit.acquired_at().ticks(),
                    token: permit.token(),
                },
                has_retry_at: false,
                retry_at: 0,
                transition: transition(t),
            },
        ),
        Err(Refused {
            retry_at,
            transition: t,
        }) => (
            TG_REFUSED,
            tg_breaker_decision_t {
                permit: tg_permit_t {
                    acquired_at: 0,
                    token: 0,
                },
                has_retry_at: retry_at.is_some(),
                retry_at: retry_at.map_or(0, Instant::ticks),
                transition: transition(t),
            },
        ),
    }
}

/// A C outcome and permit as the core's: `TG_E_INVALID_ARGUMENT` for an
/// unknown outcome or a byte that is not a permit.
pub(crate) fn report_of(
    permit: tg_permit_t,
    outcome: tg_outcome_t,
) -> Result<(Permit, Outcome), tg_status_t> {
    let outcome = match outcome {
        TG_OUTCOME_SUCCESS => Outcome::Success,
        TG_OUTCOME_FAILURE => Outcome::Failure,
        TG_OUTCOME_IGNORED => Outcome::Ignored,
        _ => return Err(TG_E_INVALID_ARGUMENT),
    };
    let acquired_at = Instant::from_ticks(permit.acquired_at);
    let permit = Permit::from_parts(permit.token, acquired_at).ok_or(TG_E_INVALID_ARGUMENT)?;
    Ok((permit, outcome))
}

/// What a report did, for C.
pub(crate) fn record_of(recorded: Recorded) -> tg_record_t {
    tg_record_t {
        counted: recorded.counted,
        transition: transition(recorded.transition),
    }
}

/// Reports the outcome of a call admitted with `permit`. A permit from
/// before the last change of state is discarded (`out->counted` false), and
/// so is a second report of a half-open trial permit. A CLOSED permit is not
/// single-use: each report of it counts, so report each call once.
///
/// @param breaker an initialised breaker.
/// @param permit the permit `tg_breaker_acquire` returned.
/// @param outcome `TG_OUTCOME_SUCCESS`, `TG_OUTCOME_FAILURE` or
///   `TG_OUTCOME_IGNORED`.
/// @param now the caller's current tick.
/// @param out receives what was done with the outcome; may be NULL.
/// @return `TG_OK`, `TG_E_NULL` if `breaker` is NULL, an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`),
///   or `TG_E_INVALID_ARGUMENT` for an unknown outcome or a byte that is
///   not a permit.
///
/// Lock-free where the target has a 128-bit CAS (x86_64, aarch64);
/// interrupt-masked critical section elsewhere; safe from interrupt handlers
/// and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_record(
    breaker: *mut tg_breaker_t,
    permit: tg_permit_t,
    outcome: tg_outcome_t,
    now: u64,
    out: *mut tg_record_t,
) -> tg_status_t {
    record(breaker, permit, outcome, now, None, out)
}

/// Reports an outcome as `tg_breaker_record` does, and judges the caller's
/// trip rule on it: a failure counted in CLOSED for which
/// `rule(consecutive_failures, calls, failures, context)` returns true
/// opens the breaker (`TG_TRIP_CUSTOM_RULE`). Pass the same rule with every
/// report (a report through `tg_breaker_record` judges none); set the
/// configuration's `external_trip_rule` to let it be the only rule.
///
/// @param breaker an initialised breaker.
/// @param permit the permit `tg_breaker_acquire` returned.
/// @param outcome `TG_OUTCOME_SUCCESS`, `TG_OUTCOME_FAILURE` or
///   `TG_OUTCOME_IGNORED`.
/// @param now the caller's current tick.
/// @param rule the trip rule (`tg_trip_rule_fn`); NULL: none.
/// @param context passed to `rule` as it is.
/// @param out receives what was done with the outcome; may be NULL.
/// @return as `tg_breaker_record`.
///
/// Safe from interrupt handlers and from several threads at once, as far
/// as `rule` is.
#[no_mangle]
pub extern "C" fn tg_breaker_record_rule(
    breaker: *mut tg_breaker_t,
    permit: tg_permit_t,
    outcome: tg_outcome_t,
    now: u64,
    rule: tg_trip_rule_fn,
    context: usize,
    out: *mut tg_record_t,
) -> tg_status_t {
    let rule = rule.map(|decide| TripRule { decide, context });
    record(breaker, permit, outcome, now, rule, out)
}

/// `tg_breaker_record` and `tg_breaker_record_rule`: the rule to judge is
/// the caller's (never the one in the object's configuration).
fn record(
    breaker: *mut tg_breaker_t,
    permit: tg_permit_t,
    outcome: tg_outcome_t,
    now: u64,
    rule: Option<TripRule>,
    out: *mut tg_record_t,
) -> tg_status_t {
    status((|| {
        let breaker = get(breaker.cast_const())?;
        let (permit, outcome) = report_of(permit, outcome)?;
        let recorded = breaker.record_with_rule(permit, outcome, Instant::from_ticks(now), rule);
        put(out, record_of(recorded));
        Ok(TG_OK)
    })())
}

/// Reads the state an acquire at `now` would see. Writes nothing to the
/// breaker.
///
/// @param breaker an initialised breaker.
/// @param now the caller's current tick.
/// @param out receives a `TG_STATE_*` value.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_state(
    breaker: *const tg_breaker_t,
    now: u64,
    out: *mut tg_state_t,
) -> tg_status_t {
    status((|| {
        let breaker = get(breaker)?;
        let out = required(out)?;
        put(out, state_code(breaker.state(Instant::from_ticks(now))));
        Ok(TG_OK)
    })())
}

/// What `tg_breaker_status` reports.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_breaker_status_t {
    /// The state an acquire at the same tick would see (`TG_STATE_*`).
    pub state: tg_state_t,
    /// While OPEN, why it opened (`TG_TRIP_*`); `TG_TRIP_NONE` otherwise.
    pub tripped_by: tg_trip_reason_t,
    /// Whether `trial_at` is set (only while OPEN).
    pub has_trial_at: bool,
    /// While OPEN, the tick from which an acquire starts a trial.
    pub trial_at: u64,
}

/// Reads the state an acquire at `now` would see and, while OPEN, why it
/// opened and the tick from which it admits a trial. Writes nothing to the
/// breaker.
///
/// @param breaker an initialised breaker.
/// @param now the caller's current tick.
/// @param out receives the status.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_status(
    breaker: *const tg_breaker_t,
    now: u64,
    out: *mut tg_breaker_status_t,
) -> tg_status_t {
    status((|| {
        let breaker = get(breaker)?;
        let out = required(out)?;
        let status = breaker.status(Instant::from_ticks(now));
        put(
            out,
            tg_breaker_status_t {
                state: state_code(status.state),
                tripped_by: status.tripped_by.map_or(TG_TRIP_NONE, reason_code),
                has_trial_at: status.trial_at.is_some(),
                trial_at: status.trial_at.map_or(0, Instant::ticks),
            },
        );
        Ok(TG_OK)
    })())
}

/// What a breaker decided since `tg_breaker_init` (`tg_breaker_counts`):
/// wrapping 32-bit counters (subtract two reads for a rate).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct tg_breaker_counts_t {
    /// Calls admitted (CLOSED, half-open trials, DISABLED).
    pub requests: u32,
    /// Calls refused.
    pub refused: u32,
    /// Successes counted.
    pub successes: u32,
    /// Failures counted.
    pub failures: u32,
    /// Outcomes reported as `TG_OUTCOME_IGNORED`.
    pub ignored: u32,
    /// Successes and failures reported but not counted (a stale permit, a
    /// trial reported after its timeout, a second report of a trial,
    /// anything while DISABLED).
    pub dropped: u32,
    /// Transitions into each state, indexed by `TG_STATE_*`; manual ones
    /// too.
    pub transitions: [u32; 5],
    /// Successes and failures counted that were slow (reported more than
    /// `slow_call_ticks` after their admission); also in `successes` or
    /// `failures`.
    pub slow: u32,
}

/// Reads the breaker's counters: every decision since `tg_breaker_init`
/// counted once, in its own counter (each exact; the set is loaded one
/// word after another, so a call made meanwhile may show in one and not
/// yet in another). Writes nothing to the breaker.
///
/// @param breaker an initialised breaker.
/// @param out receives the counters.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_counts(
    breaker: *const tg_breaker_t,
    out: *mut tg_breaker_counts_t,
) -> tg_status_t {
    status((|| {
        let breaker = get(breaker)?;
        let out = required(out)?;
        let counts = breaker.counts();
        put(
            out,
            tg_breaker_counts_t {
                requests: counts.requests,
                refused: counts.refused,
                successes: counts.successes,
                failures: counts.failures,
                ignored: counts.ignored,
                dropped: counts.dropped,
                transitions: counts.transitions,
                slow: counts.slow,
            },
        );
        Ok(TG_OK)
    })())
}

/// What a breaker's failure-rate window holds (`tg_breaker_window_counts`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct tg_breaker_window_counts_t {
    /// Outcomes in the window (successes and failures).
    pub calls: u32,
    /// Failures among them.
    pub failures: u32,
    /// Slow calls among them (0 without a slow-call rate).
    pub slow: u32,
}

/// Reads what the failure-rate window holds: the last outcomes counted in
/// CLOSED since the breaker last closed or was reset (both 0 without a
/// window, and in any state but CLOSED). Writes nothing to the breaker.
///
/// @param breaker an initialised breaker.
/// @param out receives the counts.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_window_counts(
    breaker: *const tg_breaker_t,
    out: *mut tg_breaker_window_counts_t,
) -> tg_status_t {
    status((|| {
        let breaker = get(breaker)?;
        let out = required(out)?;
        let counts = breaker.window_counts();
        put(
            out,
            tg_breaker_window_counts_t {
                calls: counts.calls,
                failures: counts.failures,
                slow: counts.slow,
            },
        );
        Ok(TG_OK)
    })())
}

fn control(
    breaker: *mut tg_breaker_t,
    out: *mut tg_transition_t,
    act: impl FnOnce(&CountingBreaker<BreakerConfig>) -> Option<Transition>,
) -> tg_status_t {
    status((|| {
        let breaker = get(breaker.cast_const())?;
        put(out, transition(act(breaker)));
        Ok(TG_OK)
    })())
}

/// Forces the breaker open: every call is refused until reset.
///
/// @param breaker an initialised breaker.
/// @param out receives the transition; may be NULL.
/// @return `TG_OK`, `TG_E_NULL` if `breaker` is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_force_open(
    breaker: *mut tg_breaker_t,
    out: *mut tg_transition_t,
) -> tg_status_t {
    control(breaker, out, |b| b.force_open())
}

/// Disables the breaker: every call is admitted and nothing counted until
/// reset.
///
/// @param breaker an initialised breaker.
/// @param out receives the transition; may be NULL.
/// @return `TG_OK`, `TG_E_NULL` if `breaker` is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_disable(
    breaker: *mut tg_breaker_t,
    out: *mut tg_transition_t,
) -> tg_status_t {
    control(breaker, out, |b| b.disable())
}

/// Resets the breaker to CLOSED with no failures counted.
///
/// @param breaker an initialised breaker.
/// @param out receives the transition; may be NULL.
/// @return `TG_OK`, `TG_E_NULL` if `breaker` is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_reset(
    breaker: *mut tg_breaker_t,
    out: *mut tg_transition_t,
) -> tg_status_t {
    control(breaker, out, |b| b.reset())
}

/// Opens the breaker for `ticks` from `now`, or from the latest tick it has
/// noted if that is later (from CLOSED, up to `open_ticks / 2^16` later),
/// whatever its state (to honour a server's Retry-After). The new period
/// replaces the current one, longer or shorter; afterwards it goes
/// HALF_OPEN as usual.
///
/// @param breaker an initialised breaker.
/// @param ticks how long to stay open (at most 2^62).
/// @param now the caller's current tick.
/// @param out_until receives the tick the open period ends at; may be NULL.
/// @param out receives the transition; may be NULL.
/// @return `TG_OK`, `TG_E_NULL` if `breaker` is NULL, an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`),
///   or `TG_E_CONFIG_DURATION_TOO_LONG` if `ticks` is above 2^62.
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_breaker_open_for(
    breaker: *mut tg_breaker_t,
    ticks: u64,
    now: u64,
    out_until: *mut u64,
    out: *mut tg_transition_t,
) -> tg_status_t {
    status((|| {
        let breaker = get(breaker.cast_const())?;
        let (change, until) = breaker
            .open_for(Duration::from_ticks(ticks), Instant::from_ticks(now))
            .map_err(|_| TG_E_CONFIG_DURATION_TOO_LONG)?;
        put(out_until, until.ticks());
        put(out, transition(change));
        Ok(TG_OK)
    })())
}
