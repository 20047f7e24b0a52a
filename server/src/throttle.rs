//! Slowing down password guessing (登录失败限速): failed logins are counted per username and
//! per client address, and past a few free failures each further attempt must wait a delay
//! that doubles with every failure (up to a cap), answered 429 `too_many_attempts`.
//!
//! Two counters because each alone is weak: per username stops a focused guess at one
//! officer's password from many addresses; per address stops one client trying a common
//! password against every username. The address threshold is higher, since a whole town
//! office may sit behind one address. Kept in memory: a restart forgets the counts, which only
//! gives an attacker a few more tries per restart, and nothing about clients is written down.
//! A client is its [`ClientKey`], a keyed hash of its address: the address itself is not kept
//! even here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::ClientKey;

/// Free failures per username before delays begin.
pub const FREE_FAILURES_PER_USER: u32 = 5;
/// Free failures per client address before delays begin.
pub const FREE_FAILURES_PER_CLIENT: u32 = 20;
/// The longest delay.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Counters untouched this long are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Client(ClientKey),
}

/// The failed-login counters.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
}

fn delay(count: u32, free: u32) -> Duration {
    if count < free {
        return Duration::ZERO;
    }
    let doublings = (count - free).min(20);
    Duration::from_secs(1u64 << doublings).min(MAX_DELAY)
}

impl LoginThrottle {
    /// A throttle with no failures recorded.
    pub fn new() -> LoginThrottle {
        LoginThrottle::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `Err(seconds to wait)` when an attempt for `username` from `client` must wait.
    pub fn check(
        &self,
        username: &str,
        client: Option<ClientKey>,
        now: Instant,
    ) -> Result<(), u64> {
        let map = self.map();
        let mut wait = Duration::ZERO;
        let mut consider = |key: Key, free: u32| {
            if let Some(f) = map.get(&key) {
                let until = f.last + delay(f.count, free);
                wait = wait.max(until.saturating_duration_since(now));
            }
        };
        consider(Key::User(username.to_owned()), FREE_FAILURES_PER_USER);
        if let Some(key) = client {
            consider(Key::Client(key), FREE_FAILURES_PER_CLIENT);
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs().max(1))
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, username: &str, client: Option<ClientKey>, now: Instant) {
        let mut map = self.map();
        // Keep memory bounded under a flood of made-up usernames.
        if map.len() > 100_000 {
            map.retain(|_, f| now.saturating_duration_since(f.last) < FORGET_AFTER);
        }
        let mut bump = |key: Key| {
            let f = map.entry(key).or_insert(Failures {
                count: 0,
                last: now,
            });
            f.count = f.count.saturating_add(1);
            f.last = now;
        };
        bump(Key::User(username.to_owned()));
        if let Some(key) = client {
            bump(Key::Client(key));
        }
    }

    /// Records a successful login: the username's count starts over (the address's does not,
    /// so one valid account cannot launder guesses at others).
    pub fn succeeded(&self, username: &str) {
        self.map().remove(&Key::User(username.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_begin_after_the_free_failures_and_grow() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        let ip = Some(crate::client::ClientKeys::new().of([10, 0, 0, 1].into()));
        for _ in 0..FREE_FAILURES_PER_USER - 1 {
            t.failed("a", ip, now);
            assert!(t.check("a", ip, now).is_ok());
        }
        t.failed("a", ip, now);
        assert_eq!(t.check("a", ip, now), Err(1));
        t.failed("a", ip, now);
        assert_eq!(t.check("a", ip, now), Err(2));
        // Another username from the same address is still free.
        assert!(t.check("b", ip, now).is_ok());
        // After the delay the next attempt may pass.
        assert!(t.check("a", ip, now + Duration::from_secs(2)).is_ok());
        t.succeeded("a");
        assert!(t.check("a", ip, now).is_ok());
    }

    #[test]
    fn the_delay_is_capped() {
        assert_eq!(delay(1000, 5), MAX_DELAY);
        assert_eq!(delay(4, 5), Duration::ZERO);
    }
}
