//! The local share a key falls back to while the server is unreachable.

use std::cell::Cell;
use std::sync::{Arc, Mutex, PoisonError};
use tickguard::machine::{run, Input, Machine};

/// A machine this process runs on its own while the server cannot be
/// reached (fail open): typically the shared limit's share for one
/// process (a bucket with a capacity and rate divided by the number of
/// processes). Clones share one word, so every thread of the process
/// draws on the same share.
///
/// Its ticks are this host's own monotonic microseconds, not the
/// server's: a call admitted by the server and reported during an outage
/// (or the other way round) is another generation's and counts in neither.
///
/// ```
/// use tickguard::bucket::{self, BucketConfig, BucketSettings};
/// use tickguard::time::{Duration, Instant};
/// use tickguard_redis::LocalShare;
/// let share = LocalShare::new(BucketConfig::new(BucketSettings { capacity: 1, tokens: 1, period: Duration::from_ticks(1_000), initial_fill: None })?);
/// let now = Instant::from_ticks(0);
/// assert!(share.decide(bucket::Acquire { n: 1, now }).is_ok());
/// assert!(share.clone().decide(bucket::Acquire { n: 1, now }).is_err());
/// # Ok::<(), tickguard::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LocalShare<M: Machine> {
    machine: M,
    word: Arc<Mutex<M::Word>>,
}

impl<M: Machine> LocalShare<M> {
    /// A fresh share run by `machine`.
    pub fn new(machine: M) -> Self {
        let word = Arc::new(Mutex::new(machine.fresh()));
        Self { machine, word }
    }

    /// Decides `input` on the share's word.
    pub fn decide<I: Input<M>>(&self, input: I) -> I::Decision {
        // A panic elsewhere while holding the lock left a whole word: use it.
        let mut word = self.word.lock().unwrap_or_else(PoisonError::into_inner);
        let mut held = Cell::new(*word);
        let Ok(decision) = run(&self.machine, input, &mut held);
        *word = held.get();
        decision
    }
}
