//! Adaptive concurrency limit: a [bulkhead](crate::bulkhead) whose limit
//! follows what the calls report, by AIMD (additive increase,
//! multiplicative decrease) as Netflix's `concurrency-limits` `AIMDLimit`
//! has it, in integers.
//!
//! # The rule
//!
//! Each call that ends reports a [`Sample`]. With `limit` the current
//! limit and `in_flight` the calls in flight when it ended (itself
//! included):
//!
//! * **congested** (a [`Sample::Dropped`]: the call was rejected, timed out
//!   or shed downstream; or a [`Sample::Done`] slower than `slow_latency`,
//!   when one is set): `limit = max(min_limit, ⌊limit × backoff_milli /
//!   1000⌋)`, always at least one lower (above `min_limit`);
//! * **not congested, and the limit was in use** (`2 × in_flight ≥
//!   limit`): `limit = min(max_limit, limit + 1)`;
//! * otherwise (the limit was not the constraint, so the sample says
//!   nothing about it), and for [`Sample::Ignored`]: unchanged.
//!
//! A call is admitted while fewer than `limit` are in flight. Calls already
//! in flight when the limit drops finish normally: the count can exceed a
//! freshly lowered limit until they end, never `max_limit`.
//!
//! # Snapshots
//!
//! [`Snapshot`] keeps the limit learned so far ([`SNAPSHOT_LEN`] bytes),
//! so a rebooted device starts from it rather than from the initial limit;
//! the calls in flight did not survive the reboot, so the slots are not
//! saved.
//!
//! # Concurrency
//!
//! Two words, each changed by one step: the slots (the bulkhead's word,
//! `max_limit` ≤ 64 slots, permits that detect double and stale releases)
//! and the limit (a 64-bit word). An acquire reads the limit, then takes a
//! slot only while fewer than that are taken, in one compare-and-swap; a
//! release frees its slot, then adjusts the limit from the sample in one
//! compare-and-swap, reported to that caller only ([`LimitChange`]). A
//! limit changed between an acquire's read and its slot is the race every
//! adaptive limiter has: the admission was right at the limit it read.
//! Refusals only read.
//!
//! ```
//! use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, AdaptiveSettings, Sample};
//! use tickguard::time::{Duration, Instant};
//!
//! static CONFIG: AdaptiveConfig = match AdaptiveConfig::new(AdaptiveSettings {
//!     initial_limit: 4,
//!     min_limit: 1,
//!     max_limit: 8,
//!     backoff_milli: 500,
//!     slow_latency: Duration::from_ticks(100),
//!     max_wait: Duration::ZERO,
//! }) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid limit"),
//! };
//! static LIMIT: AdaptiveLimit = AdaptiveLimit::new(&CONFIG);
//!
//! let now = Instant::from_ticks(0);
//! let permits = [(); 4].map(|()| LIMIT.acquire(now).unwrap());
//! assert!(LIMIT.acquire(now).is_err()); // 4 in flight
//! // A fast call at full use: one more.
//! let change = LIMIT.release(permits[0], Sample::Done { latency: Duration::from_ticks(20) }).unwrap();
//! assert_eq!(change.map(|c| c.to), Some(5));
//! // A slow one: halved.
//! let change = LIMIT.release(permits[1], Sample::Done { latency: Duration::from_ticks(250) }).unwrap();
//! assert_eq!(change.map(|c| c.to), Some(2));
//! # for p in &permits[2..] { let _ = LIMIT.release(*p, Sample::Ignored); }
//! ```

use crate::bulkhead::{
    AcquireWithin, BulkheadConfig, BulkheadSettings, Full, NotHeld, Permit, ReleaseCounted,
    MAX_CONCURRENT,
};
use crate::cell::StateCell;
use crate::live::{
    versioned_config, ReconfigureError, SlotWords, Source, TryReconfigure, SLOT_WORDS,
};
use crate::machine::{Input, Machine, Step};
use crate::snapshot::{Frame, Snapshot, SnapshotError, CHECKSUM_LEN, HEADER_LEN};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::ConfigError;

/// What an adaptive limit is asked to do, before validation.
///
/// ```
/// use tickguard::adaptive::{AdaptiveConfig, AdaptiveSettings};
/// let settings = AdaptiveSettings { max_limit: 32, ..AdaptiveConfig::DEFAULT_SETTINGS };
/// assert_eq!(AdaptiveConfig::new(settings).unwrap().max_limit(), 32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdaptiveSettings {
    /// The limit to start from (and to return to on reset).
    pub initial_limit: u32,
    /// The lowest the limit goes (at least 1).
    pub min_limit: u32,
    /// The highest the limit goes (at most [`MAX_CONCURRENT`] = 64).
    pub max_limit: u32,
    /// The factor a congested sample multiplies the limit by, in
    /// thousandths (1..=999; Netflix's default 900).
    pub backoff_milli: u32,
    /// A call slower than this is congested (`Duration::ZERO`: latency is
    /// not looked at; at most 2^62 ticks).
    pub slow_latency: Duration,
    /// How long a refused caller may keep trying (as the bulkhead's).
    pub max_wait: Duration,
}

/// A validated adaptive-limit configuration, `const`-constructible.
///
/// ```
/// use tickguard::adaptive::{AdaptiveConfig, AdaptiveSettings};
/// use tickguard::ConfigError;
/// let with = |min_limit, initial_limit, max_limit| AdaptiveConfig::new(AdaptiveSettings {
///     min_limit, initial_limit, max_limit, ..AdaptiveConfig::DEFAULT_SETTINGS
/// });
/// assert!(with(1, 10, 64).is_ok());
/// assert_eq!(with(0, 10, 64), Err(ConfigError::AdaptiveLimits));
/// assert_eq!(with(5, 4, 64), Err(ConfigError::AdaptiveLimits));
/// assert_eq!(with(1, 10, 65), Err(ConfigError::AdaptiveLimits));
/// let backoff = |backoff_milli| AdaptiveConfig::new(AdaptiveSettings { backoff_milli, ..AdaptiveConfig::DEFAULT_SETTINGS });
/// assert_eq!(backoff(1_000), Err(ConfigError::BackoffRatio));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdaptiveConfig {
    /// `max_limit` slots and the maximum wait. Every field here is a plain
    /// integer, valid for every bit pattern (the C ABI keeps the
    /// configuration in caller memory); every use bounds them.
    slots: BulkheadConfig,
    min: u32,
    initial: u32,
    backoff_milli: u32,
    slow: Tick,
}

impl AdaptiveConfig {
    /// Netflix's AIMD defaults within 64 slots: from 20, between 4 and 64,
    /// × 0.9 when congested, congested past 5 000 ticks (5 s of 1 ms
    /// ticks), no waiting.
    pub const DEFAULT_SETTINGS: AdaptiveSettings = AdaptiveSettings {
        initial_limit: 20,
        min_limit: 4,
        max_limit: 64,
        backoff_milli: 900,
        slow_latency: Duration::from_ticks(5_000),
        max_wait: Duration::ZERO,
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::adaptive::AdaptiveConfig;
    /// assert_eq!(AdaptiveConfig::DEFAULT, AdaptiveConfig::new(AdaptiveConfig::DEFAULT_SETTINGS).unwrap());
    /// ```
    pub const DEFAULT: Self = match Self::new(Self::DEFAULT_SETTINGS) {
        Ok(config) => config,
        // Evaluated at compile time: an invalid default fails the build.
        #[allow(clippy::panic)]
        Err(_) => panic!("invalid default adaptive configuration"),
    };

    /// Validates `settings`.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveSettings};
    /// assert_eq!(AdaptiveConfig::new(AdaptiveConfig::DEFAULT_SETTINGS).unwrap().initial_limit(), 20);
    /// ```
    pub const fn new(settings: AdaptiveSettings) -> Result<Self, ConfigError> {
        let AdaptiveSettings {
            initial_limit,
            min_limit,
            max_limit,
            ..
        } = settings;
        if min_limit == 0
            || min_limit > initial_limit
            || initial_limit > max_limit
            || max_limit > MAX_CONCURRENT
        {
            return Err(ConfigError::AdaptiveLimits);
        }
        if settings.backoff_milli == 0 || settings.backoff_milli >= 1_000 {
            return Err(ConfigError::BackoffRatio);
        }
        if settings.slow_latency.ticks() > MAX_DURATION {
            return Err(ConfigError::Latency);
        }
        let slots = match BulkheadConfig::new(BulkheadSettings {
            max_concurrent: max_limit,
            max_wait: settings.max_wait,
        }) {
            Ok(slots) => slots,
            Err(error) => return Err(error),
        };
        Ok(Self {
            slots,
            min: min_limit,
            initial: initial_limit,
            backoff_milli: settings.backoff_milli,
            slow: settings.slow_latency.ticks(),
        })
    }

    /// The settings this configuration was built from.
    ///
    /// ```
    /// use tickguard::adaptive::AdaptiveConfig;
    /// assert_eq!(AdaptiveConfig::DEFAULT.settings(), AdaptiveConfig::DEFAULT_SETTINGS);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> AdaptiveSettings {
        AdaptiveSettings {
            initial_limit: self.initial,
            min_limit: self.min,
            max_limit: self.max_limit(),
            backoff_milli: self.backoff_milli,
            slow_latency: Duration::from_ticks(self.slow),
            max_wait: self.slots.max_wait(),
        }
    }

    /// The limit a fresh (or reset) limiter starts from.
    ///
    /// ```
    /// assert_eq!(tickguard::adaptive::AdaptiveConfig::DEFAULT.initial_limit(), 20);
    /// ```
    #[must_use]
    pub const fn initial_limit(&self) -> u32 {
        self.initial
    }

    /// The highest the limit goes.
    ///
    /// ```
    /// assert_eq!(tickguard::adaptive::AdaptiveConfig::DEFAULT.max_limit(), 64);
    /// ```
    #[must_use]
    pub const fn max_limit(&self) -> u32 {
        self.slots.max_concurrent()
    }

    /// `word`'s limit, within the bounds (a garbage word reads as one).
    fn limit_of(&self, word: u64) -> u32 {
        let max = self.max_limit().min(MAX_CONCURRENT);
        // `max(..).min(..)`, not `clamp`: no bounds assertion to panic on
        // a garbage configuration.
        (word as u32).max(self.min).min(max)
    }

    /// The limit after `sample`, with `in_flight` calls in flight at its
    /// end (itself included).
    fn adjusted(&self, limit: u32, sample: Sample, in_flight: u32) -> u32 {
        let congested = match sample {
            Sample::Ignored => return limit,
            Sample::Dropped => true,
            Sample::Done { latency } => self.slow != 0 && latency.ticks() > self.slow,
        };
        let max = self.max_limit().min(MAX_CONCURRENT);
        let min = self.min.min(max);
        if congested {
            let scaled =
                u64::from(limit).saturating_mul(u64::from(self.backoff_milli.min(999))) / 1_000;
            let lower = u32::try_from(scaled)
                .unwrap_or(u32::MAX)
                .min(limit.saturating_sub(1));
            lower.max(min)
        } else if in_flight.saturating_mul(2) >= limit {
            limit.saturating_add(1).min(max)
        } else {
            limit
        }
    }
}

impl Default for AdaptiveConfig {
    /// [`AdaptiveConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl AsRef<AdaptiveConfig> for AdaptiveConfig {
    fn as_ref(&self) -> &AdaptiveConfig {
        self
    }
}

impl AdaptiveConfig {
    /// The configuration as the words of a [`Versioned`](crate::live::Versioned)
    /// slot: the slots' configuration, the bounds and backoff, the slow
    /// latency.
    const fn slot_words(&self) -> [u128; SLOT_WORDS] {
        [
            self.slots.packed(),
            self.min as u128 | (self.initial as u128) << 32 | (self.backoff_milli as u128) << 64,
            self.slow as u128,
        ]
    }
}

impl SlotWords for AdaptiveConfig {
    fn to_slot(&self) -> [u128; SLOT_WORDS] {
        self.slot_words()
    }

    fn from_slot([slots, bounds, slow]: [u128; SLOT_WORDS]) -> Self {
        Self {
            slots: BulkheadConfig::from_packed(slots),
            min: bounds as u32,
            initial: (bounds >> 32) as u32,
            backoff_milli: (bounds >> 64) as u32,
            slow: slow as u64,
        }
    }
}

versioned_config!(AdaptiveConfig, "adaptive limit");

/// What a call that ends reports.
///
/// ```
/// use tickguard::adaptive::Sample;
/// use tickguard::time::Duration;
/// let fast = Sample::Done { latency: Duration::from_ticks(12) };
/// assert_ne!(fast, Sample::Dropped);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Sample {
    /// The call completed in `latency` ticks (congested if slower than
    /// `slow_latency`).
    Done {
        /// How long the call took.
        latency: Duration,
    },
    /// The call was dropped: rejected, timed out or shed downstream
    /// (congested).
    Dropped,
    /// The call says nothing about capacity (cancelled by the caller, a
    /// client error): the limit stays.
    Ignored,
}

/// A change of the limit, reported to the one release that made it.
///
/// ```
/// use tickguard::adaptive::LimitChange;
/// let change = LimitChange { from: 10, to: 9 };
/// assert!(change.to < change.from);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LimitChange {
    /// The limit before.
    pub from: u32,
    /// The limit now.
    pub to: u32,
}

/// The limit word as a machine: its low 32 bits are the limit.
#[derive(Clone, Copy, Debug)]
struct LimitMachine<'a>(&'a AdaptiveConfig);

impl Machine for LimitMachine<'_> {
    type Word = u64;

    fn fresh(&self) -> u64 {
        UNWRITTEN
    }
}

/// Adjusts the limit from one sample.
#[derive(Clone, Copy, Debug)]
struct Adjust {
    sample: Sample,
    in_flight: u32,
}

impl Input<LimitMachine<'_>> for Adjust {
    type Decision = Option<LimitChange>;

    fn step(&self, machine: &LimitMachine<'_>, word: u64) -> Step<u64, Option<LimitChange>> {
        let from = limit_of(machine.0, word);
        let to = machine.0.adjusted(from, self.sample, self.in_flight);
        if u64::from(to) == word {
            return Step::Keep(None);
        }
        // A garbage word is rewritten to the limit it reads as.
        let change = (to != from).then_some(LimitChange { from, to });
        Step::Write(u64::from(to), change)
    }
}

/// An adaptive concurrency limit: its configuration (or a reference to
/// it), the slots and the limit. All methods take `&self` and are safe
/// from several threads and interrupt handlers at once.
///
/// ```
/// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, Sample};
/// use tickguard::time::Instant;
/// let limit = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
/// let permit = limit.acquire(Instant::ZERO).unwrap();
/// assert_eq!(limit.in_flight(), 1);
/// limit.release(permit, Sample::Dropped).unwrap();
/// assert_eq!(limit.limit(), 18); // ⌊20 × 0.9⌋
/// ```
#[derive(Debug)]
pub struct AdaptiveLimit<C = &'static AdaptiveConfig> {
    config: C,
    slots: StateCell<u128>,
    limit: StateCell<u64>,
}

impl<C: Source<AdaptiveConfig>> AdaptiveLimit<C> {
    /// A limiter at its initial limit, nothing in flight.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit};
    /// assert_eq!(AdaptiveLimit::new(AdaptiveConfig::DEFAULT).limit(), 20);
    /// ```
    #[must_use]
    pub const fn new(config: C) -> Self {
        Self {
            config,
            slots: StateCell::<u128>::new(0),
            // Reads as the initial limit: `new` is `const` over any `C`,
            // so it cannot read the configuration.
            limit: StateCell::<u64>::new(UNWRITTEN),
        }
    }

    /// The configuration.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit};
    /// assert_eq!(AdaptiveLimit::new(AdaptiveConfig::DEFAULT).config().max_limit(), 64);
    /// ```
    #[must_use]
    pub fn config(&self) -> AdaptiveConfig {
        self.config.current()
    }

    /// The current limit.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit};
    /// assert_eq!(AdaptiveLimit::new(AdaptiveConfig::DEFAULT).limit(), 20);
    /// ```
    #[must_use]
    pub fn limit(&self) -> u32 {
        limit_of(&self.config(), self.limit.load())
    }

    /// Calls in flight.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit};
    /// assert_eq!(AdaptiveLimit::new(AdaptiveConfig::DEFAULT).in_flight(), 0);
    /// ```
    #[must_use]
    pub fn in_flight(&self) -> u32 {
        self.config().slots.occupied(self.slots.load()).count_ones()
    }

    /// Takes a slot if fewer than the current limit are in flight, or
    /// refuses without writing ([`Full::wait_until`] as the bulkhead's).
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, AdaptiveSettings};
    /// use tickguard::time::Instant;
    /// let config = AdaptiveConfig::new(AdaptiveSettings { initial_limit: 1, min_limit: 1, ..AdaptiveConfig::DEFAULT_SETTINGS }).unwrap();
    /// let limit = AdaptiveLimit::new(config);
    /// let _held = limit.acquire(Instant::ZERO).unwrap();
    /// assert!(limit.acquire(Instant::ZERO).is_err());
    /// ```
    #[inline]
    pub fn acquire(&self, now: Instant) -> Result<Permit, Full> {
        let config = self.config();
        let within = AcquireWithin {
            now: now.ticks(),
            limit: limit_of(&config, self.limit.load()),
        };
        self.slots.apply_quick(&config.slots, within)
    }

    /// Gives a permit back with what the call reported, and adjusts the
    /// limit ([the rule](self)); returns the change if this release made
    /// one. A permit not held (released already, from before a reset, of
    /// another limiter) is refused with [`NotHeld`] and its sample is not
    /// counted.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, LimitChange, Sample};
    /// use tickguard::bulkhead::NotHeld;
    /// use tickguard::time::Instant;
    /// let limit = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
    /// let permit = limit.acquire(Instant::ZERO).unwrap();
    /// assert_eq!(limit.release(permit, Sample::Dropped), Ok(Some(LimitChange { from: 20, to: 18 })));
    /// assert_eq!(limit.release(permit, Sample::Dropped), Err(NotHeld));
    /// assert_eq!(limit.limit(), 18);
    /// ```
    pub fn release(&self, permit: Permit, sample: Sample) -> Result<Option<LimitChange>, NotHeld> {
        let config = self.config();
        let in_flight = self.slots.apply(&config.slots, ReleaseCounted { permit })?;
        let adjust = Adjust { sample, in_flight };
        Ok(self.limit.apply(&LimitMachine(&config), adjust))
    }

    /// Takes a slot as [`acquire`](Self::acquire) does, returned by the
    /// guard: [`Entered::finish`] with the call's sample, or on drop as
    /// [`Sample::Ignored`].
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, Sample};
    /// use tickguard::time::{Duration, Instant};
    /// let limit = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
    /// let call = limit.enter(Instant::ZERO).unwrap();
    /// assert_eq!(limit.in_flight(), 1);
    /// call.finish(Sample::Done { latency: Duration::from_ticks(3) });
    /// assert_eq!(limit.in_flight(), 0);
    /// ```
    pub fn enter(&self, now: Instant) -> Result<Entered<'_, C>, Full> {
        self.acquire(now).map(|permit| Entered {
            limit: self,
            permit,
        })
    }

    /// Frees every slot (outstanding permits are then refused) and returns
    /// to the initial limit.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, Sample};
    /// use tickguard::time::Instant;
    /// let limit = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
    /// let permit = limit.acquire(Instant::ZERO).unwrap();
    /// limit.release(permit, Sample::Dropped).unwrap();
    /// limit.reset();
    /// assert_eq!((limit.limit(), limit.in_flight()), (20, 0));
    /// ```
    pub fn reset(&self) {
        self.slots
            .apply(&self.config().slots, crate::bulkhead::Reset);
        self.limit.store(UNWRITTEN);
    }
}

impl<C: TryReconfigure<AdaptiveConfig>> AdaptiveLimit<C> {
    /// Replaces the configuration (bounds, initial limit, backoff, slow
    /// latency, maximum wait) while callers use the limiter
    /// ([`crate::live`]; build it over a configuration's
    /// [`live()`](AdaptiveConfig::live)). The limit learned so far is
    /// kept, clamped into the new bounds; a limiter that has not adjusted
    /// yet starts from the new initial limit. The calls in flight keep
    /// their slots, and their samples are judged by the rule in force when
    /// they end. A call racing this one reads the old configuration or the
    /// new one, never a mix.
    ///
    /// The slots' layout stays the one the limiter was built with, so
    /// `max_limit` can be raised up to its first configuration's
    /// [`slots`](BulkheadConfig::slots) (the next power of two of its
    /// `max_limit`, at least 4: build it with the largest you will need);
    /// above that it is refused with [`ConfigError::AdaptiveLimits`].
    /// [`Busy`](crate::live::Busy) while another reconfiguration of it is
    /// under way. On error nothing changed.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, AdaptiveSettings, Sample};
    /// use tickguard::live::ReconfigureError;
    /// use tickguard::time::Instant;
    /// use tickguard::ConfigError;
    /// let bounds = |min_limit, initial_limit, max_limit| AdaptiveConfig::new(AdaptiveSettings {
    ///     min_limit, initial_limit, max_limit, ..AdaptiveConfig::DEFAULT_SETTINGS
    /// }).unwrap();
    /// let limit = AdaptiveLimit::new(bounds(4, 20, 64).live());
    /// let permit = limit.acquire(Instant::ZERO).unwrap();
    /// limit.release(permit, Sample::Dropped).unwrap(); // learned 18
    /// limit.reconfigure(bounds(2, 8, 10)).unwrap(); // a smaller backend
    /// assert_eq!(limit.limit(), 10);
    /// limit.reconfigure(bounds(12, 12, 40)).unwrap();
    /// assert_eq!(limit.limit(), 12);
    /// let small = AdaptiveLimit::new(bounds(1, 4, 8).live()); // 8 slots laid out
    /// let refused = Err(ReconfigureError::Config(ConfigError::AdaptiveLimits));
    /// assert_eq!(small.reconfigure(bounds(1, 4, 16)), refused);
    /// ```
    pub fn reconfigure(&self, config: AdaptiveConfig) -> Result<(), ReconfigureError> {
        let slots = config
            .slots
            .laid_out_as(&self.config().slots)
            .ok_or(ConfigError::AdaptiveLimits)?;
        let config = AdaptiveConfig { slots, ..config };
        self.config.try_replace(config)?;
        self.limit.apply(&LimitMachine(&config), Clamp);
        Ok(())
    }
}

/// Clamps a learned limit into the bounds of a new configuration (an
/// unwritten one stays unwritten: it reads as the new initial limit).
#[derive(Clone, Copy, Debug)]
struct Clamp;

impl Input<LimitMachine<'_>> for Clamp {
    type Decision = ();

    fn step(&self, machine: &LimitMachine<'_>, word: u64) -> Step<u64, ()> {
        if word == UNWRITTEN {
            return Step::Keep(());
        }
        Step::unless_same(word, u64::from(limit_of(machine.0, word)), ())
    }
}

/// Bytes of an adaptive limit's snapshot: the header, the limit, the
/// checksum.
pub const SNAPSHOT_LEN: usize = HEADER_LEN + 4 + CHECKSUM_LEN;

impl AdaptiveConfig {
    /// The frame of this configuration's snapshots (kind 10).
    fn frame(&self) -> Frame {
        Frame {
            kind: 10,
            fingerprint: crate::snapshot::fingerprint(|fields| {
                fields.u32(self.initial);
                fields.u32(self.min);
                fields.u32(self.max_limit());
                fields.u32(self.backoff_milli);
                fields.u64(self.slow);
            }),
            len: SNAPSHOT_LEN,
        }
    }
}

impl<C: Source<AdaptiveConfig>> Snapshot for AdaptiveLimit<C> {
    const SNAPSHOT_LEN: usize = SNAPSHOT_LEN;

    /// Saves the limit learned so far (the calls in flight do not survive
    /// a reboot, so the slots are not saved).
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, Sample, SNAPSHOT_LEN};
    /// use tickguard::snapshot::Snapshot;
    /// use tickguard::time::Instant;
    /// let limit = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
    /// let permit = limit.acquire(Instant::ZERO).unwrap();
    /// limit.release(permit, Sample::Dropped).unwrap(); // 20 -> 18
    /// let mut saved = [0u8; SNAPSHOT_LEN];
    /// limit.save(Instant::ZERO, &mut saved).unwrap();
    /// let rebooted = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
    /// rebooted.restore(&saved, Instant::ZERO).unwrap();
    /// assert_eq!(rebooted.limit(), 18);
    /// ```
    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        let limit = self.limit();
        let config = self.config();
        config.frame().save(now, out, |fields| fields.u32(limit))
    }

    /// Restores the limit (one outside the configured bounds is corrupt);
    /// on error the limit returns to the initial one. The slots are left
    /// as they are.
    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError> {
        let config = self.config();
        let restored = config.frame().restore(bytes, now, |fields| {
            let limit = fields.read_u32();
            (limit >= config.min && limit <= config.max_limit()).then_some(limit)
        });
        self.limit.store(restored.map_or(UNWRITTEN, u64::from));
        restored.map(|_| ())
    }
}

/// The limit word of a limiter no sample has adjusted yet: it reads as the
/// initial limit (so `new` needs no configuration value).
const UNWRITTEN: u64 = 1 << 32;

/// The limit `word` holds: the initial one if unwritten, else its low bits
/// within the bounds.
fn limit_of(config: &AdaptiveConfig, word: u64) -> u32 {
    if word == UNWRITTEN {
        config.limit_of(u64::from(config.initial))
    } else {
        config.limit_of(word)
    }
}

/// A slot held by [`AdaptiveLimit::enter`]: [`finish`](Self::finish) it
/// with the call's sample; dropping it releases with [`Sample::Ignored`].
#[derive(Debug)]
#[must_use = "dropping it at once frees the slot"]
pub struct Entered<'a, C: Source<AdaptiveConfig>> {
    limit: &'a AdaptiveLimit<C>,
    permit: Permit,
}

impl<C: Source<AdaptiveConfig>> Entered<'_, C> {
    /// The permit held.
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit};
    /// use tickguard::time::Instant;
    /// let limit = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
    /// assert_ne!(limit.enter(Instant::ZERO).unwrap().permit().to_raw(), 0);
    /// ```
    pub fn permit(&self) -> Permit {
        self.permit
    }

    /// Releases the slot with the call's sample; the limit's change, if
    /// this made one (`None` too if a reset freed the slot meanwhile).
    ///
    /// ```
    /// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit, Sample};
    /// use tickguard::time::Instant;
    /// let limit = AdaptiveLimit::new(AdaptiveConfig::DEFAULT);
    /// let change = limit.enter(Instant::ZERO).unwrap().finish(Sample::Dropped);
    /// assert_eq!(change.map(|c| c.to), Some(18));
    /// ```
    #[allow(clippy::must_use_candidate)] // most callers only report
    pub fn finish(self, sample: Sample) -> Option<LimitChange> {
        let this = core::mem::ManuallyDrop::new(self);
        this.limit.release(this.permit, sample).ok().flatten()
    }
}

impl<C: Source<AdaptiveConfig>> Drop for Entered<'_, C> {
    fn drop(&mut self) {
        let _ = self.limit.release(self.permit, Sample::Ignored);
    }
}

#[cfg(test)]
mod tests;
