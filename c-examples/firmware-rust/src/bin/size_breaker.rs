//! Size probe: a circuit breaker in a `static`, acquire + record + state +
//! the manual controls. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::breaker::{Breaker, BreakerConfig, Outcome};

static BREAKER: Breaker = Breaker::new(&BreakerConfig::DEFAULT);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(black_box(1));
        if let Ok(admitted) = BREAKER.acquire(now) {
            let outcome = if black_box(now) & 1 == 0 {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            black_box(BREAKER.record(admitted.permit, outcome, now).counted);
        }
        black_box(BREAKER.state(now));
        match black_box(now) % 1024 {
            0 => drop(black_box(BREAKER.force_open())),
            1 => drop(black_box(BREAKER.disable())),
            2 => drop(black_box(BREAKER.reset())),
            3 => drop(black_box(BREAKER.open_for(black_box(50), now))),
            _ => {}
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
