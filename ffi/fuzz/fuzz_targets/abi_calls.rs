//! Bytes decoded into call sequences over the whole C ABI, on a few objects
//! (breakers, buckets, fixed and sliding windows, shapers, bulkheads, an
//! extender,
//! copies of them,
//! misaligned views), with
//! lagging and garbage ticks, permits, outcomes, flags and configurations.
//! Checked on every call: the status is one the library documents, outputs
//! are written only when the status says so, decisions are well formed.
#![no_main]

use core::ptr::null_mut;

use libfuzzer_sys::fuzz_target;
use tickguard_ffi::*;

const KNOWN: [tg_status_t; TG_ALL_STATUSES.len()] = TG_ALL_STATUSES;
const SENTINEL: u64 = 0x5EED_5EED_5EED_5EED;

/// Reads little-endian numbers off the input; zeros once it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }
    /// Small values most of the time, anything sometimes.
    fn small(&mut self) -> u64 {
        match self.u8() % 4 {
            0 => self.u64(),
            1 => 1 << 62,
            _ => u64::from(self.u8() % 40),
        }
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
    /// A bucket configuration, valid or not (for init and reconfigure).
    fn bucket_config(&mut self) -> tg_bucket_config_t {
        tg_bucket_config_t {
            capacity: self.small() as u32,
            tokens: self.small() as u32,
            period_ticks: self.small(),
            initial_fill: if self.u8() % 2 == 0 {
                TG_BUCKET_FULL
            } else {
                self.small() as u32
            },
        }
    }
    fn fixed_window_config(&mut self) -> tg_fixed_window_config_t {
        tg_fixed_window_config_t {
            burst: self.small() as u32,
            interval_ticks: self.small(),
        }
    }
    fn shaper_config(&mut self) -> tg_shaper_config_t {
        tg_shaper_config_t {
            capacity: self.small() as u32,
            tokens: self.small() as u32,
            period_ticks: self.small(),
            max_wait_ticks: self.small(),
        }
    }
    fn sliding_window_config(&mut self) -> tg_sliding_window_config_t {
        tg_sliding_window_config_t {
            limit: self.small() as u32,
            window_ticks: self.small(),
        }
    }
    /// A keyed window table's configuration: limits around its 65 535.
    fn keyed_windows_config(&mut self) -> tg_sliding_window_config_t {
        tg_sliding_window_config_t {
            limit: self.u32() % 70_000,
            window_ticks: self.small(),
        }
    }
    /// An adaptive limit's configuration: bounds around 1..=64, invalid
    /// backoffs too.
    fn adaptive_config(&mut self) -> tg_adaptive_config_t {
        tg_adaptive_config_t {
            initial_limit: self.small() as u32,
            min_limit: self.small() as u32,
            max_limit: self.small() as u32,
            backoff_milli: self.u32() % 1_100,
            slow_latency_ticks: self.small(),
            max_wait_ticks: self.small(),
        }
    }
}

#[repr(C, align(16))]
struct Arena([u8; 512]);

#[repr(C)]
struct Windows {
    table: tg_keyed_windows_t,
    entries: [tg_keyed_entry_t; 4],
}

#[repr(C)]
struct Log {
    log: tg_sliding_log_t,
    entries: [tg_sliding_log_entry_t; 4],
}

#[repr(C)]
struct Events {
    queue: tg_events_t,
    slots: [tg_event_slot_t; 4],
}

impl Events {
    fn new() -> Self {
        Self {
            queue: tg_events_t::new(),
            slots: [const {
                tg_event_slot_t {
                    _opaque: [const { core::cell::UnsafeCell::new(core::mem::MaybeUninit::new(0)) };
                        2],
                }
            }; 4],
        }
    }
}

impl Log {
    fn new() -> Self {
        Self {
            log: tg_sliding_log_t::new(),
            entries: [const {
                tg_sliding_log_entry_t {
                    _opaque: [const { core::cell::UnsafeCell::new(core::mem::MaybeUninit::new(0)) };
                        2],
                }
            }; 4],
        }
    }
}

/// A trip rule: a run of `context` failures, or 60 % of 3 calls or more.
extern "C" fn run_or_ratio(run: u32, calls: u32, failures: u32, context: usize) -> bool {
    run as usize >= context.max(1) || (calls >= 3 && failures * 10 >= calls * 6)
}

/// A word behind the cell callbacks, with the input's faults: a failing
/// load or compare-and-set, a word replaced by garbage (another writer)
/// before a compare-and-set.
struct Cell {
    word: tg_cell_word_t,
    faults: u64,
}

impl Cell {
    /// The next fault: the input's bits, two per callback call.
    fn fault(&mut self) -> u64 {
        let fault = self.faults & 3;
        self.faults = self.faults.rotate_right(2);
        fault
    }
}

unsafe extern "C" fn cell_load(context: *mut core::ffi::c_void, out: *mut tg_cell_word_t) -> i32 {
    // SAFETY: the context is the target's live `Cell`, out a live word.
    let cell = unsafe { &mut *context.cast::<Cell>() };
    if cell.fault() == 3 {
        return -1;
    }
    unsafe { out.write(cell.word) };
    0
}

unsafe extern "C" fn cell_compare_and_set(
    context: *mut core::ffi::c_void,
    expected: tg_cell_word_t,
    desired: tg_cell_word_t,
    found: *mut tg_cell_word_t,
) -> i32 {
    // SAFETY: as in `cell_load`.
    let cell = unsafe { &mut *context.cast::<Cell>() };
    match cell.fault() {
        3 => return -2,
        2 => {
            cell.word.low = cell.word.low.rotate_left(7) ^ cell.faults;
            cell.word.high ^= cell.faults.rotate_left(13);
        }
        _ => {}
    }
    if cell.word != expected {
        unsafe { found.write(cell.word) };
        return 1;
    }
    cell.word = desired;
    0
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let mut breakers = [tg_breaker_t::new(), tg_breaker_t::new()];
    let mut buckets = [tg_bucket_t::new(), tg_bucket_t::new()];
    let mut windows = [tg_fixed_window_t::new(), tg_fixed_window_t::new()];
    let mut shapers = [tg_shaper_t::new(), tg_shaper_t::new()];
    let mut sliding = [tg_sliding_window_t::new(), tg_sliding_window_t::new()];
    let mut bulkheads = [tg_bulkhead_t::new(), tg_bulkhead_t::new()];
    let mut logs = [Log::new(), Log::new()];
    let mut events = [Events::new(), Events::new()];
    // Events accepted and not yet taken, per queue since its init (None
    // once garbage was written into its slots: then only safety holds).
    let mut queued: [Option<usize>; 2] = [Some(0); 2];
    let mut adaptive = [tg_adaptive_t::new(), tg_adaptive_t::new()];
    let mut keyed_windows = Box::new(Windows {
        table: tg_keyed_windows_t::new(),
        entries: [const {
            tg_keyed_entry_t {
                _opaque: [const { core::cell::UnsafeCell::new(core::mem::MaybeUninit::new(0)) }; 2],
            }
        }; 4],
    });
    let mut adaptive_held: Vec<(usize, tg_bulkhead_permit_t)> = Vec::new();
    let mut held: Vec<(usize, tg_bulkhead_permit_t)> = Vec::new();
    let mut extender = tg_tick_extender_t::new();
    let mut arena = Arena([0; 512]);
    let mut permits: Vec<tg_permit_t> = Vec::new();
    const NO_PERMIT: tg_permit_t = tg_permit_t {
        acquired_at: 0,
        token: 0,
    };
    let mut cell = Cell {
        word: tg_cell_word_t { low: 0, high: 0 },
        faults: 0,
    };
    let mut now = 1u64 << 40;
    while !input.done() {
        let op = input.u8();
        let which = usize::from(op >> 7);
        let at = now.saturating_sub(match input.u8() % 4 {
            0 | 1 => 0,
            2 => input.small(),
            _ => input.u64(),
        });
        let status = match op % 41 {
            0 => {
                let config = tg_breaker_config_t {
                    failure_threshold: input.small() as u32,
                    open_ticks: input.small(),
                    half_open_permits: input.small() as u32,
                    success_threshold: input.small() as u32,
                    half_open_timeout_ticks: input.small(),
                    failure_rate_per_mille: (input.small() as u32).wrapping_mul(25),
                    rate_window: input.small() as u32,
                    minimum_calls: input.small() as u32,
                    closed_interval_ticks: input.small(),
                    open_multiplier_milli: (input.small() as u32).wrapping_mul(100),
                    open_jitter_per_mille: (input.small() as u32).wrapping_mul(50),
                    max_open_ticks: input.small(),
                    jitter_seed: input.u64(),
                    external_trip_rule: u32::from(input.u8() % 3),
                    half_open_failure_rate_per_mille: (input.small() as u32).wrapping_mul(100),
                    slow_call_ticks: input.small(),
                    slow_call_rate_per_mille: (input.small() as u32).wrapping_mul(100),
                    rate_duration_ticks: input.small(),
                };
                let flags = u32::from(input.u8() % 6);
                tg_breaker_init_ex(&mut breakers[which], &config, flags)
            }
            1 => {
                let config = input.bucket_config();
                let flags = u32::from(input.u8() % 6);
                tg_bucket_init_ex(&mut buckets[which], &config, flags)
            }
            2..=4 => {
                let mut d = tg_breaker_decision_t {
                    permit: NO_PERMIT,
                    has_retry_at: false,
                    retry_at: SENTINEL,
                    transition: tg_transition_t {
                        changed: false,
                        from: 99,
                        to: 99,
                    },
                };
                let status = tg_breaker_acquire(&mut breakers[which], at, &mut d);
                match status {
                    TG_OK => {
                        assert!(d.permit.token != 0 && d.permit.acquired_at == at);
                        permits.push(d.permit);
                    }
                    TG_REFUSED => {
                        assert!(d.permit == NO_PERMIT && (!d.has_retry_at || d.retry_at >= at))
                    }
                    _ => assert_eq!(d.retry_at, SENTINEL, "output written on {status}"),
                }
                if status == TG_OK || status == TG_REFUSED {
                    assert!(
                        !d.transition.changed || (d.transition.from <= 4 && d.transition.to <= 4)
                    );
                }
                status
            }
            5..=7 => {
                let permit = if input.u8() % 4 == 0 {
                    tg_permit_t {
                        acquired_at: input.u64(),
                        token: input.u32(),
                    }
                } else {
                    permits.pop().unwrap_or(NO_PERMIT)
                };
                let outcome = u32::from(input.u8() % 4);
                let mut r = tg_record_t {
                    counted: true,
                    transition: tg_transition_t {
                        changed: true,
                        from: 99,
                        to: 99,
                    },
                };
                // Half the reports judge a trip rule of the caller's.
                let status = if input.u8() % 2 == 0 {
                    tg_breaker_record(&mut breakers[which], permit, outcome, at, &mut r)
                } else {
                    let context = usize::from(input.u8() % 8);
                    let rule: tg_trip_rule_fn = Some(run_or_ratio);
                    tg_breaker_record_rule(
                        &mut breakers[which],
                        permit,
                        outcome,
                        at,
                        rule,
                        context,
                        &mut r,
                    )
                };
                if status != TG_OK {
                    assert!(
                        r.counted && r.transition.from == 99,
                        "output written on {status}"
                    );
                }
                status
            }
            8 => {
                let mut s = 99;
                let status = tg_breaker_state(&breakers[which], at, &mut s);
                assert!(if status == TG_OK { s <= 4 } else { s == 99 });
                let mut counts = tg_breaker_window_counts_t {
                    calls: 99,
                    failures: 99,
                    slow: 99,
                };
                let read = tg_breaker_window_counts(&breakers[which], &mut counts);
                assert_eq!(read == TG_OK, status == TG_OK);
                if read == TG_OK {
                    assert!(counts.calls <= TG_BREAKER_MAX_RATE_WINDOW);
                    assert!(counts.failures <= counts.calls && counts.slow <= counts.calls);
                }
                let mut full = tg_breaker_status_t {
                    state: 99,
                    tripped_by: 99,
                    has_trial_at: false,
                    trial_at: 99,
                };
                let inspected = tg_breaker_status(&breakers[which], at, &mut full);
                assert_eq!(inspected == TG_OK, status == TG_OK);
                if inspected == TG_OK {
                    // The same state; a reason and a trial tick only while OPEN.
                    assert_eq!(full.state, s);
                    let open = full.state == TG_STATE_OPEN;
                    assert!(full.tripped_by <= TG_TRIP_SLOW_CALL_RATE);
                    assert!(open || full.tripped_by == TG_TRIP_NONE);
                    assert_eq!(full.has_trial_at, open);
                    assert!(!open || full.trial_at >= at);
                } else {
                    assert_eq!(full.state, 99);
                }
                let mut counts = tg_breaker_counts_t {
                    requests: 99,
                    ..Default::default()
                };
                let counted = tg_breaker_counts(&breakers[which], &mut counts);
                assert_eq!(counted == TG_OK, status == TG_OK);
                if counted != TG_OK {
                    assert_eq!(counts.requests, 99, "output written on {counted}");
                }
                status
            }
            9 => {
                let f = [tg_breaker_force_open, tg_breaker_disable, tg_breaker_reset]
                    [usize::from(input.u8() % 3)];
                f(&mut breakers[which], null_mut())
            }
            10 => {
                let mut until = SENTINEL;
                let ticks = input.small();
                let status =
                    tg_breaker_open_for(&mut breakers[which], ticks, at, &mut until, null_mut());
                if status == TG_OK {
                    assert!(until >= at.saturating_add(ticks));
                } else {
                    assert_eq!(until, SENTINEL);
                }
                status
            }
            11..=13 => {
                let mut retry = SENTINEL;
                let status =
                    tg_bucket_acquire(&mut buckets[which], input.small() as u32, at, &mut retry);
                match status {
                    TG_REFUSED => assert!(retry > at || retry == u64::MAX, "retry {retry} at {at}"),
                    _ => assert_eq!(retry, SENTINEL),
                }
                status
            }
            14 => {
                let mut v = u32::MAX;
                let status = tg_bucket_available(&buckets[which], at, &mut v);
                if status != TG_OK {
                    assert_eq!(v, u32::MAX);
                }
                status
            }
            15 => {
                if input.u8() % 2 == 0 {
                    tg_bucket_reset(&mut buckets[which])
                } else {
                    // A new rate and capacity, carried at a tick that may
                    // lag the callers' by anything.
                    let config = input.bucket_config();
                    let status = tg_bucket_reconfigure(&mut buckets[which], &config, at);
                    assert_ne!(status, TG_E_BUSY, "one thread: never busy");
                    status
                }
            }
            16 => {
                // A copy of a live object is refused, wherever it lands.
                // SAFETY: plain words; what a C struct assignment does.
                let mut copy = unsafe { core::ptr::read(&breakers[which]) };
                let status = tg_breaker_reset(&mut copy, null_mut());
                assert!(matches!(status, TG_E_MOVED | TG_E_UNINITIALIZED | TG_OK));
                status
            }
            17 => {
                // A misaligned view of scratch memory: refused untouched.
                let offset = usize::from(input.u8() % 15) + 1;
                let p = arena.0[offset..].as_mut_ptr();
                let status = match input.u8() % 3 {
                    0 => tg_breaker_acquire(p.cast(), at, null_mut()),
                    1 => tg_bucket_init(p.cast(), null_mut()),
                    _ => tg_tick_extend(p.cast(), 0, null_mut()),
                };
                assert_eq!(status, TG_E_MISALIGNED);
                status
            }
            18 => {
                if input.u8() % 8 == 0 {
                    tg_tick_extender_init_ex(&mut extender, input.u32(), u32::from(input.u8() % 4))
                } else {
                    let mut t = SENTINEL;
                    let status = tg_tick_extend(&mut extender, input.u32(), &mut t);
                    if status != TG_OK {
                        assert_eq!(t, SENTINEL);
                    }
                    status
                }
            }
            19 => {
                // A breaker's snapshot restored into the other breaker (or
                // itself), perhaps damaged, at another tick.
                let mut page = [0u8; TG_BREAKER_SNAPSHOT_SIZE];
                let status =
                    tg_breaker_snapshot(&breakers[which], at, page.as_mut_ptr(), page.len());
                if status != TG_OK {
                    assert!(page.iter().all(|&b| b == 0), "output written on {status}");
                    status
                } else {
                    if input.u8() % 4 == 0 {
                        page[usize::from(input.u8()) % page.len()] ^= input.u8() | 1;
                    }
                    let len = page.len() - usize::from(input.u8() % 8 == 0);
                    let target = usize::from(input.u8() % 2);
                    tg_breaker_restore(&mut breakers[target], page.as_ptr(), len, now)
                }
            }
            20 => {
                // The same for buckets; a breaker's snapshot into a bucket
                // is refused as another kind.
                let mut page = [0u8; TG_BREAKER_SNAPSHOT_SIZE];
                let status = if input.u8() % 4 == 0 {
                    tg_breaker_snapshot(&breakers[which], at, page.as_mut_ptr(), page.len())
                } else {
                    tg_bucket_snapshot(&buckets[which], at, page.as_mut_ptr(), page.len())
                };
                if status != TG_OK {
                    status
                } else {
                    let len = if page[3] == 2 {
                        TG_BUCKET_SNAPSHOT_SIZE
                    } else {
                        page.len()
                    };
                    let target = usize::from(input.u8() % 2);
                    let restored = tg_bucket_restore(&mut buckets[target], page.as_ptr(), len, at);
                    if page[3] != 2 {
                        assert!(
                            matches!(restored, TG_E_SNAPSHOT_KIND | TG_E_UNINITIALIZED),
                            "{restored}"
                        );
                    }
                    restored
                }
            }
            21 => {
                let config = input.fixed_window_config();
                let flags = u32::from(input.u8() % 6);
                tg_fixed_window_init_ex(&mut windows[which], &config, flags)
            }
            22 => {
                let mut d = tg_fixed_window_decision_t {
                    missed: 7,
                    has_retry_at: true,
                    retry_at: SENTINEL,
                };
                let status =
                    tg_fixed_window_acquire(&mut windows[which], input.small() as u32, at, &mut d);
                match status {
                    TG_OK => assert!(!d.has_retry_at && d.retry_at == 0),
                    TG_REFUSED => assert!(!d.has_retry_at || d.retry_at > at),
                    _ => assert!(
                        d.missed == 7 && d.retry_at == SENTINEL,
                        "output written on {status}"
                    ),
                }
                status
            }
            23 => {
                let mut v = u32::MAX - 1;
                let status = match input.u8() % 5 {
                    0 => tg_fixed_window_remaining(&windows[which], at, &mut v),
                    1 => tg_fixed_window_take_missed(&mut windows[which], &mut v),
                    2 => tg_fixed_window_reset(&mut windows[which]),
                    3 => {
                        let config = input.fixed_window_config();
                        tg_fixed_window_reconfigure(&mut windows[which], &config)
                    }
                    _ => tg_fixed_window_deinit(&mut windows[which]),
                };
                if status != TG_OK {
                    assert_eq!(v, u32::MAX - 1, "output written on {status}");
                }
                status
            }
            24 => {
                // A window's snapshot, perhaps damaged, into either window.
                let mut page = [0u8; TG_FIXED_WINDOW_SNAPSHOT_SIZE];
                let status =
                    tg_fixed_window_snapshot(&windows[which], at, page.as_mut_ptr(), page.len());
                if status != TG_OK {
                    assert!(page.iter().all(|&b| b == 0), "output written on {status}");
                    status
                } else {
                    if input.u8() % 4 == 0 {
                        page[usize::from(input.u8()) % page.len()] ^= input.u8() | 1;
                    }
                    let target = usize::from(input.u8() % 2);
                    tg_fixed_window_restore(&mut windows[target], page.as_ptr(), page.len(), at)
                }
            }
            25 => {
                let config = input.shaper_config();
                let flags = u32::from(input.u8() % 6);
                tg_shaper_init_ex(&mut shapers[which], &config, flags)
            }
            26 => {
                let (mut send_at, mut retry_at) = (SENTINEL, SENTINEL);
                let status = match input.u8() % 8 {
                    0 => tg_shaper_reset(&mut shapers[which]),
                    2 => {
                        let config = input.shaper_config();
                        let status = tg_shaper_reconfigure(&mut shapers[which], &config, at);
                        assert_ne!(status, TG_E_BUSY, "one thread: never busy");
                        status
                    }
                    1 => {
                        let mut page = [0u8; TG_SHAPER_SNAPSHOT_SIZE];
                        match tg_shaper_snapshot(&shapers[which], at, page.as_mut_ptr(), page.len())
                        {
                            TG_OK => tg_shaper_restore(
                                &mut shapers[1 - which],
                                page.as_ptr(),
                                page.len(),
                                now,
                            ),
                            status => status,
                        }
                    }
                    _ => tg_shaper_schedule(
                        &mut shapers[which],
                        input.small() as u32,
                        at,
                        &mut send_at,
                        &mut retry_at,
                    ),
                };
                match status {
                    TG_OK => {
                        assert!(send_at == SENTINEL || (send_at >= at && retry_at == SENTINEL))
                    }
                    TG_REFUSED => assert!(
                        (retry_at > at || retry_at == u64::MAX) && send_at == SENTINEL,
                        "retry {retry_at} at {at}"
                    ),
                    _ => assert!(
                        send_at == SENTINEL && retry_at == SENTINEL,
                        "output written on {status}"
                    ),
                }
                status
            }
            27 => {
                let config = input.sliding_window_config();
                let flags = u32::from(input.u8() % 6);
                tg_sliding_window_init_ex(&mut sliding[which], &config, flags)
            }
            28 => {
                let (mut retry_at, mut available) = (SENTINEL, u32::MAX - 1);
                let status = match input.u8() % 8 {
                    0 => tg_sliding_window_reset(&mut sliding[which]),
                    1 => tg_sliding_window_available(&sliding[which], at, &mut available),
                    3 => {
                        let config = input.sliding_window_config();
                        tg_sliding_window_reconfigure(&mut sliding[which], &config)
                    }
                    2 => {
                        let mut page = [0u8; TG_SLIDING_WINDOW_SNAPSHOT_SIZE];
                        match tg_sliding_window_snapshot(
                            &sliding[which],
                            at,
                            page.as_mut_ptr(),
                            page.len(),
                        ) {
                            TG_OK => tg_sliding_window_restore(
                                &mut sliding[1 - which],
                                page.as_ptr(),
                                page.len(),
                                now,
                            ),
                            status => status,
                        }
                    }
                    _ => tg_sliding_window_acquire(
                        &mut sliding[which],
                        input.small() as u32,
                        at,
                        &mut retry_at,
                    ),
                };
                match status {
                    TG_REFUSED => assert!(
                        retry_at > at || retry_at == u64::MAX,
                        "retry {retry_at} at {at}"
                    ),
                    _ => assert_eq!(retry_at, SENTINEL, "output written on {status}"),
                }
                if status != TG_OK {
                    assert_eq!(available, u32::MAX - 1, "output written on {status}");
                }
                status
            }
            29 => {
                let config = tg_bulkhead_config_t {
                    max_concurrent: input.small() as u32,
                    max_wait_ticks: input.small(),
                };
                let flags = u32::from(input.u8() % 6);
                let status = tg_bulkhead_init_ex(&mut bulkheads[which], &config, flags);
                if status == TG_OK {
                    held.retain(|(b, _)| *b != which);
                }
                status
            }
            30 => {
                let (mut permit, mut wait_until) = (0, SENTINEL);
                match input.u8() % 6 {
                    0 | 1 => {
                        let status = tg_bulkhead_acquire(
                            &mut bulkheads[which],
                            at,
                            &mut permit,
                            &mut wait_until,
                        );
                        match status {
                            TG_OK => {
                                assert!(permit != 0 && wait_until == SENTINEL);
                                held.push((which, permit));
                            }
                            TG_REFUSED => assert!(
                                permit == 0
                                    && (wait_until == 0
                                        || wait_until > at
                                        || wait_until == u64::MAX)
                            ),
                            _ => assert!(
                                permit == 0 && wait_until == SENTINEL,
                                "output written on {status}"
                            ),
                        }
                        status
                    }
                    2 | 3 if !held.is_empty() => {
                        // A held permit, released once: accepted by its own
                        // bulkhead (refused if it was reset or re-initialised).
                        let (owner, permit) =
                            held.swap_remove(usize::from(input.u8()) % held.len());
                        let status = tg_bulkhead_release(&mut bulkheads[owner], permit);
                        assert!(
                            matches!(status, TG_OK | TG_E_NOT_HELD | TG_E_UNINITIALIZED),
                            "{status}"
                        );
                        if status == TG_OK {
                            assert_eq!(
                                tg_bulkhead_release(&mut bulkheads[owner], permit),
                                TG_E_NOT_HELD
                            );
                        }
                        status
                    }
                    4 => tg_bulkhead_release(&mut bulkheads[which], input.u32()),
                    _ => {
                        let mut count = 99;
                        let status = match input.u8() % 3 {
                            0 => tg_bulkhead_in_flight(&bulkheads[which], &mut count),
                            1 => {
                                let config = tg_bulkhead_config_t {
                                    max_concurrent: u32::from(input.u8() % 70),
                                    max_wait_ticks: input.small(),
                                };
                                tg_bulkhead_reconfigure(&mut bulkheads[which], &config)
                            }
                            _ => tg_bulkhead_reset(&mut bulkheads[which]),
                        };
                        assert!(count <= 64 || count == 99);
                        status
                    }
                }
            }
            31 => {
                let config = tg_sliding_log_config_t {
                    window_ticks: input.small(),
                };
                // 0 (refused) to the 4 entries there are: a caller never
                // declares more than it has.
                let len = usize::from(input.u8() % 5);
                let flags = u32::from(input.u8() % 6);
                let log = &mut logs[which];
                tg_sliding_log_init(&mut log.log, log.entries.as_mut_ptr(), len, &config, flags)
            }
            32 => {
                let (mut retry_at, mut available) = (SENTINEL, u32::MAX - 1);
                // Usually the log's own count (unknown: whatever init was
                // given), sometimes another, or the other log's entries.
                let len = usize::from(input.u8() % 6);
                let other = logs[1 - which].entries.as_mut_ptr();
                let log = &mut logs[which];
                let entries = if input.u8() % 8 == 0 {
                    other
                } else {
                    log.entries.as_mut_ptr()
                };
                let status = match input.u8() % 8 {
                    0 => tg_sliding_log_reset(&mut log.log, entries, len),
                    1 => tg_sliding_log_available(&log.log, entries, len, at, &mut available),
                    2 => {
                        // A stale object: garbage in its entries must not
                        // hang or panic a call.
                        let garbage = input.u64();
                        for entry in &mut log.entries {
                            for word in &mut entry._opaque {
                                *word.get_mut() = core::mem::MaybeUninit::new(garbage);
                            }
                        }
                        TG_OK
                    }
                    3 => {
                        // A snapshot, restored into the same log at a later tick.
                        let mut page = [0u8; 16 + 8 * 4];
                        match tg_sliding_log_snapshot(
                            &log.log,
                            entries,
                            len,
                            at,
                            page.as_mut_ptr(),
                            page.len(),
                        ) {
                            TG_OK => tg_sliding_log_restore(
                                &mut log.log,
                                entries,
                                len,
                                page.as_ptr(),
                                page.len() - usize::from(input.u8() % 2),
                                now,
                            ),
                            status => status,
                        }
                    }
                    4 => {
                        let config = tg_sliding_log_config_t {
                            window_ticks: input.small(),
                        };
                        tg_sliding_log_reconfigure(&mut log.log, &config)
                    }
                    _ => tg_sliding_log_acquire(&mut log.log, entries, len, at, &mut retry_at),
                };
                match status {
                    TG_REFUSED => assert!(retry_at > at || retry_at == u64::MAX),
                    _ => assert_eq!(retry_at, SENTINEL, "output written on {status}"),
                }
                if status == TG_OK {
                    assert!(available <= 5 || available == u32::MAX - 1);
                } else {
                    assert_eq!(available, u32::MAX - 1, "output written on {status}");
                }
                status
            }
            33 => {
                let config = input.adaptive_config();
                let flags = u32::from(input.u8() % 6);
                let status = tg_adaptive_init_ex(&mut adaptive[which], &config, flags);
                if status == TG_OK {
                    adaptive_held.retain(|(a, _)| *a != which);
                }
                status
            }
            34 => {
                let (mut permit, mut wait_until) = (0, SENTINEL);
                let (mut limit, mut in_flight) = (u32::MAX, u32::MAX);
                let status = match input.u8() % 6 {
                    0 | 1 => {
                        let status = tg_adaptive_acquire(
                            &mut adaptive[which],
                            at,
                            &mut permit,
                            &mut wait_until,
                        );
                        match status {
                            TG_OK => {
                                assert!(permit != 0 && wait_until == SENTINEL);
                                adaptive_held.push((which, permit));
                            }
                            TG_REFUSED => assert!(permit == 0 && wait_until != SENTINEL),
                            _ => assert!(
                                permit == 0 && wait_until == SENTINEL,
                                "output written on {status}"
                            ),
                        }
                        status
                    }
                    2 | 3 if !adaptive_held.is_empty() => {
                        let (owner, permit) = adaptive_held
                            .swap_remove(usize::from(input.u8()) % adaptive_held.len());
                        let mut change = tg_limit_change_t {
                            changed: true,
                            from: 99,
                            to: 99,
                        };
                        let sample = u32::from(input.u8() % 4);
                        let status = tg_adaptive_release(
                            &mut adaptive[owner],
                            permit,
                            sample,
                            input.small(),
                            &mut change,
                        );
                        match status {
                            TG_OK => {
                                assert!(!change.changed || (1..=64).contains(&change.to));
                                assert_eq!(
                                    tg_adaptive_release(
                                        &mut adaptive[owner],
                                        permit,
                                        0,
                                        0,
                                        core::ptr::null_mut()
                                    ),
                                    TG_E_NOT_HELD
                                );
                            }
                            TG_E_INVALID_ARGUMENT => adaptive_held.push((owner, permit)),
                            _ => assert!(
                                matches!(status, TG_E_NOT_HELD | TG_E_UNINITIALIZED),
                                "{status}"
                            ),
                        }
                        status
                    }
                    4 => tg_adaptive_release(
                        &mut adaptive[which],
                        input.u32(),
                        0,
                        0,
                        core::ptr::null_mut(),
                    ),
                    _ => match input.u8() % 3 {
                        0 => {
                            let status =
                                tg_adaptive_state(&adaptive[which], &mut limit, &mut in_flight);
                            if status == TG_OK {
                                assert!((1..=64).contains(&limit) && in_flight <= 64);
                            }
                            status
                        }
                        1 => {
                            let config = input.adaptive_config();
                            let status = tg_adaptive_reconfigure(&mut adaptive[which], &config);
                            let valid = tg_adaptive_config_check(&config);
                            if valid != TG_OK {
                                assert!(
                                    status == valid || status == TG_E_UNINITIALIZED,
                                    "{status}"
                                );
                            }
                            if status == TG_OK {
                                tg_adaptive_state(&adaptive[which], &mut limit, &mut in_flight);
                                assert!((config.min_limit..=config.max_limit).contains(&limit));
                            }
                            status
                        }
                        _ => tg_adaptive_reset(&mut adaptive[which]),
                    },
                };
                status
            }
            35 => {
                let len = usize::from(input.u8() % 5);
                let entries = keyed_windows.entries.as_mut_ptr();
                let table = &mut keyed_windows.table as *mut tg_keyed_windows_t;
                let key = u64::from(input.u8() % 8);
                let (mut retry_at, mut count, mut limiting) = (SENTINEL, u32::MAX - 1, usize::MAX);
                let status = match input.u8() % 8 {
                    0 => {
                        let config = input.keyed_windows_config();
                        let flags = u32::from(input.u8() % 6);
                        tg_keyed_windows_init(table, entries, len, &config, key, !key, flags)
                    }
                    1 => tg_keyed_windows_available_u64(table, entries, len, key, at, &mut count),
                    2 => tg_keyed_windows_limiting(table, entries, len, at, &mut limiting),
                    3 => tg_keyed_windows_reset(table, entries, len),
                    5 => {
                        let config = input.keyed_windows_config();
                        tg_keyed_windows_reconfigure(table, &config)
                    }
                    6 => {
                        // The table's snapshot, perhaps damaged, restored
                        // into it (the count may be another than the
                        // table's: refused before anything is written).
                        let mut page = [0u8; 12 + 20 * 4];
                        let size = (12 + 20 * len).min(page.len());
                        match tg_keyed_windows_snapshot(
                            table,
                            entries,
                            len,
                            at,
                            page.as_mut_ptr(),
                            size,
                        ) {
                            TG_OK => {
                                if input.u8() % 4 == 0 {
                                    page[usize::from(input.u8()) % size] ^= input.u8() | 1;
                                }
                                tg_keyed_windows_restore(
                                    table,
                                    entries,
                                    len,
                                    page.as_ptr(),
                                    size,
                                    now,
                                )
                            }
                            status => status,
                        }
                    }
                    4 => {
                        let bytes = [key as u8, 1, 2];
                        tg_keyed_windows_acquire_bytes(
                            table,
                            entries,
                            len,
                            bytes.as_ptr(),
                            bytes.len(),
                            input.small() as u32,
                            at,
                            &mut retry_at,
                        )
                    }
                    _ => tg_keyed_windows_acquire_u64(
                        table,
                        entries,
                        len,
                        key,
                        input.small() as u32,
                        at,
                        &mut retry_at,
                    ),
                };
                match status {
                    TG_REFUSED | TG_TABLE_FULL => assert!(retry_at > at || retry_at == u64::MAX),
                    _ => assert_eq!(retry_at, SENTINEL, "output written on {status}"),
                }
                if status == TG_OK {
                    assert!(count <= 65_535 || count == u32::MAX - 1);
                    assert!(limiting <= 4 || limiting == usize::MAX);
                }
                status
            }
            37 => {
                // 0 and 1 (refused) to the 4 slots there are.
                let len = usize::from(input.u8() % 5);
                let flags = u32::from(input.u8() % 6);
                let q = &mut events[which];
                let status = tg_events_init(&mut q.queue, q.slots.as_mut_ptr(), len, flags);
                if status == TG_OK {
                    queued[which] = Some(0);
                }
                status
            }
            38 => {
                // Usually the queue's own slots (whatever count init was
                // given), sometimes another count or the other's slots.
                let len = usize::from(input.u8() % 6);
                let other = events[1 - which].slots.as_mut_ptr();
                let q = &mut events[which];
                let slots = if input.u8() % 8 == 0 {
                    // A shared queue (its address unchecked) accepts
                    // another's slots: both are then beyond accounting.
                    queued = [None; 2];
                    other
                } else {
                    q.slots.as_mut_ptr()
                };
                let mut out = [tg_event_t {
                    at: SENTINEL,
                    source: 0,
                    from: 99,
                    to: 99,
                }; 3];
                match input.u8() % 6 {
                    0 | 1 => {
                        let event = tg_event_t {
                            at,
                            source: input.u8().into(),
                            from: u32::from(input.u8() % 6),
                            to: u32::from(input.u8() % 6),
                        };
                        let status = tg_events_push(&mut q.queue, slots, len, &event);
                        if status == TG_OK {
                            queued[which] = queued[which].map(|n| n + 1);
                            // Never more accepted than slots.
                            assert!(queued[which].is_none_or(|n| n <= 4));
                        }
                        status
                    }
                    2 => {
                        let status = tg_events_pop(&mut q.queue, slots, len, &mut out[0]);
                        if status == TG_OK {
                            assert!(out[0].from < 5 && out[0].to < 5);
                            assert_ne!(queued[which], Some(0), "popped from an empty queue");
                            queued[which] = queued[which].map(|n| n.saturating_sub(1));
                        } else {
                            assert_eq!(out[0].at, SENTINEL, "output written on {status}");
                        }
                        status
                    }
                    3 => {
                        let mut count = 99usize;
                        let max = usize::from(input.u8() % 4);
                        let status = tg_events_drain(
                            &mut q.queue,
                            slots,
                            len,
                            out.as_mut_ptr(),
                            max,
                            &mut count,
                        );
                        if status == TG_OK {
                            assert!(count <= max);
                            assert!(out[..count].iter().all(|e| e.from < 5 && e.to < 5));
                            assert!(queued[which].is_none_or(|n| count <= n));
                            queued[which] = queued[which].map(|n| n.saturating_sub(count));
                        } else {
                            assert_eq!(count, 99, "output written on {status}");
                        }
                        status
                    }
                    4 => {
                        // A stale object: garbage in its slots must not hang
                        // or panic a call.
                        let garbage = input.u64();
                        for slot in &mut q.slots {
                            for word in &mut slot._opaque {
                                *word.get_mut() = core::mem::MaybeUninit::new(garbage);
                            }
                        }
                        queued[which] = None;
                        TG_OK
                    }
                    _ => {
                        let mut dropped = SENTINEL;
                        let status = tg_events_take_dropped(&mut q.queue, &mut dropped);
                        if status != TG_OK {
                            assert_eq!(dropped, SENTINEL, "output written on {status}");
                        }
                        status
                    }
                }
            }
            39 => {
                // A bucket over the cell: garbage words, conflicts and
                // failing callbacks.
                cell.faults = input.u64();
                if input.u8() % 8 == 0 {
                    cell.word = tg_cell_word_t {
                        low: input.u64(),
                        high: input.u64(),
                    };
                }
                let config = input.bucket_config();
                let remote = tg_cell_t {
                    context: (&raw mut cell).cast(),
                    load: Some(cell_load),
                    compare_and_set: Some(cell_compare_and_set),
                    max_attempts: u32::from(input.u8() % 4),
                };
                let mut retry_at = SENTINEL;
                let n = input.small() as u32;
                let mut prefix = [0 as core::ffi::c_char; 64];
                let len = usize::from(input.u8() % 65);
                let mut written = usize::MAX;
                match tg_bucket_cell_prefix(&config, prefix.as_mut_ptr(), len, &mut written) {
                    TG_OK => assert!(written < len && prefix[written] == 0),
                    status => {
                        assert!(KNOWN.contains(&status));
                        assert_eq!(written, usize::MAX, "output written on {status}");
                    }
                }
                let status = tg_bucket_cell_acquire(&config, &remote, n, at, &mut retry_at);
                if status == TG_REFUSED {
                    assert!(retry_at > at || retry_at == u64::MAX);
                } else {
                    assert_eq!(retry_at, SENTINEL, "output written on {status}");
                }
                status
            }
            40 => {
                // A breaker over the cell.
                cell.faults = input.u64();
                if input.u8() % 8 == 0 {
                    cell.word = tg_cell_word_t {
                        low: input.u64(),
                        high: input.u64(),
                    };
                }
                // Sometimes a rate: a second word, refused.
                let rated = input.u8() % 8 == 0;
                let config = tg_breaker_config_t {
                    failure_threshold: input.small() as u32,
                    open_ticks: input.small(),
                    half_open_permits: input.small() as u32,
                    success_threshold: input.small() as u32,
                    half_open_timeout_ticks: input.small(),
                    failure_rate_per_mille: if rated { 500 } else { 0 },
                    rate_window: if rated { 10 } else { 0 },
                    minimum_calls: 0,
                    closed_interval_ticks: input.small(),
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
                let remote = tg_cell_t {
                    context: (&raw mut cell).cast(),
                    load: Some(cell_load),
                    compare_and_set: Some(cell_compare_and_set),
                    max_attempts: u32::from(input.u8() % 4),
                };
                if input.u8() % 2 == 0 {
                    let mut d = tg_breaker_decision_t {
                        permit: NO_PERMIT,
                        has_retry_at: false,
                        retry_at: SENTINEL,
                        transition: tg_transition_t {
                            changed: false,
                            from: 99,
                            to: 99,
                        },
                    };
                    let status = tg_breaker_cell_acquire(&config, &remote, at, &mut d);
                    match status {
                        TG_OK => {
                            assert!(d.permit.token != 0 && d.permit.acquired_at == at);
                            permits.push(d.permit);
                        }
                        TG_REFUSED => assert!(d.permit == NO_PERMIT),
                        _ => assert_eq!(d.retry_at, SENTINEL, "output written on {status}"),
                    }
                    status
                } else {
                    let permit = permits.pop().unwrap_or(NO_PERMIT);
                    let outcome = u32::from(input.u8() % 4);
                    let mut r = tg_record_t {
                        counted: true,
                        transition: tg_transition_t {
                            changed: false,
                            from: 99,
                            to: 99,
                        },
                    };
                    let status =
                        tg_breaker_cell_record(&config, &remote, permit, outcome, at, &mut r);
                    if status != TG_OK {
                        assert!(
                            r.counted && r.transition.from == 99,
                            "output written on {status}"
                        );
                    }
                    status
                }
            }
            _ => {
                now = now.saturating_add(input.small());
                if input.u8() % 16 == 0 {
                    permits.clear();
                    match input.u8() % 3 {
                        0 => tg_breaker_deinit(&mut breakers[which]),
                        1 => tg_bucket_deinit(&mut buckets[which]),
                        _ => TG_OK,
                    }
                } else {
                    TG_OK
                }
            }
        };
        assert!(KNOWN.contains(&status), "unknown status {status}");
    }
});
