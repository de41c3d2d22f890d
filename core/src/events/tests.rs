use super::*;
use proptest::prelude::*;
use std::collections::VecDeque;

fn event(at: u64, source: u16) -> Event {
    let from = State::ALL[usize::from(source) % 5];
    let to = State::ALL[(usize::from(source) + 1) % 5];
    Event {
        at: Instant::from_ticks(at),
        source,
        transition: Transition { from, to },
    }
}

#[test]
fn fifo_across_many_laps() {
    let queue: EventQueue<3> = EventQueue::new();
    for lap in 0..10_000u64 {
        for i in 0..3 {
            assert_eq!(queue.push(event(lap * 3 + i, i as u16)), Ok(()));
        }
        assert_eq!(queue.push(event(0, 0)), Err(Full));
        for i in 0..3 {
            assert_eq!(queue.pop(), Some(event(lap * 3 + i, i as u16)));
        }
        assert_eq!(queue.pop(), None);
    }
    assert_eq!(queue.take_dropped(), 10_000);
    assert_eq!(queue.take_dropped(), 0);
}

#[test]
fn state_codes_are_the_states() {
    for state in State::ALL {
        assert_eq!(State::from_code(state as u64), Some(state));
    }
    assert_eq!(State::from_code(5), None);
    assert_eq!(State::from_code(0xFF), None);
}

#[test]
fn every_field_round_trips() {
    let queue: EventQueue<2> = EventQueue::new();
    for state in State::ALL {
        for other in State::ALL {
            for (at, source) in [(0, 0), (u64::MAX, u16::MAX), (1 << 40, 0x1234)] {
                let e = Event {
                    at: Instant::from_ticks(at),
                    source,
                    transition: Transition {
                        from: state,
                        to: other,
                    },
                };
                queue.push(e).unwrap();
                assert_eq!(queue.pop(), Some(e));
            }
        }
    }
}

#[test]
fn a_queue_of_fewer_than_two_slots_drops_everything() {
    let one = [EventSlot::EMPTY];
    for slots in [&[][..], &one[..]] {
        let cursors = EventCursors::START;
        let queue = EventsRef {
            cursors: &cursors,
            slots,
        };
        assert_eq!(queue.push(event(1, 1)), Err(Full));
        assert_eq!(queue.pop(), None);
        assert_eq!(queue.take_dropped(), 1);
    }
}

#[test]
fn the_smallest_queue_holds_two() {
    let queue: EventQueue<2> = EventQueue::new();
    for lap in 0..1_000u64 {
        assert_eq!(queue.push(event(lap, 1)), Ok(()));
        assert_eq!(queue.push(event(lap, 2)), Ok(()));
        assert_eq!(queue.push(event(lap, 3)), Err(Full));
        assert_eq!(queue.pop(), Some(event(lap, 1)));
        assert_eq!(queue.push(event(lap, 4)), Ok(()));
        assert_eq!(queue.pop(), Some(event(lap, 2)));
        assert_eq!(queue.pop(), Some(event(lap, 4)));
        assert_eq!(queue.pop(), None);
    }
}

/// Caller memory holding anything: every call returns, none panics, and a
/// slot whose states are not states is dropped, never returned.
#[test]
fn garbage_never_hangs_or_misreads() {
    let mut x = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834u128;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let cursors = EventCursors::START;
        cursors.head.store(x as u64 >> (x % 61) as u32);
        cursors
            .tail
            .store((x >> 64) as u64 >> ((x >> 8) % 61) as u32);
        let slots = [EventSlot::EMPTY, EventSlot::EMPTY, EventSlot::EMPTY];
        for (i, slot) in slots.iter().enumerate() {
            slot.0.store(x.rotate_left(i as u32 * 37));
        }
        let queue = EventsRef {
            cursors: &cursors,
            slots: &slots,
        };
        for _ in 0..4 {
            if let Some(e) = queue.pop() {
                assert!(State::ALL.contains(&e.transition.from));
            }
            let _ = queue.push(event(7, 7));
        }
        queue.clear();
        assert_eq!(queue.pop(), None);
        assert_eq!(queue.push(event(1, 2)), Ok(()));
        assert_eq!(queue.pop(), Some(event(1, 2)));
    }
}

proptest! {
    /// One caller at a time: the queue is a bounded FIFO that drops (and
    /// counts) what does not fit.
    #[test]
    fn agrees_with_a_bounded_fifo(ops in proptest::collection::vec(any::<(bool, u16)>(), 1..400)) {
        let queue: EventQueue<5> = EventQueue::new();
        let mut model = VecDeque::new();
        let mut dropped = 0u64;
        for (i, (push, source)) in ops.into_iter().enumerate() {
            if push {
                let e = event(i as u64, source);
                if model.len() < 5 {
                    model.push_back(e);
                    prop_assert_eq!(queue.push(e), Ok(()));
                } else {
                    dropped += 1;
                    prop_assert_eq!(queue.push(e), Err(Full));
                }
            } else {
                prop_assert_eq!(queue.pop(), model.pop_front());
            }
        }
        prop_assert_eq!(queue.take_dropped(), dropped);
    }
}
