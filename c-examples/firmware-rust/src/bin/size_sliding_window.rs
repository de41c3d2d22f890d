//! Size probe: a sliding-window counter in a `static`, acquire + available
//! + reset. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
use tickguard::time::{Duration, Instant};

static CONFIG: SlidingWindowConfig = match SlidingWindowConfig::new(SlidingWindowSettings {
    limit: 100,
    window: Duration::from_ticks(60_000),
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid window"),
};
static LIMIT: SlidingWindow = SlidingWindow::new(&CONFIG);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(u64::from(black_box(7u32)));
        if let Err(refused) = LIMIT.acquire(black_box(1), Instant::from_ticks(now)) {
            black_box(refused.retry_at());
        }
        black_box(LIMIT.available(Instant::from_ticks(now)));
        if black_box(now).is_multiple_of(1024) {
            LIMIT.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
