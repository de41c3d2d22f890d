//! Single-threaded hot paths: tickguard beside a one-CAS floor and the
//! document's mutex/float token bucket.
//!
//! Run: `cargo bench -p tickguard-benches --bench hot_paths`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome};
use tickguard::bucket::{BucketConfig, TokenBucket};
use tickguard_benches::{CasFloor, MutexBucket};

fn breaker(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker");
    let config = BreakerConfig::DEFAULT;

    let closed = Breaker::new(&config);
    let mut now = 0u64;
    group.bench_function("tickguard acquire+record success (CLOSED)", |b| {
        b.iter(|| {
            now = now.wrapping_add(1);
            if let Ok(admitted) = closed.acquire(black_box(now)) {
                black_box(
                    closed
                        .record(admitted.permit, Outcome::Success, now)
                        .counted,
                );
            }
        })
    });

    let open_config = BreakerConfig::new(BreakerSettings {
        open_ticks: 1 << 30,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .expect("valid");
    let open = Breaker::new(&open_config);
    for _ in 0..open_config.settings().failure_threshold {
        let permit = open.acquire(0).expect("closed").permit;
        let _ = open.record(permit, Outcome::Failure, 0);
    }
    group.bench_function("tickguard refusal (OPEN)", |b| {
        b.iter(|| black_box(open.acquire(black_box(1_000)).is_err()))
    });
    let retry_after = Breaker::new(&config);
    retry_after.open_for(1 << 30, 0).expect("valid");
    group.bench_function("tickguard refusal (open_for / Retry-After)", |b| {
        b.iter(|| black_box(retry_after.acquire(black_box(1_000)).is_err()))
    });

    let floor = CasFloor::default();
    group.bench_function("one-CAS floor", |b| {
        b.iter(|| black_box(floor.admit(black_box(7))))
    });
    group.finish();
}

fn bucket(c: &mut Criterion) {
    let mut group = c.benchmark_group("bucket");

    // One token per tick and one request per tick: every request is granted.
    let config = BucketConfig::new(1_000, 1, 1).expect("valid");
    let granting = TokenBucket::new(&config);
    let mut now = 0u64;
    group.bench_function("tickguard grant", |b| {
        b.iter(|| {
            now = now.wrapping_add(1);
            black_box(granting.acquire(1, black_box(now)).is_ok())
        })
    });

    let empty = TokenBucket::new(&config);
    empty.acquire(1_000, 0).expect("full at start");
    group.bench_function("tickguard refusal", |b| {
        b.iter(|| black_box(empty.acquire(1, black_box(0)).is_err()))
    });

    let mutex = MutexBucket::new(1_000.0, 1.0);
    let mut now = 0u64;
    group.bench_function("mutex+f64 bucket grant", |b| {
        b.iter(|| {
            now = now.wrapping_add(1);
            black_box(mutex.acquire(1.0, black_box(now)))
        })
    });
    let drained = MutexBucket::new(1_000.0, 1.0);
    drained.acquire(1_000.0, 0);
    group.bench_function("mutex+f64 bucket refusal", |b| {
        b.iter(|| black_box(drained.acquire(1.0, black_box(0))))
    });

    let floor = CasFloor::default();
    group.bench_function("one-CAS floor", |b| {
        b.iter(|| black_box(floor.admit(black_box(7))))
    });
    group.finish();
}

criterion_group!(benches, breaker, bucket);
criterion_main!(benches);
