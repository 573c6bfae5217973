//! What a dispatcher is built from: the systems (each with its transport and policies), the subscriptions
//! and the process-wide options; checked together, every error reported at once.

use super::breaker::BreakerPolicy;
use super::policy::RetryPolicy;
use super::shape::Shape;
use crate::transport::Transport;
use crossdock_store::{StoreError, SubscriptionStart};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A connected system as the dispatcher sees it.
#[derive(Clone)]
pub struct DispatchSystem {
    pub name: String,
    pub transport: Arc<dyn Transport>,
    /// Messages in flight to this system at once, across its subscriptions.
    pub max_in_flight: usize,
    /// Messages handed to the transport in one `send_batch` call.
    pub batch_size: usize,
    /// Messages the transport packs into one request (a webhook system's `batch_max`; 1 otherwise):
    /// `batch_size` and `max_in_flight` must be at least this, or no request could fill.
    pub request_batch: usize,
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
}

impl DispatchSystem {
    /// A system with the default policies: 64 in flight, batches of 8.
    pub fn new(name: impl Into<String>, transport: Arc<dyn Transport>) -> Self {
        Self {
            name: name.into(),
            transport,
            max_in_flight: 64,
            batch_size: 8,
            request_batch: 1,
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
        }
    }
}

impl DispatchSystem {
    /// Splits deliveries to this system into the batches handed to the transport: its batch size, and never
    /// more than its in-flight limit (a batch holds one permit per message, so a bigger one would wait for ever).
    pub(crate) fn send_batches<T>(&self, mut items: Vec<T>) -> Vec<Vec<T>> {
        let size = self.batch_size.min(self.max_in_flight).max(1);
        let mut batches = Vec::with_capacity(items.len().div_ceil(size));
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(size));
            batches.push(std::mem::replace(&mut items, rest));
        }
        batches
    }
}

impl fmt::Debug for DispatchSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DispatchSystem")
            .field("name", &self.name)
            .field("transport", &self.transport.target())
            .field("max_in_flight", &self.max_in_flight)
            .field("batch_size", &self.batch_size)
            .field("request_batch", &self.request_batch)
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .finish()
    }
}

/// A subscription: which events go to which system, shaped how.
#[derive(Clone)]
pub struct DispatchSubscription {
    pub name: String,
    pub system: String,
    /// Event-type patterns (`order.*`, `inventory.adjusted`, `*`).
    pub event_types: Vec<String>,
    pub shape: Arc<dyn Shape>,
    /// Where a subscription new to the database starts.
    pub start: SubscriptionStart,
}

impl DispatchSubscription {
    /// A subscription sending the canonical envelope, back-filled from the first event.
    pub fn new(name: impl Into<String>, system: impl Into<String>, event_types: &[&str]) -> Self {
        Self {
            name: name.into(),
            system: system.into(),
            event_types: event_types.iter().map(|p| p.to_string()).collect(),
            shape: Arc::new(super::shape::Canonical),
            start: SubscriptionStart::Beginning,
        }
    }
}

impl fmt::Debug for DispatchSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DispatchSubscription")
            .field("name", &self.name)
            .field("system", &self.system)
            .field("event_types", &self.event_types)
            .field("start", &self.start)
            .finish()
    }
}

/// Process-wide settings.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// This process's lease owner name; unique per process (the default is host, pid and a random part).
    pub owner: String,
    /// How long a claimed delivery stays with this process. A delivery is sent only while more than half
    /// of its lease remains, so this must exceed twice the slowest system's timeout.
    pub lease: Duration,
    /// How often the log and the due deliveries are checked without a wake-up.
    pub poll_interval: Duration,
    /// Most deliveries claimed at once.
    pub claim_batch: u32,
    /// Most deliveries claimed and not yet completed, all systems together.
    pub max_in_flight: usize,
    /// Most events read from the log per scheduling round.
    pub schedule_page: u32,
    /// Most results recorded in one transaction.
    pub complete_batch: usize,
    /// Send new events as soon as they are read, recording each with its outcome (one task per subscription,
    /// see `sender`), rather than scheduling them pending for the claim path first. Retries go through the
    /// claim path either way.
    pub send_on_schedule: bool,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        Self {
            owner: default_owner(),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(50),
            claim_batch: 512,
            max_in_flight: 4096,
            schedule_page: 2000,
            complete_batch: 1024,
            send_on_schedule: true,
        }
    }
}

impl DispatchOptions {
    /// [`Self::lease`] as a span of time for lease expiry instants (a lease too long for one: 60 s).
    pub(crate) fn lease_span(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(60))
    }
}

fn default_owner() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "crossdock".into());
    format!("{host}-{}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// Why a dispatcher could not be built or stopped on an error.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("invalid dispatch setup: {}", .0.join("; "))]
    Setup(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every problem with the systems and subscriptions, at once.
pub(crate) fn validate(
    systems: &[DispatchSystem],
    subscriptions: &[DispatchSubscription],
    options: &DispatchOptions,
) -> Result<(), DispatchError> {
    let mut errors = Vec::new();
    let mut names = BTreeSet::new();
    for system in systems {
        if !names.insert(system.name.as_str()) {
            errors.push(format!("system {:?} is defined twice", system.name));
        }
        if system.max_in_flight == 0 || system.batch_size == 0 {
            errors.push(format!("system {:?}: max_in_flight and batch_size must be at least 1", system.name));
        } else if system.batch_size.min(system.max_in_flight) < system.request_batch {
            errors.push(format!(
                "system {:?}: batch_size ({}) and max_in_flight ({}) must be at least the transport's batch of {}",
                system.name, system.batch_size, system.max_in_flight, system.request_batch
            ));
        }
        if system.retry.initial > system.retry.max {
            errors.push(format!("system {:?}: retry initial wait exceeds the maximum", system.name));
        }
    }
    let mut subscription_names = BTreeSet::new();
    for subscription in subscriptions {
        if !subscription_names.insert(subscription.name.as_str()) {
            errors.push(format!("subscription {:?} is defined twice", subscription.name));
        }
        if !names.contains(subscription.system.as_str()) {
            let known: Vec<&str> = names.iter().copied().collect();
            errors.push(format!(
                "subscription {:?} names unknown system {:?} (known: {})",
                subscription.name,
                subscription.system,
                known.join(", ")
            ));
        }
        if subscription.event_types.is_empty() {
            errors.push(format!("subscription {:?} has no event types", subscription.name));
        }
    }
    if options.claim_batch == 0 || options.max_in_flight == 0 || options.complete_batch == 0 {
        errors.push("claim_batch, max_in_flight and complete_batch must be at least 1".into());
    }
    if options.lease < Duration::from_secs(1) {
        errors.push("the lease must be at least one second".into());
    }
    if errors.is_empty() { Ok(()) } else { Err(DispatchError::Setup(errors)) }
}
