use super::*;
use crate::snapshot::Snapshot;
use crate::time::testing::tick;
use proptest::prelude::*;

fn limiter(limit: u32, window: Tick) -> SlidingWindow<SlidingWindowConfig> {
    SlidingWindow::new(
        SlidingWindowConfig::new(SlidingWindowSettings {
            limit,
            window: Duration::from_ticks(window),
        })
        .unwrap(),
    )
}

fn wait(at: Tick) -> Decision {
    Err(Refused::Wait { retry_at: tick(at) })
}

const STARTS: [Tick; 4] = [0, 777, 1 << 50, MAX_DURATION];

#[test]
fn the_previous_window_weighs_by_what_the_sliding_window_still_covers() {
    for start in STARTS {
        let l = limiter(10, 1_000);
        // A first use anywhere: windows run from tick 0 until two are idle.
        assert_eq!(l.acquire(10, tick(start)), Ok(()));
        let base = l.word.load() as u64; // the current window's start
        assert!(base <= start && start - base < 1_000);
        assert_eq!(l.acquire(1, tick(start)), wait(base + 1_000 + 100));
        // A quarter into the next window: 10 × 3/4 = 7.5 still count.
        assert_eq!(l.available(tick(base + 1_250)), 2);
        assert_eq!(l.acquire(3, tick(base + 1_250)), wait(base + 1_300));
        assert_eq!(l.acquire(2, tick(base + 1_250)), Ok(()));
        // Two idle windows later, a new run starts at the call.
        assert_eq!(l.available(tick(base + 3_000)), 10);
        assert_eq!(l.acquire(10, tick(base + 3_001)), Ok(()));
        assert_eq!(l.acquire(1, tick(base + 3_001)), wait(base + 3_001 + 1_100));
    }
}

#[test]
fn weights_zero_and_above_the_limit() {
    let l = limiter(5, 100);
    assert_eq!(l.acquire(0, tick(3)), Ok(()));
    assert_eq!(l.word.load(), 0, "n = 0 writes nothing");
    assert_eq!(l.acquire(6, tick(3)), Err(Refused::ExceedsCapacity));
    assert_eq!(l.acquire(5, tick(3)), Ok(()));
    // The previous window full and the limit all asked for: its weight runs
    // out only at the end of the next window.
    assert_eq!(l.acquire(5, tick(4)), wait(200));
}

#[test]
fn a_lagging_now_counts_as_the_latest_window_and_never_rolls_it() {
    let l = limiter(4, 1_000);
    assert_eq!(l.acquire(4, tick(86_400_000)), Ok(()));
    assert_eq!(l.acquire(2, tick(86_401_500)), Ok(())); // 4 × 1/2 + 2
    for lag in [1, 1_000, 600_000, 86_400_000] {
        let now = 86_401_500 - lag;
        // Before the window's start: its start, where the previous window
        // weighs fully; inside it: its own offset, weighing more than at
        // the latest tick. Refused either way; nothing written.
        let word = l.word.load();
        assert!(l.acquire(1, tick(now)).is_err());
        assert_eq!(l.word.load(), word);
        assert_eq!(l.available(tick(now)), 0);
    }
}

#[test]
fn refusals_write_nothing_and_the_retry_tick_is_exact() {
    let l = limiter(7, 30);
    let mut now = 5;
    for step in 0..400u64 {
        now += step % 7;
        let word = l.word.load();
        let n = (step % 4) as u32 + 1;
        match l.acquire(n, tick(now)) {
            Ok(()) => {}
            Err(Refused::Wait { retry_at }) => {
                assert_eq!(l.word.load(), word, "a refusal wrote");
                let r = retry_at.ticks();
                assert!(r > now);
                // Nobody else took room: it fits at `retry_at`, not a tick
                // before (unless that tick is `now` itself).
                let step_at = |t: Tick| Acquire { n, now: tick(t) }.step(&l.config(), word);
                assert!(
                    step_at(r).decision().is_ok(),
                    "n={n} now={now} retry_at={r}"
                );
                if r > now + 1 {
                    assert!(
                        step_at(r - 1).decision().is_err(),
                        "n={n} now={now} retry_at={r}"
                    );
                }
            }
            Err(Refused::ExceedsCapacity) => unreachable!(),
        }
    }
}

#[test]
fn snapshots_keep_the_windows_relative_to_now() {
    let l = limiter(10, 1_000);
    assert_eq!(l.acquire(8, tick(40_000)), Ok(()));
    assert_eq!(l.acquire(2, tick(40_900)), Ok(()));
    let saved = l.snapshot(tick(40_950));
    let rebooted = limiter(10, 1_000);
    rebooted.restore(&saved, tick(1_000)).unwrap();
    assert_eq!(rebooted.available(tick(1_000)), 0);
    assert_eq!(rebooted.available(tick(1_549)), 4); // 10 × 501/1000 still count
    assert_eq!(rebooted.available(tick(1_550)), 5); // a half of 10 still counts
                                                    // A window that began before this run's tick 0 starts at 0 instead.
    rebooted.restore(&saved, tick(0)).unwrap();
    assert_eq!(rebooted.available(tick(1_000)), 0);
    // Another configuration, a window starting too far ahead: refused, fresh.
    assert!(limiter(11, 1_000).restore(&saved, tick(0)).is_err());
    let mut bytes = [0u8; SNAPSHOT_LEN];
    let far = Counts {
        start: 5_000,
        current: 3,
        previous: 0,
    };
    crate::snapshot::save(&rebooted.config(), far.pack(), tick(0), &mut bytes).unwrap();
    assert!(rebooted.restore(&bytes, tick(0)).is_err());
    assert_eq!(rebooted.word.load(), 0);
}

fn config() -> impl Strategy<Value = SlidingWindowConfig> {
    (1u32..8, 1u64..60).prop_map(|(limit, window)| {
        SlidingWindowConfig::new(SlidingWindowSettings {
            limit,
            window: Duration::from_ticks(window),
        })
        .unwrap()
    })
}

proptest! {
    /// The stated error against an exact log of admitted ticks, on the
    /// counter's own timeline (the latest tick it has admitted at):
    /// fewer than `2 × limit` in any `window` ticks, at most `limit` in
    /// each fixed window; `available` is the largest `n` admitted.
    #[test]
    fn the_error_against_an_exact_log_is_bounded(
        config in config(), start in 0u64..1 << 40,
        calls in prop::collection::vec((0u32..5, 0u64..25, 0u64..40), 1..300),
    ) {
        let l = SlidingWindow::new(config);
        let (limit, window) = (u64::from(config.limit()), config.window().ticks());
        let (mut latest, mut seen) = (start, 0);
        let mut log: Vec<(Tick, u64, Tick)> = Vec::new(); // (tick, n, window start)
        for (n, advance, lag) in calls {
            latest += advance;
            let now = latest.saturating_sub(lag);
            let word = l.word.load();
            let available = l.available(tick(now));
            let fits = |k: u32| Acquire { n: k, now: tick(now) }.step(&config, word).decision().is_ok();
            prop_assert!(fits(available.min(config.limit())));
            if available < config.limit() {
                prop_assert!(!fits(available + 1));
            }
            if l.acquire(n, tick(now)).is_ok() && n > 0 {
                seen = seen.max(now);
                log.push((seen, u64::from(n), Counts::unpack(l.word.load()).start));
            }
        }
        for &(at, _, _) in &log {
            let within: u64 = log.iter().filter(|(t, _, _)| *t <= at && *t + window > at).map(|(_, n, _)| n).sum();
            prop_assert!(within < 2 * limit, "{} in the window ending at {}", within, at);
        }
        for &(_, _, window_start) in &log {
            let in_window: u64 = log.iter().filter(|(_, _, s)| *s == window_start).map(|(_, n, _)| n).sum();
            prop_assert!(in_window <= limit);
        }
    }

    /// Every word is a state: no step panics; the quick check decides only
    /// refusals, as the step does.
    #[test]
    fn any_word_is_a_state(config in config(), word in any::<u128>(), n in any::<u32>(), now in any::<u64>()) {
        let input = Acquire { n, now: tick(now) };
        let step = input.step(&config, word);
        if let Some(quick) = input.quick(&config, word) {
            prop_assert_eq!(step, Step::Keep(quick));
        }
        prop_assert_eq!(Counts::unpack(word).pack(), word);
        let _ = config.available(word, now);
    }
}

#[test]
fn threads_never_exceed_the_limit_in_a_window() {
    let l = limiter(100, 1_000_000);
    let admitted = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for i in 0..2_000u64 {
                    if l.acquire(1, tick(i)).is_ok() {
                        admitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(admitted.into_inner(), 100);
}

proptest! {
    /// Reconfigured at any point, a live counter decides exactly as a
    /// counter built with the new configuration over the same state: the
    /// counts and the window's start carry over, nothing is rewritten; and
    /// within each fixed window it never admits more than the largest
    /// limit in force during it.
    #[test]
    fn a_reconfigured_counter_decides_as_one_built_with_the_new_config(
        configs in prop::array::uniform3(config()),
        calls in prop::collection::vec((0u32..5, 0u64..25, 0u64..40, prop::option::weighted(0.15, 0usize..3)), 1..300),
    ) {
        let live = SlidingWindow::new(configs[0].live());
        let shadow = SlidingWindow::new(configs[0]);
        let mut shadow_config = configs[0];
        let mut latest = 1_000u64;
        for (n, advance, lag, switch) in calls {
            if let Some(i) = switch {
                live.reconfigure(configs[i]);
                prop_assert_eq!(live.word.load(), shadow.word.load());
                shadow_config = configs[i];
                prop_assert_eq!(live.config(), shadow_config);
            }
            latest += advance;
            let now = latest.saturating_sub(lag);
            let expected = Acquire { n, now: tick(now) }.step(&shadow_config, shadow.word.load());
            if let Some(word) = expected.word() {
                shadow.word.store(word);
            }
            prop_assert_eq!(live.available(tick(now)), shadow_config.available(live.word.load(), now));
            prop_assert_eq!(live.acquire(n, tick(now)), *expected.decision());
            prop_assert_eq!(live.word.load(), shadow.word.load());
        }
    }
}

/// Threads admitting while another keeps switching the limit between 10
/// and 40 over one long window: never more than 40 admitted, never fewer
/// than 10.
#[test]
#[cfg(not(miri))]
fn threads_racing_reconfigurations_stay_within_the_larger_limit() {
    let settings = |limit| SlidingWindowSettings {
        limit,
        window: Duration::from_ticks(1_000_000),
    };
    let small = SlidingWindowConfig::new(settings(10)).unwrap();
    let large = SlidingWindowConfig::new(settings(40)).unwrap();
    let l = SlidingWindow::new(small.live());
    let admitted = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..2_000 {
                l.reconfigure(if round % 2 == 0 { large } else { small });
            }
        });
        for _ in 0..3 {
            scope.spawn(|| {
                for i in 0..2_000u64 {
                    if l.acquire(1, tick(i)).is_ok() {
                        admitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let admitted = admitted.into_inner();
    assert!((10..=40).contains(&admitted), "{admitted}");
}
