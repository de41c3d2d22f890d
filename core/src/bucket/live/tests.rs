use super::*;
use crate::bucket::{BucketSettings, TokenBucket};
use crate::live::Busy;
use crate::time::testing::tick;
use crate::time::Duration;
use proptest::prelude::*;

pub(crate) fn config(capacity: u32, tokens: u32, period: Tick, fill: Option<u32>) -> BucketConfig {
    BucketConfig::new(BucketSettings {
        capacity,
        tokens,
        period: Duration::from_ticks(period),
        initial_fill: fill.map(|fill| fill.min(capacity)),
    })
    .unwrap()
}

/// Configurations on both words: small rates, fractional ones (3 per 7
/// ticks), many units per tick (1 000 per tick), long periods.
pub(crate) fn configs() -> impl Strategy<Value = BucketConfig> {
    (
        prop_oneof![1u32..20, Just(1_000u32)],
        prop_oneof![1u32..5, Just(3u32), Just(1_000u32)],
        prop_oneof![1u64..50, Just(7u64), Just(1u64), Just(1u64 << 30)],
        prop_oneof![Just(None), (0u32..20).prop_map(Some)],
    )
        .prop_map(|(capacity, tokens, period, fill)| config(capacity, tokens, period, fill))
}

/// Calls: tokens, a step of the latest tick, a lag behind it.
fn calls() -> impl Strategy<Value = Vec<(u32, u64, u64)>> {
    prop::collection::vec((0u32..25, 0u64..60, 0u64..80), 1..120)
}

/// `⌊d × tokens / period⌋`: whole tokens a configuration refills in `d`
/// ticks.
fn refilled(config: &BucketConfig, d: u64) -> u128 {
    u128::from(d) * u128::from(config.tokens()) / u128::from(config.period().ticks())
}

#[test]
fn slots_hold_every_configuration_exactly() {
    for c in [
        BucketConfig::DEFAULT,
        config(1, 1, 1, None),
        config(u32::MAX, u32::MAX, MAX_DURATION_TEST, Some(7)),
        config(5, 3, 7, Some(0)),
        config(20, 1, 10, None),
    ] {
        assert_eq!(BucketConfig::from_slot(c.to_slot()), c);
    }
}

const MAX_DURATION_TEST: Tick = crate::time::MAX_DURATION;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Never reconfigured, a live bucket decides exactly as a token bucket,
    /// lagging callers included.
    #[test]
    fn decides_as_a_token_bucket(c in configs(), start in 0u64..1 << 40, calls in calls()) {
        let live = LiveBucket::new(c);
        let plain = TokenBucket::new(c);
        let mut latest = start;
        for (n, advance, lag) in calls {
            latest += advance;
            let now = tick(latest.saturating_sub(lag));
            prop_assert_eq!(live.available(now), plain.available(now));
            prop_assert_eq!(live.acquire(n, now), plain.acquire(n, now));
        }
        prop_assert_eq!(live.snapshot(tick(latest)), plain.snapshot(tick(latest)));
    }

    /// Reconfigured at the latest tick: the tokens carry over exactly,
    /// clamped to the new capacity, and refill at the new rate from there
    /// (to within the fraction of a token the carry rounds down).
    #[test]
    fn a_reconfiguration_carries_the_tokens(
        a in configs(), b in configs(), start in 0u64..1 << 40, calls in calls(),
        later in prop::collection::vec(0u64..200, 1..6),
    ) {
        let live = LiveBucket::new(a);
        let mut latest = start;
        for (n, advance, lag) in calls {
            latest += advance;
            let _ = live.acquire(n, tick(latest.saturating_sub(lag)));
        }
        let unused = live.word.load() & ((1 << 96) - 1) == 0;
        let before = live.available(tick(latest));
        live.reconfigure(b, tick(latest)).unwrap();
        prop_assert_eq!(live.config(), b);
        if unused {
            // A bucket never used is the new configuration's fresh bucket.
            let fresh = LiveBucket::new(b);
            for d in later {
                prop_assert_eq!(live.acquire(1, tick(latest + d)), fresh.acquire(1, tick(latest + d)));
            }
            return Ok(());
        }
        let carried = before.min(b.capacity());
        prop_assert_eq!(live.available(tick(latest)), carried);
        let mut elapsed = 0;
        for d in later {
            elapsed += d;
            let low = (u128::from(carried) + refilled(&b, elapsed)).min(b.capacity().into());
            let high = (u128::from(carried) + refilled(&b, elapsed) + 1).min(b.capacity().into());
            let now = u128::from(live.available(tick(latest + elapsed)));
            prop_assert!(low <= now && now <= high, "{} not in {}..={}", now, low, high);
        }
    }

    /// Reconfigured with a lagging `now`: when the new configuration
    /// raises neither the rate nor the capacity, never more tokens at the
    /// latest tick than a reconfiguration there carries; otherwise at most
    /// what the new rate refills over the lag (itself within one old
    /// window) more.
    #[test]
    fn a_lagging_reconfiguration_stays_within_its_bound(
        a in configs(), b in configs(), start in 0u64..1 << 40, calls in calls(), lag in 0u64..1 << 40,
    ) {
        let live = LiveBucket::new(a);
        let reference = LiveBucket::new(a);
        let mut latest = start;
        for (n, advance, call_lag) in calls {
            latest += advance;
            let now = tick(latest.saturating_sub(call_lag));
            prop_assert_eq!(live.acquire(n, now), reference.acquire(n, now));
        }
        // A request at the latest tick, so that the bucket has judged one
        // there (the lag is measured from it).
        prop_assert_eq!(live.acquire(1, tick(latest)), reference.acquire(1, tick(latest)));
        reference.reconfigure(b, tick(latest)).unwrap();
        live.reconfigure(b, tick(latest.saturating_sub(lag))).unwrap();
        let (exact, lagged) = (reference.available(tick(latest)), live.available(tick(latest)));
        let slower = u128::from(b.tokens()) * u128::from(a.period().ticks())
            <= u128::from(a.tokens()) * u128::from(b.period().ticks());
        if slower && b.capacity() <= a.capacity() {
            prop_assert!(lagged <= exact, "{} > {}", lagged, exact);
        } else {
            let window = u64::from(a.capacity()) * a.period().ticks() / u64::from(a.tokens()) + 1;
            let bound = u128::from(exact) + refilled(&b, lag.min(window)) + 1;
            prop_assert!(u128::from(lagged) <= bound, "{} > {}", lagged, bound);
        }
    }

    /// Any word (garbage in shared memory, a tag from no generation): calls
    /// return, and the bucket works from a fresh state afterwards.
    #[test]
    fn any_word_is_repaired(c in configs(), word in any::<u128>(), n in 0u32..30, now in any::<u64>()) {
        let live = LiveBucket::new(c);
        live.word.store(word);
        let _ = live.acquire(n, tick(now));
        let _ = live.available(tick(now));
        let _ = live.snapshot(tick(now));
        live.reset();
        prop_assert_eq!(live.available(tick(now)), LiveBucket::new(c).available(tick(now)));
    }
}

#[test]
fn a_drained_bucket_is_not_refilled_by_a_reconfiguration_days_behind() {
    let a = config(10, 1, 1_000, None);
    let faster = config(10, 100, 1_000, None);
    let live = LiveBucket::new(a);
    let day = 86_400_000;
    live.acquire(10, tick(10 * day)).unwrap();
    live.reconfigure(faster, tick(day)).unwrap();
    assert_eq!(live.available(tick(10 * day)), 0);
    assert_eq!(
        live.acquire(1, tick(10 * day)),
        Err(Refused::Wait {
            retry_at: tick(10 * day + 10)
        })
    );
}

#[test]
fn an_unused_bucket_keeps_the_new_initial_fill() {
    let live = LiveBucket::new(config(10, 1, 100, None));
    live.reconfigure(config(4, 1, 100, Some(1)), tick(500))
        .unwrap();
    assert_eq!(live.available(tick(500)), 1);
}

#[test]
fn a_second_reconfiguration_under_way_is_busy_and_changes_nothing() {
    let a = config(10, 1, 100, None);
    let live = LiveBucket::new(a);
    // Hold the header as a reconfiguration preempted half-way would.
    let generation = live.config.lock_for_test();
    assert_eq!(live.reconfigure(config(1, 1, 1, None), tick(0)), Err(Busy));
    assert_eq!(live.config(), a);
    assert!(live.acquire(10, tick(0)).is_ok());
    live.config.unlock_for_test(generation);
    assert_eq!(live.reconfigure(config(1, 1, 1, None), tick(0)), Ok(()));
}

#[test]
fn generations_wrap_around() {
    let (a, b) = (config(10, 1, 100, None), config(5, 2, 100, None));
    let live = LiveBucket::new(a);
    live.config.set_generation_for_test(u32::MAX - 2);
    live.reset();
    for round in 0..6u64 {
        let now = tick(round * 10_000);
        live.reconfigure(if round % 2 == 0 { b } else { a }, now)
            .unwrap();
        assert!(live.acquire(1, now).is_ok());
        assert_eq!(live.config(), if round % 2 == 0 { b } else { a });
    }
}

/// Threads taking tokens while another keeps switching between two rates
/// with different units (1 per 1 000 ticks and 7 per 3 000) at tick 0, so
/// nothing refills: a step that read a TAT under the wrong configuration
/// would misjudge it. Never more than the 100 tokens the bucket starts
/// with.
#[test]
#[cfg(not(miri))]
fn threads_racing_reconfigurations_never_take_more_than_there_is() {
    let a = config(100, 1, 1_000, None);
    let b = config(100, 7, 3_000, None);
    let live = LiveBucket::new(a);
    let taken = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..3_000 {
                let _ = live.reconfigure(if round % 2 == 0 { b } else { a }, tick(0));
            }
        });
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..2_000 {
                    if live.acquire(1, tick(0)).is_ok() {
                        taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let taken = taken.into_inner();
    assert!((1..=100).contains(&taken), "{taken}");
}
