//! Peers for the benchmarks in `benches/hot_paths.rs`.
//!
//! * [`CasFloor`]: what writing a state word costs at the least: one load
//!   and one compare-and-swap on a 128-bit word, as tickguard's guards use.
//! * [`MutexBucket`]: the naive design, a
//!   token bucket of `f64` tokens and a last-refill time behind a mutex.
//! * [`TickClock`]: the caller's clock for tickguard, the same kind of fake
//!   clock as governor's `FakeRelativeClock` (an atomic counter read on
//!   every call and advanced by the benchmark), so both read time alike.
//! * [`RealTicks`]: the caller's clock for tickguard's real-clock rows:
//!   `std::time::Instant` read on every call, as nanoseconds since a start
//!   instant (what docs/time.md tells hosted programs to pass).
//! * [`Padded`]: keeps a shared object on cache lines of its own, so that
//!   contended measurements see no false sharing with the benchmark's
//!   locals.
//! * [`run_pinned`]: makes the same calls on one or two threads, each
//!   pinned to its own core and released together, while the calling
//!   thread blocks; a round in which a worker was switched out is run
//!   again.
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

/// Real time as tickguard ticks: nanoseconds since the clock was made,
/// read from `std::time::Instant` on every call.
///
/// ```
/// let clock = tickguard_benches::RealTicks::new();
/// let (a, b) = (clock.now(), clock.now());
/// assert!(b >= a);
/// ```
pub struct RealTicks(Instant);

impl RealTicks {
    /// A clock reading zero now.
    pub fn new() -> Self {
        Self(Instant::now())
    }

    /// Nanoseconds since [`RealTicks::new`] (saturating after 584 years).
    #[inline]
    pub fn now(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

impl Default for RealTicks {
    fn default() -> Self {
        Self::new()
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

/// Rounds [`run_pinned`] discarded and ran again because a worker was
/// switched out for more than 2% of the round (since the program started).
pub static REPEATED_ROUNDS: AtomicU64 = AtomicU64::new(0);

/// Times a round is run again before its last try is kept whatever
/// happened in it (a machine that preempts every round must still finish).
pub const MAX_TRIES: u32 = 20;

/// Share of a round a worker may spend switched out before the round is
/// run again: 2% (a kernel thread's few microseconds every scheduler tick
/// are part of every round; a preemption that moves the figure is not).
const OFF_CPU_TOLERANCE: f64 = 0.02;

/// CPU time the calling thread has run so far, or `None` where the
/// platform does not tell.
fn thread_cpu_time() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `clock_gettime` writes one `timespec` into `now`, which we
        // own, and reads nothing else.
        let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
        let (secs, nanos) = (
            u64::try_from(now.tv_sec).ok()?,
            u32::try_from(now.tv_nsec).ok()?,
        );
        (status == 0).then(|| Duration::new(secs, nanos))
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// What one worker saw of a round.
struct Lap {
    start: Instant,
    end: Instant,
    switched: bool,
}

/// Makes `iters` calls `call(i)` (`i` from 0) on each of `threads` threads,
/// each pinned to its own core (when the machine has that many), and
/// returns the wall time from their release until the last is done.
///
/// * The calling thread does not run beside them: it blocks in `join`
///   (spinning, it would take one of the two cores of a small machine).
/// * The workers are released together: the last to arrive at a spinning
///   start line releases the others (a blocking barrier would wake them one
///   after the other, on one core first).
/// * A round in which a worker was switched out (Linux: its thread CPU time
///   fell more than 2% short of its wall time) is discarded and run again,
///   up to [`MAX_TRIES`] times, and counted in [`REPEATED_ROUNDS`]. A
///   hypervisor's steal of the virtual CPU itself is invisible here.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// let total = AtomicU64::new(0);
/// let elapsed = tickguard_benches::run_pinned(2, 1_000, |i| {
///     total.fetch_add(i, Ordering::Relaxed);
/// });
/// // Every call of every kept or discarded round ran.
/// assert_eq!(total.load(Ordering::Relaxed) % (999 * 1_000), 0);
/// assert!(elapsed.as_nanos() > 0);
/// ```
pub fn run_pinned(threads: usize, iters: u64, call: impl Fn(u64) + Sync) -> Duration {
    let mut tries = 0;
    loop {
        tries += 1;
        let (elapsed, switched) = round(threads, iters, &call);
        if !switched || tries >= MAX_TRIES {
            return elapsed;
        }
        REPEATED_ROUNDS.fetch_add(1, Ordering::Relaxed);
    }
}

/// One round of [`run_pinned`]: its wall time, and whether a worker was
/// switched out during it.
fn round(threads: usize, iters: u64, call: &(impl Fn(u64) + Sync)) -> (Duration, bool) {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let arrived = AtomicUsize::new(0);
    let go = AtomicUsize::new(0);
    let laps: Vec<Lap> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let (arrived, go, cores) = (&arrived, &go, &cores);
                s.spawn(move || {
                    if let Some(core) = cores.get(thread) {
                        core_affinity::set_for_current(*core);
                    }
                    if arrived.fetch_add(1, Ordering::AcqRel) + 1 == threads {
                        go.store(1, Ordering::Release);
                    }
                    while go.load(Ordering::Acquire) == 0 {
                        std::hint::spin_loop();
                    }
                    let cpu_before = thread_cpu_time();
                    let start = Instant::now();
                    for i in 0..iters {
                        call(i);
                    }
                    let end = Instant::now();
                    let switched = match (cpu_before, thread_cpu_time()) {
                        (Some(before), Some(after)) => {
                            let on_cpu = after.saturating_sub(before).as_secs_f64();
                            let wall = end.saturating_duration_since(start).as_secs_f64();
                            on_cpu < wall * (1.0 - OFF_CPU_TOLERANCE)
                        }
                        _ => false,
                    };
                    Lap {
                        start,
                        end,
                        switched,
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|worker| worker.join().ok())
            .collect()
    });
    let start = laps.iter().map(|lap| lap.start).min();
    let end = laps.iter().map(|lap| lap.end).max();
    let elapsed = match (start, end) {
        (Some(start), Some(end)) => end.saturating_duration_since(start),
        _ => Duration::ZERO,
    };
    (elapsed, laps.iter().any(|lap| lap.switched))
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

/// The Linux kernel's `___ratelimit` as a naive design would write it: a
/// mutex around the window's beginning, count and missed count (the kernel
/// takes a spin lock and gives up when it is contended).
///
/// ```
/// let limit = tickguard_benches::MutexRatelimit::new(2, 10);
/// assert!(limit.allow(0) && limit.allow(1) && !limit.allow(2));
/// assert!(limit.allow(10));
/// ```
pub struct MutexRatelimit {
    state: Mutex<(u64, u32, u32, bool)>,
    burst: u32,
    interval: u64,
}

impl MutexRatelimit {
    /// At most `burst` events per `interval` ticks.
    pub fn new(burst: u32, interval: u64) -> Self {
        Self {
            state: Mutex::new((0, 0, 0, false)),
            burst,
            interval,
        }
    }

    /// Whether an event at `now` may go; counts it as missed if not.
    #[inline]
    pub fn allow(&self, now: u64) -> bool {
        let mut guard = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (begin, printed, missed, started) = &mut *guard;
        if !*started || now >= *begin + self.interval {
            *begin = now;
            *printed = 0;
            *missed = 0;
            *started = true;
        }
        if *printed < self.burst {
            *printed += 1;
            true
        } else {
            *missed += 1;
            false
        }
    }
}

/// An exact sliding log behind a mutex: the naive design (a queue of the
/// admitted ticks, the expired ones dropped on each call).
///
/// ```
/// let log = tickguard_benches::MutexLog::new(2, 100);
/// assert!(log.allow(0) && log.allow(10));
/// assert!(!log.allow(99));
/// assert!(log.allow(100));
/// ```
pub struct MutexLog {
    admitted: Mutex<std::collections::VecDeque<u64>>,
    limit: usize,
    window: u64,
}

impl MutexLog {
    /// At most `limit` events in any `window` ticks.
    pub fn new(limit: usize, window: u64) -> Self {
        Self {
            admitted: Mutex::new(std::collections::VecDeque::with_capacity(limit)),
            limit,
            window,
        }
    }

    /// Whether an event at `now` may go; records it if so.
    #[inline]
    pub fn allow(&self, now: u64) -> bool {
        let mut admitted = match self.admitted.lock() {
            Ok(admitted) => admitted,
            Err(poisoned) => poisoned.into_inner(),
        };
        while admitted
            .front()
            .is_some_and(|&tick| now.saturating_sub(tick) >= self.window)
        {
            admitted.pop_front();
        }
        if admitted.len() < self.limit {
            admitted.push_back(now);
            true
        } else {
            false
        }
    }
}

/// An AIMD concurrency limit behind a mutex (Netflix's `AIMDLimit` rule
/// over a counter): the naive adaptive limit.
///
/// ```
/// let limit = tickguard_benches::MutexAimd::new(2, 1, 4, 900);
/// assert!(limit.acquire() && limit.acquire() && !limit.acquire());
/// limit.release(false); // done at full use: 3
/// assert!(limit.acquire() && limit.acquire());
/// ```
pub struct MutexAimd {
    state: Mutex<(u32, u32)>,
    min: u32,
    max: u32,
    backoff_milli: u32,
}

impl MutexAimd {
    /// From `initial`, between `min` and `max`, × `backoff_milli / 1000`
    /// when congested.
    pub fn new(initial: u32, min: u32, max: u32, backoff_milli: u32) -> Self {
        Self {
            state: Mutex::new((initial, 0)),
            min,
            max,
            backoff_milli,
        }
    }

    /// Takes a slot if fewer than the limit are in flight.
    #[inline]
    pub fn acquire(&self) -> bool {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (limit, in_flight) = &mut *state;
        if *in_flight < *limit {
            *in_flight += 1;
            true
        } else {
            false
        }
    }

    /// Gives a slot back with whether the call was dropped.
    #[inline]
    pub fn release(&self, dropped: bool) {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (limit, in_flight) = &mut *state;
        if dropped {
            *limit = (*limit * self.backoff_milli / 1000)
                .min(*limit - 1)
                .max(self.min);
        } else if 2 * *in_flight >= *limit {
            *limit = (*limit + 1).min(self.max);
        }
        *in_flight -= 1;
    }
}

/// A counting semaphore behind a mutex: the naive bulkhead.
///
/// ```
/// let pool = tickguard_benches::MutexSemaphore::new(1);
/// assert!(pool.acquire());
/// assert!(!pool.acquire());
/// pool.release();
/// assert!(pool.acquire());
/// ```
pub struct MutexSemaphore {
    in_flight: Mutex<u32>,
    max: u32,
}

impl MutexSemaphore {
    /// At most `max` held at once.
    pub fn new(max: u32) -> Self {
        Self {
            in_flight: Mutex::new(0),
            max,
        }
    }

    /// Takes a permit if one is free.
    #[inline]
    pub fn acquire(&self) -> bool {
        let mut held = match self.in_flight.lock() {
            Ok(held) => held,
            Err(poisoned) => poisoned.into_inner(),
        };
        if *held < self.max {
            *held += 1;
            true
        } else {
            false
        }
    }

    /// Gives a permit back.
    #[inline]
    pub fn release(&self) {
        let mut held = match self.in_flight.lock() {
            Ok(held) => held,
            Err(poisoned) => poisoned.into_inner(),
        };
        *held = held.saturating_sub(1);
    }
}
