//! The server's clock (时钟): where "now" comes from. The real one in production; a test
//! sets a [`TestClock`] forward to let a deadline pass or a month end without sleeping and
//! without editing the database behind the server's back.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that runs with the system's, shifted by an offset a test sets.
#[derive(Debug, Default)]
pub struct TestClock {
    offset: Mutex<Duration>,
}

impl TestClock {
    /// A clock at the system's time.
    pub fn new() -> TestClock {
        TestClock::default()
    }

    /// Sets the clock to `at` (it runs on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut o = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *o = at - Utc::now();
    }

    /// Moves the clock forward (or back) by `by`.
    pub fn advance(&self, by: Duration) {
        let mut o = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *o += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let o = *self.offset.lock().unwrap_or_else(|p| p.into_inner());
        Utc::now() + o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_moves_when_told() {
        let c = TestClock::new();
        let before = c.now();
        c.advance(Duration::days(40));
        assert!(c.now() - before >= Duration::days(40));
    }
}
