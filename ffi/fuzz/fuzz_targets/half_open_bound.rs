//! A breaker from fuzzed configuration, driven by callers whose ticks lag by
//! anything up to years. Checked: HALF_OPEN never starts before the latest
//! tick of an admission or counted report plus the open period; trials out
//! plus trials succeeded never exceed the permits; a permit from another
//! generation, or reported twice, never counts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tickguard_ffi::*;

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let permits = u32::from(data[0] % 16) + 1;
    let open = [1u64, 7, 100, 60_000, 1 << 40][usize::from(data[1] % 5)];
    // A failure-rate window on three configurations of four (the high
    // bits of the threshold's byte): the bound holds whatever opens it.
    let rate = [0u32, 1, 500, 1000][usize::from(data[2] >> 6)];
    let window = if rate == 0 {
        0
    } else {
        u32::from(data[2] >> 2 & 0xf) * 4 + 1
    };
    // Slow trials fail their period on a quarter of the runs with a window
    // (slow: reported more than 20 ticks after their admission; a count
    // window of at most 52 then).
    let slow_rated = data[4] >> 6 == 3 && window != 0;
    let window = if slow_rated { window.min(52) } else { window };
    // Half of the windows are time windows of 10 ticks per outcome.
    let (window, duration) = if window != 0 && data[3] & 1 == 1 {
        (0, u64::from(window) * 10)
    } else {
        (window, 0)
    };
    let config = tg_breaker_config_t {
        failure_threshold: u32::from(data[2] % 4) + 1,
        open_ticks: open,
        half_open_permits: permits,
        success_threshold: u32::from(data[3]) % permits + 1,
        half_open_timeout_ticks: [1u64, 50, 1_000, 1 << 30][usize::from(data[4] % 4)],
        failure_rate_per_mille: rate,
        rate_window: window,
        minimum_calls: (window + duration as u32 / 10) / 2,
        // Counts cleared while CLOSED on half the configurations.
        closed_interval_ticks: [0u64, 0, 7, 1_000][usize::from(data[4] >> 2 & 3)],
        // Open periods that grow (never shorter than `open`: no jitter
        // here) on three configurations of four.
        open_multiplier_milli: [0u32, 1_500, 2_000, 1_000_000][usize::from(data[4] >> 4 & 3)],
        open_jitter_per_mille: 0,
        max_open_ticks: 0,
        jitter_seed: 0,
        external_trip_rule: 0,
        // Trial periods decided by their failure rate on half the runs.
        half_open_failure_rate_per_mille: [0u32, 0, 500, 1000][usize::from(data[3] >> 6)],
        // Slow calls counted on half the runs.
        slow_call_ticks: [0u64, 0, 20, 20][usize::from(data[4] >> 6)],
        slow_call_rate_per_mille: if slow_rated { 1000 } else { 0 },
        rate_duration_ticks: duration,
    };
    let mut b = tg_breaker_t::new();
    assert_eq!(tg_breaker_init(&mut b, &config), TG_OK);
    let mut true_now = 1u64 << 46;
    let mut latest = 0u64;
    let mut opened_base = 0u64;
    let mut transitions = 0u64;
    let mut successes = 0u32;
    let mut held: Vec<(tg_permit_t, u64)> = Vec::new();
    let is_trial = |p: tg_permit_t| (p.token >> 16) & 0x1F != 0;
    for chunk in data[5..].chunks(3).take(500) {
        let [op, lag, advance] = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        true_now += u64::from(advance) * 3;
        let lag = match lag % 8 {
            0..=3 => 0,
            4 => u64::from(lag),
            5 => u64::from(lag) * 10_000,
            _ => 1 << 45,
        };
        let now = true_now.saturating_sub(lag);
        let mut change = tg_transition_t {
            changed: false,
            from: 0,
            to: 0,
        };
        if op % 2 == 0 || held.is_empty() {
            let mut d = tg_breaker_decision_t {
                permit: tg_permit_t {
                    acquired_at: 0,
                    token: 0,
                },
                has_retry_at: false,
                retry_at: 0,
                transition: change,
            };
            let status = tg_breaker_acquire(&mut b, now, &mut d);
            if status == TG_OK {
                if d.transition.changed {
                    assert_eq!(d.transition.to, TG_STATE_HALF_OPEN);
                    assert!(now >= opened_base.saturating_add(open), "half-open early");
                }
                latest = latest.max(now);
                held.push((d.permit, transitions + u64::from(d.transition.changed)));
            }
            change = d.transition;
        } else {
            let i = usize::from(advance) % held.len();
            let (permit, issued) = held.remove(i);
            let outcome = u32::from(op / 2 % 3);
            let mut r = tg_record_t {
                counted: false,
                transition: change,
            };
            assert_eq!(
                tg_breaker_record(&mut b, permit, outcome, now, &mut r),
                TG_OK
            );
            if issued != transitions {
                assert!(!r.counted, "a stale permit counted");
            }
            if is_trial(permit) {
                let mut again = tg_record_t {
                    counted: false,
                    transition: change,
                };
                assert_eq!(
                    tg_breaker_record(&mut b, permit, outcome, now, &mut again),
                    TG_OK
                );
                assert!(!again.counted, "a trial counted twice");
            }
            if r.counted {
                latest = latest.max(now);
                if outcome == TG_OUTCOME_SUCCESS && is_trial(permit) {
                    successes += 1;
                }
            }
            change = r.transition;
        }
        if change.changed {
            transitions += 1;
            successes = 0;
            if change.to == TG_STATE_OPEN {
                opened_base = latest.max(now);
            }
        }
        let live = held
            .iter()
            .filter(|(p, at)| *at == transitions && is_trial(*p))
            .count();
        assert!(
            live as u32 + successes <= permits,
            "{live} out, {successes} succeeded"
        );
    }
});
