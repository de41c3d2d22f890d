//! Snapshots: a restore at t1 of a snapshot taken at t0 behaves like the
//! original shifted by t1 − t0; every damaged snapshot is rejected with its
//! own error and leaves a fresh primitive; no input panics.

mod common;
#[allow(unused_imports)]
use common::{span, tick};
use proptest::prelude::*;
use tickguard::breaker::{self, Breaker, BreakerConfig, BreakerSettings, Outcome, Permit, State};
use tickguard::bucket::{self, BucketConfig, TokenBucket};
use tickguard::budget::{BudgetConfig, RetryBudget};
use tickguard::degrade::Degradation;
use tickguard::snapshot::{crc32, Snapshot, SnapshotError};

fn breaker_config(
    threshold: u32,
    open: u64,
    permits: u32,
    successes: u32,
    timeout: u64,
) -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        failure_threshold: threshold,
        open: tickguard::time::Duration::from_ticks(open),
        half_open_permits: permits,
        success_threshold: successes,
        half_open_timeout: tickguard::time::Duration::from_ticks(timeout),
        ..tickguard::breaker::BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap()
}

/// Rewrites the checksum after a deliberate change.
fn reseal(bytes: &mut [u8]) {
    let body = bytes.len() - 4;
    let sum = crc32(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum.to_le_bytes());
}

#[test]
fn an_open_breaker_stays_open_for_its_remaining_time_after_a_reboot() {
    let config = breaker_config(1, 5_000, 1, 1, 1_000);
    let breaker = Breaker::new(&config);
    let permit = breaker.acquire(tick(1_000_000)).unwrap().permit;
    let _ = breaker.record(permit, Outcome::Failure, tick(1_000_000));
    let saved = breaker.snapshot(tick(1_003_000)); // 2 000 ticks left
    let rebooted = Breaker::new(&config);
    rebooted.restore(&saved, tick(0)).unwrap();
    assert_eq!(rebooted.state(tick(1_999)), State::Open);
    assert_eq!(
        rebooted.acquire(tick(1_999)).unwrap_err().retry_at,
        Some(tick(2_000))
    );
    let trial = rebooted.acquire(tick(2_000)).unwrap();
    assert_eq!(trial.transition.unwrap().to, State::HalfOpen);
    // A failure reported with a tick from before the reboot's restore is
    // measured from the latest tick the snapshot kept.
    let done = rebooted.record(trial.permit, Outcome::Failure, tick(0));
    assert_eq!(done.transition.unwrap().to, State::Open);
    assert_eq!(
        rebooted.acquire(tick(2_001)).unwrap_err().retry_at,
        Some(tick(7_000))
    );
}

#[test]
fn a_bucket_keeps_its_tokens_and_a_budget_and_levels_theirs() {
    let config = BucketConfig::new(tickguard::bucket::BucketSettings {
        capacity: 10,
        tokens: 1,
        period: tickguard::time::Duration::from_ticks(100),
        initial_fill: None,
    })
    .unwrap();
    let bucket = TokenBucket::new(&config);
    bucket.acquire(7, tick(1 << 40)).unwrap();
    let saved = bucket.snapshot(tick(1 << 40));
    let rebooted = TokenBucket::new(&config);
    rebooted.restore(&saved, tick(0)).unwrap();
    assert_eq!(rebooted.available(tick(0)), 3);
    assert_eq!(
        rebooted.acquire(4, tick(0)),
        Err(bucket::Refused::Wait {
            retry_at: tick(100)
        })
    );
    assert_eq!(rebooted.available(tick(700)), 10);

    let budget_config = BudgetConfig::new(tickguard::budget::BudgetSettings {
        max_tokens: 4,
        token_ratio_milli: 250,
    })
    .unwrap();
    let budget = RetryBudget::new(&budget_config);
    budget.record_failure();
    budget.record_failure();
    budget.record_success();
    let rebooted = RetryBudget::new(&budget_config);
    rebooted.restore(&budget.snapshot(), tick(0)).unwrap();
    assert_eq!(rebooted.tokens_milli(), 2_250);

    let levels = Degradation::new();
    let _ = levels.follow_breaker(State::Open, 3);
    let _ = levels.switch_off(7);
    let rebooted = Degradation::new();
    rebooted.restore(&levels.snapshot(), tick(0)).unwrap();
    assert_eq!(rebooted.level(), 3);
    assert!(!rebooted.allows(9, 7) && rebooted.allows(9, 6));
}

#[test]
fn a_partly_filled_bucket_restored_full_at_tick_0_lacks_at_most_one_unit() {
    let config = BucketConfig::new(tickguard::bucket::BucketSettings {
        capacity: 4,
        tokens: 1,
        period: tickguard::time::Duration::from_ticks(10),
        initial_fill: Some(1),
    })
    .unwrap();
    let bucket = TokenBucket::new(&config);
    bucket.acquire(1, tick(10_000)).unwrap();
    let saved = bucket.snapshot(tick(20_000)); // long refilled: full
    let rebooted = TokenBucket::new(&config);
    rebooted.restore(&saved, tick(0)).unwrap();
    assert_eq!(rebooted.available(tick(0)), 3);
    assert_eq!(rebooted.available(tick(1)), 4);
    // Restored later than tick 0 it is exactly full.
    rebooted.restore(&saved, tick(5)).unwrap();
    assert_eq!(rebooted.available(tick(5)), 4);
}

#[test]
fn damaged_snapshots_are_rejected_with_their_own_error_and_leave_a_fresh_state() {
    let config = breaker_config(1, 100, 1, 1, 50);
    let breaker = Breaker::new(&config);
    breaker.force_open();
    let good = breaker.snapshot(tick(500));
    let target = Breaker::new(&config);
    let reject = |bytes: &[u8], error: SnapshotError| {
        target.force_open();
        assert_eq!(target.restore(bytes, tick(0)), Err(error), "{bytes:?}");
        assert_eq!(target.state(tick(0)), State::Closed, "left fresh");
        assert!(target.acquire(tick(0)).is_ok());
    };
    for len in 0..good.len() {
        reject(&good[..len], SnapshotError::Truncated);
    }
    let mut longer = good.to_vec();
    longer.push(0);
    reject(&longer, SnapshotError::Truncated);
    // Every single-bit flip is caught by the magic, the version, the kind
    // or the checksum.
    for byte in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good;
            bad[byte] ^= 1 << bit;
            let error = target.restore(&bad, tick(0)).unwrap_err();
            let expected = match byte {
                0 | 1 => SnapshotError::Corrupt,
                2 => SnapshotError::Version,
                3 => SnapshotError::Kind,
                _ => SnapshotError::Corrupt,
            };
            assert_eq!(error, expected, "byte {byte} bit {bit}");
        }
    }
    // Another version or kind, even with a valid checksum.
    let mut other_version = good;
    other_version[2] = 2;
    reseal(&mut other_version);
    reject(&other_version, SnapshotError::Version);
    let bucket_config = BucketConfig::new(tickguard::bucket::BucketSettings {
        capacity: 3,
        tokens: 1,
        period: tickguard::time::Duration::from_ticks(1),
        initial_fill: None,
    })
    .unwrap();
    let bucket = TokenBucket::new(&bucket_config);
    assert_eq!(bucket.restore(&good, tick(0)), Err(SnapshotError::Kind));
    reject(&bucket.snapshot(tick(0)), SnapshotError::Kind);
    // Another configuration.
    let other = Breaker::new(breaker_config(2, 100, 1, 1, 50));
    assert_eq!(other.restore(&good, tick(0)), Err(SnapshotError::Config));
    // The same one telling slow calls, or with another slow-call rate.
    let slow = |slow_call, slow_call_rate_per_mille| {
        BreakerConfig::new(BreakerSettings {
            slow_call: tickguard::time::Duration::from_ticks(slow_call),
            slow_call_rate_per_mille,
            rate_window: if slow_call_rate_per_mille == 0 { 0 } else { 8 },
            ..*config.settings()
        })
        .unwrap()
    };
    let (told, rated) = (slow(100, 0), slow(100, 500));
    assert_eq!(
        Breaker::new(&told).restore(&good, tick(0)),
        Err(SnapshotError::Config)
    );
    let told_snapshot = Breaker::new(&told).snapshot(tick(0));
    assert_eq!(Breaker::new(&told).restore(&told_snapshot, tick(0)), Ok(()));
    let rated_breaker = Breaker::windowed(&rated);
    assert_eq!(
        rated_breaker.restore(&told_snapshot, tick(0)),
        Err(SnapshotError::Config)
    );
    // A field out of range with a valid checksum: failures at the threshold
    // (kind CLOSED), an unknown kind of state.
    let mut closed = Breaker::new(&config).snapshot(tick(0));
    closed[11..15].copy_from_slice(&1u32.to_le_bytes());
    reseal(&mut closed);
    reject(&closed, SnapshotError::Corrupt);
    let mut unknown = good;
    unknown[8] = 9;
    reseal(&mut unknown);
    reject(&unknown, SnapshotError::Corrupt);
    // Saving into a short buffer.
    let mut short = [0u8; breaker::SNAPSHOT_LEN - 1];
    assert_eq!(
        breaker.save(tick(0), &mut short),
        Err(SnapshotError::BufferTooSmall)
    );
}

/// A breaker input for the shifted-time property.
#[derive(Clone, Copy, Debug)]
enum Op {
    Acquire,
    Record(Outcome),
    OpenFor(u64),
    ForceOpen,
    Reset,
}

fn op() -> impl Strategy<Value = (Op, u64)> {
    let outcome = prop_oneof![
        Just(Outcome::Success),
        Just(Outcome::Failure),
        Just(Outcome::Ignored)
    ];
    let op = prop_oneof![
        4 => Just(Op::Acquire),
        4 => outcome.prop_map(Op::Record),
        1 => (1u64..500).prop_map(Op::OpenFor),
        1 => Just(Op::ForceOpen),
        1 => Just(Op::Reset),
    ];
    (op, 0u64..40)
}

/// Runs `op` at `now` on `breaker`, returning what a caller sees with
/// ticks made relative to `origin` (and the permit, to record later).
fn apply(
    breaker: &Breaker<&BreakerConfig>,
    op: Op,
    now: u64,
    origin: u64,
    permits: &mut Vec<Permit>,
) -> String {
    let rel = |t: u64| t.wrapping_sub(origin);
    match op {
        Op::Acquire => match breaker.acquire(tick(now)) {
            Ok(admitted) => {
                permits.push(admitted.permit);
                format!("admitted {:?}", admitted.transition)
            }
            Err(refused) => format!(
                "refused {:?} {:?}",
                refused.retry_at.map(|at| rel(at.ticks())),
                refused.transition
            ),
        },
        Op::Record(outcome) => match permits.pop() {
            Some(permit) => format!("{:?}", breaker.record(permit, outcome, tick(now))),
            None => String::new(),
        },
        Op::OpenFor(ticks) => {
            let (change, until) = breaker.open_for(span(ticks), tick(now)).unwrap();
            format!("open {change:?} {}", rel(until.ticks()))
        }
        Op::ForceOpen => format!("{:?}", breaker.force_open()),
        Op::Reset => format!("{:?}", breaker.reset()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// Breaker: for random histories, restoring at t1 the snapshot taken
    /// at t0 behaves like the original shifted by t1 − t0 (half-open
    /// timeouts below 2^16 ticks, where the timeout grid is one tick).
    #[test]
    fn a_restored_breaker_behaves_like_the_original_shifted(
        threshold in 1u32..4, open in 1u64..300, permits in 1u32..4, extra in 0u32..3, timeout in 1u64..300,
        t0 in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 3)], t1 in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 3)],
        history in proptest::collection::vec(op(), 0..60), future in proptest::collection::vec(op(), 1..60),
    ) {
        let config = breaker_config(threshold, open, permits, extra % permits + 1, timeout);
        let original = Breaker::new(&config);
        let mut now = t0;
        let mut permits_a = Vec::new();
        for (op, advance) in history {
            now += advance;
            apply(&original, op, now, 0, &mut permits_a);
        }
        let taken = now;
        let restored = Breaker::new(&config);
        restored.restore(&original.snapshot(tick(taken)), tick(t1)).unwrap();
        // Permits from before the snapshot are the original's; the restored
        // breaker's callers have none (their calls ended with the reboot).
        permits_a.clear();
        let mut permits_b = Vec::new();
        let mut elapsed = 0;
        for (op, advance) in future {
            elapsed += advance;
            let a = apply(&original, op, taken + elapsed, taken, &mut permits_a);
            let b = apply(&restored, op, t1 + elapsed, t1, &mut permits_b);
            prop_assert_eq!(a, b);
            prop_assert_eq!(original.state(tick(taken + elapsed)), restored.state(tick(t1 + elapsed)));
        }
    }

    /// Bucket: the same, for random rates, fills and requests.
    #[test]
    fn a_restored_bucket_behaves_like_the_original_shifted(
        capacity in 1u32..40, tokens in 1u32..9, period in 1u64..50,
        t0 in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 3)], t1 in any::<u64>().prop_map(|t| t >> 3),
        history in proptest::collection::vec((0u32..45, 0u64..60), 0..40), future in proptest::collection::vec((0u32..45, 0u64..60), 1..40),
    ) {
        let config = BucketConfig::new(tickguard::bucket::BucketSettings { capacity, tokens, period: tickguard::time::Duration::from_ticks(period), initial_fill: None }).unwrap();
        let original = TokenBucket::new(&config);
        let mut now = t0;
        for (n, advance) in history {
            now += advance;
            let _ = original.acquire(n, tick(now));
        }
        let taken = now;
        let restored = TokenBucket::new(&config);
        restored.restore(&original.snapshot(tick(taken)), tick(t1)).unwrap();
        let mut elapsed = 0;
        for (n, advance) in future {
            elapsed += advance;
            let shift = |d: Result<(), bucket::Refused>, origin: u64| match d {
                Err(bucket::Refused::Wait { retry_at }) => Err(Some(retry_at.ticks() - origin)),
                Err(bucket::Refused::ExceedsCapacity) => Err(None),
                Ok(()) => Ok(()),
            };
            prop_assert_eq!(original.available(tick(taken + elapsed)), restored.available(tick(t1 + elapsed)));
            prop_assert_eq!(
                shift(original.acquire(n, tick(taken + elapsed)), taken),
                shift(restored.acquire(n, tick(t1 + elapsed)), t1)
            );
        }
    }

    /// Shaper: the same, with requests queued up to `max_wait` ahead.
    #[test]
    fn a_restored_shaper_behaves_like_the_original_shifted(
        capacity in 1u32..6, tokens in 1u32..9, period in 1u64..50, max_wait in 0u64..300,
        t0 in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 3)], t1 in any::<u64>().prop_map(|t| t >> 3),
        history in proptest::collection::vec((0u32..7, 0u64..60), 0..40), future in proptest::collection::vec((0u32..7, 0u64..60), 1..40),
    ) {
        use tickguard::shaper::{Shaper, ShaperConfig, ShaperSettings};
        let config = ShaperConfig::new(ShaperSettings { capacity, tokens, period: tickguard::time::Duration::from_ticks(period), max_wait: tickguard::time::Duration::from_ticks(max_wait) }).unwrap();
        let original = Shaper::new(&config);
        let mut now = t0;
        for (n, advance) in history {
            now += advance;
            let _ = original.schedule(n, tick(now));
        }
        let taken = now;
        let restored = Shaper::new(&config);
        restored.restore(&original.snapshot(tick(taken)), tick(t1)).unwrap();
        let mut elapsed = 0;
        for (n, advance) in future {
            elapsed += advance;
            let shift = |d: tickguard::shaper::Decision, origin: u64| match d {
                Ok(at) => Ok(at.ticks() - origin),
                Err(bucket::Refused::Wait { retry_at }) => Err(Some(retry_at.ticks() - origin)),
                Err(bucket::Refused::ExceedsCapacity) => Err(None),
            };
            prop_assert_eq!(
                shift(original.schedule(n, tick(taken + elapsed)), taken),
                shift(restored.schedule(n, tick(t1 + elapsed)), t1)
            );
        }
    }

    /// Sliding-window counter: the same, restored at a tick far enough
    /// from 0 that no window is moved to start at 0.
    #[test]
    fn a_restored_sliding_window_behaves_like_the_original_shifted(
        limit in 1u32..8, window in 1u64..60,
        t0 in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 3)], t1 in (1u64 << 20)..(1u64 << 60),
        history in proptest::collection::vec((0u32..9, 0u64..40), 0..40), future in proptest::collection::vec((0u32..9, 0u64..40), 1..40),
    ) {
        use tickguard::sliding_window::{Decision, SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
        let config = SlidingWindowConfig::new(SlidingWindowSettings { limit, window: tickguard::time::Duration::from_ticks(window) }).unwrap();
        let original = SlidingWindow::new(&config);
        let mut now = t0;
        for (n, advance) in history {
            now += advance;
            let _ = original.acquire(n, tick(now));
        }
        let taken = now;
        let restored = SlidingWindow::new(&config);
        restored.restore(&original.snapshot(tick(taken)), tick(t1)).unwrap();
        let mut elapsed = 0;
        for (n, advance) in future {
            elapsed += advance;
            let shift = |d: Decision, origin: u64| match d {
                Ok(()) => Ok(()),
                Err(bucket::Refused::Wait { retry_at }) => Err(Some(retry_at.ticks() - origin)),
                Err(bucket::Refused::ExceedsCapacity) => Err(None),
            };
            prop_assert_eq!(original.available(tick(taken + elapsed)), restored.available(tick(t1 + elapsed)));
            prop_assert_eq!(
                shift(original.acquire(n, tick(taken + elapsed)), taken),
                shift(restored.acquire(n, tick(t1 + elapsed)), t1)
            );
        }
    }

    /// Fixed window: the same, lagging callers, takes of the missed count
    /// and windows that ended before the restore's tick 0 included.
    #[test]
    fn a_restored_fixed_window_behaves_like_the_original_shifted(
        burst in 0u32..5, interval in 0u64..80,
        t0 in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 3)], t1 in any::<u64>().prop_map(|t| t >> 3),
        history in proptest::collection::vec((0u32..4, 0u64..60), 0..40), future in proptest::collection::vec((0u32..4, 0u64..60, any::<bool>()), 1..40),
    ) {
        use tickguard::fixed_window::{Denied, FixedWindow, FixedWindowConfig, FixedWindowSettings};
        let config = FixedWindowConfig::new(FixedWindowSettings { burst, interval: tickguard::time::Duration::from_ticks(interval) }).unwrap();
        let original = FixedWindow::new(&config);
        let mut now = t0;
        for (n, advance) in history {
            now += advance;
            let _ = original.acquire(n, tick(now));
        }
        let taken = now;
        let restored = FixedWindow::new(&config);
        restored.restore(&original.snapshot(tick(taken)), tick(t1)).unwrap();
        let mut elapsed = 0;
        for (n, advance, take) in future {
            elapsed += advance;
            let shift = |d: tickguard::fixed_window::Decision, origin: u64| d.map_err(|Denied { retry_at, missed }| (retry_at.map(|at| at.ticks() - origin), missed));
            prop_assert_eq!(original.remaining(tick(taken + elapsed)), restored.remaining(tick(t1 + elapsed)));
            if take {
                prop_assert_eq!(original.take_missed(), restored.take_missed());
            }
            prop_assert_eq!(
                shift(original.acquire(n, tick(taken + elapsed)), taken),
                shift(restored.acquire(n, tick(t1 + elapsed)), t1)
            );
        }
    }

    /// Any bytes: restore never panics, and what it accepts saves back to
    /// the same bytes' state (a second round trip is exact).
    #[test]
    fn restore_never_panics_and_accepts_only_what_it_can_save(
        bytes in proptest::collection::vec(any::<u8>(), 0..48), sealed in any::<bool>(), now in any::<u64>(),
    ) {
        let config = breaker_config(3, 100, 2, 1, 70);
        let breaker = Breaker::new(&config);
        let mut bytes = bytes;
        if sealed && bytes.len() == breaker::SNAPSHOT_LEN {
            // A well-formed header and checksum around random state bytes.
            let header = Breaker::new(&config).snapshot(tick(0));
            bytes[..8].copy_from_slice(&header[..8]);
            reseal(&mut bytes);
        }
        if breaker.restore(&bytes, tick(now)).is_ok() {
            let again = breaker.snapshot(tick(now));
            let copy = Breaker::new(&config);
            prop_assert_eq!(copy.restore(&again, tick(now)), Ok(()));
            prop_assert_eq!(copy.snapshot(tick(now)), again);
        } else {
            prop_assert_eq!(breaker.state(tick(now)), State::Closed);
        }
        let bucket = TokenBucket::new(BucketConfig::new(tickguard::bucket::BucketSettings { capacity: 5, tokens: 2, period: tickguard::time::Duration::from_ticks(3), initial_fill: None }).unwrap());
        let _ = bucket.restore(&bytes, tick(now));
        let _ = RetryBudget::new(BudgetConfig::DEFAULT).restore(&bytes, tick(now));
        let _ = Degradation::new().restore(&bytes, tick(now));
        let _ = tickguard::shaper::Shaper::new(tickguard::shaper::ShaperConfig::DEFAULT).restore(&bytes, tick(now));
        let sliding = tickguard::sliding_window::SlidingWindow::new(tickguard::sliding_window::SlidingWindowConfig::DEFAULT);
        if sliding.restore(&bytes, tick(now)).is_err() {
            prop_assert_eq!(sliding.available(tick(now)), 100);
        }
        let window = tickguard::fixed_window::FixedWindow::new(tickguard::fixed_window::FixedWindowConfig::DEFAULT);
        if window.restore(&bytes, tick(now)).is_err() {
            prop_assert_eq!(window.remaining(tick(now)), 10);
        }
    }
}

#[test]
fn a_last_known_good_store_keeps_its_values_and_their_ages() {
    use tickguard::fallback::LastKnownGood;
    type Cache = LastKnownGood<u32, [u8; 4], 3>;
    let mut cache = Cache::new(span(1_000));
    cache.store(1, *b"one1", tick(10_000));
    cache.store(2, *b"two2", tick(10_100));
    cache.store(3, *b"thr3", tick(10_200));
    let mut flash = [0u8; Cache::SNAPSHOT_LEN];
    assert_eq!(
        cache.save(tick(10_300), &mut flash),
        Ok(Cache::SNAPSHOT_LEN)
    );
    let mut rebooted = Cache::new(span(1_000));
    rebooted.restore(&flash, tick(0)).unwrap();
    // Ages carried over: 300, 200 and 100 ticks at the restore.
    assert_eq!(rebooted.serve(&1, tick(0)).unwrap().age, span(300));
    assert_eq!(rebooted.serve(&3, tick(50)).unwrap().age, span(150));
    assert!(
        rebooted.serve(&1, tick(701)).is_none(),
        "past its maximum age"
    );
    // The entry stored longest ago is still the one replaced next.
    rebooted.store(4, *b"four", tick(10));
    assert!(rebooted.serve(&1, tick(10)).is_none());
    assert!(rebooted.serve(&2, tick(10)).is_some());
    // Another configuration, a damaged byte, a duplicated key (with a valid
    // checksum) and a count above the capacity are refused, leaving it empty.
    let mut other = LastKnownGood::<u32, [u8; 4], 3>::new(span(999));
    assert_eq!(other.restore(&flash, tick(0)), Err(SnapshotError::Config));
    let mut damaged = flash;
    damaged[13] ^= 1;
    assert_eq!(
        rebooted.restore(&damaged, tick(0)),
        Err(SnapshotError::Corrupt)
    );
    assert!(rebooted.is_empty());
    let entry = 4 + 4 + 8;
    let mut duplicate = flash;
    duplicate.copy_within(12..12 + 4, 12 + entry); // entry 2's key := entry 1's
    reseal(&mut duplicate);
    assert_eq!(
        rebooted.restore(&duplicate, tick(0)),
        Err(SnapshotError::Corrupt)
    );
    let mut too_many = flash;
    too_many[8..12].copy_from_slice(&4u32.to_le_bytes());
    reseal(&mut too_many);
    assert_eq!(
        rebooted.restore(&too_many, tick(0)),
        Err(SnapshotError::Corrupt)
    );
    assert!(rebooted.is_empty());
    // A breaker's snapshot is another kind.
    let breaker = Breaker::new(BreakerConfig::DEFAULT);
    assert_eq!(
        rebooted.restore(&breaker.snapshot(tick(0)), tick(0)),
        Err(SnapshotError::Kind)
    );
}

proptest! {
    /// A last-known-good store restored at t1 serves like the original
    /// shifted by t1 − t0 (ages exact even across a restart at tick 0), and
    /// replaces the same entries afterwards.
    #[test]
    fn a_restored_store_behaves_like_the_original_shifted(
        t0 in any::<u64>().prop_map(|t| t >> 3), t1 in any::<u64>().prop_map(|t| t >> 3),
        history in proptest::collection::vec((0u8..6, any::<u16>(), 0u64..300, any::<bool>()), 0..40),
        future in proptest::collection::vec((0u8..6, any::<u16>(), 0u64..300, any::<bool>()), 1..40),
    ) {
        use tickguard::fallback::LastKnownGood;
        type Cache = LastKnownGood<u8, u16, 4>;
        let mut original = Cache::new(span(500));
        let mut now = t0;
        for (key, value, advance, forget) in history {
            now += advance;
            if forget { original.forget(&key) } else { original.store(key, value, tick(now)) }
        }
        let taken = now;
        let mut flash = [0u8; Cache::SNAPSHOT_LEN];
        original.save(tick(taken), &mut flash).unwrap();
        let mut restored = Cache::new(span(500));
        restored.restore(&flash, tick(t1)).unwrap();
        let mut elapsed = 0;
        for (key, value, advance, forget) in future {
            elapsed += advance;
            for k in 0..6u8 {
                let a = original.serve(&k, tick(taken + elapsed)).map(|s| (*s.value, s.age));
                let b = restored.serve(&k, tick(t1 + elapsed)).map(|s| (*s.value, s.age));
                prop_assert_eq!(a, b);
            }
            if forget {
                original.forget(&key);
                restored.forget(&key);
            } else {
                original.store(key, value, tick(taken + elapsed));
                restored.store(key, value, tick(t1 + elapsed));
            }
        }
    }
}
