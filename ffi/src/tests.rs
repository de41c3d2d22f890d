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
    failure_rate_per_mille: 0,
    rate_window: 0,
    minimum_calls: 0,
    closed_interval_ticks: 0,
    open_multiplier_milli: 0,
    open_jitter_per_mille: 0,
    max_open_ticks: 0,
    jitter_seed: 0,
    external_trip_rule: 0,
    half_open_failure_rate_per_mille: 0,
    slow_call_ticks: 0,
    slow_call_rate_per_mille: 0,
    rate_duration_ticks: 0,
};

/// A permit with `token` admitted at tick 0.
const fn permit(token: u32) -> tg_permit_t {
    tg_permit_t {
        acquired_at: 0,
        token,
    }
}

const BUCKET_CONFIG: tg_bucket_config_t = tg_bucket_config_t {
    capacity: 2,
    tokens: 1,
    period_ticks: 3,
    initial_fill: TG_BUCKET_FULL,
};

fn decision() -> tg_breaker_decision_t {
    tg_breaker_decision_t {
        permit: permit(7),
        has_retry_at: false,
        retry_at: 9,
        transition: tg_transition_t {
            changed: false,
            from: 0,
            to: 0,
        },
    }
}

fn filled<const N: usize>(word: u64) -> [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; N] {
    core::array::from_fn(|_| core::cell::UnsafeCell::new(core::mem::MaybeUninit::new(word)))
}

/// A copy of the object's bytes, as `memcpy` or struct assignment makes.
fn copy_of<T>(object: &T) -> T {
    // SAFETY: the storage types are plain words; a bitwise copy is what a C
    // caller's memcpy makes.
    unsafe { core::ptr::read(object) }
}

#[test]
fn zeroed_and_garbage_objects_are_uninitialised() {
    let mut b = tg_breaker_t::new();
    let mut d = decision();
    assert_eq!(tg_breaker_acquire(&mut b, 0, &mut d), TG_E_UNINITIALIZED);
    // Outputs untouched. (0x7467_4232 to 0x7467_4235: the magic of the
    // breaker's layouts before its failure-rate window, its counters, its
    // open growth and its trip rule, refused as uninitialised.)
    assert_eq!((d.permit, d.retry_at), (permit(7), 9));
    for word in [
        0xA5A5_A5A5_A5A5_A5A5,
        u64::MAX,
        0x7467_4232,
        0x7467_4233,
        0x7467_4234,
        0x7467_4235,
        0x7467_4236,
        0x7467_4237,
    ] {
        let mut garbage = tg_breaker_t {
            _opaque: filled(word),
        };
        // Garbage that happens to hold the magic word was not initialised
        // at this address: refused as a copy, never used.
        let expected = if word as u32 == 0x7467_4237 {
            TG_E_MOVED
        } else {
            TG_E_UNINITIALIZED
        };
        assert_eq!(tg_breaker_reset(&mut garbage, null_mut()), expected);
        assert_eq!(
            tg_breaker_acquire(&mut garbage, 0, &mut decision()),
            expected
        );
        let mut bucket = tg_bucket_t {
            _opaque: filled(word),
        };
        assert_eq!(tg_bucket_reset(&mut bucket), TG_E_UNINITIALIZED);
        let mut ext = tg_tick_extender_t {
            _opaque: filled(word),
        };
        let mut t = 0;
        assert_eq!(tg_tick_extend(&mut ext, 1, &mut t), TG_E_UNINITIALIZED);
    }
    assert_eq!(tg_bucket_acquire(null_mut(), 1, 0, null_mut()), TG_E_NULL);
}

/// Overwrites everything after the 16-byte header of `object`: a stale
/// object, whose header still says "live" over memory someone reused.
fn overwrite_body<T>(object: &mut T, fill: impl Fn(usize) -> u8) {
    let bytes = core::ptr::from_mut(object).cast::<u8>();
    for i in 16..core::mem::size_of::<T>() {
        // SAFETY: `i` is inside the object, which is plain words.
        unsafe { bytes.add(i).write(fill(i)) };
    }
}

/// Fills for a stale body: all ones, all zeros, a pattern, noise.
const BODIES: [fn(usize) -> u8; 4] = [
    |_| 0xFF,
    |_| 0,
    |_| 0xA5,
    |i| (i as u8).wrapping_mul(97) ^ 0x3C,
];

fn known(status: tg_status_t) -> bool {
    TG_ALL_STATUSES.contains(&status)
}

#[test]
fn stale_objects_with_overwritten_bodies_are_memory_safe() {
    // Every call on an object whose header is live but whose body is
    // anything must return a status and touch nothing outside the object:
    // Miri (with recursive validation) and the bounds in the core check it.
    for body in BODIES {
        let mut lkg = tg_lkg_t::new();
        assert_eq!(tg_lkg_init(&mut lkg, 1_000), TG_OK);
        assert_eq!(
            tg_lkg_store(&mut lkg, b"a".as_ptr(), 1, b"1".as_ptr(), 1, 0),
            TG_OK
        );
        overwrite_body(&mut lkg, body);
        let (mut value, mut len, mut age) = ([0u8; TG_LKG_VALUE_BYTES], 0usize, 0u64);
        for now in [0, 5, u64::MAX] {
            assert!(known(tg_lkg_store(
                &mut lkg,
                b"key".as_ptr(),
                3,
                b"v".as_ptr(),
                1,
                now
            )));
            let served = tg_lkg_serve(
                &lkg,
                b"key".as_ptr(),
                3,
                now,
                value.as_mut_ptr(),
                &mut len,
                &mut age,
            );
            assert!(known(served));
            assert!(len <= TG_LKG_VALUE_BYTES);
            assert!(known(tg_lkg_forget(&mut lkg, b"a".as_ptr(), 1)));
        }

        let mut breaker = tg_breaker_t::new();
        assert_eq!(tg_breaker_init(&mut breaker, &BREAKER_CONFIG), TG_OK);
        overwrite_body(&mut breaker, body);
        let (mut d, mut state, mut until) = (decision(), 0, 0);
        for now in [0, 1 << 40, u64::MAX] {
            assert!(known(tg_breaker_acquire(&mut breaker, now, &mut d)));
            assert!(known(tg_breaker_record(
                &mut breaker,
                permit(d.permit.token | 0x8000_0000),
                1,
                now,
                null_mut()
            )));
            // A rule of the caller's is judged over garbage counts, and no
            // function the body names is ever called.
            assert!(known(tg_breaker_record_rule(
                &mut breaker,
                permit(d.permit.token | 0x8000_0000),
                1,
                now,
                Some(ratio_rule),
                0,
                null_mut()
            )));
            assert!(known(tg_breaker_state(&breaker, now, &mut state)));
            assert!(known(tg_breaker_open_for(
                &mut breaker,
                3,
                now,
                &mut until,
                null_mut()
            )));
            assert!(known(tg_breaker_force_open(&mut breaker, null_mut())));
            assert!(known(tg_breaker_disable(&mut breaker, null_mut())));
            assert!(known(tg_breaker_reset(&mut breaker, null_mut())));
        }

        let mut bucket = tg_bucket_t::new();
        assert_eq!(tg_bucket_init(&mut bucket, &BUCKET_CONFIG), TG_OK);
        overwrite_body(&mut bucket, body);
        let (mut retry_at, mut available) = (0, 0);
        for now in [0, 1 << 40, u64::MAX] {
            for n in [0, 1, 2, u32::MAX] {
                assert!(known(tg_bucket_acquire(&mut bucket, n, now, &mut retry_at)));
            }
            assert!(known(tg_bucket_available(&bucket, now, &mut available)));
            assert!(known(tg_bucket_reset(&mut bucket)));
        }

        let mut extender = tg_tick_extender_t::new();
        assert_eq!(tg_tick_extender_init(&mut extender, 0), TG_OK);
        overwrite_body(&mut extender, body);
        let mut t = 0;
        assert!(known(tg_tick_extend(&mut extender, 5, &mut t)));

        let mut policy = tg_retry_policy_t::new();
        assert_eq!(tg_retry_policy_init(&mut policy, &RETRY_CONFIG), TG_OK);
        let mut budget = tg_retry_budget_t::new();
        let budget_config = tg_retry_budget_config_t {
            max_tokens: 2,
            token_ratio_milli: 100,
        };
        assert_eq!(tg_retry_budget_init(&mut budget, &budget_config), TG_OK);
        let mut attempt = tg_retry_attempt_t::new();
        assert_eq!(tg_retry_attempt_begin(&mut attempt, 0, 7), TG_OK);
        overwrite_body(&mut policy, body);
        overwrite_body(&mut budget, body);
        overwrite_body(&mut attempt, body);
        let mut d = tg_retry_decision_t {
            retry: false,
            retry_at: 0,
            give_up: 0,
        };
        let (mut allows, mut tokens) = (false, 0);
        for now in [0, 1 << 40, u64::MAX] {
            let next = tg_retry_next(
                &policy,
                &mut attempt,
                TG_RETRY_OUTCOME_FAILED,
                now,
                now,
                &budget,
                &mut d,
            );
            assert!(known(next));
            assert!(known(tg_retry_budget_success(&mut budget)));
            assert!(known(tg_retry_budget_failure(&mut budget)));
            assert!(known(tg_retry_budget_state(
                &budget,
                &mut allows,
                &mut tokens
            )));
        }

        let mut degradation = tg_degradation_t::new();
        assert_eq!(
            tg_degradation_init(&mut degradation, TG_INIT_DEFAULT),
            TG_OK
        );
        overwrite_body(&mut degradation, body);
        let mut level = 0;
        assert!(known(tg_degradation_set_level(
            &mut degradation,
            2,
            null_mut()
        )));
        assert!(known(tg_degradation_switch(&mut degradation, 3, false)));
        assert!(known(tg_degradation_allows(
            &degradation,
            1,
            3,
            &mut allows,
            &mut level
        )));
    }
}

#[test]
fn misaligned_objects_are_refused_before_any_access() {
    // A buffer aligned to 16, viewed at offsets 1..15: each pointer is to
    // memory the caller owns, but not aligned for the object.
    #[repr(C, align(16))]
    struct Buffer([u8; 256]);
    let mut buffer = Buffer([0; 256]);
    let base = buffer.0.as_mut_ptr();
    for offset in [1usize, 4, 8, 12] {
        // SAFETY: within the buffer.
        let at = unsafe { base.add(offset) };
        assert_eq!(tg_breaker_init(at.cast(), &BREAKER_CONFIG), TG_E_MISALIGNED);
        assert_eq!(
            tg_breaker_acquire(at.cast(), 0, &mut decision()),
            TG_E_MISALIGNED
        );
        assert_eq!(tg_bucket_init(at.cast(), &BUCKET_CONFIG), TG_E_MISALIGNED);
        assert_eq!(
            tg_bucket_acquire(at.cast(), 1, 0, null_mut()),
            TG_E_MISALIGNED
        );
        assert_eq!(tg_bucket_deinit(at.cast()), TG_E_MISALIGNED);
        assert_eq!(tg_tick_extender_init(at.cast(), 0), TG_E_MISALIGNED);
    }
    assert!(buffer.0.iter().all(|b| *b == 0), "nothing was written");
}

#[test]
fn init_refuses_a_live_object_unless_asked() {
    let mut b = tg_breaker_t::new();
    assert_eq!(tg_breaker_init(&mut b, null()), TG_E_NULL);
    assert_eq!(tg_breaker_init(&mut b, &BREAKER_CONFIG), TG_OK);
    let mut d = decision();
    assert_eq!(tg_breaker_acquire(&mut b, 0, &mut d), TG_OK);
    assert_eq!(
        tg_breaker_record(&mut b, d.permit, TG_OUTCOME_FAILURE, 0, null_mut()),
        TG_OK
    );
    // A second init is refused and the state survives (still OPEN).
    assert_eq!(
        tg_breaker_init(&mut b, &BREAKER_CONFIG),
        TG_E_ALREADY_INITIALIZED
    );
    let mut state = 99;
    assert_eq!(tg_breaker_state(&b, 1, &mut state), TG_OK);
    assert_eq!(state, TG_STATE_OPEN);
    // Unknown flags are an error; REINIT starts afresh.
    assert_eq!(
        tg_breaker_init_ex(&mut b, &BREAKER_CONFIG, 4),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_breaker_init_ex(&mut b, &BREAKER_CONFIG, TG_INIT_REINIT),
        TG_OK
    );
    assert_eq!(tg_breaker_state(&b, 1, &mut state), TG_OK);
    assert_eq!(state, TG_STATE_CLOSED);
    // deinit ends its life; init works again without REINIT.
    assert_eq!(tg_breaker_deinit(&mut b), TG_OK);
    assert_eq!(tg_breaker_state(&b, 1, &mut state), TG_E_UNINITIALIZED);
    assert_eq!(tg_breaker_deinit(&mut b), TG_E_UNINITIALIZED);
    assert_eq!(tg_breaker_init(&mut b, &BREAKER_CONFIG), TG_OK);

    let mut bucket = tg_bucket_t::new();
    assert_eq!(tg_bucket_init(&mut bucket, &BUCKET_CONFIG), TG_OK);
    assert_eq!(
        tg_bucket_init(&mut bucket, &BUCKET_CONFIG),
        TG_E_ALREADY_INITIALIZED
    );
    let mut ext = tg_tick_extender_t::new();
    assert_eq!(tg_tick_extender_init(&mut ext, 5), TG_OK);
    assert_eq!(tg_tick_extender_init(&mut ext, 5), TG_E_ALREADY_INITIALIZED);
    assert_eq!(tg_tick_extender_init_ex(&mut ext, 5, TG_INIT_REINIT), TG_OK);
}

#[test]
fn copies_of_live_objects_are_refused() {
    let mut b = tg_breaker_t::new();
    assert_eq!(tg_breaker_init(&mut b, &BREAKER_CONFIG), TG_OK);
    let mut copy = copy_of(&b);
    assert_eq!(
        tg_breaker_acquire(&mut copy, 0, &mut decision()),
        TG_E_MOVED
    );
    assert_eq!(tg_breaker_reset(&mut copy, null_mut()), TG_E_MOVED);
    // The copy is not live where it is: it may be initialised there.
    assert_eq!(tg_breaker_init(&mut copy, &BREAKER_CONFIG), TG_OK);
    assert_eq!(tg_breaker_acquire(&mut copy, 0, &mut decision()), TG_OK);

    let mut bucket = tg_bucket_t::new();
    assert_eq!(tg_bucket_init(&mut bucket, &BUCKET_CONFIG), TG_OK);
    let mut copy = copy_of(&bucket);
    let mut left = 0;
    assert_eq!(tg_bucket_available(&copy, 0, &mut left), TG_E_MOVED);
    assert_eq!(tg_bucket_acquire(&mut copy, 1, 0, null_mut()), TG_E_MOVED);
    assert_eq!(tg_bucket_deinit(&mut copy), TG_E_MOVED);
    // The original is unaffected.
    assert_eq!(tg_bucket_acquire(&mut bucket, 2, 0, null_mut()), TG_OK);
}

#[test]
fn shared_objects_work_at_any_address() {
    // A bucket in memory that two processes map at different addresses is
    // modelled by the same bytes seen through two addresses.
    let mut bucket = tg_bucket_t::new();
    assert_eq!(
        tg_bucket_init_ex(&mut bucket, &BUCKET_CONFIG, TG_INIT_SHARED),
        TG_OK
    );
    assert_eq!(tg_bucket_acquire(&mut bucket, 1, 0, null_mut()), TG_OK);
    let mut elsewhere = copy_of(&bucket);
    assert_eq!(tg_bucket_acquire(&mut elsewhere, 1, 0, null_mut()), TG_OK);
    let mut retry = 0;
    assert_eq!(
        tg_bucket_acquire(&mut elsewhere, 1, 0, &mut retry),
        TG_REFUSED
    );
    assert_eq!(retry, 3);
    // A shared object is live wherever it is seen: init is refused there.
    assert_eq!(
        tg_bucket_init(&mut elsewhere, &BUCKET_CONFIG),
        TG_E_ALREADY_INITIALIZED
    );
}

#[test]
fn breaker_round_trip_through_the_abi() {
    let mut b = tg_breaker_t::new();
    assert_eq!(tg_breaker_init(&mut b, &BREAKER_CONFIG), TG_OK);
    let mut d = decision();
    let start = u64::MAX - 100;
    assert_eq!(tg_breaker_acquire(&mut b, start, &mut d), TG_OK);
    let mut r = tg_record_t {
        counted: false,
        transition: tg_transition_t {
            changed: false,
            from: 0,
            to: 0,
        },
    };
    assert_eq!(
        tg_breaker_record(&mut b, d.permit, TG_OUTCOME_FAILURE, start, &mut r),
        TG_OK
    );
    assert!(r.counted && r.transition.changed && r.transition.to == TG_STATE_OPEN);
    assert_eq!(tg_breaker_acquire(&mut b, start + 3, &mut d), TG_REFUSED);
    assert!(d.has_retry_at && d.retry_at == start + 10);
    let mut state = 99;
    assert_eq!(tg_breaker_state(&b, start + 10, &mut state), TG_OK);
    assert_eq!(state, TG_STATE_HALF_OPEN);
    let mut status = tg_breaker_status_t {
        state: 99,
        tripped_by: 99,
        has_trial_at: false,
        trial_at: 99,
    };
    assert_eq!(tg_breaker_status(&b, start + 3, &mut status), TG_OK);
    assert_eq!(status.state, TG_STATE_OPEN);
    assert_eq!(status.tripped_by, TG_TRIP_CONSECUTIVE_FAILURES);
    assert!(status.has_trial_at && status.trial_at == start + 10);
    assert_eq!(tg_breaker_status(&b, start + 10, &mut status), TG_OK);
    assert_eq!(status.state, TG_STATE_HALF_OPEN);
    assert_eq!(status.tripped_by, TG_TRIP_NONE);
    assert!(!status.has_trial_at && status.trial_at == 0);
    assert_eq!(tg_breaker_status(&b, 0, null_mut()), TG_E_NULL);
    assert_eq!(tg_breaker_status(null(), 0, &mut status), TG_E_NULL);
    assert_eq!(
        tg_breaker_record(&mut b, permit(0x8000_0000), 7, 0, null_mut()),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_breaker_record(&mut b, permit(0x1234), TG_OUTCOME_SUCCESS, 0, null_mut()),
        TG_E_INVALID_ARGUMENT
    );
    let mut until = 0;
    assert_eq!(
        tg_breaker_open_for(&mut b, (1 << 62) + 1, 0, &mut until, null_mut()),
        TG_E_CONFIG_DURATION_TOO_LONG
    );
    assert_eq!(
        tg_breaker_open_for(&mut b, 1 << 62, 0, &mut until, null_mut()),
        TG_OK
    );
    // Measured from the trip at `start`, not the lagging 0: saturates.
    assert_eq!(until, u64::MAX);
    // One admission and its failure, one refusal, one trip; the calls that
    // failed their checks and the period replaced while OPEN count nowhere.
    let mut counts = tg_breaker_counts_t {
        requests: 99,
        ..Default::default()
    };
    assert_eq!(tg_breaker_counts(&b, &mut counts), TG_OK);
    assert_eq!(
        (
            counts.requests,
            counts.refused,
            counts.successes,
            counts.failures
        ),
        (1, 1, 0, 1)
    );
    assert_eq!((counts.ignored, counts.dropped), (0, 0));
    assert_eq!(counts.transitions, [0, 1, 0, 0, 0]);
    assert_eq!(tg_breaker_counts(&b, null_mut()), TG_E_NULL);
    assert_eq!(tg_breaker_counts(null(), &mut counts), TG_E_NULL);
}

#[test]
fn bucket_round_trip_through_the_abi() {
    let mut bucket = tg_bucket_t::new();
    assert_eq!(tg_bucket_init(&mut bucket, &BUCKET_CONFIG), TG_OK);
    let mut retry = 0;
    let t = 1u64 << 40;
    assert_eq!(tg_bucket_acquire(&mut bucket, 2, t, &mut retry), TG_OK);
    assert_eq!(tg_bucket_acquire(&mut bucket, 1, t, &mut retry), TG_REFUSED);
    assert_eq!(retry, t + 3);
    assert_eq!(
        tg_bucket_acquire(&mut bucket, 3, t, &mut retry),
        TG_E_EXCEEDS_CAPACITY
    );
    let mut available = 0;
    assert_eq!(tg_bucket_available(&bucket, t + 6, &mut available), TG_OK);
    assert_eq!(available, 2);
}

#[test]
fn tick_extender_through_the_abi() {
    let mut ext = tg_tick_extender_t::new();
    assert_eq!(tg_tick_extender_init(&mut ext, u32::MAX - 1), TG_OK);
    let mut t = 0;
    assert_eq!(tg_tick_extend(&mut ext, 2, &mut t), TG_OK);
    assert_eq!(t, u64::from(u32::MAX) + 3);
    assert_eq!(tg_tick_extend(&mut ext, 2, null_mut()), TG_E_NULL);
    assert_eq!(tg_tick_extend(null_mut(), 2, &mut t), TG_E_NULL);
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
    for status in random_calls::KNOWN {
        // SAFETY: as above.
        let text = unsafe { core::ffi::CStr::from_ptr(tg_status_str(status)) };
        assert_ne!(text.to_str().unwrap(), "unknown status", "{status}");
    }
    let mut ticks = 0;
    assert_eq!(tg_ticks_from_millis(250, 1_000, &mut ticks), TG_OK);
    assert_eq!(ticks, 250);
    assert_eq!(
        tg_ticks_from_micros(1, 0, &mut ticks),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_ticks_from_millis(u64::MAX, 1_000_000_000, &mut ticks),
        TG_E_CONFIG_DURATION_TOO_LONG
    );
}

const RETRY_CONFIG: tg_retry_config_t = tg_retry_config_t {
    max_attempts: 3,
    backoff: TG_BACKOFF_EXPONENTIAL,
    base_ticks: 100,
    step_ticks: 0,
    multiplier_milli: 2_000,
    jitter: TG_JITTER_NONE,
    jitter_ticks: 0,
    jitter_per_mille: 0,
    max_delay_ticks: 1_000,
    deadline_ticks: TG_NO_DEADLINE,
};

/// A way to zero one field of a configuration `C`, and the status that
/// its check must then return.
type Zeroing<C> = (fn(&mut C), tg_status_t);

/// Checks `base` with each field zeroed in turn.
fn check_each_zeroed<C: Copy>(
    base: C,
    check: extern "C" fn(*const C) -> tg_status_t,
    cases: &[Zeroing<C>],
) {
    for (field, (zero, expected)) in cases.iter().enumerate() {
        let mut c = base;
        zero(&mut c);
        assert_eq!(check(&c), *expected, "field {field}");
    }
}

/// Every C configuration with each field zeroed in turn (a field left out
/// of a designated initializer): refused with that field's own status, or a
/// sound policy, never a degenerate one.
#[test]
fn each_zeroed_config_field_is_refused_by_name_or_means_none() {
    let mut breaker = tg_breaker_config_t {
        failure_threshold: 0,
        open_ticks: 0,
        half_open_permits: 0,
        success_threshold: 0,
        half_open_timeout_ticks: 0,
        failure_rate_per_mille: 0,
        rate_window: 0,
        minimum_calls: 0,
        closed_interval_ticks: 0,
        open_multiplier_milli: 0,
        open_jitter_per_mille: 0,
        max_open_ticks: 0,
        jitter_seed: 0,
        external_trip_rule: 0,
        half_open_failure_rate_per_mille: 0,
        slow_call_ticks: 0,
        slow_call_rate_per_mille: 0,
        rate_duration_ticks: 0,
    };
    assert_eq!(tg_breaker_config_default(&mut breaker), TG_OK);
    assert_eq!(tg_breaker_config_check(&breaker), TG_OK);
    let zeroed: &[Zeroing<tg_breaker_config_t>] = &[
        (|c| c.failure_threshold = 0, TG_E_CONFIG_FAILURE_THRESHOLD),
        (|c| c.open_ticks = 0, TG_E_CONFIG_OPEN_TICKS),
        (|c| c.half_open_permits = 0, TG_E_CONFIG_HALF_OPEN_PERMITS),
        (|c| c.success_threshold = 0, TG_E_CONFIG_SUCCESS_THRESHOLD),
        (
            |c| c.half_open_timeout_ticks = 0,
            TG_E_CONFIG_HALF_OPEN_TIMEOUT,
        ),
        // The failure-rate fields: 0 is off.
        (|c| c.failure_rate_per_mille = 0, TG_OK),
        (|c| c.rate_window = 0, TG_OK),
        (|c| c.minimum_calls = 0, TG_OK),
        // 0: counts are never cleared.
        (|c| c.closed_interval_ticks = 0, TG_OK),
        // 0: open periods never grow, are never spread, are capped at 2^62.
        (|c| c.open_multiplier_milli = 0, TG_OK),
        (|c| c.open_jitter_per_mille = 0, TG_OK),
        (|c| c.max_open_ticks = 0, TG_OK),
        (|c| c.jitter_seed = 0, TG_OK),
        // 0: no rule of the caller's needed.
        (|c| c.external_trip_rule = 0, TG_OK),
        // 0: the first failed trial reopens.
        (|c| c.half_open_failure_rate_per_mille = 0, TG_OK),
    ];
    check_each_zeroed(breaker, tg_breaker_config_check, zeroed);
    // With a failure rate: its window has no sound zero; the consecutive
    // rule may be off.
    let rated = tg_breaker_config_t {
        failure_rate_per_mille: 500,
        rate_window: 10,
        minimum_calls: 5,
        ..breaker
    };
    assert_eq!(tg_breaker_config_check(&rated), TG_OK);
    let zeroed: &[Zeroing<tg_breaker_config_t>] = &[
        (|c| c.failure_threshold = 0, TG_OK),
        (|c| c.failure_rate_per_mille = 0, TG_E_CONFIG_RATE_WINDOW),
        (|c| c.rate_window = 0, TG_E_CONFIG_RATE_WINDOW),
        (|c| c.minimum_calls = 0, TG_OK), // the whole window
    ];
    check_each_zeroed(rated, tg_breaker_config_check, zeroed);

    let mut bucket = BUCKET_CONFIG;
    assert_eq!(tg_bucket_config_default(&mut bucket), TG_OK);
    assert_eq!(tg_bucket_config_check(&bucket), TG_OK);
    let zeroed: &[Zeroing<tg_bucket_config_t>] = &[
        (|c| c.capacity = 0, TG_E_CONFIG_ZERO_CAPACITY),
        (|c| c.tokens = 0, TG_E_CONFIG_ZERO_REFILL),
        (|c| c.period_ticks = 0, TG_E_CONFIG_PERIOD),
        (|c| c.initial_fill = 0, TG_OK), // full: the default
    ];
    check_each_zeroed(bucket, tg_bucket_config_check, zeroed);
    let mut b = tg_bucket_t::new();
    let (mut available, mut retry_at) = (0, 0);
    bucket.initial_fill = TG_BUCKET_EMPTY;
    assert_eq!(tg_bucket_init(&mut b, &bucket), TG_OK);
    assert_eq!(tg_bucket_available(&b, 0, &mut available), TG_OK);
    assert_eq!(available, 0);
    assert_eq!(tg_bucket_acquire(&mut b, 1, 0, &mut retry_at), TG_REFUSED);
    bucket.initial_fill = TG_BUCKET_FULL;
    assert_eq!(tg_bucket_init_ex(&mut b, &bucket, TG_INIT_REINIT), TG_OK);
    assert_eq!(tg_bucket_available(&b, 0, &mut available), TG_OK);
    assert_eq!(available, 100);

    let mut retry = RETRY_CONFIG;
    assert_eq!(tg_retry_config_default(&mut retry), TG_OK);
    assert_eq!(tg_retry_config_check(&retry), TG_OK);
    assert_eq!(
        (retry.max_attempts, retry.base_ticks, retry.max_delay_ticks),
        (3, 1_000, 60_000)
    );
    let zeroed: &[Zeroing<tg_retry_config_t>] = &[
        (|c| c.max_attempts = 0, TG_E_CONFIG_MAX_ATTEMPTS),
        (|c| c.backoff = 0, TG_OK), // constant
        (|c| c.base_ticks = 0, TG_E_CONFIG_BASE_TICKS),
        (|c| c.step_ticks = 0, TG_OK),
        (|c| c.multiplier_milli = 0, TG_OK), // doubling
        (|c| c.jitter = 0, TG_OK),           // none
        (|c| c.jitter_ticks = 0, TG_OK),
        (|c| c.jitter_per_mille = 0, TG_OK),
        (|c| c.max_delay_ticks = 0, TG_OK), // no cap
        (|c| c.deadline_ticks = 0, TG_OK),  // no deadline
    ];
    check_each_zeroed(retry, tg_retry_config_check, zeroed);
    // The zeros that mean "none" or the default give the sound policy: a
    // growing delay, never a retry at the same tick, never an instant give-up.
    let mut sparse = retry;
    (
        sparse.multiplier_milli,
        sparse.jitter,
        sparse.max_delay_ticks,
        sparse.deadline_ticks,
    ) = (0, 0, 0, 0);
    let mut policy = tg_retry_policy_t::new();
    assert_eq!(tg_retry_policy_init(&mut policy, &sparse), TG_OK);
    let mut attempt = tg_retry_attempt_t::new();
    assert_eq!(tg_retry_attempt_begin(&mut attempt, 0, 1), TG_OK);
    let mut d = tg_retry_decision_t {
        retry: false,
        retry_at: 0,
        give_up: 0,
    };
    let mut now = 0;
    for expected in [1_000, 2_000] {
        let next = tg_retry_next(
            &policy,
            &mut attempt,
            TG_RETRY_OUTCOME_FAILED,
            0,
            now,
            null(),
            &mut d,
        );
        assert_eq!(next, TG_OK);
        assert!(d.retry && d.retry_at == now + expected, "{}", d.retry_at);
        now = d.retry_at;
    }

    let mut budget = tg_retry_budget_config_t {
        max_tokens: 0,
        token_ratio_milli: 0,
    };
    assert_eq!(tg_retry_budget_config_default(&mut budget), TG_OK);
    assert_eq!((budget.max_tokens, budget.token_ratio_milli), (10, 100));
    assert_eq!(tg_retry_budget_config_check(&budget), TG_OK);
    let zeroed: &[Zeroing<tg_retry_budget_config_t>] = &[
        (|c| c.max_tokens = 0, TG_E_CONFIG_MAX_TOKENS),
        (|c| c.token_ratio_milli = 0, TG_E_CONFIG_TOKEN_RATIO),
    ];
    check_each_zeroed(budget, tg_retry_budget_config_check, zeroed);
    assert_eq!(tg_retry_budget_config_check(null()), TG_E_NULL);
    assert_eq!(tg_retry_budget_config_default(null_mut()), TG_E_NULL);
    assert_eq!(tg_retry_config_default(null_mut()), TG_E_NULL);
    assert_eq!(tg_bucket_config_default(null_mut()), TG_E_NULL);
}

/// The text of a `tg_*_str` result.
fn text(name: *const core::ffi::c_char) -> &'static str {
    assert!(!name.is_null());
    // SAFETY: the `tg_*_str` functions return static NUL-terminated strings.
    unsafe { core::ffi::CStr::from_ptr(name) }.to_str().unwrap()
}

#[test]
fn every_logged_enum_has_a_name_and_unknown_values_say_so() {
    let states = [
        TG_STATE_CLOSED,
        TG_STATE_OPEN,
        TG_STATE_HALF_OPEN,
        TG_STATE_FORCED_OPEN,
        TG_STATE_DISABLED,
    ];
    let names: Vec<_> = states.iter().map(|s| text(tg_state_str(*s))).collect();
    assert_eq!(
        names,
        ["closed", "open", "half-open", "forced-open", "disabled"]
    );
    assert_eq!(text(tg_state_str(5)), "unknown state");
    let reasons: Vec<_> = (TG_TRIP_NONE..=TG_TRIP_SLOW_CALL_RATE)
        .map(|r| text(tg_trip_reason_str(r)))
        .collect();
    assert_eq!(
        reasons,
        [
            "none",
            "consecutive failures",
            "failure rate",
            "trial failed",
            "trial timed out",
            "manual",
            "custom rule",
            "slow-call rate"
        ]
    );
    assert_eq!(text(tg_trip_reason_str(8)), "unknown trip reason");
    assert_eq!(text(tg_give_up_str(TG_GIVE_UP_NONE)), "none");
    assert_eq!(
        text(tg_give_up_str(TG_GIVE_UP_BUDGET_EMPTY)),
        "budget empty"
    );
    for why in TG_GIVE_UP_ATTEMPTS_EXHAUSTED..=TG_GIVE_UP_REFUSED_INDEFINITELY {
        assert!(!text(tg_give_up_str(why)).starts_with("unknown"));
    }
    assert_eq!(text(tg_give_up_str(99)), "unknown reason");
    for kind in 0..TG_ERROR_KINDS as u32 {
        assert!(!text(tg_error_kind_str(kind)).starts_with("unknown"));
    }
    assert_eq!(
        text(tg_error_kind_str(TG_ERROR_READ_TIMEOUT)),
        "read timeout"
    );
    assert_eq!(
        text(tg_error_kind_str(TG_ERROR_KINDS as u32)),
        "unknown error kind"
    );
    assert_eq!(text(tg_error_class_str(TG_ERROR_CLASS_SYSTEM)), "system");
    assert_eq!(text(tg_error_class_str(u32::MAX)), "unknown error class");
}

/// Every `TG_*` status constant in `status.rs` is in the one table (so it
/// has a description and the fuzzer and tests know it), once, and the C
/// test provokes or names every one of them.
#[test]
#[cfg_attr(miri, ignore = "reads the file system")]
fn every_status_constant_is_in_the_table() {
    let source = include_str!("status.rs");
    let mut codes = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("pub const TG_") else {
            continue;
        };
        let Some((name, value)) = rest.split_once(": tg_status_t = ") else {
            continue;
        };
        let code: tg_status_t = value.trim_end_matches(';').parse().unwrap();
        assert!(
            TG_ALL_STATUSES.contains(&code),
            "TG_{name} is not in STATUSES"
        );
        assert!(
            !text(tg_status_str(code)).starts_with("unknown"),
            "TG_{name}"
        );
        codes.push(code);
    }
    assert_eq!(
        codes.len(),
        TG_ALL_STATUSES.len(),
        "STATUSES has a code no constant names"
    );
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(
        codes.len(),
        TG_ALL_STATUSES.len(),
        "two constants share a code"
    );
    let c_test = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../c-examples/abi_test.c"
    ))
    .unwrap();
    for line in source.lines() {
        if let Some((name, _)) = line
            .strip_prefix("pub const ")
            .and_then(|l| l.split_once(": tg_status_t"))
        {
            assert!(
                c_test.contains(name),
                "c-examples/abi_test.c never mentions {name}"
            );
        }
    }
}

#[test]
fn retry_budget_and_handling_through_the_abi() {
    let mut policy = tg_retry_policy_t::new();
    let mut bad = RETRY_CONFIG;
    bad.max_attempts = 0;
    assert_eq!(tg_retry_config_check(&bad), TG_E_CONFIG_MAX_ATTEMPTS);
    bad = RETRY_CONFIG;
    bad.backoff = 9;
    assert_eq!(tg_retry_policy_init(&mut policy, &bad), TG_E_CONFIG_BACKOFF);
    bad = RETRY_CONFIG;
    bad.jitter = 7;
    assert_eq!(tg_retry_config_check(&bad), TG_E_CONFIG_JITTER_KIND);
    assert_eq!(tg_retry_policy_init(&mut policy, &RETRY_CONFIG), TG_OK);
    assert_eq!(
        tg_retry_policy_init(&mut policy, &RETRY_CONFIG),
        TG_E_ALREADY_INITIALIZED
    );
    let mut attempt = tg_retry_attempt_t::new();
    let mut d = tg_retry_decision_t {
        retry: false,
        retry_at: 0,
        give_up: 99,
    };
    assert_eq!(
        tg_retry_next(
            &policy,
            &mut attempt,
            TG_RETRY_OUTCOME_FAILED,
            0,
            0,
            null(),
            &mut d
        ),
        TG_E_UNINITIALIZED
    );
    assert_eq!(tg_retry_attempt_begin(&mut attempt, 0, 7), TG_OK);
    assert_eq!(
        tg_retry_next(
            &policy,
            &mut attempt,
            TG_RETRY_OUTCOME_FAILED,
            0,
            10,
            null(),
            &mut d
        ),
        TG_OK
    );
    assert!(d.retry && d.retry_at == 110);
    // An attempt is a value: a moved copy carries on.
    let mut moved = copy_of(&attempt);
    assert_eq!(
        tg_retry_next(
            &policy,
            &mut moved,
            TG_RETRY_OUTCOME_REFUSED,
            500,
            110,
            null(),
            &mut d
        ),
        TG_OK
    );
    assert!(d.retry && d.retry_at == 500);
    assert_eq!(
        tg_retry_next(
            &policy,
            &mut moved,
            TG_RETRY_OUTCOME_FAILED,
            0,
            500,
            null(),
            &mut d
        ),
        TG_OK
    );
    assert!(!d.retry && d.give_up == TG_GIVE_UP_ATTEMPTS_EXHAUSTED);
    assert_eq!(
        tg_retry_next(&policy, &mut moved, 42, 0, 500, null(), &mut d),
        TG_E_INVALID_ARGUMENT
    );

    let mut budget = tg_retry_budget_t::new();
    let bc = tg_retry_budget_config_t {
        max_tokens: 2,
        token_ratio_milli: 100,
    };
    assert_eq!(tg_retry_budget_init(&mut budget, &bc), TG_OK);
    assert_eq!(tg_retry_budget_failure(&mut budget), TG_OK);
    let (mut allows, mut tokens) = (true, 0);
    assert_eq!(
        tg_retry_budget_state(&budget, &mut allows, &mut tokens),
        TG_OK
    );
    assert!(!allows && tokens == 1_000);
    assert_eq!(tg_retry_attempt_begin(&mut attempt, 0, 7), TG_OK);
    assert_eq!(
        tg_retry_next(
            &policy,
            &mut attempt,
            TG_RETRY_OUTCOME_FAILED,
            0,
            0,
            &budget,
            &mut d
        ),
        TG_OK
    );
    assert!(!d.retry && d.give_up == TG_GIVE_UP_BUDGET_EMPTY);
    assert_eq!(tg_retry_budget_success(&mut budget), TG_OK);
    assert_eq!(
        tg_retry_budget_state(&budget, &mut allows, null_mut()),
        TG_OK
    );
    assert!(allows);
    assert_eq!(tg_retry_budget_reset(&mut budget), TG_OK);
    let zero = tg_retry_budget_config_t {
        max_tokens: 1,
        token_ratio_milli: 0,
    };
    let mut other = tg_retry_budget_t::new();
    assert_eq!(
        tg_retry_budget_init_ex(&mut other, &zero, TG_INIT_DEFAULT),
        TG_E_CONFIG_TOKEN_RATIO
    );

    let mut table = tg_handling_table_t {
        entries: [tg_handling_t {
            retry: 0,
            breaker_failure: false,
            fallback: false,
            alert: false,
        }; TG_ERROR_KINDS],
    };
    assert_eq!(tg_handling_table_default(&mut table), TG_OK);
    let (mut breaker_outcome, mut retry_failure) = (99, 99);
    assert_eq!(
        tg_handling_lookup(
            &table,
            TG_ERROR_FORMAT,
            null_mut(),
            &mut breaker_outcome,
            &mut retry_failure
        ),
        TG_OK
    );
    assert_eq!(
        (breaker_outcome, retry_failure),
        (TG_OUTCOME_IGNORED, TG_RETRY_OUTCOME_NOT_RETRYABLE)
    );
    table.entries[TG_ERROR_FORMAT as usize].retry = 77;
    assert_eq!(
        tg_handling_lookup(&table, TG_ERROR_FORMAT, null_mut(), null_mut(), null_mut()),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_handling_lookup(&table, 11, null_mut(), null_mut(), null_mut()),
        TG_E_INVALID_ARGUMENT
    );
    let mut class = 99;
    assert_eq!(tg_error_class(TG_ERROR_READ_TIMEOUT, &mut class), TG_OK);
    assert_eq!(class, TG_ERROR_CLASS_TIMEOUT);
}

/// Random call sequences over the whole ABI, with NULLs, garbage permits,
/// unknown outcomes, wild configurations, copies and lagging ticks: every
/// call returns a known status, outputs are written only when the status
/// says so, and the guards' invariants hold.
mod random_calls {
    use super::*;
    use proptest::prelude::*;

    pub(super) const KNOWN: [tg_status_t; TG_ALL_STATUSES.len()] = TG_ALL_STATUSES;

    #[derive(Clone, Debug)]
    enum Call {
        BreakerInit([u64; 12], u32),
        BucketInit([u64; 4], u32),
        Acquire {
            lag: u64,
            null_out: bool,
        },
        Record {
            permit: tg_permit_t,
            outcome: u32,
            lag: u64,
        },
        RecordHeld {
            outcome: u32,
            lag: u64,
        },
        State {
            lag: u64,
        },
        Control(u8),
        OpenFor {
            ticks: u64,
            lag: u64,
        },
        Take {
            n: u32,
            lag: u64,
        },
        Available {
            lag: u64,
        },
        BucketReset,
        Copy,
        Deinit,
        Advance(u64),
    }

    fn small_or_wild() -> impl Strategy<Value = u64> {
        prop_oneof![4 => 0u64..40, 1 => any::<u64>(), 1 => Just(1u64 << 62)]
    }

    fn lag() -> impl Strategy<Value = u64> {
        prop_oneof![4 => Just(0u64), 2 => 0u64..100, 1 => any::<u64>()]
    }

    fn call() -> impl Strategy<Value = Call> {
        prop_oneof![
            1 => (proptest::array::uniform12(small_or_wild()), 0u32..5).prop_map(|(c, f)| Call::BreakerInit(c, f)),
            1 => (proptest::array::uniform4(small_or_wild()), 0u32..5).prop_map(|(c, f)| Call::BucketInit(c, f)),
            4 => (lag(), any::<bool>()).prop_map(|(lag, null_out)| Call::Acquire { lag, null_out }),
            1 => (any::<u32>(), any::<u64>(), 0u32..5, lag()).prop_map(|(token, acquired_at, outcome, lag)| {
                Call::Record { permit: tg_permit_t { acquired_at, token }, outcome, lag }
            }),
            4 => (0u32..4, lag()).prop_map(|(outcome, lag)| Call::RecordHeld { outcome, lag }),
            1 => lag().prop_map(|lag| Call::State { lag }),
            1 => (0u8..3).prop_map(Call::Control),
            1 => (small_or_wild(), lag()).prop_map(|(ticks, lag)| Call::OpenFor { ticks, lag }),
            4 => (0u32..40, lag()).prop_map(|(n, lag)| Call::Take { n, lag }),
            1 => lag().prop_map(|lag| Call::Available { lag }),
            1 => Just(Call::BucketReset),
            1 => Just(Call::Copy),
            1 => Just(Call::Deinit),
            3 => (0u64..50).prop_map(Call::Advance),
        ]
    }

    const SENTINEL: u64 = 0xDEAD_BEEF_DEAD_BEEF;

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
            let mut now = 1u64 << 40;
            for call in calls {
                let status = match call {
                    Call::BreakerInit([f, o, p, s, t, r, w, m, i, g, j, x], flags) => {
                        let config = tg_breaker_config_t {
                            failure_threshold: f as u32, open_ticks: o, half_open_permits: p as u32,
                            success_threshold: s as u32, half_open_timeout_ticks: t,
                            failure_rate_per_mille: r as u32, rate_window: w as u32, minimum_calls: m as u32,
                            closed_interval_ticks: i,
                            open_multiplier_milli: (g as u32).wrapping_mul(250),
                            open_jitter_per_mille: (j as u32).wrapping_mul(50),
                            max_open_ticks: x,
                            jitter_seed: g ^ x,
                            external_trip_rule: (i % 3) as u32,
                            half_open_failure_rate_per_mille: (j as u32).wrapping_mul(100),
                            slow_call_ticks: x % 7,
                            slow_call_rate_per_mille: (r as u32) ^ (j as u32),
                            rate_duration_ticks: if w % 2 == 0 { t } else { 0 },
                        };
                        let status = tg_breaker_init_ex(&mut breaker, &config, flags);
                        if flags <= (TG_INIT_REINIT | TG_INIT_SHARED) && flags & TG_INIT_REINIT != 0 {
                            prop_assert_eq!(status, tg_breaker_config_check(&config));
                        }
                        if status == TG_OK { held.clear(); }
                        status
                    }
                    Call::BucketInit([c, t, p, i], flags) => {
                        let config = tg_bucket_config_t {
                            capacity: c as u32, tokens: t as u32, period_ticks: p, initial_fill: i as u32,
                        };
                        let status = tg_bucket_init_ex(&mut bucket, &config, flags);
                        if flags <= (TG_INIT_REINIT | TG_INIT_SHARED) && flags & TG_INIT_REINIT != 0 {
                            prop_assert_eq!(status, tg_bucket_config_check(&config));
                        }
                        if status == TG_OK { capacity = Some(c as u32); }
                        status
                    }
                    Call::Acquire { lag, null_out } => {
                        let mut d = tg_breaker_decision_t {
                            permit: permit(0), has_retry_at: false, retry_at: SENTINEL,
                            transition: tg_transition_t { changed: false, from: 77, to: 77 },
                        };
                        let out = if null_out { null_mut() } else { &mut d as *mut _ };
                        let status = tg_breaker_acquire(&mut breaker, now.saturating_sub(lag), out);
                        if !null_out {
                            match status {
                                TG_OK => { prop_assert!(d.permit.token != 0); held.push(d.permit); }
                                TG_REFUSED => prop_assert!(d.permit == permit(0) && (d.has_retry_at || d.retry_at == 0)),
                                _ => prop_assert!(d.retry_at == SENTINEL, "written on error {}", status),
                            }
                        } else {
                            prop_assert!(status != TG_OK && status != TG_REFUSED);
                        }
                        status
                    }
                    Call::Record { permit, outcome, lag } => {
                        tg_breaker_record(&mut breaker, permit, outcome, now.saturating_sub(lag), null_mut())
                    }
                    Call::RecordHeld { outcome, lag } => match held.pop() {
                        Some(permit) => {
                            let mut r = tg_record_t { counted: true, transition: tg_transition_t { changed: true, from: 77, to: 77 } };
                            let status = tg_breaker_record(&mut breaker, permit, outcome, now.saturating_sub(lag), &mut r);
                            if status == TG_OK && r.transition.changed {
                                prop_assert!(r.transition.from <= 4 && r.transition.to <= 4);
                                prop_assert!(r.transition.from != r.transition.to);
                            }
                            if status != TG_OK { prop_assert!(r.counted && r.transition.from == 77); }
                            status
                        }
                        None => TG_OK,
                    },
                    Call::State { lag } => {
                        let mut s = 77;
                        let status = tg_breaker_state(&breaker, now.saturating_sub(lag), &mut s);
                        let valid = if status == TG_OK { s <= 4 } else { s == 77 };
                        prop_assert!(valid, "state {} with status {}", s, status);
                        // The failure-rate window: never more than its
                        // size, never more failures than calls.
                        let mut counts = tg_breaker_window_counts_t { calls: 99, failures: 99, slow: 99 };
                        let read = tg_breaker_window_counts(&breaker, &mut counts);
                        prop_assert_eq!(read == TG_OK, status == TG_OK);
                        if read == TG_OK {
                            prop_assert!(counts.calls <= TG_BREAKER_MAX_RATE_WINDOW && counts.failures <= counts.calls && counts.slow <= counts.calls);
                        }
                        status
                    }
                    Call::Control(which) => {
                        let f = [tg_breaker_force_open, tg_breaker_disable, tg_breaker_reset][usize::from(which)];
                        f(&mut breaker, null_mut())
                    }
                    Call::OpenFor { ticks, lag } => {
                        let mut until = SENTINEL;
                        let at = now.saturating_sub(lag);
                        let status = tg_breaker_open_for(&mut breaker, ticks, at, &mut until, null_mut());
                        if status == TG_OK { prop_assert!(until >= at.saturating_add(ticks)); }
                        else { prop_assert_eq!(until, SENTINEL); }
                        status
                    }
                    Call::Take { n, lag } => {
                        let mut retry = SENTINEL;
                        let at = now.saturating_sub(lag);
                        let status = tg_bucket_acquire(&mut bucket, n, at, &mut retry);
                        match status {
                            TG_REFUSED => prop_assert!(retry > at),
                            TG_E_EXCEEDS_CAPACITY => prop_assert!(capacity.is_some_and(|c| n > c)),
                            _ => prop_assert_eq!(retry, SENTINEL),
                        }
                        status
                    }
                    Call::Available { lag } => {
                        let mut v = u32::MAX;
                        let status = tg_bucket_available(&bucket, now.saturating_sub(lag), &mut v);
                        if status == TG_OK { prop_assert!(capacity.is_some_and(|c| v <= c)); }
                        else { prop_assert_eq!(v, u32::MAX); }
                        status
                    }
                    Call::BucketReset => tg_bucket_reset(&mut bucket),
                    Call::Copy => {
                        // A struct assignment of a live object: the copy is
                        // refused, the original keeps working.
                        let mut copy = copy_of(&breaker);
                        let status = tg_breaker_reset(&mut copy, null_mut());
                        prop_assert!(status == TG_E_MOVED || status == TG_E_UNINITIALIZED || status == TG_OK);
                        status
                    }
                    Call::Deinit => {
                        held.clear();
                        tg_breaker_deinit(&mut breaker)
                    }
                    Call::Advance(dt) => { now += dt; TG_OK }
                };
                prop_assert!(KNOWN.contains(&status), "unknown status {}", status);
            }
        }
    }
}

#[test]
fn snapshots_through_the_abi_read_and_write_only_what_they_may() {
    let mut breaker = tg_breaker_t::new();
    assert_eq!(tg_breaker_init(&mut breaker, &BREAKER_CONFIG), TG_OK);
    let mut until = 0;
    assert_eq!(
        tg_breaker_open_for(&mut breaker, 100, 1_000, &mut until, null_mut()),
        TG_OK
    );
    // Saved at an odd address, into a buffer one byte longer than needed:
    // the last byte is untouched.
    let mut out = [0xAAu8; TG_BREAKER_SNAPSHOT_SIZE + 2];
    let at = out[1..].as_mut_ptr();
    assert_eq!(
        tg_breaker_snapshot(&breaker, 1_040, at, TG_BREAKER_SNAPSHOT_SIZE - 1),
        TG_E_SNAPSHOT_BUFFER
    );
    assert!(out.iter().all(|&b| b == 0xAA), "nothing written on error");
    assert_eq!(
        tg_breaker_snapshot(&breaker, 1_040, at, TG_BREAKER_SNAPSHOT_SIZE + 1),
        TG_OK
    );
    assert_eq!(out[TG_BREAKER_SNAPSHOT_SIZE + 1], 0xAA);
    let saved = &out[1..=TG_BREAKER_SNAPSHOT_SIZE];

    let mut rebooted = tg_breaker_t::new();
    // Uninitialised objects and NULL inputs are refused first.
    assert_eq!(
        tg_breaker_restore(&mut rebooted, saved.as_ptr(), saved.len(), 0),
        TG_E_UNINITIALIZED
    );
    assert_eq!(tg_breaker_init(&mut rebooted, &BREAKER_CONFIG), TG_OK);
    assert_eq!(tg_breaker_restore(&mut rebooted, null(), 0, 0), TG_E_NULL);
    assert_eq!(
        tg_breaker_restore(&mut rebooted, saved.as_ptr(), saved.len(), 0),
        TG_OK
    );
    let mut d = decision();
    assert_eq!(tg_breaker_acquire(&mut rebooted, 59, &mut d), TG_REFUSED);
    assert_eq!(d.retry_at, 60);
    // A huge length: at most one byte past the longest snapshot is read
    // (Miri checks no byte past the 65 given is touched).
    let mut long = [0u8; 65];
    long[..saved.len()].copy_from_slice(saved);
    assert_eq!(
        tg_breaker_restore(&mut rebooted, long.as_ptr(), usize::MAX, 0),
        TG_E_SNAPSHOT_TRUNCATED
    );
    // Other kinds into each other's objects.
    let mut bucket = tg_bucket_t::new();
    assert_eq!(tg_bucket_init(&mut bucket, &BUCKET_CONFIG), TG_OK);
    assert_eq!(
        tg_bucket_restore(&mut bucket, saved.as_ptr(), saved.len(), 0),
        TG_E_SNAPSHOT_KIND
    );
    let mut tokens = [0u8; TG_BUCKET_SNAPSHOT_SIZE];
    assert_eq!(
        tg_bucket_snapshot(&bucket, 0, tokens.as_mut_ptr(), tokens.len()),
        TG_OK
    );
    assert_eq!(
        tg_breaker_restore(&mut rebooted, tokens.as_ptr(), tokens.len(), 0),
        TG_E_SNAPSHOT_KIND
    );
    let mut state = 0;
    assert_eq!(tg_breaker_state(&rebooted, 0, &mut state), TG_OK);
    assert_eq!(state, TG_STATE_CLOSED, "left fresh");
    // Garbage of every length never does more than refuse.
    let garbage: Vec<u8> = (0..70u32).map(|i| (i * 37 + 11) as u8).collect();
    for len in 0..garbage.len() {
        let status = tg_breaker_restore(&mut rebooted, garbage.as_ptr(), len, 0);
        assert!((-39..=-35).contains(&status), "{status}");
    }
}

#[test]
fn a_last_known_good_snapshot_through_the_abi() {
    let mut lkg = tg_lkg_t::new();
    assert_eq!(tg_lkg_init(&mut lkg, 1_000), TG_OK);
    let (key, value) = (b"temp", b"21.5");
    assert_eq!(
        tg_lkg_store(
            &mut lkg,
            key.as_ptr(),
            key.len(),
            value.as_ptr(),
            value.len(),
            7_000
        ),
        TG_OK
    );
    let mut page = vec![0u8; TG_LKG_SNAPSHOT_SIZE + 2];
    assert_eq!(
        tg_lkg_snapshot(&lkg, 7_250, page[1..].as_mut_ptr(), TG_LKG_SNAPSHOT_SIZE),
        TG_OK
    );
    let mut after = tg_lkg_t::new();
    assert_eq!(tg_lkg_init(&mut after, 1_000), TG_OK);
    // At most one byte past the snapshot is read, whatever the length says
    // (Miri checks nothing past the buffer is touched).
    assert_eq!(
        tg_lkg_restore(&mut after, page[1..].as_ptr(), usize::MAX, 0),
        TG_E_SNAPSHOT_TRUNCATED
    );
    assert_eq!(
        tg_lkg_restore(&mut after, page[1..].as_ptr(), TG_LKG_SNAPSHOT_SIZE, 0),
        TG_OK
    );
    let mut out = [0u8; TG_LKG_VALUE_BYTES];
    let (mut len, mut age) = (0usize, 0u64);
    assert_eq!(
        tg_lkg_serve(
            &after,
            key.as_ptr(),
            key.len(),
            50,
            out.as_mut_ptr(),
            &mut len,
            &mut age
        ),
        TG_OK
    );
    assert_eq!((&out[..len], age), (&value[..], 300));
}

fn window_decision() -> tg_fixed_window_decision_t {
    tg_fixed_window_decision_t {
        missed: 77,
        has_retry_at: true,
        retry_at: 99,
    }
}

#[test]
fn fixed_window_through_the_abi() {
    let mut config = tg_fixed_window_config_t {
        burst: 0,
        interval_ticks: 0,
    };
    assert_eq!(tg_fixed_window_config_default(&mut config), TG_OK);
    assert_eq!((config.burst, config.interval_ticks), (10, 5_000));
    assert_eq!(tg_fixed_window_config_default(null_mut()), TG_E_NULL);
    assert_eq!(tg_fixed_window_config_check(&config), TG_OK);
    assert_eq!(tg_fixed_window_config_check(null()), TG_E_NULL);
    let too_long = tg_fixed_window_config_t {
        burst: 1,
        interval_ticks: (1 << 62) + 1,
    };
    assert_eq!(
        tg_fixed_window_config_check(&too_long),
        TG_E_CONFIG_INTERVAL
    );
    let mut w = tg_fixed_window_t::new();
    let mut d = window_decision();
    assert_eq!(
        tg_fixed_window_acquire(&mut w, 1, 0, &mut d),
        TG_E_UNINITIALIZED
    );
    assert_eq!(
        tg_fixed_window_init(&mut w, &too_long),
        TG_E_CONFIG_INTERVAL
    );
    let config = tg_fixed_window_config_t {
        burst: 2,
        interval_ticks: 100,
    };
    assert_eq!(tg_fixed_window_init(&mut w, &config), TG_OK);
    assert_eq!(
        tg_fixed_window_init(&mut w, &config),
        TG_E_ALREADY_INITIALIZED
    );
    assert_eq!(
        tg_fixed_window_init_ex(&mut w, &config, 8),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_fixed_window_init_ex(&mut w, &config, TG_INIT_REINIT),
        TG_OK
    );
    let t = 1u64 << 40;
    assert_eq!(tg_fixed_window_acquire(&mut w, 1, t, null_mut()), TG_E_NULL);
    assert_eq!(tg_fixed_window_acquire(&mut w, 2, t, &mut d), TG_OK);
    assert_eq!((d.missed, d.has_retry_at), (0, false));
    let mut d = window_decision();
    assert_eq!(
        tg_fixed_window_acquire(&mut w, 1, t + 5, &mut d),
        TG_REFUSED
    );
    assert_eq!((d.missed, d.has_retry_at, d.retry_at), (0, true, t + 100));
    assert_eq!(
        tg_fixed_window_acquire(&mut w, 3, t + 6, &mut d),
        TG_REFUSED
    );
    assert_eq!((d.missed, d.has_retry_at, d.retry_at), (0, false, 0));
    let mut remaining = 9;
    assert_eq!(tg_fixed_window_remaining(&w, t + 99, &mut remaining), TG_OK);
    assert_eq!(remaining, 0);
    assert_eq!(
        tg_fixed_window_remaining(&w, t + 100, &mut remaining),
        TG_OK
    );
    assert_eq!(remaining, 2);
    assert_eq!(tg_fixed_window_remaining(&w, t, null_mut()), TG_E_NULL);

    // A snapshot keeps the window and the count across a reboot.
    let mut page = [0u8; TG_FIXED_WINDOW_SNAPSHOT_SIZE];
    assert_eq!(
        tg_fixed_window_snapshot(&w, t + 50, page.as_mut_ptr(), page.len() - 1),
        TG_E_SNAPSHOT_BUFFER
    );
    assert_eq!(
        tg_fixed_window_snapshot(&w, t + 50, page.as_mut_ptr(), page.len()),
        TG_OK
    );
    let mut rebooted = tg_fixed_window_t::new();
    assert_eq!(tg_fixed_window_init(&mut rebooted, &config), TG_OK);
    assert_eq!(
        tg_fixed_window_restore(&mut rebooted, page.as_ptr(), page.len(), 0),
        TG_OK
    );
    assert_eq!(tg_fixed_window_acquire(&mut rebooted, 1, 50, &mut d), TG_OK);
    assert_eq!(d.missed, 4);

    let mut missed = 9;
    assert_eq!(tg_fixed_window_take_missed(&mut w, &mut missed), TG_OK);
    assert_eq!(missed, 4);
    assert_eq!(tg_fixed_window_take_missed(&mut w, null_mut()), TG_E_NULL);
    assert_eq!(tg_fixed_window_acquire(&mut w, 1, t + 100, &mut d), TG_OK);
    assert_eq!(d.missed, 0, "taken once, not reported again");
    assert_eq!(tg_fixed_window_reset(&mut w), TG_OK);
    assert_eq!(
        tg_fixed_window_remaining(&w, t + 101, &mut remaining),
        TG_OK
    );
    assert_eq!(remaining, 2);
    assert_eq!(tg_fixed_window_deinit(&mut w), TG_OK);
    assert_eq!(tg_fixed_window_reset(&mut w), TG_E_UNINITIALIZED);
    assert_eq!(
        tg_fixed_window_take_missed(&mut w, &mut missed),
        TG_E_UNINITIALIZED
    );

    // Misaligned, copied, garbage and stale objects: refused or bounded.
    #[repr(C, align(16))]
    struct Buffer([u8; 128]);
    let mut buffer = Buffer([0; 128]);
    // SAFETY: within the buffer.
    let at = unsafe { buffer.0.as_mut_ptr().add(8) };
    assert_eq!(tg_fixed_window_init(at.cast(), &config), TG_E_MISALIGNED);
    assert_eq!(
        tg_fixed_window_acquire(at.cast(), 1, 0, &mut d),
        TG_E_MISALIGNED
    );
    assert!(buffer.0.iter().all(|b| *b == 0));
    let mut live = tg_fixed_window_t::new();
    assert_eq!(tg_fixed_window_init(&mut live, &config), TG_OK);
    let mut copy = copy_of(&live);
    assert_eq!(tg_fixed_window_reset(&mut copy), TG_E_MOVED);
    let mut garbage = tg_fixed_window_t {
        _opaque: filled(0xA5A5_A5A5_A5A5_A5A5),
    };
    assert_eq!(
        tg_fixed_window_acquire(&mut garbage, 1, 0, &mut d),
        TG_E_UNINITIALIZED
    );
    for body in BODIES {
        overwrite_body(&mut live, body);
        for now in [0, 1 << 40, u64::MAX] {
            for n in [0, 1, u32::MAX] {
                assert!(known(tg_fixed_window_acquire(&mut live, n, now, &mut d)));
            }
            assert!(known(tg_fixed_window_remaining(&live, now, &mut remaining)));
            assert!(known(tg_fixed_window_take_missed(&mut live, &mut missed)));
            assert!(known(tg_fixed_window_snapshot(
                &live,
                now,
                page.as_mut_ptr(),
                page.len()
            )));
        }
    }
}

#[test]
fn shaper_through_the_abi() {
    let mut config = tg_shaper_config_t {
        capacity: 0,
        tokens: 0,
        period_ticks: 0,
        max_wait_ticks: 0,
    };
    assert_eq!(tg_shaper_config_default(&mut config), TG_OK);
    assert_eq!(
        (
            config.capacity,
            config.tokens,
            config.period_ticks,
            config.max_wait_ticks
        ),
        (1, 10, 1_000, 2_000)
    );
    assert_eq!(tg_shaper_config_default(null_mut()), TG_E_NULL);
    assert_eq!(tg_shaper_config_check(&config), TG_OK);
    assert_eq!(tg_shaper_config_check(null()), TG_E_NULL);
    for (field, expected) in [
        (
            tg_shaper_config_t {
                capacity: 0,
                ..config
            },
            TG_E_CONFIG_ZERO_CAPACITY,
        ),
        (
            tg_shaper_config_t {
                tokens: 0,
                ..config
            },
            TG_E_CONFIG_ZERO_REFILL,
        ),
        (
            tg_shaper_config_t {
                period_ticks: 0,
                ..config
            },
            TG_E_CONFIG_PERIOD,
        ),
        (
            tg_shaper_config_t {
                max_wait_ticks: (1 << 62) + 1,
                ..config
            },
            TG_E_CONFIG_MAX_WAIT,
        ),
    ] {
        assert_eq!(tg_shaper_config_check(&field), expected);
    }
    let mut s = tg_shaper_t::new();
    let (mut send_at, mut retry_at) = (7u64, 9u64);
    assert_eq!(
        tg_shaper_schedule(&mut s, 1, 0, &mut send_at, &mut retry_at),
        TG_E_UNINITIALIZED
    );
    let config = tg_shaper_config_t {
        capacity: 1,
        tokens: 1,
        period_ticks: 100,
        max_wait_ticks: 250,
    };
    assert_eq!(tg_shaper_init(&mut s, &config), TG_OK);
    assert_eq!(tg_shaper_init(&mut s, &config), TG_E_ALREADY_INITIALIZED);
    assert_eq!(tg_shaper_init_ex(&mut s, &config, TG_INIT_REINIT), TG_OK);
    let t = 1u64 << 40;
    assert_eq!(
        tg_shaper_schedule(&mut s, 1, t, null_mut(), &mut retry_at),
        TG_E_NULL
    );
    for k in 0..3 {
        assert_eq!(
            tg_shaper_schedule(&mut s, 1, t, &mut send_at, null_mut()),
            TG_OK
        );
        assert_eq!(send_at, t + 100 * k);
    }
    send_at = 7;
    assert_eq!(
        tg_shaper_schedule(&mut s, 1, t, &mut send_at, &mut retry_at),
        TG_REFUSED
    );
    assert_eq!((send_at, retry_at), (7, t + 50));
    assert_eq!(
        tg_shaper_schedule(&mut s, 2, t, &mut send_at, &mut retry_at),
        TG_E_EXCEEDS_CAPACITY
    );
    let mut page = [0u8; TG_SHAPER_SNAPSHOT_SIZE];
    assert_eq!(
        tg_shaper_snapshot(&s, t, page.as_mut_ptr(), page.len()),
        TG_OK
    );
    let mut rebooted = tg_shaper_t::new();
    assert_eq!(tg_shaper_init(&mut rebooted, &config), TG_OK);
    assert_eq!(
        tg_shaper_restore(&mut rebooted, page.as_ptr(), page.len(), 0),
        TG_OK
    );
    assert_eq!(
        tg_shaper_schedule(&mut rebooted, 1, 50, &mut send_at, null_mut()),
        TG_OK
    );
    assert_eq!(send_at, 300);
    // A bucket's snapshot is another kind.
    let mut bucket = tg_bucket_t::new();
    assert_eq!(tg_bucket_init(&mut bucket, &BUCKET_CONFIG), TG_OK);
    let mut bucket_page = [0u8; TG_BUCKET_SNAPSHOT_SIZE];
    assert_eq!(
        tg_bucket_snapshot(&bucket, 0, bucket_page.as_mut_ptr(), bucket_page.len()),
        TG_OK
    );
    assert_eq!(
        tg_shaper_restore(&mut rebooted, bucket_page.as_ptr(), bucket_page.len(), 0),
        TG_E_SNAPSHOT_KIND
    );
    assert_eq!(tg_shaper_reset(&mut s), TG_OK);
    assert_eq!(
        tg_shaper_schedule(&mut s, 1, t, &mut send_at, null_mut()),
        TG_OK
    );
    assert_eq!(send_at, t);
    assert_eq!(tg_shaper_deinit(&mut s), TG_OK);
    assert_eq!(tg_shaper_reset(&mut s), TG_E_UNINITIALIZED);

    // Misaligned, copied, garbage and stale objects: refused or bounded.
    #[repr(C, align(16))]
    struct Buffer([u8; 160]);
    let mut buffer = Buffer([0; 160]);
    // SAFETY: within the buffer.
    let at = unsafe { buffer.0.as_mut_ptr().add(4) };
    assert_eq!(tg_shaper_init(at.cast(), &config), TG_E_MISALIGNED);
    assert_eq!(
        tg_shaper_schedule(at.cast(), 1, 0, &mut send_at, null_mut()),
        TG_E_MISALIGNED
    );
    assert!(buffer.0.iter().all(|b| *b == 0));
    let mut live = tg_shaper_t::new();
    assert_eq!(tg_shaper_init(&mut live, &config), TG_OK);
    let mut copy = copy_of(&live);
    assert_eq!(tg_shaper_reset(&mut copy), TG_E_MOVED);
    let mut garbage = tg_shaper_t {
        _opaque: filled(u64::MAX),
    };
    assert_eq!(tg_shaper_reset(&mut garbage), TG_E_UNINITIALIZED);
    for body in BODIES {
        overwrite_body(&mut live, body);
        for now in [0, 1 << 40, u64::MAX] {
            for n in [0, 1, 2, u32::MAX] {
                assert!(known(tg_shaper_schedule(
                    &mut live,
                    n,
                    now,
                    &mut send_at,
                    &mut retry_at
                )));
            }
            assert!(known(tg_shaper_snapshot(
                &live,
                now,
                page.as_mut_ptr(),
                page.len()
            )));
            assert!(known(tg_shaper_reset(&mut live)));
        }
    }
}

#[test]
fn sliding_window_through_the_abi() {
    let mut config = tg_sliding_window_config_t {
        limit: 0,
        window_ticks: 0,
    };
    assert_eq!(tg_sliding_window_config_default(&mut config), TG_OK);
    assert_eq!((config.limit, config.window_ticks), (100, 60_000));
    assert_eq!(tg_sliding_window_config_default(null_mut()), TG_E_NULL);
    assert_eq!(tg_sliding_window_config_check(&config), TG_OK);
    assert_eq!(tg_sliding_window_config_check(null()), TG_E_NULL);
    let no_limit = tg_sliding_window_config_t { limit: 0, ..config };
    let no_window = tg_sliding_window_config_t {
        window_ticks: 0,
        ..config
    };
    assert_eq!(tg_sliding_window_config_check(&no_limit), TG_E_CONFIG_LIMIT);
    assert_eq!(
        tg_sliding_window_config_check(&no_window),
        TG_E_CONFIG_WINDOW
    );
    let mut w = tg_sliding_window_t::new();
    let mut retry_at = 9;
    assert_eq!(
        tg_sliding_window_acquire(&mut w, 1, 0, &mut retry_at),
        TG_E_UNINITIALIZED
    );
    assert_eq!(
        tg_sliding_window_init(&mut w, &no_window),
        TG_E_CONFIG_WINDOW
    );
    let config = tg_sliding_window_config_t {
        limit: 10,
        window_ticks: 1_000,
    };
    assert_eq!(tg_sliding_window_init(&mut w, &config), TG_OK);
    assert_eq!(
        tg_sliding_window_init(&mut w, &config),
        TG_E_ALREADY_INITIALIZED
    );
    assert_eq!(
        tg_sliding_window_init_ex(&mut w, &config, TG_INIT_REINIT),
        TG_OK
    );
    assert_eq!(tg_sliding_window_acquire(&mut w, 10, 0, null_mut()), TG_OK);
    assert_eq!(
        tg_sliding_window_acquire(&mut w, 1, 0, &mut retry_at),
        TG_REFUSED
    );
    assert_eq!(retry_at, 1_100);
    assert_eq!(
        tg_sliding_window_acquire(&mut w, 11, 0, &mut retry_at),
        TG_E_EXCEEDS_CAPACITY
    );
    let mut available = 0;
    assert_eq!(
        tg_sliding_window_available(&w, 1_500, &mut available),
        TG_OK
    );
    assert_eq!(available, 5);
    assert_eq!(tg_sliding_window_available(&w, 0, null_mut()), TG_E_NULL);
    let mut page = [0u8; TG_SLIDING_WINDOW_SNAPSHOT_SIZE];
    assert_eq!(
        tg_sliding_window_snapshot(&w, 500, page.as_mut_ptr(), page.len()),
        TG_OK
    );
    let mut rebooted = tg_sliding_window_t::new();
    assert_eq!(tg_sliding_window_init(&mut rebooted, &config), TG_OK);
    assert_eq!(
        tg_sliding_window_restore(&mut rebooted, page.as_ptr(), page.len(), 500),
        TG_OK
    );
    assert_eq!(
        tg_sliding_window_available(&rebooted, 1_500, &mut available),
        TG_OK
    );
    assert_eq!(available, 5);
    assert_eq!(tg_sliding_window_reset(&mut w), TG_OK);
    assert_eq!(tg_sliding_window_available(&w, 0, &mut available), TG_OK);
    assert_eq!(available, 10);
    assert_eq!(tg_sliding_window_deinit(&mut w), TG_OK);
    assert_eq!(tg_sliding_window_reset(&mut w), TG_E_UNINITIALIZED);

    #[repr(C, align(16))]
    struct Buffer([u8; 128]);
    let mut buffer = Buffer([0; 128]);
    // SAFETY: within the buffer.
    let at = unsafe { buffer.0.as_mut_ptr().add(12) };
    assert_eq!(tg_sliding_window_init(at.cast(), &config), TG_E_MISALIGNED);
    assert_eq!(
        tg_sliding_window_acquire(at.cast(), 1, 0, null_mut()),
        TG_E_MISALIGNED
    );
    assert!(buffer.0.iter().all(|b| *b == 0));
    let mut live = tg_sliding_window_t::new();
    assert_eq!(tg_sliding_window_init(&mut live, &config), TG_OK);
    let mut copy = copy_of(&live);
    assert_eq!(tg_sliding_window_reset(&mut copy), TG_E_MOVED);
    for body in BODIES {
        overwrite_body(&mut live, body);
        for now in [0, 1 << 40, u64::MAX] {
            for n in [0, 1, 2, u32::MAX] {
                assert!(known(tg_sliding_window_acquire(
                    &mut live,
                    n,
                    now,
                    &mut retry_at
                )));
            }
            assert!(known(tg_sliding_window_available(
                &live,
                now,
                &mut available
            )));
            assert!(known(tg_sliding_window_snapshot(
                &live,
                now,
                page.as_mut_ptr(),
                page.len()
            )));
            assert!(known(tg_sliding_window_reset(&mut live)));
        }
    }
}

#[test]
fn bulkhead_through_the_abi() {
    let mut config = tg_bulkhead_config_t {
        max_concurrent: 0,
        max_wait_ticks: 9,
    };
    assert_eq!(tg_bulkhead_config_default(&mut config), TG_OK);
    assert_eq!((config.max_concurrent, config.max_wait_ticks), (25, 0));
    assert_eq!(tg_bulkhead_config_default(null_mut()), TG_E_NULL);
    assert_eq!(tg_bulkhead_config_check(&config), TG_OK);
    assert_eq!(tg_bulkhead_config_check(null()), TG_E_NULL);
    for (bad, expected) in [
        (
            tg_bulkhead_config_t {
                max_concurrent: 0,
                ..config
            },
            TG_E_CONFIG_MAX_CONCURRENT,
        ),
        (
            tg_bulkhead_config_t {
                max_concurrent: 65,
                ..config
            },
            TG_E_CONFIG_MAX_CONCURRENT,
        ),
        (
            tg_bulkhead_config_t {
                max_wait_ticks: (1 << 62) + 1,
                ..config
            },
            TG_E_CONFIG_MAX_WAIT,
        ),
    ] {
        assert_eq!(tg_bulkhead_config_check(&bad), expected);
    }
    let mut b = tg_bulkhead_t::new();
    let (mut permit, mut wait_until, mut in_flight) = (7u32, 9u64, 5u32);
    assert_eq!(
        tg_bulkhead_acquire(&mut b, 0, &mut permit, &mut wait_until),
        TG_E_UNINITIALIZED
    );
    let config = tg_bulkhead_config_t {
        max_concurrent: 2,
        max_wait_ticks: 100,
    };
    assert_eq!(tg_bulkhead_init(&mut b, &config), TG_OK);
    assert_eq!(tg_bulkhead_init(&mut b, &config), TG_E_ALREADY_INITIALIZED);
    assert_eq!(
        tg_bulkhead_acquire(&mut b, 0, null_mut(), null_mut()),
        TG_E_NULL
    );
    let (mut first, mut second) = (0, 0);
    assert_eq!(
        tg_bulkhead_acquire(&mut b, 0, &mut first, null_mut()),
        TG_OK
    );
    assert_eq!(
        tg_bulkhead_acquire(&mut b, 0, &mut second, null_mut()),
        TG_OK
    );
    assert!(first != 0 && second != 0 && first != second);
    permit = 7;
    assert_eq!(
        tg_bulkhead_acquire(&mut b, 50, &mut permit, &mut wait_until),
        TG_REFUSED
    );
    assert_eq!((permit, wait_until), (7, 150));
    assert_eq!(tg_bulkhead_in_flight(&b, &mut in_flight), TG_OK);
    assert_eq!(in_flight, 2);
    assert_eq!(tg_bulkhead_in_flight(&b, null_mut()), TG_E_NULL);
    // Another bulkhead's permit is refused: its address tag differs.
    let mut other = tg_bulkhead_t::new();
    assert_eq!(tg_bulkhead_init(&mut other, &config), TG_OK);
    let mut foreign = 0;
    assert_eq!(
        tg_bulkhead_acquire(&mut other, 0, &mut foreign, null_mut()),
        TG_OK
    );
    assert_eq!(tg_bulkhead_release(&mut b, foreign), TG_E_NOT_HELD);
    assert_eq!(tg_bulkhead_release(&mut b, 0), TG_E_NOT_HELD);
    assert_eq!(tg_bulkhead_release(&mut b, first), TG_OK);
    assert_eq!(tg_bulkhead_release(&mut b, first), TG_E_NOT_HELD);
    assert_eq!(tg_bulkhead_in_flight(&b, &mut in_flight), TG_OK);
    assert_eq!(in_flight, 1);
    assert_eq!(tg_bulkhead_reset(&mut b), TG_OK);
    assert_eq!(tg_bulkhead_release(&mut b, second), TG_E_NOT_HELD);
    assert_eq!(tg_bulkhead_in_flight(&b, &mut in_flight), TG_OK);
    assert_eq!(in_flight, 0);
    assert_eq!(tg_bulkhead_deinit(&mut b), TG_OK);
    assert_eq!(tg_bulkhead_release(&mut b, second), TG_E_UNINITIALIZED);

    #[repr(C, align(16))]
    struct Buffer([u8; 128]);
    let mut buffer = Buffer([0; 128]);
    // SAFETY: within the buffer.
    let at = unsafe { buffer.0.as_mut_ptr().add(8) };
    assert_eq!(tg_bulkhead_init(at.cast(), &config), TG_E_MISALIGNED);
    assert_eq!(tg_bulkhead_release(at.cast(), first), TG_E_MISALIGNED);
    assert!(buffer.0.iter().all(|b| *b == 0));
    let mut live = tg_bulkhead_t::new();
    assert_eq!(tg_bulkhead_init(&mut live, &config), TG_OK);
    let mut copy = copy_of(&live);
    assert_eq!(tg_bulkhead_reset(&mut copy), TG_E_MOVED);
    for body in BODIES {
        overwrite_body(&mut live, body);
        for now in [0, 1 << 40, u64::MAX] {
            assert!(known(tg_bulkhead_acquire(
                &mut live,
                now,
                &mut permit,
                &mut wait_until
            )));
            assert!(known(tg_bulkhead_release(&mut live, permit)));
            assert!(known(tg_bulkhead_release(&mut live, u32::MAX)));
            assert!(known(tg_bulkhead_in_flight(&live, &mut in_flight)));
            assert!(in_flight <= 64);
            assert!(known(tg_bulkhead_reset(&mut live)));
        }
    }
}

#[repr(C)]
struct KeyedTable<const N: usize> {
    table: tg_keyed_table_t,
    entries: [tg_keyed_entry_t; N],
}

fn keyed_table<const N: usize>() -> Box<KeyedTable<N>> {
    Box::new(KeyedTable {
        table: tg_keyed_table_t::new(),
        entries: [const {
            tg_keyed_entry_t {
                _opaque: [const { core::cell::UnsafeCell::new(core::mem::MaybeUninit::new(0xA5A5)) };
                    2],
            }
        }; N],
    })
}

#[test]
fn keyed_table_through_the_abi() {
    let limit = tg_bucket_config_t {
        capacity: 2,
        tokens: 1,
        period_ticks: 100,
        initial_fill: TG_BUCKET_FULL,
    };
    let mut t = keyed_table::<1>();
    let (table, entries) = (&mut t.table as *mut _, t.entries.as_mut_ptr());
    let mut retry_at = 0;
    assert_eq!(
        tg_keyed_acquire_u64(table, entries, 1, 5, 1, 0, &mut retry_at),
        TG_E_UNINITIALIZED
    );
    assert_eq!(
        tg_keyed_init(table, entries, 0, &limit, 1, 2, TG_INIT_DEFAULT),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_keyed_init(table, null_mut(), 1, &limit, 1, 2, TG_INIT_DEFAULT),
        TG_E_NULL
    );
    let bad = tg_bucket_config_t {
        capacity: 0,
        ..limit
    };
    assert_eq!(
        tg_keyed_init(table, entries, 1, &bad, 1, 2, TG_INIT_DEFAULT),
        TG_E_CONFIG_ZERO_CAPACITY
    );
    assert_eq!(
        tg_keyed_init(table, entries, 1, &limit, 1, 2, TG_INIT_DEFAULT),
        TG_OK
    );
    assert_eq!(
        tg_keyed_init(table, entries, 1, &limit, 1, 2, TG_INIT_DEFAULT),
        TG_E_ALREADY_INITIALIZED
    );
    // One entry: the second key waits for the first to be full again.
    assert_eq!(
        tg_keyed_acquire_u64(table, entries, 1, 5, 1, 0, null_mut()),
        TG_OK
    );
    assert_eq!(
        tg_keyed_acquire_u64(table, entries, 1, 6, 1, 10, &mut retry_at),
        TG_TABLE_FULL
    );
    assert_eq!(retry_at, 100);
    assert_eq!(
        tg_keyed_acquire_u64(table, entries, 1, 5, 2, 10, &mut retry_at),
        TG_REFUSED
    );
    assert_eq!(retry_at, 100);
    assert_eq!(
        tg_keyed_acquire_u64(table, entries, 1, 5, 3, 10, &mut retry_at),
        TG_E_EXCEEDS_CAPACITY
    );
    let mut available = 9;
    assert_eq!(
        tg_keyed_available_u64(table, entries, 1, 6, 10, &mut available),
        TG_OK
    );
    assert_eq!(available, 0);
    assert_eq!(
        tg_keyed_available_u64(table, entries, 1, 6, 100, &mut available),
        TG_OK
    );
    assert_eq!(available, 2);
    let mut limiting = 9;
    assert_eq!(
        tg_keyed_limiting(table, entries, 1, 10, &mut limiting),
        TG_OK
    );
    assert_eq!(limiting, 1);
    assert_eq!(
        tg_keyed_acquire_u64(table, entries, 1, 6, 2, 100, null_mut()),
        TG_OK
    );
    // Byte keys.
    let key = b"2001:db8::1";
    assert_eq!(
        tg_keyed_acquire_bytes(
            table,
            entries,
            1,
            key.as_ptr(),
            key.len(),
            1,
            150,
            &mut retry_at
        ),
        TG_TABLE_FULL
    );
    assert_eq!(
        tg_keyed_acquire_bytes(
            table,
            entries,
            1,
            key.as_ptr(),
            TG_KEYED_MAX_KEY_BYTES + 1,
            1,
            150,
            null_mut()
        ),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_keyed_acquire_bytes(table, entries, 1, null(), 0, 1, 150, null_mut()),
        TG_E_NULL
    );
    assert_eq!(
        tg_keyed_available_bytes(
            table,
            entries,
            1,
            key.as_ptr(),
            key.len(),
            300,
            &mut available
        ),
        TG_OK
    );
    assert_eq!(available, 2);
    // A snapshot of the one-entry table through the C ABI (records copied
    // to and from the caller's bytes by pointer: Miri checks the copies).
    let mut saved = [0u8; 12 + 21];
    assert_eq!(
        tg_keyed_snapshot(table, entries, 1, 300, saved.as_mut_ptr(), saved.len() - 1),
        TG_E_SNAPSHOT_BUFFER
    );
    assert_eq!(
        tg_keyed_snapshot(table, entries, 1, 300, saved.as_mut_ptr(), saved.len()),
        TG_OK
    );
    let mut copy = keyed_table::<1>();
    let (restored, restored_entries) = (&mut copy.table as *mut _, copy.entries.as_mut_ptr());
    assert_eq!(
        tg_keyed_init(restored, restored_entries, 1, &limit, 1, 2, TG_INIT_DEFAULT),
        TG_OK
    );
    assert_eq!(
        tg_keyed_restore(
            restored,
            restored_entries,
            1,
            saved.as_ptr(),
            saved.len(),
            300
        ),
        TG_OK
    );
    let (mut before, mut after) = (0, 0);
    for (t, e, out) in [
        (table, entries, &mut before),
        (restored, restored_entries, &mut after),
    ] {
        assert_eq!(
            tg_keyed_available_bytes(t, e, 1, key.as_ptr(), key.len(), 300, out),
            TG_OK
        );
    }
    assert_eq!(before, after);
    // Reconfigured live: the key's tokens carried (2 of 2 at tick 300 is a
    // full bucket: as good as absent, so the key returns with the new
    // capacity); a configuration error or a foreign entry array changes
    // nothing.
    let wider = tg_bucket_config_t {
        capacity: 5,
        ..limit
    };
    assert_eq!(tg_keyed_reconfigure(table, entries, 1, &wider, 300), TG_OK);
    assert_eq!(
        tg_keyed_available_bytes(
            table,
            entries,
            1,
            key.as_ptr(),
            key.len(),
            300,
            &mut available
        ),
        TG_OK
    );
    assert_eq!(available, 5);
    assert_eq!(
        tg_keyed_reconfigure(table, entries, 1, &bad, 300),
        TG_E_CONFIG_ZERO_CAPACITY
    );
    assert_eq!(
        tg_keyed_reconfigure(table, restored_entries, 1, &wider, 300),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_keyed_reconfigure(table, entries, 1, null(), 300),
        TG_E_NULL
    );
    saved[9] ^= 0x10;
    assert_eq!(
        tg_keyed_restore(
            restored,
            restored_entries,
            1,
            saved.as_ptr(),
            saved.len(),
            300
        ),
        TG_E_SNAPSHOT_CORRUPT
    );
    // Entries and count must be the table's own.
    let mut other = keyed_table::<1>();
    assert_eq!(
        tg_keyed_acquire_u64(table, other.entries.as_mut_ptr(), 1, 5, 1, 0, null_mut()),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_keyed_acquire_u64(table, entries, 2, 5, 1, 0, null_mut()),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_keyed_acquire_u64(table, null_mut(), 1, 5, 1, 0, null_mut()),
        TG_E_NULL
    );
    assert_eq!(
        tg_keyed_limiting(table, entries, 1, 0, null_mut()),
        TG_E_NULL
    );
    assert_eq!(tg_keyed_reset(table, entries, 1), TG_OK);
    assert_eq!(
        tg_keyed_limiting(table, entries, 1, 150, &mut limiting),
        TG_OK
    );
    assert_eq!(limiting, 0);
    // A copy of the header is refused.
    let mut copy = copy_of(&t.table);
    assert_eq!(tg_keyed_reset(&mut copy, entries, 1), TG_E_MOVED);
    assert_eq!(tg_keyed_deinit(table), TG_OK);
    assert_eq!(tg_keyed_reset(table, entries, 1), TG_E_UNINITIALIZED);

    // Many keys, garbage entries after init are bounded.
    let mut big = keyed_table::<64>();
    let (table, entries) = (&mut big.table as *mut _, big.entries.as_mut_ptr());
    assert_eq!(
        tg_keyed_init(table, entries, 64, &limit, 7, 8, TG_INIT_DEFAULT),
        TG_OK
    );
    let granted = (0..32u64)
        .filter(|key| tg_keyed_acquire_u64(table, entries, 64, *key, 1, 0, null_mut()) == TG_OK)
        .count();
    assert!(granted >= 20, "{granted}");
    for fill in [0u8, 0xFF, 0x5A] {
        // SAFETY: the entries are plain words in this test's own memory.
        unsafe { core::ptr::write_bytes(entries.cast::<u8>(), fill, 64 * 16) };
        for now in [0, 1 << 40, u64::MAX] {
            for key in 0..8u64 {
                assert!(known(tg_keyed_acquire_u64(
                    table,
                    entries,
                    64,
                    key,
                    1,
                    now,
                    &mut retry_at
                )));
                assert!(known(tg_keyed_available_u64(
                    table,
                    entries,
                    64,
                    key,
                    now,
                    &mut available
                )));
            }
            assert!(known(tg_keyed_limiting(
                table,
                entries,
                64,
                now,
                &mut limiting
            )));
        }
    }
    drop(other);
}

#[repr(C)]
struct SlidingLogStorage<const N: usize> {
    log: tg_sliding_log_t,
    entries: [tg_sliding_log_entry_t; N],
}

fn sliding_log<const N: usize>(fill: u64) -> Box<SlidingLogStorage<N>> {
    Box::new(SlidingLogStorage {
        log: tg_sliding_log_t::new(),
        entries: core::array::from_fn(|_| tg_sliding_log_entry_t {
            _opaque: [const { core::cell::UnsafeCell::new(core::mem::MaybeUninit::new(0)) }; 2],
        }),
    })
    .tap_fill(fill)
}

trait TapFill {
    fn tap_fill(self, fill: u64) -> Self;
}

impl<const N: usize> TapFill for Box<SlidingLogStorage<N>> {
    /// Entries holding `fill` in every word (what init must overwrite).
    fn tap_fill(mut self, fill: u64) -> Self {
        for entry in &mut self.entries {
            for word in &mut entry._opaque {
                *word.get_mut() = core::mem::MaybeUninit::new(fill);
            }
        }
        self
    }
}

#[test]
fn sliding_log_through_the_abi() {
    let config = tg_sliding_log_config_t {
        window_ticks: 1_000,
    };
    let mut s = sliding_log::<3>(0xA5A5_A5A5_A5A5_A5A5);
    let (log, entries) = (&mut s.log as *mut _, s.entries.as_mut_ptr());
    let mut retry_at = 0;
    assert_eq!(
        tg_sliding_log_acquire(log, entries, 3, 0, &mut retry_at),
        TG_E_UNINITIALIZED
    );
    assert_eq!(
        tg_sliding_log_init(log, entries, 0, &config, TG_INIT_DEFAULT),
        TG_E_CONFIG_LIMIT
    );
    assert_eq!(
        tg_sliding_log_init(
            log,
            entries.wrapping_byte_add(8),
            3,
            &config,
            TG_INIT_DEFAULT
        ),
        TG_E_MISALIGNED
    );
    assert_eq!(
        tg_sliding_log_init(log, entries, 3, &config, TG_INIT_DEFAULT),
        TG_OK
    );
    for now in [0, 10, 20] {
        assert_eq!(
            tg_sliding_log_acquire(log, entries, 3, now, null_mut()),
            TG_OK
        );
    }
    assert_eq!(
        tg_sliding_log_acquire(log, entries, 3, 999, &mut retry_at),
        TG_REFUSED
    );
    assert_eq!(retry_at, 1_000);
    let mut available = 9;
    assert_eq!(
        tg_sliding_log_available(log, entries, 3, 1_015, &mut available),
        TG_OK
    );
    assert_eq!(available, 2);
    // A stale object: a live header over entries overwritten with garbage.
    // Calls return (no hang, no panic), and a reset heals it.
    s = s.tap_fill(u64::MAX);
    let (log, entries) = (&mut s.log as *mut _, s.entries.as_mut_ptr());
    for now in 0..10 {
        let status = tg_sliding_log_acquire(log, entries, 3, now, &mut retry_at);
        assert!(status == TG_OK || status == TG_REFUSED);
    }
    assert_eq!(tg_sliding_log_reset(log, entries, 3), TG_OK);
    assert_eq!(
        tg_sliding_log_available(log, entries, 3, 0, &mut available),
        TG_OK
    );
    assert_eq!(available, 3);
    assert_eq!(tg_sliding_log_deinit(log), TG_OK);
}

#[test]
fn a_shared_sliding_log_is_found_at_another_address() {
    let config = tg_sliding_log_config_t { window_ticks: 100 };
    let mut s = sliding_log::<2>(0);
    let (log, entries) = (&mut s.log as *mut _, s.entries.as_mut_ptr());
    assert_eq!(
        tg_sliding_log_init(log, entries, 2, &config, TG_INIT_SHARED),
        TG_OK
    );
    assert_eq!(
        tg_sliding_log_acquire(log, entries, 2, 0, null_mut()),
        TG_OK
    );
    // Another process maps the same bytes elsewhere: the copy is the log.
    let mut mapped: Box<SlidingLogStorage<2>> = sliding_log::<2>(0);
    // SAFETY: both are plain storage of the same type; the copy stands for
    // a second mapping of the same memory.
    unsafe { core::ptr::copy_nonoverlapping(&*s, &mut *mapped, 1) };
    let (log, entries) = (&mut mapped.log as *mut _, mapped.entries.as_mut_ptr());
    assert_eq!(
        tg_sliding_log_acquire(log, entries, 2, 5, null_mut()),
        TG_OK
    );
    assert_eq!(
        tg_sliding_log_acquire(log, entries, 2, 5, null_mut()),
        TG_REFUSED
    );
    assert_eq!(
        tg_sliding_log_acquire(log, entries, 3, 5, null_mut()),
        TG_E_INVALID_ARGUMENT
    );
}

#[test]
fn adaptive_limit_through_the_abi() {
    let config = tg_adaptive_config_t {
        initial_limit: 2,
        min_limit: 1,
        max_limit: 4,
        backoff_milli: 500,
        slow_latency_ticks: 100,
        max_wait_ticks: 0,
    };
    let mut a = Box::new(tg_adaptive_t::new());
    let a = &mut *a as *mut tg_adaptive_t;
    assert_eq!(tg_adaptive_init(a, &config), TG_OK);
    let (mut first, mut second, mut third) = (0, 0, 7);
    assert_eq!(tg_adaptive_acquire(a, 0, &mut first, null_mut()), TG_OK);
    assert_eq!(tg_adaptive_acquire(a, 0, &mut second, null_mut()), TG_OK);
    let mut wait_until = 9;
    assert_eq!(
        tg_adaptive_acquire(a, 0, &mut third, &mut wait_until),
        TG_REFUSED
    );
    assert_eq!((third, wait_until), (7, 0));
    // An unknown sample releases nothing.
    assert_eq!(
        tg_adaptive_release(a, first, 9, 0, null_mut()),
        TG_E_INVALID_ARGUMENT
    );
    let mut change = tg_limit_change_t {
        changed: false,
        from: 0,
        to: 0,
    };
    assert_eq!(
        tg_adaptive_release(a, first, TG_SAMPLE_DROPPED, 0, &mut change),
        TG_OK
    );
    assert!(change.changed && change.from == 2 && change.to == 1);
    // Made-up permits are refused whatever their bits.
    for raw in [0, 1, u32::MAX, first, first ^ (1 << 22), second ^ 1] {
        assert_eq!(
            tg_adaptive_release(a, raw, TG_SAMPLE_DONE, 0, null_mut()),
            TG_E_NOT_HELD,
            "{raw:#x}"
        );
    }
    let (mut limit, mut in_flight) = (0, 0);
    assert_eq!(tg_adaptive_state(a, &mut limit, &mut in_flight), TG_OK);
    assert_eq!((limit, in_flight), (1, 1));
    assert_eq!(
        tg_adaptive_release(a, second, TG_SAMPLE_IGNORED, 0, &mut change),
        TG_OK
    );
    assert!(!change.changed);
    // Reconfigured live: the learned 1 clamped into 2..=4; 4 slots laid
    // out, so no more; a reconfiguration under way makes another busy.
    let floor_two = tg_adaptive_config_t {
        min_limit: 2,
        ..config
    };
    assert_eq!(tg_adaptive_reconfigure(a, &floor_two), TG_OK);
    assert_eq!(tg_adaptive_state(a, &mut limit, null_mut()), TG_OK);
    assert_eq!(limit, 2);
    let too_wide = tg_adaptive_config_t {
        max_limit: 5,
        ..config
    };
    assert_eq!(
        tg_adaptive_reconfigure(a, &too_wide),
        TG_E_CONFIG_ADAPTIVE_LIMITS
    );
    assert_eq!(tg_adaptive_reconfigure(a, null()), TG_E_NULL);
    assert_eq!(tg_adaptive_deinit(a), TG_OK);
    assert_eq!(tg_adaptive_reconfigure(a, &config), TG_E_UNINITIALIZED);
    assert_eq!(
        tg_adaptive_state(a, &mut limit, &mut in_flight),
        TG_E_UNINITIALIZED
    );
}

#[repr(C)]
struct KeyedWindowsTable<const N: usize> {
    table: tg_keyed_windows_t,
    entries: [tg_keyed_entry_t; N],
}

#[test]
fn keyed_windows_through_the_abi() {
    let config = tg_sliding_window_config_t {
        limit: 2,
        window_ticks: 100,
    };
    let mut t = Box::new(KeyedWindowsTable::<2> {
        table: tg_keyed_windows_t::new(),
        entries: [const {
            tg_keyed_entry_t {
                _opaque: [const { core::cell::UnsafeCell::new(core::mem::MaybeUninit::new(0x5A5A)) };
                    2],
            }
        }; 2],
    });
    let (table, entries) = (&mut t.table as *mut _, t.entries.as_mut_ptr());
    assert_eq!(
        tg_keyed_windows_init(table, entries, 2, &config, 1, 2, TG_INIT_DEFAULT),
        TG_OK
    );
    let mut limiting = 9;
    assert_eq!(
        tg_keyed_windows_limiting(table, entries, 2, 0, &mut limiting),
        TG_OK
    );
    assert_eq!(limiting, 0, "init empties garbage entries");
    assert_eq!(
        tg_keyed_windows_acquire_u64(table, entries, 2, 77, 2, 0, null_mut()),
        TG_OK
    );
    let mut retry_at = 0;
    assert_eq!(
        tg_keyed_windows_acquire_u64(table, entries, 2, 77, 1, 10, &mut retry_at),
        TG_REFUSED
    );
    assert_eq!(retry_at, 150);
    // A keyed bucket table's functions refuse a windows header (another
    // magic), and the reverse.
    let as_buckets = table.cast::<tg_keyed_table_t>();
    assert_eq!(
        tg_keyed_acquire_u64(as_buckets, entries, 2, 77, 1, 10, null_mut()),
        TG_E_UNINITIALIZED
    );
    assert_eq!(tg_keyed_windows_deinit(table), TG_OK);
}

#[test]
fn sliding_log_snapshots_through_the_abi() {
    let config = tg_sliding_log_config_t { window_ticks: 100 };
    let mut big = sliding_log::<65>(0);
    let (log, entries) = (&mut big.log as *mut _, big.entries.as_mut_ptr());
    assert_eq!(
        tg_sliding_log_init(log, entries, 65, &config, TG_INIT_DEFAULT),
        TG_OK
    );
    let mut out = [0u8; 1024];
    // Above the largest log the ABI snapshots.
    assert_eq!(
        tg_sliding_log_snapshot(log, entries, 65, 0, out.as_mut_ptr(), out.len()),
        TG_E_INVALID_ARGUMENT
    );
    let mut s = sliding_log::<64>(0);
    let (log, entries) = (&mut s.log as *mut _, s.entries.as_mut_ptr());
    assert_eq!(
        tg_sliding_log_init(log, entries, 64, &config, TG_INIT_DEFAULT),
        TG_OK
    );
    for t in 0..64 {
        assert_eq!(
            tg_sliding_log_acquire(log, entries, 64, 1_000 + t, null_mut()),
            TG_OK
        );
    }
    assert_eq!(
        tg_sliding_log_snapshot(log, entries, 64, 1_063, out.as_mut_ptr(), out.len()),
        TG_OK
    );
    let size = 16 + 8 * 64;
    assert!(
        out[size..].iter().all(|&b| b == 0),
        "exactly its size written"
    );
    let mut other = sliding_log::<64>(0);
    let (log, entries) = (&mut other.log as *mut _, other.entries.as_mut_ptr());
    assert_eq!(
        tg_sliding_log_init(log, entries, 64, &config, TG_INIT_DEFAULT),
        TG_OK
    );
    // A longer input is judged too long; the exact one restores.
    assert_eq!(
        tg_sliding_log_restore(log, entries, 64, out.as_ptr(), size + 1, 63),
        TG_E_SNAPSHOT_TRUNCATED
    );
    assert_eq!(
        tg_sliding_log_restore(log, entries, 64, out.as_ptr(), size, 63),
        TG_OK
    );
    let mut retry_at = 0;
    assert_eq!(
        tg_sliding_log_acquire(log, entries, 64, 63, &mut retry_at),
        TG_REFUSED
    );
    assert_eq!(retry_at, 100);
}

/// A trip rule for the tests: gobreaker's ratio example (3 calls, 60 %).
extern "C" fn ratio_rule(_: u32, calls: u32, failures: u32, _: usize) -> bool {
    calls >= 3 && failures * 10 >= calls * 6
}

/// A word behind the cell callbacks, for Miri: the callbacks are called
/// with the context and pointers the library passes. Shared (`Cell`
/// fields), so the test changes it while the cell points at it.
struct HeldCell {
    word: core::cell::Cell<tg_cell_word_t>,
    /// Compare-and-sets to refuse as conflicts (the word unchanged).
    conflicts: core::cell::Cell<u32>,
    fail: core::cell::Cell<bool>,
}

unsafe extern "C" fn held_load(context: *mut core::ffi::c_void, out: *mut tg_cell_word_t) -> i32 {
    // SAFETY: the test passes a live `HeldCell`, used only through shared
    // references; `out` is the library's live word.
    let cell = unsafe { &*context.cast_const().cast::<HeldCell>() };
    if cell.fail.get() {
        return -1;
    }
    // SAFETY: as above.
    unsafe { out.write(cell.word.get()) };
    0
}

unsafe extern "C" fn held_compare_and_set(
    context: *mut core::ffi::c_void,
    expected: tg_cell_word_t,
    desired: tg_cell_word_t,
    found: *mut tg_cell_word_t,
) -> i32 {
    // SAFETY: as in `held_load`.
    let cell = unsafe { &*context.cast_const().cast::<HeldCell>() };
    let spurious = cell.conflicts.get() > 0;
    if spurious {
        cell.conflicts.set(cell.conflicts.get() - 1);
    }
    if spurious || cell.word.get() != expected {
        // SAFETY: as in `held_load`.
        unsafe { found.write(cell.word.get()) };
        return 1;
    }
    cell.word.set(desired);
    0
}

#[test]
fn cells_through_the_abi() {
    let held = HeldCell {
        word: core::cell::Cell::new(tg_cell_word_t::default()),
        conflicts: core::cell::Cell::new(1),
        fail: core::cell::Cell::new(false),
    };
    let cell = tg_cell_t {
        context: (&raw const held).cast_mut().cast(),
        load: Some(held_load),
        compare_and_set: Some(held_compare_and_set),
        max_attempts: 3,
    };
    let config = tg_bucket_config_t {
        capacity: 2,
        tokens: 1,
        period_ticks: 10,
        initial_fill: TG_BUCKET_FULL,
    };
    let mut retry_at = 0;
    assert_eq!(
        tg_bucket_cell_acquire(&config, &cell, 2, 0, &mut retry_at),
        TG_OK
    );
    assert_eq!(
        tg_bucket_cell_acquire(&config, &cell, 1, 0, &mut retry_at),
        TG_REFUSED
    );
    assert_eq!(retry_at, 10);
    held.conflicts.set(10);
    assert_eq!(
        tg_bucket_cell_acquire(&config, &cell, 1, 50, null_mut()),
        TG_E_CONTENDED
    );
    held.conflicts.set(0);
    held.fail.set(true);
    assert_eq!(
        tg_bucket_cell_acquire(&config, &cell, 1, 50, null_mut()),
        TG_E_CELL
    );
    held.fail.set(false);
    let breaker = tg_breaker_config_t {
        failure_threshold: 1,
        ..BREAKER_CONFIG
    };
    let mut decision = tg_breaker_decision_t {
        permit: tg_permit_t {
            acquired_at: 0,
            token: 0,
        },
        has_retry_at: false,
        retry_at: 0,
        transition: tg_transition_t {
            changed: false,
            from: 0,
            to: 0,
        },
    };
    held.word.set(tg_cell_word_t::default());
    assert_eq!(
        tg_breaker_cell_acquire(&breaker, &cell, 5, &mut decision),
        TG_OK
    );
    let mut recorded = tg_record_t {
        counted: false,
        transition: decision.transition,
    };
    assert_eq!(
        tg_breaker_cell_record(
            &breaker,
            &cell,
            decision.permit,
            TG_OUTCOME_FAILURE,
            6,
            &mut recorded
        ),
        TG_OK
    );
    assert!(recorded.counted && recorded.transition.to == TG_STATE_OPEN);
    let mut prefix = [0 as core::ffi::c_char; TG_CELL_PREFIX_MAX];
    let mut len = 0;
    assert_eq!(
        tg_bucket_cell_prefix(&config, prefix.as_mut_ptr(), prefix.len(), &mut len),
        TG_OK
    );
    assert_eq!(prefix[len], 0);
    assert_eq!(
        tg_bucket_cell_prefix(&config, prefix.as_mut_ptr(), 3, &mut len),
        TG_E_INVALID_ARGUMENT
    );
    assert_eq!(
        tg_breaker_cell_prefix(&breaker, prefix.as_mut_ptr(), prefix.len(), null_mut()),
        TG_OK
    );
    assert_eq!(
        tg_bucket_cell_acquire(&config, null(), 1, 0, null_mut()),
        TG_E_NULL
    );
    // SAFETY: `tg_redis_script` returns a static NUL-terminated string.
    let script = unsafe { core::ffi::CStr::from_ptr(tg_redis_script()) };
    assert!(script.to_bytes().starts_with(b"-- tickguard-redis"));
}
