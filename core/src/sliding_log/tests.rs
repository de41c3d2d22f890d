use super::*;
use crate::time::testing::tick;
use proptest::prelude::*;

fn config(window: Tick) -> SlidingLogConfig {
    SlidingLogConfig::new(Duration::from_ticks(window)).unwrap()
}

fn wait(at: Tick) -> Decision {
    Err(Refused::Wait { retry_at: tick(at) })
}

const STARTS: [Tick; 4] = [0, 777, 1 << 50, u64::MAX - (1 << 62) - 10];

#[test]
fn at_most_limit_in_any_window_and_the_exact_tick_to_retry() {
    for start in STARTS {
        let log: SlidingLog<3, _> = SlidingLog::new(config(1_000));
        let at = |t: Tick| tick(start + t);
        assert_eq!(log.acquire(at(0)), Ok(()));
        assert_eq!(log.acquire(at(10)), Ok(()));
        assert_eq!(log.acquire(at(500)), Ok(()));
        // Every tick until the first leaves: refused, nothing written.
        for t in [500, 501, 999] {
            let before: std::vec::Vec<u128> = log.entries.iter().map(|e| e.0.load()).collect();
            assert_eq!(log.acquire(at(t)), wait(start + 1_000));
            let after: std::vec::Vec<u128> = log.entries.iter().map(|e| e.0.load()).collect();
            assert_eq!(before, after);
            assert_eq!(log.cursor.0.load(), 3);
        }
        assert_eq!(log.available(at(999)), 0);
        assert_eq!(log.available(at(1_000)), 1);
        assert_eq!(log.acquire(at(1_000)), Ok(()));
        assert_eq!(log.acquire(at(1_000)), wait(start + 1_010));
        assert_eq!(log.acquire(at(1_010)), Ok(()));
        assert_eq!(log.acquire(at(1_010)), wait(start + 1_500));
        // Idle for years: everything left the window.
        assert_eq!(log.available(at(1 << 40)), 3);
        for _ in 0..3 {
            assert_eq!(log.acquire(at(1 << 40)), Ok(()));
        }
        assert_eq!(log.acquire(at(1 << 40)), wait(start + (1 << 40) + 1_000));
    }
}

#[test]
fn a_lagging_now_counts_as_the_latest_admission() {
    let log: SlidingLog<2, _> = SlidingLog::new(config(100));
    assert_eq!(log.acquire(tick(1_000)), Ok(()));
    // A caller a day behind is refused only what the latest tick refuses,
    // and is recorded at the latest tick, keeping the ring in order.
    assert_eq!(log.acquire(tick(5)), Ok(()));
    assert_eq!(unpack(log.entries[1].0.load()), (2, 1_000));
    assert_eq!(log.acquire(tick(5)), wait(1_100));
    assert_eq!(log.acquire(tick(1_099)), wait(1_100));
    assert_eq!(log.available(tick(0)), 0);
    assert_eq!(log.acquire(tick(1_100)), Ok(()));
}

#[test]
fn a_limit_of_one_and_the_largest_window() {
    let log: SlidingLog<1, _> = SlidingLog::new(config(MAX_DURATION));
    assert_eq!(log.acquire(tick(u64::MAX - 5)), Ok(()));
    // The window ends past the last tick: saturates, never wraps.
    assert_eq!(log.acquire(tick(u64::MAX)), wait(u64::MAX));
    let log: SlidingLog<1, _> = SlidingLog::new(config(1));
    for t in 0..100 {
        assert_eq!(log.acquire(tick(t)), Ok(()));
        assert_eq!(log.acquire(tick(t)), wait(t + 1));
    }
}

#[test]
fn an_empty_log_refuses_and_never_loops() {
    let cursor = Cursor::START;
    let log = SlidingLogRef {
        config: SlidingLogConfig::DEFAULT,
        cursor: &cursor,
        entries: &[],
    };
    assert_eq!(log.acquire(Instant::ZERO), Err(Refused::ExceedsCapacity));
    assert_eq!(log.available(Instant::ZERO), 0);
}

#[test]
fn reset_forgets_every_admission() {
    let log: SlidingLog<2, _> = SlidingLog::new(config(1_000));
    log.acquire(tick(1)).unwrap();
    log.acquire(tick(2)).unwrap();
    log.reset();
    assert_eq!(log.available(tick(3)), 2);
    assert_eq!(log.acquire(tick(3)), Ok(()));
    assert_eq!(log.acquire(tick(3)), Ok(()));
    assert_eq!(log.acquire(tick(3)), wait(1_003));
}

/// Every admission number `k` sits in entry `k mod LIMIT` with number `k + 1`.
fn ring_is_consistent<const L: usize>(log: &SlidingLog<L, SlidingLogConfig>) {
    let next = log.cursor.0.load();
    let mut previous_tick = 0;
    for k in next.saturating_sub(L as u64)..next {
        let (number, t) = unpack(log.entries[(k % L as u64) as usize].0.load());
        assert_eq!(number, k + 1);
        assert!(t >= previous_tick, "ticks never decrease along the ring");
        previous_tick = t;
    }
}

proptest! {
    /// Against a plain log of every admitted tick: the same decisions, the
    /// same retry ticks, the same counts.
    #[test]
    fn matches_an_exact_log(
        window in 1u64..2_000,
        steps in prop::collection::vec((0u64..3_000, any::<bool>()), 1..200),
    ) {
        let log: SlidingLog<4, _> = SlidingLog::new(config(window));
        let mut admitted: std::vec::Vec<Tick> = std::vec::Vec::new();
        let mut latest = 0u64;
        let mut clock = 0u64;
        for (delta, lag) in steps {
            clock += delta % 300;
            // Sometimes a caller lagging behind by up to the whole run.
            let now = if lag { clock.saturating_sub(delta) } else { clock };
            let effective = now.max(admitted.last().copied().unwrap_or(0));
            let in_window: std::vec::Vec<Tick> =
                admitted.iter().copied().filter(|t| t + window > effective).collect();
            prop_assert_eq!(log.available(tick(now)) as usize, 4 - in_window.len());
            let expected = if in_window.len() < 4 {
                admitted.push(effective);
                Ok(())
            } else {
                wait(in_window[0] + window)
            };
            prop_assert_eq!(log.acquire(tick(now)), expected);
            latest = latest.max(now);
            ring_is_consistent(&log);
        }
        // No `window` ticks of the log's timeline hold more than the limit.
        for (i, &t) in admitted.iter().enumerate() {
            let within = admitted[i..].iter().take_while(|&&u| u < t + window).count();
            prop_assert!(within <= 4);
        }
        let _ = latest;
    }

    /// Any entries and cursor (garbage in shared memory): calls return,
    /// and a log that had garbage works as a log again once the garbage
    /// is overwritten.
    #[test]
    fn garbage_never_hangs_and_heals(
        words in prop::array::uniform3(any::<u128>()),
        cursor in any::<u64>(),
        now in any::<u64>(),
    ) {
        let log: SlidingLog<3, _> = SlidingLog::new(config(10));
        for (entry, word) in log.entries.iter().zip(words) {
            entry.0.store(word);
        }
        log.cursor.0.store(cursor);
        let _ = log.available(tick(now));
        for i in 0..10u64 {
            let _ = log.acquire(tick(now.saturating_add(i)));
        }
        log.reset();
        prop_assert_eq!(log.acquire(tick(now)), Ok(()));
    }
}

#[test]
fn threads_admit_exactly_the_limit_per_window() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Barrier;
    const WINDOW: Tick = 100;
    const THREADS: usize = 4;
    let log: SlidingLog<5, _> = SlidingLog::new(config(WINDOW));
    let admitted = AtomicU32::new(0);
    let barrier = Barrier::new(THREADS);
    for round in 0..200u64 {
        // Every tick of a round lies within half a window (nothing leaves
        // during it); rounds are two windows apart (everything has left).
        let base = round * 2 * WINDOW;
        std::thread::scope(|scope| {
            for thread in 0..THREADS as u64 {
                let (log, admitted, barrier) = (&log, &admitted, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    for i in 0..8u64 {
                        let now = base + (i * 7 + thread * 3) % (WINDOW / 2);
                        if log.acquire(tick(now)).is_ok() {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(admitted.swap(0, Ordering::Relaxed), 5, "round {round}");
        ring_is_consistent(&log);
    }
}

proptest! {
    /// A snapshot restored after a reboot (the tick counter anywhere) makes
    /// the same decisions as the original, shifted by the reboot.
    #[test]
    fn a_restored_log_decides_as_the_original(
        window in 1u64..1_000,
        before in prop::collection::vec(0u64..400, 0..12),
        after in prop::collection::vec(0u64..400, 1..12),
        saved_at in 0u64..2_000,
        base in 0u64..1_000_000,
    ) {
        let original: SlidingLog<3, _> = SlidingLog::new(config(window));
        let mut clock = 1_000_000u64;
        for dt in before {
            clock += dt;
            let _ = original.acquire(tick(clock));
        }
        let snapshot_tick = clock + saved_at;
        let mut bytes = [0u8; snapshot_len(3)];
        prop_assert_eq!(original.save(tick(snapshot_tick), &mut bytes), Ok(snapshot_len(3)));
        let restored: SlidingLog<3, _> = SlidingLog::new(config(window));
        // The new run's clock reads `base` at the snapshot's tick.
        prop_assert_eq!(restored.restore(&bytes, tick(base + 1_000_000)), Ok(()));
        let offset = i128::from(base + 1_000_000) - i128::from(snapshot_tick);
        let shift = |t: u64| u64::try_from(i128::from(t) + offset).unwrap();
        let retry = |decision: Decision| match decision {
            Ok(()) => None,
            Err(Refused::Wait { retry_at }) => Some(retry_at.ticks()),
            Err(Refused::ExceedsCapacity) => Some(0),
        };
        let mut t = snapshot_tick;
        for dt in after {
            t += dt;
            let ours = retry(original.acquire(tick(t))).map(shift);
            let theirs = retry(restored.acquire(tick(shift(t))));
            prop_assert_eq!(ours, theirs);
        }
    }
}

#[test]
fn a_bad_snapshot_is_refused_and_leaves_the_log_empty() {
    let log: SlidingLog<2, _> = SlidingLog::new(config(100));
    log.acquire(tick(10)).unwrap();
    let mut bytes = [0u8; snapshot_len(2)];
    log.save(tick(20), &mut bytes).unwrap();
    assert_eq!(
        log.save(tick(20), &mut [0u8; snapshot_len(2) - 1]),
        Err(SnapshotError::BufferTooSmall)
    );
    // Another limit or window: another configuration.
    let other: SlidingLog<3, _> = SlidingLog::new(config(100));
    assert!(other.restore(&bytes, tick(0)).is_err());
    let other: SlidingLog<2, _> = SlidingLog::new(config(101));
    assert_eq!(other.restore(&bytes, tick(0)), Err(SnapshotError::Config));
    // A flipped bit: corrupt, and the log is left empty.
    log.acquire(tick(20)).unwrap();
    let mut bad = bytes;
    bad[10] ^= 1;
    assert_eq!(log.restore(&bad, tick(20)), Err(SnapshotError::Corrupt));
    assert_eq!(log.available(tick(20)), 2);
    // The good one: one admission 10 ticks before the snapshot.
    assert_eq!(log.restore(&bytes, tick(500)), Ok(()));
    assert_eq!(log.available(tick(500)), 1);
    assert_eq!(log.acquire(tick(500)), Ok(()));
    assert_eq!(log.acquire(tick(500)), wait(590));
}

proptest! {
    /// Reconfigured at any point, a live log decides as the exact list of
    /// admissions judged with whichever window is in force: the ring keeps
    /// every admission's tick, so a new window applies to them exactly.
    #[test]
    fn a_reconfigured_log_matches_an_exact_log_with_the_new_window(
        windows in prop::array::uniform3(1u64..2_000),
        steps in prop::collection::vec((0u64..3_000, any::<bool>(), prop::option::weighted(0.1, 0usize..3)), 1..200),
    ) {
        let log: SlidingLog<4, _> = SlidingLog::new(config(windows[0]).live());
        let mut window = windows[0];
        let mut admitted: std::vec::Vec<Tick> = std::vec::Vec::new();
        let mut clock = 0u64;
        for (delta, lag, switch) in steps {
            if let Some(i) = switch {
                log.reconfigure(config(windows[i]));
                window = windows[i];
                prop_assert_eq!(log.config().window().ticks(), window);
            }
            clock += delta % 300;
            let now = if lag { clock.saturating_sub(delta) } else { clock };
            let effective = now.max(admitted.last().copied().unwrap_or(0));
            // The ring holds the last 4 admissions; older ones are gone.
            let recent = &admitted[admitted.len().saturating_sub(4)..];
            let in_window: std::vec::Vec<Tick> =
                recent.iter().copied().filter(|t| t + window > effective).collect();
            prop_assert_eq!(log.available(tick(now)) as usize, 4 - in_window.len());
            let expected = if in_window.len() < 4 {
                admitted.push(effective);
                Ok(())
            } else {
                wait(in_window[0] + window)
            };
            prop_assert_eq!(log.acquire(tick(now)), expected);
        }
    }
}
