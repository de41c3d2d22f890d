use super::*;
use crate::bucket::BucketSettings;
use crate::time::testing::tick;
use proptest::prelude::*;

fn shaper(capacity: u32, tokens: u32, period: Tick, max_wait: Tick) -> Shaper<ShaperConfig> {
    Shaper::new(
        ShaperConfig::new(ShaperSettings {
            capacity,
            tokens,
            period: Duration::from_ticks(period),
            max_wait: Duration::from_ticks(max_wait),
        })
        .unwrap(),
    )
}

const STARTS: [Tick; 4] = [0, 12_345, 1 << 50, MAX_DURATION];

#[test]
fn requests_are_spaced_at_the_rate_and_refused_past_the_longest_wait() {
    for start in STARTS {
        let s = shaper(1, 1, 100, 250);
        for k in 0..3 {
            assert_eq!(s.schedule(1, tick(start)), Ok(tick(start + 100 * k)));
        }
        // The fourth would wait 300 > 250: refused, nothing reserved.
        assert_eq!(
            s.schedule(1, tick(start)),
            Err(Refused::Wait {
                retry_at: tick(start + 50)
            })
        );
        assert_eq!(s.schedule(1, tick(start + 50)), Ok(tick(start + 300)));
        // Idle: the queue drains; a request goes at once again.
        assert_eq!(
            s.schedule(1, tick(start + 10_000)),
            Ok(tick(start + 10_000))
        );
    }
}

#[test]
fn rational_rates_round_send_ticks_up() {
    // 3 tokens per 10 ticks, one at a time: each send conforms at a whole
    // tick (3.33 -> 4), and the next is spaced from it, as a caller that
    // waited and then acquired would be: governor's `until_ready`.
    let s = shaper(1, 3, 10, 1_000);
    let sends: Vec<u64> = (0..5)
        .map(|_| s.schedule(1, tick(0)).unwrap().ticks())
        .collect();
    assert_eq!(sends, [0, 4, 8, 12, 16]);
    // A burst of 3 lets the queue run at the full rate: 3 per 10 ticks.
    let s = shaper(3, 3, 10, 1_000);
    let sends: Vec<u64> = (0..9)
        .map(|_| s.schedule(1, tick(0)).unwrap().ticks())
        .collect();
    assert_eq!(sends, [0, 0, 0, 4, 7, 10, 14, 17, 20]);
}

#[test]
fn max_wait_zero_is_a_policer_and_agrees_with_the_bucket() {
    let s = shaper(3, 1, 10, 0);
    let b = TokenBucket::new(BucketConfig::rate(3, 1, 10).unwrap());
    for now in [0, 0, 0, 0, 5, 10, 11, 25, 40, 40, 40, 40] {
        let shaped = s.schedule(1, tick(now)).map(|at| assert_eq!(at, tick(now)));
        assert_eq!(shaped, b.acquire(1, tick(now)));
    }
}

#[test]
fn weights_zero_and_above_capacity() {
    let s = shaper(4, 1, 10, 100);
    assert_eq!(s.schedule(0, tick(7)), Ok(tick(7)));
    assert_eq!(s.schedule(5, tick(7)), Err(Refused::ExceedsCapacity));
    assert_eq!(s.schedule(4, tick(7)), Ok(tick(7)));
    assert_eq!(s.schedule(4, tick(7)), Ok(tick(47)));
}

#[test]
fn a_lagging_caller_is_given_a_later_tick_never_an_earlier_one() {
    let s = shaper(1, 1, 100, 1_000_000);
    assert_eq!(s.schedule(1, tick(86_400_000)), Ok(tick(86_400_000)));
    // A caller a day behind queues behind the request at the latest tick.
    assert_eq!(
        s.schedule(1, tick(0)),
        Err(Refused::Wait {
            retry_at: tick(85_400_100)
        })
    );
    assert_eq!(s.schedule(1, tick(86_399_990)), Ok(tick(86_400_100)));
}

#[test]
fn near_the_end_of_time_the_shaper_refuses_for_ever() {
    let s = shaper(1, 1, MAX_DURATION, MAX_DURATION);
    let late = u64::MAX - 5 - MAX_DURATION;
    assert_eq!(s.schedule(1, tick(late)), Ok(tick(late)));
    // The next send would be past the horizon: never, as the bucket.
    assert_eq!(
        s.schedule(1, tick(late)),
        Err(Refused::Wait {
            retry_at: tick(u64::MAX)
        })
    );
}

#[test]
fn a_partly_filled_start_is_kept_by_a_refusal() {
    let config = ShaperConfig {
        bucket: BucketConfig::new(BucketSettings {
            capacity: 2,
            tokens: 1,
            period: Duration::from_ticks(10),
            initial_fill: Some(0),
        })
        .unwrap(),
        max_wait: 5,
    };
    let s = Shaper::new(config);
    // Empty at the first use (tick 100): the first token conforms at 110.
    assert_eq!(
        s.schedule(1, tick(100)),
        Err(Refused::Wait {
            retry_at: tick(105)
        })
    );
    assert_eq!(s.schedule(1, tick(105)), Ok(tick(110)));
}

/// Replays what the shaper scheduled into a token bucket of the same rate
/// at the ticks it gave: every send must conform.
fn conforms(capacity: u32, tokens: u32, period: Tick, sends: &mut [(Tick, u32)]) -> bool {
    sends.sort_by_key(|(at, _)| *at);
    let b = TokenBucket::new(BucketConfig::rate(capacity, tokens, period).unwrap());
    sends.iter().all(|(at, n)| b.acquire(*n, tick(*at)).is_ok())
}

proptest! {
    /// What leaves never exceeds the rate: the sends, at the ticks given,
    /// conform to the token bucket of the same capacity and rate; each is
    /// at or after its request's `now` and at most `max_wait` after it.
    #[test]
    fn the_output_conforms_to_the_bucket(
        capacity in 1u32..5, tokens in 1u32..5, period in 1u64..30, max_wait in 0u64..200,
        start in 0u64..1 << 60, calls in prop::collection::vec((0u32..5, 0u64..20), 1..150),
    ) {
        let s = shaper(capacity, tokens, period, max_wait);
        let mut now = start;
        let mut sends = Vec::new();
        for (n, advance) in calls {
            now += advance;
            match s.schedule(n, tick(now)) {
                Ok(at) => {
                    prop_assert!(at.ticks() >= now && at.ticks() - now <= max_wait);
                    if n > 0 {
                        sends.push((at.ticks(), n));
                    }
                }
                Err(Refused::Wait { retry_at }) => prop_assert!(retry_at.ticks() > now),
                Err(Refused::ExceedsCapacity) => prop_assert!(n > capacity),
            }
        }
        prop_assert!(conforms(capacity, tokens, period, &mut sends));
    }

    /// The quick check decides only refusals, and as the step does, on any
    /// word (garbage included).
    #[test]
    fn the_quick_check_decides_as_the_step(
        capacity in 1u32..5, tokens in 1u32..9, period in 1u64..30, max_wait in 0u64..200,
        word in any::<u128>(), n in 0u32..6, now in any::<u64>(),
    ) {
        let config = ShaperConfig::new(ShaperSettings {
            capacity, tokens, period: Duration::from_ticks(period), max_wait: Duration::from_ticks(max_wait),
        }).unwrap();
        let input = Schedule { n, now: tick(now) };
        if let Some(quick) = input.quick(&config, word) {
            let step = input.step(&config, word);
            prop_assert_eq!(step.decision(), &quick);
        }
    }
}

#[test]
fn threads_never_send_beyond_the_rate() {
    let s = shaper(2, 1, 10, 1_000);
    let sends = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for i in 0..500u64 {
                    if let Ok(at) = s.schedule(1, tick(i)) {
                        sends.lock().unwrap().push((at.ticks(), 1));
                    }
                }
            });
        }
    });
    let mut sends = sends.into_inner().unwrap();
    assert!(sends.len() > 100);
    assert!(conforms(2, 1, 10, &mut sends));
}

#[test]
fn a_queue_the_narrow_word_cannot_hold_is_not_restored() {
    // 3 units per tick keeps the 64-bit word; past the horizon, at a tick
    // whose units overflow 64 bits, a saved queue cannot be held: refused
    // (a restore would save back another state), the shaper left fresh.
    let s = shaper(2, 3, 7, 500);
    assert!(s.config().rate().is_narrow());
    let mut bytes = [0u8; SNAPSHOT_LEN];
    crate::snapshot::save(s.config(), 5, tick(0), &mut bytes).unwrap();
    let late = u64::MAX / 3 + 10;
    assert_eq!(s.restore(&bytes, tick(late)), Err(SnapshotError::Corrupt));
    assert_eq!(s.bucket.word(), 0);
    assert_eq!(s.restore(&bytes, tick(1_000)), Ok(()));
}

fn shaper_config(capacity: u32, tokens: u32, period: Tick, max_wait: Tick) -> ShaperConfig {
    ShaperConfig::new(ShaperSettings {
        capacity,
        tokens,
        period: Duration::from_ticks(period),
        max_wait: Duration::from_ticks(max_wait),
    })
    .unwrap()
}

fn shaper_configs() -> impl Strategy<Value = ShaperConfig> {
    (
        1u32..5,
        prop_oneof![1u32..5, Just(1_000u32)],
        1u64..30,
        0u64..200,
    )
        .prop_map(|(capacity, tokens, period, max_wait)| {
            shaper_config(capacity, tokens, period, max_wait)
        })
}

proptest! {
    /// Never reconfigured, a live shaper schedules exactly as a shaper,
    /// lagging callers included.
    #[test]
    fn a_live_shaper_schedules_as_a_shaper(
        config in shaper_configs(), start in 0u64..1 << 40,
        calls in prop::collection::vec((0u32..5, 0u64..20, 0u64..40), 1..150),
    ) {
        let (live, plain) = (LiveShaper::new(config), Shaper::new(config));
        let mut latest = start;
        for (n, advance, lag) in calls {
            latest += advance;
            let now = tick(latest.saturating_sub(lag));
            prop_assert_eq!(live.schedule(n, now), plain.schedule(n, now));
        }
        prop_assert_eq!(live.snapshot(tick(latest)), plain.snapshot(tick(latest)));
    }

    /// Reconfigured at the latest tick: what is sent after the change
    /// conforms to the new bucket, within the new `max_wait`, and a queue
    /// longer than the old window is not overtaken.
    #[test]
    fn a_reconfiguration_keeps_the_queue_and_the_new_rate(
        a in shaper_configs(), b in shaper_configs(), start in 0u64..1 << 40,
        before in prop::collection::vec((0u32..5, 0u64..20), 1..60),
        after in prop::collection::vec((0u32..5, 0u64..20), 1..60),
    ) {
        let s = LiveShaper::new(a);
        let mut now = start;
        let mut last_given = 0u64;
        for (n, advance) in before {
            now += advance;
            if let Ok(at) = s.schedule(n, tick(now)) {
                if n > 0 {
                    last_given = last_given.max(at.ticks());
                }
            }
        }
        // The queue beyond the window: sends given past `now` by more than
        // one full bucket's refill.
        let window = u64::from(a.rate().capacity()) * a.rate().period().ticks() / u64::from(a.rate().tokens());
        let queued = last_given > now + window;
        s.reconfigure(b, tick(now)).unwrap();
        prop_assert_eq!(s.config(), b);
        let mut sends = Vec::new();
        for (n, advance) in after {
            now += advance;
            match s.schedule(n, tick(now)) {
                Ok(at) if n > 0 => {
                    if queued {
                        prop_assert!(at.ticks() >= last_given, "{} before {}", at.ticks(), last_given);
                    }
                    prop_assert!(at.ticks() >= now && at.ticks() - now <= b.max_wait().ticks());
                    sends.push((at.ticks(), n));
                }
                _ => {}
            }
        }
        let rate = b.rate();
        prop_assert!(conforms(rate.capacity(), rate.tokens(), rate.period().ticks(), &mut sends));
    }
}
