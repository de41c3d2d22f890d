//! `tg_sliding_window_*`: the sliding-window counter.

use tickguard::bucket::Refused;
use tickguard::live::Live;
use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
use tickguard::time::{Duration, Instant};

use crate::object::{
    self, get, put, put_required, read, required, status, tg_init_flags_t, TG_INIT_DEFAULT,
};
use crate::status::*;

/// Sliding-window configuration. Can be `const`; validated and copied by
/// `tg_sliding_window_init`. `tg_sliding_window_config_default` fills in
/// 100 events per 60 000 ticks.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_sliding_window_config_t {
    /// The most events per window (at least 1).
    pub limit: u32,
    /// The window's length in ticks (1 .. 2^62).
    pub window_ticks: u64,
}

/// Storage for a sliding-window counter: allocate it anywhere, then call
/// `tg_sliding_window_init`. A zeroed object reports `TG_E_UNINITIALIZED`;
/// a copy of a live object reports `TG_E_MOVED`. 16-byte aligned (the
/// state is one 128-bit atomic word).
#[repr(C, align(16))]
pub struct tg_sliding_window_t {
    /// Private: the object's state. Touch only through
    /// `tg_sliding_window_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 6],
}

object::storage!(
    tg_sliding_window_t,
    SlidingWindow<Live<SlidingWindowConfig>>,
    0x7467_5357
); // "tgSW"

/// The validated configuration behind `config`.
pub(crate) fn sliding_window_config(
    config: *const tg_sliding_window_config_t,
) -> Result<SlidingWindowConfig, tg_status_t> {
    let c = read(config)?;
    SlidingWindowConfig::new(SlidingWindowSettings {
        limit: c.limit,
        window: Duration::from_ticks(c.window_ticks),
    })
    .map_err(config_status)
}

/// Writes the default sliding-window configuration (100 events per 60 000
/// ticks: a minute of 1 ms ticks) to `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_sliding_window_config_default(
    out: *mut tg_sliding_window_config_t,
) -> tg_status_t {
    let c = SlidingWindowConfig::DEFAULT;
    put_required(
        out,
        tg_sliding_window_config_t {
            limit: c.limit(),
            window_ticks: c.window().ticks(),
        },
    )
}

/// Checks a configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL, `TG_E_CONFIG_LIMIT`
///   or `TG_E_CONFIG_WINDOW`.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_sliding_window_config_check(
    config: *const tg_sliding_window_config_t,
) -> tg_status_t {
    status(sliding_window_config(config).map(|_| TG_OK))
}

/// Initialises `window` with `config` (validated and copied), with nothing
/// counted. On error the object is left as it was.
///
/// @param window the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED` if `window` is live (it keeps its state),
///   `TG_E_CONFIG_LIMIT` or `TG_E_CONFIG_WINDOW`.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_sliding_window_init(
    window: *mut tg_sliding_window_t,
    config: *const tg_sliding_window_config_t,
) -> tg_status_t {
    tg_sliding_window_init_ex(window, config, TG_INIT_DEFAULT)
}

/// Initialises `window` with `config`, with `TG_INIT_*` flags (as
/// `tg_bucket_init_ex`: `TG_INIT_REINIT`, `TG_INIT_SHARED`).
///
/// @param window the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_sliding_window_init`, or `TG_E_INVALID_ARGUMENT` for an
///   unknown flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_sliding_window_init_ex(
    window: *mut tg_sliding_window_t,
    config: *const tg_sliding_window_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(
        window,
        sliding_window_config(config).map(|config| SlidingWindow::new(config.live())),
        flags,
    )
}

/// Ends the life of `window`: later calls report `TG_E_UNINITIALIZED`, and
/// `tg_sliding_window_init` may initialise it again.
///
/// @param window an initialised counter.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_sliding_window_deinit(window: *mut tg_sliding_window_t) -> tg_status_t {
    object::deinit(window)
}

/// Counts `n` events at tick `now` if the sliding estimate (the previous
/// window weighted by what the sliding window still covers, plus the
/// current window) has room for them. A refusal does not write the
/// counter. `n = 0` always succeeds.
///
/// @param window an initialised counter.
/// @param n how many events.
/// @param now the caller's current tick.
/// @param out_retry_at receives, on `TG_REFUSED`, the earliest tick at which
///   `n` events would fit; may be NULL.
/// @return `TG_OK` when counted, `TG_REFUSED` when not now,
///   `TG_E_EXCEEDS_CAPACITY` when `n` exceeds the limit (it never can
///   fit), `TG_E_NULL` if `window` is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 128-bit CAS (x86_64, aarch64);
/// interrupt-masked critical section elsewhere; safe from interrupt
/// handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_sliding_window_acquire(
    window: *mut tg_sliding_window_t,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    status((|| {
        let window = get(window.cast_const())?;
        match window.acquire(n, Instant::from_ticks(now)) {
            Ok(()) => Ok(TG_OK),
            Err(Refused::Wait { retry_at }) => {
                put(out_retry_at, retry_at.ticks());
                Ok(TG_REFUSED)
            }
            Err(Refused::ExceedsCapacity) => Err(TG_E_EXCEEDS_CAPACITY),
        }
    })())
}

/// Reads how many events would fit at `now`. Writes nothing to the
/// counter.
///
/// @param window an initialised counter.
/// @param now the caller's current tick.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_sliding_window_available(
    window: *const tg_sliding_window_t,
    now: u64,
    out: *mut u32,
) -> tg_status_t {
    status((|| {
        let window = get(window)?;
        let out = required(out)?;
        put(out, window.available(Instant::from_ticks(now)));
        Ok(TG_OK)
    })())
}

/// Replaces the counter's configuration while callers use it (validated
/// and copied; one atomic store). The counts stay: a new `limit` applies
/// to them at once; the current window keeps its start, and a new
/// `window` sets where it ends and how much of the previous one still
/// weighs. A call racing this one is judged under the old configuration or
/// the new one, never a mix.
///
/// @param window an initialised counter.
/// @param config the new configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL,
///   `TG_E_CONFIG_LIMIT` or `TG_E_CONFIG_WINDOW` (the counter keeps its
///   configuration), or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_sliding_window_reconfigure(
    window: *mut tg_sliding_window_t,
    config: *const tg_sliding_window_config_t,
) -> tg_status_t {
    status((|| {
        let window = get(window.cast_const())?;
        window.reconfigure(sliding_window_config(config)?);
        Ok(TG_OK)
    })())
}

/// Forgets every count, as if new.
///
/// @param window an initialised counter.
/// @return `TG_OK`, `TG_E_NULL` if `window` is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_sliding_window_reset(window: *mut tg_sliding_window_t) -> tg_status_t {
    status(get(window.cast_const()).map(|window| {
        window.reset();
        TG_OK
    }))
}
