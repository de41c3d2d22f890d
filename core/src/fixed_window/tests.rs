use super::*;
use crate::machine::Machine;
use crate::snapshot::Snapshot;
use crate::time::testing::tick;
use proptest::prelude::*;

fn window(burst: u32, interval: Tick) -> FixedWindow<FixedWindowConfig> {
    FixedWindow::new(
        FixedWindowConfig::new(FixedWindowSettings {
            burst,
            interval: Duration::from_ticks(interval),
        })
        .unwrap(),
    )
}

const fn admitted(missed: u32) -> Decision {
    Ok(Admitted { missed })
}

fn denied(retry_at: Option<Tick>, missed: u32) -> Decision {
    Err(Denied {
        retry_at: retry_at.map(tick),
        missed,
    })
}

/// Ticks across the whole range a device can reach, and past it.
const STARTS: [Tick; 5] = [0, 777, 1 << 40, MAX_DURATION, u64::MAX - 10_000];

#[test]
fn burst_per_window_then_the_missed_count_once() {
    for start in STARTS {
        let w = window(3, 1_000);
        for i in 0..3 {
            assert_eq!(w.acquire(1, tick(start + i)), admitted(0));
        }
        for i in 3..10 {
            assert_eq!(
                w.acquire(1, tick(start + i)),
                denied(Some(start + 1_000), 0)
            );
        }
        assert_eq!(w.remaining(tick(start + 999)), 0);
        // The window rolls at exactly begin + interval.
        assert_eq!(w.remaining(tick(start + 1_000)), 3);
        assert_eq!(w.acquire(1, tick(start + 1_000)), admitted(7));
        assert_eq!(w.acquire(1, tick(start + 1_001)), admitted(0));
        // The new window began at the call that rolled it, not on a grid.
        assert_eq!(
            w.acquire(2, tick(start + 1_999)),
            denied(Some(start + 2_000), 0)
        );
        assert_eq!(w.acquire(1, tick(start + 1_999)), admitted(0));
        // A long idle: the next call reports the last window's misses.
        assert_eq!(w.acquire(1, tick(start + 9_000)), admitted(2));
    }
}

#[test]
fn interval_zero_admits_everything_and_writes_nothing() {
    let w = window(0, 0);
    for now in [0, 5, 3, u64::MAX] {
        assert_eq!(w.acquire(u32::MAX, tick(now)), admitted(0));
        assert_eq!(w.remaining(tick(now)), u32::MAX);
    }
    assert_eq!(w.word.load(), 0);
    assert_eq!(w.take_missed(), 0);
}

#[test]
fn burst_zero_denies_everything_and_counts_it() {
    let w = window(0, 100);
    for now in 0..50 {
        assert_eq!(w.acquire(1, tick(now)), denied(None, 0));
    }
    assert_eq!(w.remaining(tick(50)), 0);
    // The call that rolls the window is denied too, and reports.
    assert_eq!(w.acquire(2, tick(100)), denied(None, 50));
    assert_eq!(w.take_missed(), 2);
}

#[test]
fn weighted_events_fit_whole_or_are_missed_whole() {
    let w = window(10, 100);
    assert_eq!(w.acquire(0, tick(0)), admitted(0));
    assert_eq!(w.word.load(), 0, "n = 0 changes nothing");
    assert_eq!(w.acquire(7, tick(0)), admitted(0));
    assert_eq!(w.acquire(4, tick(1)), denied(Some(100), 0));
    assert_eq!(w.acquire(3, tick(2)), admitted(0));
    assert_eq!(w.acquire(11, tick(3)), denied(None, 0));
    assert_eq!(w.take_missed(), 15);
}

#[test]
fn a_lagging_now_counts_in_the_current_window_and_never_rolls_it() {
    let w = window(2, 1_000);
    assert_eq!(w.acquire(2, tick(86_400_000)), admitted(0));
    // Callers a millisecond to a day behind: denied, counted, no roll.
    for lag in [1, 1_000, 999_999, 86_400_000] {
        assert_eq!(
            w.acquire(1, tick(86_400_000 - lag)),
            denied(Some(86_401_000), 0)
        );
        assert_eq!(w.remaining(tick(86_400_000 - lag)), 0);
    }
    // The up-to-date caller rolls it and hears of all four.
    assert_eq!(w.acquire(1, tick(86_401_000)), admitted(4));
    // Behind the new window's start: counted in it, not a new one.
    assert_eq!(w.acquire(1, tick(86_400_500)), admitted(0));
    assert_eq!(w.acquire(1, tick(86_400_600)), denied(Some(86_402_000), 0));
}

#[test]
fn near_the_end_of_time_a_window_saturates_at_the_last_tick() {
    let w = window(1, 1_000);
    assert_eq!(w.acquire(1, tick(u64::MAX - 10)), admitted(0));
    assert_eq!(w.acquire(1, tick(u64::MAX - 1)), denied(Some(u64::MAX), 0));
    assert_eq!(w.acquire(1, tick(u64::MAX)), admitted(1));
    let w = window(1, MAX_DURATION);
    assert_eq!(w.acquire(1, tick(0)), admitted(0));
    assert_eq!(
        w.acquire(1, tick(MAX_DURATION - 1)),
        denied(Some(MAX_DURATION), 0)
    );
    assert_eq!(w.acquire(1, tick(MAX_DURATION)), admitted(1));
}

#[test]
fn the_missed_count_saturates_and_then_refusals_write_nothing() {
    let w = window(0, 100);
    assert_eq!(w.acquire(u32::MAX, tick(0)), denied(None, 0));
    let word = w.word.load();
    assert_eq!(Window::unpack(word).missed, MAX_MISSED);
    assert_eq!(
        Acquire { n: 1, now: tick(5) }.step(&w.config(), word),
        Step::Keep(denied(None, 0))
    );
    assert_eq!(w.acquire(1, tick(100)), denied(None, MAX_MISSED));
}

#[test]
fn take_missed_reports_once_and_keeps_the_window() {
    let w = window(1, 100);
    assert_eq!(w.take_missed(), 0);
    assert_eq!(w.word.load(), 0, "taking from no window writes nothing");
    assert_eq!(w.acquire(1, tick(0)), admitted(0));
    for _ in 0..5 {
        let _ = w.acquire(1, tick(1));
    }
    assert_eq!(w.take_missed(), 5);
    assert_eq!(w.take_missed(), 0);
    assert_eq!(
        w.acquire(1, tick(2)),
        denied(Some(100), 0),
        "still the same window"
    );
    assert_eq!(w.acquire(1, tick(100)), admitted(1));
}

#[test]
fn reset_forgets_window_and_count() {
    let w = window(1, 100);
    let _ = w.acquire(5, tick(0));
    w.reset();
    assert_eq!(w.acquire(1, tick(1)), admitted(0));
}

#[test]
fn snapshots_rebase_the_window_end_and_keep_the_count() {
    let w = window(2, 1_000);
    assert_eq!(w.acquire(2, tick(50_000)), admitted(0));
    let _ = w.acquire(3, tick(50_100));
    let saved = w.snapshot(tick(50_400));
    let rebooted = window(2, 1_000);
    rebooted.restore(&saved, tick(10)).unwrap();
    assert_eq!(rebooted.remaining(tick(10)), 0);
    assert_eq!(rebooted.acquire(1, tick(609)), denied(Some(610), 0));
    assert_eq!(rebooted.acquire(1, tick(610)), admitted(4));

    // A window that had ended reports at the next call after the restore,
    // even when it ended before this run's tick 0.
    let saved = w.snapshot(tick(90_000));
    rebooted.restore(&saved, tick(0)).unwrap();
    assert_eq!(rebooted.acquire(1, tick(0)), admitted(3));

    // Never used.
    let fresh = window(2, 1_000).snapshot(tick(5));
    rebooted.restore(&fresh, tick(7)).unwrap();
    assert_eq!(rebooted.word.load(), 0);

    // Another configuration, a window ending too far ahead: refused, fresh.
    let other = window(3, 1_000);
    assert!(other.restore(&saved, tick(0)).is_err());
    let mut bytes = [0u8; SNAPSHOT_LEN];
    let end_far = Window {
        started: true,
        missed: 0,
        admitted: 0,
        end: 5_000,
    };
    crate::snapshot::save(&w.config(), end_far.pack(), tick(0), &mut bytes).unwrap();
    assert!(rebooted.restore(&bytes, tick(0)).is_err());
    assert_eq!(rebooted.word.load(), rebooted.config().fresh());
}

/// The plain reference: the kernel's algorithm with separate fields.
#[derive(Default)]
struct Model {
    window: Option<(Tick, u32, u32)>, // end, admitted, missed
}

impl Model {
    fn acquire(&mut self, burst: u32, interval: Tick, n: u32, now: Tick) -> Decision {
        if interval == 0 || n == 0 {
            return admitted(0);
        }
        let mut report = 0;
        let (end, mut count, mut missed) = match self.window {
            Some((end, count, missed)) if now < end => (end, count, missed),
            previous => {
                report = previous.map_or(0, |(_, _, missed)| missed);
                (now.saturating_add(interval), 0, 0)
            }
        };
        let decision = if u64::from(count) + u64::from(n) <= u64::from(burst) {
            count += n;
            admitted(report)
        } else {
            missed = (u64::from(missed) + u64::from(n)).min(u64::from(MAX_MISSED)) as u32;
            denied((n <= burst).then_some(end), report)
        };
        self.window = Some((end, count, missed));
        decision
    }
}

fn config() -> impl Strategy<Value = FixedWindowConfig> {
    (
        0u32..6,
        prop_oneof![Just(0u64), 1u64..50, Just(MAX_DURATION)],
    )
        .prop_map(|(burst, interval)| {
            FixedWindowConfig::new(FixedWindowSettings {
                burst,
                interval: Duration::from_ticks(interval),
            })
            .unwrap()
        })
}

/// Calls: events, and a step of the latest tick or a lag behind it.
fn calls() -> impl Strategy<Value = Vec<(u32, u64, u64, bool)>> {
    prop::collection::vec((0u32..4, 0u64..30, 0u64..60, any::<bool>()), 1..200)
}

proptest! {
    #[test]
    fn decides_as_the_reference_model(config in config(), start in 0u64..1 << 62, calls in calls()) {
        let w = FixedWindow::new(config);
        let mut model = Model::default();
        let mut latest = start;
        for (n, advance, lag, take) in calls {
            latest += advance;
            let now = latest.saturating_sub(lag);
            if take && n == 0 {
                let expected = model.window.as_mut().map_or(0, |window| core::mem::take(&mut window.2));
                prop_assert_eq!(w.take_missed(), expected);
                continue;
            }
            let expected = model.acquire(config.burst(), config.interval().ticks(), n, now);
            prop_assert_eq!(w.remaining(tick(now)) >= n || config.interval().ticks() == 0, expected.is_ok());
            prop_assert_eq!(w.acquire(n, tick(now)), expected);
        }
    }

    /// At most `2 × burst` over any `interval` ticks of the window's own
    /// timeline (the latest tick it has counted an event at), whatever the
    /// lag of the callers; every missed event reported exactly once (by a
    /// roll-over or a take).
    #[test]
    fn bounds_hold_and_every_missed_event_is_reported_once(
        config in config(), calls in calls()
    ) {
        let w = FixedWindow::new(config);
        let (burst, interval) = (u64::from(config.burst()), config.interval().ticks());
        let (mut latest, mut seen) = (0u64, 0u64);
        let mut grants: Vec<(Tick, u64)> = Vec::new();
        let (mut missed, mut reported) = (0u64, 0u64);
        for (n, advance, lag, _) in calls {
            latest += advance;
            let now = latest.saturating_sub(lag);
            if n > 0 {
                seen = seen.max(now);
            }
            match w.acquire(n, tick(now)) {
                Ok(Admitted { missed: report }) => {
                    reported += u64::from(report);
                    grants.push((seen, u64::from(n)));
                }
                Err(Denied { missed: report, .. }) => {
                    reported += u64::from(report);
                    missed += u64::from(n);
                }
            }
        }
        reported += u64::from(w.take_missed());
        prop_assert_eq!(missed, reported);
        if interval > 0 && interval < MAX_DURATION {
            for &(at, _) in &grants {
                let within: u64 = grants
                    .iter()
                    .filter(|(t, _)| *t >= at && *t < at + interval)
                    .map(|(_, n)| n)
                    .sum();
                prop_assert!(within <= 2 * burst, "{} in [{}, {})", within, at, at + interval);
            }
        }
    }

    /// Every word (garbage from shared memory included) is a window: steps
    /// never panic, and what they write is a word the step reads back.
    #[test]
    fn any_word_is_a_window(config in config(), word in any::<u128>(), n in any::<u32>(), now in any::<u64>()) {
        let step = Acquire { n, now: tick(now) }.step(&config, word);
        if let Some(next) = step.word() {
            prop_assert_eq!(Window::unpack(next).pack(), next);
        }
        let _ = TakeMissed.step(&config, word);
        let _ = config.remaining(word, now);
        prop_assert_eq!(Window::unpack(word).pack(), word);
    }
}

#[test]
fn threads_never_exceed_the_burst_and_lose_no_missed_event() {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let w = window(100, 1_000_000);
    let (admitted_total, reported) = (AtomicU64::new(0), AtomicU64::new(0));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for i in 0..5_000u64 {
                    match w.acquire(1, tick(i / 10)) {
                        Ok(a) => {
                            admitted_total.fetch_add(1, Relaxed);
                            reported.fetch_add(u64::from(a.missed), Relaxed);
                        }
                        Err(d) => {
                            reported.fetch_add(u64::from(d.missed), Relaxed);
                        }
                    }
                }
            });
        }
    });
    assert_eq!(admitted_total.load(Relaxed), 100);
    assert_eq!(
        reported.load(Relaxed) + u64::from(w.take_missed()),
        4 * 5_000 - 100
    );
}

/// A call: events at a step of the latest tick (or a lag behind it), a
/// take of the missed count, or a reconfiguration to one of the configs.
#[derive(Clone, Debug)]
enum Call {
    Acquire(u32, u64, u64),
    Take,
    Reconfigure(usize),
}

fn calls_with_reconfigurations() -> impl Strategy<Value = Vec<Call>> {
    prop::collection::vec(
        prop_oneof![
            6 => (0u32..4, 0u64..30, 0u64..60).prop_map(|(n, advance, lag)| Call::Acquire(n, advance, lag)),
            1 => Just(Call::Take),
            1 => (0usize..3).prop_map(Call::Reconfigure),
        ],
        1..200,
    )
}

proptest! {
    /// Reconfigured at any point, a live window decides as the reference
    /// model run with whichever configuration is in force: the count and
    /// the window's end carry over, the new burst applies at once and the
    /// new interval from the next window; no missed event is lost.
    #[test]
    fn a_reconfigured_window_decides_as_the_model_with_the_new_config(
        configs in prop::array::uniform3(config()),
        calls in calls_with_reconfigurations(),
    ) {
        let w = FixedWindow::new(configs[0].live());
        let mut current = configs[0];
        let mut model = Model::default();
        let mut latest = 1_000u64;
        let (mut missed, mut reported) = (0u64, 0u64);
        for call in calls {
            match call {
                Call::Reconfigure(i) => {
                    w.reconfigure(configs[i]);
                    current = configs[i];
                    prop_assert_eq!(w.config(), current);
                }
                Call::Take => {
                    let expected = model.window.as_mut().map_or(0, |window| core::mem::take(&mut window.2));
                    let taken = w.take_missed();
                    prop_assert_eq!(taken, expected);
                    reported += u64::from(taken);
                }
                Call::Acquire(n, advance, lag) => {
                    latest += advance;
                    let now = latest.saturating_sub(lag);
                    let expected = model.acquire(current.burst(), current.interval().ticks(), n, now);
                    let decision = w.acquire(n, tick(now));
                    prop_assert_eq!(decision, expected);
                    match decision {
                        Ok(Admitted { missed: report }) => reported += u64::from(report),
                        Err(Denied { missed: report, .. }) => {
                            reported += u64::from(report);
                            missed += u64::from(n);
                        }
                    }
                }
            }
        }
        reported += u64::from(w.take_missed());
        prop_assert_eq!(missed.min(u64::from(MAX_MISSED)), reported.min(u64::from(MAX_MISSED)));
    }
}

/// Threads counting events while another keeps switching the burst
/// between 5 and 50: no window ever admits more than the larger burst,
/// every window admits at least the smaller, and every missed event is
/// reported once.
#[test]
#[cfg(not(miri))]
fn threads_racing_reconfigurations_stay_within_the_larger_burst() {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let small = FixedWindowConfig::new(FixedWindowSettings {
        burst: 5,
        interval: Duration::from_ticks(1_000),
    })
    .unwrap();
    let large = FixedWindowConfig::new(FixedWindowSettings {
        burst: 50,
        ..small.settings()
    })
    .unwrap();
    let w = FixedWindow::new(small.live());
    const WINDOWS: usize = 40;
    let admitted: [AtomicU64; WINDOWS] = [const { AtomicU64::new(0) }; WINDOWS];
    let (missed, reported) = (AtomicU64::new(0), AtomicU64::new(0));
    let each_window = std::sync::Barrier::new(3);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..4_000 {
                w.reconfigure(if round % 2 == 0 { large } else { small });
            }
        });
        for _ in 0..3 {
            scope.spawn(|| {
                for window in 0..WINDOWS as u64 {
                    each_window.wait();
                    for _ in 0..60 {
                        match w.acquire(1, tick(window * 1_000)) {
                            Ok(Admitted { missed: report }) => {
                                reported.fetch_add(u64::from(report), Relaxed);
                                admitted[window as usize].fetch_add(1, Relaxed);
                            }
                            Err(Denied { missed: report, .. }) => {
                                reported.fetch_add(u64::from(report), Relaxed);
                                missed.fetch_add(1, Relaxed);
                            }
                        }
                    }
                }
            });
        }
    });
    // The threads enter each window together (1 000 ticks apart), so
    // each window's admissions are exactly the ones counted for it.
    for (i, count) in admitted.iter().enumerate() {
        let count = count.load(Relaxed);
        assert!((5..=50).contains(&count), "window {i}: {count}");
    }
    reported.fetch_add(u64::from(w.take_missed()), Relaxed);
    assert_eq!(missed.into_inner(), reported.into_inner());
}
