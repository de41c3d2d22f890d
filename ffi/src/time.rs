//! Tick conversions and the 32-bit tick extender.

use tickguard::time::Duration;
use tickguard::time::TickExtender;

use crate::object::{self, get, put, required, status, tg_init_flags_t, TG_INIT_DEFAULT};
use crate::status::{tg_status_t, TG_E_CONFIG_DURATION_TOO_LONG, TG_E_INVALID_ARGUMENT, TG_OK};

/// The longest duration any configuration field or duration argument
/// accepts, and the horizon up to which every guarantee holds: 2^62 ticks
/// (146 years at 1 GHz). The header's "2^62" is this value.
pub const TG_MAX_DURATION_TICKS: u64 = 4_611_686_018_427_387_904;

// A literal for cbindgen; the build fails when it differs from the core's.
const _: () = assert!(TG_MAX_DURATION_TICKS == tickguard::time::MAX_DURATION);

fn convert(result: Option<u64>, tick_hz: u64, out: *mut u64) -> tg_status_t {
    status((|| {
        let out = required(out)?;
        if tick_hz == 0 {
            return Err(TG_E_INVALID_ARGUMENT);
        }
        let ticks = result.ok_or(TG_E_CONFIG_DURATION_TOO_LONG)?;
        put(out, ticks);
        Ok(TG_OK)
    })())
}

/// Converts milliseconds to ticks of a counter, rounding up.
///
/// @param ms the duration in milliseconds.
/// @param tick_hz the counter's frequency in Hz.
/// @param out_ticks receives the duration in ticks.
/// @return `TG_OK`, `TG_E_NULL` if `out_ticks` is NULL,
///   `TG_E_INVALID_ARGUMENT` for a zero frequency, or
///   `TG_E_CONFIG_DURATION_TOO_LONG` if the result is above 2^62 ticks.
///
/// Pure: safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_ticks_from_millis(ms: u64, tick_hz: u64, out_ticks: *mut u64) -> tg_status_t {
    convert(
        Duration::from_millis(ms, tick_hz).map(Duration::ticks),
        tick_hz,
        out_ticks,
    )
}

/// Converts microseconds to ticks of a counter, rounding up.
///
/// @param us the duration in microseconds.
/// @param tick_hz the counter's frequency in Hz.
/// @param out_ticks receives the duration in ticks.
/// @return `TG_OK`, `TG_E_NULL` if `out_ticks` is NULL,
///   `TG_E_INVALID_ARGUMENT` for a zero frequency, or
///   `TG_E_CONFIG_DURATION_TOO_LONG` if the result is above 2^62 ticks.
///
/// Pure: safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_ticks_from_micros(us: u64, tick_hz: u64, out_ticks: *mut u64) -> tg_status_t {
    convert(
        Duration::from_micros(us, tick_hz).map(Duration::ticks),
        tick_hz,
        out_ticks,
    )
}

/// Storage for a tick extender, which turns a wrapping 32-bit tick counter
/// (`HAL_GetTick()`, `xTaskGetTickCount()`) into the monotonic 64-bit ticks
/// every guard takes. Its one rule: it must see the counter at least once
/// every 2^31 ticks (call it from the tick interrupt, for example).
/// 16-byte aligned.
#[repr(C, align(16))]
pub struct tg_tick_extender_t {
    /// Private: the object's state. Touch only through `tg_tick_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 4],
}

object::storage!(tg_tick_extender_t, TickExtender, 0x7467_5845); // "tgXE"

/// Initialises `extender` for a counter that reads `start` now (0 for a
/// counter that starts at boot).
///
/// @param extender the caller-allocated object to initialise.
/// @param start the counter's current 32-bit value.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`, or
///   `TG_E_ALREADY_INITIALIZED` if `extender` is live.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_tick_extender_init(
    extender: *mut tg_tick_extender_t,
    start: u32,
) -> tg_status_t {
    tg_tick_extender_init_ex(extender, start, TG_INIT_DEFAULT)
}

/// Initialises `extender` as `tg_tick_extender_init` does, with `TG_INIT_*`
/// flags.
///
/// @param extender the caller-allocated object to initialise.
/// @param start the counter's current 32-bit value.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_tick_extender_init`, or `TG_E_INVALID_ARGUMENT` for an
///   unknown flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_tick_extender_init_ex(
    extender: *mut tg_tick_extender_t,
    start: u32,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(extender, Ok(TickExtender::starting_at(start)), flags)
}

/// Extends a 32-bit counter reading to a 64-bit tick. A reading older than
/// the latest (a caller that read the counter and was preempted) extends to
/// its own earlier tick, never to a jump of 2^32.
///
/// @param extender an initialised extender.
/// @param raw the counter's 32-bit value.
/// @param out_ticks receives the 64-bit tick.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 64-bit CAS; interrupt-masked critical
/// section elsewhere; safe from interrupt handlers and from several threads
/// at once.
#[no_mangle]
pub extern "C" fn tg_tick_extend(
    extender: *mut tg_tick_extender_t,
    raw: u32,
    out_ticks: *mut u64,
) -> tg_status_t {
    status((|| {
        let extender = get(extender.cast_const())?;
        let out = required(out_ticks)?;
        put(out, extender.extend(raw).ticks());
        Ok(TG_OK)
    })())
}
