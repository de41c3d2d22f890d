use super::word::{decode, encode, Phase};
use super::*;

fn config(failures: u32, open: u32, permits: u32, successes: u32, timeout: u32) -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        failure_threshold: failures,
        open_ticks: open,
        half_open_permits: permits,
        success_threshold: successes,
        half_open_timeout_ticks: timeout,
    })
    .unwrap()
}

fn trip(b: &Breaker<&BreakerConfig>, now: Tick) -> Transition {
    let mut last = None;
    for _ in 0..b.config().settings().failure_threshold {
        let p = b.acquire(now).unwrap().permit;
        last = b.record(p, Outcome::Failure, now).transition;
    }
    last.expect("threshold failures open the breaker")
}

const STARTS: [Tick; 5] = [0, 1_000, 1 << 31, u32::MAX - 150, u32::MAX];

#[test]
fn consecutive_failures_open_and_success_resets_the_run() {
    let c = config(3, 100, 2, 1, 50);
    let b = Breaker::new(&c);
    for _ in 0..2 {
        let p = b.acquire(0).unwrap().permit;
        assert!(b.record(p, Outcome::Failure, 0).transition.is_none());
    }
    let p = b.acquire(0).unwrap().permit;
    let _ = b.record(p, Outcome::Success, 0);
    for _ in 0..2 {
        let p = b.acquire(0).unwrap().permit;
        let _ = b.record(p, Outcome::Failure, 0);
    }
    assert_eq!(b.state(0), State::Closed);
    let p = b.acquire(5).unwrap().permit;
    let t = b.record(p, Outcome::Failure, 5).transition.unwrap();
    assert_eq!((t.from, t.to), (State::Closed, State::Open));
    assert_eq!(b.state(5), State::Open);
}

#[test]
fn full_cycle_in_every_region_of_the_tick_circle() {
    for start in STARTS {
        let c = config(2, 100, 2, 2, 50);
        let b = Breaker::new(&c);
        assert_eq!(trip(&b, start).to, State::Open);
        let deadline = start.wrapping_add(100);
        for dt in [0u32, 1, 50, 99] {
            let r = b.acquire(start.wrapping_add(dt)).unwrap_err();
            assert_eq!(
                r,
                Refused {
                    retry_at: Some(deadline),
                    transition: None
                }
            );
        }
        assert_eq!(b.state(deadline), State::HalfOpen);
        let first = b.acquire(deadline).unwrap();
        assert_eq!(
            first.transition,
            Some(Transition {
                from: State::Open,
                to: State::HalfOpen
            })
        );
        let second = b.acquire(deadline.wrapping_add(1)).unwrap();
        assert!(second.transition.is_none());
        // All trial permits are out: refuse until the half-open timeout.
        let full = b.acquire(deadline.wrapping_add(2)).unwrap_err();
        assert_eq!(full.retry_at, Some(deadline.wrapping_add(50)));
        assert!(b
            .record(first.permit, Outcome::Success, deadline.wrapping_add(3))
            .transition
            .is_none());
        let closed = b.record(second.permit, Outcome::Success, deadline.wrapping_add(4));
        assert_eq!(
            closed.transition,
            Some(Transition {
                from: State::HalfOpen,
                to: State::Closed
            })
        );
        assert_eq!(b.state(deadline.wrapping_add(5)), State::Closed);
    }
}

#[test]
fn any_half_open_failure_reopens_at_once() {
    for start in STARTS {
        let c = config(1, 10, 3, 3, 100);
        let b = Breaker::new(&c);
        trip(&b, start);
        let t = start.wrapping_add(10);
        let a = b.acquire(t).unwrap();
        let bb = b.acquire(t).unwrap();
        let _ = b.record(a.permit, Outcome::Success, t);
        let r = b.record(bb.permit, Outcome::Failure, t.wrapping_add(2));
        assert_eq!(
            r.transition,
            Some(Transition {
                from: State::HalfOpen,
                to: State::Open
            })
        );
        assert_eq!(
            b.acquire(t.wrapping_add(2)).unwrap_err().retry_at,
            Some(t.wrapping_add(12))
        );
    }
}

#[test]
fn half_open_never_admits_more_than_its_permits() {
    let c = config(1, 0, 3, 3, 1_000);
    let b = Breaker::new(&c);
    trip(&b, 7);
    let admitted = (0..10).filter(|_| b.acquire(8).is_ok()).count();
    assert_eq!(admitted, 3);
}

#[test]
fn ignored_returns_a_half_open_permit_without_counting() {
    let c = config(1, 10, 1, 1, 100);
    let b = Breaker::new(&c);
    trip(&b, 0);
    let p = b.acquire(10).unwrap().permit;
    assert!(b.acquire(10).is_err());
    let r = b.record(p, Outcome::Ignored, 11);
    assert_eq!(
        r,
        Recorded {
            counted: false,
            transition: None
        }
    );
    assert_eq!(b.state(11), State::HalfOpen);
    let p = b.acquire(12).unwrap().permit;
    assert_eq!(
        b.record(p, Outcome::Success, 13).transition.unwrap().to,
        State::Closed
    );
    // IGNORED in CLOSED counts nothing either.
    let p = b.acquire(14).unwrap().permit;
    assert!(!b.record(p, Outcome::Ignored, 14).counted);
}

#[test]
fn undecided_half_open_reopens_after_the_timeout() {
    for start in STARTS {
        let c = config(1, 10, 1, 1, 20);
        let b = Breaker::new(&c);
        trip(&b, start);
        let half = start.wrapping_add(10);
        let stuck = b.acquire(half).unwrap().permit;
        assert_eq!(b.state(half.wrapping_add(19)), State::HalfOpen);
        assert_eq!(b.state(half.wrapping_add(20)), State::Open);
        let r = b.acquire(half.wrapping_add(20)).unwrap_err();
        assert_eq!(
            r.transition,
            Some(Transition {
                from: State::HalfOpen,
                to: State::Open
            })
        );
        assert_eq!(r.retry_at, Some(half.wrapping_add(30)));
        // The holder reports late: its permit is stale.
        assert!(
            !b.record(stuck, Outcome::Success, half.wrapping_add(21))
                .counted
        );
        assert_eq!(b.state(half.wrapping_add(21)), State::Open);
    }
}

#[test]
fn late_outcome_after_the_timeout_reopens_instead_of_counting() {
    let c = config(1, 10, 1, 1, 20);
    let b = Breaker::new(&c);
    trip(&b, 0);
    let p = b.acquire(10).unwrap().permit;
    let r = b.record(p, Outcome::Success, 30);
    assert_eq!(
        r,
        Recorded {
            counted: false,
            transition: Some(Transition {
                from: State::HalfOpen,
                to: State::Open
            })
        }
    );
}

#[test]
fn stale_permits_are_discarded() {
    let c = config(1, 10, 1, 1, 100);
    let b = Breaker::new(&c);
    let slow = b.acquire(0).unwrap().permit; // started while CLOSED
    trip(&b, 1);
    let p = b.acquire(11).unwrap().permit;
    let _ = b.record(p, Outcome::Success, 12); // recovered: CLOSED again
    let r = b.record(slow, Outcome::Failure, 13);
    assert_eq!(
        r,
        Recorded {
            counted: false,
            transition: None
        }
    );
    assert_eq!(b.state(13), State::Closed);
    // A byte that is not a permit is rejected at the boundary.
    assert_eq!(Permit::from_raw(0x00), None);
    assert_eq!(Permit::from_raw(0x7f), None);
    assert_eq!(Permit::from_raw(0xc0), None);
}

#[test]
fn refusals_do_not_write_the_word() {
    let c = config(1, 100, 1, 1, 100);
    let b = Breaker::new(&c);
    trip(&b, 0);
    let open = b.raw_word();
    for t in 0..100 {
        assert!(b.acquire(t).is_err());
        assert_eq!(b.raw_word(), open);
    }
    let _ = b.acquire(100).unwrap();
    let half = b.raw_word();
    assert!(b.acquire(101).is_err()); // permits exhausted
    assert_eq!(b.raw_word(), half);
    b.force_open();
    let forced = b.raw_word();
    assert!(b.acquire(5).is_err());
    assert_eq!(b.raw_word(), forced);
}

#[test]
fn backwards_time_counts_as_no_time_elapsed() {
    let c = config(1, 1_000, 1, 1, 500);
    let b = Breaker::new(&c);
    trip(&b, 10_000);
    for back in [1u32, 10, 999, 1_000] {
        let r = b.acquire(10_000u32.wrapping_sub(back)).unwrap_err();
        assert_eq!(r.retry_at, Some(11_000), "back {back}");
    }
    // Across zero, too.
    let b = Breaker::new(&c);
    trip(&b, 5);
    assert_eq!(b.acquire(u32::MAX - 100).unwrap_err().retry_at, Some(1_005));
}

#[test]
fn long_idle_across_a_wrap_behaves_as_fresh() {
    // 60 days at 1 kHz and a range of other idle spans: an old OPEN deadline
    // never refuses for more than one extra open period.
    let c = config(1, 60_000, 1, 1, 60_000);
    let day = 86_400_000u64;
    let b = Breaker::new(&c);
    trip(&b, 123);
    let now = (123 + 60 * day) as u32;
    assert_eq!(b.state(now), State::HalfOpen);
    assert!(b.acquire(now).is_ok());
    for idle in (1u64..2_000).map(|k| k * 7_919_993 + 60_000) {
        let b = Breaker::new(&c);
        trip(&b, 123);
        let now = (123 + idle) as u32;
        if let Err(r) = b.acquire(now) {
            let wait = r.retry_at.unwrap().wrapping_sub(now);
            assert!(wait <= 2 * 60_000, "idle {idle}: waits {wait}");
        }
    }
}

#[test]
fn manual_controls() {
    let c = config(1, 100, 1, 1, 100);
    let b = Breaker::new(&c);
    // force open, from CLOSED; idempotent.
    assert_eq!(
        b.force_open(),
        Some(Transition {
            from: State::Closed,
            to: State::ForcedOpen
        })
    );
    assert_eq!(b.force_open(), None);
    assert_eq!(
        b.acquire(1_000_000).unwrap_err(),
        Refused {
            retry_at: None,
            transition: None
        }
    );
    assert_eq!(b.state(u32::MAX), State::ForcedOpen);
    // disable: admits everything, counts nothing.
    assert_eq!(
        b.disable(),
        Some(Transition {
            from: State::ForcedOpen,
            to: State::Disabled
        })
    );
    assert_eq!(b.disable(), None);
    for t in 0..10 {
        let p = b.acquire(t).unwrap().permit;
        assert!(!b.record(p, Outcome::Failure, t).counted);
    }
    assert_eq!(b.state(10), State::Disabled);
    // reset: back to CLOSED with an empty failure run.
    assert_eq!(
        b.reset(),
        Some(Transition {
            from: State::Disabled,
            to: State::Closed
        })
    );
    let p = b.acquire(11).unwrap().permit;
    let c2 = config(2, 100, 1, 1, 100);
    let b2 = Breaker::new(&c2);
    let q = b2.acquire(0).unwrap().permit;
    let _ = b2.record(q, Outcome::Failure, 0);
    assert_eq!(b2.reset(), None); // already CLOSED: clears the run only
    let q = b2.acquire(0).unwrap().permit;
    assert!(b2.record(q, Outcome::Failure, 0).transition.is_none());
    assert!(b.record(p, Outcome::Success, 12).counted);
    // open for N ticks, from any state, and then half-open as usual.
    for start in STARTS {
        let b = Breaker::new(&c);
        let (t, until) = b.open_for(5_000, start).unwrap();
        assert_eq!(
            t,
            Some(Transition {
                from: State::Closed,
                to: State::Open
            })
        );
        assert_eq!(until, start.wrapping_add(5_000));
        assert_eq!(
            b.acquire(start.wrapping_add(4_999)).unwrap_err().retry_at,
            Some(until)
        );
        assert_eq!(
            b.acquire(until).unwrap().transition.unwrap().to,
            State::HalfOpen
        );
        // Re-opening an OPEN breaker moves the deadline, no transition.
        let b = Breaker::new(&c);
        b.open_for(10, start).unwrap();
        assert_eq!(
            b.open_for(20, start).unwrap(),
            (None, start.wrapping_add(20))
        );
    }
    let forced = Breaker::new(&c);
    forced.force_open();
    assert_eq!(
        forced.open_for(0, 9).unwrap().0.unwrap().from,
        State::ForcedOpen
    );
    assert_eq!(forced.state(9), State::HalfOpen);
    assert_eq!(
        b.open_for(MAX_DURATION + 1, 0),
        Err(ConfigError::DurationTooLong)
    );
    let (_, until) = b.open_for(MAX_DURATION, 0).unwrap();
    assert!(until >= MAX_DURATION);
    assert_eq!(b.state(MAX_DURATION - 1), State::Open);
}

#[test]
fn extreme_configurations() {
    // Threshold 1, zero open period: the next acquire is already a trial.
    let c = config(1, 0, 1, 1, 1);
    let b = Breaker::new(&c);
    trip(&b, u32::MAX);
    assert_eq!(b.state(u32::MAX), State::HalfOpen);
    let p = b.acquire(u32::MAX).unwrap().permit;
    assert_eq!(b.state(0), State::Open); // the 1-tick half-open timeout passed
    assert!(!b.record(p, Outcome::Success, 0).counted);
    // Maximal values everywhere.
    let c = config(
        MAX_FAILURE_THRESHOLD,
        MAX_DURATION,
        MAX_HALF_OPEN_PERMITS,
        MAX_HALF_OPEN_PERMITS,
        MAX_DURATION,
    );
    let b = Breaker::new(&c);
    for _ in 0..MAX_FAILURE_THRESHOLD - 1 {
        let p = b.acquire(0).unwrap().permit;
        assert!(b.record(p, Outcome::Failure, 0).transition.is_none());
    }
    let p = b.acquire(0).unwrap().permit;
    assert_eq!(
        b.record(p, Outcome::Failure, 0).transition.unwrap().to,
        State::Open
    );
    let deadline = b.acquire(1).unwrap_err().retry_at.unwrap();
    assert!(deadline >= MAX_DURATION && deadline - MAX_DURATION < 1 << 14);
    let permits: Vec<_> = (0..40).filter_map(|_| b.acquire(deadline).ok()).collect();
    assert_eq!(permits.len(), 31);
    for (i, a) in permits.iter().enumerate() {
        let r = b.record(a.permit, Outcome::Success, deadline);
        assert_eq!(r.transition.is_some(), i == 30);
    }
    assert_eq!(b.state(deadline), State::Closed);
}

#[test]
fn generations_roll_over_safely() {
    let c = config(1, 0, 1, 1, 10);
    let b = Breaker::new(&c);
    for round in 0..200u32 {
        let old = b.acquire(round).unwrap().permit;
        let _ = b.record(old, Outcome::Failure, round);
        let p = b.acquire(round).unwrap().permit; // half-open trial
        assert!(!b.record(old, Outcome::Failure, round).counted);
        assert!(b.record(p, Outcome::Success, round).transition.is_some());
    }
}

#[test]
fn word_packing_round_trips_and_unknown_kinds_refuse() {
    let phases = [
        Phase::Closed {
            failures: MAX_FAILURE_THRESHOLD,
        },
        Phase::Open {
            deadline: (1 << 23) - 1,
        },
        Phase::HalfOpen {
            issued: 31,
            successes: 17,
            timeout: (1 << 13) - 1,
        },
        Phase::OpenUntil {
            class: 31,
            deadline: (1 << 18) - 1,
        },
        Phase::ForcedOpen,
        Phase::Disabled,
    ];
    for generation in [0, 1, 63] {
        for phase in phases {
            assert_eq!(decode(encode(generation, phase)), (generation, phase));
        }
    }
    for kind in [6u32, 7] {
        let c = BreakerConfig::DEFAULT;
        let (_, refused) = word::acquire(kind, 0, &c);
        assert!(refused.is_err());
    }
}

/// A plain, non-atomic reference model of the breaker with 64-bit time.
mod model {
    use super::*;
    #[derive(Clone, Debug)]
    pub enum M {
        Closed(u32),
        Open(u64),
        Half { issued: u32, ok: u32, until: u64 },
        Forced,
        Disabled,
    }
    pub struct Model {
        pub m: M,
        pub generation: u64,
        pub cfg: BreakerSettings,
    }
    impl Model {
        fn set(&mut self, m: M) {
            self.m = m;
            self.generation += 1;
        }
        fn settle(&mut self, now: u64) {
            match self.m {
                M::Half { until, .. } if now >= until => {
                    self.set(M::Open(now + u64::from(self.cfg.open_ticks)))
                }
                _ => {}
            }
        }
        pub fn acquire(&mut self, now: u64) -> Result<u64, Option<u64>> {
            if let M::Half { until, .. } = self.m {
                if now >= until {
                    // The timeout reopens, and this call is refused.
                    let d = now + u64::from(self.cfg.open_ticks);
                    self.set(M::Open(d));
                    return Err(Some(d));
                }
            }
            match self.m.clone() {
                M::Closed(_) | M::Disabled => Ok(self.generation),
                M::Forced => Err(None),
                M::Open(d) if now < d => Err(Some(d)),
                M::Open(_) => {
                    let until = now + u64::from(self.cfg.half_open_timeout_ticks);
                    self.set(M::Half {
                        issued: 1,
                        ok: 0,
                        until,
                    });
                    Ok(self.generation)
                }
                M::Half { issued, ok, until } => {
                    if issued >= self.cfg.half_open_permits {
                        Err(Some(until))
                    } else {
                        self.m = M::Half {
                            issued: issued + 1,
                            ok,
                            until,
                        };
                        Ok(self.generation)
                    }
                }
            }
        }
        pub fn record(&mut self, generation: u64, outcome: Outcome, now: u64) -> bool {
            if generation != self.generation {
                return false;
            }
            if let M::Half { until, .. } = self.m {
                if now >= until {
                    self.settle(now);
                    return false;
                }
            }
            let open = M::Open(now + u64::from(self.cfg.open_ticks));
            match (self.m.clone(), outcome) {
                (M::Closed(_), Outcome::Success) => self.m = M::Closed(0),
                (M::Closed(f), Outcome::Failure) if f + 1 >= self.cfg.failure_threshold => {
                    self.set(open)
                }
                (M::Closed(f), Outcome::Failure) => self.m = M::Closed(f + 1),
                (M::Half { ok, .. }, Outcome::Success) if ok + 1 >= self.cfg.success_threshold => {
                    self.set(M::Closed(0))
                }
                (M::Half { issued, ok, until }, Outcome::Success) => {
                    self.m = M::Half {
                        issued,
                        ok: ok + 1,
                        until,
                    }
                }
                (M::Half { .. }, Outcome::Failure) => self.set(open),
                (M::Half { issued, ok, until }, Outcome::Ignored) => {
                    self.m = M::Half {
                        issued: issued - 1,
                        ok,
                        until,
                    };
                    return false;
                }
                _ => return false,
            }
            true
        }
    }
}

mod properties {
    use super::model::{Model, M};
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Acquire,
        Record(usize, u8),
        Advance(u32),
        ForceOpen,
        Disable,
        Reset,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => Just(Op::Acquire),
            4 => (0usize..8, 0u8..3).prop_map(|(i, o)| Op::Record(i, o)),
            4 => (0u32..40).prop_map(Op::Advance),
            1 => Just(Op::ForceOpen),
            1 => Just(Op::Disable),
            1 => Just(Op::Reset),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn breaker_agrees_with_the_reference_model(
            failures in 1u32..4, open in 0u32..30, permits in 1u32..4, extra in 0u32..3,
            timeout in 1u32..30, start in any::<u32>(), ops in proptest::collection::vec(op(), 1..120),
        ) {
            let successes = (extra % permits) + 1;
            let settings = BreakerSettings {
                failure_threshold: failures, open_ticks: open, half_open_permits: permits,
                success_threshold: successes, half_open_timeout_ticks: timeout,
            };
            let c = BreakerConfig::new(settings).unwrap();
            let b = Breaker::new(&c);
            let mut m = Model { m: M::Closed(0), generation: 0, cfg: settings };
            let mut now = u64::from(start);
            let mut held: Vec<(Permit, u64)> = Vec::new();
            for op in ops {
                let tick = now as u32;
                match op {
                    Op::Acquire => {
                        let real = b.acquire(tick);
                        let expect = m.acquire(now);
                        match (real, expect) {
                            (Ok(a), Ok(g)) => held.push((a.permit, g)),
                            (Err(r), Err(at)) => prop_assert_eq!(r.retry_at, at.map(|d| d as u32)),
                            (real, expect) => prop_assert!(false, "{:?} vs {:?}", real, expect),
                        }
                    }
                    Op::Record(i, o) if !held.is_empty() => {
                        let (p, g) = held.remove(i % held.len());
                        let outcome = [Outcome::Success, Outcome::Failure, Outcome::Ignored][o as usize];
                        let counted = m.record(g, outcome, now);
                        prop_assert_eq!(b.record(p, outcome, tick).counted, counted);
                    }
                    Op::Record(..) => {}
                    Op::Advance(dt) => now += u64::from(dt),
                    Op::ForceOpen => { if !matches!(m.m, M::Forced) { m.generation += 1; } m.m = M::Forced; b.force_open(); }
                    Op::Disable => { if !matches!(m.m, M::Disabled) { m.generation += 1; } m.m = M::Disabled; b.disable(); }
                    Op::Reset => { if !matches!(m.m, M::Closed(_)) { m.generation += 1; } m.m = M::Closed(0); b.reset(); }
                }
                // Held permits older than 63 generations could alias; the
                // model drops them as the real breaker cannot tell.
                held.retain(|(_, g)| m.generation - g < 60);
            }
        }
    }
}
