//! `tg_retry_*`: retry with backoff and jitter, as a step function, and the
//! retry budget.

use tickguard::budget::{AllowsRetry, BudgetConfig, BudgetSettings, RetryBudget};
use tickguard::retry::{
    Attempt, Backoff, Decision, Failure, GiveUp, Jitter, RetryPolicy, RetrySettings,
};
use tickguard::time::MAX_DURATION;
use tickguard::time::{Duration, Instant};

use crate::object::{
    self, get, get_mut, put, put_required, read, required, status, tg_init_flags_t,
    TG_INIT_DEFAULT, TG_INIT_SHARED,
};
use crate::status::*;

/// A backoff kind: one of the `TG_BACKOFF_*` values.
pub type tg_backoff_t = u32;
/// The same delay (`base_ticks`) before every retry.
pub const TG_BACKOFF_CONSTANT: tg_backoff_t = 0;
/// `base_ticks + step_ticks × (n − 1)` before retry n.
pub const TG_BACKOFF_LINEAR: tg_backoff_t = 1;
/// `base_ticks × (multiplier_milli / 1000)^(n − 1)` before retry n.
pub const TG_BACKOFF_EXPONENTIAL: tg_backoff_t = 2;

/// A jitter kind: one of the `TG_JITTER_*` values.
pub type tg_jitter_t = u32;
/// No jitter.
pub const TG_JITTER_NONE: tg_jitter_t = 0;
/// `d + U(0, jitter_ticks)`: the classic `random(0, J)`.
pub const TG_JITTER_ADDITIVE: tg_jitter_t = 1;
/// `U(0, d)`.
pub const TG_JITTER_FULL: tg_jitter_t = 2;
/// `d/2 + U(0, d/2)`.
pub const TG_JITTER_EQUAL: tg_jitter_t = 3;
/// `min(cap, U(base, 3 × previous delay))`.
pub const TG_JITTER_DECORRELATED: tg_jitter_t = 4;
/// `d × (1 ± jitter_per_mille / 1000)`.
pub const TG_JITTER_PROPORTIONAL: tg_jitter_t = 5;
/// Polly's smooth decorrelated jitter v2 around a median of `base_ticks`.
pub const TG_JITTER_DECORRELATED_V2: tg_jitter_t = 6;

/// `deadline_ticks` value meaning "no overall deadline" (what a field left
/// out of a designated initializer holds).
pub const TG_NO_DEADLINE: u64 = 0;
/// `max_delay_ticks` value meaning "no cap" (2^62 ticks).
pub const TG_NO_MAX_DELAY: u64 = 0;
/// `multiplier_milli` value meaning the default multiplier, 2000 (doubling).
pub const TG_DEFAULT_MULTIPLIER: u32 = 0;

/// Retry policy configuration. Can be `const`; validated and copied by
/// `tg_retry_policy_init`. `tg_retry_config_default` fills in the default
/// policy. A field left out of a designated initializer is 0,
/// which means "none" or the default where that is a sound policy
/// (`backoff`: constant; `step_ticks`, `jitter`, `jitter_ticks`,
/// `jitter_per_mille`: none; `multiplier_milli`: doubling;
/// `max_delay_ticks`: no cap; `deadline_ticks`: no deadline) and is refused
/// with the field's own status where it is not (`max_attempts`,
/// `base_ticks`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_retry_config_t {
    /// Calls in total, the first one included (at least 1).
    pub max_attempts: u32,
    /// A `TG_BACKOFF_*` value (0: `TG_BACKOFF_CONSTANT`).
    pub backoff: tg_backoff_t,
    /// The constant delay, or the linear or exponential base, in ticks
    /// (1 .. 2^62: a zero delay would retry at once, a retry storm).
    pub base_ticks: u64,
    /// Linear backoff: ticks added per retry (0: none, a constant delay).
    pub step_ticks: u64,
    /// Exponential backoff: the multiplier in thousandths, at least 1000
    /// (0, `TG_DEFAULT_MULTIPLIER`: 2000, doubling).
    pub multiplier_milli: u32,
    /// A `TG_JITTER_*` value (0: `TG_JITTER_NONE`).
    pub jitter: tg_jitter_t,
    /// Additive jitter: the most ticks added (0: none).
    pub jitter_ticks: u64,
    /// Proportional jitter: the spread in thousandths (0 .. 1000).
    pub jitter_per_mille: u32,
    /// The longest delay before a retry, after jitter (at most 2^62 ticks;
    /// 0, `TG_NO_MAX_DELAY`: no cap).
    pub max_delay_ticks: u64,
    /// Give up when the next attempt would start more than this many ticks
    /// after the first (at most 2^62; 0, `TG_NO_DEADLINE`: never).
    pub deadline_ticks: u64,
}

/// The multiplier `multiplier_milli = 0` stands for.
const DOUBLING: u32 = 2_000;

/// The core's settings for a C configuration: C's zeros become "none" or
/// the default, or the field's own status where 0 is no sound policy.
fn settings(c: &tg_retry_config_t) -> Result<RetrySettings, tg_status_t> {
    if c.base_ticks == 0 {
        return Err(TG_E_CONFIG_BASE_TICKS);
    }
    let backoff = match c.backoff {
        TG_BACKOFF_CONSTANT => Backoff::Constant {
            delay: Duration::from_ticks(c.base_ticks),
        },
        TG_BACKOFF_LINEAR => Backoff::Linear {
            base: Duration::from_ticks(c.base_ticks),
            step: Duration::from_ticks(c.step_ticks),
        },
        TG_BACKOFF_EXPONENTIAL => Backoff::Exponential {
            base: Duration::from_ticks(c.base_ticks),
            multiplier_milli: match c.multiplier_milli {
                TG_DEFAULT_MULTIPLIER => DOUBLING,
                other => other,
            },
        },
        _ => return Err(TG_E_CONFIG_BACKOFF),
    };
    let jitter = match c.jitter {
        TG_JITTER_NONE => Jitter::None,
        TG_JITTER_ADDITIVE => Jitter::Additive {
            max: Duration::from_ticks(c.jitter_ticks),
        },
        TG_JITTER_FULL => Jitter::Full,
        TG_JITTER_EQUAL => Jitter::Equal,
        TG_JITTER_DECORRELATED => Jitter::Decorrelated,
        TG_JITTER_PROPORTIONAL => Jitter::Proportional {
            per_mille: c.jitter_per_mille,
        },
        TG_JITTER_DECORRELATED_V2 => Jitter::DecorrelatedV2,
        _ => return Err(TG_E_CONFIG_JITTER_KIND),
    };
    Ok(RetrySettings {
        max_attempts: c.max_attempts,
        backoff,
        jitter,
        max_delay: Duration::from_ticks(match c.max_delay_ticks {
            TG_NO_MAX_DELAY => MAX_DURATION,
            ticks => ticks,
        }),
        deadline: (c.deadline_ticks != TG_NO_DEADLINE)
            .then_some(Duration::from_ticks(c.deadline_ticks)),
    })
}

/// The C configuration of the core's `settings`.
const fn config_of(settings: &RetrySettings) -> tg_retry_config_t {
    let (backoff, base_ticks, step_ticks, multiplier_milli) = match settings.backoff {
        Backoff::Constant { delay } => (TG_BACKOFF_CONSTANT, delay.ticks(), 0, 0),
        Backoff::Linear { base, step } => (TG_BACKOFF_LINEAR, base.ticks(), step.ticks(), 0),
        Backoff::Exponential {
            base,
            multiplier_milli,
        } => (TG_BACKOFF_EXPONENTIAL, base.ticks(), 0, multiplier_milli),
    };
    let (jitter, jitter_ticks, jitter_per_mille) = match settings.jitter {
        Jitter::None => (TG_JITTER_NONE, 0, 0),
        Jitter::Additive { max } => (TG_JITTER_ADDITIVE, max.ticks(), 0),
        Jitter::Full => (TG_JITTER_FULL, 0, 0),
        Jitter::Equal => (TG_JITTER_EQUAL, 0, 0),
        Jitter::Decorrelated => (TG_JITTER_DECORRELATED, 0, 0),
        Jitter::Proportional { per_mille } => (TG_JITTER_PROPORTIONAL, 0, per_mille),
        Jitter::DecorrelatedV2 => (TG_JITTER_DECORRELATED_V2, 0, 0),
    };
    tg_retry_config_t {
        max_attempts: settings.max_attempts,
        backoff,
        base_ticks,
        step_ticks,
        multiplier_milli,
        jitter,
        jitter_ticks,
        jitter_per_mille,
        max_delay_ticks: settings.max_delay.ticks(),
        deadline_ticks: match settings.deadline {
            Some(ticks) => ticks.ticks(),
            None => TG_NO_DEADLINE,
        },
    }
}

/// Writes the default retry configuration (the defaults, in ticks
/// of 1 ms: 3 attempts in all, exponential from 1 000 ticks doubling, ±10 %
/// proportional jitter, at most 60 000 ticks between attempts, no
/// deadline) to `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_retry_config_default(out: *mut tg_retry_config_t) -> tg_status_t {
    put_required(out, config_of(&RetryPolicy::DEFAULT_SETTINGS))
}

fn policy(c: &tg_retry_config_t) -> Result<RetryPolicy, tg_status_t> {
    RetryPolicy::new(settings(c)?).map_err(config_status)
}

/// Storage for a retry policy: allocate it anywhere, then call
/// `tg_retry_policy_init`. Immutable once initialised; share it freely.
#[repr(C, align(16))]
pub struct tg_retry_policy_t {
    /// Private: the object's state. Touch only through `tg_retry_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 10],
}

// The configuration is stored as given (plain integers) and converted on
// each use: cheap, and any bit pattern of the object stays valid.
object::storage!(tg_retry_policy_t, tg_retry_config_t, 0x7467_5250); // "tgRP"

/// The state of one operation across its attempts: caller-owned, one per
/// operation, used by one caller at a time. Not tied to its address: it may
/// be copied or moved between attempts (inside a request struct, say).
#[repr(C, align(16))]
pub struct tg_retry_attempt_t {
    /// Private: the attempt's state. Touch only through `tg_retry_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 8],
}

object::storage!(tg_retry_attempt_t, Attempt, 0x7467_5241); // "tgRA"

/// What happened to the attempt that just ended: one of the
/// `TG_RETRY_OUTCOME_*` values.
pub type tg_retry_outcome_t = u32;
/// The call failed in a way worth retrying.
pub const TG_RETRY_OUTCOME_FAILED: tg_retry_outcome_t = 0;
/// The call failed in a way retrying cannot fix.
pub const TG_RETRY_OUTCOME_NOT_RETRYABLE: tg_retry_outcome_t = 1;
/// The server asked to wait until `outcome_tick` (Retry-After, pushback).
/// Restarts the backoff: a plain failure after it waits the first retry's
/// delay again (gRPC A6).
pub const TG_RETRY_OUTCOME_RETRY_AFTER: tg_retry_outcome_t = 2;
/// The server asked not to retry.
pub const TG_RETRY_OUTCOME_DO_NOT_RETRY: tg_retry_outcome_t = 3;
/// A breaker or rate limiter refused; it may admit at `outcome_tick`.
pub const TG_RETRY_OUTCOME_REFUSED: tg_retry_outcome_t = 4;
/// A breaker refused without naming a tick (forced open).
pub const TG_RETRY_OUTCOME_REFUSED_INDEFINITELY: tg_retry_outcome_t = 5;

/// Why `tg_retry_next` gave up: one of the `TG_GIVE_UP_*` values.
pub type tg_give_up_t = u32;
/// Not given up (`retry` is true).
pub const TG_GIVE_UP_NONE: tg_give_up_t = 0;
/// `max_attempts` calls were made.
pub const TG_GIVE_UP_ATTEMPTS_EXHAUSTED: tg_give_up_t = 1;
/// The next attempt would start past the overall deadline.
pub const TG_GIVE_UP_DEADLINE: tg_give_up_t = 2;
/// The failure is not one to retry.
pub const TG_GIVE_UP_NOT_RETRYABLE: tg_give_up_t = 3;
/// The server said not to retry.
pub const TG_GIVE_UP_SERVER_SAID_STOP: tg_give_up_t = 4;
/// The retry budget is spent.
pub const TG_GIVE_UP_BUDGET_EMPTY: tg_give_up_t = 5;
/// A guard refused without naming a tick.
pub const TG_GIVE_UP_REFUSED_INDEFINITELY: tg_give_up_t = 6;

/// The answer of `tg_retry_next`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_retry_decision_t {
    /// Whether to make another attempt, at `retry_at`.
    pub retry: bool,
    /// When `retry`: the tick to make the next attempt at.
    pub retry_at: u64,
    /// When not `retry`: why (a `TG_GIVE_UP_*` value).
    pub give_up: tg_give_up_t,
}

/// Checks a retry configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL, or the
///   `TG_E_CONFIG_*` code of the first invalid field (`TG_E_CONFIG_BACKOFF`
///   and `TG_E_CONFIG_JITTER_KIND` for an unknown kind).
///
/// Pure: safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_retry_config_check(config: *const tg_retry_config_t) -> tg_status_t {
    status(read(config).and_then(|c| policy(&c)).map(|_| TG_OK))
}

/// Initialises `policy` with `config` (validated and copied).
///
/// @param policy the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED` if `policy` is live, or the `TG_E_CONFIG_*`
///   code of the first invalid field (as `tg_retry_config_check`).
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_retry_policy_init(
    policy: *mut tg_retry_policy_t,
    config: *const tg_retry_config_t,
) -> tg_status_t {
    tg_retry_policy_init_ex(policy, config, TG_INIT_DEFAULT)
}

/// Initialises `policy` as `tg_retry_policy_init` does, with `TG_INIT_*`
/// flags.
///
/// @param policy the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_retry_policy_init`, or `TG_E_INVALID_ARGUMENT` for an
///   unknown flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_retry_policy_init_ex(
    policy: *mut tg_retry_policy_t,
    config: *const tg_retry_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    let checked = read(config).and_then(|c| self::policy(&c).map(|_| c));
    object::init(policy, checked, flags)
}

/// Ends the life of `policy`.
///
/// @param policy an initialised policy.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_retry_policy_deinit(policy: *mut tg_retry_policy_t) -> tg_status_t {
    object::deinit(policy)
}

/// Starts the state of an operation whose first attempt starts at `now`.
/// Seed each device and operation differently (device id mixed with a
/// counter or a hardware random number) so that clients never retry in
/// lockstep.
///
/// @param attempt the caller-allocated state to (re)start.
/// @param now the tick the first attempt starts at.
/// @param seed the seed of the attempt's jitter PRNG (any value).
/// @return `TG_OK`, `TG_E_NULL` or `TG_E_MISALIGNED`.
///
/// Not thread-safe: one operation, one caller.
#[no_mangle]
pub extern "C" fn tg_retry_attempt_begin(
    attempt: *mut tg_retry_attempt_t,
    now: u64,
    seed: u64,
) -> tg_status_t {
    // An attempt is a value: (re)starting it is always allowed, wherever it
    // lives.
    object::init(
        attempt,
        Ok(Attempt::new(Instant::from_ticks(now), seed)),
        TG_INIT_SHARED | crate::object::TG_INIT_REINIT,
    )
}

/// After an attempt ended at `now` with `outcome`: whether to retry, and
/// when; or why not.
///
/// @param policy an initialised policy.
/// @param attempt the operation's state, started with
///   `tg_retry_attempt_begin`.
/// @param outcome a `TG_RETRY_OUTCOME_*` value.
/// @param outcome_tick for `TG_RETRY_OUTCOME_RETRY_AFTER` and
///   `TG_RETRY_OUTCOME_REFUSED`: the tick the server or guard named
///   (ignored otherwise).
/// @param now the tick the attempt ended at.
/// @param budget a retry budget that must allow the retry, or NULL.
/// @param out receives the decision.
/// @return `TG_OK`, `TG_E_NULL` if `policy`, `attempt` or `out` is NULL,
///   `TG_E_INVALID_ARGUMENT` for an unknown outcome, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe for one attempt (one operation, one caller); the policy
/// and the budget may be shared. Safe from interrupt handlers.
#[no_mangle]
pub extern "C" fn tg_retry_next(
    policy: *const tg_retry_policy_t,
    attempt: *mut tg_retry_attempt_t,
    outcome: tg_retry_outcome_t,
    outcome_tick: u64,
    now: u64,
    budget: *const tg_retry_budget_t,
    out: *mut tg_retry_decision_t,
) -> tg_status_t {
    status((|| {
        let config = get(policy)?;
        let policy = self::policy(config).map_err(|_| TG_E_UNINITIALIZED)?;
        let outcome = match outcome {
            TG_RETRY_OUTCOME_FAILED => Failure::Retryable,
            TG_RETRY_OUTCOME_NOT_RETRYABLE => Failure::NotRetryable,
            TG_RETRY_OUTCOME_RETRY_AFTER => Failure::RetryAfter(Instant::from_ticks(outcome_tick)),
            TG_RETRY_OUTCOME_DO_NOT_RETRY => Failure::DoNotRetry,
            TG_RETRY_OUTCOME_REFUSED => Failure::Refused(Some(Instant::from_ticks(outcome_tick))),
            TG_RETRY_OUTCOME_REFUSED_INDEFINITELY => Failure::Refused(None),
            _ => return Err(TG_E_INVALID_ARGUMENT),
        };
        let budget: Option<&dyn AllowsRetry> = if budget.is_null() {
            None
        } else {
            Some(get(budget)?)
        };
        let out = required(out)?;
        let attempt = get_mut(attempt)?;
        let decision = match policy.next(attempt, outcome, Instant::from_ticks(now), budget) {
            Decision::RetryAt(at) => tg_retry_decision_t {
                retry: true,
                retry_at: at.ticks(),
                give_up: TG_GIVE_UP_NONE,
            },
            Decision::GiveUp(why) => tg_retry_decision_t {
                retry: false,
                retry_at: 0,
                give_up: give_up_code(why),
            },
        };
        put(out, decision);
        Ok(TG_OK)
    })())
}

/// The C code of a reason to give up.
const fn give_up_code(why: GiveUp) -> tg_give_up_t {
    match why {
        GiveUp::AttemptsExhausted => TG_GIVE_UP_ATTEMPTS_EXHAUSTED,
        GiveUp::Deadline => TG_GIVE_UP_DEADLINE,
        GiveUp::NotRetryable => TG_GIVE_UP_NOT_RETRYABLE,
        GiveUp::ServerSaidStop => TG_GIVE_UP_SERVER_SAID_STOP,
        GiveUp::BudgetEmpty => TG_GIVE_UP_BUDGET_EMPTY,
        GiveUp::RefusedIndefinitely => TG_GIVE_UP_REFUSED_INDEFINITELY,
    }
}

/// Names a reason the retry step gave up, for logs.
///
/// @param why any value.
/// @return a static, NUL-terminated English name ("attempts exhausted",
///   "deadline", ...; "none" for `TG_GIVE_UP_NONE`; never NULL; "unknown
///   reason" for a value that is no `TG_GIVE_UP_*`).
///
/// Safe from interrupt handlers and from any thread.
#[no_mangle]
pub extern "C" fn tg_give_up_str(why: tg_give_up_t) -> *const core::ffi::c_char {
    if why == TG_GIVE_UP_NONE {
        return c"none".as_ptr();
    }
    name_of(
        &GiveUp::ALL,
        why,
        give_up_code,
        GiveUp::c_name,
        c"unknown reason",
    )
}

/// Retry-budget configuration. `tg_retry_budget_config_default` fills in
/// gRPC's example; a 0 in either field is refused with the field's own
/// status (a budget of no tokens never retries; a ratio of 0 never refills).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_retry_budget_config_t {
    /// The most tokens (at least 1); the budget starts full.
    pub max_tokens: u32,
    /// Thousandths of a token deposited per success (1 .. max_tokens × 1000;
    /// gRPC's 0.1 is 100).
    pub token_ratio_milli: u32,
}

/// Storage for a retry budget shared by all callers (gRPC-style retry
/// throttling): failures withdraw a token, successes deposit a fraction,
/// retries are allowed only above half.
#[repr(C, align(16))]
pub struct tg_retry_budget_t {
    /// Private: the object's state. Touch only through `tg_retry_budget_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 6],
}

object::storage!(tg_retry_budget_t, RetryBudget<BudgetConfig>, 0x7467_5242); // "tgRB"

fn budget_config(config: *const tg_retry_budget_config_t) -> Result<BudgetConfig, tg_status_t> {
    let c = read(config)?;
    BudgetConfig::new(BudgetSettings {
        max_tokens: c.max_tokens,
        token_ratio_milli: c.token_ratio_milli,
    })
    .map_err(config_status)
}

/// Writes the default retry-budget configuration (gRPC's example: 10
/// tokens, 0.1 token back per success) to `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_retry_budget_config_default(
    out: *mut tg_retry_budget_config_t,
) -> tg_status_t {
    let c = BudgetConfig::DEFAULT;
    let config = tg_retry_budget_config_t {
        max_tokens: c.max_tokens(),
        token_ratio_milli: c.token_ratio_milli(),
    };
    put_required(out, config)
}

/// Checks a retry-budget configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL,
///   `TG_E_CONFIG_MAX_TOKENS` or `TG_E_CONFIG_TOKEN_RATIO`.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_retry_budget_config_check(
    config: *const tg_retry_budget_config_t,
) -> tg_status_t {
    status(budget_config(config).map(|_| TG_OK))
}

/// Initialises `budget`, full, with `config` (validated and copied).
///
/// @param budget the caller-allocated object to initialise.
/// @param config the configuration.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED`, `TG_E_CONFIG_MAX_TOKENS` or
///   `TG_E_CONFIG_TOKEN_RATIO`.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_retry_budget_init(
    budget: *mut tg_retry_budget_t,
    config: *const tg_retry_budget_config_t,
) -> tg_status_t {
    tg_retry_budget_init_ex(budget, config, TG_INIT_DEFAULT)
}

/// Initialises `budget` as `tg_retry_budget_init` does, with `TG_INIT_*`
/// flags (`TG_INIT_SHARED`: one budget for several processes).
///
/// @param budget the caller-allocated object to initialise.
/// @param config the configuration.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_retry_budget_init`, or `TG_E_INVALID_ARGUMENT` for an
///   unknown flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_retry_budget_init_ex(
    budget: *mut tg_retry_budget_t,
    config: *const tg_retry_budget_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(budget, budget_config(config).map(RetryBudget::new), flags)
}

/// Ends the life of `budget`.
///
/// @param budget an initialised budget.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_retry_budget_deinit(budget: *mut tg_retry_budget_t) -> tg_status_t {
    object::deinit(budget)
}

fn with_budget(
    budget: *const tg_retry_budget_t,
    act: impl FnOnce(&RetryBudget<BudgetConfig>),
) -> tg_status_t {
    status(get(budget).map(|b| {
        act(b);
        TG_OK
    }))
}

/// Reports a call that succeeded: deposits the token ratio.
///
/// @param budget an initialised budget.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 64-bit CAS; interrupt-masked critical
/// section elsewhere; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_retry_budget_success(budget: *mut tg_retry_budget_t) -> tg_status_t {
    with_budget(budget, RetryBudget::record_success)
}

/// Reports a call that failed: withdraws one token.
///
/// @param budget an initialised budget.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 64-bit CAS; interrupt-masked critical
/// section elsewhere; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_retry_budget_failure(budget: *mut tg_retry_budget_t) -> tg_status_t {
    with_budget(budget, RetryBudget::record_failure)
}

/// Reads whether a retry may be made now (more than half the tokens left)
/// and the tokens held.
///
/// @param budget an initialised budget.
/// @param out_allows receives whether a retry is allowed.
/// @param out_tokens_milli receives the tokens held, in thousandths; may be
///   NULL.
/// @return `TG_OK`, `TG_E_NULL` if `budget` or `out_allows` is NULL, or an
///   object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Reads only; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_retry_budget_state(
    budget: *const tg_retry_budget_t,
    out_allows: *mut bool,
    out_tokens_milli: *mut u64,
) -> tg_status_t {
    status((|| {
        let budget = get(budget)?;
        let out = required(out_allows)?;
        put(out, budget.allows_retry());
        put(out_tokens_milli, budget.tokens_milli());
        Ok(TG_OK)
    })())
}

/// Refills the budget, as if new.
///
/// @param budget an initialised budget.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_retry_budget_reset(budget: *mut tg_retry_budget_t) -> tg_status_t {
    with_budget(budget, RetryBudget::reset)
}
