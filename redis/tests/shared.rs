//! Many processes and threads sharing one limit and one breaker through a
//! real server, and hosts whose clocks are skewed or drift.

mod support;

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use support::Server;
use tickguard::bucket::{self, BucketConfig, BucketSettings};
use tickguard::time::{Duration, Instant};
use tickguard_redis::{LocalClock, Monotonic, Options, RemoteKey, Store};

const DEMO: &str = env!("CARGO_BIN_EXE_tickguard-redis-demo");
/// The demo's shared bucket: 10 at once, one more per 1 000 ticks.
const CAPACITY: u64 = 10;
const PERIOD: u64 = 1_000;

/// Runs `processes` workers of the demo program with `args` (after its
/// mode, URL and key) and returns every line they printed.
fn workers(
    processes: usize,
    mode: &str,
    server: &Server,
    key: &str,
    args: &[String],
) -> Vec<String> {
    let children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(DEMO)
                .args([mode, &server.url(), key])
                .args(args)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("a worker process")
        })
        .collect();
    let mut lines = Vec::new();
    for child in children {
        let output = child.wait_with_output().expect("a worker");
        assert!(output.status.success(), "a worker failed: {output:?}");
        lines.extend(
            String::from_utf8(output.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    lines
}

/// Grants as (the tick decided at, the server's tick when it decided).
/// Checks that over every interval of the server's time no more were
/// granted than the capacity plus the refill over the interval widened
/// by the greatest lag of a decision's tick behind the server's.
fn assert_within_the_shared_bound(mut grants: Vec<(u64, u64)>) {
    assert!(!grants.is_empty());
    let lag = grants
        .iter()
        .map(|&(now, commit)| commit.saturating_sub(now))
        .max()
        .unwrap();
    assert!(
        grants.iter().all(|&(now, commit)| now <= commit),
        "a tick led the server's clock"
    );
    grants.sort_by_key(|&(_, commit)| commit);
    let commits: Vec<u64> = grants.iter().map(|&(_, commit)| commit).collect();
    let n = commits.len();
    for i in (0..n).filter(|&i| i == 0 || commits[i] != commits[i - 1]) {
        for j in (i..n).filter(|&j| j + 1 == n || commits[j + 1] != commits[j]) {
            let granted = (j - i + 1) as u64;
            let bound = CAPACITY + (commits[j] - commits[i] + lag) / PERIOD;
            assert!(
                granted <= bound,
                "{granted} grants in [{}, {}] (lag {lag}): more than {bound}",
                commits[i],
                commits[j]
            );
        }
    }
}

fn grants_of(lines: &[String]) -> Vec<(u64, u64)> {
    lines
        .iter()
        .filter_map(|line| {
            let mut parts = line.strip_prefix("grant ")?.split(' ');
            Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
        })
        .collect()
}

/// Errors the workers counted, by kind (`error KIND COUNT` lines).
fn errors_of(lines: &[String]) -> Vec<(String, u64)> {
    lines
        .iter()
        .filter_map(|line| {
            let mut parts = line.strip_prefix("error ")?.split(' ');
            Some((parts.next()?.to_owned(), parts.next()?.parse().ok()?))
        })
        .collect()
}

/// Under contention a decision may run out of round trips; nothing else
/// fails while the server is up.
fn assert_only_contention(lines: &[String]) {
    for (kind, count) in errors_of(lines) {
        assert_eq!(kind, "contended", "{count} errors of kind {kind}");
    }
}

#[test]
fn four_processes_of_two_threads_share_one_limit() {
    let server = Server::start();
    let lines = workers(4, "bucket", &server, "limit", &["500".into(), "2".into()]);
    assert_only_contention(&lines);
    let grants = grants_of(&lines);
    assert!(
        grants.len() > CAPACITY as usize,
        "only {} grants",
        grants.len()
    );
    assert_within_the_shared_bound(grants);
}

#[test]
fn workers_outlive_a_server_killed_and_restarted_under_them() {
    let mut server = Server::start();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(DEMO)
                .args(["bucket", &server.url(), "outage", "1500", "2"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("a worker process")
        })
        .collect();
    // Let them share the limit, kill the server under them, bring it back.
    let mut probe = Store::connect(&server.url(), Options::default()).unwrap();
    let mut key = RemoteKey::new(tickguard::breaker::BreakerConfig::DEFAULT, "probe").unwrap();
    let _ = probe
        .decide(&mut key, |now| tickguard::breaker::Observe { now })
        .unwrap();
    let wait = |store: &Store, micros: u64| {
        let until = std::time::Instant::now() + std::time::Duration::from_micros(micros);
        while std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        store.now().unwrap().ticks()
    };
    let killed_at = wait(&probe, 400_000);
    server.kill();
    wait(&probe, 300_000);
    server.restart();
    let restarted_at = probe.now().unwrap().ticks();
    let mut lines = Vec::new();
    for child in children {
        let output = child.wait_with_output().expect("a worker");
        assert!(
            output.status.success(),
            "a worker did not survive the outage: {output:?}"
        );
        lines.extend(
            String::from_utf8(output.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    // They failed closed meanwhile, and tickguard's breaker spared the
    // dead server most calls.
    let errors = errors_of(&lines);
    let count = |kind: &str| {
        errors
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    assert!(
        count("store") > 0 && count("unavailable") > count("store"),
        "{errors:?}"
    );
    for (kind, _) in &errors {
        assert!(
            ["store", "unavailable", "contended"].contains(&kind.as_str()),
            "{errors:?}"
        );
    }
    // Before the kill and after the restart (the server lost the word and
    // starts full), each within the shared bound; and they served again.
    let grants = grants_of(&lines);
    // (The two ticks are the probe's estimates, late by up to a reply's
    // trip: 50 ms of margin either side.)
    let down = (killed_at + 50_000)..(restarted_at - 50_000);
    assert!(
        grants.iter().all(|(_, at)| !down.contains(at)),
        "a grant while the server was down"
    );
    let before: Vec<_> = grants
        .iter()
        .copied()
        .filter(|&(_, at)| at < restarted_at)
        .collect();
    let after: Vec<_> = grants
        .iter()
        .copied()
        .filter(|&(_, at)| at >= restarted_at)
        .collect();
    assert!(!after.is_empty(), "no grant after the restart");
    assert_within_the_shared_bound(before);
    assert_within_the_shared_bound(after);
}

#[derive(Debug)]
struct Change {
    from: String,
    to: String,
    at: u64,
}

#[test]
fn four_processes_of_two_threads_share_one_breaker() {
    let server = Server::start();
    // Learn the server's clock: the backend fails for its first 150 ms.
    let mut store = Store::connect(&server.url(), Options::default()).unwrap();
    let mut probe = RemoteKey::new(tickguard::breaker::BreakerConfig::DEFAULT, "probe").unwrap();
    store
        .decide(&mut probe, |now| tickguard::breaker::Observe { now })
        .unwrap();
    let fail_until = store.now().unwrap().ticks() + 150_000;
    let lines = workers(
        4,
        "breaker",
        &server,
        "shared",
        &["700".into(), "2".into(), fail_until.to_string()],
    );
    assert_only_contention(&lines);
    let mut changes: Vec<Change> = lines
        .iter()
        .filter_map(|line| {
            let mut parts = line.strip_prefix("transition ")?.split(' ');
            Some(Change {
                from: parts.next()?.to_owned(),
                to: parts.next()?.to_owned(),
                at: parts.next()?.parse().ok()?,
            })
        })
        .collect();
    changes.sort_by_key(|change| change.at);
    // Each transition reported once, by one caller of one process: in the
    // server's order they chain, from CLOSED back to CLOSED.
    assert!(changes.len() >= 4, "{changes:?}");
    assert_eq!(
        (changes[0].from.as_str(), changes[0].to.as_str()),
        ("Closed", "Open")
    );
    for pair in changes.windows(2) {
        assert_eq!(pair[0].to, pair[1].from, "{changes:?}");
    }
    let last = changes.last().unwrap();
    assert_eq!(
        (last.from.as_str(), last.to.as_str()),
        ("HalfOpen", "Closed"),
        "{changes:?}"
    );
    assert_eq!(
        changes
            .iter()
            .filter(|change| change.from == "Closed")
            .count(),
        1,
        "it trips once"
    );
    // Half-open admits at most its 2 trials across all processes.
    let admits: Vec<u64> = lines
        .iter()
        .filter_map(|line| line.strip_prefix("admit ")?.parse().ok())
        .collect();
    for (start, end) in changes
        .windows(2)
        .filter(|pair| pair[0].to == "HalfOpen")
        .map(|pair| (pair[0].at, pair[1].at))
    {
        let trials = admits
            .iter()
            .filter(|&&at| (start..end).contains(&at))
            .count();
        assert!(
            (1..=2).contains(&trials),
            "{trials} trials in [{start}, {end})"
        );
    }
}

/// This host's monotonic clock, `skew` microseconds ahead (or behind), running
/// `per_mille` thousandths fast.
struct Skewed {
    clock: Monotonic,
    skew: i64,
    per_mille: u64,
}

impl LocalClock for Skewed {
    fn micros(&self) -> u64 {
        let local = self.clock.micros();
        let fast = local + local * self.per_mille / 1_000;
        fast.saturating_add_signed(self.skew)
    }
}

#[test]
fn hosts_a_second_ahead_behind_or_drifting_gain_nothing() {
    let server = Server::start();
    let config = BucketConfig::new(BucketSettings {
        capacity: CAPACITY as u32,
        tokens: 1,
        period: Duration::from_ticks(PERIOD),
        initial_fill: None,
    })
    .unwrap();
    let corrections = Arc::new(AtomicU64::new(0));
    let hosts = [(1_000_000, 0), (-1_000_000, 0), (0, 0), (0, 20)];
    let grants: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = hosts
            .iter()
            .map(|&(skew, per_mille)| {
                let (url, corrections) = (server.url(), corrections.clone());
                scope.spawn(move || {
                    let clock = Skewed {
                        clock: Monotonic::new(),
                        skew: skew + 5_000_000,
                        per_mille,
                    };
                    let mut store =
                        Store::with_clock(&url, Options::default(), Box::new(clock)).unwrap();
                    let mut limit = RemoteKey::new(config, "skewed").unwrap();
                    let mut grants = Vec::new();
                    let started = std::time::Instant::now();
                    while started.elapsed() < std::time::Duration::from_millis(400) {
                        let mut used = Instant::ZERO;
                        let decided = store.decide(&mut limit, |now| {
                            used = now;
                            bucket::Acquire { n: 1, now }
                        });
                        if let Ok(Ok(())) = decided {
                            grants.push((used.ticks(), store.last_heard().unwrap().ticks()));
                        }
                    }
                    corrections.fetch_add(store.clock_corrections(), Ordering::Relaxed);
                    grants
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    });
    assert!(
        corrections.load(Ordering::Relaxed) > 0,
        "the drifting host was corrected"
    );
    assert_within_the_shared_bound(grants);
}
