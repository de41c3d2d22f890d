//! Status codes.

use tickguard::snapshot::SnapshotError;
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
/// A keyed table refused a new key: its entry holds another key that is
/// still limiting (a normal answer; the out-parameter says when it frees).
pub const TG_TABLE_FULL: tg_status_t = 3;
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
/// A duration argument (`tg_breaker_open_for`'s `ticks`, a tick conversion's
/// result) is longer than 2^62 ticks.
pub const TG_E_CONFIG_DURATION_TOO_LONG: tg_status_t = -10;
/// Breaker configuration: `failure_threshold` is 0.
pub const TG_E_CONFIG_FAILURE_THRESHOLD: tg_status_t = -12;
/// Breaker configuration: `half_open_permits` is 0 or above 16.
pub const TG_E_CONFIG_HALF_OPEN_PERMITS: tg_status_t = -13;
/// Breaker configuration: `success_threshold` is 0 or above
/// `half_open_permits`.
pub const TG_E_CONFIG_SUCCESS_THRESHOLD: tg_status_t = -14;
/// Bucket configuration: `capacity` is 0.
pub const TG_E_CONFIG_ZERO_CAPACITY: tg_status_t = -15;
/// Bucket configuration: `tokens` is 0.
pub const TG_E_CONFIG_ZERO_REFILL: tg_status_t = -16;
/// Bucket configuration: `initial_fill` is above `capacity` (and is neither
/// `TG_BUCKET_FULL` nor `TG_BUCKET_EMPTY`).
pub const TG_E_CONFIG_INITIAL_FILL: tg_status_t = -17;
/// Retry configuration: `max_attempts` is 0.
pub const TG_E_CONFIG_MAX_ATTEMPTS: tg_status_t = -19;
/// Retry configuration: `multiplier_milli` is 1 .. 999 (0 means the default,
/// 2000); breaker configuration: `open_multiplier_milli` is 1 .. 999 or
/// above `TG_BREAKER_MAX_OPEN_MULTIPLIER_MILLI`.
pub const TG_E_CONFIG_MULTIPLIER: tg_status_t = -20;
/// Retry configuration: `jitter_per_mille` is above 1000; breaker
/// configuration: `open_jitter_per_mille` is above 1000.
pub const TG_E_CONFIG_JITTER: tg_status_t = -21;
/// Retry budget configuration: `token_ratio_milli` is 0 or above
/// `max_tokens` × 1000.
pub const TG_E_CONFIG_TOKEN_RATIO: tg_status_t = -22;
/// Breaker configuration: `open_ticks` is 0 or above 2^62.
pub const TG_E_CONFIG_OPEN_TICKS: tg_status_t = -23;
/// Breaker configuration: `half_open_timeout_ticks` is 0 or above 2^62.
pub const TG_E_CONFIG_HALF_OPEN_TIMEOUT: tg_status_t = -24;
/// Bucket configuration: `period_ticks` is 0 or above 2^62.
pub const TG_E_CONFIG_PERIOD: tg_status_t = -25;
/// Retry configuration: `backoff` is not a `TG_BACKOFF_*` value.
pub const TG_E_CONFIG_BACKOFF: tg_status_t = -26;
/// Retry configuration: `base_ticks` is 0 (every retry at once: a retry
/// storm) or above 2^62.
pub const TG_E_CONFIG_BASE_TICKS: tg_status_t = -27;
/// Retry configuration: `step_ticks` is above 2^62.
pub const TG_E_CONFIG_STEP_TICKS: tg_status_t = -28;
/// Retry configuration: `jitter` is not a `TG_JITTER_*` value.
pub const TG_E_CONFIG_JITTER_KIND: tg_status_t = -29;
/// Retry configuration: `jitter_ticks` is above 2^62.
pub const TG_E_CONFIG_JITTER_TICKS: tg_status_t = -30;
/// Retry configuration: `max_delay_ticks` is above 2^62 (0 means no cap).
pub const TG_E_CONFIG_MAX_DELAY: tg_status_t = -31;
/// Retry configuration: `deadline_ticks` is above 2^62 (0 means none).
pub const TG_E_CONFIG_DEADLINE: tg_status_t = -32;
/// Retry budget configuration: `max_tokens` is 0.
pub const TG_E_CONFIG_MAX_TOKENS: tg_status_t = -33;

/// `tg_*_snapshot`: `out_len` is shorter than the type's snapshot size.
pub const TG_E_SNAPSHOT_BUFFER: tg_status_t = -34;
/// `tg_*_restore`: the snapshot is shorter or longer than its type's size.
pub const TG_E_SNAPSHOT_TRUNCATED: tg_status_t = -35;
/// `tg_*_restore`: not a snapshot, a checksum mismatch, or a field out of
/// range.
pub const TG_E_SNAPSHOT_CORRUPT: tg_status_t = -36;
/// `tg_*_restore`: written by another version of the snapshot format.
pub const TG_E_SNAPSHOT_VERSION: tg_status_t = -37;
/// `tg_*_restore`: a snapshot of another kind of object.
pub const TG_E_SNAPSHOT_KIND: tg_status_t = -38;
/// `tg_*_restore`: taken with another configuration.
pub const TG_E_SNAPSHOT_CONFIG: tg_status_t = -39;
/// Window configuration: `interval_ticks` is above 2^62.
pub const TG_E_CONFIG_INTERVAL: tg_status_t = -40;
/// Shaper configuration: `max_wait_ticks` is above 2^62.
pub const TG_E_CONFIG_MAX_WAIT: tg_status_t = -41;
/// A limit out of range: a sliding window's `limit` is 0 (or, for a keyed
/// table of windows, above 65 535), or a sliding log's entry count is 0 or
/// above 65 536.
pub const TG_E_CONFIG_LIMIT: tg_status_t = -42;
/// Sliding-window configuration: `window_ticks` is 0 or above 2^62.
pub const TG_E_CONFIG_WINDOW: tg_status_t = -43;
/// Bulkhead configuration: `max_concurrent` is 0 or above 64.
pub const TG_E_CONFIG_MAX_CONCURRENT: tg_status_t = -44;
/// `tg_bulkhead_release`: the permit is not held (released already, from
/// before a reset, of another bulkhead, or not a permit); nothing changed.
pub const TG_E_NOT_HELD: tg_status_t = -45;
/// Adaptive-limit configuration: not `1 <= min_limit <= initial_limit <=
/// max_limit <= 64`.
pub const TG_E_CONFIG_ADAPTIVE_LIMITS: tg_status_t = -46;
/// Adaptive-limit configuration: `backoff_milli` is not 1 .. 999.
pub const TG_E_CONFIG_BACKOFF_RATIO: tg_status_t = -47;
/// Adaptive-limit configuration: `slow_latency_ticks` is above 2^62; breaker
/// configuration: `slow_call_ticks` is above 2^62, or 0 with a slow-call
/// rate.
pub const TG_E_CONFIG_LATENCY: tg_status_t = -48;
/// `tg_bucket_reconfigure`: another reconfiguration of the same object is
/// under way (in another thread, or in the code an interrupt handler
/// interrupted); nothing changed: try again once it has returned.
pub const TG_E_BUSY: tg_status_t = -49;
/// Breaker configuration: `failure_rate_per_mille`,
/// `half_open_failure_rate_per_mille` or `slow_call_rate_per_mille` is
/// above 1000.
pub const TG_E_CONFIG_FAILURE_RATE: tg_status_t = -50;
/// Breaker configuration: `rate_window` is 0 with a failure rate or a
/// slow-call rate, above `TG_BREAKER_MAX_RATE_WINDOW` (above
/// `TG_BREAKER_MAX_SLOW_RATE_WINDOW` with a slow-call rate), or set without
/// either.
pub const TG_E_CONFIG_RATE_WINDOW: tg_status_t = -51;
/// Breaker configuration: `minimum_calls` is above `rate_window` (above
/// 127 with `rate_duration_ticks`).
pub const TG_E_CONFIG_MINIMUM_CALLS: tg_status_t = -52;
/// Breaker configuration: `closed_interval_ticks` is above 2^62.
pub const TG_E_CONFIG_CLOSED_INTERVAL: tg_status_t = -53;
/// Breaker configuration: `max_open_ticks` is below `open_ticks` or above
/// 2^62.
pub const TG_E_CONFIG_MAX_OPEN: tg_status_t = -54;
/// Breaker configuration: `rate_duration_ticks` is above 2^62, or set
/// without a failure rate or a slow-call rate.
pub const TG_E_CONFIG_RATE_DURATION: tg_status_t = -55;
/// `tg_*_cell_*`: a cell's callback returned a failure (its own reason is
/// the caller's to keep in the cell's context); nothing was decided.
pub const TG_E_CELL: tg_status_t = -56;
/// `tg_*_cell_*`: the cell's word changed under every one of its
/// `max_attempts` compare-and-sets; nothing was decided.
pub const TG_E_CONTENDED: tg_status_t = -57;
/// `tg_breaker_cell_*`: the configuration counts in a second word (a
/// failure rate, a slow-call rate or a trip rule), which a cell does not
/// hold.
pub const TG_E_NOT_ONE_WORD: tg_status_t = -58;

/// Every status the library returns and its description: the one table
/// `tg_status_str` and `TG_ALL_STATUSES` read (a test checks that every
/// `TG_*` status constant is in it).
const STATUSES: [(tg_status_t, &core::ffi::CStr); 58] = [
    (TG_OK, c"ok"),
    (TG_REFUSED, c"refused"),
    (TG_NOT_FOUND, c"not found"),
    (
        TG_TABLE_FULL,
        c"table full: the key's entry holds a key that is still limiting",
    ),
    (TG_E_NULL, c"null pointer"),
    (TG_E_UNINITIALIZED, c"object not initialised"),
    (TG_E_INVALID_ARGUMENT, c"invalid argument"),
    (TG_E_EXCEEDS_CAPACITY, c"request exceeds capacity"),
    (TG_E_MISALIGNED, c"object pointer misaligned"),
    (TG_E_MOVED, c"object copied or moved after initialisation"),
    (TG_E_ALREADY_INITIALIZED, c"object already initialised"),
    (
        TG_E_CONFIG_DURATION_TOO_LONG,
        c"duration argument must be at most 2^62 ticks",
    ),
    (
        TG_E_CONFIG_FAILURE_THRESHOLD,
        c"config: failure_threshold must be at least 1 (0 only with a failure rate)",
    ),
    (
        TG_E_CONFIG_HALF_OPEN_PERMITS,
        c"config: half_open_permits must be 1..16",
    ),
    (
        TG_E_CONFIG_SUCCESS_THRESHOLD,
        c"config: success_threshold must be 1..half_open_permits",
    ),
    (
        TG_E_CONFIG_ZERO_CAPACITY,
        c"config: capacity must be at least 1",
    ),
    (
        TG_E_CONFIG_ZERO_REFILL,
        c"config: tokens must be at least 1",
    ),
    (
        TG_E_CONFIG_INITIAL_FILL,
        c"config: initial_fill exceeds capacity",
    ),
    (
        TG_E_CONFIG_MAX_ATTEMPTS,
        c"config: max_attempts must be at least 1",
    ),
    (
        TG_E_CONFIG_MULTIPLIER,
        c"config: multiplier_milli must be 0 (default) or at least 1000 (a breaker's open_multiplier_milli at most 10^6)",
    ),
    (
        TG_E_CONFIG_JITTER,
        c"config: jitter_per_mille (a breaker's open_jitter_per_mille) must be at most 1000",
    ),
    (
        TG_E_CONFIG_TOKEN_RATIO,
        c"config: token_ratio_milli must be 1..max_tokens x 1000",
    ),
    (
        TG_E_CONFIG_OPEN_TICKS,
        c"config: open_ticks must be 1..2^62",
    ),
    (
        TG_E_CONFIG_HALF_OPEN_TIMEOUT,
        c"config: half_open_timeout_ticks must be 1..2^62",
    ),
    (TG_E_CONFIG_PERIOD, c"config: period_ticks must be 1..2^62"),
    (
        TG_E_CONFIG_BACKOFF,
        c"config: backoff is not a TG_BACKOFF_* value",
    ),
    (
        TG_E_CONFIG_BASE_TICKS,
        c"config: base_ticks must be 1..2^62",
    ),
    (
        TG_E_CONFIG_STEP_TICKS,
        c"config: step_ticks must be at most 2^62",
    ),
    (
        TG_E_CONFIG_JITTER_KIND,
        c"config: jitter is not a TG_JITTER_* value",
    ),
    (
        TG_E_CONFIG_JITTER_TICKS,
        c"config: jitter_ticks must be at most 2^62",
    ),
    (
        TG_E_CONFIG_MAX_DELAY,
        c"config: max_delay_ticks must be at most 2^62 (0: no cap)",
    ),
    (
        TG_E_CONFIG_DEADLINE,
        c"config: deadline_ticks must be at most 2^62 (0: none)",
    ),
    (
        TG_E_CONFIG_MAX_TOKENS,
        c"config: max_tokens must be at least 1",
    ),
    (TG_E_SNAPSHOT_BUFFER, SnapshotError::BufferTooSmall.c_name()),
    (TG_E_SNAPSHOT_TRUNCATED, SnapshotError::Truncated.c_name()),
    (TG_E_SNAPSHOT_CORRUPT, SnapshotError::Corrupt.c_name()),
    (TG_E_SNAPSHOT_VERSION, SnapshotError::Version.c_name()),
    (TG_E_SNAPSHOT_KIND, SnapshotError::Kind.c_name()),
    (TG_E_SNAPSHOT_CONFIG, SnapshotError::Config.c_name()),
    (
        TG_E_CONFIG_INTERVAL,
        c"config: interval_ticks must be at most 2^62",
    ),
    (
        TG_E_CONFIG_MAX_WAIT,
        c"config: max_wait_ticks must be at most 2^62",
    ),
    (
        TG_E_CONFIG_LIMIT,
        c"config: limit out of range (at least 1; at most 65535 per key, 65536 log entries)",
    ),
    (TG_E_CONFIG_WINDOW, c"config: window_ticks must be 1..2^62"),
    (
        TG_E_CONFIG_MAX_CONCURRENT,
        c"config: max_concurrent must be 1..64",
    ),
    (
        TG_E_NOT_HELD,
        c"permit not held: released already, from before a reset, or of another bulkhead",
    ),
    (
        TG_E_CONFIG_ADAPTIVE_LIMITS,
        c"config: need 1 <= min_limit <= initial_limit <= max_limit <= 64",
    ),
    (
        TG_E_CONFIG_BACKOFF_RATIO,
        c"config: backoff_milli must be 1..999",
    ),
    (
        TG_E_CONFIG_LATENCY,
        c"config: slow_latency_ticks / slow_call_ticks must be at most 2^62 (0: off; set with a slow-call rate)",
    ),
    (
        TG_E_BUSY,
        c"busy: another reconfiguration of this object is under way",
    ),
    (
        TG_E_CONFIG_FAILURE_RATE,
        c"config: failure_rate_per_mille (half-open, slow-call) must be at most 1000 (0: off)",
    ),
    (
        TG_E_CONFIG_RATE_WINDOW,
        c"config: rate_window must be 1..64 with a failure rate (1..52 with a slow-call rate), 0 without",
    ),
    (
        TG_E_CONFIG_MINIMUM_CALLS,
        c"config: minimum_calls must be at most rate_window (0: the whole window)",
    ),
    (
        TG_E_CONFIG_CLOSED_INTERVAL,
        c"config: closed_interval_ticks must be at most 2^62 (0: never)",
    ),
    (
        TG_E_CONFIG_MAX_OPEN,
        c"config: max_open_ticks must be open_ticks..2^62 (0: 2^62)",
    ),
    (
        TG_E_CONFIG_RATE_DURATION,
        c"config: rate_duration_ticks must be at most 2^62, set with a failure or slow-call rate (0: a count window)",
    ),
    (TG_E_CELL, c"cell: a callback failed"),
    (
        TG_E_CONTENDED,
        c"cell: the word changed under every compare-and-set",
    ),
    (
        TG_E_NOT_ONE_WORD,
        c"cell: the configuration counts in a second word (failure rate, slow-call rate, trip rule)",
    ),
];

/// Every status the library returns (Rust-side tests and fuzzing check
/// against it; not in the header).
#[doc(hidden)]
pub const TG_ALL_STATUSES: [tg_status_t; STATUSES.len()] = {
    let mut all = [0; STATUSES.len()];
    let mut i = 0;
    while i < STATUSES.len() {
        all[i] = STATUSES[i].0;
        i += 1;
    }
    all
};

pub(crate) const fn config_status(error: ConfigError) -> tg_status_t {
    match error {
        ConfigError::FailureThreshold => TG_E_CONFIG_FAILURE_THRESHOLD,
        ConfigError::OpenTicks => TG_E_CONFIG_OPEN_TICKS,
        ConfigError::HalfOpenPermits => TG_E_CONFIG_HALF_OPEN_PERMITS,
        ConfigError::SuccessThreshold => TG_E_CONFIG_SUCCESS_THRESHOLD,
        ConfigError::HalfOpenTimeout => TG_E_CONFIG_HALF_OPEN_TIMEOUT,
        ConfigError::ZeroCapacity => TG_E_CONFIG_ZERO_CAPACITY,
        ConfigError::ZeroRefill => TG_E_CONFIG_ZERO_REFILL,
        ConfigError::Period => TG_E_CONFIG_PERIOD,
        ConfigError::InitialFill => TG_E_CONFIG_INITIAL_FILL,
        ConfigError::MaxAttempts => TG_E_CONFIG_MAX_ATTEMPTS,
        ConfigError::BackoffDelay => TG_E_CONFIG_BASE_TICKS,
        ConfigError::BackoffStep => TG_E_CONFIG_STEP_TICKS,
        ConfigError::Multiplier => TG_E_CONFIG_MULTIPLIER,
        ConfigError::Jitter => TG_E_CONFIG_JITTER,
        ConfigError::JitterTicks => TG_E_CONFIG_JITTER_TICKS,
        ConfigError::MaxDelay => TG_E_CONFIG_MAX_DELAY,
        ConfigError::Deadline => TG_E_CONFIG_DEADLINE,
        ConfigError::MaxTokens => TG_E_CONFIG_MAX_TOKENS,
        ConfigError::TokenRatio => TG_E_CONFIG_TOKEN_RATIO,
        ConfigError::Interval => TG_E_CONFIG_INTERVAL,
        ConfigError::MaxWait => TG_E_CONFIG_MAX_WAIT,
        ConfigError::Limit => TG_E_CONFIG_LIMIT,
        ConfigError::Window => TG_E_CONFIG_WINDOW,
        ConfigError::MaxConcurrent => TG_E_CONFIG_MAX_CONCURRENT,
        ConfigError::AdaptiveLimits => TG_E_CONFIG_ADAPTIVE_LIMITS,
        ConfigError::BackoffRatio => TG_E_CONFIG_BACKOFF_RATIO,
        ConfigError::Latency => TG_E_CONFIG_LATENCY,
        ConfigError::FailureRate => TG_E_CONFIG_FAILURE_RATE,
        ConfigError::RateWindow => TG_E_CONFIG_RATE_WINDOW,
        ConfigError::MinimumCalls => TG_E_CONFIG_MINIMUM_CALLS,
        ConfigError::ClosedInterval => TG_E_CONFIG_CLOSED_INTERVAL,
        ConfigError::MaxOpen => TG_E_CONFIG_MAX_OPEN,
        ConfigError::RateDuration => TG_E_CONFIG_RATE_DURATION,
    }
}

/// The C name of the value of `all` whose code is `code`, or `unknown`: the
/// `tg_*_str` functions, from the core's one table of names.
pub(crate) fn name_of<T: Copy>(
    all: &[T],
    code: u32,
    code_of: fn(T) -> u32,
    name: fn(T) -> &'static core::ffi::CStr,
    unknown: &'static core::ffi::CStr,
) -> *const core::ffi::c_char {
    all.iter()
        .find(|value| code_of(**value) == code)
        .map_or(unknown, |value| name(*value))
        .as_ptr()
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
    STATUSES
        .iter()
        .find(|(code, _)| *code == status)
        .map_or(c"unknown status", |(_, text)| *text)
        .as_ptr()
}
