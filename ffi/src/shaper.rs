//! `tg_shaper_*`: the leaky bucket as a queue (a traffic shaper).

use tickguard::bucket::Refused;
use tickguard::shaper::{LiveShaper, ShaperConfig, ShaperSettings};
use tickguard::time::{Duration, Instant};

use crate::object::{
    self, get, put, put_required, read, required, status, tg_init_flags_t, TG_INIT_DEFAULT,
};
use crate::status::*;

/// Shaper configuration: a token bucket's capacity and rate, and the
/// longest a request may be told to wait. Can be `const`; validated and
/// copied by `tg_shaper_init`. `tg_shaper_config_default` fills in nginx's
/// `rate=10r/s burst=20` in ticks of 1 ms.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_shaper_config_t {
    /// Tokens that may go at once (at least 1; 1 spaces every request).
    pub capacity: u32,
    /// Tokens that may go every `period_ticks` (at least 1).
    pub tokens: u32,
    /// Ticks per `tokens` (1 .. 2^62).
    pub period_ticks: u64,
    /// The longest a request may be told to wait (0: now or refused; at
    /// most 2^62).
    pub max_wait_ticks: u64,
}

/// Storage for a shaper: allocate it anywhere, then call `tg_shaper_init`.
/// A zeroed object reports `TG_E_UNINITIALIZED`; a copy of a live object
/// reports `TG_E_MOVED`. 16-byte aligned.
#[repr(C, align(16))]
pub struct tg_shaper_t {
    /// Private: the object's state. Touch only through `tg_shaper_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 18],
}

object::storage!(tg_shaper_t, LiveShaper, 0x7467_5349); // "tgSI"

fn validate(config: *const tg_shaper_config_t) -> Result<ShaperConfig, tg_status_t> {
    let c = read(config)?;
    ShaperConfig::new(ShaperSettings {
        capacity: c.capacity,
        tokens: c.tokens,
        period: Duration::from_ticks(c.period_ticks),
        max_wait: Duration::from_ticks(c.max_wait_ticks),
    })
    .map_err(config_status)
}

/// Writes the default shaper configuration (nginx's `rate=10r/s burst=20`
/// without `nodelay`, in ticks of 1 ms: capacity 1, 10 tokens per 1 000
/// ticks, waits up to 2 000 ticks) to `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_shaper_config_default(out: *mut tg_shaper_config_t) -> tg_status_t {
    let c = ShaperConfig::DEFAULT;
    put_required(
        out,
        tg_shaper_config_t {
            capacity: c.rate().capacity(),
            tokens: c.rate().tokens(),
            period_ticks: c.rate().period().ticks(),
            max_wait_ticks: c.max_wait().ticks(),
        },
    )
}

/// Checks a configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL, or the
///   `TG_E_CONFIG_*` code of the first invalid field
///   (`TG_E_CONFIG_ZERO_CAPACITY`, `TG_E_CONFIG_ZERO_REFILL`,
///   `TG_E_CONFIG_PERIOD`, `TG_E_CONFIG_MAX_WAIT`).
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_shaper_config_check(config: *const tg_shaper_config_t) -> tg_status_t {
    status(validate(config).map(|_| TG_OK))
}

/// Initialises `shaper` with `config` (validated and copied), with nothing
/// queued. On error the object is left as it was.
///
/// @param shaper the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED` if `shaper` is live (it keeps its state),
///   or the `TG_E_CONFIG_*` code of the first invalid field.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_shaper_init(
    shaper: *mut tg_shaper_t,
    config: *const tg_shaper_config_t,
) -> tg_status_t {
    tg_shaper_init_ex(shaper, config, TG_INIT_DEFAULT)
}

/// Initialises `shaper` with `config`, with `TG_INIT_*` flags (as
/// `tg_bucket_init_ex`: `TG_INIT_REINIT`, `TG_INIT_SHARED`).
///
/// @param shaper the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_shaper_init`, or `TG_E_INVALID_ARGUMENT` for an unknown
///   flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_shaper_init_ex(
    shaper: *mut tg_shaper_t,
    config: *const tg_shaper_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(shaper, validate(config).map(LiveShaper::new), flags)
}

/// Ends the life of `shaper`: later calls report `TG_E_UNINITIALIZED`, and
/// `tg_shaper_init` may initialise it again.
///
/// @param shaper an initialised shaper.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_shaper_deinit(shaper: *mut tg_shaper_t) -> tg_status_t {
    object::deinit(shaper)
}

/// Reserves `n` tokens at tick `now` and says when to send them: `now` if
/// they may go now, else the earliest tick at which they conform, behind
/// every request scheduled before. Wait until then and send. A request
/// that would wait more than `max_wait_ticks` is refused and reserves
/// nothing (the refusal writes nothing). `n = 0` goes now.
///
/// @param shaper an initialised shaper.
/// @param n how many tokens.
/// @param now the caller's current tick.
/// @param out_send_at receives, on `TG_OK`, the tick at which to send.
/// @param out_retry_at receives, on `TG_REFUSED`, the tick from which the
///   wait would be short enough (if nobody else schedules first); may be
///   NULL.
/// @return `TG_OK` when scheduled, `TG_REFUSED` when the wait would be too
///   long, `TG_E_EXCEEDS_CAPACITY` when `n` exceeds the capacity (it never
///   can go), `TG_E_NULL` if `shaper` or `out_send_at` is NULL, or an
///   object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 64-bit or 128-bit CAS as the rate
/// needs (x86_64, aarch64); interrupt-masked critical section elsewhere;
/// safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_shaper_schedule(
    shaper: *mut tg_shaper_t,
    n: u32,
    now: u64,
    out_send_at: *mut u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    status((|| {
        let shaper = get(shaper.cast_const())?;
        let out_send_at = required(out_send_at)?;
        match shaper.schedule(n, Instant::from_ticks(now)) {
            Ok(send_at) => {
                put(out_send_at, send_at.ticks());
                Ok(TG_OK)
            }
            Err(Refused::Wait { retry_at }) => {
                put(out_retry_at, retry_at.ticks());
                Ok(TG_REFUSED)
            }
            Err(Refused::ExceedsCapacity) => Err(TG_E_EXCEEDS_CAPACITY),
        }
    })())
}

/// Replaces the shaper's configuration while callers use it (validated
/// and copied), at `now`: its tokens carry over (clamped to the new
/// capacity); sends already given keep their ticks, and a queue of them
/// (given behind an empty bucket) is kept as time, so later requests go
/// after it at the new rate. A `now` older than the latest request counts
/// no earlier than the earliest tick the shaper can have scheduled at. A
/// call racing this one is judged under the old configuration or the new
/// one, never a mix.
///
/// @param shaper an initialised shaper.
/// @param config the new configuration; it need not outlive the call.
/// @param now the caller's current tick.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, a configuration
///   error (`TG_E_CONFIG_ZERO_CAPACITY`, `TG_E_CONFIG_ZERO_REFILL`,
///   `TG_E_CONFIG_PERIOD`, `TG_E_CONFIG_MAX_WAIT`), `TG_E_BUSY` while
///   another reconfiguration of this shaper is under way, or an object
///   error; on every error the shaper keeps its configuration.
///
/// Lock-free (never waits); safe from interrupt handlers and from several
/// threads at once.
#[no_mangle]
pub extern "C" fn tg_shaper_reconfigure(
    shaper: *mut tg_shaper_t,
    config: *const tg_shaper_config_t,
    now: u64,
) -> tg_status_t {
    status((|| {
        let shaper = get(shaper.cast_const())?;
        shaper
            .reconfigure(validate(config)?, Instant::from_ticks(now))
            .map_err(|_| TG_E_BUSY)?;
        Ok(TG_OK)
    })())
}

/// Empties the queue, as if new.
///
/// @param shaper an initialised shaper.
/// @return `TG_OK`, `TG_E_NULL` if `shaper` is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_shaper_reset(shaper: *mut tg_shaper_t) -> tg_status_t {
    status(get(shaper.cast_const()).map(|shaper| {
        shaper.reset();
        TG_OK
    }))
}
