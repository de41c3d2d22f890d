//! `tg_fixed_window_*`: the fixed window with a suppression count (the
//! Linux kernel's `ratelimit`, for log-flood protection).

use tickguard::fixed_window::{
    Admitted, Denied, FixedWindow, FixedWindowConfig, FixedWindowSettings,
};
use tickguard::live::Live;
use tickguard::time::{Duration, Instant};

use crate::object::{
    self, get, put, put_required, read, required, status, tg_init_flags_t, TG_INIT_DEFAULT,
};
use crate::status::*;

/// Fixed-window configuration. Can be `const`; validated and copied by
/// `tg_fixed_window_init`. `tg_fixed_window_config_default` fills in the
/// kernel's default (10 events per 5 000 ticks of 1 ms).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_fixed_window_config_t {
    /// The most events admitted per window (0 denies every event, and
    /// counts it).
    pub burst: u32,
    /// The window's length in ticks (0 admits every event; at most 2^62).
    pub interval_ticks: u64,
}

/// The decision of `tg_fixed_window_acquire`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_fixed_window_decision_t {
    /// Events the previous window denied, reported by this call because it
    /// began a new window (0 otherwise), whether this call is admitted or
    /// denied: log them ("12 messages suppressed"); no other call reports
    /// them.
    pub missed: u32,
    /// When denied (`TG_REFUSED`): whether `retry_at` is set (false when
    /// the events can never be admitted: more at once than `burst`, or
    /// `burst` 0).
    pub has_retry_at: bool,
    /// When denied: the tick at which the window rolls over.
    pub retry_at: u64,
}

/// Storage for a fixed window: allocate it anywhere, then call
/// `tg_fixed_window_init`. A zeroed object reports `TG_E_UNINITIALIZED`; a
/// copy of a live object reports `TG_E_MOVED`. 16-byte aligned (the state
/// is one 128-bit atomic word).
#[repr(C, align(16))]
pub struct tg_fixed_window_t {
    /// Private: the object's state. Touch only through `tg_fixed_window_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 6],
}

object::storage!(
    tg_fixed_window_t,
    FixedWindow<Live<FixedWindowConfig>>,
    0x7467_4657
); // "tgFW"

fn validate(config: *const tg_fixed_window_config_t) -> Result<FixedWindowConfig, tg_status_t> {
    let c = read(config)?;
    FixedWindowConfig::new(FixedWindowSettings {
        burst: c.burst,
        interval: Duration::from_ticks(c.interval_ticks),
    })
    .map_err(config_status)
}

/// Writes the default fixed-window configuration (the kernel's
/// `DEFAULT_RATELIMIT_BURST` per `DEFAULT_RATELIMIT_INTERVAL`, in ticks of
/// 1 ms: 10 events per 5 000 ticks) to `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_fixed_window_config_default(
    out: *mut tg_fixed_window_config_t,
) -> tg_status_t {
    let c = FixedWindowConfig::DEFAULT;
    put_required(
        out,
        tg_fixed_window_config_t {
            burst: c.burst(),
            interval_ticks: c.interval().ticks(),
        },
    )
}

/// Checks a configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL, or
///   `TG_E_CONFIG_INTERVAL` if `interval_ticks` is above 2^62.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_fixed_window_config_check(
    config: *const tg_fixed_window_config_t,
) -> tg_status_t {
    status(validate(config).map(|_| TG_OK))
}

/// Initialises `window` with `config` (validated and copied): no window
/// has begun. On error the object is left as it was.
///
/// @param window the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED` if `window` is live (it keeps its state),
///   or `TG_E_CONFIG_INTERVAL`.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_fixed_window_init(
    window: *mut tg_fixed_window_t,
    config: *const tg_fixed_window_config_t,
) -> tg_status_t {
    tg_fixed_window_init_ex(window, config, TG_INIT_DEFAULT)
}

/// Initialises `window` with `config`, with `TG_INIT_*` flags (as
/// `tg_bucket_init_ex`: `TG_INIT_REINIT`, `TG_INIT_SHARED`).
///
/// @param window the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_fixed_window_init`, or `TG_E_INVALID_ARGUMENT` for an
///   unknown flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_fixed_window_init_ex(
    window: *mut tg_fixed_window_t,
    config: *const tg_fixed_window_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(
        window,
        validate(config).map(|config| FixedWindow::new(config.live())),
        flags,
    )
}

/// Ends the life of `window`: later calls report `TG_E_UNINITIALIZED`, and
/// `tg_fixed_window_init` may initialise it again.
///
/// @param window an initialised window.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_fixed_window_deinit(window: *mut tg_fixed_window_t) -> tg_status_t {
    object::deinit(window)
}

/// Admits `n` events at tick `now` if the window has room for all of them,
/// or denies them and counts them as missed (a denial writes the count).
/// The call that begins a new window reports the previous window's missed
/// count in `out->missed`, whatever it decides. `n = 0` is admitted and
/// changes nothing.
///
/// @param window an initialised window.
/// @param n how many events (1 for one log line).
/// @param now the caller's current tick.
/// @param out receives the decision on `TG_OK` and `TG_REFUSED` (required:
///   a missed count is reported once, here), left alone otherwise.
/// @return `TG_OK` when admitted, `TG_REFUSED` when denied, `TG_E_NULL` if
///   a pointer is NULL, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 128-bit CAS (x86_64, aarch64);
/// interrupt-masked critical section elsewhere; safe from interrupt
/// handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_fixed_window_acquire(
    window: *mut tg_fixed_window_t,
    n: u32,
    now: u64,
    out: *mut tg_fixed_window_decision_t,
) -> tg_status_t {
    status((|| {
        let window = get(window.cast_const())?;
        let out = required(out)?;
        let (code, decision) = match window.acquire(n, Instant::from_ticks(now)) {
            Ok(Admitted { missed }) => (
                TG_OK,
                tg_fixed_window_decision_t {
                    missed,
                    has_retry_at: false,
                    retry_at: 0,
                },
            ),
            Err(Denied { retry_at, missed }) => (
                TG_REFUSED,
                tg_fixed_window_decision_t {
                    missed,
                    has_retry_at: retry_at.is_some(),
                    retry_at: retry_at.map_or(0, Instant::ticks),
                },
            ),
        };
        put(out, decision);
        Ok(code)
    })())
}

/// Reads how many events the window would admit at `now`. Writes nothing
/// to the window.
///
/// @param window an initialised window.
/// @param now the caller's current tick.
/// @param out receives the count (`UINT32_MAX` for `interval_ticks` 0).
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_fixed_window_remaining(
    window: *const tg_fixed_window_t,
    now: u64,
    out: *mut u32,
) -> tg_status_t {
    status((|| {
        let window = get(window)?;
        let out = required(out)?;
        put(out, window.remaining(Instant::from_ticks(now)));
        Ok(TG_OK)
    })())
}

/// Reports the events missed so far in the current window and clears the
/// count, so the window's roll-over does not report them again: for a
/// last "N suppressed" at shutdown, or a periodic flush.
///
/// @param window an initialised window.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once (each
/// missed event is reported to exactly one caller).
#[no_mangle]
pub extern "C" fn tg_fixed_window_take_missed(
    window: *mut tg_fixed_window_t,
    out: *mut u32,
) -> tg_status_t {
    status((|| {
        let window = get(window.cast_const())?;
        let out = required(out)?;
        put(out, window.take_missed());
        Ok(TG_OK)
    })())
}

/// Replaces the window's configuration while callers use it (validated
/// and copied; one atomic store). The current window keeps its count and
/// its end: a new `burst` applies to it at once, a new `interval` from the
/// next window; missed events are still reported once. A call racing this
/// one is judged under the old configuration or the new one, never a mix.
///
/// @param window an initialised window.
/// @param config the new configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL,
///   `TG_E_CONFIG_INTERVAL` (the window keeps its configuration), or an
///   object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_fixed_window_reconfigure(
    window: *mut tg_fixed_window_t,
    config: *const tg_fixed_window_config_t,
) -> tg_status_t {
    status((|| {
        let window = get(window.cast_const())?;
        window.reconfigure(validate(config)?);
        Ok(TG_OK)
    })())
}

/// Forgets the window and its missed count, as if new.
///
/// @param window an initialised window.
/// @return `TG_OK`, `TG_E_NULL` if `window` is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_fixed_window_reset(window: *mut tg_fixed_window_t) -> tg_status_t {
    status(get(window.cast_const()).map(|window| {
        window.reset();
        TG_OK
    }))
}
