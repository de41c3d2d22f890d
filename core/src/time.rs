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
//! [`Instant`] and [`Duration`] carry ticks through the API, so that a point
//! in time and a span cannot be swapped; [`Duration::from_millis`] and its
//! siblings convert for a given tick frequency, rounding up, without
//! overflow.

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

/// [`MAX_DURATION`] as a [`Duration`].
pub const MAX: Duration = Duration(MAX_DURATION);

/// A point on the caller's monotonic tick counter: what every guard takes
/// as `now` and gives back as a tick to retry at.
///
/// A newtype, so that an instant and a [`Duration`] cannot be swapped.
/// Arithmetic never panics: `+` and `-` saturate (at `u64::MAX`, which no
/// real counter reaches, and at 0), and the `checked_*` forms say when they
/// would.
///
/// ```
/// use tickguard::time::{Duration, Instant};
/// let now = Instant::from_ticks(1_000);
/// let later = now + Duration::from_ticks(500);
/// assert_eq!(later.ticks(), 1_500);
/// assert_eq!(later - now, Duration::from_ticks(500));
/// assert_eq!(Instant::MAX + Duration::from_ticks(1), Instant::MAX);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(Tick);

/// A span of ticks: a configured period or timeout, an age.
///
/// Built from ticks or, for a counter of known frequency, from
/// milliseconds, microseconds or seconds (rounded up, so a timeout is never
/// shorter than asked). Configurations accept at most [`MAX_DURATION`].
///
/// ```
/// use tickguard::time::Duration;
/// const OPEN: Duration = match Duration::from_millis(30_000, 32_768) {
///     Some(d) => d,
///     None => panic!("too long"),
/// };
/// assert_eq!(OPEN.ticks(), 983_040);
/// assert_eq!(Duration::from_ticks(3) * 4, Duration::from_ticks(12));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration(Tick);

impl Instant {
    /// Tick 0.
    pub const ZERO: Self = Self(0);
    /// The last tick (a deadline that never comes).
    pub const MAX: Self = Self(u64::MAX);

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    ///
    /// ```
    /// use tickguard::time::{Duration, Instant};
    /// let (a, b) = (Instant::from_ticks(5), Instant::from_ticks(8));
    /// assert_eq!(b.checked_duration_since(a), Some(Duration::from_ticks(3)));
    /// assert_eq!(a.checked_duration_since(b), None);
    /// ```
    #[must_use]
    pub const fn checked_duration_since(self, earlier: Self) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(ticks) => Some(Duration(ticks)),
            None => None,
        }
    }

    /// The time from `earlier` to `self`, 0 if `earlier` is later.
    ///
    /// ```
    /// use tickguard::time::{Duration, Instant};
    /// let (a, b) = (Instant::from_ticks(5), Instant::from_ticks(8));
    /// assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    /// ```
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time.
    pub const ZERO: Self = Self(0);
    /// The longest span a `u64` counts.
    pub const MAX: Self = Self(u64::MAX);

    /// `ms` milliseconds of a `tick_hz` counter, rounded up; `None` for a
    /// zero frequency or more than [`MAX_DURATION`].
    ///
    /// ```
    /// use tickguard::time::Duration;
    /// assert_eq!(Duration::from_millis(60_000, 1_000), Some(Duration::from_ticks(60_000)));
    /// assert_eq!(Duration::from_millis(1, 32_768), Some(Duration::from_ticks(33))); // 32.768 rounds up
    /// assert_eq!(Duration::from_millis(u64::MAX, 1_000), None);
    /// ```
    #[must_use]
    pub const fn from_millis(ms: u64, tick_hz: u64) -> Option<Self> {
        scale_up(ms, tick_hz, 1_000)
    }

    /// `us` microseconds of a `tick_hz` counter, rounded up; `None` for a
    /// zero frequency or more than [`MAX_DURATION`].
    ///
    /// ```
    /// use tickguard::time::Duration;
    /// assert_eq!(Duration::from_micros(1_500, 1_000), Some(Duration::from_ticks(2)));
    /// assert_eq!(Duration::from_micros(5, 0), None);
    /// ```
    #[must_use]
    pub const fn from_micros(us: u64, tick_hz: u64) -> Option<Self> {
        scale_up(us, tick_hz, 1_000_000)
    }

    /// `s` seconds of a `tick_hz` counter; `None` for a zero frequency or
    /// more than [`MAX_DURATION`].
    ///
    /// ```
    /// use tickguard::time::Duration;
    /// assert_eq!(Duration::from_secs(30, 1_000), Some(Duration::from_ticks(30_000)));
    /// ```
    #[must_use]
    pub const fn from_secs(s: u64, tick_hz: u64) -> Option<Self> {
        scale_up(s, tick_hz, 1)
    }

    /// `self × factor`, or `None` on overflow.
    ///
    /// ```
    /// use tickguard::time::Duration;
    /// assert_eq!(Duration::from_ticks(3).checked_mul(2), Some(Duration::from_ticks(6)));
    /// ```
    #[must_use]
    pub const fn checked_mul(self, factor: u64) -> Option<Self> {
        match self.0.checked_mul(factor) {
            Some(ticks) => Some(Self(ticks)),
            None => None,
        }
    }

    /// `self × factor`, saturating.
    ///
    /// ```
    /// use tickguard::time::Duration;
    /// assert_eq!(Duration::MAX.saturating_mul(2), Duration::MAX);
    /// ```
    #[must_use]
    pub const fn saturating_mul(self, factor: u64) -> Self {
        Self(self.0.saturating_mul(factor))
    }
}

/// What an [`Instant`] and a [`Duration`] share: ticks in and out, and
/// adding or subtracting a [`Duration`], checked and saturating.
macro_rules! duration_arithmetic {
    ($ty:ident) => {
        impl $ty {
            #[doc = concat!("The ", stringify!($ty), " of `ticks` ticks.")]
            ///
            /// ```
            /// use tickguard::time::{Duration, Instant};
            #[doc = concat!("assert_eq!(", stringify!($ty), "::from_ticks(7).ticks(), 7);")]
            /// ```
            #[must_use]
            pub const fn from_ticks(ticks: Tick) -> Self {
                Self(ticks)
            }

            /// The count of ticks.
            ///
            /// ```
            /// use tickguard::time::{Duration, Instant};
            #[doc = concat!("assert_eq!(", stringify!($ty), "::ZERO.ticks(), 0);")]
            /// ```
            #[must_use]
            pub const fn ticks(self) -> Tick {
                self.0
            }

            #[doc = concat!("`self + duration`, or `None` past `u64::MAX`.")]
            ///
            /// ```
            /// use tickguard::time::{Duration, Instant};
            #[doc = concat!("let max = ", stringify!($ty), "::MAX;")]
            /// assert_eq!(max.checked_add(Duration::from_ticks(1)), None);
            /// ```
            #[must_use]
            pub const fn checked_add(self, duration: Duration) -> Option<Self> {
                match self.0.checked_add(duration.0) {
                    Some(ticks) => Some(Self(ticks)),
                    None => None,
                }
            }

            /// `self + duration`, saturating at `u64::MAX` ticks.
            ///
            /// ```
            /// use tickguard::time::{Duration, Instant};
            #[doc = concat!("let max = ", stringify!($ty), "::MAX;")]
            /// assert_eq!(max.saturating_add(Duration::from_ticks(1)), max);
            /// ```
            #[must_use]
            pub const fn saturating_add(self, duration: Duration) -> Self {
                Self(self.0.saturating_add(duration.0))
            }

            /// `self - duration`, or `None` below 0.
            ///
            /// ```
            /// use tickguard::time::{Duration, Instant};
            #[doc = concat!("let zero = ", stringify!($ty), "::ZERO;")]
            /// assert_eq!(zero.checked_sub(Duration::from_ticks(1)), None);
            /// ```
            #[must_use]
            pub const fn checked_sub(self, duration: Duration) -> Option<Self> {
                match self.0.checked_sub(duration.0) {
                    Some(ticks) => Some(Self(ticks)),
                    None => None,
                }
            }

            /// `self - duration`, saturating at 0.
            ///
            /// ```
            /// use tickguard::time::{Duration, Instant};
            #[doc = concat!("let zero = ", stringify!($ty), "::ZERO;")]
            /// assert_eq!(zero.saturating_sub(Duration::from_ticks(1)), zero);
            /// ```
            #[must_use]
            pub const fn saturating_sub(self, duration: Duration) -> Self {
                Self(self.0.saturating_sub(duration.0))
            }
        }
    };
}
duration_arithmetic!(Instant);
duration_arithmetic!(Duration);

/// Implements a saturating operator (no operator here can panic).
macro_rules! saturating_operator {
    ($trait:ident, $method:ident, $lhs:ty, $rhs:ty, $out:ty, $body:expr) => {
        impl core::ops::$trait<$rhs> for $lhs {
            type Output = $out;
            /// Saturating: never panics, never wraps.
            #[inline]
            fn $method(self, rhs: $rhs) -> $out {
                $body(self, rhs)
            }
        }
    };
}
saturating_operator!(
    Add,
    add,
    Instant,
    Duration,
    Instant,
    Instant::saturating_add
);
saturating_operator!(
    Sub,
    sub,
    Instant,
    Duration,
    Instant,
    Instant::saturating_sub
);
saturating_operator!(
    Sub,
    sub,
    Instant,
    Instant,
    Duration,
    Instant::saturating_duration_since
);
saturating_operator!(
    Add,
    add,
    Duration,
    Duration,
    Duration,
    Duration::saturating_add
);
saturating_operator!(
    Sub,
    sub,
    Duration,
    Duration,
    Duration,
    Duration::saturating_sub
);
saturating_operator!(Mul, mul, Duration, u64, Duration, Duration::saturating_mul);

impl core::ops::AddAssign<Duration> for Instant {
    /// Saturating.
    fn add_assign(&mut self, rhs: Duration) {
        *self = self.saturating_add(rhs);
    }
}

impl core::ops::AddAssign for Duration {
    /// Saturating.
    fn add_assign(&mut self, rhs: Duration) {
        *self = self.saturating_add(rhs);
    }
}

impl core::fmt::Display for Instant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "tick {}", self.0)
    }
}

impl core::fmt::Display for Duration {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} ticks", self.0)
    }
}

/// `ceil(amount × tick_hz / per_second)` in 128-bit arithmetic, which cannot
/// overflow for 64-bit inputs.
const fn scale_up(amount: u64, tick_hz: u64, per_second: u128) -> Option<Duration> {
    if tick_hz == 0 {
        return None;
    }
    let product = (amount as u128).saturating_mul(tick_hz as u128);
    let ticks = product.div_ceil(per_second);
    if ticks > MAX_DURATION as u128 {
        None
    } else {
        Some(Duration(ticks as Tick))
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
/// # use tickguard::time::Instant;
/// use tickguard::time::TickExtender;
/// static TICKS: TickExtender = TickExtender::new();
/// assert_eq!(TICKS.extend(10), Instant::from_ticks(10));
/// assert_eq!(TICKS.extend(2_000_000_000), Instant::from_ticks(2_000_000_000));
/// assert_eq!(TICKS.extend(4_000_000_000), Instant::from_ticks(4_000_000_000));
/// assert_eq!(TICKS.extend(5), Instant::from_ticks((1 << 32) + 5)); // the counter wrapped
/// assert_eq!(TICKS.extend(4_000_000_100), Instant::from_ticks(4_000_000_100)); // a late reading
/// assert_eq!(TICKS.latest(), Instant::from_ticks((1 << 32) + 5));
/// ```
#[derive(Debug)]
pub struct TickExtender {
    latest: StateCell<u64>,
}

impl TickExtender {
    /// An extender whose counter starts at 0.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// assert_eq!(tickguard::time::TickExtender::new().latest(), Instant::from_ticks(0));
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self::starting_at(0)
    }

    /// An extender whose counter read `raw` when it was created (the first
    /// [`extend`](Self::extend) must come within 2^31 ticks of it).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// let ticks = tickguard::time::TickExtender::starting_at(3_000_000_000);
    /// assert_eq!(ticks.extend(3_000_000_001), Instant::from_ticks(3_000_000_001));
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
    /// # use tickguard::time::Instant;
    /// let ticks = tickguard::time::TickExtender::new();
    /// assert_eq!(ticks.extend(7), Instant::from_ticks(7));
    /// ```
    #[must_use]
    pub fn extend(&self, raw: u32) -> Instant {
        Instant::from_ticks(self.latest.apply(&Extension, Extend { raw }))
    }

    /// The latest extended tick.
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// let ticks = tickguard::time::TickExtender::new();
    /// let _ = ticks.extend(42);
    /// assert_eq!(ticks.latest(), Instant::from_ticks(42));
    /// ```
    #[must_use]
    pub fn latest(&self) -> Instant {
        Instant::from_ticks(self.latest.load())
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
    #[allow(unused_imports)]
    use crate::time::testing::{span, tick};

    #[test]
    fn conversions_round_up_and_reject_overflow() {
        let ms = |ms, hz| Duration::from_millis(ms, hz).map(Duration::ticks);
        let us = |us, hz| Duration::from_micros(us, hz).map(Duration::ticks);
        assert_eq!(ms(0, 1_000), Some(0));
        assert_eq!(ms(1, 1), Some(1));
        assert_eq!(ms(999, 1), Some(1));
        assert_eq!(ms(u64::MAX, u64::MAX), None);
        // 100 years of milliseconds at 1 GHz fits.
        let century_ms = 100 * 365 * 24 * 3_600 * 1_000;
        assert_eq!(ms(century_ms, 1_000_000_000), Some(century_ms * 1_000_000));
        assert_eq!(us(u64::MAX, 1), Some(u64::MAX.div_ceil(1_000_000)));
        assert_eq!(us(1, 0), None);
        assert_eq!(ms(MAX_DURATION, 1_000), Some(MAX_DURATION));
        assert_eq!(ms(MAX_DURATION + 1, 1_000), None);
        assert_eq!(Duration::from_secs(3, 7).map(Duration::ticks), Some(21));
        assert_eq!(Duration::from_secs(1 << 62, 2), None);
    }

    #[test]
    fn arithmetic_saturates_and_checks() {
        let (a, b) = (Instant::from_ticks(10), Instant::from_ticks(25));
        assert_eq!(b - a, Duration::from_ticks(15));
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(a + Duration::from_ticks(5), Instant::from_ticks(15));
        assert_eq!(Instant::MAX + Duration::from_ticks(5), Instant::MAX);
        assert_eq!(Instant::ZERO - Duration::from_ticks(5), Instant::ZERO);
        assert_eq!(Instant::MAX.checked_add(Duration::from_ticks(1)), None);
        assert_eq!(a.checked_sub(Duration::from_ticks(11)), None);
        assert_eq!(a.checked_duration_since(b), None);
        assert_eq!(Duration::MAX * 2, Duration::MAX);
        assert_eq!(Duration::MAX.checked_mul(2), None);
        assert_eq!(
            Duration::from_ticks(2) - Duration::from_ticks(3),
            Duration::ZERO
        );
        let mut t = a;
        t += Duration::from_ticks(1);
        assert_eq!(t.ticks(), 11);
        assert_eq!(
            std::format!("{t} {}", Duration::from_ticks(3)),
            "tick 11 3 ticks"
        );
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
            assert_eq!(ticks.extend(raw), tick(expected));
            // A reading up to 2^31 - 1 ticks old maps to its own tick and
            // leaves the latest alone.
            let late = raw.wrapping_sub((1 << 31) - 1);
            assert_eq!(ticks.extend(late), tick(expected - ((1 << 31) - 1)));
            assert_eq!(ticks.latest(), tick(expected));
        }
        assert!(expected > 20 << 32);
    }

    #[test]
    fn extender_never_goes_below_zero_or_past_max() {
        let fresh = TickExtender::new();
        assert_eq!(fresh.extend(u32::MAX - 5), tick(0)); // "6 ticks before 0" clamps to 0
        assert_eq!(fresh.latest(), tick(0));
        assert_eq!(extend_from(u64::MAX, 5), u64::MAX);
        let started = TickExtender::starting_at(u32::MAX - 1);
        assert_eq!(started.extend(3), tick(u64::from(u32::MAX) + 4));
    }
}

/// Conversions from and to `embassy-time`'s instants and durations: the
/// same ticks (embassy's tick rate is the counter's), so embassy firmware
/// passes `embassy_time::Instant::now().into()` as `now`.
///
/// ```
/// use tickguard::time::{Duration, Instant};
/// let now: Instant = embassy_time::Instant::from_ticks(1_234).into();
/// assert_eq!(now.ticks(), 1_234);
/// let back: embassy_time::Duration = Duration::from_ticks(7).into();
/// assert_eq!(back.as_ticks(), 7);
/// ```
#[cfg(feature = "embassy-time")]
#[cfg_attr(docsrs, doc(cfg(feature = "embassy-time")))]
pub mod embassy {
    use super::{Duration, Instant};

    super::same_ticks!(Instant <=> embassy_time::Instant, as_ticks);
    super::same_ticks!(Duration <=> embassy_time::Duration, as_ticks);
}

/// Conversions from and to `fugit`'s 64-bit instants and durations at any
/// tick rate (`fugit::TimerInstantU64<HZ>` and the like): the same ticks.
///
/// ```
/// use tickguard::time::{Duration, Instant};
/// let now: Instant = fugit::TimerInstantU64::<1_000>::from_ticks(42).into();
/// assert_eq!(now.ticks(), 42);
/// let timeout: fugit::TimerDurationU64<1_000> = Duration::from_ticks(30).into();
/// assert_eq!(timeout.to_millis(), 30);
/// ```
#[cfg(feature = "fugit")]
#[cfg_attr(docsrs, doc(cfg(feature = "fugit")))]
pub mod fugit_conversions {
    use super::{Duration, Instant};

    super::same_ticks!([const NOM: u32, const DENOM: u32] Instant <=> fugit::Instant<u64, NOM, DENOM>, ticks);
    super::same_ticks!([const NOM: u32, const DENOM: u32] Duration <=> fugit::Duration<u64, NOM, DENOM>, ticks);
}

/// `From` both ways between one of our tick types and another crate's
/// with the same ticks (read with its `$their_ticks` method, built with its
/// `from_ticks`).
#[cfg(any(feature = "embassy-time", feature = "fugit"))]
macro_rules! same_ticks {
    ($([$($generics:tt)*])? $ours:ident <=> $theirs:ty, $their_ticks:ident) => {
        impl$(<$($generics)*>)? From<$theirs> for $ours {
            fn from(theirs: $theirs) -> Self {
                Self::from_ticks(theirs.$their_ticks())
            }
        }

        impl$(<$($generics)*>)? From<$ours> for $theirs {
            fn from(ours: $ours) -> Self {
                Self::from_ticks(ours.ticks())
            }
        }
    };
}
#[cfg(any(feature = "embassy-time", feature = "fugit"))]
use same_ticks;

/// Test helpers: ticks written as plain numbers.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Duration, Instant};

    /// A tick given as a number or an instant.
    pub(crate) trait AsInstant {
        fn instant(self) -> Instant;
    }
    impl AsInstant for u64 {
        fn instant(self) -> Instant {
            Instant::from_ticks(self)
        }
    }
    impl AsInstant for Instant {
        fn instant(self) -> Instant {
            self
        }
    }

    /// The instant at `t`.
    pub(crate) fn tick(t: impl AsInstant) -> Instant {
        t.instant()
    }

    /// A span of `t` ticks.
    pub(crate) fn span(t: u64) -> Duration {
        Duration::from_ticks(t)
    }
}
