//! `tg_bucket_*`: the token bucket.

use tickguard::bucket::{BucketConfig, BucketSettings, LiveBucket, Refused};
use tickguard::time::{Duration, Instant};

use crate::object::{
    self, get, put, put_required, read, required, status, tg_init_flags_t, TG_INIT_DEFAULT,
};
use crate::status::*;

/// `initial_fill` value meaning "start full": the default, what a field
/// left out of a designated initializer holds.
pub const TG_BUCKET_FULL: u32 = 0;
/// `initial_fill` value meaning "start empty" (no tokens until the first
/// refill).
pub const TG_BUCKET_EMPTY: u32 = u32::MAX;

/// Token-bucket configuration. Can be `const`; validated and copied by
/// `tg_bucket_init`. `tg_bucket_config_default` fills in the default
/// limiter. A 0 in `capacity`, `tokens` or `period_ticks` is
/// refused with the field's own status; `initial_fill` 0 means full.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_bucket_config_t {
    /// The most tokens the bucket holds: the burst (at least 1).
    pub capacity: u32,
    /// Tokens refilled every `period_ticks` (at least 1).
    pub tokens: u32,
    /// Ticks per refill of `tokens` (1 .. 2^62).
    pub period_ticks: u64,
    /// Tokens at the start: 1 .. `capacity`, `TG_BUCKET_FULL` (0) or
    /// `TG_BUCKET_EMPTY`.
    pub initial_fill: u32,
}

/// Storage for a token bucket: allocate it anywhere, then call
/// `tg_bucket_init`. A zeroed object reports `TG_E_UNINITIALIZED`; a copy of
/// a live object reports `TG_E_MOVED`. 16-byte aligned. Its configuration
/// can be replaced while it runs (`tg_bucket_reconfigure`).
#[repr(C, align(16))]
pub struct tg_bucket_t {
    /// Private: the object's state. Touch only through `tg_bucket_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 18],
}

object::storage!(tg_bucket_t, LiveBucket, 0x7467_5433); // "tgT3"

/// The bucket configuration behind `config`, validated (also every keyed
/// table's).
pub(crate) fn bucket_config(
    config: *const tg_bucket_config_t,
) -> Result<BucketConfig, tg_status_t> {
    let c = read(config)?;
    BucketConfig::new(BucketSettings {
        capacity: c.capacity,
        tokens: c.tokens,
        period: Duration::from_ticks(c.period_ticks),
        initial_fill: match c.initial_fill {
            TG_BUCKET_FULL => None,
            TG_BUCKET_EMPTY => Some(0),
            tokens => Some(tokens),
        },
    })
    .map_err(config_status)
}

/// Writes the default bucket configuration (the default limiter,
/// in ticks of 1 ms: a burst of 100, 10 tokens a second, starting full) to
/// `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_bucket_config_default(out: *mut tg_bucket_config_t) -> tg_status_t {
    let c = BucketConfig::DEFAULT;
    let config = tg_bucket_config_t {
        capacity: c.capacity(),
        tokens: c.tokens(),
        period_ticks: c.period().ticks(),
        initial_fill: TG_BUCKET_FULL,
    };
    put_required(out, config)
}

/// Checks a configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL, or the
///   `TG_E_CONFIG_*` code of the first invalid field.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_bucket_config_check(config: *const tg_bucket_config_t) -> tg_status_t {
    status(bucket_config(config).map(|_| TG_OK))
}

/// Initialises `bucket` with `config` (validated and copied), holding its
/// initial fill. On error the object is left as it was.
///
/// @param bucket the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED` if `bucket` is live (it keeps its state),
///   or the `TG_E_CONFIG_*` code of the first invalid field.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_bucket_init(
    bucket: *mut tg_bucket_t,
    config: *const tg_bucket_config_t,
) -> tg_status_t {
    tg_bucket_init_ex(bucket, config, TG_INIT_DEFAULT)
}

/// Initialises `bucket` with `config`, with `TG_INIT_*` flags:
/// `TG_INIT_REINIT` starts a live object afresh, `TG_INIT_SHARED` makes an
/// object for memory mapped by several processes at different addresses
/// (one limit shared by worker processes).
///
/// @param bucket the caller-allocated object to initialise.
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_bucket_init`, or `TG_E_INVALID_ARGUMENT` for an unknown
///   flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_bucket_init_ex(
    bucket: *mut tg_bucket_t,
    config: *const tg_bucket_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(bucket, bucket_config(config).map(LiveBucket::new), flags)
}

/// Ends the life of `bucket`: later calls report `TG_E_UNINITIALIZED`, and
/// `tg_bucket_init` may initialise it again.
///
/// @param bucket an initialised bucket.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe: nobody may use the object meanwhile.
#[no_mangle]
pub extern "C" fn tg_bucket_deinit(bucket: *mut tg_bucket_t) -> tg_status_t {
    object::deinit(bucket)
}

/// Takes `n` tokens at tick `now`. `n = 0` always succeeds. A refusal does
/// not write the bucket.
///
/// @param bucket an initialised bucket.
/// @param n how many tokens to take.
/// @param now the caller's current tick.
/// @param out_retry_at receives, on `TG_REFUSED`, the earliest tick at which
///   `n` tokens will be available; may be NULL.
/// @return `TG_OK` when taken, `TG_REFUSED` when not yet available,
///   `TG_E_EXCEEDS_CAPACITY` when `n` exceeds the capacity (it never can
///   succeed), `TG_E_NULL` if `bucket` is NULL, or an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Lock-free where the target has a 128-bit CAS (x86_64, aarch64);
/// interrupt-masked critical section elsewhere; safe from interrupt handlers
/// and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bucket_acquire(
    bucket: *mut tg_bucket_t,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    status((|| {
        let bucket = get(bucket.cast_const())?;
        match bucket.acquire(n, Instant::from_ticks(now)) {
            Ok(()) => Ok(TG_OK),
            Err(Refused::Wait { retry_at }) => {
                put(out_retry_at, retry_at.ticks());
                Ok(TG_REFUSED)
            }
            Err(Refused::ExceedsCapacity) => Err(TG_E_EXCEEDS_CAPACITY),
        }
    })())
}

/// Reads the whole tokens available at `now`. Writes nothing to the bucket.
///
/// @param bucket an initialised bucket.
/// @param now the caller's current tick.
/// @param out receives the number of tokens.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bucket_available(
    bucket: *const tg_bucket_t,
    now: u64,
    out: *mut u32,
) -> tg_status_t {
    status((|| {
        let bucket = get(bucket)?;
        let out = required(out)?;
        put(out, bucket.available(Instant::from_ticks(now)));
        Ok(TG_OK)
    })())
}

/// Replaces the bucket's configuration while callers use it (validated and
/// copied), carrying its tokens at `now`: the bucket holds as many as it
/// held, clamped to the new capacity, and refills at the new rate from
/// then on; a bucket never used starts with the new initial fill. A `now`
/// older than the bucket's latest request counts the tokens no later than
/// the earliest tick it can have judged one at, so it never refills the
/// bucket (see the docs for the one bounded exception, a refusal's tick).
/// A call racing this one is judged under the old configuration or the
/// new one, never a mix; one that begins after it returns, under the new.
///
/// @param bucket an initialised bucket.
/// @param config the new configuration; it need not outlive the call.
/// @param now the caller's current tick.
/// @return `TG_OK`, `TG_E_NULL` if a pointer is NULL, a configuration
///   error (`TG_E_CONFIG_ZERO_CAPACITY`, `TG_E_CONFIG_ZERO_REFILL`,
///   `TG_E_CONFIG_PERIOD`, `TG_E_CONFIG_INITIAL_FILL`), `TG_E_BUSY` while
///   another reconfiguration of this bucket is under way, or an object
///   error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`); on
///   every error the bucket keeps its configuration.
///
/// Lock-free (never waits, even for a reconfiguration it interrupted);
/// safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bucket_reconfigure(
    bucket: *mut tg_bucket_t,
    config: *const tg_bucket_config_t,
    now: u64,
) -> tg_status_t {
    status((|| {
        let bucket = get(bucket.cast_const())?;
        bucket
            .reconfigure(bucket_config(config)?, Instant::from_ticks(now))
            .map_err(|_| TG_E_BUSY)?;
        Ok(TG_OK)
    })())
}

/// Refills the bucket to its initial fill, as if new.
///
/// @param bucket an initialised bucket.
/// @return `TG_OK`, `TG_E_NULL` if `bucket` is NULL, or
///   an object error
///   (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and from several threads at once.
#[no_mangle]
pub extern "C" fn tg_bucket_reset(bucket: *mut tg_bucket_t) -> tg_status_t {
    status(get(bucket.cast_const()).map(|bucket| {
        bucket.reset();
        TG_OK
    }))
}
