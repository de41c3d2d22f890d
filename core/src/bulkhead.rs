//! Bulkhead: at most `max_concurrent` calls in flight (Resilience4j's
//! semaphore bulkhead, Polly's concurrency limiter), in one 128-bit word.
//!
//! [`Bulkhead::acquire`] takes a free slot and returns a [`Permit`] naming
//! it; [`Bulkhead::release`] frees it. In Rust, [`Bulkhead::enter`] returns
//! a guard that releases on drop, so a call cannot leak its slot or free it
//! twice. Through the raw permits (the C ABI's), every misuse is detected
//! and refused without changing anything: a permit released twice, one from
//! before a [`reset`](Bulkhead::reset), and one of a slot that has since
//! been taken again. The count cannot underflow, because it is not a count:
//! it is the set of occupied slots.
//!
//! The word holds one bit per slot (up to [`MAX_CONCURRENT`] = 64) and, per
//! slot, an epoch that advances each time the slot is taken; a permit
//! carries its slot and epoch. A stale permit is detected unless its slot
//! has been taken again a multiple of 2^b times since, with b = 16 bits of
//! epoch for up to 4 slots, 8 for up to 8, 4 for up to 16, 2 for up to 32
//! and 1 for up to 64 ([`BulkheadConfig::epoch_bits`]).
//!
//! A full bulkhead refuses without writing (one load and a population
//! count), with [`Full::wait_until`]: `now + max_wait` when a maximum wait
//! is configured, the tick until which a caller may keep trying (after a
//! release it learns of, or by polling) before giving up, as Resilience4j's
//! `maxWaitDuration`; tickguard never blocks. A bulkhead has no state worth
//! keeping across a reboot (the calls in flight did not survive it), so it
//! has no snapshot.
//!
//! ```
//! use tickguard::bulkhead::{Bulkhead, BulkheadConfig, BulkheadSettings};
//! use tickguard::time::{Duration, Instant};
//!
//! static CONFIG: BulkheadConfig = match BulkheadConfig::new(BulkheadSettings {
//!     max_concurrent: 2,
//!     max_wait: Duration::ZERO,
//! }) {
//!     Ok(config) => config,
//!     Err(_) => panic!("invalid bulkhead"),
//! };
//! static POOL: Bulkhead = Bulkhead::new(&CONFIG);
//!
//! let now = Instant::from_ticks(0);
//! let first = POOL.enter(now).unwrap();
//! let second = POOL.enter(now).unwrap();
//! assert!(POOL.enter(now).is_err()); // two in flight
//! drop(first); // the call returned
//! assert_eq!(POOL.in_flight(), 1);
//! assert!(POOL.enter(now).is_ok());
//! # drop(second);
//! ```

use crate::cell::StateCell;
use crate::live::{live_config, Reconfigure, Source};
use crate::machine::{Input, Machine, Step};
use crate::time::{Duration, Instant, Tick, MAX_DURATION};
use crate::ConfigError;

/// The most slots a bulkhead has.
pub const MAX_CONCURRENT: u32 = 64;

/// What a bulkhead is asked to do, before validation.
///
/// ```
/// use tickguard::bulkhead::{BulkheadConfig, BulkheadSettings};
/// let settings = BulkheadSettings { max_concurrent: 8, ..BulkheadConfig::DEFAULT_SETTINGS };
/// assert_eq!(BulkheadConfig::new(settings).unwrap().max_concurrent(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BulkheadSettings {
    /// The most calls in flight (1..=[`MAX_CONCURRENT`]).
    pub max_concurrent: u32,
    /// How long a refused caller may keep trying (0: give up at once; at
    /// most 2^62 ticks).
    pub max_wait: Duration,
}

/// A validated bulkhead configuration, `const`-constructible.
///
/// ```
/// use tickguard::bulkhead::{BulkheadConfig, BulkheadSettings};
/// use tickguard::time::Duration;
/// use tickguard::ConfigError;
/// let settings = |max_concurrent, max_wait| BulkheadSettings { max_concurrent, max_wait: Duration::from_ticks(max_wait) };
/// assert!(BulkheadConfig::new(settings(25, 0)).is_ok());
/// assert_eq!(BulkheadConfig::new(settings(0, 0)), Err(ConfigError::MaxConcurrent));
/// assert_eq!(BulkheadConfig::new(settings(65, 0)), Err(ConfigError::MaxConcurrent));
/// assert_eq!(BulkheadConfig::new(settings(1, (1 << 62) + 1)), Err(ConfigError::MaxWait));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BulkheadConfig {
    /// Plain integers, valid for every bit pattern (the C ABI keeps the
    /// configuration in caller memory); every use bounds them.
    max: u32,
    epoch_bits: u32,
    max_wait: Tick,
}

impl BulkheadConfig {
    /// 25 calls in flight (Resilience4j's default), no waiting.
    pub const DEFAULT_SETTINGS: BulkheadSettings = BulkheadSettings {
        max_concurrent: 25,
        max_wait: Duration::ZERO,
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::bulkhead::BulkheadConfig;
    /// assert_eq!(BulkheadConfig::DEFAULT, BulkheadConfig::new(BulkheadConfig::DEFAULT_SETTINGS).unwrap());
    /// ```
    pub const DEFAULT: Self = match Self::new(Self::DEFAULT_SETTINGS) {
        Ok(config) => config,
        // Evaluated at compile time: an invalid default fails the build.
        #[allow(clippy::panic)]
        Err(_) => panic!("invalid default bulkhead configuration"),
    };

    /// Validates `settings`.
    ///
    /// ```
    /// use tickguard::bulkhead::{BulkheadConfig, BulkheadSettings};
    /// use tickguard::time::Duration;
    /// let config = BulkheadConfig::new(BulkheadSettings { max_concurrent: 10, max_wait: Duration::from_ticks(500) }).unwrap();
    /// assert_eq!(config.max_wait().ticks(), 500);
    /// ```
    pub const fn new(settings: BulkheadSettings) -> Result<Self, ConfigError> {
        let max = settings.max_concurrent;
        if max == 0 || max > MAX_CONCURRENT {
            return Err(ConfigError::MaxConcurrent);
        }
        let max_wait = settings.max_wait.ticks();
        if max_wait > MAX_DURATION {
            return Err(ConfigError::MaxWait);
        }
        // 64 bits of epochs shared by the slots, a power of two each.
        let share = match MAX_CONCURRENT.checked_shr(max.next_power_of_two().trailing_zeros()) {
            Some(share) => share,
            None => 1,
        };
        let epoch_bits = if share > 16 { 16 } else { share };
        Ok(Self {
            max,
            epoch_bits,
            max_wait,
        })
    }

    /// The settings this configuration was built from.
    ///
    /// ```
    /// use tickguard::bulkhead::BulkheadConfig;
    /// assert_eq!(BulkheadConfig::DEFAULT.settings(), BulkheadConfig::DEFAULT_SETTINGS);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> BulkheadSettings {
        BulkheadSettings {
            max_concurrent: self.max,
            max_wait: self.max_wait(),
        }
    }

    /// The most calls in flight.
    ///
    /// ```
    /// assert_eq!(tickguard::bulkhead::BulkheadConfig::DEFAULT.max_concurrent(), 25);
    /// ```
    #[must_use]
    pub const fn max_concurrent(&self) -> u32 {
        self.max
    }

    /// How long a refused caller may keep trying.
    ///
    /// ```
    /// assert_eq!(tickguard::bulkhead::BulkheadConfig::DEFAULT.max_wait().ticks(), 0);
    /// ```
    #[must_use]
    pub const fn max_wait(&self) -> Duration {
        Duration::from_ticks(self.max_wait)
    }

    /// Bits of epoch per slot: how many times a slot can be taken again
    /// before a stale permit of it could pass for a live one (2^bits).
    ///
    /// ```
    /// use tickguard::bulkhead::{BulkheadConfig, BulkheadSettings};
    /// use tickguard::time::Duration;
    /// let bits = |max_concurrent| BulkheadConfig::new(BulkheadSettings { max_concurrent, max_wait: Duration::ZERO }).unwrap().epoch_bits();
    /// assert_eq!([bits(1), bits(4), bits(5), bits(16), bits(25), bits(64)], [16, 16, 8, 4, 2, 1]);
    /// ```
    #[must_use]
    pub const fn epoch_bits(&self) -> u32 {
        self.epoch_bits
    }

    /// The slots the word lays out: as many as have an epoch field of
    /// [`epoch_bits`](Self::epoch_bits) in 64 bits (the next power of two
    /// of `max_concurrent`, at least 4). A live bulkhead's
    /// `max_concurrent` can be raised up to it
    /// ([`Bulkhead::reconfigure`]).
    ///
    /// ```
    /// use tickguard::bulkhead::{BulkheadConfig, BulkheadSettings};
    /// use tickguard::time::Duration;
    /// let slots = |max_concurrent| BulkheadConfig::new(BulkheadSettings { max_concurrent, max_wait: Duration::ZERO }).unwrap().slots();
    /// assert_eq!([slots(1), slots(4), slots(5), slots(25), slots(64)], [4, 4, 8, 32, 64]);
    /// ```
    #[must_use]
    pub const fn slots(&self) -> u32 {
        // `epoch_bits` is a power of two (1 to 16): a shift, no division
        // (a garbage value in caller memory gives some count up to 64).
        let shift = if self.epoch_bits > 16 {
            4
        } else {
            self.epoch_bits.trailing_zeros() & 7
        };
        MAX_CONCURRENT >> shift
    }

    /// The slots in use: the word's low bits, bounded by the slots laid out
    /// (a garbage word's bits past them are ignored).
    #[inline]
    pub(crate) fn occupied(&self, word: u128) -> u64 {
        (word as u64) & self.slot_mask()
    }

    #[inline]
    fn slot_mask(&self) -> u64 {
        u64::MAX
            .checked_shr(MAX_CONCURRENT.saturating_sub(self.slots()))
            .unwrap_or(0)
    }

    /// Slot `slot`'s epoch field: its shift in the high half and its mask.
    #[inline]
    fn epoch_field(&self, slot: u32) -> (u32, u64) {
        let bits = self.epoch_bits.clamp(1, 16);
        let mask = (1u64 << bits).wrapping_sub(1);
        (slot.wrapping_mul(bits) & 63, mask)
    }

    #[inline]
    fn epoch(&self, word: u128, slot: u32) -> u32 {
        let (shift, mask) = self.epoch_field(slot);
        (((word >> 64) as u64 >> shift) & mask) as u32
    }

    /// The step of an acquire: the lowest free slot, its epoch advanced,
    /// while fewer than `limit` (at most `max_concurrent`) are taken.
    #[inline]
    fn acquire(&self, word: u128, now: Tick, limit: u32) -> Step<u128, Decision> {
        let occupied = self.occupied(word);
        if occupied.count_ones() >= limit.min(self.max).min(MAX_CONCURRENT) {
            let wait_until =
                (self.max_wait > 0).then(|| Instant::from_ticks(now.saturating_add(self.max_wait)));
            return Step::Keep(Err(Full { wait_until }));
        }
        let slot = occupied.trailing_ones();
        let (shift, mask) = self.epoch_field(slot);
        let epoch = (u64::from(self.epoch(word, slot)).wrapping_add(1)) & mask;
        let epochs = ((word >> 64) as u64 & !(mask << shift)) | (epoch << shift);
        let next = (u128::from(epochs) << 64) | u128::from((word as u64) | (1u64 << (slot & 63)));
        Step::Write(settled(next), Ok(Permit::new(slot, epoch as u32)))
    }

    /// The step of a release: frees the permit's slot if the permit holds
    /// it, and says how many were in flight with it.
    #[inline]
    fn release(&self, word: u128, permit: Permit) -> Step<u128, Result<u32, NotHeld>> {
        let Some((slot, epoch)) = permit.parts() else {
            return Step::Keep(Err(NotHeld));
        };
        let held = slot < self.slots()
            && self.occupied(word) & (1u64 << slot) != 0
            && self.epoch(word, slot) == epoch;
        if !held {
            return Step::Keep(Err(NotHeld));
        }
        let in_flight = self.occupied(word).count_ones();
        Step::Write(settled(word & !(1u128 << slot)), Ok(in_flight))
    }
}

/// `word`, computed here on the smallest cores: their variable shifts
/// above are calls to a shift routine, which the compiler could otherwise
/// sink into the driver's critical section (after the comparison), where
/// interrupts are masked and a call is an unbounded run (the size check's
/// rule). Elsewhere shifts are inline instructions: nothing to pin.
#[inline(always)]
fn settled(word: u128) -> u128 {
    if cfg!(all(target_os = "none", not(target_has_atomic = "ptr"))) {
        core::hint::black_box(word)
    } else {
        word
    }
}

impl Default for BulkheadConfig {
    /// [`BulkheadConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

live_config!(BulkheadConfig, "bulkhead");

impl BulkheadConfig {
    /// This limit and wait over `layout`'s slots (a live reconfiguration
    /// keeps the word's layout), or `None` if the limit exceeds them.
    pub(crate) const fn laid_out_as(self, layout: &Self) -> Option<Self> {
        if self.max > layout.slots() {
            return None;
        }
        Some(Self {
            epoch_bits: layout.epoch_bits,
            ..self
        })
    }

    pub(crate) const fn packed(self) -> u128 {
        (self.max as u128) | (self.epoch_bits as u128) << 32 | (self.max_wait as u128) << 64
    }

    pub(crate) const fn from_packed(word: u128) -> Self {
        Self {
            max: word as u32,
            epoch_bits: (word >> 32) as u32,
            max_wait: (word >> 64) as u64,
        }
    }
}

impl AsRef<BulkheadConfig> for BulkheadConfig {
    fn as_ref(&self) -> &BulkheadConfig {
        self
    }
}

/// A slot taken by [`Bulkhead::acquire`], to give back to
/// [`Bulkhead::release`]: its slot and the slot's epoch, as a non-zero
/// 32-bit value (the C ABI's `tg_bulkhead_permit_t`).
///
/// ```
/// use tickguard::bulkhead::{Bulkhead, BulkheadConfig, Permit};
/// use tickguard::time::Instant;
/// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
/// let permit = pool.acquire(Instant::ZERO).unwrap();
/// assert_eq!(Permit::from_raw(permit.to_raw()), permit);
/// assert_ne!(permit.to_raw(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "a permit must be released"]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Permit(u32);

/// The bit every permit has, so that none is 0.
const VALID: u32 = 1 << 31;
/// Bits of the slot number.
const SLOT_BITS: u32 = 6;

impl Permit {
    const fn new(slot: u32, epoch: u32) -> Self {
        Self(VALID | (epoch & 0xFFFF) << SLOT_BITS | (slot & ((1 << SLOT_BITS) - 1)))
    }

    /// The permit as a raw value (never 0), for the C ABI or storage.
    ///
    /// ```
    /// # use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
    /// # use tickguard::time::Instant;
    /// let raw = Bulkhead::new(BulkheadConfig::DEFAULT).acquire(Instant::ZERO).unwrap().to_raw();
    /// assert!(raw >= 1 << 31);
    /// ```
    #[must_use]
    pub const fn to_raw(self) -> u32 {
        self.0
    }

    /// A permit from a raw value; one this library never made is refused
    /// by [`Bulkhead::release`] ([`NotHeld`]).
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig, NotHeld, Permit};
    /// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
    /// assert_eq!(pool.release(Permit::from_raw(12345)), Err(NotHeld));
    /// ```
    pub const fn from_raw(raw: u32) -> Self {
        Self(raw)
    }

    /// The slot and epoch, if the value is shaped like a permit.
    #[must_use]
    const fn parts(self) -> Option<(u32, u32)> {
        if self.0 & VALID == 0 || self.0 >> (SLOT_BITS + 16) & 0x1FF != 0 {
            return None;
        }
        Some((
            self.0 & ((1 << SLOT_BITS) - 1),
            self.0 >> SLOT_BITS & 0xFFFF,
        ))
    }
}

/// The bulkhead was full.
///
/// ```
/// use tickguard::bulkhead::Full;
/// assert_eq!(Full { wait_until: None }.to_string(), "bulkhead full");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Full {
    /// With a maximum wait configured, `now + max_wait`: the tick until
    /// which the caller may keep trying (keep the first refusal's); `None`
    /// without one.
    pub wait_until: Option<Instant>,
}

impl core::fmt::Display for Full {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.wait_until {
            Some(at) => write!(f, "bulkhead full: may wait until {at}"),
            None => f.write_str("bulkhead full"),
        }
    }
}

impl core::error::Error for Full {}

/// A permit [`Bulkhead::release`] refused: not held now (released already,
/// from before a reset, of another bulkhead, or not a permit). Nothing
/// changed.
///
/// ```
/// use tickguard::bulkhead::NotHeld;
/// assert_eq!(NotHeld.to_string(), "permit not held: released already, from before a reset, or of another bulkhead");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NotHeld;

impl core::fmt::Display for NotHeld {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(
            "permit not held: released already, from before a reset, or of another bulkhead",
        )
    }
}

impl core::error::Error for NotHeld {}

/// What [`Bulkhead::acquire`] decides.
pub type Decision = Result<Permit, Full>;

impl Machine for BulkheadConfig {
    type Word = u128;

    /// No slot taken, every epoch 0.
    fn fresh(&self) -> u128 {
        0
    }
}

/// [`Bulkhead::acquire`] as a machine input ([`crate::machine`]).
///
/// ```
/// use core::cell::Cell;
/// use tickguard::bulkhead::{Acquire, BulkheadConfig};
/// use tickguard::machine::{run, Machine};
/// use tickguard::time::Instant;
/// let config = BulkheadConfig::DEFAULT;
/// let mut word = Cell::new(config.fresh());
/// assert!(run(&config, Acquire { now: Instant::ZERO }, &mut word).unwrap().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acquire {
    /// The caller's tick (for [`Full::wait_until`]).
    pub now: Instant,
}

impl Input<BulkheadConfig> for Acquire {
    type Decision = Decision;

    /// A full bulkhead's refusal, from one load.
    #[inline]
    fn quick(&self, config: &BulkheadConfig, word: u128) -> Option<Decision> {
        match config.acquire(word, self.now.ticks(), u32::MAX) {
            Step::Keep(decision) => Some(decision),
            Step::Write(..) => None,
        }
    }

    #[inline]
    fn step(&self, config: &BulkheadConfig, word: u128) -> Step<u128, Decision> {
        config.acquire(word, self.now.ticks(), u32::MAX)
    }
}

/// An acquire that also stops at `limit` slots (an adaptive limit's
/// current one, [`crate::adaptive`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AcquireWithin {
    pub(crate) now: Tick,
    pub(crate) limit: u32,
}

impl Input<BulkheadConfig> for AcquireWithin {
    type Decision = Decision;

    #[inline]
    fn quick(&self, config: &BulkheadConfig, word: u128) -> Option<Decision> {
        match config.acquire(word, self.now, self.limit) {
            Step::Keep(decision) => Some(decision),
            Step::Write(..) => None,
        }
    }

    #[inline]
    fn step(&self, config: &BulkheadConfig, word: u128) -> Step<u128, Decision> {
        config.acquire(word, self.now, self.limit)
    }
}

/// A release that reports how many were in flight with the permit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReleaseCounted {
    pub(crate) permit: Permit,
}

impl Input<BulkheadConfig> for ReleaseCounted {
    type Decision = Result<u32, NotHeld>;

    fn step(&self, config: &BulkheadConfig, word: u128) -> Step<u128, Self::Decision> {
        config.release(word, self.permit)
    }
}

/// [`Bulkhead::release`] as a machine input.
///
/// ```
/// use tickguard::bulkhead::{BulkheadConfig, NotHeld, Permit, Release};
/// use tickguard::machine::{Input, Step};
/// let config = BulkheadConfig::DEFAULT;
/// assert_eq!(Release { permit: Permit::from_raw(1 << 31) }.step(&config, 0), Step::Keep(Err(NotHeld)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    /// The permit to give back.
    pub permit: Permit,
}

impl Input<BulkheadConfig> for Release {
    type Decision = Result<(), NotHeld>;

    fn step(&self, config: &BulkheadConfig, word: u128) -> Step<u128, Self::Decision> {
        match config.release(word, self.permit) {
            Step::Keep(decision) => Step::Keep(decision.map(|_| ())),
            Step::Write(word, decision) => Step::Write(word, decision.map(|_| ())),
        }
    }
}

/// A bulkhead: its configuration (or a reference to it) and one 128-bit
/// word. All methods take `&self` and are safe from several threads and
/// interrupt handlers at once.
///
/// ```
/// use tickguard::bulkhead::{Bulkhead, BulkheadConfig, NotHeld};
/// use tickguard::time::Instant;
/// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
/// let permit = pool.acquire(Instant::ZERO).unwrap();
/// assert_eq!(pool.release(permit), Ok(()));
/// assert_eq!(pool.release(permit), Err(NotHeld)); // a double release, detected
/// assert_eq!(pool.in_flight(), 0);
/// ```
#[derive(Debug)]
pub struct Bulkhead<C = &'static BulkheadConfig> {
    config: C,
    word: StateCell<u128>,
}

impl<C: Source<BulkheadConfig>> Bulkhead<C> {
    /// A bulkhead with no call in flight.
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
    /// assert_eq!(Bulkhead::new(BulkheadConfig::DEFAULT).in_flight(), 0);
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
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
    /// assert_eq!(Bulkhead::new(BulkheadConfig::DEFAULT).config().max_concurrent(), 25);
    /// ```
    #[must_use]
    pub fn config(&self) -> BulkheadConfig {
        self.config.current()
    }

    /// Takes a slot for a call, or refuses when all are taken (a refusal
    /// writes nothing). Give the permit back with
    /// [`release`](Self::release) when the call returns; prefer
    /// [`enter`](Self::enter), which does it on drop.
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig, BulkheadSettings, Full};
    /// use tickguard::time::{Duration, Instant};
    /// let pool = Bulkhead::new(BulkheadConfig::new(BulkheadSettings { max_concurrent: 1, max_wait: Duration::from_ticks(50) }).unwrap());
    /// let permit = pool.acquire(Instant::from_ticks(10)).unwrap();
    /// assert_eq!(pool.acquire(Instant::from_ticks(20)), Err(Full { wait_until: Some(Instant::from_ticks(70)) }));
    /// pool.release(permit).unwrap();
    /// ```
    #[inline]
    pub fn acquire(&self, now: Instant) -> Decision {
        self.word.apply(&self.config(), Acquire { now })
    }

    /// Gives a slot back. A permit not held now (released already, from
    /// before a reset, of another bulkhead) is refused and changes nothing.
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
    /// use tickguard::time::Instant;
    /// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
    /// let permit = pool.acquire(Instant::ZERO).unwrap();
    /// pool.reset();
    /// assert!(pool.release(permit).is_err()); // from before the reset
    /// ```
    pub fn release(&self, permit: Permit) -> Result<(), NotHeld> {
        self.word.apply(&self.config(), Release { permit })
    }

    /// Takes a slot for the life of the returned guard, which gives it back
    /// when dropped.
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
    /// use tickguard::time::Instant;
    /// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
    /// {
    ///     let _call = pool.enter(Instant::ZERO).unwrap();
    ///     assert_eq!(pool.in_flight(), 1);
    /// }
    /// assert_eq!(pool.in_flight(), 0);
    /// ```
    pub fn enter(&self, now: Instant) -> Result<Entered<'_, C>, Full> {
        self.acquire(now).map(|permit| Entered {
            bulkhead: self,
            permit,
        })
    }

    /// Calls in flight now. Reads only.
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
    /// use tickguard::time::Instant;
    /// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
    /// let _held = pool.acquire(Instant::ZERO).unwrap();
    /// assert_eq!(pool.in_flight(), 1);
    /// ```
    #[must_use]
    pub fn in_flight(&self) -> u32 {
        self.config().occupied(self.word.load()).count_ones()
    }

    /// Frees every slot; permits held now become stale (their release is
    /// refused). For recovery after the calls in flight are known gone.
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
    /// use tickguard::time::Instant;
    /// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
    /// let _lost = pool.acquire(Instant::ZERO).unwrap();
    /// pool.reset();
    /// assert_eq!(pool.in_flight(), 0);
    /// ```
    pub fn reset(&self) {
        // Keep the epochs: a permit from before is told apart from one of a
        // slot taken again after.
        self.word.apply(&self.config(), Reset);
    }
}

/// [`Bulkhead::reset`] as a machine input: clears the slots, keeps the
/// epochs.
///
/// ```
/// use tickguard::bulkhead::{BulkheadConfig, Reset};
/// use tickguard::machine::{Input, Step};
/// assert_eq!(Reset.step(&BulkheadConfig::DEFAULT, (5 << 64) | 3), Step::Write(5 << 64, ()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reset;

impl Input<BulkheadConfig> for Reset {
    type Decision = ();

    fn step(&self, _: &BulkheadConfig, word: u128) -> Step<u128, ()> {
        Step::unless_same(word, word >> 64 << 64, ())
    }
}

impl<C: Reconfigure<BulkheadConfig>> Bulkhead<C> {
    /// Replaces `max_concurrent` and `max_wait` while callers use the
    /// bulkhead ([`crate::live`]). The calls in flight keep their slots and
    /// release them as before; a lower limit refuses new calls until fewer
    /// than it are in flight, a higher one admits more at once. The slots'
    /// layout stays the one the bulkhead was built with, so the limit can be
    /// raised up to its [`slots`](BulkheadConfig::slots) (the next power of
    /// two of the first `max_concurrent`, at least 4: build it with the
    /// largest you will need); above that it is refused with
    /// [`ConfigError::MaxConcurrent`] and nothing changes.
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig, BulkheadSettings};
    /// use tickguard::time::{Duration, Instant};
    /// use tickguard::ConfigError;
    /// let limit = |max_concurrent| BulkheadConfig::new(BulkheadSettings { max_concurrent, max_wait: Duration::ZERO }).unwrap();
    /// let pool = Bulkhead::new(limit(8).live()); // 8 slots laid out
    /// let calls: Vec<_> = (0..6).map(|_| pool.acquire(Instant::ZERO).unwrap()).collect();
    /// pool.reconfigure(limit(4)).unwrap(); // shed load: 6 in flight, none admitted
    /// assert!(pool.acquire(Instant::ZERO).is_err());
    /// for permit in &calls[..3] {
    ///     pool.release(*permit).unwrap(); // the calls in flight finish as before
    /// }
    /// assert!(pool.acquire(Instant::ZERO).is_ok()); // 3 in flight, below 4
    /// assert_eq!(pool.reconfigure(limit(9)), Err(ConfigError::MaxConcurrent));
    /// ```
    pub fn reconfigure(&self, config: BulkheadConfig) -> Result<(), ConfigError> {
        let config = config
            .laid_out_as(&self.config())
            .ok_or(ConfigError::MaxConcurrent)?;
        self.config.replace(config);
        Ok(())
    }
}

/// A slot taken by [`Bulkhead::enter`], given back when dropped.
///
/// ```
/// use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
/// use tickguard::time::Instant;
/// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
/// let call = pool.enter(Instant::ZERO).unwrap();
/// let permit = call.permit();
/// drop(call);
/// assert!(pool.release(permit).is_err()); // already given back
/// ```
#[derive(Debug)]
#[must_use = "dropping the guard ends the call at once"]
pub struct Entered<'a, C: Source<BulkheadConfig>> {
    bulkhead: &'a Bulkhead<C>,
    permit: Permit,
}

impl<C: Source<BulkheadConfig>> Entered<'_, C> {
    /// The permit this guard holds.
    ///
    /// ```
    /// use tickguard::bulkhead::{Bulkhead, BulkheadConfig};
    /// use tickguard::time::Instant;
    /// let pool = Bulkhead::new(BulkheadConfig::DEFAULT);
    /// assert_ne!(pool.enter(Instant::ZERO).unwrap().permit().to_raw(), 0);
    /// ```
    pub fn permit(&self) -> Permit {
        self.permit
    }
}

impl<C: Source<BulkheadConfig>> Drop for Entered<'_, C> {
    fn drop(&mut self) {
        // Held until now: cannot fail unless the bulkhead was reset, which
        // made this permit stale on purpose.
        let _ = self.bulkhead.release(self.permit);
    }
}

#[cfg(test)]
mod tests;
