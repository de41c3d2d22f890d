use super::*;
use crate::time::testing::tick;
use proptest::prelude::*;

fn config(initial: u32, min: u32, max: u32, backoff_milli: u32, slow: Tick) -> AdaptiveConfig {
    AdaptiveConfig::new(AdaptiveSettings {
        initial_limit: initial,
        min_limit: min,
        max_limit: max,
        backoff_milli,
        slow_latency: Duration::from_ticks(slow),
        max_wait: Duration::ZERO,
    })
    .unwrap()
}

fn done(latency: Tick) -> Sample {
    Sample::Done {
        latency: Duration::from_ticks(latency),
    }
}

#[test]
fn increases_by_one_only_when_the_limit_is_in_use() {
    let limit = AdaptiveLimit::new(config(10, 1, 64, 900, 100));
    // One call in flight of 10: the limit was not the constraint.
    let permit = limit.acquire(tick(0)).unwrap();
    assert_eq!(limit.release(permit, done(5)), Ok(None));
    assert_eq!(limit.limit(), 10);
    // Five in flight (2 × 5 ≥ 10): one more.
    let permits: std::vec::Vec<_> = (0..5).map(|_| limit.acquire(tick(0)).unwrap()).collect();
    assert_eq!(
        limit.release(permits[0], done(5)),
        Ok(Some(LimitChange { from: 10, to: 11 }))
    );
    // Now four in flight of 11: 8 < 11, unchanged.
    assert_eq!(limit.release(permits[1], done(5)), Ok(None));
    for permit in &permits[2..] {
        limit.release(*permit, Sample::Ignored).unwrap();
    }
    assert_eq!(limit.in_flight(), 0);
}

#[test]
fn decreases_multiplicatively_never_below_the_minimum() {
    let limit = AdaptiveLimit::new(config(40, 3, 64, 500, 100));
    let mut seen = std::vec::Vec::new();
    for _ in 0..6 {
        let permit = limit.acquire(tick(0)).unwrap();
        limit.release(permit, Sample::Dropped).unwrap();
        seen.push(limit.limit());
    }
    assert_eq!(seen, [20, 10, 5, 3, 3, 3]);
    // A slow success is congestion too; latency at the threshold is not.
    let limit = AdaptiveLimit::new(config(2, 1, 64, 999, 100));
    let permit = limit.acquire(tick(0)).unwrap();
    assert_eq!(
        limit.release(permit, done(100)),
        Ok(Some(LimitChange { from: 2, to: 3 }))
    );
    let permit = limit.acquire(tick(0)).unwrap();
    // ⌊3 × 0.999⌋ = 2: at least one lower.
    assert_eq!(
        limit.release(permit, done(101)),
        Ok(Some(LimitChange { from: 3, to: 2 }))
    );
    let permit = limit.acquire(tick(0)).unwrap();
    // ⌊2 × 0.999⌋ = 1.
    assert_eq!(
        limit.release(permit, done(101)),
        Ok(Some(LimitChange { from: 2, to: 1 }))
    );
}

#[test]
fn latency_off_and_ignored_samples() {
    // No slow latency: any latency is a success. One call at a time
    // raises the limit while 2 × 1 ≥ limit, then the limit is not in use.
    let limit = AdaptiveLimit::new(config(1, 1, 4, 900, 0));
    for expected in [2, 3, 3] {
        let permit = limit.acquire(tick(0)).unwrap();
        limit.release(permit, done(u64::MAX)).unwrap();
        assert_eq!(limit.limit(), expected);
    }
    let permits = [(); 3].map(|()| limit.acquire(tick(0)).unwrap());
    assert_eq!(
        limit.release(permits[0], done(u64::MAX)),
        Ok(Some(LimitChange { from: 3, to: 4 }))
    );
    assert_eq!(limit.release(permits[1], Sample::Ignored), Ok(None));
    assert_eq!(
        limit.release(permits[2], Sample::Dropped),
        Ok(Some(LimitChange { from: 4, to: 3 }))
    );
}

#[test]
fn admits_below_the_current_limit_and_refuses_read_only() {
    let limit = AdaptiveLimit::new(config(3, 1, 8, 500, 0));
    let held: std::vec::Vec<_> = (0..3).map(|_| limit.acquire(tick(0)).unwrap()).collect();
    let before = (limit.slots.load(), limit.limit.load());
    assert!(limit.acquire(tick(0)).is_err());
    assert_eq!((limit.slots.load(), limit.limit.load()), before);
    // Dropped: 3 → 1 while three are in flight; they finish normally, and
    // nothing new is admitted until fewer than one are in flight.
    limit.release(held[0], Sample::Dropped).unwrap();
    assert_eq!(limit.limit(), 1);
    assert!(limit.acquire(tick(0)).is_err());
    limit.release(held[1], Sample::Ignored).unwrap();
    assert!(limit.acquire(tick(0)).is_err());
    limit.release(held[2], Sample::Ignored).unwrap();
    let permit = limit.acquire(tick(0)).unwrap();
    assert_eq!(limit.release(permit, Sample::Ignored), Ok(None));
    // A double release is refused and its sample not counted.
    assert_eq!(limit.release(permit, Sample::Dropped), Err(NotHeld));
    assert_eq!(limit.limit(), 1);
}

#[test]
fn reset_returns_to_the_initial_limit_and_refuses_old_permits() {
    let limit = AdaptiveLimit::new(config(10, 1, 16, 500, 0));
    let permit = limit.acquire(tick(0)).unwrap();
    limit.reset();
    assert_eq!(limit.release(permit, Sample::Dropped), Err(NotHeld));
    assert_eq!(limit.limit(), 10);
    let call = limit.enter(tick(0)).unwrap();
    drop(call);
    assert_eq!((limit.in_flight(), limit.limit()), (0, 10));
}

#[test]
fn a_garbage_limit_word_reads_within_the_bounds_and_heals() {
    let limit = AdaptiveLimit::new(config(10, 2, 16, 500, 0));
    for garbage in [0, 1, 17, u64::MAX, UNWRITTEN + 1] {
        limit.limit.store(garbage);
        let read = limit.limit();
        assert!((2..=16).contains(&read), "{garbage:#x} read as {read}");
        let permit = limit.acquire(tick(0)).unwrap();
        limit.release(permit, Sample::Ignored).unwrap();
        assert!((2..=16).contains(&limit.limit()));
    }
}

/// The plain model: the rule in the docs, one call at a time.
fn model(config: &AdaptiveConfig, limit: u32, sample: Sample, in_flight: u32) -> u32 {
    let (min, max) = (config.min, config.max_limit());
    let congested = match sample {
        Sample::Ignored => return limit,
        Sample::Dropped => true,
        Sample::Done { latency } => config.slow != 0 && latency.ticks() > config.slow,
    };
    if congested {
        let scaled = (u64::from(limit) * u64::from(config.backoff_milli) / 1000) as u32;
        scaled.min(limit - 1).max(min)
    } else if 2 * in_flight >= limit {
        (limit + 1).min(max)
    } else {
        limit
    }
}

proptest! {
    #[test]
    fn matches_the_rule_and_never_exceeds_a_bound(
        min in 1u32..8,
        extra in 0u32..20,
        span in 0u32..40,
        backoff in 1u32..1000,
        slow in 0u64..50,
        ops in prop::collection::vec((any::<bool>(), 0u8..4, 0u64..100, any::<u8>()), 1..300),
    ) {
        let initial = (min + extra).min(64);
        let max = (initial + span).min(64);
        let config = config(initial, min, max, backoff, slow);
        let limit = AdaptiveLimit::new(config);
        let mut held: std::vec::Vec<Permit> = std::vec::Vec::new();
        let mut expected = initial;
        for (take, kind, latency, pick) in ops {
            if take || held.is_empty() {
                let admitted = limit.acquire(tick(0));
                prop_assert_eq!(admitted.is_ok(), (held.len() as u32) < expected);
                if let Ok(permit) = admitted {
                    held.push(permit);
                }
            } else {
                let permit = held.swap_remove(usize::from(pick) % held.len());
                let sample = match kind {
                    0 => Sample::Dropped,
                    1 => Sample::Ignored,
                    _ => done(latency),
                };
                let in_flight = held.len() as u32 + 1;
                let next = model(&config, expected, sample, in_flight);
                let change = (next != expected).then_some(LimitChange { from: expected, to: next });
                prop_assert_eq!(limit.release(permit, sample), Ok(change));
                expected = next;
            }
            prop_assert_eq!(limit.limit(), expected);
            prop_assert!((min..=max).contains(&expected));
            prop_assert_eq!(limit.in_flight(), held.len() as u32);
            prop_assert!(limit.in_flight() <= max);
        }
    }
}

#[test]
fn threads_stay_within_the_maximum_and_every_change_is_reported_once() {
    use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
    static CONFIG: AdaptiveConfig = match AdaptiveConfig::new(AdaptiveSettings {
        initial_limit: 8,
        min_limit: 2,
        max_limit: 12,
        backoff_milli: 750,
        slow_latency: Duration::from_ticks(50),
        max_wait: Duration::ZERO,
    }) {
        Ok(config) => config,
        Err(_) => panic!(),
    };
    static LIMIT: AdaptiveLimit = AdaptiveLimit::new(&CONFIG);
    static INSIDE: AtomicU32 = AtomicU32::new(0);
    static NET_CHANGE: AtomicI64 = AtomicI64::new(0);
    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            scope.spawn(move || {
                for i in 0..20_000u64 {
                    let Ok(permit) = LIMIT.acquire(tick(i)) else {
                        continue;
                    };
                    let inside = INSIDE.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(inside <= 12, "{inside} inside");
                    INSIDE.fetch_sub(1, Ordering::SeqCst);
                    let sample = match (i * 31 + thread) % 7 {
                        0 => Sample::Dropped,
                        1 => done(80),
                        2 => Sample::Ignored,
                        _ => done(10),
                    };
                    if let Ok(Some(change)) = LIMIT.release(permit, sample) {
                        NET_CHANGE.fetch_add(
                            i64::from(change.to) - i64::from(change.from),
                            Ordering::SeqCst,
                        );
                    }
                }
            });
        }
    });
    // Every change was reported to exactly one release: their sum is the
    // limit's total movement.
    assert_eq!(
        8 + NET_CHANGE.load(Ordering::SeqCst),
        i64::from(LIMIT.limit())
    );
    assert_eq!(LIMIT.in_flight(), 0);
}

proptest! {
    /// Any configuration bits (the C ABI keeps them in caller memory, which
    /// a stale object may have overwritten): no call panics, the limit
    /// stays within 1..=64 and in flight within the slots.
    #[test]
    fn a_garbage_configuration_never_panics(
        min in any::<u32>(),
        initial in any::<u32>(),
        backoff_milli in any::<u32>(),
        slow in any::<u64>(),
        max in 1u32..=64,
        samples in prop::collection::vec((0u8..3, any::<u64>()), 1..40),
    ) {
        let mut config = AdaptiveConfig::DEFAULT;
        config.slots = BulkheadConfig::new(BulkheadSettings {
            max_concurrent: max,
            max_wait: Duration::ZERO,
        })
        .unwrap();
        config.min = min;
        config.initial = initial;
        config.backoff_milli = backoff_milli;
        config.slow = slow;
        let limit = AdaptiveLimit::new(config);
        for (kind, latency) in samples {
            prop_assert!((1..=64).contains(&limit.limit()) || limit.limit() == min.min(64));
            if let Ok(permit) = limit.acquire(tick(0)) {
                let sample = match kind {
                    0 => Sample::Dropped,
                    1 => Sample::Ignored,
                    _ => done(latency),
                };
                let _ = limit.release(permit, sample);
            }
            prop_assert!(limit.in_flight() <= max);
        }
    }
}

#[test]
fn snapshots_keep_the_learned_limit() {
    use crate::snapshot::{Snapshot, SnapshotError};
    let config = config(10, 2, 16, 500, 0);
    let limit = AdaptiveLimit::new(config);
    let permit = limit.acquire(tick(0)).unwrap();
    limit.release(permit, Sample::Dropped).unwrap();
    let mut saved = [0u8; SNAPSHOT_LEN];
    assert_eq!(limit.save(tick(0), &mut saved), Ok(SNAPSHOT_LEN));
    let rebooted = AdaptiveLimit::new(config);
    assert_eq!(rebooted.restore(&saved, tick(77)), Ok(()));
    assert_eq!(rebooted.limit(), 5);
    // Another configuration, a flipped bit: refused, back to the initial.
    let other = AdaptiveLimit::new(self::config(10, 2, 17, 500, 0));
    assert_eq!(other.restore(&saved, tick(0)), Err(SnapshotError::Config));
    let mut bad = saved;
    bad[9] ^= 0x40;
    assert_eq!(rebooted.restore(&bad, tick(0)), Err(SnapshotError::Corrupt));
    assert_eq!(rebooted.limit(), 10);
    // A limit outside the bounds, with a valid checksum: corrupt.
    let mut out_of_bounds = [0u8; SNAPSHOT_LEN];
    let frame = config.frame();
    frame
        .save(tick(0), &mut out_of_bounds, |fields| fields.u32(17))
        .unwrap();
    assert_eq!(
        rebooted.restore(&out_of_bounds, tick(0)),
        Err(SnapshotError::Corrupt)
    );
}

/// A configuration of bounds `min..=max` from `initial`, waiting `wait`.
fn bounds(min: u32, initial: u32, max: u32, wait: Tick) -> AdaptiveConfig {
    AdaptiveConfig::new(AdaptiveSettings {
        initial_limit: initial,
        min_limit: min,
        max_limit: max,
        backoff_milli: 500,
        slow_latency: Duration::from_ticks(40),
        max_wait: Duration::from_ticks(wait),
    })
    .unwrap()
}

proptest! {
    /// Reconfigurations interleaved with calls: the limiter follows the
    /// rule of whichever configuration is in force, the learned limit is
    /// clamped into new bounds (or, before any call has ended, is the new
    /// initial limit), a limit above the slots laid out is refused and
    /// changes nothing, and the calls in flight keep their slots.
    #[test]
    fn reconfigured_limits_follow_the_configuration_in_force(
        first_max in 1u32..=64,
        ops in prop::collection::vec((0u8..4, 1u32..=64, 1u32..=64, 1u32..=64, 0u64..100, any::<u8>()), 1..200),
    ) {
        let first = bounds(1, first_max, first_max, 5);
        let slots = first.slots.slots();
        let limit = AdaptiveLimit::new(first.live());
        let mut config = first;
        let mut held: std::vec::Vec<Permit> = std::vec::Vec::new();
        let mut expected = first_max;
        let mut learned = false;
        for (op, a, b, c, latency, pick) in ops {
            match op {
                0 => {
                    let mut sorted = [a, b, c];
                    sorted.sort_unstable();
                    let [min, initial, max] = sorted;
                    let next = bounds(min, initial, max, latency);
                    let result = limit.reconfigure(next);
                    if max > slots {
                        prop_assert_eq!(result, Err(ReconfigureError::Config(ConfigError::AdaptiveLimits)));
                    } else {
                        prop_assert_eq!(result, Ok(()));
                        config = next;
                        expected = if learned { expected.clamp(min, max) } else { initial };
                    }
                    prop_assert_eq!(limit.config().settings(), config.settings());
                }
                1 => {
                    let admitted = limit.acquire(tick(latency));
                    match admitted {
                        Ok(permit) => {
                            prop_assert!((held.len() as u32) < expected);
                            held.push(permit);
                        }
                        Err(full) => {
                            prop_assert!(held.len() as u32 >= expected);
                            let wait = config.settings().max_wait.ticks();
                            prop_assert_eq!(full.wait_until, (wait > 0).then(|| tick(latency + wait)));
                        }
                    }
                }
                _ if held.is_empty() => {}
                _ => {
                    let permit = held.swap_remove(usize::from(pick) % held.len());
                    let sample = if op == 2 { Sample::Dropped } else { done(latency) };
                    let in_flight = held.len() as u32 + 1;
                    let next = model(&config, expected, sample, in_flight);
                    let change = (next != expected).then_some(LimitChange { from: expected, to: next });
                    prop_assert_eq!(limit.release(permit, sample), Ok(change));
                    expected = next;
                    learned = true;
                }
            }
            prop_assert_eq!(limit.limit(), expected);
            prop_assert_eq!(limit.in_flight(), held.len() as u32);
        }
    }
}

#[test]
fn a_reset_after_a_reconfiguration_starts_from_the_new_initial_limit() {
    let limit = AdaptiveLimit::new(bounds(1, 8, 16, 0).live());
    let permit = limit.acquire(tick(0)).unwrap();
    limit.release(permit, Sample::Dropped).unwrap();
    assert_eq!(limit.limit(), 4);
    limit.reconfigure(bounds(2, 12, 16, 0)).unwrap();
    assert_eq!(limit.limit(), 4); // learned, within the new bounds
    limit.reset();
    assert_eq!(limit.limit(), 12);
    // The snapshot frame is the configuration in force.
    use crate::snapshot::Snapshot;
    let mut saved = [0u8; SNAPSHOT_LEN];
    limit.save(tick(0), &mut saved).unwrap();
    let same = AdaptiveLimit::new(bounds(2, 12, 16, 0));
    assert_eq!(same.restore(&saved, tick(0)), Ok(()));
}

#[test]
fn a_second_reconfiguration_while_one_is_under_way_is_busy() {
    let live = bounds(1, 4, 8, 0).live();
    let limit = AdaptiveLimit::new(&live);
    let generation = live.slots_for_test().lock_for_test();
    assert_eq!(
        limit.reconfigure(bounds(1, 2, 8, 0)),
        Err(ReconfigureError::Busy(crate::live::Busy))
    );
    // Callers go on meanwhile, under the configuration in force.
    assert!(limit.acquire(tick(0)).is_ok());
    assert_eq!(limit.limit(), 4);
    live.slots_for_test().unlock_for_test(generation);
    assert_eq!(limit.reconfigure(bounds(1, 2, 8, 0)), Ok(()));
    assert_eq!(limit.limit(), 2);
}

/// Threads acquiring and releasing while another switches the bounds
/// between 1..=4 and 6..=12: never more inside than the larger maximum,
/// every configuration read whole (a reader sees one of the two), the
/// limit always within one of the two bounds, and every permit released.
#[test]
#[cfg(not(miri))]
fn threads_racing_reconfigurations_stay_within_the_larger_maximum() {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    let small = bounds(1, 2, 4, 7);
    let large = bounds(6, 8, 12, 0);
    let limit = AdaptiveLimit::new(large.live());
    // As installed: over the slots laid out at construction.
    limit.reconfigure(small).unwrap();
    let small = limit.config();
    limit.reconfigure(large).unwrap();
    assert_eq!(small.settings(), bounds(1, 2, 4, 7).settings());
    let inside = AtomicU32::new(0);
    let done_flag = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..20_000u32 {
                let next = if round % 2 == 0 { small } else { large };
                limit.reconfigure(next).unwrap();
            }
            done_flag.store(true, Ordering::SeqCst);
        });
        for thread in 0..2u64 {
            let (limit, inside, done_flag) = (&limit, &inside, &done_flag);
            scope.spawn(move || {
                let mut i = 0u64;
                while !done_flag.load(Ordering::SeqCst) {
                    i += 1;
                    let seen = limit.config();
                    assert!(seen == small || seen == large, "{seen:?}");
                    let current = limit.limit();
                    assert!((1..=12).contains(&current), "{current}");
                    let Ok(permit) = limit.acquire(tick(i)) else {
                        continue;
                    };
                    let now_inside = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(now_inside <= 12, "{now_inside} inside");
                    inside.fetch_sub(1, Ordering::SeqCst);
                    let sample = if (i + thread) % 5 == 0 {
                        Sample::Dropped
                    } else {
                        done(1)
                    };
                    limit.release(permit, sample).unwrap();
                }
            });
        }
    });
    assert_eq!(limit.in_flight(), 0);
    assert!((6..=12).contains(&limit.limit()));
}
