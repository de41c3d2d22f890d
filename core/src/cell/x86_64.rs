//! 128-bit atomics inlined on x86_64 hosts.
//!
//! `portable-atomic` detects `cmpxchg16b` and AVX at run time and reaches
//! its 128-bit operations through a function pointer on every call, which
//! costs as much as the rest of a guard's hot path. Here the CPU is checked
//! once, the answer is cached in a static byte, and each operation is one
//! predictable branch and the instruction itself, inlined (no branch at
//! all in a build that requires AVX, such as `-C target-cpu=x86-64-v3`).
//!
//! **One mechanism per word.** Whether the CPU has `cmpxchg16b` is decided
//! by this module's own check alone, and that one answer picks the
//! mechanism of every operation, the same for every word and every call:
//!
//! * with `cmpxchg16b`, every operation is this module's inline assembly,
//!   never `portable-atomic`'s (whatever `portable-atomic` would choose in
//!   its configuration, `--cfg portable_atomic_no_outline_atomics`
//!   included): a compare-and-swap is `lock cmpxchg16b` (a full barrier), a
//!   store is a `lock cmpxchg16b` loop, and a load is `vmovdqa` where AVX
//!   makes an aligned 16-byte load atomic (Intel and AMD document it; LLVM,
//!   Boost and `portable-atomic` rely on it for all AVX CPUs), else a
//!   `lock cmpxchg16b` that writes back the value it read;
//! * without `cmpxchg16b` (CPUs before 2008), every operation is
//!   `portable-atomic`'s, which can then only take its global lock: x86_64
//!   has no other 128-bit atomic instruction.
//!
//! The assembly the compiler makes of each operation is kept in
//! `core/asm/` and compared in the test command (`core/asm/check.sh`), and
//! a stress test races every pair of operations under each mechanism.

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

/// What the CPU offers (the `CMPXCHG16B` and `VMOVDQA` bits): the features
/// the build requires, known at compile time; else the first call checks
/// the CPU, and later ones are one load of a cached byte. (Two threads may
/// both check; they store the same answer.) Every operation asks here, so
/// all of them agree on the mechanism.
#[inline(always)]
fn features() -> u8 {
    if built_in(VMOVDQA) {
        return CHECKED | CMPXCHG16B | VMOVDQA;
    }
    let known = match CPU.load(Relaxed) {
        0 => check_cpu(),
        known => known,
    };
    if built_in(CMPXCHG16B) {
        known | CMPXCHG16B
    } else {
        known
    }
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
    /// A load with the mechanism `features` picks.
    #[inline(always)]
    fn load_on(&self, features: u8) -> u128 {
        if features & VMOVDQA == 0 {
            return self.load_elsewise(features);
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

    /// A load without AVX: a `lock cmpxchg16b` of 0 for 0, which reads the
    /// word (and writes it back unchanged, or writes 0 over 0), or
    /// `portable-atomic`'s without `cmpxchg16b`. Cold, so that `vmovdqa` is
    /// the straight path.
    #[cold]
    #[inline(never)]
    fn load_elsewise(&self, features: u8) -> u128 {
        if features & CMPXCHG16B == 0 {
            return self.0.load(Acquire);
        }
        match self.cmpxchg16b(0, 0) {
            Ok(word) | Err(word) => word,
        }
    }

    /// A store with the mechanism `features` picks: a compare-and-swap loop
    /// (stores are rare: resets).
    #[inline]
    fn store_on(&self, features: u8, word: u128) {
        if features & CMPXCHG16B == 0 {
            self.0.store(word, Release);
            return;
        }
        // The first try guesses 0; a miss reads the word for the next.
        let mut current = 0;
        while let Err(actual) = self.cmpxchg16b(current, word) {
            current = actual;
        }
    }

    /// A compare-and-swap with the mechanism `features` picks.
    #[inline(always)]
    fn compare_exchange_on(&self, features: u8, current: u128, new: u128) -> Result<u128, u128> {
        if features & CMPXCHG16B == 0 {
            return self.compare_exchange_locked(current, new);
        }
        self.cmpxchg16b(current, new)
    }

    /// `portable-atomic`'s compare-and-swap, on a CPU without `cmpxchg16b`:
    /// cold.
    #[cold]
    #[inline(never)]
    fn compare_exchange_locked(&self, current: u128, new: u128) -> Result<u128, u128> {
        self.0.compare_exchange_weak(current, new, AcqRel, Acquire)
    }

    /// `lock cmpxchg16b`: replaces the word with `new` if it is `current`;
    /// either way returns what it was. Only called when the CPU has it.
    #[inline(always)]
    fn cmpxchg16b(&self, current: u128, new: u128) -> Result<u128, u128> {
        let (low, high): (u64, u64);
        let swapped: u8;
        // SAFETY: the word is 16-byte aligned and live, and the CPU has
        // `cmpxchg16b` (every caller checked `features`); `lock cmpxchg16b`
        // is a full barrier. `rbx` cannot be named as an operand (LLVM may
        // reserve it), so it carries the new low half only inside the asm
        // and is restored before `sete`. No operand may be allocated to
        // `rbx` while it does: the address is pinned to `rsi` (with
        // `in(reg)` the allocator chose `rbx` in some inlined contexts, and
        // the swap then replaced the address with the new value), and
        // `swapped` is written after the restore.
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

impl AtomicWord<u128> for Atomic128 {
    #[inline(always)]
    fn load(&self) -> u128 {
        self.load_on(features())
    }

    #[inline]
    fn store(&self, word: u128) {
        self.store_on(features(), word);
    }

    #[inline(always)]
    fn compare_exchange_weak(&self, current: u128, new: u128) -> Result<u128, u128> {
        self.compare_exchange_on(features(), current, new)
    }
}

/// Each operation out of line, for `core/asm/check.sh` to compare the
/// assembly the compiler makes of it (built with
/// `--cfg tickguard_asm_probe` only).
#[cfg(tickguard_asm_probe)]
pub mod probe {
    use super::{Atomic128, AtomicWord};

    /// A load.
    #[no_mangle]
    #[inline(never)]
    pub fn tickguard_probe_load(word: &Atomic128) -> u128 {
        word.load()
    }

    /// A store.
    #[no_mangle]
    #[inline(never)]
    pub fn tickguard_probe_store(word: &Atomic128, value: u128) {
        word.store(value);
    }

    /// A compare-and-swap.
    #[no_mangle]
    #[inline(never)]
    pub fn tickguard_probe_compare_exchange(word: &Atomic128, current: u128, new: u128) -> bool {
        word.compare_exchange_weak(current, new).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_check_is_cached_and_consistent() {
        let first = check_cpu();
        assert_ne!(first & CHECKED, 0);
        assert_eq!(CPU.load(Relaxed), first);
        let picked = features();
        // A feature the build requires is one the CPU has; the others are
        // the CPU's answer.
        for feature in [CMPXCHG16B, VMOVDQA] {
            assert!(!built_in(feature) || first & feature != 0, "built for another CPU");
            assert_eq!(picked & feature, first & feature);
        }
        // VMOVDQA is only used where CMPXCHG16B is too.
        assert!(picked & VMOVDQA == 0 || picked & CMPXCHG16B != 0);
        assert_eq!(features(), picked, "every call agrees");
    }

    /// The mechanisms this CPU can run: `portable-atomic`'s alone (what a
    /// CPU without `cmpxchg16b` gets), `cmpxchg16b` for everything, and
    /// `vmovdqa` loads beside it.
    fn mechanisms() -> Vec<u8> {
        let cpu = features();
        [CHECKED, CHECKED | CMPXCHG16B, CHECKED | CMPXCHG16B | VMOVDQA]
            .into_iter()
            .filter(|m| cpu & m == *m)
            .collect()
    }

    #[test]
    fn load_store_and_compare_exchange_round_trip_both_halves() {
        for m in mechanisms() {
            let word = Atomic128::new(u128::MAX - 5);
            assert_eq!(word.load_on(m), u128::MAX - 5);
            let next = (7u128 << 64) | 9;
            assert_eq!(word.compare_exchange_on(m, u128::MAX - 5, next), Ok(u128::MAX - 5));
            assert_eq!(word.load_on(m), next);
            // A stale expectation fails and reports the word as it is.
            assert_eq!(word.compare_exchange_on(m, 1, 2), Err(next));
            assert_eq!(word.compare_exchange_on(m, next ^ (1 << 64), 2), Err(next));
            assert_eq!(word.compare_exchange_on(m, next ^ 1, 2), Err(next));
            word.store_on(m, 3);
            assert_eq!(word.load_on(m), 3);
            word.store_on(m, 0);
            assert_eq!(word.load_on(m), 0, "the cmpxchg16b load of 0 over 0");
        }
        // Through the trait, with the mechanism the CPU check picks.
        let word = Atomic128::new(1);
        word.store(u128::MAX);
        assert_eq!(word.load(), u128::MAX);
        assert_eq!(word.compare_exchange_weak(u128::MAX, 4), Ok(u128::MAX));
    }

    /// A value whose two halves are equal: any torn read or write shows.
    const fn even(n: u64) -> u128 {
        ((n as u128) << 64) | n as u128
    }

    fn halves_agree(word: u128) -> bool {
        (word >> 64) as u64 == word as u64
    }

    #[derive(Clone, Copy, Debug)]
    enum Op {
        Load,
        Store,
        CompareExchange,
    }

    /// One thread's work: `rounds` operations of kind `op` on `word`, each
    /// checking that what it saw was never torn.
    fn run(word: &Atomic128, m: u8, op: Op, seed: u64, rounds: u64) {
        for i in 0..rounds {
            match op {
                Op::Load => assert!(halves_agree(word.load_on(m)), "a torn load"),
                Op::Store => word.store_on(m, even(seed.wrapping_mul(1_000_003).wrapping_add(i))),
                Op::CompareExchange => {
                    let mut current = word.load_on(m);
                    loop {
                        assert!(halves_agree(current), "a torn value");
                        let next = even((current as u64).wrapping_add(1));
                        match word.compare_exchange_on(m, current, next) {
                            Ok(_) => break,
                            Err(actual) => current = actual,
                        }
                    }
                }
            }
        }
    }

    /// Every pair of operations, on two threads, under every mechanism: no
    /// operation ever sees or leaves a torn word, and compare-and-swaps alone
    /// never lose an update.
    #[test]
    fn every_pair_of_operations_races_without_tearing() {
        let rounds = if cfg!(debug_assertions) { 20_000 } else { 300_000 };
        let pairs = [
            (Op::Load, Op::CompareExchange),
            (Op::Load, Op::Store),
            (Op::Store, Op::CompareExchange),
            (Op::CompareExchange, Op::CompareExchange),
            (Op::Store, Op::Store),
        ];
        for m in mechanisms() {
            for (a, b) in pairs {
                let word = Atomic128::new(0);
                let start = std::sync::Barrier::new(2);
                std::thread::scope(|s| {
                    for (op, seed) in [(a, 1), (b, 2)] {
                        let (word, start) = (&word, &start);
                        s.spawn(move || {
                            start.wait();
                            run(word, m, op, seed, rounds);
                        });
                    }
                });
                let last = word.load_on(m);
                assert!(halves_agree(last), "{a:?} x {b:?} under {m:#b}: torn");
                if matches!((a, b), (Op::CompareExchange, Op::CompareExchange)) {
                    assert_eq!(last, even(2 * rounds), "an update was lost under {m:#b}");
                }
            }
        }
    }
}
