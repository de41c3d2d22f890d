//! Size probe: a reconfigurable adaptive limit in a `static`: enter and
//! finish, acquire and release, limit, reconfigure, reset. See
//! `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, AdaptiveSettings, Sample};
use tickguard::live::Versioned;
use tickguard::time::{Duration, Instant};

const fn bounds(max_limit: u32) -> AdaptiveConfig {
    match AdaptiveConfig::new(AdaptiveSettings {
        initial_limit: 4,
        min_limit: 1,
        max_limit,
        backoff_milli: 900,
        slow_latency: Duration::from_ticks(50),
        max_wait: Duration::from_ticks(100),
    }) {
        Ok(config) => config,
        Err(_) => panic!("invalid adaptive limit"),
    }
}
const WIDE: AdaptiveConfig = bounds(16);
const NARROW: AdaptiveConfig = bounds(8);
static CONFIG: Versioned<AdaptiveConfig> = WIDE.live();
static LIMIT: AdaptiveLimit<&Versioned<AdaptiveConfig>> = AdaptiveLimit::new(&CONFIG);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(u64::from(black_box(7u32)));
        if let Ok(call) = LIMIT.enter(Instant::from_ticks(now)) {
            let latency = Duration::from_ticks(u64::from(black_box(30u32)));
            black_box(call.finish(Sample::Done { latency }));
        }
        if let Ok(permit) = LIMIT.acquire(Instant::from_ticks(now)) {
            black_box(LIMIT.release(black_box(permit), Sample::Dropped).is_ok());
        }
        black_box((LIMIT.limit(), LIMIT.in_flight()));
        if black_box(now).is_multiple_of(512) {
            let config = if black_box(now).is_multiple_of(1024) {
                WIDE
            } else {
                NARROW
            };
            black_box(LIMIT.reconfigure(config).is_ok());
        }
        if black_box(now).is_multiple_of(4096) {
            LIMIT.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
