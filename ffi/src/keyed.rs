//! `tg_keyed_*`: token buckets per key, and `tg_keyed_windows_*`:
//! sliding-window counters per key, each in a fixed table the caller
//! allocates (`TG_KEYED_TABLE`, `TG_KEYED_WINDOWS` in the header).

use tickguard::bucket::BucketConfig;
use tickguard::keyed::{Entries, Entry, KeyRef, PerKey, Refused, Table, MAX_KEYED_WINDOW_LIMIT};
use tickguard::live::{Live, Reconfigure, Versioned};
use tickguard::sliding_window::SlidingWindowConfig;
use tickguard::time::Instant;

use crate::bucket::{bucket_config, tg_bucket_config_t};
use crate::entries::{self, CEntry, Place};
use crate::object::{self, get, put, required, status, tg_init_flags_t, Storage};
use crate::sliding_window::{sliding_window_config, tg_sliding_window_config_t};
use crate::status::*;

/// The longest byte key `tg_keyed_acquire_bytes` takes.
pub const TG_KEYED_MAX_KEY_BYTES: usize = 64;

/// One entry of a keyed table: a key's fingerprint and its token bucket
/// (or sliding window) in one 128-bit word. Declare an array of them with
/// `TG_KEYED_TABLE` (or `TG_KEYED_WINDOWS`).
#[repr(C, align(16))]
pub struct tg_keyed_entry_t {
    /// Private: the entry's state. Touch only through `tg_keyed_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 2],
}

// SAFETY: the core's entry is a 128-bit atomic word (or one behind a
// critical section), valid for every bit pattern, 16 bytes, aligned to at
// most 16 (checked by `CEntry::FITS`).
unsafe impl CEntry for tg_keyed_entry_t {
    type Core = Entry;
    const EMPTY: Entry = Entry::EMPTY;
}

/// The most entries a table takes.
const MAX_ENTRIES: u64 = 1 << 32;

/// The table's header: its configuration, seed, and the entries it was
/// initialised with (their address and count, checked on every call).
/// Declare it with its entries through `TG_KEYED_TABLE`. A zeroed header
/// reports `TG_E_UNINITIALIZED`; a copy of a live one `TG_E_MOVED`.
#[repr(C, align(16))]
pub struct tg_keyed_table_t {
    /// Private: the table's header. Touch only through `tg_keyed_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 22],
}

/// The header of a keyed table of windows: its sliding-window
/// configuration, seed, and entries. Declare it with its entries through
/// `TG_KEYED_WINDOWS`. A zeroed header reports `TG_E_UNINITIALIZED`; a copy
/// of a live one `TG_E_MOVED`.
#[repr(C, align(16))]
pub struct tg_keyed_windows_t {
    /// Private: the table's header. Touch only through `tg_keyed_windows_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 14],
}

/// What a header holds: the configuration every key shares, replaceable
/// while callers use the table (a bucket's, versioned: reconfiguring
/// carries every key's tokens; a sliding window's, live in one word), plain
/// integers and atomics valid for every bit pattern.
pub(crate) struct Header<H> {
    config: H,
    seed: [u64; 2],
    entries: Place,
}

object::storage!(
    tg_keyed_table_t,
    Header<Versioned<BucketConfig>>,
    0x7467_4B59
); // "tgKY"
object::storage!(
    tg_keyed_windows_t,
    Header<Live<SlidingWindowConfig>>,
    0x7467_4B58
); // "tgKX"

/// A header's configuration: what each kind's keys keep, and the core's
/// table that runs them.
pub(crate) trait Holds: Entries<Self::Config> {
    /// The configuration every key shares.
    type Config: PerKey;
}

impl Holds for Versioned<BucketConfig> {
    type Config = BucketConfig;
}

impl Holds for Live<SlidingWindowConfig> {
    type Config = SlidingWindowConfig;
}

/// The core's table of a header of kind `H`.
type TableOf<'a, H> = <H as Entries<<H as Holds>::Config>>::Table<'a>;

/// The table behind `table` over the `len` entries at `entries`, checked:
/// the header is live, and `entries`/`len` are the ones it was initialised
/// with (the address only for tables not in shared memory).
fn table<'a, S, H>(
    table: *const S,
    entries: *const tg_keyed_entry_t,
    len: usize,
) -> Result<TableOf<'a, H>, tg_status_t>
where
    S: Storage<Inner = Header<H>>,
    H: Holds + 'a,
{
    let header: &'a Header<H> = get(table)?;
    let entries = entries::slice(&header.entries, entries, len, MAX_ENTRIES)?;
    Ok(header.config.table(header.seed, entries))
}

/// Initialises a table of either kind with a validated configuration.
fn init<S, H>(
    table: *mut S,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    config: Result<H, tg_status_t>,
    seed: [u64; 2],
    flags: tg_init_flags_t,
) -> tg_status_t
where
    S: Storage<Inner = Header<H>>,
{
    let place = match entries::place(entries, len, MAX_ENTRIES, TG_E_INVALID_ARGUMENT, flags) {
        Ok(place) => place,
        Err(status) => return status,
    };
    let header = config.map(|config| Header {
        config,
        seed,
        entries: place,
    });
    let status = object::init(table, header, flags);
    if status == TG_OK {
        entries::empty(entries, &place);
    }
    status
}

/// `tg_keyed*_acquire_u64` for either kind.
fn acquire_u64<S, H>(
    table: *mut S,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    key: u64,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t
where
    S: Storage<Inner = Header<H>>,
    H: Holds,
{
    status((|| {
        let table = self::table(table.cast_const(), entries.cast_const(), len)?;
        decided(
            table.acquire(table.key(&key), n, Instant::from_ticks(now)),
            out_retry_at,
        )
    })())
}

/// `tg_keyed*_acquire_bytes` for either kind.
#[allow(clippy::too_many_arguments)]
fn acquire_bytes<S, H>(
    table: *mut S,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    key: *const u8,
    key_len: usize,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t
where
    S: Storage<Inner = Header<H>>,
    H: Holds,
{
    status((|| {
        let table = self::table(table.cast_const(), entries.cast_const(), len)?;
        let key = hashed(&table, key, key_len)?;
        decided(
            table.acquire(key, n, Instant::from_ticks(now)),
            out_retry_at,
        )
    })())
}

/// `tg_keyed*_available_u64` and `_bytes` for either kind, once the key
/// is located.
fn available<S, H>(
    table: *const S,
    entries: *const tg_keyed_entry_t,
    len: usize,
    key: impl FnOnce(&TableOf<'_, H>) -> Result<KeyRef, tg_status_t>,
    now: u64,
    out: *mut u32,
) -> tg_status_t
where
    S: Storage<Inner = Header<H>>,
    H: Holds,
{
    status((|| {
        let table = self::table(table, entries, len)?;
        let key = key(&table)?;
        let out = required(out)?;
        put(out, table.available(key, Instant::from_ticks(now)));
        Ok(TG_OK)
    })())
}

/// `tg_keyed*_limiting` for either kind.
fn limiting<S, H>(
    table: *const S,
    entries: *const tg_keyed_entry_t,
    len: usize,
    now: u64,
    out: *mut usize,
) -> tg_status_t
where
    S: Storage<Inner = Header<H>>,
    H: Holds,
{
    status((|| {
        let table = self::table(table, entries, len)?;
        let out = required(out)?;
        put(out, table.limiting(Instant::from_ticks(now)));
        Ok(TG_OK)
    })())
}

/// `tg_keyed*_reset` for either kind.
fn reset<S, H>(table: *mut S, entries: *mut tg_keyed_entry_t, len: usize) -> tg_status_t
where
    S: Storage<Inner = Header<H>>,
    H: Holds,
{
    status(
        self::table(table.cast_const(), entries.cast_const(), len).map(|table| {
            table.reset();
            TG_OK
        }),
    )
}

/// Initialises a keyed table: `table`'s header with `config` (every key's
/// token bucket) and the hash `seed`, and its `len` entries at `entries`,
/// all emptied. Declare both with `TG_KEYED_TABLE(name, N)` and pass
/// `name.table`, `name.entries`, `TG_KEYED_LEN(name)`.
///
/// Seed the hash with random bits (from the platform's random source at
/// start-up): with a known seed, clients choosing their keys could aim two
/// at one entry.
///
/// @param table the header to initialise.
/// @param entries the table's entries.
/// @param len how many entries (1 .. 2^32).
/// @param config the bucket configuration every key gets.
/// @param seed0 the first 64 bits of the hash seed.
/// @param seed1 the second 64 bits of the hash seed.
/// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`,
///   `TG_E_INVALID_ARGUMENT` (`len` 0 or above 2^32, or an unknown flag),
///   `TG_E_ALREADY_INITIALIZED`, or the bucket's `TG_E_CONFIG_*` code.
///
/// Not thread-safe: initialise before sharing the table.
#[no_mangle]
pub extern "C" fn tg_keyed_init(
    table: *mut tg_keyed_table_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    config: *const tg_bucket_config_t,
    seed0: u64,
    seed1: u64,
    flags: tg_init_flags_t,
) -> tg_status_t {
    init(
        table,
        entries,
        len,
        bucket_config(config).map(BucketConfig::live),
        [seed0, seed1],
        flags,
    )
}

/// Ends the life of a keyed table: later calls report
/// `TG_E_UNINITIALIZED`.
///
/// @param table an initialised table header.
/// @return `TG_OK`, `TG_E_NULL`, or an object error.
///
/// Not thread-safe: nobody may use the table meanwhile.
#[no_mangle]
pub extern "C" fn tg_keyed_deinit(table: *mut tg_keyed_table_t) -> tg_status_t {
    object::deinit(table)
}

/// The status and out-parameter of a keyed decision.
fn decided(
    decision: Result<(), Refused>,
    out_retry_at: *mut u64,
) -> Result<tg_status_t, tg_status_t> {
    match decision {
        Ok(()) => Ok(TG_OK),
        Err(Refused::Wait { retry_at }) => {
            put(out_retry_at, retry_at.ticks());
            Ok(TG_REFUSED)
        }
        Err(Refused::TableFull { retry_at }) => {
            put(out_retry_at, retry_at.ticks());
            Ok(TG_TABLE_FULL)
        }
        Err(Refused::ExceedsCapacity) => Err(TG_E_EXCEEDS_CAPACITY),
    }
}

/// The bytes of a byte key, copied: at most `TG_KEYED_MAX_KEY_BYTES`.
fn key_bytes(
    key: *const u8,
    key_len: usize,
) -> Result<([u8; TG_KEYED_MAX_KEY_BYTES], usize), tg_status_t> {
    if key.is_null() {
        return Err(TG_E_NULL);
    }
    if key_len > TG_KEYED_MAX_KEY_BYTES {
        return Err(TG_E_INVALID_ARGUMENT);
    }
    let mut bytes = [0u8; TG_KEYED_MAX_KEY_BYTES];
    // SAFETY: `key` is non-null and the caller promises `key_len` readable
    // bytes there; `key_len` fits the local array (checked above).
    unsafe { core::ptr::copy_nonoverlapping(key, bytes.as_mut_ptr(), key_len) };
    Ok((bytes, key_len))
}

fn hashed<L: PerKey>(
    table: &impl Table<L>,
    key: *const u8,
    key_len: usize,
) -> Result<KeyRef, tg_status_t> {
    let (bytes, len) = key_bytes(key, key_len)?;
    Ok(table.key_bytes(bytes.get(..len).unwrap_or(&[])))
}

/// Takes `n` tokens from the bucket of the integer key `key` (a device
/// id, an IPv4 address as a `uint32_t`) at tick `now`. A new key takes its
/// entry if the entry is empty or its key's bucket is full again; a key
/// that is still limiting is never evicted: the new key is refused with
/// `TG_TABLE_FULL` instead. A refusal writes nothing.
///
/// @param table an initialised table header.
/// @param entries its entries (as given to `tg_keyed_init`).
/// @param len their count (as given to `tg_keyed_init`).
/// @param key the key.
/// @param n how many tokens.
/// @param now the caller's current tick.
/// @param out_retry_at receives, on `TG_REFUSED`, the tick at which `n`
///   tokens will be there, on `TG_TABLE_FULL` the tick at which the
///   entry's occupant is full again; may be NULL.
/// @return `TG_OK`, `TG_REFUSED`, `TG_TABLE_FULL`, `TG_E_EXCEEDS_CAPACITY`,
///   `TG_E_NULL`, `TG_E_INVALID_ARGUMENT` (`entries`/`len` not the
///   table's), or an object error.
///
/// Lock-free where the target has a 128-bit CAS; interrupt-masked critical
/// section elsewhere; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_acquire_u64(
    table: *mut tg_keyed_table_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    key: u64,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    acquire_u64(table, entries, len, key, n, now, out_retry_at)
}

/// `tg_keyed_acquire_u64` for a byte key (an IPv6 address, a user name) of
/// at most `TG_KEYED_MAX_KEY_BYTES` bytes.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param key the key's bytes.
/// @param key_len how many (at most `TG_KEYED_MAX_KEY_BYTES`).
/// @param n how many tokens.
/// @param now the caller's current tick.
/// @param out_retry_at as `tg_keyed_acquire_u64`'s; may be NULL.
/// @return as `tg_keyed_acquire_u64`, and `TG_E_INVALID_ARGUMENT` for a key
///   longer than `TG_KEYED_MAX_KEY_BYTES`.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_acquire_bytes(
    table: *mut tg_keyed_table_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    key: *const u8,
    key_len: usize,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    acquire_bytes(table, entries, len, key, key_len, n, now, out_retry_at)
}

/// Reads the tokens the integer key `key` could take at `now` (0 when its
/// entry holds another key that is still limiting). Writes nothing.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param key the key.
/// @param now the caller's current tick.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_available_u64(
    table: *const tg_keyed_table_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
    key: u64,
    now: u64,
    out: *mut u32,
) -> tg_status_t {
    available(table, entries, len, |table| Ok(table.key(&key)), now, out)
}

/// `tg_keyed_available_u64` for a byte key.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param key the key's bytes.
/// @param key_len how many (at most `TG_KEYED_MAX_KEY_BYTES`).
/// @param now the caller's current tick.
/// @param out receives the count.
/// @return as `tg_keyed_available_u64`.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_available_bytes(
    table: *const tg_keyed_table_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
    key: *const u8,
    key_len: usize,
    now: u64,
    out: *mut u32,
) -> tg_status_t {
    available(
        table,
        entries,
        len,
        |table| hashed(table, key, key_len),
        now,
        out,
    )
}

/// Counts the entries whose key is still limiting at `now` (the others are
/// free for new keys). Reads every entry.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param now the caller's current tick.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_limiting(
    table: *const tg_keyed_table_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
    now: u64,
    out: *mut usize,
) -> tg_status_t {
    limiting(table, entries, len, now, out)
}

/// Empties every entry.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, or an object error.
///
/// Safe from interrupt handlers and several threads (calls racing it see
/// an entry before or after it is emptied).
#[no_mangle]
pub extern "C" fn tg_keyed_reset(
    table: *mut tg_keyed_table_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
) -> tg_status_t {
    reset(table, entries, len)
}

/// Replaces every key's token-bucket configuration while callers use the
/// table (validated and copied), carrying each key's tokens at `now` as
/// `tg_bucket_reconfigure` carries a bucket's: as many as it held, clamped
/// to the new capacity, refilling at the new rate (a lagging `now` never
/// refills a drained bucket). A key whose bucket is full again is as good
/// as absent: its entry is emptied and the key returns as a new one, with
/// the new initial fill. A call racing this one is judged under the old
/// configuration or the new one, never a mix. Touches every entry twice.
///
/// @param table an initialised table header.
/// @param entries its entries (as given to `tg_keyed_init`).
/// @param len their count.
/// @param config the new configuration; it need not outlive the call.
/// @param now the caller's current tick.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT` (`entries`/`len`
///   not the table's), a configuration error as `tg_bucket_init`'s,
///   `TG_E_BUSY` while another reconfiguration of this table is under
///   way, or an object error; on every error the table keeps its
///   configuration.
///
/// Lock-free (never waits, even for a reconfiguration it interrupted);
/// safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_reconfigure(
    table: *mut tg_keyed_table_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    config: *const tg_bucket_config_t,
    now: u64,
) -> tg_status_t {
    status((|| {
        let table = self::table(table.cast_const(), entries.cast_const(), len)?;
        table
            .reconfigure(bucket_config(config)?, Instant::from_ticks(now))
            .map_err(|_| TG_E_BUSY)?;
        Ok(TG_OK)
    })())
}

/// The sliding-window configuration of a keyed table of windows: as
/// `tg_sliding_window_init`'s, with a limit of at most 65 535 (the entries'
/// counts are 16 bits).
fn windows_config(
    config: *const tg_sliding_window_config_t,
) -> Result<SlidingWindowConfig, tg_status_t> {
    let config = sliding_window_config(config)?;
    if config.limit() > MAX_KEYED_WINDOW_LIMIT {
        return Err(TG_E_CONFIG_LIMIT);
    }
    Ok(config)
}

/// Initialises a keyed table of sliding windows: `table`'s header with
/// `config` (every key's window) and the hash `seed`, and its `len` entries
/// at `entries`, all emptied. Declare both with `TG_KEYED_WINDOWS(name, N)`
/// and pass `name.table`, `name.entries`, `TG_KEYED_LEN(name)`. An entry is
/// free for another key once its key's two windows hold no event (two idle
/// windows after its last); a key still counting is never evicted.
///
/// @param table the header to initialise.
/// @param entries the table's entries.
/// @param len how many entries (1 .. 2^32).
/// @param config the sliding-window configuration every key gets (limit at
///   most 65 535).
/// @param seed0 the first 64 bits of the hash seed (random bits).
/// @param seed1 the second 64 bits of the hash seed.
/// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`,
///   `TG_E_INVALID_ARGUMENT` (`len` 0 or above 2^32, or an unknown flag),
///   `TG_E_ALREADY_INITIALIZED`, `TG_E_CONFIG_LIMIT` (0 or above 65 535) or
///   `TG_E_CONFIG_WINDOW`.
///
/// Not thread-safe: initialise before sharing the table.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_init(
    table: *mut tg_keyed_windows_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    config: *const tg_sliding_window_config_t,
    seed0: u64,
    seed1: u64,
    flags: tg_init_flags_t,
) -> tg_status_t {
    init(
        table,
        entries,
        len,
        windows_config(config).map(SlidingWindowConfig::live),
        [seed0, seed1],
        flags,
    )
}

/// Ends the life of a keyed table of windows: later calls report
/// `TG_E_UNINITIALIZED`.
///
/// @param table an initialised table header.
/// @return `TG_OK`, `TG_E_NULL`, or an object error.
///
/// Not thread-safe: nobody may use the table meanwhile.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_deinit(table: *mut tg_keyed_windows_t) -> tg_status_t {
    object::deinit(table)
}

/// Counts `n` events for the integer key `key` at tick `now` in its sliding
/// window, taking the key's entry if it is free. A refusal writes nothing.
///
/// @param table an initialised table header.
/// @param entries its entries (as given to `tg_keyed_windows_init`).
/// @param len their count.
/// @param key the key.
/// @param n how many events.
/// @param now the caller's current tick.
/// @param out_retry_at receives, on `TG_REFUSED`, the earliest tick `n`
///   events would fit, on `TG_TABLE_FULL` the tick the entry's occupant
///   holds no event any more; may be NULL.
/// @return `TG_OK`, `TG_REFUSED`, `TG_TABLE_FULL`, `TG_E_EXCEEDS_CAPACITY`,
///   `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_acquire_u64(
    table: *mut tg_keyed_windows_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    key: u64,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    acquire_u64(table, entries, len, key, n, now, out_retry_at)
}

/// `tg_keyed_windows_acquire_u64` for a byte key of at most
/// `TG_KEYED_MAX_KEY_BYTES` bytes.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param key the key's bytes.
/// @param key_len how many.
/// @param n how many events.
/// @param now the caller's current tick.
/// @param out_retry_at as `tg_keyed_windows_acquire_u64`'s; may be NULL.
/// @return as `tg_keyed_windows_acquire_u64`, and `TG_E_INVALID_ARGUMENT`
///   for a key longer than `TG_KEYED_MAX_KEY_BYTES`.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_acquire_bytes(
    table: *mut tg_keyed_windows_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    key: *const u8,
    key_len: usize,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    acquire_bytes(table, entries, len, key, key_len, n, now, out_retry_at)
}

/// Reads how many events the integer key `key` could count at `now` (0
/// when its entry holds another key still counting). Writes nothing.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param key the key.
/// @param now the caller's current tick.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_available_u64(
    table: *const tg_keyed_windows_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
    key: u64,
    now: u64,
    out: *mut u32,
) -> tg_status_t {
    available(table, entries, len, |table| Ok(table.key(&key)), now, out)
}

/// `tg_keyed_windows_available_u64` for a byte key.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param key the key's bytes.
/// @param key_len how many (at most `TG_KEYED_MAX_KEY_BYTES`).
/// @param now the caller's current tick.
/// @param out receives the count.
/// @return as `tg_keyed_windows_available_u64`.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_available_bytes(
    table: *const tg_keyed_windows_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
    key: *const u8,
    key_len: usize,
    now: u64,
    out: *mut u32,
) -> tg_status_t {
    available(
        table,
        entries,
        len,
        |table| hashed(table, key, key_len),
        now,
        out,
    )
}

/// Counts the entries whose key still counts events at `now`. Reads every
/// entry.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param now the caller's current tick.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_limiting(
    table: *const tg_keyed_windows_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
    now: u64,
    out: *mut usize,
) -> tg_status_t {
    limiting(table, entries, len, now, out)
}

/// Empties every entry.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_reset(
    table: *mut tg_keyed_windows_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
) -> tg_status_t {
    reset(table, entries, len)
}

/// Replaces every key's sliding-window configuration while callers use the
/// table (validated as `tg_keyed_windows_init`'s, and copied; one atomic
/// store). Each key keeps its counts and its window's start: a new `limit`
/// applies at once, a new `window` from the next call on; which keys hold
/// entries does not change. A call racing this one is judged under the old
/// configuration or the new one, never a mix.
///
/// @param table an initialised table header (its entries are not needed).
/// @param config the new configuration; it need not outlive the call.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_CONFIG_LIMIT` (0 or above 65 535),
///   `TG_E_CONFIG_WINDOW` (the table keeps its configuration), or an
///   object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_reconfigure(
    table: *mut tg_keyed_windows_t,
    config: *const tg_sliding_window_config_t,
) -> tg_status_t {
    status((|| {
        let header: &Header<Live<SlidingWindowConfig>> = get(table.cast_const())?;
        header.config.replace(windows_config(config)?);
        Ok(TG_OK)
    })())
}

// `TG_KEYED_SNAPSHOT_SIZE(n)` and `TG_KEYED_WINDOWS_SNAPSHOT_SIZE(n)` in the
// header are `12 + 21 * n` and `12 + 20 * n`.
const _: () = assert!(
    tickguard::keyed::snapshot_len::<BucketConfig>(1) == 12 + 21
        && tickguard::keyed::snapshot_len::<BucketConfig>(1000) == 12 + 21 * 1000
        && tickguard::keyed::snapshot_len::<SlidingWindowConfig>(1) == 12 + 20
        && tickguard::keyed::snapshot_len::<SlidingWindowConfig>(1000) == 12 + 20 * 1000
);

/// Saves a table of either kind into the caller's `out`, a record at a
/// time (no buffer of the table's size, no reference to the caller's
/// memory).
fn snapshot<S, H>(
    table: *const S,
    entries: *const tg_keyed_entry_t,
    len: usize,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t
where
    S: Storage<Inner = Header<H>>,
    H: Holds,
{
    status((|| {
        let table = self::table(table, entries, len)?;
        if out.is_null() {
            return Err(TG_E_NULL);
        }
        if out_len < table.snapshot_len() {
            return Err(TG_E_SNAPSHOT_BUFFER);
        }
        table.save_with(Instant::from_ticks(now), |offset, bytes| {
            if offset.saturating_add(bytes.len()) <= out_len {
                // SAFETY: `out` is non-null and the caller promises
                // `out_len` writable bytes there; this piece lies within
                // them (checked). `bytes` is the core's local record, so
                // the two cannot overlap. No reference to the caller's
                // memory is formed.
                unsafe {
                    core::ptr::copy_nonoverlapping(bytes.as_ptr(), out.add(offset), bytes.len())
                };
            }
        });
        Ok(TG_OK)
    })())
}

/// Restores a table of either kind from the caller's `bytes`, a record at a
/// time (read twice: the checksum first, then the entries).
fn restore<S, H>(
    table: *mut S,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    bytes: *const u8,
    bytes_len: usize,
    now: u64,
) -> tg_status_t
where
    S: Storage<Inner = Header<H>>,
    H: Holds,
{
    status((|| {
        let table = self::table(table.cast_const(), entries.cast_const(), len)?;
        if bytes.is_null() {
            return Err(TG_E_NULL);
        }
        table
            .restore_with(bytes_len, Instant::from_ticks(now), |offset, to| {
                if offset.saturating_add(to.len()) <= bytes_len {
                    // SAFETY: `bytes` is non-null and the caller promises
                    // `bytes_len` readable bytes there; this piece lies
                    // within them (checked), and `to` is the core's local
                    // record buffer. No reference to the caller's memory is
                    // formed.
                    unsafe {
                        core::ptr::copy_nonoverlapping(bytes.add(offset), to.as_mut_ptr(), to.len())
                    };
                } else {
                    to.fill(0);
                }
            })
            .map_err(crate::snapshot::snapshot_status)?;
        Ok(TG_OK)
    })())
}

/// Saves every entry of a keyed table of buckets at `now` into `out`: each
/// key's fingerprint and its bucket, times relative to `now`, under a
/// fingerprint of the configuration, entry count and seed (restore into a
/// table initialised alike, with the same seed). Entries are read one at a
/// time: under concurrent calls each is saved as it was when read.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param now the caller's current tick.
/// @param out receives `TG_KEYED_SNAPSHOT_SIZE(len)` bytes.
/// @param out_len bytes available at `out`.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_SNAPSHOT_BUFFER` (`out_len` too
///   small), `TG_E_INVALID_ARGUMENT` (`entries`/`len` not the table's), or
///   an object error.
///
/// Safe from interrupt handlers and several threads (it writes only `out`;
/// a table of many entries takes a while).
#[no_mangle]
pub extern "C" fn tg_keyed_snapshot(
    table: *const tg_keyed_table_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    snapshot(table, entries, len, now, out, out_len)
}

/// Restores every entry of a keyed table of buckets from a snapshot
/// `tg_keyed_snapshot` took, as of `now` (after a reboot, the tick counter
/// from 0 again). On error the table is left empty.
///
/// @param table an initialised table header (same configuration, entry
///   count and seed as the saved one).
/// @param entries its entries.
/// @param len their count.
/// @param bytes the snapshot.
/// @param bytes_len its length.
/// @param now the caller's current tick.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT`, a snapshot error
///   (`TG_E_SNAPSHOT_TRUNCATED`, `TG_E_SNAPSHOT_CORRUPT`,
///   `TG_E_SNAPSHOT_VERSION`, `TG_E_SNAPSHOT_KIND`, `TG_E_SNAPSHOT_CONFIG`:
///   another configuration, entry count or seed), or an object error.
///
/// Not for a table in use: calls racing it see a table being emptied and
/// refilled.
#[no_mangle]
pub extern "C" fn tg_keyed_restore(
    table: *mut tg_keyed_table_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    bytes: *const u8,
    bytes_len: usize,
    now: u64,
) -> tg_status_t {
    restore(table, entries, len, bytes, bytes_len, now)
}

/// `tg_keyed_snapshot` for a keyed table of sliding windows:
/// `TG_KEYED_WINDOWS_SNAPSHOT_SIZE(len)` bytes.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param now the caller's current tick.
/// @param out receives the snapshot.
/// @param out_len bytes available at `out`.
/// @return as `tg_keyed_snapshot`.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_snapshot(
    table: *const tg_keyed_windows_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
    now: u64,
    out: *mut u8,
    out_len: usize,
) -> tg_status_t {
    snapshot(table, entries, len, now, out, out_len)
}

/// `tg_keyed_restore` for a keyed table of sliding windows.
///
/// @param table an initialised table header.
/// @param entries its entries.
/// @param len their count.
/// @param bytes the snapshot.
/// @param bytes_len its length.
/// @param now the caller's current tick.
/// @return as `tg_keyed_restore`.
///
/// Not for a table in use.
#[no_mangle]
pub extern "C" fn tg_keyed_windows_restore(
    table: *mut tg_keyed_windows_t,
    entries: *mut tg_keyed_entry_t,
    len: usize,
    bytes: *const u8,
    bytes_len: usize,
    now: u64,
) -> tg_status_t {
    restore(table, entries, len, bytes, bytes_len, now)
}
