//! Restoring arbitrary bytes, through the C ABI, into every object type
//! that takes snapshots: never a crash, a status of the snapshot family
//! (or TG_OK), a fresh object after a refusal, and for what is accepted, a
//! snapshot that restores to the same bytes again (the state is one the
//! object can hold). The first 8 bytes choose the tick; a flag byte may seal
//! the input with a valid header and checksum, so that the state fields
//! themselves are fuzzed, not only the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tickguard_ffi::*;

const BREAKER: tg_breaker_config_t = tg_breaker_config_t {
    failure_threshold: 3,
    open_ticks: 100,
    half_open_permits: 4,
    success_threshold: 2,
    half_open_timeout_ticks: 70_000,
    failure_rate_per_mille: 500,
    rate_window: 8,
    minimum_calls: 4,
    closed_interval_ticks: 500,
    open_multiplier_milli: 2_000,
    open_jitter_per_mille: 100,
    max_open_ticks: 10_000,
    jitter_seed: 42,
    external_trip_rule: 0,
    half_open_failure_rate_per_mille: 500,
    slow_call_ticks: 0,
    slow_call_rate_per_mille: 0,
    rate_duration_ticks: 0,
};
const BUCKET: tg_bucket_config_t = tg_bucket_config_t {
    capacity: 9,
    tokens: 7,
    period_ticks: 3,
    initial_fill: 4,
};
const BUDGET: tg_retry_budget_config_t = tg_retry_budget_config_t {
    max_tokens: 5,
    token_ratio_milli: 300,
};

/// CRC-32 (IEEE), as the format's checksum.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// `input` with the header of `header` and a valid checksum, if it has the
/// right length.
fn sealed(input: &[u8], header: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    if bytes.len() == header.len() {
        bytes[..8].copy_from_slice(&header[..8]);
        let body = bytes.len() - 4;
        let sum = crc32(&bytes[..body]);
        bytes[body..].copy_from_slice(&sum.to_le_bytes());
    }
    bytes
}

fn is_snapshot_status(status: tg_status_t) -> bool {
    status == TG_OK || (TG_E_SNAPSHOT_CONFIG..=TG_E_SNAPSHOT_TRUNCATED).contains(&status)
}

/// Restores, checks the status, and for an accepted input a second round
/// trip through `save`/`restore` gives the same snapshot.
fn check<T>(
    object: &mut T,
    copy: &mut T,
    input: &[u8],
    now: u64,
    size: usize,
    restore: extern "C" fn(*mut T, *const u8, usize, u64) -> tg_status_t,
    save: extern "C" fn(*const T, u64, *mut u8, usize) -> tg_status_t,
) {
    let status = restore(object, input.as_ptr(), input.len(), now);
    assert!(is_snapshot_status(status), "{status}");
    let mut first = vec![0u8; size];
    assert_eq!(save(object, now, first.as_mut_ptr(), size), TG_OK);
    assert_eq!(restore(copy, first.as_ptr(), size, now), TG_OK);
    let mut second = vec![0u8; size];
    assert_eq!(save(copy, now, second.as_mut_ptr(), size), TG_OK);
    assert_eq!(first, second);
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let now = u64::from_le_bytes(data[..8].try_into().unwrap()) >> (data[8] % 64);
    let seal = data[8] & 0x40 != 0;
    let input = &data[9..];

    // One object type: fresh pair, a header to seal with, the checks.
    macro_rules! case {
        ($ty:ident, $size:expr, $init:expr, $restore:ident, $snapshot:ident) => {{
            let (mut object, mut copy) = ($ty::new(), $ty::new());
            let init = $init;
            assert_eq!(init(&mut object), TG_OK);
            assert_eq!(init(&mut copy), TG_OK);
            let mut header = [0u8; $size];
            assert_eq!(
                $snapshot(&object, 0, header.as_mut_ptr(), header.len()),
                TG_OK
            );
            let bytes = if seal {
                sealed(input, &header)
            } else {
                input.to_vec()
            };
            check(
                &mut object,
                &mut copy,
                &bytes,
                now,
                $size,
                $restore,
                $snapshot,
            );
        }};
    }
    case!(
        tg_breaker_t,
        TG_BREAKER_SNAPSHOT_SIZE,
        |b: &mut tg_breaker_t| tg_breaker_init(b, &BREAKER),
        tg_breaker_restore,
        tg_breaker_snapshot
    );
    case!(
        tg_bucket_t,
        TG_BUCKET_SNAPSHOT_SIZE,
        |b: &mut tg_bucket_t| tg_bucket_init(b, &BUCKET),
        tg_bucket_restore,
        tg_bucket_snapshot
    );
    case!(
        tg_retry_budget_t,
        TG_RETRY_BUDGET_SNAPSHOT_SIZE,
        |b: &mut tg_retry_budget_t| tg_retry_budget_init(b, &BUDGET),
        tg_retry_budget_restore,
        tg_retry_budget_snapshot
    );
    case!(
        tg_degradation_t,
        TG_DEGRADATION_SNAPSHOT_SIZE,
        |d: &mut tg_degradation_t| tg_degradation_init(d, TG_INIT_DEFAULT),
        tg_degradation_restore,
        tg_degradation_snapshot
    );
    case!(
        tg_fixed_window_t,
        TG_FIXED_WINDOW_SNAPSHOT_SIZE,
        |w: &mut tg_fixed_window_t| tg_fixed_window_init(
            w,
            &tg_fixed_window_config_t {
                burst: 3,
                interval_ticks: 1_000,
            }
        ),
        tg_fixed_window_restore,
        tg_fixed_window_snapshot
    );
    case!(
        tg_shaper_t,
        TG_SHAPER_SNAPSHOT_SIZE,
        |s: &mut tg_shaper_t| tg_shaper_init(
            s,
            &tg_shaper_config_t {
                capacity: 2,
                tokens: 3,
                period_ticks: 7,
                max_wait_ticks: 500,
            }
        ),
        tg_shaper_restore,
        tg_shaper_snapshot
    );
    case!(
        tg_sliding_window_t,
        TG_SLIDING_WINDOW_SNAPSHOT_SIZE,
        |w: &mut tg_sliding_window_t| tg_sliding_window_init(
            w,
            &tg_sliding_window_config_t {
                limit: 7,
                window_ticks: 300,
            }
        ),
        tg_sliding_window_restore,
        tg_sliding_window_snapshot
    );
    case!(
        tg_adaptive_t,
        TG_ADAPTIVE_SNAPSHOT_SIZE,
        |a: &mut tg_adaptive_t| tg_adaptive_init(
            a,
            &tg_adaptive_config_t {
                initial_limit: 8,
                min_limit: 2,
                max_limit: 16,
                backoff_milli: 700,
                slow_latency_ticks: 40,
                max_wait_ticks: 0,
            }
        ),
        tg_adaptive_restore,
        tg_adaptive_snapshot
    );
    case!(
        tg_lkg_t,
        TG_LKG_SNAPSHOT_SIZE,
        |l: &mut tg_lkg_t| tg_lkg_init(l, 500),
        tg_lkg_restore,
        tg_lkg_snapshot
    );
});
