//! The breaker's 128-bit state word and its pure transitions.
//!
//! ```text
//!  127                          64 63        51 50              19 18       3 2    0
//! +------------------------------+------------+------------------+----------+------+
//! |          time (64)           | offset(13) |    counters (32) |  gen (16)| kind |
//! +------------------------------+------------+------------------+----------+------+
//! CLOSED      time = quiet until              counters = consecutive failures
//! OPEN        time = deadline (exact)
//! HALF_OPEN   time = timeout deadline (exact) counters = taken (16) | outstanding (16)
//!             offset = how far before the deadline the latest trial was admitted
//! FORCED_OPEN, DISABLED: time = latest tick seen
//! ```
//!
//! * **Deadlines are full 64-bit ticks**: they never alias and are exact.
//! * **The generation** (16 bits) changes on every change of state, so a
//!   permit is recognised as stale until 2^16 changes later.
//! * **Half-open slots**: a trial permit names its slot; `taken` marks slots
//!   used in this half-open period, `outstanding` those not yet reported. A
//!   report for a slot that is not outstanding (a second report, a stale
//!   permit) changes nothing. Successes are the taken slots no longer
//!   outstanding. Hence at most [`MAX_HALF_OPEN_PERMITS`] (16) permits.
//! * **Latest tick seen**: so that an outcome recorded with a lagging `now`
//!   cannot shorten an open period, the word remembers the latest tick it
//!   has seen. CLOSED keeps it as `quiet until` = latest tick noted + a
//!   quantum (`open_ticks / 2^16`, at least 1 tick): a call before that
//!   tick writes nothing, so the happy path stays read-only, and one at or
//!   after it notes itself. A trip opens until `max(now, quiet_until - 1) +
//!   open_ticks`, never shorter than from the latest tick seen, and later by
//!   less than `open_ticks / 2^16`. In HALF_OPEN the latest admission is kept
//!   as an offset before the timeout deadline, rounded towards the deadline
//!   to a quantum of `half_open_timeout_ticks / 2^13`.
//! * **Hot paths** ([`acquire_quick`], [`record_quick`]): CLOSED before its
//!   `quiet until` and OPEN before its deadline are both `now < time`, so
//!   an admission, a success and a refusal are decided from one load of the
//!   word, without unpacking it or reading the configuration.
//!
//! Every function here is pure and total: it maps any word (even one never
//! produced) to a word and a decision, without panicking.
//!
//! [`MAX_HALF_OPEN_PERMITS`]: super::MAX_HALF_OPEN_PERMITS

use super::{Admitted, BreakerConfig, Outcome, Permit, Recorded, Refused, State, Transition};
use crate::time::{deadline, Tick};

const KIND_BITS: u32 = 3;
const GEN_SHIFT: u32 = KIND_BITS;
const GEN_BITS: u32 = 16;
const COUNTERS_SHIFT: u32 = GEN_SHIFT + GEN_BITS;
const OFFSET_SHIFT: u32 = COUNTERS_SHIFT + 32;
/// Bits of the half-open offset field.
pub(super) const OFFSET_BITS: u32 = 13;
const TIME_SHIFT: u32 = 64;
/// Bits of each half-open slot mask.
pub(super) const SLOT_BITS: u32 = 16;

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
        /// The latest tick noted plus the quantum: calls before it write
        /// nothing.
        quiet_until: Tick,
    },
    Open {
        deadline: Tick,
    },
    HalfOpen {
        taken: u16,
        outstanding: u16,
        offset: u32,
        deadline: Tick,
    },
    ForcedOpen {
        seen: Tick,
    },
    Disabled {
        seen: Tick,
    },
}

const fn mask(bits: u32) -> u128 {
    (1u128 << bits).wrapping_sub(1)
}

/// The word's time field (the top 64 bits), whatever its kind.
const fn time_of(word: u128) -> Tick {
    (word >> TIME_SHIFT) as Tick
}

/// Unpacks `word` into its generation and phase. Kinds never written (5..7)
/// read as FORCED_OPEN: an unknown state refuses.
pub(super) const fn decode(word: u128) -> (u16, Phase) {
    let generation = ((word >> GEN_SHIFT) & mask(GEN_BITS)) as u16;
    let counters = ((word >> COUNTERS_SHIFT) & mask(32)) as u32;
    let offset = ((word >> OFFSET_SHIFT) & mask(OFFSET_BITS)) as u32;
    let time = time_of(word);
    let phase = match (word & mask(KIND_BITS)) as u32 {
        CLOSED => Phase::Closed {
            failures: counters,
            quiet_until: time,
        },
        OPEN => Phase::Open { deadline: time },
        HALF_OPEN => Phase::HalfOpen {
            taken: counters as u16,
            outstanding: (counters >> SLOT_BITS) as u16,
            offset,
            deadline: time,
        },
        DISABLED => Phase::Disabled { seen: time },
        _ => Phase::ForcedOpen { seen: time },
    };
    (generation, phase)
}

/// Packs a generation and a phase.
pub(super) const fn encode(generation: u16, phase: Phase) -> u128 {
    let (kind, counters, offset, time) = match phase {
        Phase::Closed {
            failures,
            quiet_until,
        } => (CLOSED, failures, 0, quiet_until),
        Phase::Open { deadline } => (OPEN, 0, 0, deadline),
        Phase::HalfOpen {
            taken,
            outstanding,
            offset,
            deadline,
        } => (
            HALF_OPEN,
            taken as u32 | ((outstanding as u32) << SLOT_BITS),
            offset,
            deadline,
        ),
        Phase::ForcedOpen { seen } => (FORCED_OPEN, 0, 0, seen),
        Phase::Disabled { seen } => (DISABLED, 0, 0, seen),
    };
    kind as u128
        | ((generation as u128) << GEN_SHIFT)
        | ((counters as u128) << COUNTERS_SHIFT)
        | (((offset as u128) & mask(OFFSET_BITS)) << OFFSET_SHIFT)
        | ((time as u128) << TIME_SHIFT)
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

/// A tick no earlier than every tick the word has seen (0 where it keeps
/// none: OPEN, whose refusals never write).
const fn seen_bound(phase: Phase, config: &BreakerConfig) -> Tick {
    match phase {
        // CLOSED notes a tick only once `now` passes it by a quantum: any
        // tick seen since lies below the next quantum.
        Phase::Closed { quiet_until, .. } => quiet_until.saturating_sub(1),
        other => latest_noted(other, config),
    }
}

/// The latest tick the word has noted (0 where it keeps none: OPEN).
const fn latest_noted(phase: Phase, config: &BreakerConfig) -> Tick {
    match phase {
        Phase::Closed { quiet_until, .. } => quiet_until.saturating_sub(config.seen_quantum),
        Phase::ForcedOpen { seen } | Phase::Disabled { seen } => seen,
        Phase::HalfOpen {
            offset, deadline, ..
        } => latest_admission(offset, deadline, config),
        Phase::Open { .. } => 0,
    }
}

/// The tick a half-open `offset` stands for: at or after the admission.
const fn latest_admission(offset: u32, deadline: Tick, config: &BreakerConfig) -> Tick {
    deadline.saturating_sub((offset as u64).saturating_mul(config.half_open_quantum))
}

/// The offset for an admission at `now`, before `deadline`: rounded down, so
/// the tick it stands for is at or after `now`.
const fn offset_for(now: Tick, deadline: Tick, config: &BreakerConfig) -> u32 {
    let before = deadline.saturating_sub(now);
    let quanta = match before.checked_div(config.half_open_quantum) {
        Some(q) => q,
        None => before,
    };
    let max = mask(OFFSET_BITS) as u64;
    (if quanta > max { max } else { quanta }) as u32
}

/// CLOSED's `quiet_until` after a call at `now`: moved only when `now`
/// reaches it, so that most calls write nothing.
const fn observed(quiet_until: Tick, now: Tick, config: &BreakerConfig) -> Tick {
    if now >= quiet_until {
        quiet_after(now, config)
    } else {
        quiet_until
    }
}

/// CLOSED's `quiet_until` for a latest tick noted of `seen`.
const fn quiet_after(seen: Tick, config: &BreakerConfig) -> Tick {
    seen.saturating_add(config.seen_quantum)
}

const fn next_generation(generation: u16) -> u16 {
    generation.wrapping_add(1)
}

/// The word for a fresh OPEN period of `ticks` measured from no earlier than
/// `from`, in the generation after `generation`, and its deadline.
const fn opened(generation: u16, from: Tick, ticks: Tick) -> (u128, Tick) {
    let at = deadline(from, ticks);
    (
        encode(next_generation(generation), Phase::Open { deadline: at }),
        at,
    )
}

const fn transition(from: State, to: State) -> Option<Transition> {
    Some(Transition { from, to })
}

/// The lowest free slot of `taken` among the first `permits`, if any.
const fn free_slot(taken: u16, permits: u32) -> Option<u32> {
    let slot = (!taken).trailing_zeros();
    if slot < permits {
        Some(slot)
    } else {
        None
    }
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
    match (word as u64 & mask(KIND_BITS) as u64) as u32 {
        OPEN => Some(Err(Refused {
            retry_at: Some(time),
            transition: None,
        })),
        CLOSED => Some(Ok(Admitted {
            permit: Permit::new((word >> GEN_SHIFT) as u16, 0),
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
            permit: Permit::new(generation, slot),
            transition,
        })
    };
    let refuse = |retry_at: Option<Tick>, transition: Option<Transition>| {
        Err(Refused {
            retry_at,
            transition,
        })
    };
    let settings = config.settings();
    match phase {
        Phase::Closed {
            failures,
            quiet_until,
        } => {
            let quiet_until = observed(quiet_until, now, config);
            (
                encode(
                    generation,
                    Phase::Closed {
                        failures,
                        quiet_until,
                    },
                ),
                admit(generation, 0, None),
            )
        }
        Phase::Disabled { .. } => (word, admit(generation, 0, None)),
        Phase::ForcedOpen { .. } => (word, refuse(None, None)),
        Phase::Open { deadline: at } if now < at => (word, refuse(Some(at), None)),
        Phase::Open { .. } => {
            let next = next_generation(generation);
            let timeout_at = deadline(now, settings.half_open_timeout_ticks);
            let half_open = Phase::HalfOpen {
                taken: 1,
                outstanding: 1,
                offset: offset_for(now, timeout_at, config),
                deadline: timeout_at,
            };
            (
                encode(next, half_open),
                admit(next, 1, transition(State::Open, State::HalfOpen)),
            )
        }
        Phase::HalfOpen { deadline: at, .. } if now >= at => {
            let (reopened, retry_at) = opened(generation, now, settings.open_ticks);
            let change = transition(State::HalfOpen, State::Open);
            (reopened, refuse(Some(retry_at), change))
        }
        Phase::HalfOpen {
            taken,
            outstanding,
            offset,
            deadline: at,
        } => match free_slot(taken, settings.half_open_permits) {
            None => (word, refuse(Some(at), None)),
            Some(slot) => {
                let bit = 1u16.checked_shl(slot).unwrap_or(0);
                let newer = offset_for(now, at, config);
                let more = Phase::HalfOpen {
                    taken: taken | bit,
                    outstanding: outstanding | bit,
                    offset: if newer < offset { newer } else { offset },
                    deadline: at,
                };
                let permit_slot = slot.wrapping_add(1);
                (
                    encode(generation, more),
                    admit(generation, permit_slot, None),
                )
            }
        },
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
    // low bits (kind, generation, counters).
    let closed_clean = (permit.generation() as u64) << GEN_SHIFT;
    let low = word as u64 & mask(OFFSET_SHIFT) as u64;
    let quiet_until = time_of(word);
    let quiet = outcome == Outcome::Success && permit.slot() == 0 && now < quiet_until;
    (quiet && low == closed_clean).then_some(Recorded {
        counted: true,
        transition: None,
    })
}

/// `record(permit, outcome, now)`: count the outcome of an admitted call.
/// The whole transition; [`record_quick`] decides its hot case alone.
pub(super) fn record(
    word: u128,
    permit: Permit,
    outcome: Outcome,
    now: Tick,
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
            },
            0,
        ) => {
            let latest = observed(quiet_until, now, config);
            match outcome {
                Outcome::Success => counted(
                    encode(
                        generation,
                        Phase::Closed {
                            failures: 0,
                            quiet_until: latest,
                        },
                    ),
                    None,
                ),
                Outcome::Ignored => {
                    let kept = Phase::Closed {
                        failures,
                        quiet_until: latest,
                    };
                    (encode(generation, kept), uncounted)
                }
                Outcome::Failure => {
                    let failures = failures.saturating_add(1);
                    if failures >= settings.failure_threshold {
                        let from = now.max(seen_bound(phase, config));
                        let (opened, _) = opened(generation, from, settings.open_ticks);
                        counted(opened, transition(State::Closed, State::Open))
                    } else {
                        let more = Phase::Closed {
                            failures,
                            quiet_until: latest,
                        };
                        counted(encode(generation, more), None)
                    }
                }
            }
        }
        (
            Phase::HalfOpen {
                taken,
                outstanding,
                offset,
                deadline: at,
            },
            slot @ 1..,
        ) => {
            let bit = 1u16.checked_shl(slot.wrapping_sub(1)).unwrap_or(0);
            if outstanding & bit == 0 {
                // Reported already, or never issued: changes nothing.
                return (word, uncounted);
            }
            if now >= at {
                // Undecided past the timeout: reopen; this outcome is late.
                let (reopened, _) = opened(generation, now, settings.open_ticks);
                let late = Recorded {
                    counted: false,
                    transition: transition(State::HalfOpen, State::Open),
                };
                return (reopened, late);
            }
            let outstanding = outstanding & !bit;
            // A report is a tick seen, like an admission.
            let newer = offset_for(now, at, config);
            let offset = if newer < offset { newer } else { offset };
            match outcome {
                Outcome::Success => {
                    let successes = (taken & !outstanding).count_ones();
                    if successes >= settings.success_threshold {
                        let seen = now.max(latest_admission(offset, at, config));
                        let closed = Phase::Closed {
                            failures: 0,
                            quiet_until: quiet_after(seen, config),
                        };
                        let change = transition(State::HalfOpen, State::Closed);
                        counted(encode(next_generation(generation), closed), change)
                    } else {
                        let more = Phase::HalfOpen {
                            taken,
                            outstanding,
                            offset,
                            deadline: at,
                        };
                        counted(encode(generation, more), None)
                    }
                }
                Outcome::Failure => {
                    let from = now.max(seen_bound(phase, config));
                    let (reopened, _) = opened(generation, from, settings.open_ticks);
                    counted(reopened, transition(State::HalfOpen, State::Open))
                }
                Outcome::Ignored => {
                    let fewer = Phase::HalfOpen {
                        taken: taken & !bit,
                        outstanding,
                        offset,
                        deadline: at,
                    };
                    (encode(generation, fewer), uncounted)
                }
            }
        }
        _ => (word, uncounted),
    }
}

/// What an `acquire` at `now` would see, without changing anything.
pub(super) fn observe(word: u128, now: Tick) -> State {
    let (_, phase) = decode(word);
    match phase {
        Phase::Open { deadline } if now >= deadline => State::HalfOpen,
        Phase::HalfOpen { deadline, .. } if now >= deadline => State::Open,
        _ => stored_state(phase),
    }
}

/// Moves to `target` (FORCED_OPEN, DISABLED or CLOSED) unless already there;
/// reports the change of state, if any.
pub(super) fn override_to(
    word: u128,
    target: State,
    config: &BreakerConfig,
) -> (u128, Option<Transition>) {
    let (generation, phase) = decode(word);
    let from = stored_state(phase);
    let seen = seen_bound(phase, config);
    let phase_to = match target {
        State::ForcedOpen => Phase::ForcedOpen { seen },
        State::Disabled => Phase::Disabled { seen },
        _ => Phase::Closed {
            failures: 0,
            quiet_until: quiet_after(seen, config),
        },
    };
    if from == target {
        // Reset in CLOSED clears the failure run but issues no new generation.
        let kept = match phase {
            Phase::Closed { quiet_until, .. } => Phase::Closed {
                failures: 0,
                quiet_until,
            },
            other => other,
        };
        return (encode(generation, kept), None);
    }
    (
        encode(next_generation(generation), phase_to),
        transition(from, target),
    )
}

/// Opens the breaker for `ticks` from `now` (or from the latest tick it has
/// seen, if later), whatever its state.
pub(super) fn open_for(
    word: u128,
    ticks: Tick,
    now: Tick,
    config: &BreakerConfig,
) -> (u128, (Option<Transition>, Tick)) {
    let (generation, phase) = decode(word);
    let from = stored_state(phase);
    // From the latest tick noted (not its upper bound, which is up to
    // `open_ticks / 2^16` later and would delay a short Retry-After).
    let from_tick = now.max(latest_noted(phase, config));
    let (opened, at) = opened(generation, from_tick, ticks);
    let change = if from == State::Open {
        None
    } else {
        transition(from, State::Open)
    };
    (opened, (change, at))
}
