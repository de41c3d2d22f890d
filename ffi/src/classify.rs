//! `tg_error_*`, `tg_handling_*`: four error classes and
//! the handling table.

use tickguard::classify::{ErrorClass, ErrorKind, Handling, HandlingTable, RetryWith};

use crate::breaker::{tg_outcome_t, TG_OUTCOME_FAILURE, TG_OUTCOME_IGNORED};
use crate::object::{put, put_required, required, status};
use crate::retry::{tg_retry_outcome_t, TG_RETRY_OUTCOME_FAILED, TG_RETRY_OUTCOME_NOT_RETRYABLE};
use crate::status::*;

/// A kind of error: one of the `TG_ERROR_*` values (the classes' subtypes).
pub type tg_error_kind_t = u32;
/// Network: the connection failed.
pub const TG_ERROR_CONNECTION_FAILED: tg_error_kind_t = 0;
/// Network: the peer broke the protocol.
pub const TG_ERROR_PROTOCOL: tg_error_kind_t = 1;
/// Timeout: connecting took too long.
pub const TG_ERROR_CONNECT_TIMEOUT: tg_error_kind_t = 2;
/// Timeout: reading took too long.
pub const TG_ERROR_READ_TIMEOUT: tg_error_kind_t = 3;
/// Timeout: writing took too long.
pub const TG_ERROR_WRITE_TIMEOUT: tg_error_kind_t = 4;
/// Data: malformed.
pub const TG_ERROR_FORMAT: tg_error_kind_t = 5;
/// Data: something expected is absent.
pub const TG_ERROR_MISSING_DATA: tg_error_kind_t = 6;
/// Data: parts contradict each other.
pub const TG_ERROR_INCONSISTENT_DATA: tg_error_kind_t = 7;
/// System: out of memory.
pub const TG_ERROR_OUT_OF_MEMORY: tg_error_kind_t = 8;
/// System: out of disk space.
pub const TG_ERROR_OUT_OF_DISK: tg_error_kind_t = 9;
/// System: another resource is exhausted.
pub const TG_ERROR_RESOURCES_EXHAUSTED: tg_error_kind_t = 10;
/// How many error kinds there are (the handling table's length).
pub const TG_ERROR_KINDS: usize = 11;

/// An error class: one of the `TG_ERROR_CLASS_*` values.
pub type tg_error_class_t = u32;
/// Network errors.
pub const TG_ERROR_CLASS_NETWORK: tg_error_class_t = 0;
/// Timeouts.
pub const TG_ERROR_CLASS_TIMEOUT: tg_error_class_t = 1;
/// Data errors.
pub const TG_ERROR_CLASS_DATA: tg_error_class_t = 2;
/// System errors.
pub const TG_ERROR_CLASS_SYSTEM: tg_error_class_t = 3;

/// Whether and how to retry: one of the `TG_RETRY_WITH_*` values.
pub type tg_retry_with_t = u32;
/// Do not retry.
pub const TG_RETRY_WITH_NEVER: tg_retry_with_t = 0;
/// Retry with the caller's default backoff.
pub const TG_RETRY_WITH_BACKOFF: tg_retry_with_t = 1;
/// Retry with exponential backoff.
pub const TG_RETRY_WITH_EXPONENTIAL: tg_retry_with_t = 2;

/// How to handle one kind of error.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_handling_t {
    /// Whether and how to retry (a `TG_RETRY_WITH_*` value).
    pub retry: tg_retry_with_t,
    /// Whether it counts as a circuit-breaker failure.
    pub breaker_failure: bool,
    /// Whether to serve a fallback.
    pub fallback: bool,
    /// Whether to raise an alert.
    pub alert: bool,
}

/// A handling table, indexed by `TG_ERROR_*`: a plain struct the caller may
/// fill or edit (start from `tg_handling_table_default`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_handling_table_t {
    /// One entry per error kind.
    pub entries: [tg_handling_t; TG_ERROR_KINDS],
}

fn kind(kind: tg_error_kind_t) -> Result<ErrorKind, tg_status_t> {
    usize::try_from(kind)
        .ok()
        .and_then(ErrorKind::from_index)
        .ok_or(TG_E_INVALID_ARGUMENT)
}

fn to_c(h: Handling) -> tg_handling_t {
    tg_handling_t {
        retry: h.retry as tg_retry_with_t,
        breaker_failure: h.breaker_failure,
        fallback: h.fallback,
        alert: h.alert,
    }
}

/// The table's entry for `kind`, checked field by field: a C program may
/// have written anything there, so the `bool`s are read as bytes (any
/// non-zero byte is true) and an unknown `retry` value is an error.
fn entry(table: *const tg_handling_table_t, kind: ErrorKind) -> Result<Handling, tg_status_t> {
    if table.is_null() {
        return Err(TG_E_NULL);
    }
    let offset = core::mem::offset_of!(tg_handling_table_t, entries).saturating_add(
        kind.index()
            .saturating_mul(core::mem::size_of::<tg_handling_t>()),
    );
    let byte = |field: usize| -> u8 {
        // SAFETY: `table` is non-null and the caller promises it points to a
        // readable table; `offset + field` lies inside it (kind.index() <
        // TG_ERROR_KINDS, field offsets are within tg_handling_t). Bytes are
        // valid for any value.
        unsafe { table.cast::<u8>().add(offset.saturating_add(field)).read() }
    };
    // SAFETY: as above; a u32 is valid for any bits, read unaligned.
    let retry = unsafe {
        table
            .cast::<u8>()
            .add(offset.saturating_add(core::mem::offset_of!(tg_handling_t, retry)))
            .cast::<u32>()
            .read_unaligned()
    };
    let retry = match retry {
        TG_RETRY_WITH_NEVER => RetryWith::Never,
        TG_RETRY_WITH_BACKOFF => RetryWith::Backoff,
        TG_RETRY_WITH_EXPONENTIAL => RetryWith::Exponential,
        _ => return Err(TG_E_INVALID_ARGUMENT),
    };
    Ok(Handling {
        retry,
        breaker_failure: byte(core::mem::offset_of!(tg_handling_t, breaker_failure)) != 0,
        fallback: byte(core::mem::offset_of!(tg_handling_t, fallback)) != 0,
        alert: byte(core::mem::offset_of!(tg_handling_t, alert)) != 0,
    })
}

/// Writes the default handling table: network errors are
/// retried with backoff, count against the breaker, fall back and alert;
/// timeouts are retried with exponential backoff, count and fall back; data
/// errors are not retried, do not count, fall back to a default and alert;
/// system errors are not retried, count and alert.
///
/// @param out receives the table.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Pure: safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_handling_table_default(out: *mut tg_handling_table_t) -> tg_status_t {
    let table = HandlingTable::DEFAULT;
    let entries = ErrorKind::ALL.map(|k| to_c(table.get(k)));
    put_required(out, tg_handling_table_t { entries })
}

/// The class of an error kind.
///
/// @param kind a `TG_ERROR_*` value.
/// @param out receives a `TG_ERROR_CLASS_*` value.
/// @return `TG_OK`, `TG_E_NULL` if `out` is NULL, or `TG_E_INVALID_ARGUMENT`
///   for an unknown kind.
///
/// Pure: safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_error_class(kind: tg_error_kind_t, out: *mut tg_error_class_t) -> tg_status_t {
    status((|| {
        let out = required(out)?;
        put(out, class_code(self::kind(kind)?.class()));
        Ok(TG_OK)
    })())
}

/// The C code of an error class.
const fn class_code(class: ErrorClass) -> tg_error_class_t {
    match class {
        ErrorClass::Network => TG_ERROR_CLASS_NETWORK,
        ErrorClass::Timeout => TG_ERROR_CLASS_TIMEOUT,
        ErrorClass::Data => TG_ERROR_CLASS_DATA,
        ErrorClass::System => TG_ERROR_CLASS_SYSTEM,
    }
}

/// The C code of an error kind: its index.
const fn kind_code(kind: ErrorKind) -> tg_error_kind_t {
    kind as tg_error_kind_t
}

/// Names an error kind, for logs.
///
/// @param kind any value.
/// @return a static, NUL-terminated English name ("connection failed",
///   "read timeout", ...; never NULL; "unknown error kind" for a value that
///   is no `TG_ERROR_*`).
///
/// Safe from interrupt handlers and from any thread.
#[no_mangle]
pub extern "C" fn tg_error_kind_str(kind: tg_error_kind_t) -> *const core::ffi::c_char {
    name_of(
        &ErrorKind::ALL,
        kind,
        kind_code,
        ErrorKind::c_name,
        c"unknown error kind",
    )
}

/// Names an error class, for logs.
///
/// @param error_class any value.
/// @return a static, NUL-terminated English name ("network", "timeout",
///   "data", "system"; never NULL; "unknown error class" for a value that
///   is no `TG_ERROR_CLASS_*`).
///
/// Safe from interrupt handlers and from any thread.
#[no_mangle]
pub extern "C" fn tg_error_class_str(error_class: tg_error_class_t) -> *const core::ffi::c_char {
    name_of(
        &ErrorClass::ALL,
        error_class,
        class_code,
        ErrorClass::c_name,
        c"unknown error class",
    )
}

/// How `table` handles `kind`, with the outcomes to report to a circuit
/// breaker and to the retry step.
///
/// @param table a handling table (from `tg_handling_table_default`, edited
///   or not).
/// @param kind a `TG_ERROR_*` value.
/// @param out receives the entry; may be NULL.
/// @param out_breaker_outcome receives `TG_OUTCOME_FAILURE` or
///   `TG_OUTCOME_IGNORED` for `tg_breaker_record`; may be NULL.
/// @param out_retry_outcome receives `TG_RETRY_OUTCOME_FAILED` or
///   `TG_RETRY_OUTCOME_NOT_RETRYABLE` for `tg_retry_next`; may be NULL.
/// @return `TG_OK`, `TG_E_NULL` if `table` is NULL, or
///   `TG_E_INVALID_ARGUMENT` for an unknown kind or an entry whose `retry`
///   is not a `TG_RETRY_WITH_*` value.
///
/// Pure: safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_handling_lookup(
    table: *const tg_handling_table_t,
    kind: tg_error_kind_t,
    out: *mut tg_handling_t,
    out_breaker_outcome: *mut tg_outcome_t,
    out_retry_outcome: *mut tg_retry_outcome_t,
) -> tg_status_t {
    status((|| {
        let kind = self::kind(kind)?;
        let handling = entry(table, kind)?;
        put(out, to_c(handling));
        put(
            out_breaker_outcome,
            match handling.breaker_outcome() {
                tickguard::breaker::Outcome::Failure => TG_OUTCOME_FAILURE,
                _ => TG_OUTCOME_IGNORED,
            },
        );
        put(
            out_retry_outcome,
            match handling.retry_failure() {
                tickguard::retry::Failure::NotRetryable => TG_RETRY_OUTCOME_NOT_RETRYABLE,
                _ => TG_RETRY_OUTCOME_FAILED,
            },
        );
        Ok(TG_OK)
    })())
}
