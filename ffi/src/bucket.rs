//! `tg_bucket_*`: the token bucket.

use tickguard::bucket::{BucketConfig, Denied, TokenBucket};

use crate::object::{self, get, put, read, required, status};
use crate::status::*;

/// `initial_fill` value meaning "start full".
pub const TG_BUCKET_FULL: u32 = u32::MAX;

/// Token-bucket configuration. Can be `const`; validated and copied by
/// `tg_bucket_init`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_bucket_config_t {
    /// The most tokens the bucket holds: the burst (at least 1).
    pub capacity: u32,
    /// Tokens refilled every `period_ticks` (at least 1).
    pub tokens: u32,
    /// Ticks per refill of `tokens` (1 .. 2^31-1).
    pub period_ticks: u32,
    /// Tokens at the start (at most `capacity`), or `TG_BUCKET_FULL`.
    pub initial_fill: u32,
}

/// Storage for a token bucket: allocate it anywhere, then call
/// `tg_bucket_init`. A zeroed object reports `TG_E_UNINITIALIZED`. Do not
/// copy an initialised object.
#[repr(C)]
pub struct tg_bucket_t {
    /// Private: the object's state. Touch only through `tg_bucket_*`.
    pub _opaque: [core::cell::UnsafeCell<u32>; 10],
}

object::storage!(tg_bucket_t, TokenBucket<BucketConfig>, 0x7467_544B); // "tgTK"

fn validate(config: *const tg_bucket_config_t) -> Result<BucketConfig, tg_status_t> {
    let c = read(config)?;
    let base = BucketConfig::new(c.capacity, c.tokens, c.period_ticks).map_err(config_status)?;
    if c.initial_fill == TG_BUCKET_FULL {
        return Ok(base);
    }
    base.with_initial_fill(c.initial_fill)
        .map_err(config_status)
}

/// Checks a configuration: `TG_OK` or the `TG_E_CONFIG_*` code of the first
/// invalid field.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_bucket_config_check(config: *const tg_bucket_config_t) -> tg_status_t {
    status(validate(config).map(|_| TG_OK))
}

/// Initialises `bucket` with `config` (validated and copied), holding its
/// initial fill. On error the object is left as it was.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_bucket_init(
    bucket: *mut tg_bucket_t,
    config: *const tg_bucket_config_t,
) -> tg_status_t {
    object::init(bucket, validate(config).map(TokenBucket::new))
}

/// Takes `n` tokens at tick `now`: `TG_OK` when taken; `TG_REFUSED` with
/// `*out_retry_at` (may be NULL) set to the earliest tick at which `n` will
/// be available; `TG_E_EXCEEDS_CAPACITY` when `n` exceeds the capacity.
/// `n = 0` always succeeds. A refusal does not write the bucket.
///
/// Lock-free where the target has 32-bit CAS; safe from interrupt handlers
/// and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bucket_acquire(
    bucket: *mut tg_bucket_t,
    n: u32,
    now: u32,
    out_retry_at: *mut u32,
) -> tg_status_t {
    status((|| {
        let bucket = get(bucket.cast_const())?;
        match bucket.acquire(n, now) {
            Ok(()) => Ok(TG_OK),
            Err(Denied::Wait { retry_at }) => {
                put(out_retry_at, retry_at);
                Ok(TG_REFUSED)
            }
            Err(Denied::ExceedsCapacity) => Err(TG_E_EXCEEDS_CAPACITY),
        }
    })())
}

/// Writes to `out` the whole tokens available at `now`. Reads only.
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bucket_available(
    bucket: *const tg_bucket_t,
    now: u32,
    out: *mut u32,
) -> tg_status_t {
    status((|| {
        let bucket = get(bucket)?;
        let out = required(out)?;
        put(out, bucket.available(now));
        Ok(TG_OK)
    })())
}

/// Refills the bucket to its initial fill, as if new.
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bucket_reset(bucket: *mut tg_bucket_t) -> tg_status_t {
    status(get(bucket.cast_const()).map(|bucket| {
        bucket.reset();
        TG_OK
    }))
}
