//! `tg_cell_t` and `tg_*_cell_*`: a machine over a word the caller keeps
//! anywhere it can load and compare-and-set it (a Redis key through
//! hiredis, shared memory, etcd), through two callbacks.

use core::ffi::{c_char, c_void};
use tickguard::breaker::{self, BreakerConfig, Trips};
use tickguard::bucket::{self, Refused};
use tickguard::machine::{run, HeldWord, Input, Machine};
use tickguard::snapshot::{config_fingerprint, Format};
use tickguard::time::Instant;

use crate::breaker::{
    decision_of, record_of, report_of, tg_breaker_config_t, tg_breaker_decision_t, tg_outcome_t,
    tg_permit_t, tg_record_t,
};
use crate::bucket::{bucket_config, tg_bucket_config_t};
use crate::object::{put, read, required, status};
use crate::status::*;

/// A machine's state word as the cell stores it: 128 bits in two halves.
/// A cell that holds nothing yet holds the fresh word, all zeros, for
/// every machine a cell runs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct tg_cell_word_t {
    /// Bits 0..63.
    pub low: u64,
    /// Bits 64..127.
    pub high: u64,
}

impl From<u128> for tg_cell_word_t {
    fn from(word: u128) -> Self {
        Self {
            low: word as u64,
            high: (word >> 64) as u64,
        }
    }
}

impl From<tg_cell_word_t> for u128 {
    fn from(word: tg_cell_word_t) -> Self {
        (u128::from(word.high) << 64) | u128::from(word.low)
    }
}

/// Loads the cell's word into `*out` (the fresh word, all zeros, if the
/// cell holds nothing). Returns 0, or a negative value of the caller's
/// choosing on failure (the call then returns `TG_E_CELL`).
pub type tg_cell_load_fn =
    Option<unsafe extern "C" fn(context: *mut c_void, out: *mut tg_cell_word_t) -> i32>;

/// Replaces the cell's word with `desired` if it is `expected` and returns
/// 0; otherwise leaves it, writes the word it holds to `*found` and
/// returns 1 (a conflict: the step runs again from `*found`). A negative
/// value is a failure of the caller's choosing (the call then returns
/// `TG_E_CELL`).
pub type tg_cell_compare_and_set_fn = Option<
    unsafe extern "C" fn(
        context: *mut c_void,
        expected: tg_cell_word_t,
        desired: tg_cell_word_t,
        found: *mut tg_cell_word_t,
    ) -> i32,
>;

/// A word the caller keeps: two callbacks and their context. The library
/// loads the word, runs the machine's step on it and compare-and-sets the
/// result, stepping again from the word a conflict returns, at most
/// `max_attempts` compare-and-sets per call. It keeps no state of its own:
/// the cell may be on the stack, and one cell may serve several threads as
/// far as its callbacks allow.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_cell_t {
    /// Passed to both callbacks as it is.
    pub context: *mut c_void,
    /// Reads the word (required).
    pub load: tg_cell_load_fn,
    /// Compare-and-sets the word (required).
    pub compare_and_set: tg_cell_compare_and_set_fn,
    /// Compare-and-sets one call may make before `TG_E_CONTENDED`
    /// (0: 16).
    pub max_attempts: u32,
}

/// Compare-and-sets per call when `max_attempts` is 0.
const DEFAULT_ATTEMPTS: u32 = 16;

/// The caller's cell as a [`HeldWord`]: every failure of a callback is
/// `TG_E_CELL`, and the compare-and-set after the last attempt
/// `TG_E_CONTENDED`.
struct Held {
    cell: tg_cell_t,
    load: unsafe extern "C" fn(*mut c_void, *mut tg_cell_word_t) -> i32,
    compare_and_set: unsafe extern "C" fn(
        *mut c_void,
        tg_cell_word_t,
        tg_cell_word_t,
        *mut tg_cell_word_t,
    ) -> i32,
    attempts_left: u32,
}

impl Held {
    fn of(cell: *const tg_cell_t) -> Result<Self, tg_status_t> {
        let cell = read(cell)?;
        let (Some(load), Some(compare_and_set)) = (cell.load, cell.compare_and_set) else {
            return Err(TG_E_NULL);
        };
        let attempts_left = match cell.max_attempts {
            0 => DEFAULT_ATTEMPTS,
            attempts => attempts,
        };
        Ok(Self {
            cell,
            load,
            compare_and_set,
            attempts_left,
        })
    }
}

impl HeldWord<u128> for Held {
    type Error = tg_status_t;

    fn load(&mut self) -> Result<u128, tg_status_t> {
        let mut word = tg_cell_word_t::default();
        // SAFETY: the caller of `tg_*_cell_*` promises that `load` is a
        // function of this signature that may be called with `context`;
        // `word` is a live, writable `tg_cell_word_t`.
        let code = unsafe { (self.load)(self.cell.context, &mut word) };
        if code < 0 {
            return Err(TG_E_CELL);
        }
        Ok(word.into())
    }

    fn compare_and_set(
        &mut self,
        current: u128,
        new: u128,
    ) -> Result<Result<(), u128>, tg_status_t> {
        let Some(left) = self.attempts_left.checked_sub(1) else {
            return Err(TG_E_CONTENDED);
        };
        self.attempts_left = left;
        let mut found = tg_cell_word_t::from(current);
        // SAFETY: as in `load`; `found` is a live, writable
        // `tg_cell_word_t`, initialised, so a callback that reports a
        // conflict without writing it leaves a word to step from.
        let code = unsafe {
            (self.compare_and_set)(self.cell.context, current.into(), new.into(), &mut found)
        };
        match code {
            0 => Ok(Ok(())),
            1 => Ok(Err(found.into())),
            _ => Err(TG_E_CELL),
        }
    }
}

/// Runs `input` on `machine` over the caller's cell.
fn decide<M, I>(machine: &M, cell: *const tg_cell_t, input: I) -> Result<I::Decision, tg_status_t>
where
    M: Machine<Word = u128>,
    I: Input<M>,
{
    run(machine, input, &mut Held::of(cell)?)
}

/// Takes `n` tokens at tick `now` from the token bucket `config` describes,
/// whose word the cell keeps (`tg_bucket_acquire` over a cell). A refusal
/// writes nothing.
///
/// @param config the bucket's configuration (validated on each call).
/// @param cell the caller's word: its callbacks and context.
/// @param n how many tokens to take.
/// @param now the caller's current tick, on one clock shared by everyone
///   using the cell (see docs/redis.md for a server's clock).
/// @param out_retry_at receives, on `TG_REFUSED`, the earliest tick at which
///   `n` tokens will be available; may be NULL.
/// @return `TG_OK` when taken, `TG_REFUSED`, `TG_E_EXCEEDS_CAPACITY`,
///   `TG_E_NULL` if `config`, `cell` or a callback is NULL, the
///   `TG_E_CONFIG_*` code of the first invalid field, `TG_E_CELL` if a
///   callback failed, or `TG_E_CONTENDED` after `max_attempts` conflicts.
///
/// Thread-safe as far as the cell's callbacks are.
#[no_mangle]
pub extern "C" fn tg_bucket_cell_acquire(
    config: *const tg_bucket_config_t,
    cell: *const tg_cell_t,
    n: u32,
    now: u64,
    out_retry_at: *mut u64,
) -> tg_status_t {
    status((|| {
        let config = bucket_config(config)?;
        let now = Instant::from_ticks(now);
        match decide(&config, cell, bucket::Acquire { n, now })? {
            Ok(()) => Ok(TG_OK),
            Err(Refused::Wait { retry_at }) => {
                put(out_retry_at, retry_at.ticks());
                Ok(TG_REFUSED)
            }
            Err(Refused::ExceedsCapacity) => Err(TG_E_EXCEEDS_CAPACITY),
        }
    })())
}

/// The breaker `config` describes, if it keeps all its state in one word
/// (consecutive failures; no failure-rate window, slow-call rate or trip
/// rule, which count in a second word).
fn one_word_breaker(config: *const tg_breaker_config_t) -> Result<BreakerConfig, tg_status_t> {
    let config = crate::breaker::validate(config)?;
    if config.counts_beside_its_word() {
        return Err(TG_E_NOT_ONE_WORD);
    }
    Ok(config)
}

/// Asks the breaker `config` describes, whose word the cell keeps, to make
/// a call at tick `now` (`tg_breaker_acquire` over a cell).
///
/// @param config the breaker's configuration (validated on each call):
///   consecutive failures only (`TG_E_NOT_ONE_WORD` for a failure rate, a
///   slow-call rate or a trip rule).
/// @param cell the caller's word: its callbacks and context.
/// @param now the caller's current tick, on the cell's shared clock.
/// @param out receives the decision on `TG_OK` (`permit`) and on
///   `TG_REFUSED` (`retry_at`).
/// @return `TG_OK` when admitted, `TG_REFUSED`, `TG_E_NULL`, a
///   `TG_E_CONFIG_*` code, `TG_E_NOT_ONE_WORD`, `TG_E_CELL` or
///   `TG_E_CONTENDED`.
///
/// Thread-safe as far as the cell's callbacks are.
#[no_mangle]
pub extern "C" fn tg_breaker_cell_acquire(
    config: *const tg_breaker_config_t,
    cell: *const tg_cell_t,
    now: u64,
    out: *mut tg_breaker_decision_t,
) -> tg_status_t {
    status((|| {
        let config = one_word_breaker(config)?;
        let out = required(out)?;
        let now = Instant::from_ticks(now);
        let (code, decision) = decision_of(decide(&config, cell, breaker::Acquire { now })?);
        put(out, decision);
        Ok(code)
    })())
}

/// Reports the outcome of a call admitted with `permit` to the breaker
/// whose word the cell keeps (`tg_breaker_record` over a cell).
///
/// @param config the breaker's configuration, as for
///   `tg_breaker_cell_acquire`.
/// @param cell the caller's word: its callbacks and context.
/// @param permit the permit `tg_breaker_cell_acquire` returned.
/// @param outcome `TG_OUTCOME_SUCCESS`, `TG_OUTCOME_FAILURE` or
///   `TG_OUTCOME_IGNORED`.
/// @param now the caller's current tick, on the cell's shared clock.
/// @param out receives what was done with the outcome; may be NULL.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_INVALID_ARGUMENT` for an unknown
///   outcome or a byte that is not a permit, a `TG_E_CONFIG_*` code,
///   `TG_E_NOT_ONE_WORD`, `TG_E_CELL` or `TG_E_CONTENDED`.
///
/// Thread-safe as far as the cell's callbacks are.
#[no_mangle]
pub extern "C" fn tg_breaker_cell_record(
    config: *const tg_breaker_config_t,
    cell: *const tg_cell_t,
    permit: tg_permit_t,
    outcome: tg_outcome_t,
    now: u64,
    out: *mut tg_record_t,
) -> tg_status_t {
    status((|| {
        let config = one_word_breaker(config)?;
        let (permit, outcome) = report_of(permit, outcome)?;
        let now = Instant::from_ticks(now);
        let record = breaker::Record {
            permit,
            outcome,
            now,
            trips: Trips::NONE,
        };
        put(out, record_of(decide(&config, cell, record)?));
        Ok(TG_OK)
    })())
}

/// Bytes `tg_*_cell_prefix` may write, its NUL included.
pub const TG_CELL_PREFIX_MAX: usize = 48;

/// Writes `tg<release>:<kind>:<fingerprint>:` (and a NUL) to `out`: the
/// prefix of the values `tickguard-redis` stores for this machine and
/// configuration, so a C cell that stores `prefix` + the word in 32
/// lower-case hexadecimal digits (high half first) under the key
/// `tickguard:<kind>:<name>` shares it with Rust processes.
fn write_prefix(
    kind: u8,
    fingerprint: u32,
    out: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> Result<tg_status_t, tg_status_t> {
    if out.is_null() {
        return Err(TG_E_NULL);
    }
    // The low four bits of `value` as a lower-case hexadecimal digit.
    let hex = |value: u32| {
        b"0123456789abcdef"
            .get((value & 0xF) as usize)
            .copied()
            .unwrap_or(b'0')
    };
    let mut prefix = [0u8; TG_CELL_PREFIX_MAX];
    let mut at = 0usize;
    let mut push = |byte: u8| {
        if let Some(slot) = prefix.get_mut(at) {
            *slot = byte;
        }
        at = at.saturating_add(1);
    };
    push(b't');
    push(b'g');
    env!("CARGO_PKG_VERSION").bytes().for_each(&mut push);
    push(b':');
    for shift in [4u32, 0] {
        push(hex(u32::from(kind) >> shift));
    }
    push(b':');
    for nibble in (0..8u32).rev() {
        push(hex(fingerprint >> (nibble * 4)));
    }
    push(b':');
    push(0);
    if at > TG_CELL_PREFIX_MAX || at > len {
        return Err(TG_E_INVALID_ARGUMENT);
    }
    // SAFETY: the caller promises `out` is writable for `len` bytes, and
    // `at <= len` bytes are copied from a local array of at least `at`.
    unsafe { core::ptr::copy_nonoverlapping(prefix.as_ptr(), out.cast::<u8>(), at) };
    put(out_len, at.saturating_sub(1));
    Ok(TG_OK)
}

/// The prefix of the values `tickguard-redis` stores for the bucket
/// `config` describes: a C cell that stores this prefix followed by the
/// word in 32 lower-case hexadecimal digits (`high` then `low`) under the
/// key `tickguard:02:<name>` shares that key with Rust processes using
/// `tickguard_redis::RemoteKey` (the same configuration and release).
///
/// @param config the bucket's configuration.
/// @param out receives the NUL-terminated prefix.
/// @param len bytes writable at `out` (`TG_CELL_PREFIX_MAX` is enough).
/// @param out_len receives the prefix's length without its NUL; may be NULL.
/// @return `TG_OK`, `TG_E_NULL`, a `TG_E_CONFIG_*` code, or
///   `TG_E_INVALID_ARGUMENT` if `len` is too small (nothing written).
///
/// Safe from any thread.
#[no_mangle]
pub extern "C" fn tg_bucket_cell_prefix(
    config: *const tg_bucket_config_t,
    out: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> tg_status_t {
    status((|| {
        let config = bucket_config(config)?;
        write_prefix(
            <tickguard::bucket::BucketConfig as Format>::KIND,
            config_fingerprint(&config),
            out,
            len,
            out_len,
        )
    })())
}

/// The prefix of the values `tickguard-redis` stores for the breaker
/// `config` describes (key `tickguard:01:<name>`), as
/// `tg_bucket_cell_prefix`.
///
/// @param config the breaker's configuration (consecutive failures only).
/// @param out receives the NUL-terminated prefix.
/// @param len bytes writable at `out` (`TG_CELL_PREFIX_MAX` is enough).
/// @param out_len receives the prefix's length without its NUL; may be NULL.
/// @return `TG_OK`, `TG_E_NULL`, a `TG_E_CONFIG_*` code,
///   `TG_E_NOT_ONE_WORD`, or `TG_E_INVALID_ARGUMENT` if `len` is too small.
///
/// Safe from any thread.
#[no_mangle]
pub extern "C" fn tg_breaker_cell_prefix(
    config: *const tg_breaker_config_t,
    out: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> tg_status_t {
    status((|| {
        let config = one_word_breaker(config)?;
        write_prefix(
            <BreakerConfig as Format>::KIND,
            config_fingerprint(&config),
            out,
            len,
            out_len,
        )
    })())
}

/// The compare-and-set script `tickguard-redis` runs on a Redis or Valkey
/// server (NUL-terminated Lua): `SCRIPT LOAD` it once and `EVALSHA` it
/// with one key and `load`, `check` or `cas` (see its header comment and
/// docs/redis.md), so a C cell over hiredis uses the same protocol.
///
/// @return a static string; never NULL.
///
/// Safe from any thread.
#[no_mangle]
pub extern "C" fn tg_redis_script() -> *const c_char {
    REDIS_SCRIPT.as_ptr()
}

static REDIS_SCRIPT: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
    concat!(include_str!("../../redis/src/cas.lua"), "\0").as_bytes(),
) {
    Ok(script) => script,
    Err(_) => c"",
};
