//! Two processes sharing one limit and one breaker through Redis.
//!
//! ```text
//! tickguard-redis-demo URL                 the demo: starts two workers of itself
//! tickguard-redis-demo bucket URL KEY MS THREADS
//!     a worker hammering a shared token bucket (capacity 10, 1 000 per
//!     second) for MS milliseconds; prints `grant NOW COMMIT` per grant
//! tickguard-redis-demo breaker URL KEY MS THREADS FAIL_UNTIL
//!     a worker calling through a shared breaker (3 failures open it for
//!     100 ms; 2 trials, both must succeed) whose backend fails until the
//!     server's tick FAIL_UNTIL; prints `admit COMMIT`, `refuse` and
//!     `transition FROM TO COMMIT`
//! ```
//!
//! Every tick is a microsecond of the server's clock; COMMIT is the
//! server's time in the reply that decided (its place among all hosts'
//! decisions).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration as StdDuration, Instant as StdInstant};
use tickguard::breaker::{self, BreakerConfig, BreakerSettings, Outcome, Transition};
use tickguard::bucket::{self, BucketConfig, BucketSettings};
use tickguard::time::{Duration, Instant};
use tickguard_redis::{Error, LocalShare, Options, RemoteKey, Source, Store};

/// The shared limit: 10 at once, one more per millisecond.
fn bucket_config() -> BucketConfig {
    let settings = BucketSettings {
        capacity: 10,
        tokens: 1,
        period: Duration::from_ticks(1_000),
        initial_fill: None,
    };
    BucketConfig::new(settings).expect("a valid bucket")
}

/// The shared breaker: 3 consecutive failures open it for 100 ms; 2 trials.
fn breaker_config() -> BreakerConfig {
    let settings = BreakerSettings {
        failure_threshold: 3,
        open: Duration::from_ticks(100_000),
        half_open_permits: 2,
        success_threshold: 2,
        half_open_timeout: Duration::from_ticks(1_000_000),
        ..BreakerConfig::DEFAULT_SETTINGS
    };
    BreakerConfig::new(settings).expect("a valid breaker")
}

fn tick(at: Option<Instant>) -> u64 {
    at.map_or(0, Instant::ticks)
}

fn store(url: &str) -> Store {
    Store::connect(url, Options::default()).expect("a Redis URL")
}

/// The outage part's share of the limit for one of two processes cut off
/// from the server: 5 at once, 500 per second.
fn share_config() -> BucketConfig {
    let settings = BucketSettings {
        capacity: 5,
        tokens: 1,
        period: Duration::from_ticks(2_000),
        initial_fill: None,
    };
    BucketConfig::new(settings).expect("a valid bucket")
}

/// Takes tokens from the shared bucket for `run_for`; with `fail_open`,
/// from this process's local share while the server does not answer
/// (tickguard's own breaker around the server retrying after 200 ms).
fn bucket_worker(url: &str, key: &str, run_for: StdDuration, fail_open: bool) -> Vec<String> {
    let mut store = if fail_open {
        let options = Options {
            outage_open: StdDuration::from_millis(200),
            ..Options::default()
        };
        Store::connect(url, options).expect("a Redis URL")
    } else {
        store(url)
    };
    let mut limit = RemoteKey::new(bucket_config(), key).expect("a one-word machine");
    if fail_open {
        limit = limit.fail_open_to(LocalShare::new(share_config()));
    }
    let mut lines = Vec::new();
    let mut errors = Errors::default();
    let start = StdInstant::now();
    let mut slowest = StdDuration::ZERO;
    while start.elapsed() < run_for {
        let mut used = Instant::ZERO;
        let asked = StdInstant::now();
        let decided = store.decide(&mut limit, |now| {
            used = now;
            bucket::Acquire { n: 1, now }
        });
        slowest = slowest.max(asked.elapsed());
        match decided {
            Ok(Ok(())) if store.last_source() == Source::Local => {
                lines.push("local-grant".to_owned())
            }
            Ok(Ok(())) => lines.push(format!(
                "grant {} {}",
                used.ticks(),
                tick(store.last_heard())
            )),
            Ok(Err(_)) => lines.push(format!("refuse {:?}", store.last_source())),
            Err(error) => errors.note(&error),
        }
    }
    errors.print_into(&mut lines);
    lines.push(format!("round-trips {}", store.round_trips()));
    lines.push(format!("slowest {}", slowest.as_millis()));
    lines
}

/// Errors by kind, printed once at the end as `error KIND COUNT` (a
/// worker cut off from the server fails every call for a while).
#[derive(Default)]
struct Errors(std::collections::BTreeMap<&'static str, u64>);

impl Errors {
    fn note(&mut self, error: &Error) {
        let kind = match error {
            Error::Store(_) => "store",
            Error::Unavailable => "unavailable",
            Error::Contended => "contended",
            Error::Foreign => "foreign",
            _ => "other",
        };
        *self.0.entry(kind).or_default() += 1;
    }

    fn print_into(self, lines: &mut Vec<String>) {
        lines.extend(
            self.0
                .into_iter()
                .map(|(kind, count)| format!("error {kind} {count}")),
        );
    }
}

fn transition(lines: &mut Vec<String>, change: Option<Transition>, store: &Store) {
    if let Some(Transition { from, to }) = change {
        lines.push(format!(
            "transition {from:?} {to:?} {}",
            tick(store.last_heard())
        ));
    }
}

fn breaker_worker(url: &str, key: &str, run_for: StdDuration, fail_until: u64) -> Vec<String> {
    let mut store = store(url);
    let mut shared = RemoteKey::new(breaker_config(), key).expect("a one-word machine");
    let mut lines = Vec::new();
    let mut errors = Errors::default();
    let start = StdInstant::now();
    while start.elapsed() < run_for {
        match store.decide(&mut shared, |now| breaker::Acquire { now }) {
            Ok(Ok(admitted)) => {
                lines.push(format!("admit {}", tick(store.last_heard())));
                transition(&mut lines, admitted.transition, &store);
                // The backend: failing until the server's tick FAIL_UNTIL.
                let now = store.now().unwrap_or(Instant::ZERO);
                let outcome = if now.ticks() < fail_until {
                    Outcome::Failure
                } else {
                    Outcome::Success
                };
                let permit = admitted.permit;
                match store.decide(&mut shared, |now| breaker::Record {
                    permit,
                    outcome,
                    now,
                    trips: breaker::Trips::NONE,
                }) {
                    Ok(recorded) => transition(&mut lines, recorded.transition, &store),
                    Err(error) => errors.note(&error),
                }
            }
            Ok(Err(refused)) => {
                lines.push("refuse".to_owned());
                transition(&mut lines, refused.transition, &store);
            }
            Err(error) => errors.note(&error),
        }
    }
    errors.print_into(&mut lines);
    lines
}

/// Runs `work` on `threads` threads and prints every line.
fn threads(count: usize, work: impl Fn() -> Vec<String> + Sync) {
    let lines: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count).map(|_| scope.spawn(&work)).collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a worker thread"))
            .collect()
    });
    let mut out = std::io::stdout().lock();
    for line in lines.iter().flatten() {
        writeln!(out, "{line}").expect("stdout");
    }
}

fn arg<T: std::str::FromStr>(args: &[String], at: usize, what: &str) -> T {
    args.get(at)
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("argument {at}: expected {what}"))
}

/// The demo: two workers of this program share one limit and one breaker.
fn demo(url: &str) -> Result<(), Error> {
    let mut store = store(url);
    // Learn the server's clock, and start from fresh keys.
    let mut limit = RemoteKey::new(bucket_config(), "demo-limit").expect("a one-word machine");
    let mut shared = RemoteKey::new(breaker_config(), "demo-breaker").expect("a one-word machine");
    store.decide(&mut limit, |now| bucket::Available { now })?;
    store.decide(&mut shared, |_| breaker::Reset)?;
    let me = std::env::current_exe().expect("this program");
    for what in ["bucket", "breaker"] {
        let key = format!(
            "demo-{}",
            if what == "bucket" { "limit" } else { "breaker" }
        );
        // The backend fails for the first 150 ms of the breaker's run.
        let extra = (what == "breaker").then(|| tick(store.now()) + 150_000);
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let mut command = Command::new(&me);
                command.args([what, url, &key, "400", "1"]);
                if let Some(until) = extra {
                    command.arg(until.to_string());
                }
                command
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("a worker process")
            })
            .collect();
        let outputs: Vec<String> = workers
            .into_iter()
            .map(|worker| {
                String::from_utf8_lossy(&worker.wait_with_output().expect("a worker").stdout)
                    .into_owned()
            })
            .collect();
        if what == "bucket" {
            println!(
                "token bucket (10 at once, 1 000 per second) shared by two processes for 400 ms:"
            );
            let mut total = 0;
            for (process, out) in outputs.iter().enumerate() {
                let count =
                    |prefix: &str| out.lines().filter(|line| line.starts_with(prefix)).count();
                let round_trips: usize = out
                    .lines()
                    .find_map(|line| line.strip_prefix("round-trips ")?.parse().ok())
                    .unwrap_or(0);
                total += count("grant ");
                println!(
                    "  process {}: {} grants, {} refusals ({} from its cached word, no round trip), {} round trips",
                    process + 1,
                    count("grant "),
                    count("refuse "),
                    count("refuse Cache"),
                    round_trips
                );
            }
            println!("  {total} grants in all: at most 10 + 1 per millisecond of the run");
        } else {
            println!("breaker shared by two processes (backend failing for the first 150 ms):");
            let mut events: Vec<(u64, usize, String)> = Vec::new();
            for (process, out) in outputs.iter().enumerate() {
                for line in out.lines().filter(|l| l.starts_with("transition")) {
                    let parts: Vec<&str> = line.split(' ').collect();
                    if let [_, from, to, at] = parts[..] {
                        events.push((at.parse().unwrap_or(0), process, format!("{from} -> {to}")));
                    }
                }
            }
            events.sort();
            let first = events.first().map_or(0, |event| event.0);
            for (at, process, change) in events {
                println!(
                    "  +{:>4} ms  process {}  {change}",
                    (at - first) / 1_000,
                    process + 1
                );
            }
        }
    }
    outage(url, &me)
}

/// The demo's third part: the server stops answering for 400 ms (`CLIENT
/// PAUSE`) under two processes that fail open to a local share.
fn outage(url: &str, me: &std::path::Path) -> Result<(), Error> {
    let workers: Vec<_> = (0..2)
        .map(|_| {
            Command::new(me)
                .args(["outage", url, "demo-outage", "1200"])
                .stdout(Stdio::piped())
                .spawn()
                .expect("a worker process")
        })
        .collect();
    std::thread::sleep(StdDuration::from_millis(300));
    let mut admin = redis::Client::open(url)
        .and_then(|client| client.get_connection())
        .map_err(Error::Store)?;
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(400)
        .arg("ALL")
        .query(&mut admin)
        .map_err(Error::Store)?;
    println!("the server stops answering for 400 ms under two processes that fail open to a local share (5 at once, 500 per second each):");
    for (process, worker) in workers.into_iter().enumerate() {
        let out = worker.wait_with_output().expect("a worker").stdout;
        let out = String::from_utf8_lossy(&out);
        let count = |prefix: &str| out.lines().filter(|line| line.starts_with(prefix)).count();
        let slowest: u64 = out
            .lines()
            .find_map(|line| line.strip_prefix("slowest ")?.parse().ok())
            .unwrap_or(0);
        println!(
            "  process {}: {} grants by the server, {} by its local share while cut off; the slowest call took {} ms (a 50 ms timeout, then the share)",
            process + 1,
            count("grant "),
            count("local-grant"),
            slowest
        );
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("bucket") => {
            let (url, key): (String, String) = (arg(&args, 2, "a URL"), arg(&args, 3, "a key"));
            let run_for = StdDuration::from_millis(arg(&args, 4, "milliseconds"));
            threads(arg(&args, 5, "threads"), || {
                bucket_worker(&url, &key, run_for, false)
            });
        }
        Some("c-keys") => {
            // The keys c-examples/redis_cell.c wrote, read with the same
            // configurations: the C cell and this crate share one format.
            let url: String = arg(&args, 2, "a URL");
            let mut store = store(&url);
            let limit = BucketConfig::new(BucketSettings {
                capacity: 5,
                tokens: 1,
                period: Duration::from_ticks(100_000),
                initial_fill: None,
            })
            .expect("a valid bucket");
            let breaker = BreakerConfig::new(BreakerSettings {
                failure_threshold: 3,
                open: Duration::from_ticks(2_000_000),
                half_open_permits: 1,
                success_threshold: 1,
                half_open_timeout: Duration::from_ticks(1_000_000),
                ..BreakerConfig::DEFAULT_SETTINGS
            })
            .expect("a valid breaker");
            let mut limit = RemoteKey::new(limit, "c-limit").expect("a one-word machine");
            let mut breaker = RemoteKey::new(breaker, "c-breaker").expect("a one-word machine");
            let tokens = store.decide(&mut limit, |now| bucket::Available { now });
            let state = store.decide(&mut breaker, |now| breaker::Observe { now });
            match (tokens, state) {
                (Ok(tokens), Ok(state)) => println!("Rust reads the C program's keys: the bucket holds {tokens} of 5 tokens, the breaker is {state:?}"),
                (tokens, state) => {
                    eprintln!("tickguard-redis-demo: the C program's keys: {tokens:?} {state:?}");
                    std::process::exit(1);
                }
            }
        }
        Some("outage") => {
            let (url, key): (String, String) = (arg(&args, 2, "a URL"), arg(&args, 3, "a key"));
            let run_for = StdDuration::from_millis(arg(&args, 4, "milliseconds"));
            threads(1, || bucket_worker(&url, &key, run_for, true));
        }
        Some("breaker") => {
            let (url, key): (String, String) = (arg(&args, 2, "a URL"), arg(&args, 3, "a key"));
            let run_for = StdDuration::from_millis(arg(&args, 4, "milliseconds"));
            let fail_until = arg(&args, 6, "a tick");
            threads(arg(&args, 5, "threads"), || {
                breaker_worker(&url, &key, run_for, fail_until)
            });
        }
        Some(url) => {
            if let Err(error) = demo(url) {
                eprintln!("tickguard-redis-demo: {error}");
                std::process::exit(1);
            }
        }
        None => {
            eprintln!("usage: tickguard-redis-demo URL | bucket URL KEY MS THREADS | breaker URL KEY MS THREADS FAIL_UNTIL");
            std::process::exit(2);
        }
    }
}
