//! tickguard with defmt logging (the `defmt` feature): a breaker trips,
//! refuses, recovers, and a bucket refuses, each decision and transition
//! logged with `defmt` over semihosting. Run under QEMU and decoded with
//! `defmt-print` (c-examples/firmware.sh); Cortex-M only.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::debug;
use defmt_semihosting as _; // the global defmt logger
use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome};
use tickguard::bucket::{BucketConfig, BucketSettings, TokenBucket};
use tickguard::time::{Duration, Instant};

static CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_threshold: 2,
    open: Duration::from_ticks(100),
    ..BreakerConfig::DEFAULT_SETTINGS
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid breaker configuration"),
};
static BREAKER: Breaker = Breaker::new(&CONFIG);

static LIMIT: BucketConfig = match BucketConfig::new(BucketSettings {
    capacity: 1,
    tokens: 1,
    period: Duration::from_ticks(10),
    initial_fill: None,
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid bucket configuration"),
};
static BUCKET: TokenBucket = TokenBucket::new(&LIMIT);

#[entry]
fn main() -> ! {
    let at = Instant::from_ticks;
    for now in [at(10), at(20)] {
        if let Ok(admitted) = BREAKER.acquire(now) {
            let recorded = BREAKER.record(admitted.permit, Outcome::Failure, now);
            defmt::println!("failure at {}: {}", now, recorded);
        }
    }
    let refused = BREAKER.acquire(at(30));
    defmt::println!("acquire at {}: {}", at(30), refused);
    let trial = BREAKER.acquire(at(120));
    defmt::println!("acquire at {}: {}", at(120), trial);
    if let Ok(trial) = trial {
        let recorded = BREAKER.record(trial.permit, Outcome::Success, at(125));
        defmt::println!("success at {}: {}", at(125), recorded);
    }
    defmt::println!("state: {}", BREAKER.state(at(126)));
    let _ = BUCKET.acquire(1, at(0));
    defmt::println!("bucket: {}", BUCKET.acquire(1, at(3)));
    defmt::println!("defmt checks done");
    defmt::flush();
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
