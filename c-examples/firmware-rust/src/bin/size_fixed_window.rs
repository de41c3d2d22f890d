//! Size probe: a fixed window with a suppression count in a `static`,
//! acquire + remaining + take_missed + reset. See
//! `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::fixed_window::{FixedWindow, FixedWindowConfig, FixedWindowSettings};
use tickguard::time::{Duration, Instant};

static CONFIG: FixedWindowConfig = match FixedWindowConfig::new(FixedWindowSettings {
    burst: 10,
    interval: Duration::from_ticks(5_000),
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid window"),
};
static LOG_LIMIT: FixedWindow = FixedWindow::new(&CONFIG);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(u64::from(black_box(7u32)));
        match LOG_LIMIT.acquire(black_box(1), Instant::from_ticks(now)) {
            Ok(admitted) => black_box(admitted.missed),
            Err(denied) => black_box(denied.missed),
        };
        black_box(LOG_LIMIT.remaining(Instant::from_ticks(now)));
        if black_box(now).is_multiple_of(1024) {
            black_box(LOG_LIMIT.take_missed());
            LOG_LIMIT.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
