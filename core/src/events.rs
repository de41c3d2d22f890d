//! A fixed-capacity queue of breaker transitions, for firmware: interrupt
//! handlers (and threads) push the transitions their calls return, the main
//! loop drains them to log or report. Transitions stay return values; the
//! queue only carries them out of the context that saw them.
//!
//! ```
//! use tickguard::breaker::{Breaker, BreakerConfig, Outcome, State};
//! use tickguard::events::{Event, EventQueue};
//! use tickguard::time::Instant;
//!
//! static BREAKER: Breaker = Breaker::new(&BreakerConfig::DEFAULT);
//! static EVENTS: EventQueue<8> = EventQueue::new();
//!
//! // In an interrupt handler: report the call, queue what it changed.
//! fn on_reply(ok: bool, now: Instant) {
//!     if let Ok(admitted) = BREAKER.acquire(now) {
//!         let outcome = if ok { Outcome::Success } else { Outcome::Failure };
//!         let recorded = BREAKER.record(admitted.permit, outcome, now);
//!         if let Some(transition) = recorded.transition {
//!             let _ = EVENTS.push(Event { at: now, source: 1, transition });
//!         }
//!     }
//! }
//!
//! for tick in 0..5 {
//!     on_reply(false, Instant::from_ticks(tick));
//! }
//! // In the main loop: drain.
//! let event = EVENTS.pop().unwrap();
//! assert_eq!((event.transition.from, event.transition.to), (State::Closed, State::Open));
//! assert_eq!(event.at, Instant::from_ticks(4));
//! assert_eq!(EVENTS.pop(), None);
//! ```
//!
//! # How it works
//!
//! A bounded multi-producer, multi-consumer ring (Dmitry Vyukov's design):
//! a head and a tail cursor (64-bit words) and `N` slots, each one 128-bit
//! word holding an event and a sequence number that says whose turn the
//! slot is. A push claims the head position whose slot is free for it (one
//! compare-and-swap on the head), then fills the slot; a pop claims the
//! tail position whose slot is filled for it, then frees the slot for the
//! position `N` later. Every word is touched only through the crate's
//! atomic driver (a compare-and-swap, or a critical section where the
//! target has none), so the queue is safe between threads and interrupt
//! handlers. A push into a full queue fails and is counted
//! ([`take_dropped`](EventQueue::take_dropped)); nothing waits. A pop that
//! meets a slot whose push has claimed it but not yet filled it (the pusher
//! was interrupted between its two steps) reports the queue empty for now:
//! the event comes out on a later drain, in order.
//!
//! Events keep the order in which their pushes claimed positions, across
//! all pushers. A queue in caller memory ([`EventsRef`], the C ABI's) that
//! holds garbage is never trusted: a slot that disagrees with the cursors
//! ends the call, and an event whose states are not states is dropped
//! (counted).

use crate::breaker::{State, Transition};
use crate::cell::StateCell;
use crate::machine::{Input, Machine, Step};
use crate::time::Instant;

/// The most slots a queue may have (sequence numbers are compared in 32
/// bits, which needs far fewer than 2^31).
pub const MAX_EVENTS: usize = 1 << 16;

/// The fewest slots a queue may have: with one, "filled for this position"
/// and "free for the next" would be the same sequence number.
pub const MIN_EVENTS: usize = 2;

/// A transition and when and where it happened.
///
/// ```
/// use tickguard::breaker::{State, Transition};
/// use tickguard::events::Event;
/// use tickguard::time::Instant;
/// let transition = Transition { from: State::HalfOpen, to: State::Closed };
/// let event = Event { at: Instant::from_ticks(9), source: 3, transition };
/// assert_eq!(event.source, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The tick of the call that made the transition.
    pub at: Instant,
    /// The caller's name for the breaker (an index, a peripheral number).
    pub source: u16,
    /// The change of state.
    pub transition: Transition,
}

/// Why a push was refused.
///
/// ```
/// use tickguard::events::Full;
/// assert_eq!(format!("{Full}"), "event queue full");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl core::fmt::Display for Full {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("event queue full")
    }
}

impl core::error::Error for Full {}

/// One slot of a queue: an event and its sequence number in one 128-bit
/// word.
///
/// ```
/// use tickguard::events::EventSlot;
/// static SLOTS: [EventSlot; 4] = [EventSlot::EMPTY; 4];
/// assert_eq!(core::mem::size_of::<EventSlot>(), 16);
/// # let _ = &SLOTS;
/// ```
#[derive(Debug)]
#[repr(transparent)]
pub struct EventSlot(StateCell<u128>);

impl EventSlot {
    /// A slot free for the first lap.
    #[allow(clippy::declare_interior_mutable_const)]
    pub const EMPTY: Self = Self(StateCell::<u128>::new(0));
}

/// A queue's cursors (the next position to push and to pop) and its count
/// of events dropped since it was last taken.
///
/// ```
/// use tickguard::events::EventCursors;
/// static CURSORS: EventCursors = EventCursors::START;
/// # let _ = &CURSORS;
/// ```
#[derive(Debug)]
pub struct EventCursors {
    head: StateCell<u64>,
    tail: StateCell<u64>,
    dropped: StateCell<u64>,
}

impl EventCursors {
    /// The cursors of an empty queue.
    #[allow(clippy::declare_interior_mutable_const)]
    pub const START: Self = Self {
        head: StateCell::<u64>::new(0),
        tail: StateCell::<u64>::new(0),
        dropped: StateCell::<u64>::new(0),
    };
}

/// The cursors and the dropped count as a machine: 64-bit words.
#[derive(Clone, Copy, Debug)]
struct Counter;

impl Machine for Counter {
    type Word = u64;

    fn fresh(&self) -> u64 {
        0
    }
}

/// Moves a cursor past `from` if it is still there: whether this call did.
#[derive(Clone, Copy, Debug)]
struct Claim {
    from: u64,
}

impl Input<Counter> for Claim {
    type Decision = bool;

    fn step(&self, _: &Counter, word: u64) -> Step<u64, bool> {
        if word == self.from {
            Step::Write(word.wrapping_add(1), true)
        } else {
            Step::Keep(false)
        }
    }
}

/// Adds one to the dropped count (saturating).
#[derive(Clone, Copy, Debug)]
struct CountDropped;

impl Input<Counter> for CountDropped {
    type Decision = ();

    fn step(&self, _: &Counter, word: u64) -> Step<u64, ()> {
        Step::unless_same(word, word.saturating_add(1), ())
    }
}

/// Takes the dropped count, leaving 0.
#[derive(Clone, Copy, Debug)]
struct TakeDropped;

impl Input<Counter> for TakeDropped {
    type Decision = u64;

    fn step(&self, _: &Counter, word: u64) -> Step<u64, u64> {
        Step::unless_same(word, 0, word)
    }
}

/// The slots as a machine: 128-bit words.
#[derive(Clone, Copy, Debug)]
struct Slots;

impl Machine for Slots {
    type Word = u128;

    fn fresh(&self) -> u128 {
        0
    }
}

/// Replaces a slot whose sequence number is `expected` by `word` (a push
/// filling the slot it claimed, a pop freeing the slot it claimed); a slot
/// found otherwise (only in garbage) is left alone.
#[derive(Clone, Copy, Debug)]
struct Turn {
    expected: u32,
    word: u128,
}

impl Input<Slots> for Turn {
    type Decision = ();

    fn step(&self, _: &Slots, word: u128) -> Step<u128, ()> {
        if sequence(word) == self.expected {
            Step::Write(self.word, ())
        } else {
            Step::Keep(())
        }
    }
}

/// A slot's sequence number, relative to its index (so that every slot of
/// a fresh queue is 0): the top 32 bits.
const fn sequence(word: u128) -> u32 {
    (word >> 96) as u32
}

/// A slot word: sequence, source, the two states' codes, the tick.
const fn pack(sequence: u32, event: &Event) -> u128 {
    let high = ((sequence as u64) << 32)
        | ((event.source as u64) << 16)
        | ((event.transition.from as u64) << 8)
        | event.transition.to as u64;
    ((high as u128) << 64) | event.at.ticks() as u128
}

/// The event in a slot word; `None` if its states are not states.
fn unpack(word: u128) -> Option<Event> {
    let high = (word >> 64) as u64;
    Some(Event {
        at: Instant::from_ticks(word as u64),
        source: (high >> 16) as u16,
        transition: Transition {
            from: State::from_code((high >> 8) & 0xFF)?,
            to: State::from_code(high & 0xFF)?,
        },
    })
}

/// A queue over cursors and slots held elsewhere (the C ABI's, or a
/// caller's own statics): the operations of [`EventQueue`].
///
/// ```
/// use tickguard::breaker::{State, Transition};
/// use tickguard::events::{Event, EventCursors, EventSlot, EventsRef};
/// use tickguard::time::Instant;
/// static CURSORS: EventCursors = EventCursors::START;
/// static SLOTS: [EventSlot; 2] = [EventSlot::EMPTY; 2];
/// let queue = EventsRef { cursors: &CURSORS, slots: &SLOTS };
/// let transition = Transition { from: State::Closed, to: State::Open };
/// let event = Event { at: Instant::from_ticks(1), source: 0, transition };
/// assert!(queue.push(event).is_ok() && queue.push(event).is_ok());
/// assert!(queue.push(event).is_err()); // full: counted
/// assert_eq!(queue.pop(), Some(event));
/// assert_eq!(queue.take_dropped(), 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct EventsRef<'a> {
    /// The queue's cursors.
    pub cursors: &'a EventCursors,
    /// Its slots (2 to [`MAX_EVENTS`]; fewer than 2: every push is
    /// dropped, since one slot cannot tell "filled for this position" from
    /// "free for the next").
    pub slots: &'a [EventSlot],
}

impl EventsRef<'_> {
    /// The slot for `position` and the sequence number it holds while free
    /// for that position (relative to its index); `None` with fewer than 2
    /// slots.
    fn slot(&self, position: u64) -> Option<(&EventSlot, u32)> {
        let len = self.slots.len().min(MAX_EVENTS) as u64;
        if len < MIN_EVENTS as u64 {
            return None;
        }
        let index = position.checked_rem(len)?;
        let slot = self.slots.get(usize::try_from(index).ok()?)?;
        Some((slot, position.wrapping_sub(index) as u32))
    }

    /// Queues `event` behind every event pushed before it; a full queue
    /// refuses it and counts it dropped. Never waits.
    ///
    /// # Errors
    ///
    /// [`Full`] when every slot holds an event not yet popped.
    pub fn push(&self, event: Event) -> Result<(), Full> {
        let head = &self.cursors.head;
        loop {
            let position = head.load();
            let Some((slot, free)) = self.slot(position) else {
                break;
            };
            let behind = sequence(slot.0.load()).wrapping_sub(free) as i32;
            if behind == 0 {
                if head.apply(&Counter, Claim { from: position }) {
                    let filled = pack(free.wrapping_add(1), &event);
                    slot.0.apply(
                        &Slots,
                        Turn {
                            expected: free,
                            word: filled,
                        },
                    );
                    return Ok(());
                }
            } else if behind < 0 || head.load() == position {
                // Still holding the event of the lap before (full), or
                // ahead of a head nobody moved (garbage): refused.
                break;
            }
        }
        self.cursors.dropped.apply(&Counter, CountDropped);
        Err(Full)
    }

    /// The oldest event, if one is ready (an event whose push has claimed
    /// its slot but not yet filled it comes out on a later call).
    #[must_use]
    pub fn pop(&self) -> Option<Event> {
        let tail = &self.cursors.tail;
        loop {
            let position = tail.load();
            let (slot, free) = self.slot(position)?;
            let word = slot.0.load();
            let filled = free.wrapping_add(1);
            let ahead = sequence(word).wrapping_sub(filled) as i32;
            if ahead == 0 {
                if tail.apply(&Counter, Claim { from: position }) {
                    let lap = self.slots.len().min(MAX_EVENTS) as u32;
                    let next = u128::from(free.wrapping_add(lap)) << 96;
                    slot.0.apply(
                        &Slots,
                        Turn {
                            expected: filled,
                            word: next,
                        },
                    );
                    match unpack(word) {
                        Some(event) => return Some(event),
                        None => self.cursors.dropped.apply(&Counter, CountDropped),
                    }
                }
            } else if ahead < 0 || tail.load() == position {
                // Not yet filled (empty, or a push under way), or garbage.
                return None;
            }
        }
    }

    /// Events dropped since the last call (a full queue, or a garbage
    /// slot), and the count restarted from 0.
    #[must_use = "the count is reset: report it"]
    pub fn take_dropped(&self) -> u64 {
        self.cursors.dropped.apply(&Counter, TakeDropped)
    }

    /// Empties the queue and the dropped count. Not safe against
    /// concurrent pushes and pops: call it when nobody else uses the
    /// queue.
    pub fn clear(&self) {
        for slot in self.slots {
            slot.0.store(0);
        }
        self.cursors.head.store(0);
        self.cursors.tail.store(0);
        self.cursors.dropped.store(0);
    }
}

/// A queue of up to `N` events (2..=[`MAX_EVENTS`]) with its own storage:
/// `N × 16 + 24` bytes.
///
/// ```
/// use tickguard::breaker::{State, Transition};
/// use tickguard::events::{Event, EventQueue};
/// use tickguard::time::Instant;
/// static EVENTS: EventQueue<4> = EventQueue::new();
/// let transition = Transition { from: State::Open, to: State::HalfOpen };
/// EVENTS.push(Event { at: Instant::from_ticks(100), source: 2, transition }).unwrap();
/// assert_eq!(EVENTS.pop().map(|e| e.source), Some(2));
/// ```
#[derive(Debug)]
pub struct EventQueue<const N: usize> {
    cursors: EventCursors,
    slots: [EventSlot; N],
}

impl<const N: usize> EventQueue<N> {
    const CAPACITY_IS_VALID: () = assert!(
        N >= MIN_EVENTS && N <= MAX_EVENTS,
        "an event queue holds 2 to 65 536 events"
    );

    /// An empty queue (a compile-time error unless `N` is 2..=65 536).
    ///
    /// ```
    /// use tickguard::events::EventQueue;
    /// let queue: EventQueue<16> = EventQueue::new();
    /// assert_eq!(queue.pop(), None);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CAPACITY_IS_VALID;
        Self {
            cursors: EventCursors::START,
            slots: [const { EventSlot::EMPTY }; N],
        }
    }

    /// The queue as an [`EventsRef`].
    fn queue(&self) -> EventsRef<'_> {
        EventsRef {
            cursors: &self.cursors,
            slots: &self.slots,
        }
    }

    /// [`EventsRef::push`].
    ///
    /// ```
    /// use tickguard::breaker::{State, Transition};
    /// use tickguard::events::{Event, EventQueue, Full};
    /// use tickguard::time::Instant;
    /// let queue: EventQueue<2> = EventQueue::new();
    /// let transition = Transition { from: State::Closed, to: State::Open };
    /// let event = Event { at: Instant::from_ticks(0), source: 0, transition };
    /// assert_eq!(queue.push(event), Ok(()));
    /// assert_eq!(queue.push(event), Ok(()));
    /// assert_eq!(queue.push(event), Err(Full));
    /// ```
    ///
    /// # Errors
    ///
    /// [`Full`] when every slot holds an event not yet popped.
    pub fn push(&self, event: Event) -> Result<(), Full> {
        self.queue().push(event)
    }

    /// [`EventsRef::pop`].
    ///
    /// ```
    /// use tickguard::events::EventQueue;
    /// let queue: EventQueue<2> = EventQueue::new();
    /// assert_eq!(queue.pop(), None);
    /// ```
    #[must_use]
    pub fn pop(&self) -> Option<Event> {
        self.queue().pop()
    }

    /// [`EventsRef::take_dropped`].
    ///
    /// ```
    /// use tickguard::events::EventQueue;
    /// let queue: EventQueue<2> = EventQueue::new();
    /// assert_eq!(queue.take_dropped(), 0);
    /// ```
    #[must_use = "the count is reset: report it"]
    pub fn take_dropped(&self) -> u64 {
        self.queue().take_dropped()
    }
}

impl<const N: usize> Default for EventQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;
