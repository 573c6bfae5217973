//! Retry policy: exponential backoff with full jitter, bounded by attempts and age; and how a transport's
//! outcome becomes the delivery's stored outcome.

use crate::transport::{ResponseRecord, SendOutcome};
use chrono::{DateTime, Utc};
use crossdock_store::DeliveryOutcome;
use rand::Rng;
use serde_json::Value;
use std::time::Duration;

/// When to try a failed delivery again, and when to give up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Smallest wait between attempts.
    pub initial: Duration,
    /// Largest wait between attempts (the backoff's ceiling).
    pub max: Duration,
    /// Attempts before the delivery becomes a dead letter (at least 1).
    pub max_attempts: u32,
    /// Time since the delivery was queued (or replayed) after which a failure is final.
    pub max_age: Option<Duration>,
}

impl Default for RetryPolicy {
    /// Twelve attempts from 1 s up to 10 min apart, over at most three days.
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(600),
            max_attempts: 12,
            max_age: Some(Duration::from_secs(3 * 24 * 3600)),
        }
    }
}

impl RetryPolicy {
    /// The ceiling for the wait after attempt `attempt` (1-based): `initial · 2^(attempt-1)`, at most `max`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(31));
        self.initial.saturating_mul(factor).min(self.max).max(self.initial.min(self.max))
    }

    /// The wait after attempt `attempt`: full jitter, uniform between `initial` and the ceiling.
    pub fn backoff(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        let floor = self.initial.min(ceiling);
        if ceiling <= floor {
            return floor;
        }
        let span = (ceiling - floor).as_micros().min(u128::from(u64::MAX)) as u64;
        floor + Duration::from_micros(rng.random_range(0..=span))
    }
}

/// The stored outcome of one attempt. `attempts_before` is how many attempts came before this one;
/// `queued_at` starts the retry budget's age.
pub fn settle(
    outcome: SendOutcome,
    policy: &RetryPolicy,
    attempts_before: u32,
    queued_at: DateTime<Utc>,
    now: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    request: Value,
) -> DeliveryOutcome {
    match outcome {
        SendOutcome::Delivered => {
            DeliveryOutcome::Delivered { at: now, latency_ms: (now - recorded_at).num_milliseconds().max(0) }
        }
        SendOutcome::Reject { error, response } => {
            DeliveryOutcome::Dead { error, request: Some(request), response: response.map(to_value) }
        }
        SendOutcome::Retry { after, error, response } => {
            let attempt = attempts_before.saturating_add(1);
            let wait = after.unwrap_or_else(|| policy.backoff(attempt, &mut rand::rng()));
            let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
            let too_old = policy.max_age.is_some_and(|age| (at - queued_at).to_std().unwrap_or(Duration::ZERO) > age);
            let response = response.map(to_value);
            if attempt >= policy.max_attempts.max(1) || too_old {
                let error = format!("gave up after {attempt} attempts: {error}");
                DeliveryOutcome::Dead { error, request: Some(request), response }
            } else {
                DeliveryOutcome::Retry { at, error, request: Some(request), response }
            }
        }
    }
}

fn to_value(response: ResponseRecord) -> Value {
    serde_json::to_value(response).unwrap_or(Value::Null)
}
