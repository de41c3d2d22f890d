//! C ABI for tickguard.
//!
//! A thin, checked translation layer over the `tickguard` core: every
//! function checks its pointers, configuration and enum values, returns a
//! status code, and writes its outputs only when it succeeds. Objects are
//! caller-allocated and fixed-size (`static tg_breaker_t b;` works), never
//! `malloc`ed. The generated header is `include/tickguard.h`.
#![cfg_attr(not(test), no_std)]
#![allow(non_camel_case_types)]
#![deny(missing_docs)]

mod breaker;
mod bucket;
mod object;
mod status;
mod time;

pub use breaker::*;
pub use bucket::*;
pub use status::*;
pub use time::*;

/// A no_std static library must say what a panic does. None is reachable
/// (the core has no panicking paths); if one were, a hosted program aborts
/// and firmware stops here.
#[cfg(all(
    not(test),
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
#[cfg(all(not(test), feature = "link-time-panic-check"))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    extern "C" {
        fn tickguard_error_a_panic_path_is_linked() -> !;
    }
    // SAFETY: never defined: this call exists only to make the link fail.
    unsafe { tickguard_error_a_panic_path_is_linked() }
}

/// The precompiled `core` of hosted targets is built to unwind and names
/// this symbol; with `panic = "abort"` nothing can ever call it.
#[cfg(all(not(test), feature = "panic-handler", not(target_os = "none")))]
#[no_mangle]
extern "C" fn rust_eh_personality() {}

#[cfg(test)]
mod tests;
