//! Live reconfiguration: a limiter whose configuration changes while
//! callers use it.
//!
//! A limiter reads its configuration through [`Source`]. A plain
//! configuration (or a reference, `Box` or `Arc`: anything `AsRef` to it)
//! never changes. A [`Live`] one is kept packed in one atomic word of the
//! crate's driver: every call reads the whole configuration in one atomic
//! load, and [`Reconfigure::replace`] (behind each limiter's
//! `reconfigure`) stores a new one in one atomic store. So a call sees the
//! old configuration or the new one, never a mix of the two; a call that
//! begins after `reconfigure` returns sees the new one; a call racing it
//! may see either. Nothing waits: safe from threads and interrupt handlers
//! at once, and a reconfiguration from an interrupt handler cannot
//! deadlock with the main loop.
//!
//! The limiters that take a live configuration keep state that means the
//! same under any configuration (counts and ticks, not quantities scaled by
//! the configuration), so reconfiguring never rewrites the state: the new
//! limit applies to the counts already there, at once. Each limiter's
//! `reconfigure` says what happens to its current window. A reconfiguration
//! takes no `now`, so no caller's lag can make it admit more.
//!
//! Live configurations in one word: [`crate::fixed_window`],
//! [`crate::sliding_window`], [`crate::sliding_log`] (its window; the
//! log's size stays a compile-time constant),
//! [`KeyedWindows`](crate::keyed::KeyedWindows) (every key's at once) and
//! [`crate::bulkhead`] (up to the slots it was built with). The adaptive
//! limit's configuration is too large for one word, so it is
//! [`Versioned`]: two slots under a generation, read whole; its state (the
//! learned limit) is only clamped into the new bounds. The token bucket's
//! state is scaled by its rate, so it cannot keep its state through a swap
//! of one word: [`crate::bucket::LiveBucket`] keeps its configuration under
//! a generation and carries its tokens over, and so does
//! [`crate::shaper::LiveShaper`] (both a [`LiveMachine`]); a
//! [`LiveKeyedBuckets`](crate::keyed::LiveKeyedBuckets) table carries every
//! key's, each entry tagged with its generation's parity. Every limiter
//! can be reconfigured live.
//!
//! ```
//! use tickguard::live::Live;
//! use tickguard::sliding_window::{SlidingWindow, SlidingWindowConfig, SlidingWindowSettings};
//! use tickguard::time::{Duration, Instant};
//!
//! static CONFIG: Live<SlidingWindowConfig> = SlidingWindowConfig::DEFAULT.live(); // 100 per 60 000 ticks
//! static LIMIT: SlidingWindow<&Live<SlidingWindowConfig>> = SlidingWindow::new(&CONFIG);
//!
//! assert!(LIMIT.acquire(80, Instant::ZERO).is_ok());
//! // An operator lowers the limit to 50: the 80 already counted stay.
//! let lower = SlidingWindowConfig::new(SlidingWindowSettings { limit: 50, window: Duration::from_ticks(60_000) }).unwrap();
//! LIMIT.reconfigure(lower);
//! assert_eq!(LIMIT.config().limit(), 50);
//! assert!(LIMIT.acquire(1, Instant::from_ticks(10)).is_err());
//! ```

use core::marker::PhantomData;

use crate::cell::StateCell;

mod generations;
mod machine;
pub(crate) use generations::{replace_if_seen, Generations, SlotWords, Slotted, SLOT_WORDS};
pub use machine::LiveMachine;

/// Another reconfiguration of the same limiter is under way (from another
/// thread, or in the code an interrupt handler interrupted): nothing
/// changed; try again once it has returned.
///
/// ```
/// use tickguard::live::Busy;
/// assert_eq!(Busy.to_string(), "another reconfiguration is under way");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Busy;

impl core::fmt::Display for Busy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("another reconfiguration is under way")
    }
}

impl core::error::Error for Busy {}

/// Where a limiter reads its configuration: every call reads it once, as a
/// copy.
///
/// Anything `AsRef` to a configuration is a source that never changes; a
/// [`Live`] configuration (or a reference to one) changes when
/// [`Reconfigure::replace`]d.
///
/// ```
/// use tickguard::fixed_window::FixedWindowConfig;
/// use tickguard::live::Source;
/// let fixed: &FixedWindowConfig = &FixedWindowConfig::DEFAULT;
/// assert_eq!(fixed.current(), FixedWindowConfig::DEFAULT);
/// assert_eq!(FixedWindowConfig::DEFAULT.live().current(), FixedWindowConfig::DEFAULT);
/// ```
pub trait Source<T> {
    /// The configuration in force now.
    fn current(&self) -> T;
}

impl<T: Copy, S: AsRef<T>> Source<T> for S {
    #[inline]
    fn current(&self) -> T {
        *self.as_ref()
    }
}

/// A source whose configuration can be replaced while callers use it.
///
/// ```
/// use tickguard::fixed_window::{FixedWindowConfig, FixedWindowSettings};
/// use tickguard::live::{Reconfigure, Source};
/// use tickguard::time::Duration;
/// let live = FixedWindowConfig::DEFAULT.live();
/// let quiet = FixedWindowConfig::new(FixedWindowSettings { burst: 1, interval: Duration::from_ticks(60_000) }).unwrap();
/// live.replace(quiet);
/// assert_eq!(live.current(), quiet);
/// ```
pub trait Reconfigure<T>: Source<T> {
    /// Installs `config`: every call that begins after this returns reads
    /// it.
    fn replace(&self, config: T);
}

/// A configuration that can change at run time, packed in one atomic word.
/// Build one with the configuration's `live()` (`const`, for statics).
///
/// ```
/// use tickguard::fixed_window::{FixedWindow, FixedWindowConfig};
/// use tickguard::live::Live;
/// use tickguard::time::Instant;
/// static CONFIG: Live<FixedWindowConfig> = FixedWindowConfig::DEFAULT.live();
/// static LOG_LIMIT: FixedWindow<&Live<FixedWindowConfig>> = FixedWindow::new(&CONFIG);
/// assert!(LOG_LIMIT.acquire(1, Instant::ZERO).is_ok());
/// ```
#[derive(Debug)]
pub struct Live<T> {
    word: StateCell<u128>,
    config: PhantomData<T>,
}

impl<T> Live<T> {
    /// A live configuration holding the packed `word` (each
    /// configuration's `live()` packs itself).
    pub(crate) const fn from_word(word: u128) -> Self {
        Self {
            word: StateCell::<u128>::new(word),
            config: PhantomData,
        }
    }
}

/// Makes `$config` a live configuration, given its `const fn packed(self)
/// -> u128` and `const fn from_packed(u128) -> Self` (every field a plain
/// integer, so every word is a configuration: a garbage one, in caller
/// memory, only changes the decisions): its `live()`, and [`Source`] and [`Reconfigure`] for `Live<$config>` and
/// references to it. (One impl per type: a generic one would overlap the
/// `AsRef` sources.) `$limiter` names the limiter for the docs.
macro_rules! live_config {
    ($config:ident, $limiter:literal) => {
        impl $config {
            #[doc = concat!("This configuration as a [`Live`](crate::live::Live) one, which the ", $limiter, "'s `reconfigure` replaces while callers use it (`const`, for statics).")]
            ///
            /// ```
            #[doc = concat!("use ", module_path!(), "::", stringify!($config), ";")]
            /// use tickguard::live::{Live, Source};
            #[doc = concat!("static CONFIG: Live<", stringify!($config), "> = ", stringify!($config), "::DEFAULT.live();")]
            #[doc = concat!("assert_eq!(CONFIG.current(), ", stringify!($config), "::DEFAULT);")]
            /// ```
            #[must_use]
            pub const fn live(self) -> $crate::live::Live<Self> {
                $crate::live::Live::from_word(self.packed())
            }
        }

        impl $crate::live::Source<$config> for $crate::live::Live<$config> {
            #[inline]
            fn current(&self) -> $config {
                $config::from_packed(self.load())
            }
        }

        impl $crate::live::Source<$config> for &$crate::live::Live<$config> {
            #[inline]
            fn current(&self) -> $config {
                (**self).current()
            }
        }

        impl $crate::live::Reconfigure<$config> for $crate::live::Live<$config> {
            fn replace(&self, config: $config) {
                self.store(config.packed());
            }
        }

        impl $crate::live::Reconfigure<$config> for &$crate::live::Live<$config> {
            fn replace(&self, config: $config) {
                (**self).replace(config);
            }
        }
    };
}
pub(crate) use live_config;

/// Why a reconfiguration that can fail did not happen: nothing changed.
///
/// ```
/// use tickguard::live::{Busy, ReconfigureError};
/// use tickguard::ConfigError;
/// assert_eq!(ReconfigureError::from(Busy), ReconfigureError::Busy(Busy));
/// assert_eq!(ReconfigureError::from(ConfigError::AdaptiveLimits), ReconfigureError::Config(ConfigError::AdaptiveLimits));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReconfigureError {
    /// The new configuration does not fit what the limiter was built with
    /// (each limiter's `reconfigure` says what).
    Config(crate::ConfigError),
    /// Another reconfiguration of the same limiter is under way.
    Busy(Busy),
}

impl From<crate::ConfigError> for ReconfigureError {
    fn from(error: crate::ConfigError) -> Self {
        Self::Config(error)
    }
}

impl From<Busy> for ReconfigureError {
    fn from(busy: Busy) -> Self {
        Self::Busy(busy)
    }
}

impl core::fmt::Display for ReconfigureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Config(error) => core::fmt::Display::fmt(error, f),
            Self::Busy(busy) => core::fmt::Display::fmt(busy, f),
        }
    }
}

impl core::error::Error for ReconfigureError {}

/// A source whose configuration is too large for one atomic word
/// ([`Versioned`]): replaced by one writer at a time.
///
/// ```
/// use tickguard::adaptive::{AdaptiveConfig, AdaptiveSettings};
/// use tickguard::live::{Source, TryReconfigure};
/// let live = AdaptiveConfig::DEFAULT.live();
/// let narrow = AdaptiveConfig::new(AdaptiveSettings { max_limit: 32, ..AdaptiveConfig::DEFAULT_SETTINGS }).unwrap();
/// live.try_replace(narrow).unwrap();
/// assert_eq!(live.current(), narrow);
/// ```
pub trait TryReconfigure<T>: Source<T> {
    /// Installs `config`: every call that begins after this returns reads
    /// it. [`Busy`] (nothing changed) while another replacement is under
    /// way.
    fn try_replace(&self, config: T) -> Result<(), Busy>;
}

/// A configuration too large for one atomic word that can change at run
/// time: two copies under a generation word (the slots a [`LiveMachine`]
/// keeps its configuration in, with no state to carry). A call reads the generation, its copy, and the
/// generation again, and reads again if a replacement was published
/// meanwhile (each repeat means one completed: lock-free, and an
/// interrupt handler that preempts a replacement reads the copy the
/// replacement is not writing). So a call sees the old configuration or
/// the new one, never a mix. Build one with the configuration's `live()`.
///
/// ```
/// use tickguard::adaptive::{AdaptiveConfig, AdaptiveLimit};
/// use tickguard::live::Versioned;
/// use tickguard::time::Instant;
/// static CONFIG: Versioned<AdaptiveConfig> = AdaptiveConfig::DEFAULT.live();
/// static LIMIT: AdaptiveLimit<&Versioned<AdaptiveConfig>> = AdaptiveLimit::new(&CONFIG);
/// assert!(LIMIT.acquire(Instant::ZERO).is_ok());
/// ```
#[derive(Debug)]
pub struct Versioned<T> {
    slots: Generations<T>,
}

impl<T> Versioned<T> {
    /// A versioned configuration holding the slot `words` (each
    /// configuration's `live()` makes them).
    pub(crate) const fn from_slot_words(words: [u128; SLOT_WORDS]) -> Self {
        Self {
            slots: Generations::new(words),
        }
    }
}

#[cfg(test)]
impl<T> Versioned<T> {
    /// The slots, for tests that hold the header.
    pub(crate) fn slots_for_test(&self) -> &Generations<T> {
        &self.slots
    }
}

impl<T> Versioned<T> {
    /// The slots and their generation.
    pub(crate) fn generations(&self) -> &Generations<T> {
        &self.slots
    }
}

impl<T: SlotWords> Versioned<T> {
    #[inline]
    pub(crate) fn load(&self) -> T {
        self.slots.view().current
    }

    pub(crate) fn publish(&self, config: T) -> Result<(), Busy> {
        self.slots.publish(config)
    }
}

/// Makes `$config` a [`Versioned`] configuration, given its `const fn
/// slot_words(&self) -> [u128; SLOT_WORDS]` and its [`SlotWords`] impl:
/// its `live()`, and [`Source`] and [`TryReconfigure`] for
/// `Versioned<$config>` and references to it. `$limiter` names the
/// limiter for the docs.
macro_rules! versioned_config {
    ($config:ident, $limiter:literal) => {
        impl $config {
            #[doc = concat!("This configuration as a [`Versioned`](crate::live::Versioned) one, which the ", $limiter, "'s `reconfigure` replaces while callers use it (`const`, for statics).")]
            ///
            /// ```
            #[doc = concat!("use ", module_path!(), "::", stringify!($config), ";")]
            /// use tickguard::live::{Source, Versioned};
            #[doc = concat!("static CONFIG: Versioned<", stringify!($config), "> = ", stringify!($config), "::DEFAULT.live();")]
            #[doc = concat!("assert_eq!(CONFIG.current(), ", stringify!($config), "::DEFAULT);")]
            /// ```
            #[must_use]
            pub const fn live(self) -> $crate::live::Versioned<Self> {
                $crate::live::Versioned::from_slot_words(self.slot_words())
            }
        }

        impl $crate::live::Source<$config> for $crate::live::Versioned<$config> {
            #[inline]
            fn current(&self) -> $config {
                self.load()
            }
        }

        impl $crate::live::Source<$config> for &$crate::live::Versioned<$config> {
            #[inline]
            fn current(&self) -> $config {
                (**self).load()
            }
        }

        impl $crate::live::TryReconfigure<$config> for $crate::live::Versioned<$config> {
            fn try_replace(&self, config: $config) -> Result<(), $crate::live::Busy> {
                self.publish(config)
            }
        }

        impl $crate::live::TryReconfigure<$config> for &$crate::live::Versioned<$config> {
            fn try_replace(&self, config: $config) -> Result<(), $crate::live::Busy> {
                (**self).publish(config)
            }
        }
    };
}
pub(crate) use versioned_config;

impl<T> Live<T> {
    #[inline]
    pub(crate) fn load(&self) -> u128 {
        self.word.load()
    }

    pub(crate) fn store(&self, word: u128) {
        self.word.store(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed_window::{FixedWindowConfig, FixedWindowSettings};
    use crate::sliding_log::SlidingLogConfig;
    use crate::sliding_window::{SlidingWindowConfig, SlidingWindowSettings};
    use crate::time::Duration;
    use proptest::prelude::*;

    proptest! {
        /// Every configuration comes back from its word unchanged.
        #[test]
        fn configurations_round_trip(limit in any::<u32>(), ticks in 0..=crate::time::MAX_DURATION) {
            let window = Duration::from_ticks(ticks);
            let fixed = FixedWindowConfig::new(FixedWindowSettings { burst: limit, interval: window }).unwrap();
            prop_assert_eq!(FixedWindowConfig::from_packed(fixed.packed()), fixed);
            prop_assert_eq!(fixed.live().current(), fixed);
            if let Ok(sliding) = SlidingWindowConfig::new(SlidingWindowSettings { limit, window }) {
                prop_assert_eq!(SlidingWindowConfig::from_packed(sliding.packed()), sliding);
                let live = sliding.live();
                live.replace(SlidingWindowConfig::DEFAULT);
                prop_assert_eq!(live.current(), SlidingWindowConfig::DEFAULT);
                live.replace(sliding);
                prop_assert_eq!(live.current(), sliding);
            }
            if let Ok(log) = SlidingLogConfig::new(window) {
                prop_assert_eq!(SlidingLogConfig::from_packed(log.packed()), log);
            }
        }
    }

    /// Threads reading a configuration another thread keeps replacing see
    /// one of the two whole, never a mix of their fields.
    #[test]
    #[cfg(not(miri))]
    fn a_reader_never_sees_half_a_configuration() {
        let settings = |burst, ticks| FixedWindowSettings {
            burst,
            interval: Duration::from_ticks(ticks),
        };
        let a = FixedWindowConfig::new(settings(1, 1 << 40)).unwrap();
        let b = FixedWindowConfig::new(settings(u32::MAX, 7)).unwrap();
        let live = a.live();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for round in 0..20_000 {
                    live.replace(if round % 2 == 0 { b } else { a });
                }
            });
            for _ in 0..20_000 {
                let seen = live.current();
                assert!(seen == a || seen == b, "{seen:?}");
            }
        });
    }
}
