//! Size probe: an adaptive limit in a `static`, enter/finish (RAII) +
//! acquire/release with each sample + limit + in_flight + reset. See
//! `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, AdaptiveSettings, Sample};
use tickguard::time::{Duration, Instant};

static CONFIG: AdaptiveConfig = match AdaptiveConfig::new(AdaptiveSettings {
    initial_limit: 4,
    min_limit: 1,
    max_limit: 16,
    backoff_milli: 900,
    slow_latency: Duration::from_ticks(50),
    max_wait: Duration::from_ticks(100),
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid adaptive limit"),
};
static LIMIT: AdaptiveLimit = AdaptiveLimit::new(&CONFIG);

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(u64::from(black_box(7u32)));
        if let Ok(call) = LIMIT.enter(Instant::from_ticks(now)) {
            let latency = Duration::from_ticks(u64::from(black_box(30u32)));
            black_box(call.finish(Sample::Done { latency }));
        }
        match LIMIT.acquire(Instant::from_ticks(now)) {
            Ok(permit) => {
                let sample = if black_box(now).is_multiple_of(3) {
                    Sample::Dropped
                } else {
                    Sample::Ignored
                };
                black_box(LIMIT.release(black_box(permit), sample).is_ok());
            }
            Err(full) => {
                black_box(full.wait_until.is_some());
            }
        }
        black_box((LIMIT.limit(), LIMIT.in_flight()));
        if black_box(now).is_multiple_of(1024) {
            LIMIT.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
