//! Size baseline: the same runtime and volatile traffic as the other
//! `size_*` binaries, without tickguard. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(black_box(1));
        black_box(now);
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
