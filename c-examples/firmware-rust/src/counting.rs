//! Counting instructions under QEMU, shared by the `instructions` bins:
//! SysTick clocked from virtual time (`-icount shift=8`) counts every
//! instruction; a call's count is its ticks less an empty call's,
//! converted with a straight-line block of 64 `nop`s measured the same way.

use cortex_m::peripheral::{syst::SystClkSource, SYST};
use cortex_m_semihosting::{debug, hprintln};

#[inline(never)]
fn nothing() {}

/// SysTick ticks while `run` runs (it counts down, 24 bits).
fn ticks(run: impl FnOnce()) -> u32 {
    let start = SYST::get_current();
    run();
    let end = SYST::get_current();
    start.wrapping_sub(end) & 0x00FF_FFFF
}

/// Converts a call's ticks to instructions.
pub struct Counter {
    empty: u32,
    per_64: u32,
}

impl Counter {
    /// Starts SysTick and measures the empty call and the 64 `nop`s.
    pub fn start() -> Self {
        let Some(mut core) = cortex_m::Peripherals::take() else {
            fail()
        };
        core.SYST.set_clock_source(SystClkSource::Core);
        core.SYST.set_reload(0x00FF_FFFF);
        core.SYST.clear_current();
        core.SYST.enable_counter();
        Self::new()
    }

    fn new() -> Self {
        let empty = ticks(nothing);
        let nops = ticks(|| {
            nothing();
            // SAFETY: 64 `nop`s: no memory, registers or flags touched.
            unsafe { core::arch::asm!(".rept 64", "nop", ".endr", options(nomem, nostack)) }
        });
        Self {
            empty,
            per_64: nops.saturating_sub(empty).max(1),
        }
    }

    /// Prints the instructions `run` takes beyond an empty call.
    pub fn report(&self, name: &str, run: impl FnOnce()) {
        let beyond = ticks(run).saturating_sub(self.empty);
        let instructions = (beyond * 64 + self.per_64 / 2) / self.per_64;
        hprintln!("{}\t{}", name, instructions);
    }
}

/// Stops QEMU: every count was printed.
pub fn done() -> ! {
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

/// Stops QEMU with a failure.
pub fn fail() -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
