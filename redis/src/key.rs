//! A machine's word under one Redis key, with the word this host saw last.

use crate::local::LocalShare;
use crate::remote::RemoteMachine;
use crate::value::{self, StoredWord};
use crate::Error;

/// One machine (its configuration) over the word under one Redis key,
/// remembering the last word this host saw there, so that a decision
/// usually costs one round trip (a compare-and-set from that word) and a
/// cached refusal none.
///
/// The key is `tickguard:<kind>:<name>` (the machine's snapshot kind byte
/// in hexadecimal); its value names the tickguard release, the kind and
/// the configuration's fingerprint before the word, so processes of
/// another release or configuration are refused ([`crate::Error::Foreign`])
/// instead of misreading it.
///
/// ```
/// use tickguard::breaker::BreakerConfig;
/// use tickguard_redis::RemoteKey;
/// let breaker = RemoteKey::new(BreakerConfig::DEFAULT, "payments")?;
/// assert_eq!(breaker.key(), "tickguard:01:payments");
/// # Ok::<(), tickguard_redis::Error>(())
/// ```
#[derive(Debug)]
pub struct RemoteKey<M: RemoteMachine>
where
    M::Word: StoredWord,
{
    machine: M,
    key: String,
    prefix: String,
    /// The word last seen under the key and the local microsecond it was
    /// seen at.
    seen: Option<(M::Word, u64)>,
    /// The machine decided on while the server cannot be reached.
    share: Option<LocalShare<M>>,
}

impl<M: RemoteMachine> RemoteKey<M>
where
    M::Word: StoredWord,
{
    /// The machine `machine` over the key named `name`;
    /// [`Error::NotOneWord`] for a configuration whose state does not fit
    /// the key's one word ([`RemoteMachine::fits_one_word`]: a windowed
    /// breaker goes through [`crate::RemoteBreaker`]).
    pub fn new(machine: M, name: &str) -> Result<Self, Error> {
        if !machine.fits_one_word() {
            return Err(Error::NotOneWord);
        }
        Ok(Self::unchecked(machine, name))
    }

    /// [`new`](Self::new) without the one-word check: for a machine whose
    /// other words a caller keeps beside it ([`crate::RemoteBreaker`]).
    pub(crate) fn unchecked(machine: M, name: &str) -> Self {
        let prefix = value::prefix(&machine);
        Self {
            key: format!("tickguard:{:02x}:{name}", M::KIND),
            machine,
            prefix,
            seen: None,
            share: None,
        }
    }

    /// Fails open: while the server cannot be reached, decides on `share`
    /// (this process's part of the limit) instead of failing.
    ///
    /// ```
    /// use tickguard::bucket::{BucketConfig, BucketSettings};
    /// use tickguard::time::Duration;
    /// use tickguard_redis::{LocalShare, RemoteKey};
    /// let limit = |capacity| BucketConfig::new(BucketSettings { capacity, tokens: 1, period: Duration::from_ticks(1_000), initial_fill: None });
    /// // Four processes share 100 at once; each may take 25 alone.
    /// let key = RemoteKey::new(limit(100)?, "api")?.fail_open_to(LocalShare::new(limit(25)?));
    /// assert!(key.share().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn fail_open_to(mut self, share: LocalShare<M>) -> Self {
        self.share = Some(share);
        self
    }

    /// The local share this key fails open to, if any.
    ///
    /// ```
    /// use tickguard::budget::BudgetConfig;
    /// let mut key = tickguard_redis::RemoteKey::new(BudgetConfig::DEFAULT, "retries")?;
    /// assert!(key.share().is_none()); // fails closed
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn share(&self) -> Option<&LocalShare<M>> {
        self.share.as_ref()
    }

    /// The Redis key.
    ///
    /// ```
    /// use tickguard::budget::BudgetConfig;
    /// let mut key = tickguard_redis::RemoteKey::new(BudgetConfig::DEFAULT, "retries")?;
    /// assert_eq!(key.key(), "tickguard:03:retries");
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The machine's configuration.
    ///
    /// ```
    /// use tickguard::budget::BudgetConfig;
    /// let mut key = tickguard_redis::RemoteKey::new(BudgetConfig::DEFAULT, "retries")?;
    /// assert_eq!(key.machine().settings(), BudgetConfig::DEFAULT.settings());
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// Forgets the word last seen: the next decision reads the server's.
    ///
    /// ```
    /// use tickguard::budget::BudgetConfig;
    /// let mut key = tickguard_redis::RemoteKey::new(BudgetConfig::DEFAULT, "retries")?;
    /// key.forget(); // the next decision reads the server's word
    /// # Ok::<(), tickguard_redis::Error>(())
    /// ```
    pub fn forget(&mut self) {
        self.seen = None;
    }

    /// The word last seen and the local microsecond it was seen at.
    pub(crate) fn seen(&self) -> Option<(M::Word, u64)> {
        self.seen
    }

    pub(crate) fn saw(&mut self, word: M::Word, local: u64) {
        self.seen = Some((word, local));
    }

    /// The stored value for `word`: `""` (no key) for the fresh word.
    pub(crate) fn encode(&self, word: M::Word) -> String {
        if word == self.machine.fresh() {
            String::new()
        } else {
            value::encode(&self.prefix, word)
        }
    }

    /// The word a stored value holds (`""`: no key, the fresh word), or
    /// `None` for a value that is not this machine's.
    pub(crate) fn decode(&self, stored: &[u8]) -> Option<M::Word> {
        if stored.is_empty() {
            Some(self.machine.fresh())
        } else {
            value::decode(&self.prefix, stored)
        }
    }
}
