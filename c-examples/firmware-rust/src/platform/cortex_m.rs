//! Cortex-M: SysTick is the 1 kHz tick source; semihosting for output.

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
pub use cortex_m_semihosting::{debug, hprintln as say};

/// The emulated core clock QEMU gives both boards' SysTick (cycles per s).
const CORE_HZ: u32 = 25_000_000;

/// Starts a `tick_hz` interrupt that calls `crate::on_tick`.
pub fn start_ticker(tick_hz: u32) {
    let Some(mut core) = cortex_m::Peripherals::take() else {
        crate::fail("peripherals taken twice")
    };
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(CORE_HZ / tick_hz - 1);
    core.SYST.clear_current();
    core.SYST.enable_counter();
    core.SYST.enable_interrupt();
}

#[exception]
fn SysTick() {
    crate::on_tick();
}

/// Waits for the next interrupt.
pub fn idle() {
    cortex_m::asm::wfi();
}
