//! A bucket from fuzzed configuration, hit by callers whose ticks lag by
//! anything up to the whole range. Time is the latest tick of a request the
//! bucket could judge; over every interval of it the bucket must never grant
//! more than capacity + the refill of that interval, and a refusal must name
//! a later tick.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tickguard_ffi::*;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let capacity = u32::from(data[0] % 16) + 1;
    let tokens = u32::from(data[1] % 8) + 1;
    let period = u64::from(data[2] % 64) + 1;
    let config = tg_bucket_config_t {
        capacity,
        tokens,
        period_ticks: period,
        initial_fill: match u32::from(data[3]) % (capacity + 2) {
            0 => TG_BUCKET_EMPTY,
            fill if fill > capacity => TG_BUCKET_FULL,
            fill => fill,
        },
    };
    let mut bucket = tg_bucket_t::new();
    assert_eq!(tg_bucket_init(&mut bucket, &config), TG_OK);
    let mut true_now = 1u64 << 44;
    let mut clock = 0u64;
    let mut grants: Vec<(u64, u64)> = Vec::new();
    for chunk in data[4..].chunks(3).take(400) {
        let [n, lag, advance] = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        true_now += u64::from(advance % 32);
        let lag = match lag % 8 {
            0..=3 => 0,
            4 => u64::from(lag),
            5 => u64::from(lag) * 1_000,
            6 => 1 << 40,
            _ => u64::MAX,
        };
        let now = true_now.saturating_sub(lag);
        let n = u32::from(n % 20);
        if (1..=capacity).contains(&n) {
            clock = clock.max(now);
        }
        let mut retry = 0;
        match tg_bucket_acquire(&mut bucket, n, now, &mut retry) {
            TG_OK => {
                if n > 0 {
                    grants.push((clock, u64::from(n)));
                }
            }
            TG_REFUSED => assert!(retry > now),
            TG_E_EXCEEDS_CAPACITY => assert!(n > capacity),
            other => panic!("status {other}"),
        }
    }
    let initial_bonus = 0; // a partly filled bucket only ever has fewer
    for i in 0..grants.len() {
        let mut total = 0u128;
        for grant in &grants[i..] {
            total += u128::from(grant.1);
            let span = u128::from(grant.0 - grants[i].0);
            let refill = (span * u128::from(tokens)).div_ceil(u128::from(period));
            assert!(
                total <= u128::from(capacity) + refill + initial_bonus,
                "{total} tokens over {span} ticks, capacity {capacity}, {tokens}/{period}"
            );
        }
    }
});
