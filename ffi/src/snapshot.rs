//! `tg_*_snapshot` and `tg_*_restore`: save a guard's state to bytes and
//! restore it after a reboot (the core's `tickguard::snapshot`).

use tickguard::snapshot::{Snapshot, SnapshotError};
use tickguard::time::Instant;

use crate::object::{get, get_mut, status, Storage};
use crate::status::*;
use crate::{
    tg_adaptive_t, tg_breaker_t, tg_bucket_t, tg_degradation_t, tg_fixed_window_t, tg_lkg_t,
    tg_retry_budget_t, tg_shaper_t, tg_sliding_window_t,
};

/// Bytes of a breaker's snapshot (`tg_breaker_snapshot`).
pub const TG_BREAKER_SNAPSHOT_SIZE: usize = 35;
/// Bytes of a token bucket's snapshot (`tg_bucket_snapshot`).
pub const TG_BUCKET_SNAPSHOT_SIZE: usize = 29;
/// Bytes of a retry budget's snapshot (`tg_retry_budget_snapshot`).
pub const TG_RETRY_BUDGET_SNAPSHOT_SIZE: usize = 20;
/// Bytes of degradation levels' snapshot (`tg_degradation_snapshot`).
pub const TG_DEGRADATION_SNAPSHOT_SIZE: usize = 20;
/// Bytes of a fixed window's snapshot (`tg_fixed_window_snapshot`).
pub const TG_FIXED_WINDOW_SNAPSHOT_SIZE: usize = 29;
/// Bytes of a shaper's snapshot (`tg_shaper_snapshot`).
pub const TG_SHAPER_SNAPSHOT_SIZE: usize = 29;
/// Bytes of a sliding-window counter's snapshot
/// (`tg_sliding_window_snapshot`).
pub const TG_SLIDING_WINDOW_SNAPSHOT_SIZE: usize = 28;
/// Bytes of a last-known-good store's snapshot (`tg_lkg_snapshot`): every
/// key and value with its age.
pub const TG_LKG_SNAPSHOT_SIZE: usize = 1712;
/// Bytes of an adaptive limit's snapshot (`tg_adaptive_snapshot`).
pub const TG_ADAPTIVE_SNAPSHOT_SIZE: usize = 16;

// Literals for cbindgen; the build fails when one differs from the core's.
const _: () = assert!(TG_BREAKER_SNAPSHOT_SIZE == tickguard::breaker::SNAPSHOT_LEN);
const _: () = assert!(TG_BUCKET_SNAPSHOT_SIZE == tickguard::bucket::SNAPSHOT_LEN);
const _: () = assert!(TG_RETRY_BUDGET_SNAPSHOT_SIZE == tickguard::budget::SNAPSHOT_LEN);
const _: () = assert!(TG_DEGRADATION_SNAPSHOT_SIZE == tickguard::degrade::SNAPSHOT_LEN);
const _: () = assert!(TG_FIXED_WINDOW_SNAPSHOT_SIZE == tickguard::fixed_window::SNAPSHOT_LEN);
const _: () = assert!(TG_SHAPER_SNAPSHOT_SIZE == tickguard::shaper::SNAPSHOT_LEN);
const _: () = assert!(TG_SLIDING_WINDOW_SNAPSHOT_SIZE == tickguard::sliding_window::SNAPSHOT_LEN);
const _: () = assert!(TG_LKG_SNAPSHOT_SIZE == crate::fallback::Store::SNAPSHOT_LEN);
const _: () = assert!(TG_ADAPTIVE_SNAPSHOT_SIZE == tickguard::adaptive::SNAPSHOT_LEN);

/// The longest snapshot of any type: what is copied from the caller at most.
const LONGEST: usize = 64;
const _: () = assert!(
    TG_BREAKER_SNAPSHOT_SIZE < LONGEST
        && TG_BUCKET_SNAPSHOT_SIZE < LONGEST
        && TG_RETRY_BUDGET_SNAPSHOT_SIZE < LONGEST
        && TG_DEGRADATION_SNAPSHOT_SIZE < LONGEST
        && TG_FIXED_WINDOW_SNAPSHOT_SIZE < LONGEST
        && TG_SHAPER_SNAPSHOT_SIZE < LONGEST
        && TG_SLIDING_WINDOW_SNAPSHOT_SIZE < LONGEST
        && TG_ADAPTIVE_SNAPSHOT_SIZE < LONGEST
);

pub(crate) const fn snapshot_status(error: SnapshotError) -> tg_status_t {
    match error {
        SnapshotError::BufferTooSmall => TG_E_SNAPSHOT_BUFFER,
        SnapshotError::Truncated => TG_E_SNAPSHOT_TRUNCATED,
        SnapshotError::Corrupt => TG_E_SNAPSHOT_CORRUPT,
        SnapshotError::Version => TG_E_SNAPSHOT_VERSION,
        SnapshotError::Kind => TG_E_SNAPSHOT_KIND,
        SnapshotError::Config => TG_E_SNAPSHOT_CONFIG,
    }
}

/// Saves a snapshot with `save` into a local buffer of `B` bytes, then
/// copies it to `out` (`out_len` bytes available there).
pub(crate) fn save_to<const B: usize>(
    out: *mut u8,
    out_len: usize,
    save: impl FnOnce(&mut [u8; B]) -> Result<usize, SnapshotError>,
) -> Result<tg_status_t, tg_status_t> {
    if out.is_null() {
        return Err(TG_E_NULL);
    }
    let mut bytes = [0u8; B];
    let len = save(&mut bytes).map_err(snapshot_status)?;
    if out_len < len {
        return Err(TG_E_SNAPSHOT_BUFFER);
    }
    let saved = bytes.get(..len).ok_or(TG_E_SNAPSHOT_BUFFER)?;
    // SAFETY: `out` is non-null and the caller promises `out_len >= len`
    // writable bytes there; `bytes` is a local array, so the two cannot
    // overlap. No reference to the caller's memory is formed.
    unsafe { core::ptr::copy_nonoverlapping(saved.as_ptr(), out, len) };
    Ok(TG_OK)
}

/// Copies at most `B` bytes of the caller's `len` at `bytes` into a local
/// buffer and restores from them with `restore`. `B` is one more than the
/// type's snapshot: a longer input is judged from its header and that it
/// is too long, as the whole would be.
pub(crate) fn restore_from<const B: usize>(
    bytes: *const u8,
    len: usize,
    restore: impl FnOnce(&[u8]) -> Result<(), SnapshotError>,
) -> Result<tg_status_t, tg_status_t> {
    if bytes.is_null() {
        return Err(TG_E_NULL);
    }
    let mut local = [0u8; B];
    let copied = len.min(B);
    // SAFETY: `bytes` is non-null and the caller promises `len` readable
    // bytes there, of which `copied <= len` are copied into a local array
    // (no overlap, no reference to the caller's memory).
    unsafe { core::ptr::copy_nonoverlapping(bytes, local.as_mut_ptr(), copied) };
    let input = local.get(..copied).ok_or(TG_E_SNAPSHOT_TRUNCATED)?;
    restore(input).map_err(snapshot_status)?;
    Ok(TG_OK)
}

/// Saves `object`'s state at `now` into `out` (`out_len` bytes available).
fn save<S: Storage>(object: *const S, now: u64, out: *mut u8, out_len: usize) -> tg_status_t
where
    S::Inner: Snapshot,
{
    status((|| {
        let inner = get(object)?;
        save_to::<LONGEST>(out, out_len, |bytes| {
            inner.save(Instant::from_ticks(now), bytes)
        })
    })())
}

/// Restores `object`'s state from `len` bytes at `bytes`, as of `now`.
fn restore<S: Storage>(object: *const S, bytes: *const u8, len: usize, now: u64) -> tg_status_t
where
    S::Inner: Snapshot,
{
    status((|| {
        let inner = get(object)?;
        restore_from::<{ LONGEST + 1 }>(bytes, len, |input| {
            inner.restore(input, Instant::from_ticks(now))
        })
    })())
}

/// Saves the breaker's state at `now` as `TG_BREAKER_SNAPSHOT_SIZE` bytes:
/// versioned, checksummed, with every time relative to `now`, to keep
/// across a reboot (flash, EEPROM, a file) and give to
/// `tg_breaker_restore`.
///
/// @param breaker an initialised breaker.
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_BREAKER_SNAPSHOT_SIZE`).
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_SNAPSHOT_BUFFER` if `out_len` is too
///   small (nothing written), or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Reads only; safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_breaker_snapshot(
    breaker: *const tg_breaker_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    save(breaker, now, out, out_len)
}

/// Restores the breaker's state from a snapshot `tg_breaker_snapshot` took
/// (before a reboot, whose tick counter may start again at 0), as of
/// `now`: an OPEN breaker stays open for the time it had left.
///
/// @param breaker an initialised breaker, with the configuration the
///   snapshot was taken with.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return `TG_OK`; on any error the breaker is left fresh (CLOSED):
///   `TG_E_SNAPSHOT_TRUNCATED` (wrong length), `TG_E_SNAPSHOT_CORRUPT`
///   (checksum or contents), `TG_E_SNAPSHOT_VERSION`, `TG_E_SNAPSHOT_KIND`
///   (not a breaker's), `TG_E_SNAPSHOT_CONFIG` (another configuration);
///   `TG_E_NULL` or an object error leave it as it was.
///
/// Safe from interrupt handlers and from several threads (calls racing it
/// see the old state or the restored one).
#[no_mangle]
pub extern "C" fn tg_breaker_restore(
    breaker: *mut tg_breaker_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    restore(breaker.cast_const(), bytes, len, now)
}

/// Saves the bucket's state at `now` as `TG_BUCKET_SNAPSHOT_SIZE` bytes
/// (its tokens, relative to `now`), for `tg_bucket_restore`.
///
/// @param bucket an initialised bucket.
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_BUCKET_SNAPSHOT_SIZE`).
/// @return as `tg_breaker_snapshot`.
///
/// Reads only; safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_bucket_snapshot(
    bucket: *const tg_bucket_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    save(bucket, now, out, out_len)
}

/// Restores the bucket's state from a snapshot `tg_bucket_snapshot` took,
/// as of `now`: it keeps its tokens and refills from there.
///
/// @param bucket an initialised bucket, with the snapshot's configuration.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return as `tg_breaker_restore` (on a snapshot error the bucket is left
///   fresh: its initial fill).
///
/// Safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_bucket_restore(
    bucket: *mut tg_bucket_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    restore(bucket.cast_const(), bytes, len, now)
}

/// Saves the retry budget's tokens as `TG_RETRY_BUDGET_SNAPSHOT_SIZE`
/// bytes, for `tg_retry_budget_restore`.
///
/// @param budget an initialised budget.
/// @param now the caller's current tick (kept for the format's sake: a
///   budget has no time).
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_RETRY_BUDGET_SNAPSHOT_SIZE`).
/// @return as `tg_breaker_snapshot`.
///
/// Reads only; safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_retry_budget_snapshot(
    budget: *const tg_retry_budget_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    save(budget, now, out, out_len)
}

/// Restores the retry budget's tokens from a snapshot
/// `tg_retry_budget_snapshot` took.
///
/// @param budget an initialised budget, with the snapshot's configuration.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return as `tg_breaker_restore` (on a snapshot error the budget is left
///   full).
///
/// Safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_retry_budget_restore(
    budget: *mut tg_retry_budget_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    restore(budget.cast_const(), bytes, len, now)
}

/// Saves the degradation levels and switches as
/// `TG_DEGRADATION_SNAPSHOT_SIZE` bytes, for `tg_degradation_restore`.
///
/// @param degradation an initialised object.
/// @param now the caller's current tick (kept for the format's sake).
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_DEGRADATION_SNAPSHOT_SIZE`).
/// @return as `tg_breaker_snapshot`.
///
/// Reads only; safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_degradation_snapshot(
    degradation: *const tg_degradation_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    save(degradation, now, out, out_len)
}

/// Restores the degradation levels and switches from a snapshot
/// `tg_degradation_snapshot` took.
///
/// @param degradation an initialised object.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return as `tg_breaker_restore` (on a snapshot error the levels are
///   left at 0 with every switch on).
///
/// Safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_degradation_restore(
    degradation: *mut tg_degradation_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    restore(degradation.cast_const(), bytes, len, now)
}

/// Saves the fixed window's state at `now` as
/// `TG_FIXED_WINDOW_SNAPSHOT_SIZE` bytes (when its window ends, relative to
/// `now`, and its counts), for `tg_fixed_window_restore`.
///
/// @param window an initialised window.
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_FIXED_WINDOW_SNAPSHOT_SIZE`).
/// @return as `tg_breaker_snapshot`.
///
/// Reads only; safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_fixed_window_snapshot(
    window: *const tg_fixed_window_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    save(window, now, out, out_len)
}

/// Restores the fixed window's state from a snapshot
/// `tg_fixed_window_snapshot` took, as of `now`: the window ends as many
/// ticks after `now` as it did after the snapshot's tick, and its missed
/// count is still reported once.
///
/// @param window an initialised window, with the snapshot's configuration.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return as `tg_breaker_restore` (on a snapshot error the window is left
///   fresh).
///
/// Safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_fixed_window_restore(
    window: *mut tg_fixed_window_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    restore(window.cast_const(), bytes, len, now)
}

/// Saves the shaper's state at `now` as `TG_SHAPER_SNAPSHOT_SIZE` bytes
/// (its queue, relative to `now`), for `tg_shaper_restore`.
///
/// @param shaper an initialised shaper.
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_SHAPER_SNAPSHOT_SIZE`).
/// @return as `tg_breaker_snapshot`.
///
/// Reads only; safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_shaper_snapshot(
    shaper: *const tg_shaper_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    save(shaper, now, out, out_len)
}

/// Restores the shaper's state from a snapshot `tg_shaper_snapshot` took,
/// as of `now`: requests scheduled before are still ahead of new ones by
/// as many ticks as they were.
///
/// @param shaper an initialised shaper, with the snapshot's configuration.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return as `tg_breaker_restore` (on a snapshot error the shaper is left
///   fresh).
///
/// Safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_shaper_restore(
    shaper: *mut tg_shaper_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    restore(shaper.cast_const(), bytes, len, now)
}

/// Saves the sliding-window counter's state at `now` as
/// `TG_SLIDING_WINDOW_SNAPSHOT_SIZE` bytes (its windows, relative to `now`,
/// and their counts), for `tg_sliding_window_restore`.
///
/// @param window an initialised counter.
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_SLIDING_WINDOW_SNAPSHOT_SIZE`).
/// @return as `tg_breaker_snapshot`.
///
/// Reads only; safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_sliding_window_snapshot(
    window: *const tg_sliding_window_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    save(window, now, out, out_len)
}

/// Restores the sliding-window counter's state from a snapshot
/// `tg_sliding_window_snapshot` took, as of `now`: its windows start as
/// many ticks before `now` as they did before the snapshot's tick (one
/// that began before this run's tick 0 starts at 0 instead).
///
/// @param window an initialised counter, with the snapshot's
///   configuration.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return as `tg_breaker_restore` (on a snapshot error the counter is
///   left fresh).
///
/// Safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_sliding_window_restore(
    window: *mut tg_sliding_window_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    restore(window.cast_const(), bytes, len, now)
}

/// Saves the adaptive limit's learned limit as `TG_ADAPTIVE_SNAPSHOT_SIZE`
/// bytes, for `tg_adaptive_restore` (the calls in flight are not saved).
///
/// @param limit an initialised adaptive limit.
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_ADAPTIVE_SNAPSHOT_SIZE`).
/// @return as `tg_breaker_snapshot`.
///
/// Reads only; safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_adaptive_snapshot(
    limit: *const tg_adaptive_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    save(limit, now, out, out_len)
}

/// Restores the adaptive limit's learned limit from a snapshot
/// `tg_adaptive_snapshot` took (one outside the configured bounds is
/// corrupt). The slots are left as they are.
///
/// @param limit an initialised adaptive limit, with the snapshot's
///   configuration.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return as `tg_breaker_restore` (on a snapshot error the limit returns
///   to the initial one).
///
/// Safe from interrupt handlers and from several threads.
#[no_mangle]
pub extern "C" fn tg_adaptive_restore(
    limit: *mut tg_adaptive_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    restore(limit.cast_const(), bytes, len, now)
}

/// Saves the last-known-good store's keys and values with their ages at
/// `now` as `TG_LKG_SNAPSHOT_SIZE` bytes, for `tg_lkg_restore` (after a
/// reboot whose tick counter may start again at 0).
///
/// @param lkg an initialised store.
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out` (at least
///   `TG_LKG_SNAPSHOT_SIZE`).
/// @return as `tg_breaker_snapshot`.
///
/// Not thread-safe (as every `tg_lkg_*` call): serialise calls on one
/// store.
#[no_mangle]
pub extern "C" fn tg_lkg_snapshot(
    lkg: *const tg_lkg_t,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    status((|| {
        let store = get(lkg)?;
        save_to::<TG_LKG_SNAPSHOT_SIZE>(out, out_len, |bytes| {
            store.save(Instant::from_ticks(now), bytes)
        })
    })())
}

/// Replaces the store's values with those a snapshot `tg_lkg_snapshot`
/// took, their ages carried over to `now` (values that had expired before
/// tick 0 of this run are left out).
///
/// @param lkg an initialised store, with the snapshot's maximum age.
/// @param bytes the snapshot.
/// @param len its length in bytes.
/// @param now the caller's current tick.
/// @return as `tg_breaker_restore` (on a snapshot error the store is left
///   empty).
///
/// Not thread-safe (as every `tg_lkg_*` call): serialise calls on one
/// store.
#[no_mangle]
pub extern "C" fn tg_lkg_restore(
    lkg: *mut tg_lkg_t,
    bytes: *const u8,
    len: usize,
    now: u64,
) -> tg_status_t {
    status((|| {
        let store = get_mut(lkg)?;
        restore_from::<{ TG_LKG_SNAPSHOT_SIZE + 1 }>(bytes, len, |input| {
            store.restore(input, Instant::from_ticks(now))
        })
    })())
}
