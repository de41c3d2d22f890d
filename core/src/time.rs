//! The time model: caller-supplied monotonic `u64` ticks.
//!
//! * A tick is a `u64` from a monotonic counter at any rate (nanoseconds,
//!   microseconds, milliseconds, RTOS ticks). Nothing wraps: at 1 GHz a
//!   `u64` lasts 584 years, and every guarantee of this crate holds for ticks
//!   up to [`MAX_DURATION`] (2^62, 146 years at 1 GHz).
//! * Every configured duration is at most [`MAX_DURATION`], checked at
//!   construction; deadlines are `now + duration`, saturating, so no input
//!   can overflow.
//! * A `now` older than one a guard has already seen means no time elapsed:
//!   it can cause a refusal, never an admission the guard would refuse at
//!   its latest tick (each primitive's docs say exactly what a stale `now`
//!   does for each operation).
//! * 32-bit tick sources (`HAL_GetTick`, `xTaskGetTickCount`) go through a
//!   [`TickExtender`].
//!
//! [`ticks_from_millis`] and [`ticks_from_micros`] convert durations for a
//! given tick frequency, rounding up, without overflow.

use crate::cell::StateCell;
use crate::machine::{Input, Machine, Step};

/// A point on the caller's monotonic tick counter.
pub type Tick = u64;

/// The longest duration any configuration accepts, and the horizon up to
/// which every guarantee holds: 2^62 ticks (146 years at 1 GHz).
///
/// ```
/// assert_eq!(tickguard::time::MAX_DURATION, 1 << 62);
/// ```
pub const MAX_DURATION: Tick = 1 << 62;

/// `now + duration`, saturating at `u64::MAX` (which no real counter reaches).
///
/// ```
/// use tickguard::time::deadline;
/// assert_eq!(deadline(10, 5), 15);
/// assert_eq!(deadline(u64::MAX - 1, 5), u64::MAX);
/// ```
#[inline]
#[must_use]
pub const fn deadline(now: Tick, duration: Tick) -> Tick {
    now.saturating_add(duration)
}

/// `ms` milliseconds as ticks of a `tick_hz` counter, rounded up so a timeout
/// is never shorter than asked; `None` for a zero frequency or a result above
/// [`MAX_DURATION`].
///
/// ```
/// use tickguard::time::ticks_from_millis;
/// assert_eq!(ticks_from_millis(60_000, 1_000), Some(60_000));
/// assert_eq!(ticks_from_millis(1, 32_768), Some(33)); // 32.768 rounds up
/// assert_eq!(ticks_from_millis(1_500, 1_000_000_000), Some(1_500_000_000));
/// assert_eq!(ticks_from_millis(u64::MAX, 1_000), None);
/// const OPEN: u64 = match ticks_from_millis(30_000, 100) { Some(t) => t, None => 0 };
/// assert_eq!(OPEN, 3_000);
/// ```
#[must_use]
pub const fn ticks_from_millis(ms: u64, tick_hz: u64) -> Option<Tick> {
    scale_up(ms, tick_hz, 1_000)
}

/// `us` microseconds as ticks of a `tick_hz` counter, rounded up; `None` for
/// a zero frequency or a result above [`MAX_DURATION`].
///
/// ```
/// use tickguard::time::ticks_from_micros;
/// assert_eq!(ticks_from_micros(1_500, 1_000), Some(2));
/// assert_eq!(ticks_from_micros(250, 1_000_000), Some(250));
/// assert_eq!(ticks_from_micros(5, 0), None);
/// ```
#[must_use]
pub const fn ticks_from_micros(us: u64, tick_hz: u64) -> Option<Tick> {
    scale_up(us, tick_hz, 1_000_000)
}

/// `ceil(amount × tick_hz / per_second)` in 128-bit arithmetic, which cannot
/// overflow for 64-bit inputs.
const fn scale_up(amount: u64, tick_hz: u64, per_second: u128) -> Option<Tick> {
    if tick_hz == 0 {
        return None;
    }
    let product = (amount as u128).saturating_mul(tick_hz as u128);
    let ticks = product.div_ceil(per_second);
    if ticks > MAX_DURATION as u128 {
        None
    } else {
        Some(ticks as Tick)
    }
}

/// Turns a wrapping 32-bit tick counter (`HAL_GetTick`, `xTaskGetTickCount`,
/// a 32-bit timer) into the monotonic `u64` ticks every guard takes.
///
/// It keeps the latest extended tick in one atomic word. Its one rule: it
/// must see the counter at least once every 2^31 ticks (24.8 days at 1 kHz,
/// 35.8 minutes at 1 MHz), for example by calling it from the tick interrupt
/// or a periodic task. Safe from interrupt handlers and threads at once
/// (lock-free where the target has a 64-bit compare-and-swap, an
/// interrupt-masked critical section elsewhere).
///
/// A reading older than the latest one (a caller that read the counter, was
/// preempted, and calls late) extends to its own, earlier, tick: the result is
/// always the true tick of the reading, never a jump of 2^32.
///
/// It starts from counter value 0 ([`TickExtender::new`], right for tick
/// counters that start at boot) or from a given reading
/// ([`TickExtender::starting_at`]).
///
/// ```
/// use tickguard::time::TickExtender;
/// static TICKS: TickExtender = TickExtender::new();
/// assert_eq!(TICKS.extend(10), 10);
/// assert_eq!(TICKS.extend(2_000_000_000), 2_000_000_000);
/// assert_eq!(TICKS.extend(4_000_000_000), 4_000_000_000);
/// assert_eq!(TICKS.extend(5), (1 << 32) + 5); // the counter wrapped
/// assert_eq!(TICKS.extend(4_000_000_100), 4_000_000_100); // a late reading
/// assert_eq!(TICKS.latest(), (1 << 32) + 5);
/// ```
#[derive(Debug)]
pub struct TickExtender {
    latest: StateCell<u64>,
}

impl TickExtender {
    /// An extender whose counter starts at 0.
    ///
    /// ```
    /// assert_eq!(tickguard::time::TickExtender::new().latest(), 0);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self::starting_at(0)
    }

    /// An extender whose counter read `raw` when it was created (the first
    /// [`extend`](Self::extend) must come within 2^31 ticks of it).
    ///
    /// ```
    /// let ticks = tickguard::time::TickExtender::starting_at(3_000_000_000);
    /// assert_eq!(ticks.extend(3_000_000_001), 3_000_000_001);
    /// ```
    #[must_use]
    pub const fn starting_at(raw: u32) -> Self {
        Self {
            latest: StateCell::<u64>::new(raw as u64),
        }
    }

    /// The `u64` tick of the 32-bit reading `raw`.
    ///
    /// ```
    /// let ticks = tickguard::time::TickExtender::new();
    /// assert_eq!(ticks.extend(7), 7);
    /// ```
    #[must_use]
    pub fn extend(&self, raw: u32) -> Tick {
        self.latest.apply(&Extension, Extend { raw })
    }

    /// The latest extended tick.
    ///
    /// ```
    /// let ticks = tickguard::time::TickExtender::new();
    /// let _ = ticks.extend(42);
    /// assert_eq!(ticks.latest(), 42);
    /// ```
    #[must_use]
    pub fn latest(&self) -> Tick {
        self.latest.load()
    }
}

/// The tick extender's machine ([`crate::machine`]): its word is the
/// latest extended tick.
///
/// ```
/// use tickguard::time::{Extend, Extension};
/// use tickguard::machine::{Input, Step};
/// assert_eq!(Extend { raw: 5 }.step(&Extension, (1 << 32) - 3), Step::Write((1 << 32) + 5, (1 << 32) + 5));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Extension;

impl Machine for Extension {
    type Word = u64;

    /// Counter value 0.
    fn fresh(&self) -> u64 {
        0
    }
}

/// [`TickExtender::extend`] as a machine input: a reading at or before the
/// latest writes nothing.
///
/// ```
/// use tickguard::time::{Extend, Extension};
/// use tickguard::machine::{Input, Step};
/// assert_eq!(Extend { raw: 3 }.step(&Extension, 7), Step::Keep(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extend {
    /// The 32-bit counter reading.
    pub raw: u32,
}

impl Input<Extension> for Extend {
    type Decision = Tick;

    fn step(&self, _: &Extension, latest: u64) -> Step<u64, Tick> {
        let extended = extend_from(latest, self.raw);
        Step::unless_same(latest, extended.max(latest), extended)
    }
}

impl Default for TickExtender {
    fn default() -> Self {
        Self::new()
    }
}

/// The tick of `raw` read within 2^31 ticks of `latest`, either side.
#[inline]
const fn extend_from(latest: Tick, raw: u32) -> Tick {
    let delta = raw.wrapping_sub(latest as u32);
    if delta < 1 << 31 {
        latest.saturating_add(delta as u64)
    } else {
        // Behind `latest` by 2^32 - delta: an earlier reading.
        latest.saturating_sub((delta.wrapping_neg()) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_up_and_reject_overflow() {
        assert_eq!(ticks_from_millis(0, 1_000), Some(0));
        assert_eq!(ticks_from_millis(1, 1), Some(1));
        assert_eq!(ticks_from_millis(999, 1), Some(1));
        assert_eq!(ticks_from_millis(u64::MAX, u64::MAX), None);
        // 100 years of milliseconds at 1 GHz fits.
        let century_ms = 100 * 365 * 24 * 3_600 * 1_000;
        assert_eq!(
            ticks_from_millis(century_ms, 1_000_000_000),
            Some(century_ms * 1_000_000)
        );
        assert_eq!(
            ticks_from_micros(u64::MAX, 1),
            Some(u64::MAX.div_ceil(1_000_000))
        );
        assert_eq!(ticks_from_micros(1, 0), None);
        assert_eq!(ticks_from_millis(MAX_DURATION, 1_000), Some(MAX_DURATION));
        assert_eq!(ticks_from_millis(MAX_DURATION + 1, 1_000), None);
    }

    #[test]
    fn extender_follows_many_wraps_and_late_readings() {
        let ticks = TickExtender::new();
        let mut raw = 0u32;
        let mut expected = 0u64;
        // 20 wraps of the 32-bit counter in steps just under 2^31.
        for step in [(1u32 << 31) - 1, 12_345, (1 << 31) - 7, 1]
            .iter()
            .cycle()
            .take(80)
        {
            raw = raw.wrapping_add(*step);
            expected += u64::from(*step);
            assert_eq!(ticks.extend(raw), expected);
            // A reading up to 2^31 - 1 ticks old maps to its own tick and
            // leaves the latest alone.
            let late = raw.wrapping_sub((1 << 31) - 1);
            assert_eq!(ticks.extend(late), expected - ((1 << 31) - 1));
            assert_eq!(ticks.latest(), expected);
        }
        assert!(expected > 20 << 32);
    }

    #[test]
    fn extender_never_goes_below_zero_or_past_max() {
        let fresh = TickExtender::new();
        assert_eq!(fresh.extend(u32::MAX - 5), 0); // "6 ticks before 0" clamps to 0
        assert_eq!(fresh.latest(), 0);
        assert_eq!(extend_from(u64::MAX, 5), u64::MAX);
        let started = TickExtender::starting_at(u32::MAX - 1);
        assert_eq!(started.extend(3), u64::from(u32::MAX) + 4);
    }
}
