//! Instructions per operation on Cortex-M, counted under QEMU with
//! `-icount shift=8` (every instruction takes 256 ns of virtual time, so
//! SysTick, clocked from virtual time, counts them deterministically). Each
//! operation is an out-of-line function run once in the state named beside
//! it; the count is the call's SysTick ticks, less an empty call's,
//! converted with a straight-line block of 64 `nop`s measured the same way.
//! Prints `operation<TAB>instructions` lines over semihosting and exits.
//! See `c-examples/size-report.sh`, which also finds the longest run of
//! instructions with interrupts masked in this binary's disassembly.
#![no_std]
#![no_main]

#[path = "../counting.rs"]
mod counting;

use core::hint::black_box;
use cortex_m_rt::entry;
use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, Sample};
use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, Permit};
use tickguard::bucket::{BucketConfig, BucketSettings, LiveBucket, TokenBucket};
use tickguard::budget::{BudgetConfig, RetryBudget};
use tickguard::bulkhead::{Bulkhead, BulkheadConfig, Permit as Slot};
use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
use tickguard::retry::{Attempt, Backoff, Failure, Jitter, RetryPolicy, RetrySettings};
use tickguard::shaper::{Shaper, ShaperConfig};
use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig};
use tickguard::time::{Duration, Instant};

use counting::{done, fail, Counter};

static BREAKER_CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_threshold: 2,
    open: Duration::from_ticks(1_000),
    half_open_permits: 1,
    success_threshold: 1,
    half_open_timeout: Duration::from_ticks(500),
    ..BreakerConfig::DEFAULT_SETTINGS
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid breaker configuration"),
};
static BREAKER: Breaker = Breaker::new(&BREAKER_CONFIG);

/// The bucket's three rate classes: one unit per tick or slower (a `u64`
/// word, its fast path), up to 3 units per tick (a `u64` word, the general
/// path), more (a `u128` word).
const fn bucket(capacity: u32, tokens: u32, period: u64) -> BucketConfig {
    match BucketConfig::new(BucketSettings {
        capacity,
        tokens,
        period: Duration::from_ticks(period),
        initial_fill: None,
    }) {
        Ok(config) => config,
        Err(_) => panic!("invalid bucket configuration"),
    }
}
static SLOW: BucketConfig = bucket(10, 1, 100);
static GENERAL: BucketConfig = bucket(10, 2, 3);
static WIDE: BucketConfig = bucket(100, 7, 3);
static SLOW_BUCKET: TokenBucket = TokenBucket::new(&SLOW);
static GENERAL_BUCKET: TokenBucket = TokenBucket::new(&GENERAL);
static WIDE_BUCKET: TokenBucket = TokenBucket::new(&WIDE);

/// The slow bucket, reconfigurable (and reconfigured to the general rate).
static LIVE_BUCKET: LiveBucket = LiveBucket::new(bucket(10, 1, 100));

static BUDGET: RetryBudget = RetryBudget::new(&BudgetConfig::DEFAULT);

/// 25 slots.
static POOL: Bulkhead = Bulkhead::new(&BulkheadConfig::DEFAULT);

/// The kernel's default log limit: 10 lines per 5 000 ticks.
static LOG_LIMIT: FixedWindow = FixedWindow::new(&FixedWindowConfig::DEFAULT);

/// nginx's `rate=10r/s burst=20` in 1 ms ticks.
static SHAPER: Shaper = Shaper::new(&ShaperConfig::DEFAULT);

/// 100 events per 60 000 ticks.
static SLIDING: SlidingWindow = SlidingWindow::new(&SlidingWindowConfig::DEFAULT);

/// AIMD from 20, between 4 and 64.
static ADAPTIVE: AdaptiveLimit = AdaptiveLimit::new(&AdaptiveConfig::DEFAULT);

/// 5 events per 1 000 ticks, exactly.
static LOG: SlidingLog<5> = SlidingLog::new(&SlidingLogConfig::DEFAULT);

const fn retry(jitter: Jitter) -> RetryPolicy {
    match RetryPolicy::new(RetrySettings {
        max_attempts: 100,
        backoff: Backoff::Exponential {
            base: Duration::from_ticks(100),
            multiplier_milli: 2_000,
        },
        jitter,
        max_delay: Duration::from_ticks(60_000),
        deadline: None,
    }) {
        Ok(policy) => policy,
        Err(_) => panic!("invalid retry policy"),
    }
}
static EQUAL: RetryPolicy = retry(Jitter::Equal);
static V2: RetryPolicy = retry(Jitter::DecorrelatedV2);

fn at(tick: u64) -> Instant {
    Instant::from_ticks(black_box(tick))
}

#[inline(never)]
fn acquire(now: u64) -> Option<Permit> {
    BREAKER
        .acquire(at(now))
        .ok()
        .map(|admitted| admitted.permit)
}

#[inline(never)]
fn record(permit: Permit, outcome: Outcome, now: u64) -> bool {
    BREAKER.record(permit, outcome, at(now)).counted
}

#[inline(never)]
fn state(now: u64) {
    black_box(BREAKER.state(at(now)));
}

#[inline(never)]
fn take(bucket: &TokenBucket, now: u64) -> bool {
    bucket.acquire(black_box(1), at(now)).is_ok()
}

#[inline(never)]
fn available(bucket: &TokenBucket, now: u64) -> u32 {
    bucket.available(at(now))
}

#[inline(never)]
fn log_line(now: u64) -> bool {
    LOG_LIMIT.acquire(black_box(1), at(now)).is_ok()
}

#[inline(never)]
fn schedule(now: u64) -> bool {
    SHAPER.schedule(black_box(1), at(now)).is_ok()
}

#[inline(never)]
fn slide(n: u32, now: u64) -> bool {
    SLIDING.acquire(black_box(n), at(now)).is_ok()
}

#[inline(never)]
fn adaptive_take(now: u64) -> Option<Slot> {
    ADAPTIVE.acquire(at(now)).ok()
}

#[inline(never)]
fn adaptive_give(slot: Slot, sample: Sample) -> bool {
    ADAPTIVE.release(slot, sample).is_ok()
}

#[inline(never)]
fn log_event(now: u64) -> bool {
    LOG.acquire(at(now)).is_ok()
}

#[inline(never)]
fn take_slot(now: u64) -> Option<Slot> {
    POOL.acquire(at(now)).ok()
}

#[inline(never)]
fn give_slot(slot: Slot) -> bool {
    POOL.release(slot).is_ok()
}

#[inline(never)]
fn budget_failure_and_check() -> bool {
    BUDGET.record_failure();
    BUDGET.allows_retry()
}

#[inline(never)]
fn retry_step(policy: &RetryPolicy, attempt: &mut Attempt, now: u64) {
    let _ = black_box(policy.next(attempt, Failure::Retryable, at(now), None));
}

#[entry]
fn main() -> ! {
    let count = Counter::start();

    // Breaker: CLOSED (its latest tick noted at 10, so calls before 11 write
    // nothing), a failure run, a trip, OPEN, a trial, its success.
    let Some(permit) = acquire(10) else { fail() };
    let mut held = None;
    count.report("breaker acquire, CLOSED (grant, no write)", || {
        held = acquire(10)
    });
    count.report("breaker record success, CLOSED (no write)", || {
        black_box(record(permit, Outcome::Success, 10));
    });
    count.report(
        "breaker acquire, CLOSED, a new tick (grant, notes it)",
        || held = acquire(20),
    );
    count.report("breaker state", || state(20));
    count.report("breaker record failure, CLOSED (counted)", || {
        black_box(record(permit, Outcome::Failure, 21));
    });
    count.report("breaker record failure, CLOSED -> OPEN (trip)", || {
        black_box(record(permit, Outcome::Failure, 22));
    });
    count.report("breaker acquire, OPEN (refusal)", || held = acquire(30));
    count.report("breaker acquire, OPEN -> HALF_OPEN (trial)", || {
        held = acquire(1_100)
    });
    let Some(trial) = held else { fail() };
    count.report("breaker record success, HALF_OPEN -> CLOSED", || {
        black_box(record(trial, Outcome::Success, 1_101));
    });

    // Buckets: full, then a burst of grants down to a refusal.
    for (bucket, [grant, refusal, tokens]) in [
        (
            &SLOW_BUCKET,
            [
                "bucket grant (1 token / 100 ticks: u64 fast path)",
                "bucket refusal (1 token / 100 ticks: u64 fast path)",
                "bucket available (1 token / 100 ticks)",
            ],
        ),
        (
            &GENERAL_BUCKET,
            [
                "bucket grant (2 tokens / 3 ticks: u64 general path)",
                "bucket refusal (2 tokens / 3 ticks: u64 general path)",
                "bucket available (2 tokens / 3 ticks)",
            ],
        ),
        (
            &WIDE_BUCKET,
            [
                "bucket grant (7 tokens / 3 ticks: u128 word)",
                "bucket refusal (7 tokens / 3 ticks: u128 word)",
                "bucket available (7 tokens / 3 ticks)",
            ],
        ),
    ] {
        count.report(grant, || {
            black_box(take(bucket, 1_000));
        });
        for _ in 1..bucket.config().capacity() {
            take(bucket, 1_000);
        }
        count.report(refusal, || {
            black_box(take(bucket, 1_000));
        });
        count.report(tokens, || {
            black_box(available(bucket, 1_000));
        });
    }

    count.report("live bucket grant (1 token / 100 ticks)", || {
        black_box(LIVE_BUCKET.acquire(black_box(1), at(1_000)).is_ok());
    });
    for _ in 1..10 {
        let _ = LIVE_BUCKET.acquire(1, at(1_000));
    }
    count.report("live bucket refusal (1 token / 100 ticks)", || {
        black_box(LIVE_BUCKET.acquire(black_box(1), at(1_000)).is_ok());
    });
    count.report(
        "live bucket reconfigure (carries the tokens to 2 / 3 ticks)",
        || {
            black_box(LIVE_BUCKET.reconfigure(GENERAL, at(1_000)).is_ok());
        },
    );
    count.report("live bucket grant after a reconfiguration", || {
        black_box(LIVE_BUCKET.acquire(black_box(1), at(1_010)).is_ok());
    });

    for now in 0..9 {
        log_line(now);
    }
    count.report("fixed window: admit a log line", || {
        black_box(log_line(9));
    });
    count.report("fixed window: suppress a log line (counted)", || {
        black_box(log_line(10));
    });
    count.report("fixed window: next window (reports the count)", || {
        black_box(log_line(5_010));
    });
    count.report("shaper: schedule, sent at once", || {
        black_box(schedule(0));
    });
    count.report("shaper: schedule, queued", || {
        black_box(schedule(0));
    });
    for _ in 0..18 {
        schedule(0);
    }
    count.report("shaper: refusal (queue full)", || {
        black_box(schedule(0));
    });
    slide(99, 0);
    count.report("sliding window: grant", || {
        black_box(slide(1, 1));
    });
    count.report("sliding window: refusal (with its tick)", || {
        black_box(slide(1, 2));
    });
    count.report("sliding window: grant, next window (weighted)", || {
        black_box(slide(1, 90_000));
    });
    for now in 0..4 {
        log_event(now);
    }
    count.report("sliding log: grant", || {
        black_box(log_event(4));
    });
    count.report("sliding log: refusal (with its tick)", || {
        black_box(log_event(5));
    });
    count.report("sliding log: grant, the oldest left", || {
        black_box(log_event(1_000));
    });
    let mut slot = None;
    count.report("bulkhead: acquire", || slot = take_slot(0));
    let slot = slot.unwrap_or_else(|| fail());
    count.report("bulkhead: release", || {
        black_box(give_slot(slot));
    });
    count.report("bulkhead: release refused (double)", || {
        black_box(give_slot(slot));
    });
    for _ in 0..25 {
        let _ = take_slot(0);
    }
    count.report("bulkhead: refusal (full)", || {
        black_box(take_slot(0));
    });
    let mut slot = None;
    count.report("adaptive limit: acquire", || slot = adaptive_take(0));
    let slot = slot.unwrap_or_else(|| fail());
    count.report("adaptive limit: release (done, limit unchanged)", || {
        black_box(adaptive_give(
            slot,
            Sample::Done {
                latency: Duration::from_ticks(1),
            },
        ));
    });
    let slot = adaptive_take(0).unwrap_or_else(|| fail());
    count.report("adaptive limit: release (dropped, limit lowered)", || {
        black_box(adaptive_give(slot, Sample::Dropped));
    });
    for _ in 0..18 {
        let _ = adaptive_take(0);
    }
    count.report("adaptive limit: refusal (at the limit)", || {
        black_box(adaptive_take(0));
    });
    count.report("retry budget: record a failure + check", || {
        black_box(budget_failure_and_check());
    });
    for (name, policy) in [
        ("retry step (exponential, equal jitter), 3rd retry", &EQUAL),
        ("retry step (Polly's v2), 3rd retry", &V2),
    ] {
        let mut attempt = Attempt::new(at(0), 7);
        retry_step(policy, &mut attempt, 0);
        retry_step(policy, &mut attempt, 1_000);
        count.report(name, || retry_step(policy, &mut attempt, 2_000));
    }

    done()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
