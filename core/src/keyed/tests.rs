use super::*;
use crate::bucket::{BucketSettings, TokenBucket};
use crate::time::testing::tick;
use crate::time::Duration;
use proptest::prelude::*;

fn config(capacity: u32, tokens: u32, period: Tick) -> BucketConfig {
    BucketConfig::new(BucketSettings {
        capacity,
        tokens,
        period: Duration::from_ticks(period),
        initial_fill: None,
    })
    .unwrap()
}

#[test]
fn each_key_has_its_own_bucket() {
    let table: KeyedBuckets<4_096, _> = KeyedBuckets::new(config(3, 1, 10), [1, 2]);
    let mut met = 0;
    for client in 0u32..100 {
        match table.acquire(&client, 3, tick(0)) {
            Ok(()) => {}
            // Two of 100 keys in one of 4 096 entries: rare, and refused.
            Err(Refused::TableFull { .. }) => met += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(met <= 5);
    let granted = (0u32..100)
        .filter(|client| table.acquire(client, 1, tick(0)).is_ok())
        .count();
    assert_eq!(granted, 0);
    assert_eq!(
        table.acquire(&7u32, 1, tick(5)),
        Err(Refused::Wait { retry_at: tick(10) })
    );
    assert!(table.acquire(&7u32, 1, tick(10)).is_ok());
    assert_eq!(
        table.acquire(&7u32, 4, tick(10)),
        Err(Refused::ExceedsCapacity)
    );
}

#[test]
fn a_limiting_key_is_never_evicted_and_a_full_one_is() {
    // One entry: every key maps to it.
    let table: KeyedBuckets<1, _> = KeyedBuckets::new(config(2, 1, 100), [9, 9]);
    assert!(table.acquire("a", 1, tick(0)).is_ok());
    // "a" still limits until it is full again (tick 100).
    assert_eq!(
        table.acquire("b", 1, tick(50)),
        Err(Refused::TableFull {
            retry_at: tick(100)
        })
    );
    assert_eq!(table.available("b", tick(50)), 0);
    assert_eq!(table.limiting(tick(99)), 1);
    assert_eq!(table.limiting(tick(100)), 0);
    // At 100 "a" is as good as absent: "b" takes the entry.
    assert!(table.acquire("b", 2, tick(100)).is_ok());
    // "a" returns: refused while "b" limits; then a new bucket, full.
    assert_eq!(
        table.acquire("a", 1, tick(150)),
        Err(Refused::TableFull {
            retry_at: tick(300)
        })
    );
    assert_eq!(table.available("a", tick(300)), 2);
    assert!(table.acquire("a", 2, tick(300)).is_ok());
}

#[test]
fn refusals_write_nothing() {
    let table: KeyedBuckets<1, _> = KeyedBuckets::new(config(1, 1, 100), [0, 0]);
    assert!(table.acquire(&1u64, 1, tick(0)).is_ok());
    let word = table.entries[0].0.load();
    assert!(table.acquire(&1u64, 1, tick(1)).is_err());
    assert!(table.acquire(&2u64, 1, tick(1)).is_err());
    assert!(table.acquire(&2u64, 5, tick(1)).is_err());
    assert_eq!(table.entries[0].0.load(), word);
}

#[test]
fn any_rate_fits_the_entry() {
    // 7 units per tick (the 128-bit bucket word), at a tick late in time.
    let table: KeyedBuckets<4, _> = KeyedBuckets::new(config(5, 7, 1_000), [3, 3]);
    let late = 1u64 << 61;
    assert!(table.acquire("k", 5, tick(late)).is_ok());
    assert_eq!(
        table.acquire("k", 1, tick(late)),
        Err(Refused::Wait {
            retry_at: tick(late + 143)
        })
    );
    // Past the horizon, an arrival time beyond the entry's 96 bits refuses
    // for ever rather than wrap.
    let widest: KeyedBuckets<2, _> = KeyedBuckets::new(
        config(u32::MAX, u32::MAX, crate::time::MAX_DURATION),
        [3, 3],
    );
    assert_eq!(
        widest.acquire("z", u32::MAX, tick(u64::MAX - 1)),
        Err(Refused::Wait {
            retry_at: Instant::MAX
        })
    );
    assert!(widest.acquire("z", 1, tick(1 << 40)).is_ok());
}

#[test]
fn byte_keys_and_hashed_keys_name_entries_consistently() {
    let a = KeyRef::of_bytes(b"10.0.0.1", [1, 2], 1 << 20);
    assert_eq!(a, KeyRef::of_bytes(b"10.0.0.1", [1, 2], 1 << 20));
    assert_ne!(
        a,
        KeyRef::of_bytes(b"10.0.0.1", [1, 3], 1 << 20),
        "the seed changes it"
    );
    assert_ne!(a, KeyRef::of_bytes(b"10.0.0.2", [1, 2], 1 << 20));
}

#[test]
fn keys_spread_over_the_entries() {
    let mut hits = [0u32; 64];
    for key in 0u32..64_000 {
        hits[KeyRef::of(&key, [11, 12], 64).entry()] += 1;
    }
    assert!(hits.iter().all(|&h| (800..1_200).contains(&h)), "{hits:?}");
}

proptest! {
    /// Every key decides exactly as its own token bucket would, as long as
    /// it keeps its entry; whenever it is refused for a full table, its
    /// entry holds another key that is still limiting.
    #[test]
    fn each_key_is_its_own_bucket_or_refused_for_a_limiting_occupant(
        capacity in 1u32..5, tokens in 1u32..8, period in 1u64..30,
        calls in prop::collection::vec((0u8..12, 0u32..6, 0u64..20), 1..300),
    ) {
        let config = config(capacity, tokens, period);
        let table: KeyedBuckets<4, _> = KeyedBuckets::new(config, [42, 43]);
        let mut own: Vec<Option<TokenBucket<BucketConfig>>> = (0..12).map(|_| None).collect();
        let mut now = 0u64;
        for (key, n, advance) in calls {
            now += advance;
            let entry = table.key(&key).entry();
            let word = table.entries[entry].0.load();
            let decision = table.acquire(&key, n, tick(now));
            match decision {
                Err(Refused::TableFull { retry_at }) => {
                    prop_assert!(!is_free(&config, word, now));
                    prop_assert!(retry_at.ticks() > now);
                    // The key lost its entry (or never had it): a fresh
                    // bucket when it gets one back.
                    own[usize::from(key)] = None;
                }
                other => {
                    let bucket = own[usize::from(key)].get_or_insert_with(|| TokenBucket::new(config));
                    // A key whose entry was taken over restarts as new.
                    if unpack(word).0 != table.key(&key).fingerprint {
                        *bucket = TokenBucket::new(config);
                    }
                    prop_assert_eq!(other, bucket.acquire(n, tick(now)).map_err(Refused::from));
                }
            }
        }
    }

    /// Any word (garbage included): no step panics; the quick check decides
    /// only what the step keeps.
    #[test]
    fn any_word_is_an_entry(word in any::<u128>(), fingerprint in 1u32.., n in 0u32..8, now in any::<u64>()) {
        let config = config(4, 3, 7);
        let take = Take { fingerprint, n, now };
        let step = take.step(&EntryMachine(&config), word);
        if let Some(quick) = take.quick(&EntryMachine(&config), word) {
            prop_assert_eq!(step, Step::Keep(quick));
        }
        if let Some(next) = step.word() {
            prop_assert_eq!(unpack(next).0, fingerprint);
        }
    }
}

#[test]
fn threads_never_take_more_than_a_key_allows() {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    let table: KeyedBuckets<256, _> = KeyedBuckets::new(config(10, 1, 1_000_000), [5, 5]);
    let granted: Vec<AtomicU32> = (0..16).map(|_| AtomicU32::new(0)).collect();
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let (table, granted) = (&table, &granted);
            scope.spawn(move || {
                for i in 0..4_000u64 {
                    let key = ((i + t) % 16) as u32;
                    if table.acquire(&key, 1, tick(i / 100)).is_ok() {
                        granted[key as usize].fetch_add(1, Relaxed);
                    }
                }
            });
        }
    });
    for count in &granted {
        assert!(count.load(Relaxed) <= 10);
    }
}

proptest! {
    /// A table restored from its snapshot, after a reboot that moved the
    /// tick counter by `shift`, decides exactly as the original does at the
    /// same moments: every key, every entry, every refusal's tick.
    #[test]
    fn a_restored_table_decides_as_the_original(
        capacity in 1u32..6, tokens in prop_oneof![1u32..4, Just(1_000u32)], period in 1u64..40,
        start in 0u64..1 << 40, shift in 0u64..1 << 20,
        before in prop::collection::vec((0u8..12, 0u32..7, 0u64..30), 0..60),
        after in prop::collection::vec((0u8..12, 0u32..7, 0u64..30), 1..60),
    ) {
        let c = config(capacity, tokens, period);
        let table: KeyedBuckets<8, _> = KeyedBuckets::new(c, [11, 12]);
        let mut now = start + shift;
        for (key, n, advance) in before {
            now += advance;
            let _ = table.acquire(&key, n, tick(now));
        }
        let mut saved = [0u8; KeyedBuckets::<8>::SNAPSHOT_LEN];
        prop_assert_eq!(table.save(tick(now), &mut saved), Ok(saved.len()));
        let rebooted: KeyedBuckets<8, _> = KeyedBuckets::new(c, [11, 12]);
        rebooted.restore(&saved, tick(now - shift)).unwrap();
        // Streaming gives the same bytes.
        let mut streamed = [0u8; KeyedBuckets::<8>::SNAPSHOT_LEN];
        table.table().save_with(tick(now), |offset, bytes| {
            streamed[offset..offset + bytes.len()].copy_from_slice(bytes);
        });
        prop_assert_eq!(streamed, saved);
        for (key, n, advance) in after {
            now += advance;
            prop_assert_eq!(rebooted.available(&key, tick(now - shift)), table.available(&key, tick(now)));
            let expected = table.acquire(&key, n, tick(now)).map_err(|refused| match refused {
                Refused::Wait { retry_at } => Refused::Wait { retry_at: tick(retry_at.ticks() - shift) },
                Refused::TableFull { retry_at } => Refused::TableFull { retry_at: tick(retry_at.ticks().saturating_sub(shift)) },
                other => other,
            });
            prop_assert_eq!(rebooted.acquire(&key, n, tick(now - shift)), expected);
        }
    }

    /// Any damage to a snapshot is refused and leaves the table empty.
    #[test]
    fn a_damaged_snapshot_is_refused(at in 0usize..KeyedBuckets::<4>::SNAPSHOT_LEN, flip in 1u8..=255) {
        let c = config(3, 1, 10);
        let table: KeyedBuckets<4, _> = KeyedBuckets::new(c, [1, 2]);
        table.acquire(&1u8, 3, tick(100)).unwrap();
        let mut saved = [0u8; KeyedBuckets::<4>::SNAPSHOT_LEN];
        table.save(tick(100), &mut saved).unwrap();
        saved[at] ^= flip;
        let other: KeyedBuckets<4, _> = KeyedBuckets::new(c, [1, 2]);
        other.acquire(&2u8, 3, tick(0)).unwrap();
        prop_assert!(other.restore(&saved, tick(0)).is_err());
        prop_assert_eq!(other.limiting(tick(0)), 0);
    }
}

#[test]
fn a_snapshot_names_its_table() {
    let c = config(3, 1, 10);
    let table: KeyedBuckets<4, _> = KeyedBuckets::new(c, [1, 2]);
    table.acquire(&1u8, 3, tick(100)).unwrap();
    let mut saved = [0u8; KeyedBuckets::<4>::SNAPSHOT_LEN];
    assert_eq!(
        table.save(tick(100), &mut saved[..10]),
        Err(SnapshotError::BufferTooSmall)
    );
    table.save(tick(100), &mut saved).unwrap();
    // Another seed puts keys elsewhere; another size or configuration too.
    let reseeded: KeyedBuckets<4, _> = KeyedBuckets::new(c, [1, 3]);
    assert_eq!(
        reseeded.restore(&saved, tick(0)),
        Err(SnapshotError::Config)
    );
    let other_config: KeyedBuckets<4, _> = KeyedBuckets::new(config(4, 1, 10), [1, 2]);
    assert_eq!(
        other_config.restore(&saved, tick(0)),
        Err(SnapshotError::Config)
    );
    let larger: KeyedBuckets<5, _> = KeyedBuckets::new(c, [1, 2]);
    assert_eq!(
        larger.restore(&saved, tick(0)),
        Err(SnapshotError::Truncated)
    );
    assert_eq!(
        table.restore(&saved[..20], tick(0)),
        Err(SnapshotError::Truncated)
    );
    assert_eq!(table.limiting(tick(100)), 0); // left empty
    let mut as_windows = saved;
    as_windows[3] = 12;
    assert_eq!(
        table.restore(&as_windows, tick(0)),
        Err(SnapshotError::Kind)
    );
    table.restore(&saved, tick(100)).unwrap();
    assert_eq!(table.available(&1u8, tick(100)), 0);
    assert_eq!(table.limiting(tick(100)), 1);
}
