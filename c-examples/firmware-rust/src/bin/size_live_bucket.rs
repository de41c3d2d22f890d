//! Size probe: a reconfigurable token bucket in a `static`, acquire +
//! available + reconfigure + reset. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::bucket::{BucketConfig, BucketSettings, LiveBucket};
use tickguard::time::{Duration, Instant};

const fn limit(tokens: u32) -> BucketConfig {
    match BucketConfig::new(BucketSettings {
        capacity: 10,
        tokens,
        period: Duration::from_ticks(100),
        initial_fill: None,
    }) {
        Ok(config) => config,
        Err(_) => panic!("invalid bucket configuration"),
    }
}
const SLOW: BucketConfig = limit(1);
const FAST: BucketConfig = limit(3);
static BUCKET: LiveBucket = LiveBucket::new(SLOW);

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
        if black_box(now).is_multiple_of(512) {
            let config = if black_box(now).is_multiple_of(1024) {
                SLOW
            } else {
                FAST
            };
            black_box(BUCKET.reconfigure(config, Instant::from_ticks(now)).is_ok());
        }
        if black_box(now).is_multiple_of(4096) {
            BUCKET.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
