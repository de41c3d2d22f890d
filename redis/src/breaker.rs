//! A circuit breaker whose state, and failure-rate window where it has
//! one, live under keys: [`RemoteBreaker`].

use crate::key::RemoteKey;
use crate::remote::{Remote, RemoteMachine};
use crate::store::{Error, Store};
use tickguard::breaker::{
    self, Admitted, BreakerConfig, Count, FailureWindow, Outcome, Permit, Recorded, Refused, Trips,
};
use tickguard::machine::{Input, Machine, Step};
use tickguard::snapshot::{config_fingerprint, Format};
use tickguard::time::Instant;

/// A breaker's failure-rate window ([`FailureWindow`]) as a machine of its
/// own configuration, so that its word can live under a key of its own.
///
/// ```
/// use tickguard::breaker::{BreakerConfig, FailureWindow};
/// use tickguard::machine::Machine;
/// use tickguard_redis::{BreakerWindow, RemoteMachine};
/// let window = BreakerWindow(BreakerConfig::DEFAULT);
/// assert_eq!(window.fresh(), FailureWindow(&BreakerConfig::DEFAULT).fresh());
/// assert_eq!(BreakerWindow::KIND, 0x81);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BreakerWindow(pub BreakerConfig);

impl Machine for BreakerWindow {
    type Word = u128;

    fn fresh(&self) -> u128 {
        FailureWindow(&self.0).fresh()
    }
}

impl RemoteMachine for BreakerWindow {
    /// The breaker's kind with the top bit set: a word beside a breaker.
    const KIND: u8 = 0x80 | <BreakerConfig as Format>::KIND;

    fn fingerprint(&self) -> u32 {
        config_fingerprint(&self.0)
    }
}

/// An outcome counted in the window against the breaker's state word
/// ([`Count`]), which the window's compare-and-set requires unchanged.
#[derive(Clone, Copy, Debug)]
struct WindowCount {
    permit: Permit,
    outcome: Outcome,
    now: Instant,
    state: u128,
}

impl Input<BreakerWindow> for WindowCount {
    type Decision = Trips;

    fn step(&self, window: &BreakerWindow, word: u128) -> Step<u128, Trips> {
        let count = Count {
            permit: self.permit,
            outcome: self.outcome,
            now: self.now,
            state: self.state,
        };
        count.step(&FailureWindow(&window.0), word)
    }
}

impl Remote<BreakerWindow> for WindowCount {}

/// A circuit breaker shared through Redis, any configuration: its state
/// word under `tickguard:01:{name}` and, with a failure-rate window, a
/// slow-call rate or a trip rule, its window word under
/// `tickguard:81:{name}` (one hash slot: the braces are a Redis Cluster
/// hash tag).
///
/// A report counts in the window first, with a compare-and-set that holds
/// only while the state word is the one the count read (one round trip,
/// both keys checked by the script), then records in the state word with
/// what the window decided, as [`tickguard::breaker::Breaker::record`]
/// does with its two words: no outcome of one generation counts in
/// another, and each transition is reported to one caller.
///
/// ```no_run
/// use tickguard::breaker::{BreakerConfig, BreakerSettings, Outcome};
/// use tickguard::time::Duration;
/// use tickguard_redis::{Options, RemoteBreaker, Store};
/// // Half of the last 20 calls failing (10 at least) opens it for 5 s.
/// let config = BreakerConfig::new(BreakerSettings {
///     failure_threshold: 0,
///     failure_rate_per_mille: 500,
///     rate_window: 20,
///     minimum_calls: 10,
///     open: Duration::from_ticks(5_000_000),
///     ..BreakerConfig::DEFAULT_SETTINGS
/// })?;
/// let mut store = Store::connect("redis://127.0.0.1:6379/", Options::default())?;
/// let mut payments = RemoteBreaker::new(config, "payments");
/// if let Ok(admitted) = payments.acquire(&mut store)? {
///     let outcome = Outcome::Success; // the call's
///     let recorded = payments.record(&mut store, admitted.permit, outcome)?;
///     if let Some(change) = recorded.transition {
///         println!("{:?} -> {:?}", change.from, change.to);
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RemoteBreaker {
    state: RemoteKey<BreakerConfig>,
    window: Option<RemoteKey<BreakerWindow>>,
}

impl RemoteBreaker {
    /// The breaker `config` over the keys named by `name`.
    ///
    /// ```
    /// use tickguard::breaker::BreakerConfig;
    /// let mut breaker = tickguard_redis::RemoteBreaker::new(BreakerConfig::DEFAULT, "payments");
    /// assert_eq!(breaker.state().key(), "tickguard:01:{payments}");
    /// ```
    pub fn new(config: BreakerConfig, name: &str) -> Self {
        let tag = format!("{{{name}}}");
        let window =
            (!config.fits_one_word()).then(|| RemoteKey::unchecked(BreakerWindow(config), &tag));
        Self {
            state: RemoteKey::unchecked(config, &tag),
            window,
        }
    }

    /// Asks to make a call (one round trip: a check, or a compare-and-set
    /// when the state changes; none for an OPEN refusal from the cached
    /// word).
    pub fn acquire(&mut self, store: &mut Store) -> Result<Result<Admitted, Refused>, Error> {
        store.decide(&mut self.state, |now| breaker::Acquire { now })
    }

    /// Reports the outcome of the call `permit` admitted: one round trip
    /// for the state word, and one more for the window word where there
    /// is one.
    pub fn record(
        &mut self,
        store: &mut Store,
        permit: Permit,
        outcome: Outcome,
    ) -> Result<Recorded, Error> {
        let trips = match &mut self.window {
            None => Trips::NONE,
            Some(window) => {
                store.decide_guarded(window, &mut self.state, |now, state| WindowCount {
                    permit,
                    outcome,
                    now,
                    state,
                })?
            }
        };
        store.decide(&mut self.state, |now| breaker::Record {
            permit,
            outcome,
            now,
            trips,
        })
    }

    /// The state word's key, for the other inputs (`breaker::Observe`,
    /// `breaker::Inspect`, manual commands) through [`Store::decide`].
    pub fn state(&mut self) -> &mut RemoteKey<BreakerConfig> {
        &mut self.state
    }
}
