//! Instructions per operation of a breaker with a failure-rate window, on
//! Cortex-M, counted as the `instructions` bin counts (`counting.rs`): a
//! binary of its own, so that the plain breaker's figures there are those
//! of a firmware without a window. See `c-examples/size-report.sh`, which
//! also finds the longest run with interrupts masked in this binary.
#![no_std]
#![no_main]

#[path = "../counting.rs"]
mod counting;

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::breaker::{
    Breaker, BreakerConfig, BreakerSettings, Outcome, Permit, WindowedBreaker,
};
use tickguard::time::Instant;

use counting::{done, fail, Counter};

/// A breaker that opens on a failure rate: half of the last 8 outcomes, 4
/// at least.
static RATE_CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_threshold: 0,
    failure_rate_per_mille: 500,
    rate_window: 8,
    minimum_calls: 4,
    ..BreakerConfig::DEFAULT_SETTINGS
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid breaker configuration"),
};
static RATE_BREAKER: WindowedBreaker = Breaker::windowed(&RATE_CONFIG);

/// The same rule over time: half of the last 400 ticks' outcomes (4
/// buckets of 100), 4 at least.
static TIMED_CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_threshold: 0,
    failure_rate_per_mille: 500,
    rate_duration: tickguard::time::Duration::from_ticks(400),
    minimum_calls: 4,
    ..BreakerConfig::DEFAULT_SETTINGS
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid breaker configuration"),
};
static TIMED_BREAKER: WindowedBreaker = Breaker::windowed(&TIMED_CONFIG);

fn at(tick: u64) -> Instant {
    Instant::from_ticks(black_box(tick))
}

#[inline(never)]
fn record_rate(permit: Permit, outcome: Outcome, now: u64) -> bool {
    RATE_BREAKER.record(permit, outcome, at(now)).counted
}

#[inline(never)]
fn record_timed(permit: Permit, outcome: Outcome, now: u64) -> bool {
    TIMED_BREAKER.record(permit, outcome, at(now)).counted
}

#[entry]
fn main() -> ! {
    let count = Counter::start();
    let Ok(admitted) = RATE_BREAKER.acquire(at(10)) else {
        fail()
    };
    let permit = admitted.permit;
    for _ in 0..8 {
        record_rate(permit, Outcome::Success, 10);
    }
    count.report(
        "failure-rate breaker record success, CLOSED (full clean window, no write)",
        || {
            black_box(record_rate(permit, Outcome::Success, 10));
        },
    );
    count.report(
        "failure-rate breaker record failure, CLOSED (counted in the window)",
        || {
            black_box(record_rate(permit, Outcome::Failure, 10));
        },
    );
    record_rate(permit, Outcome::Failure, 10);
    record_rate(permit, Outcome::Failure, 10);
    count.report(
        "failure-rate breaker record failure, CLOSED -> OPEN (rate trip)",
        || {
            black_box(record_rate(permit, Outcome::Failure, 10));
        },
    );
    if RATE_BREAKER.acquire(at(11)).is_ok() {
        fail()
    }
    let Ok(admitted) = TIMED_BREAKER.acquire(at(10)) else {
        fail()
    };
    let permit = admitted.permit;
    count.report(
        "time-window breaker record success, CLOSED (counted in its bucket)",
        || {
            black_box(record_timed(permit, Outcome::Success, 10));
        },
    );
    count.report(
        "time-window breaker record failure, CLOSED (a new bucket)",
        || {
            black_box(record_timed(permit, Outcome::Failure, 150));
        },
    );
    done()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
