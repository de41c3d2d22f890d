//! The time model: caller-supplied `u32` ticks that wrap at 2^32.
//!
//! * Elapsed time is `now.wrapping_sub(then)`.
//! * Every configured duration is below 2^31 ticks ([`MAX_DURATION`]).
//! * Time going backwards means no time elapsed.
//! * A stored deadline that lies further ahead of `now` than the configuration
//!   could have produced is stale (the counter wrapped while nobody called)
//!   and counts as expired. Where a wrapped deadline is indistinguishable from
//!   a fresh one, the primitive fails safe: at worst one extra open period or
//!   burst window of refusals, never an extra admission.
//!
//! Tick frequency is the caller's business; [`ticks_from_millis`] and
//! [`ticks_from_micros`] convert for a given frequency without overflow.

/// A point on the caller's tick counter, wrapping at 2^32.
pub type Tick = u32;

/// The longest duration any configuration accepts: 2^31 − 1 ticks.
///
/// ```
/// assert_eq!(tickguard::time::MAX_DURATION, 2_147_483_647);
/// ```
pub const MAX_DURATION: u32 = (1 << 31) - 1;

/// Ticks from `then` to `now`; zero when `now` is before `then`.
///
/// A difference of 2^31 or more is read as time having gone backwards.
///
/// ```
/// use tickguard::time::elapsed;
/// assert_eq!(elapsed(10, 4), 6);
/// assert_eq!(elapsed(3, u32::MAX - 1), 5); // across the wrap
/// assert_eq!(elapsed(4, 10), 0); // backwards: no time elapsed
/// ```
#[inline]
#[must_use]
pub const fn elapsed(now: Tick, then: Tick) -> u32 {
    let delta = now.wrapping_sub(then);
    if delta > MAX_DURATION {
        0
    } else {
        delta
    }
}

/// Whether `now` is at or after `deadline`, reading the circle of ticks the
/// way [`elapsed`] does.
///
/// ```
/// use tickguard::time::is_reached;
/// assert!(is_reached(10, 10));
/// assert!(is_reached(2, u32::MAX)); // across the wrap
/// assert!(!is_reached(9, 10));
/// ```
#[inline]
#[must_use]
pub const fn is_reached(now: Tick, deadline: Tick) -> bool {
    now.wrapping_sub(deadline) <= MAX_DURATION
}

/// `ms` milliseconds as ticks of a `tick_hz` counter, rounded up so a timeout
/// is never shorter than asked; `None` for a zero frequency or a result of
/// 2^31 ticks or more.
///
/// ```
/// use tickguard::time::ticks_from_millis;
/// assert_eq!(ticks_from_millis(60_000, 1_000), Some(60_000));
/// assert_eq!(ticks_from_millis(1, 32_768), Some(33)); // 32.768 rounds up
/// assert_eq!(ticks_from_millis(u32::MAX, 1_000_000), None);
/// const OPEN: u32 = match ticks_from_millis(30_000, 100) { Some(t) => t, None => 0 };
/// assert_eq!(OPEN, 3_000);
/// ```
#[must_use]
pub const fn ticks_from_millis(ms: u32, tick_hz: u32) -> Option<u32> {
    scale_up(ms, tick_hz, 1_000)
}

/// `us` microseconds as ticks of a `tick_hz` counter, rounded up; `None` for
/// a zero frequency or a result of 2^31 ticks or more.
///
/// ```
/// use tickguard::time::ticks_from_micros;
/// assert_eq!(ticks_from_micros(1_500, 1_000), Some(2));
/// assert_eq!(ticks_from_micros(250, 1_000_000), Some(250));
/// assert_eq!(ticks_from_micros(5, 0), None);
/// ```
#[must_use]
pub const fn ticks_from_micros(us: u32, tick_hz: u32) -> Option<u32> {
    scale_up(us, tick_hz, 1_000_000)
}

/// `ceil(amount × tick_hz / per_second)` in 64-bit arithmetic, which cannot
/// overflow for 32-bit inputs.
const fn scale_up(amount: u32, tick_hz: u32, per_second: u64) -> Option<u32> {
    if tick_hz == 0 {
        return None;
    }
    let product = (amount as u64).saturating_mul(tick_hz as u64);
    let ticks = product.div_ceil(per_second);
    if ticks > MAX_DURATION as u64 {
        None
    } else {
        Some(ticks as u32)
    }
}

/// `ceil(value / 2^shift)`, for `shift < 32`, computed on the wrapping circle.
#[inline]
const fn ceil_shr(value: u32, shift: u32) -> u32 {
    let below = value & low_mask(shift);
    let floor = value >> shift;
    if below == 0 {
        floor
    } else {
        floor.wrapping_add(1)
    }
}

/// A mask of the low `bits` bits, for `bits <= 32`.
#[inline]
pub(crate) const fn low_mask(bits: u32) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits).wrapping_sub(1)
    }
}

/// How a deadline is kept in a field of a few bits inside a state word.
///
/// The deadline is stored as `ceil(deadline / 2^shift)` modulo 2^`bits`: a
/// quantum of `2^shift` ticks, chosen as the smallest that keeps the duration
/// within the field's precision, so short durations are exact and long ones
/// are rounded up (later, never earlier) by less than their 2^-(precision−1).
///
/// A stored deadline is *pending* while at most `window` quanta lie between
/// `now` and it: the duration itself plus as much again, so a clock that went
/// backwards by up to one duration still reads as "no time elapsed". Anything
/// further ahead is stale (the tick counter wrapped while nobody called) and
/// reads as expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Horizon {
    shift: u8,
    bits: u8,
    window: u32,
}

impl Horizon {
    /// The coding for deadlines `duration` ticks ahead in a field of
    /// `field_bits` bits with at most 2^`precision_bits` − 1 quanta per
    /// duration. `duration <= MAX_DURATION`, `3 <= precision_bits < field_bits
    /// <= 31`.
    pub(crate) const fn new(duration: u32, field_bits: u32, precision_bits: u32) -> Self {
        // No shift below this one can fit: the duration has 2^precision or
        // more quanta there. Starting here keeps the loop to a step or two.
        let mut shift = bit_length(duration).saturating_sub(precision_bits);
        loop {
            let avail = 32u32.saturating_sub(shift);
            let bits = if field_bits < avail {
                field_bits
            } else {
                avail
            };
            let mask = low_mask(bits);
            let quanta = ceil_shr(duration, shift);
            let fits = quanta < (1u32 << precision_bits) && quanta < mask;
            if fits || shift >= 31 {
                // The duration plus as much again for a clock that went back;
                // durations near 2^31 ticks take the whole circle but zero.
                let doubled = quanta.saturating_mul(2).saturating_add(1);
                let window = if doubled < mask { doubled } else { mask };
                return Self {
                    shift: shift as u8,
                    bits: bits as u8,
                    window,
                };
            }
            shift = shift.saturating_add(1);
        }
    }

    /// Stores the deadline `duration` ticks after `now`; returns the field and
    /// the deadline as it will be read back (rounded up to a quantum).
    #[inline]
    pub(crate) const fn encode(&self, now: Tick, duration: u32) -> (u32, Tick) {
        let shift = self.shift as u32;
        let quantum = ceil_shr(now.wrapping_add(duration), shift);
        (
            quantum & low_mask(self.bits as u32),
            quantum.wrapping_shl(shift),
        )
    }

    /// The deadline stored in `field` if it is still pending at `now`, or
    /// `None` if it has been reached (or is stale).
    #[inline]
    pub(crate) const fn pending(&self, field: u32, now: Tick) -> Option<Tick> {
        let shift = self.shift as u32;
        let now_quantum = now >> shift;
        let ahead = field.wrapping_sub(now_quantum) & low_mask(self.bits as u32);
        if ahead == 0 || ahead > self.window {
            None
        } else {
            Some(now_quantum.wrapping_add(ahead).wrapping_shl(shift))
        }
    }

    /// Ticks per stored quantum.
    #[cfg(test)]
    pub(crate) const fn quantum(&self) -> u32 {
        1 << self.shift
    }
}

/// The bit length of `value`: 0 for 0, 32 for values at or above 2^31.
#[inline]
pub(crate) const fn bit_length(value: u32) -> u32 {
    32u32.saturating_sub(value.leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELD_LAYOUTS: [(u32, u32); 3] = [(23, 18), (18, 15), (13, 10)];

    fn durations() -> impl Iterator<Item = u32> {
        (0..=31u32)
            .flat_map(|b| {
                let base = 1u32 << b;
                [
                    base.wrapping_sub(1),
                    base,
                    base.wrapping_add(1),
                    base / 3 * 2,
                ]
            })
            .chain([60_000, 1_000, 100, 7])
            .filter(|d| *d <= MAX_DURATION)
    }

    const NOWS: [u32; 7] = [
        0,
        1,
        12_345,
        1 << 31,
        u32::MAX - 70_000,
        u32::MAX - 1,
        u32::MAX,
    ];

    #[test]
    fn deadline_is_pending_until_reached_and_never_early() {
        for (bits, precision) in FIELD_LAYOUTS {
            for d in durations() {
                let h = Horizon::new(d, bits, precision);
                for now in NOWS {
                    let (field, deadline) = h.encode(now, d);
                    let exact = now.wrapping_add(d);
                    let late = deadline.wrapping_sub(exact);
                    assert!(late < h.quantum(), "d={d} late={late}");
                    // Rounded up by less than 2^-(precision-1) of the duration.
                    if h.quantum() > 1 && d < 1 << 24 {
                        assert!(u64::from(h.quantum()) << (precision - 1) <= u64::from(d) * 2);
                    }
                    if deadline != now {
                        assert_eq!(h.pending(field, now), Some(deadline), "d={d} now={now}");
                        let before = deadline.wrapping_sub(1);
                        assert_eq!(h.pending(field, before), Some(deadline));
                    }
                    assert_eq!(h.pending(field, deadline), None);
                    assert_eq!(h.pending(field, deadline.wrapping_add(1)), None);
                }
            }
        }
    }

    #[test]
    fn short_durations_are_exact() {
        for (bits, precision) in FIELD_LAYOUTS {
            for d in 0..(1u32 << (precision - 1)) {
                let h = Horizon::new(d, bits, precision);
                assert_eq!(h.quantum(), 1);
                assert_eq!(h.encode(u32::MAX - 3, d).1, d.wrapping_sub(4));
            }
        }
    }

    #[test]
    fn backwards_time_within_one_duration_keeps_deadline() {
        for (bits, precision) in FIELD_LAYOUTS {
            for d in durations().filter(|d| *d > 0 && *d < 1 << 29) {
                let h = Horizon::new(d, bits, precision);
                let now = 5_000u32;
                let (field, deadline) = h.encode(now, d);
                let back = now.wrapping_sub(d - d / 8);
                assert_eq!(h.pending(field, back), Some(deadline), "d={d}");
            }
        }
    }

    #[test]
    fn stale_deadline_after_long_idle_never_waits_more_than_one_extra_duration() {
        for (bits, precision) in FIELD_LAYOUTS {
            for d in [1u32, 100, 60_000, 1 << 20] {
                let h = Horizon::new(d, bits, precision);
                let (field, _) = h.encode(1_000, d);
                let mut stale = 0;
                for k in 1..5_000u32 {
                    let now = 1_000u32
                        .wrapping_add(d)
                        .wrapping_add(k.wrapping_mul(2_654_435_761));
                    match h.pending(field, now) {
                        None => stale += 1,
                        Some(at) => assert!(at.wrapping_sub(now) <= 2 * d + 2 * h.quantum()),
                    }
                }
                assert!(stale > 2_500, "d={d} bits={bits}: {stale}");
            }
        }
    }

    #[test]
    fn conversions_round_up_and_reject_overflow() {
        assert_eq!(ticks_from_millis(0, 1_000), Some(0));
        assert_eq!(ticks_from_millis(1, 1), Some(1));
        assert_eq!(ticks_from_millis(999, 1), Some(1));
        assert_eq!(ticks_from_millis(u32::MAX, u32::MAX), None);
        assert_eq!(ticks_from_millis(2_147_484, 1_000_000), None);
        assert_eq!(ticks_from_millis(2_147_483, 1_000_000), Some(2_147_483_000));
        assert_eq!(ticks_from_millis(2_147_483, 1_000), Some(2_147_483));
        assert_eq!(ticks_from_micros(u32::MAX, 1), Some(4_295));
        assert_eq!(ticks_from_micros(1, 0), None);
        assert_eq!(bit_length(0), 0);
        assert_eq!(bit_length(1), 1);
        assert_eq!(bit_length(u32::MAX), 32);
    }

    #[test]
    fn elapsed_and_reached_follow_the_circle() {
        assert_eq!(elapsed(0, u32::MAX), 1);
        assert_eq!(elapsed(MAX_DURATION, 0), MAX_DURATION);
        assert_eq!(elapsed(1 << 31, 0), 0);
        assert!(is_reached(0, u32::MAX));
        assert!(!is_reached(u32::MAX, 0));
    }
}
