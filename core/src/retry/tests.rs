use super::*;
use crate::budget::{BudgetConfig, RetryBudget};
use crate::time::testing::{span, tick};
use proptest::prelude::*;

fn policy(
    max_attempts: u32,
    backoff: Backoff,
    jitter: Jitter,
    max_delay: Tick,
    deadline: Option<Tick>,
) -> RetryPolicy {
    RetryPolicy::new(RetrySettings {
        max_attempts,
        backoff,
        jitter,
        max_delay: span(max_delay),
        deadline: deadline.map(span),
    })
    .unwrap()
}

const EXP2: Backoff = Backoff::Exponential {
    base: Duration::from_ticks(100),
    multiplier_milli: 2_000,
};

#[test]
fn backoff_kinds_and_the_cap() {
    let constant = policy(
        10,
        Backoff::Constant { delay: span(70) },
        Jitter::None,
        1_000,
        None,
    );
    assert!((1..10).all(|n| constant.backoff(n) == span(70)));
    let exp = policy(10, EXP2, Jitter::None, 5_000, None);
    assert_eq!(
        (1..=7).map(|n| exp.backoff(n).ticks()).collect::<Vec<_>>(),
        [100, 200, 400, 800, 1_600, 3_200, 5_000]
    );
    let fractional = policy(
        10,
        Backoff::Exponential {
            base: span(1_000),
            multiplier_milli: 1_500,
        },
        Jitter::None,
        u64::MAX >> 2,
        None,
    );
    assert_eq!(
        (1..=5)
            .map(|n| fractional.backoff(n).ticks())
            .collect::<Vec<_>>(),
        [1_000, 1_500, 2_250, 3_375, 5_062]
    );
    // No overflow for any attempt number, any base, any multiplier.
    for m in [1_000u32, 1_001, 2_000, u32::MAX] {
        let p = policy(
            u32::MAX,
            Backoff::Exponential {
                base: span(MAX_DURATION),
                multiplier_milli: m,
            },
            Jitter::None,
            MAX_DURATION,
            None,
        );
        for n in [1, 2, 63, 64, 65, 1_000, u32::MAX] {
            assert!(p.backoff(n) <= span(MAX_DURATION));
        }
    }
    let linear = policy(
        u32::MAX,
        Backoff::Linear {
            base: span(MAX_DURATION),
            step: span(MAX_DURATION),
        },
        Jitter::None,
        77,
        None,
    );
    assert_eq!(linear.backoff(u32::MAX), span(77));
}

#[test]
fn max_attempts_counts_the_first_call() {
    let p = policy(
        3,
        Backoff::Constant { delay: span(10) },
        Jitter::None,
        10,
        None,
    );
    let mut a = Attempt::new(tick(0), 1);
    assert_eq!(
        p.next(&mut a, Failure::Retryable, tick(0), None),
        Decision::RetryAt(tick(10))
    );
    assert_eq!(
        p.next(&mut a, Failure::Retryable, tick(10), None),
        Decision::RetryAt(tick(20))
    );
    assert_eq!(
        p.next(&mut a, Failure::Retryable, tick(20), None),
        Decision::GiveUp(GiveUp::AttemptsExhausted)
    );
    let once = policy(
        1,
        Backoff::Constant { delay: span(10) },
        Jitter::None,
        10,
        None,
    );
    let mut a = Attempt::new(tick(0), 1);
    assert_eq!(
        once.next(&mut a, Failure::Retryable, tick(0), None),
        Decision::GiveUp(GiveUp::AttemptsExhausted)
    );
}

#[test]
fn a_server_pushback_restarts_the_backoff() {
    // gRPC A6: 6 attempts, exponential 100 s x 2 capped at 700 s (ms ticks);
    // pushbacks of 123 ms and 4 567 s, then plain failures: 100, 200, 400 s.
    for (jitter, spread) in [
        (Jitter::None, 0),
        (Jitter::Proportional { per_mille: 200 }, 200),
    ] {
        let exponential = Backoff::Exponential {
            base: span(100_000),
            multiplier_milli: 2_000,
        };
        let p = policy(6, exponential, jitter, 700_000, None);
        for seed in 0..50 {
            let mut a = Attempt::new(tick(0), seed);
            let mut now = 10;
            for pushback in [123, 4_567_000] {
                let at = now + pushback;
                assert_eq!(
                    p.next(&mut a, Failure::RetryAfter(tick(at)), tick(now), None),
                    Decision::RetryAt(tick(at))
                );
                now = at + 10;
            }
            for expected in [100_000u64, 200_000, 400_000] {
                let Some(at) = p
                    .next(&mut a, Failure::Retryable, tick(now), None)
                    .retry_tick()
                else {
                    panic!("gave up early");
                };
                let delay = at - now;
                let low = expected - expected * spread / 1_000;
                let high = expected + expected * spread / 1_000;
                assert!(
                    (low..=high).contains(&delay),
                    "seed {seed}: {delay} for {expected}"
                );
                now = at + 10;
            }
            assert_eq!(
                p.next(&mut a, Failure::Retryable, tick(now), None),
                Decision::GiveUp(GiveUp::AttemptsExhausted)
            );
        }
    }
    // Decorrelated jitters start from the base again too: U(base, 3 base).
    for jitter in [Jitter::Decorrelated, Jitter::DecorrelatedV2] {
        let p = policy(
            100,
            Backoff::Constant { delay: span(100) },
            jitter,
            1 << 40,
            None,
        );
        for seed in 0..20 {
            let mut a = Attempt::new(tick(0), seed);
            let mut now = 0;
            for _ in 0..20 {
                let Some(at) = p
                    .next(&mut a, Failure::Retryable, tick(now), None)
                    .retry_tick()
                else {
                    panic!("gave up early");
                };
                now = at;
            }
            assert_eq!(
                p.next(&mut a, Failure::RetryAfter(tick(now + 5)), tick(now), None),
                Decision::RetryAt(tick(now + 5))
            );
            now += 5;
            let Some(at) = p
                .next(&mut a, Failure::Retryable, tick(now), None)
                .retry_tick()
            else {
                panic!("gave up early");
            };
            assert!(at - now <= 300, "{jitter:?}, seed {seed}: {}", at - now);
        }
    }
}

#[test]
fn deadline_server_directions_and_refusals() {
    let p = policy(
        10,
        Backoff::Constant { delay: span(100) },
        Jitter::None,
        100,
        Some(1_000),
    );
    let mut a = Attempt::new(tick(500), 1);
    // Retry-After replaces the computed delay, uncapped.
    assert_eq!(
        p.next(&mut a, Failure::RetryAfter(tick(900)), tick(510), None),
        Decision::RetryAt(tick(900))
    );
    // A refusal is retried at the tick it named, never earlier.
    assert_eq!(
        p.next(&mut a, Failure::Refused(Some(tick(1_200))), tick(900), None),
        Decision::RetryAt(tick(1_200))
    );
    // The deadline is 500 + 1000: a retry at 1 300 + 100 would start past it.
    assert_eq!(
        p.next(&mut a, Failure::Retryable, tick(1_450), None),
        Decision::GiveUp(GiveUp::Deadline)
    );
    let mut a = Attempt::new(tick(0), 1);
    assert_eq!(
        p.next(&mut a, Failure::RetryAfter(tick(1_001)), tick(0), None),
        Decision::GiveUp(GiveUp::Deadline)
    );
    let mut a = Attempt::new(tick(0), 1);
    assert_eq!(
        p.next(&mut a, Failure::DoNotRetry, tick(0), None),
        Decision::GiveUp(GiveUp::ServerSaidStop)
    );
    assert_eq!(
        p.next(&mut a, Failure::NotRetryable, tick(0), None),
        Decision::GiveUp(GiveUp::NotRetryable)
    );
    assert_eq!(
        p.next(&mut a, Failure::Refused(None), tick(0), None),
        Decision::GiveUp(GiveUp::RefusedIndefinitely)
    );
    // A refusal naming a tick in the past retries now.
    let mut a = Attempt::new(tick(0), 1);
    assert_eq!(
        p.next(&mut a, Failure::Refused(Some(tick(3))), tick(50), None),
        Decision::RetryAt(tick(50))
    );
}

#[test]
fn lagging_now_never_moves_retries_back() {
    let p = policy(
        10,
        Backoff::Constant { delay: span(100) },
        Jitter::None,
        100,
        None,
    );
    let mut a = Attempt::new(tick(1_000), 1);
    assert_eq!(
        p.next(&mut a, Failure::Retryable, tick(1_000), None),
        Decision::RetryAt(tick(1_100))
    );
    // The retry's failure is reported with a stale tick.
    assert_eq!(
        p.next(&mut a, Failure::Retryable, tick(10), None),
        Decision::RetryAt(tick(1_200))
    );
}

#[test]
fn the_budget_gates_retries() {
    let config = BudgetConfig::new(crate::budget::BudgetSettings {
        max_tokens: 2,
        token_ratio_milli: 100,
    })
    .unwrap();
    let budget = RetryBudget::new(&config);
    let p = policy(
        10,
        Backoff::Constant { delay: span(1) },
        Jitter::None,
        1,
        None,
    );
    let mut a = Attempt::new(tick(0), 1);
    assert_eq!(
        p.next(&mut a, Failure::Retryable, tick(0), Some(&budget)),
        Decision::RetryAt(tick(1))
    );
    budget.record_failure();
    assert_eq!(
        p.next(&mut a, Failure::Retryable, tick(1), Some(&budget)),
        Decision::GiveUp(GiveUp::BudgetEmpty)
    );
}

/// The bounds of each jitter kind around a delay `d` (before the cap).
fn bounds(jitter: Jitter, d: Tick, base: Tick) -> (Tick, Tick) {
    match jitter {
        Jitter::None => (d, d),
        Jitter::Additive { max } => (d, d + max.ticks()),
        Jitter::Full => (0, d),
        Jitter::Equal => (d / 2, d),
        Jitter::Proportional { per_mille } => {
            let s = d * u64::from(per_mille) / 1_000;
            (d - s, d + s)
        }
        Jitter::Decorrelated => (base, Tick::MAX),
        Jitter::DecorrelatedV2 => (0, Tick::MAX),
    }
}

const JITTERS: [Jitter; 7] = [
    Jitter::None,
    Jitter::Additive {
        max: Duration::from_ticks(300),
    },
    Jitter::Full,
    Jitter::Equal,
    Jitter::Decorrelated,
    Jitter::Proportional { per_mille: 250 },
    Jitter::DecorrelatedV2,
];

#[test]
fn every_jitter_stays_in_bounds_and_under_the_cap() {
    for jitter in JITTERS {
        for cap in [0u64, 150, 1_000, 1 << 40] {
            let p = policy(30, EXP2, jitter, cap, None);
            for seed in 0..200u64 {
                let mut a = Attempt::new(tick(0), seed);
                let mut now = 0;
                for n in 1..30 {
                    let Some(at) = p
                        .next(&mut a, Failure::Retryable, tick(now), None)
                        .retry_tick()
                    else {
                        panic!("gave up at {n}");
                    };
                    let delay = at - now;
                    assert!(delay <= cap, "{jitter:?} cap {cap}: {delay}");
                    let (lo, hi) = bounds(jitter, p.backoff(n).ticks(), 100);
                    assert!(
                        delay >= lo.min(cap) && delay <= hi.min(cap),
                        "{jitter:?} n={n}: {delay} not in {lo}..={hi}"
                    );
                    if jitter == Jitter::Decorrelated && cap >= 100 {
                        assert!(delay >= 100, "decorrelated never goes below base");
                    }
                    now = at;
                }
            }
        }
    }
}

#[test]
fn jitter_means_match_their_distributions() {
    // Over many deterministic seeds, the mean of the first retry's delay.
    let d = 10_000u64;
    let cases = [
        (Jitter::Additive { max: span(2_000) }, d as f64 + 1_000.0),
        (Jitter::Full, d as f64 / 2.0),
        (Jitter::Equal, d as f64 * 0.75),
        (Jitter::Proportional { per_mille: 200 }, d as f64),
        // U(base, 3 base): mean 2 base.
        (Jitter::Decorrelated, 2.0 * d as f64),
    ];
    for (jitter, expected) in cases {
        let p = policy(
            5,
            Backoff::Constant { delay: span(d) },
            jitter,
            1 << 40,
            None,
        );
        let samples = 20_000u64;
        let sum: u64 = (0..samples)
            .map(|seed| {
                let mut a = Attempt::new(tick(0), seed);
                match p.next(&mut a, Failure::Retryable, tick(0), None) {
                    Decision::RetryAt(at) => at.ticks(),
                    other => panic!("{other:?}"),
                }
            })
            .sum();
        let mean = sum as f64 / samples as f64;
        assert!(
            (mean - expected).abs() < expected * 0.02,
            "{jitter:?}: mean {mean}, expected {expected}"
        );
    }
    // Polly's v2: the first delay has a median near the base (0.66–1.33 base
    // in Polly's tests of its formula; check the mean of the first five).
    let p = policy(
        10,
        Backoff::Constant { delay: span(1_000) },
        Jitter::DecorrelatedV2,
        1 << 40,
        None,
    );
    let mut total = [0f64; 5];
    for seed in 0..5_000u64 {
        let mut a = Attempt::new(tick(0), seed);
        let mut now = 0;
        for slot in &mut total {
            let Some(at) = p
                .next(&mut a, Failure::Retryable, tick(now), None)
                .retry_tick()
            else {
                panic!()
            };
            *slot += (at - now) as f64;
            now = at;
        }
    }
    let means: Vec<f64> = total.iter().map(|t| t / 5_000.0).collect();
    assert!(means.windows(2).all(|w| w[1] > w[0]), "v2 grows: {means:?}");
    assert!(
        means[0] > 300.0 && means[0] < 1_500.0,
        "v2 first delay around the base: {means:?}"
    );
}

#[test]
fn seeds_decide_the_sequence() {
    let p = policy(20, EXP2, Jitter::Full, 1 << 30, None);
    let run = |seed| {
        let mut a = Attempt::new(tick(0), seed);
        (0..15)
            .map(
                |_| match p.next(&mut a, Failure::Retryable, tick(0), None) {
                    Decision::RetryAt(at) => at.ticks(),
                    Decision::GiveUp(g) => panic!("{g:?}"),
                },
            )
            .collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    assert_ne!(run(0), run(1));
}

#[test]
fn the_default_is_valid() {
    assert_eq!(
        RetryPolicy::new(RetryPolicy::DEFAULT_SETTINGS),
        Ok(RetryPolicy::DEFAULT)
    );
    assert_eq!(RetryPolicy::default(), RetryPolicy::DEFAULT);
    let p = RetryPolicy::DEFAULT;
    assert_eq!(
        [1, 2, 3, 7, 8].map(|n| p.backoff(n).ticks()),
        [1_000, 2_000, 4_000, 60_000, 60_000]
    );
}

#[test]
fn invalid_settings_are_refused() {
    let ok = RetrySettings {
        max_attempts: 3,
        backoff: EXP2,
        jitter: Jitter::None,
        max_delay: span(10),
        deadline: None,
    };
    let with = |f: fn(&mut RetrySettings)| {
        let mut s = ok;
        f(&mut s);
        RetryPolicy::new(s)
    };
    assert!(RetryPolicy::new(ok).is_ok());
    assert_eq!(with(|s| s.max_attempts = 0), Err(ConfigError::MaxAttempts));
    // Each field out of range names itself.
    assert_eq!(
        with(|s| s.max_delay = span(MAX_DURATION + 1)),
        Err(ConfigError::MaxDelay)
    );
    assert_eq!(
        with(|s| s.deadline = Some(span(MAX_DURATION + 1))),
        Err(ConfigError::Deadline)
    );
    for backoff in [
        Backoff::Constant {
            delay: span(MAX_DURATION + 1),
        },
        Backoff::Linear {
            base: span(MAX_DURATION + 1),
            step: span(1),
        },
        Backoff::Exponential {
            base: span(MAX_DURATION + 1),
            multiplier_milli: 2_000,
        },
    ] {
        assert_eq!(with_backoff(ok, backoff), Err(ConfigError::BackoffDelay));
    }
    assert_eq!(
        with(|s| s.backoff = Backoff::Linear {
            base: span(1),
            step: span(MAX_DURATION + 1)
        }),
        Err(ConfigError::BackoffStep)
    );
    assert_eq!(
        with(|s| s.backoff = Backoff::Exponential {
            base: span(1),
            multiplier_milli: 999
        }),
        Err(ConfigError::Multiplier)
    );
    assert_eq!(
        with(|s| s.jitter = Jitter::Proportional { per_mille: 1_001 }),
        Err(ConfigError::Jitter)
    );
    assert_eq!(
        with(|s| s.jitter = Jitter::Additive {
            max: span(MAX_DURATION + 1)
        }),
        Err(ConfigError::JitterTicks)
    );
    // At the limits, all accepted.
    let most = RetrySettings {
        max_attempts: u32::MAX,
        backoff: Backoff::Linear {
            base: span(MAX_DURATION),
            step: span(MAX_DURATION),
        },
        jitter: Jitter::Additive {
            max: span(MAX_DURATION),
        },
        max_delay: span(MAX_DURATION),
        deadline: Some(span(MAX_DURATION)),
    };
    assert!(RetryPolicy::new(most).is_ok());
}

fn with_backoff(settings: RetrySettings, backoff: Backoff) -> Result<RetryPolicy, ConfigError> {
    RetryPolicy::new(RetrySettings {
        backoff,
        ..settings
    })
}

fn jitter_strategy() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        (0u64..1_000).prop_map(|max| Jitter::Additive { max: span(max) }),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated),
        (0u32..=1_000).prop_map(|per_mille| Jitter::Proportional { per_mille }),
        Just(Jitter::DecorrelatedV2),
    ]
}

fn backoff_strategy() -> impl Strategy<Value = Backoff> {
    prop_oneof![
        (0u64..10_000).prop_map(|delay| Backoff::Constant { delay: span(delay) }),
        (0u64..10_000, 0u64..10_000).prop_map(|(base, step)| Backoff::Linear {
            base: span(base),
            step: span(step)
        }),
        (0u64..10_000, 1_000u32..5_000).prop_map(|(base, m)| Backoff::Exponential {
            base: span(base),
            multiplier_milli: m
        }),
    ]
}

fn outcome_strategy() -> impl Strategy<Value = Failure> {
    prop_oneof![
        6 => Just(Failure::Retryable),
        1 => Just(Failure::NotRetryable),
        1 => (0u64..100_000).prop_map(|t| Failure::RetryAfter(tick(t))),
        1 => Just(Failure::DoNotRetry),
        2 => (0u64..100_000).prop_map(|t| Failure::Refused(Some(tick(t)))),
        1 => Just(Failure::Refused(None)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// Whatever happens, a schedule never exceeds its cap (computed delays),
    /// its deadline or its attempt count, never retries earlier than a
    /// refusal or the server said, and never moves back in time.
    #[test]
    fn schedules_keep_every_bound(
        max_attempts in 1u32..12, backoff in backoff_strategy(), jitter in jitter_strategy(),
        max_delay in 0u64..20_000, deadline in proptest::option::of(0u64..100_000),
        seed in any::<u64>(), start in 0u64..1_000_000,
        steps in proptest::collection::vec((outcome_strategy(), 0u64..5_000, any::<bool>()), 1..20),
    ) {
        let p = policy(max_attempts, backoff, jitter, max_delay, deadline);
        let mut a = Attempt::new(tick(start), seed);
        let mut latest = start;
        let mut calls = 0u32;
        for (outcome, wait, lag) in steps {
            // The attempt ran and ended `wait` ticks after its start, or the
            // caller reports with a lagging tick.
            let now = if lag { start } else { latest + wait };
            calls += 1;
            let outcome = match outcome {
                Failure::RetryAfter(t) => Failure::RetryAfter(t + span(start)),
                Failure::Refused(Some(t)) => Failure::Refused(Some(t + span(start))),
                other => other,
            };
            match p.next(&mut a, outcome, tick(now), None) {
                Decision::RetryAt(at) => {
                    let at = at.ticks();
                    prop_assert!(calls < max_attempts, "retry after {} of {} calls", calls, max_attempts);
                    prop_assert!(at >= latest.max(now), "retry moved back");
                    if let Some(d) = deadline { prop_assert!(at <= start + d); }
                    match outcome {
                        Failure::Retryable => prop_assert!(at - latest.max(now) <= max_delay),
                        Failure::RetryAfter(t) | Failure::Refused(Some(t)) => prop_assert!(at >= t.ticks()),
                        other => prop_assert!(false, "retried after {:?}", other),
                    }
                    latest = at;
                }
                Decision::GiveUp(_) => break,
            }
        }
    }
}

/// Polly's v2 curve and delays in fixed point agree with the real curve in
/// `f64` (relative error below 10^-7 on the curve; delays within 10^-6 and
/// one tick), from the first attempt to far past every cap.
#[test]
fn v2_fixed_point_matches_the_real_curve() {
    use super::v2;
    let real = |t: f64| t.exp2() * (4.0 * t).sqrt().tanh();
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng >> 34
    };
    for k in 0..40u32 {
        for _ in 0..2_000 {
            let u = next();
            let t = f64::from(k) + u as f64 / (1u64 << 30) as f64;
            assert!(
                v2::curve(k, u) < 1 << 31,
                "the curve over 2^k fits an attempt's u32"
            );
            let fixed = v2::curve(k, u) as f64 / (1u64 << 30) as f64 * f64::from(k).exp2();
            let expected = real(t);
            assert!(
                (fixed - expected).abs() <= expected * 1e-7 + 1e-9,
                "k {k} u {u}: {fixed} vs {expected}"
            );
        }
    }
    for (u, expected) in [(0u64, 1.0f64), (1 << 29, 2f64.sqrt()), ((1 << 30) - 1, 2.0)] {
        let got = v2::exp2_fraction(u) as f64 / (1u64 << 30) as f64;
        assert!((got - expected).abs() < 1e-8, "2^{u}: {got}");
    }
    // Whole delays, step by step, against the same steps in f64.
    for base in [1u64, 7, 1_000, 1 << 20] {
        for seed in 0..200u64 {
            let cap = 1u64 << 50;
            let mut previous_fixed = (0u64, 0u32);
            let mut previous_real = 0f64;
            let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for k in 0..60u32 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let u = state >> 34;
                let t = f64::from(k) + u as f64 / (1u64 << 30) as f64;
                let value = real(t);
                let real_delay = ((value - previous_real) / 1.4 * base as f64).min(cap as f64);
                previous_real = value;
                let next = v2::curve(k, u);
                let previous = previous_fixed.0 >> (k - previous_fixed.1);
                previous_fixed = (next, k);
                let delay = v2::delay(next.saturating_sub(previous), k, base, cap) as f64;
                assert!(
                    (delay - real_delay).abs() <= real_delay * 1e-6 + 1.0,
                    "base {base} seed {seed} k {k}: {delay} vs {real_delay}"
                );
            }
        }
    }
}

#[test]
fn an_attempt_is_48_bytes() {
    // The C ABI's `tg_retry_attempt_t` holds one; README states the size.
    assert_eq!(core::mem::size_of::<Attempt>(), 48);
}
