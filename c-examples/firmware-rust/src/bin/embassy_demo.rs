//! tickguard under embassy: an embassy-executor task calls a flaky
//! peripheral through a breaker every 10 ms of `embassy_time`, passing
//! `embassy_time::Instant::now().into()` as the tick (tickguard's
//! `embassy-time` feature), and sleeps with `Timer` until the breaker's
//! `retry_at` (converted back) while it is open. SysTick at 1 kHz drives a
//! minimal time driver (one timer: this example has one task). Cortex-M4
//! under QEMU; prints over semihosting and exits with its own verdict.
#![no_std]
#![no_main]

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::interrupt::Mutex;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::Spawner;
use embassy_time::{Instant, Timer};
use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State};
use tickguard::time::Duration;

static CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_threshold: 3,
    open: Duration::from_ticks(100), // 100 ms at embassy's 1 kHz tick
    half_open_permits: 1,
    success_threshold: 1,
    ..BreakerConfig::DEFAULT_SETTINGS
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid breaker configuration"),
};
static BREAKER: Breaker = Breaker::new(&CONFIG);

/// Milliseconds since boot, counted by SysTick (a 64-bit count: read in a
/// critical section on this 32-bit core).
static TICKS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));
/// The one pending timer: its tick and the task to wake.
static ALARM: Mutex<RefCell<Option<(u64, Waker)>>> = Mutex::new(RefCell::new(None));

struct SysTickDriver;

impl embassy_time_driver::Driver for SysTickDriver {
    fn now(&self) -> u64 {
        cortex_m::interrupt::free(|cs| TICKS.borrow(cs).get())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        cortex_m::interrupt::free(|cs| {
            ALARM.borrow(cs).replace(Some((at, waker.clone())));
        });
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver);

#[exception]
fn SysTick() {
    cortex_m::interrupt::free(|cs| {
        let ticks = TICKS.borrow(cs);
        let now = ticks.get() + 1;
        ticks.set(now);
        let mut alarm = ALARM.borrow(cs).borrow_mut();
        if alarm.as_ref().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, waker)) = alarm.take() {
                waker.wake();
            }
        }
    });
}

/// Fails every call between 200 and 400 ms.
fn peripheral(now: Instant) -> bool {
    !(200..400).contains(&now.as_millis())
}

#[embassy_executor::task]
async fn guarded_calls() {
    let (mut calls, mut refusals, mut opened, mut closed) = (0u32, 0u32, 0u32, 0u32);
    while Instant::now().as_millis() < 800 {
        let now = Instant::now();
        match BREAKER.acquire(now.into()) {
            Ok(admitted) => {
                calls += 1;
                let outcome = if peripheral(now) {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
                let recorded = BREAKER.record(admitted.permit, outcome, Instant::now().into());
                if let Some(t) = recorded.transition.or(admitted.transition) {
                    hprintln!("{} ms: {} -> {}", now.as_millis(), t.from, t.to);
                    opened += u32::from(t.to == State::Open);
                    closed += u32::from(t.to == State::Closed);
                }
                Timer::after_millis(10).await;
            }
            Err(refused) => {
                refusals += 1;
                // Sleep until the breaker may admit again: its retry tick as
                // an embassy instant.
                let at: Instant = refused.retry_at.map_or(now, Into::into);
                Timer::at(at).await;
            }
        }
    }
    hprintln!(
        "embassy: {} calls, {} refusals, opened {} times, closed {} times",
        calls,
        refusals,
        opened,
        closed
    );
    let ok = opened > 0 && closed > 0 && BREAKER.state(Instant::now().into()) == State::Closed;
    hprintln!(
        "{}",
        if ok {
            "embassy checks passed"
        } else {
            "embassy checks FAILED"
        }
    );
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let mut core = cortex_m::Peripherals::take().unwrap_or_else(|| panic!("taken"));
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(25_000_000 / 1_000 - 1); // 1 kHz on mps2-an386's 25 MHz
    core.SYST.clear_current();
    core.SYST.enable_interrupt();
    core.SYST.enable_counter();
    spawner
        .spawn(guarded_calls())
        .unwrap_or_else(|_| panic!("spawn"));
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
