//! The one atomic driver every primitive shares.
//!
//! A primitive is a pure transition `word -> (word', decision)`. [`StateCell`]
//! applies it with a compare-and-swap loop and writes only when the word
//! changes, so a refusal (which leaves the word as it is) costs one load and
//! no cache-line ownership.

use portable_atomic::{AtomicU32, Ordering};

/// A 32-bit state word shared between threads and interrupt handlers.
///
/// ```
/// use tickguard::cell::StateCell;
/// let cell = StateCell::new(5);
/// let doubled = cell.update(|word| (word * 2, word));
/// assert_eq!((doubled, cell.load()), (5, 10));
/// // A transition that keeps the word does not write it.
/// assert_eq!(cell.update(|word| (word, "kept")), "kept");
/// ```
#[derive(Debug)]
#[repr(transparent)]
pub struct StateCell {
    word: AtomicU32,
}

impl StateCell {
    /// A cell holding `word`.
    ///
    /// ```
    /// static CELL: tickguard::cell::StateCell = tickguard::cell::StateCell::new(0);
    /// assert_eq!(CELL.load(), 0);
    /// ```
    #[must_use]
    pub const fn new(word: u32) -> Self {
        Self {
            word: AtomicU32::new(word),
        }
    }

    /// The current word.
    ///
    /// ```
    /// assert_eq!(tickguard::cell::StateCell::new(7).load(), 7);
    /// ```
    #[inline]
    #[must_use]
    pub fn load(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }

    /// Replaces the word unconditionally (used to restore or reset state).
    ///
    /// ```
    /// let cell = tickguard::cell::StateCell::new(7);
    /// cell.store(9);
    /// assert_eq!(cell.load(), 9);
    /// ```
    #[inline]
    pub fn store(&self, word: u32) {
        self.word.store(word, Ordering::Release);
    }

    /// Applies the pure transition `step` atomically and returns its decision.
    ///
    /// `step` may run several times under contention, each time on the word
    /// another caller just wrote; only the decision of the run whose word was
    /// installed (or that left the word unchanged) is returned. When `step`
    /// returns the word it was given, nothing is written.
    ///
    /// ```
    /// let cell = tickguard::cell::StateCell::new(1);
    /// let was = cell.update(|w| (w + 1, w));
    /// assert_eq!((was, cell.load()), (1, 2));
    /// ```
    #[inline]
    pub fn update<D>(&self, mut step: impl FnMut(u32) -> (u32, D)) -> D {
        let mut current = self.load();
        loop {
            let (next, decision) = step(current);
            if next == current {
                return decision;
            }
            match self.word.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return decision,
                Err(actual) => current = actual,
            }
        }
    }
}
