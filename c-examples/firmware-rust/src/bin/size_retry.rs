//! Size probe: a retry policy (its configuration chosen at run time, so every
//! backoff and jitter kind is linked, Polly's v2 in fixed point) and an
//! attempt. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::retry::{Attempt, Backoff, Decision, Failure, Jitter, RetryPolicy, RetrySettings};
use tickguard::time::{Duration, Instant};

#[entry]
fn main() -> ! {
    let jitters = [
        Jitter::None,
        Jitter::Additive {
            max: Duration::from_ticks(50),
        },
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
        Jitter::Proportional { per_mille: 200 },
        Jitter::DecorrelatedV2,
    ];
    let mut now = 0u64;
    loop {
        let i = black_box(now) as usize % jitters.len();
        let settings = RetrySettings {
            max_attempts: black_box(5),
            backoff: Backoff::Exponential {
                base: black_box(Duration::from_ticks(100)),
                multiplier_milli: 2_000,
            },
            jitter: jitters[i],
            max_delay: Duration::from_ticks(5_000),
            deadline: Some(black_box(Duration::from_ticks(60_000))),
        };
        if let Ok(policy) = RetryPolicy::new(settings) {
            let mut attempt = Attempt::new(Instant::from_ticks(now), black_box(now));
            while let Decision::RetryAt(at) = policy.next(
                &mut attempt,
                Failure::Retryable,
                Instant::from_ticks(now),
                None,
            ) {
                now = at.ticks();
            }
        }
        now = now.wrapping_add(black_box(1));
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
