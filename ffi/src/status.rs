//! Status codes.

use tickguard::ConfigError;

/// The result of every fallible function: `TG_OK` (0), `TG_REFUSED` (1, a
/// normal "not now" decision), or a negative error.
pub type tg_status_t = i32;

/// Success.
pub const TG_OK: tg_status_t = 0;
/// The guard refused the call; the out-parameter says when to retry.
pub const TG_REFUSED: tg_status_t = 1;
/// A lookup found nothing to serve (a normal answer, not an error).
pub const TG_NOT_FOUND: tg_status_t = 2;
/// A required pointer was NULL.
pub const TG_E_NULL: tg_status_t = -1;
/// The object was not initialised with its `tg_*_init` function.
pub const TG_E_UNINITIALIZED: tg_status_t = -2;
/// An enum value (outcome) or permit is not one this library produces.
pub const TG_E_INVALID_ARGUMENT: tg_status_t = -3;
/// A bucket request for more tokens than its capacity: it can never succeed.
pub const TG_E_EXCEEDS_CAPACITY: tg_status_t = -4;
/// The object pointer is not aligned for its type (16 bytes): nothing was
/// read or written.
pub const TG_E_MISALIGNED: tg_status_t = -5;
/// The object was initialised at another address: it is a copy of a live
/// object (`memcpy`, struct assignment) or was moved. Initialise it where it
/// lives, or use `TG_INIT_SHARED` for memory mapped at several addresses.
pub const TG_E_MOVED: tg_status_t = -6;
/// `tg_*_init` on a live object: refused, the object keeps its state. Pass
/// `TG_INIT_REINIT` to `tg_*_init_ex` to start it afresh, or `tg_*_deinit`
/// it first.
pub const TG_E_ALREADY_INITIALIZED: tg_status_t = -7;
/// Configuration: a duration is longer than 2^62 ticks.
pub const TG_E_CONFIG_DURATION_TOO_LONG: tg_status_t = -10;
/// Configuration: a duration that must be at least one tick is zero.
pub const TG_E_CONFIG_ZERO_DURATION: tg_status_t = -11;
/// Configuration: failure threshold is 0 or above 2^23 - 1.
pub const TG_E_CONFIG_FAILURE_THRESHOLD: tg_status_t = -12;
/// Configuration: half-open permits is 0 or above 31.
pub const TG_E_CONFIG_HALF_OPEN_PERMITS: tg_status_t = -13;
/// Configuration: success threshold is 0 or above the half-open permits.
pub const TG_E_CONFIG_SUCCESS_THRESHOLD: tg_status_t = -14;
/// Configuration: bucket capacity is 0.
pub const TG_E_CONFIG_ZERO_CAPACITY: tg_status_t = -15;
/// Configuration: zero tokens per refill period.
pub const TG_E_CONFIG_ZERO_REFILL: tg_status_t = -16;
/// Configuration: initial fill above capacity.
pub const TG_E_CONFIG_INITIAL_FILL: tg_status_t = -17;
/// Configuration: a retry policy's `max_attempts` is 0.
pub const TG_E_CONFIG_MAX_ATTEMPTS: tg_status_t = -19;
/// Configuration: an exponential backoff's multiplier is below 1000
/// thousandths.
pub const TG_E_CONFIG_MULTIPLIER: tg_status_t = -20;
/// Configuration: a proportional jitter above 1000 thousandths.
pub const TG_E_CONFIG_JITTER: tg_status_t = -21;
/// Configuration: a retry budget's token ratio is 0 or above its maximum
/// tokens × 1000.
pub const TG_E_CONFIG_TOKEN_RATIO: tg_status_t = -22;

/// Every status the library returns (Rust-side tests and fuzzing check
/// against it; not in the header).
#[doc(hidden)]
pub const TG_ALL_STATUSES: [tg_status_t; 22] = [
    TG_OK,
    TG_REFUSED,
    TG_NOT_FOUND,
    TG_E_NULL,
    TG_E_UNINITIALIZED,
    TG_E_INVALID_ARGUMENT,
    TG_E_EXCEEDS_CAPACITY,
    TG_E_MISALIGNED,
    TG_E_MOVED,
    TG_E_ALREADY_INITIALIZED,
    TG_E_CONFIG_DURATION_TOO_LONG,
    TG_E_CONFIG_ZERO_DURATION,
    TG_E_CONFIG_FAILURE_THRESHOLD,
    TG_E_CONFIG_HALF_OPEN_PERMITS,
    TG_E_CONFIG_SUCCESS_THRESHOLD,
    TG_E_CONFIG_ZERO_CAPACITY,
    TG_E_CONFIG_ZERO_REFILL,
    TG_E_CONFIG_INITIAL_FILL,
    TG_E_CONFIG_MAX_ATTEMPTS,
    TG_E_CONFIG_MULTIPLIER,
    TG_E_CONFIG_JITTER,
    TG_E_CONFIG_TOKEN_RATIO,
];

pub(crate) const fn config_status(error: ConfigError) -> tg_status_t {
    match error {
        ConfigError::DurationTooLong => TG_E_CONFIG_DURATION_TOO_LONG,
        ConfigError::ZeroDuration => TG_E_CONFIG_ZERO_DURATION,
        ConfigError::FailureThreshold => TG_E_CONFIG_FAILURE_THRESHOLD,
        ConfigError::HalfOpenPermits => TG_E_CONFIG_HALF_OPEN_PERMITS,
        ConfigError::SuccessThreshold => TG_E_CONFIG_SUCCESS_THRESHOLD,
        ConfigError::ZeroCapacity => TG_E_CONFIG_ZERO_CAPACITY,
        ConfigError::ZeroRefill => TG_E_CONFIG_ZERO_REFILL,
        ConfigError::InitialFill => TG_E_CONFIG_INITIAL_FILL,
        ConfigError::MaxAttempts => TG_E_CONFIG_MAX_ATTEMPTS,
        ConfigError::Multiplier => TG_E_CONFIG_MULTIPLIER,
        ConfigError::Jitter => TG_E_CONFIG_JITTER,
        ConfigError::TokenRatio => TG_E_CONFIG_TOKEN_RATIO,
    }
}

/// Names a status code.
///
/// @param status any value.
/// @return a static, NUL-terminated English description (never NULL;
///   "unknown status" for a value this library never returns).
///
/// Safe from interrupt handlers and from any thread.
#[no_mangle]
pub extern "C" fn tg_status_str(status: tg_status_t) -> *const core::ffi::c_char {
    let text: &'static core::ffi::CStr = match status {
        TG_OK => c"ok",
        TG_REFUSED => c"refused",
        TG_NOT_FOUND => c"not found",
        TG_E_NULL => c"null pointer",
        TG_E_UNINITIALIZED => c"object not initialised",
        TG_E_INVALID_ARGUMENT => c"invalid argument",
        TG_E_EXCEEDS_CAPACITY => c"request exceeds capacity",
        TG_E_MISALIGNED => c"object pointer misaligned",
        TG_E_MOVED => c"object copied or moved after initialisation",
        TG_E_ALREADY_INITIALIZED => c"object already initialised",
        TG_E_CONFIG_DURATION_TOO_LONG => c"config: duration must be at most 2^62 ticks",
        TG_E_CONFIG_ZERO_DURATION => c"config: duration must be at least one tick",
        TG_E_CONFIG_FAILURE_THRESHOLD => c"config: failure threshold out of range",
        TG_E_CONFIG_HALF_OPEN_PERMITS => c"config: half-open permits out of range",
        TG_E_CONFIG_SUCCESS_THRESHOLD => c"config: success threshold out of range",
        TG_E_CONFIG_ZERO_CAPACITY => c"config: capacity must be at least 1",
        TG_E_CONFIG_ZERO_REFILL => c"config: refill needs at least one token",
        TG_E_CONFIG_INITIAL_FILL => c"config: initial fill exceeds capacity",
        TG_E_CONFIG_MAX_ATTEMPTS => c"config: max attempts must be at least 1",
        TG_E_CONFIG_MULTIPLIER => c"config: backoff multiplier below 1000 thousandths",
        TG_E_CONFIG_JITTER => c"config: proportional jitter above 1000 thousandths",
        TG_E_CONFIG_TOKEN_RATIO => c"config: token ratio out of range",
        _ => c"unknown status",
    };
    text.as_ptr()
}
