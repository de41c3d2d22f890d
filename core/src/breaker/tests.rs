use super::word::{decode, encode, Phase};
use super::*;
use crate::time::testing::{span, tick};
use crate::time::Tick;

fn config(failures: u32, open: Tick, permits: u32, successes: u32, timeout: Tick) -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        failure_threshold: failures,
        open: span(open),
        half_open_permits: permits,
        success_threshold: successes,
        half_open_timeout: span(timeout),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap()
}

/// Opens a CLOSED breaker with a failure threshold of 1 at `now`.
fn trip(b: &Breaker<&BreakerConfig>, now: Tick) -> Transition {
    let p = b.acquire(tick(now)).unwrap().permit;
    b.record(p, Outcome::Failure, tick(now)).transition.unwrap()
}

/// Ticks across the whole range a device can reach, and past it.
const STARTS: [Tick; 6] = [
    0,
    1,
    1 << 32,
    MAX_DURATION - 1_000,
    MAX_DURATION,
    u64::MAX - 5_000,
];

#[test]
fn consecutive_failures_open_and_success_resets_the_run() {
    let c = config(3, 100, 1, 1, 50);
    let b = Breaker::new(&c);
    for _ in 0..2 {
        let p = b.acquire(tick(0)).unwrap().permit;
        assert!(b.record(p, Outcome::Failure, tick(0)).transition.is_none());
    }
    let p = b.acquire(tick(0)).unwrap().permit;
    let _ = b.record(p, Outcome::Success, tick(0));
    for _ in 0..2 {
        let p = b.acquire(tick(0)).unwrap().permit;
        let _ = b.record(p, Outcome::Failure, tick(0));
    }
    assert_eq!(b.state(tick(0)), State::Closed);
    let p = b.acquire(tick(0)).unwrap().permit;
    let t = b.record(p, Outcome::Failure, tick(0)).transition.unwrap();
    assert_eq!((t.from, t.to), (State::Closed, State::Open));
    assert_eq!(b.acquire(tick(5)).unwrap_err().retry_at, Some(tick(100)));
}

#[test]
fn full_cycle_anywhere_on_the_tick_line() {
    for start in STARTS {
        let c = config(1, 1_000, 2, 2, 300);
        let b = Breaker::new(&c);
        assert_eq!(trip(&b, start).to, State::Open);
        let until = start.saturating_add(1_000);
        if until > start {
            assert_eq!(
                b.acquire(tick(until - 1)).unwrap_err().retry_at,
                Some(tick(until))
            );
            assert_eq!(b.state(tick(until - 1)), State::Open);
        }
        assert_eq!(b.state(tick(until)), State::HalfOpen);
        let first = b.acquire(tick(until)).unwrap();
        assert_eq!(first.transition.unwrap().to, State::HalfOpen);
        let second = b.acquire(tick(until)).unwrap();
        assert!(b.acquire(tick(until)).is_err(), "two permits only");
        assert!(
            b.record(first.permit, Outcome::Success, tick(until))
                .counted
        );
        let done = b.record(second.permit, Outcome::Success, tick(until));
        assert_eq!(done.transition.unwrap().to, State::Closed);
        assert_eq!(b.state(tick(until)), State::Closed);
    }
}

#[test]
fn deadlines_are_exact_for_every_duration() {
    for open in [
        1,
        2,
        1_000,
        60_000,
        (1 << 17) + 1,
        1 << 40,
        MAX_DURATION - 1,
        MAX_DURATION,
    ] {
        for start in [0, 12_345, 1 << 50] {
            let c = config(1, open, 1, 1, 10);
            let b = Breaker::new(&c);
            let _ = trip(&b, start);
            // Exact up to the latest-tick bookkeeping: never early, late by
            // less than open / 2^16.
            let retry_at = b
                .acquire(tick(start))
                .unwrap_err()
                .retry_at
                .unwrap()
                .ticks();
            assert!(retry_at >= start + open && retry_at <= start + open + (open >> 16));
            if retry_at > start {
                assert!(b.acquire(tick(retry_at - 1)).is_err());
            }
            assert!(
                b.acquire(tick(retry_at)).is_ok(),
                "open={open} start={start}"
            );
        }
    }
}

#[test]
fn any_half_open_failure_reopens_at_once() {
    let c = config(1, 100, 3, 2, 50);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let a = b.acquire(tick(100)).unwrap();
    let x = b.acquire(tick(101)).unwrap();
    assert!(b.record(a.permit, Outcome::Success, tick(102)).counted);
    let t = b
        .record(x.permit, Outcome::Failure, tick(103))
        .transition
        .unwrap();
    assert_eq!((t.from, t.to), (State::HalfOpen, State::Open));
    assert_eq!(b.acquire(tick(104)).unwrap_err().retry_at, Some(tick(203)));
}

#[test]
fn ignored_returns_a_half_open_permit_once() {
    let c = config(1, 10, 3, 3, 1_000);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let permits: Vec<Permit> = (0..3)
        .map(|_| b.acquire(tick(10)).unwrap().permit)
        .collect();
    assert!(b.acquire(tick(10)).is_err());
    let ignored = b.record(permits[0], Outcome::Ignored, tick(11));
    assert!(!ignored.counted && ignored.transition.is_none());
    // A second report of the same permit frees nothing.
    assert!(!b.record(permits[0], Outcome::Ignored, tick(11)).counted);
    assert!(!b.record(permits[0], Outcome::Success, tick(11)).counted);
    let again = b.acquire(tick(12)).unwrap().permit;
    assert!(b.acquire(tick(12)).is_err(), "exactly one slot came back");
    // Successes close only when three distinct trials succeed.
    assert!(b.record(permits[1], Outcome::Success, tick(13)).counted);
    assert!(!b.record(permits[1], Outcome::Success, tick(13)).counted);
    assert!(b.record(permits[2], Outcome::Success, tick(13)).counted);
    assert_eq!(b.state(tick(13)), State::HalfOpen);
    let done = b.record(again, Outcome::Success, tick(14));
    assert_eq!(done.transition.unwrap().to, State::Closed);
}

#[test]
fn undecided_half_open_reopens_after_the_timeout() {
    let c = config(1, 100, 1, 1, 50);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let hung = b.acquire(tick(100)).unwrap().permit; // never reported
    assert_eq!(b.acquire(tick(149)).unwrap_err().retry_at, Some(tick(150)));
    assert_eq!(b.state(tick(150)), State::Open);
    let r = b.acquire(tick(150)).unwrap_err();
    assert_eq!(r.transition.unwrap().to, State::Open);
    assert_eq!(r.retry_at, Some(tick(250)));
    // The hung permit's late report is stale now.
    assert!(!b.record(hung, Outcome::Success, tick(151)).counted);
    // However late the next call, the timeout is recognised (no aliasing).
    let c = config(1, 100, 1, 1, 50);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let _hung = b.acquire(tick(100)).unwrap().permit;
    for late in [150, 1 << 19, (1 << 19) + 150, 1 << 40, MAX_DURATION] {
        assert_eq!(b.state(tick(late)), State::Open, "late={late}");
    }
}

#[test]
fn late_outcome_after_the_timeout_reopens_instead_of_counting() {
    let c = config(1, 100, 1, 1, 50);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let p = b.acquire(tick(100)).unwrap().permit;
    let r = b.record(p, Outcome::Success, tick(160));
    assert!(!r.counted);
    assert_eq!(r.transition.unwrap().to, State::Open);
    assert_eq!(b.acquire(tick(161)).unwrap_err().retry_at, Some(tick(260)));
}

#[test]
fn a_slow_closed_call_cannot_trip_a_recovered_breaker() {
    let c = config(1, 10, 1, 1, 10);
    let b = Breaker::new(&c);
    let slow = b.acquire(tick(0)).unwrap().permit;
    let _ = trip(&b, 1);
    let trial = b.acquire(tick(11)).unwrap().permit;
    let _ = b.record(trial, Outcome::Success, tick(12));
    assert_eq!(b.state(tick(12)), State::Closed);
    let r = b.record(slow, Outcome::Failure, tick(13));
    assert!(!r.counted && r.transition.is_none());
    assert_eq!(b.state(tick(13)), State::Closed);
}

#[test]
fn every_generation_below_2_pow_16_changes_is_distinct() {
    let c = config(1, 1, 1, 1, 10);
    let b = Breaker::new(&c);
    let first = b.acquire(tick(0)).unwrap().permit;
    let mut seen = std::collections::HashSet::new();
    seen.insert(first.token());
    for i in 1..(1u32 << 16) {
        if i % 2 == 1 {
            let _ = b.disable();
        } else {
            let _ = b.reset();
        }
        let p = b.acquire(tick(0)).unwrap().permit;
        assert!(
            seen.insert(p.token()),
            "generation repeated after {i} changes"
        );
        // The first permit never counts again within these changes.
        assert!(!b.record(first, Outcome::Failure, tick(0)).counted);
    }
}

#[test]
fn refusals_do_not_write_the_word() {
    let c = config(1, 100, 1, 1, 50);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let before = b.raw_word();
    for now in [0, 1, 50, 99] {
        assert!(b.acquire(tick(now)).is_err());
    }
    assert_eq!(b.raw_word(), before);
    let _ = b.acquire(tick(100)).unwrap(); // half-open, the one permit taken
    let before = b.raw_word();
    assert!(b.acquire(tick(120)).is_err());
    assert_eq!(b.raw_word(), before);
    let _ = b.force_open();
    let before = b.raw_word();
    assert!(b.acquire(tick(1_000)).is_err());
    assert_eq!(b.raw_word(), before);
}

#[test]
fn closed_acquires_write_rarely() {
    // The latest tick seen is noted once per quantum (open_ticks / 2^16).
    let c = config(5, 1 << 26, 1, 1, 50); // quantum 1024 ticks
    let b = Breaker::new(&c);
    let _ = b.acquire(tick(0));
    let mut writes = 0;
    let mut word = b.raw_word();
    for now in 0..100_000u64 {
        let p = b.acquire(tick(now)).unwrap().permit;
        let _ = b.record(p, Outcome::Success, tick(now));
        if b.raw_word() != word {
            writes += 1;
            word = b.raw_word();
        }
    }
    assert!(writes <= 100_000 / 1024 + 1, "{writes} writes");
}

#[test]
fn a_lagging_report_never_shortens_the_open_period() {
    for open in [100u64, 60_000, 1 << 30] {
        let c = config(1, open, 1, 1, 50);
        let b = Breaker::new(&c);
        let slow = b.acquire(tick(0)).unwrap().permit; // a call that takes long
        for now in (0..=5_000_000).step_by(1_000) {
            let _ = b.acquire(tick(now)); // others keep calling
        }
        // The slow call fails and reports the tick it started at.
        let _ = b.record(slow, Outcome::Failure, tick(0));
        let retry_at = b.acquire(tick(5_000_000)).unwrap_err().retry_at.unwrap();
        assert!(
            retry_at >= tick(5_000_000 + open),
            "open={open}: {retry_at}"
        );
        assert!(
            retry_at <= tick(5_000_000 + open + (open >> 16)),
            "late by at most open/2^16"
        );
    }
    // In HALF_OPEN too: a failure reported with an old tick reopens from the
    // latest trial admission.
    let c = config(1, 100, 2, 2, 1_000);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let early = b.acquire(tick(100)).unwrap().permit;
    let _late = b.acquire(tick(600)).unwrap().permit;
    let _ = b.record(early, Outcome::Failure, tick(100));
    assert_eq!(b.acquire(tick(650)).unwrap_err().retry_at, Some(tick(700)));
}

#[test]
fn lagging_callers_never_pass_an_open_breaker() {
    let c = config(1, 1_000, 1, 1, 50);
    let b = Breaker::new(&c);
    let _ = trip(&b, 10_000);
    for lag in [1, 999, 1_000, 10_000, 1 << 40] {
        assert!(b.acquire(tick(11_000u64.saturating_sub(lag))).is_err());
        assert_eq!(b.state(tick(11_000u64.saturating_sub(lag))), State::Open);
    }
    assert!(b.acquire(tick(11_000)).is_ok());
}

#[test]
fn long_idle_is_fresh() {
    let c = config(1, 100, 1, 1, 50);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    // Idle for years at any rate: the deadline is absolute.
    for idle in [1u64 << 32, 1 << 41, 100 * 365 * 24 * 3_600 * 1_000_000_000] {
        assert_eq!(b.state(tick(idle)), State::HalfOpen, "idle={idle}");
    }
    let p = b.acquire(tick(1 << 60)).unwrap().permit;
    let _ = b.record(p, Outcome::Success, tick(1 << 60));
    assert_eq!(b.state(tick(1 << 60)), State::Closed);
}

#[test]
fn manual_controls() {
    let c = config(1, 100, 1, 1, 50);
    let b = Breaker::new(&c);
    let t = b.force_open().unwrap();
    assert_eq!((t.from, t.to), (State::Closed, State::ForcedOpen));
    assert!(b.force_open().is_none());
    assert_eq!(b.acquire(tick(0)).unwrap_err().retry_at, None);
    assert_eq!(b.state(tick(u64::MAX)), State::ForcedOpen);
    let t = b.disable().unwrap();
    assert_eq!((t.from, t.to), (State::ForcedOpen, State::Disabled));
    let p = b.acquire(tick(0)).unwrap().permit;
    assert!(!b.record(p, Outcome::Failure, tick(0)).counted);
    assert_eq!(b.state(tick(0)), State::Disabled);
    let t = b.reset().unwrap();
    assert_eq!((t.from, t.to), (State::Disabled, State::Closed));
    assert!(b.reset().is_none());

    // open_for: exact, from any state, to any length.
    let (change, until) = b.open_for(span(30), tick(1_000)).unwrap();
    assert_eq!((change.unwrap().to, until), (State::Open, tick(1_030)));
    assert_eq!(
        b.acquire(tick(1_029)).unwrap_err().retry_at,
        Some(tick(1_030))
    );
    let (change, until) = b.open_for(span(MAX_DURATION), tick(2_000)).unwrap();
    assert!(change.is_none()); // already OPEN
    assert_eq!(until, tick(2_000 + MAX_DURATION));
    assert!(b.acquire(tick(2_000 + MAX_DURATION - 1)).is_err());
    assert!(b.acquire(tick(2_000 + MAX_DURATION)).is_ok());
    assert_eq!(
        b.open_for(span(MAX_DURATION + 1), tick(0)),
        Err(crate::DurationTooLong)
    );
    // Measured from the latest tick seen when the caller lags.
    let b = Breaker::new(&c);
    let _ = b.acquire(tick(5_000));
    let (_, until) = b.open_for(span(10), tick(0)).unwrap();
    assert_eq!(until, tick(5_010));
}

/// The open deadline stored in the word, if OPEN.
fn open_deadline(b: &Breaker<&BreakerConfig>) -> Option<Tick> {
    match decode(b.raw_word()).1 {
        Phase::Open { deadline, .. } => Some(deadline),
        _ => None,
    }
}

#[test]
fn open_for_with_a_lagging_now_never_shortens_an_open_period() {
    let c = config(1, 1_000, 1, 1, 500);
    let b = Breaker::new(&c);
    let _ = trip(&b, 10_000); // refused until 11 000
    let (change, until) = b.open_for(span(1_000), tick(5_000)).unwrap();
    assert!(change.is_none());
    assert_eq!(until, tick(11_000), "measured from the trip at 10 000");
    for lagging in [5_000, 6_000, 10_999] {
        assert_eq!(
            b.acquire(tick(lagging)).unwrap_err().retry_at,
            Some(tick(11_000))
        );
    }
    assert!(b.acquire(tick(11_000)).is_ok());
    // A second lagging open_for, from HALF_OPEN, starts at the latest trial.
    let (_, until) = b.open_for(span(10), tick(0)).unwrap();
    assert_eq!(until, tick(11_010));
    // From OPEN after a reopen by a failed trial.
    assert!(b.acquire(tick(11_010)).is_ok());
    let trial = b.acquire(tick(11_010));
    assert!(trial.is_err(), "one permit");
    let (_, until) = b.open_for(span(1), tick(3)).unwrap();
    assert_eq!(until, tick(11_011));
}

#[test]
fn manual_transitions_carry_the_latest_tick_forward() {
    type Detour = fn(&Breaker<&BreakerConfig>);
    let detours: [(&str, Detour); 4] = [
        ("reset", |b| {
            let _ = b.reset();
        }),
        ("force_open + reset", |b| {
            let _ = b.force_open();
            let _ = b.reset();
        }),
        ("disable + reset", |b| {
            let _ = b.disable();
            let _ = b.reset();
        }),
        ("disable + force_open + reset", |b| {
            let _ = b.disable();
            let _ = b.force_open();
            let _ = b.reset();
        }),
    ];
    for (name, detour) in detours {
        let c = config(1, 1_000, 1, 1, 500);
        let b = Breaker::new(&c);
        let _ = trip(&b, 10_000);
        detour(&b);
        assert_eq!(b.state(tick(5_000)), State::Closed, "{name}");
        // A caller lagging by 5 000 ticks fails: the new period is measured
        // from the latest tick seen (10 000), not from 5 000.
        let p = b.acquire(tick(5_000)).unwrap().permit;
        let r = b.record(p, Outcome::Failure, tick(5_000));
        assert_eq!(r.transition.map(|t| t.to), Some(State::Open), "{name}");
        let retry_at = b
            .acquire(tick(10_000))
            .unwrap_err()
            .retry_at
            .unwrap()
            .ticks();
        assert!((11_000..=11_001).contains(&retry_at), "{name}: {retry_at}");
        // And open_for from a manual state.
        let b = Breaker::new(&c);
        let _ = trip(&b, 10_000);
        detour(&b);
        let (_, until) = b.open_for(span(100), tick(0)).unwrap();
        let until = until.ticks();
        assert!((10_100..=10_101).contains(&until), "{name}: {until}");
    }
}

#[test]
fn a_slot_handed_back_is_never_reissued_under_the_same_identity() {
    let c = config(1, 1_000, 1, 1, 500);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let t1 = b.acquire(tick(1_000)).unwrap().permit;
    assert!(!b.record(t1, Outcome::Ignored, tick(1_001)).counted);
    let t2 = b.acquire(tick(1_002)).unwrap().permit;
    assert_ne!(t1, t2, "the same slot in the same generation");
    // The first holder reports again: nothing changes for the second.
    let late = b.record(t1, Outcome::Failure, tick(1_003));
    assert!(!late.counted && late.transition.is_none());
    assert_eq!(b.state(tick(1_003)), State::HalfOpen);
    let done = b.record(t2, Outcome::Success, tick(1_004));
    assert!(done.counted);
    assert_eq!(done.transition.unwrap().to, State::Closed);
}

#[test]
fn trials_handed_back_again_and_again_stay_distinct() {
    // Every trial handed back with IGNORED makes room for another in a fresh
    // slot; after 16 slots a fresh generation starts (all were reported).
    for permits in [1, 3, MAX_HALF_OPEN_PERMITS] {
        let c = config(1, 100, permits, permits, 1_000_000);
        let b = Breaker::new(&c);
        let _ = trip(&b, 0);
        let mut issued = std::collections::HashSet::new();
        let mut now = 100;
        for _ in 0..100 {
            let p = b.acquire(tick(now)).unwrap().permit;
            assert!(issued.insert(p.token()), "permits={permits}: re-issued");
            assert!(!b.record(p, Outcome::Ignored, tick(now)).counted);
            now += 1;
        }
        // None of the handed-back permits counts any more.
        for raw in &issued {
            let p = Permit::from_parts(*raw, Instant::from_ticks(0)).unwrap();
            let r = b.record(p, Outcome::Failure, tick(now));
            assert!(!r.counted && r.transition.is_none());
        }
        // The breaker still closes after `permits` successful trials.
        for i in 0..permits {
            let p = b.acquire(tick(now)).unwrap().permit;
            assert!(issued.insert(p.token()), "permits={permits}: re-issued");
            let r = b.record(p, Outcome::Success, tick(now));
            assert!(r.counted);
            assert_eq!(r.transition.is_some(), i + 1 == permits);
        }
    }
    // With every slot issued and one still out, the next trial waits for
    // it (or for the timeout), then goes on in a fresh generation.
    let c = config(1, 100, 2, 1, 1_000);
    let b = Breaker::new(&c);
    let _ = trip(&b, 0);
    let held = b.acquire(tick(100)).unwrap().permit;
    for _ in 1..MAX_HALF_OPEN_PERMITS {
        let p = b.acquire(tick(100)).unwrap().permit;
        let _ = b.record(p, Outcome::Ignored, tick(100));
    }
    assert_eq!(
        b.acquire(tick(101)).unwrap_err().retry_at,
        Some(tick(1_100))
    );
    let _ = b.record(held, Outcome::Ignored, tick(102));
    let next = b.acquire(tick(103)).unwrap().permit;
    assert!(!b.record(held, Outcome::Failure, tick(103)).counted);
    let r = b.record(next, Outcome::Success, tick(104));
    assert_eq!(r.transition.unwrap().to, State::Closed);
}

#[test]
fn a_closed_permit_reported_twice_counts_twice() {
    // CLOSED permits are not single-use (that would need a write per
    // admission): a caller must report each call once. Stale ones never count.
    let c = config(2, 1_000, 1, 1, 500);
    let b = Breaker::new(&c);
    let p = b.acquire(tick(0)).unwrap().permit;
    assert!(b.record(p, Outcome::Failure, tick(1)).counted);
    let r = b.record(p, Outcome::Failure, tick(2));
    assert!(r.counted);
    assert_eq!(r.transition.unwrap().to, State::Open);
    assert!(!b.record(p, Outcome::Failure, tick(3)).counted, "stale now");
}

#[test]
fn a_long_half_open_timeout_never_lengthens_a_reopen() {
    for timeout in [1u64 << 30, MAX_DURATION, 121_011, 10_000] {
        for start in [0u64, 123_456_789, 1 << 50] {
            let open = 121_011;
            let c = config(1, open, 3, 2, timeout);
            let b = Breaker::new(&c);
            let _ = trip(&b, start);
            let half = start + open;
            let a = b.acquire(tick(half)).unwrap().permit;
            let x = b.acquire(tick(half + 5_000)).unwrap().permit;
            let _ = b.record(a, Outcome::Success, tick(half + 7_000));
            // The failed trial reports late: measured from the latest tick
            // seen (half + 7 000), exactly.
            let r = b.record(x, Outcome::Failure, tick(half + 1));
            assert_eq!(r.transition.unwrap().to, State::Open);
            assert_eq!(
                open_deadline(&b),
                Some(half + 7_000 + open),
                "timeout={timeout}"
            );
        }
    }
}

#[test]
fn the_half_open_timeout_is_late_by_less_than_one_grid_step() {
    for timeout in [
        1u64,
        2,
        1_000,
        (1 << 16) + 1,
        3 << 16,
        // The most grid steps: just under twice a power of two of them.
        ((1 << 21) - 1) << 9,
        (1 << 30) - 1,
        1 << 30,
        (1 << 40) + 12_345,
        MAX_DURATION,
    ] {
        for start in [0u64, 99_999, 1 << 50, u64::MAX - MAX_DURATION - 10] {
            let c = config(1, 10, 1, 1, timeout);
            let b = Breaker::new(&c);
            let _ = trip(&b, start);
            let half = start + 10;
            let _hung = b.acquire(tick(half)).unwrap().permit;
            // The grid: a power of two not above ⌈timeout / 2^9⌉.
            let step = 1u64 << timeout.div_ceil(1 << 9).ilog2();
            let at = b.acquire(tick(half)).unwrap_err().retry_at.unwrap().ticks();
            assert!(
                at >= half.saturating_add(timeout),
                "early: timeout={timeout}"
            );
            assert!(
                at - half.saturating_add(timeout) < step,
                "late: timeout={timeout}"
            );
            // A later trial report does not move it.
            let _ = b.acquire(tick(at - 1)).err();
            assert_eq!(b.state(tick(at - 1)), State::HalfOpen);
            assert_eq!(b.state(tick(at)), State::Open);
        }
    }
}

#[test]
fn extreme_configurations() {
    let c = config(
        u32::MAX,
        MAX_DURATION,
        MAX_HALF_OPEN_PERMITS,
        MAX_HALF_OPEN_PERMITS,
        MAX_DURATION,
    );
    let b = Breaker::new(&c);
    for _ in 0..1_000 {
        let p = b.acquire(tick(0)).unwrap().permit;
        let _ = b.record(p, Outcome::Failure, tick(0));
    }
    assert_eq!(b.state(tick(0)), State::Closed);
    // CLOSED knows the latest tick it saw to within open_ticks / 2^16.
    let (_, at) = b.open_for(span(0), tick(0)).unwrap();
    assert!(at < tick(MAX_DURATION >> 16));
    let mut permits = Vec::new();
    for _ in 0..MAX_HALF_OPEN_PERMITS {
        permits.push(b.acquire(tick(at)).unwrap().permit);
    }
    assert!(b.acquire(tick(at)).is_err());
    for (i, p) in permits.iter().enumerate() {
        let r = b.record(*p, Outcome::Success, tick(at + span(1)));
        assert!(r.counted);
        assert_eq!(r.transition.is_some(), i + 1 == permits.len());
    }
    // Near the end of the tick range nothing overflows.
    let c = config(1, MAX_DURATION, 1, 1, MAX_DURATION);
    let b = Breaker::new(&c);
    let _ = trip(&b, u64::MAX - 1);
    assert_eq!(
        b.acquire(tick(u64::MAX - 1)).unwrap_err().retry_at,
        Some(tick(u64::MAX))
    );
    assert!(b.acquire(tick(u64::MAX)).is_ok());
}

/// OPEN's distance back to its latest tick, packed and unpacked: exact below
/// 2^33, otherwise the tick it stands for is later by less than 2^-32 of
/// the distance (never earlier); any code, even one never written, unpacks
/// as its 33-bit mantissa shifted by its next 5 bits, saturating, and the
/// reopenings and reason above them are kept apart.
#[test]
fn open_distances_round_down_by_less_than_2_to_the_minus_32() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..200_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ticks = x >> (i % 64);
        let reopens = (x >> 20) as u32 & 15;
        let phase = Phase::Open {
            deadline: u64::MAX,
            seen: u64::MAX - ticks,
            reopens,
        };
        let packed = word::with_open_reason(encode(3, phase), (x >> 61) as u8);
        assert_eq!(word::open_reason(packed), (x >> 61) as u8);
        let Phase::Open {
            seen, reopens: r, ..
        } = decode(packed).1
        else {
            panic!("OPEN decodes as OPEN");
        };
        assert_eq!(r, reopens);
        let back = u64::MAX - seen;
        if ticks < 1 << 33 {
            assert_eq!(back, ticks);
        } else {
            assert!(
                back <= ticks && ticks - back < (ticks >> 32).max(1),
                "{ticks} -> {back}"
            );
        }
        // A code never written: payload bits 33..38 are the shift, 38..42
        // the reopenings, 42..45 the reason.
        let code = x & ((1 << 45) - 1);
        let word = (u128::from(u64::MAX) << 64) | u128::from(code << 19 | 1);
        let Phase::Open { seen, reopens, .. } = decode(word).1 else {
            panic!("OPEN decodes as OPEN");
        };
        let reason = word::open_reason(word);
        let shift = (code >> 33) & 31;
        let exact = u128::from(code & ((1 << 33) - 1)) << shift;
        let expected = u64::try_from(exact).unwrap_or(u64::MAX);
        assert_eq!(u64::MAX - seen, expected, "code {code:#x}");
        assert_eq!(u64::from(reopens), (code >> 38) & 15);
        assert_eq!(u64::from(reason), code >> 42);
    }
}

/// The default configuration, and one whose CLOSED clears every 1 000
/// ticks.
fn without_and_with_an_interval() -> [BreakerConfig; 2] {
    let interval = BreakerSettings {
        closed_interval: span(1000),
        ..BreakerConfig::DEFAULT_SETTINGS
    };
    [
        BreakerConfig::DEFAULT,
        BreakerConfig::new(interval).unwrap(),
    ]
}

#[test]
fn word_packing_round_trips_and_unknown_kinds_refuse() {
    let phases = [
        Phase::Closed {
            failures: u32::MAX,
            quiet_until: u64::MAX,
            until: (1 << 13) - 1,
        },
        Phase::Closed {
            failures: 0,
            quiet_until: 3,
            until: 0,
        },
        Phase::Open {
            deadline: u64::MAX,
            seen: u64::MAX - ((1 << 33) - 1),
            reopens: 15,
        },
        Phase::Open {
            deadline: 1 << 62,
            seen: (1 << 62) - (0x5A5A_5A5Au64 << 30),
            reopens: 0,
        },
        Phase::Open {
            deadline: 5,
            seen: 5,
            reopens: 7,
        },
        Phase::HalfOpen {
            outstanding: 0xA5A5,
            successes: 16,
            failures: 15,
            issued: 16,
            seen: 1 << 63,
            reopens: 15,
            until: (1 << 9) + 2,
        },
        Phase::HalfOpen {
            outstanding: 1,
            successes: 0,
            failures: 0,
            issued: 1,
            seen: 9,
            reopens: 0,
            until: (1 << 11) - 1,
        },
        Phase::ForcedOpen { seen: 7 },
        Phase::Disabled { seen: 0 },
    ];
    for generation in [0u16, 1, 0xFFFF] {
        for phase in phases {
            assert_eq!(decode(encode(generation, phase)), (generation, phase));
        }
    }
    for c in without_and_with_an_interval() {
        every_transition_is_total(&c);
    }
}

/// Every pure transition is total over `c`: garbage words never panic.
fn every_transition_is_total(c: &BreakerConfig) {
    for kind in [5u128, 6, 7, u128::MAX] {
        let (word, refused) = word::acquire(kind, 0, c);
        assert!(refused.is_err());
        assert_eq!(word, kind);
    }
    let mut x = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834u128;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let now = x as u64;
        let _ = word::acquire(x, now, c);
        for raw in [x as u32, 0x8000_0001, 0x8001_0000 | (x as u32 & 0xFFFF)] {
            if let Some(p) = Permit::from_parts(raw, Instant::from_ticks(0)) {
                for o in [Outcome::Success, Outcome::Failure, Outcome::Ignored] {
                    let _ = word::record(x, p, o, now, Trips::NONE, c);
                    for trips in [(true, false), (false, true)] {
                        let trips = Trips {
                            rate: trips.0,
                            slow: trips.0 && trips.1,
                            rule: trips.1,
                        };
                        let _ = word::record(x, p, o, now, trips, c);
                    }
                }
            }
        }
        let _ = word::observe(x, now, c);
        let _ = word::status(x, now, c);
        let _ = word::manual(
            x,
            word::Manual::OpenFor {
                ticks: now >> 2,
                now,
            },
            x & 1 == 1,
            c,
        );
        for s in [State::Closed, State::ForcedOpen, State::Disabled] {
            let _ = word::manual(x, word::Manual::To(s), x & 2 == 2, c);
        }
    }
}

/// The hot paths decide exactly what the full transitions decide, and only
/// where those leave the word as it is.
#[test]
fn hot_paths_agree_with_the_full_transitions() {
    for c in without_and_with_an_interval() {
        hot_paths_agree_over(&c);
    }
}

/// [`hot_paths_agree_with_the_full_transitions`] for `c`.
fn hot_paths_agree_over(c: &BreakerConfig) {
    let mut x = 0x2545_F491_4F6C_DD1D_9E37_79B9_7F4A_7C15u128;
    let (mut admits, mut refusals, mut successes) = (0, 0, 0);
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let generation = (x >> 40) as u16 & 3;
        let time = (x >> 64) as u64 >> (x as u32 % 64);
        let words = [
            x,
            encode(
                generation,
                Phase::Closed {
                    failures: (x >> 20) as u32 & 1,
                    quiet_until: time,
                    until: (x >> 24) as u32 & 0x1FFF,
                },
            ),
            word::with_open_reason(
                encode(
                    generation,
                    Phase::Open {
                        deadline: time,
                        seen: time >> 1,
                        reopens: (x >> 50) as u32 & 15,
                    },
                ),
                (x >> 40) as u8,
            ),
        ];
        let now = time.wrapping_add((x >> 8) as u64 % 5).wrapping_sub(2);
        for word in words {
            // The full transitions rewrite a garbage word in canonical form;
            // a word the breaker wrote stays as it is.
            let canonical = {
                let (g, phase) = decode(word);
                encode(g, phase)
            };
            let kept = |full: u128| full == canonical || full == word;
            if let Some(decision) = word::acquire_quick(word, now) {
                let (full, full_decision) = word::acquire(word, now, c);
                assert_eq!(full_decision, decision, "{word:#x} at {now}");
                assert!(kept(full), "{word:#x} at {now}");
                if decision.is_ok() {
                    admits += 1
                } else {
                    refusals += 1
                }
            }
            let permit = Permit::new(x as u16 & 3, 0, 0);
            for outcome in [Outcome::Success, Outcome::Failure, Outcome::Ignored] {
                if let Some(recorded) = word::record_quick(word, permit, outcome, now) {
                    let (full, full_recorded) =
                        word::record(word, permit, outcome, now, Trips::NONE, c);
                    assert_eq!(full_recorded, recorded, "{word:#x} at {now}");
                    assert!(kept(full), "{word:#x} at {now}");
                    successes += 1;
                }
            }
        }
    }
    // Each hot path was taken many times.
    assert!(
        admits > 1_000 && refusals > 1_000 && successes > 1_000,
        "{admits} {refusals} {successes}"
    );
}

/// A plain, non-atomic reference model of the breaker: exact 64-bit time,
/// per-slot half-open bookkeeping, generations counted without bound.
mod model {
    use super::*;
    #[derive(Clone, Debug)]
    pub enum M {
        /// The failure run and the tick the closed interval ends at
        /// (`u64::MAX` without one).
        Closed(u32, u64),
        /// The deadline and why it opened.
        Open(u64, TripReason),
        Half {
            outstanding: Vec<usize>,
            ok: u32,
            /// Failed trials (only under a half-open failure rate).
            failed: u32,
            until: u64,
            /// Trial permits issued in this generation (at most 16).
            issued: u32,
        },
        Forced,
        Disabled,
    }
    pub struct Model {
        pub m: M,
        pub generation: u64,
        pub cfg: BreakerSettings,
        next_slot: usize,
        /// The latest tick noted (refusals and stale reports note none).
        pub seen: u64,
        /// Trial periods that failed or timed out since the last trip from
        /// CLOSED (at most 15).
        pub reopens: u32,
        /// The window's outcomes in this generation (failed, slow),
        /// oldest first.
        pub window: std::collections::VecDeque<(bool, bool)>,
        /// A time window's outcomes in this generation (bucket number,
        /// failed, slow), and its newest bucket number.
        pub timed: Vec<(u64, bool, bool)>,
        pub newest: u64,
    }
    /// A model permit: generation and (half-open) slot id.
    pub type Ticket = (u64, Option<usize>);
    impl Model {
        pub fn new(cfg: BreakerSettings) -> Self {
            // A fresh breaker's interval (a time window always has one)
            // ends at tick 0: the first call starts one.
            let end = if cfg.closed_interval.ticks() == 0 && cfg.rate_duration.ticks() == 0 {
                u64::MAX
            } else {
                0
            };
            Self {
                m: M::Closed(0, end),
                generation: 0,
                cfg,
                next_slot: 0,
                seen: 0,
                reopens: 0,
                window: Default::default(),
                timed: Vec::new(),
                newest: 0,
            }
        }
        /// The end of a closed interval starting at `from`: rounded up to a
        /// grid of the largest power of two not above `⌈interval / 2^11⌉`.
        pub fn interval_end(&self, from: u64) -> u64 {
            let asked = self.cfg.closed_interval.ticks();
            // A time window clears at least every 2^26 buckets.
            let interval = match self.bucket() {
                0 => asked,
                bucket => {
                    let most = (bucket << 26).min(MAX_DURATION);
                    if asked == 0 {
                        most
                    } else {
                        asked.min(most)
                    }
                }
            };
            if interval == 0 {
                return u64::MAX;
            }
            let step = 1u128 << interval.div_ceil(1 << 11).ilog2();
            let exact = u128::from(from.saturating_add(interval));
            u64::try_from(exact.div_ceil(step) * step).unwrap_or(u64::MAX)
        }
        /// Notes a call at `now`: CLOSED past its interval clears its
        /// counts in a new generation (whether it did).
        fn note(&mut self, now: u64) -> bool {
            self.seen = self.seen.max(now);
            match self.m {
                M::Closed(_, end) if now >= end => {
                    let end = self.interval_end(now);
                    self.set(M::Closed(0, end));
                    true
                }
                _ => false,
            }
        }
        pub fn set(&mut self, m: M) {
            self.m = m;
            self.generation += 1;
            self.window.clear();
            self.timed.clear();
            self.newest = 0;
        }
        /// A time window's bucket length (0: a count window).
        fn bucket(&self) -> u64 {
            match self.cfg.rate_duration.ticks() {
                0 => 0,
                duration => duration.div_ceil(4).max(1),
            }
        }
        /// CLOSED's clock for a time window: the latest tick noted.
        fn clock(&self) -> u64 {
            self.seen
        }
        /// `reset`: CLOSED with no failures; with a window, a new
        /// generation even from CLOSED.
        /// Into CLOSED from another state, an interval starts at the latest
        /// tick noted; in CLOSED it keeps its end.
        pub fn reset(&mut self) {
            match self.m {
                M::Closed(_, end) if self.cfg.rate_window != 0 || self.bucket() != 0 => {
                    self.set(M::Closed(0, end))
                }
                M::Closed(_, end) => self.m = M::Closed(0, end),
                _ => {
                    let end = self.interval_end(self.seen);
                    self.set(M::Closed(0, end))
                }
            }
        }
        /// Counts a CLOSED outcome in the window: whether its failure rate
        /// and its slow-call rate trip.
        /// A time window counts it at `clock`.
        fn rate_trips(&mut self, failure: bool, slow: bool, clock: u64) -> (bool, bool) {
            let n = self.cfg.rate_window as usize;
            let bucket = self.bucket();
            if let Some(at) = clock.checked_div(bucket) {
                self.newest = self.newest.max(at);
                self.timed.push((self.newest, failure, slow));
            } else if n == 0 {
                return (false, false);
            } else {
                self.window.push_back((failure, slow));
                if self.window.len() > n {
                    self.window.pop_front();
                }
            }
            let counts = self.counts_at(clock);
            let minimum = match (self.cfg.minimum_calls, bucket) {
                (0, 0) => n as u64,
                (0, _) => 1,
                (m, _) => u64::from(m),
            };
            let reaches = |counted: u32, per_mille: u32| {
                per_mille != 0
                    && u64::from(counts.calls) >= minimum
                    && u64::from(counted) * 1000 >= u64::from(per_mille) * u64::from(counts.calls)
            };
            (
                reaches(counts.failures, self.cfg.failure_rate_per_mille),
                reaches(counts.slow, self.cfg.slow_call_rate_per_mille),
            )
        }
        /// The window's counts at `clock` (slow calls only with a
        /// slow-call rate).
        fn counts_at(&self, clock: u64) -> WindowCounts {
            let slow_rated = self.cfg.slow_call_rate_per_mille != 0;
            let bucket = self.bucket();
            let outcomes: Vec<(bool, bool)> = if let Some(at) = clock.checked_div(bucket) {
                let now = self.newest.max(at);
                let live = self.timed.iter().filter(|o| o.0 + 4 > now);
                live.map(|o| (o.1, o.2)).collect()
            } else {
                self.window.iter().copied().collect()
            };
            WindowCounts {
                calls: outcomes.len() as u32,
                failures: outcomes.iter().filter(|o| o.0).count() as u32,
                slow: outcomes.iter().filter(|o| o.1 && slow_rated).count() as u32,
            }
        }
        /// What `window_counts` reports.
        pub fn counts(&self) -> WindowCounts {
            match self.m {
                M::Closed(..) => self.counts_at(self.clock()),
                _ => WindowCounts::default(),
            }
        }
        /// Whether a call admitted at `acquired` and reported at `now` is
        /// slow.
        pub fn is_slow(&self, acquired: u64, now: u64) -> bool {
            let limit = self.cfg.slow_call.ticks();
            limit != 0 && now.saturating_sub(acquired) > limit
        }
        fn open(&mut self, now: u64, reason: TripReason) -> u64 {
            self.seen = self.seen.max(now);
            self.reopens = match reason {
                TripReason::TrialFailed | TripReason::TrialTimedOut => (self.reopens + 1).min(15),
                _ => 0,
            };
            let d = now.saturating_add(self.period(now, self.reopens));
            self.set(M::Open(d, reason));
            d
        }
        /// The open period of a trip from `from` after `reopens`
        /// reopenings, in this generation: grown and jittered with the
        /// crate's own arithmetic (its bounds are tested apart).
        pub fn period(&self, from: u64, reopens: u32) -> u64 {
            let s = &self.cfg;
            let cap = match s.max_open.ticks() {
                0 => MAX_DURATION,
                ticks => ticks,
            };
            let grown = match s.open_multiplier_milli {
                0..=1000 => s.open.ticks(),
                m => crate::spread::exponential(s.open.ticks(), m, reopens, cap).min(cap),
            };
            if s.open_jitter_per_mille == 0 {
                return grown;
            }
            let (low, span) = crate::spread::proportional(grown, s.open_jitter_per_mille);
            let generation = u64::from(self.generation as u16);
            let random = crate::spread::splitmix(s.jitter_seed ^ from ^ (generation << 48));
            (low + crate::spread::uniform(random, span)).clamp(1, cap)
        }
        pub fn acquire(&mut self, now: u64) -> Result<Ticket, Option<u64>> {
            match self.m.clone() {
                M::Closed(..) => {
                    self.note(now);
                    Ok((self.generation, None))
                }
                M::Disabled => Ok((self.generation, None)),
                M::Forced => Err(None),
                M::Open(d, _) if now < d => Err(Some(d)),
                M::Open(..) => {
                    // The timeout deadline, rounded up to a grid of the
                    // largest power of two not above ⌈timeout / 2^9⌉.
                    let timeout = self.cfg.half_open_timeout.ticks();
                    let step = 1u128 << timeout.div_ceil(1 << 9).ilog2();
                    let exact = u128::from(now.saturating_add(timeout));
                    let until = u64::try_from(exact.div_ceil(step) * step).unwrap_or(u64::MAX);
                    self.seen = now;
                    self.set(M::Half {
                        outstanding: vec![self.next_slot],
                        ok: 0,
                        failed: 0,
                        until,
                        issued: 1,
                    });
                    self.next_slot += 1;
                    Ok((self.generation, Some(self.next_slot - 1)))
                }
                M::Half { until, .. } if now >= until => {
                    Err(Some(self.open(now, TripReason::TrialTimedOut)))
                }
                M::Half {
                    mut outstanding,
                    ok,
                    failed,
                    until,
                    mut issued,
                } => {
                    if outstanding.len() as u32 + ok + failed >= self.cfg.half_open_permits {
                        return Err(Some(until));
                    }
                    if issued == MAX_HALF_OPEN_PERMITS {
                        // Every slot of this generation was issued: a fresh
                        // generation once all were reported, else wait.
                        if !outstanding.is_empty() {
                            return Err(Some(until));
                        }
                        self.generation += 1;
                        issued = 0;
                    }
                    self.seen = now;
                    outstanding.push(self.next_slot);
                    self.next_slot += 1;
                    self.m = M::Half {
                        outstanding,
                        ok,
                        failed,
                        until,
                        issued: issued + 1,
                    };
                    Ok((self.generation, Some(self.next_slot - 1)))
                }
            }
        }
        /// Reports `outcome` of the call admitted at `acquired` with
        /// `ticket`.
        pub fn record(
            &mut self,
            ticket: Ticket,
            outcome: Outcome,
            acquired: u64,
            now: u64,
        ) -> bool {
            if ticket.0 != self.generation {
                return false;
            }
            let slow = self.is_slow(acquired, now);
            match (self.m.clone(), ticket.1) {
                (M::Closed(f, end), None) => {
                    // A time window's clock: the breaker's before this
                    // report notes its tick, or the report's if later.
                    let clock = self.clock().max(now);
                    if self.note(now) {
                        // The interval ended: cleared, not counted.
                        return false;
                    }
                    let threshold = self.cfg.failure_threshold;
                    let rule = self.cfg.trip_rule;
                    let f = match outcome {
                        Outcome::Ignored => return false,
                        Outcome::Success => 0,
                        Outcome::Failure => f + 1,
                    };
                    let failure = outcome == Outcome::Failure;
                    let consecutive = threshold != 0 && failure && f >= threshold;
                    let (rate, slow_rate) = self.rate_trips(failure, slow, clock);
                    let counts = self.counts();
                    let custom = failure
                        && rule.is_some_and(|r| {
                            (r.decide)(f, counts.calls, counts.failures, r.context)
                        });
                    if consecutive {
                        self.open(now, TripReason::ConsecutiveFailures);
                    } else if rate {
                        self.open(now, TripReason::FailureRate);
                    } else if slow_rate {
                        self.open(now, TripReason::SlowCallRate);
                    } else if custom {
                        self.open(now, TripReason::CustomRule);
                    } else {
                        self.m = M::Closed(f, end);
                    }
                }
                (
                    M::Half {
                        mut outstanding,
                        ok,
                        failed,
                        until,
                        issued,
                    },
                    Some(slot),
                ) => {
                    let Some(i) = outstanding.iter().position(|s| *s == slot) else {
                        return false;
                    };
                    self.seen = self.seen.max(now);
                    if now >= until {
                        self.open(now, TripReason::TrialTimedOut);
                        return false;
                    }
                    outstanding.remove(i);
                    // With a slow-call rate, a slow trial fails.
                    let outcome = match outcome {
                        Outcome::Success if slow && self.cfg.slow_call_rate_per_mille != 0 => {
                            Outcome::Failure
                        }
                        other => other,
                    };
                    let share = self.cfg.half_open_failure_rate_per_mille;
                    let permits = self.cfg.half_open_permits;
                    let (ok, failed) = match outcome {
                        Outcome::Success => (ok + 1, failed),
                        Outcome::Failure => (ok, failed + 1),
                        Outcome::Ignored => (ok, failed),
                    };
                    // Without a half-open rate: the first failure reopens,
                    // enough successes close. With one: decided by the
                    // share of failures once every permit is reported.
                    let decision = if outcome == Outcome::Ignored {
                        None
                    } else if share == 0 {
                        if outcome == Outcome::Failure {
                            Some(false)
                        } else {
                            (ok >= self.cfg.success_threshold).then_some(true)
                        }
                    } else {
                        (ok + failed >= permits).then(|| failed * 1000 < share * permits)
                    };
                    match decision {
                        Some(true) => {
                            let end = self.interval_end(self.seen);
                            self.set(M::Closed(0, end))
                        }
                        Some(false) => {
                            self.open(now, TripReason::TrialFailed);
                        }
                        None => {
                            self.m = M::Half {
                                outstanding,
                                ok,
                                failed,
                                until,
                                issued,
                            };
                            if outcome == Outcome::Ignored {
                                return false;
                            }
                        }
                    }
                }
                _ => return false,
            }
            true
        }
    }
}

mod properties {
    use super::model::{Model, Ticket, M};
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Acquire,
        Record(usize, u8),
        RecordTwice(usize, u8),
        Advance(u64),
        ForceOpen,
        Disable,
        Reset,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => Just(Op::Acquire),
            4 => (0usize..8, 0u8..3).prop_map(|(i, o)| Op::Record(i, o)),
            1 => (0usize..8, 0u8..3).prop_map(|(i, o)| Op::RecordTwice(i, o)),
            4 => (0u64..40).prop_map(Op::Advance),
            1 => Just(Op::ForceOpen),
            1 => Just(Op::Disable),
            1 => Just(Op::Reset),
        ]
    }

    const OUTCOMES: [Outcome; 3] = [Outcome::Success, Outcome::Failure, Outcome::Ignored];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// With an in-order clock the breaker agrees exactly with the model
        /// (open periods below 2^16 ticks, where the latest-tick bookkeeping
        /// is exact), anywhere on the tick line.
        #[test]
        fn breaker_agrees_with_the_reference_model(
            failures in 0u32..4, open in 1u64..30, permits in 1u32..5, extra in 0u32..4,
            rate in prop_oneof![Just((0u32, 0u32, 0u32)), (1u32..=1000, 1u32..=8, 0u32..=8), (prop_oneof![Just(1u32), Just(500), Just(1000)], Just(64u32), 0u32..=64)],
            timeout in prop_oneof![1u64..30, Just((1 << 16) + 1), Just(1u64 << 40), Just(MAX_DURATION)], start in prop_oneof![Just(0u64), any::<u64>().prop_map(|t| t >> 2)],
            interval in prop_oneof![Just(0u64), 1u64..120, 4_000u64..9_000, Just(MAX_DURATION)],
            growth in (prop_oneof![Just(0u32), Just(1_000), Just(1_500), Just(2_000), 1_000u32..=5_000], prop_oneof![Just(0u64), 1u64..200], prop_oneof![Just(0u32), Just(100), Just(1_000), 0u32..=1_000], any::<u64>()),
            rule in (0usize..3, 1usize..5), half_open_rate in prop_oneof![Just(0u32), Just(1), Just(500), Just(1000), 1u32..=1000],
            slow in prop_oneof![Just((0u64, 0u32)), (1u64..40, Just(0u32)), (1u64..40, prop_oneof![Just(1u32), Just(500), Just(1000), 1u32..=1000])],
            duration in prop_oneof![Just(0u64), Just(0), 1u64..80],
            ops in proptest::collection::vec(op(), 1..150),
        ) {
            let successes = (extra % permits) + 1;
            let (failure_rate_per_mille, mut rate_window, minimum_calls) = (rate.0, rate.1, rate.2.min(rate.1));
            let (slow_call, slow_call_rate_per_mille) = slow;
            if slow_call_rate_per_mille != 0 {
                // The slow-call rate needs a window of at most 52.
                rate_window = rate_window.clamp(1, MAX_SLOW_RATE_WINDOW);
            }
            let minimum_calls = minimum_calls.min(rate_window);
            // A time window instead of the count window on a third of the
            // runs with one: 1 to 80 ticks, in 4 buckets.
            let rate_duration = match (rate_window, duration) {
                (0, _) | (_, 0) => 0,
                (_, ticks) => ticks,
            };
            if rate_duration != 0 {
                rate_window = 0;
            }
            let rate_duration = span(rate_duration);
            let trip_rule = match rule.0 {
                1 => Some(TripRule { decide: run_reaches, context: rule.1 }),
                2 => Some(TripRule { decide: ready_to_trip, context: 0 }),
                _ => None,
            };
            // Something must open the breaker.
            let failures = if rate_window == 0 && trip_rule.is_none() { failures.max(1) } else { failures };
            let slow_call = span(slow_call);
            let settings = BreakerSettings {
                failure_threshold: failures, open: span(open), half_open_permits: permits,
                success_threshold: successes, half_open_timeout: span(timeout),
                failure_rate_per_mille, rate_window, minimum_calls, rate_duration, closed_interval: span(interval),
                // Periods grow up to `open` + up to 200 ticks (0: never grow,
                // up to twice `open` with jitter).
                open_multiplier_milli: if growth.1 == 0 { 0 } else { growth.0 },
                max_open: span(if growth.1 == 0 { 0 } else { open + growth.1 }),
                open_jitter_per_mille: growth.2, jitter_seed: growth.3,
                half_open_failure_rate_per_mille: half_open_rate,
                slow_call, slow_call_rate_per_mille,
                trip_rule,
            };
            let c = BreakerConfig::new(settings).unwrap();
            let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&c);
            let mut m = Model::new(settings);
            let mut now = start;
            let mut held: Vec<(Permit, Ticket)> = Vec::new();
            // The counters, tallied from the decisions the breaker returned.
            let mut tally = BreakerCounts::default();
            let moved = |tally: &mut BreakerCounts, change: Option<Transition>| {
                if let Some(t) = change {
                    tally.transitions[t.to as usize] += 1;
                }
            };
            for op in ops {
                match op {
                    Op::Acquire => match (b.acquire(tick(now)), m.acquire(now)) {
                        (Ok(a), Ok(t)) => {
                            tally.requests += 1;
                            moved(&mut tally, a.transition);
                            held.push((a.permit, t))
                        }
                        (Err(r), Err(at)) => {
                            tally.refused += 1;
                            moved(&mut tally, r.transition);
                            prop_assert_eq!(r.retry_at, at.map(tick))
                        }
                        (real, expect) => prop_assert!(false, "{:?} vs {:?}", real, expect),
                    },
                    Op::Record(i, o) | Op::RecordTwice(i, o) if !held.is_empty() => {
                        let (p, t) = held.remove(i % held.len());
                        let outcome = OUTCOMES[o as usize];
                        let reports = if matches!(op, Op::RecordTwice(..)) { 2 } else { 1 };
                        for _ in 0..reports {
                            // A second report of a trial permit changes
                            // nothing; a CLOSED permit reports like a new one.
                            let acquired = p.acquired_at().ticks();
                            let counted = m.record(t, outcome, acquired, now);
                            let recorded = b.record(p, outcome, tick(now));
                            prop_assert_eq!(recorded.counted, counted);
                            match (outcome, counted) {
                                (Outcome::Ignored, _) => tally.ignored += 1,
                                (_, false) => tally.dropped += 1,
                                (Outcome::Success, true) => tally.successes += 1,
                                (Outcome::Failure, true) => tally.failures += 1,
                            }
                            if counted && outcome != Outcome::Ignored && m.is_slow(acquired, now) {
                                tally.slow += 1;
                            }
                            moved(&mut tally, recorded.transition);
                        }
                    }
                    Op::Record(..) | Op::RecordTwice(..) => {}
                    Op::Advance(dt) => now += dt,
                    Op::ForceOpen => {
                        if !matches!(m.m, M::Forced) { m.set(M::Forced); }
                        moved(&mut tally, b.force_open());
                    }
                    Op::Disable => {
                        if !matches!(m.m, M::Disabled) { m.set(M::Disabled); }
                        moved(&mut tally, b.disable());
                    }
                    Op::Reset => {
                        m.reset();
                        moved(&mut tally, b.reset());
                    }
                }
                prop_assert_eq!(b.counts(), tally);
                prop_assert_eq!(b.state(tick(now)), model_state(&m, now));
                prop_assert_eq!(b.status(tick(now)), model_status(&m, now));
                prop_assert_eq!(b.window_counts(), m.counts());
            }
        }

        /// Callers whose `now` lags true time by anything from 0 to years:
        /// the breaker never moves to HALF_OPEN before the latest tick of an
        /// admission or report it had seen plus the open period, never has
        /// more trials out (or succeeded) than its permits, and never counts
        /// a permit from another generation, or twice.
        #[test]
        fn lagging_callers_gain_nothing(
            failures in 1u32..4, open in prop_oneof![1u64..100, Just(60_000u64), Just(1u64 << 40)],
            permits in 1u32..5, timeout in prop_oneof![1u64..100, Just(1u64 << 30), Just(MAX_DURATION)],
            ops in proptest::collection::vec(
                (0u8..10, prop_oneof![Just(0u64), 0u64..50, 0u64..100_000, Just(1u64 << 45)], 0u64..5_000),
                1..200),
        ) {
            let settings = BreakerSettings {
                failure_threshold: failures, open: span(open), half_open_permits: permits,
                success_threshold: permits, half_open_timeout: span(timeout),
                ..BreakerConfig::DEFAULT_SETTINGS
            };
            let c = BreakerConfig::new(settings).unwrap();
            let b = Breaker::new(&c);
            // CLOSED notes the latest tick once per quantum.
            let quantum = (open >> 16).max(1);
            let mut true_now = 1u64 << 46;
            let mut latest = 0u64; // latest tick of an admission or counted report
            let mut upper = 0u64; // latest tick of any call that wrote the word
            let mut not_before = 0u64; // HALF_OPEN never starts before this
            // Permits with the number of transitions observed when issued.
            let mut held: Vec<(Permit, u64)> = Vec::new();
            let mut trials_issued = std::collections::HashSet::new();
            let mut transitions = 0u64;
            let mut successes = 0u32;
            let is_trial = |p: &Permit| (p.token() >> 16) & 0x1F != 0;
            for (kind, lag, advance) in ops {
                true_now += advance;
                let now = true_now.saturating_sub(lag);
                let before = b.raw_word();
                // The open period a call starts, if it does: (from at least,
                // from at most, length).
                let mut opens = None;
                // DISABLED tracks nothing, not even the ticks it admits at.
                let disabled = b.state(tick(now)) == State::Disabled;
                let change = match kind {
                    0..=2 => match b.acquire(tick(now)) {
                        Ok(a) => {
                            if let Some(t) = a.transition {
                                prop_assert_eq!(t.to, State::HalfOpen);
                                prop_assert!(now >= not_before,
                                    "half-open at {} before {}", now, not_before);
                            }
                            if is_trial(&a.permit) {
                                if a.transition.is_some() {
                                    trials_issued.clear();
                                }
                                prop_assert!(trials_issued.insert(a.permit.token()),
                                    "a trial permit issued twice: {:?}", a.permit);
                            }
                            if !disabled {
                                latest = latest.max(now);
                            }
                            held.push((a.permit, transitions + u64::from(a.transition.is_some())));
                            a.transition
                        }
                        Err(r) => {
                            if r.transition.is_some() {
                                // HALF_OPEN timed out: reopened from now.
                                opens = Some((now, now, open));
                            }
                            r.transition
                        }
                    },
                    3..=5 if held.is_empty() => None,
                    3..=5 => {
                        let i = (advance as usize) % held.len();
                        let (p, issued_at) = held.remove(i);
                        let outcome = OUTCOMES[(kind - 3) as usize];
                        let r = b.record(p, outcome, tick(now));
                        if issued_at != transitions {
                            prop_assert!(!r.counted, "a permit from another generation counted");
                        }
                        if is_trial(&p) {
                            // Reported again, with any outcome: nothing.
                            let again = OUTCOMES[(kind as usize + 1 + advance as usize % 2) % 3];
                            let r2 = b.record(p, again, tick(now));
                            prop_assert!(!r2.counted && r2.transition.is_none(), "counted twice");
                        }
                        if r.counted {
                            latest = latest.max(now);
                            if outcome == Outcome::Success && is_trial(&p) {
                                successes += 1;
                            }
                        }
                        if r.transition.is_some_and(|t| t.to == State::Open) {
                            opens = Some((latest.max(now), upper.max(now) + quantum - 1, open));
                        }
                        r.transition
                    }
                    6 => {
                        let ticks = advance % 3_000;
                        let (change, until) = b.open_for(span(ticks), tick(now)).unwrap();
                        opens = Some((latest.max(now), upper.max(now) + quantum - 1, ticks));
                        prop_assert_eq!(open_deadline(&b), Some(until.ticks()));
                        change
                    }
                    7 => b.reset(),
                    8 => b.force_open(),
                    _ => b.disable(),
                };
                if b.raw_word() != before {
                    upper = upper.max(now);
                }
                if let Some(t) = change {
                    transitions += 1;
                    successes = 0;
                    if t.to != State::HalfOpen {
                        trials_issued.clear();
                    }
                }
                if let Some((least, most, ticks)) = opens {
                    let until = open_deadline(&b).unwrap();
                    prop_assert!(until >= least.saturating_add(ticks),
                        "open until {} before {} + {}", until, least, ticks);
                    prop_assert!(until <= most.saturating_add(ticks),
                        "open until {} after {} + {}", until, most, ticks);
                    not_before = least.saturating_add(ticks);
                }
                let live = held.iter().filter(|(p, at)| *at == transitions && is_trial(p)).count();
                prop_assert!(live as u32 + successes <= permits,
                    "{} trials out and {} succeeded with {} permits", live, successes, permits);
            }
        }
    }

    /// A trip rule: `context` failures in a row.
    extern "C" fn run_reaches(run: u32, _: u32, _: u32, context: usize) -> bool {
        run as usize >= context
    }

    /// gobreaker's ratio example: at least 3 calls, 60 % failing.
    extern "C" fn ready_to_trip(_: u32, calls: u32, failures: u32, _: usize) -> bool {
        calls >= 3 && failures * 10 >= calls * 6
    }

    /// What `status` reports: the reason and deadline while OPEN.
    fn model_status(m: &Model, now: u64) -> BreakerStatus {
        let state = model_state(m, now);
        match m.m {
            M::Open(d, reason) if state == State::Open => BreakerStatus {
                state,
                tripped_by: Some(reason),
                trial_at: Some(tick(d)),
            },
            // Trials undecided past their timeout: an acquire reopens now.
            M::Half { .. } if state == State::Open => BreakerStatus {
                state,
                tripped_by: Some(TripReason::TrialTimedOut),
                trial_at: Some(tick(
                    now.saturating_add(m.period(now, (m.reopens + 1).min(15))),
                )),
            },
            _ => BreakerStatus {
                state,
                tripped_by: None,
                trial_at: None,
            },
        }
    }

    fn model_state(m: &Model, now: u64) -> State {
        match &m.m {
            M::Closed(..) => State::Closed,
            M::Open(d, _) if now >= *d => State::HalfOpen,
            M::Open(..) => State::Open,
            M::Half { until, .. } if now >= *until => State::Open,
            M::Half { .. } => State::HalfOpen,
            M::Forced => State::ForcedOpen,
            M::Disabled => State::Disabled,
        }
    }
}

/// The count-based failure rate (Resilience4j's COUNT_BASED window,
/// gobreaker's ratio `ReadyToTrip`), tick by tick.
mod failure_rate {
    use super::*;

    fn rated(failures: u32, per_mille: u32, window: u32, minimum: u32) -> BreakerConfig {
        BreakerConfig::new(BreakerSettings {
            failure_threshold: failures,
            open: span(100),
            half_open_permits: 1,
            success_threshold: 1,
            half_open_timeout: span(50),
            failure_rate_per_mille: per_mille,
            rate_window: window,
            minimum_calls: minimum,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap()
    }

    /// Runs `outcomes` one call each at ticks 1, 2, …; the index of each
    /// call that reported a transition.
    fn run(b: &WindowedBreaker<&BreakerConfig>, outcomes: &[Outcome]) -> Vec<(usize, Transition)> {
        let mut seen = Vec::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            let now = i as u64 + 1;
            let Ok(admitted) = b.acquire(tick(now)) else {
                continue;
            };
            if let Some(t) = b.record(admitted.permit, *outcome, tick(now)).transition {
                seen.push((i, t));
            }
        }
        seen
    }

    use Outcome::{Failure as F, Ignored as I, Success as S};

    /// gobreaker's ratio rule (`Requests >= 3 && failures / requests >=
    /// 0.6`): fail, succeed, fail trips on the third call.
    #[test]
    fn gobreakers_ratio_rule_trips_on_fail_succeed_fail() {
        let c = rated(0, 600, 3, 3);
        let b = Breaker::windowed(&c);
        let seen = run(&b, &[F, S, F]);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0, 2);
        assert_eq!((seen[0].1.from, seen[0].1.to), (State::Closed, State::Open));
        assert_eq!(b.acquire(tick(4)).unwrap_err().retry_at, Some(tick(103)));
    }

    /// Nothing trips before the minimum number of calls, however many
    /// fail; the comparison is inclusive (50 % trips a 500 ‰ rule).
    #[test]
    fn minimum_calls_then_an_inclusive_threshold() {
        let c = rated(0, 500, 10, 4);
        let b = Breaker::windowed(&c);
        assert!(run(&b, &[F, F, F]).is_empty());
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 3,
                failures: 3,
                slow: 0,
            }
        );
        let b = Breaker::windowed(&c);
        let seen = run(&b, &[S, S, F, F]);
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [3]);
        // 0 minimum calls: the whole window.
        let c = rated(0, 500, 4, 0);
        let b = Breaker::windowed(&c);
        assert!(run(&b, &[F, F, F]).is_empty());
        assert_eq!(run(&b, &[S]).len(), 1, "3 of 4 once the window is full");
    }

    /// The window keeps the last N outcomes: a failure slides out.
    #[test]
    fn failures_slide_out_of_the_window() {
        let c = rated(0, 500, 4, 4);
        let b = Breaker::windowed(&c);
        // F S S S: 25 %; then S pushes the failure out; F F: 50 % trips.
        let seen = run(&b, &[F, S, S, S, S, F, S, F]);
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [7]);
    }

    /// IGNORED counts in none: not a call, not a failure.
    #[test]
    fn ignored_outcomes_count_in_none() {
        let c = rated(0, 500, 2, 2);
        let b = Breaker::windowed(&c);
        assert!(run(&b, &[F, I, I, I]).is_empty());
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 1,
                failures: 1,
                slow: 0,
            }
        );
        assert_eq!(run(&b, &[S]).len(), 1);
    }

    /// Both rules at once: whichever is reached first opens the breaker,
    /// once.
    #[test]
    fn consecutive_and_rate_rules_together() {
        // Consecutive first: 3 in a row, while the rate needs 10 calls.
        let c = rated(3, 100, 10, 10);
        let b = Breaker::windowed(&c);
        assert_eq!(
            run(&b, &[F, F, F]).iter().map(|s| s.0).collect::<Vec<_>>(),
            [2]
        );
        // Rate first: alternating never makes 3 in a row.
        let c = rated(3, 500, 4, 4);
        let b = Breaker::windowed(&c);
        assert_eq!(
            run(&b, &[F, S, F, S])
                .iter()
                .map(|s| s.0)
                .collect::<Vec<_>>(),
            [3]
        );
    }

    /// After a trip and a recovery the window is empty: outcomes of the
    /// old generation never count in the new one, even reported late.
    #[test]
    fn a_new_generation_starts_with_an_empty_window() {
        let c = rated(0, 1000, 2, 2);
        let b = Breaker::windowed(&c);
        let late = b.acquire(tick(0)).unwrap().permit;
        assert_eq!(run(&b, &[F, F]).len(), 1); // OPEN at tick 2
        let trial = b.acquire(tick(102)).unwrap().permit;
        let closed = b.record(trial, S, tick(103)).transition.unwrap();
        assert_eq!(closed.to, State::Closed);
        assert_eq!(b.window_counts(), WindowCounts::default());
        // The permit from before the trip is stale: not counted anywhere.
        assert!(!b.record(late, F, tick(104)).counted);
        assert_eq!(b.window_counts(), WindowCounts::default());
        let p = b.acquire(tick(105)).unwrap().permit;
        assert!(b.record(p, F, tick(105)).transition.is_none());
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 1,
                failures: 1,
                slow: 0,
            }
        );
    }

    /// A reset in CLOSED empties the window and makes earlier permits
    /// stale; without a window it keeps the generation, as before.
    #[test]
    fn reset_in_closed_starts_a_new_window() {
        let c = rated(0, 1000, 2, 2);
        let b = Breaker::windowed(&c);
        let before = b.acquire(tick(0)).unwrap().permit;
        let _ = run(&b, &[F]);
        assert!(b.reset().is_none(), "CLOSED to CLOSED is no transition");
        assert_eq!(b.window_counts(), WindowCounts::default());
        assert!(!b.record(before, F, tick(3)).counted);
        let plain = Breaker::new(&BreakerConfig::DEFAULT);
        let permit = plain.acquire(tick(0)).unwrap().permit;
        let _ = plain.reset();
        assert!(plain.record(permit, F, tick(1)).counted);
    }

    /// The rate rule alone, over the largest window: 64 failures in a
    /// row trip at exactly the 64th (1000 ‰, 64 minimum calls).
    #[test]
    fn a_full_64_outcome_window() {
        let c = rated(0, 1000, 64, 64);
        let b = Breaker::windowed(&c);
        let seen = run(&b, &[F; 100]);
        assert_eq!(seen[0].0, 63);
    }

    /// A window only ever counts CLOSED outcomes: half-open trials,
    /// DISABLED and FORCED_OPEN outcomes never reach it.
    #[test]
    fn only_closed_outcomes_are_counted() {
        let c = rated(1, 500, 4, 1);
        let b = Breaker::windowed(&c);
        let _ = b.disable();
        let p = b.acquire(tick(0)).unwrap().permit;
        assert!(!b.record(p, F, tick(0)).counted);
        assert_eq!(b.raw_window(), 0, "the window word was never written");
        let _ = b.reset();
        assert_eq!(run(&b, &[F]).len(), 1);
        let trial = b.acquire(tick(200)).unwrap().permit;
        assert!(b.record(trial, F, tick(200)).transition.is_some());
        assert_eq!(b.window_counts(), WindowCounts::default());
    }

    /// A snapshot restores the state and generation; the window restarts
    /// empty.
    #[test]
    fn restore_empties_the_window() {
        use crate::snapshot::Snapshot;
        let c = rated(0, 500, 4, 2);
        let b = Breaker::windowed(&c);
        let _ = run(&b, &[F]);
        let saved = b.snapshot(tick(10));
        let _ = run(&b, &[S]);
        b.restore(&saved, tick(10)).unwrap();
        assert_eq!(b.window_counts(), WindowCounts::default());
        // A snapshot of a breaker with another window is refused.
        let other = rated(0, 500, 5, 2);
        let rebooted = Breaker::windowed(&other);
        assert!(rebooted.restore(&saved, tick(10)).is_err());
    }

    /// Garbage permits (forged, of any generation) never poison the
    /// window: only the live CLOSED generation's permits count.
    #[test]
    fn forged_permits_never_reach_the_window() {
        let c = rated(0, 500, 4, 4);
        let b = Breaker::windowed(&c);
        for raw in [
            1u32 << 31,
            (1 << 31) | 0x7fff,
            (1 << 31) | 0xffff,
            0x8001_0001,
        ] {
            if let Some(p) = Permit::from_parts(raw, Instant::from_ticks(0)) {
                if p.generation() != 0 || p.slot() != 0 {
                    let _ = b.record(p, F, tick(1));
                }
            }
        }
        assert_eq!(b.raw_window(), 0);
        assert_eq!(run(&b, &[F, F, S, S]).len(), 1);
    }
}

/// A breaker without window storage cannot measure a failure rate: given
/// a configuration with one, it opens on the first failure it counts (the
/// conservative reading), and its window reads empty.
#[test]
fn a_rate_without_window_storage_opens_on_the_first_failure() {
    let c = BreakerConfig::new(BreakerSettings {
        failure_threshold: 0,
        failure_rate_per_mille: 500,
        rate_window: 10,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let b = Breaker::new(&c);
    let p = b.acquire(tick(0)).unwrap().permit;
    assert!(b.record(p, Outcome::Success, tick(0)).transition.is_none());
    let p = b.acquire(tick(1)).unwrap().permit;
    let opened = b.record(p, Outcome::Failure, tick(1)).transition.unwrap();
    assert_eq!(opened.to, State::Open);
    // Named a failure-rate trip.
    assert_eq!(b.status(tick(2)).tripped_by, Some(TripReason::FailureRate));
    assert_eq!(b.window_counts(), WindowCounts::default());
}

/// Why the breaker opened, and when it admits a trial (`status`), for every
/// way into OPEN; forgotten once the open period ends.
mod trip_reasons {
    use super::*;
    use crate::snapshot::Snapshot;

    fn reason_at(b: &WindowedBreaker<&BreakerConfig>, now: Tick) -> Option<TripReason> {
        let status = b.status(tick(now));
        assert_eq!(status.state, b.state(tick(now)));
        assert_eq!(status.trial_at.is_some(), status.state == State::Open);
        status.tripped_by
    }

    fn call(
        b: &WindowedBreaker<&BreakerConfig>,
        outcome: Outcome,
        now: Tick,
    ) -> Option<Transition> {
        let p = b.acquire(tick(now)).unwrap().permit;
        b.record(p, outcome, tick(now)).transition
    }

    #[test]
    fn each_way_into_open_is_named_until_the_trial() {
        // 3 failures in a row, or half of the last 4 calls (2 at least).
        let c = BreakerConfig::new(BreakerSettings {
            failure_threshold: 3,
            failure_rate_per_mille: 500,
            rate_window: 4,
            minimum_calls: 4,
            open: span(100),
            half_open_permits: 1,
            success_threshold: 1,
            half_open_timeout: span(50),
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Breaker::windowed(&c);
        assert_eq!(
            b.status(tick(0)),
            BreakerStatus {
                state: State::Closed,
                tripped_by: None,
                trial_at: None
            }
        );
        // F S F S: 2 of 4 trips the rate, never 3 in a row.
        for (now, outcome) in [
            (1, Outcome::Failure),
            (2, Outcome::Success),
            (3, Outcome::Failure),
        ] {
            assert!(call(&b, outcome, now).is_none());
        }
        assert!(call(&b, Outcome::Success, 4).is_some());
        assert_eq!(reason_at(&b, 5), Some(TripReason::FailureRate));
        assert_eq!(b.status(tick(5)).trial_at, Some(tick(104)));
        assert_eq!(reason_at(&b, 103), Some(TripReason::FailureRate));
        assert_eq!(reason_at(&b, 104), None, "past the deadline: a trial");
        // A failed trial.
        let trial = b.acquire(tick(104)).unwrap().permit;
        assert!(b
            .record(trial, Outcome::Failure, tick(105))
            .transition
            .is_some());
        assert_eq!(reason_at(&b, 106), Some(TripReason::TrialFailed));
        assert_eq!(b.status(tick(106)).trial_at, Some(tick(205)));
        // A trial left undecided past its timeout (50 ticks).
        let _trial = b.acquire(tick(205)).unwrap().permit;
        assert_eq!(reason_at(&b, 206), None, "HALF_OPEN keeps no reason");
        // Past the timeout an acquire would reopen from its own tick: the
        // status says so before any acquire does.
        assert_eq!(reason_at(&b, 300), Some(TripReason::TrialTimedOut));
        assert_eq!(b.status(tick(300)).trial_at, Some(tick(400)));
        let refused = b.acquire(tick(255)).unwrap_err();
        assert_eq!(refused.transition.unwrap().to, State::Open);
        assert_eq!(reason_at(&b, 256), Some(TripReason::TrialTimedOut));
        // Closed again, then 3 failures in a row (the rate needs 4 calls).
        b.reset();
        for now in 400..402 {
            assert!(call(&b, Outcome::Failure, now).is_none());
        }
        assert!(call(&b, Outcome::Failure, 402).is_some());
        assert_eq!(reason_at(&b, 403), Some(TripReason::ConsecutiveFailures));
        // Opened by hand.
        b.open_for(span(1_000), tick(410)).unwrap();
        assert_eq!(reason_at(&b, 411), Some(TripReason::Manual));
        assert_eq!(b.status(tick(411)).trial_at, Some(tick(1_410)));
        // FORCED_OPEN and DISABLED name no reason and no trial tick.
        b.force_open();
        assert_eq!(reason_at(&b, 412), None);
        b.disable();
        assert_eq!(reason_at(&b, 413), None);
    }

    #[test]
    fn a_snapshot_keeps_the_reason_and_an_unknown_code_is_refused() {
        let c = config(1, 100, 1, 1, 50);
        let b = Breaker::new(&c);
        trip(&b, 10);
        let saved = b.snapshot(tick(20));
        let restored = Breaker::new(&c);
        restored.restore(&saved, tick(20)).unwrap();
        assert_eq!(restored.status(tick(21)), b.status(tick(21)));
        assert_eq!(
            restored.status(tick(21)).tripped_by,
            Some(TripReason::ConsecutiveFailures)
        );
        // The reason byte follows the kind, generation and two ticks; a
        // snapshot taken before reasons were kept has 0 there and restores
        // with none; an unknown code is damage.
        let at = 8 + 1 + 2 + 8 + 8;
        assert_eq!(saved[at], TripReason::ConsecutiveFailures as u8);
        for (code, restores) in [(0u8, true), (7, true), (8, false), (0xFF, false)] {
            let mut bytes = saved;
            bytes[at] = code;
            let body = bytes.len() - 4;
            let sum = crate::snapshot::crc32(&bytes[..body]);
            bytes[body..].copy_from_slice(&sum.to_le_bytes());
            let fresh = Breaker::new(&c);
            assert_eq!(
                fresh.restore(&bytes, tick(20)).is_ok(),
                restores,
                "code {code}"
            );
            if restores {
                let status = fresh.status(tick(21));
                assert_eq!(status.tripped_by, TripReason::from_code(code));
                assert_eq!(status.state, State::Open);
            }
        }
    }
}

/// The closed-state interval (gobreaker's `Interval`): counts cleared every
/// `closed_interval` while CLOSED, as a new generation.
mod closed_interval {
    use super::*;
    use crate::snapshot::Snapshot;

    fn interval(failures: u32, open: Tick, interval: Tick) -> BreakerConfig {
        BreakerConfig::new(BreakerSettings {
            failure_threshold: failures,
            open: span(open),
            half_open_permits: 1,
            success_threshold: 1,
            closed_interval: span(interval),
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap()
    }

    fn fail<W: Window, K: Counting>(b: &Breaker<&BreakerConfig, W, K>, now: Tick) -> Recorded {
        let p = b.acquire(tick(now)).unwrap().permit;
        b.record(p, Outcome::Failure, tick(now))
    }

    #[test]
    fn the_failure_run_clears_when_the_interval_ends() {
        for start in STARTS {
            let c = interval(3, 1_000, 100);
            let b = Breaker::new(&c);
            // The first call starts an interval: [start, start + 100).
            assert!(fail(&b, start).transition.is_none());
            assert!(fail(&b, start + 99).transition.is_none());
            // Two failures in; the third comes after the end: cleared
            // first, so it is the first of a new run.
            assert!(fail(&b, start + 100).transition.is_none());
            assert!(fail(&b, start + 150).transition.is_none());
            let third = fail(&b, start + 199);
            assert_eq!(third.transition.map(|t| t.to), Some(State::Open));
        }
    }

    #[test]
    fn an_outcome_admitted_before_the_clearing_does_not_count_after_it() {
        let c = interval(2, 1_000, 100);
        let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&c);
        assert!(fail(&b, 0).counted);
        let before = b.acquire(tick(99)).unwrap().permit;
        // Reported after the end: the interval is cleared, this outcome
        // (from the old generation) is dropped and opens nothing.
        let late = b.record(before, Outcome::Failure, tick(100));
        assert!(!late.counted && late.transition.is_none());
        assert_eq!(b.counts().dropped, 1);
        // The clearing happened once: a failure now is the first of a run.
        assert!(fail(&b, 101).transition.is_none());
        assert_eq!(fail(&b, 102).transition.map(|t| t.to), Some(State::Open));
    }

    #[test]
    fn the_failure_rate_window_empties_when_the_interval_ends() {
        let c = BreakerConfig::new(BreakerSettings {
            failure_threshold: 0,
            failure_rate_per_mille: 500,
            rate_window: 4,
            minimum_calls: 4,
            closed_interval: span(1_000),
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Breaker::windowed(&c);
        for now in 0..3 {
            assert!(fail(&b, now).counted);
        }
        let counts = WindowCounts {
            calls: 3,
            failures: 3,
            slow: 0,
        };
        assert_eq!(b.window_counts(), counts);
        // Past the end, the fourth failure finds an empty window: no trip.
        assert!(fail(&b, 1_000).transition.is_none());
        let counts = WindowCounts {
            calls: 1,
            failures: 1,
            slow: 0,
        };
        assert_eq!(b.window_counts(), counts);
    }

    #[test]
    fn an_interval_starts_when_the_breaker_closes() {
        let c = interval(2, 50, 100);
        let b = Breaker::new(&c);
        assert!(fail(&b, 0).counted);
        assert_eq!(fail(&b, 10).transition.map(|t| t.to), Some(State::Open));
        // HALF_OPEN at 60, closed by the trial's success at 70.
        let p = b.acquire(tick(60)).unwrap().permit;
        let closed = b.record(p, Outcome::Success, tick(70)).transition;
        assert_eq!(closed.map(|t| t.to), Some(State::Closed));
        // The interval runs [70, 170): a failure at 169 and one at 170 are
        // in different intervals, a second one before 270 trips.
        assert!(fail(&b, 169).counted);
        assert!(fail(&b, 170).transition.is_none());
        assert_eq!(fail(&b, 269).transition.map(|t| t.to), Some(State::Open));
    }

    #[test]
    fn a_reset_into_closed_starts_an_interval_at_the_latest_tick() {
        let c = interval(2, 50, 100);
        let b = Breaker::new(&c);
        assert!(fail(&b, 0).counted);
        assert!(fail(&b, 500).counted); // opens at 500
        b.reset();
        // [500, 600): two failures before 600 trip, across 600 they do not.
        assert!(fail(&b, 599).counted);
        assert!(fail(&b, 600).transition.is_none());
        b.force_open();
        b.reset();
        assert!(fail(&b, 650).counted);
        assert_eq!(fail(&b, 699).transition.map(|t| t.to), Some(State::Open));
    }

    #[test]
    fn lagging_calls_never_end_an_interval_early_nor_twice() {
        let c = interval(3, 1_000, 100);
        let b = Breaker::new(&c);
        assert!(fail(&b, 1_000).counted); // starts [1 000, 1 100)
        assert!(fail(&b, 1_100).counted); // ends it: [1 100, 1 200)
        let cleared = b.raw_word();
        // Calls whose `now` lags by a tick or by days: no new clearing.
        for lag in [1u64, 50, 100, 1_000] {
            let p = b.acquire(tick(1_100 - lag)).unwrap().permit;
            assert!(b.record(p, Outcome::Success, tick(1_100 - lag)).counted);
        }
        let generation = |word: u128| decode(word).0;
        assert_eq!(generation(b.raw_word()), generation(cleared));
        assert!(fail(&b, 1_150).counted);
        assert!(fail(&b, 1_160).counted);
        assert_eq!(fail(&b, 1_170).transition.map(|t| t.to), Some(State::Open));
    }

    #[test]
    fn a_long_open_quantum_never_delays_the_clearing() {
        // open 2^40: CLOSED notes a tick once per 2^24, far longer than the
        // interval; its quiet period stops at the interval's end, so the
        // quick paths never pass it.
        let c = interval(2, 1 << 40, 100);
        let b = Breaker::new(&c);
        assert!(fail(&b, 0).counted);
        for now in [1, 50, 99] {
            let p = b.acquire(tick(now)).unwrap().permit;
            assert!(!b.record(p, Outcome::Ignored, tick(now)).counted);
        }
        assert!(fail(&b, 100).transition.is_none());
        assert_eq!(fail(&b, 101).transition.map(|t| t.to), Some(State::Open));
    }

    #[test]
    fn the_end_is_late_by_less_than_one_grid_step_never_early() {
        for interval_ticks in [1u64, 2_047, 2_049, 10_000_000, 1 << 40, MAX_DURATION] {
            let c = interval(2, 60_000, interval_ticks);
            let grid = 1u64 << interval_ticks.div_ceil(1 << 11).ilog2();
            assert!(interval_ticks / grid < 1 << 12);
            for start in [0u64, 1, 12_345, 1 << 41, u64::MAX >> 2] {
                // A second failure at `at` trips iff the interval that the
                // first (at `start`) began has not ended.
                let trips_at = |at: Tick| {
                    let b = Breaker::new(&c);
                    assert!(fail(&b, start).counted);
                    fail(&b, at).transition.is_some()
                };
                let due = start + interval_ticks;
                assert!(trips_at(due - 1), "{interval_ticks} from {start}: early");
                assert!(
                    !trips_at(due + grid - 1),
                    "{interval_ticks} from {start}: late"
                );
                // Exactly: the first grid point at or after the due tick.
                let end = due.div_ceil(grid) * grid;
                assert!(trips_at(end - 1) && !trips_at(end));
            }
        }
    }

    #[test]
    fn idle_for_years_clears_once() {
        let c = interval(2, 60_000, 1_000);
        let b = Breaker::new(&c);
        assert!(fail(&b, 5).counted);
        let years = 1_000 * 3600 * 24 * 365 * 10;
        assert!(fail(&b, years).transition.is_none());
        assert_eq!(
            fail(&b, years + 1).transition.map(|t| t.to),
            Some(State::Open)
        );
    }

    #[test]
    fn a_snapshot_keeps_the_interval_end() {
        let c = interval(2, 60_000, 1_000);
        let b = Breaker::new(&c);
        assert!(fail(&b, 10_000).counted); // [10 000, 11 000), one failure in
        let saved = b.snapshot(tick(10_500));
        // Restored after a reboot whose clock restarted at 0.
        let restored = Breaker::new(&c);
        restored.restore(&saved, tick(500)).unwrap();
        // 500 ticks remain: a failure at 999 trips, ...
        assert_eq!(
            fail(&restored, 999).transition.map(|t| t.to),
            Some(State::Open)
        );
        // ... and at 1 000 it would have been a fresh interval.
        let again = Breaker::new(&c);
        again.restore(&saved, tick(500)).unwrap();
        assert!(fail(&again, 1_000).transition.is_none());
        // An end beyond an interval from the latest tick is damage.
        let at = 8 + 1 + 2 + 4 + 8;
        let mut bytes = saved;
        bytes[at..at + 8].copy_from_slice(&2_000i64.to_le_bytes());
        let body = bytes.len() - 4;
        let sum = crate::snapshot::crc32(&bytes[..body]);
        bytes[body..].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(
            Breaker::new(&c).restore(&bytes, tick(500)),
            Err(crate::snapshot::SnapshotError::Corrupt)
        );
        // Without an interval those bytes stay zero, as before intervals.
        let plain = BreakerConfig::DEFAULT;
        let saved = Breaker::new(&plain).snapshot(tick(123));
        assert!(saved[at..at + 8].iter().all(|&byte| byte == 0));
    }
}

/// Open periods that grow with each reopening, and jitter from the
/// caller's seed.
mod growing_open {
    use super::*;
    use crate::snapshot::Snapshot;
    use crate::ConfigError;

    fn growing(multiplier: u32, max_open: Tick, jitter: u32, seed: u64) -> BreakerConfig {
        BreakerConfig::new(BreakerSettings {
            failure_threshold: 1,
            open: span(100),
            half_open_permits: 1,
            success_threshold: 1,
            half_open_timeout: span(50),
            open_multiplier_milli: multiplier,
            max_open: span(max_open),
            open_jitter_per_mille: jitter,
            jitter_seed: seed,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap()
    }

    /// Runs one failed trial at the open deadline; the new deadline.
    fn fail_trial(b: &Breaker<&BreakerConfig>) -> Tick {
        let at = open_deadline(b).unwrap();
        let p = b.acquire(tick(at)).unwrap().permit;
        let r = b.record(p, Outcome::Failure, tick(at));
        assert_eq!(r.transition.map(|t| t.to), Some(State::Open));
        open_deadline(b).unwrap() - at
    }

    #[test]
    fn each_reopening_grows_the_period_until_the_cap_and_closing_resets_it() {
        for start in STARTS {
            let c = growing(2_000, 1_000, 0, 0);
            let b = Breaker::new(&c);
            let _ = trip(&b, start);
            assert_eq!(open_deadline(&b), Some(start + 100));
            let periods: Vec<Tick> = (0..5).map(|_| fail_trial(&b)).collect();
            assert_eq!(periods, [200, 400, 800, 1_000, 1_000], "from {start}");
            // A successful trial closes; the next trip starts at `open`.
            let at = open_deadline(&b).unwrap();
            let p = b.acquire(tick(at)).unwrap().permit;
            let closed = b.record(p, Outcome::Success, tick(at)).transition;
            assert_eq!(closed.map(|t| t.to), Some(State::Closed));
            let _ = trip(&b, at + 1);
            assert_eq!(open_deadline(&b), Some(at + 101));
        }
    }

    #[test]
    fn a_timed_out_trial_grows_the_period_too_and_status_says_so() {
        let c = growing(1_500, 0, 0, 0);
        let b = Breaker::new(&c);
        let _ = trip(&b, 0);
        let _hung = b.acquire(tick(100)).unwrap().permit;
        // The trial never reports: at 150 the timeout reopens for 150.
        let status = b.status(tick(150));
        assert_eq!(status.state, State::Open);
        assert_eq!(status.trial_at, Some(tick(300)));
        let refused = b.acquire(tick(150)).unwrap_err();
        assert_eq!(refused.retry_at, Some(tick(300)));
        // 1.5^2 = 2.25: the next period is 225.
        assert_eq!(fail_trial(&b), 225);
    }

    #[test]
    fn reopenings_saturate_at_15() {
        let c = growing(1_001, 0, 0, 0);
        let b = Breaker::new(&c);
        let _ = trip(&b, 0);
        let periods: Vec<Tick> = (0..20).map(|_| fail_trial(&b)).collect();
        assert!(periods.windows(2).take(14).all(|w| w[0] <= w[1]));
        assert!(
            periods[14..].iter().all(|&p| p == periods[14]),
            "{periods:?}"
        );
    }

    #[test]
    fn a_manual_period_is_exact_and_starts_the_growth_afresh() {
        let c = growing(2_000, 0, 500, 7);
        let b = Breaker::new(&c);
        let _ = trip(&b, 0);
        let _ = fail_trial(&b);
        let now = open_deadline(&b).unwrap() - 1;
        let (_, until) = b.open_for(Duration::from_ticks(30), tick(now)).unwrap();
        assert_eq!(until, tick(now + 30));
        // The trial after it fails: one reopening, 200 jittered by ±50 %.
        let period = fail_trial(&b);
        assert!((100..=300).contains(&period), "{period}");
    }

    #[test]
    fn jitter_spreads_periods_within_its_bounds_from_the_callers_seed() {
        let mut periods = std::collections::BTreeSet::new();
        for seed in 0..500u64 {
            let c = growing(0, 0, 200, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let b = Breaker::new(&c);
            let _ = trip(&b, 1_000);
            let period = open_deadline(&b).unwrap() - 1_000;
            assert!((80..=120).contains(&period), "{period}");
            // The same seed, generation and tick: the same period.
            let again = Breaker::new(&c);
            let _ = trip(&again, 1_000);
            assert_eq!(open_deadline(&again), open_deadline(&b));
            periods.insert(period);
        }
        // Spread over most of the 41 possible periods, both sides of 100.
        assert!(periods.len() > 30, "{periods:?}");
        assert!(periods.first() < Some(&95) && periods.last() > Some(&105));
        // Full jitter never opens for 0 ticks, nor past the cap.
        for seed in 0..500u64 {
            let c = growing(3_000, 250, 1_000, seed);
            let b = Breaker::new(&c);
            let _ = trip(&b, 5);
            for _ in 0..4 {
                let period = fail_trial(&b);
                assert!((1..=250).contains(&period), "{period}");
            }
        }
    }

    #[test]
    fn a_snapshot_keeps_the_reopenings() {
        let c = growing(2_000, 0, 0, 0);
        let b = Breaker::new(&c);
        let _ = trip(&b, 0);
        assert_eq!(fail_trial(&b), 200);
        let saved = b.snapshot(tick(150));
        let restored = Breaker::new(&c);
        restored.restore(&saved, tick(150)).unwrap();
        // One reopening kept: the next failed trial opens for 400.
        assert_eq!(fail_trial(&restored), 400);
        // A snapshot's reopenings sit in the high nibble of the reason byte.
        let at = 8 + 1 + 2 + 8 + 8;
        assert_eq!(saved[at], TripReason::TrialFailed as u8 | 1 << 4);
    }

    #[test]
    fn growth_settings_are_validated() {
        let with = |multiplier, max_open, jitter| {
            BreakerConfig::new(BreakerSettings {
                open: span(100),
                open_multiplier_milli: multiplier,
                max_open: span(max_open),
                open_jitter_per_mille: jitter,
                ..BreakerConfig::DEFAULT_SETTINGS
            })
        };
        assert!(with(0, 0, 0).is_ok());
        assert!(with(1_000, 100, 1_000).is_ok());
        assert!(with(MAX_OPEN_MULTIPLIER_MILLI, MAX_DURATION, 0).is_ok());
        assert_eq!(with(999, 0, 0), Err(ConfigError::Multiplier));
        assert_eq!(
            with(MAX_OPEN_MULTIPLIER_MILLI + 1, 0, 0),
            Err(ConfigError::Multiplier)
        );
        assert_eq!(with(2_000, 99, 0), Err(ConfigError::MaxOpen));
        assert_eq!(with(2_000, MAX_DURATION + 1, 0), Err(ConfigError::MaxOpen));
        assert_eq!(with(0, 0, 1_001), Err(ConfigError::Jitter));
    }
}

/// A caller's trip rule over the counts (gobreaker's `ReadyToTrip`).
mod trip_rule {
    use super::*;
    use core::sync::atomic::{AtomicU32, Ordering};

    /// gobreaker's example: at least `context` calls, 60 % failing.
    extern "C" fn ready_to_trip(_: u32, calls: u32, failures: u32, context: usize) -> bool {
        calls as usize >= context && failures * 10 >= calls * 6
    }

    /// Remembers the counts it was last given; trips on a run of 3.
    static SEEN: AtomicU32 = AtomicU32::new(0);
    extern "C" fn recording(run: u32, calls: u32, failures: u32, _: usize) -> bool {
        SEEN.store(run << 16 | calls << 8 | failures, Ordering::Relaxed);
        run >= 3
    }

    fn with_rule(window: u32, rule: TripRule) -> BreakerConfig {
        BreakerConfig::new(BreakerSettings {
            failure_threshold: 0,
            open: span(100),
            half_open_permits: 1,
            success_threshold: 1,
            failure_rate_per_mille: if window == 0 { 0 } else { 1000 },
            rate_window: window,
            trip_rule: Some(rule),
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap()
    }

    fn call<W: Window>(b: &Breaker<&BreakerConfig, W>, outcome: Outcome, now: Tick) -> Recorded {
        let p = b.acquire(tick(now)).unwrap().permit;
        b.record(p, outcome, tick(now))
    }

    #[test]
    fn gobreakers_ready_to_trip_ports_directly() {
        let rule = TripRule {
            decide: ready_to_trip,
            context: 3,
        };
        let c = with_rule(10, rule);
        let b = Breaker::windowed(&c);
        assert!(call(&b, Outcome::Failure, 1).transition.is_none());
        assert!(call(&b, Outcome::Success, 2).transition.is_none());
        let third = call(&b, Outcome::Failure, 3);
        assert_eq!(third.transition.map(|t| t.to), Some(State::Open));
        assert_eq!(b.status(tick(4)).tripped_by, Some(TripReason::CustomRule));
    }

    #[test]
    fn the_rule_sees_the_run_and_the_window_with_this_failure() {
        let rule = TripRule {
            decide: recording,
            context: 0,
        };
        // With a window of 4: counts of the window after each failure.
        let c = with_rule(4, rule);
        let b = Breaker::windowed(&c);
        let _ = call(&b, Outcome::Success, 1);
        let _ = call(&b, Outcome::Failure, 2);
        assert_eq!(SEEN.load(Ordering::Relaxed), 1 << 16 | 2 << 8 | 1);
        let _ = call(&b, Outcome::Failure, 3);
        assert_eq!(SEEN.load(Ordering::Relaxed), 2 << 16 | 3 << 8 | 2);
        let third = call(&b, Outcome::Failure, 4);
        assert_eq!(third.transition.map(|t| t.to), Some(State::Open));
        // Without a window the rule sees the run and an empty window.
        let c = with_rule(0, rule);
        let plain = Breaker::new(&c);
        let _ = call(&plain, Outcome::Failure, 1);
        assert_eq!(SEEN.load(Ordering::Relaxed), 1 << 16);
        let _ = call(&plain, Outcome::Success, 2);
        let _ = call(&plain, Outcome::Failure, 3);
        assert_eq!(
            SEEN.load(Ordering::Relaxed),
            1 << 16,
            "a success ends the run"
        );
    }

    #[test]
    fn only_counted_closed_failures_are_judged() {
        let rule = TripRule {
            decide: ready_to_trip,
            context: 1,
        };
        let c = with_rule(0, rule);
        let b = Breaker::new(&c);
        // A success or an ignored call is never judged (1 call of 1 would
        // otherwise trip a rule of one call, 0 % failing: no).
        assert!(call(&b, Outcome::Success, 1).transition.is_none());
        assert!(call(&b, Outcome::Ignored, 2).transition.is_none());
        // No window: calls 0, so this rule never trips; a stale permit is
        // never judged either.
        let stale = b.acquire(tick(3)).unwrap().permit;
        b.force_open();
        b.reset();
        assert!(!b.record(stale, Outcome::Failure, tick(4)).counted);
        assert_eq!(b.state(tick(5)), State::Closed);
    }

    #[test]
    fn a_rule_given_per_call_replaces_the_configurations() {
        extern "C" fn never(_: u32, _: u32, _: u32, _: usize) -> bool {
            false
        }
        extern "C" fn first_failure(run: u32, _: u32, _: u32, _: usize) -> bool {
            run >= 1
        }
        let c = with_rule(
            0,
            TripRule {
                decide: never,
                context: 0,
            },
        );
        let b = Breaker::new(&c);
        for now in 0..5 {
            assert!(call(&b, Outcome::Failure, now).transition.is_none());
        }
        let p = b.acquire(tick(6)).unwrap().permit;
        let rule = Some(TripRule {
            decide: first_failure,
            context: 0,
        });
        let r = b.record_with_rule(p, Outcome::Failure, tick(6), rule);
        assert_eq!(r.transition.map(|t| t.to), Some(State::Open));
    }

    #[test]
    fn a_rule_may_be_the_only_one_and_rules_compare_by_function() {
        let rule = TripRule {
            decide: ready_to_trip,
            context: 3,
        };
        assert!(with_rule(0, rule).settings().trip_rule.is_some());
        assert_eq!(rule, rule);
        assert_ne!(rule, TripRule { context: 4, ..rule });
        let none = BreakerSettings {
            failure_threshold: 0,
            ..BreakerConfig::DEFAULT_SETTINGS
        };
        assert_eq!(
            BreakerConfig::new(none),
            Err(crate::ConfigError::FailureThreshold)
        );
    }
}

/// A trial period decided by its failure rate (Resilience4j's half-open
/// rule).
mod half_open_rate {
    use super::*;

    fn rated(permits: u32, per_mille: u32) -> BreakerConfig {
        BreakerConfig::new(BreakerSettings {
            failure_threshold: 1,
            open: span(100),
            half_open_permits: permits,
            success_threshold: 1,
            half_open_timeout: span(1_000),
            half_open_failure_rate_per_mille: per_mille,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap()
    }

    /// Trips at 0, then runs one trial period at 100 with `outcomes`
    /// (each its own permit, admitted first, reported in order); the
    /// transitions the reports made.
    fn trial_period(c: &BreakerConfig, outcomes: &[Outcome]) -> Vec<Option<State>> {
        let b = Breaker::new(c);
        let _ = trip(&b, 0);
        let permits: Vec<Permit> = outcomes
            .iter()
            .map(|_| b.acquire(tick(100)).unwrap().permit)
            .collect();
        permits
            .into_iter()
            .zip(outcomes)
            .map(|(p, o)| b.record(p, *o, tick(101)).transition.map(|t| t.to))
            .collect()
    }

    #[test]
    fn all_permits_report_then_the_share_of_failures_decides() {
        use Outcome::{Failure as F, Success as S};
        let c = rated(4, 500);
        // 1 failure of 4 (25 %): closes once the last is in.
        assert_eq!(
            trial_period(&c, &[F, S, S, S]),
            [None, None, None, Some(State::Closed)]
        );
        // 2 of 4 (50 %, inclusive): reopens.
        assert_eq!(
            trial_period(&c, &[S, F, S, F]),
            [None, None, None, Some(State::Open)]
        );
        // Without the rate the first failure reopens at once.
        let plain = rated(4, 0);
        assert_eq!(trial_period(&plain, &[S, F]), [Some(State::Closed), None]);
    }

    #[test]
    fn decided_trials_hold_their_permits_and_ignored_ones_hand_them_back() {
        let c = rated(2, 1000);
        let b = Breaker::new(&c);
        let _ = trip(&b, 0);
        let first = b.acquire(tick(100)).unwrap().permit;
        let second = b.acquire(tick(100)).unwrap().permit;
        assert!(b.acquire(tick(100)).is_err(), "both permits out");
        // A failure under a rate does not reopen, and keeps its permit.
        let r = b.record(first, Outcome::Failure, tick(101));
        assert!(r.counted && r.transition.is_none());
        assert!(
            b.acquire(tick(102)).is_err(),
            "a decided trial holds its permit"
        );
        // IGNORED hands the other back; a new trial takes it.
        assert!(!b.record(second, Outcome::Ignored, tick(102)).counted);
        let third = b.acquire(tick(103)).unwrap().permit;
        // 1 failure of 2 (50 %) is below 100 %: closes.
        let closed = b.record(third, Outcome::Success, tick(104)).transition;
        assert_eq!(closed.map(|t| t.to), Some(State::Closed));
    }

    #[test]
    fn a_failed_rate_reopens_and_snapshots_keep_the_failures() {
        use crate::snapshot::Snapshot;
        let c = rated(3, 600);
        let b = Breaker::new(&c);
        let _ = trip(&b, 0);
        let p: Vec<Permit> = (0..3)
            .map(|_| b.acquire(tick(100)).unwrap().permit)
            .collect();
        assert!(b.record(p[0], Outcome::Failure, tick(101)).counted);
        // Saved and restored between two reports: the failure is kept.
        let saved = b.snapshot(tick(101));
        let restored = Breaker::new(&c);
        restored.restore(&saved, tick(101)).unwrap();
        assert!(restored
            .record(p[1], Outcome::Failure, tick(102))
            .transition
            .is_none());
        let last = restored.record(p[2], Outcome::Success, tick(103));
        // 2 of 3 (67 %) ≥ 60 %: reopens, as a failed trial.
        assert_eq!(last.transition.map(|t| t.to), Some(State::Open));
        assert_eq!(
            restored.status(tick(104)).tripped_by,
            Some(TripReason::TrialFailed)
        );
        // A snapshot's failures sit in the kind byte's high nibble.
        assert_eq!(saved[8] >> 4, 1);
        assert_eq!(saved[8] & 0xF, State::HalfOpen as u8);
    }

    #[test]
    fn the_rate_is_validated() {
        let bad = BreakerSettings {
            half_open_failure_rate_per_mille: 1001,
            ..BreakerConfig::DEFAULT_SETTINGS
        };
        assert_eq!(
            BreakerConfig::new(bad),
            Err(crate::ConfigError::FailureRate)
        );
    }
}

/// Slow calls (Resilience4j's slow-call rate): a call whose report comes
/// more than `slow_call` after its admission is slow.
mod slow_calls {
    use super::*;
    use crate::ConfigError;

    /// Slow when slower than 100 ticks; the slow-call rate over the last 4
    /// outcomes (at least 2) opens at 50 %; consecutive failures at 3.
    fn slow_config(slow_rate: u32) -> BreakerConfig {
        BreakerConfig::new(BreakerSettings {
            failure_threshold: 3,
            open: span(1_000),
            half_open_permits: 2,
            success_threshold: 2,
            half_open_timeout: span(500),
            rate_window: if slow_rate == 0 { 0 } else { 4 },
            minimum_calls: if slow_rate == 0 { 0 } else { 2 },
            slow_call: span(100),
            slow_call_rate_per_mille: slow_rate,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap()
    }

    /// A call admitted at `start` and reported `outcome` at `end`.
    fn call<W: Window>(
        b: &Breaker<&BreakerConfig, W, Counters>,
        start: u64,
        end: u64,
        outcome: Outcome,
    ) -> Recorded {
        let permit = b.acquire(tick(start)).unwrap().permit;
        b.record(permit, outcome, tick(end))
    }

    #[test]
    fn a_slow_success_counts_slow_and_trips_the_slow_rate_inclusively() {
        let c = slow_config(500);
        let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&c);
        // Exactly 100 ticks is not slow (strictly longer is).
        assert!(call(&b, 0, 100, Outcome::Success).transition.is_none());
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
        // 101 ticks: slow; 1 of 2 = 50 % opens (inclusive).
        let opened = call(&b, 200, 301, Outcome::Success);
        assert_eq!(
            opened.transition,
            Some(Transition {
                from: State::Closed,
                to: State::Open
            })
        );
        let status = b.status(tick(302));
        assert_eq!(status.tripped_by, Some(TripReason::SlowCallRate));
        assert_eq!(status.trial_at, Some(tick(1_301)));
        let counts = b.counts();
        assert_eq!((counts.successes, counts.failures, counts.slow), (2, 0, 1));
    }

    #[test]
    fn a_slow_success_still_ends_a_failure_run_and_fails_no_failure_rate() {
        // 2 failures in a row, or all of the last 2 failing, open it.
        let c = BreakerConfig::new(BreakerSettings {
            failure_threshold: 2,
            failure_rate_per_mille: 1000,
            rate_window: 2,
            slow_call: span(10),
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&c);
        assert!(call(&b, 0, 50, Outcome::Success).transition.is_none()); // slow
        assert!(call(&b, 50, 51, Outcome::Success).transition.is_none());
        // Without a slow-call rate the window registers no slow call.
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 2,
                failures: 0,
                slow: 0
            }
        );
        assert_eq!(b.counts().slow, 1);
        // Fail, slow success, fail: the run was ended, and 1 of 2 failed.
        let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&c);
        assert!(call(&b, 0, 1, Outcome::Failure).transition.is_none());
        assert!(call(&b, 1, 90, Outcome::Success).transition.is_none()); // slow
        assert!(call(&b, 90, 91, Outcome::Failure).transition.is_none());
        assert_eq!(b.counts().slow, 1);
        // A third failure: 2 in a row.
        assert!(call(&b, 91, 92, Outcome::Failure).transition.is_some());
    }

    #[test]
    fn slow_failures_count_in_both_registers_and_ignored_in_none() {
        let c = slow_config(1000);
        let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&c);
        assert!(call(&b, 0, 500, Outcome::Ignored).transition.is_none());
        assert!(call(&b, 0, 500, Outcome::Failure).transition.is_none()); // 1 of 1: below minimum
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 1,
                failures: 1,
                slow: 1
            }
        );
        let opened = call(&b, 500, 700, Outcome::Failure).transition;
        assert_eq!(opened.map(|t| t.to), Some(State::Open));
        assert_eq!(
            b.status(tick(700)).tripped_by,
            Some(TripReason::SlowCallRate)
        );
        let counts = b.counts();
        assert_eq!((counts.failures, counts.ignored, counts.slow), (2, 1, 2));
    }

    #[test]
    fn a_report_lagging_its_admission_and_a_call_idle_for_years() {
        let c = slow_config(500);
        let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&c);
        // Reported with a `now` before the admission (another thread's
        // lagging clock): 0 ticks long, not slow.
        assert!(call(&b, 5_000, 10, Outcome::Success).transition.is_none());
        assert_eq!(b.counts().slow, 0);
        // Admitted at 0, reported at the end of time: slow, no overflow.
        let permit = b.acquire(tick(5_000)).unwrap().permit;
        let late = b.record(permit, Outcome::Success, tick(u64::MAX));
        assert_eq!(late.transition.map(|t| t.to), Some(State::Open));
        assert_eq!(b.counts().slow, 1);
    }

    #[test]
    fn a_slow_trial_fails_its_period_only_with_a_slow_rate() {
        for (slow_rate, reopens) in [(500, true), (0, false)] {
            let c = slow_config(slow_rate);
            let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&c);
            b.open_for(span(10), tick(0)).unwrap();
            let first = b.acquire(tick(10)).unwrap();
            assert_eq!(first.transition.map(|t| t.to), Some(State::HalfOpen));
            let second = b.acquire(tick(10)).unwrap().permit;
            let fast = b.record(first.permit, Outcome::Success, tick(20));
            assert!(fast.counted && fast.transition.is_none());
            // The second trial reports 150 ticks after its admission.
            let slow = b.record(second, Outcome::Success, tick(160));
            assert!(slow.counted);
            let to = slow.transition.map(|t| t.to);
            if reopens {
                assert_eq!(to, Some(State::Open), "slow rate {slow_rate}");
                assert_eq!(
                    b.status(tick(161)).tripped_by,
                    Some(TripReason::TrialFailed)
                );
            } else {
                assert_eq!(to, Some(State::Closed), "slow rate {slow_rate}");
            }
            let counts = b.counts();
            assert_eq!((counts.successes, counts.slow), (2, 1));
        }
    }

    #[test]
    fn a_slow_trial_counts_as_a_failure_under_a_half_open_failure_rate() {
        let c = BreakerConfig::new(BreakerSettings {
            half_open_permits: 2,
            success_threshold: 1,
            half_open_failure_rate_per_mille: 600,
            rate_window: 4,
            slow_call: span(100),
            slow_call_rate_per_mille: 1000,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Breaker::windowed(&c);
        b.open_for(span(10), tick(0)).unwrap();
        let first = b.acquire(tick(10)).unwrap().permit;
        let second = b.acquire(tick(10)).unwrap().permit;
        // One slow of two is 50 %: below 60 %, closes.
        assert!(b
            .record(first, Outcome::Success, tick(200))
            .transition
            .is_none());
        let closed = b.record(second, Outcome::Success, tick(200)).transition;
        // Both slow: 100 % reopens.
        assert_eq!(closed.map(|t| t.to), Some(State::Open));
    }

    #[test]
    fn without_a_window_every_slow_call_trips_a_slow_rate() {
        let c = slow_config(900);
        let b: Breaker<&BreakerConfig, NoWindow, Counters> = Breaker::with_storage(&c);
        assert!(call(&b, 0, 100, Outcome::Success).transition.is_none());
        let opened = call(&b, 0, 101, Outcome::Success).transition;
        assert_eq!(opened.map(|t| t.to), Some(State::Open));
        assert_eq!(
            b.status(tick(101)).tripped_by,
            Some(TripReason::SlowCallRate)
        );
    }

    #[test]
    fn an_outcome_of_an_older_generation_registers_no_slow_call() {
        let c = slow_config(500);
        let b = Breaker::windowed(&c);
        let old = b.acquire(tick(0)).unwrap().permit;
        b.reset(); // a new generation (with a window, even from CLOSED)
        let late = b.record(old, Outcome::Success, tick(1_000));
        assert!(!late.counted);
        assert_eq!(b.window_counts(), WindowCounts::default());
    }

    #[test]
    fn the_slow_call_settings_are_checked() {
        let with = |f: &dyn Fn(&mut BreakerSettings)| {
            let mut s = BreakerSettings {
                failure_threshold: 0,
                slow_call: span(100),
                slow_call_rate_per_mille: 500,
                rate_window: 10,
                ..BreakerConfig::DEFAULT_SETTINGS
            };
            f(&mut s);
            BreakerConfig::new(s).map(|_| ())
        };
        // A slow-call rate alone may open the breaker.
        assert_eq!(with(&|_| {}), Ok(()));
        assert_eq!(with(&|s| s.slow_call = span(0)), Err(ConfigError::Latency));
        assert_eq!(with(&|s| s.slow_call = span(MAX_DURATION)), Ok(()));
        let too_long = span(MAX_DURATION + 1);
        assert_eq!(with(&|s| s.slow_call = too_long), Err(ConfigError::Latency));
        assert_eq!(with(&|s| s.slow_call_rate_per_mille = 1000), Ok(()));
        assert_eq!(
            with(&|s| s.slow_call_rate_per_mille = 1001),
            Err(ConfigError::FailureRate)
        );
        assert_eq!(with(&|s| s.rate_window = 0), Err(ConfigError::RateWindow));
        let widest = MAX_SLOW_RATE_WINDOW;
        assert_eq!(with(&|s| s.rate_window = widest), Ok(()));
        assert_eq!(
            with(&|s| s.rate_window = widest + 1),
            Err(ConfigError::RateWindow)
        );
        // A slow-call threshold alone counts slow calls and opens nothing.
        assert_eq!(
            with(&|s| {
                s.slow_call_rate_per_mille = 0;
                s.rate_window = 0;
            }),
            Err(ConfigError::FailureThreshold)
        );
        assert_eq!(
            with(&|s| {
                s.failure_threshold = 1;
                s.slow_call_rate_per_mille = 0;
                s.rate_window = 0;
            }),
            Ok(())
        );
    }
}

/// The time-based window (Resilience4j's TIME_BASED, Polly's sampling
/// duration, gobreaker's `BucketPeriod`): the outcomes of the last
/// `rate_duration` ticks, in 4 buckets.
mod time_window {
    use super::*;
    use crate::ConfigError;

    /// 50 % failing over the last 400 ticks (4 buckets of 100), 4 calls at
    /// least; the consecutive rule off.
    fn timed(minimum_calls: u32) -> BreakerConfig {
        BreakerConfig::new(BreakerSettings {
            failure_threshold: 0,
            failure_rate_per_mille: 500,
            rate_duration: span(400),
            minimum_calls,
            open: span(1_000),
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap()
    }

    fn report(b: &WindowedBreaker<&BreakerConfig>, at: u64, outcome: Outcome) -> Recorded {
        let permit = b.acquire(tick(at)).unwrap().permit;
        b.record(permit, outcome, tick(at))
    }

    #[test]
    fn outcomes_leave_the_window_as_its_buckets_roll() {
        let c = timed(4);
        let b = Breaker::windowed(&c);
        // Two failures in bucket 0 (ticks 0..100), then successes.
        for (at, outcome) in [
            (10, Outcome::Failure),
            (20, Outcome::Failure),
            (150, Outcome::Success),
        ] {
            assert!(report(&b, at, outcome).transition.is_none());
        }
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 3,
                failures: 2,
                slow: 0
            }
        );
        // At 399 bucket 0 is still in (buckets 0..=3): 2 of 4 fail: opens.
        let b2 = Breaker::windowed(&c);
        for (at, outcome) in [
            (10, Outcome::Failure),
            (20, Outcome::Failure),
            (150, Outcome::Success),
        ] {
            assert!(report(&b2, at, outcome).transition.is_none());
        }
        let opened = report(&b2, 399, Outcome::Success).transition;
        assert_eq!(opened.map(|t| t.to), Some(State::Open));
        assert_eq!(
            b2.status(tick(399)).tripped_by,
            Some(TripReason::FailureRate)
        );
        // At 400 bucket 0 has left: 0 of 2 fail.
        assert!(report(&b, 400, Outcome::Success).transition.is_none());
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 2,
                failures: 0,
                slow: 0
            }
        );
        // Calls without reports move the breaker's clock, and the window
        // with it: by tick 800 everything has left.
        let _ = b.acquire(tick(800)).unwrap();
        assert_eq!(b.window_counts(), WindowCounts::default());
    }

    #[test]
    fn a_lagging_report_counts_in_the_newest_bucket_and_never_rewinds() {
        let c = timed(1);
        let b = Breaker::windowed(&c);
        let early = b.acquire(tick(0)).unwrap().permit;
        assert!(report(&b, 500, Outcome::Success).counted);
        // Reported with a `now` of 5 (another thread's lagging clock): it
        // counts at the breaker's clock (bucket 5), not in bucket 0.
        assert!(b.record(early, Outcome::Success, tick(5)).counted);
        assert_eq!(b.window_counts().calls, 2);
        let _ = b.acquire(tick(799)).unwrap();
        assert_eq!(b.window_counts().calls, 2);
        let _ = b.acquire(tick(900)).unwrap();
        assert_eq!(b.window_counts(), WindowCounts::default());
    }

    #[test]
    fn a_slow_call_rate_over_time() {
        let c = BreakerConfig::new(BreakerSettings {
            failure_threshold: 0,
            slow_call: span(50),
            slow_call_rate_per_mille: 1000,
            rate_duration: span(400),
            minimum_calls: 2,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Breaker::windowed(&c);
        let permit = b.acquire(tick(0)).unwrap().permit;
        assert!(b
            .record(permit, Outcome::Success, tick(60))
            .transition
            .is_none());
        assert_eq!(
            b.window_counts(),
            WindowCounts {
                calls: 1,
                failures: 0,
                slow: 1
            }
        );
        let permit = b.acquire(tick(100)).unwrap().permit;
        let opened = b.record(permit, Outcome::Success, tick(200)).transition;
        assert_eq!(opened.map(|t| t.to), Some(State::Open));
        assert_eq!(
            b.status(tick(200)).tripped_by,
            Some(TripReason::SlowCallRate)
        );
    }

    #[test]
    fn thousands_of_calls_in_a_bucket_keep_their_rate() {
        // 30 % failing never opens a 50 % rule; 60 % does, however many
        // outcomes each bucket halves.
        for (every, opens) in [(10u32, false), (5, true)] {
            let c = timed(100);
            let b = Breaker::windowed(&c);
            let mut opened_at = None;
            for i in 0..5_000u32 {
                let at = u64::from(i) / 10; // 1000 calls per bucket
                let failed = i % every < every * 3 / 10 || (opens && i % every < every * 6 / 10);
                let outcome = if failed {
                    Outcome::Failure
                } else {
                    Outcome::Success
                };
                if let Ok(admitted) = b.acquire(tick(at)) {
                    let change = b.record(admitted.permit, outcome, tick(at)).transition;
                    if change.is_some_and(|t| t.to == State::Open) {
                        opened_at.get_or_insert(i);
                    }
                }
                let held = b.window_counts();
                assert!(held.failures <= held.calls && held.calls <= 4 * 127);
            }
            assert_eq!(opened_at.is_some(), opens, "every {every}");
            if let Some(i) = opened_at {
                assert!(i + 1 >= 100, "opened before the minimum: {i}");
            }
        }
    }

    #[test]
    fn idle_for_years_the_window_is_empty_at_every_distance() {
        let c = timed(4);
        // Gaps around multiples of 2^26 and 2^28 buckets, where a bucket
        // number kept in fewer bits would alias.
        let bucket = 100u64;
        for gap in [
            (1u64 << 26) * bucket,
            (1u64 << 28) * bucket,
            ((1u64 << 28) + 1) * bucket,
            (1u64 << 40) * bucket,
            u64::MAX / 2,
        ] {
            let b = Breaker::windowed(&c);
            assert!(report(&b, 1_000, Outcome::Success).counted);
            assert!(report(&b, 1_000, Outcome::Failure).transition.is_none());
            assert_eq!(b.window_counts().calls, 2);
            let at = 1_000u64.saturating_add(gap);
            // The first call after the gap clears (a new generation)...
            let permit = b.acquire(tick(at)).unwrap().permit;
            assert_eq!(b.window_counts(), WindowCounts::default(), "gap {gap}");
            // ... and its success is the only outcome in the window.
            assert!(b
                .record(permit, Outcome::Success, tick(at))
                .transition
                .is_none());
            assert_eq!(
                b.window_counts(),
                WindowCounts {
                    calls: 1,
                    failures: 0,
                    slow: 0
                }
            );
        }
    }

    #[test]
    fn a_snapshot_keeps_the_state_and_its_clearing_and_restarts_the_window() {
        use crate::snapshot::Snapshot;
        let c = timed(4);
        let b = Breaker::windowed(&c);
        for at in [10, 20] {
            assert!(report(&b, at, Outcome::Failure).transition.is_none());
        }
        let saved = b.snapshot(tick(30));
        let rebooted = Breaker::windowed(&c);
        assert_eq!(rebooted.restore(&saved, tick(0)), Ok(()));
        assert_eq!(rebooted.state(tick(0)), State::Closed);
        // The window restarts empty; the next two failures of four open it.
        assert_eq!(rebooted.window_counts(), WindowCounts::default());
        for (at, outcome) in [
            (40, Outcome::Success),
            (41, Outcome::Success),
            (42, Outcome::Failure),
        ] {
            assert!(report(&rebooted, at, outcome).transition.is_none());
        }
        let opened = report(&rebooted, 43, Outcome::Failure).transition;
        assert_eq!(opened.map(|t| t.to), Some(State::Open));
        // An OPEN breaker's snapshot restores OPEN until its deadline.
        let saved = rebooted.snapshot(tick(50));
        let again = Breaker::windowed(&c);
        assert_eq!(again.restore(&saved, tick(50)), Ok(()));
        assert_eq!(again.state(tick(50)), State::Open);
        // Another duration is another configuration.
        let other = BreakerConfig::new(BreakerSettings {
            rate_duration: span(800),
            ..*c.settings()
        })
        .unwrap();
        let refused = Breaker::windowed(&other).restore(&saved, tick(50));
        assert_eq!(refused, Err(crate::snapshot::SnapshotError::Config));
    }

    #[test]
    fn the_time_window_settings_are_checked() {
        let with = |f: &dyn Fn(&mut BreakerSettings)| {
            let mut s = BreakerSettings {
                failure_rate_per_mille: 500,
                rate_duration: span(1_000),
                ..BreakerConfig::DEFAULT_SETTINGS
            };
            f(&mut s);
            BreakerConfig::new(s).map(|_| ())
        };
        assert_eq!(with(&|_| {}), Ok(()));
        assert_eq!(with(&|s| s.rate_window = 10), Err(ConfigError::RateWindow));
        assert_eq!(
            with(&|s| s.failure_rate_per_mille = 0),
            Err(ConfigError::RateDuration)
        );
        assert_eq!(with(&|s| s.rate_duration = span(MAX_DURATION)), Ok(()));
        let too_long = span(MAX_DURATION + 1);
        assert_eq!(
            with(&|s| s.rate_duration = too_long),
            Err(ConfigError::RateDuration)
        );
        assert_eq!(with(&|s| s.minimum_calls = 127), Ok(()));
        assert_eq!(
            with(&|s| s.minimum_calls = 128),
            Err(ConfigError::MinimumCalls)
        );
        // A duration of 1 tick: buckets of 1.
        assert_eq!(with(&|s| s.rate_duration = span(1)), Ok(()));
        // The forced clearing: at least every 2^26 buckets.
        let c = timed(1);
        assert_eq!(c.clearing_interval(), 100 << 26);
        let asked = BreakerConfig::new(BreakerSettings {
            closed_interval: span(5_000),
            ..*c.settings()
        })
        .unwrap();
        assert_eq!(asked.clearing_interval(), 5_000);
    }
}

/// A snapshot of a CLOSED breaker with a closed interval, restored after a
/// reboot (at an earlier tick, so its past ticks clamp to 0): accepted
/// whatever the interval's grid rounding, with its failure run and an
/// interval end no later than the one saved.
#[test]
fn a_closed_interval_survives_a_restore_at_an_earlier_tick() {
    use crate::snapshot::Snapshot;
    for interval in [1_000u64, 4_096, 1 << 20, 100 << 26, MAX_DURATION] {
        let c = BreakerConfig::new(BreakerSettings {
            failure_threshold: 3,
            closed_interval: span(interval),
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        let b = Breaker::new(&c);
        for at in [10, 20] {
            let permit = b.acquire(tick(at)).unwrap().permit;
            assert!(b.record(permit, Outcome::Failure, tick(at)).counted);
        }
        let saved = b.snapshot(tick(30));
        for restore_at in [0u64, 5, 30, 1 << 40] {
            let rebooted = Breaker::new(&c);
            assert_eq!(
                rebooted.restore(&saved, tick(restore_at)),
                Ok(()),
                "{interval} at {restore_at}"
            );
            // The run of two survived: a third failure opens it.
            let permit = rebooted.acquire(tick(restore_at)).unwrap().permit;
            let third = rebooted.record(permit, Outcome::Failure, tick(restore_at));
            assert_eq!(
                third.transition.map(|t| t.to),
                Some(State::Open),
                "{interval}"
            );
        }
    }
}

/// A held word settles (a store may drop it) only CLOSED with no failures,
/// after its latest tick noted, and never beside a window.
#[test]
fn only_a_clean_closed_word_settles() {
    use crate::machine::{run, Machine};
    use core::cell::Cell;
    let c = config(2, 1 << 20, 1, 1, 50);
    let mut word = Cell::new(c.fresh());
    assert_eq!(c.settles_at(word.get()), Some(tick(0)));
    let p = run(&c, Acquire { now: tick(1_000) }, &mut word)
        .unwrap()
        .unwrap()
        .permit;
    // Noted at 1 000: quiet (and settled) from a quantum (2^20 / 2^16) on.
    assert_eq!(c.settles_at(word.get()), Some(tick(1_016)));
    let failed = Record {
        permit: p,
        outcome: Outcome::Failure,
        now: tick(2_000),
        trips: Trips::NONE,
    };
    let _ = run(&c, failed, &mut word).unwrap();
    assert_eq!(c.settles_at(word.get()), None, "a failure in the run");
    let p = run(&c, Acquire { now: tick(3_000) }, &mut word)
        .unwrap()
        .unwrap()
        .permit;
    let succeeded = Record {
        permit: p,
        outcome: Outcome::Success,
        now: tick(3_000),
        trips: Trips::NONE,
    };
    let _ = run(&c, succeeded, &mut word).unwrap();
    assert_eq!(c.settles_at(word.get()), Some(tick(3_016)));
    for command in [ForceOpen.step(&c, word.get()), Disable.step(&c, word.get())] {
        assert_eq!(c.settles_at(command.word().unwrap()), None);
    }
    let opened = config(1, 100, 1, 1, 50);
    let mut word = Cell::new(opened.fresh());
    let p = run(&opened, Acquire { now: tick(0) }, &mut word)
        .unwrap()
        .unwrap()
        .permit;
    let _ = run(
        &opened,
        Record {
            permit: p,
            outcome: Outcome::Failure,
            now: tick(0),
            trips: Trips::NONE,
        },
        &mut word,
    );
    assert_eq!(opened.settles_at(word.get()), None, "OPEN");
    let windowed = BreakerConfig::new(BreakerSettings {
        failure_rate_per_mille: 500,
        rate_window: 10,
        ..*c.settings()
    })
    .unwrap();
    assert_eq!(
        windowed.settles_at(windowed.fresh()),
        None,
        "its counts are in another word"
    );
}
