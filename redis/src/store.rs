//! The connection, the script and the decision loop.

use crate::clock::{LocalClock, Monotonic, ServerClock};
use crate::key::RemoteKey;
use crate::remote::Remote;
use crate::remote::RemoteMachine;
use crate::value::StoredWord;
use std::time::Duration as StdDuration;
use tickguard::breaker::{Breaker, BreakerConfig, BreakerSettings, Outcome};
use tickguard::machine::{Input, Step};
use tickguard::time::{Duration, Instant};

/// The compare-and-set script, loaded once per connection (`SCRIPT LOAD`)
/// and run by its digest (`EVALSHA`), loaded again on `NOSCRIPT`.
pub const SCRIPT: &str = include_str!("cas.lua");

/// How a [`Store`] talks to the server.
///
/// ```
/// let options = tickguard_redis::Options::default();
/// assert_eq!(options.timeout, std::time::Duration::from_millis(50));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The longest a connect, a send or a reply may take before the call
    /// fails with [`Error::Store`] (and the connection is dropped, to be
    /// made again by the next call).
    pub timeout: StdDuration,
    /// Round trips one decision may take (conflicts with other hosts and
    /// clock corrections each cost one) before [`Error::Contended`].
    pub max_round_trips: u32,
    /// How old a cached word may be for a refusal decided from it without
    /// a round trip (see [`Remote`]); zero turns cached refusals off.
    pub cached_refusal_max_age: StdDuration,
    /// Decisions in a row that fail to reach the server (a timeout, a lost
    /// connection) before the store stops trying for
    /// [`outage_open`](Self::outage_open) (1 or more).
    pub outage_failures: u32,
    /// How long the store stops trying after
    /// [`outage_failures`](Self::outage_failures); then one decision tries
    /// the server again.
    pub outage_open: StdDuration,
    /// How long after its word settles back to the fresh one (a full
    /// bucket, a clean CLOSED breaker) a key expires: long enough that a
    /// key in use is not deleted between two decisions (which would cost a
    /// conflict), short enough that idle keys leave the server.
    pub idle_expiry: StdDuration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: StdDuration::from_millis(50),
            max_round_trips: 16,
            cached_refusal_max_age: StdDuration::from_millis(100),
            outage_failures: 3,
            outage_open: StdDuration::from_secs(1),
            idle_expiry: StdDuration::from_secs(1),
        }
    }
}

/// Why a decision was not made. Nothing is ever decided from a word the
/// server did not confirm, except a cached refusal ([`Remote`]).
#[derive(Debug)]
pub enum Error {
    /// The server could not be reached or answered with an error (a
    /// timeout, a lost connection, a refused command).
    Store(redis::RedisError),
    /// The key holds something that is not this machine's word: another
    /// Redis type, another machine, another configuration or release, or
    /// garbage. Nothing was written.
    Foreign,
    /// Other hosts changed the word (or the clock needed correcting) on
    /// every one of [`Options::max_round_trips`] round trips.
    Contended,
    /// The server failed [`Options::outage_failures`] decisions in a row:
    /// no round trip is tried until [`Options::outage_open`] has passed.
    Unavailable,
    /// The configuration keeps state beside its word, which a key does not
    /// hold ([`RemoteMachine::fits_one_word`](crate::RemoteMachine::fits_one_word)).
    NotOneWord,
    /// The [`Options`] are out of range (a zero `outage_failures` or
    /// `outage_open`, or one too long).
    Options(tickguard::ConfigError),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Store(error) => write!(f, "store: {error}"),
            Self::Foreign => f.write_str("the key holds another machine's value"),
            Self::Contended => f.write_str("the word kept changing"),
            Self::Unavailable => f.write_str("the server is unavailable"),
            Self::NotOneWord => f.write_str("the configuration keeps state beside its word"),
            Self::Options(error) => write!(f, "options: {error}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<redis::RedisError> for Error {
    fn from(error: redis::RedisError) -> Self {
        if error.code() == Some("WRONGTYPE") || error.to_string().contains("WRONGTYPE") {
            Self::Foreign
        } else {
            Self::Store(error)
        }
    }
}

/// Where a decision came from ([`Store::last_source`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The server's word, through a round trip.
    Server,
    /// A cached refusal: the word last seen, no round trip ([`Remote`]).
    Cache,
    /// The key's local share, the server being unreachable
    /// ([`RemoteKey::fail_open_to`]).
    Local,
}

/// What the script answered.
enum Reply {
    /// Loaded this value, or the check or compare-and-set held.
    Done(Vec<u8>),
    /// The key holds this other value.
    Other(Vec<u8>),
    /// Our tick led the server's clock.
    Ahead,
    /// The guard key (`cas2`) holds this other value.
    Guard(Vec<u8>),
}

/// One connection to a Redis or Valkey server, deciding for any number of
/// [`RemoteKey`]s through one script. One per thread: it is `Send`, and
/// each decision borrows it mutably.
///
/// ```no_run
/// use tickguard::bucket::{self, BucketConfig, BucketSettings};
/// use tickguard::time::Duration;
/// use tickguard_redis::{Options, RemoteKey, Store};
///
/// // Ticks are the server's microseconds: 100 calls per second, 20 at once.
/// let config = BucketConfig::new(BucketSettings {
///     capacity: 20,
///     tokens: 1,
///     period: Duration::from_ticks(10_000),
///     initial_fill: None,
/// })?;
/// let mut store = Store::connect("redis://127.0.0.1:6379/", Options::default())?;
/// let mut limit = RemoteKey::new(config, "api")?;
/// match store.decide(&mut limit, |now| bucket::Acquire { n: 1, now })? {
///     Ok(()) => println!("call"),
///     Err(refused) => println!("{refused}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Store {
    client: redis::Client,
    connection: Option<redis::Connection>,
    digest: Option<String>,
    clock: ServerClock,
    options: Options,
    round_trips: u64,
    corrections: u64,
    heard: Option<Instant>,
    /// Tickguard's own breaker around the server, on local ticks.
    outage: Breaker<BreakerConfig>,
    source: Source,
}

impl core::fmt::Debug for Store {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("options", &self.options)
            .field("round_trips", &self.round_trips)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store for the server at `url` (`redis://host:port/db`), connecting
    /// on the first decision.
    ///
    /// ```
    /// let store = tickguard_redis::Store::connect("redis://127.0.0.1:1/", Default::default());
    /// assert!(store.is_ok()); // nothing is contacted yet
    /// ```
    pub fn connect(url: &str, options: Options) -> Result<Self, Error> {
        Self::with_clock(url, options, Box::new(Monotonic::new()))
    }

    /// [`connect`](Self::connect) reading this host's time from `local`.
    ///
    /// ```
    /// use tickguard_redis::{Monotonic, Options, Store};
    /// let store = Store::with_clock("redis://127.0.0.1:1/", Options::default(), Box::new(Monotonic::new()))?;
    /// assert_eq!(store.now(), None);
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn with_clock(
        url: &str,
        options: Options,
        local: Box<dyn LocalClock>,
    ) -> Result<Self, Error> {
        let open = Duration::from_ticks(micros(options.outage_open));
        let outage = BreakerConfig::new(BreakerSettings {
            failure_threshold: options.outage_failures,
            open,
            half_open_permits: 1,
            success_threshold: 1,
            half_open_timeout: open,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .map_err(Error::Options)?;
        Ok(Self {
            client: redis::Client::open(url)?,
            connection: None,
            digest: None,
            clock: ServerClock::new(local),
            options,
            round_trips: 0,
            corrections: 0,
            heard: None,
            outage: Breaker::new(outage),
            source: Source::Server,
        })
    }

    /// Round trips made so far (script calls, including loads of the
    /// script), for tests and metrics.
    ///
    /// ```
    /// let store = tickguard_redis::Store::connect("redis://127.0.0.1:1/", Default::default())?;
    /// assert_eq!(store.round_trips(), 0); // nothing asked yet
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// The server's time as this host estimates it (microsecond ticks),
    /// once a reply has told it; never ahead of the server's while the
    /// clocks run at the same rate.
    ///
    /// ```
    /// let store = tickguard_redis::Store::connect("redis://127.0.0.1:1/", Default::default())?;
    /// assert_eq!(store.now(), None); // nothing asked yet
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn now(&self) -> Option<Instant> {
        self.clock.now()
    }

    /// Times the server refused a tick of this host's as ahead of its
    /// clock (a local clock running fast), each costing a round trip.
    ///
    /// ```
    /// let store = tickguard_redis::Store::connect("redis://127.0.0.1:1/", Default::default())?;
    /// assert_eq!(store.clock_corrections(), 0); // nothing asked yet
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn clock_corrections(&self) -> u64 {
        self.corrections
    }

    /// The server's time in the last reply: for a decision that made a
    /// round trip, the tick the server decided at (its place among all
    /// hosts' decisions, which the server runs one at a time).
    ///
    /// ```
    /// let store = tickguard_redis::Store::connect("redis://127.0.0.1:1/", Default::default())?;
    /// assert_eq!(store.last_heard(), None); // nothing asked yet
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn last_heard(&self) -> Option<Instant> {
        self.heard
    }

    /// Where the last decision came from.
    ///
    /// ```
    /// let store = tickguard_redis::Store::connect("redis://127.0.0.1:1/", Default::default())?;
    /// assert_eq!(store.last_source(), tickguard_redis::Source::Server); // nothing asked yet
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn last_source(&self) -> Source {
        self.source
    }

    /// The options.
    ///
    /// ```
    /// let store = tickguard_redis::Store::connect("redis://127.0.0.1:1/", Default::default())?;
    /// assert_eq!(store.options().max_round_trips, 16); // nothing asked yet
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Decides `input` (made for the server's time `now`) on the machine
    /// under `key`, as [`tickguard::machine::run`] does on a local word:
    /// one round trip in the common case, none for a cached refusal.
    ///
    /// The step runs here, on the word last seen; a step that writes
    /// compare-and-sets its word from the one it stepped from, a step that
    /// keeps the word checks that it is still the server's. On a conflict
    /// the reply carries the server's word and the step runs again.
    ///
    /// While the server cannot be reached the decision is an error, or,
    /// for a key that fails open, made on its [`LocalShare`](crate::LocalShare)
    /// at this host's own tick.
    pub fn decide<M, I>(
        &mut self,
        key: &mut RemoteKey<M>,
        mut input: impl FnMut(Instant) -> I,
    ) -> Result<I::Decision, Error>
    where
        M: RemoteMachine,
        M::Word: StoredWord,
        I: Remote<M>,
    {
        let result = self.through_outage_breaker(|store| store.decide_on_server(key, &mut input));
        match (result, key.share()) {
            (Err(Error::Store(_) | Error::Unavailable), Some(share)) => {
                self.source = Source::Local;
                Ok(share.decide(input(self.local_tick())))
            }
            (result, _) => result,
        }
    }

    /// Runs `attempt` on the server unless tickguard's own breaker around
    /// it is open ([`Error::Unavailable`]), and reports to that breaker
    /// whether the server answered.
    fn through_outage_breaker<T>(
        &mut self,
        attempt: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let Ok(admitted) = self.outage.acquire(self.local_tick()) else {
            return Err(Error::Unavailable);
        };
        let result = attempt(self);
        let outcome = match result {
            Err(Error::Store(_)) => Outcome::Failure,
            _ => Outcome::Success,
        };
        let _ = self
            .outage
            .record(admitted.permit, outcome, self.local_tick());
        result
    }

    /// Steps `input` (made for the server's time and the word under
    /// `guard`) on the word under `key`, and compare-and-sets it only
    /// while `guard` still holds the word the step read, in one round
    /// trip (`cas2`): a breaker's failure-rate window counted against its
    /// state. A step that keeps the word is checked the same way. Fails
    /// closed (no local share).
    pub(crate) fn decide_guarded<M, G, I>(
        &mut self,
        key: &mut RemoteKey<M>,
        guard: &mut RemoteKey<G>,
        mut input: impl FnMut(Instant, G::Word) -> I,
    ) -> Result<I::Decision, Error>
    where
        M: RemoteMachine,
        M::Word: StoredWord,
        G: RemoteMachine,
        G::Word: StoredWord,
        I: Input<M>,
    {
        self.through_outage_breaker(|store| {
            store.source = Source::Server;
            let mut word = match key.seen() {
                Some((word, _)) => word,
                None => store.load(key)?,
            };
            let mut guarded = match guard.seen() {
                Some((word, _)) => word,
                None => store.load(guard)?,
            };
            for _ in 0..store.options.max_round_trips {
                let Some(now) = store.clock.now() else {
                    word = store.load(key)?;
                    continue;
                };
                let (next, decision) = match input(now, guarded).step(key.machine(), word) {
                    Step::Keep(decision) => (word, decision),
                    Step::Write(next, decision) => (next, decision),
                };
                let guarded_value = guard.encode(guarded);
                let reply = store.compare_and_set(
                    key,
                    word,
                    next,
                    now,
                    Some((guard.key(), &guarded_value)),
                )?;
                match reply {
                    Reply::Done(_) => {
                        let local = store.clock.local();
                        key.saw(next, local);
                        guard.saw(guarded, local);
                        return Ok(decision);
                    }
                    Reply::Other(found) => word = store.decoded(key, &found)?,
                    Reply::Guard(found) => guarded = store.decoded(guard, &found)?,
                    Reply::Ahead => {}
                }
            }
            Err(Error::Contended)
        })
    }

    /// Compare-and-sets `key` from `word` to `next` (expiring when `next`
    /// settles) at `now`, while `guard`'s key holds its value if there is
    /// one (`cas` or `cas2`): one round trip.
    fn compare_and_set<M: RemoteMachine>(
        &mut self,
        key: &RemoteKey<M>,
        word: M::Word,
        next: M::Word,
        now: Instant,
        guard: Option<(&str, &str)>,
    ) -> Result<Reply, Error>
    where
        M::Word: StoredWord,
    {
        let expires = expiry(
            key.machine().settles_at(next),
            now,
            micros(self.options.idle_expiry),
        );
        let (from, to, tick) = (key.encode(word), key.encode(next), now.ticks().to_string());
        match guard {
            None => self.script(&[key.key()], &["cas", &from, &to, &tick, &expires]),
            Some((guard_key, held)) => self.script(
                &[key.key(), guard_key],
                &["cas2", &from, &to, &tick, &expires, held],
            ),
        }
    }

    fn local_tick(&self) -> Instant {
        Instant::from_ticks(self.clock.local())
    }

    fn decide_on_server<M, I>(
        &mut self,
        key: &mut RemoteKey<M>,
        input: &mut impl FnMut(Instant) -> I,
    ) -> Result<I::Decision, Error>
    where
        M: RemoteMachine,
        M::Word: StoredWord,
        I: Remote<M>,
    {
        self.source = Source::Server;
        // Step from the word last seen (a compare-and-set or a check
        // confirms it); only a refusal taken from it unconfirmed must be
        // young enough.
        let max_age = micros(self.options.cached_refusal_max_age);
        let grace = micros(self.options.idle_expiry);
        let (mut word, mut confirmed, young) = match (key.seen(), self.clock.now()) {
            (Some((word, at)), Some(now)) => {
                let age = self.clock.local().saturating_sub(at);
                (
                    settled(key, word, now, grace),
                    false,
                    max_age > 0 && age <= max_age,
                )
            }
            _ => (self.load(key)?, true, false),
        };
        for _ in 0..self.options.max_round_trips {
            let Some(now) = self.clock.now() else {
                word = self.load(key)?;
                confirmed = true;
                continue;
            };
            let input = input(now);
            let reply = match input.step(key.machine(), word) {
                Step::Keep(decision) => {
                    if confirmed {
                        return Ok(decision);
                    }
                    if young && input.stands_on_cached(key.machine(), word, &decision) {
                        self.source = Source::Cache;
                        return Ok(decision);
                    }
                    match self.script(&[key.key()], &["check", &key.encode(word)])? {
                        Reply::Done(_) => {
                            key.saw(word, self.clock.local());
                            return Ok(decision);
                        }
                        reply => reply,
                    }
                }
                Step::Write(next, decision) => {
                    let reply = self.compare_and_set(key, word, next, now, None)?;
                    if let Reply::Done(_) = reply {
                        key.saw(next, self.clock.local());
                        return Ok(decision);
                    }
                    reply
                }
            };
            if let Reply::Other(found) = reply {
                word = self.decoded(key, &found)?;
                confirmed = true;
            }
        }
        Err(Error::Contended)
    }

    /// The server's word under `key` (one round trip).
    fn load<M: RemoteMachine>(&mut self, key: &mut RemoteKey<M>) -> Result<M::Word, Error>
    where
        M::Word: StoredWord,
    {
        match self.script(&[key.key()], &["load"])? {
            Reply::Done(stored) | Reply::Other(stored) => self.decoded(key, &stored),
            Reply::Ahead | Reply::Guard(_) => Err(Error::Contended),
        }
    }

    fn decoded<M: RemoteMachine>(
        &mut self,
        key: &mut RemoteKey<M>,
        stored: &[u8],
    ) -> Result<M::Word, Error>
    where
        M::Word: StoredWord,
    {
        match key.decode(stored) {
            Some(word) => {
                key.saw(word, self.clock.local());
                Ok(word)
            }
            None => {
                key.forget();
                Err(Error::Foreign)
            }
        }
    }

    /// Runs the script on `key` with `args`, loading it first if the
    /// server does not have it; learns the server's time from the reply.
    fn script(&mut self, keys: &[&str], args: &[&str]) -> Result<Reply, Error> {
        let result = self.try_script(keys, args);
        if let Err(Error::Store(error)) = &result {
            if error.is_io_error()
                || error.is_timeout()
                || error.is_connection_dropped()
                || error.is_unrecoverable_error()
            {
                // The next call connects again rather than read a reply
                // meant for this one.
                self.connection = None;
            }
        }
        result
    }

    fn try_script(&mut self, keys: &[&str], args: &[&str]) -> Result<Reply, Error> {
        let timeout = self.options.timeout;
        if self.connection.is_none() {
            let connection = self.client.get_connection_with_timeout(timeout)?;
            connection.set_read_timeout(Some(timeout))?;
            connection.set_write_timeout(Some(timeout))?;
            self.connection = Some(connection);
            self.digest = None;
        }
        let Some(connection) = self.connection.as_mut() else {
            return Err(Error::Contended);
        };
        for _ in 0..2 {
            let digest = match &self.digest {
                Some(digest) => digest.clone(),
                None => {
                    self.round_trips += 1;
                    let digest: String = redis::cmd("SCRIPT")
                        .arg("LOAD")
                        .arg(SCRIPT)
                        .query(connection)?;
                    self.digest = Some(digest.clone());
                    digest
                }
            };
            self.round_trips += 1;
            let reply: Result<(i64, Vec<u8>, u64, u64), _> = redis::cmd("EVALSHA")
                .arg(&digest)
                .arg(keys.len())
                .arg(keys)
                .arg(args)
                .query(connection);
            let (status, stored, seconds, micros) = match reply {
                Ok(reply) => reply,
                Err(error) if error.kind() == redis::ErrorKind::NoScriptError => {
                    self.digest = None;
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            let server = seconds.saturating_mul(1_000_000).saturating_add(micros);
            let local = self.clock.local();
            self.clock.heard(server, local, status == 2);
            self.heard = Some(Instant::from_ticks(server));
            if status == 2 {
                self.corrections += 1;
            }
            return Ok(match status {
                0 => Reply::Done(stored),
                1 => Reply::Other(stored),
                3 => Reply::Guard(stored),
                _ => Reply::Ahead,
            });
        }
        Err(Error::Contended)
    }
}

/// How long after its key's expiry a word is surely gone: the expiry's
/// rounding (up to 2 ms, [`expiry`]) and a margin for the writer's lag
/// behind the server's clock.
const EXPIRED_AFTER: u64 = 5_000;

/// The word to step from when the word last seen is `word`: the fresh word
/// (no key) once `word` settled and its key expired (`grace`
/// microseconds after it settled) long enough ago, so the compare-and-set
/// expects no key rather than meet a conflict; a wrong guess costs that
/// one conflict, never a wrong decision.
fn settled<M: RemoteMachine>(key: &RemoteKey<M>, word: M::Word, now: Instant, grace: u64) -> M::Word
where
    M::Word: StoredWord,
{
    match key.machine().settles_at(word) {
        Some(at)
            if now.ticks()
                >= at
                    .ticks()
                    .saturating_add(grace)
                    .saturating_add(EXPIRED_AFTER) =>
        {
            key.machine().fresh()
        }
        _ => word,
    }
}

/// Milliseconds until a word that settles at `settles` (as good as absent)
/// expires, written at `now`, `grace` microseconds after it settles: "0"
/// (never) for a word that does not settle by itself; at least 1.
fn expiry(settles: Option<Instant>, now: Instant, grace: u64) -> String {
    match settles {
        None => "0".to_owned(),
        Some(at) => {
            let micros = at.ticks().saturating_add(grace).saturating_sub(now.ticks());
            // Rounded up, plus a millisecond for the expiry's own
            // resolution: a key never expires before its word settles.
            (micros.div_ceil(1_000).saturating_add(1)).to_string()
        }
    }
}

fn micros(duration: StdDuration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_never_early() {
        let now = Instant::from_ticks(10_000);
        assert_eq!(expiry(None, now, 0), "0");
        assert_eq!(expiry(Some(Instant::from_ticks(10_000)), now, 0), "1");
        assert_eq!(expiry(Some(Instant::from_ticks(5)), now, 0), "1");
        assert_eq!(expiry(Some(Instant::from_ticks(10_001)), now, 0), "2");
        assert_eq!(expiry(Some(Instant::from_ticks(12_000)), now, 0), "3");
        assert_eq!(
            expiry(Some(Instant::from_ticks(12_000)), now, 1_000_000),
            "1003"
        );
        assert_eq!(expiry(None, now, 1_000_000), "0");
    }
}
