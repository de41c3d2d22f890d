//! Peers for the benchmarks in `benches/hot_paths.rs`.
//!
//! * [`CasFloor`]: what writing a state word costs at the least: one load
//!   and one compare-and-swap on a 128-bit word, as tickguard's guards use.
//! * [`MutexBucket`]: the naive design, a
//!   token bucket of `f64` tokens and a last-refill time behind a mutex.
//! * [`TickClock`]: the caller's clock for tickguard, the same kind of fake
//!   clock as governor's `FakeRelativeClock` (an atomic counter read on
//!   every call and advanced by the benchmark), so both read time alike.
//! * [`Padded`]: keeps a shared object on cache lines of its own, so that
//!   contended measurements see no false sharing with the benchmark's
//!   locals.
//! * [`run_pinned`]: makes the same calls on one or two threads, each
//!   pinned to its own core and released together, for contended
//!   measurements.
//! * [`tickguard_grants`] and [`governor_grants`]: the contended grant
//!   workload, shared by the criterion benchmarks and the paired rounds
//!   (`benches/paired.rs`).

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};
use portable_atomic::AtomicU128;
use tickguard::bucket::{BucketConfig, TokenBucket};

/// Time advances by this many ticks every this many calls: many calls per
/// tick, as on a real clock, with the refill keeping up.
pub const STRIDE: u64 = 512;

/// One token per tick (per nanosecond for governor), a burst of 1 000.
///
/// ```
/// assert_eq!(tickguard_benches::granting_quota().burst_size().get(), 1_000);
/// ```
pub fn granting_quota() -> Quota {
    Quota::with_period(Duration::from_nanos(1))
        .expect("non-zero period")
        .allow_burst(NonZeroU32::new(1_000).expect("non-zero"))
}

/// tickguard's side of [`granting_quota`]: one token per tick, a burst of
/// 1 000, starting full.
///
/// ```
/// assert_eq!(tickguard_benches::granting_config().capacity(), 1_000);
/// ```
pub fn granting_config() -> BucketConfig {
    BucketConfig::new(tickguard::bucket::BucketSettings {
        capacity: 1_000,
        tokens: 1,
        period: tickguard::time::Duration::from_ticks(1),
        initial_fill: None,
    })
    .expect("valid")
}

/// One load plus one CAS: the floor for any shared-state guard.
///
/// ```
/// let floor = tickguard_benches::CasFloor::default();
/// assert!(floor.admit(1));
/// ```
#[derive(Default)]
pub struct CasFloor(AtomicU128);

impl CasFloor {
    /// Bumps the word with a compare-and-swap; always admits.
    #[inline]
    pub fn admit(&self, now: u128) -> bool {
        let current = self.0.load(Ordering::Acquire);
        self.0
            .compare_exchange(current, current ^ now, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// `T` on cache lines of its own (128 bytes: adjacent-line prefetchers
/// pull pairs of 64-byte lines).
///
/// ```
/// let padded = tickguard_benches::Padded(7u8);
/// assert_eq!(*padded, 7);
/// assert_eq!(std::mem::align_of_val(&padded), 128);
/// ```
#[repr(align(128))]
pub struct Padded<T>(pub T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A fake tick counter: what governor's `FakeRelativeClock` is to governor.
///
/// ```
/// let clock = tickguard_benches::TickClock::default();
/// clock.advance(5);
/// assert_eq!(clock.now(), 5);
/// ```
#[derive(Default)]
pub struct TickClock(AtomicU64);

impl TickClock {
    /// The current tick.
    #[inline]
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Moves the clock forward by `ticks`.
    #[inline]
    pub fn advance(&self, ticks: u64) {
        self.0.fetch_add(ticks, Ordering::Relaxed);
    }
}

/// A naive token bucket: float tokens refilled from elapsed time,
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

/// Makes `iters` calls `call(i)` (`i` from 0) on each of `threads` threads,
/// each pinned to its own core (when the machine has that many), all
/// released together by a spinning start line (a blocking barrier would
/// wake them one after the other, on one core first). Returns the wall time
/// from the release until the last thread is done.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// let total = AtomicU64::new(0);
/// let elapsed = tickguard_benches::run_pinned(2, 1_000, |i| {
///     total.fetch_add(i, Ordering::Relaxed);
/// });
/// assert_eq!(total.load(Ordering::Relaxed), 2 * 999 * 1_000 / 2);
/// assert!(elapsed.as_nanos() > 0);
/// ```
pub fn run_pinned(threads: usize, iters: u64, call: impl Fn(u64) + Sync) -> Duration {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let ready = AtomicUsize::new(0);
    let go = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let finishers: Vec<_> = (0..threads)
            .map(|thread| {
                let (ready, go, call, cores) = (&ready, &go, &call, &cores);
                s.spawn(move || {
                    if let Some(core) = cores.get(thread) {
                        core_affinity::set_for_current(*core);
                    }
                    ready.fetch_add(1, Ordering::AcqRel);
                    while go.load(Ordering::Acquire) == 0 {
                        std::hint::spin_loop();
                    }
                    for i in 0..iters {
                        call(i);
                    }
                    Instant::now()
                })
            })
            .collect();
        while ready.load(Ordering::Acquire) < threads {
            std::hint::spin_loop();
        }
        let start = Instant::now();
        go.store(1, Ordering::Release);
        let end = finishers
            .into_iter()
            .filter_map(|finisher| finisher.join().ok())
            .max()
            .unwrap_or(start);
        end.saturating_duration_since(start)
    })
}

/// `iters` grants on each of `threads` pinned threads, on one fresh
/// tickguard bucket ([`granting_config`]) read through a shared
/// [`TickClock`] that every thread advances by [`STRIDE`] ticks every
/// [`STRIDE`] calls, so the refill keeps up. Returns the wall time.
///
/// ```
/// assert!(tickguard_benches::tickguard_grants(2, 1_000).as_nanos() > 0);
/// ```
pub fn tickguard_grants(threads: usize, iters: u64) -> Duration {
    let ticks = Padded(TickClock::default());
    let bucket = Padded(TokenBucket::new(granting_config()));
    let (bucket, ticks) = (&*bucket, &*ticks);
    run_pinned(threads, iters, move |i| {
        if i.is_multiple_of(STRIDE) {
            ticks.advance(STRIDE);
        }
        black_box(
            bucket
                .acquire(1, tickguard::time::Instant::from_ticks(ticks.now()))
                .is_ok(),
        );
    })
}

/// The same workload as [`tickguard_grants`] on one fresh governor limiter
/// ([`granting_quota`]) and its fake clock, advanced by [`STRIDE`]
/// nanoseconds every [`STRIDE`] calls.
///
/// ```
/// assert!(tickguard_benches::governor_grants(2, 1_000).as_nanos() > 0);
/// ```
pub fn governor_grants(threads: usize, iters: u64) -> Duration {
    let clock = FakeRelativeClock::default();
    let governor = Padded(RateLimiter::direct_with_clock(
        granting_quota(),
        clock.clone(),
    ));
    let (governor, clock) = (&*governor, &clock);
    run_pinned(threads, iters, move |i| {
        if i.is_multiple_of(STRIDE) {
            clock.advance(Duration::from_nanos(STRIDE));
        }
        black_box(governor.check().is_ok());
    })
}
