//! The dispatcher: from each subscription's durable cursor over the event log to at-least-once delivery,
//! ordered per aggregate, with retry and backoff, a circuit breaker and in-flight limit per system, dead
//! letters and replay (the state lives in `crossdock_store`'s delivery tables). New events go out through a
//! sender per subscription (`sender`: send, then record with the outcome); anything pending (retries, events
//! queued behind a pending one of their aggregate, another process's leftovers) through the claim path
//! (`worker`); both send through `send`.

mod breaker;
mod dispatcher;
mod from_config;
mod latency;
mod policy;
mod scheduler;
mod send;
mod sender;
mod setup;
mod shape;
#[cfg(test)]
mod tests;
mod worker;

pub use breaker::{Admission, BreakerPolicy, CircuitBreaker, CircuitState};
pub use dispatcher::{Dispatcher, SystemStatus};
pub use from_config::{JqShape, TransportFactory, from_config, retry_policy};
pub use latency::{LATENCY_BOUNDS_MS, LatencySnapshot};
pub use policy::{RetryPolicy, settle};
pub use setup::{DispatchError, DispatchOptions, DispatchSubscription, DispatchSystem};
pub use shape::{Canonical, Shape, ShapeError, any_pattern_matches, envelope, envelope_bytes, pattern_matches};
