//! The machine model every primitive is built on.
//!
//! A primitive is a state machine over one packed integer, its *word*
//! (`u64` or `u128`, [`Word`]):
//!
//! * its **configuration** is the [`Machine`]: immutable, `const`-built, it
//!   names the word type and the word of a fresh machine;
//! * each operation is an **input** ([`Input`]): a small `Copy` value
//!   (`breaker::Acquire { now }`, `bucket::Acquire { n, now }`, ...) with a
//!   **decision** type;
//! * the input's one total **step** maps any word (even one never written,
//!   such as garbage from shared memory) to a [`Step`]: [`Step::Keep`] the
//!   word and decide, or [`Step::Write`] a new word and decide. It never
//!   panics, reads no clock and allocates nothing;
//! * an optional read-only **quick check** ([`Input::quick`]) decides from a
//!   word without writing when it cheaply can (the breaker's CLOSED
//!   admissions and OPEN refusals). Whenever it decides, the step decides
//!   the same, and on every word the machine writes it keeps that word:
//!   property tests per machine check both, the first over arbitrary words
//!   (garbage included; there the step may still rewrite the word into one
//!   the machine writes), the second along random walks of inputs.
//!
//! Inside the crate one private driver applies steps to an atomic word (a
//! compare-and-swap loop that writes only on [`Step::Write`]). The same
//! steps run over a word the caller holds, anywhere it can load and
//! compare-and-set it (shared memory, a key in Redis), through [`run`] and
//! the [`HeldWord`] trait. The word's layout is private and may change
//! between versions: a held word is an opaque integer, to store and hand
//! back, never to interpret; state meant to outlive the program is saved
//! as a snapshot ([`crate::snapshot`]) instead.
//!
//! ```
//! # use tickguard::time::Instant;
//! use core::cell::Cell;
//! use tickguard::breaker::{self, BreakerConfig, State};
//! use tickguard::machine::{run, Machine};
//!
//! let config = BreakerConfig::DEFAULT;
//! let mut word = Cell::new(config.fresh());
//! let admitted = run(&config, breaker::Acquire { now: Instant::from_ticks(10) }, &mut word).unwrap();
//! assert!(admitted.is_ok());
//! let state = run(&config, breaker::Observe { now: Instant::from_ticks(10) }, &mut word).unwrap();
//! assert_eq!(state, State::Closed);
//! ```
//!
//! # State larger than one word
//!
//! The primitives still to come keep more than one word; each stays a set
//! of words, every one changed by one step as above, so the driver, the
//! held-word runner and snapshots serve them unchanged:
//!
//! * **A ring of time-stamped words** (sliding windows, time-based failure
//!   rates): each slot's word carries the window number it counts for in
//!   its own bits, so a step on a slot first rolls a stale slot to the
//!   current window (one compare-and-swap) and then counts in it. A
//!   transition that must not interleave wrongly with a window reset (a
//!   breaker tripping on the rate) takes the breaker word's generation into
//!   the slot words: counts stamped with an older generation read as zero,
//!   so a reset is one write to the breaker word and never races with a
//!   slot update into counting an outcome twice.
//! * **A fixed-capacity keyed table of words** (keyed limiters): an array
//!   of `N` words, each holding a key tag beside its state; a key is found
//!   by a bounded probe, and a slot is claimed or evicted (the entry whose
//!   state is back to the fresh word) by a step on that slot alone.
//! * **Several words changed together** (a composed guard): each word keeps
//!   its own step; the composition orders them (bucket before breaker,
//!   breaker outcome before budget) and undoes an earlier step that a later
//!   one refuses (a token handed back), so no lock spans two words.

/// A state word: `u64` or `u128`.
///
/// ```
/// fn fresh<W: tickguard::machine::Word>(word: W) -> W { word }
/// assert_eq!(fresh(0u64), 0);
/// ```
pub trait Word: Copy + Eq + core::fmt::Debug + sealed::Sealed {}

pub(crate) mod sealed {
    /// Only `u64` and `u128` are words; the driver knows their atomics.
    pub trait Sealed: Sized {
        /// The atomic holding the word in the crate's driver.
        type Atomic: crate::cell::AtomicWord<Self>;
    }
}

impl Word for u64 {}
impl Word for u128 {}

/// What a step does with the word.
///
/// ```
/// use tickguard::machine::Step;
/// let kept: Step<u64, bool> = Step::Keep(false);
/// assert_eq!(kept.decision(), &false);
/// assert_eq!(Step::Write(3u64, true).word(), Some(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<W, D> {
    /// Leave the word as it is (nothing is written) and decide.
    Keep(D),
    /// Install this word and decide (returned only if the word is still the
    /// one the step was given).
    Write(W, D),
}

impl<W: Copy, D> Step<W, D> {
    /// The decision.
    ///
    /// ```
    /// assert_eq!(tickguard::machine::Step::Write(1u64, 'x').decision(), &'x');
    /// ```
    pub const fn decision(&self) -> &D {
        match self {
            Self::Keep(decision) | Self::Write(_, decision) => decision,
        }
    }

    /// The word to install, if any.
    ///
    /// ```
    /// assert_eq!(tickguard::machine::Step::<u64, ()>::Keep(()).word(), None);
    /// ```
    pub const fn word(&self) -> Option<W> {
        match self {
            Self::Keep(_) => None,
            Self::Write(word, _) => Some(*word),
        }
    }

    /// The same step with its decision mapped by `f`: one machine's
    /// input serving as another's.
    ///
    /// ```
    /// use tickguard::machine::Step;
    /// assert_eq!(Step::Write(1u64, 2).map(|d| d * 10), Step::Write(1, 20));
    /// assert_eq!(Step::<u64, i32>::Keep(3).map(|d| d + 1), Step::Keep(4));
    /// ```
    #[inline]
    pub fn map<E>(self, f: impl FnOnce(D) -> E) -> Step<W, E> {
        match self {
            Self::Keep(decision) => Step::Keep(f(decision)),
            Self::Write(word, decision) => Step::Write(word, f(decision)),
        }
    }

    /// `Write(next, decision)`, or `Keep(decision)` when `next` is `word`:
    /// a step that computes its next word whatever it is.
    ///
    /// ```
    /// use tickguard::machine::Step;
    /// assert_eq!(Step::unless_same(4u64, 4, ()), Step::Keep(()));
    /// assert_eq!(Step::unless_same(4u64, 5, ()), Step::Write(5, ()));
    /// ```
    pub fn unless_same(word: W, next: W, decision: D) -> Self
    where
        W: PartialEq,
    {
        if next == word {
            Self::Keep(decision)
        } else {
            Self::Write(next, decision)
        }
    }
}

/// A primitive's configuration, which names its word.
///
/// ```
/// use tickguard::machine::Machine;
/// use tickguard::budget::BudgetConfig;
/// assert_eq!(BudgetConfig::DEFAULT.fresh(), 0);
/// ```
pub trait Machine {
    /// The packed state.
    type Word: Word;

    /// The word of a fresh machine (what `new` and `reset` start from).
    fn fresh(&self) -> Self::Word;

    /// The tick from which a store holding `word` may drop it and read
    /// [`fresh`](Self::fresh) in its place without admitting anything the
    /// word would refuse (a token bucket back at full capacity); `None`
    /// when no tick does without another input (the default). A remote
    /// store expires its key then.
    ///
    /// ```
    /// # use tickguard::bucket::BucketSettings;
    /// # use tickguard::time::{Duration, Instant};
    /// use core::cell::Cell;
    /// use tickguard::bucket::{self, BucketConfig};
    /// use tickguard::machine::{run, Machine};
    /// let config = BucketConfig::new(BucketSettings { capacity: 2, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap();
    /// let mut word = Cell::new(config.fresh());
    /// run(&config, bucket::Acquire { n: 2, now: Instant::from_ticks(100) }, &mut word).unwrap().unwrap();
    /// // Empty at 100, full again 20 ticks later.
    /// assert_eq!(config.settles_at(word.get()), Some(Instant::from_ticks(120)));
    /// ```
    fn settles_at(&self, word: Self::Word) -> Option<crate::time::Instant> {
        let _ = word;
        None
    }
}

/// One operation on machine `M`.
///
/// ```
/// use tickguard::budget::{self, BudgetConfig};
/// use tickguard::machine::{Input, Step};
/// let config = BudgetConfig::DEFAULT;
/// // A failure spends a token (1 000 thousandths).
/// assert_eq!(budget::RecordFailure.step(&config, 0), Step::Write(1_000, ()));
/// ```
pub trait Input<M: Machine + ?Sized>: Copy {
    /// What the operation decides.
    type Decision;

    /// The decision from `word` without writing, when it can be had
    /// cheaply; `None` when only [`step`](Self::step) decides. When it
    /// returns `Some(d)`, `step` on the same word decides `d` too, and
    /// returns `Keep(d)` on any word the machine itself writes.
    #[inline]
    fn quick(&self, machine: &M, word: M::Word) -> Option<Self::Decision> {
        let _ = (machine, word);
        None
    }

    /// The total step: any word to the word to keep or install, and the
    /// decision.
    fn step(&self, machine: &M, word: M::Word) -> Step<M::Word, Self::Decision>;
}

/// A word the caller holds: anything that can load it and compare-and-set
/// it (a `Cell` in one thread, an atomic in shared memory, a key in a
/// store), for [`run`].
///
/// ```
/// use core::cell::Cell;
/// use tickguard::machine::HeldWord;
/// let mut word = Cell::new(5u64);
/// assert_eq!(word.compare_and_set(4, 6), Ok(Err(5)));
/// assert_eq!(word.compare_and_set(5, 6), Ok(Ok(())));
/// assert_eq!(word.load(), Ok(6));
/// ```
pub trait HeldWord<W> {
    /// Why the word could not be read or written (a lost connection).
    type Error;

    /// The current word.
    fn load(&mut self) -> Result<W, Self::Error>;

    /// Replaces the word with `new` if it is `current` (`Ok(Ok(()))`);
    /// otherwise leaves it and returns the word it found (`Ok(Err(found))`).
    fn compare_and_set(&mut self, current: W, new: W) -> Result<Result<(), W>, Self::Error>;
}

impl<W: Copy + Eq> HeldWord<W> for core::cell::Cell<W> {
    type Error = core::convert::Infallible;

    fn load(&mut self) -> Result<W, Self::Error> {
        Ok(self.get())
    }

    fn compare_and_set(&mut self, current: W, new: W) -> Result<Result<(), W>, Self::Error> {
        let found = self.get();
        if found == current {
            self.set(new);
            Ok(Ok(()))
        } else {
            Ok(Err(found))
        }
    }
}

/// A 64-bit word in memory several threads or processes share (a
/// `static`, a mapping), through the standard atomic: the budget,
/// degradation levels and tick extender (64-bit words) and the bucket's
/// narrow word run over it.
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use tickguard::budget::{self, BudgetConfig};
/// use tickguard::machine::{run, Machine};
/// let config = BudgetConfig::DEFAULT;
/// let shared = AtomicU64::new(config.fresh());
/// run(&config, budget::RecordFailure, &mut &shared).unwrap();
/// assert_eq!(run(&config, budget::RetryAllowed, &mut &shared), Ok(true));
/// ```
#[cfg(target_has_atomic = "64")]
impl HeldWord<u64> for &core::sync::atomic::AtomicU64 {
    type Error = core::convert::Infallible;

    fn load(&mut self) -> Result<u64, Self::Error> {
        Ok(core::sync::atomic::AtomicU64::load(
            self,
            core::sync::atomic::Ordering::Acquire,
        ))
    }

    fn compare_and_set(&mut self, current: u64, new: u64) -> Result<Result<(), u64>, Self::Error> {
        use core::sync::atomic::Ordering::{AcqRel, Acquire};
        Ok(self
            .compare_exchange(current, new, AcqRel, Acquire)
            .map(|_| ()))
    }
}

/// Applies `input` to a word the caller holds: loads it, decides with the
/// quick check when it can, and otherwise steps and compare-and-sets until
/// the word it stepped from is the one it replaces. Returns the decision of
/// that step (or of the quick check), or the first error of the store.
///
/// A store that can lose a race retries here without bound, as an atomic
/// compare-and-swap loop does; a store that must bound its retries (a
/// remote one) returns an error from `compare_and_set` once it has had
/// enough.
///
/// ```
/// # use tickguard::time::Instant;
/// # use tickguard::time::Duration;
/// # use tickguard::bucket::BucketSettings;
/// use core::cell::Cell;
/// use tickguard::bucket::{self, BucketConfig, Refused};
/// use tickguard::machine::{run, Machine};
///
/// let config = BucketConfig::new(BucketSettings { capacity: 1, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap();
/// let mut word = Cell::new(config.fresh());
/// assert_eq!(run(&config, bucket::Acquire { n: 1, now: Instant::from_ticks(5) }, &mut word), Ok(Ok(())));
/// assert_eq!(
///     run(&config, bucket::Acquire { n: 1, now: Instant::from_ticks(6) }, &mut word),
///     Ok(Err(Refused::Wait { retry_at: Instant::from_ticks(15) }))
/// );
/// ```
pub fn run<M, I, H>(machine: &M, input: I, word: &mut H) -> Result<I::Decision, H::Error>
where
    M: Machine + ?Sized,
    I: Input<M>,
    H: HeldWord<M::Word> + ?Sized,
{
    let current = word.load()?;
    if let Some(decision) = input.quick(machine, current) {
        return Ok(decision);
    }
    step_until_installed(machine, &input, word, current)
}

/// Steps from `current` and compare-and-sets until the word the step saw
/// is the one it replaces (or the step keeps the word): the one
/// compare-and-swap loop of the crate, for a held word ([`run`]) and for
/// the private atomic driver alike.
#[inline(always)]
pub(crate) fn step_until_installed<M, I, H>(
    machine: &M,
    input: &I,
    word: &mut H,
    mut current: M::Word,
) -> Result<I::Decision, H::Error>
where
    M: Machine + ?Sized,
    I: Input<M>,
    H: HeldWord<M::Word> + ?Sized,
{
    loop {
        let (next, decision) = match input.step(machine, current) {
            Step::Keep(decision) => return Ok(decision),
            Step::Write(next, decision) => (next, decision),
        };
        match word.compare_and_set(current, next)? {
            Ok(()) => return Ok(decision),
            Err(found) => current = found,
        }
    }
}
