//! The one clock: the server's. Ticks are microseconds of the server's
//! `TIME`, which every reply carries; between replies a host reads its own
//! monotonic clock plus the offset it learnt, never ahead of the server's.

use tickguard::time::Instant;

/// A host's own monotonic clock in microseconds, from any origin (the
/// tests give one that is skewed or drifts).
///
/// ```
/// use tickguard_redis::{LocalClock, Monotonic};
/// let clock = Monotonic::new();
/// assert!(clock.micros() <= clock.micros());
/// ```
pub trait LocalClock: Send {
    /// Microseconds since the clock's origin; never decreases.
    fn micros(&self) -> u64;
}

/// [`std::time::Instant`] in microseconds since the clock was made.
///
/// ```
/// use tickguard_redis::{LocalClock, Monotonic};
/// assert!(Monotonic::new().micros() < 1_000_000);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Monotonic {
    origin: std::time::Instant,
}

impl Monotonic {
    /// A clock starting now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            origin: std::time::Instant::now(),
        }
    }
}

impl Default for Monotonic {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalClock for Monotonic {
    fn micros(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// The server's clock as this host estimates it: the latest server time
/// heard plus the local time elapsed since it was heard.
///
/// A reply's `TIME` was read before the reply arrived, so the estimate
/// lags the server by at most the reply's trip (and whatever the two clocks
/// drift apart until the next reply); it never leads while the clocks run
/// at the same rate. The script refuses a tick that does lead (a host
/// whose clock runs fast), and the host then takes the server's time from
/// that reply.
pub(crate) struct ServerClock {
    local: Box<dyn LocalClock>,
    /// Server microseconds minus local microseconds, once a reply came.
    offset: Option<i128>,
}

impl ServerClock {
    pub(crate) fn new(local: Box<dyn LocalClock>) -> Self {
        Self {
            local,
            offset: None,
        }
    }

    /// The local clock's reading.
    pub(crate) fn local(&self) -> u64 {
        self.local.micros()
    }

    /// The server's time now, if a reply has told it.
    pub(crate) fn now(&self) -> Option<Instant> {
        let offset = self.offset?;
        let ticks = i128::from(self.local.micros()).saturating_add(offset);
        Some(Instant::from_ticks(
            u64::try_from(ticks.max(0)).unwrap_or(u64::MAX),
        ))
    }

    /// A reply read at local time `local` said the server's time was
    /// `server`: keep the larger offset (the tighter lower bound), or this
    /// one if `ahead` (the server refused a tick of ours as in its future).
    pub(crate) fn heard(&mut self, server: u64, local: u64, ahead: bool) {
        let offset = i128::from(server) - i128::from(local);
        self.offset = Some(match self.offset {
            Some(known) if !ahead => known.max(offset),
            _ => offset,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    struct Manual(Arc<AtomicU64>);
    impl LocalClock for Manual {
        fn micros(&self) -> u64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn the_estimate_follows_the_latest_lower_bound_and_backs_off_when_ahead() {
        let local = Arc::new(AtomicU64::new(1_000));
        let mut clock = ServerClock::new(Box::new(Manual(local.clone())));
        assert_eq!(clock.now(), None);
        clock.heard(5_000_000, 1_000, false);
        assert_eq!(clock.now(), Some(Instant::from_ticks(5_000_000)));
        local.store(1_500, Ordering::Relaxed);
        assert_eq!(clock.now(), Some(Instant::from_ticks(5_000_500)));
        // A slower reply teaches a smaller offset: the larger one stays.
        clock.heard(5_000_100, 1_500, false);
        assert_eq!(clock.now(), Some(Instant::from_ticks(5_000_500)));
        // A faster one raises it.
        clock.heard(5_000_900, 1_500, false);
        assert_eq!(clock.now(), Some(Instant::from_ticks(5_000_900)));
        // The server said we lead it: its time, even if lower.
        clock.heard(5_000_200, 1_500, true);
        assert_eq!(clock.now(), Some(Instant::from_ticks(5_000_200)));
    }
}
