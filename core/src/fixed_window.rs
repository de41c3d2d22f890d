//! Fixed window with a suppression count: at most `burst` events per
//! window of `interval` ticks, and how many were suppressed, reported once
//! when the window rolls over. The Linux kernel's `ratelimit` (what
//! `printk_ratelimited` runs on), for log-flood protection in firmware: an
//! interrupt handler that fails a thousand times a second logs `burst`
//! lines per interval and then one "N messages suppressed".
//!
//! The rules, as the kernel's:
//!
//! * A window begins at the first event after the previous one ended (not
//!   on a fixed grid): at a call with `now ≥ begin + interval`, the window
//!   rolls over to begin at `now`.
//! * Within a window, an event is admitted while fewer than `burst` were;
//!   after that it is denied and counted as *missed* (saturating at
//!   2^31 − 1).
//! * The call that rolls a window over reports the previous window's missed
//!   count in its decision ([`Admitted::missed`], [`Denied::missed`]),
//!   whether it is itself admitted or not: every missed event is reported
//!   exactly once (property-tested), by exactly one caller among threads
//!   and interrupt handlers. [`FixedWindow::take_missed`] reports the count
//!   so far at any time (at shutdown, for a periodic flush) and clears it.
//! * `interval` 0 admits everything and writes nothing; `burst` 0 denies
//!   everything and counts it.
//!
//! Two differences from the kernel: its window covers `interval + 1`
//! jiffies (it rolls at `now > begin + interval`), this one `interval`
//! ticks; and a contended kernel call is denied without being counted (it
//! gives up on the lock), where here every event is counted.
//!
//! A fixed window admits at most `burst` events in each window, hence at
//! most `2 × burst` in any `interval` ticks (the end of one window and the
//! start of the next); the sliding windows and the token bucket smooth
//! that.
//!
//! # State and cost
//!
//! One 128-bit word: where the window began, how many it admitted, how
//! many it missed, and whether it began at all. Unlike the other limiters,
//! a denial writes the word: counting what was suppressed is this
//! limiter's purpose (a denial after the count has saturated writes
//! nothing). Every call is one compare-and-swap of the crate's driver;
//! lock-free on 64-bit hosts, an interrupt-masked critical section on
//! microcontrollers, safe from interrupt handlers.
//!
//! # Time
//!
//! A `now` older than the window's beginning means no time elapsed: a
//! lagging caller counts in the current window and never rolls it over, so
//! it can be denied, never admitted beyond `burst` in a window. A caller
//! ahead of the others rolls the window at its own `now`, and callers
//! behind it then count in the window it began.
//!
//! ```
//! use tickguard::fixed_window::{Admitted, Denied, FixedWindow, FixedWindowConfig, FixedWindowSettings};
//! use tickguard::time::{Duration, Instant};
//!
//! // At most 3 log lines per 1 000 ticks.
//! static CONFIG: FixedWindowConfig = match FixedWindowConfig::new(FixedWindowSettings {
//!     burst: 3,
//!     interval: Duration::from_ticks(1_000),
//! }) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid window"),
//! };
//! static LOG_LIMIT: FixedWindow = FixedWindow::new(&CONFIG);
//!
//! let at = Instant::from_ticks;
//! for tick in 0..3 {
//!     assert_eq!(LOG_LIMIT.acquire(1, at(tick)), Ok(Admitted { missed: 0 }));
//! }
//! for tick in 3..10 {
//!     assert_eq!(LOG_LIMIT.acquire(1, at(tick)), Err(Denied { retry_at: Some(at(1_000)), missed: 0 }));
//! }
//! // The next window's first line says how many were suppressed.
//! assert_eq!(LOG_LIMIT.acquire(1, at(1_500)), Ok(Admitted { missed: 7 }));
//! ```

use crate::cell::StateCell;
use crate::live::{live_config, Reconfigure, Source};
use crate::machine::{Input, Machine, Step};
use crate::snapshot::{Fields, Format};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::ConfigError;

/// The most missed events a window counts (31 bits); more saturate.
pub const MAX_MISSED: u32 = (1 << 31) - 1;

/// What a fixed window is asked to do, before validation.
///
/// ```
/// use tickguard::fixed_window::{FixedWindowConfig, FixedWindowSettings};
/// use tickguard::time::Duration;
/// let settings = FixedWindowSettings { burst: 20, ..FixedWindowConfig::DEFAULT_SETTINGS };
/// assert_eq!(FixedWindowConfig::new(settings).unwrap().burst(), 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FixedWindowSettings {
    /// The most events admitted per window (0 denies every event).
    pub burst: u32,
    /// The window's length (0 admits every event; at most 2^62 ticks).
    pub interval: Duration,
}

/// A validated fixed-window configuration, `const`-constructible.
///
/// ```
/// use tickguard::fixed_window::{FixedWindowConfig, FixedWindowSettings};
/// use tickguard::time::Duration;
/// use tickguard::ConfigError;
/// let settings = |burst, interval| FixedWindowSettings { burst, interval: Duration::from_ticks(interval) };
/// assert!(FixedWindowConfig::new(settings(10, 5_000)).is_ok());
/// assert!(FixedWindowConfig::new(settings(0, 5_000)).is_ok()); // denies everything
/// assert!(FixedWindowConfig::new(settings(10, 0)).is_ok()); // admits everything
/// assert_eq!(FixedWindowConfig::new(settings(10, (1 << 62) + 1)), Err(ConfigError::Interval));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FixedWindowConfig {
    burst: u32,
    /// Ticks; every value is usable (a garbage one in caller memory only
    /// changes the decisions).
    interval: Tick,
}

impl FixedWindowConfig {
    /// The kernel's default (`DEFAULT_RATELIMIT_BURST` lines per
    /// `DEFAULT_RATELIMIT_INTERVAL`) in ticks of 1 ms: 10 events per 5 s.
    pub const DEFAULT_SETTINGS: FixedWindowSettings = FixedWindowSettings {
        burst: 10,
        interval: Duration::from_ticks(5_000),
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::fixed_window::FixedWindowConfig;
    /// assert_eq!(FixedWindowConfig::DEFAULT, FixedWindowConfig::new(FixedWindowConfig::DEFAULT_SETTINGS).unwrap());
    /// ```
    pub const DEFAULT: Self = Self {
        burst: 10,
        interval: 5_000,
    };

    /// Validates `settings`.
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindowConfig, FixedWindowSettings};
    /// use tickguard::time::Duration;
    /// let config = FixedWindowConfig::new(FixedWindowSettings { burst: 5, interval: Duration::from_ticks(60_000) }).unwrap();
    /// assert_eq!(config.interval().ticks(), 60_000);
    /// ```
    pub const fn new(settings: FixedWindowSettings) -> Result<Self, ConfigError> {
        let interval = settings.interval.ticks();
        if interval > MAX_DURATION {
            return Err(ConfigError::Interval);
        }
        Ok(Self {
            burst: settings.burst,
            interval,
        })
    }

    /// The settings this configuration was built from.
    ///
    /// ```
    /// use tickguard::fixed_window::FixedWindowConfig;
    /// assert_eq!(FixedWindowConfig::DEFAULT.settings(), FixedWindowConfig::DEFAULT_SETTINGS);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> FixedWindowSettings {
        FixedWindowSettings {
            burst: self.burst,
            interval: self.interval(),
        }
    }

    /// The most events admitted per window.
    ///
    /// ```
    /// assert_eq!(tickguard::fixed_window::FixedWindowConfig::DEFAULT.burst(), 10);
    /// ```
    #[must_use]
    pub const fn burst(&self) -> u32 {
        self.burst
    }

    /// The window's length.
    ///
    /// ```
    /// assert_eq!(tickguard::fixed_window::FixedWindowConfig::DEFAULT.interval().ticks(), 5_000);
    /// ```
    #[must_use]
    pub const fn interval(&self) -> Duration {
        Duration::from_ticks(self.interval)
    }

    /// The window `word` holds as seen at `now`: the current one, or a new
    /// one beginning at `now` (with the missed count of the one it
    /// replaces, to report).
    #[inline]
    fn current(&self, word: u128, now: Tick) -> (Window, u32) {
        let window = Window::unpack(word);
        if window.started && now < window.end {
            return (window, 0);
        }
        let report = if window.started { window.missed } else { 0 };
        (Window::beginning(now, self.interval), report)
    }

    /// The step of `n` events at `now` on `word`.
    #[inline]
    fn acquire(&self, word: u128, n: u32, now: Tick) -> Step<u128, Decision> {
        if self.interval == 0 || n == 0 {
            return Step::Keep(Ok(Admitted { missed: 0 }));
        }
        let (mut window, missed) = self.current(word, now);
        if n <= self.burst.saturating_sub(window.admitted) {
            window.admitted = window.admitted.saturating_add(n);
            return Step::unless_same(word, window.pack(), Ok(Admitted { missed }));
        }
        window.missed = window.missed.saturating_add(n).min(MAX_MISSED);
        let retry_at = (n <= self.burst).then_some(Instant::from_ticks(window.end));
        Step::unless_same(word, window.pack(), Err(Denied { retry_at, missed }))
    }

    /// Events the window admits at `now` before it denies.
    #[inline]
    fn remaining(&self, word: u128, now: Tick) -> u32 {
        if self.interval == 0 {
            return u32::MAX;
        }
        let (window, _) = self.current(word, now);
        self.burst.saturating_sub(window.admitted)
    }
}

/// The state word, unpacked: every bit pattern is a window.
///
/// ```text
///  127 | 126 ........ 96 | 95 ........ 64 | 63 ............ 0
/// started | missed (31)   | admitted (32)  | end (tick)
/// ```
///
/// The window keeps the tick it rolls over at, `begin + interval`
/// (saturating: a window beginning within `interval` of the end of time
/// rolls over at its last tick), rather than its beginning: nothing else needs the
/// beginning, and a snapshot re-bases the end exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    started: bool,
    missed: u32,
    admitted: u32,
    end: Tick,
}

impl Window {
    const fn beginning(now: Tick, interval: Tick) -> Self {
        Self {
            started: true,
            missed: 0,
            admitted: 0,
            end: now.saturating_add(interval),
        }
    }

    const fn unpack(word: u128) -> Self {
        Self {
            started: word >> 127 != 0,
            missed: (word >> 96) as u32 & MAX_MISSED,
            admitted: (word >> 64) as u32,
            end: word as u64,
        }
    }

    const fn pack(self) -> u128 {
        ((self.started as u128) << 127)
            | (((self.missed & MAX_MISSED) as u128) << 96)
            | ((self.admitted as u128) << 64)
            | self.end as u128
    }
}

/// An event the window admitted.
///
/// ```
/// use tickguard::fixed_window::Admitted;
/// let first_of_window = Admitted { missed: 12 };
/// assert_eq!(first_of_window.to_string(), "admitted (12 suppressed before)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Admitted {
    /// Events the previous window denied, reported by this call because it
    /// began a new window (0 otherwise): log them ("12 messages
    /// suppressed"); no other call reports them.
    pub missed: u32,
}

/// An event the window denied (and counted as missed).
///
/// ```
/// use tickguard::fixed_window::Denied;
/// use tickguard::time::Instant;
/// let denied = Denied { retry_at: Some(Instant::from_ticks(5_000)), missed: 0 };
/// assert_eq!(denied.to_string(), "suppressed: retry at tick 5000");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Denied {
    /// When the window rolls over and the event would be admitted; `None`
    /// when it never can be (more events at once than `burst`, or `burst`
    /// 0).
    pub retry_at: Option<Instant>,
    /// As [`Admitted::missed`]: the previous window's missed events, when
    /// this call began a new window that denies at once (`burst` 0, or more
    /// events at once than `burst`).
    pub missed: u32,
}

impl core::fmt::Display for Admitted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.missed {
            0 => f.write_str("admitted"),
            missed => write!(f, "admitted ({missed} suppressed before)"),
        }
    }
}

impl core::fmt::Display for Denied {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.retry_at {
            Some(at) => write!(f, "suppressed: retry at {at}")?,
            None => f.write_str("suppressed: never admitted")?,
        }
        match self.missed {
            0 => Ok(()),
            missed => write!(f, " ({missed} suppressed before)"),
        }
    }
}

/// A denial as an error, for `?`.
///
/// ```
/// use tickguard::fixed_window::Denied;
/// let error: &dyn core::error::Error = &Denied { retry_at: None, missed: 3 };
/// assert_eq!(error.to_string(), "suppressed: never admitted (3 suppressed before)");
/// ```
impl core::error::Error for Denied {}

/// What [`FixedWindow::acquire`] decides.
pub type Decision = Result<Admitted, Denied>;

impl Machine for FixedWindowConfig {
    type Word = u128;

    /// No window yet.
    fn fresh(&self) -> u128 {
        0
    }
}

/// [`FixedWindow::acquire`] as a machine input ([`crate::machine`]).
///
/// ```
/// use core::cell::Cell;
/// use tickguard::fixed_window::{Acquire, Admitted, FixedWindowConfig};
/// use tickguard::machine::{run, Machine};
/// use tickguard::time::Instant;
/// let config = FixedWindowConfig::DEFAULT;
/// let mut word = Cell::new(config.fresh());
/// let decision = run(&config, Acquire { n: 1, now: Instant::from_ticks(7) }, &mut word).unwrap();
/// assert_eq!(decision, Ok(Admitted { missed: 0 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acquire {
    /// Events (1 for one log line).
    pub n: u32,
    /// The caller's tick.
    pub now: Instant,
}

impl Input<FixedWindowConfig> for Acquire {
    type Decision = Decision;

    fn step(&self, config: &FixedWindowConfig, word: u128) -> Step<u128, Decision> {
        config.acquire(word, self.n, self.now.ticks())
    }
}

/// [`FixedWindow::remaining`] as a machine input: reads only.
///
/// ```
/// use tickguard::fixed_window::{FixedWindowConfig, Remaining};
/// use tickguard::machine::{Input, Machine};
/// use tickguard::time::Instant;
/// let config = FixedWindowConfig::DEFAULT;
/// assert_eq!(Remaining { now: Instant::ZERO }.quick(&config, config.fresh()), Some(10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remaining {
    /// The caller's tick.
    pub now: Instant,
}

impl Input<FixedWindowConfig> for Remaining {
    type Decision = u32;

    fn quick(&self, config: &FixedWindowConfig, word: u128) -> Option<u32> {
        Some(config.remaining(word, self.now.ticks()))
    }

    fn step(&self, config: &FixedWindowConfig, word: u128) -> Step<u128, u32> {
        Step::Keep(config.remaining(word, self.now.ticks()))
    }
}

/// [`FixedWindow::take_missed`] as a machine input.
///
/// ```
/// use tickguard::fixed_window::{FixedWindowConfig, TakeMissed};
/// use tickguard::machine::{Input, Step};
/// let config = FixedWindowConfig::DEFAULT;
/// assert_eq!(TakeMissed.step(&config, 0), Step::Keep(0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TakeMissed;

impl Input<FixedWindowConfig> for TakeMissed {
    type Decision = u32;

    fn step(&self, _: &FixedWindowConfig, word: u128) -> Step<u128, u32> {
        let mut window = Window::unpack(word);
        if !window.started {
            return Step::Keep(0);
        }
        let missed = window.missed;
        window.missed = 0;
        Step::unless_same(word, window.pack(), missed)
    }
}

impl AsRef<FixedWindowConfig> for FixedWindowConfig {
    fn as_ref(&self) -> &FixedWindowConfig {
        self
    }
}

live_config!(FixedWindowConfig, "window");

impl FixedWindowConfig {
    pub(crate) const fn packed(self) -> u128 {
        ((self.burst as u128) << 64) | self.interval as u128
    }

    pub(crate) const fn from_packed(word: u128) -> Self {
        Self {
            burst: (word >> 64) as u32,
            interval: word as u64,
        }
    }
}

/// A fixed window with a suppression count: its configuration (or a
/// reference to it) and one 128-bit state word. All methods take `&self`
/// and are safe from several threads and interrupt handlers at once.
///
/// ```
/// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
/// use tickguard::time::Instant;
/// let window = FixedWindow::new(FixedWindowConfig::DEFAULT);
/// assert!(window.acquire(10, Instant::from_ticks(0)).is_ok());
/// assert!(window.acquire(1, Instant::from_ticks(4_999)).is_err());
/// assert_eq!(window.acquire(1, Instant::from_ticks(5_000)).unwrap().missed, 1);
/// ```
#[derive(Debug)]
pub struct FixedWindow<C = &'static FixedWindowConfig> {
    config: C,
    word: StateCell<u128>,
}

impl<C: Source<FixedWindowConfig>> FixedWindow<C> {
    /// A window that has not begun.
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
    /// use tickguard::time::Instant;
    /// let window = FixedWindow::new(FixedWindowConfig::DEFAULT);
    /// assert_eq!(window.remaining(Instant::ZERO), 10);
    /// ```
    #[must_use]
    pub const fn new(config: C) -> Self {
        Self {
            config,
            word: StateCell::<u128>::new(0),
        }
    }

    /// The configuration.
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
    /// assert_eq!(FixedWindow::new(FixedWindowConfig::DEFAULT).config().burst(), 10);
    /// ```
    #[must_use]
    pub fn config(&self) -> FixedWindowConfig {
        self.config.current()
    }

    /// Admits `n` events at `now` if the window has room for them, or
    /// denies them and counts them as missed. The call that begins a new
    /// window reports the previous window's missed count in its decision.
    /// `n = 0` is admitted and changes nothing.
    ///
    /// ```
    /// use tickguard::fixed_window::{Denied, FixedWindow, FixedWindowConfig, FixedWindowSettings};
    /// use tickguard::time::{Duration, Instant};
    /// let window = FixedWindow::new(FixedWindowConfig::new(FixedWindowSettings { burst: 2, interval: Duration::from_ticks(100) }).unwrap());
    /// assert!(window.acquire(2, Instant::from_ticks(10)).is_ok());
    /// assert_eq!(window.acquire(1, Instant::from_ticks(20)), Err(Denied { retry_at: Some(Instant::from_ticks(110)), missed: 0 }));
    /// assert_eq!(window.acquire(3, Instant::from_ticks(200)), Err(Denied { retry_at: None, missed: 1 })); // never fits
    /// ```
    #[inline]
    pub fn acquire(&self, n: u32, now: Instant) -> Decision {
        self.word.apply(&self.config(), Acquire { n, now })
    }

    /// Events the window would admit at `now`. Reads only.
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
    /// use tickguard::time::Instant;
    /// let window = FixedWindow::new(FixedWindowConfig::DEFAULT);
    /// window.acquire(4, Instant::ZERO).unwrap();
    /// assert_eq!(window.remaining(Instant::from_ticks(1)), 6);
    /// assert_eq!(window.remaining(Instant::from_ticks(5_000)), 10); // a new window
    /// ```
    #[must_use]
    pub fn remaining(&self, now: Instant) -> u32 {
        self.config().remaining(self.word.load(), now.ticks())
    }

    /// The events missed so far in the current window, reported now and
    /// cleared (so the window's roll-over does not report them again): for
    /// a last "N suppressed" at shutdown, or a periodic flush.
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
    /// use tickguard::time::Instant;
    /// let window = FixedWindow::new(FixedWindowConfig::DEFAULT);
    /// let _ = window.acquire(13, Instant::ZERO);
    /// assert_eq!(window.take_missed(), 13);
    /// assert_eq!(window.take_missed(), 0);
    /// assert_eq!(window.acquire(1, Instant::from_ticks(5_000)).unwrap().missed, 0);
    /// ```
    pub fn take_missed(&self) -> u32 {
        self.word.apply(&self.config(), TakeMissed)
    }

    /// Forgets the window and its missed count, as if new.
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
    /// use tickguard::time::Instant;
    /// let window = FixedWindow::new(FixedWindowConfig::DEFAULT);
    /// window.acquire(10, Instant::ZERO).unwrap();
    /// window.reset();
    /// assert_eq!(window.remaining(Instant::from_ticks(1)), 10);
    /// ```
    pub fn reset(&self) {
        self.word.store(0);
    }

    /// The state as a snapshot taken at `now` ([`crate::snapshot`]).
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let window = FixedWindow::new(&FixedWindowConfig::DEFAULT);
    /// window.acquire(10, Instant::from_ticks(90_000)).unwrap();
    /// for _ in 0..12 {
    ///     let _ = window.acquire(1, Instant::from_ticks(90_500));
    /// }
    /// let saved = window.snapshot(Instant::from_ticks(91_000));
    /// let rebooted = FixedWindow::new(&FixedWindowConfig::DEFAULT);
    /// rebooted.restore(&saved, Instant::from_ticks(0)).unwrap();
    /// assert_eq!(rebooted.remaining(Instant::from_ticks(1)), 0); // 4 000 ticks of the window left
    /// assert_eq!(rebooted.acquire(1, Instant::from_ticks(4_000)).unwrap().missed, 12);
    /// ```
    #[must_use]
    pub fn snapshot(&self, now: Instant) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, now)
    }
}

impl<C: Reconfigure<FixedWindowConfig>> FixedWindow<C> {
    /// Replaces the configuration while callers use the window
    /// ([`crate::live`]). The current window keeps its count and its end:
    /// a new `burst` applies to it at once (a lower one denies until it
    /// ends, a higher one admits more now), a new `interval` from the next
    /// window. Missed events are still reported once, by the call that
    /// rolls the window over. Takes no `now`: nothing a lagging caller
    /// passes can move the window.
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig, FixedWindowSettings};
    /// use tickguard::time::{Duration, Instant};
    /// let window = FixedWindow::new(FixedWindowConfig::DEFAULT.live()); // 10 per 5 000 ticks
    /// window.acquire(8, Instant::ZERO).unwrap();
    /// window.reconfigure(FixedWindowConfig::new(FixedWindowSettings { burst: 3, interval: Duration::from_ticks(100) }).unwrap());
    /// assert!(window.acquire(1, Instant::from_ticks(10)).is_err()); // 8 of 3 already
    /// assert_eq!(window.acquire(1, Instant::from_ticks(5_000)).unwrap().missed, 1);
    /// assert_eq!(window.remaining(Instant::from_ticks(5_099)), 2);
    /// assert_eq!(window.remaining(Instant::from_ticks(5_100)), 3); // 100-tick windows now
    /// ```
    pub fn reconfigure(&self, config: FixedWindowConfig) {
        self.config.replace(config);
    }
}

/// Bytes of a fixed window's snapshot ([`FixedWindow::snapshot`]).
pub const SNAPSHOT_LEN: usize = <FixedWindowConfig as Format>::LEN;

impl Format for FixedWindowConfig {
    const KIND: u8 = 6;
    /// Whether a window began; then its end relative to `now`, its
    /// admitted and missed counts.
    const STATE_LEN: usize = 1 + 8 + 4 + 4;

    fn fingerprint(&self, fields: &mut Fields<'_>) {
        fields.u32(self.burst);
        fields.u64(self.interval);
    }

    fn save_state(&self, word: u128, fields: &mut Fields<'_>) {
        let window = Window::unpack(word);
        if !window.started {
            fields.u8(0);
            return;
        }
        fields.u8(1);
        fields.tick(window.end);
        fields.u32(window.admitted);
        fields.u32(window.missed);
    }

    /// The window ends as many ticks after `now` as it did after the
    /// snapshot's tick; one that had ended (even before this run's tick 0)
    /// rolls over at the next call and reports its missed count. A window
    /// ending more than `interval` after `now` is corrupt.
    fn restore_state(&self, fields: &mut Fields<'_>) -> Option<u128> {
        match fields.read_u8() {
            0 => Some(0),
            1 => {
                let end = fields.read_tick_in_range().unwrap_or(0);
                let admitted = fields.read_u32();
                let missed = fields.read_u32();
                let latest_end = fields.now().saturating_add(self.interval);
                let valid = missed <= MAX_MISSED && (end <= latest_end || end == Tick::MAX);
                valid.then_some(
                    Window {
                        started: true,
                        missed,
                        admitted,
                        end,
                    }
                    .pack(),
                )
            }
            _ => None,
        }
    }
}

crate::snapshot::snapshot_of_one_cell! {
    /// Saves and restores the window ([`crate::snapshot`]).
    ///
    /// ```
    /// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let window = FixedWindow::new(&FixedWindowConfig::DEFAULT);
    /// assert!(window.restore(b"garbage", Instant::ZERO).is_err());
    /// assert_eq!(window.remaining(Instant::ZERO), 10); // left fresh
    /// ```
    impl[C: Source<FixedWindowConfig>] for FixedWindow<C> {
        machine: FixedWindowConfig,
        |this| (&this.config(), &this.word)
    }
}

impl Default for FixedWindowConfig {
    /// [`FixedWindowConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests;
