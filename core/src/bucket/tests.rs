use super::*;
use proptest::prelude::*;

fn bucket(capacity: u32, tokens: u32, period: u32) -> TokenBucket<BucketConfig> {
    TokenBucket::new(BucketConfig::new(capacity, tokens, period).unwrap())
}

const STARTS: [Tick; 5] = [0, 777, 1 << 31, u32::MAX - 40, u32::MAX];

#[test]
fn config_fields_at_zero_one_and_maximum() {
    use ConfigError::*;
    assert_eq!(BucketConfig::new(0, 1, 1), Err(ZeroCapacity));
    assert_eq!(BucketConfig::new(1, 0, 1), Err(ZeroRefill));
    assert_eq!(BucketConfig::new(1, 1, 0), Err(ZeroDuration));
    assert!(BucketConfig::new(1, 1, 1).is_ok());
    assert!(BucketConfig::new(MAX_WINDOW_UNITS, 1, 1).is_ok());
    assert_eq!(
        BucketConfig::new(MAX_WINDOW_UNITS + 1, 1, 1),
        Err(WindowTooLong)
    );
    assert!(BucketConfig::new(1, u32::MAX, 1).is_ok());
    assert!(BucketConfig::new(1, 1, MAX_DURATION).is_err()); // window too long
    assert!(BucketConfig::new(1, 4, 1 << 30).is_ok()); // reduced by the gcd
    assert_eq!(
        BucketConfig::new(1, 1, MAX_DURATION + 1),
        Err(DurationTooLong)
    );
    assert_eq!(
        BucketConfig::new(u32::MAX, u32::MAX, u32::MAX),
        Err(DurationTooLong)
    );
    let c = BucketConfig::new(3, 1, 1).unwrap();
    assert_eq!(c.with_initial_fill(0).unwrap().initial_fill(), 0);
    assert_eq!(c.with_initial_fill(3).unwrap().initial_fill(), 3);
    assert_eq!(c.with_initial_fill(4), Err(InitialFill));
}

#[test]
fn burst_then_steady_rate_in_every_region_of_the_circle() {
    for start in STARTS {
        let b = bucket(5, 1, 10);
        for _ in 0..5 {
            assert_eq!(b.acquire(1, start), Ok(()));
        }
        assert_eq!(
            b.acquire(1, start),
            Err(Denied::Wait {
                retry_at: start.wrapping_add(10)
            })
        );
        assert_eq!(
            b.acquire(1, start.wrapping_add(9)),
            Err(Denied::Wait {
                retry_at: start.wrapping_add(10)
            })
        );
        assert_eq!(b.acquire(1, start.wrapping_add(10)), Ok(()));
        assert_eq!(
            b.acquire(3, start.wrapping_add(10)),
            Err(Denied::Wait {
                retry_at: start.wrapping_add(40)
            })
        );
        assert_eq!(b.available(start.wrapping_add(1_000)), 5);
    }
}

#[test]
fn rational_refill_is_exact_over_k_periods() {
    // 3 tokens every 7 ticks: no remainder is ever lost.
    let b = bucket(1_000, 3, 7);
    b.acquire(1_000, 0).unwrap();
    for k in 1..=100u32 {
        assert_eq!(b.available(7 * k), (3 * k).min(1_000), "k={k}");
        assert_eq!(b.available(7 * k - 1), (3 * k * 7 - 3) / 7);
    }
    // Taking one token at a time as soon as it exists yields exactly 3 per 7.
    let b = bucket(5, 3, 7);
    b.acquire(5, 0).unwrap();
    let mut now = 0u32;
    let mut granted = 0;
    while now <= 7 * 300 {
        match b.acquire(1, now) {
            Ok(()) => granted += 1,
            Err(Denied::Wait { retry_at }) => now = retry_at,
            Err(Denied::ExceedsCapacity) => unreachable!(),
        }
    }
    assert_eq!(granted, 900); // 3 per 7 ticks, the 5-token burst not counted
}

#[test]
fn zero_and_oversized_requests() {
    let b = bucket(4, 1, 1);
    assert_eq!(b.acquire(0, 5), Ok(()));
    assert_eq!(b.raw_word(), 0);
    assert_eq!(b.acquire(5, 5), Err(Denied::ExceedsCapacity));
    assert_eq!(b.acquire(u32::MAX, 5), Err(Denied::ExceedsCapacity));
    assert_eq!(b.raw_word(), 0);
    assert_eq!(b.acquire(4, 5), Ok(()));
    assert_eq!(b.acquire(0, 5), Ok(()));
}

#[test]
fn refusal_writes_nothing() {
    let b = bucket(2, 1, 100);
    b.acquire(2, 50).unwrap();
    let word = b.raw_word();
    for t in 50..150 {
        assert!(b.acquire(1, t).is_err());
        assert_eq!(b.raw_word(), word);
    }
}

#[test]
fn initial_fill_and_first_touch() {
    for start in STARTS {
        let c = BucketConfig::new(4, 1, 10)
            .unwrap()
            .with_initial_fill(1)
            .unwrap();
        let b = TokenBucket::new(c);
        assert_eq!(b.available(start), 1);
        assert_eq!(
            b.acquire(2, start),
            Err(Denied::Wait {
                retry_at: start.wrapping_add(10)
            })
        );
        // The refused first touch fixed the start time: tokens accrue from it.
        assert_eq!(b.acquire(2, start.wrapping_add(10)), Ok(()));
        let empty = TokenBucket::new(c.with_initial_fill(0).unwrap());
        assert_eq!(
            empty.acquire(1, start),
            Err(Denied::Wait {
                retry_at: start.wrapping_add(10)
            })
        );
        assert_eq!(empty.available(start.wrapping_add(40)), 4);
        b.reset();
        assert_eq!(b.available(start), 1);
    }
}

#[test]
fn backwards_time_grants_nothing_extra() {
    let b = bucket(3, 1, 10);
    b.acquire(3, 1_000).unwrap();
    for back in [1u32, 10, 29, 30, 30 + BACKWARD_SLACK_TICKS] {
        assert!(
            b.acquire(1, 1_000u32.wrapping_sub(back)).is_err(),
            "back {back}"
        );
    }
    assert_eq!(b.acquire(1, 1_010), Ok(()));
    // Across zero.
    let b = bucket(3, 1, 10);
    b.acquire(3, 2).unwrap();
    assert!(b.acquire(1, u32::MAX - 5).is_err());
}

#[test]
fn long_idle_across_a_wrap_is_fresh_or_fails_safe() {
    let day = 86_400_000u64;
    let b = bucket(10, 1, 1_000);
    b.acquire(10, 5).unwrap();
    let now = (5 + 60 * day) as u32;
    assert_eq!(b.available(now), 10);
    for idle in (1u64..3_000).map(|k| k * 9_999_991) {
        let b = bucket(10, 7, 1_000);
        b.acquire(10, 5).unwrap();
        let now = (5 + idle) as u32;
        // Never more than a full bucket; at worst one window of refusals.
        let granted = (0..20).filter(|_| b.acquire(1, now).is_ok()).count();
        assert!(granted <= 10);
        if granted == 0 {
            match b.acquire(1, now) {
                Err(Denied::Wait { retry_at }) => {
                    assert!(
                        retry_at.wrapping_sub(now) <= 2 * 10 * 1_000 / 7 + BACKWARD_SLACK_TICKS + 1
                    )
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

/// Plain reference token bucket with 64-bit absolute time and exact
/// rational tokens: `level` counts tokens × period.
struct Reference {
    started: bool,
    level: u64,
    last: u64,
    capacity: u64,
    tokens: u64,
    period: u64,
}

impl Reference {
    fn refill(&mut self, now: u64) {
        if self.started && now > self.last {
            let max = self.capacity * self.period;
            self.level = (self.level + (now - self.last) * self.tokens).min(max);
            self.last = now;
        }
    }
    fn acquire(&mut self, n: u64, now: u64) -> Result<(), Denied> {
        if n > self.capacity {
            return Err(Denied::ExceedsCapacity);
        }
        if !self.started {
            // An untouched bucket holds its initial fill until first used.
            self.started = true;
            self.last = now;
        }
        self.refill(now);
        let need = n * self.period;
        if self.level >= need {
            self.level -= need;
            Ok(())
        } else {
            let wait = (need - self.level).div_ceil(self.tokens);
            Err(Denied::Wait {
                retry_at: (now + wait) as u32,
            })
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn bucket_agrees_with_the_reference_model(
        capacity in 1u32..20, tokens in 1u32..9, period in 1u32..50, fill in 0u32..20,
        start in any::<u32>(),
        ops in proptest::collection::vec((0u32..25, 0u32..60), 1..200),
    ) {
        let fill = fill.min(capacity);
        let c = BucketConfig::new(capacity, tokens, period).unwrap().with_initial_fill(fill).unwrap();
        let b = TokenBucket::new(c);
        let mut r = Reference {
            started: false,
            level: u64::from(fill) * u64::from(period), last: u64::from(start),
            capacity: capacity.into(), tokens: tokens.into(), period: period.into(),
        };
        let mut now = u64::from(start);
        for (n, dt) in ops {
            now += u64::from(dt);
            let expected = if n == 0 { Ok(()) } else { r.acquire(n.into(), now) };
            prop_assert_eq!(b.acquire(n, now as u32), expected, "n={} at {}", n, now);
            let mut probe = Reference { ..r };
            probe.refill(now);
            prop_assert_eq!(u64::from(b.available(now as u32)), probe.level / probe.period);
        }
    }
}
