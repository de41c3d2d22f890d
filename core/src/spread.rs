//! Growth and randomness shared by the retry schedule and the breaker's
//! open periods: exponential growth in thousandths, capped, and uniform
//! draws from caller entropy, in integer arithmetic (no float, no 64-bit
//! division routine on 32-bit cores).

use crate::time::Tick;
use crate::wide;

/// SplitMix64's finaliser: spreads any seed (0 included) over the state.
pub(crate) const fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let z = z ^ (z >> 31);
    if z == 0 {
        0x9E37_79B9_7F4A_7C15
    } else {
        z
    }
}

/// A uniform value in `0..=max`, from 64 random bits: the high half of
/// `random × (max + 1)`.
pub(crate) const fn uniform(random: u64, max: Tick) -> Tick {
    match max.checked_add(1) {
        Some(span) => wide::mul_high(random, span),
        None => random,
    }
}

/// `value × factor / 1000`, saturating at `limit`.
const fn scale_milli(value: u64, factor: u64, limit: u64) -> u64 {
    let scaled = wide::mul_div(value, factor, 1_000);
    if scaled > limit {
        limit
    } else {
        scaled
    }
}

/// `base × (m/1000)^exponent`, saturating just above `cap`; exponentiation by
/// squaring, so any exponent takes at most 64 steps.
pub(crate) const fn exponential(
    base: Tick,
    multiplier_milli: u32,
    exponent: u32,
    cap: Tick,
) -> Tick {
    let limit = cap.saturating_add(1);
    let mut result = if base > limit { limit } else { base };
    let mut factor = multiplier_milli as u64;
    let mut e = exponent;
    while e > 0 && result > 0 && result < limit {
        if e & 1 == 1 {
            result = scale_milli(result, factor, limit);
        }
        e >>= 1;
        if e > 0 {
            factor = wide::mul_div(factor, factor, 1_000);
        }
    }
    result
}

/// The range of a proportional jitter of `per_mille` thousandths around
/// `d`: its low end `d − d·f` and its span `2·d·f` (`f = per_mille / 1000`).
pub(crate) const fn proportional(d: Tick, per_mille: u32) -> (Tick, Tick) {
    let spread = wide::mul_div(d, per_mille as u64, 1_000);
    (d.saturating_sub(spread), spread.saturating_mul(2))
}
