//! Sliding-window log: at most `LIMIT` events in any `window` ticks,
//! exactly, over a ring of the last `LIMIT` admission ticks. For small
//! limits (a few per second per device, a handful of retries a minute),
//! where [`crate::sliding_window`]'s estimate errs too much and
//! `16 × LIMIT` bytes are affordable.
//!
//! Admissions are numbered; admission `k` is recorded in entry `k mod
//! LIMIT` with its number and tick, so the entry the next admission `n`
//! will take still holds admission `n − LIMIT`, the oldest that can count.
//! `n` is admitted at `now` exactly when `n − LIMIT` is older than the
//! window (its tick plus `window` is at most `now`): then `LIMIT − 1`
//! admissions at most fall in the `window` ticks up to `now`. Ticks are
//! recorded in admission order, never decreasing, so this one comparison
//! decides for the whole ring.
//!
//! One event per call: an exact weighted log would have to add up entries
//! to decide. Use [`crate::sliding_window`] or [`crate::fixed_window`] for
//! weights.
//!
//! # Time
//!
//! A `now` before the latest admission's tick counts as that tick (no time
//! elapsed): a lagging caller is refused what the latest tick refuses and
//! is recorded at the latest tick, so the ring stays in order. A refusal
//! writes nothing and returns the exact tick the oldest admission leaves
//! the window.
//!
//! # Snapshots
//!
//! [`Snapshot`] saves the ring's admissions as ticks relative to the
//! snapshot's tick ([`snapshot_len`] bytes for a limit), restored after a
//! reboot as many ticks before the new run's `now`: the log stays exact
//! across it.
//!
//! # Concurrency
//!
//! Every word is changed by one step ([`crate::machine`]): an admission is
//! one compare-and-swap on its entry (which carries the admission number
//! it expects to replace, so two callers can never both record `n`), then
//! one on the cursor (the next admission number), which any caller that
//! finds `n` recorded also advances. A caller that reads a cursor another
//! has moved on retries; so it is lock-free where the target has the CAS,
//! and each update is one critical section elsewhere.
//!
//! ```
//! use tickguard::bucket::Refused;
//! use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
//! use tickguard::time::{Duration, Instant};
//!
//! // 3 events per 1 000 ticks, exactly.
//! static CONFIG: SlidingLogConfig = match SlidingLogConfig::new(Duration::from_ticks(1_000)) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid window"),
//! };
//! static LOG: SlidingLog<3> = SlidingLog::new(&CONFIG);
//!
//! let at = Instant::from_ticks;
//! assert!(LOG.acquire(at(0)).is_ok());
//! assert!(LOG.acquire(at(400)).is_ok());
//! assert!(LOG.acquire(at(900)).is_ok());
//! // The fourth waits for the first to leave the window.
//! assert_eq!(LOG.acquire(at(999)), Err(Refused::Wait { retry_at: at(1_000) }));
//! assert!(LOG.acquire(at(1_000)).is_ok());
//! ```

use crate::bucket::Refused;
use crate::cell::StateCell;
use crate::live::{live_config, Reconfigure, Source};
use crate::machine::{Input, Machine, Step};
use crate::snapshot::{Frame, Snapshot, SnapshotError, CHECKSUM_LEN, HEADER_LEN};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::ConfigError;

/// The largest limit a log takes: 65 536 entries (1 MiB).
pub const MAX_LIMIT: usize = 1 << 16;

/// A validated sliding-log configuration: the window (the limit is the
/// log's entry count), `const`-constructible.
///
/// ```
/// use tickguard::sliding_log::SlidingLogConfig;
/// use tickguard::time::Duration;
/// use tickguard::ConfigError;
/// assert!(SlidingLogConfig::new(Duration::from_ticks(60_000)).is_ok());
/// assert_eq!(SlidingLogConfig::new(Duration::ZERO), Err(ConfigError::Window));
/// assert_eq!(SlidingLogConfig::new(Duration::from_ticks((1 << 62) + 1)), Err(ConfigError::Window));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlidingLogConfig {
    /// A plain integer, valid for every bit pattern (the C ABI keeps the
    /// configuration in caller memory).
    window: Tick,
}

impl SlidingLogConfig {
    /// A window of 1 000 ticks (a second of 1 ms ticks).
    ///
    /// ```
    /// assert_eq!(tickguard::sliding_log::SlidingLogConfig::DEFAULT.window().ticks(), 1_000);
    /// ```
    pub const DEFAULT: Self = Self { window: 1_000 };

    /// Validates `window` (1..=2^62 ticks).
    ///
    /// ```
    /// use tickguard::sliding_log::SlidingLogConfig;
    /// use tickguard::time::Duration;
    /// assert_eq!(SlidingLogConfig::new(Duration::from_ticks(10)).unwrap().window().ticks(), 10);
    /// ```
    pub const fn new(window: Duration) -> Result<Self, ConfigError> {
        let window = window.ticks();
        if window == 0 || window > MAX_DURATION {
            return Err(ConfigError::Window);
        }
        Ok(Self { window })
    }

    /// The window's length.
    ///
    /// ```
    /// assert_eq!(tickguard::sliding_log::SlidingLogConfig::DEFAULT.window().ticks(), 1_000);
    /// ```
    #[must_use]
    pub const fn window(&self) -> Duration {
        Duration::from_ticks(self.window)
    }
}

impl Default for SlidingLogConfig {
    /// [`SlidingLogConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

live_config!(SlidingLogConfig, "log");

impl SlidingLogConfig {
    pub(crate) const fn packed(self) -> u128 {
        self.window as u128
    }

    pub(crate) const fn from_packed(word: u128) -> Self {
        Self {
            window: word as u64,
        }
    }
}

impl AsRef<SlidingLogConfig> for SlidingLogConfig {
    fn as_ref(&self) -> &SlidingLogConfig {
        self
    }
}

/// One entry's word: the number of the admission it records plus one (0:
/// never used) in the high half, its tick in the low half. Every bit
/// pattern is a word; one whose number is not the one expected is either
/// stale (the cursor moved on: retry) or corrupt.
const fn pack(number: u64, tick: Tick) -> u128 {
    ((number as u128) << 64) | tick as u128
}

const fn unpack(word: u128) -> (u64, Tick) {
    ((word >> 64) as u64, word as u64)
}

/// An entry of a log: one recorded admission in a 128-bit word.
///
/// ```
/// use tickguard::sliding_log::Entry;
/// static ENTRIES: [Entry; 4] = [Entry::EMPTY; 4];
/// assert_eq!(core::mem::size_of::<Entry>(), 16);
/// # let _ = &ENTRIES;
/// ```
#[derive(Debug)]
#[repr(transparent)]
pub struct Entry(StateCell<u128>);

impl Entry {
    /// An entry recording nothing.
    #[allow(clippy::declare_interior_mutable_const)]
    pub const EMPTY: Self = Self(StateCell::<u128>::new(0));
}

/// A log's cursor: the number of the next admission, in a 64-bit word.
///
/// ```
/// use tickguard::sliding_log::Cursor;
/// static CURSOR: Cursor = Cursor::START;
/// # let _ = &CURSOR;
/// ```
#[derive(Debug)]
#[repr(transparent)]
pub struct Cursor(StateCell<u64>);

impl Cursor {
    /// The cursor of a log with no admissions.
    #[allow(clippy::declare_interior_mutable_const)]
    pub const START: Self = Self(StateCell::<u64>::new(0));
}

/// The cursor as a machine: its word is the next admission number.
#[derive(Clone, Copy, Debug)]
struct CursorMachine;

impl Machine for CursorMachine {
    type Word = u64;

    fn fresh(&self) -> u64 {
        0
    }
}

/// Moves the cursor past admission `from` once it is recorded (a no-op if
/// somebody already did).
#[derive(Clone, Copy, Debug)]
struct Advance {
    from: u64,
}

impl Input<CursorMachine> for Advance {
    type Decision = ();

    fn step(&self, _: &CursorMachine, word: u64) -> Step<u64, ()> {
        match self.from.checked_add(1) {
            Some(next) if word == self.from => Step::Write(next, ()),
            _ => Step::Keep(()),
        }
    }
}

/// What recording admission `number` at `now` into its entry found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recorded {
    /// Recorded (this call's admission).
    Admitted,
    /// The oldest admission that counts is still in the window until
    /// `retry_at`.
    Wait { retry_at: Tick },
    /// Somebody recorded `number` first.
    Taken,
    /// The entry holds neither `number − limit` nor `number`: the cursor
    /// read was stale (or the entry is corrupt).
    Unexpected,
}

/// Records admission `number` at `now` (already clamped to the latest
/// admission's tick) in its entry, of a log of `limit` entries; with
/// `repair`, an entry found corrupt is overwritten (and the admission
/// made).
#[derive(Clone, Copy, Debug)]
struct Record {
    number: u64,
    limit: u64,
    now: Tick,
    repair: bool,
}

impl Machine for SlidingLogConfig {
    type Word = u128;

    /// An entry recording nothing.
    fn fresh(&self) -> u128 {
        0
    }
}

impl Input<SlidingLogConfig> for Record {
    type Decision = Recorded;

    fn step(&self, config: &SlidingLogConfig, word: u128) -> Step<u128, Recorded> {
        let (stored, tick) = unpack(word);
        let Some(recorded) = self.number.checked_add(1) else {
            // 2^64 admissions: unreachable within the time model's lifetime.
            return Step::Keep(Recorded::Wait {
                retry_at: Tick::MAX,
            });
        };
        if stored == recorded {
            return Step::Keep(Recorded::Taken);
        }
        // The admission this one replaces, plus one (0: none yet).
        let expected = self.number.saturating_add(1).saturating_sub(self.limit);
        if stored == expected {
            // Still in the window: fewer than `window` ticks ago (compared as
            // a difference, so a window ending past the last tick holds).
            if expected != 0 && self.now.saturating_sub(tick) < config.window {
                let retry_at = tick.saturating_add(config.window);
                return Step::Keep(Recorded::Wait { retry_at });
            }
        } else if !self.repair {
            return Step::Keep(Recorded::Unexpected);
        }
        Step::Write(pack(recorded, self.now), Recorded::Admitted)
    }
}

/// What [`SlidingLog::acquire`] decides: admitted, or [`Refused::Wait`]
/// with the tick the oldest admission in the window leaves it.
pub type Decision = Result<(), Refused>;

/// A sliding log over a cursor and entries held anywhere (a `static`, or
/// caller memory through the C ABI); the limit is the entry count.
///
/// ```
/// use tickguard::sliding_log::{Cursor, Entry, SlidingLogConfig, SlidingLogRef};
/// use tickguard::time::Instant;
/// static CURSOR: Cursor = Cursor::START;
/// static ENTRIES: [Entry; 2] = [Entry::EMPTY; 2];
/// let log = SlidingLogRef { config: SlidingLogConfig::DEFAULT, cursor: &CURSOR, entries: &ENTRIES };
/// assert!(log.acquire(Instant::ZERO).is_ok());
/// assert!(log.acquire(Instant::ZERO).is_ok());
/// assert!(log.acquire(Instant::ZERO).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SlidingLogRef<'a> {
    /// The window (a copy: read once per call from the log's source).
    pub config: SlidingLogConfig,
    /// The next admission number.
    pub cursor: &'a Cursor,
    /// One entry per event the window may hold (1 to [`MAX_LIMIT`]; an
    /// empty slice refuses everything).
    pub entries: &'a [Entry],
}

impl SlidingLogRef<'_> {
    /// The entry admission `number` is recorded in.
    fn entry(&self, number: u64) -> Option<&Entry> {
        let len = u64::try_from(self.entries.len()).ok()?;
        let index = number.checked_rem(len)?;
        self.entries.get(usize::try_from(index).ok()?)
    }

    /// The latest admission's tick when the cursor reads `cursor` (0 before
    /// the first), or `None` when the cursor has moved on since.
    fn latest(&self, cursor: u64) -> Option<Tick> {
        let Some(previous) = cursor.checked_sub(1) else {
            return Some(0);
        };
        let (stored, tick) = unpack(self.entry(previous)?.0.load());
        if stored == cursor {
            Some(tick)
        } else if self.cursor.0.load() == cursor {
            // Not moved: the entry is corrupt; assume nothing of it.
            Some(0)
        } else {
            None
        }
    }

    /// [`SlidingLog::acquire`].
    pub fn acquire(&self, now: Instant) -> Decision {
        let limit = u64::try_from(self.entries.len()).unwrap_or(u64::MAX);
        if limit == 0 {
            return Err(Refused::ExceedsCapacity);
        }
        loop {
            let number = self.cursor.0.load();
            let Some(latest) = self.latest(number) else {
                continue;
            };
            let Some(entry) = self.entry(number) else {
                return Err(Refused::ExceedsCapacity);
            };
            let mut record = Record {
                number,
                limit,
                now: now.ticks().max(latest),
                repair: false,
            };
            let mut recorded = entry.0.apply(&self.config, record);
            if recorded == Recorded::Unexpected && self.cursor.0.load() == number {
                record.repair = true;
                recorded = entry.0.apply(&self.config, record);
            }
            match recorded {
                Recorded::Admitted => {
                    self.cursor
                        .0
                        .apply(&CursorMachine, Advance { from: number });
                    return Ok(());
                }
                Recorded::Wait { retry_at } => {
                    return Err(Refused::Wait {
                        retry_at: Instant::from_ticks(retry_at),
                    })
                }
                Recorded::Taken => self
                    .cursor
                    .0
                    .apply(&CursorMachine, Advance { from: number }),
                Recorded::Unexpected => {}
            }
        }
    }

    /// [`SlidingLog::available`].
    #[must_use]
    pub fn available(&self, now: Instant) -> u32 {
        let recorded = || {
            self.entries
                .iter()
                .map(|entry| unpack(entry.0.load()))
                .filter(|&(number, _)| number != 0)
        };
        let latest = recorded().map(|(_, tick)| tick).max().unwrap_or(0);
        let now = now.ticks().max(latest);
        let in_window = recorded()
            .filter(|&(_, tick)| now.saturating_sub(tick) < self.config.window)
            .count();
        let free = self.entries.len().saturating_sub(in_window);
        u32::try_from(free).unwrap_or(u32::MAX)
    }

    /// [`SlidingLog::reset`].
    pub fn reset(&self) {
        self.cursor.0.store(0);
        for entry in self.entries {
            entry.0.store(0);
        }
    }
}

/// The snapshot kind byte of a sliding log.
const KIND: u8 = 9;

/// Bytes of the snapshot of a log of `limit` entries: the header, the
/// count of admissions kept, a tick per entry, the checksum.
///
/// ```
/// assert_eq!(tickguard::sliding_log::snapshot_len(4), 8 + 4 + 32 + 4);
/// ```
#[must_use]
pub const fn snapshot_len(limit: usize) -> usize {
    HEADER_LEN
        .saturating_add(4)
        .saturating_add(limit.saturating_mul(8))
        .saturating_add(CHECKSUM_LEN)
}

impl SlidingLogRef<'_> {
    /// The frame of this log's snapshots: its window and limit are its
    /// configuration.
    fn frame(&self) -> Frame {
        let limit = self.entries.len();
        Frame {
            kind: KIND,
            fingerprint: crate::snapshot::fingerprint(|fields| {
                fields.u64(self.config.window);
                fields.u64(limit as u64);
            }),
            len: snapshot_len(limit),
        }
    }

    /// [`Snapshot::save`] of the log: the admissions in its ring, oldest
    /// first, as ticks relative to `now`. Under concurrent admissions an
    /// entry already reused holds a newer tick, which restores a log that
    /// refuses more, never less.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::BufferTooSmall`] when `out` is shorter than
    /// [`snapshot_len`] of the log's limit.
    pub fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        self.frame().save(now, out, |fields| {
            let next = self.cursor.0.load();
            let limit = self.entries.len() as u64;
            let first = next.saturating_sub(limit);
            fields.u32(u32::try_from(next.wrapping_sub(first)).unwrap_or(u32::MAX));
            let mut latest = 0;
            for number in first..next {
                let (_, tick) = self
                    .entry(number)
                    .map_or((0, 0), |entry| unpack(entry.0.load()));
                latest = tick.max(latest);
                fields.tick(latest);
            }
        })
    }

    /// [`Snapshot::restore`] of the log, as of `now`: its admissions as
    /// many ticks before (or after) `now` as before the snapshot's tick;
    /// one from before this run's tick 0 counts as at tick 0 (it leaves the
    /// window later, never earlier). On error the log is left empty.
    ///
    /// # Errors
    ///
    /// As [`crate::snapshot::restore`]'s: another kind, another window or
    /// limit, a wrong length, a bad checksum, or a count above the limit.
    pub fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        self.reset();
        let restored = self.frame().restore(bytes, now, |fields| {
            let count = u64::from(fields.read_u32());
            let limit = self.entries.len() as u64;
            if count > limit {
                return None;
            }
            let mut latest = 0;
            for number in 0..count {
                latest = fields.read_tick_in_range().unwrap_or(0).max(latest);
                if let Some(entry) = self.entry(number) {
                    entry.0.store(pack(number.wrapping_add(1), latest));
                }
            }
            // The unused entries' ticks, zero in a snapshot of this limit.
            for _ in count..limit {
                if fields.read_u64() != 0 {
                    return None;
                }
            }
            Some(count)
        });
        match restored {
            Ok(count) => {
                self.cursor.0.store(count);
                Ok(())
            }
            Err(error) => {
                self.reset();
                Err(error)
            }
        }
    }
}

/// A sliding log of `LIMIT` entries: at most `LIMIT` events in any
/// window, exactly. All methods take `&self` and are safe from several
/// threads and interrupt handlers at once.
///
/// ```
/// use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
/// use tickguard::time::Instant;
/// let log: SlidingLog<5, _> = SlidingLog::new(SlidingLogConfig::DEFAULT); // 5 per 1 000 ticks
/// for t in 0..5 {
///     assert!(log.acquire(Instant::from_ticks(t * 100)).is_ok());
/// }
/// assert!(log.acquire(Instant::from_ticks(999)).is_err());
/// assert_eq!(log.available(Instant::from_ticks(1_150)), 2);
/// ```
#[derive(Debug)]
pub struct SlidingLog<const LIMIT: usize, C = &'static SlidingLogConfig> {
    config: C,
    cursor: Cursor,
    entries: [Entry; LIMIT],
}

impl<const LIMIT: usize, C: Source<SlidingLogConfig>> SlidingLog<LIMIT, C> {
    const LIMIT_IN_RANGE: () = assert!(
        LIMIT >= 1 && LIMIT <= MAX_LIMIT,
        "a sliding log holds 1 to 65 536 entries"
    );

    /// A log with no admissions. `LIMIT` must be 1 to [`MAX_LIMIT`]
    /// (checked at compile time).
    ///
    /// ```
    /// use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
    /// use tickguard::time::Instant;
    /// assert_eq!(SlidingLog::<8, _>::new(SlidingLogConfig::DEFAULT).available(Instant::ZERO), 8);
    /// ```
    #[must_use]
    pub const fn new(config: C) -> Self {
        let () = Self::LIMIT_IN_RANGE;
        Self {
            config,
            cursor: Cursor::START,
            entries: [const { Entry::EMPTY }; LIMIT],
        }
    }

    /// The configuration.
    ///
    /// ```
    /// use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
    /// assert_eq!(SlidingLog::<2, _>::new(SlidingLogConfig::DEFAULT).config().window().ticks(), 1_000);
    /// ```
    #[must_use]
    pub fn config(&self) -> SlidingLogConfig {
        self.config.current()
    }

    /// The log as a [`SlidingLogRef`].
    fn log(&self) -> SlidingLogRef<'_> {
        SlidingLogRef {
            config: self.config(),
            cursor: &self.cursor,
            entries: &self.entries,
        }
    }

    /// Records one event at `now` if fewer than `LIMIT` were admitted in
    /// the `window` ticks up to `now`, or refuses with the tick the oldest
    /// of them leaves the window. A refusal writes nothing.
    ///
    /// ```
    /// use tickguard::bucket::Refused;
    /// use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
    /// use tickguard::time::Instant;
    /// let log: SlidingLog<1, _> = SlidingLog::new(SlidingLogConfig::DEFAULT);
    /// assert!(log.acquire(Instant::from_ticks(50)).is_ok());
    /// assert_eq!(log.acquire(Instant::from_ticks(60)), Err(Refused::Wait { retry_at: Instant::from_ticks(1_050) }));
    /// ```
    #[inline]
    pub fn acquire(&self, now: Instant) -> Decision {
        self.log().acquire(now)
    }

    /// Events that would be admitted at `now` (entries whose admission has
    /// left the window, or was never made). Reads every entry.
    ///
    /// ```
    /// use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
    /// use tickguard::time::Instant;
    /// let log: SlidingLog<4, _> = SlidingLog::new(SlidingLogConfig::DEFAULT);
    /// log.acquire(Instant::ZERO).unwrap();
    /// assert_eq!(log.available(Instant::from_ticks(999)), 3);
    /// assert_eq!(log.available(Instant::from_ticks(1_000)), 4);
    /// ```
    #[must_use]
    pub fn available(&self, now: Instant) -> u32 {
        self.log().available(now)
    }

    /// Forgets every admission, as if new. Calls racing it count before or
    /// after it.
    ///
    /// ```
    /// use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
    /// use tickguard::time::Instant;
    /// let log: SlidingLog<1, _> = SlidingLog::new(SlidingLogConfig::DEFAULT);
    /// log.acquire(Instant::ZERO).unwrap();
    /// log.reset();
    /// assert!(log.acquire(Instant::ZERO).is_ok());
    /// ```
    pub fn reset(&self) {
        self.log().reset();
    }
}

impl<const LIMIT: usize, C: Reconfigure<SlidingLogConfig>> SlidingLog<LIMIT, C> {
    /// Replaces the window while callers use the log ([`crate::live`]).
    /// The admissions stay in the ring with their ticks; from the next call
    /// on, each counts while it is less than the new window old: a longer
    /// window refuses more at once, a shorter one admits more. (The number
    /// of entries, `LIMIT`, is fixed at compile time.) Takes no `now`.
    ///
    /// ```
    /// use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
    /// use tickguard::time::{Duration, Instant};
    /// let log: SlidingLog<1, _> = SlidingLog::new(SlidingLogConfig::DEFAULT.live()); // 1 per 1 000 ticks
    /// log.acquire(Instant::ZERO).unwrap();
    /// log.reconfigure(SlidingLogConfig::new(Duration::from_ticks(100)).unwrap());
    /// assert!(log.acquire(Instant::from_ticks(100)).is_ok());
    /// ```
    pub fn reconfigure(&self, config: SlidingLogConfig) {
        self.config.replace(config);
    }
}

impl<const LIMIT: usize, C: Source<SlidingLogConfig>> Snapshot for SlidingLog<LIMIT, C> {
    const SNAPSHOT_LEN: usize = snapshot_len(LIMIT);

    /// The admissions in the ring, relative to `now`
    /// ([`SlidingLogRef::save`]).
    ///
    /// ```
    /// use tickguard::sliding_log::{SlidingLog, SlidingLogConfig};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let log: SlidingLog<2, _> = SlidingLog::new(SlidingLogConfig::DEFAULT);
    /// log.acquire(Instant::from_ticks(9_000)).unwrap();
    /// let mut saved = [0u8; SlidingLog::<2>::SNAPSHOT_LEN];
    /// log.save(Instant::from_ticks(9_500), &mut saved).unwrap();
    /// // After a reboot, restored at the new run's tick 1 000: the admission
    /// // was 500 ticks before the snapshot, so at tick 500 of this run.
    /// let rebooted: SlidingLog<2, _> = SlidingLog::new(SlidingLogConfig::DEFAULT);
    /// rebooted.restore(&saved, Instant::from_ticks(1_000)).unwrap();
    /// assert_eq!(rebooted.available(Instant::from_ticks(1_000)), 1);
    /// assert_eq!(rebooted.available(Instant::from_ticks(1_500)), 2);
    /// ```
    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        self.log().save(now, out)
    }

    /// Restores the ring ([`SlidingLogRef::restore`]); on error the log is
    /// left empty.
    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        self.log().restore(bytes, now)
    }
}

#[cfg(test)]
mod tests;
