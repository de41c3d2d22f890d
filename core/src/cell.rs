//! The one atomic driver every primitive shares.
//!
//! A primitive is a pure transition `word -> (word', decision)`. [`StateCell`]
//! applies it with a compare-and-swap loop and writes only when the word
//! changes, so a refusal (which leaves the word as it is) costs one load and
//! no cache-line ownership.
//!
//! The word is 64 or 128 bits ([`Word`]). Three backends, chosen at build
//! time:
//!
//! * hosted targets: `portable-atomic`'s atomics, lock-free on 64-bit hosts
//!   (aarch64, and x86_64 with `cmpxchg16b`), except the 128-bit word on
//!   x86_64, whose operations are inlined (`cell/x86_64.rs`): one check of
//!   the CPU there picks one mechanism for every operation on every word;
//! * bare metal with the `critical-section` feature: the word sits in a
//!   `critical_section::Mutex`, each update one critical section (interrupts
//!   masked by the implementation the program provides). This is used even
//!   where the CPU has a 32-bit compare-and-swap (Cortex-M3/M4/M7), because
//!   `portable-atomic` would emulate the wide word there with a spin lock,
//!   which deadlocks when an interrupt handler preempts its holder;
//! * bare metal with `unsafe-assume-single-core`: `portable-atomic`'s atomics,
//!   which then mask interrupts around each wide operation.
//!
//! Under `cfg(loom)` the atomic is swapped for a model that the `loom`
//! checker can interleave exhaustively; nothing else changes.

use crate::machine::{run, sealed::Sealed, step_until_installed, HeldWord, Input, Machine, Word};

/// The operations the driver needs from an atomic word.
pub trait AtomicWord<W>: Sized {
    fn load(&self) -> W;
    fn store(&self, word: W);
    fn compare_exchange_weak(&self, current: W, new: W) -> Result<W, W>;
}

// One backend per build; each names the atomic types of the two word widths
// (`Atomic64`, `Atomic128`), which have a `const fn new`.
/// Declares a backend module and, under the same condition (written once),
/// takes its two word types.
macro_rules! backend {
    ($(#[doc = $doc:literal])* #[cfg($($condition:tt)*)] mod $name:ident $body:tt) => {
        #[cfg($($condition)*)]
        use $name::{Atomic128, Atomic64};
        $(#[doc = $doc])*
        #[cfg($($condition)*)]
        mod $name $body
    };
}

backend! {
    /// Bare metal without a chosen backend: the build stops at the one error
    /// below. The stand-in types only keep it the only error the build reports
    /// (`portable-atomic` has no 64- or 128-bit atomics to import here).
    #[cfg(all(
        not(loom),
        target_os = "none",
        any(target_pointer_width = "32", target_pointer_width = "16"),
        not(any(feature = "critical-section", feature = "unsafe-assume-single-core"))
    ))]
    mod unchosen {
        use super::AtomicWord;
        use core::cell::Cell;

        compile_error!(
            "tickguard keeps its state in 128-bit words, which this target cannot update with a \
             compare-and-swap: choose an interrupt-safe atomics backend with tickguard's \
             `critical-section` feature (and a critical-section implementation, e.g. cortex-m's \
             `critical-section-single-core`) or its `unsafe-assume-single-core` feature (single-core \
             chips). A spin-lock fallback would deadlock when an interrupt handler preempts its holder."
        );

        pub type Atomic64 = Unchosen<u64>;
        pub type Atomic128 = Unchosen<u128>;

        /// Never built: the `compile_error!` above stops the build first.
        pub struct Unchosen<W>(Cell<W>);

        impl<W> core::fmt::Debug for Unchosen<W> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("Unchosen")
            }
        }

        impl<W: Copy> Unchosen<W> {
            pub const fn new(word: W) -> Self {
                Self(Cell::new(word))
            }
        }

        impl<W: Copy + Eq> AtomicWord<W> for Unchosen<W> {
            fn load(&self) -> W {
                self.0.get()
            }
            fn store(&self, word: W) {
                self.0.set(word);
            }
            fn compare_exchange_weak(&self, current: W, new: W) -> Result<W, W> {
                let word = self.0.get();
                if word == current {
                    self.0.set(new);
                    Ok(word)
                } else {
                    Err(word)
                }
            }
        }
    }
}

/// Declares the first items on x86_64 hosts, where 128-bit atomics are
/// inlined (`cell/x86_64.rs`), and the others everywhere else: the condition
/// is written here only. `--cfg tickguard_portable_atomics` keeps
/// `portable-atomic`'s own 128-bit operations on x86_64 too (no inline
/// assembly; `benches/report.sh` measures both).
macro_rules! on_x86_64_hosts {
    ({ $($host:item)* } else { $($other:item)* }) => {
        $(
            #[cfg(all(not(loom), not(miri), not(tickguard_portable_atomics), target_arch = "x86_64",
                target_feature = "sse", not(target_env = "sgx"), not(target_os = "none")))]
            $host
        )*
        $(
            #[cfg(not(all(not(loom), not(miri), not(tickguard_portable_atomics), target_arch = "x86_64",
                target_feature = "sse", not(target_env = "sgx"), not(target_os = "none"))))]
            $other
        )*
    };
}

backend! {
    /// `portable-atomic`'s atomics: hosted targets, and bare metal with
    /// `unsafe-assume-single-core`.
    #[cfg(all(
        not(loom),
        not(all(target_os = "none", feature = "critical-section")),
        not(all(
            target_os = "none",
            any(target_pointer_width = "32", target_pointer_width = "16"),
            not(feature = "unsafe-assume-single-core")
        ))
    ))]
    mod portable {
        use super::AtomicWord;
        pub use portable_atomic::AtomicU64 as Atomic64;
        use portable_atomic::Ordering::{AcqRel, Acquire, Release};

        macro_rules! atomic_word {
            ($int:ty, $atomic:ty) => {
                impl AtomicWord<$int> for $atomic {
                    #[inline]
                    fn load(&self) -> $int {
                        <$atomic>::load(self, Acquire)
                    }
                    #[inline]
                    fn store(&self, word: $int) {
                        <$atomic>::store(self, word, Release)
                    }
                    #[inline]
                    fn compare_exchange_weak(&self, current: $int, new: $int) -> Result<$int, $int> {
                        <$atomic>::compare_exchange_weak(self, current, new, AcqRel, Acquire)
                    }
                }
            };
        }
        atomic_word!(u64, Atomic64);
        on_x86_64_hosts! {{
            pub use super::x86_64::Atomic128;
        } else {
            pub use portable_atomic::AtomicU128 as Atomic128;
            atomic_word!(u128, Atomic128);
        }}
    }
}

on_x86_64_hosts! {{
    /// x86_64 hosts: 128-bit operations inlined.
    mod x86_64;
} else {}}

backend! {
    /// Bare metal with the `critical-section` feature: each operation is one
    /// critical section.
    #[cfg(all(not(loom), target_os = "none", feature = "critical-section"))]
    mod critical {
        use super::AtomicWord;
        use core::cell::Cell;

        /// A word guarded by an interrupt-masking critical section.
        pub struct CriticalWord<W>(critical_section::Mutex<Cell<W>>);
        pub type Atomic64 = CriticalWord<u64>;
        pub type Atomic128 = CriticalWord<u128>;

        impl<W> core::fmt::Debug for CriticalWord<W> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("CriticalWord")
            }
        }

        impl<W: Copy> CriticalWord<W> {
            pub const fn new(word: W) -> Self {
                Self(critical_section::Mutex::new(Cell::new(word)))
            }
        }

        impl<W: Copy + Eq> AtomicWord<W> for CriticalWord<W> {
            #[inline]
            fn load(&self) -> W {
                critical_section::with(|cs| self.0.borrow(cs).get())
            }
            #[inline]
            fn store(&self, word: W) {
                critical_section::with(|cs| self.0.borrow(cs).set(word))
            }
            #[inline]
            fn compare_exchange_weak(&self, current: W, new: W) -> Result<W, W> {
                critical_section::with(|cs| {
                    let cell = self.0.borrow(cs);
                    let word = cell.get();
                    if word == current {
                        cell.set(new);
                        Ok(word)
                    } else {
                        Err(word)
                    }
                })
            }
        }
    }
}

backend! {
    /// Under loom, a word is a loom mutex: each load and compare-and-swap is one
    /// step the model checker can reorder against every other. The mutex is
    /// made on first use, inside the model, so that constructors stay `const`.
    #[cfg(loom)]
    mod model {
        use super::AtomicWord;

        #[derive(Debug)]
        pub struct ModelAtomic<W> {
            initial: W,
            word: std::sync::OnceLock<loom::sync::Mutex<W>>,
        }
        pub type Atomic64 = ModelAtomic<u64>;
        pub type Atomic128 = ModelAtomic<u128>;

        impl<W: Copy> ModelAtomic<W> {
            pub const fn new(word: W) -> Self {
                Self {
                    initial: word,
                    word: std::sync::OnceLock::new(),
                }
            }

            fn cell(&self) -> &loom::sync::Mutex<W> {
                self.word
                    .get_or_init(|| loom::sync::Mutex::new(self.initial))
            }
        }

        impl<W: Copy + Eq> AtomicWord<W> for ModelAtomic<W> {
            fn load(&self) -> W {
                *self.cell().lock().unwrap()
            }
            fn store(&self, word: W) {
                *self.cell().lock().unwrap() = word;
            }
            fn compare_exchange_weak(&self, current: W, new: W) -> Result<W, W> {
                let mut word = self.cell().lock().unwrap();
                if *word == current {
                    *word = new;
                    Ok(current)
                } else {
                    Err(*word)
                }
            }
        }
    }
}

/// A state word shared between threads and interrupt handlers: the one
/// driver of every machine's steps.
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct StateCell<W: Word> {
    word: W::Atomic,
}

/// Gives `$int` its atomic and a `const` constructor.
macro_rules! word {
    ($int:ty, $atomic:ty) => {
        impl Sealed for $int {
            type Atomic = $atomic;
        }
        impl StateCell<$int> {
            /// A cell holding `word`.
            pub(crate) const fn new(word: $int) -> Self {
                Self {
                    word: <$atomic>::new(word),
                }
            }
        }
    };
}
word!(u64, Atomic64);
word!(u128, Atomic128);

impl<W: Word> StateCell<W> {
    /// The current word.
    #[inline]
    pub(crate) fn load(&self) -> W {
        self.word.load()
    }

    /// Replaces the word unconditionally (a reset or a restore).
    #[inline]
    pub(crate) fn store(&self, word: W) {
        self.word.store(word);
    }

    /// Applies `input`'s step atomically and returns its decision, inline.
    ///
    /// The step may run several times under contention, each time on the
    /// word another caller just wrote; only the decision of the run whose
    /// word was installed (or kept) is returned. [`Step::Keep`] writes
    /// nothing.
    #[inline]
    pub(crate) fn apply<M, I>(&self, machine: &M, input: I) -> I::Decision
    where
        M: Machine<Word = W> + ?Sized,
        I: Input<M>,
    {
        self.apply_from(machine, &input, self.load())
    }

    /// [`apply`](Self::apply) from a word already loaded: the one loop of
    /// the driver on hosts.
    #[inline(always)]
    fn apply_from<M, I>(&self, machine: &M, input: &I, current: W) -> I::Decision
    where
        M: Machine<Word = W> + ?Sized,
        I: Input<M>,
    {
        settled(step_until_installed(
            machine,
            input,
            &mut Held(self),
            current,
        ))
    }

    /// Decides from one load when `input`'s quick check can (the hot path),
    /// and otherwise applies the step as [`apply`](Self::apply) does.
    ///
    /// * Hosted: the check is inlined and the step is out of line, so the
    ///   hot path is a few instructions at the call site.
    /// * Bare metal with a compare-and-swap instruction (Cortex-M3/M4/M7/M33,
    ///   RV32 with the A extension): one copy of the loop, which checks the
    ///   word it loads first. On Cortex-M4 a CLOSED admission or an OPEN
    ///   refusal takes about 40 instructions instead of 140, and the
    ///   breaker's flash is smaller than with a second, out-of-line copy.
    /// * Bare metal without one (Cortex-M0/M0+, RV32IMC, the smallest
    ///   parts): no check; the step decides what it would. The check would
    ///   cost the breaker about 160 bytes on Cortex-M0, past its 2.5 KB
    ///   budget, and cut those paths from about 200 instructions to 50.
    #[inline]
    pub(crate) fn apply_quick<M, I>(&self, machine: &M, input: I) -> I::Decision
    where
        M: Machine<Word = W> + ?Sized,
        I: Input<M>,
    {
        if cfg!(all(target_os = "none", not(target_has_atomic = "ptr"))) {
            return self.apply(machine, input);
        }
        if cfg!(target_os = "none") {
            // One copy of the loop, which checks the word it loads first:
            // what running the machine over any held word does.
            return settled(run(machine, input, &mut Held(self)));
        }
        let current = self.load();
        match input.quick(machine, current) {
            Some(decision) => decision,
            // The step out of line, from the word just loaded: the hot
            // path stays small where it is inlined.
            None => self.apply_out_of_line(machine, input, current),
        }
    }

    /// The write path on hosts, rare beside the decisions the quick check
    /// makes: cold, so that those are laid out as the straight path.
    #[cold]
    #[inline(never)]
    fn apply_out_of_line<M, I>(&self, machine: &M, input: I, current: W) -> I::Decision
    where
        M: Machine<Word = W> + ?Sized,
        I: Input<M>,
    {
        self.apply_from(machine, &input, current)
    }
}

/// The decision of a loop over a [`Held`] cell, which cannot fail.
#[inline(always)]
fn settled<T>(result: Result<T, core::convert::Infallible>) -> T {
    match result {
        Ok(decision) => decision,
        Err(never) => match never {},
    }
}

/// A cell as the word the one compare-and-swap loop
/// ([`step_until_installed`]) updates: a weak compare-and-swap, whose
/// spurious failure reports the word unchanged and is retried.
struct Held<'a, W: Word>(&'a StateCell<W>);

impl<W: Word> HeldWord<W> for Held<'_, W> {
    type Error = core::convert::Infallible;

    #[inline(always)]
    fn load(&mut self) -> Result<W, Self::Error> {
        Ok(self.0.load())
    }

    #[inline(always)]
    fn compare_and_set(&mut self, current: W, new: W) -> Result<Result<(), W>, Self::Error> {
        Ok(self.0.word.compare_exchange_weak(current, new).map(|_| ()))
    }
}
