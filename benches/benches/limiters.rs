//! The limiters beside the token bucket: the fixed window with a
//! suppression count, the shaper, the sliding-window counter, the bulkhead,
//! the adaptive limit and keyed buckets (each fixed and live, as every C
//! object is), each granting and refusing, on one and two threads, and
//! their live reconfigurations;
//! keyed buckets beside governor's keyed limiter (`DashMap`, its default
//! hasher) on a fake clock with 1, 1 000 and 100 000 distinct keys, and the
//! memory each keeps per key.
//!
//! Peers where one exists: governor's keyed limiter; for the fixed window
//! and the bulkhead, the naive designs (the kernel's `ratelimit` and a
//! counting semaphore, each behind a mutex).
//!
//! Run: `cargo bench -p tickguard-benches --bench limiters`, or
//! `benches/report.sh` for the report. With `TICKGUARD_BENCH_MEMORY=<file>`
//! it also writes the bytes each keyed limiter holds per key there (JSON).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};
use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, AdaptiveSettings, Sample};
use tickguard::breaker::{State, Transition};
use tickguard::bucket::{BucketConfig, BucketSettings};
use tickguard::bulkhead::{Bulkhead, BulkheadConfig, BulkheadSettings};
use tickguard::events::{Event, EventQueue};
use tickguard::fixed_window::{FixedWindow, FixedWindowConfig, FixedWindowSettings};
use tickguard::keyed::{KeyedBuckets, KeyedWindows, LiveKeyedBuckets};
use tickguard::live::Versioned;
use tickguard::shaper::{Shaper, ShaperConfig, ShaperSettings};
use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
use tickguard::time::{Duration as Ticks, Instant as Tick};
use tickguard_benches::{
    run_pinned, MutexAimd, MutexLog, MutexRatelimit, MutexSemaphore, Padded, TickClock,
};

/// Counts the bytes the program holds, for the memory per key.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(new_size, Ordering::Relaxed);
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as `GlobalAlloc::realloc`'s contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const fn fixed(burst: u32, interval: u64) -> FixedWindowConfig {
    match FixedWindowConfig::new(FixedWindowSettings {
        burst,
        interval: Ticks::from_ticks(interval),
    }) {
        Ok(config) => config,
        Err(_) => panic!("invalid window"),
    }
}

/// The keyed quota: a burst of 10, one token per tick, so that a key seen
/// again after any other key is full: every check grants (governor and
/// tickguard alike).
static KEYED_CONFIG: BucketConfig = match BucketConfig::new(BucketSettings {
    capacity: 10,
    tokens: 1,
    period: Ticks::from_ticks(1),
    initial_fill: None,
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid keyed quota"),
};
/// 2^17 entries (2 MiB): about the memory governor's map holds for 100 000
/// keys (`TICKGUARD_BENCH_MEMORY` measures it).
const ENTRIES: usize = 1 << 17;
static KEYED: KeyedBuckets<ENTRIES> = KeyedBuckets::new(&KEYED_CONFIG, [0x5eed, 0x1dea]);
/// The same table, reconfigurable (every C keyed bucket table is).
static LIVE_KEYED: LiveKeyedBuckets<ENTRIES> =
    LiveKeyedBuckets::new(KEYED_CONFIG.live(), [0x5eed, 0x1dea]);
/// A reconfigurable table of 1 024 entries, all held, for the cost of a
/// reconfiguration (it carries every entry twice).
static LIVE_KEYED_SMALL: LiveKeyedBuckets<1_024> =
    LiveKeyedBuckets::new(KEYED_CONFIG.live(), [0x5eed, 0x1dea]);

/// Keyed windows: 10 per 1 000 ticks per key, in 2^17 entries.
static WINDOW_QUOTA: SlidingWindowConfig = match SlidingWindowConfig::new(SlidingWindowSettings {
    limit: 10,
    window: Ticks::from_ticks(1_000),
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid keyed window"),
};
static KEYED_WINDOWS: KeyedWindows<ENTRIES> = KeyedWindows::new(&WINDOW_QUOTA, [0x5eed, 0x1dea]);

fn keyed_quota() -> Quota {
    Quota::with_period(Duration::from_nanos(1))
        .expect("non-zero")
        .allow_burst(NonZeroU32::new(10).expect("non-zero"))
}

fn limiters(c: &mut Criterion) {
    let mut group = c.benchmark_group("limiters");
    group.measurement_time(Duration::from_secs(3));
    let at = Tick::from_ticks;

    // Fixed window: admitted (a burst no run reaches), suppressed and
    // counted (burst 0); the window reset before each sample.
    let admitting = FixedWindow::new(fixed(u32::MAX, 1 << 40));
    group.bench_function("fixed window: admit/tickguard", |b| {
        b.iter_custom(|iters| {
            admitting.reset();
            let start = Instant::now();
            for _ in 0..iters {
                black_box(admitting.acquire(black_box(1), at(5)).is_ok());
            }
            start.elapsed()
        })
    });
    let kernel_admitting = MutexRatelimit::new(u32::MAX, 1 << 40);
    group.bench_function("fixed window: admit/mutex (kernel ratelimit)", |b| {
        b.iter(|| kernel_admitting.allow(black_box(5)))
    });
    let muted = FixedWindow::new(fixed(0, 1 << 40));
    group.bench_function("fixed window: suppress (counted)/tickguard", |b| {
        b.iter_custom(|iters| {
            muted.reset();
            let start = Instant::now();
            for _ in 0..iters {
                black_box(muted.acquire(black_box(1), at(5)).is_err());
            }
            start.elapsed()
        })
    });
    let kernel_muted = MutexRatelimit::new(0, 1 << 40);
    group.bench_function(
        "fixed window: suppress (counted)/mutex (kernel ratelimit)",
        |b| b.iter(|| kernel_muted.allow(black_box(5))),
    );

    // Shaper: one token per tick, the clock moving one tick per call (each
    // goes at once); and full with no waiting allowed (every call refused).
    let shaper = Shaper::new(
        ShaperConfig::new(ShaperSettings {
            capacity: 1,
            tokens: 1,
            period: Ticks::from_ticks(1),
            max_wait: Ticks::from_ticks(1_000),
        })
        .expect("valid"),
    );
    let mut tick = 0u64;
    group.bench_function("shaper: schedule/tickguard", |b| {
        b.iter(|| {
            tick += 1;
            shaper.schedule(1, at(black_box(tick))).is_ok()
        })
    });
    let policer = Shaper::new(
        ShaperConfig::new(ShaperSettings {
            capacity: 1,
            tokens: 1,
            period: Ticks::from_ticks(1 << 40),
            max_wait: Ticks::ZERO,
        })
        .expect("valid"),
    );
    let _ = policer.schedule(1, at(0));
    group.bench_function("shaper: refusal/tickguard", |b| {
        b.iter(|| policer.schedule(1, at(black_box(5))).is_err())
    });

    // Sliding window: room for every call of a sample, and full.
    let open = SlidingWindow::new(
        SlidingWindowConfig::new(SlidingWindowSettings {
            limit: u32::MAX,
            window: Ticks::from_ticks(1 << 40),
        })
        .expect("valid"),
    );
    group.bench_function("sliding window: grant/tickguard", |b| {
        b.iter_custom(|iters| {
            open.reset();
            let start = Instant::now();
            for _ in 0..iters {
                black_box(open.acquire(black_box(1), at(5)).is_ok());
            }
            start.elapsed()
        })
    });
    let full = SlidingWindow::new(&SlidingWindowConfig::DEFAULT);
    let _ = full.acquire(100, at(0));
    group.bench_function("sliding window: refusal/tickguard", |b| {
        b.iter(|| full.acquire(1, at(black_box(5))).is_err())
    });

    // Sliding log of 10: a call every 100 ticks with a window of 1 000
    // (each admission replaces one that just left), and a full log.
    let log: SlidingLog<10, _> = SlidingLog::new(SlidingLogConfig::DEFAULT);
    let mut tick = 0u64;
    group.bench_function("sliding log: grant/tickguard", |b| {
        b.iter(|| {
            tick += 100;
            log.acquire(at(black_box(tick))).is_ok()
        })
    });
    let naive = MutexLog::new(10, 1_000);
    let mut tick = 0u64;
    group.bench_function("sliding log: grant/mutex log", |b| {
        b.iter(|| {
            tick += 100;
            naive.allow(black_box(tick))
        })
    });
    let full: SlidingLog<10, _> = SlidingLog::new(SlidingLogConfig::DEFAULT);
    for _ in 0..10 {
        let _ = full.acquire(at(0));
    }
    group.bench_function("sliding log: refusal/tickguard", |b| {
        b.iter(|| full.acquire(at(black_box(5))).is_err())
    });
    let naive_full = MutexLog::new(10, 1_000);
    for _ in 0..10 {
        naive_full.allow(0);
    }
    group.bench_function("sliding log: refusal/mutex log", |b| {
        b.iter(|| naive_full.allow(black_box(5)))
    });

    // Adaptive limit: a slot taken and given back with a fast completion
    // (the limit stays: one in flight of 20), beside AIMD behind a mutex;
    // and one at its limit refusing.
    let adaptive = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
    let done = Sample::Done {
        latency: Ticks::from_ticks(3),
    };
    group.bench_function("adaptive: acquire + release/tickguard", |b| {
        b.iter(|| {
            let permit = adaptive.acquire(at(black_box(5))).expect("a free slot");
            adaptive.release(permit, black_box(done)).is_ok()
        })
    });
    let naive_aimd = MutexAimd::new(20, 4, 64, 900);
    group.bench_function("adaptive: acquire + release/mutex aimd", |b| {
        b.iter(|| {
            assert!(naive_aimd.acquire());
            naive_aimd.release(black_box(false));
        })
    });
    let at_limit = AdaptiveLimit::new(one_slot_adaptive());
    let _held = at_limit.acquire(at(0)).expect("free");
    group.bench_function("adaptive: refusal (at the limit)/tickguard", |b| {
        b.iter(|| at_limit.acquire(at(black_box(5))).is_err())
    });
    // The same over a configuration `reconfigure` replaces (every C
    // adaptive limit), and a reconfiguration between two bounds.
    let live_adaptive = AdaptiveLimit::new(AdaptiveConfig::DEFAULT.live());
    group.bench_function("adaptive: acquire + release, live/tickguard", |b| {
        b.iter(|| {
            let permit = live_adaptive
                .acquire(at(black_box(5)))
                .expect("a free slot");
            live_adaptive.release(permit, black_box(done)).is_ok()
        })
    });
    let narrow = AdaptiveConfig::new(AdaptiveSettings {
        max_limit: 32,
        ..AdaptiveConfig::DEFAULT_SETTINGS
    })
    .expect("valid");
    let mut flip = false;
    group.bench_function("adaptive: reconfigure/tickguard live", |b| {
        b.iter(|| {
            flip = !flip;
            let config = if flip {
                narrow
            } else {
                AdaptiveConfig::DEFAULT
            };
            live_adaptive.reconfigure(black_box(config)).is_ok()
        })
    });
    let live_at_limit: AdaptiveLimit<Versioned<AdaptiveConfig>> =
        AdaptiveLimit::new(one_slot_adaptive().live());
    let _held_live = live_at_limit.acquire(at(0)).expect("free");
    group.bench_function("adaptive: refusal (at the limit), live/tickguard", |b| {
        b.iter(|| live_at_limit.acquire(at(black_box(5))).is_err())
    });
    // A reconfigurable keyed table of 1 024 entries, every one held,
    // switched between two rates: every key's tokens carried.
    for key in 0..4_096u64 {
        let _ = LIVE_KEYED_SMALL.acquire(&key, 5, at(1_000));
    }
    let faster = BucketConfig::new(BucketSettings {
        tokens: 2,
        ..KEYED_CONFIG.settings()
    })
    .expect("valid");
    let mut flip = false;
    group.bench_function("keyed: reconfigure, 1024 entries/tickguard live", |b| {
        b.iter(|| {
            flip = !flip;
            let config = if flip { faster } else { KEYED_CONFIG };
            LIVE_KEYED_SMALL
                .reconfigure(black_box(config), at(1_000))
                .is_ok()
        })
    });

    let mut i = 0u64;
    // The event queue: one transition pushed and popped (the queue never
    // holds more than one), beside heapless's lock-free queue and a deque
    // behind a mutex, all of 8 slots.
    static EVENTS: EventQueue<8> = EventQueue::new();
    let transition = Transition {
        from: State::Closed,
        to: State::Open,
    };
    let event = |i: u64| Event {
        at: at(i),
        source: 1,
        transition,
    };
    group.bench_function("events: push + pop/tickguard", |b| {
        b.iter(|| {
            i += 1;
            EVENTS.push(black_box(event(i))).is_ok() && EVENTS.pop().is_some()
        })
    });
    let heapless_queue: heapless::mpmc::Q8<Event> = heapless::mpmc::Q8::new();
    group.bench_function("events: push + pop/heapless mpmc", |b| {
        b.iter(|| {
            i += 1;
            heapless_queue.enqueue(black_box(event(i))).is_ok()
                && heapless_queue.dequeue().is_some()
        })
    });
    let deque = Mutex::new(VecDeque::with_capacity(8));
    group.bench_function("events: push + pop/mutex deque", |b| {
        b.iter(|| {
            i += 1;
            let mut q = deque.lock().expect("not poisoned");
            if q.len() < 8 {
                q.push_back(black_box(event(i)));
            }
            q.pop_front().is_some()
        })
    });

    // Keyed windows: 1 000 keys in turn, a tick per call (each key has
    // room when it comes back); and a key that is over its limit.
    group.bench_function("keyed windows: grant, 1000 keys/tickguard", |b| {
        b.iter(|| {
            i += 1;
            KEYED_WINDOWS
                .acquire(&black_box(i % 1_000), 1, at(i * 100))
                .is_ok()
        })
    });
    let _ = KEYED_WINDOWS.acquire(&u64::MAX, 10, at(1 << 50));
    group.bench_function("keyed windows: refusal/tickguard", |b| {
        b.iter(|| {
            KEYED_WINDOWS
                .acquire(&u64::MAX, 1, at(black_box(1 << 50)))
                .is_err()
        })
    });

    // Bulkhead: a slot taken and given back; and a full one refusing.
    let pool = Bulkhead::new(&BulkheadConfig::DEFAULT);
    group.bench_function("bulkhead: acquire + release/tickguard", |b| {
        b.iter(|| {
            let permit = pool.acquire(at(black_box(5))).expect("a free slot");
            pool.release(permit).is_ok()
        })
    });
    let semaphore = MutexSemaphore::new(25);
    group.bench_function("bulkhead: acquire + release/mutex counter", |b| {
        b.iter(|| {
            let ok = semaphore.acquire();
            semaphore.release();
            ok
        })
    });
    let busy = Bulkhead::new(
        BulkheadConfig::new(BulkheadSettings {
            max_concurrent: 1,
            max_wait: Ticks::ZERO,
        })
        .expect("valid"),
    );
    let _held = busy.acquire(at(0)).expect("free");
    group.bench_function("bulkhead: refusal (full)/tickguard", |b| {
        b.iter(|| busy.acquire(at(black_box(5))).is_err())
    });
    group.finish();
}

fn keyed(c: &mut Criterion) {
    let mut group = c.benchmark_group("keyed");
    group.measurement_time(Duration::from_secs(3));
    for keys in [1u64, 1_000, 100_000] {
        // Each call checks the next key and moves the clock one tick: a
        // key comes back after `keys` ticks, full again.
        let clock = TickClock::default();
        let mut i = 0u64;
        group.bench_function(format!("check, {keys} keys/tickguard"), |b| {
            b.iter(|| {
                i += 1;
                clock.advance(1);
                KEYED
                    .acquire(&black_box(i % keys), 1, Tick::from_ticks(clock.now()))
                    .is_ok()
            })
        });
        let clock = TickClock::default();
        let mut i = 0u64;
        group.bench_function(format!("check, {keys} keys/tickguard live"), |b| {
            b.iter(|| {
                i += 1;
                clock.advance(1);
                LIVE_KEYED
                    .acquire(&black_box(i % keys), 1, Tick::from_ticks(clock.now()))
                    .is_ok()
            })
        });
        let fake = FakeRelativeClock::default();
        let theirs = RateLimiter::dashmap_with_clock(keyed_quota(), fake.clone());
        let mut j = 0u64;
        group.bench_function(
            format!("check, {keys} keys/governor keyed (dashmap, fake clock)"),
            |b| {
                b.iter(|| {
                    j += 1;
                    fake.advance(Duration::from_nanos(1));
                    theirs.check_key(&black_box(j % keys)).is_ok()
                })
            },
        );
    }
    group.finish();
}

/// The bytes governor's keyed limiter holds per key, with 100 000 keys
/// (the allocator's count before and after inserting them), beside
/// tickguard's fixed 16 per entry.
fn memory_per_key() {
    let Some(path) = std::env::var_os("TICKGUARD_BENCH_MEMORY") else {
        return;
    };
    let keys = 100_000u64;
    let before = HELD.load(Ordering::Relaxed);
    let fake = FakeRelativeClock::default();
    let theirs = RateLimiter::dashmap_with_clock(keyed_quota(), fake.clone());
    for key in 0..keys {
        let _ = theirs.check_key(&key);
    }
    let governor = (HELD.load(Ordering::Relaxed) - before) as f64 / keys as f64;
    drop(theirs);
    let json = format!(
        "{{\"governor keyed bytes per key (100000 keys)\": {governor:.1}, \"tickguard bytes per entry\": {}}}\n",
        std::mem::size_of::<tickguard::keyed::Entry>()
    );
    std::fs::write(path, json).expect("writable memory file");
}

/// An adaptive limit of one slot.
fn one_slot_adaptive() -> AdaptiveConfig {
    AdaptiveConfig::new(AdaptiveSettings {
        initial_limit: 1,
        min_limit: 1,
        max_limit: 1,
        ..AdaptiveConfig::DEFAULT_SETTINGS
    })
    .expect("valid")
}

fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("limiters contended");
    group.measurement_time(Duration::from_secs(3));
    let at = Tick::from_ticks;
    let full = Padded(SlidingWindow::new(&SlidingWindowConfig::DEFAULT));
    let _ = full.acquire(100, at(0));
    let policer = Padded(Shaper::new(
        ShaperConfig::new(ShaperSettings {
            capacity: 1,
            tokens: 1,
            period: Ticks::from_ticks(1 << 40),
            max_wait: Ticks::ZERO,
        })
        .expect("valid"),
    ));
    let _ = policer.schedule(1, at(0));
    let busy = Padded(Bulkhead::new(
        BulkheadConfig::new(BulkheadSettings {
            max_concurrent: 1,
            max_wait: Ticks::ZERO,
        })
        .expect("valid"),
    ));
    let _held = busy.acquire(at(0)).expect("free");
    let at_limit = Padded(AdaptiveLimit::new(one_slot_adaptive()));
    let _held_adaptive = at_limit.acquire(at(0)).expect("free");
    let live_at_limit = Padded(AdaptiveLimit::new(one_slot_adaptive().live()));
    let _held_live = live_at_limit.acquire(at(0)).expect("free");
    let _ = LIVE_KEYED.acquire(&u64::MAX, 10, at(1 << 50));
    let muted = Padded(FixedWindow::new(fixed(0, 1 << 40)));
    let full_log: Padded<SlidingLog<10, _>> = Padded(SlidingLog::new(SlidingLogConfig::DEFAULT));
    for _ in 0..10 {
        let _ = full_log.acquire(at(0));
    }
    // A key whose bucket is empty: refused, read-only.
    let _ = KEYED.acquire(&u64::MAX, 10, at(1 << 50));
    for threads in [1usize, 2] {
        group.bench_function(
            format!("sliding window refusal x{threads}/tickguard"),
            |b| {
                b.iter_custom(|iters| {
                    let full = &*full;
                    run_pinned(threads, iters, move |_| {
                        black_box(full.acquire(1, at(5)).is_err());
                    })
                })
            },
        );
        group.bench_function(format!("adaptive refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                let at_limit = &*at_limit;
                run_pinned(threads, iters, move |_| {
                    black_box(at_limit.acquire(at(5)).is_err());
                })
            })
        });
        group.bench_function(format!("adaptive live refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                let live_at_limit = &*live_at_limit;
                run_pinned(threads, iters, move |_| {
                    black_box(live_at_limit.acquire(at(5)).is_err());
                })
            })
        });
        group.bench_function(format!("keyed live refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                run_pinned(threads, iters, move |_| {
                    black_box(LIVE_KEYED.acquire(&u64::MAX, 1, at(1 << 50)).is_err());
                })
            })
        });
        group.bench_function(format!("sliding log refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                let full_log = &*full_log;
                run_pinned(threads, iters, move |_| {
                    black_box(full_log.acquire(at(5)).is_err());
                })
            })
        });
        group.bench_function(format!("shaper refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                let policer = &*policer;
                run_pinned(threads, iters, move |_| {
                    black_box(policer.schedule(1, at(5)).is_err());
                })
            })
        });
        group.bench_function(format!("bulkhead refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                let busy = &*busy;
                run_pinned(threads, iters, move |_| {
                    black_box(busy.acquire(at(5)).is_err());
                })
            })
        });
        group.bench_function(format!("keyed windows refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                run_pinned(threads, iters, move |_| {
                    black_box(KEYED_WINDOWS.acquire(&u64::MAX, 1, at(1 << 50)).is_err());
                })
            })
        });
        group.bench_function(format!("keyed refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                run_pinned(threads, iters, move |_| {
                    black_box(KEYED.acquire(&u64::MAX, 1, at(1 << 50)).is_err());
                })
            })
        });
        group.bench_function(
            format!("fixed window suppress (writes) x{threads}/tickguard"),
            |b| {
                b.iter_custom(|iters| {
                    let muted = &*muted;
                    muted.reset();
                    run_pinned(threads, iters, move |_| {
                        black_box(muted.acquire(1, at(5)).is_err());
                    })
                })
            },
        );
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    memory_per_key();
    limiters(c);
    keyed(c);
    contended(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
