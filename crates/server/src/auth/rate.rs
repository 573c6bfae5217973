//! Per-key rate limits (governor's GCRA): each API key gets its own limiter, from the key's own
//! `rate_limit_per_minute` or else the server's default; a request over it is answered 429 with `Retry-After`.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// At most this many keys' limiters are kept; past it the table starts over (every key gets a full burst).
const MAX_TRACKED_KEYS: usize = 10_000;

/// The limiters of the keys seen so far, each with the per-minute rate it was built for.
#[derive(Debug, Default)]
pub struct KeyRateLimits {
    limiters: Mutex<HashMap<String, (NonZeroU32, Arc<DefaultDirectRateLimiter>)>>,
}

impl KeyRateLimits {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one request of key `id` against `per_minute` (a burst of that many, refilled evenly over a
    /// minute). `Err(wait)` when the key is over its limit: the time until one more request is allowed.
    pub fn check(&self, id: &str, per_minute: NonZeroU32) -> Result<(), Duration> {
        let limiter = {
            let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
            match limiters.get(id) {
                // A changed limit (a new default, or the key's own) starts a fresh limiter.
                Some((rate, limiter)) if *rate == per_minute => limiter.clone(),
                _ => {
                    if limiters.len() >= MAX_TRACKED_KEYS {
                        limiters.clear();
                    }
                    let limiter = Arc::new(RateLimiter::direct(Quota::per_minute(per_minute)));
                    limiters.insert(id.to_string(), (per_minute, limiter.clone()));
                    limiter
                }
            }
        };
        limiter.check().map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Whole seconds to put in `Retry-After` for a wait: rounded up, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_burst_and_a_wait_when_over_it() {
        let limits = KeyRateLimits::new();
        let three = NonZeroU32::new(3).unwrap();
        for _ in 0..3 {
            assert!(limits.check("a", three).is_ok());
        }
        let wait = limits.check("a", three).unwrap_err();
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20), "{wait:?}");
        assert!(limits.check("b", three).is_ok(), "another key is not affected");
        assert!(limits.check("a", NonZeroU32::new(10).unwrap()).is_ok(), "a new limit starts afresh");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(19_200)), 20);
        assert_eq!(retry_after_secs(Duration::from_secs(5)), 5);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
