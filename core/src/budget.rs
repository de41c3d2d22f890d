//! A retry budget shared by all callers, so that during an outage retries
//! cannot multiply the load: gRPC's retry throttling, in one 64-bit atomic
//! word.
//!
//! The budget holds tokens, in thousandths, starting at `max_tokens`. Every
//! failed call withdraws one token; every successful call deposits
//! `token_ratio` (thousandths of a token, so 100 is gRPC's 0.1). Retries are
//! allowed only while more than half the tokens remain. With a ratio r, a
//! sustained outage stops retries after about `max_tokens / 2` failures, and
//! while the budget is below half, at most one retry is made per 1/r
//! successful calls: retries add at most a fraction r to the load.
//!
//! The word only ever holds `0..=max_tokens × 1000`. Reports are one
//! compare-and-swap (the crate's one driver, [`crate::machine`]) and skip the write
//! when the word would not change (empty and failing, full and succeeding);
//! [`RetryBudget::allows_retry`] only reads. Lock-free where the target has a
//! 64-bit CAS (every 64-bit host); an interrupt-masked critical section
//! elsewhere; safe from interrupt handlers.
//!
//! Finagle's `RetryBudget` (retries as a percentage of the requests of the
//! last TTL, plus a floor per second) is not offered: it needs the deposits
//! of a sliding window of time, a ring of per-interval counters, which does
//! not fit one word.
//!
//! ```
//! # use tickguard::budget::BudgetSettings;
//! use tickguard::budget::{BudgetConfig, RetryBudget};
//!
//! // gRPC's example: 10 tokens, 0.1 token back per success.
//! static CONFIG: BudgetConfig = match BudgetConfig::new(BudgetSettings { max_tokens: 10, token_ratio_milli: 100 }) {
//!     Ok(c) => c,
//!     Err(_) => panic!("invalid budget"),
//! };
//! static BUDGET: RetryBudget = RetryBudget::new(&CONFIG);
//! for _ in 0..5 {
//!     BUDGET.record_failure();
//! }
//! assert!(!BUDGET.allows_retry()); // 5 of 10 left: not above half
//! BUDGET.record_success();
//! assert!(BUDGET.allows_retry()); // 5.1
//! ```

use crate::cell::StateCell;
use crate::machine::{Input, Machine, Step};
use crate::snapshot::{Fields, Format};
use crate::ConfigError;

/// The most tokens a budget may hold (the word counts thousandths in 64 bits;
/// far beyond any use).
pub const MAX_TOKENS: u32 = u32::MAX;

/// What a retry budget is asked to do, before validation: named fields.
///
/// ```
/// use tickguard::budget::{BudgetConfig, BudgetSettings};
/// let settings = BudgetSettings { max_tokens: 20, ..BudgetConfig::DEFAULT_SETTINGS };
/// assert_eq!(BudgetConfig::new(settings).unwrap().max_tokens(), 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BudgetSettings {
    /// The most tokens the budget holds, and its start (at least 1).
    pub max_tokens: u32,
    /// Thousandths of a token deposited per success (1..=`max_tokens ×
    /// 1000`; gRPC's 0.1 is 100).
    pub token_ratio_milli: u32,
}

/// A validated retry-budget configuration, `const`-constructible.
///
/// ```
/// use tickguard::{budget::{BudgetConfig, BudgetSettings}, ConfigError};
/// let settings = |max_tokens, token_ratio_milli| BudgetSettings { max_tokens, token_ratio_milli };
/// assert!(BudgetConfig::new(settings(10, 100)).is_ok());
/// assert_eq!(BudgetConfig::new(settings(0, 100)), Err(ConfigError::MaxTokens));
/// assert_eq!(BudgetConfig::new(settings(10, 0)), Err(ConfigError::TokenRatio));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BudgetConfig {
    max_milli: u64,
    ratio_milli: u64,
}

impl BudgetConfig {
    /// gRPC's example throttling: 10 tokens, 0.1 token back per success.
    pub const DEFAULT_SETTINGS: BudgetSettings = BudgetSettings {
        max_tokens: 10,
        token_ratio_milli: 100,
    };

    /// [`Self::DEFAULT_SETTINGS`], validated.
    ///
    /// ```
    /// use tickguard::budget::BudgetConfig;
    /// assert_eq!(BudgetConfig::DEFAULT, BudgetConfig::new(BudgetConfig::DEFAULT_SETTINGS).unwrap());
    /// ```
    pub const DEFAULT: Self = Self {
        max_milli: 10_000,
        ratio_milli: 100,
    };

    /// Validates `settings`.
    ///
    /// ```
    /// use tickguard::budget::{BudgetConfig, BudgetSettings};
    /// // One token back per success.
    /// let config = BudgetConfig::new(BudgetSettings { max_tokens: 100, token_ratio_milli: 1_000 }).unwrap();
    /// assert_eq!(config.max_tokens(), 100);
    /// ```
    pub const fn new(settings: BudgetSettings) -> Result<Self, ConfigError> {
        let BudgetSettings {
            max_tokens,
            token_ratio_milli,
        } = settings;
        if max_tokens == 0 {
            return Err(ConfigError::MaxTokens);
        }
        let max_milli = (max_tokens as u64).saturating_mul(1_000);
        if token_ratio_milli == 0 || token_ratio_milli as u64 > max_milli {
            return Err(ConfigError::TokenRatio);
        }
        Ok(Self {
            max_milli,
            ratio_milli: token_ratio_milli as u64,
        })
    }

    /// The settings this configuration was built from.
    ///
    /// ```
    /// use tickguard::budget::BudgetConfig;
    /// assert_eq!(BudgetConfig::DEFAULT.settings(), BudgetConfig::DEFAULT_SETTINGS);
    /// ```
    #[must_use]
    pub const fn settings(&self) -> BudgetSettings {
        BudgetSettings {
            max_tokens: self.max_tokens(),
            token_ratio_milli: self.token_ratio_milli(),
        }
    }

    /// The most tokens.
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::BudgetConfig;
    /// assert_eq!(BudgetConfig::new(BudgetSettings { max_tokens: 7, token_ratio_milli: 10 }).unwrap().max_tokens(), 7);
    /// ```
    #[must_use]
    pub const fn max_tokens(&self) -> u32 {
        (self.max_milli / 1_000) as u32
    }

    /// Thousandths of a token deposited per success.
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::BudgetConfig;
    /// assert_eq!(BudgetConfig::new(BudgetSettings { max_tokens: 7, token_ratio_milli: 10 }).unwrap().token_ratio_milli(), 10);
    /// ```
    #[must_use]
    pub const fn token_ratio_milli(&self) -> u32 {
        self.ratio_milli as u32
    }

    /// Thousandths of a token held, as stored: the word is the tokens spent,
    /// so that zero (a fresh word) is a full budget.
    #[inline]
    const fn held(&self, spent: u64) -> u64 {
        self.max_milli.saturating_sub(spent)
    }

    /// Whether the budget with `spent` allows a retry: more than half held.
    #[inline]
    const fn allows_retry(&self, spent: u64) -> bool {
        self.held(spent).saturating_mul(2) > self.max_milli
    }
}

/// Bytes of a budget's snapshot ([`RetryBudget::snapshot`]).
pub const SNAPSHOT_LEN: usize = <BudgetConfig as Format>::LEN;

impl Format for BudgetConfig {
    const KIND: u8 = 3;
    /// Thousandths of a token spent (no time: the budget has none).
    const STATE_LEN: usize = 8;

    fn fingerprint(&self, fields: &mut Fields<'_>) {
        fields.u64(self.max_milli);
        fields.u64(self.ratio_milli);
    }

    fn save_state(&self, spent: u64, fields: &mut Fields<'_>) {
        fields.u64(spent);
    }

    fn restore_state(&self, fields: &mut Fields<'_>) -> Option<u64> {
        let spent = fields.read_u64();
        (spent <= self.max_milli).then_some(spent)
    }
}

crate::snapshot::snapshot_of_one_cell! {
    /// Saves and restores the budget's tokens ([`crate::snapshot`]).
    ///
    /// ```
    /// # use tickguard::time::Instant;
    /// use tickguard::budget::{BudgetConfig, RetryBudget};
    /// use tickguard::snapshot::Snapshot;
    /// let budget = RetryBudget::new(&BudgetConfig::DEFAULT);
    /// budget.record_failure();
    /// let saved = budget.snapshot();
    /// let rebooted = RetryBudget::new(&BudgetConfig::DEFAULT);
    /// rebooted.restore(&saved, Instant::from_ticks(0)).unwrap();
    /// assert_eq!(rebooted.tokens_milli(), 9_000);
    /// ```
    impl[C: AsRef<BudgetConfig>] for RetryBudget<C> {
        machine: BudgetConfig,
        |this| (this.config(), &this.spent)
    }
}

impl Machine for BudgetConfig {
    /// Thousandths of a token spent.
    type Word = u64;

    /// A full budget.
    fn fresh(&self) -> u64 {
        0
    }
}

/// [`RetryBudget::record_failure`] as a machine input ([`crate::machine`]).
///
/// ```
/// # use tickguard::budget::BudgetSettings;
/// use tickguard::budget::{BudgetConfig, RecordFailure};
/// use tickguard::machine::{Input, Step};
/// let config = BudgetConfig::new(BudgetSettings { max_tokens: 1, token_ratio_milli: 100 }).unwrap();
/// assert_eq!(RecordFailure.step(&config, 1_000), Step::Keep(())); // already empty
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordFailure;

impl Input<BudgetConfig> for RecordFailure {
    type Decision = ();

    fn step(&self, config: &BudgetConfig, spent: u64) -> Step<u64, ()> {
        Step::unless_same(spent, spent.saturating_add(1_000).min(config.max_milli), ())
    }
}

/// [`RetryBudget::record_success`] as a machine input ([`crate::machine`]).
///
/// ```
/// # use tickguard::budget::BudgetSettings;
/// use tickguard::budget::{BudgetConfig, RecordSuccess};
/// use tickguard::machine::{Input, Step};
/// let config = BudgetConfig::new(BudgetSettings { max_tokens: 1, token_ratio_milli: 100 }).unwrap();
/// assert_eq!(RecordSuccess.step(&config, 1_000), Step::Write(900, ()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordSuccess;

impl Input<BudgetConfig> for RecordSuccess {
    type Decision = ();

    fn step(&self, config: &BudgetConfig, spent: u64) -> Step<u64, ()> {
        let next = spent
            .min(config.max_milli)
            .saturating_sub(config.ratio_milli);
        Step::unless_same(spent, next, ())
    }
}

/// [`RetryBudget::allows_retry`] as a machine input ([`crate::machine`]):
/// reads only.
///
/// ```
/// use tickguard::budget::{BudgetConfig, RetryAllowed};
/// use tickguard::machine::{Input, Machine};
/// let config = BudgetConfig::DEFAULT;
/// assert_eq!(RetryAllowed.quick(&config, config.fresh()), Some(true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAllowed;

impl Input<BudgetConfig> for RetryAllowed {
    type Decision = bool;

    fn quick(&self, config: &BudgetConfig, spent: u64) -> Option<bool> {
        Some(config.allows_retry(spent))
    }

    fn step(&self, config: &BudgetConfig, spent: u64) -> Step<u64, bool> {
        Step::Keep(config.allows_retry(spent))
    }
}

impl AsRef<BudgetConfig> for BudgetConfig {
    fn as_ref(&self) -> &BudgetConfig {
        self
    }
}

/// A retry budget: a reference to its configuration and one atomic word.
///
/// ```
/// # use tickguard::budget::BudgetSettings;
/// use tickguard::budget::{BudgetConfig, RetryBudget};
/// let budget = RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 4, token_ratio_milli: 500 }).unwrap());
/// budget.record_failure();
/// budget.record_failure();
/// assert_eq!(budget.tokens_milli(), 2_000);
/// assert!(!budget.allows_retry());
/// ```
#[derive(Debug)]
pub struct RetryBudget<C = &'static BudgetConfig> {
    config: C,
    /// Thousandths of a token spent (0 = full).
    spent: StateCell<u64>,
}

impl<C: AsRef<BudgetConfig>> RetryBudget<C> {
    /// A full budget.
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::{BudgetConfig, RetryBudget};
    /// let budget = RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 3, token_ratio_milli: 100 }).unwrap());
    /// assert_eq!(budget.tokens_milli(), 3_000);
    /// ```
    #[must_use]
    pub const fn new(config: C) -> Self {
        Self {
            config,
            spent: StateCell::<u64>::new(0),
        }
    }

    /// The configuration.
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::{BudgetConfig, RetryBudget};
    /// let budget = RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 3, token_ratio_milli: 100 }).unwrap());
    /// assert_eq!(budget.config().max_tokens(), 3);
    /// ```
    #[must_use]
    pub fn config(&self) -> &BudgetConfig {
        self.config.as_ref()
    }

    /// A call failed: withdraw one token (not below zero).
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::{BudgetConfig, RetryBudget};
    /// let budget = RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 1, token_ratio_milli: 100 }).unwrap());
    /// budget.record_failure();
    /// budget.record_failure();
    /// assert_eq!(budget.tokens_milli(), 0);
    /// ```
    pub fn record_failure(&self) {
        self.spent.apply(self.config(), RecordFailure);
    }

    /// A call succeeded: deposit `token_ratio` (not above the maximum).
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::{BudgetConfig, RetryBudget};
    /// let budget = RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 2, token_ratio_milli: 250 }).unwrap());
    /// budget.record_failure();
    /// budget.record_success();
    /// assert_eq!(budget.tokens_milli(), 1_250);
    /// ```
    pub fn record_success(&self) {
        self.spent.apply(self.config(), RecordSuccess);
    }

    /// Whether a retry may be made now: more than half the tokens remain.
    /// Reads only.
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::{BudgetConfig, RetryBudget};
    /// let budget = RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 2, token_ratio_milli: 100 }).unwrap());
    /// assert!(budget.allows_retry());
    /// budget.record_failure();
    /// assert!(!budget.allows_retry()); // exactly half is not enough
    /// ```
    #[must_use]
    pub fn allows_retry(&self) -> bool {
        self.config().allows_retry(self.spent.load())
    }

    /// Thousandths of a token held.
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::{BudgetConfig, RetryBudget};
    /// assert_eq!(RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 5, token_ratio_milli: 1 }).unwrap()).tokens_milli(), 5_000);
    /// ```
    #[must_use]
    pub fn tokens_milli(&self) -> u64 {
        self.config().held(self.spent.load())
    }

    /// Refills the budget, as if new.
    ///
    /// ```
    /// # use tickguard::budget::BudgetSettings;
    /// # use tickguard::budget::{BudgetConfig, RetryBudget};
    /// let budget = RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 1, token_ratio_milli: 1 }).unwrap());
    /// budget.record_failure();
    /// budget.reset();
    /// assert!(budget.allows_retry());
    /// ```
    pub fn reset(&self) {
        self.spent.store(0);
    }

    /// The tokens as a snapshot ([`crate::snapshot`]; a budget has no
    /// time).
    ///
    /// ```
    /// use tickguard::budget::{BudgetConfig, RetryBudget};
    /// let saved = RetryBudget::new(&BudgetConfig::DEFAULT).snapshot();
    /// assert_eq!(&saved[..2], b"tg");
    /// ```
    #[must_use]
    pub fn snapshot(&self) -> [u8; SNAPSHOT_LEN] {
        crate::snapshot::to_array(self, crate::time::Instant::ZERO)
    }
}

/// Something that says whether a retry may be made now: what
/// [`RetryPolicy::next`](crate::retry::RetryPolicy::next) asks of a budget.
///
/// ```
/// # use tickguard::budget::BudgetSettings;
/// use tickguard::budget::{AllowsRetry, BudgetConfig, RetryBudget};
/// let budget = RetryBudget::new(BudgetConfig::new(BudgetSettings { max_tokens: 2, token_ratio_milli: 100 }).unwrap());
/// let gate: &dyn AllowsRetry = &budget;
/// assert!(gate.allows_retry());
/// ```
pub trait AllowsRetry {
    /// Whether a retry may be made now. Must only read.
    fn allows_retry(&self) -> bool;
}

impl<C: AsRef<BudgetConfig>> AllowsRetry for RetryBudget<C> {
    fn allows_retry(&self) -> bool {
        RetryBudget::allows_retry(self)
    }
}

impl Default for BudgetConfig {
    /// [`BudgetConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_stay_within_bounds_and_half_gates_retries() {
        let config = BudgetConfig::new(BudgetSettings {
            max_tokens: 10,
            token_ratio_milli: 100,
        })
        .unwrap();
        let budget = RetryBudget::new(&config);
        for _ in 0..100 {
            budget.record_failure();
        }
        assert_eq!(budget.tokens_milli(), 0);
        for i in 1..=50 {
            budget.record_success();
            assert_eq!(budget.tokens_milli(), 100 * i);
            assert_eq!(budget.allows_retry(), i > 50);
        }
        budget.record_success();
        assert!(budget.allows_retry());
        for _ in 0..1_000 {
            budget.record_success();
        }
        assert_eq!(budget.tokens_milli(), 10_000);
    }

    #[test]
    fn extreme_configurations() {
        let config = BudgetConfig::new(BudgetSettings {
            max_tokens: MAX_TOKENS,
            token_ratio_milli: u32::MAX,
        })
        .unwrap();
        let budget = RetryBudget::new(config);
        budget.record_failure();
        assert_eq!(budget.tokens_milli(), u64::from(MAX_TOKENS) * 1_000 - 1_000);
        budget.record_success();
        assert_eq!(budget.tokens_milli(), u64::from(MAX_TOKENS) * 1_000);
        assert_eq!(
            BudgetConfig::new(BudgetSettings {
                max_tokens: 1,
                token_ratio_milli: 1_001
            }),
            Err(ConfigError::TokenRatio)
        );
        assert!(BudgetConfig::new(BudgetSettings {
            max_tokens: 1,
            token_ratio_milli: 1_000
        })
        .is_ok());
    }

    #[test]
    fn an_outage_stops_retries_after_half_the_budget() {
        // Every call fails; each failed call asks for a retry.
        let config = BudgetConfig::new(BudgetSettings {
            max_tokens: 10,
            token_ratio_milli: 100,
        })
        .unwrap();
        let budget = RetryBudget::new(&config);
        let mut retries = 0;
        for _ in 0..10_000 {
            budget.record_failure();
            if budget.allows_retry() {
                retries += 1;
            }
        }
        assert_eq!(retries, 4); // 9, 8, 7, 6 tokens left: then no more
    }
}
