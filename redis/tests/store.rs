//! One process against a real server: round trips, cached refusals and
//! their age, the clock, foreign values, expiry, the script's reload,
//! contention, and a server that stops answering.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use support::{acquire, report, take, Server};
use tickguard::breaker::{self, BreakerConfig, BreakerSettings, Outcome, State};
use tickguard::bucket::{self, BucketConfig, BucketSettings};
use tickguard::time::Duration;
use tickguard_redis::{Error, LocalClock, LocalShare, Options, RemoteKey, Source, Store};

fn bucket(capacity: u32, period: u64) -> BucketConfig {
    BucketConfig::new(BucketSettings {
        capacity,
        tokens: 1,
        period: Duration::from_ticks(period),
        initial_fill: None,
    })
    .unwrap()
}

/// A local clock the test moves by hand (microseconds).
#[derive(Clone, Default)]
struct Manual(Arc<AtomicU64>);

impl Manual {
    fn advance(&self, micros: u64) {
        self.0.fetch_add(micros, Ordering::Relaxed);
    }
}

impl LocalClock for Manual {
    fn micros(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn store(server: &Server) -> Store {
    Store::connect(&server.url(), Options::default()).unwrap()
}

#[test]
fn a_grant_is_one_round_trip_from_the_word_last_seen_and_a_conflict_one_more() {
    let server = Server::start();
    let (mut one, mut two) = (store(&server), store(&server));
    let mut at_one = RemoteKey::new(bucket(1_000, 1_000_000_000), "grants").unwrap();
    let mut at_two = RemoteKey::new(bucket(1_000, 1_000_000_000), "grants").unwrap();
    // The first decision loads the script and the word (the clock with it).
    assert_eq!(take(&mut one, &mut at_one, 1).unwrap(), Ok(()));
    assert_eq!(one.round_trips(), 3);
    for grant in 1..=5 {
        assert_eq!(take(&mut one, &mut at_one, 1).unwrap(), Ok(()));
        assert_eq!(
            one.round_trips(),
            3 + grant,
            "one compare-and-set per grant"
        );
    }
    assert_eq!(take(&mut two, &mut at_two, 1).unwrap(), Ok(()));
    // `one`'s word is now stale: its compare-and-set fails, the reply
    // carries `two`'s word, and the second succeeds.
    let before = one.round_trips();
    assert_eq!(take(&mut one, &mut at_one, 1).unwrap(), Ok(()));
    assert_eq!(one.round_trips(), before + 2);
    let left = one
        .decide(&mut at_one, |now| bucket::Available { now })
        .unwrap();
    assert_eq!(left, 992, "8 grants of 1 000 (one more every 1 000 s)");
}

#[test]
fn a_closed_breaker_admits_and_counts_successes_with_one_check_each() {
    let server = Server::start();
    let mut store = store(&server);
    let mut shared = RemoteKey::new(BreakerConfig::DEFAULT, "closed").unwrap();
    let admitted = acquire(&mut store, &mut shared).unwrap().unwrap();
    let permit = admitted.permit;
    let before = store.round_trips();
    let recorded = report(&mut store, &mut shared, permit, Outcome::Success);
    assert!(recorded.counted);
    assert_eq!(store.round_trips(), before + 1);
    let before = store.round_trips();
    assert!(acquire(&mut store, &mut shared).unwrap().is_ok());
    assert!(store.round_trips() <= before + 1);
}

#[test]
fn cached_refusals_cost_no_round_trip_and_expire_with_their_age() {
    let server = Server::start();
    let local = Manual::default();
    let mut store =
        Store::with_clock(&server.url(), Options::default(), Box::new(local.clone())).unwrap();
    let mut limit = RemoteKey::new(bucket(1, 10_000_000), "cached").unwrap();
    assert_eq!(take(&mut store, &mut limit, 1).unwrap(), Ok(()));
    let before = store.round_trips();
    for _ in 0..100 {
        assert!(take(&mut store, &mut limit, 1).unwrap().is_err());
    }
    assert_eq!(store.round_trips(), before, "refusals from the cached word");
    // Another host resets the limit: the cached refusal is stale, by at
    // most the cache's age (100 ms).
    let _: () = redis::cmd("DEL")
        .arg(limit.key())
        .query(&mut server.connection())
        .unwrap();
    local.advance(99_000);
    assert!(take(&mut store, &mut limit, 1).unwrap().is_err());
    assert_eq!(store.round_trips(), before);
    local.advance(2_000);
    // Older than 100 ms: the word is read again, and the reset seen. (The
    // manual clock ran ahead of the server's meanwhile: the server
    // refuses our tick once and hands back its time.)
    assert_eq!(take(&mut store, &mut limit, 1).unwrap(), Ok(()));
    assert!(store.round_trips() > before);
    assert_eq!(store.clock_corrections(), 1);
}

#[test]
fn without_a_cache_age_every_refusal_asks_the_server() {
    let server = Server::start();
    let options = Options {
        cached_refusal_max_age: StdDuration::ZERO,
        ..Options::default()
    };
    let mut store = Store::connect(&server.url(), options).unwrap();
    let mut limit = RemoteKey::new(bucket(1, 10_000_000), "uncached").unwrap();
    take(&mut store, &mut limit, 1).unwrap().unwrap();
    for refusal in 1..=10 {
        let before = store.round_trips();
        assert!(take(&mut store, &mut limit, 1).unwrap().is_err());
        assert_eq!(store.round_trips(), before + 1, "refusal {refusal}");
        assert_eq!(store.last_source(), Source::Server);
    }
}

#[test]
fn a_word_that_settled_is_stepped_from_as_no_key_without_a_conflict() {
    let server = Server::start();
    // Full again 1 ms after a grant; its key expires 10 ms later.
    let options = Options {
        idle_expiry: StdDuration::from_millis(10),
        ..Options::default()
    };
    let mut store = Store::connect(&server.url(), options).unwrap();
    let mut limit = RemoteKey::new(bucket(1, 1_000), "settling").unwrap();
    take(&mut store, &mut limit, 1).unwrap().unwrap();
    let wait_until = store.now().unwrap().ticks() + 40_000;
    while store.now().unwrap().ticks() < wait_until {
        std::thread::yield_now();
    }
    let exists: i64 = redis::cmd("EXISTS")
        .arg(limit.key())
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(exists, 0, "expired");
    let before = store.round_trips();
    take(&mut store, &mut limit, 1).unwrap().unwrap();
    assert_eq!(
        store.round_trips(),
        before + 1,
        "no conflict with the expired key"
    );
}

#[test]
fn an_open_breaker_refuses_from_the_cache_but_half_open_asks_the_server() {
    let server = Server::start();
    let mut store = store(&server);
    let config = BreakerConfig::new(BreakerSettings {
        failure_threshold: 1,
        open: Duration::from_ticks(50_000),
        half_open_permits: 1,
        success_threshold: 1,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let mut shared = RemoteKey::new(config, "open").unwrap();
    let permit = acquire(&mut store, &mut shared).unwrap().unwrap().permit;
    let recorded = report(&mut store, &mut shared, permit, Outcome::Failure);
    assert_eq!(recorded.transition.map(|t| t.to), Some(State::Open));
    let before = store.round_trips();
    assert!(acquire(&mut store, &mut shared).unwrap().is_err());
    assert_eq!(
        store.round_trips(),
        before,
        "an OPEN refusal from the cached word"
    );
    // Wait out the open period on the server's clock (real time here).
    let deadline = store.now().unwrap().ticks() + 50_000;
    while store.now().unwrap().ticks() <= deadline {
        std::thread::yield_now();
    }
    let trial = acquire(&mut store, &mut shared).unwrap().unwrap();
    assert_eq!(trial.transition.map(|t| t.to), Some(State::HalfOpen));
    let before = store.round_trips();
    assert!(acquire(&mut store, &mut shared).unwrap().is_err());
    assert_eq!(
        store.round_trips(),
        before + 1,
        "a HALF_OPEN refusal is checked"
    );
}

#[test]
fn foreign_values_are_refused_and_left_as_they_are() {
    let server = Server::start();
    let mut store = store(&server);
    let mut connection = server.connection();
    let mut shared = RemoteKey::new(BreakerConfig::DEFAULT, "foreign").unwrap();
    let key = shared.key().to_owned();
    let other = BreakerConfig::new(BreakerSettings {
        failure_threshold: 9,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    let mut other_config = RemoteKey::new(other, "foreign").unwrap();
    // A breaker of another configuration writes the key.
    let _ = acquire(&mut store, &mut other_config).unwrap().unwrap();
    store
        .decide(&mut other_config, |_| breaker::ForceOpen)
        .unwrap();
    let written: String = redis::cmd("GET").arg(&key).query(&mut connection).unwrap();
    let bucket_value = {
        let mut limit = RemoteKey::new(bucket(5, 10_000_000), "elsewhere").unwrap();
        take(&mut store, &mut limit, 1).unwrap().unwrap();
        let value: String = redis::cmd("GET")
            .arg(limit.key())
            .query(&mut connection)
            .unwrap();
        value
    };
    let older = written.replacen(env!("CARGO_PKG_VERSION"), "0.0.0", 1);
    for value in [
        written.as_str(),
        bucket_value.as_str(),
        older.as_str(),
        "garbage",
        "tg",
        "\u{fffd}",
    ] {
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg(value)
            .query(&mut connection)
            .unwrap();
        assert!(
            matches!(acquire(&mut store, &mut shared), Err(Error::Foreign)),
            "{value}"
        );
        assert!(
            matches!(
                store.decide(&mut shared, |_| breaker::Reset),
                Err(Error::Foreign)
            ),
            "{value}"
        );
        let kept: String = redis::cmd("GET").arg(&key).query(&mut connection).unwrap();
        assert_eq!(kept, value);
    }
    // Another Redis type under the key.
    let _: () = redis::cmd("DEL").arg(&key).query(&mut connection).unwrap();
    let _: () = redis::cmd("HSET")
        .arg(&key)
        .arg("field")
        .arg("1")
        .query(&mut connection)
        .unwrap();
    assert!(matches!(
        acquire(&mut store, &mut shared),
        Err(Error::Foreign)
    ));
    let kind: String = redis::cmd("TYPE").arg(&key).query(&mut connection).unwrap();
    assert_eq!(kind, "hash");
    // The key's owner removes it: the breaker is fresh again.
    let _: () = redis::cmd("DEL").arg(&key).query(&mut connection).unwrap();
    assert!(acquire(&mut store, &mut shared).unwrap().is_ok());
}

/// Milliseconds until `key` expires (-1: never, -2: no key).
fn ttl(connection: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(connection).unwrap()
}

#[test]
fn keys_expire_when_their_word_settles_back_to_the_fresh_one() {
    let server = Server::start();
    let mut store = store(&server);
    let mut connection = server.connection();
    // 2 tokens, one per 5 ms: empty now, full again in 10 ms, and its key
    // expires the idle expiry (1 s by default) later.
    let mut limit = RemoteKey::new(bucket(2, 5_000), "expiring").unwrap();
    take(&mut store, &mut limit, 2).unwrap().unwrap();
    let left = ttl(&mut connection, limit.key());
    assert!(
        (500..=1_012).contains(&left),
        "expires a second after it is full: {left} ms"
    );
    // A breaker: CLOSED with no failures settles as soon as its latest
    // tick is past; a failure in the run, or any other state, stays.
    let mut shared = RemoteKey::new(BreakerConfig::DEFAULT, "breaker").unwrap();
    let permit = acquire(&mut store, &mut shared).unwrap().unwrap().permit;
    let left = ttl(&mut connection, shared.key());
    assert!((500..=1_002).contains(&left), "{left}");
    let _ = report(&mut store, &mut shared, permit, Outcome::Failure);
    assert_eq!(
        ttl(&mut connection, shared.key()),
        -1,
        "a failure in the run"
    );
    let permit = acquire(&mut store, &mut shared).unwrap().unwrap().permit;
    let _ = report(&mut store, &mut shared, permit, Outcome::Success);
    let left = ttl(&mut connection, shared.key());
    assert!((500..=1_002).contains(&left), "clean again: {left}");
    store.decide(&mut shared, |_| breaker::ForceOpen).unwrap();
    assert_eq!(ttl(&mut connection, shared.key()), -1, "FORCED_OPEN");
}

#[test]
fn a_configuration_with_state_beside_its_word_is_refused() {
    let windowed = BreakerConfig::new(BreakerSettings {
        failure_rate_per_mille: 500,
        rate_window: 20,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap();
    assert!(matches!(
        RemoteKey::new(windowed, "windowed"),
        Err(Error::NotOneWord)
    ));
}

#[test]
fn a_flushed_script_is_loaded_again() {
    let server = Server::start();
    let mut store = store(&server);
    let mut limit = RemoteKey::new(bucket(100, 1_000), "reload").unwrap();
    take(&mut store, &mut limit, 1).unwrap().unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query(&mut server.connection())
        .unwrap();
    let before = store.round_trips();
    take(&mut store, &mut limit, 1).unwrap().unwrap();
    assert_eq!(
        store.round_trips(),
        before + 3,
        "NOSCRIPT, SCRIPT LOAD, EVALSHA"
    );
}

#[test]
fn contention_beyond_the_bound_is_an_error_not_a_decision() {
    let server = Server::start();
    let options = Options {
        max_round_trips: 1,
        ..Options::default()
    };
    let mut one = Store::connect(&server.url(), options).unwrap();
    let mut two = store(&server);
    let mut at_one = RemoteKey::new(bucket(100, 1_000_000_000), "contended").unwrap();
    let mut at_two = RemoteKey::new(bucket(100, 1_000_000_000), "contended").unwrap();
    take(&mut one, &mut at_one, 1).unwrap().unwrap();
    take(&mut two, &mut at_two, 1).unwrap().unwrap();
    assert!(matches!(
        take(&mut one, &mut at_one, 1),
        Err(Error::Contended)
    ));
    // The conflict's reply taught `one` the word: the next call succeeds.
    take(&mut one, &mut at_one, 1).unwrap().unwrap();
    let left = two
        .decide(&mut at_two, |now| bucket::Available { now })
        .unwrap();
    assert_eq!(left, 97, "the refused attempt took nothing");
}

#[test]
fn a_dead_server_fails_closed_then_is_left_alone_until_a_trial_finds_it_back() {
    let mut server = Server::start();
    let local = Manual::default();
    let mut store =
        Store::with_clock(&server.url(), Options::default(), Box::new(local.clone())).unwrap();
    let mut limit = RemoteKey::new(bucket(10, 1_000), "outage").unwrap();
    take(&mut store, &mut limit, 1).unwrap().unwrap();
    server.kill();
    // Three failures in a row (the default), each bounded by the timeout.
    for _ in 0..3 {
        let started = std::time::Instant::now();
        assert!(matches!(
            take(&mut store, &mut limit, 1),
            Err(Error::Store(_))
        ));
        // The timeout is 50 ms; generously, for a loaded machine.
        assert!(started.elapsed() < StdDuration::from_secs(5));
    }
    // Then the store's own breaker is open: no round trip is tried.
    let tried = store.round_trips();
    server.restart();
    for _ in 0..100 {
        assert!(matches!(
            take(&mut store, &mut limit, 1),
            Err(Error::Unavailable)
        ));
    }
    assert_eq!(store.round_trips(), tried);
    // A second later (the default open period, late by at most 2^-16 of
    // it) a trial finds the server back; it lost its data (no
    // persistence): a fresh bucket.
    local.advance(1_000_100);
    assert_eq!(take(&mut store, &mut limit, 10).unwrap(), Ok(()));
    assert_eq!(store.last_source(), Source::Server);
    assert!(take(&mut store, &mut limit, 1).unwrap().is_err());
}

#[test]
fn a_key_that_fails_open_decides_on_its_local_share_and_returns_to_the_server() {
    let mut server = Server::start();
    let local = Manual::default();
    let mut store =
        Store::with_clock(&server.url(), Options::default(), Box::new(local.clone())).unwrap();
    // Shared: 100 at once; this process's share while cut off: 2.
    let share = LocalShare::new(bucket(2, 10_000_000));
    let mut limit = RemoteKey::new(bucket(100, 10_000_000), "open")
        .unwrap()
        .fail_open_to(share.clone());
    take(&mut store, &mut limit, 1).unwrap().unwrap();
    assert_eq!(store.last_source(), Source::Server);
    server.kill();
    let mut granted = 0;
    for _ in 0..50 {
        let decided = take(&mut store, &mut limit, 1).expect("a key that fails open never errs");
        assert_eq!(store.last_source(), Source::Local);
        granted += u32::from(decided.is_ok());
    }
    assert_eq!(granted, 2, "the share, and no more");
    // Another key of the process shares the share.
    let mut other = RemoteKey::new(bucket(100, 10_000_000), "open")
        .unwrap()
        .fail_open_to(share);
    assert!(take(&mut store, &mut other, 1).unwrap().is_err());
    server.restart();
    local.advance(1_000_100);
    assert_eq!(take(&mut store, &mut limit, 1).unwrap(), Ok(()));
    assert_eq!(store.last_source(), Source::Server);
}

#[test]
fn out_of_range_options_are_an_error() {
    for options in [
        Options {
            outage_failures: 0,
            ..Options::default()
        },
        Options {
            outage_open: StdDuration::ZERO,
            ..Options::default()
        },
        Options {
            outage_open: StdDuration::MAX,
            ..Options::default()
        },
    ] {
        assert!(
            matches!(
                Store::connect("redis://127.0.0.1:1/", options),
                Err(Error::Options(_))
            ),
            "{options:?}"
        );
    }
}

#[test]
fn a_server_that_never_answers_is_a_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    // Accepts a connection and never replies, until the test is done.
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let silent = std::thread::spawn(move || {
        let held = listener.accept();
        let _ = wait.recv();
        drop(held);
    });
    let mut store = Store::connect(&url, Options::default()).unwrap();
    let mut limit = RemoteKey::new(bucket(10, 1_000), "silent").unwrap();
    let started = std::time::Instant::now();
    let result = take(&mut store, &mut limit, 1);
    assert!(
        matches!(result, Err(Error::Store(ref error)) if error.is_timeout() || error.is_io_error()),
        "{result:?}"
    );
    // Bounded by the timeout (50 ms); generously, for a loaded machine.
    assert!(started.elapsed() < StdDuration::from_secs(5));
    done.send(()).unwrap();
    silent.join().unwrap();
}
