//! The count-based failure-rate window: the last `rate_window` outcomes of
//! CLOSED calls, in a 128-bit word of its own beside the breaker's state
//! word.
//!
//! ```text
//!  127      89 88  87        72 71    64 63                              0
//! +----------+----+------------+--------+---------------------------------+
//! | 0 (39)   |held| gen (16)   |filled 7|  outcomes (64), bit 0 newest    |
//! +----------+----+------------+--------+---------------------------------+
//! ```
//!
//! * **Outcomes** are a shift register: each counted outcome shifts the
//!   bits up by one and sets bit 0 for a failure; bits at and past the
//!   window's size are cleared, so the failures in the window are the
//!   register's set bits. `filled` counts outcomes up to the window's size.
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
//! * A success in a full window with no failures changes nothing, so the
//!   steady CLOSED state writes this word no more than the state word.
//!
//! Every function here is pure and total.

use super::{Outcome, Permit};

const FILLED_SHIFT: u32 = 64;
const FILLED_BITS: u32 = 7;
const TAG_SHIFT: u32 = FILLED_SHIFT + FILLED_BITS;
const HELD_SHIFT: u32 = TAG_SHIFT + 16;

/// The most outcomes a count window holds.
pub(super) const MAX_WINDOW: u32 = 64;

/// A window's rule, from the breaker's configuration: 12 bytes, aligned
/// to 4, so that a breaker's configuration stays as small as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct RateRule {
    /// Outcomes in the window (1..=64; 0: no window).
    window: u8,
    /// Outcomes needed before the rate is judged (1..=`window`).
    minimum_calls: u8,
    /// The failure rate that trips, in thousandths (1..=1000).
    per_mille: u16,
    /// The register bits inside the window (its `window` low bits), as
    /// two halves, computed once: no variable shift at run time (a library
    /// call on Cortex-M0).
    bits: [u32; 2],
}

impl RateRule {
    /// The rule of a window of `window` outcomes (0: none), from validated
    /// settings (each field within its bound: window ≤ 64, minimum calls ≤
    /// window, per mille ≤ 1000).
    pub(super) const fn new(window: u32, minimum_calls: u32, per_mille: u32) -> Self {
        let bits = match 1u64.checked_shl(window) {
            Some(bit) => bit.wrapping_sub(1),
            None => u64::MAX,
        };
        Self {
            window: window as u8,
            minimum_calls: minimum_calls as u8,
            per_mille: per_mille as u16,
            bits: [bits as u32, (bits >> 32) as u32],
        }
    }

    /// Outcomes in the window.
    pub(super) const fn window(&self) -> u32 {
        self.window as u32
    }

    /// Outcomes needed before the rate is judged.
    pub(super) const fn minimum_calls(&self) -> u32 {
        self.minimum_calls as u32
    }

    /// Whether there is a window at all.
    pub(super) const fn is_on(&self) -> bool {
        self.window != 0
    }

    /// The register bits inside the window.
    const fn bits(&self) -> u64 {
        ((self.bits[1] as u64) << 32) | self.bits[0] as u64
    }

    /// Whether `failures` of `calls` trips: at least `minimum_calls` in,
    /// and `failures / calls ≥ per_mille / 1000` (inclusive, as
    /// Resilience4j compares). In 32 bits, one multiplication each (a
    /// checked one is a library call on Cortex-M0): a window's counts are
    /// at most 64 and a validated rule's `per_mille` at most 1000, so
    /// neither side passes 64 000.
    pub(super) const fn trips(&self, counts: WindowCounts) -> bool {
        counts.calls >= self.minimum_calls()
            && counts.calls != 0
            && counts.failures.wrapping_mul(1000)
                >= (self.per_mille as u32).wrapping_mul(counts.calls)
    }
}

/// What a window holds for one generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WindowCounts {
    /// Outcomes in the window (successes and failures; IGNORED counts in
    /// none).
    pub calls: u32,
    /// Failures among them.
    pub failures: u32,
}

/// A window word, unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    outcomes: u64,
    filled: u32,
    tag: u16,
    held: bool,
}

const fn decode(word: u128) -> Window {
    Window {
        outcomes: word as u64,
        filled: ((word >> FILLED_SHIFT) as u32) & ((1 << FILLED_BITS) - 1),
        tag: (word >> TAG_SHIFT) as u16,
        held: (word >> HELD_SHIFT) & 1 == 1,
    }
}

const fn encode(window: Window) -> u128 {
    window.outcomes as u128
        | ((window.filled as u128) << FILLED_SHIFT)
        | ((window.tag as u128) << TAG_SHIFT)
        | ((window.held as u128) << HELD_SHIFT)
}

/// The window as the live generation `generation` sees it: its own
/// outcomes, or an empty window (a word never held, or tagged with any
/// other generation, which can only be an older one).
const fn seen_by(word: u128, generation: u16, rule: &RateRule) -> (u64, u32) {
    let window = decode(word);
    if !window.held || window.tag != generation {
        return (0, 0);
    }
    // A garbage word's fields are cut to the window.
    let filled = if window.filled > rule.window() {
        rule.window()
    } else {
        window.filled
    };
    (window.outcomes & rule.bits(), filled)
}

/// What the window holds for generation `generation` (empty for any other).
pub(super) const fn counts(word: u128, generation: u16, rule: &RateRule) -> WindowCounts {
    let (outcomes, filled) = seen_by(word, generation, rule);
    WindowCounts {
        calls: filled,
        failures: outcomes.count_ones(),
    }
}

/// Counts `outcome` of a call admitted with `permit`, given whether the
/// breaker's state word (loaded after `word`) is CLOSED in the permit's
/// generation: the next word, whether the rule trips with it, and what
/// the window then holds. Nothing changes (and nothing is held) for a
/// stale permit, a half-open trial, or IGNORED.
pub(super) const fn count(
    word: u128,
    live: bool,
    permit: Permit,
    outcome: Outcome,
    rule: &RateRule,
) -> (u128, bool, WindowCounts) {
    let none = WindowCounts {
        calls: 0,
        failures: 0,
    };
    let failure = match outcome {
        Outcome::Failure => 1u64,
        Outcome::Success => 0,
        Outcome::Ignored => return (word, false, none),
    };
    if !live || permit.slot() != 0 {
        return (word, false, none);
    }
    let generation = permit.generation();
    let (outcomes, filled) = seen_by(word, generation, rule);
    let outcomes = ((outcomes << 1) | failure) & rule.bits();
    let filled = if filled < rule.window() {
        filled.wrapping_add(1)
    } else {
        rule.window()
    };
    let next = encode(Window {
        outcomes,
        filled,
        tag: generation,
        held: true,
    });
    let counts = WindowCounts {
        calls: filled,
        failures: outcomes.count_ones(),
    };
    (next, rule.trips(counts), counts)
}

/// Whether counting `outcome` with `permit` certainly changes nothing and
/// trips nothing, from the window word alone (without the state word): an
/// IGNORED outcome, or a success in the permit's generation's window when
/// it is full and holds no failure (the steady CLOSED state). A half-open
/// trial's (slot ≠ 0) never counts either.
pub(super) const fn changes_nothing(
    word: u128,
    permit: Permit,
    outcome: Outcome,
    rule: &RateRule,
) -> bool {
    match outcome {
        Outcome::Ignored => true,
        Outcome::Failure => permit.slot() != 0,
        Outcome::Success => {
            let clean = encode(Window {
                outcomes: 0,
                filled: rule.window() & ((1 << FILLED_BITS) - 1),
                tag: permit.generation(),
                held: true,
            });
            permit.slot() != 0 || word & !(!rule.bits() as u128) == clean
        }
    }
}

/// An empty window: what `reset` and `restore` leave.
pub(super) const EMPTY: u128 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: RateRule = RateRule::new(4, 2, 500);

    fn permit(generation: u16) -> Permit {
        Permit::new(generation, 0)
    }

    #[test]
    fn a_fresh_word_is_empty_for_every_generation() {
        for generation in [0u16, 1, 0x7fff, 0x8000, u16::MAX] {
            assert_eq!(counts(EMPTY, generation, &RULE), WindowCounts::default());
            let (next, _, _) = count(EMPTY, true, permit(generation), Outcome::Failure, &RULE);
            assert_eq!(
                counts(next, generation, &RULE),
                WindowCounts {
                    calls: 1,
                    failures: 1
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
            let (next, tripped, _) = count(word, true, permit(7), outcome, &RULE);
            word = next;
            trips.push(tripped);
        }
        assert_eq!(trips, [false, true, false, false, false, false, true]);
        assert_eq!(
            counts(word, 7, &RULE),
            WindowCounts {
                calls: 4,
                failures: 2
            }
        );
    }

    #[test]
    fn other_tags_read_empty_and_stale_permits_change_nothing() {
        let (word, _, _) = count(EMPTY, true, permit(10), Outcome::Failure, &RULE);
        // The live generation 11 starts afresh.
        let (later, _, _) = count(word, true, permit(11), Outcome::Success, &RULE);
        assert_eq!(
            counts(later, 11, &RULE),
            WindowCounts {
                calls: 1,
                failures: 0
            }
        );
        assert_eq!(counts(later, 10, &RULE), WindowCounts::default());
        // An outcome of generation 10 when the breaker is no longer CLOSED
        // in it changes nothing.
        assert_eq!(
            count(later, false, permit(10), Outcome::Failure, &RULE),
            (later, false, WindowCounts::default())
        );
        // Half-open trials count in none.
        let trial = Permit::new(11, 1);
        assert_eq!(
            count(later, true, trial, Outcome::Failure, &RULE),
            (later, false, WindowCounts::default())
        );
        // Across the wrap of the 16-bit generation.
        let (word, _, _) = count(EMPTY, true, permit(u16::MAX), Outcome::Failure, &RULE);
        let (wrapped, _, _) = count(word, true, permit(0), Outcome::Failure, &RULE);
        assert_eq!(
            counts(wrapped, 0, &RULE),
            WindowCounts {
                calls: 1,
                failures: 1
            }
        );
    }

    #[test]
    fn a_success_in_a_clean_full_window_writes_nothing() {
        let mut word = EMPTY;
        for _ in 0..4 {
            assert!(!changes_nothing(word, permit(3), Outcome::Success, &RULE));
            word = count(word, true, permit(3), Outcome::Success, &RULE).0;
        }
        assert!(changes_nothing(word, permit(3), Outcome::Success, &RULE));
        assert!(!changes_nothing(word, permit(4), Outcome::Success, &RULE));
        assert!(!changes_nothing(word, permit(3), Outcome::Failure, &RULE));
        let (success, trips, counts) = count(word, true, permit(3), Outcome::Success, &RULE);
        assert_eq!((success, trips, counts.failures), (word, false, 0));
        let ignored = count(word, true, permit(3), Outcome::Ignored, &RULE);
        assert_eq!(ignored, (word, false, WindowCounts::default()));
    }

    #[test]
    fn a_window_of_64_counts_all_64() {
        let rule = RateRule::new(64, 64, 1000);
        let mut word = EMPTY;
        for i in 0..64 {
            let (next, trips, _) = count(word, true, permit(1), Outcome::Failure, &rule);
            assert_eq!(trips, i == 63);
            word = next;
        }
        assert_eq!(
            counts(word, 1, &rule),
            WindowCounts {
                calls: 64,
                failures: 64
            }
        );
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
            let rule = RateRule::new(1 + i % 64, 1 + i % 7 % (1 + i % 64), 1 + i % 1000);
            // Words near a clean full window, and arbitrary ones.
            let word = if i % 2 == 0 {
                let g = (x >> 100) as u16 & 3;
                let filled = u128::from(rule.window() - (i % 3 == 0) as u32);
                (x & 0b111 & u128::from(i % 5 == 0))
                    | filled << FILLED_SHIFT
                    | u128::from(g) << TAG_SHIFT
                    | 1 << HELD_SHIFT
                    | (x & (u128::MAX << (HELD_SHIFT + 1)))
            } else {
                x
            };
            let p = Permit::new((x >> 64) as u16 & 3, (x >> 80) as u32 % 3);
            for outcome in [Outcome::Success, Outcome::Failure, Outcome::Ignored] {
                if changes_nothing(word, p, outcome, &rule) {
                    for live in [false, true] {
                        let (next, trips, _) = count(word, live, p, outcome, &rule);
                        assert_eq!((next, trips), (word, false), "{word:#x}");
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
            counts(garbage, generation, &RULE),
            WindowCounts {
                calls: 4,
                failures: 4
            }
        );
        let (next, _, _) = count(garbage, true, permit(generation), Outcome::Success, &RULE);
        assert_eq!(
            counts(next, generation, &RULE),
            WindowCounts {
                calls: 4,
                failures: 3
            }
        );
    }
}
