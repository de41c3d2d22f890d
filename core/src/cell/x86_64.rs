//! 128-bit atomics inlined on x86_64 hosts.
//!
//! `portable-atomic` detects `cmpxchg16b` and AVX at run time and reaches
//! its 128-bit operations through a function pointer on every call, which
//! costs as much as the rest of a guard's hot path. Here each operation is
//! one predictable branch and the instruction itself, inlined (no branch at
//! all in a build that requires AVX, such as `-C target-cpu=x86-64-v3`):
//!
//! * a load is `movdqa`, which is atomic for an aligned 16-byte location on
//!   every CPU with AVX (Intel and AMD document it; LLVM and Boost rely on
//!   it for all AVX CPUs, as `portable-atomic` does);
//! * a compare-and-swap is `lock cmpxchg16b` (a full barrier).
//!
//! The CPU is checked once and the answer cached in a static byte, which a
//! compare-and-swap tests. A load tests a byte of its own word instead,
//! beside it: the first update of the word sets it once the CPU is known to
//! load 16 bytes atomically (an update owns the word's cache line anyway, so
//! loads never write). On the machine README's table comes from, an OPEN
//! refusal took 1.86 ns testing the static byte and 1.35 ns testing the
//! word's own (the branch is the same; the shared static is not).
//!
//! Without AVX a load is `portable-atomic`'s (itself a `cmpxchg16b`);
//! without `cmpxchg16b` (CPUs before 2008) every operation is
//! `portable-atomic`'s, so the two never mix a lock with a hardware atomic
//! on one word. The inlined load is the SSE encoding (`movdqa`, which every
//! x86_64 CPU decodes), so even a garbage byte beside a word (a C caller's
//! corrupted object) cannot make a load fault.

use core::arch::asm;
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};

use portable_atomic::Ordering::{AcqRel, Acquire, Release};

use super::AtomicWord;

/// `CPU` once checked: always has `CHECKED`.
const CHECKED: u8 = 1;
/// `lock cmpxchg16b` is available.
const CMPXCHG16B: u8 = 2;
/// Aligned 16-byte `movdqa` loads are atomic (AVX, enabled by the OS).
const ATOMIC_LOADS: u8 = 4;

/// What the CPU offers; 0 until first checked.
static CPU: AtomicU8 = AtomicU8::new(0);

/// Whether the build already requires `feature` of the CPU (`-C
/// target-cpu=x86-64-v3`, `native`, `-C target-feature=+avx,+cmpxchg16b`):
/// then no run-time check, as the compiler may use it anywhere anyway.
const fn built_in(feature: u8) -> bool {
    let cmpxchg16b = cfg!(target_feature = "cmpxchg16b");
    match feature {
        CMPXCHG16B => cmpxchg16b,
        ATOMIC_LOADS => cmpxchg16b && cfg!(target_feature = "avx"),
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
            features |= ATOMIC_LOADS;
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

/// A 128-bit atomic word: `portable-atomic`'s, with inlined operations, and
/// the byte that lets its loads skip the CPU check.
#[derive(Debug)]
#[repr(C)]
pub struct Atomic128 {
    word: portable_atomic::AtomicU128,
    /// Nonzero once an update found that the CPU loads 16 aligned bytes
    /// atomically; 0 in a fresh word (a load then checks the CPU itself).
    inline_loads: AtomicU8,
}

impl Atomic128 {
    pub const fn new(word: u128) -> Self {
        Self {
            word: portable_atomic::AtomicU128::new(word),
            inline_loads: AtomicU8::new(0),
        }
    }

    /// The word read by one `movdqa`: atomic only where [`has`]`(ATOMIC_LOADS)`.
    #[inline(always)]
    fn load_inline(&self) -> u128 {
        let (low, high): (u64, u64);
        // SAFETY: the word is 16-byte aligned (`AtomicU128` is) and live;
        // `movdqa` (SSE2, decoded by every x86_64 CPU) reads it atomically
        // on every CPU with AVX, which the callers checked, and as every x86
        // load it has acquire ordering. The asm is a compiler barrier (no
        // `nomem`).
        unsafe {
            asm!(
                "movdqa {tmp}, xmmword ptr [{src}]",
                "movq {low}, {tmp}",
                "punpckhqdq {tmp}, {tmp}",
                "movq {high}, {tmp}",
                src = in(reg) self.word.as_ptr(),
                tmp = out(xmm_reg) _,
                low = out(reg) low,
                high = out(reg) high,
                options(nostack, preserves_flags),
            );
        }
        (u128::from(high) << 64) | u128::from(low)
    }

    /// A load before this word's first update, or on a CPU without AVX:
    /// cold, so that the inlined load is the straight path.
    #[cold]
    #[inline(never)]
    fn load_elsewise(&self) -> u128 {
        if has(ATOMIC_LOADS) {
            self.load_inline()
        } else {
            self.word.load(Acquire)
        }
    }

    /// Lets later loads skip the CPU check, if the CPU has AVX. Called after
    /// an update, which owns the cache line: once per word.
    #[cold]
    #[inline(never)]
    fn enable_inline_loads(&self) {
        if has(ATOMIC_LOADS) {
            self.inline_loads.store(1, Relaxed);
        }
    }

    /// A compare-and-swap on a CPU without `cmpxchg16b` (or on the first
    /// call): cold.
    #[cold]
    #[inline(never)]
    fn compare_exchange_elsewise(&self, current: u128, new: u128) -> Result<u128, u128> {
        self.word.compare_exchange_weak(current, new, AcqRel, Acquire)
    }
}

impl AtomicWord<u128> for Atomic128 {
    #[inline(always)]
    fn load(&self) -> u128 {
        if built_in(ATOMIC_LOADS) || self.inline_loads.load(Relaxed) != 0 {
            self.load_inline()
        } else {
            self.load_elsewise()
        }
    }

    #[inline]
    fn store(&self, word: u128) {
        // Rare (resets): `portable-atomic`'s, itself a hardware atomic
        // whenever `cmpxchg16b` exists.
        self.word.store(word, Release);
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
                in("rsi") self.word.as_ptr(),
                new_low = inout(reg) new as u64 => _,
                swapped = lateout(reg_byte) swapped,
                inout("rax") current as u64 => low,
                inout("rdx") (current >> 64) as u64 => high,
                in("rcx") (new >> 64) as u64,
                options(nostack),
            );
        }
        if !built_in(ATOMIC_LOADS) && self.inline_loads.load(Relaxed) == 0 {
            self.enable_inline_loads();
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
        let atomic_loads = has(ATOMIC_LOADS);
        let first = check_cpu();
        assert_ne!(first & CHECKED, 0);
        assert_eq!(CPU.load(Relaxed), first);
        assert_eq!(has(ATOMIC_LOADS), atomic_loads);
        // A feature the build requires is one the CPU has; the others are
        // the CPU's answer.
        for feature in [CMPXCHG16B, ATOMIC_LOADS] {
            assert!(!built_in(feature) || first & feature != 0, "built for another CPU");
        }
        assert_eq!(atomic_loads, first & ATOMIC_LOADS != 0);
        assert_eq!(has(CMPXCHG16B), first & CMPXCHG16B != 0);
        // Atomic loads are only used where CMPXCHG16B is too.
        assert!(!atomic_loads || has(CMPXCHG16B));
    }

    #[test]
    fn loads_skip_the_cpu_check_once_the_word_was_updated() {
        let word = Atomic128::new(5);
        // A fresh word loads through the checked path, and loading writes
        // nothing.
        assert_eq!(word.load(), 5);
        assert_eq!(word.inline_loads.load(Relaxed), 0);
        // The first update (even a failed compare-and-swap) enables inlined
        // loads where the CPU loads 16 bytes atomically, unless the build
        // already requires that (then the byte is never read).
        assert_eq!(word.compare_exchange_weak(4, 6), Err(5));
        let enabled = word.inline_loads.load(Relaxed) != 0;
        assert_eq!(enabled, has(ATOMIC_LOADS) && !built_in(ATOMIC_LOADS));
        assert_eq!(word.compare_exchange_weak(5, u128::MAX - 1), Ok(5));
        assert_eq!(word.load(), u128::MAX - 1);
        // Whatever the byte holds (a garbage C object), a load is correct
        // here and cannot fault anywhere (`movdqa` is SSE2).
        word.inline_loads.store(0xA5, Relaxed);
        assert_eq!(word.load(), u128::MAX - 1);
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
