use super::*;
use crate::bucket::live::tests::{config, configs};
use crate::bucket::LiveBucket;
use crate::keyed::KeyedBuckets;
use crate::snapshot::Snapshot;
use crate::time::testing::tick;
use proptest::prelude::*;

const SEED: [u64; 2] = [11, 12];

/// The first four keys in distinct entries of a 64-entry table under
/// `SEED`.
fn keys() -> [u32; 4] {
    let table = LiveKeyedBuckets::<64>::new(BucketConfig::DEFAULT.live(), SEED);
    let mut found: std::vec::Vec<u32> = std::vec::Vec::new();
    for key in 0u32.. {
        if !found
            .iter()
            .any(|k| table.key(k).entry() == table.key(&key).entry())
        {
            found.push(key);
        }
        if found.len() == 4 {
            break;
        }
    }
    [found[0], found[1], found[2], found[3]]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Never reconfigured, a live table decides exactly as a
    /// fixed-configuration one (same seed, same size: the same entries and
    /// evictions), lagging callers, resets and snapshots included.
    #[test]
    fn decides_as_a_fixed_table(
        c in configs(),
        ops in prop::collection::vec((0u8..8, 0u32..40, 0u32..25, 0u64..60, 0u64..80), 1..150),
    ) {
        let live = LiveKeyedBuckets::<4>::new(c.live(), SEED);
        let fixed: KeyedBuckets<4, BucketConfig> = KeyedBuckets::new(c, SEED);
        let mut latest = 0u64;
        for (op, key, n, step, lag) in ops {
            latest += step;
            let now = tick(latest.saturating_sub(lag));
            match op {
                0..=4 => prop_assert_eq!(live.acquire(&key, n, now), fixed.acquire(&key, n, now)),
                5 => prop_assert_eq!(live.available(&key, now), fixed.available(&key, now)),
                6 => prop_assert_eq!(live.limiting(now), fixed.limiting(now)),
                _ => {
                    let mut saved = [0u8; LiveKeyedBuckets::<4>::SNAPSHOT_LEN];
                    live.save(now, &mut saved).unwrap();
                    let mut expected = [0u8; LiveKeyedBuckets::<4>::SNAPSHOT_LEN];
                    fixed.save(now, &mut expected).unwrap();
                    prop_assert_eq!(saved, expected);
                    if key % 4 == 0 {
                        live.reset();
                        fixed.reset();
                    }
                }
            }
        }
    }

    /// Reconfigured at any ticks, each key of the table decides exactly as
    /// its own live bucket reconfigured at the same ticks: the tokens of
    /// every key carried as a bucket's, except that a full bucket is as
    /// good as absent, so it becomes the new configuration's fresh bucket
    /// (keys in distinct entries, so no eviction).
    #[test]
    fn every_key_carries_its_tokens_as_a_live_bucket(
        first in configs(),
        others in prop::collection::vec(configs(), 1..4),
        ops in prop::collection::vec((0u8..10, 0usize..4, 0u32..25, 0u64..60, 0u64..80, 0usize..4), 1..150),
    ) {
        let table = LiveKeyedBuckets::<64>::new(first.live(), SEED);
        let keys = keys();
        let buckets = keys.map(|_| LiveBucket::new(first));
        let mut latest = 0u64;
        for (op, key, n, step, lag, which) in ops {
            latest += step;
            let now = tick(latest.saturating_sub(lag));
            if op == 0 {
                let next = others[which % others.len()];
                let previous = table.config();
                prop_assert_eq!(table.reconfigure(next, now), Ok(()));
                for bucket in &buckets {
                    if bucket.available(now) == previous.capacity() {
                        bucket.reset();
                    }
                    bucket.reconfigure(next, now).unwrap();
                }
                prop_assert_eq!(table.config(), next);
            } else if op < 8 {
                prop_assert_eq!(
                    table.acquire(&keys[key], n, now),
                    buckets[key].acquire(n, now).map_err(Refused::from)
                );
            } else {
                prop_assert_eq!(table.available(&keys[key], now), buckets[key].available(now));
            }
        }
    }

    /// Any words in the entries (the C ABI keeps them in caller memory):
    /// no call panics, and a reconfiguration carries them.
    #[test]
    fn garbage_entries_never_panic(
        words in prop::collection::vec(any::<u128>(), 4),
        c in configs(),
        d in configs(),
        calls in prop::collection::vec((any::<u32>(), 0u32..30, any::<u64>()), 1..20),
    ) {
        let table = LiveKeyedBuckets::<4>::new(c.live(), SEED);
        for (entry, word) in table.entries.iter().zip(&words) {
            entry.0.store(*word);
        }
        for (key, n, now) in &calls {
            let _ = table.acquire(key, *n, tick(*now));
            let _ = table.available(key, tick(*now));
        }
        table.reconfigure(d, tick(calls[0].2)).unwrap();
        for (key, n, now) in calls {
            let _ = table.acquire(&key, n, tick(now));
            prop_assert!(table.available(&key, tick(now)) <= d.capacity());
        }
    }
}

#[test]
fn a_drained_key_stays_drained_through_a_reconfiguration_days_behind() {
    let table = LiveKeyedBuckets::<16>::new(config(10, 1, 1_000, None).live(), SEED);
    let day = 86_400_000;
    table.acquire(&7u32, 10, tick(10 * day)).unwrap();
    // Twice the rate and capacity, reconfigured with a `now` a day old.
    table
        .reconfigure(config(20, 2, 1_000, None), tick(9 * day))
        .unwrap();
    assert_eq!(table.available(&7u32, tick(10 * day)), 0);
    assert_eq!(table.available(&7u32, tick(10 * day + 1_000)), 2);
}

#[test]
fn a_second_reconfiguration_under_way_is_busy_and_callers_go_on() {
    let table = LiveKeyedBuckets::<8>::new(config(10, 1, 100, None).live(), SEED);
    table.acquire(&1u32, 4, tick(0)).unwrap();
    let generation = table.config.generations().lock_for_test();
    assert_eq!(
        table.reconfigure(config(5, 1, 100, None), tick(0)),
        Err(Busy)
    );
    assert_eq!(table.acquire(&1u32, 6, tick(0)), Ok(()));
    assert_eq!(table.available(&1u32, tick(0)), 0);
    table.config.generations().unlock_for_test(generation);
    assert_eq!(table.reconfigure(config(5, 1, 100, None), tick(0)), Ok(()));
    assert_eq!(table.available(&1u32, tick(100)), 1);
}

/// The parity bit tells two generations apart, and a reconfiguration
/// carries every entry before the next can reuse a parity: many
/// reconfigurations in a row (the generation's parity wrapping each time)
/// leave each key exactly its tokens.
#[test]
fn parities_reused_over_many_reconfigurations_keep_every_key_exact() {
    let a = config(100, 1, 1_000, None);
    let b = config(100, 7, 3_000, None);
    let table = LiveKeyedBuckets::<64>::new(a.live(), SEED);
    let keys = keys();
    for (i, key) in keys.iter().enumerate() {
        table.acquire(key, 10 * (i as u32 + 1), tick(0)).unwrap();
    }
    for round in 0..1_001 {
        let next = if round % 2 == 0 { b } else { a };
        table.reconfigure(next, tick(0)).unwrap();
    }
    assert_eq!(table.config(), b);
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(table.available(key, tick(0)), 100 - 10 * (i as u32 + 1));
    }
}

#[test]
fn an_empty_or_full_entry_stays_free_and_a_new_key_gets_the_new_capacity() {
    let table = LiveKeyedBuckets::<1>::new(config(2, 1, 10, None).live(), SEED);
    table.acquire(&1u8, 1, tick(0)).unwrap();
    assert_eq!(table.limiting(tick(0)), 1);
    table.reconfigure(config(4, 1, 10, None), tick(10)).unwrap();
    // Key 1 was full again at tick 10: as good as absent, so emptied (not
    // 2 tokens of 4, which would hold the entry), and key 2 takes it.
    assert_eq!(table.limiting(tick(10)), 0);
    assert_eq!(table.available(&1u8, tick(10)), 4);
    assert_eq!(table.available(&2u8, tick(10)), 4);
    assert!(table.acquire(&2u8, 4, tick(10)).is_ok());
    assert_eq!(
        table.acquire(&1u8, 1, tick(10)),
        Err(Refused::TableFull { retry_at: tick(50) })
    );
    table.reset();
    assert_eq!(table.limiting(tick(10)), 0);
}

#[test]
fn snapshots_are_a_fixed_tables_and_follow_the_configuration_in_force() {
    let a = config(10, 1, 100, None);
    let b = config(20, 1, 100, None);
    let table = LiveKeyedBuckets::<8>::new(a.live(), SEED);
    table.acquire(&3u32, 7, tick(1_000)).unwrap();
    table.reconfigure(b, tick(1_000)).unwrap();
    let mut saved = [0u8; LiveKeyedBuckets::<8>::SNAPSHOT_LEN];
    table.save(tick(1_000), &mut saved).unwrap();
    // Under `b`: a table of `a` refuses it, one of `b` (live or not) takes it.
    let under_a: KeyedBuckets<8, BucketConfig> = KeyedBuckets::new(a, SEED);
    assert_eq!(under_a.restore(&saved, tick(0)), Err(SnapshotError::Config));
    let under_b: KeyedBuckets<8, BucketConfig> = KeyedBuckets::new(b, SEED);
    under_b.restore(&saved, tick(0)).unwrap();
    assert_eq!(under_b.available(&3u32, tick(0)), 3);
    let rebooted = LiveKeyedBuckets::<8>::new(b.live(), SEED);
    rebooted.restore(&saved, tick(0)).unwrap();
    assert_eq!(rebooted.available(&3u32, tick(0)), 3);
    // Restored, then reconfigured: carried as any entry.
    rebooted.reconfigure(a, tick(0)).unwrap();
    assert_eq!(rebooted.available(&3u32, tick(0)), 3);
    let mut short = [0u8; 10];
    assert_eq!(
        rebooted.save(tick(0), &mut short),
        Err(SnapshotError::BufferTooSmall)
    );
    saved[20] ^= 1;
    assert_eq!(
        rebooted.restore(&saved, tick(0)),
        Err(SnapshotError::Corrupt)
    );
    assert_eq!(rebooted.limiting(tick(0)), 0);
}

/// Threads take tokens from four keys while another switches the table
/// between two rates with different units (1 per 1 000 ticks and 7 per
/// 3 000), all at tick 0, so nothing refills: a step that read an entry
/// under the wrong configuration would misjudge its tokens. No key ever
/// gives more than the 100 it starts with.
#[test]
#[cfg(not(miri))]
fn threads_racing_reconfigurations_never_take_more_than_there_is() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let a = config(100, 1, 1_000, None);
    let b = config(100, 7, 3_000, None);
    let table = LiveKeyedBuckets::<64>::new(a.live(), SEED);
    let taken = [const { AtomicU32::new(0) }; 4];
    let keys = keys();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..2_000 {
                let _ = table.reconfigure(if round % 2 == 0 { b } else { a }, tick(0));
            }
        });
        for thread in 0..3usize {
            let (table, taken, keys) = (&table, &taken, &keys);
            scope.spawn(move || {
                for i in 0..4_000usize {
                    let key = (i + thread) % 4;
                    if table.acquire(&keys[key], 1, tick(0)).is_ok() {
                        taken[key].fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    for (key, taken) in taken.iter().enumerate() {
        let taken = taken.load(Ordering::Relaxed);
        assert!((1..=100).contains(&taken), "key {key}: {taken}");
        assert!(table.available(&keys[key], tick(0)) <= 100 - taken);
    }
}
