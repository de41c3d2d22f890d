//! The time-based window: the outcomes of CLOSED calls in the last
//! [`TIME_BUCKETS`] buckets of `bucket` ticks each, in the same 128-bit word
//! a count window would use.
//!
//! ```text
//!  127       112 111          84 83        63 62        42 41        21 20         0
//! +------------+---------------+------------+------------+------------+------------+
//! |  gen (16)  | newest bucket |  bucket 3  |  bucket 2  |  bucket 1  |  bucket 0  |
//! |            | number (28)   | calls 7 | failures 7 | slow 7, each bucket      |
//! +------------+---------------+------------+------------+------------+------------+
//! ```
//!
//! * **Buckets.** Bucket number `n` covers ticks `[n × bucket, (n + 1) ×
//!   bucket)` and lives in slot `n mod 4`. The window is the newest bucket
//!   and the three before it: a slot whose bucket left the window is
//!   emptied when the window moves on.
//! * **The clock** is the later of the breaker's own (the latest tick
//!   CLOSED noted: it notes one once per `open / 2^16`), the reporter's
//!   `now` and the window's newest bucket: an outcome counts in the bucket
//!   of its report, a lagging reporter's in the newest one (it never
//!   rewinds the window), and a read by a caller with no `now` sees the
//!   buckets that left the window by the breaker's clock as gone.
//! * **The newest bucket number** is kept modulo 2^28 and read as the
//!   number nearest the clock with those bits. That is exact while the two
//!   are less than 2^27 buckets apart: a configuration with a time window
//!   clears CLOSED's counts (a new generation, as `closed_interval` does)
//!   at least every 2^26 buckets ([`CLEARING_BUCKETS`]), and every report
//!   and read of a live generation's window is made inside that
//!   generation's interval.
//! * **Counts** are 7 bits per bucket: past 127 outcomes in one bucket, the
//!   bucket halves its three counts before counting the next, keeping its
//!   proportions (each rate stays within 1 % of the exact one) and at
//!   least 64 outcomes.
//! * **Generation tag**: as the count window's. An all-zero word is empty
//!   for every generation.
//!
//! Every function here is total: any word (even garbage) maps to a word
//! and counts, without panicking.

use super::{Outcome, Permit, RateRule, RateTrips, WindowCounts, TIME_BUCKETS};

const COUNT_BITS: u32 = 7;
/// The most outcomes a bucket counts before it halves.
const COUNT_MAX: u32 = (1 << COUNT_BITS) - 1;
const BUCKET_BITS: u32 = 3 * COUNT_BITS;
const EPOCH_SHIFT: u32 = TIME_BUCKETS * BUCKET_BITS;
const EPOCH_BITS: u32 = 28;
const EPOCH_MASK: u64 = (1 << EPOCH_BITS) - 1;
const TAG_SHIFT: u32 = EPOCH_SHIFT + EPOCH_BITS;

/// A configuration with a time window clears CLOSED's counts at least
/// every this many buckets, so that the newest bucket number, kept modulo
/// 2^28, is always read exactly.
pub(in crate::breaker) const CLEARING_BUCKETS: u64 = 1 << (EPOCH_BITS - 2);

/// One bucket's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bucket {
    calls: u32,
    failures: u32,
    slow: u32,
}

const fn field(word: u128, shift: u32) -> u32 {
    ((word >> shift) as u32) & COUNT_MAX
}

/// The bucket whose 21 bits start at bit `shift` (a constant at every
/// call: a 32-bit core then shifts without a library call).
#[inline(always)]
const fn bucket_at(word: u128, shift: u32) -> Bucket {
    Bucket {
        calls: field(word, shift),
        failures: field(word, shift.wrapping_add(COUNT_BITS)),
        slow: field(word, shift.wrapping_add(2 * COUNT_BITS)),
    }
}

/// The four slots, in order.
const fn buckets_of(word: u128) -> [Bucket; 4] {
    [
        bucket_at(word, 0),
        bucket_at(word, BUCKET_BITS),
        bucket_at(word, 2 * BUCKET_BITS),
        bucket_at(word, 3 * BUCKET_BITS),
    ]
}

/// A bucket's 21 bits, at bit 0.
const fn packed(bucket: Bucket) -> u128 {
    (bucket.calls & COUNT_MAX) as u128
        | ((bucket.failures & COUNT_MAX) as u128) << COUNT_BITS
        | ((bucket.slow & COUNT_MAX) as u128) << (2 * COUNT_BITS)
}

/// The bucket number nearest `near` whose low bits are `epoch`.
const fn newest(epoch: u64, near: u64) -> u64 {
    let ahead = epoch.wrapping_sub(near) & EPOCH_MASK;
    if ahead < 1 << (EPOCH_BITS - 1) {
        near.saturating_add(ahead)
    } else {
        near.saturating_sub((1u64 << EPOCH_BITS).wrapping_sub(ahead))
    }
}

/// The window of generation `generation` in `word`, moved on to bucket
/// `at` (or to its own newest bucket, if later): that bucket's number and
/// the four slots, those whose bucket left the window emptied. Empty for a
/// word of another generation.
fn moved_to(word: u128, generation: u16, at: u64) -> (u64, [Bucket; 4]) {
    let empty = [Bucket::default(); 4];
    if (word >> TAG_SHIFT) as u16 != generation {
        return (at, empty);
    }
    let newest = newest(((word >> EPOCH_SHIFT) as u64) & EPOCH_MASK, at);
    let now = if newest > at { newest } else { at };
    let gone = now.wrapping_sub(newest);
    let mut buckets = buckets_of(word);
    let mut slot = 0u64;
    for bucket in buckets.iter_mut() {
        // Slot `slot` holds bucket `newest - back`, for `back` 0..4.
        let back = newest.wrapping_sub(slot) & 3;
        if back.saturating_add(gone) >= u64::from(TIME_BUCKETS) {
            *bucket = Bucket::default();
        }
        slot = slot.wrapping_add(1);
    }
    (now, buckets)
}

const fn encode(buckets: &[Bucket; 4], newest: u64, generation: u16) -> u128 {
    let [b0, b1, b2, b3] = *buckets;
    ((generation as u128) << TAG_SHIFT)
        | (((newest & EPOCH_MASK) as u128) << EPOCH_SHIFT)
        | packed(b0)
        | packed(b1) << BUCKET_BITS
        | packed(b2) << (2 * BUCKET_BITS)
        | packed(b3) << (3 * BUCKET_BITS)
}

/// The window's counts: each bucket's failures and slow calls cut to its
/// calls (a garbage word may hold more).
fn sum(buckets: &[Bucket; 4]) -> WindowCounts {
    buckets
        .iter()
        .fold(WindowCounts::default(), |total, b| WindowCounts {
            calls: total.calls.wrapping_add(b.calls),
            failures: total.failures.wrapping_add(b.failures.min(b.calls)),
            slow: total.slow.wrapping_add(b.slow.min(b.calls)),
        })
}

/// What the window holds for generation `generation` at bucket `at`.
pub(super) fn counts(word: u128, generation: u16, at: u64) -> WindowCounts {
    sum(&moved_to(word, generation, at).1)
}

/// Counts `outcome` (`slow`: of a slow call) of a live CLOSED permit at
/// bucket `at` (that of the later of the breaker's clock and the report's
/// `now`): the next word, which rates trip with it, and what the window
/// then holds.
pub(super) fn count(
    word: u128,
    permit: Permit,
    outcome: Outcome,
    slow: bool,
    rule: &RateRule,
    at: u64,
) -> (u128, RateTrips, WindowCounts) {
    let generation = permit.generation();
    let (now, mut buckets) = moved_to(word, generation, at);
    let failed = u32::from(outcome == Outcome::Failure);
    let slow = u32::from(slow && rule.slow_rate_on());
    let mut slot = 0u64;
    for bucket in buckets.iter_mut() {
        if slot == now & 3 {
            if bucket.calls >= COUNT_MAX {
                // Full: keep the proportions in half the outcomes.
                *bucket = Bucket {
                    calls: bucket.calls / 2,
                    failures: bucket.failures.min(bucket.calls) / 2,
                    slow: bucket.slow.min(bucket.calls) / 2,
                };
            }
            bucket.calls = bucket.calls.wrapping_add(1);
            bucket.failures = bucket
                .failures
                .min(bucket.calls)
                .wrapping_add(failed)
                .min(bucket.calls);
            bucket.slow = bucket
                .slow
                .min(bucket.calls)
                .wrapping_add(slow)
                .min(bucket.calls);
        }
        slot = slot.wrapping_add(1);
    }
    let counts = sum(&buckets);
    (
        encode(&buckets, now, generation),
        rule.trips(counts),
        counts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buckets of 10 ticks, at least 2 calls, 50 % failing or slow.
    const RULE: RateRule = RateRule::timed(10, 2, 500, 500);

    fn permit(generation: u16) -> Permit {
        Permit::new(generation, 0, 0)
    }

    /// An exact reference: every outcome with its bucket number; the
    /// window holds those of the last four buckets up to the clock.
    #[derive(Default)]
    struct Reference {
        outcomes: Vec<(u64, bool, bool)>,
        newest: u64,
    }

    impl Reference {
        fn count(&mut self, at: u64, failed: bool, slow: bool) {
            self.newest = self.newest.max(at);
            self.outcomes.push((self.newest, failed, slow));
        }
        fn counts(&self, at: u64) -> WindowCounts {
            let now = self.newest.max(at);
            let live = self.outcomes.iter().filter(|o| o.0 + 4 > now);
            live.fold(WindowCounts::default(), |c, o| WindowCounts {
                calls: c.calls + 1,
                failures: c.failures + u32::from(o.1),
                slow: c.slow + u32::from(o.2),
            })
        }
    }

    #[test]
    fn buckets_roll_as_the_clock_moves_and_agree_with_an_exact_reference() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut word = 0u128;
        let mut reference = Reference::default();
        let mut clock = 5_000u64;
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly small steps, sometimes a long idle, sometimes a
            // lagging reporter.
            clock = match x % 16 {
                0 => clock + 10 * (x >> 40) % 2_000,
                1 => clock.saturating_sub(x >> 60),
                _ => clock + (x >> 50) % 7,
            };
            let failed = (x >> 8) % 3 == 0;
            let slow = (x >> 12) % 4 == 0;
            let outcome = if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            let (next, trips, counts) = count(word, permit(3), outcome, slow, &RULE, clock / 10);
            reference.count(clock / 10, failed, slow);
            let expected = reference.counts(clock / 10);
            // Fewer than 128 outcomes per bucket here: exact.
            assert_eq!(counts, expected, "after {i}");
            assert_eq!(trips, RULE.trips(expected));
            word = next;
            assert_eq!(super::counts(word, 3, clock / 10), expected);
            let later = clock + (x >> 30) % 50;
            assert_eq!(
                super::counts(word, 3, later / 10),
                reference.counts(later / 10)
            );
            assert_eq!(super::counts(word, 4, clock / 10), WindowCounts::default());
            if reference.outcomes.len() > 200 {
                reference.outcomes.drain(..100);
            }
        }
    }

    #[test]
    fn a_full_bucket_halves_and_keeps_its_proportions() {
        let mut word = 0u128;
        for i in 0..1_000u32 {
            let outcome = if i % 4 == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            word = count(word, permit(1), outcome, i % 2 == 0, &RULE, 0).0;
            let held = counts(word, 1, 0);
            assert!(
                held.calls <= COUNT_MAX && (i < 127 || held.calls >= 64),
                "{held:?}"
            );
            // A quarter failing, half slow, within rounding of the halvings.
            let (calls, failures, slow) =
                (held.calls as i64, held.failures as i64, held.slow as i64);
            assert!((failures * 4 - calls).abs() <= 8, "{held:?} after {i}");
            assert!((slow * 2 - calls).abs() <= 8, "{held:?} after {i}");
        }
    }

    #[test]
    fn the_newest_bucket_is_read_exactly_within_half_its_range() {
        for near in [
            0u64,
            5,
            1 << 27,
            (1 << 28) - 1,
            1 << 40,
            u64::MAX - 3,
            u64::MAX,
        ] {
            for delta in [
                0i64,
                1,
                -1,
                3,
                -3,
                (1 << 26) + 2,
                -((1 << 26) + 2),
                (1 << 27) - 1,
                -(1 << 27),
            ] {
                let Some(actual) = near.checked_add_signed(delta) else {
                    continue;
                };
                assert_eq!(newest(actual & EPOCH_MASK, near), actual, "{near} {delta}");
            }
        }
    }

    #[test]
    fn a_long_idle_empties_the_window_and_garbage_is_cut() {
        // Buckets of 10 ticks: a failure at tick 100 (bucket 10).
        let (word, _, _) = count(0, permit(9), Outcome::Failure, true, &RULE, 10);
        assert_eq!(counts(word, 9, 13).calls, 1);
        assert_eq!(counts(word, 9, 14), WindowCounts::default());
        // Years later, by the breaker's clock (within the forced clearing).
        assert_eq!(
            counts(word, 9, 10 + CLEARING_BUCKETS - 1),
            WindowCounts::default()
        );
        let garbage = u128::MAX;
        let tag = (garbage >> TAG_SHIFT) as u16;
        let held = counts(garbage, tag, 0);
        assert!(held.failures <= held.calls && held.slow <= held.calls);
        assert!(held.calls <= 4 * COUNT_MAX);
        let (_, _, after) = count(garbage, permit(tag), Outcome::Success, false, &RULE, 0);
        assert!(after.failures <= after.calls && after.calls <= 4 * COUNT_MAX);
        // A garbage rule (a bucket of 0, any reciprocal): a number, never
        // a panic.
        for (clock, bucket, rule) in [
            (u64::MAX, 0, RateRule::timed(0, 1, 500, 0)),
            (12_345, 7, RateRule::timed(3, 1, 500, 0)),
            (u64::MAX, u64::MAX, RateRule::timed(1, 1, 500, 0)),
        ] {
            let _ = rule.bucket_number(clock, bucket);
        }
    }

    #[test]
    fn a_bucket_number_is_the_exact_quotient() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let bucket = match i % 4 {
                0 => 1 + (x >> 60),
                1 => 1 + (x >> 40),
                2 => 1 + (x >> 3),
                _ => [1, 2, 3, 250, 1 << 32, (1 << 60) + 1, u64::MAX][(i / 4 % 7) as usize],
            };
            let rule = RateRule::timed(bucket, 1, 500, 0);
            let clock = [x, x >> 20, u64::MAX, bucket.wrapping_mul(x >> 40)][(i / 28 % 4) as usize];
            assert_eq!(
                rule.bucket_number(clock, bucket),
                clock / bucket,
                "{clock} / {bucket}"
            );
        }
    }
}
