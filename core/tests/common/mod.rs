//! Helpers shared by the integration tests: ticks written as numbers.
#![allow(dead_code)]

use tickguard::time::{Duration, Instant};

/// The instant at tick `t`.
pub fn tick(t: u64) -> Instant {
    Instant::from_ticks(t)
}

/// A span of `t` ticks.
pub fn span(t: u64) -> Duration {
    Duration::from_ticks(t)
}
