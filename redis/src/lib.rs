//! tickguard's machines over a word kept in Redis or Valkey: many processes
//! on many hosts share one limit or one breaker, decided by the same code
//! that decides on a local atomic.
//!
//! A [`Store`] is one connection; a [`RemoteKey`] is one machine (its
//! configuration) over the word under one key; a [`RemoteBreaker`] is a
//! breaker of any configuration over its state key and, with a
//! failure-rate window, a window key beside it. [`Store::decide`] runs any
//! of the machine's inputs ([`tickguard::machine::Input`]) through one
//! compare-and-set script ([`SCRIPT`]), which works on servers that allow
//! no modules (managed Redis, Valkey).
//!
//! # Round trips
//!
//! The host keeps the last word it saw under each key and steps from it: a
//! decision that writes is one compare-and-set from that word, and a
//! conflict (another host moved the word) returns the server's word in the
//! same reply, to step again (at most [`Options::max_round_trips`] in all).
//! A decision that keeps the word is checked with the server (one round
//! trip that writes nothing), except a cached refusal where the machine's
//! word only moves one way ([`Remote`]): that costs no round trip.
//!
//! # Time
//!
//! Monotonic ticks of different hosts are not comparable, and wall clocks
//! drift apart. The one clock is the server's: a tick is a microsecond of
//! the server's `TIME`, which every reply carries. Between replies a host
//! estimates it from its own monotonic clock (the server's time heard
//! last, plus the local time since), which lags the server by at most a
//! reply's trip; a lagging `now` is covered by tickguard's stale-`now` rule
//! (it can refuse, never admit more). The script refuses a tick ahead of
//! the server's clock (a host whose clock runs fast) and hands back the
//! server's time, so no host decides in the server's future. A host's
//! clock being seconds ahead or behind changes nothing; configure every
//! duration in microseconds.
//!
//! # Keys
//!
//! The key names the machine's kind; the value names the tickguard release,
//! the kind and the configuration's fingerprint before the word, so a word
//! of another type, release or configuration (or garbage, or a key of
//! another Redis type) is refused with [`Error::Foreign`] and never
//! overwritten. A word that settles back to the fresh one by itself (a
//! token bucket back at full capacity, [`tickguard::machine::Machine::settles_at`])
//! is written with an expiry [`Options::idle_expiry`] after that tick, so
//! idle keys leave the server;
//! the fresh word itself is stored as no key.
//!
//! # When the server is slow or down
//!
//! Every connect, send and reply has a timeout ([`Options::timeout`]); a
//! decision never waits longer than its round trips' timeouts, and never
//! panics. Around the server sits tickguard's own circuit breaker
//! ([`Options::outage_failures`] failed decisions in a row open it for
//! [`Options::outage_open`]): while it is open no round trip is tried,
//! and a trial decision after the open period finds out whether the
//! server is back. Each key then follows its policy:
//!
//! * **fail closed** (the default): the decision is an error
//!   ([`Error::Store`], or [`Error::Unavailable`] while the breaker is
//!   open), which the caller treats as a refusal;
//! * **fail open to a local share** ([`RemoteKey::fail_open_to`]): the
//!   decision is made on a machine this process runs alone ([`LocalShare`]),
//!   configured with the share of the limit one process may use (a bucket
//!   of a capacity and rate divided by the number of processes), so N
//!   processes cut off together stay within the shared bound.
//!
//! [`Store::last_source`] says where the last decision came from.

mod breaker;
mod clock;
mod key;
mod local;
mod remote;
mod store;
mod value;

pub use breaker::{BreakerWindow, RemoteBreaker};
pub use clock::{LocalClock, Monotonic};
pub use key::RemoteKey;
pub use local::LocalShare;
pub use remote::{Remote, RemoteMachine};
pub use store::{Error, Options, Source, Store, SCRIPT};
pub use value::StoredWord;
