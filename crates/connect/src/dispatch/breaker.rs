//! A circuit breaker per system: it opens after a run of consecutive failures, stays open for a cool-down
//! (deliveries are rescheduled without a request), then lets one probe through (half-open); the probe's
//! outcome closes it or opens it again, each failed probe doubling the cool-down up to a maximum, so a
//! short outage is noticed within seconds and a long one is not hammered.

use std::time::{Duration, Instant};

/// When a system's circuit opens and how long it stays open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failed attempts that open the circuit (0 disables the breaker).
    pub failure_threshold: u32,
    /// How long the circuit stays open, the first time, before a probe is let through.
    pub cool_down: Duration,
    /// The longest cool-down, reached by doubling after each failed probe.
    pub max_cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self { failure_threshold: 10, cool_down: Duration::from_secs(2), max_cool_down: Duration::from_secs(60) }
    }
}

/// The state shown on `/metrics` and `GET /v1/systems`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// What the breaker lets through right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send everything.
    All,
    /// Send one message (the probe) and hold the rest back.
    Probe,
    /// Send nothing; try again after this long.
    Blocked(Duration),
}

#[derive(Debug)]
enum State {
    Closed {
        failures: u32,
    },
    /// `cool_down` is the one that opened it, doubled by the next failed probe.
    Open {
        until: Instant,
        cool_down: Duration,
    },
    HalfOpen {
        probing: bool,
        cool_down: Duration,
    },
}

#[derive(Debug)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    state: State,
}

impl CircuitBreaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self { policy, state: State::Closed { failures: 0 } }
    }

    pub fn state(&self, now: Instant) -> CircuitState {
        match self.state {
            State::Closed { .. } => CircuitState::Closed,
            State::Open { until, .. } if now < until => CircuitState::Open,
            State::Open { .. } | State::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    pub fn admit(&mut self, now: Instant) -> Admission {
        match self.state {
            State::Closed { .. } => Admission::All,
            State::Open { until, .. } if now < until => Admission::Blocked(until - now),
            State::Open { cool_down, .. } | State::HalfOpen { probing: false, cool_down } => {
                self.state = State::HalfOpen { probing: true, cool_down };
                Admission::Probe
            }
            // A probe is out: wait for its answer (a short wait; it ends with a success or a new cool-down).
            State::HalfOpen { probing: true, .. } => {
                Admission::Blocked(self.policy.cool_down.min(Duration::from_secs(1)))
            }
        }
    }

    /// Records the result of one attempt the breaker admitted.
    pub fn record(&mut self, failed: bool, now: Instant) {
        if self.policy.failure_threshold == 0 {
            return;
        }
        self.state = match (&self.state, failed) {
            (State::Closed { .. }, false) | (State::HalfOpen { .. }, false) => State::Closed { failures: 0 },
            (State::Closed { failures }, true) if failures + 1 < self.policy.failure_threshold => {
                State::Closed { failures: failures + 1 }
            }
            (State::Closed { .. }, true) => {
                let cool_down = self.policy.cool_down;
                tracing::warn!(?cool_down, "circuit opened");
                State::Open { until: now + cool_down, cool_down }
            }
            (State::HalfOpen { cool_down, .. }, true) => {
                let cool_down = (*cool_down * 2).min(self.policy.max_cool_down.max(self.policy.cool_down));
                tracing::warn!(?cool_down, "probe failed; circuit opened again");
                State::Open { until: now + cool_down, cool_down }
            }
            // Late results of sends admitted before the circuit opened change nothing.
            (State::Open { until, cool_down }, _) => State::Open { until: *until, cool_down: *cool_down },
        };
    }
}
