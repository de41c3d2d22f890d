//! Size probe: a circuit breaker in a `static` (no window), run by
//! `breaker_probe`. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

#[path = "../breaker_probe.rs"]
mod breaker_probe;

use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::breaker::{Breaker, BreakerConfig};

static BREAKER: Breaker = Breaker::new(&BreakerConfig::DEFAULT);

#[entry]
fn main() -> ! {
    breaker_probe::run(&BREAKER, || {})
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
