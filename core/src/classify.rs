//! Four error classes and a handling table that says,
//! per kind of error, whether to retry (and with which backoff), whether it
//! counts as a breaker failure, whether to fall back, and whether to alert.
//!
//! | class | kinds | default handling |
//! |---|---|---|
//! | network | connect, protocol | retry with backoff, breaker failure, fall back, alert |
//! | timeout | connect, read, write | retry with exponential backoff, breaker failure (recorded), fall back |
//! | data | format, missing, inconsistent | no retry, not a breaker failure, fall back to a default value, alert |
//! | system | out of memory, out of disk, resources exhausted | no retry, breaker failure, alert |
//!
//! The table drives the other primitives, so callers do not re-derive them:
//! [`HandlingTable::retry_failure`] gives the [`retry::Failure`] and
//! [`HandlingTable::breaker_outcome`] the [`breaker::Outcome`] for a kind.
//! Override entries with the `const` builder [`HandlingTable::with`]; map
//! your own error types to kinds with [`Classify`].
//!
//! ```
//! use tickguard::breaker::Outcome;
//! use tickguard::classify::{ErrorKind, Handling, HandlingTable};
//! use tickguard::retry::Failure;
//!
//! // The defaults, but do not alert on read timeouts.
//! static TABLE: HandlingTable = HandlingTable::DEFAULT.with(
//!     ErrorKind::ReadTimeout,
//!     Handling { alert: false, ..HandlingTable::DEFAULT.get(ErrorKind::ReadTimeout) },
//! );
//! assert_eq!(TABLE.retry_failure(ErrorKind::ReadTimeout), Failure::Retryable);
//! assert_eq!(TABLE.retry_failure(ErrorKind::FormatError), Failure::NotRetryable);
//! assert_eq!(TABLE.breaker_outcome(ErrorKind::MissingData), Outcome::Ignored);
//! assert!(!TABLE.get(ErrorKind::ReadTimeout).alert);
//! ```

use crate::{breaker, retry};

/// The four error classes.
///
/// ```
/// use tickguard::classify::{ErrorClass, ErrorKind};
/// assert_eq!(ErrorKind::WriteTimeout.class(), ErrorClass::Timeout);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ErrorClass {
    /// The network failed: connection, protocol.
    Network = 0,
    /// An operation took too long.
    Timeout = 1,
    /// The data was wrong: format, missing, inconsistent.
    Data = 2,
    /// The system ran out of something: memory, disk, resources.
    System = 3,
}

impl ErrorClass {
    /// Every class.
    pub const ALL: [ErrorClass; 4] = [Self::Network, Self::Timeout, Self::Data, Self::System];

    /// The name as a C string (the C ABI's `tg_error_class_str`);
    /// [`ErrorClass::name`] and `Display` give it as text.
    ///
    /// ```
    /// use tickguard::classify::ErrorClass;
    /// assert_eq!(ErrorClass::System.to_string(), "system");
    /// ```
    #[must_use]
    pub const fn c_name(self) -> &'static core::ffi::CStr {
        match self {
            Self::Network => c"network",
            Self::Timeout => c"timeout",
            Self::Data => c"data",
            Self::System => c"system",
        }
    }
}
crate::named!(ErrorClass);
crate::named!(ErrorKind);

/// The kinds of error within the classes, one flat list (also the C enum).
///
/// ```
/// use tickguard::classify::ErrorKind;
/// assert_eq!(ErrorKind::from_index(3), Some(ErrorKind::ReadTimeout));
/// assert_eq!(ErrorKind::ReadTimeout.index(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ErrorKind {
    /// Network: the connection failed (refused, reset, unreachable).
    ConnectionFailed = 0,
    /// Network: the peer broke the protocol.
    ProtocolError = 1,
    /// Timeout: connecting took too long.
    ConnectTimeout = 2,
    /// Timeout: reading took too long.
    ReadTimeout = 3,
    /// Timeout: writing took too long.
    WriteTimeout = 4,
    /// Data: malformed (parse error).
    FormatError = 5,
    /// Data: something expected is absent.
    MissingData = 6,
    /// Data: parts contradict each other.
    InconsistentData = 7,
    /// System: out of memory.
    OutOfMemory = 8,
    /// System: out of disk space.
    OutOfDisk = 9,
    /// System: another resource is exhausted (descriptors, threads, quota).
    ResourcesExhausted = 10,
}

/// How many [`ErrorKind`]s there are.
pub const ERROR_KINDS: usize = 11;

impl ErrorKind {
    /// Every kind, in index order.
    pub const ALL: [ErrorKind; ERROR_KINDS] = [
        Self::ConnectionFailed,
        Self::ProtocolError,
        Self::ConnectTimeout,
        Self::ReadTimeout,
        Self::WriteTimeout,
        Self::FormatError,
        Self::MissingData,
        Self::InconsistentData,
        Self::OutOfMemory,
        Self::OutOfDisk,
        Self::ResourcesExhausted,
    ];

    /// The name as a C string (the C ABI's `tg_error_kind_str`);
    /// [`ErrorKind::name`] and `Display` give it as text.
    ///
    /// ```
    /// use tickguard::classify::ErrorKind;
    /// assert_eq!(ErrorKind::ReadTimeout.name(), "read timeout");
    /// ```
    #[must_use]
    pub const fn c_name(self) -> &'static core::ffi::CStr {
        match self {
            Self::ConnectionFailed => c"connection failed",
            Self::ProtocolError => c"protocol error",
            Self::ConnectTimeout => c"connect timeout",
            Self::ReadTimeout => c"read timeout",
            Self::WriteTimeout => c"write timeout",
            Self::FormatError => c"format error",
            Self::MissingData => c"missing data",
            Self::InconsistentData => c"inconsistent data",
            Self::OutOfMemory => c"out of memory",
            Self::OutOfDisk => c"out of disk",
            Self::ResourcesExhausted => c"resources exhausted",
        }
    }

    /// The class this kind belongs to.
    ///
    /// ```
    /// use tickguard::classify::{ErrorClass, ErrorKind};
    /// assert_eq!(ErrorKind::OutOfDisk.class(), ErrorClass::System);
    /// ```
    #[must_use]
    pub const fn class(self) -> ErrorClass {
        match self {
            Self::ConnectionFailed | Self::ProtocolError => ErrorClass::Network,
            Self::ConnectTimeout | Self::ReadTimeout | Self::WriteTimeout => ErrorClass::Timeout,
            Self::FormatError | Self::MissingData | Self::InconsistentData => ErrorClass::Data,
            Self::OutOfMemory | Self::OutOfDisk | Self::ResourcesExhausted => ErrorClass::System,
        }
    }

    /// The kind's position in [`ErrorKind::ALL`] and in a [`HandlingTable`].
    ///
    /// ```
    /// assert_eq!(tickguard::classify::ErrorKind::ResourcesExhausted.index(), 10);
    /// ```
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The kind at `index`, if any.
    ///
    /// ```
    /// assert_eq!(tickguard::classify::ErrorKind::from_index(11), None);
    /// ```
    #[must_use]
    #[allow(clippy::indexing_slicing)] // checked against the length first
    pub const fn from_index(index: usize) -> Option<Self> {
        if index < ERROR_KINDS {
            Some(Self::ALL[index])
        } else {
            None
        }
    }
}

/// Which backoff suits a retryable kind (the caller keeps a
/// [`RetryPolicy`](crate::retry::RetryPolicy) for each it uses).
///
/// ```
/// use tickguard::classify::{ErrorKind, HandlingTable, RetryWith};
/// assert_eq!(HandlingTable::DEFAULT.get(ErrorKind::ReadTimeout).retry, RetryWith::Exponential);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RetryWith {
    /// Do not retry.
    Never = 0,
    /// Retry with the caller's default backoff.
    Backoff = 1,
    /// Retry with exponential backoff.
    Exponential = 2,
}

/// How to handle one kind of error.
///
/// ```
/// use tickguard::classify::{Handling, RetryWith};
/// let quiet = Handling { retry: RetryWith::Backoff, breaker_failure: true, fallback: true, alert: false };
/// assert!(quiet.breaker_failure);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handling {
    /// Whether and how to retry.
    pub retry: RetryWith,
    /// Whether it counts as a failure for a circuit breaker.
    pub breaker_failure: bool,
    /// Whether to serve a fallback (default or last-known-good value).
    pub fallback: bool,
    /// Whether to raise an alert.
    pub alert: bool,
}

impl Handling {
    /// What the retry step is told for a failure handled this way.
    ///
    /// ```
    /// use tickguard::classify::{ErrorKind, HandlingTable};
    /// use tickguard::retry::Failure;
    /// let h = HandlingTable::DEFAULT.get(ErrorKind::MissingData);
    /// assert_eq!(h.retry_failure(), Failure::NotRetryable);
    /// ```
    #[must_use]
    pub const fn retry_failure(&self) -> retry::Failure {
        match self.retry {
            RetryWith::Never => retry::Failure::NotRetryable,
            RetryWith::Backoff | RetryWith::Exponential => retry::Failure::Retryable,
        }
    }

    /// The breaker outcome to record for a failure handled this way:
    /// FAILURE if it counts against the backend, IGNORED otherwise.
    ///
    /// ```
    /// use tickguard::breaker::Outcome;
    /// use tickguard::classify::{ErrorKind, HandlingTable};
    /// let h = HandlingTable::DEFAULT.get(ErrorKind::OutOfMemory);
    /// assert_eq!(h.breaker_outcome(), Outcome::Failure);
    /// ```
    #[must_use]
    pub const fn breaker_outcome(&self) -> breaker::Outcome {
        if self.breaker_failure {
            breaker::Outcome::Failure
        } else {
            breaker::Outcome::Ignored
        }
    }
}

/// A handling table: one [`Handling`] per [`ErrorKind`], `const`.
///
/// ```
/// use tickguard::classify::{ErrorKind, HandlingTable, RetryWith};
/// let table = HandlingTable::DEFAULT;
/// assert_eq!(table.get(ErrorKind::ConnectionFailed).retry, RetryWith::Backoff);
/// assert!(!table.get(ErrorKind::FormatError).breaker_failure);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandlingTable {
    entries: [Handling; ERROR_KINDS],
}

const fn handling(
    retry: RetryWith,
    breaker_failure: bool,
    fallback: bool,
    alert: bool,
) -> Handling {
    Handling {
        retry,
        breaker_failure,
        fallback,
        alert,
    }
}

impl HandlingTable {
    /// The default strategies (see the module docs).
    pub const DEFAULT: Self = {
        let network = handling(RetryWith::Backoff, true, true, true);
        let timeout = handling(RetryWith::Exponential, true, true, false);
        let data = handling(RetryWith::Never, false, true, true);
        let system = handling(RetryWith::Never, true, false, true);
        Self {
            entries: [
                network, network, timeout, timeout, timeout, data, data, data, system, system,
                system,
            ],
        }
    };

    /// A table with every entry set to `handling`.
    ///
    /// ```
    /// use tickguard::classify::{ErrorKind, Handling, HandlingTable, RetryWith};
    /// let never = Handling { retry: RetryWith::Never, breaker_failure: false, fallback: false, alert: false };
    /// assert_eq!(HandlingTable::uniform(never).get(ErrorKind::OutOfMemory), never);
    /// ```
    #[must_use]
    pub const fn uniform(handling: Handling) -> Self {
        Self {
            entries: [handling; ERROR_KINDS],
        }
    }

    /// The same table with `kind` handled as `handling`.
    ///
    /// ```
    /// use tickguard::classify::{ErrorKind, HandlingTable, RetryWith};
    /// let mut h = HandlingTable::DEFAULT.get(ErrorKind::ProtocolError);
    /// h.retry = RetryWith::Never;
    /// let table = HandlingTable::DEFAULT.with(ErrorKind::ProtocolError, h);
    /// assert_eq!(table.get(ErrorKind::ProtocolError).retry, RetryWith::Never);
    /// assert_eq!(table.get(ErrorKind::ConnectionFailed).retry, RetryWith::Backoff);
    /// ```
    #[must_use]
    #[allow(clippy::indexing_slicing)] // a kind's index is below ERROR_KINDS
    pub const fn with(self, kind: ErrorKind, handling: Handling) -> Self {
        let mut entries = self.entries;
        entries[kind.index()] = handling;
        Self { entries }
    }

    /// How to handle `kind`.
    ///
    /// ```
    /// use tickguard::classify::{ErrorKind, HandlingTable};
    /// assert!(HandlingTable::DEFAULT.get(ErrorKind::OutOfMemory).alert);
    /// ```
    #[must_use]
    #[allow(clippy::indexing_slicing)] // a kind's index is below ERROR_KINDS
    pub const fn get(&self, kind: ErrorKind) -> Handling {
        self.entries[kind.index()]
    }

    /// What the retry step is told for a failure of `kind`.
    ///
    /// ```
    /// use tickguard::classify::{ErrorKind, HandlingTable};
    /// use tickguard::retry::Failure;
    /// assert_eq!(HandlingTable::DEFAULT.retry_failure(ErrorKind::OutOfDisk), Failure::NotRetryable);
    /// ```
    #[must_use]
    pub const fn retry_failure(&self, kind: ErrorKind) -> retry::Failure {
        self.get(kind).retry_failure()
    }

    /// The breaker outcome to record for a failure of `kind`: FAILURE if it
    /// counts against the backend, IGNORED otherwise (a data error is the
    /// caller's problem, not the backend's).
    ///
    /// ```
    /// use tickguard::breaker::Outcome;
    /// use tickguard::classify::{ErrorKind, HandlingTable};
    /// assert_eq!(HandlingTable::DEFAULT.breaker_outcome(ErrorKind::ConnectTimeout), Outcome::Failure);
    /// ```
    #[must_use]
    pub const fn breaker_outcome(&self, kind: ErrorKind) -> breaker::Outcome {
        self.get(kind).breaker_outcome()
    }
}

impl Default for HandlingTable {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Maps an error type of yours to an [`ErrorKind`] (`None`: not one of the
/// classes; handle it yourself).
///
/// ```
/// use tickguard::classify::{Classify, ErrorKind, HandlingTable};
///
/// enum FetchError { Refused, TimedOut, BadJson }
/// impl Classify for FetchError {
///     fn error_kind(&self) -> Option<ErrorKind> {
///         Some(match self {
///             FetchError::Refused => ErrorKind::ConnectionFailed,
///             FetchError::TimedOut => ErrorKind::ReadTimeout,
///             FetchError::BadJson => ErrorKind::FormatError,
///         })
///     }
/// }
/// let kind = FetchError::BadJson.error_kind().unwrap();
/// assert!(!HandlingTable::DEFAULT.get(kind).breaker_failure);
/// ```
pub trait Classify {
    /// The kind of this error, if it is one of the classes.
    fn error_kind(&self) -> Option<ErrorKind>;
}

impl Classify for ErrorKind {
    fn error_kind(&self) -> Option<ErrorKind> {
        Some(*self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_strategies() {
        let t = HandlingTable::DEFAULT;
        for kind in ErrorKind::ALL {
            let h = t.get(kind);
            match kind.class() {
                ErrorClass::Network => {
                    assert_eq!(h, handling(RetryWith::Backoff, true, true, true))
                }
                ErrorClass::Timeout => {
                    assert_eq!(h.retry, RetryWith::Exponential);
                    assert!(h.breaker_failure);
                }
                ErrorClass::Data => {
                    assert_eq!(h.retry, RetryWith::Never);
                    assert!(!h.breaker_failure && h.fallback && h.alert);
                }
                ErrorClass::System => {
                    assert_eq!(h.retry, RetryWith::Never);
                    assert!(h.breaker_failure && h.alert);
                }
            }
            assert_eq!(ErrorKind::from_index(kind.index()), Some(kind));
        }
        assert_eq!(ErrorKind::from_index(ERROR_KINDS), None);
    }

    #[test]
    fn overrides_touch_one_entry() {
        let never = handling(RetryWith::Never, false, false, false);
        for kind in ErrorKind::ALL {
            let t = HandlingTable::DEFAULT.with(kind, never);
            for other in ErrorKind::ALL {
                let expected = if other == kind {
                    never
                } else {
                    HandlingTable::DEFAULT.get(other)
                };
                assert_eq!(t.get(other), expected);
            }
        }
    }
}
