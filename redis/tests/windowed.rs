//! A breaker with a failure-rate window over two keys, shared by two
//! stores: the rate trips it once, outcomes of an old generation never
//! count in a new one (also when another store changed the state after
//! this one last saw it), and the window starts afresh after recovery.

mod support;

use support::Server;
use tickguard::breaker::{self, BreakerConfig, BreakerSettings, Outcome, State};
use tickguard::time::Duration;
use tickguard_redis::{Options, RemoteBreaker, Store};

fn config() -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        failure_threshold: 0, // the rate alone opens it
        failure_rate_per_mille: 500,
        rate_window: 4,
        minimum_calls: 4,
        open: Duration::from_ticks(30_000),
        half_open_permits: 1,
        success_threshold: 1,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap()
}

fn call(store: &mut Store, breaker: &mut RemoteBreaker, outcome: Outcome) -> breaker::Recorded {
    let permit = breaker.acquire(store).unwrap().expect("admitted").permit;
    breaker.record(store, permit, outcome).unwrap()
}

fn state(store: &mut Store, breaker: &mut RemoteBreaker) -> State {
    store
        .decide(breaker.state(), |now| breaker::Observe { now })
        .unwrap()
}

#[test]
fn the_failure_rate_over_two_keys_trips_once_and_keeps_generations_apart() {
    let server = Server::start();
    let (mut a, mut b) = (
        Store::connect(&server.url(), Options::default()).unwrap(),
        Store::connect(&server.url(), Options::default()).unwrap(),
    );
    let (mut at_a, mut at_b) = (
        RemoteBreaker::new(config(), "rated"),
        RemoteBreaker::new(config(), "rated"),
    );
    // A permit of this CLOSED generation, reported only after the trip.
    let late = at_a.acquire(&mut a).unwrap().unwrap().permit;
    for (first, outcome) in [
        (true, Outcome::Success),
        (false, Outcome::Failure),
        (true, Outcome::Success),
    ] {
        let recorded = if first {
            call(&mut a, &mut at_a, outcome)
        } else {
            call(&mut b, &mut at_b, outcome)
        };
        assert!(recorded.counted && recorded.transition.is_none());
    }
    // The fourth call: 2 failures in 4, 50 %: open, reported to this caller.
    let recorded = call(&mut b, &mut at_b, Outcome::Failure);
    assert_eq!(
        recorded.transition.map(|t| (t.from, t.to)),
        Some((State::Closed, State::Open))
    );
    assert_eq!(state(&mut a, &mut at_a), State::Open);
    // `a` last saw the CLOSED state: its window count meets the changed
    // state word, reads it, and drops its stale outcome.
    let stale = at_a.record(&mut a, late, Outcome::Failure).unwrap();
    assert!(!stale.counted && stale.transition.is_none());
    // After the open period a trial closes it.
    let until = a.now().unwrap().ticks() + 31_000;
    while a.now().unwrap().ticks() < until {
        std::thread::yield_now();
    }
    let trial = at_a.acquire(&mut a).unwrap().unwrap();
    assert_eq!(trial.transition.map(|t| t.to), Some(State::HalfOpen));
    let closed = at_a.record(&mut a, trial.permit, Outcome::Success).unwrap();
    assert_eq!(closed.transition.map(|t| t.to), Some(State::Closed));
    // The new generation's window starts empty: three failures are fewer
    // than the 4 calls the rate needs.
    for _ in 0..3 {
        assert!(call(&mut b, &mut at_b, Outcome::Failure)
            .transition
            .is_none());
    }
    assert_eq!(
        call(&mut a, &mut at_a, Outcome::Failure)
            .transition
            .map(|t| t.to),
        Some(State::Open)
    );
}

#[test]
fn a_breaker_without_a_window_is_one_key() {
    let server = Server::start();
    let mut store = Store::connect(&server.url(), Options::default()).unwrap();
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 2,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let mut shared = RemoteBreaker::new(config, "plain");
    assert!(call(&mut store, &mut shared, Outcome::Failure)
        .transition
        .is_none());
    assert_eq!(
        call(&mut store, &mut shared, Outcome::Failure)
            .transition
            .map(|t| t.to),
        Some(State::Open)
    );
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("tickguard:*")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(keys, ["tickguard:01:{plain}"]);
}

/// Three consecutive failures, judged by a trip rule over the state word's
/// run of failures.
extern "C" fn three_in_a_row(run: u32, _calls: u32, _failures: u32, _context: usize) -> bool {
    run >= 3
}

#[test]
fn a_count_against_a_state_another_store_moved_reads_the_new_state() {
    let server = Server::start();
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 0,
        trip_rule: Some(tickguard::breaker::TripRule {
            decide: three_in_a_row,
            context: 0,
        }),
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let (mut a, mut b) = (
        Store::connect(&server.url(), Options::default()).unwrap(),
        Store::connect(&server.url(), Options::default()).unwrap(),
    );
    let (mut at_a, mut at_b) = (
        RemoteBreaker::new(config, "rule"),
        RemoteBreaker::new(config, "rule"),
    );
    let permit = at_a.acquire(&mut a).unwrap().unwrap().permit;
    // Meanwhile `b` counts two failures in a row: the state word's run is 2.
    for _ in 0..2 {
        assert!(call(&mut b, &mut at_b, Outcome::Failure)
            .transition
            .is_none());
    }
    // `a`'s window count read a run of 0; the script refuses its
    // compare-and-set (the state moved), it reads the run of 2, and the
    // rule trips on this third failure.
    let recorded = at_a.record(&mut a, permit, Outcome::Failure).unwrap();
    assert_eq!(
        recorded.transition.map(|t| (t.from, t.to)),
        Some((State::Closed, State::Open))
    );
}
