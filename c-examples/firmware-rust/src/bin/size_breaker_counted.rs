//! Size probe: a circuit breaker with a failure-rate window (the last 20
//! outcomes, 50 %, 10 calls at least) and its counters in a `static`,
//! acquire + record + state + window counts + counters + the manual
//! controls (what every C breaker is). See
//! `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, CountingBreaker, Outcome};
use tickguard::time::{Duration, Instant};

static CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_rate_per_mille: 500,
    rate_window: 20,
    minimum_calls: 10,
    ..BreakerConfig::DEFAULT_SETTINGS
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid breaker configuration"),
};
static BREAKER: CountingBreaker = Breaker::with_storage(&CONFIG);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(black_box(1));
        if let Ok(admitted) = BREAKER.acquire(Instant::from_ticks(now)) {
            let outcome = if black_box(now) & 3 == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            black_box(
                BREAKER
                    .record(admitted.permit, outcome, Instant::from_ticks(now))
                    .counted,
            );
        }
        black_box(BREAKER.state(Instant::from_ticks(now)));
        black_box(BREAKER.window_counts());
        black_box(BREAKER.counts());
        match black_box(now) % 1024 {
            0 => drop(black_box(BREAKER.force_open())),
            1 => drop(black_box(BREAKER.disable())),
            2 => drop(black_box(BREAKER.reset())),
            3 => drop(black_box(BREAKER.open_for(
                Duration::from_ticks(black_box(50)),
                Instant::from_ticks(now),
            ))),
            _ => {}
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
