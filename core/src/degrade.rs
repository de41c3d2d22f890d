//! Degradation levels (service and function
//! degradation) in one shared 64-bit word: a level that callers check before
//! optional work, set by hand or raised automatically while a dependency's
//! breaker is open, and feature switches turned off by hand.
//!
//! The effective level is the higher of the manual level and the automatic
//! one. A feature that should be shed at level L checks
//! [`Degradation::allows`]`(L)`: it runs while the effective level is below
//! L and no one switched it off. Every call that changes the effective level
//! returns the [`LevelChange`]; exactly one caller observes each (the one
//! CAS driver), so logging and alerting need no callbacks. Checks only read.
//!
//! ```
//! use tickguard::breaker::State;
//! use tickguard::degrade::{Degradation, LevelChange};
//!
//! const RECOMMENDATIONS: u8 = 1; // shed first
//! const IMAGES: u8 = 2;
//! static LEVEL: Degradation = Degradation::new();
//!
//! assert!(LEVEL.allows(RECOMMENDATIONS, 0));
//! // The recommender's breaker opened: degrade to level 1 automatically.
//! let change = LEVEL.follow_breaker(State::Open, 1);
//! assert_eq!(change, Some(LevelChange { from: 0, to: 1 }));
//! assert!(!LEVEL.allows(RECOMMENDATIONS, 0));
//! assert!(LEVEL.allows(IMAGES, 0));
//! // It closed again: back to normal, reported once.
//! assert_eq!(LEVEL.follow_breaker(State::Closed, 1), Some(LevelChange { from: 1, to: 0 }));
//! assert_eq!(LEVEL.follow_breaker(State::Closed, 1), None);
//! ```

use crate::breaker::State;
use crate::cell::StateCell;
use crate::machine::{Input, Machine, Step};
use crate::snapshot::{Fields, Format};

/// A change of the effective degradation level, reported to exactly one
/// caller.
///
/// ```
/// use tickguard::degrade::{Degradation, LevelChange};
/// let level = Degradation::new();
/// assert_eq!(level.set_level(2), Some(LevelChange { from: 0, to: 2 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LevelChange {
    /// The effective level before.
    pub from: u8,
    /// The effective level after.
    pub to: u8,
}

/// Degradation state: manual level, automatic level and 32 feature switches
/// in one atomic word. Safe from threads and interrupt handlers.
///
/// ```
/// use tickguard::degrade::Degradation;
/// static LEVEL: Degradation = Degradation::new();
/// assert_eq!(LEVEL.level(), 0);
/// ```
#[derive(Debug)]
pub struct Degradation {
    /// Bits 0..8: manual level; 8..16: automatic level; 32..64: switches off.
    word: StateCell<u64>,
}

const fn manual(word: u64) -> u8 {
    word as u8
}

const fn automatic(word: u64) -> u8 {
    (word >> 8) as u8
}

const fn effective(word: u64) -> u8 {
    let (m, a) = (manual(word), automatic(word));
    if m > a {
        m
    } else {
        a
    }
}

const fn with_levels(word: u64, manual: u8, automatic: u8) -> u64 {
    (word & !0xFFFF) | manual as u64 | ((automatic as u64) << 8)
}

/// The change of effective level between two words, if any.
const fn change(before: u64, after: u64) -> Option<LevelChange> {
    let (from, to) = (effective(before), effective(after));
    if from == to {
        None
    } else {
        Some(LevelChange { from, to })
    }
}

impl Default for Degradation {
    fn default() -> Self {
        Self::new()
    }
}

impl Degradation {
    /// Level 0, every feature switched on.
    ///
    /// ```
    /// assert_eq!(tickguard::degrade::Degradation::new().level(), 0);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self {
            word: StateCell::<u64>::new(0),
        }
    }

    /// The effective level: the higher of the manual and automatic levels.
    ///
    /// ```
    /// let d = tickguard::degrade::Degradation::new();
    /// let _ = d.set_level(3);
    /// assert_eq!(d.level(), 3);
    /// ```
    #[must_use]
    pub fn level(&self) -> u8 {
        effective(self.word.load())
    }

    /// Whether optional work that is shed at `shed_at` may run: the
    /// effective level is below `shed_at` and switch `switch` (0..32) is on.
    /// Reads only.
    ///
    /// ```
    /// let d = tickguard::degrade::Degradation::new();
    /// assert!(d.allows(1, 5));
    /// let _ = d.switch_off(5);
    /// assert!(!d.allows(1, 5));
    /// ```
    #[must_use]
    pub fn allows(&self, shed_at: u8, switch: u8) -> bool {
        let word = self.word.load();
        effective(word) < shed_at && word & switch_bit(switch) == 0
    }

    /// Sets the manual level; returns the change of effective level, if any.
    ///
    /// ```
    /// let d = tickguard::degrade::Degradation::new();
    /// assert!(d.set_level(1).is_some());
    /// assert!(d.set_level(1).is_none());
    /// ```
    pub fn set_level(&self, level: u8) -> Option<LevelChange> {
        self.word.apply(&Levels, SetLevel { level })
    }

    /// Follows a dependency's breaker: while it is OPEN, HALF_OPEN or
    /// FORCED_OPEN the automatic level is `level_while_open`, otherwise 0.
    /// Call it with the state your breaker reports (after each call, or
    /// from a periodic task); returns the change of effective level, if any.
    ///
    /// ```
    /// use tickguard::breaker::State;
    /// let d = tickguard::degrade::Degradation::new();
    /// assert!(d.follow_breaker(State::HalfOpen, 2).is_some());
    /// assert_eq!(d.level(), 2);
    /// ```
    pub fn follow_breaker(&self, state: State, level_while_open: u8) -> Option<LevelChange> {
        self.word.apply(
            &Levels,
            FollowBreaker {
                state,
                level_while_open,
            },
        )
    }

    /// Switches feature `switch` (0..32) off; returns whether it was on.
    ///
    /// ```
    /// let d = tickguard::degrade::Degradation::new();
    /// assert!(d.switch_off(3));
    /// assert!(!d.switch_off(3));
    /// ```
    pub fn switch_off(&self, switch: u8) -> bool {
        self.word.apply(&Levels, SwitchOff { switch })
    }

    /// Switches feature `switch` (0..32) back on; returns whether it was
    /// off.
    ///
    /// ```
    /// let d = tickguard::degrade::Degradation::new();
    /// let _ = d.switch_off(3);
    /// assert!(d.switch_on(3));
    /// ```
    pub fn switch_on(&self, switch: u8) -> bool {
        self.word.apply(&Levels, SwitchOn { switch })
    }

    /// The levels and switches as a snapshot ([`crate::snapshot`]; they
    /// have no time).
    ///
    /// ```
    /// let saved = tickguard::degrade::Degradation::new().snapshot();
    /// assert_eq!(saved.len(), tickguard::degrade::SNAPSHOT_LEN);
    /// ```
    #[must_use]
    pub fn snapshot(&self) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, crate::time::Instant::ZERO)
    }
}

/// The degradation machine ([`crate::machine`]): nothing to configure.
///
/// ```
/// use tickguard::degrade::{Levels, SetLevel};
/// use tickguard::machine::{Input, Machine};
/// let change = *SetLevel { level: 2 }.step(&Levels, Levels.fresh()).decision();
/// assert_eq!(change.unwrap().to, 2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Levels;

/// Bytes of a [`Degradation`]'s snapshot.
pub const SNAPSHOT_LEN: usize = <Levels as Format>::LEN;

impl Format for Levels {
    const KIND: u8 = 4;
    /// The word: levels and switches (no time).
    const STATE_LEN: usize = 8;

    fn fingerprint(&self, _: &mut Fields<'_>) {}

    fn save_state(&self, word: u64, fields: &mut Fields<'_>) {
        fields.u64(word);
    }

    /// Bits 16..32 are never set.
    fn restore_state(&self, fields: &mut Fields<'_>) -> Option<u64> {
        let word = fields.read_u64();
        (word & 0xFFFF_0000 == 0).then_some(word)
    }
}

crate::snapshot::snapshot_of_one_cell! {
    /// Saves and restores the levels and switches ([`crate::snapshot`]).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::degrade::Degradation;
    /// use tickguard::snapshot::Snapshot;
    /// let levels = Degradation::new();
    /// let _ = levels.set_level(2);
    /// let saved = levels.snapshot();
    /// let rebooted = Degradation::new();
    /// rebooted.restore(&saved, Instant::from_ticks(0)).unwrap();
    /// assert_eq!(rebooted.level(), 2);
    /// ```
    impl for Degradation {
        machine: Levels,
        |this| (&Levels, &this.word)
    }
}

impl Machine for Levels {
    /// Bits 0..8: manual level; 8..16: automatic level; 32..64: switches off.
    type Word = u64;

    /// Level 0, every switch on.
    fn fresh(&self) -> u64 {
        0
    }
}

/// [`Degradation::set_level`] as a machine input.
///
/// ```
/// use tickguard::degrade::{Levels, SetLevel};
/// use tickguard::machine::{Input, Step};
/// assert_eq!(SetLevel { level: 0 }.step(&Levels, 0), Step::Keep(None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLevel {
    /// The manual level.
    pub level: u8,
}

impl Input<Levels> for SetLevel {
    type Decision = Option<LevelChange>;

    fn step(&self, _: &Levels, w: u64) -> Step<u64, Option<LevelChange>> {
        let next = with_levels(w, self.level, automatic(w));
        Step::unless_same(w, next, change(w, next))
    }
}

/// [`Degradation::follow_breaker`] as a machine input.
///
/// ```
/// use tickguard::breaker::State;
/// use tickguard::degrade::{FollowBreaker, Levels};
/// use tickguard::machine::Input;
/// let follow = FollowBreaker { state: State::Open, level_while_open: 1 };
/// assert_eq!(follow.step(&Levels, 0).decision().unwrap().to, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowBreaker {
    /// The state the dependency's breaker reports.
    pub state: State,
    /// The automatic level while it is not CLOSED or DISABLED.
    pub level_while_open: u8,
}

impl Input<Levels> for FollowBreaker {
    type Decision = Option<LevelChange>;

    fn step(&self, _: &Levels, w: u64) -> Step<u64, Option<LevelChange>> {
        let target = match self.state {
            State::Open | State::HalfOpen | State::ForcedOpen => self.level_while_open,
            State::Closed | State::Disabled => 0,
        };
        let next = with_levels(w, manual(w), target);
        Step::unless_same(w, next, change(w, next))
    }
}

/// [`Degradation::switch_off`] as a machine input.
///
/// ```
/// use tickguard::degrade::{Levels, SwitchOff};
/// use tickguard::machine::Input;
/// assert_eq!(SwitchOff { switch: 1 }.step(&Levels, 0).decision(), &true);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwitchOff {
    /// The switch (0..32; others are no switch).
    pub switch: u8,
}

impl Input<Levels> for SwitchOff {
    type Decision = bool;

    fn step(&self, _: &Levels, w: u64) -> Step<u64, bool> {
        let bit = switch_bit(self.switch);
        Step::unless_same(w, w | bit, w & bit == 0 && bit != 0)
    }
}

/// [`Degradation::switch_on`] as a machine input.
///
/// ```
/// use tickguard::degrade::{Levels, SwitchOn};
/// use tickguard::machine::Input;
/// assert_eq!(SwitchOn { switch: 1 }.step(&Levels, 0).decision(), &false);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwitchOn {
    /// The switch (0..32; others are no switch).
    pub switch: u8,
}

impl Input<Levels> for SwitchOn {
    type Decision = bool;

    fn step(&self, _: &Levels, w: u64) -> Step<u64, bool> {
        let bit = switch_bit(self.switch);
        Step::unless_same(w, w & !bit, w & bit != 0)
    }
}

/// The word's bit for switch `switch`; 0 (no switch) for 32 and above.
const fn switch_bit(switch: u8) -> u64 {
    if switch < 32 {
        1u64 << (switch as u32).wrapping_add(32)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_level_is_the_higher_and_changes_are_reported_once() {
        let d = Degradation::new();
        assert_eq!(d.set_level(1), Some(LevelChange { from: 0, to: 1 }));
        assert_eq!(
            d.follow_breaker(State::Open, 3),
            Some(LevelChange { from: 1, to: 3 })
        );
        assert_eq!(d.set_level(2), None); // automatic 3 still wins
        assert_eq!(
            d.follow_breaker(State::Closed, 3),
            Some(LevelChange { from: 3, to: 2 })
        );
        assert_eq!(d.set_level(0), Some(LevelChange { from: 2, to: 0 }));
        assert!(d.allows(1, 0));
        assert!(!d.allows(0, 0));
    }

    #[test]
    fn switches_are_independent_and_out_of_range_is_a_no_op() {
        let d = Degradation::new();
        for s in 0..32 {
            assert!(d.switch_off(s));
        }
        assert!(!d.allows(9, 31));
        assert!(d.switch_on(31) && d.allows(9, 31) && !d.allows(9, 30));
        assert!(!d.switch_off(32) && d.allows(9, 40));
        assert_eq!(d.level(), 0);
    }

    #[test]
    fn concurrent_changes_are_each_observed_once() {
        let d = Degradation::new();
        let observed = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..2u8 {
                let (d, observed) = (&d, &observed);
                s.spawn(move || {
                    for i in 0..10_000u32 {
                        let state = if (i + u32::from(t)) % 2 == 0 {
                            State::Open
                        } else {
                            State::Closed
                        };
                        if d.follow_breaker(state, 1).is_some() {
                            observed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        // Each observed change flips the level; the count's parity is the
        // final level.
        let flips = observed.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(flips % 2, usize::from(d.level()));
    }
}
