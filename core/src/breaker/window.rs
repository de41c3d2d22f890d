//! The count-based window: the last `rate_window` outcomes of CLOSED calls,
//! which of them failed and which were slow, in a 128-bit word of its own
//! beside the breaker's state word.
//!
//! ```text
//!  127  126      111 110    104 103              52 51                 0
//! +----+-----------+----------+-------------------+--------------------+
//! |held| gen (16)  |filled (7)| slow calls (52)   | failures (52)      |
//! +----+-----------+----------+-------------------+--------------------+
//!                              without a slow-call rate: failures (64)
//! ```
//!
//! * **Failures** and **slow calls** are shift registers: each counted
//!   outcome shifts both up by one and sets bit 0 of each for a failure and
//!   for a slow call; bits at and past the window's size are cleared, so
//!   the failures (slow calls) in the window are the register's set bits.
//!   Without a slow-call rate there is no slow register and the failures'
//!   takes 64 bits; with one, each register has 52 (the window is at most
//!   [`MAX_SLOW_WINDOW`] outcomes). `filled` counts outcomes up to the
//!   window's size.
//! * **Generation tag.** The window counts for the breaker generation in
//!   its tag only. The breaker never writes this word on a transition, so
//!   a transition and the clearing of its window cannot interleave wrongly
//!   (there is nothing to interleave). An outcome is counted only while the
//!   breaker's state word, loaded after this word, is CLOSED in the
//!   permit's generation: then a window tagged otherwise is from an older
//!   generation and starts afresh, and otherwise the outcome is dropped. A
//!   compare-and-swap that succeeds proves the window unchanged since that
//!   load, so no outcome of an old generation is ever counted in a newer
//!   one, however many transitions happen during the call (a stale caller
//!   can only write a window tagged with its own dead generation, which the
//!   next outcome of the live one clears).
//! * **`held`** is clear in a fresh word (all zero) and a cleared one: such
//!   a window is empty for every generation.
//! * A fast success in a full window with no failure and no slow call
//!   changes nothing, so the steady CLOSED state writes this word no more
//!   than the state word.
//!
//! Every function here is pure and total.

use super::{Outcome, Permit};
use crate::time::Tick;

mod timed;

pub(super) use timed::CLEARING_BUCKETS;

/// The buckets of a time window.
pub(super) const TIME_BUCKETS: u32 = 4;

/// The most `minimum_calls` a time window takes (a bucket that counted
/// 127 outcomes halves, so one holds at least 64 once it filled).
pub(super) const MAX_TIME_MINIMUM_CALLS: u32 = 127;

const SLOW_SHIFT: u32 = 52;
const FILLED_SHIFT: u32 = 104;
const FILLED_BITS: u32 = 7;
const TAG_SHIFT: u32 = FILLED_SHIFT + FILLED_BITS;
const HELD_SHIFT: u32 = TAG_SHIFT + 16;

/// The most outcomes a count window holds.
pub(super) const MAX_WINDOW: u32 = 64;

/// The most outcomes a count window holds with a slow-call rate.
pub(super) const MAX_SLOW_WINDOW: u32 = SLOW_SHIFT;

/// A window's rules, from the breaker's configuration: 16 bytes, aligned
/// to 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct RateRule {
    /// Outcomes in the window (1..=64; 0: no window).
    window: u8,
    /// Outcomes needed before a rate is judged (1..=`window`).
    minimum_calls: u8,
    /// The failure rate that trips, in thousandths (1..=1000; 0: none).
    per_mille: u16,
    /// The slow-call rate that trips, in thousandths (1..=1000; 0: none,
    /// and no slow register).
    slow_per_mille: u16,
    /// Nonzero for a time window (`window` is then 0).
    timed: u8,
    /// A count window's register bits inside the window (its `window` low
    /// bits), computed once: no variable shift at run time (a library call
    /// on Cortex-M0). A time window's reciprocal of its bucket length
    /// (`⌊(2^64 − 1) / bucket⌋`: a bucket of a tick is then a multiply, not
    /// a division). As two halves, so that the rule stays aligned to 4.
    bits: [u32; 2],
}

impl RateRule {
    /// The rules of a window of `window` outcomes (0: none), from validated
    /// settings (each field within its bound: window ≤ 64, or ≤ 52 with a
    /// slow-call rate, minimum calls ≤ window, per milles ≤ 1000).
    pub(super) const fn new(
        window: u32,
        minimum_calls: u32,
        per_mille: u32,
        slow_per_mille: u32,
    ) -> Self {
        let bits = match 1u64.checked_shl(window) {
            Some(bit) => bit.wrapping_sub(1),
            None => u64::MAX,
        };
        Self {
            window: window as u8,
            minimum_calls: minimum_calls as u8,
            per_mille: per_mille as u16,
            slow_per_mille: slow_per_mille as u16,
            timed: 0,
            bits: [bits as u32, (bits >> 32) as u32],
        }
    }

    /// The rules of a time window of [`TIME_BUCKETS`] buckets of `bucket`
    /// ticks each (at least 1), from validated settings (minimum calls
    /// 1..=[`MAX_TIME_MINIMUM_CALLS`], per milles ≤ 1000).
    pub(super) const fn timed(
        bucket: Tick,
        minimum_calls: u32,
        per_mille: u32,
        slow_per_mille: u32,
    ) -> Self {
        let reciprocal = crate::wide::div(u64::MAX, bucket);
        Self {
            window: 0,
            minimum_calls: minimum_calls as u8,
            per_mille: per_mille as u16,
            slow_per_mille: slow_per_mille as u16,
            timed: 1,
            bits: [reciprocal as u32, (reciprocal >> 32) as u32],
        }
    }

    /// The number of the bucket of `bucket` ticks that tick `clock` lies
    /// in, for a time window (`bucket` from the same settings as the rule).
    pub(super) const fn bucket_number(&self, clock: Tick, bucket: Tick) -> u64 {
        crate::wide::div_by_reciprocal(clock, bucket, self.bits())
    }

    /// Whether this is a time window.
    pub(super) const fn is_timed(&self) -> bool {
        self.timed != 0
    }

    /// Outcomes in the window.
    pub(super) const fn window(&self) -> u32 {
        self.window as u32
    }

    /// Outcomes needed before a rate is judged.
    pub(super) const fn minimum_calls(&self) -> u32 {
        self.minimum_calls as u32
    }

    /// Whether there is a window at all.
    pub(super) const fn is_on(&self) -> bool {
        self.window != 0 || self.is_timed()
    }

    /// Whether a failure rate is judged.
    pub(super) const fn failure_rate_on(&self) -> bool {
        self.is_on() && self.per_mille != 0
    }

    /// Whether a slow-call rate is judged (and slow calls are registered).
    pub(super) const fn slow_rate_on(&self) -> bool {
        self.is_on() && self.slow_per_mille != 0
    }

    /// The register bits inside the window.
    const fn bits(&self) -> u64 {
        ((self.bits[1] as u64) << 32) | self.bits[0] as u64
    }

    /// The slow register's bits inside the window (none without a slow-call
    /// rate).
    const fn slow_bits(&self) -> u64 {
        if self.slow_rate_on() {
            self.bits()
        } else {
            0
        }
    }

    /// The word's bits a window of this rule reads: its registers inside
    /// the window, and everything from `filled` up.
    const fn read_bits(&self) -> u128 {
        self.bits() as u128 | (self.slow_bits() as u128) << SLOW_SHIFT | u128::MAX << FILLED_SHIFT
    }

    /// Whether `counted` of `calls` reaches `per_mille`: at least
    /// `minimum_calls` in, and `counted / calls ≥ per_mille / 1000`
    /// (inclusive, as Resilience4j compares); never for a rate of 0. In 32
    /// bits, one multiplication each (a checked one is a library call on
    /// Cortex-M0): a window's counts are at most 64 and a validated rule's
    /// per mille at most 1000, so neither side passes 64 000.
    const fn reaches(&self, counted: u32, calls: u32, per_mille: u16) -> bool {
        per_mille != 0
            && calls >= self.minimum_calls()
            && calls != 0
            && counted.wrapping_mul(1000) >= (per_mille as u32).wrapping_mul(calls)
    }

    /// Which of the window's rates trip with `counts`.
    const fn trips(&self, counts: WindowCounts) -> RateTrips {
        RateTrips {
            failures: self.reaches(counts.failures, counts.calls, self.per_mille),
            slow: self.reaches(counts.slow, counts.calls, self.slow_per_mille),
        }
    }
}

/// Which of a window's rates trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) struct RateTrips {
    /// The failure rate reached its threshold.
    pub(super) failures: bool,
    /// The slow-call rate reached its threshold.
    pub(super) slow: bool,
}

/// What a window holds for one generation
/// ([`Breaker::window_counts`](super::Breaker::window_counts)).
///
/// ```
/// # use tickguard::time::{Duration, Instant};
/// use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome, WindowCounts};
/// let config = BreakerConfig::new(BreakerSettings {
///     slow_call: Duration::from_ticks(100),
///     slow_call_rate_per_mille: 800,
///     rate_window: 10,
///     ..BreakerConfig::DEFAULT_SETTINGS
/// })
/// .unwrap();
/// let breaker = Breaker::windowed(&config);
/// let permit = breaker.acquire(Instant::from_ticks(0)).unwrap().permit;
/// breaker.record(permit, Outcome::Success, Instant::from_ticks(150)); // slow
/// assert_eq!(breaker.window_counts(), WindowCounts { calls: 1, failures: 0, slow: 1 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WindowCounts {
    /// Outcomes in the window (successes and failures; IGNORED counts in
    /// none).
    pub calls: u32,
    /// Failures among them.
    pub failures: u32,
    /// Slow calls among them (successes and failures), with a slow-call
    /// rate (0 without one: the window registers no slow calls then).
    pub slow: u32,
}

/// A window word, unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    failures: u64,
    slow: u64,
    filled: u32,
    tag: u16,
    held: bool,
}

const fn decode(word: u128) -> Window {
    Window {
        failures: word as u64,
        slow: (word >> SLOW_SHIFT) as u64,
        filled: ((word >> FILLED_SHIFT) as u32) & ((1 << FILLED_BITS) - 1),
        tag: (word >> TAG_SHIFT) as u16,
        held: (word >> HELD_SHIFT) & 1 == 1,
    }
}

/// Packs a window whose registers hold no bit outside the rule's (a slow
/// register only with a slow-call rate, each inside the window).
const fn encode(window: Window) -> u128 {
    window.failures as u128
        | ((window.slow as u128) << SLOW_SHIFT)
        | ((window.filled as u128) << FILLED_SHIFT)
        | ((window.tag as u128) << TAG_SHIFT)
        | ((window.held as u128) << HELD_SHIFT)
}

/// The window as the live generation `generation` sees it: its registers
/// cut to the rule's bits, and `filled` (an empty window for a word never
/// held, or tagged with any other generation, which can only be an older
/// one).
#[inline]
const fn seen_by(word: u128, generation: u16, rule: &RateRule) -> Window {
    let window = decode(word);
    if !window.held || window.tag != generation {
        return Window {
            failures: 0,
            slow: 0,
            filled: 0,
            tag: generation,
            held: true,
        };
    }
    // A garbage word's fields are cut to the window.
    let filled = if window.filled > rule.window() {
        rule.window()
    } else {
        window.filled
    };
    Window {
        failures: window.failures & rule.bits(),
        slow: window.slow & rule.slow_bits(),
        filled,
        tag: generation,
        held: true,
    }
}

#[inline]
const fn counts_of(window: Window) -> WindowCounts {
    WindowCounts {
        calls: window.filled,
        failures: window.failures.count_ones(),
        slow: window.slow.count_ones(),
    }
}

/// What the window holds for generation `generation` (empty for any other)
/// at bucket `clock` (a time window's bucket number of its clock; a count
/// window has none).
#[inline]
pub(super) fn counts(word: u128, generation: u16, rule: &RateRule, clock: Tick) -> WindowCounts {
    if rule.is_timed() {
        return timed::counts(word, generation, clock);
    }
    counts_of(seen_by(word, generation, rule))
}

/// Counts `outcome` of a call admitted with `permit` (`slow`: whether it
/// was slow) at bucket `clock` (a time window's bucket number of the later
/// of the breaker's clock and the report's), given whether the breaker's state word (loaded
/// after `word`) is CLOSED in the permit's generation: the next word,
/// which rates trip with it, and what the window then holds. Nothing
/// changes (and nothing is held) for a stale permit, a half-open trial, or
/// IGNORED.
#[inline]
pub(super) fn count(
    word: u128,
    live: bool,
    permit: Permit,
    outcome: Outcome,
    slow: bool,
    rule: &RateRule,
    clock: Tick,
) -> (u128, RateTrips, WindowCounts) {
    let none = (
        word,
        RateTrips {
            failures: false,
            slow: false,
        },
        WindowCounts {
            calls: 0,
            failures: 0,
            slow: 0,
        },
    );
    let failure = match outcome {
        Outcome::Failure => 1u64,
        Outcome::Success => 0,
        Outcome::Ignored => return none,
    };
    if !live || permit.slot() != 0 {
        return none;
    }
    if rule.is_timed() {
        return timed::count(word, permit, outcome, slow, rule, clock);
    }
    let seen = seen_by(word, permit.generation(), rule);
    let next = Window {
        failures: ((seen.failures << 1) | failure) & rule.bits(),
        slow: ((seen.slow << 1) | slow as u64) & rule.slow_bits(),
        filled: if seen.filled < rule.window() {
            seen.filled.wrapping_add(1)
        } else {
            rule.window()
        },
        ..seen
    };
    let counts = counts_of(next);
    (encode(next), rule.trips(counts), counts)
}

/// Whether counting `outcome` with `permit` (`slow`: whether the call was
/// slow) certainly changes nothing and trips nothing, from the window word
/// alone (without the state word): an IGNORED outcome, or a success (fast,
/// or slow without a slow-call rate) in the permit's generation's window
/// when it is full and holds no failure and no slow call (the steady
/// CLOSED state). A half-open trial's (slot ≠ 0) never counts either. In a
/// time window every counted outcome changes the word.
#[inline]
pub(super) const fn changes_nothing(
    word: u128,
    permit: Permit,
    outcome: Outcome,
    slow: bool,
    rule: &RateRule,
) -> bool {
    match outcome {
        Outcome::Ignored => true,
        Outcome::Failure => permit.slot() != 0,
        Outcome::Success if rule.is_timed() => permit.slot() != 0,
        Outcome::Success => {
            let clean = encode(Window {
                failures: 0,
                slow: 0,
                filled: rule.window() & ((1 << FILLED_BITS) - 1),
                tag: permit.generation(),
                held: true,
            });
            let registered = slow && rule.slow_rate_on();
            permit.slot() != 0 || (!registered && word & rule.read_bits() == clean)
        }
    }
}

/// An empty window: what `reset` and `restore` leave.
pub(super) const EMPTY: u128 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: RateRule = RateRule::new(4, 2, 500, 0);
    const NO_TRIP: RateTrips = RateTrips {
        failures: false,
        slow: false,
    };

    fn permit(generation: u16) -> Permit {
        Permit::new(generation, 0, 0)
    }

    #[test]
    fn a_fresh_word_is_empty_for_every_generation() {
        for generation in [0u16, 1, 0x7fff, 0x8000, u16::MAX] {
            assert_eq!(counts(EMPTY, generation, &RULE, 0), WindowCounts::default());
            let (next, _, _) = count(
                EMPTY,
                true,
                permit(generation),
                Outcome::Failure,
                false,
                &RULE,
                0,
            );
            assert_eq!(
                counts(next, generation, &RULE, 0),
                WindowCounts {
                    calls: 1,
                    failures: 1,
                    slow: 0
                }
            );
        }
    }

    #[test]
    fn the_window_slides_and_trips_inclusively_after_minimum_calls() {
        let mut word = EMPTY;
        let mut trips = Vec::new();
        for outcome in [
            Outcome::Failure, // 1/1: below minimum calls
            Outcome::Success, // 1/2 = 50 %: trips (inclusive)
            Outcome::Success, // 1/3
            Outcome::Success, // 1/4
            Outcome::Success, // 0/4: the failure slid out
            Outcome::Failure, // 1/4
            Outcome::Failure, // 2/4: trips
        ] {
            let (next, tripped, _) = count(word, true, permit(7), outcome, false, &RULE, 0);
            word = next;
            trips.push(tripped.failures);
        }
        assert_eq!(trips, [false, true, false, false, false, false, true]);
        assert_eq!(
            counts(word, 7, &RULE, 0),
            WindowCounts {
                calls: 4,
                failures: 2,
                slow: 0
            }
        );
    }

    #[test]
    fn other_tags_read_empty_and_stale_permits_change_nothing() {
        let (word, _, _) = count(EMPTY, true, permit(10), Outcome::Failure, false, &RULE, 0);
        // The live generation 11 starts afresh.
        let (later, _, _) = count(word, true, permit(11), Outcome::Success, false, &RULE, 0);
        assert_eq!(
            counts(later, 11, &RULE, 0),
            WindowCounts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
        assert_eq!(counts(later, 10, &RULE, 0), WindowCounts::default());
        // An outcome of generation 10 when the breaker is no longer CLOSED
        // in it changes nothing.
        assert_eq!(
            count(later, false, permit(10), Outcome::Failure, false, &RULE, 0),
            (later, NO_TRIP, WindowCounts::default())
        );
        // Half-open trials count in none.
        let trial = Permit::new(11, 1, 0);
        assert_eq!(
            count(later, true, trial, Outcome::Failure, true, &RULE, 0),
            (later, NO_TRIP, WindowCounts::default())
        );
        // Across the wrap of the 16-bit generation.
        let (word, _, _) = count(
            EMPTY,
            true,
            permit(u16::MAX),
            Outcome::Failure,
            false,
            &RULE,
            0,
        );
        let (wrapped, _, _) = count(word, true, permit(0), Outcome::Failure, false, &RULE, 0);
        assert_eq!(
            counts(wrapped, 0, &RULE, 0),
            WindowCounts {
                calls: 1,
                failures: 1,
                slow: 0
            }
        );
    }

    #[test]
    fn a_success_in_a_clean_full_window_writes_nothing() {
        let mut word = EMPTY;
        for _ in 0..4 {
            assert!(!changes_nothing(
                word,
                permit(3),
                Outcome::Success,
                false,
                &RULE
            ));
            word = count(word, true, permit(3), Outcome::Success, false, &RULE, 0).0;
        }
        assert!(changes_nothing(
            word,
            permit(3),
            Outcome::Success,
            false,
            &RULE
        ));
        // Without a slow-call rate, a slow success registers nothing either.
        assert!(changes_nothing(
            word,
            permit(3),
            Outcome::Success,
            true,
            &RULE
        ));
        assert!(!changes_nothing(
            word,
            permit(4),
            Outcome::Success,
            false,
            &RULE
        ));
        assert!(!changes_nothing(
            word,
            permit(3),
            Outcome::Failure,
            false,
            &RULE
        ));
        let (success, trips, counts) =
            count(word, true, permit(3), Outcome::Success, true, &RULE, 0);
        assert_eq!((success, trips, counts.failures), (word, NO_TRIP, 0));
        let ignored = count(word, true, permit(3), Outcome::Ignored, false, &RULE, 0);
        assert_eq!(ignored, (word, NO_TRIP, WindowCounts::default()));
    }

    #[test]
    fn a_window_of_64_counts_all_64() {
        let rule = RateRule::new(64, 64, 1000, 0);
        let mut word = EMPTY;
        for i in 0..64 {
            let (next, trips, _) = count(word, true, permit(1), Outcome::Failure, true, &rule, 0);
            assert_eq!(trips.failures, i == 63);
            assert!(!trips.slow);
            word = next;
        }
        assert_eq!(
            counts(word, 1, &rule, 0),
            WindowCounts {
                calls: 64,
                failures: 64,
                slow: 0
            }
        );
    }

    #[test]
    fn slow_calls_slide_beside_failures_and_trip_on_their_own_rate() {
        // 4 outcomes, at least 2, 50 % failing or 75 % slow.
        let rule = RateRule::new(4, 2, 500, 750);
        let mut word = EMPTY;
        let mut trips = Vec::new();
        for (outcome, slow) in [
            (Outcome::Success, true),  // 0 failed, 1 slow of 1: below minimum
            (Outcome::Success, true),  // 2 slow of 2: slow trips
            (Outcome::Success, false), // 2 of 3
            (Outcome::Failure, true),  // 1 failed, 3 slow of 4: both
            (Outcome::Success, false), // 1 failed, 2 slow of 4
            (Outcome::Success, false), // 1 failed (the slow failure), 1 slow
            (Outcome::Ignored, true),  // counts in none
        ] {
            let (next, tripped, _) = count(word, true, permit(5), outcome, slow, &rule, 0);
            word = next;
            trips.push((tripped.failures, tripped.slow));
        }
        assert_eq!(
            trips,
            [
                (false, false),
                (false, true),
                (false, false),
                (false, true),
                (false, false),
                (false, false),
                (false, false)
            ]
        );
        assert_eq!(
            counts(word, 5, &rule, 0),
            WindowCounts {
                calls: 4,
                failures: 1,
                slow: 1
            }
        );
        // A slow success in a clean full window registers.
        let clean = (0..4).fold(EMPTY, |w, _| {
            count(w, true, permit(6), Outcome::Success, false, &rule, 0).0
        });
        assert!(changes_nothing(
            clean,
            permit(6),
            Outcome::Success,
            false,
            &rule
        ));
        assert!(!changes_nothing(
            clean,
            permit(6),
            Outcome::Success,
            true,
            &rule
        ));
    }

    #[test]
    fn a_slow_window_of_52_keeps_both_registers_apart() {
        let rule = RateRule::new(MAX_SLOW_WINDOW, 1, 1000, 1000);
        let mut word = EMPTY;
        for i in 0..200u32 {
            let (outcome, slow) = (
                [Outcome::Failure, Outcome::Success][i as usize % 2],
                i % 3 == 0,
            );
            word = count(word, true, permit(9), outcome, slow, &rule, 0).0;
            let held = counts(word, 9, &rule, 0);
            let calls = (i + 1).min(MAX_SLOW_WINDOW);
            let first = (i + 1).saturating_sub(MAX_SLOW_WINDOW);
            let failures = (first..=i).filter(|k| k % 2 == 0).count() as u32;
            let slow = (first..=i).filter(|k| k % 3 == 0).count() as u32;
            assert_eq!(
                held,
                WindowCounts {
                    calls,
                    failures,
                    slow
                },
                "after {i}"
            );
        }
    }

    /// The quick check agrees with the step on any word: when it says
    /// nothing changes, counting (live or not) keeps the word and trips
    /// nothing.
    #[test]
    fn changes_nothing_agrees_with_count() {
        let mut x = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        for i in 0..50_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let slow_rate = [0, 1 + i % 1000][(i / 2 % 2) as usize];
            let widest = if slow_rate == 0 { 64 } else { MAX_SLOW_WINDOW };
            let window = 1 + i % widest;
            let rule = RateRule::new(window, 1 + i % 7 % window, 1 + i % 1000, slow_rate);
            // Words near a clean full window, and arbitrary ones.
            let word = if i % 4 < 2 {
                let g = (x >> 100) as u16 & 3;
                let filled = u128::from(rule.window() - (i % 3 == 0) as u32);
                (x & 0b111 & u128::from(i % 5 == 0))
                    | (x & (0b11 << SLOW_SHIFT) & u128::from(i % 7 == 0))
                    | filled << FILLED_SHIFT
                    | u128::from(g) << TAG_SHIFT
                    | 1 << HELD_SHIFT
            } else {
                x
            };
            let p = Permit::new((x >> 64) as u16 & 3, (x >> 80) as u32 % 3, 0);
            for outcome in [Outcome::Success, Outcome::Failure, Outcome::Ignored] {
                for slow in [false, true] {
                    if changes_nothing(word, p, outcome, slow, &rule) {
                        for live in [false, true] {
                            let (next, trips, _) = count(word, live, p, outcome, slow, &rule, 0);
                            assert_eq!((next, trips), (word, NO_TRIP), "{word:#x}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn garbage_words_are_cut_to_the_window() {
        let garbage = u128::MAX;
        let generation = decode(garbage).tag;
        assert_eq!(
            counts(garbage, generation, &RULE, 0),
            WindowCounts {
                calls: 4,
                failures: 4,
                slow: 0
            }
        );
        let (next, _, _) = count(
            garbage,
            true,
            permit(generation),
            Outcome::Success,
            true,
            &RULE,
            0,
        );
        assert_eq!(
            counts(next, generation, &RULE, 0),
            WindowCounts {
                calls: 4,
                failures: 3,
                slow: 0
            }
        );
        let slow_rule = RateRule::new(4, 2, 0, 500);
        assert_eq!(
            counts(garbage, generation, &slow_rule, 0),
            WindowCounts {
                calls: 4,
                failures: 4,
                slow: 4
            }
        );
    }
}
