//! Size probe: an event queue of 8 transitions in a `static`, push + pop +
//! take the dropped count. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::breaker::{State, Transition};
use tickguard::events::{Event, EventQueue};
use tickguard::time::Instant;

static EVENTS: EventQueue<8> = EventQueue::new();

#[entry]
fn main() -> ! {
    let mut i = 0u64;
    loop {
        i = i.wrapping_add(black_box(1));
        let transition = Transition {
            from: State::Closed,
            to: State::Open,
        };
        let event = Event {
            at: Instant::from_ticks(i),
            source: black_box(3),
            transition,
        };
        black_box(EVENTS.push(event).is_ok());
        if black_box(i).is_multiple_of(3) {
            black_box(EVENTS.pop());
        }
        if black_box(i).is_multiple_of(1024) {
            black_box(EVENTS.take_dropped());
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
