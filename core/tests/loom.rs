//! Exhaustive interleavings of the one CAS driver under the breaker and the
//! bucket, checked by `loom` (the atomic word is swapped for a loom model in
//! `cell.rs`; nothing else changes). Run:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p tickguard --release --test loom
//! ```
//!
//! Each model is two or three threads across trip, half-open and recovery;
//! the invariants are stated where they are asserted.
#![cfg(loom)]

mod common;
#[allow(unused_imports)]
use common::{span, tick};
use loom::sync::Arc;
use loom::thread;

use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, State, Window};
use tickguard::bucket::{BucketConfig, TokenBucket};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

fn breaker(threshold: u32, permits: u32, successes: u32) -> Arc<Breaker<BreakerConfig>> {
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: threshold,
        open: tickguard::time::Duration::from_ticks(10),
        half_open_permits: permits,
        success_threshold: successes,
        half_open_timeout: tickguard::time::Duration::from_ticks(100),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    Arc::new(Breaker::new(config))
}

/// Two threads each report a failure on `b`, which two failures open.
/// Invariant: the breaker ends OPEN and exactly one of them observes
/// CLOSED -> OPEN.
fn two_racing_failures_trip_once<W: Window + Send + Sync + 'static>(
    b: Arc<Breaker<BreakerConfig, W>>,
) {
    let permits = [
        b.acquire(tick(0)).unwrap().permit,
        b.acquire(tick(0)).unwrap().permit,
    ];
    let handles: Vec<_> = permits
        .into_iter()
        .map(|p| {
            let b = b.clone();
            thread::spawn(move || b.record(p, Outcome::Failure, tick(1)).transition)
        })
        .collect();
    let seen: Vec<_> = handles
        .into_iter()
        .filter_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].from, seen[0].to), (State::Closed, State::Open));
    assert_eq!(b.state(tick(2)), State::Open);
}

/// Trip on consecutive failures (threshold 2).
#[test]
fn trip_is_observed_exactly_once() {
    model(|| two_racing_failures_trip_once(breaker(2, 1, 1)));
}

/// Half-open: three threads race to acquire after the open period with two
/// permits. Invariants: at most two are admitted; exactly one observes
/// OPEN -> HALF_OPEN; no permit is handed out twice.
#[test]
fn half_open_never_admits_more_than_its_permits() {
    model(|| {
        let b = breaker(1, 2, 2);
        let p = b.acquire(tick(0)).unwrap().permit;
        let _ = b.record(p, Outcome::Failure, tick(0));
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let b = b.clone();
                thread::spawn(move || b.acquire(tick(10)).ok())
            })
            .collect();
        let admitted: Vec<_> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect();
        assert!(admitted.len() <= 2, "{} trials", admitted.len());
        assert_eq!(admitted.len(), 2, "both permits are handed out");
        let transitions = admitted.iter().filter(|a| a.transition.is_some()).count();
        assert_eq!(transitions, 1);
        assert_ne!(admitted[0].permit, admitted[1].permit);
    });
}

/// Recovery: two trials succeed concurrently (two successes close). A third
/// thread reports the first trial again. Invariants: exactly one thread
/// observes HALF_OPEN -> CLOSED; the duplicate report never counts.
#[test]
fn recovery_is_observed_once_and_duplicates_never_count() {
    model(|| {
        let b = breaker(1, 2, 2);
        let p = b.acquire(tick(0)).unwrap().permit;
        let _ = b.record(p, Outcome::Failure, tick(0));
        let t1 = b.acquire(tick(10)).unwrap().permit;
        let t2 = b.acquire(tick(10)).unwrap().permit;
        let handles: Vec<_> = [t1, t2, t1]
            .into_iter()
            .map(|p| {
                let b = b.clone();
                thread::spawn(move || b.record(p, Outcome::Success, tick(11)))
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let closes = results
            .iter()
            .filter(|r| r.transition.is_some_and(|t| t.to == State::Closed))
            .count();
        assert_eq!(closes, 1);
        assert_eq!(results.iter().filter(|r| r.counted).count(), 2);
        assert_eq!(b.state(tick(11)), State::Closed);
    });
}

/// A trial handed back with IGNORED and reported again (as a failure) races
/// the next trial's admission and success. Invariants: the second report
/// never counts or changes state; the next trial never has the handed-back
/// permit's identity; a success of the next trial closes the breaker.
#[test]
fn a_handed_back_trial_never_decides_for_the_next() {
    model(|| {
        let b = breaker(1, 1, 1);
        let p = b.acquire(tick(0)).unwrap().permit;
        let _ = b.record(p, Outcome::Failure, tick(0));
        let t1 = b.acquire(tick(10)).unwrap().permit;
        let b1 = b.clone();
        let first = thread::spawn(move || {
            let ignored = b1.record(t1, Outcome::Ignored, tick(11));
            let again = b1.record(t1, Outcome::Failure, tick(11));
            (ignored, again)
        });
        let b2 = b.clone();
        let next = thread::spawn(move || {
            b2.acquire(tick(11))
                .ok()
                .map(|a| (a.permit, b2.record(a.permit, Outcome::Success, tick(12))))
        });
        let (ignored, again) = first.join().unwrap();
        assert!(!ignored.counted && ignored.transition.is_none());
        assert!(!again.counted && again.transition.is_none(), "{again:?}");
        match next.join().unwrap() {
            Some((t2, done)) => {
                assert_ne!(t2, t1);
                assert!(done.counted && done.transition.is_some());
                assert_eq!(b.state(tick(12)), State::Closed);
            }
            // Refused while t1 was still out.
            None => assert_eq!(b.state(tick(12)), State::HalfOpen),
        }
    });
}

/// A failure and a success race in half-open. Invariant: the breaker ends in
/// one consistent state, with every transition observed once.
#[test]
fn racing_outcomes_in_half_open_are_consistent() {
    model(|| {
        let b = breaker(1, 2, 1);
        let p = b.acquire(tick(0)).unwrap().permit;
        let _ = b.record(p, Outcome::Failure, tick(0));
        let t1 = b.acquire(tick(10)).unwrap().permit;
        let t2 = b.acquire(tick(10)).unwrap().permit;
        let b1 = b.clone();
        let fail = thread::spawn(move || b1.record(t1, Outcome::Failure, tick(11)));
        let b2 = b.clone();
        let ok = thread::spawn(move || b2.record(t2, Outcome::Success, tick(11)));
        let (f, s) = (fail.join().unwrap(), ok.join().unwrap());
        match b.state(tick(11)) {
            // The failure came first: it reopened, the success was stale.
            State::Open => {
                assert!(f.counted && f.transition.is_some());
                assert!(!s.counted && s.transition.is_none());
            }
            // The success came first and closed; the failure was stale.
            State::Closed => {
                assert!(s.counted && s.transition.is_some());
                assert!(!f.counted && f.transition.is_none());
            }
            other => panic!("ended {other:?}"),
        }
    });
}

/// The quick checks against the step they stand for: one thread trips the
/// breaker (the step) while another acquires and reports a success, both
/// of which the quick checks decide in CLOSED from one load. Invariants:
/// the acquire either admits with a permit of the CLOSED generation, whose
/// success then counts only if it came before the trip, or refuses with
/// the open deadline; the trip is observed once and never undone.
#[test]
fn quick_decisions_never_disagree_with_a_racing_step() {
    model(|| {
        let b = breaker(1, 1, 1);
        let p = b.acquire(tick(0)).unwrap().permit;
        let b1 = b.clone();
        let trip = thread::spawn(move || b1.record(p, Outcome::Failure, tick(1)));
        let b2 = b.clone();
        let quick = thread::spawn(move || {
            b2.acquire(tick(1))
                .map(|a| (a, b2.record(a.permit, Outcome::Success, tick(1))))
        });
        let tripped = trip.join().unwrap();
        assert!(tripped.counted);
        assert_eq!(tripped.transition.map(|t| t.to), Some(State::Open));
        match quick.join().unwrap() {
            Ok((admitted, success)) => {
                assert_eq!(
                    admitted.permit.token(),
                    p.token(),
                    "a CLOSED permit of the same generation"
                );
                assert!(admitted.transition.is_none() && success.transition.is_none());
            }
            Err(refused) => assert_eq!(refused.retry_at, Some(tick(11))),
        }
        assert_eq!(b.state(tick(2)), State::Open);
    });
}

/// Bucket: three threads take one token each from a bucket of two. With
/// one tick for all, invariant: exactly two are granted. With one thread
/// lagging by one refill period, invariant: at most capacity + the refill of
/// the ticks seen (2 + 1), and at least the capacity.
#[test]
fn bucket_never_grants_more_than_capacity_plus_refill() {
    for (ticks, most) in [([1_000u64, 1_000, 1_000], 2), ([1_000, 1_000, 900], 3)] {
        model(move || {
            let bucket = Arc::new(TokenBucket::new(
                BucketConfig::new(tickguard::bucket::BucketSettings {
                    capacity: 2,
                    tokens: 1,
                    period: tickguard::time::Duration::from_ticks(100),
                    initial_fill: None,
                })
                .unwrap(),
            ));
            let handles: Vec<_> = ticks
                .into_iter()
                .map(|now| {
                    let bucket = bucket.clone();
                    thread::spawn(move || bucket.acquire(1, tick(now)).is_ok())
                })
                .collect();
            let granted = handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|ok| *ok)
                .count();
            assert!((2..=most).contains(&granted), "{granted} granted");
            // Whatever the order, the bucket is empty at the latest tick.
            assert!(bucket.acquire(1, tick(1_000)).is_err());
        });
    }
}

/// Bulkhead, two slots, three threads each entering, holding and leaving;
/// one of them releases its permit a second time. Invariants: never more
/// than two inside at once; the double release is refused; every slot is
/// free at the end.
#[test]
fn bulkhead_never_exceeds_its_slots_and_refuses_a_double_release() {
    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use tickguard::bulkhead::{Bulkhead, BulkheadConfig, BulkheadSettings, NotHeld};
    model(|| {
        let config = BulkheadConfig::new(BulkheadSettings {
            max_concurrent: 2,
            max_wait: tickguard::time::Duration::ZERO,
        })
        .unwrap();
        let pool = Arc::new(Bulkhead::new(config));
        let inside = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let (pool, inside) = (pool.clone(), inside.clone());
                thread::spawn(move || {
                    if let Ok(permit) = pool.acquire(tick(0)) {
                        assert!(inside.fetch_add(1, SeqCst) < 2, "three inside");
                        inside.fetch_sub(1, SeqCst);
                        assert_eq!(pool.release(permit), Ok(()));
                        if i == 0 {
                            assert_eq!(pool.release(permit), Err(NotHeld));
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(pool.in_flight(), 0);
    });
}

/// Bulkhead, one slot: a release racing an acquire. Invariant: the
/// acquire either sees the slot taken (refused) or free (gets it), and the
/// slot ends held exactly when the acquire got it.
#[test]
fn bulkhead_release_and_acquire_race() {
    use tickguard::bulkhead::{Bulkhead, BulkheadConfig, BulkheadSettings};
    model(|| {
        let config = BulkheadConfig::new(BulkheadSettings {
            max_concurrent: 1,
            max_wait: tickguard::time::Duration::ZERO,
        })
        .unwrap();
        let pool = Arc::new(Bulkhead::new(config));
        let held = pool.acquire(tick(0)).unwrap();
        let releaser = {
            let pool = pool.clone();
            thread::spawn(move || pool.release(held).unwrap())
        };
        let got = pool.acquire(tick(0)).is_ok();
        releaser.join().unwrap();
        assert_eq!(pool.in_flight(), u32::from(got));
    });
}

/// Keyed buckets, one entry: two new keys race for it. Invariant: exactly
/// one takes it, the other is refused for a full table, and the entry
/// holds the winner's bucket (the winner can take no more than capacity).
#[test]
fn keyed_insert_race_gives_the_entry_to_one_key() {
    use tickguard::bucket::BucketSettings;
    use tickguard::keyed::{KeyedBuckets, Refused};
    model(|| {
        let config = BucketConfig::new(BucketSettings {
            capacity: 1,
            tokens: 1,
            period: tickguard::time::Duration::from_ticks(100),
            initial_fill: None,
        })
        .unwrap();
        let table: Arc<KeyedBuckets<1, BucketConfig>> = Arc::new(KeyedBuckets::new(config, [1, 2]));
        let handles: Vec<_> = [1u32, 2]
            .into_iter()
            .map(|key| {
                let table = table.clone();
                thread::spawn(move || (key, table.acquire(&key, 1, tick(5))))
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<u32> = results
            .iter()
            .filter(|(_, d)| d.is_ok())
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(winners.len(), 1);
        assert!(results
            .iter()
            .any(|(_, d)| matches!(d, Err(Refused::TableFull { .. }))));
        assert_eq!(table.available(&winners[0], tick(5)), 0);
    });
}

/// Keyed buckets, one entry held by a key that is full again: its own
/// acquire races a new key's eviction. Invariant: exactly one succeeds
/// (the entry is one key's at a time; no token is taken twice).
#[test]
fn keyed_evict_race_with_the_occupant() {
    use tickguard::bucket::BucketSettings;
    use tickguard::keyed::KeyedBuckets;
    model(|| {
        let config = BucketConfig::new(BucketSettings {
            capacity: 1,
            tokens: 1,
            period: tickguard::time::Duration::from_ticks(100),
            initial_fill: None,
        })
        .unwrap();
        let table: Arc<KeyedBuckets<1, BucketConfig>> = Arc::new(KeyedBuckets::new(config, [1, 2]));
        table.acquire(&1u32, 1, tick(0)).unwrap();
        let handles: Vec<_> = [1u32, 2]
            .into_iter()
            .map(|key| {
                let table = table.clone();
                thread::spawn(move || table.acquire(&key, 1, tick(100)).is_ok())
            })
            .collect();
        let granted = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(granted, 1);
    });
}

/// Sliding log of two entries: three callers in one window. Invariant:
/// exactly two are admitted (no admission number recorded twice, none
/// lost), and the log then refuses until the first leaves the window.
#[test]
fn sliding_log_admits_exactly_its_limit() {
    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
    model(|| {
        let config = SlidingLogConfig::new(tickguard::time::Duration::from_ticks(10)).unwrap();
        let log: Arc<SlidingLog<2, SlidingLogConfig>> = Arc::new(SlidingLog::new(config));
        let admitted = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = [0, 3, 5]
            .into_iter()
            .map(|t| {
                let (log, admitted) = (log.clone(), admitted.clone());
                thread::spawn(move || {
                    if log.acquire(tick(t)).is_ok() {
                        admitted.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(admitted.load(SeqCst), 2);
        assert_eq!(log.available(tick(5)), 0);
        assert!(log.acquire(tick(9)).is_err());
        assert!(log.acquire(tick(15)).is_ok());
    });
}

/// Adaptive limit of 2 (minimum 1): a congested release racing two
/// acquires. Invariants: never more than the maximum inside, the decrease
/// is reported exactly once, and the limit ends at 1.
#[test]
fn adaptive_limit_decrease_races_acquires() {
    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use tickguard::adaptive::{
        AdaptiveConfig, AdaptiveLimit, AdaptiveSettings, LimitChange, Sample,
    };
    model(|| {
        let config = AdaptiveConfig::new(AdaptiveSettings {
            initial_limit: 2,
            min_limit: 1,
            max_limit: 2,
            backoff_milli: 500,
            slow_latency: tickguard::time::Duration::ZERO,
            max_wait: tickguard::time::Duration::ZERO,
        })
        .unwrap();
        let limit = Arc::new(AdaptiveLimit::new(config));
        let held = limit.acquire(tick(0)).unwrap();
        let admitted = Arc::new(AtomicUsize::new(0));
        let releaser = {
            let limit = limit.clone();
            thread::spawn(move || limit.release(held, Sample::Dropped).unwrap())
        };
        let taker = {
            let (limit, admitted) = (limit.clone(), admitted.clone());
            thread::spawn(move || {
                if let Ok(permit) = limit.acquire(tick(0)) {
                    admitted.fetch_add(1, SeqCst);
                    assert!(limit.in_flight() <= 2);
                    let _ = limit.release(permit, Sample::Ignored);
                }
            })
        };
        let change = releaser.join().unwrap();
        taker.join().unwrap();
        assert_eq!(change, Some(LimitChange { from: 2, to: 1 }));
        assert_eq!(limit.limit(), 1);
        assert_eq!(limit.in_flight(), 0);
    });
}

/// Keyed sliding windows, one entry whose key's windows have emptied: the
/// occupant's acquire races a new key's takeover. Invariant: exactly one
/// succeeds (the entry is one key's at a time), and the loser is refused
/// for a full table.
#[test]
fn keyed_windows_takeover_race_with_the_occupant() {
    use tickguard::keyed::{KeyedWindows, Refused};
    use tickguard::sliding_window::{SlidingWindowConfig, SlidingWindowSettings};
    model(|| {
        let config = SlidingWindowConfig::new(SlidingWindowSettings {
            limit: 1,
            window: tickguard::time::Duration::from_ticks(100),
        })
        .unwrap();
        let table: Arc<KeyedWindows<1, SlidingWindowConfig>> =
            Arc::new(KeyedWindows::new(config, [1, 2]));
        table.acquire(&1u32, 1, tick(0)).unwrap();
        let handles: Vec<_> = [1u32, 2]
            .into_iter()
            .map(|key| {
                let table = table.clone();
                thread::spawn(move || table.acquire(&key, 1, tick(200)))
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|d| d.is_ok()).count(), 1);
        assert!(results
            .iter()
            .any(|d| matches!(d, Err(Refused::TableFull { .. }))));
        assert_eq!(table.limiting(tick(200)), 1);
    });
}

/// A live bucket (2 tokens, 1 per 100 ticks) reconfigured to another
/// rate with other units (3 tokens, 7 per 300 ticks) while two threads each
/// take a token, all at one tick (nothing refills). Invariants: the
/// reconfiguration is never busy (it is the only one); exactly the one
/// token the bucket held is taken, whatever the order (carried over,
/// nothing added, nothing lost); afterwards it holds none, under the new
/// configuration.
#[test]
fn a_reconfiguration_racing_acquires_neither_adds_nor_loses_tokens() {
    use tickguard::bucket::{BucketSettings, LiveBucket};
    let settings = |capacity, tokens, period| BucketSettings {
        capacity,
        tokens,
        period: tickguard::time::Duration::from_ticks(period),
        initial_fill: None,
    };
    let old = BucketConfig::new(settings(2, 1, 100)).unwrap();
    let new = BucketConfig::new(settings(3, 7, 300)).unwrap();
    model(move || {
        let bucket = Arc::new(LiveBucket::new(old));
        // Used once, so that the state is a TAT to carry (1 token left).
        bucket.acquire(1, tick(1_000)).unwrap();
        let takers: Vec<_> = (0..2)
            .map(|_| {
                let bucket = bucket.clone();
                thread::spawn(move || bucket.acquire(1, tick(1_000)).is_ok())
            })
            .collect();
        let reconfigured = bucket.reconfigure(new, tick(1_000));
        let granted = takers
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(reconfigured, Ok(()));
        assert_eq!(granted, 1, "{granted} granted of 1");
        assert_eq!(bucket.available(tick(1_000)), 0);
        assert_eq!(bucket.config(), new);
    });
}

/// A live keyed table of one entry (a key holding 1 token of 2, 1 per 100
/// ticks) reconfigured twice (to 3 tokens, 7 per 300 ticks, then to 5, 3
/// per 100: three configurations with different units, and the second
/// reconfiguration reuses the first generation's parity) while another
/// thread takes a token for the key, all at one tick (nothing refills).
/// Invariants: neither reconfiguration is busy; the token the key held is
/// taken at most once, and what is left is exactly what was not taken
/// (carried through both, nothing added, nothing lost); a step that read
/// the entry under a configuration it was not written under would break
/// it.
#[test]
fn a_keyed_table_reconfigured_twice_racing_an_acquire_keeps_the_key_exact() {
    use tickguard::bucket::BucketSettings;
    use tickguard::keyed::LiveKeyedBuckets;
    let settings = |capacity, tokens, period| BucketSettings {
        capacity,
        tokens,
        period: tickguard::time::Duration::from_ticks(period),
        initial_fill: None,
    };
    let first = BucketConfig::new(settings(2, 1, 100)).unwrap();
    let second = BucketConfig::new(settings(3, 7, 300)).unwrap();
    let third = BucketConfig::new(settings(5, 3, 100)).unwrap();
    model(move || {
        let table = Arc::new(LiveKeyedBuckets::<1>::new(first.live(), [1, 2]));
        table.acquire(&9u8, 1, tick(1_000)).unwrap();
        let taker = {
            let table = table.clone();
            thread::spawn(move || table.acquire(&9u8, 1, tick(1_000)).is_ok())
        };
        assert_eq!(table.reconfigure(second, tick(1_000)), Ok(()));
        assert_eq!(table.reconfigure(third, tick(1_000)), Ok(()));
        let granted = u32::from(taker.join().unwrap());
        assert_eq!(table.config(), third);
        assert_eq!(granted + table.available(&9u8, tick(1_000)), 1);
    });
}

fn rated(
    per_mille: u32,
    window: u32,
    minimum: u32,
) -> Arc<tickguard::breaker::WindowedBreaker<BreakerConfig>> {
    rated_for(per_mille, window, minimum, 0)
}

/// [`rated`], CLOSED clearing its counts every `interval` ticks.
fn rated_for(
    per_mille: u32,
    window: u32,
    minimum: u32,
    interval: u64,
) -> Arc<tickguard::breaker::WindowedBreaker<BreakerConfig>> {
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 0,
        open: tickguard::time::Duration::from_ticks(10),
        half_open_permits: 1,
        success_threshold: 1,
        half_open_timeout: tickguard::time::Duration::from_ticks(100),
        failure_rate_per_mille: per_mille,
        rate_window: window,
        minimum_calls: minimum,
        closed_interval: tickguard::time::Duration::from_ticks(interval),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    Arc::new(Breaker::windowed(config))
}

/// Trip on the failure rate: a window of two, 100 %, two calls (each
/// report counted in the window's own word, then the state word).
#[test]
fn a_rate_trip_is_observed_exactly_once() {
    model(|| two_racing_failures_trip_once(rated(1000, 2, 2)));
}

/// Trip on a time window's failure rate: two failures race into a window
/// of 40 ticks (4 buckets of 10), 100 %, two calls, one of them reported
/// a bucket later. Each report is one compare-and-swap on the window word
/// (a time window writes every outcome), then the state word.
#[test]
fn a_time_window_trip_is_observed_exactly_once() {
    model(|| {
        let config = BreakerConfig::new(BreakerSettings {
            failure_threshold: 0,
            open: tickguard::time::Duration::from_ticks(10),
            half_open_permits: 1,
            success_threshold: 1,
            failure_rate_per_mille: 1000,
            rate_duration: tickguard::time::Duration::from_ticks(40),
            minimum_calls: 2,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Arc::new(Breaker::windowed(config));
        let permits = [
            b.acquire(tick(0)).unwrap().permit,
            b.acquire(tick(0)).unwrap().permit,
        ];
        let handles: Vec<_> = permits
            .into_iter()
            .zip([1, 12])
            .map(|(p, at)| {
                let b = b.clone();
                thread::spawn(move || b.record(p, Outcome::Failure, tick(at)).transition)
            })
            .collect();
        let seen: Vec<_> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(seen.len(), 1);
        assert_eq!((seen[0].from, seen[0].to), (State::Closed, State::Open));
        assert_eq!(b.window_counts(), Default::default());
    });
}

/// A late failure races a new generation: one thread reports a failure
/// with a permit of the first CLOSED generation while the other trips the
/// breaker, recovers it through a half-open trial, and reports a success
/// in the new CLOSED generation. Invariants: the new generation's window
/// holds exactly that success (the late failure would make it 50 % and
/// trip a 500 ‰ rule of two calls); the recovery is observed once; the
/// breaker ends CLOSED.
#[test]
fn a_late_outcome_never_counts_in_a_new_generation() {
    model(|| {
        let b = rated(500, 2, 2);
        let late = b.acquire(tick(0)).unwrap().permit;
        let racer = {
            let b = b.clone();
            thread::spawn(move || b.record(late, Outcome::Failure, tick(1)))
        };
        // Trip (two failures), recover, then one success.
        let mut transitions = 0;
        for _ in 0..2 {
            if let Ok(a) = b.acquire(tick(1)) {
                transitions += usize::from(
                    b.record(a.permit, Outcome::Failure, tick(1))
                        .transition
                        .is_some(),
                );
            }
        }
        let trial = b.acquire(tick(20)).unwrap();
        let closed = b.record(trial.permit, Outcome::Success, tick(20));
        assert_eq!(closed.transition.map(|t| t.to), Some(State::Closed));
        let p = b.acquire(tick(21)).unwrap().permit;
        let last = b.record(p, Outcome::Success, tick(21));
        let late = racer.join().unwrap();
        assert!(last.transition.is_none());
        assert!(late.transition.is_none() || transitions == 0);
        assert_eq!(
            b.window_counts(),
            tickguard::breaker::WindowCounts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
        assert_eq!(b.state(tick(21)), State::Closed);
    });
}

/// Trip on the slow-call rate: two slow successes race (a window of two,
/// 100 % slow, 10 ticks slow) while a third caller reports a fast success
/// of the same generation. The breaker opens unless the fast success
/// lands between the two slow ones (then the window of two holds one of
/// each). Invariants: a trip is reported at most once, by the report that
/// made it; an OPEN breaker's window reads empty; a CLOSED one holds both
/// last outcomes, never two slow ones.
#[test]
fn a_slow_rate_trip_is_observed_exactly_once() {
    model(|| {
        let config = BreakerConfig::new(BreakerSettings {
            failure_threshold: 0,
            open: tickguard::time::Duration::from_ticks(10),
            half_open_permits: 1,
            success_threshold: 1,
            rate_window: 2,
            minimum_calls: 2,
            slow_call: tickguard::time::Duration::from_ticks(10),
            slow_call_rate_per_mille: 1000,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Arc::new(Breaker::windowed(config));
        let slow = [
            b.acquire(tick(0)).unwrap().permit,
            b.acquire(tick(0)).unwrap().permit,
        ];
        let fast = b.acquire(tick(0)).unwrap().permit;
        let handles: Vec<_> = slow
            .into_iter()
            .map(|p| {
                let b = b.clone();
                thread::spawn(move || b.record(p, Outcome::Success, tick(50)).transition)
            })
            .collect();
        let quick = b.record(fast, Outcome::Success, tick(5)).transition;
        let seen: Vec<_> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .chain(quick)
            .collect();
        assert!(seen.len() <= 1);
        if let Some(t) = seen.first() {
            assert_eq!((t.from, t.to), (State::Closed, State::Open));
            assert_eq!(b.state(tick(51)), State::Open);
            assert_eq!(b.window_counts(), Default::default());
        } else {
            assert_eq!(b.state(tick(51)), State::Closed);
            assert_eq!(b.window_counts().calls, 2);
            assert!(b.window_counts().slow < 2);
        }
    });
}

/// A late outcome races the closed interval's clearing: one thread reports
/// a failure admitted in the first interval (at tick 9, before its end)
/// while the other starts the next interval (at tick 10) and fails in it.
/// Invariants: the late failure counts in the first interval or not at
/// all, never in the second (two failures of two calls would trip the
/// 500 ‰ rule); the new interval's window holds exactly its own failure.
#[test]
fn a_late_outcome_never_counts_after_the_interval_clears() {
    model(|| {
        let b = rated_for(500, 2, 2, 10);
        let late = b.acquire(tick(0)).unwrap().permit; // starts [0, 10)
        let racer = {
            let b = b.clone();
            thread::spawn(move || b.record(late, Outcome::Failure, tick(9)))
        };
        let p = b.acquire(tick(10)).unwrap().permit; // clears: [10, 20)
        let own = b.record(p, Outcome::Failure, tick(10));
        let late = racer.join().unwrap();
        assert!(own.counted && own.transition.is_none());
        assert!(late.transition.is_none());
        assert_eq!(
            b.window_counts(),
            tickguard::breaker::WindowCounts {
                calls: 1,
                failures: 1,
                slow: 0
            }
        );
        assert_eq!(b.state(tick(10)), State::Closed);
    });
}

/// The event queue: two pushers race a popper over two slots. Every
/// accepted event comes out exactly once (during the race or after it),
/// each refused push is counted, and nothing else comes out.
#[test]
fn events_are_neither_lost_nor_duplicated() {
    use tickguard::breaker::Transition;
    use tickguard::events::{Event, EventQueue};
    model(|| {
        let queue: Arc<EventQueue<2>> = Arc::new(EventQueue::new());
        let transition = Transition {
            from: State::Closed,
            to: State::Open,
        };
        let event = move |source: u16| Event {
            at: tick(u64::from(source)),
            source,
            transition,
        };
        let pushers: Vec<_> = (0..2u16)
            .map(|source| {
                let queue = queue.clone();
                thread::spawn(move || queue.push(event(source)).is_ok())
            })
            .collect();
        let mut out = Vec::new();
        if let Some(e) = queue.pop() {
            out.push(e);
        }
        let accepted: Vec<bool> = pushers.into_iter().map(|p| p.join().unwrap()).collect();
        while let Some(e) = queue.pop() {
            out.push(e);
        }
        let mut sources: Vec<u16> = out.iter().map(|e| e.source).collect();
        sources.sort_unstable();
        let expected: Vec<u16> = (0..2u16).filter(|s| accepted[usize::from(*s)]).collect();
        assert_eq!(sources, expected);
        assert!(out.iter().all(|e| *e == event(e.source)));
        let refused = accepted.iter().filter(|a| !**a).count() as u64;
        assert_eq!(queue.take_dropped(), refused);
    });
}

/// A trial period decided by its failure rate (2 permits, 50 %): one trial
/// fails and one succeeds, racing. Invariants: both are counted (neither
/// decides alone), the period is decided exactly once, by whichever report
/// comes last, and it reopens (1 of 2 failing is 50 %).
#[test]
fn a_half_open_rate_is_decided_once_by_the_last_report() {
    model(|| {
        let config = BreakerConfig::new(BreakerSettings {
            failure_threshold: 1,
            open: tickguard::time::Duration::from_ticks(10),
            half_open_permits: 2,
            success_threshold: 1,
            half_open_timeout: tickguard::time::Duration::from_ticks(100),
            half_open_failure_rate_per_mille: 500,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Arc::new(Breaker::new(config));
        let p = b.acquire(tick(0)).unwrap().permit;
        let _ = b.record(p, Outcome::Failure, tick(0));
        let t1 = b.acquire(tick(10)).unwrap().permit;
        let t2 = b.acquire(tick(10)).unwrap().permit;
        let b1 = b.clone();
        let fail = thread::spawn(move || b1.record(t1, Outcome::Failure, tick(11)));
        let b2 = b.clone();
        let ok = thread::spawn(move || b2.record(t2, Outcome::Success, tick(11)));
        let (f, s) = (fail.join().unwrap(), ok.join().unwrap());
        assert!(f.counted && s.counted);
        let decided = [f.transition, s.transition]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        assert_eq!(decided.len(), 1, "decided once");
        assert_eq!(decided[0].to, State::Open);
        assert_eq!(b.state(tick(11)), State::Open);
    });
}

/// A trip rule of the caller's racing a success: the rule trips on a run
/// of 2 failures; one thread reports the second failure while another
/// reports a success. Invariants: the breaker opens at most once, and only
/// if the failure's report saw the run of 2 (it came before the success).
#[test]
fn a_trip_rule_sees_a_run_a_racing_success_may_end() {
    extern "C" fn two_in_a_row(run: u32, _: u32, _: u32, _: usize) -> bool {
        run >= 2
    }
    model(|| {
        let config = BreakerConfig::new(BreakerSettings {
            failure_threshold: 0,
            trip_rule: Some(tickguard::breaker::TripRule {
                decide: two_in_a_row,
                context: 0,
            }),
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Arc::new(Breaker::new(config));
        let first = b.acquire(tick(0)).unwrap().permit;
        let _ = b.record(first, Outcome::Failure, tick(0));
        let p1 = b.acquire(tick(1)).unwrap().permit;
        let p2 = b.acquire(tick(1)).unwrap().permit;
        let b1 = b.clone();
        let fail = thread::spawn(move || b1.record(p1, Outcome::Failure, tick(2)));
        let b2 = b.clone();
        let ok = thread::spawn(move || b2.record(p2, Outcome::Success, tick(2)));
        let (f, s) = (fail.join().unwrap(), ok.join().unwrap());
        let opened = [f.transition, s.transition].into_iter().flatten().count();
        assert!(opened <= 1);
        assert!(s.transition.is_none(), "a success never trips");
        assert_eq!(b.state(tick(3)) == State::Open, opened == 1);
    });
}
