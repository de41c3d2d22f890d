//! Size probe: a shaper (leaky bucket as a queue) in a `static`, schedule
//! + reset. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::shaper::{Shaper, ShaperConfig, ShaperSettings};
use tickguard::time::{Duration, Instant};

static CONFIG: ShaperConfig = match ShaperConfig::new(ShaperSettings {
    capacity: 1,
    tokens: 10,
    period: Duration::from_ticks(1_000),
    max_wait: Duration::from_ticks(2_000),
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid shaper"),
};
static SHAPER: Shaper = Shaper::new(&CONFIG);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(u64::from(black_box(7u32)));
        if let Ok(send_at) = SHAPER.schedule(black_box(1), Instant::from_ticks(now)) {
            black_box(send_at);
        }
        if black_box(now).is_multiple_of(1024) {
            SHAPER.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
