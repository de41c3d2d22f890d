//! What every breaker size probe runs (`c-examples/size-report.sh`):
//! acquire, record (reported up to 7 ticks after the admission, so a
//! slow-call rule has something to judge), state, window counts, what
//! `also` reads, and the manual controls, for ever. One copy of the loop:
//! each probe is its configuration and its storage.

use core::hint::black_box;
use tickguard::breaker::{Breaker, BreakerConfig, Counting, Outcome, Window};
use tickguard::time::{Duration, Instant};

/// Exercises `breaker`; `also` reads anything more (its counters).
pub fn run<W: Window, K: Counting>(
    breaker: &Breaker<&'static BreakerConfig, W, K>,
    also: impl Fn(),
) -> ! {
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(black_box(1));
        if let Ok(admitted) = breaker.acquire(Instant::from_ticks(now)) {
            let outcome = if black_box(now) & 3 == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            let ended = now.wrapping_add(black_box(now) & 7);
            black_box(
                breaker
                    .record(admitted.permit, outcome, Instant::from_ticks(ended))
                    .counted,
            );
        }
        black_box(breaker.state(Instant::from_ticks(now)));
        black_box(breaker.window_counts());
        also();
        match black_box(now) % 1024 {
            0 => drop(black_box(breaker.force_open())),
            1 => drop(black_box(breaker.disable())),
            2 => drop(black_box(breaker.reset())),
            3 => drop(black_box(breaker.open_for(
                Duration::from_ticks(black_box(50)),
                Instant::from_ticks(now),
            ))),
            _ => {}
        }
    }
}
