//! Size probe: a circuit breaker in a `static`, acquire + record + state +
//! the manual controls. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::breaker::{Breaker, BreakerConfig, Outcome};
use tickguard::time::{Duration, Instant};

static BREAKER: Breaker = Breaker::new(&BreakerConfig::DEFAULT);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(black_box(1));
        if let Ok(admitted) = BREAKER.acquire(Instant::from_ticks(now)) {
            let outcome = if black_box(now) & 1 == 0 {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            black_box(
                BREAKER
                    .record(admitted.permit, outcome, Instant::from_ticks(now))
                    .counted,
            );
        }
        black_box(BREAKER.state(Instant::from_ticks(now)));
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
