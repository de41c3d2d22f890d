//! Size probe: a bulkhead in a `static`, enter (RAII) + acquire/release +
//! in_flight + reset. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::bulkhead::{Bulkhead, BulkheadConfig, BulkheadSettings};
use tickguard::time::{Duration, Instant};

static CONFIG: BulkheadConfig = match BulkheadConfig::new(BulkheadSettings {
    max_concurrent: 4,
    max_wait: Duration::from_ticks(100),
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid bulkhead"),
};
static POOL: Bulkhead = Bulkhead::new(&CONFIG);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(u64::from(black_box(7u32)));
        if let Ok(call) = POOL.enter(Instant::from_ticks(now)) {
            black_box(call.permit().to_raw());
        }
        match POOL.acquire(Instant::from_ticks(now)) {
            Ok(permit) => black_box(POOL.release(black_box(permit)).is_ok()),
            Err(full) => black_box(full.wait_until.is_some()),
        };
        black_box(POOL.in_flight());
        if black_box(now).is_multiple_of(1024) {
            POOL.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
