//! tickguard on bare metal: a 1 kHz timer interrupt (SysTick on Cortex-M,
//! the CLINT machine timer on RISC-V) drives a 32-bit tick counter (as
//! `HAL_GetTick` would), started just below its wrap; a
//! [`TickExtender`](tickguard::time::TickExtender), fed by the interrupt,
//! turns it into the monotonic 64-bit ticks the guards take. A breaker
//! and a token bucket live in `static`s shared by the interrupt handler and
//! the main loop. The main loop drives a simulated flaky peripheral through the
//! breaker and a request stream through the bucket; the interrupt handler
//! takes tokens from the same bucket. Decisions are printed with their ticks
//! over semihosting. Last, a reboot while the breaker is open: a snapshot
//! saved before it and restored after it (tick counter from 0 again) keeps
//! the breaker refusing for the time it had left. Log lines from both the
//! interrupt handler and the main loop go through a log-flood guard (a
//! fixed window with a suppression count, the kernel's `ratelimit`). The
//! firmware checks its own results and exits through semihosting with
//! success or failure.
#![no_std]
#![no_main]

use core::sync::atomic::Ordering::Relaxed;

use portable_atomic::{AtomicBool, AtomicU32};
use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, AdaptiveSettings, Sample};
use tickguard::breaker::{
    self, Breaker, BreakerConfig, BreakerSettings, Outcome, State, Transition, TripReason,
    WindowedBreaker,
};
use tickguard::bucket::{BucketConfig, BucketSettings, LiveBucket};
use tickguard::budget::{BudgetConfig, RetryBudget};
use tickguard::events::{Event, EventQueue};
use tickguard::fixed_window::{FixedWindow, FixedWindowConfig, FixedWindowSettings};
use tickguard::retry::{self, Attempt, Backoff, Decision, Jitter, RetryPolicy, RetrySettings};
use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
use tickguard::snapshot::Snapshot;
use tickguard::time::{Duration, Instant, Tick, TickExtender};

#[cfg(target_arch = "arm")]
#[path = "platform/cortex_m.rs"]
mod platform;
#[cfg(target_arch = "riscv32")]
#[path = "platform/riscv.rs"]
mod platform;

use platform::{debug, say};

const TICK_HZ: u32 = 1_000;
/// Run this many ticks.
const RUN_TICKS: Tick = 400;
/// This device's serial number: the breaker's jitter seed.
const DEVICE_SERIAL: u64 = 0x0000_7467_0000_0019;

/// Opens on 3 failures in a row, or on half of the last 8 calls failing
/// (4 at least): a peripheral that fails every other read opens it too.
/// Counted afresh every 100 ticks while closed: failures spread thinner
/// than that never add up. Each failed trial lengthens the next open period
/// ×1.5 (up to 90 ticks), spread ±10 % from the device's serial number, so
/// a fleet that tripped together does not probe together. A call that
/// takes more than 2 ticks is slow: half of the last 8 being slow opens it
/// too, and a slow trial fails.
static BREAKER_CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_threshold: 3,
    open: Duration::from_ticks(40),
    half_open_permits: 2,
    success_threshold: 2,
    half_open_timeout: Duration::from_ticks(30),
    failure_rate_per_mille: 500,
    rate_window: 8,
    minimum_calls: 4,
    closed_interval: Duration::from_ticks(100),
    open_multiplier_milli: 1_500,
    max_open: Duration::from_ticks(90),
    open_jitter_per_mille: 100,
    jitter_seed: DEVICE_SERIAL,
    half_open_failure_rate_per_mille: 0,
    slow_call: Duration::from_ticks(2),
    slow_call_rate_per_mille: 500,
    rate_duration: Duration::from_ticks(0),
    trip_rule: None,
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid breaker configuration"),
};
static BREAKER: WindowedBreaker = Breaker::windowed(&BREAKER_CONFIG);

/// The sensor the timer interrupt reads: half of its reads of the last 40
/// ticks failing (2 at least) open its own breaker for 30 ticks (a time
/// window of 4 buckets of 10 ticks: the handler reads it every 13th tick,
/// so the window holds its last three or four reads).
static SENSOR_CONFIG: BreakerConfig = match BreakerConfig::new(BreakerSettings {
    failure_threshold: 0,
    failure_rate_per_mille: 500,
    rate_duration: Duration::from_ticks(40),
    minimum_calls: 2,
    open: Duration::from_ticks(30),
    half_open_permits: 1,
    success_threshold: 1,
    ..BreakerConfig::DEFAULT_SETTINGS
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid sensor breaker configuration"),
};
static SENSOR: WindowedBreaker = Breaker::windowed(&SENSOR_CONFIG);

const fn limit(capacity: u32, period: u64) -> BucketConfig {
    match BucketConfig::new(BucketSettings {
        capacity,
        tokens: 1,
        period: Duration::from_ticks(period),
        initial_fill: None,
    }) {
        Ok(config) => config,
        Err(_) => panic!("invalid bucket configuration"),
    }
}
/// A burst of 4 requests, then one every 5 ticks.
const LIMIT: BucketConfig = limit(4, 5);
/// While the peripheral is out (the breaker open): a burst of 2, then one
/// every 10 ticks. The main loop switches the bucket between the two while
/// the interrupt handler takes from it.
const SHED: BucketConfig = limit(2, 10);
static BUCKET: LiveBucket = LiveBucket::new(LIMIT);
static RECONFIGURED: AtomicU32 = AtomicU32::new(0);

/// Switches the bucket to `config` at `now` (the tokens carry over).
fn shed_load(config: BucketConfig, now: Tick) {
    if BUCKET
        .reconfigure(config, Instant::from_ticks(now))
        .is_err()
    {
        fail("the bucket's only writer was told another reconfiguration is under way");
    }
    RECONFIGURED.fetch_add(1, Relaxed);
}

/// Retries of the peripheral: exponential backoff with full jitter, under a
/// retry budget the interrupt handler also consults.
static RETRY: RetryPolicy = match RetryPolicy::new(RetrySettings {
    max_attempts: 3,
    backoff: Backoff::Exponential {
        base: Duration::from_ticks(2),
        multiplier_milli: 2_000,
    },
    jitter: Jitter::Full,
    max_delay: Duration::from_ticks(16),
    deadline: Some(Duration::from_ticks(30)),
}) {
    Ok(policy) => policy,
    Err(_) => panic!("invalid retry policy"),
};
static BUDGET_CONFIG: BudgetConfig = match BudgetConfig::new(tickguard::budget::BudgetSettings {
    max_tokens: 8,
    token_ratio_milli: 250,
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid budget"),
};
static BUDGET: RetryBudget = RetryBudget::new(&BUDGET_CONFIG);
static ISR_SAW_BUDGET_SPENT: AtomicBool = AtomicBool::new(false);

/// The log-flood guard: at most 3 lines per 50 ticks, from the interrupt
/// handler and the main loop together, and how many were suppressed.
static LOG_LIMIT_CONFIG: FixedWindowConfig = match FixedWindowConfig::new(FixedWindowSettings {
    burst: 3,
    interval: Duration::from_ticks(50),
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid log limit"),
};
static LOG_LIMIT: FixedWindow = FixedWindow::new(&LOG_LIMIT_CONFIG);
/// Lines the guard let through, suppressed, and reported suppressed.
static LOG_WRITTEN: AtomicU32 = AtomicU32::new(0);
static ISR_LOG_WRITTEN: AtomicU32 = AtomicU32::new(0);
static LOG_SUPPRESSED: AtomicU32 = AtomicU32::new(0);
static LOG_REPORTED: AtomicU32 = AtomicU32::new(0);

/// Whether a log line may be written at `now`; says how many were
/// suppressed when a new window begins.
fn log_allowed(now: Tick) -> bool {
    let (allowed, missed) = match LOG_LIMIT.acquire(1, Instant::from_ticks(now)) {
        Ok(admitted) => (true, admitted.missed),
        Err(denied) => (false, denied.missed),
    };
    if missed > 0 {
        LOG_REPORTED.fetch_add(missed, Relaxed);
    }
    if allowed {
        LOG_WRITTEN.fetch_add(1, Relaxed);
    } else {
        LOG_SUPPRESSED.fetch_add(1, Relaxed);
    }
    allowed
}

/// Peripheral calls in flight: an adaptive limit (AIMD) from 4, halved by
/// each failed call down to 1, one more after each success while in use.
static CALLS_CONFIG: AdaptiveConfig = match AdaptiveConfig::new(AdaptiveSettings {
    initial_limit: 4,
    min_limit: 1,
    max_limit: 4,
    backoff_milli: 500,
    slow_latency: Duration::ZERO,
    max_wait: Duration::ZERO,
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid adaptive limit"),
};
static CALLS: AdaptiveLimit = AdaptiveLimit::new(&CALLS_CONFIG);

/// Peripheral resets: at most 2 in any 100 ticks, exactly (a sliding log
/// of two admission ticks), asked for by the interrupt handler on every
/// failed read and by the main loop on every breaker refusal.
static RESETS_CONFIG: SlidingLogConfig = match SlidingLogConfig::new(Duration::from_ticks(100)) {
    Ok(config) => config,
    Err(_) => panic!("invalid reset window"),
};
static RESETS: SlidingLog<2> = SlidingLog::new(&RESETS_CONFIG);
static ISR_RESETS: AtomicU32 = AtomicU32::new(0);
static MAIN_RESETS: AtomicU32 = AtomicU32::new(0);
static RESETS_REFUSED: AtomicU32 = AtomicU32::new(0);

/// Resets the peripheral if the reset limit allows it at `now`.
fn reset_peripheral(now: Tick, count: &AtomicU32) {
    match RESETS.acquire(Instant::from_ticks(now)) {
        Ok(()) => count.fetch_add(1, Relaxed),
        Err(_) => RESETS_REFUSED.fetch_add(1, Relaxed),
    };
}

/// The 32-bit counter starts 256 ticks before it wraps, so the run crosses
/// the wrap.
const START: u32 = u32::MAX - 255;
/// Milliseconds, counted in 32 bits by the timer interrupt.
static TICKS: AtomicU32 = AtomicU32::new(START);
/// The same counter, extended to 64 bits; the interrupt feeds it every tick.
static CLOCK: TickExtender = TickExtender::starting_at(START);
/// Tokens the interrupt handler took, and its view of OPEN.
static ISR_GRANTS: AtomicU32 = AtomicU32::new(0);
static ISR_SAW_OPEN: AtomicBool = AtomicBool::new(false);
/// Transitions the interrupt handler's own peripheral reads made, for the
/// main loop to report: the handler never prints.
static EVENTS: EventQueue<8> = EventQueue::new();
/// The handler's name for its transitions in the queue.
const ISR_SOURCE: u16 = 1;

/// The 64-bit tick of a 32-bit reading, counted from the start of the run.
fn tick(raw: u32) -> Tick {
    CLOCK.extend(raw).ticks() - Tick::from(START)
}

/// Called by the platform's 1 kHz timer interrupt.
fn on_tick() {
    let now = tick(TICKS.fetch_add(1, Relaxed).wrapping_add(1));
    // The handler competes with the main loop for the same bucket.
    if now.is_multiple_of(3) && BUCKET.acquire(1, Instant::from_ticks(now)).is_ok() {
        ISR_GRANTS.fetch_add(1, Relaxed);
    }
    if BREAKER.state(Instant::from_ticks(now)) == State::Open {
        ISR_SAW_OPEN.store(true, Relaxed);
    }
    // Every 13th tick the handler reads the sensor's status through its own
    // breaker; what its reads change goes to the queue.
    if now.is_multiple_of(13) {
        let at = Instant::from_ticks(now);
        let queue = |transition: Option<Transition>| {
            if let Some(transition) = transition {
                let event = Event {
                    at,
                    source: ISR_SOURCE,
                    transition,
                };
                let _ = EVENTS.push(event); // a full queue counts it
            }
        };
        match SENSOR.acquire(at) {
            Ok(admitted) => {
                queue(admitted.transition);
                let outcome = if flaky_peripheral(now) {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
                queue(SENSOR.record(admitted.permit, outcome, at).transition);
            }
            Err(refused) => queue(refused.transition),
        }
    }
    if !BUDGET.allows_retry() {
        ISR_SAW_BUDGET_SPENT.store(true, Relaxed);
    }
    // The sensor's error interrupt during the outage: a line every tick,
    // were it not for the guard (a handler queues it; counted here).
    if !flaky_peripheral(now) {
        if log_allowed(now) {
            ISR_LOG_WRITTEN.fetch_add(1, Relaxed);
        }
        reset_peripheral(now, &ISR_RESETS);
    }
}

/// A peripheral that fails every call between ticks 100 and 200.
fn flaky_peripheral(now: Tick) -> bool {
    !(100..200).contains(&now)
}

/// Later the peripheral turns sluggish: a call started in ticks 280..310
/// answers 4 ticks later (the main loop waits for it, as a blocking driver
/// would). Returns the tick the call ended at.
fn sluggish_peripheral(started: Tick) -> Tick {
    if !(280..310).contains(&started) {
        return started;
    }
    loop {
        let now = tick(TICKS.load(Relaxed));
        if now >= started + 4 {
            return now;
        }
        core::hint::spin_loop();
    }
}

/// The breaker after a "reboot": a fresh static in the new boot.
static REBOOTED: WindowedBreaker = Breaker::windowed(&BREAKER_CONFIG);

/// A reboot while the breaker is open: opens it for 60 ticks, saves a
/// snapshot 25 ticks later (to what would be a flash page), "reboots" (a
/// fresh breaker and a tick counter started again at 0), restores, and
/// checks that it refuses until the 35 ticks it had left have passed.
fn survives_a_reboot() -> bool {
    let opened_at = tick(TICKS.load(Relaxed));
    let Ok((_, until)) = BREAKER.open_for(Duration::from_ticks(60), Instant::from_ticks(opened_at))
    else {
        return false;
    };
    let mut saved_at = opened_at;
    while saved_at < opened_at + 25 {
        saved_at = tick(TICKS.load(Relaxed));
    }
    let flash: [u8; breaker::SNAPSHOT_LEN] = BREAKER.snapshot(Instant::from_ticks(saved_at));
    let left = until.ticks() - saved_at;

    let boot = TICKS.load(Relaxed); // uptime counts from 0 again
    let uptime = || Tick::from(TICKS.load(Relaxed).wrapping_sub(boot));
    let restored_at = uptime();
    if REBOOTED
        .restore(&flash, Instant::from_ticks(restored_at))
        .is_err()
    {
        return false;
    }
    let mut refusals = 0u32;
    loop {
        let now = uptime();
        match REBOOTED.acquire(Instant::from_ticks(now)) {
            Err(refused) => {
                if refused.retry_at != Some(Instant::from_ticks(restored_at + left)) {
                    return false;
                }
                refusals += 1;
            }
            Ok(admitted) => {
                say!(
                    "reboot: snapshot with {} open ticks left, restored at uptime {}, refused {} times, first admitted at uptime {}",
                    left,
                    restored_at,
                    refusals,
                    now
                );
                return now >= restored_at + left
                    && refusals > 0
                    && admitted.transition.map(|t| t.to) == Some(State::HalfOpen);
            }
        }
    }
}

fn name(state: State) -> &'static str {
    match state {
        State::Closed => "CLOSED",
        State::Open => "OPEN",
        State::HalfOpen => "HALF_OPEN",
        State::ForcedOpen => "FORCED_OPEN",
        State::Disabled => "DISABLED",
    }
}

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    platform::start_ticker(TICK_HZ);

    let (mut main_grants, mut refused, mut calls, mut opened, mut closed) =
        (0u32, 0u32, 0u32, 0u32, 0u32);
    let mut last: Tick = 0;
    // The operation in progress: its retry state and the tick to retry at.
    let mut operation: Option<(Attempt, Tick)> = None;
    let (mut retries, mut gave_up) = (0u32, 0u32);
    let mut lowest_limit = CALLS.limit();
    let mut isr_events = 0u32;
    let mut slow_trips = 0u32;
    say!(
        "tickguard firmware: {} Hz timer interrupt, running {} ticks",
        TICK_HZ,
        RUN_TICKS
    );
    while last < RUN_TICKS {
        let now = tick(TICKS.load(Relaxed));
        // Report what the interrupt handler's reads changed.
        while let Some(event) = EVENTS.pop() {
            let t = event.transition;
            say!(
                "tick {}: sensor {} -> {} (interrupt handler)",
                event.at.ticks(),
                name(t.from),
                name(t.to)
            );
            isr_events += 1;
        }
        if now == last {
            continue;
        }
        last = now;
        // A request every tick, limited by the bucket.
        if BUCKET.acquire(1, Instant::from_ticks(now)).is_err() {
            refused += 1;
            continue;
        }
        main_grants += 1;
        if let Some((_, at)) = operation {
            if now < at {
                continue; // waiting to retry
            }
        }
        match BREAKER.acquire(Instant::from_ticks(now)) {
            Ok(admitted) => {
                if let Some(t) = admitted.transition {
                    say!("tick {}: {} -> {}", now, name(t.from), name(t.to));
                }
                calls += 1;
                let Ok(in_flight) = CALLS.enter(Instant::from_ticks(now)) else {
                    fail("the adaptive limit refused the only call in flight")
                };
                let outcome = if flaky_peripheral(now) {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
                let sample = match outcome {
                    Outcome::Success => Sample::Done {
                        latency: Duration::from_ticks(1),
                    },
                    _ => Sample::Dropped,
                };
                if let Some(change) = in_flight.finish(sample) {
                    lowest_limit = lowest_limit.min(change.to);
                }
                let ended = sluggish_peripheral(now);
                if let Some(t) = BREAKER
                    .record(admitted.permit, outcome, Instant::from_ticks(ended))
                    .transition
                {
                    let why = BREAKER.status(Instant::from_ticks(ended)).tripped_by;
                    if why == Some(TripReason::SlowCallRate) {
                        slow_trips += 1;
                        say!(
                            "tick {}: {} -> {} (slow calls)",
                            ended,
                            name(t.from),
                            name(t.to)
                        );
                    } else {
                        say!("tick {}: {} -> {}", ended, name(t.from), name(t.to));
                    }
                    opened += u32::from(t.to == State::Open);
                    closed += u32::from(t.to == State::Closed);
                    match t.to {
                        State::Open if t.from == State::Closed => shed_load(SHED, now),
                        State::Closed => shed_load(LIMIT, now),
                        _ => {}
                    }
                }
                if outcome == Outcome::Success {
                    BUDGET.record_success();
                    operation = None;
                } else {
                    BUDGET.record_failure();
                    let (mut attempt, _) = operation
                        .unwrap_or((Attempt::new(Instant::from_ticks(now), 0xB007 ^ now), now));
                    match RETRY.next(
                        &mut attempt,
                        retry::Failure::Retryable,
                        Instant::from_ticks(now),
                        Some(&BUDGET),
                    ) {
                        Decision::RetryAt(at) => {
                            retries += 1;
                            operation = Some((attempt, at.ticks()));
                        }
                        Decision::GiveUp(_) => {
                            gave_up += 1;
                            operation = None;
                        }
                    }
                }
            }
            Err(r) => {
                if let Some(t) = r.transition {
                    say!("tick {}: {} -> {}", now, name(t.from), name(t.to));
                    opened += u32::from(t.to == State::Open);
                }
                reset_peripheral(now, &MAIN_RESETS);
                if let Some(at) = r.retry_at {
                    let reported = LOG_REPORTED.load(Relaxed);
                    if log_allowed(now) {
                        let missed = LOG_REPORTED.load(Relaxed) - reported;
                        if missed > 0 {
                            say!("tick {}: ({} log lines suppressed)", now, missed);
                        }
                        say!("tick {}: breaker refused, retry at {}", now, at);
                    }
                }
            }
        }
    }
    let end = tick(TICKS.load(Relaxed));
    let isr = ISR_GRANTS.load(Relaxed);
    let granted = main_grants + isr;
    let bound = u64::from(LIMIT.capacity()) + end / 5;
    let wrapped = TICKS.load(Relaxed) < START;
    say!("32-bit counter wrapped during the run: {}", wrapped);
    say!(
        "ticks {}: bucket granted {} (main {}, interrupt {}) of at most {}, refused {}",
        end,
        granted,
        main_grants,
        isr,
        bound,
        refused
    );
    say!(
        "peripheral calls {}, breaker opened {} times ({} by slow calls), closed {} times, bucket reconfigured {} times; sensor transitions queued by the interrupt handler {}",
        calls,
        opened,
        slow_trips,
        closed,
        RECONFIGURED.load(Relaxed),
        isr_events
    );
    say!(
        "retries {}, gave up {}, budget {} of {} milli-tokens",
        retries,
        gave_up,
        BUDGET.tokens_milli(),
        u64::from(BUDGET_CONFIG.max_tokens()) * 1_000
    );
    let (written, suppressed) = (LOG_WRITTEN.load(Relaxed), LOG_SUPPRESSED.load(Relaxed));
    let reported = LOG_REPORTED.load(Relaxed) + LOG_LIMIT.take_missed();
    let windows = u32::try_from(end / 50).unwrap_or(u32::MAX) + 1;
    say!(
        "log guard: {} lines written (interrupt {}) of at most {}, {} suppressed, {} reported suppressed",
        written,
        ISR_LOG_WRITTEN.load(Relaxed),
        3 * windows,
        suppressed,
        reported
    );
    let (isr_resets, main_resets) = (ISR_RESETS.load(Relaxed), MAIN_RESETS.load(Relaxed));
    let resets_bound = 2 * (u32::try_from(end / 100).unwrap_or(u32::MAX) + 1);
    say!(
        "peripheral resets: {} (interrupt {}, main {}) of at most {}, {} refused",
        isr_resets + main_resets,
        isr_resets,
        main_resets,
        resets_bound,
        RESETS_REFUSED.load(Relaxed)
    );
    say!(
        "adaptive limit: lowest {} during the outage, {} at the end",
        lowest_limit,
        CALLS.limit()
    );
    let final_state = BREAKER.state(Instant::from_ticks(end));
    let window = BREAKER.window_counts();
    say!(
        "final breaker state: {} (window: {} failures, {} slow in {} calls)",
        name(final_state),
        window.failures,
        window.slow,
        window.calls
    );
    let ok = u64::from(granted) <= bound
        && wrapped
        && retries > 0
        && gave_up > 0
        && ISR_SAW_BUDGET_SPENT.load(Relaxed)
        && isr > 0
        && opened > 0
        && slow_trips > 0
        && closed > 1
        && RECONFIGURED.load(Relaxed) >= 2
        && BUCKET.config() == LIMIT
        && final_state == State::Closed
        && ISR_SAW_OPEN.load(Relaxed)
        && isr_events > 0
        && EVENTS.take_dropped() == 0
        && written <= 3 * windows
        && ISR_LOG_WRITTEN.load(Relaxed) > 0
        && suppressed > 0
        && reported == suppressed
        && isr_resets > 0
        && isr_resets + main_resets <= resets_bound
        && RESETS_REFUSED.load(Relaxed) > 0
        && lowest_limit == 1
        && CALLS.limit() > 1;
    let ok = survives_a_reboot() && ok;
    if ok {
        say!("firmware checks passed");
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        say!("firmware checks FAILED");
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {
        platform::idle();
    }
}

fn fail(what: &str) -> ! {
    say!("firmware error: {}", what);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        platform::idle();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    fail("panic")
}
