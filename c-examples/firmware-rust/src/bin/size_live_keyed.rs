//! Size probe: reconfigurable keyed token buckets (64 entries) in a
//! `static`, acquire + available + limiting + reconfigure + reset. See
//! `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::bucket::{BucketConfig, BucketSettings};
use tickguard::keyed::LiveKeyedBuckets;
use tickguard::time::{Duration, Instant};

const fn limit(tokens: u32) -> BucketConfig {
    match BucketConfig::new(BucketSettings {
        capacity: 5,
        tokens,
        period: Duration::from_ticks(100),
        initial_fill: None,
    }) {
        Ok(config) => config,
        Err(_) => panic!("invalid limit"),
    }
}
const SLOW: BucketConfig = limit(1);
const FAST: BucketConfig = limit(3);
static DEVICES: LiveKeyedBuckets<64> = LiveKeyedBuckets::new(SLOW.live(), [0x1234, 0x5678]);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(u64::from(black_box(7u32)));
        let device = black_box(now as u32 % 100);
        black_box(
            DEVICES
                .acquire(&device, black_box(1), Instant::from_ticks(now))
                .is_ok(),
        );
        black_box(DEVICES.available(&device, Instant::from_ticks(now)));
        if black_box(now).is_multiple_of(512) {
            let config = if black_box(now).is_multiple_of(1024) {
                SLOW
            } else {
                FAST
            };
            black_box(
                DEVICES
                    .reconfigure(config, Instant::from_ticks(now))
                    .is_ok(),
            );
        }
        if black_box(now).is_multiple_of(4096) {
            black_box(DEVICES.limiting(Instant::from_ticks(now)));
            DEVICES.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
