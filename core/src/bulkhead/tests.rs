use super::*;
use crate::time::testing::tick;
use proptest::prelude::*;

fn pool(max_concurrent: u32, max_wait: Tick) -> Bulkhead<BulkheadConfig> {
    Bulkhead::new(
        BulkheadConfig::new(BulkheadSettings {
            max_concurrent,
            max_wait: Duration::from_ticks(max_wait),
        })
        .unwrap(),
    )
}

#[test]
fn at_most_max_in_flight_and_every_slot_reused() {
    for max in [1, 2, 5, 25, 63, 64] {
        let p = pool(max, 0);
        let permits: Vec<Permit> = (0..max).map(|_| p.acquire(tick(0)).unwrap()).collect();
        assert_eq!(p.in_flight(), max);
        let word = p.word.load();
        assert_eq!(p.acquire(tick(0)), Err(Full { wait_until: None }));
        assert_eq!(p.word.load(), word, "a refusal wrote");
        for permit in &permits {
            assert_eq!(p.release(*permit), Ok(()));
            assert_eq!(p.release(*permit), Err(NotHeld), "double release");
        }
        assert_eq!(p.in_flight(), 0);
        assert_eq!(p.release(Permit::from_raw(0)), Err(NotHeld));
    }
}

#[test]
fn a_stale_permit_of_a_slot_taken_again_is_refused() {
    let p = pool(3, 0);
    let old = p.acquire(tick(0)).unwrap();
    p.release(old).unwrap();
    let new = p.acquire(tick(0)).unwrap(); // the same slot, a new epoch
    assert_eq!(p.release(old), Err(NotHeld));
    assert_eq!(p.in_flight(), 1);
    assert_eq!(p.release(new), Ok(()));
}

#[test]
fn epochs_wrap_after_two_to_the_bits_takes() {
    // One slot, 16 bits: a permit 65 536 takes old passes again (the
    // documented limit), one 65 535 takes old does not.
    let p = pool(1, 0);
    let first = p.acquire(tick(0)).unwrap();
    p.release(first).unwrap();
    for _ in 0..65_534 {
        let permit = p.acquire(tick(0)).unwrap();
        p.release(permit).unwrap();
    }
    let last = p.acquire(tick(0)).unwrap();
    assert_eq!(p.release(first), Err(NotHeld));
    p.release(last).unwrap();
    let wrapped = p.acquire(tick(0)).unwrap();
    assert_eq!(wrapped, first);
}

#[test]
fn max_wait_is_reported_from_now() {
    let p = pool(1, 500);
    let _held = p.enter(tick(100)).unwrap();
    assert_eq!(
        p.acquire(tick(200)),
        Err(Full {
            wait_until: Some(tick(700))
        })
    );
    assert_eq!(
        p.acquire(tick(u64::MAX - 1)),
        Err(Full {
            wait_until: Some(tick(u64::MAX))
        })
    );
}

#[test]
fn reset_frees_every_slot_and_stales_their_permits() {
    let p = pool(2, 0);
    let a = p.acquire(tick(0)).unwrap();
    let b = p.acquire(tick(0)).unwrap();
    p.reset();
    assert_eq!(p.in_flight(), 0);
    assert_eq!(p.release(a), Err(NotHeld));
    let c = p.acquire(tick(0)).unwrap();
    assert_ne!(c, a, "the slot's epoch advanced");
    assert_eq!(p.release(b), Err(NotHeld));
    assert_eq!(p.release(c), Ok(()));
}

#[test]
fn a_permit_with_a_foreign_tag_is_refused() {
    let p = pool(4, 0);
    let permit = p.acquire(tick(0)).unwrap();
    let tagged = Permit::from_raw(permit.to_raw() | 1 << 25);
    assert_eq!(p.release(tagged), Err(NotHeld));
    assert_eq!(p.release(permit), Ok(()));
}

proptest! {
    /// Against a model (a set of held permits): acquires and releases of
    /// held, stale, doubled and made-up permits; never more than `max`
    /// held, never a refusal while a slot is free, never a release of a
    /// permit not held.
    #[test]
    fn decides_as_a_set_of_held_slots(
        max in 1u32..=64, ops in prop::collection::vec((0u8..4, any::<u32>(), any::<usize>()), 1..300),
    ) {
        let p = pool(max, 0);
        let mut held: Vec<Permit> = Vec::new();
        let mut gone: Vec<Permit> = Vec::new();
        for (op, raw, pick) in ops {
            match op {
                0 | 1 => match p.acquire(tick(0)) {
                    Ok(permit) => {
                        prop_assert!(!held.contains(&permit));
                        held.push(permit);
                    }
                    Err(_) => prop_assert_eq!(held.len() as u32, max),
                },
                2 if !held.is_empty() => {
                    let permit = held.swap_remove(pick % held.len());
                    prop_assert_eq!(p.release(permit), Ok(()));
                    gone.push(permit);
                }
                _ => {
                    // A stale or made-up permit: refused unless it is, by
                    // epoch wrap or chance, one held now.
                    let permit = if gone.is_empty() || raw % 2 == 0 { Permit::from_raw(raw) } else { gone[pick % gone.len()] };
                    let expected = if held.contains(&permit) { Ok(()) } else { Err(NotHeld) };
                    prop_assert_eq!(p.release(permit), expected);
                    if expected.is_ok() {
                        held.retain(|h| *h != permit);
                    }
                }
            }
            prop_assert_eq!(p.in_flight(), held.len() as u32);
        }
    }

    /// Any word (garbage included): no step panics, the quick check decides
    /// as the step, and what is written keeps at most `max` slots.
    #[test]
    fn any_word_is_a_state(max in 1u32..=64, word in any::<u128>(), raw in any::<u32>()) {
        let config = BulkheadConfig::new(BulkheadSettings { max_concurrent: max, max_wait: Duration::ZERO }).unwrap();
        let input = Acquire { now: tick(3) };
        let step = input.step(&config, word);
        if let Some(quick) = input.quick(&config, word) {
            prop_assert_eq!(step, Step::Keep(quick));
        }
        if let Some(next) = step.word() {
            prop_assert!(config.occupied(next).count_ones() <= max);
        }
        let _ = Release { permit: Permit::from_raw(raw) }.step(&config, word);
    }
}

proptest! {
    /// Reconfigured at any point: never more calls admitted than the limit
    /// in force (the calls in flight keep their slots and release as
    /// before, whatever the limit now), never a refusal below it, never a
    /// slot lost; the limit goes up to the slots laid out and no further.
    #[test]
    fn a_reconfigured_bulkhead_decides_as_a_set_of_held_slots(
        first in 1u32..=64,
        limits in prop::array::uniform3(1u32..=64),
        ops in prop::collection::vec((0u8..5, any::<usize>()), 1..300),
    ) {
        let config = |max| BulkheadConfig::new(BulkheadSettings { max_concurrent: max, max_wait: Duration::ZERO }).unwrap();
        let p = Bulkhead::new(config(first).live());
        let slots = config(first).slots();
        let mut limit = first;
        let mut held: Vec<Permit> = Vec::new();
        let mut gone: Vec<Permit> = Vec::new();
        for (op, pick) in ops {
            match op {
                0 | 1 => match p.acquire(tick(0)) {
                    Ok(permit) => {
                        prop_assert!((held.len() as u32) < limit);
                        prop_assert!(!held.contains(&permit));
                        held.push(permit);
                    }
                    Err(_) => prop_assert!(held.len() as u32 >= limit),
                },
                2 if !held.is_empty() => {
                    let permit = held.swap_remove(pick % held.len());
                    prop_assert_eq!(p.release(permit), Ok(()));
                    gone.push(permit);
                }
                3 if !gone.is_empty() => {
                    let permit = gone[pick % gone.len()];
                    let expected = if held.contains(&permit) { Ok(()) } else { Err(NotHeld) };
                    prop_assert_eq!(p.release(permit), expected);
                    if expected.is_ok() {
                        held.retain(|h| *h != permit);
                    }
                }
                _ => {
                    let next = limits[pick % 3];
                    if next <= slots {
                        prop_assert_eq!(p.reconfigure(config(next)), Ok(()));
                        limit = next;
                    } else {
                        prop_assert_eq!(p.reconfigure(config(next)), Err(ConfigError::MaxConcurrent));
                    }
                    prop_assert_eq!(p.config().max_concurrent(), limit);
                }
            }
            prop_assert_eq!(p.in_flight(), held.len() as u32);
        }
        for permit in held.drain(..) {
            prop_assert_eq!(p.release(permit), Ok(()));
        }
        prop_assert_eq!(p.in_flight(), 0);
    }
}

#[test]
fn threads_never_exceed_the_limit_or_lose_a_slot() {
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    let p = pool(3, 0);
    let (inside, peak) = (AtomicU32::new(0), AtomicU32::new(0));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..5_000 {
                    if let Ok(call) = p.enter(tick(0)) {
                        let now = inside.fetch_add(1, SeqCst) + 1;
                        peak.fetch_max(now, SeqCst);
                        inside.fetch_sub(1, SeqCst);
                        drop(call);
                    }
                }
            });
        }
    });
    assert!(peak.into_inner() <= 3);
    assert_eq!(p.in_flight(), 0);
}
