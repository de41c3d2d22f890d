//! tickguard on bare metal: SysTick at 1 kHz is the tick source; a breaker
//! and a token bucket live in `static`s shared by the SysTick handler and the
//! main loop. The main loop drives a simulated flaky peripheral through the
//! breaker and a request stream through the bucket; the interrupt handler
//! takes tokens from the same bucket. Decisions are printed with their ticks
//! over semihosting; the firmware checks its own results and exits through
//! semihosting with success or failure.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering::Relaxed};

use cortex_m::peripheral::{syst::SystClkSource, SYST};
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use portable_atomic::AtomicU32;
use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State};
use tickguard::bucket::{BucketConfig, TokenBucket};

/// The emulated core clock QEMU gives both boards' SysTick (cycles per s).
const CORE_HZ: u32 = 25_000_000;
const TICK_HZ: u32 = 1_000;
/// Run this many ticks.
const RUN_TICKS: u32 = 400;

static BREAKER_CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_threshold: 3,
    open_ticks: 40,
    half_open_permits: 2,
    success_threshold: 2,
    half_open_timeout_ticks: 30,
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid breaker configuration"),
};
static BREAKER: Breaker = Breaker::new(&BREAKER_CONFIG);

/// A burst of 4 requests, then one every 5 ticks.
static LIMIT: BucketConfig = match BucketConfig::new(4, 1, 5) {
    Ok(config) => config,
    Err(_) => panic!("invalid bucket configuration"),
};
static BUCKET: TokenBucket = TokenBucket::new(&LIMIT);

/// Milliseconds since boot, counted by SysTick.
static TICKS: AtomicU32 = AtomicU32::new(0);
/// Tokens the interrupt handler took, and its view of OPEN.
static ISR_GRANTS: AtomicU32 = AtomicU32::new(0);
static ISR_SAW_OPEN: AtomicBool = AtomicBool::new(false);

#[exception]
fn SysTick() {
    let now = TICKS.fetch_add(1, Relaxed).wrapping_add(1);
    // The handler competes with the main loop for the same bucket.
    if now % 3 == 0 && BUCKET.acquire(1, now).is_ok() {
        ISR_GRANTS.fetch_add(1, Relaxed);
    }
    if BREAKER.state(now) == State::Open {
        ISR_SAW_OPEN.store(true, Relaxed);
    }
}

/// A peripheral that fails every call between ticks 100 and 200.
fn flaky_peripheral(now: u32) -> bool {
    !(100..200).contains(&now)
}

fn name(state: State) -> &'static str {
    match state {
        State::Closed => "CLOSED",
        State::Open => "OPEN",
        State::HalfOpen => "HALF_OPEN",
        State::ForcedOpen => "FORCED_OPEN",
        State::Disabled => "DISABLED",
    }
}

#[entry]
fn main() -> ! {
    let mut core = cortex_m::Peripherals::take().unwrap_or_else(|| fail("peripherals"));
    start_systick(&mut core.SYST);

    let (mut main_grants, mut refused, mut calls, mut opened, mut closed) = (0u32, 0u32, 0u32, 0u32, 0u32);
    let mut last = 0;
    hprintln!("tickguard firmware: SysTick {} Hz, running {} ticks", TICK_HZ, RUN_TICKS);
    while last < RUN_TICKS {
        let now = TICKS.load(Relaxed);
        if now == last {
            continue;
        }
        last = now;
        // A request every tick, limited by the bucket.
        if BUCKET.acquire(1, now).is_err() {
            refused += 1;
            continue;
        }
        main_grants += 1;
        match BREAKER.acquire(now) {
            Ok(admitted) => {
                if let Some(t) = admitted.transition {
                    hprintln!("tick {}: {} -> {}", now, name(t.from), name(t.to));
                }
                calls += 1;
                let outcome = if flaky_peripheral(now) { Outcome::Success } else { Outcome::Failure };
                if let Some(t) = BREAKER.record(admitted.permit, outcome, now).transition {
                    hprintln!("tick {}: {} -> {}", now, name(t.from), name(t.to));
                    opened += u32::from(t.to == State::Open);
                    closed += u32::from(t.to == State::Closed);
                }
            }
            Err(r) => {
                if let Some(t) = r.transition {
                    hprintln!("tick {}: {} -> {}", now, name(t.from), name(t.to));
                    opened += u32::from(t.to == State::Open);
                }
                if let Some(at) = r.retry_at {
                    hprintln!("tick {}: breaker refused, retry at {}", now, at);
                }
            }
        }
    }
    let end = TICKS.load(Relaxed);
    let isr = ISR_GRANTS.load(Relaxed);
    let granted = main_grants + isr;
    let bound = LIMIT.capacity() + end / 5;
    hprintln!(
        "ticks {}: bucket granted {} (main {}, SysTick {}) of at most {}, refused {}",
        end, granted, main_grants, isr, bound, refused
    );
    hprintln!("peripheral calls {}, breaker opened {} times, closed {} times", calls, opened, closed);
    let final_state = BREAKER.state(end);
    hprintln!("final breaker state: {}", name(final_state));
    let ok = granted <= bound
        && isr > 0
        && opened > 0
        && closed > 0
        && final_state == State::Closed
        && ISR_SAW_OPEN.load(Relaxed);
    if ok {
        hprintln!("firmware checks passed");
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        hprintln!("firmware checks FAILED");
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {
        cortex_m::asm::wfi();
    }
}

fn start_systick(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CORE_HZ / TICK_HZ - 1);
    syst.clear_current();
    syst.enable_counter();
    syst.enable_interrupt();
}

fn fail(what: &str) -> ! {
    hprintln!("firmware error: {}", what);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    fail("panic")
}
