//! A configuration too large for one word, replaced while callers use it,
//! for a machine whose state is scaled by its configuration (the token
//! bucket's TAT is counted in units of its rate).
//!
//! The configuration lives in two slots of [`SLOT_WORDS`] atomic words and
//! a header word holding the *generation* (and a bit saying a
//! reconfiguration is under way). Generation `g` reads slot `g mod 2`; a
//! reconfiguration writes the other slot, then publishes `g + 1`. The
//! machine's state word carries the generation it was written under in its
//! top 32 bits (the state keeps 96), so a step on it always knows which
//! configuration its state is scaled by:
//!
//! * the current generation: the state is the current configuration's;
//! * the one before: the step first *rebases* the state from the previous
//!   configuration to the current one ([`Slotted::rebase`]), then decides
//!   and writes it under the current generation;
//! * any other: the step read a configuration that has since been replaced
//!   (it reads again), or the word is garbage (then it is reset).
//!
//! The writer (one at a time: a second one is told [`Busy`]) first brings
//! the state to the current generation, so the slot it then overwrites
//! (the one before the current) is no longer needed by any word. A reader
//! never waits: the slot of the generation it reads is never written while
//! that generation is current, and a slot it reads while it is being
//! rewritten only feeds a step whose compare-and-swap then fails, because
//! the writer changed the state word before touching the slot. So threads
//! and interrupt handlers read and decide while a reconfiguration runs,
//! and an interrupt handler that preempts a reconfiguration cannot
//! deadlock with it.

use core::marker::PhantomData;

use super::Busy;
use crate::cell::StateCell;
use crate::machine::{Input, Machine, Step};
use crate::time::Tick;

/// Words of one configuration slot.
pub(crate) const SLOT_WORDS: usize = 3;

/// Bits of the state under the generation tag.
const STATE_BITS: u32 = 96;
const STATE_MASK: u128 = (1 << STATE_BITS) - 1;

/// A configuration kept in a slot of [`SLOT_WORDS`] words.
pub trait SlotWords: Copy {
    /// The configuration as slot words.
    fn to_slot(&self) -> [u128; SLOT_WORDS];
    /// The configuration slot words hold (any words: a torn or garbage slot
    /// gives some configuration, never a panic).
    fn from_slot(words: [u128; SLOT_WORDS]) -> Self;
}

/// A configuration kept in a slot, whose machine's state (96 bits) can be
/// carried from one configuration to another.
pub trait Slotted: SlotWords + Machine<Word = u128> {
    /// The state `state` kept under `from`, carried to this configuration
    /// by a call at `now` (which obeys the stale-`now` rule).
    fn rebase(&self, from: &Self, state: u128, now: Tick) -> u128;
}

/// The generation a word was written under.
const fn tag_of(word: u128) -> u32 {
    (word >> STATE_BITS) as u32
}

/// `state` tagged with `generation`.
const fn tagged(generation: u32, state: u128) -> u128 {
    ((generation as u128) << STATE_BITS) | (state & STATE_MASK)
}

/// A configuration in two slots under a generation.
#[derive(Debug)]
pub(crate) struct Generations<T> {
    /// `generation << 1 | writing`.
    header: StateCell<u64>,
    even: [StateCell<u128>; SLOT_WORDS],
    odd: [StateCell<u128>; SLOT_WORDS],
    config: PhantomData<T>,
}

/// What a step on a tagged word read: a generation, its configuration, and
/// (once a step asks for it) the one before.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<T> {
    pub(crate) generation: u32,
    pub(crate) current: T,
    pub(crate) previous: Option<T>,
}

impl<T> Generations<T> {
    /// Generation 0, holding the configuration `words` in both slots.
    pub(crate) const fn new(words: [u128; SLOT_WORDS]) -> Self {
        let [a, b, c] = words;
        Self {
            header: StateCell::<u64>::new(0),
            even: [
                StateCell::<u128>::new(a),
                StateCell::<u128>::new(b),
                StateCell::<u128>::new(c),
            ],
            odd: [
                StateCell::<u128>::new(a),
                StateCell::<u128>::new(b),
                StateCell::<u128>::new(c),
            ],
            config: PhantomData,
        }
    }

    /// The current generation.
    pub(crate) fn generation(&self) -> u32 {
        (self.header.load() >> 1) as u32
    }

    fn slot(&self, generation: u32) -> [u128; SLOT_WORDS] {
        let slot = if generation % 2 == 0 {
            &self.even
        } else {
            &self.odd
        };
        slot.each_ref().map(StateCell::load)
    }
}

impl<T: SlotWords> Generations<T> {
    /// The current generation and its configuration, read whole: the
    /// header is read again after the slot, and the read repeated if a
    /// reconfiguration was published meanwhile (each repeat means one
    /// completed: lock-free).
    pub(crate) fn view(&self) -> View<T> {
        loop {
            let generation = self.generation();
            let words = self.slot(generation);
            if self.generation() == generation {
                return View {
                    generation,
                    current: T::from_slot(words),
                    previous: None,
                };
            }
        }
    }

    /// `view` with the configuration before it. Unchecked: only a word
    /// still tagged with that generation uses it, and the writer changes
    /// that word before it touches the slot, so a step on a torn read
    /// fails its compare-and-swap.
    pub(crate) fn with_previous(&self, view: View<T>) -> View<T> {
        View {
            previous: Some(T::from_slot(self.slot(view.generation.wrapping_sub(1)))),
            ..view
        }
    }

    /// Replaces the configuration with `config` when no state is scaled by
    /// it (nothing to carry); [`Busy`] (nothing changed) while another
    /// replacement is under way. A reader that read the slot being
    /// rewritten sees the generation move and reads again.
    pub(crate) fn publish(&self, config: T) -> Result<(), Busy> {
        let generation = self.header.apply(&Header, Lock)?;
        self.write_next(generation, config);
        Ok(())
    }

    /// Replaces the configuration with `config`, calling `settle` (which
    /// brings every state onto the current generation) before the slot
    /// of the previous generation is overwritten, and again once the new
    /// one is published (carrying the state at the writer's `now` at once;
    /// a call that comes first carries it at its own). [`Busy`] (nothing
    /// changed) while another replacement is under way.
    pub(crate) fn replace_settling(&self, config: T, settle: impl Fn()) -> Result<(), Busy> {
        let generation = self.header.apply(&Header, Lock)?;
        settle();
        self.write_next(generation, config);
        settle();
        Ok(())
    }

    /// Writes `config` to the slot of the generation after `generation`
    /// (locked by the caller), then publishes it, unlocking.
    fn write_next(&self, generation: u32, config: T) {
        let next = generation.wrapping_add(1);
        let slot = if next % 2 == 0 { &self.even } else { &self.odd };
        for (cell, value) in slot.iter().zip(config.to_slot()) {
            cell.store(value);
        }
        self.header.store(u64::from(next) << 1);
    }
}

impl<T: Slotted> Generations<T> {
    /// Replaces the configuration with `config`, carrying the state in
    /// `word` at `now`; [`Busy`] (nothing changed) while another
    /// replacement is under way.
    pub(crate) fn replace(&self, word: &StateCell<u128>, config: T, now: Tick) -> Result<(), Busy> {
        self.replace_settling(config, || self.settle(word, now))
    }

    /// Brings the state in `word` to the current generation.
    fn settle(&self, word: &StateCell<u128>, now: Tick) {
        let view = self.view();
        if tag_of(word.load()) != view.generation {
            self.carry(word, view, now);
        }
    }

    /// Runs `input` on the tagged state in `word`: the one loop every
    /// operation of a live machine goes through.
    pub(crate) fn run<I: Input<T>>(
        &self,
        word: &StateCell<u128>,
        input: I,
        now: Tick,
    ) -> I::Decision {
        self.run_under(word, input, now).0
    }

    /// [`run`](Self::run), with the configuration it decided under.
    pub(crate) fn run_under<I: Input<T>>(
        &self,
        word: &StateCell<u128>,
        input: I,
        now: Tick,
    ) -> (I::Decision, T) {
        let mut view = self.view();
        loop {
            match word.apply_quick(&view, Under { input }) {
                Tagged::Decided(decision) => return (decision, view.current),
                Tagged::Previous => self.carry(word, view, now),
                Tagged::Foreign => {
                    self.repair(word);
                    view = self.view();
                }
            }
        }
    }

    /// Carries a state of the generation before `view`'s to `view`'s
    /// configuration at `now` (one step, out of every input's loop).
    #[inline(never)]
    fn carry(&self, word: &StateCell<u128>, view: View<T>, now: Tick) {
        let view = self.with_previous(view);
        word.apply(&view, Carry { now });
    }

    /// Resets the state in `word` if it is garbage: tagged with neither the
    /// current generation nor the one before, read *after* the word (a word
    /// a slow reader found foreign because its own view was stale is left
    /// alone; one that was current when loaded has since been changed by
    /// the reconfigurations that make it look old, so the compare-and-swap
    /// fails).
    fn repair(&self, word: &StateCell<u128>) {
        let seen = word.load();
        let generation = self.generation();
        let tag = tag_of(seen);
        if tag != generation && tag != generation.wrapping_sub(1) {
            replace_if_seen(word, seen, tagged(generation, 0));
        }
    }

    /// Replaces the state in `word` with `state` under the current
    /// generation (a reset, a restore): through the same loop as every
    /// other operation, so a generation published meanwhile is never
    /// written over with an older one.
    pub(crate) fn install(&self, word: &StateCell<u128>, state: u128) {
        self.run(word, Install(state), 0);
    }
}

/// Replaces the state (see [`Generations::install`]).
#[derive(Clone, Copy)]
struct Install(u128);

impl<T: Machine<Word = u128>> Input<T> for Install {
    type Decision = ();

    fn step(&self, _: &T, word: u128) -> Step<u128, ()> {
        Step::unless_same(word, self.0, ())
    }
}

#[cfg(test)]
impl<T> Generations<T> {
    /// Holds the header as a reconfiguration under way does.
    pub(crate) fn lock_for_test(&self) -> u32 {
        self.header.apply(&Header, Lock).unwrap()
    }

    /// Releases what [`lock_for_test`](Self::lock_for_test) held.
    pub(crate) fn unlock_for_test(&self, generation: u32) {
        self.header.store(u64::from(generation) << 1);
    }

    /// Jumps to `generation` (both slots hold the first configuration).
    pub(crate) fn set_generation_for_test(&self, generation: u32) {
        self.header.store(u64::from(generation) << 1);
    }
}

/// The machine of the header word.
struct Header;

impl Machine for Header {
    type Word = u64;

    fn fresh(&self) -> u64 {
        0
    }
}

/// Claims the header for a reconfiguration: the current generation, or
/// [`Busy`] if another holds it.
#[derive(Clone, Copy)]
struct Lock;

impl Input<Header> for Lock {
    type Decision = Result<u32, Busy>;

    fn step(&self, _: &Header, word: u64) -> Step<u64, Self::Decision> {
        if word & 1 != 0 {
            return Step::Keep(Err(Busy));
        }
        Step::Write(word | 1, Ok((word >> 1) as u32))
    }
}

/// Replaces the word `seen` with `with`, if it is still `seen`.
#[derive(Clone, Copy)]
struct Replace {
    seen: u128,
    with: u128,
}

/// Every word is a state word for [`Replace`].
struct AnyWord;

impl Machine for AnyWord {
    type Word = u128;

    fn fresh(&self) -> u128 {
        0
    }
}

impl Input<AnyWord> for Replace {
    type Decision = bool;

    fn step(&self, _: &AnyWord, word: u128) -> Step<u128, bool> {
        if word == self.seen {
            Step::unless_same(word, self.with, true)
        } else {
            Step::Keep(false)
        }
    }
}

/// Replaces the word in `cell` with `with` if it is still `seen`; whether
/// it did (a compare-and-swap through the cell's one driver).
pub(crate) fn replace_if_seen(cell: &StateCell<u128>, seen: u128, with: u128) -> bool {
    cell.apply(&AnyWord, Replace { seen, with })
}

/// What a step on a tagged word decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tagged<D> {
    /// The input's decision.
    Decided(D),
    /// The word is the previous generation's: carry it over first.
    Previous,
    /// The word is neither this generation's nor the previous one's.
    Foreign,
}

/// An input of the configuration's machine, run on a word of the current
/// generation.
#[derive(Clone, Copy)]
pub(crate) struct Under<I> {
    input: I,
}

impl<T: Slotted> Machine for View<T> {
    type Word = u128;

    fn fresh(&self) -> u128 {
        tagged(self.generation, self.current.fresh())
    }
}

impl<T: Slotted, I: Input<T>> Input<View<T>> for Under<I> {
    type Decision = Tagged<I::Decision>;

    #[inline]
    fn quick(&self, view: &View<T>, word: u128) -> Option<Self::Decision> {
        if tag_of(word) != view.generation {
            return None;
        }
        self.input
            .quick(&view.current, word & STATE_MASK)
            .map(Tagged::Decided)
    }

    fn step(&self, view: &View<T>, word: u128) -> Step<u128, Self::Decision> {
        let tag = tag_of(word);
        if tag != view.generation {
            return Step::Keep(if tag == view.generation.wrapping_sub(1) {
                Tagged::Previous
            } else {
                Tagged::Foreign
            });
        }
        match self.input.step(&view.current, word & STATE_MASK) {
            Step::Keep(decision) => Step::Keep(Tagged::Decided(decision)),
            Step::Write(next, decision) => Step::unless_same(
                word,
                tagged(view.generation, next),
                Tagged::Decided(decision),
            ),
        }
    }
}

/// Carries a word of the previous generation to the current one, at `now`
/// (a view holding the previous configuration); leaves any other word.
#[derive(Clone, Copy)]
struct Carry {
    now: Tick,
}

impl<T: Slotted> Input<View<T>> for Carry {
    type Decision = ();

    fn step(&self, view: &View<T>, word: u128) -> Step<u128, ()> {
        match &view.previous {
            Some(previous) if tag_of(word) == view.generation.wrapping_sub(1) => {
                let state = view.current.rebase(previous, word & STATE_MASK, self.now);
                Step::Write(tagged(view.generation, state), ())
            }
            _ => Step::Keep(()),
        }
    }
}
