//! Peers for the benchmarks in `benches/hot_paths.rs`.
//!
//! * [`CasFloor`]: the least a lock-free guard can cost, one load and one
//!   compare-and-swap on a 32-bit word.
//! * [`MutexBucket`]: the design of the document tickguard grew from, a
//!   token bucket of `f64` tokens and a last-refill time behind a mutex.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// One load plus one CAS: the floor for any shared-state guard.
///
/// ```
/// let floor = tickguard_benches::CasFloor::default();
/// assert!(floor.admit(1));
/// ```
#[derive(Default)]
pub struct CasFloor(AtomicU32);

impl CasFloor {
    /// Bumps the word with a compare-and-swap; always admits.
    #[inline]
    pub fn admit(&self, now: u32) -> bool {
        let current = self.0.load(Ordering::Acquire);
        self.0
            .compare_exchange(current, current ^ now, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// The document's token bucket: float tokens refilled from elapsed time,
/// guarded by a mutex.
///
/// ```
/// let bucket = tickguard_benches::MutexBucket::new(2.0, 0.5);
/// assert!(bucket.acquire(1.0, 0));
/// assert!(bucket.acquire(1.0, 0));
/// assert!(!bucket.acquire(1.0, 1));
/// ```
pub struct MutexBucket {
    state: Mutex<(f64, u64)>,
    capacity: f64,
    per_tick: f64,
}

impl MutexBucket {
    /// A full bucket of `capacity` tokens refilling `per_tick` per tick.
    pub fn new(capacity: f64, per_tick: f64) -> Self {
        Self {
            state: Mutex::new((capacity, 0)),
            capacity,
            per_tick,
        }
    }

    /// Takes `n` tokens at `now` if available.
    #[inline]
    pub fn acquire(&self, n: f64, now: u64) -> bool {
        let mut guard = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (tokens, last) = *guard;
        let elapsed = now.saturating_sub(last) as f64;
        let tokens = (tokens + elapsed * self.per_tick).min(self.capacity);
        if tokens >= n {
            *guard = (tokens - n, now);
            true
        } else {
            *guard = (tokens, now);
            false
        }
    }
}
