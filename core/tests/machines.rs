//! The machine model's promises, per machine, through the public inputs:
//!
//! * a quick check that decides keeps the word and decides what the step
//!   decides, on any word (garbage included) and on every word reached by
//!   a random walk of inputs;
//! * running inputs over a held word ([`tickguard::machine::run`]) decides
//!   exactly what the primitive's own methods decide, step for step.

mod common;
#[allow(unused_imports)]
use common::{span, tick};
use core::cell::Cell;

use proptest::prelude::*;
use tickguard::breaker::{
    self, Breaker, BreakerConfig, BreakerSettings, FailureWindow, Outcome, Permit,
};
use tickguard::bucket::{self, BucketConfig, BucketSettings, TokenBucket};
use tickguard::budget::{self, BudgetConfig, RetryBudget};
use tickguard::degrade::{self, Degradation, Levels};
use tickguard::fixed_window::{self, FixedWindow, FixedWindowConfig, FixedWindowSettings};
use tickguard::machine::{run, Input, Machine, Step};
use tickguard::time::{Extend, Extension, TickExtender};

/// The quick check's promise on a word the machine wrote: when it decides,
/// the step keeps the word and decides the same.
fn quick_agrees<M: Machine, I: Input<M>>(
    machine: &M,
    input: I,
    word: M::Word,
) -> Result<(), TestCaseError>
where
    I::Decision: PartialEq + core::fmt::Debug,
{
    if let Some(quick) = input.quick(machine, word) {
        prop_assert_eq!(
            input.step(machine, word),
            Step::Keep(quick),
            "word {:?}",
            word
        );
    }
    Ok(())
}

/// The quick check's promise on any word (garbage from shared memory
/// included): when it decides, the step decides the same (it may still
/// rewrite a word the machine never writes into one it does).
fn quick_decides_as_step<M: Machine, I: Input<M>>(
    machine: &M,
    input: I,
    word: M::Word,
) -> Result<(), TestCaseError>
where
    I::Decision: PartialEq + core::fmt::Debug,
{
    if let Some(quick) = input.quick(machine, word) {
        let step = input.step(machine, word);
        prop_assert_eq!(step.decision(), &quick, "word {:?}", word);
    }
    Ok(())
}

fn breaker_config() -> impl Strategy<Value = BreakerConfig> {
    // A window on two thirds of them (failure per mille, size, minimum,
    // slow-call per mille): a failure rate alone, or a slow-call rate with
    // or without one.
    let rate = prop_oneof![
        Just((0u32, 0u32, 0u32, 0u32, 0u64)),
        (1u32..=1000, 1u32..=64, 0u32..=64, Just(0u32), Just(0u64)),
        (0u32..=1000, 1u32..=52, 0u32..=52, 1u32..=1000, Just(0u64)),
        // A time window of 1 to 5000 ticks (4 buckets), either rate.
        (
            1u32..=1000,
            Just(0u32),
            0u32..=127,
            0u32..=1000,
            1u64..5_000
        ),
        (
            0u32..=1000,
            Just(0u32),
            0u32..=127,
            1u32..=1000,
            1u64..5_000
        )
    ];
    (
        1u32..5,
        1u64..1 << 20,
        1u32..17,
        0u32..16,
        1u64..1 << 20,
        rate,
        prop_oneof![Just(0u64), 1u64..1 << 20],
        (
            prop_oneof![Just(0u32), 1_000u32..4_000],
            0u32..=1_000,
            any::<u64>(),
        ),
    )
        .prop_map(
            |(
                failure_threshold,
                open_ticks,
                half_open_permits,
                extra,
                half_open_timeout_ticks,
                rate,
                closed_interval,
                (open_multiplier_milli, open_jitter_per_mille, jitter_seed),
            )| {
                BreakerConfig::new(BreakerSettings {
                    failure_threshold,
                    open: tickguard::time::Duration::from_ticks(open_ticks),
                    half_open_permits,
                    success_threshold: extra % half_open_permits + 1,
                    half_open_timeout: tickguard::time::Duration::from_ticks(
                        half_open_timeout_ticks,
                    ),
                    failure_rate_per_mille: rate.0,
                    rate_window: rate.1,
                    minimum_calls: if rate.4 == 0 {
                        rate.2.min(rate.1)
                    } else {
                        rate.2
                    },
                    rate_duration: tickguard::time::Duration::from_ticks(rate.4),
                    closed_interval: tickguard::time::Duration::from_ticks(closed_interval),
                    open_multiplier_milli,
                    max_open: tickguard::time::Duration::from_ticks(0),
                    open_jitter_per_mille,
                    jitter_seed,
                    half_open_failure_rate_per_mille: (jitter_seed % 1_001) as u32,
                    // Calls slower than up to 500 ticks are slow on two
                    // thirds (all with a slow-call rate).
                    slow_call: tickguard::time::Duration::from_ticks(
                        if rate.3 != 0 || jitter_seed % 3 != 0 {
                            1 + open_ticks % 500
                        } else {
                            0
                        },
                    ),
                    slow_call_rate_per_mille: rate.3,
                    trip_rule: (closed_interval % 3 == 1).then_some(tickguard::breaker::TripRule {
                        decide: ready_to_trip,
                        context: 0,
                    }),
                })
                .unwrap()
            },
        )
}

/// gobreaker's ratio example as a trip rule: at least 3 calls, 60 % failing.
extern "C" fn ready_to_trip(_: u32, calls: u32, failures: u32, _: usize) -> bool {
    calls >= 3 && failures * 10 >= calls * 6
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Success),
        Just(Outcome::Failure),
        Just(Outcome::Ignored)
    ]
}

/// A breaker input: acquire, record (with the last permit or an arbitrary
/// one), observe, or a manual command.
#[derive(Clone, Copy, Debug)]
enum BreakerOp {
    Acquire,
    Record(Outcome, Option<u32>),
    Observe,
    ForceOpen,
    Disable,
    Reset,
    OpenFor(u64),
}

fn breaker_op() -> impl Strategy<Value = (BreakerOp, u64)> {
    let op = prop_oneof![
        6 => Just(BreakerOp::Acquire),
        6 => (outcome(), proptest::option::of(any::<u32>())).prop_map(|(o, p)| BreakerOp::Record(o, p)),
        1 => Just(BreakerOp::Observe),
        1 => Just(BreakerOp::ForceOpen),
        1 => Just(BreakerOp::Disable),
        1 => Just(BreakerOp::Reset),
        1 => (0u64..1 << 20).prop_map(BreakerOp::OpenFor),
    ];
    (op, 0u64..1 << 16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Breaker, any word: acquire's and record's quick checks agree with
    /// their steps.
    #[test]
    fn breaker_quick_checks_agree_on_any_word(
        config in breaker_config(), word in any::<u128>(), now in any::<u64>(),
        raw in any::<u32>(), outcome in outcome(), raw_window in any::<u128>(),
    ) {
        quick_decides_as_step(&config, breaker::Acquire { now: tick(now) }, word)?;
        quick_decides_as_step(&config, breaker::Observe { now: tick(now) }, word)?;
        quick_decides_as_step(&config, breaker::Inspect { now: tick(now) }, word)?;
        // A permit of the word's own generation, CLOSED (slot 0), and an
        // arbitrary one.
        let own = Permit::from_parts((1 << 31) | ((word >> 3) as u32 & 0xFFFF), tick(0));
        let acquired = tick(now.wrapping_sub(u64::from(raw) % 1_000));
        for permit in [own, Permit::from_parts(raw, acquired)].into_iter().flatten() {
            for (rate, slow, rule) in [(false, false, false), (true, false, false), (false, true, false), (false, false, true)] {
                let trips = breaker::Trips { rate, slow, rule };
                let record = breaker::Record { permit, outcome, now: tick(now), trips };
                quick_decides_as_step(&config, record, word)?;
            }
            let window = FailureWindow(&config);
            let count = breaker::Count { permit, outcome, now: tick(now), state: word };
            quick_decides_as_step(&window, count, raw_window)?;
        }
    }

    /// Breaker, reachable words: along a random walk, every quick check
    /// agrees, and [`run`] over a held word decides what [`Breaker`]'s
    /// methods decide.
    #[test]
    fn breaker_held_word_matches_the_breaker(
        config in breaker_config(), start in any::<u64>().prop_map(|t| t >> 4),
        ops in proptest::collection::vec(breaker_op(), 1..200),
    ) {
        let breaker = Breaker::windowed(&config);
        let mut held = Cell::new(config.fresh());
        let mut held_window = Cell::new(FailureWindow(&config).fresh());
        let mut now = start;
        let mut last: Option<Permit> = None;
        for (op, advance) in ops {
            now = now.saturating_add(advance);
            let word = held.get();
            match op {
                BreakerOp::Acquire => {
                    quick_agrees(&config, breaker::Acquire { now: tick(now) }, word)?;
                    let held_decision = run(&config, breaker::Acquire { now: tick(now) }, &mut held).unwrap();
                    let decision = breaker.acquire(tick(now));
                    prop_assert_eq!(held_decision, decision);
                    if let Ok(admitted) = decision {
                        last = Some(admitted.permit);
                    }
                }
                BreakerOp::Record(outcome, raw) => {
                    let stale = |raw| Permit::from_parts(raw, tick(now.saturating_sub(u64::from(raw) % 1_000)));
                    let permit = match raw.and_then(stale) {
                        Some(permit) => permit,
                        None => match last {
                            Some(permit) => permit,
                            None => continue,
                        },
                    };
                    // The window's step first, against the state word
                    // (loaded after the window word: one thread here).
                    let window = FailureWindow(&config);
                    let count = breaker::Count { permit, outcome, now: tick(now), state: word };
                    quick_agrees(&window, count, held_window.get())?;
                    let trips = run(&window, count, &mut held_window).unwrap();
                    let input = breaker::Record { permit, outcome, now: tick(now), trips };
                    quick_agrees(&config, input, word)?;
                    prop_assert_eq!(run(&config, input, &mut held).unwrap(), breaker.record(permit, outcome, tick(now)));
                    prop_assert_eq!(breaker.window_counts(), FailureWindow(&config).counts(held.get(), held_window.get()));
                }
                BreakerOp::Observe => {
                    quick_agrees(&config, breaker::Observe { now: tick(now) }, word)?;
                    prop_assert_eq!(run(&config, breaker::Observe { now: tick(now) }, &mut held).unwrap(), breaker.state(tick(now)));
                    quick_agrees(&config, breaker::Inspect { now: tick(now) }, word)?;
                    prop_assert_eq!(run(&config, breaker::Inspect { now: tick(now) }, &mut held).unwrap(), breaker.status(tick(now)));
                }
                BreakerOp::ForceOpen => {
                    prop_assert_eq!(run(&config, breaker::ForceOpen, &mut held).unwrap(), breaker.force_open());
                }
                BreakerOp::Disable => {
                    prop_assert_eq!(run(&config, breaker::Disable, &mut held).unwrap(), breaker.disable());
                }
                BreakerOp::Reset => {
                    prop_assert_eq!(run(&config, breaker::Reset, &mut held).unwrap(), breaker.reset());
                }
                BreakerOp::OpenFor(ticks) => {
                    let input = breaker::OpenFor { duration: span(ticks), now: tick(now) };
                    prop_assert_eq!(run(&config, input, &mut held).unwrap(), breaker.open_for(span(ticks), tick(now)));
                }
            }
            prop_assert_eq!(breaker.state(tick(now)), run(&config, breaker::Observe { now: tick(now) }, &mut held).unwrap());
        }
    }

    /// Bucket: `available`'s and `acquire`'s quick checks agree on any
    /// word, and the held
    /// 128-bit word decides what the bucket (on whichever word its
    /// configuration picks) decides.
    #[test]
    fn bucket_held_word_matches_the_bucket(
        capacity in 1u32..50, tokens in 1u32..8, period in 1u64..20, fill in 0u32..50,
        garbage in any::<u128>(), start in any::<u64>().prop_map(|t| t >> 4),
        ops in proptest::collection::vec((0u32..60, 0u64..40, any::<bool>()), 1..200),
    ) {
        let config = BucketConfig::new(BucketSettings {
            capacity,
            tokens,
            period: span(period),
            initial_fill: Some(fill.min(capacity)),
        })
        .unwrap();
        quick_decides_as_step(&config, bucket::Available { now: tick(start) }, garbage)?;
        quick_decides_as_step(&config, bucket::Acquire { n: 1, now: tick(start) }, garbage)?;
        let bucket = TokenBucket::new(&config);
        let mut held = Cell::new(config.fresh());
        let mut now = start;
        for (n, advance, lag) in ops {
            now = now.saturating_add(advance);
            let at = if lag { now.saturating_sub(advance * 3) } else { now };
            quick_agrees(&config, bucket::Available { now: tick(at) }, held.get())?;
            quick_agrees(&config, bucket::Acquire { n, now: tick(at) }, held.get())?;
            prop_assert_eq!(run(&config, bucket::Acquire { n, now: tick(at) }, &mut held).unwrap(), bucket.acquire(n, tick(at)));
            prop_assert_eq!(run(&config, bucket::Available { now: tick(at) }, &mut held).unwrap(), bucket.available(tick(at)));
        }
    }

    /// Fixed window: `remaining`'s quick check agrees on any word; the
    /// held word decides what the window decides, lagging callers and
    /// takes of the missed count included.
    #[test]
    fn fixed_window_held_word_matches_the_window(
        burst in 0u32..6, interval in 0u64..40, garbage in any::<u128>(), start in any::<u64>().prop_map(|t| t >> 2),
        ops in proptest::collection::vec((0u32..4, 0u64..30, any::<bool>(), any::<bool>()), 1..200),
    ) {
        let config = FixedWindowConfig::new(FixedWindowSettings { burst, interval: span(interval) }).unwrap();
        quick_decides_as_step(&config, fixed_window::Remaining { now: tick(start) }, garbage)?;
        let window = FixedWindow::new(&config);
        let mut held = Cell::new(config.fresh());
        let mut now = start;
        for (n, advance, lag, take) in ops {
            now = now.saturating_add(advance);
            let at = if lag { now.saturating_sub(advance * 3) } else { now };
            quick_agrees(&config, fixed_window::Remaining { now: tick(at) }, held.get())?;
            if take {
                prop_assert_eq!(run(&config, fixed_window::TakeMissed, &mut held).unwrap(), window.take_missed());
            } else {
                prop_assert_eq!(run(&config, fixed_window::Acquire { n, now: tick(at) }, &mut held).unwrap(), window.acquire(n, tick(at)));
            }
            prop_assert_eq!(run(&config, fixed_window::Remaining { now: tick(at) }, &mut held).unwrap(), window.remaining(tick(at)));
        }
    }

    /// Shaper: the schedule's quick check agrees on any word; the held word
    /// (128 bits) decides what the shaper (on whichever word its rate
    /// picks) decides, lagging callers included.
    #[test]
    fn shaper_held_word_matches_the_shaper(
        capacity in 1u32..6, tokens in 1u32..8, period in 1u64..20, max_wait in 0u64..100,
        garbage in any::<u128>(), start in any::<u64>().prop_map(|t| t >> 4),
        ops in proptest::collection::vec((0u32..7, 0u64..40, any::<bool>()), 1..200),
    ) {
        use tickguard::shaper::{Schedule, Shaper, ShaperConfig, ShaperSettings};
        let config = ShaperConfig::new(ShaperSettings { capacity, tokens, period: span(period), max_wait: span(max_wait) }).unwrap();
        quick_decides_as_step(&config, Schedule { n: 1, now: tick(start) }, garbage)?;
        let shaper = Shaper::new(&config);
        let mut held = Cell::new(config.fresh());
        let mut now = start;
        for (n, advance, lag) in ops {
            now = now.saturating_add(advance);
            let at = if lag { now.saturating_sub(advance * 3) } else { now };
            quick_agrees(&config, Schedule { n, now: tick(at) }, held.get())?;
            prop_assert_eq!(run(&config, Schedule { n, now: tick(at) }, &mut held).unwrap(), shaper.schedule(n, tick(at)));
        }
    }

    /// Sliding-window counter: quick checks agree on any word and along
    /// the walk; the held word decides what the counter decides.
    #[test]
    fn sliding_window_held_word_matches_the_counter(
        limit in 1u32..8, window in 1u64..40, garbage in any::<u128>(), start in any::<u64>().prop_map(|t| t >> 2),
        ops in proptest::collection::vec((0u32..9, 0u64..30, any::<bool>()), 1..200),
    ) {
        use tickguard::sliding_window::{self as sw, SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
        let config = SlidingWindowConfig::new(SlidingWindowSettings { limit, window: span(window) }).unwrap();
        quick_decides_as_step(&config, sw::Acquire { n: 1, now: tick(start) }, garbage)?;
        quick_decides_as_step(&config, sw::Available { now: tick(start) }, garbage)?;
        let counter = SlidingWindow::new(&config);
        let mut held = Cell::new(config.fresh());
        let mut now = start;
        for (n, advance, lag) in ops {
            now = now.saturating_add(advance);
            let at = if lag { now.saturating_sub(advance * 3) } else { now };
            quick_agrees(&config, sw::Acquire { n, now: tick(at) }, held.get())?;
            quick_agrees(&config, sw::Available { now: tick(at) }, held.get())?;
            prop_assert_eq!(run(&config, sw::Acquire { n, now: tick(at) }, &mut held).unwrap(), counter.acquire(n, tick(at)));
            prop_assert_eq!(run(&config, sw::Available { now: tick(at) }, &mut held).unwrap(), counter.available(tick(at)));
        }
    }

    /// Bulkhead: the full refusal's quick check agrees on any word and
    /// along the walk; the held word decides what the bulkhead decides,
    /// for held, stale and made-up permits.
    #[test]
    fn bulkhead_held_word_matches_the_bulkhead(
        max in 1u32..=64, garbage in any::<u128>(),
        ops in proptest::collection::vec((0u8..3, any::<u32>(), any::<usize>()), 1..200),
    ) {
        use tickguard::bulkhead::{self as bh, Bulkhead, BulkheadConfig, BulkheadSettings, Permit};
        let config = BulkheadConfig::new(BulkheadSettings { max_concurrent: max, max_wait: span(9) }).unwrap();
        quick_decides_as_step(&config, bh::Acquire { now: tick(1) }, garbage)?;
        let pool = Bulkhead::new(&config);
        let mut held = Cell::new(config.fresh());
        let mut permits: Vec<Permit> = Vec::new();
        for (op, raw, pick) in ops {
            quick_agrees(&config, bh::Acquire { now: tick(1) }, held.get())?;
            match op {
                0 => {
                    let ours = run(&config, bh::Acquire { now: tick(1) }, &mut held).unwrap();
                    prop_assert_eq!(ours, pool.acquire(tick(1)));
                    permits.extend(ours.ok());
                }
                1 if !permits.is_empty() => {
                    let permit = permits[pick % permits.len()];
                    prop_assert_eq!(run(&config, bh::Release { permit }, &mut held).unwrap(), pool.release(permit));
                }
                _ => {
                    let permit = Permit::from_raw(raw);
                    prop_assert_eq!(run(&config, bh::Release { permit }, &mut held).unwrap(), pool.release(permit));
                }
            }
            prop_assert_eq!(config.fresh() == held.get(), pool.in_flight() == 0 && held.get() == 0);
        }
    }

    /// Budget, degradation levels and tick extender: quick checks agree on
    /// any word; held words match the primitives.
    #[test]
    fn small_machines_held_words_match(
        max in 1u32..20, ratio in 1u32..1_000, garbage in any::<u64>(),
        ops in proptest::collection::vec((0u8..8, any::<u8>(), any::<u32>()), 1..200),
    ) {
        let config = BudgetConfig::new(tickguard::budget::BudgetSettings { max_tokens: max, token_ratio_milli: ratio.min(max * 1_000) }).unwrap();
        quick_decides_as_step(&config, budget::RetryAllowed, garbage)?;
        let budget = RetryBudget::new(&config);
        let mut budget_word = Cell::new(config.fresh());
        let levels = Degradation::new();
        let mut levels_word = Cell::new(Levels.fresh());
        let extender = TickExtender::new();
        let mut extender_word = Cell::new(Extension.fresh());
        for (op, small, raw) in ops {
            match op {
                0 => { run(&config, budget::RecordFailure, &mut budget_word).unwrap(); budget.record_failure(); }
                1 => { run(&config, budget::RecordSuccess, &mut budget_word).unwrap(); budget.record_success(); }
                2 => prop_assert_eq!(run(&Levels, degrade::SetLevel { level: small }, &mut levels_word).unwrap(), levels.set_level(small)),
                3 => {
                    let state = breaker::State::ALL[usize::from(small % 5)];
                    let input = degrade::FollowBreaker { state, level_while_open: small / 5 };
                    prop_assert_eq!(run(&Levels, input, &mut levels_word).unwrap(), levels.follow_breaker(state, small / 5));
                }
                4 => prop_assert_eq!(run(&Levels, degrade::SwitchOff { switch: small % 40 }, &mut levels_word).unwrap(), levels.switch_off(small % 40)),
                5 => prop_assert_eq!(run(&Levels, degrade::SwitchOn { switch: small % 40 }, &mut levels_word).unwrap(), levels.switch_on(small % 40)),
                _ => prop_assert_eq!(run(&Extension, Extend { raw }, &mut extender_word).unwrap(), extender.extend(raw).ticks()),
            }
            prop_assert_eq!(run(&config, budget::RetryAllowed, &mut budget_word).unwrap(), budget.allows_retry());
        }
        prop_assert_eq!(extender_word.get(), extender.latest().ticks());
    }
}

/// Two threads spend and refill a budget held in a shared `AtomicU64`
/// through `machine::run`: no update is lost (the word ends where the
/// sequence of steps, in any order, leads: all failures then all
/// successes is the same count either way).
#[test]
fn a_word_in_a_shared_atomic_loses_no_update() {
    use std::sync::atomic::AtomicU64;
    let config = BudgetConfig::new(tickguard::budget::BudgetSettings {
        max_tokens: 1_000_000,
        token_ratio_milli: 1_000,
    })
    .unwrap();
    let shared = AtomicU64::new(config.fresh());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..10_000 {
                    run(&config, budget::RecordFailure, &mut &shared).unwrap();
                }
            });
        }
    });
    // 20 000 failures of 1 000 thousandths each, from a full budget.
    assert_eq!(
        shared.load(std::sync::atomic::Ordering::Relaxed),
        20_000_000
    );
}
