//! Size probe: a token bucket in a `static`, acquire + available + reset.
//! See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::bucket::{BucketConfig, TokenBucket};
use tickguard::time::{Duration, Instant};

static LIMIT: BucketConfig = match BucketConfig::new(tickguard::bucket::BucketSettings {
    capacity: 10,
    tokens: 1,
    period: Duration::from_ticks(100),
    initial_fill: None,
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid bucket configuration"),
};
static BUCKET: TokenBucket = TokenBucket::new(&LIMIT);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(black_box(1));
        black_box(
            BUCKET
                .acquire(black_box(1), Instant::from_ticks(now))
                .is_ok(),
        );
        black_box(BUCKET.available(Instant::from_ticks(now)));
        if black_box(now).is_multiple_of(1024) {
            BUCKET.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
