//! RISC-V (QEMU virt): the CLINT machine timer is the 1 kHz tick source;
//! semihosting for output.

use riscv::interrupt::Interrupt;
pub use riscv_semihosting::{debug, hprintln as say};

/// The CLINT of QEMU's virt machine counts at 10 MHz.
const MTIME_HZ: u32 = 10_000_000;
const MTIMECMP: usize = 0x0200_4000;
const MTIME: usize = 0x0200_BFF8;

static mut INTERVAL: u32 = 0;

fn read_mtime() -> u64 {
    // SAFETY: MTIME is the CLINT's always-readable 64-bit counter on virt;
    // read high, low, high until the halves agree.
    unsafe {
        loop {
            let hi = core::ptr::read_volatile((MTIME + 4) as *const u32);
            let lo = core::ptr::read_volatile(MTIME as *const u32);
            if hi == core::ptr::read_volatile((MTIME + 4) as *const u32) {
                return (u64::from(hi) << 32) | u64::from(lo);
            }
        }
    }
}

fn set_mtimecmp(at: u64) {
    // SAFETY: MTIMECMP for hart 0 on virt; writing the high half to all ones
    // first keeps a half-written compare value from firing early.
    unsafe {
        core::ptr::write_volatile((MTIMECMP + 4) as *mut u32, u32::MAX);
        core::ptr::write_volatile(MTIMECMP as *mut u32, at as u32);
        core::ptr::write_volatile((MTIMECMP + 4) as *mut u32, (at >> 32) as u32);
    }
}

/// Starts a `tick_hz` interrupt that calls `crate::on_tick`.
pub fn start_ticker(tick_hz: u32) {
    let interval = MTIME_HZ / tick_hz;
    // SAFETY: written once, before the timer interrupt is enabled.
    unsafe { INTERVAL = interval };
    set_mtimecmp(read_mtime() + u64::from(interval));
    // SAFETY: the handler below is ready; single hart.
    unsafe {
        riscv::register::mie::set_mtimer();
        riscv::interrupt::enable();
    }
}

#[riscv_rt::core_interrupt(Interrupt::MachineTimer)]
fn machine_timer() {
    // SAFETY: INTERVAL is only written before the interrupt is enabled.
    let interval = unsafe { INTERVAL };
    set_mtimecmp(read_mtime() + u64::from(interval));
    crate::on_tick();
}

/// Waits for the next interrupt.
pub fn idle() {
    riscv::asm::wfi();
}
