//! # tickguard
//!
//! Fault-tolerance primitives for code that cannot afford a runtime: a
//! [circuit breaker](breaker) and a [token bucket](bucket), each a pure state
//! machine over one packed 128-bit word, and a [retry budget](budget) in one
//! 64-bit word, applied to atomics by one private compare-and-swap driver
//! and runnable over a word the caller holds ([`machine`]); [retry with backoff and jitter](retry) as a step
//! function; four [error classes](classify) with a handling
//! table that drives them; [`fallback`] values (default and
//! last-known-good) and [degradation levels](degrade). Beside the bucket,
//! the other limiters: the [shaper] (the leaky bucket as a queue), the
//! [sliding-window counter](sliding_window), the exact
//! [sliding-window log](sliding_log), the
//! [fixed window with a suppression count](fixed_window), the
//! [bulkhead], the [adaptive concurrency limit](adaptive) and
//! [keyed buckets and sliding windows](keyed) in a fixed table.
//!
//! * `#![no_std]`, no allocation, no clock reads, no sleeping, no panics.
//! * Time is a monotonic `u64` tick supplied by the caller on every call,
//!   carried as [`time::Instant`] and [`time::Duration`] (see [`time`]);
//!   nothing wraps within a device's life, deadlines are exact, and a
//!   lagging `now` never buys an admission.
//! * Configuration is immutable and `const`-constructible, so it can live in
//!   flash; only the 16-byte state word needs RAM.
//! * The state word is lock-free on 64-bit hosts (x86_64 through
//!   `cmpxchg16b`, detected at run time; aarch64) and safe to share with
//!   interrupt handlers everywhere. 32-bit microcontrollers have no 128-bit
//!   compare-and-swap: there the word goes through an interrupt-safe
//!   critical section that the final binary chooses with this crate's
//!   `critical-section` or `unsafe-assume-single-core` feature (passed
//!   through to `portable-atomic`). This crate never picks one, and on a
//!   32-bit bare-metal target a build without one fails to compile, rather
//!   than fall back to a spin lock that deadlocks when an interrupt handler
//!   preempts its holder.
//! * Every primitive is a state machine over its word ([`machine`]), which
//!   runs over a word the caller holds too, and saves its state as a
//!   [`snapshot`] that survives a reboot.
//!
//! # Features
//!
//! | feature | what it does |
//! |---|---|
//! | `critical-section` | bare metal: each state update inside the program's `critical-section` implementation |
//! | `unsafe-assume-single-core` | bare metal, one core: `portable-atomic` masks interrupts around each update |
//! | `defmt` | `defmt::Format` for times, states, transitions, permits, decisions and errors |
//! | `embassy-time` | `From` conversions with `embassy_time::{Instant, Duration}` (`time::embassy`) |
//! | `fugit` | `From` conversions with fugit's 64-bit `Instant`/`Duration` (`time::fugit_conversions`) |
//!
//! A 32-bit bare-metal build needs exactly one of the first two; the others
//! combine freely.
//!
//! ```
//! # use tickguard::time::Duration;
//! # use tickguard::bucket::BucketSettings;
//! # use tickguard::time::Instant;
//! use tickguard::breaker::{Breaker, BreakerConfig, Outcome};
//! use tickguard::bucket::{BucketConfig, TokenBucket};
//!
//! static BREAKER_CONFIG: BreakerConfig = match BreakerConfig::new(BreakerConfig::DEFAULT_SETTINGS) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid breaker configuration"),
//! };
//! static BREAKER: Breaker = Breaker::new(&BREAKER_CONFIG);
//!
//! static LIMIT: BucketConfig = match BucketConfig::new(BucketSettings { capacity: 10, tokens: 1, period: Duration::from_ticks(100), initial_fill: None }) {
//!     Ok(config) => config, // 10-token burst, 1 token per 100 ticks
//!     Err(_) => panic!("invalid bucket configuration"),
//! };
//! static BUCKET: TokenBucket = TokenBucket::new(&LIMIT);
//!
//! let now = 1_000;
//! if BUCKET.acquire(1, Instant::from_ticks(now)).is_ok() {
//!     if let Ok(admitted) = BREAKER.acquire(Instant::from_ticks(now)) {
//!         let call_succeeded = true; // ... do the guarded call ...
//!         let outcome = if call_succeeded { Outcome::Success } else { Outcome::Failure };
//!         let finished = now + 5; // the tick when the call returned
//!         let _ = BREAKER.record(admitted.permit, outcome, Instant::from_ticks(finished));
//!     }
//! }
//! ```
#![cfg_attr(not(test), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![warn(clippy::must_use_candidate)]
#![cfg_attr(
    not(test),
    deny(
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

// The loom model of the state word (tests only) needs std.
#[cfg(loom)]
extern crate std;

/// A name kept as a C string (one table serves Rust's `name()` and
/// `Display` and the C ABI's `tg_*_str`), as text.
pub(crate) fn text(name: &'static core::ffi::CStr) -> &'static str {
    name.to_str().unwrap_or("")
}

/// Implements `name()` (from the type's `c_name()` table) and `Display`
/// for an enum of names.
macro_rules! named {
    ($ty:ty) => {
        impl $ty {
            /// The name, for logs.
            ///
            /// The C ABI gives the same names through `tg_*_str`.
            #[must_use]
            pub fn name(self) -> &'static str {
                $crate::text(self.c_name())
            }
        }

        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}
pub(crate) use named;

pub mod adaptive;
pub mod breaker;
pub mod bucket;
pub mod budget;
pub mod bulkhead;
mod cell;
pub mod classify;
pub mod degrade;
mod error;
pub mod events;
pub mod fallback;
pub mod fixed_window;
pub mod keyed;
pub mod live;
pub mod machine;
pub mod retry;
pub mod shaper;
pub mod sliding_log;
pub mod sliding_window;
pub mod snapshot;
mod spread;
pub mod time;
mod wide;

pub use error::{ConfigError, DurationTooLong};

pub use time::Tick;
