//! Hot paths of tickguard beside its peers, in the same criterion groups:
//! `governor` (GCRA; a fake clock, which takes the caller's time as tickguard
//! does, and its default clock), `failsafe` (circuit breaker, default
//! configuration), a 128-bit CAS floor and a naive mutex/f64 bucket.
//! The `contended` group runs one instance on one and on two threads, each
//! pinned to its own core and released together; one iteration is one call
//! per thread.
//!
//! Criterion's `iter` passes the value a routine returns through
//! `black_box` itself, so routines return their result rather than wrap it
//! again: a second `black_box` adds a store and a reload to the timed loop,
//! and on the machine of README's table that pair alone made the OPEN
//! refusal's loop run at 1.85 ns instead of 1.0 ns. Inputs that must not be
//! constant-folded are still wrapped.
//!
//! Run: `cargo bench -p tickguard-benches --bench hot_paths`, or
//! `benches/report.sh` for the README table.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use failsafe::CircuitBreaker;
use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};
use tickguard::breaker::{
    Breaker, BreakerConfig, BreakerSettings, Counting, CountingBreaker, Outcome, State, Window,
};
use tickguard::bucket::TokenBucket;
use tickguard::budget::{BudgetConfig, RetryBudget};
use tickguard::retry::{self, Attempt, Backoff, Decision, Jitter, RetryPolicy, RetrySettings};
use tickguard_benches::{
    governor_grants, granting_config, granting_quota, run_pinned, tickguard_grants, CasFloor,
    MutexBucket, Padded, RealTicks, TickClock, STRIDE,
};

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("non-zero")
}

fn bucket(c: &mut Criterion) {
    let mut group = c.benchmark_group("bucket");

    // The bucket owns its configuration, as governor's limiter owns its
    // quota, and both read the same kind of fake clock.
    let config = granting_config();
    let granting = TokenBucket::new(config);
    let ticks = TickClock::default();
    let mut i = 0u64;
    group.bench_function("grant/tickguard", |b| {
        b.iter(|| {
            i += 1;
            if i.is_multiple_of(STRIDE) {
                ticks.advance(STRIDE);
            }
            granting
                .acquire(1, tickguard::time::Instant::from_ticks(ticks.now()))
                .is_ok()
        })
    });
    let clock = FakeRelativeClock::default();
    let governor = RateLimiter::direct_with_clock(granting_quota(), clock.clone());
    let mut i = 0u64;
    group.bench_function("grant/governor (fake clock)", |b| {
        b.iter(|| {
            i += 1;
            if i.is_multiple_of(STRIDE) {
                clock.advance(Duration::from_nanos(STRIDE));
            }
            governor.check().is_ok()
        })
    });
    // Real clocks: tickguard reading `std::time::Instant` as nanosecond
    // ticks (the same quota: one token per tick), governor its default
    // clock (`quanta`, the CPU's time-stamp counter) with a quota that
    // never runs out.
    let real_ticks = RealTicks::new();
    let real_bucket = TokenBucket::new(config);
    group.bench_function("grant/tickguard (Instant)", |b| {
        b.iter(|| {
            real_bucket
                .acquire(1, tickguard::time::Instant::from_ticks(real_ticks.now()))
                .is_ok()
        })
    });
    let real = RateLimiter::direct(Quota::per_second(nonzero(u32::MAX)));
    group.bench_function("grant/governor (default clock)", |b| {
        b.iter(|| real.check().is_ok())
    });
    let mutex = MutexBucket::new(1_000.0, 1.0);
    let mut i = 0u64;
    group.bench_function("grant/mutex+f64", |b| {
        b.iter(|| {
            i += 1;
            mutex.acquire(1.0, black_box(i / STRIDE * STRIDE))
        })
    });

    let empty = TokenBucket::new(config);
    empty
        .acquire(1_000, tickguard::time::Instant::from_ticks(0))
        .expect("full at start");
    let stopped = TickClock::default();
    group.bench_function("refusal/tickguard", |b| {
        b.iter(|| {
            empty
                .acquire(1, tickguard::time::Instant::from_ticks(stopped.now()))
                .is_err()
        })
    });
    // The same bucket, reconfigurable (`LiveBucket`, what every C bucket
    // is): its configuration read per call under a generation.
    let live = tickguard::bucket::LiveBucket::new(config);
    let mut i = 0u64;
    let live_ticks = TickClock::default();
    group.bench_function("grant/tickguard live (reconfigurable)", |b| {
        b.iter(|| {
            i += 1;
            if i.is_multiple_of(STRIDE) {
                live_ticks.advance(STRIDE);
            }
            live.acquire(1, tickguard::time::Instant::from_ticks(live_ticks.now()))
                .is_ok()
        })
    });
    let live_empty = tickguard::bucket::LiveBucket::new(config);
    live_empty
        .acquire(1_000, tickguard::time::Instant::from_ticks(0))
        .expect("full at start");
    group.bench_function("refusal/tickguard live (reconfigurable)", |b| {
        b.iter(|| {
            live_empty
                .acquire(1, tickguard::time::Instant::from_ticks(stopped.now()))
                .is_err()
        })
    });
    // A reconfiguration: publish a new rate and carry the tokens over.
    let halved = tickguard::bucket::BucketConfig::new(tickguard::bucket::BucketSettings {
        tokens: config.tokens().div_ceil(2),
        ..config.settings()
    })
    .expect("valid");
    let mut round = 0u64;
    group.bench_function("reconfigure/tickguard live", |b| {
        b.iter(|| {
            round += 1;
            let next = if round.is_multiple_of(2) {
                config
            } else {
                halved
            };
            live_empty
                .reconfigure(next, tickguard::time::Instant::from_ticks(round))
                .is_ok()
        })
    });
    let drained = RateLimiter::direct_with_clock(granting_quota(), FakeRelativeClock::default());
    while drained.check().is_ok() {}
    group.bench_function("refusal/governor (fake clock)", |b| {
        b.iter(|| drained.check().is_err())
    });
    // One token per hour of nanosecond ticks, drained, on both sides.
    let hourly = tickguard::bucket::BucketConfig::new(tickguard::bucket::BucketSettings {
        capacity: 1,
        tokens: 1,
        period: tickguard::time::Duration::from_ticks(3_600_000_000_000),
        initial_fill: Some(0),
    })
    .expect("valid");
    let drained_bucket = TokenBucket::new(hourly);
    group.bench_function("refusal/tickguard (Instant)", |b| {
        b.iter(|| {
            drained_bucket
                .acquire(1, tickguard::time::Instant::from_ticks(real_ticks.now()))
                .is_err()
        })
    });
    let drained_real = RateLimiter::direct(Quota::per_hour(nonzero(1)));
    while drained_real.check().is_ok() {}
    group.bench_function("refusal/governor (default clock)", |b| {
        b.iter(|| drained_real.check().is_err())
    });
    let drained_mutex = MutexBucket::new(1_000.0, 1.0);
    drained_mutex.acquire(1_000.0, 0);
    group.bench_function("refusal/mutex+f64", |b| {
        b.iter(|| drained_mutex.acquire(1.0, black_box(0)))
    });

    let floor = CasFloor::default();
    group.bench_function("128-bit CAS floor", |b| {
        b.iter(|| floor.admit(black_box(7)))
    });
    group.finish();
}

/// A bucket configuration beside the governor quota with the same rate and
/// burst, and how each workload moves the clocks.
struct RateClass {
    name: &'static str,
    capacity: u32,
    tokens: u32,
    period: u64,
    /// Nanoseconds of governor's clock per tickguard tick (the rate's
    /// period per token in nanoseconds is then a whole number).
    nanos_per_tick: u64,
    /// Starts empty (governor's limiter is drained first).
    empty: bool,
    /// Ticks the clocks move per call in the granting workload: enough
    /// that every call is granted, or `mixed` ones are refused too.
    ticks_per_call: u64,
}

/// The bucket's rate classes beside governor (issue 17): each moves the
/// clock on every call, so the measured path is the class's own, with the
/// same fake clock for both libraries. "grant" grants every call (or, for
/// the mixed class, about half); "refusal" refuses every call (drained,
/// clock stopped).
const RATE_CLASSES: [RateClass; 7] = [
    RateClass {
        name: "fast path (1 token / tick, capacity 1000), clock +1 every call",
        capacity: 1_000,
        tokens: 1,
        period: 1,
        nanos_per_tick: 1,
        empty: false,
        ticks_per_call: 1,
    },
    RateClass {
        name: "64-bit general path (2 tokens / 3 ticks, capacity 1000)",
        capacity: 1_000,
        tokens: 2,
        period: 3,
        nanos_per_tick: 2,
        empty: false,
        ticks_per_call: 2,
    },
    RateClass {
        name: "128-bit word (7 tokens / 3 ticks, capacity 100)",
        capacity: 100,
        tokens: 7,
        period: 3,
        nanos_per_tick: 7,
        empty: false,
        ticks_per_call: 1,
    },
    RateClass {
        name: "7 per second at a 1 kHz tick (7 tokens / 1000 ticks, capacity 7)",
        capacity: 7,
        tokens: 7,
        period: 1_000,
        nanos_per_tick: 7,
        empty: false,
        ticks_per_call: 143,
    },
    RateClass {
        name: "100 per second at µs ticks (100 tokens / 1e6 ticks, capacity 100)",
        capacity: 100,
        tokens: 100,
        period: 1_000_000,
        nanos_per_tick: 1,
        empty: false,
        ticks_per_call: 10_000,
    },
    RateClass {
        name: "starting empty (1 token / 1000 ticks, capacity 10)",
        capacity: 10,
        tokens: 1,
        period: 1_000,
        nanos_per_tick: 1,
        empty: true,
        ticks_per_call: 1_000,
    },
    RateClass {
        name: "mixed, half refused (1 token / 2 ticks, capacity 10)",
        capacity: 10,
        tokens: 1,
        period: 2,
        nanos_per_tick: 1,
        empty: false,
        ticks_per_call: 1,
    },
];

fn rate_classes(c: &mut Criterion) {
    let mut group = c.benchmark_group("bucket classes");
    for class in &RATE_CLASSES {
        let config = tickguard::bucket::BucketConfig::new(tickguard::bucket::BucketSettings {
            capacity: class.capacity,
            tokens: class.tokens,
            period: tickguard::time::Duration::from_ticks(class.period),
            initial_fill: class.empty.then_some(0),
        })
        .expect("valid");
        let per_token =
            Duration::from_nanos(class.period * class.nanos_per_tick / u64::from(class.tokens));
        let quota = Quota::with_period(per_token)
            .expect("non-zero period")
            .allow_burst(nonzero(class.capacity));
        let governor_limiter = |clock: &FakeRelativeClock| {
            let limiter = RateLimiter::direct_with_clock(quota, clock.clone());
            if class.empty {
                while limiter.check().is_ok() {}
            }
            limiter
        };

        // Each workload is what its name says, for both libraries: every
        // call granted, or about half for the mixed class.
        let (mut tickguard_granted, mut governor_granted) = (0u32, 0u32);
        let (sample, sample_clock) = (TokenBucket::new(config), FakeRelativeClock::default());
        let sample_governor = governor_limiter(&sample_clock);
        for call in 1..=1_000u64 {
            let at = tickguard::time::Instant::from_ticks(call * class.ticks_per_call);
            tickguard_granted += u32::from(sample.acquire(1, at).is_ok());
            sample_clock.advance(Duration::from_nanos(
                class.ticks_per_call * class.nanos_per_tick,
            ));
            governor_granted += u32::from(sample_governor.check().is_ok());
        }
        let expected = match class {
            RateClass { empty: true, .. } => 999..=1_000,
            _ if class.name.starts_with("mixed") => 450..=560,
            _ => 1_000..=1_000,
        };
        assert!(
            expected.contains(&tickguard_granted) && expected.contains(&governor_granted),
            "{}: granted {tickguard_granted} (tickguard) and {governor_granted} (governor) of 1000",
            class.name
        );

        let bucket = TokenBucket::new(config);
        let mut now = 0u64;
        group.bench_function(format!("{}: grant/tickguard", class.name), |b| {
            b.iter(|| {
                now += class.ticks_per_call;
                bucket
                    .acquire(1, tickguard::time::Instant::from_ticks(now))
                    .is_ok()
            })
        });
        let clock = FakeRelativeClock::default();
        let limiter = governor_limiter(&clock);
        let step = Duration::from_nanos(class.ticks_per_call * class.nanos_per_tick);
        group.bench_function(
            format!("{}: grant/governor (fake clock)", class.name),
            |b| {
                b.iter(|| {
                    clock.advance(step);
                    limiter.check().is_ok()
                })
            },
        );

        let drained = TokenBucket::new(config);
        while drained
            .acquire(1, tickguard::time::Instant::from_ticks(0))
            .is_ok()
        {}
        group.bench_function(format!("{}: refusal/tickguard", class.name), |b| {
            b.iter(|| {
                drained
                    .acquire(1, tickguard::time::Instant::from_ticks(black_box(0)))
                    .is_err()
            })
        });
        let stopped = FakeRelativeClock::default();
        let drained_governor = governor_limiter(&stopped);
        while drained_governor.check().is_ok() {}
        group.bench_function(
            format!("{}: refusal/governor (fake clock)", class.name),
            |b| b.iter(|| drained_governor.check().is_err()),
        );
    }
    group.finish();
}

/// One call through the breaker at tick `now`: acquire, then record
/// `outcome` if admitted.
#[inline(always)]
/// Fails calls at tick 0 until `breaker` refuses (its window has opened it).
fn fail_until_open<C: AsRef<BreakerConfig>, W: Window, K: Counting>(breaker: &Breaker<C, W, K>) {
    while breaker
        .acquire(tickguard::time::Instant::from_ticks(0))
        .is_ok()
    {
        acquire_and_record(breaker, Outcome::Failure, 0);
    }
}

/// One call through the breaker: acquire at `now`, report `outcome`.
/// Always inlined, so that each row times the breaker inlined into its
/// loop, as a caller's code has it (with more than one caller, the
/// compiler would otherwise keep one out-of-line copy).
#[inline(always)]
fn acquire_and_record<C: AsRef<BreakerConfig>, W: Window, K: Counting>(
    breaker: &Breaker<C, W, K>,
    outcome: Outcome,
    now: u64,
) {
    let now = tickguard::time::Instant::from_ticks(now);
    if let Ok(admitted) = breaker.acquire(now) {
        black_box(breaker.record(admitted.permit, outcome, now).counted);
    }
}

/// A CLOSED breaker's happy path at tick `now`: acquire, then record a
/// success.
#[inline(always)]
fn acquire_and_succeed<C: AsRef<BreakerConfig>, W: Window, K: Counting>(
    breaker: &Breaker<C, W, K>,
    now: u64,
) {
    acquire_and_record(breaker, Outcome::Success, now);
}

fn breaker(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker");

    // The breaker owns its configuration, as failsafe's owns its policies,
    // and reads the caller's ticks from a fake clock.
    let closed = Breaker::new(BreakerConfig::DEFAULT);
    let ticks = TickClock::default();
    let mut i = 0u64;
    group.bench_function("acquire+success/tickguard", |b| {
        b.iter(|| {
            i += 1;
            if i.is_multiple_of(STRIDE) {
                ticks.advance(STRIDE);
            }
            acquire_and_succeed(&closed, ticks.now());
        })
    });
    // The same with a new tick on every call. CLOSED notes the latest tick
    // it admitted (so that a lagging caller's trip cannot shorten the open
    // period) at most once per quantum, `open / 2^16` ticks and at least
    // one (a trip's deadline is late by less than a quantum: DESIGN.md's
    // bound). The default configuration at millisecond ticks (open 60 s)
    // has a quantum of one tick: one compare-and-swap per call.
    // At microsecond ticks (open 60 s = 6e7 ticks) the quantum is 915
    // ticks: the note is written once per 915 calls.
    for (unit, open) in [("ms", 60_000), ("µs", 60_000_000)] {
        let breaker = Breaker::new(
            BreakerConfig::new(BreakerSettings {
                open: tickguard::time::Duration::from_ticks(open),
                ..BreakerConfig::DEFAULT_SETTINGS
            })
            .expect("valid"),
        );
        let mut tick = 0u64;
        group.bench_function(
            format!("acquire+success, a new {unit} tick every call/tickguard"),
            |b| {
                b.iter(|| {
                    tick += 1;
                    acquire_and_succeed(&breaker, tick);
                })
            },
        );
    }

    // failsafe on its own mock clock (`failsafe::clock::freeze`, read
    // through a thread-local on every call, as its tests do), with its
    // default policy (success rate over a time window, or 5 consecutive
    // failures; equal-jittered backoff) and with tickguard's policy (5
    // consecutive failures, a constant open period).
    failsafe::clock::freeze(|mock| {
        failsafe_rows(
            &mut group,
            "default policy",
            || failsafe::Config::new().build(),
            mock,
        );
        failsafe_rows(
            &mut group,
            "consecutive failures",
            consecutive_failures,
            mock,
        );
        // (Its trip and recovery needs 10 calls, not the cycle's 5: the
        // acquire and refusal rows only. It judges a rate only once its
        // 30 s window has passed since it was built.)
        failsafe_calls(&mut group, "success rate", success_rate, |open| {
            mock.advance(Duration::from_secs(31));
            trip(open);
        });
        // The same rule under one failure in four calls (below its
        // threshold: it stays closed), as tickguard's failure-rate row.
        let mixed = success_rate();
        let mut i = 0u64;
        group.bench_function(
            "acquire+record, 1 failure in 4/failsafe, success rate (mock clock)",
            |b| {
                b.iter(|| {
                    i += 1;
                    if i.is_multiple_of(4) {
                        mixed.call(|| Err::<u32, ()>(())).is_err()
                    } else {
                        mixed.call(|| Ok::<u32, ()>(black_box(1))).is_ok()
                    }
                })
            },
        );
        assert!(mixed.is_call_permitted(), "25 % failing never opens it");

        // One trip and recovery: 5 failed calls open the breaker, the open
        // period passes, one successful trial closes it. Both sides are
        // checked to make exactly that cycle before they are timed.
        let cycling = Breaker::new(cycle_config());
        let mut now = 0u64;
        for _ in 0..3 {
            now = tickguard_cycle(&cycling, now);
            assert_eq!(
                cycling.state(tickguard::time::Instant::from_ticks(now)),
                State::Closed
            );
        }
        group.bench_function("trip and recover/tickguard", |b| {
            b.iter(|| now = tickguard_cycle(&cycling, now))
        });

        // The same cycle with a failed trial between: the open period
        // doubles (up to 4 periods) with jitter on both sides (tickguard
        // ±25 % from its seed, failsafe's equal jitter from its thread RNG).
        let growing = Breaker::new(growing_config());
        let mut now = 0u64;
        for _ in 0..3 {
            now = tickguard_growing_cycle(&growing, now);
            assert_eq!(
                growing.state(tickguard::time::Instant::from_ticks(now)),
                State::Closed
            );
        }
        group.bench_function(
            "trip, failed trial, recover (growing open)/tickguard",
            |b| b.iter(|| now = tickguard_growing_cycle(&growing, now)),
        );
        let jittered = failsafe::Config::new()
            .failure_policy(failsafe::failure_policy::consecutive_failures(
                5,
                failsafe::backoff::equal_jittered(Duration::from_secs(1), Duration::from_secs(4)),
            ))
            .build();
        for _ in 0..3 {
            failsafe_growing_cycle(&jittered, mock, true);
        }
        group.bench_function(
            "trip, failed trial, recover (growing open)/failsafe, consecutive failures, equal-jittered backoff (mock clock)",
            |b| b.iter(|| failsafe_growing_cycle(&jittered, mock, false)),
        );
    });

    failure_rate_rows(&mut group);

    let open_config = BreakerConfig::new(BreakerSettings {
        open: tickguard::time::Duration::from_ticks(1 << 50),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .expect("valid");
    let open = Breaker::new(open_config);
    for _ in 0..open_config.settings().failure_threshold {
        let permit = open
            .acquire(tickguard::time::Instant::from_ticks(0))
            .expect("closed")
            .permit;
        let _ = open.record(
            permit,
            Outcome::Failure,
            tickguard::time::Instant::from_ticks(0),
        );
    }
    let later = TickClock::default();
    later.advance(1_000);
    group.bench_function("refusal (OPEN)/tickguard", |b| {
        b.iter(|| {
            open.acquire(tickguard::time::Instant::from_ticks(later.now()))
                .is_err()
        })
    });

    // Real clocks on both sides: tickguard reading `std::time::Instant` as
    // nanosecond ticks (open 60 s = 6e10 ticks: the latest-tick note is
    // written once per 915 µs), failsafe reading `Instant::now()` with its
    // default policy.
    let real = RealTicks::new();
    let ns_config = BreakerConfig::new(BreakerSettings {
        open: tickguard::time::Duration::from_ticks(60_000_000_000),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .expect("valid");
    let real_closed = Breaker::new(ns_config);
    group.bench_function("acquire+success, real clock/tickguard", |b| {
        b.iter(|| acquire_and_succeed(&real_closed, real.now()))
    });
    let failsafe_closed = failsafe::Config::new().build();
    group.bench_function(
        "acquire+success, real clock/failsafe, default policy",
        |b| b.iter(|| failsafe_closed.call(|| Ok::<u32, ()>(black_box(1))).is_ok()),
    );
    let real_open = Breaker::new(ns_config);
    let _ = real_open.open_for(
        tickguard::time::Duration::from_ticks(1 << 50),
        tickguard::time::Instant::from_ticks(real.now()),
    );
    group.bench_function("refusal (OPEN), real clock/tickguard", |b| {
        b.iter(|| {
            real_open
                .acquire(tickguard::time::Instant::from_ticks(real.now()))
                .is_err()
        })
    });
    // failsafe's default open period is seconds of real time, which can
    // end during a criterion run: every sample gets a freshly tripped
    // breaker (default configuration), and checks that every timed call
    // was refused.
    group.bench_function("refusal (OPEN), real clock/failsafe, default policy", |b| {
        b.iter_custom(|iters| {
            let failsafe_open = failsafe::Config::new().build();
            trip(&failsafe_open);
            let start = Instant::now();
            let mut refused = 0u64;
            for _ in 0..iters {
                refused += u64::from(
                    black_box(failsafe_open.call(|| Ok::<u32, ()>(black_box(1)))).is_err(),
                );
            }
            let elapsed = start.elapsed();
            assert_eq!(refused, iters, "failsafe closed during a sample");
            elapsed
        })
    });
    group.finish();
}

/// failsafe's rows on its mock clock with the policy `build` makes
/// (`policy` names it): CLOSED acquire+success, OPEN refusal, and one trip
/// and recovery, on breakers built inside the mock clock's scope.
fn failsafe_rows<B: CircuitBreaker>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    policy: &str,
    build: impl Fn() -> B,
    mock: &mut failsafe::clock::MockClock,
) {
    failsafe_calls(group, policy, &build, trip);
    let cycling = build();
    for _ in 0..3 {
        failsafe_cycle(&cycling, mock, true);
    }
    group.bench_function(
        format!("trip and recover/failsafe, {policy} (mock clock)"),
        |b| b.iter(|| failsafe_cycle(&cycling, mock, false)),
    );
}

/// The failure-rate breaker (half of the last 20 outcomes, 10 at least,
/// the consecutive rule off), beside failsafe's success-rate policy: CLOSED
/// with a clean full window (a success writes nothing), CLOSED with one
/// failure in four calls (every outcome shifts the window: a write per
/// call, and the rate stays below the threshold), and OPEN.
fn failure_rate_rows(group: &mut BenchmarkGroup<'_, WallTime>) {
    let ticks = TickClock::default();
    let clean = Breaker::windowed(failure_rate_config());
    let mut i = 0u64;
    group.bench_function("acquire+success, failure-rate window/tickguard", |b| {
        b.iter(|| {
            i += 1;
            if i.is_multiple_of(STRIDE) {
                ticks.advance(STRIDE);
            }
            acquire_and_succeed(&clean, ticks.now());
        })
    });
    let mixed = Breaker::windowed(failure_rate_config());
    let mut i = 0u64;
    group.bench_function(
        "acquire+record, 1 failure in 4, failure-rate window/tickguard",
        |b| {
            b.iter(|| {
                i += 1;
                if i.is_multiple_of(STRIDE) {
                    ticks.advance(STRIDE);
                }
                let outcome = if i.is_multiple_of(4) {
                    Outcome::Failure
                } else {
                    Outcome::Success
                };
                acquire_and_record(&mixed, outcome, ticks.now());
            })
        },
    );
    assert_eq!(
        mixed.state(tickguard::time::Instant::from_ticks(ticks.now())),
        State::Closed,
        "25 % never reaches 50 %"
    );
    let open = Breaker::windowed(failure_rate_config());
    fail_until_open(&open);
    let later = TickClock::default();
    later.advance(1_000);
    group.bench_function("refusal (OPEN), failure-rate window/tickguard", |b| {
        b.iter(|| {
            open.acquire(tickguard::time::Instant::from_ticks(later.now()))
                .is_err()
        })
    });
    counted_rows(group);
    time_window_rows(group);
}

/// The same rule over a time window (half of the last 30 000 ticks'
/// outcomes, 10 at least: failsafe's 30 s success-rate window at
/// millisecond ticks), CLOSED: every outcome writes the window (its
/// bucket's counts) besides the state word's quick path.
fn time_window_rows(group: &mut BenchmarkGroup<'_, WallTime>) {
    let ticks = TickClock::default();
    for (name, every) in [
        ("acquire+success, time window/tickguard", 0),
        ("acquire+record, 1 failure in 4, time window/tickguard", 4),
    ] {
        let breaker = Breaker::windowed(time_window_config());
        let mut i = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                if i.is_multiple_of(STRIDE) {
                    ticks.advance(STRIDE);
                }
                let outcome = if every != 0 && i.is_multiple_of(every) {
                    Outcome::Failure
                } else {
                    Outcome::Success
                };
                acquire_and_record(&breaker, outcome, ticks.now());
            })
        });
        assert_eq!(
            breaker.state(tickguard::time::Instant::from_ticks(ticks.now())),
            State::Closed,
            "25 % never reaches 50 %"
        );
    }
    let open = Breaker::windowed(time_window_config());
    fail_until_open(&open);
    group.bench_function("refusal (OPEN), time window/tickguard", |b| {
        b.iter(|| {
            open.acquire(tickguard::time::Instant::from_ticks(1_000))
                .is_err()
        })
    });
}

/// [`failure_rate_config`] over the last 30 000 ticks instead of the last
/// 20 outcomes.
fn time_window_config() -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        rate_window: 0,
        rate_duration: tickguard::time::Duration::from_ticks(30_000),
        ..*failure_rate_config().settings()
    })
    .expect("valid")
}

/// Every C breaker: the failure-rate window and the counters (a counter
/// bumped per decision), CLOSED with a clean window and OPEN (tripped by
/// the window).
fn counted_rows(group: &mut BenchmarkGroup<'_, WallTime>) {
    let ticks = TickClock::default();
    let counted: CountingBreaker<BreakerConfig> = Breaker::with_storage(failure_rate_config());
    let mut i = 0u64;
    group.bench_function("acquire+success, window and counters/tickguard", |b| {
        b.iter(|| {
            i += 1;
            if i.is_multiple_of(STRIDE) {
                ticks.advance(STRIDE);
            }
            acquire_and_succeed(&counted, ticks.now());
        })
    });
    assert_eq!(counted.counts().requests, counted.counts().successes);
    let open: CountingBreaker<BreakerConfig> = Breaker::with_storage(failure_rate_config());
    fail_until_open(&open);
    group.bench_function("refusal (OPEN), window and counters/tickguard", |b| {
        b.iter(|| {
            open.acquire(tickguard::time::Instant::from_ticks(1_000))
                .is_err()
        })
    });
    assert!(open.counts().refused > 0);
}

/// tickguard's failure-rate rule: half of the last 20 outcomes, 10 at
/// least, open for 2^50 ticks (never ends in a run).
fn failure_rate_config() -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        failure_threshold: 0,
        failure_rate_per_mille: 500,
        rate_window: 20,
        minimum_calls: 10,
        open: tickguard::time::Duration::from_ticks(1 << 50),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .expect("valid")
}

/// failsafe's success-rate policy with the same rule: at least half of
/// the calls succeeding over a 30 s window, 10 calls at least, open 1 s.
fn success_rate() -> impl CircuitBreaker {
    failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::success_rate_over_time_window(
            0.5,
            10,
            Duration::from_secs(30),
            failsafe::backoff::constant(Duration::from_secs(1)),
        ))
        .build()
}

/// failsafe's CLOSED acquire+success and OPEN refusal rows with the policy
/// `build` makes (`policy` names it), on its mock clock; `open` trips a
/// fresh breaker for the second.
fn failsafe_calls<B: CircuitBreaker>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    policy: &str,
    build: impl Fn() -> B,
    open: impl FnOnce(&B),
) {
    let closed = build();
    group.bench_function(
        format!("acquire+success/failsafe, {policy} (mock clock)"),
        |b| b.iter(|| closed.call(|| Ok::<u32, ()>(black_box(1))).is_ok()),
    );
    let refusing = build();
    open(&refusing);
    group.bench_function(
        format!("refusal (OPEN)/failsafe, {policy} (mock clock)"),
        |b| b.iter(|| refusing.call(|| Ok::<u32, ()>(black_box(1))).is_err()),
    );
}

/// failsafe with tickguard's policy: 5 consecutive failures, open 1 s.
fn consecutive_failures() -> impl CircuitBreaker {
    failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::consecutive_failures(
            5,
            failsafe::backoff::constant(Duration::from_secs(1)),
        ))
        .build()
}

/// Fails calls until failsafe's `breaker` refuses them.
fn trip(breaker: &impl CircuitBreaker) {
    while breaker.is_call_permitted() {
        let _ = breaker.call(|| Err::<(), ()>(()));
    }
}

/// tickguard's side of the cycle: 5 consecutive failures, open 1 000
/// ticks, one trial that closes it on success.
fn cycle_config() -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        failure_threshold: 5,
        open: tickguard::time::Duration::from_ticks(1_000),
        half_open_permits: 1,
        success_threshold: 1,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .expect("valid")
}

/// The cycle's breaker with open periods doubling up to 4 000 ticks, ±25 %.
fn growing_config() -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        open_multiplier_milli: 2_000,
        max_open: tickguard::time::Duration::from_ticks(4_000),
        open_jitter_per_mille: 250,
        jitter_seed: 0x5EED,
        ..*cycle_config().settings()
    })
    .expect("valid")
}

/// One trip, a failed trial (the next period doubles) and a recovery of a
/// CLOSED tickguard breaker from tick `now`; the tick the cycle ended at.
#[inline(always)]
fn tickguard_growing_cycle(breaker: &Breaker<BreakerConfig>, now: u64) -> u64 {
    for _ in 0..5 {
        acquire_and_record(breaker, Outcome::Failure, now);
    }
    let now = now + 1_251; // past 1 000 + 25 %
    acquire_and_record(breaker, Outcome::Failure, now);
    let now = now + 2_501; // past 2 000 + 25 %
    acquire_and_succeed(breaker, now);
    now
}

/// failsafe's side of [`tickguard_growing_cycle`]: 5 failed calls, past the
/// longest first period, a failed trial, past the longest second, a
/// successful trial. `check` asserts the states.
#[inline(always)]
fn failsafe_growing_cycle(
    breaker: &impl CircuitBreaker,
    mock: &mut failsafe::clock::MockClock,
    check: bool,
) {
    for _ in 0..5 {
        black_box(breaker.call(|| Err::<(), ()>(())).is_err());
    }
    assert!(
        !check || !breaker.is_call_permitted(),
        "failsafe did not open"
    );
    mock.advance(Duration::from_secs(5));
    black_box(breaker.call(|| Err::<(), ()>(())).is_err());
    assert!(
        !check || !breaker.is_call_permitted(),
        "failsafe did not reopen"
    );
    mock.advance(Duration::from_secs(5));
    black_box(breaker.call(|| Ok::<u32, ()>(black_box(1))).is_ok());
    assert!(
        !check || (breaker.is_call_permitted() && breaker.call(|| Ok::<u32, ()>(1)).is_ok()),
        "failsafe did not close"
    );
}

/// One trip and recovery of a CLOSED tickguard breaker from tick `now`:
/// 5 failed calls, the open period, a successful trial. Returns the tick
/// the cycle ended at.
#[inline(always)]
fn tickguard_cycle(breaker: &Breaker<BreakerConfig>, now: u64) -> u64 {
    for _ in 0..5 {
        acquire_and_record(breaker, Outcome::Failure, now);
    }
    let now = now + 1_001;
    acquire_and_succeed(breaker, now);
    now
}

/// failsafe's side: 5 failed calls, the mock clock past the longest open
/// period either policy can choose (300 s), a successful trial. `check`
/// asserts that the calls open and close the breaker.
#[inline(always)]
fn failsafe_cycle(
    breaker: &impl CircuitBreaker,
    mock: &mut failsafe::clock::MockClock,
    check: bool,
) {
    for _ in 0..5 {
        black_box(breaker.call(|| Err::<(), ()>(())).is_err());
    }
    assert!(
        !check || !breaker.is_call_permitted(),
        "failsafe did not open"
    );
    mock.advance(Duration::from_secs(301));
    black_box(breaker.call(|| Ok::<u32, ()>(black_box(1))).is_ok());
    assert!(
        !check || (breaker.is_call_permitted() && breaker.call(|| Ok::<u32, ()>(1)).is_ok()),
        "failsafe did not close"
    );
}

fn retries(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry");
    for (name, jitter) in [
        ("step, exponential + equal jitter", Jitter::Equal),
        (
            "step, exponential + decorrelated v2",
            Jitter::DecorrelatedV2,
        ),
    ] {
        let policy = RetryPolicy::new(RetrySettings {
            max_attempts: 8,
            backoff: Backoff::Exponential {
                base: tickguard::time::Duration::from_ticks(100),
                multiplier_milli: 2_000,
            },
            jitter,
            max_delay: tickguard::time::Duration::from_ticks(10_000),
            deadline: None,
        })
        .expect("valid");
        let mut attempt = Attempt::new(tickguard::time::Instant::from_ticks(0), 7);
        let mut now = 0u64;
        group.bench_function(format!("{name}/tickguard"), |b| {
            b.iter(|| {
                match policy.next(
                    &mut attempt,
                    retry::Failure::Retryable,
                    black_box(tickguard::time::Instant::from_ticks(now)),
                    None,
                ) {
                    Decision::RetryAt(at) => now = at.ticks(),
                    Decision::GiveUp(_) => {
                        attempt = Attempt::new(tickguard::time::Instant::from_ticks(now), now);
                    }
                }
            })
        });
    }
    let config = BudgetConfig::new(tickguard::budget::BudgetSettings {
        max_tokens: 10,
        token_ratio_milli: 100,
    })
    .expect("valid");
    let budget = RetryBudget::new(&config);
    let mut i = 0u32;
    group.bench_function("budget: record + check/tickguard", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            if i.is_multiple_of(3) {
                budget.record_success();
            } else {
                budget.record_failure();
            }
            budget.allows_retry()
        })
    });
    group.finish();
}

fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("contended");
    group.measurement_time(Duration::from_secs(4));

    for threads in [1usize, 2] {
        // Grants: one token per tick; every thread advances the shared
        // clock by STRIDE ticks every STRIDE calls, so the refill keeps up.
        group.bench_function(format!("grant x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| tickguard_grants(threads, iters))
        });
        group.bench_function(format!("grant x{threads}/governor (fake clock)"), |b| {
            b.iter_custom(|iters| governor_grants(threads, iters))
        });

        // The floor for a read-only check on two threads: a shared word
        // and a shared clock loaded and compared, nothing else. Where the
        // host places the two virtual CPUs on one physical core's two
        // hardware threads, even this scales below 2×.
        let word = Padded(std::sync::atomic::AtomicU64::new(u64::MAX));
        let floor_clock = Padded(TickClock::default());
        group.bench_function(format!("read-only floor x{threads}"), |b| {
            b.iter_custom(|iters| {
                let (word, floor_clock) = (&*word, &*floor_clock);
                run_pinned(threads, iters, move |_| {
                    black_box(word.load(std::sync::atomic::Ordering::Acquire) > floor_clock.now());
                })
            })
        });

        // Refusals only read: two threads should refuse twice as fast.
        let empty = Padded(TokenBucket::new(granting_config()));
        empty
            .acquire(1_000, tickguard::time::Instant::from_ticks(0))
            .expect("full at start");
        let stopped = Padded(TickClock::default());
        group.bench_function(format!("bucket refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                let (empty, stopped) = (&*empty, &*stopped);
                run_pinned(threads, iters, move |_| {
                    black_box(
                        empty
                            .acquire(1, tickguard::time::Instant::from_ticks(stopped.now()))
                            .is_err(),
                    );
                })
            })
        });
        // The breaker reads its ticks as the bucket does, from a stopped
        // clock (as in the single-threaded `breaker` group).
        let open = Padded(Breaker::new(&BreakerConfig::DEFAULT));
        let _ = open.open_for(
            tickguard::time::Duration::from_ticks(1 << 40),
            tickguard::time::Instant::ZERO,
        );
        let later = Padded(TickClock::default());
        later.advance(1_000);
        group.bench_function(format!("breaker refusal x{threads}/tickguard"), |b| {
            b.iter_custom(|iters| {
                let (open, later) = (&*open, &*later);
                run_pinned(threads, iters, move |_| {
                    black_box(
                        open.acquire(tickguard::time::Instant::from_ticks(later.now()))
                            .is_err(),
                    );
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bucket, rate_classes, breaker, retries, contended);
criterion_main!(benches);
