//! Tick conversions.

use crate::object::{put, required, status};
use crate::status::{tg_status_t, TG_E_CONFIG_DURATION_TOO_LONG, TG_E_INVALID_ARGUMENT, TG_OK};

fn convert(result: Option<u32>, tick_hz: u32, out: *mut u32) -> tg_status_t {
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
///   `TG_E_CONFIG_DURATION_TOO_LONG` if the result is 2^31 ticks or more.
///
/// Pure: safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_ticks_from_millis(ms: u32, tick_hz: u32, out_ticks: *mut u32) -> tg_status_t {
    convert(
        tickguard::time::ticks_from_millis(ms, tick_hz),
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
///   `TG_E_CONFIG_DURATION_TOO_LONG` if the result is 2^31 ticks or more.
///
/// Pure: safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_ticks_from_micros(us: u32, tick_hz: u32, out_ticks: *mut u32) -> tg_status_t {
    convert(
        tickguard::time::ticks_from_micros(us, tick_hz),
        tick_hz,
        out_ticks,
    )
}
