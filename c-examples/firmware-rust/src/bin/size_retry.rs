//! Size probe: a retry policy built at run time (so that every backoff and
//! jitter kind is linked, Polly's v2 included) and an attempt. See
//! `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::retry::{Attempt, Backoff, Decision, Failure, Jitter, RetryPolicy, RetrySettings};
use tickguard::time::{Duration, Instant};

/// The jitter kind for index `i` (a match, not an array index: the probe
/// itself divides nothing).
fn jitter(i: u64) -> Jitter {
    match i & 7 {
        1 => Jitter::Additive {
            max: Duration::from_ticks(50),
        },
        2 => Jitter::Full,
        3 => Jitter::Equal,
        4 => Jitter::Decorrelated,
        5 => Jitter::Proportional { per_mille: 200 },
        6 => Jitter::DecorrelatedV2,
        _ => Jitter::None,
    }
}

#[entry]
fn main() -> ! {
    let mut now = 0u64;
    loop {
        let backoff = match black_box(now) & 3 {
            0 => Backoff::Constant {
                delay: black_box(Duration::from_ticks(100)),
            },
            1 => Backoff::Linear {
                base: black_box(Duration::from_ticks(100)),
                step: black_box(Duration::from_ticks(50)),
            },
            _ => Backoff::Exponential {
                base: black_box(Duration::from_ticks(100)),
                multiplier_milli: black_box(2_000),
            },
        };
        let settings = RetrySettings {
            max_attempts: black_box(5),
            backoff,
            jitter: jitter(black_box(now) >> 2),
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
