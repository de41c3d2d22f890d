//! The breaker's 32-bit state word and its pure transitions.
//!
//! ```text
//!  31                                9 8        3 2    0
//! +-----------------------------------+----------+------+
//! |             payload (23)          |  gen (6) | kind |
//! +-----------------------------------+----------+------+
//! CLOSED      payload = consecutive failures
//! OPEN        payload = deadline (config-derived coding, 23 bits)
//! HALF_OPEN   payload = timeout deadline (13) | successes (5) | issued (5)
//! OPEN_UNTIL  payload = deadline (18) | duration class (5)   (manual open)
//! FORCED_OPEN, DISABLED: no payload
//! ```
//!
//! The generation changes on every change of state, so a permit issued
//! before it cannot be counted after it. Every function here is pure and
//! total: it maps any word (even one never produced) to a word and a decision.

use super::{Admitted, BreakerConfig, Outcome, Permit, Recorded, Refused, State, Transition};
use crate::time::{bit_length, low_mask, Horizon, Tick};

const KIND_BITS: u32 = 3;
const GEN_SHIFT: u32 = KIND_BITS;
pub(super) const GEN_BITS: u32 = 6;
const PAYLOAD_SHIFT: u32 = GEN_SHIFT + GEN_BITS;
const COUNT_BITS: u32 = 5;
const CLASS_BITS: u32 = 5;

const CLOSED: u32 = 0;
const OPEN: u32 = 1;
const HALF_OPEN: u32 = 2;
const FORCED_OPEN: u32 = 3;
const DISABLED: u32 = 4;
const OPEN_UNTIL: u32 = 5;

/// A deadline field of the payload: its width and its precision.
#[derive(Clone, Copy)]
pub(super) struct Field {
    bits: u32,
    precision: u32,
}

impl Field {
    pub(super) const fn horizon(self, duration: u32) -> Horizon {
        Horizon::new(duration, self.bits, self.precision)
    }
}

/// OPEN keeps a deadline `open_ticks` ahead: exact up to 2^17 ticks.
pub(super) const OPEN_FIELD: Field = Field {
    bits: 23,
    precision: 18,
};
/// HALF_OPEN keeps its timeout beside two counters: exact up to 2^9 ticks.
pub(super) const HALF_OPEN_FIELD: Field = Field {
    bits: 23 - 2 * COUNT_BITS,
    precision: 10,
};
/// A manual open-for-N keeps N's bit length and the deadline.
const OPEN_UNTIL_FIELD: Field = Field {
    bits: 23 - CLASS_BITS,
    precision: 15,
};

/// A state word, unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Closed {
        failures: u32,
    },
    Open {
        deadline: u32,
    },
    HalfOpen {
        issued: u32,
        successes: u32,
        timeout: u32,
    },
    OpenUntil {
        class: u32,
        deadline: u32,
    },
    ForcedOpen,
    Disabled,
}

/// Unpacks `word` into its generation and phase. Kinds never written (6, 7)
/// read as FORCED_OPEN: an unknown state refuses.
pub(super) const fn decode(word: u32) -> (u32, Phase) {
    let generation = (word >> GEN_SHIFT) & low_mask(GEN_BITS);
    let payload = word >> PAYLOAD_SHIFT;
    let phase = match word & low_mask(KIND_BITS) {
        CLOSED => Phase::Closed { failures: payload },
        OPEN => Phase::Open { deadline: payload },
        HALF_OPEN => Phase::HalfOpen {
            issued: payload & low_mask(COUNT_BITS),
            successes: (payload >> COUNT_BITS) & low_mask(COUNT_BITS),
            timeout: payload >> (2 * COUNT_BITS),
        },
        OPEN_UNTIL => Phase::OpenUntil {
            class: payload & low_mask(CLASS_BITS),
            deadline: payload >> CLASS_BITS,
        },
        DISABLED => Phase::Disabled,
        _ => Phase::ForcedOpen,
    };
    (generation, phase)
}

/// Packs a generation (taken modulo 2^6) and a phase.
pub(super) const fn encode(generation: u32, phase: Phase) -> u32 {
    let (kind, payload) = match phase {
        Phase::Closed { failures } => (CLOSED, failures),
        Phase::Open { deadline } => (OPEN, deadline),
        Phase::HalfOpen {
            issued,
            successes,
            timeout,
        } => (
            HALF_OPEN,
            (issued & low_mask(COUNT_BITS))
                | ((successes & low_mask(COUNT_BITS)) << COUNT_BITS)
                | (timeout << (2 * COUNT_BITS)),
        ),
        Phase::OpenUntil { class, deadline } => (
            OPEN_UNTIL,
            (class & low_mask(CLASS_BITS)) | (deadline << CLASS_BITS),
        ),
        Phase::ForcedOpen => (FORCED_OPEN, 0),
        Phase::Disabled => (DISABLED, 0),
    };
    kind | ((generation & low_mask(GEN_BITS)) << GEN_SHIFT) | (payload << PAYLOAD_SHIFT)
}

const fn next_generation(generation: u32) -> u32 {
    generation.wrapping_add(1) & low_mask(GEN_BITS)
}

/// The state a phase reports, before lazy time-driven changes.
const fn stored_state(phase: Phase) -> State {
    match phase {
        Phase::Closed { .. } => State::Closed,
        Phase::Open { .. } | Phase::OpenUntil { .. } => State::Open,
        Phase::HalfOpen { .. } => State::HalfOpen,
        Phase::ForcedOpen => State::ForcedOpen,
        Phase::Disabled => State::Disabled,
    }
}

/// The deadline of an OPEN or OPEN_UNTIL phase if still pending at `now`.
fn open_pending(phase: Phase, now: Tick, config: &BreakerConfig) -> Option<Tick> {
    match phase {
        Phase::Open { deadline } => config.open.pending(deadline, now),
        Phase::OpenUntil { class, deadline } => open_until_horizon(class).pending(deadline, now),
        _ => None,
    }
}

/// How OPEN_UNTIL keeps a deadline whose duration has bit length `class`.
fn open_until_horizon(class: u32) -> Horizon {
    OPEN_UNTIL_FIELD.horizon(low_mask(class))
}

/// The word after leaving generation `generation` for a fresh OPEN period
/// of `open_ticks` from `now`, and its deadline.
fn reopened(generation: u32, now: Tick, config: &BreakerConfig) -> (u32, Tick) {
    let (deadline, at) = config.open.encode(now, config.settings().open_ticks);
    (
        encode(next_generation(generation), Phase::Open { deadline }),
        at,
    )
}

/// The word after leaving generation `generation` for a manual OPEN lasting
/// `ticks` (≤ 2^31 − 1) from `now`, and its deadline.
fn opened_for(generation: u32, ticks: u32, now: Tick) -> (u32, Tick) {
    let class = bit_length(ticks);
    let (deadline, at) = open_until_horizon(class).encode(now, ticks);
    (
        encode(
            next_generation(generation),
            Phase::OpenUntil { class, deadline },
        ),
        at,
    )
}

fn transition(from: State, to: State) -> Option<Transition> {
    Some(Transition { from, to })
}

/// `acquire(now)`: admit with a permit, or refuse with the tick to retry at.
pub(super) fn acquire(
    word: u32,
    now: Tick,
    config: &BreakerConfig,
) -> (u32, Result<Admitted, Refused>) {
    let (generation, phase) = decode(word);
    let admit = |generation: u32, transition: Option<Transition>| {
        Ok(Admitted {
            permit: Permit::new(generation),
            transition,
        })
    };
    match phase {
        Phase::Closed { .. } | Phase::Disabled => (word, admit(generation, None)),
        Phase::ForcedOpen => (
            word,
            Err(Refused {
                retry_at: None,
                transition: None,
            }),
        ),
        Phase::Open { .. } | Phase::OpenUntil { .. } => match open_pending(phase, now, config) {
            Some(retry_at) => (
                word,
                Err(Refused {
                    retry_at: Some(retry_at),
                    transition: None,
                }),
            ),
            None => {
                let next = next_generation(generation);
                let (timeout, _) = config
                    .half_open
                    .encode(now, config.settings().half_open_timeout_ticks);
                let half_open = Phase::HalfOpen {
                    issued: 1,
                    successes: 0,
                    timeout,
                };
                (
                    encode(next, half_open),
                    admit(next, transition(State::Open, State::HalfOpen)),
                )
            }
        },
        Phase::HalfOpen {
            issued,
            successes,
            timeout,
        } => match config.half_open.pending(timeout, now) {
            None => {
                let (reopened, retry_at) = reopened(generation, now, config);
                let refused = Refused {
                    retry_at: Some(retry_at),
                    transition: transition(State::HalfOpen, State::Open),
                };
                (reopened, Err(refused))
            }
            Some(timeout_at) if issued >= config.settings().half_open_permits => (
                word,
                Err(Refused {
                    retry_at: Some(timeout_at),
                    transition: None,
                }),
            ),
            Some(_) => {
                let more = Phase::HalfOpen {
                    issued: issued.saturating_add(1),
                    successes,
                    timeout,
                };
                (encode(generation, more), admit(generation, None))
            }
        },
    }
}

/// `record(permit, outcome, now)`: count the outcome of an admitted call.
pub(super) fn record(
    word: u32,
    permit: Permit,
    outcome: Outcome,
    now: Tick,
    config: &BreakerConfig,
) -> (u32, Recorded) {
    let (generation, phase) = decode(word);
    let uncounted = Recorded {
        counted: false,
        transition: None,
    };
    if permit.generation() != Some(generation) {
        return (word, uncounted);
    }
    let counted = |next: u32, transition: Option<Transition>| {
        (
            next,
            Recorded {
                counted: true,
                transition,
            },
        )
    };
    let settings = config.settings();
    match (phase, outcome) {
        (Phase::Closed { .. }, Outcome::Success) => {
            counted(encode(generation, Phase::Closed { failures: 0 }), None)
        }
        (Phase::Closed { failures }, Outcome::Failure) => {
            let failures = failures.saturating_add(1);
            if failures >= settings.failure_threshold {
                let (opened, _) = reopened(generation, now, config);
                counted(opened, transition(State::Closed, State::Open))
            } else {
                counted(encode(generation, Phase::Closed { failures }), None)
            }
        }
        (
            Phase::HalfOpen {
                issued,
                successes,
                timeout,
            },
            _,
        ) => {
            if config.half_open.pending(timeout, now).is_none() {
                // Undecided past the timeout: reopen; this outcome is late.
                let (reopened, _) = reopened(generation, now, config);
                return (
                    reopened,
                    Recorded {
                        counted: false,
                        transition: transition(State::HalfOpen, State::Open),
                    },
                );
            }
            match outcome {
                Outcome::Success => {
                    let successes = successes.saturating_add(1);
                    if successes >= settings.success_threshold {
                        let closed =
                            encode(next_generation(generation), Phase::Closed { failures: 0 });
                        counted(closed, transition(State::HalfOpen, State::Closed))
                    } else {
                        let more = Phase::HalfOpen {
                            issued,
                            successes,
                            timeout,
                        };
                        counted(encode(generation, more), None)
                    }
                }
                Outcome::Failure => {
                    let (reopened, _) = reopened(generation, now, config);
                    counted(reopened, transition(State::HalfOpen, State::Open))
                }
                Outcome::Ignored => {
                    let fewer = Phase::HalfOpen {
                        issued: issued.saturating_sub(1),
                        successes,
                        timeout,
                    };
                    (encode(generation, fewer), uncounted)
                }
            }
        }
        _ => (word, uncounted),
    }
}

/// What an `acquire` at `now` would see, without changing anything.
pub(super) fn observe(word: u32, now: Tick, config: &BreakerConfig) -> State {
    let (_, phase) = decode(word);
    match phase {
        Phase::Open { .. } | Phase::OpenUntil { .. } => match open_pending(phase, now, config) {
            Some(_) => State::Open,
            None => State::HalfOpen,
        },
        Phase::HalfOpen { timeout, .. } => match config.half_open.pending(timeout, now) {
            Some(_) => State::HalfOpen,
            None => State::Open,
        },
        _ => stored_state(phase),
    }
}

/// Moves to `target` (FORCED_OPEN, DISABLED or CLOSED) unless already there;
/// reports the change of state, if any.
pub(super) fn override_to(word: u32, target: State) -> (u32, Option<Transition>) {
    let (generation, phase) = decode(word);
    let from = stored_state(phase);
    let phase_to = match target {
        State::ForcedOpen => Phase::ForcedOpen,
        State::Disabled => Phase::Disabled,
        _ => Phase::Closed { failures: 0 },
    };
    if from == target {
        // Reset in CLOSED clears the failure run but issues no new generation.
        return (encode(generation, phase_to), None);
    }
    (
        encode(next_generation(generation), phase_to),
        transition(from, target),
    )
}

/// Opens the breaker for `ticks` from `now`, whatever its state.
pub(super) fn open_for(word: u32, ticks: u32, now: Tick) -> (u32, (Option<Transition>, Tick)) {
    let (generation, phase) = decode(word);
    let from = stored_state(phase);
    let (opened, at) = opened_for(generation, ticks, now);
    let change = if from == State::Open {
        None
    } else {
        transition(from, State::Open)
    };
    (opened, (change, at))
}
