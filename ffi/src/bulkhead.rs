//! `tg_bulkhead_*`: the bulkhead (a concurrency limit).

use tickguard::bulkhead::{Bulkhead, BulkheadConfig, BulkheadSettings, Full, Permit};
use tickguard::live::Live;
use tickguard::time::{Duration, Instant};

use crate::object::{
    self, get, put, put_required, read, required, status, tg_init_flags_t, TG_INIT_DEFAULT,
};
use crate::status::*;

/// A slot taken by `tg_bulkhead_acquire`, to give back to
/// `tg_bulkhead_release`; never 0.
pub type tg_bulkhead_permit_t = u32;

/// Bulkhead configuration. Can be `const`; validated and copied by
/// `tg_bulkhead_init`. `tg_bulkhead_config_default` fills in 25 calls, no
/// waiting.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_bulkhead_config_t {
    /// The most calls in flight (1 .. 64).
    pub max_concurrent: u32,
    /// How long a refused caller may keep trying, in ticks (0: give up at
    /// once; at most 2^62).
    pub max_wait_ticks: u64,
}

/// Storage for a bulkhead: allocate it anywhere, then call
/// `tg_bulkhead_init`. A zeroed object reports `TG_E_UNINITIALIZED`; a copy
/// of a live object reports `TG_E_MOVED`. 16-byte aligned (the state is one
/// 128-bit atomic word).
#[repr(C, align(16))]
pub struct tg_bulkhead_t {
    /// Private: the object's state. Touch only through `tg_bulkhead_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 6],
}

object::storage!(tg_bulkhead_t, Bulkhead<Live<BulkheadConfig>>, 0x7467_424C); // "tgBL"

/// Bits 22..31 of a C permit name the object it came from (its address),
/// so that a permit of another bulkhead is refused; the core's permits
/// leave them 0.
const TAG_SHIFT: u32 = 22;
const TAG_MASK: u32 = 0x1FF;

fn tag<T>(object: *const T) -> u32 {
    ((object as usize >> 4) as u32 & TAG_MASK) << TAG_SHIFT
}

/// The C permit of `permit`, taken from the object at `object`.
pub(crate) fn tagged<T>(permit: Permit, object: *const T) -> tg_bulkhead_permit_t {
    permit.to_raw() | tag(object)
}

/// The status and out-parameters of an acquire of the object at `object`
/// (a bulkhead or an adaptive limit): its tagged permit, or the tick until
/// which the caller may keep trying (0 without a maximum wait).
pub(crate) fn acquired<T>(
    decision: Result<Permit, Full>,
    object: *const T,
    out_permit: *mut tg_bulkhead_permit_t,
    out_wait_until: *mut u64,
) -> tg_status_t {
    match decision {
        Ok(permit) => {
            put(out_permit, tagged(permit, object));
            TG_OK
        }
        Err(Full { wait_until }) => {
            put(out_wait_until, wait_until.map_or(0, Instant::ticks));
            TG_REFUSED
        }
    }
}

/// The core permit of a C permit given back to the object at `object`:
/// `TG_E_NOT_HELD` if it names another object.
pub(crate) fn untagged<T>(
    permit: tg_bulkhead_permit_t,
    object: *const T,
) -> Result<Permit, tg_status_t> {
    if permit & (TAG_MASK << TAG_SHIFT) != tag(object) {
        return Err(TG_E_NOT_HELD);
    }
    Ok(Permit::from_raw(permit & !(TAG_MASK << TAG_SHIFT)))
}

fn validate(config: *const tg_bulkhead_config_t) -> Result<BulkheadConfig, tg_status_t> {
    let c = read(config)?;
    BulkheadConfig::new(BulkheadSettings {
        max_concurrent: c.max_concurrent,
        max_wait: Duration::from_ticks(c.max_wait_ticks),
    })
    .map_err(config_status)
}

/// Writes the default bulkhead configuration (25 calls in flight,
/// Resilience4j's default; no waiting) to `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_bulkhead_config_default(out: *mut tg_bulkhead_config_t) -> tg_status_t {
    let c = BulkheadConfig::DEFAULT;
    put_required(
        out,
        tg_bulkhead_config_t {
            max_concurrent: c.max_concurrent(),
            max_wait_ticks: c.max_wait().ticks(),
        },
    )
}

/// Checks a configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL,
///   `TG_E_CONFIG_MAX_CONCURRENT` or `TG_E_CONFIG_MAX_WAIT`.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_bulkhead_config_check(config: *const tg_bulkhead_config_t) -> tg_status_t {
    status(validate(config).map(|_| TG_OK))
}

/// Initialises `bulkhead` with `config` (validated and copied), with no
/// call in flight. On error the object is left as it was.
///
/// @param bulkhead the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED` if `bulkhead` is live (it keeps its state),
///   `TG_E_CONFIG_MAX_CONCURRENT` or `TG_E_CONFIG_MAX_WAIT`.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_bulkhead_init(
    bulkhead: *mut tg_bulkhead_t,
    config: *const tg_bulkhead_config_t,
) -> tg_status_t {
    tg_bulkhead_init_ex(bulkhead, config, TG_INIT_DEFAULT)
}

/// Initialises `bulkhead` with `config`, with `TG_INIT_*` flags (as
/// `tg_bucket_init_ex`: `TG_INIT_REINIT`, `TG_INIT_SHARED`; in shared
/// memory each process releases the permits it acquired).
///
/// @param bulkhead the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_bulkhead_init`, or `TG_E_INVALID_ARGUMENT` for an unknown
///   flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_bulkhead_init_ex(
    bulkhead: *mut tg_bulkhead_t,
    config: *const tg_bulkhead_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(
        bulkhead,
        validate(config).map(|config| Bulkhead::new(config.live())),
        flags,
    )
}

/// Ends the life of `bulkhead`: later calls report `TG_E_UNINITIALIZED`,
/// and `tg_bulkhead_init` may initialise it again.
///
/// @param bulkhead an initialised bulkhead.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_bulkhead_deinit(bulkhead: *mut tg_bulkhead_t) -> tg_status_t {
    object::deinit(bulkhead)
}

/// Takes a slot for a call at tick `now`, or refuses when every slot is
/// taken (a refusal does not write the bulkhead). Give the permit back with
/// `tg_bulkhead_release` when the call returns, on every path.
///
/// @param bulkhead an initialised bulkhead.
/// @param now the caller's current tick.
/// @param out_permit receives, on `TG_OK`, the permit (never 0).
/// @param out_wait_until receives, on `TG_REFUSED`, `now + max_wait_ticks`:
///   the tick until which the caller may keep trying (keep the first
///   refusal's), or 0 when no wait is configured; may be NULL.
/// @return `TG_OK`, `TG_REFUSED` when full, `TG_E_NULL` if `bulkhead` or
///   `out_permit` is NULL, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 128-bit CAS (x86_64, aarch64);
/// interrupt-masked critical section elsewhere; safe from interrupt
/// handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bulkhead_acquire(
    bulkhead: *mut tg_bulkhead_t,
    now: u64,
    out_permit: *mut tg_bulkhead_permit_t,
    out_wait_until: *mut u64,
) -> tg_status_t {
    status((|| {
        let inner = get(bulkhead.cast_const())?;
        let out_permit = required(out_permit)?;
        let decision = inner.acquire(Instant::from_ticks(now));
        Ok(acquired(decision, bulkhead, out_permit, out_wait_until))
    })())
}

/// Gives a slot back. A permit not held now (released already, from before
/// a reset, of another bulkhead, or not a permit) is refused and changes
/// nothing: the count never underflows.
///
/// @param bulkhead an initialised bulkhead.
/// @param permit what `tg_bulkhead_acquire` gave.
/// @return `TG_OK`, `TG_E_NOT_HELD`, `TG_E_NULL` if `bulkhead` is NULL, or
///   an object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`,
///   `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bulkhead_release(
    bulkhead: *mut tg_bulkhead_t,
    permit: tg_bulkhead_permit_t,
) -> tg_status_t {
    status((|| {
        let inner = get(bulkhead.cast_const())?;
        inner
            .release(untagged(permit, bulkhead)?)
            .map(|()| TG_OK)
            .map_err(|_| TG_E_NOT_HELD)
    })())
}

/// Reads the calls in flight. Writes nothing to the bulkhead.
///
/// @param bulkhead an initialised bulkhead.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bulkhead_in_flight(
    bulkhead: *const tg_bulkhead_t,
    out: *mut u32,
) -> tg_status_t {
    status((|| {
        let inner = get(bulkhead)?;
        let out = required(out)?;
        put(out, inner.in_flight());
        Ok(TG_OK)
    })())
}

/// Replaces the bulkhead's `max_concurrent` and `max_wait` while callers
/// use it (validated and copied). The calls in flight keep their slots and
/// release them as before; a lower limit refuses new calls until fewer
/// than it are in flight. The limit can be raised up to the slots the
/// bulkhead was initialised with (the next power of two of its first
/// `max_concurrent`, at least 4: initialise it with the largest you will
/// need).
///
/// @param bulkhead an initialised bulkhead.
/// @param config the new configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL,
///   `TG_E_CONFIG_MAX_CONCURRENT` (0, above 64, or above the slots laid
///   out), `TG_E_CONFIG_MAX_WAIT` (the bulkhead keeps its configuration),
///   or an object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`,
///   `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bulkhead_reconfigure(
    bulkhead: *mut tg_bulkhead_t,
    config: *const tg_bulkhead_config_t,
) -> tg_status_t {
    status((|| {
        let bulkhead = get(bulkhead.cast_const())?;
        bulkhead
            .reconfigure(validate(config)?)
            .map_err(config_status)?;
        Ok(TG_OK)
    })())
}

/// Frees every slot; permits held now become stale (their release reports
/// `TG_E_NOT_HELD`). For recovery once the calls in flight are known gone.
///
/// @param bulkhead an initialised bulkhead.
/// @return `TG_OK`, `TG_E_NULL` if `bulkhead` is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bulkhead_reset(bulkhead: *mut tg_bulkhead_t) -> tg_status_t {
    status(get(bulkhead.cast_const()).map(|inner| {
        inner.reset();
        TG_OK
    }))
}
