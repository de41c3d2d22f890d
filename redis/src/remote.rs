//! Which decisions a host may take from the word it last saw, without a
//! round trip.
//!
//! A decision that writes always goes to the server (a compare-and-set
//! from the word the host last saw). A decision that keeps the word is
//! checked against the server's word too (one round trip that writes
//! nothing), except a **cached refusal**: a refusal from a word the host
//! saw at most [`Options::cached_refusal_max_age`](crate::Options) ago,
//! where the machine's word only moves one way between resets, so the
//! server's current word refuses too:
//!
//! | machine | input | refusals from the cached word | why sound |
//! |---|---|---|---|
//! | token bucket | `bucket::Acquire` | every refusal | the arrival time only grows (until a reset or a key that expired full) |
//! | shaper | `shaper::Schedule` | every refusal | its arrival time only grows |
//! | sliding window | `sliding_window::Acquire` | every refusal | counts in a window only grow |
//! | circuit breaker | `breaker::Acquire` | OPEN before its deadline, FORCED_OPEN | only a manual command leaves OPEN early |
//! | every other input | | none | |
//!
//! A cached refusal is late by at most the cache's age plus a reply's
//! trip: another host's reset (or a breaker's manual close) is seen by then.

use tickguard::breaker::{self, BreakerConfig, State};
use tickguard::bucket::{self, BucketConfig};
use tickguard::budget::{self, BudgetConfig};
use tickguard::fixed_window::{self, FixedWindowConfig};
use tickguard::machine::{Input, Machine};
use tickguard::shaper::{self, ShaperConfig};
use tickguard::sliding_window::{self, SlidingWindowConfig};
use tickguard::snapshot::{config_fingerprint, Format};

/// A machine that can live under a key: its kind and its configuration's
/// fingerprint name its values ([`crate::RemoteKey`]), so a value of
/// another machine or configuration is refused.
///
/// ```
/// use tickguard::breaker::{BreakerConfig, BreakerSettings};
/// use tickguard_redis::RemoteMachine;
/// assert!(BreakerConfig::DEFAULT.fits_one_word());
/// let windowed = BreakerConfig::new(BreakerSettings { failure_rate_per_mille: 500, rate_window: 20, ..BreakerConfig::DEFAULT_SETTINGS }).unwrap();
/// assert!(!windowed.fits_one_word()); // a RemoteBreaker keeps its two words
/// ```
pub trait RemoteMachine: Machine {
    /// The kind byte (the snapshot kind; 0x80 and up for words beside a
    /// machine's own).
    const KIND: u8;

    /// The configuration's fingerprint (the snapshots' CRC-32).
    fn fingerprint(&self) -> u32;

    /// Whether this configuration keeps all its state in the machine's
    /// word (`true`, the default); a breaker with a failure-rate window,
    /// a slow-call rate or a trip rule counts in a second word
    /// ([`crate::RemoteBreaker`] keeps both).
    fn fits_one_word(&self) -> bool {
        true
    }
}

/// Machines whose snapshot format names them.
macro_rules! snapshot_kind {
    ($($machine:ty),+) => {
        $(impl RemoteMachine for $machine {
            const KIND: u8 = <$machine as Format>::KIND;

            fn fingerprint(&self) -> u32 {
                config_fingerprint(self)
            }
        })+
    };
}

snapshot_kind!(
    BucketConfig,
    ShaperConfig,
    SlidingWindowConfig,
    FixedWindowConfig,
    BudgetConfig
);

impl RemoteMachine for BreakerConfig {
    const KIND: u8 = <BreakerConfig as Format>::KIND;

    fn fingerprint(&self) -> u32 {
        config_fingerprint(self)
    }

    fn fits_one_word(&self) -> bool {
        !self.counts_beside_its_word()
    }
}

/// An input that can run over a word in Redis: says which of its
/// decisions stand on a cached word.
///
/// ```
/// use tickguard::bucket::{self, BucketConfig, BucketSettings, Refused};
/// use tickguard::machine::Machine;
/// use tickguard::time::{Duration, Instant};
/// use tickguard_redis::Remote;
/// let config = BucketConfig::new(BucketSettings { capacity: 1, tokens: 1, period: Duration::from_ticks(10), initial_fill: None }).unwrap();
/// let acquire = bucket::Acquire { n: 1, now: Instant::from_ticks(0) };
/// let refused: Result<(), Refused> = Err(Refused::Wait { retry_at: Instant::from_ticks(5) });
/// assert!(acquire.stands_on_cached(&config, config.fresh(), &refused));
/// assert!(!acquire.stands_on_cached(&config, config.fresh(), &Ok(())));
/// ```
pub trait Remote<M: Machine + ?Sized>: Input<M> {
    /// Whether `decision`, which this input's step made from the cached
    /// `word` without writing, is one the server's current word makes too
    /// (`false`, the default: check with the server).
    fn stands_on_cached(&self, machine: &M, word: M::Word, decision: &Self::Decision) -> bool {
        let _ = (machine, word, decision);
        false
    }
}

impl Remote<BucketConfig> for bucket::Acquire {
    fn stands_on_cached(&self, _: &BucketConfig, _: u128, decision: &Self::Decision) -> bool {
        decision.is_err()
    }
}

impl Remote<ShaperConfig> for shaper::Schedule {
    fn stands_on_cached(&self, _: &ShaperConfig, _: u128, decision: &Self::Decision) -> bool {
        decision.is_err()
    }
}

impl Remote<SlidingWindowConfig> for sliding_window::Acquire {
    fn stands_on_cached(
        &self,
        _: &SlidingWindowConfig,
        _: <SlidingWindowConfig as Machine>::Word,
        decision: &Self::Decision,
    ) -> bool {
        decision.is_err()
    }
}

impl Remote<BreakerConfig> for breaker::Acquire {
    fn stands_on_cached(
        &self,
        config: &BreakerConfig,
        word: u128,
        decision: &Self::Decision,
    ) -> bool {
        let observed = breaker::Observe { now: self.now }.step(config, word);
        decision.is_err() && matches!(observed.decision(), State::Open | State::ForcedOpen)
    }
}

/// Inputs whose every decision is checked with the server.
macro_rules! checked {
    ($($machine:ty: $($input:ty),+;)+) => {
        $($(impl Remote<$machine> for $input {})+)+
    };
}

checked! {
    BucketConfig: bucket::Available;
    BreakerConfig: breaker::Record, breaker::Observe, breaker::Inspect,
        breaker::ForceOpen, breaker::Disable, breaker::Reset, breaker::OpenFor;
    BudgetConfig: budget::RecordFailure, budget::RecordSuccess, budget::RetryAllowed;
    SlidingWindowConfig: sliding_window::Available;
    FixedWindowConfig: fixed_window::Acquire, fixed_window::Remaining, fixed_window::TakeMissed;
}
