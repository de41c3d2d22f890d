//! 128-bit atomics inlined on x86_64 hosts.
//!
//! `portable-atomic` detects `cmpxchg16b` and AVX at run time and reaches
//! its 128-bit operations through a function pointer on every call, which
//! costs as much as the rest of a guard's hot path. Here the CPU is checked
//! once, the answer is cached in a static byte, and each operation is one
//! predictable branch and the instruction itself, inlined (no branch at
//! all in a build that requires AVX, such as `-C target-cpu=x86-64-v3`):
//!
//! * a load is `vmovdqa`, which is atomic for an aligned 16-byte location on
//!   every CPU with AVX (Intel and AMD document it; LLVM and Boost rely on
//!   it for all AVX CPUs, as `portable-atomic` does);
//! * a compare-and-swap is `lock cmpxchg16b` (a full barrier).
//!
//! Without AVX a load is `portable-atomic`'s (itself a `cmpxchg16b`);
//! without `cmpxchg16b` (CPUs before 2008) every operation is
//! `portable-atomic`'s, so the two never mix a lock with a hardware atomic
//! on one word.

use core::arch::asm;
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};

use portable_atomic::Ordering::{AcqRel, Acquire, Release};

use super::AtomicWord;

/// `CPU` once checked: always has `CHECKED`.
const CHECKED: u8 = 1;
/// `lock cmpxchg16b` is available.
const CMPXCHG16B: u8 = 2;
/// Aligned 16-byte `vmovdqa` loads are atomic (AVX, enabled by the OS).
const VMOVDQA: u8 = 4;

/// What the CPU offers; 0 until first checked.
static CPU: AtomicU8 = AtomicU8::new(0);

/// Whether the build already requires `feature` of the CPU (`-C
/// target-cpu=x86-64-v3`, `native`, `-C target-feature=+avx,+cmpxchg16b`):
/// then no run-time check, as the compiler may use it anywhere anyway.
const fn built_in(feature: u8) -> bool {
    let cmpxchg16b = cfg!(target_feature = "cmpxchg16b");
    match feature {
        CMPXCHG16B => cmpxchg16b,
        VMOVDQA => cmpxchg16b && cfg!(target_feature = "avx"),
        _ => false,
    }
}

/// Whether the CPU has `feature`: true at compile time if the build requires
/// it; else the first call checks the CPU, and later ones are one load of a
/// cached byte and one test. (Two threads may both check; they store the
/// same answer.)
#[inline(always)]
fn has(feature: u8) -> bool {
    if built_in(feature) {
        return true;
    }
    let known = CPU.load(Relaxed);
    known & feature != 0 || (known == 0 && check_cpu() & feature != 0)
}

#[cold]
fn check_cpu() -> u8 {
    let ecx = cpuid_1_ecx();
    let bit = |n: u32| ecx & (1 << n) != 0;
    let mut features = CHECKED;
    if bit(13) {
        features |= CMPXCHG16B;
        // AVX (bit 28) with its state enabled by the OS (OSXSAVE, bit 27,
        // and XCR0 bits 1 and 2).
        if bit(27) && bit(28) && xcr0() & 0b110 == 0b110 {
            features |= VMOVDQA;
        }
    }
    CPU.store(features, Relaxed);
    features
}

/// `ecx` of CPUID leaf 1.
fn cpuid_1_ecx() -> u32 {
    let ecx: u32;
    // SAFETY: CPUID exists on every x86_64 CPU (SGX enclaves, which forbid
    // it, do not build this module). `rbx`, which LLVM reserves, is saved
    // and restored around it.
    unsafe {
        asm!(
            "mov {saved}, rbx",
            "cpuid",
            "mov rbx, {saved}",
            saved = out(reg) _,
            inout("eax") 1u32 => _,
            inout("ecx") 0u32 => ecx,
            out("edx") _,
            options(nostack, preserves_flags, nomem),
        );
    }
    ecx
}

/// The low half of XCR0. Only called when CPUID reports OSXSAVE.
fn xcr0() -> u32 {
    let eax: u32;
    // SAFETY: XGETBV exists when the OS has set OSXSAVE, which the caller
    // checked; register 0 always exists.
    unsafe {
        asm!(
            "xgetbv",
            in("ecx") 0u32,
            out("eax") eax,
            out("edx") _,
            options(nostack, preserves_flags, nomem),
        );
    }
    eax
}

/// A 128-bit atomic word: `portable-atomic`'s, with inlined operations.
#[derive(Debug)]
#[repr(transparent)]
pub struct Atomic128(portable_atomic::AtomicU128);

impl Atomic128 {
    pub const fn new(word: u128) -> Self {
        Self(portable_atomic::AtomicU128::new(word))
    }
}

impl Atomic128 {
    /// A load on a CPU without AVX (or on the first call): cold, so that the
    /// inlined `vmovdqa` is the straight path.
    #[cold]
    #[inline(never)]
    fn load_elsewise(&self) -> u128 {
        self.0.load(Acquire)
    }

    /// A compare-and-swap on a CPU without `cmpxchg16b` (or on the first
    /// call): cold.
    #[cold]
    #[inline(never)]
    fn compare_exchange_elsewise(&self, current: u128, new: u128) -> Result<u128, u128> {
        self.0.compare_exchange_weak(current, new, AcqRel, Acquire)
    }
}

impl AtomicWord<u128> for Atomic128 {
    #[inline(always)]
    fn load(&self) -> u128 {
        if !has(VMOVDQA) {
            return self.load_elsewise();
        }
        let (low, high): (u64, u64);
        // SAFETY: the word is 16-byte aligned (`AtomicU128` is) and live;
        // with AVX, `vmovdqa` reads it atomically, and as every x86 load it
        // has acquire ordering. The asm is a compiler barrier (no `nomem`).
        unsafe {
            asm!(
                "vmovdqa {tmp}, xmmword ptr [{src}]",
                "vmovq {low}, {tmp}",
                "vpextrq {high}, {tmp}, 1",
                src = in(reg) self.0.as_ptr(),
                tmp = out(xmm_reg) _,
                low = out(reg) low,
                high = out(reg) high,
                options(nostack, preserves_flags),
            );
        }
        (u128::from(high) << 64) | u128::from(low)
    }

    #[inline]
    fn store(&self, word: u128) {
        // Rare (resets): `portable-atomic`'s, itself a hardware atomic
        // whenever `cmpxchg16b` exists.
        self.0.store(word, Release);
    }

    #[inline(always)]
    fn compare_exchange_weak(&self, current: u128, new: u128) -> Result<u128, u128> {
        if !has(CMPXCHG16B) {
            return self.compare_exchange_elsewise(current, new);
        }
        let (low, high): (u64, u64);
        let swapped: u8;
        // SAFETY: the word is 16-byte aligned and live, and the CPU has
        // `cmpxchg16b` (checked above); `lock cmpxchg16b` is a full barrier.
        // `rbx` cannot be named as an operand (LLVM may reserve it), so it
        // carries the new low half only inside the asm and is restored
        // before `sete`. No operand may be allocated to `rbx` while it does:
        // the address is pinned to `rsi` (with `in(reg)` the allocator
        // chose `rbx` in some inlined contexts, and the swap then replaced
        // the address with the new value), and `swapped` is written after
        // the restore.
        unsafe {
            asm!(
                "xchg {new_low}, rbx",
                "lock cmpxchg16b xmmword ptr [rsi]",
                "mov rbx, {new_low}",
                "sete {swapped}",
                in("rsi") self.0.as_ptr(),
                new_low = inout(reg) new as u64 => _,
                swapped = lateout(reg_byte) swapped,
                inout("rax") current as u64 => low,
                inout("rdx") (current >> 64) as u64 => high,
                in("rcx") (new >> 64) as u64,
                options(nostack),
            );
        }
        let actual = (u128::from(high) << 64) | u128::from(low);
        if swapped != 0 {
            Ok(actual)
        } else {
            Err(actual)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_check_is_cached_and_consistent() {
        let vmovdqa = has(VMOVDQA);
        let first = check_cpu();
        assert_ne!(first & CHECKED, 0);
        assert_eq!(CPU.load(Relaxed), first);
        assert_eq!(has(VMOVDQA), vmovdqa);
        // A feature the build requires is one the CPU has; the others are
        // the CPU's answer.
        for feature in [CMPXCHG16B, VMOVDQA] {
            assert!(!built_in(feature) || first & feature != 0, "built for another CPU");
        }
        assert_eq!(vmovdqa, first & VMOVDQA != 0);
        assert_eq!(has(CMPXCHG16B), first & CMPXCHG16B != 0);
        // VMOVDQA is only used where CMPXCHG16B is too.
        assert!(!vmovdqa || has(CMPXCHG16B));
    }

    #[test]
    fn load_and_compare_exchange_round_trip_both_halves() {
        let word = Atomic128::new(u128::MAX - 5);
        assert_eq!(word.load(), u128::MAX - 5);
        let next = (7u128 << 64) | 9;
        assert_eq!(
            word.compare_exchange_weak(u128::MAX - 5, next),
            Ok(u128::MAX - 5)
        );
        assert_eq!(word.load(), next);
        // A stale expectation fails and reports the word as it is.
        assert_eq!(word.compare_exchange_weak(1, 2), Err(next));
        assert_eq!(word.compare_exchange_weak(next ^ (1 << 64), 2), Err(next));
        assert_eq!(word.compare_exchange_weak(next ^ 1, 2), Err(next));
        word.store(3);
        assert_eq!(word.load(), 3);
    }

    #[test]
    fn concurrent_increments_of_both_halves_are_never_torn() {
        let word = Atomic128::new(0);
        let one = (1u128 << 64) | 1;
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..50_000 {
                        let mut current = word.load();
                        loop {
                            let (high, low) = ((current >> 64) as u64, current as u64);
                            assert_eq!(high, low, "a torn read");
                            match word.compare_exchange_weak(current, current + one) {
                                Ok(_) => break,
                                Err(actual) => current = actual,
                            }
                        }
                    }
                });
            }
        });
        assert_eq!(word.load(), 100_000 * one);
    }
}
