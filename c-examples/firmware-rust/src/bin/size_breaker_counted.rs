//! Size probe: a circuit breaker with a failure-rate window (the last 20
//! outcomes, 50 %, 10 calls at least) and its counters in a `static`, run
//! by `breaker_probe` with the counters read too (what every C breaker
//! is). See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

#[path = "../breaker_probe.rs"]
mod breaker_probe;

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, CountingBreaker};

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
    breaker_probe::run(&BREAKER, || {
        black_box(BREAKER.counts());
    })
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
