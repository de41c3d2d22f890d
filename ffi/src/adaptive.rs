//! `tg_adaptive_*`: the adaptive concurrency limit (AIMD over a
//! bulkhead's slots).

use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, AdaptiveSettings, LimitChange, Sample};
use tickguard::live::{ReconfigureError, Versioned};
use tickguard::time::{Duration, Instant};

use crate::bulkhead::{acquired, tg_bulkhead_permit_t, untagged};
use crate::object::{
    self, get, put, put_required, read, required, status, tg_init_flags_t, TG_INIT_DEFAULT,
};
use crate::status::*;

/// What a call that ends reports to `tg_adaptive_release`: a
/// `TG_SAMPLE_*` value.
pub type tg_sample_t = u32;
/// The call completed, in `latency_ticks` (congested if slower than
/// `slow_latency_ticks`).
pub const TG_SAMPLE_DONE: tg_sample_t = 0;
/// The call was dropped: rejected, timed out or shed downstream
/// (congested).
pub const TG_SAMPLE_DROPPED: tg_sample_t = 1;
/// The call says nothing about capacity (cancelled, a client error): the
/// limit stays.
pub const TG_SAMPLE_IGNORED: tg_sample_t = 2;

/// Adaptive-limit configuration. Can be `const`; validated and copied by
/// `tg_adaptive_init`. `tg_adaptive_config_default` fills in Netflix's
/// AIMD defaults within 64 slots.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_adaptive_config_t {
    /// The limit to start from (and to return to on reset).
    pub initial_limit: u32,
    /// The lowest the limit goes (at least 1).
    pub min_limit: u32,
    /// The highest the limit goes (at most 64).
    pub max_limit: u32,
    /// The factor a congested sample multiplies the limit by, in
    /// thousandths (1 .. 999).
    pub backoff_milli: u32,
    /// A call slower than this many ticks is congested (0: latency is not
    /// looked at; at most 2^62).
    pub slow_latency_ticks: u64,
    /// How long a refused caller may keep trying, in ticks (0: give up at
    /// once; at most 2^62).
    pub max_wait_ticks: u64,
}

/// A change of the limit: `changed` is false when the release changed
/// nothing.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_limit_change_t {
    /// Whether this release changed the limit; `from` and `to` are valid
    /// only then.
    pub changed: bool,
    /// The limit before.
    pub from: u32,
    /// The limit now.
    pub to: u32,
}

/// Storage for an adaptive limit: allocate it anywhere, then call
/// `tg_adaptive_init`. A zeroed object reports `TG_E_UNINITIALIZED`; a copy
/// of a live object reports `TG_E_MOVED`. 16-byte aligned (the slots are
/// one 128-bit atomic word).
#[repr(C, align(16))]
pub struct tg_adaptive_t {
    /// Private: the object's state. Touch only through `tg_adaptive_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 20],
}

object::storage!(
    tg_adaptive_t,
    AdaptiveLimit<Versioned<AdaptiveConfig>>,
    0x7467_4144
); // "tgAD"

fn validate(config: *const tg_adaptive_config_t) -> Result<AdaptiveConfig, tg_status_t> {
    let c = read(config)?;
    AdaptiveConfig::new(AdaptiveSettings {
        initial_limit: c.initial_limit,
        min_limit: c.min_limit,
        max_limit: c.max_limit,
        backoff_milli: c.backoff_milli,
        slow_latency: Duration::from_ticks(c.slow_latency_ticks),
        max_wait: Duration::from_ticks(c.max_wait_ticks),
    })
    .map_err(config_status)
}

/// Writes the default configuration (from 20, between 4 and 64, × 0.9 when
/// congested, congested past 5 000 ticks, no waiting) to `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_adaptive_config_default(out: *mut tg_adaptive_config_t) -> tg_status_t {
    let c = AdaptiveConfig::DEFAULT.settings();
    put_required(
        out,
        tg_adaptive_config_t {
            initial_limit: c.initial_limit,
            min_limit: c.min_limit,
            max_limit: c.max_limit,
            backoff_milli: c.backoff_milli,
            slow_latency_ticks: c.slow_latency.ticks(),
            max_wait_ticks: c.max_wait.ticks(),
        },
    )
}

/// Checks a configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL,
///   `TG_E_CONFIG_ADAPTIVE_LIMITS`, `TG_E_CONFIG_BACKOFF_RATIO`,
///   `TG_E_CONFIG_LATENCY` or `TG_E_CONFIG_MAX_WAIT`.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_adaptive_config_check(config: *const tg_adaptive_config_t) -> tg_status_t {
    status(validate(config).map(|_| TG_OK))
}

/// Initialises `limit` with `config` (validated and copied), at its
/// initial limit with no call in flight. On error the object is left as
/// it was.
///
/// @param limit the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED` if `limit` is live (it keeps its state), or
///   a configuration error as `tg_adaptive_config_check`'s.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_adaptive_init(
    limit: *mut tg_adaptive_t,
    config: *const tg_adaptive_config_t,
) -> tg_status_t {
    tg_adaptive_init_ex(limit, config, TG_INIT_DEFAULT)
}

/// Initialises `limit` with `config`, with `TG_INIT_*` flags (as
/// `tg_bulkhead_init_ex`).
///
/// @param limit the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_adaptive_init`, or `TG_E_INVALID_ARGUMENT` for an unknown
///   flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_adaptive_init_ex(
    limit: *mut tg_adaptive_t,
    config: *const tg_adaptive_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(
        limit,
        validate(config).map(|config| AdaptiveLimit::new(config.live())),
        flags,
    )
}

/// Ends the life of `limit`: later calls report `TG_E_UNINITIALIZED`.
///
/// @param limit an initialised adaptive limit.
/// @return `TG_OK`, `TG_E_NULL`, or an object error.
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_adaptive_deinit(limit: *mut tg_adaptive_t) -> tg_status_t {
    object::deinit(limit)
}

/// Takes a slot for a call at tick `now` if fewer than the current limit
/// are in flight, or refuses (a refusal writes nothing). Give the permit
/// back with `tg_adaptive_release` when the call ends, on every path.
///
/// @param limit an initialised adaptive limit.
/// @param now the caller's current tick.
/// @param out_permit receives, on `TG_OK`, the permit (never 0).
/// @param out_wait_until receives, on `TG_REFUSED`, `now + max_wait_ticks`,
///   or 0 when no wait is configured; may be NULL.
/// @return `TG_OK`, `TG_REFUSED`, `TG_E_NULL` if `limit` or `out_permit` is
///   NULL, or an object error.
///
/// Lock-free where the target has a 128-bit CAS; interrupt-masked critical
/// sections elsewhere; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_adaptive_acquire(
    limit: *mut tg_adaptive_t,
    now: u64,
    out_permit: *mut tg_bulkhead_permit_t,
    out_wait_until: *mut u64,
) -> tg_status_t {
    status((|| {
        let inner = get(limit.cast_const())?;
        let out_permit = required(out_permit)?;
        let decision = inner.acquire(Instant::from_ticks(now));
        Ok(acquired(decision, limit, out_permit, out_wait_until))
    })())
}

/// Gives a slot back with what the call reported, and adjusts the limit
/// (the rule: a dropped or slow call multiplies it by `backoff_milli /
/// 1000`, at least one lower, not below `min_limit`; a completed call while
/// at least half the limit was in flight adds one, up to `max_limit`). A
/// permit not held (released already, from before a reset, of another
/// object) is refused and its sample not counted.
///
/// @param limit an initialised adaptive limit.
/// @param permit what `tg_adaptive_acquire` gave.
/// @param sample a `TG_SAMPLE_*` value.
/// @param latency_ticks how long the call took (read for `TG_SAMPLE_DONE`).
/// @param out_change receives whether this release changed the limit, and
///   how; may be NULL.
/// @return `TG_OK`, `TG_E_NOT_HELD`, `TG_E_INVALID_ARGUMENT` (an unknown
///   sample: nothing released), `TG_E_NULL` if `limit` is NULL, or an
///   object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_adaptive_release(
    limit: *mut tg_adaptive_t,
    permit: tg_bulkhead_permit_t,
    sample: tg_sample_t,
    latency_ticks: u64,
    out_change: *mut tg_limit_change_t,
) -> tg_status_t {
    status((|| {
        let inner = get(limit.cast_const())?;
        let sample = match sample {
            TG_SAMPLE_DONE => Sample::Done {
                latency: Duration::from_ticks(latency_ticks),
            },
            TG_SAMPLE_DROPPED => Sample::Dropped,
            TG_SAMPLE_IGNORED => Sample::Ignored,
            _ => return Err(TG_E_INVALID_ARGUMENT),
        };
        let change = inner
            .release(untagged(permit, limit)?, sample)
            .map_err(|_| TG_E_NOT_HELD)?;
        let LimitChange { from, to } = change.unwrap_or(LimitChange { from: 0, to: 0 });
        put(
            out_change,
            tg_limit_change_t {
                changed: change.is_some(),
                from,
                to,
            },
        );
        Ok(TG_OK)
    })())
}

/// Reads the current limit and the calls in flight. Writes nothing.
///
/// @param limit an initialised adaptive limit.
/// @param out_limit receives the current limit; may be NULL.
/// @param out_in_flight receives the calls in flight; may be NULL.
/// @return `TG_OK`, `TG_E_NULL` if `limit` is NULL, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_adaptive_state(
    limit: *const tg_adaptive_t,
    out_limit: *mut u32,
    out_in_flight: *mut u32,
) -> tg_status_t {
    status(get(limit).map(|inner| {
        put(out_limit, inner.limit());
        put(out_in_flight, inner.in_flight());
        TG_OK
    }))
}

/// Replaces the limiter's configuration while callers use it (validated
/// and copied): bounds, initial limit, backoff, slow latency, maximum
/// wait. The limit learned so far is kept, clamped into the new bounds; a
/// limiter no call has ended on yet (since init or reset) starts from the
/// new initial limit. The calls in flight keep their slots. `max_limit`
/// can be raised up to the slots the limiter was initialised with (the
/// next power of two of its first `max_limit`, at least 4: initialise it
/// with the largest you will need). A call racing this one reads the old
/// configuration or the new one, never a mix.
///
/// @param limit an initialised adaptive limit.
/// @param config the new configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, a configuration
///   error as `tg_adaptive_config_check`'s (`TG_E_CONFIG_ADAPTIVE_LIMITS`
///   too for a `max_limit` above the slots laid out), `TG_E_BUSY` while
///   another reconfiguration of this limiter is under way, or an object
///   error; on every error the limiter keeps its configuration.
///
/// Lock-free (never waits, even for a reconfiguration it interrupted);
/// safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_adaptive_reconfigure(
    limit: *mut tg_adaptive_t,
    config: *const tg_adaptive_config_t,
) -> tg_status_t {
    status((|| {
        let inner = get(limit.cast_const())?;
        inner
            .reconfigure(validate(config)?)
            .map_err(|error| match error {
                ReconfigureError::Config(error) => config_status(error),
                ReconfigureError::Busy(_) => TG_E_BUSY,
            })?;
        Ok(TG_OK)
    })())
}

/// Frees every slot (permits held become stale) and returns to the initial
/// limit.
///
/// @param limit an initialised adaptive limit.
/// @return `TG_OK`, `TG_E_NULL` if `limit` is NULL, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_adaptive_reset(limit: *mut tg_adaptive_t) -> tg_status_t {
    status(get(limit.cast_const()).map(|inner| {
        inner.reset();
        TG_OK
    }))
}
