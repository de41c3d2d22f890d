//! Per-breaker counters ([`Counters`], read as [`BreakerCounts`]): what the
//! breaker decided since it was built, for metrics.
//!
//! Twelve wrapping 32-bit counters, two to a 64-bit word (48 bytes), each
//! bumped by the caller that got the decision, after it was made: each is
//! exact (every decision is counted once, in its own counter), but a read
//! of all of them is not one instant's (a call between two loads shows in
//! one and not yet in another). A breaker built without them
//! ([`NoCounters`], the default) has no storage and runs no code for them.

use super::{Admitted, Outcome, Recorded, Refused, State, Transition};
use crate::cell::StateCell;
use crate::machine::{Input, Machine, Step};

/// What a breaker's [`Counters`] hold: how many times each decision was
/// made since the breaker was built (wrapping at 2^32; subtract two reads
/// with `wrapping_sub` for a rate). Snapshots and restores leave them
/// alone.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig, CountingBreaker, Outcome, State};
/// let breaker: CountingBreaker<_> = Breaker::with_storage(BreakerConfig::DEFAULT);
/// let permit = breaker.acquire(Instant::from_ticks(0)).unwrap().permit;
/// let _ = breaker.record(permit, Outcome::Success, Instant::from_ticks(1));
/// breaker.force_open();
/// assert!(breaker.acquire(Instant::from_ticks(2)).is_err());
/// let counts = breaker.counts();
/// assert_eq!((counts.requests, counts.successes, counts.refused), (1, 1, 1));
/// assert_eq!(counts.transitions_to(State::ForcedOpen), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BreakerCounts {
    /// Calls admitted (CLOSED, half-open trials, DISABLED).
    pub requests: u32,
    /// Calls refused.
    pub refused: u32,
    /// Successes counted.
    pub successes: u32,
    /// Failures counted.
    pub failures: u32,
    /// Outcomes reported as IGNORED.
    pub ignored: u32,
    /// Successes and failures reported but not counted: a stale permit
    /// (issued before a change of state), a trial reported after its
    /// timeout, a second report of a trial, anything while DISABLED.
    pub dropped: u32,
    /// Transitions into each state, indexed by [`State`] as `usize`
    /// (CLOSED, OPEN, HALF_OPEN, FORCED_OPEN, DISABLED); manual ones too.
    pub transitions: [u32; 5],
    /// Successes and failures counted that were slow (took longer than
    /// [`slow_call`](super::BreakerSettings::slow_call); also counted in
    /// `successes` or `failures`).
    pub slow: u32,
}

impl BreakerCounts {
    /// Transitions into `state`.
    ///
    /// ```
    /// use tickguard::breaker::{BreakerCounts, State};
    /// assert_eq!(BreakerCounts::default().transitions_to(State::Open), 0);
    /// ```
    #[must_use]
    pub const fn transitions_to(&self, state: State) -> u32 {
        let [closed, open, half_open, forced_open, disabled] = self.transitions;
        match state {
            State::Closed => closed,
            State::Open => open,
            State::HalfOpen => half_open,
            State::ForcedOpen => forced_open,
            State::Disabled => disabled,
        }
    }
}

/// Counters a breaker keeps: none ([`NoCounters`], the default) or
/// [`Counters`]. Sealed.
pub trait Counting: sealed::Counting {}

/// No counters: no storage, no code (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCounters;

/// The storage of a breaker's counters (48 bytes), read with
/// [`Breaker::counts`](super::Breaker::counts).
#[derive(Debug)]
pub struct Counters([StateCell<u64>; WORDS]);

impl Counting for NoCounters {}
impl Counting for Counters {}

/// Each counter's place: word `lane / 2`, low half for even lanes.
#[derive(Clone, Copy)]
enum Lane {
    Requests = 0,
    Refused,
    Successes,
    Failures,
    Ignored,
    Dropped,
    /// Transitions into CLOSED; the four other states follow in
    /// [`State`]'s order.
    ToClosed,
    /// Slow calls counted, after the five other transition lanes.
    Slow = 11,
}

/// Counter words: twelve counters, two to a word.
const WORDS: usize = 6;

/// A counter word as a machine: two wrapping 32-bit counters.
struct Pair;

impl Machine for Pair {
    type Word = u64;

    fn fresh(&self) -> u64 {
        0
    }
}

/// Adds one to the low or high counter of a word (each wraps alone).
#[derive(Clone, Copy)]
struct Bump {
    high: bool,
}

impl Input<Pair> for Bump {
    type Decision = ();

    fn step(&self, _: &Pair, word: u64) -> Step<u64, ()> {
        let next = if self.high {
            word.wrapping_add(1 << 32)
        } else {
            (word & !u64::from(u32::MAX)) | u64::from((word as u32).wrapping_add(1))
        };
        Step::Write(next, ())
    }
}

impl Counters {
    /// Counters at zero.
    #[allow(clippy::declare_interior_mutable_const)]
    const ZERO: Self = Self([const { StateCell::<u64>::new(0) }; WORDS]);

    /// Adds one to counter `lane` (a lane past the last counts nowhere).
    fn bump(&self, lane: usize) {
        if let Some(cell) = self.0.get(lane / 2) {
            cell.apply(
                &Pair,
                Bump {
                    high: lane % 2 == 1,
                },
            );
        }
    }

    /// Counts a transition into its target state.
    fn moved(&self, transition: Option<Transition>) {
        if let Some(change) = transition {
            self.bump((Lane::ToClosed as usize).wrapping_add(change.to as usize));
        }
    }

    /// Every counter, each loaded once.
    pub(super) fn read(&self) -> BreakerCounts {
        let mut lanes = [0u32; 2 * WORDS];
        for (pair, cell) in lanes.chunks_exact_mut(2).zip(&self.0) {
            let word = cell.load();
            pair.copy_from_slice(&[word as u32, (word >> 32) as u32]);
        }
        let [requests, refused, successes, failures, ignored, dropped, closed, open, half_open, forced_open, disabled, slow] =
            lanes;
        BreakerCounts {
            requests,
            refused,
            successes,
            failures,
            ignored,
            dropped,
            transitions: [closed, open, half_open, forced_open, disabled],
            slow,
        }
    }
}

// The sealed trait is unnameable outside the crate.
pub(super) mod sealed {
    use super::*;

    /// Seals [`super::Counting`]: what a breaker tells its counters.
    pub trait Counting {
        /// Counters at zero.
        const ZERO: Self;
        /// An acquire decided `decision`.
        fn acquired(&self, decision: &Result<Admitted, Refused>);
        /// A report of `outcome` (`slow`: of a slow call) was recorded as
        /// `recorded`.
        fn recorded(&self, outcome: Outcome, slow: bool, recorded: &Recorded);
        /// A manual command made `transition`.
        fn commanded(&self, transition: Option<Transition>);
    }

    impl Counting for NoCounters {
        const ZERO: Self = NoCounters;

        #[inline(always)]
        fn acquired(&self, _: &Result<Admitted, Refused>) {}

        #[inline(always)]
        fn recorded(&self, _: Outcome, _: bool, _: &Recorded) {}

        #[inline(always)]
        fn commanded(&self, _: Option<Transition>) {}
    }

    impl Counting for Counters {
        #[allow(clippy::declare_interior_mutable_const)]
        const ZERO: Self = Counters::ZERO;

        fn acquired(&self, decision: &Result<Admitted, Refused>) {
            let (lane, transition) = match decision {
                Ok(admitted) => (Lane::Requests, admitted.transition),
                Err(refused) => (Lane::Refused, refused.transition),
            };
            self.bump(lane as usize);
            self.moved(transition);
        }

        fn recorded(&self, outcome: Outcome, slow: bool, recorded: &Recorded) {
            let lane = match (outcome, recorded.counted) {
                (Outcome::Ignored, _) => Lane::Ignored,
                (_, false) => Lane::Dropped,
                (Outcome::Success, true) => Lane::Successes,
                (Outcome::Failure, true) => Lane::Failures,
            };
            self.bump(lane as usize);
            if slow && recorded.counted {
                self.bump(Lane::Slow as usize);
            }
            self.moved(recorded.transition);
        }

        fn commanded(&self, transition: Option<Transition>) {
            self.moved(transition);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_counter_wraps_alone() {
        let step = |word: u64, high: bool| match (Bump { high }).step(&Pair, word) {
            Step::Write(next, ()) => next,
            Step::Keep(()) => word,
        };
        assert_eq!(step(0x0000_0007_FFFF_FFFF, false), 0x0000_0007_0000_0000);
        assert_eq!(step(0xFFFF_FFFF_0000_0009, true), 0x0000_0000_0000_0009);
        assert_eq!(step(0, true), 1 << 32);
    }

    #[test]
    fn every_lane_reads_back_in_its_own_field() {
        let counters = Counters::ZERO;
        // Lane k bumped k + 1 times.
        for lane in 0..12 {
            for _ in 0..=lane {
                counters.bump(lane);
            }
        }
        counters.bump(12); // past the last lane: counts nowhere
        let counts = counters.read();
        assert_eq!(
            [
                counts.requests,
                counts.refused,
                counts.successes,
                counts.failures,
                counts.ignored,
                counts.dropped
            ],
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(counts.transitions, [7, 8, 9, 10, 11]);
        assert_eq!(counts.slow, 12);
        for state in State::ALL {
            assert_eq!(counts.transitions_to(state), 7 + state as u32);
        }
    }
}
