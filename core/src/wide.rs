//! Exact products and quotients wider than 64 bits, and 64-bit quotients,
//! for cold paths: the retry arithmetic (a delay is computed once per failed
//! call) and a bucket's count of available tokens.
//!
//! On 64-bit targets these are `u128` operations: a multiply instruction
//! or two, and a short library call to divide. On a 32-bit core without a
//! 64-bit multiply or any divide (Cortex-M0), each `u128` multiplication
//! expands into a string of library calls at every site and a 64-bit
//! division links a kilobyte of library code; there the same results come
//! from [`narrow`]: 32-bit partial products computed in one out-of-line
//! function and a bit-serial division, a few hundred bytes in all (slower
//! per call, a few thousand cycles at most). The tests check both against
//! `u128` on random and edge inputs.
//!
//! Two more serve a bucket's hot path on every target:
//! [`mul_u32_saturating`], which needs no 64 × 64-bit overflow check, and
//! [`div_ceil_by_reciprocal`], a division by a configuration's rate
//! without a division instruction or routine.

/// `⌊(2^64 − 1) / divisor⌋` (`u64::MAX` for 0): the reciprocal that
/// [`div_ceil_by_reciprocal`] multiplies by, computed once with a
/// configuration.
pub(crate) const fn reciprocal(divisor: u32) -> u64 {
    div(u64::MAX, divisor as u64)
}

/// `⌈x / divisor⌉` without a division, from `reciprocal(divisor)`.
///
/// `q = ⌊x × reciprocal / 2^64⌋` is `⌊x / divisor⌋` or one less: the
/// reciprocal is at least `2^64 / divisor − 1`, so `q > x / divisor − 1 −
/// x / 2^64 > x / divisor − 2`, and it is at most `x / divisor`. One
/// correction makes it exact, then the remainder rounds it up. A multiply
/// high, a multiply and a few comparisons (a 64-bit division takes tens of
/// cycles, a 128-bit one a library call). Garbage in (a reciprocal that is
/// not `divisor`'s) gives a wrong quotient, never a panic.
#[inline]
pub(crate) const fn div_ceil_by_reciprocal(x: u64, divisor: u32, reciprocal: u64) -> u64 {
    let divisor = divisor as u64;
    let mut quotient = mul_high(x, reciprocal);
    let mut remainder = x.wrapping_sub(quotient.wrapping_mul(divisor));
    if remainder >= divisor {
        quotient = quotient.wrapping_add(1);
        remainder = remainder.wrapping_sub(divisor);
    }
    quotient.wrapping_add((remainder != 0) as u64)
}

/// `⌊x / divisor⌋` without a division, from `div(u64::MAX, divisor)` (the
/// same argument as [`div_ceil_by_reciprocal`]'s, for any divisor of at
/// least 1: one correction). A time window's bucket of a tick, on every
/// report. Garbage in (a reciprocal that is not `divisor`'s) gives a
/// wrong quotient, never a panic.
#[inline]
pub(crate) const fn div_by_reciprocal(x: u64, divisor: u64, reciprocal: u64) -> u64 {
    let quotient = mul_high(x, reciprocal);
    let remainder = x.wrapping_sub(quotient.wrapping_mul(divisor));
    if remainder >= divisor {
        quotient.wrapping_add(1)
    } else {
        quotient
    }
}

#[cfg(target_pointer_width = "64")]
mod chosen {
    /// `a × b` for a 32-bit `a`, saturating at `u64::MAX`: one multiply
    /// instruction, whose high half says whether the product fits.
    #[inline]
    pub(crate) const fn mul_u32_saturating(a: u32, b: u64) -> u64 {
        let product = (a as u128).wrapping_mul(b as u128);
        if product >> 64 == 0 {
            product as u64
        } else {
            u64::MAX
        }
    }

    /// `⌊a × b / divisor⌋`, saturating at `u64::MAX` (also for a zero
    /// divisor).
    pub(crate) const fn mul_div(a: u64, b: u64, divisor: u64) -> u64 {
        let product = (a as u128).wrapping_mul(b as u128);
        match product.checked_div(divisor as u128) {
            Some(quotient) if quotient <= u64::MAX as u128 => quotient as u64,
            _ => u64::MAX,
        }
    }

    /// `⌊a × b / 2^64⌋`: the high half of the product.
    pub(crate) const fn mul_high(a: u64, b: u64) -> u64 {
        ((a as u128).wrapping_mul(b as u128) >> 64) as u64
    }

    /// `⌊a / divisor⌋`, `u64::MAX` for a zero divisor.
    pub(crate) const fn div(a: u64, divisor: u64) -> u64 {
        match a.checked_div(divisor) {
            Some(quotient) => quotient,
            None => u64::MAX,
        }
    }

    /// `a × b`, saturating at `u64::MAX`.
    pub(crate) const fn mul_saturating(a: u64, b: u64) -> u64 {
        a.saturating_mul(b)
    }
}

#[cfg(not(target_pointer_width = "64"))]
use narrow as chosen;

pub(crate) use chosen::{div, mul_div, mul_high, mul_saturating, mul_u32_saturating};

/// The same operations from 64-bit halves and 32-bit partial products, for
/// 32-bit cores (compiled everywhere, so that the tests check them on the
/// host).
#[cfg_attr(target_pointer_width = "64", allow(dead_code))]
pub(crate) mod narrow {
    /// `a × b` for a 32-bit `a`, saturating at `u64::MAX`, from two 32 ×
    /// 32-bit products: a 32-bit core (Cortex-M0) multiplies that way
    /// anyway, without checking a 64 × 64-bit product for overflow.
    #[inline]
    pub(crate) const fn mul_u32_saturating(a: u32, b: u64) -> u64 {
        let a = a as u64;
        let low = (b & u32::MAX as u64).wrapping_mul(a); // below 2^64
        let high = (b >> 32).wrapping_mul(a); // below 2^64
        if high >> 32 != 0 {
            return u64::MAX;
        }
        low.saturating_add(high << 32)
    }

    /// `a × b` as `(high, low)` 64-bit halves, exactly. Out of line: every
    /// caller shares one copy.
    #[inline(never)]
    pub(crate) const fn mul_wide(a: u64, b: u64) -> (u64, u64) {
        const LOW: u64 = u32::MAX as u64;
        let (a_high, a_low) = (a >> 32, a & LOW);
        let (b_high, b_low) = (b >> 32, b & LOW);
        // Each partial product of two 32-bit halves fits in 64 bits, and
        // neither sum below overflows (the middle one is below 3 × 2^32):
        // wrapping operations only say so.
        let low_low = a_low.wrapping_mul(b_low);
        let low_high = a_low.wrapping_mul(b_high);
        let high_low = a_high.wrapping_mul(b_low);
        let high_high = a_high.wrapping_mul(b_high);
        let middle = (low_low >> 32)
            .wrapping_add(low_high & LOW)
            .wrapping_add(high_low & LOW);
        let high = high_high
            .wrapping_add(low_high >> 32)
            .wrapping_add(high_low >> 32)
            .wrapping_add(middle >> 32);
        let low = (middle << 32) | (low_low & LOW);
        (high, low)
    }

    /// `⌊(high × 2^64 + low) / divisor⌋`, which fits in 64 bits when
    /// `high < divisor`; `u64::MAX` otherwise (also for a zero divisor).
    /// Bit-serial: 64 shift-and-subtract rounds of plain 64-bit operations.
    pub(crate) const fn div_wide(high: u64, low: u64, divisor: u64) -> u64 {
        if high >= divisor {
            return u64::MAX;
        }
        // Restoring division: each round moves the dividend's top bit into
        // the remainder and the quotient's next bit into the dividend's
        // bottom, so after 64 rounds `bits` holds the quotient.
        let (mut remainder, mut bits) = (high, low);
        let mut round = 0u32;
        // While the remainder is zero, the dividend's leading zero bytes
        // give zero quotient bits: skip them (a small dividend, as a
        // bucket's count of tokens, takes a few rounds, not 64).
        while remainder == 0 && bits >> 56 == 0 && round < 64 {
            bits <<= 8;
            round = round.wrapping_add(8);
        }
        while round < 64 {
            // The remainder stays below the divisor; doubled, it may pass
            // 2^64, which the carry bit records.
            let carry = remainder >> 63;
            remainder = (remainder << 1) | (bits >> 63);
            bits <<= 1;
            if carry == 1 || remainder >= divisor {
                remainder = remainder.wrapping_sub(divisor);
                bits |= 1;
            }
            round = round.wrapping_add(1);
        }
        bits
    }

    /// `⌊a × b / divisor⌋`, saturating at `u64::MAX` (also for a zero
    /// divisor). Out of line: one copy of the division loop.
    #[inline(never)]
    pub(crate) const fn mul_div(a: u64, b: u64, divisor: u64) -> u64 {
        let (high, low) = mul_wide(a, b);
        div_wide(high, low, divisor)
    }

    /// `⌊a × b / 2^64⌋`: the high half of the product.
    pub(crate) const fn mul_high(a: u64, b: u64) -> u64 {
        mul_wide(a, b).0
    }

    /// `⌊a / divisor⌋`, `u64::MAX` for a zero divisor.
    pub(crate) const fn div(a: u64, divisor: u64) -> u64 {
        div_wide(0, a, divisor)
    }

    /// `a × b`, saturating at `u64::MAX` (the division by 1 shares
    /// `mul_div`'s code: the smallest form on a 32-bit core).
    pub(crate) const fn mul_saturating(a: u64, b: u64) -> u64 {
        mul_div(a, b, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::narrow;
    use proptest::prelude::*;

    fn interesting() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            0u64..4,
            (0u32..64).prop_map(|bits| 1u64 << bits),
            (0u32..64).prop_map(|bits| (1u64 << bits).wrapping_sub(1)),
            Just(u64::MAX),
        ]
    }

    /// `⌊a × b / divisor⌋` in `u128`, saturating.
    fn exact_mul_div(a: u64, b: u64, divisor: u64) -> u64 {
        (u128::from(a) * u128::from(b))
            .checked_div(u128::from(divisor))
            .map_or(u64::MAX, |q| u64::try_from(q).unwrap_or(u64::MAX))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]
        #[test]
        fn products_are_exact(a in interesting(), b in interesting()) {
            let exact = u128::from(a) * u128::from(b);
            prop_assert_eq!(narrow::mul_wide(a, b), ((exact >> 64) as u64, exact as u64));
            for mul_high in [narrow::mul_high, super::mul_high] {
                prop_assert_eq!(mul_high(a, b), (exact >> 64) as u64);
            }
            for mul_saturating in [narrow::mul_saturating, super::mul_saturating] {
                prop_assert_eq!(mul_saturating(a, b), a.saturating_mul(b));
            }
            for mul_u32_saturating in [narrow::mul_u32_saturating, super::mul_u32_saturating] {
                prop_assert_eq!(mul_u32_saturating(a as u32, b), (u64::from(a as u32)).saturating_mul(b));
            }
        }

        #[test]
        fn quotients_are_exact_or_saturate(
            a in interesting(), b in interesting(), divisor in interesting()
        ) {
            let expected = exact_mul_div(a, b, divisor);
            prop_assert_eq!(narrow::mul_div(a, b, divisor), expected);
            prop_assert_eq!(super::mul_div(a, b, divisor), expected);
            let quotient = a.checked_div(divisor).unwrap_or(u64::MAX);
            prop_assert_eq!(narrow::div(a, divisor), quotient);
            prop_assert_eq!(super::div(a, divisor), quotient);
        }

        /// The division by a reciprocal rounds up exactly, for every
        /// 32-bit divisor (powers of two, 1 and the largest included).
        #[test]
        fn reciprocal_quotients_are_exact(
            x in interesting(),
            divisor in prop_oneof![1u32..20, (0u32..32).prop_map(|bits| 1u32 << bits),
                (1u32..32).prop_map(|bits| (1u32 << bits) - 1), Just(u32::MAX), any::<u32>().prop_map(|d| d.max(1))],
        ) {
            let reciprocal = super::reciprocal(divisor);
            prop_assert_eq!(super::div_ceil_by_reciprocal(x, divisor, reciprocal), x.div_ceil(u64::from(divisor)));
        }
    }

    #[test]
    fn edges() {
        for mul_div in [narrow::mul_div, super::mul_div] {
            assert_eq!(mul_div(u64::MAX, u64::MAX, u64::MAX), u64::MAX);
            assert_eq!(mul_div(u64::MAX, u64::MAX, 0), u64::MAX);
            assert_eq!(mul_div(3, 7, 2), 10);
            assert_eq!(
                mul_div(u64::MAX, 999, 1_000),
                exact_mul_div(u64::MAX, 999, 1_000)
            );
            assert_eq!(mul_div(u64::MAX, 1_000, 1_000), u64::MAX);
            assert_eq!(mul_div(u64::MAX, 1_001, 1_000), u64::MAX);
        }
        assert_eq!(narrow::mul_wide(u64::MAX, u64::MAX), (u64::MAX - 1, 1));
        assert_eq!(narrow::div_wide(1_000, 0, 1_000), u64::MAX);
        assert_eq!(narrow::div_wide(0, 5, 0), u64::MAX);
        // A remainder that passes 2^64 when doubled (a divisor above 2^63).
        let divisor = (1u64 << 63) + 12_345;
        let low = 0xDEAD_BEEF_0000_0001;
        let exact = ((u128::from(divisor - 1) << 64) | u128::from(low)) / u128::from(divisor);
        assert_eq!(narrow::div_wide(divisor - 1, low, divisor) as u128, exact);
    }
}
