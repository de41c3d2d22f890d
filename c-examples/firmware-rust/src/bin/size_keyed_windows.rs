//! Size probe: keyed sliding windows (64 entries) in a `static`, acquire +
//! available + limiting + reset. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::keyed::KeyedWindows;
use tickguard::sliding_window::{SlidingWindowConfig, SlidingWindowSettings};
use tickguard::time::{Duration, Instant};

static CONFIG: SlidingWindowConfig = match SlidingWindowConfig::new(SlidingWindowSettings {
    limit: 5,
    window: Duration::from_ticks(1_000),
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid limit"),
};
static DEVICES: KeyedWindows<64> = KeyedWindows::new(&CONFIG, [0x1234, 0x5678]);

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
        if black_box(now).is_multiple_of(1024) {
            black_box(DEVICES.limiting(Instant::from_ticks(now)));
            DEVICES.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
