//! The header check, and the unsafe object handling exercised from Rust so
//! that `cargo miri test -p tickguard-ffi` can check it for undefined
//! behaviour. The C tests in `c-examples/` exercise the ABI from C.

use core::ptr::{null, null_mut};
use std::path::PathBuf;
use std::prelude::rust_2021::*;
use std::vec;

use crate::*;

#[test]
#[cfg_attr(miri, ignore = "cbindgen reads the file system")]
fn header_is_current() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    let path = crate_dir.join("../include/tickguard.h");
    if std::env::var_os("TICKGUARD_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/tickguard.h is stale: run `TICKGUARD_BLESS=1 cargo test -p tickguard-ffi header`"
    );
}

const BREAKER_CONFIG: tg_breaker_config_t = tg_breaker_config_t {
    failure_threshold: 1,
    open_ticks: 10,
    half_open_permits: 1,
    success_threshold: 1,
    half_open_timeout_ticks: 5,
};

fn zeroed_breaker() -> tg_breaker_t {
    tg_breaker_t::new()
}

fn filled<const N: usize>(byte: u32) -> [core::cell::UnsafeCell<u32>; N] {
    core::array::from_fn(|_| core::cell::UnsafeCell::new(byte))
}

#[test]
fn zeroed_and_garbage_objects_are_uninitialised() {
    let mut b = zeroed_breaker();
    let mut d = tg_breaker_decision_t {
        permit: 7,
        has_retry_at: false,
        retry_at: 9,
        transition: tg_transition_t {
            changed: false,
            from: 0,
            to: 0,
        },
    };
    assert_eq!(tg_breaker_acquire(&mut b, 0, &mut d), TG_E_UNINITIALIZED);
    assert_eq!((d.permit, d.retry_at), (7, 9)); // outputs untouched
    let mut garbage = tg_breaker_t {
        _opaque: filled(0xA5A5_A5A5),
    };
    assert_eq!(
        tg_breaker_reset(&mut garbage, null_mut()),
        TG_E_UNINITIALIZED
    );
    let mut bucket = tg_bucket_t {
        _opaque: filled(0xFFFF_FFFF),
    };
    assert_eq!(tg_bucket_reset(&mut bucket), TG_E_UNINITIALIZED);
    assert_eq!(tg_bucket_acquire(null_mut(), 1, 0, null_mut()), TG_E_NULL);
}

#[test]
fn breaker_round_trip_through_the_abi() {
    let mut b = zeroed_breaker();
    assert_eq!(tg_breaker_init(&mut b, null()), TG_E_NULL);
    assert_eq!(tg_breaker_init(&mut b, &BREAKER_CONFIG), TG_OK);
    let mut d = tg_breaker_decision_t {
        permit: 0,
        has_retry_at: false,
        retry_at: 0,
        transition: tg_transition_t {
            changed: false,
            from: 0,
            to: 0,
        },
    };
    assert_eq!(tg_breaker_acquire(&mut b, u32::MAX, &mut d), TG_OK);
    let mut r = tg_record_t {
        counted: false,
        transition: tg_transition_t {
            changed: false,
            from: 0,
            to: 0,
        },
    };
    assert_eq!(
        tg_breaker_record(&mut b, d.permit, TG_OUTCOME_FAILURE, u32::MAX, &mut r),
        TG_OK
    );
    assert!(r.counted && r.transition.changed && r.transition.to == TG_STATE_OPEN);
    assert_eq!(tg_breaker_acquire(&mut b, 3, &mut d), TG_REFUSED);
    assert!(d.has_retry_at && d.retry_at == 9);
    let mut state = 99;
    assert_eq!(tg_breaker_state(&b, 9, &mut state), TG_OK);
    assert_eq!(state, TG_STATE_HALF_OPEN);
    assert_eq!(
        tg_breaker_record(&mut b, 0x80, 7, 0, null_mut()),
        TG_E_INVALID_ARGUMENT
    );
    let mut until = 0;
    assert_eq!(
        tg_breaker_open_for(&mut b, 1 << 31, 0, &mut until, null_mut()),
        TG_E_CONFIG_DURATION_TOO_LONG
    );
    assert_eq!(
        tg_breaker_open_for(&mut b, 4, 0, &mut until, null_mut()),
        TG_OK
    );
    assert_eq!(until, 4);
}

#[test]
fn bucket_round_trip_through_the_abi() {
    let config = tg_bucket_config_t {
        capacity: 2,
        tokens: 1,
        period_ticks: 3,
        initial_fill: TG_BUCKET_FULL,
    };
    let mut bucket = tg_bucket_t::new();
    assert_eq!(tg_bucket_init(&mut bucket, &config), TG_OK);
    let mut retry = 0;
    assert_eq!(tg_bucket_acquire(&mut bucket, 2, 10, &mut retry), TG_OK);
    assert_eq!(
        tg_bucket_acquire(&mut bucket, 1, 10, &mut retry),
        TG_REFUSED
    );
    assert_eq!(retry, 13);
    assert_eq!(
        tg_bucket_acquire(&mut bucket, 3, 10, &mut retry),
        TG_E_EXCEEDS_CAPACITY
    );
    let mut available = 0;
    assert_eq!(tg_bucket_available(&bucket, 16, &mut available), TG_OK);
    assert_eq!(available, 2);
}

#[test]
fn objects_are_shared_between_threads() {
    let mut bucket = tg_bucket_t::new();
    let config = tg_bucket_config_t {
        capacity: 50,
        tokens: 1,
        period_ticks: 1_000,
        initial_fill: TG_BUCKET_FULL,
    };
    assert_eq!(tg_bucket_init(&mut bucket, &config), TG_OK);
    let shared = &bucket; // tg_bucket_t is Sync: its state is atomic
    let granted: u32 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(move || {
                    let bucket = core::ptr::from_ref(shared).cast_mut();
                    (0..40)
                        .filter(|_| tg_bucket_acquire(bucket, 1, 5, null_mut()) == TG_OK)
                        .count() as u32
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(granted, 50);
}

#[test]
fn status_strings_and_conversions() {
    // SAFETY: tg_status_str returns a static NUL-terminated string.
    let text = unsafe { core::ffi::CStr::from_ptr(tg_status_str(TG_E_NULL)) };
    assert_eq!(text.to_str().unwrap(), "null pointer");
    let mut ticks = 0;
    assert_eq!(tg_ticks_from_millis(250, 1_000, &mut ticks), TG_OK);
    assert_eq!(ticks, 250);
    assert_eq!(
        tg_ticks_from_micros(1, 0, &mut ticks),
        TG_E_INVALID_ARGUMENT
    );
}

/// Random call sequences over the whole ABI, with NULLs, garbage permits,
/// unknown outcomes and wild configurations: every call returns a known
/// status, outputs are written only when the status says so, and the
/// guards' invariants hold.
mod random_calls {
    use super::*;
    use proptest::prelude::*;

    const KNOWN: [tg_status_t; 15] = [
        TG_OK,
        TG_REFUSED,
        TG_E_NULL,
        TG_E_UNINITIALIZED,
        TG_E_INVALID_ARGUMENT,
        TG_E_EXCEEDS_CAPACITY,
        TG_E_CONFIG_DURATION_TOO_LONG,
        TG_E_CONFIG_ZERO_DURATION,
        TG_E_CONFIG_FAILURE_THRESHOLD,
        TG_E_CONFIG_HALF_OPEN_PERMITS,
        TG_E_CONFIG_SUCCESS_THRESHOLD,
        TG_E_CONFIG_ZERO_CAPACITY,
        TG_E_CONFIG_ZERO_REFILL,
        TG_E_CONFIG_INITIAL_FILL,
        TG_E_CONFIG_WINDOW_TOO_LONG,
    ];

    #[derive(Clone, Debug)]
    enum Call {
        BreakerInit([u32; 5]),
        BucketInit([u32; 4]),
        Acquire { now: u32, null_out: bool },
        Record { permit: u8, outcome: u32, now: u32 },
        RecordHeld { outcome: u32, now: u32 },
        State { now: u32 },
        Control(u8),
        OpenFor { ticks: u32, now: u32 },
        Take { n: u32, now: u32 },
        Available { now: u32 },
        BucketReset,
    }

    fn small_or_wild() -> impl Strategy<Value = u32> {
        prop_oneof![4 => 0u32..40, 1 => any::<u32>()]
    }

    fn call() -> impl Strategy<Value = Call> {
        prop_oneof![
            1 => proptest::array::uniform5(small_or_wild()).prop_map(Call::BreakerInit),
            1 => proptest::array::uniform4(small_or_wild()).prop_map(Call::BucketInit),
            4 => (any::<u32>(), any::<bool>()).prop_map(|(now, null_out)| Call::Acquire { now, null_out }),
            1 => (any::<u8>(), 0u32..5, any::<u32>()).prop_map(|(permit, outcome, now)| Call::Record { permit, outcome, now }),
            4 => (0u32..4, any::<u32>()).prop_map(|(outcome, now)| Call::RecordHeld { outcome, now }),
            1 => any::<u32>().prop_map(|now| Call::State { now }),
            1 => (0u8..3).prop_map(Call::Control),
            1 => (small_or_wild(), any::<u32>()).prop_map(|(ticks, now)| Call::OpenFor { ticks, now }),
            4 => (small_or_wild(), any::<u32>()).prop_map(|(n, now)| Call::Take { n, now }),
            1 => any::<u32>().prop_map(|now| Call::Available { now }),
            1 => Just(Call::BucketReset),
        ]
    }

    const SENTINEL: u32 = 0xDEAD_BEEF;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 300 },
            failure_persistence: None, // no file system under Miri
            ..ProptestConfig::default()
        })]
        #[test]
        fn any_call_sequence_is_safe(calls in proptest::collection::vec(call(), 1..80)) {
            let mut breaker = tg_breaker_t::new();
            let mut bucket = tg_bucket_t::new();
            let mut held: Vec<tg_permit_t> = Vec::new();
            let mut capacity = None;
            for call in calls {
                let status = match call {
                    Call::BreakerInit([f, o, p, s, t]) => {
                        let config = tg_breaker_config_t {
                            failure_threshold: f, open_ticks: o, half_open_permits: p,
                            success_threshold: s, half_open_timeout_ticks: t,
                        };
                        let status = tg_breaker_init(&mut breaker, &config);
                        prop_assert_eq!(status, tg_breaker_config_check(&config));
                        if status == TG_OK { held.clear(); }
                        status
                    }
                    Call::BucketInit([c, t, p, i]) => {
                        let config = tg_bucket_config_t { capacity: c, tokens: t, period_ticks: p, initial_fill: i };
                        let status = tg_bucket_init(&mut bucket, &config);
                        prop_assert_eq!(status, tg_bucket_config_check(&config));
                        if status == TG_OK { capacity = Some(c); }
                        status
                    }
                    Call::Acquire { now, null_out } => {
                        let mut d = tg_breaker_decision_t {
                            permit: 0, has_retry_at: false, retry_at: SENTINEL,
                            transition: tg_transition_t { changed: false, from: SENTINEL, to: SENTINEL },
                        };
                        let out = if null_out { null_mut() } else { &mut d as *mut _ };
                        let status = tg_breaker_acquire(&mut breaker, now, out);
                        match status {
                            TG_OK => { prop_assert!(d.permit != 0); held.push(d.permit); }
                            TG_REFUSED => prop_assert!(d.permit == 0 && (d.has_retry_at || d.retry_at == 0)),
                            _ => prop_assert!(d.retry_at == SENTINEL, "written on error {}", status),
                        }
                        status
                    }
                    Call::Record { permit, outcome, now } => {
                        tg_breaker_record(&mut breaker, permit, outcome, now, null_mut())
                    }
                    Call::RecordHeld { outcome, now } => match held.pop() {
                        Some(permit) => {
                            let mut r = tg_record_t { counted: true, transition: tg_transition_t { changed: true, from: SENTINEL, to: SENTINEL } };
                            let status = tg_breaker_record(&mut breaker, permit, outcome, now, &mut r);
                            if status == TG_OK && r.transition.changed {
                                prop_assert!(r.transition.from <= 4 && r.transition.to <= 4);
                                prop_assert!(r.transition.from != r.transition.to);
                            }
                            status
                        }
                        None => TG_OK,
                    },
                    Call::State { now } => {
                        let mut s = SENTINEL;
                        let status = tg_breaker_state(&breaker, now, &mut s);
                        let valid = if status == TG_OK { s <= 4 } else { s == SENTINEL };
                        prop_assert!(valid, "state {} with status {}", s, status);
                        status
                    }
                    Call::Control(which) => {
                        let f = [tg_breaker_force_open, tg_breaker_disable, tg_breaker_reset][usize::from(which)];
                        f(&mut breaker, null_mut())
                    }
                    Call::OpenFor { ticks, now } => {
                        let mut until = SENTINEL;
                        let status = tg_breaker_open_for(&mut breaker, ticks, now, &mut until, null_mut());
                        if status == TG_OK { prop_assert!(until.wrapping_sub(now) >= ticks); }
                        else { prop_assert_eq!(until, SENTINEL); }
                        status
                    }
                    Call::Take { n, now } => {
                        let mut retry = SENTINEL;
                        let status = tg_bucket_acquire(&mut bucket, n, now, &mut retry);
                        match status {
                            TG_REFUSED => prop_assert!(retry != SENTINEL || now.wrapping_add(1) == SENTINEL),
                            TG_E_EXCEEDS_CAPACITY => prop_assert!(capacity.is_some_and(|c| n > c)),
                            _ => prop_assert_eq!(retry, SENTINEL),
                        }
                        status
                    }
                    Call::Available { now } => {
                        let mut v = SENTINEL;
                        let status = tg_bucket_available(&bucket, now, &mut v);
                        if status == TG_OK { prop_assert!(capacity.is_some_and(|c| v <= c)); }
                        status
                    }
                    Call::BucketReset => tg_bucket_reset(&mut bucket),
                };
                prop_assert!(KNOWN.contains(&status), "unknown status {}", status);
            }
        }
    }
}
