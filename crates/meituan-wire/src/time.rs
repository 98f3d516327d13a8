//! Time units at the boundary, and the one injectable clock.
//!
//! Inside imdesk every time is UTC milliseconds ([`TimeMs`]). The platform speaks two units:
//! `cts` and the envelope `timestamp` are Unix **seconds** ([`UnixSeconds`]), while
//! `userReadTime.last_read_time` is **milliseconds**. Convert where they enter.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Deserializer, Serialize};

use crate::lenient::i64_from_number_or_string;

/// A UTC instant in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TimeMs(pub i64);

/// A UTC instant in whole seconds since the Unix epoch, as the platform sends `cts` and
/// `timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UnixSeconds(pub i64);

impl TimeMs {
    /// From a 10-digit `cts` (seconds).
    pub const fn from_cts_seconds(cts: i64) -> Self {
        Self(cts.saturating_mul(1000))
    }

    /// From a 13-digit `last_read_time` (already milliseconds).
    pub const fn from_last_read_time_ms(ms: i64) -> Self {
        Self(ms)
    }

    /// Whole seconds, rounded toward the past (for `cts` and `timestamp`).
    pub const fn to_unix_seconds(self) -> UnixSeconds {
        UnixSeconds(self.0.div_euclid(1000))
    }

    /// The raw milliseconds.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl UnixSeconds {
    /// The same instant in milliseconds.
    pub const fn to_ms(self) -> TimeMs {
        TimeMs::from_cts_seconds(self.0)
    }

    /// The raw seconds.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for TimeMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for UnixSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<UnixSeconds> for TimeMs {
    fn from(s: UnixSeconds) -> Self {
        s.to_ms()
    }
}

impl<'de> Deserialize<'de> for TimeMs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64_from_number_or_string(deserializer).map(Self)
    }
}

impl<'de> Deserialize<'de> for UnixSeconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64_from_number_or_string(deserializer).map(Self)
    }
}

/// A source of the current time. Production code uses [`SystemClock`]; tests inject a
/// [`FixedClock`] so nothing depends on when it runs.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current UTC time.
    fn now(&self) -> TimeMs;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one place outside imdesk-core that reads the wall clock; everything else takes a
    // `Clock` so timers and signatures are testable.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> TimeMs {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        TimeMs(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that says what it is told, for tests.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: TimeMs) -> Self {
        Self(AtomicI64::new(at.0))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: TimeMs) {
        self.0.store(at.0, Ordering::SeqCst);
    }

    /// Moves the clock forward by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> TimeMs {
        TimeMs(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_milliseconds_convert_at_the_boundary() {
        let cts = UnixSeconds(1_700_000_000);
        assert_eq!(cts.to_ms(), TimeMs(1_700_000_000_000));
        assert_eq!(TimeMs(1_700_000_000_999).to_unix_seconds(), cts);
        assert_eq!(TimeMs(-1).to_unix_seconds(), UnixSeconds(-1));
        // [INF] a merchant message is read when cts*1000 <= last_read_time.
        assert!(cts.to_ms() <= TimeMs::from_last_read_time_ms(1_700_000_000_000));
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::new(TimeMs(5));
        clock.advance_ms(10);
        assert_eq!(clock.now(), TimeMs(15));
        clock.set(TimeMs(1));
        assert_eq!(clock.now(), TimeMs(1));
    }

    #[test]
    fn system_clock_is_after_2023() {
        assert!(SystemClock.now() > TimeMs(1_700_000_000_000));
    }
}
