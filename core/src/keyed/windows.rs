//! Sliding-window counters per key: an entry is the key's fingerprint and
//! its two windows' counts (16 bits each) and start.

use super::{sealed, Decision, Keyed, Refused, Step, Tick};
use crate::bucket::Refused as Limited;
use crate::live::Reconfigure;
use crate::sliding_window::{Counts, SlidingWindowConfig};
use crate::time::Instant;

/// The largest limit a keyed window counts (its counts are 16 bits); a
/// configuration above it counts as this.
pub const MAX_KEYED_WINDOW_LIMIT: u32 = u16::MAX as u32;

/// An entry: fingerprint (32) | previous (16) | current (16) | start (64).
const fn pack(fingerprint: u32, counts: Counts) -> u128 {
    ((fingerprint as u128) << 96)
        | ((counts.previous as u128 & 0xFFFF) << 80)
        | ((counts.current as u128 & 0xFFFF) << 64)
        | counts.start as u128
}

const fn unpack(word: u128) -> (u32, Counts) {
    (
        (word >> 96) as u32,
        Counts {
            start: word as u64,
            current: (word >> 64) as u32 & 0xFFFF,
            previous: (word >> 80) as u32 & 0xFFFF,
        },
    )
}

/// No event counted: a new key's windows.
const NONE: Counts = Counts {
    start: 0,
    current: 0,
    previous: 0,
};

/// The configuration as the entries count it (16-bit counts).
fn counted(config: &SlidingWindowConfig) -> SlidingWindowConfig {
    config.at_most(MAX_KEYED_WINDOW_LIMIT)
}

/// Whether `counts` hold no event at `now` (both windows empty once
/// rolled), and otherwise the tick they will: the end of the window after
/// the latest counted one.
fn frees_at(config: &SlidingWindowConfig, counts: Counts, now: Tick) -> Option<Tick> {
    let (rolled, _) = config.at(counts, now);
    let window = config.window().ticks();
    if rolled.current != 0 {
        Some(rolled.start.saturating_add(window).saturating_add(window))
    } else if rolled.previous != 0 {
        Some(rolled.start.saturating_add(window))
    } else {
        None
    }
}

impl sealed::PerKey for SlidingWindowConfig {
    #[inline]
    fn take(&self, word: u128, fingerprint: u32, n: u32, now: Tick) -> Step<u128, Decision> {
        if n == 0 {
            return Step::Keep(Ok(()));
        }
        let config = counted(self);
        if n > config.limit() {
            return Step::Keep(Err(Refused::ExceedsCapacity));
        }
        let (held_by, counts) = unpack(word);
        let counts = if held_by == fingerprint {
            counts
        } else if held_by == 0 {
            NONE
        } else {
            match frees_at(&config, counts, now) {
                None => NONE,
                Some(retry_at) => {
                    return Step::Keep(Err(Refused::TableFull {
                        retry_at: Instant::from_ticks(retry_at),
                    }))
                }
            }
        };
        match config.count(counts, n, now) {
            Ok(next) => Step::unless_same(word, pack(fingerprint, next), Ok(())),
            Err(Limited::Wait { retry_at }) => Step::Keep(Err(Refused::Wait { retry_at })),
            Err(Limited::ExceedsCapacity) => Step::Keep(Err(Refused::ExceedsCapacity)),
        }
    }

    fn is_free(&self, word: u128, now: Tick) -> bool {
        let (held_by, counts) = unpack(word);
        held_by == 0 || frees_at(&counted(self), counts, now).is_none()
    }

    fn available(&self, word: u128, fingerprint: u32, now: Tick) -> u32 {
        let config = counted(self);
        let (held_by, counts) = unpack(word);
        if held_by == fingerprint {
            config.available_of(counts, now)
        } else if self.is_free(word, now) {
            config.limit()
        } else {
            0
        }
    }

    const TABLE_KIND: u8 = 12;

    fn saved(&self, word: u128) -> Option<(u32, u128)> {
        let (fingerprint, counts) = unpack(word);
        (fingerprint != 0).then_some((fingerprint, counts.pack()))
    }

    fn entry(&self, fingerprint: u32, state: u128) -> Option<u128> {
        let counts = Counts::unpack(state);
        let fits =
            counts.current <= MAX_KEYED_WINDOW_LIMIT && counts.previous <= MAX_KEYED_WINDOW_LIMIT;
        fits.then_some(pack(fingerprint, counts))
    }
}

impl<const N: usize, C: Reconfigure<SlidingWindowConfig>> Keyed<N, SlidingWindowConfig, C> {
    /// Replaces every key's configuration while callers use the table
    /// ([`crate::live`]), as [`SlidingWindow::reconfigure`](crate::sliding_window::SlidingWindow::reconfigure)
    /// does for one counter: each key keeps its counts and its window's
    /// start, a new `limit` (at most [`MAX_KEYED_WINDOW_LIMIT`] counted)
    /// applies at once, a new `window` from the next call on. Which keys
    /// hold entries does not change; an entry frees, as before, once its
    /// key's windows (under the configuration then in force) hold no event.
    ///
    /// ```
    /// use tickguard::keyed::KeyedWindows;
    /// use tickguard::sliding_window::{SlidingWindowConfig, SlidingWindowSettings};
    /// use tickguard::time::{Duration, Instant};
    /// let table: KeyedWindows<64, _> = KeyedWindows::new(SlidingWindowConfig::DEFAULT.live(), [1, 2]);
    /// table.acquire("client-1", 100, Instant::ZERO).unwrap();
    /// let doubled = SlidingWindowSettings { limit: 200, ..SlidingWindowConfig::DEFAULT_SETTINGS };
    /// table.reconfigure(SlidingWindowConfig::new(doubled).unwrap());
    /// assert_eq!(table.available("client-1", Instant::from_ticks(1)), 100);
    /// ```
    pub fn reconfigure(&self, config: SlidingWindowConfig) {
        self.config.replace(config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyed::{KeyRef, KeyedWindows};
    use crate::sliding_window::{SlidingWindow, SlidingWindowSettings};
    use crate::time::testing::tick;
    use crate::time::Duration;
    use proptest::prelude::*;

    fn config(limit: u32, window: Tick) -> SlidingWindowConfig {
        SlidingWindowConfig::new(SlidingWindowSettings {
            limit,
            window: Duration::from_ticks(window),
        })
        .unwrap()
    }

    #[test]
    fn an_entry_frees_two_windows_after_its_last_event() {
        let table: KeyedWindows<1, _> = KeyedWindows::new(config(2, 100), [1, 2]);
        assert_eq!(table.acquire(&"a", 2, tick(1_000)), Ok(()));
        // The windows run from 1 000: "a" counts until 1 200.
        for now in [1_000, 1_099, 1_100, 1_199] {
            assert_eq!(
                table.acquire(&"b", 1, tick(now)),
                Err(Refused::TableFull {
                    retry_at: tick(1_200)
                })
            );
            assert_eq!(table.available(&"b", tick(now)), 0);
            assert_eq!(table.limiting(tick(now)), 1);
        }
        assert_eq!(table.limiting(tick(1_200)), 0);
        assert_eq!(table.available(&"b", tick(1_200)), 2);
        assert_eq!(table.acquire(&"b", 2, tick(1_200)), Ok(()));
        // "a" returns: the entry is "b"'s now, until 1 400.
        assert_eq!(
            table.acquire(&"a", 1, tick(1_250)),
            Err(Refused::TableFull {
                retry_at: tick(1_400)
            })
        );
        // Only the previous window left: free at its end.
        let table: KeyedWindows<1, _> = KeyedWindows::new(config(2, 100), [1, 2]);
        table.acquire(&"a", 1, tick(0)).unwrap();
        assert_eq!(
            table.acquire(&"b", 1, tick(150)),
            Err(Refused::TableFull {
                retry_at: tick(200)
            })
        );
        // Zero events take nothing; more than the limit never fit.
        assert_eq!(table.acquire(&"b", 0, tick(150)), Ok(()));
        assert_eq!(
            table.acquire(&"a", 3, tick(150)),
            Err(Refused::ExceedsCapacity)
        );
        assert_eq!(table.limiting(tick(150)), 1);
        table.reset();
        assert_eq!(table.limiting(tick(150)), 0);
    }

    #[test]
    fn limits_above_sixteen_bits_count_as_the_largest() {
        let table: KeyedWindows<4, _> = KeyedWindows::new(config(1 << 20, 1_000), [3, 4]);
        assert_eq!(table.available(&7u8, tick(0)), MAX_KEYED_WINDOW_LIMIT);
        assert_eq!(table.acquire(&7u8, MAX_KEYED_WINDOW_LIMIT, tick(0)), Ok(()));
        assert!(matches!(
            table.acquire(&7u8, 1, tick(1)),
            Err(Refused::Wait { .. })
        ));
        assert_eq!(
            table.acquire(&8u8, MAX_KEYED_WINDOW_LIMIT + 1, tick(1)),
            Err(Refused::ExceedsCapacity)
        );
    }

    /// Threads hammering eight keys over four entries, in rounds two
    /// windows apart (every round starts from empty windows): no key is
    /// ever admitted more than its limit within a round's window, whatever
    /// the takeovers and full-table refusals between them.
    #[test]
    fn threads_never_admit_a_key_past_its_limit() {
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::sync::Barrier;
        const WINDOW: Tick = 100;
        let table: KeyedWindows<4, _> = KeyedWindows::new(config(3, WINDOW), [11, 12]);
        let admitted: [AtomicU32; 8] = Default::default();
        let barrier = Barrier::new(4);
        for round in 0..150u64 {
            let base = round * 3 * WINDOW;
            std::thread::scope(|scope| {
                for thread in 0..4u64 {
                    let (table, admitted, barrier) = (&table, &admitted, &barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        for i in 0..24u64 {
                            let key = (i * 5 + thread * 3 + round) % 8;
                            let now = base + (i + thread) % (WINDOW / 2);
                            if table.acquire(&key, 1, tick(now)).is_ok() {
                                admitted[key as usize].fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    });
                }
            });
            let mut total = 0;
            for (key, count) in admitted.iter().enumerate() {
                let count = count.swap(0, Ordering::Relaxed);
                assert!(
                    count <= 3,
                    "round {round}: key {key} admitted {count} times"
                );
                total += count;
            }
            // Four entries, each held by one key at a time within a round.
            assert!(total <= 4 * 3, "round {round}: {total}");
            assert!(total >= 3, "round {round}: nothing admitted");
        }
    }

    /// Keys with entries of their own, each beside a plain sliding window.
    fn own_entries(count: usize) -> std::vec::Vec<u32> {
        let mut keys = std::vec::Vec::new();
        let mut taken = std::collections::BTreeSet::new();
        let mut candidate = 0u32;
        while keys.len() < count {
            if taken.insert(KeyRef::of(&candidate, [5, 6], 64).entry()) {
                keys.push(candidate);
            }
            candidate += 1;
        }
        keys
    }

    proptest! {
        /// A key alone in its entry decides exactly as one sliding window.
        #[test]
        fn each_key_is_a_sliding_window(
            limit in 1u32..20,
            window in 1u64..500,
            steps in prop::collection::vec((0usize..6, 0u32..6, 0u64..200, any::<bool>()), 1..200),
        ) {
            let config = config(limit, window);
            let table: KeyedWindows<64, _> = KeyedWindows::new(config, [5, 6]);
            let keys = own_entries(6);
            let models: std::vec::Vec<SlidingWindow<SlidingWindowConfig>> =
                keys.iter().map(|_| SlidingWindow::new(config)).collect();
            let mut clock = 1_000u64;
            for (k, n, dt, lag) in steps {
                clock += dt;
                let now = if lag { clock - dt / 2 } else { clock };
                prop_assert_eq!(table.available(&keys[k], tick(now)), models[k].available(tick(now)));
                let ours = table.acquire(&keys[k], n, tick(now));
                let model = models[k].acquire(n, tick(now)).map_err(|refused| match refused {
                    Limited::Wait { retry_at } => Refused::Wait { retry_at },
                    Limited::ExceedsCapacity => Refused::ExceedsCapacity,
                });
                prop_assert_eq!(ours, model);
            }
        }

        /// Reconfigured at any point, each key alone in its entry decides
        /// exactly as one sliding window reconfigured alike.
        #[test]
        fn each_key_is_a_reconfigured_sliding_window(
            configs in prop::array::uniform3((1u32..20, 1u64..500)),
            steps in prop::collection::vec((0usize..6, 0u32..6, 0u64..200, any::<bool>(), prop::option::weighted(0.1, 0usize..3)), 1..200),
        ) {
            let configs = configs.map(|(limit, window)| config(limit, window));
            let table: KeyedWindows<64, _> = KeyedWindows::new(configs[0].live(), [5, 6]);
            let keys = own_entries(6);
            let models: std::vec::Vec<_> = keys.iter().map(|_| SlidingWindow::new(configs[0].live())).collect();
            let mut clock = 1_000u64;
            for (k, n, dt, lag, switch) in steps {
                if let Some(i) = switch {
                    table.reconfigure(configs[i]);
                    for model in &models {
                        model.reconfigure(configs[i]);
                    }
                }
                clock += dt;
                let now = if lag { clock - dt / 2 } else { clock };
                prop_assert_eq!(table.available(&keys[k], tick(now)), models[k].available(tick(now)));
                let ours = table.acquire(&keys[k], n, tick(now));
                let model = models[k].acquire(n, tick(now)).map_err(|refused| match refused {
                    Limited::Wait { retry_at } => Refused::Wait { retry_at },
                    Limited::ExceedsCapacity => Refused::ExceedsCapacity,
                });
                prop_assert_eq!(ours, model);
            }
        }

        /// A table of windows restored from its snapshot, after a reboot
        /// that moved the tick counter by `shift`, decides exactly as the
        /// original at the same moments.
        #[test]
        fn a_restored_table_decides_as_the_original(
            limit in 1u32..8, window in 1u64..300, start in 0u64..1 << 40, shift in 0u64..1 << 20,
            before in prop::collection::vec((0u8..12, 0u32..5, 0u64..60), 0..60),
            after in prop::collection::vec((0u8..12, 0u32..5, 0u64..60), 1..60),
        ) {
            use crate::snapshot::Snapshot;
            let c = config(limit, window);
            let table: KeyedWindows<8, _> = KeyedWindows::new(c, [3, 4]);
            let mut now = start + shift;
            for (key, n, advance) in before {
                now += advance;
                let _ = table.acquire(&key, n, tick(now));
            }
            let mut saved = [0u8; KeyedWindows::<8>::SNAPSHOT_LEN];
            prop_assert_eq!(table.save(tick(now), &mut saved), Ok(saved.len()));
            let rebooted: KeyedWindows<8, _> = KeyedWindows::new(c, [3, 4]);
            rebooted.restore(&saved, tick(now - shift)).unwrap();
            for (key, n, advance) in after {
                now += advance;
                prop_assert_eq!(rebooted.available(&key, tick(now - shift)), table.available(&key, tick(now)));
                let expected = table.acquire(&key, n, tick(now)).map_err(|refused| match refused {
                    Refused::Wait { retry_at } => Refused::Wait { retry_at: tick(retry_at.ticks() - shift) },
                    Refused::TableFull { retry_at } => Refused::TableFull { retry_at: tick(retry_at.ticks() - shift) },
                    other => other,
                });
                prop_assert_eq!(rebooted.acquire(&key, n, tick(now - shift)), expected);
            }
        }

        /// Keys sharing one entry: an occupant is never evicted while it
        /// counts events, a free entry is never refused, and each key keeps
        /// the sliding window's bound (fewer than 2 × limit in any window
        /// of its own admissions).
        #[test]
        fn a_shared_entry_never_evicts_a_counting_key(
            limit in 1u32..6,
            window in 1u64..100,
            steps in prop::collection::vec((0u8..4, 1u32..4, 0u64..60), 1..300),
        ) {
            let config = config(limit, window);
            let table: KeyedWindows<1, _> = KeyedWindows::new(config, [7, 8]);
            let mut admitted: [std::vec::Vec<Tick>; 4] = Default::default();
            let mut clock = 0u64;
            for (k, n, dt) in steps {
                clock += dt;
                let word = table.entries[0].0.load();
                let free = sealed::PerKey::is_free(&config, word, clock);
                match table.acquire(&k, n, tick(clock)) {
                    Ok(()) => admitted[usize::from(k)].extend(core::iter::repeat_n(clock, n as usize)),
                    Err(Refused::TableFull { retry_at }) => {
                        prop_assert!(!free);
                        prop_assert!(retry_at.ticks() > clock);
                    }
                    Err(_) => {}
                }
            }
            for ticks in &admitted {
                for (i, &t) in ticks.iter().enumerate() {
                    let within = ticks[i..].iter().take_while(|&&u| u < t + window).count();
                    prop_assert!(within < 2 * limit as usize, "{} in a window of {}", within, window);
                }
            }
        }
    }
}
