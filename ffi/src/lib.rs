//! C ABI for tickguard.
//!
//! A thin, checked translation layer over the `tickguard` core: every
//! function checks its pointers, configuration and enum values, returns a
//! status code, and writes its outputs only when it succeeds. Objects are
//! caller-allocated and fixed-size (`static tg_breaker_t b;` works), never
//! `malloc`ed. The generated header is `include/tickguard.h`.
#![no_std]
#![allow(non_camel_case_types)]
#![deny(missing_docs)]

mod adaptive;
mod breaker;
mod bucket;
mod bulkhead;
mod cell;
mod classify;
mod entries;
mod events;
mod fallback;
mod fixed_window;
mod keyed;
mod object;
mod retry;
mod shaper;
mod sliding_log;
mod sliding_window;
mod snapshot;
mod status;
mod time;

pub use adaptive::*;
pub use breaker::*;
pub use bucket::*;
pub use bulkhead::*;
pub use cell::*;
pub use classify::*;
pub use events::*;
pub use fallback::*;
pub use fixed_window::*;
pub use keyed::*;
pub use object::{tg_init_flags_t, TG_INIT_DEFAULT, TG_INIT_REINIT, TG_INIT_SHARED};
pub use retry::*;
pub use shaper::*;
pub use sliding_log::*;
pub use sliding_window::*;
pub use snapshot::*;
pub use status::*;
pub use time::*;

mod version;
pub use version::*;

// Builds that unwind (unit tests, doctests, a Rust program that links the
// rlib with `panic = "unwind"`) take the panic machinery from `std`. The C
// library is built with `panic = "abort"` and brings its own below.
#[cfg(any(test, panic = "unwind"))]
extern crate std;

/// A no_std static library must say what a panic does. None is reachable
/// (the core has no panicking paths); if one were, a hosted program aborts
/// and firmware stops here.
#[cfg(all(
    not(test),
    not(panic = "unwind"),
    feature = "panic-handler",
    not(feature = "link-time-panic-check")
))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    #[cfg(not(target_os = "none"))]
    {
        extern "C" {
            fn abort() -> !;
        }
        // SAFETY: `abort` is the C library's; a hosted program always links it.
        unsafe { abort() }
    }
    #[cfg(target_os = "none")]
    loop {
        core::hint::spin_loop();
    }
}

/// With `link-time-panic-check`, a panic path that survives dead-code
/// elimination references a symbol nobody defines, and the link fails.
#[cfg(all(not(test), not(panic = "unwind"), feature = "link-time-panic-check"))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    extern "C" {
        fn tickguard_error_a_panic_path_is_linked() -> !;
    }
    // SAFETY: never defined: this call exists only to make the link fail.
    unsafe { tickguard_error_a_panic_path_is_linked() }
}

/// The precompiled `core` of hosted targets is built to unwind and names
/// `rust_eh_personality`; with `panic = "abort"` nothing can ever call it.
/// The library defines it weak (an alias of this function), so that any
/// other Rust library in the same program, which defines it too, takes
/// precedence and the link never sees two definitions.
#[cfg(all(
    not(test),
    not(panic = "unwind"),
    feature = "panic-handler",
    not(target_os = "none")
))]
#[no_mangle]
extern "C" fn tickguard_eh_personality() {}

#[cfg(all(
    not(test),
    not(panic = "unwind"),
    feature = "panic-handler",
    not(target_os = "none"),
    not(target_vendor = "apple"),
    not(windows)
))]
core::arch::global_asm!(
    ".weak rust_eh_personality",
    ".set rust_eh_personality, tickguard_eh_personality"
);

/// The critical section a C program supplies (feature
/// `c-critical-section`): tickguard's state words on targets without a wide
/// enough compare-and-swap are updated inside it.
#[cfg(feature = "c-critical-section")]
mod c_critical_section {
    use critical_section::RawRestoreState;

    extern "C" {
        /// Defined by the program when the library is built with
        /// `c-critical-section`: enters a critical section that keeps every
        /// other interrupt handler, task and core that calls tickguard out
        /// until the matching exit (see the section at the top of this
        /// header for FreeRTOS and Zephyr).
        ///
        /// @return what `tg_critical_section_exit` needs to restore the
        ///   state before.
        fn tg_critical_section_enter() -> u32;
        /// Defined by the program when the library is built with
        /// `c-critical-section`: leaves the critical section that the
        /// matching `tg_critical_section_enter` entered.
        ///
        /// @param state what that enter returned.
        fn tg_critical_section_exit(state: u32);
    }

    struct CCriticalSection;
    critical_section::set_impl!(CCriticalSection);

    // SAFETY: the header's contract for the two functions the C program
    // defines is the `critical_section::Impl` contract: between enter and
    // exit nothing else (no interrupt handler, no other core) runs code that
    // enters it, and sections nest, each exit restoring its enter's state.
    unsafe impl critical_section::Impl for CCriticalSection {
        unsafe fn acquire() -> RawRestoreState {
            // SAFETY: the C program defines it (the link fails otherwise).
            unsafe { tg_critical_section_enter() }
        }

        unsafe fn release(state: RawRestoreState) {
            // SAFETY: as above; `state` comes from the matching acquire.
            unsafe { tg_critical_section_exit(state) }
        }
    }
}

#[cfg(test)]
mod tests;
