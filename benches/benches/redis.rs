//! tickguard-redis beside the usual server-side Lua GCRA script (the
//! common approach: the whole decision in a script, one round trip each),
//! both through the same client (`redis` 0.32, sync) against the same local
//! server: grants and refusals at 1 client, on one key and on 1 000 keys,
//! and grants at 8 clients (threads, one connection each).
//!
//! Needs a server on loopback at `TICKGUARD_REDIS_PORT` (`.ci/with-redis`
//! starts one; `benches/report.sh` does). With
//! `TICKGUARD_BENCH_ROUND_TRIPS=<file>` it writes there the round trips
//! per decision each tickguard row made (JSON).
//!
//! Run: `.ci/with-redis cargo bench -p tickguard-benches --bench redis`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tickguard::bucket::{self, BucketConfig, BucketSettings};
use tickguard::time::Duration as Ticks;
use tickguard_redis::{Options, RemoteKey, Store};

/// The common Lua GCRA: the theoretical arrival time under the key, the
/// server's clock, one round trip per decision (grant or refusal).
const LUA_GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local burst = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - burst * interval > now then
  return {0, new_tat - burst * interval - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, 0}
";

/// Clients of the multi-client rows.
const CLIENTS: usize = 8;
/// Keys of the many-key rows.
const KEYS: usize = 1_000;

fn url() -> Option<String> {
    let port = std::env::var("TICKGUARD_REDIS_PORT").ok()?;
    Some(format!("redis://127.0.0.1:{port}/"))
}

fn connection(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|client| client.get_connection())
        .expect("the benchmark server")
}

/// A bucket (microsecond ticks) that grants every call: a burst of a
/// billion, a token per microsecond.
fn plenty() -> BucketConfig {
    bucket_of(1_000_000_000, 1)
}

fn bucket_of(capacity: u32, period: u64) -> BucketConfig {
    BucketConfig::new(BucketSettings {
        capacity,
        tokens: 1,
        period: Ticks::from_ticks(period),
        initial_fill: None,
    })
    .expect("a valid bucket")
}

/// The Lua script's arguments for the same quota.
const PLENTY: [u64; 2] = [1_000_000_000, 1];
const EMPTY: [u64; 2] = [1, 1_000_000_000_000];

struct Lua {
    connection: redis::Connection,
    digest: String,
}

impl Lua {
    fn new(url: &str) -> Self {
        let mut connection = connection(url);
        let digest = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(LUA_GCRA)
            .query(&mut connection)
            .expect("SCRIPT LOAD");
        Self { connection, digest }
    }

    fn decide(&mut self, key: &str, quota: [u64; 2]) -> bool {
        let (granted, _): (i64, i64) = redis::cmd("EVALSHA")
            .arg(&self.digest)
            .arg(1)
            .arg(key)
            .arg(quota[0])
            .arg(quota[1])
            .query(&mut self.connection)
            .expect("EVALSHA");
        granted == 1
    }
}

/// Round trips per decision of each tickguard row, for the report.
static ROUND_TRIPS: Mutex<BTreeMap<String, f64>> = Mutex::new(BTreeMap::new());

fn note_round_trips(row: &str, round_trips: u64, decisions: u64) {
    if decisions > 0 {
        let mut noted = ROUND_TRIPS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        noted.insert(row.to_owned(), round_trips as f64 / decisions as f64);
    }
}

fn tickguard_grants(
    store: &mut Store,
    keys: &mut [RemoteKey<BucketConfig>],
    iters: u64,
) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        let key = &mut keys[(i as usize) % keys.len()];
        let decided = store.decide(key, |now| bucket::Acquire { n: 1, now });
        black_box(decided.expect("the server answers").is_ok());
    }
    start.elapsed()
}

fn lua_grants(lua: &mut Lua, keys: &[String], iters: u64) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        black_box(lua.decide(&keys[(i as usize) % keys.len()], PLENTY));
    }
    start.elapsed()
}

fn names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i}")).collect()
}

fn remote_keys(config: BucketConfig, names: &[String]) -> Vec<RemoteKey<BucketConfig>> {
    names
        .iter()
        .map(|name| RemoteKey::new(config, name).expect("one word"))
        .collect()
}

fn one_client(c: &mut Criterion, url: &str) {
    let mut group = c.benchmark_group("redis");
    group.measurement_time(Duration::from_secs(3));
    for (keys, label) in [(1, "one key"), (KEYS, "1 000 keys")] {
        let mut store = Store::connect(url, Options::default()).expect("a URL");
        let names = names(&format!("bench-tg-{keys}-"), keys);
        let mut remote = remote_keys(plenty(), &names);
        let (mut trips, mut decisions) = (0, 0);
        group.bench_function(format!("grant, 1 client, {label}/tickguard"), |b| {
            b.iter_custom(|iters| {
                let before = store.round_trips();
                let took = tickguard_grants(&mut store, &mut remote, iters);
                trips += store.round_trips() - before;
                decisions += iters;
                took
            })
        });
        note_round_trips(&format!("grant, 1 client, {label}"), trips, decisions);
        let mut lua = Lua::new(url);
        let names = self::names(&format!("bench-lua-{keys}-"), keys);
        group.bench_function(format!("grant, 1 client, {label}/lua gcra"), |b| {
            b.iter_custom(|iters| lua_grants(&mut lua, &names, iters))
        });
    }
    // Refusals: an empty bucket that refills once in 11 days.
    let mut store = Store::connect(url, Options::default()).expect("a URL");
    let mut empty = RemoteKey::new(bucket_of(1, EMPTY[1]), "bench-tg-empty").expect("one word");
    let _ = store.decide(&mut empty, |now| bucket::Acquire { n: 1, now });
    group.bench_function("refusal, 1 client/tickguard (cached)", |b| {
        b.iter(|| {
            black_box(
                store
                    .decide(&mut empty, |now| bucket::Acquire { n: 1, now })
                    .expect("decided")
                    .is_err(),
            )
        })
    });
    let uncached = Options {
        cached_refusal_max_age: Duration::ZERO,
        ..Options::default()
    };
    let mut store = Store::connect(url, uncached).expect("a URL");
    let (mut trips, mut decisions) = (0, 0);
    group.bench_function("refusal, 1 client/tickguard (no cache)", |b| {
        b.iter_custom(|iters| {
            let before = store.round_trips();
            let start = Instant::now();
            for _ in 0..iters {
                black_box(
                    store
                        .decide(&mut empty, |now| bucket::Acquire { n: 1, now })
                        .expect("decided")
                        .is_err(),
                );
            }
            trips += store.round_trips() - before;
            decisions += iters;
            start.elapsed()
        })
    });
    note_round_trips("refusal, 1 client, no cache", trips, decisions);
    let mut lua = Lua::new(url);
    let _ = lua.decide("bench-lua-empty", EMPTY);
    group.bench_function("refusal, 1 client/lua gcra", |b| {
        b.iter(|| black_box(lua.decide("bench-lua-empty", EMPTY)))
    });
    group.finish();
}

/// `CLIENTS` threads, each with its own connection, sharing the work of
/// `iters` decisions: the time per decision of the whole (throughput's
/// inverse).
fn clients<S: Send>(
    iters: u64,
    setup: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, u64) + Sync,
) -> Duration {
    let per_client = iters.div_ceil(CLIENTS as u64);
    let mut states: Vec<S> = (0..CLIENTS).map(|_| setup()).collect();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for state in &mut states {
            let work = &work;
            scope.spawn(move || work(state, per_client));
        }
    });
    start.elapsed()
}

fn eight_clients(c: &mut Criterion, url: &str) {
    let mut group = c.benchmark_group("redis");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(20);
    for (keys, label) in [(1, "one key"), (KEYS, "1 000 keys")] {
        let names = names(&format!("bench-tg8-{keys}-"), keys);
        let counted = Mutex::new((0u64, 0u64, 0u64));
        group.bench_function(format!("grant, 8 clients, {label}/tickguard"), |b| {
            b.iter_custom(|iters| {
                clients(
                    iters,
                    || {
                        (
                            Store::connect(url, Options::default()).expect("a URL"),
                            remote_keys(plenty(), &names),
                        )
                    },
                    |(store, keys), n| {
                        let (mut contended, count) = (0, keys.len());
                        for i in 0..n {
                            let key = &mut keys[(i as usize) % count];
                            match store.decide(key, |now| bucket::Acquire { n: 1, now }) {
                                Ok(decided) => {
                                    black_box(decided.is_ok());
                                }
                                Err(_) => contended += 1,
                            }
                        }
                        let mut counted = counted
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        counted.0 += store.round_trips();
                        counted.1 += n;
                        counted.2 += contended;
                    },
                )
            })
        });
        let (trips, decisions, contended) = *counted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        note_round_trips(&format!("grant, 8 clients, {label}"), trips, decisions);
        note_round_trips(
            &format!("grant, 8 clients, {label}, contended"),
            contended,
            decisions,
        );
        let names = self::names(&format!("bench-lua8-{keys}-"), keys);
        group.bench_function(format!("grant, 8 clients, {label}/lua gcra"), |b| {
            b.iter_custom(|iters| {
                clients(
                    iters,
                    || Lua::new(url),
                    |lua, n| {
                        lua_grants(lua, &names, n);
                    },
                )
            })
        });
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    let Some(url) = url() else {
        eprintln!("redis bench: TICKGUARD_REDIS_PORT is not set; run it under .ci/with-redis");
        return;
    };
    one_client(c, &url);
    eight_clients(c, &url);
    if let Ok(path) = std::env::var("TICKGUARD_BENCH_ROUND_TRIPS") {
        let noted = ROUND_TRIPS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let json: Vec<String> = noted
            .iter()
            .map(|(row, value)| format!("  \"{row}\": {value:.4}"))
            .collect();
        std::fs::write(&path, format!("{{\n{}\n}}\n", json.join(",\n")))
            .expect("the round-trips file");
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
