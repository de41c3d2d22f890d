//! `tg_keyed_*`: token buckets per key in a fixed table the caller
//! allocates (`TG_KEYED_TABLE` in the header).

use tickguard::bucket::BucketConfig;
use tickguard::keyed::{Entry, KeyRef, KeyedTable, Refused};
use tickguard::time::Instant;

use crate::bucket::{bucket_config, tg_bucket_config_t};
use crate::entries::{self, CEntry, Place};
use crate::object::{self, get, put, required, status, tg_init_flags_t};
use crate::status::*;

/// The longest byte key `tg_keyed_acquire_bytes` takes.
pub const TG_KEYED_MAX_KEY_BYTES: usize = 64;

/// One entry of a keyed table: a key's fingerprint and token bucket in one
/// 128-bit word. Declare an array of them with `TG_KEYED_TABLE`.
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
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 14],
}

/// What the header holds: plain integers, valid for every bit pattern.
pub(crate) struct Header {
    config: BucketConfig,
    seed: [u64; 2],
    entries: Place,
}

object::storage!(tg_keyed_table_t, Header, 0x7467_4B59); // "tgKY"

/// The table behind `table` over the `len` entries at `entries`, checked:
/// the header is live, and `entries`/`len` are the ones it was initialised
/// with (the address only for tables not in shared memory).
fn table<'a>(
    table: *const tg_keyed_table_t,
    entries: *const tg_keyed_entry_t,
    len: usize,
) -> Result<KeyedTable<'a>, tg_status_t> {
    let header: &'a Header = get(table)?;
    Ok(KeyedTable {
        config: &header.config,
        seed: header.seed,
        entries: entries::slice(&header.entries, entries, len, MAX_ENTRIES)?,
    })
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
    let place = match entries::place(entries, len, MAX_ENTRIES, TG_E_INVALID_ARGUMENT, flags) {
        Ok(place) => place,
        Err(status) => return status,
    };
    let header = bucket_config(config).map(|config| Header {
        config,
        seed: [seed0, seed1],
        entries: place,
    });
    let status = object::init(table, header, flags);
    if status == TG_OK {
        entries::empty(entries, &place);
    }
    status
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

fn hashed(table: &KeyedTable<'_>, key: *const u8, key_len: usize) -> Result<KeyRef, tg_status_t> {
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
    status((|| {
        let table = self::table(table.cast_const(), entries.cast_const(), len)?;
        decided(
            table.acquire(table.key(&key), n, Instant::from_ticks(now)),
            out_retry_at,
        )
    })())
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
    status((|| {
        let table = self::table(table.cast_const(), entries.cast_const(), len)?;
        let key = hashed(&table, key, key_len)?;
        decided(
            table.acquire(key, n, Instant::from_ticks(now)),
            out_retry_at,
        )
    })())
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
    status((|| {
        let table = self::table(table, entries, len)?;
        let out = required(out)?;
        put(
            out,
            table.available(table.key(&key), Instant::from_ticks(now)),
        );
        Ok(TG_OK)
    })())
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
    status((|| {
        let table = self::table(table, entries, len)?;
        let key = hashed(&table, key, key_len)?;
        let out = required(out)?;
        put(out, table.available(key, Instant::from_ticks(now)));
        Ok(TG_OK)
    })())
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
    status((|| {
        let table = self::table(table, entries, len)?;
        let out = required(out)?;
        put(out, table.limiting(Instant::from_ticks(now)));
        Ok(TG_OK)
    })())
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
    status(
        self::table(table.cast_const(), entries.cast_const(), len).map(|table| {
            table.reset();
            TG_OK
        }),
    )
}
