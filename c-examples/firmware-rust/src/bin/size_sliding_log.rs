//! Size probe: a sliding log of 8 entries in a `static`, acquire + available
//! + reset. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
use tickguard::time::{Duration, Instant};

static CONFIG: SlidingLogConfig = match SlidingLogConfig::new(Duration::from_ticks(60_000)) {
    Ok(config) => config,
    Err(_) => panic!("invalid window"),
};
static LIMIT: SlidingLog<8> = SlidingLog::new(&CONFIG);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(u64::from(black_box(7u32)));
        if let Err(refused) = LIMIT.acquire(Instant::from_ticks(now)) {
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
