use super::*;
use crate::time::testing::tick;
use proptest::prelude::*;

fn bucket(capacity: u32, tokens: u32, period: Tick) -> TokenBucket<BucketConfig> {
    TokenBucket::new(BucketConfig::rate(capacity, tokens, period).unwrap())
}

/// Ticks across the whole range a device can reach, and past it.
const STARTS: [Tick; 6] = [0, 777, 1 << 32, 1 << 61, MAX_DURATION, u64::MAX - 1_000];

#[test]
fn config_fields_at_zero_one_and_maximum() {
    use ConfigError::*;
    assert_eq!(BucketConfig::rate(0, 1, 1), Err(ZeroCapacity));
    assert_eq!(BucketConfig::rate(1, 0, 1), Err(ZeroRefill));
    assert_eq!(BucketConfig::rate(1, 1, 0), Err(Period));
    assert!(BucketConfig::rate(1, 1, 1).is_ok());
    assert!(BucketConfig::rate(u32::MAX, 1, MAX_DURATION).is_ok());
    assert!(BucketConfig::rate(1, u32::MAX, 1).is_ok());
    assert!(BucketConfig::rate(u32::MAX, u32::MAX - 1, MAX_DURATION - 1).is_ok());
    assert_eq!(BucketConfig::rate(1, 1, MAX_DURATION + 1), Err(Period));
    let c = BucketConfig::rate(3, 1, 1).unwrap();
    assert_eq!(c.with_initial_fill(0).unwrap().initial_fill(), 0);
    assert_eq!(c.with_initial_fill(3).unwrap().initial_fill(), 3);
    assert_eq!(c.with_initial_fill(4), Err(InitialFill));
}

#[test]
fn burst_then_steady_rate_anywhere_on_the_tick_line() {
    for start in STARTS {
        let b = bucket(5, 1, 10);
        for _ in 0..5 {
            assert_eq!(b.acquire(1, tick(start)), Ok(()));
        }
        let next = start.saturating_add(10);
        assert_eq!(
            b.acquire(1, tick(start)),
            Err(Refused::Wait {
                retry_at: tick(next)
            })
        );
        if next < u64::MAX {
            assert_eq!(
                b.acquire(1, tick(next - 1)),
                Err(Refused::Wait {
                    retry_at: tick(next)
                })
            );
            assert_eq!(b.acquire(1, tick(next)), Ok(()));
        }
        assert_eq!(
            b.available(tick(start.saturating_add(1_000))),
            5.min(b.available(tick(u64::MAX)))
        );
    }
}

#[test]
fn rational_refill_is_exact_over_k_periods() {
    // 3 tokens every 7 ticks: no remainder is ever lost.
    let b = bucket(1_000, 3, 7);
    b.acquire(1_000, tick(0)).unwrap();
    for k in 1..=100u32 {
        let t = 7 * u64::from(k);
        assert_eq!(b.available(tick(t)), (3 * k).min(1_000), "k={k}");
        assert_eq!(b.available(tick(t - 1)), (3 * k * 7 - 3) / 7);
    }
    // Taking one token at a time as soon as it exists yields exactly 3 per 7,
    // also far out on the tick line.
    for start in [0u64, 1 << 40, MAX_DURATION] {
        let b = bucket(5, 3, 7);
        b.acquire(5, tick(start)).unwrap();
        let mut now = start;
        let mut granted = 0;
        while now <= start + 7 * 300 {
            match b.acquire(1, tick(now)) {
                Ok(()) => granted += 1,
                Err(Refused::Wait { retry_at }) => now = retry_at.ticks(),
                Err(Refused::ExceedsCapacity) => unreachable!(),
            }
        }
        assert_eq!(granted, 900, "start={start}"); // 3 per 7 ticks
    }
    // Huge rates and periods: exact too.
    let b = bucket(2, u32::MAX, MAX_DURATION);
    b.acquire(2, tick(0)).unwrap();
    assert_eq!(b.available(tick(MAX_DURATION)), 2);
    assert_eq!(b.available(tick(MAX_DURATION / u64::from(u32::MAX))), 0);
}

#[test]
fn zero_and_oversized_requests() {
    let b = bucket(4, 1, 1);
    assert_eq!(b.acquire(0, tick(5)), Ok(()));
    assert_eq!(b.raw_word(), 0);
    assert_eq!(b.acquire(5, tick(5)), Err(Refused::ExceedsCapacity));
    assert_eq!(b.acquire(u32::MAX, tick(5)), Err(Refused::ExceedsCapacity));
    assert_eq!(b.raw_word(), 0);
    assert_eq!(b.acquire(4, tick(5)), Ok(()));
    assert_eq!(b.acquire(0, tick(5)), Ok(()));
}

#[test]
fn refusal_writes_nothing() {
    let b = bucket(2, 1, 100);
    b.acquire(2, tick(50)).unwrap();
    let word = b.raw_word();
    for t in (0..150).chain([1, 0]) {
        assert!(b.acquire(1, tick(t)).is_err());
        assert_eq!(b.raw_word(), word);
    }
}

#[test]
fn initial_fill_and_first_touch() {
    for start in STARTS {
        let c = BucketConfig::rate(4, 1, 10)
            .unwrap()
            .with_initial_fill(1)
            .unwrap();
        let b = TokenBucket::new(c);
        assert_eq!(b.available(tick(start)), 1);
        // The first use fixes the start, even when refused.
        assert_eq!(
            b.acquire(2, tick(start)),
            Err(Refused::Wait {
                retry_at: tick(start.saturating_add(10))
            })
        );
        if start < u64::MAX - 100 {
            assert_eq!(b.available(tick(start + 30)), 4);
            assert_eq!(b.acquire(4, tick(start + 30)), Ok(()));
        }
    }
}

#[test]
fn the_bound_is_on_the_buckets_timeline_not_on_true_time() {
    // Capacity 10, 1 token per 1 000 ticks; one token taken at t0 + 1 000,
    // then idle until true time t0 + 100 000.
    let t0 = 1u64 << 40;
    let b = bucket(10, 1, 1_000);
    b.acquire(1, tick(t0 + 1_000)).unwrap();
    // A caller whose `now` is stale (t0 + 999) is measured from the state
    // the latest tick left: no more than a caller at t0 + 1 000 would get.
    let stale = (0..20)
        .filter(|_| b.acquire(1, tick(t0 + 999)).is_ok())
        .count();
    let at_latest = {
        let fresh = bucket(10, 1, 1_000);
        fresh.acquire(1, tick(t0 + 1_000)).unwrap();
        (0..20)
            .filter(|_| fresh.acquire(1, tick(t0 + 1_000)).is_ok())
            .count()
    };
    assert_eq!((stale, at_latest), (8, 9), "fewer, never more");
    // An up-to-date caller then finds everything refilled since: over true
    // time the bucket granted 1 + 8 + 10 in one interval where capacity +
    // refill is 10 + 99. Docs promise the timeline bound only.
    let fresh = (0..20)
        .filter(|_| b.acquire(1, tick(t0 + 100_000)).is_ok())
        .count();
    assert_eq!(fresh, 10);
}

#[test]
fn lagging_callers_get_nothing_extra() {
    // The case: capacity 10 at 1 token per ms with µs ticks; a
    // handler samples `now`, works 15 ms, then calls with the old tick.
    let b = bucket(10, 1, 1_000);
    let mut granted = 0u64;
    let mut now = 0u64;
    for _ in 0..10_000 {
        now += 100; // a request every 100 µs
        if b.acquire(1, tick(now)).is_ok() {
            granted += 1;
        }
        if b.acquire(1, tick(now.saturating_sub(15_000))).is_ok() {
            granted += 1;
        }
    }
    // 1 s of true time: at most 10 + 1000 tokens.
    assert!(granted <= 10 + now / 1_000, "{granted}");
    // Every lag, up to the whole tick range, is a refusal on an empty bucket.
    let b = bucket(3, 1, 100);
    b.acquire(3, tick(1 << 50)).unwrap();
    for lag in [1, 99, 100, 4_096, 1 << 20, 1 << 40, 1 << 50] {
        let now = (1u64 << 50) - lag;
        let word = b.raw_word();
        assert!(b.acquire(1, tick(now)).is_err(), "lag={lag}");
        assert_eq!(b.raw_word(), word);
        assert_eq!(b.available(tick(now)), 0);
    }
}

#[test]
fn long_idle_is_full_never_stale() {
    let b = bucket(3, 1, 1_000);
    b.acquire(3, tick(5)).unwrap();
    // However long the idle (any multiple of any word width), full again.
    for idle in [3_000u64, 1 << 31, 1 << 32, (1 << 32) + 5, 1 << 40, 1 << 62] {
        assert_eq!(b.available(tick(5 + idle)), 3, "idle={idle}");
    }
    assert_eq!(b.acquire(3, tick(5 + (1 << 45))), Ok(()));
    assert!(b.acquire(1, tick(5 + (1 << 45))).is_err());
}

#[test]
fn reset_and_garbage_words_never_panic() {
    let b = bucket(3, 1, 1);
    b.acquire(3, tick(0)).unwrap();
    b.reset();
    assert_eq!(b.available(tick(0)), 3);
    let configs = [
        BucketConfig::rate(1, 1, 1).unwrap(),
        BucketConfig::rate(u32::MAX, u32::MAX, MAX_DURATION).unwrap(),
        BucketConfig::rate(7, 3, 1 << 40)
            .unwrap()
            .with_initial_fill(2)
            .unwrap(),
    ];
    let mut x = 0x2545_F491_4F6C_DD1D_9E37_79B9_7F4A_7C15u128;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for c in &configs {
            for n in [0, 1, x as u32, u32::MAX] {
                let now = (x >> 64) as u64;
                let _ = c.acquire::<u128, false>(x, n, now);
                let _ = c.acquire::<u64, false>(x as u64, n, now);
                let _ = c.acquire::<u64, true>(x as u64, n, now);
            }
            let _ = c.available(x, x as u64);
            let _ = c.available(x as u64, x as u64);
        }
    }
}

#[test]
fn the_word_follows_units_per_tick_and_window() {
    // 64 bits while every TAT to the horizon fits: up to 3 units per tick.
    for (capacity, tokens, period, narrow) in [
        (20, 100, 1_000, true),        // 1 unit per tick
        (20, 1, 1_000_000_000, true),  // 1 per second at 1 GHz
        (u32::MAX, 1, 1 << 30, true),  // a window of 2^62 units
        (u32::MAX, 1, 1 << 31, false), // 2^63: no room above the horizon
        (20, 2, 7, true),              // 2 units per tick
        (20, 3, 1_000, true),          // 3 units per tick
        (20, 7, 1_000, false),         // 7 units per tick
        (1, u32::MAX, 1, false),       // 2^32 units per tick
    ] {
        let config = BucketConfig::rate(capacity, tokens, period).unwrap();
        assert_eq!(
            config.is_narrow(),
            narrow,
            "{capacity} per {tokens}/{period}"
        );
        assert!(!config.with_wide_word().is_narrow());
    }
    // The fast path: narrow, one unit per tick, starting full.
    let simple = BucketConfig::rate(5, 1, 10).unwrap();
    assert!(simple.simple_until > 0);
    assert_eq!(simple.with_initial_fill(4).unwrap().simple_until, 0);
    assert_eq!(BucketConfig::rate(5, 3, 10).unwrap().simple_until, 0);
    // The words a bucket does not use stay zero.
    let b = TokenBucket::new(simple);
    b.acquire(2, tick(100)).unwrap();
    assert_eq!((b.narrow.load(), b.wide.load()), (120, 0));
    let b = TokenBucket::new(simple.with_wide_word());
    b.acquire(2, tick(100)).unwrap();
    assert_eq!((b.narrow.load(), b.wide.load()), (0, 120));
}

#[test]
fn past_the_horizon_nothing_panics_or_over_admits() {
    let configs = [
        BucketConfig::rate(3, 1, 1).unwrap(),
        BucketConfig::rate(3, 1, 1)
            .unwrap()
            .with_initial_fill(1)
            .unwrap(),
        BucketConfig::rate(3, 3, 1_000).unwrap(),
        BucketConfig::rate(3, 7, 1_000).unwrap(),
        BucketConfig::rate(u32::MAX, 1, 1 << 30).unwrap(),
    ];
    for config in configs {
        for word in [config, config.with_wide_word()] {
            let window = word.window_in::<u128>() as u64;
            for now in [
                MAX_DURATION,
                u64::MAX.saturating_sub(window).saturating_sub(1),
                u64::MAX.saturating_sub(window),
                u64::MAX - 1,
                u64::MAX,
            ] {
                let b = TokenBucket::new(word);
                let mut granted = 0u64;
                for _ in 0..10 {
                    match b.acquire(1, tick(now)) {
                        Ok(()) => granted += 1,
                        Err(Refused::Wait { retry_at }) => {
                            assert!(
                                retry_at > tick(now) || retry_at == tick(u64::MAX),
                                "{retry_at} at {now}"
                            )
                        }
                        Err(Refused::ExceedsCapacity) => unreachable!(),
                    }
                }
                assert!(granted <= u64::from(word.capacity()), "{granted} at {now}");
            }
        }
    }
}

/// Plain reference token bucket with 64-bit absolute time and exact
/// rational tokens: `level` counts tokens × period.
#[derive(Clone, Copy)]
struct Reference {
    started: bool,
    level: u128,
    last: u64,
    capacity: u128,
    tokens: u128,
    period: u128,
}

impl Reference {
    fn refill(&mut self, now: u64) {
        if self.started && now > self.last {
            let max = self.capacity * self.period;
            self.level = (self.level + u128::from(now - self.last) * self.tokens).min(max);
            self.last = now;
        }
    }
    fn acquire(&mut self, n: u64, now: u64) -> Result<(), Refused> {
        if u128::from(n) > self.capacity {
            return Err(Refused::ExceedsCapacity);
        }
        if !self.started {
            // An untouched bucket holds its initial fill until first used.
            self.started = true;
            self.last = now;
        }
        self.refill(now);
        let need = u128::from(n) * self.period;
        if self.level >= need {
            self.level -= need;
            Ok(())
        } else {
            let wait = (need - self.level).div_ceil(self.tokens);
            Err(Refused::Wait {
                retry_at: tick(now.saturating_add(wait as u64)),
            })
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// In-order callers: exactly the reference bucket, anywhere on the line.
    #[test]
    fn bucket_agrees_with_the_reference_model(
        capacity in 1u32..20, tokens in 1u32..9, period in 1u64..50, fill in 0u32..20,
        start in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 2)],
        ops in proptest::collection::vec((0u32..25, 0u64..60), 1..200),
    ) {
        let fill = fill.min(capacity);
        let c = BucketConfig::rate(capacity, tokens, period).unwrap().with_initial_fill(fill).unwrap();
        let b = TokenBucket::new(c);
        let mut r = Reference {
            started: false,
            level: u128::from(fill) * u128::from(period), last: start,
            capacity: capacity.into(), tokens: tokens.into(), period: period.into(),
        };
        let mut now = start;
        for (n, dt) in ops {
            now += dt;
            let expected = if n == 0 { Ok(()) } else { r.acquire(n.into(), now) };
            prop_assert_eq!(b.acquire(n, tick(now)), expected, "n={} at {}", n, now);
            let mut probe = r;
            probe.refill(now);
            if probe.started {
                prop_assert_eq!(u128::from(b.available(tick(now))), probe.level / probe.period);
            }
        }
    }

    /// The 64-bit word (fast path or not) decides exactly as the 128-bit
    /// word on the same configuration, for lagging callers and across the
    /// whole tick range up to the horizon.
    #[test]
    fn narrow_and_wide_words_agree(
        capacity in prop_oneof![1u32..20, Just(u32::MAX)],
        tokens in prop_oneof![1u32..5, Just(1_000u32)],
        period in prop_oneof![1u64..50, Just(1_000u64), Just(1u64 << 30)],
        fill in prop_oneof![Just(None), (0u32..20).prop_map(Some)],
        start in prop_oneof![Just(0u64), 0u64..(MAX_DURATION - (1 << 40))],
        ops in proptest::collection::vec(
            (prop_oneof![0u32..25, Just(u32::MAX)], 0u64..60, prop_oneof![Just(0u64), 0u64..1_000]),
            1..150),
    ) {
        let mut c = BucketConfig::rate(capacity, tokens, period).unwrap();
        if let Some(fill) = fill {
            c = c.with_initial_fill(fill.min(capacity)).unwrap();
        }
        prop_assume!(c.is_narrow());
        let (narrow, wide) = (TokenBucket::new(c), TokenBucket::new(c.with_wide_word()));
        let mut now = start;
        for (n, dt, lag) in ops {
            now += dt;
            let at = now.saturating_sub(lag);
            prop_assert_eq!(narrow.acquire(n, tick(at)), wide.acquire(n, tick(at)), "n={} at {}", n, at);
            prop_assert_eq!(narrow.available(tick(at)), wide.available(tick(at)));
            prop_assert_eq!(narrow.raw_word(), wide.raw_word());
        }
    }

    /// Callers whose `now` lags by anything up to years, in any interleaving.
    /// Time is the latest tick the bucket has been shown (a lagging `now`
    /// means no time elapsed): over every interval of it the bucket grants
    /// at most capacity + the refill of that interval. (After any acquire at
    /// tick L the TAT is at or past L, so a lagging caller is measured from
    /// the TAT, as a caller at L would be.)
    #[test]
    fn lagging_callers_never_exceed_capacity_plus_refill(
        capacity in 1u32..12, tokens in 1u32..5, period in 1u64..40,
        ops in proptest::collection::vec(
            (1u32..14, prop_oneof![Just(0u64), 0u64..30, 0u64..5_000, Just(1u64 << 40)], 0u64..25),
            1..300),
    ) {
        let c = BucketConfig::rate(capacity, tokens, period).unwrap();
        let b = TokenBucket::new(c);
        let mut true_now = 1u64 << 45;
        let mut clock = 0u64; // the latest tick the bucket has been shown
        let mut grants: Vec<(u64, u32)> = Vec::new(); // (clock, tokens)
        for (n, lag, dt) in ops {
            true_now += dt;
            let now = true_now.saturating_sub(lag);
            if n <= capacity {
                clock = clock.max(now); // a request the bucket can judge
            }
            if b.acquire(n, tick(now)).is_ok() {
                grants.push((clock, n));
            }
        }
        // Every window [grants[i].0, grants[j].0] of the bucket's timeline.
        for i in 0..grants.len() {
            let mut total = 0u128;
            for j in i..grants.len() {
                total += u128::from(grants[j].1);
                let span = u128::from(grants[j].0 - grants[i].0);
                // Tokens refilled in `span` ticks, rounded up (a token may
                // complete inside the window).
                let refill = (span * u128::from(tokens)).div_ceil(u128::from(period));
                prop_assert!(total <= u128::from(capacity) + refill,
                    "{} tokens in {} ticks (cap {}, {}/{})", total, span, capacity, tokens, period);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]
    /// The refusal from one comparison (the quick check, inlined at the
    /// call site on hosts) decides what the whole step decides, on every
    /// word and path: the fast path, the 64-bit general path and the
    /// 128-bit word, lagging callers and words past the horizon included.
    #[test]
    fn quick_refusal_is_the_steps_refusal(
        capacity in prop_oneof![1u32..20, Just(u32::MAX)],
        tokens in prop_oneof![1u32..9, Just(1_000u32), Just(u32::MAX)],
        period in prop_oneof![1u64..50, Just(1_000u64), Just(MAX_DURATION)],
        fill in prop_oneof![Just(None), (0u32..20).prop_map(Some)],
        word in prop_oneof![Just(0u128), Just(u128::MAX), Just(u128::from(u64::MAX)), any::<u128>(), 0u128..100_000],
        n in prop_oneof![0u32..25, Just(u32::MAX)],
        now in prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), 0u64..100_000],
    ) {
        let mut c = BucketConfig::rate(capacity, tokens, period).unwrap();
        if let Some(fill) = fill {
            c = c.with_initial_fill(fill.min(capacity)).unwrap();
        }
        let agree = |quick: Option<Result<(), Refused>>, step: Step<u128, Result<(), Refused>>| {
            if let Some(quick) = quick {
                prop_assert_eq!(step, Step::Keep(quick));
            }
            Ok(())
        };
        let widened = |step: Decided<u64>| match step {
            Step::Keep(d) => Step::Keep(d),
            Step::Write(w, d) => Step::Write(u128::from(w), d),
        };
        if let Ok(r) = c.request::<u128, false>(n, now) {
            agree(r.refusal(word), r.decide(word))?;
        }
        let narrow = word as u64;
        if let Ok(r) = c.request::<u64, false>(n, now) {
            agree(r.refusal(narrow), widened(r.decide(narrow)))?;
        }
        if now < c.simple_until {
            if let Ok(r) = c.request::<u64, true>(n, now) {
                agree(r.refusal(narrow), widened(r.decide(narrow)))?;
            }
        }
    }

    /// The word-width arithmetic of the request: products saturate exactly
    /// as a 128-bit product would, and the rare wide division rounds up
    /// exactly and saturates.
    #[test]
    fn word_arithmetic_matches_u128(
        a in prop_oneof![Just(0u32), Just(1), Just(2), Just(3), Just(u32::MAX), any::<u32>()],
        b in prop_oneof![Just(0u64), Just(u64::MAX), Just(1 << 32), (0u32..64).prop_map(|s| u64::MAX >> s), any::<u64>()],
        divisor in prop_oneof![1u32..4, any::<u32>().prop_map(|d| d.max(1))],
    ) {
        let exact = u128::from(a) * u128::from(b);
        prop_assert_eq!(<u64 as Units>::product(a, b), u64::try_from(exact).unwrap_or(u64::MAX));
        prop_assert_eq!(<u128 as Units>::product(a, b), exact);
        prop_assert_eq!(ticks_of_units(exact << 32, divisor), u64::try_from((exact << 32).div_ceil(u128::from(divisor))).unwrap_or(u64::MAX));
        prop_assert_eq!(<u64 as Units>::scaled(b, a.max(1)), u64::try_from(u128::from(b) * u128::from(a.max(1))).unwrap_or(u64::MAX));
    }
}
