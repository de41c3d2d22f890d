//! `tg_events_*`: the event queue of breaker transitions, over slots the
//! caller allocates (`TG_EVENTS` in the header).

use tickguard::breaker::{State, Transition};
use tickguard::events::{Event, EventCursors, EventSlot, EventsRef, MAX_EVENTS, MIN_EVENTS};
use tickguard::time::Instant;

use crate::breaker::tg_state_t;
use crate::entries::{self, CEntry, Place};
use crate::object::{self, get, put, read, required, status, tg_init_flags_t};
use crate::status::*;

/// A breaker transition, when it happened and which breaker made it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_event_t {
    /// The tick of the call that made the transition.
    pub at: u64,
    /// The caller's name for the breaker (an index, a peripheral number).
    pub source: u16,
    /// The state before (a `TG_STATE_*` value).
    pub from: tg_state_t,
    /// The state after (a `TG_STATE_*` value).
    pub to: tg_state_t,
}

/// One slot of an event queue: an event and its sequence number in one
/// 128-bit word. Declare the array with `TG_EVENTS`.
#[repr(C, align(16))]
pub struct tg_event_slot_t {
    /// Private: the slot's state. Touch only through `tg_events_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 2],
}

// SAFETY: the core's slot is a 128-bit atomic word (or one behind a
// critical section), valid for every bit pattern, 16 bytes, aligned to at
// most 16 (checked by `CEntry::FITS`).
unsafe impl CEntry for tg_event_slot_t {
    type Core = EventSlot;
    const EMPTY: EventSlot = EventSlot::EMPTY;
}

/// An event queue's header: its cursors, its count of dropped events, and
/// the slots it was initialised with (their address and count, checked on
/// every call). Declare it with its slots through `TG_EVENTS`. A zeroed
/// header reports `TG_E_UNINITIALIZED`; a copy of a live one `TG_E_MOVED`.
#[repr(C, align(16))]
pub struct tg_events_t {
    /// Private: the queue's header. Touch only through `tg_events_*`.
    pub _opaque: [core::cell::UnsafeCell<core::mem::MaybeUninit<u64>>; 8],
}

/// What the header holds: atomics and plain integers, valid for every bit
/// pattern.
pub(crate) struct Header {
    cursors: EventCursors,
    slots: Place,
}

object::storage!(tg_events_t, Header, 0x7467_4556); // "tgEV"

/// The most slots of a queue (`TG_EVENTS_MAX`).
pub const TG_EVENTS_MAX: usize = 65_536;
/// The fewest slots of a queue (`TG_EVENTS_MIN`): with one, a slot filled
/// for one position would read as free for the next.
pub const TG_EVENTS_MIN: usize = 2;

const _: () = assert!(TG_EVENTS_MAX == MAX_EVENTS && TG_EVENTS_MIN == MIN_EVENTS);

/// The queue behind `queue` over the `len` slots at `slots`, checked: the
/// header is live, and `slots`/`len` are the ones it was initialised with
/// (the address only for queues not in shared memory).
fn queue<'a>(
    queue: *const tg_events_t,
    slots: *const tg_event_slot_t,
    len: usize,
) -> Result<EventsRef<'a>, tg_status_t> {
    let header: &'a Header = get(queue)?;
    Ok(EventsRef {
        cursors: &header.cursors,
        slots: entries::slice(&header.slots, slots, len, MAX_EVENTS as u64)?,
    })
}

/// Initialises an event queue: `queue`'s header, and its `len` slots at
/// `slots` (2 .. 65 536: the most events it holds), all emptied. Declare
/// both with `TG_EVENTS(name, n)` and pass `&name.queue`, `name.slots`,
/// `TG_EVENTS_LEN(name)`.
///
/// @param queue the header to initialise.
/// @param slots the queue's slots.
/// @param len how many slots (`TG_EVENTS_MIN` .. `TG_EVENTS_MAX`).
/// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
/// @return `TG_OK`, `TG_E_NULL`, `TG_E_MISALIGNED`, `TG_E_INVALID_ARGUMENT`
///   (`len` out of range, or an unknown flag), or
///   `TG_E_ALREADY_INITIALIZED`.
///
/// Not thread-safe: initialise before sharing the queue.
#[no_mangle]
pub extern "C" fn tg_events_init(
    queue: *mut tg_events_t,
    slots: *mut tg_event_slot_t,
    len: usize,
    flags: tg_init_flags_t,
) -> tg_status_t {
    if len < TG_EVENTS_MIN {
        return if slots.is_null() || queue.is_null() {
            TG_E_NULL
        } else {
            TG_E_INVALID_ARGUMENT
        };
    }
    let place = match entries::place(
        slots,
        len,
        TG_EVENTS_MAX as u64,
        TG_E_INVALID_ARGUMENT,
        flags,
    ) {
        Ok(place) => place,
        Err(status) => return status,
    };
    let header = Ok::<_, tg_status_t>(Header {
        cursors: EventCursors::START,
        slots: place,
    });
    let status = object::init(queue, header, flags);
    if status == TG_OK {
        entries::empty(slots, &place);
    }
    status
}

/// Ends the life of an event queue: later calls report
/// `TG_E_UNINITIALIZED`.
///
/// @param queue an initialised queue header.
/// @return `TG_OK`, `TG_E_NULL`, or an object error.
///
/// Not thread-safe: nobody may use the queue meanwhile.
#[no_mangle]
pub extern "C" fn tg_events_deinit(queue: *mut tg_events_t) -> tg_status_t {
    object::deinit(queue)
}

/// Queues `event` behind every event pushed before it. A full queue
/// refuses it and counts it (`tg_events_take_dropped`); nothing waits.
///
/// @param queue an initialised queue header.
/// @param slots its slots (as given to `tg_events_init`).
/// @param len their count (as given to `tg_events_init`).
/// @param event the event (copied).
/// @return `TG_OK`, `TG_REFUSED` (full), `TG_E_NULL`, `TG_E_MISALIGNED`,
///   `TG_E_INVALID_ARGUMENT` (`slots`/`len` not the queue's, or a state
///   that is no `TG_STATE_*`), or an object error.
///
/// Lock-free where the target has a 128-bit CAS; interrupt-masked critical
/// sections elsewhere; safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_events_push(
    queue: *mut tg_events_t,
    slots: *mut tg_event_slot_t,
    len: usize,
    event: *const tg_event_t,
) -> tg_status_t {
    status((|| {
        let queue = self::queue(queue.cast_const(), slots.cast_const(), len)?;
        let e = read(event)?;
        let (Some(from), Some(to)) = (
            State::from_code(e.from.into()),
            State::from_code(e.to.into()),
        ) else {
            return Err(TG_E_INVALID_ARGUMENT);
        };
        let event = Event {
            at: Instant::from_ticks(e.at),
            source: e.source,
            transition: Transition { from, to },
        };
        Ok(match queue.push(event) {
            Ok(()) => TG_OK,
            Err(_) => TG_REFUSED,
        })
    })())
}

/// The event as its C struct.
const fn c_event(event: Event) -> tg_event_t {
    tg_event_t {
        at: event.at.ticks(),
        source: event.source,
        from: event.transition.from as tg_state_t,
        to: event.transition.to as tg_state_t,
    }
}

/// Takes the oldest event, if one is ready (an event whose push is still
/// under way, in an interrupted context, comes out on a later call).
///
/// @param queue an initialised queue header.
/// @param slots its slots (as given to `tg_events_init`).
/// @param len their count (as given to `tg_events_init`).
/// @param out receives the event.
/// @return `TG_OK`, `TG_NOT_FOUND` (none ready), `TG_E_NULL`,
///   `TG_E_MISALIGNED`, `TG_E_INVALID_ARGUMENT` (`slots`/`len` not the
///   queue's), or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_events_pop(
    queue: *mut tg_events_t,
    slots: *mut tg_event_slot_t,
    len: usize,
    out: *mut tg_event_t,
) -> tg_status_t {
    status((|| {
        required(out)?;
        let queue = self::queue(queue.cast_const(), slots.cast_const(), len)?;
        Ok(match queue.pop() {
            Some(event) => {
                put(out, c_event(event));
                TG_OK
            }
            None => TG_NOT_FOUND,
        })
    })())
}

/// Takes up to `max` of the oldest ready events into `out`, oldest first:
/// what a main loop calls to drain what interrupt handlers pushed.
///
/// @param queue an initialised queue header.
/// @param slots its slots (as given to `tg_events_init`).
/// @param len their count (as given to `tg_events_init`).
/// @param out receives the events: room for `max`.
/// @param max the most to take (0 takes none).
/// @param out_count receives how many were taken.
/// @return `TG_OK`, `TG_E_NULL` (`out` with `max` above 0, or
///   `out_count`), `TG_E_MISALIGNED`, `TG_E_INVALID_ARGUMENT`, or an
///   object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_events_drain(
    queue: *mut tg_events_t,
    slots: *mut tg_event_slot_t,
    len: usize,
    out: *mut tg_event_t,
    max: usize,
    out_count: *mut usize,
) -> tg_status_t {
    status((|| {
        required(out_count)?;
        if max > 0 {
            required(out)?;
        }
        let queue = self::queue(queue.cast_const(), slots.cast_const(), len)?;
        let mut taken = 0usize;
        while taken < max {
            let Some(event) = queue.pop() else {
                break;
            };
            // The caller promises room for `max` events at `out`, and
            // `taken < max` (the address is computed without a promise;
            // `put` writes through it).
            put(out.wrapping_add(taken), c_event(event));
            taken = taken.wrapping_add(1);
        }
        put(out_count, taken);
        Ok(TG_OK)
    })())
}

/// Events dropped since the last call (pushed into a full queue, or a
/// slot found holding garbage), and the count restarted from 0.
///
/// @param queue an initialised queue header.
/// @param out receives the count.
/// @return `TG_OK`, `TG_E_NULL`, or an object error.
///
/// Safe from interrupt handlers and several threads.
#[no_mangle]
pub extern "C" fn tg_events_take_dropped(queue: *mut tg_events_t, out: *mut u64) -> tg_status_t {
    status((|| {
        required(out)?;
        let header: &Header = get(queue.cast_const())?;
        let queue = EventsRef {
            cursors: &header.cursors,
            slots: &[],
        };
        put(out, queue.take_dropped());
        Ok(TG_OK)
    })())
}
