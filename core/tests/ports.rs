//! Scenarios of other breakers' test suites, replayed on tickguard's:
//! gobreaker's default and custom breakers (consecutive failures, the
//! ratio `ReadyToTrip`, `Interval`, `MaxRequests`) and Resilience4j's state
//! machine (count-based failure rate, slow-call rate, half-open permits).
//! The scenarios and their expected transitions are theirs; the code and
//! the ticks (1 tick = 1 ms) are ours. Where tickguard differs on purpose,
//! the test says so.

mod common;

use common::{span, tick};
use tickguard::breaker::{
    Breaker, BreakerConfig, BreakerSettings, CountingBreaker, Outcome, State, TripReason, TripRule,
};

const SECOND: u64 = 1_000;

/// A call admitted at `start` and reported with `outcome` at `end`; the
/// state it leaves at `end`.
fn call(b: &CountingBreaker<&BreakerConfig>, start: u64, end: u64, outcome: Outcome) -> State {
    let permit = b.acquire(tick(start)).expect("admitted").permit;
    let _ = b.record(permit, outcome, tick(end));
    b.state(tick(end))
}

/// gobreaker's default breaker: `ConsecutiveFailures > 5` trips, one trial
/// (`MaxRequests` 1), a 60 s timeout, counts never cleared.
#[test]
fn gobreaker_default_breaker() {
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 6,
        open: span(60 * SECOND),
        half_open_permits: 1,
        success_threshold: 1,
        half_open_timeout: span(60 * SECOND),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&config);
    let mut now = 0;
    for _ in 0..5 {
        assert_eq!(call(&b, now, now, Outcome::Failure), State::Closed);
    }
    // A success ends the run; one more failure starts another.
    assert_eq!(call(&b, now, now, Outcome::Success), State::Closed);
    assert_eq!(call(&b, now, now, Outcome::Failure), State::Closed);
    for i in 0..5 {
        let state = call(&b, now, now, Outcome::Failure);
        assert_eq!(state, if i < 4 { State::Closed } else { State::Open });
    }
    // Open: calls refused; still open a second before the timeout.
    assert!(b.acquire(tick(now)).is_err());
    now += 59 * SECOND;
    assert_eq!(b.state(tick(now)), State::Open);
    now += SECOND;
    assert_eq!(b.state(tick(now)), State::HalfOpen);
    // A failed trial reopens; 60 s later a successful one closes.
    assert_eq!(call(&b, now, now, Outcome::Failure), State::Open);
    now += 60 * SECOND;
    assert_eq!(b.state(tick(now)), State::HalfOpen);
    assert_eq!(call(&b, now, now, Outcome::Success), State::Closed);
    let counts = b.counts();
    assert_eq!((counts.requests, counts.refused), (14, 1));
    assert_eq!((counts.successes, counts.failures), (2, 12));
}

/// gobreaker's example rule: at least 3 calls, 60 % of them failing.
extern "C" fn ratio(_run: u32, calls: u32, failures: u32, _: usize) -> bool {
    calls >= 3 && failures * 10 >= calls * 6
}

/// gobreaker's custom breaker: the ratio rule, `Interval` 30 s, `Timeout`
/// 90 s, `MaxRequests` 3 (3 successful trials close it; a 4th concurrent
/// trial is refused).
#[test]
fn gobreaker_custom_breaker() {
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 0,
        // A window big enough to hold every call of an interval, with a
        // rate rule of its own that never trips first (all 64 failing).
        failure_rate_per_mille: 1000,
        rate_window: 64,
        open: span(90 * SECOND),
        half_open_permits: 3,
        success_threshold: 3,
        half_open_timeout: span(90 * SECOND),
        closed_interval: span(30 * SECOND),
        trip_rule: Some(TripRule {
            decide: ratio,
            context: 0,
        }),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&config);
    let mut now = 0;
    for _ in 0..5 {
        assert_eq!(call(&b, now, now, Outcome::Success), State::Closed);
        assert_eq!(call(&b, now, now, Outcome::Failure), State::Closed);
    }
    let window = b.window_counts();
    assert_eq!((window.calls, window.failures), (10, 5));
    now += 29 * SECOND;
    assert_eq!(call(&b, now, now, Outcome::Success), State::Closed);
    assert_eq!(b.window_counts().calls, 11);
    // Over the interval: the counts clear before this failure counts.
    // (The clearing lies on a grid of interval / 2^11, so the interval
    // ends up to 14 ms late: a call just past the grid point.)
    now += SECOND + 15;
    assert_eq!(call(&b, now, now, Outcome::Failure), State::Closed);
    let window = b.window_counts();
    assert_eq!((window.calls, window.failures), (1, 1));
    // Succeed, fail: 2 failures of 3 (≥ 60 %) open it.
    assert_eq!(call(&b, now, now, Outcome::Success), State::Closed);
    assert_eq!(call(&b, now, now, Outcome::Failure), State::Open);
    assert_eq!(b.status(tick(now)).tripped_by, Some(TripReason::CustomRule));
    now += 90 * SECOND;
    assert_eq!(b.state(tick(now)), State::HalfOpen);
    assert_eq!(call(&b, now, now, Outcome::Success), State::HalfOpen);
    assert_eq!(call(&b, now, now, Outcome::Success), State::HalfOpen);
    // The third trial in flight; a fourth is refused (MaxRequests).
    let third = b.acquire(tick(now)).expect("third trial").permit;
    assert!(b.acquire(tick(now)).is_err());
    let closed = b.record(third, Outcome::Success, tick(now + 100));
    assert_eq!(closed.transition.map(|t| t.to), Some(State::Closed));
}

/// Resilience4j's configuration in its state machine test: a window of
/// the last 5 calls (5 at least), 50 % failing or 50 % slower than 4 s,
/// 4 trials, 5 s open.
fn resilience4j_config() -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        failure_threshold: 0,
        failure_rate_per_mille: 500,
        rate_window: 5,
        minimum_calls: 5,
        slow_call: span(4 * SECOND),
        slow_call_rate_per_mille: 500,
        open: span(5 * SECOND),
        half_open_permits: 4,
        success_threshold: 4,
        half_open_failure_rate_per_mille: 500,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap()
}

/// Resilience4j: three failures and two successes fill the window at 60 %
/// failing: open.
#[test]
fn resilience4j_opens_after_the_failure_rate_is_exceeded() {
    let config = resilience4j_config();
    let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&config);
    for outcome in [
        Outcome::Failure,
        Outcome::Failure,
        Outcome::Failure,
        Outcome::Success,
    ] {
        assert_eq!(call(&b, 0, 0, outcome), State::Closed);
    }
    assert_eq!(call(&b, 0, 0, Outcome::Success), State::Open);
    assert_eq!(b.status(tick(0)).tripped_by, Some(TripReason::FailureRate));
    assert!(b.acquire(tick(1)).is_err());
    assert_eq!(b.counts().refused, 1);
}

/// Resilience4j: slow failure, slow success, fast failure, fast success,
/// slow success: 3 of 5 slow (60 %), 2 of 5 failing (40 %): open on the
/// slow-call rate.
#[test]
fn resilience4j_opens_after_the_slow_call_rate_is_exceeded() {
    let config = resilience4j_config();
    let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&config);
    let slow = 5 * SECOND;
    let fast = 100;
    let mut now = 0;
    for (took, outcome) in [
        (slow, Outcome::Failure),
        (slow, Outcome::Success),
        (fast, Outcome::Failure),
        (fast, Outcome::Success),
    ] {
        assert_eq!(call(&b, now, now + took, outcome), State::Closed);
        now += took;
    }
    assert_eq!(call(&b, now, now + slow, Outcome::Success), State::Open);
    now += slow;
    assert_eq!(
        b.status(tick(now)).tripped_by,
        Some(TripReason::SlowCallRate)
    );
    let counts = b.counts();
    assert_eq!((counts.slow, counts.failures, counts.successes), (3, 2, 3));
}

/// Resilience4j: four trial permits, a fifth refused; a permit handed back
/// (its `releasePermission`, tickguard's IGNORED) admits another.
#[test]
fn resilience4j_permits_four_trials_and_a_released_one_again() {
    let config = resilience4j_config();
    let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&config);
    let _ = b.open_for(span(5 * SECOND), tick(0)).unwrap();
    assert!(b.acquire(tick(3 * SECOND)).is_err()); // still open
    let now = 5 * SECOND;
    let trials: Vec<_> = (0..4)
        .map(|_| b.acquire(tick(now)).expect("trial").permit)
        .collect();
    assert_eq!(b.state(tick(now)), State::HalfOpen);
    assert!(b.acquire(tick(now)).is_err());
    assert!(b.acquire(tick(now)).is_err());
    assert!(!b.record(trials[0], Outcome::Ignored, tick(now)).counted);
    let again = b
        .acquire(tick(now))
        .expect("a released permit admits another");
    // Two of four trials failing (50 %) reopen it.
    for (permit, outcome) in [
        (trials[1], Outcome::Success),
        (trials[2], Outcome::Failure),
        (trials[3], Outcome::Success),
    ] {
        assert!(b.record(permit, outcome, tick(now)).transition.is_none());
    }
    let last = b.record(again.permit, Outcome::Failure, tick(now));
    assert_eq!(last.transition.map(|t| t.to), Some(State::Open));
    assert_eq!(
        b.status(tick(now)).tripped_by,
        Some(TripReason::TrialFailed)
    );
}

/// Resilience4j: three of four trials succeeding (25 % failing, below
/// 50 %) close it, and the window starts empty.
#[test]
fn resilience4j_closes_when_the_trials_fail_below_the_threshold() {
    let config = resilience4j_config();
    let b: CountingBreaker<&BreakerConfig> = Breaker::with_storage(&config);
    let _ = b.open_for(span(5 * SECOND), tick(0)).unwrap();
    let now = 5 * SECOND;
    let outcomes = [
        Outcome::Success,
        Outcome::Failure,
        Outcome::Success,
        Outcome::Success,
    ];
    let trials: Vec<_> = outcomes
        .iter()
        .map(|_| b.acquire(tick(now)).expect("trial").permit)
        .collect();
    let mut last = None;
    for (permit, outcome) in trials.into_iter().zip(outcomes) {
        last = b.record(permit, outcome, tick(now + 10)).transition;
    }
    assert_eq!(last.map(|t| t.to), Some(State::Closed));
    assert_eq!(b.window_counts(), Default::default());
}
