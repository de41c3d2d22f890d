//! `tg_lkg_*`: the last-known-good store; `tg_degradation_*`: degradation
//! levels.

use tickguard::breaker::State;
use tickguard::degrade::{Degradation, LevelChange};
use tickguard::fallback::LastKnownGood;
use tickguard::snapshot::{Codec, Fields};
use tickguard::time::{Duration, Instant};

use crate::breaker::{
    tg_state_t, TG_STATE_CLOSED, TG_STATE_DISABLED, TG_STATE_FORCED_OPEN, TG_STATE_HALF_OPEN,
    TG_STATE_OPEN,
};
use crate::object::{self, get, get_mut, put, required, status, tg_init_flags_t, TG_INIT_DEFAULT};
use crate::status::*;

/// Entries a `tg_lkg_t` holds; storing a new key into a full store replaces
/// the entry stored longest ago.
pub const TG_LKG_ENTRIES: usize = 16;
/// The longest key, in bytes.
pub const TG_LKG_KEY_BYTES: usize = 32;
/// The longest value, in bytes.
pub const TG_LKG_VALUE_BYTES: usize = 64;

/// A key or value of up to `N` bytes (internal to the store).
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Bytes<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> Bytes<N> {
    /// `len` bytes at `data`, if they fit.
    fn copy(data: *const u8, len: usize) -> Result<Self, tg_status_t> {
        if data.is_null() {
            return Err(TG_E_NULL);
        }
        if len > N {
            return Err(TG_E_INVALID_ARGUMENT);
        }
        let mut bytes = [0u8; N];
        // SAFETY: non-null, and the caller promises `len` readable bytes;
        // `len <= N` fits the destination; the two cannot overlap (a local).
        unsafe { core::ptr::copy_nonoverlapping(data, bytes.as_mut_ptr(), len) };
        Ok(Self {
            len: len as u8,
            bytes,
        })
    }
}

impl<const N: usize> Codec for Bytes<N> {
    /// The length, then all `N` bytes (those past the length are 0).
    const LEN: usize = 1 + N;

    fn save(&self, fields: &mut Fields<'_>) {
        fields.u8(self.len);
        fields.bytes(self.bytes);
    }

    fn restore(fields: &mut Fields<'_>) -> Option<Self> {
        let len = fields.read_u8();
        let bytes: [u8; N] = fields.read_bytes();
        let unused = bytes.get(usize::from(len)..)?;
        unused
            .iter()
            .all(|&b| b == 0)
            .then_some(Self { len, bytes })
    }
}

pub(crate) type Store =
    LastKnownGood<Bytes<TG_LKG_KEY_BYTES>, Bytes<TG_LKG_VALUE_BYTES>, TG_LKG_ENTRIES>;

/// Storage for a last-known-good store: up to `TG_LKG_ENTRIES` values of up
/// to `TG_LKG_VALUE_BYTES` bytes under keys of up to `TG_LKG_KEY_BYTES`
/// bytes, each with the tick it was stored. Serves a value only while the
/// caller's primary fails (the caller asks) and only up to a maximum age.
#[repr(C, align(16))]
pub struct tg_lkg_t {
    /// Private: the store. Touch only through `tg_lkg_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 228],
}

object::storage!(tg_lkg_t, Store, 0x7467_4C4B); // "tgLK"

/// Initialises `lkg`, empty, serving values up to `max_age_ticks` old.
///
/// @param lkg the caller-allocated store.
/// @param max_age_ticks the oldest value served.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED` or
///   `TG_E_ALREADY_INITIALIZED`.
///
/// Not thread-safe.
#[no_mangle]
pub extern "C" fn tg_lkg_init(lkg: *mut tg_lkg_t, max_age_ticks: u64) -> tg_status_t {
    tg_lkg_init_ex(lkg, max_age_ticks, TG_INIT_DEFAULT)
}

/// Initialises `lkg` as `tg_lkg_init` does, with `TG_INIT_*` flags.
///
/// @param lkg the caller-allocated store.
/// @param max_age_ticks the oldest value served.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return as `tg_lkg_init`, or `TG_E_INVALID_ARGUMENT` for an unknown flag.
///
/// Not thread-safe.
#[no_mangle]
pub extern "C" fn tg_lkg_init_ex(
    lkg: *mut tg_lkg_t,
    max_age_ticks: u64,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(
        lkg,
        Ok(Store::new(Duration::from_ticks(max_age_ticks))),
        flags,
    )
}

/// Stores `value` for `key`, fresh at `now` (the primary just answered).
///
/// @param lkg an initialised store.
/// @param key the key's bytes.
/// @param key_len the key's length (at most `TG_LKG_KEY_BYTES`).
/// @param value the value's bytes.
/// @param value_len the value's length (at most `TG_LKG_VALUE_BYTES`).
/// @param now the current tick.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT` if the key or value
///   is too long, or an object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`,
///   `TG_E_MISALIGNED`).
///
/// Not thread-safe: one owner, or the caller's lock.
#[no_mangle]
pub extern "C" fn tg_lkg_store(
    lkg: *mut tg_lkg_t,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    now: u64,
) -> tg_status_t {
    status((|| {
        let key = Bytes::copy(key, key_len)?;
        let value = Bytes::copy(value, value_len)?;
        get_mut(lkg)?.store(key, value, Instant::from_ticks(now));
        Ok(TG_OK)
    })())
}

/// Serves the last known good value of `key` at `now`: call it when the
/// primary fails.
///
/// @param lkg an initialised store.
/// @param key the key's bytes.
/// @param key_len the key's length.
/// @param now the current tick.
/// @param out_value receives the value (a buffer of `TG_LKG_VALUE_BYTES`).
/// @param out_len receives the value's length.
/// @param out_age receives the value's age in ticks; may be NULL.
/// @return `TG_OK` when served, `TG_NOT_FOUND` when no value of that key
///   younger than the maximum age is held (outputs untouched), `TG_E_NULL`,
///   `TG_E_INVALID_ARGUMENT` for a key longer than `TG_LKG_KEY_BYTES`, or an
///   object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Reads only, but not safe beside a concurrent `tg_lkg_store`.
#[no_mangle]
pub extern "C" fn tg_lkg_serve(
    lkg: *const tg_lkg_t,
    key: *const u8,
    key_len: usize,
    now: u64,
    out_value: *mut u8,
    out_len: *mut usize,
    out_age: *mut u64,
) -> tg_status_t {
    status((|| {
        let store = get(lkg)?;
        let key = Bytes::copy(key, key_len)?;
        let out_value = required(out_value)?;
        let out_len = required(out_len)?;
        let Some(served) = store.serve(&key, Instant::from_ticks(now)) else {
            return Ok(TG_NOT_FOUND);
        };
        let len = usize::from(served.value.len).min(TG_LKG_VALUE_BYTES);
        // SAFETY: `out_value` is non-null and the caller promises a buffer
        // of TG_LKG_VALUE_BYTES; `len` is at most that.
        unsafe { core::ptr::copy_nonoverlapping(served.value.bytes.as_ptr(), out_value, len) };
        put(out_len, len);
        put(out_age, served.age.ticks());
        Ok(TG_OK)
    })())
}

/// Forgets `key`'s value.
///
/// @param lkg an initialised store.
/// @param key the key's bytes.
/// @param key_len the key's length.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT` for a key longer
///   than `TG_LKG_KEY_BYTES`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe.
#[no_mangle]
pub extern "C" fn tg_lkg_forget(lkg: *mut tg_lkg_t, key: *const u8, key_len: usize) -> tg_status_t {
    status((|| {
        let key = Bytes::copy(key, key_len)?;
        get_mut(lkg)?.forget(&key);
        Ok(TG_OK)
    })())
}

/// Ends the life of `lkg`.
///
/// @param lkg an initialised store.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Not thread-safe.
#[no_mangle]
pub extern "C" fn tg_lkg_deinit(lkg: *mut tg_lkg_t) -> tg_status_t {
    object::deinit(lkg)
}

/// Storage for degradation levels: a manual level, an automatic level that
/// follows a breaker, and 32 feature switches, in one atomic word.
#[repr(C, align(16))]
pub struct tg_degradation_t {
    /// Private: the state. Touch only through `tg_degradation_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 4],
}

object::storage!(tg_degradation_t, Degradation, 0x7467_4447); // "tgDG"

/// A change of the effective degradation level.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_level_change_t {
    /// Whether the effective level changed; `from` and `to` are valid only
    /// then.
    pub changed: bool,
    /// The level before.
    pub from: u8,
    /// The level after.
    pub to: u8,
}

fn level_change(change: Option<LevelChange>) -> tg_level_change_t {
    match change {
        Some(c) => tg_level_change_t {
            changed: true,
            from: c.from,
            to: c.to,
        },
        None => tg_level_change_t {
            changed: false,
            from: 0,
            to: 0,
        },
    }
}

/// Initialises `degradation` at level 0 with every feature switched on.
///
/// @param degradation the caller-allocated object.
/// @param flags `TG_INIT_DEFAULT` or a combination of `TG_INIT_REINIT` and
///   `TG_INIT_SHARED`.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`,
///   `TG_E_ALREADY_INITIALIZED`, or `TG_E_INVALID_ARGUMENT` for an unknown
///   flag.
///
/// Not thread-safe: initialise before sharing the object.
#[no_mangle]
pub extern "C" fn tg_degradation_init(
    degradation: *mut tg_degradation_t,
    flags: tg_init_flags_t,
) -> tg_status_t {
    object::init(degradation, Ok(Degradation::new()), flags)
}

/// Sets the manual level.
///
/// @param degradation an initialised object.
/// @param level the manual level.
/// @param out receives the change of effective level; may be NULL.
/// @return `TG_OK`, `TG_E_NULL`, or an object error (`TG_E_UNINITIALIZED`,
///   `TG_E_MOVED`, `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and several threads; each change is
/// reported to exactly one caller.
#[no_mangle]
pub extern "C" fn tg_degradation_set_level(
    degradation: *mut tg_degradation_t,
    level: u8,
    out: *mut tg_level_change_t,
) -> tg_status_t {
    status(get(degradation.cast_const()).map(|d| {
        put(out, level_change(d.set_level(level)));
        TG_OK
    }))
}

/// Follows a dependency's breaker: while `state` is OPEN, HALF_OPEN or
/// FORCED_OPEN the automatic level is `level_while_open`, otherwise 0.
///
/// @param degradation an initialised object.
/// @param state a `TG_STATE_*` value (from `tg_breaker_state`).
/// @param level_while_open the automatic level while the breaker is open.
/// @param out receives the change of effective level; may be NULL.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT` for an unknown
///   state, or an object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`,
///   `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and several threads; each change is
/// reported to exactly one caller.
#[no_mangle]
pub extern "C" fn tg_degradation_follow_breaker(
    degradation: *mut tg_degradation_t,
    state: tg_state_t,
    level_while_open: u8,
    out: *mut tg_level_change_t,
) -> tg_status_t {
    status((|| {
        let d = get(degradation.cast_const())?;
        let state = match state {
            TG_STATE_CLOSED => State::Closed,
            TG_STATE_OPEN => State::Open,
            TG_STATE_HALF_OPEN => State::HalfOpen,
            TG_STATE_FORCED_OPEN => State::ForcedOpen,
            TG_STATE_DISABLED => State::Disabled,
            _ => return Err(TG_E_INVALID_ARGUMENT),
        };
        put(out, level_change(d.follow_breaker(state, level_while_open)));
        Ok(TG_OK)
    })())
}

/// Switches feature `feature` (0 .. 31) on or off.
///
/// @param degradation an initialised object.
/// @param feature the switch (0 .. 31).
/// @param on whether to switch it on.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT` for a switch above
///   31, or an object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`,
///   `TG_E_MISALIGNED`).
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_degradation_switch(
    degradation: *mut tg_degradation_t,
    feature: u8,
    on: bool,
) -> tg_status_t {
    status((|| {
        let d = get(degradation.cast_const())?;
        if feature >= 32 {
            return Err(TG_E_INVALID_ARGUMENT);
        }
        let _ = if on {
            d.switch_on(feature)
        } else {
            d.switch_off(feature)
        };
        Ok(TG_OK)
    })())
}

/// Whether optional work shed at level `shed_at` and guarded by switch
/// `feature` may run now, and the effective level.
///
/// @param degradation an initialised object.
/// @param shed_at the level at which the work is shed.
/// @param feature its switch (0 .. 31).
/// @param out_allows receives whether the work may run.
/// @param out_level receives the effective level; may be NULL.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT` for a switch above
///   31, or an object error (`TG_E_UNINITIALIZED`, `TG_E_MOVED`,
///   `TG_E_MISALIGNED`).
///
/// Reads only; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_degradation_allows(
    degradation: *const tg_degradation_t,
    shed_at: u8,
    feature: u8,
    out_allows: *mut bool,
    out_level: *mut u8,
) -> tg_status_t {
    status((|| {
        let d = get(degradation)?;
        if feature >= 32 {
            return Err(TG_E_INVALID_ARGUMENT);
        }
        let out = required(out_allows)?;
        put(out, d.allows(shed_at, feature));
        put(out_level, d.level());
        Ok(TG_OK)
    })())
}
