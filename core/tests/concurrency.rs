//! Multi-threaded stress tests of the invariants that matter under contention.
//! Deterministic in what they assert, whatever the interleaving.

mod common;
#[allow(unused_imports)]
use common::{span, tick};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;

use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome};
use tickguard::bucket::{BucketConfig, TokenBucket};

const THREADS: usize = 2;
const OPS: u32 = 100_000;

#[test]
fn half_open_never_admits_more_than_its_permits() {
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 1,
        open: tickguard::time::Duration::from_ticks(10),
        half_open_permits: 3,
        success_threshold: 3,
        half_open_timeout: tickguard::time::Duration::from_ticks(1_000),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let breaker = Breaker::new(&config);
    let rounds = 2_000u32;
    let barrier = Barrier::new(THREADS);
    let admitted_per_round: Vec<AtomicUsize> = (0..rounds).map(|_| AtomicUsize::new(0)).collect();
    let transitions = AtomicUsize::new(0);
    thread::scope(|s| {
        for id in 0..THREADS {
            let (breaker, barrier, admitted, transitions) =
                (&breaker, &barrier, &admitted_per_round, &transitions);
            s.spawn(move || {
                for round in 0..rounds {
                    let start = u64::from(round) * 3_000 + (1 << 40);
                    if id == 0 {
                        let _ = breaker.reset();
                        let p = breaker.acquire(tick(start)).unwrap().permit;
                        let _ = breaker.record(p, Outcome::Failure, tick(start));
                    }
                    barrier.wait();
                    for _ in 0..(OPS / rounds) {
                        if let Ok(a) = breaker.acquire(tick(start + 10)) {
                            admitted[round as usize].fetch_add(1, Ordering::Relaxed);
                            if a.transition.is_some() {
                                transitions.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    barrier.wait();
                }
            });
        }
    });
    for (round, admitted) in admitted_per_round.iter().enumerate() {
        assert_eq!(admitted.load(Ordering::Relaxed), 3, "round {round}");
    }
    // Exactly one caller observed each OPEN -> HALF_OPEN transition.
    assert_eq!(transitions.load(Ordering::Relaxed), rounds as usize);
}

/// Trials handed back with IGNORED again and again, by two threads, in one
/// long HALF_OPEN: slots run out every 16 trials and fresh generations
/// start, yet no permit identity is ever issued twice, and no more trials
/// are out at once than the permits.
#[test]
fn handed_back_trials_are_never_reissued_under_contention() {
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 1,
        open: tickguard::time::Duration::from_ticks(10),
        half_open_permits: 1,
        success_threshold: 1,
        half_open_timeout: tickguard::time::Duration::from_ticks(1 << 40),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let breaker = Breaker::new(&config);
    let p = breaker.acquire(tick(0)).unwrap().permit;
    let _ = breaker.record(p, Outcome::Failure, tick(0));
    let out = AtomicUsize::new(0);
    let barrier = Barrier::new(THREADS);
    let issued: Vec<Vec<u32>> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (breaker, out, barrier) = (&breaker, &out, &barrier);
                s.spawn(move || {
                    let mut mine = Vec::new();
                    barrier.wait();
                    for i in 0..OPS {
                        let now = 10 + u64::from(i);
                        if let Ok(a) = breaker.acquire(tick(now)) {
                            assert!(out.fetch_add(1, Ordering::SeqCst) < 1, "two trials out");
                            mine.push(a.permit.token());
                            out.fetch_sub(1, Ordering::SeqCst);
                            let r = breaker.record(a.permit, Outcome::Ignored, tick(now));
                            assert!(!r.counted && r.transition.is_none());
                            // Reported again, as a failure: nothing.
                            let again = breaker.record(a.permit, Outcome::Failure, tick(now));
                            assert!(!again.counted && again.transition.is_none());
                        }
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<u32> = issued.into_iter().flatten().collect();
    let mut unique = all.clone();
    unique.sort_unstable();
    unique.dedup();
    assert!(all.len() > 1_000, "{} trials", all.len());
    assert!(
        all.len() < 16 << 16,
        "permits may repeat after 2^16 generations"
    );
    assert_eq!(unique.len(), all.len(), "a permit was issued twice");
}

#[test]
fn every_transition_is_observed_exactly_once_under_contention() {
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 3,
        open: tickguard::time::Duration::from_ticks(5),
        half_open_permits: 2,
        success_threshold: 1,
        half_open_timeout: tickguard::time::Duration::from_ticks(7),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let breaker = Breaker::new(&config);
    let clock = AtomicU64::new(1 << 40);
    let observed = AtomicUsize::new(0);
    thread::scope(|s| {
        for id in 0..THREADS as u32 {
            let (breaker, clock, observed) = (&breaker, &clock, &observed);
            s.spawn(move || {
                let mut local = Vec::new();
                for i in 0..OPS {
                    let now = clock.fetch_add(1, Ordering::Relaxed);
                    match breaker.acquire(tick(now)) {
                        Ok(a) => {
                            local.extend(a.transition);
                            let outcome = if (i ^ id) % 3 == 0 {
                                Outcome::Success
                            } else {
                                Outcome::Failure
                            };
                            local.extend(breaker.record(a.permit, outcome, tick(now)).transition);
                        }
                        Err(r) => local.extend(r.transition),
                    }
                }
                observed.fetch_add(local.len(), Ordering::Relaxed);
                local
            });
        }
    });
    // Every change of state bumps the 16-bit generation once; the counts of
    // reported transitions and generation steps agree modulo 2^16. A reset
    // (itself a transition unless already CLOSED) lets a CLOSED permit show
    // the generation.
    if breaker.reset().is_some() {
        observed.fetch_add(1, Ordering::Relaxed);
    }
    let now = clock.load(Ordering::Relaxed);
    let generation = breaker.acquire(tick(now)).unwrap().permit.token() & 0xFFFF;
    assert_eq!(
        observed.load(Ordering::Relaxed) % 65_536,
        generation as usize
    );
    assert!(observed.load(Ordering::Relaxed) > 1_000);
}

#[test]
fn bucket_never_grants_more_than_capacity_plus_refill() {
    for (capacity, tokens, period) in [(10u32, 1u32, 5u64), (50, 3, 7), (1, 1, 1)] {
        let config = BucketConfig::new(tickguard::bucket::BucketSettings {
            capacity,
            tokens,
            period: tickguard::time::Duration::from_ticks(period),
            initial_fill: None,
        })
        .unwrap();
        let bucket = TokenBucket::new(&config);
        let start = 1u64 << 50;
        let clock = AtomicU64::new(start);
        let granted = AtomicUsize::new(0);
        thread::scope(|s| {
            for _ in 0..THREADS {
                let (bucket, clock, granted) = (&bucket, &clock, &granted);
                s.spawn(move || {
                    for i in 0..OPS {
                        // Advance the shared clock one tick every 64 operations;
                        // every 7th call lags by up to 10 000 ticks, as a
                        // preempted caller would.
                        let now = if i % 64 == 0 {
                            clock.fetch_add(1, Ordering::Relaxed) + 1
                        } else {
                            clock.load(Ordering::Relaxed)
                        };
                        let now = if i % 7 == 0 {
                            now.saturating_sub(u64::from(i) % 10_000)
                        } else {
                            now
                        };
                        if bucket.acquire(1, tick(now)).is_ok() {
                            granted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let span = clock.load(Ordering::Relaxed) - start;
        let bound = u64::from(capacity) + span * u64::from(tokens) / period;
        let granted = granted.load(Ordering::Relaxed) as u64;
        assert!(granted <= bound, "granted {granted} > {bound}");
        // And it is not starving either: most of the refill was handed out.
        assert!(granted * 10 >= bound * 9, "granted {granted} of {bound}");
    }
}

#[test]
fn retry_budget_stays_within_bounds_under_contention() {
    use tickguard::budget::{BudgetConfig, RetryBudget};
    let config = BudgetConfig::new(tickguard::budget::BudgetSettings {
        max_tokens: 10,
        token_ratio_milli: 100,
    })
    .unwrap();
    let budget = RetryBudget::new(&config);
    thread::scope(|s| {
        for id in 0..THREADS as u32 {
            let budget = &budget;
            s.spawn(move || {
                for i in 0..OPS {
                    if (i ^ id) % 3 == 0 {
                        budget.record_success();
                    } else {
                        budget.record_failure();
                    }
                    let tokens = budget.tokens_milli();
                    assert!(tokens <= 10_000, "above the maximum: {tokens}");
                }
            });
        }
    });
    // Two failures (1000 each) per success (100): the budget drains to
    // near empty (the last few successes may have refilled a little) and
    // never left 0..=max on the way.
    assert!(budget.tokens_milli() <= 1_000, "{}", budget.tokens_milli());
    assert!(!budget.allows_retry());
}

#[test]
fn a_full_outage_keeps_attempts_under_the_budget_bound() {
    use tickguard::budget::{BudgetConfig, RetryBudget};
    use tickguard::retry::{
        Attempt, Backoff, Decision, Failure, Jitter, RetryPolicy, RetrySettings,
    };
    let config = BudgetConfig::new(tickguard::budget::BudgetSettings {
        max_tokens: 10,
        token_ratio_milli: 100,
    })
    .unwrap();
    let budget = RetryBudget::new(&config);
    let policy = RetryPolicy::new(RetrySettings {
        max_attempts: 5,
        backoff: Backoff::Exponential {
            base: span(10),
            multiplier_milli: 2_000,
        },
        jitter: Jitter::Full,
        max_delay: span(1_000),
        deadline: None,
    })
    .unwrap();
    // Two threads of clients, 5 000 operations each, every call fails.
    let attempts = AtomicUsize::new(0);
    let operations = 5_000u64;
    thread::scope(|s| {
        for id in 0..THREADS as u64 {
            let (budget, policy, attempts) = (&budget, &policy, &attempts);
            s.spawn(move || {
                for op in 0..operations {
                    let mut attempt = Attempt::new(tick(op), op * 7 + id);
                    let mut now = op;
                    loop {
                        attempts.fetch_add(1, Ordering::Relaxed);
                        budget.record_failure();
                        match policy.next(&mut attempt, Failure::Retryable, tick(now), Some(budget))
                        {
                            Decision::RetryAt(at) => now = at.ticks(),
                            Decision::GiveUp(_) => break,
                        }
                    }
                }
            });
        }
    });
    // Without a budget: 5 attempts per operation. With it: one attempt per
    // operation plus the retries the first half of the budget allowed.
    let total = attempts.load(Ordering::Relaxed) as u64;
    let operations = operations * THREADS as u64;
    assert!(
        total <= operations + 5 + THREADS as u64,
        "{total} attempts for {operations} operations"
    );
}

/// The failure-rate window under two threads, round after round: each
/// round resets the breaker, both threads record failures and successes
/// with permits of that round and late ones from the round before. A round
/// that ends OPEN was observed opening by exactly one caller, one that ends
/// CLOSED by none; late permits never count, and the window never holds
/// more than its size.
#[test]
fn the_rate_window_trips_once_per_round_and_never_counts_a_late_permit() {
    rounds_trip_once(BreakerSettings {
        rate_window: 16,
        ..BreakerConfig::DEFAULT_SETTINGS
    });
}

/// The same with a time window of 40 ticks (a round is a tick).
#[test]
fn a_time_window_trips_once_per_round_and_never_counts_a_late_permit() {
    rounds_trip_once(BreakerSettings {
        rate_duration: tickguard::time::Duration::from_ticks(40),
        ..BreakerConfig::DEFAULT_SETTINGS
    });
}

/// Rounds of two threads over a breaker with `window`'s window (50 %
/// failing, 8 calls at least).
fn rounds_trip_once(window: BreakerSettings) {
    use tickguard::breaker::State;
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 0,
        failure_rate_per_mille: 500,
        minimum_calls: 8,
        open: tickguard::time::Duration::from_ticks(1 << 30),
        ..window
    })
    .unwrap();
    let breaker = Breaker::windowed(&config);
    // A count window holds its size; a time window every report of a
    // round (12 calls a thread, a quarter of them left for later).
    let most = match window.rate_window {
        0 => 9 * THREADS as u32,
        size => size,
    };
    let rounds = 2_000u32;
    let barrier = Barrier::new(THREADS);
    let opened: Vec<AtomicUsize> = (0..rounds).map(|_| AtomicUsize::new(0)).collect();
    let ended_open: Vec<AtomicUsize> = (0..rounds).map(|_| AtomicUsize::new(0)).collect();
    thread::scope(|s| {
        for id in 0..THREADS {
            let (breaker, barrier, opened, ended_open) = (&breaker, &barrier, &opened, &ended_open);
            s.spawn(move || {
                let mut old = Vec::new();
                for round in 0..rounds {
                    if id == 0 {
                        let _ = breaker.reset();
                    }
                    barrier.wait();
                    let now = tick(u64::from(round));
                    // Permits from the round before: stale now.
                    for p in old.drain(..) {
                        let recorded = breaker.record(p, Outcome::Failure, now);
                        assert!(!recorded.counted && recorded.transition.is_none());
                    }
                    for i in 0..12u32 {
                        let Ok(admitted) = breaker.acquire(now) else {
                            break;
                        };
                        if i % 4 == 3 {
                            old.push(admitted.permit);
                            continue;
                        }
                        let outcome = if (i + id as u32) % 2 == 0 {
                            Outcome::Failure
                        } else {
                            Outcome::Success
                        };
                        let recorded = breaker.record(admitted.permit, outcome, now);
                        if recorded.transition.is_some() {
                            opened[round as usize].fetch_add(1, Ordering::Relaxed);
                        }
                        let counts = breaker.window_counts();
                        assert!(counts.calls <= most && counts.failures <= counts.calls);
                    }
                    barrier.wait();
                    if id == 0 && breaker.state(now) == State::Open {
                        ended_open[round as usize].store(1, Ordering::Relaxed);
                    }
                    barrier.wait();
                }
            });
        }
    });
    let mut trips = 0;
    for round in 0..rounds as usize {
        let (seen, open) = (
            opened[round].load(Ordering::Relaxed),
            ended_open[round].load(Ordering::Relaxed),
        );
        assert_eq!(seen, open, "round {round}");
        trips += open;
    }
    assert!(trips > 0, "some rounds trip");
}

/// The counters under contention: every decision is counted once, in its
/// own counter, and the transitions counted into each state are those
/// returned to the callers, across a window, trips, trials and manual
/// commands from several threads.
#[test]
fn counters_count_every_decision_once_under_contention() {
    use tickguard::breaker::{BreakerCounts, CountingBreaker, State};
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 4,
        failure_rate_per_mille: 500,
        rate_window: 8,
        minimum_calls: 4,
        open: tickguard::time::Duration::from_ticks(5),
        half_open_permits: 2,
        success_threshold: 1,
        half_open_timeout: tickguard::time::Duration::from_ticks(7),
        // Counts cleared every 50 ticks while CLOSED, under contention too.
        closed_interval: tickguard::time::Duration::from_ticks(50),
        // Open periods growing ×1.5 up to 40 ticks, ±30 %.
        open_multiplier_milli: 1_500,
        max_open: tickguard::time::Duration::from_ticks(40),
        open_jitter_per_mille: 300,
        jitter_seed: 0x5EED,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let breaker: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&config);
    let clock = AtomicU64::new(1 << 40);
    let tallies = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS as u32)
            .map(|id| {
                let (breaker, clock) = (&breaker, &clock);
                s.spawn(move || {
                    let mut tally = BreakerCounts::default();
                    let moved =
                        |tally: &mut BreakerCounts,
                         change: Option<tickguard::breaker::Transition>| {
                            if let Some(t) = change {
                                tally.transitions[t.to as usize] += 1;
                            }
                        };
                    for i in 0..OPS / 2 {
                        let now = clock.fetch_add(1, Ordering::Relaxed);
                        if i % 997 == 0 {
                            let change = match (i / 997 + id) % 3 {
                                0 => breaker.force_open(),
                                1 => breaker.disable(),
                                _ => breaker.reset(),
                            };
                            moved(&mut tally, change);
                        }
                        match breaker.acquire(tick(now)) {
                            Ok(a) => {
                                tally.requests += 1;
                                moved(&mut tally, a.transition);
                                let outcome =
                                    [Outcome::Success, Outcome::Failure, Outcome::Ignored]
                                        [((i ^ id) % 3) as usize];
                                let recorded = breaker.record(a.permit, outcome, tick(now));
                                match (outcome, recorded.counted) {
                                    (Outcome::Ignored, _) => tally.ignored += 1,
                                    (_, false) => tally.dropped += 1,
                                    (Outcome::Success, true) => tally.successes += 1,
                                    (Outcome::Failure, true) => tally.failures += 1,
                                }
                                moved(&mut tally, recorded.transition);
                            }
                            Err(r) => {
                                tally.refused += 1;
                                moved(&mut tally, r.transition);
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    let mut expected = BreakerCounts::default();
    for tally in tallies {
        expected.requests += tally.requests;
        expected.refused += tally.refused;
        expected.successes += tally.successes;
        expected.failures += tally.failures;
        expected.ignored += tally.ignored;
        expected.dropped += tally.dropped;
        for (sum, n) in expected.transitions.iter_mut().zip(tally.transitions) {
            *sum += n;
        }
    }
    let counts = breaker.counts();
    assert_eq!(counts, expected);
    assert_eq!(counts.requests + counts.refused, THREADS as u32 * (OPS / 2));
    assert!(counts.transitions_to(State::Open) > 100, "{counts:?}");
    assert!(counts.transitions_to(State::HalfOpen) > 100, "{counts:?}");
}

/// The event queue between threads: two pushers (retrying while full) and
/// one popper; every event comes out once, each pusher's in its order.
#[test]
fn events_come_out_once_and_in_each_pushers_order() {
    use tickguard::breaker::{State, Transition};
    use tickguard::events::{Event, EventQueue};
    const EACH: u64 = 20_000;
    let queue: EventQueue<8> = EventQueue::new();
    let transition = Transition {
        from: State::Closed,
        to: State::Open,
    };
    let (seen, dropped) = thread::scope(|s| {
        for source in 0..THREADS as u16 {
            let queue = &queue;
            s.spawn(move || {
                for i in 0..EACH {
                    let event = Event {
                        at: tick(i),
                        source,
                        transition,
                    };
                    while queue.push(event).is_err() {
                        std::hint::spin_loop();
                    }
                }
            });
        }
        let mut next = [0u64; THREADS];
        let mut seen = 0u64;
        while seen < EACH * THREADS as u64 {
            if let Some(event) = queue.pop() {
                let source = usize::from(event.source);
                assert_eq!(event.at, tick(next[source]), "source {source}");
                assert_eq!(event.transition, transition);
                next[source] += 1;
                seen += 1;
            }
        }
        (seen, queue.take_dropped())
    });
    assert_eq!(seen, EACH * THREADS as u64);
    assert_eq!(queue.pop(), None);
    // Every refused push was counted (and retried).
    let _ = dropped;
}
