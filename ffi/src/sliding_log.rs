//! `tg_sliding_log_*`: the exact sliding-window log, over entries the
//! caller allocates (`TG_SLIDING_LOG` in the header).

use tickguard::bucket::Refused;
use tickguard::live::{Live, Reconfigure, Source};
use tickguard::sliding_log::{
    snapshot_len, Cursor, Entry, SlidingLogConfig, SlidingLogRef, MAX_LIMIT,
};
use tickguard::time::{Duration, Instant};

use crate::entries::{self, CEntry, Place};
use crate::object::{self, get, put, put_required, read, required, status, tg_init_flags_t};
use crate::snapshot::{restore_from, save_to};
use crate::status::*;

/// Sliding-log configuration: the window (the limit is the number of
/// entries). Can be `const`; validated and copied by
/// `tg_sliding_log_init`. `tg_sliding_log_config_default` fills in 1 000
/// ticks.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_sliding_log_config_t {
    /// The window's length in ticks (1 .. 2^62).
    pub window_ticks: u64,
}

/// One entry of a sliding log: one admission's number and tick in one
/// 128-bit word. Declare the array with `TG_SLIDING_LOG`.
#[repr(C, align(16))]
pub struct tg_sliding_log_entry_t {
    /// Private: the entry's state. Touch only through `tg_sliding_log_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 2],
}

// SAFETY: the core's entry is a 128-bit atomic word (or one behind a
// critical section), valid for every bit pattern, 16 bytes, aligned to at
// most 16 (checked by `CEntry::FITS`).
unsafe impl CEntry for tg_sliding_log_entry_t {
    type Core = Entry;
    const EMPTY: Entry = Entry::EMPTY;
}

/// The log's header: its configuration, its cursor (the next admission's
/// number), and the entries it was initialised with (their address and
/// count, checked on every call). Declare it with its entries through
/// `TG_SLIDING_LOG`. A zeroed header reports `TG_E_UNINITIALIZED`; a copy
/// of a live one `TG_E_MOVED`.
#[repr(C, align(16))]
pub struct tg_sliding_log_t {
    /// Private: the log's header. Touch only through `tg_sliding_log_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 8],
}

/// What the header holds: plain integers and an atomic, valid for every
/// bit pattern.
pub(crate) struct Header {
    config: Live<SlidingLogConfig>,
    cursor: Cursor,
    entries: Place,
}

object::storage!(tg_sliding_log_t, Header, 0x7467_534C); // "tgSL"

const MAX_ENTRIES: u64 = MAX_LIMIT as u64;

fn validate(config: *const tg_sliding_log_config_t) -> Result<SlidingLogConfig, tg_status_t> {
    let c = read(config)?;
    SlidingLogConfig::new(Duration::from_ticks(c.window_ticks)).map_err(config_status)
}

/// The log behind `log` over the `len` entries at `entries`, checked: the
/// header is live, and `entries`/`len` are the ones it was initialised
/// with (the address only for logs not in shared memory).
fn log<'a>(
    log: *const tg_sliding_log_t,
    entries: *const tg_sliding_log_entry_t,
    len: usize,
) -> Result<SlidingLogRef<'a>, tg_status_t> {
    let header: &'a Header = get(log)?;
    Ok(SlidingLogRef {
        config: header.config.current(),
        cursor: &header.cursor,
        entries: entries::slice(&header.entries, entries, len, MAX_ENTRIES)?,
    })
}

/// Writes the default sliding-log configuration (a window of 1 000 ticks:
/// a second of 1 ms ticks) to `out`.
///
/// @param out receives the default configuration.
/// @return `TG_OK`, or `TG_E_NULL` if `out` is NULL.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_sliding_log_config_default(out: *mut tg_sliding_log_config_t) -> tg_status_t {
    put_required(
        out,
        tg_sliding_log_config_t {
            window_ticks: SlidingLogConfig::DEFAULT.window().ticks(),
        },
    )
}

/// Checks a configuration without initialising anything.
///
/// @param config the configuration to check.
/// @return `TG_OK`, `TG_E_NULL` if `config` is NULL, or
///   `TG_E_CONFIG_WINDOW`.
///
/// Safe from interrupt handlers and any thread.
#[no_mangle]
pub extern "C" fn tg_sliding_log_config_check(
    config: *const tg_sliding_log_config_t,
) -> tg_status_t {
    status(validate(config).map(|_| TG_OK))
}

/// Initialises a sliding log: `log`'s header with `config`, and its `len`
/// entries at `entries` (the limit: at most `len` events in any window),
/// all emptied. Declare both with `TG_SLIDING_LOG(name, limit)` and pass
/// `name.log`, `name.entries`, `TG_SLIDING_LOG_LEN(name)`.
///
/// @param log the header to initialise.
/// @param entries the log's entries.
/// @param len how many entries: the limit (1 .. 65 536).
/// @param config the configuration; it need not outlive the call.
/// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`, `TG_E_CONFIG_LIMIT`
///   (`len` 0 or above 65 536), `TG_E_INVALID_ARGUMENT` (an unknown flag),
///   `TG_E_ALREADY_INITIALIZED`, or `TG_E_CONFIG_WINDOW`.
///
/// Not thread-safe: initialise before sharing the log.
#[no_mangle]
pub extern "C" fn tg_sliding_log_init(
    log: *mut tg_sliding_log_t,
    entries: *mut tg_sliding_log_entry_t,
    len: usize,
    config: *const tg_sliding_log_config_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    let place = match entries::place(entries, len, MAX_ENTRIES, TG_E_CONFIG_LIMIT, flags) {
        Ok(place) => place,
        Err(status) => return status,
    };
    let header = validate(config).map(|config| Header {
        config: config.live(),
        cursor: Cursor::START,
        entries: place,
    });
    let status = object::init(log, header, flags);
    if status == TG_OK {
        entries::empty(entries, &place);
    }
    status
}

/// Ends the life of a sliding log: later calls report
/// `TG_E_UNINITIALIZED`.
///
/// @param log an initialised log header.
/// @return `TG_OK`, `TG_E_NULL`, or an object error.
///
/// Not thread-safe: nobody may use the log meanwhile.
#[no_mangle]
pub extern "C" fn tg_sliding_log_deinit(log: *mut tg_sliding_log_t) -> tg_status_t {
    object::deinit(log)
}

/// Records one event at tick `now` if fewer than the limit were admitted
/// in the window up to `now` (exactly: every admission's tick is kept). A
/// `now` older than the latest admission counts as that admission's tick.
/// A refusal writes nothing.
///
/// @param log an initialised log header.
/// @param entries its entries (as given to `tg_sliding_log_init`).
/// @param len their count (as given to `tg_sliding_log_init`).
/// @param now the caller's current tick.
/// @param out_retry_at receives, on `TG_REFUSED`, the tick at which the
///   oldest admission in the window leaves it; may be NULL.
/// @return `TG_OK`, `TG_REFUSED`, `TG_E_NULL`, `TG_E_MISALIGNED`,
///   `TG_E_INVALID_ARGUMENT` (`entries`/`len` not the log's), or an object
///   error.
///
/// Lock-free where the target has a 128-bit CAS; interrupt-masked critical
/// sections elsewhere; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_sliding_log_acquire(
    log: *mut tg_sliding_log_t,
    entries: *mut tg_sliding_log_entry_t,
    len: usize,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    status((|| {
        let log = self::log(log.cast_const(), entries.cast_const(), len)?;
        match log.acquire(Instant::from_ticks(now)) {
            Ok(()) => Ok(TG_OK),
            Err(Refused::Wait { retry_at }) => {
                put(out_retry_at, retry_at.ticks());
                Ok(TG_REFUSED)
            }
            // Only a log without entries, which `log()` never forms.
            Err(Refused::ExceedsCapacity) => Err(TG_E_INVALID_ARGUMENT),
        }
    })())
}

/// Reads how many events would be admitted at `now`. Reads every entry;
/// writes nothing.
///
/// @param log an initialised log header.
/// @param entries its entries.
/// @param len their count.
/// @param now the caller's current tick.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`, `TG_E_INVALID_ARGUMENT`,
///   or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_sliding_log_available(
    log: *const tg_sliding_log_t,
    entries: *const tg_sliding_log_entry_t,
    len: usize,
    now: u64,
    out: *mut u32,
) -> tg_status_t {
    status((|| {
        let log = self::log(log, entries, len)?;
        let out = required(out)?;
        put(out, log.available(Instant::from_ticks(now)));
        Ok(TG_OK)
    })())
}

/// Replaces the log's window while callers use it (validated and copied;
/// one atomic store). The admissions stay with their ticks; from the next
/// call on each counts while it is less than the new window old. The
/// number of entries stays as initialised. A call racing this one is
/// judged under the old window or the new one.
///
/// @param log an initialised log header (its entries are not needed).
/// @param config the new configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_CONFIG_WINDOW` (the log keeps its
///   window), or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_sliding_log_reconfigure(
    log: *mut tg_sliding_log_t,
    config: *const tg_sliding_log_config_t,
) -> tg_status_t {
    status((|| {
        let header: &Header = get(log.cast_const())?;
        header.config.replace(validate(config)?);
        Ok(TG_OK)
    })())
}

/// Forgets every admission, as if new.
///
/// @param log an initialised log header.
/// @param entries its entries.
/// @param len their count.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`, `TG_E_INVALID_ARGUMENT`,
///   or an object error.
///
/// Safe from interrupt handlers and several threads (calls racing it count
/// before or after it).
#[no_mangle]
pub extern "C" fn tg_sliding_log_reset(
    log: *mut tg_sliding_log_t,
    entries: *mut tg_sliding_log_entry_t,
    len: usize,
) -> tg_status_t {
    status(
        self::log(log.cast_const(), entries.cast_const(), len).map(|log| {
            log.reset();
            TG_OK
        }),
    )
}

/// The largest sliding log `tg_sliding_log_snapshot` saves: 64 entries
/// (its snapshot, 528 bytes, is built on the stack).
pub const TG_SLIDING_LOG_SNAPSHOT_MAX_LIMIT: usize = 64;

/// The snapshot of the largest log that has one.
const LONGEST: usize = snapshot_len(TG_SLIDING_LOG_SNAPSHOT_MAX_LIMIT);

/// Saves the log's admissions at `now` as `TG_SLIDING_LOG_SNAPSHOT_SIZE(len)`
/// bytes (their ticks relative to `now`), for `tg_sliding_log_restore`
/// after a reboot.
///
/// @param log an initialised log header.
/// @param entries its entries.
/// @param len their count (at most `TG_SLIDING_LOG_SNAPSHOT_MAX_LIMIT`).
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_SLIDING_LOG_SNAPSHOT_SIZE(len)`).
/// @return `TG_OK`, `TG_E_SNAPSHOT_BUFFER`, `TG_E_NULL`,
///   `TG_E_INVALID_ARGUMENT` (`entries`/`len` not the log's, or a log of
///   more than `TG_SLIDING_LOG_SNAPSHOT_MAX_LIMIT` entries), or an object
///   error.
///
/// Reads only; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_sliding_log_snapshot(
    log: *const tg_sliding_log_t,
    entries: *const tg_sliding_log_entry_t,
    len: usize,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    status((|| {
        let log = self::log(log, entries, len)?;
        if len > TG_SLIDING_LOG_SNAPSHOT_MAX_LIMIT {
            return Err(TG_E_INVALID_ARGUMENT);
        }
        save_to::<LONGEST>(out, out_len, |bytes| {
            log.save(Instant::from_ticks(now), bytes)
        })
    })())
}

/// Restores the log's admissions from a snapshot `tg_sliding_log_snapshot`
/// took, as of `now`: each as many ticks before `now` as it was before the
/// snapshot's tick (one from before this run's tick 0 counts as at tick 0).
///
/// @param log an initialised log header, with the snapshot's window.
/// @param entries its entries (as many as the snapshot's log had).
/// @param len their count.
/// @param bytes the snapshot.
/// @param bytes_len its length in bytes.
/// @param now the caller's current tick.
/// @return `TG_OK`, a `TG_E_SNAPSHOT_*` error (the log is then left
///   empty), `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, or an object error.
///
/// Calls racing it see the log before, during or after it: restore before
/// sharing the log.
#[no_mangle]
pub extern "C" fn tg_sliding_log_restore(
    log: *mut tg_sliding_log_t,
    entries: *mut tg_sliding_log_entry_t,
    len: usize,
    bytes: *const u8,
    bytes_len: usize,
    now: u64,
) -> tg_status_t {
    status((|| {
        let log = self::log(log.cast_const(), entries.cast_const(), len)?;
        if len > TG_SLIDING_LOG_SNAPSHOT_MAX_LIMIT {
            return Err(TG_E_INVALID_ARGUMENT);
        }
        restore_from::<{ LONGEST + 1 }>(bytes, bytes_len, |input| {
            log.restore(input, Instant::from_ticks(now))
        })
    })())
}

// `TG_SLIDING_LOG_SNAPSHOT_SIZE(n)` in the header is `16 + 8 * n`.
const _: () = assert!(snapshot_len(1) == 16 + 8 && snapshot_len(64) == 16 + 8 * 64);
