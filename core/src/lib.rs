//! # tickguard
//!
//! Fault-tolerance primitives for code that cannot afford a runtime: a
//! [circuit breaker](breaker) and a [token bucket](bucket), each a pure state
//! machine over one packed `u32`, applied to an atomic by one shared
//! compare-and-swap driver ([`cell::StateCell`]).
//!
//! * `#![no_std]`, no allocation, no clock reads, no sleeping, no panics.
//! * Time is a `u32` tick supplied by the caller on every call; it wraps at
//!   2^32 (see [`time`]).
//! * Configuration is immutable and `const`-constructible, so it can live in
//!   flash; only the 4-byte state word needs RAM.
//! * Every state word is 32 bits, so it is lock-free wherever the target has a
//!   32-bit compare-and-swap (Cortex-M3/M4/M7, RV32IMAC, every hosted CPU) and
//!   safe to share with interrupt handlers. On targets without CAS
//!   (Cortex-M0, RV32IMC) the final binary picks a `portable-atomic` backend
//!   (`critical-section` or `unsafe-assume-single-core`); this crate never does.
//!
//! ```
//! use tickguard::breaker::{Breaker, BreakerConfig, Outcome};
//! use tickguard::bucket::{BucketConfig, TokenBucket};
//!
//! static BREAKER_CONFIG: BreakerConfig = match BreakerConfig::new(BreakerConfig::DEFAULT_SETTINGS) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid breaker configuration"),
//! };
//! static BREAKER: Breaker = Breaker::new(&BREAKER_CONFIG);
//!
//! static LIMIT: BucketConfig = match BucketConfig::new(10, 1, 100) {
//!     Ok(config) => config, // 10-token burst, 1 token per 100 ticks
//!     Err(_) => panic!("invalid bucket configuration"),
//! };
//! static BUCKET: TokenBucket = TokenBucket::new(&LIMIT);
//!
//! let now = 1_000;
//! if BUCKET.acquire(1, now).is_ok() {
//!     if let Ok(admitted) = BREAKER.acquire(now) {
//!         let call_succeeded = true; // ... do the guarded call ...
//!         let outcome = if call_succeeded { Outcome::Success } else { Outcome::Failure };
//!         BREAKER.record(admitted.permit, outcome, now + 5);
//!     }
//! }
//! ```
#![cfg_attr(not(test), no_std)]
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

pub mod breaker;
pub mod bucket;
pub mod cell;
mod error;
pub mod time;

pub use error::ConfigError;
pub use time::Tick;
