//! The breaker's 128-bit state word and its pure transitions.
//!
//! ```text
//!  127                          64 63                                19 18       3 2    0
//! +------------------------------+-----------------------------------+----------+------+
//! |          time (64)           |             payload (45)          |  gen (16)| kind |
//! +------------------------------+-----------------------------------+----------+------+
//! CLOSED      time = quiet until  payload = interval end (13, in grid steps)
//!                                           | consecutive failures (32)
//! OPEN        time = deadline     payload = trip reason (3) | reopenings (4)
//!                                           | distance back to the latest tick seen (38)
//! HALF_OPEN   time = latest tick  payload = outstanding (16) | successes (5) | issued (5)
//!                    seen                   | reopenings (4) | failures (4)
//!                                           | timeout deadline (11, in quanta)
//! FORCED_OPEN, DISABLED: time = latest tick seen
//! ```
//!
//! * **Open deadlines are full 64-bit ticks**: they never alias and are
//!   exact. The half-open timeout deadline is kept on a fixed grid of
//!   `half_open_timeout / 2^9` (at least one tick), as a count of
//!   grid points after the latest tick seen: late by less than one grid
//!   step, never early, and it does not drift as the latest tick moves.
//! * **The closed interval's end** (with a `closed_interval`) is kept on a
//!   grid of `closed_interval / 2^11` as a count of grid steps after
//!   `quiet until`'s grid point, the same way: late by less than one step,
//!   never early. `quiet until` never passes it, so a call at or after the
//!   end always reaches the full transition, which clears the counts (a
//!   new generation; the failure-rate window reads empty in it).
//! * **The generation** (16 bits) changes on every change of state, so a
//!   permit is recognised as stale until 2^16 changes later.
//! * **Half-open slots are never re-issued in one generation**: trial `k`
//!   (from 1) gets slot `k`, `issued` counts them and `outstanding` marks
//!   those not yet reported. A report for a slot that is not outstanding (a
//!   second report, a stale permit, a slot handed back with IGNORED) changes
//!   nothing. Trials in flight plus successes never exceed the permits, so
//!   IGNORED makes room for another trial in a fresh slot. Once all
//!   [`MAX_HALF_OPEN_PERMITS`] (16) slots were issued, the next trial starts
//!   a fresh generation if no trial is outstanding (every permit of the old
//!   one was reported), and waits otherwise.
//! * **Latest tick seen**: so that an outcome or a manual command with a
//!   lagging `now` cannot shorten an open period, every state remembers the
//!   latest tick it has noted (refusals only read, so their ticks are not
//!   noted). CLOSED keeps it as `quiet until` = latest tick noted + a
//!   quantum (`open / 2^16`, at least 1 tick): a call before that
//!   tick writes nothing, so the happy path stays read-only, and one at or
//!   after it notes itself; a trip opens until `max(now, quiet_until - 1) +
//!   open`, later by less than `open / 2^16`. HALF_OPEN,
//!   FORCED_OPEN and DISABLED keep it exactly. OPEN keeps how far before
//!   its deadline it was (the tick the period was measured from), exactly
//!   below 2^33 ticks and otherwise rounded late by less than 2^-32 of the
//!   distance, and why it opened ([`TripReason`]'s code; 0 for none known).
//! * **Reopenings**: OPEN and HALF_OPEN count the times the breaker reopened
//!   from HALF_OPEN since it last closed (0 to 15, saturating), so that
//!   each open period can grow (`open_multiplier_milli`).
//! * **Hot paths** ([`acquire_quick`], [`record_quick`]): CLOSED before its
//!   `quiet until` and OPEN before its deadline are both `now < time`, so
//!   an admission, a success and a refusal are decided from one load of the
//!   word, without unpacking it or reading the configuration.
//!
//! Every function here is pure and total: it maps any word (even one never
//! produced) to a word and a decision, without panicking.
//!
//! [`MAX_HALF_OPEN_PERMITS`]: super::MAX_HALF_OPEN_PERMITS

use super::{
    Admitted, BreakerConfig, BreakerStatus, Outcome, Permit, Recorded, Refused, State, Transition,
    TripReason, Trips, MAX_HALF_OPEN_PERMITS,
};
use crate::snapshot::Fields;
use crate::snapshot::Format;
use crate::spread::{proportional, splitmix, uniform};
use crate::time::{Instant, Tick};

const KIND_BITS: u32 = 3;
const GEN_SHIFT: u32 = KIND_BITS;
const GEN_BITS: u32 = 16;
const PAYLOAD_SHIFT: u32 = GEN_SHIFT + GEN_BITS;
const PAYLOAD_BITS: u32 = 45;
const TIME_SHIFT: u32 = 64;
/// Bits of the half-open `outstanding` slot mask.
pub(super) const SLOT_BITS: u32 = 16;
/// Bits of the half-open `successes` and `issued` counts.
const COUNT_BITS: u32 = 5;
const SUCCESSES_SHIFT: u32 = SLOT_BITS;
const ISSUED_SHIFT: u32 = SUCCESSES_SHIFT + COUNT_BITS;
/// Reopenings since the breaker last closed, in OPEN and HALF_OPEN.
const REOPENS_BITS: u32 = 4;
/// The most reopenings counted (saturating).
pub(super) const MAX_REOPENS: u32 = (1 << REOPENS_BITS) - 1;
const HALF_REOPENS_SHIFT: u32 = ISSUED_SHIFT + COUNT_BITS;
/// Trials that failed, under a half-open failure rate (fewer than the
/// permits: at most 15).
const FAILURES_BITS: u32 = 4;
const FAILURES_SHIFT: u32 = HALF_REOPENS_SHIFT + REOPENS_BITS;
const UNTIL_SHIFT: u32 = FAILURES_SHIFT + FAILURES_BITS;
/// Bits of the half-open timeout deadline, in grid steps after the latest
/// tick seen (fewer than 2^10 + 2 of them).
const UNTIL_BITS: u32 = PAYLOAD_BITS - UNTIL_SHIFT;
/// Grid steps in a half-open timeout: the grid is the largest power of two
/// not above `⌈timeout / 2^9⌉`, so a timeout spans fewer than 2^10 steps.
pub(super) const TIMEOUT_GRID_STEPS: u64 = 1 << 9;
/// CLOSED's interval end, above its 32-bit failure run, in grid steps after
/// `quiet_until`'s grid point (fewer than 2^12 + 2 of them).
const INTERVAL_SHIFT: u32 = 32;
const INTERVAL_BITS: u32 = PAYLOAD_BITS - INTERVAL_SHIFT;
/// Grid steps in a closed interval: the grid is the largest power of two
/// not above `⌈interval / 2^11⌉`, so an interval spans fewer than 2^12.
pub(super) const INTERVAL_GRID_STEPS: u64 = 1 << 11;
/// OPEN's distance to its latest tick seen: exact below 2^33 ticks, else a
/// 33-bit mantissa shifted by the next 5 bits (at most 31).
const MANTISSA_BITS: u32 = 33;
const DISTANCE_SHIFT_BITS: u32 = 5;
/// OPEN's reopenings, above its distance.
const OPEN_REOPENS_SHIFT: u32 = MANTISSA_BITS + DISTANCE_SHIFT_BITS;
/// OPEN's trip reason, above its reopenings.
const REASON_SHIFT: u32 = OPEN_REOPENS_SHIFT + REOPENS_BITS;
const REASON_BITS: u32 = PAYLOAD_BITS - REASON_SHIFT;

const CLOSED: u32 = 0;
const OPEN: u32 = 1;
const HALF_OPEN: u32 = 2;
const FORCED_OPEN: u32 = 3;
const DISABLED: u32 = 4;

/// A state word, unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Closed {
        failures: u32,
        /// The latest tick noted plus the quantum (never past the interval
        /// end): calls before it write nothing.
        quiet_until: Tick,
        /// The interval end, in grid steps after `quiet_until`'s grid point
        /// (0 without an interval).
        until: u32,
    },
    /// (Why it opened is read apart, by [`open_reason`]: no transition
    /// needs it.)
    Open {
        deadline: Tick,
        /// The latest tick seen: the tick the period was measured from.
        seen: Tick,
        /// Reopenings from HALF_OPEN since the breaker last closed.
        reopens: u32,
    },
    HalfOpen {
        /// Issued slots not yet reported (bit `k - 1` for slot `k`).
        outstanding: u16,
        /// Trials reported as successes.
        successes: u32,
        /// Trials reported as failures (only under a half-open failure
        /// rate; otherwise a failure reopens at once).
        failures: u32,
        /// Slots issued in this generation: the next trial gets slot
        /// `issued + 1`.
        issued: u32,
        /// The latest trial admission or report, exact.
        seen: Tick,
        /// Reopenings from HALF_OPEN since the breaker last closed.
        reopens: u32,
        /// The timeout deadline, in grid steps after `seen`'s grid point.
        until: u32,
    },
    ForcedOpen {
        seen: Tick,
    },
    Disabled {
        seen: Tick,
    },
}

/// The low `bits` bits set (`bits < 64`).
const fn mask(bits: u32) -> u64 {
    (1u64 << bits).wrapping_sub(1)
}

/// The word's time field (the top 64 bits), whatever its kind. The word is
/// handled as two 64-bit halves, so a 32-bit core never shifts 128 bits.
const fn time_of(word: u128) -> Tick {
    (word >> TIME_SHIFT) as Tick
}

/// The word's low half: kind, generation and payload.
const fn low_of(word: u128) -> u64 {
    word as u64
}

/// `payload`'s field of `bits` at `shift`.
const fn field(payload: u64, shift: u32, bits: u32) -> u64 {
    (payload >> shift) & mask(bits)
}

/// `value` cut to `bits` and moved to `shift`.
const fn fit(value: u64, bits: u32, shift: u32) -> u64 {
    (value & mask(bits)) << shift
}

/// OPEN's code for a distance `ticks` back from the deadline: exact below
/// 2^33, otherwise rounded down (so the tick it stands for is later).
const fn distance_code(ticks: Tick) -> u64 {
    // Halved until below 2^33 (at most 31 times), one bit at a time: a
    // 32-bit core without a barrel shifter for 64-bit values (Cortex-M0)
    // would otherwise call routines for a variable shift and a count of
    // leading zeros.
    let (mut mantissa, mut shift) = (ticks, 0u64);
    while mantissa > mask(MANTISSA_BITS) {
        mantissa >>= 1;
        shift = shift.wrapping_add(1);
    }
    (shift << MANTISSA_BITS) | mantissa
}

/// The distance an OPEN code stands for (saturating for codes never
/// written), doubled one bit at a time as [`distance_code`] halves.
const fn distance_of(code: u64) -> Tick {
    let mut shift = field(code, MANTISSA_BITS, DISTANCE_SHIFT_BITS);
    let mut distance = code & mask(MANTISSA_BITS);
    while shift > 0 {
        if distance > u64::MAX >> 1 {
            return u64::MAX;
        }
        distance <<= 1;
        shift = shift.wrapping_sub(1);
    }
    distance
}

/// Unpacks `word` into its generation and phase. Kinds never written (5..7)
/// read as FORCED_OPEN: an unknown state refuses.
pub(super) const fn decode(word: u128) -> (u16, Phase) {
    let low = low_of(word);
    let generation = (low >> GEN_SHIFT) as u16;
    let payload = low >> PAYLOAD_SHIFT;
    let time = time_of(word);
    let phase = match (low & mask(KIND_BITS)) as u32 {
        CLOSED => Phase::Closed {
            failures: payload as u32,
            quiet_until: time,
            until: field(payload, INTERVAL_SHIFT, INTERVAL_BITS) as u32,
        },
        OPEN => Phase::Open {
            deadline: time,
            seen: time.saturating_sub(distance_of(payload & mask(OPEN_REOPENS_SHIFT))),
            reopens: field(payload, OPEN_REOPENS_SHIFT, REOPENS_BITS) as u32,
        },
        HALF_OPEN => Phase::HalfOpen {
            outstanding: payload as u16,
            successes: field(payload, SUCCESSES_SHIFT, COUNT_BITS) as u32,
            failures: field(payload, FAILURES_SHIFT, FAILURES_BITS) as u32,
            issued: field(payload, ISSUED_SHIFT, COUNT_BITS) as u32,
            seen: time,
            reopens: field(payload, HALF_REOPENS_SHIFT, REOPENS_BITS) as u32,
            until: field(payload, UNTIL_SHIFT, UNTIL_BITS) as u32,
        },
        DISABLED => Phase::Disabled { seen: time },
        _ => Phase::ForcedOpen { seen: time },
    };
    (generation, phase)
}

/// Packs a generation and a phase (fields wider than their bits are cut).
/// Always inlined: each caller names its phase, so only that phase's
/// packing is compiled there, from registers; out of line, every caller
/// built a whole `Phase` in memory first (on Cortex-M0 the breaker was 0.4 KB
/// larger).
#[inline(always)]
pub(super) const fn encode(generation: u16, phase: Phase) -> u128 {
    let (kind, payload, time) = match phase {
        Phase::Closed {
            failures,
            quiet_until,
            until,
        } => (
            CLOSED,
            failures as u64 | fit(until as u64, INTERVAL_BITS, INTERVAL_SHIFT),
            quiet_until,
        ),
        Phase::Open {
            deadline,
            seen,
            reopens,
        } => (
            OPEN,
            distance_code(deadline.saturating_sub(seen))
                | fit(reopens as u64, REOPENS_BITS, OPEN_REOPENS_SHIFT),
            deadline,
        ),
        Phase::HalfOpen {
            outstanding,
            successes,
            failures,
            issued,
            seen,
            reopens,
            until,
        } => (
            HALF_OPEN,
            outstanding as u64
                | fit(successes as u64, COUNT_BITS, SUCCESSES_SHIFT)
                | fit(failures as u64, FAILURES_BITS, FAILURES_SHIFT)
                | fit(issued as u64, COUNT_BITS, ISSUED_SHIFT)
                | fit(reopens as u64, REOPENS_BITS, HALF_REOPENS_SHIFT)
                | fit(until as u64, UNTIL_BITS, UNTIL_SHIFT),
            seen,
        ),
        Phase::ForcedOpen { seen } => (FORCED_OPEN, 0, seen),
        Phase::Disabled { seen } => (DISABLED, 0, seen),
    };
    pack(kind, generation, payload, time)
}

/// A word from its fields (the payload cut to its bits).
#[inline(always)]
const fn pack(kind: u32, generation: u16, payload: u64, time: Tick) -> u128 {
    let low = kind as u64 | ((generation as u64) << GEN_SHIFT) | (payload << PAYLOAD_SHIFT);
    ((time as u128) << TIME_SHIFT) | low as u128
}

/// The state a phase reports, before lazy time-driven changes.
const fn stored_state(phase: Phase) -> State {
    match phase {
        Phase::Closed { .. } => State::Closed,
        Phase::Open { .. } => State::Open,
        Phase::HalfOpen { .. } => State::HalfOpen,
        Phase::ForcedOpen { .. } => State::ForcedOpen,
        Phase::Disabled { .. } => State::Disabled,
    }
}

/// A tick no earlier than every tick the word has noted: exact, except in
/// CLOSED, which notes a tick only once `now` passes it by a quantum, so
/// that any tick seen since lies below `quiet_until`.
const fn seen_bound(phase: Phase) -> Tick {
    match phase {
        Phase::Closed { quiet_until, .. } => quiet_until.saturating_sub(1),
        Phase::Open { seen, .. }
        | Phase::HalfOpen { seen, .. }
        | Phase::ForcedOpen { seen }
        | Phase::Disabled { seen } => seen,
    }
}

/// A grid of `2^shift` ticks, on which a deadline is kept as a count of
/// steps (a garbage configuration's shift past 63 reads modulo 64: one
/// mask, no branch). A power of two, so a tick's grid point is a shift.
#[derive(Clone, Copy)]
struct Grid(u32);

impl Grid {
    /// The half-open timeout's grid.
    const fn timeout(config: &BreakerConfig) -> Self {
        Self(config.timeout_shift as u32 & (u64::BITS - 1))
    }

    /// The closed interval's grid.
    const fn interval(config: &BreakerConfig) -> Self {
        Self(config.interval_shift as u32 & (u64::BITS - 1))
    }

    /// The grid point at or before `tick`.
    const fn point(self, tick: Tick) -> u64 {
        tick >> self.0
    }

    /// The grid point at or after `tick`.
    const fn point_up(self, tick: Tick) -> u64 {
        if tick == 0 {
            0
        } else {
            self.point(tick.wrapping_sub(1)).wrapping_add(1)
        }
    }

    /// The tick of grid point `point` (saturating at `u64::MAX`).
    const fn tick(self, point: u64) -> Tick {
        if point > u64::MAX >> self.0 {
            u64::MAX
        } else {
            point << self.0
        }
    }

    /// The grid point `steps` after the one at or before `from`.
    const fn after(self, from: Tick, steps: u32) -> u64 {
        self.point(from).saturating_add(steps as u64)
    }

    /// Steps from the grid point at or before `from` to `point`, cut to
    /// `bits` (0 if `point` is earlier).
    const fn steps(self, from: Tick, point: u64, bits: u32) -> u32 {
        let steps = point.saturating_sub(self.point(from));
        let max = mask(bits);
        (if steps > max { max } else { steps }) as u32
    }
}

/// `until` for a timeout deadline of at least `at` (rounded up to the grid)
/// as seen from `seen`.
const fn until_for(seen: Tick, at: Tick, config: &BreakerConfig) -> u32 {
    let grid = Grid::timeout(config);
    grid.steps(seen, grid.point_up(at), UNTIL_BITS)
}

/// HALF_OPEN's `seen` and `until` once a call at `now` before the deadline
/// (at grid point `point`) is noted: the deadline stays where it is.
const fn noted(
    seen: Tick,
    until: u32,
    point: u64,
    now: Tick,
    config: &BreakerConfig,
) -> (Tick, u32) {
    if now <= seen {
        return (seen, until);
    }
    (now, Grid::timeout(config).steps(now, point, UNTIL_BITS))
}

/// HALF_OPEN's timeout deadline, and its `seen` and `until` with a call at
/// `now` noted ([`noted`]; the deadline stays where it is). Out of line:
/// `acquire` and `record` share it.
#[inline(never)]
fn half_open_clock(
    seen: Tick,
    until: u32,
    now: Tick,
    config: &BreakerConfig,
) -> (Tick, (Tick, u32)) {
    let grid = Grid::timeout(config);
    let point = grid.after(seen, until);
    (grid.tick(point), noted(seen, until, point, now, config))
}

/// CLOSED's clock after a call at `now`: whether the interval ended (the
/// counts are then cleared and a new interval starts at `now`), and
/// `quiet_until` and `until`, moved only when `now` reaches `quiet_until`,
/// so that most calls write nothing.
#[inline]
fn closed_clock(
    quiet_until: Tick,
    until: u32,
    now: Tick,
    config: &BreakerConfig,
) -> (bool, Tick, u32) {
    if now < quiet_until {
        return (false, quiet_until, until);
    }
    closed_interval(quiet_until, until, now, quiet_after(now, config), config)
}

/// CLOSED's interval after a call noted at `now`: whether the one ending
/// `until` grid steps after `quiet_until`'s grid point has ended (a new
/// one then starts at `now`), and the new `quiet_until` (`next`, or the
/// interval's end if earlier) and `until`. Without an interval: never
/// ended, `next` and 0. Out of line: every way into CLOSED shares it.
#[inline(never)]
fn closed_interval(
    quiet_until: Tick,
    until: u32,
    now: Tick,
    next: Tick,
    config: &BreakerConfig,
) -> (bool, Tick, u32) {
    let interval = config.clearing_interval();
    if interval == 0 {
        return (false, next, 0);
    }
    // Compared on the grid (a grid point `p` is at or before `now` exactly
    // when `p <= now >> shift`), so that Cortex-M0 shifts no more than it
    // must.
    let grid = Grid::interval(config);
    let point = grid.after(quiet_until, until);
    let ended = point <= grid.point(now);
    let point = if ended {
        grid.point_up(now.saturating_add(interval))
    } else {
        point
    };
    let next_point = grid.point(next);
    if next_point < point {
        (ended, next, grid.steps(next, point, INTERVAL_BITS))
    } else {
        // Quiet no later than the end: a call there takes the full step.
        (ended, grid.tick(point), 0)
    }
}

/// A CLOSED phase without counts whose interval (if any) starts at `from`
/// (no earlier than every tick seen), quiet until `quiet_until` (or the
/// interval's end, if earlier).
fn closed_from(from: Tick, quiet_until: Tick, config: &BreakerConfig) -> Phase {
    // An interval that ended at tick 0: a new one starts at `from`.
    let (_, quiet_until, until) = closed_interval(0, 0, from, quiet_until, config);
    Phase::Closed {
        failures: 0,
        quiet_until,
        until,
    }
}

/// The tick CLOSED's current interval ends at (`None` without one).
const fn interval_end(quiet_until: Tick, until: u32, config: &BreakerConfig) -> Option<Tick> {
    if config.clearing_interval() == 0 {
        return None;
    }
    let grid = Grid::interval(config);
    Some(grid.tick(grid.after(quiet_until, until)))
}

/// CLOSED's `quiet_until` for a latest tick noted of `seen`.
const fn quiet_after(seen: Tick, config: &BreakerConfig) -> Tick {
    seen.saturating_add(config.seen_quantum())
}

/// Set bits of `slots`, one per round (Cortex-M0 has no population count
/// instruction; this is smaller than the bit-parallel count).
const fn ones(mut slots: u16) -> u32 {
    let mut count = 0u32;
    while slots != 0 {
        slots &= slots.wrapping_sub(1);
        count = count.wrapping_add(1);
    }
    count
}

const fn next_generation(generation: u16) -> u16 {
    generation.wrapping_add(1)
}

/// Why an OPEN word opened: its [`TripReason`] code (0 for none known);
/// whatever the bits hold in any other state.
pub(super) const fn open_reason(word: u128) -> u8 {
    field(low_of(word) >> PAYLOAD_SHIFT, REASON_SHIFT, REASON_BITS) as u8
}

/// An OPEN word with its reason code set to `reason` (cut to its bits).
pub(super) const fn with_open_reason(word: u128, reason: u8) -> u128 {
    let bits = fit(reason as u64, REASON_BITS, REASON_SHIFT) << PAYLOAD_SHIFT;
    let cleared = word & !((mask(REASON_BITS) << (REASON_SHIFT + PAYLOAD_SHIFT)) as u128);
    cleared | bits as u128
}

/// The word for a fresh OPEN period of `ticks` measured from `from` (no
/// earlier than every tick seen), in the generation after `generation`,
/// opened for `reason` after `reopens` reopenings, and its deadline.
const fn opened(
    generation: u16,
    from: Tick,
    ticks: Tick,
    reason: TripReason,
    reopens: u32,
) -> (u128, Tick) {
    let at = from.saturating_add(ticks);
    // `Phase::Open { deadline: at, seen: from, reopens }` and the reason,
    // packed directly: `at` is no earlier than `from`, so their distance
    // needs no saturation.
    let back = distance_code(at.wrapping_sub(from))
        | fit(reopens as u64, REOPENS_BITS, OPEN_REOPENS_SHIFT)
        | ((reason as u64) << REASON_SHIFT);
    (pack(OPEN, next_generation(generation), back, at), at)
}

/// The word for an automatic trip (not a manual period) from `from`, in
/// the generation after `generation`, after `reopens` reopenings: its
/// period grown and jittered ([`open_period`]). Out of line: every trip
/// shares it.
#[inline(never)]
fn tripped(
    generation: u16,
    from: Tick,
    reason: TripReason,
    reopens: u32,
    config: &BreakerConfig,
) -> (u128, Tick) {
    let ticks = open_period(generation, from, reopens, config);
    opened(generation, from, ticks, reason, reopens)
}

/// The reopenings after a trial period failed or timed out (saturating).
const fn reopened(reopens: u32) -> u32 {
    if reopens < MAX_REOPENS {
        reopens.wrapping_add(1)
    } else {
        MAX_REOPENS
    }
}

/// The open period of a trip from `from` in the generation after
/// `generation`, after `reopens` reopenings: `open` grown by the
/// multiplier (at most `max_open`), then spread by the jitter, drawn from
/// the caller's seed, the generation and the tick; at least one tick and
/// at most `max_open`.
const fn open_period(generation: u16, from: Tick, reopens: u32, config: &BreakerConfig) -> Tick {
    let grown = config.grown_open(reopens);
    let settings = config.settings();
    if settings.open_jitter_per_mille == 0 {
        return grown;
    }
    let (low, span) = proportional(grown, settings.open_jitter_per_mille);
    let entropy = settings.jitter_seed ^ from ^ ((generation as u64) << 48);
    let ticks = low.saturating_add(uniform(splitmix(entropy), span));
    let cap = config.max_open();
    if ticks == 0 {
        1
    } else if ticks > cap {
        cap
    } else {
        ticks
    }
}

const fn transition(from: State, to: State) -> Option<Transition> {
    Some(Transition { from, to })
}

/// The hot paths of `acquire(now)`, decided from the word alone, without
/// the configuration: CLOSED before its `quiet_until` admits and OPEN before
/// its deadline refuses, both without writing (`now < time` either way).
/// `None` for every other case.
#[inline]
pub(super) fn acquire_quick(word: u128, now: Tick) -> Option<Result<Admitted, Refused>> {
    let time = time_of(word);
    if now >= time {
        return None;
    }
    let low = low_of(word);
    match (low & mask(KIND_BITS)) as u32 {
        OPEN => Some(Err(Refused {
            retry_at: Some(Instant::from_ticks(time)),
            transition: None,
        })),
        CLOSED => Some(Ok(Admitted {
            permit: Permit::new((low >> GEN_SHIFT) as u16, 0, now),
            transition: None,
        })),
        _ => None,
    }
}

/// `acquire(now)`: admit with a permit, or refuse with the tick to retry at.
/// The whole transition; [`acquire_quick`] decides its hot cases alone.
pub(super) fn acquire(
    word: u128,
    now: Tick,
    config: &BreakerConfig,
) -> (u128, Result<Admitted, Refused>) {
    let (generation, phase) = decode(word);
    let admit = |generation: u16, slot: u32, transition: Option<Transition>| {
        Ok(Admitted {
            permit: Permit::new(generation, slot, now),
            transition,
        })
    };
    let refuse = |retry_at: Option<Tick>, transition: Option<Transition>| {
        Err(Refused {
            retry_at: retry_at.map(Instant::from_ticks),
            transition,
        })
    };
    let settings = config.settings();
    match phase {
        Phase::Closed {
            failures,
            quiet_until,
            until,
        } => {
            let (ended, quiet_until, until) = closed_clock(quiet_until, until, now, config);
            // An ended interval clears the counts in a new generation.
            let (generation, failures) = if ended {
                (next_generation(generation), 0)
            } else {
                (generation, failures)
            };
            let closed = Phase::Closed {
                failures,
                quiet_until,
                until,
            };
            (encode(generation, closed), admit(generation, 0, None))
        }
        Phase::Disabled { .. } => (word, admit(generation, 0, None)),
        Phase::ForcedOpen { .. } => (word, refuse(None, None)),
        Phase::Open { deadline: at, .. } if now < at => (word, refuse(Some(at), None)),
        Phase::Open { reopens, .. } => {
            let next = next_generation(generation);
            let timeout_at = now.saturating_add(settings.half_open_timeout.ticks());
            let half_open = Phase::HalfOpen {
                outstanding: 1,
                successes: 0,
                failures: 0,
                issued: 1,
                seen: now,
                reopens,
                until: until_for(now, timeout_at, config),
            };
            (
                encode(next, half_open),
                admit(next, 1, transition(State::Open, State::HalfOpen)),
            )
        }
        Phase::HalfOpen {
            outstanding,
            successes,
            failures,
            issued,
            seen,
            reopens,
            until,
        } => {
            let (at, (seen, until)) = half_open_clock(seen, until, now, config);
            if now >= at {
                // `seen` is now the later of `now` and the latest tick seen.
                let timed_out = TripReason::TrialTimedOut;
                let (word, retry_at) =
                    tripped(generation, seen, timed_out, reopened(reopens), config);
                let change = transition(State::HalfOpen, State::Open);
                return (word, refuse(Some(retry_at), change));
            }
            // Trials out, and decided (failures count only under a
            // half-open failure rate: otherwise the first reopens).
            let in_trial = ones(outstanding)
                .saturating_add(successes)
                .saturating_add(failures);
            if in_trial >= settings.half_open_permits {
                return (word, refuse(Some(at), None));
            }
            // Slots are never re-issued in one generation; once all were
            // issued and every one reported, a fresh generation starts.
            let (generation, issued, outstanding) = if issued < MAX_HALF_OPEN_PERMITS {
                (generation, issued, outstanding)
            } else if outstanding == 0 {
                (next_generation(generation), 0, 0)
            } else {
                return (word, refuse(Some(at), None));
            };
            let bit = 1u16.checked_shl(issued).unwrap_or(0);
            let slot = issued.wrapping_add(1);
            let more = Phase::HalfOpen {
                outstanding: outstanding | bit,
                successes,
                failures,
                issued: slot,
                seen,
                reopens,
                until,
            };
            (encode(generation, more), admit(generation, slot, None))
        }
    }
}

/// The hot path of `record(permit, outcome, now)`, decided from the word
/// alone: a success in CLOSED before its `quiet_until`, in the permit's
/// generation, with no failures, counts and writes nothing. `None` for
/// every other case.
#[inline]
pub(super) fn record_quick(
    word: u128,
    permit: Permit,
    outcome: Outcome,
    now: Tick,
) -> Option<Recorded> {
    // CLOSED, this permit's generation, no failures: one comparison of the
    // low bits (kind, generation, failure count).
    let closed_clean = (permit.generation() as u64) << GEN_SHIFT;
    let low = low_of(word) & mask(PAYLOAD_SHIFT + 32);
    let quiet_until = time_of(word);
    let quiet = outcome == Outcome::Success && permit.slot() == 0 && now < quiet_until;
    (quiet && low == closed_clean).then_some(Recorded {
        counted: true,
        transition: None,
    })
}

/// The tick from which a CLOSED word with no failures may be dropped for
/// the fresh word: its `quiet until` (so its latest tick noted is past);
/// `None` for any other word.
pub(super) const fn settles_at(word: u128) -> Option<Tick> {
    match decode(word) {
        (
            _,
            Phase::Closed {
                failures: 0,
                quiet_until,
                ..
            },
        ) => Some(quiet_until),
        _ => None,
    }
}

/// The run of failures of a word CLOSED in `generation`; `None` otherwise.
pub(super) const fn closed_failures_in(word: u128, generation: u16) -> Option<u32> {
    match decode(word) {
        (g, Phase::Closed { failures, .. }) if g == generation => Some(failures),
        _ => None,
    }
}

/// Whether `word` is CLOSED in `generation` (the failure-rate window counts
/// only such outcomes).
#[inline]
pub(super) const fn is_closed_in(word: u128, generation: u16) -> bool {
    let low = low_of(word) & mask(PAYLOAD_SHIFT);
    low == pack(CLOSED, generation, 0, 0) as u64
}

/// A CLOSED word's clock for a time window: the latest tick it noted
/// (`quiet_until` less the quantum; when `quiet_until` stops at the
/// interval's end, early by less than the quantum).
pub(super) const fn window_clock(word: u128, config: &BreakerConfig) -> Tick {
    time_of(word).saturating_sub(config.seen_quantum())
}

/// The generation of a CLOSED word; `None` in any other state.
pub(super) const fn closed_generation(word: u128) -> Option<u16> {
    match decode(word) {
        (generation, Phase::Closed { .. }) => Some(generation),
        _ => None,
    }
}

/// `record(permit, outcome, now)`: count the outcome of an admitted call;
/// `trips`: the counting rules that trip with it. The whole
/// transition; [`record_quick`] decides its hot case alone.
pub(super) fn record(
    word: u128,
    permit: Permit,
    outcome: Outcome,
    now: Tick,
    trips: Trips,
    config: &BreakerConfig,
) -> (u128, Recorded) {
    let (generation, phase) = decode(word);
    let uncounted = Recorded {
        counted: false,
        transition: None,
    };
    if permit.generation() != generation {
        return (word, uncounted);
    }
    let counted = |next: u128, transition: Option<Transition>| {
        (
            next,
            Recorded {
                counted: true,
                transition,
            },
        )
    };
    let settings = config.settings();
    match (phase, permit.slot()) {
        (
            Phase::Closed {
                failures,
                quiet_until,
                until,
            },
            0,
        ) => {
            let (ended, quiet_until, until) = closed_clock(quiet_until, until, now, config);
            if ended {
                // The counts clear in a new generation; this outcome, from
                // before the clearing, is not counted.
                let cleared = Phase::Closed {
                    failures: 0,
                    quiet_until,
                    until,
                };
                return (encode(next_generation(generation), cleared), uncounted);
            }
            let failures = match outcome {
                Outcome::Success => 0,
                Outcome::Ignored => failures,
                // The run is counted even with the consecutive rule off,
                // for a trip rule to see.
                Outcome::Failure => failures.saturating_add(1),
            };
            let consecutive = settings.failure_threshold != 0
                && outcome == Outcome::Failure
                && failures >= settings.failure_threshold;
            if consecutive || (trips.any() && outcome != Outcome::Ignored) {
                let from = now.max(seen_bound(phase));
                let reason = if consecutive {
                    TripReason::ConsecutiveFailures
                } else {
                    trips.reason()
                };
                let (opened, _) = tripped(generation, from, reason, 0, config);
                return counted(opened, transition(State::Closed, State::Open));
            }
            let next = encode(
                generation,
                Phase::Closed {
                    failures,
                    quiet_until,
                    until,
                },
            );
            if outcome == Outcome::Ignored {
                (next, uncounted)
            } else {
                counted(next, None)
            }
        }
        (
            Phase::HalfOpen {
                outstanding,
                successes,
                failures,
                issued,
                seen,
                reopens,
                until,
            },
            slot @ 1..,
        ) => {
            let bit = 1u16.checked_shl(slot.wrapping_sub(1)).unwrap_or(0);
            if outstanding & bit == 0 {
                // Reported already, handed back, or never issued: changes
                // nothing.
                return (word, uncounted);
            }
            let (at, (seen, until)) = half_open_clock(seen, until, now, config);
            if now >= at {
                // Undecided past the timeout: reopen; this outcome is late.
                let timed_out = TripReason::TrialTimedOut;
                let (word, _) = tripped(generation, seen, timed_out, reopened(reopens), config);
                let late = Recorded {
                    counted: false,
                    transition: transition(State::HalfOpen, State::Open),
                };
                return (word, late);
            }
            // With a slow-call rate, a slow trial fails.
            let outcome = match outcome {
                Outcome::Success if config.slow_trips() && config.is_slow(permit, now) => {
                    Outcome::Failure
                }
                other => other,
            };
            let rated = settings.half_open_failure_rate_per_mille != 0;
            let (successes, failures) = match outcome {
                Outcome::Failure if !rated => (successes, failures),
                Outcome::Failure => (successes, failures.saturating_add(1)),
                Outcome::Success => (successes.saturating_add(1), failures),
                Outcome::Ignored => (successes, failures),
            };
            // Decided: without a half-open failure rate, by the first
            // failure or by enough successes; with one, once every permit
            // is reported, by the share of failures (inclusive).
            let decided = if rated {
                outcome != Outcome::Ignored
                    && successes.saturating_add(failures) >= settings.half_open_permits
            } else {
                outcome == Outcome::Failure || successes >= settings.success_threshold
            };
            if decided {
                let permits = settings.half_open_permits;
                let share = settings.half_open_failure_rate_per_mille;
                let fails = if rated {
                    failures.wrapping_mul(1000) >= share.wrapping_mul(permits)
                } else {
                    outcome == Outcome::Failure
                };
                if fails {
                    let failed = TripReason::TrialFailed;
                    let (word, _) = tripped(generation, seen, failed, reopened(reopens), config);
                    return counted(word, transition(State::HalfOpen, State::Open));
                }
                let closed = closed_from(seen, quiet_after(seen, config), config);
                let change = transition(State::HalfOpen, State::Closed);
                return counted(encode(next_generation(generation), closed), change);
            }
            // The slot is reported (a success, or a failure under a rate)
            // or handed back (IGNORED).
            let trial = Phase::HalfOpen {
                outstanding: outstanding & !bit,
                successes,
                failures,
                issued,
                reopens,
                seen,
                until,
            };
            let next = encode(generation, trial);
            if outcome == Outcome::Ignored {
                (next, uncounted)
            } else {
                counted(next, None)
            }
        }
        _ => (word, uncounted),
    }
}

/// [`observe`], and while OPEN why it opened and its deadline: an OPEN
/// word's own, or for HALF_OPEN past its timeout (OPEN to an acquire at
/// `now`), the period that acquire would start.
pub(super) fn status(word: u128, now: Tick, config: &BreakerConfig) -> BreakerStatus {
    let state = observe(word, now, config);
    let (tripped_by, trial_at) = match decode(word) {
        _ if state != State::Open => (None, None),
        (_, Phase::Open { deadline, .. }) => {
            (TripReason::from_code(open_reason(word)), Some(deadline))
        }
        (generation, phase) => {
            // As the acquire reopens: from the later of `now` and the
            // latest tick seen, for a period one reopening longer.
            let from = now.max(seen_bound(phase));
            let reopens = match phase {
                Phase::HalfOpen { reopens, .. } => reopened(reopens),
                _ => 0,
            };
            let at = from.saturating_add(open_period(generation, from, reopens, config));
            (Some(TripReason::TrialTimedOut), Some(at))
        }
    };
    BreakerStatus {
        state,
        tripped_by,
        trial_at: trial_at.map(Instant::from_ticks),
    }
}

/// What an `acquire` at `now` would see, without changing anything.
pub(super) fn observe(word: u128, now: Tick, config: &BreakerConfig) -> State {
    let (_, phase) = decode(word);
    match phase {
        Phase::Open { deadline, .. } if now >= deadline => State::HalfOpen,
        // (The clock's noted tick is not used: observing writes nothing.)
        Phase::HalfOpen { seen, until, .. }
            if now >= half_open_clock(seen, until, now, config).0 =>
        {
            State::Open
        }
        _ => stored_state(phase),
    }
}

/// A manual command: move to a state (FORCED_OPEN, DISABLED or CLOSED), or
/// open for `ticks` from `now`.
#[derive(Clone, Copy, Debug)]
pub(super) enum Manual {
    To(State),
    OpenFor { ticks: Tick, now: Tick },
}

/// Runs a manual command, whatever the state; reports the change of state,
/// if any, and (opening) the deadline. Both commands carry a tick no
/// earlier than every tick seen into the new state, so that no number of
/// manual changes with lagging ticks moves it:
///
/// * `To(target)` moves to `target` unless already there; the tick goes over
///   as it is (into CLOSED as a `quiet_until` one tick past it).
/// * `OpenFor` opens for `ticks` from `now` (or from the latest tick seen,
///   if later: in CLOSED up to a quantum later); the new period replaces
///   any current one.
///
/// Into CLOSED from another state, a closed interval starts at the latest
/// tick seen. With `fresh_closed` (a breaker with a failure-rate window), a
/// reset in CLOSED starts a new generation (its window then reads empty, and permits
/// from before it are stale).
pub(super) fn manual(
    word: u128,
    command: Manual,
    fresh_closed: bool,
    config: &BreakerConfig,
) -> (u128, (Option<Transition>, Tick)) {
    let (generation, phase) = decode(word);
    let from = stored_state(phase);
    let seen = seen_bound(phase);
    let target = match command {
        Manual::To(target) => target,
        Manual::OpenFor { ticks, now } => {
            let (opened, at) = opened(generation, now.max(seen), ticks, TripReason::Manual, 0);
            let change = if from == State::Open {
                None
            } else {
                transition(from, State::Open)
            };
            return (opened, (change, at));
        }
    };
    let phase_to = match target {
        State::ForcedOpen => Phase::ForcedOpen { seen },
        State::Disabled => Phase::Disabled { seen },
        // CLOSED keeps its own clock (a reset there only clears the
        // failure run); any other state's latest tick is carried over, and
        // starts a closed interval.
        _ => match phase {
            Phase::Closed {
                quiet_until, until, ..
            } => Phase::Closed {
                failures: 0,
                quiet_until,
                until,
            },
            _ => closed_from(seen, seen.saturating_add(1), config),
        },
    };
    // Already there: the same phase (CLOSED without failures) and no
    // transition; a new generation only for a window to clear.
    let (generation, change) = if from == target {
        let clears = from == State::Closed && fresh_closed;
        let generation = if clears {
            next_generation(generation)
        } else {
            generation
        };
        (generation, None)
    } else {
        (next_generation(generation), transition(from, target))
    };
    (encode(generation, phase_to), (change, 0))
}

/// A count below 16 (reopenings, failed trials) in a snapshot byte's high
/// nibble, beside a code or count below 16 in its low one.
const fn high_nibble(count: u32) -> u8 {
    ((count & 0xF) << 4) as u8
}

/// A snapshot byte's low nibble and its high one.
const fn nibbles(byte: u8) -> (u8, u32) {
    (byte & 0xF, (byte >> 4) as u32)
}

impl Format for BreakerConfig {
    const KIND: u8 = 1;
    /// Kind, generation, then per state: CLOSED failures, `quiet_until` and
    /// the interval end (0 without an interval);
    /// OPEN deadline, latest tick and trip reason; HALF_OPEN outstanding, successes,
    /// issued, latest tick and timeout deadline; FORCED_OPEN and DISABLED
    /// the latest tick.
    const STATE_LEN: usize = 1 + 2 + 2 + 1 + 1 + 8 + 8;

    fn fingerprint(&self, fields: &mut Fields<'_>) {
        let s = self.settings();
        fields.u32(s.failure_threshold);
        fields.u64(s.open.ticks());
        fields.u32(s.half_open_permits);
        fields.u32(s.success_threshold);
        fields.u64(s.half_open_timeout.ticks());
        // Only with a window, so that a snapshot of a breaker without one
        // restores as before.
        if self.rate.is_on() {
            fields.u32(s.failure_rate_per_mille);
            fields.u32(s.rate_window);
            fields.u32(self.rate.minimum_calls());
        }
        if s.closed_interval.ticks() != 0 {
            fields.u64(s.closed_interval.ticks());
        }
        if s.rate_duration.ticks() != 0 {
            fields.u64(s.rate_duration.ticks());
        }
        if s.half_open_failure_rate_per_mille != 0 {
            fields.u32(s.half_open_failure_rate_per_mille);
        }
        // Slow calls, only when they are told: a slow-call rate changes
        // what opens the breaker and what a trial needs.
        if s.slow_call.ticks() != 0 {
            fields.u64(s.slow_call.ticks());
            fields.u32(s.slow_call_rate_per_mille);
        }
        // Whether a trip rule is set (its function's address differs
        // between builds), only when one is: it changes what CLOSED counts.
        if s.trip_rule.is_some() {
            fields.u8(1);
        }
        // The open period's growth and jitter, only when either is on (not
        // the seed: a device may draw a new one at each boot).
        if s.open_multiplier_milli > 1_000 || s.open_jitter_per_mille != 0 {
            fields.u32(s.open_multiplier_milli);
            fields.u64(self.max_open());
            fields.u32(s.open_jitter_per_mille);
        }
    }

    fn save_state(&self, word: u128, fields: &mut Fields<'_>) {
        let (generation, phase) = decode(word);
        // HALF_OPEN's failed trials (under a half-open failure rate) in the
        // kind's high nibble: 0 in snapshots taken before they were.
        let failures = match phase {
            Phase::HalfOpen { failures, .. } => high_nibble(failures),
            _ => 0,
        };
        fields.u8(stored_state(phase) as u8 | failures);
        fields.u16(generation);
        match phase {
            Phase::Closed {
                failures,
                quiet_until,
                until,
            } => {
                fields.u32(failures);
                fields.tick(quiet_until);
                match interval_end(quiet_until, until, self) {
                    Some(end) => fields.tick(end),
                    // Zeros, as in a snapshot taken before intervals were.
                    None => fields.u64(0),
                }
            }
            Phase::Open {
                deadline,
                seen,
                reopens,
            } => {
                fields.tick(deadline);
                fields.tick(seen);
                fields.u8(open_reason(word) | high_nibble(reopens));
            }
            Phase::HalfOpen {
                outstanding,
                successes,
                issued,
                seen,
                reopens,
                until,
                ..
            } => {
                fields.u16(outstanding);
                fields.u8(successes as u8 | high_nibble(reopens));
                fields.u8(issued as u8);
                fields.tick(seen);
                let grid = Grid::timeout(self);
                fields.tick(grid.tick(grid.after(seen, until)));
            }
            Phase::ForcedOpen { seen } | Phase::Disabled { seen } => fields.tick(seen),
        }
    }

    /// Every count in range for this configuration; the half-open timeout
    /// deadline lands on this run's grid (late by less than one step).
    fn restore_state(&self, fields: &mut Fields<'_>) -> Option<u128> {
        let (kind, failures) = nibbles(fields.read_u8());
        if failures != 0 && kind != State::HalfOpen as u8 {
            return None;
        }
        let generation = fields.read_u16();
        let s = self.settings();
        // OPEN's reason, set once the word is packed.
        let mut reason = 0;
        let phase = match kind {
            k if k == State::Closed as u8 => {
                let failures = fields.read_u32();
                let (quiet_until, quiet_offset) = fields.read_tick_and_offset();
                let counted = failures < s.failure_threshold || s.failure_threshold == 0;
                let (in_range, until) = match self.clearing_interval() {
                    0 => (fields.read_u64() == 0, 0),
                    interval => {
                        let (end, end_offset) = fields.read_tick_and_offset();
                        // No later than an interval started at the latest
                        // tick seen, rounded up to the grid: compared as
                        // distances written in the snapshot, which a
                        // restore at an earlier tick (after a reboot) does
                        // not clamp as it clamps the ticks to 0.
                        let grid = Grid::interval(self);
                        let span = i128::from(end_offset).wrapping_sub(i128::from(quiet_offset));
                        let most = i128::from(interval).wrapping_add(i128::from(grid.tick(1)));
                        let point = grid.point_up(end);
                        let steps = grid.steps(quiet_until, point, INTERVAL_BITS);
                        (span <= most, steps)
                    }
                };
                (counted && in_range).then_some(Phase::Closed {
                    failures,
                    quiet_until,
                    until,
                })?
            }
            k if k == State::Open as u8 => {
                let deadline = fields.read_tick();
                let seen = fields.read_tick();
                // 0: no reason known (a snapshot taken before they were);
                // the reopenings above it (0 before they were kept).
                let (code, reopens) = nibbles(fields.read_u8());
                reason = code;
                let known = reason == 0 || TripReason::from_code(reason).is_some();
                (seen <= deadline && known).then_some(Phase::Open {
                    deadline,
                    seen,
                    reopens,
                })?
            }
            k if k == State::HalfOpen as u8 => {
                let outstanding = fields.read_u16();
                let (successes, reopens) = nibbles(fields.read_u8());
                let successes = u32::from(successes);
                let issued = u32::from(fields.read_u8());
                let seen = fields.read_tick();
                let at = fields.read_tick();
                let rated = s.half_open_failure_rate_per_mille != 0;
                let decided = successes.saturating_add(failures);
                // Without a half-open rate, no failure is ever kept.
                let counts = rated || (successes < s.success_threshold && failures == 0);
                let valid = counts
                    && issued <= MAX_HALF_OPEN_PERMITS
                    && u32::from(outstanding).checked_shr(issued).unwrap_or(0) == 0
                    && outstanding.count_ones().saturating_add(decided) <= s.half_open_permits;
                valid.then_some(Phase::HalfOpen {
                    outstanding,
                    successes,
                    failures,
                    issued,
                    seen,
                    reopens,
                    until: until_for(seen, at, self),
                })?
            }
            k if k == State::ForcedOpen as u8 => Phase::ForcedOpen {
                seen: fields.read_tick(),
            },
            k if k == State::Disabled as u8 => Phase::Disabled {
                seen: fields.read_tick(),
            },
            _ => return None,
        };
        let word = encode(generation, phase);
        Some(if reason == 0 {
            word
        } else {
            with_open_reason(word, reason)
        })
    }
}
