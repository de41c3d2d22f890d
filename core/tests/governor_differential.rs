//! The token bucket is a GCRA: on the same tick sequence its decisions must
//! agree with the `governor` crate driven by a fake clock (1 tick = 1 ns).

mod common;
#[allow(unused_imports)]
use common::{span, tick};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, FakeRelativeClock};
use governor::{Quota, RateLimiter};
use proptest::prelude::*;
use tickguard::bucket::{BucketConfig, Refused, TokenBucket};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn bucket_agrees_with_governor(
        capacity in 1u32..16,
        period in 1u64..40,
        start in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 2)],
        ops in proptest::collection::vec((1u32..8, 0u64..50), 1..200),
    ) {
        // governor refills one cell per interval; tickguard's rational rate
        // with tokens = 1 is the same quota.
        let config = BucketConfig::new(tickguard::bucket::BucketSettings { capacity, tokens: 1, period: tickguard::time::Duration::from_ticks(period), initial_fill: None }).unwrap();
        let bucket = TokenBucket::new(config);
        let quota = Quota::with_period(Duration::from_nanos(period))
            .unwrap()
            .allow_burst(NonZeroU32::new(capacity).unwrap());
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(quota, clock.clone());
        let mut elapsed = 0u64;
        for (n, dt) in ops {
            elapsed += dt;
            clock.advance(Duration::from_nanos(dt));
            let now = start + elapsed;
            let ours = bucket.acquire(n, tick(now));
            let theirs = limiter.check_n(NonZeroU32::new(n).unwrap());
            match (ours, theirs) {
                (Ok(()), Ok(Ok(()))) => {}
                (Err(Refused::ExceedsCapacity), Err(_)) => {}
                (Err(Refused::Wait { retry_at }), Ok(Err(not_until))) => {
                    // Both report the earliest time at which all n conform.
                    let wait = not_until.wait_time_from(clock.now()).as_nanos() as u64;
                    prop_assert_eq!(retry_at.ticks() - now, wait,
                        "n={} at t={}", n, elapsed);
                }
                (ours, theirs) => prop_assert!(false, "n={} at t={}: tickguard {:?}, governor {:?}",
                    n, elapsed, ours, theirs.map(|r| r.is_ok())),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// The shaper tells each request the tick at which governor, asked at
    /// that request's `now` (or after the previous send), would first let
    /// it through: `until_n_ready` on a fake clock, the send consumed there.
    #[test]
    fn shaper_agrees_with_governors_until_ready(
        capacity in 1u32..8,
        period in 1u64..40,
        start in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 3)],
        ops in proptest::collection::vec((1u32..8, 0u64..50), 1..200),
    ) {
        use tickguard::shaper::{Shaper, ShaperConfig, ShaperSettings};
        let config = ShaperConfig::new(ShaperSettings {
            capacity,
            tokens: 1,
            period: tickguard::time::Duration::from_ticks(period),
            max_wait: tickguard::time::Duration::from_ticks(1 << 62),
        })
        .unwrap();
        let shaper = Shaper::new(config);
        let quota = Quota::with_period(Duration::from_nanos(period))
            .unwrap()
            .allow_burst(NonZeroU32::new(capacity).unwrap());
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(quota, clock.clone());
        // Elapsed ticks of governor's clock; the latest send.
        let (mut at, mut last_send, mut elapsed) = (0u64, 0u64, 0u64);
        for (n, dt) in ops {
            elapsed += dt;
            let ours = shaper.schedule(n, tick(start + elapsed));
            if n > capacity {
                prop_assert_eq!(ours, Err(Refused::ExceedsCapacity));
                continue;
            }
            // governor cannot go back in time: it is asked at the later of
            // the request's `now` and the previous send.
            let asked = elapsed.max(last_send);
            clock.advance(Duration::from_nanos(asked - at));
            at = asked;
            let n = NonZeroU32::new(n).unwrap();
            let send = match limiter.check_n(n).unwrap() {
                Ok(()) => asked,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(clock.now()).as_nanos() as u64;
                    clock.advance(Duration::from_nanos(wait));
                    at += wait;
                    prop_assert!(limiter.check_n(n).unwrap().is_ok(), "governor admits at its own time");
                    asked + wait
                }
            };
            prop_assert_eq!(ours, Ok(tick(start + send)), "n={} at t={}", n, elapsed);
            last_send = send;
        }
    }
}
